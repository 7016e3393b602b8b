"""SQL over the order lines where they are: a shop's engine (DuckDB or Spark), or a frame / Parquet path.

The campaign analyses that need more than the daily x SKU cube (the buyer mix, an ad-hoc window's discount,
the shop's conversion rate) ask for small aggregates in SQL, so the order lines never come into pandas:

* a shop opened on its engine (``load_shop``'s ``Shop`` or ``open_shop``'s ``ShopData``): the query runs on
  its engine (``ShopData.query``; DuckDB as written, Spark through sqlglot) over the typed view ``orders``;
* a frame, a Parquet/CSV path or a ``Shop`` built from frames: the same SQL in a fresh DuckDB connection,
  with the lines exposed as view ``orders``.

SQL here is written once in DuckDB's dialect and uses only what transpiles to Spark (no ``FILTER``, no
correlated subqueries in a select list, bounds as ``CAST('...' AS TIMESTAMP)`` literals).

Example:
    >>> lines = pd.DataFrame({"order_id": ["o1", "o2"], "sku": ["A", "B"], "quantity": [2, 1],
    ...                       "order_ts": pd.to_datetime(["2024-06-01 10:00", "2024-06-02 11:00"])})
    >>> query_lines(lines, f"SELECT sum(quantity) AS units FROM orders o WHERE {sku_filter(['A'])}")["units"][0]
    np.float64(2.0)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from opslib.data import cube as _cube
from opslib.data.engine import sql_str

__all__ = ["on_engine", "query_lines", "sku_filter", "ts_literal", "ts_range"]


def on_engine(source: Any) -> bool:
    """True for a shop opened on its engine (``Shop`` with ``lines``, or a ``ShopData``).

    Parameters:
        source: a frame, a path or a shop.

    Returns:
        Whether :func:`query_lines` runs on the shop's engine.

    Example:
        >>> on_engine(pd.DataFrame()), on_engine("orders.parquet")
        (False, False)
    """
    return getattr(source, "lines", None) is not None or hasattr(source, "sources")


def query_lines(source: Any, sql: str) -> pd.DataFrame:
    """Run ``sql`` (DuckDB dialect, view ``orders`` = the order lines) where the lines are; a small frame back.

    Parameters:
        source: a shop on its engine, a ``Shop`` built from frames, an orders frame or a Parquet/CSV path.
        sql: the query; it may name ``orders`` only (other tables are the shop's business).

    Returns:
        The result as a pandas frame.

    Example:
        >>> query_lines(pd.DataFrame({"quantity": [1, 2]}), "SELECT count(*) AS n FROM orders")["n"][0]
        np.int64(2)
    """
    if on_engine(source):
        return getattr(source, "lines", source).query(sql)
    con = _cube.connect()
    _cube.relation(con, "orders", source, table="orders")
    return con.execute(sql).df()


def ts_literal(value: object) -> str:
    """A timestamp literal both engines read: ``CAST('2024-06-01 00:00:00' AS TIMESTAMP)``.

    Parameters:
        value: anything ``pd.Timestamp`` takes.

    Returns:
        The SQL text.

    Example:
        >>> ts_literal("2024-06-01")
        "CAST('2024-06-01 00:00:00' AS TIMESTAMP)"
    """
    return f"CAST({sql_str(str(pd.Timestamp(value)))} AS TIMESTAMP)"



def ts_range(lo: object, hi: object, column: str = "o.order_ts") -> str:
    """SQL condition ``lo <= column < hi`` (either bound optional; neither: ``TRUE``).

    Parameters:
        lo, hi: the bounds (anything ``pd.Timestamp`` takes) or None. column: the SQL column.

    Returns:
        The SQL text.

    Example:
        >>> ts_range("2024-06-01", None)
        "o.order_ts >= CAST('2024-06-01 00:00:00' AS TIMESTAMP)"
        >>> ts_range(None, None)
        'TRUE'
    """
    parts = [f"{column} >= {ts_literal(lo)}"] if lo is not None else []
    parts += [f"{column} < {ts_literal(hi)}"] if hi is not None else []
    return " AND ".join(parts) or "TRUE"

def sku_filter(skus: Iterable[str] | None, column: str = "o.sku") -> str:
    """SQL condition ``column IN (...)`` for ``skus`` (None: every SKU, ``TRUE``; none: ``FALSE``).

    Parameters:
        skus: the SKUs, or None for all. column: the SQL column.

    Returns:
        The SQL text.

    Example:
        >>> sku_filter(["A", "it's"]), sku_filter(None), sku_filter([])
        ("o.sku IN ('A', 'it''s')", 'TRUE', 'FALSE')
    """
    if skus is None:
        return "TRUE"
    values = sorted({str(s) for s in skus})
    if not values:
        return "FALSE"
    return f"{column} IN ({', '.join(sql_str(v) for v in values)})"
