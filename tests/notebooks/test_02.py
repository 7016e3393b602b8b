"""Notebook 02 runs end to end on the small shop, stops once with a clear message when it cannot evaluate, and
writes money in the shop's currency, "unknown (no cost data)" without costs."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from tests.notebooks.helpers import image_count, output_text, run_notebook

ROOT = Path(__file__).resolve().parents[2]
NB = ROOT / "notebooks" / "02_campaign_evaluation.ipynb"

pytestmark = pytest.mark.notebook


def _run(tmp_path: Path, **params) -> nbformat.NotebookNode:
    return run_notebook(NB, tmp_path / "out.ipynb", **params)


def test_committed_without_outputs_and_with_parameters_cell():
    nb = nbformat.read(NB, as_version=4)
    assert "parameters" in nb.cells[0].metadata.get("tags", [])
    assert "overlap" in nb.cells[0].source
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


def test_default_run(small_shop_dir: Path, small_truth: dict, tmp_path: Path):
    nb = _run(tmp_path, data_dir=str(small_shop_dir))
    text = output_text(nb)
    # the default is the latest campaign that has ended: 双12 2025 (2025-12-10..12; the data end 2025-12-31)
    latest = max(small_truth["campaigns"].items(), key=lambda kv: kv[1]["end"])[0]
    assert latest in text and "Cannot evaluate" not in text
    assert "反事实 counterfactual" in text and "增量毛利 incremental margin" in text
    assert "¥" in text and "£" not in text
    # counterfactual, money waterfall, overview (scope all: no DiD chart)
    assert image_count(nb) == 3


def test_unknown_campaign_stops_once_with_a_clear_message(small_shop_dir: Path, tmp_path: Path):
    nb = _run(tmp_path, data_dir=str(small_shop_dir), campaign_id="CMP_2099_NOPE")
    text = output_text(nb)
    assert "Cannot evaluate" in text and "CMP_2099_NOPE" in text and "does not exist" in text
    assert "The rest of this report is skipped" in text and image_count(nb) == 0
    assert "Traceback" not in text


def test_numeric_campaign_id_is_text(small_shop_dir: Path, tmp_path: Path):
    shop = tmp_path / "shop"
    shutil.copytree(small_shop_dir, shop)
    camps = pd.read_parquet(shop / "campaigns.parquet")
    camps.loc[camps["campaign_id"] == "CMP_2024_FS1", "campaign_id"] = "18"
    camps.to_parquet(shop / "campaigns.parquet", index=False)
    orders = pd.read_parquet(shop / "orders.parquet")  # orders.campaign_id must reference it too
    orders["campaign_id"] = orders["campaign_id"].replace("CMP_2024_FS1", "18")
    orders.to_parquet(shop / "orders.parquet", index=False)
    text = output_text(_run(tmp_path, data_dir=str(shop), campaign_id=18))  # papermill passes the int 18
    assert "Cannot evaluate" not in text and "18 2024" in text


def test_foreign_shop_without_costs(small_shop_dir: Path, tmp_path: Path):
    """A GBP shop without unit costs: £ everywhere, margins unknown (not zero), no ¥."""
    shop = tmp_path / "shop"
    shutil.copytree(small_shop_dir, shop)
    products = pd.read_parquet(shop / "products.parquet")
    products["unit_cost"] = float("nan")
    products.to_parquet(shop / "products.parquet", index=False)
    (shop / "shop.yml").write_text("currency: GBP\ncountry: GB\n", encoding="utf-8")
    nb = _run(tmp_path, data_dir=str(shop), campaign_id="CMP_2025_CPN")
    text = output_text(nb)
    assert "Cannot evaluate" not in text
    assert "£" in text and "¥" not in text
    assert "unknown (no cost data)" in text
    assert "money waterfall skipped" in text


def _quiet_window(truth: dict, days: int = 3, post_days: int = 14) -> tuple[str, str]:
    """The first ``days``-day window after 2024-02-01 whose window and post-period touch no campaign
    (nor its 14-day aftermath), so the ad-hoc evaluation never hits an overlap."""
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
    text = output_text(_run(tmp_path, data_dir=str(small_shop_dir), campaign_id="CMP_2024_618", start=start,
                            end=end, scope="category:美妆"))
    cid = f"ADHOC_{start}_{end}"
    assert "Cannot evaluate" not in text
    assert "start/end win over campaign_id" in text and cid in text
    assert "反事实 counterfactual" in text and "scope category" in text


def test_adhoc_window_without_campaigns_table(small_shop_dir: Path, small_truth: dict, tmp_path: Path):
    shop = tmp_path / "shop"
    shutil.copytree(small_shop_dir, shop, ignore=shutil.ignore_patterns("campaigns.*"))
    start, end = _quiet_window(small_truth)
    text = output_text(_run(tmp_path, data_dir=str(shop), start=start, end=end))
    assert "Cannot evaluate" not in text and f"ADHOC_{start}_{end}" in text
    assert "no campaigns table" in text and "反事实 counterfactual" in text
