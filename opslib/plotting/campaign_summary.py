"""The executive summary of a campaign review (notebook 02): did it pay, in money and in plain words.

:func:`summarise_campaign` reads what ``opslib.campaigns.evaluate_campaign`` found (the campaign, the window's
unit effect with its interval, the money) and, when given, the campaign overview of the last twelve months, and
fills an ``opslib.reporting.ExecutiveSummary``: tiles for incremental units, GMV, margin, net profit and ROI, a
verdict that says whether the campaign paid ("双12 did not pay: -¥6.9万 net"), whether the unit effect is more
than noise, what pull-forward and cannibalisation cost, how many campaigns of the year lost money, and actions
for the campaign owner. Money figures that need a unit cost may be unknown (None / NaN): they say so instead of
showing a number.
"""

from __future__ import annotations

import math
from types import SimpleNamespace  # noqa: F401 - used by the doctest
from typing import Any

import pandas as pd

from opslib.plotting.format import money, percent, units

#: Who acts on a campaign review.
CAMPAIGN_OWNER = "活动 campaigns"
FINANCE_OWNER = "活动/财务 campaigns & finance"


def _get(obj: Any, name: str) -> float | None:
    """A figure of a money result (a dict or an object), None when missing or not a finite number."""
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _window(evaluation: Any) -> dict[str, float] | None:
    effects = getattr(evaluation, "effects", None)
    if effects is None or not len(effects) or "segment" not in effects.columns:
        return None
    rows = effects.set_index("segment")
    if "window" not in rows.index:
        return None
    r = rows.loc["window"]
    return {k: float(r[k]) for k in ("effect", "low", "high") if k in r and pd.notna(r[k])}


def _overview_frame(overview: Any) -> pd.DataFrame | None:
    if overview is None:
        return None
    if isinstance(overview, pd.DataFrame):
        return overview
    frame = overview.summary() if hasattr(overview, "summary") else None
    return frame if isinstance(frame, pd.DataFrame) else None


def _unwrap(evaluation: Any) -> tuple[Any, str]:
    """The evaluation and why there is none: ``evaluate_shop``'s result is unwrapped, a bare evaluation (or None)
    passes through."""
    if evaluation is not None and not hasattr(evaluation, "campaign") and hasattr(evaluation, "evaluation"):
        return evaluation.evaluation, str(getattr(evaluation, "problem", "") or "")
    return evaluation, ""


def header(evaluation: Any) -> dict[str, str]:
    """The summary's period and scope lines for a campaign: its window and its name, scope and discount.

    Parameters:
        evaluation: ``opslib.campaigns.evaluate_campaign`` or ``evaluate_shop`` (or None when it could not run).

    Returns:
        ``{"period": ..., "scope": ...}`` for ``ExecutiveSummary(title, **header(evaluation))``.

    Example:
        >>> c = SimpleNamespace(campaign_id="CMP_2025_1212", name="双12", start=pd.Timestamp("2025-12-10"),
        ...                     end=pd.Timestamp("2025-12-12"), scope_type="all", discount_depth=0.3)
        >>> header(SimpleNamespace(campaign=c))
        {'period': '2025-12-10 .. 2025-12-12 (3 days)', 'scope': 'CMP_2025_1212 双12 · scope all · discount 30.0%'}
    """
    evaluation, problem = _unwrap(evaluation)
    if evaluation is None:
        return {"period": "", "scope": f"no campaign could be evaluated{': ' + problem if problem else ''}"}
    c = evaluation.campaign
    start, end = pd.Timestamp(c.start), pd.Timestamp(c.end)
    days = (end.normalize() - start.normalize()).days + 1
    parts = [f"{c.campaign_id} {getattr(c, 'name', '')}".strip(), f"scope {getattr(c, 'scope_type', '') or 'all'}"]
    depth = getattr(c, "discount_depth", None)
    if isinstance(depth, int | float) and depth == depth:
        parts.append(f"discount {percent(depth)}")
    return {"period": f"{start:%Y-%m-%d} .. {end:%Y-%m-%d} ({days} days)", "scope": " · ".join(parts)}


def campaign_verdict(name: str, net_profit: float | None, spend: float | None) -> str:
    """One sentence on whether a campaign paid.

    Formula: net profit > 0 -> "paid", < 0 -> "did not pay", None -> unknown (no unit cost); the spend is named
    when there was one.

    Parameters:
        name: the campaign's name. net_profit: incremental margin - pull-forward - cannibalised - marketing spend.
        spend: the marketing spend (or None).

    Returns:
        The sentence.

    Example:
        >>> campaign_verdict("双12", -68790.908, 94000.0)
        '双12 did not pay: -¥6.9万 net after ¥9.4万 of marketing.'
        >>> campaign_verdict("618", None, 0.0)
        '618: net profit unknown (no unit cost for its SKUs), so whether it paid cannot be said.'
    """
    if net_profit is None:
        return f"{name}: net profit unknown (no unit cost for its SKUs), so whether it paid cannot be said."
    after = f" after {money(spend)} of marketing" if spend else ""
    word = "paid" if net_profit > 0 else "did not pay" if net_profit < 0 else "broke even"
    return f"{name} {word}: {money(net_profit, signed=True)} net{after}."


def summarise_campaign(summary: Any, evaluation: Any, overview: Any = None, confidence: float = 0.9) -> Any:
    """Fill the campaign review's executive summary (module doc).

    Rules: tiles for incremental units (with the interval), incremental GMV, incremental margin, net profit and ROI
    (= net profit / marketing spend, as %; shown only with spend); green when positive. Verdicts: whether it paid
    (:func:`campaign_verdict`), whether the unit effect's interval excludes 0, the pull-forward and cannibalised
    margin when there is any, and with the overview how many of the evaluated campaigns lost money. Actions: a
    campaign that lost money -> the campaign owner tests a shallower discount or a narrower scope before repeating
    it; campaigns of the overview that lost money -> campaigns & finance review them (items: their ids).

    Parameters:
        summary: an ``opslib.reporting.ExecutiveSummary``. evaluation: ``opslib.campaigns.evaluate_campaign`` or
        ``evaluate_shop`` (its ``problem`` is the verdict when there is no evaluation), or None. overview: ``campaign_overview`` (a frame with ``campaign_id``, ``net_profit``,
        or an object with ``summary()``), or None. confidence: the intervals' coverage.

    Returns:
        The summary (filled in place).
    """
    evaluation, problem = _unwrap(evaluation)
    if evaluation is None:
        summary.verdict(f"The campaign could not be evaluated: {problem}" if problem else
                        "The campaign could not be evaluated (see the reason below the summary).")
        return summary
    c = evaluation.campaign
    name = str(getattr(c, "name", "") or getattr(c, "campaign_id", "the campaign"))
    cid = str(getattr(c, "campaign_id", name))
    m = evaluation.money
    w = _window(evaluation) or {}
    net, spend = _get(m, "net_profit"), _get(m, "marketing_spend")
    effect = w.get("effect", _get(m, "incremental_units"))
    band = (f"{percent(confidence, 0)} 区间 {units(w['low'], signed=True)} .. {units(w['high'], signed=True)}"
            if "low" in w and "high" in w else None)
    if effect is not None:
        summary.tile("增量销量 incremental units", units(effect, signed=True), band,
                     good=None if band is None or w["low"] <= 0 <= w["high"] else effect > 0,
                     metric="incremental_units", raw=effect)
    for metric, label in (("incremental_gmv", "增量成交额 incremental GMV"),
                          ("incremental_margin", "增量毛利 incremental margin"), ("net_profit", "净利润 net profit")):
        v = _get(m, metric)
        summary.tile(label, money(v, signed=True) if v is not None else "unknown",
                     None if v is not None else "no unit cost", good=None if v is None else v > 0, metric=metric,
                     raw=v)
    roi = _get(m, "roi")
    if roi is not None and spend:
        summary.tile("ROI 投入产出", percent(roi, signed=True), f"on {money(spend)} of marketing", good=roi > 0,
                     metric="roi", raw=roi)
    summary.verdict(campaign_verdict(name, net, spend))
    if band is not None and effect is not None:
        if w["low"] > 0 or w["high"] < 0:
            summary.verdict(f"It moved units: {units(effect, signed=True)} against what would have sold without it "
                            f"({band}).")
        else:
            summary.verdict(f"No clear effect on units: {units(effect, signed=True)}, but the {band} includes 0.")
    side = [(label, _get(m, key)) for key, label in (("pull_forward_margin", "pull-forward after the window"),
                                                     ("cannibalised_margin", "sister SKUs cannibalised"))]
    costly = [f"{label} {money(v)}" for label, v in side if v is not None and v > 0]
    if costly:
        summary.verdict("Side effects cost margin: " + "; ".join(costly) + ".")
    if net is not None and net < 0:
        depth = getattr(c, "discount_depth", None)
        deeper = f" than {percent(depth)}" if isinstance(depth, int | float) and depth == depth else ""
        summary.action(CAMPAIGN_OWNER, f"Before repeating {name}: test a shallower discount{deeper} or a narrower "
                                       "scope, and cap the spend at what the incremental margin carries.",
                       key=f"campaign:{cid}")
    frame = _overview_frame(overview)
    if frame is not None and "net_profit" in frame.columns and "campaign_id" in frame.columns:
        known = frame[pd.to_numeric(frame["net_profit"], errors="coerce").notna()]
        losers = known[pd.to_numeric(known["net_profit"]) < 0]
        if len(known):
            n, k = len(known), len(losers)
            head = "All" if k == n and n > 1 else f"{k} of"
            summary.verdict(f"{head} {n} campaigns evaluated over the last 12 months had a negative net profit."
                            if k else f"None of the {n} campaigns evaluated over the last 12 months lost money.")
        if len(losers):
            worst = losers.loc[pd.to_numeric(losers["net_profit"]).idxmin()]
            summary.action(FINANCE_OWNER, f"Review the {len(losers)} loss-making campaign(s) before the next promotion "
                                          f"calendar; the worst, {worst['campaign_id']}, lost "
                                          f"{money(-float(worst['net_profit']))}.",
                           key="overview:loss-making", items=losers["campaign_id"].astype(str).tolist())
    return summary


__all__ = ["CAMPAIGN_OWNER", "FINANCE_OWNER", "campaign_verdict", "header", "summarise_campaign"]
