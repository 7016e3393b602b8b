"""The trainer's report: run a trainee's answered notebooks through papermill and write a score sheet.

``python -m opslib training grade FOLDER --out sheet.xlsx`` takes a folder of answered notebooks (one trainee)
or a folder of such folders (one per trainee), removes any solution cell (only what the trainee wrote in the
answer cells counts), executes each notebook with papermill — so every answer is recomputed from the data by
the trainee's own code and graded by ``opslib.training.check`` then, never read from outputs a trainee could
have edited — and collects the check records (:data:`opslib.training.checks.CHECK_MIME`) of the executed
notebook. ``data_dir`` may point the notebooks at another shop than the one they were answered on (a shop of
a fresh seed catches answers typed in by hand instead of computed). A notebook that fails keeps the records
of every other cell (cells run on after an error), and the sheet says which cell failed first.

The sheet (through ``opslib.reporting.exports.write_table``: formula-safe CSV / xlsx): ``<out>`` has one row
per trainee and chapter (points, of, share, answered, correct, error); ``<out stem>_detail`` one row per
exercise (status, points, what the key came from).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from opslib.training.checks import CHECK_MIME
from opslib.training.exercises import chapter_exercises
from opslib.training.notebooks import SOLUTION_TAG, chapter_notebooks, read_notebook, tags, write_notebook
from opslib.training.path import chapter

DETAIL_COLUMNS = ["trainee", "notebook", "exercise", "question", "status", "points", "max_points", "source", "attempt",
                  "note"]
SUMMARY_COLUMNS = ["trainee", "notebook", "chapter", "points", "max_points", "share", "answered", "correct", "error"]


def check_records(nb: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The last check record of each exercise in an executed notebook (outputs under ``CHECK_MIME``).

    Parameters:
        nb: an executed notebook (a dict).

    A cell of an exercise that raised makes that exercise ``error`` (its check would have graded the ``answer``
    left over from the exercise before).

    Returns:
        Exercise id -> record (``status``, ``points``, ``max_points``, ``source``, ``attempt``, maybe ``note``).

    Example:
        >>> cell = {"cell_type": "code", "outputs": [{"output_type": "execute_result", "data": {CHECK_MIME: {
        ...     "exercise": "00.1", "status": "correct", "points": 1, "max_points": 1}}}]}
        >>> check_records({"cells": [cell]})["00.1"]["status"]
        'correct'
    """
    found: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    for cell in nb.get("cells", []):
        ex_id = cell.get("metadata", {}).get("opsplaybook", {}).get("exercise")
        for out in cell.get("outputs", []) or []:
            rec = (out.get("data") or {}).get(CHECK_MIME)
            if isinstance(rec, dict) and rec.get("exercise"):
                found[str(rec["exercise"])] = rec
            if out.get("output_type") == "error" and ex_id and ex_id not in failed:
                failed[ex_id] = f"{out.get('ename')}: {str(out.get('evalue'))[:120]}"
    for ex_id, what in failed.items():  # a check after a failed answer cell graded a stale `answer`
        found[ex_id] = {"exercise": ex_id, "status": "error", "points": 0, "max_points": found.get(ex_id, {}).get(
            "max_points", 1), "source": "", "attempt": 0, "note": f"the answer cell failed: {what}"}
    return found


@dataclass(frozen=True)
class GradedNotebook:
    """One trainee notebook after the grading run: its records and, when it failed, where."""

    trainee: str
    path: Path
    records: dict[str, dict[str, Any]]
    error: str = ""

    def rows(self) -> list[dict[str, Any]]:
        """One detail row per exercise of the chapter (``not checked`` when its check never ran)."""
        ch = self.path.name[:2]
        out = []
        for ex in chapter_exercises(ch):
            rec = self.records.get(ex.id, {})
            out.append({"trainee": self.trainee, "notebook": self.path.name, "exercise": ex.id,
                        "question": ex.question, "status": rec.get("status", "not checked"),
                        "points": int(rec.get("points", 0) or 0), "max_points": int(rec.get("max_points", ex.points)),
                        "source": rec.get("source", ""), "attempt": rec.get("attempt", 0),
                        "note": rec.get("note", "")})
        return out


def _without_solutions(src: Path, dst: Path) -> Path:
    nb = read_notebook(src)
    nb["cells"] = [c for c in nb["cells"] if SOLUTION_TAG not in tags(c)]
    return write_notebook(nb, dst)


def grade_notebook(path: str | Path, trainee: str, parameters: dict[str, Any] | None = None,
                   timeout: float | None = None) -> GradedNotebook:
    """Execute one answered notebook (solution cells removed) and collect its check records.

    Parameters:
        path: the trainee's notebook. trainee: the name on the sheet. parameters: papermill parameters (e.g.
            ``data_dir``). timeout: seconds per cell (None: no limit).

    Returns:
        :class:`GradedNotebook`; ``error`` names the failing cell when the run stopped.
    """
    import papermill as pm

    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="opsplaybook-grade-") as tmp:
        src = _without_solutions(path, Path(tmp) / path.name)
        out = Path(tmp) / f"executed_{path.name}"
        error = ""
        try:
            # allow_errors: a failing answer cell costs that exercise only; the later checks still run
            pm.execute_notebook(str(src), str(out), parameters=parameters or {}, kernel_name="python3",
                                cwd=str(path.parent.resolve()), progress_bar=False, execution_timeout=timeout,
                                allow_errors=True)
        except pm.PapermillExecutionError as exc:
            error = f"cell {exc.exec_count}: {exc.ename}: {str(exc.evalue)[:200]}"
        except Exception as exc:  # noqa: BLE001 - a broken notebook is that trainee's result, not the sheet's end
            error = f"{type(exc).__name__}: {str(exc)[:200]}"
        records = check_records(read_notebook(out)) if out.is_file() else {}
    return GradedNotebook(trainee, path, records, error)


def trainee_folders(folder: str | Path) -> list[tuple[str, Path]]:
    """``(trainee, folder)`` pairs: the folder itself when it holds chapter notebooks, else its subfolders that do.

    Parameters:
        folder: one trainee's notebooks, or a folder of trainee folders.

    Returns:
        The pairs, sorted by trainee name.

    Example:
        >>> trainee_folders("/nonexistent")
        []
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    if chapter_notebooks(folder):
        return [(folder.resolve().name, folder)]
    return [(d.name, d) for d in sorted(folder.iterdir()) if d.is_dir() and chapter_notebooks(d)]


def score_sheet(graded: list[GradedNotebook]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The score sheet of graded notebooks: ``(summary, detail)`` (columns in the module docstring).

    Formula: ``share = points / max_points`` per trainee and chapter; ``answered`` counts exercises whose status
    is neither ``unanswered`` nor ``not checked``.

    Parameters:
        graded: :func:`grade_notebook` results.

    Returns:
        Two frames: one row per trainee × notebook, one row per exercise.

    Example:
        >>> g = GradedNotebook("ann", Path("04_data_quality.ipynb"), {"04.1": {"status": "correct", "points": 1}})
        >>> summary, detail = score_sheet([g])
        >>> summary[["points", "max_points", "answered"]].iloc[0].tolist(), len(detail)
        ([1, 5, 1], 5)
    """
    detail = pd.DataFrame([r for g in graded for r in g.rows()], columns=DETAIL_COLUMNS)
    rows = []
    for g in graded:
        d = detail[(detail["trainee"] == g.trainee) & (detail["notebook"] == g.path.name)]
        c = chapter(g.path.name[:2])
        points, of = int(d["points"].sum()), int(d["max_points"].sum())
        rows.append({"trainee": g.trainee, "notebook": g.path.name, "chapter": f"{c.number} {c.zh} {c.en}",
                     "points": points, "max_points": of, "share": points / of if of else float("nan"),
                     "answered": int((~d["status"].isin(["unanswered", "not checked", "error"])).sum()),
                     "correct": int((d["status"] == "correct").sum()), "error": g.error})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS), detail


def grade_folder(folder: str | Path, out: str | Path, parameters: dict[str, Any] | None = None,
                 timeout: float | None = None) -> list[Path]:
    """Grade every trainee notebook under ``folder`` and write the score sheet to ``out`` (``.xlsx`` or ``.csv``).

    Parameters:
        folder: see :func:`trainee_folders`. out: the sheet file; the detail goes beside it as ``<stem>_detail``.
        parameters: papermill parameters for every notebook (e.g. ``{"data_dir": "/data/exam_shop"}``).
        timeout: seconds per cell.

    Returns:
        The files written (summary first).
    """
    from opslib.reporting.exports import write_table
    from opslib.training.checks import TrainingError

    pairs = trainee_folders(folder)
    if not pairs:
        raise TrainingError(f"no chapter notebooks (NN_*.ipynb) in {folder} or its subfolders")
    out = Path(out)
    fmt = out.suffix.lower().lstrip(".") or "xlsx"
    graded = [grade_notebook(nb, trainee, parameters, timeout) for trainee, d in pairs for nb in chapter_notebooks(d)]
    summary, detail = score_sheet(graded)
    written = write_table(summary, out.parent, out.stem, formats=[fmt], sheet="scores")
    written += write_table(detail, out.parent, f"{out.stem}_detail", formats=[fmt], sheet="exercises")
    return written
