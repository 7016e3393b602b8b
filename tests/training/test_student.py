"""Student copies hold no solution and run; the trainer's grader re-runs answered copies into a score sheet.

One papermill run per notebook of a small trainee folder (04, 00, 02: the quick ones) covers the student copies
running on the sample shop, the masters' solutions being graded correct when pasted into the answer cells, and
the score sheet; the other notebooks' copies are checked statically (their masters run in tests/notebooks).
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from opslib.training import EXERCISES, chapter_exercises, write_student_copies
from opslib.training.notebooks import (
    EXERCISE_TAG,
    SECTION_TAG,
    SOLUTION_TAG,
    chapter_notebooks,
    exercise_ids,
    has_solution,
    placeholder,
    read_notebook,
    source,
    tags,
    write_notebook,
)

ROOT = Path(__file__).resolve().parents[2]
MASTERS = chapter_notebooks(ROOT / "notebooks")
WITH_EXERCISES = [p for p in MASTERS if chapter_exercises(p.name[:2])]


def test_every_chapter_notebook_has_its_exercises() -> None:
    present = {p.name[:2] for p in MASTERS}
    for ch in sorted({e.chapter for e in EXERCISES} & present):
        nb = read_notebook(next(p for p in MASTERS if p.name.startswith(ch)))
        assert exercise_ids(nb) == [e.id for e in chapter_exercises(ch)], ch
    assert present <= {e.chapter for e in EXERCISES}, "a chapter notebook without exercises"


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.name)
def test_the_exercise_section_closes_the_notebook_in_order(path: Path) -> None:
    cells = read_notebook(path)["cells"]
    first = next(i for i, c in enumerate(cells) if SECTION_TAG in tags(c))
    section = cells[first:]
    assert all(SECTION_TAG in tags(c) for c in section), "the exercise section must be the end of the notebook"
    assert 'training.start("' + path.name[:2] + '"' in source(section[1])
    for ex in chapter_exercises(path.name[:2]):
        mine = [c for c in section if c["metadata"].get("opsplaybook", {}).get("exercise") == ex.id]
        kinds = [("question" if c["cell_type"] == "markdown" else "answer" if EXERCISE_TAG in tags(c)
                  else "solution" if SOLUTION_TAG in tags(c) else "other") for c in mine]
        assert kinds[0] == "question" and kinds.count("answer") == kinds.count("solution") == 1, (ex.id, kinds)
        answer = next(c for c in mine if EXERCISE_TAG in tags(c))
        assert source(answer) == placeholder(ex.id), f"{ex.id}: the master's answer cell must stay empty"
        assert source(mine[-1]) == f'training.check("{ex.id}", answer)'
        assert ex.id in source(mine[0]) and ex.question in source(mine[0])


def test_student_copies_hold_no_solution(tmp_path: Path) -> None:
    written = write_student_copies(ROOT / "notebooks", tmp_path)
    assert [p.name for p in written] == [p.name for p in MASTERS]
    assert (tmp_path / "README.md").is_file()
    for master, copy_path in zip(MASTERS, written, strict=True):
        nb = read_notebook(copy_path)
        nbformat.validate(nbformat.reads(copy_path.read_text(encoding="utf-8"), as_version=4))
        assert has_solution(nb) == []
        assert not any(SOLUTION_TAG in tags(c) for c in nb["cells"])
        solutions = [source(c) for c in read_notebook(master)["cells"] if SOLUTION_TAG in tags(c)]
        text = "\n".join(source(c) for c in nb["cells"])
        assert not [s for s in solutions if s in text], f"{copy_path.name} still holds solution code"
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


def test_a_filled_in_answer_counts_as_a_solution_until_the_copy_is_made(tmp_path: Path) -> None:
    nb = read_notebook(WITH_EXERCISES[0])
    answer = next(c for c in nb["cells"] if EXERCISE_TAG in tags(c))
    answer["source"] = ["answer = 1096"]
    assert has_solution(nb)
    path = write_notebook(nb, tmp_path / WITH_EXERCISES[0].name)
    written = write_student_copies(tmp_path, tmp_path / "out")
    assert has_solution(read_notebook(written[0])) == [] and path.is_file()


def _answered_copy(master: Path, out: Path, skip: set[str], wrong: dict[str, str]) -> None:
    """A student copy whose answer cells hold the master's solution (or a wrong answer, or stay empty)."""
    nb = read_notebook(master)
    solutions = {c["metadata"]["opsplaybook"]["exercise"]: source(c) for c in nb["cells"] if SOLUTION_TAG in tags(c)}
    cells = []
    for c in copy.deepcopy(nb["cells"]):
        ex_id = c.get("metadata", {}).get("opsplaybook", {}).get("exercise")
        if SOLUTION_TAG in tags(c):
            continue
        if EXERCISE_TAG in tags(c):
            text = wrong.get(ex_id) or (placeholder(ex_id) if ex_id in skip else solutions[ex_id])
            c["source"] = text.splitlines(keepends=True)
        cells.append(c)
    nb["cells"] = cells
    write_notebook(nb, out / master.name)


@pytest.mark.notebook
@pytest.mark.slow
def test_the_trainer_grades_answered_copies_into_a_score_sheet(small_shop_dir: Path, tmp_path: Path) -> None:
    from opslib.training import grade_folder

    folder = tmp_path / "trainees" / "ann"
    folder.mkdir(parents=True)
    picked = [p for p in MASTERS if p.name[:2] in {"04", "00", "02"}]
    skip = {"04.5", "00.4"}
    wrong = {"00.1": "answer = 12345.0", "02.1": 'answer = "yes"', "04.2": "answer = undefined_name"}
    for master in picked:
        _answered_copy(master, folder, skip, wrong)
    written = grade_folder(tmp_path / "trainees", tmp_path / "sheet.xlsx", {"data_dir": str(small_shop_dir)})
    assert [p.name for p in written] == ["sheet.xlsx", "sheet_detail.xlsx"]
    detail = pd.read_excel(written[1], sheet_name="exercises", dtype={"exercise": str}).set_index("exercise")
    summary = pd.read_excel(written[0], sheet_name="scores").set_index("notebook")
    asked = [e.id for p in picked for e in chapter_exercises(p.name[:2])]
    assert sorted(detail.index) == sorted(asked)
    for ex_id in asked:
        expected = ("unanswered" if ex_id in skip else "error" if ex_id == "04.2" else "wrong" if ex_id in wrong
                    else "correct")
        assert detail.loc[ex_id, "status"] == expected, (ex_id, detail.loc[ex_id].to_dict())
    assert "NameError" in detail.loc["04.2", "note"]
    errors = summary["error"].fillna("")
    assert "NameError" in errors["04_data_quality.ipynb"] and (errors.drop("04_data_quality.ipynb") == "").all()
    assert summary.loc["00_shop_at_a_glance.ipynb", "points"] == len(chapter_exercises("00")) - 2
    assert (summary["trainee"] == "ann").all()
