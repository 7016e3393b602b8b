"""Demand and stock of the sample shop: the (day x SKU) arrays (helpers of ``opslib.sample``).

Expected demand (ordered units, before stock) of SKU ``s`` on day ``d``::

    lam0[d, s] = K * base_s * exp(trend_c * d / 365.25) * weekly[weekday(d)] * yearly_c(doy(d))
                 * cny(d) * ramp_s(d) / A_c(d) * (price[d, s] / list_s) ** elasticity_c
    lam[d, s]  = lam0[d, s] * M[d, s]

``price`` is the everyday price (weekly random discounts); ``M`` holds the campaign effects
(price effect of the campaign price relative to the everyday price times a traffic multiplier on
scoped SKUs in the window, pull-forward dip after it, cannibalisation of siblings during it).
``K`` scales the total to ``UNITS_PER_DAY * scale`` ordered units a day on average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from opslib.sample.world import CATEGORIES, WEEKLY, Campaign, Products

UNITS_PER_DAY = 1060.0
RAMP_DAYS = 14.0
EVERYDAY_DISCOUNT_P = 0.35
SAFETY_Z = 1.65
COVER_DAYS = 28


@dataclass
class Demand:
    """Prices and expected demand on the (day, SKU) grid."""

    price: np.ndarray  # everyday unit price
    lam0: np.ndarray  # expected units without campaign effects
    mult: np.ndarray  # campaign multiplier M (1 outside campaigns)
    camp_price: np.ndarray  # price actually charged (campaign price on scoped cells)
    camp_of: np.ndarray  # campaign index per cell, -1 when none
    on_sale: np.ndarray  # bool, day >= launch

    @property
    def lam(self) -> np.ndarray:
        return self.lam0 * self.mult


def everyday_prices(rng: np.random.Generator, prod: Products, days: int) -> np.ndarray:
    """price[d, s] = round(list_s * (1 - disc[w, s]), 2), w = week of day d (SKU-specific phase);
    disc ~ 0 with prob 0.65, else U(0.03, 0.15) rounded to 0.01."""
    n_weeks = days // 7 + 2
    disc = np.where(rng.random((n_weeks, prod.n)) < EVERYDAY_DISCOUNT_P,
                    np.round(rng.uniform(0.03, 0.15, (n_weeks, prod.n)), 2), 0.0)
    phase = rng.integers(0, 7, prod.n)
    week = (np.arange(days)[:, None] + phase[None, :]) // 7
    d = np.take_along_axis(disc, week, axis=0)
    return np.round(prod.list_price[None, :] * (1 - d), 2)


def build_demand(rng: np.random.Generator, prod: Products, camps: list[Campaign], scale: float, weekday: np.ndarray,
                 yearly: np.ndarray, cny: np.ndarray) -> Demand:
    """Assemble lam0 and the campaign multiplier M (see module docstring), normalised so that
    sum(lam) = UNITS_PER_DAY * scale * days."""
    days = len(weekday)
    t = np.arange(days)[:, None]
    cat = prod.cat
    trend = np.array([c.trend for c in CATEGORIES])[cat]
    elast = np.array([c.elasticity for c in CATEGORIES])[cat]
    age = t - prod.launch[None, :]
    on_sale = age >= 0
    ramp = np.where(on_sale, 1 - np.exp(-(age + 1) / RAMP_DAYS), 0.0)
    price = everyday_prices(rng, prod, days)
    rel = price / prod.list_price[None, :]
    lam0 = (prod.base[None, :] * np.exp(trend[None, :] * t / 365.25) * WEEKLY[weekday][:, None]
            * yearly[:, cat] * cny[:, None] * ramp / _assortment(prod, ramp)[:, cat] * rel ** elast[None, :])
    mult = np.ones_like(lam0)
    camp_price = price.copy()
    camp_of = np.full(lam0.shape, -1, dtype=np.int16)
    for k, c in enumerate(camps):
        _apply_campaign(k, c, prod, elast, price, mult, camp_price, camp_of, days)
    k_norm = UNITS_PER_DAY * scale * days / float((lam0 * mult).sum())
    lam0 *= k_norm
    return Demand(price, lam0, mult, camp_price, camp_of, on_sale)


def _assortment(prod: Products, ramp: np.ndarray) -> np.ndarray:
    """A[d, c] = sum_{s in c} base_s * ramp[d, s] / sum_{s in c} base_s: the share of a category's base demand
    on sale. Dividing by it keeps category demand on its planted trend (new SKUs take share instead of
    adding demand)."""
    n_cat = len(CATEGORIES)
    onehot = np.zeros((prod.n, n_cat))
    onehot[np.arange(prod.n), prod.cat] = prod.base
    return np.maximum((ramp @ onehot) / onehot.sum(axis=0)[None, :], 1e-9)


def _apply_campaign(k: int, c: Campaign, prod: Products, elast: np.ndarray, price: np.ndarray, mult: np.ndarray,
                    camp_price: np.ndarray, camp_of: np.ndarray, days: int) -> None:
    """Write campaign ``k`` into M and the charged price.

    Scoped cells in the window: M = (p_c / p_everyday) ** e * traffic (times ``peak_last_day`` on the
    last day), p_c = round(list * (1 - depth_s), 2). After the window, for j = 1..P days:
    M = 1 - depth_pf * (1 - (j - 1) / P) on scoped SKUs. Siblings in the window: M = 1 - cannibal_depth.
    """
    s = c.scope_skus
    w = slice(c.start, c.end + 1)
    pc = np.round(prod.list_price[s] * (1 - c.sku_depth), 2)
    camp_price[w, s] = pc[None, :]
    traffic = np.full(c.end - c.start + 1, c.traffic)
    traffic[-1] *= c.peak_last_day
    mult[w, s] = (pc[None, :] / price[w, s]) ** elast[s][None, :] * traffic[:, None]
    camp_of[w, s] = k
    pf = np.arange(1, c.pull_forward_days + 1)
    dip = 1 - c.pull_forward_depth * (1 - (pf - 1) / c.pull_forward_days)
    rows = c.end + pf
    keep = rows < days
    mult[np.ix_(rows[keep], s)] *= dip[keep][:, None]
    if len(c.sibling_skus):
        mult[w, c.sibling_skus] *= 1 - c.cannibal_depth


@dataclass
class Stock:
    """Outcome of the inventory process on the (day, SKU) grid (integers)."""

    demand: np.ndarray  # realised demand D ~ Poisson(lam)
    sales: np.ndarray  # min(D, available)
    on_hand: np.ndarray  # end of day
    inbound: np.ndarray
    spells: list[dict]


def plan_delays(rng: np.random.Generator, prod: Products, lead: np.ndarray, days: int, n: int = 30) -> np.ndarray:
    """Planted supplier delays: (sku, first blocked day, last blocked day) for ``n`` SKUs with top-quartile
    base demand launched before the start; block length = lead + 30 + U{0..20} days. No inbound lands
    inside the block; deliveries due then arrive the day after."""
    cand = np.flatnonzero((prod.launch < 0) & (prod.base > np.quantile(prod.base, 0.75)))
    if days < 200 or len(cand) == 0:
        return np.zeros((0, 3), dtype=np.int64)
    sku = np.sort(rng.choice(cand, size=min(n, len(cand)), replace=False))
    a = rng.integers(60, days - 140, size=len(sku))
    b = a + lead[sku] + 30 + rng.integers(0, 21, size=len(sku))
    return np.stack([sku, a, b], axis=1)


def simulate_stock(rng: np.random.Generator, prod: Products, dem: Demand, lead: np.ndarray,
                   delays: np.ndarray) -> Stock:
    """Daily (s, Q) process, vectorised over SKUs; the only Python loop is over days.

    With F(d, h) = sum of lam over days d+1..d+h (the planner's forecast, which includes planned
    campaigns, so stock is built up before them): reorder when on_hand + on_order <= s_d =
    F(d, L) + 1.65 * sqrt(F(d, L)) + 1, ordering Q = ceil(F(d + L, 28) + 1.65 * sqrt(F(d, L))) units,
    delivered on day d + L (later if a planted supplier delay blocks that day). Each day:
    on_hand += inbound; sales = min(D, on_hand); on_hand -= sales. A SKU launched during the period
    receives F(launch - 1, L + 28) units on its launch day.
    """
    lam = dem.lam
    days, n = lam.shape
    horizon = int(lead.max()) + COVER_DAYS + 2
    padded = np.vstack([lam, np.repeat(lam[-1:], horizon, axis=0)])
    cum = np.vstack([np.zeros((1, n)), np.cumsum(padded, axis=0)])  # cum[t] = sum lam[0..t-1]
    demand = rng.poisson(lam).astype(np.int64)
    cols = np.arange(n)

    def fcast(d: int, h: np.ndarray, skip: np.ndarray | int = 0) -> np.ndarray:
        return cum[d + 1 + skip + h, cols] - cum[d + 1 + skip, cols]

    blocked_until = np.full(n, -1, dtype=np.int64)
    block_start = np.full(n, days + 1, dtype=np.int64)
    blocked_until[delays[:, 0]] = delays[:, 2]
    block_start[delays[:, 0]] = delays[:, 1]
    arrivals = np.zeros((days + horizon + 80, n), dtype=np.int64)
    f0 = fcast(0, lead)
    on_hand = np.where(prod.launch < 0, np.ceil(1.2 * f0 + rng.random(n) * fcast(0, np.full(n, COVER_DAYS), lead)), 0)
    on_hand = on_hand.astype(np.int64)
    launch_day = prod.launch
    for s_i in np.flatnonzero((launch_day >= 0) & (launch_day < days)):
        d0 = int(launch_day[s_i])
        arrivals[d0, s_i] += int(np.ceil(cum[d0 + lead[s_i] + COVER_DAYS, s_i] - cum[d0, s_i])) + 1
    on_order = np.zeros(n, dtype=np.int64)
    sales = np.zeros((days, n), dtype=np.int64)
    on_hand_m = np.zeros((days, n), dtype=np.int64)
    inbound = np.zeros((days, n), dtype=np.int64)
    for d in range(days):
        held = (block_start <= d) & (d <= blocked_until) & (arrivals[d] > 0)
        if held.any():
            idx = np.flatnonzero(held)
            arrivals[blocked_until[idx] + 1, idx] += arrivals[d, idx]
            arrivals[d, idx] = 0
        inc = arrivals[d]
        on_hand += inc
        on_order -= np.where(launch_day == d, 0, inc)
        inbound[d] = inc
        sold = np.minimum(demand[d], on_hand)
        on_hand -= sold
        sales[d] = sold
        on_hand_m[d] = on_hand
        fl = fcast(d, lead)
        safety = SAFETY_Z * np.sqrt(fl)
        need = (on_hand + on_order <= fl + safety + 1) & (launch_day <= d)
        if need.any():
            idx = np.flatnonzero(need)
            q = np.ceil(fcast(d, np.full(n, COVER_DAYS), lead)[idx] + safety[idx]).astype(np.int64) + 1
            arrivals[d + lead[idx], idx] += q
            on_order[idx] += q
    spells = _realised_spells(delays, demand, sales, on_hand_m, lam)
    return Stock(demand, sales, on_hand_m, inbound, spells)


def _realised_spells(delays: np.ndarray, demand: np.ndarray, sales: np.ndarray, on_hand: np.ndarray,
                     lam: np.ndarray) -> list[dict]:
    """For each planted delay, the run of zero end-of-day stock from the first zero day in the block to
    the block's last day; delays that never empty the shelf are dropped.

    ``lost_units`` = sum(D - sales) over the run, with D the realised (Poisson) demand: the first day of
    a run is selected for a high draw (it is the day the shelf ran empty), so this exceeds the expected
    loss. ``expected_lost_units`` = sum(lambda - sales) over the run, lambda the expected demand: what
    an estimator built from the demand rate around the gap should recover.
    """
    out = []
    days = on_hand.shape[0]
    for sku, a, b in delays:
        b = min(int(b), days - 1)
        zero = np.flatnonzero(on_hand[a:b + 1, sku] == 0)
        if len(zero) == 0:
            continue
        s0 = int(a + zero[0])
        lost = int((demand[s0:b + 1, sku] - sales[s0:b + 1, sku]).sum())
        expected = float((lam[s0:b + 1, sku] - sales[s0:b + 1, sku]).sum())
        out.append({"sku_index": int(sku), "start": s0, "end": b, "lost_units": lost,
                    "expected_lost_units": round(expected, 2)})
    return out
