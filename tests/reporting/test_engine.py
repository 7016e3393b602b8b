"""The runner's papermill engine writes the executed notebook when the run ends, not at every cell."""

from __future__ import annotations

import json
from pathlib import Path

import papermill
import papermill.engines
import pytest

from opslib.reporting.run import report_engine
from tests.reporting.conftest import write_notebook

CELLS = [f"x{i} = {i}\nprint(x{i})" for i in range(6)]


@pytest.fixture
def writes(monkeypatch) -> list[str]:
    """Every write of the notebook by papermill's execution manager (the per-cell saves)."""
    seen: list[str] = []
    real = papermill.engines.write_ipynb

    def counting(nb, path):
        seen.append(str(path))
        return real(nb, path)

    monkeypatch.setattr(papermill.engines, "write_ipynb", counting)
    return seen


def _run(src: Path, out: Path, engine: str | None) -> None:
    papermill.execute_notebook(str(src), str(out), kernel_name="python3", engine_name=engine, progress_bar=False)


def test_the_notebook_is_written_at_start_and_end_only(tmp_path: Path, writes: list[str]) -> None:
    src = write_notebook(tmp_path / "nb.ipynb", CELLS, "n = 1")
    _run(src, tmp_path / "theirs.ipynb", None)
    theirs = len(writes)
    writes.clear()
    _run(src, tmp_path / "ours.ipynb", report_engine())
    # papermill's engine: start + (start and end of each of the 8 cells, the heading too) + end = 18
    assert theirs == 2 + 2 * 8
    assert len(writes) == 2  # the runner's: start and end
    ours = json.loads((tmp_path / "ours.ipynb").read_text(encoding="utf-8"))
    code = [c for c in ours["cells"] if c["cell_type"] == "code"]
    assert ["".join(c["outputs"][0]["text"]) for c in code[-6:]] == [f"{i}\n" for i in range(6)]
    assert all(c["metadata"]["papermill"]["status"] == "completed" for c in ours["cells"])
    assert all(c["metadata"]["papermill"]["duration"] is not None for c in code)


def test_a_failing_cell_still_leaves_the_executed_notebook(tmp_path: Path) -> None:
    src = write_notebook(tmp_path / "nb.ipynb", ["a = 1", "raise ValueError('boom')", "b = 2"], "n = 1")
    out = tmp_path / "ours.ipynb"
    with pytest.raises(papermill.PapermillExecutionError):
        _run(src, out, report_engine())
    nb = json.loads(out.read_text(encoding="utf-8"))
    errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"] if o["output_type"] == "error"]
    assert [e["evalue"] for e in errors] == ["boom"]


def test_no_autosave_in_a_long_cell(tmp_path: Path, writes: list[str]) -> None:
    # papermill saves a long cell's notebook every `autosave_cell_every` seconds while output arrives; nothing
    # reads the runner's temporary notebook during the run, so the runner's engine does not
    src = write_notebook(tmp_path / "nb.ipynb", ["import time\nfor i in range(6):\n    print(i, flush=True)\n"
                                                 "    time.sleep(0.5)"], "n = 1")
    papermill.execute_notebook(str(src), str(tmp_path / "theirs.ipynb"), kernel_name="python3",
                               engine_name=None, progress_bar=False, autosave_cell_every=1)
    theirs = len(writes)
    writes.clear()
    _run(src, tmp_path / "ours.ipynb", report_engine())
    assert theirs > 2 + 2 * 2  # start, 2 per cell, end: plus at least one autosave in the 3-second cell
    assert len(writes) == 2
    ours = json.loads((tmp_path / "ours.ipynb").read_text(encoding="utf-8"))
    text = "".join("".join(o.get("text", "")) for o in ours["cells"][-1]["outputs"])
    assert text == "".join(f"{i}\n" for i in range(6))
