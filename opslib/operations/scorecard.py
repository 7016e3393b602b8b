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
from opslib.operations.metrics import METRICS, metric_units
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
    fails: dict[str, pd.DataFrame] = field(repr=False, default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(repr=False, default_factory=dict)

    def _fails(self, norm: str) -> pd.DataFrame | None:
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
    if data.on_engine and _rows_in(data, first, stop) > WINDOW_ROWS:
        # The trend weeks before the period in pieces of at most 28 days, then the period itself: only one
        # piece's rows are in pandas at a time (every norm's units of it, read once).
        cuts = list(pd.date_range(first, start, freq="28D")) + [start]
        chunks = [(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if a < b] + [(start, stop)]
    else:
        chunks = [(first, stop)]
    weekly: dict[str, list[pd.DataFrame]] = {}
    scored: dict[str, pd.DataFrame | None] = {}
    for a, b in chunks:
        source = _shared_window(data, norms, [(a, b)])
        for n in norms.norms:
            units = metric_units(source, n.metric, n.params, ranges=[(a, b)])
            if units is None:
                scored[n.id] = None
                continue
            units = _scoped(units, n.scope)
            t = units[units["ref_ts"] >= tstart]
            if len(t):
                wk = (t["ref_ts"].dt.normalize() - pd.to_timedelta(t["ref_ts"].dt.day_of_week, unit="D"))
                weekly.setdefault(n.id, []).append(t.groupby(wk)["value"].agg(["sum", "size"]))
            if b == stop:
                scored[n.id] = _in(units, start, end)
        del source
    for n in norms.norms:
        m = METRICS[n.metric]
        base = {"department": n.department, "department_name": norms.departments[n.department].name,
                "owner": n.owner, "norm": n.id, "label": n.label, "metric": n.metric, "kind": m.kind,
                "direction": n.direction, "target": n.target, "target_text": n.describe_target(), "scope": n.scope}
        cur = scored.get(n.id)
        if cur is None:
            reason = data.skip_reason(m.needs) or f"no {m.needs} data"
            rows.append({**base, "value": np.nan, "low": np.nan, "high": np.nan, "units": 0, "fails": 0,
                         "shortfall": np.nan, "status": "skipped", "certain": False,
                         "reason": f"needs the {m.needs} table: {reason}"})
            continue
        value, lo, hi = _value(cur, m.kind)
        status, certain = _status(n, value, lo, hi, len(cur))
        reason = (f"{len(cur)} units in the period, fewer than min_units {n.min_units}" if status == "too_few" else "")
        rows.append({**base, "value": value, "low": lo, "high": hi, "units": len(cur), "fails": int(cur["fail"].sum()),
                     "shortfall": n.shortfall(value) if len(cur) else np.nan, "status": status, "certain": certain,
                     "reason": reason})
        fails[n.id] = cur[cur["fail"]].reset_index(drop=True)
        if len(cur):
            groups[n.id] = _group_stats(cur, n, CONTRIBUTOR_DIMENSIONS)
        if weekly.get(n.id):
            g = pd.concat(weekly[n.id]).groupby(level=0).sum()
            trend.append(pd.DataFrame({"norm": n.id, "week": g.index, "value": (g["sum"] / g["size"]).to_numpy(),
                                       "units": g["size"].to_numpy()}))
    results = pd.DataFrame(rows)
    trend_f = pd.concat(trend, ignore_index=True) if trend else pd.DataFrame(columns=["norm", "week", "value", "units"])
    return Scorecard(norms=norms, period=period, as_of=data.as_of, results=results, trend=trend_f,
                     units=_PeriodUnits(data, norms, start, end), fails=fails, groups=groups)


#: Orders a scorecard reads in one window on the engine; beyond it the trend weeks are read in 28-day pieces.
WINDOW_ROWS = 400_000


def _rows_in(data: OpsData, start: pd.Timestamp, stop: pd.Timestamp) -> float:
    """Orders expected in ``[start, stop)`` at the shop's average orders per day (from ``prepare``'s totals)."""
    s = data.tables.stats
    span_days = max((pd.Timestamp(s["last_ts"]) - pd.Timestamp(s["first_ts"])).days + 1, 1)
    return float(s["orders"]) / span_days * max((stop - start).days, 1)


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


def _shared_window(data: OpsData, norms: Norms, ranges: list[tuple[pd.Timestamp, pd.Timestamp]]) -> OpsData:
    """On the engine: one :meth:`OpsData.window` holding the rows of every norm's units due in ``ranges`` (the
    union of the norms' cuts, read once instead of once per norm); in pandas: ``data``."""
    if not data.on_engine:
        return data
    from opslib.operations.metrics import _cut
    from opslib.operations.tables import any_of

    parts: dict[str, list[str]] = {}
    for n in norms.norms:
        m = METRICS[n.metric]
        if m.needs is not None and not data.has(m.needs):
            continue
        for part, cond in _cut(data, n.metric, {**m.params, **n.params}, ranges).items():
            parts.setdefault(part, [])
            if cond not in parts[part]:
                parts[part].append(cond)
    w = data.window(**{p: any_of(c) for p, c in parts.items()})
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
        exc = card.breaches(department=did, only_breached=False)
        contrib = [card.contributors(n).assign(norm=n) for n in res.loc[res["status"] == "breached", "norm"]]
        contrib_f = (pd.concat(contrib, ignore_index=True) if contrib
                     else pd.DataFrame(columns=["dimension", "group", "units", "value", "excess", "closes", "norm"]))
        pack = Path(folder) / safe_filename(f"ops_{did}_{end:%Y-%m-%d}")
        for name, table in (("norms", res), ("exceptions", exc), ("contributors", contrib_f)):
            written += write_table(table.reset_index(drop=True), pack, name, formats=formats, sheet=name)
    return written


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("norm_breach", "规范未达标", "Norm breach", "value worse than the target; ◆ beyond noise when the 95% interval "
         "(Wilson for shares) misses the target too", "opslib.operations.scorecard.score_norms", "06"),
)
