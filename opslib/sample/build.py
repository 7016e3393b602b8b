"""Deterministic sample shop: a believable Chinese multi-category online shop with planted effects.

``generate(out, seed, scale)`` writes the eight contract tables (``opslib.data.contract``) as Parquet plus
``truth.json`` (what was planted: trends, elasticities, campaign uplifts, stock-outs, delivery
effects ...), so analyses and models can be checked against the truth. ``docs/sample_shop.md``
describes the world and every truth key. Same seed and scale give byte-identical files.

Command line::

    python -m opslib.sample --seed 7 --scale 1.0 --out data/sample

Demand model (see ``opslib.sample.demand``): expected ordered units of SKU s on day d::

    lam[d, s] = K * base_s * exp(trend_c * d / 365.25) * weekly[wd] * yearly_c(doy) * cny(d)
                * ramp_s(d) / A_c(d) * (price[d, s] / list_s) ** elasticity_c * M_campaign[d, s]

realised demand D ~ Poisson(lam), sales = min(D, stock) from a daily (s, Q) inventory process.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from opslib.data.contract import ORDER_STATUSES, TABLES
from opslib.sample import demand as sd
from opslib.sample import market as sm
from opslib.sample import orders as so
from opslib.sample import service as ss
from opslib.sample import world as sw
from opslib.sample.scenarios import SCENARIOS, make_scenario
from opslib.sample.truth import add_parts, additive_parts

GENERATOR_VERSION = "1.2.0"
_PARQUET_OPTS: dict[str, Any] = {"compression": "zstd", "compression_level": 3, "use_dictionary": True}


class _Clock:
    """Step timer printing ``[sample] step ... 1.2s`` lines to stderr when enabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.t0, self.t = enabled, time.perf_counter(), time.perf_counter()

    def step(self, name: str) -> None:
        now = time.perf_counter()
        if self.enabled:
            print(f"[sample] {name:<28} {now - self.t:6.1f}s", file=sys.stderr, flush=True)
        self.t = now

    @property
    def total(self) -> float:
        return time.perf_counter() - self.t0


# ----------------------------------------------------------------------------- arrow helpers


def _vocab(values: list[str] | np.ndarray, idx: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Plain string array ``values[idx]`` (null where ``mask``), built in Arrow."""
    return pa.array(list(values), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64), mask=mask))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix + zero-padded number`` strings, e.g. O000000123."""
    s = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), s, "")


def _ts(ns: np.ndarray) -> pa.Array:
    """timestamp[ns] array from int64 nanoseconds; negative values are empty."""
    ns = np.asarray(ns, dtype=np.int64)
    return pa.array(ns, type=pa.timestamp("ns"), mask=ns < 0)


def _write(out: Path, name: str, cols: dict[str, pa.Array]) -> int:
    """Write ``cols`` in contract order as ``out/name.parquet``; return the row count."""
    names = TABLES[name].column_names
    assert list(cols) == names, (name, list(cols))
    table = pa.table([cols[c] for c in names], names=names)
    pq.write_table(table, out / f"{name}.parquet", **_PARQUET_OPTS)
    return table.num_rows


# ----------------------------------------------------------------------------- pipeline


def _iso(start: pd.Timestamp, day: int) -> str:
    return (start + pd.Timedelta(days=int(day))).strftime("%Y-%m-%d")


CHUNK_SCALE = 2.0
"""Above this scale the lines are generated in shards of at most this scale (see ``generate``)."""
#: Random streams of a chunked generation: ``SeedSequence([seed, stream, ...])``, apart from the shop's main stream.
SPLIT_STREAM, SHARD_STREAM, TRAFFIC_STREAM = 101, 102, 103
_SHARDED_TABLES = ("orders", "fulfilment", "reviews", "service")


def n_shards(scale: float, chunk_scale: float = CHUNK_SCALE) -> int:
    """Number of shards of a generation: 1 up to ``chunk_scale``, else ``ceil(scale / chunk_scale)``.

    Example:
        >>> n_shards(1.0), n_shards(2.0), n_shards(10.0), n_shards(100.0), n_shards(0.05, chunk_scale=0.01)
        (1, 1, 5, 50, 5)
    """
    if chunk_scale <= 0:
        raise ValueError("chunk_scale must be > 0")
    return 1 if scale <= chunk_scale else int(np.ceil(scale / chunk_scale - 1e-9))


def generate(out: Path | str, seed: int = 7, scale: float = 1.0, start: str = "2023-01-01", days: int = 1096,
             progress: bool = False, scenario: str | None = None, answer: Path | str | None = None,
             chunk_scale: float = CHUNK_SCALE) -> dict:
    """Generate the sample shop into ``out`` and return the truth dict (also written to truth.json).

    ``scale`` multiplies demand (and so lines, orders and customers); the assortment stays ~2,000 SKUs.
    Scale 1.0 gives about 1,000,000 order lines over ``days`` days from ``start``.

    Above ``chunk_scale`` the shop is generated in ``K = ceil(scale / chunk_scale)`` shards so memory stays
    bounded at any scale: the world (products, calendar, campaigns, expected demand, the inventory process at
    the full scale) is drawn once; each day x SKU cell's sales are split over the shards (binomial thinning,
    so the shards' lines add up to the inventory table's sales); each shard draws its lines, orders,
    customers, fulfilment, reviews and service contacts from a stream of its own with disjoint order,
    customer and contact numbers, and is appended to the Parquet files as row groups; traffic is drawn once
    from the summed lines and truth.json from summed counts. At or below ``chunk_scale`` nothing changes
    (same bytes as before chunking existed).

    ``scenario`` (``opslib.sample.scenarios.SCENARIOS``) plants an incident drill: then no truth.json is
    written into ``out`` (only ``drill.json``, the incident ticket) and what was planted, with the truth, goes
    to ``answer`` (default ``<out>.drill_answer.json``, next to the folder); the returned dict is that answer.
    """
    if scale <= 0 or days < 60:
        raise ValueError("scale must be > 0 and days >= 60")
    k_shards = n_shards(scale, chunk_scale)
    if scenario and k_shards > 1:
        raise ValueError(f"--scenario drills are generated in one piece: use a scale of at most {chunk_scale:g}")
    clock = _Clock(progress)
    out = Path(out)
    if scenario and _answer_path(out, answer).resolve().parent == out.resolve():
        raise ValueError(f"the drill answer must not be written into the shop folder {out}: choose another --answer")
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.Generator(np.random.PCG64(seed))
    t0 = pd.Timestamp(start)
    start_ns, end_ns = int(t0.value), int(t0.value) + days * so.DAY_NS

    prod = sw.make_products(rng, days)
    weekday, doy, cny, cny_recs = sw.calendar_factors(t0, days)
    yearly = sw.yearly_profile(doy)
    camps = sw.plan_campaigns(rng, prod, t0, days, cny_recs)
    scn = make_scenario(scenario, seed, t0, days, prod) if scenario else None
    if scn:
        scn.campaigns(camps)
    clock.step("products, calendar, plan")
    dem = sd.build_demand(rng, prod, camps, scale, weekday, yearly, cny)
    if scn:
        scn.demand(dem)
    clock.step("expected demand")
    lo = np.array([c.lead[0] for c in sw.CATEGORIES])[prod.cat]
    hi = np.array([c.lead[1] for c in sw.CATEGORIES])[prod.cat]
    lead = rng.integers(lo, hi + 1)
    delays = sd.plan_delays(rng, prod, lead, days)
    if scn:
        delays = scn.delays(delays, lead)
    stock = sd.simulate_stock(rng, prod, dem, lead, delays)
    if scn:
        scn.stock(stock, dem)
    clock.step("inventory process")
    peak_day = np.zeros(days, dtype=bool)
    for c in camps:
        peak_day[c.start:c.end + 1] = True
    world = {"prod": prod, "dem": dem, "stock": stock, "camps": camps, "t0": t0, "days": days, "yearly": yearly,
             "doy": doy, "cny_recs": cny_recs, "peak_day": peak_day, "end_ns": end_ns, "start_ns": start_ns}

    if k_shards == 1:
        sink = _FileSink(out)
        shard = _shard(rng, np.random.SeedSequence(seed).spawn(1)[0], stock.sales, world, sink, scn, clock,
                       offsets=(0, 0, 0), side=lambda: _write_static(out, world))
        traffic_rng = rng
        parts, inv_rows = shard["parts"], shard["inv_rows"]
        cat_lines = shard["cat_lines"]
        counts = shard["counts"]
    else:
        sink = _ShardSink(out)
        split = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, SPLIT_STREAM])))
        left = stock.sales.copy()
        parts, cat_lines, counts = None, None, None
        offsets = (0, 0, 0)
        try:
            inv_rows = _write_static(out, world)
            for i in range(k_shards):
                part = left if i == k_shards - 1 else split.binomial(left, 1.0 / (k_shards - i))
                left = left - part
                shard_rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, SHARD_STREAM, i])))
                svc_stream = np.random.SeedSequence([seed, SHARD_STREAM, i, 1])
                shard = _shard(shard_rng, svc_stream, part, world, sink, None, _Clock(False), offsets=offsets)
                del part
                c = shard["counts"]
                parts = shard["parts"] if parts is None else add_parts(parts, shard["parts"])
                cat_lines = shard["cat_lines"] if cat_lines is None else cat_lines + shard["cat_lines"]
                counts = c if counts is None else {key: counts[key] + c[key] for key in counts}
                offsets = (offsets[0] + c["orders"], offsets[1] + c["customers"], offsets[2] + c["service_rows"])
                if progress:
                    print(f"[sample] shard {i + 1}/{k_shards}: {c['order_lines']:,} lines, {c['orders']:,} orders "
                          f"(total {counts['order_lines']:,} lines), {clock.total:6.1f}s", file=sys.stderr,
                          flush=True)
        finally:
            sink.close()
        clock.step(f"{k_shards} shards of lines")
        traffic_rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, TRAFFIC_STREAM])))
        assert counts is not None and cat_lines is not None and parts is not None

    onehot = np.zeros((prod.n, len(sw.CATEGORIES)))
    onehot[np.arange(prod.n), prod.cat] = 1.0
    exp_units = dem.lam @ onehot
    if scn:
        exp_units = scn.traffic_units(exp_units)
    tr = so.make_traffic(traffic_rng, exp_units, cat_lines)
    dgrid = np.repeat(np.arange(days), len(sw.CATEGORIES))
    _write(out, "traffic", {
        "date": _ts(start_ns + dgrid * so.DAY_NS), "category": _vocab(sw.CATEGORY_NAMES, np.tile(np.arange(len(sw.CATEGORIES)), days)),
        "visitors": pa.array(tr["visitors"].ravel()), "product_views": pa.array(tr["product_views"].ravel()),
        "add_to_cart": pa.array(tr["add_to_cart"].ravel())})
    clock.step("fulfilment, reviews, traffic" if k_shards == 1 else "traffic")

    if k_shards == 1:
        _write_service(out, shard["svc"], prod)
        clock.step("service")
    truth = _truth(world, parts, seed, scale, counts, inv_rows)
    if k_shards > 1:
        truth["shards"] = {"n": k_shards, "chunk_scale": chunk_scale,
                           "note": "lines, orders, customers and service contacts drawn in shards; order, customer "
                                   "and contact ids are chronological within a shard, disjoint across shards"}
    # The market table comes last and from a random stream of its own: every table above stays byte-identical.
    mkt = sm.make_market(seed, prod, dem, t0, days)
    truth["counts"]["market_rows"] = _write(out, "market", scn.market(mkt.columns) if scn else mkt.columns)
    truth["market"] = mkt.truth
    clock.step("market")
    if scn:  # a drill: the ticket in the shop, the answer (what was planted + truth) beside it, no truth.json
        return _write_drill(out, scn, truth, answer)
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, sort_keys=True, indent=2) + "\n",
                                    encoding="utf-8")
    clock.step("truth")
    if progress:
        n_lines, n_orders = counts["order_lines"], counts["orders"]
        print(f"[sample] done: {n_lines:,} lines, {n_orders:,} orders, {prod.n:,} SKUs, "
              f"{truth['start']}..{truth['end']}, {clock.total:.1f}s -> {out}", file=sys.stderr)
    return truth


class _FileSink:
    """Writes each table once, whole (the unchunked generator)."""

    def __init__(self, out: Path) -> None:
        self.out = out

    def __call__(self, name: str, cols: dict[str, pa.Array]) -> int:
        return _write(self.out, name, cols)


class _ShardSink:
    """Appends each shard's rows to one ``ParquetWriter`` per table (row groups), same options as ``_write``."""

    def __init__(self, out: Path) -> None:
        self.out, self.writers = out, {}  # type: ignore[var-annotated]

    def __call__(self, name: str, cols: dict[str, pa.Array]) -> int:
        names = TABLES[name].column_names
        assert list(cols) == names, (name, list(cols))
        table = pa.table([cols[c] for c in names], names=names)
        w = self.writers.get(name)
        if w is None:
            w = self.writers[name] = pq.ParquetWriter(self.out / f"{name}.parquet", table.schema, **_PARQUET_OPTS)
        w.write_table(table.cast(w.schema))
        return table.num_rows

    def close(self) -> None:
        for w in self.writers.values():
            w.close()
        self.writers = {}


def _write_static(out: Path, world: dict) -> int:
    """products, campaigns and inventory (drawn once, at the full scale); returns the inventory rows."""
    _write_products(out, world["prod"], world["t0"])
    _write_campaigns(out, world["camps"], world["t0"], world["prod"], world["dem"])
    return _write_inventory(out, world["prod"], world["stock"], world["dem"].on_sale, world["t0"])


def _shard(rng: np.random.Generator, svc_stream: np.random.SeedSequence, sales: np.ndarray, world: dict,
           sink: Any, scn: Any, clock: _Clock, offsets: tuple[int, int, int],
           side: Any = None) -> dict:
    """Lines, orders, customers, fulfilment, reviews and service contacts for the (day x SKU) ``sales``.

    Writes orders, fulfilment and reviews through ``sink`` (and service too when ``side`` is None, i.e. in
    a chunked generation; the unchunked generator writes it after traffic, as it always did). ``offsets`` =
    (orders, customers, contacts) numbered before this shard. Returns counts, the additive truth parts and
    the lines per (day, category) for the traffic table.
    """
    prod, dem, camps, days = world["prod"], world["dem"], world["camps"], world["days"]
    peak_day, start_ns, end_ns = world["peak_day"], world["start_ns"], world["end_ns"]
    o_off, c_off, _ = offsets
    lines = so.make_lines(rng, sales)
    n_orders = len(lines.order_day)
    ts = so.order_times(rng, lines.order_day, start_ns)
    onum = np.empty(n_orders, dtype=np.int64)
    onum[np.lexsort((rng.random(n_orders), ts))] = np.arange(n_orders)
    cust, _ = so.assign_customers(rng, lines.order_day, peak_day, days)
    channel = so._pick(rng, so.CHANNEL_P, n_orders)
    line_cat = prod.cat[lines.sku]
    status, cancelled = so.line_status(rng, lines.line_order, line_cat, n_orders)
    if scn:
        status = scn.status(status, lines.day, lines.sku)
    clock.step("lines, orders, customers")

    # re-index orders chronologically, and customers by first order
    inv = np.empty(n_orders, dtype=np.int64)
    inv[onum] = np.arange(n_orders)  # inv[number] = internal order index
    cust_n = cust[inv]
    known = cust_n >= 0
    _, first_pos = np.unique(cust_n[known], return_index=True)
    uniq = cust_n[known][np.sort(first_pos)]
    cmap = np.full(int(cust.max()) + 2, -1, dtype=np.int64)
    cmap[uniq] = np.arange(len(uniq))
    cust_num = np.where(known, cmap[np.maximum(cust_n, 0)], -1)  # by order number
    n_cust = len(uniq)
    del cust, cust_n, cmap, known, uniq, first_pos
    region_of_cust = so._pick(rng, so.REGION_P, n_cust)
    region = np.where(cust_num >= 0, region_of_cust[np.maximum(cust_num, 0)], so._pick(rng, so.REGION_P, n_orders))
    order_ts = ts[inv]
    order_day_n = lines.order_day[inv]
    chan_n = channel[inv]
    canc_n = cancelled[inv]
    del ts, inv, channel, cancelled

    lo_num = onum[lines.line_order]
    lord = np.lexsort((lines.sku, lo_num))
    l_num, l_sku, l_qty, l_day = lo_num[lord], lines.sku[lord], lines.qty[lord], lines.day[lord]
    l_status = status[lord]
    l_price = dem.camp_price[l_day, l_sku]
    l_camp = dem.camp_of[l_day, l_sku].astype(np.int64)
    del lord, status, line_cat

    n_lines = sink("orders", {
        "order_id": _ids("O", o_off + l_num + 1, 9),
        "order_ts": _ts(order_ts[l_num]),
        "customer_id": _nullable_ids("C", c_off + cust_num[l_num] + 1, 8, cust_num[l_num] < 0),
        "sku": _vocab(prod.sku, l_sku),
        "quantity": pa.array(l_qty, pa.int64()),
        "unit_price": pa.array(l_price, pa.float64()),
        "list_price": pa.array(prod.list_price[l_sku], pa.float64()),
        "channel": _vocab(so.CHANNELS, chan_n[l_num]),
        "region": _vocab(so.REGIONS, region[l_num]),
        "status": _vocab(ORDER_STATUSES, l_status),
        "campaign_id": _vocab([c.campaign_id for c in camps] or [""], np.maximum(l_camp, 0), l_camp < 0),
    })
    clock.step("write orders")

    inv_rows = side() if side is not None else None
    if side is not None:
        clock.step("write products/campaigns/inv")

    keep = ~canc_n
    f = so.make_fulfilment(rng, np.flatnonzero(keep), order_ts[keep], region[keep], peak_day[order_day_n[keep]], end_ns)
    if scn:
        scn.fulfilment(f, end_ns)
    sink("fulfilment", {
        "order_id": _ids("O", o_off + f.order + 1, 9), "paid_ts": _ts(f.paid), "shipped_ts": _ts(f.shipped),
        "delivered_ts": _ts(f.delivered), "promised_ts": _ts(f.promised),
        "warehouse": _vocab(so.WAREHOUSES, f.warehouse), "carrier": _vocab(so.CARRIERS, f.carrier)})
    rev = so.make_reviews(rng, f, end_ns)
    if scn:
        rev = scn.reviews(rev, onum[lines.line_order], lines.day, lines.sku)
    rord = np.argsort(rev["order"], kind="stable")
    rev = {k: v[rord] for k, v in rev.items()}
    n_topics = len(so.TOPICS)
    sink("reviews", {
        "order_id": _ids("O", o_off + rev["order"] + 1, 9), "review_ts": _ts(rev["ts"]),
        "score": pa.array(rev["score"], pa.int64()),
        "topic": _vocab(so.TOPICS, np.minimum(rev["topic"], n_topics - 1), rev["topic"] >= n_topics)})
    cat_lines = np.bincount(l_day * len(sw.CATEGORIES) + prod.cat[l_sku],
                            minlength=days * len(sw.CATEGORIES)).reshape(days, -1)
    del lines, onum, lo_num

    # Service contacts come from a stream of their own: the tables above stay byte-identical.
    svc = ss.make_service(0, f, order_ts, order_day_n, canc_n, cust_num, l_num, l_sku, l_status,
                          np.array(sw.CATEGORY_NAMES)[prod.cat], peak_day, start_ns, end_ns, stream=svc_stream)
    if side is None:
        _write_service_to(sink, svc, prod, offsets)
    ctx = {**world, "l_qty": l_qty, "l_price": l_price, "l_status": l_status, "l_camp": l_camp, "l_sku": l_sku,
           "l_day": l_day, "f": f, "rev": rev, "cust_num": cust_num, "order_ts": order_ts, "canc_n": canc_n,
           "order_day": order_day_n, "svc": svc}
    counts = {"order_lines": n_lines, "orders": n_orders, "customers": n_cust, "fulfilment_rows": len(f.order),
              "review_rows": len(rev["order"]), "service_rows": len(svc.ts)}
    return {"parts": additive_parts(ctx), "counts": counts, "cat_lines": cat_lines, "inv_rows": inv_rows,
            "svc": svc if side is not None else None}


def _nullable_ids(prefix: str, numbers: np.ndarray, width: int, mask: np.ndarray) -> pa.Array:
    """Like ``_ids`` but empty where ``mask``."""
    arr = _ids(prefix, np.where(mask, 0, numbers), width)
    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), arr)


def _write_products(out: Path, prod: sw.Products, t0: pd.Timestamp) -> None:
    """products.parquet: launch_date = start + launch days (midnight)."""
    launch_ns = int(t0.value) + prod.launch * so.DAY_NS
    _write(out, "products", {
        "sku": pa.array(list(prod.sku), pa.string()), "name": pa.array(list(prod.name), pa.string()),
        "category": _vocab(sw.CATEGORY_NAMES, prod.cat), "subcategory": _vocab(prod.subcat_names, prod.subcat),
        "brand": pa.array(list(prod.brand), pa.string()), "unit_cost": pa.array(prod.unit_cost, pa.float64()),
        "launch_date": _ts(launch_ns)})


def _write_campaigns(out: Path, camps: list[sw.Campaign], t0: pd.Timestamp, prod: sw.Products,
                     dem: sd.Demand) -> None:
    """campaigns.parquet; discount_depth = mean planted per-SKU depth; marketing_spend = 0.25 x expected
    incremental GMV rounded to 1,000 (at least 10,000)."""
    spend = []
    for c in camps:
        w, s = slice(c.start, c.end + 1), c.scope_skus
        inc = (dem.lam0[w, s] * (dem.mult[w, s] - 1) * dem.camp_price[w, s]).sum()
        spend.append(max(round(0.25 * inc / 1000) * 1000, 10_000))
    start_ns = int(t0.value)
    _write(out, "campaigns", {
        "campaign_id": pa.array([c.campaign_id for c in camps], pa.string()),
        "name": pa.array([c.name for c in camps], pa.string()),
        "kind": pa.array([c.kind for c in camps], pa.string()),
        "start": _ts(np.array([start_ns + c.start * so.DAY_NS for c in camps], dtype=np.int64)),
        "end": _ts(np.array([start_ns + c.end * so.DAY_NS for c in camps], dtype=np.int64)),
        "discount_depth": pa.array([round(float(c.sku_depth.mean()), 4) for c in camps], pa.float64()),
        "scope_type": pa.array([c.scope_type for c in camps], pa.string()),
        "scope": pa.array([c.scope for c in camps], pa.string()),
        "marketing_spend": pa.array(np.array(spend, dtype=np.float64), pa.float64())})
    for c, sp in zip(camps, spend, strict=True):
        c.marketing_spend = float(sp)  # type: ignore[attr-defined]


def _write_service(out: Path, svc: ss.Service, prod: sw.Products) -> int:
    """service.parquet: contacts in time order, ids S000000001.. (reasons of the stage's vocabulary)."""
    return _write_service_to(_FileSink(out), svc, prod, (0, 0, 0))


def _write_service_to(sink: Any, svc: ss.Service, prod: sw.Products, offsets: tuple[int, int, int]) -> int:
    """The service rows of one shard through ``sink``; ``offsets`` = (orders, customers, contacts) before it."""
    o_off, c_off, s_off = offsets
    n = len(svc.ts)
    reasons = list(ss.PRE_REASONS) + list(ss.AFTER_REASONS)
    reason_idx = np.where(svc.stage == 0, svc.reason, len(ss.PRE_REASONS) + svc.reason)
    return sink("service", {
        "contact_id": _ids("S", s_off + np.arange(1, n + 1), 9), "contact_ts": _ts(svc.ts),
        "stage": _vocab(["pre_sale", "after_sale"], svc.stage), "reason": _vocab(reasons, reason_idx),
        "customer_id": _nullable_ids("C", c_off + svc.customer + 1, 8, svc.customer < 0),
        "order_id": _nullable_ids("O", o_off + svc.order + 1, 9, svc.order < 0),
        "sku": _vocab(prod.sku, np.maximum(svc.sku, 0), svc.sku < 0),
        "agent": _vocab(ss.AGENTS, svc.agent), "first_response_ts": _ts(svc.first_response),
        "resolved_ts": _ts(svc.resolved),
        "converted": _vocab(["no", "yes"], np.maximum(svc.converted, 0), svc.converted < 0)})


def _write_inventory(out: Path, prod: sw.Products, stock: sd.Stock, on_sale: np.ndarray, t0: pd.Timestamp) -> int:
    """inventory.parquet: one row per (day, SKU) from launch on, sorted by date then sku."""
    d, s = np.nonzero(on_sale)
    return _write(out, "inventory", {
        "date": _ts(int(t0.value) + d * so.DAY_NS), "sku": _vocab(prod.sku, s),
        "on_hand": pa.array(stock.on_hand[d, s], pa.int64()), "inbound": pa.array(stock.inbound[d, s], pa.int64())})


# ----------------------------------------------------------------------------- truth


def _truth(world: dict, parts: dict, seed: int, scale: float, counts: dict, inv_rows: int) -> dict:
    """Assemble truth.json (definitions in docs/sample_shop.md) from the world and the summed shard parts."""
    from opslib.sample.truth import truth_sections

    t0, days = world["t0"], world["days"]
    return {
        "seed": seed, "scale": scale, "start": _iso(t0, 0), "end": _iso(t0, days - 1),
        "generator_version": GENERATOR_VERSION,
        "counts": {"order_lines": counts["order_lines"], "orders": counts["orders"], "skus": world["prod"].n,
                   "customers": counts["customers"], "campaigns": len(world["camps"]), "inventory_rows": inv_rows,
                   "fulfilment_rows": counts["fulfilment_rows"], "review_rows": counts["review_rows"],
                   "service_rows": counts["service_rows"]},
        **truth_sections(world, parts),
    }


def _answer_path(out: Path, answer: Path | str | None) -> Path:
    """Where a drill's answer goes: ``answer``, else ``<out>.drill_answer.json`` beside the shop folder."""
    return Path(answer) if answer is not None else out.parent / f"{out.name}.drill_answer.json"


def _write_drill(out: Path, scn: Any, truth: dict, answer: Path | str | None) -> dict:
    """A drill's files: ``drill.json`` (the ticket) in ``out``, the answer (what was planted + truth) beside it."""
    ans = {**scn.answer(), "seed": truth["seed"], "scale": truth["scale"], "generator_version": GENERATOR_VERSION,
           "shop": str(out), "truth": truth}
    path = _answer_path(out, answer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ans, ensure_ascii=False, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    ticket = {"drill": True, "brief": scn.brief, "kinds": sorted(SCENARIOS), "start": truth["start"],
              "end": truth["end"], "submit": "opslib.training.grade(finding, answer_file) — ask your trainer"}
    (out / "drill.json").write_text(json.dumps(ticket, ensure_ascii=False, sort_keys=True, indent=2) + "\n",
                                    encoding="utf-8")
    return ans


# ----------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    """``python -m opslib.sample [--seed N] [--scale S] [--out DIR] [--start YYYY-MM-DD] [--days N] [--scenario X]
    [--chunk-scale C]``."""
    p = argparse.ArgumentParser(prog="python -m opslib.sample", description="Generate the deterministic sample shop.")
    p.add_argument("--seed", type=int, default=None, help="default 7; a fresh random seed with --scenario")
    p.add_argument("--scale", type=float, default=1.0, help="demand multiplier; 1.0 ~ 1M order lines")
    p.add_argument("--out", default="data/sample")
    p.add_argument("--start", default="2023-01-01")
    p.add_argument("--days", type=int, default=1096)
    p.add_argument("--scenario", choices=sorted(SCENARIOS), default=None,
                   help="plant an incident drill (no truth.json in OUT; the answer goes to --answer)")
    p.add_argument("--answer", default=None, help="drill answer file (default: OUT.drill_answer.json beside OUT)")
    p.add_argument("--chunk-scale", type=float, default=CHUNK_SCALE,
                   help=f"above this scale, generate in shards of at most this scale (default {CHUNK_SCALE:g})")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0) if e.code in (0, None) else 2
    problems = []
    if args.seed is None:
        args.seed = 7 if args.scenario is None else int(np.random.SeedSequence().entropy % 1_000_000)
    if not np.isfinite(args.scale) or args.scale <= 0:
        problems.append(f"--scale must be a positive number, got {args.scale}")
    if args.seed < 0:
        problems.append(f"--seed must be >= 0, got {args.seed}")
    if not np.isfinite(args.chunk_scale) or args.chunk_scale <= 0:
        problems.append(f"--chunk-scale must be a positive number, got {args.chunk_scale}")
    if args.days < 60:
        problems.append(f"--days must be >= 60, got {args.days}")
    try:
        pd.Timestamp(args.start)
    except (ValueError, TypeError):
        problems.append(f"--start must be a date like 2023-01-01, got {args.start!r}")
    if problems:
        for msg in problems:
            print(f"error: {msg}", file=sys.stderr)
        return 2
    t = time.perf_counter()
    try:
        truth = generate(args.out, seed=args.seed, scale=args.scale, start=args.start, days=args.days, progress=True,
                         scenario=args.scenario, answer=args.answer, chunk_scale=args.chunk_scale)
    except ValueError as exc:  # a scenario that does not fit the period, an answer file inside the shop
        print(f"error: {exc}", file=sys.stderr)
        return 2
    secs = time.perf_counter() - t
    if args.scenario:
        where = _answer_path(Path(args.out), args.answer)
        print(f"drill shop in {args.out} (no truth.json; the incident ticket is drill.json); "
              f"answer for the trainer: {where}")
        truth = truth["truth"]
    c = truth["counts"]
    print(f"sample shop in {args.out}: {c['order_lines']:,} order lines, {c['orders']:,} orders, "
          f"{c['skus']:,} SKUs, {truth['start']}..{truth['end']}, {secs:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
