"""Side-by-side timing of opslib ``auto`` against R's ``ets`` on the bench's windows: the two run in turns
(R, opslib, R, opslib ...), each round over the same windows, and the best round of each counts (the machine
is shared, so a single run's seconds move with the load; the load average is printed with every round).

Usage (from the repository root, after a bench run has written ``results/series_run.csv`` and ``windows.csv``)::

    nice .venv/bin/python benchmarks/forecast_peers/time_auto.py --sets retail_total --rounds 5

Prints one line per round and method (mean seconds per fit by set) and, per set, the best-of-N seconds per
fit of each and their ratio (target of issue 12: ``auto`` at most 2x R's ``ets``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402
import protocol  # noqa: E402


def per_fit(fc: pd.DataFrame) -> pd.Series:
    """Mean seconds per fit (one series at one origin) by set."""
    return fc.drop_duplicates(["set", "series_id", "origin"]).groupby("set")["seconds"].mean()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", default="retail_total")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--results", default=str(HERE / "results"))
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="cpu: each side's own CPU seconds (R: user + system of its process; opslib: process time), "
                        "less sensitive to the load of a shared machine than wall time")
    a = p.parse_args(argv)
    res = Path(a.results)
    sets = a.sets.split(",")
    series = pd.read_csv(res / "series_run.csv", dtype={"set": str, "series_id": str, "date": str})
    windows = pd.read_csv(res / "windows.csv", dtype={"set": str, "series_id": str, "origin": str})
    w = windows[windows["set"].isin(sets)]
    auto = bench.in_process_method("opslib_auto")
    bench.warm_up(auto)
    best: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        wfile, raw = Path(tmp) / "windows.csv", Path(tmp) / "raw.csv"
        w.to_csv(wfile, index=False)
        for r in range(a.rounds):
            for m in ("r_ets", "opslib_auto"):
                load = Path("/proc/loadavg").read_text().split()[0]
                if m == "r_ets":
                    subprocess.run(["Rscript", str(HERE / "run_r.R"), str(res / "series_run.csv"), str(wfile),
                                    str(raw), "ets"], check=True, capture_output=True,
                                   env={**os.environ, "BENCH_CLOCK": a.clock})
                    fc = pd.read_csv(raw, dtype={"set": str, "series_id": str, "origin": str})
                else:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        fc = protocol.run_method(auto, m, series, w,
                                                 clock=time.process_time if a.clock == "cpu" else time.perf_counter)
                per = per_fit(fc)
                print(f"round {r + 1} {m:12s} load {load:>5s} " + ", ".join(f"{s} {v:.3f} s" for s, v in per.items()),
                      flush=True)
                for st, v in per.items():
                    best[(st, m)] = min(best.get((st, m), float("inf")), float(v))
    for st in sets:
        a_s, r_s = best[(st, "opslib_auto")], best[(st, "r_ets")]
        print(f"{st}: best of {a.rounds} rounds ({a.clock} clock), s/fit auto {a_s:.3f}, R ets {r_s:.3f}, auto / R ets {a_s / r_s:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
