"""Calendar regressors for the forecasting models: festival windows, Chinese New Year weeks, public holidays,
and Fourier terms for the yearly season.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from opslib.calendar import calendar_frame

#: Days per year / days per week: the yearly period of the Fourier terms on weekly data.
WEEKS_PER_YEAR = 365.25 / 7


#: Calendar regressors (column names of :func:`calendar_regressors`).
REGRESSORS: tuple[str, ...] = ("f618", "f1111", "f1212", "cny_pre", "cny_week", "cny_post", "holiday")


def calendar_regressors(dates: pd.DatetimeIndex, freq: str = "W") -> pd.DataFrame:
    """Calendar regressors per period, from ``opslib.calendar`` (holidays package + festival rules).

    Daily values are 0/1 flags; weekly values are the share of the 7 days (Monday..Sunday) flagged:

    * ``f618``, ``f1111``, ``f1212``: inside the festival window (pre-sale start to peak day);
    * ``cny_pre``: 1-14 days before Chinese New Year (stock-up, then logistics shutdown);
    * ``cny_week``: CNY day to 6 days after (``days_to_cny`` in -6..0);
    * ``cny_post``: 7-20 days after CNY (slow restart);
    * ``holiday``: any other public holiday or day off from ``holidays.China``.

    Example:
        >>> x = calendar_regressors(pd.DatetimeIndex(["2024-11-04", "2024-11-11"]), "W")
        >>> x["f1111"].round(3).tolist()
        [1.0, 0.143]
    """
    dates = pd.DatetimeIndex(dates)
    if len(dates) == 0:
        return pd.DataFrame(columns=list(REGRESSORS), index=dates, dtype=float)
    first, last = dates.min(), dates.max()
    jan1 = pd.Timestamp(first.year, 1, 1)
    anchor = first - pd.Timedelta(days=7 * ((first - jan1).days // 7)) if freq == "W" else jan1
    full = _regressors_span(anchor, pd.Timestamp(last.year + 1, 12, 31), freq)
    return full.reindex(dates).fillna(0.0).copy()


@lru_cache(maxsize=256)
def _regressors_span(first: pd.Timestamp, last: pd.Timestamp, freq: str) -> pd.DataFrame:
    """Regressors for every day between ``first`` and ``last`` (weekly: every week start), cached."""
    dates = pd.date_range(first, last, freq="D")
    span = 6 if freq == "W" else 0
    cal = calendar_frame(dates.min(), dates.max() + pd.Timedelta(days=span))
    d = cal["days_to_cny"]
    daily = pd.DataFrame(
        {
            "f618": (cal["festival"] == "618").astype(float),
            "f1111": (cal["festival"] == "双11").astype(float),
            "f1212": (cal["festival"] == "双12").astype(float),
            "cny_pre": d.between(1, 14).astype(float),
            "cny_week": d.between(-6, 0).astype(float),
            "cny_post": d.between(-20, -7).astype(float),
            "holiday": (cal["is_holiday"] & ~d.between(-6, 0)).astype(float),
        }
    )
    daily.index = pd.DatetimeIndex(cal["date"])
    if freq != "W":
        return daily.loc[dates]
    start = daily.index - pd.to_timedelta((daily.index - first).days % 7, unit="D")
    return daily.groupby(start).mean()[list(REGRESSORS)]


def fourier_terms(t: np.ndarray, period: float, k: int) -> np.ndarray:
    """``[sin(2 pi j t / period), cos(2 pi j t / period)]`` for ``j = 1..k``; shape ``(len(t), 2k)``.

    Example:
        >>> (fourier_terms(np.array([0, 13]), 52, 1).round(3) + 0.0).tolist()
        [[0.0, 1.0], [1.0, 0.0]]
    """
    cols = []
    for j in range(1, k + 1):
        cols += [np.sin(2 * np.pi * j * t / period), np.cos(2 * np.pi * j * t / period)]
    return np.column_stack(cols)
