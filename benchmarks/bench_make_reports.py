"""Profile ``make reports``: wall, CPU seconds of the whole process tree, per notebook and per cell.

Usage::

    nice .venv/bin/python benchmarks/bench_make_reports.py [--data data/sample] [--workers 2] [--only 00,03]
                                                           [--out /tmp/mk_reports] [--top 10]

Runs ``python -m opslib report run --all --workers N -p data_dir DATA --out OUT`` (what ``make reports``
runs, into a scratch folder so ``reports/`` is left alone) and records:

* wall seconds and CPU seconds (user + sys) of the runner and every process it waited for (its kernels and
  their pools), from ``getrusage(RUSAGE_CHILDREN)``; the load average before and after;
* per kernel, through an IPython start-up file (a scratch ``IPYTHONDIR``): the CPU seconds the kernel had
  used when it was ready (interpreter + ipykernel start-up), and the CPU and wall seconds of every cell
  (the kernel's own CPU plus that of the processes it waited for, such as a process pool);
* per notebook: the runner's seconds (``runs.json``), kernel start-up CPU, cells CPU, and the cells' sum;
  the runner's own share (papermill, nbconvert, HTML, summaries) is the total less the kernels.

Prints a markdown table per notebook and the top ``--top`` cells by CPU; ``--json`` writes everything.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: Runs in every kernel before the first cell: one JSON line per cell (source hash, CPU, wall) in $OPSLIB_CELL_LOG.
STARTUP = r'''
import hashlib, json, os, resource, time
_log = os.path.join(os.environ["OPSLIB_CELL_LOG"], f"{os.getpid()}.jsonl")

def _cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime

def _write(**kw):
    with open(_log, "a") as fh:
        fh.write(json.dumps(kw) + "\n")

_write(event="ready", cpu=_cpu())
_state = {}

def _pre(info):
    _state["cpu"], _state["wall"] = _cpu(), time.perf_counter()
    _state["hash"] = hashlib.sha1(info.raw_cell.strip().encode()).hexdigest()

def _post(result):
    if "cpu" in _state:
        _write(event="cell", hash=_state["hash"], cpu=_cpu() - _state["cpu"],
               wall=time.perf_counter() - _state["wall"], total=_cpu())

get_ipython().events.register("pre_run_cell", _pre)
get_ipython().events.register("post_run_cell", _post)
'''


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _cells(out: Path) -> dict[str, tuple[str, int, str]]:
    """source hash -> (notebook, cell number in the executed notebook, first line), over the executed reports."""
    found: dict[str, tuple[str, int, str]] = {}
    for nb in sorted(out.glob("*/*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for i, c in enumerate(cells):
            if c.get("cell_type") != "code":
                continue
            src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            first = next((ln.strip() for ln in src.splitlines() if ln.strip() and not ln.startswith("#")), "")
            found.setdefault(hashlib.sha1(src.strip().encode()).hexdigest(), (nb.stem, i + 1, first[:70]))
    return found


def profile(data: Path, out: Path, workers: int, only: list[str]) -> dict:
    """Run the reports once into ``out`` and return the measurements (see the module doc)."""
    ipy = Path(tempfile.mkdtemp(prefix="mk_ipython_"))
    logs = Path(tempfile.mkdtemp(prefix="mk_cells_"))
    (ipy / "profile_default" / "startup").mkdir(parents=True)
    (ipy / "profile_default" / "startup" / "00-cell-cpu.py").write_text(STARTUP)
    env = {**os.environ, "IPYTHONDIR": str(ipy), "OPSLIB_CELL_LOG": str(logs)}
    cmd = [sys.executable, "-m", "opslib", "report", "run", *(only or ["--all"]), "--workers", str(workers),
           "-p", "data_dir", str(data.resolve()), "--out", str(out)]
    load0 = os.getloadavg()
    cpu0, t0 = _children_cpu(), time.perf_counter()
    rc = subprocess.call(cmd, cwd=ROOT, env=env)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    load1 = os.getloadavg()
    names = _cells(out)
    runs = json.loads((out / "runs.json").read_text())
    runs = runs.get("runs", runs) if isinstance(runs, dict) else runs
    seconds = {r["notebook"]: r["seconds"] for r in runs[-8 if not only else -len(only):]}
    per_nb: dict[str, dict] = {}
    cells = []
    for f in logs.glob("*.jsonl"):
        rows = [json.loads(ln) for ln in f.read_text().splitlines()]
        ready = next((r["cpu"] for r in rows if r["event"] == "ready"), 0.0)
        mine = [r for r in rows if r["event"] == "cell"]
        nb = next((names[r["hash"]][0] for r in mine if r["hash"] in names), f"pid {f.stem}")
        d = per_nb.setdefault(nb, {"kernel_start_cpu": 0.0, "cells_cpu": 0.0, "cells_wall": 0.0, "kernel_cpu": 0.0})
        d["kernel_start_cpu"] += ready
        d["cells_cpu"] += sum(r["cpu"] for r in mine)
        d["cells_wall"] += sum(r["wall"] for r in mine)
        d["kernel_cpu"] += max([r["total"] for r in mine] + [ready])
        for r in mine:
            nbn, idx, first = names.get(r["hash"], (nb, 0, "?"))
            cells.append({"notebook": nbn, "cell": idx, "first_line": first, "cpu": r["cpu"], "wall": r["wall"]})
    for nb, d in per_nb.items():
        d["runner_seconds"] = seconds.get(nb)
    kernels = sum(d["kernel_cpu"] for d in per_nb.values())
    return {"cmd": " ".join(cmd), "rc": rc, "wall": wall, "cpu": cpu, "kernels_cpu": kernels,
            "runner_cpu": cpu - kernels, "load_before": load0, "load_after": load1,
            "notebooks": per_nb, "cells": sorted(cells, key=lambda c: -c["cpu"])}


def report(res: dict, top: int) -> str:
    """The measurements as markdown."""
    lb, la = res["load_before"], res["load_after"]
    lines = [f"`{res['cmd']}` (exit {res['rc']}): wall **{res['wall']:.1f} s**, CPU **{res['cpu']:.1f} s** "
             f"(kernels {res['kernels_cpu']:.1f}, runner {res['runner_cpu']:.1f}); load average "
             f"{lb[0]:.1f}/{lb[1]:.1f} before, {la[0]:.1f}/{la[1]:.1f} after", "",
             "| notebook | runner s (wall) | kernel start CPU | cells CPU | cells wall |", "|---|---|---|---|---|"]
    for nb, d in sorted(res["notebooks"].items()):
        lines.append(f"| {nb} | {d['runner_seconds'] or 0:.1f} | {d['kernel_start_cpu']:.1f} | {d['cells_cpu']:.1f} "
                     f"| {d['cells_wall']:.1f} |")
    nbs = res["notebooks"].values()
    lines.append(f"| **sum** | {sum(d['runner_seconds'] or 0 for d in nbs):.1f} | "
                 f"{sum(d['kernel_start_cpu'] for d in nbs):.1f} | {sum(d['cells_cpu'] for d in nbs):.1f} | "
                 f"{sum(d['cells_wall'] for d in nbs):.1f} |")
    lines += ["", f"Top {top} cells by CPU:", "", "| notebook | cell | first line | CPU s | wall s |",
              "|---|---|---|---|---|"]
    for c in res["cells"][:top]:
        lines.append(f"| {c['notebook']} | {c['cell']} | `{c['first_line']}` | {c['cpu']:.1f} | {c['wall']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    ap.add_argument("--out", type=Path, default=None, help="report folder (default: a fresh temporary one)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated notebooks (default: all)")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--json", type=Path, default=None, help="write the measurements here")
    a = ap.parse_args(argv)
    if not (a.data / "orders.parquet").exists() and not (a.data / "truth.json").exists():
        print(f"no sample shop in {a.data}: make sample", file=sys.stderr)
        return 2
    out = (a.out or Path(tempfile.mkdtemp(prefix="mk_reports_"))).resolve()
    res = profile(a.data, out, a.workers, [n for n in a.only.split(",") if n])
    print(report(res, a.top))
    if a.json:
        a.json.write_text(json.dumps(res, indent=1))
    return 0 if res["rc"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
