"""Run notebooks as parameterised reports: executed notebook + readable HTML in ``reports/``.

``python -m opslib report run --all -p data_dir data/sample`` executes every notebook in
``notebooks/`` through papermill and writes, per notebook ``NAME``:

* ``reports/NAME.ipynb`` (executed, with outputs) and ``reports/NAME.html`` (code hidden);
* on failure ``reports/NAME.failed.ipynb`` / ``.html`` with papermill's error cell on top, while an
  earlier good ``NAME.ipynb``/``NAME.html`` is left untouched (results are written aside, then moved);
* a line in ``reports/runs.json`` (status, parameters, seconds, data fingerprint, opslib version) and
  a refreshed ``reports/index.html``.

Parameters are checked against the notebook's ``parameters`` cell before any kernel starts: an
unknown name or a value of the wrong type is a clear message and exit status 2. One failing
notebook does not stop the others; the exit status is 1 when any failed.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import hashlib
import html
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

import opslib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"


class ReportError(Exception):
    """A user mistake in a report request (unknown notebook, bad parameter): printed, exit 2."""


@dataclass
class RunResult:
    """What one report run produced."""

    name: str
    status: str  # "ok" or "failed"
    seconds: float
    parameters: dict[str, Any]
    started: str
    ipynb: str
    html: str
    error: str = ""
    data_fingerprint: str = ""
    opslib_version: str = opslib.__version__
    extra: dict[str, Any] = field(default_factory=dict)


def discover(notebook_dir: Path = NOTEBOOKS) -> dict[str, Path]:
    """Notebooks by name (file stem), sorted: ``{'00_shop_at_a_glance': Path(...), ...}``."""
    return {p.stem: p for p in sorted(notebook_dir.glob("[0-9][0-9]_*.ipynb"))}


def declared_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The parameters cell of ``notebook`` as ``{name: {'default': str, 'type': str}}`` (papermill's inspection)."""
    import papermill

    params = papermill.inspect_notebook(str(notebook))
    return {n: {"default": p["default"], "type": _infer_type(p)} for n, p in params.items()}


def _infer_type(param: dict[str, Any]) -> str:
    """The parameter's type: its annotation if it has one, else the type of its literal default."""
    annotated = str(param.get("inferred_type_name") or "None")
    if annotated != "None":
        return annotated
    try:
        default = ast.literal_eval(param["default"])
    except (ValueError, SyntaxError):
        return "None"
    return "None" if default is None else type(default).__name__


_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
    "list": (list, tuple),
    "tuple": (list, tuple),
    "dict": (dict,),
}


def parse_value(text: str) -> Any:
    """Turn a command-line value into a Python value the YAML way: ``8`` -> 8, ``0.95`` -> 0.95, ``null`` -> None."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, dt.date):  # keep dates as ISO text: notebooks parse them with opslib.calendar
        return text
    return value


def check_parameters(name: str, notebook: Path, params: dict[str, Any]) -> None:
    """Raise ReportError when ``params`` names a parameter the notebook lacks or has a value of the wrong type.

    A declared default of ``None`` accepts anything; an ``int`` default accepts ints only, a ``float``
    default ints or floats, a ``str`` default text or None.
    """
    declared = declared_parameters(notebook)
    problems = []
    for key, value in params.items():
        if key not in declared:
            problems.append(f"unknown parameter {key!r}; {name} takes: {', '.join(declared) or 'none'}")
            continue
        kind = declared[key]["type"]
        if value is None or kind not in _TYPE_CHECKS:
            continue
        ok = isinstance(value, _TYPE_CHECKS[kind]) and not (kind in {"int", "float"} and isinstance(value, bool))
        if not ok:
            problems.append(
                f"parameter {key!r} of {name} expects {kind} (default {declared[key]['default']}), got {value!r}"
            )
    if problems:
        raise ReportError("\n".join(problems))


def data_fingerprint(data_dir: str | Path | None) -> str:
    """SHA-256 (first 16 hex digits) over the names and bytes of the files in ``data_dir``; '' when absent."""
    if not data_dir:
        return ""
    path = Path(data_dir)
    if not path.is_dir():
        return ""
    h = hashlib.sha256()
    for f in sorted(p for p in path.iterdir() if p.is_file()):
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


def run_one(
    name: str,
    notebook: Path,
    params: dict[str, Any],
    out_dir: Path = REPORTS,
    kernel: str = "python3",
    progress: bool = True,
) -> RunResult:
    """Execute one notebook into ``out_dir``; never overwrites a good report with a failed one."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    out_dir.mkdir(parents=True, exist_ok=True)
    tmp_dir = out_dir / ".tmp"
    tmp_dir.mkdir(exist_ok=True)
    tmp_nb = tmp_dir / f"{name}.{os.getpid()}.ipynb"
    tmp_html = tmp_nb.with_suffix(".html")
    started = dt.datetime.now().isoformat(timespec="seconds")
    t0 = time.perf_counter()
    error = ""
    try:
        papermill.execute_notebook(
            str(notebook),
            str(tmp_nb),
            parameters=params,
            cwd=str(notebook.parent),
            kernel_name=kernel,
            progress_bar=progress,
            report_mode=False,
        )
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel died, notebook unreadable ...: still a failed report, not a crash
        error = f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - t0
    stem = name if not error else f"{name}.failed"
    final_nb, final_html = out_dir / f"{stem}.ipynb", out_dir / f"{stem}.html"
    if tmp_nb.exists():
        try:
            to_html(tmp_nb, tmp_html)
            os.replace(tmp_html, final_html)
        except Exception as exc:  # HTML export failing must not lose the executed notebook
            error = error or f"HTML export failed: {exc}"
            stem = f"{name}.failed"
            final_nb, final_html = out_dir / f"{stem}.ipynb", out_dir / f"{stem}.html"
        os.replace(tmp_nb, final_nb)
    if not error:  # a good run supersedes an older failure
        for stale in (out_dir / f"{name}.failed.ipynb", out_dir / f"{name}.failed.html"):
            stale.unlink(missing_ok=True)
    return RunResult(
        name=name,
        status="failed" if error else "ok",
        seconds=round(seconds, 2),
        parameters=params,
        started=started,
        ipynb=final_nb.name if final_nb.exists() else "",
        html=final_html.name if final_html.exists() else "",
        error=error,
        data_fingerprint=data_fingerprint(params.get("data_dir")),
    )


def record(results: list[RunResult], out_dir: Path = REPORTS) -> None:
    """Append ``results`` to ``out_dir/runs.json`` and rewrite ``out_dir/index.html``."""
    log = out_dir / "runs.json"
    runs = json.loads(log.read_text(encoding="utf-8")) if log.exists() else []
    runs.extend(asdict(r) for r in results)
    tmp = log.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, log)
    write_index(runs, out_dir)


def write_index(runs: list[dict[str, Any]], out_dir: Path = REPORTS) -> None:
    """``index.html``: the newest run of every report first, then the full history."""
    rows = []
    for r in reversed(runs):
        link = f'<a href="{html.escape(r["html"])}">{html.escape(r["name"])}</a>' if r["html"] else html.escape(r["name"])
        params = html.escape(json.dumps(r["parameters"], ensure_ascii=False))
        colour = "#1a7f37" if r["status"] == "ok" else "#cf222e"
        rows.append(
            f"<tr><td>{html.escape(r['started'])}</td><td>{link}</td>"
            f"<td style='color:{colour}'>{r['status']}</td><td>{r['seconds']:.1f}s</td>"
            f"<td><code>{params}</code></td><td>{html.escape(r.get('data_fingerprint', ''))}</td>"
            f"<td>{html.escape(r.get('opslib_version', ''))}</td><td>{html.escape(r.get('error', ''))}</td></tr>"
        )
    page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>opsplaybook reports</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}}</style>
</head><body><h1>opsplaybook reports 运营报告</h1>
<table><tr><th>started</th><th>report</th><th>status</th><th>duration</th><th>parameters</th>
<th>data fingerprint</th><th>opslib</th><th>error</th></tr>
{''.join(rows)}</table></body></html>"""
    (out_dir / "index.html").write_text(page, encoding="utf-8")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m opslib report", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="execute notebooks as reports")
    run.add_argument("names", nargs="*", help="notebook names (file stems or their NN prefix)")
    run.add_argument("--all", action="store_true", help="run every notebook in notebooks/")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"))
    run.add_argument("--out", type=Path, default=REPORTS, help="output folder (default reports/)")
    run.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="notebook folder (default notebooks/)")
    run.add_argument("--kernel", default="python3")
    sub.add_parser("list", help="list notebooks and their parameters")
    return p


def _select(names: list[str], run_all: bool, available: dict[str, Path]) -> dict[str, Path]:
    if run_all:
        return available
    if not names:
        raise ReportError("name a notebook or use --all; available: " + ", ".join(available))
    chosen = {}
    for n in names:
        matches = [k for k in available if k == n or k.split("_", 1)[0] == n]
        if not matches:
            raise ReportError(f"no notebook named {n!r}; available: {', '.join(available)}")
        chosen[matches[0]] = available[matches[0]]
    return chosen


def main(argv: list[str] | None = None) -> int:
    """``python -m opslib report run|list``: see the module docstring. Exit 0 ok, 1 a report failed, 2 bad request."""
    args = _parser().parse_args(argv)
    available = discover(getattr(args, "notebooks", NOTEBOOKS))
    if args.action == "list":
        for name, path in available.items():
            params = declared_parameters(path)
            print(name + ": " + ", ".join(f"{k}={v['default']}" for k, v in params.items()))
        return 0
    try:
        chosen = _select(args.names, args.all, available)
        params = {k: parse_value(v) for k, v in args.parameter}
        per_notebook = {}
        if args.all:
            known = set().union(*(declared_parameters(p) for p in chosen.values())) if chosen else set()
            unknown = sorted(set(params) - known)
            if unknown:
                raise ReportError(f"unknown parameter(s) {', '.join(unknown)}: no notebook declares them")
        for name, path in chosen.items():
            declared = declared_parameters(path)
            own = {k: v for k, v in params.items() if k in declared or not args.all}
            check_parameters(name, path, own)
            per_notebook[name] = own
    except ReportError as exc:
        print(f"opslib report: {exc}", file=sys.stderr)
        return 2
    results = []
    for i, (name, path) in enumerate(chosen.items(), 1):
        print(f"[{i}/{len(chosen)}] {name} ...", file=sys.stderr, flush=True)
        res = run_one(name, path, per_notebook[name], out_dir=args.out, kernel=args.kernel)
        results.append(res)
        mark = "ok" if res.status == "ok" else f"FAILED ({res.error})"
        print(f"[{i}/{len(chosen)}] {name}: {mark} in {res.seconds:.1f}s -> {args.out / (res.html or res.ipynb)}",
              file=sys.stderr, flush=True)
    record(results, args.out)
    failed = [r.name for r in results if r.status != "ok"]
    print(f"{len(results) - len(failed)} ok, {len(failed)} failed; index: {args.out / 'index.html'}", file=sys.stderr)
    return 1 if failed else 0
