"""Charts and tables of the pricing review (notebook 07): elasticities, price decisions, the cost waterfall,
product structure, trends, the market, price wars and the campaign plan; and the executive summary's filler.

Every function takes the results of ``opslib.pricing`` and returns a Figure or a display table (strings). A chart
with nothing to draw prints why and returns None, so the notebook cell stays one line.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from opslib.plotting.format import Note, format_table, money, percent, units
from opslib.plotting.theme import NEGATIVE, PALETTE, POSITIVE, TOTAL

_PCT0 = FuncFormatter(lambda v, _: percent(v, 0))
_GREY = "#949494"


def _nothing(reason: str) -> None:
    print(reason)
    return None


# ------------------------------------------------------------------------------------------- elasticity
def elasticity_chart(review: Any, truth: dict[str, float] | None = None) -> Figure | None:
    """Forest plot of the elasticities: estimate and interval per group, usable ones in colour, others grey.

    Parameters:
        review: :class:`opslib.pricing.ElasticityReview`. truth: planted values per group (drawn as ``x``).

    Returns:
        The Figure, or None (and the reason printed) when no group was measured.
    """
    t = review.table
    m = t[np.isfinite(t["elasticity"].astype(float))].sort_values("elasticity")
    if m.empty:
        return _nothing(f"没有可估计的弹性 No elasticity could be measured: {review.reason or 'too little data'}")
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(m) + 1.6))
    y = np.arange(len(m))
    for i, r in enumerate(m.itertuples(index=False)):
        color = PALETTE[0] if r.usable else _GREY
        ax.plot([r.low, r.high], [i, i], color=color, lw=2.2)
        ax.scatter([r.elasticity], [i], color=color, zorder=3, s=30)
    if truth:
        tv = [truth.get(str(g), np.nan) for g in m[review.by]]
        ax.scatter(tv, y, marker="x", color=NEGATIVE, zorder=4, label="planted 真实值")
        ax.legend(loc="lower right")
    ax.axvline(0, color=TOTAL, lw=0.8)
    ax.axvline(-1, color=_GREY, lw=0.8, ls="--")
    ax.set_yticks(y, [str(g) for g in m[review.by]])
    ax.set_xlabel(f"价格弹性 price elasticity ({review.level:.0%} interval; grey = not usable)")
    ax.set_title("价格弹性 Price elasticity (-1 = unit elastic)")
    fig.tight_layout()
    return fig


def elasticity_table(review: Any) -> pd.DataFrame | Note:
    """The elasticity review for display: estimate, interval, its width, SKUs, cross-price effect, usable, why.

    Parameters:
        review: :class:`opslib.pricing.ElasticityReview`.

    Returns:
        A display table (strings).
    """
    t = review.table.copy()
    cols = [review.by, "elasticity", "low", "high", "relative_width", "n_skus", "units_share"]
    if "cross_elasticity" in t:
        t["cross"] = np.where(t.get("cross_identified", False).astype(bool), t["cross_elasticity"], np.nan)
        cols.append("cross")
    cols += ["usable", "why"]
    return format_table(t[cols], percent=["relative_width", "units_share"], units=["n_skus"], signed=["cross"]
                        if "cross" in cols else (),
                        labels={"elasticity": "弹性 elasticity", "relative_width": "± width", "n_skus": "SKUs",
                                "units_share": "units covered", "cross": "交叉 cross (identified)",
                                "usable": "可用 usable", "why": "why not"})


# ------------------------------------------------------------------------------------------- decisions
def decisions_table(decisions: Any) -> pd.DataFrame | Note:
    """Price decisions for display: elasticity, margin now and target, the move within bounds, its effect.

    Parameters:
        decisions: :class:`opslib.pricing.PriceDecisions`.

    Returns:
        A display table (strings).
    """
    t = decisions.table
    cols = [decisions.by, "elasticity", "regime", "margin_now", "margin_target", "price_change", "bound",
            "units_change", "profit_change", "decision"]
    t = t[[c for c in cols if c in t.columns]]
    return format_table(t, percent=[c for c in ("margin_now", "margin_target", "price_change", "units_change",
                                                "profit_change") if c in t.columns],
                        signed=[c for c in ("price_change", "units_change", "profit_change") if c in t.columns],
                        labels={"margin_now": "毛利率 margin now", "margin_target": "目标 -1/e",
                                "price_change": "调价 price move", "units_change": "销量 units",
                                "profit_change": "毛利 profit", "decision": "建议 decision"},
                        empty="(no category with a usable elasticity and costs: no price decision)")


def profit_curves_chart(decisions: Any, ncols: int = 3) -> Figure | None:
    """Profit index against price index per group (today = 1), the allowed range and the bounded optimum.

    Parameters:
        decisions: :class:`opslib.pricing.PriceDecisions`. ncols: charts per row.

    Returns:
        The Figure, or None (reason printed) without a group that has an elasticity and costs.
    """
    from opslib.pricing import profit_curve

    t = decisions.table
    ok = t[np.isfinite(t["elasticity"].astype(float)) & (t["elasticity"] < 0) & np.isfinite(t["cost_ratio"])
           & t["price_change"].notna()] if "price_change" in t else t.iloc[0:0]
    if ok.empty:
        return _nothing("没有利润曲线 No profit curve: no category with a usable elasticity and unit costs")
    n = len(ok)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), squeeze=False)
    lo, hi = 1 - decisions.max_decrease, 1 + decisions.max_increase
    for ax, r in zip(axes.flat, ok.itertuples(index=False), strict=False):
        cr, e = float(r.cost_ratio), float(r.elasticity)
        cur = profit_curve(e, cr, 1.0, 1.0, lower=max(lo - 0.1, 0.05), upper=hi + 0.1)
        base = 1 - cr if 1 - cr > 0 else 1.0
        ax.plot(cur["price"], cur["profit"] / base, color=PALETTE[0])
        ax.axvspan(lo, hi, color=_GREY, alpha=0.12)
        k = 1 + float(r.price_change)
        ax.scatter([1.0, k], [1.0, (k - cr) * k ** e / base], color=[TOTAL, NEGATIVE], zorder=3)
        ax.axhline(1.0, color=_GREY, lw=0.7, ls=":")
        ax.set_title(f"{getattr(r, decisions.by)}: e = {e:.2f}, move {k - 1:+.0%}", fontsize=10)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2f}"))
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.supxlabel("价格指数 price index (today = 1; grey: allowed range)")
    fig.supylabel("毛利指数 profit index")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------- costs
def cost_waterfall_chart(cs: Any, group: str | None = None, per_order: bool = False) -> Figure:
    """The contribution-margin waterfall: list value, minus each cost, down to the contribution.

    Parameters:
        cs: :class:`opslib.pricing.CostStructure`. group: a category (None: the whole scope).
        per_order: amounts per order instead of totals.

    Returns:
        The Figure (assumed rates marked with ``*`` under their bar).
    """
    steps = cs.steps(group, per_order=per_order)
    fig, ax = plt.subplots(figsize=(11, 4.6))
    running = 0.0
    for i, s in enumerate(steps.itertuples(index=False)):
        v = float(s.amount)
        if s.kind in ("start", "subtotal"):
            ax.bar(i, v, color=TOTAL if v >= 0 else NEGATIVE)
            running = v
            top = v
        else:
            ax.bar(i, -v, bottom=running, color=NEGATIVE if v >= 0 else POSITIVE)
            top = running
            running -= v
        ax.text(i, top, money(v if s.kind != "minus" else -v, signed=s.kind == "minus"), ha="center", va="bottom",
                fontsize=8.5)
    labels = [s.label.replace(" ", "\n", 1) + ("*" if "assumed" in s.source else "") for s in steps.itertuples()]
    ax.set_xticks(range(len(steps)), labels, fontsize=8.5)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: money(v)))
    what = "per order 每单" if per_order else "total 合计"
    scope = group or "all"
    ax.set_title(f"边际贡献瀑布 Contribution waterfall ({scope}, {what}); * = assumed rate")
    fig.tight_layout()
    return fig


def cost_table(cs: Any) -> pd.DataFrame | Note:
    """Per category for display: GMV, net sales, each cost, contribution, its rate, whether it makes money.

    Parameters:
        cs: :class:`opslib.pricing.CostStructure`.

    Returns:
        A display table (strings), worst contribution rate last.
    """
    t = cs.table.sort_values("contribution_rate", ascending=False)
    cols = [cs.by, "gmv", "net_sales", "cogs", "freight", "commission", "payment_fees", "marketing", "contribution",
            "list_margin", "contribution_rate", "cost_coverage", "makes_money"]
    return format_table(t[cols], money=cols[1:9], percent=["list_margin", "contribution_rate", "cost_coverage"],
                        signed=["contribution"],
                        labels={"net_sales": "净销售额 net sales", "cogs": "成本 COGS", "freight": "运费 freight",
                                "commission": "佣金 commission", "payment_fees": "支付 fees", "marketing": "营销 marketing",
                                "contribution": "边际贡献 contribution", "list_margin": "标价毛利率 list margin",
                                "contribution_rate": "贡献率 rate",
                                "cost_coverage": "有成本 costed", "makes_money": "赚钱 makes money"})


def cost_steps_table(cs: Any, group: str | None = None) -> pd.DataFrame:
    """The waterfall's steps for display: total, per order, share of GMV and where each number comes from.

    Parameters:
        cs: :class:`opslib.pricing.CostStructure`. group: a category or None (the whole scope).

    Returns:
        A display table (strings).
    """
    tot = cs.steps(group)
    per = cs.steps(group, per_order=True)
    t = pd.DataFrame({"step": tot["label"], "total": tot["amount"], "per_order": per["amount"],
                      "share_of_gmv": tot["share_of_gmv"], "source": tot["source"]})
    return format_table(t, money=["total", "per_order"], percent=["share_of_gmv"],
                        labels={"step": "项目 step", "total": "合计 total", "per_order": "每单 per order",
                                "share_of_gmv": "占 GMV", "source": "来源 source"})


def order_bands_table(cs: Any) -> pd.DataFrame | Note:
    """Contribution per order by order-value band: the small orders that lose money after freight.

    Parameters:
        cs: :class:`opslib.pricing.CostStructure`.

    Returns:
        A display table (strings).
    """
    t = cs.order_bands().copy()
    t["band"] = [f"{money(a)}–{money(b)}" for a, b in zip(t["gmv_min"], t["gmv_max"], strict=True)]
    t = t[["band", "orders", "order_share", "gmv_per_order", "contribution_per_order", "loss_share"]]
    return format_table(t, units=["orders"], money=["gmv_per_order", "contribution_per_order"],
                        percent=["order_share", "loss_share"], signed=["contribution_per_order"],
                        labels={"band": "订单金额 order value", "orders": "订单 orders", "order_share": "占比 share",
                                "gmv_per_order": "客单价 AOV", "contribution_per_order": "每单贡献 contribution/order",
                                "loss_share": "亏损订单 orders losing money"})


def rates_table(rates: Any) -> pd.DataFrame:
    """The cost rates used, for display: rate or amount and its source (assumed defaults marked).

    Parameters:
        rates: :class:`opslib.pricing.CostRates`.

    Returns:
        A display table (strings).
    """
    t = rates.summary()
    t["value"] = [money(v) if u == "money" else percent(v, 2) for v, u in zip(t["value"], t["unit"], strict=True)]
    return t.drop(columns="unit").rename(columns={"item": "项目 item", "value": "值 value", "source": "来源 source"})


# ------------------------------------------------------------------------------------------- structure
def price_band_mix_chart(mix: pd.DataFrame, by: str = "category") -> Figure | None:
    """GMV share of each price band per group: the baseline (upper bar) against the period (lower bar).

    Parameters:
        mix: :func:`opslib.pricing.price_band_mix`. by: the group column.

    Returns:
        The Figure, or None (reason printed) for an empty mix.
    """
    if mix.empty:
        return _nothing("没有价格带 No price bands: no SKU sold with a price")
    groups = list(dict.fromkeys(mix[by]))
    n_band = int(mix["band"].max())
    fig, ax = plt.subplots(figsize=(9, 0.75 * len(groups) + 1.5))
    colors = [plt.get_cmap("Blues")(0.35 + 0.6 * k / max(n_band - 1, 1)) for k in range(n_band)]
    for i, g in enumerate(groups):
        rows = mix[mix[by] == g].sort_values("band")
        for j, col in enumerate(("share_prev", "share")):
            left = 0.0
            y = i * 2.4 + j
            for r in rows.itertuples(index=False):
                v = 0.0 if pd.isna(getattr(r, col)) else float(getattr(r, col))
                ax.barh(y, v, left=left, color=colors[int(r.band) - 1], edgecolor="white", height=0.9)
                if v > 0.08:
                    ax.text(left + v / 2, y, percent(v, 0), ha="center", va="center", fontsize=7.5)
                left += v
    ax.set_yticks([i * 2.4 + 0.5 for i in range(len(groups))], groups)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_PCT0)
    ax.set_xlim(0, 1)
    ax.set_title("价格带结构 Price-band mix of GMV (upper bar: baseline, lower: period; darker = dearer band)")
    fig.tight_layout()
    return fig


def price_band_mix_table(mix: pd.DataFrame, min_shift: float = 0.0) -> pd.DataFrame | Note:
    """The price-band mix for display: band, SKUs, GMV, share now and before, the shift, margin rate.

    Parameters:
        mix: :func:`opslib.pricing.price_band_mix`. min_shift: show only bands whose share moved at least this.

    Returns:
        A display table (strings).
    """
    t = mix[mix["shift"].abs().fillna(0) >= min_shift]
    cols = [t.columns[0], "band", "label", "skus", "gmv", "share", "share_prev", "shift", "avg_price", "margin_rate"]
    return format_table(t[cols], money=["gmv", "avg_price"], percent=["share", "share_prev", "margin_rate"],
                        points=["shift"], units=["skus"],
                        labels={"label": "价格带 band (price)", "share": "份额 share", "share_prev": "基期 before",
                                "shift": "变化 shift", "avg_price": "均价 avg price", "margin_rate": "毛利率 margin"})


def roles_table(roles: pd.DataFrame, by: str | None = None) -> pd.DataFrame | Note:
    """SKU roles for display (:func:`opslib.pricing.role_summary`), with the rule as the table's caption.

    Parameters:
        roles: :func:`opslib.pricing.sku_roles`. by: None (the whole scope) or the group column.

    Returns:
        A display table (strings); ``attrs['rule']`` holds the rule.
    """
    from opslib.pricing import role_summary

    s = role_summary(roles, by=by)
    out = format_table(s, units=["skus"], percent=["units_share", "gmv_share", "margin_share", "margin_rate"],
                       labels={"role": "角色 role", "role_en": "role", "skus": "SKUs", "units_share": "销量占比 units",
                               "gmv_share": "GMV 占比", "margin_share": "毛利占比 margin", "margin_rate": "毛利率 rate"})
    if isinstance(out, pd.DataFrame):
        out.attrs["rule"] = roles.attrs.get("rule", "")
    return out


def new_products_table(new: pd.DataFrame) -> pd.DataFrame | Note:
    """New products' share of GMV per category for display, or the reason they cannot be told apart.

    Parameters:
        new: :func:`opslib.pricing.new_product_share`.

    Returns:
        A display table (strings) or a :class:`~opslib.plotting.Note`.
    """
    if "reason" in new.attrs:
        return Note(new.attrs["reason"])
    return format_table(new, money=["gmv", "new_gmv"], percent=["new_share"], units=["new_skus", "skus"],
                        labels={"new_gmv": "新品 GMV", "new_share": "新品占比 new share", "new_skus": "新品 SKUs"})


def long_tail_table(tail: pd.DataFrame) -> pd.DataFrame | Note:
    """The long tail per category for display: tail SKUs, their share of GMV and margin, idle catalogue SKUs.

    Parameters:
        tail: :func:`opslib.pricing.long_tail`.

    Returns:
        A display table (strings).
    """
    return format_table(tail, units=["skus", "tail_skus", "no_sales"], percent=["tail_gmv_share", "tail_margin_share"],
                        labels={"skus": "在售 SKUs sold", "tail_skus": "长尾 tail SKUs", "tail_gmv_share": "长尾 GMV 占比",
                                "tail_margin_share": "长尾毛利占比", "no_sales": "零销量 no sales"})


# ------------------------------------------------------------------------------------------- trends
def growth_chart(growth: Any, top: int = 12) -> Figure | None:
    """Units growth of the groups with the strongest evidence (largest |z|), coloured by the verdict.

    Parameters:
        growth: :class:`opslib.pricing.GrowthResult`. top: how many groups.

    Returns:
        The Figure, or None (reason printed) without groups.
    """
    t = growth.table
    if t.empty:
        return _nothing(f"没有增长数据 No growth to show: {'; '.join(growth.notes) or 'no sales'}")
    t = t.reindex(t["z"].abs().sort_values(ascending=False).index).head(top).sort_values("growth")
    colors = [POSITIVE if d == "rising" else NEGATIVE if d == "falling" else _GREY for d in t["direction"]]
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(t) + 1.4))
    labels = [f"{p} · {g}" if p else str(g) for g, p in zip(t["group"], t["parent"], strict=True)]
    ax.barh(labels, t["growth"].fillna(0.0), color=colors)
    for i, (g, q) in enumerate(zip(t["growth"], t["q_value"], strict=True)):
        if pd.notna(g):
            ax.text(g, i, f"  q={q:.3f}" if q >= 0.001 else "  q<0.001", va="center", fontsize=7.5,
                    ha="left" if g >= 0 else "right")
    ax.axvline(0, color=TOTAL, lw=0.8)
    ax.xaxis.set_major_formatter(_PCT0)
    ax.set_title(f"{growth.level} 增长 units growth vs baseline (green/red: beyond noise, grey: not)")
    fig.tight_layout()
    return fig


def growth_significance_table(growth: Any, n: int = 8) -> pd.DataFrame | Note:
    """The significantly rising and falling groups for display (strongest first), with the evidence.

    Parameters:
        growth: :class:`opslib.pricing.GrowthResult`. n: rows of each.

    Returns:
        A display table (strings), or a note when nothing moved beyond noise.
    """
    t = pd.concat([growth.risers(n), growth.fallers(n)], ignore_index=True)
    cols = ["group", "parent", "units", "units_prev", "growth", "gmv_growth", "share_change", "z", "q_value",
            "direction"]
    return format_table(t[cols], units=["units", "units_prev"], percent=["growth", "gmv_growth"],
                        signed=["growth", "gmv_growth", "z"], points=["share_change"], pvalues=["q_value"],
                        labels={"units_prev": "units before", "growth": "增长 growth", "gmv_growth": "GMV growth",
                                "share_change": "份额变化 share", "q_value": "q"},
                        empty=f"(no {growth.level} moved beyond noise: q >= {growth.alpha:g} for all)")


def share_trend_chart(trend: Any) -> Figure | None:
    """Yearly change of each group's share of the shop's units, with its 95% interval.

    Parameters:
        trend: :class:`opslib.pricing.ShareTrend`.

    Returns:
        The Figure, or None (reason printed) without groups.
    """
    t = trend.table.sort_values("trend")
    if t.empty:
        return _nothing(f"没有份额趋势 No share trend to show: {trend.reason or 'no sales'}")
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(t) + 1.4))
    y = np.arange(len(t))
    colors = [POSITIVE if d == "gaining" else NEGATIVE if d == "losing" else _GREY for d in t["direction"]]
    ax.barh(y, np.expm1(t["trend"]), color=colors)
    ax.errorbar(np.expm1(t["trend"]), y, xerr=[np.expm1(t["trend"]) - np.expm1(t["trend_low"]),
                                              np.expm1(t["trend_high"]) - np.expm1(t["trend"])],
                fmt="none", ecolor=TOTAL, lw=1)
    ax.set_yticks(y, [str(g) for g in t["group"]])
    ax.axvline(0, color=TOTAL, lw=0.8)
    ax.xaxis.set_major_formatter(_PCT0)
    ax.set_title(f"{trend.level} 份额趋势 share of the shop's units, change per year "
                 f"({trend.start:%Y-%m} .. {trend.end:%Y-%m})")
    fig.tight_layout()
    return fig


def share_trend_table(trend: Any) -> pd.DataFrame | Note:
    """The share trend for display: share at the start and the end, change per year with interval, verdict.

    Parameters:
        trend: :class:`opslib.pricing.ShareTrend`.

    Returns:
        A display table (strings).
    """
    t = trend.table.assign(low=np.expm1(trend.table["trend_low"]), high=np.expm1(trend.table["trend_high"]))
    cols = ["group", "parent", "share_start", "share_end", "change_per_year", "low", "high", "q_value", "direction"]
    return format_table(t[cols], percent=["share_start", "share_end", "change_per_year", "low", "high"],
                        signed=["change_per_year", "low", "high"], pvalues=["q_value"],
                        labels={"share_start": "份额 start", "share_end": "份额 end", "change_per_year": "每年 per year",
                                "q_value": "q"})


# ------------------------------------------------------------------------------------------- market
def _market_part(x: Any, name: str) -> tuple[pd.DataFrame | None, str | None]:
    """A frame of a :class:`opslib.pricing.MarketReview` (or the frame itself) and the reason it is missing."""
    if hasattr(x, "war"):
        return getattr(x, name), x.reason
    return x, None


def market_share_chart(latest: Any) -> Figure | None:
    """Per category: the shop's growth against the market's (points above the diagonal gain share).

    Parameters:
        latest: :meth:`opslib.pricing.MarketShare.latest`, or a :class:`opslib.pricing.MarketReview`.

    Returns:
        The Figure, or None (reason printed) without a market table or a year-earlier comparison.
    """
    latest, reason = _market_part(latest, "latest")
    if latest is None:
        return _nothing(reason or "no market table")
    t = latest.dropna(subset=["shop_growth", "market_growth"])
    if t.empty:
        return _nothing("没有市场对比 No market comparison: the market table has no period a year before the review")
    fig, ax = plt.subplots(figsize=(6.8, 5.2))
    colors = [POSITIVE if g > 0 else NEGATIVE for g in t["gap"]]
    size = 60 + 900 * t["market_gmv"] / t["market_gmv"].max()
    ax.scatter(t["market_growth"], t["shop_growth"], s=size, c=colors, alpha=0.75, edgecolor="white")
    for r in t.itertuples(index=False):
        ax.annotate(f"{r.category} {percent(r.share, 1)}", (r.market_growth, r.shop_growth), fontsize=8.5,
                    xytext=(6, 4), textcoords="offset points")
    lo = float(min(t["market_growth"].min(), t["shop_growth"].min())) - 0.05
    hi = float(max(t["market_growth"].max(), t["shop_growth"].max())) + 0.05
    ax.plot([lo, hi], [lo, hi], color=_GREY, lw=1, ls="--")
    ax.xaxis.set_major_formatter(_PCT0)
    ax.yaxis.set_major_formatter(_PCT0)
    ax.set_xlabel("市场增长 market growth (vs a year earlier)")
    ax.set_ylabel("本店增长 shop growth")
    ax.set_title("增长 vs 市场 Growth against the market (above the line: gaining share)")
    fig.tight_layout()
    return fig


def market_share_table(latest: Any) -> pd.DataFrame | Note:
    """Market share per category for display: share now and a year ago, growth of shop and market, gap, trend.

    Parameters:
        latest: :meth:`opslib.pricing.MarketShare.latest`, or a :class:`opslib.pricing.MarketReview`.

    Returns:
        A display table (strings), or a note without a market table.
    """
    latest, reason = _market_part(latest, "latest")
    if latest is None:
        return Note(reason or "(no market table)")
    t = latest.assign(trend=np.expm1(latest["trend"].astype(float)))
    cols = ["category", "shop_gmv", "market_gmv", "share", "share_prev", "share_change", "shop_growth", "market_growth",
            "gap", "trend", "direction"]
    return format_table(t[cols], money=["shop_gmv", "market_gmv"], percent=["share", "share_prev", "shop_growth",
                                                                             "market_growth", "gap", "trend"],
                        points=["share_change"], signed=["shop_growth", "market_growth", "gap", "trend"],
                        labels={"share": "份额 share", "share_prev": "去年 a year ago", "share_change": "变化 change",
                                "shop_growth": "本店 shop", "market_growth": "市场 market", "gap": "差 gap",
                                "trend": "份额趋势/年 share trend"}, empty="(no market period in the review period)")


def price_index_chart(index: Any) -> Figure | None:
    """The shop's price index against the market per category and price band (1 = the market's price).

    Parameters:
        index: :func:`opslib.pricing.price_index`, or a :class:`opslib.pricing.MarketReview`.

    Returns:
        The Figure, or None (reason printed) without a market table or band rows.
    """
    index, reason = _market_part(index, "index")
    if index is None:
        return _nothing(reason or "no market table")
    b = index[index["scope"] == "band"].dropna(subset=["index"])
    if b.empty:
        return _nothing("没有价格带指数 No price index per band: the market table has no price-band rows in the period")
    cats = list(dict.fromkeys(b["category"]))
    fig, ax = plt.subplots(figsize=(8.5, 0.5 * len(cats) + 1.6))
    for i, c in enumerate(cats):
        rows = b[b["category"] == c].reset_index(drop=True)
        k = len(rows)
        for j, r in rows.iterrows():
            ax.scatter(r["index"], i, color=plt.get_cmap("Blues")(0.35 + 0.6 * j / max(k - 1, 1)), s=50, zorder=3)
        ll = index[(index["category"] == c) & (index["scope"] == "like for like")]
        if len(ll):
            ax.scatter(ll["index"], [i], marker="|", s=400, color=NEGATIVE, zorder=4)
    ax.axvline(1.0, color=TOTAL, lw=0.8)
    ax.set_yticks(range(len(cats)), cats)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2f}"))
    ax.set_xlabel("价格指数 shop price / market price (dots: bands, cheap to dear = light to dark; red: like for like)")
    ax.set_title("价格指数 Relative price index per price band")
    fig.tight_layout()
    return fig


def price_index_table(index: Any, scope: str | None = None) -> pd.DataFrame | Note:
    """The price index for display (optionally one ``scope``: ``band``, ``like for like``, ``competitor``).

    Parameters:
        index: :func:`opslib.pricing.price_index` or a :class:`opslib.pricing.MarketReview`. scope: filter or None.

    Returns:
        A display table (strings), or a note without a market table.
    """
    index, reason = _market_part(index, "index")
    if index is None:
        return Note(reason or "(no market table)")
    t = index if scope is None else index[index["scope"] == scope]
    cols = ["category", "scope", "against", "shop_price", "market_price", "index", "shop_gmv_share", "market_gmv_share"]
    return format_table(t[cols], money=["shop_price", "market_price"], percent=["shop_gmv_share", "market_gmv_share"],
                        labels={"against": "对比 against", "shop_price": "本店均价 shop", "market_price": "市场均价 market",
                                "index": "指数 index", "shop_gmv_share": "本店占比", "market_gmv_share": "市场占比"},
                        empty="(no market rows in the review period)")


def moves_table(moves: Any) -> pd.DataFrame | Note:
    """Competitors' price moves for display (relative to the market), cuts first.

    Parameters:
        moves: :func:`opslib.pricing.competitor_moves` or a :class:`opslib.pricing.MarketReview`.

    Returns:
        A display table (strings), or a note without a market table.
    """
    moves, reason = _market_part(moves, "moves")
    if moves is None:
        return Note(reason or "(no market table)")
    return format_table(moves, money=["price_before", "price_now"], percent=["raw_change", "change", "share"],
                        signed=["raw_change", "change"],
                        labels={"price_before": "此前 before", "price_now": "现在 now", "raw_change": "价格变化 raw",
                                "change": "相对市场 vs market", "cut": "降价 cut", "share": "市场份额 share"},
                        empty="(no competitor rows in the market table)")


def price_war_chart(review: Any, i: int = 0) -> Figure | None:
    """Our profit against our own price cut after a competitor's cut, with hold / match / restore / best marked.

    Parameters:
        review: :class:`opslib.pricing.PriceWarReview`. i: which war (row of its table).

    Returns:
        The Figure, or None (reason printed) when there is no war to draw.
    """
    if not review.wars:
        return _nothing(review.reason or "没有价格战 No price war to simulate")
    war = review.wars[i]
    r = review.table.iloc[i]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    war.plot(ax=ax)
    ax.xaxis.set_major_formatter(_PCT0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: money(v)))
    ax.set_title(f"价格战 {r['category']}: {r['competitor']} cuts {percent(r['competitor_cut'], 0)} "
                 f"(e = {r['own_elasticity']:.2f}, cross = {r['cross_elasticity']:.2f})", fontsize=10)
    fig.tight_layout()
    return fig


def price_war_table(review: Any) -> pd.DataFrame | Note:
    """Price wars for display: the cut, the elasticities, what holding costs, the cut that restores volume,
    the break-even cut and the best response.

    Parameters:
        review: :class:`opslib.pricing.PriceWarReview`.

    Returns:
        A display table (strings), or the reason there is none.
    """
    if review.table.empty:
        return Note(review.reason or "(no price war)")
    cols = ["category", "competitor", "competitor_cut", "own_elasticity", "cross_elasticity", "volume_if_hold",
            "profit_if_hold", "restore_cut", "breakeven_cut", "best_cut", "best_profit", "cross_source"]
    return format_table(review.table[cols], percent=["competitor_cut", "volume_if_hold", "profit_if_hold", "restore_cut",
                                                     "breakeven_cut", "best_cut", "best_profit"],
                        signed=["volume_if_hold", "profit_if_hold", "best_profit"],
                        labels={"competitor_cut": "对手降价 cut", "own_elasticity": "e", "cross_elasticity": "cross",
                                "volume_if_hold": "不跟: 销量 hold: units", "profit_if_hold": "不跟: 毛利 hold: profit",
                                "restore_cut": "保量降价 restore", "breakeven_cut": "盈亏平衡 break-even",
                                "best_cut": "最优 best cut", "best_profit": "最优毛利 best profit",
                                "cross_source": "交叉弹性来源 cross from"})


# ------------------------------------------------------------------------------------------- the plan
def plan_chart(plan: Any) -> Figure:
    """Baseline against planned units per category, with the plan's range.

    Parameters:
        plan: :class:`opslib.pricing.CampaignPlanResult`.

    Returns:
        The Figure.
    """
    t = plan.by_category
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(t) + 1.6))
    y = np.arange(len(t))
    ax.barh(y - 0.2, t["baseline_units"], height=0.38, color=_GREY, label="基线 baseline")
    ax.barh(y + 0.2, t["expected_units"], height=0.38, color=PALETTE[0], label="计划 plan")
    ax.errorbar(t["expected_units"], y + 0.2, xerr=[t["expected_units"] - t["low"], t["high"] - t["expected_units"]],
                fmt="none", ecolor=TOTAL, lw=1)
    ax.set_yticks(y, t["category"])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: units(v)))
    ax.legend(loc="lower right")
    ax.set_title(f"活动规划 {plan.plan.name}: units per category ({plan.plan.start:%Y-%m-%d} .. {plan.plan.end:%Y-%m-%d})")
    fig.tight_layout()
    return fig


_PLAN_MONEY = {"gmv", "incremental_gmv", "incremental_margin", "discount_cost", "pull_forward_margin", "marketing_spend",
               "net_profit"}
_PLAN_UNITS = {"baseline_units", "expected_units", "incremental_units", "pull_forward_units"}


def plan_table(plan: Any) -> pd.DataFrame:
    """The plan's metrics for display: planned value and range, money in the shop's currency, ROI as %.

    Parameters:
        plan: :class:`opslib.pricing.CampaignPlanResult`.

    Returns:
        A display table (strings).
    """
    t = plan.table
    rows = []
    for r in t.itertuples(index=False):
        if r.metric in _PLAN_MONEY:
            sign = r.metric not in ("gmv", "marketing_spend")
            f = lambda v, sign=sign: money(v, signed=sign)  # noqa: E731
        elif r.metric in _PLAN_UNITS:
            f = units
        elif r.metric == "roi":
            f = lambda v: percent(v, signed=True)  # noqa: E731
        else:
            f = lambda v: "–" if pd.isna(v) else f"{v:.2f}"  # noqa: E731
        rows.append({"指标 metric": r.label, "计划 plan": f(r.plan), "低 low": f(r.low), "高 high": f(r.high)})
    return pd.DataFrame(rows)


def plan_category_table(plan: Any) -> pd.DataFrame | Note:
    """The plan per category for display: SKUs, baseline, plan and range, lift, elasticity, price, season, GMV.

    Parameters:
        plan: :class:`opslib.pricing.CampaignPlanResult`.

    Returns:
        A display table (strings).
    """
    t = plan.by_category
    cols = ["category", "skus", "baseline_units", "expected_units", "low", "high", "lift", "elasticity", "price_ratio",
            "season_factor", "gmv", "method"]
    return format_table(t[cols], units=["skus", "baseline_units", "expected_units", "low", "high"], money=["gmv"],
                        labels={"baseline_units": "基线 baseline", "expected_units": "计划 plan", "lift": "倍数 lift",
                                "price_ratio": "价格比 price ratio", "season_factor": "季节 season"})


def stock_table(plan: Any, n: int = 10) -> pd.DataFrame | Note:
    """The SKUs whose stock falls short of the plan, most urgent first, for display.

    Parameters:
        plan: :class:`opslib.pricing.CampaignPlanResult`. n: rows.

    Returns:
        A display table (strings), or the reason the check was skipped.
    """
    if plan.stock is None:
        return Note(plan.stock_reason or "(no stock check)")
    t = plan.stock_actions().head(n)
    cols = ["sku", "category", "expected_units", "on_hand", "stock_at_start", "needed", "shortfall", "order_by", "status"]
    return format_table(t[cols], units=["expected_units", "on_hand", "stock_at_start", "needed", "shortfall"],
                        labels={"expected_units": "计划销量 plan", "on_hand": "现有 on hand",
                                "stock_at_start": "开始时 at start", "needed": "需要 needed", "shortfall": "缺口 short",
                                "order_by": "最晚下单 order by", "status": "状态 status"},
                        empty="(every SKU has the stock the plan needs)")


# ------------------------------------------------------------------------------------------- summary
def summarise_pricing(summary: Any, scope: Any, elasticity: Any = None, costs: Any = None, decisions: Any = None,
                      share: Any = None, growth: Any = None, market: pd.DataFrame | None = None, war: Any = None,
                      plan: Any = None) -> Any:
    """Fill the executive summary of notebook 07: tiles, one verdict per section, actions with owners.

    Rules: tiles GMV, contribution margin and its rate, categories losing money, usable elasticities; verdicts:
    the elasticities (how many usable, interval widths), the categories that lose money after all costs, the
    categories gaining and losing share of the shop, the market (gaining / losing share against the market),
    a competitor's cut and the best response, the plan's expected units and ROI. Actions: a category losing
    money (定价 pricing: its worst cost), a price move at a bound (定价 pricing), a category losing market share
    (品类 category), a competitor's cut (定价 pricing), stock short for the plan (供应链 supply chain).

    Parameters:
        summary: an ``opslib.reporting.ExecutiveSummary``. scope: :class:`opslib.pricing.PricingScope`.
        elasticity: :class:`opslib.pricing.ElasticityReview`. costs: :class:`opslib.pricing.CostStructure`.
        decisions: :class:`opslib.pricing.PriceDecisions`. share: :class:`opslib.pricing.ShareTrend`.
        growth: :class:`opslib.pricing.GrowthResult`. market: :meth:`opslib.pricing.MarketShare.latest` or None.
        war: :class:`opslib.pricing.PriceWarReview` or None. plan: :class:`opslib.pricing.CampaignPlanResult`.

    Returns:
        The summary (filled in place).
    """
    gmv = float(scope.skus["gmv"].sum())
    summary.tile("GMV", money(gmv), metric="gmv", raw=gmv)
    if costs is not None and len(costs.shop):
        s = costs.shop.iloc[0]
        summary.tile("边际贡献 contribution", money(s["contribution"]), percent(s["contribution_rate"]) + " of net sales",
                     good=bool(s["contribution"] > 0), metric="contribution", raw=float(s["contribution"]))
        losers = costs.losers()
        summary.tile("亏损品类 categories losing money", f"{len(losers)} of {len(costs.table)}",
                     good=not losers, metric="losing_categories", raw=len(losers))
        if losers:
            t = costs.table.set_index(costs.by)
            worst = t.loc[losers[0]]
            big = max(("freight", "marketing", "commission", "payment_fees"), key=lambda c: worst[c])
            summary.verdict(f"After every cost {', '.join(losers)} lose money (worst {losers[0]}: "
                            f"{money(worst['contribution'], signed=True)}, {percent(worst['contribution_rate'])} of net "
                            f"sales; goods cost {percent(worst['cogs'] / worst['net_sales'])} of its net sales, its largest "
                            f"other cost is {big.replace('_', ' ')}, {percent(worst[big] / worst['gmv'])} of GMV).")
            summary.action("定价 pricing", f"{losers[0]} loses {money(-worst['contribution'])} after all costs: review "
                           f"its discounts, {big.replace('_', ' ')} and price (07 §2-3).", key=f"loss:{losers[0]}")
        else:
            summary.verdict("Every category makes money after all costs" + (" (some rates assumed)."
                                                                            if costs.rates.any_assumed else "."))
        if costs.rates.any_assumed:
            summary.note("Cost rates partly assumed (defaults): put the shop's own in costs.yml.")
    if elasticity is not None:
        n_ok = len(elasticity.usable())
        summary.tile("可用弹性 usable elasticities", f"{n_ok} of {len(elasticity.table)}", metric="usable_elasticities",
                     raw=n_ok)
        w = elasticity.table["relative_width"].dropna()
        summary.verdict(f"Price elasticity usable for {n_ok} of {len(elasticity.table)} categories"
                        + (f"; intervals ±{w.min():.0%} .. ±{w.max():.0%} of the estimate." if len(w) else
                           ": too little data for any interval."))
    if decisions is not None and "bound" in decisions.table:
        t = decisions.table[decisions.table["bound"].fillna("") == "upper"]
        if len(t):
            r = t.sort_values("profit_change", ascending=False).iloc[0]
            summary.action("定价 pricing", f"{r[decisions.by]}: a price rise up to the +{decisions.max_increase:.0%} bound "
                           f"raises profit {percent(r['profit_change'], signed=True)} under the measured elasticity "
                           f"({r['elasticity']:.2f}): test it on part of the range first.", key=f"raise:{r[decisions.by]}")
    if share is not None and len(share.table):
        g = share.table[share.table["direction"] == "gaining"]["group"].tolist()
        lo = share.table[share.table["direction"] == "losing"]["group"].tolist()
        summary.verdict(f"Share of the shop's units: gaining {', '.join(g) or 'none'}; losing {', '.join(lo) or 'none'} "
                        f"(beyond noise, {share.start:%Y-%m} .. {share.end:%Y-%m}).")
    if growth is not None and len(growth.table):
        summary.verdict(growth.describe() + ".")
    if market is not None and len(market) and market["gap"].notna().any():
        m = market.dropna(subset=["gap"])
        worst = m.loc[m["gap"].idxmin()]
        best = m.loc[m["gap"].idxmax()]
        summary.verdict(f"Against the market: {best['category']} grows {percent(best['gap'], signed=True)} faster "
                        f"(share {percent(best['share'])}); {worst['category']} {percent(worst['gap'], signed=True)} "
                        f"(share {percent(worst['share'])}).")
        if worst["gap"] < 0:
            summary.action("品类 category", f"{worst['category']} loses market share ({percent(worst['gap'], signed=True)} "
                           "vs the market): check its price index and assortment (07 §6, 01).",
                           key=f"market:{worst['category']}")
    if war is not None and len(war.table):
        r = war.table.iloc[0]
        summary.verdict(f"{r['competitor']} cut {r['category']} by {percent(r['competitor_cut'], 0)}: holding costs "
                        f"{percent(-r['volume_if_hold'])} of volume; the best response is a {percent(r['best_cut'])} cut.")
        if str(r["competitor"]) != "(hypothetical)":
            summary.action("定价 pricing", f"{r['competitor']} cut {r['category']} prices {percent(r['competitor_cut'], 0)}: "
                           f"{'hold the price' if r['best_cut'] < 0.005 else 'cut by ' + percent(r['best_cut'])} "
                           "(matching only buys back volume at a lower margin).", key=f"war:{r['category']}")
    if plan is not None:
        t = plan.table.set_index("metric")
        summary.verdict(f"{plan.plan.name} ({plan.plan.start:%Y-%m-%d}): {units(t.loc['expected_units', 'plan'])} units "
                        f"expected ({units(t.loc['expected_units', 'low'])} .. {units(t.loc['expected_units', 'high'])}) "
                        f"against {units(t.loc['baseline_units', 'plan'])}; net profit "
                        f"{money(t.loc['net_profit', 'plan'], signed=True)}, ROI {percent(t.loc['roi', 'plan'], signed=True)}.")
        short = plan.stock_actions()
        if len(short):
            late = int(short["status"].str.startswith("too late").sum())
            summary.action("供应链 supply chain", f"{len(short):,} SKUs short for {plan.plan.name}"
                           + (f" ({late:,} already past their order date)" if late else "")
                           + f": order by {short['order_by'].min():%Y-%m-%d} (07 §7 stock table).", key="plan:stock")
    return summary
