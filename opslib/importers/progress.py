"""Progress lines of ``python -m opslib import``: rows scanned and elapsed time, on stderr.

Readers (``common.read_csv_text``, ``sources.read_source``, the Excel branch of the adapters) and the
steps of ``cli.import_and_write`` call :func:`report`; nothing is printed unless a printer is active
(:func:`reporting`, which the command line sets). A line is printed when at least ``interval`` seconds
(``OPSLIB_PROGRESS_INTERVAL``, default 1) have passed since the last one, so a quick import stays quiet
and a long one shows where it is::

    [import    14.2s] online_retail_II.xlsx: 1,067,371 rows read (1,067,371 rows scanned)

Example:
    >>> seen = []
    >>> with reporting(seen.append):
    ...     rows_read("orders.csv", 1200)
    ...     report("checked")
    >>> seen
    ['orders.csv: 1,200 rows read (1,200 rows scanned)', 'checked']
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["printer", "report", "reporting", "rows_read"]

Progress = Callable[[str], None]
_current: ContextVar[tuple[Progress, list[int]] | None] = ContextVar("opslib_import_progress", default=None)


def report(message: str) -> None:
    """Pass ``message`` to the active progress printer, if any."""
    active = _current.get()
    if active is not None:
        active[0](message)


def rows_read(name: str, rows: int) -> None:
    """Report ``rows`` read from file ``name`` with the running total of rows scanned."""
    active = _current.get()
    if active is not None:
        active[1][0] += rows
        active[0](f"{name}: {rows:,} rows read ({active[1][0]:,} rows scanned)")


@contextmanager
def reporting(progress: Progress | None) -> Iterator[None]:
    """Send :func:`report` lines to ``progress`` inside the block (None: none)."""
    token = _current.set((progress, [0]) if progress is not None else None)
    try:
        yield
    finally:
        _current.reset(token)


def printer(interval: float | None = None) -> Progress:
    """A callback printing ``[import   12.3s] message`` to stderr, at most one line per ``interval`` seconds.

    Parameters:
        interval: seconds between lines (default ``OPSLIB_PROGRESS_INTERVAL`` or 1; 0 prints every line).

    Returns:
        The callback.
    """
    if interval is None:
        try:
            interval = float(os.environ.get("OPSLIB_PROGRESS_INTERVAL", "1"))
        except ValueError:
            interval = 1.0
    t0 = time.perf_counter()
    last = [t0]

    def show(message: str) -> None:
        now = time.perf_counter()
        if now - last[0] >= interval:
            last[0] = now
            print(f"[import {now - t0:7.1f}s] {message}", file=sys.stderr, flush=True)

    return show
