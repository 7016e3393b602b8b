"""The campaigns table: the default campaign, ids as text, scopes of many SKUs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslib import campaigns as cp


def _table() -> pd.DataFrame:
    return pd.DataFrame({"campaign_id": [17, 18, 19], "name": ["a", "b", "c"], "kind": "coupon",
                         "start": pd.to_datetime(["2024-01-10", "2024-03-01", "2024-03-20"]),
                         "end": pd.to_datetime(["2024-01-12", "2024-03-31", "2024-03-22"]),
                         "discount_depth": 0.1, "scope_type": "all", "scope": None, "marketing_spend": 0.0})


def test_default_is_the_latest_that_has_ended_with_a_pre_period():
    t = _table()
    # data 2024-01-01 .. 2024-03-25: 18 has not ended (03-31), 19 ended 03-22 -> 19
    assert cp.latest_campaign_id(t, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-25")) == "19"
    # data to 2024-03-21: neither 18 nor 19 is over; 17 started 9 days after the data began (< 21) -> none
    with pytest.raises(cp.CampaignError, match="has ended and has 21 days"):
        cp.latest_campaign_id(t, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-21"))
    # data from 2023-12-01: 17 qualifies
    assert cp.latest_campaign_id(t, pd.Timestamp("2023-12-01"), pd.Timestamp("2024-03-21")) == "17"
    # without data bounds: the one that ended last
    assert cp.get_campaign(t).campaign_id == "18"


@pytest.mark.parametrize("given", [18, "18", 18.0, " 18 "])
def test_ids_are_compared_as_text(given):
    assert cp.get_campaign(_table(), given).campaign_id == "18"


def test_unknown_numeric_id_does_not_suggest_itself():
    with pytest.raises(cp.CampaignError) as e:
        cp.get_campaign(_table(), 99)
    assert "'99' does not exist" in str(e.value) and "Did you mean 99" not in str(e.value)


def test_a_35000_sku_scope_resolves_once():
    skus = [f"S{i:06d}" for i in range(40_000)]
    products = pd.DataFrame({"sku": skus, "category": "x", "subcategory": "x1"})
    scope = tuple(skus[:35_000]) + ("GONE",)
    c = cp.Campaign("C", "coupon", "coupon", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02"), 0.1, "sku",
                    scope, 0.0)
    got = cp.scope_skus(c, products)
    assert len(got) == 35_000 and got[0] == "S000000" and "GONE" not in got
    assert cp.sibling_skus(c, products) == skus[35_000:]


def test_evaluate_picks_the_default_campaign_and_reads_numeric_ids():
    from tests.campaigns.test_evaluation import _toy_campaigns, _toy_cube

    cube, prod = _toy_cube()
    camps = _toy_campaigns(campaign_id="7")
    ev = cp.evaluate_campaign(cube, camps, prod, 7, halo=False)
    assert ev.campaign.campaign_id == "7"
    assert cp.evaluate_campaign(cube, camps, prod, None, halo=False).campaign.campaign_id == "7"
    assert np.isfinite(ev.window["effect"])
