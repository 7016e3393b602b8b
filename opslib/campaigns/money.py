"""The money of a campaign: incremental GMV and margin against the counterfactual, discount cost, ROI and ROAS.

Unknown cost stays unknown. A shop (or an import) without unit costs has no margin: the margin, the net profit,
the ROI and any ranking by them are reported as "unknown (no cost data)" — never as if the goods were free (a
sum that skips missing costs would make the incremental margin equal the incremental GMV). When only part of
the scoped units have a cost, the margin is computed from the cost per unit of those units and the share is
stated (``cost_coverage``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from opslib.kpi import Term

#: What a figure that needs a cost says when there is none.
UNKNOWN_COST = "unknown (no cost data)"
#: What a ratio to marketing spend says when there was none.
NO_SPEND = "no marketing spend"


def _known(x: float | None) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


@dataclass
class CampaignMoney:
    """Incremental units, GMV and margin, side-effect margins, net profit, ROI and ROAS of one campaign.

    Figures that need a unit cost (``incremental_margin``, ``pull_forward_margin``, ``cannibalised_margin``,
    ``net_profit``, ``roi``) are None when the cost is unknown; ratios to spend (``roi``,
    ``incremental_roas``, ``naive_roas``) are None without marketing spend. ``cost_coverage``: share of the
    scoped units whose cost is known (1 = all, 0 = none); ``notes`` say what was assumed.
    """

    incremental_units: float
    incremental_gmv: float
    incremental_margin: float | None
    discount_cost: float | None
    pull_forward_margin: float | None
    cannibalised_margin: float | None
    marketing_spend: float
    net_profit: float | None
    roi: float | None
    incremental_roas: float | None
    naive_roas: float | None
    cost_coverage: float = 1.0
    notes: list[str] = field(default_factory=list)

    #: (field, label, kind, formula) of every figure, in display order.
    FIGURES = (
        ("incremental_units", "增量销量 incremental units", "units", "units_obs - units_cf"),
        ("incremental_gmv", "增量成交额 incremental GMV", "money", "gmv_obs - units_cf x p_base"),
        ("incremental_margin", "增量毛利 incremental margin", "money",
         "(gmv_obs - units_obs x c) - units_cf x (p_base - c)"),
        ("discount_cost", "折扣成本 discount cost", "money",
         "(list_value - gmv)_window - units_obs x d_base (inside the margin already)"),
        ("pull_forward_margin", "透支毛利 pull-forward margin", "money", "pull_forward_units x (p_base - c)"),
        ("cannibalised_margin", "蚕食毛利 cannibalised margin", "money", "cannibalised_units x sibling margin"),
        ("marketing_spend", "营销费用 marketing spend", "money", "campaigns.marketing_spend"),
        ("net_profit", "净利润 net profit", "money",
         "incremental margin - pull-forward - cannibalised - marketing spend"),
        ("roi", "ROI", "ratio", "net_profit / marketing_spend"),
        ("incremental_roas", "增量ROAS incremental ROAS", "ratio", "incremental_gmv / marketing_spend"),
        ("naive_roas", "表面ROAS naive ROAS", "ratio", "gmv_obs / marketing_spend (what a dashboard shows)"),
        ("cost_coverage", "成本覆盖 cost coverage", "percent", "share of scoped units with a known unit cost"),
    )

    def status(self, name: str) -> str:
        """Why figure ``name`` has no value: :data:`UNKNOWN_COST`, :data:`NO_SPEND` or ``""`` (it has one)."""
        if _known(getattr(self, name)):
            return ""
        if name in ("incremental_roas", "naive_roas"):
            return NO_SPEND
        if name == "roi":
            return UNKNOWN_COST if self.net_profit is None else NO_SPEND
        if name == "discount_cost":
            return "unknown (no list prices)"
        return UNKNOWN_COST

    def summary(self) -> pd.DataFrame:
        """One row per figure: ``metric``, ``label``, ``kind`` (units | money | ratio | percent), ``value``
        (NaN when it cannot be computed), ``status`` (why not), ``formula``."""
        rows = []
        for name, label, kind, formula in self.FIGURES:
            v = getattr(self, name)
            rows.append({"metric": name, "label": label, "kind": kind, "value": float(v) if _known(v) else float("nan"),
                         "status": self.status(name), "formula": formula})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """The figures as plain numbers, None where unknown (for JSON)."""
        return {name: (float(getattr(self, name)) if _known(getattr(self, name)) else None)
                for name, *_ in self.FIGURES}

    def plot(self) -> Any:
        """The waterfall from incremental margin to net profit (:func:`opslib.plotting.campaigns.money_waterfall`),
        or the reason it cannot be drawn printed and None."""
        from opslib.plotting.campaigns import money_waterfall

        return money_waterfall(self)


def campaign_money(units_obs: float, gmv_obs: float, units_cf: float, price_base: float,
                   unit_cost: float | None, marketing_spend: float = 0.0, list_value_obs: float | None = None,
                   discount_per_unit_base: float = 0.0, pull_forward_units: float = 0.0,
                   cannibalised_units: float = 0.0, sibling_margin_per_unit: float | None = None,
                   cost_coverage: float = 1.0, sibling_cost_known: bool = True) -> CampaignMoney:
    """Incremental units, GMV and gross margin, discount cost, ROI and incremental ROAS of one campaign.

    Formulas (``_obs`` = observed in the window on the scoped SKUs, ``_cf`` = counterfactual, ``c`` = unit cost)::

        incremental_units  = units_obs - units_cf
        incremental_gmv    = gmv_obs - units_cf * price_base
        incremental_margin = (gmv_obs - units_obs * c) - units_cf * (price_base - c)
        discount_cost      = (list_value_obs - gmv_obs) - units_obs * discount_per_unit_base
        pull_forward_margin = pull_forward_units * (price_base - c)
        cannibalised_margin = cannibalised_units * sibling_margin_per_unit   (default: price_base - c)
        net_profit         = incremental_margin - pull_forward_margin - cannibalised_margin - marketing_spend
        roi                = net_profit / marketing_spend                  (None without spend)
        incremental_roas   = incremental_gmv / marketing_spend             (None without spend)
        naive_roas         = gmv_obs / marketing_spend                     (what a dashboard shows)

    ``discount_cost`` is already inside ``incremental_margin``: it is reported, never subtracted again.

    Parameters:
        units_obs, gmv_obs: observed units and GMV in the window. units_cf: counterfactual units.
        price_base: pre-period GMV per unit. unit_cost: cost per unit (None or NaN: unknown, then every
            figure that needs it is None). marketing_spend: the campaign's spend. list_value_obs: window
            units at list price (None: no discount cost). discount_per_unit_base: the pre-period everyday
            discount per unit. pull_forward_units, cannibalised_units: side effects in units.
        sibling_margin_per_unit: margin per unit of the siblings (None: ``price_base - c``).
        cost_coverage: share of the units whose cost is known (0: treated as unknown).
        sibling_cost_known: False when the siblings have no cost (then the cannibalised margin is unknown
            unless no unit was cannibalised).

    Returns:
        :class:`CampaignMoney`.

    Example: 100 units sold for 8,000, counterfactual 60 units at 100, cost 50, spend 1,000:
    margin = (8,000 - 5,000) - 60 x 50 = 0; ROAS = 2,000 / 1,000 = 2; ROI = (0 - 1,000) / 1,000 = -1.
        >>> m = campaign_money(100, 8000, 60, 100, 50, marketing_spend=1000)
        >>> m.incremental_gmv, m.incremental_margin, m.incremental_roas, m.roi
        (2000.0, 0.0, 2.0, -1.0)
        >>> m = campaign_money(100, 8000, 60, 100, None, marketing_spend=1000)
        >>> m.incremental_gmv, m.incremental_margin, m.net_profit, m.status("net_profit")
        (2000.0, None, None, 'unknown (no cost data)')
    """
    inc_units = float(units_obs - units_cf)
    inc_gmv = float(gmv_obs - units_cf * price_base)
    disc = (float((list_value_obs - gmv_obs) - units_obs * discount_per_unit_base)
            if list_value_obs is not None and _known(float(list_value_obs)) else None)
    has_spend = marketing_spend is not None and marketing_spend > 0
    spend = float(marketing_spend or 0.0)
    notes: list[str] = []
    cost_known = _known(unit_cost) and cost_coverage > 0
    inc_margin = pf_margin = cann_margin = net = roi = None
    if cost_known:
        c = float(unit_cost)  # type: ignore[arg-type]
        m_base = price_base - c
        inc_margin = float((gmv_obs - units_obs * c) - units_cf * m_base)
        pf_margin = float(pull_forward_units * m_base)
        if not cannibalised_units:
            cann_margin = 0.0
        elif sibling_margin_per_unit is not None and _known(sibling_margin_per_unit):
            cann_margin = float(cannibalised_units * sibling_margin_per_unit)
        elif sibling_cost_known:
            cann_margin = float(cannibalised_units * m_base)
        if cann_margin is not None:
            net = inc_margin - pf_margin - cann_margin - spend
            roi = net / spend if has_spend else None
        else:
            notes.append("the siblings have no cost data: the cannibalised margin, net profit and ROI are unknown")
        if cost_coverage < 1:
            notes.append(f"unit cost known for {cost_coverage:.0%} of the scoped units: the margin assumes the rest "
                         "cost the same per unit")
    else:
        notes.append("no cost data for the scoped SKUs: margin, net profit and ROI are unknown, not zero")
    return CampaignMoney(
        incremental_units=inc_units, incremental_gmv=inc_gmv, incremental_margin=inc_margin, discount_cost=disc,
        pull_forward_margin=pf_margin, cannibalised_margin=cann_margin, marketing_spend=spend, net_profit=net,
        roi=roi, incremental_roas=inc_gmv / spend if has_spend else None,
        naive_roas=float(gmv_obs) / spend if has_spend else None,
        cost_coverage=float(cost_coverage) if cost_known else 0.0, notes=notes)


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("incremental_units", "增量销量", "Incremental units", "units observed − counterfactual units",
         "opslib.campaigns.money.campaign_money", "02"),
    Term("incremental_gmv", "增量 GMV", "Incremental GMV", "GMV observed − counterfactual units × everyday price",
         "opslib.campaigns.money.campaign_money", "02"),
    Term("incremental_margin", "增量毛利", "Incremental gross margin",
         "(GMV observed − units observed × cost) − counterfactual units × (everyday price − cost); the discount "
         "is already inside it", "opslib.campaigns.money.campaign_money", "02"),
    Term("campaign_net_profit", "活动净利润", "Campaign net profit",
         "incremental margin − pull-forward margin − cannibalised margin − marketing spend",
         "opslib.campaigns.money.campaign_money", "02"),
    Term("roi", "投资回报率 ROI", "ROI", "net profit / marketing spend", "opslib.campaigns.money.campaign_money", "02"),
    Term("incremental_roas", "增量 ROAS", "Incremental ROAS", "incremental GMV / marketing spend (a dashboard's "
         "naive ROAS divides all window GMV)", "opslib.campaigns.money.campaign_money", "02"),
)
