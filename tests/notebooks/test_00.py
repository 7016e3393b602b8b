"""Notebook 00 runs end to end through papermill on the small sample shop, with and without traffic."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from opslib.reporting import read_summary
from tests.notebooks.helpers import image_count, output_text, run_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "00_shop_at_a_glance.ipynb"


def _run(data_dir: Path, out: Path) -> nbformat.NotebookNode:
    return run_notebook(NOTEBOOK, out, data_dir=str(data_dir), period_days=28)


@pytest.mark.notebook
def test_notebook_00_runs(small_shop_dir: Path, tmp_path: Path) -> None:
    nb = _run(small_shop_dir, tmp_path / "00.ipynb")
    text = output_text(nb)
    assert "Current period" in text
    assert "访客数 Visitors" in text  # traffic present: decomposition table shown
    assert "skipping" not in text
    assert image_count(nb) == 4  # cards, trend, waterfall, category mix
    summary = read_summary(nb)
    assert [t["metric"] for t in summary["tiles"]][:3] == ["gmv", "orders", "aov"]
    assert summary["verdicts"][0].startswith("GMV ")


@pytest.mark.notebook
def test_notebook_00_without_traffic(small_shop_dir: Path, tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(small_shop_dir, shop)
    (shop / "traffic.parquet").unlink()
    nb = _run(shop, tmp_path / "00_no_traffic.ipynb")
    text = output_text(nb)
    assert "no traffic table in" in text
    assert "skipping the GMV decomposition" in text
    assert image_count(nb) == 3  # no waterfall
