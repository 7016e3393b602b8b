"""Series from the daily x SKU cube: complete weeks, weekly and daily series per level, leading zeros trimmed.

Weeks run Monday..Sunday and are labelled by their Monday; incomplete weeks at either end of the data are dropped.
Measure: ``units`` (non-cancelled units, from ``opslib.data.cube``) by default - what the warehouse ships.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opslib.errors import UserError

TOTAL = "全店"

OTHER = "其他"

#: Levels a forecast can be made at.
SERIES_LEVELS: tuple[str, ...] = ("total", "category", "sku")


class ForecastError(UserError, ValueError):
    """A forecast request that cannot be served (unknown level or category, bad horizon or origin).

    Belongs in ``opslib.errors`` with the other user errors (to be moved there at merge).
    """


def _check_level(level: str) -> None:
    if level not in SERIES_LEVELS:
        raise ForecastError(f"level must be 'total', 'category' or 'sku', got {level!r}")


def _select_category(daily: pd.DataFrame, category: str | None) -> pd.DataFrame:
    if category is None:
        return daily
    d = daily[daily["category"] == category]
    if d.empty:
        known = sorted(daily["category"].dropna().astype(str).unique()) if "category" in daily else []
        raise ForecastError(f"no sales for category {category!r}; categories with sales: {', '.join(known[:20])}"
                            + (" ..." if len(known) > 20 else ""))
    return d


def complete_weeks(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Mondays of the weeks lying entirely between ``start`` and ``end`` (inclusive days).

    Example:
        >>> complete_weeks(pd.Timestamp("2023-01-01"), pd.Timestamp("2023-01-22")).strftime("%m-%d").tolist()
        ['01-02', '01-09', '01-16']
    """
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    first = start + pd.Timedelta(days=(7 - start.day_of_week) % 7)
    last = end - pd.Timedelta(days=(end.day_of_week + 1) % 7) - pd.Timedelta(days=6)
    if last < first:
        return pd.DatetimeIndex([])
    return pd.date_range(first, last, freq="7D")


def to_weekly(daily: pd.DataFrame, key: str | None, measure: str = "units") -> pd.DataFrame:
    """Sum a daily long frame (``date``, [``key``], ``measure``) into complete weeks, wide.

    Returns index = week Monday (``week``), one column per ``key`` value (or ``TOTAL``), zeros where
    nothing sold. The date span is taken from the frame itself.
    """
    weeks = complete_weeks(daily["date"].min(), daily["date"].max())
    d = daily[["date", measure] + ([key] if key else [])].copy()
    d["week"] = d["date"] - pd.to_timedelta(d["date"].dt.day_of_week, unit="D")
    if key:
        wide = d.pivot_table(index="week", columns=key, values=measure, aggfunc="sum", fill_value=0)
    else:
        wide = d.groupby("week")[[measure]].sum().rename(columns={measure: TOTAL})
    wide = wide.reindex(weeks, fill_value=0).astype(float)
    wide.index.name = "week"
    wide.columns.name = None
    return wide


def weekly_series(
    daily: pd.DataFrame,
    level: str = "category",
    measure: str = "units",
    category: str | None = None,
    max_skus: int | None = 50,
) -> pd.DataFrame:
    """Weekly series at one level, wide (index ``week``, one column per series).

    ``daily`` is :func:`daily_cube`. ``level``: ``'total'`` (one column ``全店``), ``'category'`` (one
    per category) or ``'sku'`` (the ``max_skus`` best sellers by units over the last 52 weeks).
    ``category`` restricts every level to one category.
    """
    _check_level(level)
    d = _select_category(daily, category)
    if level == "total":
        return to_weekly(d.groupby("date", as_index=False)[measure].sum(), None, measure)
    if level == "category":
        return to_weekly(d.groupby(["date", "category"], as_index=False)[measure].sum(), "category", measure)
    wide = to_weekly(d, "sku", measure)
    top = wide.iloc[-52:].sum().sort_values(ascending=False, kind="stable")
    return wide[top.index[: max_skus or len(top)]]


def daily_series(daily: pd.DataFrame, category: str | None = None, measure: str = "units",
                 end: pd.Timestamp | None = None) -> pd.Series:
    """One daily series (whole shop or one category) over every day of the data, zeros filled.

    Parameters:
        daily: the daily x SKU cube (``date``, ``category``, ``measure``). category: one category or None
            (the shop). measure: the column summed. end: last day (default: the last day of the data).

    Returns:
        Units per day from the data's first day to ``end``, named ``category`` (or ``全店``).

    Example:
        >>> d = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-03"]), "category": "a", "units": [2, 5]})
        >>> daily_series(d).tolist()
        [2.0, 0.0, 5.0]
    """
    d = _select_category(daily, category)
    s = d.groupby("date")[measure].sum()
    days = pd.date_range(daily["date"].min(), end if end is not None else daily["date"].max(), freq="D")
    s = s.reindex(days, fill_value=0).astype(float)
    s.index.name = "date"
    s.name = category or TOTAL
    return s


def daily_frame(daily: pd.DataFrame, level: str = "category", measure: str = "units", category: str | None = None,
                max_skus: int | None = 50, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Daily series at one level, wide (index ``date``, one column per series), zeros filled.

    ``level``: ``'total'`` (one column ``全店``), ``'category'`` (one per category) or ``'sku'`` (the
    ``max_skus`` best sellers by units over the last 364 days; None or 0 = all). ``category`` restricts
    every level to one category. Days run from the data's first day to ``end`` (default its last day).

    Example:
        >>> d = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02"]),
        ...                   "sku": ["x", "x", "y"], "category": ["a", "a", "b"], "units": [1, 2, 3]})
        >>> daily_frame(d, "category").to_dict("list")
        {'a': [1.0, 2.0], 'b': [0.0, 3.0]}
    """
    _check_level(level)
    d = _select_category(daily, category)
    days = pd.date_range(daily["date"].min(), end if end is not None else daily["date"].max(), freq="D")
    if level == "total":
        wide = d.groupby("date")[[measure]].sum().rename(columns={measure: TOTAL})
    else:
        key = "category" if level == "category" else "sku"
        wide = d.pivot_table(index="date", columns=key, values=measure, aggfunc="sum", fill_value=0)
    wide = wide.reindex(days, fill_value=0).astype(float)
    wide.index.name = "date"
    wide.columns.name = None
    if level == "sku":
        top = wide.iloc[-364:].sum().sort_values(ascending=False, kind="stable")
        wide = wide[top.index[: max_skus or len(top)]]
    return wide


def trim_leading_zeros(y: pd.Series) -> pd.Series:
    """Drop the periods before the first sale (a SKU not yet launched is not 'zero demand')."""
    nz = np.flatnonzero(y.to_numpy() != 0)
    return y.iloc[nz[0]:] if len(nz) else y.iloc[0:0]


@dataclass
class ForecastScope:
    """What a forecast report works on: the cube, the daily series of the scope, the weekly series of the level,
    the shop's closed days and calendar.

    ``daily``: the daily x SKU cube; ``y_day``: daily units of the shop or of ``category``; ``series``: weekly
    series at ``level`` (:func:`weekly_series`); ``closures``: the shop's closed days (from its total units,
    country and own events); ``closed_days``: flags of ``y_day``'s closed days; ``country``/``events``: the
    shop's calendar; ``reason``: why nothing can be forecast ('' when it can); ``notes``: what is weaker.
    """

    level: str
    category: str | None
    daily: pd.DataFrame
    y_day: pd.Series
    series: pd.DataFrame
    closures: Any
    closed_days: np.ndarray
    country: str = "CN"
    events: pd.DataFrame | None = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """The scope in one line: level, series, days and weeks of history, closed days."""
        if self.reason:
            return self.reason
        scope = self.category or TOTAL
        closed = self.closures.reason if self.closures is not None and not self.closures.empty else "none found"
        return (f"{scope}: {len(self.series.columns)} weekly series at level {self.level}, "
                f"{len(self.series)} complete weeks ({self.series.index.min():%Y-%m-%d} .. "
                f"{self.series.index.max() + pd.Timedelta(days=6):%Y-%m-%d}); daily history "
                f"{len(self.y_day)} days; closed days: {closed}")

    def summary(self) -> pd.DataFrame:
        """One row: ``level``, ``scope``, ``series``, ``weeks``, ``first_week``, ``last_week``, ``days``,
        ``closed_days``, ``country``."""
        return pd.DataFrame([{"level": self.level, "scope": self.category or TOTAL, "series": self.series.shape[1],
                              "weeks": len(self.series), "first_week": self.series.index.min() if len(self.series)
                              else pd.NaT, "last_week": self.series.index.max() if len(self.series) else pd.NaT,
                              "days": len(self.y_day), "closed_days": int(np.sum(self.closed_days)),
                              "country": self.country}])

    def sku_series(self, max_skus: int | None = 50) -> pd.DataFrame:
        """Weekly series of the best-selling SKUs of the scope (:func:`weekly_series` at level ``sku``)."""
        return weekly_series(self.daily, "sku", category=self.category, max_skus=max_skus)


def forecast_scope(shop: Any, level: str = "category", category: str | None = None, max_skus: int | None = 50,
                   measure: str = "units", min_weeks: int = 2) -> ForecastScope:
    """Everything a forecast report needs from a loaded shop, and the reason when it cannot run.

    The cube (``opslib.data.daily_sku``), the daily series of the scope (:func:`daily_series`), the weekly
    series at ``level`` (:func:`weekly_series`), and the closed days
    (:func:`opslib.forecasting.closures.infer_closures` on the shop's total units, with the shop's country
    and own closure events).

    Parameters:
        shop: a loaded shop (``opslib.data.load_shop``; orders and products; the cube runs on its engine). level: ``total``, ``category``
            or ``sku``. category: one category or None. max_skus: SKUs at level ``sku``. measure: the cube
            column forecast. min_weeks: fewest complete weeks to go on.

    Returns:
        :class:`ForecastScope`; ``reason`` is set (and the frames empty) when the category has no sales or the
        history holds fewer than ``min_weeks`` complete weeks.
    """
    from opslib.data import daily_sku
    from opslib.forecasting.closures import Closures, closure_dates, infer_closures

    _check_level(level)
    # a shop opened by load_shop: the cube runs on its engine, the lines never come into pandas
    daily = daily_sku(shop) if getattr(shop, "lines", None) is not None else daily_sku(shop.orders, shop.products)
    events = shop.settings.events_frame() if hasattr(shop, "settings") else None
    country = shop.settings.country if hasattr(shop, "settings") else "CN"
    empty = ForecastScope(level, category, daily, pd.Series(dtype=float), pd.DataFrame(), Closures(), np.array([]),
                          country, events)
    if daily.empty:
        empty.reason = "The orders table has no sales: nothing to forecast."
        return empty
    try:
        y_day = daily_series(daily, category, measure)
        series = weekly_series(daily, level, measure, category, max_skus)
    except ForecastError as e:
        empty.reason = f"{e}. Nothing to forecast: pick one of those categories or category = None."
        return empty
    if len(series) < min_weeks:
        empty.reason = (f"Only {len(series)} complete Monday-Sunday weeks of orders "
                        f"({daily['date'].min():%Y-%m-%d} .. {daily['date'].max():%Y-%m-%d}): weekly forecasts need "
                        f"at least {min_weeks}.")
        return empty
    closures = infer_closures(daily_series(daily, None, measure), country, extra_dates=closure_dates(events))
    return ForecastScope(level, category, daily, y_day, series, closures, closures.is_closed(y_day.index), country,
                         events)
