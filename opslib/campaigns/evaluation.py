"""Campaign evaluation: did the promotion make money, and what would have happened without it?

A before/after comparison misleads: the campaign window differs from the weeks before it in weekday
mix, season and trend, and customers shift purchases into the window (pull-forward) and away from
siblings (cannibalisation). So we compare the window with a **counterfactual**, two ways:

* :func:`evaluate_campaign` → ``impact``: structural time-series counterfactual
  (:mod:`opslib.campaigns.counterfactual`) of the scoped SKUs' daily units, fitted on the pre-period with
  a control series as regressor (``control='auto'``: daily units of the SKUs outside the scope and
  outside the scoped subcategories), its coefficient fixed at the pre-period ratio of scoped to
  control units so that a shop-wide slowdown (Spring Festival) moves the counterfactual too. For scope-``all`` festivals there is no untreated SKU:
  the model uses the pre-period's level and weekly pattern plus, when the data reach back, last
  year's series over the same (52-weeks-earlier) dates with last year's campaigns masked out. That
  counterfactual is an extrapolation: trust it for short windows with a clean, stable pre-period.
* ``did``: difference-in-differences of the scoped SKUs against the control group (rescaled to the
  treated pre-period mean), OLS with HC1 standard errors (:func:`did_regression`). Not available
  for scope-``all`` campaigns (last year's window had the same festival, so it is not a control).

The money (:func:`campaign_money`), per campaign:

* ``incremental_units`` = observed units − counterfactual units (window, scoped SKUs);
* ``incremental_gmv = gmv_obs − units_cf × p_base`` (``p_base`` = pre-period GMV per unit);
* ``incremental_margin = (gmv_obs − units_obs × c) − units_cf × (p_base − c)`` (``c`` = cost per unit);
  the campaign discount is already inside it (units sold at the lower price);
* ``discount_cost = (list_value − gmv)_window − units_obs × d_base`` (``d_base`` = pre-period everyday
  discount per unit): what the campaign price gave away on the units sold (not to subtract again);
* ``net_profit = incremental_margin − pull_forward_margin − cannibalised_margin − marketing_spend``;
* ``roi = net_profit / marketing_spend``; ``incremental_roas = incremental_gmv / marketing_spend``.

Side effects (:func:`evaluate_campaign` → ``side_effects``): pull-forward (effect on the scoped SKUs
in the ``post_days`` after the window), cannibalisation (effect on the siblings in the window),
halo (effect on every other category), stock-up (units per order in the window vs the pre-period),
and new vs returning buyers with their later repeat rate (:func:`buyer_mix`).

Example (the money, by hand): 100 units observed at GMV 8,000, counterfactual 60 units at ¥100, cost
¥50/unit, spend ¥1,000: incremental GMV = 8,000 − 6,000 = 2,000; margin = (8,000 − 5,000) −
60 × 50 = 0; ROAS = 2.0; ROI = (0 − 1,000) / 1,000 = −1.
    >>> m = campaign_money(units_obs=100, gmv_obs=8000, units_cf=60, price_base=100, unit_cost=50,
    ...                    marketing_spend=1000)
    >>> m["incremental_gmv"], m["incremental_margin"], m["incremental_roas"], m["roi"]
    (2000.0, 0.0, 2.0, -1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from opslib.campaigns.counterfactual import MIN_PRE_DAYS, ImpactResult, causal_impact
from opslib.campaigns.did import _did
from opslib.campaigns.money import campaign_money
from opslib.campaigns.side_effects import buyer_mix
from opslib.campaigns.table import (
    Campaign,
    _mask_other_campaigns,
    campaign_periods,
    get_campaign,
    overlapping_campaigns,
    scope_skus,
    sibling_skus,
)
from opslib.data import cube as _cube
from opslib.errors import CampaignError

#: Days between a date and the same weekday last year.
LAST_YEAR_DAYS = 364






def _daily(cube: pd.DataFrame, skus: list[str] | None, index: pd.DatetimeIndex,
           cols: tuple[str, ...] = ("units",)) -> pd.DataFrame:
    """Daily sums of ``cols`` over ``skus`` (None = all), zero-filled on ``index``."""
    c = cube if skus is None else cube[cube["sku"].isin(set(skus))]
    c = c[(c["date"] >= index[0]) & (c["date"] <= index[-1])]
    return c.groupby("date")[list(cols)].sum().reindex(index, fill_value=0).astype(float)


def _control_frame(cube: pd.DataFrame, products: pd.DataFrame, exclude: set[str], index: pd.DatetimeIndex,
                   control: str | list[str]) -> pd.DataFrame:
    """Control regressors: daily units per category of the SKUs not in ``exclude``."""
    p = products[~products["sku"].isin(exclude)]
    if isinstance(control, list):
        p = p[p["category"].isin(control)]
    c = cube[cube["sku"].isin(set(p["sku"])) & (cube["date"] >= index[0]) & (cube["date"] <= index[-1])]
    wide = c.pivot_table(index="date", columns="category", values="units", aggfunc="sum")
    wide = wide.reindex(index, fill_value=0).fillna(0.0).astype(float)
    if control == "by_category":
        return wide
    return wide.sum(axis=1).to_frame("control_total")


def _last_year_control(cube: pd.DataFrame, campaigns: pd.DataFrame, index: pd.DatetimeIndex,
                       post_days: int) -> pd.DataFrame | None:
    """Total daily units 364 days earlier, with last year's campaign days (and post_days) interpolated over."""
    ly_index = index - pd.Timedelta(days=LAST_YEAR_DAYS)
    if cube["date"].min() > ly_index[0]:
        return None
    s = _daily(cube, None, ly_index)["units"]
    m = pd.Series(False, index=ly_index)
    for _, r in campaigns.iterrows():
        a, b = pd.Timestamp(r["start"]), pd.Timestamp(r["end"]) + pd.Timedelta(days=post_days)
        m |= (ly_index >= a) & (ly_index <= b)
    s[m.to_numpy()] = np.nan
    # smooth over the gap with the weekly mean level around it, keep the weekday pattern
    s = s.rolling(7, min_periods=3, center=True).mean().interpolate(limit_direction="both")
    return pd.DataFrame({"last_year": s.to_numpy()}, index=index)


@dataclass
class CampaignEvaluation:
    """Everything :func:`evaluate_campaign` found about one campaign.

    ``impact``: :class:`~opslib.campaigns.counterfactual.ImpactResult` over pre + window + post (scoped SKUs);
    ``effects``: one row per segment (``window``, ``post``) with ``effect``, ``low``, ``high``,
    ``tail_probability``; ``did``: :func:`did_regression` result scaled to the window
    (``incremental_units``, ``low``, ``high``, ``p_value``) or None; ``did_table``: 2x2 cell means;
    ``money``: :func:`campaign_money`; ``side_effects``: one row per effect (``effect``,
    ``units``, ``low``, ``high``, ``note``); ``notes``: what was assumed or skipped.
    """

    campaign: Campaign
    impact: ImpactResult
    effects: pd.DataFrame
    did: dict[str, float] | None
    did_table: pd.DataFrame | None
    did_series: pd.DataFrame | None
    money: dict[str, float]
    side_effects: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.Series:
        """One row for the overview: id, name, kind, window, incremental units with interval, money."""
        w = self.effects.set_index("segment").loc["window"]
        out = {"campaign_id": self.campaign.campaign_id, "name": self.campaign.name, "kind": self.campaign.kind,
               "start": self.campaign.start, "end": self.campaign.end, "incremental_units": w["effect"],
               "units_low": w["low"], "units_high": w["high"], "tail_probability": w["tail_probability"],
               "did_units": self.did["incremental_units"] if self.did else np.nan}
        out.update(self.money)
        return pd.Series(out)


def _segment_effect(res: ImpactResult, cov: np.ndarray, start: pd.Timestamp, end: pd.Timestamp,
                    confidence: float) -> dict[str, float]:
    s = res.series[res.series["period"] == "post"]
    sel = ((s.index >= start) & (s.index <= end))
    eff = float(s.loc[sel, "effect"].sum())
    idx = np.flatnonzero(sel)
    sd = float(np.sqrt(cov[np.ix_(idx, idx)].sum())) if len(idx) else np.nan
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return {"effect": eff, "low": eff - z * sd, "high": eff + z * sd, "sd": sd,
            "tail_probability": float(stats.norm.sf(abs(eff) / sd)) if sd > 0 else 0.0,
            "observed": float(s.loc[sel, "observed"].sum()), "predicted": float(s.loc[sel, "predicted"].sum())}


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


def _impact_with_cov(y: pd.Series, controls: pd.DataFrame | None, per: dict, confidence: float,
                     mask: pd.Series, campaign: Campaign, end: pd.Timestamp) -> tuple[ImpactResult, np.ndarray]:
    try:
        res = causal_impact(y, controls, per["pre"][0], per["pre"][1], per["window"][0], end,
                            confidence=confidence, mask=mask, control_coef=_control_coef(controls, campaign))
    except ValueError as exc:
        raise CampaignError(f"campaign {campaign.campaign_id} ({campaign.name}): {exc} in the pre-period "
                            f"{per['pre'][0]:%Y-%m-%d}..{per['pre'][1]:%Y-%m-%d} after setting other campaigns' "
                            "days aside. Use a longer pre_days, or evaluate a campaign with a cleaner "
                            "run-up.") from exc
    return res, res.cov


def evaluate_campaign(cube: pd.DataFrame, campaigns: pd.DataFrame, products: pd.DataFrame,
                      campaign_id: str | None = None, pre_days: int = 56, post_days: int = 14,
                      control: str | list[str] = "auto", confidence: float = 0.90,
                      orders: _cube.Source | None = None, halo: bool = True,
                      overlap: str = "mask") -> CampaignEvaluation:
    """Evaluate one campaign: counterfactual, DiD, money and side effects.

    ``cube``: :func:`daily_cube` output. ``control``: ``'auto'`` (one series: daily units of all SKUs
    outside the scope and its subcategories; on the sample shop it beat per-category regressors, which
    overfit a 56-day pre-period), ``'by_category'`` (one regressor per such category), ``'none'``, or a
    list of categories (summed).
    ``overlap``: ``'mask'`` sets other campaigns' days in the pre-period aside; ``'raise'`` refuses.
    ``orders`` (optional): adds new vs returning buyers (:func:`buyer_mix`).
    Raises :class:`CampaignError` for an unknown id, too little pre-period data, or an overlap.
    """
    camp = get_campaign(campaigns, campaign_id)
    per = campaign_periods(camp, pre_days, post_days)
    notes: list[str] = []
    data_start, data_end = cube["date"].min(), cube["date"].max()
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
    ov = overlapping_campaigns(campaigns, camp, pre_days, post_days)
    clash = ov[ov["where"].isin(["window", "post"])]
    if len(clash) and overlap != "ignore":
        raise CampaignError(f"campaign {camp.campaign_id} ({camp.name}) overlaps "
                            f"{', '.join(clash['campaign_id'])} in its window or the {post_days} days after it: the "
                            "effects cannot be separated. Evaluate them as one campaign, or shorten post_days.")
    if len(ov[ov["where"] == "pre"]):
        if overlap == "raise":
            raise CampaignError(f"campaign {camp.campaign_id} ({camp.name}) has "
                                f"{', '.join(ov.loc[ov['where'] == 'pre', 'campaign_id'])} in its {pre_days}-day "
                                "pre-period. Use overlap='mask' to set those days aside, or a shorter pre_days.")
        notes.append("other campaigns in the pre-period were set aside (treated as missing): "
                     + ", ".join(ov.loc[ov["where"] == "pre", "campaign_id"]))
    end = per["post"][1] if per["post"][1] >= per["post"][0] else per["window"][1]
    index = pd.date_range(per["pre"][0], end, freq="D")
    mask = _mask_other_campaigns(campaigns, camp, index, post_days)
    scope = scope_skus(camp, products)
    sibs = sibling_skus(camp, products)
    if not scope:
        raise CampaignError(f"campaign {camp.campaign_id} ({camp.name}): none of its scope ({'|'.join(camp.scope)[:80]}) "
                            "matches products.sku/category: fix the scope column of campaigns.")
    obs = _daily(cube, scope, index, ("units", "gmv", "list_value", "cost", "units_net", "orders"))
    y = obs["units"]
    if camp.scope_type == "all":
        controls = _last_year_control(cube, campaigns, index, post_days) if control != "none" else None
        notes.append("scope 'all': no untreated SKUs. Counterfactual = pre-period level and weekly pattern"
                     + (" + last year's series (campaign days interpolated)" if controls is not None else
                        " only (no data a year earlier)") + "; an extrapolation — trust it less than a "
                     "controlled estimate, and least for long windows.")
    else:
        exclude = set(scope) | set(sibs)
        controls = None if control == "none" else _control_frame(cube, products, exclude, index, control)
        if controls is not None and controls.empty:
            controls = None
    res, cov = _impact_with_cov(y, controls, per, confidence, mask, camp, end)
    seg = {"window": _segment_effect(res, cov, *per["window"], confidence)}
    if per["post"][1] >= per["post"][0]:
        seg["post"] = _segment_effect(res, cov, *per["post"], confidence)
    effects = pd.DataFrame([{"segment": k, **v} for k, v in seg.items()])
    # --- DiD
    did = did_table = did_series = None
    if controls is not None and camp.scope_type != "all":
        did, did_table, did_series = _did(y, controls.sum(axis=1), per, mask, confidence, camp.days)
    else:
        notes.append("DiD skipped: no untreated control group (scope 'all' or control='none').")
    # --- side effects
    rows = []
    pf = seg.get("post")
    if pf is not None:
        rows.append({"effect": "pull_forward", "units": -pf["effect"], "low": -pf["high"], "high": -pf["low"],
                     "note": f"units lost by the scoped SKUs in the {post_days} days after the window (positive = dip)"})
    cann = None
    if sibs:
        ys = _daily(cube, sibs, index)["units"]
        try:
            r_s = causal_impact(ys, controls, per["pre"][0], per["pre"][1], per["window"][0], per["window"][1],
                                confidence=confidence, mask=mask)
            e = r_s.summary
            cann = -float(e["effect"])
            rows.append({"effect": "cannibalisation", "units": cann, "low": -float(e["effect_high"]),
                         "high": -float(e["effect_low"]),
                         "note": f"units lost by {len(sibs)} sibling SKUs not on promotion (positive = cannibalised)"})
        except ValueError as exc:
            notes.append(f"cannibalisation skipped: {exc}")
    if halo and camp.scope_type != "all":
        cats = sorted(set(products.loc[~products["sku"].isin(set(scope) | set(sibs)), "category"]))
        for cat in cats:
            yc = _daily(cube, products.loc[(products["category"] == cat) & ~products["sku"].isin(set(scope) | set(sibs)),
                                           "sku"].tolist(), index)["units"]
            try:
                r_c = causal_impact(yc, None, per["pre"][0], per["pre"][1], per["window"][0], per["window"][1],
                                    confidence=confidence, mask=mask)
            except ValueError:
                continue
            e = r_c.summary
            rows.append({"effect": f"halo:{cat}", "units": float(e["effect"]), "low": float(e["effect_low"]),
                         "high": float(e["effect_high"]), "note": "effect on another category (positive = halo)"})
    pre_sel = (index >= per["pre"][0]) & (index <= per["pre"][1]) & ~mask.to_numpy()
    win_sel = (index >= per["window"][0]) & (index <= per["window"][1])
    upo_pre = obs.loc[pre_sel, "units"].sum() / max(obs.loc[pre_sel, "orders"].sum(), 1)
    upo_win = obs.loc[win_sel, "units"].sum() / max(obs.loc[win_sel, "orders"].sum(), 1)
    rows.append({"effect": "stock_up", "units": float(upo_win - upo_pre), "low": np.nan, "high": np.nan,
                 "note": f"units per order in the window {upo_win:.2f} vs pre-period {upo_pre:.2f}"})
    side = pd.DataFrame(rows, columns=["effect", "units", "low", "high", "note"])
    # --- money
    pre_units = obs.loc[pre_sel, "units"].sum()
    price_base = obs.loc[pre_sel, "gmv"].sum() / pre_units if pre_units else np.nan
    disc_base = (obs.loc[pre_sel, "list_value"].sum() - obs.loc[pre_sel, "gmv"].sum()) / pre_units if pre_units else 0.0
    net_units = obs.loc[pre_sel | win_sel, "units_net"].sum()
    unit_cost = obs.loc[pre_sel | win_sel, "cost"].sum() / net_units if net_units else np.nan
    sib_margin = None
    if sibs:
        so = _daily(cube, sibs, index, ("units", "gmv", "cost", "units_net")).loc[pre_sel]
        if so["units"].sum() > 0 and so["units_net"].sum() > 0:
            sib_margin = so["gmv"].sum() / so["units"].sum() - so["cost"].sum() / so["units_net"].sum()
    w = seg["window"]
    money = campaign_money(units_obs=w["observed"], gmv_obs=obs.loc[win_sel, "gmv"].sum(), units_cf=w["predicted"],
                           price_base=price_base, unit_cost=unit_cost, marketing_spend=camp.marketing_spend,
                           list_value_obs=obs.loc[win_sel, "list_value"].sum(), discount_per_unit_base=disc_base,
                           pull_forward_units=-pf["effect"] if pf else 0.0, cannibalised_units=cann or 0.0,
                           sibling_margin_per_unit=sib_margin)
    if orders is not None:
        bm = buyer_mix(orders, scope, per["window"], per["pre"])
        notes.append("buyers: " + "; ".join(f"{k}={v:.3g}" for k, v in bm.items() if isinstance(v, float)))
    return CampaignEvaluation(camp, res, effects, did, did_table, did_series, money, side, notes)


def campaign_overview(cube: pd.DataFrame, campaigns: pd.DataFrame, products: pd.DataFrame,
                      start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None,
                      **kwargs) -> pd.DataFrame:
    """Every campaign starting in ``[start, end]`` evaluated and ranked by incremental gross margin.

    Columns: :meth:`CampaignEvaluation.summary` plus ``rank`` and ``problem`` (the CampaignError text
    for campaigns that could not be evaluated; their numbers are NaN and they rank last).
    ``kwargs`` go to :func:`evaluate_campaign` (``halo`` defaults to False here, for speed).
    """
    kwargs.setdefault("halo", False)
    c = campaigns.copy()
    if start is not None:
        c = c[c["start"] >= pd.Timestamp(start)]
    if end is not None:
        c = c[c["start"] <= pd.Timestamp(end)]
    rows = []
    for cid in c.sort_values("start")["campaign_id"]:
        try:
            ev = evaluate_campaign(cube, campaigns, products, cid, **kwargs)
            s = ev.summary()
            s["problem"] = ""
        except CampaignError as exc:
            r = c[c["campaign_id"] == cid].iloc[0]
            s = pd.Series({"campaign_id": cid, "name": r["name"], "kind": r["kind"], "start": r["start"],
                           "end": r["end"], "problem": str(exc)})
        rows.append(s)
    out = pd.DataFrame(rows)
    if "incremental_margin" not in out:
        out["incremental_margin"] = np.nan
    out = out.sort_values("incremental_margin", ascending=False, na_position="last").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out
