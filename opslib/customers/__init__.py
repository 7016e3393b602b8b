"""Customers and traffic: the funnel, RFM segments, cohorts and repeat purchase, lifetime value, customer actions.

Modules: ``funnel`` (visitors → views → carts → orders → paid; GMV drivers; channel mix), ``rfm`` (customer
summary, quintile scores, the 11 named segments, transitions), ``cohorts`` (first-order cohorts, 京东商智
repeat-purchase rates, time between orders, new vs returning buyers, guests), ``clv`` (BG/NBD and Gamma-Gamma by
maximum likelihood, holdout checks, CLV), ``value`` (the holdout check and valuation on order lines), ``actions`` (win-back and nurture lists, campaigns per segment).

What a notebook imports::

    from opslib.customers import funnel_table, funnel_change, channel_mix, rfm_segments, segment_transitions
    from opslib.customers import cohort_table, repeat_purchase_rate, order_gaps, new_vs_returning, guest_summary
    from opslib.customers import rfm_summary, fit_bgnbd, fit_gamma_gamma, holdout_evaluation
    from opslib.customers import win_back_list, nurture_list, segment_campaigns, export_actions
"""

from opslib.customers.actions import (
    CAMPAIGN_PLAYBOOK,
    EXCEL_MAX_ROWS,
    WIN_BACK_SEGMENTS,
    ActionExport,
    export_actions,
    nurture_list,
    segment_campaigns,
    win_back_list,
)
from opslib.customers.clv import (
    UNIT_DAYS,
    WEIGHT,
    BGNBDResult,
    BoundaryWarning,
    CLVError,
    FitError,
    GammaGammaResult,
    HoldoutEvaluation,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    frequency_spend_correlation,
    holdout_evaluation,
    rfm_summary,
)
from opslib.customers.cohorts import (
    CohortResult,
    GuestSummary,
    OrderGaps,
    RepeatRates,
    cohort_table,
    first_order_repeat,
    guest_summary,
    new_vs_returning,
    order_gaps,
    repeat_purchase_rate,
    why_no_customers,
)
from opslib.customers.funnel import STAGES, Funnel, MixEffect, channel_mix, funnel_change, funnel_table
from opslib.customers.rfm import (
    SEGMENT_CODES,
    SEGMENTS,
    RFMResult,
    Transitions,
    customer_summary,
    rfm_segments,
    segment_legend,
    segment_summary,
    segment_transitions,
)
from opslib.customers.value import (
    HoldoutCheck,
    LifetimeValue,
    holdout_check,
    lifetime_value,
    shop_margin_rate,
)

__all__ = [
    "CAMPAIGN_PLAYBOOK",
    "EXCEL_MAX_ROWS",
    "SEGMENT_CODES",
    "SEGMENTS",
    "STAGES",
    "UNIT_DAYS",
    "WEIGHT",
    "WIN_BACK_SEGMENTS",
    "ActionExport",
    "BGNBDResult",
    "BoundaryWarning",
    "CLVError",
    "CohortResult",
    "FitError",
    "Funnel",
    "GammaGammaResult",
    "GuestSummary",
    "HoldoutCheck",
    "HoldoutEvaluation",
    "LifetimeValue",
    "MixEffect",
    "OrderGaps",
    "RFMResult",
    "RepeatRates",
    "Transitions",
    "channel_mix",
    "cohort_table",
    "customer_lifetime_value",
    "customer_summary",
    "export_actions",
    "first_order_repeat",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "frequency_spend_correlation",
    "funnel_change",
    "funnel_table",
    "guest_summary",
    "holdout_check",
    "holdout_evaluation",
    "lifetime_value",
    "new_vs_returning",
    "nurture_list",
    "order_gaps",
    "repeat_purchase_rate",
    "rfm_segments",
    "rfm_summary",
    "segment_campaigns",
    "segment_legend",
    "segment_summary",
    "segment_transitions",
    "shop_margin_rate",
    "why_no_customers",
    "win_back_list",
]
