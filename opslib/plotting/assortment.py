"""Charts and tables of the assortment review (notebook 01): Pareto, ABC x XYZ, growth-share, margins, stock,
launches and the action lists.

Every function takes the frames of ``opslib.assortment`` and returns a Figure or a display table (strings).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from opslib.plotting.format import format_table, money, percent
from opslib.plotting.theme import NEGATIVE

_PCT0 = FuncFormatter(lambda v, _: percent(v, 0))


# --------------------------------------------------------------------------------------------- charts
def pareto_chart(curve_gmv: pd.DataFrame, curve_margin: pd.DataFrame | None, threshold: float,
                 top_share: float) -> Figure:
    """Cumulative share of value against cumulative share of SKUs (``opslib.assortment.pareto_curve``).

    ``threshold`` (e.g. 0.8) is drawn as a dashed line; ``top_share`` (the share of SKUs that reaches it) dotted.

    Parameters:
        curve_gmv, curve_margin: :func:`opslib.assortment.pareto_curve` by GMV and margin (or None).
        threshold: the A limit. top_share: the share of SKUs that reaches it.

    Returns:
        The Figure.
    """
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.plot(curve_gmv["cum_sku_share"], curve_gmv["cum_value_share"], label="GMV")
    if curve_margin is not None and len(curve_margin):
        ax.plot(curve_margin["cum_sku_share"], curve_margin["cum_value_share"], label="毛利 gross margin")
    ax.axhline(threshold, ls="--", c="grey", lw=1)
    ax.axvline(top_share, ls=":", c="grey", lw=1)
    ax.xaxis.set_major_formatter(_PCT0)
    ax.yaxis.set_major_formatter(_PCT0)
    ax.set(xlabel="SKU 累计占比 cumulative share of SKUs", ylabel="累计占比 cumulative share",
           title=f"帕累托曲线 Pareto curve: {percent(top_share)} of SKUs make {percent(threshold, 0)} of GMV")
    ax.legend()
    fig.tight_layout()
    return fig


def abc_xyz_heatmap(matrix: pd.DataFrame) -> Figure:
    """Share of GMV and SKU count per ABC x XYZ cell (``opslib.assortment.abc_xyz_matrix``).

    Parameters:
        matrix: :func:`opslib.assortment.abc_xyz_matrix`.

    Returns:
        The Figure.
    """
    share = matrix.pivot(index="abc", columns="xyz", values="gmv_share")
    count = matrix.pivot(index="abc", columns="xyz", values="skus")
    labels = share.map(percent) + "\n" + count.astype(int).astype(str) + " SKU"
    fig, ax = plt.subplots(figsize=(6, 4.5))
    sns.heatmap(share, annot=labels, fmt="", cmap="Blues", cbar=False, ax=ax)
    ax.set(title="ABC × XYZ: GMV 占比 share of GMV and SKU count", xlabel="XYZ (需求稳定性 predictability)",
           ylabel="ABC (GMV)")
    fig.tight_layout()
    return fig


def growth_share_chart(bcg: pd.DataFrame, level: str, compare: str = "last_year", value: str = "gmv") -> Figure:
    """The growth-share (BCG) bubbles of ``opslib.assortment.growth_share``: relative share (log) x growth.

    A group alone in its parent (relative share +inf) or new (growth +inf) is drawn at the chart's edge.
    Bubble sizes are GMV; the legend shows money, not raw numbers.

    Parameters:
        bcg: :func:`opslib.assortment.growth_share`. level: its group column. compare: the baseline's name.
        value: the value column.

    Returns:
        The Figure.
    """
    plot = bcg.replace([np.inf, -np.inf], np.nan)
    finite = plot["relative_share"].dropna()
    plot["relative_share"] = plot["relative_share"].fillna(finite.max() * 1.5 if len(finite) else 2.0)
    growth = plot["growth"].dropna()
    plot["growth"] = plot["growth"].fillna(growth.max() if len(growth) else 0.0)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    sizes = plot[value].to_numpy(dtype=float)
    area = 60 + 840 * (sizes / sizes.max() if sizes.max() > 0 else sizes)
    for quadrant, part in plot.groupby("quadrant"):
        ax.scatter(part["relative_share"], part["growth"], s=area[plot.index.get_indexer(part.index)], alpha=0.7,
                   label=str(quadrant))
    for r in plot.itertuples():
        ax.annotate(str(getattr(r, level)), (r.relative_share, r.growth), ha="center", va="center", fontsize=9)
    ax.set_xscale("log")
    ax.axvline(1.0, c="grey", lw=1, ls="--")
    ax.axhline(0.0, c="grey", lw=1, ls="--")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: percent(v, 0, signed=True)))
    big = plot.loc[plot[value].idxmax()] if len(plot) else None
    note = f" (largest bubble {money(big[value])})" if big is not None else ""
    ax.set(xlabel="相对份额 relative share (log)", ylabel=f"增长 growth vs {compare}",
           title=f"增长-份额矩阵 Growth-share matrix{note}")
    ax.legend(bbox_to_anchor=(1.02, 1), loc="upper left", fontsize=8, markerscale=0.4)
    fig.tight_layout()
    return fig


def margin_chart(margins: pd.DataFrame) -> Figure:
    """Margin, discount and return rates, and GMV share vs margin contribution, per group
    (``opslib.assortment.margin_structure``).

    Parameters:
        margins: :func:`opslib.assortment.margin_structure`.

    Returns:
        The Figure.
    """
    key = margins.columns[0]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    rates = margins.melt(id_vars=key, value_vars=["margin_rate", "discount_rate", "return_rate"],
                         var_name="measure", value_name="rate")
    sns.barplot(data=rates, x=key, y="rate", hue="measure", ax=axes[0])
    axes[0].set(title="毛利率、折扣率、退货率 margin, discount and return rates", xlabel="", ylabel="")
    shares = margins.melt(id_vars=key, value_vars=["gmv_share", "contribution"], var_name="measure",
                          value_name="share")
    sns.barplot(data=shares, x=key, y="share", hue="measure", ax=axes[1])
    axes[1].set(title="GMV 占比 vs 毛利贡献 GMV share vs margin contribution", xlabel="", ylabel="")
    for ax in axes:
        ax.yaxis.set_major_formatter(_PCT0)
    fig.tight_layout()
    return fig


def days_of_supply_chart(health: pd.DataFrame, cap: float = 180.0, warn_days: float = 14.0) -> Figure:
    """Histogram of days of supply of the SKUs with stock (``opslib.assortment.inventory.inventory_health``),
    capped at ``cap``; the red line marks ``warn_days``.

    Parameters:
        health: ``inventory_health``. cap: days drawn at most. warn_days: the red line.

    Returns:
        The Figure.
    """
    dos = health.loc[health["on_hand"] > 0, "days_of_supply"].clip(upper=cap)
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.hist(dos.dropna(), bins=36)
    ax.axvline(warn_days, c=NEGATIVE, ls="--", lw=1)
    ax.set(xlabel=f"可售天数 days of supply (capped at {cap:g})", ylabel="SKU",
           title="库存可售天数分布 Days of supply at the period end")
    fig.tight_layout()
    return fig


def launch_curves_chart(cohorts: pd.DataFrame) -> Figure:
    """Weekly units per SKU by weeks since launch, one line per launch cohort (``opslib.assortment.launch_cohorts``).

    Parameters:
        cohorts: :func:`opslib.assortment.launch_cohorts`.

    Returns:
        The Figure.
    """
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for cohort, part in cohorts.groupby("cohort"):
        ax.plot(part["weeks_since_launch"], part["units_per_sku"], label=str(cohort))
    ax.set(xlabel="上市周数 weeks since launch", ylabel="每 SKU 周销量 weekly units per SKU",
           title="新品上市曲线 Launch-cohort sales curves")
    ax.legend(title="launch quarter", bbox_to_anchor=(1.02, 1), loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------- tables
def abc_table(summary: pd.DataFrame) -> pd.DataFrame:
    """``opslib.assortment.abc_summary`` for display: SKUs, GMV, share of GMV and of SKUs per class.

    Parameters:
        summary: :func:`opslib.assortment.abc_summary`.

    Returns:
        A display table (strings).
    """
    return format_table(summary, money=["gmv"], percent=[c for c in ("share", "sku_share") if c in summary.columns])


def growth_share_table(bcg: pd.DataFrame, level: str, value: str = "gmv") -> pd.DataFrame:
    """The growth-share groups for display: GMV now and then, growth, share, relative share, quadrant.

    Parameters:
        bcg: :func:`opslib.assortment.growth_share`. level: its group column. value: the value column.

    Returns:
        A display table (strings); growth from nothing shows as ``new``, a group alone as ``alone``.
    """
    cols = [level, value, f"{value}_prev", "growth", "share", "relative_share", "quadrant"]
    t = bcg[cols].replace([np.inf], np.nan)
    out = format_table(t, money=[value, f"{value}_prev"], percent=["growth", "share"], signed=["growth"],
                       labels={level: level, value: "GMV", f"{value}_prev": "GMV baseline", "growth": "增长 growth",
                               "share": "份额 share", "relative_share": "相对份额 relative share",
                               "quadrant": "象限 quadrant"})
    new = np.isinf(bcg["growth"].to_numpy(dtype=float))
    out.loc[new, "增长 growth"] = "new"
    alone = np.isinf(bcg["relative_share"].to_numpy(dtype=float))
    out.loc[alone, "相对份额 relative share"] = "alone"
    return out


def margin_table(margins: pd.DataFrame) -> pd.DataFrame:
    """``opslib.assortment.margin_structure`` for display (money and rates).

    Parameters:
        margins: :func:`opslib.assortment.margin_structure`.

    Returns:
        A display table (strings).
    """
    money_cols = [c for c in ("list_value", "discount", "gmv", "returns", "net_sales", "cost", "gross_margin")
                  if c in margins.columns]
    rate_cols = [c for c in ("discount_rate", "return_rate", "margin_rate", "cost_coverage", "gmv_share",
                             "contribution") if c in margins.columns]
    return format_table(margins[[margins.columns[0], *money_cols, *rate_cols]], money=money_cols, percent=rate_cols)


def _band_label(band: object) -> str:
    """A price band interval as money: ``(7.263, 46.796]`` -> ``¥7.26–¥46.80``."""
    if isinstance(band, pd.Interval):
        return f"{money(max(band.left, 0.0))}–{money(band.right)}"
    return str(band)


def price_band_table(bands: pd.DataFrame) -> pd.DataFrame:
    """``opslib.assortment.price_bands`` for display: bands as money ranges, shares and margin rate as %.

    Parameters:
        bands: :func:`opslib.assortment.price_bands`.

    Returns:
        A display table (strings).
    """
    t = bands[["band", "skus", "gmv", "gmv_share", "gross_margin", "margin_share", "margin_rate"]].copy()
    t["band"] = [_band_label(b) for b in t["band"]]
    return format_table(t, money=["gmv", "gross_margin"], units=["skus"],
                        percent=["gmv_share", "margin_share", "margin_rate"],
                        labels={"band": "价格带 price band"})


def lost_sales_table(lost: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The spells (or groups) that lost the most, for display: days, lost units (whole), lost value.

    Parameters:
        lost: ``lost_sales`` or ``lost_sales_by``. top: rows shown, largest lost value first.

    Returns:
        A display table (strings).
    """
    t = lost.sort_values("lost_value", ascending=False).head(top).reset_index(drop=True)
    return format_table(t, empty="(no stock-out spells in the period)", money=[c for c in ("lost_value", "value_per_day") if c in t.columns],
                        units=[c for c in ("lost_units", "days", "spells", "stockout_days", "units_per_day",
                                           "sold_units") if c in t.columns])


def launch_ramp_table(ramp: pd.DataFrame) -> pd.DataFrame:
    """``opslib.assortment.launch_ramp_summary`` for display.

    Parameters:
        ramp: :func:`opslib.assortment.launch_ramp_summary`.

    Returns:
        A display table (strings).
    """
    return format_table(ramp, percent=[c for c in ("reached",) if c in ramp.columns], empty="(no new SKUs to follow)")


def action_counts_table(counts: pd.DataFrame) -> pd.DataFrame:
    """``opslib.assortment.action_summary`` for display: SKUs and GMV per action.

    Parameters:
        counts: :func:`opslib.assortment.action_summary`.

    Returns:
        A display table (strings).
    """
    return format_table(counts.reset_index(), money=["gmv"], units=["skus"])


def actions_table(actions: pd.DataFrame, columns: Sequence[str] = ("action", "sku", "category", "subcategory",
                                                                    "abc", "gmv", "rule")) -> pd.DataFrame:
    """Action-list rows for display (GMV as money), e.g. ``opslib.assortment.top_actions``.

    Parameters:
        actions: action rows. columns: the columns shown (those present).

    Returns:
        A display table (strings).
    """
    cols = [c for c in columns if c in actions.columns]
    return format_table(actions[cols], money=[c for c in ("gmv", "gross_margin") if c in cols])


# --------------------------------------------------------------------------------------------- summary
#: Who acts on each action list of the review.
ACTION_OWNERS: dict[str, str] = {"replenish": "采购 purchasing", "fix": "品类/定价 category & pricing",
                                 "grow": "市场/内容 marketing & content", "drop": "品类会议 assortment meeting",
                                 "clear": "品类会议 assortment meeting"}


def summarise_review(summary: Any, scope: Any, top_share: float, threshold: float, actions: pd.DataFrame,
                     stock: Any = None, margins: pd.DataFrame | None = None) -> Any:
    """Fill the assortment review's executive summary: GMV, SKUs, concentration, margin, stock, the action lists.

    Tiles: GMV and SKUs sold in the period, the share of SKUs making ``threshold`` of GMV, the margin rate
    (gross margin / net sales of SKUs with a cost), lost GMV from stock-outs (with inventory). One action per
    non-empty list (replenish, fix, grow, drop, clear) for its owner (``ACTION_OWNERS``) with its SKU count and GMV.

    Parameters:
        summary: an ``opslib.reporting.ExecutiveSummary``. scope: ``opslib.assortment.review_scope``.
        top_share, threshold: ``share_of_skus_for`` and the A threshold. actions: ``action_table``.
        stock: ``review_inventory`` (or None). margins: ``margin_structure`` (or None).

    Returns:
        The summary (filled in place).
    """
    skus = scope.skus
    summary.tile("GMV 成交额", money(skus["gmv"].sum()), metric="gmv", raw=float(skus["gmv"].sum()))
    summary.tile("动销 SKU sold", f"{len(skus):,}", metric="skus", raw=float(len(skus)))
    summary.tile(f"{percent(threshold, 0)} GMV 的 SKU 占比", percent(top_share), metric="concentration",
                 raw=float(top_share))
    if "gross_margin" in skus.columns and "net_sales" in skus.columns:
        known = skus[skus["gross_margin"].notna()]
        ns = float(known["net_sales"].sum())
        if ns > 0:
            rate = float(known["gross_margin"].sum()) / ns
            summary.tile("毛利率 margin rate", percent(rate), metric="margin_rate", raw=rate)
    if stock is not None and getattr(stock, "lost", None) is not None:
        lost = float(stock.lost["lost_value"].sum())
        summary.tile("缺货损失 lost to stock-outs", money(lost), good=None if lost == 0 else False,
                     metric="lost_value", raw=lost)
    summary.verdict(f"{percent(top_share)} of the SKUs make {percent(threshold, 0)} of GMV in {scope.periods.current}.")
    if margins is not None and len(margins) and "contribution" in margins.columns:
        key = margins.columns[0]
        gap = (margins["contribution"] - margins["gmv_share"])
        low = margins.loc[gap.idxmin()]
        if gap.min() < -0.02:
            summary.verdict(f"{low[key]} earns less than its size: {percent(low['gmv_share'])} of GMV but "
                            f"{percent(low['contribution'])} of the margin.")
    for name in ("replenish", "fix", "grow", "drop", "clear"):
        part = actions[actions["action"] == name]
        if len(part):
            top = ", ".join(part["sku"].astype(str).head(3))
            summary.action(ACTION_OWNERS[name], f"{name} {len(part):,} SKUs ({money(part['gmv'].sum())} GMV), "
                           f"first {top}.", key=f"{name}:{len(part)}")
    return summary
