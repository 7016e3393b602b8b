"""Charts of trend forecasting (notebook 03): a forecast with its intervals, the decomposition, a backtest."""

from __future__ import annotations

import pandas as pd


def plot_forecast(history: pd.Series, forecast: pd.DataFrame, actual: pd.Series | None = None,
                  title: str = "", last: int = 78, ax=None):
    """History (last ``last`` periods), forecast mean and its 80%/95% bands, optional actuals after."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 3.6))
    h = history.iloc[-last:]
    ax.plot(h.index, h.to_numpy(), color="#4d4d4d", lw=1.2, label="历史 history")
    for lv, alpha in ((95, 0.15), (80, 0.3)):
        if f"lo_{lv}" in forecast:
            ax.fill_between(forecast["date"], forecast[f"lo_{lv}"], forecast[f"hi_{lv}"], color="#0173b2",
                            alpha=alpha, lw=0, label=f"{lv}% 区间 interval")
    ax.plot(forecast["date"], forecast["mean"], color="#0173b2", lw=2, label="预测 forecast")
    if actual is not None:
        ax.plot(actual.index, actual.to_numpy(), "o-", color="#d55e00", ms=3, lw=1, label="实际 actual")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8, ncols=2)
    return ax.figure


def plot_decomposition(dec: pd.DataFrame, title: str = ""):
    """One panel per component of :func:`decompose` (observed, trend, seasonal_*, resid)."""
    import matplotlib.pyplot as plt

    comps = [c for c in dec.columns if c != "date"]
    fig, axes = plt.subplots(len(comps), 1, figsize=(10, 1.7 * len(comps)), sharex=True)
    for ax, c in zip(axes, comps, strict=False):
        ax.plot(dec["date"], dec[c], lw=0.8 if c in ("observed", "resid") else 1.4)
        ax.set_ylabel(c, fontsize=8)
    axes[0].set_title(title)
    fig.tight_layout()
    return fig


def plot_backtest(bt: pd.DataFrame, series_id: str, model: str, history: pd.Series, last: int = 60):
    """Actual vs forecast with 80%/95% intervals for every origin of one series and model."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.6))
    h = history.iloc[-last:]
    ax.plot(h.index, h.to_numpy(), color="#4d4d4d", lw=1.2, label="实际 actual")
    g = bt[(bt["series_id"] == series_id) & (bt["model"] == model)]
    for k, (_, o) in enumerate(g.groupby("origin")):
        for lv, alpha in ((95, 0.12), (80, 0.25)):
            if f"lo_{lv}" in o:
                ax.fill_between(o["date"], o[f"lo_{lv}"], o[f"hi_{lv}"], color="#0173b2", alpha=alpha, lw=0,
                                label=f"{lv}% 区间" if k == 0 else None)
        ax.plot(o["date"], o["mean"], color="#0173b2", lw=1.8, label="回测预测 forecast" if k == 0 else None)
        ax.axvline(o["date"].iloc[0], color="#949494", ls=":", lw=1)
    ax.set_title(f"{series_id} - {model}: 滚动回测 rolling-origin backtest")
    ax.legend(loc="upper left", fontsize=8, ncols=2)
    return fig
