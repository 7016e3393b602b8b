"""Notebook 07 runs end to end through papermill on the small sample shop, with and without its optional tables,
and on 20 days of data; it states the planted truth the small shop allows: list margins, the growing and
declining category, the market's share gainers and losers, the competitor's cut, and how wide the elasticities are.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from opslib.data import load_shop
from opslib.data import quality as dq
from opslib.reporting import read_summary
from tests.notebooks.helpers import image_count, output_text, run_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "07_industry_pricing_and_costs.ipynb"
NAME = "07_industry_pricing_and_costs"


def _run(data_dir: Path, out: Path, **params: object) -> nbformat.NotebookNode:
    return run_notebook(NOTEBOOK, out, data_dir=str(data_dir), **params)


@pytest.fixture(scope="module")
def full_run(small_shop_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    out = tmp_path_factory.mktemp("nb07")
    return _run(small_shop_dir, out / "07.ipynb", export_dir=str(out / "plan"))


@pytest.mark.notebook
def test_notebook_07_states_the_planted_truth(full_run: nbformat.NotebookNode, small_truth: dict) -> None:
    text = output_text(full_run)
    # list margins (1 - cost / list price of the units kept), per category, within 4 points of the planted ones
    for cat, v in small_truth["categories"].items():
        m = re.search(rf"^{cat}: list margin ([\d.]+)%", text, flags=re.M)
        assert m, f"no list margin line for {cat}"
        assert float(m.group(1)) / 100 == pytest.approx(v["margin"], abs=0.04), cat
    # the growing and the declining category, against the rest of the shop
    line = next(x for x in text.splitlines() if x.startswith("category share of units"))
    gaining, losing = line.split("gaining ")[1].split(";")[0], line.split("losing ")[1]
    assert small_truth["growing_category"] in gaining and small_truth["declining_category"] in losing
    # the market: who grows faster than its market, and the planted competitor cut
    planted = small_truth["market"]
    faster = next(x for x in text.splitlines() if x.startswith("growing faster than the market"))
    for cat in planted["gaining_share"]:
        assert cat in faster.split(";")[0], cat
    cut = planted["price_cut"]
    assert re.search(rf"competitor price cuts \(vs the market\): {cut['competitor']} {cut['category']} -1[0-4]%", text)
    # elasticities at this scale: honest about their width, none used for a decision
    assert "0 usable for price decisions" in text and "measured but not usable" in text
    assert "no category with a usable elasticity and costs: no price decision" in text
    # elasticities, cost waterfall, price bands, share trend, growth, market share, price index, plan; no profit
    # curve and no price war (no usable elasticity at this scale: they print why instead)
    assert image_count(full_run) == 8


@pytest.mark.notebook
def test_notebook_07_summary_and_the_exported_plan(full_run: nbformat.NotebookNode, tmp_path: Path) -> None:
    summary = read_summary(full_run)
    tiles = {t["metric"]: t for t in summary["tiles"]}
    assert {"gmv", "contribution", "losing_categories", "usable_elasticities"} <= set(tiles)
    assert tiles["usable_elasticities"]["raw"] == 0
    assert any(v.startswith("Share of the shop's units: gaining 母婴") for v in summary["verdicts"])
    assert any(a["owner"] == "供应链 supply chain" for a in summary["actions"])
    text = output_text(full_run)
    written = re.search(r"written: (\S+\.csv)", text)
    assert written, "the plan was not exported"
    plan = pd.read_csv(written.group(1))
    assert {"sku", "baseline_units", "expected_units", "shortfall", "order_by"} <= set(plan.columns)
    assert len(plan) == 2000


@pytest.mark.notebook
def test_notebook_07_without_its_optional_tables(small_shop_dir: Path, tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(small_shop_dir, shop)
    for table in ("market", "campaigns", "inventory"):
        (shop / f"{table}.parquet").unlink()
    nb = _run(shop, tmp_path / "07_bare.ipynb")
    text = output_text(nb)
    for table, what in dq.NOTEBOOK_NEEDS[NAME][1]:
        assert f"no {table} table in {shop} (market.csv, .parquet or .xlsx): skipping {what}".replace(
            "market.csv", f"{table}.csv") in text, table
    assert "skipping market share and the price index" in text
    assert "a hypothetical 10% cut" in text or "no category has both a usable elasticity" in text
    assert "no inventory table: the stock check is skipped" in text
    assert "no past festival campaign could be evaluated" in text


@pytest.mark.notebook
def test_notebook_07_on_twenty_days(small_shop_dir: Path, tmp_path: Path) -> None:
    from tests.notebooks.test_short_data import _cut

    data = _cut(small_shop_dir, tmp_path / "d20", 20)
    text = output_text(_run(data, tmp_path / "07_short.ipynb", period_days=28))
    notes = dq.history_notes(dq.order_days(load_shop(data)), NAME)
    readiness = dq.notebook_readiness(load_shop(data)).set_index("notebook").loc[NAME]
    assert notes and readiness["can_run"]
    for note in notes:
        assert note in text and note in readiness["skips"]
