"""truth.json sections of the sample shop (helpers of ``opslib.sample``; definitions in docs/sample_shop.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslib.sample import orders as so
from opslib.sample import service as ss
from opslib.sample import world as sw

KEEP = 1 - sw.CANCEL_RATE  # expected share of ordered units that are not cancelled


def _iso(t0: pd.Timestamp, day: int) -> str:
    return (t0 + pd.Timedelta(days=int(day))).strftime("%Y-%m-%d")


def truth_sections(ctx: dict, parts: dict | None = None) -> dict:
    """Every truth section except the header and counts.

    ``parts`` are the additive line/order/contact sums of ``additive_parts`` (summed over the shards of a
    chunked generation, ``add_parts``); by default they are taken from ``ctx`` itself (one shard).
    """
    p = additive_parts(ctx) if parts is None else parts
    return {
        "totals": _totals(p),
        "categories": _categories(ctx),
        "growing_category": sw.GROWING,
        "declining_category": sw.DECLINING,
        "seasonality": _seasonality(ctx),
        "campaigns": _campaigns(ctx, p),
        "stockouts": _stockouts(ctx),
        "fulfilment": _fulfilment(p),
        "customers": _customers(p),
        "service": _service(p),
    }


def additive_parts(ctx: dict) -> dict:
    """The sums behind every realised truth figure of one shard of lines, orders and contacts.

    Every realised share or mean in truth.json is ``numerator / denominator`` of counts and sums that add
    over disjoint shards of customers and orders, so a chunked generation sums these (``add_parts``) and
    ``truth_sections`` divides once: the figures are those of the whole shop, not means of shard means.

    Example:
        >>> a = {"n": 2, "x": np.array([1, 2])}
        >>> add_parts(a, {"n": 3, "x": np.array([0, 5])})
        {'n': 5, 'x': array([1, 7])}
    """
    q, pr, st = ctx["l_qty"], ctx["l_price"], ctx["l_status"]
    v = q * pr
    camp = ctx["l_camp"]
    keep = (camp >= 0) & (st != 1)
    out: dict = {"units": int(q[st != 1].sum()), "gmv": float(v[st != 1].sum()), "net_sales": float(v[st == 0].sum()),
                 "camp_units": np.bincount(camp[keep], weights=q[keep], minlength=len(ctx["camps"]))}
    out.update(_fulfilment_parts(ctx))
    out.update(_customer_parts(ctx))
    out.update(_service_parts(ctx))
    return out


def add_parts(a: dict, b: dict) -> dict:
    """Sum two ``additive_parts`` dicts key by key (numbers and numpy arrays)."""
    return {k: a[k] + b[k] for k in a}


def _ratio(num: float, den: float) -> float | None:
    """round(num / den, 4), None when den is 0 (the mean of an empty selection)."""
    return round(float(num / den), 4) if den else None


def _totals(p: dict) -> dict:
    """units = sum quantity (not cancelled); gmv = sum quantity * unit_price (not cancelled);
    net_sales = same over completed lines. Sums in float64 over lines in file order (per shard, then added
    over shards), rounded to 2 dp."""
    return {"units": int(p["units"]), "gmv": round(float(p["gmv"]), 2), "net_sales": round(float(p["net_sales"]), 2)}


def _categories(ctx: dict) -> dict:
    prod = ctx["prod"]
    margin = 1 - prod.unit_cost / prod.list_price
    out = {}
    for i, c in enumerate(sw.CATEGORIES):
        m = prod.cat == i
        role = "growing" if c.name == sw.GROWING else "declining" if c.name == sw.DECLINING else "stable"
        out[c.name] = {"elasticity": c.elasticity, "trend_per_year": round(c.trend, 6), "role": role,
                       "n_skus": int(m.sum()), "return_rate": c.return_rate, "margin": round(float(margin[m].mean()), 4),
                       "planted_margin": c.margin, "subcategories": list(c.subcats),
                       "lead_time_days": list(c.lead)}
    return out


def _seasonality(ctx: dict) -> dict:
    """Weekly multipliers; yearly profile averaged per calendar month over a 365-day year (weighted by
    each category's share of expected units), renormalised to mean 1; CNY windows."""
    prod, lam0 = ctx["prod"], ctx["dem"].lam0
    doy = np.arange(1, 366)
    months = pd.date_range("2023-01-01", periods=365).month.to_numpy()
    prof = sw.yearly_profile(doy)  # (365, n_cat)
    w = np.bincount(prod.cat, weights=lam0.sum(axis=0), minlength=len(sw.CATEGORIES))
    w = w / w.sum()
    total = prof @ w
    by_month = np.array([total[months == m].mean() for m in range(1, 13)])
    by_month /= by_month.mean()
    by_cat = {}
    for i, c in enumerate(sw.CATEGORIES):
        bm = np.array([prof[months == m, i].mean() for m in range(1, 13)])
        by_cat[c.name] = [round(float(x), 4) for x in bm / bm.mean()]
    return {"weekly": [round(float(x), 6) for x in sw.WEEKLY],
            "yearly_by_month": [round(float(x), 4) for x in by_month],
            "yearly_by_month_by_category": by_cat, "cny": ctx["cny_recs"]}


def _campaigns(ctx: dict, p: dict) -> dict:
    """Per campaign (units are non-cancelled units: expected values multiply ordered units by 0.97)."""
    dem, camps, t0, days = ctx["dem"], ctx["camps"], ctx["t0"], ctx["days"]
    realised = p["camp_units"]
    out = {}
    for k, c in enumerate(camps):
        w, s = slice(c.start, c.end + 1), c.scope_skus
        lam0, m = dem.lam0[w, s], dem.mult[w, s]
        base = KEEP * float(lam0.sum())
        uplift = KEEP * float((lam0 * (m - 1)).sum())
        pf_rows = np.arange(c.end + 1, min(c.end + 1 + c.pull_forward_days, days))
        pf = KEEP * float((dem.lam0[np.ix_(pf_rows, s)] * (1 - dem.mult[np.ix_(pf_rows, s)])).sum())
        sib = c.sibling_skus
        cann = KEEP * float((dem.lam0[w, sib] * (1 - dem.mult[w, sib])).sum()) if len(sib) else 0.0
        out[c.campaign_id] = {
            "name": c.name, "kind": c.kind, "start": _iso(t0, c.start), "end": _iso(t0, c.end),
            "scope_type": c.scope_type, "scope": c.scope, "discount_depth": round(float(c.sku_depth.mean()), 4),
            "n_scope_skus": len(s), "traffic_multiplier": c.traffic, "last_day_multiplier": c.peak_last_day,
            "baseline_units": round(base, 2), "uplift_units": round(uplift, 2),
            "realised_units": int(realised[k]), "realised_uplift_units": round(float(realised[k]) - base, 2),
            "pull_forward_days": c.pull_forward_days, "pull_forward_depth": c.pull_forward_depth,
            "pull_forward_units": round(pf, 2), "cannibalisation_depth": c.cannibal_depth,
            "cannibalised_units": round(cann, 2), "sibling_skus": len(sib),
            "marketing_spend": float(getattr(c, "marketing_spend", 0.0)),
        }
    return out


def _stockouts(ctx: dict) -> dict:
    """Lost units = realised demand minus sales (ordered units); stock-out SKU-days = on-sale (day, SKU)
    with end-of-day on_hand == 0."""
    prod, stock, dem, t0 = ctx["prod"], ctx["stock"], ctx["dem"], ctx["t0"]
    lost = stock.demand - stock.sales
    by_cat = np.bincount(prod.cat, weights=lost.sum(axis=0), minlength=len(sw.CATEGORIES))
    spells = [{"sku": str(prod.sku[s["sku_index"]]), "start": _iso(t0, s["start"]), "end": _iso(t0, s["end"]),
               "lost_units": s["lost_units"], "expected_lost_units": s["expected_lost_units"]}
              for s in stock.spells]
    return {"lost_units_total": int(lost.sum()),
            "stockout_sku_days": int(((stock.on_hand == 0) & dem.on_sale).sum()),
            "lost_sku_days": int((lost > 0).sum()),
            "spells": spells,
            "spells_lost_units": int(sum(s["lost_units"] for s in spells)),
            "spells_expected_lost_units": round(sum(s["expected_lost_units"] for s in spells), 2),
            "lost_units_by_category": {c.name: int(by_cat[i]) for i, c in enumerate(sw.CATEGORIES)}}


def _fulfilment_parts(ctx: dict) -> dict:
    """Counts behind ``_fulfilment``."""
    f, rev = ctx["f"], ctx["rev"]
    delivered = f.delivered >= 0
    rl = rev["late"]
    return {"f_rows": len(f.order), "f_delivered": int(delivered.sum()), "f_late": int(f.late[delivered].sum()),
            "rev_on_sum": int(rev["score"][~rl].sum()), "rev_on_n": int((~rl).sum()),
            "rev_late_sum": int(rev["score"][rl].sum()), "rev_late_n": int(rl.sum())}


def _fulfilment(p: dict) -> dict:
    """late = delivered_ts > promised_ts among delivered orders; planted review score means from the
    score distributions; realised means from the reviews file."""
    scores = np.arange(1, 6)
    on, late = float(so.SCORE_P_ON_TIME @ scores), float(so.SCORE_P_LATE @ scores)
    return {"late_share": _ratio(p["f_late"], p["f_delivered"]) or 0.0,
            "review_score_on_time": round(on, 4), "review_score_late": round(late, 4),
            "late_review_effect": round(late - on, 4),
            "realised_review_score_on_time": _ratio(p["rev_on_sum"], p["rev_on_n"]),
            "realised_review_score_late": _ratio(p["rev_late_sum"], p["rev_late_n"]),
            "peak_handling_extra_hours": so.PEAK_EXTRA_HOURS,
            "undelivered_share": _ratio(p["f_rows"] - p["f_delivered"], p["f_rows"])}


def _customer_parts(ctx: dict) -> dict:
    """Counts behind ``_customers`` (customers never span shards, so they add)."""
    cust, ts, canc, day = ctx["cust_num"], ctx["order_ts"], ctx["canc_n"], ctx["order_day"]
    peak, days = ctx["peak_day"], ctx["days"]
    m = (cust >= 0) & ~canc
    c, t, d = cust[m], ts[m], day[m]
    o = np.lexsort((t, c))
    c, t, d = c[o], t[o], d[o]
    same_next = np.r_[c[1:] == c[:-1], False]
    nxt = np.r_[t[1:], 0]
    again = same_next & (nxt - t <= 90 * so.DAY_NS)
    first = np.r_[True, c[1:] != c[:-1]]
    eligible = d <= days - 1 - 90
    new = first & eligible
    ret = ~first & eligible
    camp_new = new & peak[d]
    return {"c_new": int(new.sum()), "c_new_again": int(again[new].sum()), "c_ret": int(ret.sum()),
            "c_ret_again": int(again[ret].sum()), "c_camp_new": int(camp_new.sum()),
            "c_camp_new_again": int(again[camp_new].sum()), "c_orders": len(cust), "c_guest": int((cust < 0).sum())}


def _customers(p: dict) -> dict:
    """Repeat rates over non-cancelled orders (see ``definition``)."""
    return {
        "new_repeat_rate_90d": _ratio(p["c_new_again"], p["c_new"]) or 0.0,
        "returning_repeat_rate_90d": _ratio(p["c_ret_again"], p["c_ret"]) or 0.0,
        "campaign_new_repeat_rate_90d": _ratio(p["c_camp_new_again"], p["c_camp_new"]) or 0.0,
        "guest_share": _ratio(p["c_guest"], p["c_orders"]),
        "planted": {"guest_share": sw.GUEST_SHARE, "loyal_share": so.LOYAL_P,
                    "loyal_share_campaign_acquired": so.LOYAL_P_CAMPAIGN,
                    "churn_per_purchase": {"loyal": so.CHURN[0], "occasional": so.CHURN[1]},
                    "mean_gap_days": {"loyal": so.GAP_DAYS[0], "occasional": so.GAP_DAYS[1]}},
        "definition": ("Over non-cancelled orders with a customer_id. new_repeat_rate_90d: among customers whose "
                       "first order in the data falls on or before end - 90 days, the share with another order "
                       "within 90 days (order_ts difference <= 90 days) after that first order. "
                       "returning_repeat_rate_90d: among orders that are not the customer's first, placed on or "
                       "before end - 90 days, the share followed by another order of the same customer within 90 "
                       "days. campaign_new_repeat_rate_90d: new_repeat_rate_90d restricted to first orders on a "
                       "campaign day. guest_share: share of orders (all statuses) without customer_id."),
    }


def _service_parts(ctx: dict) -> dict:
    """Counts behind ``_service``."""
    svc, f = ctx["svc"], ctx["f"]
    pre, after = svc.stage == 0, svc.stage == 1
    rt = np.where(svc.first_response >= 0, (svc.first_response - svc.ts) / so.SEC_NS, np.inf)
    fast = rt <= ss.FAST_RESPONSE_S
    res_h = np.where(svc.resolved >= 0, (svc.resolved - svc.ts) / (3600 * so.SEC_NS), np.inf)
    conv = svc.converted == 1
    # after-sale contacts per order (number), for orders delivered late / on time
    per_order = np.bincount(svc.order[after], minlength=len(ctx["order_ts"]))[f.order]
    delivered = f.delivered >= 0
    late = svc.order_flags["late"]
    dl, dn = delivered & late, delivered & ~late
    agent = np.bincount(svc.agent, minlength=len(ss.AGENTS))
    agent_fast = np.bincount(svc.agent[fast], minlength=len(ss.AGENTS))
    return {"s_contacts": len(svc.ts), "s_pre": int(pre.sum()), "s_after": int(after.sum()),
            "s_unmatched": int(svc.unmatched_conversions), "s_conv_pre": int((conv & pre).sum()),
            "s_pre_fast": int((pre & fast).sum()), "s_conv_pre_fast": int((conv & pre & fast).sum()),
            "s_pre_slow": int((pre & ~fast).sum()), "s_conv_pre_slow": int((conv & pre & ~fast).sum()),
            "s_fast": int(fast.sum()), "s_agent": agent, "s_agent_fast": agent_fast,
            "s_res24_after": int(((res_h <= 24) & after).sum()), "s_live": len(f.order),
            "s_after_late": int(per_order[dl].sum()), "s_late": int(dl.sum()),
            "s_after_on_time": int(per_order[dn].sum()), "s_on_time": int(dn.sum())}


def _service(p: dict) -> dict:
    """Planted parameters of the service contacts and their realised values in service.parquet."""
    n_live = p["s_live"]

    def _r(x: float) -> float:
        return round(float(x), 4)

    by_agent = {a: _ratio(p["s_agent_fast"][i], p["s_agent"][i]) for i, a in enumerate(ss.AGENTS)}
    return {
        "planted": {
            "agents": list(ss.AGENTS), "slow_agent": ss.SLOW_AGENT, "slow_agent_factor": ss.SLOW_AGENT_FACTOR,
            "response_median_s": ss.RESPONSE_MEDIAN_S, "response_sigma": ss.RESPONSE_SIGMA,
            "peak_response_factor": ss.PEAK_RESPONSE_FACTOR, "fast_response_s": ss.FAST_RESPONSE_S,
            "fast_share": {"normal_day": _r(ss.fast_share(False, ss.AGENTS[0])),
                           "campaign_day": _r(ss.fast_share(True, ss.AGENTS[0])),
                           "slow_agent_normal_day": _r(ss.fast_share(False, ss.SLOW_AGENT)),
                           "slow_agent_campaign_day": _r(ss.fast_share(True, ss.SLOW_AGENT))},
            "inquiries_per_order": ss.INQUIRIES_PER_ORDER,
            "conversion_if_fast": ss.CONVERSION_FAST, "conversion_if_slow": ss.CONVERSION_SLOW,
            "after_sale_per_100_orders": {k: round(100 * v, 4) for k, v in ss.AFTER_SALE_PER_ORDER.items()},
            "slow_ship_hours": ss.SLOW_SHIP_HOURS, "lost_grace_days": ss.LOST_GRACE_DAYS,
            "unresolved_share": ss.UNRESOLVED_P,
        },
        "contacts": int(p["s_contacts"]), "pre_sale": int(p["s_pre"]), "after_sale": int(p["s_after"]),
        "unmatched_conversions": int(p["s_unmatched"]),
        "inquiry_conversion": _ratio(p["s_conv_pre"], p["s_pre"]),
        "conversion_fast": _ratio(p["s_conv_pre_fast"], p["s_pre_fast"]),
        "conversion_slow": _ratio(p["s_conv_pre_slow"], p["s_pre_slow"]),
        "first_response_within_30s": _ratio(p["s_fast"], p["s_contacts"]),
        "first_response_within_30s_by_agent": by_agent,
        "resolution_within_24h_after_sale": _ratio(p["s_res24_after"], p["s_after"]),
        "contacts_per_100_orders": _r(100 * p["s_contacts"] / n_live) if n_live else None,
        "after_sale_per_100_orders": _r(100 * p["s_after"] / n_live) if n_live else None,
        "after_sale_per_100_late": _r(100 * (p["s_after_late"] / p["s_late"])) if p["s_late"] else None,
        "after_sale_per_100_on_time": _r(100 * (p["s_after_on_time"] / p["s_on_time"])) if p["s_on_time"] else None,
        "definition": (
            "Realised over service.parquet. inquiry_conversion: pre_sale contacts with converted = yes / pre_sale "
            "contacts; conversion_fast/slow: the same for first response within / not within fast_response_s "
            "(no response counts as not within). first_response_within_30s: all contacts, first_response_ts - "
            "contact_ts <= 30 s. resolution_within_24h_after_sale: after_sale contacts resolved within 24 h. "
            "contacts_per_100_orders and after_sale_per_100_orders: contacts / non-cancelled orders * 100. "
            "after_sale_per_100_late / _on_time: after_sale contacts per 100 delivered orders delivered after / "
            "by promised_ts. Planted causes of after-sale contacts are in planted.after_sale_per_100_orders: late = "
            "delivered_ts > promised_ts, slow_ship = shipped_ts - paid_ts > 48 h, returned = a line returned, "
            "lost = shipped, no delivered_ts and promised_ts + 14 days before the end."),
    }
