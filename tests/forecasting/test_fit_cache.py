"""Speed-only paths of the models: the light ETS fit and the kept fits of ``fit_forecast`` give the same numbers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from opslib.forecasting import models
from opslib.forecasting.models import _ETSFit, fit_forecast


def _weekly(n: int = 120, seed: int = 3) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 200 + 0.5 * t + 30 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 6, n)
    return pd.Series(y, index=pd.date_range("2023-01-02", periods=n, freq="7D"))


@pytest.mark.parametrize("trend,damped,seasonal", [(None, False, None), ("add", True, None), (None, False, "add"),
                                                   ("add", True, "add")])
def test_light_ets_fit_is_statsmodels_results(trend, damped, seasonal):
    """Each number the models read off a fit equals statsmodels' own ``ETSResults`` (the reference), to 1e-9."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = _weekly()
    endog = pd.Series(y.to_numpy(), index=pd.RangeIndex(len(y)))
    mod = ETSModel(endog, error="add", trend=trend, damped_trend=damped, seasonal=seasonal,
                   seasonal_periods=52 if seasonal else None, initialization_method="heuristic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = mod.fit(disp=False)
        light = _ETSFit(mod, mod.fit(disp=False, return_params=True))
    np.testing.assert_allclose(light.params, np.asarray(ref.params, float), rtol=0, atol=1e-12)
    np.testing.assert_allclose(light.states, np.asarray(ref.states, float), rtol=1e-12)
    np.testing.assert_allclose(light.resid, np.asarray(ref.resid, float), rtol=1e-12, atol=1e-9)
    assert light.mse == pytest.approx(float(ref.mse), rel=1e-12)
    assert light.llf == pytest.approx(float(ref.llf), rel=1e-12)
    assert light.aicc == pytest.approx(float(ref.aicc), rel=1e-12)


def test_kept_fit_is_a_copy_and_equals_a_fresh_fit():
    """A second identical call comes from the kept fits; editing the first result does not reach it, and it equals
    the fit made with nothing kept."""
    y = _weekly()
    models._FIT_CACHE.clear()
    first = fit_forecast(y, "ets", 8)
    first.reason = "edited"
    first.forecast.loc[:, "mean"] = -1.0
    first.extra["residuals"][:] = 0.0
    second = fit_forecast(y.copy(), "ets", 8, closures="infer")  # weekly: "infer" and None fit alike
    assert len(models._FIT_CACHE) == 1
    models._FIT_CACHE.clear()
    fresh = fit_forecast(y, "ets", 8)
    assert second.reason == fresh.reason == ""
    pd.testing.assert_frame_equal(second.forecast, fresh.forecast)
    np.testing.assert_array_equal(second.extra["residuals"], fresh.extra["residuals"])
    assert second.spec == fresh.spec and second.sigma == fresh.sigma


def test_fits_with_a_warm_start_or_other_history_are_not_shared():
    y = _weekly()
    models._FIT_CACHE.clear()
    a = fit_forecast(y, "ets", 8)
    fit_forecast(y, "ets", 8, config=a.extra["config"], start=a.extra["start"])
    assert len(models._FIT_CACHE) == 1
    b = fit_forecast(y * 1000, "ets", 8)  # scale-free: the same fit times 1,000, not the kept one
    assert len(models._FIT_CACHE) == 2
    np.testing.assert_allclose(b.forecast["mean"].to_numpy(), 1000 * a.forecast["mean"].to_numpy(), rtol=1e-5)
