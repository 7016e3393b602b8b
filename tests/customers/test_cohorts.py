"""Cohorts, 京东商智's repeat-purchase rate, first-order repeat, time between orders, new vs returning, guests.

Hand values in the comments; on the sample shop the repeat rates must equal those ``truth.json`` computed from
its own files by the same definition (``customers.definition``), and the guest share the planted one.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opslib.customers import (
    cohort_table,
    first_order_repeat,
    guest_summary,
    new_vs_returning,
    order_gaps,
    repeat_purchase_rate,
    why_no_customers,
)
from opslib.data import period_totals
from opslib.errors import CLVError


def _lines() -> pd.DataFrame:
    # a: Jan 5, Feb 10, Apr 2 (10, 20, 30); b: Jan 20 (40), Jan 20 again (5, same day), cancelled Mar 1;
    # c: Feb 3 (50); a guest on Feb 4 (7)
    return pd.DataFrame({
        "order_id": ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "g1"],
        "customer_id": ["a", "a", "a", "b", "b", "b", "c", None],
        "order_ts": pd.to_datetime(["2024-01-05 10:00", "2024-02-10 00:00", "2024-04-02 00:00", "2024-01-20 09:00",
                                    "2024-01-20 18:00", "2024-03-01 00:00", "2024-02-03 00:00", "2024-02-04 00:00"]),
        "quantity": 1, "unit_price": [10.0, 20.0, 30.0, 40.0, 5.0, 99.0, 50.0, 7.0],
        "status": ["completed", "returned", "completed", "completed", "completed", "cancelled", "completed", "completed"]})


def test_cohorts_by_hand() -> None:
    c = cohort_table(_lines())
    t = c.table.set_index(["cohort", "period"])
    jan, feb = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")
    # January cohort: a, b (size 2). Month 0: a1, b1, b2 -> 2 customers, 3 orders, 55; month 1: a2 (returned still
    # counts) -> 1 customer, 20; month 3: a3 -> 30. February cohort: c (size 1), month 0 only.
    assert t.loc[(jan, 0), ["cohort_size", "customers", "orders", "revenue"]].tolist() == [2, 2, 3, 55.0]
    assert t.loc[(jan, 1), ["customers", "revenue", "retention"]].tolist() == [1, 20.0, 0.5]
    assert t.loc[(jan, 3), "revenue_per_customer"] == 15.0
    assert t.loc[(jan, 3), "cum_revenue_per_customer"] == pytest.approx((55 + 20 + 30) / 2)
    assert t.loc[(feb, 0), ["cohort_size", "retention"]].tolist() == [1, 1.0]
    assert c.matrix().loc["2024-01"].tolist()[:2] == [1.0, 0.5]
    # April (the data's last month) is only partly covered: not complete
    assert not t.loc[(jan, 3), "complete"] and t.loc[(jan, 1), "complete"]
    assert cohort_table(_lines(), last=1).table["cohort"].unique().tolist() == [feb]
    assert cohort_table(_lines(), end="2024-01-31").table["period"].max() == 0
    weeks = cohort_table(_lines(), freq="W").table
    # a's first week is Mon 2024-01-01; Feb 10 is in the week of Feb 5: 5 weeks later
    assert (pd.Timestamp("2024-01-01"), 5) in set(zip(weeks["cohort"], weeks["period"], strict=True))


def test_cohorts_empty_range_is_a_reason_and_scale_free() -> None:
    empty = cohort_table(_lines(), start="2030-01-01")
    assert empty.table.empty and "no customer's first order" in empty.reason
    rich = cohort_table(_lines().assign(unit_price=lambda d: d["unit_price"] * 1000)).table
    base = cohort_table(_lines()).table
    assert rich["revenue"].tolist() == pytest.approx((1000 * base["revenue"]).tolist())
    assert rich["retention"].tolist() == base["retention"].tolist()
    with pytest.raises(CLVError, match="freq="):
        cohort_table(_lines(), freq="D")


def test_jd_repeat_rate_window_by_hand() -> None:
    # window of 30 days ending Feb 10 = Jan 12 .. Feb 10: a (a2), b (b1, b2: two orders the same day), c (c1)
    # -> 3 buyers, b repeats -> 1/3. Ending Feb 11 the window starts Jan 13: same. Ending Feb 19 (Jan 21 ..):
    # a, c -> 0 repeaters. 90 days ending Apr 2 (Jan 4 ..): a (3 orders), b (2), c -> 2 of 3.
    r = repeat_purchase_rate(_lines(), ends=["2024-02-10", "2024-02-19", "2024-04-02"], days=(30, 90)).rates
    t = r.set_index(["window_days", "end"])
    assert t.loc[(30, pd.Timestamp("2024-02-10")), ["buyers", "repeat_buyers"]].tolist() == [3, 1]
    assert t.loc[(30, pd.Timestamp("2024-02-19")), ["buyers", "repeat_buyers"]].tolist() == [2, 0]
    assert t.loc[(90, pd.Timestamp("2024-04-02")), "repeat_rate"] == pytest.approx(2 / 3)
    # the window is N days including its last: 30 days ending Feb 3 are Jan 5 .. Feb 3 and hold a1
    first = repeat_purchase_rate(_lines(), ends=["2024-02-03"], days=(30,)).rates.iloc[0]
    assert first["buyers"] == 3  # a (a1 on Jan 5), b, c
    monthly = repeat_purchase_rate(_lines(), "M", days=(30,)).rates
    assert monthly["end"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-02"]


def test_first_order_repeat_by_hand() -> None:
    # end Apr 2, 30 days: eligible orders on or before Mar 3. First orders: a1 (next a2 36 days later: no),
    # b1 (next b2 the same day: yes), c1 (none) -> 1 of 3. Repeat orders: b2 (none), a2 (next a3 52 days: no) -> 0/2.
    t = first_order_repeat(_lines(), days=30).set_index("kind")
    assert t.loc["new", ["orders", "repeated"]].tolist() == [3, 1]
    assert t.loc["returning", ["orders", "repeated"]].tolist() == [2, 0]
    camp = pd.DataFrame({"start": pd.to_datetime(["2024-01-20"]), "end": pd.to_datetime(["2024-01-21"])})
    k = first_order_repeat(_lines(), days=30, campaigns=camp).set_index("kind")
    assert k.loc["new_campaign", ["orders", "repeated"]].tolist() == [1, 1]  # b1 on a campaign day
    assert k.loc["new_other", ["orders", "repeated"]].tolist() == [2, 0]


def test_order_gaps_by_hand() -> None:
    g = order_gaps(_lines())
    s = g.summary().set_index("step")
    # a: Jan 5 -> Feb 10 = 36 days -> Apr 2 = 52 days; b: 0 days (the same day); c: none
    assert s.loc["1→2", ["gaps", "median_days"]].tolist() == [2, 18.0]
    assert s.loc["2→3", ["gaps", "median_days"]].tolist() == [1, 52.0]
    assert s.loc["all", "gaps"] == 3 and g.histogram["gaps"].sum() == 3
    assert g.first_repeat_median == 18.0
    assert g.histogram.set_index("bin_start")["gaps"].to_dict() == {0: 1, 35: 1, 49: 1}


def test_new_vs_returning_by_hand_and_gmv_adds_up() -> None:
    t = new_vs_returning(_lines()).set_index("period")
    # Jan: a, b new (3 orders, 55); Feb: c new (50), a returning (20), guest (7); Apr: a returning (30)
    assert t.loc[pd.Timestamp("2024-01-01"), ["new_buyers", "returning_buyers", "new_orders"]].tolist() == [2, 0, 3]
    assert t.loc[pd.Timestamp("2024-02-01"), ["new_buyers", "returning_buyers", "guest_orders"]].tolist() == [1, 1, 1]
    assert t.loc[pd.Timestamp("2024-02-01"), "returning_share"] == 0.5
    # the GMV of every month is the shop's GMV (opslib.data.cube definition: lines not cancelled)
    cube = period_totals(_lines().assign(list_price=1.0, sku="s"), "M").set_index("date")["gmv"]
    assert t["gmv"].to_dict() == cube[cube > 0].to_dict()  # March holds only a cancelled order


def test_guests_and_readiness() -> None:
    g = guest_summary(_lines())
    # orders not cancelled: a1 a2 a3 b1 b2 c1 g1 = 7, one guest; GMV 162, the guest's 7
    assert (g.orders, g.all_orders, g.customers) == (1, 7, 3)
    assert g.share_gmv == pytest.approx(7 / 162)
    assert "1 guest orders" in g.describe()
    assert why_no_customers(_lines(), ("2024-01-01", "2024-04-30")) is None
    assert why_no_customers(_lines(), ("2025-01-01", "2025-01-31")).startswith("No orders in 2025-01-01")
    assert "guest orders" in why_no_customers(_lines().assign(customer_id=None), ("2024-01-01", "2024-04-30"))


# ============================================================================ sample shop: planted truth


def test_sample_shop_repeat_rates_equal_the_truth(small_shop_dir: Path, small_truth: dict) -> None:
    """``truth.json`` → customers: new_repeat_rate_90d, returning_repeat_rate_90d and campaign_new_repeat_rate_90d,
    computed by the generator from its own orders (4 decimals), recovered exactly by the same definition."""
    t = first_order_repeat(small_shop_dir / "orders.parquet", days=90, campaigns=small_shop_dir / "campaigns.parquet")
    t = t.set_index("kind")["rate"]
    c = small_truth["customers"]
    assert round(t["new"], 4) == c["new_repeat_rate_90d"]
    assert round(t["returning"], 4) == c["returning_repeat_rate_90d"]
    assert round(t["new_campaign"], 4) == c["campaign_new_repeat_rate_90d"]
    # planted: returning buyers repeat far more often than new ones; campaign-acquired new customers least
    assert t["returning"] > 3 * t["new"] and t["new_campaign"] < t["new_other"]


def test_sample_shop_cohorts_and_guests(small_shop_dir: Path, small_truth: dict) -> None:
    orders = small_shop_dir / "orders.parquet"
    c = cohort_table(orders)
    raw = pd.read_parquet(orders)
    valid = raw[raw["status"] != "cancelled"].dropna(subset=["customer_id"])
    assert c.table.loc[c.table["period"] == 0, "cohort_size"].sum() == valid["customer_id"].nunique()
    assert (c.table.loc[c.table["period"] == 0, "retention"] == 1.0).all()
    # planted guest share 5% of orders (truth: 0.0504 of all orders; here orders not cancelled)
    g = guest_summary(orders)
    assert g.share_orders == pytest.approx(small_truth["customers"]["guest_share"], abs=0.005)
    # a 90-day window catches more second orders than a 30-day one (not a theorem month by month: the longer
    # window also adds one-time buyers; on average over the months it must hold with planted gaps of 28/100 days)
    r = repeat_purchase_rate(orders, "M").rates.groupby("window_days")["repeat_rate"].mean()
    assert r[90] > r[30]
