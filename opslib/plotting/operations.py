"""Charts and display tables of the operations notebook (06): the norms scorecard and its trend, fulfilment,
carriers, reviews, returns, customer service, estimated effects and the root-cause drill-down.

Every function takes the frames or results of ``opslib.operations`` and returns a Figure or a display table
(strings, via :func:`opslib.plotting.format.format_table`). A frame marked as skipped (``attrs["skipped"]``,
set when the shop lacks a table) becomes a one-line table saying why, so a notebook cell stays one line.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from opslib.plotting.format import MISSING, decimal, format_table, percent
from opslib.plotting.theme import NEGATIVE, PALETTE, POSITIVE

_PCT0 = FuncFormatter(lambda v, _: percent(v, 0))
STATUS_COLOURS = {"met": POSITIVE, "breached": NEGATIVE, "too_few": "#949494", "skipped": "#cccccc"}
STATUS_LABELS = {"met": "达标 met", "breached": "未达标 breached", "too_few": "样本不足 too few", "skipped": "跳过 skipped"}


def _skipped(df: pd.DataFrame) -> pd.DataFrame | None:
    reason = df.attrs.get("skipped") if isinstance(df, pd.DataFrame) else None
    return pd.DataFrame({"skipped": [reason]}) if reason else None


def _empty_figure(message: str) -> Figure:
    fig, ax = plt.subplots(figsize=(8, 1.6))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, wrap=True)
    return fig


def _err(values: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray:
    v = values.to_numpy(dtype=float)
    return np.vstack([np.clip(v - low.to_numpy(dtype=float), 0, None), np.clip(high.to_numpy(dtype=float) - v, 0, None)])


def _value_text(kind: str, x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return MISSING
    return percent(x) if kind == "share" else decimal(x)


# --------------------------------------------------------------------------------------------- norms
def scorecard_chart(results: pd.DataFrame) -> Figure:
    """Every norm on one scale: the value as a multiple of the target (right of 1 = better than the norm), with
    its 95 % interval, coloured by status and grouped by department (``Scorecard.results``).

    Index: ``value / target`` for at_least norms, ``target / value`` for at_most norms (capped at 2).

    Parameters:
        results: ``Scorecard.results``.

    Returns:
        The ``Figure``.
    """
    r = results.reset_index(drop=True)
    if r.empty:
        return _empty_figure("no norms to show")

    def idx(v: pd.Series) -> np.ndarray:
        v = v.astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(r["direction"] == "at_least", v / r["target"], r["target"] / v)
        return np.clip(np.nan_to_num(out, nan=np.nan, posinf=2.0), 0, 2.0)

    x = idx(r["value"])
    lo = np.where(r["direction"] == "at_least", idx(r["low"]), idx(r["high"]))
    hi = np.where(r["direction"] == "at_least", idx(r["high"]), idx(r["low"]))
    y = np.arange(len(r))[::-1]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(r) + 1.5))
    for i, row in r.iterrows():
        c = STATUS_COLOURS.get(row["status"], "grey")
        if not math.isnan(x[i]):
            ax.plot([lo[i], hi[i]], [y[i], y[i]], color=c, lw=2, alpha=0.6)
            ax.scatter([x[i]], [y[i]], color=c, s=60, zorder=3, marker="D" if row.get("certain") else "o")
        text = f"{_value_text(row['kind'], row['value'])} vs {row['target_text']}"
        ax.text(2.05, y[i], text, va="center", fontsize=8)
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    ax.set_yticks(y, [f"{d} · {lab}" for d, lab in zip(r["department_name"], r["label"], strict=True)], fontsize=8)
    ax.set_xlim(0, 2.0)
    ax.set(xlabel="实际 / 目标 value relative to the norm (1 = on target; right = better)",
           title="部门流程规范达成 Norms by department (◆ breach beyond noise)")
    handles = [plt.Line2D([], [], color=c, marker="o", ls="", label=STATUS_LABELS[s]) for s, c in STATUS_COLOURS.items()]
    ax.legend(handles=handles, loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig


def norm_trend_chart(trend: pd.DataFrame, results: pd.DataFrame, columns: int = 4) -> Figure:
    """One small panel per norm: its weekly value (``Scorecard.trend``) against the target (dashed).

    Parameters:
        trend: ``Scorecard.trend``; results: ``Scorecard.results``; columns: panels per row.

    Returns:
        The ``Figure``.
    """
    norms = [n for n in results["norm"] if n in set(trend["norm"])]
    if not norms:
        return _empty_figure("no weekly values to show")
    rows = math.ceil(len(norms) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 2.5 * rows), squeeze=False, sharex=True)
    info = results.set_index("norm")
    for ax, n in zip(axes.flat, norms, strict=False):
        t = trend[trend["norm"] == n]
        r = info.loc[n]
        c = STATUS_COLOURS.get(r["status"], "grey")
        ax.plot(t["week"], t["value"], color=c, marker="o", ms=3, lw=1.5)
        ax.axhline(r["target"], color="grey", ls="--", lw=1)
        ax.set_title(str(r["label"])[:34], fontsize=8)
        if r["kind"] == "share":
            top = float(np.nanmax([t["value"].max(), r["target"]]))
            digits = 0 if top >= 0.05 else (1 if top >= 0.005 else 2)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _, d=digits: percent(v, d)))
        ax.tick_params(labelsize=7, labelbottom=True)
        for lab in ax.get_xticklabels():
            lab.set_rotation(45)
    for ax in list(axes.flat)[len(norms):]:
        ax.axis("off")
    fig.suptitle("每周趋势 Weekly value of every norm (dashed: target)", fontsize=11)
    fig.tight_layout()
    return fig


def norms_table(summary: pd.DataFrame) -> pd.DataFrame:
    """``Norms.summary()`` for display.

    Parameters:
        summary: the frame to show.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    return format_table(summary, labels={"department": "部门 department", "owner": "负责人 owner", "norm": "norm",
                                         "label": "规范 norm", "metric": "metric", "target": "目标 target",
                                         "scope": "范围 scope", "parameters": "参数 parameters"})


def scorecard_table(results: pd.DataFrame) -> pd.DataFrame:
    """``Scorecard.results`` for display: value with its interval, target, units, exceptions and status.

    Parameters:
        results: ``Scorecard.results``.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    r = results.reset_index(drop=True)
    out = pd.DataFrame({
        "部门 department": r["department_name"], "规范 norm": r["label"], "负责人 owner": r["owner"],
        "实际 value": [_value_text(k, v) for k, v in zip(r["kind"], r["value"], strict=True)],
        "95% 区间 interval": [f"{_value_text(k, lo)} – {_value_text(k, hi)}" if not pd.isna(v) else MISSING
                             for k, v, lo, hi in zip(r["kind"], r["value"], r["low"], r["high"], strict=True)],
        "目标 target": r["target_text"],
        "单位数 units": [f"{int(u):,}" for u in r["units"]], "异常 exceptions": [f"{int(f):,}" for f in r["fails"]],
        "状态 status": [STATUS_LABELS[s] + (" ◆" if c else "") for s, c in zip(r["status"], r["certain"], strict=True)],
        "说明 note": r["reason"].fillna(""),
    })
    return out


def department_table(departments: pd.DataFrame) -> pd.DataFrame:
    """``Scorecard.departments()`` for display.

    Parameters:
        departments: ``Scorecard.departments()``.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    d = departments.drop(columns=["department"])
    return format_table(d, percent=["score"], units=["norms", "met", "breached", "certain", "too_few", "skipped"],
                        labels={"name": "部门 department", "owner": "负责人 owner", "norms": "规范数 norms",
                                "met": "达标 met", "breached": "未达标 breached", "certain": "超出噪声 beyond noise",
                                "too_few": "样本不足 too few", "skipped": "跳过 skipped", "score": "达标率 score",
                                "worst": "最差 worst norm"})


def breaches_table(breaches: pd.DataFrame, limit: int = 15) -> pd.DataFrame:
    """The first ``limit`` exceptions of ``Scorecard.breaches()`` for display, empty columns left out.

    Parameters:
        breaches: ``Scorecard.breaches()``; limit: rows shown.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    if breaches.empty:
        return pd.DataFrame({"exceptions": ["none: no norm breached in the period"]})
    b = breaches.head(limit).drop(columns=["owner"])
    b = b[[c for c in b.columns if b[c].notna().any()]]
    return format_table(b, labels={"ref_ts": "到期 due", "measure": "数值 measure", "label": "规范 norm"})


def contributors_table(contributors: pd.DataFrame, kind: str | None = None) -> pd.DataFrame:
    """``Scorecard.contributors(norm)`` for display: where the shortfall sits (``kind`` defaults to the norm's).

    Parameters:
        contributors: ``Scorecard.contributors(norm)``; kind: ``share`` or ``mean`` (how values read).

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    kind = kind or contributors.attrs.get("kind", "share")
    c = contributors.copy()
    if c.empty:
        return pd.DataFrame({"contributors": ["no group stands out"]})
    c["value"] = [_value_text(kind, v) for v in c["value"]]
    c["closes"] = [f"{x * 100:.0f}%" + (" (alone meets the norm)" if x >= 1 else "") for x in c["closes"]]
    return format_table(c, units=["units"], decimals=1,
                        labels={"dimension": "维度 dimension", "group": "组 group", "units": "单位数 units",
                                "value": "实际 value", "excess": "超额异常 excess", "closes": "可弥合缺口 closes the gap"})


def alerts_table(alerts: pd.DataFrame) -> pd.DataFrame:
    """``opslib.operations.alert_table`` for display.

    Parameters:
        alerts: ``opslib.operations.alert_table``.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    if alerts.empty:
        return pd.DataFrame({"alerts": ["none: every judged norm is met"]})
    cols = ["severity", "department_name", "owner", "label", "value", "target", "fails", "units", "where"]
    return format_table(alerts[cols], units=["fails", "units"],
                        labels={"severity": "级别 severity", "department_name": "部门 department", "owner": "负责人 owner",
                                "label": "规范 norm", "value": "实际 value", "target": "目标 target",
                                "fails": "异常 exceptions", "units": "单位数 units", "where": "集中在 where"})


# ----------------------------------------------------------------------------------------- fulfilment
def durations_table(durations: pd.DataFrame) -> pd.DataFrame:
    """``opslib.operations.durations_by`` for display (hours with one decimal, rates as %).

    Parameters:
        durations: ``opslib.operations.durations_by``.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    skip = _skipped(durations)
    if skip is not None:
        return skip
    return format_table(durations, percent=["on_time_rate"], units=["orders", "shipped", "due", "late", "lost"],
                        decimals=1, labels={"orders": "订单 orders", "shipped": "已发货 shipped",
                                            "handling_mean_h": "处理均值 handling mean h",
                                            "handling_p50_h": "处理中位 p50 h", "handling_p90_h": "处理 p90 h",
                                            "transit_mean_h": "运输均值 transit mean h", "transit_p50_h": "运输中位 p50 h",
                                            "transit_p90_h": "运输 p90 h", "due": "到期 due",
                                            "on_time_rate": "准时率 on time", "late": "迟到 late", "lost": "丢件 lost"})


def daily_handling_chart(daily: pd.DataFrame, ship_hours: float = 48.0) -> Figure:
    """Daily mean and p90 handling time with campaign (peak) days shaded, paid orders as bars below
    (``opslib.operations.daily_fulfilment``).

    Parameters:
        daily: ``opslib.operations.daily_fulfilment``; ship_hours: the shipping norm drawn as a line.

    Returns:
        The ``Figure``.
    """
    if _skipped(daily) is not None or daily.empty:
        return _empty_figure(daily.attrs.get("skipped", "no paid orders in the window"))
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(11, 5.5), sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
    for d in daily.loc[daily["peak"], "day"]:
        for a in (ax, ax2):
            a.axvspan(d - pd.Timedelta(hours=12), d + pd.Timedelta(hours=12), color=PALETTE[1], alpha=0.15, lw=0)
    ax.plot(daily["day"], daily["handling_mean_h"], color=PALETTE[0], label="均值 mean")
    ax.plot(daily["day"], daily["handling_p90_h"], color=PALETTE[0], ls=":", label="p90")
    ax.axhline(ship_hours, color=NEGATIVE, ls="--", lw=1, label=f"{ship_hours:g} h")
    ax.set(ylabel="处理时长 handling hours", title="每日处理时长 Daily handling time (shaded: campaign / peak days)")
    ax.legend(fontsize=8, loc="upper left")
    ax2.bar(daily["day"], daily["paid_orders"], color=PALETTE[7], width=0.8)
    ax2.set(ylabel="付款订单 paid orders")
    fig.tight_layout()
    return fig


def carrier_chart(table: pd.DataFrame, by: str = "carrier") -> Figure:
    """On-time rate (raw and region-adjusted) and mean transit time per carrier with 95 % intervals
    (``opslib.operations.carrier_comparison``).

    Parameters:
        table: the result's table; by: the group column.

    Returns:
        The ``Figure``.
    """
    t = table.reset_index(drop=True)
    y = np.arange(len(t))[::-1]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 0.5 * len(t) + 2), sharey=True)
    a1.errorbar(t["on_time_rate"], y + 0.12, xerr=_err(t["on_time_rate"], t["on_time_low"], t["on_time_high"]),
                fmt="o", color=PALETTE[0], label="实际 raw")
    if "adjusted_on_time_rate" in t:
        a1.errorbar(t["adjusted_on_time_rate"], y - 0.12,
                    xerr=_err(t["adjusted_on_time_rate"], t["adjusted_low"], t["adjusted_high"]), fmt="s",
                    color=PALETTE[2], label="按地区调整 region-adjusted")
    a1.xaxis.set_major_formatter(_PCT0)
    a1.set(xlabel="准时率 on-time rate", title="准时率 On-time delivery (95% CI)")
    a1.legend(fontsize=8)
    a2.errorbar(t["transit_mean_h"], y, xerr=_err(t["transit_mean_h"], t["transit_low"], t["transit_high"]),
                fmt="o", color=PALETTE[3])
    a2.set(xlabel="运输时长 transit hours (mean)", title="运输时长 Transit time (95% CI)")
    a1.set_yticks(y, t[by].astype(str))
    fig.tight_layout()
    return fig


def carrier_table(table: pd.DataFrame, by: str = "carrier") -> pd.DataFrame:
    """The carrier comparison for display: rates with their intervals as text.

    Parameters:
        table: the result's table; by: the group column.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    skip = _skipped(table)
    if skip is not None:
        return skip
    t = table
    out = pd.DataFrame({by: t[by], "到期 due": [f"{int(x):,}" for x in t["due"]],
                        "准时率 on time": [f"{percent(p)} ({percent(lo)}–{percent(hi)})" for p, lo, hi in
                                         zip(t["on_time_rate"], t["on_time_low"], t["on_time_high"], strict=True)],
                        "vs 其他 vs rest": [f"{d * 100:+.1f} pt" for d in t["diff_vs_rest"]],
                        "p": [("< 0.001" if p < 0.001 else f"{p:.3f}") if not pd.isna(p) else MISSING for p in t["p"]]})
    if "adjusted_on_time_rate" in t:
        out["调整后 region-adjusted"] = [f"{percent(p)} ({percent(lo)}–{percent(hi)})" for p, lo, hi in
                                      zip(t["adjusted_on_time_rate"], t["adjusted_low"], t["adjusted_high"], strict=True)]
    out["运输 transit h"] = [f"{decimal(m, 1)} ({decimal(lo, 1)}–{decimal(hi, 1)})" for m, lo, hi in
                           zip(t["transit_mean_h"], t["transit_low"], t["transit_high"], strict=True)]
    out["丢件率 lost"] = [percent(x, 2) for x in t["lost_rate"]]
    if "review_score" in t:
        out["评分 score"] = [f"{decimal(s)} ({decimal(lo)}–{decimal(hi)})" for s, lo, hi in
                           zip(t["review_score"], t["score_low"], t["score_high"], strict=True)]
    return out


def status_table(status: pd.DataFrame) -> pd.DataFrame:
    """``opslib.operations.delivery_status`` for display.

    Parameters:
        status: ``opslib.operations.delivery_status``.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    skip = _skipped(status)
    if skip is not None:
        return skip
    return format_table(status, units=["orders"], percent=["share"],
                        labels={"status": "状态 status", "orders": "订单 orders", "share": "占比 share"})


def lost_table(lost: pd.DataFrame, limit: int = 10) -> pd.DataFrame:
    """The first ``limit`` lost parcels for display.

    Parameters:
        lost: ``opslib.operations.lost_parcels``; limit: rows shown.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    skip = _skipped(lost)
    if skip is not None:
        return skip
    if lost.empty:
        return pd.DataFrame({"lost parcels": ["none in the period"]})
    return format_table(lost.head(limit), money=["gmv"], decimals=1, labels={"days_overdue": "逾期天数 days overdue"})


# -------------------------------------------------------------------------------------------- effects
def effect_chart(groups: pd.DataFrame, summary: pd.DataFrame, label: str, unit: str) -> Figure:
    """Left: the raw means per group with 95 % intervals; right: the estimated effect(s) with controls and their
    intervals (``opslib.operations.Effect``).

    Parameters:
        groups: ``Effect.groups`` (raw means); summary: the frame to show; label: the title; unit: the unit of the values.

    Returns:
        The ``Figure``.
    """
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 0.45 * max(len(summary), len(groups)) + 2.5),
                                 gridspec_kw={"width_ratios": [1, 1.2]})
    share = unit == "conversion"
    g = groups.reset_index(drop=True)
    yg = np.arange(len(g))[::-1]
    a1.errorbar(g["mean"], yg, xerr=_err(g["mean"], g["low"], g["high"]), fmt="o", color=PALETTE[0], capsize=3)
    a1.set_yticks(yg, [f"{x} (n={n:,})" for x, n in zip(g["group"], g["n"], strict=True)])
    a1.set(title="原始均值 raw means (95% CI)", xlabel=unit)
    s = summary.reset_index(drop=True)
    ys = np.arange(len(s))[::-1]
    colours = [NEGATIVE if v < 0 else POSITIVE for v in s["estimate"]]
    a2.errorbar(s["estimate"], ys, xerr=_err(s["estimate"], s["low"], s["high"]), fmt="none", ecolor="grey", capsize=3)
    a2.scatter(s["estimate"], ys, color=colours, zorder=3)
    a2.axvline(0, color="grey", lw=1, ls="--")
    a2.set_yticks(ys, s["term"])
    a2.set(title="控制后的影响 effect with controls (95% CI)", xlabel=unit)
    for ax in (a1, a2):
        if share:
            ax.xaxis.set_major_formatter(_PCT0)
    fig.suptitle(label, fontsize=11)
    fig.tight_layout()
    return fig


def effect_table(summary: pd.DataFrame) -> pd.DataFrame:
    """``Effect.summary()`` for display.

    Parameters:
        summary: the frame to show.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    if summary.empty:
        return pd.DataFrame({"effect": ["not estimated"]})
    return format_table(summary, pvalues=["p"], units=["n"], signed=["estimate", "low", "high"],
                        labels={"term": "因素 term", "estimate": "估计 estimate", "low": "下限 low", "high": "上限 high",
                                "unit": "单位 unit", "n": "样本 n", "controls": "控制 controls"})


# -------------------------------------------------------------------------------------------- reviews
def review_mix_chart(mix: pd.DataFrame, by: str) -> Figure:
    """Mean review score with its 95 % interval and the bad-review share per group (``review_mix``).

    Parameters:
        mix: ``opslib.operations.review_mix``; by: the group column.

    Returns:
        The ``Figure``.
    """
    if _skipped(mix) is not None or mix.empty:
        return _empty_figure(mix.attrs.get("skipped", "no reviews in the period"))
    m = mix.reset_index(drop=True)
    y = np.arange(len(m))[::-1]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 0.45 * len(m) + 2), sharey=True)
    a1.errorbar(m["score"], y, xerr=_err(m["score"], m["score_low"], m["score_high"]), fmt="o", color=PALETTE[0],
                capsize=3)
    a1.set(xlabel="平均评分 mean score", title="评分 Review score (95% CI)")
    a2.barh(y, m["bad_share"], color=NEGATIVE, alpha=0.7)
    a2.xaxis.set_major_formatter(_PCT0)
    a2.set(xlabel="差评率 share of scores ≤ 2", title="差评率 Bad reviews")
    a1.set_yticks(y, [f"{g} ({n:,})" for g, n in zip(m[by], m["reviews"], strict=True)])
    fig.tight_layout()
    return fig


def review_mix_table(mix: pd.DataFrame, by: str) -> pd.DataFrame:
    """``review_mix`` for display.

    Parameters:
        mix: ``opslib.operations.review_mix``; by: the group column.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    skip = _skipped(mix)
    if skip is not None:
        return skip
    return format_table(mix, percent=["bad_share", "logistics_topic"], units=["reviews"],
                        labels={"reviews": "评价数 reviews", "score": "评分 score", "score_low": "下限 low",
                                "score_high": "上限 high", "bad_share": "差评率 bad", "logistics_topic": "物流话题 logistics"})


def topic_mix_chart(topics: pd.DataFrame, by: str) -> Figure:
    """What reviews are about: topic shares per group as stacked bars (``topic_mix``).

    Parameters:
        topics: ``opslib.operations.topic_mix``; by: the group column.

    Returns:
        The ``Figure``.
    """
    if _skipped(topics) is not None or topics.empty:
        return _empty_figure(topics.attrs.get("skipped", "no reviews in the period"))
    wide = topics.pivot_table(index=by, columns="topic", values="share", fill_value=0.0)
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(wide) + 2))
    left = np.zeros(len(wide))
    for i, col in enumerate(wide.columns):
        ax.barh(wide.index.astype(str), wide[col], left=left, color=PALETTE[i % len(PALETTE)], label=str(col))
        left += wide[col].to_numpy()
    ax.xaxis.set_major_formatter(_PCT0)
    ax.set(xlabel="占比 share of reviews", title="评价话题 What reviews are about")
    ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def returns_chart(returns: pd.DataFrame, by: str) -> Figure:
    """Return and cancellation rates per group with 95 % intervals (``returns_by``).

    Parameters:
        returns: ``opslib.operations.returns_by``; by: the group column.

    Returns:
        The ``Figure``.
    """
    r = returns.reset_index(drop=True)
    y = np.arange(len(r))[::-1]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(r) + 2))
    ax.errorbar(r["return_rate"], y + 0.12, xerr=_err(r["return_rate"], r["return_low"], r["return_high"]), fmt="o",
                color=PALETTE[3], label="退货率 returns", capsize=3)
    ax.errorbar(r["cancel_rate"], y - 0.12, xerr=_err(r["cancel_rate"], r["cancel_low"], r["cancel_high"]), fmt="s",
                color=PALETTE[7], label="取消率 cancellations", capsize=3)
    ax.set_yticks(y, r[by].astype(str))
    ax.xaxis.set_major_formatter(_PCT0)
    ax.set(xlabel="占订单 share of orders", title="退货与取消 Returns and cancellations (95% CI)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def returns_table(returns: pd.DataFrame) -> pd.DataFrame:
    """``returns_by`` for display.

    Parameters:
        returns: ``opslib.operations.returns_by``.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    cols = [c for c in returns.columns if not c.endswith(("_low", "_high"))]
    return format_table(returns[cols], percent=["cancel_rate", "return_rate"], units=["orders", "cancelled", "returned"],
                        money=["gmv"], labels={"orders": "订单 orders", "cancelled": "取消 cancelled",
                                               "cancel_rate": "取消率 cancel rate", "returned": "退货 returned",
                                               "return_rate": "退货率 return rate"})


def reasons_table(reasons: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """``return_reasons`` for display: the ``top`` reasons per group.

    Parameters:
        reasons: ``opslib.operations.return_reasons``; top: groups shown per group or dimension.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    if reasons.empty:
        return pd.DataFrame({"return reasons": ["no returned orders in the period"]})
    by = reasons.columns[0]
    r = reasons.groupby(by, sort=False).head(top)
    return format_table(r, percent=["share"], units=["orders"],
                        labels={"reason": "原因 reason", "source": "来源 source", "orders": "订单 orders", "share": "占比 share"})


# -------------------------------------------------------------------------------------------- service
def conversion_chart(conversion: pd.DataFrame, target: float | None = None) -> Figure:
    """Inquiry conversion per group with 95 % intervals (``inquiry_conversion``); ``target`` dashed.

    Parameters:
        conversion: ``opslib.operations.inquiry_conversion``; target: the norm drawn as a dashed line (None: none).

    Returns:
        The ``Figure``.
    """
    if _skipped(conversion) is not None or conversion.empty:
        return _empty_figure(conversion.attrs.get("skipped", "no inquiries in the period"))
    c = conversion.reset_index(drop=True)
    y = np.arange(len(c))[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(c) + 2))
    ax.barh(y, c["conversion"], color=PALETTE[0], alpha=0.8,
            xerr=_err(c["conversion"], c["low"], c["high"]), capsize=3)
    if target is not None:
        ax.axvline(target, color=NEGATIVE, ls="--", lw=1)
    ax.set_yticks(y, [f"{g} ({n:,})" for g, n in zip(c["group"].astype(str), c["inquiries"], strict=True)])
    ax.xaxis.set_major_formatter(_PCT0)
    ax.set(xlabel="询单转化率 inquiry conversion", title="询单转化率 Inquiry conversion (95% CI)")
    fig.tight_layout()
    return fig


def conversion_table(conversion: pd.DataFrame) -> pd.DataFrame:
    """``inquiry_conversion`` for display.

    Parameters:
        conversion: ``opslib.operations.inquiry_conversion``.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    skip = _skipped(conversion)
    if skip is not None:
        return skip
    return format_table(conversion, percent=["conversion", "low", "high"], units=["inquiries", "converted"],
                        labels={"group": "组 group", "inquiries": "询单 inquiries", "converted": "成交 converted",
                                "conversion": "转化率 conversion"})


def service_levels_chart(levels: pd.DataFrame, target: float | None = 0.9) -> Figure:
    """Share answered within the SLA per group with 95 % intervals (``service_levels``); ``target`` dashed.

    Parameters:
        levels: ``opslib.operations.service_levels``; target: the norm drawn as a dashed line (None: none).

    Returns:
        The ``Figure``.
    """
    if _skipped(levels) is not None or levels.empty:
        return _empty_figure(levels.attrs.get("skipped", "no contacts in the period"))
    s = levels.reset_index(drop=True)
    y = np.arange(len(s))[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(s) + 2))
    colours = [NEGATIVE if target is not None and v < target else PALETTE[0] for v in s["within_sla"]]
    ax.barh(y, s["within_sla"], color=colours, alpha=0.8, xerr=_err(s["within_sla"], s["within_low"], s["within_high"]),
            capsize=3)
    if target is not None:
        ax.axvline(target, color="grey", ls="--", lw=1)
    ax.set_yticks(y, s["group"].astype(str))
    ax.xaxis.set_major_formatter(_PCT0)
    ax.set(xlabel="SLA 内首响占比 answered within the SLA", title="首响达标率 First response within the SLA (95% CI)")
    fig.tight_layout()
    return fig


def service_levels_table(levels: pd.DataFrame) -> pd.DataFrame:
    """``service_levels`` for display.

    Parameters:
        levels: ``opslib.operations.service_levels``.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    skip = _skipped(levels)
    if skip is not None:
        return skip
    cols = [c for c in levels.columns if not c.endswith(("_low", "_high"))]
    return format_table(levels[cols], percent=["within_sla", "resolved_within"], units=["contacts", "after_sale"],
                        decimals=1, labels={"group": "组 group", "contacts": "咨询 contacts",
                                            "response_p50_s": "首响中位 p50 s", "response_p90_s": "首响 p90 s",
                                            "within_sla": "首响达标 within SLA", "after_sale": "售后 after-sale",
                                            "resolution_p50_h": "解决中位 p50 h", "resolved_within": "解决达标 resolved"})


def contact_rate_chart(rates: pd.DataFrame) -> Figure:
    """Contacts per 100 orders per reason, coloured by stage (``contact_rates(by="reason")``).

    Parameters:
        rates: ``opslib.operations.contact_rates``.

    Returns:
        The ``Figure``.
    """
    if _skipped(rates) is not None or rates.empty:
        return _empty_figure(rates.attrs.get("skipped", "no contacts in the period"))
    r = rates.reset_index(drop=True)
    y = np.arange(len(r))[::-1]
    stages = list(dict.fromkeys(r["stage"])) if "stage" in r else []
    colours = [PALETTE[stages.index(s) % len(PALETTE)] for s in r["stage"]] if stages else PALETTE[0]
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(r) + 2))
    ax.barh(y, r["per_100_orders"], color=colours)
    ax.set_yticks(y, r["group"].astype(str))
    ax.set(xlabel="每百单咨询 contacts per 100 orders", title="咨询原因 Why customers contact service")
    if stages:
        ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=PALETTE[i]) for i in range(len(stages))], labels=stages,
                  fontsize=8)
    fig.tight_layout()
    return fig


def contact_rates_table(rates: pd.DataFrame) -> pd.DataFrame:
    """``contact_rates`` for display.

    Parameters:
        rates: ``opslib.operations.contact_rates``.

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    skip = _skipped(rates)
    if skip is not None:
        return skip
    return format_table(rates, percent=["share"], units=["contacts"], decimals=2,
                        labels={"group": "组 group", "stage": "阶段 stage", "contacts": "咨询 contacts",
                                "per_100_orders": "每百单 per 100 orders", "share": "占比 share"})


# ------------------------------------------------------------------------------------------ drill-down
def drill_down_chart(table: pd.DataFrame, ranking: pd.DataFrame, label: str, change: float,
                     dimensions: int = 3, top: int = 5) -> Figure:
    """The change of a KPI split over the groups of its leading ``dimensions`` (``DrillDown``): rate effect
    (the group changed) and mix effect (its share of units changed) stacked, per group.

    Parameters:
        table: the result's table; ranking: ``DrillDown.ranking``; label: the title; change: the KPI's change; dimensions: dimensions drawn; top: groups shown per group or dimension.

    Returns:
        The ``Figure``.
    """
    if ranking.empty:
        return _empty_figure(f"{label}: no group carries the change")
    dims = list(ranking["dimension"].head(dimensions))
    fig, axes = plt.subplots(1, len(dims), figsize=(4.2 * len(dims), 3.8), squeeze=False)
    for ax, d in zip(axes[0], dims, strict=True):
        t = table[table["dimension"] == d]
        t = t.reindex(t["contribution"].abs().sort_values(ascending=False).index).head(top)[::-1]
        y = np.arange(len(t))
        ax.barh(y, t["rate_effect"], color=PALETTE[0], label="rate 组内变化")
        ax.barh(y, t["mix_effect"], left=np.where(np.sign(t["mix_effect"]) == np.sign(t["rate_effect"]),
                                                  t["rate_effect"], 0), color=PALETTE[1], label="mix 结构变化")
        ax.axvline(0, color="grey", lw=1)
        ax.set_yticks(y, t["group"].astype(str), fontsize=8)
        ax.set_title(d, fontsize=10)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"{label}: change {change:+.3g} split by group (rate + mix)", fontsize=11)
    fig.tight_layout()
    return fig


def drill_table(ranking: pd.DataFrame, kind: str = "share") -> pd.DataFrame:
    """``DrillDown.summary()`` for display: per dimension the group that carries most of the change.

    Parameters:
        ranking: ``DrillDown.ranking``; kind: ``share`` or ``mean`` (how values read).

    Returns:
        A display table (text cells), or one line saying why the data was skipped.
    """
    if ranking.empty:
        return pd.DataFrame({"drill-down": ["no group carries the change"]})
    r = ranking.copy()
    for c in ("value_baseline", "value_current"):
        r[c] = [_value_text(kind, v) for v in r[c]]
    scale = 100.0 if kind == "share" else 1.0
    for c in ("rate_effect", "mix_effect", "contribution"):
        r[c] = [f"{v * scale:+.2f}" + (" pt" if kind == "share" else "") for v in r[c]]
    return format_table(r, percent=["share_of_change"], units=["units_baseline", "units_current"],
                        labels={"dimension": "维度 dimension", "group": "组 group", "units_baseline": "对比期 units",
                                "units_current": "本期 units", "value_baseline": "对比期 baseline",
                                "value_current": "本期 current", "rate_effect": "组内 rate", "mix_effect": "结构 mix",
                                "contribution": "贡献 contribution", "share_of_change": "占变化 share"})


# ------------------------------------------------------------------------------------ executive summary
def summarise_operations(summary, card=None, effects: tuple = (), drill=None, max_actions: int = 5):
    """Fill notebook 06's executive summary: one tile per department, a verdict on the norms, one action per
    breached norm for its owner, and a verdict per estimated effect and for the drill-down.

    Rules: a department's tile shows ``met / judged`` norms (green when none is breached, red otherwise, grey when
    nothing could be judged); the breached norms become actions, beyond-noise ones first, at most
    ``max_actions``, each naming where the shortfall sits (``Scorecard.top_contributor``); an effect adds its
    first line (``Effect.describe``) when it was estimated; the drill-down adds its headline and top group.

    Parameters:
        summary: an ``opslib.reporting.ExecutiveSummary``. card: the ``Scorecard`` (or None). effects:
            ``Effect`` results to state. drill: a ``DrillDown`` (or None). max_actions: see above.

    Returns:
        The summary (filled in place).
    """
    if card is not None:
        deps = card.departments()
        for d in deps.itertuples(index=False):
            judged = d.met + d.breached
            good = None if judged == 0 else d.breached == 0
            change = f"worst: {d.worst}" if d.worst else ("all judged norms met" if judged else "nothing to judge")
            summary.tile(str(d.name), f"{d.met}/{judged} 达标", change, good=good, metric=f"norms:{d.department}",
                         raw=float(d.met / judged) if judged else None)
        res = card.results
        judged = int(res["status"].isin(["met", "breached"]).sum())
        b = card.breached()
        if b.empty:
            summary.verdict(f"Every judged norm is met ({judged} of {len(res)} norms could be judged).")
        else:
            w = b.iloc[0]
            summary.verdict(f"{len(b)} of {judged} judged norms breached ({int(b['certain'].sum())} beyond noise); "
                            f"furthest off: {w['label']} {_value_text(w['kind'], w['value'])} vs {w['target_text']}.")
        ordered = b.assign(_c=~b["certain"]).sort_values("_c", kind="stable") if len(b) else b
        for r in ordered.head(max_actions).itertuples(index=False):
            where = card.top_contributor(r.norm)
            summary.action(str(r.owner), f"{r.label}: {_value_text(r.kind, r.value)} vs {r.target_text}"
                           + (f" — {where}" if where else ""), key=f"norm:{r.norm}")
    for e in effects:
        if getattr(e, "ok", False):
            summary.verdict(e.describe().splitlines()[1])
    if drill is not None and drill.reason is None:
        lines = drill.describe().splitlines()
        summary.verdict(lines[0] + (f"; carried by {lines[-1].strip()}" if len(lines) > 1 else ""))
    return summary
