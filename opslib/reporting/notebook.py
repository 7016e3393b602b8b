"""Helpers for the notebooks themselves: one early, clear stop instead of an ``if ready:`` in every cell.

A notebook checks once, right after loading, whether it has anything to show (a period with sales, a campaign
that can be evaluated, enough history). When it has not, it calls :func:`stop_here` with the reason: the
message is printed where a reader looks for the first number, and every later code cell is skipped, so the
report still completes (exit 0) and says plainly why it is short. Markdown cells (the method) still show.

How: inside IPython (JupyterLab, a papermill kernel) an input transformer turns every following cell's code
into nothing; outside IPython (a plain script) there are no cells to skip, so :class:`ReportStopped` is raised.

Example:
    >>> try:
    ...     stop_here("No sales for category '美妆' in 2024-06-01 .. 2024-06-28: skipping the rest of the report.")
    ... except ReportStopped as stop:
    ...     print(stop)
    ⏹ No sales for category '美妆' in 2024-06-01 .. 2024-06-28: skipping the rest of the report.
"""

from __future__ import annotations

from opslib.errors import UserError

STOP_MARK = "⏹"


class ReportStopped(UserError):
    """Raised by :func:`stop_here` outside IPython, where there are no later cells to skip."""


def _skip_cell(lines: list[str]) -> list[str]:
    """IPython input transformer: the cell runs as nothing."""
    return []


def stop_here(reason: str) -> None:
    """Print ``reason`` and skip every later code cell of the notebook (report still succeeds).

    Parameters:
        reason: what is missing, that the rest is skipped, and what to do, in plain words (e.g. which
            categories do exist).

    Returns:
        None inside IPython; raises :class:`ReportStopped` carrying the message elsewhere.
    """
    message = f"{STOP_MARK} {reason.strip()}"
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        get_ipython = None  # type: ignore[assignment]
    ip = get_ipython() if get_ipython else None
    if ip is None:
        raise ReportStopped(message)
    print(message)
    if _skip_cell not in ip.input_transformers_cleanup:
        ip.input_transformers_cleanup.append(_skip_cell)
