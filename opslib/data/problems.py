"""Problems with a shop's files: where (file, column, rows), what, and what was expected.

Every reading and validation step reports through ``Problem``; ``DataError`` (``opslib.errors``) joins them
into the message a user sees, e.g.::

    orders.csv, column order_ts, lines 3, 9: 'yesterday', '2024-13-01' — expected a date/time like 2024-06-18 10:31:00
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# File suffixes a table may come in, in the order they are listed in messages.
SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet", ".xlsx")
MAX_ROWS_SHOWN = 5
STR_DTYPE = pd.StringDtype(na_value=np.nan)

EXPECTED_BY_KIND: dict[str, str] = {
    "str": "text",
    "int": "a whole number like 3",
    "float": "a number like 89.00 (no thousands separators)",
    "datetime": "a date/time like 2024-06-18 10:31:00",
    "date": "a date like 2024-06-18",
}
EXPECTED_NOT_EMPTY = "a value (this column may not be empty)"
EXPECTED_MIDNIGHT = "a date without a time of day, like 2024-06-18"


def range_expected(col: object) -> str:
    """Plain words for a contract column's min/max bounds, as every check words them.

    Parameters:
        col: a ``ColumnSpec`` (its ``kind``, ``min_value``, ``max_value``).

    Returns:
        e.g. ``"a number >= 0"`` or ``"a whole number between 1 and 5"``; just the noun without bounds.

    Example:
        >>> from types import SimpleNamespace as C
        >>> range_expected(C(kind="int", min_value=1, max_value=5)), range_expected(C(kind="float", min_value=0, max_value=None))
        ('a whole number between 1 and 5', 'a number >= 0')
    """
    noun = "a whole number" if col.kind == "int" else "a number"
    lo, hi = col.min_value, col.max_value
    if lo is not None and hi is not None:
        return f"{noun} between {lo:g} and {hi:g}"
    if lo is not None:
        return f"{noun} >= {lo:g}"
    if hi is not None:
        return f"{noun} <= {hi:g}"
    return noun
EXPECTED_NONEMPTY_FILE = "a header line and at least one data row"


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
