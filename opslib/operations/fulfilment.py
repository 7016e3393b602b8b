"""Warehouse and logistics: handling and transit times, on-time delivery, the peak-day handling delay, lost
parcels and a carrier comparison with intervals.

Definitions (per non-cancelled order of the order frame, ``opslib.operations.dataset``):

* handling time 处理时长 = ``shipped_ts − paid_ts`` (hours), transit time 运输时长 = ``delivered_ts − shipped_ts``;
* an order is **due** once its promise has passed (``promise_end <= as_of``); on-time rate 准时率 = due orders
  delivered by ``promise_end`` / due orders (an overdue parcel that has not arrived counts as not on time);
* lost 丢件 = shipped, not delivered, and ``promise_end + grace_days`` before ``as_of``.

Orders enter a period by their payment day (``paid_ts``), like the warehouse's daily workload.

Example:
    >>> import pandas as pd
    >>> o = pd.DataFrame({"cancelled": False, "paid_ts": pd.to_datetime(["2024-01-01"] * 3),
    ...     "handling_h": [10.0, 20.0, 60.0], "transit_h": [30.0, 40.0, None], "late": [False, True, False],
    ...     "on_time": [True, False, False], "lost": [False, False, True], "shipped_ts": pd.to_datetime(["2024-01-02"] * 3),
    ...     "delivered_ts": pd.to_datetime(["2024-01-03", "2024-01-05", None]),
    ...     "promise_end": pd.to_datetime(["2024-01-04"] * 3), "warehouse": ["A", "A", "B"]})
    >>> t = durations_by(o, "warehouse", as_of=pd.Timestamp("2024-02-01"))
    >>> t[["warehouse", "orders", "handling_mean_h", "on_time_rate"]].values.tolist()
    [['A', 2, 15.0, 0.5], ['B', 1, 60.0, 0.0]]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from opslib.calendar import Period
from opslib.kpi import Term
from opslib.operations.dataset import CAMPAIGN_LABELS, OpsData, in_period, period_window
from opslib.operations.effects import Effect, terms_of
from opslib.operations.stats import cell_ols, mean_interval, wilson_interval

DIMENSIONS = ("warehouse", "carrier", "region", "category", "campaign_day", "channel")
_NO_FULFILMENT = "no fulfilment table: handling, transit and delivery cannot be measured"


def _frame(data: OpsData | pd.DataFrame, period: Period | tuple | None = None
           ) -> tuple[pd.DataFrame, pd.Timestamp | None]:
    if isinstance(data, OpsData):
        if not data.has_fulfilment:
            return pd.DataFrame(), data.as_of
        return period_window(data, period, orders="paid_ts").orders, data.as_of
    return data, None


def _live(o: pd.DataFrame, period: Period | tuple | None, column: str = "paid_ts") -> pd.DataFrame:
    o = o[~o["cancelled"].astype(bool)]
    return in_period(o, column, period) if column in o else o


def _labelled(o: pd.DataFrame, by: str | None) -> tuple[pd.DataFrame, str]:
    if by is None:
        return o.assign(group="全部 all"), "group"
    if by == "campaign_day":
        return o.assign(campaign_day=o["campaign_day"].map(CAMPAIGN_LABELS)), by
    return o.assign(**{by: o[by].fillna("(unknown)")}), by


def _skip(columns: list[str], reason: str) -> pd.DataFrame:
    out = pd.DataFrame(columns=columns)
    out.attrs["skipped"] = reason
    return out


def durations_by(data: OpsData | pd.DataFrame, by: str | None = "warehouse", period: Period | tuple | None = None,
                 as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Handling and transit times and the on-time rate per ``by`` group (warehouse, carrier, region, category,
    campaign_day, channel or None for the whole shop), over non-cancelled orders paid in ``period``.

    Formulas: ``handling_*_h`` = mean, median (p50) and 90th percentile (p90) of shipped − paid over shipped
    orders; ``transit_*_h`` the same of delivered − shipped; ``on_time_rate`` = on-time due orders / due orders
    (due: ``promise_end <= as_of``); ``late`` = due orders not on time; ``lost`` = lost parcels.

    Parameters:
        data: the :class:`OpsData` (or an order frame with ``as_of``). by: the group column. period: payment days.

    Returns:
        One row per group, largest first: ``orders``, ``shipped``, ``handling_mean_h``, ``handling_p50_h``,
        ``handling_p90_h``, ``transit_mean_h``, ``transit_p50_h``, ``transit_p90_h``, ``due``, ``on_time_rate``,
        ``late``, ``lost``.
    """
    o, data_as_of = _frame(data, period)
    cols = [by or "group", "orders", "shipped", "handling_mean_h", "handling_p50_h", "handling_p90_h",
            "transit_mean_h", "transit_p50_h", "transit_p90_h", "due", "on_time_rate", "late", "lost"]
    if "paid_ts" not in o:
        return _skip(cols, _NO_FULFILMENT)
    as_of = as_of if as_of is not None else data_as_of
    o, key = _labelled(_live(o, period), by)
    o = o.assign(_due=o["promise_end"] <= as_of)
    o = o.assign(_ontime=o["_due"] & o["on_time"].astype(bool), _late=o["_due"] & ~o["on_time"].astype(bool))
    g = o.groupby(key, sort=False)
    out = pd.DataFrame({
        "orders": g.size(), "shipped": g["handling_h"].count(),
        "handling_mean_h": g["handling_h"].mean(), "handling_p50_h": g["handling_h"].median(),
        "handling_p90_h": g["handling_h"].quantile(0.9),
        "transit_mean_h": g["transit_h"].mean(), "transit_p50_h": g["transit_h"].median(),
        "transit_p90_h": g["transit_h"].quantile(0.9),
        "due": g["_due"].sum().astype("int64"), "late": g["_late"].sum().astype("int64"),
        "lost": g["lost"].sum().astype("int64"), "_ontime": g["_ontime"].sum(),
    })
    out["on_time_rate"] = out["_ontime"] / out["due"].replace(0, np.nan)
    out = out.reset_index().sort_values(["orders", key], ascending=[False, True]).reset_index(drop=True)
    return out[cols]


def daily_fulfilment(data: OpsData, since: pd.Timestamp | str | None = None,
                     until: pd.Timestamp | str | None = None, settle_days: int = 3) -> pd.DataFrame:
    """Per payment day: the warehouse's load and speed, and whether it was a campaign (peak) day.

    Formulas: ``paid_orders`` = non-cancelled orders paid that day; ``handling_mean_h`` / ``handling_p90_h`` of
    those shipped; ``shipped_48h`` = share shipped within 48 h of payment; ``on_time_rate`` over the day's due
    orders; ``load_ratio``, ``campaign_day`` and ``peak`` of the day (``OpsData.days``, by order day). Handling
    is left empty for the last ``settle_days`` days before ``as_of``: their slow orders have not shipped yet, so
    the mean of those shipped would look fast.

    Parameters:
        data: the :class:`OpsData`. since, until: first and last payment day shown. settle_days: see above.

    Returns:
        Columns ``day``, ``paid_orders``, ``handling_mean_h``, ``handling_p90_h``, ``shipped_48h``,
        ``on_time_rate``, ``load_ratio``, ``campaign_day``, ``peak``.
    """
    cols = ["day", "paid_orders", "handling_mean_h", "handling_p90_h", "shipped_48h", "on_time_rate", "load_ratio",
            "campaign_day", "peak"]
    if not data.has_fulfilment:
        return _skip(cols, data.skip_reason("fulfilment") or _NO_FULFILMENT)
    if data.on_engine and hasattr(data.tables.engine, "con"):
        out = _daily_fulfilment_sql(data, since, until)
    else:
        out = _daily_fulfilment_frame(data, since, until)
    recent = out["day"] > data.as_of.normalize() - pd.Timedelta(days=settle_days)
    out.loc[recent, ["handling_mean_h", "handling_p90_h"]] = np.nan
    out = out.merge(data.days[["day", "load_ratio", "campaign_day", "peak"]], on="day", how="left")
    out[["campaign_day", "peak"]] = out[["campaign_day", "peak"]].fillna(False).astype(bool)
    return out[cols]


def _daily_fulfilment_sql(data: OpsData, since: pd.Timestamp | str | None, until: pd.Timestamp | str | None
                          ) -> pd.DataFrame:
    """:func:`daily_fulfilment`'s per-day sums as one ``GROUP BY`` on DuckDB: one row per payment day comes back
    (at 100M lines the orders of its 20 weeks did not fit in 4 GB of pandas). ``handling_p90_h`` is
    ``quantile_cont`` (linear interpolation, as pandas' ``quantile``)."""
    from opslib.operations.tables import ORDER_TABLE, ts

    t = data.tables
    h = f"({t.seconds('paid_ts', 'shipped_ts')} / 3600.0)"
    hh = f"(CASE WHEN {h} >= 0 THEN {h} END)"
    shift = t.promise_shift.total_seconds()
    cut = ["NOT cancelled", "paid_ts IS NOT NULL"]
    cut += [f"paid_ts >= {ts(pd.Timestamp(since).ceil('D'))}"] if since is not None else []  # day >= since
    cut += [f"paid_ts < {ts(pd.Timestamp(until).normalize() + pd.Timedelta(days=1))}"] if until is not None else []
    sql = f"""SELECT date_trunc('day', paid_ts) AS day, count(*) AS paid_orders, avg({hh}) AS handling_mean_h,
            quantile_cont({hh}, 0.9) AS handling_p90_h,
            avg(CASE WHEN paid_ts <= {ts(data.as_of - pd.Timedelta(hours=48))}
                     THEN CASE WHEN {hh} <= 48 THEN 1.0 ELSE 0.0 END END) AS shipped_48h,
            avg(CASE WHEN promised_ts <= {ts(data.as_of - t.promise_shift)}
                     THEN CASE WHEN delivered_ts IS NOT NULL
                               AND {t.seconds('promised_ts', 'delivered_ts')} <= {shift} THEN 1.0 ELSE 0.0 END
                     END) AS on_time_rate
            FROM {ORDER_TABLE} WHERE {' AND '.join(cut)} GROUP BY 1 ORDER BY 1"""
    out = t.query(sql)
    out["day"] = pd.to_datetime(out["day"]).astype("datetime64[ns]")
    out["paid_orders"] = out["paid_orders"].astype("int64")
    for c in ("handling_mean_h", "handling_p90_h", "shipped_48h", "on_time_rate"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def _daily_fulfilment_frame(data: OpsData, since: pd.Timestamp | str | None, until: pd.Timestamp | str | None
                            ) -> pd.DataFrame:
    """:func:`daily_fulfilment`'s per-day sums in pandas (a data set built from frames, or Spark)."""
    if data.on_engine and (since is not None or until is not None):
        from opslib.operations.tables import ts

        cut = [f"paid_ts >= {ts(pd.Timestamp(since))}"] if since is not None else []
        cut += [f"paid_ts < {ts(pd.Timestamp(until) + pd.Timedelta(days=1))}"] if until is not None else []
        data = data.window(orders=" AND ".join(cut))
    o = _live(data.orders, None)
    day = o["paid_ts"].dt.normalize()
    keep = pd.Series(True, index=o.index)
    if since is not None:
        keep &= day >= pd.Timestamp(since)
    if until is not None:
        keep &= day <= pd.Timestamp(until)
    o, day = o[keep], day[keep]
    due = o["promise_end"] <= data.as_of
    f = pd.DataFrame({"day": day, "h": o["handling_h"], "s48": (o["handling_h"] <= 48).astype(float).where(o["paid_ts"] +
                      pd.Timedelta(hours=48) <= data.as_of),
                      "ot": o["on_time"].astype(float).where(due)})
    g = f.groupby("day")
    return pd.DataFrame({"paid_orders": g.size(), "handling_mean_h": g["h"].mean(),
                         "handling_p90_h": g["h"].quantile(0.9), "shipped_48h": g["s48"].mean(),
                         "on_time_rate": g["ot"].mean()}).reset_index()


def peak_handling_delay(data: OpsData, until: pd.Timestamp | str | None = None, settle_days: int = 7,
                        controls: tuple[str, ...] = ("weekday", "month", "warehouse")) -> Effect:
    """Extra handling hours on peak days (campaign days, or high-load days without a campaigns table).

    Model: ``handling_h = a + δ·peak_day + weekday + month + warehouse + e`` by OLS over non-cancelled shipped
    orders paid up to ``until`` and at least ``settle_days`` before ``as_of`` (so slow orders are not missing
    at the end); ``peak_day`` is the order's day. ``δ`` is the peak-day delay in hours. Standard errors are
    clustered by day (the peak flag is a day-level treatment), computed exactly from (day × warehouse) cells
    (``opslib.operations.stats.cell_ols``).

    Parameters:
        data: the :class:`OpsData`. until: last payment day used (default: all). settle_days: see above.
        controls: fixed effects among ``weekday``, ``month``, ``warehouse``, ``carrier``, ``region``.

    Returns:
        :class:`~opslib.operations.effects.Effect` (unit: hours); ``groups`` holds the raw means per day type
        with the mean paid orders per day (the load).

    Example:
        >>> import pandas as pd
        >>> from opslib.operations.dataset import OpsData
        >>> o = pd.DataFrame({"cancelled": False, "paid_ts": pd.to_datetime(["2024-01-01", "2024-01-01",
        ...     "2024-01-02", "2024-01-03"]), "handling_h": [30.0, 34.0, 10.0, 14.0], "peak": [True, True, False, False],
        ...     "warehouse": "A", "weekday": 0, "month": "2024-01"})
        >>> d = OpsData(orders=o, days=pd.DataFrame(), reviews=None, contacts=None,
        ...             as_of=pd.Timestamp("2024-02-01"), has_fulfilment=True, peak_rule="campaign")
        >>> round(peak_handling_delay(d, controls=()).estimate(), 1)  # 32 - 12
        20.0
    """
    label = "峰值日处理延迟 peak-day handling delay"
    if not data.has_fulfilment:
        return Effect(label=label, unit="hours", reason=data.skip_reason("fulfilment") or _NO_FULFILMENT)
    last = data.as_of - pd.Timedelta(days=settle_days)
    if until is not None:
        last = min(last, pd.Timestamp(until) + pd.Timedelta(days=1))
    if data.on_engine and set(controls) <= {"weekday", "month", "warehouse", "carrier", "region"}:
        o = _handling_cells(data, last, controls)  # one row per (payment day, order day, controls): n, Σy, Σy²
    else:
        o = _live(data.orders, None).dropna(subset=["handling_h"])
        o = o[o["paid_ts"] < last]
        o = o.assign(paid_day=o["paid_ts"].dt.normalize(), peak=o["peak"].astype(int), n=1,
                     sum_y=o["handling_h"], sum_y2=o["handling_h"] ** 2)
    if o["peak"].nunique() < 2:
        which = "peak" if not o["peak"].any() else "normal"
        return Effect(label=label, unit="hours", n=int(o["n"].sum()),
                      reason=f"no {which} days among the settled orders: nothing to compare")
    fixed = [c for c in controls if c in o.columns and o[c].nunique() > 1]
    from opslib.operations.tables import group_moments, regroup

    cells = regroup(o, ["paid_day", "peak", *fixed])
    fit = cell_ols(cells, ["peak"], fixed, cluster="paid_day")
    per_day = o.groupby(["paid_day", "peak"])["n"].sum().groupby(level="peak").mean()
    g = group_moments(o, "peak")
    lo, hi = mean_interval(g["mean"], g["std"], g["size"])
    groups = pd.DataFrame({"group": [CAMPAIGN_LABELS[bool(i)] if data.peak_rule == "campaign" else
                                     ("峰值日 peak day" if i else "平日 normal day") for i in g.index],
                           "mean": g["mean"].to_numpy(), "low": lo, "high": hi, "n": g["size"].to_numpy(),
                           "per_day": per_day.reindex(g.index).to_numpy()})
    ratio = float(per_day.get(1, np.nan) / per_day.get(0, np.nan))
    notes = (f"peak days by {data.peak_rule}; they carry {ratio:.1f}x the paid orders of a normal day",)
    return Effect(label=label, unit="hours", terms=terms_of(fit, {"peak": "peak day 峰值日"}), groups=groups,
                  n=fit.n, controls=tuple(fixed), cov_type=f"standard errors clustered by day ({fit.groups} days)",
                  notes=notes)


def _handling_cells(data: OpsData, last: pd.Timestamp, controls: tuple[str, ...]) -> pd.DataFrame:
    """Handling hours of the settled, shipped, non-cancelled orders paid before ``last`` as cells from SQL: per
    payment day, order day and the order controls among warehouse, carrier, region: ``n``, ``sum_y``,
    ``sum_y2``; with ``peak`` (0/1), ``weekday`` and ``month`` of the order day."""
    from opslib.operations.tables import ORDER_TABLE, cells_frame, day_columns, ts

    t = data.tables
    keys = [c for c in ("warehouse", "carrier", "region") if c in controls]
    sel = "".join(f", {k}" for k in keys)
    y = f"{t.seconds('paid_ts', 'shipped_ts')} / 3600.0"
    c = t.query(f"""SELECT CAST(paid_ts AS DATE) AS paid_day, CAST(order_ts AS DATE) AS order_day{sel},
                    count(*) AS n, sum(y) AS sum_y, sum(y * y) AS sum_y2
                    FROM (SELECT *, {y} AS y FROM {ORDER_TABLE}
                          WHERE NOT cancelled AND shipped_ts >= paid_ts AND paid_ts < {ts(last)}) x
                    GROUP BY CAST(paid_ts AS DATE), CAST(order_ts AS DATE){sel}""")
    c = day_columns(cells_frame(c), data.days)
    c["paid_day"] = pd.to_datetime(c["paid_day"])
    c["peak"] = c["peak"].astype(int)
    return c


@dataclass
class CarrierComparison:
    """Carriers (or another ``by`` group) side by side, every rate with its 95 % interval.

    ``table`` columns: the group, ``due``, ``on_time_rate`` (+ ``_low``/``_high``), ``adjusted_on_time_rate``
    (+ interval; standardised to the shop's region mix), ``diff_vs_rest`` (+ interval, ``p``), ``transit_mean_h``
    (+ interval), ``transit_p90_h``, ``lost_rate`` (+ interval), ``review_score`` (+ interval) when reviews exist.
    """

    table: pd.DataFrame
    by: str
    adjusted_for: str | None
    reason: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> pd.DataFrame:
        """The comparison table (empty, with the reason in ``attrs["skipped"]``, when not possible)."""
        if self.reason is not None:
            out = pd.DataFrame()
            out.attrs["skipped"] = f"carrier comparison: {self.reason}"
            return out
        return self.table

    def plot(self):
        """On-time rate and transit time per group with intervals (``opslib.plotting.operations.carrier_chart``)."""
        if self.reason is not None:
            print(f"carrier comparison: {self.reason}")
            return None
        from opslib.plotting.operations import carrier_chart

        return carrier_chart(self.table, self.by)


def carrier_comparison(data: OpsData, period: Period | tuple | None = None, by: str = "carrier",
                       adjust_for: str | None = "region") -> CarrierComparison:
    """Compare carriers on on-time delivery, transit time, lost parcels and review score, with intervals.

    Formulas (non-cancelled orders paid in ``period``): on-time rate ``p_c = on_time_c / due_c`` with a Wilson
    interval; adjusted rate ``Σ_r w_r p_{c,r}`` with ``w_r`` the share of region ``r`` among all due orders (so a
    carrier that mostly serves far regions is not blamed for distance), ``se = sqrt(Σ w_r² p(1-p)/n_{c,r})``;
    ``diff_vs_rest = p_c − p_rest`` with ``se = sqrt(p_c(1-p_c)/n_c + p_r(1-p_r)/n_r)`` and a two-sided p-value;
    transit mean ± 1.96·sd/√n; lost rate = lost / shipped orders whose grace period is over (Wilson); review
    score mean ± 1.96·sd/√n over the group's reviewed orders.

    Parameters:
        data: the :class:`OpsData`. period: payment days. by: carrier, warehouse, region ... adjust_for: the mix
            to standardise on-time rates to (None: no adjustment).

    Returns:
        :class:`CarrierComparison`.
    """
    from scipy.stats import norm

    if not data.has_fulfilment:
        return CarrierComparison(pd.DataFrame(), by, adjust_for, reason=data.skip_reason("fulfilment"))
    data = period_window(data, period, orders="paid_ts", reviews_of_orders="1")
    o = _live(data.orders, period)
    o = o.assign(**{by: o[by].fillna("(unknown)")})
    due = o[o["promise_end"] <= data.as_of].assign(ok=lambda x: x["on_time"].astype(float))
    if due.empty:
        return CarrierComparison(pd.DataFrame(), by, adjust_for, reason="no order in the period has a promised "
                                 "delivery time that has passed (promised_ts): on-time rates cannot be compared")
    if due[by].nunique() < 2:
        only = ", ".join(map(str, due[by].unique())) or "none"
        return CarrierComparison(pd.DataFrame(), by, adjust_for,
                                 reason=f"only one {by} ({only}) among the due orders: nothing to compare")
    g = due.groupby(by)["ok"].agg(["sum", "size"])
    p = g["sum"] / g["size"]
    lo, hi = wilson_interval(g["sum"], g["size"])
    t = pd.DataFrame({by: g.index, "due": g["size"].to_numpy(), "on_time_rate": p.to_numpy(),
                      "on_time_low": lo, "on_time_high": hi})
    rest_k, rest_n = g["sum"].sum() - g["sum"], g["size"].sum() - g["size"]
    pr = rest_k / rest_n
    se = np.sqrt(p * (1 - p) / g["size"] + pr * (1 - pr) / rest_n)
    t["diff_vs_rest"] = (p - pr).to_numpy()
    t["diff_low"] = (p - pr - 1.96 * se).to_numpy()
    t["diff_high"] = (p - pr + 1.96 * se).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        t["p"] = 2 * norm.sf(np.abs(((p - pr) / se).to_numpy()))
    notes: list[str] = []
    if adjust_for is not None and adjust_for in due and due[adjust_for].nunique() > 1:
        w = due[adjust_for].value_counts(normalize=True)
        cell = due.groupby([by, adjust_for])["ok"].agg(["mean", "size"])
        adj, adj_se = [], []
        for c in t[by]:
            part = cell.loc[c]
            ww = w.reindex(part.index)
            if ww.sum() < 0.999:
                notes.append(f"{c} serves only part of the {adjust_for}s: its adjusted rate uses the regions it serves")
            ww = ww / ww.sum()
            adj.append(float((ww * part["mean"]).sum()))
            adj_se.append(float(np.sqrt((ww**2 * part["mean"] * (1 - part["mean"]) / part["size"]).sum())))
        t["adjusted_on_time_rate"] = adj
        t["adjusted_low"] = np.clip(np.array(adj) - 1.96 * np.array(adj_se), 0, 1)
        t["adjusted_high"] = np.clip(np.array(adj) + 1.96 * np.array(adj_se), 0, 1)
    else:
        adjust_for = None
    tr = o.groupby(by)["transit_h"].agg(["mean", "std", "count"])
    tlo, thi = mean_interval(tr["mean"], tr["std"], tr["count"])
    tr_t = pd.DataFrame({by: tr.index, "transit_mean_h": tr["mean"].to_numpy(), "transit_low": tlo,
                         "transit_high": thi, "transit_p90_h": o.groupby(by)["transit_h"].quantile(0.9).to_numpy()})
    t = t.merge(tr_t, on=by, how="left")
    settled = o[o["shipped_ts"].notna() & (o["promise_end"] + pd.Timedelta(days=data.grace_days) <= data.as_of)]
    ls = settled.groupby(by)["lost"].agg(["sum", "size"])
    llo, lhi = wilson_interval(ls["sum"], ls["size"])
    t = t.merge(pd.DataFrame({by: ls.index, "lost_rate": (ls["sum"] / ls["size"]).to_numpy(), "lost_low": llo,
                              "lost_high": lhi}), on=by, how="left")
    if data.has("reviews") and by in data.reviews:
        r = data.reviews[data.reviews["order_id"].isin(o["order_id"])]
        s = r.groupby(r[by].fillna("(unknown)"))["score"].agg(["mean", "std", "size"])
        slo, shi = mean_interval(s["mean"], s["std"], s["size"])
        t = t.merge(pd.DataFrame({by: s.index, "review_score": s["mean"].to_numpy(), "score_low": slo,
                                  "score_high": shi, "reviews": s["size"].to_numpy()}), on=by, how="left")
    t = t.sort_values("due", ascending=False).reset_index(drop=True)
    return CarrierComparison(t, by, adjust_for, notes=tuple(dict.fromkeys(notes)))


#: Delivery status of a non-cancelled order, in the order the table lists them.
STATUSES = ("已准时送达 delivered on time", "已送达但迟到 delivered late", "运输中 in transit",
            "逾期未送达 overdue, not delivered", "待发货 awaiting shipment", "丢件 lost")


def delivery_status(data: OpsData, period: Period | tuple | None = None, by: str | None = None) -> pd.DataFrame:
    """Where every non-cancelled order paid in ``period`` stands, as of the end of the data.

    Rules (first that applies): lost (see module docstring); delivered on time / late; shipped and the promise
    not yet passed: in transit; shipped and the promise passed: overdue; not shipped: awaiting shipment.

    Parameters:
        data: the :class:`OpsData`. period: payment days. by: a group column (carrier, warehouse ...) or None.

    Returns:
        One row per (``by`` group and) status: ``orders`` and ``share`` of the group's orders.
    """
    cols = [*([by] if by else []), "status", "orders", "share"]
    if not data.has_fulfilment:
        return _skip(cols, data.skip_reason("fulfilment") or _NO_FULFILMENT)
    o = _live(period_window(data, period, orders="paid_ts").orders, period)
    shipped, delivered = o["shipped_ts"].notna(), o["delivered_ts"].notna()
    passed = o["promise_end"] <= data.as_of
    status = np.select([o["lost"].astype(bool), delivered & ~o["late"].astype(bool), delivered,
                        shipped & ~passed, shipped], list(STATUSES[i] for i in (5, 0, 1, 2, 3)), STATUSES[4])
    f = o.assign(status=pd.Categorical(status, categories=STATUSES, ordered=True))
    keys = [by, "status"] if by else ["status"]
    if by:
        f[by] = f[by].fillna("(unknown)")
    out = f.groupby(keys, observed=True).size().rename("orders").reset_index()
    tot = out.groupby(by)["orders"].transform("sum") if by else out["orders"].sum()
    out["share"] = out["orders"] / tot
    out["status"] = out["status"].astype(str)
    return out[cols]


def lost_parcels(data: OpsData, period: Period | tuple | None = None) -> pd.DataFrame:
    """The lost parcels of orders paid in ``period``: the list the logistics team claims from the carriers.

    Parameters:
        data: the :class:`OpsData`. period: payment days (None: all).

    Returns:
        ``order_id``, ``paid_ts``, ``shipped_ts``, ``promised_ts``, ``days_overdue`` (as_of − promise_end, days),
        ``carrier``, ``warehouse``, ``region``, ``sku``, ``gmv``; most overdue first.
    """
    cols = ["order_id", "paid_ts", "shipped_ts", "promised_ts", "days_overdue", "carrier", "warehouse", "region",
            "sku", "gmv"]
    if not data.has_fulfilment:
        return _skip(cols, data.skip_reason("fulfilment") or _NO_FULFILMENT)
    o = _live(period_window(data, period, orders="paid_ts").orders, period)
    o = o[o["lost"].astype(bool)]
    o = o.assign(days_overdue=((data.as_of - o["promise_end"]) / pd.Timedelta(days=1)).round(1))
    return o.sort_values("days_overdue", ascending=False)[cols].reset_index(drop=True)


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("handling_time", "处理时长", "Handling time", "shipped − paid, in hours (the warehouse's part)",
         "opslib.operations.fulfilment.durations_by", "06"),
    Term("transit_time", "运输时长", "Transit time", "delivered − shipped, in hours (the carrier's part)",
         "opslib.operations.fulfilment.durations_by", "06"),
    Term("on_time_rate", "准时率", "On-time delivery rate", "orders delivered by the promised time / orders whose "
         "promise has passed (an overdue parcel not yet delivered is not on time)", "opslib.operations.fulfilment.durations_by", "06"),
    Term("peak_handling_delay", "大促发货延迟", "Peak-day handling delay", "OLS handling = a + δ·peak + weekday + month + "
         "warehouse, errors clustered by day; δ = extra hours on a peak day", "opslib.operations.fulfilment.peak_handling_delay", "06"),
    Term("region_adjusted_on_time", "区域调整准时率", "Region-adjusted on-time rate", "Σ region share of the shop × the "
         "carrier's on-time rate in that region", "opslib.operations.fulfilment.carrier_comparison", "06"),
    Term("lost_parcel", "丢件", "Lost parcel", "shipped and still not delivered 14 days after the promise",
         "opslib.operations.fulfilment.lost_parcels", "06"),
)
