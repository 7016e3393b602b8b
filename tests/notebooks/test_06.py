"""Notebook 06 runs end to end on the small sample shop, recovers the planted effects in what it prints, writes
the hand-off packs, and runs without its optional tables, saying what it skipped."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from opslib.reporting.summary import read_summary
from tests.notebooks.helpers import image_count, output_text, run_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "06_operations_coordination.ipynb"


def _number(text: str, pattern: str) -> float:
    m = re.search(pattern, text)
    assert m, f"not in the notebook's output: {pattern}"
    return float(m.group(1))


@pytest.fixture(scope="module")
def executed(small_shop_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[nbformat.NotebookNode, Path]:
    tmp = tmp_path_factory.mktemp("nb06")
    nb = run_notebook(NOTEBOOK, tmp / "06.ipynb", data_dir=str(small_shop_dir), period_days=28,
                      export_dir=str(tmp / "packs"))
    return nb, tmp / "packs"


@pytest.mark.notebook
def test_notebook_06_recovers_the_planted_effects(executed, small_truth: dict) -> None:
    nb, _ = executed
    text = output_text(nb)
    peak = _number(text, r"peak day 峰值日: ([+-]\d+\.\d+) hours")
    assert peak == pytest.approx(small_truth["fulfilment"]["peak_handling_extra_hours"], rel=0.2)
    late = _number(text, r"late delivery 迟到: ([+-]\d+\.\d+) points")
    assert late == pytest.approx(small_truth["fulfilment"]["late_review_effect"], abs=0.1)
    planted = small_truth["service"]["planted"]
    contacts = _number(text, r"delivered late 迟到: ([+-]\d+\.\d+) contacts per 100 orders")
    assert contacts == pytest.approx(planted["after_sale_per_100_orders"]["late"], abs=3)
    speed = _number(text, r"answered ≤ 30 s: ([+-]\d+\.\d+) conversion")
    assert speed == pytest.approx(planted["conversion_if_fast"] - planted["conversion_if_slow"], abs=0.04)


@pytest.mark.notebook
def test_notebook_06_shows_every_section(executed) -> None:
    nb, packs = executed
    text = output_text(nb)
    assert "Current period 本期" in text and "skipped:" not in text
    for shown in ("部门 department", "48 小时发货率", "准时送达率", "询单转化率", "级别 severity"):
        assert shown in text, shown
    assert "⏹" not in text  # no early stop on the sample shop
    assert image_count(nb) == 14
    written = sorted(str(p.relative_to(packs)) for p in packs.rglob("*.*"))
    assert "ops_warehouse_2025-12-31/exceptions.xlsx" in written and "ops_service_2025-12-31/norms.csv" in written
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    summary = read_summary(nb)  # the executive summary on top, as the report index reads it
    assert len(summary["tiles"]) == 6 and summary["actions"]
    assert any(a["owner"] == "物流经理 logistics manager" for a in summary["actions"])  # on time 86.5% < 92%
    assert any(v.startswith("late delivery 迟到: -0.7") for v in summary["verdicts"])


@pytest.mark.notebook
def test_notebook_06_without_optional_tables(small_shop_dir: Path, tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(small_shop_dir, shop)
    for name in ("fulfilment", "reviews", "service", "campaigns"):
        (shop / f"{name}.parquet").unlink()
    nb = run_notebook(NOTEBOOK, tmp_path / "06_bare.ipynb", data_dir=str(shop), period_days=28)
    text = output_text(nb)
    for table in ("fulfilment", "reviews", "service"):
        assert f"skipped: no {table} table in {shop}" in text, table
    assert "no campaigns table: peak days are days with at least 1.5x" in text
    assert "not estimated — no reviews table" in text
    assert "跳过 skipped" in text  # the scorecard marks the norms it cannot judge
    assert "Traceback" not in text


@pytest.mark.notebook
def test_notebook_06_stops_early_on_a_period_without_orders(small_shop_dir: Path, tmp_path: Path) -> None:
    nb = run_notebook(NOTEBOOK, tmp_path / "06_stop.ipynb", data_dir=str(small_shop_dir), period_end="2030-01-31")
    text = output_text(nb)
    assert "⏹ No orders in 2030-01-04 .. 2030-01-31" in text
    assert image_count(nb) == 0
