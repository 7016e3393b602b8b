"""Rolling-origin backtests, leaderboards and the ``auto`` model choice (metrics: ``opslib.forecasting.metrics``).

Rolling origin: for origins ``o_1 < ... < o_k`` (the last one ``horizon`` periods before the end, the
others ``step`` periods apart) the model is fitted on ``y[:o]`` and scored on ``y[o:o+horizon]``.

Example:
    >>> mae([1, 2, 3], [2, 2, 2]), round(wape([1, 2, 3], [2, 2, 2]), 4)
    (0.6666666666666666, 0.3333)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from opslib.forecasting.metrics import bias, coverage, mae, mase, mase_scale, rmse, smape, wape
from opslib.forecasting.models import LEVELS, ForecastResult, _freq_code, _z, fit_forecast, primary_season
from opslib.kpi import Term

#: Models ``auto`` chooses from, simplest first (ties go to the earlier one); ``mstl+snaive`` is the
#: equal-weight combination of the two (:func:`combo_forecast`). ``sarimax`` stays in the leaderboard but
#: is left out here: its linear trend extrapolates badly on declining/growing categories and it lost
#: every backtest on the sample shop.
CANDIDATES: tuple[str, ...] = ("snaive", "ets", "mstl", "mstl+snaive")



def origins(n: int, horizon: int, windows: int, step: int | None = None, min_train: int = 4) -> list[int]:
    """Rolling-origin positions: ``o_i = n - horizon - (windows - i) * step`` for ``i = 1..windows``.

    ``step`` defaults to ``horizon``; origins leaving fewer than ``min_train`` training points are
    dropped. The model is fitted on ``y[:o]`` and scored on ``y[o:o + horizon]``.

    Example:
        >>> origins(20, 4, 3), origins(10, 4, 3)
        ([8, 12, 16], [6])
    """
    step = step or horizon
    positions = (n - horizon - (windows - 1 - i) * step for i in range(windows))
    return [o for o in positions if o >= min_train]


def rolling_origin(
    y: pd.Series,
    model: str,
    horizon: int = 8,
    windows: int = 3,
    step: int | None = None,
    levels: Sequence[int] = LEVELS,
    series_id: str = "",
    auto_windows: int = 3,
) -> pd.DataFrame:
    """Rolling-origin backtest of one model on one series (``model='auto'``: :func:`auto_forecast` with
    ``auto_windows`` inner origins on each training window).

    Origins from :func:`origins` (``step`` defaults to ``horizon``; origins with fewer than 4 training
    points are skipped). At each origin the model is fitted on ``y[:o]`` and forecasts ``y[o:o+horizon]``.

    Returns one row per origin and step ahead: ``series_id``, ``model`` (requested), ``used`` (model
    actually fitted, see fallbacks), ``origin`` (first forecast date), ``date``, ``h`` (1..horizon),
    ``actual``, ``mean``, ``lo_L``/``hi_L``, ``scale`` (MASE denominator on that origin's training data).
    """
    y = pd.Series(y, dtype=float)
    step = step or horizon
    n = len(y)
    freq = _freq_code(pd.DatetimeIndex(y.index)) if n >= 2 else "W"
    m = primary_season(freq)
    frames = []
    for o in origins(n, horizon, windows, step):
        train, test = y.iloc[:o], y.iloc[o : o + horizon]
        if model == "auto":
            r = auto_forecast(train, len(test), auto_windows, levels=levels, series_id=series_id)
        else:
            r = fit_forecast(train, model, len(test), levels, series_id)
        fc = r.forecast.iloc[: len(test)].copy()
        fc.insert(0, "h", np.arange(1, len(test) + 1))
        fc.insert(0, "origin", test.index[0])
        fc.insert(0, "used", r.model)
        fc.insert(0, "model", model)
        fc.insert(0, "series_id", series_id)
        fc["date"] = test.index
        fc["actual"] = test.to_numpy()
        fc["scale"] = mase_scale(train.to_numpy(), m)
        frames.append(fc)
    cols = ["series_id", "model", "used", "origin", "h", "date", "actual", "mean"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    return out[cols + [c for c in out.columns if c not in cols]]


def score(bt: pd.DataFrame, by: Sequence[str] = ("series_id", "model"), levels: Sequence[int] = LEVELS) -> pd.DataFrame:
    """Metrics per group of a backtest frame (from :func:`rolling_origin`).

    Columns: ``by`` ..., ``n`` (points), ``mae``, ``rmse``, ``wape``, ``smape``, ``mase`` (mean over
    origins of MAE / scale), ``bias`` (mean f - y), ``bias_pct`` (relative bias), ``coverage_L`` per level.
    """
    rows = []
    for key, g in bt.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        y, f = g["actual"], g["mean"]
        mases = [mase(o["actual"], o["mean"], scale=float(o["scale"].iloc[0])) for _, o in g.groupby("origin")] \
            if "scale" in g and "origin" in g else [np.nan]
        row = dict(zip(by, key, strict=False))
        row.update(n=len(g), mae=mae(y, f), rmse=rmse(y, f), wape=wape(y, f), smape=smape(y, f),
                   mase=float(np.nanmean(mases)) if np.isfinite(mases).any() else np.nan,
                   bias=bias(y, f), bias_pct=bias(y, f, relative=True))
        for lv in levels:
            if f"lo_{lv}" in g:
                row[f"coverage_{lv}"] = coverage(y, g[f"lo_{lv}"], g[f"hi_{lv}"])
        rows.append(row)
    return pd.DataFrame(rows)


def leaderboard(bt: pd.DataFrame, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
    """Models ranked by mean MASE over series (lower is better).

    Columns: ``model``, ``series``, ``mase`` (mean of per-series MASE), ``wape`` (pooled
    ``sum|e| / sum|y|``), ``mae``, ``rmse``, ``smape``, ``bias_pct`` (pooled), ``coverage_L`` (pooled),
    ``wins`` (series where the model has the lowest MASE), ``rank``.
    """
    per = score(bt, ("series_id", "model"), levels)
    pooled = score(bt, ("model",), levels).drop(columns=["mase", "n"])
    agg = per.groupby("model").agg(series=("series_id", "nunique"), mase=("mase", "mean")).reset_index()
    best = per.loc[per.groupby("series_id")["mase"].idxmin().dropna()]
    wins = best["model"].value_counts()
    out = agg.merge(pooled, on="model")
    out["wins"] = out["model"].map(wins).fillna(0).astype("int64")
    out = out.sort_values("mase", ignore_index=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


#: The forecast combination candidate of ``auto``: the mean of ``mstl`` and ``snaive`` forecasts.
COMBO = "mstl+snaive"


def seasonal_lag(freq: str) -> int:
    """Periods between a date and the same time of year: 52 weeks, or 364 days (same weekday)."""
    return 52 if freq == "W" else 364


def selection_origins(n: int, horizon: int, windows: int = 3, step: int | None = None, freq: str = "W",
                      years: int = 2) -> list[tuple[int, str]]:
    """Backtest origins of the ``auto`` choice on a series of ``n`` periods ("seasonal rolling origin").

    * ``recent``: ``o = n - horizon - k * step`` for ``k = 0..windows-1`` (``step`` defaults to
      ``horizon // 2``): the latest behaviour of the series;
    * ``seasonal``: ``o = n - j * L`` for ``j = 1..years`` (``L`` = :func:`seasonal_lag`, 52 weeks): the
      same weeks as the ones being forecast, one and two years earlier. A forecast made before 双11
      is judged on last year's 双11, not on the quiet weeks just before the origin.

    Returns ``(origin, kind)`` pairs, latest first, duplicates and origins below 4 dropped.

    Example:
        >>> selection_origins(156, 8)
        [(148, 'recent'), (144, 'recent'), (140, 'recent'), (104, 'seasonal'), (52, 'seasonal')]
    """
    step = step or max(1, horizon // 2)
    out: dict[int, str] = {}
    for k in range(windows):
        out.setdefault(n - horizon - k * step, "recent")
    for j in range(1, years + 1):
        out.setdefault(n - j * seasonal_lag(freq), "seasonal")
    return sorted(((o, kind) for o, kind in out.items() if 4 <= o < n), reverse=True)


def _min_length(model: str, freq: str) -> int:
    from opslib.forecasting.models import make_model

    if model == COMBO:
        return max(_min_length("mstl", freq), _min_length("snaive", freq))
    return make_model(model).min_length(freq)


def combo_forecast(y: pd.Series, horizon: int = 8, levels: Sequence[int] = LEVELS,
                   series_id: str = "") -> ForecastResult:
    """Forecast combination ``mstl+snaive``: the mean of the two forecasts, bound by bound.

    ``mean = (mean_mstl + mean_snaive) / 2``, ``lo_L``/``hi_L`` the mean of the two models' bounds
    (quantile averaging), residuals the mean of the two models' in-sample errors. The equal-weight
    combination of a smooth model and seasonal naive is a well-known robust choice: it halves the
    damage when one of them misreads a season. When either model falls back (short series), the
    combination is not built and the fallback of ``mstl`` is returned.
    """
    a = fit_forecast(y, "mstl", horizon, levels, series_id)
    b = fit_forecast(y, "snaive", horizon, levels, series_id)
    if a.model != "mstl" or b.model != "snaive":
        return a
    fc = a.forecast.copy()
    for col in [c for c in fc.columns if c != "date"]:
        fc[col] = (a.forecast[col].to_numpy() + b.forecast[col].to_numpy()) / 2
    ra, rb = np.asarray(a.extra["residuals"], float), np.asarray(b.extra["residuals"], float)
    resid = (ra + rb) / 2
    r = resid[np.isfinite(resid)]
    return ForecastResult(series_id, COMBO, COMBO, "", f"mean of [{a.spec}] and [{b.spec}]", fc,
                          float(np.std(r, ddof=1)) if len(r) > 1 else 0.0, {"residuals": resid})


def _fit_candidate(y: pd.Series, model: str, horizon: int, levels: Sequence[int], series_id: str) -> ForecastResult:
    return combo_forecast(y, horizon, levels, series_id) if model == COMBO else fit_forecast(
        y, model, horizon, levels, series_id)


def auto_forecast(
    y: pd.Series,
    horizon: int = 8,
    windows: int = 3,
    candidates: Sequence[str] = CANDIDATES,
    levels: Sequence[int] = LEVELS,
    series_id: str = "",
    years: int = 2,
    tie: float = 0.01,
    calibrate: bool = True,
) -> ForecastResult:
    """Choose the model per series by a seasonal rolling-origin backtest, then fit it on the whole series.

    Selection, exactly:

    1. Origins: :func:`selection_origins` - ``windows`` recent origins ``horizon // 2`` apart and the
       same origin one and ``years`` years earlier (``n - 52``, ``n - 104`` weeks), so the candidates are
       judged on the weeks of the year being forecast (双11, 双12, 春节) as well as on the latest weeks.
    2. Like with like: a candidate is only scored where it fits natively (enough history, no
       fallback); origins where some candidate cannot are dropped for every candidate. When no origin is
       left, the candidate needing the most history is dropped and the origins recomputed. A candidate
       that cannot be fitted on the whole series is not considered.
    3. Score: for each candidate, the mean over the kept origins of MASE on ``horizon`` steps (scale =
       in-sample seasonal naive MAE of that origin's training data). Every origin counts once.
    4. Choice: the lowest score; candidates within ``tie`` (1%) of it count as tied and the earliest in
       ``candidates`` (the simplest: ``snaive`` < ``ets`` < ``mstl`` < ``mstl+snaive``) wins.
    5. With no candidate scoreable (too little history), ``ets`` is used and the reason recorded.

    The backtests only ever see ``y`` (the history before the forecast origin). ``COMBO``
    (``mstl+snaive``) is :func:`combo_forecast`; at each origin it reuses the two models' forecasts.

    Interval calibration, exactly: the chosen model's own intervals (see :mod:`opslib.forecasting.models`;
    for ``mstl`` already widened by its in-sample honest-error ratio) are rescaled around the mean by its
    errors in this same backtest. Each backtest point gives a standardised error
    ``u = |y - f| / (half-width_L / z_L)``; with ``k`` such points (at least 16), ``factor_L =
    u_(r) / z_L`` where ``u_(r)`` is the ``r = ceil((k + 1) L/100)``-th smallest (the split-conformal
    rank), so about ``L``% of the backtest errors would have fallen inside. Only the backtest origins
    (all before the end of ``y``) are used - never the periods being forecast. ``calibrate=False``
    keeps the model's intervals. ``extra``: ``backtest_mase`` (candidate -> score), ``origins`` (the kept
    ``(origin date, kind)`` pairs), ``chosen``, ``interval_factors`` (level -> factor).
    """
    y = pd.Series(y, dtype=float).dropna()
    n = len(y)
    freq = _freq_code(pd.DatetimeIndex(y.index)) if n >= 2 else "W"
    m = primary_season(freq)
    cands = [c for c in candidates if _min_length(c, freq) <= n]
    origins = selection_origins(n, horizon, windows, None, freq, years)
    kept: list[tuple[int, str]] = []
    while cands:
        need = max(_min_length(c, freq) for c in cands)
        kept = [(o, k) for o, k in origins if o >= need]
        if kept:
            break
        cands.remove(max(cands, key=lambda c: (_min_length(c, freq), list(candidates).index(c))))
    per: dict[str, list[float]] = {c: [] for c in cands}
    std_err: dict[str, dict[int, list[float]]] = {c: {} for c in cands}
    base = [c for c in cands if c != COMBO] + [c for c in ("mstl", "snaive") if COMBO in cands and c not in cands]
    for o, _kind in kept:
        train, test = y.iloc[:o], y.iloc[o : o + horizon]
        scale = mase_scale(train.to_numpy(), m)
        fcs = {}
        for c in base:
            r = fit_forecast(train, c, len(test), levels, series_id)
            fcs[c] = r.forecast.iloc[: len(test)].drop(columns="date").to_numpy() if r.model == c else None
        if COMBO in cands:
            a, b = fcs.get("mstl"), fcs.get("snaive")
            fcs[COMBO] = None if a is None or b is None else (a + b) / 2
        for c in cands:
            f = fcs[c]
            per[c].append(mase(test, f[:, 0], scale=scale) if f is not None else np.nan)
            if f is not None:  # standardised errors: error / (half-width of the L% interval / z_L)
                for j, lv in enumerate(levels):
                    half = (f[:, 2 + 2 * j] - f[:, 1 + 2 * j]) / 2 / _z(lv)
                    ok = half > 0
                    std_err[c].setdefault(lv, []).extend(np.abs(test.to_numpy() - f[:, 0])[ok] / half[ok])
    scores = {c: float(np.nanmean(v)) if np.isfinite(v).any() else np.nan for c, v in per.items()}
    finite = {k: v for k, v in scores.items() if np.isfinite(v)}
    if finite:
        best = min(finite.values())
        tied = [c for c in candidates if c in finite and finite[c] <= best * (1 + tie) + 1e-12]
        choice = tied[0]
        kinds = sorted({k for _, k in kept})
        why = "auto: " + ", ".join(f"{k} MASE {v:.2f}" for k, v in sorted(finite.items(), key=lambda kv: kv[1]))
        why += f" ({len(kept)} backtest origins, {'+'.join(kinds)})"
    else:
        choice, why = "ets", "auto: too little history to backtest, used ets"
    r = _fit_candidate(y, choice, horizon, levels, series_id)
    factors = _calibration(std_err.get(choice, {}), levels) if calibrate and r.model == choice else {}
    for lv, k in factors.items():
        mid = r.forecast["mean"].to_numpy()
        lo, hi = r.forecast[f"lo_{lv}"].to_numpy(), r.forecast[f"hi_{lv}"].to_numpy()
        r.forecast[f"lo_{lv}"] = np.clip(mid - (mid - lo) * k, 0, None)
        r.forecast[f"hi_{lv}"] = mid + (hi - mid) * k
    fc = r.forecast
    for lo_lv, hi_lv in zip(sorted(levels)[:-1], sorted(levels)[1:], strict=False):  # keep intervals nested
        if f"lo_{hi_lv}" in fc and f"lo_{lo_lv}" in fc:
            fc[f"lo_{hi_lv}"] = np.minimum(fc[f"lo_{hi_lv}"], fc[f"lo_{lo_lv}"])
            fc[f"hi_{hi_lv}"] = np.maximum(fc[f"hi_{hi_lv}"], fc[f"hi_{lo_lv}"])
    if factors:
        why += "; intervals x" + "/".join(f"{factors[lv]:.2f}" for lv in levels if lv in factors) + " (backtest)"
    r.requested = "auto"
    r.reason = why + (f"; {r.reason}" if r.reason else "")
    r.extra["backtest_mase"] = scores
    r.extra["origins"] = [(y.index[o], k) for o, k in kept]
    r.extra["chosen"] = choice
    r.extra["interval_factors"] = factors
    return r


def _calibration(std_err: dict[int, list[float]], levels: Sequence[int], min_points: int = 16) -> dict[int, float]:
    """Interval factors from backtest errors: ``k_L = q_L(|u|) / z_L`` (see :func:`auto_forecast`)."""
    out = {}
    for lv in levels:
        u = np.sort(np.asarray(std_err.get(lv, []), float))
        u = u[np.isfinite(u)]
        if len(u) < min_points:
            continue
        rank = min(len(u), int(np.ceil((len(u) + 1) * lv / 100)))  # conformal rank: finite-sample valid
        out[lv] = float(u[rank - 1] / _z(lv))
    return out


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("backtest", "滚动回测", "Rolling-origin backtest", "fit on the weeks before each origin, forecast the next "
         "h weeks, score against what happened", "opslib.forecasting.backtest.rolling_origin", "03"),
)
