"""Run notebooks as parameterised reports: executed notebook + readable HTML under ``reports/``.

::

    python -m opslib report run NAME ... | --all  [-p KEY VALUE ...] [--period LABEL] [--workers N]
                                [--timeout 30m] [--cell-timeout 10m] [--allow-modified]
    python -m opslib report run --config reports.yml [--schedule NAME ...] [--dry-run]
    python -m opslib report list
    python -m opslib report scratch [DEST]        # copy the templates into lab/ for exploring (make lab)

Each run writes ``reports/<period>/<name>.ipynb`` (executed, with outputs), ``<name>.html`` (the page a
manager reads, :mod:`opslib.reporting.html`) and, for a notebook that declares ``export_dir`` and was not
given one, its exports in ``<name>.exports/`` next to them (exports are on by default). The period label
is ``--period``, or the data period: the schedule's ``period: week|month|day`` applied to ``period_end``,
else to the last day with orders (see :func:`opslib.reporting.plan.period_label` and ``fit_period``).

After a good run the runner compares the report's executive summary with the previous report of the
same schedule (the latest earlier period) and writes what changed — new and resolved actions, items
that joined or left a list — into the summary at the top (:func:`opslib.reporting.summary.compare_summaries`);
the compact summary goes into ``runs.json`` for the index dashboard.

Trust at 6 a.m. with nobody watching:

* parameters are typed by the notebook's declaration and checked before any kernel starts (unknown
  name, wrong type, bad date or choice, unknown category or campaign, an edited template): a clear
  message and exit status 2;
* a hung report is stopped: every report has a time limit (``--timeout``, the schedule's ``timeout:``,
  else :data:`TIMEOUT_FACTOR` times the slowest of its last good runs, at least :data:`TIMEOUT_MIN`,
  :data:`TIMEOUT_FIRST` when it has none) and optionally each cell (``--cell-timeout``); at the limit the
  kernel and every process it started are killed and the run is a failure that names the cell;
* one failing notebook does not stop the others; it is kept as ``<name>.failed.ipynb`` / ``.html`` with
  the error (and the failing cell) on top, and the exit status is 1;
* results are written aside (``reports/.tmp``) then moved, so a failed or interrupted run never
  replaces the last good report of the same name;
* every run of a batch is recorded whatever fails: an error outside the notebook (an unreadable data
  file, a full disk) is that run's failure, not the batch's;
* SIGTERM / SIGINT (``systemctl stop``, a CI cancel, Ctrl-C) stop the kernels and their processes, remove
  the temporary files and record the runs as ``interrupted``; the exit status is then 128 + the signal
  (143 for SIGTERM, 130 for SIGINT);
* ``reports/runs.json`` and ``reports/index.html`` record every run (status, parameters, duration, the
  data's fingerprint, the opslib version, the time limit) under a lock, atomically; see
  :mod:`opslib.reporting.index`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import html
import json
import os
import re
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import opslib
from opslib.reporting.html import PageLinks, report_page
from opslib.reporting.index import STAMP_KEY, RunResult, read_history, record
from opslib.reporting.kernels import Registry, Watch, alive
from opslib.reporting.navigation import neighbours, report_href
from opslib.reporting.plan import (
    NOTEBOOKS,
    REPORTS,
    ReportError,
    Run,
    absolute_paths,
    check_period,
    check_run,
    data_end,
    declared_parameters,
    discover,
    effective_data_dir,
    find_notebook,
    format_duration,
    load_config,
    parse_duration,
    period_label,
    plan_schedules,
)
from opslib.reporting.prevalidate import validate_once
from opslib.reporting.summary import (
    ExecutiveSummary,
    compact,
    compare_summaries,
    read_summary,
    replace_summary,
)
from opslib.reporting.templates import COMMITTED, MODIFIED, UNVERIFIED, scratch_copy, template_status

_LOCK = threading.Lock()

#: Report time limit when none is given: this many times the slowest of the last good runs ...
TIMEOUT_FACTOR = 3.0
#: ... of the same notebook on the same data (at most this many are looked at) ...
TIMEOUT_HISTORY = 5
#: ... but never less than this (seconds) ...
TIMEOUT_MIN = 600.0
#: ... and this when the report has never run well on this data.
TIMEOUT_FIRST = 3600.0
#: Seconds a report's kernel may take to start before the report fails (papermill's own default is 60 s, which a
#: loaded machine - two kernels and a 100M-line report beside them on 2 cores - passes: reports failed with
#: "Kernel didn't respond in 60 seconds"). The report's time limit still stops a kernel that never starts.
#: ``OPSLIB_KERNEL_START_TIMEOUT`` (seconds) overrides it.
KERNEL_START_TIMEOUT = 600.0
#: Exit statuses.
EXIT_OK, EXIT_FAILED, EXIT_BAD_REQUEST = 0, 1, 2


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


def to_html(executed: Path, target: Path, links: PageLinks | None = None) -> None:
    """Export an executed notebook to the report's HTML page (:func:`opslib.reporting.html.report_page`: code
    hidden, summary first, manager view, navigation ``links``, nothing loaded from the internet)."""
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    target.write_text(report_page(nb, links), encoding="utf-8")


def _stamp(nb_path: Path, run: Run, fingerprint: str, **extra: Any) -> None:
    """Record provenance in the executed notebook's metadata (``metadata.opsplaybook``): enough to rebuild
    the run's history entry (:func:`opslib.reporting.index.stamped_runs`)."""
    import nbformat

    nb = nbformat.read(str(nb_path), as_version=4)
    nb.metadata[STAMP_KEY] = {
        "report": run.name, "parameters": run.parameters, "data_fingerprint": fingerprint,
        "opslib_version": opslib.__version__, "period": run.period, "schedule": run.schedule,
        "notebook": run.notebook.stem, "template": run.template, **extra,
    }
    nbformat.write(nb, str(nb_path))


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


def _heading_before(cells: list[Any], index: int) -> str:
    for c in reversed(cells[:index]):
        if c.get("cell_type") == "markdown":
            for line in _text(c.get("source")).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def describe_cell(cells: list[Any] | None, index: int | None, cell: Any = None) -> str:
    """How a reader finds a cell: its number in the notebook template (papermill's injected parameters
    cell not counted), the heading above it and its first line of code.

    Example:
        >>> cells = [{"cell_type": "markdown", "source": "## Forecast"}, {"cell_type": "code", "source": ["f(x)\\n", "y"]}]
        >>> describe_cell(cells, 1)
        'cell 2 (under "Forecast"): f(x)'
    """
    if index is None:
        return "before the first cell (kernel start)"
    cells = cells or []
    cell = cell if cell is not None else (cells[index] if index < len(cells) else {})
    first = next((ln.strip() for ln in _text(cell.get("source")).splitlines() if ln.strip()), "")
    injected = sum("injected-parameters" in ((c.get("metadata") or {}).get("tags") or []) for c in cells[:index])
    heading = _heading_before(cells, index)
    under = f' (under "{heading}")' if heading else ""
    return f"cell {index + 1 - injected}{under}: {first[:100]}"


def _error_on_top(nb_path: Path, error: str, cell_index: int | None = None) -> None:
    """Put the error and the source of the failing cell in a markdown cell at the top of the notebook."""
    import nbformat

    nb = nbformat.read(str(nb_path), as_version=4)
    failing = next((c for c in nb.cells if c.cell_type == "code"
                    and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    if failing is None and cell_index is not None and cell_index < len(nb.cells):
        failing = nb.cells[cell_index]
    text = [f"## ❌ This report failed\n\n`{html.escape(error)}`"]
    if failing is not None:
        text.append(f"Failing cell (In [{failing.get('execution_count')}]):\n\n```python\n{failing.source}\n```")
    text.append("The last good report of the same name, if any, was kept. Fix the cause and run the report again.")
    cell = nbformat.v4.new_markdown_cell("\n\n".join(text))
    cell.metadata["tags"] = ["opsplaybook-error"]
    nb.cells.insert(0, cell)
    nbformat.write(nb, str(nb_path))


def _executed_cells(nb_path: Path) -> list[Any] | None:
    try:
        return json.loads(nb_path.read_text(encoding="utf-8")).get("cells")
    except (OSError, ValueError):
        return None


def _source(c: Any) -> Any:
    if isinstance(c, dict) and isinstance(c.get("source"), list):
        return {**c, "source": "".join(c["source"])}
    return c


def _result(run: Run, status: str, started: str, seconds: float = 0.0, error: str = "", ipynb: str = "",
            html_path: str = "", fingerprint: str = "", summary: dict[str, Any] | None = None,
            exports: list[str] | None = None) -> RunResult:
    return RunResult(
        name=run.name, notebook=run.notebook.stem, period=run.period, status=status, seconds=round(seconds, 2),
        parameters=run.parameters, started=started, ipynb=ipynb, html=html_path, error=error,
        data_fingerprint=fingerprint, schedule=run.schedule, timeout=float(run.timeout or 0.0),
        template=run.template, summary=summary, exports=list(exports or []),
    )


def export_folder(run: Run) -> str:
    """The folder name of a run's exports, next to its report: ``<name>.exports``."""
    return f"{run.name}.exports"


def _page_links(run: Run, out_dir: Path, history: list[dict[str, Any]], exports: list[str],
                failed: bool, export_root: Path | None = None) -> tuple[PageLinks, dict[str, Any] | None]:
    """Where the report links to, and the previous report's history entry (None when it is the first)."""
    here = f"{run.period}/x.html"
    previous, nxt = neighbours(history, run.name, run.schedule, run.period, out_dir)
    latest: dict[str, str] = {}
    for h in history:  # the newest good report of every notebook, for "what to look at next"
        if h.get("status") == "ok" and h.get("html") and h.get("notebook"):
            latest[str(h["notebook"])] = report_href(here, h["html"])
    folder = export_folder(run)
    links = PageLinks(
        index="../index.html", period=run.period,
        previous=(previous["period"], report_href(here, previous["html"])) if previous else None,
        next=(nxt["period"], report_href(here, nxt["html"])) if nxt else None,
        exports=[] if failed else [(e, f"{folder}/{e}") for e in exports],
        reports=latest, export_base="" if failed else folder,
        export_root="" if failed or export_root is None else str(export_root.resolve()))
    return links, previous


def _previous_summary(out_dir: Path, previous: dict[str, Any] | None) -> dict[str, Any] | None:
    """The previous report's full summary (with item lists) from its executed notebook, else from the history."""
    if previous is None:
        return None
    nb_path = out_dir / str(previous.get("ipynb") or "")
    if previous.get("ipynb") and nb_path.is_file():
        try:
            found = read_summary(nb_path)
        except Exception:  # an unreadable old report: fall back to what the history kept
            found = None
        if found is not None:
            return found
    return previous.get("summary")


def _write_page(tmp_nb: Path, tmp_html: Path, run: Run, out_dir: Path, exports: list[str],
                failed: bool, export_root: Path | None = None) -> dict[str, Any] | None:
    """Add what changed since the previous report to the summary, then write the HTML page; returns the summary."""
    import nbformat

    history = read_history(out_dir)
    links, previous = _page_links(run, out_dir, history, exports, failed, export_root)
    nb = nbformat.read(str(tmp_nb), as_version=4)
    payload = read_summary(nb)
    if payload is not None and not failed:
        href = links.previous[1] if links.previous else ""
        changes = compare_summaries(payload, _previous_summary(out_dir, previous),
                                    since=previous["period"] if previous else "", href=href)
        summary = ExecutiveSummary.from_payload(payload)
        summary.changes = changes
        if replace_summary(nb, summary):
            nbformat.write(nb, str(tmp_nb))
            payload = summary.payload()
    to_html(tmp_nb, tmp_html, links)
    return payload


def _move_exports(tmp_exports: Path | None, final: Path) -> list[Path]:
    """Put a good run's exports in place of the last ones (the old folder goes only once the new one is in); a
    good run that exported nothing removes the replaced report's exports, so no stale list stays next to it."""
    if tmp_exports is None:
        return []
    aside = final.with_name(f".{final.name}.old-{os.getpid()}-{threading.get_ident()}")
    if final.exists():
        os.replace(final, aside)
    if tmp_exports.is_dir() and any(tmp_exports.iterdir()):
        os.replace(tmp_exports, final)
    shutil.rmtree(aside, ignore_errors=True)
    if not final.is_dir():
        return []
    order = {".xlsx": 0, ".csv": 1}  # the workbook first: that is what the teams open
    return sorted((p for p in final.rglob("*") if p.is_file()), key=lambda p: (order.get(p.suffix, 2), p.name))


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def run_one(run: Run, out_dir: Path = REPORTS, kernel: str = "python3", progress: bool = True,
            registry: Registry | None = None) -> RunResult:
    """Execute one run into ``out_dir/<period>/``; never overwrites a good report with a failed one.

    Never raises for a problem of this run: whatever goes wrong (the notebook, the kernel, the data
    folder, the disk) comes back as a ``failed`` result with the error; a run stopped through
    ``registry`` (a signal) comes back ``interrupted`` and leaves no files.
    """
    out_dir = Path(out_dir).resolve()
    started = _now()
    t0 = time.perf_counter()
    watch = Watch(run.name)
    if registry is not None:
        registry.add(watch)
    tmp_dir = out_dir / ".tmp"
    token = f"{run.name}.{os.getpid()}.{threading.get_ident()}"
    tmp_nb, tmp_html = tmp_dir / f"{token}.ipynb", tmp_dir / f"{token}.html"
    fingerprint, stage = "", "preparing the run"
    timer: threading.Timer | None = None
    tmp_exports: Path | None = None
    try:
        target_dir = out_dir / run.period
        target_dir.mkdir(parents=True, exist_ok=True)
        tmp_dir.mkdir(parents=True, exist_ok=True)
        stage = "reading data_dir for its fingerprint"
        fingerprint = data_fingerprint(run.parameters.get("data_dir"))
        if watch.stopped:
            return _result(run, "interrupted", started, error=f"not started: stopped by {watch.reason}")
        stage = "executing the notebook"
        if run.timeout:
            timer = threading.Timer(run.timeout, watch.stop, args=("timeout",))
            timer.daemon = True
            timer.start()
        parameters = dict(run.parameters)
        if "export_dir" in declared_parameters(run.notebook) and "export_dir" not in parameters:
            tmp_exports = tmp_dir / f"{token}.exports"  # exports on by default, moved next to the report
            parameters["export_dir"] = str(tmp_exports)
        error, completed = _execute_notebook(run, tmp_nb, kernel, progress, watch, parameters)
        if timer is not None:
            timer.cancel()
        seconds = time.perf_counter() - t0
        cells = _executed_cells(tmp_nb) if tmp_nb.exists() else None
        where = describe_cell(cells, watch.cell_index, _source(watch.cell) if cells is None else None)
        if watch.reason == "timeout" and not completed:
            note = run.timeout_note or "the report's limit"
            error = (f"timed out after {format_duration(run.timeout or 0)} ({note}) "
                     f"in {where}; the kernel and its processes were stopped")
        elif watch.reason and not completed:
            for p in (tmp_nb, tmp_html):
                p.unlink(missing_ok=True)
            return _result(run, "interrupted", started, seconds, error=f"interrupted by {watch.reason} in {where}",
                           fingerprint=fingerprint)
        stage = "writing the report"
        status = "failed" if error else "ok"
        order = {".xlsx": 0, ".csv": 1}
        written = sorted((p for p in tmp_exports.rglob("*") if p.is_file()),
                         key=lambda p: (order.get(p.suffix, 2), p.name)) \
            if tmp_exports and not error and tmp_exports.is_dir() else []
        payload = None
        if tmp_nb.exists():
            try:
                if error:
                    _error_on_top(tmp_nb, error, watch.cell_index if not completed else None)
                _stamp(tmp_nb, run, fingerprint, status=status, started=started, seconds=round(seconds, 2),
                       error=error, timeout=float(run.timeout or 0.0))
                payload = _write_page(tmp_nb, tmp_html, run, out_dir,
                                      [p.relative_to(tmp_exports).as_posix() for p in written] if tmp_exports
                                      else [], failed=bool(error), export_root=tmp_exports)
            except Exception as exc:  # a broken export must not lose the executed notebook
                error = error or f"HTML export failed: {type(exc).__name__}: {exc}"
        stem = run.name if not error else f"{run.name}.failed"
        final_nb, final_html = target_dir / f"{stem}.ipynb", target_dir / f"{stem}.html"
        if tmp_nb.exists():
            os.replace(tmp_nb, final_nb)
        if tmp_html.exists():
            os.replace(tmp_html, final_html)
        moved: list[Path] = []
        if not error:  # a good run supersedes an older failure of the same name
            for stale in (target_dir / f"{run.name}.failed.ipynb", target_dir / f"{run.name}.failed.html"):
                stale.unlink(missing_ok=True)
            moved = _move_exports(tmp_exports, target_dir / export_folder(run))
        rel = lambda p: p.relative_to(out_dir).as_posix() if p.exists() else ""  # noqa: E731
        return _result(run, "failed" if error else "ok", started, seconds, error=error, ipynb=rel(final_nb),
                       html_path=rel(final_html), fingerprint=fingerprint,
                       summary=compact(payload) if not error else None, exports=[rel(p) for p in moved])
    except Exception as exc:  # outside the notebook: this run's failure, never the batch's
        return _result(run, "failed", started, time.perf_counter() - t0, fingerprint=fingerprint,
                       error=f"{type(exc).__name__} while {stage}: {exc}")
    finally:
        if timer is not None:
            timer.cancel()
        watch.sweep()
        if registry is not None:
            registry.remove(watch)
        for p in (tmp_nb, tmp_html):
            with contextlib.suppress(OSError):
                p.unlink(missing_ok=True)
        if tmp_exports is not None:
            shutil.rmtree(tmp_exports, ignore_errors=True)  # a failed run's exports never replace the good ones


#: Modules the runner never needs that an import of nbformat would load (see :func:`skip_unused_imports`).
UNUSED_IMPORTS = ("rfc3987_syntax",)


def skip_unused_imports() -> list[str]:
    """Keep the runner from importing what it never uses: jsonschema (which nbformat imports) loads the optional
    ``rfc3987_syntax`` when it is installed, and that builds 39 Lark grammars at import time for its ``iri`` format
    checkers: about 2 of the 3 CPU-s of importing papermill and nbconvert. Notebook validation does not check
    formats, so the runner marks the module absent (jsonschema then skips those checkers, as it does when the
    package is not installed). A module already imported is left alone.

    Returns:
        The modules marked absent by this call.

    Example:
        >>> skip_unused_imports() == [] or sys.modules["rfc3987_syntax"] is None
        True
    """
    marked = []
    for name in UNUSED_IMPORTS:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]  # 'import name' now raises ImportError
            marked.append(name)
    return marked


#: The papermill engine the runner registers (:func:`report_engine`).
ENGINE = "opsplaybook"


def report_engine() -> str:
    """Register (once) and name papermill's nbclient engine with one change: the notebook is written when the run
    ends (also after an error, a timeout or a dead kernel), not at the start and the end of every cell.

    papermill writes the whole executed notebook (every output and image so far, validated against the schema)
    twice per cell, markdown cells included: about 95 writes of up to 1.7 MB for one report, a third of the
    runner's own CPU time. Nothing reads the temporary notebook while the run goes on, so papermill's periodic
    autosave of long cells (every 30 s while output arrives: 8 whole-notebook writes in one run of report 06 at
    a load of 27) is off too; the notebook is still written when the run ends, however it ends.

    Returns:
        The engine name to pass as ``engine_name``.

    Example:
        >>> from papermill.engines import papermill_engines
        >>> papermill_engines.get_engine(report_engine()).__name__
        'ReportEngine'
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    if ENGINE in papermill_engines._engines:
        return ENGINE

    class EndSavedManager(NotebookExecutionManager):
        """Saves at the notebook's start and end (and on autosave, when turned on); a cell's start and end only update the node."""

        _quiet = False

        def save(self, **kwargs: Any) -> None:
            if self._quiet:
                return
            super().save(**kwargs)

        def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
            self._quiet = True
            try:
                super().cell_start(cell, cell_index, **kwargs)
            finally:
                self._quiet = False

        def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
            self._quiet = True
            try:
                super().cell_complete(cell, cell_index, **kwargs)
            finally:
                self._quiet = False

    class ReportEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None,  # type: ignore[override]
                             progress_bar: bool = True, log_output: bool = False, autosave_cell_every: int = 0,
                             **kwargs: Any) -> Any:
            # papermill's Engine.execute_notebook, with the manager above and no autosave (0: off)
            nb_man = EndSavedManager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                     autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(ENGINE, ReportEngine)
    return ENGINE


def kernel_start_timeout() -> float:
    """Seconds a report's kernel may take to start: ``OPSLIB_KERNEL_START_TIMEOUT`` if set to a positive number,
    else :data:`KERNEL_START_TIMEOUT`.

    Example:
        >>> import os
        >>> os.environ.pop("OPSLIB_KERNEL_START_TIMEOUT", None) is None or True
        True
        >>> kernel_start_timeout()
        600.0
    """
    raw = os.environ.get("OPSLIB_KERNEL_START_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else KERNEL_START_TIMEOUT
    except ValueError:
        value = KERNEL_START_TIMEOUT
    return value if value > 0 else KERNEL_START_TIMEOUT


def _execute_notebook(run: Run, tmp_nb: Path, kernel: str, progress: bool, watch: Watch,
                      parameters: dict[str, Any] | None = None) -> tuple[str, bool]:
    """papermill on ``run`` into ``tmp_nb`` (``parameters``: the run's, plus what the runner injects):
    (error text or '', whether every cell ran)."""
    import papermill
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(run.notebook), str(tmp_nb), parameters=run.parameters if parameters is None else parameters,
            kernel_name=kernel, engine_name=report_engine(),
            progress_bar=progress, execution_timeout=run.cell_timeout, start_timeout=kernel_start_timeout(),
            # No cwd= here: papermill would chdir the whole process, a race between worker threads.
            # The kernel gets the notebook's folder as its working directory through nbclient instead.
            resources={"metadata": {"path": str(run.notebook.parent)}},
            kernel_manager_class=watch.kernel_manager_class(), on_cell_start=watch.on_cell_start,
        )
    except PapermillExecutionError as exc:
        return f"{exc.ename}: {exc.evalue}", False
    except CellTimeoutError:
        cells = _executed_cells(tmp_nb) if tmp_nb.exists() else None
        where = describe_cell(cells, watch.cell_index, _source(watch.cell) if cells is None else None)
        return (f"cell timed out after {format_duration(run.cell_timeout or 0)} (--cell-timeout / cell_timeout) "
                f"in {where}; the kernel and its processes were stopped"), False
    except Exception as exc:  # kernel died or was stopped, notebook unreadable ...: a failed report, not a crash
        return f"{type(exc).__name__}: {exc}", False
    return "", True


# ------------------------------------------------------------------------------------- time limits


def size_timeout(run: Run, history: list[dict[str, Any]]) -> tuple[float, str]:
    """The default time limit of a run and how it was chosen (module doc: :data:`TIMEOUT_FACTOR` ...).

    Example:
        >>> from pathlib import Path
        >>> r = Run("00", Path("00_x.ipynb"), {"data_dir": "/s"}, "P")
        >>> h = [{"notebook": "00_x", "status": "ok", "seconds": 400.0, "parameters": {"data_dir": "/s"}}]
        >>> size_timeout(r, h)
        (1200.0, 'default: 3 × the slowest of the last 1 good run(s) on this data, 6.67m')
    """
    same = [h for h in history if h.get("notebook") == run.notebook.stem and h.get("status") == "ok"
            and (h.get("parameters") or {}).get("data_dir") == run.parameters.get("data_dir")]
    recent = [float(h.get("seconds") or 0) for h in same[-TIMEOUT_HISTORY:]]
    if not recent:
        return TIMEOUT_FIRST, "first-run default: no good run of this notebook on this data yet"
    slowest = max(recent)
    limit = max(TIMEOUT_MIN, TIMEOUT_FACTOR * slowest)
    note = (f"default: {TIMEOUT_FACTOR:g} × the slowest of the last {len(recent)} good run(s) on this data, "
            f"{format_duration(slowest)}")
    if limit == TIMEOUT_MIN:
        note += f", raised to the {format_duration(TIMEOUT_MIN)} minimum"
    return limit, note


def apply_timeouts(runs: list[Run], out_dir: Path, timeout: float | None, cell_timeout: float | None) -> None:
    """Give every run its time limits: ``--timeout`` > the schedule's ``timeout:`` > :func:`size_timeout`."""
    history = read_history(out_dir) if any(r.timeout is None for r in runs) and timeout is None else []
    for r in runs:
        if timeout is not None:
            r.timeout, note = timeout, "set by --timeout"
        elif r.timeout is not None:
            note = f"set by schedule {r.schedule}'s timeout:"
        else:
            r.timeout, note = size_timeout(r, history)
        r.timeout_note = note
        if cell_timeout is not None:
            r.cell_timeout = cell_timeout


# ------------------------------------------------------------------------------------- the CLI


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m opslib report", description="Run notebooks as reports.")
    sub = p.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="execute notebooks as reports")
    run.add_argument("names", nargs="*", help="notebook names (file stems or their number, e.g. 01)")
    run.add_argument("--all", action="store_true", help="run every notebook in the notebook folder")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                     help="a notebook parameter, typed by the notebook's declaration; repeat for more")
    run.add_argument("--config", type=Path, help="reports.yml with named schedules")
    run.add_argument("--schedule", action="append", default=[], help="with --config: only this schedule (repeatable)")
    run.add_argument("--period", help="folder label under the output folder (default: from period_end or today)")
    run.add_argument("--workers", type=int, default=1, help="notebooks run at the same time (default 1)")
    run.add_argument("--timeout", help="time limit of each whole report, e.g. 45m or 2h (default: the schedule's "
                                       "timeout:, else sized from the report's history)")
    run.add_argument("--cell-timeout", help="time limit of any one cell, e.g. 10m (default: none of its own)")
    run.add_argument("--allow-modified", action="store_true",
                     help="run notebooks that differ from the committed templates (marked in the index)")
    run.add_argument("--dry-run", action="store_true", help="list the runs and check them; execute nothing")
    run.add_argument("--out", type=Path, default=REPORTS, help="output folder (default reports/)")
    run.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="notebook folder (default notebooks/)")
    run.add_argument("--kernel", default="python3")
    lst = sub.add_parser("list", help="list notebooks and their parameters")
    lst.add_argument("--notebooks", type=Path, default=NOTEBOOKS)
    scr = sub.add_parser("scratch", help="copy the notebook templates into a scratch folder to explore them")
    scr.add_argument("dest", nargs="?", type=Path, default=NOTEBOOKS.parent / "lab",
                     help="scratch folder (default lab/ next to notebooks/, ignored by git)")
    scr.add_argument("--notebooks", type=Path, default=NOTEBOOKS)
    return p


def plan(args: argparse.Namespace, available: dict[str, Path]) -> tuple[list[Run], list[str]]:
    """Turn the command line into concrete runs (ReportError on a bad request); values still as given."""
    overrides = dict(args.parameter)  # text: typed later by each notebook's declaration (check_run)
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
            params = absolute_paths(params, declared, base)
            probe = Run(name=stem, notebook=available[stem], parameters=params, period="")
            last_day = data_end(effective_data_dir(probe, declared)[0])
            runs.append(Run(name=stem, notebook=available[stem], parameters=params,
                            period=period_label(None, params, data_end=last_day)))
        unknown = sorted(set(overrides) - known) if args.all else []
        if unknown:
            raise ReportError(f"unknown parameter(s) {', '.join(unknown)}: no notebook declares them")
    if args.period:
        check_period(args.period)
        for r in runs:
            r.period = args.period
    names = [f"{r.period}/{r.name}" for r in runs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ReportError(f"two runs would write the same report: {', '.join(dupes)}")
    return runs, notes


def _template_problems(runs: list[Run], allow_modified: bool) -> list[str]:
    """One line per notebook that differs from its committed template (and what to do), unless allowed."""
    seen: dict[Path, Any] = {}
    for r in runs:
        if r.notebook not in seen:
            seen[r.notebook] = template_status(r.notebook)
        r.template = seen[r.notebook].state
    modified = {nb: st for nb, st in seen.items() if st.state == MODIFIED}
    if not modified or allow_modified:
        return []
    problems = [f"{nb.stem}: differs from the committed template: {st.detail}" for nb, st in modified.items()]
    paths = " ".join(os.path.relpath(nb) for nb in modified)
    problems.append("Scheduled reports run the committed notebooks. Undo the edit (git diff / git checkout -- "
                    f"{paths}), commit it, or run it on purpose with --allow-modified. To explore, use a scratch "
                    "copy: make lab.")
    return problems


def _list(notebooks: Path) -> int:
    available = discover(notebooks)
    for name, path in available.items():
        st = template_status(path)
        mark = {COMMITTED: "", UNVERIFIED: ""}.get(st.state, f"   ** {st.state}: {st.detail}; reports refuse it "
                                                              "without --allow-modified **")
        print(f"{name}{mark}")
        for p in declared_parameters(path).values():
            print(f"  {p.name} = {p.default_text}  {p.describe()}  {p.help}".rstrip())
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """``python -m opslib report ...``. Exit 0 all ok, 1 a report failed, 2 a bad request,
    128 + signal number when stopped by SIGTERM / SIGINT."""
    args = _parser().parse_args(argv)
    skip_unused_imports()
    try:
        if args.action == "list":
            return _list(args.notebooks.resolve())
        if args.action == "scratch":
            for line in scratch_copy(args.notebooks.resolve(), args.dest.resolve()):
                print(line)
            return EXIT_OK
        args.notebooks, args.out = args.notebooks.resolve(), args.out.resolve()
        available = discover(args.notebooks)
        if args.workers < 1:
            raise ReportError("--workers must be at least 1")
        timeout = parse_duration(args.timeout, "--timeout") if args.timeout else None
        cell_timeout = parse_duration(args.cell_timeout, "--cell-timeout") if args.cell_timeout else None
        runs, notes = plan(args, available)
        problems = [m for r in runs if not r.failed for m in check_run(r, declared_parameters(r.notebook))]
        problems += _template_problems(runs, args.allow_modified)
        if problems:
            raise ReportError("\n".join(problems))
        apply_timeouts(runs, args.out, timeout, cell_timeout)
    except ReportError as exc:
        print(f"opslib report: {exc}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    for note in notes:
        print(note, file=sys.stderr)
    if args.dry_run:
        for r in runs:
            params = json.dumps(r.parameters, ensure_ascii=False)
            limit = f"timeout {format_duration(r.timeout or 0)} ({r.timeout_note})"
            if r.cell_timeout:
                limit += f", cell timeout {format_duration(r.cell_timeout)}"
            mark = "  [modified template]" if r.template == MODIFIED else ""
            if r.failed:
                print(f"{r.period}/{r.name}  ({r.notebook.stem})  WILL FAIL: {r.failed}")
                continue
            print(f"{r.period}/{r.name}  ({r.notebook.stem})  {params}  [{limit}]{mark}")
        print(f"{len(runs)} run(s) planned, parameters checked; nothing executed (--dry-run)", file=sys.stderr)
        return EXIT_OK
    if not runs:
        print("nothing to run", file=sys.stderr)
        return EXIT_OK
    return _execute(runs, args)


def _clean_stale_tmp(tmp_dir: Path) -> None:
    """Remove temporary files left by runners that were killed outright (their pid is gone)."""
    if not tmp_dir.is_dir():
        return
    for f in tmp_dir.iterdir():
        m = re.search(r"\.(\d+)\.(\d+)\.(ipynb|html|exports)$", f.name)
        if m and int(m.group(1)) != os.getpid() and not alive(int(m.group(1))):
            if f.is_dir():
                shutil.rmtree(f, ignore_errors=True)
                continue
            with contextlib.suppress(OSError):
                f.unlink()


#: Thread counts of the numeric libraries (OpenBLAS, OpenMP, MKL) that the report kernels inherit.
BLAS_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def kernel_environment(environ: dict[str, str]) -> dict[str, str]:
    """What the runner adds to the environment its kernels inherit: progress bars off, and one BLAS thread
    per kernel unless the user set a count (several kernels, and the forecast's pool workers, share the
    cores; with a thread per core each, two kernels on two cores ran four threads).

    Example:
        >>> kernel_environment({"OMP_NUM_THREADS": "4"})
        {'OPSPLAYBOOK_PROGRESS': '0', 'OPENBLAS_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}
    """
    out = {"OPSPLAYBOOK_PROGRESS": "0"}
    out.update({k: "1" for k in BLAS_THREAD_VARS if not environ.get(k)})
    return out


#: DuckDB's threads in a report kernel (``opslib.data.engine``; a shop.yml ``threads:`` wins over it).
DUCKDB_THREADS_VAR = "OPSLIB_DUCKDB_THREADS"


def duckdb_environment(environ: dict[str, str], workers: int, cores: int | None = None) -> dict[str, str]:
    """DuckDB's threads per kernel when ``workers`` reports run at once: the cores shared out,
    ``max(1, cores // workers)``, unless the user set :data:`DUCKDB_THREADS_VAR`; nothing for one worker.

    With two kernels on two cores each DuckDB otherwise starts a thread per core: four threads on two cores,
    and on the sample shop the same queries (price panel, RFM, new vs returning, calendar gaps) took 8.0-8.6
    CPU-s on one thread against 8.5-10.8 on two (3 rounds alternated, load 25-28). The runner's own
    validation before the reports (:mod:`opslib.reporting.prevalidate`) runs alone and keeps every core.

    Example:
        >>> duckdb_environment({}, workers=2, cores=2), duckdb_environment({}, workers=1, cores=2)
        ({'OPSLIB_DUCKDB_THREADS': '1'}, {})
        >>> duckdb_environment({"OPSLIB_DUCKDB_THREADS": "4"}, workers=2, cores=8)
        {}
    """
    if workers < 2 or environ.get(DUCKDB_THREADS_VAR):
        return {}
    cores = cores or os.cpu_count() or 1
    return {DUCKDB_THREADS_VAR: str(max(1, cores // workers))}


def longest_first(runs: list[Run], history: list[dict[str, Any]]) -> list[int]:
    """The order to start ``runs`` in (indices): runs without a good run on record first, then the slowest
    last good run first, so that with several workers the longest report does not start last.

    Example:
        >>> from pathlib import Path
        >>> rs = [Run(n, Path(f"{n}.ipynb"), {}, "P") for n in ("00_a", "03_b", "04_c")]
        >>> h = [{"notebook": "00_a", "status": "ok", "seconds": 20.0}, {"notebook": "03_b", "status": "ok", "seconds": 90.0}]
        >>> longest_first(rs, h)
        [2, 1, 0]
    """
    last: dict[str, float] = {}
    for h in history:
        if h.get("status") == "ok" and h.get("notebook"):
            last[str(h["notebook"])] = float(h.get("seconds") or 0.0)
    return sorted(range(len(runs)), key=lambda i: -last.get(runs[i].notebook.stem, float("inf")))


def _execute(runs: list[Run], args: argparse.Namespace) -> int:
    # Kernels inherit this: opslib's progress bars stay off in reports (the runner shows progress itself),
    # one BLAS thread per kernel.
    os.environ.update(kernel_environment(dict(os.environ)))
    # One validation per shop that several reports read, before any starts (each then opens it from the stamp).
    validate_once([effective_data_dir(r, declared_parameters(r.notebook))[0] for r in runs if not r.failed],
                  say=lambda line: print(line, file=sys.stderr, flush=True))
    os.environ.update(duckdb_environment(dict(os.environ), args.workers))  # after the validation: it runs alone
    out: Path = args.out
    total = len(runs)
    progress = args.workers == 1  # per-cell bars only when they cannot interleave
    registry = Registry()
    results: dict[int, RunResult] = {}
    received: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if not received:
            print(f"\n{name}: stopping the running reports (kernels and their processes)...", file=sys.stderr,
                  flush=True)
        received.append(signum)
        # Not in the handler itself: killing and waiting happens in a thread, the handler returns at once.
        threading.Thread(target=registry.stop_all, args=(name,), daemon=True).start()

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, on_signal)
    record_error = ""
    try:
        out.mkdir(parents=True, exist_ok=True)
        _clean_stale_tmp(out / ".tmp")
        print(f"running {total} report(s) with {args.workers} worker(s) into {out}", file=sys.stderr, flush=True)

        def one(run: Run) -> RunResult:
            if registry.reason:
                return _result(run, "interrupted", _now(), error=f"not started: stopped by {registry.reason}")
            if run.failed:
                return _result(run, "failed", _now(), error=run.failed)
            with _LOCK:
                print(f"  start {run.period}/{run.name} (time limit {format_duration(run.timeout or 0)})",
                      file=sys.stderr, flush=True)
            return run_one(run, out_dir=out, kernel=args.kernel, progress=progress, registry=registry)

        start_order = longest_first(runs, read_history(out)) if args.workers > 1 else list(range(total))
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            futures = {pool.submit(one, runs[i]): i for i in start_order}
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:  # run_one does not raise; this is the last line of defence
                    res = _result(runs[i], "failed", _now(), error=f"{type(exc).__name__}: {exc}")
                results[i] = res
                mark = "ok" if res.status == "ok" else f"{res.status.upper()}: {res.error}"
                target = out / (res.html or res.ipynb) if (res.html or res.ipynb) else "(no report written)"
                with _LOCK:
                    print(f"[{len(results)}/{total}] {res.period}/{res.name} {mark} ({res.seconds:.1f} s) -> "
                          f"{target}", file=sys.stderr, flush=True)
    finally:
        reason = registry.reason or "an error of the runner"
        ordered = [results.get(i) or _result(r, "interrupted", _now(), error=f"not run: stopped by {reason}")
                   for i, r in enumerate(runs)]
        try:
            record(ordered, out)
        except Exception as exc:
            record_error = f"{type(exc).__name__}: {exc}"
            print(f"opslib report: could not write {out / 'runs.json'} / index.html: {record_error}",
                  file=sys.stderr)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        with contextlib.suppress(OSError):
            (out / ".tmp").rmdir()  # only when empty
    failed = [r for r in ordered if r.status == "failed"]
    stopped = [r for r in ordered if r.status == "interrupted"]
    print(f"{total - len(failed) - len(stopped)} ok, {len(failed)} failed, {len(stopped)} interrupted; "
          f"index: {out / 'index.html'}", file=sys.stderr)
    if stopped and received:
        return 128 + received[0]
    return EXIT_FAILED if failed or stopped or record_error else EXIT_OK


__all__ = ["apply_timeouts", "data_fingerprint", "describe_cell", "duckdb_environment", "export_folder", "kernel_environment",
           "longest_first", "main", "report_engine", "run_one", "size_timeout", "skip_unused_imports", "to_html"]
