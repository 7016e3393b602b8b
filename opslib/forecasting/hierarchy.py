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

Reconciliation never blows up: near-constant residual series get a variance floor, a near-singular MinT
covariance falls back to its diagonal, a reconciled forecast that runs away falls back to bottom-up, and
each fallback is recorded (:class:`Reconciliation`, ``HierarchyForecast.methods``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

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
    """Build the weekly :class:`Hierarchy` from the daily x SKU cube: the ``top_skus`` best sellers (last 52
    weeks) as their own series, every other SKU pooled into ``'<category>|其他'``, so each category adds up.

    Parameters:
        daily: the daily x SKU cube (``date``, ``sku``, ``category``, ``measure``). top_skus: SKUs of their own.
        measure: the column summed. category: only this category (the hierarchy is then category -> SKUs).

    Returns:
        :class:`Hierarchy`.
    """
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


def shrink_covariance(resid: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    """Schäfer-Strimmer shrinkage of a residual covariance towards its diagonal (MinT-shrink's ``W``).

    ``W = lambda * diag(Sigma) + (1 - lambda) * Sigma``, ``lambda = sum_{i!=j} Var(r_ij) / sum_{i!=j} r_ij^2``
    (``r`` = correlations), clipped to [0, 1]. ``resid``: T x n (NaN rows dropped). A column whose standard
    deviation is below ``floor`` times the median of the others (a constant or all-zero residual series,
    e.g. a SKU that never sold) gets that floor instead of a near-zero variance, and no correlation: a
    near-zero variance would make ``W^-1`` explode and force every other node onto that one.

    Parameters:
        resid: in-sample one-step residuals, one column per node. floor: relative variance floor.

    Returns:
        The ``n x n`` shrunk covariance.

    Example:
        >>> e = np.array([[1.0, 1, 0], [-1, -1, 0], [1, -1, 0], [-1, 1, 0]])  # third column constant
        >>> np.round(shrink_covariance(e), 4).tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    e = resid[np.isfinite(resid).all(axis=1)]
    t, n = e.shape
    if t < 3:
        return np.eye(n)
    e = e - e.mean(axis=0)
    sd = e.std(axis=0)
    pos = sd[sd > 0]
    ref = float(np.median(pos)) if len(pos) else 1.0
    tiny = sd < floor * ref
    sd_safe = np.where(tiny, floor * ref, sd)
    z = np.where(tiny, 0.0, e / np.where(sd > 0, sd, 1.0))
    r = z.T @ z / t
    np.fill_diagonal(r, 1.0)
    w = np.einsum("ti,tj->tij", z, z)
    var_r = t / (t - 1) ** 3 * ((w - r) ** 2).sum(axis=0)
    off = ~np.eye(n, dtype=bool)
    lam = float(np.clip(var_r[off].sum() / max((r[off] ** 2).sum(), 1e-12), 0, 1))
    sigma = np.outer(sd_safe, sd_safe) * r
    out = lam * np.diag(np.diag(sigma)) + (1 - lam) * sigma
    out[tiny, :] = 0.0
    out[:, tiny] = 0.0
    out[tiny, tiny] = (floor * ref) ** 2
    return out


#: Reconciliation methods, simplest first.
METHODS: tuple[str, ...] = ("bottom_up", "ols", "wls_struct", "wls_var", "mint_shrink")
#: Largest condition number of ``S' W^-1 S`` accepted before falling back to a diagonal ``W``.
MAX_CONDITION = 1e10


@dataclass
class Reconciliation:
    """Reconciled forecasts of every node and what was actually done.

    ``values``: n_nodes x horizon means; ``sd``: their standard deviations (or None); ``method``: asked;
    ``used``: the method that produced them (differs after a guard fired); ``reason``: why ('' if not).
    """

    values: np.ndarray
    method: str
    used: str
    reason: str = ""
    sd: np.ndarray | None = None


def _w_inverse(S: np.ndarray, method: str, resid: np.ndarray | None) -> tuple[np.ndarray, str, str]:
    """``W^-1`` of a method, with the guards: ``(W^-1, method used, reason)``."""
    n = S.shape[0]
    if method == "ols":
        return np.eye(n), method, ""
    if method == "wls_struct":
        return np.diag(1.0 / S.sum(axis=1)), method, ""
    if method in ("wls_var", "mint_shrink"):
        if resid is None:
            raise ValueError(f"{method} needs in-sample residuals (T x nodes)")
        w = shrink_covariance(np.asarray(resid, float))
        if method == "wls_var":
            return np.diag(1.0 / np.diag(w)), method, ""
        try:
            w_inv = np.linalg.inv(w)
            cond = np.linalg.cond(S.T @ w_inv @ S)
        except np.linalg.LinAlgError:
            cond = np.inf
        if not np.isfinite(cond) or cond > MAX_CONDITION:
            return np.diag(1.0 / np.diag(w)), "wls_var", (
                f"mint_shrink: residual covariance near singular (condition {cond:.1e}); used its diagonal (wls_var)")
        return w_inv, method, ""
    raise ValueError(f"unknown method {method!r}: one of {', '.join(METHODS)}")


def _g_matrix(S: np.ndarray, w_inv: np.ndarray) -> np.ndarray:
    """``G = (S' W^-1 S)^-1 S' W^-1`` (bottom rows of the coherent projection)."""
    return np.linalg.solve(S.T @ w_inv @ S, S.T @ w_inv)


def reconciliation(base: np.ndarray, S: np.ndarray, method: str = "ols", resid: np.ndarray | None = None,
                   base_sd: np.ndarray | None = None, max_ratio: float = 10.0) -> Reconciliation:
    """Coherent forecasts ``y~ = S G y^`` with guards against a blow-up, and their standard deviations.

    ``G``: ``bottom_up`` ``[0 | I]``; otherwise ``G = (S' W^-1 S)^-1 S' W^-1`` with ``W = I`` (``ols``),
    ``diag(S 1)`` (``wls_struct``), ``diag`` of the residual variances (``wls_var``) or the shrunk residual
    covariance (``mint_shrink``, :func:`shrink_covariance`). Reconciled bottom forecasts below 0 are set to 0
    before summing up (``y~ = S max(G y^, 0)``), so every parent equals the sum of its children.

    Guards, each recorded in ``reason``: ``mint_shrink`` with a near-singular covariance (condition number
    of ``S' W^-1 S`` above ``MAX_CONDITION``) uses the diagonal (``wls_var``); any method whose reconciled
    forecast of some node is not finite or moves further from its base forecast than ``max_ratio`` times
    the largest base forecast of the hierarchy falls back to ``bottom_up``.

    Intervals: with ``base_sd`` (n_nodes x horizon standard deviations of the base forecasts, e.g. from
    their 80% intervals), the reconciled covariance at step ``h`` is ``S G W_h G' S'`` with
    ``W_h = D_h R D_h`` (``D_h = diag(base_sd[:, h])``, ``R`` the residual correlations of ``mint_shrink``,
    or independence when there are no residuals); ``sd`` is the square root of its diagonal.

    Parameters:
        base: n_nodes x horizon base forecasts (rows ordered as ``S``). S: summing matrix. method: one of
            ``METHODS``. resid: T x n_nodes in-sample residuals (``wls_var``, ``mint_shrink``).
        base_sd: n_nodes x horizon base standard deviations, or None. max_ratio: the blow-up guard.

    Returns:
        :class:`Reconciliation`.

    Example:
        >>> S = summing_matrix(["a", "b"], {"a": "X", "b": "X"})[0]
        >>> r = reconciliation(np.array([[10.0], [9.0], [4.0], [4.0]]), S, "bottom_up")
        >>> r.values.ravel().tolist(), r.used
        ([8.0, 8.0, 4.0, 4.0], 'bottom_up')
    """
    base = np.asarray(base, float)
    m = S.shape[1]
    used, reason = method, ""
    if method == "bottom_up":
        g = np.hstack([np.zeros((m, S.shape[0] - m)), np.eye(m)])
    else:
        w_inv, used, reason = _w_inverse(S, method, resid)
        g = _g_matrix(S, w_inv)
    values = S @ np.clip(g @ base, 0, None)
    scale = float(np.nanmax(np.abs(base))) if base.size else 0.0
    if method != "bottom_up" and (not np.isfinite(values).all()
                                  or np.max(np.abs(values - base)) > max_ratio * max(scale, 1e-9)):
        reason = (reason + "; " if reason else "") + (
            f"{used}: reconciled forecasts moved more than {max_ratio:g}x the largest base forecast; used bottom_up")
        used = "bottom_up"
        g = np.hstack([np.zeros((m, S.shape[0] - m)), np.eye(m)])
        values = S @ np.clip(g @ base, 0, None)
    sd = None
    if base_sd is not None:
        base_sd = np.asarray(base_sd, float)
        corr = np.eye(S.shape[0])
        if resid is not None and method == "mint_shrink":
            w = shrink_covariance(np.asarray(resid, float))
            d = np.sqrt(np.clip(np.diag(w), 1e-300, None))
            corr = w / np.outer(d, d)
        sg = S @ g
        sd = np.empty_like(base_sd)
        for h in range(base_sd.shape[1]):
            dh = np.nan_to_num(base_sd[:, h])
            cov = sg @ (np.outer(dh, dh) * corr) @ sg.T
            sd[:, h] = np.sqrt(np.clip(np.diag(cov), 0, None))
    return Reconciliation(values, method, used, reason, sd)


def reconcile(base: np.ndarray, S: np.ndarray, method: str = "ols", resid: np.ndarray | None = None) -> np.ndarray:
    """Coherent forecasts for every node from base forecasts ``base`` (n_nodes x horizon): the ``values`` of
    :func:`reconciliation` (same guards; use that function to see the method actually used).

    * ``bottom_up``: ``y~ = S b_hat`` (bottom rows of ``base``);
    * ``ols``: ``y~ = S (S'S)^-1 S' y_hat`` (orthogonal projection onto the coherent subspace);
    * ``wls_struct``: ``W = diag(S 1)``; ``wls_var``: ``W`` = diagonal of the residual variances;
      ``mint_shrink``: ``W`` = :func:`shrink_covariance` of in-sample residuals ``resid`` (T x n_nodes);
      all ``y~ = S (S' W^-1 S)^-1 S' W^-1 y_hat``.

    Example:
        >>> S = summing_matrix(["a", "b"], {"a": "X", "b": "X"})[0]
        >>> reconcile(np.array([[10.0], [9.0], [4.0], [4.0]]), S, "ols").ravel().round(2).tolist()
        [9.2, 9.2, 4.6, 4.6]
    """
    return reconciliation(base, S, method, resid).values


@dataclass
class HierarchyForecast:
    """Reconciled forecasts of a hierarchy.

    ``forecast``: long frame ``node``, ``level``, ``date``, ``base``, ``base_lo_L``/``base_hi_L`` and, per
    method, ``<method>``, ``<method>_lo_L``, ``<method>_hi_L``; ``methods``: one row per method asked with
    ``used`` (after the guards) and ``reason``; ``models``: the base model table (one row per node).
    """

    forecast: pd.DataFrame
    methods: pd.DataFrame
    models: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Per method: ``method``, ``used``, ``reason`` and the total forecast over the horizon of the top node."""
        top = self.forecast[self.forecast["level"] == "total"]
        out = self.methods.copy()
        out["total_forecast"] = [float(top[m].sum()) for m in out["method"]]
        return out

    def plot(self, node: str = TOTAL, method: str = "mint_shrink", history: pd.Series | None = None) -> Any:
        """One node's reconciled forecast and interval (:func:`opslib.plotting.forecasting.plot_forecast`)."""
        from opslib.plotting.forecasting import plot_forecast

        g = self.forecast[self.forecast["node"] == node]
        fc = pd.DataFrame({"date": g["date"], "mean": g[method]})
        for lv in LEVELS:
            if f"{method}_lo_{lv}" in g:
                fc[f"lo_{lv}"], fc[f"hi_{lv}"] = g[f"{method}_lo_{lv}"], g[f"{method}_hi_{lv}"]
        return plot_forecast(history if history is not None else pd.Series(dtype=float), fc,
                             title=f"{node}: {method}")


def hierarchy_forecast(h: Hierarchy, model: str = "ets", horizon: int = 8, methods: Sequence[str] = (
        "bottom_up", "ols", "mint_shrink"), levels: Sequence[int] = LEVELS, n_jobs: int = 1,
        progress: bool = True, series: pd.DataFrame | None = None) -> HierarchyForecast:
    """Base forecasts for every node, then each reconciliation ``method`` with its intervals.

    Parameters:
        h: the hierarchy. model: base model (a name of ``MODELS`` or ``'auto'``). horizon: periods.
        methods: reconciliation methods (:func:`reconciliation`). levels: interval levels. n_jobs, progress:
            the process pool. series: the node series (defaults to ``h.all_series()``; a backtest passes
            truncated history).

    Returns:
        :class:`HierarchyForecast`. Reconciled intervals: ``y~ +/- z_L sd~`` with ``sd~`` from
        :func:`reconciliation` (base standard deviations read off each base model's 80% interval).
    """
    from opslib.forecasting.batch import model_table

    data = h.all_series() if series is None else series
    res = forecast_many(data, model, horizon, levels, n_jobs=n_jobs, progress=progress, trim=False)
    base = np.vstack([r.forecast["mean"].to_numpy() for r in res])
    z80 = NormalDist().inv_cdf(0.9)
    base_sd = np.vstack([(r.forecast["hi_80"].to_numpy() - r.forecast["lo_80"].to_numpy()) / (2 * z80)
                         if "hi_80" in r.forecast else np.zeros(horizon) for r in res])
    resid = np.column_stack([_resid(r, len(data)) for r in res])
    out = pd.DataFrame({"node": np.repeat(h.ids, horizon), "level": np.repeat(h.levels, horizon),
                        "date": np.tile(res[0].forecast["date"].to_numpy(), len(h.ids)), "base": base.ravel()})
    for lv in levels:
        out[f"base_lo_{lv}"] = np.concatenate([r.forecast[f"lo_{lv}"].to_numpy() for r in res])
        out[f"base_hi_{lv}"] = np.concatenate([r.forecast[f"hi_{lv}"].to_numpy() for r in res])
    rows = []
    for meth in methods:
        rec = reconciliation(base, h.S, meth, resid if meth in ("mint_shrink", "wls_var") else None, base_sd)
        out[meth] = rec.values.ravel()
        for lv in levels:
            z = NormalDist().inv_cdf(0.5 + lv / 200)
            out[f"{meth}_lo_{lv}"] = np.clip(rec.values - z * rec.sd, 0, None).ravel()
            out[f"{meth}_hi_{lv}"] = (rec.values + z * rec.sd).ravel()
        rows.append({"method": meth, "used": rec.used, "reason": rec.reason})
    return HierarchyForecast(out, pd.DataFrame(rows, columns=["method", "used", "reason"]), model_table(res))


def _resid(r: ForecastResult, n: int) -> np.ndarray:
    e = np.asarray(r.extra.get("residuals", np.full(n, np.nan)), float)
    e = np.r_[np.full(max(0, n - len(e)), np.nan), e[-n:]]
    return np.where(np.isfinite(e), e, 0.0)


def hierarchy_backtest(h: Hierarchy, model: str = "ets", horizon: int = 8, windows: int = 2,
                       methods: Sequence[str] = ("bottom_up", "ols", "mint_shrink"), n_jobs: int = 1,
                       progress: bool = True) -> pd.DataFrame:
    """Rolling-origin backtest of the hierarchy: for each origin, :func:`hierarchy_forecast` on the
    history before it.

    Parameters:
        h: the hierarchy. model: base model. horizon: weeks per origin. windows: origins
            (:func:`opslib.forecasting.backtest.origins`). methods: reconciliation methods. n_jobs, progress:
            the process pool.

    Returns:
        Long frame: ``origin``, ``node``, ``level``, ``date``, ``actual``, ``base``, one column per method and
        its bounds, ``used_<method>`` (the method actually used at that origin, after the guards),
        ``scale`` (MASE denominator, seasonal lag 52 or 1).
    """
    from opslib.forecasting.backtest import mase_scale, origins

    data = h.all_series()
    frames = []
    for o in origins(len(data), horizon, windows, min_train=8):
        hf = hierarchy_forecast(h, model, horizon, methods, n_jobs=n_jobs, progress=progress, series=data.iloc[:o])
        fc = hf.forecast
        test = data.iloc[o : o + horizon]
        fc["actual"] = test.to_numpy().T.ravel()
        fc["origin"] = test.index[0]
        fc["scale"] = fc["node"].map({c: mase_scale(data[c].iloc[:o].to_numpy(), 52) for c in data.columns})
        for row in hf.methods.itertuples(index=False):
            fc[f"used_{row.method}"] = row.used
            fc[f"reason_{row.method}"] = row.reason
        frames.append(fc)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["origin", "node", "level"])  # too short


def hierarchy_accuracy(bt: pd.DataFrame, methods: Sequence[str] = ("base", "bottom_up", "ols", "mint_shrink"),
                       levels: Sequence[int] = LEVELS) -> pd.DataFrame:
    """Accuracy per level and method from :func:`hierarchy_backtest`.

    Parameters:
        bt: the backtest frame. methods: columns to score (``base`` = the unreconciled forecasts). levels:
            interval levels to report coverage for.

    Returns:
        ``level``, ``method``, ``used`` (what actually ran at the origins, e.g. ``wls_var (1 of 2 origins)``
        after a guard), ``mase`` (mean over nodes and origins), ``wape`` (pooled), ``bias_pct``,
        ``coverage_L`` (share of actuals inside the reconciled ``L``% interval), ``reason``.
    """
    rows = []
    for meth in [m for m in methods if m in bt and not bt.empty]:  # no origin fits: no rows
        long = bt.rename(columns={"node": "series_id"}).assign(model=meth, mean=bt[meth])
        for lv in levels:
            lo, hi = (f"base_lo_{lv}", f"base_hi_{lv}") if meth == "base" else (f"{meth}_lo_{lv}", f"{meth}_hi_{lv}")
            if lo in bt:
                long[f"lo_{lv}"], long[f"hi_{lv}"] = bt[lo], bt[hi]
        s = score(long, ("level", "series_id"), levels=())
        pooled = score(long, ("level",), levels=levels)
        used_col = f"used_{meth}"
        per_origin = bt.drop_duplicates("origin")
        if used_col in bt:
            counts = per_origin[used_col].value_counts()
            used = ", ".join(m if m == meth else f"{m} ({c} of {len(per_origin)} origins)" for m, c in counts.items())
            reasons = per_origin.loc[per_origin[used_col] != meth, f"reason_{meth}"]
            reason = reasons.iloc[0] if len(reasons) else ""
        else:
            used, reason = meth, ""
        for lv, g in s.groupby("level", sort=False):
            p = pooled[pooled["level"] == lv].iloc[0]
            row = {"level": lv, "method": meth, "used": used, "mase": float(g["mase"].mean()),
                   "wape": float(p["wape"]), "bias_pct": float(p["bias_pct"])}
            for lvl in levels:
                if f"coverage_{lvl}" in p:
                    row[f"coverage_{lvl}"] = float(p[f"coverage_{lvl}"])
            row["reason"] = reason
            rows.append(row)
    out = pd.DataFrame(rows, columns=["level", "method", "used", "mase", "wape", "bias_pct", "reason"] if not rows else None)
    order = {"total": 0, "category": 1, "sku": 2}
    return out.sort_values(["level", "mase"], key=lambda c: c.map(order) if c.name == "level" else c,
                           ignore_index=True)


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("reconciliation", "层级预测对齐", "Forecast reconciliation (MinT)",
         "ỹ = S (S' W⁻¹ S)⁻¹ S' W⁻¹ ŷ: SKU, category and shop forecasts that add up", "opslib.forecasting.hierarchy.reconcile", "03"),
)
