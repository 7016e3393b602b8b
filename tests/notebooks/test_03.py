"""Notebook 03 runs end to end on the small shop (papermill, cwd notebooks/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NB = ROOT / "notebooks" / "03_trend_forecasting.ipynb"


def test_notebook_03_is_committed_clean() -> None:
    nb = json.loads(NB.read_text(encoding="utf-8"))
    assert "parameters" in nb["cells"][0]["metadata"].get("tags", [])
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.notebook
def test_notebook_03_runs(small_shop_dir: Path, tmp_path: Path) -> None:
    import papermill as pm

    out = tmp_path / "03.ipynb"
    pm.execute_notebook(
        str(NB), str(out), cwd=str(NB.parent), kernel_name="python3", progress_bar=False,
        parameters={"data_dir": str(small_shop_dir), "level": "category", "category": "美妆", "max_skus": 10,
                    "backtest_windows": 2, "horizon_weeks": 4, "n_jobs": 2},
    )
    assert "SKUs to order this week" in out.read_text(encoding="utf-8")
