"""The glossary is generated from the TERMS next to the code, never drifts from it, and every entry is real."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

from opslib.training import CHAPTERS
from opslib.training.glossary import collect_terms, glossary_markdown, resolve
from opslib.training.notebooks import GLOSSARY_LINE, read_notebook, source

ROOT = Path(__file__).resolve().parents[2]
TERMS = collect_terms()


def test_committed_glossary_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    assert committed == glossary_markdown(), "docs/glossary.md is out of date: run `make glossary` and commit it"


def test_keys_are_unique_and_every_field_is_filled() -> None:
    keys = [t.key for _, t in TERMS]
    assert len(keys) == len(set(keys))
    chapters = {c.number for c in CHAPTERS}
    for module, t in TERMS:
        assert t.formula.strip() and t.en.strip(), t.key
        assert re.search(r"[\u4e00-\u9fff]", t.zh), f"{t.key}: the 中文 name has no Chinese"
        assert t.notebook in chapters, f"{t.key} ({module}): notebook {t.notebook!r} is not a chapter"


@pytest.mark.parametrize("module, term", TERMS, ids=[t.key for _, t in TERMS])
def test_where_names_a_real_opslib_function_next_to_the_terms(module: str, term) -> None:
    obj = resolve(term.where)
    assert callable(obj), f"{term.key}: {term.where} is not a function or class"
    target = obj if inspect.isclass(obj) or inspect.isfunction(obj) else getattr(obj, "__func__", obj)
    defined = inspect.getmodule(target).__name__
    assert defined.startswith("opslib."), term.where
    # "next to the code": the TERMS tuple lives in the module that computes the term (or in its package).
    assert defined == module or defined.rsplit(".", 1)[0] == module.rsplit(".", 1)[0], (
        f"{term.key}: listed in {module} but computed in {defined}")
    assert (inspect.getdoc(target) or "").strip(), f"{term.where} has no docstring to hold the formula"


def test_resolve_says_what_is_missing() -> None:
    with pytest.raises(LookupError, match="has no 'nope'"):
        resolve("opslib.kpi.nope")
    with pytest.raises(LookupError, match="not inside opslib"):
        resolve("pandas.DataFrame")


def test_every_chapter_that_exists_teaches_terms() -> None:
    taught = {t.notebook for _, t in TERMS}
    for c in CHAPTERS:
        if (ROOT / "notebooks" / f"{c.stem}.ipynb").is_file():
            assert c.number in taught, f"notebook {c.stem} teaches no glossary term"


def test_core_kpis_are_in_the_glossary_with_their_formula() -> None:
    by_key = {t.key: t for _, t in TERMS}
    for key in ("gmv", "net_sales", "aov", "conversion_rate", "return_rate", "gmv_decomposition"):
        assert key in by_key
        kpi = importlib.import_module("opslib.kpi")
        assert by_key[key].where.startswith("opslib.kpi."), key
        assert getattr(kpi, by_key[key].where.rsplit(".", 1)[1])


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_notebook_links_the_glossary_in_its_intro(path: Path) -> None:
    nb = read_notebook(path)
    intro = next(c for c in nb["cells"][1:] if c["cell_type"] == "markdown")
    assert GLOSSARY_LINE in source(intro)


def test_readme_and_training_guide_link_the_glossary() -> None:
    assert "docs/glossary.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "glossary.md" in (ROOT / "docs" / "training.md").read_text(encoding="utf-8")


def test_the_training_guide_lists_the_chapters_in_learning_order() -> None:
    text = (ROOT / "docs" / "training.md").read_text(encoding="utf-8")
    table = text[text.index("| 步骤 step"):text.index("合计")]
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [line.split("|")[2].strip()[1:3] for line in rows] == [c.number for c in CHAPTERS]
    for row, c in zip(rows, CHAPTERS, strict=True):
        assert f"{c.hours:g}" == row.split("|")[4].strip(), c.number
