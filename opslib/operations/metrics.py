"""The metrics a process norm can be set on: one registry entry per metric, each turning the operations data
into **unit rows** (one per order, review or contact that is due) with a value and a pass/fail flag.

A unit row has ``ref_ts`` (when the unit **came due**, which puts it in a period: the payment + 48 h for "ship
within 48 h", the promise for on-time delivery, the order + ``settle_days`` for returns, the review itself ...),
``value`` (0/1 for share metrics, the score or the count for mean metrics), ``fail`` (the unit is one of the
exceptions a team follows up), ``measure`` (the number behind it: hours, seconds, score), ``campaign_day``
and what identifies it (``order_id``, ``contact_id``, ``sku``, ``category``, ``carrier``, ``warehouse``,
``region``, ``agent``, ``reason``, ``topic``; ``late`` when known). The metric's value over a period is the
mean of ``value``.

Only units whose deadline has passed by ``as_of`` count: an order paid 3 hours ago is not yet "shipped
within 48 h" or not. The registry (:data:`METRICS`) is what ``norms.yml`` may name.

Example:
    >>> sorted(METRICS)[:4]
    ['after_sale_contacts_per_100', 'bad_review_share', 'cancellation_rate', 'first_response_within']
    >>> METRICS["ship_within"].params
    {'hours': 48.0}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opslib.operations.dataset import OpsData

#: Columns every unit frame carries (missing ones are filled with None).
UNIT_COLUMNS = ("ref_ts", "value", "fail", "measure", "campaign_day", "order_id", "contact_id", "sku", "category",
                "carrier", "warehouse", "region", "agent", "reason", "topic", "late")


@dataclass(frozen=True)
class Metric:
    """One metric of the registry.

    ``kind`` is ``share`` (value 0/1: a rate) or ``mean`` (an average of ``value``); ``needs`` the part of the
    data it needs (``fulfilment``, ``reviews``, ``service`` or None); ``params`` its parameters with defaults
    (a norm may override them); ``direction`` the usual direction of its target (``at_least``/``at_most``);
    ``formula`` what it measures, in words; ``measure`` what the ``measure`` column holds.
    """

    name: str
    kind: str
    unit: str
    needs: str | None
    direction: str
    formula: str
    measure: str
    evaluate: Callable[[OpsData, dict[str, Any]], pd.DataFrame] = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)


def _units(frame: pd.DataFrame, ref: pd.Series, value: pd.Series, fail: pd.Series, measure: pd.Series | None,
           **extra: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame({"ref_ts": ref, "value": value.astype(float), "fail": fail.astype(bool),
                        "measure": measure if measure is not None else np.nan}, index=frame.index)
    for c in UNIT_COLUMNS[4:]:
        if c in extra:
            out[c] = extra[c]
        elif c in frame.columns:
            out[c] = frame[c]
        else:
            out[c] = None
    out["campaign_day"] = out["campaign_day"].fillna(False).astype(bool)
    return out.reset_index(drop=True)


def _live(data: OpsData) -> pd.DataFrame:
    return data.orders[~data.orders["cancelled"].astype(bool)]


def _ship_within(data: OpsData, p: dict[str, Any]) -> pd.DataFrame:
    h = float(p["hours"])
    o = _live(data)
    o = o[o["paid_ts"].notna() & (o["paid_ts"] + pd.Timedelta(hours=h) <= data.as_of)]
    o = o[~(o["shipped_ts"].notna() & o["handling_h"].isna())]  # shipped before paid: a data error, left out
    ok = o["handling_h"] <= h
    return _units(o, o["paid_ts"] + pd.Timedelta(hours=h), ok, ~ok, o["handling_h"])


def _on_time(data: OpsData, p: dict[str, Any]) -> pd.DataFrame:
    o = _live(data)
    o = o[o["promise_end"].notna() & (o["promise_end"] <= data.as_of)]
    ok = o["on_time"].astype(bool)
    late_h = ((o["delivered_ts"].fillna(data.as_of) - o["promise_end"]) / pd.Timedelta(hours=1)).clip(lower=0)
    return _units(o, o["promise_end"], ok, ~ok, late_h)


def _transit_within(data: OpsData, p: dict[str, Any]) -> pd.DataFrame:
    h = float(p["hours"])
    o = _live(data)
    o = o[o["shipped_ts"].notna() & (o["shipped_ts"] + pd.Timedelta(hours=h) <= data.as_of)]
    o = o[~(o["delivered_ts"].notna() & o["transit_h"].isna())]
    ok = o["transit_h"] <= h
    return _units(o, o["shipped_ts"] + pd.Timedelta(hours=h), ok, ~ok, o["transit_h"])


def _lost_share(data: OpsData, p: dict[str, Any]) -> pd.DataFrame:
    o = _live(data)
    o = o[o["shipped_ts"].notna() & (o["promise_end"] + pd.Timedelta(days=data.grace_days) <= data.as_of)]
    lost = o["lost"].astype(bool)
    days = ((data.as_of - o["promise_end"]) / pd.Timedelta(days=1)).where(lost)
    return _units(o, o["promise_end"] + pd.Timedelta(days=data.grace_days), lost, lost, days)


def _contacts(data: OpsData, stage: str) -> pd.DataFrame:
    c = data.contacts
    if stage != "all":
        c = c[c["stage"] == stage]
    return c


def _first_response(data: OpsData, p: dict[str, Any]) -> pd.DataFrame:
    s = float(p["seconds"])
    c = _contacts(data, p["stage"])
    c = c[c["contact_ts"] + pd.Timedelta(seconds=s) <= data.as_of]
    ok = c["first_response_s"] <= s
    return _units(c, c["contact_ts"] + pd.Timedelta(seconds=s), ok, ~ok, c["first_response_s"])


def _resolution(data: OpsData, p: dict[str, Any]) -> pd.DataFrame:
    h = float(p["hours"])
    c = _contacts(data, p["stage"])
    c = c[c["contact_ts"] + pd.Timedelta(hours=h) <= data.as_of]
    ok = c["resolution_h"] <= h
    return _units(c, c["contact_ts"] + pd.Timedelta(hours=h), ok, ~ok, c["resolution_h"])


def _conversion(data: OpsData, p: dict[str, Any]) -> pd.DataFrame:
    c = data.contacts
    c = c[(c["stage"] == "pre_sale") & c["converted_flag"].notna()]
    ok = c["converted_flag"].astype(bool)
    return _units(c, c["contact_ts"], ok, ~ok, c["first_response_s"])


def _contacts_per_100(data: OpsData, p: dict[str, Any]) -> pd.DataFrame:
    o = _live(data)
    due = o["order_ts"] + pd.Timedelta(days=float(p["settle_days"]))
    o, due = o[due <= data.as_of], due[due <= data.as_of]
    a = data.contacts[data.contacts["stage"] == "after_sale"]
    n = o["order_id"].map(a["order_id"].value_counts()).fillna(0.0)
    last = a.sort_values("contact_ts").drop_duplicates("order_id", keep="last").set_index("order_id")["reason"]
    return _units(o, due, 100 * n, n > 0, n, reason=o["order_id"].map(last))


def _reviews(data: OpsData) -> pd.DataFrame:
    return data.reviews


def _review_score(data: OpsData, p: dict[str, Any]) -> pd.DataFrame:
    r = _reviews(data)
    bad = r["score"] <= int(p["bad_score"])
    return _units(r, r["review_ts"], r["score"].astype(float), bad, r["score"].astype(float))


def _bad_reviews(data: OpsData, p: dict[str, Any]) -> pd.DataFrame:
    r = _reviews(data)
    bad = r["score"] <= int(p["bad_score"])
    topics = p.get("topics")
    if topics:
        bad = bad & r["topic"].isin(list(topics))
    return _units(r, r["review_ts"], bad, bad, r["score"].astype(float))


def _return_rate(data: OpsData, p: dict[str, Any]) -> pd.DataFrame:
    o = _live(data)
    due = o["order_ts"] + pd.Timedelta(days=float(p["settle_days"]))
    o, due = o[due <= data.as_of], due[due <= data.as_of]
    ret = o["returned"].astype(bool)
    sku = o["returned_sku"].where(ret, o["sku"])
    return _units(o, due, ret, ret, o["gmv"], sku=sku)


def _cancellation_rate(data: OpsData, p: dict[str, Any]) -> pd.DataFrame:
    o = data.orders
    c = o["cancelled"].astype(bool)
    return _units(o, o["order_ts"], c, c, o["units"].astype(float))


_STAGE = "stage"

METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("ship_within", "share", "orders", "fulfilment", "at_least",
           "share of paid orders shipped within `hours` of payment (orders paid at least `hours` before the data end)",
           "handling hours", _ship_within, {"hours": 48.0}),
    Metric("on_time", "share", "orders", "fulfilment", "at_least",
           "share of orders whose promise has passed that were delivered by the promised time",
           "hours late", _on_time),
    Metric("transit_within", "share", "orders", "fulfilment", "at_least",
           "share of shipped orders delivered within `hours` of shipping",
           "transit hours", _transit_within, {"hours": 72.0}),
    Metric("lost_share", "share", "orders", "fulfilment", "at_most",
           "share of shipped orders still not delivered 14 days (grace_days) after the promise",
           "days overdue", _lost_share),
    Metric("first_response_within", "share", "contacts", "service", "at_least",
           "share of contacts (of `stage`: all, pre_sale, after_sale) answered within `seconds`; unanswered fail",
           "first response seconds", _first_response, {"seconds": 30.0, _STAGE: "all"}),
    Metric("resolution_within", "share", "contacts", "service", "at_least",
           "share of contacts (of `stage`) resolved within `hours`; open ones fail",
           "resolution hours", _resolution, {"hours": 24.0, _STAGE: "after_sale"}),
    Metric("inquiry_conversion", "share", "contacts", "service", "at_least",
           "询单转化率: share of pre-sale inquiries that led to an order",
           "first response seconds", _conversion),
    Metric("after_sale_contacts_per_100", "mean", "orders", "service", "at_most",
           "after-sale contacts per 100 non-cancelled orders (orders at least `settle_days` old)",
           "contacts", _contacts_per_100, {"settle_days": 14.0}),
    Metric("review_score", "mean", "reviews", "reviews", "at_least",
           "mean review score (1-5); reviews scored <= `bad_score` are the exceptions listed",
           "score", _review_score, {"bad_score": 2}),
    Metric("bad_review_share", "share", "reviews", "reviews", "at_most",
           "share of reviews scored <= `bad_score` (差评率), only about `topics` when given",
           "score", _bad_reviews, {"bad_score": 2, "topics": None}),
    Metric("return_rate", "share", "orders", None, "at_most",
           "share of non-cancelled orders with a returned line (orders at least `settle_days` old)",
           "order GMV", _return_rate, {"settle_days": 14.0}),
    Metric("cancellation_rate", "share", "orders", None, "at_most",
           "share of orders cancelled", "units", _cancellation_rate),
)}

#: The type every metric parameter must have in norms.yml.
PARAM_TYPES: dict[str, tuple[type, ...]] = {"hours": (int, float), "seconds": (int, float), "settle_days": (int, float),
                                            "bad_score": (int,), "topics": (list,), _STAGE: (str,)}
STAGES = ("all", "pre_sale", "after_sale")


def _cut(data: OpsData, metric: str, p: dict[str, Any], ranges: list[tuple[pd.Timestamp, pd.Timestamp]],
         scope: str | None = None) -> dict[str, str]:
    """The :meth:`OpsData.window` conditions that bring every unit of ``metric`` due in ``ranges`` (and no other
    rows than needed) into pandas: each metric's due time is a raw column plus a shift. ``scope`` (a condition
    on ``order_id``, :meth:`OpsData.window`'s) is repeated inside the one sub-query, so it reads only its range."""
    from opslib.operations.tables import ORDER_TABLE, ZERO, any_of, span

    shift = data.tables.promise_shift
    hours = pd.Timedelta(hours=float(p.get("hours", 0) or 0))

    def cond(column: str, delta: pd.Timedelta = ZERO) -> str:
        return any_of([span(column, s, e, delta) for s, e in ranges])

    settle = pd.Timedelta(days=float(p.get("settle_days", 0) or 0))
    if metric == "ship_within":
        return {"orders": cond("paid_ts", hours)}
    if metric == "on_time":
        return {"orders": cond("promised_ts", shift)}
    if metric == "transit_within":
        return {"orders": cond("shipped_ts", hours)}
    if metric == "lost_share":
        return {"orders": cond("promised_ts", shift + pd.Timedelta(days=data.grace_days))}
    if metric == "first_response_within":
        return {"contacts": cond("contact_ts", pd.Timedelta(seconds=float(p["seconds"])))}
    if metric == "resolution_within":
        return {"contacts": cond("contact_ts", hours)}
    if metric == "inquiry_conversion":
        return {"contacts": cond("contact_ts")}
    if metric == "after_sale_contacts_per_100":
        o = cond("order_ts", settle)
        within = f"{scope} AND {o}" if scope else o
        return {"orders": o, "contacts": f"stage = 'after_sale' AND order_id IN (SELECT order_id FROM {ORDER_TABLE} "
                                         f"WHERE {within})"}
    if metric in ("review_score", "bad_review_share"):
        return {"reviews": cond("review_ts")}
    if metric == "return_rate":
        return {"orders": cond("order_ts", settle)}
    if metric == "cancellation_rate":
        return {"orders": cond("order_ts")}
    raise KeyError(metric)  # pragma: no cover - every registered metric is listed


def metric_units(data: OpsData, metric: str, params: dict[str, Any] | None = None,
                 ranges: list[tuple[pd.Timestamp, pd.Timestamp]] | None = None) -> pd.DataFrame | None:
    """The unit rows of ``metric`` (module docstring) with ``params`` over the defaults; None when the data lacks
    the part the metric needs.

    ``ranges`` (``[(start, end), ...]``, end exclusive) keeps only the units that came due inside them; on a
    shop's engine only the rows behind those units are read into pandas (:meth:`OpsData.window`).

    Example:
        >>> import pandas as pd
        >>> o = pd.DataFrame({"order_id": ["a", "b"], "order_ts": pd.to_datetime(["2024-01-01", "2024-01-02"]),
        ...     "cancelled": [False, True], "units": [1, 2], "campaign_day": False})
        >>> d = OpsData(orders=o, days=pd.DataFrame(), reviews=None, contacts=None, as_of=pd.Timestamp("2024-02-01"),
        ...             has_fulfilment=False, peak_rule="load")
        >>> metric_units(d, "cancellation_rate")[["order_id", "value", "fail"]].values.tolist()
        [['a', 0.0, False], ['b', 1.0, True]]
    """
    m = METRICS[metric]
    if m.needs is not None and not data.has(m.needs):
        return None
    p = {**m.params, **(params or {})}
    if ranges is not None and data.on_engine and not getattr(data, "windowed", False):
        data = data.window(**_cut(data, metric, p, ranges))
    units = m.evaluate(data, p)
    if ranges is not None:
        t = units["ref_ts"]
        keep = np.zeros(len(units), dtype=bool)
        for s, e in ranges:
            keep |= ((t >= s) & (t < e)).to_numpy()
        units = units[keep].reset_index(drop=True)
    return units
