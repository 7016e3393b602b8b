"""RFM segments (客户分层): recency, frequency and monetary scored in quintiles and named in 11 segments.

**The customer summary** (:func:`customer_summary`, one DuckDB query): per customer over the order lines
placed on or before ``as_of`` (and on or after ``since``) with the chosen statuses (default: completed
lines, i.e. what the customer kept), ``first_order`` / ``last_order`` (days), ``orders`` = distinct
``order_id``, ``units``, ``value`` = sum(quantity × unit_price), ``recency_days`` = as_of − last order day,
``tenure_days`` = as_of − first order day. Guests (no ``customer_id``) are not customers and are left out;
:func:`opslib.customers.cohorts.guest_summary` counts them.

**Scores** 1..5, per customer, relative to the shop's own customers (quintiles, ``n`` customers):

* ``R = 1 + ⌊5 · #(customers whose last order is longer ago) / n⌋`` — recent buyers score 5;
* ``F = 1 + ⌊5 · #(customers with fewer orders) / n⌋``;
* ``M = 1 + ⌊5 · #(customers with a lower value) / n⌋``.

Ties share a score (the same value always gets the same score; values are compared at 6 decimals, so the
rounding of a sum never splits a tie), which matters for F: when 70% of customers ordered once they all get
F = 1, and a customer with two orders, above 70% of the others, gets F = 4 — quintiles of a count with ties
cannot be five equal groups. Scoring runs in SQL: ``#(customers whose value comes before)`` is a running sum
over the table of distinct values and their customer counts (the same as ``rank() − 1``, without sorting every
customer's row).

**Segments**: the 125 score codes ``RFM`` map to the 11 segments of the classic RFM segment table
(Champions, Loyal, Potential loyalist, New, Promising, Needs attention, About to sleep, At risk, Cannot lose,
Hibernating, Lost), as republished with the 125 codes by e.g. Squeezely's RFM documentation and many
public RFM analyses (the segment names go back to Putler's RFM segment guide; Bloomreach/Exponea used the
same eleven). Shopify's own admin today reports a different, coarser set of RFM groups (``CustomerRfmGroup``:
Champions, Loyal, Active, Needs attention, Promising, New, At risk, Previously loyal, Almost lost, Dormant,
Prospects). :data:`SEGMENT_CODES` holds the table; every code belongs to exactly one segment.

Example (three customers as of 2024-03-31):
    >>> import pandas as pd
    >>> lines = pd.DataFrame({"order_id": ["a1", "a2", "b1", "c1"], "customer_id": ["a", "a", "b", "c"],
    ...     "order_ts": pd.to_datetime(["2024-01-05", "2024-03-30", "2024-02-01", "2024-03-31"]),
    ...     "quantity": 1, "unit_price": [100.0, 80.0, 20.0, 50.0], "status": "completed"})
    >>> s = customer_summary(lines, as_of="2024-03-31")
    >>> s[["customer_id", "orders", "value", "recency_days", "tenure_days"]].values.tolist()
    [['a', 2, 180.0, 1, 86], ['b', 1, 20.0, 59, 59], ['c', 1, 50.0, 0, 0]]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opslib.customers._sql import EngineConnection, Table, connect, day, frame, require
from opslib.customers.cohorts import _quantile
from opslib.customers.table import CustomerTable, frame_max_customers
from opslib.errors import CLVError

__all__ = ["SEGMENTS", "SEGMENT_CODES", "RFMResult", "Transitions", "customer_summary", "rfm_segments",
           "segment_legend", "segment_summary", "segment_transitions"]


@dataclass(frozen=True)
class Segment:
    """One named RFM segment: its key, English and Chinese names and what characterises it."""

    key: str
    name: str
    name_cn: str
    description: str


#: The 11 segments, in the order tables and charts show them (best first).
SEGMENTS: tuple[Segment, ...] = (
    Segment("champions", "Champions", "重要价值客户", "bought recently, buy often and spend the most"),
    Segment("loyal", "Loyal", "忠诚客户", "buy regularly and spend well; respond to promotions"),
    Segment("potential_loyalist", "Potential loyalist", "潜力忠诚客户", "recent customers with average frequency"),
    Segment("new", "New", "新客户", "bought most recently, for the first time, and little"),
    Segment("promising", "Promising", "潜力新客", "recent first-time buyers who spent well"),
    Segment("needs_attention", "Needs attention", "需要关注", "above-average recency, frequency and value, slipping"),
    Segment("about_to_sleep", "About to sleep", "即将沉睡", "below-average recency and frequency"),
    Segment("at_risk", "At risk", "流失风险客户", "spent well and often, but long ago"),
    Segment("cannot_lose", "Cannot lose", "重要挽留客户", "made the biggest purchases, and often, but long ago"),
    Segment("hibernating", "Hibernating", "沉睡客户", "last purchase long ago, few orders, low value"),
    Segment("lost", "Lost", "已流失客户", "lowest recency, frequency and value"),
)
SEGMENT_BY_KEY: dict[str, Segment] = {s.key: s for s in SEGMENTS}

_CODES: dict[str, tuple[int, ...]] = {
    "champions": (555, 554, 544, 545, 454, 455, 445),
    "loyal": (543, 444, 435, 355, 354, 345, 344, 335),
    "potential_loyalist": (553, 551, 552, 541, 542, 533, 532, 531, 452, 451, 442, 441, 431, 453, 433, 432, 423,
                           353, 352, 351, 342, 341, 333, 323),
    "new": (512, 511, 422, 421, 412, 411, 311),
    "promising": (525, 524, 523, 522, 521, 515, 514, 513, 425, 424, 413, 414, 415, 315, 314, 313),
    "needs_attention": (535, 534, 443, 434, 343, 334, 325, 324),
    "about_to_sleep": (331, 321, 312, 221, 213, 231, 241, 251),
    "at_risk": (255, 254, 245, 244, 253, 252, 243, 242, 235, 234, 225, 224, 153, 152, 145, 143, 142, 135, 134, 133,
                125, 124),
    "cannot_lose": (155, 154, 144, 214, 215, 115, 114, 113),
    "hibernating": (332, 322, 233, 232, 223, 222, 132, 123, 122, 212, 211),
    "lost": (111, 112, 121, 131, 141, 151),
}
def segment_legend() -> pd.DataFrame:
    """The 11 segments with their Chinese names and what characterises them, best first.

    Parameters:
        (none)

    Returns:
        Columns ``segment`` (English name), ``segment_cn``, ``description``; one row per segment.

    Example:
        >>> segment_legend().iloc[0].tolist()
        ['Champions', '重要价值客户', 'bought recently, buy often and spend the most']
    """
    return pd.DataFrame([{"segment": s.name, "segment_cn": s.name_cn, "description": s.description} for s in SEGMENTS])


#: Score code (100·R + 10·F + M) -> segment key; all 125 codes.
SEGMENT_CODES: dict[int, str] = {code: key for key, codes in _CODES.items() for code in codes}

#: Line statuses a summary may count.
STATUSES = {"completed": "('completed')", "not_cancelled": "('completed', 'returned')"}


def _enum(values: list[str]) -> str:
    return "ENUM (" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


#: DuckDB ENUM types of the segment keys and score codes: they arrive in pandas as categoricals (one byte per
#: customer instead of a Python string), which is most of the cost of bringing millions of customers over.
_SEGMENT_ENUM = _enum([s.key for s in SEGMENTS])
_CODE_ENUM = _enum([str(c) for c in sorted(SEGMENT_CODES)])


def _segment_values(enum: bool = True) -> str:
    rows = ", ".join(f"({code}, '{key}')" for code, key in sorted(SEGMENT_CODES.items()))
    kind = _SEGMENT_ENUM if enum else "VARCHAR"  # ENUM is DuckDB's; on a shop's engine (Spark) plain text
    return f"SELECT code, CAST(segment AS {kind}) AS segment FROM (VALUES {rows}) seg(code, segment)"


def _summary_sql(as_of: pd.Timestamp, since: pd.Timestamp | None, statuses: str, n_all: bool = True) -> str:
    """The per-customer summary as SQL over the view ``orders`` (used by both functions below).

    Two stages (per order, then per customer: cheaper than ``count(DISTINCT order_id)`` per customer). Every
    customer with a line in the window comes out; ``orders`` counts their orders with a line of the chosen
    statuses (0: not scored), and ``n_all`` (unless ``n_all=False``) is the number of customers in the window
    (one scan for both; a window over every customer, which DuckDB holds in memory: not for millions).
    """
    lo = f" AND o.order_ts >= TIMESTAMP '{since:%Y-%m-%d}'" if since is not None else ""
    keep = f"o.status IN {statuses}"
    return f"""
        WITH per_order AS (
            SELECT o.customer_id, o.order_id,
                min(o.order_ts) FILTER (WHERE {keep}) AS ts,
                sum(o.quantity) FILTER (WHERE {keep}) AS units,
                sum(o.quantity * o.unit_price) FILTER (WHERE {keep}) AS value
            FROM orders o
            WHERE o.customer_id IS NOT NULL
              AND o.order_ts < TIMESTAMP '{as_of + pd.Timedelta(days=1):%Y-%m-%d}'{lo}
            GROUP BY 1, 2),
        per_customer AS (
            SELECT customer_id,
                CAST(min(ts) AS DATE) AS first_order,
                CAST(max(ts) AS DATE) AS last_order,
                CAST(count(ts) AS BIGINT) AS orders,
                CAST(sum(units) AS BIGINT) AS units,
                CAST(sum(value) AS DOUBLE) AS value,
                CAST(date_diff('day', CAST(max(ts) AS DATE), {day(as_of)}) AS BIGINT) AS recency_days,
                CAST(date_diff('day', CAST(min(ts) AS DATE), {day(as_of)}) AS BIGINT) AS tenure_days
            FROM per_order GROUP BY 1)
        SELECT *{", count(*) OVER () AS n_all" if n_all else ""} FROM per_customer"""


def _as_of(con: Any, as_of: object | None) -> pd.Timestamp:
    if as_of is not None:
        try:
            return pd.Timestamp(as_of).normalize()
        except (ValueError, TypeError):
            raise CLVError(f"as_of={as_of!r}: expected a date such as '2025-06-30'") from None
    last = con.execute("SELECT max(order_ts) FROM orders").fetchone()[0]
    if last is None:
        raise CLVError("the orders table is empty: no customers to summarise")
    return pd.Timestamp(last).normalize()


def _since(as_of: pd.Timestamp, lookback_days: int | None) -> pd.Timestamp | None:
    if lookback_days is None:
        return None
    if not (isinstance(lookback_days, int | np.integer) and lookback_days >= 1):
        raise CLVError(f"lookback_days={lookback_days!r}: expected a whole number of days >= 1, or None for all history")
    return as_of - pd.Timedelta(days=int(lookback_days) - 1)


def _statuses(status: str) -> str:
    if status not in STATUSES:
        raise CLVError(f"status={status!r}: expected one of {', '.join(STATUSES)}")
    return STATUSES[status]


_NEED = ["order_id", "order_ts", "customer_id", "quantity", "unit_price", "status"]


def customer_summary(orders: Table, as_of: object | None = None, lookback_days: int | None = None,
                     status: str = "completed") -> pd.DataFrame:
    """One row per customer: first and last order, orders, units, value, recency and tenure (DuckDB).

    Formulas in the module docstring. Lines counted: ``customer_id`` not empty, ``status`` completed (default)
    or, with ``status="not_cancelled"``, completed or returned (the GMV basis), placed on or before ``as_of``
    and within the last ``lookback_days`` days up to ``as_of`` when given.

    Parameters:
        orders: order lines (a DataFrame, Parquet/CSV path or DuckDB relation).
        as_of: the day the summary is taken (default: the last order day in the data).
        lookback_days: only the last N days up to ``as_of`` (None: all history).
        status: ``"completed"`` or ``"not_cancelled"``.

    Returns:
        Columns ``customer_id``, ``first_order``, ``last_order`` (datetime64, days), ``orders``, ``units``,
        ``value``, ``recency_days``, ``tenure_days``; sorted by ``customer_id``. ``attrs``: ``as_of``.

    Example: see the module docstring.
    """
    con = connect(orders=orders)
    try:
        require(con, "orders", _NEED, "customer_summary")
        ref = _as_of(con, as_of)
        sql = (f"SELECT * EXCLUDE (n_all) FROM ({_summary_sql(ref, _since(ref, lookback_days), _statuses(status))}) "
               "WHERE orders > 0 ORDER BY 1")
        out = frame(con, sql)
    finally:
        con.close()
    for c in ("first_order", "last_order"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    out.attrs["as_of"] = str(ref.date())
    return out


@dataclass
class RFMResult:
    """Customers scored and segmented as of a day (:func:`rfm_segments`).

    ``customers``: one row per customer — ``customer_id``, ``first_order``, ``last_order``, ``recency_days``,
    ``frequency`` (orders), ``monetary`` (value), ``r``, ``f``, ``m`` (1..5), ``rfm`` (e.g. ``"543"``),
    ``segment`` (key), ``segment_name``, ``segment_cn`` (the last four categoricals); on a DuckDB shop with more
    than ``frame_max_customers()`` customers a :class:`~opslib.customers.table.CustomerTable` of the same columns
    (a Parquet file: ``.to_pandas()`` loads it). ``as_of``, ``lookback_days``, ``status``: how it was
    taken. ``not_scored``: customers with lines in the window but none with the scored statuses (e.g. only
    returns).
    """

    customers: pd.DataFrame | CustomerTable
    as_of: pd.Timestamp
    lookback_days: int | None = None
    status: str = "completed"
    not_scored: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """Segment sizes and value shares (:func:`segment_summary`)."""
        return segment_summary(self)

    def plot(self) -> Any:
        """Bars of each segment's share of customers and of value (``opslib.plotting.customers.segment_chart``)."""
        from opslib.plotting.customers import segment_chart

        return segment_chart(self.summary(), title=f"RFM 客户分层 Segments as of {self.as_of:%Y-%m-%d}")

    def describe(self) -> str:
        """One line: customers scored, as of when, over which lines."""
        window = "all history" if self.lookback_days is None else f"the last {self.lookback_days} days"
        text = (f"{len(self.customers):,} customers scored as of {self.as_of:%Y-%m-%d} over {window} "
                f"({self.status} lines)")
        if self.not_scored:
            text += f"; {self.not_scored:,} customers with no {self.status} line are not scored"
        return text + "."


def rfm_segments(orders: Table, as_of: object | None = None, lookback_days: int | None = None,
                 status: str = "completed") -> RFMResult:
    """Score every customer's recency, frequency and value in quintiles and name their segment (one DuckDB query).

    The summary of :func:`customer_summary`; then ``R``, ``F``, ``M`` by ``rank()`` over all scored customers
    (formulas in the module docstring: ties share a score; recent, frequent, high-value = 5) and the segment
    of the code ``100R + 10F + M`` from :data:`SEGMENT_CODES`.

    Parameters:
        orders: order lines. as_of: the scoring day (default: last order day). lookback_days: only the last N
            days (None: all history). status: ``"completed"`` (default: what customers kept) or
            ``"not_cancelled"``.

    Returns:
        :class:`RFMResult` (with no customers and a note when nobody had bought by ``as_of``). CLVError when no
        order line has a customer id at all.

    Example (five customers, one order each, values 10..50, last orders 1..5 days before as_of):
        >>> lines = pd.DataFrame({"order_id": list("abcde"), "customer_id": list("vwxyz"),
        ...     "order_ts": pd.to_datetime(["2024-06-29", "2024-06-28", "2024-06-27", "2024-06-26", "2024-06-25"]),
        ...     "quantity": 1, "unit_price": [10.0, 20.0, 30.0, 40.0, 50.0], "status": "completed"})
        >>> res = rfm_segments(lines, as_of="2024-06-30")
        >>> res.customers[["customer_id", "rfm", "segment"]].values.tolist()  # F ties: all 1
        [['v', '511', 'new'], ['w', '412', 'new'], ['x', '313', 'promising'], ['y', '214', 'cannot_lose'], ['z', '115', 'cannot_lose']]
    """
    con = connect(orders=orders)
    try:
        require(con, "orders", _NEED, "rfm_segments")
        ref = _as_of(con, as_of)
        since = _since(ref, lookback_days)
        summary = _summary_sql(ref, since, _statuses(status))
        duck = not isinstance(con, EngineConnection) or con.engine == "duckdb"
        # Scores from the distinct values: rank() - 1 = customers strictly before the value, summed over a table
        # of (value, customers) instead of three sorts of every customer's whole row (same scores, ties shared).
        mat = " MATERIALIZED" if duck else ""  # DuckDB would otherwise recompute the summary for each use
        spills = isinstance(con, EngineConnection) and con.spills()
        source, n_all = f"({summary})", "sc.n_all"
        if spills:
            # Millions of customers (39M at 100M lines): the summary is first written to a file by the engine
            # (its two aggregations spill), then scored over that file on the file's own capped connection. In
            # one query the materialised summary, the count(*) OVER () beside it and the joins held every
            # customer in DuckDB's memory at once: "failed to pin block" at its 800 MB cap on 105M lines.
            summary_file = con.table(_summary_sql(ref, since, _statuses(status), n_all=False))
            everyone = len(summary_file)
            source, n_all, mat = "t", f"CAST({int(everyone)} AS BIGINT) AS n_all", ""
        sql = f"""
            WITH s AS{mat} (SELECT * FROM {source} WHERE orders > 0),
            seg AS ({_segment_values(duck)}),
            {_BELOW_SQL},
            sc AS (
                SELECT s.*, CAST(1 + floor(5 * rs.below / nn.n) AS INTEGER) AS r,
                    CAST(1 + floor(5 * fs.below / nn.n) AS INTEGER) AS f,
                    CAST(1 + floor(5 * ms.below / nn.n) AS INTEGER) AS m
                FROM s CROSS JOIN nn JOIN rs ON rs.v = s.recency_days JOIN fs ON fs.v = s.orders
                    JOIN ms ON ms.v = round(s.value, 6))
            SELECT sc.customer_id, sc.first_order, sc.last_order, sc.recency_days, sc.orders AS frequency,
                sc.value AS monetary, sc.r, sc.f, sc.m,
                CAST(CAST(100 * sc.r + 10 * sc.f + sc.m AS VARCHAR) AS {_CODE_ENUM if duck else "VARCHAR"}) AS rfm, seg.segment,
                {_segment_names("seg.segment")}, {n_all}
            FROM sc JOIN seg ON seg.code = 100 * sc.r + 10 * sc.f + sc.m
            ORDER BY sc.customer_id"""
        table = None
        if spills:
            # written by DuckDB (streamed) from the summary's file, kept as a file beyond frame_max_customers() rows
            fcon = summary_file.connect()
            try:
                sql = _scored_by_cuts(fcon, sql, duck)
                table = CustomerTable.from_engine(fcon, sql, summary_file.folder, columns=_RFM_COLUMNS,
                                                  fix=_fix_customers)
            finally:
                fcon.close()
            del summary_file
            if len(table) <= frame_max_customers():
                out, table = table.query("SELECT * FROM file"), None
        else:
            out = frame(con, sql)
        n = len(table) if table is not None else len(out)
        ids = n or con.execute("SELECT count(customer_id) FROM orders").fetchone()[0]
    finally:
        con.close()
    if table is None:
        everyone = int(out["n_all"].iloc[0]) if len(out) else 0
        out = _fix_customers(out[_RFM_COLUMNS])
    if not ids:
        raise CLVError("rfm_segments: no order line has a customer_id — RFM needs customer ids "
                       "(guest orders are not customers)")
    notes = [] if n else [f"no customer with a {status} order line on or before {ref:%Y-%m-%d}"]
    return RFMResult(out if table is None else table, ref, lookback_days, status, not_scored=int(everyone) - n,
                     notes=notes)


#: The customer count ``nn`` of ``s`` (the scored customers) and, per recency, frequency and spend value, the
#: customers strictly before it in score order (``rs``/``fs``/``ms``: ``below``; recency in descending order,
#: spend rounded to 1e-6): the CTEs both of ``rfm_segments``' scorings use.
_BELOW_SQL = """nn AS (SELECT count(*) AS n FROM s),
            rv AS (SELECT recency_days AS v, count(*) AS c FROM s GROUP BY 1),
            rs AS (SELECT v, sum(c) OVER (ORDER BY v DESC) - c AS below FROM rv),
            fv AS (SELECT orders AS v, count(*) AS c FROM s GROUP BY 1),
            fs AS (SELECT v, sum(c) OVER (ORDER BY v) - c AS below FROM fv),
            mv AS (SELECT round(value, 6) AS v, count(*) AS c FROM s GROUP BY 1),
            ms AS (SELECT v, sum(c) OVER (ORDER BY v) - c AS below FROM mv)"""


def _scored_by_cuts(con: Any, sql: str, duck: bool) -> str:
    """``rfm_segments``' query over the summary file ``t`` with each score a sum of comparisons with four cut
    values instead of joins to the (value, customers below) tables: the same scores, without a hash table of
    every distinct spend (millions) held beside the customers.

    ``score = 1 + floor(5·below/n) = 1 + #{k = 1..4 : 5·below >= k·n}`` and ``below`` is monotone in the value,
    so ``5·below(v) >= k·n`` is ``v >= F_k`` with ``F_k`` the least value where it holds (recency, scored in
    descending order: ``v <= R_k``, the largest); the cuts come from one pass over the small tables."""
    cuts = con.execute(f"WITH s AS (SELECT * FROM t WHERE orders > 0), {_BELOW_SQL} SELECT " + ", ".join(
        [f"(SELECT max(v) FROM rs, nn WHERE 5 * below >= {k} * n) AS r{k}" for k in range(1, 5)]
        + [f"(SELECT min(v) FROM fs, nn WHERE 5 * below >= {k} * n) AS f{k}" for k in range(1, 5)]
        + [f"(SELECT min(v) FROM ms, nn WHERE 5 * below >= {k} * n) AS m{k}" for k in range(1, 5)])).fetchone()

    def score(expr: str, op: str, values: tuple, lit: Any) -> str:
        terms = [f"(CASE WHEN {expr} {op} {lit(v)} THEN 1 ELSE 0 END)" for v in values if v is not None]
        return "CAST(" + " + ".join(["1", *terms]) + " AS INTEGER)"

    def num(v: Any) -> str:
        return f"CAST('{float(v)!r}' AS DOUBLE)"

    r = score("s.recency_days", "<=", cuts[0:4], lambda v: str(int(v)))
    f = score("s.orders", ">=", cuts[4:8], lambda v: str(int(v)))
    m = score("round(s.value, 6)", ">=", cuts[8:12], num)
    head, tail = sql.split("            seg AS (", 1)
    tail = tail.split("            sc AS (", 1)[1].split("FROM s CROSS JOIN nn", 1)[1]
    tail = tail.split("\n", 2)[2]  # the rest of the joins to rs, fs and ms
    return (f"""
            WITH s AS (SELECT * FROM t WHERE orders > 0 AND round(value, 6) IS NOT NULL),
            seg AS ({_segment_values(duck)}),
            sc AS (SELECT s.*, {r} AS r, {f} AS f, {m} AS m FROM s)
""" + tail)


_RFM_COLUMNS = ["customer_id", "first_order", "last_order", "recency_days", "frequency", "monetary", "r", "f", "m",
                "rfm", "segment", "segment_name", "segment_cn"]


def _segment_names(column: str) -> str:
    """SQL: the English and Chinese names of the segment key in ``column`` (``segment_name``, ``segment_cn``)."""
    name = " ".join(f"WHEN '{s.key}' THEN '{s.name}'" for s in SEGMENTS)
    cn = " ".join(f"WHEN '{s.key}' THEN '{s.name_cn}'" for s in SEGMENTS)
    col = f"CAST({column} AS VARCHAR)"
    return f"CASE {col} {name} END AS segment_name, CASE {col} {cn} END AS segment_cn"


def _fix_customers(out: pd.DataFrame) -> pd.DataFrame:
    """The dtypes of a per-customer frame from SQL (those present): order days as datetime64[ns]; segment,
    its names and the RFM code as categoricals over every segment / code, in :data:`SEGMENTS` order."""
    for c in ("first_order", "last_order", "nudge_on"):
        if c in out.columns:
            out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    cats = {"segment": [s.key for s in SEGMENTS], "segment_name": [s.name for s in SEGMENTS],
            "segment_cn": [s.name_cn for s in SEGMENTS], "rfm": [str(c) for c in sorted(SEGMENT_CODES)]}
    for c, values in cats.items():
        if c in out.columns:
            out[c] = out[c].astype(str).where(out[c].notna()).astype(pd.CategoricalDtype(values))
    return out


def segment_summary(rfm: RFMResult | pd.DataFrame) -> pd.DataFrame:
    """Per segment: customers, share of customers, value, share of value and typical recency/frequency/value.

    ``customer_share = customers / all scored customers``; ``value_share = segment monetary / all monetary``;
    ``recency_days`` median, ``frequency`` and ``monetary_mean`` means over the segment's customers. Every one
    of the 11 segments is listed (0 when empty), in the order of :data:`SEGMENTS`.

    Parameters:
        rfm: an :class:`RFMResult` or its ``customers`` frame.

    Returns:
        Columns ``segment``, ``segment_name``, ``segment_cn``, ``customers``, ``customer_share``, ``monetary``,
        ``value_share``, ``recency_days``, ``frequency``, ``monetary_mean``.

    Example (two champions worth 300 of 400):
        >>> c = pd.DataFrame({"segment": ["champions", "champions", "lost"], "recency_days": [1, 3, 300],
        ...                   "frequency": [5, 3, 1], "monetary": [200.0, 100.0, 100.0]})
        >>> s = segment_summary(c)
        >>> s.loc[s.segment == "champions", ["customers", "customer_share", "value_share"]].values.tolist()
        [[2.0, 0.6666666666666666, 0.75]]
    """
    c = rfm.customers if isinstance(rfm, RFMResult) else rfm
    if isinstance(c, CustomerTable):
        # per (segment, recency day) first: a few thousand rows, and the median from their counts — DuckDB's
        # median() holds every customer's value (39M at 100M lines: out of memory under the table's cap)
        d = c.query("""SELECT CAST(segment AS VARCHAR) AS segment, recency_days AS d, count(*) AS k,
                              sum(monetary) AS monetary, sum(CAST(frequency AS DOUBLE)) AS frequency
                       FROM t GROUP BY 1, 2 ORDER BY 1, 2""")
        rows = []
        for seg, part in d.groupby("segment", sort=False):
            k = part["k"].to_numpy(dtype="int64")
            n, mon = int(k.sum()), float(part["monetary"].sum())
            rows.append({"segment": seg, "customers": n, "monetary": mon,
                         "recency_days": _quantile(part["d"].to_numpy(dtype=float), k, 0.5),
                         "frequency": float(part["frequency"].sum()) / n, "monetary_mean": mon / n})
        g = pd.DataFrame(rows, columns=["segment", "customers", "monetary", "recency_days", "frequency",
                                        "monetary_mean"]).set_index("segment")
    else:
            g = c.groupby(c["segment"].astype(str)).agg(customers=("monetary", "size"), monetary=("monetary", "sum"),
                                                    recency_days=("recency_days", "median"),
                                                    frequency=("frequency", "mean"), monetary_mean=("monetary", "mean"))
    out = pd.DataFrame({"segment": [s.key for s in SEGMENTS], "segment_name": [s.name for s in SEGMENTS],
                        "segment_cn": [s.name_cn for s in SEGMENTS]})
    out = out.merge(g, left_on="segment", right_index=True, how="left")
    out["customers"] = out["customers"].fillna(0.0).astype("float64")
    out["monetary"] = out["monetary"].fillna(0.0)
    n, v = out["customers"].sum(), out["monetary"].sum()
    out["customer_share"] = out["customers"] / n if n else np.nan
    out["value_share"] = out["monetary"] / v if v else np.nan
    return out[["segment", "segment_name", "segment_cn", "customers", "customer_share", "monetary", "value_share",
                "recency_days", "frequency", "monetary_mean"]]


#: Row/column label for customers without a segment at one of the two dates.
NOT_A_CUSTOMER = "(none)"


@dataclass
class Transitions:
    """How customers moved between segments from one scoring day to another (:func:`segment_transitions`).

    ``counts``: rows = segment at ``before`` (plus ``(none)``: not yet a customer), columns = segment at
    ``after`` (plus ``(none)``: no longer scored, e.g. outside a lookback window); ``shares``: each row divided
    by its total (where customers of a segment went). Labels are the segments' names.
    """

    counts: pd.DataFrame
    shares: pd.DataFrame
    before: pd.Timestamp
    after: pd.Timestamp

    def summary(self) -> pd.DataFrame:
        """Long form: ``from``, ``to``, ``customers``, ``share`` of the ``from`` row, non-zero cells only."""
        long = self.counts.stack().rename("customers").reset_index()
        long.columns = ["from", "to", "customers"]
        share = self.shares.stack().reset_index(drop=True)
        long["share"] = share.to_numpy()
        return long[long["customers"] > 0].reset_index(drop=True)

    def stay_rate(self) -> pd.Series:
        """Share of each segment's customers at ``before`` still in the same segment at ``after``."""
        names = [n for n in self.shares.index if n in self.shares.columns]
        return pd.Series({n: float(self.shares.loc[n, n]) for n in names}, name="stay_rate")

    def plot(self) -> Any:
        """The transition heatmap (``opslib.plotting.customers.transition_heatmap``)."""
        from opslib.plotting.customers import transition_heatmap

        return transition_heatmap(self)


def segment_transitions(before: RFMResult, after: RFMResult) -> Transitions:
    """The transition matrix between two scorings: where each segment's customers are at the later day.

    ``counts[i, j]`` = customers in segment ``i`` at ``before.as_of`` and in segment ``j`` at ``after.as_of``
    (a DuckDB full outer join on ``customer_id``); ``(none)`` stands for "not scored at that day" (new customers
    appear in row ``(none)``). ``shares[i, j] = counts[i, j] / Σ_j counts[i, j]``.

    Parameters:
        before, after: two :class:`RFMResult` (e.g. scored at the end of the baseline and of the current period).

    Returns:
        :class:`Transitions`.

    Example (a new customer appears; a champion slips to at risk):
        >>> b = RFMResult(pd.DataFrame({"customer_id": ["a"], "segment": ["champions"]}), pd.Timestamp("2024-05-31"))
        >>> a = RFMResult(pd.DataFrame({"customer_id": ["a", "b"], "segment": ["at_risk", "new"]}), pd.Timestamp("2024-06-30"))
        >>> t = segment_transitions(b, a)
        >>> t.summary()[["from", "to", "customers"]].values.tolist()
        [['Champions', 'At risk', 1], ['(none)', 'New', 1]]
    """
    con = connect()
    try:
        con.execute("SET memory_limit = '512MB'")  # two frames of millions of customers: spill rather than grow
        for name, c in (("b", before.customers), ("a", after.customers)):
            if isinstance(c, CustomerTable):  # a file: read by DuckDB where it is
                con.execute(f"CREATE TEMP VIEW {name} AS SELECT customer_id, segment FROM {c.source}")
            else:
                con.register(name, c[["customer_id", "segment"]])
        pairs = con.execute("""
            SELECT coalesce(CAST(b.segment AS VARCHAR), '(none)') AS s0,
                   coalesce(CAST(a.segment AS VARCHAR), '(none)') AS s1, count(*) AS n
            FROM b FULL OUTER JOIN a ON a.customer_id = b.customer_id GROUP BY 1, 2""").df()
    finally:
        con.close()
    keys = [s.key for s in SEGMENTS] + [NOT_A_CUSTOMER]
    names = {s.key: s.name for s in SEGMENTS} | {NOT_A_CUSTOMER: NOT_A_CUSTOMER}
    counts = pd.DataFrame(0, index=keys, columns=keys, dtype="int64")
    for r in pairs.itertuples(index=False):
        counts.loc[r.s0, r.s1] = int(r.n)
    counts.index = [names[k] for k in keys]
    counts.columns = [names[k] for k in keys]
    totals = counts.sum(axis=1)
    shares = counts.div(totals.where(totals > 0), axis=0).fillna(0.0)
    return Transitions(counts, shares, pd.Timestamp(before.as_of), pd.Timestamp(after.as_of))
