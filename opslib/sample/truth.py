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


def truth_sections(ctx: dict) -> dict:
    """Every truth section except the header and counts."""
    return {
        "totals": _totals(ctx),
        "categories": _categories(ctx),
        "growing_category": sw.GROWING,
        "declining_category": sw.DECLINING,
        "seasonality": _seasonality(ctx),
        "campaigns": _campaigns(ctx),
        "stockouts": _stockouts(ctx),
        "fulfilment": _fulfilment(ctx),
        "customers": _customers(ctx),
        "service": _service(ctx),
    }


def _totals(ctx: dict) -> dict:
    """units = sum quantity (not cancelled); gmv = sum quantity * unit_price (not cancelled);
    net_sales = same over completed lines. Sums in float64 over lines in file order, rounded to 2 dp."""
    q, p, st = ctx["l_qty"], ctx["l_price"], ctx["l_status"]
    v = q * p
    return {"units": int(q[st != 1].sum()), "gmv": round(float(v[st != 1].sum()), 2),
            "net_sales": round(float(v[st == 0].sum()), 2)}


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


def _campaigns(ctx: dict) -> dict:
    """Per campaign (units are non-cancelled units: expected values multiply ordered units by 0.97)."""
    dem, camps, t0, days = ctx["dem"], ctx["camps"], ctx["t0"], ctx["days"]
    st, camp, qty = ctx["l_status"], ctx["l_camp"], ctx["l_qty"]
    realised = np.bincount(camp[(camp >= 0) & (st != 1)], weights=qty[(camp >= 0) & (st != 1)],
                           minlength=len(camps))
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


def _fulfilment(ctx: dict) -> dict:
    """late = delivered_ts > promised_ts among delivered orders; planted review score means from the
    score distributions; realised means from the reviews file."""
    f, rev = ctx["f"], ctx["rev"]
    delivered = f.delivered >= 0
    scores = np.arange(1, 6)
    on, late = float(so.SCORE_P_ON_TIME @ scores), float(so.SCORE_P_LATE @ scores)
    rl = rev["late"]
    return {"late_share": round(float(f.late[delivered].mean()), 4) if delivered.any() else 0.0,
            "review_score_on_time": round(on, 4), "review_score_late": round(late, 4),
            "late_review_effect": round(late - on, 4),
            "realised_review_score_on_time": round(float(rev["score"][~rl].mean()), 4) if (~rl).any() else None,
            "realised_review_score_late": round(float(rev["score"][rl].mean()), 4) if rl.any() else None,
            "peak_handling_extra_hours": so.PEAK_EXTRA_HOURS,
            "undelivered_share": round(float((~delivered).mean()), 4)}


def _customers(ctx: dict) -> dict:
    """Repeat rates over non-cancelled orders (see ``definition``)."""
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
    return {
        "new_repeat_rate_90d": round(float(again[new].mean()), 4) if new.any() else 0.0,
        "returning_repeat_rate_90d": round(float(again[ret].mean()), 4) if ret.any() else 0.0,
        "campaign_new_repeat_rate_90d": round(float(again[camp_new].mean()), 4) if camp_new.any() else 0.0,
        "guest_share": round(float((ctx["cust_num"] < 0).mean()), 4),
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


def _service(ctx: dict) -> dict:
    """Planted parameters of the service contacts and their realised values in service.parquet."""
    svc, f = ctx["svc"], ctx["f"]
    pre, after = svc.stage == 0, svc.stage == 1
    rt = np.where(svc.first_response >= 0, (svc.first_response - svc.ts) / so.SEC_NS, np.inf)
    fast = rt <= ss.FAST_RESPONSE_S
    res_h = np.where(svc.resolved >= 0, (svc.resolved - svc.ts) / (3600 * so.SEC_NS), np.inf)
    conv = svc.converted == 1
    n_live = len(f.order)
    # after-sale contacts per order (number), for orders delivered late / on time
    per_order = np.bincount(svc.order[after], minlength=len(ctx["order_ts"]))[f.order]
    delivered = f.delivered >= 0
    late = svc.order_flags["late"]

    def _r(x: float) -> float:
        return round(float(x), 4)

    def _share(m: np.ndarray, of: np.ndarray) -> float | None:
        return _r(m[of].mean()) if of.any() else None

    by_agent = {a: _share(fast, svc.agent == i) for i, a in enumerate(ss.AGENTS)}
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
        "contacts": int(len(svc.ts)), "pre_sale": int(pre.sum()), "after_sale": int(after.sum()),
        "unmatched_conversions": svc.unmatched_conversions,
        "inquiry_conversion": _share(conv, pre),
        "conversion_fast": _share(conv, pre & fast), "conversion_slow": _share(conv, pre & ~fast),
        "first_response_within_30s": _share(fast, np.ones(len(fast), bool)),
        "first_response_within_30s_by_agent": by_agent,
        "resolution_within_24h_after_sale": _share(res_h <= 24, after),
        "contacts_per_100_orders": _r(100 * len(svc.ts) / n_live) if n_live else None,
        "after_sale_per_100_orders": _r(100 * after.sum() / n_live) if n_live else None,
        "after_sale_per_100_late": _r(100 * per_order[delivered & late].mean()) if (delivered & late).any() else None,
        "after_sale_per_100_on_time": (_r(100 * per_order[delivered & ~late].mean())
                                       if (delivered & ~late).any() else None),
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
