"""Load a shop folder into typed pandas frames and check it against the data contract.

A *shop* is a folder with one file per contract table (``opslib.contract.TABLES``), named after
the table: ``orders.csv``, ``orders.csv.gz``, ``orders.parquet`` or ``orders.xlsx``. ``orders`` and
``products`` are required, the other tables are optional.

Public API:

* ``load_shop(path, tables=None, validate=True) -> Shop``: typed frames, raises ``DataError``;
* ``read_table(path, table) -> DataFrame``: one file, typed per the contract, not validated;
* ``validate_shop(path) -> ValidationReport`` and ``format_report(report) -> str``: never raise for
  user mistakes; ``validate_main(argv)`` is ``python -m opslib validate DIR``;
* ``schema_for(table) -> pandera DataFrameSchema``: the contract as a pandera schema.

Every problem names the file, the column, the offending lines and what was expected, e.g.::

    orders.csv, column order_ts, lines 3, 9: 'yesterday', '2024-13-01' — expected a date/time like 2024-06-18 10:31:00

Row numbers are as the user sees them: for CSV the line in the file (header = line 1, first data
row = line 2; a quoted value spanning several lines shifts the count), for Excel the sheet row
(header = row 1), for Parquet the 1-based data row.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "products.csv").write_text("sku,name,category,subcategory,brand,unit_cost,launch_date\\n"
    ...                                    "S1,精华,美妆,护肤,花漾,41.5,2023-03-01\\n", encoding="utf-8")
    >>> _ = (d / "orders.csv").write_text("order_id,order_ts,customer_id,sku,quantity,unit_price,list_price,"
    ...     "channel,region,status,campaign_id\\nO1,2024/06/18 10:31,C1,S1,2,89,99,app,华东,completed,\\n",
    ...     encoding="utf-8")
    >>> shop = load_shop(d)
    >>> shop.orders.dtypes["quantity"], shop.orders.dtypes["order_ts"], shop.missing[:2]
    (dtype('int64'), dtype('<M8[ns]'), ['campaigns', 'traffic'])
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from opslib.contract import TABLES, ColumnSpec, TableSpec
from opslib.errors import UserError

__all__ = [
    "DataError",
    "MissingTableError",
    "Problem",
    "Shop",
    "TableSummary",
    "ValidationReport",
    "format_report",
    "load_shop",
    "read_table",
    "schema_for",
    "validate_main",
    "validate_shop",
]

# File suffixes a table may come in, in the order they are listed in messages.
SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet", ".xlsx")
MAX_ROWS_SHOWN = 5
STR_DTYPE = pd.StringDtype(na_value=np.nan)
ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")

EXPECTED_BY_KIND: dict[str, str] = {
    "str": "text",
    "int": "a whole number like 3",
    "float": "a number like 89.00 (no thousands separators)",
    "datetime": "a date/time like 2024-06-18 10:31:00",
    "date": "a date like 2024-06-18",
}
EXPECTED_NOT_EMPTY = "a value (this column may not be empty)"
EXPECTED_MIDNIGHT = "a date without a time of day, like 2024-06-18"
EXPECTED_NONEMPTY_FILE = "a header line and at least one data row"

# Columns whose span is shown as a table's date range in the report.
RANGE_COLUMNS: dict[str, tuple[str, str]] = {"campaigns": ("start", "end")}


# ----------------------------------------------------------------------------------------- errors


@dataclass
class Problem:
    """One thing wrong with a shop, located as precisely as possible.

    ``rows`` are the first (up to 5) offending row numbers as the user sees them (``row_label``
    says whether they are file lines or data rows), ``values`` the offending values on those rows,
    ``n_rows`` how many rows are affected in total, ``issue`` a short description used when the
    values alone do not say what is wrong, ``expected`` what the contract wants, in plain words.
    """

    table: str
    file: str
    expected: str
    column: str | None = None
    rows: list[int] = field(default_factory=list)
    values: list[object] = field(default_factory=list)
    issue: str = ""
    n_rows: int = 0
    row_label: str = "line"

    def __str__(self) -> str:
        where = self.file
        if self.column:
            where += f", {'columns' if '+' in self.column else 'column'} {self.column}"
        if self.rows:
            label = self.row_label + ("s" if len(self.rows) > 1 else "")
            where += f", {label} {', '.join(str(r) for r in self.rows)}"
            extra = self.n_rows - len(self.rows)
            if extra > 0:
                where += f" and {extra:,} more"
        what = " ".join(p for p in (self.issue, _format_values(self.values)) if p) or "problem"
        return f"{where}: {what} — expected {self.expected}"


class DataError(UserError):
    """A shop does not meet the data contract; ``problems`` lists what is wrong, str() is the report."""

    def __init__(self, problems: list[Problem], header: str = "The shop data has problems:") -> None:
        self.problems = list(problems)
        self.header = header
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join([self.header, *(f"  - {p}" for p in self.problems)])


class MissingTableError(DataError):
    """A notebook or function needs a table the shop does not have."""


class _Shown(str):
    """A value already formatted for a message (shown without quotes)."""


def _format_value(value: object) -> str:
    """One offending value as shown in a message: text quoted, empty as ``(empty)``."""
    if isinstance(value, _Shown):
        return str(value)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return "(empty)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, pd.Timestamp):
        return repr(str(value))
    if isinstance(value, tuple):
        return "(" + ", ".join(_format_value(v) for v in value) + ")"
    return str(value)


def _format_values(values: Iterable[object]) -> str:
    """Distinct values, in order, comma separated."""
    shown: list[str] = []
    for v in values:
        text = _format_value(v)
        if text not in shown:
            shown.append(text)
    return ", ".join(shown)


# ------------------------------------------------------------------------------------ the schema


def _range_expected(col: ColumnSpec) -> str:
    """Plain words for a column's min/max bounds."""
    noun = "a whole number" if col.kind == "int" else "a number"
    lo, hi = col.min_value, col.max_value
    if lo is not None and hi is not None:
        return f"{noun} between {lo:g} and {hi:g}"
    if lo is not None:
        return f"{noun} >= {lo:g}"
    return f"{noun} <= {hi:g}"


def _pandas_dtype(kind: str) -> object:
    """The dtype a loaded column of this contract kind carries."""
    return {"str": STR_DTYPE, "int": "int64", "float": "float64"}.get(kind, "datetime64[ns]")


def _column_checks(col: ColumnSpec) -> list[tuple[pa.Check, str]]:
    """Pandera checks for one column, each with the plain-words expectation it reports."""
    checks: list[tuple[pa.Check, str]] = []
    if col.min_value is not None or col.max_value is not None:
        expected = _range_expected(col)
        if col.min_value is not None:
            checks.append((pa.Check.ge(col.min_value, error=expected), expected))
        if col.max_value is not None:
            checks.append((pa.Check.le(col.max_value, error=expected), expected))
    if col.allowed:
        expected = "one of " + ", ".join(col.allowed)
        checks.append((pa.Check.isin(list(col.allowed), error=expected), expected))
    return checks


def schema_for(table: str | TableSpec, columns: Iterable[str] | None = None) -> pa.DataFrameSchema:
    """The pandera schema of a contract table: dtypes, emptiness, bounds, allowed values, unique key.

    ``columns`` restricts the schema to the columns a file actually has (the unique key is dropped
    when one of its columns is absent). Extra columns in a frame are allowed.
    """
    spec = TABLES[table] if isinstance(table, str) else table
    keep = set(spec.column_names if columns is None else columns)
    cols = {
        c.name: pa.Column(_pandas_dtype(c.kind), nullable=c.nullable, checks=[ch for ch, _ in _column_checks(c)])
        for c in spec.columns
        if c.name in keep
    }
    unique = list(spec.key) if set(spec.key) <= keep else None
    return pa.DataFrameSchema(cols, unique=unique, strict=False, coerce=False, name=spec.name)


# ------------------------------------------------------------------------------------- reading


@dataclass
class _Table:
    """One table as read from its file: typed frame, raw values, and where each row sits in the file."""

    spec: TableSpec
    file: Path
    frame: pd.DataFrame
    raw: pd.DataFrame
    rownums: np.ndarray
    row_label: str
    bad: dict[str, np.ndarray] = field(default_factory=dict)  # column -> rows that failed to parse


class _FileProblem(Exception):
    """Internal: a file cannot be read at all (carries the Problem)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


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


def _empty_problem(table: str, file: Path, issue: str) -> _FileProblem:
    return _FileProblem(Problem(table=table, file=file.name, issue=issue, expected=EXPECTED_NONEMPTY_FILE))


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


# ------------------------------------------------------------------------------------- typing


def _to_text(raw: pd.Series) -> pd.Series:
    """Any raw column as the default string dtype (missing stays NaN)."""
    if raw.dtype == object:
        raw = raw.map(lambda v: None if _is_missing(v) else (v if isinstance(v, str) else _cell_text(v)))
    elif not pd.api.types.is_string_dtype(raw.dtype):
        raw = raw.astype(object).where(raw.notna(), None).map(lambda v: None if v is None else _cell_text(v))
    return raw.astype(STR_DTYPE)


def _is_missing(v: object) -> bool:
    """True for None, NaN and NaT cells."""
    return v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def _cell_text(v: object) -> str:
    """Text of a non-text cell: whole floats without ``.0`` (Excel stores 4711 as 4711.0)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _to_number(raw: pd.Series, kind: str) -> tuple[pd.Series, np.ndarray]:
    """Numbers from raw cells; returns (float64 values, rows that were non-empty but not a valid number)."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        num = pd.Series(np.nan, index=raw.index)
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        num = raw.astype("float64")
    elif raw.dtype == object:
        num = pd.to_numeric(raw.map(lambda v: np.nan if isinstance(v, bool) else v), errors="coerce")
    else:
        num = _text_to_float(raw)
    num = num.astype("float64")
    num = num.where(np.isfinite(num))
    bad = raw.notna().to_numpy() & num.isna().to_numpy()
    if kind == "int":
        frac = num.notna().to_numpy() & (num.fillna(0).to_numpy() % 1 != 0)
        bad |= frac
        num = num.mask(frac)
    return num, bad


def _text_to_float(text: pd.Series) -> pd.Series:
    """Text to float64: one vectorised cast when every value is a number, else coerce bad ones to NaN."""
    try:
        return text.astype("float64")
    except (ValueError, TypeError):
        return pd.to_numeric(text, errors="coerce")


def _as_int(num: pd.Series) -> pd.Series:
    """int64 when the column has no gaps; float64 otherwise (only when validation is off or failed)."""
    return num.astype("int64") if num.notna().all() else num


def _parse_text_dates(text: pd.Series) -> pd.Series:
    """Parse ISO-like date strings (``-``, ``/`` or ``T`` separators; unpadded fields tolerated)."""
    norm = text.str.replace("/", "-", regex=False)
    out = pd.to_datetime(norm, format="ISO8601", errors="coerce")
    retry = out.isna() & norm.notna()
    if retry.any():
        padded = norm[retry].str.replace(
            r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$",
            lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
            + (f" {int(m[4]):02d}:{m[5]}:{m[6] or '00'}" if m[4] else ""),
            regex=True,
        )
        out = out.astype("datetime64[us]")
        out[retry] = pd.to_datetime(padded, format="ISO8601", errors="coerce").astype("datetime64[us]")
    return out


def _to_datetime(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """datetime64[ns] from raw cells; returns (values, rows that were non-empty but not a date/time)."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        dt = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) is not None else raw
    elif raw.dtype == object:
        is_dt = raw.map(lambda v: isinstance(v, _dt.date)).to_numpy(dtype=bool)
        text = raw.map(lambda v: v if isinstance(v, str) else None).astype(STR_DTYPE)
        dt = _parse_text_dates(text).astype("datetime64[us]")
        if is_dt.any():
            dt[is_dt] = pd.to_datetime(raw[is_dt].map(pd.Timestamp)).astype("datetime64[us]")
    elif pd.api.types.is_string_dtype(raw.dtype):
        dt = _parse_text_dates(raw)
    else:  # numbers are not dates
        dt = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    lo, hi = pd.Timestamp.min.ceil("us"), pd.Timestamp.max.floor("us")
    dt = dt.where((dt >= lo) & (dt <= hi))
    bad = raw.notna().to_numpy() & dt.isna().to_numpy()
    return dt.astype("datetime64[ns]"), bad


def _problem_at(t: _Table, column: str | None, positions: np.ndarray, expected: str, issue: str = "",
                values: list[object] | None = None) -> Problem:
    """A Problem for rows at frame ``positions`` (sorted, 0-based)."""
    shown = positions[:MAX_ROWS_SHOWN]
    if values is None:
        values = t.raw[column].iloc[shown].tolist() if column in t.raw.columns else []
    return Problem(
        table=t.spec.name, file=t.file.name, column=column, rows=[int(r) for r in t.rownums[shown]],
        values=values, issue=issue, n_rows=len(positions), expected=expected, row_label=t.row_label,
    )


def _type_columns(t: _Table, problems: list[Problem]) -> None:
    """Build ``t.frame``: contract columns typed per kind (in contract order), extra columns after."""
    out: dict[str, pd.Series] = {}
    for col in t.spec.columns:
        if col.name not in t.raw.columns:
            continue
        raw = t.raw[col.name]
        if col.kind == "str":
            out[col.name] = _to_text(raw)
            continue
        if col.kind in ("int", "float"):
            values, bad = _to_number(raw, col.kind)
            out[col.name] = _as_int(values) if col.kind == "int" else values
        else:
            values, bad = _to_datetime(raw)
            out[col.name] = values
            if col.kind == "date":
                timed = values.notna().to_numpy() & (values != values.dt.normalize()).to_numpy()
                if timed.any():
                    problems.append(_problem_at(t, col.name, np.flatnonzero(timed), EXPECTED_MIDNIGHT))
        if bad.any():
            t.bad[col.name] = bad
            problems.append(_problem_at(t, col.name, np.flatnonzero(bad), EXPECTED_BY_KIND[col.kind]))
    extras = [c for c in t.raw.columns if c not in out and c not in t.spec.column_names]
    t.frame = pd.DataFrame({**out, **{c: t.raw[c] for c in extras}}, index=t.raw.index)


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


# ---------------------------------------------------------------------------------- validation


def _expected_for(spec: TableSpec, column: str, check: str, check_number: object) -> str:
    """Plain words for a pandera failure (by column and check position)."""
    if check == "not_nullable":
        return EXPECTED_NOT_EMPTY
    if check.startswith("dtype("):
        return EXPECTED_BY_KIND[spec.column(column).kind]
    checks = _column_checks(spec.column(column))
    if isinstance(check_number, int | np.integer) and 0 <= int(check_number) < len(checks):
        return checks[int(check_number)][1]
    return check


def _pandera_problems(t: _Table) -> list[Problem]:
    """Run the pandera schema lazily and turn its failure cases into Problems."""
    present = [c for c in t.spec.column_names if c in t.frame.columns]
    try:
        schema_for(t.spec, present).validate(t.frame, lazy=True)
        return []
    except SchemaErrors as e:
        cases = e.failure_cases
    problems: list[Problem] = []
    unique_rows: set[int] = set()
    # A float-typed int column only means it has gaps or bad values, which are reported already.
    flagged = set(t.bad) | set(cases.loc[~cases["check"].astype(str).str.startswith("dtype("), "column"].astype(str))
    for (column, check), group in cases.groupby(["column", "check"], sort=False, dropna=False):
        idx = pd.to_numeric(group["index"], errors="coerce").dropna().astype("int64").unique()
        if "uniqueness" in str(check):
            unique_rows.update(int(i) for i in idx)
            continue
        column, check = str(column), str(check)
        if check.startswith("dtype(") and column in flagged:
            continue  # already reported as unparseable values
        positions = np.sort(idx)
        if check == "not_nullable" and column in t.bad:
            positions = positions[~t.bad[column][positions]]
        if len(positions) == 0 and not check.startswith("dtype("):
            continue
        expected = _expected_for(t.spec, column, check, group["check_number"].iloc[0])
        problems.append(_problem_at(t, column, positions, expected))
    if unique_rows:
        problems.append(_duplicate_problem(t, np.array(sorted(unique_rows), dtype=np.int64)))
    return problems


def _duplicate_problem(t: _Table, positions: np.ndarray) -> Problem:
    """One Problem for all rows whose unique key occurs more than once."""
    key = list(t.spec.key)
    keys = t.frame[key].iloc[positions[:MAX_ROWS_SHOWN]]
    values: list[object] = [row[0] if len(key) == 1 else tuple(row) for row in keys.itertuples(index=False)]
    n_keys = len(t.frame[key].iloc[positions].drop_duplicates())
    names = ", ".join(key)
    return _problem_at(
        t, " + ".join(key), positions,
        expected=f"each {names if len(key) == 1 else '(' + names + ')'} only once",
        issue=f"{n_keys:,} duplicated key value{'s' if n_keys > 1 else ''}:", values=values,
    )


def _reference_problems(tables: dict[str, _Table]) -> list[Problem]:
    """Values that must exist in another table (checked only when that table was loaded)."""
    problems: list[Problem] = []
    for t in tables.values():
        for col, other, other_col in t.spec.references:
            target = tables.get(other)
            if target is None or col not in t.frame.columns or other_col not in target.frame.columns:
                continue
            s = t.frame[col]
            known = pd.Index(target.frame[other_col].dropna().unique())
            orphan = (s.notna() & ~s.isin(known)).to_numpy()
            if orphan.any():
                problems.append(
                    _problem_at(t, col, np.flatnonzero(orphan),
                                expected=f"a {other_col} that exists in {target.file.name}")
                )
    return problems


def _campaign_problems(t: _Table) -> list[Problem]:
    """Campaigns must not end before they start."""
    if not {"start", "end"} <= set(t.frame.columns):
        return []
    bad = (t.frame["end"] < t.frame["start"]).to_numpy()
    if not bad.any():
        return []
    pos = np.flatnonzero(bad)
    shown = pos[:MAX_ROWS_SHOWN]
    values: list[object] = [
        _Shown(f"{e:%Y-%m-%d} (start {s:%Y-%m-%d})")
        for s, e in zip(t.frame["start"].iloc[shown], t.frame["end"].iloc[shown], strict=True)
    ]
    return [_problem_at(t, "end", pos, expected="an end date on or after the start date", values=values,
                        issue="ends before it starts:")]


@dataclass
class _Loaded:
    """Everything reading a shop produced."""

    folder: Path
    tables: dict[str, _Table]
    files: dict[str, Path]
    problems: list[Problem]
    notes: list[str]
    missing: list[str]
    fatal: list[Problem]


def _missing_table_problem(folder: Path, name: str) -> Problem:
    files = ", ".join(f"{name}{s}" for s in SUFFIXES[:-1]) + f" or {name}{SUFFIXES[-1]}"
    return Problem(table=name, file=name, issue=f"required table missing in {folder}", expected=files)


def _load(folder: Path, names: list[str], checks: bool) -> _Loaded:
    """Read the requested tables of a shop; with ``checks`` also run pandera and cross-table checks."""
    out = _Loaded(folder=folder, tables={}, files={}, problems=[], notes=[], missing=[], fatal=[])
    for name in names:
        files = _table_files(folder, name)
        if len(files) > 1:
            p = Problem(table=name, file=name, issue=f"{len(files)} files for one table ({', '.join(f.name for f in files)})",
                        expected="exactly one file per table: remove all but one")
            out.fatal.append(p)
            continue
        if not files:
            out.missing.append(name)
            if TABLES[name].required:
                out.fatal.append(_missing_table_problem(folder, name))
            else:
                out.notes.append(f"{name}: no file (optional table); analyses that need it are skipped")
            continue
        out.files[name] = files[0]
        problems: list[Problem] = []
        try:
            t = _read_table(files[0], TABLES[name], problems, out.notes)
        except _FileProblem as e:
            out.fatal.append(e.problem)
            continue
        except OSError as e:
            out.fatal.append(Problem(table=name, file=files[0].name, issue=f"cannot be read ({e.strerror or e})",
                                     expected="a readable file"))
            continue
        out.fatal += [p for p in problems if p.issue == "missing"]
        out.problems += [p for p in problems if p.issue != "missing"]
        out.tables[name] = t
        if checks:
            out.problems += _pandera_problems(t)
    if checks:
        out.problems += _reference_problems(out.tables)
        if "campaigns" in out.tables:
            out.problems += _campaign_problems(out.tables["campaigns"])
    return out


def _all_problems(loaded: _Loaded) -> list[Problem]:
    """Fatal and value problems, grouped by table in contract order."""
    order = {n: i for i, n in enumerate(TABLES)}
    return sorted(loaded.fatal + loaded.problems, key=lambda p: order.get(p.table, len(order)))


# ----------------------------------------------------------------------------------------- Shop


@dataclass
class Shop:
    """A loaded shop: one typed frame per contract table (None when its file is absent)."""

    path: Path
    orders: pd.DataFrame | None = None
    products: pd.DataFrame | None = None
    campaigns: pd.DataFrame | None = None
    traffic: pd.DataFrame | None = None
    inventory: pd.DataFrame | None = None
    fulfilment: pd.DataFrame | None = None
    reviews: pd.DataFrame | None = None
    available: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        """True when table ``name`` was loaded."""
        return getattr(self, name, None) is not None

    def require(self, *names: str, purpose: str) -> None:
        """Raise ``MissingTableError`` naming the absent tables and what they were needed for."""
        absent = [n for n in names if not self.has(n)]
        if absent:
            problems = [
                Problem(table=n, file=n, issue=f"missing in {self.path}",
                        expected=f"{n}.csv, {n}.parquet or {n}.xlsx for {purpose}")
                for n in absent
            ]
            files = ", ".join(f"{n}.csv" for n in absent)
            raise MissingTableError(problems, header=f"{purpose} needs {files} (or .parquet/.xlsx) in {self.path}:")

    def skip_message(self, name: str, what: str) -> str:
        """A friendly line for notebooks, e.g. ``no traffic table in DIR (traffic.csv, .parquet or .xlsx): skipping the funnel``."""
        return f"no {name} table in {self.path} ({name}.csv, .parquet or .xlsx): skipping {what}"


def _table_names(tables: Iterable[str] | None) -> list[str]:
    names = list(TABLES) if tables is None else list(dict.fromkeys(tables))
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; contract tables are {list(TABLES)}")
    return names


def load_shop(path: str | Path, tables: Iterable[str] | None = None, validate: bool = True) -> Shop:
    """Load a shop folder into typed frames.

    ``tables`` limits which tables are read (default: all). Required tables among them must exist.
    With ``validate`` every contract rule is checked and any problem raises ``DataError``; without
    it only unreadable files, missing tables/columns raise, unparseable values become missing and
    an ``int`` column with gaps is left as float64.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(
            [Problem(table="", file=str(folder), issue="not a folder", expected="a folder with one file per table")],
            header="Cannot load the shop:",
        )
    names = _table_names(tables)
    loaded = _load(folder, names, checks=validate)
    problems = _all_problems(loaded) if validate else sorted(loaded.fatal, key=lambda p: names.index(p.table))
    if problems:
        raise DataError(problems, header=f"The shop in {folder} does not meet the data contract:")
    shop = Shop(path=folder, files=loaded.files, notes=loaded.notes, missing=loaded.missing)
    for name, t in loaded.tables.items():
        setattr(shop, name, t.frame)
    shop.available = [n for n in names if n in loaded.tables]
    return shop


# ----------------------------------------------------------------------------------- reporting


@dataclass
class TableSummary:
    """Row count and date span of one loaded table."""

    table: str
    file: str
    rows: int
    row_label: str
    date_column: str | None = None
    date_min: pd.Timestamp | None = None
    date_max: pd.Timestamp | None = None


@dataclass
class ValidationReport:
    """Outcome of ``validate_shop``: problems, notes and a summary per loaded table."""

    path: Path
    problems: list[Problem]
    notes: list[str]
    tables: dict[str, TableSummary]
    missing: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _summary(t: _Table) -> TableSummary:
    """Rows and date span (first date column; campaigns span start..end)."""
    s = TableSummary(table=t.spec.name, file=t.file.name, rows=len(t.frame), row_label=t.row_label)
    first, last = RANGE_COLUMNS.get(t.spec.name, (None, None))
    if first is None:
        first = last = next((c.name for c in t.spec.columns if c.kind in ("date", "datetime")), None)
    if first in t.frame.columns and last in t.frame.columns:
        s.date_column = first if first == last else f"{first}..{last}"
        lo, hi = t.frame[first].min(), t.frame[last].max()
        s.date_min = None if pd.isna(lo) else lo
        s.date_max = None if pd.isna(hi) else hi
    return s


def cost_note(products: pd.DataFrame) -> str | None:
    """A warning for every report that shows margins, when unit costs are missing or were assumed.

    Importers without real costs fill ``unit_cost`` from a default margin and say so in an extra
    ``cost_source`` column (``"assumed 30% margin"``); other shops may leave ``unit_cost`` empty. Returns
    None when every SKU has a cost from the source.

    Example:
        >>> p = pd.DataFrame({"sku": ["a", "b", "c"], "unit_cost": [7.0, 3.5, None],
        ...                   "cost_source": ["assumed 30% margin", "source", "missing"]})
        >>> print(cost_note(p))
        ⚠ Costs: 1 of 3 SKUs have costs assumed at import (assumed 30% margin); 1 of 3 have no cost and are left out of margins. Margin figures are partly an assumption, not the shop's books.
    """
    n = len(products)
    missing = int(products["unit_cost"].isna().sum())
    assumed = 0
    labels: list[str] = []
    if "cost_source" in products.columns:
        src = products["cost_source"].astype("string").fillna("")
        is_assumed = src.str.startswith("assumed")
        assumed = int(is_assumed.sum())
        labels = sorted(src[is_assumed].unique().tolist())
    if not missing and not assumed:
        return None
    parts = []
    if assumed:
        parts.append(f"{assumed:,} of {n:,} SKUs have costs assumed at import ({', '.join(labels)})")
    if missing:
        parts.append(f"{missing:,} of {n:,} have no cost and are left out of margins")
    return "⚠ Costs: " + "; ".join(parts) + ". Margin figures are partly an assumption, not the shop's books."


def validate_shop(path: str | Path) -> ValidationReport:
    """Check every table of a shop against the contract. Never raises for mistakes in the data."""
    folder = Path(path)
    if not folder.is_dir():
        p = Problem(table="", file=str(folder), issue="not a folder", expected="a folder with one file per table")
        return ValidationReport(path=folder, problems=[p], notes=[], tables={}, missing=list(TABLES))
    loaded = _load(folder, list(TABLES), checks=True)
    return ValidationReport(
        path=folder,
        problems=_all_problems(loaded),
        notes=loaded.notes,
        tables={n: _summary(t) for n, t in loaded.tables.items()},
        missing=loaded.missing,
    )


def _format_stamp(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%d}" if ts == ts.normalize() else f"{ts:%Y-%m-%d %H:%M}"


def format_report(report: ValidationReport) -> str:
    """The human report: one block per table (OK with rows and dates, or its problems), then notes."""
    lines = [f"Shop: {report.path}"]
    for name in TABLES:
        mine = [p for p in report.problems if p.table == name]
        summary = report.tables.get(name)
        if mine:
            label = summary.file if summary else name
            lines.append(f"{label}: {len(mine)} problem{'s' if len(mine) > 1 else ''}")
            lines += [f"  - {p}" for p in mine]
        elif summary:
            text = f"{summary.file}: OK, {summary.rows:,} row{'s' if summary.rows != 1 else ''}"
            if summary.date_min is not None and summary.date_max is not None:
                text += f", {summary.date_column} {_format_stamp(summary.date_min)} to {_format_stamp(summary.date_max)}"
            lines.append(text)
        elif name in report.missing:
            lines.append(f"{name}: no file ({'required' if TABLES[name].required else 'optional'})")
    others = [p for p in report.problems if p.table not in TABLES]
    lines += [f"  - {p}" for p in others]
    if report.notes:
        lines.append("Notes:")
        lines += [f"  - {n}" for n in report.notes]
    n = len(report.problems)
    lines.append("Result: OK, the shop meets the data contract." if n == 0
                 else f"Result: {n} problem{'s' if n > 1 else ''} found.")
    return "\n".join(lines)


USAGE = "usage: python -m opslib validate DIR\n  check a shop folder against the data contract"


def validate_main(argv: list[str]) -> int:
    """``python -m opslib validate DIR``: print the report; exit 0 clean, 1 problems, 2 usage error."""
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if len(argv) != 1:
        print(USAGE, file=sys.stderr)
        return 2
    folder = Path(argv[0])
    if not folder.is_dir():
        print(f"opslib validate: {folder} is not a folder\n{USAGE}", file=sys.stderr)
        return 2
    report = validate_shop(folder)
    print(format_report(report))
    return 0 if report.ok else 1
