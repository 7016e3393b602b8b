"""The teaching tagger reproduces the hand-tagged notebooks' convention, so 02 and 03 get the same manager view."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from opslib.reporting.html import TEACHING
from opslib.reporting.teaching import main, tag_notebook, tag_teaching
from tests.conftest import ROOT

TAGGED_BY_HAND = ["00_shop_at_a_glance", "01_category_optimisation", "04_data_quality", "06_operations_coordination"]


@pytest.mark.parametrize("stem", TAGGED_BY_HAND)
def test_untagging_and_retagging_gives_the_hand_tags_back(stem: str) -> None:
    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    by_hand = [TEACHING in (c.metadata.get("tags") or []) for c in nb.cells]
    assert tag_teaching(copy.deepcopy(nb).cells) == 0  # already tagged: nothing to add
    bare = copy.deepcopy(nb)
    for c in bare.cells:
        c.metadata["tags"] = [t for t in c.metadata.get("tags") or [] if t != TEACHING]
    assert tag_teaching(bare.cells) == sum(by_hand)
    assert [TEACHING in (c.metadata.get("tags") or []) for c in bare.cells] == by_hand


def test_tags_a_file_keeps_other_tags_and_sources(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_markdown_cell("# 03 · Forecast\n\n**Learning objectives.** ...", metadata={"tags": ["intro"]}),
        nbformat.v4.new_markdown_cell("## 9 · 下一步看什么 What to look at next\n\n| a | b |")])
    path = tmp_path / "03.ipynb"
    nbformat.write(nb, str(path))
    assert tag_notebook(path) == 1 and tag_notebook(path) == 0
    cells = nbformat.read(str(path), as_version=4).cells
    assert [c.metadata.get("tags") for c in cells] == [["parameters"], ["intro", TEACHING], None]
    assert [c.source for c in cells] == [c.source for c in nb.cells]
    assert main([str(tmp_path / "missing.ipynb")]) == 2
