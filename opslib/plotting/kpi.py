"""Charts and tables of the shop overview (notebook 00): KPI cards and trends, the GMV waterfall, category mix."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from opslib.plotting.format import (
    Note,
    axis_formatter,
    format_change,
    format_table,
    format_value,
    money,
    percent,
)
from opslib.plotting.theme import NEGATIVE, PALETTE, POSITIVE, TOTAL


# ------------------------------------------------------------------------------------------- charts
def _label(metric: str, labels: dict[str, str] | None) -> str:
    if labels and metric in labels:
        return labels[metric]
    from opslib.kpi import METRIC_LABELS

    return METRIC_LABELS.get(metric, metric)


def kpi_trend_chart(df: pd.DataFrame, metrics: Sequence[str], x: str = "period_start",
                    labels: dict[str, str] | None = None, ncols: int = 2) -> Figure:
    """Small multiples, one line chart per metric of a :func:`opslib.kpi.kpi_trend` frame.

    Buckets only partly covered by the data (``days`` below the bucket's usual length) are drawn as
    hollow markers so a half week is not read as a drop.

    Parameters:
        df: :func:`opslib.kpi.kpi_trend`. metrics: the columns to draw. x: the x column.
        labels: titles per metric (default ``opslib.kpi.METRIC_LABELS``). ncols: charts per row.

    Returns:
        The Figure.
    """
    metrics = [m for m in metrics if m in df.columns]
    if not metrics:
        raise ValueError("kpi_trend_chart: none of the metrics is a column of the frame")
    ncols = min(ncols, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.5 * ncols, 3.0 * nrows), squeeze=False, sharex=True)
    partial = pd.Series(False, index=df.index)
    if "days" in df.columns and len(df) > 2:
        partial = df["days"] < df["days"].max()
    for i, (ax, m) in enumerate(zip(axes.flat, metrics, strict=False)):
        color = PALETTE[i % len(PALETTE)]
        ax.plot(df[x], df[m], color=color, marker="o", markersize=3.5, linewidth=1.6)
        if partial.any():
            ax.scatter(df.loc[partial, x], df.loc[partial, m], s=40, facecolor="white", edgecolor=color,
                       zorder=3, label="不完整周期 partial")
        ax.set_title(_label(m, labels), fontsize=11)
        ax.yaxis.set_major_formatter(axis_formatter(m))
        ax.set_xlabel("")
        ax.tick_params(axis="x", labelrotation=30)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def decomposition_waterfall(decomp: pd.DataFrame, title: str = "GMV 变化拆解 GMV change decomposition",
                            baseline_label: str = "基期 GMV", current_label: str = "本期 GMV") -> Figure:
    """Waterfall from baseline GMV to current GMV through the drivers of :func:`opslib.kpi.gmv_decomposition`.

    Baseline GMV = product of the drivers' ``baseline`` values (visitors x conversion x AOV), so the
    chart needs nothing but the decomposition frame.
    """
    g0 = float(decomp.attrs.get("gmv_baseline", decomp["baseline"].prod()))
    g1 = float(decomp.attrs.get("gmv_current", decomp["current"].prod()))
    names = [baseline_label, *[str(s) for s in decomp["label"]], current_label]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    running = g0
    ax.bar(0, g0, color=TOTAL)
    ax.text(0, g0, money(g0), ha="center", va="bottom", fontsize=10)
    for i, c in enumerate(decomp["contribution"], start=1):
        c = float(c)
        bottom = running if c >= 0 else running + c
        ax.bar(i, abs(c), bottom=bottom, color=POSITIVE if c >= 0 else NEGATIVE)
        ax.text(i, bottom + abs(c), money(c, signed=True), ha="center", va="bottom", fontsize=10)
        ax.plot([i - 1 + 0.4, i - 0.4], [running, running], color="#999999", linewidth=0.8)
        running += c
    n = len(names) - 1
    ax.plot([n - 1 + 0.4, n - 0.4], [running, running], color="#999999", linewidth=0.8)
    ax.bar(n, g1, color=TOTAL)
    ax.text(n, g1, money(g1), ha="center", va="bottom", fontsize=10)
    ax.set_xticks(range(len(names)), names)
    ax.yaxis.set_major_formatter(axis_formatter("gmv"))
    lo = min(g0, g1, running) * 0.85
    ax.set_ylim(bottom=max(0.0, min(lo, min(g0, g1) - abs(g1 - g0) * 1.5)))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def kpi_cards(comparison: pd.DataFrame, ncols: int = 4, higher_is_worse: Sequence[str] = (
        "return_rate", "cancellation_rate")) -> Figure:
    """KPI cards from :func:`opslib.kpi.compare_periods`: the current value and the change vs baseline.

    Green = better, red = worse; for metrics in ``higher_is_worse`` an increase is red.

    Parameters:
        comparison: :func:`opslib.kpi.compare_periods`. ncols: cards per row.
        higher_is_worse: metrics whose increase is bad (drawn red).

    Returns:
        The Figure.
    """
    n = len(comparison)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 1.7 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, row in zip(axes.flat, comparison.itertuples(index=False), strict=False):
        ax.add_patch(plt.Rectangle((0.02, 0.04), 0.96, 0.92, transform=ax.transAxes, facecolor="#f5f6f8",
                                   edgecolor="#d9dce1"))
        ax.text(0.08, 0.78, row.label, transform=ax.transAxes, fontsize=10, color="#555555")
        ax.text(0.08, 0.44, format_value(row.metric, row.current), transform=ax.transAxes, fontsize=17)
        delta = format_change(row.metric, row.change, row.change_pct)
        good = (row.change >= 0) != (row.metric in higher_is_worse)
        color = "#777777" if pd.isna(row.change) or row.change == 0 else (POSITIVE if good else NEGATIVE)
        ax.text(0.08, 0.14, f"{delta}  vs {format_value(row.metric, row.baseline)}", transform=ax.transAxes,
                fontsize=9.5, color=color)
    title = "本期 vs 对比期"
    if "current" in comparison.attrs:
        title += f"  ({comparison.attrs['current']} vs {comparison.attrs.get('baseline', '')})"
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def category_mix_chart(mix: pd.DataFrame, top: int = 12) -> Figure:
    """Horizontal bars of each category's GMV share (:func:`opslib.kpi.category_mix`), baseline as dots.

    Parameters:
        mix: :func:`opslib.kpi.category_mix`. top: how many categories to draw (largest first).

    Returns:
        The Figure.
    """
    d = mix.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(d) + 1.5))
    ax.barh(d["category"], d["share_current"], color=PALETTE[0], label="本期 current")
    has_base = "share_baseline" in d.columns and d["share_baseline"].notna().any()
    if has_base:
        ax.scatter(d["share_baseline"].fillna(0.0), d["category"], color=TOTAL, zorder=3, label="对比期 baseline")
    base = d["share_baseline"].fillna(0.0) if has_base else d["share_current"]
    for y, (s, b, g) in enumerate(zip(d["share_current"], base, d["gmv_current"], strict=True)):
        ax.text(max(s, b), y, f"  {percent(s)} · {money(g)}", va="center", fontsize=9)
    ax.xaxis.set_major_formatter(axis_formatter("share"))
    ax.set_xlim(0, max(float(d["share_current"].max()), float(base.max())) * 1.3 or 1.0)
    ax.set_title("品类 GMV 占比 Category mix of GMV")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------- tables
def comparison_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`opslib.kpi.compare_periods` for display: label, current, baseline, change (pt for rates).

    Parameters:
        comparison: :func:`opslib.kpi.compare_periods`.

    Returns:
        A display table (strings): metric, current, baseline, change.
    """
    return pd.DataFrame({
        "指标 metric": comparison["label"],
        "本期 current": [format_value(m, v) for m, v in zip(comparison["metric"], comparison["current"], strict=True)],
        "对比期 baseline": [format_value(m, v) for m, v in zip(comparison["metric"], comparison["baseline"], strict=True)],
        "变化 change": [format_change(m, c, p) for m, c, p in
                        zip(comparison["metric"], comparison["change"], comparison["change_pct"], strict=True)],
    })


def decomposition_table(decomp: pd.DataFrame) -> pd.DataFrame | Note:
    """:func:`opslib.kpi.gmv_decomposition` for display: each driver's values, contribution and share.

    Parameters:
        decomp: :func:`opslib.kpi.gmv_decomposition` (``GmvChange.summary()``).

    Returns:
        A display table (strings); a note when the decomposition was skipped.
    """
    if decomp is None or len(decomp) == 0:
        return Note("(no decomposition: see the reason above)")
    return pd.DataFrame({
        "驱动 driver": decomp["label"],
        "对比期 baseline": [format_value(m, v) for m, v in zip(decomp["driver"], decomp["baseline"], strict=True)],
        "本期 current": [format_value(m, v) for m, v in zip(decomp["driver"], decomp["current"], strict=True)],
        "贡献 contribution": [money(x, signed=True) for x in decomp["contribution"]],
        "占比 share": [percent(x) for x in decomp["share"]],
    })


def category_mix_table(mix: pd.DataFrame) -> pd.DataFrame:
    """:func:`opslib.kpi.category_mix` for display: GMV and share now and then, share change in points.

    Parameters:
        mix: :func:`opslib.kpi.category_mix`.

    Returns:
        A display table (strings).
    """
    cols = [c for c in ("category", "gmv_current", "share_current", "gmv_baseline", "share_change",
                        "gmv_change_pct") if c in mix.columns]
    return format_table(mix[cols], money=[c for c in ("gmv_current", "gmv_baseline") if c in cols],
                        percent=[c for c in ("share_current", "gmv_change_pct") if c in cols],
                        points=[c for c in ("share_change",) if c in cols],
                        signed=[c for c in ("gmv_change_pct",) if c in cols],
                        labels={"category": "品类 category", "gmv_current": "本期 GMV", "share_current": "本期占比 share",
                                "gmv_baseline": "对比期 GMV", "share_change": "占比变化 share change",
                                "gmv_change_pct": "GMV 增长 growth"})


# ------------------------------------------------------------------------------------------ summary
#: KPIs shown as tiles in the overview's executive summary (those present in the comparison).
SUMMARY_TILES: tuple[str, ...] = ("gmv", "orders", "aov", "conversion_rate", "return_rate")
_WORSE_WHEN_UP = ("return_rate", "cancellation_rate")


def summarise_overview(summary: Any, comparison: pd.DataFrame, change: Any = None,
                       mix: pd.DataFrame | None = None) -> Any:
    """Fill the overview's executive summary: KPI tiles, a verdict on GMV, its biggest driver and the mix, actions.

    Rules: one tile per metric of ``SUMMARY_TILES`` found in ``comparison`` (green when it moved the good way);
    the GMV verdict states the change; with a decomposition (``opslib.kpi.GmvChange``) the driver with the most
    negative contribution becomes an action for its owner (``opslib.kpi.DRIVER_OWNERS``) when GMV fell or that
    driver took more than 1% of baseline GMV; with the category mix, the category that lost most share while its
    GMV fell becomes an action for the category team.

    Parameters:
        summary: an ``opslib.reporting.ExecutiveSummary``. comparison: ``opslib.kpi.compare_periods``.
        change: ``opslib.kpi.gmv_change`` (or None). mix: ``opslib.kpi.category_mix`` (or None).

    Returns:
        The summary (filled in place).
    """
    from opslib.kpi import DRIVER_OWNERS

    rows = comparison.set_index("metric")
    for m in SUMMARY_TILES:
        if m not in rows.index:
            continue
        r = rows.loc[m]
        good = None if pd.isna(r["change"]) or r["change"] == 0 else (r["change"] > 0) != (m in _WORSE_WHEN_UP)
        summary.tile(str(r["label"]), format_value(m, r["current"]),
                     f"{format_change(m, r['change'], r['change_pct'])} vs {format_value(m, r['baseline'])}",
                     good=good, metric=m, raw=float(r["current"]))
    if "gmv" in rows.index:
        g = rows.loc["gmv"]
        direction = "grew" if g["change"] > 0 else "fell" if g["change"] < 0 else "did not change"
        summary.verdict(f"GMV {direction} {percent(abs(g['change_pct']))} to {money(g['current'])} "
                        f"({money(g['change'], signed=True)} vs the baseline).")
    decomp = None if change is None or getattr(change, "decomposition", None) is None else change.decomposition
    if decomp is not None and len(decomp):
        worst = decomp.loc[decomp["contribution"].idxmin()]
        best = decomp.loc[decomp["contribution"].idxmax()]
        summary.verdict(f"Biggest driver: {best['label']} {money(best['contribution'], signed=True)}; "
                        f"weakest: {worst['label']} {money(worst['contribution'], signed=True)}.")
        base = float(decomp.attrs.get("gmv_baseline", 0.0)) or 1.0
        if worst["contribution"] < 0 and (decomp.attrs.get("change", 0) < 0 or -worst["contribution"] > 0.01 * base):
            owner, what = DRIVER_OWNERS.get(str(worst["driver"]), ("运营 operations", "find the cause"))
            summary.action(owner, f"{worst['label']} cost {money(-worst['contribution'])} of GMV: {what}.",
                           key=f"driver:{worst['driver']}")
    if mix is not None and "share_change" in mix.columns and len(mix):
        losing = mix[(mix["share_change"] < 0) & (mix["gmv_change_pct"] < 0)]
        if len(losing):
            c = losing.loc[losing["share_change"].idxmin()]
            summary.action("品类 category", f"{c['category']} lost {abs(c['share_change']) * 100:.1f} pt of share "
                           f"(GMV {percent(c['gmv_change_pct'], signed=True)}): review it in 01 category optimisation.",
                           key=f"category:{c['category']}")
    return summary
