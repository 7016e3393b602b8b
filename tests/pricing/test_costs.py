"""Cost structure: the waterfall by hand, costs.yml, invariants, the sample shop's planted margins and returns,
and Superstore's own profit figures.

Expected values come from arithmetic in the comments, the sample shop's truth.json or the source file's totals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslib.errors import CostsError
from opslib.pricing import CostRates, cost_structure, default_costs, read_costs

PERIOD = ("2024-05-01", "2024-05-31")


def _orders(extra: dict | None = None) -> pd.DataFrame:
    o = pd.DataFrame({
        "order_id": ["o1", "o1", "o2"], "sku": ["a", "b", "a"], "quantity": [1, 2, 1],
        "unit_price": [80.0, 10.0, 100.0], "list_price": [100.0, 10.0, 100.0],
        "status": ["completed", "returned", "completed"], "campaign_id": [None, None, "C1"],
        "order_ts": pd.to_datetime(["2024-05-02 10:00", "2024-05-02 10:00", "2024-05-03 12:00"])})
    return o.assign(**(extra or {}))


PRODUCTS = pd.DataFrame({"sku": ["a", "b"], "category": ["美妆", "食品"], "unit_cost": [40.0, 5.0]})
CAMPAIGNS = pd.DataFrame({"campaign_id": ["C1"], "start": pd.to_datetime(["2024-05-03"]),
                          "end": pd.to_datetime(["2024-05-05"]), "marketing_spend": [300.0]})
RATES = CostRates(commission_rate=0.05, commission_by_category={"美妆": 0.02}, payment_fee_rate=0.01,
                  freight_per_order=6.0, return_freight_per_line=10.0, return_writeoff_rate=0.5, marketing_rate=0.1)


def test_every_step_of_the_waterfall_by_hand() -> None:
    cs = cost_structure(_orders(), PRODUCTS, PERIOD, rates=RATES, campaigns=CAMPAIGNS)
    t = cs.table.set_index("category")
    # 美妆: list 100 + 100 = 200, GMV 80 + 100 = 180, nothing returned, COGS 40 + 40 = 80;
    # freight: o1's parcel shared by GMV (80 of 100) = 4.8, o2's whole parcel 6 -> 10.8;
    # commission 2% (override) x 180 = 3.6; fees 1% x 180 = 1.8; marketing 10% x 180 + C1's 300 (all of it in
    # the period, on o2's line) = 318; contribution 180 - 80 - 10.8 - 3.6 - 1.8 - 318 = -234.2
    m = t.loc["美妆"]
    assert (m["list_value"], m["gmv"], m["net_sales"], m["cogs"]) == pytest.approx((200, 180, 180, 80))
    assert (m["freight"], m["commission"], m["payment_fees"], m["marketing"]) == pytest.approx((10.8, 3.6, 1.8, 318))
    assert m["contribution"] == pytest.approx(-234.2)
    assert m["orders"] == pytest.approx(1.8)
    # 食品: GMV 20, all returned: net sales 0; COGS = write-off 50% x 2 x 5 = 5; freight 6 x 20/100 + 10 (return)
    # = 11.2; commission 5% x 0; fees 1% x 20 = 0.2; marketing 10% x 20 = 2 -> contribution -18.4
    f = t.loc["食品"]
    assert (f["returns"], f["net_sales"], f["cogs"], f["freight"]) == pytest.approx((20, 0, 5, 11.2))
    assert (f["commission"], f["payment_fees"], f["marketing"], f["contribution"]) == pytest.approx((0, 0.2, 2, -18.4))
    # the whole scope: 2 orders; per order contribution (-234.2 - 18.4) / 2
    shop = cs.steps(per_order=True).set_index("step")["amount"]
    assert shop["contribution"] == pytest.approx((-234.2 - 18.4) / 2)
    assert cs.losers() == ["美妆", "食品"]
    # list margin: kept lines with a cost, 1 - 80 / 200
    assert m["list_margin"] == pytest.approx(0.6)


def test_cost_fields_on_the_lines_replace_the_rates_where_filled() -> None:
    # freight_cost on o1's two lines only: 3 + 1 (+ nothing else: the field replaces the whole freight rule),
    # o2's line falls back to the rate (a whole parcel, 6).
    o = _orders({"freight_cost": [3.0, 1.0, None]})
    cs = cost_structure(o, PRODUCTS, PERIOD, rates=RATES)
    t = cs.table.set_index("category")
    assert t.loc["美妆", "freight"] == pytest.approx(3 + 6)
    assert t.loc["食品", "freight"] == pytest.approx(1)
    assert cs.sources["freight"].startswith("orders.freight_cost (67% of lines)")


def test_only_the_part_of_a_campaign_inside_the_period_is_charged() -> None:
    # a 10-day campaign, 5 of its days in May: half its 1,000 spend falls on the period
    camp = CAMPAIGNS.assign(start=pd.to_datetime(["2024-05-27"]), end=pd.to_datetime(["2024-06-05"]),
                            marketing_spend=[1000.0])
    rates = CostRates(marketing_rate=0.0)
    cs = cost_structure(_orders(), PRODUCTS, PERIOD, rates=rates, campaigns=camp)
    assert cs.table.set_index("category").loc["美妆", "marketing"] == pytest.approx(500.0)


def test_order_bands_show_small_orders_losing_money() -> None:
    # two orders of GMV 100 each (ties go by order id: o1 in band 1, o2 in band 2).
    # o1: line a 80 - 40 - 4.8 - 1.6 - 0.8 - 8 = 24.8, line b -18.4 (above): +6.4, makes money;
    # o2: 100 - 40 - 6 - 2 - 1 - 10 - 300 (C1's spend) = -259, loses money.
    cs = cost_structure(_orders(), PRODUCTS, PERIOD, rates=RATES, campaigns=CAMPAIGNS, bands=2)
    b = cs.order_bands()
    assert b["orders"].tolist() == [1.0, 1.0]
    assert b["contribution_per_order"].tolist() == pytest.approx([6.4, -259.0])
    assert b["loss_share"].tolist() == [0.0, 1.0]


def test_costs_yml_rates_assumed_keys_and_mistakes(tmp_path: Path) -> None:
    (tmp_path / "costs.yml").write_text("commission_rate: 0.03\ncommission_by_category: {数码: 0.02}\n"
                                        "freight_rate: 0.04\n", encoding="utf-8")
    r = read_costs(tmp_path)
    assert (r.commission_for("数码"), r.commission_for("美妆"), r.freight_rate, r.freight_per_order) == (0.02, 0.03, 0.04,
                                                                                                      None)
    assert "freight_per_order" not in r.assumed and "payment_fee_rate" in r.assumed
    assert read_costs(tmp_path / "missing").assumed == default_costs().assumed  # no file: all assumed
    for text, match in (("comission_rate: 0.1\n", "unknown key"), ("payment_fee_rate: 6\n", "between 0 and 1"),
                        ("freight_per_order: 5\nfreight_rate: 0.05\n", "not both"),
                        ("freight_per_order: -1\n", "amount >= 0")):
        (tmp_path / "costs.yml").write_text(text, encoding="utf-8")
        with pytest.raises(CostsError, match=match):
            read_costs(tmp_path)


@settings(max_examples=25, deadline=None)
@given(k=st.sampled_from([1e-3, 0.37, 7.0, 1e3]))
def test_money_scales_with_prices_costs_and_amounts(k: float) -> None:
    o = _orders()
    o[["unit_price", "list_price"]] *= k
    p = PRODUCTS.assign(unit_cost=PRODUCTS["unit_cost"] * k)
    rates = CostRates(commission_rate=0.05, commission_by_category={"美妆": 0.02}, payment_fee_rate=0.01,
                      freight_per_order=6.0 * k, return_freight_per_line=10.0 * k, return_writeoff_rate=0.5,
                      marketing_rate=0.1)
    base = cost_structure(_orders(), PRODUCTS, PERIOD, rates=RATES, campaigns=CAMPAIGNS).table
    scaled = cost_structure(o, p, PERIOD, rates=rates, campaigns=CAMPAIGNS.assign(marketing_spend=300.0 * k)).table
    for col in ("gmv", "cogs", "freight", "commission", "marketing", "contribution"):
        assert scaled[col].to_numpy() == pytest.approx(base[col].to_numpy() * k, rel=1e-9)
    assert scaled["contribution_rate"].to_numpy() == pytest.approx(base["contribution_rate"].to_numpy(), rel=1e-9,
                                                                   nan_ok=True)


# ----------------------------------------------------------------------------- planted truth


def test_returns_and_list_margins_match_the_planted_ones(small_shop_dir: Path, small_truth: dict) -> None:
    d = small_shop_dir
    cs = cost_structure(d / "orders.parquet", d / "products.parquet", (small_truth["start"], small_truth["end"]))
    t = cs.table.set_index("category")
    for cat, v in small_truth["categories"].items():
        # returned GMV / GMV: lines are returned with the planted probability (independent of price), ~1,000-6,000
        # lines per category over three years: binomial sd <= 0.012
        assert t.loc[cat, "returns"] / t.loc[cat, "gmv"] == pytest.approx(v["return_rate"], abs=0.03), cat
        # 1 - cost / list price: truth's margin is the SKU mean; the units-weighted one differs by the mix only
        assert t.loc[cat, "list_margin"] == pytest.approx(v["margin"], abs=0.04), cat
    assert "assumed rates" in " ".join(cs.notes)


# ----------------------------------------------------------------------------- real data


def test_superstore_contribution_is_its_profit_column(superstore) -> None:
    # With every rate 0 and returned goods written off (write-off 1), contribution + returns = GMV - cost of all
    # units = sum(Sales) - sum(Sales - Profit) = sum(Profit), because the adapter's unit cost per product is
    # sum(Sales - Profit) / sum(Quantity). Totals from the source file (Tableau "Sample - Superstore", 9,994 rows).
    from tests.pricing.conftest import SHARED

    raw = pd.read_csv(SHARED / "superstore" / "superstore_orders.csv.gz")
    o, p = superstore.tables["orders"], superstore.tables["products"]
    zero = CostRates(commission_rate=0, payment_fee_rate=0, freight_per_order=0, return_freight_per_line=0,
                     return_writeoff_rate=1.0, marketing_rate=0)
    t = cost_structure(o, p, (o["order_ts"].min(), o["order_ts"].max()), rates=zero).table.set_index("category")
    profit = raw.groupby("Category")["Profit"].sum()
    sales = raw.groupby("Category")["Sales"].sum()
    for cat in profit.index:
        assert t.loc[cat, "contribution"] + t.loc[cat, "returns"] == pytest.approx(profit[cat], rel=1e-6), cat
        assert t.loc[cat, "gmv"] == pytest.approx(sales[cat], rel=1e-9), cat
    # Furniture: 2.5% of sales as profit before any platform cost; with the default rates it loses money
    worst = cost_structure(o, p, (o["order_ts"].min(), o["order_ts"].max()), rates=default_costs("USD"))
    assert "Furniture" in worst.losers()


def test_online_retail_costs_are_flagged_as_assumed(online_retail) -> None:
    o, p = online_retail.tables["orders"], online_retail.tables["products"]
    cs = cost_structure(o, p, ("2011-09-01", "2011-11-30"), rates=default_costs("GBP"))
    assert cs.sources["cogs"] == "products.unit_cost (partly assumed at import)"
    assert any("assumed at import" in n for n in cs.notes)
    assert np.isfinite(cs.shop["contribution"].iloc[0])
