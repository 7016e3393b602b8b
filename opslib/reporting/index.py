"""The run history: ``reports/runs.json`` (every run: status, parameters, duration, data fingerprint, version,
its compact executive summary and exports) and ``reports/index.html`` built from it (the dashboard,
:mod:`opslib.reporting.dashboard`); and the previous / next links between the reports of one schedule.

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
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import opslib
from opslib.reporting.navigation import chain, report_href
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
    summary: dict[str, Any] | None = None  # the executive summary, without item lists (summary.compact)
    exports: list[str] = field(default_factory=list)  # files the report exported, relative to the reports folder


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
        if not nb_path.stem.endswith(".failed"):
            from opslib.reporting.summary import compact, read_summary

            try:
                entry["summary"] = compact(read_summary(nb_path))
            except Exception:  # a report without a readable summary still counts as a run
                entry["summary"] = None
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
    """Append ``results`` to ``out_dir/runs.json``, rewrite ``out_dir/index.html`` and update the previous /
    next links of the reports around the new ones, under the history lock, each file through a unique
    temporary file and an atomic replace (module doc)."""
    out_dir = Path(out_dir)
    with locked(out_dir):
        new = [asdict(r) for r in results]
        runs = read_history(out_dir, repair=True, pending={_key(r) for r in new})
        runs.extend(new)
        atomic_write(out_dir / LOG_NAME, json.dumps(runs, ensure_ascii=False, indent=1))
        atomic_write(out_dir / "index.html", index_html(runs))
        for r in new:
            if r.get("status") == "ok" and r.get("html"):
                try:
                    link_neighbours(out_dir, runs, r)
                except OSError as exc:  # a report someone deleted or locked: the history is what matters
                    import sys

                    print(f"opslib report: could not update the previous/next links around {r['html']}: {exc}",
                          file=sys.stderr)


# ------------------------------------------------------------------------------------- navigation


def set_navigation(path: str | Path, period: str, previous: tuple[str, str] | None,
                   nxt: tuple[str, str] | None) -> bool:
    """Rewrite the previous / next links of a written report (``opslib.reporting.html.replace_navigation``).

    Parameters:
        path: the report's HTML file. period: its period label. previous, nxt: ``(label, href)`` or None.

    Returns:
        True when the file changed.
    """
    from opslib.reporting.html import replace_navigation

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = replace_navigation(text, period, previous, nxt)
    if new == text:
        return False
    atomic_write(path, new)
    return True


def link_neighbours(out_dir: Path, runs: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    """Point the new report and the reports of the periods around it at each other (previous / next)."""
    reports = chain(runs, entry["name"], entry.get("schedule") or "", out_dir)
    at = next((i for i, r in enumerate(reports) if r["period"] == entry["period"]), None)
    if at is None:
        return
    for i in (at - 1, at, at + 1):
        if not 0 <= i < len(reports):
            continue
        r = reports[i]
        prev = reports[i - 1] if i > 0 else None
        nxt = reports[i + 1] if i + 1 < len(reports) else None
        set_navigation(out_dir / r["html"], str(r["period"]),
                       (str(prev["period"]), report_href(r["html"], prev["html"])) if prev else None,
                       (str(nxt["period"]), report_href(r["html"], nxt["html"])) if nxt else None)


def index_html(runs: list[dict[str, Any]]) -> str:
    """The index page: the dashboard of the latest report per schedule, then every run (newest first)."""
    from opslib.reporting.dashboard import dashboard_html

    return dashboard_html(runs)
