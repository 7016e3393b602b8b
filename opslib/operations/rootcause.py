"""Root causes across departments: when a KPI moves between two periods (a drop in review score, a rise in
returns or late deliveries), split the change by department, carrier, warehouse, category, campaign days ...
and say which one group carries it.

Method (shift-share, exact): the KPI is the mean of unit values (``opslib.operations.metrics``), so with unit
shares ``w_g`` and group means ``r_g`` of a dimension, ``K = Σ_g w_g r_g`` and

``K₁ − K₀ = Σ_g  w̄_g (r₁_g − r₀_g)  +  Σ_g (r̄_g − K̄)(w₁_g − w₀_g)``

with bars the averages of the two periods: the first sum is the **rate effect** (the group itself got better
or worse), the second the **mix effect** (more units came from a group that is worse than the average, e.g.
more campaign-day orders). A group present in one period only has no rate effect and all of it is mix. Each
dimension's contributions add up to the change exactly.

Example:
    >>> import pandas as pd
    >>> u0 = pd.DataFrame({"value": [5.0, 5.0, 3.0, 3.0], "carrier": ["A", "A", "B", "B"]})
    >>> u1 = pd.DataFrame({"value": [5.0, 5.0, 1.0, 1.0], "carrier": ["A", "A", "B", "B"]})
    >>> t = shift_share(u0, u1, "carrier")  # B fell from 3 to 1 on half the units: -1.0 of rate effect
    >>> t[["group", "rate_effect", "mix_effect", "contribution"]].values.tolist()
    [['A', 0.0, 0.0, 0.0], ['B', -1.0, 0.0, -1.0]]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from opslib.calendar import Period, period_bounds
from opslib.kpi import Term
from opslib.operations.dataset import CAMPAIGN_LABELS, OpsData
from opslib.operations.metrics import METRICS, metric_units
from opslib.operations.norms import Norms

#: KPIs the drill-down explains, with the metric behind each and how to read a rise.
KPIS: dict[str, dict] = {
    "review_score": {"metric": "review_score", "label": "平均评分 review score", "higher_is_better": True},
    "bad_review_share": {"metric": "bad_review_share", "label": "差评率 bad review share", "higher_is_better": False},
    "return_rate": {"metric": "return_rate", "label": "退货订单率 order return rate", "higher_is_better": False},
    "cancellation_rate": {"metric": "cancellation_rate", "label": "取消率 cancellation rate", "higher_is_better": False},
    "on_time": {"metric": "on_time", "label": "准时送达率 on-time delivery", "higher_is_better": True},
    "ship_48h": {"metric": "ship_within", "label": "48 小时发货率 shipped within 48 h", "higher_is_better": True},
    "first_response_30s": {"metric": "first_response_within", "label": "30 秒首响率 answered within 30 s",
                           "higher_is_better": True},
    "inquiry_conversion": {"metric": "inquiry_conversion", "label": "询单转化率 inquiry conversion",
                           "higher_is_better": True},
    "after_sale_contacts_per_100": {"metric": "after_sale_contacts_per_100",
                                    "label": "每百单售后咨询 after-sale contacts per 100 orders",
                                    "higher_is_better": False},
}
DIMENSIONS = ("department", "lateness", "campaign_day", "carrier", "warehouse", "region", "category", "agent",
              "reason", "topic")
UNATTRIBUTED = "未归属 unattributed"
LATE_LABELS = {True: "迟到 late", False: "准时 on time"}


def shift_share(base: pd.DataFrame, cur: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """The change of the mean of ``value`` between ``base`` and ``cur`` split over the groups of ``dimension``
    (formula in the module docstring).

    Parameters:
        base, cur: unit rows of the baseline and the current period (``value`` and the ``dimension`` column).
        dimension: the column to split by.

    Returns:
        One row per group: ``group``, ``units_baseline``, ``units_current``, ``share_baseline``,
        ``share_current``, ``value_baseline``, ``value_current``, ``rate_effect``, ``mix_effect``,
        ``contribution``; sorted by group.
    """
    k0, k1 = float(base["value"].mean()), float(cur["value"].mean())
    kbar = (k0 + k1) / 2
    g0 = base.groupby(base[dimension].fillna("(unknown)"))["value"].agg(["mean", "size"])
    g1 = cur.groupby(cur[dimension].fillna("(unknown)"))["value"].agg(["mean", "size"])
    t = g0.add_suffix("_0").join(g1.add_suffix("_1"), how="outer")
    n0, n1 = t["size_0"].fillna(0), t["size_1"].fillna(0)
    w0, w1 = n0 / max(len(base), 1), n1 / max(len(cur), 1)
    r0, r1 = t["mean_0"].fillna(t["mean_1"]), t["mean_1"].fillna(t["mean_0"])
    rate = ((w0 + w1) / 2) * (r1 - r0) + 0.0  # + 0.0: no "-0.0"
    mix = ((r0 + r1) / 2 - kbar) * (w1 - w0) + 0.0
    out = pd.DataFrame({"group": t.index, "units_baseline": n0.astype(int).to_numpy(),
                        "units_current": n1.astype(int).to_numpy(), "share_baseline": w0.to_numpy(),
                        "share_current": w1.to_numpy(), "value_baseline": t["mean_0"].to_numpy(),
                        "value_current": t["mean_1"].to_numpy(), "rate_effect": rate.to_numpy(),
                        "mix_effect": mix.to_numpy()})
    out["contribution"] = out["rate_effect"] + out["mix_effect"]
    return out.reset_index(drop=True)


@dataclass
class DrillDown:
    """A KPI's change between two periods, split along every dimension (module docstring).

    ``table``: every dimension and group (:func:`shift_share` columns plus ``dimension`` and ``share_of_change``
    = contribution / change). ``ranking``: per dimension its largest contributor in the direction of the change,
    most explaining first. ``change_low``/``change_high``: the 95 % interval of the change itself.
    """

    kpi: str
    label: str
    current: Period | tuple
    baseline: Period | tuple
    value_baseline: float = np.nan
    value_current: float = np.nan
    change_low: float = np.nan
    change_high: float = np.nan
    units_baseline: int = 0
    units_current: int = 0
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    ranking: pd.DataFrame = field(default_factory=pd.DataFrame)
    reason: str | None = None
    higher_is_better: bool = True

    @property
    def change(self) -> float:
        """Current minus baseline value."""
        return self.value_current - self.value_baseline

    @property
    def kind(self) -> str:
        """``share`` or ``mean``: how the KPI's values read (a rate or an average)."""
        return METRICS[KPIS[self.kpi]["metric"]].kind

    @property
    def is_noise(self) -> bool:
        """True when the change's 95 % interval includes zero."""
        return bool(self.change_low <= 0 <= self.change_high)

    def summary(self) -> pd.DataFrame:
        """The ranking: one row per dimension (its largest contributor)."""
        return self.ranking

    def describe(self) -> str:
        """What moved, by how much, whether it may be noise, and the group that carries it."""
        if self.reason is not None:
            return f"{self.label}: no drill-down — {self.reason}"
        kind = self.kind
        fmt = (lambda x: f"{x * 100:.1f}%") if kind == "share" else (lambda x: f"{x:.2f}")
        dfmt = (lambda x: f"{x * 100:+.1f} pt") if kind == "share" else (lambda x: f"{x:+.2f}")
        worse = (self.change < 0) == self.higher_is_better
        lines = [f"{self.label}: {fmt(self.value_baseline)} → {fmt(self.value_current)} ({dfmt(self.change)}, "
                 f"95% CI {dfmt(self.change_low)} to {dfmt(self.change_high)}; {'worse' if worse else 'better'}; "
                 f"{self.units_baseline:,} → {self.units_current:,} units)"]
        if self.is_noise:
            lines.append("The interval includes no change: this may be noise; the split below is descriptive.")
        for r in self.ranking.head(3).itertuples(index=False):
            part = "rate" if abs(r.rate_effect) >= abs(r.mix_effect) else "mix"
            how = ("the group itself changed" if part == "rate" else "more of the units came from this group")
            lines.append(f"  {r.dimension} = {r.group}: {dfmt(r.contribution)} ({r.share_of_change * 100:.0f}% of "
                         f"the change; mostly {part}: {how})")
        return "\n".join(lines)

    def plot(self):
        """Contributions of the top groups of the leading dimensions (``opslib.plotting.operations.drill_down_chart``)."""
        if self.reason is not None:
            print(f"{self.label}: no drill-down — {self.reason}")
            return None
        from opslib.plotting.operations import drill_down_chart

        return drill_down_chart(self.table, self.ranking, self.label, self.change)


def _with_dimensions(units: pd.DataFrame, metric: str, norms: Norms | None, late_known: bool | None = None
                     ) -> pd.DataFrame:
    u = units.copy()
    u["campaign_day"] = u["campaign_day"].map(CAMPAIGN_LABELS)
    if late_known is None:
        late_known = "late" in u and bool(u["late"].notna().any())
    if metric != "on_time" and "late" in u and late_known:
        u["lateness"] = u["late"].map(lambda x: LATE_LABELS.get(bool(x)) if pd.notna(x) else None)
    else:
        u["lateness"] = None
    dept = pd.Series(None, index=u.index, dtype=object)
    if norms is not None:
        names = {k: v.name for k, v in norms.departments.items()}
        by_topic = u["topic"].map(norms.routing.get("review_topics", {}))
        by_reason = u["reason"].map(norms.routing.get("contact_reasons", {}))
        d = by_topic.fillna(by_reason)
        if d.notna().any():
            dept = d.map(names).fillna(UNATTRIBUTED)
    u["department"] = dept
    return u


def drill_down(data: OpsData, kpi: str, current: Period | tuple, baseline: Period | tuple,
               norms: Norms | None = None, dimensions: tuple[str, ...] = DIMENSIONS, min_units: int = 20) -> DrillDown:
    """Explain the change of ``kpi`` (a key of :data:`KPIS`) from ``baseline`` to ``current`` along
    ``dimensions``: department (review topic or contact reason routed by ``norms.routing``), lateness, campaign
    days, carrier, warehouse, region, category, agent, reason, topic.

    Formulas: the change and its 95 % interval (``sqrt(s₀²/n₀ + s₁²/n₁)``), then :func:`shift_share` per
    dimension; a dimension's ranking entry is its group with the largest contribution in the direction of the
    change; dimensions are ranked by that group's share of the change (groups under ``min_units`` units in both
    periods, and units without a value for the dimension, are left out of the ranking, not of the sums).

    Parameters:
        data: the :class:`OpsData`. kpi: the KPI. current, baseline: the two periods (days the units came due).
        norms: for the department routing. dimensions: what to split by. min_units: see above.

    Returns:
        :class:`DrillDown` (``reason`` set when the KPI's table is missing or a period has no units).
    """
    if kpi not in KPIS:
        raise ValueError(f"unknown KPI {kpi!r}; drill_down explains {', '.join(KPIS)}")
    spec = KPIS[kpi]
    out = DrillDown(kpi=kpi, label=spec["label"], current=current, baseline=baseline,
                    higher_is_better=spec["higher_is_better"])
    def window(p: Period | tuple) -> pd.DataFrame | None:
        s, e = period_bounds(p)  # each period read on its own: on the engine only its rows come into pandas
        return metric_units(data, spec["metric"], ranges=[(s, e + pd.Timedelta(days=1))])

    u0, u1 = window(baseline), window(current)
    if u0 is None or u1 is None:
        out.reason = data.skip_reason(METRICS[spec["metric"]].needs) or "its table is missing"
        return out
    late_known = any("late" in u and bool(u["late"].notna().any()) for u in (u0, u1))
    u0, u1 = (_with_dimensions(u, spec["metric"], norms, late_known) for u in (u0, u1))
    out.units_baseline, out.units_current = len(u0), len(u1)
    if len(u0) < 2 or len(u1) < 2:
        out.reason = f"{len(u0)} units in the baseline and {len(u1)} in the current period: too few to compare"
        return out
    v0, v1 = u0["value"].astype(float), u1["value"].astype(float)
    out.value_baseline, out.value_current = float(v0.mean()), float(v1.mean())
    se = float(np.sqrt(v0.var(ddof=1) / len(v0) + v1.var(ddof=1) / len(v1)))
    out.change_low, out.change_high = out.change - 1.96 * se, out.change + 1.96 * se
    tables, rank = [], []
    delta = out.change
    for dim in dimensions:
        if dim not in u0 or (u0[dim].isna().all() and u1[dim].isna().all()):
            continue
        t = shift_share(u0, u1, dim)
        if len(t) < 2:
            continue
        t.insert(0, "dimension", dim)
        t["share_of_change"] = t["contribution"] / delta if delta != 0 else np.nan
        tables.append(t)
        big = t[((t["units_baseline"] >= min_units) | (t["units_current"] >= min_units)) & (t["group"] != "(unknown)")]
        same = big[np.sign(big["contribution"]) == np.sign(delta)] if delta != 0 else big.iloc[0:0]
        if len(same):
            rank.append(same.loc[same["contribution"].abs().idxmax()])
    if tables:
        out.table = pd.concat(tables, ignore_index=True)
    if rank:
        r = pd.DataFrame(rank).sort_values("share_of_change", ascending=False)
        out.ranking = r[["dimension", "group", "units_baseline", "units_current", "value_baseline", "value_current",
                         "rate_effect", "mix_effect", "contribution", "share_of_change"]].reset_index(drop=True)
    return out


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("shift_share", "结构-效率拆解", "Shift-share drill-down", "ΔK = Σ w̄·Δr (rate) + Σ (r̄ − K̄)·Δw (mix) per "
         "dimension: which group carries a KPI's change", "opslib.operations.rootcause.drill_down", "06"),
)
