"""Run the benchmarks of benchmarks/ (``make bench``), from a plain clone: each builds what it needs.

Usage::

    .venv/bin/python benchmarks/run.py                     # every bench; the forecast peer bench --quick
    .venv/bin/python benchmarks/run.py --peers full        # ... with the full peer bench (about 45 min on 1 core)
    .venv/bin/python benchmarks/run.py --peers skip        # ... without it (no R, no statsforecast venv)
    .venv/bin/python benchmarks/run.py --only cube,import  # some of them (names: --list)
    .venv/bin/python benchmarks/run.py --list              # what would run, what is skipped and why

What each bench needs and who builds it:

* sample shops: ``data/sample`` (seed 7, scale 1) is built by ``make bench`` itself (``make sample``);
  the cube and operations benches generate ``data/bench/scale1``, the customer and engine benches
  ``data/bench/scale10`` (10.3M order lines, about 2.5 minutes and 3.8 GB peak), each once;
* real data sets in ``../shared/data`` (next to the clone; see its README), or in ``$OPSLIB_SHARED_DATA`` for a
  clone elsewhere (every bench reads the same variable): a bench whose data set is
  absent is skipped with a line naming the missing file; the campaign and peer benches run on the data
  sets that are present (the sample shop always is);
* peers in their own environments, never in opslib's: the forecast peer bench installs R's forecast (apt)
  and statsforecast (``benchmarks/forecast_peers/.venv``) through ``setup_peers.sh``; the CLV bench
  creates ``benchmarks/.venv-clv`` with lifetimes (``bench_clv.py --setup``) and, when that fails,
  prints opslib's side only.

Each bench prints its own table (most also write ``benchmarks/results/``, ignored by git); the figures
worth keeping go by hand into ``benchmarks/README.md`` with the date, machine, command and load average.
The run ends with one line per bench: ok / FAILED / skipped, and its minutes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path(os.environ.get("OPSLIB_SHARED_DATA") or ROOT.parent / "shared" / "data")

#: Real data sets by the name the benches use, and the file or folder each needs under ``SHARED``.
DATA_SETS: dict[str, str] = {
    "online_retail": "online_retail/online_retail_I_2010-12_2011-12.csv.gz",
    "olist": "olist/sample_bravida",
    "superstore": "superstore/superstore_orders.csv.gz",
    "cdnow": "cdnow/cdnow_master.csv.gz",
}
#: The peer bench's series sets and the data set each is built from (None: the sample shop).
PEER_SETS: dict[str, str | None] = {
    "retail_total": "online_retail", "retail_top20": "online_retail", "olist_total": "olist",
    "olist_top_categories": "olist", "superstore": "superstore", "sample_categories": None,
}


@dataclass
class Bench:
    """One bench: its name, the script (relative to benchmarks/), its arguments, the data sets it needs."""

    name: str
    script: str
    args: list[str] = field(default_factory=list)
    needs: tuple[str, ...] = ()
    note: str = ""


def present(name: str) -> bool:
    """Whether the real data set ``name`` (a key of :data:`DATA_SETS`) is in the shared data folder."""
    return (SHARED / DATA_SETS[name]).exists()


def plan(peers: str = "quick", sample: Path | None = None) -> list[tuple[Bench, str]]:
    """The benches in the order they run (quick ones first) and, for each, why it is skipped ('' = runs).

    Parameters:
        peers: ``quick`` (the peer bench's ``--quick``: 2 series per set, last origin), ``full`` or ``skip``.
        sample: the sample shop (default ``data/sample``, which ``make bench`` builds first).

    Returns:
        ``(bench, skip reason)`` pairs.
    """
    sample = str(sample or ROOT / "data" / "sample")
    scale10 = str(ROOT / "data" / "bench" / "scale10")
    campaign_sets = [n for n in ("online_retail", "olist", "superstore") if present(n)] + ["sample"]
    peer_sets = [s for s, d in PEER_SETS.items() if d is None or present(d)]
    benches = [
        Bench("cube", "bench_cube.py", ["--scale", "1"], note="daily x SKU cube, DuckDB vs pandas, 1M lines"),
        Bench("import", "bench_import.py", ["--repeat", "2"], needs=("online_retail",),
              note="import + validate UCI Online Retail"),
        Bench("forecast", "bench_forecast.py", ["--shop", sample], note="leaderboard of every model, sample shop"),
        Bench("clv", "bench_clv.py", needs=("cdnow",), note="BG/NBD + Gamma-Gamma vs lifetimes, CDNOW"),
        Bench("operations", "bench_operations.py", ["--scale", "1"], note="cell OLS vs statsmodels, 1M lines"),
        Bench("forecast_scale", "bench_forecast_scale.py", ["--shop", sample],
              note="every SKU of the sample shop, 1 process vs a pool"),
        Bench("campaigns", "bench_campaigns.py", ["--datasets", *campaign_sets],
              note="planted campaigns in real shops: " + ", ".join(campaign_sets)),
        Bench("customers", "bench_customers.py", ["--shop", scale10], note="customer queries vs raw SQL, 10M lines"),
        Bench("engine", "bench_engine.py", ["--shop", scale10, "--scale", "10"],
              note="engine path vs raw DuckDB, validation, memory, 10M lines"),
    ]
    if peers != "skip":
        benches.append(Bench("forecast_peers", "forecast_peers/bench.py",
                             (["--quick"] if peers == "quick" else []) + ["--sets", ",".join(peer_sets)],
                             note=f"vs R forecast and statsforecast ({peers}): " + ", ".join(peer_sets)))
    out = []
    for b in benches:
        missing = [f"{SHARED / DATA_SETS[n]}" for n in b.needs if not present(n)]
        out.append((b, f"needs {', '.join(missing)} (absent)" if missing else ""))
    return out


def _setup_clv() -> None:
    """Create benchmarks/.venv-clv (lifetimes) when it is missing; on failure the bench runs opslib's side only."""
    if (HERE / ".venv-clv" / "bin" / "python").exists():
        return
    print("  setting up benchmarks/.venv-clv (lifetimes) for the peer side", flush=True)
    if subprocess.call([sys.executable, str(HERE / "bench_clv.py"), "--setup"], cwd=ROOT) != 0:
        print("  lifetimes could not be installed: the CLV bench prints opslib's side only", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peers", choices=("quick", "full", "skip"), default="quick",
                    help="the forecast peer bench: --quick variant (default), the full one (~45 min), or none")
    ap.add_argument("--only", default="", help="comma-separated bench names (see --list)")
    ap.add_argument("--sample", type=Path, default=ROOT / "data" / "sample",
                    help="the seed-7 scale-1 sample shop (make sample); generated here when missing")
    ap.add_argument("--list", action="store_true", help="print the plan (what runs, what is skipped) and exit")
    a = ap.parse_args(argv)
    steps = plan(a.peers, a.sample.resolve())
    known = [b.name for b, _ in steps]
    only = [n.strip() for n in a.only.split(",") if n.strip()]
    unknown = [n for n in only if n not in known]
    if unknown:
        print(f"unknown bench(es) {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    if only:
        steps = [(b, why) for b, why in steps if b.name in only]
    if a.list:
        for b, why in steps:
            print(f"{b.name:15s} {'SKIP: ' + why if why else 'python benchmarks/' + b.script + ' ' + ' '.join(b.args)}"
                  f"\n{'':15s} {b.note}")
        return 0
    if not (a.sample / "truth.json").exists() and any(str(a.sample.resolve()) in b.args for b, why in steps if not why):
        print(f"== building the sample shop in {a.sample} (seed 7, scale 1)", flush=True)
        subprocess.check_call([sys.executable, "-m", "opslib.sample", "--seed", "7", "--scale", "1",
                               "--out", str(a.sample)], cwd=ROOT)
    done: list[tuple[str, str, float]] = []
    for b, why in steps:
        if why:
            print(f"== {b.name}: skipped, {why}", flush=True)
            done.append((b.name, "skipped", 0.0))
            continue
        print(f"== {b.name}: python benchmarks/{b.script} {' '.join(b.args)}  ({b.note}; load average "
              f"{os.getloadavg()[0]:.1f})", flush=True)
        if b.name == "clv":
            _setup_clv()
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(HERE / b.script), *b.args], cwd=ROOT)
        done.append((b.name, "ok" if rc == 0 else f"FAILED (exit {rc})", time.perf_counter() - t0))
        print(f"-- {b.name}: {done[-1][1]}, {done[-1][2] / 60:.1f} min ({time.strftime('%H:%M:%S')})", flush=True)
    print("\n== summary")
    for name, status, seconds in done:
        print(f"  {name:15s} {status:18s} {seconds / 60:6.1f} min")
    return 1 if any(s.startswith("FAILED") for _, s, _ in done) else 0


if __name__ == "__main__":
    sys.exit(main())
