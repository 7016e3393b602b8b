"""Report 07's line aggregates from one scan of the orders: the daily and weekly x SKU cubes and the price days.

Notebook 07 needs three aggregates of the order lines: the daily x SKU cube and the weekly x SKU units of
:func:`opslib.pricing.pricing_scope` (``opslib.data.daily_sku`` / ``weekly_sku``), and the **price days** of
:func:`opslib.pricing.weekly_price_panel` (per SKU and day: units, revenue, list value, campaign units and the
median line price). Each used to scan every line: two scans for the scope, three for the panel (at 100M lines
each scan of the 2 GB typed orders file is minutes). :func:`review_cubes` gets all three from **one** scan,
grouped by (day, SKU, unit price): the day's median line price needs the count of lines per distinct price,
and every other measure is a sum, so the (day, SKU) rows and then the (week, SKU) rows are sums of those groups.

Definitions (per line ``i``; ``nc``: status not cancelled; ``pl``: a panel line, status distinct from
cancelled and quantity > 0, as in ``opslib.pricing.panel``):

* the daily cube: exactly ``opslib.data.daily_sku`` on a validated shop (``orders`` = its non-cancelled
  lines, one per order and SKU on the contract key);
* the weekly cube: ``opslib.data.weekly_sku`` = the daily rows with a non-cancelled line, summed per
  (Monday, SKU): ``units``, ``gmv``;
* the price days (:data:`PRICE_DAY_COLUMNS`, one row per SKU and day with a panel line): ``lines = #pl``,
  ``units = sum q``, ``revenue = sum q * unit_price``, ``list_value = sum q * list_price``, ``campaign_units``
  / ``campaign_lines`` over panel lines with a non-empty ``campaign_id``, ``price`` = the median unit price
  of the day's lines (of ``n`` lines sorted by price the ``(n - 1) // 2``-th and ``n // 2``-th, averaged),
  ``bad`` = panel lines with an empty or negative ``unit_price`` / ``list_price``.

Example:
    >>> import pandas as pd
    >>> o = pd.DataFrame({"sku": "a", "order_ts": pd.to_datetime(["2024-06-03 09:00", "2024-06-03 18:00",
    ...                   "2024-06-03 20:00", "2024-06-04 10:00"]), "quantity": [1, 1, 2, 1],
    ...                   "unit_price": [10.0, 8.0, 8.0, 9.0], "list_price": 10.0,
    ...                   "status": ["completed", "completed", "returned", "cancelled"], "campaign_id": None})
    >>> price_days(o)[["day", "sku", "lines", "units", "revenue", "price"]].astype(str).values.tolist()
    [['2024-06-03', 'a', '3', '4.0', '34.0', '8.0']]

By hand: 3 June has three lines (prices 8, 8, 10: the median is 8), 4 units and revenue 10 + 8 + 16 = 34;
4 June's only line is cancelled.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from opslib.pricing.day_sql import _day_sql

__all__ = ["PRICE_DAY_COLUMNS", "price_days", "review_cubes"]

#: Columns of :func:`price_days` (and of ``PricingScope.price_days``).
PRICE_DAY_COLUMNS: tuple[str, ...] = ("day", "sku", "lines", "units", "revenue", "list_value", "campaign_units",
                                      "campaign_lines", "price", "bad")

def _price_days_frame(out: pd.DataFrame) -> pd.DataFrame:
    """The price-day rows (days with a panel line) of a :func:`_day_sql` result; ``sku`` as a categorical."""
    pd_rows = out.loc[out["lines"] > 0, list(PRICE_DAY_COLUMNS)].reset_index(drop=True)
    pd_rows["day"] = pd.to_datetime(pd_rows["day"]).astype("datetime64[ns]")
    pd_rows["sku"] = pd_rows["sku"].astype("category")  # 2M rows at 100M lines: codes, not a string per row
    for c in ("units", "revenue", "list_value", "campaign_units"):
        pd_rows[c] = pd_rows[c].astype("float64")
    for c in ("lines", "campaign_lines", "bad"):
        pd_rows[c] = pd_rows[c].astype("int64")
    return pd_rows


def price_days(orders: Any) -> pd.DataFrame:
    """Per SKU and day with a panel line: units, revenue, list value, campaign units and the median price.

    Formulas: the module docstring (:data:`PRICE_DAY_COLUMNS`); one scan of the lines.

    Parameters:
        orders: order lines (a frame or a Parquet/CSV path with ``sku, order_ts, quantity, unit_price,
            list_price, status`` and optionally ``campaign_id``), or a shop (its typed orders file).

    Returns:
        One row per (day, sku), sorted by day and sku, columns :data:`PRICE_DAY_COLUMNS`.

    Example (two lines at 5 and one at 7 on one day: the median is 5):
        >>> import pandas as pd
        >>> o = pd.DataFrame({"sku": "s", "order_ts": pd.Timestamp("2024-01-01"), "quantity": 1,
        ...                   "unit_price": [5.0, 5.0, 7.0], "list_price": 7.0, "status": "completed"})
        >>> price_days(o)[["lines", "revenue", "price", "campaign_units"]].values.tolist()
        [[3.0, 17.0, 5.0, 0.0]]
    """
    from opslib.pricing.panel import _register, capped_connection

    con = capped_connection(orders)
    cols = _register(con, "o_src", orders, "orders")
    camp = "CAST(o.campaign_id AS VARCHAR)" if "campaign_id" in cols else "CAST(NULL AS VARCHAR)"
    try:
        out = con.execute(_day_sql("o_src", camp, cube=False, products=False)).df()
    finally:
        con.close()
    return _price_days_frame(out)


def _fused_ok(data: Any) -> bool:
    """The one-scan cubes need a validated shop (one line per order and SKU) on DuckDB (the SQL uses FILTER and
    window frames as DuckDB runs them; a Spark shop keeps ``daily_sku`` / ``weekly_sku``)."""
    from opslib.data.engine import DuckDBEngine

    return bool(getattr(data, "validated", False)) and isinstance(getattr(data, "engine", None), DuckDBEngine)


def review_cubes(shop: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """``(daily, weekly, price_days)`` of a shop on its engine: one scan on a validated DuckDB shop.

    ``daily`` equals ``opslib.data.daily_sku(shop)``, ``weekly`` equals ``opslib.data.weekly_sku(shop)`` (money
    sums added in another order: equal to about 1e-15 relative) and ``price_days`` equals :func:`price_days`. A
    shop that is not validated or runs on Spark gets ``daily_sku`` and ``weekly_sku`` (two scans) and ``None``
    for the price days (the panel then computes them).

    Parameters:
        shop: ``load_shop``'s Shop (or its ``ShopData``) with orders on the engine.

    Returns:
        The three frames (the third may be None, above).

    Example:
        >>> import pandas as pd, tempfile, pathlib
        >>> from opslib.data import load_shop
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> pd.DataFrame({"sku": ["a"], "name": "x", "category": "食品", "subcategory": "y", "brand": "z",
        ...               "unit_cost": [6.0], "launch_date": None}).to_parquet(d / "products.parquet")
        >>> pd.DataFrame({"order_id": ["o1", "o2"], "order_ts": pd.to_datetime(["2024-06-03 09:00", "2024-06-04 10:00"]),
        ...     "customer_id": "c1", "sku": "a", "quantity": [2, 1], "unit_price": [10.0, 12.0], "list_price": 12.0,
        ...     "channel": "app", "region": "华东", "status": "completed", "campaign_id": None}).to_parquet(d / "orders.parquet")
        >>> daily, weekly, days = review_cubes(load_shop(d, tables=["orders", "products"]))
        >>> daily[["sku", "orders", "gmv", "cost"]].values.tolist(), weekly[["units", "gmv"]].to_dict("records")
        ([['a', 1, 20.0, 12.0], ['a', 1, 12.0, 6.0]], [{'units': 3, 'gmv': 32.0}])
    """
    from opslib.data import daily_sku, weekly_sku

    data = getattr(shop, "lines", shop)
    if not _fused_ok(data):
        return daily_sku(shop), weekly_sku(shop), None
    products = data.has("products")
    cols = data.engine.columns("orders") if hasattr(data.engine, "columns") else []
    camp = "CAST(o.campaign_id AS VARCHAR)" if "campaign_id" in cols else "CAST(NULL AS VARCHAR)"
    out = data.query(_day_sql("orders", camp, cube=True, products=products))
    days = _price_days_frame(out)
    daily = pd.DataFrame({"date": pd.to_datetime(out["day"]).astype("datetime64[ns]"), "sku": out["sku"]})
    if products:
        daily["category"], daily["subcategory"] = out["category"], out["subcategory"]
    # on a validated shop the non-cancelled lines of a (day, SKU) are its orders (one line per order and SKU)
    daily["orders"] = out["lines"]
    daily["units"] = out["units_c"]
    daily["units_net"], daily["units_returned"] = out["units_net"], out["units_returned"]
    daily["gmv"], daily["net_sales"] = out["revenue"].astype("float64"), out["net_sales"]
    daily["list_value"] = out["list_value"].astype("float64")
    if products:
        daily["cost"] = out["cost"]
    daily["discount"] = daily["list_value"] - daily["gmv"]
    del out
    keep = ["date", "sku", *(["category", "subcategory"] if products else []), "units", "gmv"]
    sold = daily.loc[daily["orders"] > 0, keep]  # a (week, SKU) of weekly_sku has a line that was not cancelled
    week = sold["date"] - pd.to_timedelta(sold["date"].dt.day_of_week, unit="D")
    keys = [week.rename("week"), sold["sku"]]
    agg: dict[str, Any] = {"units": ("units", "sum"), "gmv": ("gmv", "sum")}
    if products:
        agg = {"category": ("category", "first"), "subcategory": ("subcategory", "first"), **agg}
    weekly = sold.groupby(keys, sort=True, dropna=False).agg(**agg).reset_index()
    weekly["units"] = weekly["units"].astype("int64")
    weekly["gmv"] = weekly["gmv"].astype("float64")
    return daily, weekly, days
