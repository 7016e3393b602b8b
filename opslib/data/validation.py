"""Check a shop against the data contract: types, ranges, allowed values, unique keys, references.

``validate_shop(path) -> ValidationReport`` never raises for mistakes in the data; it runs on the shop's
engine (DuckDB by default: ``opslib.data.relations``, ``opslib.data.sql_checks``). ``format_report`` is the
human report and ``validate_main`` is ``python -m opslib validate DIR`` (a progress line per table on
stderr). ``schema_for`` is the contract as a pandera schema, for frames built in memory; the pandas
reading path (``_load``) is kept for it and is no longer what ``validate_shop`` runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from opslib.data.contract import TABLES
from opslib.data.problems import (
    Problem,
)
from opslib.errors import SettingsError

# ------------------------------------------------------------------------------------ the schema


# ---------------------------------------------------------------------------------- validation


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


def validate_shop(path: str | Path, progress: Callable[[str], None] | None = None,
                  settings: dict[str, Any] | None = None, use_stamp: bool = False) -> ValidationReport:
    """Check every table of a shop against the contract on its engine. Never raises for mistakes in the data.

    The files are scanned by the engine (``opslib.data.relations``; DuckDB by default) and every rule
    is SQL (``opslib.data.sql_checks``), so memory does not grow with the number of lines.

    With ``use_stamp`` (a report that reads the validation, e.g. notebook 04) a stamp of an earlier clean
    validation of every table over the same, unchanged files (``opslib.data.stamp``) is reported instead of
    checking again: the same tables, rows, dates and notes, plus ``validated on <when>; files unchanged``.
    A changed file, a shop with problems (never stamped) or ``OPSLIB_REVALIDATE=1`` means a full check.
    ``python -m opslib validate`` always checks in full.

    Parameters:
        path: the shop folder. progress: called with one line per table checked (rows, seconds), per
            CSV/Excel file read into the engine, and per partitioned reference check.
        settings: shop.yml keys replacing the folder's own (e.g. ``{"engine": "spark"}``).
        use_stamp: report a matching stamp instead of checking again (default: always check).

    Returns:
        The :class:`ValidationReport` (problems, notes, a summary per table).
    """
    from opslib.data.relations import check_shop, open_shop

    folder = Path(path)
    if not folder.is_dir():
        p = Problem(table="", file=str(folder), issue="not a folder", expected="a folder with one file per table")
        return ValidationReport(path=folder, problems=[p], notes=[], tables={}, missing=list(TABLES))
    try:
        shop = open_shop(folder, settings=settings, progress=progress)
    except SettingsError as e:
        p = Problem(table="", file=str(folder / "shop.yml"), issue=str(e), expected="a valid shop.yml")
        return ValidationReport(path=folder, problems=[p], notes=[], tables={}, missing=[])
    from opslib.data import stamp as stamps

    found = stamps.find_stamp(shop) if use_stamp and not stamps.revalidate_env() else None
    if found is not None:  # find_stamp needs a shop without fatal problems: nothing to report but the stamp
        stamps.apply_stamp(shop, found)
        problems = []
    else:
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

