"""Campaigns (活动): did the promotion make money, and what would have happened without it?

``table`` (the campaigns table, scopes, ad-hoc windows, the default campaign), ``counterfactual``
(structural time-series counterfactual, scale-free, with a fit check), ``overlap`` (other campaigns, holidays
and festivals around a campaign: set aside, modelled or cut), ``did`` (difference-in-differences), ``money``
(incremental GMV, margin, ROI; unknown cost stays unknown), ``side_effects`` (buyer mix, naive uplift),
``evaluation`` (the whole evaluation and the campaign overview), ``abtest`` (A/B test planning and reading),
``planted`` (plant a known campaign into real orders, to check the evaluation on your own data), ``cli``
(``python -m opslib campaign evaluate``).
"""

from __future__ import annotations

from opslib.campaigns.abtest import (
    AbExample,
    MeanTest,
    ProportionTest,
    ab_example,
    adjust_pvalues,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
    shop_ab_example,
    test_warnings,
    two_proportion_ztest,
    welch_ttest,
)
from opslib.campaigns.counterfactual import (
    MAX_FIT_MAPE,
    MIN_PRE_DAYS,
    ImpactResult,
    causal_impact,
    forecast_covariance,
    outlier_days,
    placebo_errors,
)
from opslib.campaigns.did import DidEstimate, DidResult, did_2x2, did_regression, scaled_did
from opslib.campaigns.evaluation import (
    CampaignEvaluation,
    CampaignOverview,
    ShopEvaluation,
    campaign_overview,
    evaluate_campaign,
    evaluate_shop,
)
from opslib.campaigns.money import UNKNOWN_COST, CampaignMoney, campaign_money
from opslib.campaigns.overlap import (
    MIN_OVERLAP_SHARE,
    OVERLAP_MODES,
    OverlapPlan,
    calendar_events,
    plan_overlaps,
)
from opslib.campaigns.planted import (
    Plant,
    PlantedCampaign,
    plant_campaign,
    scale_quantities,
    write_planted_shop,
)
from opslib.campaigns.side_effects import buyer_mix, naive_uplift
from opslib.campaigns.table import (
    Campaign,
    adhoc_campaign,
    campaign_periods,
    choose_campaign,
    estimate_discount_depth,
    get_campaign,
    latest_campaign_id,
    overlapping_campaigns,
    parse_scope,
    scope_skus,
    sibling_skus,
    with_adhoc,
)
from opslib.errors import CampaignError

__all__ = [
    "AbExample",
    "ab_example",
    "adhoc_campaign",
    "adjust_pvalues",
    "buyer_mix",
    "calendar_events",
    "Campaign",
    "CampaignError",
    "CampaignEvaluation",
    "CampaignMoney",
    "CampaignOverview",
    "campaign_money",
    "campaign_overview",
    "campaign_periods",
    "causal_impact",
    "choose_campaign",
    "did_2x2",
    "did_regression",
    "DidEstimate",
    "DidResult",
    "estimate_discount_depth",
    "evaluate_campaign",
    "evaluate_shop",
    "forecast_covariance",
    "get_campaign",
    "ImpactResult",
    "latest_campaign_id",
    "MAX_FIT_MAPE",
    "MeanTest",
    "MIN_OVERLAP_SHARE",
    "MIN_PRE_DAYS",
    "naive_uplift",
    "OVERLAP_MODES",
    "OverlapPlan",
    "outlier_days",
    "overlapping_campaigns",
    "parse_scope",
    "placebo_errors",
    "plan_overlaps",
    "Plant",
    "plant_campaign",
    "PlantedCampaign",
    "power_proportions",
    "ProportionTest",
    "sample_size_means",
    "sample_size_proportions",
    "scale_quantities",
    "scaled_did",
    "scope_skus",
    "shop_ab_example",
    "ShopEvaluation",
    "sibling_skus",
    "test_warnings",
    "two_proportion_ztest",
    "UNKNOWN_COST",
    "welch_ttest",
    "with_adhoc",
    "write_planted_shop",
]
