"""Models, fallbacks, hierarchy coherence and parallel forecasting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslib import forecasting as F
from opslib.forecasting.backtest import auto_forecast, rolling_origin
from opslib.forecasting.models import LEVELS, MODELS, SarimaxFestival, fit_forecast
from opslib.forecasting.regressors import calendar_regressors


def _weekly(n: int, seed: int = 0, start: str = "2023-01-02") -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq="7D")
    t = np.arange(n)
    x = calendar_regressors(idx)
    y = 100 + 0.2 * t + 15 * np.sin(2 * np.pi * t / 52.18) + 60 * x["f1111"].to_numpy() + rng.normal(0, 4, n)
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


def test_ten_week_series_falls_back_with_reason() -> None:
    y = _weekly(10)
    for name in ("snaive", "sarimax", "mstl"):
        r = fit_forecast(y, name, horizon=4)
        assert r.model == "ets" and r.requested == name
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


def test_sarimax_finds_the_festival_effect() -> None:
    eff = SarimaxFestival().fit(_weekly(150)).effects().set_index("regressor")
    assert eff.loc["f1111", "lo_95"] < 60 < eff.loc["f1111", "hi_95"]


def test_auto_picks_by_backtest_and_records_scores() -> None:
    y = _weekly(130)
    r = auto_forecast(y, horizon=4, windows=2, candidates=("naive", "snaive", "sarimax"))
    assert r.requested == "auto" and r.reason.startswith("auto:")
    assert set(r.extra["backtest_mase"]) == {"naive", "snaive", "sarimax"}
    assert r.extra["chosen"] == min(r.extra["backtest_mase"], key=r.extra["backtest_mase"].get)


def test_rolling_origin_layout() -> None:
    y = _weekly(80)
    bt = rolling_origin(y, "ets", horizon=4, windows=3, series_id="s")
    assert len(bt) == 12 and bt["origin"].nunique() == 3
    assert bt.groupby("origin")["h"].apply(list).map(lambda h: h == [1, 2, 3, 4]).all()
    assert bt["date"].max() == y.index[-1]
    np.testing.assert_allclose(bt["actual"].to_numpy(), y.iloc[-12:].to_numpy())


def test_complete_weeks_and_weekly_series() -> None:
    days = pd.date_range("2023-01-01", "2023-01-22")  # Sunday .. Sunday
    daily = pd.DataFrame({"date": days, "sku": "a", "category": "c", "units": 1})
    w = F.weekly_series(daily, "total")
    assert w.index.strftime("%m-%d").tolist() == ["01-02", "01-09", "01-16"] and (w[F.TOTAL] == 7).all()


def _toy_hierarchy() -> F.Hierarchy:
    rng = np.random.default_rng(3)
    days = pd.date_range("2023-01-02", periods=7 * 70)
    rows = []
    for sku, cat, lam in (("s1", "A", 5), ("s2", "A", 3), ("s3", "A", 1), ("s4", "B", 4), ("s5", "B", 2)):
        rows.append(pd.DataFrame({"date": days, "sku": sku, "category": cat, "units": rng.poisson(lam, len(days))}))
    return F.build_hierarchy(pd.concat(rows), top_skus=3)


def test_hierarchy_bottom_up_adds_up_exactly_and_reconciled_is_coherent() -> None:
    h = _toy_hierarchy()
    assert h.ids[0] == F.TOTAL and "A|其他" in h.ids and "s3" not in h.ids
    fc = F.hierarchy_forecast(h, "ets", horizon=4, progress=False)
    for method in ("bottom_up", "ols", "mint_shrink"):
        wide = fc.pivot(index="date", columns="node", values=method)
        for parent, kids in ((F.TOTAL, ["A", "B"]), ("A", ["s1", "s2", "A|其他"]), ("B", ["s4", "B|其他"])):
            np.testing.assert_allclose(wide[parent], wide[kids].sum(axis=1), rtol=1e-9, atol=1e-9)
    wide = fc.pivot(index="date", columns="node", values="bottom_up")
    base = fc.pivot(index="date", columns="node", values="base")
    bottoms = [i for i, lv in zip(h.ids, h.levels, strict=False) if lv == "sku"]
    assert (wide[bottoms] == base[bottoms]).all().all()  # bottom-up keeps the bottom forecasts as they are
    assert (wide[F.TOTAL] == base[bottoms].sum(axis=1)).all()


def test_reconcile_ols_by_hand() -> None:
    S, _, _ = F.summing_matrix(["a", "b"], {"a": "X", "b": "X"})
    # nodes: total, X, a, b; base total 10, X 9, a 4, b 4 -> projection onto (a+b, a+b, a, b)
    out = F.reconcile(np.array([[10.0], [9.0], [4.0], [4.0]]), S, "ols").ravel()
    # minimise (10-s)^2 + (9-s)^2 + (4-a)^2 + (4-b)^2, s = a+b = 2c: (10-2c) + (9-2c) + (4-c) = 0, c = 4.6
    np.testing.assert_allclose(out, [9.2, 9.2, 4.6, 4.6])


def test_hierarchy_accuracy_per_level() -> None:
    h = _toy_hierarchy()
    bt = F.hierarchy_backtest(h, "ets", horizon=4, windows=2, methods=("bottom_up", "ols"), progress=False)
    acc = F.hierarchy_accuracy(bt, ("base", "bottom_up", "ols"))
    assert set(acc["level"]) == {"total", "category", "sku"} and set(acc["method"]) == {"base", "bottom_up", "ols"}
    assert np.isfinite(acc["mase"]).all()


def test_forecast_many_parallel_matches_serial() -> None:
    wide = pd.DataFrame({f"s{i}": _weekly(70, seed=i) for i in range(4)})
    serial = F.forecast_many(wide, "ets", horizon=3, n_jobs=1, progress=False)
    par = F.forecast_many(wide, "ets", horizon=3, n_jobs=2, progress=False)
    assert [r.series_id for r in par] == list(wide.columns)
    for a, b in zip(serial, par, strict=False):
        np.testing.assert_allclose(a.forecast["mean"], b.forecast["mean"])
    table = F.model_table(par)
    assert list(table.columns) == ["series_id", "requested", "model", "spec", "sigma", "reason"]
    assert len(F.forecast_frame(par)) == 12


def test_decomposition_and_trend_change() -> None:
    days = pd.date_range("2023-01-01", periods=800)
    t = np.arange(800)
    trend = np.where(t < 400, 100 + 0.1 * t, 140 - 0.05 * (t - 400))
    y = pd.Series(trend + 5 * np.sin(2 * np.pi * t / 7) + 10 * np.sin(2 * np.pi * t / 365.25), index=days)
    dec = F.decompose(y)
    assert {"trend", "seasonal_7", "seasonal_365", "resid"} <= set(dec.columns)
    seg = F.trend_segments(pd.Series(dec["trend"].to_numpy(), index=days), max_changes=2)
    assert len(seg) >= 2
    assert seg["slope_per_year"].iloc[0] > 0 > seg["slope_per_year"].iloc[-1]


def test_calendar_effects_recover_a_planted_uplift() -> None:
    days = pd.date_range("2023-01-01", "2025-06-30")
    x = calendar_regressors(days, "D")
    rng = np.random.default_rng(1)
    y = pd.Series(np.exp(4 + 0.4 * x["f1111"].to_numpy() - 0.5 * x["cny_week"].to_numpy()
                         + rng.normal(0, 0.05, len(days))) - 1, index=days)
    eff = F.calendar_effects(y).set_index("regressor")
    assert eff.loc["f1111", "effect_pct"] == pytest.approx(np.expm1(0.4), abs=0.05)
    assert eff.loc["cny_week", "effect_pct"] == pytest.approx(np.expm1(-0.5), abs=0.05)


def test_levels_default() -> None:
    assert LEVELS == (80, 95)


def test_decompose_on_exactly_two_years_keeps_the_periods_mstl_can_fit() -> None:
    """730 days: statsmodels' MSTL drops period 365 (it needs len > 2p), so decompose must too (Olist)."""
    idx = pd.date_range("2017-01-01", periods=730, freq="D")
    y = pd.Series(10 + np.sin(np.arange(730) * 2 * np.pi / 7), index=idx)
    dec = F.decompose(y)
    assert "seasonal_7" in dec.columns and "seasonal_365" not in dec.columns
    assert np.allclose(dec["trend"] + dec["seasonal_7"] + dec["resid"], dec["observed"])
