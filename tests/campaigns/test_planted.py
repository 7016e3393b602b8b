"""Planting a known campaign into order lines: the truth by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from opslib import campaigns as cp


def _orders() -> pd.DataFrame:
    ts = ["2024-03-01 10:00", "2024-03-02 10:00", "2024-03-02 11:00", "2024-03-03 10:00", "2024-03-04 10:00",
          "2024-03-02 12:00"]
    return pd.DataFrame({"order_ts": pd.to_datetime(ts), "sku": ["A", "A", "A", "A", "A", "B"],
                         "quantity": [2, 2, 3, 4, 4, 5], "unit_price": [10.0] * 6, "list_price": [10.0] * 6,
                         "status": ["completed", "completed", "cancelled", "completed", "completed", "completed"],
                         "campaign_id": [None] * 6})


PRODUCTS = pd.DataFrame({"sku": ["A", "B"], "category": ["x", "y"], "subcategory": ["x1", "y1"]})


def test_uplift_and_pull_forward_by_hand():
    # window 03-02: A's non-cancelled line of 2 becomes 2 x 2 = 4 (uplift 1.0, exact); the cancelled line stays 3;
    # B is not in scope. Pull-forward P = 2, D = 0.5: day 1 (03-03) m = 1 - 0.5 = 0.5 -> 4 x 0.5 = 2;
    # day 2 (03-04) m = 1 - 0.5 x (1 - 1/2) = 0.75 -> 4 x 0.75 = 3.
    new, row, t = cp.plant_campaign(_orders(), PRODUCTS, "P", "2024-03-02", "2024-03-02", "sku:A", 1.0,
                                    pull_forward_days=2, pull_forward_depth=0.5, discount=0.1)
    assert new["quantity"].tolist() == [2, 4, 3, 2, 3, 5]
    assert (t.uplift_units, t.baseline_units, t.pull_forward_units, t.n_skus) == (2.0, 2.0, 3.0, 1)
    assert new.loc[1, "unit_price"] == 9.0 and new.loc[1, "campaign_id"] == "P"
    assert row.loc[0, "scope_type"] == "sku" and row.loc[0, "discount_depth"] == 0.1


def test_random_rounding_keeps_the_expectation():
    o = pd.DataFrame({"order_ts": pd.Timestamp("2024-03-02 10:00"), "sku": "A", "quantity": [1] * 4000,
                      "unit_price": 1.0, "list_price": 1.0, "status": "completed"})
    _, _, t = cp.plant_campaign(o, PRODUCTS, "P", "2024-03-02", "2024-03-02", "sku:A", 0.3, seed=3)
    # expected 0.3 x 4000 = 1,200 added; binomial sd sqrt(4000 x 0.3 x 0.7) = 29
    assert t.expected_uplift_units == pytest.approx(1200)
    assert abs(t.uplift_units - 1200) < 4 * 29


def test_scale_quantities_and_the_shop_folder(tmp_path):
    assert cp.scale_quantities(_orders(), 1000)["quantity"].tolist()[:2] == [2000, 2000]
    with pytest.raises(ValueError):
        cp.scale_quantities(_orders(), 0.5)
