"""Reports run from the committed templates; exploring happens in a scratch copy (make lab)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from opslib.reporting.templates import COMMITTED, MODIFIED, UNVERIFIED, scratch_copy, template_status
from tests.conftest import ROOT
from tests.reporting.conftest import run_cli, write_notebook

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git checkout with one committed notebook template."""
    r = tmp_path / "repo"
    (r / "notebooks").mkdir(parents=True)
    write_notebook(r / "notebooks" / "00_t.ipynb", "print('value', x)", "x = 1  # [int, at least 1] a number\n")
    _git(r, "init", "-q")
    _git(r, "add", ".")
    _git(r, "commit", "-q", "-m", "template")
    return r


def _edit_default(nb_path: Path, new: str) -> None:
    nb = nbformat.read(str(nb_path), as_version=4)
    nb.cells[0].source = new
    nbformat.write(nb, str(nb_path))


def test_running_a_notebook_is_not_editing_it(repo: Path) -> None:
    nb_path = repo / "notebooks" / "00_t.ipynb"
    assert template_status(nb_path).state == COMMITTED
    nb = nbformat.read(str(nb_path), as_version=4)  # as JupyterLab saves it after running every cell
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="value 1\n")]
    nb.cells[2].execution_count = 1
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    nbformat.write(nb, str(nb_path))
    assert template_status(nb_path).state == COMMITTED


def test_an_edited_template_is_refused_unless_asked(repo: Path, tmp_path: Path, capsys) -> None:
    nb_dir, out = repo / "notebooks", tmp_path / "reports"
    _edit_default(nb_dir / "00_t.ipynb", "x = 2  # [int, at least 1] a number\n")  # an autosaved test edit
    st = template_status(nb_dir / "00_t.ipynb")
    assert st.state == MODIFIED
    assert "x = 1  # [int, at least 1] a number -> x = 2  # [int, at least 1] a number" in st.detail
    for args in (["00"], ["00", "--dry-run"]):
        assert run_cli(nb_dir, out, *args) == 2
        err = capsys.readouterr().err
        assert "00_t: differs from the committed template: cell 1 (parameters) changed: x = 1" in err
        assert "--allow-modified" in err and "make lab" in err and "git checkout --" in err
    assert not out.exists()
    assert run_cli(nb_dir, out, "00", "--allow-modified", "--period", "P") == 0
    (run,) = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert run["template"] == "modified"
    assert "value 2" in (out / "P" / "00_t.html").read_text(encoding="utf-8")
    assert "from an edited notebook" in (out / "index.html").read_text(encoding="utf-8")


def test_report_list_marks_an_edited_template(repo: Path, capsys) -> None:
    from opslib import reporting as reports

    _edit_default(repo / "notebooks" / "00_t.ipynb", "x = 5  # [int, at least 1] a number\n")
    assert reports.main(["list", "--notebooks", str(repo / "notebooks")]) == 0
    out = capsys.readouterr().out
    assert "00_t   ** modified" in out and "x = 5  [int, at least 1]  a number" in out


def test_an_uncommitted_notebook_is_not_a_template(repo: Path) -> None:
    extra = write_notebook(repo / "notebooks" / "01_new.ipynb", "print(1)", "y = 1\n")
    st = template_status(extra)
    assert st.state == MODIFIED and "not committed" in st.detail


def test_outside_a_git_checkout_the_state_is_unverified(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "00_t.ipynb", "print(1)", "x = 1\n")
    assert template_status(nb).state == UNVERIFIED


def test_scratch_copy_never_touches_the_templates_and_keeps_your_edits(repo: Path) -> None:
    nb_dir, lab = repo / "notebooks", repo / "lab"
    template = nb_dir / "00_t.ipynb"
    assert scratch_copy(nb_dir, lab) == ["00_t.ipynb: copied"]
    # Exploring: edit the copy, as JupyterLab's autosave would.
    _edit_default(lab / "00_t.ipynb", "x = 99\n")
    assert scratch_copy(nb_dir, lab) == ["00_t.ipynb: kept your edits; delete "
                                         f"{lab / '00_t.ipynb'} to start from the template"]
    assert template_status(template).state == COMMITTED
    assert _git(repo, "status", "--porcelain") == ""  # lab/ is ignored (its own .gitignore), templates clean
    # The template moves on: an untouched copy follows it, an edited one is kept (and says so).
    (lab / "00_t.ipynb").unlink()
    scratch_copy(nb_dir, lab)
    _edit_default(template, "x = 3  # [int, at least 1] a number\n")
    assert scratch_copy(nb_dir, lab) == ["00_t.ipynb: updated to the current template"]
    assert "x = 3" in nbformat.read(str(lab / "00_t.ipynb"), as_version=4).cells[0].source
    _edit_default(lab / "00_t.ipynb", "x = 4\n")
    _edit_default(template, "x = 5  # [int, at least 1] a number\n")
    assert "the template has changed since" in scratch_copy(nb_dir, lab)[0]


def test_make_lab_opens_the_scratch_copy_not_the_templates() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^lab:.*\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    assert "-m opslib report scratch lab" in recipe
    assert "--notebook-dir=lab" in recipe and "--notebook-dir=notebooks" not in recipe


def test_scratch_copy_of_the_real_templates(tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.ipynb")}
    lines = scratch_copy(ROOT / "notebooks", tmp_path / "lab")
    assert len(lines) == len(before) and all(line.endswith("copied") for line in lines)
    assert {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.ipynb")} == before
    # The copies sit one folder below the root like the templates, so data_dir = "../data/sample" still works.
    assert (tmp_path / "lab" / ".gitignore").read_text(encoding="utf-8").strip().endswith("*")
