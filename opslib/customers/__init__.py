"""Customers: lifetime value (BG/NBD, Gamma-Gamma) — funnel, RFM segments and cohorts to follow.

What a notebook imports::

    from opslib.customers import rfm_summary, fit_bgnbd, fit_gamma_gamma, holdout_evaluation
"""

from opslib.customers.clv import (
    UNIT_DAYS,
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

__all__ = [
    "UNIT_DAYS",
    "BGNBDResult",
    "BoundaryWarning",
    "CLVError",
    "FitError",
    "GammaGammaResult",
    "HoldoutEvaluation",
    "customer_lifetime_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "frequency_spend_correlation",
    "holdout_evaluation",
    "rfm_summary",
]
