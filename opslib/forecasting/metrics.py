"""Forecast accuracy metrics on arrays: MAE, RMSE, WAPE, sMAPE, MASE, bias and interval coverage.

Notation for every metric: actuals ``y_1..y_n``, forecasts ``f_1..f_n`` over the evaluated periods,
``e_t = y_t - f_t``. Each metric takes array-likes and returns a float (NaN when undefined).

Example:
    >>> mae([1, 2, 3], [2, 2, 2]), round(wape([1, 2, 3], [2, 2, 2]), 4)
    (0.6666666666666666, 0.3333)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from opslib.kpi import Term

ArrayLike = Sequence[float] | np.ndarray | pd.Series


def _a(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=float)


def mae(y: ArrayLike, f: ArrayLike) -> float:
    """Mean absolute error: ``MAE = (1/n) sum |y_t - f_t|`` (units).

    Example: ``mae([1, 2, 3], [2, 2, 2]) = (1 + 0 + 1) / 3 = 0.667``.
    """
    return float(np.mean(np.abs(_a(y) - _a(f))))


def rmse(y: ArrayLike, f: ArrayLike) -> float:
    """Root mean squared error: ``RMSE = sqrt((1/n) sum (y_t - f_t)^2)`` (units; punishes big misses).

    Example: ``rmse([1, 2, 3], [2, 2, 5]) = sqrt((1 + 0 + 4) / 3) = 1.291``.
    """
    return float(np.sqrt(np.mean((_a(y) - _a(f)) ** 2)))


def wape(y: ArrayLike, f: ArrayLike) -> float:
    """Weighted absolute percentage error: ``WAPE = sum |y_t - f_t| / sum |y_t|`` (share; NaN if all y = 0).

    Big periods weigh more, zero periods do not explode it. Example: ``wape([1, 2, 3], [2, 2, 2]) = 2/6``.
    """
    den = np.sum(np.abs(_a(y)))
    return float(np.sum(np.abs(_a(y) - _a(f))) / den) if den > 0 else float("nan")


def smape(y: ArrayLike, f: ArrayLike) -> float:
    """Symmetric MAPE: ``sMAPE = (1/n) sum 2 |y_t - f_t| / (|y_t| + |f_t|)``, terms with ``y_t = f_t = 0``
    count as 0; range 0..2 (shown as a share: 0.25 = 25%).

    Example: ``smape([1, 0, 4], [3, 0, 4]) = (2*2/4 + 0 + 0) / 3 = 0.333``.
    """
    y, f = _a(y), _a(f)
    den = np.abs(y) + np.abs(f)
    terms = np.where(den > 0, 2 * np.abs(y - f) / np.where(den > 0, den, 1), 0.0)
    return float(np.mean(terms))


def mase_scale(train: ArrayLike, m: int) -> float:
    """MASE denominator: in-sample MAE of the seasonal naive forecast,
    ``Q = (1/(T-m)) sum_{t=m+1..T} |y_t - y_{t-m}|``; with ``T <= m`` the lag falls back to ``m = 1``.

    Example: ``mase_scale([1, 3, 2, 4], 1) = (2 + 1 + 2) / 3 = 1.667``.
    """
    x = _a(train)
    if len(x) <= m:
        m = 1
    if len(x) <= m:
        return float("nan")
    return float(np.mean(np.abs(x[m:] - x[:-m])))


def mase(y: ArrayLike, f: ArrayLike, train: ArrayLike | None = None, m: int = 1, scale: float | None = None) -> float:
    """Mean absolute scaled error: ``MASE = MAE / Q``, ``Q`` = :func:`mase_scale` of the training series.

    Below 1: better than the in-sample seasonal naive forecast. Give ``train`` and ``m``, or ``scale``.
    Example: ``mase([2, 4], [3, 3], train=[1, 3, 2, 4], m=1) = 1 / 1.667 = 0.6``.
    """
    q = scale if scale is not None else mase_scale(train if train is not None else [], m)
    return float(mae(y, f) / q) if q and np.isfinite(q) and q > 0 else float("nan")


def bias(y: ArrayLike, f: ArrayLike, relative: bool = False) -> float:
    """Mean error, forecast minus actual: ``bias = (1/n) sum (f_t - y_t)`` (units; > 0 = over-forecast);
    ``relative=True`` gives ``sum (f_t - y_t) / sum |y_t|``.

    Example: ``bias([1, 2, 3], [2, 2, 5]) = (1 + 0 + 2) / 3 = 1.0``; relative: ``3 / 6 = 0.5``.
    """
    d = _a(f) - _a(y)
    if relative:
        den = np.sum(np.abs(_a(y)))
        return float(np.sum(d) / den) if den > 0 else float("nan")
    return float(np.mean(d))


def coverage(y: ArrayLike, lo: ArrayLike, hi: ArrayLike) -> float:
    """Interval coverage: share of actuals inside their interval, ``(1/n) sum 1[lo_t <= y_t <= hi_t]``.

    A good 80% interval covers about 0.80. Example: ``coverage([1, 5, 3], [0, 0, 0], [2, 2, 4]) = 2/3``.
    """
    y = _a(y)
    return float(np.mean((y >= _a(lo)) & (y <= _a(hi))))


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("mase", "平均绝对标度误差 MASE", "Mean absolute scaled error", "MAE / in-sample MAE of the seasonal naive forecast "
         "(< 1 beats last year's same week)", "opslib.forecasting.metrics.mase", "03"),
    Term("wape", "加权绝对百分比误差 WAPE", "Weighted absolute percentage error", "Σ |y − f| / Σ |y|", "opslib.forecasting.metrics.wape", "03"),
    Term("forecast_bias", "预测偏差", "Forecast bias", "mean of (forecast − actual); > 0 = over-forecast",
         "opslib.forecasting.metrics.bias", "03"),
    Term("interval_coverage", "区间覆盖率", "Interval coverage", "share of actuals inside their forecast interval "
         "(an 80% interval should cover about 80%)", "opslib.forecasting.metrics.coverage", "03"),
)
