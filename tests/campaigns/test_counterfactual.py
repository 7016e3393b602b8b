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
