"""Closed days (休息日): days a shop does not trade are known zeros of the calendar, not demand.

A shop closed on Saturdays, or on public holidays, sells nothing on those days. Fed to a model as demand,
the zeros pull the level down (ETS), teach the yearly seasonal last year's closures (STL repeats them on
dates that are open this year) and widen every interval. Here they are taken out: in the history a closed
day is **missing** (filled by linear interpolation between the open days around it, so every model sees a
regular series), and in the forecast it is a **known zero** (mean and both bounds 0).

Where closures come from (:class:`Closures`):

* ``weekdays``: closed every week (0 = Monday .. 6 = Sunday);
* ``dates``: single closed days (past ones from the data, future ones you know: stock-taking, a move);
* ``holidays``: closed on every public holiday of ``country`` (the ``holidays`` package, through
  :func:`opslib.calendar.public_holidays`), past and future.

:func:`infer_closures` reads them off a daily series (best: the shop's total units, where a day without a
single sale is a closure): a weekday with no sale in at least 11 of its last 12 weeks while the other
weekdays sell most days; in a dense series (at most 5% zero days on open weekdays) every zero day; and, with
``country``, ``holidays=True`` when at least 80% of the public holidays in the history (on open weekdays, at
least two) had no sale.

Example:
    >>> idx = pd.date_range("2024-01-01", periods=7 * 14)  # 14 weeks from a Monday
    >>> y = pd.Series(np.where(idx.day_of_week == 6, 0.0, 20.0), index=idx)  # closed on Sundays
    >>> c = infer_closures(y)
    >>> sorted(c.weekdays), c.is_closed(pd.DatetimeIndex(["2024-04-07", "2024-04-08"])).tolist()
    ([6], [True, False])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from opslib.calendar import WEEKDAYS_CN, public_holidays

#: Rules of :func:`infer_closures`: last weeks looked at, zero weeks needed among them, the most zero days
#: the other weekdays may have, the zero share below which a series counts as dense, the share of
#: public holidays that must be zero for ``holidays=True``.
RECENT_WEEKS, ZERO_WEEKS, OPEN_ZERO_SHARE, DENSE_SHARE, HOLIDAY_SHARE = 12, 11, 0.5, 0.05, 0.8


def _day_numbers(dates: Iterable) -> np.ndarray:
    """Whole days since 1970-01-01 of ``dates`` (time of day dropped), as int64."""
    return pd.DatetimeIndex(dates).to_numpy().astype("datetime64[D]").astype(np.int64)


@lru_cache(maxsize=64)
def _holiday_days(country: str, first_year: int, last_year: int) -> np.ndarray:
    """The public holidays of ``country`` in the whole years ``first_year .. last_year`` as day numbers (cached:
    ``auto`` asks for the same years once per candidate and backtest origin)."""
    hol = public_holidays(f"{first_year}-01-01", f"{last_year}-12-31", country=country)
    return np.unique(_day_numbers(hol["date"]))


@dataclass(frozen=True)
class Closures:
    """The days a shop does not trade: weekly closed ``weekdays``, single ``dates`` and, when ``holidays``,
    every public holiday of ``country``. ``reason`` says where they came from."""

    weekdays: frozenset[int] = frozenset()
    dates: tuple[pd.Timestamp, ...] = ()
    holidays: bool = False
    country: str = "CN"
    reason: str = ""
    _extra: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def empty(self) -> bool:
        """True when no day is closed."""
        return not self.weekdays and not self.dates and not self.holidays

    def is_closed(self, dates: Iterable) -> np.ndarray:
        """Boolean array: is each of ``dates`` a closed day?

        Example:
            >>> Closures(weekdays=frozenset({5})).is_closed(pd.date_range("2024-06-07", periods=3)).tolist()
            [False, True, False]
        """
        days = _day_numbers(dates)  # whole days since 1970-01-01 (a Thursday): integer sets are fast to test
        out = np.zeros(len(days), bool)
        if len(days) == 0:
            return out
        if self.weekdays:
            out |= np.isin((days + 3) % 7, sorted(self.weekdays))
        if self.dates:
            if "days" not in self._extra:  # frozen dataclass: the cache lives in the mutable _extra
                self._extra["days"] = np.unique(_day_numbers(self.dates))
            out |= np.isin(days, self._extra["days"])
        if self.holidays:
            first, last = (pd.Timestamp(int(d), unit="D").year for d in (days.min(), days.max()))
            out |= np.isin(days, _holiday_days(self.country, first, last))
        return out

    def summary(self) -> pd.DataFrame:
        """One row per rule: ``rule`` (weekday / date / public holidays), ``value``, ``reason``.

        Example:
            >>> Closures(weekdays=frozenset({6}), reason="given").summary().values.tolist()
            [['weekday', '周日 (6)', 'given']]
        """
        rows = [{"rule": "weekday", "value": f"{WEEKDAYS_CN[d]} ({d})", "reason": self.reason}
                for d in sorted(self.weekdays)]
        if self.dates:
            ds = pd.DatetimeIndex(self.dates)
            rows.append({"rule": "dates", "value": f"{len(ds)} days, {ds.min().date()} .. {ds.max().date()}",
                         "reason": self.reason})
        if self.holidays:
            rows.append({"rule": "public holidays", "value": self.country, "reason": self.reason})
        if not rows:
            rows.append({"rule": "none", "value": "", "reason": "no closed days found: every day is a trading day"})
        return pd.DataFrame(rows, columns=["rule", "value", "reason"])


def infer_closures(y: pd.Series, country: str | None = None, extra_dates: Iterable = ()) -> Closures:
    """Closed days read off a daily series (see the module docstring for the rules).

    Parameters:
        y: daily units on a regular ``DatetimeIndex`` (zeros where nothing sold); the shop's total is best.
        country: ISO 3166 code; when given, public holidays are checked as a closure rule.
        extra_dates: closed days you know (past or future), added as they are.

    Returns:
        :class:`Closures` (empty when nothing looks closed, or ``y`` is not daily).

    Example:
        >>> idx = pd.date_range("2024-01-01", periods=60)
        >>> y = pd.Series(10.0, index=idx); y["2024-01-15"] = 0
        >>> [str(d.date()) for d in infer_closures(y).dates]  # dense: the one zero day is a closure
        ['2024-01-15']
    """
    extra = tuple(pd.DatetimeIndex(list(extra_dates)).normalize()) if extra_dates else ()
    y = pd.Series(y, dtype=float).dropna()
    idx = pd.DatetimeIndex(y.index)
    if len(y) < 14 or (idx[1] - idx[0]).days != 1:
        return Closures(dates=extra, country=country or "CN", reason="given" if extra else "")
    v = y.to_numpy()
    zero = v <= 0
    dow = idx.day_of_week
    weekdays = set()
    for d in range(7):
        last = zero[dow == d][-RECENT_WEEKS:]
        if len(last) >= RECENT_WEEKS and last.sum() >= ZERO_WEEKS:
            weekdays.add(d)
    open_mask = ~np.isin(dow, sorted(weekdays))
    if weekdays and (not open_mask.any() or zero[open_mask].mean() > OPEN_ZERO_SHARE):
        weekdays = set()  # a sparse series: zero weekdays are chance, not closures
        open_mask = np.ones(len(v), bool)
    reasons = []
    if weekdays:
        names = ", ".join(WEEKDAYS_CN[d] for d in sorted(weekdays))
        reasons.append(f"no sale on {names} in >= {ZERO_WEEKS} of the last {RECENT_WEEKS} weeks")
    dates: list[pd.Timestamp] = []
    dense = open_mask.any() and zero[open_mask].mean() <= DENSE_SHARE
    if dense and zero[open_mask].any():
        dates = list(idx[open_mask & zero])
        reasons.append(f"{len(dates)} days without a sale in a series that sells on "
                       f"{1 - zero[open_mask].mean():.0%} of open days")
    holidays = False
    if country:
        hol = pd.DatetimeIndex(public_holidays(idx.min(), idx.max(), country=country)["date"])
        hol = hol[~np.isin(hol.day_of_week, sorted(weekdays))]
        if len(hol) >= 2:
            share = float(np.mean(zero[idx.isin(hol)]))
            if share >= HOLIDAY_SHARE and dense:
                holidays = True
                reasons.append(f"no sale on {share:.0%} of {len(hol)} public holidays ({country})")
    if extra:
        dates = sorted(set(dates) | set(extra))
        reasons.append(f"{len(extra)} days given")
    return Closures(frozenset(weekdays), tuple(dates), holidays, (country or "CN").upper(), "; ".join(reasons))


#: An own event (``shop.yml`` / ``events.csv``) whose name matches this is a closure, not a promotion.
CLOSURE_PATTERN = r"(?i)clos|shut|holiday break|闭店|停业|休息|休业|放假|盘点"


def closure_dates(events: pd.DataFrame | None) -> list[pd.Timestamp]:
    """Every day of the shop's own events that are closures (name matching ``CLOSURE_PATTERN``: "closed",
    "closure", "闭店", "停业", "休息", "放假", "盘点" ...), from ``start`` to ``end`` inclusive.

    Parameters:
        events: ``name``, ``start``, ``end`` (``ShopSettings.events_frame()``), or None.

    Returns:
        The closed days, sorted.

    Example:
        >>> ev = pd.DataFrame({"name": ["Summer sale", "Closed for stock-taking"],
        ...                    "start": pd.to_datetime(["2024-07-01", "2024-12-30"]),
        ...                    "end": pd.to_datetime(["2024-07-14", "2024-12-31"])})
        >>> [str(d.date()) for d in closure_dates(ev)]
        ['2024-12-30', '2024-12-31']
    """
    if events is None or len(events) == 0:
        return []
    hit = events[events["name"].astype(str).str.contains(CLOSURE_PATTERN, regex=True)]
    days: set[pd.Timestamp] = set()
    for r in hit.itertuples(index=False):
        days.update(pd.date_range(pd.Timestamp(r.start).normalize(), pd.Timestamp(r.end).normalize(), freq="D"))
    return sorted(days)


def open_series(y: pd.Series, closures: Closures | None) -> tuple[pd.Series, np.ndarray]:
    """The series with closed days treated as missing and filled by linear interpolation between open days.

    Returns ``(filled, closed)`` where ``closed`` flags the closed days of ``y``. Closed days at either end
    take the nearest open value; when every day is closed the series is returned as it is.

    Example:
        >>> y = pd.Series([10.0, 0, 14, 12], index=pd.date_range("2024-06-07", periods=4))
        >>> filled, closed = open_series(y, Closures(weekdays=frozenset({5})))  # 2024-06-08 is a Saturday
        >>> filled.tolist(), closed.tolist()
        ([10.0, 12.0, 14.0, 12.0], [False, True, False, False])
    """
    if closures is None or closures.empty or len(y) == 0:
        return y, np.zeros(len(y), bool)
    closed = closures.is_closed(y.index)
    if not closed.any() or closed.all():
        return y, closed
    filled = y.astype(float).copy()
    filled[closed] = np.nan
    filled = filled.interpolate(method="linear", limit_direction="both")
    return filled, closed
