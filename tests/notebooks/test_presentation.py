"""What every notebook gives the report page: an executive summary shown near the top, teaching cells tagged for
the manager view (headings stay), no TeX (the page loads no MathJax)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
#: Notebooks whose executive summary and teaching tags are still to come (being reworked on other branches, they
#: get both when they land); the set only shrinks.
NO_SUMMARY_YET: set[str] = set()
TEX = re.compile(r"(?<![\\$])\$[^$\s][^$\n]*\$|\$\$|\\\(|\\\[")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_summary_is_shown_before_the_first_section(path: Path) -> None:
    if path.name in NO_SUMMARY_YET:
        pytest.skip(f"{path.name}: its executive summary lands with its rework")
    cells = nbformat.read(path, as_version=4).cells
    shown = next((i for i, c in enumerate(cells) if c.cell_type == "code" and ".show()" in c.source
                  and "ExecutiveSummary(" in "".join(x.source for x in cells[:i + 1] if x.cell_type == "code")), None)
    assert shown is not None, f"{path.name}: no ExecutiveSummary(...).show() cell"
    first_section = next(i for i, c in enumerate(cells) if c.cell_type == "markdown"
                         and re.search(r"^## [1-9]", c.source, flags=re.M))
    assert shown < first_section, f"{path.name}: the summary is shown after the first section"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_teaching_cells_are_tagged_for_the_manager_view(path: Path) -> None:
    if path.name in NO_SUMMARY_YET:
        pytest.skip(f"{path.name}: tagged when its rework lands")
    cells = nbformat.read(path, as_version=4).cells
    markdown = [c for c in cells if c.cell_type == "markdown"]
    teaching = [c for c in markdown if "teaching" in c.metadata.get("tags", [])]
    assert teaching, f"{path.name}: tag the learning objectives and the Why / How / How to read cells 'teaching'"
    intro = markdown[0]
    assert "teaching" in intro.metadata.get("tags", []), f"{path.name}: the introduction is teaching (its title stays)"
    untagged = [c.source.splitlines()[0] for c in markdown if c not in teaching
                and re.search(r"\*\*(Why|How)\b|Learning objectives|学习目标", c.source)]
    assert not untagged, f"{path.name}: untagged teaching cells {untagged}"
    assert not [c for c in cells if c.cell_type == "code" and "summary.show()" in c.source
                and "teaching" in c.metadata.get("tags", [])], "the summary is never teaching"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_tex_math(path: Path) -> None:
    """The report page loads no MathJax (no CDN), so formulas are written in Unicode and code, never TeX."""
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "markdown":
            text = re.sub(r"`[^`]*`", "", cell.source)  # code spans may hold a dollar sign
            assert not TEX.search(text), f"{path.name} cell {i} writes TeX math"
