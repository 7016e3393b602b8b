"""The pricing charts and tables (notebook 07) draw on tiny frames without warnings and read as documented."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from opslib import plotting, pricing  # noqa: E402
from opslib.plotting import Note  # noqa: E402
from opslib.plotting import pricing as pp  # noqa: E402
from opslib.reporting import ExecutiveSummary  # noqa: E402


@pytest.fixture(autouse=True)
def _strict():
    plotting.set_theme()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ResourceWarning)  # sockets other tests leaked, collected here
        yield
    plt.close("all")


ORDERS = pd.DataFrame({
    "order_id": ["o1", "o1", "o2", "o3"], "sku": ["a", "b", "a", "b"], "quantity": [1, 2, 1, 1],
    "unit_price": [80.0, 10.0, 100.0, 9.0], "list_price": [100.0, 10.0, 100.0, 10.0],
    "status": ["completed", "returned", "completed", "completed"], "campaign_id": None,
    "order_ts": pd.to_datetime(["2024-05-02", "2024-05-02", "2024-05-03", "2024-05-20"])})
PRODUCTS = pd.DataFrame({"sku": ["a", "b"], "category": ["美妆", "食品"], "unit_cost": [40.0, 5.0]})


def _review(elasticity: list[float], usable: list[bool]) -> pricing.ElasticityReview:
    t = pd.DataFrame({"category": ["美妆", "食品"], "elasticity": elasticity, "low": np.array(elasticity) - 0.2,
                      "high": np.array(elasticity) + 0.2, "n_skus": [10, 2], "units_share": [0.5, 0.1],
                      "note": ["", ""]})
    t = pricing.usable_elasticities(t)
    t["usable"] = usable
    return pricing.ElasticityReview("category", t, None, None, 0.95, 0.5)


def test_elasticity_chart_and_table() -> None:
    r = _review([-1.8, -0.9], [True, False])
    fig = pp.elasticity_chart(r, truth={"美妆": -1.8, "食品": -1.0})
    assert isinstance(fig, Figure) and [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["美妆", "食品"]
    table = pp.elasticity_table(r)
    assert table["可用 usable"].tolist() == ["✓", ""]
    empty = _review([np.nan, np.nan], [False, False])
    assert pp.elasticity_chart(empty) is None


def test_decisions_table_and_profit_curves() -> None:
    el = pd.DataFrame({"category": ["美妆"], "elasticity": [-2.0]})
    pr = pd.DataFrame({"category": ["美妆"], "revenue": [1000.0], "cogs": [600.0], "list_value": [1250.0],
                       "cost_ratio": [0.6]})
    d = pricing.price_decisions(el, pr)
    t = pp.decisions_table(d)
    assert t["调价 price move"].iloc[0] == "+15.0%"  # k* = 1.2 bounded at +15%
    fig = pp.profit_curves_chart(d)
    assert "美妆" in fig.axes[0].get_title()
    none = pricing.price_decisions(el.iloc[0:0], pr)
    assert isinstance(pp.decisions_table(none), Note) and pp.profit_curves_chart(none) is None


def test_cost_charts_and_tables() -> None:
    cs = pricing.cost_structure(ORDERS, PRODUCTS, ("2024-05-01", "2024-05-31"))
    fig = pp.cost_waterfall_chart(cs)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert len(labels) == len(pricing.STEPS) and labels[6].endswith("*")  # freight: an assumed rate
    assert isinstance(pp.cost_waterfall_chart(cs, group="美妆", per_order=True), Figure)
    t = pp.cost_table(cs)
    assert t["category"].tolist()[0] == "美妆" and t["赚钱 makes money"].iloc[0] == "✓"
    steps = pp.cost_steps_table(cs)
    assert steps["来源 source"].iloc[6] == "assumed (default)"
    bands = pp.order_bands_table(cs)
    assert bands["订单 orders"].tolist() == ["1", "1", "1"][: len(bands)]
    assert pp.rates_table(cs.rates)["值 value"].iloc[0] == "5.00%"


def test_structure_charts_and_tables() -> None:
    now = pd.DataFrame({"sku": list("abcd"), "category": "美妆", "avg_price": [10.0, 20.0, 30.0, 50.0],
                        "units": [5, 4, 3, 1], "gmv": [50.0, 80.0, 90.0, 50.0], "net_sales": [50.0, 80.0, 90.0, 50.0],
                        "gross_margin": [5.0, 30.0, 40.0, 20.0]})
    before = now.assign(units=[8, 4, 1, 1], gmv=[80.0, 80.0, 30.0, 50.0])
    mix = pricing.price_band_mix(now, before, bands=2)
    assert isinstance(pp.price_band_mix_chart(mix), Figure)
    assert pp.price_band_mix_table(mix)["变化 shift"].iloc[0].endswith(" pt")
    roles = pricing.sku_roles(now.assign(margin_rate=now["gross_margin"] / now["net_sales"]))
    t = pp.roles_table(roles)
    assert t["角色 role"].iloc[0] == "引流款" and "median" in t.attrs["rule"]
    new = pd.DataFrame(columns=["category"])
    new.attrs["reason"] = "products.launch_date is empty"
    assert isinstance(pp.new_products_table(new), Note)
    tail = pricing.long_tail(now)
    assert pp.long_tail_table(tail)["长尾 tail SKUs"].tolist() == ["3", "3"]


def test_trend_charts_and_tables() -> None:
    days = pd.date_range("2024-01-01", periods=28)
    cube = pd.DataFrame({"date": days.repeat(2), "sku": ["a", "b"] * 28, "units": [10, 3] * 28,
                         "gmv": [100.0, 30.0] * 28, "category": ["x", "y"] * 28})
    cube.loc[(cube["date"] >= "2024-01-15") & (cube["sku"] == "a"), "units"] = 20
    g = pricing.growth_table(cube, ("2024-01-15", "2024-01-28"), ("2024-01-01", "2024-01-14"), level="category")
    assert isinstance(g.plot(), Figure)
    assert pp.growth_significance_table(g)["direction"].tolist() == ["rising"]
    flat = pricing.growth_table(cube.assign(units=5), ("2024-01-15", "2024-01-28"), ("2024-01-01", "2024-01-14"),
                                level="category")
    assert isinstance(pp.growth_significance_table(flat), Note)
    long = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=140).repeat(2), "sku": ["a", "b"] * 140,
                         "category": ["x", "y"] * 140, "units": np.tile([10, 5], 140) + np.repeat(np.arange(140) // 14, 2)})
    st = pricing.share_trend(long)
    assert isinstance(pp.share_trend_chart(st), Figure)
    assert pp.share_trend_table(st)["direction"].tolist()[0] in ("gaining", "losing", "steady")


def _market() -> pd.DataFrame:
    rows = []
    for start, end, m_price, a_price in (("2023-05-01", "2023-05-31", 100.0, 95.0),
                                         ("2024-04-01", "2024-04-30", 100.0, 95.0),
                                         ("2024-05-01", "2024-05-31", 100.0, 80.0)):
        rows += [(start, end, "美妆", None, None, None, 100 * m_price, 100.0),
                 (start, end, "美妆", None, 0.0, 90.0, 40 * 50.0, 40.0),
                 (start, end, "美妆", None, 90.0, 500.0, 60 * 120.0, 60.0),
                 (start, end, "美妆", "竞店A", None, None, 10 * a_price, 10.0)]
    m = pd.DataFrame(rows, columns=["period_start", "period_end", "category", "competitor", "price_min", "price_max",
                                    "gmv", "units"])
    m[["period_start", "period_end"]] = m[["period_start", "period_end"]].apply(pd.to_datetime)
    m["avg_price"] = m["gmv"] / m["units"]
    return m


def test_market_charts_and_tables_with_and_without_a_market_table() -> None:
    cube = pd.DataFrame({"date": pd.to_datetime(["2023-05-01", "2023-05-10", "2024-04-01", "2024-05-10", "2024-05-31"]),
                         "sku": "a", "category": "美妆", "units": 1, "gmv": [50.0, 50.0, 80.0, 120.0, 10.0]})
    skus = pd.DataFrame({"sku": ["a"], "category": ["美妆"], "units": [2], "gmv": [130.0], "avg_price": [65.0]})
    from opslib.calendar import Period

    scope = type("S", (), {"cube": cube, "skus": skus, "category": None,
                           "current": Period("2024-05-01", "2024-05-31")})()
    el = pd.DataFrame({"category": ["美妆"], "elasticity": [-2.0]})
    pr = pd.DataFrame({"category": ["美妆"], "revenue": [130.0], "units": [2.0], "cost_ratio": [0.5]})
    mkt = pricing.market_review(scope, _market(), el, pr)
    assert isinstance(pp.market_share_chart(mkt), Figure)
    assert pp.market_share_table(mkt)["份额 share"].iloc[0] == "1.3%"  # 130 / 10,000
    assert isinstance(pp.price_index_chart(mkt), Figure)
    # 65 / 50 in the [0, 90) band; the shop sells nothing in [90, 500)
    assert pp.price_index_table(mkt, "band")["指数 index"].tolist() == ["1.30", "–"]
    assert pp.moves_table(mkt)["降价 cut"].tolist() == ["✓"]  # 95 -> 80 against a flat market
    assert pp.price_war_table(mkt.war)["category"].tolist() == ["美妆"]
    assert isinstance(pp.price_war_chart(mkt.war), Figure)
    none = pricing.market_review(scope, None, el, pr, skip_message="no market table in x")
    assert pp.market_share_chart(none) is None and pp.price_index_chart(none) is None
    assert str(pp.market_share_table(none)) == "no market table in x"
    assert pp.price_war_table(none.war)["competitor"].tolist() == ["(hypothetical)"]


def test_plan_chart_tables_and_the_summary() -> None:
    days = pd.date_range("2024-04-01", "2024-05-31")
    cube = pd.DataFrame({"date": days, "sku": "a", "category": "美妆", "units": 10, "gmv": 1000.0,
                         "list_value": 1000.0})
    prod = pd.DataFrame({"sku": ["a"], "category": ["美妆"], "unit_cost": [50.0], "list_price": [100.0]})
    inv = pd.DataFrame({"date": pd.to_datetime(["2024-05-31"]), "sku": ["a"], "on_hand": [100], "inbound": [0]})
    plan = pricing.plan_campaign(cube, prod, pricing.CampaignPlan(pd.Timestamp("2024-06-10"), pd.Timestamp("2024-06-12"),
                                                                   discount_depth=0.2, marketing_spend=500.0),
                                 elasticities=pd.DataFrame({"category": ["美妆"], "elasticity": [-2.0]}), inventory=inv)
    assert isinstance(plan.plot(), Figure)
    t = pp.plan_table(plan).set_index("指标 metric")
    assert t.loc["预计成交额 GMV", "计划 plan"] == "¥3,750" and t.loc["ROI", "计划 plan"] == "-118.8%"
    assert pp.plan_category_table(plan)["计划 plan"].tolist() == ["47"]
    assert pp.stock_table(plan)["缺口 short"].tolist() == ["49"]
    summary = ExecutiveSummary("07")
    scope = type("S", (), {"skus": pd.DataFrame({"gmv": [100.0]})})()
    cs = pricing.cost_structure(ORDERS, PRODUCTS, ("2024-05-01", "2024-05-31"))
    pp.summarise_pricing(summary, scope, _review([-1.8, -0.9], [True, False]), cs, plan=plan)
    text = summary.text()
    assert "可用弹性 usable elasticities: 1 of 2" in text and "供应链 supply chain" in text
