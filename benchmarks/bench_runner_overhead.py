"""The report runner's own CPU (papermill, nbclient, writing the notebook, the HTML page), old engine against new.

Usage: ``nice .venv/bin/python benchmarks/bench_runner_overhead.py [--notebook 00] [--repeat 2]``

Runs one report with :func:`opslib.reporting.run.run_one` in this process, alternately with papermill's own
engine (the notebook written at the start and end of every cell) and the runner's engine
(:func:`opslib.reporting.run.report_engine`: written when the run ends), and prints per run the runner's CPU
seconds (this process: user + sys) and the kernel's (the children it waited for), best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebook", default="00")
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args(argv)
    from opslib.reporting import run as R
    from opslib.reporting.plan import discover

    out = Path(tempfile.mkdtemp(prefix="mk_runner_"))
    args = R._parser().parse_args(["run", a.notebook, "-p", "data_dir", str(a.data.resolve()), "--out", str(out)])
    args.notebooks = args.notebooks.resolve()
    os.environ.update(R.kernel_environment(dict(os.environ)))
    original = R.report_engine
    times: dict[str, list[tuple[float, float]]] = {"papermill": [], "runner": []}
    for i in range(a.repeat):
        for name in ("papermill", "runner"):
            R.report_engine = (lambda: None) if name == "papermill" else original  # None: papermill's nbclient
            runs, _ = R.plan(args, discover(args.notebooks))
            R.apply_timeouts(runs, out, 3600.0, None)
            c0, k0 = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
            res = R.run_one(runs[0], out_dir=out, progress=False)
            k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            runner, kernel = time.process_time() - c0, k1.ru_utime + k1.ru_stime - k0.ru_utime - k0.ru_stime
            times[name].append((runner, kernel))
            print(f"run {i + 1} {name:9s} {res.status}: runner {runner:.2f} CPU-s, kernel {kernel:.2f} CPU-s "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)
    best = {k: min(r for r, _ in v) for k, v in times.items()}
    print(f"best runner CPU: papermill's engine {best['papermill']:.2f} s, the runner's {best['runner']:.2f} s "
          f"({best['papermill'] / best['runner']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
