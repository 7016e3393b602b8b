"""Running a notebook in a test: execute with papermill, then read what it printed and drew."""

from __future__ import annotations

from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def run_notebook(notebook: str | Path, out: Path, **parameters: object) -> nbformat.NotebookNode:
    """Execute ``notebook`` (a path, or a file name in notebooks/) into ``out``; raises on a failing cell."""
    import papermill as pm

    path = Path(notebook) if Path(notebook).is_absolute() else NOTEBOOKS / notebook
    pm.execute_notebook(str(path), str(out), parameters=parameters, kernel_name="python3",
                        cwd=str(path.parent), progress_bar=False, start_timeout=600)
    return nbformat.read(out, as_version=4)


def output_text(nb: nbformat.NotebookNode) -> str:
    """Everything the executed notebook showed as text: printed streams and text/plain results."""
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                parts.append(o.get("text", ""))
            elif "data" in o:
                parts.append(o["data"].get("text/plain", ""))
    return "\n".join(parts)


def image_count(nb: nbformat.NotebookNode) -> int:
    """How many PNG charts the executed notebook drew."""
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
