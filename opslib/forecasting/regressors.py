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


#: Calendar regressors of a Chinese shop (column names of :func:`calendar_regressors` for ``country="CN"``).
REGRESSORS: tuple[str, ...] = ("f618", "f1111", "f1212", "cny_pre", "cny_week", "cny_post", "holiday")

#: Column names of the festivals that have a short one; any other festival or own event is ``fest_<name>``.
FESTIVAL_COLUMNS: dict[str, str] = {"618": "f618", "双11": "f1111", "双12": "f1212", "Black Friday": "black_friday"}


def festival_column(name: str) -> str:
    """The regressor column of a festival or own event: ``'双11'`` -> ``'f1111'``, ``'Summer sale'`` ->
    ``'fest_summer_sale'``.

    Example:
        >>> festival_column("双11"), festival_column("Summer sale")
        ('f1111', 'fest_summer_sale')
    """
    if name in FESTIVAL_COLUMNS:
        return FESTIVAL_COLUMNS[name]
    return "fest_" + "_".join(str(name).lower().split())


def regressor_names(country: str = "CN", events: pd.DataFrame | None = None) -> tuple[str, ...]:
    """The regressor columns of a shop: its country's festivals (and own ``events``), the lunar new year
    weeks where it moves demand, and ``holiday`` (public holidays of the country).

    Example:
        >>> regressor_names("GB")
        ('black_friday', 'holiday')
    """
    from opslib.calendar import LUNAR_NEW_YEAR_COUNTRIES, festivals_for

    cols = [festival_column(f.name) for f in festivals_for(country)]
    if events is not None and len(events):
        cols += [festival_column(n) for n in dict.fromkeys(events["name"].astype(str)) if festival_column(n) not in cols]
    if country.upper() in LUNAR_NEW_YEAR_COUNTRIES:
        cols += ["cny_pre", "cny_week", "cny_post"]
    return tuple(cols + ["holiday"])


def calendar_regressors(dates: pd.DatetimeIndex, freq: str = "W", country: str = "CN",
                        events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Calendar regressors per period, from ``opslib.calendar`` (holidays package + festival rules) for the
    shop's ``country`` and its own ``events`` (``name``, ``start``, ``end``).

    Daily values are 0/1 flags; weekly values are the share of the 7 days (Monday..Sunday) flagged:

    * one column per festival (:func:`festival_column`; China: ``f618``, ``f1111``, ``f1212``; elsewhere
      ``black_friday``; own events ``fest_<name>``): inside the festival window (pre-sale start to peak day);
    * where the lunar new year moves demand (China and neighbours): ``cny_pre`` 1-14 days before Chinese New
      Year (stock-up, then logistics shutdown), ``cny_week`` CNY day to 6 days after, ``cny_post`` 7-20 days
      after (slow restart);
    * ``holiday``: any other public holiday or day off of ``country`` (``holidays`` package).

    Parameters:
        dates: the period starts (weekly: Mondays). freq: ``'W'`` or ``'D'``. country: ISO 3166 code.
        events: the shop's own events, or None.

    Returns:
        One row per date, columns :func:`regressor_names`.

    Example:
        >>> x = calendar_regressors(pd.DatetimeIndex(["2024-11-04", "2024-11-11"]), "W")
        >>> x["f1111"].round(3).tolist()
        [1.0, 0.143]
        >>> calendar_regressors(pd.DatetimeIndex(["2024-12-25"]), "D", country="GB").iloc[0].tolist()
        [0.0, 1.0]
    """
    dates = pd.DatetimeIndex(dates)
    names = regressor_names(country, events)
    if len(dates) == 0:
        return pd.DataFrame(columns=list(names), index=dates, dtype=float)
    first, last = dates.min(), dates.max()
    jan1 = pd.Timestamp(first.year, 1, 1)
    anchor = first - pd.Timedelta(days=7 * ((first - jan1).days // 7)) if freq == "W" else jan1
    key = () if events is None else tuple((str(r.name), str(r.start), str(r.end)) for r in events.itertuples())
    full = _regressors_span(anchor, pd.Timestamp(last.year + 1, 12, 31), freq, country.upper(), key)
    return full.reindex(dates).fillna(0.0).copy()


@lru_cache(maxsize=256)
def _regressors_span(first: pd.Timestamp, last: pd.Timestamp, freq: str, country: str = "CN",
                     events: tuple[tuple[str, str, str], ...] = ()) -> pd.DataFrame:
    """Regressors for every day between ``first`` and ``last`` (weekly: every week start), cached."""
    own = pd.DataFrame(list(events), columns=["name", "start", "end"]) if events else None
    names = regressor_names(country, own)
    dates = pd.date_range(first, last, freq="D")
    span = 6 if freq == "W" else 0
    cal = calendar_frame(dates.min(), dates.max() + pd.Timedelta(days=span), country=country, events=own)
    d = cal["days_to_cny"]
    cny_week = d.between(-6, 0).to_numpy() if d.notna().any() else np.zeros(len(cal), bool)
    cols = {}
    for name in names:
        if name == "holiday":
            cols[name] = (cal["is_holiday"].to_numpy() & ~cny_week).astype(float)
        elif name == "cny_pre":
            cols[name] = d.between(1, 14).astype(float).to_numpy()
        elif name == "cny_week":
            cols[name] = cny_week.astype(float)
        elif name == "cny_post":
            cols[name] = d.between(-20, -7).astype(float).to_numpy()
        else:
            cols[name] = (cal["festival"].map(festival_column) == name).astype(float).to_numpy()
    daily = pd.DataFrame(cols, index=pd.DatetimeIndex(cal["date"]))
    if freq != "W":
        return daily.loc[dates]
    start = daily.index - pd.to_timedelta((daily.index - first).days % 7, unit="D")
    return daily.groupby(start).mean()[list(names)]


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
