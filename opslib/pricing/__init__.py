"""Pricing: the weekly price panel, price elasticity and price decisions.

* :func:`weekly_price_panel` — (week, SKU) units, paid and list price, discount depth, campaign,
  festival and stock controls, from order lines in DuckDB;
* :func:`estimate_elasticity` — elasticity per category (PPML with SKU and week effects, SEs
  clustered by SKU), cross-price effects within subcategories, SKU elasticities pooled by empirical Bayes;
* :func:`optimal_price`, :func:`price_decisions`, :func:`profit_curve`, :func:`price_war` — the
  margin-maximising price ((p - c)/p = -1/e, within bounds), the profit curve around today's price and
  a competitor's price cut, under constant-elasticity demand (``opslib.pricing.decisions``).
"""

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
from opslib.pricing.panel import PANEL_COLUMNS, PricingError, weekly_price_panel

__all__ = [
    "PANEL_COLUMNS",
    "ElasticityResult",
    "PriceDecisions",
    "PriceWar",
    "PricingError",
    "current_prices",
    "estimate_elasticity",
    "optimal_price",
    "pool_elasticities",
    "price_decisions",
    "price_war",
    "profit_curve",
    "weekly_price_panel",
]
