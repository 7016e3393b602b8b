"""Shared plumbing of the customer queries: expose tables to DuckDB, quote names and days.

Every customer measure is one SQL statement over views named after the contract tables (``orders``,
``products``, ``traffic``, ``fulfilment``, ``campaigns``), so a query moves to another engine by
pointing those names elsewhere. A table may be a DataFrame, a Parquet/CSV path or glob, or a DuckDB
relation (brought over as Arrow).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from opslib.calendar import period_bounds
from opslib.data import cube
from opslib.errors import CLVError

Table = pd.DataFrame | str | Path | duckdb.DuckDBPyRelation


def connect(**tables: Table | None) -> duckdb.DuckDBPyConnection:
    """A fresh in-process connection with each given table as a view of that name (None is skipped).

    Example:
        >>> con = connect(orders=pd.DataFrame({"order_id": ["a", "b"]}))
        >>> con.execute("SELECT count(*) FROM orders").fetchone()[0]
        2
    """
    con = cube.connect()
    for name, source in tables.items():
        if source is None:
            continue
        if isinstance(source, duckdb.DuckDBPyRelation):
            con.register(name, source.arrow())
            continue
        if isinstance(source, pd.DataFrame):
            cube.relation(con, name, source)
            continue
        path = str(source)
        if not any(ch in path for ch in "*?[") and not Path(path).exists():
            raise CLVError(f"{path}: no such file — expected the {name} table as a Parquet/CSV file or a DataFrame")
        try:
            cube.relation(con, name, path)
        except duckdb.Error as exc:
            raise CLVError(f"{path}: cannot be read as Parquet/CSV ({exc})") from None
    return con


def columns(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    """Column name -> DuckDB type of view ``name``."""
    return dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {name})").fetchall())


def require(con: duckdb.DuckDBPyConnection, name: str, needed: list[str], what: str) -> dict[str, str]:
    """The view's columns, or CLVError naming the table, the missing columns and what they were for."""
    have = columns(con, name)
    missing = [c for c in needed if c not in have]
    if missing:
        raise CLVError(f"{what}: the {name} table lacks column(s) {', '.join(map(repr, missing))} — "
                       f"it has {', '.join(map(repr, have))}")
    return have


def day(value: Any) -> str:
    """A SQL DATE literal for a day: ``DATE '2024-06-30'``.

    Example:
        >>> day("2024-06-30 18:00")
        "DATE '2024-06-30'"
    """
    return f"DATE '{pd.Timestamp(value):%Y-%m-%d}'"


def ts_window(period: Any, column: str = "o.order_ts") -> str:
    """SQL condition ``start <= column < end + 1 day`` for a period (``Period`` or ``(start, end)``); TRUE for None.

    Example:
        >>> ts_window(("2024-06-01", "2024-06-30"))
        "o.order_ts >= TIMESTAMP '2024-06-01' AND o.order_ts < TIMESTAMP '2024-07-01'"
    """
    if period is None:
        return "TRUE"
    start, end = period_bounds(period)
    return (f"{column} >= TIMESTAMP '{start:%Y-%m-%d}' AND "
            f"{column} < TIMESTAMP '{end + pd.Timedelta(days=1):%Y-%m-%d}'")


def day_window(period: Any, column: str = "t.date") -> str:
    """SQL condition ``start <= column <= end`` on a DATE column; TRUE for None.

    Example:
        >>> day_window(("2024-06-01", "2024-06-30"))
        "CAST(t.date AS DATE) BETWEEN DATE '2024-06-01' AND DATE '2024-06-30'"
    """
    if period is None:
        return "TRUE"
    start, end = period_bounds(period)
    return f"CAST({column} AS DATE) BETWEEN {day(start)} AND {day(end)}"
