"""Read the files a mapping names: every cell as text, with the line (or sheet row) each row came from.

* CSV, gzip CSV (``.csv.gz``): UTF-8 (with or without BOM), else GB18030, or the ``encoding:`` given. A file
  that decodes as GB18030 but holds lines that are UTF-8 (a mixed export, which would load as mojibake) is
  refused, naming the lines. Line numbers are the file's lines, also when quoted cells hold line breaks.
* Excel (``.xlsx``): the ``sheet:`` given (a name, a list of names, or ``all`` to stack sheets of one layout);
  without it the only sheet, or the sheet named like the table; several sheets and none chosen is refused,
  naming the sheets (never a silent first sheet).
* Parquet: cells as text (time stamps with a time zone keep their offset, so they are converted like text).
* A header that names a column twice is refused (pandas would rename the second silently).
* ``join:`` adds columns of other files by a key (a left join; the key must be unique in the joined file).

Example:
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "o.csv").write_text('id,note\\n1,"two\\nlines"\\n2,x\\n', encoding="utf-8")
    >>> src = read_source(d / "o.csv", "m.yml, table orders", table="orders")
    >>> src.frame[["id", LINE_COLUMN]].values.tolist()
    [['1', 2], ['2', 4]]
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opslib.errors import MappingError
from opslib.importers.conformance import LINE_COLUMN
from opslib.importers.log import ImportLog

TEXT = pd.StringDtype(na_value=np.nan)
SHEET_COLUMN = "__sheet__"
ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class Source:
    """Rows of one source file (text cells, ``LINE_COLUMN`` = line or sheet row) and how to name them."""

    file: Path
    frame: pd.DataFrame
    label: str = "line"  # "line" (CSV) or "row" (sheet row, Parquet row)

    @property
    def columns(self) -> list[str]:
        """The source's own columns (without the bookkeeping ones)."""
        return [str(c) for c in self.frame.columns if not str(c).startswith("__")]

    def lines(self, mask: pd.Series | np.ndarray) -> str:
        """Where the rows of ``mask`` are, e.g. ``lines 3, 9 and 2 more of orders.csv``."""
        pos = np.flatnonzero(np.asarray(mask, dtype=bool))
        return where_rows(self.frame, pos, self.label, self.file.name)


def where_rows(frame: pd.DataFrame, pos: np.ndarray, label: str, file: str) -> str:
    """``lines 3, 9 and 2 more of orders.csv`` (with the sheet when rows come from several sheets)."""
    shown = pos[:5]
    more = f" and {len(pos) - len(shown):,} more" if len(pos) > len(shown) else ""
    nums = frame[LINE_COLUMN].to_numpy()[shown] if LINE_COLUMN in frame.columns else shown + 2
    plural = label + ("s" if len(pos) > 1 else "")
    if SHEET_COLUMN in frame.columns and frame[SHEET_COLUMN].nunique() > 1:
        sheets = frame[SHEET_COLUMN].to_numpy()[shown]
        items = ", ".join(f"{s!r} {n}" for s, n in zip(sheets, nums, strict=True))
        return f"sheet {plural} {items}{more} of {file}"
    return f"{plural} {', '.join(str(int(n)) for n in nums)}{more} of {file}"


def _dedupe_header(columns: list[str], file: Path, where: str) -> list[str]:
    names = [str(c).strip() for c in columns]
    seen: dict[str, int] = {}
    for i, n in enumerate(names, start=1):
        if n in seen:
            raise MappingError(f"{where}: {file.name} names column {n!r} twice (columns {seen[n]} and {i}) — rename "
                               "one in the export so each header is unique")
        seen[n] = i
    return names


def _decode(data: bytes, encoding: str | None, file: Path, where: str) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise MappingError(f"{where}: unknown encoding {encoding!r} — e.g. utf-8, gb18030") from None
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start) + 1
            raise MappingError(f"{where}: {file.name} is not {encoding} text (line {line}, byte 0x{data[e.start]:02x})"
                               " — set the right 'encoding:'") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise MappingError(f"{where}: {file.name} is neither UTF-8 nor GB18030 text (line {line}) — set "
                           "'encoding:'") from None
    utf8_lines = []
    for i, raw in enumerate(data.split(b"\n"), start=1):
        if max(raw, default=0) < 0x80:
            continue
        try:
            raw.decode("utf-8")
            utf8_lines.append(i)
        except UnicodeDecodeError:
            pass
    if utf8_lines:
        shown = ", ".join(map(str, utf8_lines[:5])) + (f" and {len(utf8_lines) - 5} more" if len(utf8_lines) > 5 else "")
        raise MappingError(f"{where}: {file.name} mixes encodings: lines {shown} are UTF-8, the rest GB18030 "
                           "(read as one encoding they would turn into mojibake) — save the file in one encoding")
    return text


def _csv_lines(text: str) -> list[int]:
    """The line on which each data record starts (header excluded), as csv counts them."""
    reader = csv.reader(io.StringIO(text))
    starts: list[int] = []
    prev = 0
    for i, _ in enumerate(reader):
        if i > 0:
            starts.append(prev + 1)
        prev = reader.line_num
    return starts


def _read_csv_arrow(text: str, header: list[str]) -> pd.DataFrame | None:
    """Fast path: Arrow's CSV reader, every cell as text; None (the pandas parser takes over) when the file has
    blank lines (Arrow would skip them and shift line numbers) or anything Arrow cannot read."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    utf8 = text.lstrip("\ufeff").encode("utf-8")
    if not header or b"\n\n" in utf8 or b"\n\r\n" in utf8:
        return None
    try:
        table = pa_csv.read_csv(
            io.BytesIO(utf8), parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(column_types={n: pa.string() for n in header},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowKeyError):
        return None
    if table.column_names != header:
        return None
    return table.to_pandas(types_mapper={pa.string(): TEXT, pa.large_string(): TEXT}.get)


def _read_csv(file: Path, encoding: str | None, where: str) -> Source:
    try:
        data = file.read_bytes()
        if file.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError) as e:
        raise MappingError(f"{where}: {file.name} cannot be read ({e})") from None
    text = _decode(data, encoding, file, where)
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff").split("\n", 1)[0])), [])
    _dedupe_header(header, file, where)
    frame = _read_csv_arrow(text, header)
    if frame is None:
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                                skip_blank_lines=False)
        except pd.errors.EmptyDataError:
            raise MappingError(f"{where}: {file.name} is empty (no header line)") from None
        except pd.errors.ParserError as e:
            detail = str(e).replace("Error tokenizing data. C error: ", "").strip()
            raise MappingError(f"{where}: {file.name} cannot be read as CSV ({detail})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    multiline = any(frame[c].str.contains("\n", regex=False).any() for c in frame.columns) if len(frame) else False
    lines = np.array(_csv_lines(text), dtype=np.int64) if multiline else np.arange(2, len(frame) + 2, dtype=np.int64)
    if len(lines) != len(frame):
        lines = np.arange(2, len(frame) + 2, dtype=np.int64)
    frame[LINE_COLUMN] = lines
    return Source(file=file, frame=frame, label="line")


def _read_excel(file: Path, sheet: Any, table: str, where: str) -> Source:
    try:
        book = pd.ExcelFile(file, engine="openpyxl")
    except Exception as e:  # openpyxl raises many types for broken files
        raise MappingError(f"{where}: {file.name} cannot be read as an Excel workbook ({type(e).__name__}: {e})") from None
    with book:
        names = [str(n) for n in book.sheet_names]
        if sheet is None:
            named = [n for n in names if n.strip().lower() == table]
            if len(names) == 1 or named:
                chosen = [names[0] if len(names) == 1 else named[0]]
            else:
                raise MappingError(f"{where}: {file.name} has {len(names)} sheets ({', '.join(map(repr, names))}) — "
                                   "say which with sheet: NAME, a list of names, or sheet: all to stack them")
        elif sheet == "all":
            chosen = names
        else:
            chosen = [str(s) for s in (sheet if isinstance(sheet, list) else [sheet])]
            unknown = [s for s in chosen if s not in names]
            if unknown:
                raise MappingError(f"{where}: {file.name} has no sheet {unknown[0]!r} — its sheets: "
                                   f"{', '.join(map(repr, names))}")
        parts = []
        header: list[str] | None = None
        for name in chosen:
            df = pd.read_excel(book, sheet_name=name, dtype=object, header=None)
            if df.empty:
                continue
            cols = _dedupe_header([("" if pd.isna(c) else str(c)) for c in df.iloc[0]], file, f"{where}, sheet {name!r}")
            if header is not None and cols != header:
                raise MappingError(f"{where}: sheet {name!r} of {file.name} has other columns than sheet "
                                   f"{chosen[0]!r} — stack only sheets with the same header")
            header = cols
            body = df.iloc[1:].copy()
            body.columns = cols
            body = body.apply(lambda c: _cells_as_text(c))
            body[LINE_COLUMN] = np.arange(2, len(body) + 2, dtype=np.int64)
            body[SHEET_COLUMN] = name
            parts.append(body)
    if not parts:
        raise MappingError(f"{where}: {file.name}: the sheet(s) {', '.join(map(repr, chosen))} hold no rows")
    frame = pd.concat(parts, ignore_index=True)
    if len(chosen) == 1:
        frame = frame.drop(columns=[SHEET_COLUMN])
    return Source(file=file, frame=frame, label="row")


def _cells_as_text(col: pd.Series) -> pd.Series:
    """Excel cells as text: whole numbers without ``.0``, date cells as ISO text."""

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, pd.Timestamp | np.datetime64) or hasattr(v, "isoformat"):
            return pd.Timestamp(v).isoformat(sep=" ")
        return str(v)

    return col.map(one).astype(TEXT)


def _read_parquet(file: Path, where: str) -> Source:
    try:
        raw = pd.read_parquet(file)
    except Exception as e:  # pyarrow raises several types for broken files
        raise MappingError(f"{where}: {file.name} cannot be read as Parquet ({type(e).__name__}: {e})") from None
    frame = pd.DataFrame({str(c): _cells_as_text(raw[c].astype(object)) for c in raw.columns})
    frame[LINE_COLUMN] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return Source(file=file, frame=frame, label="row")


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip spaces around cells, empty cells missing, drop rows that are empty in every column."""
    out = {}
    for c in frame.columns:
        if str(c).startswith("__"):
            out[c] = frame[c]
            continue
        s = frame[c].astype(TEXT).str.strip()
        out[c] = s.mask(s == "")
    clean = pd.DataFrame(out, index=frame.index)
    data_cols = [c for c in clean.columns if not str(c).startswith("__")]
    keep = clean[data_cols].notna().any(axis=1) if data_cols else pd.Series(False, index=clean.index)
    return clean[keep].reset_index(drop=True)


def read_source(file: Path, where: str, encoding: str | None = None, sheet: Any = None, table: str = "") -> Source:
    """Read one source file of a mapping (rules in the module docstring) into text cells with line numbers.

    Parameters:
        file: the file. where: mapping and table, for messages. encoding, sheet: as in the mapping.
        table: the contract table (a sheet named like it is taken when the workbook has several).

    Returns:
        A :class:`Source`; unreadable files raise ``MappingError`` naming the file.
    """
    if not file.is_file():
        raise MappingError(f"{where}: file {file} not found")
    name = file.name.lower()
    if name.endswith((".xlsx", ".xlsm")):
        src = _read_excel(file, sheet, table, where)
    elif name.endswith(".parquet"):
        src = _read_parquet(file, where)
    elif name.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
        src = _read_csv(file, encoding, where)
    else:
        raise MappingError(f"{where}: {file.name}: expected a .csv, .csv.gz, .xlsx or .parquet file")
    src.frame = _clean(src.frame)
    from opslib.importers.progress import rows_read

    rows_read(file.name, len(src.frame))
    return src


def join_sources(left: Source, joins: list[dict[str, Any]], folder: Path, where: str, log: ImportLog,
                 table: str) -> Source:
    """Add the columns of other files to ``left`` by a key (left join; rules in the module docstring).

    Parameters:
        left: the table's rows. joins: the mapping's ``join:`` entries. folder: SRC (join files are relative to it).
        where: for messages. log, table: unmatched rows are noted in the log.

    Returns:
        ``left`` with the joined columns (same rows, same order).
    """
    frame = left.frame
    for j in joins:
        file = folder / str(j["file"])
        other = read_source(file, f"{where}, join {j['file']}", j.get("encoding"), j.get("sheet"), table)
        on = j["on"]
        lkey, rkey = (on, on) if isinstance(on, str) else (str(on.get("left")), str(on.get("right")))
        if lkey not in frame.columns:
            raise MappingError(f"{where}, join {j['file']}: key column {lkey!r} is not in {left.file.name} — it has: "
                               f"{', '.join(c for c in frame.columns if not str(c).startswith('__'))}")
        if rkey not in other.frame.columns:
            raise MappingError(f"{where}, join {j['file']}: key column {rkey!r} is not in {file.name} — it has: "
                               f"{', '.join(other.columns)}")
        cols = [str(c) for c in j.get("columns", [c for c in other.columns if c != rkey])]
        missing = [c for c in cols if c not in other.frame.columns]
        if missing:
            raise MappingError(f"{where}, join {j['file']}: column(s) {', '.join(missing)} not in {file.name} — it "
                               f"has: {', '.join(other.columns)}")
        clash = [c for c in cols if c in frame.columns and c != lkey]
        if clash:
            raise MappingError(f"{where}, join {j['file']}: column(s) {', '.join(clash)} are in {left.file.name} "
                               f"too — list the columns to take with columns: [...]")
        right = other.frame[[rkey, *cols]]
        dup = right[rkey].notna() & right.duplicated(rkey, keep=False)
        if dup.any():
            raise MappingError(f"{where}, join {j['file']}: key {rkey!r} is not unique in {file.name} ("
                               f"{other.lines(dup.to_numpy())}: {', '.join(map(repr, right.loc[dup, rkey].head(3)))})"
                               " — a join may add one row's columns, never multiply rows")
        right = right.rename(columns={rkey: lkey}) if rkey != lkey else right
        merged = frame.merge(right, on=lkey, how="left", sort=False, indicator="__join__")
        unmatched = int((merged["__join__"] == "left_only").sum())
        log.note(f"join:{table}.{j['file']}", f"columns {', '.join(cols)} from {file.name} by {lkey}"
                 + (f"; {unmatched:,} rows without a match (those columns empty)" if unmatched else ""),
                 rows=unmatched, table=table)
        frame = merged.drop(columns="__join__")
    left.frame = frame
    return left
