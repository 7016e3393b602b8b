"""``auto``: routing by demand class, like-with-like backtest, weighted combination, calibrated intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslib.forecasting.auto import (
    GATED,
    INTERMITTENT_POOL,
    SMOOTH_POOL,
    _band_factors,
    _calibrate,
    _combine,
    _weights,
    auto_forecast,
    backtest_origins,
    candidate_pool,
    choose_combination,
    combination_mase,
)
from opslib.forecasting.models import fit_forecast


def _smooth(n: int = 240, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-01-01", periods=n)
    return pd.Series(40 + 10 * (idx.day_of_week >= 5) + rng.normal(0, 3, n), index=idx)


def test_intermittent_series_are_routed_to_intermittent_models() -> None:
    rng = np.random.default_rng(1)
    idx = pd.date_range("2024-01-01", periods=240)
    y = pd.Series(np.where(rng.random(240) < 0.2, rng.integers(1, 4, 240), 0).astype(float), index=idx)
    cls, pool = candidate_pool(y)
    # 240 days: no yearly season, so the yearly-only candidates (``harmonic``) are left out
    assert cls in ("intermittent", "lumpy") and pool == [c for c in INTERMITTENT_POOL if c != "harmonic"]
    r = auto_forecast(y, horizon=14)
    assert r.extra["demand_class"] == cls
    assert set(r.extra["chosen_models"]) <= set(INTERMITTENT_POOL)


def test_every_candidate_is_scored_on_the_same_origins() -> None:
    y = _smooth()
    r = auto_forecast(y, horizon=14, windows=3)
    assert len(r.extra["origins"]) == 3
    # origins o_k = n - k h: 240 - 42, 240 - 28, 240 - 14 -> their dates
    assert r.extra["origins"] == [y.index[198], y.index[212], y.index[226]]
    assert set(r.extra["weights"]) <= set(r.extra["backtest_mase"])
    assert sum(r.extra["weights"].values()) == pytest.approx(1.0, abs=1e-3)


def test_the_forecast_is_the_weighted_combination() -> None:
    y = _smooth()
    r = auto_forecast(y, horizon=14, calibrate=False, closures=None, combine="weighted")
    assert r.extra["combination"] == "weighted"
    expected = sum(w * fit_forecast(y, m, 14, closures=None).forecast["mean"].to_numpy()
                   for m, w in r.extra["weights"].items())
    np.testing.assert_allclose(r.forecast["mean"], expected, rtol=1e-3)
    assert r.model == "+".join(r.extra["weights"])


def test_backtests_only_see_the_history() -> None:
    """The forecast from day 200 is the same whether or not the data after day 200 exists."""
    y = _smooth(260)
    a = auto_forecast(y.iloc[:200], horizon=14)
    b = auto_forecast(y.iloc[:200].copy(), horizon=14)
    np.testing.assert_allclose(a.forecast["mean"], b.forecast["mean"])
    assert a.extra["origins"][-1] < y.index[200]


def test_weights_by_hand() -> None:
    # inverse scores 1/0.5 = 2, 1/1.0 = 1 -> 2/3 and 1/3; 'c' (1.5) is left out by top=2
    assert _weights({"a": 0.5, "b": 1.0, "c": 1.5}, top=2) == {"a": 0.6667, "b": 0.3333}
    # a candidate more than twice the best score gets no weight
    assert _weights({"a": 0.5, "b": 1.2}, top=3) == {"a": 1.0}


def test_calibration_widens_a_too_narrow_band() -> None:
    """Backtest errors with sd 2 against a model spread of 1: the 80% band gets about twice as wide."""
    rng = np.random.default_rng(3)
    f = np.full(400, 100.0)
    y = f + rng.normal(0, 2, 400)
    s = np.ones(400)
    fc = pd.DataFrame({"date": pd.date_range("2025-01-01", periods=3), "mean": 100.0,
                       "lo_80": 100 - 1.2816, "hi_80": 100 + 1.2816})
    out, factors = _calibrate(fc, {80: [(y, f, s)]}, (80,), min_points=20, shrink_floor=1.0)
    lo_f, hi_f = factors[80]
    assert 1.7 < lo_f < 2.3 and 1.7 < hi_f < 2.3  # true factor 2
    inside = (y >= 100 - lo_f * 1.2816) & (y <= 100 + hi_f * 1.2816)
    assert inside.mean() >= 0.8


def test_calibration_never_narrows_a_smooth_band_below_the_floor() -> None:
    y = np.full(100, 100.0)  # perfect backtests
    fc = pd.DataFrame({"date": pd.date_range("2025-01-01", periods=2), "mean": 100.0, "lo_80": 90.0, "hi_80": 110.0})
    out, factors = _calibrate(fc, {80: [(y, y.copy(), np.full(100, 10 / 1.2816))]}, (80,), 20, shrink_floor=1.0)
    assert out["lo_80"].tolist() == pytest.approx([90, 90]) and out["hi_80"].tolist() == pytest.approx([110, 110])


def test_short_history_uses_one_model_and_says_why() -> None:
    y = _smooth(30)
    r = auto_forecast(y, horizon=28)
    assert r.requested == "auto" and "the series has 30" in r.reason
    assert len(r.forecast) == 28


def test_backtest_origins() -> None:
    assert backtest_origins(200, 28, 3) == [116, 144, 172]
    assert backtest_origins(70, 28, 3, min_train=28) == [42]


def test_auto_is_scale_free() -> None:
    y = _smooth()
    a, b = auto_forecast(y, horizon=14), auto_forecast(y * 1000, horizon=14)
    assert a.model == b.model
    np.testing.assert_allclose(b.forecast["mean"], 1000 * a.forecast["mean"], rtol=1e-4)
    np.testing.assert_allclose(b.forecast["hi_95"], 1000 * a.forecast["hi_95"], rtol=1e-4)


def test_weekly_auto_on_three_years() -> None:
    idx = pd.date_range("2023-01-02", periods=156, freq="7D")
    t = np.arange(156)
    y = pd.Series(200 + 40 * np.sin(2 * np.pi * t / 52.18) + np.random.default_rng(0).normal(0, 5, 156), index=idx)
    r = auto_forecast(y, horizon=8)
    # weekly: 3 recent origins (156 - 24, - 16, - 8) and the same weeks a year earlier (156 - 52)
    assert r.extra["origins"] == [idx[104], idx[132], idx[140], idx[148]]
    assert r.forecast["date"].iloc[0] == idx[-1] + pd.Timedelta(days=7)


def test_a_combination_beats_each_member_on_planted_errors() -> None:
    """Two members with planted errors of opposite sign: A over-forecasts by 3, B under-forecasts by 1 (backtest
    MAE 3 and 1). Inverse-error weights 1/3 : 1 -> 0.25 and 0.75 (by hand); the combination
    0.25 (t + 3) + 0.75 (t - 1) = t is exact, so it beats both members (MAE 0 against 3 and 1)."""
    dates = pd.date_range("2025-01-01", periods=5)
    truth = np.array([10.0, 12, 9, 14, 11])
    frames = {"A": pd.DataFrame({"date": dates, "mean": truth + 3, "lo_80": truth + 1, "hi_80": truth + 5}),
              "B": pd.DataFrame({"date": dates, "mean": truth - 1, "lo_80": truth - 3, "hi_80": truth + 1})}
    w = _weights({"A": 3.0, "B": 1.0}, top=3, cutoff=4.0)
    assert w == {"B": 0.75, "A": 0.25}
    out = _combine(frames, w)
    np.testing.assert_allclose(out["mean"], truth)
    np.testing.assert_allclose(out["lo_80"], truth - 2)  # 0.25 (t + 1) + 0.75 (t - 3): bounds are averaged too
    assert np.abs(out["mean"] - truth).mean() < min(np.abs(f["mean"] - truth).mean() for f in frames.values())
    assert list(out["date"]) == list(dates)


def test_smooth_pool_has_no_changing_weekly_pattern_and_a_yearly_one_from_two_years() -> None:
    """``mstl`` is out of the smooth pool; ``mstl_trend`` and ``harmonic`` need more than two years (730 days)."""
    assert "mstl" not in SMOOTH_POOL and "croston" in INTERMITTENT_POOL
    assert candidate_pool(_smooth(240)) == ("smooth", ["mstl_stable", "ets", "adida", "tsb"])
    assert candidate_pool(_smooth(800)) == ("smooth", ["mstl_stable", "mstl_trend", "ets", "adida", "tsb", "harmonic"])


def test_conformal_rank_on_a_tiny_residual_set_by_hand() -> None:
    """21 standardised errors evenly spread over [-1, 1]: the 10% / 90% quantiles are -0.8 / 0.8. Holding 80% of
    the points (17 of 21) needs c = 1; split conformal's rank ceil(22 x 0.8) = 18 of 21 needs |u| <= 0.9 (19 points,
    the band is symmetric), c = 0.9 / 0.8 = 1.125 -> 1.14 on the grid; factor c x 0.8 / z_80."""
    u = np.arange(-10, 11) / 10.0
    args = (100 + u, np.full(21, 100.0), np.ones(21), 80, 0.0)
    assert _band_factors(*args, target="atleast") == (0.624, 0.624)
    assert _band_factors(*args, target="conformal") == (round(1.14 * 0.8 / 1.2816, 3),) * 2


def test_calibration_by_runs_of_steps() -> None:
    """Backtest errors with sd 1 at steps 1-14 and sd 3 at steps 15-28 (model spread 1 throughout): with two runs
    the late band is about three times the early one; pooled, both get the same width."""
    rng = np.random.default_rng(8)
    parts = []
    for _ in range(12):  # 12 origins
        sd = np.r_[np.ones(14), np.full(14, 3.0)]
        y = 100 + rng.normal(0, 1, 28) * sd
        parts.append((y, np.full(28, 100.0), np.ones(28), np.arange(28)))
    fc = pd.DataFrame({"date": pd.date_range("2025-01-01", periods=28), "mean": 100.0,
                       "lo_80": 100 - 1.2816, "hi_80": 100 + 1.2816})
    out, _ = _calibrate(fc, {80: parts}, (80,), min_points=20, shrink_floor=0.0, blocks=2)
    half = (out["hi_80"] - out["mean"]).to_numpy()
    assert 2.3 < half[20] / half[5] < 3.7
    assert half[:14].std() == 0 and half[14:].std() == 0
    pooled, _ = _calibrate(fc, {80: parts}, (80,), min_points=20, shrink_floor=0.0, blocks=1)
    assert (pooled["hi_80"] - pooled["mean"]).std() < 1e-9


# ---- the per-series rule (fourth pass): one inner origin, scale 1, so MASE = MAE; hand-computed tables


def _table(values: dict[str, float]) -> dict[str, list[np.ndarray]]:
    return {c: [np.array([v])] for c, v in values.items()}


def test_the_rule_picks_the_median_when_it_backtests_better() -> None:
    """Scores a 1.0, b 1.2, c 1.5 -> inverse weights 1 : 1/1.2 : 1/1.5 = 0.4, 0.3333, 0.2667. Inner forecasts 10, 12,
    30 against 12: weighted 0.4 x 10 + 0.3333 x 12 + 0.2667 x 30 = 16.0 (MAE 4), median 12 (MAE 0) -> median."""
    inner, actual = _table({"a": 10.0, "b": 12.0, "c": 30.0}), [np.array([12.0])]
    scores = {"a": 1.0, "b": 1.2, "c": 1.5}
    assert combination_mase("weighted", scores, inner, actual, [1.0]) == pytest.approx(4.0, abs=1e-3)
    assert combination_mase("median", scores, inner, actual, [1.0]) == 0.0
    assert choose_combination(scores, {}, inner, actual, [1.0]) == ("median", scores, [])


def test_the_rule_picks_the_weighted_mean_when_it_backtests_better() -> None:
    """Scores 1, 1, 2 -> weights 0.4, 0.4, 0.2 (c at exactly twice the best is kept). Forecasts 10, 10, 20 against
    12: weighted 4 + 4 + 4 = 12 (MAE 0), median 10 (MAE 2) -> weighted."""
    inner, actual = _table({"a": 10.0, "b": 10.0, "c": 20.0}), [np.array([12.0])]
    scores = {"a": 1.0, "b": 1.0, "c": 2.0}
    assert combination_mase("weighted", scores, inner, actual, [1.0]) == pytest.approx(0.0, abs=1e-9)
    assert combination_mase("median", scores, inner, actual, [1.0]) == 2.0
    assert choose_combination(scores, {}, inner, actual, [1.0])[0] == "weighted"


def test_a_gated_candidate_enters_only_when_it_improves_the_combination_by_the_margin() -> None:
    """Pool as above against 15: weighted 12 (MAE 3), median 10 (MAE 5) -> 3 without the gated g. g (score 0.5,
    forecast 15) makes the top 3 g, a, b with weights 2 : 1 : 1 -> 7.5 + 2.5 + 2.5 = 12.5 (MAE 2.5). 2.5 < 0.98 x 3:
    g enters; with a 20% margin 2.5 >= 0.8 x 3 = 2.4: it stays out."""
    inner, actual = _table({"a": 10.0, "b": 10.0, "c": 20.0, "g": 15.0}), [np.array([15.0])]
    scores = {"a": 1.0, "b": 1.0, "c": 2.0}
    kind, pool, entered = choose_combination(scores, {"g": 0.5}, inner, actual, [1.0], margin=0.02)
    assert (kind, entered) == ("weighted", ["g"]) and pool == {**scores, "g": 0.5}
    assert choose_combination(scores, {"g": 0.5}, inner, actual, [1.0], margin=0.2)[1:] == (scores, [])


def test_level_ar_enters_on_a_series_whose_dips_fade() -> None:
    """Planted truth: a level of 100 with a weekend effect and a transient ``x[t] = 0.8 x[t-1] + shock`` - a dip
    of 40 units four days before each inner origin and before the end, which fades by 20% a day. Models that
    follow the level (ETS, STL + ETS) forecast the dip to last; ``level_ar`` lets it fade, so it must enter."""
    rng = np.random.default_rng(0)
    n, h = 280, 28
    idx = pd.date_range("2024-01-01", periods=n)
    shocks = np.zeros(n)
    shocks[[n - k * h - 4 for k in range(7)]] = -40
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = 0.8 * x[t - 1] + shocks[t] + rng.normal(0, 1)
    y = pd.Series(100 + 8 * (idx.day_of_week >= 5) + x + rng.normal(0, 2, n), index=idx)
    r = auto_forecast(y, horizon=h, gated=GATED)
    assert "level_ar" in r.extra["gated_entered"] and "level_ar" in r.extra["chosen_models"]
    assert "level_ar entered" in r.reason
    # the forecast recovers towards the level: the last week is well above the last observed (dipped) days
    assert r.forecast["mean"].iloc[-7:].mean() > y.iloc[-4:].mean() + 10


def test_gated_candidates_are_off_by_default() -> None:
    r = auto_forecast(_smooth(), horizon=14)
    assert "level_ar" not in r.extra["backtest_mase"] and r.extra["gated_entered"] == []
    assert r.extra["combination"] in ("weighted", "median")


def _volatile_season(n: int, seed: int = 3) -> pd.Series:
    """Level 100, a weekday profile, noise sd 2 except on the 28 days a year (364 days) before the end, where
    it is sd 15 (a season whose swings the weeks just before the origin do not show)."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2022-01-03", periods=n)
    sd = np.full(n, 2.0)
    sd[n - 364:n - 336] = 15.0
    y = 100 + 5 * (idx.day_of_week == 4) + rng.normal(0, 1, n) * sd
    return pd.Series(y, index=idx)


def test_calibration_uses_the_same_weeks_a_year_earlier() -> None:
    """With two years, the errors on the 28 days a year before the origin join the calibration: the planted
    volatile weeks there widen the 80% band (the three inner origins alone are calm); without it they do not.
    The origin a year back is reported in ``calibration_origins``."""
    y = _volatile_season(800)
    with_year = auto_forecast(y, horizon=28, closures=None)
    without = auto_forecast(y, horizon=28, closures=None, year_back=False)
    w1 = (with_year.forecast["hi_80"] - with_year.forecast["lo_80"]).mean()
    w0 = (without.forecast["hi_80"] - without.forecast["lo_80"]).mean()
    assert w1 > 1.2 * w0, (w1, w0)
    assert y.index[800 - 364] in with_year.extra["calibration_origins"]
    assert y.index[800 - 364] not in without.extra["calibration_origins"]
    np.testing.assert_allclose(with_year.forecast["mean"], without.forecast["mean"])


def test_no_year_earlier_calibration_without_a_year_before_it() -> None:
    """600 days: the origin a year back (day 236) has less than a year before it, so only the inner origins
    calibrate."""
    y = _volatile_season(600)
    r = auto_forecast(y, horizon=28, closures=None)
    assert r.extra["calibration_origins"] == r.extra["origins"]
