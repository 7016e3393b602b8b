"""Campaign evaluation: did the promotion make money, and what would have happened without it?

A before/after comparison misleads: the campaign window differs from the weeks before it in weekday
mix, season and trend, and customers shift purchases into the window (pull-forward) and away from
siblings (cannibalisation). So we compare the window with a **counterfactual**, two ways:

* :func:`evaluate_campaign` → ``impact``: structural time-series counterfactual
  (:mod:`opslib.causal_impact`) of the scoped SKUs' daily units, fitted on the pre-period with
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

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from opslib import cube as _cube
from opslib.causal_impact import MIN_PRE_DAYS, ImpactResult, causal_impact
from opslib.contract import CAMPAIGN_KINDS, CAMPAIGNS, SCOPE_SEPARATOR
from opslib.errors import UserError

#: Days between a date and the same weekday last year.
LAST_YEAR_DAYS = 364


class CampaignError(UserError, ValueError):
    """A campaign cannot be evaluated as asked; the message names the campaign and what to do."""


@dataclass(frozen=True)
class Campaign:
    """One row of the campaigns table, with parsed scope. ``start``/``end`` are inclusive days."""

    campaign_id: str
    name: str
    kind: str
    start: pd.Timestamp
    end: pd.Timestamp
    discount_depth: float
    scope_type: str
    scope: tuple[str, ...]
    marketing_spend: float

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1


# ------------------------------------------------------------------------------------------ lookup


def _row_to_campaign(r: pd.Series) -> Campaign:
    scope = r.get("scope")
    parts = tuple(s.strip() for s in str(scope).split(SCOPE_SEPARATOR) if s.strip()) if isinstance(scope, str) else ()
    spend = r.get("marketing_spend")
    return Campaign(str(r["campaign_id"]), str(r.get("name", r["campaign_id"])), str(r.get("kind", "other")),
                    pd.Timestamp(r["start"]).normalize(), pd.Timestamp(r["end"]).normalize(),
                    float(r.get("discount_depth", np.nan)), str(r.get("scope_type", "all")), parts,
                    float(spend) if spend is not None and not pd.isna(spend) else 0.0)


def get_campaign(campaigns: pd.DataFrame, campaign_id: str | None = None) -> Campaign:
    """The campaign ``campaign_id`` (None = the one that started last) from the campaigns table.

    Raises :class:`CampaignError` listing close matches when the id does not exist.
    """
    if campaigns is None or len(campaigns) == 0:
        raise CampaignError("the campaigns table is empty: add campaigns.csv with one row per promotion")
    if campaign_id is None:
        return _row_to_campaign(campaigns.sort_values(["start", "campaign_id"]).iloc[-1])
    hit = campaigns[campaigns["campaign_id"] == campaign_id]
    if len(hit) == 0:
        ids = campaigns["campaign_id"].astype(str).tolist()
        close = difflib.get_close_matches(str(campaign_id), ids, n=5, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        latest = campaigns.sort_values("start")["campaign_id"].tail(5).tolist()
        raise CampaignError(f"campaign {campaign_id!r} does not exist in the campaigns table.{hint} "
                            f"Use one of its campaign_id values (latest: {', '.join(latest)}), "
                            "or campaign_id=None for the latest campaign.")
    return _row_to_campaign(hit.iloc[0])


def scope_skus(campaign: Campaign, products: pd.DataFrame) -> list[str]:
    """SKUs the campaign covers: all SKUs (``all``), the SKUs of the listed categories (``category``,
    matching ``category`` or ``subcategory``) or the listed SKUs (``sku``)."""
    if campaign.scope_type == "all":
        return products["sku"].tolist()
    if campaign.scope_type == "category":
        m = products["category"].isin(campaign.scope) | products["subcategory"].isin(campaign.scope)
        return products.loc[m, "sku"].tolist()
    return [s for s in campaign.scope if s in set(products["sku"])]


def sibling_skus(campaign: Campaign, products: pd.DataFrame) -> list[str]:
    """SKUs of the scoped SKUs' subcategories that are not on promotion (empty for scope ``all``)."""
    if campaign.scope_type == "all":
        return []
    scope = set(scope_skus(campaign, products))
    subs = set(products.loc[products["sku"].isin(scope), "subcategory"])
    return products.loc[products["subcategory"].isin(subs) & ~products["sku"].isin(scope), "sku"].tolist()


def campaign_periods(campaign: Campaign, pre_days: int = 56, post_days: int = 14) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    """Inclusive ``(start, end)`` of ``pre`` (the ``pre_days`` before the start), ``window`` and ``post``."""
    one = pd.Timedelta(days=1)
    return {"pre": (campaign.start - pre_days * one, campaign.start - one), "window": (campaign.start, campaign.end),
            "post": (campaign.end + one, campaign.end + post_days * one)}


def overlapping_campaigns(campaigns: pd.DataFrame, campaign: Campaign, pre_days: int = 56,
                          post_days: int = 14) -> pd.DataFrame:
    """Other campaigns whose window (or their own ``post_days`` after it) touches this campaign's periods.

    Columns: ``campaign_id``, ``start``, ``end``, ``where`` ('pre' | 'window' | 'post').
    """
    rows = []
    per = campaign_periods(campaign, pre_days, post_days)
    for _, r in campaigns.iterrows():
        if r["campaign_id"] == campaign.campaign_id:
            continue
        a, b = pd.Timestamp(r["start"]), pd.Timestamp(r["end"]) + pd.Timedelta(days=post_days)
        for where in ("window", "post", "pre"):
            s, e = per[where]
            if a <= e and b >= s:
                rows.append({"campaign_id": r["campaign_id"], "start": pd.Timestamp(r["start"]),
                             "end": pd.Timestamp(r["end"]), "where": where})
                break
    return pd.DataFrame(rows, columns=["campaign_id", "start", "end", "where"])


def _mask_other_campaigns(campaigns: pd.DataFrame, campaign: Campaign, index: pd.DatetimeIndex,
                          post_days: int) -> pd.Series:
    """True on days of ``index`` inside another campaign's window or its ``post_days`` after it."""
    mask = pd.Series(False, index=index)
    for _, r in campaigns.iterrows():
        if r["campaign_id"] == campaign.campaign_id:
            continue
        a, b = pd.Timestamp(r["start"]), pd.Timestamp(r["end"]) + pd.Timedelta(days=post_days)
        mask |= (index >= a) & (index <= b)
    return mask


# ------------------------------------------------------------------------------------------ ad hoc

#: Prefix of the ``campaign_id`` of an ad-hoc campaign: ``ADHOC_<start>_<end>``.
ADHOC_PREFIX = "ADHOC"


def _day(value: object, what: str) -> pd.Timestamp:
    """``value`` (text like ``2024-06-18``, a date or a Timestamp) as a midnight Timestamp, else CampaignError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CampaignError(f"{what} is missing: give it as a date like 2024-06-18")
    try:
        day = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError, OverflowError):
        day = pd.NaT
    if pd.isna(day):
        raise CampaignError(f"{what} {value!r} is not a date: write it like 2024-06-18")
    return day.normalize()


def parse_scope(scope: str | None) -> tuple[str, str | None]:
    """``scope`` text as the campaigns table's ``(scope_type, scope)``.

    ``None``, ``""`` or ``"all"`` -> ``("all", None)``; ``"category:美妆|服饰"`` -> ``("category", "美妆|服饰")``
    (top-level categories or subcategories); ``"sku:A|B"`` -> ``("sku", "A|B")``. The prefix is
    case-insensitive, a full-width colon ``：`` works too, spaces around names are dropped and
    repeated names are kept once. Anything else raises :class:`CampaignError`.

    Example:
        >>> parse_scope("category: 美妆 | 服饰")
        ('category', '美妆|服饰')
        >>> parse_scope("SKU:A|B|A"), parse_scope(None)
        (('sku', 'A|B'), ('all', None))
    """
    if scope is None or not str(scope).strip() or str(scope).strip().lower() == "all":
        return "all", None
    text = str(scope).strip().replace("：", ":")
    kind, sep, rest = text.partition(":")
    kind = kind.strip().lower()
    forms = "use 'all', 'category:美妆|服饰' (categories or subcategories) or 'sku:SKU00001|SKU00002'"
    if not sep or kind not in ("category", "sku"):
        raise CampaignError(f"scope {scope!r} not understood: {forms}")
    names = list(dict.fromkeys(s.strip() for s in rest.split(SCOPE_SEPARATOR) if s.strip()))
    if not names:
        raise CampaignError(f"scope {scope!r} names no {kind}: {forms}")
    return kind, SCOPE_SEPARATOR.join(names)


def _check_scope(scope_type: str, names: list[str], products: pd.DataFrame) -> None:
    """CampaignError naming the categories/SKUs of an ad-hoc scope that ``products`` does not have."""
    if scope_type == "category":
        known = set(products["category"].astype(str)) | set(products["subcategory"].astype(str))
        unknown = [n for n in names if n not in known]
        if unknown:
            tree = products.groupby("category")["subcategory"].agg(lambda s: "/".join(sorted(set(map(str, s)))))
            listing = "; ".join(f"{cat} ({subs})" for cat, subs in tree.items())
            raise CampaignError(f"ad-hoc scope: {', '.join(map(repr, unknown))} is no category or subcategory of "
                                f"products. Categories (subcategories): {listing}")
    elif scope_type == "sku":
        skus = products["sku"].astype(str).tolist()
        known = set(skus)
        unknown = [n for n in names if n not in known]
        if unknown:
            close = sorted({m for n in unknown for m in difflib.get_close_matches(n, skus, n=3, cutoff=0.6)})
            hint = f" Did you mean {', '.join(close[:8])}?" if close else ""
            raise CampaignError(f"ad-hoc scope: SKU {', '.join(map(repr, unknown[:10]))}"
                                f"{' ...' if len(unknown) > 10 else ''} not in products ({len(skus)} SKUs, e.g. "
                                f"{', '.join(sorted(skus)[:5])}).{hint}")


def estimate_discount_depth(orders: pd.DataFrame, skus: list[str] | None, start: pd.Timestamp,
                            end: pd.Timestamp) -> float:
    """Average discount off list price on the ``skus`` (None = all) sold from ``start`` to ``end`` (inclusive days).

    Over the non-cancelled order lines of those SKUs placed in the window::

        discount_depth = 1 - sum(quantity * unit_price) / sum(quantity * list_price)

    clipped to 0..1 (the campaigns table's range). NaN when there is no such line.

    Example: 2 units at 80 (list 100) and 1 unit at 50 (list 50): 1 - 210 / 250 = 0.16.
        >>> o = pd.DataFrame({"order_ts": pd.to_datetime(["2024-06-01 10:00", "2024-06-02 23:59",
        ...                                               "2024-06-03 00:00"]),
        ...                   "sku": ["A", "B", "A"], "quantity": [2, 1, 5], "unit_price": [80.0, 50.0, 10.0],
        ...                   "list_price": [100.0, 50.0, 100.0], "status": ["completed"] * 3})
        >>> round(estimate_discount_depth(o, None, pd.Timestamp("2024-06-01"), pd.Timestamp("2024-06-02")), 6)
        0.16
    """
    ts = pd.to_datetime(orders["order_ts"])
    sel = (ts >= start) & (ts < end + pd.Timedelta(days=1)) & (orders["status"] != "cancelled")
    if skus is not None:
        sel &= orders["sku"].isin(set(skus))
    o = orders.loc[sel]
    paid = float((o["quantity"] * o["unit_price"]).sum())
    listed = float((o["quantity"] * o["list_price"]).sum())
    if listed <= 0:
        return float("nan")
    return float(min(max(1.0 - paid / listed, 0.0), 1.0))


def adhoc_campaign(start: object, end: object, scope: str | None = "all", *, name: str | None = None,
                   kind: str = "other", discount_depth: float | None = None, marketing_spend: float = 0.0,
                   products: pd.DataFrame | None = None, orders: pd.DataFrame | None = None) -> pd.DataFrame:
    """One campaigns-table row for a promotion that is not in the campaigns table (or a shop without one).

    ``start``/``end``: first and last day (inclusive), text like ``2024-06-18`` or dates.
    ``scope``: ``'all'`` (None too), ``'category:美妆|服饰'`` or ``'sku:A|B'`` (:func:`parse_scope`); with
    ``products`` the names are checked and unknown ones raise :class:`CampaignError` listing what exists.
    ``discount_depth`` None: estimated from ``orders`` over the scoped lines of the window
    (:func:`estimate_discount_depth`: ``1 - sum(quantity*unit_price) / sum(quantity*list_price)``,
    non-cancelled lines); NaN without ``orders``. The id is ``ADHOC_<start>_<end>``; append the row with
    :func:`with_adhoc` and pass that id to :func:`evaluate_campaign`.

    Raises :class:`CampaignError` for a bad date, ``end`` before ``start``, an unknown scope prefix or
    name, an unknown ``kind``, a discount outside 0..1, a negative spend, or (with ``orders``) a window
    in which the scope sold nothing.

    Example:
        >>> row = adhoc_campaign("2024-03-10", "2024-03-12", "sku:A|B", discount_depth=0.2)
        >>> row[["campaign_id", "scope_type", "scope", "discount_depth"]].to_dict("records")
        [{'campaign_id': 'ADHOC_2024-03-10_2024-03-12', 'scope_type': 'sku', 'scope': 'A|B', 'discount_depth': 0.2}]
    """
    a, b = _day(start, "start"), _day(end, "end")
    if b < a:
        raise CampaignError(f"end {b:%Y-%m-%d} is before start {a:%Y-%m-%d}: the ad-hoc window runs from start to "
                            "end, both days included")
    scope_type, scope_text = parse_scope(scope)
    if kind not in CAMPAIGN_KINDS:
        raise CampaignError(f"kind {kind!r} is not a campaign kind; use one of {', '.join(CAMPAIGN_KINDS)}")
    if discount_depth is not None and not (0.0 <= float(discount_depth) <= 1.0):
        raise CampaignError(f"discount_depth {discount_depth!r} must be a fraction 0..1 (0.2 = 20% off)")
    if marketing_spend is None or pd.isna(marketing_spend) or float(marketing_spend) < 0:
        raise CampaignError(f"marketing_spend {marketing_spend!r} must be a number >= 0")
    names = scope_text.split(SCOPE_SEPARATOR) if scope_text else []
    cid = f"{ADHOC_PREFIX}_{a:%Y-%m-%d}_{b:%Y-%m-%d}"
    camp = Campaign(cid, name or f"ad hoc {a:%Y-%m-%d}..{b:%Y-%m-%d} ({scope_type}{': ' + scope_text if scope_text else ''})",
                    kind, a, b, np.nan, scope_type, tuple(names), float(marketing_spend))
    if products is not None:
        _check_scope(scope_type, names, products)
    if discount_depth is None and orders is not None:
        if scope_type == "category" and products is None:
            raise CampaignError("a category scope needs products to estimate the discount from orders: pass "
                                "products=..., or give discount_depth")
        skus = None if scope_type == "all" else (scope_skus(camp, products) if products is not None else names)
        depth = estimate_discount_depth(orders, skus, a, b)
        if pd.isna(depth):
            ts = pd.to_datetime(orders["order_ts"])
            raise CampaignError(f"ad hoc {a:%Y-%m-%d}..{b:%Y-%m-%d}: the scope ({scope_type}"
                                f"{': ' + scope_text[:80] if scope_text else ''}) sold nothing in that window "
                                f"(orders run {ts.min():%Y-%m-%d}..{ts.max():%Y-%m-%d}): check the dates and the scope")
        discount_depth = depth
    row = {"campaign_id": cid, "name": camp.name, "kind": kind, "start": a, "end": b,
           "discount_depth": float(discount_depth) if discount_depth is not None else np.nan,
           "scope_type": scope_type, "scope": scope_text, "marketing_spend": float(marketing_spend)}
    out = pd.DataFrame([row], columns=CAMPAIGNS.column_names)
    out["start"] = out["start"].astype("datetime64[ns]")
    out["end"] = out["end"].astype("datetime64[ns]")
    return out


def with_adhoc(campaigns: pd.DataFrame | None, adhoc_row: pd.DataFrame) -> pd.DataFrame:
    """``campaigns`` (None when the shop has no campaigns table) with the :func:`adhoc_campaign` row appended.

    A row with the same ``campaign_id`` is replaced. The other campaigns stay: :func:`evaluate_campaign`
    sets their days in the ad-hoc pre-period aside and refuses a window that overlaps one.

    Example:
        >>> t = with_adhoc(None, adhoc_campaign("2024-03-10", "2024-03-12", discount_depth=0.1))
        >>> len(t), get_campaign(t, "ADHOC_2024-03-10_2024-03-12").days
        (1, 3)
    """
    row = adhoc_row[CAMPAIGNS.column_names] if set(CAMPAIGNS.column_names) <= set(adhoc_row) else adhoc_row
    if campaigns is None or len(campaigns) == 0:
        return row.reset_index(drop=True).copy()
    keep = campaigns[~campaigns["campaign_id"].isin(set(row["campaign_id"]))]
    return pd.concat([keep, row], ignore_index=True)


def choose_campaign(campaigns: pd.DataFrame | None, products: pd.DataFrame, campaign_id: str | None = None,
                    start: object = None, end: object = None, scope: str | None = None,
                    orders: pd.DataFrame | None = None, **adhoc: object) -> tuple[pd.DataFrame, str | None, list[str]]:
    """What notebook 02 evaluates: ``(campaigns table, campaign_id, messages)`` for :func:`evaluate_campaign`.

    With ``start`` and ``end``: the ad-hoc campaign (:func:`adhoc_campaign`, ``scope`` default ``all``,
    ``adhoc`` passes ``name``, ``kind``, ``discount_depth``, ``marketing_spend``) appended to
    ``campaigns`` (which may be None); it wins over a ``campaign_id`` given too, and a message says so.
    Without them: ``campaigns`` and ``campaign_id`` unchanged (None = the latest campaign).
    Raises :class:`CampaignError` when only one of ``start``/``end`` is given, when ``scope`` is given
    without them, or when there is neither a campaigns table nor a window.
    """
    if (start is None) != (end is None):
        given, missing = ("start", "end") if end is None else ("end", "start")
        raise CampaignError(f"{given} is given but {missing} is not: an ad-hoc campaign needs both start and end "
                            "(dates like 2024-06-18), or neither to use campaign_id")
    if start is None:
        if scope is not None:
            raise CampaignError(f"scope {scope!r} only applies to an ad-hoc window: give start and end too, or "
                                "set scope to None to evaluate campaign_id with its own scope")
        if campaigns is None:
            raise CampaignError("no campaigns table: give start and end (and scope) to evaluate a promotion "
                                "by its dates, or add campaigns.csv with one row per promotion")
        return campaigns, campaign_id, []
    row = adhoc_campaign(start, end, scope if scope is not None else "all", products=products, orders=orders,
                         **adhoc)
    cid = str(row.loc[0, "campaign_id"])
    msgs = []
    if campaign_id is not None:
        msgs.append(f"start/end win over campaign_id: evaluating the ad-hoc window {cid}, not {campaign_id} "
                    "(set start and end to None to evaluate the campaign).")
    depth = row.loc[0, "discount_depth"]
    msgs.append(f"ad-hoc campaign {cid}: {row.loc[0, 'name']}"
                + (f", discount depth {depth:.1%} estimated from the orders" if "discount_depth" not in adhoc
                   and not pd.isna(depth) else "")
                + ("" if campaigns is not None else " (the shop has no campaigns table)"))
    return with_adhoc(campaigns, row), cid, msgs


# ------------------------------------------------------------------------------------- the money


def campaign_money(units_obs: float, gmv_obs: float, units_cf: float, price_base: float, unit_cost: float,
                   marketing_spend: float = 0.0, list_value_obs: float | None = None,
                   discount_per_unit_base: float = 0.0, pull_forward_units: float = 0.0,
                   cannibalised_units: float = 0.0, sibling_margin_per_unit: float | None = None) -> dict[str, float]:
    """Incremental units, GMV and gross margin, discount cost, ROI and incremental ROAS of one campaign.

    Formulas (``_obs`` = observed in the window on the scoped SKUs, ``_cf`` = counterfactual)::

        incremental_units  = units_obs - units_cf
        incremental_gmv    = gmv_obs - units_cf * price_base
        incremental_margin = (gmv_obs - units_obs * unit_cost) - units_cf * (price_base - unit_cost)
        discount_cost      = (list_value_obs - gmv_obs) - units_obs * discount_per_unit_base
        pull_forward_margin = pull_forward_units * (price_base - unit_cost)
        cannibalised_margin = cannibalised_units * sibling_margin_per_unit   (default: price_base - unit_cost)
        net_profit         = incremental_margin - pull_forward_margin - cannibalised_margin - marketing_spend
        roi                = net_profit / marketing_spend                  (NaN without spend)
        incremental_roas   = incremental_gmv / marketing_spend             (NaN without spend)
        naive_roas         = gmv_obs / marketing_spend                     (what a dashboard shows)

    ``discount_cost`` is already inside ``incremental_margin``: it is reported, never subtracted again.

    Example: see the module docstring (ROAS 2.0, ROI −1).
    """
    m_base = price_base - unit_cost
    inc_units = units_obs - units_cf
    inc_gmv = gmv_obs - units_cf * price_base
    inc_margin = (gmv_obs - units_obs * unit_cost) - units_cf * m_base
    disc = (list_value_obs - gmv_obs) - units_obs * discount_per_unit_base if list_value_obs is not None else np.nan
    pf_margin = pull_forward_units * m_base
    cann_margin = cannibalised_units * (m_base if sibling_margin_per_unit is None else sibling_margin_per_unit)
    net = inc_margin - pf_margin - cann_margin - marketing_spend
    spend = marketing_spend if marketing_spend > 0 else np.nan
    return {"incremental_units": float(inc_units), "incremental_gmv": float(inc_gmv),
            "incremental_margin": float(inc_margin), "discount_cost": float(disc),
            "pull_forward_margin": float(pf_margin), "cannibalised_margin": float(cann_margin),
            "marketing_spend": float(marketing_spend), "net_profit": float(net), "roi": float(net / spend),
            "incremental_roas": float(inc_gmv / spend), "naive_roas": float(gmv_obs / spend)}


# --------------------------------------------------------------------------------- DiD


def did_2x2(treated_pre: float, treated_post: float, control_pre: float, control_post: float) -> float:
    """Difference-in-differences of four means: ``(T_post - T_pre) - (C_post - C_pre)``.

    Example: treated 10 -> 18, control 20 -> 24: (18 - 10) - (24 - 20) = 4.
        >>> did_2x2(10, 18, 20, 24)
        4.0
    """
    return float((treated_post - treated_pre) - (control_post - control_pre))


def did_regression(panel: pd.DataFrame, confidence: float = 0.90, cov_type: str = "HC1",
                   extra: str = "") -> dict[str, float]:
    """OLS ``y ~ treated + post + treated:post [+ extra]`` with robust standard errors.

    ``panel`` columns: ``y``, ``treated`` (0/1), ``post`` (0/1) [, a ``cluster`` column for
    ``cov_type='cluster'``]. The ``treated:post`` coefficient is the DiD estimate (per row, e.g. per
    day). Returns ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``n``.
    HC1: ``V = n/(n-k) (X'X)^-1 X' diag(e^2) X (X'X)^-1``.

    Example (2x2 table, two rows per cell): the estimate equals :func:`did_2x2` of the cell means.
        >>> p = pd.DataFrame({"y": [9, 11, 17, 19, 19, 21, 23, 25], "treated": [1, 1, 1, 1, 0, 0, 0, 0],
        ...                   "post": [0, 0, 1, 1, 0, 0, 1, 1]})
        >>> round(did_regression(p)["estimate"], 6)
        4.0
    """
    formula = "y ~ treated + post + treated:post" + (f" + {extra}" if extra else "")
    model = smf.ols(formula, data=panel)
    if cov_type == "cluster":
        res = model.fit(cov_type="cluster", cov_kwds={"groups": panel["cluster"]})
    else:
        res = model.fit(cov_type=cov_type)
    est, se = float(res.params["treated:post"]), float(res.bse["treated:post"])
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return {"estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se,
            "p_value": float(res.pvalues["treated:post"]), "n": int(res.nobs)}


# --------------------------------------------------------------------------------- series


def daily_cube(orders: _cube.Source, products: _cube.Source) -> pd.DataFrame:
    """The DuckDB daily x SKU cube (:func:`opslib.cube.daily_sku`) that every function here reads."""
    return _cube.daily_sku(orders, products)


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


# --------------------------------------------------------------------------------- evaluation


@dataclass
class CampaignEvaluation:
    """Everything :func:`evaluate_campaign` found about one campaign.

    ``impact``: :class:`~opslib.causal_impact.ImpactResult` over pre + window + post (scoped SKUs);
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


def _did(y: pd.Series, control: pd.Series, per: dict, mask: pd.Series, confidence: float,
         window_days: int) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame]:
    """Scaled DiD on daily units: control rescaled so its pre-period mean equals the treated one."""
    keep = ~mask
    pre = (y.index >= per["pre"][0]) & (y.index <= per["pre"][1]) & keep.to_numpy()
    win = (y.index >= per["window"][0]) & (y.index <= per["window"][1])
    k = y[pre].mean() / control[pre].mean() if control[pre].mean() > 0 else 1.0
    c = control * k
    sel = pre | win
    panel = pd.concat([
        pd.DataFrame({"y": y[sel].to_numpy(), "treated": 1, "post": win[sel].astype(int), "dow": y.index[sel].day_of_week}),
        pd.DataFrame({"y": c[sel].to_numpy(), "treated": 0, "post": win[sel].astype(int), "dow": y.index[sel].day_of_week}),
    ], ignore_index=True)
    r = did_regression(panel, confidence=confidence, extra="C(dow)")
    table = pd.DataFrame({"pre": [y[pre].mean(), c[pre].mean()], "window": [y[win].mean(), c[win].mean()]},
                         index=pd.Index(["treated", "control (scaled)"], name="group"))
    table["change"] = table["window"] - table["pre"]
    out = {"per_day": r["estimate"], "incremental_units": r["estimate"] * window_days,
           "low": r["ci_low"] * window_days, "high": r["ci_high"] * window_days, "p_value": r["p_value"],
           "se_per_day": r["se"], "n": r["n"]}
    series = pd.DataFrame({"treated": y[sel], "control_scaled": c[sel]})
    return out, table, series


# --------------------------------------------------------------------------------- buyers


def buyer_mix(orders: _cube.Source, skus: list[str], window: tuple[pd.Timestamp, pd.Timestamp],
              baseline: tuple[pd.Timestamp, pd.Timestamp], repeat_days: int = 90) -> dict[str, float]:
    """New versus returning buyers of ``skus`` in ``window`` and the new buyers' later repeat rate (DuckDB).

    A buyer is *new* when their first non-cancelled order in the data falls in the window. ``repeat``
    = share of new buyers with another non-cancelled order within ``repeat_days`` after the window end
    (any SKU); ``baseline_repeat`` = the same for buyers whose first order falls in ``baseline``
    (measured after the baseline end). NaN when the data end before the follow-up is over.
    Keys: ``buyers``, ``new_buyers``, ``new_share``, ``repeat_rate_new``, ``baseline_repeat_rate_new``.
    """
    con = _cube.connect()
    _cube._relation(con, "o", orders)
    con.register("s", pd.DataFrame({"sku": list(skus)}))
    q = """
    WITH l AS (SELECT customer_id, order_ts FROM o WHERE status <> 'cancelled' AND customer_id IS NOT NULL),
    f AS (SELECT customer_id, min(order_ts) AS first_ts FROM l GROUP BY 1),
    buyers AS (SELECT DISTINCT o.customer_id FROM o JOIN s USING (sku)
               WHERE o.status <> 'cancelled' AND o.customer_id IS NOT NULL AND o.order_ts >= $a AND o.order_ts < $b)
    SELECT count(*) AS buyers, sum(CASE WHEN f.first_ts >= $a THEN 1 ELSE 0 END) AS new_buyers
    FROM buyers JOIN f USING (customer_id)
    """
    a, b = window[0], window[1] + pd.Timedelta(days=1)
    r = con.execute(q, {"a": a, "b": b}).fetchone()
    last = con.execute("SELECT max(order_ts) FROM o").fetchone()[0]

    def repeat(a0: pd.Timestamp, b0: pd.Timestamp) -> float:
        if pd.Timestamp(last) < b0 + pd.Timedelta(days=repeat_days):
            return float("nan")
        q2 = """
        WITH l AS (SELECT customer_id, order_ts FROM o WHERE status <> 'cancelled' AND customer_id IS NOT NULL),
        f AS (SELECT customer_id, min(order_ts) AS first_ts FROM l GROUP BY 1),
        new AS (SELECT customer_id FROM f WHERE first_ts >= $a AND first_ts < $b)
        SELECT avg(CASE WHEN EXISTS (SELECT 1 FROM l WHERE l.customer_id = new.customer_id AND l.order_ts >= $b
                                     AND l.order_ts < $c) THEN 1.0 ELSE 0.0 END) FROM new
        """
        v = con.execute(q2, {"a": a0, "b": b0, "c": b0 + pd.Timedelta(days=repeat_days)}).fetchone()[0]
        return float(v) if v is not None else float("nan")

    buyers, new = int(r[0] or 0), int(r[1] or 0)
    return {"buyers": float(buyers), "new_buyers": float(new), "new_share": new / buyers if buyers else float("nan"),
            "repeat_rate_new": repeat(a, b),
            "baseline_repeat_rate_new": repeat(baseline[0], baseline[1] + pd.Timedelta(days=1))}


# --------------------------------------------------------------------------------- overview


def naive_uplift(series: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """What a before/after dashboard reports: window units minus the pre-period daily mean times window days.

    ``series`` is ``CampaignEvaluation.impact.series`` (index: day; columns ``period`` with 'pre' for the
    pre-period, ``masked`` for set-aside days, ``observed`` units). Formula:
    ``naive = sum(observed[start..end]) - mean(observed[pre, not masked]) * days(start..end)``.
    It ignores weekday mix, season, trend and what happens after the window, which is why the notebook
    sets it beside the counterfactual.

    Example:
        >>> idx = pd.date_range("2024-06-01", periods=5)
        >>> s = pd.DataFrame({"period": ["pre", "pre", "pre", "window", "window"],
        ...                   "masked": [False, False, True, False, False],
        ...                   "observed": [10.0, 20.0, 99.0, 40.0, 50.0]}, index=idx)
        >>> naive_uplift(s, idx[3], idx[4])  # 90 - 15 * 2
        60.0
    """
    pre = series[(series["period"] == "pre") & ~series["masked"].astype(bool)]["observed"].mean()
    window = series.loc[start:end, "observed"]
    return float(window.sum() - pre * len(window))


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
