"""The glossary (术语表): every metric and term of the playbook, collected from the code that computes it.

Each domain module lists its terms in a module-level ``TERMS`` tuple next to its functions
(:class:`opslib.kpi.Term`; plain dicts with the same fields in ``opslib.data``, which cannot import
``opslib.kpi``). :func:`collect_terms` imports every opslib module and gathers them, :func:`glossary_markdown`
renders ``docs/glossary.md`` (``python -m opslib glossary docs/glossary.md``; a test fails when the committed
file differs, and another checks that every term's ``where`` names a real opslib function).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from opslib.kpi import Term
from opslib.training.path import CHAPTERS, LEVELS, chapter

#: Modules never imported while collecting (importing them runs a command line).
_SKIP_SUFFIXES = ("__main__",)


def _modules() -> list[str]:
    """Every importable opslib module name, sorted (``__main__`` modules left out)."""
    import opslib

    names = {"opslib.kpi"}
    for info in pkgutil.walk_packages(opslib.__path__, "opslib."):
        if not info.name.endswith(_SKIP_SUFFIXES):
            names.add(info.name)
    return sorted(names)


def as_term(entry: Term | Mapping[str, str]) -> Term:
    """A :class:`opslib.kpi.Term` from a term or a mapping with the same fields.

    Parameters:
        entry: a ``Term`` or a dict with ``key``, ``zh``, ``en``, ``formula``, ``where``, ``notebook``.

    Returns:
        The term.

    Example:
        >>> as_term({"key": "k", "zh": "甲", "en": "K", "formula": "a / b", "where": "opslib.kpi.aov",
        ...          "notebook": "00"}).key
        'k'
    """
    return entry if isinstance(entry, Term) else Term.from_mapping(entry)


def collect_terms(modules: Iterable[str] | None = None) -> list[tuple[str, Term]]:
    """Every ``TERMS`` entry of the opslib modules, as ``(module, term)`` pairs in learning-path order.

    Order: by the chapter that teaches the term (``opslib.training.path.CHAPTERS``: 04, 00, 01, ...), then by
    module name, then as listed in the module. A key used twice raises ``ValueError`` naming both modules.

    Parameters:
        modules: module names to read (None: every opslib module).

    Returns:
        ``(module name, Term)`` pairs.

    Example:
        >>> pairs = collect_terms(["opslib.kpi"])
        >>> pairs[0][0], pairs[0][1].key
        ('opslib.kpi', 'gmv')
    """
    found: list[tuple[str, Term]] = []
    seen: dict[str, str] = {}
    for name in (_modules() if modules is None else list(modules)):
        mod = importlib.import_module(name)
        for entry in getattr(mod, "TERMS", ()):
            term = as_term(entry)
            if term.key in seen:
                raise ValueError(f"glossary key {term.key!r} is defined twice: in {seen[term.key]} and in {name}")
            seen[term.key] = name
            found.append((name, term))
    order = {c.number: i for i, c in enumerate(CHAPTERS)}
    indexed = sorted(enumerate(found), key=lambda p: (order.get(p[1][1].notebook, len(order)), p[1][0], p[0]))
    return [pair for _, pair in indexed]


def resolve(where: str) -> object:
    """The object a term's ``where`` names: ``opslib.<module>.<name>[.<attribute>]``.

    Imports the longest importable module prefix and follows the remaining attributes; raises
    ``LookupError`` saying which part is missing.

    Parameters:
        where: a dotted path such as ``opslib.kpi.gmv`` or ``opslib.customers.clv.BGNBDResult.p_alive``.

    Returns:
        The function, method or class.

    Example:
        >>> resolve("opslib.kpi.aov").__name__
        'aov'
    """
    parts = where.split(".")
    if parts[0] != "opslib":
        raise LookupError(f"{where!r} is not inside opslib")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                raise LookupError(f"{where!r}: {'.'.join(parts[:cut])} has no {attr!r}")
            obj = getattr(obj, attr)
        return obj
    raise LookupError(f"{where!r}: no importable module")


def glossary_table(modules: Iterable[str] | None = None) -> pd.DataFrame:
    """The glossary as a table, one row per term in learning-path order.

    Parameters:
        modules: module names to read (None: every opslib module).

    Returns:
        Columns ``key``, ``zh``, ``en``, ``formula``, ``where``, ``notebook``, ``note``, ``module`` (where the
        ``TERMS`` entry is listed).

    Example:
        >>> glossary_table(["opslib.kpi"]).set_index("key").loc["aov", "formula"]
        'GMV / orders (per order, as Chinese platforms report it)'
    """
    rows = [{**t.__dict__, "module": m} for m, t in collect_terms(modules)]
    return pd.DataFrame(rows, columns=["key", "zh", "en", "formula", "where", "notebook", "note", "module"])


def _cell(text: str) -> str:
    """Markdown table cell: pipes escaped, no line breaks."""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def glossary_markdown(modules: Iterable[str] | None = None) -> str:
    """``docs/glossary.md``: one table per chapter (in learning order) of 中文 / English / formula / where / notebook.

    Parameters:
        modules: module names to read (None: every opslib module).

    Returns:
        The Markdown text (generated: edit the ``TERMS`` in the code, then ``make glossary``).

    Example:
        >>> text = glossary_markdown(["opslib.kpi"])
        >>> "| 客单价 | AOV (average order value) | GMV / orders" in text
        True
    """
    table = glossary_table(modules)
    out = [
        "# 术语表 Glossary",
        "",
        "<!-- Generated by `python -m opslib glossary docs/glossary.md` from the TERMS tuples next to the code "
        "(opslib.kpi.Term). Do not edit by hand: edit the TERMS, then `make glossary`. -->",
        "",
        "Every metric and term the playbook uses, with its formula, the opslib function that computes it and the "
        "notebook that teaches it. Chapters are in the order of the learning path ([training.md](training.md)). "
        f"{len(table)} terms.",
        "",
        "每个指标和术语：中文名、英文名、公式、在 opslib 中由哪个函数计算、由哪一章讲授。章节按学习路径排列。",
    ]
    for c in CHAPTERS:
        part = table[table["notebook"] == c.number]
        if part.empty:
            continue
        zh_level, en_level = LEVELS[c.level]
        out += ["", f"## {c.number} · {c.zh} {c.en} ({zh_level} {en_level})", "",
                "| 中文 | English | formula 公式 | where 计算位置 | notebook 章节 |", "|---|---|---|---|---|"]
        for r in part.itertuples():
            nb = f"[{r.notebook}](../notebooks/{chapter(r.notebook).stem}.ipynb)"
            en = _cell(r.en) + (f" — {_cell(r.note)}" if r.note else "")
            out.append(f"| {_cell(r.zh)} | {en} | {_cell(r.formula)} | `{r.where}` | {nb} |")
    return "\n".join(out) + "\n"


def write_glossary(out: str | Path = "docs/glossary.md") -> Path:
    """Write :func:`glossary_markdown` to ``out`` (UTF-8) and return the path.

    Parameters:
        out: the Markdown file to write.

    Returns:
        The path written.

    Example:
        >>> import tempfile
        >>> p = write_glossary(Path(tempfile.mkdtemp()) / "glossary.md")
        >>> p.read_text(encoding="utf-8").startswith("# 术语表 Glossary")
        True
    """
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(glossary_markdown(), encoding="utf-8")
    return path


def documented_in(obj: object) -> str:
    """The module that defines ``obj`` (for a method: its class's module), used by the tests.

    Parameters:
        obj: a function, method or class.

    Returns:
        The module name.

    Example:
        >>> from opslib.kpi import aov
        >>> documented_in(aov)
        'opslib.kpi'
    """
    module = inspect.getmodule(obj)
    return module.__name__ if module is not None else ""
