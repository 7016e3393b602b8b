"""Decomposition of a daily series: MSTL (weekly and yearly seasonality), trend segments, festival effects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opslib.forecasting.regressors import calendar_regressors, fourier_terms
from opslib.kpi import Term

REGRESSOR_LABELS: dict[str, str] = {
    "f618": "618 大促窗口", "f1111": "双11 大促窗口", "f1212": "双12 大促窗口", "cny_pre": "春节前 1-14 天",
    "cny_week": "春节当周", "cny_post": "春节后 7-20 天", "holiday": "其他法定假日 public holidays",
    "black_friday": "Black Friday - Cyber Monday",
}


def regressor_label(name: str) -> str:
    """Display label of a calendar regressor (own events: their name).

    Example:
        >>> regressor_label("f1111"), regressor_label("fest_summer_sale")
        ('双11 大促窗口', 'summer sale')
    """
    return REGRESSOR_LABELS.get(name, name.removeprefix("fest_").replace("_", " "))


def _odd(x: float) -> int:
    """The smallest odd integer >= ``x``."""
    k = int(np.ceil(x))
    return k if k % 2 else k + 1


def usable_periods(n: int, periods: Sequence[int], min_cycles: float = 2.0) -> list[int]:
    """The seasonal periods a series of ``n`` points can estimate: those with ``n > min_cycles * p``.

    Two full cycles (R's ``mstl`` and statsmodels' ``MSTL`` rule) by default: one cycle cannot separate a
    season from the trend.

    Example:
        >>> usable_periods(600, (7, 365)), usable_periods(800, (7, 365)), usable_periods(10, (7,))
        ([7], [7, 365], [])
    """
    return [p for p in sorted(periods) if n > min_cycles * p]


_STL_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
_STL_CACHE_SIZE = 32


def stl_components(v: np.ndarray, periods: Sequence[int], robust: bool = False,
                   periodic_first: bool = False, yearly_deg: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Multiple-seasonal STL as R's ``forecast::mstl`` does it: ``v = trend + sum_i s_i + remainder``.

    Periods sorted ascending; period ``i`` (1-based) gets the seasonal window ``7 + 4 i`` (11, 15, ...);
    two passes over the periods when there are several (each STL fitted on the series minus the other
    seasonal components); the trend is the last STL's. Every STL is R's ``stl`` default: locally constant
    seasonal (``seasonal_deg = 0``), trend window ``nextodd(1.5 p / (1 - 1.5 / s_window))``, low-pass
    window ``nextodd(p + 1)``, LOESS evaluated every ``ceil(window / 10)`` points and interpolated (R's
    ``*.jump``), not robust unless asked. ``periodic_first`` makes the shortest season periodic (one
    fixed profile, R's ``s.window = "periodic"``: window ``10 n + 1``); ``yearly_deg = 1`` fits the yearly
    season (a period of 52 or more) locally linear: with 2-4 years, each week (day) of the year is then a
    straight line through its 2-4 values, so a festival peak that grows with the business keeps growing.

    Parameters:
        v: the series (no missing values). periods: seasonal periods to estimate (each needs ``len(v) > 2p``).
        robust: robust LOESS weights (outliers get less weight). periodic_first: a fixed shortest season.
        yearly_deg: LOESS degree of the yearly season (0 or 1).

    Returns:
        ``(trend, seasonal)``: arrays of shape ``(n,)`` and ``(n, len(periods))`` (columns in the order of
        ``sorted(periods)``).

    Example:
        >>> trend, seas = stl_components(10 + np.tile([3.0, 0, 0, 0, 0, 0, -3], 10), [7])
        >>> (np.round(seas[:7, 0], 6) + 0.0).tolist(), np.round(trend[:3], 6).tolist()
        ([3.0, 0.0, 0.0, 0.0, 0.0, 0.0, -3.0], [10.0, 10.0, 10.0])
    """
    import warnings

    from statsmodels.tsa.seasonal import STL

    v = np.asarray(v, float)
    periods = sorted(int(p) for p in periods)
    if not periods:
        raise ValueError("stl_components needs at least one seasonal period")
    # The same training window is decomposed by several candidate models of ``auto``: keep the last few.
    key = (v.tobytes(), tuple(periods), robust, periodic_first, yearly_deg)
    if key in _STL_CACHE:
        trend, seas = _STL_CACHE[key]
        return trend.copy(), seas.copy()
    seas = np.zeros((len(v), len(periods)))
    deseas = v.copy()
    trend = np.zeros(len(v))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2 if len(periods) > 1 else 1):
            for i, p in enumerate(periods):
                deseas = deseas + seas[:, i]
                sw = _odd(10 * len(v) + 1) if periodic_first and i == 0 else 7 + 4 * (i + 1)
                tw, lw = _odd(1.5 * p / (1 - 1.5 / sw)), _odd(p + 1)
                deg = yearly_deg if p >= 52 else 0
                res = STL(deseas, period=p, seasonal=sw, trend=tw, low_pass=lw, seasonal_deg=deg, trend_deg=1,
                          low_pass_deg=1, robust=robust, seasonal_jump=int(np.ceil(sw / 10)),
                          trend_jump=int(np.ceil(tw / 10)), low_pass_jump=int(np.ceil(lw / 10))).fit()
                seas[:, i] = np.asarray(res.seasonal)
                trend = np.asarray(res.trend)
                deseas = deseas - seas[:, i]
    if len(_STL_CACHE) >= _STL_CACHE_SIZE:
        _STL_CACHE.pop(next(iter(_STL_CACHE)))
    _STL_CACHE[key] = (trend.copy(), seas.copy())
    return trend, seas


def decompose(y: pd.Series, periods: Sequence[int] = (7, 365)) -> pd.DataFrame:
    """Multiple-seasonal STL decomposition of a daily series: ``y = trend + sum_p seasonal_p + resid``.

    Uses every period of ``periods`` with more than two full cycles in ``y`` (:func:`usable_periods`) and
    :func:`stl_components` (R's ``mstl``: locally constant seasonal, windows 11 and 15). Columns: ``date``,
    ``observed``, ``trend``, ``seasonal_<p>`` per period, ``resid``. Festival spikes that recur on the same
    dates fall partly into the yearly seasonal; :func:`calendar_effects` measures them explicitly.

    Parameters:
        y: a daily series (``DatetimeIndex``). periods: the candidate seasonal periods in days.

    Returns:
        The components, one row per day.

    Example:
        >>> idx = pd.date_range("2024-01-01", periods=28)
        >>> dec = decompose(pd.Series(np.tile([5.0, 1, 1, 1, 1, 1, 4], 4), index=idx))
        >>> list(dec.columns), round(float(dec["seasonal_7"].iloc[0]), 3)
        (['date', 'observed', 'trend', 'seasonal_7', 'resid'], 3.0)
    """
    v = y.to_numpy(float)
    use = usable_periods(len(v), periods)
    if not use:
        raise ValueError(f"{len(v)} days are too few: decomposition needs two cycles of {min(periods)} days")
    trend, seas = stl_components(v, use)
    out = pd.DataFrame({"date": y.index, "observed": v, "trend": trend})
    for i, p in enumerate(use):
        out[f"seasonal_{p}"] = seas[:, i]
    out["resid"] = v - trend - seas.sum(axis=1)
    return out


def seasonal_strength(dec: pd.DataFrame) -> pd.DataFrame:
    """How much of the variation each seasonal component explains (Wang, Smith & Hyndman 2006):
    ``F_p = max(0, 1 - Var(resid) / Var(seasonal_p + resid))``; 0 = no such season, 1 = all season. The trend's
    strength is ``max(0, 1 - Var(resid) / Var(trend + resid))``.

    Parameters:
        dec: a :func:`decompose` frame.

    Returns:
        ``component``, ``strength``.

    Example:
        >>> d = pd.DataFrame({"trend": [0.0] * 4, "seasonal_7": [1.0, -1, 1, -1], "resid": [0.1, -0.1, -0.1, 0.1]})
        >>> seasonal_strength(d).round(3).values.tolist()  # 1 - 0.01 / 1.01 = 0.990; the flat trend explains nothing
        [['trend', 0.0], ['seasonal_7', 0.99]]
    """
    r = dec["resid"].to_numpy(float)
    rows = []
    for c in ["trend"] + [c for c in dec.columns if c.startswith("seasonal_")]:
        v = np.var(dec[c].to_numpy(float) + r)
        rows.append({"component": c, "strength": float(max(0.0, 1 - np.var(r) / v)) if v > 0 else 0.0})
    return pd.DataFrame(rows)


@dataclass
class Decomposition:
    """A daily series split into trend, seasons and remainder.

    ``components``: the :func:`decompose` frame; ``segments``: :func:`trend_segments` of the trend;
    ``strength``: :func:`seasonal_strength`; ``closed``: days treated as missing (closures) before
    decomposing; ``reason``: why it could not be made ('' when it could).
    """

    series_id: str
    components: pd.DataFrame
    segments: pd.DataFrame
    strength: pd.DataFrame
    closed: int = 0
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """The trend segments (start, end, levels, slope and growth per year)."""
        return self.segments

    def plot(self) -> Any:
        """One panel per component (:func:`opslib.plotting.forecasting.plot_decomposition`), or the reason."""
        if self.reason:
            print(self.reason)
            return None
        from opslib.plotting.forecasting import plot_decomposition

        return plot_decomposition(self.components, f"{self.series_id}: 日销量分解 daily units decomposition")


def seasonal_decomposition(y: pd.Series, periods: Sequence[int] = (7, 365), closures: Any = None,
                           max_changes: int = 2) -> Decomposition:
    """Decompose a daily series (:func:`decompose`) with its closed days taken out first, find the trend's
    changes (:func:`trend_segments`) and the strength of each season (:func:`seasonal_strength`).

    Closed days (``closures``, :class:`opslib.forecasting.closures.Closures`) are missing, filled by
    interpolation: a shop shut on Sundays has no "Sunday season", it is shut.

    Parameters:
        y: daily units. periods: candidate seasons in days. closures: the shop's closed days, or None.
        max_changes: most trend changes looked for.

    Returns:
        :class:`Decomposition` (``reason`` set when ``y`` has fewer than two weeks).
    """
    from opslib.forecasting.closures import open_series

    name = str(y.name) if y.name is not None else ""
    if len(y) <= 2 * min(periods):
        return Decomposition(name, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), reason=(
            f"{len(y)} days of history: a decomposition needs more than two cycles of {min(periods)} days."))
    filled, closed = open_series(y, closures)
    dec = decompose(filled, periods)
    seg = trend_segments(pd.Series(dec["trend"].to_numpy(), index=pd.DatetimeIndex(dec["date"])), max_changes)
    return Decomposition(name, dec, seg, seasonal_strength(dec), int(closed.sum()))


def trend_segments(trend: pd.Series, max_changes: int = 2, min_size: int = 120, min_gain: float = 0.5) -> pd.DataFrame:
    """Piecewise-linear segments of a trend component, with simple changepoints (binary segmentation).

    A segment is split at the point that minimises the summed squared error of two separate straight
    lines, if that cuts its error by at least ``min_gain`` (50%) and both parts have ``min_size`` points;
    at most ``max_changes`` splits. Per segment: ``start``, ``end``, ``level_start``, ``level_end``,
    ``slope_per_year`` (units per period, per 365 days of a daily trend) and ``growth_per_year`` =
    slope_per_year / mean level of the segment.

    Example: a trend rising 1/day for 200 days then flat for 200 days gives two segments, slopes 365 and 0.
    """
    v = trend.to_numpy(float)
    n = len(v)
    per_year = 365.0 if n < 2 or (trend.index[1] - trend.index[0]).days == 1 else 52.0

    def sse(a: int, b: int) -> float:
        x = np.arange(a, b)
        if b - a < 3:
            return 0.0
        c = np.polyfit(x, v[a:b], 1)
        return float(np.sum((v[a:b] - np.polyval(c, x)) ** 2))

    cuts = [0, n]
    for _ in range(max_changes):
        best = None
        for a, b in zip(cuts[:-1], cuts[1:], strict=False):
            base = sse(a, b)
            if base <= 0:
                continue
            stride = max(1, (b - a) // 100)
            for k in range(a + min_size, b - min_size + 1, stride):
                gain = 1 - (sse(a, k) + sse(k, b)) / base
                if gain >= min_gain and (best is None or gain > best[0]):
                    best = (gain, k)
        if best is None:
            break
        cuts = sorted(cuts + [best[1]])
    rows = []
    for i, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=False), start=1):
        x = np.arange(a, b)
        slope = np.polyfit(x, v[a:b], 1)[0] if b - a >= 2 else 0.0
        lvl = float(np.mean(v[a:b]))
        rows.append({"segment": i, "start": trend.index[a], "end": trend.index[b - 1],
                     "level_start": float(v[a]), "level_end": float(v[b - 1]),
                     "slope_per_year": float(slope * per_year),
                     "growth_per_year": float(slope * per_year / lvl) if lvl else np.nan})
    return pd.DataFrame(rows)


def calendar_effects(y: pd.Series, country: str = "CN", events: pd.DataFrame | None = None,
                     closed: np.ndarray | None = None) -> pd.DataFrame:
    """Effect of the shop's festivals, public holidays (and, in China, Chinese New Year) on a daily series.

    OLS of ``log(1 + y_t)`` on a constant, a linear trend, weekday dummies, yearly Fourier terms (6
    pairs) and the daily flags of :func:`opslib.forecasting.regressors.calendar_regressors` for ``country``
    (and the shop's own ``events``), with HAC (Newey-West, 14 lags) standard errors. ``effect_pct =
    exp(b) - 1``: the change in sales on a flagged day against an ordinary day of the same weekday and
    season. Closed days (``closed``) are left out: a shut shop is not a holiday effect.

    Parameters:
        y: daily units. country: ISO 3166 code. events: own events (``name``, ``start``, ``end``).
        closed: boolean flags of closed days, or None.

    Returns:
        ``regressor``, ``label``, ``days`` (flagged days in the data), ``effect_pct``, ``lo_95``, ``hi_95``,
        ``pvalue``.
    """
    import statsmodels.api as sm

    if closed is not None and np.asarray(closed, bool).any():
        y = y[~np.asarray(closed, bool)]
    idx = pd.DatetimeIndex(y.index)
    x = calendar_regressors(idx, "D", country=country, events=events)
    names_all = list(x.columns)
    x = x.loc[:, x.std() > 0]
    t = (idx - idx[0]).days.to_numpy()
    dow = pd.get_dummies(idx.day_of_week, prefix="dow", drop_first=True).astype(float).set_index(idx)
    four = pd.DataFrame(fourier_terms(t, 365.25, 6), index=idx).add_prefix("fy")
    design = pd.concat([x, dow, four], axis=1)
    design.insert(0, "trend", t / 365.0)
    design = sm.add_constant(design)
    res = sm.OLS(np.log1p(y.to_numpy(float)), design.to_numpy()).fit(cov_type="HAC", cov_kwds={"maxlags": 14})
    names = list(design.columns)
    ci = np.asarray(res.conf_int(0.05))
    rows = []
    for j, name in enumerate(names):
        if name in names_all:
            rows.append({"regressor": name, "label": regressor_label(name), "days": int(x[name].sum()),
                         "effect_pct": float(np.expm1(res.params[j])), "lo_95": float(np.expm1(ci[j, 0])),
                         "hi_95": float(np.expm1(ci[j, 1])), "pvalue": float(res.pvalues[j])})
    return pd.DataFrame(rows)


TERMS: tuple[Term, ...] = (
    Term("mstl", "时间序列分解 (MSTL)", "Decomposition: trend + seasonality",
         "y = trend + seasonal₇ + seasonal₃₆₅ + resid (MSTL on daily units)", "opslib.forecasting.decomposition.decompose", "03"),
    Term("trend_change", "趋势拐点", "Trend change point", "binary segmentation of the trend into straight segments; "
         "growth_per_year = slope × 365 / the segment's mean level", "opslib.forecasting.decomposition.trend_segments", "03"),
    Term("calendar_effect", "节日效应", "Calendar (festival) effect",
         "OLS of log(1 + units) on trend, weekday, yearly Fourier terms and festival flags; effect = exp(b) − 1",
         "opslib.forecasting.decomposition.calendar_effects", "03"),
)
