"""Closed days: inferred from the data and the country's holidays, missing in the history, zero in the forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslib.forecasting.closures import Closures, closure_dates, infer_closures, open_series


def _open_all_week(n: int = 120, seed: int = 0) -> pd.Series:
    idx = pd.date_range("2024-01-01", periods=n)
    return pd.Series(np.random.default_rng(seed).poisson(20, n).astype(float) + 1, index=idx)


def test_a_weekday_without_sales_is_a_closure() -> None:
    y = _open_all_week()
    y[y.index.day_of_week == 5] = 0.0
    c = infer_closures(y)
    assert c.weekdays == frozenset({5}) and "周六" in c.reason and c.dates == ()


def test_a_sparse_series_is_not_closed() -> None:
    """A SKU selling on one day in five has zero weeks by chance: no closure inferred."""
    idx = pd.date_range("2024-01-01", periods=120)
    y = pd.Series(np.where(np.arange(120) % 5 == 0, 2.0, 0.0), index=idx)
    assert infer_closures(y).empty


def test_zero_days_of_a_dense_series_are_closures() -> None:
    y = _open_all_week()
    y["2024-02-10":"2024-02-12"] = 0.0
    c = infer_closures(y)
    assert [d.strftime("%m-%d") for d in c.dates] == ["02-10", "02-11", "02-12"]


def test_closed_on_public_holidays_of_the_country() -> None:
    """A British shop shut on every bank holiday: holidays=True, and next year's bank holidays are closed too."""
    idx = pd.date_range("2022-01-01", "2023-12-31")
    y = pd.Series(30.0, index=idx)
    from opslib.calendar import public_holidays

    hol = pd.DatetimeIndex(public_holidays("2022-01-01", "2023-12-31", country="GB")["date"])
    y[y.index.isin(hol)] = 0.0
    c = infer_closures(y, country="GB")
    assert c.holidays and c.country == "GB"
    assert c.is_closed(pd.DatetimeIndex(["2024-12-25", "2024-12-27"])).tolist() == [True, False]
    assert infer_closures(y).holidays is False  # without the country nothing is said about future holidays


def test_open_series_interpolates_closed_days() -> None:
    y = pd.Series([10.0, 0, 0, 16, 12], index=pd.date_range("2024-06-07", periods=5))  # Fri .. Tue
    filled, closed = open_series(y, Closures(weekdays=frozenset({5, 6})))
    assert closed.tolist() == [False, True, True, False, False]
    assert filled.tolist() == pytest.approx([10, 12, 14, 16, 12])  # straight line from Friday to Monday


def test_closure_events_from_the_shops_calendar() -> None:
    ev = pd.DataFrame({"name": ["双11 预热", "春节 放假", "Closed: stock-taking"],
                       "start": pd.to_datetime(["2024-11-01", "2025-01-28", "2025-03-03"]),
                       "end": pd.to_datetime(["2024-11-11", "2025-01-30", "2025-03-03"])})
    assert [d.strftime("%m-%d") for d in closure_dates(ev)] == ["01-28", "01-29", "01-30", "03-03"]
    c = infer_closures(_open_all_week(), extra_dates=closure_dates(ev))
    assert c.is_closed(pd.DatetimeIndex(["2025-01-29", "2025-02-01"])).tolist() == [True, False]


def test_summary_lists_every_rule() -> None:
    c = Closures(weekdays=frozenset({6}), dates=(pd.Timestamp("2024-01-01"),), holidays=True, country="GB",
                 reason="given")
    assert c.summary()["rule"].tolist() == ["weekday", "dates", "public holidays"]


def test_holiday_closures_across_a_new_year() -> None:
    """A British shop shut on bank holidays, asked about 2023-12-20 .. 2024-01-05: Christmas Day, Boxing Day
    and New Year's Day (GB, hand-checked) are closed, the days around them open; asking twice (the holiday
    table is cached) gives the same answer, and a range inside one year sees the same days."""
    c = Closures(holidays=True, country="GB")
    days = pd.date_range("2023-12-20", "2024-01-05")
    closed = {d.strftime("%Y-%m-%d") for d in days[c.is_closed(days)]}
    assert closed == {"2023-12-25", "2023-12-26", "2024-01-01"}
    assert (c.is_closed(days) == c.is_closed(days)).all()
    assert c.is_closed(pd.date_range("2023-12-24", "2023-12-27")).tolist() == [False, True, True, False]
