"""Warehouse and logistics: hand-computed tables, and the planted +20 h peak-day delay and 0.4 % lost parcels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslib.operations import (
    OpsData,
    carrier_comparison,
    delivery_status,
    durations_by,
    lost_parcels,
    order_frame,
    peak_handling_delay,
)

AS_OF = pd.Timestamp("2024-03-01")


def _orders(**cols) -> pd.DataFrame:
    n = max(len(v) for v in cols.values() if hasattr(v, "__len__") and not isinstance(v, str))
    base = {"order_id": [f"o{i}" for i in range(n)], "cancelled": False, "campaign_day": False,
            "paid_ts": pd.Timestamp("2024-01-01"), "shipped_ts": pd.Timestamp("2024-01-02"),
            "delivered_ts": pd.Timestamp("2024-01-03"), "promise_end": pd.Timestamp("2024-01-04"),
            "promised_ts": pd.Timestamp("2024-01-04"), "lost": False, "handling_h": 24.0, "transit_h": 24.0,
            "region": "华东", "warehouse": "W", "carrier": "C", "sku": "s", "gmv": 10.0}
    df = pd.DataFrame({**base, **cols}, index=range(n))
    df["late"] = df["delivered_ts"].notna() & (df["delivered_ts"] > df["promise_end"])
    df["on_time"] = df["delivered_ts"].notna() & ~df["late"]
    return df


def _data(o: pd.DataFrame, reviews: pd.DataFrame | None = None) -> OpsData:
    return OpsData(orders=o, days=pd.DataFrame(), reviews=reviews, contacts=None, as_of=AS_OF, has_fulfilment=True,
                   peak_rule="campaign")


def test_durations_by_hand() -> None:
    o = _orders(warehouse=["A", "A", "A", "B"], handling_h=[10.0, 20.0, 90.0, 5.0],
                delivered_ts=pd.to_datetime(["2024-01-03", "2024-01-06", None, "2024-01-03"]))
    t = durations_by(_data(o), "warehouse").set_index("warehouse")
    # A: mean (10 + 20 + 90) / 3 = 40, median 20; on time 1 of 3 due (one late, one overdue and undelivered)
    assert t.loc["A", "handling_mean_h"] == pytest.approx(40.0)
    assert t.loc["A", "handling_p50_h"] == pytest.approx(20.0)
    assert t.loc["A", "on_time_rate"] == pytest.approx(1 / 3)
    assert t.loc["A", "late"] == 2 and t.loc["B", "on_time_rate"] == 1.0


def test_not_yet_due_orders_are_not_judged() -> None:
    o = _orders(promise_end=pd.to_datetime(["2024-01-04", "2024-04-01"]), delivered_ts=pd.to_datetime(["2024-01-03", None]))
    t = durations_by(_data(o), None)
    assert t["due"].iloc[0] == 1 and t["on_time_rate"].iloc[0] == 1.0  # the second is promised after as_of


def test_carrier_comparison_adjusts_for_region_by_hand() -> None:
    # Carrier F serves the far region (on time 50 %) mostly, N the near one (on time 100 %); both are as good as
    # the other in each region, so the region-adjusted rates are equal although the raw rates differ.
    rows = ([("F", "far", True)] * 4 + [("F", "far", False)] * 4 + [("F", "near", True)] * 2
            + [("N", "far", True)] + [("N", "far", False)] + [("N", "near", True)] * 8)
    carrier, region, ok = zip(*rows, strict=True)
    o = _orders(carrier=list(carrier), region=list(region),
                delivered_ts=[pd.Timestamp("2024-01-03") if x else pd.Timestamp("2024-01-09") for x in ok])
    t = carrier_comparison(_data(o), adjust_for="region").table.set_index("carrier")
    # raw: F 6/10, N 9/10; region weights: far 10/20, near 10/20; adjusted F = .5·.5 + .5·1 = .75, N the same
    assert t.loc["F", "on_time_rate"] == pytest.approx(0.6) and t.loc["N", "on_time_rate"] == pytest.approx(0.9)
    assert t.loc["F", "adjusted_on_time_rate"] == pytest.approx(0.75)
    assert t.loc["N", "adjusted_on_time_rate"] == pytest.approx(0.75)
    # difference vs the rest: 0.6 - 0.9 = -0.3
    assert t.loc["F", "diff_vs_rest"] == pytest.approx(-0.3)


def test_carrier_comparison_needs_two_carriers() -> None:
    c = carrier_comparison(_data(_orders(carrier=["(unknown)"] * 3)))
    assert c.reason and "only one carrier" in c.reason
    assert c.summary().attrs["skipped"].startswith("carrier comparison")


def test_peak_delay_by_hand_and_scale_free() -> None:
    o = _orders(paid_ts=pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-03"]),
                handling_h=[30.0, 34.0, 10.0, 14.0], peak=[True, True, False, False], weekday=0, month="2024-01")
    e = peak_handling_delay(_data(o), controls=())
    assert e.estimate() == pytest.approx(32.0 - 12.0)
    big = peak_handling_delay(_data(o.assign(handling_h=o["handling_h"] * 1000)), controls=())
    assert big.estimate() == pytest.approx(20_000.0)
    assert big.terms["se"].iloc[0] == pytest.approx(e.terms["se"].iloc[0] * 1000)


def test_peak_delay_without_peak_days_says_why() -> None:
    o = _orders(peak=[False, False], weekday=0, month="2024-01")
    e = peak_handling_delay(_data(o))
    assert not e.ok and "no peak days" in e.reason


def test_peak_delay_recovers_the_planted_20_hours(small_ops, small_truth) -> None:
    planted = small_truth["fulfilment"]["peak_handling_extra_hours"]
    e = peak_handling_delay(small_ops)
    assert e.estimate() == pytest.approx(planted, rel=0.2)  # the brief: within 20 %
    lo, hi = e.interval()
    assert lo <= planted <= hi


def test_lost_parcels_match_the_planted_share(small_ops, small_truth) -> None:
    st = delivery_status(small_ops, ("2023-01-01", "2025-11-30")).set_index("status")
    lost_share = st.loc["丢件 lost", "share"]
    # planted: 0.4 % of parcels never arrive (truth.undelivered_share also counts the ones still in transit)
    assert lost_share == pytest.approx(0.004, abs=0.0015)
    lost = lost_parcels(small_ops)
    assert (lost["days_overdue"] >= small_ops.grace_days).all()
    assert lost["order_id"].is_unique


def test_on_time_share_matches_truth(small_ops, small_truth) -> None:
    t = durations_by(small_ops, None)
    assert 1 - t["on_time_rate"].iloc[0] == pytest.approx(small_truth["fulfilment"]["late_share"], abs=0.01)


def test_order_frame_main_line_and_flags() -> None:
    lines = pd.DataFrame({"order_id": ["a", "a", "b"], "sku": ["x", "y", "x"], "quantity": [3, 1, 1],
                          "unit_price": [10.0, 25.0, 10.0], "status": ["completed", "returned", "completed"],
                          "order_ts": pd.to_datetime(["2024-01-01"] * 3), "customer_id": None, "channel": "app",
                          "region": "华东", "campaign_id": [None, "C1", None]})
    products = pd.DataFrame({"sku": ["x", "y"], "category": ["食品", "美妆"]})
    o = order_frame(lines, products).set_index("order_id")
    # a: x is worth 30, y 25 -> main sku x (食品); y was returned; gmv 55
    assert o.loc["a", "sku"] == "x" and o.loc["a", "category"] == "食品"
    assert o.loc["a", "returned_sku"] == "y" and bool(o.loc["a", "returned"])
    assert o.loc["a", "gmv"] == 55.0 and o.loc["a", "campaign_id"] == "C1"
    assert not np.isnan(o.loc["b", "gmv"])
