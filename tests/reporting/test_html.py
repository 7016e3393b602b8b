"""The report page: summary first, teaching cells hidden but their headings kept, contents, links, no CDN."""

from __future__ import annotations

import re

import nbformat
import pytest

from opslib.reporting import ExecutiveSummary
from opslib.reporting.html import (
    PageLinks,
    is_number_text,
    mark_numbers,
    prepare,
    prevnext_html,
    replace_navigation,
    report_page,
    split_teaching,
)


def _executed() -> nbformat.NotebookNode:
    """An executed-looking notebook: parameters, a teaching intro under the title, setup output, the summary, two
    sections (one teaching), and a pointer to another notebook."""
    s = ExecutiveSummary("01 · 周度品类复盘 Weekly review", period="2025-12-22 .. 2025-12-28", scope="category '美妆'")
    s.tile("GMV 成交额", "¥1.5万", "+3.0% vs ¥1.4万", good=True).verdict("美妆 grew 3%.")
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})
    intro = nbformat.v4.new_markdown_cell("# 01 · 品类优化 Category optimisation\n\nTables needed: orders.\n\n"
                                          "**Learning objectives** 1. read ABC", metadata={"tags": ["teaching"]})
    setup = nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="Current period\n")])
    shown = nbformat.v4.new_code_cell("summary.show()", outputs=[nbformat.v4.new_output(
        "display_data", data=s.bundle())])
    sec1 = nbformat.v4.new_markdown_cell("## 1 · 帕累托 Pareto\n\n**Why** — a few SKUs make most GMV.",
                                         metadata={"tags": ["teaching"]})
    table = nbformat.v4.new_code_cell("t", outputs=[nbformat.v4.new_output("execute_result", data={
        "text/html": "<table><thead><tr><th>sku</th><th>gmv</th></tr></thead><tbody><tr><td>美妆</td>"
                     "<td>¥366.5万</td></tr></tbody></table>", "text/plain": "t"}, execution_count=3)])
    nxt = nbformat.v4.new_markdown_cell("## 8 · 下一步看什么 What to look at next\n\n| | |\n|---|---|\n"
                                        "| prices | `02_campaign_evaluation.ipynb` — 活动评估 |")
    nb.cells = [params, intro, setup, shown, sec1, table, nxt]
    return nb


def test_split_teaching_keeps_headings_visible() -> None:
    c = nbformat.v4.new_markdown_cell("**How to read** — bars.\n\n### Trend changes\n**How** — segments.",
                                      metadata={"tags": ["teaching", "x"]})
    out = split_teaching([c])
    assert [(x.source, x.metadata["tags"]) for x in out] == [
        ("**How to read** — bars.", ["x", "teaching"]), ("### Trend changes", ["x"]),
        ("**How** — segments.", ["x", "teaching"])]


def test_prepare_puts_the_summary_under_the_title_then_contents() -> None:
    links = PageLinks(period="2025-W52", reports={"02_campaign_evaluation": "../2026-W01/02_x.html"},
                      exports=[("actions.xlsx", "r.exports/actions.xlsx")])
    page_nb, info = prepare(_executed(), links)
    kinds = [(c.cell_type, c.source.splitlines()[0] if c.source else "", c.metadata.get("tags", []))
             for c in page_nb.cells]
    # parameters, the title alone, the summary, contents + downloads, then the teaching intro and the rest
    assert kinds[1] == ("markdown", "# 01 · 品类优化 Category optimisation", [])
    assert kinds[2][2] == ["ops-summary"] and kinds[3][2] == ["ops-contents"]
    assert kinds[4][2] == ["teaching"] and kinds[4][1].startswith("Tables needed")
    assert info["title"] == "01 · 周度品类复盘 Weekly review · 2025-12-22 .. 2025-12-28 · category '美妆'"
    assert [t[2] for t in info["toc"]] == ["1 · 帕累托 Pareto", "8 · 下一步看什么 What to look at next"]
    contents = page_nb.cells[3].outputs[0]["data"]["text/html"]
    assert 'href="#ops-sec-1"' in contents and 'href="r.exports/actions.xlsx"' in contents
    assert "[02_campaign_evaluation](../2026-W01/02_x.html)" in page_nb.cells[-1].source
    # the setup output is no longer in front of the summary; the summary appears once
    assert sum("application/vnd.opsplaybook.summary+json" in o.get("data", {})
               for c in page_nb.cells for o in c.get("outputs", [])) == 1


def test_report_page_stands_alone() -> None:
    page = report_page(_executed(), PageLinks(period="2025-W52", previous=("2025-W51", "../2025-W51/r.html")))
    assert "<title>01 · 周度品类复盘 Weekly review · 2025-12-22" in page
    # nothing from a CDN: no require.js, MathJax or mermaid, no external src or href at all
    assert not re.findall(r"""(?:src|href)=["']https?://""", page)
    assert "cdnjs" not in page and "mathjax" not in page.lower() and "require.min.js" not in page
    assert 'href="../index.html"' in page and 'href="../2025-W51/r.html">‹ 2025-W51' in page
    assert "celltag_teaching" in page and "ops-toggle" in page
    assert '<td class="ops-num">¥366.5万</td>' in page and "<td>美妆</td>" in page
    assert "print(1)" not in page  # code hidden
    # the summary comes before the first section heading
    assert page.index("ops-summary") < page.index("帕累托 Pareto")


def test_export_links_point_at_the_reports_own_folder() -> None:
    from pathlib import Path

    from opslib.reporting import exported

    nb = _executed()
    files = exported([Path("/srv/r/.tmp/x.exports/ops_warehouse/exceptions.xlsx"),
                      Path("/srv/r/.tmp/x.exports/ops_service/exceptions.xlsx")])
    nb.cells[5].outputs.append(nbformat.v4.new_output("display_data", data={
        "text/html": files._repr_html_(), "text/plain": repr(files)}))
    page = report_page(nb, PageLinks(export_base="r.exports", export_root="/srv/r/.tmp/x.exports"))
    tags = re.findall(r"<a[^>]*ops-export[^>]*>[^<]*", page)
    assert [re.search(r'href="([^"]*)"', t).group(1) for t in tags] == [
        "r.exports/ops_warehouse/exceptions.xlsx", "r.exports/ops_service/exceptions.xlsx"]
    assert tags[0].endswith(">ops_warehouse/exceptions.xlsx")  # two files of one name stay apart
    assert ".tmp" not in page and "/srv/" not in page


@pytest.mark.parametrize("text", ["¥366.5万", "-¥6.9万", "+2.0%", "1,234", "+0.58 pt", "&lt; 0.001", "–", "∞",
                                  "2025-06-01", "£1.23M", "R$ 12.50", "¥7.26–¥46.80", "0.73"])
def test_numbers_are_recognised(text: str) -> None:
    assert is_number_text(text)


@pytest.mark.parametrize("text", ["美妆", "SKU00001", "A", "grow", "A 类且库存仅够 5.8 天 < 14 天", "2025-W52"])
def test_words_are_not_numbers(text: str) -> None:
    assert not is_number_text(text)


def test_mark_numbers_and_navigation_rewrite() -> None:
    assert mark_numbers("<td>¥1.0万</td><td>x</td>") == '<td class="ops-num">¥1.0万</td><td>x</td>'
    page = f"<header>{prevnext_html('W2', None, None)}</header>"
    new = replace_navigation(page, "W2", ("W1", "../W1/a.html"), ("W3", "../W3/a.html"))
    assert "‹ W1" in new and "W3 ›" in new and new.count("ops-prevnext") == 2
    assert replace_navigation("<p>no nav</p>", "W2", None, None) == "<p>no nav</p>"


def test_links_into_the_docs_keep_their_text_and_lose_their_target() -> None:
    """A report is read away from the repository: ``../docs/glossary.md`` would be a dead link there."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# 05 · Customers\n\n📖 Glossary: [`docs/glossary.md`](../docs/glossary.md), next: 07_industry_pricing_and_costs.ipynb")])
    out, _ = prepare(nb)
    text = "".join(c.source for c in out.cells if c.cell_type == "markdown")
    assert "📖 Glossary: `docs/glossary.md`, next:" in text and "](../docs/" not in text
    assert "[07_industry_pricing_and_costs](../index.html#nb-07_industry_pricing_and_costs)" in text
