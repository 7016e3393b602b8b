"""The sample shop's ``market`` table: market size, price bands and two competitors per category and month.

Drawn last, from a random stream of its own (``SeedSequence([seed, MARKET_STREAM])``), from the shop's
*expected* sales only (``lam`` and the prices charged), so every other table stays byte-identical.

Planted (per category ``c`` and month ``m``, ``t_m`` = years from the start to the middle of the month):

* shop share of the market ``share_cm = SHARE0_c * exp((trend_c - MARKET_TREND_c) t_m)``: the market grows
  at ``MARKET_TREND_c`` a year, the shop at its own planted ``trend_c``; market GMV ``M_cm = E_cm / share_cm *
  LogNormal(0, 0.03)`` with ``E_cm`` the shop's expected GMV (non-cancelled). The shop gains share in 母婴
  (+30% vs a market +10%) and loses it in 家电 (-25% vs -5%) and in 生鲜 (fresh food opening up: the market
  grows 15% a year, the shop 1%);
* four price bands per category, edges = quartiles of the SKUs' expected average paid price; the market's GMV
  share of band ``k`` = the shop's share tilted by ``BAND_TILT`` (the market buys cheaper); the market's average
  price in a band = the shop's expected average paid price there / ``PRICE_INDEX_c`` (so the shop's price index
  shop / market is ``PRICE_INDEX_c`` in every band);
* competitors ``竞店A`` (share 12% of the market, prices 0.95 x the market's) and ``竞店B`` (7%, 1.08 x); from
  the first month of the last quarter of the data ``竞店A`` cuts its 数码 prices by 12% (``PRICE_CUT``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from opslib.sample import world as sw

MARKET_STREAM = 0x6D6B74  # "mkt"
KEEP = 1 - sw.CANCEL_RATE
MARKET_TREND: dict[str, float] = {"美妆": float(np.log(1.08)), "家电": float(np.log(0.95)), "服饰": 0.0,
                                  "食品": float(np.log(1.04)), "生鲜": float(np.log(1.15)), "母婴": float(np.log(1.10)),
                                  "数码": float(np.log(1.02)), "家居": float(np.log(1.03))}
SHARE0: dict[str, float] = {"美妆": 0.012, "家电": 0.004, "服饰": 0.010, "食品": 0.018, "生鲜": 0.025, "母婴": 0.015,
                            "数码": 0.006, "家居": 0.014}
PRICE_INDEX: dict[str, float] = {"美妆": 1.08, "家电": 1.12, "服饰": 0.97, "食品": 1.00, "生鲜": 0.95, "母婴": 0.93,
                                 "数码": 1.05, "家居": 1.02}
BAND_TILT = (1.25, 1.05, 0.95, 0.75)
COMPETITORS: dict[str, dict[str, float]] = {"竞店A": {"share": 0.12, "price_ratio": 0.95},
                                            "竞店B": {"share": 0.07, "price_ratio": 1.08}}
PRICE_CUT = {"competitor": "竞店A", "category": "数码", "depth": 0.12}


@dataclass
class Market:
    """The market table's columns (Arrow arrays in contract order) and its truth section."""

    columns: dict[str, pa.Array]
    truth: dict


def make_market(seed: int, prod: sw.Products, dem, t0: pd.Timestamp, days: int) -> Market:  # noqa: ANN001 (Demand)
    """The market table and its truth (planted values: module docstring)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), MARKET_STREAM]))
    dates = pd.date_range(t0, periods=days, freq="D")
    month_start = dates.to_period("M").to_timestamp()
    months = pd.DatetimeIndex(sorted(set(month_start)))
    m_idx = months.get_indexer(month_start)
    lam = dem.lam0 * dem.mult * KEEP
    value = lam * dem.camp_price
    n_cat = len(sw.CATEGORIES)
    # the SKUs' expected average paid price -> 4 bands per category (quartiles)
    units_s, value_s = lam.sum(axis=0), value.sum(axis=0)
    price_s = np.where(units_s > 0, value_s / np.maximum(units_s, 1e-12), prod.list_price)
    band_s = np.zeros(prod.n, dtype=np.int64)
    edges: dict[str, list[float]] = {}
    for i, c in enumerate(sw.CATEGORIES):
        m = (prod.cat == i) & (units_s > 0)
        e = np.quantile(price_s[m], [0, 0.25, 0.5, 0.75, 1.0])
        e = [round(float(e[0]) * 0.99, 1)] + [round(float(x), 1) for x in e[1:4]] + [round(float(e[4]) * 1.01 + 0.1, 1)]
        edges[c.name] = e
        sel = prod.cat == i
        band_s[sel] = np.clip(np.searchsorted(np.array(e[1:4]), price_s[sel], side="right"), 0, 3)
    n_m = len(months)

    def by_month(per_day_sku: np.ndarray, key: np.ndarray, n_key: int) -> np.ndarray:
        day_key = np.zeros((days, n_key))
        for k in range(n_key):
            day_key[:, k] = per_day_sku[:, key == k].sum(axis=1)
        out = np.zeros((n_m, n_key))
        np.add.at(out, m_idx, day_key)
        return out

    e_cat = by_month(value, prod.cat, n_cat)  # (month, cat) expected GMV
    u_cat = by_month(lam, prod.cat, n_cat)
    cb = prod.cat * 4 + band_s
    e_band = by_month(value, cb, n_cat * 4).reshape(n_m, n_cat, 4)
    u_band = by_month(lam, cb, n_cat * 4).reshape(n_m, n_cat, 4)
    mid = (months + pd.offsets.MonthEnd(0) - pd.Timedelta(days=14) - t0).days.to_numpy() / 365.25
    mid = np.maximum(mid, 0.0)
    last_q = months[max(n_m - 3, 0)]
    rows: dict[str, list] = {k: [] for k in ("period_start", "period_end", "category", "competitor", "price_min",
                                             "price_max", "gmv", "units", "avg_price")}
    end_day = t0 + pd.Timedelta(days=days - 1)

    def add(mi: int, cat: str, comp: str | None, lo: float | None, hi: float | None, gmv: float, price: float) -> None:
        start = max(months[mi], t0)
        stop = min(months[mi] + pd.offsets.MonthEnd(0), end_day)
        rows["period_start"].append(start)
        rows["period_end"].append(stop)
        rows["category"].append(cat)
        rows["competitor"].append(comp)
        rows["price_min"].append(lo)
        rows["price_max"].append(hi)
        rows["gmv"].append(round(float(gmv), 0))
        rows["units"].append(round(float(gmv / price), 0) if price > 0 else None)
        rows["avg_price"].append(round(float(price), 2))

    tilt = np.array(BAND_TILT)
    for mi in range(n_m):
        noise = np.exp(0.03 * rng.standard_normal(n_cat))
        comp_noise = np.exp(0.05 * rng.standard_normal((len(COMPETITORS), n_cat)))
        price_noise = np.exp(0.01 * rng.standard_normal((len(COMPETITORS), n_cat)))
        for i, c in enumerate(sw.CATEGORIES):
            if e_cat[mi, i] <= 0:
                continue
            trend = c.trend - MARKET_TREND[c.name]
            share = SHARE0[c.name] * np.exp(trend * mid[mi])
            market = e_cat[mi, i] / share * noise[i]
            shop_price = e_cat[mi, i] / u_cat[mi, i]
            m_price = shop_price / PRICE_INDEX[c.name]
            add(mi, c.name, None, None, None, market, m_price)
            w = e_band[mi, i] * tilt
            w = w / w.sum() if w.sum() > 0 else np.full(4, 0.25)
            for k in range(4):
                bp = e_band[mi, i, k] / u_band[mi, i, k] if u_band[mi, i, k] > 0 else shop_price
                add(mi, c.name, None, edges[c.name][k], edges[c.name][k + 1], market * w[k], bp / PRICE_INDEX[c.name])
            for j, (name, spec) in enumerate(COMPETITORS.items()):
                cut = (PRICE_CUT["depth"] if name == PRICE_CUT["competitor"] and c.name == PRICE_CUT["category"]
                       and months[mi] >= last_q else 0.0)
                price = m_price * spec["price_ratio"] * (1 - cut) * price_noise[j, i]
                add(mi, c.name, name, None, None, market * spec["share"] * comp_noise[j, i], price)
    cols = {
        "period_start": pa.array(pd.DatetimeIndex(rows["period_start"]).as_unit("ns").asi8, pa.timestamp("ns")),
        "period_end": pa.array(pd.DatetimeIndex(rows["period_end"]).as_unit("ns").asi8, pa.timestamp("ns")),
        "category": pa.array(rows["category"], pa.string()),
        "competitor": pa.array(rows["competitor"], pa.string()),
        "price_min": pa.array(rows["price_min"], pa.float64()),
        "price_max": pa.array(rows["price_max"], pa.float64()),
        "gmv": pa.array(rows["gmv"], pa.float64()),
        "units": pa.array(rows["units"], pa.float64()),
        "avg_price": pa.array(rows["avg_price"], pa.float64()),
    }
    truth = {
        "categories": {c.name: {"market_trend_per_year": round(MARKET_TREND[c.name], 6),
                                "share_trend_per_year": round(c.trend - MARKET_TREND[c.name], 6),
                                "share_start": SHARE0[c.name], "price_index": PRICE_INDEX[c.name],
                                "band_edges": edges[c.name]} for c in sw.CATEGORIES},
        "gaining_share": [c.name for c in sw.CATEGORIES if c.trend - MARKET_TREND[c.name] > 0.05],
        "losing_share": [c.name for c in sw.CATEGORIES if c.trend - MARKET_TREND[c.name] < -0.05],
        "competitors": {k: dict(v) for k, v in COMPETITORS.items()},
        "price_cut": {**PRICE_CUT, "start": last_q.strftime("%Y-%m-%d")},
        "band_tilt": list(BAND_TILT),
        "definition": ("market.parquet, one row per category and month for the whole market (competitor and "
                       "price band empty), per price band (price_min..price_max: quartiles of the SKUs' expected "
                       "average paid price) and per competitor. Market GMV = the shop's expected GMV / share, share "
                       "= share_start * exp(share_trend_per_year * t), t in years from the start to mid-month, "
                       "times LogNormal(0, 0.03); the shop's price index (its average paid price / the market's) "
                       "is price_index in every band; competitors' GMV = market * share * LogNormal(0, 0.05), "
                       "their price = the market's * price_ratio (* (1 - depth) for price_cut from its start)."),
    }
    return Market(cols, truth)
