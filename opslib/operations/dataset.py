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

from dataclasses import dataclass, field
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
    live = orders.loc[~orders["cancelled"].astype(bool), "day"]
    if orders.empty:
        return pd.DataFrame(columns=["day", "orders", "load_ratio", "campaign_day", "campaign_id", "peak"])
    days = pd.date_range(orders["day"].min(), orders["day"].max(), freq="D")
    counts = live.value_counts().reindex(days, fill_value=0).astype("int64")
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


@dataclass
class OpsData:
    """The operations data set of a shop (module docstring): order, review, contact and day frames.

    ``reviews`` / ``contacts`` are None without those tables; ``has_fulfilment`` says whether the orders carry
    fulfilment. ``notes`` say what was assumed or repaired; ``skipped`` what cannot be analysed and why.
    """

    orders: pd.DataFrame
    days: pd.DataFrame
    reviews: pd.DataFrame | None
    contacts: pd.DataFrame | None
    as_of: pd.Timestamp
    has_fulfilment: bool
    peak_rule: str
    grace_days: int = LOST_GRACE_DAYS
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    source: str = ""

    @property
    def first_day(self) -> pd.Timestamp:
        """First order day."""
        return pd.Timestamp(self.orders["day"].min())

    @property
    def last_day(self) -> pd.Timestamp:
        """Last order day."""
        return pd.Timestamp(self.orders["day"].max())

    def has(self, part: str) -> bool:
        """``"fulfilment"``, ``"reviews"`` or ``"service"``: whether that part can be analysed."""
        return {"fulfilment": self.has_fulfilment, "reviews": self.reviews is not None,
                "service": self.contacts is not None}.get(part, False)

    def describe(self) -> str:
        """What the data holds, what was assumed and what will be skipped: the setup cell prints it."""
        n_live = int((~self.orders["cancelled"]).sum())
        parts = [f"{len(self.orders):,} orders ({n_live:,} not cancelled), data as of {self.as_of:%Y-%m-%d %H:%M}"]
        if self.has_fulfilment:
            parts.append(f"peak days by {self.peak_rule}: {int(self.days['peak'].sum())} of {len(self.days)} days")
        if self.reviews is not None:
            parts.append(f"{len(self.reviews):,} reviews")
        if self.contacts is not None:
            parts.append(f"{len(self.contacts):,} service contacts")
        lines = ["; ".join(parts) + "."]
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"skipped: {m}" for m in self.skipped.values()]
        return "\n".join(lines)

    def skip_reason(self, part: str) -> str | None:
        """Why ``part`` cannot be analysed, or None when it can."""
        return None if self.has(part) else self.skipped.get(part, f"no {part} data")


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


def prepare(shop: Any, peak: str = "auto", grace_days: int = LOST_GRACE_DAYS, load_factor: float = 1.5) -> OpsData:
    """Build the :class:`OpsData` of a loaded shop (``opslib.data.load_shop``; needs orders, uses products,
    campaigns, fulfilment, reviews and service when present).

    Parameters:
        shop: the loaded shop. peak: peak-day rule of :func:`day_frame`. grace_days: days after the promise
            before an undelivered parcel counts as lost. load_factor: load ratio of a peak day (``peak="load"``).

    Returns:
        :class:`OpsData`.
    """
    get = lambda name: getattr(shop, name, None)  # noqa: E731 - shop.service exists only once loaded
    # A loaded shop's lines stay in DuckDB (scanned from its typed Parquet); only one row per order comes back.
    on_engine = False
    if hasattr(shop, "source") and hasattr(shop, "lines"):
        try:
            on_engine = shop.source("orders") is not None
        except Exception:  # noqa: BLE001 - a shop whose lines live on a cluster: read the frame as before
            on_engine = False
    orders = shop if on_engine else get("orders")
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
        skipped["fulfilment"] = (f"no fulfilment table in {path} (fulfilment.csv, .parquet or .xlsx): skipping "
                                 "handling, transit, on-time delivery, peak-day delay and lost parcels")
    days = day_frame(o, campaigns, peak=peak, load_factor=load_factor)
    flags = days.set_index("day")
    o["campaign_day"] = o["day"].map(flags["campaign_day"]).fillna(False).astype(bool)
    o["peak"] = o["day"].map(flags["peak"]).fillna(False).astype(bool)
    o["month"] = o["order_ts"].dt.strftime("%Y-%m")
    o["weekday"] = o["order_ts"].dt.day_of_week
    if campaigns is None and peak in ("auto", "campaign", "either"):
        notes.append("no campaigns table: peak days are days with at least "
                     f"{load_factor:g}x the median orders of the 28 days before")
    r = None
    if reviews is not None and len(reviews):
        r = reviews.merge(o, on="order_id", how="left")
        r["review_day"] = r["review_ts"].dt.normalize()
    else:
        skipped["reviews"] = (f"no reviews table in {path} (reviews.csv, .parquet or .xlsx): skipping review "
                              "scores, topics and the late-delivery effect")
    c = None
    if service is not None and len(service):
        c = _contact_columns(service, o, products, days)
    else:
        skipped["service"] = (f"no service table in {path} (service.csv, .parquet or .xlsx): skipping inquiry "
                              "conversion, response and resolution times and contact rates")
    log = _import_note(path)
    if log:
        notes.append(log)
    return OpsData(orders=o, days=days, reviews=r, contacts=c, as_of=as_of, has_fulfilment=has_f,
                   peak_rule=days.attrs.get("peak_rule", peak), grace_days=grace_days, notes=notes,
                   skipped=skipped, source=path)


def _fulfilment_columns(o: pd.DataFrame, as_of: pd.Timestamp, grace_days: int, notes: list[str]) -> pd.DataFrame:
    promised = o["promised_ts"]
    p = promised.dropna()
    if len(p) and bool((p == p.dt.normalize()).all()):
        o["promise_end"] = promised + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        notes.append("every promised_ts is at midnight (a promised date): an order counts as on time when "
                     "delivered by the end of that day")
    else:
        o["promise_end"] = promised
    for name, a, b in (("handling_h", "paid_ts", "shipped_ts"), ("transit_h", "shipped_ts", "delivered_ts"),
                       ("lead_h", "paid_ts", "delivered_ts")):
        h = _hours(o[a], o[b])
        bad = h < 0
        if bad.any():
            notes.append(f"{int(bad.sum()):,} orders with {b} before {a}: their {name.removesuffix('_h')} time "
                         "is left out (a data error in the source)")
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
