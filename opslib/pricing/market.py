"""Market and competition: the shop's market share, growth against the market, price index, price wars.

Reads the optional ``market`` table of the contract (``docs/data_contract.md``): one row per category and
period for the whole market (``competitor`` and ``price_min``/``price_max`` empty), for one of its price
bands (``price_min``..``price_max``) or for one competitor — e.g. a 生意参谋 市场大盘 / 竞争 export mapped with
``examples/mappings/market/sycm_market.yml``.

* :func:`market_share` — per category and market period: ``share = shop GMV / market GMV`` (the shop's GMV
  over the same days, from the daily cube); ``shop_growth`` and ``market_growth`` against the same period a
  year earlier, ``gap = shop_growth - market_growth`` (the shop gains share when it is positive); the share
  trend per year: OLS slope of ``log share`` on time (years), with its 95% interval.
* :func:`price_index` — per category and price band of the market: ``index = shop average paid price /
  market average price`` (average price = GMV / units, the shop's SKUs placed in the market's bands by
  their average paid price); above 1 the shop sells dearer than the market in that band. Per competitor:
  the shop's average price over the competitor's.
* :func:`competitor_moves` — each competitor's average price in the review period against the same-length
  window before it; a fall of ``min_cut`` or more is a price cut.
* :func:`price_war_review` — for each cut, :func:`opslib.pricing.price_war` with the category's own
  elasticity ``e`` and a cross elasticity from the market shares under logit demand (Berry 1994):
  ``x = |e| * s_j / (1 - s_0)``, ``s_j`` the competitor's share of the market, ``s_0`` the shop's (a
  competitor with a large share matters more). Without a market table the review runs on an assumed cut
  and cross elasticity, and says so.

Example:
    >>> import pandas as pd
    >>> cube = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2025-01-31"]), "category": "美妆",
    ...                      "gmv": [100.0, 150.0], "units": [2, 3]})
    >>> market = pd.DataFrame({"period_start": pd.to_datetime(["2024-01-01", "2025-01-01"]),
    ...     "period_end": pd.to_datetime(["2024-01-31", "2025-01-31"]), "category": "美妆", "competitor": None,
    ...     "price_min": None, "price_max": None, "gmv": [10000.0, 12000.0], "units": None, "avg_price": None})
    >>> ms = market_share(cube, market)
    >>> ms.table[["share", "shop_growth", "market_growth", "gap"]].round(4).values.tolist()[1]
    [0.0125, 0.5, 0.2, 0.3]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opslib.calendar import period_bounds
from opslib.errors import MarketError, PricingError

__all__ = ["MarketReview", "MarketShare", "PriceWarReview", "competitor_moves", "market_review", "market_rows",
           "market_share", "price_index", "price_war_review"]

MARKET_COLUMNS = ("period_start", "period_end", "category", "competitor", "price_min", "price_max", "gmv", "units",
                  "avg_price")


def market_rows(market: pd.DataFrame, kind: str = "total") -> pd.DataFrame:
    """The rows of one kind: ``total`` (whole market), ``band`` (a price band), ``competitor``.

    Parameters:
        market: the market table. kind: ``total``, ``band`` or ``competitor``.

    Returns:
        Those rows (a copy), with ``days`` = period length.

    Example:
        >>> m = pd.DataFrame({"period_start": pd.to_datetime(["2024-01-01"] * 3), "period_end":
        ...     pd.to_datetime(["2024-01-31"] * 3), "category": "x", "competitor": [None, None, "A"],
        ...     "price_min": [None, 0.0, None], "price_max": [None, 50.0, None], "gmv": 1.0, "units": 1.0,
        ...     "avg_price": 1.0})
        >>> [len(market_rows(m, k)) for k in ("total", "band", "competitor")]
        [1, 1, 1]
    """
    missing = [c for c in MARKET_COLUMNS if c not in market.columns]
    if missing:
        raise MarketError(f"market table: missing column(s) {', '.join(missing)} (see docs/data_contract.md)")
    comp = market["competitor"].notna() & (market["competitor"].astype(str).str.strip() != "")
    band = market["price_min"].notna() | market["price_max"].notna()
    sel = {"total": ~comp & ~band, "band": ~comp & band, "competitor": comp}.get(kind)
    if sel is None:
        raise MarketError(f"kind must be total, band or competitor, got {kind!r}")
    out = market[sel].copy()
    out["period_start"] = pd.to_datetime(out["period_start"])
    out["period_end"] = pd.to_datetime(out["period_end"])
    out["days"] = (out["period_end"] - out["period_start"]).dt.days + 1
    return out


def _in(rows: pd.DataFrame, period: Any) -> pd.DataFrame:
    """Rows whose period lies at least half inside ``period``."""
    start, end = period_bounds(period)
    lo = rows["period_start"].where(rows["period_start"] > start, start)
    hi = rows["period_end"].where(rows["period_end"] < end, end)
    overlap = ((hi - lo).dt.days + 1).clip(lower=0)
    return rows[overlap >= 0.5 * rows["days"]]


def _shop_gmv(cube: pd.DataFrame, rows: pd.DataFrame, value: str = "gmv") -> np.ndarray:
    """The shop's ``value`` per market row: its category over the row's days (one pass over a day x category grid)."""
    daily = cube.groupby(["category", "date"])[value].sum()
    out = np.zeros(len(rows))
    for i, r in enumerate(rows.itertuples(index=False)):
        if r.category in daily.index.get_level_values(0):
            d = daily.loc[r.category]
            out[i] = float(d[(d.index >= r.period_start) & (d.index <= r.period_end)].sum())
    return out


@dataclass
class MarketShare:
    """Market share per category and period (:func:`market_share`).

    ``table``: ``category``, ``period_start``, ``period_end``, ``shop_gmv``, ``market_gmv``, ``share``,
    ``share_prev`` (a year earlier), ``shop_growth``, ``market_growth``, ``gap``. ``trend``: per category
    ``trend`` (log-slope of the share per year), ``trend_low``, ``trend_high``, ``periods``, ``direction``
    (``gaining`` / ``losing`` / ``steady``: the interval excludes 0 or not).
    """

    table: pd.DataFrame
    trend: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """The per-period table (a copy)."""
        return self.table.copy()

    def latest(self, period: Any) -> pd.DataFrame:
        """Per category over the market periods inside ``period`` and the same periods a year earlier:
        ``shop_gmv``, ``market_gmv``, ``share``, ``share_prev``, ``share_change`` (points), ``shop_growth``,
        ``market_growth``, ``gap``, plus the share ``trend`` and ``direction`` over the whole history."""
        rows = _in(self.table.assign(days=(self.table["period_end"] - self.table["period_start"]).dt.days + 1), period)
        if rows.empty:
            return pd.DataFrame(columns=["category", "shop_gmv", "market_gmv", "share", "share_prev", "share_change",
                                         "shop_growth", "market_growth", "gap", "trend", "direction"])
        g = rows.groupby("category")
        out = pd.DataFrame({"shop_gmv": g["shop_gmv"].sum(), "market_gmv": g["market_gmv"].sum(),
                            "shop_prev": g["shop_prev"].sum(min_count=1), "market_prev": g["market_prev"].sum(min_count=1)})
        out["share"] = out["shop_gmv"] / out["market_gmv"]
        out["share_prev"] = out["shop_prev"] / out["market_prev"]
        out["share_change"] = out["share"] - out["share_prev"]
        out["shop_growth"] = out["shop_gmv"] / out["shop_prev"] - 1
        out["market_growth"] = out["market_gmv"] / out["market_prev"] - 1
        out["gap"] = out["shop_growth"] - out["market_growth"]
        out = out.reset_index().merge(self.trend[["category", "trend", "direction"]], on="category", how="left")
        return out.drop(columns=["shop_prev", "market_prev"]).sort_values("market_gmv", ascending=False,
                                                                            ignore_index=True)


def market_share(cube: pd.DataFrame, market: pd.DataFrame) -> MarketShare:
    """The shop's share of each category's market, per market period, its growth against the market's.

    Formulas: module docstring (share, growth a year earlier, gap, log-linear share trend).

    Parameters:
        cube: the shop's daily cube with ``date``, ``category``, ``gmv`` (``opslib.data.daily_sku`` with products).
        market: the market table.

    Returns:
        :class:`MarketShare`; raises :class:`~opslib.errors.MarketError` without whole-market rows.
    """
    import statsmodels.api as sm

    rows = market_rows(market, "total").dropna(subset=["gmv"])
    rows = rows[rows["gmv"] > 0]
    if rows.empty:
        raise MarketError("market table: no whole-market rows with gmv (rows with an empty competitor and empty "
                          "price_min/price_max) — the market size is needed for the share")
    rows = rows.sort_values(["category", "period_start"]).reset_index(drop=True)
    first, last = cube["date"].min(), cube["date"].max()
    covered = (rows["period_start"] >= first) & (rows["period_end"] <= last)
    notes = []
    if (~covered).any():
        notes.append(f"{int((~covered).sum())} market period(s) outside the shop's data ({first:%Y-%m-%d} .. "
                     f"{last:%Y-%m-%d}) left out")
    rows = rows[covered].reset_index(drop=True)
    if rows.empty:
        raise MarketError(f"market table: no period inside the shop's data ({first:%Y-%m-%d} .. {last:%Y-%m-%d})")
    t = pd.DataFrame({"category": rows["category"].astype(str), "period_start": rows["period_start"],
                      "period_end": rows["period_end"], "shop_gmv": _shop_gmv(cube, rows),
                      "market_gmv": rows["gmv"].astype(float)})
    t["share"] = t["shop_gmv"] / t["market_gmv"]
    prev = t.assign(period_start=t["period_start"] + pd.DateOffset(years=1))[["category", "period_start", "shop_gmv",
                                                                               "market_gmv"]]
    prev = prev.rename(columns={"shop_gmv": "shop_prev", "market_gmv": "market_prev"})
    t = t.merge(prev, on=["category", "period_start"], how="left")
    t["share_prev"] = t["shop_prev"] / t["market_prev"]
    t["shop_growth"] = t["shop_gmv"] / t["shop_prev"] - 1
    t["market_growth"] = t["market_gmv"] / t["market_prev"] - 1
    t["gap"] = t["shop_growth"] - t["market_growth"]
    trend_rows = []
    for cat, g in t[t["share"] > 0].groupby("category", sort=True):
        if len(g) < 4:
            trend_rows.append({"category": cat, "trend": np.nan, "trend_low": np.nan, "trend_high": np.nan,
                               "periods": len(g), "direction": "too few periods"})
            continue
        x = ((g["period_start"] - g["period_start"].min()).dt.days / 365.25).to_numpy(float)
        res = sm.OLS(np.log(g["share"].to_numpy(float)), sm.add_constant(x)).fit()
        b, se = float(res.params[1]), float(res.bse[1])
        lo, hi = b - 1.96 * se, b + 1.96 * se
        trend_rows.append({"category": cat, "trend": b, "trend_low": lo, "trend_high": hi, "periods": len(g),
                           "direction": "gaining" if lo > 0 else "losing" if hi < 0 else "steady"})
    return MarketShare(t, pd.DataFrame(trend_rows), notes)


def price_index(skus: pd.DataFrame, market: pd.DataFrame, period: Any) -> pd.DataFrame:
    """The shop's average paid price against the market's, per category and market price band, and per competitor.

    Formula: over the market rows inside ``period`` (:meth:`MarketShare.latest` rule: at least half their days),
    market average price ``= sum gmv / sum units`` (or the units-weighted ``avg_price``); the shop's average price
    of its SKUs in the band ``= sum gmv / sum units`` (SKUs placed by ``avg_price``, ``price_min <= p < price_max``);
    ``index = shop / market``. ``scope = 'category'`` compares the category's average prices (which mixes price
    and mix: a shop selling more of the dear band looks dearer); ``'like for like'`` weighs the band indices by the
    market's GMV share of each band (``sum w_k index_k / sum w_k``, bands where the shop sells); ``'competitor'``
    compares the category's average price with the competitor's.

    Parameters:
        skus: SKU summary of ``period`` (``opslib.assortment.sku_summary``: ``sku``, ``category``, ``units``,
            ``gmv``, ``avg_price``). market: the market table. period: the review period.

    Returns:
        ``category``, ``scope`` (``category`` / ``band`` / ``like for like`` / ``competitor``), ``against`` (band label or
        competitor), ``price_min``, ``price_max``, ``shop_price``, ``market_price``, ``index``, ``shop_gmv_share``
        (the band's share of the shop's category GMV), ``market_gmv_share``.

    Example (one band: the shop sells at 110 where the market sells at 100):
        >>> s = pd.DataFrame({"sku": ["a"], "category": "美妆", "units": [10], "gmv": [1100.0], "avg_price": [110.0]})
        >>> m = pd.DataFrame({"period_start": pd.to_datetime(["2024-01-01"] * 2),
        ...     "period_end": pd.to_datetime(["2024-01-31"] * 2), "category": "美妆", "competitor": None,
        ...     "price_min": [None, 50.0], "price_max": [None, 200.0], "gmv": [5000.0, 5000.0],
        ...     "units": [50.0, 50.0], "avg_price": [100.0, 100.0]})
        >>> price_index(s, m, ("2024-01-01", "2024-01-31"))[["scope", "index"]].round(4).values.tolist()
        [['category', 1.1], ['band', 1.1], ['like for like', 1.1]]
    """
    out = []
    totals = _in(market_rows(market, "total"), period)
    bands = _in(market_rows(market, "band"), period)
    comps = _in(market_rows(market, "competitor"), period)

    def mprice(r: pd.DataFrame) -> float:
        u = r["units"].astype(float)
        if u.notna().all() and u.sum() > 0 and r["gmv"].notna().all():
            return float(r["gmv"].sum() / u.sum())
        p = r["avg_price"].astype(float)
        w = u.where(u.notna(), 1.0)
        return float((p * w).sum() / w[p.notna()].sum()) if p.notna().any() else np.nan

    for cat, sk in skus.groupby("category", sort=True):
        shop_gmv, shop_units = float(sk["gmv"].sum()), float(sk["units"].sum())
        shop_p = shop_gmv / shop_units if shop_units else np.nan
        t = totals[totals["category"] == cat]
        if len(t):
            mp = mprice(t)
            out.append({"category": cat, "scope": "category", "against": "market", "price_min": np.nan,
                        "price_max": np.nan, "shop_price": shop_p, "market_price": mp, "index": shop_p / mp,
                        "shop_gmv_share": 1.0, "market_gmv_share": 1.0})
        b = bands[bands["category"] == cat]
        mkt_total = float(b["gmv"].sum()) if len(b) else np.nan
        for (lo, hi), r in b.groupby(["price_min", "price_max"], sort=True, dropna=False):
            lo_v = -np.inf if pd.isna(lo) else float(lo)
            hi_v = np.inf if pd.isna(hi) else float(hi)
            inb = sk[(sk["avg_price"] >= lo_v) & (sk["avg_price"] < hi_v)]
            u = float(inb["units"].sum())
            sp = float(inb["gmv"].sum()) / u if u else np.nan
            mp = mprice(r)
            out.append({"category": cat, "scope": "band", "against": f"{_num(lo_v)}-{_num(hi_v)}", "price_min": lo,
                        "price_max": hi, "shop_price": sp, "market_price": mp, "index": sp / mp if mp else np.nan,
                        "shop_gmv_share": float(inb["gmv"].sum()) / shop_gmv if shop_gmv else np.nan,
                        "market_gmv_share": float(r["gmv"].sum()) / mkt_total if mkt_total else np.nan})
        ll = [o for o in out if o["category"] == cat and o["scope"] == "band" and np.isfinite(o["index"])]
        if ll:
            w = np.array([o["market_gmv_share"] for o in ll], float)
            idx = float(np.sum(w * np.array([o["index"] for o in ll])) / w.sum()) if w.sum() > 0 else np.nan
            out.append({"category": cat, "scope": "like for like", "against": "market, band by band",
                        "price_min": np.nan, "price_max": np.nan, "shop_price": np.nan, "market_price": np.nan,
                        "index": idx, "shop_gmv_share": np.nan, "market_gmv_share": 1.0})
        for comp, r in comps[comps["category"] == cat].groupby("competitor", sort=True):
            mp = mprice(r)
            out.append({"category": cat, "scope": "competitor", "against": str(comp), "price_min": np.nan,
                        "price_max": np.nan, "shop_price": shop_p, "market_price": mp, "index": shop_p / mp,
                        "shop_gmv_share": np.nan, "market_gmv_share": np.nan})
    cols = ["category", "scope", "against", "price_min", "price_max", "shop_price", "market_price", "index",
            "shop_gmv_share", "market_gmv_share"]
    return pd.DataFrame(out, columns=cols)


def _num(x: float) -> str:
    if not np.isfinite(x):
        return "∞" if x > 0 else "0"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:,.1f}"


def competitor_moves(market: pd.DataFrame, period: Any, *, min_cut: float = 0.05) -> pd.DataFrame:
    """Each competitor's price change per category: the review period against the same-length window before it.

    Formula: ``price`` = sum gmv / sum units over the competitor's rows inside the window (or the mean
    ``avg_price``); ``raw_change = price_now / price_before - 1``; with whole-market prices ``m`` for both
    windows the change is taken **relative to the market**, ``change = (price_now / m_now) / (price_before /
    m_before) - 1``, so that a season or a festival that lowers every price is not read as a cut (else
    ``change = raw_change``); ``cut = change <= -min_cut``; ``share`` = the competitor's GMV / the whole
    market's GMV in the review period.

    Parameters:
        market: the market table. period: the review period. min_cut: the fall that counts as a cut.

    Returns:
        ``category``, ``competitor``, ``price_before``, ``price_now``, ``raw_change``, ``change``, ``cut`` (bool),
        ``share``, sorted by ``change``.

    Example (a competitor cuts from 100 to 88; no whole-market rows, so the raw change):
        >>> m = pd.DataFrame({"period_start": pd.to_datetime(["2024-01-01", "2024-02-01"]),
        ...     "period_end": pd.to_datetime(["2024-01-31", "2024-02-29"]), "category": "数码", "competitor": "A",
        ...     "price_min": None, "price_max": None, "gmv": [1000.0, 880.0], "units": [10.0, 10.0],
        ...     "avg_price": [100.0, 88.0]})
        >>> competitor_moves(m, ("2024-02-01", "2024-02-29"))[["competitor", "change", "cut"]].round(2).values.tolist()
        [['A', -0.12, True]]
    """
    start, end = period_bounds(period)
    days = (end - start).days + 1
    before = (start - pd.Timedelta(days=days), start - pd.Timedelta(days=1))
    comps = market_rows(market, "competitor")
    totals = market_rows(market, "total")
    cols = ["category", "competitor", "price_before", "price_now", "raw_change", "change", "cut", "share"]
    if comps.empty:
        return pd.DataFrame(columns=cols)

    def price(r: pd.DataFrame) -> float:
        if len(r) == 0:
            return np.nan
        if r["units"].notna().all() and r["units"].sum() > 0 and r["gmv"].notna().all():
            return float(r["gmv"].sum() / r["units"].sum())
        return float(r["avg_price"].mean())

    now_c, before_c = _in(comps, period), _in(comps, before)
    now_t, before_t = _in(totals, period), _in(totals, before)
    rows = []
    for (cat, comp), _ in comps.groupby(["category", "competitor"], sort=True):
        n = now_c[(now_c["category"] == cat) & (now_c["competitor"] == comp)]
        b = before_c[(before_c["category"] == cat) & (before_c["competitor"] == comp)]
        pn, pb = price(n), price(b)
        mn, mb = price(now_t[now_t["category"] == cat]), price(before_t[before_t["category"] == cat])
        mkt = float(now_t.loc[now_t["category"] == cat, "gmv"].sum())
        share = float(n["gmv"].sum()) / mkt if mkt > 0 and n["gmv"].notna().any() else np.nan
        raw = pn / pb - 1 if pb and np.isfinite(pb) and np.isfinite(pn) else np.nan
        rel = (pn / mn) / (pb / mb) - 1 if all(np.isfinite(v) and v > 0 for v in (pn, pb, mn, mb)) else np.nan
        change = rel if np.isfinite(rel) else raw
        rows.append({"category": cat, "competitor": comp, "price_before": pb, "price_now": pn, "raw_change": raw,
                     "change": change, "cut": bool(np.isfinite(change) and change <= -min_cut), "share": share})
    return pd.DataFrame(rows, columns=cols).sort_values("change", ignore_index=True)


@dataclass
class PriceWarReview:
    """Price wars per category (:func:`price_war_review`).

    ``table``: ``category``, ``competitor``, ``competitor_cut``, ``own_elasticity``, ``cross_elasticity``,
    ``cross_source``, ``volume_if_hold``, ``profit_if_hold`` (changes vs before the cut), ``restore_cut``,
    ``breakeven_cut``, ``best_cut``, ``best_profit`` (change vs before), ``message``. ``wars``: the
    :class:`~opslib.pricing.PriceWar` per row (same order). ``reason``: why there is nothing to show.
    """

    table: pd.DataFrame
    wars: list
    notes: list[str] = field(default_factory=list)
    reason: str | None = None

    def summary(self) -> pd.DataFrame:
        """The table (a copy)."""
        return self.table.copy()

    def plot(self, i: int = 0):  # noqa: ANN201 (matplotlib Figure)
        """Profit against our cut for the ``i``-th war (``opslib.plotting.pricing.price_war_chart``)."""
        from opslib.plotting.pricing import price_war_chart

        return price_war_chart(self, i)


def price_war_review(elasticities: pd.DataFrame, prices: pd.DataFrame, moves: pd.DataFrame | None = None,
                     shares: pd.DataFrame | None = None, *, competitor_cut: float = 0.10,
                     cross_elasticity: float | None = None, assumed_share: float = 0.10,
                     assumed_elasticity: float | None = None) -> PriceWarReview:
    """Simulate each competitor price cut with the category's elasticity (or a hypothetical cut per category).

    Formulas: :func:`opslib.pricing.price_war` per row with ``e`` = the category's elasticity, price = today's
    average price (``revenue / units``), cost = ``price * cost_ratio``, units = today's units; cross
    elasticity ``x = |e| s_j / (1 - s_0)`` (logit; ``s_j`` = the competitor's market share from ``moves``,
    ``s_0`` = the shop's from ``shares``), else ``cross_elasticity``, else ``|e| * assumed_share`` (assumed).
    With ``moves`` only the cuts (``cut`` True) are simulated; without, every category with an elasticity gets
    a hypothetical ``competitor_cut`` by a competitor holding ``assumed_share`` of the market.

    Parameters:
        elasticities: ``category``, ``elasticity`` (negative; rows without are skipped). prices:
            :func:`opslib.pricing.current_prices` (``category``, ``revenue``, ``units``, ``cost_ratio``).
        moves: :func:`competitor_moves` or None. shares: :meth:`MarketShare.latest` (``category``, ``share``)
            or None. competitor_cut: the hypothetical cut. cross_elasticity: an assumed x for every row.
        assumed_share: the competitor's share when the market table does not give it.
        assumed_elasticity: an own elasticity for categories without a usable one (a what-if, flagged in
            ``own_source``); None skips those categories.

    Returns:
        :class:`PriceWarReview`.
    """
    from opslib.pricing.decisions import price_war

    est = elasticities.set_index("category")["elasticity"] if len(elasticities) else pd.Series(dtype=float)
    if assumed_elasticity is not None and not assumed_elasticity < 0:
        raise PricingError(f"assumed_elasticity must be negative, got {assumed_elasticity}")
    pr = prices.set_index("category")
    own = {} if shares is None or shares.empty else shares.set_index("category")["share"].to_dict()
    notes: list[str] = []
    if moves is not None and len(moves):
        todo = moves[moves["cut"]]
        if todo.empty:
            return PriceWarReview(pd.DataFrame(), [], notes, reason="no competitor cut its prices by "
                                  "5% or more in the review period (market table): no price war to simulate")
        jobs = [(r.category, r.competitor, -float(r.change), r.share) for r in todo.itertuples(index=False)]
    else:
        cats = sorted(set(est.index) | (set(pr.index) if assumed_elasticity is not None else set()))
        jobs = [(c, "(hypothetical)", competitor_cut, np.nan) for c in cats]
        notes.append(f"no competitor prices (market table): a hypothetical {competitor_cut:.0%} cut by a competitor "
                     f"with {assumed_share:.0%} of the market, per category")
    rows, wars = [], []
    for cat, comp, cut, s_j in jobs:
        e, own_src = float(est.get(cat, np.nan)), "measured"
        if (not np.isfinite(e) or e >= 0) and assumed_elasticity is not None:
            e, own_src = float(assumed_elasticity), "assumed"
        if not np.isfinite(e) or e >= 0 or cat not in pr.index:
            notes.append(f"{cat}: no usable own elasticity or price — price war not simulated")
            continue
        r = pr.loc[cat]
        if not (r["units"] > 0 and np.isfinite(r["cost_ratio"])):
            notes.append(f"{cat}: no units or unit cost in the last weeks — price war not simulated")
            continue
        if cross_elasticity is not None:
            x, src = float(cross_elasticity), "given"
        elif np.isfinite(s_j) and cat in own and np.isfinite(own[cat]):
            x, src = abs(e) * s_j / max(1 - own[cat], 1e-6), f"logit from shares ({s_j:.0%} vs ours {own[cat]:.1%})"
        else:
            share = s_j if np.isfinite(s_j) else assumed_share
            x, src = abs(e) * share, f"assumed: |e| x {share:.0%} competitor share"
        price = float(r["revenue"] / r["units"])
        war = price_war(e, x, price, price * float(r["cost_ratio"]), float(r["units"]), min(max(cut, 0.0), 0.95))
        s = war.scenarios.set_index("scenario")
        rows.append({"category": cat, "competitor": comp, "competitor_cut": cut, "own_elasticity": e,
                     "own_source": own_src, "cross_elasticity": x, "cross_source": src, "volume_if_hold": s.loc["hold", "units_change"],
                     "profit_if_hold": s.loc["hold", "profit_change"], "restore_cut": s.loc["restore volume", "our_cut"],
                     "breakeven_cut": s.loc["break-even", "our_cut"], "best_cut": s.loc["best", "our_cut"],
                     "best_profit": s.loc["best", "profit_change"], "message": war.message})
        wars.append(war)
    table = pd.DataFrame(rows)
    reason = None if len(table) else "no category has both a usable elasticity and costs: no price war to simulate"
    return PriceWarReview(table, wars, notes, reason)


@dataclass
class MarketReview:
    """Market share, price index, competitors' moves and the price war of a review (:func:`market_review`).

    ``share`` (:class:`MarketShare`), ``latest`` (:meth:`MarketShare.latest` of the review period), ``index``
    (:func:`price_index`) and ``moves`` (:func:`competitor_moves`) are None without a market table, and
    ``reason`` says so; ``war`` (:class:`PriceWarReview`) is always there (a hypothetical cut without a table).
    """

    share: MarketShare | None
    latest: pd.DataFrame | None
    index: pd.DataFrame | None
    moves: pd.DataFrame | None
    war: PriceWarReview
    reason: str | None = None

    def describe(self) -> str:
        """The headline: share gainers and losers against the market, the cuts found, or why there is no market."""
        lines = [] if self.reason is None else [self.reason]
        if self.latest is not None and len(self.latest):
            m = self.latest.dropna(subset=["gap"])
            up = m[m["gap"] > 0]["category"].tolist()
            down = m[m["gap"] < 0]["category"].tolist()
            lines.append(f"growing faster than the market: {', '.join(up) or 'none'}; slower: {', '.join(down) or 'none'}")
        if self.moves is not None and len(self.moves):
            cuts = self.moves[self.moves["cut"]]
            lines.append("competitor price cuts (vs the market): " + (", ".join(
                f"{r.competitor} {r.category} {r.change:+.0%}" for r in cuts.itertuples(index=False)) or "none"))
        if self.war.reason:
            lines.append(self.war.reason)
        lines += self.war.notes
        return "\n".join(lines)


def market_review(scope: Any, market: pd.DataFrame | None, elasticities: pd.DataFrame, prices: pd.DataFrame, *,
                  competitor_cut: float = 0.10, assumed_elasticity: float | None = None,
                  skip_message: str | None = None) -> MarketReview:
    """The market section of a review in one call: share, growth against the market, price index, cuts, price war.

    Formulas: :func:`market_share`, :func:`price_index`, :func:`competitor_moves` over the review period of
    ``scope``, and :func:`price_war_review` (a hypothetical ``competitor_cut`` without a market table).

    Parameters:
        scope: :class:`opslib.pricing.PricingScope`. market: the market table or None.
        elasticities: usable elasticities (``category``, ``elasticity``). prices: :func:`opslib.pricing.current_prices`.
        competitor_cut, assumed_elasticity: as in :func:`price_war_review`. skip_message: the text shown without
            a market table (default: a plain sentence).

    Returns:
        :class:`MarketReview` (a market table that cannot be used — no whole-market rows, no period inside the
        shop's data — gives the reason instead of an error).
    """
    if market is None or len(market) == 0:
        war = price_war_review(elasticities, prices, competitor_cut=competitor_cut,
                               assumed_elasticity=assumed_elasticity)
        return MarketReview(None, None, None, None, war, skip_message or "no market table: skipping market share, "
                            "growth against the market and the price index")
    try:
        share = market_share(scope.cube, market)
    except MarketError as exc:
        war = price_war_review(elasticities, prices, competitor_cut=competitor_cut,
                               assumed_elasticity=assumed_elasticity)
        return MarketReview(None, None, None, None, war, f"{exc}: skipping market share, growth against the market "
                            "and the price index")
    latest = share.latest(scope.current)
    index = price_index(scope.skus, market, scope.current)
    moves = competitor_moves(market, scope.current)
    if scope.category is not None:
        latest = latest[latest["category"] == scope.category]
        index = index[index["category"] == scope.category]
        moves = moves[moves["category"] == scope.category]
    war = price_war_review(elasticities, prices, moves, latest, competitor_cut=competitor_cut,
                           assumed_elasticity=assumed_elasticity)
    return MarketReview(share, latest.reset_index(drop=True), index.reset_index(drop=True),
                        moves.reset_index(drop=True), war, None)
