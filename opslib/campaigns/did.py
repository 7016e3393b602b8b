"""Difference-in-differences: the scoped SKUs against an untreated control group, 2x2 and by regression.

The campaign DiD (:func:`scaled_did`) rescales the control so its pre-period mean equals the treated one,
``k = mean(y_pre) / mean(x_pre)``, then fits ``y ~ treated + post + treated:post + C(weekday)`` on the daily
units of both groups (pre-period and window, set-aside days left out) with HC1 standard errors; the
interaction is the extra units per day, times the window length the incremental units. The rescaling makes
the estimate scale-free: the same data times 1,000 give the same estimate times 1,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from opslib.kpi import Term


def did_2x2(treated_pre: float, treated_post: float, control_pre: float, control_post: float) -> float:
    """Difference-in-differences of four means: ``(T_post - T_pre) - (C_post - C_pre)``.

    Parameters:
        treated_pre, treated_post, control_pre, control_post: the four cell means.

    Returns:
        The DiD estimate.

    Example: treated 10 -> 18, control 20 -> 24: (18 - 10) - (24 - 20) = 4.
        >>> did_2x2(10, 18, 20, 24)
        4.0
    """
    return float((treated_post - treated_pre) - (control_post - control_pre))


@dataclass
class DidEstimate:
    """The ``treated:post`` coefficient of :func:`did_regression` with its robust standard error and interval."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    confidence: float

    def summary(self) -> pd.DataFrame:
        """One row: ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``n``, ``confidence``."""
        return pd.DataFrame([self.__dict__])


def did_regression(panel: pd.DataFrame, confidence: float = 0.90, cov_type: str = "HC1",
                   extra: str = "") -> DidEstimate:
    """OLS ``y ~ treated + post + treated:post [+ extra]`` with robust standard errors.

    HC1: ``V = n/(n-k) (X'X)^-1 X' diag(e^2) X (X'X)^-1``; interval ``estimate ± z se``.

    Parameters:
        panel: columns ``y``, ``treated`` (0/1), ``post`` (0/1) [, ``cluster`` for ``cov_type='cluster'``]
            and whatever ``extra`` names. confidence: of the interval. cov_type: statsmodels covariance type.
        extra: further terms of the formula (e.g. ``C(dow)``).

    Returns:
        :class:`DidEstimate` (the ``treated:post`` coefficient: per row, e.g. per day).

    Example (2x2 table, two rows per cell): the estimate equals :func:`did_2x2` of the cell means.
        >>> p = pd.DataFrame({"y": [9, 11, 17, 19, 19, 21, 23, 25], "treated": [1, 1, 1, 1, 0, 0, 0, 0],
        ...                   "post": [0, 0, 1, 1, 0, 0, 1, 1]})
        >>> round(did_regression(p).estimate, 6)
        4.0
    """
    formula = "y ~ treated + post + treated:post" + (f" + {extra}" if extra else "")
    model = smf.ols(formula, data=panel)
    if cov_type == "cluster":
        res = model.fit(cov_type="cluster", cov_kwds={"groups": panel["cluster"]})
    else:
        res = model.fit(cov_type=cov_type)
    est, se = float(res.params["treated:post"]), float(res.bse["treated:post"])
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return DidEstimate(estimate=est, se=se, ci_low=est - z * se, ci_high=est + z * se,
                       p_value=float(res.pvalues["treated:post"]), n=int(res.nobs), confidence=confidence)


@dataclass
class DidResult:
    """A campaign's difference-in-differences (:func:`scaled_did`).

    ``per_day`` extra units a day and ``se_per_day``; ``incremental_units`` = ``per_day`` x window days with its
    interval ``low`` .. ``high``; ``p_value``, ``n`` (rows), ``confidence``; ``table``: the 2x2 cell means
    (rows ``treated``, ``control (scaled)``; columns ``pre``, ``window``, ``change``); ``series``: daily
    ``treated`` and ``control_scaled`` over the pre-period and window; ``window``: first and last day.
    """

    per_day: float
    se_per_day: float
    incremental_units: float
    low: float
    high: float
    p_value: float
    n: int
    confidence: float
    table: pd.DataFrame
    series: pd.DataFrame
    window: tuple[pd.Timestamp, pd.Timestamp]

    def summary(self) -> pd.DataFrame:
        """One row: ``incremental_units``, ``low``, ``high``, ``per_day``, ``se_per_day``, ``p_value``, ``n``,
        ``confidence``."""
        keys = ("incremental_units", "low", "high", "per_day", "se_per_day", "p_value", "n", "confidence")
        return pd.DataFrame([{k: getattr(self, k) for k in keys}])

    def plot(self) -> Any:
        """Treated vs scaled control, window shaded (:func:`opslib.plotting.campaigns.did_chart`)."""
        from opslib.plotting.campaigns import did_chart

        return did_chart(self.series, self.window)


def scaled_did(y: pd.Series, control: pd.Series, pre: tuple[pd.Timestamp, pd.Timestamp],
               window: tuple[pd.Timestamp, pd.Timestamp], mask: pd.Series | None = None,
               confidence: float = 0.90) -> DidResult:
    """Scaled DiD of daily units: the control rescaled so its pre-period mean equals the treated one.

    ``k = mean(y_pre) / mean(x_pre)`` over the usable pre-period days; OLS
    ``y ~ treated + post + treated:post + C(weekday)`` on both groups' daily units (pre-period without the
    ``mask`` days, and the window), HC1 standard errors (:func:`did_regression`); incremental units
    ``= per_day x window days``.

    Parameters:
        y: the scoped SKUs' daily units (index: day). control: the control group's daily units, same index.
        pre, window: inclusive days. mask: True on days to leave out. confidence: of the interval.

    Returns:
        :class:`DidResult`.

    Example: treated 10 a day, +6 in a 2-day window; control 20 a day throughout (scaled to 10):
    the extra is 6 a day, 12 units.
        >>> idx = pd.date_range("2024-01-01", periods=30)
        >>> y = pd.Series(10.0, idx); y.iloc[28:] += 6
        >>> r = scaled_did(y, pd.Series(20.0, idx), (idx[0], idx[27]), (idx[28], idx[29]))
        >>> round(r.per_day, 6), round(r.incremental_units, 6)
        (6.0, 12.0)
    """
    keep = pd.Series(True, index=y.index) if mask is None else ~mask.reindex(y.index).fillna(False).astype(bool)
    pre_sel = (y.index >= pre[0]) & (y.index <= pre[1]) & keep.to_numpy()
    win = (y.index >= window[0]) & (y.index <= window[1])
    k = y[pre_sel].mean() / control[pre_sel].mean() if control[pre_sel].mean() > 0 else 1.0
    c = control * k
    sel = pre_sel | win
    dow = y.index[sel].day_of_week
    panel = pd.concat([
        pd.DataFrame({"y": y[sel].to_numpy(), "treated": 1, "post": win[sel].astype(int), "dow": dow}),
        pd.DataFrame({"y": c[sel].to_numpy(), "treated": 0, "post": win[sel].astype(int), "dow": dow}),
    ], ignore_index=True)
    r = did_regression(panel, confidence=confidence, extra="C(dow)" if len(set(dow)) > 1 else "")
    days = int(win.sum())
    table = pd.DataFrame({"pre": [y[pre_sel].mean(), c[pre_sel].mean()], "window": [y[win].mean(), c[win].mean()]},
                         index=pd.Index(["treated", "control (scaled)"], name="group"))
    table["change"] = table["window"] - table["pre"]
    series = pd.DataFrame({"treated": y[sel], "control_scaled": c[sel]})
    return DidResult(per_day=r.estimate, se_per_day=r.se, incremental_units=r.estimate * days,
                     low=r.ci_low * days, high=r.ci_high * days, p_value=r.p_value, n=r.n, confidence=confidence,
                     table=table, series=series, window=(window[0], window[1]))


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("did", "双重差分", "Difference-in-differences (DiD)",
         "(T_post − T_pre) − (C_post − C_pre): how much more the promoted SKUs changed than the control group",
         "opslib.campaigns.did.did_2x2", "02"),
)
