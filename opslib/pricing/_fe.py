"""Fixed-effects regression machinery for the elasticity estimator (numpy + statsmodels only).

* :func:`demean` — weighted within transformation over one or more factors by alternating projections
  (the method of moments behind reghdfe/ppmlhdfe): repeatedly subtract weighted group means of each
  factor until nothing changes. For one factor it is the classic within transformation in one pass.
* :func:`ppml` — Poisson pseudo-maximum likelihood with absorbed fixed effects, by iteratively
  reweighted least squares on demeaned variables (Correia, Guimarães & Zylkin 2020, "ppmlhdfe").
* :func:`ols` — least squares on demeaned variables.

Both fits finish with a statsmodels WLS/OLS on the demeaned data, which gives the cluster-robust
covariance: for PPML the last IRLS step's WLS sandwich equals the PPML sandwich
``(X'WX)^-1 (sum_g X_g'u_g u_g'X_g) (X'WX)^-1`` with ``W = diag(mu)``, ``u = y - mu``.

Example:
    >>> import numpy as np
    >>> g = np.array([0, 0, 1, 1])
    >>> demean(np.array([[1.0], [3.0], [10.0], [14.0]]), [g]).ravel().tolist()
    [-1.0, 1.0, -2.0, 2.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm


def demean(x: np.ndarray, factors: list[np.ndarray], weights: np.ndarray | None = None, tol: float = 1e-11,
           max_iter: int = 5000) -> np.ndarray:
    """Weighted within transformation of the columns of ``x`` over the ``factors`` (integer codes 0..G-1).

    Formula (one factor ``g``): ``x_i - sum_{j in g(i)} w_j x_j / sum_{j in g(i)} w_j``; several factors:
    the same projection applied to each factor in turn until the largest change is below
    ``tol * (1 + max |x|)`` (alternating projections converge to the residual of the regression on all
    factor dummies).

    Parameters:
        x: (n,) or (n, k) array. factors: list of (n,) int arrays. weights: (n,) positive, default 1.

    Returns:
        Array like ``x`` (always 2-D (n, k)).

    Example:
        >>> a, b = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
        >>> demean(np.array([1.0, 2.0, 3.0, 4.0]), [a, b]).round(12).ravel().tolist()
        [0.0, 0.0, 0.0, 0.0]
    """
    out = np.array(x, dtype=float, copy=True)
    if out.ndim == 1:
        out = out[:, None]
    if not factors or out.shape[1] == 0:
        return out
    w = np.ones(len(out)) if weights is None else np.asarray(weights, dtype=float)
    sums = [np.bincount(f, weights=w) for f in factors]
    for j in range(out.shape[1]):
        col = out[:, j]
        scale = 1.0 + np.abs(col).max()
        for _ in range(max_iter):
            change = 0.0
            for f, sw in zip(factors, sums, strict=True):
                m = np.bincount(f, weights=w * col, minlength=len(sw)) / np.where(sw > 0, sw, 1.0)
                col -= m[f]
                change = max(change, float(np.abs(m).max()))
            if change <= tol * scale or len(factors) == 1:
                break
        out[:, j] = col
    return out


@dataclass
class FEFit:
    """A fitted FE regression: coefficients, their cluster-robust covariance, fitted means and weights."""

    params: np.ndarray
    cov: np.ndarray
    mu: np.ndarray  # fitted mean of y (PPML) or fitted log outcome (OLS)
    weights: np.ndarray  # IRLS weights (mu) for PPML, ones for OLS
    x_within: np.ndarray  # demeaned regressors (with the final weights)
    fe: np.ndarray  # fitted fixed-effect part per row (linear predictor minus offset minus X b)
    iterations: int
    converged: bool


def _cluster_fit(z: np.ndarray, x: np.ndarray, w: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """statsmodels WLS of demeaned z on demeaned x with cluster-robust covariance (clusters = codes)."""
    if x.shape[1] == 0:
        return np.zeros(0), np.zeros((0, 0))
    res = sm.WLS(z, x, weights=w).fit(cov_type="cluster", cov_kwds={"groups": clusters})
    return np.asarray(res.params, dtype=float), np.asarray(res.cov_params(), dtype=float)


def ppml(y: np.ndarray, x: np.ndarray, factors: list[np.ndarray], clusters: np.ndarray,
         offset: np.ndarray | None = None, tol: float = 1e-10, max_iter: int = 200) -> FEFit:
    """Poisson pseudo-ML of ``E[y] = exp(offset + FE + x b)`` with the FE absorbed, cluster-robust covariance.

    IRLS: working response ``z = eta - offset + (y - mu) / mu`` with weights ``mu``; ``z`` and ``x``
    demeaned over the factors (weighted by ``mu``), ``b`` = WLS on the demeaned data, ``eta = offset
    + z - (z~ - x~ b)``; until the deviance ``2 sum(y log(y/mu) - (y - mu))`` changes by < ``tol``
    (relative). Scale-free: ``y`` times k gives the same ``b`` and covariance.

    Parameters:
        y: (n,) >= 0. x: (n, k) regressors (no constant: the FE absorb it). factors: integer codes.
        clusters: (n,) integer cluster codes. offset: (n,) log exposure.

    Returns:
        :class:`FEFit`.

    Example:
        >>> g = np.array([0, 0, 1, 1]); lp = np.log([1.0, 0.8, 1.0, 0.5])
        >>> y = np.exp(np.array([1.0, 1.0, 3.0, 3.0]) - 2.0 * lp)
        >>> round(float(ppml(y, lp[:, None], [g], g).params[0]), 8)
        -2.0
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, dtype=float)
    mu = (y + y.mean()) / 2.0
    eta = np.log(mu)
    dev_old = np.inf
    b = np.zeros(x.shape[1])
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        z = eta - off + (y - mu) / mu
        zx = demean(np.column_stack([z, x]), factors, mu)
        zt, xt = zx[:, 0], zx[:, 1:]
        if xt.shape[1]:
            sw = np.sqrt(mu)
            b = np.linalg.lstsq(xt * sw[:, None], zt * sw, rcond=None)[0]
        resid = zt - xt @ b
        eta = off + z - resid
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = 2.0 * float(np.sum(np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)))
        if abs(dev - dev_old) / max(min(dev, dev_old), 0.1) < tol:
            converged = True
            break
        dev_old = dev
    z = eta - off + (y - mu) / mu
    zx = demean(np.column_stack([z, x]), factors, mu)
    params, cov = _cluster_fit(zx[:, 0], zx[:, 1:], mu, clusters)
    if len(params):
        b = params
    fe = eta - off - x @ b
    return FEFit(b, cov, mu, mu, zx[:, 1:], fe, it, converged)


def ols(yl: np.ndarray, x: np.ndarray, factors: list[np.ndarray], clusters: np.ndarray) -> FEFit:
    """Least squares of ``yl = FE + x b + e`` with the FE absorbed (within transformation), cluster-robust.

    Formula: ``b = (X~'X~)^-1 X~'y~`` with ``~`` the within transformation over the factors.

    Example:
        >>> g = np.array([0, 0, 1, 1]); x = np.array([[0.0], [1.0], [0.0], [2.0]])
        >>> round(float(ols(5.0 + 3.0 * x[:, 0] + g, x, [g], g).params[0]), 10)
        3.0
    """
    yl = np.asarray(yl, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(yl), -1)
    zx = demean(np.column_stack([yl, x]), factors)
    params, cov = _cluster_fit(zx[:, 0], zx[:, 1:], np.ones(len(yl)), clusters)
    fitted = yl - (zx[:, 0] - zx[:, 1:] @ params)
    return FEFit(params, cov, fitted, np.ones(len(yl)), zx[:, 1:], fitted - x @ params, 1, True)


def split_effects(fe: np.ndarray, first: np.ndarray, second: np.ndarray, tol: float = 1e-12,
                  max_iter: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """Split an additive two-way effect ``fe_i = a[first_i] + g[second_i]`` into ``a`` and ``g``.

    Alternating group means (unweighted); identified up to a constant, fixed by mean(g) = 0.

    Example:
        >>> a0, g0 = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
        >>> a, g = split_effects(np.array([1.0, 3.0, 5.0, 7.0]), a0, g0)
        >>> a.round(9).tolist(), g.round(9).tolist()
        ([2.0, 6.0], [-1.0, 1.0])
    """
    n1, n2 = int(first.max()) + 1, int(second.max()) + 1
    c1 = np.maximum(np.bincount(first, minlength=n1), 1)
    c2 = np.maximum(np.bincount(second, minlength=n2), 1)
    a, g = np.zeros(n1), np.zeros(n2)
    for _ in range(max_iter):
        a_new = np.bincount(first, weights=fe - g[second], minlength=n1) / c1
        g_new = np.bincount(second, weights=fe - a_new[first], minlength=n2) / c2
        done = max(np.abs(a_new - a).max(), np.abs(g_new - g).max()) <= tol * (1 + np.abs(fe).max())
        a, g = a_new, g_new
        if done:
            break
    shift = g.mean()
    return a + shift, g - shift
