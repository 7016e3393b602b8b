"""Pricing: the weekly price panel, price elasticity and price decisions.

* :func:`weekly_price_panel` — (week, SKU) units, paid and list price, discount depth, campaign,
  festival and stock controls, from order lines in DuckDB;
* :func:`estimate_elasticity` — elasticity per category (PPML with SKU and week effects, SEs
  clustered by SKU), cross-price effects within subcategories, SKU elasticities pooled by empirical Bayes;
* price decisions (``opslib.pricing.decisions``): the margin-maximising price, the profit curve,
  a price-war simulation.
"""

from opslib.pricing.elasticity import ElasticityResult, estimate_elasticity, pool_elasticities
from opslib.pricing.panel import PANEL_COLUMNS, PricingError, weekly_price_panel

__all__ = [
    "PANEL_COLUMNS",
    "ElasticityResult",
    "PricingError",
    "estimate_elasticity",
    "pool_elasticities",
    "weekly_price_panel",
]
