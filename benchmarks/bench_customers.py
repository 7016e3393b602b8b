"""Benchmark: opslib's customer queries against the same result in raw DuckDB SQL, and the BG/NBD fit at 100k.

Usage::

    .venv/bin/python benchmarks/bench_customers.py                      # sample shop at scale 10 (~10M lines)
    .venv/bin/python benchmarks/bench_customers.py --shop DIR --repeat 3 --customers 100000

The shop is generated once into ``data/bench/scale10`` (seed 7, ``--scale 10``, about 2.5 min and 3.8 GB peak)
unless ``--shop`` names an existing sample shop. Each pair is timed best of ``--repeat``, alternating opslib and
raw runs so that load from other jobs on the machine hits both alike:

* **customer summary**: ``opslib.customers.customer_summary(orders.parquet)`` (completed lines, one row per
  customer: first/last order, orders, units, value, recency, tenure) against a hand-written query that a
  DuckDB user would write (``count(DISTINCT order_id)`` per customer), both ending in a pandas frame;
* **RFM segments**: ``opslib.customers.rfm_segments`` against the raw query with the same scores
  (``rank()`` quintiles, ties shared) and the same 125-code segment table, returning the same columns
  (opslib brings the segment and code columns over as DuckDB ENUMs, i.e. pandas categoricals; the raw query
  as text, the way one writes it);
* **cohorts**: ``opslib.customers.cohort_table`` against the raw first-order-month query;
* **BG/NBD**: ``fit_bgnbd`` on ``--customers`` synthetic customers drawn from the model (r = 0.243, α = 4.414,
  a = 0.793, b = 2.426; T uniform over 27-39 weeks), with the recovered parameters.

Every pair is checked to give the same result before its time is printed. Ratio = opslib / raw (1.0 = as fast;
the target is at most 1.2).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from opslib.customers import SEGMENT_CODES, SEGMENTS, cohort_table, customer_summary, fit_bgnbd, rfm_segments

ROOT = Path(__file__).resolve().parents[1]
TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def raw_summary_sql(path: str) -> str:
    return f"""
        WITH ref AS (SELECT CAST(max(order_ts) AS DATE) AS d FROM read_parquet('{path}'))
        SELECT customer_id, CAST(min(order_ts) AS DATE) AS first_order, CAST(max(order_ts) AS DATE) AS last_order,
               count(DISTINCT order_id) AS orders, sum(quantity) AS units, sum(quantity * unit_price) AS value,
               date_diff('day', CAST(max(order_ts) AS DATE), any_value(ref.d)) AS recency_days,
               date_diff('day', CAST(min(order_ts) AS DATE), any_value(ref.d)) AS tenure_days
        FROM read_parquet('{path}'), ref
        WHERE customer_id IS NOT NULL AND status = 'completed'
        GROUP BY customer_id ORDER BY customer_id"""


def raw_rfm_sql(path: str) -> str:
    names = {s.key: (s.name, s.name_cn) for s in SEGMENTS}
    seg = ", ".join(f"({c}, '{k}', '{names[k][0]}', '{names[k][1]}')" for c, k in SEGMENT_CODES.items())
    return f"""
        WITH s AS ({raw_summary_sql(path).replace("ORDER BY customer_id", "")}),
        k AS (SELECT *, count(*) OVER () AS n, rank() OVER (ORDER BY recency_days DESC) AS rr,
                     rank() OVER (ORDER BY orders) AS fr, rank() OVER (ORDER BY round(value, 6)) AS mr FROM s),
        seg AS (SELECT * FROM (VALUES {seg}) t(code, segment, segment_name, segment_cn)),
        sc AS (SELECT *, 1 + floor(5 * (rr - 1) / n) AS r, 1 + floor(5 * (fr - 1) / n) AS f,
                      1 + floor(5 * (mr - 1) / n) AS m FROM k)
        SELECT customer_id, first_order, last_order, recency_days, orders AS frequency, value AS monetary, r, f, m,
               CAST(CAST(100 * r + 10 * f + m AS INTEGER) AS VARCHAR) AS code, seg.segment, seg.segment_name,
               seg.segment_cn
        FROM sc JOIN seg ON seg.code = 100 * r + 10 * f + m
        ORDER BY customer_id"""


def raw_cohort_sql(path: str) -> str:
    return f"""
        WITH o AS (SELECT customer_id AS c, order_id, min(CAST(order_ts AS DATE)) AS d,
                          sum(quantity * unit_price) AS v
                   FROM read_parquet('{path}') WHERE customer_id IS NOT NULL AND status <> 'cancelled' GROUP BY 1, 2),
        f AS (SELECT c, date_trunc('month', min(d)) AS cohort FROM o GROUP BY 1),
        n AS (SELECT cohort, count(*) AS size FROM f GROUP BY 1)
        SELECT f.cohort, date_diff('month', f.cohort, date_trunc('month', o.d)) AS period, any_value(n.size) AS size,
               count(DISTINCT o.c) AS customers, sum(o.v) AS revenue
        FROM o JOIN f USING (c) JOIN n USING (cohort) GROUP BY 1, 2 ORDER BY 1, 2"""


def raw(sql: str) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def pair(name: str, ours, theirs, repeat: int) -> tuple[float, float, object, object]:
    t_ours, t_raw, a, b = [], [], None, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        a = ours()
        t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = theirs()
        t_raw.append(time.perf_counter() - t0)
        print(f"  {name}: opslib {t_ours[-1]:.2f} s, raw {t_raw[-1]:.2f} s", flush=True)
    return min(t_ours), min(t_raw), a, b


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shop", type=Path, default=None, help="an existing sample shop (default: data/bench/scale10)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--skip-shop", action="store_true", help="only the BG/NBD fit")
    args = ap.parse_args()
    rows = []
    if not args.skip_shop:
        shop = args.shop or ROOT / "data" / "bench" / "scale10"
        if not (shop / "truth.json").exists():
            from opslib.sample import generate

            generate(out=shop, seed=7, scale=10.0)
        path = str(shop / "orders.parquet")
        lines = raw(f"SELECT count(*) AS n FROM read_parquet('{path}')")["n"].iloc[0]
        print(f"order lines: {lines:,} ({path})", flush=True)

        t1, t2, a, b = pair("customer summary", lambda: customer_summary(path), lambda: raw(raw_summary_sql(path)),
                            args.repeat)
        assert len(a) == len(b) and (a["customer_id"].to_numpy() == b["customer_id"].to_numpy()).all()
        assert (a["orders"].to_numpy() == b["orders"].to_numpy()).all()
        assert np.allclose(a["value"], b["value"]) and (a["recency_days"].to_numpy() == b["recency_days"].to_numpy()).all()
        rows.append(("customer summary", f"{len(a):,} customers", t1, t2))

        t1, t2, a, b = pair("RFM segments", lambda: rfm_segments(path), lambda: raw(raw_rfm_sql(path)), args.repeat)
        c = a.customers
        assert (c["customer_id"].to_numpy() == b["customer_id"].to_numpy()).all()
        assert (c["rfm"].astype(int).to_numpy() == b["code"].astype(int).to_numpy()).all()
        assert (c["segment"].astype(str).to_numpy() == b["segment"].to_numpy()).all()
        assert (c["segment_cn"].astype(str).to_numpy() == b["segment_cn"].to_numpy()).all()
        rows.append(("RFM segments", f"{len(c):,} customers", t1, t2))

        t1, t2, a, b = pair("cohorts", lambda: cohort_table(path), lambda: raw(raw_cohort_sql(path)), args.repeat)
        t = a.table
        assert len(t) == len(b) and (t["customers"].to_numpy() == b["customers"].to_numpy()).all()
        assert np.allclose(t["revenue"], b["revenue"])
        rows.append(("cohorts", f"{t['cohort'].nunique()} cohorts", t1, t2))

    from opslib.customers.clv import _simulate_bgnbd

    rng = np.random.default_rng(7)
    n = args.customers
    s = _simulate_bgnbd(rng, n, **TRUE, T=rng.uniform(27.0, 39.0, n))
    fits = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        m = fit_bgnbd(s)
        fits.append(time.perf_counter() - t0)
        print(f"  BG/NBD fit: {fits[-1]:.2f} s", flush=True)
    print()
    print("| query | result | opslib | raw DuckDB SQL | opslib / raw |")
    print("|---|---|---|---|---|")
    for name, size, t1, t2 in rows:
        print(f"| {name} | {size} | {t1:.2f} s | {t2:.2f} s | **{t1 / t2:.2f}x** |")
    est = {k: getattr(m, k) for k in TRUE}
    print()
    print(f"BG/NBD on {n:,} synthetic customers: best of {args.repeat} {min(fits):.2f} s; "
          + ", ".join(f"{k} = {v:.3f} (true {TRUE[k]})" for k, v in est.items()))


if __name__ == "__main__":
    main()
