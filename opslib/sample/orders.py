"""Order lines, orders, customers, fulfilment, reviews and traffic of the sample shop (helpers of
``opslib.sample``). Everything is vectorised over lines/orders; no Python loop over rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from opslib.sample.world import CANCEL_RATE, CATEGORIES, GUEST_SHARE

DAY_NS = 86_400 * 10**9
SEC_NS = 10**9
CHANNELS = ("app", "web", "小程序", "直播")
CHANNEL_P = np.array([0.52, 0.12, 0.21, 0.15])
REGIONS = ("华东", "华南", "华北", "华中", "西南", "西北", "东北")
REGION_P = np.array([0.32, 0.2, 0.17, 0.12, 0.1, 0.04, 0.05])
REGION_WAREHOUSE = np.array([0, 1, 2, 4, 3, 3, 2])  # index into WAREHOUSES
REGION_EXTRA_DAYS = np.array([0.0, 0.2, 0.2, 0.3, 0.6, 1.2, 1.0])
WAREHOUSES = ("上海仓", "广州仓", "北京仓", "成都仓", "武汉仓")
CARRIERS = ("顺丰", "中通", "圆通", "京东物流", "韵达")
CARRIER_P = np.array([0.25, 0.25, 0.18, 0.17, 0.15])
CARRIER_TRANSIT_DAYS = np.array([1.0, 1.7, 1.8, 0.9, 1.8])
CARRIER_PROMISE_DAYS = np.array([3, 4, 4, 3, 4])
HOUR_P = np.array([2, 1, 0.5, 0.3, 0.3, 0.4, 1, 2, 3.5, 4.5, 5, 5, 5.5, 5, 4.5, 4.5, 4.5, 4.5, 5, 6, 7, 8, 7.5, 4.5])
HOUR_P = HOUR_P / HOUR_P.sum()
LINE_BREAK_P = 0.82  # P(next unit of the same SKU-day starts a new line); quantity <= 3
ORDER_BREAK_P = 0.74  # P(next line of the day starts a new order); <= 3 lines per order
PEAK_EXTRA_HOURS = 20.0
UNDELIVERED_P = 0.004
REVIEW_P = 0.3
SCORE_P_ON_TIME = np.array([0.02, 0.03, 0.08, 0.25, 0.62])
SCORE_P_LATE = np.array([0.09, 0.10, 0.17, 0.29, 0.35])
TOPICS = ("物流", "质量", "服务", "价格", "包装")
TOPIC_P_ON_TIME = np.array([0.12, 0.36, 0.15, 0.17, 0.10, 0.10])  # last = no topic
TOPIC_P_LATE = np.array([0.52, 0.18, 0.10, 0.07, 0.05, 0.08])
LOYAL_P, LOYAL_P_CAMPAIGN = 0.3, 0.1
CHURN = (0.12, 0.62)  # per purchase, (loyal, occasional)
GAP_DAYS = (28.0, 100.0)


def _pick(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """Categorical draws by inverse CDF (fast, deterministic)."""
    return np.minimum(np.searchsorted(np.cumsum(p), rng.random(size), side="right"), len(p) - 1)


def _run_pos(brk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group id (cumsum of breaks - 1) and position within the group for each element."""
    gid = np.cumsum(brk) - 1
    starts = np.flatnonzero(brk)
    return gid, np.arange(len(brk)) - starts[gid]


@dataclass
class Lines:
    """Order lines (one per row) and orders (one per row, indexed by ``line_order``)."""

    day: np.ndarray
    sku: np.ndarray
    qty: np.ndarray
    line_order: np.ndarray
    order_day: np.ndarray


def make_lines(rng: np.random.Generator, sales: np.ndarray) -> Lines:
    """Split daily sales units into lines and group lines into orders.

    Units of one (day, SKU) cell form lines: a unit starts a new line if it is the first of its cell,
    with probability LINE_BREAK_P, or when the line already has 3 units. Lines of one day are shuffled
    and grouped: a line starts a new order with probability ORDER_BREAK_P, when the order already has 3
    lines, or when the order already holds the same SKU.
    """
    days, n = sales.shape
    flat = sales.ravel()
    cells = np.flatnonzero(flat)
    u = flat[cells]
    cell_unit = np.repeat(cells, u)
    start = np.repeat(np.cumsum(u) - u, u)
    r = np.arange(len(cell_unit)) - start
    brk = (r % 3 == 0) | (rng.random(len(r)) < LINE_BREAK_P)
    lid, _ = _run_pos(brk)
    qty = np.bincount(lid).astype(np.int64)
    line_cell = cell_unit[brk]
    day, sku = line_cell // n, line_cell % n
    perm = np.lexsort((rng.random(len(day)), day))
    day, sku, qty = day[perm], sku[perm], qty[perm]
    first = np.r_[True, day[1:] != day[:-1]]
    obrk = first | (rng.random(len(day)) < ORDER_BREAK_P)
    for _ in range(20):
        oid, pos = _run_pos(obrk)
        new = obrk | (pos % 3 == 0)
        oid, _ = _run_pos(new)
        o = np.lexsort((sku, oid))
        dup = np.zeros(len(day), dtype=bool)
        dup[o[1:]] = (oid[o[1:]] == oid[o[:-1]]) & (sku[o[1:]] == sku[o[:-1]])
        obrk = new | dup
        if not dup.any():
            break
    oid, _ = _run_pos(obrk)
    order_day = day[obrk]
    return Lines(day, sku, qty, oid, order_day)


def order_times(rng: np.random.Generator, order_day: np.ndarray, start_ns: int) -> np.ndarray:
    """order_ts = start + day + hour (HOUR_P profile) + uniform second within the hour, in ns."""
    hour = _pick(rng, HOUR_P, len(order_day))
    sec = rng.integers(0, 3600, len(order_day))
    return start_ns + order_day * DAY_NS + (hour * 3600 + sec) * SEC_NS


def assign_customers(rng: np.random.Generator, order_day: np.ndarray, peak_day: np.ndarray,
                     days: int) -> tuple[np.ndarray, np.ndarray]:
    """Customer index per order (-1 = guest) and the number of customers.

    Guests: GUEST_SHARE of orders. Customers are drawn as a population: acquisition day ~ the daily
    order volume; type loyal with prob LOYAL_P (LOYAL_P_CAMPAIGN when acquired on a campaign day);
    purchases K ~ Geometric(churn_type), gaps ~ Exponential(GAP_DAYS_type). Their purchase days are
    matched at random to the day's non-guest orders; orders left over on a day (campaign peaks) go to
    fresh one-off customers, and unused purchase slots are dropped.
    """
    n_orders = len(order_day)
    guest = rng.random(n_orders) < GUEST_SHARE
    per_day = np.bincount(order_day[~guest], minlength=days).astype(float)
    exp_k = LOYAL_P / CHURN[0] + (1 - LOYAL_P) / CHURN[1]
    n_cust = max(int(0.95 * per_day.sum() / exp_k), 1)
    acq = _pick(rng, per_day / per_day.sum(), n_cust)
    loyal = rng.random(n_cust) < np.where(peak_day[acq], LOYAL_P_CAMPAIGN, LOYAL_P)
    k = rng.geometric(np.where(loyal, CHURN[0], CHURN[1]))
    owner = np.repeat(np.arange(n_cust), k)
    gap = rng.exponential(1.0, len(owner)) * np.where(loyal, GAP_DAYS[0], GAP_DAYS[1])[owner]
    first = np.repeat(np.cumsum(k) - k, k)
    gap[first] = 0.0
    cg = np.cumsum(gap)
    slot_day = (acq[owner] + (cg - cg[np.repeat(np.cumsum(k) - k, k)])).astype(np.int64)
    ok = slot_day < days
    owner, slot_day = owner[ok], slot_day[ok]
    so = np.lexsort((rng.random(len(slot_day)), slot_day))
    owner, slot_day = owner[so], slot_day[so]
    m_d = np.bincount(slot_day, minlength=days)
    slot_start = np.cumsum(m_d) - m_d
    idx = np.flatnonzero(~guest)
    oo = idx[np.lexsort((rng.random(len(idx)), order_day[idx]))]
    od = order_day[oo]
    o_start = np.cumsum(np.bincount(od, minlength=days)) - np.bincount(od, minlength=days)
    rank = np.arange(len(oo)) - o_start[od]
    cust = np.full(n_orders, -1, dtype=np.int64)
    matched = rank < m_d[od]
    cust[oo[matched]] = owner[slot_start[od[matched]] + rank[matched]]
    extra = oo[~matched]
    cust[extra] = n_cust + np.arange(len(extra))
    return cust, n_cust + len(extra)


@dataclass
class Fulfilment:
    """Per non-cancelled order (ns timestamps; -1 = empty)."""

    order: np.ndarray
    paid: np.ndarray
    shipped: np.ndarray
    delivered: np.ndarray
    promised: np.ndarray
    warehouse: np.ndarray
    carrier: np.ndarray
    late: np.ndarray


def make_fulfilment(rng: np.random.Generator, orders: np.ndarray, ts: np.ndarray, region: np.ndarray,
                    peak: np.ndarray, end_ns: int) -> Fulfilment:
    """paid = order + 60 s + Exp(240 s); handling = Gamma(2, 9 h) + PEAK_EXTRA_HOURS on campaign days;
    transit = 24 h * (carrier days + region days) + Gamma(2, 7 h); promised = 23:59 of paid day +
    carrier promise days (+1 for 西北/东北); delivered empty with prob UNDELIVERED_P or when after the end
    of the period (shipped empty when after the end)."""
    n = len(orders)
    paid = ts + ((60 + rng.exponential(240, n)).astype(np.int64)) * SEC_NS
    handling = rng.gamma(2.0, 9.0, n) + PEAK_EXTRA_HOURS * peak
    shipped = paid + (handling * 3600).astype(np.int64) * SEC_NS
    carrier = _pick(rng, CARRIER_P, n)
    transit = 24 * (CARRIER_TRANSIT_DAYS[carrier] + REGION_EXTRA_DAYS[region]) + rng.gamma(2.0, 7.0, n)
    delivered = shipped + (transit * 3600).astype(np.int64) * SEC_NS
    promise = CARRIER_PROMISE_DAYS[carrier] + (REGION_EXTRA_DAYS[region] >= 1.0)
    promised = (paid // DAY_NS + promise) * DAY_NS + (23 * 3600 + 59 * 60) * SEC_NS
    late = delivered > promised
    lost = rng.random(n) < UNDELIVERED_P
    delivered = np.where(lost | (delivered >= end_ns), -1, delivered)
    shipped = np.where(shipped >= end_ns, -1, shipped)
    return Fulfilment(orders, paid, shipped, delivered, promised, REGION_WAREHOUSE[region], carrier, late)


def make_reviews(rng: np.random.Generator, f: Fulfilment, end_ns: int) -> dict[str, np.ndarray]:
    """REVIEW_P of delivered orders; review_ts = delivered + 1 h + Exp(48 h) (kept if before the end);
    score ~ SCORE_P_LATE if delivered after promised else SCORE_P_ON_TIME; topic likewise."""
    cand = np.flatnonzero((f.delivered >= 0) & (rng.random(len(f.order)) < REVIEW_P))
    rts = f.delivered[cand] + ((3600 + rng.exponential(48 * 3600, len(cand))).astype(np.int64)) * SEC_NS
    keep = rts < end_ns
    cand, rts = cand[keep], rts[keep]
    late = f.late[cand]
    score = np.where(late, _pick(rng, SCORE_P_LATE, len(cand)), _pick(rng, SCORE_P_ON_TIME, len(cand))) + 1
    topic = np.where(late, _pick(rng, TOPIC_P_LATE, len(cand)), _pick(rng, TOPIC_P_ON_TIME, len(cand)))
    return {"order": f.order[cand], "ts": rts, "score": score.astype(np.int64), "topic": topic, "late": late}


def line_status(rng: np.random.Generator, line_order: np.ndarray, line_cat: np.ndarray,
                n_orders: int) -> tuple[np.ndarray, np.ndarray]:
    """Status per line (0 completed, 1 cancelled, 2 returned) and the cancelled flag per order.

    Whole orders are cancelled with probability CANCEL_RATE; other lines are returned with their
    category's return rate."""
    cancelled = rng.random(n_orders) < CANCEL_RATE
    rr = np.array([c.return_rate for c in CATEGORIES])[line_cat]
    status = np.where(cancelled[line_order], 1, np.where(rng.random(len(line_order)) < rr, 2, 0))
    return status.astype(np.int8), cancelled


def make_traffic(rng: np.random.Generator, exp_units: np.ndarray, lines: np.ndarray) -> dict[str, np.ndarray]:
    """Per (day, category): visitors = round(E_units / 0.034 * LogNormal(0, 0.08)) with E_units the
    expected units (so campaign traffic lifts visitors); product_views = visitors * U(2.6, 3.6);
    add_to_cart = lines + round(lines * 2.1 * LogNormal(0, 0.1))."""
    shape = exp_units.shape
    visitors = np.round(exp_units / 0.034 * np.exp(0.08 * rng.standard_normal(shape))).astype(np.int64)
    visitors = np.maximum(visitors, lines)
    views = np.round(visitors * rng.uniform(2.6, 3.6, shape)).astype(np.int64)
    atc = lines + np.round(lines * 2.1 * np.exp(0.1 * rng.standard_normal(shape))).astype(np.int64)
    return {"visitors": visitors, "product_views": views, "add_to_cart": np.minimum(atc, views)}
