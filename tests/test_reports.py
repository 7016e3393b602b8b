"""The report runner: good runs, failing runs that keep the last good report, parameter checks."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from opslib import reports


def _notebook(path: Path, body: str, params: str = "x = 1\nlabel = 'a'\n") -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_markdown_cell("# 标题"), nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def nb_dir(tmp_path: Path) -> Path:
    d = tmp_path / "notebooks"
    d.mkdir()
    _notebook(d / "00_good.ipynb", "print('value', x * 2, label)")
    _notebook(d / "01_bad.ipynb", "if x > 1:\n    raise ValueError('x too big')\nprint('fine')")
    return d


def _run(nb_dir: Path, out: Path, *args: str) -> int:
    return reports.main(["run", *args, "--notebooks", str(nb_dir), "--out", str(out)])


def test_good_run_writes_notebook_html_and_index(nb_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "--all") == 0
    assert (out / "00_good.ipynb").exists() and (out / "00_good.html").exists()
    page = (out / "00_good.html").read_text(encoding="utf-8")
    assert "value 2 a" in page and "print(" not in page  # output shown, code hidden
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert runs[0]["opslib_version"] and "seconds" in runs[0]
    assert "00_good.html" in (out / "index.html").read_text(encoding="utf-8")


def test_failure_keeps_last_good_report_and_exits_non_zero(nb_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "01") == 0
    good = (out / "01_bad.html").read_bytes()
    # x = 5 makes the notebook raise; both notebooks still run and the exit status says one failed.
    assert _run(nb_dir, out, "--all", "-p", "x", "5") == 1
    assert (out / "01_bad.html").read_bytes() == good
    assert (out / "01_bad.failed.ipynb").exists()
    failed = nbformat.read(str(out / "01_bad.failed.ipynb"), as_version=4)
    assert "x too big" in json.dumps(failed.cells[0]) or "x too big" in json.dumps(failed)
    assert (out / "00_good.ipynb").exists()
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in runs[-2:]] == ["ok", "failed"]
    assert "ValueError" in runs[-1]["error"]
    # A later good run clears the failure files.
    assert _run(nb_dir, out, "01") == 0
    assert not (out / "01_bad.failed.ipynb").exists()


def test_unknown_parameter_is_rejected_before_any_kernel(nb_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "00", "-p", "nope", "1") == 2
    err = capsys.readouterr().err
    assert "unknown parameter 'nope'" in err and "x, label" in err
    assert not out.exists() or not any(out.glob("*.ipynb"))


def test_wrong_type_is_rejected(nb_dir: Path, tmp_path: Path, capsys) -> None:
    assert _run(nb_dir, tmp_path / "r", "00", "-p", "x", "abc") == 2
    assert "expects int" in capsys.readouterr().err


def test_unknown_notebook(nb_dir: Path, tmp_path: Path, capsys) -> None:
    assert _run(nb_dir, tmp_path / "r", "99_nothing") == 2
    assert "no notebook named" in capsys.readouterr().err


def test_parse_value() -> None:
    assert reports.parse_value("8") == 8
    assert reports.parse_value("0.95") == 0.95
    assert reports.parse_value("null") is None
    assert reports.parse_value("2024-06-18") == "2024-06-18"
    assert reports.parse_value("美妆") == "美妆"
