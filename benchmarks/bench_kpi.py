"""Notebook 00's KPIs and notebook 04's checks: this checkout against a reference commit, side by side.

Usage::

    nice .venv/bin/python benchmarks/bench_kpi.py --shop /tmp/customers_s10 --ref main --repeat 1

The reference's ``opslib/kpi.py`` and ``opslib/data/quality.py`` (``git show REF:...``) are loaded as separate
modules next to this checkout's; each step runs reference then current, in turns, ``--repeat`` times, on the
same shop, and the two results are checked equal (relative 1e-9). The reference gets the typed Parquet path
notebook 00 passed before (``shop.source("orders")``), the current one the shop (its engine). Prints seconds,
the ratio current / reference of the best runs and the load average: read the ratios, the machine is shared.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, ref: str, path: str, folder: Path) -> object:
    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"], check=True, capture_output=True,
                          text=True).stdout
    file = folder / f"{name}.py"
    file.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    """Run the steps in turns and print one line per run and a ratio per step."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shop", required=True, type=Path)
    p.add_argument("--ref", default="main", help="the reference commit (default: main)")
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args(argv)

    from opslib import kpi
    from opslib.calendar import review_periods
    from opslib.data import load_shop, order_span
    from opslib.data import quality as dq

    folder = Path(tempfile.mkdtemp())
    old_kpi = _load("kpi_ref", args.ref, "opslib/kpi.py", folder)
    old_dq = _load("quality_ref", args.ref, "opslib/data/quality.py", folder)
    shop = load_shop(args.shop, tables=["orders", "products", "traffic"])
    path = shop.source("orders")
    first, last, _ = order_span(shop)
    per = review_periods(first, last, None, 28, compare="last_year")
    steps = {
        "kpi_trend W since trend start": (
            lambda: old_kpi.kpi_trend(path, "W", traffic=shop.traffic, since=per.trend_start()),
            lambda: kpi.kpi_trend(shop, "W", traffic=True, since=per.trend_start())),
        "compare_periods": (lambda: old_kpi.compare_periods(path, per.current, per.baseline, traffic=shop.traffic),
                            lambda: kpi.compare_periods(shop, per.current, per.baseline, traffic=True)),
        "daily_orders": (lambda: old_dq.daily_orders(path).to_frame(), lambda: dq.daily_orders(shop).to_frame()),
        "outliers": (lambda: old_dq.outliers(path), lambda: dq.outliers(shop)),
    }
    for name, (ref, cur) in steps.items():
        best = {"ref": float("inf"), "cur": float("inf")}
        for _ in range(args.repeat):
            got = {}
            for tag, fn in (("ref", ref), ("cur", cur)):
                t0 = time.perf_counter()
                got[tag] = fn()
                dt = time.perf_counter() - t0
                best[tag] = min(best[tag], dt)
                print(f"{name:32s} {tag}: {dt:7.1f} s  load {os.getloadavg()[0]:.1f}", flush=True)
            a, b = got["ref"].reset_index(drop=True), got["cur"].reset_index(drop=True)
            pd.testing.assert_frame_equal(a, b, check_dtype=False, check_index_type=False, rtol=1e-9)
        print(f"{name:32s} ratio current / reference (best of {args.repeat}): {best['cur'] / best['ref']:.2f}x, "
              "results equal", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
