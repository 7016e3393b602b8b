"""Check a shop against the data contract: types, ranges, allowed values, unique keys, references.

``validate_shop(path) -> ValidationReport`` never raises for mistakes in the data; it runs on the shop's
engine (DuckDB by default: ``opslib.data.relations``, ``opslib.data.sql_checks``). ``format_report`` is the
human report and ``validate_main`` is ``python -m opslib validate DIR`` (a progress line per table on
stderr). ``schema_for`` is the contract as a pandera schema, for frames built in memory; the pandas
reading path (``_load``) is kept for it and is no longer what ``validate_shop`` runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from opslib.data.contract import TABLES, ColumnSpec, TableSpec
from opslib.data.problems import (
    EXPECTED_BY_KIND,
    EXPECTED_NOT_EMPTY,
    MAX_ROWS_SHOWN,
    RANGE_COLUMNS,
    STR_DTYPE,
    SUFFIXES,
    Problem,
    _FileProblem,
    _problem_at,
    _Shown,
    _Table,
)
from opslib.data.readers import _read_table, _table_files
from opslib.errors import SettingsError

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



def validate_shop(path: str | Path, progress: Callable[[str], None] | None = None,
                  settings: dict[str, Any] | None = None) -> ValidationReport:
    """Check every table of a shop against the contract on its engine. Never raises for mistakes in the data.

    The files are scanned by the engine (``opslib.data.relations``; DuckDB by default) and every rule
    is SQL (``opslib.data.sql_checks``), so memory does not grow with the number of lines.

    Parameters:
        path: the shop folder. progress: called with one line per table checked (rows, seconds).
        settings: shop.yml keys replacing the folder's own (e.g. ``{"engine": "spark"}``).

    Returns:
        The :class:`ValidationReport` (problems, notes, a summary per table).
    """
    from opslib.data.relations import check_shop, open_shop

    folder = Path(path)
    if not folder.is_dir():
        p = Problem(table="", file=str(folder), issue="not a folder", expected="a folder with one file per table")
        return ValidationReport(path=folder, problems=[p], notes=[], tables={}, missing=list(TABLES))
    try:
        shop = open_shop(folder, settings=settings)
    except SettingsError as e:
        p = Problem(table="", file=str(folder / "shop.yml"), issue=str(e), expected="a valid shop.yml")
        return ValidationReport(path=folder, problems=[p], notes=[], tables={}, missing=[])
    problems = check_shop(shop, progress)
    tables = {}
    for name, src in shop.sources.items():
        s = TableSummary(table=name, file=src.staged.name, rows=src.n_rows, row_label=src.staged.row_label)
        if src.summary:
            s.date_column, s.date_min, s.date_max = src.summary["column"], src.summary["min"], src.summary["max"]
        tables[name] = s
    shop.engine.close()
    return ValidationReport(path=folder, problems=problems, notes=shop.notes, tables=tables, missing=shop.missing)


def _format_stamp(ts: pd.Timestamp) -> str:
    return f"{ts:%Y-%m-%d}" if ts == ts.normalize() else f"{ts:%Y-%m-%d %H:%M}"


def format_report(report: ValidationReport) -> str:
    """The human report: one block per table (OK with rows and dates, or its problems), then notes.

    Parameters:
        report: :func:`validate_shop`.

    Returns:
        The report as text.
    """
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
    from opslib.data.relations import progress_printer

    report = validate_shop(folder, progress=progress_printer())
    print(format_report(report))
    return 0 if report.ok else 1

