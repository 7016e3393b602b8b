"""Incident drills: a problem planted into the sample shop, unseen by the trainee, for ``opslib.training.grade``.

``python -m opslib.sample --scenario carrier_outage --out drills/alice`` builds a shop with one planted
incident, drawn at random (which category, carrier or supplier, when, how big) from a seed of its own. The
generator calls the hooks of a :class:`Scenario` at fixed points (``opslib.sample.build``); without a
scenario no hook runs and every file stays byte-identical. A scenario draws only from its own random
stream, so the rest of the shop is the shop of the same seed.

What the trainee gets and what the trainer keeps:

* the shop folder has the contract tables and ``drill.json`` (the incident ticket: a symptom, as a manager
  would report it, and the list of incident kinds to choose from) — **no** ``truth.json``;
* the answer goes to a separate file outside the folder, ``<out>.drill_answer.json`` by default (what was
  planted, where, since when, how big, and the full truth). Plain JSON on purpose: hashing cannot grade a
  date within a week or a number within a tolerance, and answer spaces as small as five carriers or eight
  categories are guessed by trying them all; encrypting with a key that ships with the code is only
  obfuscation. The protection is that the trainee never gets the file — and the drill's seed (fresh and
  random by default) is written only there, so the shop cannot be rebuilt and compared with a clean one.

Scenarios (:data:`SCENARIOS`): ``supplier_delay``, ``competitor_price_cut``, ``traffic_loss``,
``loss_making_618``, ``carrier_outage``, ``review_crisis``. Two pairs share a symptom on purpose (a category's
GMV falls: competitor or traffic; reviews get worse: carrier or product), so the trainee has to diagnose,
not just read the ticket.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa

from opslib.sample import orders as so
from opslib.sample import world as sw

#: Days before the end of the data a drill's incident may start (most drills): recent enough for the
#: default 28-day reports to show it, long enough to be measured.
RECENT_DAYS = (28, 42)


def _day(t0: pd.Timestamp, d: int) -> str:
    return (t0 + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d")


@dataclass
class Scenario:
    """A planted incident: the hooks the generator calls, and what was planted (:meth:`answer`).

    Every hook has a do-nothing default; a scenario overrides the ones it needs. ``rng`` is the scenario's own
    random stream, seeded from the shop's seed and the scenario's name.
    """

    seed: int
    t0: pd.Timestamp
    days: int
    prod: sw.Products
    rng: np.random.Generator = field(init=False)
    planted: dict[str, Any] = field(default_factory=dict)

    name: ClassVar[str] = ""
    #: Shortest history (days) the scenario can be planted into.
    min_days: ClassVar[int] = 120
    #: What the incident ticket says (the symptom a manager sees), in 中文 and English.
    brief: ClassVar[str] = ""
    #: What ``size`` in a finding measures, with its unit.
    size_means: ClassVar[str] = ""

    def __post_init__(self) -> None:
        code = zlib.crc32(self.name.encode("utf-8"))
        self.rng = np.random.Generator(np.random.PCG64([int(self.seed), code]))
        self.choose()

    # -- drawing the incident ------------------------------------------------------------------
    def choose(self) -> None:
        """Draw where and when the incident happens (sets ``planted``)."""

    def _recent_start(self) -> int:
        return int(self.days - self.rng.integers(RECENT_DAYS[0], RECENT_DAYS[1] + 1))

    def _big_category(self) -> int:
        """A category with a large share of the expected units (so the incident shows at small scales)."""
        units = np.bincount(self.prod.cat, weights=self.prod.base, minlength=len(sw.CATEGORIES))
        share = units / units.sum()
        cands = np.flatnonzero(share >= 0.12)
        return int(self.rng.choice(cands if len(cands) else np.arange(len(sw.CATEGORIES))))

    # -- hooks (called by opslib.sample.build) -------------------------------------------------
    def campaigns(self, camps: list[sw.Campaign]) -> None:
        """After the campaign plan, before demand: change campaigns in place."""

    def demand(self, dem: Any) -> None:
        """After the expected demand is built: change ``dem.lam0`` / ``dem.mult`` in place."""

    def delays(self, delays: np.ndarray, lead: np.ndarray) -> np.ndarray:
        """The planted supplier delays ``(sku, first, last)``: return them, possibly with more rows."""
        return delays

    def stock(self, stock: Any, dem: Any) -> None:
        """After the inventory process: record what it did (read only)."""

    def status(self, status: np.ndarray, line_day: np.ndarray, line_sku: np.ndarray) -> np.ndarray:
        """Line statuses (0 completed, 1 cancelled, 2 returned) per line: return them, possibly changed."""
        return status

    def traffic_units(self, exp_units: np.ndarray) -> np.ndarray:
        """Expected units per (day, category) that drive the visitors: return them, possibly changed."""
        return exp_units

    def fulfilment(self, f: so.Fulfilment, end_ns: int) -> None:
        """After fulfilment is drawn (one row per non-cancelled order): change ``f`` in place."""

    def reviews(self, rev: dict[str, np.ndarray], line_order_number: np.ndarray, line_day: np.ndarray,
                line_sku: np.ndarray) -> dict[str, np.ndarray]:
        """The reviews (arrays by review): return them, possibly changed."""
        return rev

    # -- the answer ----------------------------------------------------------------------------
    def market(self, cols: dict[str, pa.Array]) -> dict[str, pa.Array]:
        """The market table's columns (written last, from the shop's expected sales after the other hooks)."""
        return cols

    def answer(self) -> dict[str, Any]:
        """What was planted: ``scenario``, ``kind``, ``where``, ``start``, ``size``, tolerances and the details."""
        return {"scenario": self.name, "brief": self.brief, "size_means": self.size_means, **self.planted}


class SupplierDelay(Scenario):
    """One supplier (a brand) stops delivering: its best sellers run out of stock and stay out."""

    name = "supplier_delay"
    brief = ("商品经理 The category manager: several of our best sellers have sold much less in the last weeks. "
             "Customers still ask for them. What is going on, since when, and how big is it?")
    size_means = "number of the supplier's SKUs out of stock on the last day (count)"

    def choose(self) -> None:
        p = self.prod
        old = p.launch < 0
        brands = pd.Series(p.base[old]).groupby(p.brand[old]).sum().sort_values(ascending=False)
        brand = str(self.rng.choice(brands.index[: max(3, len(brands) // 4)].to_numpy()))
        skus = np.flatnonzero(old & (p.brand == brand))
        keep = skus[p.base[skus] >= np.median(p.base[skus])]
        start = int(self.days - self.rng.integers(56, 71))
        self._skus, self._start = keep, start
        self.planted = {"kind": self.name, "where": brand, "where_means": "brand (supplier)",
                        "category": sw.CATEGORIES[p.cat[keep[0]]].name, "deliveries_stop": _day(self.t0, start),
                        "skus": [str(s) for s in p.sku[keep]], "start_tolerance_days": 10}

    def delays(self, delays: np.ndarray, lead: np.ndarray) -> np.ndarray:
        rows = np.stack([self._skus, np.full(len(self._skus), self._start),
                         np.full(len(self._skus), self.days + 40)], axis=1).astype(np.int64)
        return np.vstack([delays[~np.isin(delays[:, 0], self._skus)], rows])

    def stock(self, stock: Any, dem: Any) -> None:
        oh = stock.on_hand[:, self._skus]
        firsts = [int(self._start + np.argmax(oh[self._start:, i] == 0)) for i in range(len(self._skus))
                  if (oh[self._start:, i] == 0).any()]
        out_last = int((oh[-1] == 0).sum())
        lost = float((dem.lam[self._start:, self._skus] - stock.sales[self._start:, self._skus]).clip(min=0).sum())
        self.planted.update({
            "start": _day(self.t0, int(np.median(firsts))) if firsts else _day(self.t0, self._start),
            "size": out_last, "size_tolerance": max(2.0, 0.25 * out_last), "size_relative": False,
            "expected_lost_units": round(lost * (1 - sw.CANCEL_RATE), 1)})


class _CategoryDemandDrop(Scenario):
    """Demand of one category falls by a planted factor from a day on (base of two drills)."""

    traffic_follows: ClassVar[bool] = True

    def choose(self) -> None:
        ci = self._big_category()
        self._cat, self._start = ci, self._recent_start()
        self._factor = float(np.round(self.rng.uniform(0.55, 0.7), 2))
        self.planted = {"kind": self.name, "where": sw.CATEGORIES[ci].name, "where_means": "category",
                        "start": _day(self.t0, self._start), "start_tolerance_days": 7,
                        "demand_factor": self._factor}

    def demand(self, dem: Any) -> None:
        skus = self.prod.cat == self._cat
        dem.lam0[self._start:, skus] *= self._factor

    def market(self, cols: dict[str, pa.Array]) -> dict[str, pa.Array]:
        """The market did not shrink with the shop: undo the drop in the category's market and competitor rows
        (the sample market is derived from the shop's expected sales), so the shop loses market share."""
        df = pa.table(cols).to_pandas()
        start = self.t0 + pd.Timedelta(days=self._start)
        days = (df["period_end"] - df["period_start"]).dt.days + 1
        hit = ((df["period_end"] - df["period_start"].clip(lower=start)).dt.days + 1).clip(lower=0) / days
        rows = (df["category"] == sw.CATEGORIES[self._cat].name) & (hit > 0)
        df.loc[rows, "gmv"] = (df.loc[rows, "gmv"] / (1 - hit[rows] * (1 - self._factor))).round(0)
        self._market_rows(df, rows, hit)
        df["units"] = (df["gmv"] / df["avg_price"]).round(0)
        table = pa.Table.from_pandas(df, schema=pa.schema([(k, v.type) for k, v in cols.items()]), preserve_index=False)
        return {k: table.column(k).combine_chunks() for k in cols}

    def _market_rows(self, df: pd.DataFrame, rows: pd.Series, hit: pd.Series) -> None:
        """What else the scenario changes in the category's market rows from the start (nothing here)."""

    def traffic_units(self, exp_units: np.ndarray) -> np.ndarray:
        if self.traffic_follows:
            return exp_units
        out = exp_units.copy()
        out[self._start:, self._cat] /= self._factor  # visitors as if nothing happened: they buy elsewhere
        return out


class CompetitorPriceCut(_CategoryDemandDrop):
    """A competitor cuts prices in one category: visitors still come, fewer of them buy (conversion falls)."""

    name = "competitor_price_cut"
    traffic_follows = False
    brief = ("店长 The shop manager: GMV of one of our categories has dropped over the last weeks, and nobody here "
             "changed anything. What happened, where, since when, and how big is it?")
    size_means = "relative change of the category's conversion rate after the start (e.g. -0.3 = 30% lower)"

    competitor: ClassVar[str] = "竞店B"

    def choose(self) -> None:
        super().choose()
        self._cut = float(np.round(self.rng.uniform(0.12, 0.2), 2))
        self.planted.update({"size": round(self._factor - 1, 4), "size_tolerance": 0.15, "size_relative": False,
                             "driver": "conversion_rate", "competitor": self.competitor, "competitor_cut": self._cut})

    def _market_rows(self, df: pd.DataFrame, rows: pd.Series, hit: pd.Series) -> None:
        """The competitor's price falls by the planted cut and its sales take what the shop lost."""
        comp = rows & (df["competitor"] == self.competitor)
        df.loc[comp, "avg_price"] = (df.loc[comp, "avg_price"] * (1 - self._cut * hit[comp])).round(2)
        df.loc[comp, "gmv"] = (df.loc[comp, "gmv"] * (1 + 0.3 * hit[comp])).round(0)


class TrafficLoss(_CategoryDemandDrop):
    """One category loses its search ranking (or an ad account stops): fewer visitors, same conversion."""

    name = "traffic_loss"
    brief = CompetitorPriceCut.brief
    size_means = "relative change of the category's visitors after the start (e.g. -0.3 = 30% fewer)"

    def choose(self) -> None:
        super().choose()
        self.planted.update({"size": round(self._factor - 1, 4), "size_tolerance": 0.15, "size_relative": False,
                             "driver": "visitors"})


class LossMaking618(Scenario):
    """The last 618 of the data ran at a far deeper discount: it sold a lot, below cost, and lost money."""

    name = "loss_making_618"
    min_days = 200
    brief = ("财务 Finance: the last 618 festival had record sales, yet the month's profit is poor. Did the "
             "campaign pay? If not, why not, and how much did it cost us?")
    size_means = "net profit of the campaign after pull-forward and marketing spend (money; negative = loss)"

    def choose(self) -> None:
        self._depth = float(np.round(self.rng.uniform(0.40, 0.48), 2))
        self.planted = {"kind": self.name, "where_means": "campaign id", "discount_depth": self._depth,
                        "start_tolerance_days": 3}

    def campaigns(self, camps: list[sw.Campaign]) -> None:
        fest = [c for c in camps if c.campaign_id.endswith("_618")]
        if not fest:
            raise ValueError("loss_making_618 needs a 618 festival inside the period (use the default --days)")
        c = fest[-1]
        c.depth = self._depth
        c.sku_depth = np.clip(self._depth + 0.03 * (2 * self.rng.random(len(c.scope_skus)) - 1), 0.01, 0.9)
        self._camp = c
        self.planted.update({"where": c.campaign_id, "start": _day(self.t0, c.start), "end": _day(self.t0, c.end)})

    def demand(self, dem: Any) -> None:
        """Record the planted money (expected values): incremental margin, pull-forward margin, spend, net."""
        c, p = self._camp, self.prod
        w, s = slice(c.start, c.end + 1), c.scope_skus
        cost = p.unit_cost[s][None, :]
        keep = 1 - sw.CANCEL_RATE
        lam0, mult = dem.lam0[w, s], dem.mult[w, s]
        with_c = (lam0 * mult * (dem.camp_price[w, s] - cost)).sum()
        without = (lam0 * (dem.price[w, s] - cost)).sum()
        rows = np.arange(c.end + 1, min(c.end + 1 + c.pull_forward_days, self.days))
        pf = (dem.lam0[np.ix_(rows, s)] * (1 - dem.mult[np.ix_(rows, s)]) * (dem.price[np.ix_(rows, s)] - cost)).sum()
        inc_gmv = (lam0 * (mult - 1) * dem.camp_price[w, s]).sum()
        spend = max(round(0.25 * inc_gmv / 1000) * 1000, 10_000)
        net = keep * (with_c - without - pf) - spend
        self.planted.update({"incremental_margin": round(keep * (with_c - without), 2),
                             "pull_forward_margin": round(keep * pf, 2), "marketing_spend": float(spend),
                             "size": round(float(net), 2), "size_tolerance": 0.5, "size_relative": True,
                             "size_sign": -1})


class CarrierOutage(Scenario):
    """One carrier's network jams for two to three weeks: its parcels arrive days late, reviews suffer."""

    name = "carrier_outage"
    brief = ("客服 Customer service: complaints are up and review scores have fallen over the last weeks. What is "
             "the cause, where, since when, and how big is it?")
    size_means = "extra transit time of the carrier's parcels during the outage, in days"

    def choose(self) -> None:
        k = int(self.rng.integers(0, len(so.CARRIERS)))
        start = self._recent_start()
        length = int(self.rng.integers(14, 22))
        extra_h = float(np.round(self.rng.uniform(72, 120)))
        self._k, self._start, self._end, self._extra_h = k, start, min(start + length - 1, self.days - 1), extra_h
        self.planted = {"kind": self.name, "where": so.CARRIERS[k], "where_means": "carrier",
                        "start": _day(self.t0, start), "end": _day(self.t0, self._end), "start_tolerance_days": 5,
                        "size": round(extra_h / 24, 2), "size_tolerance": 1.5, "size_relative": False}

    def fulfilment(self, f: so.Fulfilment, end_ns: int) -> None:
        t0 = int(self.t0.value)
        shipped_day = (f.shipped - t0) // so.DAY_NS
        hit = (f.carrier == self._k) & (f.shipped >= 0) & (shipped_day >= self._start) & (shipped_day <= self._end)
        extra = int(self._extra_h * 3600) * so.SEC_NS
        arrived = hit & (f.delivered >= 0)
        new = np.where(arrived, f.delivered + extra, f.delivered)
        f.late[arrived] = new[arrived] > f.promised[arrived]
        f.late[hit & (f.delivered < 0)] = True
        f.delivered = np.where(arrived & (new >= end_ns), -1, new)
        self.planted["orders_hit"] = int(hit.sum())
        self.planted["late_share_hit"] = round(float(f.late[hit].mean()), 4) if hit.any() else 0.0


class ReviewCrisis(Scenario):
    """A quality defect in one subcategory: returns jump and reviews turn bad, about quality (质量)."""

    name = "review_crisis"
    brief = CarrierOutage.brief
    size_means = "return rate (share of non-cancelled order lines returned) of the subcategory since the start"
    RETURN_P: ClassVar[float] = 0.30
    SCORE_P: ClassVar[np.ndarray] = np.array([0.30, 0.25, 0.20, 0.15, 0.10])
    QUALITY_P: ClassVar[float] = 0.7

    def choose(self) -> None:
        p = self.prod
        base = np.bincount(p.subcat, weights=p.base, minlength=len(p.subcat_names))
        top = np.argsort(-base)[:6]
        sub = int(self.rng.choice(top))
        self._sub, self._start = sub, self._recent_start()
        cat = sw.CATEGORIES[p.cat[np.flatnonzero(p.subcat == sub)[0]]]
        rr = cat.return_rate + (1 - cat.return_rate) * self.RETURN_P
        self.planted = {"kind": self.name, "where": p.subcat_names[sub], "where_means": "subcategory",
                        "category": cat.name, "start": _day(self.t0, self._start), "start_tolerance_days": 7,
                        "size": round(rr, 4), "size_tolerance": 0.1, "size_relative": False,
                        "return_rate_before": cat.return_rate}

    def status(self, status: np.ndarray, line_day: np.ndarray, line_sku: np.ndarray) -> np.ndarray:
        hit = (self.prod.subcat[line_sku] == self._sub) & (line_day >= self._start) & (status == 0)
        out = status.copy()
        out[hit & (self.rng.random(len(status)) < self.RETURN_P)] = 2
        return out

    def reviews(self, rev: dict[str, np.ndarray], line_order_number: np.ndarray, line_day: np.ndarray,
                line_sku: np.ndarray) -> dict[str, np.ndarray]:
        bad = np.unique(line_order_number[(self.prod.subcat[line_sku] == self._sub) & (line_day >= self._start)])
        hit = np.isin(rev["order"], bad)
        n = int(hit.sum())
        out = {k: v.copy() for k, v in rev.items()}
        out["score"][hit] = np.searchsorted(np.cumsum(self.SCORE_P), self.rng.random(n), side="right").clip(0, 4) + 1
        quality = self.rng.random(n) < self.QUALITY_P
        out["topic"][np.flatnonzero(hit)[quality]] = so.TOPICS.index("质量")
        self.planted["reviews_hit"] = n
        return out


#: Scenario name -> class (the registry ``--scenario`` reads).
SCENARIOS: dict[str, type[Scenario]] = {c.name: c for c in (SupplierDelay, CompetitorPriceCut, TrafficLoss,
                                                            LossMaking618, CarrierOutage, ReviewCrisis)}


def make_scenario(name: str, seed: int, t0: pd.Timestamp, days: int, prod: sw.Products) -> Scenario:
    """The scenario ``name`` for a shop of ``seed`` (raises ``ValueError`` naming the scenarios when unknown).

    Parameters:
        name: a key of :data:`SCENARIOS`. seed: the shop's seed. t0: first day. days: days of data.
        prod: the shop's products.

    Returns:
        The scenario, with where and when already drawn.

    Example:
        >>> rng = np.random.Generator(np.random.PCG64(1))
        >>> s = make_scenario("carrier_outage", 1, pd.Timestamp("2023-01-01"), 400, sw.make_products(rng, 400))
        >>> s.answer()["where"] in so.CARRIERS, s.answer()["kind"]
        (True, 'carrier_outage')
    """
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; scenarios: {', '.join(SCENARIOS)}")
    cls = SCENARIOS[name]
    if days < cls.min_days:
        raise ValueError(f"scenario {name} needs at least {cls.min_days} days of data, got --days {days}")
    return cls(seed, t0, days, prod)
