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
    """``opslib.assortment.price_bands`` for display: bands as money ranges (the lowest and highest average price of
    the band's SKUs, never the raw interval ``(7.263, 46.796]``), shares and margin rate as %.

    Parameters:
        bands: :func:`opslib.assortment.price_bands`.

    Returns:
        A display table (strings).
    """
    t = bands[["band", "skus", "gmv", "gmv_share", "gross_margin", "margin_share", "margin_rate"]].copy()
    if {"price_min", "price_max"} <= set(bands.columns):  # the band's own prices, as money: ¥51.90–¥131.10
        t["band"] = [f"{money(lo)}–{money(hi)}" for lo, hi in zip(bands["price_min"], bands["price_max"], strict=True)]
    else:
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


def _with_products(actions: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame:
    """Action rows with the product's name and brand, and its category where the scorecard has none."""
    if products is None or "sku" not in actions.columns:
        return actions
    info = products.drop_duplicates("sku").set_index("sku")
    out = actions.copy()
    for col in ("name", "brand", "category", "subcategory"):
        if col in info.columns:
            known = out["sku"].map(info[col])
            out[col] = out[col].where(out[col].notna(), known) if col in out.columns else known
    return out


def actions_table(actions: pd.DataFrame, products: pd.DataFrame | None = None,
                  columns: Sequence[str] = ("action", "sku", "name", "category", "subcategory", "abc", "gmv",
                                            "rule")) -> pd.DataFrame:
    """Action-list rows for display (GMV as money), e.g. ``opslib.assortment.top_actions``, with the product's name
    (and its category when the scorecard lacks it, e.g. dead stock that did not sell) from ``products``.

    Parameters:
        actions: action rows. products: the shop's products (or None). columns: the columns shown (those present).

    Returns:
        A display table (strings).
    """
    rows = _with_products(actions, products)
    cols = [c for c in columns if c in rows.columns]
    return format_table(rows[cols], money=[c for c in ("gmv", "gross_margin") if c in cols])


#: The action list as teams get it: column -> (header in Chinese and English, kind of number). Owner and status are
#: for the team to work with (status starts as "待处理 open" and has a drop-down list in the xlsx).
ACTION_EXPORT: dict[str, tuple[str, str]] = {
    "action_label": ("行动 action", "text"), "owner": ("负责人 owner", "text"), "status": ("状态 status", "text"),
    "sku": ("商品编码 SKU", "text"), "name": ("商品名称 product name", "text"), "brand": ("品牌 brand", "text"),
    "category": ("品类 category", "text"), "subcategory": ("子类 subcategory", "text"),
    "abc": ("ABC (GMV)", "text"), "abc_margin": ("ABC (毛利 margin)", "text"), "xyz": ("XYZ 需求稳定性", "text"),
    "gmv": ("成交额 GMV", "money"), "gross_margin": ("毛利 gross margin", "money"),
    "margin_rate": ("毛利率 margin rate", "percent"), "growth": ("增长 growth", "percent"),
    "on_hand": ("库存 on hand", "units"), "days_of_supply": ("可售天数 days of supply", "decimal"),
    "stockout_days": ("缺货天数 stock-out days", "units"), "rule": ("规则 rule", "text"),
    "note": ("备注 note", "text"),
}
#: The statuses a team picks from in the exported action list.
STATUSES: tuple[str, ...] = ("待处理 open", "进行中 in progress", "已完成 done", "不处理 won't do")


def action_export_table(actions: pd.DataFrame, products: pd.DataFrame | None = None) -> pd.DataFrame:
    """The action list for the teams: every SKU with an action (``keep`` left out), its owner, an open status,
    the product's name and brand, the numbers behind the rule; raw numbers (the xlsx formats them).

    Parameters:
        actions: ``opslib.assortment.action_table``. products: the shop's products (names, brands), or None.

    Returns:
        One row per SKU to act on, columns in :data:`ACTION_EXPORT` order (those available), sorted as
        ``action_table`` sorts (by action, then GMV); infinite days of supply (no demand) as NaN.

    Example:
        >>> a = pd.DataFrame({"sku": ["a", "b"], "action": ["replenish", "keep"], "action_cn": ["补货", "维持"],
        ...                   "gmv": [10.0, 5.0], "rule": ["A 类且缺货", ""]})
        >>> action_export_table(a)[["action_label", "owner", "status", "sku"]].values.tolist()
        [['补货 replenish', '采购 purchasing', '待处理 open', 'a']]
    """
    rows = _with_products(actions[actions["action"] != "keep"].reset_index(drop=True), products)
    rows["action_label"] = (rows["action_cn"].astype(str) + " " if "action_cn" in rows.columns else "") + rows["action"]
    rows["owner"] = rows["action"].map(ACTION_OWNERS).fillna("")
    rows["status"] = STATUSES[0]
    rows["note"] = ""
    if "days_of_supply" in rows.columns:
        rows["days_of_supply"] = rows["days_of_supply"].replace([np.inf, -np.inf], np.nan)
    return rows[[c for c in ACTION_EXPORT if c in rows.columns]]


def export_actions(actions: pd.DataFrame, products: pd.DataFrame | None, folder: Any, name: str) -> Any:
    """Write the action list for the teams (:func:`action_export_table`) as xlsx and CSV, and show links to them.

    The xlsx has Chinese and English headers, money in the shop's currency, rates as %, whole units, a frozen
    header with a filter, and a status drop-down (:data:`STATUSES`); every file goes through
    ``opslib.reporting.exports.write_table`` (formula-safe cells, a safe file name inside ``folder``).

    Parameters:
        actions: ``opslib.assortment.action_table``. products: the shop's products, or None.
        folder: the export folder (the report's own folder when run by the report runner); None writes nothing.
        name: the file name without suffix (may hold a category).

    Returns:
        ``opslib.reporting.ExportedFiles`` (links in HTML), or a :class:`~opslib.plotting.format.Note` when
        ``folder`` is None.
    """
    from opslib.plotting.format import Note
    from opslib.reporting.exports import exported, write_table

    if folder is None:
        return Note("(no export: set export_dir to write the action list as Excel and CSV)")
    table = action_export_table(actions, products)
    headers = {c: ACTION_EXPORT[c][0] for c in table.columns}
    kinds = {c: ACTION_EXPORT[c][1] for c in table.columns}
    paths = write_table(table, folder, name, formats=("xlsx", "csv"), sheet="actions", headers=headers, kinds=kinds,
                        choices={"status": STATUSES})
    return exported(paths)


# --------------------------------------------------------------------------------------------- summary
#: Who acts on each action list of the review.
ACTION_OWNERS: dict[str, str] = {"replenish": "采购 purchasing", "fix": "品类/定价 category & pricing",
                                 "grow": "市场/内容 marketing & content", "drop": "品类会议 assortment meeting",
                                 "clear": "品类会议 assortment meeting"}


def _baseline_totals(scope: Any) -> tuple[float | None, int | None]:
    """GMV and SKUs sold in the review's baseline period (None when the scope's cube has no day in it)."""
    cube, base = scope.cube, scope.periods.baseline
    if cube is None or not len(cube) or "date" not in cube.columns:
        return None, None
    part = cube[(cube["date"] >= base.start) & (cube["date"] <= base.end)]
    if not len(part):
        return None, None
    sold = int(part.loc[part["gmv"] > 0, "sku"].nunique()) if "sku" in part.columns else None
    return float(part["gmv"].sum()), sold


def _vs(now: float, before: float | None, fmt: Any) -> str | None:
    if before is None:
        return None
    change = percent(now / before - 1, signed=True) if before else "new"
    return f"{change} vs {fmt(before)}"


def _better(now: float, before: float | None) -> bool | None:
    return None if before is None or now == before else now > before


def summarise_review(summary: Any, scope: Any, top_share: float, threshold: float, actions: pd.DataFrame,
                     stock: Any = None, margins: pd.DataFrame | None = None) -> Any:
    """Fill the assortment review's executive summary: GMV, SKUs, concentration, margin, stock, the action lists.

    Tiles: GMV and SKUs sold in the period (with the change vs the baseline period: its GMV = Σ gmv of the scope's
    daily cube over the baseline days, its SKUs sold = SKUs with gmv > 0 there), the share of SKUs making ``threshold`` of GMV, the margin rate
    (gross margin / net sales of SKUs with a cost), lost GMV from stock-outs (with inventory). One action per
    non-empty list (replenish, fix, grow, drop, clear) for its owner (``ACTION_OWNERS``) with its SKU count and GMV;
    the list's name is the action's key and its SKUs its items, so the next report says which SKUs joined or left.

    Parameters:
        summary: an ``opslib.reporting.ExecutiveSummary``. scope: ``opslib.assortment.review_scope``.
        top_share, threshold: ``share_of_skus_for`` and the A threshold. actions: ``action_table``.
        stock: ``review_inventory`` (or None). margins: ``margin_structure`` (or None).

    Returns:
        The summary (filled in place).
    """
    skus = scope.skus
    gmv, sold = float(skus["gmv"].sum()), len(skus)
    base_gmv, base_sold = _baseline_totals(scope)
    summary.tile("GMV 成交额", money(gmv), _vs(gmv, base_gmv, money), good=_better(gmv, base_gmv), metric="gmv",
                 raw=gmv)
    summary.tile("动销 SKU sold", f"{sold:,}", _vs(sold, base_sold, lambda v: f"{v:,.0f}"),
                 good=_better(sold, base_sold), metric="skus", raw=float(sold))
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
                           f"first {top}.", key=name, items=part["sku"].astype(str).tolist())
    return summary
