"""What would have happened without the campaign? A structural time-series counterfactual (CausalImpact-style).

In the spirit of Google's CausalImpact (Brodersen et al. 2015), with a frequentist state-space model
instead of the Bayesian spike-and-slab one:

1. **Standardise** the outcome on the usable pre-period days, ``z_t = (y_t - m) / s`` (``m``, ``s``: mean and
   standard deviation of ``y`` there), so the model sees the same numbers whether the shop sells 3 or 300,000
   units a day: the approximate-diffuse prior of the state (variance 10^6) is diffuse next to ``z``, and the
   optimiser starts from the same place. Every result is transformed back, ``y_hat = m + s z_hat`` and
   ``Var(y_hat) = s^2 Var(z_hat)``: multiplying ``y`` by 1,000 multiplies effect and interval by 1,000 and
   changes nothing else.
2. Fit ``statsmodels`` ``UnobservedComponents`` on the **pre-period only**::

       z_t = mu_t + gamma_t + x_t' beta + eps_t,       eps_t ~ N(0, s_eps^2)
       mu_{t+1} = mu_t (+ nu_t) + eta_t,               eta_t ~ N(0, s_eta^2)   (local level / local linear trend)
       gamma_t = -(gamma_{t-1} + ... + gamma_{t-6})                            (weekly seasonal)

   ``x_t`` are control series the campaign did not touch (other categories, last year's series) and
   optional regressors (other campaigns' days), standardised on the pre-period; ``beta`` by maximum
   likelihood or (``control_coef='ratio'``) fixed at the pre-period ratio ``sum(y) / sum(x)``. Masked
   pre-period days (other campaigns, holidays) are set missing: the Kalman filter skips them.
3. Forecast the campaign window with the observed controls: the counterfactual ``y_hat_t`` and its
   pointwise predictive interval (Gaussian, ``y_hat_t ± z sd_t``).
4. Effects: pointwise ``effect_t = y_t - y_hat_t``; cumulative ``C_T = sum_{t<=T} effect_t``.
5. **Fit check**: ``fit_mape_pre = sum |y_t - y_hat_t| / sum |y_t|`` over the usable pre-period days after the
   filter's burn-in (one-step predictions; a weighted MAPE, defined on days without sales too). Above
   :data:`MAX_FIT_MAPE` the result is flagged ``fit_ok = False``: do not trust the counterfactual.

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
    >>> 120 < r.effect < 160
    True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.statespace.structural import UnobservedComponents

from opslib.kpi import Term

#: Fewer non-missing pre-period days than this and the model is not fitted.
MIN_PRE_DAYS = 21
#: Above this pre-period weighted MAPE the counterfactual is flagged "do not trust" (``fit_ok = False``).
MAX_FIT_MAPE = 0.35


@dataclass
class ImpactResult:
    """Result of :func:`causal_impact`: the counterfactual, the effect over the post-period and the fit check.

    ``series`` (index ``date``, pre- and post-period): ``observed``, ``predicted`` (in-sample one-step
    prediction in the pre-period, counterfactual forecast in the post-period), ``pred_low``,
    ``pred_high``, ``effect``, ``effect_low``, ``effect_high``, ``cum_effect``, ``cum_low``,
    ``cum_high`` (post-period only), ``period`` ('pre' | 'post'), ``masked`` (pre-period day set
    missing).

    Sums over the post-period: ``observed``, ``predicted``, ``effect`` with its interval ``effect_low`` ..
    ``effect_high`` at ``confidence`` and ``effect_sd``; ``tail_probability`` (one-sided),
    ``pre_days_used``, ``model`` (components in words), ``fit_mape_pre`` (see the module docstring);
    ``cov`` is the joint forecast covariance of the post-period days (for the interval of any sub-period sum).
    """

    series: pd.DataFrame
    observed: float
    predicted: float
    effect: float
    effect_low: float
    effect_high: float
    effect_sd: float
    tail_probability: float
    confidence: float
    pre_days_used: int
    model: str
    fit_mape_pre: float
    notes: list[str] = field(default_factory=list)
    cov: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    #: placebo checks (:func:`placebo_errors`) or None
    placebos: pd.DataFrame | None = None

    @property
    def relative_effect(self) -> float:
        """``effect / predicted`` (NaN when the counterfactual sums to 0)."""
        return self.effect / self.predicted if self.predicted else float("nan")

    @property
    def fit_ok(self) -> bool:
        """False when the pre-period fit is poor (``fit_mape_pre`` above :data:`MAX_FIT_MAPE`, or unknown)."""
        return bool(np.isfinite(self.fit_mape_pre) and self.fit_mape_pre <= MAX_FIT_MAPE)

    def summary(self) -> pd.DataFrame:
        """One row: ``observed``, ``predicted``, ``effect``, ``effect_low``, ``effect_high``, ``effect_sd``,
        ``relative_effect``, ``tail_probability``, ``confidence``, ``pre_days_used``, ``fit_mape_pre``,
        ``fit_ok``, ``model``."""
        return pd.DataFrame([{
            "observed": self.observed, "predicted": self.predicted, "effect": self.effect,
            "effect_low": self.effect_low, "effect_high": self.effect_high, "effect_sd": self.effect_sd,
            "relative_effect": self.relative_effect, "tail_probability": self.tail_probability,
            "confidence": self.confidence, "pre_days_used": self.pre_days_used, "fit_mape_pre": self.fit_mape_pre,
            "fit_ok": self.fit_ok, "model": self.model}])

    def segment(self, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, float]:
        """The effect summed over the post-period days ``start .. end`` with its interval (joint covariance).

        Returns ``effect``, ``low``, ``high``, ``sd``, ``tail_probability``, ``observed``, ``predicted``;
        ``sd = sqrt(1' Cov[sel, sel] 1)``, interval ``effect ± z sd`` at the result's confidence.
        """
        s = self.series[self.series["period"] == "post"]
        sel = (s.index >= start) & (s.index <= end)
        eff = float(s.loc[sel, "effect"].sum())
        idx = np.flatnonzero(sel)
        sd = float(np.sqrt(max(self.cov[np.ix_(idx, idx)].sum(), 0.0))) if len(idx) else float("nan")
        z = float(stats.norm.ppf(0.5 + self.confidence / 2))
        return {"effect": eff, "low": eff - z * sd, "high": eff + z * sd, "sd": sd,
                "tail_probability": float(stats.norm.sf(abs(eff) / sd)) if sd > 0 else 0.0,
                "observed": float(s.loc[sel, "observed"].sum()), "predicted": float(s.loc[sel, "predicted"].sum())}

    def plot(self, window: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> Any:
        """Observed vs counterfactual, daily effect and cumulative effect (:func:`opslib.plotting.campaigns.impact_chart`)."""
        from opslib.plotting.campaigns import impact_chart

        return impact_chart(self.series, window=window, confidence=self.confidence)


def _matrix(ssm: Any, name: str) -> np.ndarray:
    m = np.asarray(ssm[name])
    return m[..., 0] if m.ndim == 3 else m


def forecast_covariance(res: Any, h: int) -> np.ndarray:
    """Joint covariance matrix of the ``h`` forecasts past the sample end of a fitted time-invariant model.

    ``P_1`` = predicted state covariance after the last observation, ``P_{j+1} = T P_j T' + R Q R'``;
    ``Cov(y_i, y_j) = Z T^{j-i} P_i Z'`` for ``i <= j``, plus the observation variance ``H`` on the diagonal.

    Parameters:
        res: a fitted statsmodels state-space results object (time-invariant matrices). h: forecast steps.

    Returns:
        An ``h x h`` symmetric matrix in the units of the fitted series.

    Example (a random walk with level variance 1 and no noise: ``Cov(y_i, y_j) = P_1 + (min(i, j) - 1)``):
        >>> import numpy as np
        >>> from statsmodels.tsa.statespace.structural import UnobservedComponents
        >>> m = UnobservedComponents(np.cumsum(np.ones(30)), level="random walk")
        >>> res = m.smooth([1.0])
        >>> c = forecast_covariance(res, 3)
        >>> bool(np.allclose(c - c[0, 0], [[0, 0, 0], [0, 1, 1], [0, 1, 2]]))
        True
    """
    ssm = res.model.ssm
    Z, T, R, Q = (_matrix(ssm, n) for n in ("design", "transition", "selection", "state_cov"))
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


def _weekday_median_and_scale(y: pd.Series, use: np.ndarray) -> tuple[pd.Series, float]:
    """Per day the median of ``y`` on its weekday (over the ``use`` days) and the robust sd of the residuals."""
    ok = use & y.notna().to_numpy()
    wd = pd.Series(y.index.day_of_week, index=y.index)
    med = y[ok].groupby(wd[ok]).median()
    center = wd.map(med).astype(float)
    res = (y - center)[ok].abs()
    scale = 1.4826 * float(res.median()) if len(res) else 0.0
    if not scale > 0:
        scale = 1.2533 * float(res.mean()) if len(res) else 0.0  # mean absolute deviation of a normal: sd / 1.2533
    return center, scale


#: A spike is also at least this many times the mean day (so the upper tail of ordinary count noise is kept).
SPIKE_MULTIPLE = 4.0


def outlier_days(y: pd.Series, k: float = 5.0) -> pd.Series:
    """True on the spike days of ``y``: far above the median of their weekday and a multiple of the mean day.

    ``center_t`` = median of ``y`` over the days with the same weekday; ``s = 1.4826 median |y - center|`` (the
    MAD, an sd for normal data; ``1.2533 mean |y - center|`` when the MAD is 0); a spike when
    ``y_t > center_t + k s`` **and** ``y_t > SPIKE_MULTIPLE x mean(y)``. The second condition keeps the
    ordinary upper tail of small, skewed counts (a day of 4 units in a series of 1 a day), so only the
    wholesale order or the data glitch is flagged. Missing days are never spikes. Scale-free: ``1000 y`` flags
    the same days.

    Parameters:
        y: a daily series (index: day). k: the threshold in robust sds.

    Returns:
        A boolean series on ``y``'s index.

    Example: three weeks of about 10 a day and one wholesale order of 500 units on a Tuesday.
        >>> idx = pd.date_range("2024-01-01", periods=21)
        >>> y = pd.Series(np.tile([10.0, 12, 11, 9, 10, 13, 8], 3), idx); y.iloc[8] = 500
        >>> outlier_days(y)[outlier_days(y)].index.strftime("%Y-%m-%d").tolist()
        ['2024-01-09']
    """
    bound = _upper_bound(y, np.ones(len(y), dtype=bool), k)
    if bound is None:
        return pd.Series(False, index=y.index)
    return (y > bound) & y.notna()


def _upper_bound(x: pd.Series, use: np.ndarray, k: float) -> pd.Series | None:
    """The spike bound of :func:`outlier_days`, ``max(center_t + k s, SPIKE_MULTIPLE x mean)``, from the ``use`` days."""
    center, scale = _weekday_median_and_scale(x, use)
    if not scale > 0 or center.isna().any():
        return None
    mean = float(x[use & x.notna().to_numpy()].mean())
    return np.maximum(center + k * scale, SPIKE_MULTIPLE * mean)


def placebo_errors(y: pd.Series, controls: pd.DataFrame | None, before: pd.Timestamp, days: int, pre_days: int,
                   n: int = 4, mask: pd.Series | None = None, max_tries: int = 12, **kwargs: object) -> pd.DataFrame:
    """The counterfactual's errors on windows where nothing happened: placebo campaigns before ``before``.

    Candidate windows of ``days`` days end right before ``before`` and go back ``days`` at a time
    (``[before - j days, before - (j - 1) days - 1]``, ``j = 1 .. max_tries``); each needs ``pre_days`` days of
    ``y`` before it and at least half its days free of ``mask`` days. On each, :func:`causal_impact` (with
    ``kwargs``) is fitted on its own pre-period; with no campaign there, its "effect" summed over the free days
    is the model's error and the sd of that sum the error the model expected; both are scaled by
    ``days / free days`` to the window (``e_j``, ``sd_j``). At most ``n`` are kept.

    Parameters:
        y: the daily outcome over the whole history (index: day). controls: the controls on the same index.
        before: the first day of the real campaign. days: placebo window length. pre_days: their pre-periods.
        n: how many placebos at most. mask: days to set aside (and to keep out of placebo windows).
        max_tries: how many candidate windows to try. kwargs: further :func:`causal_impact` arguments.

    Returns:
        Columns ``start``, ``end``, ``effect``, ``sd`` (one row per placebo; empty without enough history).

    Example: a flat noisy series has placebo errors of the size the model expects.
        >>> idx = pd.date_range("2024-01-01", periods=140)
        >>> y = pd.Series(np.random.default_rng(1).normal(100, 5, 140), idx)
        >>> p = placebo_errors(y, None, idx[-7], 7, 56, n=3)
        >>> len(p), bool((p["effect"].abs() < 4 * p["sd"]).all())
        (3, True)
    """
    rows = []
    one = pd.Timedelta(days=1)
    first = y.first_valid_index()
    m = mask.reindex(y.index).fillna(False).astype(bool) if mask is not None else pd.Series(False, index=y.index)
    for j in range(1, max_tries + 1):
        if len(rows) >= n:
            break
        a = pd.Timestamp(before) - j * days * one
        b = a + (days - 1) * one
        pre_a = a - pre_days * one
        if first is None or pre_a < first:
            break
        free = ~m.reindex(pd.date_range(a, b, freq="D")).fillna(False).to_numpy()
        if free.sum() < max(1, days / 2):
            continue
        try:
            r = causal_impact(y, controls, pre_a, a - one, a, b, mask=m, placebo=0, **kwargs)  # type: ignore[arg-type]
        except ValueError:
            continue
        post = r.series[r.series["period"] == "post"]
        idx = np.flatnonzero(free)
        scale = days / len(idx)  # a window partly under another campaign: its free days, scaled to the window
        rows.append({"start": a, "end": b, "effect": float(post["effect"].to_numpy()[idx].sum()) * scale,
                     "sd": float(np.sqrt(max(r.cov[np.ix_(idx, idx)].sum(), 0.0))) * scale})
    return pd.DataFrame(rows, columns=["start", "end", "effect", "sd"])


def _standardise(X: pd.DataFrame, pre_idx: pd.DatetimeIndex, notes: list[str], what: str) -> pd.DataFrame:
    """Columns of ``X`` minus their pre-period mean, over their pre-period sd; constant columns dropped."""
    sd = X.loc[pre_idx].std()
    keep = sd[sd > 1e-9].index
    if len(keep) < len(X.columns):
        notes.append(f"dropped {what} without variation in the pre-period: {sorted(set(X.columns) - set(keep))}")
    return (X[keep] - X.loc[pre_idx, keep].mean()) / sd[keep]


def causal_impact(y: pd.Series, controls: pd.DataFrame | None, pre_start: pd.Timestamp, pre_end: pd.Timestamp,
                  post_start: pd.Timestamp, post_end: pd.Timestamp, confidence: float = 0.90,
                  mask: pd.Series | None = None, trend: bool = False, seasonal: int | None = 7,
                  level_sd: float | None = 0.01, control_coef: str = "mle",
                  regressors: pd.DataFrame | None = None, outlier_sd: float | None = None,
                  placebo: int = 0, placebo_days: int | None = None) -> ImpactResult:
    """Counterfactual forecast of ``y`` over ``[post_start, post_end]`` from a model fitted on ``[pre_start, pre_end]``.

    Formula: see the module docstring (standardise on the pre-period, local level + weekly seasonal +
    controls, forecast, transform back; effect = observed - counterfactual).

    Parameters:
        y: daily series indexed by date (no gaps in the post-period: fill days without sales with 0).
        controls: daily control series on the same index (or None: level + weekly seasonal only).
        pre_start, pre_end, post_start, post_end: the periods (inclusive days).
        confidence: of the intervals. mask: True on pre-period days to treat as missing.
        trend: local linear trend instead of local level (extrapolates the slope: only for long, clearly
            trending pre-periods). level_sd: fix the level's random-walk sd at ``level_sd`` pre-period sds
            (CausalImpact's default prior scale, 0.01) so the counterfactual follows the whole pre-period
            rather than its last noisy days; None estimates it by maximum likelihood.
        control_coef: ``'mle'`` estimates the controls' coefficients; ``'ratio'`` fixes each at
            ``sum(y_pre) / sum(x_pre)`` over the usable pre-period days (all controls together), so the
            counterfactual moves with the controls in proportion (one control series sharing the
            outcome's shocks, e.g. the untreated SKUs of the same shop).
        regressors: further daily regressors (other campaigns' days) whose coefficients are always
            estimated; a regressor without variation in the pre-period is dropped with a note.
        outlier_sd: spike handling (None: off). Pre-period spike days of the outcome (:func:`outlier_days`
            with ``k = outlier_sd``: a wholesale order, a data glitch) are set missing and the interval is
            widened by their share of the squared one-step errors; the controls' spikes are clipped to the
            spike bound over the whole span, so one big order in the control does not become a
            counterfactual spike.
        placebo: up to this many placebo checks (:func:`placebo_errors`): the same model on earlier windows of
            ``placebo_days`` days (default: the post-period's length) without a campaign, each with its own
            pre-period, using the days of ``y`` before ``pre_start`` (pass the longer history). When they err
            more than the model's own interval says, the counterfactual's variance gets the excess as an
            unknown level shift: ``Var(delta) = max(0, mean(e_j^2) - mean(sd_j^2)) / days^2`` on every pair of
            post-period days. Placebo windows holding ``mask`` days are skipped.

    Returns:
        :class:`ImpactResult`. Raises ``ValueError`` with fewer than :data:`MIN_PRE_DAYS` usable days.

    Example: a flat series of about 50 a day with +25 a day in the last 4 days (100 units).
        >>> idx = pd.date_range("2024-01-01", periods=60)
        >>> y = pd.Series(50 + np.random.default_rng(3).normal(0, 2, 60), idx); y.iloc[-4:] += 25
        >>> r = causal_impact(y, None, idx[0], idx[-5], idx[-4], idx[-1])
        >>> bool(r.effect_low < 100 < r.effect_high), r.fit_ok
        (True, True)
    """
    pre_idx = pd.date_range(pre_start, pre_end, freq="D")
    post_idx = pd.date_range(post_start, post_end, freq="D")
    full = pre_idx.append(post_idx)
    y_full = y.astype(float)
    y = y_full.reindex(full)
    if y[post_idx].isna().any():
        raise ValueError("the outcome series has gaps in the campaign window: fill days without sales with 0")
    if control_coef not in ("mle", "ratio"):
        raise ValueError(f"control_coef must be 'mle' or 'ratio', not {control_coef!r}")
    y_pre = y[pre_idx].copy()
    masked = pd.Series(False, index=pre_idx)
    if mask is not None:
        masked = mask.reindex(pre_idx).fillna(False).astype(bool)
        y_pre[masked] = np.nan
    notes: list[str] = []
    outliers = pd.Series(False, index=pre_idx)
    if outlier_sd is not None:
        outliers = outlier_days(y_pre, outlier_sd) & ~masked
        if outliers.any() and int(y_pre.notna().sum() - outliers.sum()) >= MIN_PRE_DAYS:
            y_pre[outliers] = np.nan
            notes.append(f"{int(outliers.sum())} pre-period spike day(s) set aside (more than {outlier_sd:g} robust "
                         f"sd above their weekday median and {SPIKE_MULTIPLE:g}x the mean day): "
                         + ", ".join(f"{d:%Y-%m-%d}" for d in outliers[outliers].index[:8])
                         + (" ..." if outliers.sum() > 8 else ""))
        else:
            outliers[:] = False
    n_used = int(y_pre.notna().sum())
    if n_used < MIN_PRE_DAYS:
        raise ValueError(f"only {n_used} usable pre-period days (need {MIN_PRE_DAYS})")
    # 1. standardise the outcome: the model works on z = (y - m) / s
    m = float(y_pre.mean())
    s = float(y_pre.std(ddof=0))
    if not s > 0:
        s = abs(m) if m else 1.0
    z_pre = ((y_pre - m) / s).to_numpy()
    blocks: list[pd.DataFrame] = []
    n_controls = 0
    keep: list[str] = []
    raw_controls = None
    if controls is not None and len(controls.columns):
        raw_controls = controls.astype(float).reindex(full)
        if raw_controls.isna().any().any():
            raw_controls = raw_controls.interpolate(limit_direction="both").fillna(0.0)
        if outlier_sd is not None:
            clipped = 0
            for col in raw_controls.columns:
                bound = _upper_bound(raw_controls[col], raw_controls.index.isin(pre_idx) & ~np.concatenate(
                    [masked.to_numpy(), np.zeros(len(post_idx), dtype=bool)]), outlier_sd)
                if bound is not None:
                    over = raw_controls[col] > bound
                    clipped += int(over.sum())
                    raw_controls[col] = raw_controls[col].where(~over, bound)
            if clipped:
                notes.append(f"{clipped} spike day(s) of the control clipped (more than {outlier_sd:g} robust sd "
                             f"above their weekday median and {SPIKE_MULTIPLE:g}x the mean day)")
        Xc = _standardise(raw_controls, pre_idx, notes, "controls")
        keep = list(Xc.columns)
        n_controls = len(keep)
        if n_controls:
            blocks.append(Xc)
    n_regressors = 0
    if regressors is not None and len(regressors.columns):
        Xr = _standardise(regressors.astype(float).reindex(full).fillna(0.0), pre_idx, notes, "regressors")
        n_regressors = len(Xr.columns)
        if n_regressors:
            blocks.append(Xr.add_prefix("reg:"))
    exog_pre = exog_post = None
    if blocks:
        X = pd.concat(blocks, axis=1)
        exog_pre, exog_post = X.loc[pre_idx].to_numpy(), X.loc[post_idx].to_numpy()
    level = "local linear trend" if trend else "local level"
    model = UnobservedComponents(z_pre, level=level, seasonal=seasonal, stochastic_seasonal=False, exog=exog_pre)
    fixed: dict[str, float] = {}
    if control_coef == "ratio" and n_controls and raw_controls is not None:
        # y_hat moves with the controls in proportion: coefficient per control unit = sum(y) / sum(x) over the
        # usable pre-period days; on the standardised scales that is ratio * sd(x) / s
        ok = y_pre.notna().to_numpy()
        x_pre = raw_controls.loc[pre_idx, keep]
        x_sum = float(np.nansum(x_pre.to_numpy()[ok]))
        ratio = float(y_pre.to_numpy()[ok].sum()) / x_sum if x_sum > 0 else 0.0
        betas = [n for n in model.param_names if n.startswith("beta.")][:n_controls]
        fixed.update({b: ratio * float(x_pre[c].std()) / s for b, c in zip(betas, keep, strict=True)})
        notes.append(f"control coefficient fixed at the pre-period ratio {ratio:.4g} per control unit")
    if level_sd is not None:
        fixed["sigma2.level"] = float((level_sd * np.nanstd(z_pre)) ** 2)
        if trend:
            fixed["sigma2.trend"] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if fixed:
            with model.fix_params(fixed):
                res = model.fit(disp=False, maxiter=500)
        else:
            res = model.fit(disp=False, maxiter=500)
        h = len(post_idx)
        fc = res.get_forecast(steps=h, exog=exog_post)
        in_sample = res.get_prediction()
    # 3. back to the outcome's units
    pred = m + s * np.asarray(fc.predicted_mean)
    cov = forecast_covariance(res, h) * s ** 2
    if outliers.any():
        # the window can hold such days too: widen the interval by the pre-period's squared one-step errors with
        # the outlier days over those without them (the point estimate stays robust)
        e = (y[pre_idx].to_numpy() - (m + s * np.asarray(in_sample.predicted_mean)))[(seasonal or 1) + 2:]
        keep_o = (~masked.to_numpy())[(seasonal or 1) + 2:]
        out_o = outliers.to_numpy()[(seasonal or 1) + 2:]
        clean = keep_o & ~out_o
        base = float(np.nanmean(e[clean] ** 2)) if clean.sum() > 0 else 0.0
        if base > 0:
            ratio = float(np.nanmean(e[keep_o] ** 2)) / base
            if np.isfinite(ratio) and ratio > 1:
                cov = cov * ratio
                notes.append(f"interval widened x{np.sqrt(ratio):.2f} for the outlying days the window may hold too")
    placebos = None
    if placebo > 0:
        kw = dict(confidence=confidence, trend=trend, seasonal=seasonal, level_sd=level_sd,
                  control_coef=control_coef, regressors=regressors, outlier_sd=outlier_sd)
        placebos = placebo_errors(y_full, controls, post_start, placebo_days or h, len(pre_idx), placebo,
                                  mask=mask, **kw)
        if len(placebos) >= 2:
            days = placebo_days or h
            excess = float((placebos["effect"] ** 2).mean() - (placebos["sd"] ** 2).mean())
            if excess > 0:
                cov = cov + excess / days ** 2
                notes.append(f"interval widened by {len(placebos)} placebo checks: on earlier {days}-day windows "
                             f"without a campaign the model erred by {np.sqrt((placebos['effect'] ** 2).mean()):,.4g} "
                             f"units (root mean square) where its interval expected "
                             f"{np.sqrt((placebos['sd'] ** 2).mean()):,.4g}")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    sd_t = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    in_pred = m + s * np.asarray(in_sample.predicted_mean)
    in_sd = s * np.sqrt(np.clip(np.asarray(in_sample.var_pred_mean), 0.0, None))
    predicted = np.concatenate([in_pred, pred])
    sds = np.concatenate([in_sd, sd_t])
    out = pd.DataFrame({"observed": y.to_numpy(), "predicted": predicted, "pred_low": predicted - z * sds,
                        "pred_high": predicted + z * sds}, index=pd.DatetimeIndex(full, name="date"))
    out["effect"] = out["observed"] - out["predicted"]
    out["effect_low"] = out["observed"] - out["pred_high"]
    out["effect_high"] = out["observed"] - out["pred_low"]
    out["period"] = ["pre"] * len(pre_idx) + ["post"] * h
    out["masked"] = np.concatenate([masked.to_numpy(), np.zeros(h, dtype=bool)])
    out["outlier"] = np.concatenate([outliers.to_numpy(), np.zeros(h, dtype=bool)])
    # the first week of the pre-period is the filter's burn-in: no meaningful prediction
    burn = min(len(pre_idx), (seasonal or 1) + 2)
    out.iloc[:burn, out.columns.get_indexer(["predicted", "pred_low", "pred_high", "effect", "effect_low",
                                             "effect_high"])] = np.nan
    # 5. the fit check on the usable pre-period days
    pre_rows = out.iloc[:len(pre_idx)]
    fit_rows = pre_rows[~pre_rows["masked"] & ~pre_rows["outlier"] & pre_rows["predicted"].notna()
                        & pre_rows["observed"].notna()]
    denom = float(fit_rows["observed"].abs().sum())
    fit_mape = float((fit_rows["observed"] - fit_rows["predicted"]).abs().sum() / denom) if denom > 0 else float("nan")
    post = out["period"] == "post"
    cum = out.loc[post, "effect"].cumsum().to_numpy()
    cum_sd = np.sqrt(np.clip(np.cumsum(np.cumsum(cov, axis=0), axis=1).diagonal(), 0.0, None))
    out["cum_effect"] = np.nan
    out["cum_low"] = np.nan
    out["cum_high"] = np.nan
    out.loc[post, "cum_effect"] = cum
    out.loc[post, "cum_low"] = cum - z * cum_sd
    out.loc[post, "cum_high"] = cum + z * cum_sd
    eff = float(out.loc[post, "effect"].sum())
    sd_c = float(np.sqrt(max(float(cov.sum()), 0.0)))
    tail = float(stats.norm.sf(abs(eff) / sd_c)) if sd_c > 0 else 0.0
    parts = [level, "weekly seasonal" if seasonal else "no seasonal", f"{n_controls} controls"]
    if n_regressors:
        parts.append(f"{n_regressors} campaign regressors")
    result = ImpactResult(series=out, observed=float(out.loc[post, "observed"].sum()), predicted=float(pred.sum()),
                          effect=eff, effect_low=eff - z * sd_c, effect_high=eff + z * sd_c, effect_sd=sd_c,
                          tail_probability=tail, confidence=confidence, pre_days_used=n_used,
                          model=" + ".join(parts), fit_mape_pre=fit_mape, notes=notes, cov=cov,
                          placebos=placebos)
    if not result.fit_ok:
        notes.append(f"do not trust this counterfactual: the pre-period fit is poor (weighted MAPE "
                     f"{fit_mape:.0%} > {MAX_FIT_MAPE:.0%}); the series is too noisy or changed shape")
    return result


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("counterfactual", "反事实基线", "Counterfactual (what would have sold without the campaign)",
         "structural time series (local level + weekly seasonal, controls as regressors) fitted on the pre-period, "
         "forecast over the window; effect = observed − counterfactual, with an interval",
         "opslib.campaigns.counterfactual.causal_impact", "02"),
)
