"""Campaign money when costs are missing or partial: unknown stays unknown, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from opslib import campaigns as cp


def test_no_cost_means_unknown_not_zero():
    # 100 units for 8,000 against 60 counterfactual units at 100: incremental GMV 2,000 needs no cost
    m = cp.campaign_money(units_obs=100, gmv_obs=8000, units_cf=60, price_base=100, unit_cost=np.nan,
                          marketing_spend=1000, pull_forward_units=10)
    assert m.incremental_gmv == 2000 and m.incremental_roas == pytest.approx(2.0)
    for name in ("incremental_margin", "pull_forward_margin", "cannibalised_margin", "net_profit", "roi"):
        assert getattr(m, name) is None, name
        assert m.status(name) == cp.UNKNOWN_COST
    assert m.cost_coverage == 0
    s = m.summary().set_index("metric")
    assert np.isnan(s.loc["net_profit", "value"]) and s.loc["net_profit", "status"] == "unknown (no cost data)"
    assert m.to_dict()["net_profit"] is None and m.to_dict()["incremental_gmv"] == 2000


def test_partial_coverage_is_stated():
    m = cp.campaign_money(100, 8000, 60, 100, 50, marketing_spend=1000, cost_coverage=0.62)
    assert m.incremental_margin == 0.0 and m.cost_coverage == pytest.approx(0.62)
    assert any("62% of the scoped units" in n for n in m.notes)


def test_siblings_without_cost_leave_the_net_profit_unknown():
    m = cp.campaign_money(100, 8000, 60, 100, 50, marketing_spend=1000, cannibalised_units=4,
                          sibling_cost_known=False)
    assert m.incremental_margin == 0.0 and m.cannibalised_margin is None and m.net_profit is None
    assert m.status("roi") == cp.UNKNOWN_COST
    # nothing cannibalised: the siblings' cost does not matter, net = 0 - 0 - 0 - 1,000
    m2 = cp.campaign_money(100, 8000, 60, 100, 50, marketing_spend=1000, sibling_cost_known=False)
    assert m2.net_profit == -1000 and m2.roi == pytest.approx(-1.0)


def test_no_spend_has_no_ratios_but_a_profit():
    m = cp.campaign_money(10, 900, 5, 100, 40)
    assert m.net_profit == 200 and m.roi is None and m.status("roi") == "no marketing spend"
    assert m.status("incremental_roas") == "no marketing spend"
