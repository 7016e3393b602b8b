"""The operations data set on the shop's engine (DuckDB by default, Spark when ``shop.yml`` says so): one row
per order kept **in the engine** (``ops_orders``), with what :class:`~opslib.operations.dataset.OpsData` needs
from it brought back as aggregates or as the slice of rows a period asks for.

``ops_orders`` holds the columns of :func:`opslib.operations.dataset.order_frame` (the order's lines folded in
SQL, the first fulfilment row of the order joined); on DuckDB it is written once per version of the shop's files
as a folder of Parquet parts, one range of order ids each (:func:`order_ranges`, :func:`fold_sql`: one hash
aggregate of that range's lines, held within the shop's memory limit; on a file sorted by order id each part
reads only its own row groups); everything derived from a time (``handling_h``, ``late``,
``lost``, ``peak`` ...) is computed in pandas on the rows that come back, by the same function as on a frame
(``dataset.derive_orders``), so a slice has exactly the values the whole frame would have.

Slices are asked for with conditions on the **raw** columns (``paid_ts``, ``promised_ts``, ``contact_ts`` ...):
a metric whose unit came due at ``paid_ts + 48 h`` is cut with ``paid_ts`` between the period's bounds minus
48 hours (the shift is done in Python, so the SQL needs no interval arithmetic and reads the same on both
engines). :func:`span` writes such a condition.

Estimators over the whole history (the peak-day delay, the late-delivery effect, the contact drivers and the
response-speed effect) take **cells** (``GROUP BY`` day and controls: ``n``, ``Σy``, ``Σy²``) from
:meth:`OpsTables.query`, never the orders.

Example:
    >>> span("paid_ts", pd.Timestamp("2024-01-10"), pd.Timestamp("2024-01-12"), pd.Timedelta(hours=48))
    "(paid_ts >= TIMESTAMP '2024-01-08 00:00:00' AND paid_ts < TIMESTAMP '2024-01-10 00:00:00')"
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

ORDER_TABLE = "ops_orders"
ZERO = pd.Timedelta(0)
FULFILMENT_COLUMNS = ("paid_ts", "shipped_ts", "delivered_ts", "promised_ts", "warehouse", "carrier")
_LINE_COLUMNS = ("order_id", "order_ts", "customer_id", "sku", "quantity", "unit_price", "channel", "region",
                 "status", "campaign_id")
_TEXT = ("customer_id", "region", "channel", "sku", "category", "returned_sku", "campaign_id")


def ts(value: Any) -> str:
    """A SQL timestamp literal (both engines).

    Example:
        >>> ts("2024-01-01")
        "TIMESTAMP '2024-01-01 00:00:00'"
    """
    t = pd.Timestamp(value)
    return f"TIMESTAMP '{t:%Y-%m-%d %H:%M:%S}{f'.{t:%f}' if t.microsecond else ''}'"


def span(column: str, start: pd.Timestamp, end: pd.Timestamp, shift: pd.Timedelta = ZERO) -> str:
    """SQL: ``start <= column + shift < end``, written as ``start - shift <= column < end - shift``.

    Parameters:
        column: a raw time-stamp column. start, end: the bounds (end exclusive). shift: what the unit adds to the
            column to come due (48 hours, the promise's end of day, the settle days ...).

    Returns:
        The condition (parenthesised).
    """
    s, e = pd.Timestamp(start) - shift, pd.Timestamp(end) - shift
    if s.nanosecond or s.microsecond or e.nanosecond or e.microsecond:  # literals hold seconds: widen, never narrow
        s, e = s.floor("s"), e.ceil("s")
    return f"({column} >= {ts(s)} AND {column} < {ts(e)})"


def any_of(conditions: Sequence[str]) -> str:
    """SQL: the conditions OR-ed (``FALSE`` for none)."""
    return "(" + " OR ".join(conditions) + ")" if conditions else "FALSE"


@dataclass
class OpsTables:
    """The shop's operations tables on its engine, and what ``prepare`` learnt about them in one pass each.

    ``engine`` is the shop's engine (``shop.lines.engine``: its memory limit, its Spark session); ``lines`` the
    shop's :class:`~opslib.data.relations.ShopData` (typed views ``orders``, ``fulfilment``, ``reviews``,
    ``service``, ``products``). ``promise_shift`` is what turns ``promised_ts`` into ``promise_end`` (0, or
    23:59:59 when every promise is at midnight).
    """

    lines: Any
    has_fulfilment: bool
    has_reviews: bool
    has_service: bool
    has_products: bool
    promise_shift: pd.Timedelta = pd.Timedelta(0)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def engine(self) -> Any:
        """The shop's engine."""
        return self.lines.engine

    def query(self, sql: str) -> pd.DataFrame:
        """Run SQL (DuckDB dialect, transpiled for Spark) on the shop's engine."""
        return self.engine.query(sql)

    def seconds(self, a: str, b: str) -> str:
        """SQL: seconds from time stamp ``a`` to ``b`` (a double; NULL when either is)."""
        if getattr(self.engine, "name", "duckdb") == "spark":
            return f"((unix_micros({b}) - unix_micros({a})) / 1000000.0)"
        return f"((epoch_us({b}) - epoch_us({a})) / 1000000.0)"

    # ------------------------------------------------------------------------------------------ building
    @classmethod
    def build(cls, shop: Any) -> OpsTables:
        """Fold the shop's lines into ``ops_orders`` on its engine (kept there: a DuckDB temporary table, spilled
        beyond the shop's memory limit; a view on Spark) and collect the counts ``prepare`` needs."""
        lines = shop.lines

        def rows(name: str) -> bool:
            return lines.has(name) and lines.query(f"SELECT count(*) AS n FROM (SELECT 1 FROM {name} LIMIT 1) t"
                                                   )["n"][0] > 0

        t = cls(lines=lines, has_fulfilment=rows("fulfilment"), has_reviews=rows("reviews"),
                has_service=rows("service"), has_products=lines.has("products"))
        duck = hasattr(lines.engine, "con")
        path = _order_file(lines) if duck else None
        if path is None:
            lines.engine.materialize(ORDER_TABLE, fold_sql(t) if duck else _fold_sql_v1(t))
        else:  # DuckDB: one folder of Parquet parts per version of the shop's files, read in place
            if not path.exists():
                _write_parts(lines, t, path, dedupe=not getattr(lines, "validated", False))
            lines.engine.execute(f"CREATE OR REPLACE VIEW {ORDER_TABLE} AS SELECT * FROM "
                                 f"read_parquet('{(path / '*.parquet').as_posix()}')")
        t._collect()
        return t

    def _collect(self) -> None:
        f = self.has_fulfilment
        extra = ""
        if f:
            extra = """, count(promised_ts) AS promised,
                count(CASE WHEN promised_ts <> date_trunc('day', promised_ts) THEN 1 END) AS off_midnight,
                count(CASE WHEN shipped_ts < paid_ts THEN 1 END) AS bad_handling,
                count(CASE WHEN delivered_ts < shipped_ts THEN 1 END) AS bad_transit,
                count(CASE WHEN delivered_ts < paid_ts THEN 1 END) AS bad_lead"""
        s = self.query(f"""SELECT count(*) AS orders, count(CASE WHEN NOT cancelled THEN 1 END) AS live,
                min(order_ts) AS first_ts, max(order_ts) AS last_ts{extra} FROM {ORDER_TABLE}""").iloc[0].to_dict()
        stamps = [s["last_ts"]]
        if f:
            m = self.query("SELECT max(paid_ts) AS a, max(shipped_ts) AS b, max(delivered_ts) AS c FROM fulfilment")
            stamps += list(m.iloc[0])
            if int(s["promised"]) and int(s["off_midnight"]) == 0:
                self.promise_shift = pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        if self.has_reviews:
            s["reviews"] = int(self.query("SELECT count(*) AS n FROM reviews")["n"][0])
            stamps.append(self.query("SELECT max(review_ts) AS t FROM reviews")["t"][0])
        if self.has_service:
            s["contacts"] = int(self.query("SELECT count(*) AS n FROM service")["n"][0])
            stamps.append(self.query("SELECT max(contact_ts) AS t FROM service")["t"][0])
        stamps = [pd.Timestamp(x) for x in stamps if x is not None and pd.notna(x)]
        s["as_of"] = max(stamps)
        self.stats = s

    def daily_orders(self) -> pd.Series:
        """Non-cancelled orders per order day (index: day, datetime64)."""
        d = self.query(f"""SELECT CAST(order_ts AS DATE) AS day, count(CASE WHEN NOT cancelled THEN 1 END) AS n
                           FROM {ORDER_TABLE} GROUP BY 1""")
        return pd.Series(d["n"].to_numpy(dtype="int64"), index=pd.to_datetime(d["day"]))

    # ------------------------------------------------------------------------------------------ slices
    def orders(self, where: str | None = None) -> pd.DataFrame:
        """Rows of ``ops_orders`` (all, or those meeting ``where``) as the order frame before derivation,
        sorted by ``order_ts``, ``order_id``: the dtypes of :func:`~opslib.operations.dataset.order_frame`."""
        from opslib.data.relations import STR_DTYPE

        sql = f"SELECT * FROM {ORDER_TABLE}{' WHERE ' + where if where else ''} ORDER BY order_ts, order_id"
        out = _compact(self.engine, sql)
        for c in _TEXT:  # Arrow-backed text (NaN when missing): a tenth of the memory of Python strings
            out[c] = out[c].astype(STR_DTYPE)
        out["order_id"] = out["order_id"].astype(STR_DTYPE)
        for c in ("lines", "units"):
            out[c] = out[c].astype("int64")
        for c in ("cancelled", "returned"):
            out[c] = out[c].astype(bool)
        out["gmv"] = out["gmv"].astype(float)
        for c in ("order_ts", *(FULFILMENT_COLUMNS[:4] if self.has_fulfilment else ())):
            out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
        if self.has_fulfilment:
            for c in ("warehouse", "carrier"):
                out[c] = out[c].astype(object).where(out[c].notna(), None).astype(STR_DTYPE)
        return out.reset_index(drop=True)

    def table(self, name: str, where: str | None = None) -> pd.DataFrame:
        """A contract table (``reviews``, ``service``), all rows or those meeting ``where``, typed as the shop's
        frames are, in file order."""
        return self.lines.frame(name, where=where)

    def orders_of(self, name: str, where: str | None = None) -> str:
        """SQL: ``order_id IN`` the order ids of table ``name``'s rows meeting ``where``."""
        return f"order_id IN (SELECT order_id FROM {name}{' WHERE ' + where if where else ''})"


def fold_sql(t: OpsTables, dedupe: bool = True, where: str | None = None) -> str:
    """SQL of ``ops_orders`` on DuckDB: the lines folded **in one hash aggregate** (no window, no sort), then the
    order's category and its fulfilment row joined to the folded orders (one row per order each side).

    Formula, per order: ``order_ts``, ``customer_id``, ``region``, ``channel`` = min over its lines; ``lines`` =
    count; ``units``, ``gmv`` = Σ quantity, Σ quantity × unit_price of the non-cancelled lines (0 without);
    ``cancelled`` = every line cancelled; ``returned`` = a line returned; ``sku`` = the line with the largest
    value (ties: the smaller sku; a missing value or sku last), by ``arg_min_null`` over the key (value missing,
    −value, sku missing, sku); ``category`` = that sku's (``min(category)`` per sku in products);
    ``returned_sku`` = the smallest returned sku; ``campaign_id`` = the smallest. The first fulfilment row of an
    order (file order, ``__rn``) is joined; ``dedupe=False`` when the fulfilment key is known unique (a validated
    shop: a duplicate order_id is a contract error), so the file is joined as it is.

    The same rows as :func:`_fold_sql_v1` (the window version, kept for Spark).

    Parameters:
        t: the tables (``has_products``, ``has_fulfilment``). dedupe: keep only the first fulfilment row per order.
        where: a condition on ``order_id`` (a range of orders: :func:`_write_parts`), applied to the lines and to
            the fulfilment rows.

    Returns:
        A SELECT.

    Example:
        >>> t = OpsTables(lines=None, has_fulfilment=True, has_reviews=False, has_service=False, has_products=False)
        >>> sql = fold_sql(t, dedupe=False, where="order_id < 'O5'")
        >>> "row_number" in sql, sql.count("WHERE order_id < 'O5'")  # no window; lines and fulfilment cut alike
        (False, 2)
    """
    cond = f" WHERE {where}" if where else ""
    value = "quantity * unit_price"
    key = f"({value} IS NULL, coalesce(-({value}), 0), sku IS NULL, coalesce(sku, ''))"
    live = "status <> 'cancelled'"
    folded = f"""
        SELECT order_id, min(order_ts) AS order_ts, min(customer_id) AS customer_id, min(region) AS region,
               min(channel) AS channel, CAST(count(*) AS BIGINT) AS lines,
               CAST(coalesce(sum(CASE WHEN {live} THEN quantity END), 0) AS BIGINT) AS units,
               CAST(coalesce(sum(CASE WHEN {live} THEN {value} END), 0) AS DOUBLE) AS gmv,
               bool_and(status = 'cancelled') AS cancelled, bool_or(status = 'returned') AS returned,
               arg_min_null(sku, {key}) AS sku,
               min(CASE WHEN status = 'returned' THEN sku END) AS returned_sku,
               min(campaign_id) AS campaign_id
        FROM orders{cond} GROUP BY order_id"""
    cat, joins = "CAST(NULL AS VARCHAR)", ""
    if t.has_products:
        cat = "p.category"
        joins += " LEFT JOIN (SELECT sku, min(category) AS category FROM products GROUP BY sku) p ON p.sku = a.sku"
    fcols = ""
    if t.has_fulfilment:
        cols = ", ".join(FULFILMENT_COLUMNS)
        if dedupe:
            pack = ", ".join(f"{c} := {c}" for c in FULFILMENT_COLUMNS)
            f = (f"SELECT order_id, {', '.join(f'x.{c} AS {c}' for c in FULFILMENT_COLUMNS)} FROM ("
                 f"SELECT order_id, arg_min(struct_pack({pack}), __rn) AS x FROM fulfilment{cond} GROUP BY order_id) d")
        else:
            f = f"SELECT order_id, {cols} FROM fulfilment{cond}"
        joins += f" LEFT JOIN ({f}) f ON f.order_id = a.order_id"
        fcols = ", " + ", ".join(f"f.{c}" for c in FULFILMENT_COLUMNS)
    return f"""
    SELECT a.order_id, a.order_ts, a.customer_id, a.region, a.channel, a.lines, a.units, a.gmv, a.cancelled,
           a.returned, a.sku, {cat} AS category, a.returned_sku, a.campaign_id{fcols}
    FROM ({folded}) a{joins}"""


#: Order lines per part of ``ops_orders`` (one hash aggregate each, held within the shop's memory limit).
PART_LINES = 2_000_000


def order_ranges(lines: Any, n_lines: int, part_lines: int | None = None) -> list[str]:
    """Conditions splitting the orders into ranges of ``order_id`` of about ``part_lines`` lines each.

    The bounds are quantiles of a sample of the lines' order ids (every line of an order falls in one range);
    the first range also takes a missing order_id. When the file is sorted by order_id (every export we have
    seen), each range reads only its own row groups.

    Parameters:
        lines: the shop's ``ShopData``. n_lines: the number of order lines. part_lines: lines per range (default
            :data:`PART_LINES`).

    Returns:
        SQL conditions (``["TRUE"]`` for a single part).

    Example:
        >>> order_ranges(None, 1_500_000)   # one part: nothing to split, nothing read
        ['TRUE']
    """
    k = max(1, -(-int(n_lines) // (part_lines or PART_LINES)))
    if k == 1:
        return ["TRUE"]
    qs = ", ".join(f"{i / k:.6f}" for i in range(1, k))
    b = lines.engine.con.execute(f"SELECT quantile_disc(order_id, [{qs}]) FROM (SELECT order_id FROM orders "
                                 f"USING SAMPLE reservoir({min(int(n_lines), 200 * k + 100_000)} ROWS) "
                                 "REPEATABLE (7))").fetchall()[0][0]
    bounds = sorted({v for v in b if v is not None})
    lit = ["'" + v.replace("'", "''") + "'" for v in bounds]
    if not lit:
        return ["TRUE"]
    out = [f"(order_id < {lit[0]} OR order_id IS NULL)"]
    out += [f"(order_id >= {a} AND order_id < {z})" for a, z in zip(lit, lit[1:], strict=False)]
    out.append(f"order_id >= {lit[-1]}")
    return out


def _write_parts(lines: Any, t: OpsTables, path: Any, dedupe: bool) -> None:
    """Write ``ops_orders`` as Parquet parts (one range of orders each, :func:`order_ranges`) into the folder
    ``path`` (written under a temporary name, renamed when complete)."""
    import os
    import shutil

    n = int(lines.query("SELECT count(*) AS n FROM orders")["n"][0])
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        for i, cond in enumerate(order_ranges(lines, n)):
            sql = fold_sql(t, dedupe=dedupe, where=None if cond == "TRUE" else cond)
            lines.engine.execute(f"COPY ({sql}) TO '{(tmp / f'part-{i:05d}.parquet').as_posix()}' (FORMAT PARQUET)")
        try:
            os.replace(tmp, path)
        except OSError:  # another process finished the same folder first: keep theirs
            if not path.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fold_sql_v1(t: OpsTables) -> str:
    """SQL of ``ops_orders`` as first written (a window ``row_number`` over the lines, then the fold; the first
    fulfilment row by a window too): what Spark runs, and the reference :func:`fold_sql` is compared with."""
    cat, join = ("p.category", "LEFT JOIN (SELECT sku, min(category) AS category FROM products GROUP BY sku) p "
                 "ON p.sku = o.sku") if t.has_products else ("CAST(NULL AS VARCHAR)", "")
    cols = ", ".join(f"o.{c}" for c in _LINE_COLUMNS)
    folded = f"""
    SELECT order_id, min(order_ts) AS order_ts, min(customer_id) AS customer_id, min(region) AS region,
           min(channel) AS channel, CAST(count(*) AS BIGINT) AS lines,
           CAST(coalesce(sum(CASE WHEN status <> 'cancelled' THEN quantity END), 0) AS BIGINT) AS units,
           CAST(coalesce(sum(CASE WHEN status <> 'cancelled' THEN value END), 0) AS DOUBLE) AS gmv,
           bool_and(status = 'cancelled') AS cancelled, bool_or(status = 'returned') AS returned,
           max(CASE WHEN rk = 1 THEN sku END) AS sku, max(CASE WHEN rk = 1 THEN category END) AS category,
           min(CASE WHEN status = 'returned' THEN sku END) AS returned_sku,
           min(campaign_id) AS campaign_id
    FROM (SELECT l.*, row_number() OVER (PARTITION BY order_id ORDER BY value DESC, sku) AS rk
          FROM (SELECT {cols}, {cat} AS category, o.quantity * o.unit_price AS value FROM orders o {join}) l) r
    GROUP BY order_id"""
    if not t.has_fulfilment:
        return folded
    fcols = ", ".join(f"f.{c}" for c in FULFILMENT_COLUMNS)
    return f"""
    SELECT a.*, {fcols} FROM ({folded}) a LEFT JOIN (
        SELECT * FROM (SELECT fulfilment.*, row_number() OVER (PARTITION BY order_id ORDER BY __rn) AS __k
                       FROM fulfilment) x WHERE __k = 1) f ON f.order_id = a.order_id"""


#: Bumped when the SQL of ``ops_orders`` changes (the cached files are then rebuilt).
ORDER_FILE_VERSION = 2


def _order_file(lines: Any) -> Any:
    """The folder where ``ops_orders`` of this version of the shop's files is cached (None: not cacheable)."""
    import hashlib
    import os

    from opslib.data.engine import cache_root

    parts = [str(ORDER_FILE_VERSION), str(lines.settings.timezone)]
    for name in ("orders", "fulfilment", "products"):
        src = lines.sources.get(name)
        if src is None:
            parts.append(f"{name}:-")
            continue
        try:
            st = os.stat(src.staged.file)
        except (OSError, AttributeError):
            return None
        parts.append(f"{name}:{src.staged.file}|{st.st_size}|{st.st_mtime_ns}")
    folder = cache_root(lines.settings, lines.path) / "operations"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder / f"ops_orders-{hashlib.sha1('|'.join(parts).encode()).hexdigest()[:16]}"


def _compact(engine: Any, sql: str) -> pd.DataFrame:
    """The result of ``sql`` as a frame whose text columns are Arrow-backed (DuckDB: straight from Arrow, never
    one Python string per cell; Spark: converted after ``toPandas``)."""
    from opslib.data.relations import STR_DTYPE

    con = getattr(engine, "con", None)
    if con is not None and hasattr(con, "execute"):
        import pyarrow as pa

        def text(t: pa.DataType) -> Any:
            is_text = pa.types.is_string(t) or pa.types.is_large_string(t)
            return STR_DTYPE if is_text or getattr(pa.types, "is_string_view", lambda _: False)(t) else None

        res = con.sql(sql)
        table = res.to_arrow_table() if hasattr(res, "to_arrow_table") else res.arrow()
        return table.to_pandas(types_mapper=text)
    out = engine.query(sql)
    for c in out.columns:
        if out[c].dtype == object and out[c].map(lambda v: v is None or isinstance(v, str)).all():
            out[c] = out[c].astype(STR_DTYPE)
    return out


def cells_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric dtypes for a cell frame from SQL (``n`` int, sums float)."""
    out = frame.copy()
    out["n"] = out["n"].astype("int64")
    for c in ("sum_y", "sum_y2"):
        out[c] = out[c].astype(float)
    return out


def regroup(cells: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Cells summed up to ``keys`` (rows with a missing key dropped, as ``stats.cell_sums`` does), sorted by keys.

    Example:
        >>> c = pd.DataFrame({"g": ["a", "a", "b"], "n": [1, 2, 1], "sum_y": [1.0, 2.0, 5.0], "sum_y2": [1.0, 2.0, 25.0]})
        >>> regroup(c, ["g"]).values.tolist()
        [['a', 3, 3.0, 3.0], ['b', 1, 5.0, 25.0]]
    """
    keys = list(dict.fromkeys(keys))
    c = cells.dropna(subset=keys)
    out = c.groupby(keys, observed=True, sort=True)[["n", "sum_y", "sum_y2"]].sum().reset_index()
    out["n"] = out["n"].astype("int64")
    return out


def group_moments(cells: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per ``key``: ``mean``, ``std`` (ddof 1) and ``size`` of the unit values from cell sums, index ``key``.

    Formula: mean = Σy / n, std = sqrt((Σy² − (Σy)²/n) / (n − 1)).
    """
    g = cells.groupby(key, sort=True)[["n", "sum_y", "sum_y2"]].sum()
    n = g["n"].astype(float)
    mean = g["sum_y"] / n
    with np.errstate(invalid="ignore", divide="ignore"):
        var = ((g["sum_y2"] - g["sum_y"] ** 2 / n) / (n - 1)).clip(lower=0)
    return pd.DataFrame({"mean": mean, "std": np.sqrt(var.where(n > 1)), "size": g["n"].astype("int64")})


#: Order columns a cell query can group by directly, and those that come from the order day.
ORDER_KEYS = ("warehouse", "carrier", "region", "channel", "category")
DAY_KEYS = ("month", "weekday", "campaign_day", "peak")
#: How ``astype(str)`` writes a missing value of each column in the frame path (object None, str dtype NaN).
_MISSING_TEXT = {"warehouse": "nan", "carrier": "nan"}


def day_columns(cells: pd.DataFrame, days: pd.DataFrame, day: str = "order_day", prefix: str = "") -> pd.DataFrame:
    """Add the order-day columns ``month``, ``weekday``, ``campaign_day``, ``peak`` to cells keyed by ``day``."""
    d = pd.to_datetime(cells[day])
    cells[day] = d
    cells[f"{prefix}month"] = d.dt.strftime("%Y-%m")
    cells[f"{prefix}weekday"] = d.dt.day_of_week
    flags = days.set_index("day") if len(days) else None
    for f in ("campaign_day", "peak"):
        cells[f"{prefix}{f}"] = (d.map(flags[f]).fillna(False).astype(bool) if flags is not None
                                 else pd.Series(False, index=cells.index))
    return cells


def as_text(cells: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The key columns as text, the way the frame path's ``astype(str)`` writes them (missing: None / nan)."""
    for k in keys:
        v = cells[k]
        cells[k] = v.astype(object).where(v.notna(), None).astype(str)
        if k in _MISSING_TEXT:
            cells.loc[v.isna(), k] = _MISSING_TEXT[k]
    return cells
