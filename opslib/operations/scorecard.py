"""Score every department against its norms: the period's value with an interval, the weekly trend, the
exceptions (orders, contacts, reviews, SKUs) behind each norm, where a shortfall concentrates, and the hand-off
pack each team gets.

Status of a norm over the period:

* ``met`` 达标 — the value is on the right side of the target;
* ``breached`` 未达标 — it is not; ``certain`` when the whole 95 % interval is on the wrong side too (the
  breach is not noise);
* ``too_few`` 样本不足 — fewer than ``min_units`` due units in the period: not judged;
* ``skipped`` 跳过 — the shop lacks the table the metric needs (the reason says which).

Example:
    >>> import pandas as pd
    >>> from opslib.operations.dataset import OpsData
    >>> from opslib.operations.norms import norms_from_mapping
    >>> o = pd.DataFrame({"order_id": list("abcd"), "order_ts": pd.to_datetime(["2024-01-01"] * 4),
    ...     "cancelled": [False, False, False, True], "units": 1, "campaign_day": False})
    >>> d = OpsData(orders=o, days=pd.DataFrame(), reviews=None, contacts=None, as_of=pd.Timestamp("2024-01-31"),
    ...             has_fulfilment=False, peak_rule="load")
    >>> n = norms_from_mapping({"departments": {"ops": {"owner": "Wang", "norms": {
    ...     "cancel": {"metric": "cancellation_rate", "at_most": 0.1, "min_units": 2}}}}})
    >>> card = score_norms(d, n, ("2024-01-01", "2024-01-31"))
    >>> card.results[["norm", "value", "status"]].values.tolist()  # 1 of 4 cancelled = 25% > 10%
    [['ops.cancel', 0.25, 'breached']]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opslib.calendar import Period, period_bounds
from opslib.kpi import Term
from opslib.operations.dataset import CAMPAIGN_LABELS, OpsData
from opslib.operations.metrics import METRICS, UNIT_COLUMNS, metric_units
from opslib.operations.norms import Norm, Norms
from opslib.operations.stats import mean_interval, wilson_interval

STATUS_LABELS = {"met": "达标 met", "breached": "未达标 breached", "too_few": "样本不足 too few", "skipped": "跳过 skipped"}
#: Dimensions a shortfall is traced along (those present in a norm's units).
CONTRIBUTOR_DIMENSIONS = ("carrier", "warehouse", "region", "category", "campaign_day", "agent", "reason", "topic",
                          "sku")
#: Columns of a breach list, in this order (those that apply to the metric are filled).
BREACH_COLUMNS = ("department", "owner", "norm", "label", "ref_ts", "order_id", "contact_id", "sku", "category",
                  "carrier", "warehouse", "region", "agent", "reason", "topic", "campaign_day", "measure")


def _scoped(units: pd.DataFrame, scope: str) -> pd.DataFrame:
    if scope == "campaign_days":
        return units[units["campaign_day"]]
    if scope == "normal_days":
        return units[~units["campaign_day"]]
    return units


def _in(units: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    t = units["ref_ts"]
    return units[(t >= start) & (t < end + pd.Timedelta(days=1))]


def _value(units: pd.DataFrame, kind: str) -> tuple[float, float, float]:
    n = len(units)
    if n == 0:
        return np.nan, np.nan, np.nan
    v = units["value"].to_numpy(dtype=float)
    if kind == "share":
        lo, hi = wilson_interval(v.sum(), n)
    else:
        lo, hi = mean_interval(v.mean(), v.std(ddof=1) if n > 1 else np.nan, n)
    return float(v.mean()), float(lo), float(hi)


def _status(norm: Norm, value: float, lo: float, hi: float, n: int) -> tuple[str, bool]:
    if n < norm.min_units:
        return "too_few", False
    bad = norm.shortfall(value) > 0
    if not bad:
        return "met", False
    certain = (lo > norm.target) if norm.direction == "at_most" else (hi < norm.target)
    return "breached", bool(certain)


@dataclass
class Scorecard:
    """The norms scored over ``period`` (see the module docstring).

    ``results``: one row per norm — ``department``, ``department_name``, ``owner``, ``norm``, ``label``,
    ``metric``, ``kind``, ``direction``, ``target``, ``value``, ``low``, ``high``, ``units``, ``fails``,
    ``shortfall`` (target − value for at_least, value − target for at_most; > 0 is a breach), ``status``,
    ``certain``, ``reason``. ``trend``: ``norm``, ``week`` (Monday), ``value``, ``units``. ``units``: each norm's
    unit rows in the period (``opslib.operations.metrics``), computed when asked for (on a shop's engine only the
    period's rows are read). The scorecard itself keeps only each norm's failing units (``fails``: the
    exceptions) and its group means and sizes per contributor dimension (``groups``).
    """

    norms: Norms
    period: Period | tuple
    as_of: pd.Timestamp
    results: pd.DataFrame
    trend: pd.DataFrame
    units: Mapping[str, pd.DataFrame] = field(repr=False, default_factory=dict)
    fails: dict[str, pd.DataFrame | _Spilled] = field(repr=False, default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(repr=False, default_factory=dict)

    def _fails(self, norm: str) -> pd.DataFrame | _Spilled | None:
        if norm in self.fails:
            return self.fails[norm]
        u = self.units.get(norm)
        return None if u is None else u[u["fail"]]

    def _groups(self, norm: str, dimensions: tuple[str, ...]) -> dict[str, Any] | None:
        if norm in self.groups and set(dimensions) <= set(CONTRIBUTOR_DIMENSIONS):
            return self.groups[norm]
        u = self.units.get(norm)
        if u is None or u.empty:
            return None
        return _group_stats(u, next(x for x in self.norms.norms if x.id == norm), dimensions)

    def summary(self) -> pd.DataFrame:
        """The results table (one row per norm)."""
        return self.results

    def breached(self) -> pd.DataFrame:
        """The results of the breached norms, largest shortfall relative to the target first."""
        r = self.results[self.results["status"] == "breached"]
        rel = r["shortfall"] / r["target"].abs().replace(0, np.nan)
        return r.assign(_rel=rel).sort_values("_rel", ascending=False).drop(columns="_rel").reset_index(drop=True)

    def departments(self) -> pd.DataFrame:
        """One row per department: norms, met, breached (certain), too few, skipped, and its worst norm.

        ``score`` = met / judged norms (met + breached); ``worst`` = the breached norm with the largest shortfall
        relative to its target.
        """
        rows = []
        for did, dept in self.norms.departments.items():
            r = self.results[self.results["department"] == did]
            b = r[r["status"] == "breached"]
            judged = int(((r["status"] == "met") | (r["status"] == "breached")).sum())
            worst = ""
            if len(b):
                rel = (b["shortfall"] / b["target"].abs().replace(0, np.nan)).fillna(0)
                worst = str(b.loc[rel.idxmax(), "label"])
            rows.append({"department": did, "name": dept.name, "owner": dept.owner, "norms": len(r),
                         "met": int((r["status"] == "met").sum()), "breached": len(b),
                         "certain": int(b["certain"].sum()), "too_few": int((r["status"] == "too_few").sum()),
                         "skipped": int((r["status"] == "skipped").sum()),
                         "score": (int((r["status"] == "met").sum()) / judged) if judged else np.nan, "worst": worst})
        return pd.DataFrame(rows)

    def breaches(self, department: str | None = None, norm: str | None = None, only_breached: bool = True,
                 limit: int | None = None) -> pd.DataFrame:
        """The units behind the norms: each failing order, contact or review of the period, with what identifies
        it (:data:`BREACH_COLUMNS`). By default only for breached norms; ``department`` / ``norm`` filter.

        Worst first within a norm (largest ``measure`` for time and count metrics, lowest score for reviews).
        """
        frames = []
        for _, r in self.results.iterrows():
            if department is not None and r["department"] != department:
                continue
            if norm is not None and r["norm"] != norm:
                continue
            if only_breached and r["status"] != "breached":
                continue
            f = self._fails(r["norm"])
            if f is None or f.empty:
                continue
            asc = METRICS[r["metric"]].unit == "reviews"
            if isinstance(f, _Spilled):  # on disk: sorted and cut by DuckDB, only ``limit`` rows read
                f = f.worst(asc, limit)
            else:
                f = f.sort_values("measure", ascending=asc, na_position="first")
            if limit is not None:
                f = f.head(limit)
            frames.append(f.assign(department=r["department"], owner=r["owner"], norm=r["norm"], label=r["label"]))
        if not frames:
            return pd.DataFrame(columns=list(BREACH_COLUMNS))
        out = pd.concat(frames, ignore_index=True)
        out["campaign_day"] = out["campaign_day"].map(CAMPAIGN_LABELS)
        return out[list(BREACH_COLUMNS)]

    def worst_norm(self) -> str | None:
        """The id of the breached norm with the largest shortfall relative to its target, or None."""
        b = self.breached()
        return None if b.empty else str(b.loc[0, "norm"])

    def contributors(self, norm: str | None, dimensions: tuple[str, ...] = CONTRIBUTOR_DIMENSIONS, top: int = 3,
                     min_units: int = 10) -> pd.DataFrame:
        """Where a norm's shortfall concentrates: the groups that miss the target by the most units.

        Formula: for group ``g`` with ``n_g`` units and value ``v_g``, ``excess_g = n_g · shortfall(v_g)`` (for a
        share norm, the failing units beyond what the target allows: ``fails_g − n_g·(1 − target)`` for
        at_least); ``closes = excess_g / (n · shortfall)``, the part of the whole period's gap that would close
        if that group alone met the target (``>= 1``: fixing it alone meets the norm). Units without a value for
        the dimension (a pre-sale contact has no carrier) and groups under ``min_units`` are left out, and so are
        dimensions known only for failing units or fixed by the norm itself (the topic of a norm on one topic);
        the ``top`` groups per dimension with positive excess are listed.

        Returns:
            ``dimension``, ``group``, ``units``, ``value``, ``excess``, ``closes``; largest excess first (empty
            for ``norm=None``); ``attrs["kind"]`` is the norm's kind (share or mean).
        """
        cols = ["dimension", "group", "units", "value", "excess", "closes"]
        stats = self._groups(norm, dimensions) if norm is not None else None
        if stats is None:
            return pd.DataFrame(columns=cols)
        n = next(x for x in self.norms.norms if x.id == norm)
        total = stats["units"] * n.shortfall(stats["value"])
        rows = []
        for dim in dimensions:
            g = stats["by"].get(dim)
            if g is None:
                continue
            g = g[g["size"] >= min_units]
            excess = g["size"] * g["mean"].map(n.shortfall)
            for grp in excess[excess > 0].sort_values(ascending=False).head(top).index:
                rows.append({"dimension": dim, "group": grp, "units": int(g.loc[grp, "size"]),
                             "value": float(g.loc[grp, "mean"]), "excess": float(excess[grp]),
                             "closes": float(excess[grp] / total) if total > 0 else np.nan})
        out = pd.DataFrame(rows, columns=cols).sort_values("excess", ascending=False).reset_index(drop=True)
        out.attrs["kind"] = n.kind
        return out

    def top_contributor(self, norm: str, min_units: int = 10) -> str:
        """One line naming where a breached norm's shortfall sits, e.g. ``agent 客服07: fixing it alone meets the
        norm`` or ``carrier 圆通: 41% of the gap``.

        Rule: the groups whose excess is within 10 % of the largest (SKUs only when no other dimension has a
        contributor); of those, the one with the fewest units — the most concentrated cause.
        """
        c = self.contributors(norm, top=1, min_units=min_units)
        if c.empty:
            return ""
        if (c["dimension"] != "sku").any():
            c = c[c["dimension"] != "sku"]
        near = c[c["excess"] >= 0.9 * c["excess"].max()]
        best = near.sort_values(["units", "excess"], ascending=[True, False]).iloc[0]
        how = "fixing it alone meets the norm" if best["closes"] >= 1 else f"{best['closes'] * 100:.0f}% of the gap"
        return f"{best['dimension']} {best['group']}: {how}"

    def plot(self):
        """Every norm against its target, grouped by department (``opslib.plotting.operations.scorecard_chart``)."""
        from opslib.plotting.operations import scorecard_chart

        return scorecard_chart(self.results)

    def plot_trend(self, departments: list[str] | None = None):
        """The weekly value of every norm with its target (``opslib.plotting.operations.norm_trend_chart``)."""
        from opslib.plotting.operations import norm_trend_chart

        res = self.results if departments is None else self.results[self.results["department"].isin(departments)]
        return norm_trend_chart(self.trend, res)

    def export(self, folder: str | Path, formats: tuple[str, ...] = ("xlsx", "csv")) -> list[Path]:
        """Write the hand-off pack of every department (:func:`export_packs`)."""
        return export_packs(self, folder, formats)


def score_norms(data: OpsData, norms: Norms, period: Period | tuple, trend_start: pd.Timestamp | str | None = None,
                ) -> Scorecard:
    """Score every norm of ``norms`` over ``period`` (days of the units' ``ref_ts``) and weekly since
    ``trend_start`` (default: 12 weeks before the period).

    Formula per norm: the units of its metric that came due in the period (``opslib.operations.metrics``) and
    its scope; value
    = mean of the unit values (a share, a mean score, contacts per 100 orders); 95 % interval: Wilson for shares,
    ``mean ± 1.96·sd/√n`` for means; status as in the module docstring.

    Parameters:
        data: the :class:`OpsData`. norms: :class:`~opslib.operations.norms.Norms`. period: the days scored.
        trend_start: first week of the trend.

    Returns:
        :class:`Scorecard`.
    """
    start, end = period_bounds(period)
    tstart = pd.Timestamp(trend_start) if trend_start is not None else start - pd.Timedelta(weeks=12)
    tstart = tstart - pd.Timedelta(days=tstart.day_of_week)
    rows, trend, fails, groups = [], [], {}, {}
    first, stop = min(tstart, start), end + pd.Timedelta(days=1)
    scopes = _pieces(data, first, stop)
    spill = _Spill() if len(scopes) > 1 else None
    weekly: dict[str, list[pd.DataFrame]] = {}
    acc: dict[str, _Acc | None] = {}
    a, b = first, stop
    for scope in scopes:
        source = _shared_window(data, norms, [(a, b)], scope)
        for n in norms.norms:
            units = metric_units(source, n.metric, n.params, ranges=[(a, b)])
            if units is None:
                acc[n.id] = None
                continue
            units = _scoped(units, n.scope)
            t = units[units["ref_ts"] >= tstart]
            if len(t):
                wk = (t["ref_ts"].dt.normalize() - pd.to_timedelta(t["ref_ts"].dt.day_of_week, unit="D"))
                weekly.setdefault(n.id, []).append(t.groupby(wk)["value"].agg(["sum", "size"]))
            acc.setdefault(n.id, _Acc(n, spill)).add(_in(units, start, end))
            del units, t
        del source
    for n in norms.norms:
        m = METRICS[n.metric]
        base = {"department": n.department, "department_name": norms.departments[n.department].name,
                "owner": n.owner, "norm": n.id, "label": n.label, "metric": n.metric, "kind": m.kind,
                "direction": n.direction, "target": n.target, "target_text": n.describe_target(), "scope": n.scope}
        cur = acc.get(n.id)
        if cur is None:
            reason = data.skip_reason(m.needs) or f"no {m.needs} data"
            rows.append({**base, "value": np.nan, "low": np.nan, "high": np.nan, "units": 0, "fails": 0,
                         "shortfall": np.nan, "status": "skipped", "certain": False,
                         "reason": f"needs the {m.needs} table: {reason}"})
            continue
        value, lo, hi = cur.value(m.kind)
        status, certain = _status(n, value, lo, hi, cur.n)
        reason = (f"{cur.n} units in the period, fewer than min_units {n.min_units}" if status == "too_few" else "")
        rows.append({**base, "value": value, "low": lo, "high": hi, "units": cur.n, "fails": cur.n_fail,
                     "shortfall": n.shortfall(value) if cur.n else np.nan, "status": status, "certain": certain,
                     "reason": reason})
        fails[n.id] = cur.fails()
        if cur.n:
            groups[n.id] = cur.groups()
        if weekly.get(n.id):
            g = pd.concat(weekly[n.id]).groupby(level=0).sum()
            trend.append(pd.DataFrame({"norm": n.id, "week": g.index, "value": (g["sum"] / g["size"]).to_numpy(),
                                       "units": g["size"].to_numpy()}))
    results = pd.DataFrame(rows)
    trend_f = pd.concat(trend, ignore_index=True) if trend else pd.DataFrame(columns=["norm", "week", "value", "units"])
    return Scorecard(norms=norms, period=period, as_of=data.as_of, results=results, trend=trend_f,
                     units=_PeriodUnits(data, norms, start, end), fails=fails, groups=groups)


#: Orders a scorecard reads into pandas at a time on the engine (with their reviews and contacts, about 1.3 GB
#: at 800k orders): beyond it the orders are read in ranges of ``order_id``, each over the whole trend and period.
WINDOW_ROWS = 800_000
#: Days before the first trend day whose orders a window holds too (units due up to 14 days after the order or
#: the promise: the settle and grace days).
_LEAD_DAYS = 16


def _rows_in(data: OpsData, start: pd.Timestamp, stop: pd.Timestamp) -> float:
    """Orders expected in ``[start, stop)`` at the shop's average orders per day (from ``prepare``'s totals)."""
    return _per_day(data) * max((stop - start).days, 1)


def _per_day(data: OpsData) -> float:
    s = data.tables.stats
    span_days = max((pd.Timestamp(s["last_ts"]) - pd.Timestamp(s["first_ts"])).days + 1, 1)
    return float(s["orders"]) / span_days


def _pieces(data: OpsData, first: pd.Timestamp, stop: pd.Timestamp) -> list[str | None]:
    """The ranges of orders ``score_norms`` reads one at a time, as ``order_id`` conditions (bounds: quantiles of
    the ids of the orders of ``[first − 16 days, stop)``): ``[None]`` (all at once) in pandas, on Spark, or when the
    orders behind ``[first, stop)`` are at most :data:`WINDOW_ROWS`. Every unit (an order, a review, a contact)
    belongs to exactly one range through its order id (those without one to the first), so the sums of the
    pieces are those of the whole; on the cached parts of ``ops_orders`` a range reads only its own row groups."""
    if not data.on_engine or not hasattr(data.tables.engine, "con"):
        return [None]
    lead = first - pd.Timedelta(days=_LEAD_DAYS)
    d = data.days
    if len(d) and "orders" in d:  # the orders of those days (a growing shop has more than its average lately)
        rows = float(d.loc[(d["day"] >= lead) & (d["day"] < stop), "orders"].sum())
    else:
        rows = _rows_in(data, lead, stop)
    if rows <= WINDOW_ROWS:
        return [None]
    from opslib.operations.tables import ORDER_TABLE, span

    k = -(-int(rows) // WINDOW_ROWS)
    qs = ", ".join(f"{i / k:.6f}" for i in range(1, k))
    # quantiles of the ids of the window's own orders (ids often grow with time: those of all orders would put
    # the recent ones in a few ranges)
    b = data.tables.engine.con.execute(f"SELECT quantile_disc(order_id, [{qs}]) FROM (SELECT order_id FROM "
                                       f"{ORDER_TABLE} WHERE {span('order_ts', lead, stop)}) USING SAMPLE "
                                       f"reservoir({200 * k + 100_000} ROWS) REPEATABLE (7)").fetchall()[0][0]
    bounds = sorted({v for v in (b or []) if v is not None})
    if not bounds:
        return [None]
    lit = ["'" + v.replace("'", "''") + "'" for v in bounds]
    out = [f"(order_id < {lit[0]} OR order_id IS NULL)"]
    out += [f"(order_id >= {a} AND order_id < {z})" for a, z in zip(lit, lit[1:], strict=False)]
    out.append(f"order_id >= {lit[-1]}")
    return out


class _Acc:
    """One norm's units of the period, kept as what the scorecard needs of them: the count, the sum and the
    squared deviations of ``value`` (pieces combined as Chan et al.'s parallel variance), the failing units
    (in pandas, or in Parquet files on disk when the period came in pieces), and per contributor dimension the
    sum and size of ``value`` of each group."""

    def __init__(self, norm: Norm, spill: _Spill | None) -> None:
        self.norm, self.spill = norm, spill
        self.n, self.n_fail, self.total, self.m2 = 0, 0, 0.0, 0.0
        self._fails: list[pd.DataFrame] = []
        self._by: dict[str, list[pd.DataFrame]] = {}
        self._known: dict[str, bool] = {}
        self._dims: tuple[str, ...] | None = None

    def add(self, u: pd.DataFrame) -> None:
        if self._dims is None:
            n = self.norm
            self._dims = tuple(d for d in CONTRIBUTOR_DIMENSIONS if d in u and not (
                (d == "campaign_day" and n.scope != "all") or (d == "topic" and n.params.get("topics"))))
        if not len(u):
            return
        v = u["value"].to_numpy(dtype=float)
        k, s = len(v), float(v.sum())
        m2 = float(((v - v.mean()) ** 2).sum())
        if self.n:
            delta = s / k - self.total / self.n
            self.m2 += m2 + delta * delta * self.n * k / (self.n + k)
        else:
            self.m2 = m2
        self.n, self.total = self.n + k, self.total + s
        f = u["fail"].to_numpy(dtype=bool)
        self.n_fail += int(f.sum())
        bad = u[f]
        if self.spill is not None:
            self.spill.write(self.norm.id, bad)
        else:
            self._fails.append(bad)
        for dim in self._dims:
            self._known[dim] = self._known.get(dim, False) or bool((u[dim].notna() & ~u["fail"]).any())
            key = u[dim].map(CAMPAIGN_LABELS) if dim == "campaign_day" else u[dim]
            self._by.setdefault(dim, []).append(u[key.notna()].groupby(key.dropna())["value"].agg(["sum", "size"]))

    def value(self, kind: str) -> tuple[float, float, float]:
        """As :func:`_value` of all the units: the mean and its 95 % interval."""
        if self.n == 0:
            return np.nan, np.nan, np.nan
        mean = self.total / self.n
        if kind == "share":
            lo, hi = wilson_interval(self.total, self.n)
        else:
            lo, hi = mean_interval(mean, float(np.sqrt(self.m2 / (self.n - 1))) if self.n > 1 else np.nan, self.n)
        return float(mean), float(lo), float(hi)

    def fails(self) -> pd.DataFrame | _Spilled:
        if self.spill is not None:
            return _Spilled(self.spill, self.norm.id, self.n_fail)
        if not self._fails:
            return pd.DataFrame(columns=list(UNIT_COLUMNS))
        return pd.concat(self._fails, ignore_index=True) if len(self._fails) > 1 else self._fails[0].reset_index(
            drop=True)

    def groups(self) -> dict[str, Any]:
        """As :func:`_group_stats` of all the units."""
        by = {}
        for dim in self._dims or ():
            if not self._known.get(dim):
                continue
            parts = self._by[dim]
            g = parts[0] if len(parts) == 1 else pd.concat(parts).groupby(level=0).sum()
            if len(g) < 2:
                continue
            by[dim] = pd.DataFrame({"mean": g["sum"] / g["size"], "size": g["size"]})
        return {"units": self.n, "value": self.total / self.n, "by": by}


def _group_stats(u: pd.DataFrame, n: Norm, dimensions: tuple[str, ...]) -> dict[str, Any]:
    """What :meth:`Scorecard.contributors` needs of a norm's units: their number and value, and per dimension
    the mean value and size of each group (dimensions that cannot locate a shortfall left out)."""
    by = {}
    for dim in dimensions:
        if dim not in u or (dim == "campaign_day" and n.scope != "all") or (dim == "topic" and n.params.get("topics")):
            continue
        if not (u[dim].notna() & ~u["fail"]).any():
            continue  # known only for failing units (the reason of a contact): it cannot locate a shortfall
        key = u[dim].map(CAMPAIGN_LABELS) if dim == "campaign_day" else u[dim]
        g = u[key.notna()].groupby(key.dropna())["value"].agg(["mean", "size"])
        if len(g) < 2:
            continue
        by[dim] = g
    return {"units": len(u), "value": float(u["value"].mean()), "by": by}


def _shared_window(data: OpsData, norms: Norms, ranges: list[tuple[pd.Timestamp, pd.Timestamp]],
                   scope: str | None = None) -> OpsData:
    """On the engine: one :meth:`OpsData.window` holding the rows of every norm's units due in ``ranges`` (the
    union of the norms' cuts, read once instead of once per norm) of the orders in ``scope`` (an ``order_id``
    condition, None: all); in pandas: ``data``."""
    if not data.on_engine:
        return data
    from opslib.operations.metrics import _cut
    from opslib.operations.tables import any_of

    parts: dict[str, list[str]] = {}
    for n in norms.norms:
        m = METRICS[n.metric]
        if m.needs is not None and not data.has(m.needs):
            continue
        for part, cond in _cut(data, n.metric, {**m.params, **n.params}, ranges, scope).items():
            parts.setdefault(part, [])
            if cond not in parts[part]:
                parts[part].append(cond)
    w = data.window(**{p: any_of(c) for p, c in parts.items()}, scope=scope)
    w.windowed = True
    return w


class _PeriodUnits(Mapping):
    """``Scorecard.units``: each norm's unit rows in the period, computed when a norm is asked for."""

    def __init__(self, data: OpsData, norms: Norms, start: pd.Timestamp, end: pd.Timestamp) -> None:
        self._data, self._norms, self._range = data, {n.id: n for n in norms.norms}, (start, end + pd.Timedelta(days=1))
        self._done: dict[str, pd.DataFrame] = {}

    def __getitem__(self, norm: str) -> pd.DataFrame:
        if norm not in self._done:
            n = self._norms[norm]
            u = metric_units(self._data, n.metric, n.params, ranges=[self._range])
            if u is None:
                raise KeyError(norm)
            self._done[norm] = _scoped(u, n.scope).reset_index(drop=True)
        return self._done[norm]

    def __iter__(self):  # noqa: ANN204
        return iter(self._norms)

    def __len__(self) -> int:
        return len(self._norms)


def export_packs(card: Scorecard, folder: str | Path, formats: tuple[str, ...] = ("xlsx", "csv")) -> list[Path]:
    """The hand-off pack of each department: its norms scored, the exceptions behind each norm, and where the
    shortfall concentrates.

    One folder per department ``d`` (``END`` = the period's last day), ``<folder>/ops_<d>_<END>/``, holding
    ``norms``, ``exceptions`` (every failing unit of the department's norms in the period, breached or not,
    worst first) and ``contributors`` (for its breached norms), each as xlsx and CSV. Written through
    :func:`opslib.reporting.exports.write_table`: text from the data (SKUs, reasons, names) can never run as a
    spreadsheet formula, and a department id from norms.yml cannot leave the folder.

    Parameters:
        card: the :class:`Scorecard`. folder: where to write (created). formats: ``xlsx`` and/or ``csv``.

    Returns:
        The paths written.
    """
    from opslib.reporting.exports import safe_filename, write_table

    _, end = period_bounds(card.period)
    written: list[Path] = []
    for did in card.norms.departments:
        res = card.results[card.results["department"] == did].drop(columns=["department"])
        spilled = any(isinstance(card.fails.get(n), _Spilled) for n in res["norm"])
        exc = None if spilled else card.breaches(department=did, only_breached=False)
        contrib = [card.contributors(n).assign(norm=n) for n in res.loc[res["status"] == "breached", "norm"]]
        contrib_f = (pd.concat(contrib, ignore_index=True) if contrib
                     else pd.DataFrame(columns=["dimension", "group", "units", "value", "excess", "closes", "norm"]))
        pack = Path(folder) / safe_filename(f"ops_{did}_{end:%Y-%m-%d}")
        for name, table in (("norms", res), ("exceptions", exc), ("contributors", contrib_f)):
            if table is None:
                written += _write_exceptions(card, did, pack, formats)
                continue
            written += write_table(table.reset_index(drop=True), pack, name, formats=formats, sheet=name)
    return written


#: Rows of a department's exceptions written to its xlsx when the scorecard's failing units are on disk (the
#: worst first; the CSV holds them all).
XLSX_ROWS = 20_000


def _write_exceptions(card: Scorecard, did: str, pack: Path, formats: tuple[str, ...]) -> list[Path]:
    """A department's ``exceptions`` from failing units on disk (:class:`_Spilled`): the CSV streamed in batches
    from DuckDB (sorted there, worst first within each norm), the xlsx with the first :data:`XLSX_ROWS` rows."""
    from opslib.reporting.exports import export_folder, inside, neutralise_frame, write_xlsx

    base, formats = export_folder(pack, formats)
    res = card.results[card.results["department"] == did]
    head: list[pd.DataFrame] = []
    kept = 0
    csv = inside(base, "exceptions.csv") if "csv" in formats else None
    fh = open(csv, "w", encoding="utf-8-sig", newline="") if csv is not None else None  # noqa: SIM115
    wrote_header = False
    try:
        for _, r in res.iterrows():
            f = card._fails(r["norm"])
            if f is None or f.empty:
                continue
            asc = METRICS[r["metric"]].unit == "reviews"
            batches = f.batches(asc) if isinstance(f, _Spilled) else [
                f.sort_values("measure", ascending=asc, na_position="first")]
            for b in batches:
                b = b.assign(department=did, owner=r["owner"], norm=r["norm"], label=r["label"])
                b["campaign_day"] = b["campaign_day"].map(CAMPAIGN_LABELS)
                b = b[list(BREACH_COLUMNS)].reset_index(drop=True)
                if fh is not None:
                    num = b.select_dtypes(include="number").columns
                    if len(num):
                        b[num] = b[num].replace([np.inf, -np.inf], np.nan)
                    neutralise_frame(b).to_csv(fh, index=False, header=not wrote_header, lineterminator="\r\n")
                    wrote_header = True
                if kept < XLSX_ROWS:
                    head.append(b.head(XLSX_ROWS - kept))
                    kept += len(head[-1])
        if fh is not None and not wrote_header:
            fh.write(",".join(BREACH_COLUMNS) + "\r\n")
    finally:
        if fh is not None:
            fh.close()
    written = []
    for fmt in formats:
        if fmt == "csv":
            written.append(csv)
        else:
            top = pd.concat(head, ignore_index=True) if head else pd.DataFrame(columns=list(BREACH_COLUMNS))
            written.append(write_xlsx(top, inside(base, "exceptions.xlsx"), sheet="exceptions"))
    return written


_TEXT_UNITS = ("order_id", "contact_id", "sku", "category", "carrier", "warehouse", "region", "agent", "reason",
               "topic")


class _Spill:
    """A temporary folder of Parquet files holding failing units (one sub-folder per norm), removed with the
    object (or at exit). The files are written with one schema, so DuckDB reads every piece as one table."""

    def __init__(self) -> None:
        import tempfile
        import weakref

        self.folder = Path(tempfile.mkdtemp(prefix="opsplaybook_fails_"))
        self._names: dict[str, str] = {}
        self._parts = 0
        self._finalizer = weakref.finalize(self, _remove_tree, str(self.folder))

    def path(self, norm: str) -> Path:
        return self.folder / self._names.setdefault(norm, f"n{len(self._names)}")

    def write(self, norm: str, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not len(frame):
            return
        cols: dict[str, Any] = {
            "ref_ts": pa.array(pd.to_datetime(frame["ref_ts"]).astype("datetime64[ns]"), pa.timestamp("ns")),
            "value": pa.array(frame["value"].to_numpy(dtype=float)),
            "fail": pa.array(frame["fail"].to_numpy(dtype=bool)),
            "measure": pa.array(pd.to_numeric(frame["measure"], errors="coerce").to_numpy(dtype=float)),
            "campaign_day": pa.array(frame["campaign_day"].to_numpy(dtype=bool)),
        }
        for c in _TEXT_UNITS:
            v = frame[c]
            cols[c] = pa.array([None if x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x)) else str(x)
                                for x in v.astype(object)], pa.string())
        late = frame["late"]
        cols["late"] = pa.array([None if x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x))
                                 else bool(x) for x in late.astype(object)], pa.bool_())
        d = self.path(norm)
        d.mkdir(exist_ok=True)
        self._parts += 1
        pq.write_table(pa.table(cols), d / f"part-{self._parts:05d}.parquet")

    def connect(self) -> Any:
        """A DuckDB connection of its own (one thread) to read the files."""
        import duckdb

        con = duckdb.connect()
        con.execute("SET threads = 1")
        return con


def _remove_tree(folder: str) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


class _Spilled:
    """The failing units of one norm on disk (:class:`_Spill`): ``len``, ``empty``, the worst rows
    (:meth:`worst`) and every row in sorted batches (:meth:`batches`), never all of them in pandas at once."""

    def __init__(self, spill: _Spill, norm: str, n: int) -> None:
        self.spill, self.norm, self.n = spill, norm, n

    def __len__(self) -> int:
        return self.n

    @property
    def empty(self) -> bool:
        return self.n == 0

    def _sql(self, ascending: bool, limit: int | None = None) -> str:
        files = (self.spill.path(self.norm) / "*.parquet").as_posix().replace("'", "''")
        cols = ", ".join(UNIT_COLUMNS)
        lim = f" LIMIT {int(limit)}" if limit is not None else ""
        return (f"SELECT {cols} FROM read_parquet('{files}') ORDER BY measure {'ASC' if ascending else 'DESC'} "
                f"NULLS FIRST{lim}")

    def worst(self, ascending: bool, limit: int | None = None) -> pd.DataFrame:
        """The failing units sorted by ``measure`` (NaN first), the first ``limit`` of them (None: all)."""
        if self.n == 0:
            return pd.DataFrame(columns=list(UNIT_COLUMNS))
        return self.spill.connect().sql(self._sql(ascending, limit)).df()

    def batches(self, ascending: bool, rows: int = 100_000):  # noqa: ANN201 - a generator of frames
        """Every failing unit sorted as :meth:`worst`, in frames of ``rows``."""
        if self.n == 0:
            return
        con = self.spill.connect()
        for batch in con.sql(self._sql(ascending)).to_arrow_reader(rows):
            yield batch.to_pandas()


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("norm_breach", "规范未达标", "Norm breach", "value worse than the target; ◆ beyond noise when the 95% interval "
         "(Wilson for shares) misses the target too", "opslib.operations.scorecard.score_norms", "06"),
)
