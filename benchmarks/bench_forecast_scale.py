"""Forecast many SKUs of the sample shop, one core against all cores (``forecast_many``'s process pool).

Usage: ``python benchmarks/bench_forecast_scale.py [--shop data/sample] [--model ets] [--skus N] [--freq W|D]``.
Prints series, seconds with n_jobs=1 and n_jobs=<cores>, series per second, the speed-up ratio, how many series
fell back and (``--model auto``) which models ran. ``--freq D`` forecasts 28 days of daily SKU series (what
``python -m opslib forecast --level sku`` does) instead of 8 weeks.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

from opslib import forecasting as F
from opslib.data import daily_sku, load_shop

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shop", type=Path, default=ROOT / "data" / "sample")
    ap.add_argument("--model", default="ets", help="a model name from opslib.forecasting.models.MODELS, or auto")
    ap.add_argument("--skus", type=int, default=None, help="limit to the N best sellers (default: every SKU)")
    ap.add_argument("--freq", default="W", choices=("W", "D"), help="weekly (8 weeks) or daily (28 days) series")
    ap.add_argument("--jobs", type=int, default=None, help="pool size (default: every core)")
    args = ap.parse_args()
    if not args.shop.is_dir():
        raise SystemExit(f"{args.shop} is missing: run `make sample` first")
    shop = load_shop(args.shop, tables=["orders", "products"], validate=False)
    daily = daily_sku(shop)
    if args.freq == "W":
        wide, horizon = F.weekly_series(daily, "sku", max_skus=args.skus or 10_000), 8
    else:
        wide, horizon = F.daily_frame(daily, "sku", max_skus=args.skus or 10_000), 28
    cores = args.jobs or os.cpu_count() or 1
    timings = {}
    for jobs in sorted({1, cores}):
        t0 = time.perf_counter()
        results = F.forecast_many(wide, model=args.model, horizon=horizon, n_jobs=jobs, progress=True)
        timings[jobs] = time.perf_counter() - t0
        fell_back = sum(1 for r in results if r.fell_back)
        print(f"n_jobs={jobs}: {len(results)} SKU series ({args.freq}) in {timings[jobs]:.1f} s "
              f"({len(results) / timings[jobs]:.1f} series/s), {fell_back} fell back to a simpler model")
    if args.model == "auto":
        ran = Counter(m for r in results for m in r.extra.get("chosen_models", [r.model]))
        classes = Counter(r.extra.get("demand_class", "?") for r in results)
        print("demand classes:", dict(classes), "| models combined:", dict(ran.most_common()))
    if len(timings) > 1:
        print(f"speed-up with {cores} cores: {timings[1] / timings[cores]:.2f}x")


if __name__ == "__main__":
    main()
