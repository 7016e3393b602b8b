"""Models: intervals, fallbacks, seasons, closed days, holidays of the shop's country, scale-free forecasts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opslib.forecasting.closures import Closures
from opslib.forecasting.models import MODELS, ForecastResult, SarimaxFestival, fit_forecast, weekday_profile
from opslib.forecasting.regressors import calendar_regressors


def _weekly(n: int, seed: int = 0, start: str = "2023-01-02") -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq="7D")
    t = np.arange(n)
    x = calendar_regressors(idx)
    y = 100 + 0.2 * t + 15 * np.sin(2 * np.pi * t / 52.18) + 60 * x["f1111"].to_numpy() + rng.normal(0, 4, n)
    return pd.Series(y, index=idx)


def _daily(n: int, seed: int = 0, start: str = "2023-01-02") -> pd.Series:
    """Level 50, Friday +20 (planted weekday effect), yearly wave of amplitude 10, noise sd 2."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq="D")
    t = np.arange(n)
    y = 50 + 20 * (idx.day_of_week == 4) + 10 * np.sin(2 * np.pi * t / 365.25) + rng.normal(0, 2, n)
    return pd.Series(y, index=idx)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_forecasts_with_ordered_intervals(name: str) -> None:
    y = _weekly(140)
    r = fit_forecast(y, name, horizon=8)
    assert r.model == name and r.reason == ""
    fc = r.forecast
    assert list(fc.columns) == ["date", "mean", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert fc["date"].iloc[0] == y.index[-1] + pd.Timedelta(days=7) and len(fc) == 8
    assert (fc["lo_95"] <= fc["lo_80"] + 1e-9).all() and (fc["lo_80"] <= fc["mean"] + 1e-9).all()
    assert (fc["mean"] <= fc["hi_80"] + 1e-9).all() and (fc["hi_80"] <= fc["hi_95"] + 1e-9).all()
    assert r.sigma >= 0


@pytest.mark.parametrize("name", ["ets", "mstl", "mstl_stable", "theta", "sba", "tsb", "adida"])
def test_daily_models_keep_the_weekday_pattern(name: str) -> None:
    """The planted Friday +20 shows in the forecast of every daily model (sba/tsb/adida by the weekday profile)."""
    y = _daily(400)
    fc = fit_forecast(y, name, horizon=14).forecast.set_index("date")["mean"]
    friday = fc[fc.index.day_of_week == 4].mean()
    other = fc[fc.index.day_of_week != 4].mean()
    assert 12 < friday - other < 28, (name, friday, other)  # planted +20, noise sd 2


def test_ten_week_series_falls_back_with_reason() -> None:
    y = _weekly(10)
    for name in ("snaive", "sarimax", "mstl"):
        r = fit_forecast(y, name, horizon=4)
        assert r.model == "ets" and r.requested == name and r.fell_back
        assert r.reason.startswith("10 weeks of history <") and "fell back to ets" in r.reason
        assert len(r.forecast) == 4 and np.isfinite(r.forecast["mean"]).all()


def test_tiny_and_empty_series_never_fail() -> None:
    r = fit_forecast(_weekly(2), "mstl", horizon=3)
    assert r.model == "naive" and "fell back to naive" in r.reason
    r0 = fit_forecast(pd.Series([], dtype=float, index=pd.DatetimeIndex([])), "ets", horizon=3)
    assert r0.model == "zero" and (r0.forecast["mean"] == 0).all() and "no model" in r0.reason


def test_seasonal_naive_repeats_last_year() -> None:
    y = _weekly(60)
    fc = fit_forecast(y, "snaive", horizon=3).forecast
    assert fc["mean"].tolist() == pytest.approx(y.iloc[-52:-49].tolist())


def test_mstl_between_18_and_24_months_keeps_the_weekly_season() -> None:
    """600 days: too short for the 365-day season (needs > 730), but the weekly one must stay (it used to crash
    and fall back to non-seasonal ETS)."""
    r = fit_forecast(_daily(600), "mstl", horizon=14)
    assert r.model == "mstl" and r.reason == "" and "STL(7,)" in r.spec
    r3 = fit_forecast(_daily(800), "mstl", horizon=14)
    assert "STL(7, 365)" in r3.spec


def test_mstl_follows_the_yearly_season() -> None:
    """Three years with a planted yearly wave: the forecast for the next 28 days follows it (truth known)."""
    y = _daily(3 * 365)
    fc = fit_forecast(y, "mstl", horizon=28).forecast
    t = np.arange(3 * 365, 3 * 365 + 28)
    idx = pd.DatetimeIndex(fc["date"])
    truth = 50 + 20 * (idx.day_of_week == 4) + 10 * np.sin(2 * np.pi * t / 365.25)
    assert np.mean(np.abs(fc["mean"].to_numpy() - truth)) < 3.0  # noise sd 2: MAE of a perfect model ~ 0


def test_sarimax_finds_the_festival_effect() -> None:
    eff = SarimaxFestival().fit(_weekly(150)).effects().set_index("regressor")
    assert eff.loc["f1111", "lo_95"] < 60 < eff.loc["f1111", "hi_95"]


def test_sarimax_uses_the_holidays_of_the_shops_country() -> None:
    """A British shop selling 40 more on public holidays: the GB holiday regressor finds it, China's does not apply."""
    idx = pd.date_range("2022-01-01", "2024-12-31", freq="D")
    hol = calendar_regressors(idx, "D", country="GB")["holiday"].to_numpy()
    rng = np.random.default_rng(4)
    y = pd.Series(100 + 40 * hol + rng.normal(0, 3, len(idx)), index=idx)
    m = SarimaxFestival(country="GB").fit(y)
    eff = m.effects().set_index("regressor")
    assert "f1111" not in eff.index and "black_friday" in eff.index
    assert eff.loc["holiday", "lo_95"] < 40 < eff.loc["holiday", "hi_95"]


def test_closed_sundays_are_forecast_as_zero_and_do_not_drag_the_level() -> None:
    idx = pd.date_range("2024-01-01", periods=300)
    rng = np.random.default_rng(2)
    y = pd.Series(np.where(idx.day_of_week == 6, 0.0, 30 + rng.normal(0, 2, 300)), index=idx)
    closures = Closures(weekdays=frozenset({6}))
    for name in ("ets", "mstl", "adida"):
        fc = fit_forecast(y, name, horizon=14, closures=closures).forecast.set_index("date")
        sunday = fc.index.day_of_week == 6
        assert (fc.loc[sunday].to_numpy() == 0).all(), name
        assert fc.loc[~sunday, "mean"].mean() == pytest.approx(30, abs=3), name  # the open-day level


def test_yearly_season_is_taken_out_for_ets_on_long_daily_series() -> None:
    r = fit_forecast(_daily(800), "ets", horizon=7)
    assert "yearly STL season taken out first" in r.spec


def test_weekday_profile_by_hand() -> None:
    y = pd.Series(np.tile([3.0, 1, 1, 1, 1, 0, 0], 8), index=pd.date_range("2024-01-01", periods=56))
    # mean over a week = 7/7 = 1: Monday 3, Tuesday..Friday 1, weekend 0
    assert weekday_profile(y).tolist() == pytest.approx([3, 1, 1, 1, 1, 0, 0])


def test_result_summary_and_plot() -> None:
    import matplotlib

    matplotlib.use("Agg")
    r = fit_forecast(_daily(120), "ets", horizon=7, series_id="a")
    assert isinstance(r, ForecastResult)
    s = r.summary()
    assert s.loc[0, "series_id"] == "a" and s.loc[0, "horizon"] == 7 and not s.loc[0, "fell_back"]
    assert s.loc[0, "total"] == pytest.approx(r.forecast["mean"].sum())
    fig = r.plot()
    assert fig is not None and len(fig.axes) == 1


SCALE_FREE = ["naive", "snaive", "ets", "mstl", "mstl_stable", "theta", "sba", "tsb", "adida", "croston", "level_ar"]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), factor=st.sampled_from([1e-3, 7.0, 1000.0]))
def test_forecasts_are_scale_free(seed: int, factor: float) -> None:
    """The same series x c gives forecasts and bounds x c (every model, daily and weekly)."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2023-01-02", periods=200)
    y = pd.Series(rng.poisson(5, 200) + 3.0 * (idx.day_of_week == 5), index=idx)
    for name in SCALE_FREE:
        a = fit_forecast(y, name, 10).forecast
        b = fit_forecast(y * factor, name, 10).forecast
        for col in ("mean", "lo_80", "hi_95"):
            np.testing.assert_allclose(b[col], factor * a[col], rtol=1e-3, atol=1e-9 * factor, err_msg=name)


def test_sarimax_does_not_extrapolate_a_fraction_of_a_year() -> None:
    """150 days of a product that started selling in spring: no yearly wave is fitted to a third of a year, so the
    forecast stays in the range of the history (it used to run to hundreds of times the actual units)."""
    idx = pd.date_range("2011-05-01", periods=150)
    rng = np.random.default_rng(5)
    y = pd.Series(20 + 0.05 * np.arange(150) + rng.poisson(5, 150), index=idx, dtype=float)
    r = fit_forecast(y, "sarimax", 28)
    assert r.model == "sarimax" and "no yearly terms" in r.spec
    assert r.forecast["mean"].max() < 2 * y.max()


@pytest.mark.parametrize("form", [{}, {"trend": "add"}, {"trend": "add", "damped_trend": True},
                                  {"seasonal": "add"}, {"trend": "add", "damped_trend": True, "seasonal": "add"}])
def test_analytic_ets_forecast_matches_statsmodels(form: dict) -> None:
    """The closed-form class-1 mean and variance (Hyndman et al. 2008, Table 6.1) against statsmodels' own
    prediction of the same fit, for every ETS form opslib uses."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    from opslib.forecasting.models import _ets_forecast

    y = _daily(300, seed=6).reset_index(drop=True)
    res = ETSModel(y, error="add", seasonal_periods=7 if form.get("seasonal") else None,
                   initialization_method="heuristic", **form).fit(disp=False)
    mean, sd = _ets_forecast(res, 300, 28)
    sf = res.get_prediction(start=300, end=327).summary_frame(alpha=0.2)
    np.testing.assert_allclose(mean, sf["mean"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(sd, (sf["pi_upper"].to_numpy() - sf["mean"].to_numpy()) / 1.2815515655446004,
                               rtol=1e-6)
