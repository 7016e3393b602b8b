"""Notebook 03 runs end to end on the small shop (papermill), shows the planted effects, and says what it skips."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from tests.notebooks.helpers import image_count, output_text, run_notebook

ROOT = Path(__file__).resolve().parents[2]
NB = ROOT / "notebooks" / "03_trend_forecasting.ipynb"
FAST = {"max_skus": 8, "full_skus": 4, "backtest_windows": 2, "horizon_weeks": 4, "n_jobs": 2}


def test_notebook_03_is_committed_clean() -> None:
    nb = json.loads(NB.read_text(encoding="utf-8"))
    assert "parameters" in nb["cells"][0]["metadata"].get("tags", [])
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def _cell_text(nb: nbformat.NotebookNode, needle: str) -> str:
    """The text/plain result of the code cell whose source contains ``needle``."""
    cell = next(c for c in nb.cells if c.cell_type == "code" and needle in c.source)
    return "\n".join(o["data"]["text/plain"] for o in cell.outputs if "data" in o and "text/plain" in o["data"])


def _column(table: str, column: str) -> list[str]:
    """The values of ``column`` in a printed DataFrame (pandas wraps wide frames into blocks)."""
    lines = table.splitlines()
    for i, line in enumerate(lines):
        header = line.rstrip(" \\").split()
        if column in header:
            pos = header.index(column)
            values = []
            for row in lines[i + 1:]:
                parts = row.rstrip(" \\").split()
                if not parts or not parts[0].isdigit() or len(parts) != len(header) + 1:
                    break
                values.append(parts[pos + 1])
            return values
    raise AssertionError(f"no column {column!r} in:\n{table}")


@pytest.mark.notebook
def test_notebook_03_runs_and_shows_the_planted_effects(small_shop_dir: Path, small_truth: dict, tmp_path: Path) -> None:
    growing = small_truth["growing_category"]  # 母婴: planted trend +26% a year
    nb = run_notebook(NB, tmp_path / "03.ipynb", data_dir=str(small_shop_dir), level="category", category=growing,
                      **FAST)
    text = output_text(nb)
    assert "SKUs to order this week" in text
    # the order list's split: the 4 best sellers by auto, the other 4 by ETS alone, and the report says so
    assert "Order list: 4 best sellers forecast with auto (backtested bands), the next 4 with ETS alone" in text
    assert image_count(nb) == 5  # decomposition, calendar effects, backtest, forecast, weeks of cover
    # planted Spring Festival dip (depth 0.45 in truth.json): the CNY week sells less than an ordinary week
    assert small_truth["seasonality"]["cny"][0]["depth"] > 0
    effects = _cell_text(nb, "calendar_effects_table")
    cny = next(line.split() for line in effects.splitlines() if "春节当周" in line)
    assert cny[cny.index("春节当周") + 2].startswith("-"), cny
    # the leaderboard and the forecast table say what ran
    board = _cell_text(nb, "leaderboard_table")
    assert "used" in board and "fell_back" in board
    assert "auto:" in _cell_text(nb, "forecast_models_table")
    # planted growth (+26% a year): the latest trend segment of the growing category rises
    growth = _column(_cell_text(nb, "trend_segments_table"), "growth_per_year")
    assert growth and growth[-1].startswith("+"), growth


@pytest.mark.notebook
def test_notebook_03_without_inventory_keeps_targets(small_shop_dir: Path, tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(small_shop_dir, shop)
    (shop / "inventory.parquet").unlink()
    nb = run_notebook(NB, tmp_path / "03_no_inv.ipynb", data_dir=str(shop), level="total", category=None, **FAST)
    text = output_text(nb)
    assert "no inventory table in" in text and "skipping weeks of cover and the suggested order list" in text
    assert "no inventory table: safety stock and reorder points only" in text
    assert "SKUs to order this week" not in text
    assert image_count(nb) == 4  # no weeks-of-cover chart


@pytest.mark.notebook
def test_notebook_03_stops_early_on_an_unknown_category(small_shop_dir: Path, tmp_path: Path) -> None:
    nb = run_notebook(NB, tmp_path / "03_bad.ipynb", data_dir=str(small_shop_dir), category="不存在", **FAST)
    text = output_text(nb)
    assert "no sales for category '不存在'" in text and "categories with sales:" in text
    assert image_count(nb) == 0
    executed = [c for c in nbformat.read(tmp_path / "03_bad.ipynb", as_version=4).cells if c.cell_type == "code"]
    assert not any("Traceback" in str(c.get("outputs", "")) for c in executed)
