"""The problem vocabulary shared with the pandas loader: one ``Problem`` per thing wrong, same words.

Re-exported from the loader so that messages keep one format whichever path found them.
"""

from __future__ import annotations

from opslib.data import (
    EXPECTED_BY_KIND,
    EXPECTED_MIDNIGHT,
    EXPECTED_NONEMPTY_FILE,
    EXPECTED_NOT_EMPTY,
    MAX_ROWS_SHOWN,
    DataError,
    MissingTableError,
    Problem,
    _range_expected,
    _Shown,
)

__all__ = [
    "EXPECTED_BY_KIND",
    "EXPECTED_MIDNIGHT",
    "EXPECTED_NONEMPTY_FILE",
    "EXPECTED_NOT_EMPTY",
    "MAX_ROWS_SHOWN",
    "DataError",
    "MissingTableError",
    "Problem",
    "Shown",
    "range_expected",
]

Shown = _Shown
range_expected = _range_expected
