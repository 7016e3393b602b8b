"""Campaign planning: baseline, price effect, past lift, pull-forward, money and stock by hand; backtests of the
sample shop's planted campaigns.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from opslib.errors import PricingError
from opslib.pricing import CampaignPlan, campaign_plan, plan_campaign

DAYS = pd.date_range("2024-04-01", "2024-05-31")
CUBE = pd.DataFrame({"date": DAYS, "sku": "a", "category": "美妆", "units": 10, "gmv": 1000.0, "list_value": 1000.0})
PRODUCTS = pd.DataFrame({"sku": ["a"], "category": ["美妆"], "unit_cost": [50.0], "list_price": [100.0]})
PLAN = CampaignPlan(pd.Timestamp("2024-06-10"), pd.Timestamp("2024-06-12"), discount_depth=0.2)
EL = pd.DataFrame({"category": ["美妆"], "elasticity": [-2.0], "low": [-2.5], "high": [-1.5]})


def _past(uplifts: list[float], ratio: float = 0.8, pf_days: float = 1.0, spend: float = 300.0) -> pd.DataFrame:
    return pd.DataFrame({"campaign_id": [f"C{i}" for i in range(len(uplifts))], "uplift": uplifts,
                         "price_ratio": ratio, "pull_forward_days": pf_days, "spend": spend, "days": 3})


def test_price_effect_times_the_lift_beyond_the_price() -> None:
    # baseline 10 a day x 3 = 30; price 80 / 100 -> 0.8^-2 = 1.5625. The past campaign sold 2.0x at a price
    # ratio of 0.8, of which 1.5625 was the price: the lift beyond the price is T = 2 / 1.5625 = 1.28.
    # Plan: 30 x 1.5625 x 1.28 = 60 units. Pull-forward 1 day of baseline = 10 units; spend 300 / 3 x 3 = 300.
    res = plan_campaign(CUBE, PRODUCTS, PLAN, elasticities=EL, past=_past([2.0]))
    v = res.summary().set_index("metric")
    assert res.traffic[0] == pytest.approx(1.28)
    assert v.loc["expected_units", "plan"] == pytest.approx(60.0)
    assert v.loc["pull_forward_units", "plan"] == pytest.approx(10.0)
    assert v.loc["marketing_spend", "plan"] == pytest.approx(300.0)
    # money (opslib.campaigns.campaign_money): GMV 60 x 80 = 4,800; incremental margin (4,800 - 60 x 50) - 30 x 50
    # = 300; pull-forward margin 10 x 50 = 500; net 300 - 500 - 300 = -500; ROI -500 / 300
    assert v.loc["gmv", "plan"] == pytest.approx(4800.0)
    assert v.loc["incremental_margin", "plan"] == pytest.approx(300.0)
    assert v.loc["net_profit", "plan"] == pytest.approx(-500.0)
    assert v.loc["roi", "plan"] == pytest.approx(-500 / 300)
    # range: e at -2.5 .. -1.5 (T fixed at 1.28): 30 x 0.8^-1.5 x 1.28 = 53.67 .. 30 x 0.8^-2.5 x 1.28 = 67.08
    assert v.loc["expected_units", "low"] == pytest.approx(30 * 0.8 ** -1.5 * 1.28)
    assert v.loc["expected_units", "high"] == pytest.approx(30 * 0.8 ** -2.5 * 1.28)


def test_without_an_elasticity_the_past_lift_is_taken_as_it_was() -> None:
    # uplifts 1.5, 2.0, 2.5: median 2 -> 60 units, range 45 .. 75, and the plan says so
    res = plan_campaign(CUBE, PRODUCTS, PLAN, past=_past([1.5, 2.0, 2.5]))
    v = res.summary().set_index("metric").loc["expected_units"]
    assert (v["plan"], v["low"], v["high"]) == pytest.approx((60.0, 45.0, 75.0))
    assert res.method == "past campaigns' lift" and any("as it was" in n for n in res.notes)
    # neither: only the price effect
    only = plan_campaign(CUBE, PRODUCTS, PLAN, elasticities=EL, past=_past([]))
    assert only.value("expected_units") == pytest.approx(30 * 0.8 ** -2)


def test_campaign_days_stay_out_of_the_baseline() -> None:
    # a campaign on 20-22 May sold 50 a day; with its days and the 7 after it left out, the baseline is 10 a day
    cube = CUBE.copy()
    cube.loc[cube["date"].between("2024-05-20", "2024-05-22"), "units"] = 50
    camps = pd.DataFrame({"campaign_id": ["X"], "kind": ["flash_sale"], "start": pd.to_datetime(["2024-05-20"]),
                          "end": pd.to_datetime(["2024-05-22"]), "marketing_spend": [0.0], "name": ["x"],
                          "discount_depth": [0.3], "scope_type": ["all"], "scope": [None]})
    res = plan_campaign(cube, PRODUCTS, PLAN, campaigns=camps, elasticities=EL)
    assert res.value("baseline_units") == pytest.approx(30.0)


def test_stock_needed_by_hand() -> None:
    # on hand 100 on 31 May; 9 days until the start (1-9 June) at 10 a day: 10 left at the start. The plan needs
    # 30 x 1.5625 = 46.875 + safety 1.6449 x sqrt(46.875) = 11.26 -> 58.14: short 49 (ceil), to order by
    # 10 June - 14 days = 27 May, before 1 June: too late.
    inv = pd.DataFrame({"date": pd.to_datetime(["2024-05-31"]), "sku": ["a"], "on_hand": [100], "inbound": [0]})
    res = plan_campaign(CUBE, PRODUCTS, PLAN, elasticities=EL, inventory=inv, past=_past([]))
    s = res.stock.iloc[0]
    assert s["stock_at_start"] == pytest.approx(10.0)
    assert s["safety_stock"] == pytest.approx(1.6448536 * math.sqrt(46.875), rel=1e-6)
    assert s["shortfall"] == math.ceil(46.875 + 1.6448536 * math.sqrt(46.875) - 10)
    assert s["order_by"] == pd.Timestamp("2024-05-27") and s["status"].startswith("too late")
    # with a 7-day lead time there is time: order by 3 June
    late = plan_campaign(CUBE, PRODUCTS, PLAN, elasticities=EL, inventory=inv, past=_past([]), lead_time_days=7)
    assert late.stock.iloc[0]["status"] == f"order {s['shortfall']} by 2024-06-03"
    assert plan_campaign(CUBE, PRODUCTS, PLAN, elasticities=EL).stock_reason.startswith("no inventory")


def test_plan_parameters_and_mistakes() -> None:
    p = campaign_plan("2025-12-31", start="2026-06-01", days=18, scope="sku:SKU1|SKU2", discount_depth=0.18)
    assert (p.days, p.scope_type, p.scope) == (18, "sku", ("SKU1", "SKU2"))
    with pytest.raises(PricingError, match="expected 'all'"):
        campaign_plan("2025-12-31", scope="美妆")
    with pytest.raises(PricingError, match="discount_depth"):
        CampaignPlan(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-02"), discount_depth=1.2)
    with pytest.raises(PricingError, match="not in products"):
        plan_campaign(CUBE, PRODUCTS, campaign_plan("2024-05-31", scope="category:家电"))


@pytest.mark.parametrize("k", [1e-3, 7.0, 1e3])
def test_money_scales_and_units_do_not(k: float) -> None:
    cube = CUBE.assign(gmv=CUBE["gmv"] * k, list_value=CUBE["list_value"] * k)
    prod = PRODUCTS.assign(unit_cost=PRODUCTS["unit_cost"] * k, list_price=PRODUCTS["list_price"] * k)
    base = plan_campaign(CUBE, PRODUCTS, PLAN, elasticities=EL, past=_past([2.0])).summary().set_index("metric")
    other = plan_campaign(cube, prod, PLAN, elasticities=EL,
                          past=_past([2.0], spend=300.0 * k)).summary().set_index("metric")
    for m in ("expected_units", "pull_forward_units", "roi"):
        assert other.loc[m, "plan"] == pytest.approx(base.loc[m, "plan"], rel=1e-9)
    for m in ("gmv", "incremental_margin", "net_profit"):
        assert other.loc[m, "plan"] == pytest.approx(base.loc[m, "plan"] * k, rel=1e-9)


# ----------------------------------------------------------------------------- planted truth


@pytest.mark.parametrize("campaign_id", ["CMP_2025_618", "CMP_2025_1111", "CMP_2025_1212"])
def test_backtest_of_the_planted_festivals(small_shop_dir: Path, small_truth: dict, campaign_id: str) -> None:
    # Plan each 2025 festival from the data before it (its own dates, depth and spend) and compare with what was
    # planted: truth baseline_units (expected without the campaign) and baseline + uplift (expected with it).
    # No elasticity at this scale: the plan takes the past festivals' lift.
    from opslib.data import daily_sku

    d = small_shop_dir
    products = pd.read_parquet(d / "products.parquet")
    campaigns = pd.read_parquet(d / "campaigns.parquet")
    c = campaigns.set_index("campaign_id").loc[campaign_id]
    plan = CampaignPlan(c["start"], c["end"], kind=c["kind"], discount_depth=c["discount_depth"],
                        marketing_spend=c["marketing_spend"], name=campaign_id)
    res = plan_campaign(daily_sku(d / "orders.parquet", products), products, plan, campaigns=campaigns)
    t = small_truth["campaigns"][campaign_id]
    assert res.as_of == c["start"] - pd.Timedelta(days=1)
    assert res.value("baseline_units") == pytest.approx(t["baseline_units"], rel=0.10)
    assert res.value("expected_units") == pytest.approx(t["baseline_units"] + t["uplift_units"], rel=0.20)
    assert len(res.past) == 4 and res.past["uplift"].notna().all()
