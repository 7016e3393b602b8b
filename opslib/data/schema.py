"""The data contract as a pandera schema, for frames built in memory (the files are checked in SQL).

``schema_for(table)`` turns a contract table into a ``pandera.DataFrameSchema``: dtypes, emptiness, bounds,
allowed values and the unique key. pandera is imported only when a schema is asked for: with PySpark installed it
imports ``pyspark.pandas``, which warns about pandas 3 on every import, and nothing else in opslib needs it.

Example:
    >>> import pandas as pd
    >>> schema_for("reviews", ["order_id", "score"]).columns["score"].checks[0].error
    'a whole number between 1 and 5'
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from opslib.data.contract import TABLES, ColumnSpec, TableSpec
from opslib.data.problems import STR_DTYPE, range_expected


def _pandera() -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
        warnings.filterwarnings("ignore", message=".*PySpark.*", category=FutureWarning)
        import pandera.pandas as pa
    return pa



def _pandas_dtype(kind: str) -> object:
    """The dtype a loaded column of this contract kind carries."""
    return {"str": STR_DTYPE, "int": "int64", "float": "float64"}.get(kind, "datetime64[ns]")


def _column_checks(col: ColumnSpec) -> list[tuple[Any, str]]:
    """Pandera checks for one column, each with the plain-words expectation it reports."""
    pa = _pandera()
    checks: list[tuple[Any, str]] = []
    if col.min_value is not None or col.max_value is not None:
        expected = range_expected(col)
        if col.min_value is not None:
            checks.append((pa.Check.ge(col.min_value, error=expected), expected))
        if col.max_value is not None:
            checks.append((pa.Check.le(col.max_value, error=expected), expected))
    if col.allowed:
        expected = "one of " + ", ".join(col.allowed)
        checks.append((pa.Check.isin(list(col.allowed), error=expected), expected))
    return checks


def schema_for(table: str | TableSpec, columns: Iterable[str] | None = None) -> Any:
    """The pandera schema of a contract table: dtypes, emptiness, bounds, allowed values, unique key.

    ``columns`` restricts the schema to the columns a file actually has (the unique key is dropped
    when one of its columns is absent). Extra columns in a frame are allowed.
    """
    pa = _pandera()
    spec = TABLES[table] if isinstance(table, str) else table
    keep = set(spec.column_names if columns is None else columns)
    cols = {
        c.name: pa.Column(_pandas_dtype(c.kind), nullable=c.nullable, checks=[ch for ch, _ in _column_checks(c)])
        for c in spec.columns
        if c.name in keep
    }
    unique = list(spec.key) if set(spec.key) <= keep else None
    return pa.DataFrameSchema(cols, unique=unique, strict=False, coerce=False, name=spec.name)
