"""The weekly price panel: one row per (week, SKU) with units, the price paid and what else moved demand.

Price elasticity is estimated on weeks, not days or lines: a typical SKU sells a few units a week, so
a day is mostly empty and its price unobserved, while a week holds enough lines for an average
price. :func:`weekly_price_panel` builds that panel from order lines in one DuckDB query (frames or
Parquet/CSV paths; DuckDB streams files larger than memory) and adds, per (week, SKU), the things
that move demand besides the price, so the estimator can hold them fixed:

* **campaigns** — a campaign brings traffic beyond its price cut (a banner, a 会场 slot), so a
  campaign week sells more than its price alone explains; and after it, demand dips (pull-forward).
  With the ``campaigns`` table the scope (all / category / SKU list) says which SKUs were on
  campaign on which days; without it, a day counts when the SKU sold a line carrying a ``campaign_id``;
* **festivals and holidays** — of the shop's ``country`` (China: 618, 双11, 双12 windows and the
  public holidays; ``opslib.calendar``);
* **stock-outs** — with ``inventory``, days that ended with ``on_hand == 0`` are censored (demand
  was at least the sales); the ``*_in_stock`` columns count only the other days;
* **exposure** — days of the week the SKU was on sale (launch, first and last day of the data);
* **the price path** — a day without a sale has no observed price; ``price_index`` fills it from
  the nearest day with a sale, so weeks without a sale have a price and a mid-week price change is
  weighted by days, not by the units it caused.

Week = ISO week starting Monday (``date_trunc('week', order_ts)``). Cancelled lines are left out
(as in ``opslib.data.cube``); returned lines count (the demand happened).

Columns (one row per SKU and week between its first and last week with a sale; weeks without a
sale inside that span are rows with ``units = 0``, NaN paid prices and a ``price_index`` from the path):

========================== ====================================================================
``week``                   Monday of the ISO week (datetime64)
``sku``, ``category``,     the SKU and its place in the category tree (from products;
``subcategory``            ``(unknown)`` when the SKU is not in products)
``units``                  sum(quantity) over non-cancelled lines
``lines``                  number of non-cancelled lines
``revenue``                sum(quantity * unit_price)
``list_value``             sum(quantity * list_price)
``price``                  revenue / units: average paid price per unit (NaN when units = 0)
``list_price``             list_value / units (NaN when units = 0)
``discount_depth``         1 - revenue / list_value (0 = sold at list price)
``campaign_units``         units on lines carrying a campaign_id; ``campaign_units_share`` = / units
``campaign_days``          days of the week the SKU was in a campaign's scope (or sold on campaign)
``festival_campaign_days`` of those, days of campaigns with kind ``festival`` (0 without campaigns)
``post_campaign_days``     days within ``post_days`` after the end of a campaign that covered the
                           SKU, and not themselves campaign days (the pull-forward dip)
``festival_days``          days in a shopping-festival window of the shop's ``country`` (China: 618 /
                           双11 / 双12 from pre-sale to peak; elsewhere Black Friday; ``opslib.calendar``)
``holiday_days``           public holidays and days off of ``country``
``days_to_cny``            days from the week's Thursday to the nearest Chinese New Year (+ before;
                           NaN where the country has no lunar new year)
``days_on_sale``           days of the week within the data, on or after the SKU's launch_date
``unit_cost``              from products (NaN when unknown)
``in_stock_days``          with inventory: days on sale whose end-of-day on_hand > 0 (days
                           without an inventory row count as in stock); else = days_on_sale
``stockout_days``          days_on_sale - in_stock_days
``units_in_stock``,        units and revenue on the in-stock days only (uncensored demand);
``revenue_in_stock``       ``price_in_stock`` = revenue_in_stock / units_in_stock
``price_index``            the week's **price path**: every in-stock day takes the median line
                           price of the nearest day with a sale (the earlier one on a tie, at most
                           ``max_gap_days`` away); geometric mean over those days. Defined for
                           weeks without a sale too, and not tilted toward the cheap days of a
                           week whose price changed (as ``price`` is, being units-weighted)
``price_gap_days``         mean distance in days from those days to the sale their price came
                           from (0 = every day had a sale): how much of the path is guessed
========================== ====================================================================

Example:
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "order_id": ["o1", "o2", "o3", "o4"], "sku": ["a", "a", "a", "b"],
    ...     "order_ts": pd.to_datetime(["2024-06-03", "2024-06-05", "2024-06-17", "2024-06-04"]),
    ...     "quantity": [1, 3, 2, 1], "unit_price": [10.0, 8.0, 10.0, 5.0], "list_price": 10.0,
    ...     "status": ["completed", "completed", "returned", "cancelled"], "campaign_id": None})
    >>> products = pd.DataFrame({"sku": ["a", "b"], "category": "美妆", "subcategory": "护肤",
    ...                          "unit_cost": [4.0, 2.0], "launch_date": pd.NaT})
    >>> p = weekly_price_panel(orders, products)
    >>> p["week"] = p["week"].dt.strftime("%m-%d")
    >>> p[["week", "sku", "units", "price", "discount_depth", "days_on_sale"]].round(6).values.tolist()
    [['06-03', 'a', 4.0, 8.5, 0.15, 7], ['06-10', 'a', 0.0, nan, nan, 7], ['06-17', 'a', 2.0, 10.0, 0.0, 1]]

By hand: the week of 3 June has 1 unit at 10 and 3 at 8, revenue 34 for 4 units (price 8.5), list
value 40, depth 1 - 34/40 = 0.15; the week of 10 June has no sale but lies inside a's span (a zero
row); the data end on Monday 17 June, so that week has 1 day on sale. SKU b has only a cancelled line,
so it has no row. The returned line of 17 June counts (the demand happened).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from opslib.errors import PricingError

__all__ = ["PANEL_COLUMNS", "PricingError", "weekly_price_panel"]

Source = pd.DataFrame | str | Path

PANEL_COLUMNS: tuple[str, ...] = (
    "week", "sku", "category", "subcategory", "units", "lines", "revenue", "list_value", "price", "list_price",
    "discount_depth", "campaign_units", "campaign_units_share", "campaign_days", "festival_campaign_days",
    "post_campaign_days", "festival_days", "holiday_days", "days_to_cny", "days_on_sale", "unit_cost",
    "in_stock_days", "stockout_days", "units_in_stock", "revenue_in_stock", "price_in_stock", "price_index",
    "price_gap_days",
)
UNKNOWN = "(unknown)"



_NEEDED = {
    "orders": ("sku", "order_ts", "quantity", "unit_price", "list_price", "status"),
    "products": ("sku", "category", "subcategory"),
    "inventory": ("date", "sku", "on_hand"),
    "campaigns": ("campaign_id", "kind", "start", "end", "scope_type", "scope"),
}


def _is_shop(source: object) -> bool:
    """True for ``load_shop``'s Shop (its tables are read from typed Parquet files, never through pandas)."""
    return hasattr(source, "source") and hasattr(source, "lines")


def capped_connection(*sources: object) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for SQL over a shop's files within the shop engine's limits: a cursor on the shop's
    own DuckDB database when it has one (one buffer pool, its ``memory_limit`` and spill folder), else a new
    connection with the limits of its ``shop.yml`` (``memory_limit``, ``threads``; default
    ``opslib.data.engine.DEFAULT_MEMORY_LIMIT``), spilling into the cache folder beyond them, so a 10M-line panel
    cannot take the machine's memory. Without a shop among ``sources`` (frames or paths): the default limit.

    Example:
        >>> con = capped_connection()
        >>> con.execute("SELECT current_setting('memory_limit')").fetchone()[0] != ""
        True
    """
    from opslib.data.engine import DEFAULT_MEMORY_LIMIT, cache_root
    from opslib.data.settings import ShopSettings

    shop = next((s for s in sources if _is_shop(s)), None)
    engine = getattr(getattr(shop, "lines", None), "engine", None)
    if isinstance(getattr(engine, "con", None), duckdb.DuckDBPyConnection):
        # The shop's own DuckDB database: one buffer pool and one memory limit for the shop and this query (a
        # cursor's temporary tables are its own and go when it is closed).
        return engine.con.cursor()
    settings = getattr(shop, "settings", None) or ShopSettings()
    con = duckdb.connect(database=":memory:")
    con.execute(f"SET memory_limit = '{settings.memory_limit or DEFAULT_MEMORY_LIMIT}'")
    if settings.threads:
        con.execute(f"SET threads = {int(settings.threads)}")
    temp = cache_root(settings, getattr(shop, "path", None)) / "duckdb_tmp"
    try:
        temp.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{temp.as_posix()}'")
    except OSError:  # an unwritable cache: no spilling, the limit still holds
        pass
    return con


def _register(con: duckdb.DuckDBPyConnection, name: str, source: Source, table: str) -> list[str]:
    """Expose a frame, a Parquet/CSV file or a shop's table ``table`` as view ``name``; return its column names."""
    if _is_shop(source):
        shop = source
        source = shop.source(table)
        if source is None:
            raise PricingError(f"the shop in {shop.path} has no {table} table")
    if isinstance(source, pd.DataFrame):
        con.register(name, source)
        cols = [str(c) for c in source.columns]
    else:
        path = Path(source)
        if not path.exists():
            raise PricingError(f"{table}: file {path} does not exist")
        rel = con.read_parquet(str(path)) if path.suffix == ".parquet" else con.read_csv(str(path))
        rel.create_view(name)
        cols = list(rel.columns)
    missing = [c for c in _NEEDED[table] if c not in cols]
    if missing:
        where = source if not isinstance(source, pd.DataFrame) else f"the {table} frame"
        raise PricingError(f"{where}: missing column(s) {', '.join(missing)} — the {table} table needs "
                           f"{', '.join(_NEEDED[table])} (see docs/data_contract.md)")
    return cols


def _campaign_days_sql(has_campaigns: bool, post_days: int) -> str:
    """SQL for view ``cdays(sku, day, festival, post)``: one row per SKU and day on (or just after) a campaign."""
    if not has_campaigns:
        # Without the campaigns table: the days a SKU sold at least one line carrying a campaign_id.
        return """
            CREATE TEMP VIEW cdays AS
            SELECT DISTINCT sku, day, FALSE AS festival, FALSE AS post FROM dl WHERE campaign_lines > 0
        """
    return f"""
        CREATE TEMP VIEW cscope AS
        SELECT c.campaign_id, c.kind, CAST(c.start AS DATE) AS d0, CAST(c."end" AS DATE) AS d1, p.sku
        FROM c JOIN p ON c.scope_type = 'all'
            OR (c.scope_type = 'category' AND list_contains(string_split(coalesce(c.scope, ''), '|'), p.category))
            OR (c.scope_type = 'sku' AND list_contains(string_split(coalesce(c.scope, ''), '|'), p.sku));
        CREATE TEMP VIEW con AS
        SELECT DISTINCT sku, CAST(unnest(generate_series(d0, d1, INTERVAL 1 DAY)) AS DATE) AS day,
               kind = 'festival' AS festival
        FROM cscope;
        CREATE TEMP VIEW cpost AS
        SELECT DISTINCT sku, CAST(unnest(generate_series(d1 + 1, d1 + {int(post_days)}, INTERVAL 1 DAY)) AS DATE)
               AS day
        FROM cscope;
        CREATE TEMP VIEW cdays AS
        SELECT sku, day, bool_or(festival) AS festival, FALSE AS post FROM con GROUP BY 1, 2
        UNION ALL
        SELECT sku, day, FALSE, TRUE FROM cpost WHERE (sku, day) NOT IN (SELECT (sku, day) FROM con);
    """


def weekly_price_panel(orders: Source | Any, products: Source | Any | None = None, inventory: Source | Any | None = None,
                       campaigns: Source | None = None, *, post_days: int = 7, max_gap_days: int = 7,
                       country: str = "CN", price_days: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (ISO week, SKU): units, the average paid price, list price, discount depth and controls.

    Formulas (per week ``w`` and SKU ``s``, over non-cancelled lines ``i``)::

        units = sum q_i        price = sum q_i * unit_price_i / units     list_price = sum q_i * list_price_i / units
        discount_depth = 1 - sum q_i * unit_price_i / sum q_i * list_price_i
        days_on_sale = #{days d in w : data_start <= d <= data_end, d >= launch_s}
        in_stock_days = #{d on sale : on_hand[d, s] > 0 or no inventory row}     (= days_on_sale without inventory)
        price_index = exp(mean over in-stock days d of log p~_d),  p~_d = median unit_price on the nearest
                      day with a sale (earlier on a tie; |gap| <= max_gap_days)

    Rows run from each SKU's first to its last week with a sale; weeks in between without a sale are
    kept with ``units = 0`` and NaN prices (the price of a week without a sale is not observed). The
    column list and definitions are in the module docstring (``PANEL_COLUMNS``).

    ``orders`` may be a shop from ``load_shop``: its tables are then read by DuckDB from their typed
    Parquet files (``Shop.source``), never as pandas frames, and ``products``, ``inventory`` and
    ``campaigns`` left as None come from the shop when it has them (``weekly_price_panel(shop)``).

    Parameters:
        orders, products: contract frames or Parquet/CSV paths (``sku, order_ts, quantity, unit_price,
            list_price, status``; ``category, subcategory`` and, if present, ``unit_cost, launch_date``),
            or a shop.
        inventory: optional (``date, sku, on_hand``): adds real in-stock days and uncensored units.
        campaigns: optional contract campaigns table: campaign days from the scope instead of the lines.
        post_days: length of the post-campaign window counted in ``post_campaign_days``.
        max_gap_days: a day takes the price of a sale at most this many days away (else no price).
        country: the shop's country (``shop.yml``; ISO 3166) for holidays and festivals (``opslib.calendar``).
        price_days: the per (day, SKU) aggregate of these orders (``PricingScope.price_days``, from the scan of
            ``pricing_scope``; ``opslib.pricing.cubes.price_days``): given, the lines are not read again. Left
            out, they are read once into that aggregate.

    Returns:
        DataFrame with ``PANEL_COLUMNS``, sorted by sku and week.

    Example:
        >>> import pandas as pd
        >>> o = pd.DataFrame({"sku": "a", "order_ts": pd.to_datetime(["2024-01-01", "2024-01-08"]),
        ...                   "quantity": [2, 1], "unit_price": [9.0, 10.0], "list_price": 10.0,
        ...                   "status": "completed", "campaign_id": ["CMP_1", None]})
        >>> p = pd.DataFrame({"sku": ["a"], "category": ["食品"], "subcategory": ["零食"]})
        >>> weekly_price_panel(o, p)[["units", "price", "discount_depth", "campaign_days"]].round(6).values.tolist()
        [[2.0, 9.0, 0.1, 1.0], [1.0, 10.0, 0.0, 0.0]]
    """
    if int(post_days) < 0 or int(max_gap_days) < 0:
        raise PricingError(f"post_days and max_gap_days must be >= 0, got {post_days} and {max_gap_days}")
    if _is_shop(orders):
        shop = orders
        products = shop if products is None else products
        inventory = shop if inventory is None and shop.has("inventory") else inventory
        campaigns = shop if campaigns is None and shop.has("campaigns") else campaigns
    if products is None:
        raise PricingError("weekly_price_panel needs the products table (category, subcategory) beside the orders")
    con = capped_connection(orders, products)  # the shop engine's memory limit (report 07 at 10M lines: 2.03 GB)
    ocols = _register(con, "o", orders, "orders")
    pcols = _register(con, "p0", products, "products")
    cost = "CAST(unit_cost AS DOUBLE)" if "unit_cost" in pcols else "CAST(NULL AS DOUBLE)"
    launch = "CAST(launch_date AS DATE)" if "launch_date" in pcols else "CAST(NULL AS DATE)"
    con.execute(f"""CREATE TEMP VIEW p AS SELECT CAST(sku AS VARCHAR) AS sku, CAST(category AS VARCHAR) AS category,
                    CAST(subcategory AS VARCHAR) AS subcategory, {cost} AS unit_cost, {launch} AS launch FROM p0""")
    # The lines are read once, into one row per SKU and day with a panel line (``opslib.pricing.cubes``: units,
    # revenue, list value, campaign units, the day's median line price), or not at all when ``price_days`` came
    # from the scan of ``pricing_scope``: every query below works on those days, never on the lines (report 07
    # at 100M lines scanned the 2 GB typed orders file three times here).
    if price_days is None:
        from opslib.pricing.day_sql import _day_sql

        camp = "CAST(o.campaign_id AS VARCHAR)" if "campaign_id" in ocols else "CAST(NULL AS VARCHAR)"
        con.execute(f"CREATE TEMP TABLE dl0 AS {_day_sql('o', camp, cube=False, products=False)}")
        con.execute("CREATE TEMP VIEW dl AS SELECT * FROM dl0 WHERE lines > 0")
    else:
        missing = [c for c in ("day", "sku", "lines", "units", "revenue", "list_value", "campaign_units",
                               "campaign_lines", "price", "bad") if c not in price_days.columns]
        if missing:
            raise PricingError(f"price_days: missing column(s) {', '.join(missing)} — expected the frame of "
                               "opslib.pricing.cubes.price_days (or PricingScope.price_days)")
        con.register("dl_frame", price_days)
        con.execute("""CREATE TEMP VIEW dl AS SELECT CAST(day AS DATE) AS day, CAST(sku AS VARCHAR) AS sku, lines,
                       units, revenue, list_value, campaign_units, campaign_lines, price, bad FROM dl_frame""")
    n_lines, d_start, d_end, bad = con.execute(
        "SELECT sum(lines), min(day), max(day), sum(bad) FROM dl").fetchall()[0]
    if not n_lines:
        raise PricingError("orders: no non-cancelled lines with quantity > 0 — nothing to build a price panel from")
    if bad:
        raise PricingError(f"orders: {bad:,} non-cancelled line(s) with an empty or negative unit_price/list_price "
                           "— expected prices >= 0 (run `python -m opslib validate` on the shop)")
    if inventory is not None:
        _register(con, "i0", inventory, "inventory")
        con.execute("""CREATE TEMP TABLE inv AS SELECT CAST(sku AS VARCHAR) AS sku, CAST(date AS DATE) AS day,
                       min(on_hand) AS on_hand FROM i0 GROUP BY 1, 2""")
    else:
        con.execute("CREATE TEMP TABLE inv (sku VARCHAR, day DATE, on_hand BIGINT)")
    if campaigns is not None:
        _register(con, "c", campaigns, "campaigns")
    for stmt in _campaign_days_sql(campaigns is not None, int(post_days)).split(";"):
        if stmt.strip():
            con.execute(stmt)

    con.execute("""
        CREATE TEMP TABLE agg AS
        WITH lw AS (
            SELECT dl.*, CAST(date_trunc('week', dl.day) AS DATE) AS week,
                   coalesce(inv.on_hand > 0, TRUE) AS in_stock
            FROM dl LEFT JOIN inv USING (sku, day)
        )
        SELECT sku, week, sum(units) AS units, sum(lines) AS lines, sum(revenue) AS revenue,
               sum(list_value) AS list_value, sum(campaign_units) AS campaign_units,
               sum(CASE WHEN in_stock THEN units ELSE 0 END) AS units_in_stock,
               sum(CASE WHEN in_stock THEN revenue ELSE 0 END) AS revenue_in_stock
        FROM lw GROUP BY 1, 2
    """)
    # Every day on sale of every SKU between its first and last week with a sale, with its stock flag.
    con.execute(f"""
        CREATE TEMP TABLE onsale AS
        WITH span AS (SELECT sku, min(week) AS w0, max(week) AS w1 FROM agg GROUP BY 1),
        days AS (
            SELECT sku, CAST(unnest(generate_series(w0, w1 + 6, INTERVAL 1 DAY)) AS DATE) AS day FROM span
        )
        SELECT d.sku, CAST(date_trunc('week', d.day) AS DATE) AS week, d.day,
               coalesce(inv.on_hand > 0, TRUE) AS in_stock
        FROM days d LEFT JOIN p USING (sku) LEFT JOIN inv USING (sku, day)
        WHERE d.day BETWEEN DATE '{d_start}' AND DATE '{d_end}' AND (p.launch IS NULL OR d.day >= p.launch)
    """)
    # The price path: a day's price is the median unit_price of its lines (robust to quantity-tier prices; taken
    # from the count of lines per distinct price, ``opslib.pricing.cubes``), a day without a sale takes the price of
    # the nearest day with one (the earlier on a tie); ``gap`` = days to that sale.
    con.execute("CREATE TEMP TABLE dp AS SELECT sku, day, price AS p FROM dl")
    con.execute("""
        CREATE TEMP TABLE path AS
        WITH j AS (
            SELECT s.sku, s.week, s.day, s.in_stock, b.day AS bday, b.p AS bp, f.day AS fday, f.p AS fp
            FROM onsale s ASOF LEFT JOIN dp b ON s.sku = b.sku AND s.day >= b.day
                          ASOF LEFT JOIN dp f ON s.sku = f.sku AND s.day <= f.day
        )
        SELECT sku, week, day, in_stock,
               CASE WHEN fday IS NULL OR (bday IS NOT NULL AND s_b <= s_f) THEN bp ELSE fp END AS p,
               CASE WHEN fday IS NULL OR (bday IS NOT NULL AND s_b <= s_f) THEN s_b ELSE s_f END AS gap
        FROM (SELECT *, datediff('day', bday, day) AS s_b, datediff('day', day, fday) AS s_f FROM j)
    """)
    sql = f"""
        WITH grid AS (SELECT DISTINCT sku, week FROM onsale UNION SELECT sku, week FROM agg),
        dayflags AS (
            SELECT s.sku, s.week,
                   count(*) AS days_on_sale,
                   sum(CASE WHEN s.in_stock THEN 1 ELSE 0 END) AS in_stock_days,
                   sum(CASE WHEN cd.day IS NOT NULL AND NOT cd.post THEN 1 ELSE 0 END) AS campaign_days,
                   sum(CASE WHEN cd.festival THEN 1 ELSE 0 END) AS festival_campaign_days,
                   sum(CASE WHEN cd.post THEN 1 ELSE 0 END) AS post_campaign_days
            FROM onsale s LEFT JOIN cdays cd USING (sku, day)
            GROUP BY 1, 2
        ),
        pidx AS (
            SELECT sku, week, exp(avg(ln(p))) AS price_index, avg(gap) AS price_gap_days
            FROM path WHERE in_stock AND gap <= {int(max_gap_days)} AND p > 0 GROUP BY 1, 2
        )
        SELECT g.week, g.sku, coalesce(p.category, '{UNKNOWN}') AS category,
               coalesce(p.subcategory, '{UNKNOWN}') AS subcategory,
               coalesce(a.units, 0) AS units, coalesce(a.lines, 0) AS lines, coalesce(a.revenue, 0) AS revenue,
               coalesce(a.list_value, 0) AS list_value, coalesce(a.campaign_units, 0) AS campaign_units,
               coalesce(f.campaign_days, 0) AS campaign_days,
               coalesce(f.festival_campaign_days, 0) AS festival_campaign_days,
               coalesce(f.post_campaign_days, 0) AS post_campaign_days,
               coalesce(f.days_on_sale, 0) AS days_on_sale, coalesce(f.in_stock_days, 0) AS in_stock_days,
               p.unit_cost, coalesce(a.units_in_stock, 0) AS units_in_stock,
               coalesce(a.revenue_in_stock, 0) AS revenue_in_stock, x.price_index, x.price_gap_days
        FROM grid g LEFT JOIN agg a USING (sku, week) LEFT JOIN dayflags f USING (sku, week) LEFT JOIN p USING (sku)
             LEFT JOIN pidx x USING (sku, week)
        ORDER BY g.sku, g.week
    """
    out = con.execute(sql).df()
    con.close()
    return _finish(out, pd.Timestamp(d_start), pd.Timestamp(d_end), country)


def _finish(out: pd.DataFrame, d_start: pd.Timestamp, d_end: pd.Timestamp, country: str) -> pd.DataFrame:
    """Ratios, calendar columns and column order (pandas, on the small weekly frame)."""
    out["week"] = pd.to_datetime(out["week"])
    for c in ("units", "revenue", "list_value", "campaign_units", "units_in_stock", "revenue_in_stock"):
        out[c] = out[c].astype("float64")
    for c in ("lines", "campaign_days", "festival_campaign_days", "post_campaign_days", "days_on_sale",
              "in_stock_days"):
        out[c] = out[c].astype("int64")
    units = out["units"].where(out["units"] > 0)
    out["price"] = out["revenue"] / units
    out["list_price"] = out["list_value"] / units
    out["discount_depth"] = np.where(out["list_value"] > 0, 1 - out["revenue"] / out["list_value"].where(
        out["list_value"] > 0), np.nan)
    out["campaign_units_share"] = out["campaign_units"] / units
    out["stockout_days"] = out["days_on_sale"] - out["in_stock_days"]
    out["price_in_stock"] = out["revenue_in_stock"] / out["units_in_stock"].where(out["units_in_stock"] > 0)
    cal = _week_calendar(out["week"].unique(), d_start, d_end, country)
    out = out.merge(cal, on="week", how="left")
    return out[list(PANEL_COLUMNS)].sort_values(["sku", "week"], ignore_index=True)


def _week_calendar(weeks: Iterable[pd.Timestamp], d_start: pd.Timestamp, d_end: pd.Timestamp,
                   country: str) -> pd.DataFrame:
    """festival_days, holiday_days (within the data's days) and days_to_cny (from Thursday; NaN where the
    country has no lunar new year) per week."""
    from opslib.calendar import calendar_frame

    weeks = pd.DatetimeIndex(sorted(set(pd.to_datetime(list(weeks)))))
    if len(weeks) == 0:
        return pd.DataFrame({"week": weeks, "festival_days": [], "holiday_days": [], "days_to_cny": []})
    cal = calendar_frame(weeks.min(), weeks.max() + pd.Timedelta(days=6), country=country)
    cal["week"] = cal["date"] - pd.to_timedelta(cal["weekday"], unit="D")
    inside = cal["date"].between(d_start, d_end)
    cal["fest"] = (cal["festival"] != "") & inside
    cal["hol"] = cal["is_holiday"] & inside
    g = cal.groupby("week")
    res = pd.DataFrame({"festival_days": g["fest"].sum().astype("int64"), "holiday_days": g["hol"].sum().astype("int64"),
                        "days_to_cny": cal[cal["weekday"] == 3].set_index("week")["days_to_cny"].astype("float64")})
    return res.reindex(weeks).rename_axis("week").reset_index()
