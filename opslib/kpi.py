"""Shop KPIs (核心指标): pure functions over contract frames (``opslib.data.contract``) or cube frames (``opslib.data.cube``).

Definitions (per order line; the same as ``opslib.data.cube``):

=================== =================== =========================================================
metric              中文                 formula
=================== =================== =========================================================
``gmv``             成交额 GMV           sum(quantity * unit_price) over lines not cancelled
``net_sales``       净销售额             sum(quantity * unit_price) over completed lines
                                        (= GMV minus returns; cancellations are never in GMV)
``orders``          订单数               distinct order_id with at least one line not cancelled
``units``           件数                 sum(quantity) over lines not cancelled
``buyers``          买家数               distinct non-empty customer_id over lines not cancelled
``aov``             客单价 AOV           GMV / orders (per order, not per buyer)
``units_per_order`` 连带率 UPT           units / orders
``return_rate``     退货率               returned value / GMV = (GMV - net sales) / GMV
``cancellation_rate`` 取消率             cancelled value / placed value, placed value =
                                        sum(quantity * unit_price) over all lines
``visitors``        访客数               sum of traffic.visitors over days and categories
``conversion_rate`` 转化率               orders / visitors
=================== =================== =========================================================

Caveat on conversion: the traffic table has visitors per (day, category); summing over categories
counts a visitor who browsed two categories twice, so shop-level visitors are overstated and the
conversion rate is understated compared with the platform's own shop-level figure (生意参谋's
"访客数" is deduplicated). The bias is stable over time, so trends and comparisons stay valid.

With these definitions ``GMV = visitors * conversion_rate * aov`` holds exactly, which is what
:func:`gmv_decomposition` splits.

Line-level aggregation is SQL run where the lines are (:func:`bucket_totals`): on the shop's engine when a
``load_shop`` shop is passed (DuckDB under the shop's memory cap, or Spark), in DuckDB over a frame or a
Parquet path otherwise; one query returns one row per bucket (day, week, month or period) and this module
only adds, divides and compares those small frames.

Example:
    >>> import pandas as pd
    >>> from opslib.calendar import parse_period
    >>> lines = pd.DataFrame({
    ...     "order_id": ["o1", "o1", "o2", "o3"], "order_ts": pd.to_datetime(["2024-06-01 10:00"] * 4),
    ...     "customer_id": ["c1", "c1", "c2", "c3"], "sku": ["a", "b", "a", "a"], "quantity": [1, 2, 1, 1],
    ...     "unit_price": [10.0, 5.0, 30.0, 40.0], "list_price": [10.0, 5.0, 30.0, 40.0], "channel": "app",
    ...     "region": "华东", "status": ["completed", "completed", "returned", "cancelled"], "campaign_id": None})
    >>> k = kpi_table(lines, parse_period("2024-06-01", "2024-06-01"))
    >>> k[["gmv", "net_sales", "orders", "aov", "return_rate"]].iloc[0].tolist()
    [50.0, 20.0, 2.0, 25.0, 0.6]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from opslib.calendar import Period, iso_week
from opslib.data import cube
from opslib.data.buckets import BUCKET_UNITS, bucket_totals, engine_data
from opslib.data.lines import query_lines, ts_range

Freq = Literal["D", "W", "M"]



# --------------------------------------------------------------------------------------------- glossary
@dataclass(frozen=True)
class Term:
    """One metric or term of the playbook, as the glossary (``docs/glossary.md``) shows it.

    Every domain module that computes a metric lists it in a module-level ``TERMS`` tuple next to its code;
    ``python -m opslib glossary`` collects them all (``opslib.training.glossary``), so the glossary never
    drifts from the code. ``where`` is the dotted path of the opslib function or class that computes the
    term (a test imports it), ``notebook`` the two-digit number of the notebook that teaches it.

    Parameters:
        key: unique id (``gmv``). zh: 中文 name. en: English name. formula: the definition in one line.
        where: ``opslib.<module>.<function>``. notebook: ``00`` .. ``07``. note: how to read it (optional).

    Returns:
        A frozen record; ``Term.from_mapping`` builds one from a dict (modules that cannot import
        ``opslib.kpi`` without an import circle, such as ``opslib.data``, list plain dicts).

    Example:
        >>> t = Term("aov", "客单价", "AOV", "GMV / orders", "opslib.kpi.aov", "00")
        >>> t.notebook, Term.from_mapping({**t.__dict__}) == t
        ('00', True)
    """

    key: str
    zh: str
    en: str
    formula: str
    where: str
    notebook: str
    note: str = ""

    @classmethod
    def from_mapping(cls, fields: Mapping[str, str]) -> Term:
        """A :class:`Term` from a mapping with the same field names (``note`` optional).

        Parameters:
            fields: ``key``, ``zh``, ``en``, ``formula``, ``where``, ``notebook`` and optionally ``note``.

        Returns:
            The term.

        Example:
            >>> Term.from_mapping({"key": "x", "zh": "甲", "en": "X", "formula": "a / b",
            ...                    "where": "opslib.kpi.aov", "notebook": "00"}).en
            'X'
        """
        return cls(**dict(fields))


#: Metric -> label used in tables and charts.
METRIC_LABELS: dict[str, str] = {
    "gmv": "GMV 成交额",
    "net_sales": "净销售额 Net sales",
    "orders": "订单数 Orders",
    "units": "件数 Units",
    "buyers": "买家数 Buyers",
    "aov": "客单价 AOV",
    "units_per_order": "连带率 Units/order",
    "return_rate": "退货率 Return rate",
    "cancellation_rate": "取消率 Cancellation rate",
    "visitors": "访客数 Visitors",
    "conversion_rate": "转化率 Conversion",
    "product_views": "浏览量 Product views",
    "add_to_cart": "加购数 Add-to-cart",
    "views_per_visitor": "人均浏览量 View rate (views/visitor)",
    "cart_rate": "加购率 Cart rate (carts/view)",
    "order_rate": "下单率 Order rate (orders/cart)",
}
#: Who acts on each GMV driver (the owner of an action when that driver pulled GMV down).
DRIVER_OWNERS: dict[str, tuple[str, str]] = {
    "visitors": ("市场 marketing", "review channels, ad spend and search ranking of the top SKUs"),
    "conversion_rate": ("运营 operations", "check price competitiveness, stock-outs and page quality of the top SKUs"),
    "aov": ("品类 category", "review bundles, free-shipping thresholds and discount depth"),
    "views_per_visitor": ("内容 content", "improve search, recommendations and listing pages so visitors see more "
                                         "products"),
    "cart_rate": ("商品 product", "check price, images, reviews and stock of the most viewed SKUs"),
    "order_rate": ("运营 operations", "check checkout, shipping fees, free-shipping thresholds and coupons"),
}
#: Metrics that are shares (shown as %).
RATE_METRICS: frozenset[str] = frozenset({"return_rate", "cancellation_rate", "conversion_rate", "cart_rate",
                                        "order_rate"})
#: Metrics in currency.
MONEY_METRICS: frozenset[str] = frozenset({"gmv", "net_sales", "aov"})

_SUM_COLUMNS = ["orders", "units", "units_net", "units_returned", "gmv", "net_sales", "list_value",
                "buyers", "guest_orders", "orders_placed", "gmv_placed"]
_INT_COLUMNS = ["orders", "units", "units_net", "units_returned", "buyers", "guest_orders", "orders_placed"]


# --------------------------------------------------------------------------------------------- helpers
def _div(num: float | pd.Series, den: float | pd.Series) -> float | pd.Series:
    """``num / den`` with NaN where ``den`` is 0 or missing."""
    if isinstance(den, pd.Series):
        den_s = den.astype("float64")
        return (num / den_s.where(den_s != 0)).astype("float64")
    den_f = float(den)
    if isinstance(num, pd.Series):
        return num.astype("float64") / den_f if den_f != 0 and not math.isnan(den_f) else num * np.nan
    return float(num) / den_f if den_f != 0 and not math.isnan(den_f) else float("nan")


def _is_lines(data: pd.DataFrame) -> bool:
    return "order_id" in data.columns and "order_ts" in data.columns


def totals(data: pd.DataFrame) -> pd.Series:
    """One Series of summed measures (``gmv``, ``orders``, ...) from order lines or a cube/totals frame.

    From order lines the counts are distinct over the whole frame. From a daily frame
    (``cube.daily_totals``) the columns are summed: exact for money, units and orders (an order has one
    timestamp), but ``buyers`` become buyer-days; pass order lines for distinct buyers.

    Example:
        >>> daily = pd.DataFrame({"gmv": [10.0, 20.0], "orders": [1, 2]})
        >>> totals(daily)[["gmv", "orders"]].tolist()
        [30.0, 3.0]
    """
    if not isinstance(data, pd.DataFrame) or _is_lines(data):
        t = cube.period_totals(data, None)
        if len(t) == 0:
            return pd.Series({c: 0 for c in _SUM_COLUMNS}, dtype="float64")
        return t.drop(columns="date").sum()
    return data[[c for c in data.columns if c in _SUM_COLUMNS or c == "visitors"]].sum()


# ------------------------------------------------------------------------------------ scalar metrics
def gmv(data: pd.DataFrame) -> float:
    """GMV 成交额 = sum(quantity * unit_price) over lines not cancelled (returned lines included).

    Example: lines (2 x ¥10 completed, 1 x ¥30 returned, 1 x ¥40 cancelled) -> 20 + 30 = 50.0.
    """
    return float(totals(data)["gmv"])


def net_sales(data: pd.DataFrame) -> float:
    """Net sales 净销售额 = sum(quantity * unit_price) over completed lines = GMV - returned value.

    Example: (2 x ¥10 completed, 1 x ¥30 returned, 1 x ¥40 cancelled) -> 20.0.
    """
    return float(totals(data)["net_sales"])


def order_count(data: pd.DataFrame) -> int:
    """Orders 订单数 = distinct order_id with at least one line not cancelled.

    Example: o1 completed, o2 returned, o3 cancelled -> 2.
    """
    return int(totals(data)["orders"])


def units(data: pd.DataFrame) -> int:
    """Units 件数 = sum(quantity) over lines not cancelled.

    Example: quantities 2 (completed), 1 (returned), 1 (cancelled) -> 3.
    """
    return int(totals(data)["units"])


def buyers(data: pd.DataFrame) -> int:
    """Buyers 买家数 = distinct non-empty customer_id over lines not cancelled (guests not counted).

    Pass order lines: on a daily frame this sums buyer-days. Example: c1 (2 orders), c2 -> 2.
    """
    return int(totals(data)["buyers"])


def aov(data: pd.DataFrame) -> float:
    """AOV 客单价 = GMV / orders (average value per order, NaN without orders).

    Here 客单价 is per *order*, as most Chinese platforms report it; per buyer use ``gmv / buyers``.
    Example: GMV 50, 2 orders -> 25.0.
    """
    t = totals(data)
    return _div(t["gmv"], t["orders"])


def units_per_order(data: pd.DataFrame) -> float:
    """Units per order 连带率 = units / orders. Example: 3 units, 2 orders -> 1.5."""
    t = totals(data)
    return _div(t["units"], t["orders"])


def return_rate(data: pd.DataFrame) -> float:
    """Return rate 退货率 (by value) = (GMV - net sales) / GMV = returned value / GMV.

    Example: GMV 50 of which 30 returned -> 0.6.
    """
    t = totals(data)
    return _div(t["gmv"] - t["net_sales"], t["gmv"])


def cancellation_rate(data: pd.DataFrame) -> float:
    """Cancellation rate 取消率 (by value) = cancelled value / placed value.

    Placed value = sum(quantity * unit_price) over all lines. Needs order lines (or a frame from
    :func:`opslib.data.cube.period_totals` with ``gmv_placed``). Example: placed 90, cancelled 40 -> 0.444...
    """
    t = totals(data)
    if "gmv_placed" not in t.index:
        raise ValueError("cancellation_rate needs order lines (or cube.period_totals output with gmv_placed)")
    return _div(t["gmv_placed"] - t["gmv"], t["gmv_placed"])


def visitors(traffic: pd.DataFrame, period: Period | None = None) -> float:
    """Visitors 访客数 = sum of ``traffic.visitors`` over days (in ``period``) and categories.

    NaN when the traffic table has no day in the period. See the module caveat on double counting.
    Example: 美妆 100 + 服饰 50 on one day -> 150.0.
    """
    t = traffic if period is None else traffic[period.contains(traffic["date"])]
    return float(t["visitors"].sum()) if len(t) else float("nan")


def conversion_rate(orders: float, visitors: float) -> float:
    """Conversion 转化率 = orders / visitors (both over the same days; NaN without visitors).

    Example: 2 orders, 150 visitors -> 0.01333.
    """
    return _div(orders, visitors)


# ------------------------------------------------------------------------------------------- tables
def shop_conversion_rate(orders: pd.DataFrame, traffic: pd.DataFrame) -> float:
    """Conversion over everything in the two tables: distinct non-cancelled orders / summed visitors.

    The same definition as :func:`conversion_rate` (orders / visitors, visitors summed over days and
    categories), for a whole shop at once, e.g. as the baseline of an A/B test's power calculation.

    Parameters:
        orders: order lines. traffic: the traffic table.

    Returns:
        Orders / visitors over the days both tables cover (a fraction).

    Example:
        >>> lines = pd.DataFrame({"order_id": ["o1", "o1", "o2", "o3"],
        ...                       "status": ["completed", "completed", "returned", "cancelled"]})
        >>> shop_conversion_rate(lines, pd.DataFrame({"visitors": [50, 50]}))  # 2 orders / 100
        0.02
    """
    return conversion_rate(cube.placed_orders(orders), float(traffic["visitors"].sum()))


# ------------------------------------------------------------------------------ measures on the engine
# The per-bucket totals are opslib.data.buckets.bucket_totals (re-exported here); kpi adds the ratios.


def _query(source: Any, sql: str) -> pd.DataFrame:
    """``sql`` (view ``orders``, and ``traffic`` on a shop's engine) where the lines are (``query_lines``)."""
    return query_lines(source, sql)


def _engine_data(source: Any) -> Any:
    """The ``ShopData`` of a shop opened on its engine, else None (frames, paths, shops built from frames)."""
    return engine_data(source)


def _add_ratios(t: pd.DataFrame) -> pd.DataFrame:
    """Add the ratio KPIs to a frame of summed measures (one row per period)."""
    t = t.copy()
    t["aov"] = _div(t["gmv"], t["orders"])
    t["units_per_order"] = _div(t["units"], t["orders"])
    t["return_rate"] = _div(t["gmv"] - t["net_sales"], t["gmv"])
    t["cancellation_rate"] = _div(t["gmv_placed"] - t["gmv"], t["gmv_placed"])
    if "visitors" in t.columns:
        t["conversion_rate"] = _div(t["orders"], t["visitors"])
    return t


def _kpi_columns(has_traffic: bool) -> list[str]:
    cols = ["gmv", "net_sales", "orders", "units", "buyers", "aov", "units_per_order",
            "return_rate", "cancellation_rate"]
    return cols + (["visitors", "conversion_rate"] if has_traffic else [])


def _traffic_source(source: Any, traffic: pd.DataFrame | bool | None) -> tuple[bool, pd.DataFrame | None]:
    """How visitors are counted: ``(True, None)`` in SQL on the shop's engine, ``(False, frame)`` in pandas from a
    traffic frame, ``(False, None)`` without traffic. ``traffic=True`` asks for the shop's own traffic table."""
    if traffic is None or traffic is False:
        return False, None
    if isinstance(traffic, pd.DataFrame):
        return False, traffic
    data = _engine_data(source)
    if data is not None and data.has("traffic"):
        return True, None
    frame = getattr(source, "traffic", None) if hasattr(source, "has") else None
    if isinstance(frame, pd.DataFrame):
        return False, frame
    raise ValueError("traffic=True needs a shop with a traffic table; pass the traffic frame instead")


def kpi_table(orders: Any, period: Period, traffic: pd.DataFrame | bool | None = None) -> pd.DataFrame:
    """One row of KPIs for the order lines placed in ``period`` (formulas in the module docstring).

    Columns: ``period_start``, ``period_end``, ``days``, ``gmv``, ``net_sales``, ``orders``, ``units``,
    ``buyers``, ``aov``, ``units_per_order``, ``return_rate``, ``cancellation_rate`` and, with
    ``traffic``, ``visitors`` and ``conversion_rate``. A period without orders gives zeros and NaN ratios.

    Parameters:
        orders: order lines: a shop (``load_shop``: aggregated on its engine, the lines stay there), a frame or a
            Parquet path. period: the days. traffic: the traffic frame, ``True`` for the shop's own traffic table
            (summed in the same SQL on its engine), or None.

    Returns:
        One row (columns above).

    Example: see the module docstring (GMV 50, 2 orders, AOV 25, return rate 0.6).
    """
    in_sql, frame = _traffic_source(orders, traffic)
    t = bucket_totals(orders, None, start=period.start, end=period.end_exclusive, visitors=in_sql)
    t = (t.drop(columns="date").sum(min_count=1) if len(t) else
         pd.Series({c: 0 for c in _SUM_COLUMNS}, dtype="float64")).to_frame().T
    has_traffic = in_sql or frame is not None
    if frame is not None:
        t["visitors"] = visitors(frame, period)
    elif in_sql and "visitors" not in t.columns:
        t["visitors"] = np.nan
    t = _add_ratios(t)
    for c in _INT_COLUMNS:
        t[c] = t[c].fillna(0).astype("int64")
    t.insert(0, "period_start", period.start)
    t.insert(1, "period_end", period.end)
    t.insert(2, "days", period.days)
    return t[["period_start", "period_end", "days", *_kpi_columns(has_traffic)]].reset_index(drop=True)


def bucket_start(ts: pd.Series, freq: Freq = "W") -> pd.Series:
    """First day of the day/ISO week (Monday)/month that each timestamp falls in.

    Example:
        >>> bucket_start(pd.Series(pd.to_datetime(["2024-06-19 10:00"])), "W").tolist()
        [Timestamp('2024-06-17 00:00:00')]
    """
    day = pd.to_datetime(ts).dt.normalize()
    if freq == "D":
        return day
    if freq == "W":
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    if freq == "M":
        return day - pd.to_timedelta(day.dt.day - 1, unit="D")
    raise ValueError(f"freq must be 'D', 'W' or 'M', got {freq!r}")


def _bucket_end(start: pd.Series, freq: Freq) -> pd.Series:
    if freq == "D":
        return start
    if freq == "W":
        return start + pd.Timedelta(days=6)
    return start + pd.offsets.MonthEnd(0)


def kpi_trend(orders: Any, freq: Freq = "W", traffic: pd.DataFrame | bool | None = None,
              since: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """KPIs per day (``'D'``), ISO week (``'W'``, Monday start) or calendar month (``'M'``).

    One row per bucket from the first to the last order (buckets without orders get zeros), columns
    ``period_start``, ``period_end``, ``days`` (days of the bucket inside the data's date range, so
    partial first/last buckets can be spotted: a week with ``days < 7`` is not comparable), ``label``
    (``'2024-W25'``, ``'2024-06'`` or the date) and the :func:`kpi_table` metrics. Buyers are distinct
    within each bucket. ``since`` keeps only buckets ending on or after that day (the recent trend a
    report shows); the lines before that bucket are not read.

    The measures are :func:`bucket_totals`: one SQL query where the lines are (the shop's engine for a
    ``load_shop`` shop, DuckDB for a frame or path), one row per bucket back; only those rows come into pandas.

    Parameters:
        orders: order lines: a shop (on its engine), a frame or a Parquet path. freq: ``'D'``, ``'W'`` or ``'M'``.
        traffic: the traffic frame, ``True`` for the shop's own traffic table (joined in the same SQL on its
            engine), or None. since: keep buckets ending on or after this day (None: all).

    Returns:
        One row per bucket (columns above).

    Example (two orders on Mon 2024-06-17 and Tue 2024-06-25: weeks 2024-W25 and 2024-W26, the second partial):
        >>> lines = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c2"], "sku": "a",
        ...     "order_ts": pd.to_datetime(["2024-06-17 10:00", "2024-06-25 11:00"]), "quantity": 1,
        ...     "unit_price": [10.0, 30.0], "list_price": 30.0, "status": "completed"})
        >>> kpi_trend(lines, "W")[["label", "days", "gmv", "orders"]].values.tolist()
        [['2024-W25', 7, 10.0, 1], ['2024-W26', 2, 30.0, 1]]
    """
    if freq not in BUCKET_UNITS:
        raise ValueError(f"freq must be 'D', 'W' or 'M', got {freq!r}")
    d0, d1, n_lines = cube.order_span(orders)
    if n_lines == 0:
        raise ValueError("kpi_trend needs at least one order line")
    first, last = bucket_start(pd.Series([d0]), freq).iloc[0], bucket_start(pd.Series([d1]), freq).iloc[0]
    lo = None
    if since is not None:  # the bucket holding ``since`` and later: the lines before it are not read
        lo = max(first, bucket_start(pd.Series([pd.Timestamp(since)]), freq).iloc[0])
    in_sql, frame = _traffic_source(orders, traffic)
    t = bucket_totals(orders, freq, start=lo, visitors=in_sql).rename(columns={"date": "period_start"})
    all_b = bucket_start(pd.Series(pd.date_range(lo if lo is not None else first, last, freq="D")),
                         freq).drop_duplicates()
    t = pd.DataFrame({"period_start": all_b.to_numpy()}).merge(t, on="period_start", how="left")
    if in_sql:
        t[[c for c in t.columns if c != "visitors"]] = t[[c for c in t.columns if c != "visitors"]].fillna(0)
    else:
        t = t.fillna(0)
    if frame is not None:
        tb = frame.assign(period_start=bucket_start(frame["date"], freq))
        v = tb.groupby("period_start", as_index=False)["visitors"].sum()
        t = t.merge(v, on="period_start", how="left")
    t = _add_ratios(t)
    for c in _INT_COLUMNS:
        t[c] = t[c].astype("int64")
    t["period_end"] = _bucket_end(t["period_start"], freq)
    lo_d = t["period_start"].where(t["period_start"] > d0, d0)
    hi_d = t["period_end"].where(t["period_end"] < d1, d1)
    t["days"] = ((hi_d - lo_d).dt.days + 1).astype("int64")
    if freq == "W":
        t["label"] = iso_week(t["period_start"])
    elif freq == "M":
        t["label"] = t["period_start"].dt.strftime("%Y-%m")
    else:
        t["label"] = t["period_start"].dt.strftime("%Y-%m-%d")
    cols = ["period_start", "period_end", "days", "label", *_kpi_columns(in_sql or frame is not None)]
    if since is not None:
        t = t[t["period_end"] >= pd.Timestamp(since)]
    return t[cols].reset_index(drop=True)


def trend_metrics(has_traffic: bool) -> list[str]:
    """The KPIs a trend chart shows: GMV, orders, AOV and return rate, plus visitors and conversion with traffic.

    Parameters:
        has_traffic: whether the shop has a traffic table.

    Returns:
        The metric names to draw.

    Example:
        >>> trend_metrics(False)
        ['gmv', 'orders', 'aov', 'return_rate']
    """
    return ["gmv", "orders", "aov", "return_rate"] + (["visitors", "conversion_rate"] if has_traffic else [])


def partial_buckets(trend: pd.DataFrame) -> list[str]:
    """Labels of the buckets of a :func:`kpi_trend` frame that the data covers only partly (not comparable).

    A bucket is partial when it has fewer ``days`` than the longest bucket of the frame.

    Parameters:
        trend: a :func:`kpi_trend` frame.

    Returns:
        The labels of its partial buckets (empty when all are complete).

    Example:
        >>> partial_buckets(pd.DataFrame({"label": ["2024-W25", "2024-W26"], "days": [7, 3]}))
        ['2024-W26']
    """
    if len(trend) == 0:
        return []
    return trend.loc[trend["days"] < trend["days"].max(), "label"].astype(str).tolist()


def compare_periods(
    orders: Any, current: Period, baseline: Period, traffic: pd.DataFrame | bool | None = None
) -> pd.DataFrame:
    """KPIs of ``current`` vs ``baseline``, one row per metric.

    Columns ``metric``, ``label``, ``current``, ``baseline``, ``change`` = current - baseline and
    ``change_pct`` = change / |baseline| (NaN when the baseline is 0 or missing). For rates, ``change``
    is in percentage points as a fraction (0.01 = +1 pt) and ``change_pct`` is relative.
    ``attrs`` holds ``current`` and ``baseline`` as text.

    Parameters:
        orders: order lines: a shop (aggregated on its engine), a frame or a Parquet path. current, baseline: the
            two periods (``opslib.calendar.Period``). traffic: the traffic frame, ``True`` for the shop's own
            traffic table on its engine, or None (then visitors and conversion are left out).

    Returns:
        One row per metric with ``metric``, ``label``, ``current``, ``baseline``, ``change``, ``change_pct``.

    Example: GMV 110 vs 100 -> change 10, change_pct 0.10.
    """
    cur = kpi_table(orders, current, traffic).iloc[0]
    base = kpi_table(orders, baseline, traffic).iloc[0]
    metrics = _kpi_columns("visitors" in cur.index)
    out = pd.DataFrame({
        "metric": metrics,
        "label": [METRIC_LABELS[m] for m in metrics],
        "current": [float(cur[m]) for m in metrics],
        "baseline": [float(base[m]) for m in metrics],
    })
    out["change"] = out["current"] - out["baseline"]
    out["change_pct"] = _div(out["change"], out["baseline"].abs())
    out.attrs.update(current=str(current), baseline=str(baseline))
    return out


# ------------------------------------------------------------------------------------ decomposition
def _log_mean(a: float, b: float) -> float:
    """Logarithmic mean L(a, b) = (a - b) / (ln a - ln b), with L(a, a) = a.

    When a and b are so close that their logs round to the same number, the series
    ``L = b (1 + (r - 1)/2 - (r - 1)²/12)``, ``r = a/b``, is used (no division by zero).

    Example:
        >>> round(_log_mean(2.0, 1.0), 6), _log_mean(3.0, 3.0), _log_mean(0.001, 0.0010000000000000002) > 0
        (1.442695, 3.0, True)
    """
    if a == b:
        return float(a)
    d = math.log(a) - math.log(b)
    r = a / b
    if d == 0 or abs(r - 1) < 1e-9:
        return b * (1 + (r - 1) / 2 - (r - 1) ** 2 / 12)
    return (a - b) / d


#: The driver sets :func:`gmv_decomposition` knows: each multiplies out to GMV exactly.
GMV_DRIVERS: dict[str, tuple[str, ...]] = {
    "basic": ("visitors", "conversion_rate", "aov"),
    "funnel": ("visitors", "views_per_visitor", "cart_rate", "order_rate", "aov"),
}
#: The counts each driver set needs in a period's row.
_NEEDS: dict[str, tuple[str, ...]] = {
    "basic": ("gmv", "orders", "visitors"),
    "funnel": ("gmv", "orders", "visitors", "product_views", "add_to_cart"),
}


def lmdi_decomposition(current: Mapping[str, float], baseline: Mapping[str, float],
                       total_current: float | None = None, total_baseline: float | None = None) -> pd.DataFrame:
    """Split the change of a product of any number of positive drivers into one additive part per driver (LMDI).

    With ``V = x_1 · x_2 · … · x_k`` in both periods and the logarithmic mean
    ``L = (V1 − V0) / (ln V1 − ln V0)`` (``L = V`` when equal), driver ``j`` contributes
    ``C_j = L · ln(x_j1 / x_j0)``. Because ``Σ_j ln(x_j1 / x_j0) = ln(V1 / V0)``, the parts add up to
    ``V1 − V0`` exactly, with no residual and for any k (Ang 2004, "Decomposition analysis for
    policymaking in energy", Energy Policy 32: the additive LMDI-I). Unchanged drivers contribute 0;
    swapping the periods negates every part.

    Parameters:
        current, baseline: driver name -> value (same names, in order), all positive and finite.
        total_current, total_baseline: the totals; default the products of the drivers. When given they must
            equal the products (relative 1e-9): the decomposition is only exact for an exact identity.

    Returns:
        One row per driver: ``driver``, ``baseline``, ``current``, ``log_ratio`` = ln(x1/x0),
        ``contribution``, ``share`` = contribution / change (NaN when the total did not change).
        ``attrs``: ``total_baseline``, ``total_current``, ``change``.

    Example (price x quantity: price 10 -> 12, quantity 5 -> 5; revenue 50 -> 60, all from price):
        >>> d = lmdi_decomposition({"price": 12.0, "quantity": 5.0}, {"price": 10.0, "quantity": 5.0})
        >>> d[["driver", "contribution"]].round(6).values.tolist()
        [['price', 10.0], ['quantity', 0.0]]
    """
    names = list(current)
    if list(baseline) != names:
        raise ValueError(f"lmdi_decomposition: the periods name different drivers: {names} vs {list(baseline)}")
    if not names:
        raise ValueError("lmdi_decomposition needs at least one driver")
    for period, row in (("current", current), ("baseline", baseline)):
        for k in names:
            v = float(row[k])
            if not v > 0 or math.isinf(v):
                raise ValueError(f"lmdi_decomposition needs positive, finite drivers; {period} {k} = {v}")
    c = {k: float(current[k]) for k in names}
    b = {k: float(baseline[k]) for k in names}
    v1 = math.prod(c.values()) if total_current is None else float(total_current)
    v0 = math.prod(b.values()) if total_baseline is None else float(total_baseline)
    for label, tot, row in (("current", v1, c), ("baseline", v0, b)):
        prod = math.prod(row.values())
        if not math.isclose(tot, prod, rel_tol=1e-9):
            raise ValueError(f"lmdi_decomposition: the {label} total {tot} is not the product of its drivers ({prod})")
    change = v1 - v0
    lm = _log_mean(v1, v0)
    logs = [math.log(c[k] / b[k]) for k in names]
    out = pd.DataFrame({"driver": names, "baseline": [b[k] for k in names], "current": [c[k] for k in names],
                        "log_ratio": logs, "contribution": [lm * x for x in logs]})
    out["share"] = out["contribution"] / change if change != 0 else np.nan
    out.attrs.update(total_baseline=v0, total_current=v1, change=change)
    return out


def _resolve_drivers(drivers: str) -> tuple[str, tuple[str, ...]]:
    if not isinstance(drivers, str) or drivers not in GMV_DRIVERS:
        raise ValueError(f"drivers must be one of {sorted(GMV_DRIVERS)}, got {drivers!r}")
    return drivers, GMV_DRIVERS[drivers]


def _drivers(x: Mapping | pd.Series | pd.DataFrame, kind: str = "basic") -> dict[str, float]:
    if isinstance(x, pd.DataFrame):
        if len(x) != 1:
            raise ValueError("gmv_decomposition takes one row (e.g. kpi_table output) per period")
        x = x.iloc[0]
    need = _NEEDS[kind]
    missing = [k for k in need if k not in x]
    if missing:
        raise ValueError(f"gmv_decomposition(drivers={kind!r}) needs {', '.join(need)} in each period; "
                         f"missing {', '.join(missing)}")
    val = {k: float(x[k]) for k in need}
    for name in need:
        if not val[name] > 0 or math.isinf(val[name]):
            raise ValueError(f"gmv_decomposition needs positive {', '.join(need)}; {name} = {val[name]}")
    g, o, v = val["gmv"], val["orders"], val["visitors"]
    out = {"gmv": g, "visitors": v, "conversion_rate": o / v, "aov": g / o}
    if kind == "funnel":
        pv, atc = val["product_views"], val["add_to_cart"]
        out.update(views_per_visitor=pv / v, cart_rate=atc / pv, order_rate=o / atc)
    return out


def gmv_decomposition(current: Mapping | pd.Series | pd.DataFrame,
                      baseline: Mapping | pd.Series | pd.DataFrame,
                      drivers: str = "basic") -> pd.DataFrame:
    """Split the GMV change into multiplicative drivers with the LMDI (log-mean Divisia) method.

    ``drivers="basic"``: ``GMV = visitors * conversion * AOV`` exactly, with conversion = orders / visitors
    and AOV = GMV / orders. ``drivers="funnel"``: ``GMV = visitors * (views / visitors) * (carts / views) *
    (orders / carts) * AOV`` — the traffic funnel, also exact. With
    ``L = (GMV1 - GMV0) / (ln GMV1 - ln GMV0)`` (``L = GMV`` when equal), the contribution of driver ``x``
    is ``L * ln(x1 / x0)``; the parts add up to ``GMV1 - GMV0`` exactly because the logs of the ratios
    add up to ``ln(GMV1 / GMV0)`` (:func:`lmdi_decomposition`). ``share`` = contribution / change (NaN
    when GMV did not change).

    Parameters:
        current, baseline: a row (mapping, Series or one-row DataFrame) with ``gmv``, ``orders``, ``visitors``
            (e.g. :func:`kpi_table` with traffic), and for ``"funnel"`` also ``product_views`` and
            ``add_to_cart``, all positive.
        drivers: ``"basic"`` (visitors × conversion × AOV) or ``"funnel"`` (the five funnel drivers).

    Returns:
        One row per driver (``visitors``, ``conversion_rate``, ``aov``; or ``visitors``, ``views_per_visitor``,
        ``cart_rate``, ``order_rate``, ``aov``) with columns ``driver``, ``label``, ``baseline``, ``current``,
        ``contribution``, ``share``; ``attrs`` holds ``gmv_baseline``, ``gmv_current``, ``change``.

    Example (visitors 1000 -> 2000, conversion and AOV unchanged: all the change is traffic):
        >>> d = gmv_decomposition({"gmv": 2000.0, "orders": 20, "visitors": 2000},
        ...                       {"gmv": 1000.0, "orders": 10, "visitors": 1000})
        >>> d[["driver", "contribution", "share"]].round(6).values.tolist()
        [['visitors', 1000.0, 1.0], ['conversion_rate', 0.0, 0.0], ['aov', 0.0, 0.0]]

    Example (funnel: views per visitor 3 -> 3, carts per view 0.1 -> 0.2 doubles GMV):
        >>> d = gmv_decomposition({"gmv": 2000.0, "orders": 20, "visitors": 100, "product_views": 300, "add_to_cart": 60},
        ...                       {"gmv": 1000.0, "orders": 10, "visitors": 100, "product_views": 300, "add_to_cart": 30},
        ...                       drivers="funnel")
        >>> d[["driver", "contribution"]].round(6).values.tolist()
        [['visitors', 0.0], ['views_per_visitor', 0.0], ['cart_rate', 1000.0], ['order_rate', 0.0], ['aov', 0.0]]
    """
    kind, names = _resolve_drivers(drivers)
    c, b = _drivers(current, kind), _drivers(baseline, kind)
    d = lmdi_decomposition({k: c[k] for k in names}, {k: b[k] for k in names},
                           total_current=c["gmv"], total_baseline=b["gmv"])
    out = pd.DataFrame({
        "driver": list(names),
        "label": [METRIC_LABELS[k] for k in names],
        "baseline": d["baseline"].to_numpy(),
        "current": d["current"].to_numpy(),
        "contribution": d["contribution"].to_numpy(),
    })
    change = c["gmv"] - b["gmv"]
    out["share"] = out["contribution"] / change if change != 0 else np.nan
    out.attrs.update(gmv_baseline=b["gmv"], gmv_current=c["gmv"], change=change)
    return out


# ---------------------------------------------------------------------------------------- category mix
def category_mix(orders: Any, products: pd.DataFrame | None, current: Period,
                 baseline: Period | None = None) -> pd.DataFrame:
    """GMV by top-level category in ``current`` (and ``baseline``), with each category's share.

    ``share`` = category GMV / shop GMV in the period. Columns ``category``, ``gmv_current``,
    ``share_current`` and with a baseline ``gmv_baseline``, ``share_baseline``, ``share_change``
    (current - baseline share, a fraction: 0.02 = +2 pts), ``gmv_change_pct``. Sorted by current GMV.
    Lines whose SKU is not in products fall under category ``'(unknown)'``. GMV per SKU is one SQL
    aggregate where the lines are (a shop's engine, or DuckDB over a frame or path); only the SKUs' totals
    come into pandas to be mapped to categories.

    Parameters:
        orders: order lines: a shop (on its engine), a frame or a Parquet path. products: the products table
            (``sku`` -> ``category``); None takes the shop's. current: the period. baseline: the comparison
            period, or None for shares of ``current`` only.

    Returns:
        One row per category, sorted by current GMV (columns above).

    Example (美妆 60, 服饰 40 -> shares 0.6 and 0.4):
        >>> from opslib.calendar import parse_period
        >>> lines = pd.DataFrame({"sku": ["a", "b"], "order_ts": pd.to_datetime(["2024-06-03", "2024-06-04"]),
        ...                       "quantity": 1, "unit_price": [60.0, 40.0], "status": "completed"})
        >>> p = pd.DataFrame({"sku": ["a", "b"], "category": ["美妆", "服饰"]})
        >>> category_mix(lines, p, parse_period("2024-06-03", "2024-06-09"))["share_current"].tolist()
        [0.6, 0.4]
    """
    if products is None and hasattr(orders, "has") and orders.has("products"):
        products = orders.products
    if products is None:
        raise ValueError("category_mix needs the products table (sku -> category)")
    cats = products[["sku", "category"]]

    def one(p: Period, tag: str) -> pd.DataFrame:
        by_sku = _query(orders, "SELECT o.sku, CAST(coalesce(sum(CASE WHEN o.status <> 'cancelled' THEN "
                                "o.quantity * o.unit_price ELSE 0 END), 0) AS DOUBLE) AS gmv FROM orders o "
                                f"WHERE {ts_range(p.start, p.end_exclusive)} GROUP BY 1")
        if len(by_sku) == 0:
            return pd.DataFrame({"category": pd.Series(dtype="str"), f"gmv_{tag}": pd.Series(dtype="float64")})
        d = by_sku.merge(cats, on="sku", how="left")
        d["category"] = d["category"].astype(object).where(d["category"].notna(), "(unknown)")
        return d.groupby("category", as_index=False)["gmv"].sum().rename(columns={"gmv": f"gmv_{tag}"})

    out = one(current, "current")
    if baseline is not None:
        out = out.merge(one(baseline, "baseline"), on="category", how="outer")
    out = out.fillna(0.0)
    out["share_current"] = _div(out["gmv_current"], out["gmv_current"].sum())
    cols = ["category", "gmv_current", "share_current"]
    if baseline is not None:
        out["share_baseline"] = _div(out["gmv_baseline"], out["gmv_baseline"].sum())
        out["share_change"] = out["share_current"] - out["share_baseline"]
        out["gmv_change_pct"] = _div(out["gmv_current"] - out["gmv_baseline"], out["gmv_baseline"])
        cols += ["gmv_baseline", "share_baseline", "share_change", "gmv_change_pct"]
    return out.sort_values("gmv_current", ascending=False, ignore_index=True)[cols]


@dataclass
class GmvChange:
    """The GMV change between two periods split into visitors x conversion x AOV (:func:`gmv_change`).

    ``decomposition`` is the :func:`gmv_decomposition` frame, or None when it cannot be computed; then
    ``reason`` says why (no traffic table, a period without GMV, orders or visitors).
    """

    decomposition: pd.DataFrame | None
    reason: str | None = None

    def summary(self) -> pd.DataFrame:
        """The decomposition (``driver``, ``label``, ``baseline``, ``current``, ``contribution``, ``share``);
        empty when it was skipped."""
        if self.decomposition is None:
            return pd.DataFrame(columns=["driver", "label", "baseline", "current", "contribution", "share"])
        return self.decomposition

    def plot(self) -> Any:
        """The waterfall from baseline to current GMV (``opslib.plotting.decomposition_waterfall``), or the
        reason it was skipped printed and None."""
        if self.decomposition is None:
            print(self.reason)
            return None
        from opslib.plotting.kpi import decomposition_waterfall

        return decomposition_waterfall(self.decomposition)


def gmv_change(orders: Any, current: Period, baseline: Period,
               traffic: pd.DataFrame | bool | None = None) -> GmvChange:
    """Why GMV changed between ``baseline`` and ``current``: :func:`gmv_decomposition` of the two periods' KPIs.

    Formula: GMV = visitors x conversion x AOV; each driver's LMDI contribution is L x ln(x1 / x0) with
    L = (GMV1 - GMV0) / (ln GMV1 - ln GMV0), so the parts add up exactly to the change.

    Parameters:
        orders: order lines (a shop on its engine, a frame or a Parquet path). current, baseline: the periods.
        traffic: the traffic frame, or ``True`` for the shop's own traffic table on its engine (needed).

    Returns:
        :class:`GmvChange` (skipped with a reason when traffic is missing or a period has no GMV, orders
        or visitors).
    """
    if traffic is None or traffic is False:
        return GmvChange(None, "no traffic table: skipping the GMV decomposition (visitors x conversion x AOV)")
    cur, base = kpi_table(orders, current, traffic), kpi_table(orders, baseline, traffic)
    need = ["gmv", "orders", "visitors"]
    if not (cur[need].iloc[0].gt(0).all() and base[need].iloc[0].gt(0).all()):
        return GmvChange(None, "Skipping the decomposition: one of the periods has no GMV, orders or visitors.")
    return GmvChange(gmv_decomposition(cur, base))


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("gmv", "成交额", "GMV (gross merchandise value)",
         "Σ quantity × unit_price over order lines not cancelled (returned lines included)", "opslib.kpi.gmv", "00"),
    Term("net_sales", "净销售额", "Net sales",
         "Σ quantity × unit_price over completed lines = GMV − returned value", "opslib.kpi.net_sales", "00"),
    Term("orders", "订单数", "Orders", "distinct order_id with at least one line not cancelled",
         "opslib.kpi.order_count", "00"),
    Term("units", "件数", "Units", "Σ quantity over lines not cancelled", "opslib.kpi.units", "00"),
    Term("buyers", "买家数", "Buyers", "distinct non-empty customer_id over lines not cancelled (guests not counted)",
         "opslib.kpi.buyers", "00"),
    Term("aov", "客单价", "AOV (average order value)", "GMV / orders (per order, as Chinese platforms report it)",
         "opslib.kpi.aov", "00"),
    Term("units_per_order", "连带率", "Units per order (UPT)", "units / orders", "opslib.kpi.units_per_order", "00"),
    Term("return_rate", "退货率", "Return rate (by value)", "(GMV − net sales) / GMV = returned value / GMV",
         "opslib.kpi.return_rate", "00"),
    Term("cancellation_rate", "取消率", "Cancellation rate (by value)",
         "cancelled value / placed value; placed value = Σ quantity × unit_price over all lines",
         "opslib.kpi.cancellation_rate", "00"),
    Term("visitors", "访客数", "Visitors", "Σ traffic.visitors over days and categories (a visitor of two "
         "categories counts twice)", "opslib.kpi.visitors", "00"),
    Term("conversion_rate", "转化率", "Conversion rate", "orders / visitors over the same days",
         "opslib.kpi.conversion_rate", "00"),
    Term("period_change", "同比 / 环比", "Change vs baseline (year on year / period on period)",
         "(current − baseline) / |baseline|; baseline = the same weeks 364 days back (同比) or the period just "
         "before (环比); rates change in percentage points", "opslib.kpi.compare_periods", "00"),
    Term("partial_bucket", "不完整周期", "Partial week or month",
         "a trend bucket with fewer days in the data than the longest bucket: not comparable",
         "opslib.kpi.partial_buckets", "00"),
    Term("gmv_decomposition", "GMV 拆解 (LMDI)", "GMV decomposition: visitors × conversion × AOV",
         "GMV = visitors × conversion × AOV; contribution of driver x = L × ln(x₁ / x₀), "
         "L = (GMV₁ − GMV₀) / (ln GMV₁ − ln GMV₀); the three add up to the change", "opslib.kpi.gmv_decomposition",
         "00"),
    Term("category_share", "品类占比", "Category share of GMV", "category GMV / shop GMV in the period; share change "
         "in percentage points", "opslib.kpi.category_mix", "00"),
)
