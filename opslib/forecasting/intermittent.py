"""Intermittent demand: the Syntetos-Boylan demand classes and Croston, SBA, TSB and ADIDA forecasts (numpy).

A SKU that sells on one day in five is not forecast well by a smooth model: ETS chases every sale and every
zero. The methods here forecast a *rate* (units per period) from the sizes of the sales and how often they
happen. Notation: ``y_1..y_n`` the history, ``z`` the sizes of the non-zero sales, ``q`` the periods between
two sales (the first counted from the start), ``alpha``/``beta`` smoothing weights.

* **Demand classes** (Syntetos, Boylan & Croston 2005): ``ADI = n / #{y_t > 0}`` (average inter-demand
  interval) and ``CV2 = (sd(z) / mean(z))^2`` (squared coefficient of variation of the sizes); ``smooth``
  (ADI < 1.32, CV2 < 0.49), ``erratic`` (ADI < 1.32, CV2 >= 0.49), ``intermittent`` (ADI >= 1.32,
  CV2 < 0.49), ``lumpy`` (ADI >= 1.32, CV2 >= 0.49).
* **Croston** (1972): exponential smoothing of ``z`` and of ``q``, updated only in periods with a sale;
  forecast ``f = z_hat / q_hat`` for every future period.
* **SBA** (Syntetos-Boylan approximation, 2005): Croston times ``1 - alpha / 2``, which removes Croston's
  known upward bias.
* **TSB** (Teunter, Syntetos & Babai 2011): smooths the probability of a sale every period,
  ``p_t = p_{t-1} + beta (1[y_t > 0] - p_{t-1})``, and the size when there is a sale,
  ``z_t = z_{t-1} + alpha (y_t - z_{t-1})``; ``f = p z``. The forecast decays when sales stop (obsolescence).
* **ADIDA** (Nikolopoulos et al. 2011): sum the series into buckets of ``k = round(ADI)`` periods (from the
  end), forecast the bucket totals by simple exponential smoothing with ``alpha`` chosen by least squares on
  a grid, and spread each bucket evenly: ``f = f_bucket / k``.

Intervals: these methods have no error model. The forecast is flat, so the interval is the forecast plus the
empirical quantiles of the one-step in-sample errors ``y_t - f_{t-1}`` (asymmetric: a SKU selling 0 or 5
units gets ``[0, 5]``-like bands), then clipped at 0.

Example:
    >>> y = np.array([0, 0, 3, 0, 0, 0, 3, 0, 0, 3.0])
    >>> demand_class(y)["class"], round(croston(y, alpha=0.1)["forecast"], 3), round(sba(y, alpha=0.1)["forecast"], 3)
    ('intermittent', 0.971, 0.922)

    (sizes 3, 3, 3; intervals 3, 4, 3 -> q_hat = 3, 3.1, 3.09; Croston 3 / 3.09 = 0.971; SBA x 0.95 = 0.922.)
"""

from __future__ import annotations

import numpy as np

#: Syntetos-Boylan cut-offs: ADI 1.32 and CV2 0.49.
ADI_CUT, CV2_CUT = 1.32, 0.49
#: The class names in the order of the quadrants (smooth, erratic, intermittent, lumpy).
CLASSES: tuple[str, ...] = ("smooth", "erratic", "intermittent", "lumpy")


def demand_class(y: np.ndarray, open_days: np.ndarray | None = None) -> dict:
    """Syntetos-Boylan class of a demand series: ``ADI``, ``CV2``, ``zero_share`` and ``class``.

    ``ADI = n / #{y_t > 0}``, ``CV2 = (sd(z) / mean(z))^2`` over the non-zero sizes ``z`` (population sd);
    ``open_days`` (boolean, same length) leaves closed days out: a shop shut on Sundays does not make a
    SKU intermittent. A series with no sale has ``ADI = inf`` and class ``'no demand'``.

    Parameters:
        y: the demand history. open_days: ``True`` on days the shop trades (default: every day).

    Returns:
        ``{'adi', 'cv2', 'zero_share', 'class'}``.

    Example:
        >>> demand_class(np.array([0, 2, 0, 2, 0, 2.0]))  # ADI = 6 / 3 = 2, sizes all equal: CV2 = 0
        {'adi': 2.0, 'cv2': 0.0, 'zero_share': 0.5, 'class': 'intermittent'}
    """
    v = np.asarray(y, float)
    if open_days is not None:
        v = v[np.asarray(open_days, bool)]
    v = v[np.isfinite(v)]
    z = v[v > 0]
    n = len(v)
    if len(z) == 0:
        return {"adi": float("inf"), "cv2": float("nan"), "zero_share": 1.0 if n else float("nan"),
                "class": "no demand"}
    adi = n / len(z)
    cv2 = float((z.std() / z.mean()) ** 2)
    cls = CLASSES[(adi >= ADI_CUT) * 2 + (cv2 >= CV2_CUT)]
    return {"adi": float(adi), "cv2": cv2, "zero_share": float(1 - len(z) / n), "class": cls}


def _sizes_and_intervals(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-zero sizes ``z``, the intervals ``q`` before each (the first from the start) and their positions."""
    pos = np.flatnonzero(v > 0)
    q = np.diff(np.r_[-1, pos]).astype(float)
    return v[pos], q, pos


def _ses_path(x: np.ndarray, alpha: float) -> np.ndarray:
    """One-step SES forecasts ``s_0 = x_0``, ``s_t = s_{t-1} + alpha (x_t - s_{t-1})``; returns ``s_t`` after
    each ``x_t`` (``s[-1]`` is the forecast of the next value)."""
    s = np.empty(len(x))
    level = x[0]
    for i, xi in enumerate(x):
        level = level + alpha * (xi - level) if i else xi
        s[i] = level
    return s


def croston(y: np.ndarray, alpha: float = 0.1, debias: float = 1.0) -> dict:
    """Croston's method: ``f = debias * z_hat / q_hat`` (SES of sizes and of intervals, weight ``alpha``).

    Returns ``{'forecast', 'fitted'}``: the flat forecast and the one-step in-sample forecasts (``fitted[t]``
    is the forecast for ``y_t`` made at ``t - 1``; NaN before the first sale).

    Example:
        >>> r = croston(np.array([0, 4, 0, 0, 4.0]), alpha=0.5)
        >>> r["forecast"]  # z_hat = 4; q: 2 then 3 -> q_hat = 2 + 0.5 (3 - 2) = 2.5; 4 / 2.5
        1.6
    """
    v = np.asarray(y, float)
    z, q, pos = _sizes_and_intervals(v)
    fitted = np.full(len(v), np.nan)
    if len(z) == 0:
        return {"forecast": 0.0, "fitted": np.zeros(len(v))}
    zs, qs = _ses_path(z, alpha), _ses_path(q, alpha)
    rate = debias * zs / qs
    # the rate known after sale k holds from the period after it to the next sale (inclusive)
    for k, p in enumerate(pos):
        end = pos[k + 1] + 1 if k + 1 < len(pos) else len(v)
        fitted[p + 1 : end] = rate[k]
    return {"forecast": float(rate[-1]), "fitted": fitted}


def sba(y: np.ndarray, alpha: float = 0.1) -> dict:
    """Syntetos-Boylan approximation: Croston times ``1 - alpha / 2``.

    Example:
        >>> round(sba(np.array([0, 4, 0, 0, 4.0]), alpha=0.5)["forecast"], 6)  # 1.6 * 0.75
        1.2
    """
    return croston(y, alpha, debias=1 - alpha / 2)


def tsb(y: np.ndarray, alpha: float = 0.1, beta: float = 0.1) -> dict:
    """Teunter-Syntetos-Babai: ``f = p_hat * z_hat``, the probability of a sale smoothed every period.

    Start: ``p_0`` = share of periods with a sale, ``z_0`` = mean size. Each period ``t``:
    ``p <- p + beta (1[y_t > 0] - p)``; when ``y_t > 0`` also ``z <- z + alpha (y_t - z)``.

    Example:
        >>> r = tsb(np.array([2, 0, 2, 0.0]), alpha=0.5, beta=0.5)
        >>> round(r["forecast"], 4)  # p: 0.5 -> .75 -> .375 -> .6875 -> .34375; z stays 2
        0.6875
    """
    v = np.asarray(y, float)
    nz = v > 0
    if not nz.any():
        return {"forecast": 0.0, "fitted": np.zeros(len(v))}
    p, z = float(nz.mean()), float(v[nz].mean())
    fitted = np.empty(len(v))
    for t, x in enumerate(v):
        fitted[t] = p * z
        p += beta * (float(x > 0) - p)
        if x > 0:
            z += alpha * (x - z)
    return {"forecast": float(p * z), "fitted": fitted}


def ses_optimal(x: np.ndarray, grid: np.ndarray | None = None) -> tuple[float, float]:
    """Simple exponential smoothing with the ``alpha`` of ``grid`` (0.05..0.95) that minimises the one-step
    squared error; returns ``(alpha, next-period forecast)``.

    Example:
        >>> ses_optimal(np.array([5.0, 5, 5, 5]))
        (0.05, 5.0)
    """
    x = np.asarray(x, float)
    grid = np.linspace(0.05, 0.95, 19) if grid is None else grid
    best = (np.inf, grid[0], x[-1])
    for a in grid:
        s = _ses_path(x, a)
        sse = float(np.sum((x[1:] - s[:-1]) ** 2)) if len(x) > 1 else 0.0
        if sse < best[0] - 1e-12:
            best = (sse, float(a), float(s[-1]))
    return best[1], best[2]


def adida(y: np.ndarray) -> dict:
    """ADIDA: buckets of ``k = max(1, round(ADI))`` periods summed from the end, SES (``alpha`` by least
    squares) on the bucket totals, forecast ``f = f_bucket / k`` per period.

    ``fitted`` spreads each bucket's one-step forecast evenly over its periods (NaN for the first bucket and
    the incomplete one at the start).

    Example:
        >>> r = adida(np.array([0, 3, 0, 3, 0, 3.0]))  # ADI 2: buckets of 2 hold 3 each; SES -> 3; 3 / 2
        >>> r["forecast"], r["k"]
        (1.5, 2)
    """
    v = np.asarray(y, float)
    if not (v > 0).any():
        return {"forecast": 0.0, "fitted": np.zeros(len(v)), "k": 1}
    k = int(max(1, round(len(v) / int((v > 0).sum()))))
    nb = len(v) // k
    start = len(v) - nb * k
    buckets = v[start:].reshape(nb, k).sum(axis=1)
    if nb < 2:
        return {"forecast": float(buckets[-1] / k) if nb else float(v.mean()), "fitted": np.full(len(v), np.nan),
                "k": k}
    alpha, nxt = ses_optimal(buckets)
    s = _ses_path(buckets, alpha)
    fitted = np.full(len(v), np.nan)
    fitted[start + k :] = np.repeat(s[:-1] / k, k)
    return {"forecast": float(nxt / k), "fitted": fitted, "k": k}


def empirical_bounds(y: np.ndarray, fitted: np.ndarray, forecast: float, levels: tuple[int, ...] = (80, 95),
                     min_points: int = 10) -> dict[int, tuple[float, float]]:
    """Interval of a flat forecast from the one-step errors ``e_t = y_t - fitted_t``:
    ``[f + q_{(1-L)/2}(e), f + q_{(1+L)/2}(e)]``, widened to hold ``f`` itself (a biased rate, e.g. SBA on smooth
    demand, can have every error on one side), clipped at 0 below.

    With fewer than ``min_points`` errors the spread of ``y`` itself is used
    (``[q_{(1-L)/2}(y), q_{(1+L)/2}(y)]`` around nothing: the demand's own range).

    Example:
        >>> y = np.r_[np.zeros(8), 5.0, 5.0]
        >>> empirical_bounds(y, np.full(10, 1.0), 1.0, levels=(80,))  # errors: eight -1, two +4
        {80: (0.0, 5.0)}
    """
    e = np.asarray(y, float) - np.asarray(fitted, float)
    e = e[np.isfinite(e)]
    out = {}
    for lv in levels:
        a = (1 - lv / 100) / 2
        if len(e) >= min_points:
            lo, hi = forecast + np.quantile(e, a), forecast + np.quantile(e, 1 - a)
        else:
            yy = np.asarray(y, float)
            lo, hi = (np.quantile(yy, a), np.quantile(yy, 1 - a)) if len(yy) else (0.0, 0.0)
            lo, hi = min(lo, forecast), max(hi, forecast)
        out[lv] = (float(max(0.0, min(lo, forecast))), float(max(0.0, hi, forecast)))  # the band holds the forecast
    return out
