"""Charts and display tables of trend forecasting (notebook 03): forecasts with their bands, the decomposition,
backtests, calendar effects, leaderboards, the hierarchy and the order list.

Chart functions take frames or results and return the ``Figure``; table functions return a
:func:`opslib.plotting.format.format_table` frame (units as whole numbers, shares as %, never scientific).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslib.plotting.format import format_table
from opslib.plotting.theme import NEGATIVE, PALETTE, POSITIVE, TOTAL

_BLUE, _GREY, _ORANGE = PALETTE[0], TOTAL, "#d55e00"


def plot_forecast(history: pd.Series, forecast: pd.DataFrame, actual: pd.Series | None = None,
                  title: str = "", last: int = 78, ax=None):
    """History (last ``last`` periods), forecast mean and its 80%/95% bands, optional actuals after.

    Parameters:
        history: the series the forecast was made from (may be empty). forecast: ``date``, ``mean`` and
            ``lo_L``/``hi_L``. actual: what happened after, or None. title: the chart title. last: periods of
            history shown. ax: draw into this axes.

    Returns:
        The matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 3.6))
    h = history.iloc[-last:] if len(history) else history
    if len(h):
        ax.plot(h.index, h.to_numpy(), color=_GREY, lw=1.2, label="历史 history")
    for lv, alpha in ((95, 0.15), (80, 0.3)):
        if f"lo_{lv}" in forecast:
            ax.fill_between(forecast["date"], forecast[f"lo_{lv}"], forecast[f"hi_{lv}"], color=_BLUE,
                            alpha=alpha, lw=0, label=f"{lv}% 区间 interval")
    ax.plot(forecast["date"], forecast["mean"], color=_BLUE, lw=2, label="预测 forecast")
    if actual is not None and len(actual):
        ax.plot(actual.index, actual.to_numpy(), "o-", color=_ORANGE, ms=3, lw=1, label="实际 actual")
    ax.set_title(title)
    ax.set_ylabel("units")
    ax.legend(loc="upper left", fontsize=8, ncols=2)
    return ax.figure


def plot_decomposition(dec: pd.DataFrame, title: str = ""):
    """One panel per component of :func:`opslib.forecasting.decomposition.decompose` (observed, trend,
    seasonal_*, resid).

    Parameters:
        dec: the components frame (``date`` and one column per component). title: the chart title.

    Returns:
        The matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt

    comps = [c for c in dec.columns if c != "date"]
    fig, axes = plt.subplots(len(comps), 1, figsize=(10, 1.7 * len(comps)), sharex=True, squeeze=False)
    for ax, c in zip(axes[:, 0], comps, strict=False):
        ax.plot(dec["date"], dec[c], lw=0.8 if c in ("observed", "resid") else 1.4, color=_GREY if c == "observed"
                else _BLUE)
        ax.set_ylabel(c, fontsize=8)
    axes[0, 0].set_title(title)
    fig.tight_layout()
    return fig


def plot_backtest(bt: pd.DataFrame, series_id: str, model: str, history: pd.Series, last: int = 60):
    """Actual vs forecast with 80%/95% intervals for every origin of one series and model.

    Parameters:
        bt: a backtest frame (``opslib.forecasting.backtest.rolling_origin``). series_id, model: which one.
        history: the series' actuals. last: periods of actuals shown.

    Returns:
        The matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.6))
    h = history.iloc[-last:]
    ax.plot(h.index, h.to_numpy(), color=_GREY, lw=1.2, label="实际 actual")
    g = bt[(bt["series_id"] == series_id) & (bt["model"] == model)]
    for k, (_, o) in enumerate(g.groupby("origin")):
        for lv, alpha in ((95, 0.12), (80, 0.25)):
            if f"lo_{lv}" in o:
                ax.fill_between(o["date"], o[f"lo_{lv}"], o[f"hi_{lv}"], color=_BLUE, alpha=alpha, lw=0,
                                label=f"{lv}% 区间" if k == 0 else None)
        ax.plot(o["date"], o["mean"], color=_BLUE, lw=1.8, label="回测预测 forecast" if k == 0 else None)
        ax.axvline(o["date"].iloc[0], color="#949494", ls=":", lw=1)
    used = ", ".join(sorted(g["used"].astype(str).unique())) if "used" in g and len(g) else model
    ax.set_title(f"{series_id} - {model}" + (f" (ran: {used})" if used != model else "")
                 + ": 滚动回测 rolling-origin backtest")
    ax.legend(loc="upper left", fontsize=8, ncols=2)
    return fig


def calendar_effects_chart(effects: pd.DataFrame):
    """Calendar effects with their 95% intervals, one bar per regressor (green up, red down).

    Parameters:
        effects: :func:`opslib.forecasting.decomposition.calendar_effects`.

    Returns:
        The matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    e = effects.sort_values("effect_pct")
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(e), 2) + 1))
    y = np.arange(len(e))
    colors = [POSITIVE if v >= 0 else NEGATIVE for v in e["effect_pct"]]
    ax.barh(y, e["effect_pct"], color=colors, alpha=0.8)
    ax.errorbar(e["effect_pct"], y, xerr=[e["effect_pct"] - e["lo_95"], e["hi_95"] - e["effect_pct"]], fmt="none",
                ecolor=_GREY, capsize=3, lw=1)
    ax.set_yticks(y, e["label"])
    ax.axvline(0, color=_GREY, lw=0.8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title("节日与假日效应 calendar effects (vs an ordinary day, 95% CI)")
    fig.tight_layout()
    return fig


def cover_chart(plan: pd.DataFrame, lead_time_days: float, top: int = 20):
    """Weeks of cover per SKU (most urgent first) against the lead time: below the line, order now.

    Parameters:
        plan: a plan with stock (:func:`opslib.forecasting.replenishment.replenishment_plan`). lead_time_days:
            the lead time drawn as the line. top: SKUs shown.

    Returns:
        The matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt

    p = plan.head(top)
    woc = np.minimum(p["weeks_of_cover"].to_numpy(float), 52)
    fig, ax = plt.subplots(figsize=(9, 0.32 * max(len(p), 3) + 1))
    y = np.arange(len(p))[::-1]
    ax.barh(y, woc, color=[NEGATIVE if o else _BLUE for o in p["order_now"]], alpha=0.85)
    ax.axvline(lead_time_days / 7, color=_GREY, ls="--", lw=1, label=f"lead time {lead_time_days / 7:.1f} weeks")
    ax.set_yticks(y, p["sku"].astype(str))
    ax.set_xlabel("weeks of cover (capped at 52)")
    ax.set_title("库存覆盖周数 weeks of cover (red: order now)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def trend_segments_table(segments: pd.DataFrame) -> pd.DataFrame:
    """Trend segments for display: dates, levels and slope (units per day, per year) to 1 decimal, growth as %.

    Parameters:
        segments: :func:`opslib.forecasting.decomposition.trend_segments`.

    Returns:
        A :func:`format_table` frame.
    """
    return format_table(segments, percent=["growth_per_year"], signed=["slope_per_year", "growth_per_year"],
                        decimals=1)


def calendar_effects_table(effects: pd.DataFrame) -> pd.DataFrame:
    """Calendar effects for display: effect and its 95% interval as %, p-values as people read them.

    Parameters:
        effects: :func:`opslib.forecasting.decomposition.calendar_effects`.

    Returns:
        A :func:`format_table` frame.
    """
    cols = ["label", "days", "effect_pct", "lo_95", "hi_95", "pvalue"]
    return format_table(effects[cols], percent=["effect_pct", "lo_95", "hi_95"], pvalues=["pvalue"],
                        signed=["effect_pct"])


def leaderboard_table(board: pd.DataFrame) -> pd.DataFrame:
    """The model leaderboard for display: what ran, MASE and sMAPE to 2 decimals (the page rule), WAPE, bias and coverage as %.

    Parameters:
        board: :func:`opslib.forecasting.backtest.leaderboard`.

    Returns:
        A :func:`format_table` frame.
    """
    cols = [c for c in ("rank", "model", "used", "fell_back", "mase", "wape", "smape", "bias_pct", "coverage_80",
                        "coverage_95", "wins", "series", "reason") if c in board]
    pct = [c for c in ("fell_back", "wape", "bias_pct", "coverage_80", "coverage_95") if c in cols]
    return format_table(board[cols], percent=pct, signed=["bias_pct"] if "bias_pct" in cols else (), decimals=2)


def forecast_models_table(models: pd.DataFrame) -> pd.DataFrame:
    """What ran per series (``ForecastBatch.summary()``): requested, used, fell back, configuration, reason.

    Parameters:
        models: :func:`opslib.forecasting.batch.model_table`.

    Returns:
        A :func:`format_table` frame.
    """
    cols = [c for c in ("series_id", "requested", "model", "fell_back", "sigma", "spec", "reason") if c in models]
    return format_table(models[cols], decimals=1)


def reconciliation_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Reconciliation methods for display: method asked, method used after the guards, the reason, total.

    Parameters:
        summary: ``HierarchyForecast.summary()``.

    Returns:
        A :func:`format_table` frame.
    """
    return format_table(summary, units=[c for c in ("total_forecast",) if c in summary])


def hierarchy_table(accuracy: pd.DataFrame) -> pd.DataFrame:
    """Hierarchy accuracy per level and method for display (MASE to 2 decimals, shares as %).

    Parameters:
        accuracy: :func:`opslib.forecasting.hierarchy.hierarchy_accuracy`.

    Returns:
        A :func:`format_table` frame.
    """
    pct = [c for c in ("wape", "bias_pct", "coverage_80", "coverage_95") if c in accuracy]
    return format_table(accuracy, percent=pct, signed=["bias_pct"] if "bias_pct" in accuracy else (), decimals=2)


def replenishment_table(plan: pd.DataFrame, rows: int = 20) -> pd.DataFrame:
    """The first ``rows`` of a replenishment plan for display (stock and orders as whole units, demand, safety
    stock, reorder points and cover to 1 decimal).

    Parameters:
        plan: :func:`opslib.forecasting.replenishment.replenishment_plan`. rows: rows shown.

    Returns:
        A :func:`format_table` frame.
    """
    p = plan.head(rows).copy()
    if "weeks_of_cover" in p:
        p["weeks_of_cover"] = np.minimum(p["weeks_of_cover"].to_numpy(float), 999.0)
    units = [c for c in ("on_hand", "order_qty") if c in p]
    return format_table(p, units=units, decimals=1)


def orders_table(orders: pd.DataFrame) -> pd.DataFrame:
    """This week's orders (``ReplenishmentPlan.orders()``) for display.

    Parameters:
        orders: ``sku``, ``on_hand``, ``weeks_of_cover``, ``reorder_point``, ``order_qty``.

    Returns:
        A :func:`format_table` frame.
    """
    return replenishment_table(orders, rows=len(orders))
