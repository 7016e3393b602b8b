"""What would have happened without the campaign? A structural time-series counterfactual (CausalImpact-style).

In the spirit of Google's CausalImpact (Brodersen et al. 2015), with a frequentist state-space model
instead of the Bayesian spike-and-slab one:

1. Fit ``statsmodels`` ``UnobservedComponents`` on the **pre-period only**::

       y_t = mu_t + gamma_t + x_t' beta + eps_t,       eps_t ~ N(0, s_eps^2)
       mu_{t+1} = mu_t (+ nu_t) + eta_t,               eta_t ~ N(0, s_eta^2)   (local level / local linear trend)
       gamma_t = -(gamma_{t-1} + ... + gamma_{t-6})                            (weekly seasonal)

   ``x_t`` are control series the campaign did not touch (other categories, last year's series),
   standardised on the pre-period; ``beta`` by maximum likelihood or (``control_coef='ratio'``)
   fixed at the pre-period ratio ``sum(y) / sum(x)``. Days of other campaigns in the pre-period are set missing
   (the Kalman filter skips them).
2. Forecast the campaign window with the observed controls: the counterfactual ``y_hat_t`` and its
   pointwise predictive interval (Gaussian, ``y_hat_t ± z sd_t``).
3. Effects: pointwise ``effect_t = y_t - y_hat_t``; cumulative ``C_T = sum_{t<=T} effect_t``.

**Interval of the cumulative effect.** We use the exact forecast variance of the cumulative sum of
the linear Gaussian state-space model (no simulation): with predicted state covariance ``P_1`` at the
end of the pre-period, ``P_{j+1} = T P_j T' + R Q R'``,
``Cov(y_i, y_j) = Z T^{j-i} P_i Z'`` (``i < j``) and ``Var(y_j) = Z P_j Z' + H``, so
``Var(sum y) = 1' Cov 1``. The **tail probability** is the one-sided posterior-predictive-style
probability ``P(sum y_hat >= sum y)`` (for a positive effect; mirrored for a negative one) under
that Gaussian. Model parameters are plugged in at their maximum-likelihood values, so the
intervals ignore parameter uncertainty and are slightly too narrow for short pre-periods.

Example:
    >>> import numpy as np, pandas as pd
    >>> idx = pd.date_range("2024-01-01", periods=70)
    >>> rng = np.random.default_rng(0)
    >>> x = 100 + 10 * np.sin(np.arange(70) / 5) + rng.normal(0, 1, 70)
    >>> y = 0.5 * x + rng.normal(0, 1, 70)
    >>> y[63:] += 20                                     # the "campaign": +20 a day for 7 days
    >>> r = causal_impact(pd.Series(y, idx), pd.DataFrame({"x": x}, idx), idx[0], idx[62], idx[63], idx[69])
    >>> 120 < r.summary["effect"] < 160
    True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.statespace.structural import UnobservedComponents

from opslib.kpi import Term

#: Fewer non-missing pre-period days than this and the model is not fitted.
MIN_PRE_DAYS = 21


@dataclass
class ImpactResult:
    """Result of :func:`causal_impact`.

    ``series`` (index ``date``, pre- and post-period): ``observed``, ``predicted`` (in-sample one-step
    prediction in the pre-period, counterfactual forecast in the post-period), ``pred_low``,
    ``pred_high``, ``effect``, ``effect_low``, ``effect_high``, ``cum_effect``, ``cum_low``,
    ``cum_high`` (post-period only), ``period`` ('pre' | 'post'), ``masked`` (pre-period day set
    missing).

    ``summary``: ``observed``, ``predicted``, ``effect``, ``effect_low``, ``effect_high`` (sums over the
    post-period), ``effect_sd``, ``relative_effect`` = effect / predicted, ``tail_probability``,
    ``confidence``, ``pre_days_used``, ``model``.
    """

    series: pd.DataFrame
    summary: dict[str, float | str]
    notes: list[str] = field(default_factory=list)
    #: joint forecast covariance of the post-period days (for the interval of any sub-period sum)
    cov: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))


def forecast_covariance(res, h: int) -> np.ndarray:
    """Joint covariance matrix of the ``h`` forecasts past the sample end of a fitted time-invariant model."""
    ssm = res.model.ssm
    Z = np.asarray(ssm["design"])[..., 0] if np.ndim(ssm["design"]) == 3 else np.asarray(ssm["design"])
    T = np.asarray(ssm["transition"])[..., 0] if np.ndim(ssm["transition"]) == 3 else np.asarray(ssm["transition"])
    R = np.asarray(ssm["selection"])[..., 0] if np.ndim(ssm["selection"]) == 3 else np.asarray(ssm["selection"])
    Q = np.asarray(ssm["state_cov"])[..., 0] if np.ndim(ssm["state_cov"]) == 3 else np.asarray(ssm["state_cov"])
    H = float(np.asarray(ssm["obs_cov"]).ravel()[0])
    RQR = R @ Q @ R.T
    P = np.asarray(res.predicted_state_cov)[:, :, -1]
    Ps = []
    for _ in range(h):
        Ps.append(P)
        P = T @ P @ T.T + RQR
    cov = np.zeros((h, h))
    for i in range(h):
        M = Ps[i]
        for j in range(i, h):
            c = (Z @ M @ Z.T).item()
            cov[i, j] = cov[j, i] = c
            M = T @ M
        cov[i, i] += H
    return cov


def causal_impact(y: pd.Series, controls: pd.DataFrame | None, pre_start: pd.Timestamp, pre_end: pd.Timestamp,
                  post_start: pd.Timestamp, post_end: pd.Timestamp, confidence: float = 0.90,
                  mask: pd.Series | None = None, trend: bool = False, seasonal: int | None = 7,
                  level_sd: float | None = 0.01, control_coef: str = "mle") -> ImpactResult:
    """Counterfactual forecast of ``y`` over ``[post_start, post_end]`` from a model fitted on ``[pre_start, pre_end]``.

    ``y``: daily series indexed by date (no gaps between pre_start and post_end; fill zeros first).
    ``controls``: daily regressors on the same index (or None: level + weekly seasonal only).
    ``mask``: boolean series, True on pre-period days to treat as missing (other campaigns).
    ``trend``: local linear trend instead of local level (extrapolates the slope: use only for long,
    clearly trending pre-periods). ``level_sd``: fix the level's random-walk standard deviation at
    ``level_sd * sd(y_pre)`` (CausalImpact's default prior scale, 0.01) so the counterfactual follows
    the whole pre-period rather than its last noisy days; None estimates it by maximum likelihood.
    ``control_coef``: ``'mle'`` estimates the controls' coefficients by maximum likelihood; ``'ratio'``
    fixes each at ``sum(y_pre) / sum(x_pre)`` over the usable pre-period days (all controls together),
    so the counterfactual moves with the controls in proportion. Use it for one control series that
    shares the outcome's shocks (the untreated SKUs of the same shop): in a quiet pre-period the
    likelihood barely identifies the coefficient and a shop-wide dip after it (Spring Festival) would
    be ignored. Raises ``ValueError`` with fewer than :data:`MIN_PRE_DAYS` usable days.
    """
    pre_idx = pd.date_range(pre_start, pre_end, freq="D")
    post_idx = pd.date_range(post_start, post_end, freq="D")
    y = y.astype(float).reindex(pre_idx.append(post_idx))
    if y[post_idx].isna().any():
        raise ValueError("the outcome series has gaps in the campaign window: fill days without sales with 0")
    y_pre = y[pre_idx].copy()
    masked = pd.Series(False, index=pre_idx)
    if mask is not None:
        masked = mask.reindex(pre_idx).fillna(False).astype(bool)
        y_pre[masked] = np.nan
    n_used = int(y_pre.notna().sum())
    if control_coef not in ("mle", "ratio"):
        raise ValueError(f"control_coef must be 'mle' or 'ratio', not {control_coef!r}")
    if n_used < MIN_PRE_DAYS:
        raise ValueError(f"only {n_used} usable pre-period days (need {MIN_PRE_DAYS})")
    notes: list[str] = []
    exog_pre = exog_post = None
    if controls is not None and len(controls.columns):
        X = controls.astype(float).reindex(pre_idx.append(post_idx))
        if X.isna().any().any():
            X = X.interpolate(limit_direction="both").fillna(0.0)
        sd = X.loc[pre_idx].std()
        keep = sd[sd > 1e-9].index
        if len(keep) < len(X.columns):
            notes.append(f"dropped constant controls: {sorted(set(X.columns) - set(keep))}")
        X = (X[keep] - X.loc[pre_idx, keep].mean()) / sd[keep]
        if len(keep):
            exog_pre, exog_post = X.loc[pre_idx].to_numpy(), X.loc[post_idx].to_numpy()
    level = "local linear trend" if trend else "local level"
    model = UnobservedComponents(y_pre.to_numpy(), level=level, seasonal=seasonal, stochastic_seasonal=False,
                                 exog=exog_pre)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fixed: dict[str, float] = {}
        if control_coef == "ratio" and exog_pre is not None:
            # y_hat moves with the controls in proportion: coefficient per control unit = sum(y) / sum(x)
            # over the usable pre-period days; in standardised units that is ratio * sd(x)
            ok = y_pre.notna().to_numpy()
            x_sum = float(np.nansum(controls.astype(float).reindex(pre_idx)[keep].to_numpy()[ok]))
            ratio = float(y_pre.to_numpy()[ok].sum()) / x_sum if x_sum > 0 else 0.0
            betas = [n for n in model.param_names if n.startswith("beta.")]
            fixed.update({b: ratio * float(sd[keep].iloc[j]) for j, b in enumerate(betas)})
            notes.append(f"control coefficient fixed at the pre-period ratio {ratio:.4g} per control unit")
        if level_sd is not None:
            fixed["sigma2.level"] = float((level_sd * np.nanstd(y_pre.to_numpy())) ** 2)
            if trend:
                fixed["sigma2.trend"] = 0.0
        if fixed:
            with model.fix_params(fixed):
                res = model.fit(disp=False, maxiter=500)
        else:
            res = model.fit(disp=False, maxiter=500)
    h = len(post_idx)
    fc = res.get_forecast(steps=h, exog=exog_post)
    pred = np.asarray(fc.predicted_mean)
    cov = forecast_covariance(res, h)
    var, cum_var = np.diag(cov).copy(), float(cov.sum())
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    sd_t = np.sqrt(var)
    in_pred = np.asarray(res.get_prediction().predicted_mean)
    in_sd = np.sqrt(np.asarray(res.get_prediction().var_pred_mean))
    obs = y.to_numpy()
    predicted = np.concatenate([in_pred, pred])
    sds = np.concatenate([in_sd, sd_t])
    out = pd.DataFrame({"observed": obs, "predicted": predicted, "pred_low": predicted - z * sds,
                        "pred_high": predicted + z * sds}, index=pd.DatetimeIndex(y.index, name="date"))
    out["effect"] = out["observed"] - out["predicted"]
    out["effect_low"] = out["observed"] - out["pred_high"]
    out["effect_high"] = out["observed"] - out["pred_low"]
    out["period"] = ["pre"] * len(pre_idx) + ["post"] * h
    out["masked"] = np.concatenate([masked.to_numpy(), np.zeros(h, dtype=bool)])
    # the first weeks of the pre-period are the filter's burn-in: no meaningful prediction
    burn = min(len(pre_idx), (seasonal or 1) + 2)
    out.iloc[:burn, out.columns.get_indexer(["predicted", "pred_low", "pred_high", "effect", "effect_low",
                                             "effect_high"])] = np.nan
    post = out["period"] == "post"
    cum = out.loc[post, "effect"].cumsum()
    # interval of the running cumulative effect: variance of the partial sums
    cum_sd = np.sqrt(np.array([cov[:k, :k].sum() for k in range(1, h + 1)]))
    out["cum_effect"] = np.nan
    out["cum_low"] = np.nan
    out["cum_high"] = np.nan
    out.loc[post, "cum_effect"] = cum.to_numpy()
    out.loc[post, "cum_low"] = cum.to_numpy() - z * cum_sd
    out.loc[post, "cum_high"] = cum.to_numpy() + z * cum_sd
    eff = float(out.loc[post, "effect"].sum())
    sd_c = float(np.sqrt(cum_var))
    tail = float(stats.norm.sf(abs(eff) / sd_c)) if sd_c > 0 else 0.0
    pred_sum = float(pred.sum())
    summary: dict[str, float | str] = {
        "observed": float(out.loc[post, "observed"].sum()), "predicted": pred_sum, "effect": eff,
        "effect_low": eff - z * sd_c, "effect_high": eff + z * sd_c, "effect_sd": sd_c,
        "relative_effect": eff / pred_sum if pred_sum else float("nan"), "tail_probability": tail,
        "confidence": confidence, "pre_days_used": n_used,
        "model": f"{level} + {'weekly seasonal' if seasonal else 'no seasonal'} + {0 if exog_pre is None else exog_pre.shape[1]} controls",
    }
    return ImpactResult(out, summary, notes, cov)


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("counterfactual", "反事实基线", "Counterfactual (what would have sold without the campaign)",
         "structural time series (local level + weekly seasonal, controls as regressors) fitted on the pre-period, "
         "forecast over the window; effect = observed − counterfactual, with an interval",
         "opslib.campaigns.counterfactual.causal_impact", "02"),
)
