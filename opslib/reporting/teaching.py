"""Tag a notebook's teaching cells for the manager view, as notebooks 00, 01, 04 and 06 are tagged.

The report page hides markdown cells tagged ``teaching`` in its manager view and keeps their headings
(:func:`opslib.reporting.html.split_teaching`). The convention: every markdown cell is teaching (the introduction
with its learning objectives, Setup, each section's Why / How / How to read it / What to decide) except the closing
"What to look at next" (下一步看什么) table, which a manager uses to pick the next report, and a closing "Summary". Code cells are never
tagged: the summary and the tables and charts stay.

Run it on a notebook whose rework has landed (it only adds tags, so the cells' sources are unchanged)::

    python -m opslib.reporting.teaching notebooks/02_campaign_evaluation.ipynb notebooks/03_trend_forecasting.ipynb
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from opslib.reporting.html import EXERCISES, TEACHING

#: A markdown cell that stays in the manager view: the closing "What to look at next" table or closing "Summary"
#: (a heading that is only that, after an optional section number and Chinese title).
KEEP = re.compile(r"^#+ (?:\d+\s*[·.]\s*)?(?:\S+\s+)?(?:What to look at next|Summary)\s*$", re.M)


def tag_teaching(cells: list[Any]) -> int:
    """Tag the teaching markdown cells (module doc) in place.

    Rule: a markdown cell gets the ``teaching`` tag unless a heading of it matches :data:`KEEP` or it belongs to
    the exercise section (tagged ``exercises``, hidden whole by the page); tags already there stay, nothing is
    tagged twice.

    Parameters:
        cells: notebook cells (``nbformat`` nodes).

    Returns:
        How many cells got the tag now.

    Example:
        >>> import nbformat
        >>> cells = [nbformat.v4.new_markdown_cell("# 02 · Review\\n\\n**Why** — ..."), nbformat.v4.new_code_cell("x"),
        ...          nbformat.v4.new_markdown_cell("## 8 · 下一步看什么 What to look at next\\n\\n| a | b |")]
        >>> tag_teaching(cells), [c.metadata.get("tags") for c in cells], tag_teaching(cells)
        (1, [['teaching'], None, None], 0)
    """
    added = 0
    for cell in cells:
        if cell.cell_type != "markdown" or KEEP.search(cell.source) or EXERCISES in (cell.metadata.get("tags") or []):
            continue  # an exercise section is hidden whole in the manager view (its own tag)
        tags = list(cell.metadata.get("tags") or [])
        if TEACHING not in tags:
            cell.metadata["tags"] = [*tags, TEACHING]
            added += 1
    return added


def tag_notebook(path: str | Path) -> int:
    """Tag one notebook file's teaching cells (:func:`tag_teaching`) and save it when anything changed.

    Parameters:
        path: the ``.ipynb`` file.

    Returns:
        How many cells got the tag.
    """
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    added = tag_teaching(nb.cells)
    if added:
        nbformat.write(nb, str(path))
    return added


def main(argv: list[str] | None = None) -> int:
    """``python -m opslib.reporting.teaching NOTEBOOK...``: tag each notebook and say how many cells.

    Parameters:
        argv: the notebook paths (default: the command line).

    Returns:
        The exit status (0; 2 when a file is missing).
    """
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing or not paths:
        print(f"usage: python -m opslib.reporting.teaching NOTEBOOK.ipynb ...; not found: {', '.join(missing)}")
        return 2
    for p in paths:
        print(f"{p}: {tag_notebook(p)} cell(s) tagged {TEACHING}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

__all__ = ["KEEP", "main", "tag_notebook", "tag_teaching"]
