"""Series from the daily x SKU cube: complete weeks, weekly and daily series per level, leading zeros trimmed.

Weeks run Monday..Sunday and are labelled by their Monday; incomplete weeks at either end of the data are dropped.
Measure: ``units`` (non-cancelled units, from ``opslib.data.cube``) by default - what the warehouse ships.
"""

from __future__ import annotations

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
