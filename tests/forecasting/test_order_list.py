"""The order list's split (which SKUs get which model) and the stock figures it derives, by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from opslib.forecasting.order_list import order_list, split_models

WEEKS = pd.date_range("2024-01-01", periods=60, freq="7D")


def _ranking() -> pd.DataFrame:
    """Four SKUs; units over the last 52 weeks: B 520, D 416 (8 weeks before that do not count), A 260, C 52.

    Before the last 52 weeks D sells 100 a week, enough to lead on all 60 weeks (1,216) but not on the last 52."""
    return pd.DataFrame({"A": [5.0] * 60, "B": [10.0] * 60, "C": [1.0] * 60,
                         "D": [100.0] * 8 + [8.0] * 52}, index=WEEKS)


def test_split_ranks_by_the_last_52_weeks_and_cuts_at_full_skus() -> None:
    m = split_models(_ranking(), max_skus=3, full_skus=2)
    assert m["sku"].tolist() == ["B", "D", "A"]  # C (52 units) is 4th: off a list of 3
    assert m["units_52w"].tolist() == [520.0, 416.0, 260.0]
    assert m["rank"].tolist() == [1, 2, 3]
    assert m["model"].tolist() == ["auto", "auto", "ets"]


def test_split_default_gives_auto_to_every_sku_and_zero_gives_none() -> None:
    assert set(split_models(_ranking(), max_skus=4)["model"]) == {"auto"}  # default full_skus 50 >= 4
    assert set(split_models(_ranking(), max_skus=4, full_skus=0)["model"]) == {"ets"}


def test_split_ties_keep_the_column_order() -> None:
    s = pd.DataFrame({"Y": [2.0] * 3, "X": [2.0] * 3, "Z": [3.0] * 3})
    assert split_models(s, max_skus=3, full_skus=1)["sku"].tolist() == ["Z", "Y", "X"]


def test_split_rejects_no_list() -> None:
    with pytest.raises(ValueError):
        split_models(_ranking(), max_skus=0)


def test_order_list_stock_figures_by_hand() -> None:
    # Two SKUs, both naive (last value forward; sigma = std, ddof 1, of the week-on-week changes).
    # P: 20, 24, 20, 24, 20 -> d_w = 20, changes +4 -4 +4 -4: sigma^2 = 4 * 16 / 3, sigma = 4.6188
    # Q: 6 every week      -> d_w = 6, sigma = 0
    # Lead time 14 days (L/7 = 2 weeks), service 0.95 (z = 1.644854), review 1 week.
    s = pd.DataFrame({"Q": [6.0] * 5, "P": [20.0, 24, 20, 24, 20]}, index=WEEKS[:5])
    inv = pd.DataFrame({"date": [WEEKS[4], WEEKS[4], WEEKS[3]], "sku": ["P", "Q", "P"], "on_hand": [30, 40, 999]})
    ol = order_list(s, inv, max_skus=2, full_skus=1, full_model="naive", rest_model="naive", progress=False)
    assert ol.models["sku"].tolist() == ["P", "Q"]  # P sold 108, Q 30
    t = ol.summary().set_index("sku")
    z = 1.6448536269514722
    ss_p = z * math.sqrt(64 / 3) * math.sqrt(2)  # 10.745
    assert t.loc["P", "safety_stock"] == pytest.approx(ss_p)
    assert t.loc["P", "reorder_point"] == pytest.approx(40 + ss_p)  # 20 * 2 + SS = 50.745
    assert bool(t.loc["P", "order_now"])  # on hand 30 (the last day; 999 was the week before) <= 50.7
    assert t.loc["P", "order_qty"] == math.ceil(20 * 3 + ss_p - 30)  # ceil(40.745) = 41
    assert t.loc["Q", "safety_stock"] == pytest.approx(0.0)
    assert t.loc["Q", "reorder_point"] == pytest.approx(12.0)
    assert not bool(t.loc["Q", "order_now"]) and t.loc["Q", "order_qty"] == 0  # 40 > 12
    assert t.loc["Q", "weeks_of_cover"] == pytest.approx(40 / 6)
    assert ol.split() == ("Order list: 1 best sellers forecast with naive (backtested bands), the next 1 with NAIVE "
                          "alone (cheaper; its bands run narrow, so their safety stock is on the low side; full_skus "
                          "sets the split)")
    assert ol.plan.describe() == "1 of 2 SKUs to order this week, 41 units"


def test_order_list_without_inventory_gives_targets_only() -> None:
    s = pd.DataFrame({"P": [20.0, 24, 20, 24, 20]}, index=WEEKS[:5])
    ol = order_list(s, None, full_model="naive", progress=False)
    assert "order_qty" not in ol.summary()
    assert ol.split() == "Order list: all 1 SKUs forecast with naive (backtested bands)"
    assert "no inventory table" in ol.describe()
