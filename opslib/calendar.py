"""The shop calendar: ISO weeks, analysis periods, Chinese public holidays and shopping festivals.

Sources:

* **Public holidays** (法定节假日, including the observed/bridge days off, 调休) come from the maintained
  ``holidays`` package (``holidays.China``, names in Simplified Chinese). We never hard-code them:
  the State Council publishes the schedule every year and the package tracks it.
* **Chinese New Year** (春节) is the first day the package names ``春节`` in each year.
* **Shopping festivals** (618, 双11, 双12) are not public holidays; they sit on fixed calendar dates and
  are generated here by rule: a peak day (06-18, 11-11, 12-12) and a pre-sale window before it
  (``FESTIVALS``). Platforms shift the pre-sale start a few days from year to year; the windows below
  are the usual ones and the campaigns table (``opslib.contract``) carries the exact dates of a shop.

Example:
    >>> p = parse_period("2024-06-01", "2024-06-28")
    >>> p.days, str(p.previous()), str(p.same_period_last_year())
    (28, '2024-05-04 .. 2024-05-31', '2023-06-03 .. 2023-06-30')
    >>> chinese_new_year(2024)
    Timestamp('2024-02-10 00:00:00')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import holidays
import pandas as pd

DateLike = str | dt.date | dt.datetime | pd.Timestamp

WEEKDAYS_CN: tuple[str, ...] = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

#: Days between a date and "the same date last year" in :meth:`Period.same_period_last_year`:
#: 52 weeks, so a Monday is compared with a Monday (weekday mix drives daily sales).
LAST_YEAR_SHIFT_DAYS = 364


@dataclass(frozen=True)
class Festival:
    """A shopping festival: peak day (month, day) and a pre-sale window starting ``presale_start``."""

    name: str
    peak: tuple[int, int]
    presale_start: tuple[int, int]


#: Shopping festivals by rule: the window runs from ``presale_start`` to ``peak`` (inclusive).
FESTIVALS: tuple[Festival, ...] = (
    Festival("618", peak=(6, 18), presale_start=(6, 1)),
    Festival("双11", peak=(11, 11), presale_start=(10, 20)),
    Festival("双12", peak=(12, 12), presale_start=(12, 1)),
)


def _ts(value: DateLike, what: str = "date") -> pd.Timestamp:
    """Parse one date to a midnight ``Timestamp`` or raise a ValueError naming ``what``."""
    if value is None:
        raise ValueError(f"{what} is missing: give a date like '2024-06-18'")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what} {value!r} is not a date: use a form like '2024-06-18'") from exc
    if ts is pd.NaT or pd.isna(ts):
        raise ValueError(f"{what} {value!r} is not a date: use a form like '2024-06-18'")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def iso_week(dates: pd.Series | pd.DatetimeIndex | Iterable[DateLike]) -> pd.Series:
    """ISO-8601 week label of each date, ``'YYYY-Www'`` (weeks start on Monday; week 1 holds a Thursday).

    The ISO year can differ from the calendar year at the turn of the year.

    Example:
        >>> iso_week(pd.Series(pd.to_datetime(["2024-06-18", "2024-12-30", "2021-01-03"]))).tolist()
        ['2024-W25', '2025-W01', '2020-W53']
    """
    s = dates if isinstance(dates, pd.Series) else pd.Series(list(dates) if not isinstance(dates, pd.Index) else dates)
    s = pd.to_datetime(s)
    iso = s.dt.isocalendar()
    ok = s.notna()
    year = iso["year"].where(ok, 0).astype("int64").astype(str)
    week = iso["week"].where(ok, 0).astype("int64").astype(str).str.zfill(2)
    out = (year + "-W" + week).where(ok)
    out.name = "iso_week"
    return out


@dataclass(frozen=True)
class Period:
    """An analysis period of whole days, ``start`` to ``end`` inclusive.

    Build it with :func:`parse_period` (validates) or directly with Timestamps.

    Example:
        >>> p = Period(pd.Timestamp("2024-06-01"), pd.Timestamp("2024-06-07"))
        >>> p.days, p.contains("2024-06-07"), p.contains("2024-06-08")
        (7, True, False)
    """

    start: pd.Timestamp
    end: pd.Timestamp

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _ts(self.start, "start"))
        object.__setattr__(self, "end", _ts(self.end, "end"))
        if self.end < self.start:
            raise ValueError(f"period end {self.end.date()} is before its start {self.start.date()}")

    def __str__(self) -> str:
        return f"{self.start.date()} .. {self.end.date()}"

    @property
    def days(self) -> int:
        """Number of days, both ends included: ``(end - start).days + 1``."""
        return int((self.end - self.start).days) + 1

    @property
    def end_exclusive(self) -> pd.Timestamp:
        """Midnight after the last day: timestamps ``t`` in the period satisfy ``start <= t < end_exclusive``."""
        return self.end + pd.Timedelta(days=1)

    def shift(self, days: int) -> Period:
        """The same-length period moved by ``days`` (negative = earlier)."""
        delta = pd.Timedelta(days=days)
        return Period(self.start + delta, self.end + delta)

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts.

        Example: 2024-06-01 .. 2024-06-28 (28 days) -> 2024-05-04 .. 2024-05-31.
        """
        return self.shift(-self.days)

    def same_period_last_year(self) -> Period:
        """The same period one year earlier, shifted by 364 days (52 weeks) so weekdays align.

        A 364-day shift keeps Monday on Monday, which matters more for daily sales than the calendar
        date; the price is that fixed-date events (618, 双11) land one or two days off. Compare a
        festival with its own dates from :func:`festival_frame` when that matters.

        Example: 2024-06-01 (Sat) .. 2024-06-28 -> 2023-06-03 (Sat) .. 2023-06-30.
        """
        return self.shift(-LAST_YEAR_SHIFT_DAYS)

    def contains(self, dates: DateLike | pd.Series) -> bool | pd.Series:
        """Whether a date/timestamp (or each of a Series) falls in the period; time of day is ignored."""
        if isinstance(dates, (pd.Series, pd.Index)):
            d = pd.to_datetime(dates)
            return (d >= self.start) & (d < self.end_exclusive)
        t = pd.Timestamp(dates)
        return bool(self.start <= t < self.end_exclusive)

    def dates(self) -> pd.DatetimeIndex:
        """Every day of the period."""
        return pd.date_range(self.start, self.end, freq="D")


def parse_period(start: DateLike, end: DateLike) -> Period:
    """Validate two dates into a :class:`Period` (inclusive days).

    Raises ``ValueError`` with a message saying what is wrong: a missing or unparsable date, or an end
    before the start.

    Example:
        >>> parse_period("2024-06-01", "2024-06-18").days
        18
        >>> parse_period("2024-06-18", "2024-06-01")
        Traceback (most recent call last):
        ...
        ValueError: period end 2024-06-01 is before its start 2024-06-18
    """
    return Period(_ts(start, "period start"), _ts(end, "period end"))


def period_ending(end: DateLike, days: int) -> Period:
    """The ``days``-day period whose last day is ``end``.

    Example:
        >>> str(period_ending("2024-06-28", 28))
        '2024-06-01 .. 2024-06-28'
    """
    if int(days) < 1:
        raise ValueError(f"period_days must be at least 1, got {days!r}")
    e = _ts(end, "period end")
    return Period(e - pd.Timedelta(days=int(days) - 1), e)


def comparison_period(period: Period, how: Literal["previous", "last_year"] = "previous") -> Period:
    """The baseline to compare ``period`` with: the ``'previous'`` period or ``'last_year'`` (364 days back).

    Example:
        >>> str(comparison_period(parse_period("2024-06-01", "2024-06-28"), "last_year"))
        '2023-06-03 .. 2023-06-30'
    """
    if how == "previous":
        return period.previous()
    if how == "last_year":
        return period.same_period_last_year()
    raise ValueError(f"comparison must be 'previous' or 'last_year', got {how!r}")


@lru_cache(maxsize=64)
def _china(years: tuple[int, ...]) -> holidays.HolidayBase:
    return holidays.China(years=list(years), language="zh_CN")


def public_holidays(start: DateLike, end: DateLike) -> pd.DataFrame:
    """Chinese public holidays and days off (incl. observed and bridge days) between two dates, inclusive.

    From ``holidays.China`` (names in Simplified Chinese, e.g. ``春节``, ``春节（补假）``, ``休息日（由 ... 调休）``).
    Columns ``date`` (datetime64), ``name``.

    Example:
        >>> public_holidays("2024-10-01", "2024-10-03")["name"].tolist()
        ['国庆节', '国庆节', '国庆节']
    """
    s, e = _ts(start, "start"), _ts(end, "end")
    cn = _china(tuple(range(s.year, e.year + 1)))
    rows = [(pd.Timestamp(d), name) for d, name in cn.items() if s <= pd.Timestamp(d) <= e]
    out = pd.DataFrame(rows, columns=["date", "name"]).sort_values("date", ignore_index=True)
    out["date"] = pd.to_datetime(out["date"])
    return out


def chinese_new_year(year: int) -> pd.Timestamp:
    """Chinese New Year's day (春节, first day of the lunar year) in ``year``, from ``holidays.China``.

    Example:
        >>> chinese_new_year(2024).date(), chinese_new_year(2025).date()
        (datetime.date(2024, 2, 10), datetime.date(2025, 1, 29))
    """
    cn = _china((int(year),))
    days = [d for d, name in cn.items() if name == "春节" and d.year == year]
    if not days:
        raise ValueError(f"no Chinese New Year found for {year} in holidays.China")
    return pd.Timestamp(min(days))


def festival_frame(start: DateLike, end: DateLike) -> pd.DataFrame:
    """Shopping-festival windows overlapping the dates, one row per festival and year.

    Columns ``festival``, ``year``, ``presale_start``, ``peak`` (datetime64). Rules in ``FESTIVALS``.

    Example:
        >>> festival_frame("2024-06-01", "2024-06-30")[["festival", "peak"]].to_dict("records")
        [{'festival': '618', 'peak': Timestamp('2024-06-18 00:00:00')}]
    """
    s, e = _ts(start, "start"), _ts(end, "end")
    rows = []
    for year in range(s.year, e.year + 1):
        for f in FESTIVALS:
            peak = pd.Timestamp(year, *f.peak)
            pre = pd.Timestamp(year, *f.presale_start)
            if pre <= e and peak >= s:
                rows.append((f.name, year, pre, peak))
    out = pd.DataFrame(rows, columns=["festival", "year", "presale_start", "peak"])
    return out.sort_values("peak", ignore_index=True)


def calendar_frame(start: DateLike, end: DateLike) -> pd.DataFrame:
    """One row per day from ``start`` to ``end`` (inclusive) with the calendar features analysts use.

    Columns:

    * ``date`` (datetime64), ``weekday`` (0 = Monday .. 6 = Sunday), ``weekday_cn`` (周一..周日),
      ``iso_week`` (``'2024-W25'``), ``is_weekend``;
    * ``holiday_name`` (from ``holidays.China``; empty string on ordinary days), ``is_holiday``;
    * ``festival`` (``'618'``, ``'双11'``, ``'双12'`` inside the pre-sale-to-peak window, else empty),
      ``is_festival_peak`` (the peak day itself);
    * ``days_to_cny``: days from the date to the *nearest* Chinese New Year, ``cny - date``:
      positive before the holiday, 0 on the day, negative after.

    Example:
        >>> cal = calendar_frame("2024-02-09", "2024-02-11")
        >>> cal[["weekday_cn", "holiday_name", "days_to_cny"]].values.tolist()
        [['周五', '', 1], ['周六', '春节', 0], ['周日', '春节', -1]]
    """
    s, e = _ts(start, "start"), _ts(end, "end")
    if e < s:
        raise ValueError(f"end {e.date()} is before start {s.date()}")
    return _calendar_frame_cached(s.strftime("%Y-%m-%d"), e.strftime("%Y-%m-%d")).copy()


@lru_cache(maxsize=128)
def _calendar_frame_cached(start: str, end: str) -> pd.DataFrame:
    """:func:`calendar_frame` for two ISO date strings, cached (building it takes 0.3-0.5 s).

    Callers must not modify the returned frame: :func:`calendar_frame` hands out a copy.
    """
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    dates = pd.date_range(s, e, freq="D")
    out = pd.DataFrame({"date": dates})
    out["weekday"] = out["date"].dt.day_of_week.astype("int64")
    out["weekday_cn"] = [WEEKDAYS_CN[i] for i in out["weekday"]]
    out["iso_week"] = iso_week(out["date"])
    out["is_weekend"] = out["weekday"] >= 5

    hol = public_holidays(s, e)
    names = dict(zip(hol["date"], hol["name"], strict=True))
    out["holiday_name"] = [names.get(d, "") for d in out["date"]]
    out["is_holiday"] = out["holiday_name"] != ""

    out["festival"] = ""
    out["is_festival_peak"] = False
    for f in festival_frame(s, e).itertuples(index=False):
        in_window = (out["date"] >= f.presale_start) & (out["date"] <= f.peak)
        out.loc[in_window, "festival"] = f.festival
        out.loc[out["date"] == f.peak, "is_festival_peak"] = True

    cny = pd.Series([chinese_new_year(y) for y in range(s.year - 1, e.year + 2)])
    diffs = (cny.to_numpy()[None, :] - out["date"].to_numpy()[:, None]).astype("timedelta64[D]").astype("int64")
    nearest = abs(diffs).argmin(axis=1)
    out["days_to_cny"] = diffs[range(len(out)), nearest].astype("int64")
    return out
