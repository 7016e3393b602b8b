"""Assortment (品类优化): from order lines to one action per SKU.

The review a category manager runs every week, month or quarter: its scope and periods (``review``), one row
per SKU for a period (``summaries``), ABC and the Pareto curve, XYZ and the ABC x XYZ matrix (``abc_xyz``), the
growth-share matrix (``growth``), margin structure and price bands (``summaries``), launch cohorts
(``launches``), inventory health, stock-outs and lost sales (``inventory``), and the action table with the rule
per SKU (``actions``).

Money definitions follow ``opslib.data.cube``: ``gmv`` = units x price paid on non-cancelled lines (returns
included), ``net_sales`` = completed lines only, ``discount`` = list value - gmv, ``returns`` = gmv -
net_sales, ``cost`` = completed units x unit cost, ``gross_margin`` = net_sales - cost. Every function is pure:
DataFrames in, a new DataFrame out.
"""

from __future__ import annotations

from opslib.assortment.abc_xyz import (
    abc_classify,
    abc_crosstab,
    abc_summary,
    abc_xyz_classes,
    abc_xyz_matrix,
    pareto_curve,
    share_of_skus_for,
    xyz_classify,
)
from opslib.assortment.actions import (
    ACTIONS,
    action_summary,
    action_table,
    export_actions,
    sku_scorecard,
    top_actions,
)
from opslib.assortment.growth import QUADRANTS, growth_share, quadrant_counts, sku_growth
from opslib.assortment.inventory import (
    inventory_health,
    lost_sales,
    lost_sales_by,
    stock_counts,
    stockout_spells,
)
from opslib.assortment.launches import launch_cohorts, launch_ramp_summary, time_to_category_median
from opslib.assortment.review import (
    InventoryReview,
    ReviewScope,
    classification_window,
    review_inventory,
    review_scope,
    review_title,
    weeks_in,
)
from opslib.assortment.summaries import margin_structure, price_bands, sku_summary

__all__ = [
    "abc_classify",
    "abc_crosstab",
    "abc_summary",
    "abc_xyz_classes",
    "abc_xyz_matrix",
    "action_summary",
    "action_table",
    "ACTIONS",
    "classification_window",
    "export_actions",
    "growth_share",
    "inventory_health",
    "InventoryReview",
    "launch_cohorts",
    "launch_ramp_summary",
    "lost_sales",
    "lost_sales_by",
    "margin_structure",
    "pareto_curve",
    "price_bands",
    "quadrant_counts",
    "QUADRANTS",
    "review_inventory",
    "review_scope",
    "review_title",
    "ReviewScope",
    "share_of_skus_for",
    "sku_growth",
    "sku_scorecard",
    "sku_summary",
    "stock_counts",
    "stockout_spells",
    "time_to_category_median",
    "top_actions",
    "weeks_in",
    "xyz_classify",
]
