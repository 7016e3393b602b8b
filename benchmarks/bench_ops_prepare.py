"""``ops_orders`` (the fold behind ``ops.prepare``, notebook 06's set-up cell): time, peak memory, DuckDB spill
and the query profile of each version of its SQL, and whether the versions give the same rows.

Usage::

    nice .venv/bin/python benchmarks/bench_ops_prepare.py --shop /tmp/customers_s10 --out /tmp/ops6_fold_s10
    nice .venv/bin/python benchmarks/bench_ops_prepare.py --shop /tmp/ops6_shop --out /tmp/ops6_fold --repeat 3

Versions: ``v1`` = ``opslib.operations.tables._fold_sql_v1`` (a window ``row_number`` over every line, then the
``GROUP BY``; the first fulfilment row by a second window), ``v2`` = ``tables.fold_sql`` (one hash aggregate of
the lines, then products and fulfilment joined one row per order; ``v2d`` = the same with the fulfilment
de-duplicated, the path of a shop opened without validation). Each run is a fresh process (``load_shop`` of the
validated shop, then ``EXPLAIN ANALYZE COPY (fold) TO parquet``), its peak = ``ru_maxrss`` of that process; the
versions are interleaved (``v2`` / ``v2d`` in parts of ``tables.PART_LINES`` lines, ``v2one`` in one query), ``--repeat`` rounds. The spill is the peak size of the shop's DuckDB temp folder,
sampled every 0.5 s. Writes ``OUT/<version>-<round>.plan.txt`` (the profile), ``OUT/bench_ops_prepare.json`` and
prints a Markdown table. Equality: the Parquet files of the versions compared on every column (``gmv`` to
1e-6: sums of the same lines in another order) — row by row (sorted by order_id) under ``--rowwise-max`` rows,
else by an order-free hash (count and Σ hash of each row).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GB = 1024**3


def _dir_bytes(folder: Path) -> int:
    total = 0
    for p in folder.glob("*"):
        with contextlib.suppress(OSError):
            total += p.stat().st_size
    return total


def child(version: str, shop: str, out: Path, part_lines: int | None = None) -> dict:
    """One fold in this process: load the shop, profile the COPY, return the record."""
    from opslib.data import load_shop
    from opslib.operations import tables as T

    t0 = time.perf_counter()
    s = load_shop(shop)
    lines = s.lines
    load_s = time.perf_counter() - t0

    def rows(name: str) -> bool:
        return lines.has(name) and int(lines.query(f"SELECT count(*) AS n FROM (SELECT 1 FROM {name} LIMIT 1) t")
                                       ["n"][0]) > 0

    t = T.OpsTables(lines=lines, has_fulfilment=rows("fulfilment"), has_reviews=rows("reviews"),
                    has_service=rows("service"), has_products=lines.has("products"))
    n = int(lines.query("SELECT count(*) AS n FROM orders")["n"][0])
    if version == "v1":
        parts = [T._fold_sql_v1(t)]
    elif version == "v2one":
        parts = [T.fold_sql(t, dedupe=False)]
    else:
        parts = [T.fold_sql(t, dedupe=version == "v2d", where=None if c == "TRUE" else c)
                 for c in T.order_ranges(lines, n, part_lines)]
    temp = Path(lines.engine.con.execute("SELECT current_setting('temp_directory')").fetchone()[0])
    base = _dir_bytes(temp) if temp.is_dir() else 0
    spill = {"peak": 0}
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.5):
            if temp.is_dir():
                spill["peak"] = max(spill["peak"], _dir_bytes(temp) - base)

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    import shutil

    target = out / version
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    t1 = time.perf_counter()
    plans = []
    for i, sql in enumerate(parts):
        part = (target / f"part-{i:05d}.parquet").as_posix()
        plans.append(lines.engine.con.execute(f"EXPLAIN ANALYZE COPY ({sql}) TO '{part}' (FORMAT PARQUET)").fetchall())
    fold_s = time.perf_counter() - t1
    done.set()
    th.join()
    text = f"{len(parts)} part(s); the plan of the first and the last\n" + "\n".join(
        str(r[-1]) for p in (plans[0], plans[-1]) for r in p)
    return {"version": version, "load_s": round(load_s, 1), "fold_s": round(fold_s, 1),
            "peak_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB, 2),
            "spill_gb": round(spill["peak"] / GB, 2), "memory_limit": lines.engine.memory_limit,
            "parts": len(parts), "cpu_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 1),
            "load": [round(x, 2) for x in os.getloadavg()], "plan": text}


COLUMNS = ("order_id", "order_ts", "customer_id", "region", "channel", "lines", "units", "gmv", "cancelled",
           "returned", "sku", "category", "returned_sku", "campaign_id", "paid_ts", "shipped_ts", "delivered_ts",
           "promised_ts", "warehouse", "carrier")


def compare(a: Path | str, b: Path | str, rowwise_max: int) -> dict:
    """Whether two ``ops_orders`` files hold the same rows (``gmv`` to 1e-6)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 1")
    cols = [c for c in COLUMNS if c in {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM '{a}'").fetchall()}]
    n = con.execute(f"SELECT count(*) FROM '{a}'").fetchone()[0]
    if n <= rowwise_max:
        import pandas as pd

        fa = con.execute(f"SELECT {', '.join(cols)} FROM '{a}' ORDER BY order_id").df()
        fb = con.execute(f"SELECT {', '.join(cols)} FROM '{b}' ORDER BY order_id").df()
        gmv_diff = float((fa["gmv"] - fb["gmv"]).abs().max()) if len(fa) else 0.0
        fa["gmv"], fb["gmv"] = fa["gmv"].round(6), fb["gmv"].round(6)
        try:
            pd.testing.assert_frame_equal(fa, fb)
            same, why = True, ""
        except AssertionError as e:
            same, why = False, str(e)[:500]
        return {"how": "row by row", "rows": int(n), "same": same, "why": why, "max_gmv_diff": gmv_diff}
    expr = ", ".join(f"round({c}, 6)" if c == "gmv" else c for c in cols)
    q = f"SELECT count(*) AS n, sum(hash({expr})::HUGEINT) AS h FROM '{{}}'"
    ra, rb = con.execute(q.format(a)).fetchone(), con.execute(q.format(b)).fetchone()
    return {"how": "hash", "rows": int(n), "same": ra == rb, "hash_a": str(ra[1]), "hash_b": str(rb[1])}


def main(argv: list[str] | None = None) -> int:
    """Run the versions interleaved in fresh processes, compare their files, print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shop", required=True)
    p.add_argument("--out", type=Path, default=Path("/tmp/bench_ops_prepare"))
    p.add_argument("--versions", nargs="*", default=["v1", "v2"])
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--rowwise-max", type=int, default=2_000_000)
    p.add_argument("--part-lines", type=int, default=None, help="lines per part (default tables.PART_LINES)")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.child:
        rec = child(args.child, args.shop, args.out, args.part_lines)
        print(json.dumps(rec, ensure_ascii=False))
        return 0
    records = []
    for rnd in range(args.repeat):
        for v in args.versions:
            r = subprocess.run([sys.executable, __file__, "--child", v, "--shop", args.shop, "--out", str(args.out),
                                *(["--part-lines", str(args.part_lines)] if args.part_lines else [])],
                               cwd=ROOT, capture_output=True, text=True)
            if r.returncode:
                print(f"{v}: exit {r.returncode}: {r.stderr[-500:]}", flush=True)
                records.append({"version": v, "round": rnd, "exit": r.returncode, "stderr": r.stderr[-500:]})
                continue
            rec = json.loads(r.stdout.strip().splitlines()[-1])
            rec["round"] = rnd
            (args.out / f"{v}-{rnd}.plan.txt").write_text(rec.pop("plan"), encoding="utf-8")
            records.append(rec)
            print(f"{v} round {rnd}: {rec['parts']} part(s), fold {rec['fold_s']} s, cpu {rec['cpu_s']} s, peak {rec['peak_gb']} GB, spill {rec['spill_gb']} GB, "
                  f"load_shop {rec['load_s']} s, load {rec['load']}", flush=True)
    same = {}
    first = args.versions[0]
    for v in args.versions[1:]:
        if (args.out / first).is_dir() and (args.out / v).is_dir():
            same[f"{first}={v}"] = compare(args.out / first / "*.parquet", args.out / v / "*.parquet", args.rowwise_max)
            print(f"{first} = {v}: {same[f'{first}={v}']}", flush=True)
    (args.out / "bench_ops_prepare.json").write_text(json.dumps({"runs": records, "same": same}, indent=2,
                                                                ensure_ascii=False) + "\n", encoding="utf-8")
    print("\n| version | round | parts | fold (s) | process CPU (s) | peak (GB) | spill (GB) | load (1 min) |\n"
          "|---|---|---|---|---|---|---|---|")
    for r in records:
        if "fold_s" in r:
            print(f"| {r['version']} | {r['round']} | {r['parts']} | {r['fold_s']} | {r['cpu_s']} | {r['peak_gb']} | "
                  f"{r['spill_gb']} | {r['load'][0]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
