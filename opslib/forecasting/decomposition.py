"""Decomposition of a daily series: MSTL (weekly and yearly seasonality), trend segments, festival effects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from opslib.forecasting.models import (
    REGRESSORS,
    calendar_regressors,
    fourier_terms,
)
from opslib.kpi import Term

REGRESSOR_LABELS: dict[str, str] = {
    "f618": "618 大促窗口", "f1111": "双11 大促窗口", "f1212": "双12 大促窗口", "cny_pre": "春节前 1-14 天",
    "cny_week": "春节当周", "cny_post": "春节后 7-20 天", "holiday": "其他法定假日",
}


def decompose(y: pd.Series, periods: Sequence[int] = (7, 365)) -> pd.DataFrame:
    """MSTL decomposition of a daily series: ``y = trend + sum_p seasonal_p + resid``.

    Uses every period of ``periods`` with more than two full cycles in ``y`` (statsmodels ``MSTL``
    drops a period ``p`` unless ``len(y) > 2 * p``;
    ``STL`` when only one fits). Columns: ``date``, ``observed``, ``trend``, ``seasonal_<p>`` per
    period, ``resid``. Festival spikes that recur on the same dates fall partly into the yearly
    seasonal; :func:`calendar_effects` measures them explicitly.
    """
    import warnings

    from statsmodels.tsa.seasonal import MSTL, STL

    v = y.to_numpy(float)
    use = [p for p in periods if len(v) > 2 * p]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not use:
            raise ValueError(f"{len(v)} days are too few: decomposition needs two cycles of {min(periods)} days")
        if len(use) == 1:
            res = STL(v, period=use[0], robust=True).fit()
            seas = np.asarray(res.seasonal).reshape(-1, 1)
        else:
            res = MSTL(v, periods=use).fit()
            seas = np.asarray(res.seasonal).reshape(len(v), -1)
    out = pd.DataFrame({"date": y.index, "observed": v, "trend": np.asarray(res.trend)})
    for i, p in enumerate(use):
        out[f"seasonal_{p}"] = seas[:, i]
    out["resid"] = np.asarray(res.resid)
    return out


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


def calendar_effects(y: pd.Series) -> pd.DataFrame:
    """Effect of Chinese New Year, 618, 双11, 双12 and public holidays on a daily series, as regressors.

    OLS of ``log(1 + y_t)`` on a constant, a linear trend, weekday dummies, yearly Fourier terms (6
    pairs) and the daily flags of :func:`opslib.forecasting.models.calendar_regressors`, with HAC
    (Newey-West, 14 lags) standard errors. ``effect_pct = exp(b) - 1``: the change in sales on a
    flagged day against an ordinary day of the same weekday and season.

    Columns: ``regressor``, ``label``, ``days`` (flagged days in the data), ``effect_pct``, ``lo_95``,
    ``hi_95``, ``pvalue``.
    """
    import statsmodels.api as sm

    idx = pd.DatetimeIndex(y.index)
    n = len(idx)
    x = calendar_regressors(idx, "D")
    x = x.loc[:, x.std() > 0]
    t = np.arange(n)
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
        if name in REGRESSORS:
            rows.append({"regressor": name, "label": REGRESSOR_LABELS[name], "days": int(x[name].sum()),
                         "effect_pct": float(np.expm1(res.params[j])), "lo_95": float(np.expm1(ci[j, 0])),
                         "hi_95": float(np.expm1(ci[j, 1])), "pvalue": float(res.pvalues[j])})
    return pd.DataFrame(rows)


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("mstl", "时间序列分解 (MSTL)", "Decomposition: trend + seasonality",
         "y = trend + seasonal₇ + seasonal₃₆₅ + resid (MSTL on daily units)", "opslib.forecasting.decomposition.decompose", "03"),
    Term("trend_change", "趋势拐点", "Trend change point", "binary segmentation of the trend into straight segments; "
         "growth_per_year = slope × 365 / the segment's mean level", "opslib.forecasting.decomposition.trend_segments", "03"),
    Term("calendar_effect", "节日效应", "Calendar (festival) effect",
         "OLS of log(1 + units) on trend, weekday, yearly Fourier terms and festival flags; effect = exp(b) − 1",
         "opslib.forecasting.decomposition.calendar_effects", "03"),
)
