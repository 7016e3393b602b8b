"""Notebook 04's order calendar (``opslib.data.quality.order_calendar``): one scan for the span, coverage, gaps,
weekdays, daily orders and readiness. Expected values by hand; each function given the calendar must equal the
same function given the lines."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opslib.data import load_shop, order_span
from opslib.data import quality as dq

pytestmark = pytest.mark.usefixtures("stamp_cache")  # a fresh cache folder per test (tests/conftest.py)


def gap_shop(folder: Path) -> Path:
    """Orders on Mon 1, Tue 2 and Fri 5 January 2024 (Wed 3 and Thu 4 empty) and Thu 1 February; order o1 has two
    lines, o3 only a cancelled one (the 2nd has lines but no order)."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o4", "o5"],
        "order_ts": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 09:00", "2024-01-01 18:00", "2024-01-02 10:00",
                                    "2024-01-05 10:00", "2024-02-01 10:00"]),
        "customer_id": ["c1", "c1", "c2", "c3", None, "c1"], "sku": ["a", "b", "a", "a", "b", "a"],
        "quantity": 1, "unit_price": 10.0, "list_price": 10.0, "channel": "app", "region": "华东",
        "status": ["completed", "returned", "completed", "cancelled", "completed", "completed"], "campaign_id": None,
    }).to_parquet(folder / "orders.parquet", index=False)
    pd.DataFrame({"sku": ["a", "b"], "name": ["甲", "乙"], "category": "美妆", "subcategory": "护肤", "brand": "x",
                  "unit_cost": [4.0, 2.0], "launch_date": pd.to_datetime([None, None])}
                 ).to_parquet(folder / "products.parquet", index=False)
    return folder


def test_order_calendar_by_hand(tmp_path: Path) -> None:
    shop = load_shop(gap_shop(tmp_path / "shop"), tables=["orders", "products"])
    days = dq.order_calendar(shop)
    assert days.daily.astype({"date": str}).values.tolist() == [
        ["2024-01-01", 3, 2], ["2024-01-02", 1, 0], ["2024-01-05", 1, 1], ["2024-02-01", 1, 1]]
    assert days.span() == order_span(shop) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01"), 6)
    s = days.summary().iloc[0]
    assert (s["days"], s["days_with_lines"], s["lines"], s["orders"]) == (32, 4, 6, 4)
    assert days.monthly_lines().to_dict() == {"2024-01": 5, "2024-02": 1}


def test_functions_given_the_calendar_equal_the_functions_given_the_lines(tmp_path: Path) -> None:
    shop = load_shop(gap_shop(tmp_path / "shop"), tables=["orders", "products"])
    days = dq.order_calendar(shop)
    gaps = dq.calendar_gaps(days)
    # 3-4 January (Wed, Thu) and 6-31 January: 2 + 26 empty days
    assert gaps[["days", "weekdays"]].values.tolist()[0] == [2, "Wed, Thu"]
    assert int(gaps["days"].sum()) == 28
    pd.testing.assert_frame_equal(gaps, dq.calendar_gaps(shop))
    pd.testing.assert_frame_equal(dq.calendar_gaps(days, min_days=3), dq.calendar_gaps(shop, min_days=3))
    daily = dq.daily_orders(days)
    assert daily.iloc[:5].tolist() == [2, 0, 0, 0, 1] and len(daily) == 32
    pd.testing.assert_series_equal(daily, dq.daily_orders(shop))
    pd.testing.assert_frame_equal(dq.weekday_profile(days), dq.weekday_profile(shop))
    cov = dq.coverage(shop, calendar=days)
    assert cov["orders"].to_dict() == {"2024-01": 5, "2024-02": 1}
    pd.testing.assert_frame_equal(cov, dq.coverage(shop))
    pd.testing.assert_frame_equal(dq.notebook_readiness(shop, calendar=days), dq.notebook_readiness(shop))


def test_order_calendar_of_a_frame_counts_undated_lines_in_the_span() -> None:
    o = pd.DataFrame({"order_id": ["a", "b"], "status": "completed",
                      "order_ts": pd.to_datetime(["2024-03-01 10:00", None])})
    days = dq.order_calendar(o)
    assert days.undated_lines == 1 and len(days.daily) == 1
    assert days.span() == order_span(o) == (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-01"), 2)
