"""The forecasting charts draw on tiny frames without warnings; the display tables read as documented."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from opslib import plotting  # noqa: E402
from opslib.plotting import forecasting as fp  # noqa: E402

WEEKS = pd.date_range("2025-01-06", periods=6, freq="7D")
FC = pd.DataFrame({"date": pd.date_range("2025-02-17", periods=3, freq="7D"), "mean": [10.0, 11, 12],
                   "lo_80": [8.0, 9, 10], "hi_80": [12.0, 13, 14], "lo_95": [6.0, 7, 8], "hi_95": [14.0, 15, 16]})


@pytest.fixture(autouse=True)
def _strict():
    plotting.set_theme()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ResourceWarning)  # sockets other tests leaked, collected here
        yield
    plt.close("all")


def test_forecast_chart_with_and_without_history() -> None:
    fig = fp.plot_forecast(pd.Series(np.arange(6.0), index=WEEKS), FC, actual=pd.Series([9.0], index=FC["date"][:1]),
                           title="t")
    assert fig.axes[0].get_title() == "t"
    assert fp.plot_forecast(pd.Series(dtype=float), FC) is not None


def test_decomposition_chart() -> None:
    dec = pd.DataFrame({"date": pd.date_range("2025-01-01", periods=14), "observed": 1.0, "trend": 1.0,
                        "seasonal_7": 0.0, "resid": 0.0})
    assert len(fp.plot_decomposition(dec, "d").axes) == 4


def test_backtest_chart_says_what_ran() -> None:
    bt = FC.assign(series_id="a", model="mstl", used="ets", origin=FC["date"].iloc[0], actual=10.0)
    fig = fp.plot_backtest(bt, "a", "mstl", pd.Series(np.arange(6.0), index=WEEKS))
    assert "(ran: ets)" in fig.axes[0].get_title()


def test_calendar_effects_chart_and_table() -> None:
    eff = pd.DataFrame({"regressor": ["f1111", "holiday"], "label": ["双11", "holiday"], "days": [22, 9],
                        "effect_pct": [0.35, -0.1], "lo_95": [0.2, -0.2], "hi_95": [0.5, 0.01], "pvalue": [1e-9, 0.07]})
    assert len(fp.calendar_effects_chart(eff).axes) == 1
    t = fp.calendar_effects_table(eff)
    assert t.loc[0, "effect_pct"] == "+35.0%" and t.loc[0, "pvalue"] == "< 0.001" and t.loc[1, "pvalue"] == "0.070"


def test_cover_chart_and_tables() -> None:
    plan = pd.DataFrame({"sku": ["a", "b"], "mean_weekly": [3.25, 1.0], "sigma_weekly": [1.0, 0.5],
                         "safety_stock": [2.3, 1.2], "reorder_point": [8.8, 3.2], "order_up_to": [12.1, 4.2],
                         "on_hand": [4.0, 30.0], "weeks_of_cover": [1.23, np.inf], "order_now": [True, False],
                         "order_qty": [9, 0]})
    assert len(fp.cover_chart(plan, 14).axes) == 1
    t = fp.replenishment_table(plan)
    assert t.loc[0, "mean_weekly"] == "3.2" and t.loc[0, "on_hand"] == "4" and t.loc[1, "weeks_of_cover"] == "999.0"
    assert fp.orders_table(plan[plan["order_now"]]).shape[0] == 1


def test_leaderboard_and_hierarchy_tables() -> None:
    board = pd.DataFrame({"model": ["mstl"], "used": ["ets"], "fell_back": [1.0], "reason": ["too short"],
                          "series": [2], "mase": [0.8123], "wape": [0.2], "smape": [0.25], "bias_pct": [0.05],
                          "coverage_80": [0.8], "coverage_95": [0.95], "wins": [2], "rank": [1]})
    t = fp.leaderboard_table(board)
    # 2 decimals: a report cell shows at most two (tests/reporting/test_report_html.py); 0.8123 -> 0.81
    assert t.loc[0, "mase"] == "0.81" and t.loc[0, "fell_back"] == "100.0%" and t.loc[0, "bias_pct"] == "+5.0%"
    acc = pd.DataFrame({"level": ["total"], "method": ["ols"], "used": ["ols"], "mase": [0.9], "wape": [0.1],
                        "bias_pct": [-0.02], "coverage_80": [0.75], "reason": [""]})
    assert fp.hierarchy_table(acc).loc[0, "coverage_80"] == "75.0%"
    rec = pd.DataFrame({"method": ["mint_shrink"], "used": ["wls_var"], "reason": ["near singular"],
                        "total_forecast": [1234.4]})
    assert fp.reconciliation_table(rec).loc[0, "total_forecast"] == "1,234"


def test_trend_segments_and_models_tables() -> None:
    seg = pd.DataFrame({"segment": [1], "start": [pd.Timestamp("2024-01-01")], "end": [pd.Timestamp("2024-06-30")],
                        "level_start": [5.44], "level_end": [6.0], "slope_per_year": [1.13], "growth_per_year": [0.2]})
    t = fp.trend_segments_table(seg)
    assert t.loc[0, "level_start"] == "5.4" and t.loc[0, "slope_per_year"] == "+1.1" and t.loc[0, "growth_per_year"] == "+20.0%"
    models = pd.DataFrame({"series_id": ["a"], "requested": ["auto"], "model": ["ets+sba"], "fell_back": [False],
                           "spec": ["..."], "sigma": [1.26], "reason": ["auto: ..."]})
    assert fp.forecast_models_table(models).loc[0, "sigma"] == "1.3"
