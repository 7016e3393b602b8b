"""Trend forecasting: series from the cube, decomposition, many-series forecasts, hierarchy, charts.

Frequency choice: **forecasts are weekly** at every level (shop total, category, SKU). SKU demand is
too sparse day by day, replenishment is decided weekly, and one frequency keeps the hierarchy
(SKU -> category -> total) additive. **Decomposition is daily** (shop or category), where both the
weekly (7-day) and the yearly (365-day) seasonality are visible. Weeks run Monday..Sunday and are
labelled by their Monday; incomplete weeks at either end of the data are dropped.

Measure: ``units`` (non-cancelled units, from ``opslib.data.cube``) by default - what the warehouse ships.

Models and their fallbacks are in :mod:`opslib.forecasting.models`, metrics and backtests in
:mod:`opslib.forecasting.backtest`, stock rules in :mod:`opslib.forecasting.replenishment`.

Example:
    >>> import numpy as np
    >>> S = summing_matrix(["a", "b", "c"], {"a": "X", "b": "X", "c": "Y"})[0]
    >>> S.astype(int).tolist()
    [[1, 1, 1], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    >>> reconcile(np.array([[10.0], [6], [3], [2], [3], [3]]), S, "ols").ravel().round(2).tolist()
    [9.38, 6.08, 3.31, 2.54, 3.54, 3.31]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslib.forecasting.backtest import score
from opslib.forecasting.batch import forecast_many
from opslib.forecasting.models import (
    LEVELS,
    ForecastResult,
)
from opslib.forecasting.series import OTHER, TOTAL, to_weekly
from opslib.kpi import Term


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
    from opslib.forecasting.backtest import mase_scale, origins

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


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("reconciliation", "层级预测对齐", "Forecast reconciliation (MinT)",
         "ỹ = S (S' W⁻¹ S)⁻¹ S' W⁻¹ ŷ: SKU, category and shop forecasts that add up", "opslib.forecasting.hierarchy.reconcile", "03"),
)
