"""Rolling origins and the leaderboard, which says what actually ran."""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslib import forecasting as F
from opslib.forecasting.backtest import leaderboard, rolling_origin


def _weekly(n: int, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(100 + rng.normal(0, 4, n), index=pd.date_range("2023-01-02", periods=n, freq="7D"))


def test_rolling_origin_layout() -> None:
    y = _weekly(80)
    bt = rolling_origin(y, "ets", horizon=4, windows=3, series_id="s")
    assert len(bt) == 12 and bt["origin"].nunique() == 3
    assert bt.groupby("origin")["h"].apply(list).map(lambda h: h == [1, 2, 3, 4]).all()
    assert bt["date"].max() == y.index[-1]
    np.testing.assert_allclose(bt["actual"].to_numpy(), y.iloc[-12:].to_numpy())


def test_leaderboard_names_the_model_that_ran_after_a_fallback() -> None:
    """mstl needs 79 weeks: on a 40-week series every window falls back to ETS, and the board says so."""
    short = pd.DataFrame({"s1": _weekly(40, 1), "s2": _weekly(40, 2)})
    bt = F.backtest_many(short, models=("mstl", "ets", "snaive"), horizon=4, windows=2, progress=False)
    board = leaderboard(bt).set_index("model")
    assert board.loc["mstl", "used"] == "ets" and board.loc["mstl", "fell_back"] == 1.0
    assert "needed by mstl" in board.loc["mstl", "reason"]
    assert board.loc["ets", "used"] == "ets" and board.loc["ets", "fell_back"] == 0.0
    assert board.loc["ets", "reason"] == ""


def test_forecast_many_parallel_matches_serial() -> None:
    wide = pd.DataFrame({f"s{i}": _weekly(70, seed=i) for i in range(4)})
    serial = F.forecast_many(wide, "ets", horizon=3, n_jobs=1, progress=False)
    par = F.forecast_many(wide, "ets", horizon=3, n_jobs=2, progress=False)
    assert [r.series_id for r in par] == list(wide.columns)
    for a, b in zip(serial, par, strict=False):
        np.testing.assert_allclose(a.forecast["mean"], b.forecast["mean"])
    table = par.summary()
    assert list(table.columns) == ["series_id", "requested", "model", "fell_back", "spec", "sigma", "reason"]
    assert len(par.frame()) == 12 and par.get("s2").series_id == "s2"


def test_series_too_short_for_any_window_give_a_reason_not_a_crash() -> None:
    """Three weeks cannot hold out an 8-week horizon after the minimum training weeks (a 20-day export)."""
    weeks = pd.date_range("2025-12-08", periods=3, freq="W-MON")
    series = pd.DataFrame({"美妆": [10.0, 12.0, 11.0]}, index=pd.Index(weeks, name="week"))
    cmp = F.compare_models(series, models=("snaive",), horizon=8, windows=3, progress=False)
    assert cmp.summary().empty and cmp.best() == "" and "too short" in cmp.reason
    assert cmp.plot() is None
    assert leaderboard(cmp.backtest).empty
