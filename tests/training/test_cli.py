"""The training commands: glossary, path, student copies, drill grading, transplant; wrong requests exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from opslib.__main__ import main as opslib_main
from opslib.training.cli import main
from opslib.training.notebooks import GLOSSARY_LINE, SECTION_TAG, read_notebook, source, tags, write_notebook

ROOT = Path(__file__).resolve().parents[2]


def test_glossary_command_writes_the_file(tmp_path: Path, capsys) -> None:
    assert opslib_main(["glossary", str(tmp_path / "g.md")]) == 0
    assert (tmp_path / "g.md").read_text(encoding="utf-8") == (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    assert "wrote" in capsys.readouterr().out


def test_path_and_student(tmp_path: Path, capsys) -> None:
    assert opslib_main(["training", "path"]) == 0
    out = capsys.readouterr().out
    assert out.index("04") < out.index("00") and "intermediate" in out
    assert main(["student", str(tmp_path / "student")]) == 0
    assert (tmp_path / "student" / "README.md").is_file()
    assert sorted(p.name for p in (tmp_path / "student").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_drill_grade_command(tmp_path: Path, capsys) -> None:
    answer = {"kind": "traffic_loss", "where": "食品", "where_means": "category", "start": "2025-11-26",
              "start_tolerance_days": 7, "size": -0.45, "size_tolerance": 0.15, "size_means": "visitors"}
    (tmp_path / "a.json").write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "f.json").write_text(json.dumps({"kind": "流量下滑", "where": "food", "start": "2025-11-30",
                                                 "size": "-40%"}, ensure_ascii=False), encoding="utf-8")
    assert main(["drill-grade", str(tmp_path / "f.json"), str(tmp_path / "a.json")]) == 0
    out = capsys.readouterr().out
    assert "100 / 100" in out and "食品" not in out
    assert main(["drill-grade", str(tmp_path / "f.json"), str(tmp_path / "a.json"), "--reveal"]) == 0
    assert "planted: 食品" in capsys.readouterr().out


def test_wrong_requests_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["nonsense"]) == 2
    assert main(["grade", str(tmp_path)]) == 2
    assert "no chapter notebooks" in capsys.readouterr().err
    assert main(["drill-grade", str(tmp_path / "missing.json"), str(tmp_path / "x.json")]) == 2


def test_transplant_carries_the_exercises_into_a_rewritten_notebook(tmp_path: Path) -> None:
    mine = ROOT / "notebooks" / "00_shop_at_a_glance.ipynb"
    theirs = read_notebook(mine)
    theirs["cells"] = [c for c in theirs["cells"] if SECTION_TAG not in tags(c)]
    intro = theirs["cells"][1]
    intro["source"] = [line for line in intro["source"] if GLOSSARY_LINE not in line]
    theirs["cells"].insert(3, {"cell_type": "markdown", "id": "new-one", "metadata": {}, "source": ["## new"]})
    target = write_notebook(theirs, tmp_path / mine.name)
    assert main(["transplant", str(mine), str(target)]) == 0
    got = read_notebook(target)
    assert [source(c) for c in got["cells"] if SECTION_TAG in tags(c)] == [
        source(c) for c in read_notebook(mine)["cells"] if SECTION_TAG in tags(c)]
    assert GLOSSARY_LINE in source(got["cells"][1]) and source(got["cells"][3]) == "## new"
