"""The HTML page of a report: one file that stands alone, opens with the summary and reads on a phone.

:func:`report_page` turns an executed notebook into the page a manager reads:

* **a real title** (``<title>`` and the header): the summary's title, period and scope;
* **the summary first**: the executive summary's output moves up to right under the notebook's title, followed
  by a table of contents of the sections (``##`` headings) and the report's downloads (its exports);
* **a manager view**: cells tagged ``teaching`` (learning objectives, Why / How / How to read, worked examples)
  are hidden until the reader ticks "显示方法 Show the method" in the header (no script needed: a checkbox and
  CSS); the headings of a teaching cell stay, so the table of contents and the structure do not change;
* **navigation**: links to the index and to the previous and next period's report of the same schedule
  (:func:`opslib.reporting.index.set_navigation` updates them when a later report lands), and "what to look at next" points at the
  other reports instead of ``.ipynb`` files;
* **no internet**: nbconvert's lab template without require.js, MathJax or mermaid (which it loads from a
  CDN, slow or blocked in mainland China); the notebooks write formulas in Unicode and code, not TeX, and a test
  keeps it so. CSS is inline and charts are embedded PNGs, so the file can be mailed as it is;
* **numbers that do not wrap**: table cells that hold a formatted number (``¥366.5万``, ``+2.0%``, ``1,234``)
  get ``class="ops-num"`` (``white-space: nowrap``, right-aligned, tabular figures); wide tables scroll
  sideways on a phone instead of squeezing.

Why one file with a toggle rather than a manager file and a full file: one URL per report keeps the index, the
previous/next links, the history and a forwarded e-mail simple; the charts (embedded PNGs, the bulk of a report)
are stored once, not twice; and the method stays one tap away for the manager who wants to check it. The manager
view is the default because that is who opens the scheduled report.
"""

from __future__ import annotations

import copy
import html
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from opslib.reporting.summary import SUMMARY_MIME

#: Cell tag of teaching content, hidden in the manager view (``docs/notebook_conventions.md``).
TEACHING = "teaching"
#: Cell tag of a notebook's exercise section (``opslib.training``), hidden whole in the manager view.
EXERCISES = "exercises"
#: Where the previous/next links sit in a written page (rewritten by :func:`set_navigation`).
NAV_START, NAV_END = "<!--ops-prevnext-->", "<!--/ops-prevnext-->"

_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_DOC_REF = re.compile(r"\[([^\]]+)\]\((?:\.\./)+docs/[^)\s]+\)")
_NOTEBOOK_REF = re.compile(r"`?\b(\d{2}_[A-Za-z0-9_]+)\.ipynb\b`?")
_CELL = re.compile(r"<td>([^<>]*)</td>")
_EXPORT_LINK = re.compile(r'<a\b[^>]*\bdata-ops-path="([^"]*)"[^>]*>')


def _number_pattern() -> re.Pattern[str]:
    from opslib.data.settings import CURRENCIES

    symbols = sorted({re.escape(c.symbol.strip()) for c in CURRENCIES.values()}, key=len, reverse=True)
    money = "(?:" + "|".join(symbols) + ")?"
    number = r"[+\-−]?" + money + r"\s?\d[\d,]*(?:\.\d+)?\s?(?:万|亿|K|M|B|%|\s?pt|\s?x|×)?"
    return re.compile(rf"^\s*(?:{number}|<\s?0\.\d+|[–∞]|-∞|\d{{4}}-\d{{2}}-\d{{2}}(?: \d{{2}}:\d{{2}})?|"
                      rf"{number}\s?[–~-]\s?{number})\s*$")


_NUMBER = _number_pattern()


def is_number_text(text: str) -> bool:
    """Whether a table cell's text is a formatted number (money, percent, count, points, a date, a range).

    Parameters:
        text: the cell's text (HTML-escaped is fine).

    Returns:
        True for ``¥12.3万``, ``-¥6.9万``, ``+2.0%``, ``1,234``, ``+0.58 pt``, ``< 0.001``, ``–``, ``2025-06-01``,
        ``¥7.26–¥46.80``; False for words.

    Example:
        >>> [is_number_text(t) for t in ("¥366.5万", "-£1.23M", "+0.58 pt", "&lt; 0.001", "2025-06-01", "美妆", "A")]
        [True, True, True, True, True, False, False]
    """
    return bool(_NUMBER.match(html.unescape(text)))


@dataclass
class PageLinks:
    """Where a report links to, relative to the report's own folder.

    ``previous`` / ``next``: ``(period label, href)`` of the same schedule's neighbouring reports; ``exports``:
    ``(file name, href)`` of the files the report wrote; ``reports``: notebook stem -> href of its latest report
    (for "what to look at next"; other notebooks link to the index); ``export_base``: the href of the report's
    export folder and ``export_root`` the folder the notebook wrote into, so the notebook's own download links
    (``opslib.reporting.exported``) point at the files next to the report.
    """

    index: str = "../index.html"
    period: str = ""
    previous: tuple[str, str] | None = None
    next: tuple[str, str] | None = None
    exports: list[tuple[str, str]] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)
    export_base: str = ""
    export_root: str = ""


# ------------------------------------------------------------------------------------- the notebook


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


def _tags(cell: Any) -> list[str]:
    return list((cell.get("metadata") or {}).get("tags") or [])


def split_teaching(cells: list[Any]) -> list[Any]:
    """Markdown cells tagged ``teaching`` cut at their headings: each heading becomes an untagged cell of its own,
    the text between headings stays tagged, so the manager view keeps the headings and hides the prose.

    Parameters:
        cells: notebook cells (``nbformat`` nodes or dicts).

    Returns:
        The new list of cells (cells not touched are the same objects).

    Example:
        >>> import nbformat
        >>> c = nbformat.v4.new_markdown_cell("## 1 · KPI\\n\\n**Why** — because.", metadata={"tags": ["teaching"]})
        >>> [(x.source, x.metadata.get("tags")) for x in split_teaching([c])]
        [('## 1 · KPI', []), ('**Why** — because.', ['teaching'])]
    """
    import nbformat

    out: list[Any] = []
    for cell in cells:
        if cell.get("cell_type") != "markdown" or TEACHING not in _tags(cell):
            out.append(cell)
            continue
        others = [t for t in _tags(cell) if t != TEACHING]
        chunks: list[tuple[bool, list[str]]] = []
        for line in _text(cell.get("source")).splitlines():
            heading = bool(_HEADING.match(line))
            if chunks and chunks[-1][0] == heading:
                chunks[-1][1].append(line)
            else:
                chunks.append((heading, [line]))
        for heading, lines in chunks:
            text = "\n".join(lines).strip("\n")
            if not text.strip():
                continue
            tags = others if heading else [*others, TEACHING]
            out.append(nbformat.v4.new_markdown_cell(text, metadata={"tags": tags}))
    return out


def _split_title(cells: list[Any]) -> list[Any]:
    """The cell holding the first ``#`` heading cut after it, so the summary can follow the title directly."""
    import nbformat

    at, _ = _first_title(cells)
    if at is None:
        return cells
    lines = _text(cells[at].get("source")).splitlines()
    cut = next(i for i, ln in enumerate(lines) if (m := _HEADING.match(ln)) and len(m.group(1)) == 1) + 1
    rest = "\n".join(lines[cut:]).strip("\n")
    if not rest.strip():
        return cells
    head = nbformat.v4.new_markdown_cell("\n".join(lines[:cut]), metadata={"tags": []})
    tail = copy.deepcopy(cells[at])
    tail["source"] = rest
    return [*cells[:at], head, tail, *cells[at + 1:]]


def _link_notebooks(text: str, links: PageLinks) -> str:
    def repl(m: re.Match[str]) -> str:
        stem = m.group(1)
        href = links.reports.get(stem) or f"{links.index}#nb-{stem}"
        return f"[{stem}]({href})"

    # A link into the repository's docs (``../docs/glossary.md`` from notebooks/) has no target next to a report,
    # which may be mailed or served anywhere: keep its text (it names the file), drop the link.
    return _DOC_REF.sub(lambda m: m.group(1), _NOTEBOOK_REF.sub(repl, text))


def _first_title(cells: list[Any]) -> tuple[int | None, str]:
    for i, c in enumerate(cells):
        if c.get("cell_type") == "markdown":
            for line in _text(c.get("source")).splitlines():
                m = _HEADING.match(line)
                if m and len(m.group(1)) == 1:
                    return i, m.group(2)
    return None, ""


def page_title(nb: Any, summary: dict[str, Any] | None = None) -> str:
    """The report's ``<title>``: the summary's title, period and scope, else the notebook's first ``#`` heading.

    Parameters:
        nb: the executed notebook. summary: its summary payload (read from ``nb`` when None).

    Returns:
        The title text (never ``Notebook``).
    """
    from opslib.reporting.summary import read_summary

    summary = summary if summary is not None else read_summary(nb)
    if summary and summary.get("title"):
        return " · ".join(str(p) for p in (summary.get("title"), summary.get("period"), summary.get("scope")) if p)
    _, title = _first_title(nb.cells)
    return title or "opsplaybook report"


def _anchor(n: int) -> str:
    return f"ops-sec-{n}"


def _toc_html(toc: list[tuple[int, str, str]], exports: list[tuple[str, str]]) -> str:
    e = html.escape
    parts = []
    if toc:
        tree: list[tuple[tuple[str, str], list[tuple[str, str]]]] = []
        for level, anchor, text in toc:
            if level == 3 and tree:
                tree[-1][1].append((anchor, text))
            else:
                tree.append(((anchor, text), []))
        items = []
        for (anchor, text), subs in tree:
            sub = ("<ol>" + "".join(f'<li><a href="#{a}">{e(t)}</a></li>' for a, t in subs) + "</ol>") if subs else ""
            items.append(f'<li><a href="#{anchor}">{e(text)}</a>{sub}</li>')
        parts.append(f'<nav class="ops-toc" aria-label="目录 Contents"><b>目录 Contents</b><ol>{"".join(items)}</ol></nav>')
    if exports:
        groups: dict[str, list[str]] = {}
        for name, href in exports:
            if name.endswith(".csv") and len(exports) > 4:  # many files: the workbooks (the CSVs sit beside them)
                continue
            folder, _, file = name.rpartition("/")
            groups.setdefault(folder, []).append(f'<a href="{e(href)}" download>{e(file)}</a>')
        rows = [(f"<b>{e(folder)}/</b> " if folder else "") + " · ".join(items) for folder, items in groups.items()]
        body = rows[0] if len(rows) == 1 else "<ul>" + "".join(f"<li>{r}</li>" for r in rows) + "</ul>"
        parts.append(f'<div class="ops-downloads"><b>⬇ 下载 Downloads</b> {body}</div>')
    return "".join(parts)


def prepare(nb: Any, links: PageLinks | None = None) -> tuple[Any, dict[str, Any]]:
    """The notebook as the page shows it (a copy): summary first, teaching cells split, anchors, links.

    Steps: the summary output moves into a cell of its own right after the cell holding the first ``#`` heading
    (the top when there is none); a contents-and-downloads block follows it; teaching cells are cut at their
    headings (:func:`split_teaching`); every ``##`` / ``###`` heading gets an anchor for the contents; references
    to ``NN_name.ipynb`` become links to that notebook's report (or the index).

    Parameters:
        nb: the executed notebook (not modified). links: where the page links to.

    Returns:
        ``(notebook, info)``; ``info`` holds ``title`` and ``toc`` (``(level, anchor, text)`` per heading).
    """
    import nbformat

    from opslib.reporting.summary import read_summary

    links = links or PageLinks()
    nb = copy.deepcopy(nb)
    payload = read_summary(nb)
    title = page_title(nb, payload)
    summary_out = None
    for cell in nb.cells:
        kept = []
        for out in cell.get("outputs", []):
            if summary_out is None and SUMMARY_MIME in out.get("data", {}):
                summary_out = out
            else:
                kept.append(out)
        if "outputs" in cell:
            cell["outputs"] = kept
    cells = _split_title(split_teaching(nb.cells))
    toc: list[tuple[int, str, str]] = []
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        lines = []
        for line in _text(cell.get("source")).splitlines():
            m = _HEADING.match(line)
            if m and len(m.group(1)) in (2, 3) and TEACHING not in _tags(cell) and EXERCISES not in _tags(cell):
                anchor = _anchor(len(toc) + 1)
                toc.append((len(m.group(1)), anchor, re.sub(r"[*_`]", "", m.group(2))))
                lines.append(f'<a id="{anchor}" class="ops-anchor"></a>\n')
            lines.append(line)
        cell["source"] = _link_notebooks("\n".join(lines), links)
    at, _ = _first_title(cells)
    insert = 0 if at is None else at + 1
    extra = []
    if summary_out is not None:
        tags = ["ops-summary"]
        if payload and at is not None and str(payload.get("title", "")).strip() == _first_title(cells)[1].strip():
            tags.append("ops-same-title")  # the box need not repeat the page's heading
        extra.append(nbformat.v4.new_code_cell("", metadata={"tags": tags}, outputs=[summary_out]))
    block = _toc_html(toc, links.exports)
    if block:
        extra.append(nbformat.v4.new_code_cell("", metadata={"tags": ["ops-contents"]}, outputs=[
            nbformat.v4.new_output("display_data", data={"text/html": block, "text/plain": ""})]))
    cells[insert:insert] = extra
    nb.cells = cells
    nb.metadata["title"] = title
    return nb, {"title": title, "toc": toc}


# ------------------------------------------------------------------------------------- the template

_CSS = """
body.ops-report{background:#fff}
.ops-report main{max-width:1120px;margin:0 auto;padding:0 14px 40px}
.ops-nav{position:sticky;top:0;z-index:10;display:flex;flex-wrap:wrap;align-items:center;gap:6px 16px;
 background:#f6f8fa;border-bottom:1px solid #d9dce1;padding:8px 14px;font:14px/1.4 system-ui,-apple-system,
 "Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif}
.ops-nav a{color:#0b5cad;text-decoration:none}.ops-nav a:hover{text-decoration:underline}
.ops-nav .ops-period{color:#555}.ops-nav .ops-disabled{color:#999}
.ops-nav label{cursor:pointer;margin-left:auto;user-select:none;color:#0b5cad}
.ops-toggle{position:absolute;opacity:0;pointer-events:none}
.ops-toc{border:1px solid #e3e6ea;border-radius:6px;padding:6px 12px;margin:4px 0 10px;font-size:.92em;
 max-width:1100px;background:#fff}
.ops-toc ol{margin:4px 0 2px 18px;padding:0;columns:2 320px}.ops-toc li{margin:1px 0;break-inside:avoid}
.ops-toc ol ol{columns:auto;list-style-type:circle;margin:0 0 0 16px}
.ops-downloads{margin:4px 0 12px}.ops-downloads a,.ops-exports a{margin-right:4px}
.ops-downloads ul{margin:2px 0 0 18px;padding:0}
.celltag_teaching,.celltag_exercises{display:none}
.jp-MarkdownCell:has(.celltag_teaching){display:none}
.ops-toggle:checked ~ main .celltag_exercises{display:block}
.ops-toggle:checked ~ main .celltag_teaching{display:block}
.ops-toggle:checked ~ main .jp-MarkdownCell:has(.celltag_teaching){display:block}
.ops-toggle:checked ~ header .ops-show,.ops-hide{display:none}
.ops-toggle:checked ~ header .ops-hide{display:inline}
.jp-OutputArea-output table{display:block;overflow-x:auto;max-width:100%}
.jp-RenderedHTMLCommon td.ops-num{white-space:nowrap;text-align:right;font-variant-numeric:tabular-nums}
.jp-RenderedHTMLCommon th{white-space:nowrap}
.jp-OutputArea-output img{max-width:100%;height:auto}
.jp-RenderedText pre{white-space:pre-wrap;overflow-wrap:anywhere}
.ops-summary,.ops-toc,.jp-RenderedMarkdown{overflow-wrap:anywhere}
.celltag_ops-same-title .ops-summary h2{display:none}
.ops-anchor{position:relative;top:-52px;display:block;visibility:hidden}
@media (max-width:640px){.ops-report main{padding:0 6px 30px}.jp-Cell{padding:2px 0}.ops-nav .ops-title{display:none}
 .jp-RenderedHTMLCommon{font-size:15px}.ops-nav{font-size:13px;padding:6px 8px}}
@media print{.ops-nav{position:static}.ops-nav label{display:none}}
"""

_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{% block extra_css %}<style type="text/css">{{ resources.ops.css }}</style>{% endblock extra_css %}
{%- block body_header -%}
<body class="jp-Notebook ops-report" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
<input type="checkbox" id="ops-full" class="ops-toggle" aria-label="显示方法 Show the method">
<header class="ops-nav">{{ resources.ops.nav }}</header>
<main>
{%- endblock body_header -%}
{% block footer_js %}<script>if(location.hash==="#full"){document.getElementById("ops-full").checked=true}</script>
{% endblock footer_js %}
"""


def prevnext_html(period: str, previous: tuple[str, str] | None, nxt: tuple[str, str] | None) -> str:
    """The previous / next period links of the header (between :data:`NAV_START` and :data:`NAV_END`).

    Parameters:
        period: this report's period label. previous, nxt: ``(label, href)`` or None.

    Returns:
        HTML.

    Example:
        >>> nav = prevnext_html("2025-W52", ("2025-W51", "../2025-W51/r.html"), None)
        >>> 'href="../2025-W51/r.html">‹ 2025-W51</a>' in nav, "最新 latest" in nav
        (True, True)
    """
    e = html.escape
    prev = (f'<a class="ops-prev" href="{e(previous[1])}">‹ {e(previous[0])}</a>' if previous
            else '<span class="ops-prev ops-disabled">‹ 无上期 no earlier report</span>')
    nxt_html = (f'<a class="ops-next" href="{e(nxt[1])}">{e(nxt[0])} ›</a>' if nxt
                else '<span class="ops-next ops-disabled">最新 latest</span>')
    return f'{NAV_START}{prev} <span class="ops-period">{e(period)}</span> {nxt_html}{NAV_END}'


def _nav_html(title: str, links: PageLinks) -> str:
    e = html.escape
    return (f'<a class="ops-index" href="{e(links.index)}">⌂ 运营报告 Reports</a>'
            f'<span class="ops-prevnext">{prevnext_html(links.period, links.previous, links.next)}</span>'
            f'<span class="ops-title">{e(title)}</span>'
            '<label for="ops-full"><span class="ops-show">显示方法 Show the method</span>'
            '<span class="ops-hide">隐藏方法 Manager view</span></label>')


def mark_numbers(page: str) -> str:
    """``<td>`` cells whose text is a formatted number get ``class="ops-num"`` (no wrapping, right-aligned).

    Parameters:
        page: HTML.

    Returns:
        The HTML with numeric cells marked.

    Example:
        >>> mark_numbers("<tr><td>美妆</td><td>¥366.5万</td></tr>")
        '<tr><td>美妆</td><td class="ops-num">¥366.5万</td></tr>'
    """
    return _CELL.sub(lambda m: f'<td class="ops-num">{m.group(1)}</td>' if is_number_text(m.group(1))
                     else m.group(0), page)


_EXPORTERS = threading.local()


def _exporter() -> Any:
    """This thread's nbconvert exporter of report pages, made once: making one finds and compiles its ten jinja
    templates (about 0.3 CPU-s a report); one per thread, as the runner writes pages from several threads."""
    exporter = getattr(_EXPORTERS, "html", None)
    if exporter is None:
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                                exclude_output_prompt=True, extra_loaders=[DictLoader({"ops.html.j2": _TEMPLATE})],
                                template_file="ops.html.j2")
        _EXPORTERS.html = exporter
    return exporter


def report_page(nb: Any, links: PageLinks | None = None) -> str:
    """The report's HTML page (module doc): code hidden, summary first, manager view, links, no CDN.

    Parameters:
        nb: the executed notebook (``nbformat`` node; not modified). links: where it links to.

    Returns:
        The HTML text.
    """
    links = links or PageLinks()
    page_nb, info = prepare(nb, links)
    exporter = _exporter()
    resources = {"ops": {"css": _CSS, "nav": _nav_html(info["title"], links)}}
    body, _ = exporter.from_notebook_node(page_nb, resources=resources)
    body = mark_numbers(body)
    return _point_exports(body, links)


def _point_exports(body: str, links: PageLinks) -> str:
    """Download links of the notebook's own cells (``data-ops-path``) pointed at the report's export folder."""
    root = links.export_root.rstrip("/")
    base = links.export_base.rstrip("/")

    def repl(m: re.Match[str]) -> str:
        tag, path = m.group(0), html.unescape(m.group(1))
        tag = re.sub(r'\s*data-ops-path="[^"]*"', "", tag)  # the server's paths stay out of the page
        if root and base and (path == root or path.startswith(root + "/")):
            rel = path[len(root) + 1:]
            tag = re.sub(r'\bhref="[^"]*"', f'href="{html.escape(base)}/{html.escape(rel)}"', tag)
        return tag

    return _EXPORT_LINK.sub(repl, body)


def replace_navigation(page: str, period: str, previous: tuple[str, str] | None, nxt: tuple[str, str] | None) -> str:
    """A page with its previous / next links replaced (``page`` unchanged when it has no navigation block).

    Parameters:
        page: a report's HTML. period: its period label. previous, nxt: ``(label, href)`` or None.

    Returns:
        The HTML.

    Example:
        >>> p = "<header>" + prevnext_html("W2", None, None) + "</header>"
        >>> "‹ W1" in replace_navigation(p, "W2", ("W1", "../W1/r.html"), None)
        True
    """
    start, end = page.find(NAV_START), page.find(NAV_END)
    if start < 0 or end < start:
        return page
    return page[:start] + prevnext_html(period, previous, nxt) + page[end + len(NAV_END):]


__all__ = ["EXERCISES", "NAV_END", "NAV_START", "PageLinks", "TEACHING", "is_number_text", "mark_numbers", "page_title", "prepare",
           "prevnext_html", "replace_navigation", "report_page", "split_teaching"]
