"""The money of a campaign: incremental GMV and margin against the counterfactual, discount cost, ROI and ROAS.
"""

from __future__ import annotations

import numpy as np

from opslib.kpi import Term


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
