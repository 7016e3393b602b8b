"""Notebook 01 runs end to end through papermill on the small sample shop: normally (with an export),
with a category filter that matches nothing, and without the inventory file."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from opslib.reporting import read_summary
from tests.notebooks.helpers import image_count, output_text, run_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "01_category_optimisation.ipynb"


def _run(out: Path, **parameters: object) -> nbformat.NotebookNode:
    return run_notebook(NOTEBOOK, out, **{"period_days": 28, **parameters})


@pytest.mark.notebook
def test_notebook_01_runs_and_exports(small_shop_dir: Path, tmp_path: Path) -> None:
    nb = _run(tmp_path / "01.ipynb", data_dir=str(small_shop_dir), export_dir=str(tmp_path / "export"))
    text = output_text(nb)
    assert "Current period" in text and "skipping" not in text
    assert "Stock-out spells touching the period" in text
    # Pareto, ABC-XYZ heatmap, BCG scatter, margin bars, days-of-supply histogram, launch cohorts
    assert image_count(nb) == 6
    csv = sorted((tmp_path / "export").glob("category_actions_*.csv"))
    assert len(csv) == 1 and csv[0].read_bytes()[:3] == b"\xef\xbb\xbf"
    (xlsx,) = (tmp_path / "export").glob("category_actions_*.xlsx")
    from openpyxl import load_workbook

    head = [c.value for c in load_workbook(xlsx).active[1]]
    assert {"负责人 owner", "状态 status", "商品名称 product name", "品牌 brand"} <= set(head)
    summary = read_summary(nb)
    assert summary["tiles"][0]["label"] == "GMV 成交额" and "of the SKUs make 80% of GMV" in summary["verdicts"][0]
    assert any(a["owner"] == "采购 purchasing" for a in summary["actions"])  # the sample plants stock-outs


@pytest.mark.notebook
def test_notebook_01_category_without_data(small_shop_dir: Path, tmp_path: Path) -> None:
    nb = _run(tmp_path / "01_none.ipynb", data_dir=str(small_shop_dir), category="不存在的品类")
    text = output_text(nb)
    assert "No sales for category '不存在的品类'" in text
    assert "skipping the rest of the notebook" in text
    assert image_count(nb) == 0


@pytest.mark.notebook
def test_notebook_01_without_inventory(small_shop_dir: Path, tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(small_shop_dir, shop)
    (shop / "inventory.parquet").unlink()
    nb = _run(tmp_path / "01_no_inventory.ipynb", data_dir=str(shop), category="美妆",
              period_start="2025-06-01", period_end="2025-06-30")
    text = output_text(nb)
    assert "Current period 本期: 2025-06-01 .. 2025-06-30 (30 days)" in text  # explicit start and end win
    # the wording of opslib.data.Shop.skip_message, whatever it is, names the table and what is skipped
    assert "inventory" in text and "skipping inventory health, stock-outs and lost sales" in text
    assert image_count(nb) == 5  # no days-of-supply histogram
