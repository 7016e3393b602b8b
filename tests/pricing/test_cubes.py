"""Report 07's one-scan aggregates (``opslib.pricing.cubes``): the cubes, the price days and the panel built on them.

Expected values by hand from a six-line contract shop; the cubes also against ``daily_sku`` / ``weekly_sku``
(the queries they replace in ``pricing_scope``), which have their own hand tests in ``tests/data``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib import pricing
from opslib.data import daily_sku, load_shop, weekly_sku
from opslib.errors import PricingError
from opslib.pricing.cubes import PRICE_DAY_COLUMNS, price_days, review_cubes

pytestmark = pytest.mark.usefixtures("stamp_cache")  # a fresh cache folder per test (tests/conftest.py)


def six_lines(folder: Path) -> Path:
    """SKU a on Monday 3 June: three lines at 8, 10, 10 (one returned, one on campaign), one cancelled at 5;
    a on Tuesday 4 June: two lines at 8 and 10; b on Monday 10 June: one line at 20 (a second week)."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7"],
        "order_ts": pd.to_datetime(["2024-06-03 09:00", "2024-06-03 10:00", "2024-06-03 11:00", "2024-06-03 12:00",
                                    "2024-06-04 09:00", "2024-06-04 10:00", "2024-06-10 09:00"]),
        "customer_id": ["c1", "c2", "c3", "c4", "c1", "c2", "c3"], "sku": ["a", "a", "a", "a", "a", "a", "b"],
        "quantity": [1, 2, 1, 3, 1, 1, 2], "unit_price": [8.0, 10.0, 10.0, 5.0, 8.0, 10.0, 20.0],
        "list_price": [10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 25.0], "channel": "app", "region": "华东",
        "status": ["completed", "returned", "completed", "cancelled", "completed", "completed", "completed"],
        "campaign_id": [None, None, "CMP_1", None, None, None, None],
    }).to_parquet(folder / "orders.parquet", index=False)
    pd.DataFrame({"sku": ["a", "b"], "name": ["甲", "乙"], "category": ["美妆", "食品"], "subcategory": ["护肤", "零食"],
                  "brand": "x", "unit_cost": [4.0, 12.0], "launch_date": pd.to_datetime([None, None])}
                 ).to_parquet(folder / "products.parquet", index=False)
    return folder


def test_price_days_by_hand(tmp_path: Path) -> None:
    shop = load_shop(six_lines(tmp_path / "shop"), tables=["orders", "products"])
    _, _, days = review_cubes(shop)
    assert list(days.columns) == list(PRICE_DAY_COLUMNS)
    got = days.astype({"day": str, "sku": str}).to_dict("records")
    # 3 June, a: lines at 8, 10, 10 (the cancelled one left out): median 10; units 1 + 2 + 1; revenue 8 + 20 + 10
    assert got[0] == {"day": "2024-06-03", "sku": "a", "lines": 3, "units": 4.0, "revenue": 38.0, "list_value": 40.0,
                      "campaign_units": 1.0, "campaign_lines": 1, "price": 10.0, "bad": 0}
    # 4 June: two lines at 8 and 10, the median of an even count is the mean of the middle two: 9
    assert got[1]["price"] == 9.0 and got[1]["lines"] == 2 and got[1]["revenue"] == 18.0
    assert got[2]["sku"] == "b" and got[2]["price"] == 20.0 and got[2]["list_value"] == 50.0
    # the one-scan days of the shop equal the panel's own scan of the lines (and of a frame)
    pd.testing.assert_frame_equal(days, price_days(shop))
    pd.testing.assert_frame_equal(days, price_days(shop.orders))


def test_review_cubes_equal_daily_and_weekly_sku(tmp_path: Path) -> None:
    shop = load_shop(six_lines(tmp_path / "shop"), tables=["orders", "products"])
    daily, weekly, _ = review_cubes(shop)
    pd.testing.assert_frame_equal(daily, daily_sku(shop))
    pd.testing.assert_frame_equal(weekly, weekly_sku(shop))
    # by hand: a on 3 June has 3 orders not cancelled, 4 units of which 2 returned, GMV 38, net 18, cost 2 * 4
    row = daily.iloc[0]
    assert (row["orders"], row["units"], row["units_returned"], row["gmv"], row["net_sales"], row["cost"]) == (
        3, 4, 2, 38.0, 18.0, 8.0)
    assert weekly[["sku", "units", "gmv"]].values.tolist() == [["a", 6, 56.0], ["b", 2, 40.0]]


def test_scope_keeps_the_price_days_and_the_panel_is_the_same_with_them(tmp_path: Path) -> None:
    shop = load_shop(six_lines(tmp_path / "shop"), tables=["orders", "products"])
    scope = pricing.pricing_scope(shop, period_days=7)
    assert scope.price_days is not None and len(scope.price_days) == 3
    with_days = pricing.weekly_price_panel(shop, price_days=scope.price_days)
    pd.testing.assert_frame_equal(with_days, pricing.weekly_price_panel(shop))
    # week of 3 June, a: 6 units, revenue 56, list 60 (depth 1 - 56/60), campaign units 1; price path: Mon 10,
    # Tue 9, then Wed..Sun take Tuesday's 9 (the nearest sale, at most 7 days): exp(mean log) of 10 and six 9s
    w = with_days.iloc[0]
    assert (w["units"], w["revenue"], w["campaign_units"]) == (6.0, 56.0, 1.0)
    assert w["discount_depth"] == pytest.approx(1 - 56 / 60)
    assert w["price_index"] == pytest.approx(np.exp((np.log(10.0) + 6 * np.log(9.0)) / 7))


def test_panel_refuses_price_days_without_their_columns(tmp_path: Path) -> None:
    shop = load_shop(six_lines(tmp_path / "shop"), tables=["orders", "products"])
    with pytest.raises(PricingError, match="price_days: missing column"):
        pricing.weekly_price_panel(shop, price_days=pd.DataFrame({"day": [], "sku": []}))


def test_price_days_of_a_frame_leave_out_cancelled_and_empty_lines() -> None:
    o = pd.DataFrame({"sku": "s", "order_ts": pd.to_datetime(["2024-01-01 09:00"] * 4), "quantity": [1, 0, 2, 1],
                      "unit_price": [5.0, 1.0, 7.0, 3.0], "list_price": 7.0,
                      "status": ["completed", "completed", "completed", "cancelled"], "campaign_id": ["", None, "C", None]})
    d = price_days(o).iloc[0]
    # the quantity-0 and the cancelled lines are not panel lines; "" is no campaign: lines at 5 and 7, median 6
    assert (d["lines"], d["units"], d["revenue"], d["campaign_units"], d["price"]) == (2, 3.0, 19.0, 2.0, 6.0)
