"""Campaigns (活动): did the promotion make money, and what would have happened without it?

``table`` (the campaigns table, scopes, ad-hoc windows), ``counterfactual`` (structural time-series
counterfactual), ``did`` (difference-in-differences), ``money`` (incremental GMV, margin, ROI),
``side_effects`` (buyer mix, naive uplift), ``evaluation`` (the whole evaluation and the campaign
overview), ``abtest`` (A/B test planning and reading).
"""

from __future__ import annotations

from opslib.campaigns.abtest import (
    adjust_pvalues,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
    test_warnings,
    two_proportion_ztest,
    welch_ttest,
)
from opslib.campaigns.counterfactual import MIN_PRE_DAYS, ImpactResult, causal_impact, forecast_covariance
from opslib.campaigns.did import did_2x2, did_regression
from opslib.campaigns.evaluation import CampaignEvaluation, campaign_overview, evaluate_campaign
from opslib.campaigns.money import campaign_money
from opslib.campaigns.side_effects import buyer_mix, naive_uplift
from opslib.campaigns.table import (
    Campaign,
    adhoc_campaign,
    campaign_periods,
    choose_campaign,
    estimate_discount_depth,
    get_campaign,
    overlapping_campaigns,
    parse_scope,
    scope_skus,
    sibling_skus,
    with_adhoc,
)
from opslib.errors import CampaignError

__all__ = [
    "CampaignError",
    "adhoc_campaign",
    "adjust_pvalues",
    "buyer_mix",
    "Campaign",
    "campaign_money",
    "campaign_overview",
    "campaign_periods",
    "CampaignEvaluation",
    "causal_impact",
    "choose_campaign",
    "did_2x2",
    "did_regression",
    "estimate_discount_depth",
    "evaluate_campaign",
    "forecast_covariance",
    "get_campaign",
    "ImpactResult",
    "MIN_PRE_DAYS",
    "naive_uplift",
    "overlapping_campaigns",
    "parse_scope",
    "power_proportions",
    "sample_size_means",
    "sample_size_proportions",
    "scope_skus",
    "sibling_skus",
    "test_warnings",
    "two_proportion_ztest",
    "welch_ttest",
    "with_adhoc",
]
