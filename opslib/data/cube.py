"""Line-level aggregation in DuckDB: order lines in, small daily cubes out.

Every function here takes contract frames (``opslib.data.contract``) or Parquet paths, runs one SQL
query in an in-process DuckDB connection and returns a small pandas frame. Analysis, models and
charts then work on those frames. DuckDB streams Parquet files larger than memory, so the same
call works on the 10M-line benchmark shop.

Definitions used by every cube (per line ``i``):

* ``gmv_i = quantity_i * unit_price_i`` for lines that were not cancelled (GMV, 成交额, includes
  lines later returned);
* ``net_sales_i = gmv_i`` if ``status_i == 'completed'`` else 0 (after returns and cancellations);
* ``list_value_i = quantity_i * list_price_i`` (not cancelled); ``discount_i = list_value_i - gmv_i``;
* ``cost_i = quantity_i * unit_cost_i`` for completed lines (needs products).

Example:
    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "order_id": ["o1", "o1", "o2"], "order_ts": pd.to_datetime(["2024-01-01 10:00"] * 3),
    ...     "customer_id": ["c1", "c1", None], "sku": ["a", "b", "a"], "quantity": [1, 2, 1],
    ...     "unit_price": [10.0, 5.0, 10.0], "list_price": [10.0, 6.0, 10.0], "channel": "app",
    ...     "region": "华东", "status": ["completed", "completed", "returned"], "campaign_id": None})
    >>> daily_sku(lines)[["sku", "units", "gmv", "net_sales"]].to_dict("records")
    [{'sku': 'a', 'units': 2, 'gmv': 20.0, 'net_sales': 10.0}, {'sku': 'b', 'units': 2, 'gmv': 10.0, 'net_sales': 10.0}]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

Source = pd.DataFrame | str | Path


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh in-process DuckDB connection (threads follow the machine's cores)."""
    return duckdb.connect(database=":memory:")


#: The table a view name stands for when a whole shop is passed as a source.
VIEW_TABLES: dict[str, str] = {"o": "orders", "p": "products", "t": "traffic", "i": "inventory", "c": "campaigns",
                               "f": "fulfilment", "r": "reviews", "s": "service"}


def relation(con: duckdb.DuckDBPyConnection, name: str, source: Source | Any, table: str | None = None) -> None:
    """Expose a frame, a Parquet/CSV file or a shop's table to ``con`` as view ``name``.

    A shop (``load_shop``'s ``Shop``) stands for its table ``table`` (default: ``VIEW_TABLES[name]``, e.g. ``o`` ->
    orders), read from its typed Parquet file (``Shop.source``): the lines never pass through pandas.
    """
    if hasattr(source, "source") and hasattr(source, "lines"):
        shop = source
        source = shop.source(table or VIEW_TABLES.get(name, name))
        if source is None:
            raise KeyError(f"the shop in {shop.path} has no {table or VIEW_TABLES.get(name, name)} table")
    if isinstance(source, pd.DataFrame):
        con.register(name, source)
        return
    path = str(source)
    rel = con.read_parquet(path) if path.endswith(".parquet") else con.read_csv(path)
    rel.create_view(name)


def _period_sql(start: object, end: object) -> str:
    """``start <= o.order_ts < end`` in SQL (either bound optional)."""
    parts = []
    if start is not None:
        parts.append(f"o.order_ts >= TIMESTAMP '{pd.Timestamp(start)}'")
    if end is not None:
        parts.append(f"o.order_ts < TIMESTAMP '{pd.Timestamp(end)}'")
    return " AND ".join(parts) or "TRUE"


_LINE_MEASURES = """
    CAST(count(DISTINCT CASE WHEN o.status <> 'cancelled' THEN o.order_id END) AS BIGINT) AS orders,
    CAST(coalesce(sum(CASE WHEN o.status <> 'cancelled' THEN o.quantity END), 0) AS BIGINT) AS units,
    CAST(coalesce(sum(CASE WHEN o.status = 'completed' THEN o.quantity END), 0) AS BIGINT) AS units_net,
    CAST(coalesce(sum(CASE WHEN o.status = 'returned' THEN o.quantity END), 0) AS BIGINT) AS units_returned,
    CAST(coalesce(sum(CASE WHEN o.status <> 'cancelled' THEN o.quantity * o.unit_price END), 0) AS DOUBLE) AS gmv,
    CAST(coalesce(sum(CASE WHEN o.status = 'completed' THEN o.quantity * o.unit_price END), 0) AS DOUBLE) AS net_sales,
    CAST(coalesce(sum(CASE WHEN o.status <> 'cancelled' THEN o.quantity * o.list_price END), 0) AS DOUBLE) AS list_value
"""


def _is_shop(source: object) -> bool:
    """True for a ``Shop`` (``load_shop``'s, or one built from frames)."""
    return hasattr(source, "source") and hasattr(source, "lines")


def _on_engine(source: object) -> bool:
    """True for a shop opened on its engine (``load_shop``'s Shop or ``open_shop``'s ShopData)."""
    return getattr(source, "lines", None) is not None or hasattr(source, "sources")


def daily_sku(orders: Source | Any, products: Source | None = None, start: object = None,
              end: object = None) -> pd.DataFrame:
    """Daily x SKU cube of sales.

    ``orders`` is a frame or a Parquet/CSV path (with ``products`` alongside), or a shop from
    ``load_shop``: then the cube runs on the shop's engine over its files
    (``opslib.data.aggregates.daily_sku``, products joined when the shop has them) and ``start <=
    order_ts < end`` filters the lines in SQL; the lines never come into pandas.

    Returns one row per (date, sku) with at least one line, columns: ``date`` (datetime64, day),
    ``sku``, ``orders`` (distinct non-cancelled orders), ``units`` (non-cancelled units),
    ``units_net`` (completed units), ``units_returned``, ``gmv`` = sum(quantity*unit_price) over
    non-cancelled lines, ``net_sales`` = same over completed lines, ``list_value`` =
    sum(quantity*list_price) over non-cancelled lines, ``discount`` = list_value - gmv; with
    ``products``, also ``category``, ``subcategory`` and ``cost`` = units_net * unit_cost: 0 on a day
    without completed units when the unit cost is known, NaN when the SKU's cost is unknown (no cost
    data, or a SKU missing from products) -- the same on both paths.

    Parameters:
        orders: order lines (a frame or a Parquet/CSV path). products: the products table (adds ``category``,
        ``subcategory`` and cost), or None.

    Returns:
        One row per (day, sku) with sales (columns above).
    """
    if _on_engine(orders):
        from opslib.data.aggregates import daily_sku as on_engine

        return on_engine(orders, start, end)
    if products is None and _is_shop(orders) and orders.has("products"):
        products = orders  # a Shop built from frames: its own products table
    con = connect()
    relation(con, "o", orders)
    cols = "date_trunc('day', o.order_ts) AS date, o.sku"
    join = ""
    extra = ""
    group = "1, 2"
    if products is not None:
        relation(con, "p", products)
        join = "LEFT JOIN p ON o.sku = p.sku"
        cols += ", any_value(p.category) AS category, any_value(p.subcategory) AS subcategory"
        # units_net (0 on a day without completed units) x unit cost: 0 when the cost is known, NULL
        # ("unknown (no cost data)") when it is not -- as the engine path (opslib.data.aggregates).
        extra = (", CAST(coalesce(sum(CASE WHEN o.status = 'completed' THEN o.quantity END), 0) * "
                 "any_value(p.unit_cost) AS DOUBLE) AS cost")
    where = _period_sql(start, end)
    sql = f"SELECT {cols}, {_LINE_MEASURES} {extra} FROM o {join} WHERE {where} GROUP BY {group} ORDER BY 1, 2"
    out = con.execute(sql).df()
    out["discount"] = out["list_value"] - out["gmv"]
    out["date"] = pd.to_datetime(out["date"])
    return out


def daily_totals(orders: Source, by: str | None = None, products: Source | None = None, start: object = None,
                 end: object = None) -> pd.DataFrame:
    """Daily totals for the whole shop, or per ``by`` (``'category'`` needs products, or any orders column).

    Lines with ``start <= order_ts < end`` (either bound optional) are counted; the filter runs in SQL.

    Columns: ``date``, [``by``], ``orders``, ``units``, ``units_net``, ``units_returned``, ``gmv``,
    ``net_sales``, ``list_value``, ``buyers`` (distinct non-empty customer_id on non-cancelled
    lines), ``guest_orders`` (non-cancelled orders without customer). Formulas as in the module
    docstring.
    """
    con = connect()
    relation(con, "o", orders)
    join = ""
    if by == "category" or by == "subcategory":
        if products is None:
            raise ValueError(f"daily_totals(by={by!r}) needs the products table")
        relation(con, "p", products)
        join = "LEFT JOIN p ON o.sku = p.sku"
        by_expr = f"p.{by}"
    elif by is not None:
        by_expr = f"o.{by}"
    keys = "date_trunc('day', o.order_ts) AS date" + (f", {by_expr} AS {by}" if by else "")
    group = "1, 2" if by else "1"
    sql = f"""
        SELECT {keys}, {_LINE_MEASURES},
            CAST(count(DISTINCT CASE WHEN o.status <> 'cancelled' THEN o.customer_id END) AS BIGINT) AS buyers,
            CAST(count(DISTINCT CASE WHEN o.status <> 'cancelled' AND o.customer_id IS NULL
                                     THEN o.order_id END) AS BIGINT) AS guest_orders
        FROM o {join} WHERE {_period_sql(start, end)} GROUP BY {group} ORDER BY {group}
    """
    out = con.execute(sql).df()
    out["date"] = pd.to_datetime(out["date"])
    return out


_TRUNC = {"D": "day", "W": "week", "M": "month"}


def period_totals(orders: Source, freq: str | None = None, start: object = None, end: object = None) -> pd.DataFrame:
    """Shop totals per day (``'D'``), ISO week (``'W'``, Monday start), month (``'M'``) or overall (None).

    Lines with ``start <= order_ts < end`` (either bound optional) are counted; the filter runs in SQL.

    One pass over the lines. Columns: ``date`` (first day of the bucket; NaT for ``freq=None``), the
    :func:`daily_totals` measures with ``orders`` and ``buyers`` distinct over the whole bucket (not
    summed over days), plus ``orders_placed`` = distinct orders over all lines and ``gmv_placed`` =
    sum(quantity * unit_price) over all lines, cancelled included (the base of the cancellation rate).

    Example:
        >>> lines = pd.DataFrame({
        ...     "order_id": ["o1", "o2", "o3"], "order_ts": pd.to_datetime(["2024-06-17", "2024-06-18", "2024-06-25"]),
        ...     "customer_id": ["c1", "c1", "c2"], "sku": "a", "quantity": 1, "unit_price": [10.0, 20.0, 5.0],
        ...     "list_price": 20.0, "channel": "app", "region": "华东",
        ...     "status": ["completed", "cancelled", "completed"], "campaign_id": None})
        >>> period_totals(lines, "W")[["date", "orders", "gmv", "buyers", "orders_placed", "gmv_placed"]].to_dict("records")
        [{'date': Timestamp('2024-06-17 00:00:00'), 'orders': 1, 'gmv': 10.0, 'buyers': 1, 'orders_placed': 2, 'gmv_placed': 30.0}, {'date': Timestamp('2024-06-24 00:00:00'), 'orders': 1, 'gmv': 5.0, 'buyers': 1, 'orders_placed': 1, 'gmv_placed': 5.0}]
    """
    if freq is not None and freq not in _TRUNC:
        raise ValueError(f"freq must be 'D', 'W', 'M' or None, got {freq!r}")
    con = connect()
    relation(con, "o", orders)
    key = f"date_trunc('{_TRUNC[freq]}', o.order_ts)" if freq else "CAST(NULL AS TIMESTAMP)"
    sql = f"""
        SELECT {key} AS date, {_LINE_MEASURES},
            CAST(count(DISTINCT CASE WHEN o.status <> 'cancelled' THEN o.customer_id END) AS BIGINT) AS buyers,
            CAST(count(DISTINCT CASE WHEN o.status <> 'cancelled' AND o.customer_id IS NULL
                                     THEN o.order_id END) AS BIGINT) AS guest_orders,
            CAST(count(DISTINCT o.order_id) AS BIGINT) AS orders_placed,
            CAST(coalesce(sum(o.quantity * o.unit_price), 0) AS DOUBLE) AS gmv_placed
        FROM o WHERE {_period_sql(start, end)} GROUP BY 1 ORDER BY 1
    """
    out = con.execute(sql).df()
    out["date"] = pd.to_datetime(out["date"])
    return out


def weekly_sku(orders: Source | Any, products: Source | None = None) -> pd.DataFrame:
    """Weekly x SKU cube of sales, in DuckDB (weeks start on Monday).

    ``orders`` may be a shop from ``load_shop``: then it runs on the shop's engine over its files
    (``opslib.data.aggregates.weekly_sku``).

    One row per (week, sku) with at least one non-cancelled line. Columns: ``week`` (datetime64,
    the Monday), ``sku``, ``units`` = sum(quantity) over non-cancelled lines, ``gmv`` =
    sum(quantity x unit_price) over the same lines; with ``products`` also ``category``,
    ``subcategory``. Weeks without sales are absent (``xyz_classify`` fills them with zeros).

    Parameters:
        orders: order lines (a frame or a Parquet/CSV path). products: the products table, or None.

    Returns:
        One row per (week, sku) with sales.

    Example:
        >>> lines = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "sku": ["a", "a", "a"],
        ...     "order_ts": pd.to_datetime(["2024-01-01", "2024-01-07", "2024-01-08"]),
        ...     "quantity": [1, 2, 5], "unit_price": [10.0, 10.0, 10.0],
        ...     "status": ["completed", "returned", "cancelled"]})
        >>> weekly_sku(lines)[["week", "units", "gmv"]].to_dict("records")
        [{'week': Timestamp('2024-01-01 00:00:00'), 'units': 3, 'gmv': 30.0}]
    """
    if _on_engine(orders):
        from opslib.data.aggregates import weekly_sku as on_engine

        return on_engine(orders)
    con = connect()
    relation(con, "o", orders)
    cols, join = "date_trunc('week', o.order_ts) AS week, o.sku", ""
    if products is not None:
        relation(con, "p", products)
        join = "LEFT JOIN p ON o.sku = p.sku"
        cols += ", any_value(p.category) AS category, any_value(p.subcategory) AS subcategory"
    sql = f"""
        SELECT {cols},
            CAST(sum(o.quantity) AS BIGINT) AS units,
            CAST(sum(o.quantity * o.unit_price) AS DOUBLE) AS gmv
        FROM o {join}
        WHERE o.status <> 'cancelled'
        GROUP BY 1, 2 ORDER BY 1, 2
    """
    out = con.execute(sql).df()
    out["week"] = pd.to_datetime(out["week"]).astype("datetime64[ns]")
    return out


def order_span(orders: Source) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    """``(first day, last day, lines)`` of the order lines, in one DuckDB scan (days at midnight).

    A shop opened on its engine (``load_shop``) is scanned there (DuckDB or Spark), its lines never in pandas.

    Parameters:
        orders: order lines (a frame or a Parquet/CSV path), or a shop.

    Returns:
        ``(first day, last day, number of lines)``; ``(NaT, NaT, 0)`` without lines.

    Example:
        >>> lines = pd.DataFrame({"order_ts": pd.to_datetime(["2024-01-03 10:00", "2024-01-01 09:00"])})
        >>> order_span(lines)
        (Timestamp('2024-01-01 00:00:00'), Timestamp('2024-01-03 00:00:00'), 2)
    """
    sql = "SELECT min(order_ts) AS t0, max(order_ts) AS t1, count(*) AS n FROM {}"
    if _on_engine(orders):
        r = getattr(orders, "lines", orders).query(sql.format("orders")).iloc[0]
        first, last, n = r["t0"], r["t1"], int(r["n"])
    else:
        con = connect()
        relation(con, "o", orders)
        first, last, n = con.execute(sql.format("o")).fetchone()
    if n == 0:
        return pd.NaT, pd.NaT, 0
    return pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize(), int(n)


def placed_orders(orders: Source) -> int:
    """Distinct orders with a line that was not cancelled, in one DuckDB query.

    Parameters:
        orders: order lines (a frame, a Parquet/CSV path or a shop).

    Returns:
        The count.

    Example:
        >>> placed_orders(pd.DataFrame({"order_id": ["a", "a", "b"], "status": ["completed", "returned", "cancelled"]}))
        1
    """
    con = connect()
    relation(con, "o", orders)
    return int(con.execute("SELECT count(DISTINCT order_id) FROM o WHERE status <> 'cancelled'").fetchone()[0])
