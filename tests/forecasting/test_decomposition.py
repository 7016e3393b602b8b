"""Decomposition: R-style multiple-seasonal STL, trend segments, calendar effects of the shop's country."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslib import forecasting as F
from opslib.forecasting.decomposition import stl_components, usable_periods
from opslib.forecasting.regressors import calendar_regressors


def test_decomposition_and_trend_change() -> None:
    days = pd.date_range("2023-01-01", periods=800)
    t = np.arange(800)
    trend = np.where(t < 400, 100 + 0.1 * t, 140 - 0.05 * (t - 400))
    y = pd.Series(trend + 5 * np.sin(2 * np.pi * t / 7) + 10 * np.sin(2 * np.pi * t / 365.25), index=days)
    dec = F.decompose(y)
    assert {"trend", "seasonal_7", "seasonal_365", "resid"} <= set(dec.columns)
    np.testing.assert_allclose(dec["trend"] + dec["seasonal_7"] + dec["seasonal_365"] + dec["resid"], dec["observed"])
    seg = F.trend_segments(pd.Series(dec["trend"].to_numpy(), index=days), max_changes=2)
    assert len(seg) >= 2
    assert seg["slope_per_year"].iloc[0] > 0 > seg["slope_per_year"].iloc[-1]


def test_decompose_on_exactly_two_years_keeps_the_periods_it_can_fit() -> None:
    """730 days: a 365-day season needs more than two cycles (R's and statsmodels' rule)."""
    idx = pd.date_range("2017-01-01", periods=730, freq="D")
    y = pd.Series(10 + np.sin(np.arange(730) * 2 * np.pi / 7), index=idx)
    dec = F.decompose(y)
    assert "seasonal_7" in dec.columns and "seasonal_365" not in dec.columns
    assert np.allclose(dec["trend"] + dec["seasonal_7"] + dec["resid"], dec["observed"])


def test_usable_periods() -> None:
    assert usable_periods(731, (7, 365)) == [7, 365]
    assert usable_periods(730, (7, 365)) == [7]
    assert usable_periods(79, (52,), min_cycles=1.5) == [52]


def test_stl_recovers_a_planted_weekly_pattern_exactly() -> None:
    """A constant level plus a fixed weekly pattern: STL gives the pattern back (locally constant seasonal)."""
    pattern = np.array([4.0, -1, -1, -1, -1, 0, 0])
    trend, seas = stl_components(50 + np.tile(pattern, 20), [7])
    np.testing.assert_allclose(seas[7:14, 0], pattern, atol=1e-9)
    np.testing.assert_allclose(trend, 50, atol=1e-9)


def test_stable_weekly_season_is_one_profile() -> None:
    rng = np.random.default_rng(0)
    v = 50 + np.tile([4.0, -1, -1, -1, -1, 0, 0], 30) + rng.normal(0, 1, 210)
    _, seas = stl_components(v, [7], periodic_first=True)
    weeks = seas[:, 0].reshape(30, 7)
    assert np.ptp(weeks, axis=0).max() < 1e-4  # the same weekday profile every week (a window of 10 n + 1)


def test_calendar_effects_recover_a_planted_uplift() -> None:
    days = pd.date_range("2023-01-01", "2025-06-30")
    x = calendar_regressors(days, "D")
    rng = np.random.default_rng(1)
    y = pd.Series(np.exp(4 + 0.4 * x["f1111"].to_numpy() - 0.5 * x["cny_week"].to_numpy()
                         + rng.normal(0, 0.05, len(days))) - 1, index=days)
    eff = F.calendar_effects(y).set_index("regressor")
    assert eff.loc["f1111", "effect_pct"] == pytest.approx(np.expm1(0.4), abs=0.05)
    assert eff.loc["cny_week", "effect_pct"] == pytest.approx(np.expm1(-0.5), abs=0.05)


def test_calendar_effects_of_a_british_shop() -> None:
    """UK: Black Friday and bank holidays, no 双11 or Chinese New Year."""
    days = pd.date_range("2022-01-01", "2024-12-31")
    x = calendar_regressors(days, "D", country="GB")
    rng = np.random.default_rng(2)
    y = pd.Series(np.exp(3 + 0.6 * x["black_friday"].to_numpy() + rng.normal(0, 0.05, len(days))) - 1, index=days)
    eff = F.calendar_effects(y, country="GB").set_index("regressor")
    assert "f1111" not in eff.index and "cny_week" not in eff.index
    assert eff.loc["black_friday", "effect_pct"] == pytest.approx(np.expm1(0.6), abs=0.08)
