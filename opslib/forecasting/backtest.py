"""Rolling-origin backtests and leaderboards (metrics: ``opslib.forecasting.metrics``; ``auto``: ``opslib.forecasting.auto``).

Rolling origin: for origins ``o_1 < ... < o_k`` (the last one ``horizon`` periods before the end, the
others ``step`` periods apart) the model is fitted on ``y[:o]`` and scored on ``y[o:o+horizon]``.

Example:
    >>> idx = pd.date_range("2024-01-01", periods=40, freq="7D")
    >>> bt = rolling_origin(pd.Series(np.arange(40.0) % 4 + 10, index=idx), "naive", horizon=4, windows=2)
    >>> bt["origin"].nunique(), len(bt), sorted(bt.columns[:5])
    (2, 8, ['model', 'origin', 'reason', 'series_id', 'used'])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from opslib.forecasting.metrics import bias, coverage, mae, mase, mase_scale, rmse, smape, wape
from opslib.forecasting.models import LEVELS, _freq_code, fit_forecast, primary_season
from opslib.kpi import Term


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
    auto_windows: int | None = None,
    country: str = "CN",
) -> pd.DataFrame:
    """Rolling-origin backtest of one model on one series (``model='auto'``:
    :func:`opslib.forecasting.auto.auto_forecast` with ``auto_windows`` inner origins on each training window).

    Origins from :func:`origins` (``step`` defaults to ``horizon``; origins with fewer than 4 training
    points are skipped). At each origin the model is fitted on ``y[:o]`` and forecasts ``y[o:o+horizon]``.

    Parameters:
        y: the series. model: a name of ``MODELS`` or ``'auto'``. horizon, windows, step: the origins.
        levels: interval levels. series_id: carried into the rows. auto_windows: inner origins of ``auto``.
        country: the shop's country (holidays).

    Returns:
        One row per origin and step ahead: ``series_id``, ``model`` (requested), ``used`` (model actually
        fitted, after any fallback; for ``auto`` the combined models), ``reason`` (why it differs, or how
        ``auto`` chose), ``origin`` (first forecast date), ``h`` (1..horizon), ``date``, ``actual``, ``mean``,
        ``lo_L``/``hi_L``, ``scale`` (MASE denominator on that origin's training data).
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
            from opslib.forecasting.auto import auto_forecast

            r = auto_forecast(train, len(test), auto_windows, levels=levels, series_id=series_id, country=country)
        else:
            r = fit_forecast(train, model, len(test), levels, series_id, country=country)
        fc = r.forecast.iloc[: len(test)].copy()
        fc.insert(0, "h", np.arange(1, len(test) + 1))
        fc.insert(0, "origin", test.index[0])
        fc.insert(0, "reason", r.reason)
        fc.insert(0, "used", r.model)
        fc.insert(0, "model", model)
        fc.insert(0, "series_id", series_id)
        fc["date"] = test.index
        fc["actual"] = test.to_numpy()
        fc["scale"] = mase_scale(train.to_numpy(), m)
        frames.append(fc)
    cols = ["series_id", "model", "used", "reason", "origin", "h", "date", "actual", "mean"]
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


def _used_summary(g: pd.DataFrame) -> tuple[str, float, str]:
    """What ran for one requested model: the models used (most frequent first, with the share of windows),
    the share of windows that fell back, and the most frequent fallback reason."""
    w = g.drop_duplicates(["series_id", "origin"]) if "origin" in g else g
    if "used" not in w:
        return "", 0.0, ""
    counts = w["used"].astype(str).value_counts()
    used = ", ".join(f"{m} ({c / len(w):.0%})" if len(counts) > 1 else m for m, c in counts.head(3).items())
    if len(counts) > 3:
        used += f", +{len(counts) - 3} more"
    requested = str(w["model"].iloc[0]) if "model" in w else ""
    if requested == "auto":
        fell = w["used"].astype(str).isin(["zero", "naive"])
    else:
        fell = w["used"].astype(str) != requested
    reasons = w.loc[fell, "reason"].astype(str) if "reason" in w else pd.Series(dtype=str)
    reason = reasons.value_counts().index[0] if len(reasons) else ""
    return used, float(fell.mean()), reason


def leaderboard(bt: pd.DataFrame, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
    """Models ranked by mean MASE over series (lower is better), with what actually ran.

    Columns: ``model`` (requested), ``used`` (the models that actually ran, with their share of the
    backtest windows when they vary: a requested ``mstl`` that fell back on short series shows
    ``mstl (75%), ets (25%)``), ``fell_back`` (share of windows that fell back to a simpler model),
    ``reason`` (the most frequent fallback reason), ``series``, ``mase`` (mean of per-series MASE), ``wape``
    (pooled ``sum|e| / sum|y|``), ``mae``, ``rmse``, ``smape``, ``bias_pct`` (pooled), ``coverage_L``
    (pooled), ``wins`` (series where the model has the lowest MASE), ``rank``.

    Parameters:
        bt: a backtest frame (:func:`rolling_origin`, :func:`opslib.forecasting.batch.backtest_many`).
        levels: interval levels to report coverage for.

    Returns:
        One row per requested model, best first; no rows when the backtest has none (series too short for
        a single window).
    """
    if bt.empty:
        return pd.DataFrame(columns=["model", "used", "fell_back", "reason", "series", "mase", "wape", "wins", "rank"])
    per = score(bt, ("series_id", "model"), levels)
    pooled = score(bt, ("model",), levels).drop(columns=["mase", "n"])
    agg = per.groupby("model").agg(series=("series_id", "nunique"), mase=("mase", "mean")).reset_index()
    best = per.loc[per.groupby("series_id")["mase"].idxmin().dropna()]
    wins = best["model"].value_counts()
    out = agg.merge(pooled, on="model")
    out["wins"] = out["model"].map(wins).fillna(0).astype("int64")
    info = {m: _used_summary(g) for m, g in bt.groupby("model", sort=False)}
    out.insert(1, "used", out["model"].map(lambda m: info[m][0]))
    out.insert(2, "fell_back", out["model"].map(lambda m: info[m][1]))
    out.insert(3, "reason", out["model"].map(lambda m: info[m][2]))
    out = out.sort_values("mase", ignore_index=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


TERMS: tuple[Term, ...] = (
    Term("backtest", "滚动回测", "Rolling-origin backtest", "fit on the weeks before each origin, forecast the next "
         "h weeks, score against what happened", "opslib.forecasting.backtest.rolling_origin", "03"),
)
