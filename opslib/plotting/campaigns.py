"""Charts and display tables of the campaign evaluation (notebook 02): counterfactual, DiD, money, overview.

Every chart takes a frame or a result of :mod:`opslib.campaigns` and returns the matplotlib ``Figure`` (or, when
there is nothing to draw, prints why and returns None); every table returns a frame of display strings written
with :mod:`opslib.plotting.format` in the shop's currency (``set_theme(shop=shop)``): units as whole numbers,
money as ``¥12.3万`` / ``£12.3K``, rates as %, p-values as ``< 0.001``, and "unknown (no cost data)" where a
figure needs a cost the shop does not have.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from opslib.plotting.format import (
    MISSING,
    Note,
    axis_formatter,
    decimal,
    format_table,
    money,
    number,
    percent,
    pvalue,
    units,
)
from opslib.plotting.theme import NEGATIVE, PALETTE, POSITIVE, TOTAL

_UNITS_AXIS = FuncFormatter(lambda v, _pos: number(v))


def _shade(ax: Any, window: tuple[pd.Timestamp, pd.Timestamp] | None) -> None:
    if window is not None:
        ax.axvspan(pd.Timestamp(window[0]), pd.Timestamp(window[1]) + pd.Timedelta(hours=23), color="#de8f05",
                   alpha=0.15, lw=0)


# ------------------------------------------------------------------------------------------- charts
def impact_chart(series: pd.DataFrame, window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                 confidence: float = 0.90, title: str | None = None) -> Figure:
    """Three panels from :class:`~opslib.campaigns.counterfactual.ImpactResult` ``.series``: observed vs
    counterfactual (band = interval), the daily effect, the cumulative effect with its interval; window shaded
    orange, pre-period days set aside (``masked``/``outlier``: other campaigns, holidays, spikes) grey.

    Parameters:
        series: columns ``observed``, ``predicted``, ``pred_low``, ``pred_high``, ``effect``, ``cum_effect``,
            ``cum_low``, ``cum_high`` (index: day). window: first and last campaign day. confidence: for the
            legend. title: above the chart.

    Returns:
        The figure.

    Example:
        >>> from opslib.plotting.theme import set_theme; _ = set_theme()  # the CJK font for the labels
        >>> idx = pd.date_range("2024-01-01", periods=4)
        >>> f = pd.DataFrame({c: [1.0, 2.0, 3.0, 4.0] for c in ("observed", "predicted", "pred_low", "pred_high",
        ...                   "effect", "cum_effect", "cum_low", "cum_high")}, index=idx)
        >>> len(impact_chart(f, (idx[2], idx[3])).axes)
        3
    """
    s = series
    fig, axes = plt.subplots(3, 1, figsize=(11, 8.5), sharex=True)
    axes[0].plot(s.index, s["observed"], color="black", lw=1, label="observed 实际")
    axes[0].plot(s.index, s["predicted"], ls="--", color=PALETTE[0], label="counterfactual 反事实")
    axes[0].fill_between(s.index, s["pred_low"], s["pred_high"], alpha=0.25, color=PALETTE[0],
                         label=f"{percent(confidence, 0)} interval 区间")
    aside = s["masked"].astype(bool) if "masked" in s else pd.Series(False, index=s.index)
    if "outlier" in s:
        aside = aside | s["outlier"].astype(bool)
    eff = s["effect"].where(~aside).fillna(0.0)  # set-aside days are not effects
    axes[1].bar(s.index, eff, color=[POSITIVE if v >= 0 else NEGATIVE for v in eff], width=0.8)
    blocks = (aside != aside.shift()).cumsum()[aside]
    for _, days in blocks.groupby(blocks):
        for ax in axes[:2]:
            ax.axvspan(days.index[0] - pd.Timedelta(hours=12), days.index[-1] + pd.Timedelta(hours=12),
                       color="#949494", alpha=0.15, lw=0)
    if aside.any():
        axes[0].plot([], [], color="#949494", alpha=0.4, lw=6, label="set aside 剔除 (other campaigns, holidays)")
    axes[1].axhline(0, color="grey", lw=0.8)
    axes[2].plot(s.index, s["cum_effect"], color=POSITIVE)
    axes[2].fill_between(s.index, s["cum_low"], s["cum_high"], alpha=0.25, color=POSITIVE)
    axes[2].axhline(0, color="grey", lw=0.8)
    for ax, name in zip(axes, ["daily units 日销量", "pointwise effect 逐日效应", "cumulative effect 累计效应"],
                        strict=True):
        _shade(ax, window)
        ax.set_title(name, fontsize=11)
        ax.yaxis.set_major_formatter(_UNITS_AXIS)
    axes[0].legend(loc="upper left", fontsize=9)
    axes[2].tick_params(axis="x", labelrotation=30)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def did_chart(series: pd.DataFrame, window: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> Figure:
    """Treated vs scaled control (:class:`~opslib.campaigns.did.DidResult` ``.series``), window shaded.

    Parameters:
        series: columns ``treated``, ``control_scaled`` (index: day). window: first and last campaign day.

    Returns:
        The figure.

    Example:
        >>> from opslib.plotting.theme import set_theme; _ = set_theme()  # the CJK font for the labels
        >>> f = pd.DataFrame({"treated": [1.0, 2.0], "control_scaled": [1.0, 1.5]}, index=pd.date_range("2024-01-01", periods=2))
        >>> len(did_chart(f).axes)
        1
    """
    fig, ax = plt.subplots(figsize=(11, 3.5))
    ax.plot(series.index, series["treated"], color=PALETTE[0], label="treated 活动SKU")
    ax.plot(series.index, series["control_scaled"], color=PALETTE[1], label="control (scaled) 对照组")
    _shade(ax, window)
    ax.yaxis.set_major_formatter(_UNITS_AXIS)
    ax.set_title("DiD: treated vs control 双重差分")
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


def money_waterfall(m: Any) -> Figure | None:
    """Waterfall from the incremental margin to the net profit of a :class:`~opslib.campaigns.money.CampaignMoney`:
    minus pull-forward, minus cannibalisation, minus marketing spend.

    Parameters:
        m: the campaign money.

    Returns:
        The figure; None (after printing why) when the margin or net profit is unknown (no cost data).

    Example:
        >>> from opslib.plotting.theme import set_theme; _ = set_theme()  # the CJK font for the labels
        >>> from opslib.campaigns import campaign_money
        >>> len(money_waterfall(campaign_money(100, 8000, 60, 100, 50, marketing_spend=1000)).axes)
        1
        >>> money_waterfall(campaign_money(100, 8000, 60, 100, None))
        money waterfall skipped: net profit is unknown (no cost data) — no cost data for the scoped SKUs: margin, net profit and ROI are unknown, not zero
    """
    if m.net_profit is None:
        print(f"money waterfall skipped: net profit is {m.status('net_profit')} — "
              + (m.notes[0] if m.notes else "the margin needs unit costs"))
        return None
    steps = [("incremental margin 增量毛利", m.incremental_margin), ("pull-forward 透支", -m.pull_forward_margin),
             ("cannibalisation 蚕食", -m.cannibalised_margin), ("marketing 营销费用", -m.marketing_spend)]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    run = 0.0
    for i, (_label, v) in enumerate(steps):
        bottom = run if v >= 0 else run + v
        if i == 0:
            bottom = min(0.0, v)
        ax.bar(i, abs(v), bottom=bottom, color=POSITIVE if v >= 0 else NEGATIVE)
        ax.text(i, bottom + abs(v), money(v, signed=True), ha="center", va="bottom", fontsize=9)
        run += v
    ax.bar(len(steps), abs(run), bottom=min(0.0, run), color=TOTAL)
    ax.text(len(steps), max(0.0, run), money(run, signed=True), ha="center", va="bottom", fontsize=9)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(range(len(steps) + 1), [s[0] for s in steps] + ["net profit 净利润"], rotation=15)
    ax.yaxis.set_major_formatter(axis_formatter("profit"))
    ax.set_title("money waterfall 活动损益瀑布")
    fig.tight_layout()
    return fig


def overview_chart(overview: Any, top: int = 25) -> Figure | None:
    """Horizontal bars of the ranking measure per campaign of a :class:`~opslib.campaigns.evaluation.CampaignOverview`
    (incremental margin, or incremental GMV when costs are missing), green for gains, red for losses.

    Parameters:
        overview: the overview. top: at most this many campaigns.

    Returns:
        The figure; None (after printing why) when no campaign could be evaluated.

    Example:
        >>> from opslib.plotting.theme import set_theme; _ = set_theme()  # the CJK font for the labels
        >>> from opslib.campaigns import CampaignOverview
        >>> t = pd.DataFrame({"campaign_id": ["A", "B"], "incremental_margin": [500.0, -200.0], "problem": ["", ""]})
        >>> len(overview_chart(CampaignOverview(t, "incremental_margin")).axes)
        1
    """
    t = overview.table
    ok = t[(t["problem"] == "") & t[overview.ranked_by].notna()].head(top)
    if not len(ok):
        print("campaign overview: no campaign of the period could be evaluated (see the problem column)")
        return None
    d = ok.iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(d) + 1.4))
    v = d[overview.ranked_by].astype(float)
    ax.barh(d["campaign_id"].astype(str), v, color=[POSITIVE if x >= 0 else NEGATIVE for x in v])
    ax.axvline(0, color="grey", lw=0.8)
    ax.xaxis.set_major_formatter(axis_formatter("gmv"))
    what = "incremental gross margin 增量毛利" if overview.ranked_by == "incremental_margin" else \
        "incremental GMV 增量成交额 (no cost data: margin unknown)"
    ax.set_title(f"{what} by campaign 活动排名")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------- tables
def estimates_table(evaluation: Any) -> pd.DataFrame:
    """The incremental units three ways (naive, counterfactual, DiD) of a
    :class:`~opslib.campaigns.evaluation.CampaignEvaluation`, with intervals, for display.

    Parameters:
        evaluation: the evaluation (anything with ``estimates()``: ``method``, ``units``, ``low``, ``high``, ``note``).

    Returns:
        A frame of display strings.

    Example:
        >>> from types import SimpleNamespace
        >>> e = pd.DataFrame({"method": ["counterfactual"], "units": [60.4], "low": [41.0], "high": [80.2], "note": [""]})
        >>> estimates_table(SimpleNamespace(estimates=lambda: e)).iloc[0].tolist()
        ['counterfactual', '+60', '41', '80', '']
    """
    e = evaluation.estimates()
    return format_table(e, units=["units", "low", "high"], signed=["units"],
                        labels={"method": "方法 method", "units": "增量销量 incremental units",
                                "low": "下限 low", "high": "上限 high", "note": "说明 note"})


def effects_table(evaluation: Any) -> pd.DataFrame:
    """The counterfactual effect per segment (window, post-period) with observed, counterfactual, interval and
    tail probability, plus the fit check, for display.

    Parameters:
        evaluation: the evaluation (``effects`` frame and ``impact`` with ``fit_mape_pre``/``fit_ok``).

    Returns:
        A frame of display strings, relative effect = effect / counterfactual.

    Example:
        >>> from types import SimpleNamespace
        >>> eff = pd.DataFrame({"segment": ["window"], "observed": [160.0], "predicted": [100.0], "effect": [60.0],
        ...                     "low": [40.0], "high": [80.0], "tail_probability": [0.0001]})
        >>> ev = SimpleNamespace(effects=eff, impact=SimpleNamespace(fit_mape_pre=0.12, fit_ok=True))
        >>> effects_table(ev).iloc[0].tolist()
        ['window', '160', '100', '+60', '40', '80', '< 0.001', '+60.0%', '12%']
    """
    e = evaluation.effects[["segment", "observed", "predicted", "effect", "low", "high", "tail_probability"]].copy()
    e["relative"] = e["effect"] / e["predicted"].where(e["predicted"] != 0)
    out = format_table(e, units=["observed", "predicted", "effect", "low", "high"], percent=["relative"],
                       pvalues=["tail_probability"], signed=["effect", "relative"],
                       labels={"segment": "时段 segment", "observed": "实际 observed", "predicted": "反事实 counterfactual",
                               "effect": "效应 effect", "low": "下限 low", "high": "上限 high",
                               "tail_probability": "尾概率 tail p", "relative": "相对 relative"})
    if isinstance(out, Note):
        return out
    imp = evaluation.impact
    out["拟合 pre-period fit (MAPE)"] = [percent(imp.fit_mape_pre, 0) + ("" if imp.fit_ok else " ⚠ do not trust")] * len(out)
    return out


def money_table(m: Any) -> pd.DataFrame:
    """A :class:`~opslib.campaigns.money.CampaignMoney` for display: every figure in the shop's currency (units
    as whole numbers, ratios with 2 decimals, coverage as %), the reason where it is unknown, and its formula.

    Parameters:
        m: the campaign money.

    Returns:
        Columns figure, value, formula (strings).

    Example:
        >>> from opslib.campaigns import campaign_money
        >>> money_table(campaign_money(100, 8000, 60, 100, None, marketing_spend=1000))["金额 value"].tolist()[:4]
        ['+40', '¥2,000', 'unknown (no cost data)', 'unknown (no list prices)']
    """
    s = m.summary()
    text = []
    for kind, v, status in zip(s["kind"], s["value"], s["status"], strict=True):
        if status:
            text.append(status)
        elif kind == "money":
            text.append(money(v))
        elif kind == "units":
            text.append(units(v, signed=True))
        elif kind == "percent":
            text.append(percent(v, 0))
        else:
            text.append(decimal(v))
    return pd.DataFrame({"指标 figure": s["label"], "金额 value": text, "公式 formula": s["formula"]})


def side_effects_table(evaluation: Any) -> pd.DataFrame:
    """Side effects (pull-forward, cannibalisation, halo, stock-up) for display: units and interval.

    Parameters:
        evaluation: the evaluation (``side_effects``: ``effect``, ``units``, ``low``, ``high``, ``note``).

    Returns:
        A frame of display strings (stock-up in units per order).

    Example:
        >>> from types import SimpleNamespace
        >>> se = pd.DataFrame({"effect": ["pull_forward", "stock_up"], "units": [12.3, 0.05], "low": [2.0, None],
        ...                    "high": [20.0, None], "note": ["", ""]})
        >>> side_effects_table(SimpleNamespace(side_effects=se))["销量 units"].tolist()
        ['+12', '+0.05 units/order']
    """
    s = evaluation.side_effects.copy()
    stock = s["effect"] == "stock_up"
    out = format_table(s, units=["units", "low", "high"], signed=["units"],
                       labels={"effect": "效应 effect", "units": "销量 units", "low": "下限 low", "high": "上限 high",
                               "note": "说明 note"})
    if isinstance(out, Note):
        return out
    out.loc[stock.to_numpy(), "销量 units"] = [decimal(v, 2, signed=True) + " units/order" for v in s.loc[stock, "units"]]
    return out


def did_table(evaluation: Any) -> pd.DataFrame:
    """The DiD of a :class:`~opslib.campaigns.evaluation.CampaignEvaluation` for display: the 2x2 cell means (units a
    day) and the estimate with its interval; one line saying why when it was skipped.

    Parameters:
        evaluation: the evaluation (``did``: a ``DidResult`` or None).

    Returns:
        A frame of display strings.

    Example:
        >>> from types import SimpleNamespace
        >>> did_table(SimpleNamespace(did=None)).iloc[0, 0][:12]
        'DiD skipped:'
    """
    did = evaluation.did
    if did is None:
        return pd.DataFrame({"说明 note": ["DiD skipped: no untreated control group (scope 'all' or control='none')"]})
    t = did.table.reset_index()
    out = format_table(t, labels={"group": "组 group", "pre": "活动前 pre", "window": "活动期 window",
                                  "change": "变化 change"}, signed=["change"], decimals=1)
    est = pd.DataFrame([{"组 group": "DiD estimate (units, window)",
                         "活动前 pre": "", "活动期 window": f"{units(did.low)} .. {units(did.high)}",
                         "变化 change": f"{units(did.incremental_units, signed=True)} (p {pvalue(did.p_value)})"}])
    return pd.concat([out, est], ignore_index=True)


def buyers_table(evaluation: Any) -> pd.DataFrame:
    """New vs returning buyers of the scoped SKUs in the window (:func:`~opslib.campaigns.side_effects.buyer_mix`)
    and the new buyers' later repeat rate against the baseline, for display.

    Parameters:
        evaluation: the evaluation (``buyers``: the buyer-mix dict or None).

    Returns:
        Columns figure, value.

    Example:
        >>> from types import SimpleNamespace
        >>> b = {"buyers": 200.0, "new_buyers": 50.0, "new_share": 0.25, "repeat_rate_new": 0.1,
        ...      "baseline_repeat_rate_new": float("nan")}
        >>> buyers_table(SimpleNamespace(buyers=b))["值 value"].tolist()
        ['200', '50', '25.0%', '10.0%', '–']
    """
    b = evaluation.buyers
    if not b:
        return pd.DataFrame({"说明 note": ["buyers not computed (no orders with customer ids given)"]})
    rows = [("buyers 购买人数", units(b["buyers"])), ("new buyers 新客", units(b["new_buyers"])),
            ("new share 新客占比", percent(b["new_share"])),
            ("repeat rate of new buyers 新客复购率 (90 days)", percent(b["repeat_rate_new"])),
            ("baseline repeat rate 基期新客复购率", percent(b["baseline_repeat_rate_new"]))]
    return pd.DataFrame(rows, columns=["指标 figure", "值 value"])


def overlaps_table(evaluation: Any) -> pd.DataFrame:
    """Other campaigns and calendar days around the campaign and what the evaluation did about them.

    Parameters:
        evaluation: the evaluation (``overlaps``: the :class:`~opslib.campaigns.overlap.OverlapPlan` table).

    Returns:
        A frame of display strings (shares as %); one line when nothing touched the campaign.

    Example:
        >>> from types import SimpleNamespace
        >>> overlaps_table(SimpleNamespace(overlaps=pd.DataFrame())).iloc[0, 0][:20]
        'no other campaign, h'
    """
    t = evaluation.overlaps
    if not len(t):
        return pd.DataFrame({"说明 note": ["no other campaign, holiday or festival touched this campaign's periods"]})
    return format_table(t, percent=["scope_share", "control_share"],
                        labels={"campaign_id": "活动/节日 campaign or day", "name": "名称 name", "kind": "类型 kind",
                                "start": "开始 start", "end": "结束 end", "where": "位置 where",
                                "scope_share": "占活动销量 share of scope", "control_share": "占对照 share of control",
                                "action": "处理 action"})


def overview_table(overview: Any) -> pd.DataFrame:
    """A :class:`~opslib.campaigns.evaluation.CampaignOverview` for display: rank, campaign, incremental units with
    interval, GMV, margin, net profit, ROI (or "unknown (no cost data)"), fit check and problem.

    Parameters:
        overview: the overview.

    Returns:
        A frame of display strings; campaigns that could not be evaluated show only their problem.

    Example:
        >>> from opslib.campaigns import CampaignOverview
        >>> t = pd.DataFrame({"rank": [1], "campaign_id": ["A"], "incremental_gmv": [2000.0],
        ...                   "incremental_margin": [float("nan")], "problem": [""]})
        >>> overview_table(CampaignOverview(t, "incremental_gmv")).iloc[0].tolist()
        ['1', 'A', '¥2,000', 'unknown (no cost data)', '']
        >>> overview_table(CampaignOverview(t.iloc[:0], "incremental_gmv", notes=["no campaigns table"]))
        no campaigns table
    """
    t = overview.table.copy()
    if not len(t):  # nothing to rank: say why (e.g. no campaigns table) instead of an empty frame
        return Note("; ".join(overview.notes) or "(no campaign to rank)")
    cols = [c for c in ("rank", "campaign_id", "name", "start", "end", "incremental_units", "units_low", "units_high",
                        "incremental_gmv", "incremental_margin", "net_profit", "roi", "incremental_roas",
                        "cost_coverage", "fit_mape_pre", "problem") if c in t.columns]
    t = t[cols]
    out = format_table(t, money=[c for c in ("incremental_gmv", "incremental_margin", "net_profit") if c in cols],
                       units=[c for c in ("incremental_units", "units_low", "units_high") if c in cols],
                       percent=[c for c in ("cost_coverage", "fit_mape_pre") if c in cols],
                       signed=[c for c in ("incremental_units",) if c in cols])
    evaluated = (overview.table["problem"] == "").to_numpy()
    for col in ("incremental_margin", "net_profit", "roi"):
        if col in t.columns:
            unknown = evaluated & overview.table[col].isna().to_numpy()
            if col == "roi":
                spend = overview.table.get("marketing_spend", pd.Series(0.0, index=t.index)).fillna(0.0).to_numpy()
                no_cost = overview.table["incremental_margin"].isna().to_numpy()
                out.loc[unknown & no_cost, col] = "unknown (no cost data)"
                out.loc[unknown & ~no_cost & (spend <= 0), col] = "no marketing spend"
            else:
                out.loc[unknown, col] = "unknown (no cost data)"
    if "incremental_roas" in t.columns:
        out.loc[evaluated & overview.table["incremental_roas"].isna().to_numpy(), "incremental_roas"] = "no marketing spend"
    out.loc[~evaluated, [c for c in out.columns if c not in ("rank", "campaign_id", "name", "start", "end", "problem")]] = MISSING
    return out.rename(columns={"rank": "排名 rank", "campaign_id": "活动 campaign", "incremental_units": "增量销量 units",
                               "units_low": "下限 low", "units_high": "上限 high", "incremental_gmv": "增量GMV",
                               "incremental_margin": "增量毛利 margin", "net_profit": "净利润 net profit",
                               "incremental_roas": "增量ROAS", "cost_coverage": "成本覆盖 cost coverage",
                               "fit_mape_pre": "拟合 fit MAPE", "problem": "问题 problem"})


def ab_table(example: Any) -> pd.DataFrame:
    """An :class:`~opslib.campaigns.abtest.AbExample` for display: the plan, the reading and the Holm-adjusted
    p-values of every metric.

    Parameters:
        example: the worked example.

    Returns:
        Columns item, value (strings).

    Example:
        >>> from opslib.campaigns import ab_example
        >>> ab_table(ab_example(0.10)).iloc[2].tolist()
        ['visitors per arm (power 80%, 5%)', '14,745']
    """
    t = example.test
    plan = pd.DataFrame([
        {"item": "base rate", "value": example.note or percent(example.base_rate, 2)},
        {"item": "conversion A → B", "value": f"{percent(example.base_rate, 2)} → {percent(example.target_rate, 2)}"},
        {"item": "visitors per arm (power 80%, 5%)", "value": f"{example.n_per_arm:,}"},
        {"item": "difference (interval)", "value": f"{percent(t.diff, 2, signed=True)} "
                                                   f"({percent(t.ci_low, 2)} .. {percent(t.ci_high, 2)})"},
        {"item": "z, p-value", "value": f"z {decimal(t.z)}, p {pvalue(t.p_value)}"},
    ])
    adj = example.summary()
    rows = [{"item": f"{m}: p {pvalue(p)} → Holm {pvalue(a)}", "value": "significant" if s else "not significant"}
            for m, p, a, s in zip(adj["metric"], adj["p_value"], adj["p_adjusted"], adj["significant"], strict=True)]
    return pd.concat([plan, pd.DataFrame(rows)], ignore_index=True).rename(columns={"item": "项目 item",
                                                                                   "value": "值 value"})


def notes_table(notes: list[str]) -> pd.DataFrame:
    """Notes (what was assumed, set aside or skipped) as a one-column table; a dash when there are none.

    Parameters:
        notes: the sentences.

    Returns:
        One column, one row per note.

    Example:
        >>> notes_table([])["说明 notes"].tolist(), len(notes_table(["a", "b"]))
        (['–'], 2)
    """
    return pd.DataFrame({"说明 notes": notes or [MISSING]})


__all__ = [
    "ab_table",
    "buyers_table",
    "did_chart",
    "did_table",
    "effects_table",
    "estimates_table",
    "impact_chart",
    "money_table",
    "money_waterfall",
    "notes_table",
    "overlaps_table",
    "overview_chart",
    "overview_table",
    "side_effects_table",
]
