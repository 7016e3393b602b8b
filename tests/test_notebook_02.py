"""Notebook 02 runs end to end on the small shop, and explains a nonexistent campaign instead of crashing."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks" / "02_campaign_evaluation.ipynb"

pytestmark = pytest.mark.notebook


def _run(tmp_path: Path, **params) -> str:
    import papermill as pm

    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(NB), str(out), parameters=params, kernel_name="python3", cwd=str(NB.parent),
                        progress_bar=False)
    return out.read_text(encoding="utf-8")


def test_committed_without_outputs_and_with_parameters_cell():
    import nbformat

    nb = nbformat.read(NB, as_version=4)
    assert "parameters" in nb.cells[0].metadata.get("tags", [])
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


def test_default_run(small_shop_dir: Path, tmp_path: Path):
    text = _run(tmp_path, data_dir=str(small_shop_dir))
    assert "counterfactual estimate" in text and "incremental_margin" in text


def test_unknown_campaign_shows_clear_message(small_shop_dir: Path, tmp_path: Path):
    text = _run(tmp_path, data_dir=str(small_shop_dir), campaign_id="CMP_2099_NOPE")
    assert "Cannot evaluate" in text and "CMP_2099_NOPE" in text and "does not exist" in text
