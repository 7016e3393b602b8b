"""Calendar: ISO weeks, periods, holidays from holidays.China, festivals by rule."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from opslib.calendar import (
    Period,
    calendar_frame,
    chinese_new_year,
    comparison_period,
    festival_frame,
    iso_week,
    parse_period,
    period_ending,
    public_holidays,
)


def test_iso_week_known_dates() -> None:
    s = pd.Series(pd.to_datetime(["2024-06-18", "2024-12-30", "2024-01-01", "2021-01-03"]))
    assert iso_week(s).tolist() == ["2024-W25", "2025-W01", "2024-W01", "2020-W53"]


def test_iso_week_accepts_list_and_keeps_missing() -> None:
    out = iso_week(pd.Series([pd.Timestamp("2024-12-30"), pd.NaT]))
    assert out.iloc[0] == "2025-W01" and pd.isna(out.iloc[1])
    assert iso_week(["2024-06-18"]).tolist() == ["2024-W25"]


def test_period_arithmetic() -> None:
    p = parse_period("2024-06-01", "2024-06-28")
    assert p.days == 28
    prev = p.previous()
    # 28 days ending the day before 2024-06-01 = 2024-05-31 -> starts 2024-05-04
    assert (prev.start, prev.end) == (pd.Timestamp("2024-05-04"), pd.Timestamp("2024-05-31"))
    ly = p.same_period_last_year()
    # 364 days back: 2024-06-01 is a Saturday, 2023-06-03 too
    assert ly.start == pd.Timestamp("2023-06-03") and ly.end == pd.Timestamp("2023-06-30")
    assert ly.start.day_of_week == p.start.day_of_week
    assert ly.days == p.days
    assert comparison_period(p, "previous") == prev
    assert comparison_period(p, "last_year") == ly
    with pytest.raises(ValueError, match="previous.*last_year"):
        comparison_period(p, "yoy")  # type: ignore[arg-type]


def test_period_contains_scalar_and_series() -> None:
    p = parse_period("2024-06-01", "2024-06-02")
    assert p.contains("2024-06-02 23:59:59")
    assert not p.contains("2024-06-03 00:00:00")
    assert not p.contains(pd.Timestamp("2024-05-31 23:59"))
    s = pd.Series(pd.to_datetime(["2024-05-31 23:00", "2024-06-01 00:00", "2024-06-02 12:00", "2024-06-03 00:00"]))
    assert p.contains(s).tolist() == [False, True, True, False]


def test_period_is_frozen_and_one_day_period() -> None:
    p = Period(pd.Timestamp("2024-06-18 15:00"), pd.Timestamp("2024-06-18"))
    assert p.start == pd.Timestamp("2024-06-18") and p.days == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.start = pd.Timestamp("2024-01-01")  # type: ignore[misc]


def test_parse_period_errors() -> None:
    with pytest.raises(ValueError, match="before its start"):
        parse_period("2024-06-18", "2024-06-01")
    with pytest.raises(ValueError, match="not a date"):
        parse_period("yesterday-ish", "2024-06-01")
    with pytest.raises(ValueError, match="missing"):
        parse_period(None, "2024-06-01")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 1"):
        period_ending("2024-06-01", 0)
    assert str(period_ending("2024-06-28", 28)) == "2024-06-01 .. 2024-06-28"


def test_chinese_new_year_from_holidays_package() -> None:
    assert chinese_new_year(2024) == pd.Timestamp("2024-02-10")
    assert chinese_new_year(2025) == pd.Timestamp("2025-01-29")  # eve 01-28 is a separate holiday
    assert chinese_new_year(2023) == pd.Timestamp("2023-01-22")


def test_public_holidays_frame() -> None:
    h = public_holidays("2024-01-01", "2024-12-31")
    assert list(h.columns) == ["date", "name"]
    assert h["date"].is_monotonic_increasing
    assert h.loc[h["date"] == "2024-02-10", "name"].item() == "春节"
    assert h.loc[h["date"] == "2024-10-01", "name"].item() == "国庆节"
    assert (h["date"].dt.year == 2024).all()


def test_festivals_by_rule() -> None:
    f = festival_frame("2024-01-01", "2024-12-31")
    assert f["festival"].tolist() == ["618", "双11", "双12"]
    assert f["peak"].dt.strftime("%m-%d").tolist() == ["06-18", "11-11", "12-12"]
    assert (f["presale_start"] < f["peak"]).all()


def test_calendar_frame_known_days() -> None:
    cal = calendar_frame("2024-01-01", "2024-12-31")
    assert len(cal) == 366
    assert list(cal.columns[:8]) == ["date", "weekday", "weekday_cn", "iso_week", "is_weekend",
                                     "holiday_name", "is_holiday", "festival"]
    day = cal.set_index("date")
    assert day.loc["2024-06-18", "festival"] == "618" and bool(day.loc["2024-06-18", "is_festival_peak"])
    assert day.loc["2024-06-10", "festival"] == "618"  # inside the pre-sale window
    assert day.loc["2024-06-19", "festival"] == ""
    assert day.loc["2024-11-11", "festival"] == "双11" and day.loc["2024-12-12", "festival"] == "双12"
    assert day.loc["2024-02-10", "holiday_name"] == "春节" and bool(day.loc["2024-02-10", "is_holiday"])
    assert day.loc["2024-02-10", "days_to_cny"] == 0
    assert day.loc["2024-02-01", "days_to_cny"] == 9
    assert day.loc["2024-02-20", "days_to_cny"] == -10
    # 2024-12-31 is nearer to CNY 2025-01-29 (29 days ahead) than to 2024-02-10
    assert day.loc["2024-12-31", "days_to_cny"] == 29
    assert day.loc["2024-12-30", "iso_week"] == "2025-W01"
    assert bool(day.loc["2024-06-15", "is_weekend"]) and day.loc["2024-06-15", "weekday_cn"] == "周六"
    assert not bool(day.loc["2024-06-18", "is_holiday"])
    assert cal["days_to_cny"].dtype == "int64"
