"""Data-quality checks for a new export (``notebooks/04_data_quality.ipynb``: run it first).

* ``order_calendar(orders)`` — lines and orders per day in one scan of the orders, which ``coverage``,
  ``calendar_gaps``, ``weekday_profile`` and ``daily_orders`` take instead of scanning the lines each;
* ``coverage(shop)`` — rows per month per table (where the data is thin or missing);
* ``cost_note(products)`` — a warning when unit costs are missing or were assumed at import;
* ``outliers(orders)`` — quantity and price beyond an IQR fence on the log scale, with counts;
* ``calendar_gaps(orders)`` / ``weekday_profile(orders)`` — days without orders (runs of empty days);
* ``notebook_readiness(shop)`` — which notebooks (00..03, 05, 06, 07) the data can feed and what each would skip.

Example:
    >>> import pandas as pd
    >>> o = pd.DataFrame({"order_ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05"])})
    >>> calendar_gaps(o)[["start", "end", "days"]].astype(str).values.tolist()
    [['2024-01-03', '2024-01-04', '2']]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from opslib.data.contract import TABLES
from opslib.data.shop import Shop

# The main time column of each table (what "coverage by month" counts on).
TIME_COLUMN: dict[str, str] = {"orders": "order_ts", "campaigns": "start", "traffic": "date", "inventory": "date",
                               "fulfilment": "paid_ts", "reviews": "review_ts", "service": "contact_ts",
                               "market": "period_start"}


def _source(shop: Shop, name: str) -> Any:
    """A table of the shop for a DuckDB query: its typed Parquet path on the engine, else its frame (or None)."""
    if hasattr(shop, "source"):
        return shop.source(name) if shop.has(name) else None
    return getattr(shop, name, None)


def _lines_query(orders: Any, sql: str) -> pd.DataFrame:
    """``sql`` over the view ``orders`` where the lines are: a shop's engine (DuckDB under the shop's memory cap,
    or Spark), or DuckDB over a frame or a Parquet path (``opslib.data.lines.query_lines``)."""
    from opslib.data.lines import query_lines

    return query_lines(orders, sql)


@dataclass
class OrderCalendar:
    """Order lines and orders per day, from one scan of the orders (:func:`order_calendar`).

    Attributes:
        daily: one row per day with at least one order line, sorted: ``date`` (midnight, datetime64), ``lines``
            (lines of any status), ``orders`` (distinct ``order_id`` with a line that was not cancelled).
        undated_lines: lines without an ``order_ts`` (0 on a validated shop).
    """

    daily: pd.DataFrame
    undated_lines: int = 0

    def span(self) -> tuple[pd.Timestamp, pd.Timestamp, int]:
        """``(first day, last day, lines)`` as ``opslib.data.order_span``; ``(NaT, NaT, 0)`` without lines."""
        n = int(self.daily["lines"].sum()) + int(self.undated_lines)
        if n == 0:
            return pd.NaT, pd.NaT, 0
        if self.daily.empty:
            return pd.NaT, pd.NaT, n
        return pd.Timestamp(self.daily["date"].min()), pd.Timestamp(self.daily["date"].max()), n

    def order_days(self) -> pd.DatetimeIndex:
        """The days with at least one order line (any status)."""
        return pd.DatetimeIndex(self.daily.loc[self.daily["lines"] > 0, "date"])

    def monthly_lines(self) -> pd.Series:
        """Dated lines per calendar month (index ``YYYY-MM``), as :func:`coverage` counts them."""
        d = self.daily[self.daily["lines"] > 0]
        return d.groupby(d["date"].dt.strftime("%Y-%m"))["lines"].sum().astype("int64").rename("n")

    def summary(self) -> pd.DataFrame:
        """One row: ``first_day``, ``last_day``, ``days`` (first to last, inclusive), ``days_with_lines``,
        ``lines``, ``orders``."""
        first, last, n = self.span()
        days = int((last - first).days) + 1 if pd.notna(first) else 0
        return pd.DataFrame([{"first_day": first, "last_day": last, "days": days,
                              "days_with_lines": int((self.daily["lines"] > 0).sum()), "lines": n,
                              "orders": int(self.daily["orders"].sum())}])


def order_calendar(orders: Any) -> OrderCalendar:
    """Lines and orders per day in **one** scan of the order lines (notebook 04: the span, coverage, gaps, weekdays).

    Per day ``d`` (``date_trunc('day', order_ts)``): ``lines_d`` = the lines of any status, ``orders_d`` = the
    distinct ``order_id`` with a line not cancelled, counted as groups of (day, order_id) summed per day — a
    plain ``GROUP BY`` the engine spills beyond its memory cap (``count(DISTINCT ..)`` per day holds every id of
    the shop in hash sets: at 100M lines, 80M of them). An order of the contract has one order time, so it is
    counted on one day.

    Parameters:
        orders: order lines: a shop (on its engine), a frame or a Parquet path.

    Returns:
        :class:`OrderCalendar`.

    Example (order a: two lines, b: one cancelled line; 2 January has no line):
        >>> o = pd.DataFrame({"order_id": ["a", "a", "b", "c"], "status": ["completed", "returned", "cancelled",
        ...     "completed"], "order_ts": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 09:00", "2024-01-01 10:00",
        ...     "2024-01-03 08:00"])})
        >>> order_calendar(o).daily.astype({"date": str}).values.tolist()
        [['2024-01-01', 3, 1], ['2024-01-03', 1, 1]]
    """
    d = _lines_query(orders, """
        SELECT day, CAST(sum(n) AS BIGINT) AS lines, CAST(sum(placed) AS BIGINT) AS orders
        FROM (SELECT CAST(date_trunc('day', order_ts) AS TIMESTAMP) AS day, order_id, count(*) AS n,
                     max(CASE WHEN status <> 'cancelled' AND order_id IS NOT NULL THEN 1 ELSE 0 END) AS placed
              FROM orders GROUP BY 1, 2) t
        GROUP BY 1 ORDER BY 1""")
    undated = int(d.loc[d["day"].isna(), "lines"].sum())
    d = d[d["day"].notna()]
    daily = pd.DataFrame({"date": pd.to_datetime(d["day"]).astype("datetime64[ns]").to_numpy(),
                          "lines": d["lines"].astype("int64").to_numpy(),
                          "orders": d["orders"].astype("int64").to_numpy()})
    return OrderCalendar(daily, undated)


def coverage(shop: Shop, calendar: OrderCalendar | None = None) -> pd.DataFrame:
    """Rows per calendar month (rows) per table (columns); tables without a time column are left out.

    A month with far fewer rows than its neighbours is a partial export or an outage, not a slump. Counted on the
    shop's engine (or in DuckDB over the frames of a shop built from frames): the rows never pass through pandas.

    Parameters:
        shop: the loaded shop.
        calendar: the shop's :func:`order_calendar`: the orders column is summed from it (no scan of the lines).

    Returns:
        Rows per month (index ``month``, ``YYYY-MM``), one column per table with a time column.
    """
    from opslib.data.cube import connect, relation
    from opslib.data.lines import on_engine

    data = getattr(shop, "lines", shop) if on_engine(shop) else None
    parts = {}
    for name, col in TIME_COLUMN.items():
        sql = (f"SELECT strftime(date_trunc('month', \"{col}\"), '%Y-%m') AS month, count(*) AS n "
               f"FROM {{}} WHERE \"{col}\" IS NOT NULL GROUP BY 1 ORDER BY 1")
        if name == "orders" and calendar is not None:
            if shop.has("orders"):
                counts = calendar.monthly_lines().rename_axis("month").reset_index()
            else:
                continue
        elif data is not None:  # on the shop's engine: its views over the files, no typed copy written
            if not data.has(name):
                continue
            counts = data.query(sql.format(name))
        else:
            src = _source(shop, name)
            if src is None or (isinstance(src, pd.DataFrame) and (src.empty or col not in src)):
                continue
            con = connect()
            relation(con, "x", src)
            counts = con.execute(sql.format("x")).df()
        if len(counts):
            parts[name] = counts.set_index("month")["n"]
    if not parts:
        return pd.DataFrame()
    out = pd.DataFrame(parts).fillna(0).astype("int64").sort_index()
    out.index = out.index.astype(str)
    out.index.name = "month"
    return out


#: The smallest spread the outlier fence assumes on the log scale: a factor of 2 (ln 2). Without it a column
#: where most values are equal (quantity 1 on 90% of lines: IQR = 0) would flag every other value.
MIN_LOG_IQR = float(np.log(2.0))


def outliers(orders: pd.DataFrame, columns: tuple[str, ...] = ("quantity", "unit_price"), k: float = 3.0) -> pd.DataFrame:
    """Count values beyond an IQR fence on the log scale.

    Rule: with ``x = log1p(value)``, ``Q1, Q3`` its quartiles and ``IQR = max(Q3 - Q1, ln 2)``, a value is an
    outlier when ``x > Q3 + k*IQR`` (high) or ``x < Q1 - k*IQR`` (low); ``k = 3`` flags only extreme values.
    The log scale suits right-skewed quantities and prices; the floor of ``ln 2`` (a factor of two) keeps a
    column whose quartiles coincide (most lines of quantity 1: IQR = 0) from flagging every quantity 2.
    Example: quantities mostly 1-12 with one line of 80,995 -> that line is a high outlier.

    Parameters:
        orders: order lines. columns: the numeric columns to check. k: the fence width in IQRs.

    Returns:
        One row per column: ``median``, ``fence_low``, ``fence_high`` (back on the original scale), ``low``
        and ``high`` counts, ``share`` of lines outside, ``largest`` values, ``iqr_floored`` (True when the
        quartiles were too close and ``ln 2`` was used).

    Example:
        >>> q = pd.DataFrame({"quantity": [1] * 90 + [2] * 8 + [3, 500]})
        >>> r = outliers(q, columns=("quantity",)).iloc[0]
        >>> int(r["high"]), round(float(r["fence_high"]), 1), bool(r["iqr_floored"])
        (1, 15.0, True)
    """
    rows = []
    for c in columns:
        # value -> count (few distinct values: quantities, prices), so the quartiles are exact without holding every
        # line: the order statistics of ln(1 + x) are ln(1 + the order statistics of x)
        vc = _lines_query(orders, f'SELECT CAST("{c}" AS DOUBLE) AS v, ln(1 + "{c}") AS lv, count(*) AS n '
                                  f'FROM orders WHERE "{c}" >= 0 GROUP BY 1, 2 ORDER BY 1')
        n = int(vc["n"].sum()) if len(vc) else 0
        if not n:
            rows.append({"column": c, "median": np.nan, "fence_low": np.nan, "fence_high": np.nan, "low": 0,
                         "high": 0, "share": np.nan, "largest": "", "iqr_floored": False})
            continue
        cum = vc["n"].cumsum().to_numpy()
        med = _quantile_cont(vc["v"].to_numpy(dtype="float64"), cum, 0.5)
        q1 = _quantile_cont(vc["lv"].to_numpy(dtype="float64"), cum, 0.25)
        q3 = _quantile_cont(vc["lv"].to_numpy(dtype="float64"), cum, 0.75)
        iqr = max(q3 - q1, MIN_LOG_IQR)
        lo, hi = q1 - k * iqr, q3 + k * iqr
        low = int(vc.loc[vc["lv"] < lo, "n"].sum())
        high = int(vc.loc[vc["lv"] > hi, "n"].sum())
        top = np.repeat(vc["v"].to_numpy()[::-1][:3], vc["n"].to_numpy()[::-1][:3])[:3]
        rows.append({"column": c, "median": float(med), "fence_low": float(max(np.expm1(lo), 0.0)),
                     "fence_high": float(np.expm1(hi)), "low": low, "high": high,
                     "share": (low + high) / n, "largest": ", ".join(f"{float(z):,.4g}" for z in top),
                     "iqr_floored": bool(q3 - q1 < MIN_LOG_IQR)})
    return pd.DataFrame(rows)


def _quantile_cont(values: np.ndarray, cum: np.ndarray, p: float) -> float:
    """SQL's ``quantile_cont`` from sorted distinct values and their cumulative counts (``cum[-1]`` = N).

    The value at 0-based position ``h = (N - 1) p``, interpolated between the order statistics ``x[floor(h)]``
    and ``x[ceil(h)]`` as ``lo + (hi - lo) (h - floor(h))`` (DuckDB's and numpy's linear rule).

    Example (1, 2, 2, 10: position 1.5 between 2 and 2 -> 2; position 2.25 between 2 and 10 -> 4):
        >>> v, c = np.array([1.0, 2.0, 10.0]), np.array([1, 3, 4])
        >>> _quantile_cont(v, c, 0.5), _quantile_cont(v, c, 0.75)
        (2.0, 4.0)
    """
    h = (int(cum[-1]) - 1) * p
    i_lo, i_hi = int(np.floor(h)), int(np.ceil(h))
    lo = float(values[int(np.searchsorted(cum, i_lo, side="right"))])
    hi = float(values[int(np.searchsorted(cum, i_hi, side="right"))])
    return lo if i_lo == i_hi else lo + (hi - lo) * (h - i_lo)


def value_histogram(orders: Any, column: str, upper: float, bins: int = 60) -> pd.DataFrame:
    """Counts of ``column`` (values >= 0, capped at ``upper``) in ``bins`` equal bins, counted in DuckDB.

    Parameters:
        orders: order lines (frame, path or shop). column: a numeric column. upper: the cap (the last bin holds
            every value at or above it). bins: number of bins.

    Returns:
        ``left``, ``right``, ``count`` per bin (bins without values included).

    Example:
        >>> # bins [0, 2) and [2, 4]: 0, 1, 1 in the first; 9 is capped at 4 and lands in the last
        >>> value_histogram(pd.DataFrame({"q": [0, 1, 1, 9]}), "q", upper=4, bins=2)["count"].tolist()
        [3, 1]
    """
    upper = float(upper) if upper and np.isfinite(upper) and upper > 0 else 1.0
    width = upper / bins
    got = _lines_query(orders, f'SELECT least(CAST(floor(least("{column}", {upper!r}) / {width!r}) AS BIGINT), '
                               f'{bins - 1}) AS b, count(*) AS n FROM orders WHERE "{column}" >= 0 GROUP BY 1')
    counts = got.set_index("b")["n"].reindex(range(bins), fill_value=0)
    return pd.DataFrame({"left": np.arange(bins) * width, "right": (np.arange(bins) + 1) * width,
                         "count": counts.to_numpy(dtype="int64")})


def daily_orders(orders: pd.DataFrame) -> pd.Series:
    """Orders per day from the first to the last order day, empty days as 0 (DuckDB cube, not pandas).

    Orders = distinct ``order_id`` with a line that was not cancelled (``opslib.data.buckets.bucket_totals``: one SQL
    aggregate where the lines are, distinct counts in blocks of days that fit the engine's memory).

    Parameters:
        orders: order lines: a shop (on its engine), a frame or a Parquet path; or their :func:`order_calendar`.

    Returns:
        Orders per day (a Series indexed by day, named ``orders``).

    Example:
        >>> o = pd.DataFrame({"order_id": ["a", "b", "c"], "sku": "s", "quantity": 1, "unit_price": 1.0,
        ...     "list_price": 1.0, "status": "completed", "customer_id": "c",
        ...     "order_ts": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-03"])})
        >>> daily_orders(o).tolist()
        [2, 0, 1]
    """
    from opslib.data.buckets import bucket_totals

    d = orders.daily if isinstance(orders, OrderCalendar) else bucket_totals(orders, "D")
    if d.empty:
        return pd.Series(dtype="int64", name="orders")
    full = pd.date_range(d["date"].min(), d["date"].max(), freq="D")
    return d.set_index("date")["orders"].reindex(full, fill_value=0).astype("int64").rename("orders")


def _order_days(orders: Any) -> pd.DatetimeIndex:
    """The days with at least one order line (any status), from one DuckDB query (or an :class:`OrderCalendar`)."""
    if isinstance(orders, OrderCalendar):  # in the unit the query below returns (DuckDB's TIMESTAMP: microseconds)
        return orders.order_days().as_unit("us")
    d = _lines_query(orders, "SELECT DISTINCT CAST(date_trunc('day', order_ts) AS TIMESTAMP) AS d FROM orders "
                             "WHERE order_ts IS NOT NULL ORDER BY 1")
    return pd.DatetimeIndex(pd.to_datetime(d["d"]))


def calendar_gaps(orders: pd.DataFrame, min_days: int = 1) -> pd.DataFrame:
    """Runs of days without any order between the first and last order day (``min_days`` long or more).

    Columns: start, end, days, weekdays (names of the empty days, e.g. ``Sat`` for a shop closed on
    Saturdays). Sorted by start.

    Parameters:
        orders: order lines (a shop, frame or path) or their :func:`order_calendar`. min_days: the shortest run
            listed.

    Returns:
        One row per run of empty days (columns above).
    """
    days = _order_days(orders)
    if days.empty:
        return pd.DataFrame(columns=["start", "end", "days", "weekdays"])
    full = pd.date_range(days.min(), days.max(), freq="D")
    empty = ~full.isin(days)
    if not empty.any():
        return pd.DataFrame(columns=["start", "end", "days", "weekdays"])
    idx = np.flatnonzero(empty)
    run = np.cumsum(np.r_[1, np.diff(idx) > 1])
    out = []
    for r in np.unique(run):
        sel = full[idx[run == r]]
        if len(sel) >= min_days:
            names = sorted(set(sel.strftime("%a")), key=list(pd.date_range("2024-01-01", periods=7).strftime("%a")).index)
            out.append({"start": sel[0], "end": sel[-1], "days": len(sel), "weekdays": ", ".join(names)})
    return pd.DataFrame(out, columns=["start", "end", "days", "weekdays"])


def weekday_profile(orders: pd.DataFrame) -> pd.DataFrame:
    """Per weekday: days in the span, days with orders, share of days empty (a closed weekday shows 100%).

    Parameters:
        orders: order lines (a shop, frame or path) or their :func:`order_calendar`.

    Returns:
        One row per weekday: ``weekday``, ``days``, ``with_orders``, ``empty_share``.
    """
    days = _order_days(orders)
    full = pd.Series(pd.date_range(days.min(), days.max(), freq="D"))
    has = full.isin(days)
    df = pd.DataFrame({"weekday": full.dt.day_name().str[:3], "dow": full.dt.day_of_week, "has": has})
    out = df.groupby(["dow", "weekday"]).agg(days=("has", "size"), with_orders=("has", "sum")).reset_index()
    out["empty_share"] = 1 - out["with_orders"] / out["days"]
    return out.drop(columns="dow")


# notebook -> (needed tables, [(optional table, what is skipped without it)])
NOTEBOOK_NEEDS: dict[str, tuple[tuple[str, ...], list[tuple[str, str]]]] = {
    "00_shop_at_a_glance": (("orders", "products"),
                            [("traffic", "visitors, conversion and the GMV decomposition")]),
    "01_category_optimisation": (("orders", "products"),
                                 [("inventory", "inventory health, stock-outs and lost sales")]),
    "02_campaign_evaluation": (("orders", "products", "campaigns"),
                               [("traffic", "the shop's own conversion rate in the A/B sample size (uses 3%)")]),
    "03_trend_forecasting": (("orders", "products"),
                             [("inventory", "weeks of cover and the suggested order list")]),
    "05_customers_and_traffic": (("orders", "products"),
                                 [("traffic", "the funnel's visitors, views and add-to-carts and the funnel decomposition"),
                                  ("fulfilment", "paid orders (counted as orders not cancelled)"),
                                  ("campaigns", "the repeat rate of customers acquired on campaign days")]),
    "06_operations_coordination": (("orders", "products"),
                                   [("fulfilment", "handling, transit, on-time delivery, peak-day delay and lost "
                                                   "parcels"),
                                    ("reviews", "review scores, topics and the late-delivery effect"),
                                    ("service", "inquiry conversion, response and resolution SLAs, contact rates"),
                                    ("campaigns", "campaign days as peak days (uses high-load days instead)")]),
    "07_industry_pricing_and_costs": (("orders", "products"),
                                      [("campaigns", "the campaign plan's lift from past campaigns and their spend"),
                                       ("inventory", "the stock check of the campaign plan"),
                                       ("market", "market share, growth against the market, the price index and "
                                                  "competitors' price cuts")]),
}


#: notebook -> [(days of orders needed, what happens with fewer)]: the history each analysis needs. The notebooks
#: print the same lines (:func:`history_notes`), so the readiness table and the reports say the same thing.
HISTORY_NEEDS: dict[str, list[tuple[int, str]]] = {
    "00_shop_at_a_glance": [
        (56, "fewer than 56 days of orders: the 28-day period and its baseline are not both covered, so changes "
             "against the baseline are partial or not shown"),
    ],
    "01_category_optimisation": [
        (28, "fewer than 4 weeks of orders: XYZ calls every SKU Z (too few weeks to measure how steady demand is)"),
        (182, "less than 26 weeks of orders: XYZ and SKU growth see a shorter classification window"),
    ],
    "02_campaign_evaluation": [
        (22, "fewer than 21 days of orders before any campaign: no counterfactual can be fitted"),
    ],
    "03_trend_forecasting": [
        (112, "fewer than 16 weeks of orders: forecasts fall back to simple models (no seasonality)"),
    ],
    "05_customers_and_traffic": [
        (91, "fewer than 91 days of orders: no 90-day window is complete, so the 90-day repeat rates are partial "
             "and no first order can be followed for 90 days"),
        (364, "less than a year of orders: the CLV check holds out the last 182 days, leaving less than half a "
              "year to fit the model on (CLV figures are rough)"),
    ],
    "06_operations_coordination": [
        (14, "fewer than 14 days of orders: returns and after-sale contacts have not come due yet, so their norms "
             "are not judged"),
    ],
    "07_industry_pricing_and_costs": [
        (56, "fewer than 8 weeks of orders: no SKU has the 8 selling weeks a price elasticity needs"),
        (182, "less than 26 weeks of orders: trends and the share of the shop see a shorter window"),
        (420, "less than 60 weeks of orders: the campaign plan has no season factor (the weeks a year before its "
              "baseline are not in the data), so it plans on the last weeks' run rate"),
    ],
}
#: Two years of orders are needed to compare a period with the same weeks last year.
LAST_YEAR_DAYS_NEEDED = 728


def order_days(shop: Shop) -> int:
    """Days from the first to the last order (inclusive); 0 without orders.

    Parameters:
        shop: the loaded shop.

    Returns:
        The span in days.
    """
    from opslib.data.cube import order_span

    if not shop.has("orders"):
        return 0
    first, last, n = order_span(shop if hasattr(shop, "source") else shop.orders)  # a Shop: scanned on its engine
    return 0 if n == 0 else int((last - first).days) + 1


def history_notes(span_days: int, notebook: str) -> list[str]:
    """What ``notebook`` leaves out or weakens with only ``span_days`` days of orders (``HISTORY_NEEDS``).

    Parameters:
        span_days: days of orders (:func:`order_days`). notebook: e.g. ``"00_shop_at_a_glance"``.

    Returns:
        The lines, most severe first (empty when the history is long enough).

    Example:
        >>> history_notes(20, "01_category_optimisation")[0][:40]
        'fewer than 4 weeks of orders: XYZ calls '
        >>> history_notes(800, "01_category_optimisation")
        []
    """
    notes = [text for days, text in HISTORY_NEEDS.get(notebook, []) if span_days < days]
    if 0 < span_days < LAST_YEAR_DAYS_NEEDED and notebook in NOTEBOOK_NEEDS:
        notes.append(f"{span_days} days of orders (< 2 years): compares with the previous period, not last year")
    return notes


def _no_customer_ids(orders: Any) -> bool:
    """True when the order lines exist and none has a customer id (one DuckDB query; False without orders)."""
    from opslib.data.cube import connect, relation
    from opslib.data.lines import on_engine

    if orders is None:
        return False
    if on_engine(orders):  # the shop's engine: one count over its orders view
        data = getattr(orders, "lines", orders)
        if not data.has("orders") or "customer_id" not in data.engine.columns("orders"):
            return False
        r = data.query("SELECT count(*) AS n, count(customer_id) AS k FROM orders").iloc[0]
        return bool(r["n"]) and int(r["k"]) == 0
    con = connect()
    relation(con, "o", orders)
    cols = [r[0] for r in con.execute("DESCRIBE SELECT * FROM o").fetchall()]
    if "customer_id" not in cols:
        return False
    n, with_id = con.execute("SELECT count(*), count(customer_id) FROM o").fetchone()
    return bool(n) and with_id == 0


def notebook_readiness(shop: Shop, calendar: OrderCalendar | None = None) -> pd.DataFrame:
    """Which notebooks the shop can feed and what each would skip, from the tables it has.

    Also flags thin history (``HISTORY_NEEDS``, :func:`history_notes`: the same lines the notebooks print),
    and missing or assumed costs, which make every margin figure an assumption.

    Parameters:
        shop: the loaded shop. calendar: its :func:`order_calendar` (the span of days without a scan).

    Returns:
        One row per notebook: ``notebook``, ``can_run``, ``missing_tables``, ``skips``.

    >>> from pathlib import Path
    >>> from opslib.data import Shop
    >>> r = notebook_readiness(Shop(path=Path("x")))
    >>> r["can_run"].tolist()
    [False, False, False, False, False, False, False]
    """
    has = {n: shop.has(n) for n in TABLES}
    if calendar is not None and shop.has("orders"):
        first, last, n = calendar.span()
        span_days = 0 if n == 0 else int((last - first).days) + 1
    else:
        span_days = order_days(shop)
    assumed_cost = False
    if shop.has("products"):
        p = shop.products
        assumed_cost = bool(p["unit_cost"].isna().any() or
                            ("cost_source" in p and p["cost_source"].astype(str).str.startswith("assumed").any()))
    no_ids = _no_customer_ids(shop if getattr(shop, "lines", None) is not None else _source(shop, "orders"))
    rows = []
    for nb, (needed, optional) in NOTEBOOK_NEEDS.items():
        missing = [t for t in needed if not has[t]]
        skips = [f"no {t}: skips {what}" for t, what in optional if not has[t]]
        skips += history_notes(span_days, nb)
        if assumed_cost and nb in ("01_category_optimisation", "02_campaign_evaluation"):
            skips.append("costs missing or assumed (default margin): margin figures are an assumption")
        if nb == "05_customers_and_traffic" and no_ids:
            skips.append("no customer_id in orders: only the funnel runs (RFM, cohorts, repeat purchase and CLV "
                         "need customer ids)")
        rows.append({"notebook": nb, "can_run": not missing,
                     "missing_tables": ", ".join(missing),
                     "skips": "; ".join(skips) if not missing else f"cannot run without {', '.join(missing)}"})
    return pd.DataFrame(rows)


def cost_note(products: pd.DataFrame) -> str | None:
    """A warning for every report that shows margins, when unit costs are missing or were assumed.

    Importers without real costs fill ``unit_cost`` from a default margin and say so in an extra
    ``cost_source`` column (``"assumed 30% margin"``); other shops may leave ``unit_cost`` empty. Returns
    None when every SKU has a cost from the source.

    Parameters:
        products: the products table (``unit_cost``, optionally ``cost_source``).

    Returns:
        The warning text, or None when every SKU has a cost from the source.

    Example:
        >>> p = pd.DataFrame({"sku": ["a", "b", "c"], "unit_cost": [7.0, 3.5, None],
        ...                   "cost_source": ["assumed 30% margin", "source", "missing"]})
        >>> print(cost_note(p))
        ⚠ Costs: 1 of 3 SKUs have costs assumed at import (assumed 30% margin); 1 of 3 have no cost and are left out of margins. Margin figures are partly an assumption, not the shop's books.
    """
    n = len(products)
    missing = int(products["unit_cost"].isna().sum())
    assumed = 0
    labels: list[str] = []
    if "cost_source" in products.columns:
        src = products["cost_source"].astype("string").fillna("")
        is_assumed = src.str.startswith("assumed")
        assumed = int(is_assumed.sum())
        labels = sorted(src[is_assumed].unique().tolist())
    if not missing and not assumed:
        return None
    parts = []
    if assumed:
        parts.append(f"{assumed:,} of {n:,} SKUs have costs assumed at import ({', '.join(labels)})")
    if missing:
        parts.append(f"{missing:,} of {n:,} have no cost and are left out of margins")
    return "⚠ Costs: " + "; ".join(parts) + ". Margin figures are partly an assumption, not the shop's books."


#: The glossary entries of this module (``docs/glossary.md``): plain dicts with the fields of
#: ``opslib.kpi.Term``, because opslib.data cannot import opslib.kpi (kpi reads the data cube).
TERMS: tuple[dict[str, str], ...] = (
    {"key": "coverage", "zh": "数据覆盖", "en": "Coverage by month", "formula": "rows per calendar month per table; "
     "a dip in one table only is an incomplete export", "where": "opslib.data.quality.coverage", "notebook": "04"},
    {"key": "outlier_fence", "zh": "异常值围栏", "en": "Outlier fence (IQR, log scale)",
     "formula": "x = log1p(value); outlier when x > Q3 + k·IQR or x < Q1 − k·IQR, IQR = max(Q3 − Q1, ln 2)",
     "where": "opslib.data.quality.outliers", "notebook": "04"},
    {"key": "calendar_gap", "zh": "日历缺口", "en": "Calendar gap", "formula": "a run of days without any order between "
     "the first and the last order day", "where": "opslib.data.quality.calendar_gaps", "notebook": "04"},
    {"key": "history_days", "zh": "历史天数", "en": "Days of history", "formula": "last order day − first order day + 1",
     "where": "opslib.data.quality.order_days", "notebook": "04"},
    {"key": "readiness", "zh": "可用的分析", "en": "Notebook readiness", "formula": "per notebook: the tables present, "
     "the length of history and whether costs are real decide what runs and what is skipped",
     "where": "opslib.data.quality.notebook_readiness", "notebook": "04"},
)
