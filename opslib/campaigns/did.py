"""Difference-in-differences: the scoped SKUs against an untreated control group, 2x2 and by regression.
"""

from __future__ import annotations

import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from opslib.kpi import Term


def did_2x2(treated_pre: float, treated_post: float, control_pre: float, control_post: float) -> float:
    """Difference-in-differences of four means: ``(T_post - T_pre) - (C_post - C_pre)``.

    Example: treated 10 -> 18, control 20 -> 24: (18 - 10) - (24 - 20) = 4.
        >>> did_2x2(10, 18, 20, 24)
        4.0
    """
    return float((treated_post - treated_pre) - (control_post - control_pre))


def did_regression(panel: pd.DataFrame, confidence: float = 0.90, cov_type: str = "HC1",
                   extra: str = "") -> dict[str, float]:
    """OLS ``y ~ treated + post + treated:post [+ extra]`` with robust standard errors.

    ``panel`` columns: ``y``, ``treated`` (0/1), ``post`` (0/1) [, a ``cluster`` column for
    ``cov_type='cluster'``]. The ``treated:post`` coefficient is the DiD estimate (per row, e.g. per
    day). Returns ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``n``.
    HC1: ``V = n/(n-k) (X'X)^-1 X' diag(e^2) X (X'X)^-1``.

    Example (2x2 table, two rows per cell): the estimate equals :func:`did_2x2` of the cell means.
        >>> p = pd.DataFrame({"y": [9, 11, 17, 19, 19, 21, 23, 25], "treated": [1, 1, 1, 1, 0, 0, 0, 0],
        ...                   "post": [0, 0, 1, 1, 0, 0, 1, 1]})
        >>> round(did_regression(p)["estimate"], 6)
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
    return {"estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se,
            "p_value": float(res.pvalues["treated:post"]), "n": int(res.nobs)}


def _did(y: pd.Series, control: pd.Series, per: dict, mask: pd.Series, confidence: float,
         window_days: int) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame]:
    """Scaled DiD on daily units: control rescaled so its pre-period mean equals the treated one."""
    keep = ~mask
    pre = (y.index >= per["pre"][0]) & (y.index <= per["pre"][1]) & keep.to_numpy()
    win = (y.index >= per["window"][0]) & (y.index <= per["window"][1])
    k = y[pre].mean() / control[pre].mean() if control[pre].mean() > 0 else 1.0
    c = control * k
    sel = pre | win
    panel = pd.concat([
        pd.DataFrame({"y": y[sel].to_numpy(), "treated": 1, "post": win[sel].astype(int), "dow": y.index[sel].day_of_week}),
        pd.DataFrame({"y": c[sel].to_numpy(), "treated": 0, "post": win[sel].astype(int), "dow": y.index[sel].day_of_week}),
    ], ignore_index=True)
    r = did_regression(panel, confidence=confidence, extra="C(dow)")
    table = pd.DataFrame({"pre": [y[pre].mean(), c[pre].mean()], "window": [y[win].mean(), c[win].mean()]},
                         index=pd.Index(["treated", "control (scaled)"], name="group"))
    table["change"] = table["window"] - table["pre"]
    out = {"per_day": r["estimate"], "incremental_units": r["estimate"] * window_days,
           "low": r["ci_low"] * window_days, "high": r["ci_high"] * window_days, "p_value": r["p_value"],
           "se_per_day": r["se"], "n": r["n"]}
    series = pd.DataFrame({"treated": y[sel], "control_scaled": c[sel]})
    return out, table, series


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("did", "双重差分", "Difference-in-differences (DiD)",
         "(T_post − T_pre) − (C_post − C_pre): how much more the promoted SKUs changed than the control group",
         "opslib.campaigns.did.did_2x2", "02"),
)
