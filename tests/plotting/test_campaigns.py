"""Campaign charts and display tables draw on tiny frames, with warnings as errors, in the shop's currency."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from opslib import campaigns as cp  # noqa: E402
from opslib import plotting  # noqa: E402
from opslib.plotting import campaigns as charts  # noqa: E402


@pytest.fixture(autouse=True)
def _strict():
    plotting.set_theme()  # the CJK font: a missing glyph warns, and warnings are errors here
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ResourceWarning)  # sockets other tests leaked, collected here
        warnings.filterwarnings("ignore", message=".*dayofweek is deprecated.*")  # opslib.calendar, not ours
        yield
    plt.close("all")
    plotting.set_currency("CNY")


def _evaluation() -> cp.CampaignEvaluation:
    rng = np.random.default_rng(1)
    dates = pd.date_range("2024-01-01", periods=100)
    rows = []
    for sku, cat, sub, lam in [("A", "x", "x1", 30), ("B", "x", "x1", 30), ("C", "y", "y1", 60)]:
        u = rng.poisson(lam, len(dates)).astype(float)
        if sku == "A":
            u[(dates >= "2024-03-20") & (dates <= "2024-03-22")] += 20
        rows.append(pd.DataFrame({"date": dates, "sku": sku, "category": cat, "subcategory": sub, "units": u,
                                  "units_net": u, "orders": u, "gmv": u * 10, "list_value": u * 12, "cost": u * 6}))
    prod = pd.DataFrame({"sku": ["A", "B", "C"], "category": ["x", "x", "y"], "subcategory": ["x1", "x1", "y1"],
                         "unit_cost": 6.0})
    camps = pd.DataFrame([{"campaign_id": "T", "name": "toy", "kind": "flash_sale", "start": pd.Timestamp("2024-03-20"),
                           "end": pd.Timestamp("2024-03-22"), "discount_depth": 0.2, "scope_type": "sku",
                           "scope": "A", "marketing_spend": 100.0}])
    return cp.evaluate_campaign(pd.concat(rows, ignore_index=True), camps, prod, "T", halo=False, calendar=False)


EV = None


def _ev() -> cp.CampaignEvaluation:
    global EV
    if EV is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            EV = _evaluation()
    return EV


def test_charts_return_figures():
    ev = _ev()
    for fig in (ev.plot(), ev.plot_did(), ev.money.plot(), ev.impact.plot(ev.periods["window"])):
        assert isinstance(fig, Figure)
    ov = cp.CampaignOverview(table=ev.summary().assign(problem="", rank=1), ranked_by="incremental_margin")
    assert isinstance(ov.plot(), Figure)


def test_nothing_to_draw_is_said_not_drawn(capsys: pytest.CaptureFixture[str]):
    m = cp.campaign_money(100, 8000, 60, 100, None, marketing_spend=1000)
    assert charts.money_waterfall(m) is None
    assert "money waterfall skipped" in capsys.readouterr().out
    empty = cp.CampaignOverview(table=pd.DataFrame({"campaign_id": ["X"], "problem": ["too short"],
                                                    "incremental_margin": [np.nan]}), ranked_by="incremental_margin")
    assert charts.overview_chart(empty) is None


def test_tables_are_text_in_the_shop_currency():
    ev = _ev()
    plotting.set_currency("GBP")
    money = charts.money_table(ev.money)
    text = " ".join(money.astype(str).to_numpy().ravel())
    assert "£" in text and "¥" not in text and "e+" not in text
    for t in (charts.estimates_table(ev), charts.effects_table(ev), charts.side_effects_table(ev),
              charts.did_table(ev), charts.overlaps_table(ev), charts.buyers_table(ev), charts.notes_table(ev.notes)):
        assert isinstance(t, pd.DataFrame) and len(t)
        assert all(isinstance(v, str) for v in t.to_numpy().ravel())


def test_unknown_cost_reads_unknown_in_tables():
    m = cp.campaign_money(100, 8000, 60, 100, None, marketing_spend=1000)
    t = charts.money_table(m).set_index("指标 figure")
    assert t.loc["净利润 net profit", "金额 value"] == "unknown (no cost data)"
    assert t.loc["增量成交额 incremental GMV", "金额 value"] == "¥2,000"
    ov_table = pd.DataFrame({"rank": [1], "campaign_id": ["X"], "name": ["x"], "incremental_units": [40.0],
                             "incremental_gmv": [2000.0], "incremental_margin": [np.nan], "net_profit": [np.nan],
                             "roi": [np.nan], "incremental_roas": [2.0], "marketing_spend": [1000.0], "problem": [""]})
    shown = charts.overview_table(cp.CampaignOverview(ov_table, "incremental_gmv"))
    assert shown.loc[0, "增量毛利 margin"] == "unknown (no cost data)" and shown.loc[0, "roi"] == "unknown (no cost data)"


def test_ab_table():
    t = charts.ab_table(cp.ab_example(0.10))
    assert "14,745" in " ".join(t["值 value"]) and t["项目 item"].str.contains("Holm").any()
