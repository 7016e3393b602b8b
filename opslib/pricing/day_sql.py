"""The SQL of one scan of the order lines into (day, SKU) rows: the price days of the panel and, on a validated
shop, the daily x SKU cube's measures beside them (used by :mod:`opslib.pricing.cubes` and
:mod:`opslib.pricing.panel`; its own module so that neither imports the other).

Per (day, SKU, unit price) group every measure is a sum (``_fine_measures``); the (day, SKU) row sums the groups,
and the day's median line price is read off the running count of lines per distinct price (of ``n`` lines
sorted by price the ``(n - 1) // 2``-th and ``n // 2``-th, averaged).

Example:
    >>> "GROUP BY 1, 2, 3" in _day_sql("o", "CAST(NULL AS VARCHAR)", cube=False, products=False)
    True
"""

from __future__ import annotations

__all__: list[str] = []

_PL = "o.status IS DISTINCT FROM 'cancelled' AND o.quantity > 0"  # a panel line (opslib.pricing.panel)
_NC = "o.status <> 'cancelled'"  # a line of the cubes (opslib.data.aggregates)


def _fine_measures(camp: str, cube: bool) -> str:
    """The measures of one (day, SKU, unit price) group; ``camp``: the SQL of the line's campaign id.

    ``cube``: a validated shop (quantity >= 1, prices >= 0, a status on every line), where a panel line is a
    line not cancelled: the panel's sums are the cube's (``p_lines`` = ``orders``, ``p_revenue`` = ``gmv``,
    ``p_list_value`` = ``list_value``), so the group carries each sum once (daily_sku's nine measures)."""
    q = "CAST(o.quantity AS DOUBLE)"
    pl = _NC if cube else _PL
    on_camp = f"nullif({camp}, '') IS NOT NULL"
    parts = [
        f"count(*) FILTER (WHERE {pl}) AS p_lines",
        f"sum({q} * CAST(o.unit_price AS DOUBLE)) FILTER (WHERE {pl}) AS p_revenue",
        f"sum({q} * CAST(o.list_price AS DOUBLE)) FILTER (WHERE {pl}) AS p_list_value",
        f"sum({q}) FILTER (WHERE {pl} AND {on_camp}) AS p_campaign_units",
        f"count(*) FILTER (WHERE {pl} AND {on_camp}) AS p_campaign_lines",
    ]
    if cube:
        parts += [
            f"sum(o.quantity) FILTER (WHERE {_NC}) AS c_units",
            "sum(o.quantity) FILTER (WHERE o.status = 'completed') AS c_units_net",
            "sum(o.quantity) FILTER (WHERE o.status = 'returned') AS c_units_returned",
            "sum(o.quantity * o.unit_price) FILTER (WHERE o.status = 'completed') AS c_net_sales",
            "0 AS p_bad",
        ]
    else:
        parts += [
            f"sum({q}) FILTER (WHERE {pl}) AS p_units",
            f"count(*) FILTER (WHERE {pl} AND (o.unit_price IS NULL OR o.unit_price < 0 OR o.list_price IS NULL "
            "OR o.list_price < 0)) AS p_bad",
        ]
    return ",\n            ".join(parts)


def _day_sql(source: str, camp: str, cube: bool, products: bool) -> str:
    """One scan of ``source`` (lines as ``o``): one row per (day, SKU) with the price-day (and cube) measures."""
    units = "coalesce(sum(p_units), 0) AS units"
    cube_cols = ""
    if cube:
        units = "coalesce(sum(CAST(c_units AS DOUBLE)), 0) AS units"
        cube_cols = (", CAST(coalesce(sum(c_units), 0) AS BIGINT) AS units_c, "
                     "CAST(coalesce(sum(c_units_net), 0) AS BIGINT) AS units_net, "
                     "CAST(coalesce(sum(c_units_returned), 0) AS BIGINT) AS units_returned, "
                     "CAST(coalesce(sum(c_net_sales), 0) AS DOUBLE) AS net_sales")
    prod_cols, prod_join = "", ""
    if products:
        prod_cols = (", p.category, p.subcategory, "
                     "CAST(d.units_net * p.unit_cost AS DOUBLE) AS cost" if cube else ", p.category, p.subcategory")
        prod_join = "LEFT JOIN products p ON d.sku = p.sku"
    return f"""
        WITH f AS (
            SELECT CAST(date_trunc('day', o.order_ts) AS DATE) AS day, CAST(o.sku AS VARCHAR) AS sku,
                   CAST(o.unit_price AS DOUBLE) AS up,
            {_fine_measures(camp, cube)}
            FROM {source} o GROUP BY 1, 2, 3
        ), r AS (
            SELECT sku, day, up,
                   sum(p_lines) OVER (PARTITION BY sku, day ORDER BY up ROWS UNBOUNDED PRECEDING) AS cum,
                   sum(p_lines) OVER (PARTITION BY sku, day) AS tot
            FROM f WHERE p_lines > 0
        ), m AS (
            SELECT sku, day, (min(up) FILTER (WHERE cum > (tot - 1) // 2) + min(up) FILTER (WHERE cum > tot // 2)) / 2
                   AS price
            FROM r GROUP BY 1, 2
        ), d AS (
            SELECT day, sku, CAST(sum(p_lines) AS BIGINT) AS lines, {units},
                   coalesce(sum(p_revenue), 0) AS revenue, coalesce(sum(p_list_value), 0) AS list_value,
                   coalesce(sum(p_campaign_units), 0) AS campaign_units,
                   CAST(sum(p_campaign_lines) AS BIGINT) AS campaign_lines, CAST(sum(p_bad) AS BIGINT) AS bad
                   {cube_cols}
            FROM f GROUP BY 1, 2
        )
        SELECT d.*, m.price {prod_cols}
        FROM d LEFT JOIN m USING (sku, day) {prod_join}
        ORDER BY d.day, d.sku"""
