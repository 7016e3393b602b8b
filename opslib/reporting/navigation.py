"""Links between reports: which report of a schedule came before and after, and relative links between reports.

Every report lives at ``reports/<period>/<name>.html``; the reports of one schedule and name, one per period, form a
chain (oldest period first) that the previous / next links of each page and the dashboard's sparklines follow.
Period labels of one schedule sort in time order (``2025-12-30``, ``2025-W52``, ``2025-12``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def report_href(from_html: str, to_html: str) -> str:
    """A link from one report to another, both given relative to the reports folder.

    Parameters:
        from_html, to_html: the two reports' paths relative to the reports folder.

    Returns:
        The relative link.

    Example:
        >>> report_href("2025-W52/a.html", "2025-W51/a.html"), report_href("2025-W52/a.html", "2025-W52/b.html")
        ('../2025-W51/a.html', 'b.html')
    """
    here = Path(from_html).parent
    there = Path(to_html)
    return there.name if there.parent == here else os.path.relpath(there, here).replace(os.sep, "/")


def chain(runs: list[dict[str, Any]], name: str, schedule: str, out_dir: Path | None = None) -> list[dict[str, Any]]:
    """The good reports of one schedule and name, one per period (its latest run), in period order.

    Parameters:
        runs: the history. name, schedule: the report's name and schedule ('' for runs outside a schedule).
        out_dir: when given, only reports whose HTML file still exists there.

    Returns:
        History entries, oldest period first.

    Example:
        >>> h = [{"name": "r", "schedule": "s", "status": "ok", "period": p, "html": f"{p}/r.html", "started": t}
        ...      for p, t in (("W2", "2"), ("W1", "1"), ("W2", "3"))]
        >>> [(e["period"], e["started"]) for e in chain(h, "r", "s")]
        [('W1', '1'), ('W2', '3')]
    """
    best: dict[str, dict[str, Any]] = {}
    for r in runs:
        if r.get("status") != "ok" or not r.get("html") or r.get("name") != name or \
                (r.get("schedule") or "") != (schedule or ""):
            continue
        if out_dir is not None and not (Path(out_dir) / r["html"]).is_file():
            continue
        p = str(r.get("period", ""))
        if p not in best or str(r.get("started", "")) >= str(best[p].get("started", "")):
            best[p] = r
    return [best[p] for p in sorted(best)]


def neighbours(runs: list[dict[str, Any]], name: str, schedule: str, period: str,
               out_dir: Path | None = None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The reports of the same schedule and name just before and just after ``period`` (None when none).

    Parameters:
        runs: the history. name, schedule, period: the report's. out_dir: only reports whose file exists.

    Returns:
        ``(previous, next)`` history entries.
    """
    reports = chain(runs, name, schedule, out_dir)
    earlier = [r for r in reports if str(r["period"]) < period]
    later = [r for r in reports if str(r["period"]) > period]
    return (earlier[-1] if earlier else None), (later[0] if later else None)


__all__ = ["chain", "neighbours", "report_href"]
