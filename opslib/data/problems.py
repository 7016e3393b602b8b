"""Problems with a shop's files: where (file, column, rows), what, and what was expected.

Every reading and validation step reports through ``Problem``; ``DataError`` (``opslib.errors``) joins them
into the message a user sees, e.g.::

    orders.csv, column order_ts, lines 3, 9: 'yesterday', '2024-13-01' — expected a date/time like 2024-06-18 10:31:00
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from opslib.data.contract import TableSpec

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



def _empty_problem(table: str, file: Path, issue: str) -> _FileProblem:
    return _FileProblem(Problem(table=table, file=file.name, issue=issue, expected=EXPECTED_NONEMPTY_FILE))



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

