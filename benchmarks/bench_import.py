"""Time importing UCI Online Retail I (541,909 lines) and validating the result.

Usage: ``python benchmarks/bench_import.py [--repeat N] [--src FILE]``. The source defaults to the shared
data folder next to the repository (``ROOT.parent/shared/data/online_retail/...``). Prints, per run, the
seconds for ``run_import("online_retail", SRC, OUT)`` (read, clean, write Parquet + import_log.json) and for
``validate_shop(OUT)``, and the best total. Target: under 20 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from opslib.data import validate_shop
from opslib.importers import run_import

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SRC = (Path(os.environ.get("OPSLIB_SHARED_DATA") or ROOT.parent / "shared" / "data")
               / "online_retail" / "online_retail_I_2010-12_2011-12.csv.gz")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not args.src.is_file():
        raise SystemExit(f"{args.src} not found: pass --src with the Online Retail I CSV")
    totals = []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            result = run_import("online_retail", args.src, out)
            t1 = time.perf_counter()
            report = validate_shop(out)
            t2 = time.perf_counter()
        assert report.ok, "imported data does not validate"
        totals.append(t2 - t0)
        print(f"run {i + 1}: import {t1 - t0:.2f} s ({result.log.input_rows:,} lines -> "
              f"{result.log.output_rows['orders']:,}), validate {t2 - t1:.2f} s, total {t2 - t0:.2f} s")
    print(f"best total: {min(totals):.2f} s (target < 20 s)")


if __name__ == "__main__":
    main()
