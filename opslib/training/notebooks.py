"""The exercise sections of the notebooks, by cell tags: student copies, and carrying a section across a merge.

Every cell of a chapter's exercise section (appended at the end of the notebook) is tagged
``exercises``; the cell where the trainee writes the answer is also tagged ``exercise`` and the
solution cell ``solution``; cell metadata ``opsplaybook.exercise`` names the exercise (``"01.2"``).

* :func:`student_copy` removes the solution cells, resets every answer cell to its placeholder
  (``answer = None  # ...``) and strips outputs: the copy a trainer hands out (``make student``).
* :func:`transplant` replaces the exercise section (and the glossary line of the intro) of one notebook by
  another's: when a notebook was rewritten on another branch, take the new notebook and carry the
  exercises over (``python -m opslib training transplant FROM.ipynb INTO.ipynb``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from opslib.training.exercises import exercise
from opslib.training.path import CHAPTERS

SECTION_TAG = "exercises"
EXERCISE_TAG = "exercise"
SOLUTION_TAG = "solution"
#: The intro line every notebook carries (after its learning objectives).
GLOSSARY_LINE = ("📖 术语表 Glossary: every metric and formula of this notebook is in "
                 "[`docs/glossary.md`](../docs/glossary.md); the order of the chapters is the learning path in "
                 "[`docs/training.md`](../docs/training.md). 练习 Exercises with self-checks close the notebook.")


def read_notebook(path: str | Path) -> dict[str, Any]:
    """A notebook file as plain JSON (a dict), exactly as stored.

    Parameters:
        path: the ``.ipynb`` file.

    Returns:
        The parsed notebook.

    Example:
        >>> import tempfile
        >>> path = write_notebook({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
        ...                       Path(tempfile.mkdtemp()) / "x.ipynb")
        >>> read_notebook(path)["nbformat"], path.read_text(encoding="utf-8").endswith("\\n")
        (4, True)
    """
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_notebook(nb: dict[str, Any], path: str | Path) -> Path:
    """Write a notebook the way the repository stores them (one-space indent, UTF-8 text, keys in their order).

    Keeping the key order and the layout of the committed files keeps a diff to the cells that changed.

    Parameters:
        nb: the notebook (a dict). path: the file.

    Returns:
        The path written.
    """
    path = Path(path)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def source(cell: dict[str, Any]) -> str:
    r"""A cell's source as one string (notebook files store it as a list of lines or as a string).

    Parameters:
        cell: a notebook cell.

    Returns:
        The source text.

    Example:
        >>> source({"source": ["a = 1\n", "b = 2"]})
        'a = 1\nb = 2'
    """
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def tags(cell: Any) -> list[str]:
    """The tags of a notebook cell (empty list when none).

    Parameters:
        cell: a notebook cell (a dict).

    Returns:
        Its ``metadata.tags``.

    Example:
        >>> tags({"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": ""})
        ['solution']
    """
    return list(cell.get("metadata", {}).get("tags", []))


def placeholder(exercise_id: str) -> str:
    """The answer cell as the trainee first sees it: ``answer = None`` and the expected format.

    Parameters:
        exercise_id: the exercise, e.g. ``"00.1"``.

    Returns:
        The cell's source.

    Example:
        >>> placeholder("04.1")
        'answer = None  # 你的答案 your answer: a whole number of days, e.g. 365'
    """
    return f"answer = None  # 你的答案 your answer: {exercise(exercise_id).answer_format}"


def _code(text: str, tag_list: list[str], meta: dict[str, Any] | None = None, cell_id: str | None = None) -> dict:
    cell: dict[str, Any] = {"cell_type": "code"}
    if cell_id:
        cell["id"] = cell_id
    cell.update({"metadata": {"tags": tag_list, **(meta or {})}, "source": _lines(text), "execution_count": None,
                 "outputs": []})
    return cell


def student_copy(nb: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``nb`` for trainees: no solution cells, answer cells reset, no outputs.

    Parameters:
        nb: a notebook (a dict, as :func:`read_notebook` gives it).

    Returns:
        A new notebook; ``nb`` is not modified.

    Example:
        >>> meta = {"opsplaybook": {"exercise": "04.1"}}
        >>> nb = {"cells": [_code("answer = 42", ["exercises", "exercise"], meta),
        ...                 _code("answer = 1096", ["exercises", "solution"], meta)], "metadata": {}}
        >>> [source(c) for c in student_copy(nb)["cells"]]
        ['answer = None  # 你的答案 your answer: a whole number of days, e.g. 365']
    """
    out = copy.deepcopy(nb)
    cells = []
    for cell in out["cells"]:
        t = tags(cell)
        if SOLUTION_TAG in t:
            continue
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
            ex_id = cell.get("metadata", {}).get("opsplaybook", {}).get("exercise")
            if EXERCISE_TAG in t and ex_id:
                cell["source"] = _lines(placeholder(ex_id))
        cells.append(cell)
    out["cells"] = cells
    out.setdefault("metadata", {}).setdefault("opsplaybook", {})["student_copy"] = True
    return out


def has_solution(nb: dict[str, Any]) -> list[int]:
    """Indices of the cells that give a solution away: tagged ``solution``, or an answer cell not at its placeholder.

    Parameters:
        nb: a notebook.

    Returns:
        The offending cell indices (empty for a clean student copy).

    Example:
        >>> has_solution({"cells": [_code("x = 1", [])]})
        []
    """
    bad = []
    for i, cell in enumerate(nb["cells"]):
        t = tags(cell)
        ex_id = cell.get("metadata", {}).get("opsplaybook", {}).get("exercise")
        if SOLUTION_TAG in t or (EXERCISE_TAG in t and ex_id and source(cell) != placeholder(ex_id)):
            bad.append(i)
    return bad


def exercise_ids(nb: dict[str, Any]) -> list[str]:
    """The exercises a notebook asks, in order (from its answer cells' metadata).

    Parameters:
        nb: a notebook.

    Returns:
        Exercise ids such as ``["00.1", "00.2"]``.

    Example:
        >>> exercise_ids({"cells": [_code("answer = None", ["exercises", "exercise"], {"opsplaybook": {"exercise": "00.1"}})]})
        ['00.1']
    """
    return [c["metadata"]["opsplaybook"]["exercise"] for c in nb["cells"]
            if EXERCISE_TAG in tags(c) and c.get("metadata", {}).get("opsplaybook", {}).get("exercise")]


def chapter_notebooks(folder: str | Path) -> list[Path]:
    """The chapter notebooks of ``folder`` (``NN_*.ipynb`` of the learning path), in learning-path order.

    Parameters:
        folder: e.g. ``notebooks/``.

    Returns:
        Paths, ordered 04, 00, 01, ... (chapters that are not there are left out).

    Example:
        >>> chapter_notebooks("/nonexistent")
        []
    """
    folder = Path(folder)
    out = []
    for c in CHAPTERS:
        out += sorted(folder.glob(f"{c.number}_*.ipynb"))
    return out


def write_student_copies(notebooks: str | Path, out: str | Path) -> list[Path]:
    """Write :func:`student_copy` of every chapter notebook of ``notebooks`` into ``out`` (same file names).

    Also writes ``out/README.md`` (what the folder is and how to start). ``out`` is created; files of the
    same names are replaced, other files are left alone.

    Parameters:
        notebooks: the folder of the master notebooks. out: the folder to hand out.

    Returns:
        The notebooks written, in learning-path order.

    Example:
        >>> import tempfile
        >>> src, out = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
        >>> _ = write_notebook({"cells": [_code("answer = 3", ["exercises", "solution"])], "metadata": {}},
        ...                    src / "04_data_quality.ipynb")
        >>> [p.name for p in write_student_copies(src, out)], read_notebook(out / "04_data_quality.ipynb")["cells"]
        (['04_data_quality.ipynb'], [])
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in chapter_notebooks(notebooks):
        target = out / path.name
        write_notebook(student_copy(read_notebook(path)), target)
        written.append(target)
    order = " → ".join(p.name.split("_")[0] for p in written)
    (out / "README.md").write_text(
        "# 学员版笔记本 Student notebooks\n\n"
        "Copies of the playbook's notebooks without solutions, for new operators. Work through them in the order "
        f"of the learning path ({order}; `docs/training.md`). Run each notebook, answer the exercises at its end "
        "(set `answer = ...` in the cell marked 你的答案) and run the check below it: it says whether the answer "
        "is right and gives a hint when it is not.\n\n"
        "The notebooks read `data_dir` (first cell); the default is the sample shop in `../data/sample` "
        "(`make sample`). Hand your answered notebooks to your trainer: "
        "`python -m opslib training grade FOLDER --out sheet.xlsx` grades them.\n", encoding="utf-8")
    return written


def _section(nb: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in nb["cells"] if SECTION_TAG in tags(c)]


def transplant(from_nb: dict[str, Any], into_nb: dict[str, Any]) -> dict[str, Any]:
    """``into_nb`` with its exercise section replaced by ``from_nb``'s, and the glossary line in its intro.

    For merges: when another branch rewrote a notebook, take that version as ``into_nb`` and carry this
    branch's exercises (``from_nb``) over; the section goes to the end, the glossary line to the end of the
    intro (the first markdown cell after the parameters cell).

    Parameters:
        from_nb: the notebook with the exercises. into_nb: the notebook to receive them.

    Returns:
        A new notebook.

    Example:
        >>> src = {"cells": [{"cell_type": "markdown", "metadata": {"tags": ["exercises"]}, "source": ["## 练习"]}]}
        >>> dst = {"cells": [_code("x", []), {"cell_type": "markdown", "metadata": {}, "source": ["# T"]}]}
        >>> [source(c)[:3] for c in transplant(src, dst)["cells"]]
        ['x', '# T', '## ']
    """
    out = copy.deepcopy(into_nb)
    out["cells"] = [c for c in out["cells"] if SECTION_TAG not in tags(c)] + copy.deepcopy(_section(from_nb))
    intro = next((c for c in out["cells"][1:] if c.get("cell_type") == "markdown"), None)
    if intro is not None and GLOSSARY_LINE not in source(intro):
        intro["source"] = _lines(source(intro).rstrip("\n") + "\n\n" + GLOSSARY_LINE)
    return out
