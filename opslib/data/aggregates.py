"""Aggregates computed where the lines are (DuckDB or Spark): what notebooks receive instead of lines.

Every function takes a shop opened on its engine (``ShopData`` from ``open_shop``, or the ``Shop``
of ``load_shop``, whose ``.lines`` is used), runs one SQL query written in DuckDB's dialect (Spark
gets it through sqlglot) and returns a small pandas frame. Definitions per line ``i`` as in
``opslib.cube``: ``gmv_i = quantity_i * unit_price_i`` on lines not cancelled; ``net_sales_i`` the
same on completed lines; ``list_value_i = quantity_i * list_price_i`` (not cancelled).

On a validated shop the key (order_id, sku) is unique, so the distinct orders of one SKU on one day
are its non-cancelled lines: ``orders = count(*)``, no ``count(DISTINCT ..)`` (exact either way; an
unvalidated shop gets the distinct count).

Example:
    >>> import pandas as pd, tempfile, pathlib
    >>> from opslib.data.relations import check_shop, open_shop
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"sku": ["a", "b"], "name": "x", "category": ["食品", "数码"], "subcategory": "y",
    ...               "brand": "z", "unit_cost": [6.0, 30.0], "launch_date": None}).to_parquet(d / "products.parquet")
    >>> pd.DataFrame({"order_id": ["o1", "o1", "o2"], "order_ts": pd.to_datetime(["2024-06-01 09:00"] * 2 + ["2024-06-02 10:00"]),
    ...     "customer_id": ["c1", "c1", "c2"], "sku": ["a", "b", "a"], "quantity": [2, 1, 1],
    ...     "unit_price": [10.0, 50.0, 12.0], "list_price": [12.0, 50.0, 12.0], "channel": "app", "region": "华东",
    ...     "status": ["completed", "returned", "completed"], "campaign_id": None}).to_parquet(d / "orders.parquet")
    >>> shop = open_shop(d, ["orders", "products"]); _ = check_shop(shop)
    >>> daily_sku(shop)[["sku", "orders", "gmv", "net_sales", "cost"]].to_dict("records")  # a: 2*10; b: 1*50 returned
    [{'sku': 'a', 'orders': 1, 'gmv': 20.0, 'net_sales': 20.0, 'cost': 12.0}, {'sku': 'b', 'orders': 1, 'gmv': 50.0, 'net_sales': 0.0, 'cost': 0.0}, {'sku': 'a', 'orders': 1, 'gmv': 12.0, 'net_sales': 12.0, 'cost': 6.0}]
    >>> abc_by_sku(shop)[["sku", "net_sales", "cum_share", "abc"]].to_dict("records")  # a: 32 of 32; b: none (C)
    [{'sku': 'a', 'net_sales': 32.0, 'cum_share': 1.0, 'abc': 'C'}, {'sku': 'b', 'net_sales': 0.0, 'cum_share': 1.0, 'abc': 'C'}]
    >>> customer_totals(shop)[["customer_id", "orders", "gmv", "recency_days"]].to_dict("records")  # as of 06-03
    [{'customer_id': 'c1', 'orders': 1, 'gmv': 70.0, 'recency_days': 2}, {'customer_id': 'c2', 'orders': 1, 'gmv': 12.0, 'recency_days': 1}]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from opslib.data.engine import sql_str

__all__ = ["abc_by_sku", "customer_totals", "daily_sku", "weekly_sku"]


def _data(shop: Any) -> Any:
    """The ``ShopData`` of a ``Shop`` or ``ShopData``."""
    return getattr(shop, "lines", shop)


def _period(start: object, end: object, col: str = "o.order_ts") -> str:
    """SQL condition ``start <= col < end`` (either bound optional; dates as given, end exclusive)."""
    parts = []
    if start is not None:
        parts.append(f"{col} >= CAST({sql_str(str(pd.Timestamp(start)))} AS TIMESTAMP)")
    if end is not None:
        parts.append(f"{col} < CAST({sql_str(str(pd.Timestamp(end)))} AS TIMESTAMP)")
    return " AND ".join(parts) or "TRUE"


def _orders_expr(data: Any) -> str:
    if data.validated:
        return "count(CASE WHEN o.status <> 'cancelled' THEN 1 END)"
    return "count(DISTINCT CASE WHEN o.status <> 'cancelled' THEN o.order_id END)"


def daily_sku(shop: Any, start: object = None, end: object = None) -> pd.DataFrame:
    """Daily x SKU cube of sales over ``start <= order_ts < end`` (default: all lines).

    One row per (date, sku) with at least one line, sorted by date and sku. Columns: ``date``,
    ``sku``, ``orders`` (distinct non-cancelled orders), ``units`` (non-cancelled units), ``units_net``
    (completed), ``units_returned``, ``gmv``, ``net_sales``, ``list_value``, ``discount`` = list_value -
    gmv; with products also ``category``, ``subcategory`` and ``cost`` = units_net * unit_cost (NaN
    when the cost is unknown).
    """
    data = _data(shop)
    join, cols = "", ""
    if data.has("products"):
        join = "LEFT JOIN products p ON o.sku = p.sku"
        cols = (", any_value(p.category) AS category, any_value(p.subcategory) AS subcategory, "
                "CAST(coalesce(sum(CASE WHEN o.status = 'completed' THEN o.quantity END), 0) "
                "* any_value(p.unit_cost) AS DOUBLE) AS cost")
    sql = f"""
        SELECT date_trunc('day', o.order_ts) AS date, o.sku,
            CAST({_orders_expr(data)} AS BIGINT) AS orders,
            CAST(coalesce(sum(CASE WHEN o.status <> 'cancelled' THEN o.quantity END), 0) AS BIGINT) AS units,
            CAST(coalesce(sum(CASE WHEN o.status = 'completed' THEN o.quantity END), 0) AS BIGINT) AS units_net,
            CAST(coalesce(sum(CASE WHEN o.status = 'returned' THEN o.quantity END), 0) AS BIGINT) AS units_returned,
            CAST(coalesce(sum(CASE WHEN o.status <> 'cancelled' THEN o.quantity * o.unit_price END), 0) AS DOUBLE) AS gmv,
            CAST(coalesce(sum(CASE WHEN o.status = 'completed' THEN o.quantity * o.unit_price END), 0) AS DOUBLE)
                AS net_sales,
            CAST(coalesce(sum(CASE WHEN o.status <> 'cancelled' THEN o.quantity * o.list_price END), 0) AS DOUBLE)
                AS list_value
            {cols}
        FROM orders o {join}
        WHERE {_period(start, end)}
        GROUP BY 1, 2 ORDER BY 1, 2"""
    out = data.query(sql)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out["discount"] = out["list_value"] - out["gmv"]
    front = ["date", "sku"] + [c for c in ("category", "subcategory") if c in out.columns]
    return out[front + [c for c in out.columns if c not in front]]  # the column order of opslib.data.cube


def weekly_sku(shop: Any, start: object = None, end: object = None) -> pd.DataFrame:
    """Weekly (Monday) x SKU units and GMV over non-cancelled lines, as ``opslib.category.weekly_sku``.

    Columns ``week``, ``sku``, ``units`` = sum(quantity), ``gmv`` = sum(quantity x unit_price); with
    products also ``category`` and ``subcategory``. Weeks without sales are absent.
    """
    data = _data(shop)
    join, cols = "", ""
    if data.has("products"):
        join = "LEFT JOIN products p ON o.sku = p.sku"
        cols = ", any_value(p.category) AS category, any_value(p.subcategory) AS subcategory"
    sql = f"""
        SELECT date_trunc('week', o.order_ts) AS week, o.sku{cols},
            CAST(sum(o.quantity) AS BIGINT) AS units, CAST(sum(o.quantity * o.unit_price) AS DOUBLE) AS gmv
        FROM orders o {join}
        WHERE o.status <> 'cancelled' AND {_period(start, end)}
        GROUP BY 1, 2 ORDER BY 1, 2"""
    out = data.query(sql)
    out["week"] = pd.to_datetime(out["week"]).astype("datetime64[ns]")
    return out


def customer_totals(shop: Any, as_of: object = None, start: object = None, end: object = None) -> pd.DataFrame:
    """One row per customer (non-cancelled lines with a customer id), on the shop's engine (DuckDB or Spark).

    The engine-portable per-customer totals for scale work and the Spark path. Notebook 05's RFM scores,
    segments and cohorts use :func:`opslib.customers.customer_summary` (completed lines by default, a status
    choice, a look-back window, ``as_of`` the last order day) over the shop's typed Parquet files.

    Columns: ``customer_id``, ``first_order``, ``last_order`` (timestamps), ``orders`` = distinct
    order_id (frequency), ``units``, ``gmv`` = sum(quantity x unit_price) (monetary), ``net_sales``
    (completed lines), ``recency_days`` = days from the last order's date to ``as_of`` (default: the
    day after the last order in the data), ``tenure_days`` = days from the first order's date to
    ``as_of``. Sorted by customer_id.
    """
    data = _data(shop)
    where = f"o.status <> 'cancelled' AND o.customer_id IS NOT NULL AND {_period(start, end)}"
    if as_of is None:
        last = data.query(f"SELECT max(o.order_ts) AS t FROM orders o WHERE {where}")["t"][0]
        as_of = (pd.Timestamp(last).normalize() + pd.Timedelta(days=1)) if pd.notna(last) else pd.Timestamp.today()
    day = f"CAST({sql_str(pd.Timestamp(as_of).strftime('%Y-%m-%d'))} AS DATE)"
    # Orders first, then customers: counting an order once per customer without count(DISTINCT ..),
    # whose per-group hash sets are the slow and memory-hungry path at millions of customers.
    sql = f"""
        SELECT customer_id, min(first_ts) AS first_order, max(last_ts) AS last_order,
            CAST(count(*) AS BIGINT) AS orders, CAST(sum(units) AS BIGINT) AS units,
            CAST(sum(gmv) AS DOUBLE) AS gmv, CAST(sum(net) AS DOUBLE) AS net_sales,
            CAST(date_diff('day', CAST(max(last_ts) AS DATE), {day}) AS BIGINT) AS recency_days,
            CAST(date_diff('day', CAST(min(first_ts) AS DATE), {day}) AS BIGINT) AS tenure_days
        FROM (
            SELECT o.customer_id, o.order_id, min(o.order_ts) AS first_ts, max(o.order_ts) AS last_ts,
                sum(o.quantity) AS units, sum(o.quantity * o.unit_price) AS gmv,
                sum(CASE WHEN o.status = 'completed' THEN o.quantity * o.unit_price ELSE 0 END) AS net
            FROM orders o WHERE {where} GROUP BY 1, 2) per_order
        GROUP BY 1 ORDER BY 1"""
    out = data.query(sql)
    for col in ("first_order", "last_order"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    return out


def abc_by_sku(shop: Any, start: object = None, end: object = None, value: str = "net_sales",
        thresholds: tuple[float, float] = (0.8, 0.95)) -> pd.DataFrame:
    """ABC classes of SKUs by ``value`` (``net_sales``, ``gmv`` or ``units``) over ``start <= order_ts < end``.

    The period is filtered in SQL before aggregating (no daily cube first). As
    ``opslib.category.abc_classify``: sort by value descending (ties by sku), ``share_i = max(v_i, 0) /
    sum max(v_j, 0)``, ``cum_share_i`` the running sum; ``A`` if cum_share <= a, ``B`` if <= b, else
    ``C``; SKUs with value <= 0 are ``C``. Columns ``sku``, value, ``share``, ``cum_share``, ``rank``,
    ``cum_sku_share``, ``abc``; SKUs without a line in the period are absent.
    """
    measures = {"net_sales": "CASE WHEN o.status = 'completed' THEN o.quantity * o.unit_price ELSE 0 END",
                "gmv": "CASE WHEN o.status <> 'cancelled' THEN o.quantity * o.unit_price ELSE 0 END",
                "units": "CASE WHEN o.status <> 'cancelled' THEN o.quantity ELSE 0 END"}
    if value not in measures:
        raise ValueError(f"value must be one of {sorted(measures)}, got {value!r}")
    a, b = thresholds
    if not 0 < a <= b <= 1:
        raise ValueError(f"thresholds must satisfy 0 < a <= b <= 1, got {thresholds!r}")
    eps = 1e-12  # cumulative sums of floats: 0.7 + 0.1 must still count as <= 0.8
    sql = f"""
        WITH s AS (
            SELECT o.sku, CAST(sum({measures[value]}) AS DOUBLE) AS v FROM orders o
            WHERE {_period(start, end)} GROUP BY 1),
        r AS (
            SELECT sku, v,
                CASE WHEN sum(greatest(v, 0)) OVER () > 0
                     THEN greatest(v, 0) / sum(greatest(v, 0)) OVER () ELSE 0 END AS share,
                row_number() OVER (ORDER BY v DESC, sku) AS rank,
                count(*) OVER () AS n
            FROM s)
        SELECT sku, v AS {value}, share,
            sum(share) OVER (ORDER BY rank ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_share,
            CAST(rank AS BIGINT) AS rank, CAST(rank AS DOUBLE) / n AS cum_sku_share
        FROM r ORDER BY rank"""
    out = _data(shop).query(sql)
    cls = out["cum_share"].map(lambda c: "A" if c <= a + eps else ("B" if c <= b + eps else "C"))
    out["abc"] = cls.where(out[value].fillna(0) > 0, "C").astype(object)
    return out
