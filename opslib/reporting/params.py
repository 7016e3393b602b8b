"""A notebook's parameters as declared in its ``parameters`` cell, and command-line values typed by them.

A notebook declares what each parameter may be in square brackets at the start of the comment after
its default; papermill ignores the comment, the runner checks every value against it before any kernel
starts::

    data_dir = "../data/sample"   # [folder] with orders / products files
    period_end = None             # [date or None] last day of the period; None: the last day in the data
    period_days = 28              # [int, at least 1] length of the period in days
    compare = "last_year"         # [last_year | previous] the baseline
    confidence = 0.90             # [0 < float < 1] width of the intervals
    category = None               # [category or None] one top-level category of the shop, or the whole shop
    export_dir = None             # [output folder or None] where the CSV / Excel files go

What the brackets may say:

=====================  ======================================================================
``int``, ``float``     a number; bounds ``int, at least 1``, ``float > 0``, ``0 < float < 1``,
                       ``float, at least 0, at most 1`` (no ``>=``: papermill skips such a line)
``text``               any text, kept exactly (``'美妆 #1'`` stays that, ``0123`` stays ``"0123"``)
``bool``               true / false (also yes / no, 1 / 0)
``date``               a day as ``YYYY-MM-DD`` (passed on as that text)
``folder``             an existing folder (input data)
``output folder``      a folder that may not exist yet (it is created); ``path``: any path
``tuple``, ``list``    ``0.8,0.95`` or ``(0.8, 0.95)``; the same length as the default
``a | b | c``          one of these texts
``category``           a top-level category of the shop's products
``campaign``           a ``campaign_id`` of the shop's campaigns
``scope``              ``all``, ``category:美妆|服饰`` (categories or subcategories) or ``sku:A|B``
``... or None``        also ``None`` (write ``None`` or ``null`` on the command line)
=====================  ======================================================================

A parameter without brackets is typed by its default (``28`` -> int, ``"W"`` -> text, ``None`` -> text
or None) and by its name (``data_dir`` -> folder, ``*_dir`` / ``*_path`` / ``*_file`` -> path, ``*_date``,
``period_end``, ``start`` ... -> date, ``category`` -> category, ``campaign_id`` -> campaign).

Every value given as text (``-p KEY VALUE``, ``reports.yml``) is converted by :func:`convert`: text stays
text unless the declaration says otherwise; relative paths are taken from the command's working directory.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import difflib
import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opslib.errors import ReportError

DATE_PARAMETERS = re.compile(r"^(period_start|period_end|start|end|as_of|.*_date)$")
PATH_KINDS = ("folder", "output folder", "path")
SHOP_KINDS = ("category", "campaign", "scope")
_ALIASES = {
    "int": "int", "integer": "int", "float": "float", "number": "float",
    "text": "text", "str": "text", "string": "text", "bool": "bool", "boolean": "bool", "date": "date",
    "folder": "folder", "dir": "folder", "output folder": "output folder", "output dir": "output folder",
    "path": "path", "file": "path", "tuple": "tuple", "list": "list", "dict": "dict",
    "category": "category", "campaign": "campaign", "campaign_id": "campaign", "scope": "scope",
}
_NUM = r"[-+]?\d+(?:\.\d+)?"
_BOUND_AFTER = re.compile(rf"^(?P<kind>int|integer|float|number)\s*(?P<op>>=|>|<=|<)\s*(?P<num>{_NUM})$")
_BOUND_AROUND = re.compile(
    rf"^(?P<lo>{_NUM})\s*(?P<lop><=|<)\s*(?P<kind>int|integer|float|number)\s*(?:(?P<hop><=|<)\s*(?P<hi>{_NUM}))?$")
_NONE_WORDS = ("None", "null")
_TRUE, _FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}


@dataclass(frozen=True)
class Param:
    """One declared parameter of a notebook."""

    name: str
    default: Any  # the default's Python value (source text when it is not a literal)
    default_text: str  # the default as written in the cell
    kind: str  # int float text bool date folder "output folder" path tuple list dict choice category campaign scope
    optional: bool = False  # None accepted
    choices: tuple[str, ...] = ()
    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = True
    help: str = ""
    declared: str = ""  # the bracket text as written ('' when inferred from the default and the name)

    def describe(self) -> str:
        """The declaration in the notebook's own words, e.g. ``'[int, at least 1]'`` or ``'[text or None]'``.

        Example:
            >>> Param("n", 1, "1", "int", low=1).describe(), Param("c", None, "None", "category", True).describe()
            ('[int, at least 1]', '[category or None]')
            >>> Param("q", 0.5, "0.5", "float", low=0, low_inclusive=False, high=1, high_inclusive=False).describe()
            '[0 < float < 1]'
        """
        if self.kind == "choice":
            core = " | ".join(self.choices)
        elif self.low is not None and self.high is not None and not (self.low_inclusive or self.high_inclusive):
            core = f"{self.low:g} < {self.kind} < {self.high:g}"
        else:
            words = [self.kind]
            if self.low is not None:
                words.append(f"{'at least' if self.low_inclusive else 'more than'} {self.low:g}")
            if self.high is not None:
                words.append(f"{'at most' if self.high_inclusive else 'less than'} {self.high:g}")
            core = ", ".join(words)
        return f"[{core}{' or None' if self.optional else ''}]"


# --------------------------------------------------------------------------------------- reading


_PHRASES = {"at least": (True, True), "more than": (True, False), "at most": (False, True),
            "less than": (False, False)}
_SYMBOLS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}


def _bound(out: dict[str, Any], phrase: str, number: str) -> None:
    is_low, inclusive = _PHRASES[phrase]
    if is_low:
        out.update(low=float(number), low_inclusive=inclusive)
    else:
        out.update(high=float(number), high_inclusive=inclusive)


def parse_declaration(name: str, spec: str, default: Any) -> dict[str, Any]:
    """The fields of :class:`Param` a bracket declaration sets; ReportError when it cannot be read.

    Bounds are words (``int, at least 1``; ``float, more than 0, at most 1``) or ``<`` / ``>`` / ``≤`` /
    ``≥`` (``0 < float < 1``, ``int ≥ 1``). Never ``>=``: papermill skips a parameters line that holds a
    second ``=``, so the report could no longer set that parameter.

    Example:
        >>> parse_declaration("x", "0 < float < 1", 0.9)["high"], parse_declaration("f", "D | W | M", "W")["choices"]
        (1.0, ('D', 'W', 'M'))
        >>> parse_declaration("n", "int, at least 1", 3)["low"]
        1.0
    """
    text = " ".join(spec.split())
    if "=" in text:
        raise ReportError(f"parameter {name!r}: the declaration [{spec}] holds '=': papermill skips a parameters "
                          "line with a second '=', so write 'int, at least 1' or 'int ≥ 1' instead of 'int >= 1'")
    out: dict[str, Any] = {"declared": f"[{text}]", "optional": default is None}
    if re.search(r"\s+or\s+none$", text, flags=re.I):
        out["optional"] = True
        text = re.sub(r"\s+or\s+none$", "", text, flags=re.I)
    low = text.lower().replace("≥", ">=").replace("≤", "<=")
    head, *quals = [q.strip() for q in low.split(",")]
    m = _BOUND_AROUND.match(head)
    if m:
        head = m["kind"]
        _bound(out, "at least" if m["lop"] == "<=" else "more than", m["lo"])
        if m["hi"] is not None:
            _bound(out, "at most" if m["hop"] == "<=" else "less than", m["hi"])
    m = _BOUND_AFTER.match(head)
    if m:
        head = m["kind"]
        _bound(out, _SYMBOLS[m["op"]], m["num"])
    for q in quals:
        qm = re.fullmatch(rf"(at least|more than|at most|less than)\s+({_NUM})", q)
        if not qm:
            break
        _bound(out, qm.group(1), qm.group(2))
    else:
        if head in _ALIASES and (not quals and "low" not in out and "high" not in out
                                 or _ALIASES[head] in ("int", "float")):
            out["kind"] = _ALIASES[head]
            return out
        if "|" in text and not quals:
            choices = tuple(c.strip().strip("'\"") for c in text.split("|"))
            if all(choices):
                out.update(kind="choice", choices=choices)
                return out
    raise ReportError(
        f"parameter {name!r}: cannot read the declaration [{spec}]; expected a type (int, float, text, bool, date, "
        "folder, output folder, path, tuple, list, category, campaign, scope), bounds like 'int, at least 1' or "
        "'0 < float < 1', or choices 'a | b', optionally followed by 'or None'")


def _infer_kind(name: str, default: Any, literal: bool) -> str:
    if name == "data_dir":
        return "folder"
    if name.endswith(("_dir", "_path", "_file")):
        return "path"
    if DATE_PARAMETERS.match(name):
        return "date"
    if name == "category":
        return "category"
    if name == "campaign_id":
        return "campaign"
    if not literal or default is None:
        return "text"
    return {bool: "bool", int: "int", float: "float", str: "text", tuple: "tuple", list: "list",
            dict: "dict"}.get(type(default), "text")


def parameters_cell(notebook: Path) -> str:
    """The source of the notebook's cell tagged ``parameters`` ('' when there is none)."""
    try:
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read notebook {notebook}: {exc}") from None
    for cell in nb.get("cells", []):
        if "parameters" in (cell.get("metadata", {}).get("tags") or []):
            src = cell.get("source", "")
            return "".join(src) if isinstance(src, list) else str(src)
    return ""


def parse_parameters(source: str, where: str = "the parameters cell") -> dict[str, Param]:
    """The parameters a ``parameters`` cell assigns, in order, with their declarations (module doc).

    Example:
        >>> ps = parse_parameters('n = 28  # [int, at least 1] days\\nc = None  # [category or None]\\nlabel = "a"')
        >>> [(p.name, p.kind, p.optional, p.help) for p in ps.values()]
        [('n', 'int', False, 'days'), ('c', 'category', True, ''), ('label', 'text', False, '')]
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ReportError(f"{where} is not valid Python: {exc}") from None
    comments: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string[1:].strip()
    except (tokenize.TokenError, IndentationError):
        pass
    out: dict[str, Param] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value_node, annotation = node.targets[0].id, node.value, None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value_node, annotation = node.target.id, node.value, ast.unparse(node.annotation)
        else:
            continue
        text = ast.get_source_segment(source, value_node) or ast.unparse(value_node)
        try:
            default, literal = ast.literal_eval(value_node), True
        except (ValueError, SyntaxError, TypeError):
            default, literal = text, False
        comment = comments.get(node.lineno) or comments.get(node.end_lineno or node.lineno) or ""
        fields: dict[str, Any] = {}
        help_text = comment
        m = re.match(r"^\[([^\]]*)\]\s*(.*)$", comment, flags=re.S)
        if m:
            try:
                fields = parse_declaration(name, m.group(1), default)
            except ReportError as exc:
                raise ReportError(f"{where}: {exc}") from None
            help_text = m.group(2)
        elif annotation:
            ann = annotation.lower().replace("optional[", "").rstrip("]")
            kind = _ALIASES.get(ann, "text")
            fields = {"kind": kind, "optional": default is None or "none" in annotation.lower()}
        if "kind" not in fields:
            fields = {"kind": _infer_kind(name, default, literal), "optional": default is None}
        out[name] = Param(name=name, default=default, default_text=text, help=help_text, **fields)
    return out


def declared_parameters(notebook: Path) -> dict[str, Param]:
    """The declared parameters of a notebook file (see :func:`parse_parameters`)."""
    return parse_parameters(parameters_cell(notebook), where=f"{Path(notebook).name}, parameters cell")


# ------------------------------------------------------------------------------------ converting


def _number(text: str, kind: str) -> int | float:
    if kind == "int":
        if not re.fullmatch(r"[-+]?\d+", text.strip()):
            raise ValueError
        return int(text.strip(), 10)
    value = float(text.strip())
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError
    return value


def _sequence(value: Any, param: Param) -> tuple | list:
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith(("(", "[")):
            text = f"({text},)"
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise ValueError from None
    else:
        parsed = value
    if not isinstance(parsed, list | tuple):
        raise ValueError
    items = []
    for item in parsed:
        if isinstance(item, str):
            with contextlib.suppress(ValueError, SyntaxError):
                item = ast.literal_eval(item.strip())
        items.append(item)
    ref = param.default if isinstance(param.default, list | tuple) else None
    if ref is not None:
        if len(items) != len(ref):
            raise ValueError
        for got, want in zip(items, ref, strict=True):
            if isinstance(want, int | float) and not isinstance(want, bool) and \
                    (not isinstance(got, int | float) or isinstance(got, bool)):
                raise ValueError
    return tuple(items) if param.kind == "tuple" or isinstance(ref, tuple) else list(items)


def _expected(param: Param) -> str:
    if param.kind in ("tuple", "list"):
        example = param.default if isinstance(param.default, list | tuple) and param.default else (1, 2)
        return f"{param.kind} like {','.join(map(str, example))}"
    words = {"int": "int (a whole number)", "float": "float (a number)", "bool": "bool (true or false)",
             "date": "a date like 2025-06-18", "dict": "dict like {'a': 1}"}
    return words.get(param.kind, param.kind)


def convert(param: Param, value: Any, base: Path) -> Any:
    """``value`` (text from ``-p`` or ``reports.yml``, or a Python value) as the type ``param`` declares;
    ValueError with the message otherwise. Paths come back absolute, resolved against ``base``.

    Formula: text kinds (``text``, choices, ``category``, ``campaign``, ``scope``, ``date``) keep the exact
    text; ``int`` / ``float`` parse decimal text (``0123`` -> 123, never octal); ``bool`` reads true/false,
    yes/no, 1/0; ``None`` / ``null`` give None when the parameter accepts None.

    Example:
        >>> p = Param("category", None, "None", "category", optional=True)
        >>> convert(p, "美妆 #1", Path(".")), convert(p, "0123", Path(".")), convert(p, "None", Path("."))
        ('美妆 #1', '0123', None)
        >>> convert(Param("n", 28, "28", "int"), "0123", Path("."))
        123
    """
    if value is None or (param.optional and isinstance(value, str) and value.strip() in _NONE_WORDS):
        if param.optional:
            return None
        raise ValueError(f"parameter {param.name!r} cannot be None; it expects {_expected(param)} "
                         f"(default {param.default_text})")
    kind = param.kind

    def bad(extra: str = "") -> ValueError:
        return ValueError(f"parameter {param.name!r} expects {_expected(param)} (default {param.default_text}), "
                          f"got {value!r}{extra}")

    if kind in ("int", "float"):
        if isinstance(value, bool):
            raise bad()
        if isinstance(value, str):
            try:
                number = _number(value, kind)
            except ValueError:
                raise bad() from None
        elif isinstance(value, int) or (kind == "float" and isinstance(value, float)):
            number = float(value) if kind == "float" else value
        else:
            raise bad()
        if param.low is not None and (number < param.low or (number == param.low and not param.low_inclusive)):
            raise bad(f": it must be {'at least' if param.low_inclusive else 'more than'} {param.low:g}")
        if param.high is not None and (number > param.high or (number == param.high and not param.high_inclusive)):
            raise bad(f": it must be {'at most' if param.high_inclusive else 'less than'} {param.high:g}")
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise bad()
    if kind in ("tuple", "list"):
        try:
            return _sequence(value, param)
        except ValueError:
            raise bad() from None
    if kind == "dict":
        if isinstance(value, dict):
            return value
        try:
            parsed = ast.literal_eval(str(value))
        except (ValueError, SyntaxError):
            raise bad() from None
        if not isinstance(parsed, dict):
            raise bad()
        return parsed
    if not isinstance(value, str):
        hint = " (quote it in reports.yml)" if isinstance(value, int | float | bool) else ""
        raise bad(hint)
    if kind == "date":
        text = value.strip()
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError
            dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"parameter {param.name!r} must be a date like 2025-06-18, got {value!r}") from None
        return text
    if kind in PATH_KINDS:
        if not value.strip():
            raise bad()
        p = Path(value).expanduser()
        p = p if p.is_absolute() else base / p
        p = Path(_normpath(p))
        if kind == "folder" and not p.is_dir():
            raise ValueError(f"data_dir {str(p)!r} is not a folder" if param.name == "data_dir"
                             else f"parameter {param.name!r}: {str(p)!r} is not a folder")
        if kind == "output folder" and p.exists() and not p.is_dir():
            raise ValueError(f"parameter {param.name!r}: {str(p)!r} is a file, not a folder")
        return str(p)
    if kind == "choice":
        if value in param.choices:
            return value
        close = difflib.get_close_matches(value, param.choices, n=1, cutoff=0.4)
        close += [c for c in param.choices if c.lower() == value.lower() and c not in close]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"parameter {param.name!r} must be one of {', '.join(param.choices)}, got {value!r}{hint}")
    return value  # text, category, campaign, scope: exactly the text given


def _normpath(p: Path) -> str:
    import os

    return os.path.normpath(str(p))


def default_path(param: Param, notebook: Path) -> Path | None:
    """Where a path parameter's default points when the notebook runs (its folder is the kernel's cwd)."""
    if param.kind not in PATH_KINDS or not isinstance(param.default, str) or not param.default:
        return None
    p = Path(param.default).expanduser()
    return Path(_normpath(p if p.is_absolute() else Path(notebook).parent / p))


def suggest(value: str, known: list[str], n: int = 3) -> list[str]:
    """Close matches for a mistyped name: difflib's, then names that contain it or that it contains.

    Example:
        >>> suggest("美装", ["美妆", "数码", "服饰"]), suggest("CMP", ["CMP1", "X"])
        (['美妆'], ['CMP1'])
    """
    close = difflib.get_close_matches(value, known, n=n, cutoff=0.5)
    low = value.lower()
    close += [k for k in known if (low in k.lower() or k.lower() in low) and k not in close and low]
    return close[:n]
