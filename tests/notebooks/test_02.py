"""Notebook 02 runs end to end on the small shop, and explains a nonexistent campaign instead of crashing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebooks.helpers import output_text, run_notebook

ROOT = Path(__file__).resolve().parents[2]
NB = ROOT / "notebooks" / "02_campaign_evaluation.ipynb"

pytestmark = pytest.mark.notebook


def _run(tmp_path: Path, **params) -> str:
    """What the executed notebook printed (not its source, which also holds the message texts)."""
    return output_text(run_notebook(NB, tmp_path / "out.ipynb", **params))


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


def _quiet_window(truth: dict, days: int = 3, post_days: int = 14) -> tuple[str, str]:
    """The first ``days``-day window after 2024-02-01 whose window and post-period touch no campaign
    (nor its 14-day aftermath), so the ad-hoc evaluation never hits an overlap."""
    import pandas as pd

    busy = [(pd.Timestamp(c["start"]), pd.Timestamp(c["end"]) + pd.Timedelta(days=post_days))
            for c in truth["campaigns"].values()]
    day = pd.Timestamp("2024-02-01")
    while True:
        a, b = day, day + pd.Timedelta(days=days - 1 + post_days)
        if not any(s <= b and e >= a for s, e in busy):
            return f"{day:%Y-%m-%d}", f"{day + pd.Timedelta(days=days - 1):%Y-%m-%d}"
        day += pd.Timedelta(days=1)


def test_adhoc_window_with_category_scope(small_shop_dir: Path, small_truth: dict, tmp_path: Path):
    start, end = _quiet_window(small_truth)
    text = (_run(tmp_path, data_dir=str(small_shop_dir), campaign_id="CMP_2024_618", start=start, end=end,
                         scope="category:美妆"))
    cid = f"ADHOC_{start}_{end}"
    assert "Cannot evaluate" not in text
    assert "start/end win over campaign_id" in text and cid in text
    assert "counterfactual estimate" in text and "scope category" in text


def test_adhoc_window_without_campaigns_table(small_shop_dir: Path, small_truth: dict, tmp_path: Path):
    import shutil

    shop = tmp_path / "shop"
    shutil.copytree(small_shop_dir, shop, ignore=shutil.ignore_patterns("campaigns.*"))
    start, end = _quiet_window(small_truth)
    text = (_run(tmp_path, data_dir=str(shop), start=start, end=end))
    assert "Cannot evaluate" not in text and f"ADHOC_{start}_{end}" in text
    assert "no campaigns table" in text and "counterfactual estimate" in text
