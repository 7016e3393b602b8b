"""Pricing, cost structure, product structure, trends, the market and campaign planning (notebook 07).

* ``panel``, ``elasticity`` — :func:`weekly_price_panel` ((week, SKU) units, prices and controls in DuckDB) and
  :func:`estimate_elasticity` (PPML with SKU and week effects, SEs clustered by SKU, cross-price effects within
  subcategories, SKU elasticities pooled by empirical Bayes);
* ``review`` — :func:`pricing_scope` (periods and scope) and :func:`review_elasticity` (every category's
  elasticity with its interval width and whether it is usable);
* ``decisions`` — :func:`optimal_price`, :func:`price_decisions`, :func:`profit_curve`, :func:`price_war`: the
  margin-maximising price ((p - c)/p = -1/e, within bounds), the profit curve, a competitor's price cut;
* ``costs`` — :func:`cost_structure`: the contribution-margin waterfall from list price to contribution per
  category and per order, from cost fields, ``costs.yml`` (:func:`read_costs`) or assumed defaults;
* ``structure`` — price-band mix and its shift, SKU roles (引流款 / 利润款 / 形象款), new products, the long tail;
* ``trends`` — :func:`growth_table` (growth with significance) and :func:`share_trend` (share of the shop);
* ``market`` — the optional ``market`` table: :func:`market_share`, :func:`price_index`,
  :func:`competitor_moves`, :func:`price_war_review`;
* ``planning`` — :func:`plan_campaign`: a campaign's expected units, GMV, margin, ROI, pull-forward and stock.
"""

from opslib.pricing.costs import (
    COST_FIELDS,
    STEPS,
    CostRates,
    CostStructure,
    cost_structure,
    default_costs,
    read_costs,
)
from opslib.pricing.decisions import (
    PriceDecisions,
    PriceWar,
    current_prices,
    optimal_price,
    price_decisions,
    price_war,
    profit_curve,
)
from opslib.pricing.elasticity import ElasticityResult, estimate_elasticity, pool_elasticities
from opslib.pricing.market import (
    MarketReview,
    MarketShare,
    PriceWarReview,
    competitor_moves,
    market_review,
    market_rows,
    market_share,
    price_index,
    price_war_review,
)
from opslib.pricing.panel import PANEL_COLUMNS, PricingError, weekly_price_panel
from opslib.pricing.planning import (
    CampaignPlan,
    CampaignPlanResult,
    campaign_plan,
    past_uplifts,
    plan_campaign,
)
from opslib.pricing.review import (
    ElasticityReview,
    PricingScope,
    pricing_scope,
    review_elasticity,
    usable_elasticities,
)
from opslib.pricing.structure import (
    ROLE_RULES,
    ROLES,
    assign_bands,
    band_edges,
    band_groups,
    long_tail,
    new_product_share,
    price_band_mix,
    role_summary,
    sku_roles,
)
from opslib.pricing.trends import GrowthResult, ShareTrend, growth_table, share_trend

__all__ = [
    "COST_FIELDS",
    "PANEL_COLUMNS",
    "ROLES",
    "ROLE_RULES",
    "STEPS",
    "CampaignPlan",
    "CampaignPlanResult",
    "CostRates",
    "CostStructure",
    "ElasticityResult",
    "ElasticityReview",
    "GrowthResult",
    "MarketReview",
    "MarketShare",
    "PriceDecisions",
    "PriceWar",
    "PriceWarReview",
    "PricingError",
    "PricingScope",
    "ShareTrend",
    "assign_bands",
    "band_edges",
    "band_groups",
    "campaign_plan",
    "competitor_moves",
    "cost_structure",
    "current_prices",
    "default_costs",
    "estimate_elasticity",
    "growth_table",
    "long_tail",
    "market_review",
    "market_rows",
    "market_share",
    "new_product_share",
    "optimal_price",
    "past_uplifts",
    "plan_campaign",
    "pool_elasticities",
    "price_band_mix",
    "price_decisions",
    "price_index",
    "price_war",
    "price_war_review",
    "pricing_scope",
    "profit_curve",
    "read_costs",
    "review_elasticity",
    "role_summary",
    "share_trend",
    "sku_roles",
    "usable_elasticities",
    "weekly_price_panel",
]
