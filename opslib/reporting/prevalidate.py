"""Validate once, before a batch of reports: every report of the batch then opens the shop from its stamp.

Each notebook's first cell opens the shop with ``load_shop(validate=True)``. A clean validation leaves a
stamp in the cache (``opslib.data.stamp``), so only the first open of unchanged files pays for the checks;
but eight reports started two at a time would each find no stamp yet and check the same files. The runner
therefore validates every DuckDB shop that two or more of its runs read, once, before it starts them
(``python -m opslib validate`` does the same by hand). At 100M lines that is one validation (about an hour
on two loaded cores) instead of one per report; on the 1M-line sample about 3 CPU-s per report.

Nothing changes when the validation finds problems: no stamp is written, and each report shows them as
before. A shop already stamped is not checked again (``OPSLIB_REVALIDATE=1`` forces it); Spark shops are
left to their reports (the runner does not start a Spark session of its own).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["validate_once"]


def validate_once(data_dirs: Iterable[Path | None], say: Callable[[str], None] = print,
                  min_runs: int = 2) -> dict[Path, str]:
    """Validate each shop folder that ``min_runs`` or more runs read, once; return what happened per folder.

    Parameters:
        data_dirs: the shop folder of every run (None for a run without one; repeats count the runs).
        say: where the progress lines go (the runner passes stderr). min_runs: validate a folder only when
            at least this many runs read it.

    Returns:
        Folder -> ``'stamped'`` (already validated, files unchanged), ``'validated'`` (clean now, stamp
        written), ``'problems'`` (each report will show them), ``'skipped'`` (Spark or not a folder) or
        ``'failed: <reason>'`` (the reports validate on their own).

    Example:
        >>> validate_once([None, None])
        {}
    """
    from opslib.data import stamp as stamps
    from opslib.data import validate_shop
    from opslib.data.relations import open_shop
    from opslib.data.settings import read_settings

    counts = Counter(Path(d).resolve() for d in data_dirs if d is not None)
    out: dict[Path, str] = {}
    for folder, n in counts.items():
        if n < min_runs:
            continue
        try:
            if not folder.is_dir() or read_settings(folder).engine != "duckdb":
                out[folder] = "skipped"
                continue
            shop = open_shop(folder)
            try:
                found = None if stamps.revalidate_env() else stamps.find_stamp(shop)
            finally:
                shop.engine.close()
            if found is not None:
                out[folder] = "stamped"
                say(f"{folder}: validated before, files unchanged; {n} reports open it without re-checking")
                continue
            say(f"{folder}: validating once for {n} reports ...")
            report = validate_shop(folder, progress=say)
            out[folder] = "problems" if report.problems else "validated"
            say(f"{folder}: {len(report.problems)} problem(s); each report shows them" if report.problems
                else f"{folder}: valid; the {n} reports open it without re-checking")
        except Exception as exc:  # noqa: BLE001 - a failure here must never stop the reports
            out[folder] = f"failed: {exc}"
            say(f"{folder}: could not validate ahead ({exc}); each report validates on its own")
    return out
