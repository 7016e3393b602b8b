"""Intervals and regressions the operations estimators share: Wilson intervals for shares, normal intervals for
means, and least squares on **cell sums** with heteroskedasticity-robust (HC1) or day-clustered errors.

Why cells: every regressor of the operations models is categorical or a 0/1 flag (late, peak day, carrier,
category, month ...), so all orders in one cell (one combination of regressors) share one row of the design
matrix. OLS on the individual orders equals weighted least squares on the cell means with weights ``n_c``,
and the robust variance only needs each cell's ``n``, ``Σy`` and ``Σy²``: a 10-million-order shop becomes a
few thousand rows, with the same estimate and the same standard error as the order-level fit (tested against
statsmodels on the orders themselves).

Example:
    >>> lo, hi = wilson_interval(45, 50)
    >>> round(lo, 3), round(hi, 3)
    (0.786, 0.957)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

Z95 = float(norm.ppf(0.975))


def wilson_interval(successes: float | np.ndarray, n: float | np.ndarray,
                    z: float = Z95) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Wilson score interval of a share ``k / n``.

    Formula: ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``p = k/n``; NaN when ``n = 0``.
    Better than ``p ± z·se`` near 0 % and 100 % (it never leaves [0, 1]), which is where norms live.

    Parameters:
        successes: k (scalar or array). n: trials. z: the normal quantile (1.96 for 95 %).

    Returns:
        ``(low, high)``.

    Example:
        >>> [round(float(x), 4) for x in wilson_interval(0, 10)]
        [0.0, 0.2775]
    """
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / m
        centre = p + z * z / (2 * m)
        half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m))
        den = 1 + z * z / m
        lo, hi = (centre - half) / den, (centre + half) / den
    lo = np.where(k <= 0, 0.0, lo)  # exact at the ends (no 0.9999999999999998 for 38 of 38)
    hi = np.where(k >= m, 1.0, hi)
    lo = np.where(m > 0, np.clip(lo, 0, 1), np.nan)
    hi = np.where(m > 0, np.clip(hi, 0, 1), np.nan)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def mean_interval(mean: float | np.ndarray, sd: float | np.ndarray, n: float | np.ndarray,
                  z: float = Z95) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Normal interval of a mean: ``mean ± z · sd / sqrt(n)`` (NaN when ``n < 2``).

    Example:
        >>> [round(float(x), 3) for x in mean_interval(4.0, 1.0, 100)]
        [3.804, 4.196]
    """
    m = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = z * np.asarray(sd, dtype=float) / np.sqrt(m)
    lo = np.where(m >= 2, np.asarray(mean, dtype=float) - half, np.nan)
    hi = np.where(m >= 2, np.asarray(mean, dtype=float) + half, np.nan)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def cell_sums(frame: pd.DataFrame, y: str, keys: Sequence[str]) -> pd.DataFrame:
    """Collapse unit rows to cells: one row per combination of ``keys`` with ``n``, ``sum_y``, ``sum_y2``.

    Rows where ``y`` or a key is missing are left out.

    Example:
        >>> f = pd.DataFrame({"g": ["a", "a", "b"], "y": [1.0, 3.0, 5.0]})
        >>> cell_sums(f, "y", ["g"]).values.tolist()
        [['a', 2, 4.0, 10.0], ['b', 1, 5.0, 25.0]]
    """
    f = frame.dropna(subset=[y, *keys])
    g = f.assign(_y2=f[y].astype(float) ** 2).groupby(list(keys), observed=True, sort=True)
    out = g.agg(n=(y, "size"), sum_y=(y, "sum"), sum_y2=("_y2", "sum")).reset_index()
    out["sum_y"] = out["sum_y"].astype(float)
    return out


@dataclass
class CellFit:
    """Least squares fitted on cell sums: coefficients, robust standard errors and 95 % intervals.

    ``table`` has one row per coefficient: ``term``, ``estimate``, ``se``, ``low``, ``high``, ``p``. ``n`` counts
    units (orders, reviews), ``cells`` the design rows, ``groups`` the clusters (None for HC1).
    """

    table: pd.DataFrame
    n: int
    cells: int
    k: int
    groups: int | None
    cov_type: str

    def term(self, name: str) -> pd.Series:
        """The row of one coefficient."""
        return self.table.set_index("term").loc[name]


def _design(cells: pd.DataFrame, terms: Sequence[str], fixed: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    cols = [np.ones(len(cells))]
    names = ["const"]
    for t in terms:
        cols.append(cells[t].astype(float).to_numpy())
        names.append(t)
    for f in fixed:
        levels = sorted(cells[f].astype(str).unique())
        values = cells[f].astype(str).to_numpy()
        for lev in levels[1:]:
            cols.append((values == lev).astype(float))
            names.append(f"{f}[{lev}]")
    return np.column_stack(cols), names


def cell_ols(cells: pd.DataFrame, terms: Sequence[str], fixed: Sequence[str] = (), cluster: str | None = None,
             z: float = Z95) -> CellFit:
    """OLS of unit outcomes on ``terms`` (numeric, e.g. 0/1 flags) and dummies of ``fixed`` (categorical
    controls), computed from cell sums (:func:`cell_sums`).

    Formula: with cell design rows ``x_c``, counts ``n_c``, sums ``S_c = Σy``, ``Q_c = Σy²``:
    ``β = (Σ n_c x_c x_c')⁻¹ Σ x_c S_c``; unit residuals ``u = y − x_c'β`` give per cell
    ``Σu = S_c − n_c ŷ_c`` and ``Σu² = Q_c − 2 ŷ_c S_c + n_c ŷ_c²``. HC1: ``V = N/(N−K) · B⁻¹ (Σ x_c x_c' Σu²) B⁻¹``;
    clustered by ``cluster`` (cells nested in clusters, e.g. days): ``V = G/(G−1) · (N−1)/(N−K) · B⁻¹ (Σ_g s_g s_g')
    B⁻¹`` with ``s_g = Σ_{c∈g} x_c Σu``. Intervals ``β ± 1.96 se``, p-values two-sided normal. These are exactly
    the order-level OLS numbers (statsmodels ``OLS(...).fit(cov_type="HC1")`` or ``"cluster"``).

    Parameters:
        cells: rows with ``n``, ``sum_y``, ``sum_y2``, the ``terms``, ``fixed`` and ``cluster`` columns.
        terms: regressors whose coefficients are the answer. fixed: categorical controls (first level dropped).
        cluster: column of cluster ids, or None for HC1.

    Returns:
        :class:`CellFit`.

    Example:
        >>> c = pd.DataFrame({"late": [0, 1], "n": [4, 2], "sum_y": [18.0, 6.0], "sum_y2": [82.0, 20.0]})
        >>> fit = cell_ols(c, ["late"])
        >>> round(float(fit.term("late")["estimate"]), 2)  # 6/2 - 18/4 = 3.0 - 4.5
        -1.5
    """
    cells = cells.reset_index(drop=True)
    X, names = _design(cells, terms, fixed)
    keep = np.abs(X).sum(axis=0) > 0
    X, names = X[:, keep], [n for n, k in zip(names, keep, strict=True) if k]
    n_c = cells["n"].to_numpy(dtype=float)
    S = cells["sum_y"].to_numpy(dtype=float)
    Q = cells["sum_y2"].to_numpy(dtype=float)
    N = float(n_c.sum())
    B = (X * n_c[:, None]).T @ X
    Binv = np.linalg.pinv(B)
    beta = Binv @ (X.T @ S)
    K = int(np.linalg.matrix_rank(B))
    yhat = X @ beta
    su = S - n_c * yhat
    if cluster is None:
        su2 = np.maximum(Q - 2 * yhat * S + n_c * yhat**2, 0.0)
        meat = (X * su2[:, None]).T @ X
        V = Binv @ meat @ Binv * (N / max(N - K, 1.0))
        groups, cov_type = None, "HC1"
    else:
        g = pd.factorize(cells[cluster])[0]
        G = int(g.max()) + 1
        s = np.zeros((G, X.shape[1]))
        np.add.at(s, g, X * su[:, None])
        V = Binv @ (s.T @ s) @ Binv * (G / max(G - 1, 1)) * ((N - 1) / max(N - K, 1.0))
        groups, cov_type = G, f"cluster({cluster})"
    se = np.sqrt(np.maximum(np.diag(V), 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * norm.sf(np.abs(beta / se))
    table = pd.DataFrame({"term": names, "estimate": beta, "se": se, "low": beta - z * se, "high": beta + z * se,
                          "p": p})
    return CellFit(table=table, n=int(N), cells=len(cells), k=K, groups=groups, cov_type=cov_type)
