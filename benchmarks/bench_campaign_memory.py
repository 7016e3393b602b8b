"""Peak memory and time of notebook 02's analysis: order lines in pandas (the old calls) vs engine aggregates.

Usage::

    nice .venv/bin/python benchmarks/bench_campaign_memory.py --shop DIR [--repeat 1] [--overview-days 365]

Each variant runs in a fresh process (its max RSS from ``os.wait4``), the two interleaved in one run:

* ``lines``: what notebook 02 called before issue 15 -- ``shop.orders`` in pandas, ``daily_sku(shop.orders,
  shop.products)``, ``evaluate_campaign(..., orders=shop.orders)`` (buyer mix over the frame) and
  ``shop_ab_example(shop.orders, ...)``;
* ``engine``: what it calls now -- ``dq.order_days(shop)``, ``daily_sku(shop)``, ``evaluate_shop(shop, cube)``
  and ``shop_ab_example(shop, ...)``: aggregates from the shop's engine, the lines never in pandas.

Both then rank the campaigns of the last ``--overview-days`` days (``campaign_overview``, 0 to skip) as the
notebook does. Notebook 02's exercise cells (``opslib.training``) are not part of this measure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(variant: str, shop_dir: str, overview_days: int) -> dict:
    """Run one variant in this process; return what it found (the default campaign's figures)."""
    from opslib import campaigns as cp
    from opslib.data import daily_sku, load_shop
    from opslib.data import quality as dq

    t0 = time.perf_counter()
    shop = load_shop(shop_dir, tables=["orders", "products", "campaigns", "traffic"])
    if variant == "lines":
        orders = shop.orders
        span = dq.order_days(shop)
        cube = daily_sku(orders, shop.products)
        campaigns, cid, _ = cp.choose_campaign(shop.campaigns, shop.products, None, orders=orders)
        ev = cp.evaluate_campaign(cube, campaigns, shop.products, cid, orders=orders, country=shop.settings.country,
                                  events=shop.settings.events_frame())
        ab = cp.shop_ab_example(orders, shop.traffic)
    else:
        span = dq.order_days(shop)
        cube = daily_sku(shop)
        ev = cp.evaluate_shop(shop, cube).evaluation
        ab = cp.shop_ab_example(shop, shop.traffic)
    if overview_days:
        cp.campaign_overview(cube, shop.campaigns, shop.products, last_days=overview_days,
                             country=shop.settings.country, events=shop.settings.events_frame())
    w = ev.window
    return {"seconds": time.perf_counter() - t0, "days": span, "cube_rows": len(cube),
            "campaign": ev.campaign.campaign_id, "incremental_units": w["effect"],
            "buyers": ev.buyers["buyers"], "new_buyers": ev.buyers["new_buyers"], "ab_note": ab.note,
            "lines_in_pandas": "orders" in shop._frames}


def run(variant: str, shop_dir: str, overview_days: int) -> tuple[float, dict]:
    """The variant in a fresh interpreter: (peak RSS in MB, its result)."""
    cmd = [sys.executable, __file__, "--child", variant, "--shop", shop_dir, "--overview-days", str(overview_days)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{variant} failed (status {status})")
    return usage.ru_maxrss / 1024, json.loads(out.decode().strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shop", required=True)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--overview-days", type=int, default=365)
    ap.add_argument("--child", choices=["lines", "engine"])
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.shop, args.overview_days), default=float))
        return
    best: dict[str, tuple[float, float]] = {}
    for i in range(args.repeat):
        for variant in ("lines", "engine") if i % 2 == 0 else ("engine", "lines"):
            loadavg = Path("/proc/loadavg")
            load = loadavg.read_text().split()[:3] if loadavg.exists() else ["?"]
            mb, res = run(variant, args.shop, args.overview_days)
            print(f"{variant:7s} peak {mb:7.0f} MB  {res['seconds']:7.1f} s  load {' '.join(load)}  {res}", flush=True)
            old = best.get(variant, (float("inf"), float("inf")))
            best[variant] = (min(old[0], mb), min(old[1], res["seconds"]))
    (lm, ls), (em, es) = best["lines"], best["engine"]
    print(f"best of {args.repeat}: peak memory engine/lines = {em:.0f} / {lm:.0f} MB = {em / lm:.2f}x; "
          f"time {es:.1f} / {ls:.1f} s = {es / ls:.2f}x")


if __name__ == "__main__":
    main()
