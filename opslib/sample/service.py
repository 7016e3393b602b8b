"""Customer-service contacts of the sample shop (helpers of ``opslib.sample``; truth in ``truth.json -> service``).

Drawn **after everything else from a random stream of its own** (a child of the shop's ``SeedSequence``), so
adding the table left every other table byte-identical for the same seed.

Model (every parameter is a constant below and is written to ``truth.json``):

* **Agents**: ``N_AGENTS`` agents 客服01..客服08, each contact answered by one at random. First response time
  ``LogNormal(ln(m), RESPONSE_SIGMA)`` seconds with median ``m = RESPONSE_MEDIAN_S`` (8 s), times
  ``PEAK_RESPONSE_FACTOR`` (2.5) on campaign days (the team is overloaded) and times ``SLOW_AGENT_FACTOR`` (3)
  for the planted slow agent ``SLOW_AGENT`` (客服07).
* **Pre-sale inquiries (询单)**: per day ``Poisson(INQUIRIES_PER_ORDER * non-cancelled orders)`` inquiries at the
  times of that day's orders (minus ``Exp(30 min)``). An inquiry converts with probability ``CONVERSION_FAST``
  (0.55) when answered within ``FAST_RESPONSE_S`` (30 s), else ``CONVERSION_SLOW`` (0.35): **slow answers cost
  conversions**. A converted inquiry is matched to a random non-cancelled order of the same day (``order_id``,
  its customer and first SKU; contact ``30 s + Exp(20 min)`` before the order); the others ask about the first
  SKU of a random order of the day, from a random known customer.
* **After-sale contacts (售后)**: per non-cancelled order, independent Poisson counts with means
  ``AFTER_SALE_PER_ORDER``: base 0.05; **+0.15 if delivered late** (``delivered_ts > promised_ts``; reason
  物流查询, at ``promised + Exp(12 h)``); +0.10 if shipped more than ``SLOW_SHIP_HOURS`` (48 h) after payment
  (催发货, at ``paid + 48 h + Exp(6 h)``); +0.40 if a line was returned (reason by category, ``delivered +
  Exp(2 days)``); +0.60 if lost (shipped, never delivered, promised + 14 days before the end; 物流查询). So the
  expected after-sale contacts per 100 orders are ``5 + 15 late + 10 slow + 40 returned + 60 lost``.
* **Resolution**: pre-sale chats close ``Gamma(2, 2 min)`` after the first response; after-sale contacts
  ``Gamma(2, scale)`` with scale 2 h (物流查询, 催发货), 4 h (发票其他) or 10 h (returns and quality);
  ``UNRESOLVED_P`` (2%) stay open. Times are whole seconds; times at or after the end of the period are empty, as are contacts after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from opslib.sample.orders import DAY_NS, SEC_NS

HOUR_NS = 3600 * SEC_NS
N_AGENTS = 8
AGENTS = tuple(f"客服{i + 1:02d}" for i in range(N_AGENTS))
SLOW_AGENT = "客服07"
SLOW_AGENT_FACTOR = 3.0
RESPONSE_MEDIAN_S = 8.0
RESPONSE_SIGMA = 0.7
PEAK_RESPONSE_FACTOR = 2.5
FAST_RESPONSE_S = 30.0
INQUIRIES_PER_ORDER = 0.45
CONVERSION_FAST, CONVERSION_SLOW = 0.55, 0.35
SLOW_SHIP_HOURS = 48.0
LOST_GRACE_DAYS = 14
#: Expected after-sale contacts per order, by cause (they add up: independent Poisson counts).
AFTER_SALE_PER_ORDER = {"base": 0.05, "late": 0.15, "slow_ship": 0.10, "returned": 0.40, "lost": 0.60}
UNRESOLVED_P = 0.02

PRE_REASONS = ("商品咨询", "尺码推荐", "优惠咨询", "发货时效")
PRE_REASON_P = np.array([0.40, 0.20, 0.25, 0.15])
AFTER_REASONS = ("物流查询", "催发货", "退换货", "质量问题", "尺码不合适", "发票其他")
BASE_REASON_P = np.array([0.35, 0.0, 0.0, 0.30, 0.0, 0.35])
RETURN_REASON_P = np.array([0.0, 0.0, 0.60, 0.40, 0.0, 0.0])  # every category but 服饰
RETURN_REASON_P_APPAREL = np.array([0.0, 0.0, 0.25, 0.15, 0.60, 0.0])  # 服饰: mostly the size
RESOLUTION_SCALE_H = np.array([2.0, 2.0, 10.0, 10.0, 10.0, 4.0])  # per AFTER_REASONS
PRE_RESOLUTION_SCALE_MIN = 2.0
APPAREL = "服饰"


@dataclass
class Service:
    """The contacts (one entry each, sorted by time) and what the truth needs; times in ns (-1 = empty)."""

    ts: np.ndarray
    stage: np.ndarray  # 0 pre_sale, 1 after_sale
    reason: np.ndarray  # index into PRE_REASONS (pre) or AFTER_REASONS (after)
    customer: np.ndarray  # customer number, -1 = unknown
    order: np.ndarray  # order number, -1 = none
    sku: np.ndarray  # sku index, -1 = none
    agent: np.ndarray
    first_response: np.ndarray
    resolved: np.ndarray
    converted: np.ndarray  # 1 yes, 0 no, -1 empty (after-sale)
    cause: np.ndarray  # after-sale: index into AFTER_SALE_PER_ORDER keys; pre-sale: -1
    unmatched_conversions: int
    order_flags: dict[str, np.ndarray]  # per non-cancelled order: late, slow_ship, returned, lost


def _pick(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    return np.minimum(np.searchsorted(np.cumsum(p), rng.random(size), side="right"), len(p) - 1)


def _response_s(rng: np.random.Generator, agent: np.ndarray, peak: np.ndarray) -> np.ndarray:
    """First response in whole seconds (at least 1): LogNormal around the agent's and the day's median."""
    med = RESPONSE_MEDIAN_S * np.where(peak, PEAK_RESPONSE_FACTOR, 1.0)
    med = med * np.where(agent == AGENTS.index(SLOW_AGENT), SLOW_AGENT_FACTOR, 1.0)
    return np.maximum(np.round(med * np.exp(RESPONSE_SIGMA * rng.standard_normal(len(agent)))), 1.0)


def fast_share(peak: bool, agent: str) -> float:
    """Planted probability that a contact is answered within ``FAST_RESPONSE_S``:
    ``Phi((ln 30 - ln median) / sigma)`` with the median of that agent on that kind of day.

    Example:
        >>> # Φ((ln 30 − ln 8) / 0.7) = Φ(1.888) ; Φ((ln 30 − ln 60) / 0.7) = Φ(−0.990)
        >>> round(fast_share(False, "客服01"), 3), round(fast_share(True, "客服07"), 3)
        (0.971, 0.161)
    """
    med = RESPONSE_MEDIAN_S * (PEAK_RESPONSE_FACTOR if peak else 1.0) * (SLOW_AGENT_FACTOR if agent == SLOW_AGENT else 1.0)
    return float(ndtr((np.log(FAST_RESPONSE_S) - np.log(med)) / RESPONSE_SIGMA))


def make_service(seed: int, f, order_ts: np.ndarray, order_day: np.ndarray, cancelled: np.ndarray,
                 cust_num: np.ndarray, l_num: np.ndarray, l_sku: np.ndarray, l_status: np.ndarray,
                 sku_cat_name: np.ndarray, peak_day: np.ndarray, start_ns: int, end_ns: int,
                 stream: np.random.SeedSequence | None = None) -> Service:
    """Draw the service contacts (model in the module docstring) from the child stream of ``seed``.

    Orders are indexed by order number (0-based, chronological); ``f`` is the ``Fulfilment`` of the
    non-cancelled orders; lines (``l_num``, ``l_sku``, ``l_status``) are sorted by order number. ``stream``
    replaces the child stream of ``seed`` (a shard of a chunked generation has its own).
    """
    seq = np.random.SeedSequence(seed).spawn(1)[0] if stream is None else stream
    rng = np.random.Generator(np.random.PCG64(seq))
    n_orders = len(order_ts)
    days = len(peak_day)
    first_line = np.searchsorted(l_num, np.arange(n_orders))
    first_sku = l_sku[np.minimum(first_line, len(l_sku) - 1)]
    ret_line = l_status == 2
    returned_order = np.bincount(l_num[ret_line], minlength=n_orders) > 0
    # the first returned line's sku per order (lines are sorted by order number)
    ret_idx = np.flatnonzero(ret_line)
    ret_sku = np.full(n_orders, -1, dtype=np.int64)
    first_ret = np.r_[True, l_num[ret_idx][1:] != l_num[ret_idx][:-1]] if len(ret_idx) else np.zeros(0, bool)
    ret_sku[l_num[ret_idx][first_ret]] = l_sku[ret_idx][first_ret]

    # ---------------------------------------------------------------- pre-sale inquiries
    live = np.flatnonzero(~cancelled)
    per_day = np.bincount(order_day[live], minlength=days)
    n_inq = rng.poisson(INQUIRIES_PER_ORDER * per_day)
    inq_day = np.repeat(np.arange(days), n_inq)
    m = len(inq_day)
    inq_agent = rng.integers(0, N_AGENTS, m)
    inq_rt = _response_s(rng, inq_agent, peak_day[inq_day])
    conv = rng.random(m) < np.where(inq_rt <= FAST_RESPONSE_S, CONVERSION_FAST, CONVERSION_SLOW)
    # match converted inquiries to distinct random live orders of the same day
    lo = live[np.lexsort((rng.random(len(live)), order_day[live]))]
    lo_start = np.cumsum(per_day) - per_day
    conv_idx = np.flatnonzero(conv)
    rank = np.arange(len(conv_idx)) - np.searchsorted(inq_day[conv_idx], inq_day[conv_idx], side="left")
    ok = rank < per_day[inq_day[conv_idx]]
    unmatched = int((~ok).sum())
    conv[conv_idx[~ok]] = False
    inq_order = np.full(m, -1, dtype=np.int64)
    inq_order[conv_idx[ok]] = lo[lo_start[inq_day[conv_idx[ok]]] + rank[ok]]
    # the others: the first SKU of a random live order of the day, a random known customer
    pick = lo[lo_start[inq_day] + np.floor(rng.random(m) * np.maximum(per_day[inq_day], 1)).astype(np.int64)]
    known = np.flatnonzero(cust_num >= 0)
    rand_cust = cust_num[known[rng.integers(0, len(known), m)]] if len(known) else np.full(m, -1)
    anchor = np.where(conv, inq_order, pick)
    lead = np.where(conv, 30 + rng.exponential(20 * 60, m), rng.exponential(30 * 60, m))
    inq_ts = order_ts[anchor] - lead.astype(np.int64) * SEC_NS
    inq_cust = np.where(conv, cust_num[anchor], rand_cust)
    inq_sku = first_sku[anchor]
    inq_reason = _pick(rng, PRE_REASON_P, m)
    inq_resolve = inq_rt + rng.gamma(2.0, PRE_RESOLUTION_SCALE_MIN * 60, m)

    # ---------------------------------------------------------------- after-sale contacts
    o = f.order
    delivered, shipped, promised, paid = f.delivered, f.shipped, f.promised, f.paid
    late = (delivered >= 0) & (delivered > promised)
    slow = (shipped >= 0) & (shipped - paid > SLOW_SHIP_HOURS * HOUR_NS)
    lost = (shipped >= 0) & (delivered < 0) & (promised + LOST_GRACE_DAYS * DAY_NS <= end_ns)
    ret = returned_order[o]
    flags = {"base": np.ones(len(o), bool), "late": late, "slow_ship": slow, "returned": ret, "lost": lost}
    parts = []
    for k, (cause, rate) in enumerate(AFTER_SALE_PER_ORDER.items()):
        n = rng.poisson(rate * flags[cause])
        idx = np.repeat(np.arange(len(o)), n)
        q = len(idx)
        if cause == "base":
            reason = _pick(rng, BASE_REASON_P, q)
            ref = np.where(delivered[idx] >= 0, delivered[idx], paid[idx] + 2 * DAY_NS)
            ts = ref + rng.exponential(2 * 24 * 3600, q).astype(np.int64) * SEC_NS
        elif cause == "late":
            reason = np.zeros(q, np.int64)
            ts = promised[idx] + rng.exponential(12 * 3600, q).astype(np.int64) * SEC_NS
        elif cause == "slow_ship":
            reason = np.ones(q, np.int64)
            ts = paid[idx] + (SLOW_SHIP_HOURS * 3600 + rng.exponential(6 * 3600, q)).astype(np.int64) * SEC_NS
        elif cause == "returned":
            apparel = sku_cat_name[np.maximum(ret_sku[o[idx]], 0)] == APPAREL
            reason = np.where(apparel, _pick(rng, RETURN_REASON_P_APPAREL, q), _pick(rng, RETURN_REASON_P, q))
            ref = np.where(delivered[idx] >= 0, delivered[idx], paid[idx] + 4 * DAY_NS)
            ts = ref + rng.exponential(2 * 24 * 3600, q).astype(np.int64) * SEC_NS
        else:
            reason = np.zeros(q, np.int64)
            ts = promised[idx] + rng.exponential(24 * 3600, q).astype(np.int64) * SEC_NS
        sku = ret_sku[o[idx]] if cause == "returned" else first_sku[o[idx]]
        parts.append((idx, np.full(q, k), reason, ts, sku))
    a_idx = np.concatenate([p[0] for p in parts])
    a_cause = np.concatenate([p[1] for p in parts])
    a_reason = np.concatenate([p[2] for p in parts])
    a_ts = np.concatenate([p[3] for p in parts])
    a_sku = np.concatenate([p[4] for p in parts])
    q = len(a_idx)
    a_agent = rng.integers(0, N_AGENTS, q)
    a_day = np.clip((a_ts - start_ns) // DAY_NS, 0, days - 1)
    a_rt = _response_s(rng, a_agent, peak_day[a_day])
    a_resolve = a_rt + rng.gamma(2.0, RESOLUTION_SCALE_H[a_reason] * 3600, q)
    unresolved = rng.random(m + q) < UNRESOLVED_P

    # ---------------------------------------------------------------- together, in time order
    ts = np.r_[inq_ts, a_ts]
    rt = np.r_[inq_rt, a_rt]
    res = np.r_[inq_resolve, a_resolve]
    first = ts + rt.astype(np.int64) * SEC_NS
    resolved = ts + res.astype(np.int64) * SEC_NS
    resolved = np.where(unresolved | (resolved >= end_ns), -1, resolved)
    first = np.where(first >= end_ns, -1, first)
    stage = np.r_[np.zeros(m, np.int64), np.ones(q, np.int64)]
    keep = (ts >= start_ns) & (ts < end_ns)
    order_of = np.r_[inq_order, o[a_idx]]
    out = {
        "ts": ts, "stage": stage, "reason": np.r_[inq_reason, a_reason],
        "customer": np.r_[inq_cust, cust_num[o[a_idx]]], "order": order_of, "sku": np.r_[inq_sku, a_sku],
        "agent": np.r_[inq_agent, a_agent], "first_response": first, "resolved": resolved,
        "converted": np.r_[conv.astype(np.int64), np.full(q, -1)], "cause": np.r_[np.full(m, -1), a_cause],
    }
    tie = np.r_[np.arange(m), m + np.arange(q)]
    order = np.lexsort((tie[keep], ts[keep]))
    out = {k: v[keep][order] for k, v in out.items()}
    return Service(**out, unmatched_conversions=unmatched,
                   order_flags={"late": late, "slow_ship": slow, "returned": ret, "lost": lost})
