"""Trend forecasting: series from the cube, decomposition, many-series forecasts, hierarchy, charts.

Frequency choice: **forecasts are weekly** at every level (shop total, category, SKU). SKU demand is
too sparse day by day, replenishment is decided weekly, and one frequency keeps the hierarchy
(SKU -> category -> total) additive. **Decomposition is daily** (shop or category), where both the
weekly (7-day) and the yearly (365-day) seasonality are visible. Weeks run Monday..Sunday and are
labelled by their Monday; incomplete weeks at either end of the data are dropped.

Measure: ``units`` (non-cancelled units, from ``opslib.cube``) by default - what the warehouse ships.

Models and their fallbacks are in :mod:`opslib.forecast_models`, metrics and backtests in
:mod:`opslib.forecast_backtest`, stock rules in :mod:`opslib.replenishment`.

Example:
    >>> import numpy as np
    >>> S = summing_matrix(["a", "b", "c"], {"a": "X", "b": "X", "c": "Y"})[0]
    >>> S.astype(int).tolist()
    [[1, 1, 1], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    >>> reconcile(np.array([[10.0], [6], [3], [2], [3], [3]]), S, "ols").ravel().round(2).tolist()
    [9.38, 6.08, 3.31, 2.54, 3.54, 3.31]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslib import cube
from opslib.forecast_backtest import auto_forecast, rolling_origin, score
from opslib.forecast_models import (
    LEVELS,
    REGRESSORS,
    ForecastResult,
    calendar_regressors,
    fit_forecast,
    fourier_terms,
)

TOTAL = "全店"
OTHER = "其他"
REGRESSOR_LABELS: dict[str, str] = {
    "f618": "618 大促窗口", "f1111": "双11 大促窗口", "f1212": "双12 大促窗口", "cny_pre": "春节前 1-14 天",
    "cny_week": "春节当周", "cny_post": "春节后 7-20 天", "holiday": "其他法定假日",
}


# ------------------------------------------------------------------------------------------ series


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


def daily_cube(orders: cube.Source, products: cube.Source) -> pd.DataFrame:
    """The (date, sku) cube from :func:`opslib.cube.daily_sku` (DuckDB), with category."""
    return cube.daily_sku(orders, products)


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
    if level not in ("total", "category", "sku"):
        raise ValueError(f"level must be 'total', 'category' or 'sku', got {level!r}")
    d = daily if category is None else daily[daily["category"] == category]
    if d.empty:
        raise ValueError(f"no sales for category {category!r}")
    if level == "total":
        return to_weekly(d.groupby("date", as_index=False)[measure].sum(), None, measure)
    if level == "category":
        return to_weekly(d.groupby(["date", "category"], as_index=False)[measure].sum(), "category", measure)
    wide = to_weekly(d, "sku", measure)
    top = wide.iloc[-52:].sum().sort_values(ascending=False, kind="stable")
    return wide[top.index[: max_skus or len(top)]]


def daily_series(daily: pd.DataFrame, category: str | None = None, measure: str = "units") -> pd.Series:
    """One daily series (whole shop or one category) over every day of the data, zeros filled."""
    d = daily if category is None else daily[daily["category"] == category]
    s = d.groupby("date")[measure].sum()
    days = pd.date_range(daily["date"].min(), daily["date"].max(), freq="D")
    s = s.reindex(days, fill_value=0).astype(float)
    s.index.name = "date"
    s.name = category or TOTAL
    return s


def trim_leading_zeros(y: pd.Series) -> pd.Series:
    """Drop the periods before the first sale (a SKU not yet launched is not 'zero demand')."""
    nz = np.flatnonzero(y.to_numpy() != 0)
    return y.iloc[nz[0]:] if len(nz) else y.iloc[0:0]


# ----------------------------------------------------------------------------------- decomposition


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
    pairs) and the daily flags of :func:`opslib.forecast_models.calendar_regressors`, with HAC
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


# ------------------------------------------------------------------------------------ many series


def _fit_one(args: tuple) -> ForecastResult:
    sid, y, model, horizon, levels, windows, trim = args
    y = trim_leading_zeros(y) if trim else y
    if model == "auto":
        return auto_forecast(y, horizon, windows, levels=levels, series_id=sid)
    return fit_forecast(y, model, horizon, levels, sid)


def _backtest_one(args: tuple) -> pd.DataFrame:
    sid, y, model, horizon, windows, levels, trim = args
    y = trim_leading_zeros(y) if trim else y
    return rolling_origin(y, model, horizon, windows, levels=levels, series_id=sid)


#: Thread counts of the numeric libraries, pinned to 1 in worker processes (see :func:`_run`).
_BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _run(func, tasks: list, n_jobs: int, progress: bool, desc: str) -> list:
    """Map ``func`` over ``tasks`` in ``n_jobs`` processes (1 = in this process) with a tqdm bar.

    Workers are spawned with one BLAS thread each: with OpenBLAS's default of one thread per core,
    two workers on two cores ran 4 threads and took 1.8x longer than one process (measured, see
    benchmarks/README.md); pinned, they take 0.45x as long.
    """
    import multiprocessing

    from tqdm import tqdm

    n_jobs = max(1, min(int(n_jobs or 1), os.cpu_count() or 1, len(tasks) or 1))
    # Report runs (opslib.reports) set OPSPLAYBOOK_PROGRESS=0: a bar is for a person watching, not for HTML.
    quiet = os.environ.get("OPSPLAYBOOK_PROGRESS") == "0"
    bar = tqdm(total=len(tasks), desc=desc, disable=not progress or quiet, mininterval=1.0)
    out = []
    if n_jobs == 1:
        for t in tasks:
            out.append(func(t))
            bar.update()
    else:
        saved = {k: os.environ.get(k) for k in _BLAS_THREAD_VARS}
        os.environ.update({k: "1" for k in _BLAS_THREAD_VARS})  # read by each spawned worker at start
        try:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as ex:
                for r in ex.map(func, tasks, chunksize=max(1, len(tasks) // (8 * n_jobs))):
                    out.append(r)
                    bar.update()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    bar.close()
    return out


def forecast_many(
    series: pd.DataFrame,
    model: str = "auto",
    horizon: int = 8,
    levels: Sequence[int] = LEVELS,
    windows: int = 2,
    n_jobs: int = 1,
    progress: bool = True,
    trim: bool = True,
) -> list[ForecastResult]:
    """Forecast every column of a wide frame (index = periods) in parallel, one result per series.

    ``model`` is a name from ``opslib.forecast_models.MODELS`` or ``'auto'`` (choice by a
    ``windows``-origin backtest per series). ``n_jobs`` processes (``ProcessPoolExecutor``) with a tqdm
    progress bar. ``trim`` drops each series' periods before its first sale.
    """
    tasks = [(str(c), series[c], model, horizon, tuple(levels), windows, trim) for c in series.columns]
    return _run(_fit_one, tasks, n_jobs, progress, f"forecast {model}")


def forecast_frame(results: Iterable[ForecastResult]) -> pd.DataFrame:
    """Long frame of forecasts: ``series_id``, ``model``, ``date``, ``mean``, ``lo_L``, ``hi_L``."""
    frames = [r.forecast.assign(series_id=r.series_id, model=r.model) for r in results]
    out = pd.concat(frames, ignore_index=True)
    first = ["series_id", "model", "date", "mean"]
    return out[first + [c for c in out.columns if c not in first]]


def model_table(results: Iterable[ForecastResult]) -> pd.DataFrame:
    """One row per series: ``series_id``, ``requested``, ``model`` (used), ``spec``, ``sigma``, ``reason``."""
    return pd.DataFrame([{"series_id": r.series_id, "requested": r.requested, "model": r.model, "spec": r.spec,
                          "sigma": r.sigma, "reason": r.reason} for r in results])


def backtest_many(
    series: pd.DataFrame,
    models: Sequence[str] = ("snaive", "ets", "sarimax", "mstl"),
    horizon: int = 8,
    windows: int = 3,
    levels: Sequence[int] = LEVELS,
    n_jobs: int = 1,
    progress: bool = True,
    trim: bool = True,
) -> pd.DataFrame:
    """Rolling-origin backtest of every model on every column (parallel); long frame as
    :func:`opslib.forecast_backtest.rolling_origin`. Feed it to ``leaderboard`` or ``score``."""
    tasks = [(str(c), series[c], m, horizon, windows, tuple(levels), trim) for c in series.columns for m in models]
    parts = _run(_backtest_one, tasks, n_jobs, progress, "backtest")
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# --------------------------------------------------------------------------------------- hierarchy


def summing_matrix(bottom: Sequence[str], parent: dict[str, str]) -> tuple[np.ndarray, list[str], list[str]]:
    """Summing matrix ``S`` of a three-level hierarchy total -> groups -> bottom series.

    Rows: the total, each group (in order of first appearance), each bottom series; columns: bottom
    series. ``all_series = S @ bottom_series``. Returns ``(S, node_ids, node_levels)``; levels are
    ``'total'``, ``'category'``, ``'sku'``.
    """
    groups = list(dict.fromkeys(parent[b] for b in bottom))
    m = len(bottom)
    rows = [np.ones(m)]
    rows += [np.array([parent[b] == g for b in bottom], float) for g in groups]
    rows += list(np.eye(m))
    ids = [TOTAL] + groups + list(bottom)
    lv = ["total"] + ["category"] * len(groups) + ["sku"] * m
    return np.vstack(rows), ids, lv


@dataclass
class Hierarchy:
    """Weekly SKU -> category -> total hierarchy.

    ``bottom``: wide frame (index ``week``) of the bottom series: the top SKUs plus one
    ``'<category>|其他'`` series per category holding the rest, so every category adds up to its
    real total. ``parent``: bottom id -> category. ``S``/``ids``/``levels`` from :func:`summing_matrix`.
    """

    bottom: pd.DataFrame
    parent: dict[str, str]
    S: np.ndarray
    ids: list[str]
    levels: list[str]

    def all_series(self) -> pd.DataFrame:
        """Every node as a column (total, categories, bottom), ``Y = bottom @ S.T``."""
        return pd.DataFrame(self.bottom.to_numpy() @ self.S.T, index=self.bottom.index, columns=self.ids)


def build_hierarchy(daily: pd.DataFrame, top_skus: int = 50, measure: str = "units",
                    category: str | None = None) -> Hierarchy:
    """Build the :class:`Hierarchy` from :func:`daily_cube`: the ``top_skus`` best sellers (last 52 weeks)
    as their own series, every other SKU pooled into ``'<category>|其他'``."""
    d = daily if category is None else daily[daily["category"] == category]
    sku_w = to_weekly(d, "sku", measure)
    cat_of = d.groupby("sku")["category"].first()
    top = list(sku_w.iloc[-52:].sum().sort_values(ascending=False, kind="stable").index[:top_skus])
    cols, parent = {}, {}
    for cat in sorted(cat_of.unique()):
        members = [s for s in top if cat_of[s] == cat]
        for s in members:
            cols[s], parent[s] = sku_w[s], cat
        rest = [s for s in sku_w.columns if cat_of[s] == cat and s not in members]
        if rest:
            key = f"{cat}|{OTHER}"
            cols[key], parent[key] = sku_w[rest].sum(axis=1), cat
    bottom = pd.DataFrame(cols)
    S, ids, lv = summing_matrix(list(bottom.columns), parent)
    return Hierarchy(bottom, parent, S, ids, lv)


def shrink_covariance(resid: np.ndarray) -> np.ndarray:
    """Schäfer-Strimmer shrinkage of a residual covariance towards its diagonal (MinT-shrink's ``W``).

    ``W = lambda * diag(Sigma) + (1 - lambda) * Sigma``, ``lambda = sum_{i!=j} Var(r_ij) / sum_{i!=j} r_ij^2``
    (``r`` = correlations), clipped to [0, 1]. ``resid``: T x n (NaN rows dropped, zero-variance
    columns get a tiny variance).
    """
    e = resid[np.isfinite(resid).all(axis=1)]
    t, n = e.shape
    if t < 3:
        return np.eye(n)
    e = e - e.mean(axis=0)
    sd = e.std(axis=0)
    sd = np.where(sd > 0, sd, 1e-6)
    z = e / sd
    r = z.T @ z / t
    w = np.einsum("ti,tj->tij", z, z)
    var_r = t / (t - 1) ** 3 * ((w - r) ** 2).sum(axis=0)
    off = ~np.eye(n, dtype=bool)
    lam = float(np.clip(var_r[off].sum() / max((r[off] ** 2).sum(), 1e-12), 0, 1))
    sigma = np.outer(sd, sd) * r
    return lam * np.diag(np.diag(sigma)) + (1 - lam) * sigma


def reconcile(base: np.ndarray, S: np.ndarray, method: str = "ols", resid: np.ndarray | None = None) -> np.ndarray:
    """Coherent forecasts for every node from base forecasts ``base`` (n_nodes x horizon).

    * ``bottom_up``: ``y~ = S b_hat`` (bottom rows of ``base``);
    * ``ols``: ``y~ = S (S'S)^-1 S' y_hat`` (orthogonal projection onto the coherent subspace);
    * ``wls_struct``: ``W = diag(S 1)``; ``mint_shrink``: ``W`` = :func:`shrink_covariance` of in-sample
      residuals ``resid`` (T x n_nodes); both ``y~ = S (S' W^-1 S)^-1 S' W^-1 y_hat``.

    Reconciled bottom forecasts below 0 are set to 0 before summing up again (``y~ = S max(b~, 0)``),
    so results stay coherent: every parent equals the sum of its children.
    """
    base = np.asarray(base, float)
    m = S.shape[1]
    if method == "bottom_up":
        return S @ base[-m:]
    if method == "ols":
        w_inv = np.eye(S.shape[0])
    elif method == "wls_struct":
        w_inv = np.diag(1.0 / S.sum(axis=1))
    elif method == "mint_shrink":
        if resid is None:
            raise ValueError("mint_shrink needs in-sample residuals (T x nodes)")
        w = shrink_covariance(np.asarray(resid, float))
        w_inv = np.linalg.pinv(w)
    else:
        raise ValueError(f"unknown method {method!r}: bottom_up, ols, wls_struct or mint_shrink")
    g = np.linalg.solve(S.T @ w_inv @ S, S.T @ w_inv)
    b = np.clip(g @ base, 0, None)
    return S @ b


def hierarchy_forecast(h: Hierarchy, model: str = "ets", horizon: int = 8, methods: Sequence[str] = (
        "bottom_up", "ols", "mint_shrink"), levels: Sequence[int] = LEVELS, n_jobs: int = 1,
        progress: bool = True, series: pd.DataFrame | None = None) -> pd.DataFrame:
    """Base forecasts for every node, then each reconciliation ``method``.

    Returns long: ``node``, ``level``, ``date``, ``base`` and one column per method. ``series``
    (defaults to ``h.all_series()``) lets a backtest pass truncated history.
    """
    data = h.all_series() if series is None else series
    res = forecast_many(data, model, horizon, levels, n_jobs=n_jobs, progress=progress, trim=False)
    base = np.vstack([r.forecast["mean"].to_numpy() for r in res])
    resid = np.column_stack([_resid(r, len(data)) for r in res])
    out = pd.DataFrame({"node": np.repeat(h.ids, horizon), "level": np.repeat(h.levels, horizon),
                        "date": np.tile(res[0].forecast["date"].to_numpy(), len(h.ids)), "base": base.ravel()})
    for meth in methods:
        out[meth] = reconcile(base, h.S, meth, resid if meth == "mint_shrink" else None).ravel()
    return out


def _resid(r: ForecastResult, n: int) -> np.ndarray:
    e = np.asarray(r.extra.get("residuals", np.full(n, np.nan)), float)
    e = np.r_[np.full(max(0, n - len(e)), np.nan), e[-n:]]
    return np.where(np.isfinite(e), e, 0.0)


def hierarchy_backtest(h: Hierarchy, model: str = "ets", horizon: int = 8, windows: int = 2,
                       methods: Sequence[str] = ("bottom_up", "ols", "mint_shrink"), n_jobs: int = 1,
                       progress: bool = True) -> pd.DataFrame:
    """Rolling-origin backtest of the hierarchy: for each origin, :func:`hierarchy_forecast` on the
    history before it. Long frame: ``origin``, ``node``, ``level``, ``date``, ``actual``, ``base``, methods...,
    ``scale`` (MASE denominator, seasonal lag 52 or 1)."""
    from opslib.forecast_backtest import mase_scale, origins

    data = h.all_series()
    frames = []
    for o in origins(len(data), horizon, windows, min_train=8):
        fc = hierarchy_forecast(h, model, horizon, methods, n_jobs=n_jobs, progress=progress, series=data.iloc[:o])
        test = data.iloc[o : o + horizon]
        fc["actual"] = test.to_numpy().T.ravel()
        fc["origin"] = test.index[0]
        fc["scale"] = fc["node"].map({c: mase_scale(data[c].iloc[:o].to_numpy(), 52) for c in data.columns})
        frames.append(fc)
    return pd.concat(frames, ignore_index=True)


def hierarchy_accuracy(bt: pd.DataFrame, methods: Sequence[str] = ("base", "bottom_up", "ols", "mint_shrink")) -> pd.DataFrame:
    """Accuracy per level and method from :func:`hierarchy_backtest`: ``level``, ``method``, ``mase``
    (mean over nodes and origins), ``wape`` (pooled), ``bias_pct``."""
    rows = []
    for meth in [m for m in methods if m in bt]:
        long = bt.rename(columns={"node": "series_id"}).assign(model=meth, mean=bt[meth])
        s = score(long, ("level", "series_id"), levels=())
        pooled = score(long, ("level",), levels=())
        for lv, g in s.groupby("level", sort=False):
            p = pooled[pooled["level"] == lv].iloc[0]
            rows.append({"level": lv, "method": meth, "mase": float(g["mase"].mean()), "wape": float(p["wape"]),
                         "bias_pct": float(p["bias_pct"])})
    out = pd.DataFrame(rows)
    order = {"total": 0, "category": 1, "sku": 2}
    return out.sort_values(["level", "mase"], key=lambda c: c.map(order) if c.name == "level" else c,
                           ignore_index=True)


# ------------------------------------------------------------------------------------------ charts


def plot_forecast(history: pd.Series, forecast: pd.DataFrame, actual: pd.Series | None = None,
                  title: str = "", last: int = 78, ax=None):
    """History (last ``last`` periods), forecast mean and its 80%/95% bands, optional actuals after."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 3.6))
    h = history.iloc[-last:]
    ax.plot(h.index, h.to_numpy(), color="#4d4d4d", lw=1.2, label="历史 history")
    for lv, alpha in ((95, 0.15), (80, 0.3)):
        if f"lo_{lv}" in forecast:
            ax.fill_between(forecast["date"], forecast[f"lo_{lv}"], forecast[f"hi_{lv}"], color="#0173b2",
                            alpha=alpha, lw=0, label=f"{lv}% 区间 interval")
    ax.plot(forecast["date"], forecast["mean"], color="#0173b2", lw=2, label="预测 forecast")
    if actual is not None:
        ax.plot(actual.index, actual.to_numpy(), "o-", color="#d55e00", ms=3, lw=1, label="实际 actual")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8, ncols=2)
    return ax.figure


def plot_decomposition(dec: pd.DataFrame, title: str = ""):
    """One panel per component of :func:`decompose` (observed, trend, seasonal_*, resid)."""
    import matplotlib.pyplot as plt

    comps = [c for c in dec.columns if c != "date"]
    fig, axes = plt.subplots(len(comps), 1, figsize=(10, 1.7 * len(comps)), sharex=True)
    for ax, c in zip(axes, comps, strict=False):
        ax.plot(dec["date"], dec[c], lw=0.8 if c in ("observed", "resid") else 1.4)
        ax.set_ylabel(c, fontsize=8)
    axes[0].set_title(title)
    fig.tight_layout()
    return fig


def plot_backtest(bt: pd.DataFrame, series_id: str, model: str, history: pd.Series, last: int = 60):
    """Actual vs forecast with 80%/95% intervals for every origin of one series and model."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.6))
    h = history.iloc[-last:]
    ax.plot(h.index, h.to_numpy(), color="#4d4d4d", lw=1.2, label="实际 actual")
    g = bt[(bt["series_id"] == series_id) & (bt["model"] == model)]
    for k, (_, o) in enumerate(g.groupby("origin")):
        for lv, alpha in ((95, 0.12), (80, 0.25)):
            if f"lo_{lv}" in o:
                ax.fill_between(o["date"], o[f"lo_{lv}"], o[f"hi_{lv}"], color="#0173b2", alpha=alpha, lw=0,
                                label=f"{lv}% 区间" if k == 0 else None)
        ax.plot(o["date"], o["mean"], color="#0173b2", lw=1.8, label="回测预测 forecast" if k == 0 else None)
        ax.axvline(o["date"].iloc[0], color="#949494", ls=":", lw=1)
    ax.set_title(f"{series_id} - {model}: 滚动回测 rolling-origin backtest")
    ax.legend(loc="upper left", fontsize=8, ncols=2)
    return fig
