"""Every committed notebook is stripped of outputs and starts with a papermill parameters cell."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


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
