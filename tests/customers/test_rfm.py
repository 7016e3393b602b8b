"""RFM: the customer summary and scores by hand, the 125-code segment table, transitions, invariants, the sample shop.

Hand values in the comments; the sample shop plants fewer loyal customers among those acquired on campaign days
(10% instead of 30%, ``truth.json`` → ``customers.planted``), which RFM must show as fewer Champions and Loyal.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslib.customers import (
    SEGMENT_CODES,
    SEGMENTS,
    RFMResult,
    customer_summary,
    rfm_segments,
    segment_summary,
    segment_transitions,
)
from opslib.errors import CLVError


def _lines(n: int = 10) -> pd.DataFrame:
    # customer k (k = 0..n-1): one order on day 30 - k of June, value 10 (k + 1)
    return pd.DataFrame({"order_id": [f"o{k}" for k in range(n)], "customer_id": [f"c{k}" for k in range(n)],
                         "order_ts": pd.Timestamp("2024-06-30") - pd.to_timedelta(range(n), unit="D"),
                         "quantity": 1, "unit_price": [10.0 * (k + 1) for k in range(n)], "status": "completed"})


def test_segment_table_is_a_partition_of_the_125_codes() -> None:
    codes = {100 * r + 10 * f + m for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    assert set(SEGMENT_CODES) == codes and len(SEGMENT_CODES) == 125
    assert {SEGMENT_CODES[c] for c in codes} == {s.key for s in SEGMENTS} and len(SEGMENTS) == 11
    # anchors of the published table: 555 champions, 111 lost, 155 cannot lose, 511 new, 333 potential loyalist
    assert (SEGMENT_CODES[555], SEGMENT_CODES[111], SEGMENT_CODES[155], SEGMENT_CODES[511], SEGMENT_CODES[333]) == (
        "champions", "lost", "cannot_lose", "new", "potential_loyalist")
    assert all(s.name_cn for s in SEGMENTS)


def test_customer_summary_statuses_guests_and_window() -> None:
    lines = pd.DataFrame({
        "order_id": ["a1", "a2", "a3", "g1", "b1"], "customer_id": ["a", "a", "a", None, "b"],
        "order_ts": pd.to_datetime(["2024-01-10", "2024-05-01", "2024-06-20", "2024-06-21", "2024-06-25"]),
        "quantity": [1, 2, 1, 1, 1], "unit_price": [10.0, 20.0, 30.0, 99.0, 5.0],
        "status": ["completed", "returned", "cancelled", "completed", "completed"]})
    s = customer_summary(lines, as_of="2024-06-30").set_index("customer_id")
    # completed only: a has a1 (10); b has b1 (5); the guest is no customer
    assert s.loc["a", ["orders", "value", "recency_days", "tenure_days"]].tolist() == [1, 10.0, 172, 172]
    assert list(s.index) == ["a", "b"]
    g = customer_summary(lines, as_of="2024-06-30", status="not_cancelled").set_index("customer_id")
    # a: a1 10 + a2 2 x 20 = 50, last order May 1 -> 60 days
    assert g.loc["a", ["orders", "value", "recency_days"]].tolist() == [2, 50.0, 60]
    w = customer_summary(lines, as_of="2024-06-30", lookback_days=30, status="not_cancelled")
    assert w["customer_id"].tolist() == ["b"]  # June 1 .. 30 holds b only (a3 cancelled)


def test_scores_are_quintiles_by_hand() -> None:
    res = rfm_segments(_lines(10), as_of="2024-06-30")
    c = res.customers.set_index("customer_id")
    # 10 customers: c0 bought on Jun 30 (recency 0) ... c9 on Jun 21 (9 days). R = 1 + floor(5 * #older / 10):
    # c0 has 9 older -> 1 + 4 = 5; c9 has 0 -> 1; pairs share a score. M: c9 spent most (100) -> 5.
    assert c["r"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert c["m"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert (c["f"] == 1).all()  # every customer has one order: all tie at the bottom
    assert c.loc["c0", "rfm"] == "511" and c.loc["c0", "segment"] == "new"
    assert c.loc["c9", "rfm"] == "115" and c.loc["c9", "segment"] == "cannot_lose"


def test_tied_frequency_shares_a_score() -> None:
    # 7 customers with one order, 3 with two: F = 1 for the seven; 1 + floor(5 * 7/10) = 4 for the three
    lines = _lines(10)
    extra = lines.iloc[7:].assign(order_id=lambda d: d["order_id"] + "b",
                                  order_ts=lambda d: d["order_ts"] - pd.Timedelta(days=30))
    c = rfm_segments(pd.concat([lines, extra]), as_of="2024-06-30").customers
    assert c.groupby("frequency")["f"].unique().map(list).to_dict() == {1: [1], 2: [4]}


def test_segment_summary_shares_add_up() -> None:
    s = segment_summary(rfm_segments(_lines(10), as_of="2024-06-30"))
    assert s["segment"].tolist() == [x.key for x in SEGMENTS]
    assert s["customers"].sum() == 10 and s["customer_share"].sum() == pytest.approx(1.0)
    assert s["value_share"].sum() == pytest.approx(1.0)
    # new: c0 (10), c1 (20) with code 511 and c2 (30), c3 (40) with 412 -> 4 customers, value 100 of 550
    new = s.set_index("segment").loc["new"]
    assert (new["customers"], new["value_share"]) == (4, pytest.approx(100 / 550))


def test_transitions_by_hand() -> None:
    before = RFMResult(pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["champions", "new", "new"]}),
                       pd.Timestamp("2024-05-31"))
    after = RFMResult(pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                                    "segment": ["at_risk", "new", "potential_loyalist", "new"]}), pd.Timestamp("2024-06-30"))
    t = segment_transitions(before, after)
    assert t.counts.loc["Champions", "At risk"] == 1 and t.counts.loc["(none)", "New"] == 1
    assert t.shares.loc["New", "New"] == 0.5 and t.shares.loc["New", "Potential loyalist"] == 0.5
    # rows add up to the customers at the first day (+ the new ones in (none)), columns to those at the second
    assert t.counts.sum(axis=1).loc[["Champions", "New", "(none)"]].tolist() == [1, 2, 1]
    assert t.counts.sum().sum() == 4
    assert t.stay_rate()["New"] == 0.5


def test_rfm_is_scale_free_in_money_and_bad_input_is_named() -> None:
    a = rfm_segments(_lines(10), as_of="2024-06-30").customers
    b = rfm_segments(_lines(10).assign(unit_price=lambda d: d["unit_price"] * 1000), as_of="2024-06-30").customers
    assert a["segment"].tolist() == b["segment"].tolist()
    assert b["monetary"].tolist() == pytest.approx((1000 * a["monetary"]).tolist())
    with pytest.raises(CLVError, match="'status'"):
        rfm_segments(_lines().drop(columns="status"))
    with pytest.raises(CLVError, match="no order line has a customer_id"):
        rfm_segments(_lines().assign(customer_id=None))
    with pytest.raises(CLVError, match="lookback_days=0"):
        rfm_segments(_lines(), lookback_days=0)
    early = rfm_segments(_lines(), as_of="2023-01-01")  # nobody had bought yet: empty, with a note
    assert early.customers.empty and "no customer" in early.notes[0]


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 120), st.floats(1.0, 500.0)), min_size=1, max_size=60))
def test_scores_are_in_range_and_monotone(rows: list[tuple[int, int, float]]) -> None:
    lines = pd.DataFrame({"order_id": [f"o{i}" for i in range(len(rows))], "customer_id": [f"c{c}" for c, _, _ in rows],
                          "order_ts": pd.Timestamp("2024-06-30") - pd.to_timedelta([d for _, d, _ in rows], unit="D"),
                          "quantity": 1, "unit_price": [v for _, _, v in rows], "status": "completed"})
    c = rfm_segments(lines, as_of="2024-06-30").customers
    assert c[["r", "f", "m"]].isin([1, 2, 3, 4, 5]).all().all()
    assert c["segment"].notna().all()
    for col, score, better in (("recency_days", "r", -1), ("frequency", "f", 1), ("monetary", "m", 1)):
        o = c.sort_values(col, ascending=better > 0)
        assert o[score].is_monotonic_increasing, col
        assert (c.groupby(col)[score].nunique() == 1).all()  # the same value, the same score


# ============================================================================ sample shop


def test_sample_shop_rfm_counts_and_campaign_acquired_customers(small_shop_dir: Path, small_truth: dict) -> None:
    orders = pd.read_parquet(small_shop_dir / "orders.parquet")
    res = rfm_segments(small_shop_dir / "orders.parquet")
    kept = orders[orders["status"] == "completed"].dropna(subset=["customer_id"])
    assert len(res.customers) == kept["customer_id"].nunique()
    assert res.customers["monetary"].sum() == pytest.approx((kept["quantity"] * kept["unit_price"]).sum())
    assert res.not_scored == orders["customer_id"].nunique() - len(res.customers)
    assert res.as_of == pd.Timestamp(small_truth["end"])
    # planted: customers acquired on a campaign day are loyal with probability 0.1 instead of 0.3
    planted = small_truth["customers"]["planted"]
    assert planted["loyal_share_campaign_acquired"] < planted["loyal_share"]
    days = pd.concat([pd.Series(pd.date_range(c["start"], c["end"])) for c in small_truth["campaigns"].values()])
    c = res.customers
    campaign = c["first_order"].isin(set(days))
    top = c["segment"].isin(["champions", "loyal"])
    assert top[campaign].mean() < 0.75 * top[~campaign].mean()
