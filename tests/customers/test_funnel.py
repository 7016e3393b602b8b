"""The funnel, its GMV decomposition and the channel-mix effect: by hand, invariants, the sample shop's planted traffic.

Hand values in the comments; the sample shop's traffic is planted as visitors ∝ expected units, product views =
visitors x U(2.6, 3.6), add-to-carts = lines x (1 + 2.1 LogNormal(0, 0.1)) (docs/sample_shop.md).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslib.calendar import Period
from opslib.customers import channel_mix, funnel_change, funnel_table
from opslib.errors import CLVError

DAY1, DAY2 = Period("2024-06-01", "2024-06-01"), Period("2024-06-02", "2024-06-02")


def _lines() -> pd.DataFrame:
    # o1: 2 lines (美妆 a 1x50, 服饰 b 2x10) on Jun 1; o2 cancelled (美妆 a 1x50); o3 a guest (服饰 b 1x10) on Jun 2
    return pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3"], "sku": ["a", "b", "a", "b"],
        "order_ts": pd.to_datetime(["2024-06-01 10:00", "2024-06-01 10:00", "2024-06-01 12:00", "2024-06-02 09:00"]),
        "customer_id": ["c1", "c1", "c2", None], "quantity": [1, 2, 1, 1], "unit_price": [50.0, 10.0, 50.0, 10.0],
        "list_price": [50.0, 10.0, 50.0, 10.0], "channel": ["app", "app", "web", "web"], "region": "华东",
        "status": ["completed", "returned", "cancelled", "completed"], "campaign_id": None})


PRODUCTS = pd.DataFrame({"sku": ["a", "b"], "category": ["美妆", "服饰"]})
TRAFFIC = pd.DataFrame({"date": pd.to_datetime(["2024-06-01", "2024-06-01", "2024-06-02", "2024-06-02"]),
                        "category": ["美妆", "服饰", "美妆", "服饰"], "visitors": [100, 50, 80, 40],
                        "product_views": [300, 100, 240, 120], "add_to_cart": [20, 10, 8, 4]})
FULFILMENT = pd.DataFrame({"order_id": ["o1", "o3"], "paid_ts": pd.to_datetime(["2024-06-01 10:05", None])})


def test_funnel_of_the_shop_by_hand() -> None:
    t = funnel_table(_lines(), TRAFFIC, fulfilment=FULFILMENT).table.iloc[0]
    # visitors 100 + 50 + 80 + 40 = 270; views 760; carts 42; placed o1, o2, o3 = 3; not cancelled o1, o3 = 2;
    # paid: only o1 has a paid_ts = 1; GMV = 50 + 20 + 10 = 80 (the returned line counts, the cancelled not)
    assert [t[c] for c in ("visitors", "product_views", "add_to_cart", "orders_placed", "orders", "paid", "gmv",
                           "buyers")] == [270, 760, 42, 3, 2, 1, 80.0, 1]
    assert t["views_per_visitor"] == pytest.approx(760 / 270)
    assert t["cart_rate"] == pytest.approx(42 / 760)
    assert t["order_rate"] == pytest.approx(2 / 42)
    assert t["pay_rate"] == pytest.approx(1 / 3)
    assert t["conversion_rate"] == pytest.approx(2 / 270)
    assert t["aov"] == pytest.approx(40.0)
    # the identity the decomposition relies on
    assert t["visitors"] * t["views_per_visitor"] * t["cart_rate"] * t["order_rate"] * t["aov"] == pytest.approx(80.0)


def test_funnel_without_fulfilment_counts_orders_not_cancelled_as_paid() -> None:
    f = funnel_table(_lines(), TRAFFIC)
    assert f.table.iloc[0]["paid"] == 2
    assert f.notes == ["no fulfilment table: paid orders = orders not cancelled"]


def test_funnel_by_category_counts_an_order_in_each_of_its_categories() -> None:
    t = funnel_table(_lines(), TRAFFIC, PRODUCTS, by="category").table.set_index("key")
    # 美妆: o1 (a), o2 (a, cancelled) -> placed 2, orders 1, GMV 50; visitors 180
    # 服饰: o1 (b, returned), o3 (b) -> placed 2, orders 2, GMV 20 + 10 = 30; visitors 90
    assert t.loc["美妆", ["orders_placed", "orders", "gmv", "visitors"]].tolist() == [2, 1, 50.0, 180]
    assert t.loc["服饰", ["orders_placed", "orders", "gmv", "visitors"]].tolist() == [2, 2, 30.0, 90]
    # categories add up to the shop's GMV, not to its orders (o1 is in both)
    assert t["gmv"].sum() == 80.0 and t["orders"].sum() == 3
    assert t["gmv_share"].tolist() == pytest.approx([50 / 80, 30 / 80])


def test_funnel_by_channel_has_no_traffic_stages_and_says_so() -> None:
    f = funnel_table(_lines(), TRAFFIC, by="channel")
    assert f.table["visitors"].isna().all()
    assert f.notes == ["no fulfilment table: paid orders = orders not cancelled",
                       "the traffic table has no channel split: visitors, views and add-to-cart are shop-wide only"]
    assert f.table.set_index("key")["gmv"].to_dict() == {"app": 70.0, "web": 10.0}


def test_funnel_by_date_and_period_filter() -> None:
    t = funnel_table(_lines(), TRAFFIC, by="date").table
    assert t["key"].dt.strftime("%Y-%m-%d").tolist() == ["2024-06-01", "2024-06-02"]
    assert t["visitors"].tolist() == [150, 120] and t["gmv"].tolist() == [70.0, 10.0]
    day2 = funnel_table(_lines(), TRAFFIC, period=DAY2).table.iloc[0]
    assert (day2["visitors"], day2["orders"], day2["gmv"]) == (120, 1, 10.0)


def test_funnel_bad_input_is_named_and_empty_period_is_a_reason() -> None:
    with pytest.raises(CLVError, match="'unit_price'"):
        funnel_table(_lines().drop(columns="unit_price"))
    with pytest.raises(ValueError, match="needs the products table"):
        funnel_table(_lines(), by="category")
    empty = funnel_table(_lines(), TRAFFIC, period=Period("2023-01-01", "2023-01-31"))
    assert empty.table is None and "no orders and no traffic in 2023-01-01 .. 2023-01-31" in empty.reason


def test_funnel_change_by_hand_and_reasons() -> None:
    # Jun 1: GMV 70 (o1), orders 1, visitors 150, views 400, carts 30; Jun 2: GMV 10, orders 1, visitors 120,
    # views 360, carts 12. The five parts add up to 10 - 70 = -60.
    ch = funnel_change(_lines(), TRAFFIC, DAY2, DAY1)
    d = ch.summary().set_index("driver")
    lm = -60 / math.log(10 / 70)
    assert d.loc["visitors", "contribution"] == pytest.approx(lm * math.log(120 / 150))
    assert d.loc["order_rate", "contribution"] == pytest.approx(lm * math.log((1 / 12) / (1 / 30)))
    assert d["contribution"].sum() == pytest.approx(-60.0)
    assert "no traffic table" in funnel_change(_lines(), None, DAY2, DAY1).reason
    none = funnel_change(_lines(), TRAFFIC, DAY2, Period("2023-01-01", "2023-01-02"))
    assert none.decomposition is None and "one of the periods has no GMV" in none.reason


def test_channel_mix_new_channel_goes_to_mix() -> None:
    # Jun 1: app only (o1, GMV 70); Jun 2: web only (o3, GMV 10). app vanishes (-70 to mix), web appears (+10 to mix);
    # orders 1 -> 1 and no channel has both periods: the orders and AOV effects are 0.
    m = channel_mix(_lines(), DAY2, DAY1)
    assert m.effects.set_index("effect")["contribution"].to_dict() == pytest.approx({"orders": 0.0, "mix": -60.0,
                                                                                    "aov": 0.0})
    assert m.groups.set_index("channel")["mix_effect"].to_dict() == pytest.approx({"web": 10.0, "app": -70.0})


@settings(max_examples=60, deadline=None)
@given(data=st.lists(st.tuples(st.sampled_from(["app", "web", "直播"]), st.integers(0, 1),
                               st.floats(1.0, 1000.0)), min_size=2, max_size=40))
def test_channel_mix_effects_add_up_to_the_gmv_change(data: list[tuple[str, int, float]]) -> None:
    days = [d for _, d, _ in data]
    if len(set(days)) < 2:
        days[0] = 1 - days[0]
    lines = pd.DataFrame({"order_id": [f"o{i}" for i in range(len(data))], "channel": [c for c, _, _ in data],
                          "order_ts": pd.to_datetime("2024-06-01") + pd.to_timedelta(days, unit="D"), "quantity": 1,
                          "unit_price": [p for _, _, p in data], "status": "completed"})
    m = channel_mix(lines, DAY2, DAY1)
    g1 = lines.loc[np.array(days) == 1, "unit_price"].sum()
    g0 = lines.loc[np.array(days) == 0, "unit_price"].sum()
    assert m.change == pytest.approx(g1 - g0)
    assert m.effects["contribution"].sum() == pytest.approx(g1 - g0, abs=1e-9 * max(g0, g1))
    per_group = m.groups[["orders_effect", "mix_effect", "aov_effect"]].sum(axis=1)
    assert per_group.to_numpy() == pytest.approx((m.groups["gmv_1"] - m.groups["gmv_0"]).to_numpy(), abs=1e-9 * max(g0, g1))


def test_funnel_and_mix_are_scale_free_in_money() -> None:
    rich = _lines().assign(unit_price=lambda d: d["unit_price"] * 1000, list_price=lambda d: d["list_price"] * 1000)
    a, b = funnel_table(_lines(), TRAFFIC).table.iloc[0], funnel_table(rich, TRAFFIC).table.iloc[0]
    assert b["gmv"] == pytest.approx(1000 * a["gmv"]) and b["aov"] == pytest.approx(1000 * a["aov"])
    assert b["conversion_rate"] == a["conversion_rate"] and b["cart_rate"] == a["cart_rate"]
    ca = funnel_change(_lines(), TRAFFIC, DAY2, DAY1).summary()["contribution"]
    cb = funnel_change(rich, TRAFFIC, DAY2, DAY1).summary()["contribution"]
    assert cb.tolist() == pytest.approx((1000 * ca).tolist())
    ma = channel_mix(_lines(), DAY2, DAY1).effects["contribution"]
    mb = channel_mix(rich, DAY2, DAY1).effects["contribution"]
    assert mb.tolist() == pytest.approx((1000 * ma).tolist(), abs=1e-9)


# ============================================================================ sample shop: planted traffic


def test_sample_shop_funnel_matches_the_planted_traffic(small_shop_dir: Path) -> None:
    d = small_shop_dir
    traffic = pd.read_parquet(d / "traffic.parquet")
    lines = pd.read_parquet(d / "orders.parquet", columns=["order_id"])
    f = funnel_table(d / "orders.parquet", d / "traffic.parquet", fulfilment=d / "fulfilment.parquet").table.iloc[0]
    assert f["visitors"] == traffic["visitors"].sum() and f["add_to_cart"] == traffic["add_to_cart"].sum()
    assert f["orders_placed"] == lines["order_id"].nunique()
    # every non-cancelled order has a fulfilment row with paid_ts (docs/sample_shop.md)
    assert f["paid"] == f["orders"]
    # product views = visitors x U(2.6, 3.6): the shop-wide mean is 3.1, every day's mean inside [2.6, 3.6]
    assert f["views_per_visitor"] == pytest.approx(3.1, abs=0.05)
    daily = funnel_table(d / "orders.parquet", d / "traffic.parquet", by="date").table
    assert daily["views_per_visitor"].between(2.6, 3.6).all()
    # add-to-carts = lines x (1 + 2.1 E[LogNormal(0, 0.1)]) = lines x (1 + 2.1 e^0.005) = 3.1105 per line
    assert f["add_to_cart"] / len(lines) == pytest.approx(1 + 2.1 * math.exp(0.005), rel=0.01)


@pytest.mark.parametrize("window", ["618", "1111"])
def test_sample_shop_festival_gmv_is_traffic_not_funnel(small_shop_dir: Path, small_truth: dict, window: str) -> None:
    """Planted: visitors follow expected units (campaign traffic x1.5-1.6), views per visitor and carts per line
    do not move, and campaign prices are 15-20% below list: the decomposition of a festival against the days before
    gives the rise to visitors and a fall to AOV; views per visitor stays near zero."""
    d = small_shop_dir
    camps = [c for k, c in small_truth["campaigns"].items() if k.endswith(f"_{window}")]
    assert len(camps) == 3
    for c in camps:
        cur = Period(c["start"], c["end"])
        base = cur.shift(-cur.days)
        s = funnel_change(d / "orders.parquet", d / "traffic.parquet", cur, base).summary().set_index("driver")
        assert s.loc["visitors", "share"] > 0.9, (c["start"], s["share"].to_dict())
        assert s.loc["aov", "contribution"] < 0, (c["start"], s["share"].to_dict())
        assert abs(s.loc["views_per_visitor", "share"]) < 0.05, (c["start"], s["share"].to_dict())
