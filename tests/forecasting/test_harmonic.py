"""``harmonic``: ``mstl_stable`` with the yearly season smoothed to K Fourier harmonics (TBATS' trigonometric season)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib.forecasting.auto import candidate_pool
from opslib.forecasting.models import MSTLHarmonic, fit_forecast

ROOT = Path(__file__).resolve().parents[2]
SUPERSTORE = ROOT.parent / "shared" / "data" / "superstore" / "superstore_orders.csv.gz"
WEEK = np.array([4.0, 2, 0, 0, -1, -2, -3])


def _yearly(t: np.ndarray) -> np.ndarray:
    """The planted yearly season: two harmonics, amplitude 20 and 6 (peak-to-trough about 45 units)."""
    return 20 * np.sin(2 * np.pi * t / 365.25) + 6 * np.cos(4 * np.pi * t / 365.25)


def _series(seed: int, n: int = 1100, h: int = 28, noise: float = 8.0) -> tuple[pd.Series, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(n + h, dtype=float)
    base = 100 + _yearly(t) + WEEK[np.arange(n + h) % 7]
    y = base[:n] + rng.normal(0, noise, n)
    return pd.Series(y, index=pd.date_range("2021-01-04", periods=n)), base[n:]


def test_noise_free_yearly_sinusoid_is_forecast_exactly() -> None:
    """No noise: level 100, the planted weekly profile and two yearly harmonics; the forecast is the truth
    (the yearly part extrapolated by its Fourier terms, the weekly profile repeated, a flat level) to 1%."""
    y, truth = _series(0, noise=0.0)
    r = fit_forecast(y, "harmonic", 28)
    assert r.model == "harmonic" and "yearly" in r.spec and "harmonics" in r.spec
    np.testing.assert_allclose(r.forecast["mean"].to_numpy(), truth, rtol=0.01)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_smooth_yearly_season_beats_the_day_of_year_average(seed: int) -> None:
    """Planted truth with noise sd 8: three years give each day of the year three noisy values, so STL's yearly
    component (``mstl_stable``) carries noise into the forecast; the harmonic projection does not."""
    y, truth = _series(seed)
    harm = fit_forecast(y, "harmonic", 28)
    stable = fit_forecast(y, "mstl_stable", 28)
    mae_h = np.mean(np.abs(harm.forecast["mean"].to_numpy() - truth))
    mae_s = np.mean(np.abs(stable.forecast["mean"].to_numpy() - truth))
    assert mae_h < 0.8 * mae_s, (mae_h, mae_s)


def test_harmonics_chosen_by_aicc() -> None:
    """One harmonic planted (K = 2 holds it): AICc takes the fewest harmonics; the planted amplitude comes back."""
    rng = np.random.default_rng(7)
    n = 1100
    t = np.arange(n, dtype=float)
    y = pd.Series(100 + 20 * np.sin(2 * np.pi * t / 365.25) + rng.normal(0, 5, n),
                  index=pd.date_range("2021-01-04", periods=n))
    m = MSTLHarmonic().fit(y)
    assert m.harmonics_ == 2
    np.testing.assert_allclose(m.seasonal_[:, -1], 20 * np.sin(2 * np.pi * t / 365.25), atol=2.0)


def test_harmonic_is_scale_free_and_mstl_stable_without_two_years() -> None:
    y, _ = _series(3)
    a = fit_forecast(y, "harmonic", 14)
    b = fit_forecast(y * 1000, "harmonic", 14)
    np.testing.assert_allclose(b.forecast["mean"], 1000 * a.forecast["mean"], rtol=1e-4)
    np.testing.assert_allclose(b.forecast["hi_95"], 1000 * a.forecast["hi_95"], rtol=1e-4)
    short = y.iloc[-600:]
    np.testing.assert_allclose(fit_forecast(short, "harmonic", 14).forecast["mean"],
                               fit_forecast(short, "mstl_stable", 14).forecast["mean"], rtol=1e-9)


def test_in_the_smooth_pool_only_with_two_years() -> None:
    y, _ = _series(2)
    assert "harmonic" in candidate_pool(y)[1]
    assert "harmonic" not in candidate_pool(y.iloc[-600:])[1]


@pytest.mark.skipif(not SUPERSTORE.exists(), reason="shared real data not present")
def test_planted_yearly_wave_in_superstore_is_carried_into_the_forecast() -> None:
    """Superstore's daily units (2011-2014, Tableau demo data) with a yearly wave of amplitude 15 units planted
    (about the series' mean): the forecast with the wave minus the forecast without it is the planted wave over
    the horizon (to 3 units, a fifth of the amplitude), as the harmonic season is linear in the data."""
    orders = pd.read_csv(SUPERSTORE, usecols=["Order Date", "Quantity"], parse_dates=["Order Date"])
    y = orders.groupby("Order Date")["Quantity"].sum().asfreq("D", fill_value=0).astype(float)
    y = y.iloc[:-28]
    t = np.arange(len(y) + 28, dtype=float)
    wave = 15 * np.sin(2 * np.pi * t / 365.25 + 1.0)
    base = fit_forecast(y, "harmonic", 28, closures=None)
    planted = fit_forecast(y + wave[:len(y)], "harmonic", 28, closures=None)
    diff = planted.forecast["mean"].to_numpy() - base.forecast["mean"].to_numpy()
    assert np.max(np.abs(diff - wave[len(y):])) < 3.0, np.round(diff - wave[len(y):], 1)
