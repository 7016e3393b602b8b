"""Who comes back (复购与留存): cohorts, repeat-purchase rates, time between orders, new vs returning buyers.

Every measure counts **orders not cancelled** (an order's time is its first line's ``order_ts``, its value the
sum of quantity × unit_price over its lines that were not cancelled) of customers with a ``customer_id``;
guests are counted separately (:func:`guest_summary`), never as customers. A customer's *first order* is
their first order in the data: customers who bought before the export starts look new in its first months.

* :func:`cohort_table` — customers grouped by the month (or week) of their first order; for each later
  month ``k`` the cohort's active customers (``retention = active / cohort size``) and revenue.
* :func:`repeat_purchase_rate` — **京东商智's 30/90-day repeat-purchase rate (重复购买率)**: "近30天，在本店铺
  购买2单及以上的客户，占全部成交客户的比例" — of the customers with at least one valid order in the 30 (90)
  days up to the day, the share with two orders or more (京东商智 指标说明, 首页 · 核心指标 "30天重复购买率" /
  "90天重复购买率"; quoted from the metric glossary as republished at https://sanshi.link/5711.html).
* :func:`first_order_repeat` — of the first orders (new customers) placed at least ``days`` before the data
  ends, the share followed by another order of the same customer within ``days`` days; also for repeat
  orders (returning) and for first orders on a campaign day (the sample shop's ``truth.json`` definition).
* :func:`order_gaps` — days between consecutive orders of a customer (1st→2nd, 2nd→3rd, ...).
* :func:`new_vs_returning` — per month/week: new buyers (first order in that bucket), returning buyers, their
  orders and GMV, and guest orders and GMV.

Example (JD's 30-day rate on 2024-06-30: a ordered twice in June, b once -> 1 of 2 buyers repeat):
    >>> import pandas as pd
    >>> lines = pd.DataFrame({"order_id": ["a1", "a2", "b1", "c1"], "customer_id": ["a", "a", "b", "c"],
    ...     "order_ts": pd.to_datetime(["2024-06-02", "2024-06-20", "2024-06-25", "2024-04-01"]),
    ...     "quantity": 1, "unit_price": 10.0, "status": "completed"})
    >>> repeat_purchase_rate(lines, ends=["2024-06-30"], days=(30,)).rates[["buyers", "repeat_buyers", "repeat_rate"]].values.tolist()
    [[2.0, 1.0, 0.5]]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from opslib.calendar import period_bounds
from opslib.customers._sql import Table, connect, day, require, ts_window
from opslib.errors import CLVError

__all__ = ["CohortResult", "GuestSummary", "OrderGaps", "RepeatRates", "cohort_table", "first_order_repeat",
           "guest_summary", "new_vs_returning", "order_gaps", "repeat_purchase_rate", "why_no_customers"]

_NEED = ["order_id", "order_ts", "customer_id", "quantity", "unit_price", "status"]
_FREQ = {"M": "month", "W": "week"}

#: One row per order not cancelled: customer (NULL for guests), order id, time, value — the base of every query.
_ORDERS = """
    SELECT o.customer_id AS c, o.order_id, min(o.order_ts) AS ts, CAST(min(o.order_ts) AS DATE) AS d,
           CAST(sum(o.quantity * o.unit_price) AS DOUBLE) AS v
    FROM orders o WHERE o.status <> 'cancelled' {cond}
    GROUP BY 1, 2"""


def _base(cond: str = "", guests: bool = False) -> str:
    where = "" if guests else " AND o.customer_id IS NOT NULL"
    return _ORDERS.format(cond=where + (f" AND {cond}" if cond else ""))


def _upto(end: object | None) -> str:
    """SQL condition: lines placed on or before the day ``end`` (empty for None)."""
    if end is None:
        return ""
    return f"o.order_ts < TIMESTAMP '{pd.Timestamp(end).normalize() + pd.Timedelta(days=1):%Y-%m-%d}'"


def _freq(freq: str) -> str:
    if freq not in _FREQ:
        raise CLVError(f"freq={freq!r}: expected 'M' (months) or 'W' (ISO weeks, Monday start)")
    return _FREQ[freq]


def _open(orders: Table, what: str, **more: Table | None):
    con = connect(orders=orders, **more)
    require(con, "orders", _NEED, what)
    return con


# ------------------------------------------------------------------------------------------------- cohorts
_COHORT_COLUMNS = ["cohort", "period", "cohort_size", "customers", "orders", "revenue", "retention",
                   "revenue_per_customer", "cum_revenue_per_customer", "complete"]


@dataclass
class CohortResult:
    """First-order cohorts (:func:`cohort_table`).

    ``reason``: why the table is empty (no customer's first order in the range), else None.
    ``table``: long form, one row per (cohort, period): ``cohort`` (first day of the first-order month/week),
    ``period`` (months/weeks since, 0 = the first month), ``cohort_size``, ``customers`` (active in that period),
    ``retention`` = customers / cohort_size, ``orders``, ``revenue``, ``revenue_per_customer`` = revenue /
    cohort_size, ``cum_revenue_per_customer`` (running sum over periods), ``complete`` (False for the last,
    partly covered period). ``freq``: ``"M"`` or ``"W"``; ``data_end``: the last order day.
    """

    table: pd.DataFrame
    freq: str
    data_end: pd.Timestamp
    reason: str | None = None

    def matrix(self, value: str = "retention") -> pd.DataFrame:
        """Cohorts (rows) × periods since first order (columns) of ``value`` (``retention``, ``customers``,
        ``revenue``, ``revenue_per_customer``, ``cum_revenue_per_customer``); NaN where not yet observed.

        Example:
            >>> t = pd.DataFrame({"cohort": pd.to_datetime(["2024-01-01"] * 2 + ["2024-02-01"]), "period": [0, 1, 0],
            ...                   "retention": [1.0, 0.25, 1.0]})
            >>> CohortResult(t, "M", pd.Timestamp("2024-02-29")).matrix().values.tolist()
            [[1.0, 0.25], [1.0, nan]]
        """
        m = self.table.pivot(index="cohort", columns="period", values=value).sort_index()
        m.index = [f"{c:%Y-%m}" if self.freq == "M" else f"{c:%Y-%m-%d}" for c in m.index]
        m.index.name = "cohort"
        return m

    def summary(self) -> pd.DataFrame:
        """One row per cohort: size, retention after 1, 3, 6 and 12 periods, revenue per customer to date."""
        t = self.table
        if t.empty:
            return pd.DataFrame(columns=["cohort", "cohort_size", "retention_1", "retention_3", "retention_6",
                                         "retention_12", "revenue_per_customer"])
        out = t[t["period"] == 0][["cohort", "cohort_size"]].set_index("cohort")
        for k in (1, 3, 6, 12):
            out[f"retention_{k}"] = t[t["period"] == k].set_index("cohort")["retention"]
        out["revenue_per_customer"] = t.sort_values("period").groupby("cohort")["cum_revenue_per_customer"].last()
        return out.reset_index()

    def plot(self, value: str = "retention") -> Any:
        """The cohort heatmap of ``value`` (``opslib.plotting.customers.cohort_heatmap``); the reason when empty."""
        if self.reason:
            print(self.reason)
            return None
        from opslib.plotting.customers import cohort_heatmap

        return cohort_heatmap(self.matrix(value), value=value, freq=self.freq)


def cohort_table(orders: Table, freq: str = "M", start: object | None = None, end: object | None = None,
                 last: int | None = None) -> CohortResult:
    """Retention and revenue per first-order cohort, in one DuckDB query.

    ``cohort(c)`` = the month (``freq="M"``) or ISO week (``"W"``) of customer ``c``'s first order not cancelled;
    ``period`` = months (weeks) from the cohort to the order's month (week); per (cohort, period):
    ``customers`` = distinct customers with an order, ``retention = customers / cohort size`` (period 0 is
    1 by definition), ``revenue`` = value of those orders, ``revenue_per_customer = revenue / cohort size``.

    Parameters:
        orders: order lines. freq: ``"M"`` or ``"W"``.
        start: the first cohort's first day (None: from the data's start).
        end: the report day: orders after it are ignored, so the last cohort is the one of ``end`` (None: the
            data's last day).
        last: keep only the last N cohorts (first-order months/weeks with customers) up to ``end``
            (None: all from ``start``).

    Returns:
        :class:`CohortResult` (empty, with a ``reason``, when no customer's first order falls in the range).

    Example (a buys in Jan and Mar, b in Jan: the January cohort has 2 customers, 1 active in month 2):
        >>> lines = pd.DataFrame({"order_id": ["a1", "a2", "b1"], "customer_id": ["a", "a", "b"],
        ...     "order_ts": pd.to_datetime(["2024-01-05", "2024-03-09", "2024-01-20"]), "quantity": 1,
        ...     "unit_price": [10.0, 30.0, 20.0], "status": "completed"})
        >>> c = cohort_table(lines)
        >>> c.table[["period", "cohort_size", "customers"]].values.tolist(), c.table["retention"].tolist()
        ([[0, 2, 2], [2, 2, 1]], [1.0, 0.5])
    """
    unit = _freq(freq)
    con = _open(orders, "cohort_table")
    try:
        upto = _upto(end)
        lo = f" AND first_d >= {day(start)}" if start is not None else ""
        keep = ""
        if last is not None:
            if not (isinstance(last, int | np.integer) and last >= 1):
                raise CLVError(f"cohort_table: last={last!r}, expected a whole number of cohorts >= 1")
            keep = f" WHERE cohort IN (SELECT cohort FROM all_sizes ORDER BY cohort DESC LIMIT {int(last)})"
        diff = ("date_diff('month', k.cohort, date_trunc('month', o.d))" if unit == "month"
                else "CAST(date_diff('day', k.cohort, date_trunc('week', o.d)) / 7 AS BIGINT)")
        sql = f"""
            WITH o AS ({_base(upto)}),
            f AS (SELECT c, min(d) AS first_d FROM o GROUP BY c),
            k0 AS (SELECT c, CAST(date_trunc('{unit}', first_d) AS DATE) AS cohort FROM f WHERE TRUE{lo}),
            all_sizes AS (SELECT cohort, count(*) AS cohort_size FROM k0 GROUP BY 1),
            sizes AS (SELECT * FROM all_sizes{keep}),
            k AS (SELECT k0.* FROM k0 JOIN sizes USING (cohort))
            SELECT k.cohort, CAST({diff} AS BIGINT) AS period, any_value(s.cohort_size) AS cohort_size,
                CAST(count(DISTINCT o.c) AS BIGINT) AS customers, CAST(count(*) AS BIGINT) AS orders,
                CAST(sum(o.v) AS DOUBLE) AS revenue, max(o.d) AS last_day
            FROM o JOIN k ON o.c = k.c JOIN sizes s ON s.cohort = k.cohort
            GROUP BY 1, 2 ORDER BY 1, 2"""
        t = con.execute(sql).df()
        if t.empty:  # only then: the last day with orders, for the message
            last_ts = con.execute(f"SELECT max(order_ts) FROM orders o WHERE status <> 'cancelled'"
                                  f"{' AND ' + upto if upto else ''}").fetchone()[0]
    finally:
        con.close()
    if t.empty:
        if last_ts is None:
            raise CLVError("cohort_table: no order that is not cancelled" + (f" on or before {end}" if end else ""))
        data_end = pd.Timestamp(last_ts).normalize()
        return CohortResult(pd.DataFrame(columns=_COHORT_COLUMNS), freq, data_end,
                            reason=f"no customer's first order falls in {start or 'the data start'} .. {data_end:%Y-%m-%d} "
                                   "(guest orders have no customer id): skipping the cohorts")
    # the last day with orders (the data's, or end's): the latest order of the latest period of any cohort
    data_end = pd.Timestamp(t["last_day"].max()).normalize()
    t = t.drop(columns="last_day")
    t["cohort"] = pd.to_datetime(t["cohort"]).astype("datetime64[ns]")
    t["retention"] = t["customers"] / t["cohort_size"]
    t["revenue_per_customer"] = t["revenue"] / t["cohort_size"]
    t["cum_revenue_per_customer"] = t.groupby("cohort")["revenue_per_customer"].cumsum()
    offset = pd.DateOffset(months=1) if unit == "month" else pd.DateOffset(weeks=1)
    bucket_start = [c + (pd.DateOffset(months=int(k)) if unit == "month" else pd.DateOffset(weeks=int(k)))
                    for c, k in zip(t["cohort"], t["period"], strict=True)]
    t["complete"] = [(b + offset - pd.Timedelta(days=1)) <= data_end for b in bucket_start]
    return CohortResult(t.reset_index(drop=True), freq, data_end)


# ---------------------------------------------------------------------------------------- repeat rates
@dataclass
class RepeatRates:
    """京东商智-style repeat-purchase rates at several days (:func:`repeat_purchase_rate`).

    ``rates``: one row per (``end``, ``window_days``): ``buyers`` (customers with >= 1 valid order in the
    ``window_days`` days up to ``end``), ``repeat_buyers`` (>= 2 orders), ``repeat_rate`` = repeat_buyers / buyers.
    """

    rates: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """The latest day's rates, one row per window."""
        last = self.rates["end"].max()
        return self.rates[self.rates["end"] == last].reset_index(drop=True)

    def plot(self) -> Any:
        """Lines of the rates over time, one per window (``opslib.plotting.customers.repeat_rate_chart``)."""
        from opslib.plotting.customers import repeat_rate_chart

        return repeat_rate_chart(self.rates)


def _ends(con: Any, ends: Iterable[object] | str, until: object | None = None) -> list[pd.Timestamp]:
    if isinstance(ends, str) and ends in ("M", "W"):
        upto = _upto(until)
        lo, hi = con.execute(f"SELECT min(order_ts), max(order_ts) FROM orders o WHERE status <> 'cancelled'"
                             f"{' AND ' + upto if upto else ''}").fetchone()
        if hi is None:
            return []
        lo, hi = pd.Timestamp(lo).normalize(), pd.Timestamp(hi).normalize()
        if until is not None:
            hi = pd.Timestamp(until).normalize()
        rule = "ME" if ends == "M" else "W-SUN"
        days = list(pd.date_range(lo, hi, freq=rule))
        if not days or days[-1] < hi:
            days.append(hi)  # the data's last day, even when it is not a month/week end
        return days
    return [pd.Timestamp(e).normalize() for e in ([ends] if isinstance(ends, str) else ends)]

_EPOCH = pd.Timestamp("1970-01-01")


def _count_at(steps: pd.DataFrame, end_days: list[pd.Timestamp], windows: list[int]) -> pd.DataFrame:
    """Buyers and repeat buyers at each (end day, window) from the per-day +1/-1 steps of the interval query:
    the running sum of the steps on or before the day."""
    rows = []
    for w in windows:
        g = steps[steps["n"] == w].sort_values("dn")
        days = g["dn"].to_numpy(dtype="int64")
        b, r = np.cumsum(g["b"].to_numpy(dtype="int64")), np.cumsum(g["r"].to_numpy(dtype="int64"))
        for e in end_days:
            i = int(np.searchsorted(days, (e - _EPOCH).days, side="right")) - 1
            rows.append({"end": e, "window_days": w, "buyers": float(b[i]) if i >= 0 else 0.0,
                         "repeat_buyers": float(r[i]) if i >= 0 else 0.0})
    t = pd.DataFrame(rows, columns=["end", "window_days", "buyers", "repeat_buyers"])
    return t.sort_values(["window_days", "end"], kind="stable", ignore_index=True)


def repeat_purchase_rate(orders: Table, ends: Iterable[object] | str = "M", days: Sequence[int] = (30, 90),
                         until: object | None = None) -> RepeatRates:
    """京东商智's N-day repeat-purchase rate (N天重复购买率) at each day in ``ends`` (DuckDB).

    For a day ``e`` and a window of ``N`` days (``e − N + 1 .. e``): ``buyers`` = customers with at least one
    order not cancelled in the window, ``repeat_buyers`` = those with two orders or more,
    ``repeat_rate = repeat_buyers / buyers`` ("近N天，在本店铺购买2单及以上的客户，占全部成交客户的比例";
    source in the module docstring). Two orders on the same day count as two, as on the platform.

    Parameters:
        orders: order lines. ends: days to evaluate (dates), or ``"M"`` / ``"W"`` for every month / week end of
            the data (plus its last day). days: the window lengths.
        until: with ``"M"``/``"W"``, the last day to evaluate (the report day) instead of the data's last day.

    Returns:
        :class:`RepeatRates` (``rates`` sorted by window and day).

    Example: see the module docstring.
    """
    windows = [int(d) for d in days]
    if not windows or any(d < 1 for d in windows):
        raise CLVError(f"days={days!r}: expected window lengths of at least 1 day")
    con = _open(orders, "repeat_purchase_rate")
    try:
        end_days = _ends(con, ends, until)
        if not end_days:
            raise CLVError("repeat_purchase_rate: no order that is not cancelled")
        wins = ", ".join(f"({w})" for w in sorted(set(windows)))
        dn = "date_diff('day', DATE '1970-01-01', o.d)"
        # One row per order with the day numbers of the customer's previous and next order (orders sorted by
        # day, then id: two orders on one day count as two). The order is the customer's latest order on or
        # before day e for lo <= e < next; the customer is a buyer at e when that order is in the window
        # (e < lo + N) and a repeat buyer when the previous order is too (e < prev + N). Each interval becomes
        # +1 at its start and -1 at its end, summed per day: the result is a few rows per day, never per customer.
        sql = f"""
            WITH o AS ({_base()}),
            s AS (
                SELECT {dn} AS lo,
                    lag({dn}) OVER (PARTITION BY o.c ORDER BY o.d, o.order_id) AS prev_n,
                    lead({dn}) OVER (PARTITION BY o.c ORDER BY o.d, o.order_id) AS next_n
                FROM o),
            w AS (SELECT * FROM (VALUES {wins}) w(n)),
            iv AS (
                SELECT w.n, s.lo, least(coalesce(s.next_n, s.lo + w.n), s.lo + w.n) AS hi,
                    CASE WHEN s.prev_n IS NULL THEN s.lo
                         ELSE least(coalesce(s.next_n, s.prev_n + w.n), s.prev_n + w.n) END AS hr
                FROM s CROSS JOIN w),
            ev AS (
                SELECT iv.n, CASE e.k WHEN 0 THEN iv.lo WHEN 1 THEN iv.hi ELSE iv.hr END AS dn,
                    CASE e.k WHEN 0 THEN 1 WHEN 1 THEN -1 ELSE 0 END AS b,
                    CASE e.k WHEN 0 THEN (CASE WHEN iv.hr > iv.lo THEN 1 ELSE 0 END) WHEN 2 THEN -1 ELSE 0 END AS r
                FROM iv CROSS JOIN (VALUES (0), (1), (2)) e(k)
                WHERE (e.k < 2 AND iv.hi > iv.lo) OR (e.k = 2 AND iv.hr > iv.lo))
            SELECT n, dn, CAST(sum(b) AS BIGINT) AS b, CAST(sum(r) AS BIGINT) AS r FROM ev GROUP BY 1, 2"""
        steps = con.execute(sql).df()
    finally:
        con.close()
    t = _count_at(steps, end_days, windows)
    t["end"] = pd.to_datetime(t["end"]).astype("datetime64[ns]")
    t["window_days"] = t["window_days"].astype("int64")
    t["repeat_rate"] = t["repeat_buyers"] / t["buyers"].where(t["buyers"] > 0)
    return RepeatRates(t)


def first_order_repeat(orders: Table, days: int = 90, campaigns: Table | None = None,
                       end: object | None = None) -> pd.DataFrame:
    """Share of orders followed by another order of the same customer within ``days`` days, by kind of order.

    Orders not cancelled with a customer, in time order per customer (ties by ``order_id``). An order is
    *eligible* when placed on or before ``end − days`` (``end`` default: the data's last order day), so every
    eligible order had ``days`` days to be followed; it *repeats* when the customer's next order comes at most
    ``days`` days later (``next order_ts − order_ts <= days``). Kinds: ``new`` (the customer's first order),
    ``returning`` (any later order), and with ``campaigns`` ``new_campaign`` / ``new_other`` (first orders
    placed on a day inside any campaign's ``start .. end`` window, or not).

    Parameters:
        orders: order lines. days: the follow-up window. campaigns: the campaigns table (optional).
        end: the last day of the data to consider.

    Returns:
        Rows ``new``, ``returning`` [, ``new_campaign``, ``new_other``] with ``kind``, ``label``, ``orders``
        (eligible), ``repeated``, ``rate`` = repeated / orders.

    Example (a orders on Jan 1 and Feb 1, b once on Jan 10; end Jun 30, 90 days):
        >>> lines = pd.DataFrame({"order_id": ["a1", "a2", "b1", "z"], "customer_id": ["a", "a", "b", "b"],
        ...     "order_ts": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-10", "2024-06-30"]),
        ...     "quantity": 1, "unit_price": 1.0, "status": ["completed", "completed", "completed", "cancelled"]})
        >>> first_order_repeat(lines, end="2024-06-30")[["kind", "orders", "repeated", "rate"]].values.tolist()
        [['new', 2, 1, 0.5], ['returning', 1, 0, 0.0]]
    """
    if not (isinstance(days, int | np.integer) and days >= 1):
        raise CLVError(f"days={days!r}: expected a whole number of days >= 1")
    con = _open(orders, "first_order_repeat", campaigns=campaigns)
    try:
        if end is None:
            last = con.execute("SELECT max(order_ts) FROM orders WHERE status <> 'cancelled'").fetchone()[0]
            if last is None:
                raise CLVError("first_order_repeat: no order that is not cancelled")
            end = pd.Timestamp(last)
        cutoff = pd.Timestamp(end).normalize() - pd.Timedelta(days=int(days))
        camp = "FALSE"
        if campaigns is not None:
            require(con, "campaigns", ["start", "end"], "first_order_repeat")
            camp = ('EXISTS (SELECT 1 FROM campaigns k WHERE s.d BETWEEN CAST(k."start" AS DATE) '
                    'AND CAST(k."end" AS DATE))')
        sql = f"""
            WITH o AS ({_base()}),
            s AS (SELECT c, d, ts, row_number() OVER (PARTITION BY c ORDER BY ts, order_id) AS k,
                         lead(ts) OVER (PARTITION BY c ORDER BY ts, order_id) AS next_ts FROM o),
            e AS (SELECT k = 1 AS is_new, {camp} AS on_campaign,
                         next_ts IS NOT NULL AND next_ts <= ts + INTERVAL {int(days)} DAY AS again
                  FROM s WHERE d <= {day(cutoff)})
            SELECT is_new, on_campaign, CAST(count(*) AS BIGINT) AS orders,
                   CAST(count(*) FILTER (WHERE again) AS BIGINT) AS repeated
            FROM e GROUP BY 1, 2"""
        g = con.execute(sql).df()
    finally:
        con.close()
    labels = {"new": "新客首单 first orders", "returning": "老客复购 repeat orders",
              "new_campaign": "活动日首单 first orders on campaign days", "new_other": "非活动日首单 first orders, other days"}
    pick = {"new": g["is_new"], "returning": ~g["is_new"]}
    if campaigns is not None:
        pick |= {"new_campaign": g["is_new"] & g["on_campaign"], "new_other": g["is_new"] & ~g["on_campaign"]}
    rows = []
    for kind, mask in pick.items():
        n, r = int(g.loc[mask, "orders"].sum()), int(g.loc[mask, "repeated"].sum())
        rows.append({"kind": kind, "label": labels[kind], "orders": n, "repeated": r, "rate": r / n if n else np.nan})
    out = pd.DataFrame(rows)
    out.attrs.update(days=int(days), cutoff=str(cutoff.date()))
    return out


# ----------------------------------------------------------------------------------------- order gaps
@dataclass
class OrderGaps:
    """Days between consecutive orders (:func:`order_gaps`).

    ``summary_table``: one row per step (``1→2``, ``2→3``, ``3→4``, ``4+``): ``gaps``, ``mean_days``,
    ``p25_days``, ``median_days``, ``p75_days``, ``p90_days``; plus ``all``. ``histogram``: ``bin_start`` (days,
    ``bin_days`` wide, the last bin open: ``bin_start`` >= ``cap``), ``gaps``.
    """

    summary_table: pd.DataFrame
    histogram: pd.DataFrame
    bin_days: int = 7
    cap: int = 364

    def summary(self) -> pd.DataFrame:
        """The per-step quantiles."""
        return self.summary_table

    @property
    def first_repeat_median(self) -> float:
        """Median days from the first to the second order (NaN when nobody ordered twice).

        Example:
            >>> OrderGaps(pd.DataFrame({"step": ["1→2"], "median_days": [35.0]}), pd.DataFrame()).first_repeat_median
            35.0
        """
        s = self.summary_table
        hit = s.loc[s["step"] == "1→2", "median_days"] if len(s) else pd.Series(dtype=float)
        return float(hit.iloc[0]) if len(hit) else float("nan")

    def plot(self) -> Any:
        """Histogram of the gaps with the median of the first repeat marked (``plotting.customers.gap_chart``)."""
        from opslib.plotting.customers import gap_chart

        return gap_chart(self)


def _quantile(values: np.ndarray, counts: np.ndarray, p: float) -> float:
    """``quantile_cont`` of the sample holding each sorted value ``counts`` times: at position h = (n − 1)·p
    (from 0), the value there plus (h − ⌊h⌋) × the step to the next one (linear interpolation).

    Example (1, 1, 2, 10: position 1.5 lies halfway between 1 and 2):
        >>> _quantile(np.array([1, 2, 10]), np.array([2, 1, 1]), 0.5)
        1.5
    """
    cum = np.cumsum(counts)
    h = (cum[-1] - 1) * p
    lo = int(np.floor(h))
    at = values[np.searchsorted(cum, lo + 1)]
    nxt = values[np.searchsorted(cum, min(lo + 2, cum[-1]))]
    return float(at + (h - lo) * (nxt - at))


def _gap_stats(step: str, gaps: np.ndarray, counts: np.ndarray) -> dict[str, Any]:
    n = int(counts.sum())
    out: dict[str, Any] = {"step": step, "gaps": n, "mean_days": float((gaps * counts).sum() / n)}
    for name, p in (("p25_days", 0.25), ("median_days", 0.5), ("p75_days", 0.75), ("p90_days", 0.9)):
        out[name] = _quantile(gaps, counts, p)
    return out


def order_gaps(orders: Table, bin_days: int = 7, cap: int = 364, end: object | None = None) -> OrderGaps:
    """Time between orders (回购周期): days from each order to the same customer's next order (DuckDB).

    ``gap = next order day − order day`` (whole days; orders not cancelled, customers only), grouped by the
    step (the 1st to the 2nd order, 2nd→3rd, 3rd→4th, 4th and later); quantiles by ``quantile_cont``.

    Parameters:
        orders: order lines. bin_days: histogram bin width. cap: gaps of ``cap`` days or more share the last bin.
        end: ignore orders after this day (the report day; None: all).

    Returns:
        :class:`OrderGaps`.

    Example (a: Jan 1 -> Jan 11 -> Jan 31; b: Jan 5 -> Jan 25: first gaps 10 and 20 days, then 20):
        >>> lines = pd.DataFrame({"order_id": ["a1", "a2", "a3", "b1", "b2"], "customer_id": list("aaabb"),
        ...     "order_ts": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-31", "2024-01-05", "2024-01-25"]),
        ...     "quantity": 1, "unit_price": 1.0, "status": "completed"})
        >>> order_gaps(lines).summary()[["step", "gaps", "median_days"]].values.tolist()
        [['1→2', 2, 15.0], ['2→3', 1, 20.0], ['all', 3, 20.0]]
    """
    con = _open(orders, "order_gaps")
    try:
        base = f"""
            WITH o AS ({_base(_upto(end))}),
            s AS (SELECT row_number() OVER (PARTITION BY c ORDER BY ts, order_id) AS k,
                         date_diff('day', d, lead(d) OVER (PARTITION BY c ORDER BY ts, order_id)) AS gap FROM o),
            g AS (SELECT CASE WHEN k >= 4 THEN '4+' ELSE k || '→' || (k + 1) END AS step, gap FROM s
                  WHERE gap IS NOT NULL)"""
        # one query, one small table: how many gaps of each whole number of days per step (a few thousand rows
        # at millions of customers); means, quantiles and the histogram follow exactly from the counts
        counts = con.execute(f"{base} SELECT step, gap, CAST(count(*) AS BIGINT) AS n FROM g GROUP BY 1, 2").df()
    finally:
        con.close()
    counts = counts.astype({"step": str, "gap": "int64", "n": "int64"}).sort_values(["step", "gap"], ignore_index=True)
    rows = [_gap_stats(step, grp["gap"].to_numpy(), grp["n"].to_numpy()) for step, grp in counts.groupby("step", sort=True)]
    if rows:
        whole = counts.groupby("gap", as_index=False)["n"].sum()
        rows.append(_gap_stats("all", whole["gap"].to_numpy(), whole["n"].to_numpy()))
    table = pd.DataFrame(rows, columns=["step", "gaps", "mean_days", "p25_days", "median_days", "p75_days", "p90_days"])
    table["gaps"] = table["gaps"].astype("int64")
    bins = np.minimum((counts["gap"] // int(bin_days)) * int(bin_days), int(cap)).astype("int64")
    hist = (counts.assign(bin_start=bins).groupby("bin_start", as_index=False)["n"].sum()
            .rename(columns={"n": "gaps"}).astype({"bin_start": "int64", "gaps": "int64"}))
    return OrderGaps(table, hist, int(bin_days), int(cap))


# --------------------------------------------------------------------------------- new vs returning
def new_vs_returning(orders: Table, freq: str = "M", since: object | None = None, until: object | None = None
                     ) -> pd.DataFrame:
    """New and returning buyers per month (week), with their orders and GMV, and guests (DuckDB).

    In each bucket: ``new_buyers`` = customers whose first order (ever, in the data) falls in the bucket;
    ``returning_buyers`` = customers with an order in the bucket whose first order came before it;
    ``new_orders``/``returning_orders``/``guest_orders`` and the matching ``*_gmv`` (orders not cancelled; a
    new customer's second order in their first month is a new-buyer order); ``returning_share`` =
    returning buyers / all buyers; ``gmv`` = all three GMVs (the shop's GMV of the bucket).

    Parameters:
        orders: order lines. freq: ``"M"`` or ``"W"``. since: drop buckets before this day (the history before it
            still decides who is new). until: ignore orders after this day (the report day).

    Returns:
        One row per bucket: ``period``, ``new_buyers``, ``returning_buyers``, ``returning_share``, ``new_orders``,
        ``returning_orders``, ``guest_orders``, ``new_gmv``, ``returning_gmv``, ``guest_gmv``, ``gmv``.

    Example (a first buys in Jan and again in Feb; b first buys in Feb; one guest order in Feb):
        >>> lines = pd.DataFrame({"order_id": ["a1", "a2", "b1", "g1"], "customer_id": ["a", "a", "b", None],
        ...     "order_ts": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-02-10", "2024-02-11"]),
        ...     "quantity": 1, "unit_price": [10.0, 20.0, 30.0, 5.0], "status": "completed"})
        >>> t = new_vs_returning(lines)
        >>> t[["new_buyers", "returning_buyers", "guest_orders"]].values.tolist(), t["gmv"].tolist()
        ([[1, 0, 0], [1, 1, 1]], [10.0, 55.0])
    """
    unit = _freq(freq)
    con = _open(orders, "new_vs_returning")
    try:
        keep = f"WHERE period >= CAST(date_trunc('{unit}', {day(since)}) AS DATE)" if since is not None else ""
        sql = f"""
            WITH o AS ({_base(_upto(until), guests=True)}),
            f AS (SELECT c, min(d) AS first_d FROM o WHERE c IS NOT NULL GROUP BY c),
            t AS (SELECT CAST(date_trunc('{unit}', o.d) AS DATE) AS period, o.c, o.v,
                         CASE WHEN o.c IS NULL THEN 'guest'
                              WHEN date_trunc('{unit}', f.first_d) = date_trunc('{unit}', o.d) THEN 'new'
                              ELSE 'returning' END AS kind
                  FROM o LEFT JOIN f ON o.c = f.c)
            SELECT period,
                CAST(count(DISTINCT c) FILTER (WHERE kind = 'new') AS BIGINT) AS new_buyers,
                CAST(count(DISTINCT c) FILTER (WHERE kind = 'returning') AS BIGINT) AS returning_buyers,
                CAST(count(*) FILTER (WHERE kind = 'new') AS BIGINT) AS new_orders,
                CAST(count(*) FILTER (WHERE kind = 'returning') AS BIGINT) AS returning_orders,
                CAST(count(*) FILTER (WHERE kind = 'guest') AS BIGINT) AS guest_orders,
                CAST(coalesce(sum(v) FILTER (WHERE kind = 'new'), 0) AS DOUBLE) AS new_gmv,
                CAST(coalesce(sum(v) FILTER (WHERE kind = 'returning'), 0) AS DOUBLE) AS returning_gmv,
                CAST(coalesce(sum(v) FILTER (WHERE kind = 'guest'), 0) AS DOUBLE) AS guest_gmv
            FROM t {keep} GROUP BY 1 ORDER BY 1"""
        t = con.execute(sql).df()
    finally:
        con.close()
    t["period"] = pd.to_datetime(t["period"]).astype("datetime64[ns]")
    buyers = (t["new_buyers"] + t["returning_buyers"]).astype("float64")
    t["returning_share"] = t["returning_buyers"] / buyers.where(buyers > 0)
    t["gmv"] = t["new_gmv"] + t["returning_gmv"] + t["guest_gmv"]
    return t[["period", "new_buyers", "returning_buyers", "returning_share", "new_orders", "returning_orders",
              "guest_orders", "new_gmv", "returning_gmv", "guest_gmv", "gmv"]]


# ---------------------------------------------------------------------------------------------- guests
@dataclass(frozen=True)
class GuestSummary:
    """Orders without a customer id (guest checkout) in a period: counted in traffic and GMV, not as customers.

    ``orders``/``gmv``: guest orders not cancelled and their GMV; ``share_orders``/``share_gmv``: of all orders
    not cancelled; ``customers``: distinct customer ids in the period.
    """

    orders: int
    gmv: float
    share_orders: float
    share_gmv: float
    customers: int
    all_orders: int

    def describe(self) -> str:
        """The sentence every customer report states."""
        if self.orders == 0:
            return f"Every order has a customer id ({self.customers:,} customers); no guest orders."
        return (f"{self.orders:,} guest orders (no customer id: {self.share_orders:.1%} of {self.all_orders:,} orders, "
                f"{self.share_gmv:.1%} of GMV) are counted in traffic and GMV but not in the customer metrics "
                f"({self.customers:,} customers).")


def guest_summary(orders: Table, period: Any = None) -> GuestSummary:
    """How many orders and how much GMV come from guests (no ``customer_id``), in a period or overall.

    ``share_orders = guest orders / orders``, ``share_gmv = guest GMV / GMV`` over orders not cancelled.

    Parameters:
        orders: order lines. period: a ``Period`` or ``(start, end)``; None = everything.

    Returns:
        :class:`GuestSummary`.

    Example (one of three orders is a guest's):
        >>> lines = pd.DataFrame({"order_id": ["a", "b", "g"], "customer_id": ["x", "y", None],
        ...     "order_ts": pd.to_datetime(["2024-01-01"] * 3), "quantity": 1, "unit_price": [10.0, 10.0, 20.0],
        ...     "status": "completed"})
        >>> g = guest_summary(lines)
        >>> g.orders, round(g.share_orders, 3), g.share_gmv
        (1, 0.333, 0.5)
    """
    con = _open(orders, "guest_summary")
    try:
        row = con.execute(f"""
            WITH o AS ({_base(ts_window(period), guests=True)})
            SELECT CAST(count(*) FILTER (WHERE c IS NULL) AS BIGINT), coalesce(sum(v) FILTER (WHERE c IS NULL), 0),
                   CAST(count(*) AS BIGINT), coalesce(sum(v), 0), CAST(count(DISTINCT c) AS BIGINT) FROM o""").fetchone()
    finally:
        con.close()
    g_orders, g_gmv, n, gmv, customers = int(row[0]), float(row[1]), int(row[2]), float(row[3]), int(row[4])
    return GuestSummary(g_orders, g_gmv, g_orders / n if n else float("nan"), g_gmv / gmv if gmv else float("nan"),
                        customers, n)


def why_no_customers(orders: Table, period: Any) -> str | None:
    """Why a customer report has nothing to show for ``period``, or None when it has.

    Reasons, in order: no order (not cancelled) in the period; no order line with a ``customer_id`` at all (every
    order is a guest's, or the export masks buyers); no customer with an order on or before the period's end.

    Parameters:
        orders: order lines. period: a ``Period`` or ``(start, end)``.

    Returns:
        The reason as one sentence, or None.

    Example:
        >>> lines = pd.DataFrame({"order_id": ["a"], "customer_id": [None], "order_ts": pd.to_datetime(["2024-01-02"]),
        ...                       "quantity": 1, "unit_price": 1.0, "status": "completed"})
        >>> print(why_no_customers(lines, ("2024-01-01", "2024-01-31")))
        No order line has a customer_id (all 1 orders are guest orders): RFM, cohorts, repeat purchase and CLV need customer ids — skipping the customer sections.
    """
    start, end = period_bounds(period)
    con = _open(orders, "why_no_customers")
    try:
        in_period, ids, by_end, n_orders = con.execute(f"""
            SELECT count(*) FILTER (WHERE {ts_window(period)} AND o.status <> 'cancelled'),
                   count(o.customer_id), count(o.customer_id) FILTER (WHERE {_upto(end)}),
                   count(DISTINCT o.order_id)
            FROM orders o""").fetchone()
    finally:
        con.close()
    if not in_period:
        return (f"No orders in {start:%Y-%m-%d} .. {end:%Y-%m-%d}: skipping the customer sections "
                "(check period_end and period_days).")
    if not ids:
        return (f"No order line has a customer_id (all {n_orders:,} orders are guest orders): RFM, cohorts, repeat "
                "purchase and CLV need customer ids — skipping the customer sections.")
    if not by_end:
        return f"No customer had ordered by {end:%Y-%m-%d}: skipping the customer sections."
    return None
