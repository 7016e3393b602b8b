"""Every committed notebook is stripped of outputs and starts with a papermill parameters cell."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts (run nbstripout)"
    first = nb.cells[0]
    assert first.cell_type == "code", f"{path.name}: the first cell must be the parameters code cell"
    assert "parameters" in first.metadata.get("tags", []), f"{path.name}: first cell is not tagged 'parameters'"
    assert "data_dir" in first.source, f"{path.name}: the parameters cell must set data_dir"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_parameter_is_visible_to_papermill(path: Path) -> None:
    """papermill must parse every assignment of the parameters cell, or the runner cannot check or set it."""
    import ast

    import papermill

    nb = nbformat.read(path, as_version=4)
    assigned = {t.id for node in ast.parse(nb.cells[0].source).body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    parsed = set(papermill.inspect_notebook(str(path)))
    assert parsed == assigned, f"{path.name}: papermill cannot parse {sorted(assigned - parsed)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_states_its_tables_and_objectives(path: Path) -> None:
    """The template: the second cell names the tables the notebook needs and its learning objectives."""
    nb = nbformat.read(path, as_version=4)
    intro = "\n".join(c.source for c in nb.cells[1:4] if c.cell_type == "markdown").lower()
    assert "table" in intro or "表" in intro, f"{path.name}: say which tables it needs"
    assert any(w in intro for w in ("objective", "learn", "目标")), f"{path.name}: state the learning objectives"


#: Notebooks not yet moved to the thin-cell layout (docs/notebook_conventions.md); remove a name once its cells
#: no longer draw, format or compute by themselves. The list only ever shrinks.
NOT_YET_THIN: set[str] = set()
#: What a notebook cell must not do itself: draw (matplotlib/seaborn), format numbers cell by cell, or
#: compute with pandas (resample, groupby, filters on frames): that belongs in opslib, tested.
FORBIDDEN = {
    "matplotlib or seaborn": ("import matplotlib", "import seaborn", "plt.", "sns."),
    "per-cell number formatting": (".map(plotting", ".map(money", ".map(percent", ".map(lambda"),
    "pandas computations": (".resample(", ".groupby(", ".merge(", ".pivot(", ".query(", "pd.Timedelta(",
                            ".isin(", ".crosstab("),
    "a guard repeated in every cell": ("if ready", "if ok"),
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_cells_stay_thin(path: Path) -> None:
    if path.name in NOT_YET_THIN:
        pytest.skip(f"{path.name} still draws or computes in its cells (being moved into opslib)")
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for what, needles in FORBIDDEN.items():
            hits = [n for n in needles if n in cell.source]
            if hits:
                found.append(f"cell {i}: {what} ({', '.join(hits)})")
    assert not found, f"{path.name}: " + "; ".join(found)
