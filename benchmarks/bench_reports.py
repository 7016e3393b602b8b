"""Time and peak memory of every report (``python -m opslib report run``) on one shop, one report at a time.

Usage::

    nice .venv/bin/python benchmarks/bench_reports.py --shop /tmp/customers_s10 --out /tmp/bench_reports_s10
    nice .venv/bin/python benchmarks/bench_reports.py --shop /tmp/gen_s100 --timeout 2h --only 00 01

Each report runs as ``python -m opslib report run NN -p data_dir SHOP --out OUT/NN --timeout T`` in a
fresh process; its kernel is a child process, so the peak memory recorded is the peak over time of the
**summed resident set size of the whole process tree** (the runner, the kernel and anything they start),
sampled with psutil every ``--interval`` seconds (0.5 by default). Summing RSS counts pages shared between
processes twice, so it is an upper bound; a peak between two samples is missed, so it is not a tight one.
Wall time is the runner's, from start to exit. A report that fails is recorded with its exit code and the
last line of its stderr; one failure does not stop the others.

Writes the RSS samples to ``OUT/NN.rss.csv`` and, from papermill's cell start/end times in the executed
notebook, the cells during which the tree peaked (``peak_cells``: which call pulled lines into pandas).
Writes ``OUT/NN.status`` every 10 s while report NN runs (elapsed, peak so far) and ``OUT/bench_reports.json`` (one record per report, the load average before and after) and prints a
Markdown table for ``benchmarks/README.md`` / ``docs/engine.md``. Peak memory target (issue 15): under 2 GB
per report at 10M lines.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
GB = 1024**3


def tree_rss(proc: psutil.Process) -> int:
    """Summed RSS in bytes of ``proc`` and all its descendants (processes that vanish count 0)."""
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def run_one(name: str, shop: Path, out: Path, timeout: str, interval: float, python: str,
            max_gb: float | None = None) -> dict:
    """Run one report in a fresh process, sampling the tree's RSS; return its record.

    With ``max_gb`` the whole tree is killed once its summed RSS passes it (so a report that pulls 100M lines
    into pandas cannot take the shared machine's memory); the record says ``killed_at_cap``."""
    cmd = [python, "-m", "opslib", "report", "run", name, "-p", "data_dir", str(shop), "--out", str(out / name),
           "--timeout", timeout, "--period", "bench"]
    err_path = out / f"{name}.stderr"
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    with open(err_path, "w", encoding="utf-8") as err:
        popen = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        proc = psutil.Process(popen.pid)
        peak, capped, last_status = 0, False, 0.0
        status = out / f"{name}.status"
        samples = open(out / f"{name}.rss.csv", "w", encoding="utf-8")  # noqa: SIM115 - closed below
        samples.write("unix_time,tree_rss_bytes\n")
        while popen.poll() is None:
            rss = tree_rss(proc)
            samples.write(f"{time.time():.2f},{rss}\n")
            peak = max(peak, rss)
            if time.perf_counter() - last_status > 10:  # for runs cut short: how far a report got
                last_status = time.perf_counter()
                status.write_text(f"{name} running {last_status - t0:.0f} s, peak so far {peak / GB:.2f} GB, "
                                  f"load {os.getloadavg()[0]:.2f}\n", encoding="utf-8")
            if max_gb is not None and peak > max_gb * GB and not capped:
                capped = True
                kids = proc.children(recursive=True)
                for k in [proc, *kids]:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        k.kill()
            time.sleep(interval)
    secs = time.perf_counter() - t0
    samples.close()
    lines = [ln for ln in err_path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    return {"report": name, "exit": popen.returncode, "seconds": round(secs, 1), "peak_gb": round(peak / GB, 2),
            "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in os.getloadavg()],
            "last_stderr": lines[-1][:300] if lines else "", "killed_at_cap": capped, "command": " ".join(cmd)}


def cell_peaks(executed: Path, samples: Path, top: int = 3) -> list[dict]:
    """The cells of an executed notebook during which the tree's RSS peaked: papermill's start/end time of
    each code cell against the RSS samples; returns the ``top`` cells by peak, with their first source line."""
    import pandas as pd

    nb = json.loads(executed.read_text(encoding="utf-8"))
    rss = pd.read_csv(samples)
    out = []
    for i, cell in enumerate(nb["cells"]):
        pm = cell.get("metadata", {}).get("papermill", {}) or {}
        if cell["cell_type"] != "code" or not pm.get("start_time") or not pm.get("end_time"):
            continue
        a = pd.Timestamp(pm["start_time"]).timestamp()
        b = pd.Timestamp(pm["end_time"]).timestamp()
        during = rss.tree_rss_bytes[(rss.unix_time >= a - 0.5) & (rss.unix_time <= b + 0.5)]
        if len(during):
            src = "".join(cell["source"]).strip().splitlines()
            code = [ln for ln in src if ln.strip() and not ln.lstrip().startswith(("#", "from ", "import "))]
            out.append({"cell": i, "peak_gb": round(float(during.max()) / GB, 2), "seconds": round(b - a, 1),
                        "code": (code[0] if code else "")[:120]})
    return sorted(out, key=lambda r: -r["peak_gb"])[:top]


def main(argv: list[str] | None = None) -> int:
    """Run the reports one after the other and print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shop", required=True, type=Path)
    p.add_argument("--out", type=Path, default=Path("/tmp/bench_reports"))
    p.add_argument("--only", nargs="*", default=None, help="report numbers (default: every notebook)")
    p.add_argument("--timeout", default="1h", help="per report, as the runner takes it (45m, 2h)")
    p.add_argument("--interval", type=float, default=0.5, help="seconds between RSS samples")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--max-gb", type=float, default=None, help="kill a report whose process tree passes this RSS")
    args = p.parse_args(argv)
    names = args.only or sorted(nb.name[:2] for nb in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    args.out.mkdir(parents=True, exist_ok=True)
    records = []
    for name in names:
        rec = run_one(name, args.shop.resolve(), args.out, args.timeout, args.interval, args.python, args.max_gb)
        executed = sorted((args.out / name).glob("bench/*.ipynb"))
        if executed and (args.out / f"{name}.rss.csv").exists():
            with contextlib.suppress(Exception):  # attribution is a help, never a reason to lose the record
                rec["peak_cells"] = cell_peaks(executed[0], args.out / f"{name}.rss.csv")
        records.append(rec)
        note = " KILLED at the --max-gb cap" if rec["killed_at_cap"] else ""
        print(f"{name}: exit {rec['exit']}, {rec['seconds']} s, peak {rec['peak_gb']} GB, load {rec['load_before']}"
              + note + ("" if rec["exit"] == 0 else f"  [{rec['last_stderr']}]"), flush=True)
        (args.out / "bench_reports.json").write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n",
                                                    encoding="utf-8")
    print("\n| report | exit | seconds | peak tree RSS (GB) | load before |\n|---|---|---|---|---|")
    for r in records:
        ex = f"{r['exit']} (killed at cap)" if r["killed_at_cap"] else r["exit"]
        print(f"| {r['report']} | {ex} | {r['seconds']} | {r['peak_gb']} | {r['load_before'][0]} |")
    return 0 if all(r["exit"] == 0 for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
