"""Campaign evaluation: did the promotion make money, and what would have happened without it?

A before/after comparison misleads: the campaign window differs from the weeks before it in weekday
mix, season and trend, and customers shift purchases into the window (pull-forward) and away from
siblings (cannibalisation). So we compare the window with a **counterfactual**, two ways:

* :func:`evaluate_campaign` → ``impact``: structural time-series counterfactual
  (:mod:`opslib.campaigns.counterfactual`, standardised so it does not depend on the scale of the series) of
  the scoped SKUs' daily units, fitted on the pre-period with a control series as regressor
  (``control='auto'``: daily units of the SKUs outside the scope and outside the scoped subcategories), its
  coefficient fixed at the pre-period ratio of scoped to control units so that a shop-wide slowdown
  (Spring Festival) moves the counterfactual too. For scope-``all`` festivals there is no untreated SKU:
  the model uses the pre-period's level and weekly pattern plus, when the data reach back, last
  year's series over the same (52-weeks-earlier) dates with last year's campaigns masked out. That
  counterfactual is an extrapolation: trust it for short windows with a clean, stable pre-period.
* ``did``: difference-in-differences of the scoped SKUs against the control group (rescaled to the
  treated pre-period mean), OLS with HC1 standard errors (:func:`~opslib.campaigns.did.scaled_did`). Not
  available for scope-``all`` campaigns (last year's window had the same festival, so it is not a control).

Other campaigns, public holidays, the country's shopping festivals and the shop's own events around the
campaign are set aside or modelled (:mod:`opslib.campaigns.overlap`, ``overlap='mask' | 'regress' |
'raise'``); ``CampaignEvaluation.overlaps`` lists what was done.

The money (:func:`~opslib.campaigns.money.campaign_money`), per campaign:

* ``incremental_units`` = observed units − counterfactual units (window, scoped SKUs);
* ``incremental_gmv = gmv_obs − units_cf × p_base`` (``p_base`` = pre-period GMV per unit);
* ``incremental_margin = (gmv_obs − units_obs × c) − units_cf × (p_base − c)`` (``c`` = cost per unit of the
  scoped units whose cost is known; unknown when none is);
* ``discount_cost = (list_value − gmv)_window − units_obs × d_base`` (``d_base`` = pre-period everyday
  discount per unit): what the campaign price gave away on the units sold (not to subtract again);
* ``net_profit = incremental_margin − pull_forward_margin − cannibalised_margin − marketing_spend``;
* ``roi = net_profit / marketing_spend``; ``incremental_roas = incremental_gmv / marketing_spend``.

Side effects (:func:`evaluate_campaign` → ``side_effects``): pull-forward (effect on the scoped SKUs
in the ``post_days`` after the window), cannibalisation (effect on the siblings in the window),
halo (effect on every other category), stock-up (units per order in the window vs the pre-period),
and new vs returning buyers with their later repeat rate (:func:`~opslib.campaigns.side_effects.buyer_mix`).

Example (the money, by hand): 100 units observed at GMV 8,000, counterfactual 60 units at ¥100, cost
¥50/unit, spend ¥1,000: incremental GMV = 8,000 − 6,000 = 2,000; margin = (8,000 − 5,000) −
60 × 50 = 0; ROAS = 2.0; ROI = (0 − 1,000) / 1,000 = −1.
    >>> m = campaign_money(units_obs=100, gmv_obs=8000, units_cf=60, price_base=100, unit_cost=50,
    ...                    marketing_spend=1000)
    >>> m.incremental_gmv, m.incremental_margin, m.incremental_roas, m.roi
    (2000.0, 0.0, 2.0, -1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opslib.campaigns.counterfactual import MIN_PRE_DAYS, ImpactResult, causal_impact
from opslib.campaigns.did import DidResult, scaled_did
from opslib.campaigns.money import UNKNOWN_COST, CampaignMoney, campaign_money
from opslib.campaigns.overlap import OverlapPlan, calendar_events, plan_overlaps
from opslib.campaigns.side_effects import buyer_mix, naive_uplift
from opslib.campaigns.table import (
    Campaign,
    _id_text,
    _mask_other_campaigns,
    campaign_periods,
    get_campaign,
    scope_skus,
    sibling_skus,
)
from opslib.errors import CampaignError

#: Days between a date and the same weekday last year.
LAST_YEAR_DAYS = 364
#: Pre-period days of the outcome this many robust sds from their weekday median are set aside, and the
#: control's upward outliers clipped there (:func:`~opslib.campaigns.counterfactual.outlier_days`).
OUTLIER_SD = 5.0
#: Random-walk sd of the counterfactual's level, in pre-period sds (CausalImpact's prior scale).
LEVEL_SD: float | None = 0.01
#: Placebo checks of the counterfactual (earlier windows of the campaign's length without a campaign) and how
#: many candidate windows are tried (:func:`~opslib.campaigns.counterfactual.placebo_errors`).
PLACEBOS = 4
PLACEBO_TRIES = 12
#: Values of ``control``.
CONTROLS: tuple[str, ...] = ("auto", "by_category", "none")


def _daily(cube: pd.DataFrame, skus: set[str] | None, index: pd.DatetimeIndex,
           cols: tuple[str, ...] = ("units",)) -> pd.DataFrame:
    """Daily sums of ``cols`` over ``skus`` (None = all), zero-filled on ``index``."""
    c = cube if skus is None else cube[cube["sku"].isin(skus)]
    c = c[(c["date"] >= index[0]) & (c["date"] <= index[-1])]
    return c.groupby("date")[list(cols)].sum().reindex(index, fill_value=0).astype(float)


def _control_frame(cube: pd.DataFrame, products: pd.DataFrame, skus: set[str], index: pd.DatetimeIndex,
                   control: str | list[str]) -> pd.DataFrame:
    """Control regressors: daily units of the control SKUs, summed (``auto``) or per category."""
    p = products[products["sku"].isin(skus)]
    if isinstance(control, list):
        p = p[p["category"].isin(control)]
    c = cube[cube["sku"].isin(set(p["sku"])) & (cube["date"] >= index[0]) & (cube["date"] <= index[-1])]
    wide = c.pivot_table(index="date", columns="category", values="units", aggfunc="sum")
    wide = wide.reindex(index, fill_value=0).fillna(0.0).astype(float)
    if control == "by_category":
        return wide
    return wide.sum(axis=1).to_frame("control_total")


def _last_year_control(cube: pd.DataFrame, campaigns: pd.DataFrame | None, index: pd.DatetimeIndex,
                       post_days: int, calendar: pd.DataFrame | None) -> pd.DataFrame | None:
    """Total daily units 364 days earlier, last year's campaign days (+ post_days) and calendar days interpolated."""
    ly_index = index - pd.Timedelta(days=LAST_YEAR_DAYS)
    if cube["date"].min() > ly_index[0]:
        return None
    s = _daily(cube, None, ly_index)["units"]
    m = pd.Series(False, index=ly_index)
    if campaigns is not None:
        for _, r in campaigns.iterrows():
            a, b = pd.Timestamp(r["start"]), pd.Timestamp(r["end"]) + pd.Timedelta(days=post_days)
            m |= (ly_index >= a) & (ly_index <= b)
    if calendar is not None:
        for e in calendar.itertuples(index=False):
            m |= (ly_index >= e.start) & (ly_index <= e.end)
    s[m.to_numpy()] = np.nan
    # smooth over the gap with the weekly mean level around it, keep the weekday pattern
    s = s.rolling(7, min_periods=3, center=True).mean().interpolate(limit_direction="both")
    if s.isna().all():
        return None
    return pd.DataFrame({"last_year": s.to_numpy()}, index=index)


def _control_coef(controls: pd.DataFrame | None, campaign: Campaign) -> str:
    """How :func:`causal_impact` weighs the control: ``'ratio'`` for one concurrent control series.

    A scoped campaign's control (the untreated SKUs, summed) moves with the whole shop: the Spring
    Festival slowdown, a site outage, a traffic shift hit it and the scoped SKUs in proportion. Its
    maximum-likelihood coefficient is identified only by the control's wiggles beyond the weekday
    pattern in a quiet pre-period, so it comes out near zero or even negative (2025 coupon on the
    sample shop: 0.02 ± 0.10 per control unit against a pre-period ratio of 0.18), and the
    counterfactual ignores a shop-wide dip after the window, which then reads as pull-forward. The
    ratio ties the counterfactual to the control in proportion (as the DiD does). Last year's series
    (scope ``all``) and several per-category regressors keep the estimated coefficients.
    """
    if controls is None or campaign.scope_type == "all" or controls.shape[1] != 1:
        return "mle"
    return "ratio"


@dataclass
class CampaignEvaluation:
    """Everything :func:`evaluate_campaign` found about one campaign.

    ``impact``: :class:`~opslib.campaigns.counterfactual.ImpactResult` over pre + window + post (scoped SKUs);
    ``effects``: one row per segment (``window``, ``post``) with ``effect``, ``low``, ``high``, ``sd``,
    ``tail_probability``, ``observed``, ``predicted``; ``did``: :class:`~opslib.campaigns.did.DidResult` or
    None; ``money``: :class:`~opslib.campaigns.money.CampaignMoney`; ``side_effects``: one row per effect
    (``effect``, ``units``, ``low``, ``high``, ``note``); ``overlaps``: other campaigns and calendar days and
    what was done about them (:class:`~opslib.campaigns.overlap.OverlapPlan` table); ``periods``: the
    ``pre``/``window``/``post`` days used; ``method``: the counterfactual in words; ``notes``: what was
    assumed, set aside or skipped; ``buyers``: :func:`~opslib.campaigns.side_effects.buyer_mix` or None.
    """

    campaign: Campaign
    impact: ImpactResult
    effects: pd.DataFrame
    did: DidResult | None
    money: CampaignMoney
    side_effects: pd.DataFrame
    overlaps: pd.DataFrame
    periods: dict[str, tuple[pd.Timestamp, pd.Timestamp]]
    method: str
    n_scope_skus: int
    notes: list[str] = field(default_factory=list)
    buyers: dict[str, float] | None = None

    @property
    def window(self) -> dict[str, float]:
        """The window segment of :attr:`effects` as a dict (``effect``, ``low``, ``high``, ...)."""
        return self.effects.set_index("segment").loc["window"].to_dict()

    def summary(self) -> pd.DataFrame:
        """One row for the overview: id, name, kind, window, incremental units with interval, DiD, fit check,
        pull-forward and the money (None/NaN where a figure needs an unknown cost)."""
        w = self.window
        side = self.side_effects.set_index("effect")["units"]
        out: dict[str, Any] = {
            "campaign_id": self.campaign.campaign_id, "name": self.campaign.name, "kind": self.campaign.kind,
            "start": self.campaign.start, "end": self.campaign.end, "days": self.campaign.days,
            "scope_type": self.campaign.scope_type, "scope_skus": self.n_scope_skus,
            "incremental_units": w["effect"], "units_low": w["low"], "units_high": w["high"],
            "tail_probability": w["tail_probability"], "confidence": self.impact.confidence,
            "relative_effect": w["effect"] / w["predicted"] if w["predicted"] else np.nan,
            "did_units": self.did.incremental_units if self.did else np.nan,
            "pull_forward_units": side.get("pull_forward", np.nan), "fit_mape_pre": self.impact.fit_mape_pre,
            "fit_ok": self.impact.fit_ok, "pre_days_used": self.impact.pre_days_used,
        }
        out.update({k: (np.nan if v is None else v) for k, v in self.money.to_dict().items()
                    if k != "incremental_units"})
        return pd.DataFrame([out])

    def estimates(self) -> pd.DataFrame:
        """The incremental units three ways, side by side: ``method``, ``units``, ``low``, ``high``, ``note``.

        Naive before/after (:func:`~opslib.campaigns.side_effects.naive_uplift`), the counterfactual and the DiD.
        """
        w = self.window
        c = self.campaign
        rows = [{"method": "naive before/after 前后对比", "units": naive_uplift(self.impact.series, c.start, c.end),
                 "low": np.nan, "high": np.nan, "note": "window minus pre-period daily mean x days"},
                {"method": "counterfactual 反事实", "units": w["effect"], "low": w["low"], "high": w["high"],
                 "note": self.method}]
        if self.did is not None:
            rows.append({"method": "difference-in-differences 双重差分", "units": self.did.incremental_units,
                         "low": self.did.low, "high": self.did.high,
                         "note": f"p = {self.did.p_value:.3g}" if self.did.p_value >= 0.001 else "p < 0.001"})
        return pd.DataFrame(rows)

    def describe(self) -> str:
        """The campaign in one line: id, name, window, scope, discount and spend (money in the shop's currency)."""
        from opslib.plotting.format import money, percent

        c = self.campaign
        fit = (f"pre-period fit: weighted MAPE {percent(self.impact.fit_mape_pre, 0)}"
               + ("" if self.impact.fit_ok else " — DO NOT TRUST the counterfactual"))
        return (f"{c.campaign_id} {c.name}: {c.start:%Y-%m-%d}..{c.end:%Y-%m-%d} ({c.days} days), scope {c.scope_type}"
                f"{': ' + '|'.join(c.scope)[:60] if c.scope else ''} ({self.n_scope_skus:,} SKUs), discount "
                f"{percent(c.discount_depth)}, marketing spend {money(c.marketing_spend)}; {fit}")

    def to_dict(self) -> dict[str, Any]:
        """The evaluation as plain JSON values (what ``python -m opslib campaign evaluate --format json`` prints);
        None for anything that cannot be computed (e.g. ``net_profit`` without cost data)."""
        w = self.window
        side = self.side_effects.set_index("effect")
        pf = side.loc["pull_forward"] if "pull_forward" in side.index else None

        def num(x: Any) -> float | None:
            return None if x is None or not np.isfinite(float(x)) else float(x)

        c = self.campaign
        out: dict[str, Any] = {
            "campaign_id": c.campaign_id, "name": c.name, "kind": c.kind, "start": f"{c.start:%Y-%m-%d}",
            "end": f"{c.end:%Y-%m-%d}", "scope_type": c.scope_type, "scope_skus": self.n_scope_skus,
            "incremental_units": num(w["effect"]), "incremental_units_low": num(w["low"]),
            "incremental_units_high": num(w["high"]), "confidence": self.impact.confidence,
            "tail_probability": num(w["tail_probability"]), "observed_units": num(w["observed"]),
            "counterfactual_units": num(w["predicted"]),
            "pull_forward_units": num(pf["units"]) if pf is not None else None,
            "pull_forward_low": num(pf["low"]) if pf is not None else None,
            "pull_forward_high": num(pf["high"]) if pf is not None else None,
            "did_units": num(self.did.incremental_units) if self.did else None,
            "fit_mape_pre": num(self.impact.fit_mape_pre), "fit_ok": self.impact.fit_ok,
            "pre_days_used": self.impact.pre_days_used, "method": self.method,
            "periods": {k: [f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}"] for k, (a, b) in self.periods.items()},
        }
        money = self.money.to_dict()
        money.pop("incremental_units")
        out.update(money)
        out["notes"] = list(self.notes) + list(self.money.notes)
        return out

    def plot_did(self) -> Any:
        """Treated vs scaled control (:meth:`DidResult.plot`), or why the DiD was skipped printed and None."""
        if self.did is None:
            print("DiD skipped: no untreated control group for this campaign (scope 'all' or control='none').")
            return None
        return self.did.plot()

    def plot(self) -> Any:
        """Observed vs counterfactual, daily and cumulative effect, window shaded
        (:func:`opslib.plotting.campaigns.impact_chart`)."""
        from opslib.plotting.campaigns import impact_chart

        return impact_chart(self.impact.series, window=self.periods["window"], confidence=self.impact.confidence,
                            title=f"{self.campaign.campaign_id} {self.campaign.name}")


def _costs(cube: pd.DataFrame, products: pd.DataFrame, skus: set[str], sel_days: pd.DatetimeIndex
           ) -> tuple[float | None, float, float]:
    """``(unit cost, cost coverage, assumed share)`` of ``skus`` over the days ``sel_days``.

    ``unit cost = sum(cost) / sum(units_net)`` over the SKUs whose ``unit_cost`` is known (None when none is);
    coverage = their share of the units; assumed share = share of the units whose cost was assumed at import
    (``products.cost_source`` starting with "assumed").
    """
    known = set(products.loc[products["unit_cost"].notna(), "sku"].astype(str)) if "unit_cost" in products else set()
    c = cube[cube["sku"].isin(skus) & cube["date"].isin(sel_days)]
    units = float(c["units"].sum())
    k = c[c["sku"].isin(known)]
    if "cost" not in c or not len(k) or units <= 0:
        return None, 0.0, 0.0
    coverage = float(k["units"].sum()) / units
    net = float(k["units_net"].sum())
    unit_cost = float(k["cost"].fillna(0.0).sum()) / net if net > 0 else None
    assumed = 0.0
    if "cost_source" in products.columns:
        src = products["cost_source"].astype("string").fillna("")
        a = set(products.loc[src.str.startswith("assumed"), "sku"].astype(str))
        assumed = float(c.loc[c["sku"].isin(a), "units"].sum()) / units
    return unit_cost, coverage, assumed


def evaluate_campaign(cube: pd.DataFrame, campaigns: pd.DataFrame | None, products: pd.DataFrame,
                      campaign_id: object = None, pre_days: int = 56, post_days: int = 14,
                      control: str | list[str] = "auto", confidence: float = 0.90,
                      orders: Any = None, halo: bool = True, overlap: str = "mask",
                      country: str = "CN", events: pd.DataFrame | None = None,
                      calendar: bool = True) -> CampaignEvaluation:
    """Evaluate one campaign: counterfactual, DiD, money and side effects.

    Formulas: module docstring (counterfactual: :func:`causal_impact`; money: :func:`campaign_money`).

    Parameters:
        cube: :func:`opslib.data.daily_sku` output (with products: ``category``, ``cost``).
        campaigns: the campaigns table (with an ad-hoc row: :func:`~opslib.campaigns.table.with_adhoc`).
        products: the products table. campaign_id: the id (text; a number is read as text) or None for the
            latest campaign that has ended and has a usable pre-period.
        pre_days, post_days: days before (fit) and after (pull-forward) the window.
        control: ``'auto'`` (one series: daily units of all SKUs outside the scope and its subcategories;
            on the sample shop it beat per-category regressors, which overfit a 56-day pre-period),
            ``'by_category'`` (one regressor per such category), ``'none'``, or a list of categories (summed).
        confidence: of every interval. orders: the shop (``load_shop``), order lines or a Parquet path (optional):
            adds new vs returning buyers (:func:`~opslib.campaigns.side_effects.buyer_mix`, one SQL query).
        halo: also estimate the effect on every other category. overlap: ``'mask'``, ``'regress'`` or
            ``'raise'`` (:mod:`opslib.campaigns.overlap`). country, events: the shop's calendar
            (``shop.settings.country``, ``shop.settings.events_frame()``): its holidays, festivals and own
            events are set aside in the pre-period. calendar: False to ignore holidays and festivals.

    Returns:
        :class:`CampaignEvaluation`. Raises :class:`CampaignError` for an unknown id or option, too little
        pre-period data, a window not yet over, or (``overlap='raise'``) an overlap.

    Example: SKU A gets +20 units a day for 3 days (60 units); the interval covers them.
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> days = pd.date_range("2024-01-01", periods=100)
        >>> cube = pd.concat([pd.DataFrame({"date": days, "sku": s, "category": c, "subcategory": c + "1",
        ...     "units": rng.poisson(lam, 100) + 20.0 * ((days >= "2024-03-20") & (days <= "2024-03-22") & (s == "A")),
        ...     "units_net": 1.0, "orders": 1.0, "gmv": 1.0, "list_value": 1.0, "cost": 0.5})
        ...     for s, c, lam in [("A", "x", 30), ("B", "x", 30), ("C", "y", 60)]], ignore_index=True)
        >>> products = pd.DataFrame({"sku": ["A", "B", "C"], "category": ["x", "x", "y"],
        ...                          "subcategory": ["x1", "x1", "y1"], "unit_cost": 0.5})
        >>> camps = pd.DataFrame([{"campaign_id": "T", "name": "toy", "kind": "flash_sale", "discount_depth": 0.2,
        ...     "start": pd.Timestamp("2024-03-20"), "end": pd.Timestamp("2024-03-22"), "scope_type": "sku",
        ...     "scope": "A", "marketing_spend": 0.0}])
        >>> ev = evaluate_campaign(cube, camps, products, "T", halo=False, calendar=False)
        >>> bool(ev.window["low"] <= 60 <= ev.window["high"]), ev.did is not None
        (True, True)
    """
    if not (isinstance(control, list) or control in CONTROLS):
        raise CampaignError(f"control {control!r} is not understood: use 'auto', 'by_category', 'none' or a list "
                            "of categories")
    if not 0 < float(confidence) < 1:
        raise CampaignError(f"confidence {confidence!r} must be between 0 and 1, e.g. 0.9")
    if len(cube) == 0:
        raise CampaignError("there are no order lines to evaluate a campaign on")
    data_start, data_end = cube["date"].min(), cube["date"].max()
    camp = get_campaign(campaigns, campaign_id, data_start, data_end)
    per = campaign_periods(camp, pre_days, post_days)
    notes: list[str] = []
    if per["pre"][0] < data_start:
        have = int((camp.start - data_start).days)
        if have < MIN_PRE_DAYS:
            raise CampaignError(f"campaign {camp.campaign_id} ({camp.name}) starts {camp.start:%Y-%m-%d}, only {have} "
                                f"days after the data begin ({data_start:%Y-%m-%d}); the counterfactual needs at least "
                                f"{MIN_PRE_DAYS} days before it. Pick a later campaign or load earlier orders.")
        notes.append(f"pre-period shortened to {have} days: the data begin {data_start:%Y-%m-%d}")
        per["pre"] = (data_start, per["pre"][1])
    if per["window"][1] > data_end:
        raise CampaignError(f"campaign {camp.campaign_id} ({camp.name}) ends {camp.end:%Y-%m-%d}, after the last order "
                            f"day {data_end:%Y-%m-%d}: wait until it is over and the data are loaded.")
    if per["post"][1] > data_end:
        notes.append(f"post-period cut at the last data day {data_end:%Y-%m-%d}")
        per["post"] = (per["post"][0], data_end)
    scope = set(scope_skus(camp, products))
    if not scope:
        raise CampaignError(f"campaign {camp.campaign_id} ({camp.name}): none of its scope ({'|'.join(camp.scope)[:80]}) "
                            "matches products.sku/category: fix the scope column of campaigns.")
    sibs = set(sibling_skus(camp, products))
    span_end = per["post"][1] if per["post"][1] >= per["post"][0] else per["window"][1]
    pre_len = int((per["pre"][1] - per["pre"][0]).days) + 1
    hist_start = max(data_start, per["pre"][0] - pd.Timedelta(days=PLACEBO_TRIES * camp.days + pre_len))
    span = cube[(cube["date"] >= hist_start) & (cube["date"] <= span_end)]
    span = span.assign(sku=span["sku"].astype(str))
    pre_rows = span[(span["date"] >= per["pre"][0]) & (span["date"] <= per["pre"][1])]
    units_by_sku = pre_rows.groupby("sku")["units"].sum()
    all_skus = set(products["sku"].astype(str))
    candidates = None if camp.scope_type == "all" or control == "none" else all_skus - scope - sibs
    cal = (calendar_events(per["pre"][0], span_end, country, events) if calendar else None)
    plan: OverlapPlan = plan_overlaps(campaigns, camp, products, units_by_sku, per, post_days, overlap,
                                      candidates, cal)
    notes.extend(plan.notes)
    if per["post"][1] >= per["post"][0]:
        per["post"] = (per["post"][0], plan.post_end) if plan.post_end is not None else (per["post"][0],
                                                                                        per["post"][0] - pd.Timedelta(days=1))
    has_post = per["post"][1] >= per["post"][0]
    end = per["post"][1] if has_post else per["window"][1]
    index = pd.date_range(per["pre"][0], end, freq="D")
    mask = plan.mask.reindex(index).fillna(False).astype(bool)
    regressors = plan.regressors.reindex(index).fillna(0.0) if plan.regressors is not None else None
    obs = _daily(span, scope, index, ("units", "gmv", "list_value", "units_net", "orders"))
    y = obs["units"]
    # the longer history before the pre-period, for the placebo checks: other campaigns and calendar days set aside
    hist_index = pd.date_range(hist_start, end, freq="D")
    hist_mask = pd.Series(False, index=hist_index)
    hist_mask[index] = mask.to_numpy()
    before = hist_index < per["pre"][0]
    if before.any():
        if campaigns is not None:
            hist_mask |= _mask_other_campaigns(campaigns, camp, hist_index, post_days) & before
        if calendar:
            for e in calendar_events(hist_index[0], per["pre"][0] - pd.Timedelta(days=1), country, events).itertuples():
                hist_mask |= (hist_index >= e.start) & (hist_index <= e.end) & before
    y_hist = _daily(span, scope, hist_index)["units"]
    placebo = PLACEBOS
    if camp.scope_type == "all":
        def _ly(ix: pd.DatetimeIndex) -> pd.DataFrame | None:
            cal_ly = calendar_events(ix[0] - pd.Timedelta(days=LAST_YEAR_DAYS), ix[-1] - pd.Timedelta(days=LAST_YEAR_DAYS),
                                     country, events) if calendar else None
            return _last_year_control(cube, campaigns, ix, post_days, cal_ly)

        controls = None
        if control != "none":
            controls = _ly(hist_index)
            if controls is None and before.any():
                controls = _ly(index)
                placebo = 0  # last year's series does not reach back far enough for the placebo pre-periods
        notes.append("scope 'all': no untreated SKUs. Counterfactual = pre-period level and weekly pattern"
                     + (" + last year's series (campaign and holiday days interpolated)" if controls is not None else
                        " only (no data a year earlier)") + "; an extrapolation — trust it less than a "
                     "controlled estimate, and least for long windows.")
        control_text = "last year's series" if controls is not None else "no control"
    else:
        control_skus = (candidates or set()) - plan.control_exclude
        controls = None if control == "none" or not control_skus else _control_frame(span, products, control_skus,
                                                                                     hist_index, control)
        if controls is not None and (controls.empty or float(controls.to_numpy().sum()) <= 0):
            controls = None
        if controls is None and control != "none":
            notes.append("no untreated SKUs with sales left for a control group: counterfactual from the "
                         "pre-period level and weekly pattern only")
        control_text = ("no control" if controls is None else
                        f"{len(control_skus):,} untreated SKUs" + (" at the pre-period ratio" if controls.shape[1] == 1
                                                                   else " by category"))
    coef = _control_coef(controls, camp)
    try:
        res = causal_impact(y_hist, controls, per["pre"][0], per["pre"][1], per["window"][0], end,
                            confidence=confidence, mask=hist_mask, control_coef=coef, regressors=regressors,
                            outlier_sd=OUTLIER_SD, placebo=placebo, placebo_days=camp.days, level_sd=LEVEL_SD)
    except ValueError as exc:
        raise CampaignError(f"campaign {camp.campaign_id} ({camp.name}): {exc} in the pre-period "
                            f"{per['pre'][0]:%Y-%m-%d}..{per['pre'][1]:%Y-%m-%d} after setting other campaigns' "
                            "days aside. Use a longer pre_days, overlap='regress', or evaluate a campaign with a "
                            "cleaner run-up.") from exc
    notes.extend(res.notes)
    method = f"structural time series ({res.model}); control: {control_text}; overlap: {overlap}"
    seg = {"window": res.segment(*per["window"])}
    if has_post:
        seg["post"] = res.segment(*per["post"])
    effects = pd.DataFrame([{"segment": k, **v} for k, v in seg.items()])
    # --- DiD
    did = None
    if controls is not None and camp.scope_type != "all":
        did = scaled_did(y, controls.reindex(index).sum(axis=1), per["pre"], per["window"], mask, confidence)
    else:
        notes.append("DiD skipped: no untreated control group (scope 'all' or control='none').")
    # --- side effects
    rows = []
    pf = seg.get("post")
    if pf is not None:
        days = int((per["post"][1] - per["post"][0]).days) + 1
        rows.append({"effect": "pull_forward", "units": -pf["effect"], "low": -pf["high"], "high": -pf["low"],
                     "note": f"units lost by the scoped SKUs in the {days} days after the window (positive = dip)"})
    cann = None
    if sibs:
        ys = _daily(span, sibs, index)["units"]
        try:
            r_s = causal_impact(ys, controls, per["pre"][0], per["pre"][1], per["window"][0], per["window"][1],
                                confidence=confidence, mask=mask)
            cann = -r_s.effect
            rows.append({"effect": "cannibalisation", "units": cann, "low": -r_s.effect_high, "high": -r_s.effect_low,
                         "note": f"units lost by {len(sibs)} sibling SKUs not on promotion (positive = cannibalised)"})
        except ValueError as exc:
            notes.append(f"cannibalisation skipped: {exc}")
    if halo and camp.scope_type != "all":
        rest = products[~products["sku"].astype(str).isin(scope | sibs)]
        for cat, grp in rest.groupby("category"):
            yc = _daily(span, set(grp["sku"].astype(str)), index)["units"]
            try:
                r_c = causal_impact(yc, None, per["pre"][0], per["pre"][1], per["window"][0], per["window"][1],
                                    confidence=confidence, mask=mask)
            except ValueError:
                continue
            rows.append({"effect": f"halo:{cat}", "units": r_c.effect, "low": r_c.effect_low,
                         "high": r_c.effect_high, "note": "effect on another category (positive = halo)"})
    pre_sel = np.asarray((index >= per["pre"][0]) & (index <= per["pre"][1])) & ~mask.to_numpy()
    win_sel = np.asarray((index >= per["window"][0]) & (index <= per["window"][1]))
    upo_pre = obs.loc[pre_sel, "units"].sum() / max(obs.loc[pre_sel, "orders"].sum(), 1)
    upo_win = obs.loc[win_sel, "units"].sum() / max(obs.loc[win_sel, "orders"].sum(), 1)
    rows.append({"effect": "stock_up", "units": float(upo_win - upo_pre), "low": np.nan, "high": np.nan,
                 "note": f"units per order in the window {upo_win:.2f} vs pre-period {upo_pre:.2f}"})
    side = pd.DataFrame(rows, columns=["effect", "units", "low", "high", "note"])
    # --- money
    pre_units = obs.loc[pre_sel, "units"].sum()
    price_base = obs.loc[pre_sel, "gmv"].sum() / pre_units if pre_units else np.nan
    disc_base = (obs.loc[pre_sel, "list_value"].sum() - obs.loc[pre_sel, "gmv"].sum()) / pre_units if pre_units else 0.0
    cost_days = index[pre_sel | win_sel]
    unit_cost, coverage, assumed = _costs(span, products, scope, cost_days)
    sib_margin, sib_known = None, True
    if sibs:
        s_cost, s_cov, _ = _costs(span, products, sibs, index[pre_sel])
        so = _daily(span, sibs, index, ("units", "gmv")).loc[pre_sel]
        sib_known = s_cost is not None
        if s_cost is not None and so["units"].sum() > 0:
            sib_margin = so["gmv"].sum() / so["units"].sum() - s_cost
    w = seg["window"]
    money = campaign_money(units_obs=w["observed"], gmv_obs=obs.loc[win_sel, "gmv"].sum(), units_cf=w["predicted"],
                           price_base=price_base, unit_cost=unit_cost, marketing_spend=camp.marketing_spend,
                           list_value_obs=obs.loc[win_sel, "list_value"].sum(), discount_per_unit_base=disc_base,
                           pull_forward_units=-pf["effect"] if pf else 0.0, cannibalised_units=cann or 0.0,
                           sibling_margin_per_unit=sib_margin, cost_coverage=coverage, sibling_cost_known=sib_known)
    if assumed > 0 and money.incremental_margin is not None:
        money.notes.append(f"the unit costs of {assumed:.0%} of the scoped units were assumed at import, not taken "
                           "from the shop's books: the margin is that assumption")
    buyers = None
    if orders is not None:
        buyers = buyer_mix(orders, sorted(scope), per["window"], per["pre"])
    return CampaignEvaluation(campaign=camp, impact=res, effects=effects, did=did, money=money, side_effects=side,
                              overlaps=plan.table, periods=dict(per), method=method, n_scope_skus=len(scope),
                              notes=notes, buyers=buyers)


@dataclass
class CampaignOverview:
    """Every campaign of a period evaluated the same way and ranked (:func:`campaign_overview`).

    ``table``: :meth:`CampaignEvaluation.summary` columns plus ``rank`` and ``problem`` (why a campaign could not
    be evaluated); ``ranked_by``: ``incremental_margin`` when every evaluated campaign has a cost, else
    ``incremental_gmv`` (campaigns without cost data then have no margin rank: "unknown (no cost data)");
    ``notes``: how it was ranked.
    """

    table: pd.DataFrame
    ranked_by: str
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """The ranked table."""
        return self.table

    def plot(self) -> Any:
        """Bars of the ranking measure per campaign (:func:`opslib.plotting.campaigns.overview_chart`), or the
        reason there is nothing to draw printed and None."""
        from opslib.plotting.campaigns import overview_chart

        return overview_chart(self)


def campaign_overview(cube: pd.DataFrame, campaigns: pd.DataFrame | None, products: pd.DataFrame,
                      start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None,
                      last_days: int | None = None, **kwargs: Any) -> CampaignOverview:
    """Every campaign starting in ``[start, end]`` (or in the ``last_days`` before the data end) evaluated and ranked.

    Ranked by incremental gross margin, highest first; when some evaluated campaign has no cost data the
    margin cannot rank it, so all are ranked by incremental GMV and a note says so (their margin, net profit
    and ROI stay unknown). Campaigns that could not be evaluated rank last with their reason in ``problem``.

    Parameters:
        cube, campaigns, products: as :func:`evaluate_campaign`. start, end: first and last start day.
        last_days: instead of ``start``/``end``: campaigns starting in the last ``last_days`` days of data.
        kwargs: go to :func:`evaluate_campaign` (``halo`` defaults to False here, for speed).

    Returns:
        :class:`CampaignOverview`.

    Example: with no campaigns table there is nothing to rank, and the overview says why.
        >>> campaign_overview(pd.DataFrame({"date": [pd.Timestamp("2024-01-01")]}), None, None).notes
        ['no campaigns table: the overview needs one row per promotion in campaigns.csv']
    """
    kwargs.setdefault("halo", False)
    if campaigns is None or len(campaigns) == 0:
        empty = pd.DataFrame(columns=["rank", "campaign_id", "name", "incremental_margin", "incremental_gmv", "problem"])
        return CampaignOverview(table=empty, ranked_by="incremental_margin",
                                notes=["no campaigns table: the overview needs one row per promotion in campaigns.csv"])
    if last_days is not None:
        end = cube["date"].max()
        start = end - pd.Timedelta(days=int(last_days))
    c = campaigns.copy()
    if start is not None:
        c = c[pd.to_datetime(c["start"]) >= pd.Timestamp(start)]
    if end is not None:
        c = c[pd.to_datetime(c["start"]) <= pd.Timestamp(end)]
    rows = []
    for cid in c.sort_values("start")["campaign_id"]:
        try:
            s = evaluate_campaign(cube, campaigns, products, cid, **kwargs).summary()
            s["problem"] = ""
        except CampaignError as exc:
            r = c[c["campaign_id"] == cid].iloc[0]
            s = pd.DataFrame([{"campaign_id": _id_text(cid), "name": r["name"], "kind": r["kind"], "start": r["start"],
                               "end": r["end"], "problem": str(exc)}])
        rows.append(s)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["campaign_id", "problem"])
    for col in ("incremental_margin", "incremental_gmv"):
        if col not in out:
            out[col] = np.nan
    ok = out["problem"] == ""
    no_cost = ok & out["incremental_margin"].isna()
    ranked_by = "incremental_margin" if not no_cost.any() else "incremental_gmv"
    notes = []
    if no_cost.any():
        notes.append(f"{int(no_cost.sum())} of {int(ok.sum())} campaigns have no cost data: ranked by incremental GMV; "
                     f"their margin, net profit and ROI are {UNKNOWN_COST}")
    out = out.sort_values(ranked_by, ascending=False, na_position="last").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return CampaignOverview(table=out, ranked_by=ranked_by, notes=notes)


@dataclass
class ShopEvaluation:
    """What :func:`evaluate_shop` did: the evaluation (None when it could not be done), the messages about the
    choice of campaign, and ``problem`` (the reason, a :class:`CampaignError` text) when there is none."""

    evaluation: CampaignEvaluation | None
    messages: list[str] = field(default_factory=list)
    problem: str | None = None
    campaigns: pd.DataFrame | None = None

    @property
    def stop_reason(self) -> str:
        """Why there is nothing to show, for ``opslib.reporting.stop_here`` (empty when there is an evaluation)."""
        if self.evaluation is not None:
            return ""
        problem = str(self.problem).rstrip()
        end = "" if problem.endswith((".", "。")) else "."
        return f"无法评估 Cannot evaluate: {problem}{end} The rest of this report is skipped."

    def describe(self) -> str:
        """The choice messages and the evaluated campaign, one line each (only the messages without one)."""
        lines = list(self.messages)
        if self.evaluation is not None:
            lines.append(self.evaluation.describe())
        return "\n".join(lines)


def evaluate_shop(shop: Any, cube: pd.DataFrame | None = None, campaign_id: object = None, start: object = None,
                  end: object = None, scope: str | None = None, buyers: bool = True, **kwargs: Any) -> ShopEvaluation:
    """Choose and evaluate a campaign of a loaded shop as notebook 02 and the command line do.

    ``campaign_id`` (text; None: the latest campaign that has ended with a usable pre-period) or an ad-hoc window
    ``start``/``end``/``scope`` (:func:`~opslib.campaigns.table.choose_campaign`); the shop's country and own
    events set the calendar (``shop.settings``). A :class:`CampaignError` becomes ``problem`` instead of an
    exception, so a report can stop once, with the reason.

    Parameters:
        shop: an ``opslib.data.Shop`` with orders and products (campaigns optional); its order lines are
            never read into pandas (``shop.orders`` is not touched): the cube, an ad-hoc window's discount and
            the buyer mix are SQL aggregates on the shop's engine. cube: its :func:`opslib.data.daily_sku`
            (``daily_sku(shop)``; built when None). campaign_id, start, end, scope: what to evaluate.
        buyers: add new vs returning buyers (needs ``customer_id``). kwargs: go to :func:`evaluate_campaign`
            (``pre_days``, ``post_days``, ``control``, ``confidence``, ``overlap``, ``halo``).

    Returns:
        :class:`ShopEvaluation`.

    Example: a shop without a campaigns table and no window gives the reason, not an exception.
        >>> from types import SimpleNamespace
        >>> shop = SimpleNamespace(campaigns=None, products=None, orders=None)
        >>> evaluate_shop(shop).stop_reason.split(":")[:2]
        ['无法评估 Cannot evaluate', ' no campaigns table']
    """
    from opslib.campaigns.table import choose_campaign
    from opslib.data import daily_sku

    # The lines stay where they are: the cube, the ad-hoc discount and the buyer mix are SQL aggregates over
    # the shop (its engine, or DuckDB over the frames it was built with); only a plain namespace is read as frames.
    lines = shop if hasattr(shop, "source") else shop.orders
    try:
        campaigns, cid, messages = choose_campaign(shop.campaigns, shop.products, campaign_id, start, end, scope,
                                                   orders=lines)
        if cube is None:
            cube = daily_sku(lines, shop.products)
        ev = evaluate_campaign(cube, campaigns, shop.products, cid, orders=lines if buyers else None,
                               country=shop.settings.country, events=shop.settings.events_frame(), **kwargs)
    except CampaignError as exc:
        return ShopEvaluation(None, [], str(exc))
    return ShopEvaluation(ev, messages, None, campaigns)
