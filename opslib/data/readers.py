"""Read one table file (CSV in UTF-8 or GB18030, gzip CSV, Parquet, Excel) into a raw frame with row numbers.

Row numbers are as the user sees them: for CSV the line in the file (header = line 1, first data row =
line 2), for Excel the sheet row (header = row 1), for Parquet the 1-based data row.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from opslib.data.casting import _type_columns
from opslib.data.contract import TABLES, TableSpec
from opslib.data.problems import (
    ENCODINGS,
    STR_DTYPE,
    SUFFIXES,
    Problem,
    _empty_problem,
    _FileProblem,
    _Table,
)
from opslib.errors import DataError


def _table_files(folder: Path, table: str) -> list[Path]:
    """All files in ``folder`` that hold ``table`` (any supported format)."""
    return [folder / f"{table}{s}" for s in SUFFIXES if (folder / f"{table}{s}").is_file()]


def _decode(data: bytes, table: str, file: Path) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 (with or without BOM) or GB18030, else report where it breaks."""
    errors: list[UnicodeDecodeError] = []
    for enc in ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as e:
            errors.append(e)
    # The decoder that got furthest is most likely the intended encoding: report its failure.
    worst = max(errors, key=lambda e: e.start)
    line = data.count(b"\n", 0, worst.start) + 1
    byte = data[worst.start : worst.start + 1].hex()
    raise _FileProblem(
        Problem(
            table=table,
            file=file.name,
            rows=[line],
            n_rows=1,
            issue=f"wrong encoding: byte 0x{byte} at byte offset {worst.start} is neither UTF-8 nor GB18030",
            expected="text saved as UTF-8 (or GB18030) CSV",
        )
    )



def _read_csv(file: Path, table: str) -> pd.DataFrame:
    """Raw CSV: every cell as text, header stripped; blank lines kept (so positions map to lines)."""
    data = file.read_bytes()
    if file.name.endswith(".gz"):
        import gzip

        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise _FileProblem(
                Problem(table=table, file=file.name, issue=f"cannot be unpacked ({e})", expected="a gzip-compressed CSV")
            ) from None
    if not data.strip():
        raise _empty_problem(table, file, f"empty file ({len(data)} bytes)")
    text, encoding = _decode(data, table, file)
    fast = _read_csv_arrow(data, text, encoding)
    if fast is not None:
        return fast
    try:
        return pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False
        )
    except pd.errors.ParserError as e:
        detail = str(e).replace("Error tokenizing data. C error: ", "").strip()
        raise _FileProblem(
            Problem(table=table, file=file.name, issue=f"cannot be read as CSV ({detail})",
                    expected="comma-separated lines with as many fields as the header")
        ) from None
    except pd.errors.EmptyDataError:
        raise _empty_problem(table, file, "empty file (no header)") from None


def _read_csv_arrow(data: bytes, text: str, encoding: str) -> pd.DataFrame | None:
    """Fast path: pyarrow's multithreaded CSV reader, every column as text.

    Returns None (so the pandas parser takes over and reports precisely) when the file has blank
    lines (pyarrow would skip them and shift line numbers), a repeated header name, or anything
    pyarrow cannot parse.
    """
    import pyarrow as pa_arrow
    from pyarrow import csv as pa_csv

    if encoding == "utf-8-sig":
        utf8 = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    else:
        utf8 = text.encode("utf-8")  # GB18030 input: hand pyarrow the same text as UTF-8
    if b"\n\n" in utf8 or b"\n\r\n" in utf8:
        return None
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff").split("\n", 1)[0])), [])
    if not header or len(set(header)) != len(header):
        return None
    try:
        table = pa_csv.read_csv(
            io.BytesIO(utf8),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa_arrow.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowNotImplementedError):
        return None
    if table.column_names != header:
        return None
    return table.to_pandas(types_mapper={pa_arrow.string(): STR_DTYPE, pa_arrow.large_string(): STR_DTYPE}.get)


def _read_excel(file: Path, table: str) -> pd.DataFrame:
    """Raw Excel: the sheet named like the table, else the first sheet; cells as Excel gives them."""
    try:
        with pd.ExcelFile(file, engine="openpyxl") as book:
            names = [str(n) for n in book.sheet_names]
            sheet = next((n for n in names if n.strip().lower() == table), names[0])
            return pd.read_excel(book, sheet_name=sheet, dtype=object)
    except Exception as e:  # openpyxl raises many types for broken files
        raise _FileProblem(
            Problem(table=table, file=file.name, issue=f"cannot be read ({type(e).__name__}: {e})",
                    expected="an Excel .xlsx workbook")
        ) from None


def _read_parquet(file: Path, table: str) -> pd.DataFrame:
    """Raw Parquet frame with the file's own column types."""
    try:
        return pd.read_parquet(file)
    except Exception as e:  # pyarrow raises ArrowInvalid/OSError and friends for broken files
        raise _FileProblem(
            Problem(table=table, file=file.name, issue=f"cannot be read ({type(e).__name__}: {e})",
                    expected="a Parquet file")
        ) from None


def _strip_text(raw: pd.DataFrame) -> pd.DataFrame:
    """Strip spaces around text cells and turn empty text into missing values."""
    out = {}
    for name in raw.columns:
        s = raw[name]
        if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
            s = s.str.strip()
            s = s.mask(s == "")
        elif s.dtype == object:
            s = s.map(lambda v: (v.strip() or None) if isinstance(v, str) else v)
            s = s.where(s.notna(), None)
        out[name] = s
    return pd.DataFrame(out, index=raw.index)


def _read_raw(file: Path, table: str) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Read one file: raw frame (text stripped, blank rows dropped, RangeIndex), row numbers, row label."""
    name = file.name.lower()
    if name.endswith(".parquet"):
        raw, first, label = _read_parquet(file, table), 1, "row"
    elif name.endswith(".xlsx"):
        raw, first, label = _read_excel(file, table), 2, "row"
    else:
        raw, first, label = _read_csv(file, table), 2, "line"
    raw.columns = [str(c).strip() for c in raw.columns]
    raw = _strip_text(raw)
    rownums = np.arange(first, first + len(raw), dtype=np.int64)
    keep = raw.notna().any(axis=1).to_numpy() if len(raw.columns) else np.zeros(len(raw), bool)
    if not keep.all():
        raw, rownums = raw.loc[keep], rownums[keep]
    if len(raw) == 0:
        raise _empty_problem(table, file, "no data rows (header only)")
    return raw.reset_index(drop=True), rownums, label



def _check_columns(t: _Table, problems: list[Problem], notes: list[str]) -> None:
    """Missing contract columns are problems; extra columns are kept and noted."""
    for col in t.spec.columns:
        if col.name not in t.raw.columns:
            problems.append(
                Problem(table=t.spec.name, file=t.file.name, column=col.name, issue="missing",
                        expected=f"a column named {col.name} ({col.description.rstrip('.')})")
            )
    extras = [c for c in t.raw.columns if c not in t.spec.column_names]
    if extras:
        notes.append(f"{t.file.name}: extra columns kept but not used: {', '.join(extras)}")


def _read_table(file: Path, spec: TableSpec, problems: list[Problem], notes: list[str]) -> _Table:
    """Read and type one table file; file-level failures raise ``_FileProblem``."""
    raw, rownums, label = _read_raw(file, spec.name)
    t = _Table(spec=spec, file=file, frame=raw, raw=raw, rownums=rownums, row_label=label)
    _check_columns(t, problems, notes)
    _type_columns(t, problems)
    return t


def read_table(path: str | Path, table: str) -> pd.DataFrame:
    """Read one table file and type its columns per the contract (no value checks).

    Raises ``DataError`` when the file cannot be read (encoding, empty, broken) or lacks a
    contract column. Unparseable values become missing; use ``validate_shop`` to see them.
    """
    spec = TABLES[table]
    problems: list[Problem] = []
    try:
        t = _read_table(Path(path), spec, problems, [])
    except _FileProblem as e:
        raise DataError([e.problem], header=f"Cannot read {Path(path).name}:") from None
    fatal = [p for p in problems if p.issue == "missing"]
    if fatal:
        raise DataError(fatal, header=f"Cannot read {Path(path).name}:")
    return t.frame


