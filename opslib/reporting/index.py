"""The run history: ``reports/runs.json`` (every run: status, parameters, duration, data fingerprint, version)
and ``reports/index.html`` built from it.

Several runners may finish at the same moment (two cron lines at 06:00, a CI job and a person), and a
disk may fill up or a machine lose power mid-write. So :func:`record`

* holds an exclusive lock (``fcntl.flock`` on ``reports/.runs.lock``) while it reads, appends and
  writes, so no runner's entries are lost to another's rewrite;
* writes each file to a temporary name of its own (``tempfile.mkstemp`` in the same folder), flushes it
  to disk and moves it over the old file with ``os.replace``: a reader sees the old file or the new one,
  never half of one;
* never resets a history it cannot read: a corrupt ``runs.json`` is kept aside as
  ``runs.json.corrupt-<time>`` and the history is rebuilt from the entries of it that still parse plus
  the provenance every executed report carries in its metadata (``metadata.opsplaybook``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import opslib
from opslib.reporting.plan import REPORTS

LOG_NAME = "runs.json"
LOCK_NAME = ".runs.lock"
STAMP_KEY = "opsplaybook"


@dataclass
class RunResult:
    """What one report run produced; paths are relative to the reports folder."""

    name: str
    notebook: str
    period: str
    status: str  # "ok", "failed" or "interrupted"
    seconds: float
    parameters: dict[str, Any]
    started: str
    ipynb: str
    html: str
    error: str = ""
    data_fingerprint: str = ""
    opslib_version: str = opslib.__version__
    schedule: str = ""
    timeout: float = 0.0  # the report time limit in seconds (0: none recorded)
    template: str = ""  # committed | modified | unverified (see opslib.reporting.templates)


_FIELDS = {f.name for f in fields(RunResult)}


@contextlib.contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """Hold the exclusive history lock of ``out_dir`` (blocks until other runners let go)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl
        except ImportError:  # Windows: no flock; one runner at a time is then the operator's job
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a unique temporary file in the same folder and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _valid(runs: Any) -> bool:
    return isinstance(runs, list) and all(isinstance(r, dict) and "name" in r and "status" in r for r in runs)


def salvage(text: str) -> list[dict[str, Any]]:
    """The run entries that still parse in a damaged ``runs.json`` (e.g. cut off mid-write).

    Example:
        >>> salvage('[\\n {"name": "a", "status": "ok"},\\n {"name": "b", "sta')
        [{'name': 'a', 'status': 'ok'}]
    """
    decoder = json.JSONDecoder()
    out, i = [], text.find("{")
    while 0 <= i < len(text):
        try:
            obj, end = decoder.raw_decode(text, i)
        except ValueError:
            i = text.find("{", i + 1)
            continue
        if isinstance(obj, dict) and "name" in obj and "status" in obj:
            out.append(obj)
            i = text.find("{", end)
        else:
            i = text.find("{", i + 1)
    return out


def stamped_runs(out_dir: Path) -> list[dict[str, Any]]:
    """Run entries rebuilt from the provenance stamped into every executed report under ``out_dir``."""
    runs = []
    for nb_path in sorted(out_dir.glob("*/*.ipynb")):
        if nb_path.parent.name.startswith("."):
            continue
        try:
            meta = json.loads(nb_path.read_text(encoding="utf-8")).get("metadata", {}).get(STAMP_KEY)
        except (OSError, ValueError):
            continue
        if not isinstance(meta, dict) or "report" not in meta:
            continue
        html_path = nb_path.with_suffix(".html")
        entry = {k: v for k, v in meta.items() if k in _FIELDS}
        entry.update(
            name=meta["report"], ipynb=nb_path.relative_to(out_dir).as_posix(),
            html=html_path.relative_to(out_dir).as_posix() if html_path.exists() else "",
            status="failed" if nb_path.stem.endswith(".failed") else (meta.get("status") or "ok"),
            notebook=meta.get("notebook", ""), period=meta.get("period", nb_path.parent.name),
            seconds=float(meta.get("seconds") or 0.0), parameters=meta.get("parameters") or {},
            started=meta.get("started") or "", rebuilt=True,
        )
        runs.append(entry)
    return runs


def read_history(out_dir: Path, repair: bool = False, pending: set[tuple] | None = None) -> list[dict[str, Any]]:
    """The runs in ``out_dir/runs.json`` ([] when there is none).

    A damaged file gives the entries that still parse; with ``repair`` (only under :func:`locked`) it is
    kept aside and the history rebuilt (:func:`recover`; ``pending``: the runs about to be recorded).
    """
    log = Path(out_dir) / LOG_NAME
    if not log.exists():
        return []
    text = log.read_text(encoding="utf-8", errors="replace")
    try:
        runs = json.loads(text)
    except ValueError:
        runs = None
    if _valid(runs):
        return runs
    if repair:
        return recover(Path(out_dir), pending)
    return salvage(text) if text else []


def _key(r: dict[str, Any]) -> tuple:
    return (r.get("period"), r.get("name"), r.get("started"))


def recover(out_dir: Path, pending: set[tuple] | None = None) -> list[dict[str, Any]]:
    """Keep a damaged ``runs.json`` aside as ``runs.json.corrupt-<time>`` and return the rebuilt history:
    the entries of it that still parse, plus one per executed report found under ``out_dir`` (from its
    stamped metadata) that they lack, in the order the runs started. Reports of the runs being recorded
    (``pending``: their ``(period, name, started)``) are left to the caller. Call it under :func:`locked`."""
    log = out_dir / LOG_NAME
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    aside = out_dir / f"{LOG_NAME}.corrupt-{stamp}"
    n = 1
    while aside.exists():
        n += 1
        aside = out_dir / f"{LOG_NAME}.corrupt-{stamp}-{n}"
    if log.exists():
        os.replace(log, aside)
    kept = salvage(text)
    seen = {_key(r) for r in kept} | (pending or set())
    extra = [r for r in stamped_runs(out_dir) if _key(r) not in seen]
    runs = kept + extra
    runs.sort(key=lambda r: str(r.get("started", "")))
    import sys

    print(f"opslib report: {log} could not be read; kept it as {aside.name} and rebuilt the history "
          f"({len(kept)} entries recovered from it, {len(extra)} from the reports' metadata)", file=sys.stderr)
    return runs


def record(results: list[RunResult], out_dir: Path = REPORTS) -> None:
    """Append ``results`` to ``out_dir/runs.json`` and rewrite ``out_dir/index.html``, under the history
    lock, each through a unique temporary file and an atomic replace (module doc)."""
    out_dir = Path(out_dir)
    with locked(out_dir):
        new = [asdict(r) for r in results]
        runs = read_history(out_dir, repair=True, pending={_key(r) for r in new})
        runs.extend(new)
        atomic_write(out_dir / LOG_NAME, json.dumps(runs, ensure_ascii=False, indent=1))
        atomic_write(out_dir / "index.html", index_html(runs))


_COLOURS = {"ok": "#1a7f37", "failed": "#cf222e", "interrupted": "#9a6700"}


def index_html(runs: list[dict[str, Any]]) -> str:
    """The index page: newest run first, with status, parameters, duration, fingerprint and version."""
    rows = []
    for r in reversed(runs):
        name = html.escape(str(r.get("name", "")))
        link = f'<a href="{html.escape(r["html"])}">{name}</a>' if r.get("html") else name
        status = str(r.get("status", ""))
        colour = _COLOURS.get(status, "#cf222e")
        params = html.escape(json.dumps(r.get("parameters", {}), ensure_ascii=False))
        notes = []
        if r.get("template") == "modified":
            notes.append("from an edited notebook (--allow-modified)")
        if r.get("rebuilt"):
            notes.append("entry rebuilt from the report's metadata")
        note = f"<br><small>{html.escape('; '.join(notes))}</small>" if notes else ""
        rows.append(
            f"<tr><td>{html.escape(str(r.get('started', '')))}</td><td>{html.escape(str(r.get('period', '')))}</td>"
            f"<td>{link}{note}</td><td style='color:{colour};font-weight:bold'>{html.escape(status)}</td>"
            f"<td>{float(r.get('seconds') or 0):.1f} s</td><td><code>{params}</code></td>"
            f"<td><code>{html.escape(str(r.get('data_fingerprint', '')))}</code></td>"
            f"<td>{html.escape(str(r.get('opslib_version', '')))}</td><td>{html.escape(str(r.get('error', '')))}</td></tr>"
        )
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>opsplaybook 运营报告</title>
<style>body{{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;margin:2em}}
td,th{{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}}code{{font-size:85%}}</style>
</head><body><h1>运营报告 opsplaybook reports</h1><p>{len(runs)} runs, newest first.</p>
<table><tr><th>started</th><th>period</th><th>report</th><th>status</th><th>duration</th><th>parameters</th>
<th>data fingerprint</th><th>opslib</th><th>error</th></tr>
{''.join(rows)}</table></body></html>
"""
