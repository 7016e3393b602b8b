"""The structural time-series counterfactual on synthetic series with a known effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.statespace.structural import UnobservedComponents

from opslib.campaigns.counterfactual import causal_impact, forecast_covariance


def _series(effect: float = 0.0, seed: int = 0):
    idx = pd.date_range("2024-01-01", periods=77)
    rng = np.random.default_rng(seed)
    week = np.tile([0, -2, -1, 0, 2, 4, 5], 11)
    x = 100 + 10 * np.sin(np.arange(77) / 6) + rng.normal(0, 1, 77)
    y = 20 + 0.5 * x + week + rng.normal(0, 1, 77)
    y[70:] += effect
    return idx, pd.Series(y, idx), pd.DataFrame({"x": x}, idx)


def test_known_effect_is_recovered_with_interval():
    idx, y, X = _series(effect=10.0)
    r = causal_impact(y, X, idx[0], idx[69], idx[70], idx[76], confidence=0.9)
    assert r.effect_low <= 70 <= r.effect_high
    assert r.effect == pytest.approx(70, abs=10)
    assert r.tail_probability < 0.01
    post = r.series[r.series["period"] == "post"]
    assert post["cum_effect"].iloc[-1] == pytest.approx(r.effect)
    assert (post["pred_low"] < post["predicted"]).all() and (post["predicted"] < post["pred_high"]).all()


def test_no_effect_gives_large_tail_probability():
    idx, y, X = _series(effect=0.0, seed=3)
    r = causal_impact(y, X, idx[0], idx[69], idx[70], idx[76])
    assert r.effect_low <= 0 <= r.effect_high
    assert r.tail_probability > 0.05


def test_forecast_covariance_diagonal_matches_statsmodels():
    _, y, _ = _series()
    res = UnobservedComponents(y.to_numpy()[:70], level="local level", seasonal=7).fit(disp=False)
    cov = forecast_covariance(res, 7)
    assert np.diag(cov) == pytest.approx(np.asarray(res.get_forecast(7).var_pred_mean), rel=1e-6)
    assert cov.sum() >= np.diag(cov).sum()  # level uncertainty is shared: positive covariances


def test_masked_days_and_too_short_pre_period():
    idx, y, X = _series(effect=10.0)
    mask = pd.Series(idx < idx[10], index=idx)
    r = causal_impact(y, X, idx[0], idx[69], idx[70], idx[76], mask=mask)
    assert r.pre_days_used == 60 and r.series["masked"].sum() == 10
    with pytest.raises(ValueError, match="usable pre-period days"):
        causal_impact(y, X, idx[50], idx[69], idx[70], idx[76])


# ------------------------------------------------------------------------------------- scale and fit check
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from opslib.campaigns.counterfactual import MAX_FIT_MAPE, outlier_days, placebo_errors  # noqa: E402


def _shop_series(level: float, seed: int = 5, days: int = 84, lift: float = 0.3):
    """A level x (weekly pattern) series with 10% noise and a +30% lift on the last 7 days."""
    idx = pd.date_range("2024-01-01", periods=days)
    rng = np.random.default_rng(seed)
    week = np.tile([0.95, 0.93, 0.96, 0.98, 1.02, 1.08, 1.08], days // 7)
    base = level * week * (1 + rng.normal(0, 0.10, days))
    y = base.copy()
    y[-7:] *= 1 + lift
    return idx, pd.Series(y, idx), float((y[-7:] - base[-7:]).sum())


def test_multiplying_the_series_by_1000_multiplies_effect_and_interval_by_1000():
    idx, y, _ = _shop_series(40.0)
    a = causal_impact(y, None, idx[0], idx[-8], idx[-7], idx[-1])
    b = causal_impact(y * 1000, None, idx[0], idx[-8], idx[-7], idx[-1])
    for f in ("observed", "predicted", "effect", "effect_low", "effect_high", "effect_sd"):
        assert getattr(b, f) == pytest.approx(1000 * getattr(a, f), rel=1e-6), f
    for f in ("tail_probability", "fit_mape_pre", "relative_effect"):
        assert getattr(b, f) == pytest.approx(getattr(a, f), rel=1e-6, abs=1e-12), f
    assert (b.series["predicted"].dropna() / a.series["predicted"].dropna()).to_numpy() == pytest.approx(1000)


@settings(max_examples=12, deadline=None)
@given(factor=st.sampled_from([0.001, 0.37, 3.0, 1000.0, 2.5e5]), seed=st.integers(0, 50))
def test_scale_invariance_holds_for_any_factor(factor: float, seed: int):
    idx, y, _ = _shop_series(25.0, seed=seed)
    X = pd.DataFrame({"x": y.rolling(3, min_periods=1).mean() * 3}, idx)
    a = causal_impact(y, X, idx[0], idx[-8], idx[-7], idx[-1], control_coef="ratio")
    b = causal_impact(y * factor, X, idx[0], idx[-8], idx[-7], idx[-1], control_coef="ratio")
    assert b.effect == pytest.approx(factor * a.effect, rel=1e-5)
    assert b.effect_high - b.effect_low == pytest.approx(factor * (a.effect_high - a.effect_low), rel=1e-5)


def test_large_series_is_fitted_at_its_level():
    # The case: about 40,000 units a day. The planted lift is +30% of the last week's units
    # (7 x ~41,000 x 0.3 = about 86,000); before standardising the counterfactual came out near 1,500 a day.
    idx, y, truth = _shop_series(40_000.0)
    r = causal_impact(y, None, idx[0], idx[-8], idx[-7], idx[-1])
    assert r.predicted / 7 == pytest.approx(40_000 * 1.0, rel=0.08)
    assert r.effect_low <= truth <= r.effect_high
    assert r.effect == pytest.approx(truth, rel=0.15)


def test_fit_check_flags_a_series_the_model_cannot_follow():
    idx, y, _ = _shop_series(100.0)
    good = causal_impact(y, None, idx[0], idx[-8], idx[-7], idx[-1])
    assert good.fit_ok and good.fit_mape_pre < 0.15  # 10% noise: weighted MAPE about 0.08
    noisy = pd.Series(np.random.default_rng(2).exponential(5.0, len(idx)) ** 2, idx)  # heavy-tailed, no pattern
    bad = causal_impact(noisy, None, idx[0], idx[-8], idx[-7], idx[-1])
    assert bad.fit_mape_pre > MAX_FIT_MAPE and not bad.fit_ok
    assert any("do not trust" in n for n in bad.notes)
    assert bool(bad.summary()["fit_ok"].iloc[0]) is False


def test_outlier_days_flag_spikes_only():
    idx = pd.date_range("2024-01-01", periods=28)
    y = pd.Series(np.tile([10.0, 12, 11, 9, 10, 13, 8], 4), idx)
    y.iloc[9] = 400.0   # a wholesale order
    y.iloc[16] = 30.0   # a busy day, not a spike: under 4x the mean day
    flagged = outlier_days(y)
    assert flagged[flagged].index.tolist() == [idx[9]]
    assert outlier_days(y * 1000)[flagged].all()  # scale-free


def test_a_spike_in_the_pre_period_does_not_move_the_counterfactual():
    idx, y, truth = _shop_series(100.0)
    spiked = y.copy()
    spiked.iloc[30] += 5_000  # one order of 50 days' sales
    plain = causal_impact(y, None, idx[0], idx[-8], idx[-7], idx[-1], outlier_sd=5.0)
    robust = causal_impact(spiked, None, idx[0], idx[-8], idx[-7], idx[-1], outlier_sd=5.0)
    naive = causal_impact(spiked, None, idx[0], idx[-8], idx[-7], idx[-1])
    assert robust.effect == pytest.approx(plain.effect, rel=0.05)
    assert abs(naive.effect - truth) > abs(robust.effect - truth)
    assert robust.series["outlier"].sum() == 1 and any("spike" in n for n in robust.notes)


def test_placebo_checks_widen_an_overconfident_interval():
    # A level that jumps by +-15% every 3 weeks: the local-level model with a fixed small drift is too sure of
    # itself; the placebos (earlier 7-day windows) see errors larger than its sd and widen the interval.
    idx = pd.date_range("2023-06-01", periods=280)
    rng = np.random.default_rng(4)
    level = 100 * np.repeat(1 + rng.choice([-0.15, 0.15], 280 // 21 + 1), 21)[:280]
    y = pd.Series(level * (1 + rng.normal(0, 0.02, 280)), idx)
    p = placebo_errors(y, None, idx[-7], 7, 56, n=4)
    assert len(p) == 4 and (p["end"] < idx[-7]).all()
    assert (p["effect"] ** 2).mean() > (p["sd"] ** 2).mean()
    plain = causal_impact(y, None, idx[-63], idx[-8], idx[-7], idx[-1])
    wide = causal_impact(y, None, idx[-63], idx[-8], idx[-7], idx[-1], placebo=4)
    assert wide.effect == pytest.approx(plain.effect)
    assert wide.effect_sd > plain.effect_sd and wide.placebos is not None
    assert any("placebo" in n for n in wide.notes)
