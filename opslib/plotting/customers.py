"""Charts and tables of the customers and traffic notebook (05): funnel, channel mix, RFM segments and their
transitions, cohorts, repeat purchase, time between orders, new vs returning buyers, CLV checks and action lists.

Every function takes the frames or results of ``opslib.customers`` and returns a Figure or a display table
(strings, :func:`opslib.plotting.format.format_table`); none reads files or computes a metric. The results'
``plot()`` methods call these.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from opslib.plotting.format import Note, axis_formatter, decimal, format_table, money, number, percent
from opslib.plotting.kpi import decomposition_waterfall
from opslib.plotting.theme import NEGATIVE, PALETTE, TOTAL

_PCT0 = FuncFormatter(lambda v, _: percent(v, 0))
_PCT1 = FuncFormatter(lambda v, _: percent(v, 1))


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777777")
    ax.set_axis_off()


# ------------------------------------------------------------------------------------------------- funnel
def funnel_chart(stages: pd.DataFrame, title: str = "流量漏斗 Funnel") -> Figure:
    """Bars of the funnel stages (``Funnel.stages()``: ``label``, ``count``, ``step_rate``) on a log scale, each
    labelled with its count and the step rate from the stage before (views per visitor is a ratio, not a %).

    Parameters:
        stages: ``Funnel.stages()`` (``stage``, ``label``, ``count``, ``step_rate``). title: the chart title.

    Returns:
        A matplotlib Figure.
    """
    d = stages.iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(d) + 1.6))
    shown = d["count"].where(d["count"] > 0)
    if shown.notna().any():
        ax.barh(d["label"], shown, color=[PALETTE[i % len(PALETTE)] for i in range(len(d))][::-1])
        ax.set_xscale("log")
        for y, r in enumerate(d.itertuples(index=False)):
            if not (np.isfinite(r.count) and r.count > 0):
                continue
            step = ""
            if np.isfinite(r.step_rate):
                step = f"  (×{decimal(r.step_rate)})" if r.stage == "product_views" else f"  ({percent(r.step_rate)})"
            ax.text(r.count, y, f"  {number(r.count)}{step}", va="center", fontsize=9)
        ax.set_xlim(right=float(shown.max()) * 8)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v)))
    else:
        _empty(ax, "no traffic or orders")
    ax.set_title(title)
    ax.set_xlabel("count (log scale); in brackets: share of the stage before")
    fig.tight_layout()
    return fig


def funnel_rates_chart(table: pd.DataFrame, by: str) -> Figure:
    """The funnel by group: by ``date`` lines of visitors, conversion, cart rate and AOV; by a category, channel or
    region bars of the rates the table has (``conversion_rate``, ``cart_rate``, ``order_rate``, ``aov``, or
    without traffic ``pay_rate``, ``aov`` and the share of GMV).

    Parameters:
        table: ``Funnel.table`` split ``by``. by: ``date``, ``category``, ``channel`` or ``region``.

    Returns:
        A Figure of four panels.
    """
    has_traffic = table["visitors"].notna().any()
    metrics = (["visitors", "conversion_rate", "cart_rate", "aov"] if has_traffic
               else ["gmv_share", "pay_rate", "aov", "orders"])
    labels = {"visitors": "访客数 Visitors", "conversion_rate": "转化率 Conversion", "cart_rate": "加购率 Cart rate",
              "order_rate": "下单率 Order rate", "aov": "客单价 AOV", "gmv_share": "GMV 占比 share",
              "pay_rate": "支付率 Pay rate", "orders": "订单数 Orders"}
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), squeeze=False)
    for i, (ax, m) in enumerate(zip(axes.flat, metrics, strict=True)):
        if by == "date":
            ax.plot(table["key"], table[m], color=PALETTE[i], lw=1.2)
            ax.tick_params(axis="x", labelrotation=30)
        else:
            d = table.iloc[::-1]
            ax.barh(d["key"].astype(str), d[m], color=PALETTE[i])
        fmt = axis_formatter("gmv" if m == "aov" else ("share" if m.endswith(("rate", "share")) else "orders"))
        (ax.yaxis if by == "date" else ax.xaxis).set_major_formatter(fmt)
        ax.set_title(labels[m], fontsize=11)
    fig.suptitle(f"漏斗 by {by}", fontsize=12)
    fig.tight_layout()
    return fig


def funnel_display(funnel: Any, top: int | None = None) -> pd.DataFrame:
    """A :class:`opslib.customers.Funnel` for display: counts whole, GMV as money, rates as %.

    Parameters:
        funnel: a :class:`opslib.customers.Funnel` (or its table). top: keep the first N rows (None: all).

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    t = funnel.summary() if hasattr(funnel, "summary") else funnel
    if t.empty:
        return Note("(no funnel: see the reason above)")
    if top is not None:
        t = t.head(top)
    cols = ["key", "visitors", "product_views", "add_to_cart", "orders_placed", "paid", "gmv", "views_per_visitor",
            "cart_rate", "order_rate", "pay_rate", "conversion_rate", "aov", "gmv_share"]
    if t["visitors"].isna().all():
        cols = [c for c in cols if c not in ("visitors", "product_views", "add_to_cart", "views_per_visitor",
                                             "cart_rate", "order_rate", "conversion_rate")]
    t = t[cols].copy()
    if pd.api.types.is_datetime64_any_dtype(t["key"]):
        t["key"] = t["key"].dt.strftime("%Y-%m-%d")
    out = format_table(t, money=["gmv", "aov"],
                       units=[c for c in ("visitors", "product_views", "add_to_cart", "orders_placed", "paid")
                              if c in t.columns],
                       percent=[c for c in ("cart_rate", "order_rate", "pay_rate", "conversion_rate", "gmv_share")
                                if c in t.columns],
                       labels={"key": "group", "visitors": "访客 visitors", "product_views": "浏览 views",
                               "add_to_cart": "加购 carts", "orders_placed": "下单 orders", "paid": "支付 paid",
                               "gmv": "GMV", "views_per_visitor": "人均浏览 views/visitor", "cart_rate": "加购率",
                               "order_rate": "下单率", "pay_rate": "支付率", "conversion_rate": "转化率",
                               "aov": "客单价 AOV", "gmv_share": "GMV 占比"})
    return out


def mix_waterfall(mix: Any) -> Figure:
    """Waterfall from baseline GMV through the orders, channel-mix and AOV effects (``opslib.customers.channel_mix``).

    Parameters:
        mix: :func:`opslib.customers.channel_mix` result (with effects).

    Returns:
        A matplotlib Figure.
    """
    e = mix.effects
    d = pd.DataFrame({"label": e["label"], "contribution": e["contribution"], "baseline": np.nan, "current": np.nan})
    d.attrs.update(gmv_baseline=mix.gmv_baseline, gmv_current=mix.gmv_current)
    return decomposition_waterfall(d, title=f"GMV 变化: 订单量 × {mix.by} 结构 × 客单价 orders × mix × AOV")


def mix_table(mix: Any) -> pd.DataFrame:
    """The per-group table of ``channel_mix``: orders, share of orders, AOV and GMV then and now, and the three
    contributions.

    Parameters:
        mix: :func:`opslib.customers.channel_mix` result.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    g = mix.groups
    if g is None:
        return Note("(no channel mix: see the reason above)")
    return format_table(g, units=["orders_0", "orders_1"], percent=["share_0", "share_1"],
                        money=["aov_0", "aov_1", "gmv_0", "gmv_1", "orders_effect", "mix_effect", "aov_effect"],
                        signed=["orders_effect", "mix_effect", "aov_effect"],
                        labels={"orders_0": "对比期订单 orders (base)", "orders_1": "本期订单 orders", "share_0": "占比 share (base)",
                                "share_1": "占比 share", "aov_0": "客单价 AOV (base)", "aov_1": "客单价 AOV",
                                "gmv_0": "对比期 GMV", "gmv_1": "本期 GMV", "orders_effect": "订单量效应 orders",
                                "mix_effect": "结构效应 mix", "aov_effect": "客单价效应 AOV"})


def mix_effects_table(mix: Any) -> pd.DataFrame:
    """The three effects of ``channel_mix`` with their share of the GMV change.

    Parameters:
        mix: :func:`opslib.customers.channel_mix` result.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    if mix.effects is None:
        return Note("(no channel mix: see the reason above)")
    return format_table(mix.summary()[["label", "contribution", "share"]], money=["contribution"],
                        percent=["share"], signed=["contribution"],
                        labels={"label": "效应 effect", "contribution": "贡献 contribution", "share": "占比 share"})


# ----------------------------------------------------------------------------------------------- segments
def segment_chart(summary: pd.DataFrame, title: str = "RFM 客户分层 Segments") -> Figure:
    """Paired bars per segment: share of customers and share of value (``opslib.customers.segment_summary``).

    Parameters:
        summary: :func:`opslib.customers.segment_summary`. title: the chart title.

    Returns:
        A matplotlib Figure.
    """
    d = summary.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(d))
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(d) + 1.8))
    ax.barh(y + 0.2, d["customer_share"].fillna(0), height=0.4, color=PALETTE[0], label="客户占比 share of customers")
    ax.barh(y - 0.2, d["value_share"].fillna(0), height=0.4, color=PALETTE[1], label="价值占比 share of value")
    ax.set_yticks(y, [f"{cn} {n}" for cn, n in zip(d["segment_cn"], d["segment_name"], strict=True)])
    for yy, cs, vs, n in zip(y, d["customer_share"], d["value_share"], d["customers"], strict=True):
        ax.text(max(cs if np.isfinite(cs) else 0, vs if np.isfinite(vs) else 0), yy,
                f"  {number(n)} · {percent(vs)}", va="center", fontsize=8.5)
    ax.xaxis.set_major_formatter(_PCT0)
    top = np.nanmax(np.r_[d["customer_share"].to_numpy(float), d["value_share"].to_numpy(float), 0.01])
    ax.set_xlim(0, top * 1.35)
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def segment_table(summary: pd.DataFrame) -> pd.DataFrame:
    """``segment_summary`` for display: customers, shares, value, typical recency, orders and value.

    Parameters:
        summary: :func:`opslib.customers.segment_summary`.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    t = summary[["segment_name", "segment_cn", "customers", "customer_share", "monetary", "value_share",
                 "recency_days", "frequency", "monetary_mean"]]
    return format_table(t, units=["customers", "recency_days"], percent=["customer_share", "value_share"],
                        money=["monetary", "monetary_mean"], decimals=1,
                        labels={"segment_name": "segment", "segment_cn": "分层", "customers": "客户数 customers",
                                "customer_share": "客户占比", "monetary": "消费额 value", "value_share": "价值占比",
                                "recency_days": "距上次购买(天,中位) recency", "frequency": "平均订单数 orders",
                                "monetary_mean": "人均消费 value/customer"})


def transition_heatmap(transitions: Any) -> Figure:
    """Row shares of the segment transition matrix (``opslib.customers.segment_transitions``) with counts.

    Parameters:
        transitions: :func:`opslib.customers.segment_transitions` result.

    Returns:
        A matplotlib Figure.
    """
    shares, counts = transitions.shares, transitions.counts
    keep_r = counts.sum(axis=1) > 0
    keep_c = counts.sum(axis=0) > 0
    s, c = shares.loc[keep_r, keep_c], counts.loc[keep_r, keep_c]
    fig, ax = plt.subplots(figsize=(1.0 * len(s.columns) + 3, 0.55 * len(s) + 2))
    if s.empty:
        _empty(ax, "no customers")
        return fig
    annot = np.where(c.to_numpy() > 0, [[f"{percent(v, 0)}\n{number(n)}" for v, n in zip(rs, rc, strict=True)]
                                        for rs, rc in zip(s.to_numpy(), c.to_numpy(), strict=True)], "")
    sns.heatmap(s, annot=annot, fmt="", cmap="Blues", vmin=0, vmax=1, cbar=False, ax=ax, annot_kws={"fontsize": 7.5})
    ax.grid(False)
    ax.set(xlabel=f"{transitions.after:%Y-%m-%d} 分层 segment", ylabel=f"{transitions.before:%Y-%m-%d} 分层 segment",
           title="客户分层迁移 Segment transitions (share of the row, customers)")
    ax.tick_params(axis="x", labelrotation=45)
    fig.tight_layout()
    return fig


def transition_table(transitions: Any, top: int = 12) -> pd.DataFrame:
    """The largest moves between different segments, for display (from, to, customers, share of the row).

    Parameters:
        transitions: :func:`opslib.customers.segment_transitions` result. top: rows shown.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    t = transitions.summary()
    t = t[t["from"] != t["to"]].sort_values("customers", ascending=False).head(top).reset_index(drop=True)
    return format_table(t, units=["customers"], percent=["share"],
                        labels={"from": "从 from", "to": "到 to", "customers": "客户数", "share": "占原分层 share"})


# ------------------------------------------------------------------------------------------------ cohorts
def cohort_heatmap(matrix: pd.DataFrame, value: str = "retention", freq: str = "M", max_periods: int = 12) -> Figure:
    """Cohorts (rows) × periods since the first order (columns) of ``CohortResult.matrix(value)``: retention as %,
    revenue per customer as money.

    Parameters:
        matrix: ``CohortResult.matrix(value)``. value: which measure it holds. freq: ``M`` or ``W``.
        max_periods: the last period (column) shown.

    Returns:
        A matplotlib Figure.
    """
    m = matrix.loc[:, [c for c in matrix.columns if c <= max_periods]]
    fig, ax = plt.subplots(figsize=(0.75 * len(m.columns) + 3, 0.4 * len(m) + 1.8))
    if m.empty:
        _empty(ax, "no cohorts")
        return fig
    is_rate = value == "retention"
    fmt = (lambda v: "" if not np.isfinite(v) else percent(v, 0)) if is_rate else \
        (lambda v: "" if not np.isfinite(v) else money(v))
    annot = np.vectorize(fmt, otypes=[object])(m.to_numpy(dtype=float))
    later = m.loc[:, [c for c in m.columns if c >= 1]].to_numpy(dtype=float)
    # period 0 is 100% retention by definition: scale the colours to the later periods (period 0 saturates)
    vmax = float(np.nanmax(later)) if is_rate and np.isfinite(later).any() else None
    sns.heatmap(m.astype(float), annot=annot, fmt="", cmap="Blues", cbar=False, ax=ax, annot_kws={"fontsize": 7.5},
                mask=m.isna(), vmin=0, vmax=vmax)
    ax.grid(False)
    unit = "months" if freq == "M" else "weeks"
    title = {"retention": "留存率 Retention", "revenue_per_customer": "人均贡献 Revenue per customer",
             "cum_revenue_per_customer": "累计人均贡献 Cumulative revenue per customer"}.get(value, value)
    ax.set(xlabel=f"{unit} since the first order", ylabel="首单月 first-order cohort", title=f"{title} by cohort")
    fig.tight_layout()
    return fig


def cohort_summary_table(cohorts: Any) -> pd.DataFrame:
    """``CohortResult.summary()`` for display.

    Parameters:
        cohorts: :func:`opslib.customers.cohort_table` result.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    t = cohorts.summary()
    if t.empty:
        return Note("(no cohorts: see the reason above)")
    t["cohort"] = t["cohort"].dt.strftime("%Y-%m" if cohorts.freq == "M" else "%Y-%m-%d")
    return format_table(t, units=["cohort_size"], percent=[c for c in t.columns if c.startswith("retention_")],
                        money=["revenue_per_customer"],
                        labels={"cohort": "cohort", "cohort_size": "新客数 size", "retention_1": "1 期后",
                                "retention_3": "3 期后", "retention_6": "6 期后", "retention_12": "12 期后",
                                "revenue_per_customer": "累计人均贡献"})


def repeat_rate_chart(rates: pd.DataFrame) -> Figure:
    """京东商智-style N-day repeat-purchase rates over time, one line per window (``RepeatRates.rates``).

    Parameters:
        rates: ``RepeatRates.rates`` (``end``, ``window_days``, ``repeat_rate``).

    Returns:
        A matplotlib Figure.
    """
    fig, ax = plt.subplots(figsize=(10, 4))
    for i, (w, part) in enumerate(rates.groupby("window_days")):
        ax.plot(part["end"], part["repeat_rate"], marker="o", ms=3, color=PALETTE[i % len(PALETTE)],
                label=f"{w} 天重复购买率 {w}-day repeat rate")
    ax.yaxis.set_major_formatter(_PCT0)
    ax.set(title="重复购买率 Repeat-purchase rate (京东商智 definition)", ylabel="")
    ax.legend()
    ax.tick_params(axis="x", labelrotation=30)
    fig.tight_layout()
    return fig


def repeat_table(rates: Any) -> pd.DataFrame:
    """The latest repeat-purchase rates for display (``RepeatRates.summary()``).

    Parameters:
        rates: :func:`opslib.customers.repeat_purchase_rate` result.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    t = rates.summary().copy()
    t["end"] = t["end"].dt.strftime("%Y-%m-%d")
    return format_table(t, units=["window_days", "buyers", "repeat_buyers"], percent=["repeat_rate"],
                        labels={"end": "统计日 day", "window_days": "天数 days", "buyers": "成交客户 buyers",
                                "repeat_buyers": "购买2单+ repeat buyers", "repeat_rate": "重复购买率"})


def first_repeat_table(table: pd.DataFrame) -> pd.DataFrame:
    """``first_order_repeat`` for display: orders, repeated within the window, rate.

    Parameters:
        table: :func:`opslib.customers.first_order_repeat`.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    return format_table(table[["label", "orders", "repeated", "rate"]], units=["orders", "repeated"], percent=["rate"],
                        labels={"label": "订单 orders", "orders": "可观察订单 eligible", "repeated": "期内再购 repeated",
                                "rate": "再购率 rate"})


def gap_chart(gaps: Any) -> Figure:
    """Histogram of days between orders (``OrderGaps``) with the median first-to-second gap marked.

    Parameters:
        gaps: :func:`opslib.customers.order_gaps` result.

    Returns:
        A matplotlib Figure.
    """
    h = gaps.histogram
    fig, ax = plt.subplots(figsize=(10, 4))
    if h.empty:
        _empty(ax, "no customer ordered twice")
        return fig
    ax.bar(h["bin_start"] + gaps.bin_days / 2, h["gaps"], width=gaps.bin_days * 0.9, color=PALETTE[0])
    s = gaps.summary_table
    first = s.loc[s["step"] == "1→2", "median_days"]
    if len(first) and np.isfinite(first.iloc[0]):
        ax.axvline(first.iloc[0], color=NEGATIVE, ls="--", lw=1)
        ax.text(first.iloc[0], ax.get_ylim()[1] * 0.95, f"  median 1→2: {first.iloc[0]:.0f} days", color=NEGATIVE,
                va="top", fontsize=9)
    ax.set(xlabel=f"days to the next order ({gaps.bin_days}-day bins; the last bin: {gaps.cap}+ days)",
           ylabel="orders", title="回购周期 Time between orders")
    fig.tight_layout()
    return fig


def gap_table(gaps: Any) -> pd.DataFrame:
    """``OrderGaps.summary()`` for display (days as whole numbers).

    Parameters:
        gaps: :func:`opslib.customers.order_gaps` result.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    return format_table(gaps.summary(), units=["gaps", "mean_days", "p25_days", "median_days", "p75_days", "p90_days"],
                        labels={"step": "第几单 step", "gaps": "次数 gaps", "mean_days": "平均天数 mean",
                                "p25_days": "P25", "median_days": "中位 median", "p75_days": "P75", "p90_days": "P90"})


def new_returning_chart(table: pd.DataFrame) -> Figure:
    """Stacked bars per month of new and returning buyers, and of new, returning and guest GMV (``new_vs_returning``).

    Parameters:
        table: :func:`opslib.customers.new_vs_returning`.

    Returns:
        A Figure of two panels.
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    x = table["period"].dt.strftime("%Y-%m")
    axes[0].bar(x, table["new_buyers"], color=PALETTE[0], label="新客 new")
    axes[0].bar(x, table["returning_buyers"], bottom=table["new_buyers"], color=PALETTE[1], label="老客 returning")
    axes[0].set_title("买家数 Buyers: new vs returning")
    bottom = np.zeros(len(table))
    for col, label, color in (("new_gmv", "新客 new", PALETTE[0]), ("returning_gmv", "老客 returning", PALETTE[1]),
                              ("guest_gmv", "游客 guests", TOTAL)):
        axes[1].bar(x, table[col], bottom=bottom, color=color, label=label)
        bottom = bottom + table[col].to_numpy(dtype=float)
    axes[1].yaxis.set_major_formatter(axis_formatter("gmv"))
    axes[1].set_title("GMV: new, returning and guest")
    step = max(1, len(table) // 12)
    for ax in axes:
        ax.set_xticks(range(0, len(table), step), x.iloc[::step], rotation=45)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def new_returning_table(table: pd.DataFrame, last: int = 6) -> pd.DataFrame:
    """The last ``last`` buckets of ``new_vs_returning`` for display.

    Parameters:
        table: :func:`opslib.customers.new_vs_returning`. last: the buckets shown (the latest).

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    t = table.tail(last).copy()
    t["period"] = t["period"].dt.strftime("%Y-%m-%d")
    return format_table(t, units=["new_buyers", "returning_buyers", "new_orders", "returning_orders", "guest_orders"],
                        percent=["returning_share"], money=["new_gmv", "returning_gmv", "guest_gmv", "gmv"],
                        labels={"period": "period", "new_buyers": "新客", "returning_buyers": "老客",
                                "returning_share": "老客占比", "new_orders": "新客订单", "returning_orders": "老客订单",
                                "guest_orders": "游客订单", "new_gmv": "新客 GMV", "returning_gmv": "老客 GMV",
                                "guest_gmv": "游客 GMV", "gmv": "GMV"})


# ---------------------------------------------------------------------------------------------------- CLV
def calibration_chart(by_frequency: pd.DataFrame, duration: float | None = None, unit: str = "weeks") -> Figure:
    """Predicted vs actual purchases per customer in the holdout, by calibration frequency
    (``HoldoutEvaluation.by_frequency``): the classic BG/NBD conditional-expectation check.

    Parameters:
        by_frequency: ``HoldoutEvaluation.by_frequency``. duration: holdout length. unit: its time unit.

    Returns:
        A matplotlib Figure.
    """
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = np.arange(len(by_frequency))
    ax.plot(x, by_frequency["actual"], marker="o", color=TOTAL, label="实际 actual")
    ax.plot(x, by_frequency["predicted"], marker="s", ls="--", color=PALETTE[0], label="BG/NBD 预测 predicted")
    ax.set_xticks(x, by_frequency["label"])
    for xx, n in zip(x, by_frequency["customers"], strict=True):
        ax.text(xx, 0, number(n), ha="center", va="bottom", fontsize=7.5, color="#777777")
    span = f" over {duration:.0f} {unit}" if duration is not None else ""
    ax.set(xlabel="校准期复购次数 repeat purchases in the calibration period",
           ylabel=f"holdout purchases per customer{span}", title="留出期校验 Holdout check: predicted vs actual")
    ax.legend()
    fig.tight_layout()
    return fig


def p_alive_matrix_chart(model: Any, max_frequency: int = 20, max_recency: float = 52.0, T: float | None = None,
                         unit: str = "weeks") -> Figure:
    """P(alive) of a customer aged ``T`` (default ``max_recency``) for each frequency and recency (BG/NBD):
    recent repeat buyers are alive, frequent buyers who went quiet are not.

    Parameters:
        model: a fitted ``BGNBDResult``. max_frequency, max_recency: the grid. T: the customer's age
        (default ``max_recency``). unit: the model's time unit, for the labels.

    Returns:
        A matplotlib Figure.
    """
    big_t = float(T if T is not None else max_recency)
    rec = np.linspace(0, big_t, 40)
    freq = np.arange(0, max_frequency + 1)
    grid = np.array([[float(model.p_alive(int(x), float(r), big_t)[0]) if x > 0 or r == 0 else np.nan for r in rec]
                     for x in freq])
    fig, ax = plt.subplots(figsize=(8, 5))
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="RdYlGn", vmin=0, vmax=1,
                   extent=(0, big_t, -0.5, max_frequency + 0.5))
    fig.colorbar(im, ax=ax, format=_PCT0, label="P(alive)")
    ax.grid(False)
    ax.set(xlabel=f"recency: time of the last purchase ({unit} after the first)", ylabel="repeat purchases",
           title=f"在网概率 P(alive) for a customer aged {big_t:.0f} {unit}")
    fig.tight_layout()
    return fig


def p_alive_chart(clv: pd.DataFrame) -> Figure:
    """Distribution of P(alive) among repeat buyers, and expected purchases against P(alive) (``customer_lifetime_value``).

    Customers without a repeat purchase have P(alive) = 1 by the model's construction (they cannot have dropped
    out after a repeat they never made), so they are left out of the histogram.

    Parameters:
        clv: ``customer_lifetime_value`` output (``frequency``, ``p_alive``, ``expected_purchases``).

    Returns:
        A Figure of two panels.
    """
    rep = clv[clv["frequency"] > 0]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    if rep.empty:
        _empty(axes[0], "no repeat buyers")
        _empty(axes[1], "no repeat buyers")
        return fig
    axes[0].hist(rep["p_alive"], bins=20, range=(0, 1), color=PALETTE[0])
    axes[0].xaxis.set_major_formatter(_PCT0)
    axes[0].set(title=f"P(alive) of {number(len(rep))} repeat buyers", xlabel="P(alive)", ylabel="customers")
    axes[1].scatter(rep["p_alive"], rep["expected_purchases"], s=6, alpha=0.4, color=PALETTE[1])
    axes[1].xaxis.set_major_formatter(_PCT0)
    axes[1].set(title="预期购买 expected purchases vs P(alive)", xlabel="P(alive)", ylabel="expected purchases")
    fig.tight_layout()
    return fig


def params_table(summary: pd.DataFrame) -> pd.DataFrame:
    """A fit's parameter table (``BGNBDResult.summary()`` / ``GammaGammaResult.summary()``) for display.

    Parameters:
        summary: a fit's ``summary()`` (``parameter``, ``estimate``, ``se``, ``ci_low``, ``ci_high``).

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    if summary is None or summary.empty:
        return Note("(no fit: see the reason above)")
    t = summary.copy()
    return format_table(t, decimals=2, labels={"parameter": "参数 parameter", "estimate": "估计 estimate", "se": "SE",
                                               "ci_low": "95% low", "ci_high": "95% high"})


def holdout_table(evaluation: Any) -> pd.DataFrame:
    """``HoldoutEvaluation.summary()`` for display (a ``HoldoutCheck`` is accepted; empty when it was skipped).

    Parameters:
        evaluation: a ``HoldoutEvaluation`` or a :class:`opslib.customers.HoldoutCheck`.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    evaluation = getattr(evaluation, "evaluation", evaluation)
    if evaluation is None:
        return Note("(no holdout check: see the reason above)")
    return format_table(evaluation.summary(), units=["customers"], percent=["aggregate_error"], decimals=2,
                        signed=["aggregate_error"],
                        labels={"customers": "客户 customers", "duration": "留出期 holdout (units)", "mae": "MAE",
                                "rmse": "RMSE", "total_actual": "实际 actual", "total_predicted": "预测 predicted",
                                "aggregate_error": "总量误差 aggregate error"})


def correlation_table(correlation: pd.DataFrame) -> pd.DataFrame:
    """``frequency_spend_correlation`` for display: the Gamma-Gamma independence check.

    Parameters:
        correlation: ``frequency_spend_correlation`` output.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    if correlation is None or correlation.empty:
        return Note("(no independence check: see the reason above)")
    return format_table(correlation, units=["n"], pvalues=["p_value"], decimals=2,
                        labels={"method": "方法 method", "n": "复购客户 repeat buyers", "estimate": "相关系数 r",
                                "ci_low": "95% low", "ci_high": "95% high", "p_value": "p"})


def _top_rows(frame: pd.DataFrame, column: str, top: int) -> pd.DataFrame:
    """The first ``top`` rows of ``frame`` sorted by ``column`` descending (stable: ties in the frame's order,
    missing values last), without sorting the whole frame: only the rows at or above the ``top``-th largest
    value are sorted (at 3.8M customers a few rows instead of all).

    Example:
        >>> f = pd.DataFrame({"id": list("abcde"), "v": [1.0, 3.0, 2.0, 3.0, None]})
        >>> _top_rows(f, "v", 2)["id"].tolist(), _top_rows(f, "v", 4)["id"].tolist()
        (['b', 'd'], ['b', 'd', 'c', 'a'])
    """
    values = frame[column]
    if top < 1:
        return frame.iloc[:0]
    if int(values.notna().sum()) > top:
        frame = frame[values >= values.nlargest(top).iloc[-1]]
    return frame.sort_values(column, ascending=False, kind="stable").head(top)


def clv_table(clv: pd.DataFrame, customer: str = "customer_id", top: int = 15) -> pd.DataFrame:
    """The customers with the highest CLV, for display (empty when there is no valuation).

    Parameters:
        clv: ``customer_lifetime_value`` output (or None). customer: its customer column. top: rows shown.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    if clv is None or clv.empty:
        return Note("(no valuation: see the reason above)")
    # a CustomerTable (millions of customers in a file): its top rows by SQL, ties by customer as in the file
    t = clv.top_rows("clv", top, then=customer) if hasattr(clv, "top_rows") else _top_rows(clv, "clv", top)
    cols = [customer, "frequency", "p_alive", "expected_purchases", "expected_spend", "clv"]
    return format_table(t[cols].reset_index(drop=True), units=["frequency"], percent=["p_alive"],
                        money=["expected_spend", "clv"], decimals=2,
                        labels={"frequency": "复购次数 repeats", "p_alive": "P(alive)",
                                "expected_purchases": "预期购买 expected purchases", "expected_spend": "预期客单 spend",
                                "clv": "CLV"})


# ------------------------------------------------------------------------------------------------ actions
def action_table(actions: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """A win-back or nurture list for display (money, days, P(alive) as %).

    Parameters:
        actions: a win-back or nurture list (:func:`opslib.customers.win_back_list`). top: rows shown.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    t = actions.head(top).reset_index(drop=True)
    if t.empty:
        return Note("(nobody on this list)")
    return format_table(t, money=[c for c in ("monetary", "clv") if c in t.columns],
                        percent=[c for c in ("p_alive",) if c in t.columns],
                        units=[c for c in ("recency_days", "frequency") if c in t.columns])


def campaigns_table(campaigns: pd.DataFrame) -> pd.DataFrame:
    """``segment_campaigns`` for display.

    Parameters:
        campaigns: :func:`opslib.customers.segment_campaigns`.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    return format_table(campaigns, units=["priority", "customers"], percent=["customer_share", "value_share"],
                        labels={"priority": "优先级", "segment_name": "segment", "segment_cn": "分层",
                                "customers": "客户数", "customer_share": "客户占比", "value_share": "价值占比",
                                "goal": "目标 goal", "action": "动作 action", "offer": "力度 offer", "channel": "渠道 channel"})


def legend_table(legend: pd.DataFrame) -> pd.DataFrame:
    """``segment_legend`` for display.

    Parameters:
        legend: :func:`opslib.customers.segment_legend`.

    Returns:
        A display table (strings); a note instead when there is nothing to show.
    """
    return format_table(legend, labels={"segment": "segment", "segment_cn": "分层", "description": "特征 description"})



# ------------------------------------------------------------------------------------------------ summary
def _pct_change(cur: float, base: float) -> str | None:
    if not (np.isfinite(cur) and np.isfinite(base)) or base == 0:
        return None
    return f"{percent(cur / base - 1, signed=True)} vs {number(base)}"


def summarise_traffic(summary: Any, funnel: Any = None, change: Any = None, mix: Any = None) -> Any:
    """Fill the executive summary with the traffic part: tiles, the GMV verdict through the funnel, an action.

    Rules: tiles for GMV and visitors of the period (their change against the baseline from the funnel
    decomposition when there is one) and the conversion rate (AOV is in the verdict's drivers: a page keeps to
    at most 6 tiles with the customer part); the verdict names the biggest and the weakest of
    the five drivers; the weakest becomes an action for its owner (``opslib.kpi.DRIVER_OWNERS``) when GMV fell or
    it cost more than 1% of baseline GMV; a channel-mix effect beyond 1% of baseline GMV gets its own verdict.

    Parameters:
        summary: an ``opslib.reporting.ExecutiveSummary``. funnel: the period's :class:`opslib.customers.Funnel`.
        change: :func:`opslib.customers.funnel_change` (``GmvChange``). mix: :func:`opslib.customers.channel_mix`.

    Returns:
        The summary (filled in place).
    """
    from opslib.kpi import DRIVER_OWNERS

    decomp = None if change is None or getattr(change, "decomposition", None) is None else change.decomposition
    row = None
    if funnel is not None and getattr(funnel, "table", None) is not None and len(funnel.table):
        row = funnel.table.iloc[0]
    if row is not None:
        base = {} if decomp is None else dict(zip(decomp["driver"], decomp["baseline"], strict=True))
        g0 = float(decomp.attrs["gmv_baseline"]) if decomp is not None else float("nan")
        summary.tile("GMV 成交额", money(row["gmv"]), _pct_change(float(row["gmv"]), g0) if decomp is not None else None,
                     good=None if decomp is None else bool(row["gmv"] >= g0), metric="gmv", raw=float(row["gmv"]))
        if np.isfinite(row["visitors"]):
            v0 = float(base.get("visitors", float("nan")))
            summary.tile("访客数 Visitors", number(row["visitors"]), _pct_change(float(row["visitors"]), v0),
                         good=None if not np.isfinite(v0) else bool(row["visitors"] >= v0), metric="visitors",
                         raw=float(row["visitors"]))
            summary.tile("转化率 Conversion", percent(row["conversion_rate"], 2), metric="conversion_rate",
                         raw=float(row["conversion_rate"]))
    if decomp is not None and len(decomp):
        worst = decomp.loc[decomp["contribution"].idxmin()]
        best = decomp.loc[decomp["contribution"].idxmax()]
        summary.verdict(f"GMV {money(decomp.attrs['change'], signed=True)} through the funnel: biggest driver "
                        f"{best['label']} {money(best['contribution'], signed=True)}; weakest {worst['label']} "
                        f"{money(worst['contribution'], signed=True)}.")
        g0 = float(decomp.attrs.get("gmv_baseline", 0.0)) or 1.0
        if worst["contribution"] < 0 and (decomp.attrs.get("change", 0) < 0 or -worst["contribution"] > 0.01 * g0):
            owner, what = DRIVER_OWNERS.get(str(worst["driver"]), ("运营 operations", "find the cause"))
            summary.action(owner, f"{worst['label']} cost {money(-worst['contribution'])} of GMV: {what}.",
                           key=f"funnel:{worst['driver']}")
    if mix is not None and getattr(mix, "effects", None) is not None:
        eff = mix.effects.set_index("effect")["contribution"]
        if abs(eff["mix"]) > 0.01 * (mix.gmv_baseline or 1.0):
            towards = "towards channels with bigger baskets" if eff["mix"] > 0 else "towards channels with smaller baskets"
            summary.verdict(f"Channel mix {money(eff['mix'], signed=True)}: orders moved {towards}.")
    return summary


def summarise_customers(summary: Any, rfm: Any = None, repeat: Any = None, check: Any = None, value: Any = None,
                        win_back: pd.DataFrame | None = None, nurture: pd.DataFrame | None = None,
                        guests: Any = None, median_gap_days: float | None = None) -> Any:
    """Fill the executive summary with the customer part: tiles, verdicts on value at risk and the CLV check, actions.

    Rules: tiles for the latest 90-day repeat-purchase rate (京东商智), the share of value in
    *At risk* and *Cannot lose* and the 12-month CLV; a verdict on the value at risk and one on the holdout check
    (within ±20%: usable; beyond: rough); actions for the CRM team when the win-back or nurture list is not empty;
    the guest sentence as a note.

    Parameters:
        summary: an ``opslib.reporting.ExecutiveSummary``. rfm: :func:`opslib.customers.rfm_segments`.
        repeat: :func:`opslib.customers.repeat_purchase_rate`. check: :func:`opslib.customers.holdout_check`.
        value: :func:`opslib.customers.lifetime_value`. win_back, nurture: the action lists.
        guests: :func:`opslib.customers.guest_summary`. median_gap_days: median days to a second order.

    Returns:
        The summary (filled in place).
    """
    if rfm is not None and len(rfm.customers):
        seg = rfm.summary().set_index("segment")
        at_risk = float(seg.loc[["at_risk", "cannot_lose"], "value_share"].sum())
        summary.tile("流失风险价值 Value at risk", percent(at_risk), good=None, metric="value_at_risk", raw=at_risk)
        summary.verdict(f"{percent(at_risk)} of the customers' value sits in At risk and Cannot lose; Champions hold "
                        f"{percent(seg.loc['champions', 'value_share'])} of it with "
                        f"{percent(seg.loc['champions', 'customer_share'])} of the customers.")
    if repeat is not None and len(repeat.rates):
        last = repeat.summary().set_index("window_days")
        if 90 in last.index and np.isfinite(last.loc[90, "repeat_rate"]):
            summary.tile("90天重复购买率 90-day repeat", percent(last.loc[90, "repeat_rate"]), metric="repeat_rate_90d",
                         raw=float(last.loc[90, "repeat_rate"]))
    if value is not None and getattr(value, "customers", None) is not None:
        total = float(value.summary()["clv"].iloc[0])  # by SQL when the customers are a file (millions of them)
        summary.tile(f"CLV {value.horizon_months} 个月", money(total), metric="clv", raw=total)
    if check is not None and getattr(check, "evaluation", None) is not None:
        err = check.evaluation.aggregate_error
        ok = abs(err) <= 0.2
        summary.verdict(f"BG/NBD predicted the holdout's purchases {percent(err, signed=True)} off: "
                        + ("good enough to budget on CLV." if ok else "too far off to budget on CLV; use the RFM lists."))
    if win_back is not None and len(win_back):
        # a list of millions of customers is a CustomerTable: its sum by SQL, not the column in pandas
        spent = win_back.sum("monetary") if hasattr(win_back, "top_rows") else win_back["monetary"].sum()
        summary.action("客户运营 CRM", f"Win back {number(len(win_back))} at-risk customers who spent "
                       f"{money(spent)} (the win-back list, section 8).", key="customers:win_back")
    if nurture is not None and len(nurture):
        when = f" around day {median_gap_days:.0f}" if median_gap_days is not None and np.isfinite(median_gap_days) else ""
        summary.action("客户运营 CRM", f"Nudge {number(len(nurture))} new customers towards a second order{when} "
                       "(the nurture list, section 8).", key="customers:nurture")
    if guests is not None and guests.orders:
        summary.note(guests.describe())
    return summary
