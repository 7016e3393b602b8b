"""Run notebooks as parameterised reports: executed notebook + readable HTML under ``reports/``.

::

    python -m opslib report run NAME ... | --all  [-p KEY VALUE ...] [--period LABEL] [--workers N]
    python -m opslib report run --config reports.yml [--schedule NAME ...] [--dry-run]
    python -m opslib report list

Each run writes ``reports/<period>/<name>.ipynb`` (executed, with outputs) and ``<name>.html`` (code
hidden). The period label is ``--period``, or the schedule's ``period: week|month|day`` applied to the
``period_end`` parameter (else today), or ``period_end`` / today's date (see
:func:`opslib.reporting.plan.period_label`).

Trust at 6 a.m. with nobody watching:

* parameters are checked before any kernel starts (unknown name, wrong type, bad date, unknown
  category or campaign): a clear message and exit status 2;
* one failing notebook does not stop the others; it is kept as ``<name>.failed.ipynb`` / ``.html`` with
  papermill's error cell on top, and the exit status is 1;
* results are written aside (``reports/.tmp``) then moved, so a failed or interrupted run never
  replaces the last good report of the same name;
* ``reports/runs.json`` and ``reports/index.html`` record every run: status, parameters, duration,
  the data's fingerprint and the opslib version, so a number can be traced to its inputs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import opslib
from opslib.reporting.index import RunResult, record
from opslib.reporting.plan import (
    NOTEBOOKS,
    REPORTS,
    ReportError,
    Run,
    absolute_data_dir,
    check_run,
    declared_parameters,
    discover,
    find_notebook,
    load_config,
    parse_value,
    period_label,
    plan_schedules,
)

_LOCK = threading.Lock()




def data_fingerprint(data_dir: str | Path | None) -> str:
    """First 16 hex digits of SHA-256 over the names and bytes of the files in ``data_dir`` ('' if none)."""
    if not data_dir or not Path(data_dir).is_dir():
        return ""
    h = hashlib.sha256()
    for f in sorted(p for p in Path(data_dir).iterdir() if p.is_file()):
        h.update(f.name.encode())
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:16]


def to_html(executed: Path, target: Path) -> None:
    """Export an executed notebook to HTML with code cells hidden (nbconvert's ``exclude_input``)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


def _stamp(nb_path: Path, run: Run, fingerprint: str) -> None:
    """Record provenance in the executed notebook's metadata (``metadata.opsplaybook``)."""
    import nbformat

    nb = nbformat.read(str(nb_path), as_version=4)
    nb.metadata["opsplaybook"] = {
        "report": run.name, "parameters": run.parameters, "data_fingerprint": fingerprint,
        "opslib_version": opslib.__version__, "period": run.period, "schedule": run.schedule,
    }
    nbformat.write(nb, str(nb_path))


def _error_on_top(nb_path: Path, error: str) -> None:
    """Put the error and the source of the failing cell in a markdown cell at the top of the notebook."""
    import nbformat

    nb = nbformat.read(str(nb_path), as_version=4)
    failing = next((c for c in nb.cells if c.cell_type == "code"
                    and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    text = [f"## ❌ This report failed\n\n`{html.escape(error)}`"]
    if failing is not None:
        text.append(f"Failing cell (In [{failing.get('execution_count')}]):\n\n```python\n{failing.source}\n```")
    text.append("The last good report of the same name, if any, was kept. Fix the cause and run the report again.")
    cell = nbformat.v4.new_markdown_cell("\n\n".join(text))
    cell.metadata["tags"] = ["opsplaybook-error"]
    nb.cells.insert(0, cell)
    nbformat.write(nb, str(nb_path))


def run_one(run: Run, out_dir: Path = REPORTS, kernel: str = "python3", progress: bool = True) -> RunResult:
    """Execute one run into ``out_dir/<period>/``; never overwrites a good report with a failed one."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    target_dir = out_dir / run.period
    tmp_dir = out_dir / ".tmp"
    target_dir.mkdir(parents=True, exist_ok=True)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    token = f"{run.name}.{os.getpid()}.{threading.get_ident()}"
    tmp_nb, tmp_html = tmp_dir / f"{token}.ipynb", tmp_dir / f"{token}.html"
    started = dt.datetime.now().isoformat(timespec="seconds")
    fingerprint = data_fingerprint(run.parameters.get("data_dir"))
    t0 = time.perf_counter()
    error = ""
    try:
        papermill.execute_notebook(
            str(run.notebook), str(tmp_nb), parameters=run.parameters, cwd=str(run.notebook.parent),
            kernel_name=kernel, progress_bar=progress,
        )
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel died, notebook unreadable ...: a failed report, not a crash
        error = f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - t0
    if tmp_nb.exists():
        try:
            if error:
                _error_on_top(tmp_nb, error)
            _stamp(tmp_nb, run, fingerprint)
            to_html(tmp_nb, tmp_html)
        except Exception as exc:  # a broken export must not lose the executed notebook
            error = error or f"HTML export failed: {type(exc).__name__}: {exc}"
    stem = run.name if not error else f"{run.name}.failed"
    final_nb, final_html = target_dir / f"{stem}.ipynb", target_dir / f"{stem}.html"
    if tmp_nb.exists():
        os.replace(tmp_nb, final_nb)
    if tmp_html.exists():
        os.replace(tmp_html, final_html)
    if not error:  # a good run supersedes an older failure of the same name
        for stale in (target_dir / f"{run.name}.failed.ipynb", target_dir / f"{run.name}.failed.html"):
            stale.unlink(missing_ok=True)
    rel = lambda p: str(p.relative_to(out_dir)) if p.exists() else ""  # noqa: E731
    return RunResult(
        name=run.name, notebook=run.notebook.stem, period=run.period, status="failed" if error else "ok",
        seconds=round(seconds, 2), parameters=run.parameters, started=started, ipynb=rel(final_nb),
        html=rel(final_html), error=error, data_fingerprint=fingerprint, schedule=run.schedule,
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m opslib report", description="Run notebooks as reports.")
    sub = p.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="execute notebooks as reports")
    run.add_argument("names", nargs="*", help="notebook names (file stems or their number, e.g. 01)")
    run.add_argument("--all", action="store_true", help="run every notebook in the notebook folder")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                     help="a notebook parameter; repeat for more")
    run.add_argument("--config", type=Path, help="reports.yml with named schedules")
    run.add_argument("--schedule", action="append", default=[], help="with --config: only this schedule (repeatable)")
    run.add_argument("--period", help="folder label under the output folder (default: from period_end or today)")
    run.add_argument("--workers", type=int, default=1, help="notebooks run at the same time (default 1)")
    run.add_argument("--dry-run", action="store_true", help="list the runs and check them; execute nothing")
    run.add_argument("--out", type=Path, default=REPORTS, help="output folder (default reports/)")
    run.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="notebook folder (default notebooks/)")
    run.add_argument("--kernel", default="python3")
    lst = sub.add_parser("list", help="list notebooks and their parameters")
    lst.add_argument("--notebooks", type=Path, default=NOTEBOOKS)
    return p


def plan(args: argparse.Namespace, available: dict[str, Path]) -> tuple[list[Run], list[str]]:
    """Turn the command line into concrete runs (ReportError on a bad request)."""
    overrides = {k: parse_value(v) for k, v in args.parameter}
    base = Path.cwd()
    if args.config:
        cfg = load_config(args.config)
        runs, notes = plan_schedules(cfg, available, args.schedule, overrides, base=base)
    else:
        if args.schedule:
            raise ReportError("--schedule needs --config")
        if not args.all and not args.names:
            raise ReportError("name a notebook, use --all, or give --config; available: " + ", ".join(available))
        stems = list(available) if args.all else [find_notebook(n, available) for n in args.names]
        runs, notes = [], []
        known: set[str] = set()
        for stem in dict.fromkeys(stems):
            declared = declared_parameters(available[stem])
            known |= set(declared)
            # With --all, a parameter only some notebooks declare goes to those notebooks.
            params = {k: v for k, v in overrides.items() if k in declared or not args.all}
            params = absolute_data_dir(params, base)
            runs.append(Run(name=stem, notebook=available[stem], parameters=params,
                            period=period_label(None, params)))
        unknown = sorted(set(overrides) - known) if args.all else []
        if unknown:
            raise ReportError(f"unknown parameter(s) {', '.join(unknown)}: no notebook declares them")
    if args.period:
        for r in runs:
            r.period = args.period
    names = [f"{r.period}/{r.name}" for r in runs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ReportError(f"two runs would write the same report: {', '.join(dupes)}")
    return runs, notes


def main(argv: list[str] | None = None) -> int:
    """``python -m opslib report ...``. Exit 0 all ok, 1 a report failed, 2 a bad request."""
    args = _parser().parse_args(argv)
    available = discover(args.notebooks)
    if args.action == "list":
        for name, path in available.items():
            params = declared_parameters(path)
            print(f"{name}: " + ", ".join(f"{k}={v['default']}" for k, v in params.items()))
        return 0
    try:
        if args.workers < 1:
            raise ReportError("--workers must be at least 1")
        runs, notes = plan(args, available)
        problems = [m for r in runs for m in check_run(r, declared_parameters(r.notebook))]
        if problems:
            raise ReportError("\n".join(problems))
    except ReportError as exc:
        print(f"opslib report: {exc}", file=sys.stderr)
        return 2
    for note in notes:
        print(note, file=sys.stderr)
    if args.dry_run:
        for r in runs:
            params = json.dumps(r.parameters, ensure_ascii=False)
            print(f"{r.period}/{r.name}  ({r.notebook.stem})  {params}")
        print(f"{len(runs)} run(s) planned, parameters checked; nothing executed (--dry-run)", file=sys.stderr)
        return 0
    if not runs:
        print("nothing to run", file=sys.stderr)
        return 0
    return _execute(runs, args)


def _execute(runs: list[Run], args: argparse.Namespace) -> int:
    # Kernels inherit this: opslib's progress bars stay off in reports (the runner shows progress itself).
    os.environ["OPSPLAYBOOK_PROGRESS"] = "0"
    results: list[RunResult] = []
    total = len(runs)
    progress = args.workers == 1  # per-cell bars only when they cannot interleave
    print(f"running {total} report(s) with {args.workers} worker(s) into {args.out}", file=sys.stderr, flush=True)

    def one(run: Run) -> RunResult:
        with _LOCK:
            print(f"  start {run.period}/{run.name}", file=sys.stderr, flush=True)
        return run_one(run, out_dir=args.out, kernel=args.kernel, progress=progress)

    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(one, r) for r in runs]
        for fut in as_completed(futures):
            res = fut.result()
            results.append(res)
            mark = "ok" if res.status == "ok" else f"FAILED: {res.error}"
            with _LOCK:
                print(f"[{len(results)}/{total}] {res.period}/{res.name} {mark} ({res.seconds:.1f} s) -> "
                      f"{args.out / (res.html or res.ipynb)}", file=sys.stderr, flush=True)
    order = {r.name + r.period: i for i, r in enumerate(runs)}
    results.sort(key=lambda r: order[r.name + r.period])
    record(results, args.out)
    failed = [r for r in results if r.status != "ok"]
    print(f"{total - len(failed)} ok, {len(failed)} failed; index: {args.out / 'index.html'}", file=sys.stderr)
    return 1 if failed else 0
