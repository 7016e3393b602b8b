"""``level_ar``: STL seasons + a local level with an AR(1) transient (ARIMA(1,1,2) by conditional sum of squares)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslib.forecasting.models import LevelAR, _arima112_errors, _ma_invertible, fit_forecast


def _fitted(params: tuple[float, float, float], adj: np.ndarray, sigma2: float) -> LevelAR:
    """A LevelAR with parameters set by hand (no fit), to check the forecast recursion."""
    m = LevelAR()
    m.params_ = np.asarray(params, float)
    m.adj_ = np.asarray(adj, float)
    m.u_ = _arima112_errors(m.params_, np.diff(m.adj_))
    m.sigma2_ = sigma2
    return m


def test_random_walk_forecast_and_variance_by_hand() -> None:
    """phi = theta = 0: a random walk; forecast = last value, sd = sigma sqrt(h)."""
    m = _fitted((0.0, 0.0, 0.0), [1.0, 3.0, 2.0, 5.0], 4.0)
    mean, sd = m._predict_adjusted(3)
    assert mean.tolist() == pytest.approx([5.0, 5.0, 5.0])
    assert sd.tolist() == pytest.approx([2.0, 2.0 * np.sqrt(2), 2.0 * np.sqrt(3)])


def test_ar_transient_decays_by_hand() -> None:
    """phi = 0.5, no MA: the last step w_T = 5 - 2 = 3 decays as 1.5, 0.75, 0.375 and the level adds them up;
    psi = 1, 0.5, 0.25 so the integrated weights are 1, 1.5, 1.75 and var_3 = 1 + 2.25 + 3.0625."""
    m = _fitted((0.5, 0.0, 0.0), [1.0, 3.0, 2.0, 5.0], 1.0)
    mean, sd = m._predict_adjusted(3)
    assert mean.tolist() == pytest.approx([6.5, 7.25, 7.625])
    assert sd.tolist() == pytest.approx(np.sqrt([1.0, 3.25, 6.3125]).tolist())


def test_ma_forecast_uses_the_last_errors_by_hand() -> None:
    """theta_1 = -0.5 (SES with alpha 0.5 on the level): w = [2, -1, 3]; errors u = w_t + 0.5 u_{t-1} =
    2, 0, 3; the first step is -0.5 * 3 = -1.5, then flat."""
    m = _fitted((0.0, -0.5, 0.0), [1.0, 3.0, 2.0, 5.0], 1.0)
    assert m.u_.tolist() == pytest.approx([2.0, 0.0, 3.0])
    mean, _ = m._predict_adjusted(3)
    assert mean.tolist() == pytest.approx([3.5, 3.5, 3.5])


def test_invertibility() -> None:
    assert _ma_invertible(np.array([-0.5, 0.0])) and not _ma_invertible(np.array([-1.5, 0.0]))
    assert _ma_invertible(np.array([-1.6, 0.62])) and not _ma_invertible(np.array([0.0, 1.2]))


def _dip_series(seed: int) -> tuple[pd.Series, np.ndarray]:
    """The structural model planted: Friday +15; a random-walk level from 40 (step sd 0.2); an AR(1) transient
    ``x[t] = 0.9 x[t-1] + nu[t]`` (sd 2.5) with a shock of -15 five days before the origin (a strike); noise sd 2.
    Returns the history and the truth of the next 28 days: ``E[y[T+h]] = base + l[T] + 0.9^h x[T]``."""
    rng = np.random.default_rng(seed)
    n, h = 420, 28
    idx = pd.date_range("2023-01-02", periods=n + h)
    level = 40 + np.cumsum(rng.normal(0, 0.2, n))
    nu = rng.normal(0, 2.5, n)
    nu[n - 5] -= 15.0
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = 0.9 * x[t - 1] + nu[t]
    base = 15.0 * (idx.day_of_week == 4)
    y = base[:n] + level + x + rng.normal(0, 2, n)
    truth = base[n:] + level[-1] + x[-1] * 0.9 ** np.arange(1, h + 1)
    return pd.Series(y, index=idx[:n]), np.asarray(truth)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_dip_before_the_origin_fades_instead_of_moving_the_level(seed: int) -> None:
    """The planted transient: ``level_ar`` brings the forecast back towards the level; ETS (whose level follows the
    last days) stays down. Truth known, so both are scored against it."""
    y, truth = _dip_series(seed)
    la = fit_forecast(y, "level_ar", 28)
    ets = fit_forecast(y, "ets", 28)
    assert la.model == "level_ar" and "ARIMA(1,1,2)" in la.spec
    mae_la = np.mean(np.abs(la.forecast["mean"].to_numpy() - truth))
    mae_ets = np.mean(np.abs(ets.forecast["mean"].to_numpy() - truth))
    assert mae_la < 0.8 * mae_ets, (mae_la, mae_ets)


def test_level_ar_is_scale_free_and_warm_starts() -> None:
    y, _ = _dip_series(4)
    a = fit_forecast(y, "level_ar", 14)
    b = fit_forecast(y * 1000, "level_ar", 14)
    np.testing.assert_allclose(b.forecast["mean"], 1000 * a.forecast["mean"], rtol=1e-3)
    np.testing.assert_allclose(b.forecast["hi_95"], 1000 * a.forecast["hi_95"], rtol=1e-3)
    warm = fit_forecast(y.iloc[:-28], "level_ar", 14, start=a.extra["start"])
    cold = fit_forecast(y.iloc[:-28], "level_ar", 14)
    np.testing.assert_allclose(warm.forecast["mean"], cold.forecast["mean"], rtol=0.02)
