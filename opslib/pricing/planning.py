"""Campaign planning (活动规划): what a planned campaign should sell and earn, and the stock it needs.

A what-if before the campaign, and the plan the evaluation after it (``opslib.campaigns.evaluate_campaign``)
compares against. For a :class:`CampaignPlan` (dates, scope, discount depth, spend), per SKU ``s`` of the
scope (category ``c``):

1. **baseline** (what the window would sell without the campaign): ``b_s = d_s * days * f_c`` with ``d_s``
   the SKU's units per day over the last ``base_weeks`` weeks before ``as_of`` (days in a campaign or its
   ``post_days`` after it left out; days before its launch too), ``f_c`` the season factor = the category's
   units per clean day around the same dates a year earlier (the window +- 14 days) / in the baseline weeks
   a year earlier (1 without a year of history);
2. **price effect**: campaign price ``p_c = min(list_s (1 - depth), p0_s)`` against today's everyday price
   ``p0_s`` (paid price over the clean baseline days); ``r_s = p_c / p0_s``; units x ``r_s ** e_c`` with the
   category's elasticity ``e_c`` (:func:`opslib.pricing.estimate_elasticity`);
3. **lift beyond the price** (traffic, 会场 slots, the festival itself) from the shop's past campaigns of the
   same kind (:func:`past_uplifts`): each one's uplift ``U_i = observed / counterfactual`` units over its
   window and its own price effect ``R_i ** e`` (``R_i`` = its window price / pre-period price, ``e`` the
   scope's units-weighted elasticity) give ``T_i = U_i / R_i ** e``; the plan takes ``T = median T_i``.
   So **expected units** ``x_s = b_s * r_s ** e_c * T``. Where ``e_c`` is not usable the category takes
   ``x_s = b_s * median U_i`` (the past lift as it was, depth differences not adjusted); without past
   campaigns ``T = 1`` (only the price effect) — both said in ``notes``. The range ``low .. high`` takes
   ``e_c`` at its interval ends and ``T`` (or ``U``) at the smallest and largest past value;
4. **pull-forward** (customers who would have bought after the window and bought in it): ``P = median
   P_i * d * f`` with ``P_i`` the past campaigns' post-window dip in days of their counterfactual sales;
5. **money**, with the same formulas as the evaluation (``opslib.campaigns.campaign_money``): incremental
   units ``x - b``, incremental GMV ``sum x_s p_c,s - b p_base``, incremental margin, pull-forward margin,
   net profit ``= incremental margin - pull-forward margin - spend``, ROI ``= net profit / spend``;
6. **stock** (with ``inventory``): on hand at ``as_of`` (``opslib.forecasting.latest_stock``), minus the
   baseline demand until the window starts, against ``x_s`` + safety stock ``z sqrt(x_s)``
   (``opslib.forecasting.safety_stock`` of a Poisson window demand); the shortfall must be ordered
   ``lead_time_days`` before the start: ``order_by = start - lead time``, too late when that is before the
   day after ``as_of``. Orders in transit are not in the data contract, so they count as 0.

Example (one SKU, no history of campaigns, elasticity -2; a 20% campaign on a SKU selling 10 a day at ¥100):
    >>> import pandas as pd
    >>> days = pd.date_range("2024-04-01", "2024-05-31")
    >>> cube = pd.DataFrame({"date": days, "sku": "a", "category": "美妆", "units": 10, "gmv": 1000.0})
    >>> products = pd.DataFrame({"sku": ["a"], "category": ["美妆"], "unit_cost": [50.0],
    ...                          "list_price": [100.0]})
    >>> plan = CampaignPlan(pd.Timestamp("2024-06-10"), pd.Timestamp("2024-06-12"), discount_depth=0.2,
    ...                     marketing_spend=500.0)
    >>> el = pd.DataFrame({"category": ["美妆"], "elasticity": [-2.0], "low": [-2.0], "high": [-2.0]})
    >>> res = plan_campaign(cube, products, plan, elasticities=el)
    >>> s = res.summary().set_index("metric")["plan"]
    >>> [round(float(s[k]), 4) for k in ("baseline_units", "expected_units", "incremental_margin", "roi")]
    [30.0, 46.875, -93.75, -1.1875]

By hand: baseline 10 a day x 3 days = 30 units (no year of history: season factor 1; no past campaigns:
no lift beyond the price); price 80 / 100 = 0.8 and 0.8^-2 = 1.5625, so 46.875 units and GMV 3,750.
Incremental margin = (3,750 - 46.875 x 50) - 30 x (100 - 50) = 1,406.25 - 1,500 = -93.75: the campaign
sells 56% more but earns 30 a unit instead of 50. Net profit -93.75 - 500 = -593.75, ROI -1.1875.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opslib.errors import PricingError

__all__ = ["CampaignPlan", "CampaignPlanResult", "campaign_plan", "past_uplifts", "plan_campaign"]

#: Days after a campaign that are left out of the baseline (the pull-forward dip).
POST_DAYS = 7


@dataclass(frozen=True)
class CampaignPlan:
    """A planned campaign: window (inclusive days), kind, scope, discount depth off list, marketing spend.

    ``scope_type`` ``all`` / ``category`` / ``sku`` with ``scope`` the names (as in the campaigns table);
    ``marketing_spend`` None takes the past campaigns' median spend per day times the days.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    kind: str = "festival"
    scope_type: str = "all"
    scope: tuple[str, ...] = ()
    discount_depth: float = 0.15
    marketing_spend: float | None = None
    name: str = "planned campaign"

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", pd.Timestamp(self.start).normalize())
        object.__setattr__(self, "end", pd.Timestamp(self.end).normalize())
        if self.end < self.start:
            raise PricingError(f"campaign plan: end {self.end:%Y-%m-%d} is before start {self.start:%Y-%m-%d}")
        if not 0 <= self.discount_depth < 1:
            raise PricingError(f"campaign plan: discount_depth must be in [0, 1), got {self.discount_depth}")
        if self.scope_type not in ("all", "category", "sku"):
            raise PricingError(f"campaign plan: scope_type must be all, category or sku, got {self.scope_type!r}")
        if self.scope_type != "all" and not self.scope:
            raise PricingError(f"campaign plan: scope_type {self.scope_type!r} needs the names in scope")
        if self.marketing_spend is not None and self.marketing_spend < 0:
            raise PricingError(f"campaign plan: marketing_spend must be >= 0, got {self.marketing_spend}")

    @property
    def days(self) -> int:
        """Days of the window, both ends included."""
        return int((self.end - self.start).days) + 1

    def describe(self) -> str:
        """One line: name, window, kind, scope, depth, spend."""
        scope = "all SKUs" if self.scope_type == "all" else f"{self.scope_type} {'|'.join(self.scope)}"
        spend = "from past campaigns" if self.marketing_spend is None else f"{self.marketing_spend:,.0f}"
        return (f"{self.name}: {self.start:%Y-%m-%d} .. {self.end:%Y-%m-%d} ({self.days} days), {self.kind}, {scope}, "
                f"{self.discount_depth:.0%} off list, marketing spend {spend}")


def campaign_plan(data_end: Any, *, start: Any = None, end: Any = None, days: int = 3, kind: str = "festival",
                  scope: str | None = "all", discount_depth: float = 0.15, marketing_spend: float | None = None,
                  lead_days: int = 28, name: str | None = None) -> CampaignPlan:
    """A :class:`CampaignPlan` from a report's parameters.

    Rules: ``start`` None = ``lead_days`` after the last day of data (time to order stock); ``end`` None =
    ``start + days - 1``; ``scope`` ``"all"`` / None, ``"category:美妆|服饰"`` or ``"sku:SKU1|SKU2"``.

    Parameters:
        data_end: the last day of data. start, end, days: the window. kind: the campaigns' kind it resembles
            (``festival``, ``flash_sale``, ``coupon`` ...). scope: as above. discount_depth: off list, 0..1.
        marketing_spend: None = from past campaigns. lead_days: default distance of the start from the data.
        name: a label.

    Returns:
        :class:`CampaignPlan`.

    Example:
        >>> p = campaign_plan("2025-12-31", scope="category:美妆|服饰", discount_depth=0.2)
        >>> p.start.date(), p.end.date(), p.scope_type, p.scope
        (datetime.date(2026, 1, 28), datetime.date(2026, 1, 30), 'category', ('美妆', '服饰'))
    """
    last = pd.Timestamp(data_end).normalize()
    s = pd.Timestamp(start).normalize() if start is not None else last + pd.Timedelta(days=int(lead_days))
    e = pd.Timestamp(end).normalize() if end is not None else s + pd.Timedelta(days=int(days) - 1)
    text = (scope or "all").strip()
    if text == "all":
        st, names = "all", ()
    elif ":" in text and text.split(":", 1)[0] in ("category", "sku"):
        st, rest = text.split(":", 1)
        names = tuple(n.strip() for n in rest.split("|") if n.strip())
    else:
        raise PricingError(f"plan scope {scope!r}: expected 'all', 'category:美妆|服饰' or 'sku:SKU1|SKU2'")
    return CampaignPlan(s, e, kind=kind, scope_type=st, scope=names, discount_depth=float(discount_depth),
                        marketing_spend=marketing_spend, name=name or f"{kind} plan")


# ------------------------------------------------------------------------------- past campaigns (adapter)


def past_uplifts(cube: pd.DataFrame, campaigns: pd.DataFrame, products: pd.DataFrame, kind: str, *,
                 as_of: Any = None, n: int = 4, pre_days: int = 56, post_days: int = 14) -> pd.DataFrame:
    """The last ``n`` campaigns of ``kind`` that ended (with their after-period) by ``as_of``, as evaluated.

    The one place this module uses ``opslib.campaigns`` (``evaluate_campaign``, ``get_campaign``,
    ``scope_skus``), so a change there is absorbed here. Per campaign: ``uplift = observed / counterfactual``
    units over the window (scoped SKUs), ``pull_forward_days`` = the post-window dip in units / the
    counterfactual's units per window day (0 when the dip is negative), ``price_ratio`` = the scope's GMV per
    unit in the window / in the 28 days before it.

    Parameters:
        cube: daily x SKU cube (``opslib.data.daily_sku`` with products). campaigns, products: the shop's
            tables. kind: the campaigns' ``kind``. as_of: only data up to this day are used (default: all).
        n: how many of the latest. pre_days, post_days: as in ``evaluate_campaign``.

    Returns:
        ``campaign_id``, ``name``, ``kind``, ``start``, ``end``, ``days``, ``depth``, ``observed``,
        ``counterfactual``, ``uplift``, ``pull_forward_units``, ``pull_forward_days``, ``price_ratio``,
        ``spend``, ``problem`` (why a campaign could not be evaluated; its numbers NaN).
    """
    from opslib.campaigns import CampaignError, evaluate_campaign, get_campaign, scope_skus

    cols = ["campaign_id", "name", "kind", "start", "end", "days", "depth", "observed", "counterfactual", "uplift",
            "pull_forward_units", "pull_forward_days", "price_ratio", "spend", "problem"]
    if campaigns is None or campaigns.empty:
        return pd.DataFrame(columns=cols)
    last = pd.Timestamp(as_of) if as_of is not None else cube["date"].max()
    c = cube[cube["date"] <= last]
    done = campaigns[(campaigns["kind"] == kind) & (pd.to_datetime(campaigns["end"]) + pd.Timedelta(days=post_days)
                                                    <= last)]
    rows = []
    for cid in done.sort_values("start")["campaign_id"].tolist()[-int(n):]:
        camp = get_campaign(campaigns, cid)
        row = {"campaign_id": cid, "name": camp.name, "kind": camp.kind, "start": camp.start, "end": camp.end,
               "days": camp.days, "depth": camp.discount_depth, "spend": camp.marketing_spend, "problem": ""}
        try:
            ev = evaluate_campaign(c, campaigns[pd.to_datetime(campaigns["start"]) <= last], products, cid,
                                   pre_days=pre_days, post_days=post_days, halo=False)
        except CampaignError as exc:
            rows.append({**row, "problem": str(exc)})
            continue
        w = ev.effects.set_index("segment")
        obs, cf = float(w.loc["window", "observed"]), float(w.loc["window", "predicted"])
        se = ev.side_effects.set_index("effect")
        pf = float(se.loc["pull_forward", "units"]) if "pull_forward" in se.index else np.nan
        skus = set(scope_skus(camp, products))
        sc = c[c["sku"].isin(skus)]
        win = sc[(sc["date"] >= camp.start) & (sc["date"] <= camp.end)]
        pre = sc[(sc["date"] >= camp.start - pd.Timedelta(days=28)) & (sc["date"] < camp.start)]
        p_win = win["gmv"].sum() / win["units"].sum() if win["units"].sum() else np.nan
        p_pre = pre["gmv"].sum() / pre["units"].sum() if pre["units"].sum() else np.nan
        rows.append({**row, "observed": obs, "counterfactual": cf, "uplift": obs / cf if cf > 0 else np.nan,
                     "pull_forward_units": pf,
                     "pull_forward_days": max(pf, 0.0) / (cf / camp.days) if cf > 0 and np.isfinite(pf) else np.nan,
                     "price_ratio": p_win / p_pre if p_pre else np.nan})
    return pd.DataFrame(rows, columns=cols)


# ------------------------------------------------------------------------------------------------- the plan


@dataclass
class CampaignPlanResult:
    """What a planned campaign should sell, earn and need (:func:`plan_campaign`).

    Attributes:
        plan: the :class:`CampaignPlan`. as_of: the last day of data used. method: how units were planned.
        table: one row per metric (``metric``, ``label``, ``plan``, ``low``, ``high``). by_category: per category
            ``skus``, ``baseline_units``, ``expected_units``, ``low``, ``high``, ``lift``, ``elasticity``,
            ``price_ratio``, ``season_factor``, ``gmv``, ``method``. skus: per SKU (``sku``, ``category``,
            ``baseline_units``, ``expected_units``, ``low``, ``high``, ``everyday_price``, ``plan_price``,
            ``unit_cost``). stock: per SKU stock check (None without inventory). past: :func:`past_uplifts`.
        traffic: the lift beyond the price ``T`` (median, min, max) or None. notes: what was assumed.
    """

    plan: CampaignPlan
    as_of: pd.Timestamp
    method: str
    table: pd.DataFrame
    by_category: pd.DataFrame
    skus: pd.DataFrame
    stock: pd.DataFrame | None
    past: pd.DataFrame
    traffic: tuple[float, float, float] | None
    notes: list[str] = field(default_factory=list)
    stock_reason: str | None = None

    def summary(self) -> pd.DataFrame:
        """The metrics (a copy): baseline, expected and incremental units, GMV, margin, pull-forward, spend,
        net profit, ROI, ROAS, each with its range."""
        return self.table.copy()

    def value(self, metric: str) -> float:
        """The planned value of one metric (e.g. ``'expected_units'``)."""
        row = self.table.loc[self.table["metric"] == metric]
        if row.empty:
            raise KeyError(f"no metric {metric!r}; metrics: {', '.join(self.table['metric'])}")
        return float(row["plan"].iloc[0])

    def stock_actions(self) -> pd.DataFrame:
        """The SKUs whose stock falls short, most urgent first (empty without inventory)."""
        if self.stock is None:
            return pd.DataFrame()
        s = self.stock[self.stock["shortfall"] > 0]
        return s.sort_values(["order_by", "shortfall"], ascending=[True, False], ignore_index=True)

    def describe(self) -> str:
        """The plan and its headline: expected units against the baseline, net profit and ROI, stock."""
        from opslib.plotting.format import money, percent, units

        t = self.table.set_index("metric")
        lines = [self.plan.describe(), f"data up to {self.as_of:%Y-%m-%d}; {self.method}",
                 f"expected {units(t.loc['expected_units', 'plan'])} units ({units(t.loc['expected_units', 'low'])} .. "
                 f"{units(t.loc['expected_units', 'high'])}) against a baseline of "
                 f"{units(t.loc['baseline_units', 'plan'])}; GMV {money(t.loc['gmv', 'plan'])}; net profit "
                 f"{money(t.loc['net_profit', 'plan'], signed=True)} ({money(t.loc['net_profit', 'low'], signed=True)} "
                 f".. {money(t.loc['net_profit', 'high'], signed=True)}), ROI {percent(t.loc['roi', 'plan'], signed=True)}"]
        if self.stock is not None:
            short = self.stock_actions()
            late = int((short["status"].str.startswith("too late")).sum()) if len(short) else 0
            lines.append(f"stock: {len(short):,} of {len(self.stock):,} SKUs short ({late:,} already too late to "
                         "order)")
        elif self.stock_reason:
            lines.append(self.stock_reason)
        return "\n".join(lines)

    def plot(self):  # noqa: ANN201 (matplotlib Figure)
        """Baseline against planned units per category (``opslib.plotting.pricing.plan_chart``)."""
        from opslib.plotting.pricing import plan_chart

        return plan_chart(self)

    def export(self, folder: str | Path) -> Path:
        """Write the plan per SKU (with its stock check) as ``campaign_plan_<start>.csv`` into ``folder``.

        The file is what the evaluation after the campaign compares against: planned baseline, expected
        units and range per SKU, prices; the metrics table is written next to it (``..._summary.csv``). Both go
        through the safe writer (``opslib.reporting.exports.write_table``: no spreadsheet formulas from data).

        Parameters:
            folder: the output folder (created if missing).

        Returns:
            The path of the per-SKU file.
        """
        from opslib.reporting.exports import write_table

        frame = self.skus if self.stock is None else self.skus.merge(
            self.stock.drop(columns=["category", "expected_units"], errors="ignore"), on="sku", how="left")
        name = f"campaign_plan_{self.plan.start:%Y-%m-%d}"
        (path,) = write_table(frame, folder, name, formats=("csv",))
        write_table(self.table, folder, f"{name}_summary", formats=("csv",))
        return path


def _scope(products: pd.DataFrame, plan: CampaignPlan) -> pd.DataFrame:
    p = products
    if plan.scope_type == "category":
        p = p[p["category"].isin(plan.scope)]
        unknown = sorted(set(plan.scope) - set(products["category"]))
    elif plan.scope_type == "sku":
        p = p[p["sku"].isin(plan.scope)]
        unknown = sorted(set(plan.scope) - set(products["sku"]))
    else:
        unknown = []
    if unknown:
        raise PricingError(f"campaign plan: {plan.scope_type} {', '.join(unknown[:5])} not in products")
    if "launch_date" in p.columns:
        p = p[p["launch_date"].isna() | (p["launch_date"] <= plan.end)]
    return p


def _campaign_days(campaigns: pd.DataFrame | None, post_days: int) -> pd.DatetimeIndex:
    if campaigns is None or campaigns.empty:
        return pd.DatetimeIndex([])
    out = [pd.date_range(pd.Timestamp(r.start), pd.Timestamp(r.end) + pd.Timedelta(days=post_days))
           for r in campaigns.itertuples(index=False)]
    return pd.DatetimeIndex(sorted(set().union(*[set(d) for d in out]))) if out else pd.DatetimeIndex([])


def _mean_daily(cube: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, bad: pd.DatetimeIndex,
                by: str) -> pd.Series:
    """Mean daily units per ``by`` over the clean days of [start, end] (NaN when the data do not cover them)."""
    days = pd.date_range(start, end)
    clean = days[~days.isin(bad)]
    if len(clean) == 0 or cube["date"].min() > start:
        return pd.Series(dtype=float)
    c = cube[cube["date"].isin(clean)]
    return c.groupby(by)["units"].sum() / len(clean)


def plan_campaign(cube: pd.DataFrame, products: pd.DataFrame, plan: CampaignPlan, *,
                  campaigns: pd.DataFrame | None = None, elasticities: pd.DataFrame | None = None,
                  inventory: pd.DataFrame | None = None, as_of: Any = None, past: pd.DataFrame | None = None,
                  base_weeks: int = 8, post_days: int = POST_DAYS, n_past: int = 4,
                  lead_time_days: float | Mapping[str, float] = 14, service_level: float = 0.95) -> CampaignPlanResult:
    """Plan a campaign: expected units, GMV, margin, ROI, pull-forward, and the stock it needs per SKU.

    Formulas: module docstring (baseline with season factor, price effect ``r ** e``, lift beyond the price
    from past campaigns of the same kind, pull-forward, money as in ``opslib.campaigns.campaign_money``, stock).

    Parameters:
        cube: daily x SKU cube with ``category`` (``opslib.data.daily_sku`` with products).
        products: ``sku``, ``category``, ``unit_cost`` and ``list_price`` (else the cube's list value / units).
        plan: the :class:`CampaignPlan`.
        campaigns: the campaigns table (past uplifts, and campaign days left out of the baseline) or None.
        elasticities: ``category``, ``elasticity`` (and ``low``, ``high``; a ``usable`` column, when present,
            keeps only usable rows), e.g. :meth:`ElasticityReview.for_planning` — or None.
        inventory: the inventory table (stock check) or None. as_of: last day of data to use (default the
            cube's last day; a plan that starts earlier is a backtest and uses the data before its start).
        past: :func:`past_uplifts` (default: computed from ``campaigns`` for ``plan.kind``).
        base_weeks: weeks of baseline sales. post_days: days after a campaign left out of the baseline.
        n_past: past campaigns to learn the lift from. lead_time_days: days from order to stock (one number,
            or per category). service_level: for the safety stock.

    Returns:
        :class:`CampaignPlanResult`.
    """
    from opslib.campaigns import campaign_money
    from opslib.forecasting import latest_stock, safety_stock

    notes: list[str] = []
    last = cube["date"].max()
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else last
    if plan.start <= as_of:
        as_of = plan.start - pd.Timedelta(days=1)
        notes.append(f"the plan starts {plan.start:%Y-%m-%d}, inside the data: a backtest on the data up to "
                     f"{as_of:%Y-%m-%d}")
    hist = cube[cube["date"] <= as_of]
    if hist.empty:
        raise PricingError(f"campaign plan: no sales on or before {as_of:%Y-%m-%d}")
    scope = _scope(products, plan)
    bad = _campaign_days(campaigns, post_days)
    b0 = max(as_of - pd.Timedelta(days=7 * int(base_weeks) - 1), hist["date"].min())
    base_days = pd.date_range(b0, as_of)
    clean = base_days[~base_days.isin(bad)]
    if len(clean) < 7:
        clean = base_days
        notes.append(f"fewer than 7 days without a campaign in the {base_weeks} baseline weeks: campaign days kept")
    h = hist[hist["date"].isin(clean) & hist["sku"].isin(scope["sku"])]
    per = h.groupby("sku").agg(units=("units", "sum"), gmv=("gmv", "sum"),
                               list_value=("list_value", "sum") if "list_value" in h else ("gmv", "sum"))
    sk = scope[["sku", "category"]].merge(per, on="sku", how="left").fillna({"units": 0.0, "gmv": 0.0})
    n_days = pd.Series(len(clean), index=sk.index, dtype=float)
    if "launch_date" in scope.columns:
        launch = scope.set_index("sku")["launch_date"].reindex(sk["sku"]).to_numpy()
        launched = pd.to_datetime(launch)
        n_days = pd.Series([float((clean >= lt).sum()) if pd.notna(lt) else float(len(clean)) for lt in launched],
                           index=sk.index)
    sk["daily"] = sk["units"] / n_days.where(n_days > 0)
    sk["daily"] = sk["daily"].fillna(0.0)
    cost = scope.set_index("sku")["unit_cost"] if "unit_cost" in scope else pd.Series(dtype=float)
    sk["unit_cost"] = sk["sku"].map(cost).astype(float)
    if "list_price" in scope.columns:
        sk["list_price"] = sk["sku"].map(scope.set_index("sku")["list_price"]).astype(float)
    else:
        lv = hist[hist["sku"].isin(scope["sku"])].groupby("sku")[["list_value", "units"]].sum() \
            if "list_value" in hist else None
        sk["list_price"] = sk["sku"].map(lv["list_value"] / lv["units"]) if lv is not None else np.nan
    sk["everyday_price"] = (sk["gmv"] / sk["units"].where(sk["units"] > 0)).fillna(sk["list_price"])
    sk["list_price"] = sk["list_price"].fillna(sk["everyday_price"])
    # SKUs that never sold have no price: their category's median (they plan 0 units, but keep the sums finite)
    for col in ("everyday_price", "list_price"):
        med = sk.groupby("category")[col].transform("median")
        sk[col] = sk[col].fillna(med).fillna(0.0)
    if sk["unit_cost"].isna().any():
        notes.append(f"{int(sk['unit_cost'].isna().sum()):,} SKUs in scope have no unit cost: counted at 0 in the margin")
    # season factor per category, from a year earlier
    shift = pd.Timedelta(days=364)
    around = _mean_daily(cube[cube["date"] <= as_of], plan.start - shift - pd.Timedelta(days=14),
                         plan.end - shift + pd.Timedelta(days=14), bad, "category")
    before = _mean_daily(cube[cube["date"] <= as_of], clean.min() - shift, clean.max() - shift, bad, "category")
    season = (around / before.where(before > 0)).clip(0.5, 2.0) if len(around) and len(before) else pd.Series(dtype=float)
    if season.empty:
        notes.append("less than a year of data before the window: no season factor (1)")
    sk["season_factor"] = sk["category"].map(season).fillna(1.0)
    sk["baseline_units"] = sk["daily"] * plan.days * sk["season_factor"]
    sk["plan_price"] = np.minimum(sk["list_price"] * (1 - plan.discount_depth), sk["everyday_price"])
    sk["price_ratio"] = (sk["plan_price"] / sk["everyday_price"].where(sk["everyday_price"] > 0)).fillna(1.0)
    # elasticities
    el = pd.DataFrame(columns=["category", "elasticity", "low", "high"])
    if elasticities is not None and len(elasticities):
        el = elasticities.copy()
        if "usable" in el:
            el = el[el["usable"].astype(bool)]
        el = el[np.isfinite(el["elasticity"].astype(float)) & (el["elasticity"].astype(float) < 0)]
        for c in ("low", "high"):
            if c not in el:
                el[c] = el["elasticity"]
    e_map = el.set_index("category")[["elasticity", "low", "high"]] if len(el) else None
    sk["elasticity"] = sk["category"].map(e_map["elasticity"]) if e_map is not None else np.nan
    has_e = sk["elasticity"].notna()
    # past campaigns
    if past is None:
        past = past_uplifts(cube, campaigns, products, plan.kind, as_of=as_of, n=n_past) if campaigns is not None \
            else pd.DataFrame(columns=["uplift", "price_ratio", "pull_forward_days", "spend", "days"])
    good = past.dropna(subset=["uplift"]) if len(past) else past
    e_bar = float(np.average(sk.loc[has_e, "elasticity"], weights=sk.loc[has_e, "baseline_units"] + 1e-9)) \
        if has_e.any() else np.nan
    traffic = None
    if len(good):
        u = good["uplift"].to_numpy(float)
        if np.isfinite(e_bar):
            t = u / np.power(good["price_ratio"].fillna(1.0).to_numpy(float), e_bar)
            traffic = (float(np.median(t)), float(t.min()), float(t.max()))
        u_mid, u_lo, u_hi = float(np.median(u)), float(u.min()), float(u.max())
    else:
        u_mid = u_lo = u_hi = np.nan
        notes.append(f"no past {plan.kind} campaign could be evaluated: no lift beyond the price effect is assumed")
    # expected units per SKU
    t_mid, t_lo, t_hi = traffic if traffic else (1.0, 1.0, 1.0)
    e_lo = sk["category"].map(e_map["low"]) if e_map is not None else np.nan
    e_hi = sk["category"].map(e_map["high"]) if e_map is not None else np.nan
    r = sk["price_ratio"].to_numpy(float)
    b = sk["baseline_units"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        mid = b * np.power(r, sk["elasticity"].to_numpy(float)) * t_mid
        corners = np.column_stack([b * np.power(r, np.asarray(e, float)) * t for e in (e_lo, e_hi)
                                   for t in (t_lo, t_hi)])
    finite = np.isfinite(corners).any(axis=1)
    lo_e = np.where(finite, np.where(np.isfinite(corners), corners, np.inf).min(axis=1), np.nan)
    hi_e = np.where(finite, np.where(np.isfinite(corners), corners, -np.inf).max(axis=1), np.nan)
    no_e = ~has_e.to_numpy()
    if no_e.any():
        if np.isfinite(u_mid):
            mid[no_e], lo_e[no_e], hi_e[no_e] = b[no_e] * u_mid, b[no_e] * u_lo, b[no_e] * u_hi
            cats = sorted(sk.loc[no_e, "category"].unique())
            notes.append(f"no usable elasticity for {', '.join(cats)}: their units take the past campaigns' lift as it "
                         f"was (x{u_mid:.2f}, {u_lo:.2f} .. {u_hi:.2f}); a different discount depth is not adjusted for")
        else:
            mid[no_e], lo_e[no_e], hi_e[no_e] = b[no_e], b[no_e], b[no_e]
            notes.append("neither an elasticity nor a past campaign for some categories: their plan is the baseline")
    sk["expected_units"], sk["low"], sk["high"] = mid, lo_e, hi_e
    method = ("elasticity x past lift beyond the price" if traffic and has_e.any() else
              "past campaigns' lift" if np.isfinite(u_mid) else "elasticity only" if has_e.any() else "baseline only")
    # pull-forward
    pf_days = float(good["pull_forward_days"].median()) if len(good) and good["pull_forward_days"].notna().any() else 0.0
    base_daily = float((sk["daily"] * sk["season_factor"]).sum())
    pf_units = pf_days * base_daily
    # spend
    spend = plan.marketing_spend
    if spend is None:
        if len(past) and past["spend"].notna().any():
            spend = float((past["spend"] / past["days"]).median() * plan.days)
            notes.append(f"marketing spend not given: the past campaigns' median per day x {plan.days} days")
        else:
            spend = 0.0
            notes.append("marketing spend not given and no past campaign to take it from: 0")
    table = _money(campaign_money, sk, spend, pf_units)
    by_cat = _by_category(sk, e_map, traffic, u_mid)
    stock, reason = None, None
    if inventory is None:
        reason = "no inventory table: the stock check is skipped"
    else:
        stock = _stock(sk, inventory, plan, as_of, lead_time_days, service_level, latest_stock, safety_stock)
    skus_out = sk[["sku", "category", "baseline_units", "expected_units", "low", "high", "everyday_price", "plan_price",
                   "unit_cost", "elasticity", "season_factor"]].copy()
    return CampaignPlanResult(plan, as_of, method, table, by_cat, skus_out, stock, past, traffic, notes, reason)


def _money(campaign_money: Any, sk: pd.DataFrame, spend: float, pf_units: float) -> pd.DataFrame:
    """The metrics table at the planned units and at the low and high ends of the range."""
    b = sk["baseline_units"].to_numpy(float)
    p0 = sk["everyday_price"].to_numpy(float)
    lst = sk["list_price"].to_numpy(float)
    c = sk["unit_cost"].fillna(0.0).to_numpy(float)
    base = float(b.sum())
    p_base = float((b * p0).sum() / base) if base > 0 else np.nan
    disc_base = float((b * (lst - p0)).sum() / base) if base > 0 else 0.0
    cols = {}
    for name in ("expected_units", "low", "high"):
        x = sk[name].to_numpy(float)
        units = float(x.sum())
        gmv = float((x * sk["plan_price"].to_numpy(float)).sum())
        # one cost per unit for the window: the expected units' mix, and the baseline's at the same mix
        unit_cost = float((x * c).sum() / units) if units > 0 else 0.0
        m = campaign_money(units_obs=units, gmv_obs=gmv, units_cf=base, price_base=p_base, unit_cost=unit_cost,
                           marketing_spend=spend, list_value_obs=float((x * lst).sum()), discount_per_unit_base=disc_base,
                           pull_forward_units=pf_units).to_dict()
        m = {k: (np.nan if v is None else v) for k, v in m.items()}  # unknown (no spend: ROI, ROAS) as NaN
        cols[name] = {"baseline_units": base, "expected_units": units, "incremental_units": m["incremental_units"],
                      "gmv": gmv, "incremental_gmv": m["incremental_gmv"], "incremental_margin": m["incremental_margin"],
                      "discount_cost": m["discount_cost"], "pull_forward_units": pf_units,
                      "pull_forward_margin": m["pull_forward_margin"],
                      "marketing_spend": spend, "net_profit": m["net_profit"], "roi": m["roi"],
                      "incremental_roas": m["incremental_roas"]}
    labels = {"baseline_units": "基线销量 baseline units", "expected_units": "预计销量 expected units",
              "incremental_units": "增量销量 incremental units", "gmv": "预计成交额 GMV",
              "incremental_gmv": "增量成交额 incremental GMV", "incremental_margin": "增量毛利 incremental margin",
              "discount_cost": "折扣成本 discount cost", "pull_forward_units": "透支销量 pull-forward units",
              "pull_forward_margin": "透支毛利 pull-forward margin", "marketing_spend": "营销费用 marketing spend",
              "net_profit": "净利润 net profit", "roi": "ROI", "incremental_roas": "增量 ROAS incremental ROAS"}
    rows = [{"metric": k, "label": labels[k], "plan": cols["expected_units"][k], "low": cols["low"][k],
             "high": cols["high"][k]} for k in labels]
    return pd.DataFrame(rows)


def _by_category(sk: pd.DataFrame, e_map: pd.DataFrame | None, traffic: tuple | None, u_mid: float) -> pd.DataFrame:
    g = sk.assign(gmv=sk["expected_units"] * sk["plan_price"], w_ratio=sk["price_ratio"] * sk["baseline_units"]) \
        .groupby("category")
    out = pd.DataFrame({"skus": g.size(), "baseline_units": g["baseline_units"].sum(),
                        "expected_units": g["expected_units"].sum(), "low": g["low"].sum(), "high": g["high"].sum(),
                        "gmv": g["gmv"].sum(), "season_factor": g["season_factor"].mean(),
                        "price_ratio": g["w_ratio"].sum() / g["baseline_units"].sum().where(lambda x: x > 0)})
    out["lift"] = out["expected_units"] / out["baseline_units"].where(out["baseline_units"] > 0)
    out["elasticity"] = out.index.map(e_map["elasticity"]) if e_map is not None else np.nan
    out["method"] = np.where(out["elasticity"].notna(), "elasticity" + (" x past lift" if traffic else ""),
                             "past lift" if np.isfinite(u_mid) else "baseline")
    return out.reset_index().sort_values("expected_units", ascending=False, ignore_index=True)


def _stock(sk: pd.DataFrame, inventory: pd.DataFrame, plan: CampaignPlan, as_of: pd.Timestamp,
           lead: float | Mapping[str, float], service_level: float, latest_stock: Any, safety_stock: Any) -> pd.DataFrame:
    inv = inventory[(inventory["date"] <= as_of) & inventory["sku"].isin(sk["sku"])]
    snap = latest_stock(inv) if len(inv) else pd.DataFrame(columns=["sku", "stock_date", "on_hand"])
    s = sk[["sku", "category", "daily", "season_factor", "expected_units"]].merge(snap[["sku", "on_hand"]], on="sku",
                                                                                   how="left")
    s["on_hand"] = s["on_hand"].fillna(0.0).astype(float)
    gap_days = max(int((plan.start - as_of).days) - 1, 0)
    s["demand_before"] = s["daily"] * s["season_factor"] * gap_days
    s["stock_at_start"] = (s["on_hand"] - s["demand_before"]).clip(lower=0)
    x = s["expected_units"].to_numpy(float)
    ss = safety_stock(np.sqrt(7.0 * x / plan.days), plan.days, service_level)
    s["safety_stock"] = ss
    s["needed"] = x + ss
    s["shortfall"] = np.ceil((s["needed"] - s["stock_at_start"]).clip(lower=0) - 1e-9).clip(lower=0).astype("int64")
    lt = s["category"].map(lead).astype(float) if isinstance(lead, Mapping) else pd.Series(float(lead), index=s.index)
    s["lead_time_days"] = lt.fillna(14.0)
    s["order_by"] = plan.start - pd.to_timedelta(s["lead_time_days"], unit="D")
    first_day = as_of + pd.Timedelta(days=1)
    s["status"] = np.where(s["shortfall"] == 0, "enough stock",
                           np.where(s["order_by"] >= first_day,
                                    "order " + s["shortfall"].astype(str) + " by " + s["order_by"].dt.strftime("%Y-%m-%d"),
                                    "too late: lead time " + s["lead_time_days"].round().astype(int).astype(str)
                                    + " days, " + str(gap_days + 1) + " left"))
    return s.drop(columns=["daily", "season_factor"])
