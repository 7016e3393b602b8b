"""The operations data set: one row per order with its fulfilment, plus reviews and service contacts joined to
their orders, and one row per day with its load and whether it was a campaign (peak) day.

``prepare(shop)`` builds it once; every operations function takes the result (:class:`OpsData`).

Order frame (``OpsData.orders``), one row per order (line-level work in DuckDB, ``opslib.data.cube``):

* from the lines: ``order_ts``, ``day`` (order day), ``customer_id``, ``region``, ``channel``, ``lines``,
  ``units`` and ``gmv`` (non-cancelled lines, GMV = Σ quantity × unit_price), ``cancelled`` (every line
  cancelled), ``returned`` (a line returned), ``sku`` and ``category`` of the order's largest line by value
  (ties: the smaller sku), ``returned_sku`` (first returned line), ``campaign_id`` (first one on a line);
* from ``fulfilment``: ``paid_ts``, ``shipped_ts``, ``delivered_ts``, ``promised_ts``, ``warehouse``,
  ``carrier``; ``promise_end`` = ``promised_ts``, or the end of that day (23:59:59) when every promise in the
  file is at midnight (a promised *date*, as in Olist);
* derived: ``handling_h`` = shipped − paid, ``transit_h`` = delivered − shipped, ``lead_h`` = delivered −
  paid (hours; negative durations are data errors: set empty and counted in ``notes``); ``late`` = delivered
  after ``promise_end``; ``on_time`` = delivered by it; ``lost`` = shipped, not delivered and ``promise_end +
  grace_days`` before ``as_of``; ``campaign_day``, ``peak`` (see :func:`day_frame`), ``month``, ``weekday``.

On a loaded shop (``load_shop``) the order frame is **not** built in pandas: ``prepare`` folds the lines on the
shop's engine into ``ops_orders`` (``opslib.operations.tables``; DuckDB with the shop's memory limit, or Spark)
and brings back the day counts and totals only. Every function of the package then asks for the rows of its
period (:meth:`OpsData.window`: a 28-day scorecard reads ~1/40 of a three-year shop) or for cells from SQL
(the estimators over the whole history); ``data.orders`` still works and reads every order when touched.

``as_of`` is the latest time stamp anywhere in the data: a unit is only judged once its deadline has passed
by then (an order paid an hour ago is not "late to ship").

Example:
    >>> import pandas as pd
    >>> lines = pd.DataFrame({"order_id": ["o1", "o1", "o2"], "sku": ["a", "b", "a"], "quantity": [1, 1, 2],
    ...     "unit_price": [10.0, 30.0, 10.0], "list_price": 30.0, "status": ["completed", "returned", "cancelled"],
    ...     "order_ts": pd.to_datetime(["2024-01-01 10:00"] * 2 + ["2024-01-02 09:00"]), "customer_id": "c",
    ...     "channel": "app", "region": "华东", "campaign_id": None})
    >>> o = order_frame(lines)
    >>> o[["order_id", "sku", "gmv", "cancelled", "returned", "returned_sku"]].values.tolist()
    [['o1', 'b', 40.0, False, True, 'b'], ['o2', 'a', 0.0, True, False, None]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from opslib.calendar import Period, period_bounds
from opslib.data.cube import connect, relation

HOUR = pd.Timedelta(hours=1)
#: Days after the promise before an undelivered, shipped parcel counts as lost.
LOST_GRACE_DAYS = 14
CAMPAIGN_LABELS = {True: "活动日 campaign day", False: "平日 normal day"}


def order_frame(orders: pd.DataFrame | Any, products: pd.DataFrame | None = None,
                fulfilment: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per order from the order lines (DuckDB), with ``fulfilment`` joined when given.

    Columns: see the module docstring (before the derived ones). Sorted by ``order_ts``, ``order_id``.

    Parameters:
        orders: contract order lines: a frame, or a loaded shop (``load_shop``: its orders file is scanned in
            DuckDB, so the lines never enter pandas). products: for the category (optional). fulfilment: joined
            when given.

    Returns:
        The order frame.
    """
    con = connect()
    cols = ["order_id", "order_ts", "customer_id", "sku", "quantity", "unit_price", "channel", "region", "status",
            "campaign_id"]
    if isinstance(orders, pd.DataFrame):
        relation(con, "o", orders[cols])
    else:  # a loaded shop (or a file): its lines are read by DuckDB from the typed Parquet, never into pandas
        relation(con, "o_all", orders, table="orders")
        con.execute(f"CREATE VIEW o AS SELECT {', '.join(cols)} FROM o_all")
    if products is not None:
        relation(con, "p", products[["sku", "category"]])
        cat, join = "p.category", "LEFT JOIN p ON p.sku = o.sku"
    else:
        cat, join = "NULL::VARCHAR", ""
    sql = f"""
    WITH l AS (
        SELECT o.*, {cat} AS category, o.quantity * o.unit_price AS value FROM o {join}
    ), r AS (
        SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY value DESC, sku) AS rk FROM l
    )
    SELECT order_id, min(order_ts) AS order_ts, min(customer_id) AS customer_id, min(region) AS region,
           min(channel) AS channel, CAST(count(*) AS BIGINT) AS lines,
           CAST(coalesce(sum(quantity) FILTER (WHERE status <> 'cancelled'), 0) AS BIGINT) AS units,
           CAST(coalesce(sum(value) FILTER (WHERE status <> 'cancelled'), 0) AS DOUBLE) AS gmv,
           bool_and(status = 'cancelled') AS cancelled, bool_or(status = 'returned') AS returned,
           max(CASE WHEN rk = 1 THEN sku END) AS sku, max(CASE WHEN rk = 1 THEN category END) AS category,
           min(sku) FILTER (WHERE status = 'returned') AS returned_sku,
           min(campaign_id) AS campaign_id
    FROM r GROUP BY order_id ORDER BY order_ts, order_id
    """
    out = con.execute(sql).df()
    for c in ("customer_id", "region", "channel", "sku", "category", "returned_sku", "campaign_id"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    out["order_ts"] = out["order_ts"].astype("datetime64[ns]")
    if fulfilment is not None:
        f = fulfilment.drop_duplicates("order_id")
        out = out.merge(f, on="order_id", how="left")
    return out


def _hours(a: pd.Series, b: pd.Series) -> pd.Series:
    return (b - a) / HOUR


def day_frame(orders: pd.DataFrame, campaigns: pd.DataFrame | None = None, peak: str = "auto",
              load_factor: float = 1.5, window: int = 28) -> pd.DataFrame:
    """One row per day from the first to the last order day: load and peak days.

    Formula: ``orders`` = non-cancelled orders placed that day; ``load_ratio`` = orders / median of the
    ``window`` days before (at least 7 of them); ``campaign_day`` = inside a campaign window (any kind);
    ``peak`` = ``campaign_day`` (``peak="campaign"``), ``load_ratio >= load_factor`` (``"load"``), either
    (``"either"``); ``"auto"`` = campaign days when a campaigns table is given, else load.

    Parameters:
        orders: the order frame (:func:`order_frame`). campaigns: contract campaigns or None.
        peak: the rule above. load_factor: the load that makes a peak day. window: days of the baseline.

    Returns:
        Columns ``day``, ``orders``, ``load_ratio``, ``campaign_day``, ``campaign_id`` (first campaign of the
        day or None), ``peak``.

    Example:
        >>> o = pd.DataFrame({"day": pd.to_datetime(["2024-01-01"] * 2 + ["2024-01-02"] * 6), "cancelled": False})
        >>> d = day_frame(o, peak="load", window=1)
        >>> d["orders"].tolist(), d["peak"].tolist()  # day 2: 6 orders / median 2 of the day before = 3 >= 1.5
        ([2, 6], [False, True])
    """
    if peak not in ("auto", "campaign", "load", "either"):
        raise ValueError(f"peak must be auto, campaign, load or either, got {peak!r}")
    if orders.empty:
        return pd.DataFrame(columns=["day", "orders", "load_ratio", "campaign_day", "campaign_id", "peak"])
    live = orders.loc[~orders["cancelled"].astype(bool), "day"]
    return _days(live.value_counts(), orders["day"].min(), orders["day"].max(), campaigns, peak, load_factor, window)


def _days(per_day: pd.Series, first: pd.Timestamp, last: pd.Timestamp, campaigns: pd.DataFrame | None, peak: str,
          load_factor: float, window: int) -> pd.DataFrame:
    """:func:`day_frame` from the non-cancelled orders per day (``per_day``, index: day) and the first/last day."""
    days = pd.date_range(first, last, freq="D")
    counts = per_day.reindex(days, fill_value=0).astype("int64")
    base = counts.shift(1).rolling(window, min_periods=min(7, window)).median()
    out = pd.DataFrame({"day": days, "orders": counts.to_numpy()})
    out["load_ratio"] = (counts / base.replace(0, np.nan)).to_numpy()
    out["campaign_day"] = False
    out["campaign_id"] = None
    if campaigns is not None and len(campaigns):
        for c in campaigns.sort_values("start").itertuples(index=False):
            inside = (out["day"] >= c.start) & (out["day"] <= c.end)
            out.loc[inside & out["campaign_id"].isna(), "campaign_id"] = c.campaign_id
            out.loc[inside, "campaign_day"] = True
    by_load = out["load_ratio"].fillna(0) >= load_factor
    rule = peak if peak != "auto" else ("campaign" if campaigns is not None and len(campaigns) else "load")
    out["peak"] = {"campaign": out["campaign_day"], "load": by_load,
                   "either": out["campaign_day"] | by_load}[rule].astype(bool)
    out.attrs["peak_rule"] = rule
    return out


class OpsData:
    """The operations data set of a shop (module docstring): order, review, contact and day frames.

    ``reviews`` / ``contacts`` are None without those tables; ``has_fulfilment`` says whether the orders carry
    fulfilment. ``notes`` say what was assumed or repaired; ``skipped`` what cannot be analysed and why.

    Built by :func:`prepare` from a loaded shop, the orders stay **on the shop's engine** (``tables``, an
    :class:`~opslib.operations.tables.OpsTables`): ``orders``, ``reviews`` and ``contacts`` are then read into
    pandas only when touched (every order: fine for a small shop, what the functions of this package avoid), and
    the functions take the rows of their period (:meth:`window`) or cells from SQL instead. Built from frames
    (``OpsData(orders=frame, ...)``) everything is in pandas, as before.
    """

    def __init__(self, orders: pd.DataFrame | None = None, days: pd.DataFrame | None = None,
                 reviews: pd.DataFrame | None = None, contacts: pd.DataFrame | None = None,
                 as_of: pd.Timestamp | None = None, has_fulfilment: bool = False, peak_rule: str = "load",
                 grace_days: int = LOST_GRACE_DAYS, notes: list[str] | None = None,
                 skipped: dict[str, str] | None = None, source: str = "", tables: Any = None,
                 products: pd.DataFrame | None = None) -> None:
        self._orders, self._reviews, self._contacts = orders, reviews, contacts
        self.days = days if days is not None else pd.DataFrame()
        self.as_of = pd.Timestamp(as_of) if as_of is not None else None
        self.has_fulfilment = has_fulfilment
        self.peak_rule = peak_rule
        self.grace_days = grace_days
        self.notes = list(notes or [])
        self.skipped = dict(skipped or {})
        self.source = source
        self.tables = tables
        self.products = products

    def __repr__(self) -> str:
        where = "on the engine" if self.tables is not None else "in pandas"
        return f"OpsData({self.source!r}, as_of={self.as_of}, {where})"

    # ------------------------------------------------------------------ frames (read on first touch)
    @property
    def orders(self) -> pd.DataFrame:
        """The order frame (module docstring); on the engine, every order read into pandas on first access."""
        if self._orders is None and self.tables is not None:
            self._orders = self._derive(self.tables.orders())
        return self._orders

    @property
    def reviews(self) -> pd.DataFrame | None:
        """Reviews with their order's columns (None without a reviews table)."""
        if self._reviews is None and self.tables is not None and self.tables.has_reviews:
            self._reviews = self._review_rows(None)
        return self._reviews

    @property
    def contacts(self) -> pd.DataFrame | None:
        """Service contacts with their order's columns (None without a service table)."""
        if self._contacts is None and self.tables is not None and self.tables.has_service:
            self._contacts = self._contact_rows(None)
        return self._contacts

    def _derive(self, o: pd.DataFrame) -> pd.DataFrame:
        t = self.tables
        return derive_orders(o, self.days, self.as_of, self.grace_days, self.has_fulfilment,
                             promise_shift=t.promise_shift if t is not None else None)

    def _review_rows(self, where: str | None, scope: str | None = None) -> pd.DataFrame:
        t = self.tables
        r = t.table("reviews", where)
        o = self._derive(t.orders(_and(scope, t.orders_of("reviews", where))))
        r = r.merge(o, on="order_id", how="left")
        r["review_day"] = r["review_ts"].dt.normalize()
        return r

    def _contact_rows(self, where: str | None, scope: str | None = None) -> pd.DataFrame:
        t = self.tables
        c = t.table("service", where)
        o = self._derive(t.orders(_and(scope, t.orders_of("service", where))))
        return _contact_columns(c, o, self.products, self.days)

    def window(self, orders: str | None = None, reviews: str | None = None, contacts: str | None = None,
               scope: str | None = None) -> OpsData:
        """The same data set with only the rows a computation needs in pandas.

        On the engine each argument is a SQL condition on the raw columns of that table (``orders``: the order
        frame's columns before derivation; ``reviews``, ``contacts``: the reviews / service file's columns),
        written with :func:`opslib.operations.tables.span`; the rows meeting it are read, the others never leave
        the engine (a part not named is read whole if touched). In pandas it returns the data set itself: the
        functions filter their frames as before, so both give the same numbers.

        Parameters:
            orders, reviews, contacts: the conditions (None: that part is not needed).
            scope: a condition on ``order_id`` AND-ed to each of them (and to the look-up of the orders of the
                reviews and contacts): one range of orders, which on the cached parts reads only its row groups.

        Returns:
            An :class:`OpsData` holding those rows.
        """
        if self.tables is None:
            return self
        w = OpsData(days=self.days, as_of=self.as_of, has_fulfilment=self.has_fulfilment, peak_rule=self.peak_rule,
                    grace_days=self.grace_days, notes=self.notes, skipped=self.skipped, source=self.source,
                    tables=self.tables, products=self.products)
        # a part not cut is the parent's frame when already read, else read whole if touched
        w._orders = self._derive(self.tables.orders(_and(scope, orders))) if orders is not None else self._orders
        if reviews is not None and self.tables.has_reviews:
            w._reviews = self._review_rows(_and(scope, reviews), scope)
        else:
            w._reviews = self._reviews
        if contacts is not None and self.tables.has_service:
            w._contacts = self._contact_rows(_and(scope, contacts), scope)
        else:
            w._contacts = self._contacts
        return w

    @property
    def on_engine(self) -> bool:
        """True when the orders live on the shop's engine (built by :func:`prepare` from a loaded shop)."""
        return self.tables is not None

    @property
    def first_day(self) -> pd.Timestamp:
        """First order day."""
        if self.tables is not None:
            return pd.Timestamp(self.tables.stats["first_ts"]).normalize()
        return pd.Timestamp(self.orders["day"].min())

    @property
    def last_day(self) -> pd.Timestamp:
        """Last order day."""
        if self.tables is not None:
            return pd.Timestamp(self.tables.stats["last_ts"]).normalize()
        return pd.Timestamp(self.orders["day"].max())

    def has(self, part: str) -> bool:
        """``"fulfilment"``, ``"reviews"`` or ``"service"``: whether that part can be analysed."""
        if self.tables is not None:
            return {"fulfilment": self.has_fulfilment, "reviews": self.tables.has_reviews,
                    "service": self.tables.has_service}.get(part, False)
        return {"fulfilment": self.has_fulfilment, "reviews": self._reviews is not None,
                "service": self._contacts is not None}.get(part, False)

    def describe(self) -> str:
        """What the data holds, what was assumed and what will be skipped: the setup cell prints it."""
        if self.tables is not None:
            s = self.tables.stats
            n_orders, n_live = int(s["orders"]), int(s["live"])
            n_reviews, n_contacts = s.get("reviews"), s.get("contacts")
        else:
            n_orders, n_live = len(self.orders), int((~self.orders["cancelled"]).sum())
            n_reviews = len(self.reviews) if self.reviews is not None else None
            n_contacts = len(self.contacts) if self.contacts is not None else None
        parts = [f"{n_orders:,} orders ({n_live:,} not cancelled), data as of {self.as_of:%Y-%m-%d %H:%M}"]
        if self.has_fulfilment:
            parts.append(f"peak days by {self.peak_rule}: {int(self.days['peak'].sum())} of {len(self.days)} days")
        if self.has("reviews"):
            parts.append(f"{n_reviews:,} reviews")
        if self.has("service"):
            parts.append(f"{n_contacts:,} service contacts")
        lines = ["; ".join(parts) + "."]
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"skipped: {m}" for m in self.skipped.values()]
        return "\n".join(lines)

    def skip_reason(self, part: str) -> str | None:
        """Why ``part`` cannot be analysed, or None when it can."""
        return None if self.has(part) else self.skipped.get(part, f"no {part} data")


def _and(a: str | None, b: str | None) -> str | None:
    """SQL: ``a AND b`` (either may be None)."""
    if a is None:
        return b
    return a if b is None else f"({a}) AND ({b})"


def in_period(frame: pd.DataFrame, column: str, period: Period | tuple | None) -> pd.DataFrame:
    """Rows whose ``column`` (a time stamp) falls on a day of ``period`` (all rows when None).

    Example:
        >>> f = pd.DataFrame({"t": pd.to_datetime(["2024-01-01 23:00", "2024-01-02 01:00"])})
        >>> len(in_period(f, "t", ("2024-01-01", "2024-01-01")))
        1
    """
    if period is None:
        return frame
    start, end = period_bounds(period)
    t = frame[column]
    return frame[(t >= start) & (t < end + pd.Timedelta(days=1))]


def _as_of(*series: pd.Series | None) -> pd.Timestamp:
    stamps = [s.max() for s in series if s is not None and len(s) and pd.notna(s.max())]
    return pd.Timestamp(max(stamps))


def derive_orders(o: pd.DataFrame, days: pd.DataFrame, as_of: pd.Timestamp, grace_days: int, has_fulfilment: bool,
                  notes: list[str] | None = None, promise_shift: pd.Timedelta | None = None) -> pd.DataFrame:
    """The derived columns of the order frame (module docstring: ``day``, durations, ``late``, ``on_time``,
    ``lost``, ``campaign_day``, ``peak``, ``month``, ``weekday``) on ``o`` (the frame, or any slice of it).

    Parameters:
        o: order rows (:func:`order_frame` columns). days: :func:`day_frame`. as_of, grace_days: for ``lost``.
        has_fulfilment: whether ``o`` carries fulfilment. notes: collects what was repaired (None: not said).
        promise_shift: ``promise_end − promised_ts`` (None: decided from ``o``'s promises).

    Returns:
        ``o`` with the derived columns (the same object, changed in place).
    """
    o["day"] = o["order_ts"].dt.normalize()
    if has_fulfilment:
        o = _fulfilment_columns(o, as_of, grace_days, notes, promise_shift)
    if len(days):
        flags = days.set_index("day")
        o["campaign_day"] = o["day"].map(flags["campaign_day"]).fillna(False).astype(bool)
        o["peak"] = o["day"].map(flags["peak"]).fillna(False).astype(bool)
    else:
        o["campaign_day"] = False
        o["peak"] = False
    o["month"] = o["order_ts"].dt.strftime("%Y-%m")
    o["weekday"] = o["order_ts"].dt.day_of_week
    return o


def _on_engine(shop: Any) -> bool:
    lines = getattr(shop, "lines", None)
    return lines is not None and hasattr(lines, "engine") and lines.has("orders") and hasattr(shop, "source")


def prepare(shop: Any, peak: str = "auto", grace_days: int = LOST_GRACE_DAYS, load_factor: float = 1.5) -> OpsData:
    """Build the :class:`OpsData` of a loaded shop (``opslib.data.load_shop``; needs orders, uses products,
    campaigns, fulfilment, reviews and service when present).

    A loaded shop's orders are folded on its engine (``opslib.operations.tables``; DuckDB with the shop's memory
    limit, or Spark) and stay there: only the day counts and a few totals come back. A shop built from frames
    (``Shop(path, orders=df, ...)``) is prepared in pandas as before.

    Parameters:
        shop: the loaded shop. peak: peak-day rule of :func:`day_frame`. grace_days: days after the promise
            before an undelivered parcel counts as lost. load_factor: load ratio of a peak day (``peak="load"``).

    Returns:
        :class:`OpsData`.
    """
    if _on_engine(shop) and "orders" not in getattr(shop, "_frames", {}):
        return _prepare_on_engine(shop, peak, grace_days, load_factor)
    get = lambda name: getattr(shop, name, None)  # noqa: E731 - shop.service exists only once loaded
    orders = get("orders")
    products, campaigns = get("products"), get("campaigns")
    fulfilment, reviews, service = get("fulfilment"), get("reviews"), get("service")
    path = str(getattr(shop, "path", ""))
    notes: list[str] = []
    skipped: dict[str, str] = {}
    o = order_frame(orders, products, fulfilment)
    o["day"] = o["order_ts"].dt.normalize()
    has_f = fulfilment is not None and len(fulfilment) > 0
    as_of = _as_of(o["order_ts"], *(fulfilment[c] for c in ("paid_ts", "shipped_ts", "delivered_ts")
                                    if has_f), reviews["review_ts"] if reviews is not None else None,
                   service["contact_ts"] if service is not None else None)
    if has_f:
        o = _fulfilment_columns(o, as_of, grace_days, notes)
    else:
        skipped["fulfilment"] = _SKIP_FULFILMENT.format(path=path)
    days = day_frame(o, campaigns, peak=peak, load_factor=load_factor)
    o = derive_orders(o, days, as_of, grace_days, False)
    if campaigns is None and peak in ("auto", "campaign", "either"):
        notes.append(_LOAD_NOTE.format(load_factor=load_factor))
    r = None
    if reviews is not None and len(reviews):
        r = reviews.merge(o, on="order_id", how="left")
        r["review_day"] = r["review_ts"].dt.normalize()
    else:
        skipped["reviews"] = _SKIP_REVIEWS.format(path=path)
    c = None
    if service is not None and len(service):
        c = _contact_columns(service, o, products, days)
    else:
        skipped["service"] = _SKIP_SERVICE.format(path=path)
    log = _import_note(path)
    if log:
        notes.append(log)
    return OpsData(orders=o, days=days, reviews=r, contacts=c, as_of=as_of, has_fulfilment=has_f,
                   peak_rule=days.attrs.get("peak_rule", peak), grace_days=grace_days, notes=notes,
                   skipped=skipped, source=path, products=products)


_SKIP_FULFILMENT = ("no fulfilment table in {path} (fulfilment.csv, .parquet or .xlsx): skipping handling, transit, "
                    "on-time delivery, peak-day delay and lost parcels")
_SKIP_REVIEWS = ("no reviews table in {path} (reviews.csv, .parquet or .xlsx): skipping review scores, topics and "
                 "the late-delivery effect")
_SKIP_SERVICE = ("no service table in {path} (service.csv, .parquet or .xlsx): skipping inquiry conversion, "
                 "response and resolution times and contact rates")
_LOAD_NOTE = "no campaigns table: peak days are days with at least {load_factor:g}x the median orders of the 28 days before"
_MIDNIGHT_NOTE = ("every promised_ts is at midnight (a promised date): an order counts as on time when delivered by "
                  "the end of that day")


def _negative_note(n: int, name: str, a: str, b: str) -> str:
    return f"{n:,} orders with {b} before {a}: their {name.removesuffix('_h')} time is left out (a data error in the source)"


_DURATIONS = (("handling_h", "paid_ts", "shipped_ts"), ("transit_h", "shipped_ts", "delivered_ts"),
              ("lead_h", "paid_ts", "delivered_ts"))


def _prepare_on_engine(shop: Any, peak: str, grace_days: int, load_factor: float) -> OpsData:
    from opslib.operations.tables import OpsTables

    path = str(getattr(shop, "path", ""))
    t = OpsTables.build(shop)
    s = t.stats
    notes: list[str] = []
    skipped: dict[str, str] = {}
    campaigns = shop.campaigns if shop.has("campaigns") else None
    products = shop.products if shop.has("products") else None
    if t.has_fulfilment:
        if t.promise_shift > pd.Timedelta(0):
            notes.append(_MIDNIGHT_NOTE)
        for (name, a, b), key in zip(_DURATIONS, ("bad_handling", "bad_transit", "bad_lead"), strict=True):
            if int(s[key]):
                notes.append(_negative_note(int(s[key]), name, a, b))
    else:
        skipped["fulfilment"] = _SKIP_FULFILMENT.format(path=path)
    if int(s["orders"]) == 0:
        days = day_frame(pd.DataFrame({"day": pd.Series(dtype="datetime64[ns]"), "cancelled": []}), campaigns,
                         peak=peak, load_factor=load_factor)
    else:
        if peak not in ("auto", "campaign", "load", "either"):
            raise ValueError(f"peak must be auto, campaign, load or either, got {peak!r}")
        days = _days(t.daily_orders(), pd.Timestamp(s["first_ts"]).normalize(),
                     pd.Timestamp(s["last_ts"]).normalize(), campaigns, peak, load_factor, 28)
    if campaigns is None and peak in ("auto", "campaign", "either"):
        notes.append(_LOAD_NOTE.format(load_factor=load_factor))
    if not t.has_reviews:
        skipped["reviews"] = _SKIP_REVIEWS.format(path=path)
    if not t.has_service:
        skipped["service"] = _SKIP_SERVICE.format(path=path)
    log = _import_note(path)
    if log:
        notes.append(log)
    return OpsData(days=days, as_of=s["as_of"], has_fulfilment=t.has_fulfilment,
                   peak_rule=days.attrs.get("peak_rule", peak), grace_days=grace_days, notes=notes, skipped=skipped,
                   source=path, tables=t, products=products)


def _fulfilment_columns(o: pd.DataFrame, as_of: pd.Timestamp, grace_days: int, notes: list[str] | None,
                        promise_shift: pd.Timedelta | None = None) -> pd.DataFrame:
    promised = o["promised_ts"]
    if promise_shift is None:
        p = promised.dropna()
        midnight = bool(len(p)) and bool((p == p.dt.normalize()).all())
        promise_shift = pd.Timedelta(days=1) - pd.Timedelta(seconds=1) if midnight else pd.Timedelta(0)
        if midnight and notes is not None:
            notes.append(_MIDNIGHT_NOTE)
    o["promise_end"] = promised + promise_shift if promise_shift > pd.Timedelta(0) else promised
    for name, a, b in _DURATIONS:
        h = _hours(o[a], o[b])
        bad = h < 0
        if bad.any() and notes is not None:
            notes.append(_negative_note(int(bad.sum()), name, a, b))
        o[name] = h.where(~bad)
    delivered = o["delivered_ts"].notna()
    o["late"] = delivered & (o["delivered_ts"] > o["promise_end"])
    o["on_time"] = delivered & ~o["late"]
    shipped = o["shipped_ts"].notna()
    o["lost"] = (shipped & ~delivered & ~o["cancelled"]
                 & (o["promise_end"] + pd.Timedelta(days=grace_days) <= as_of))
    return o


def _contact_columns(service: pd.DataFrame, o: pd.DataFrame, products: pd.DataFrame | None,
                     days: pd.DataFrame) -> pd.DataFrame:
    c = service.copy()
    c["first_response_s"] = (c["first_response_ts"] - c["contact_ts"]).dt.total_seconds()
    c["resolution_h"] = (c["resolved_ts"] - c["contact_ts"]) / HOUR
    c["contact_day"] = c["contact_ts"].dt.normalize()
    c["converted_flag"] = c["converted"].map({"yes": True, "no": False})
    attrs = [x for x in ("late", "lost", "returned", "carrier", "warehouse", "category", "handling_h", "campaign_id")
             if x in o.columns]
    c = c.merge(o[["order_id", *attrs]].rename(columns={"category": "order_category"}), on="order_id", how="left")
    if products is not None:
        c = c.merge(products[["sku", "category"]], on="sku", how="left")
        if "order_category" in c:
            c["category"] = c["category"].fillna(c.pop("order_category"))
    elif "order_category" in c:
        c["category"] = c.pop("order_category")
    flags = days.set_index("day")
    c["campaign_day"] = c["contact_day"].map(flags["campaign_day"]).fillna(False).astype(bool)
    c["peak"] = c["contact_day"].map(flags["peak"]).fillna(False).astype(bool)
    return c


def _import_note(path: str) -> str | None:
    """The importer's warning that delivered orders were subsampled (``import_log.json``), if any."""
    import json
    from pathlib import Path

    p = Path(path) / "import_log.json" if path else None
    if p is None or not p.is_file():
        return None
    try:
        log = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    text = json.dumps(log, ensure_ascii=False)
    if "delivered_weighting_bias" not in text:
        return None
    return ("the import log says this export keeps every non-delivered order but only a sample of the delivered "
            "ones: shares of lost, cancelled or undelivered orders are inflated; durations, lateness among "
            "delivered orders and the late-delivery effect are not affected")


def period_window(data: OpsData, period: Period | tuple | None, **columns: str) -> OpsData:
    """``data`` with only the rows whose time column falls on a day of ``period`` in pandas (on the engine;
    unchanged in pandas or for ``period=None``).

    ``columns`` maps a part to its column: ``orders="paid_ts"``, ``reviews="review_ts"``,
    ``contacts="contact_ts"``; ``contacts_of_orders=True`` / ``reviews_of_orders=True`` (given as ``"1"``) read
    the contacts / reviews of those orders instead.

    Example:
        >>> d = OpsData(orders=pd.DataFrame({"paid_ts": pd.to_datetime(["2024-01-01"])}))
        >>> period_window(d, ("2024-01-01", "2024-01-07"), orders="paid_ts") is d   # in pandas: itself
        True
    """
    if period is None or not data.on_engine:
        return data
    from opslib.operations.tables import ORDER_TABLE, span

    start, end = period_bounds(period)
    end = end + pd.Timedelta(days=1)
    cut: dict[str, str] = {}
    for part in ("orders", "reviews", "contacts"):
        if part in columns:
            cut[part] = span(columns[part], start, end)
    if "orders" in cut:
        of = f"order_id IN (SELECT order_id FROM {ORDER_TABLE} WHERE {cut['orders']})"
        if columns.get("contacts_of_orders"):
            cut["contacts"] = f"stage = 'after_sale' AND {of}"
        if columns.get("reviews_of_orders"):
            cut["reviews"] = of
    return data.window(**cut)
