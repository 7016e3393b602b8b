"""Safety stock, reorder point, weeks of cover and the order list, hand-computed."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from opslib.forecasting.replenishment import (
    reorder_point,
    replenishment_plan,
    safety_stock,
    service_z,
    weeks_of_cover,
)


def test_safety_stock_hand_computed() -> None:
    # SS = z * sigma_w * sqrt(L/7) = 1.644854 * 10 * sqrt(14/7)
    assert service_z(0.95) == pytest.approx(1.644854, abs=1e-6)
    assert safety_stock(10.0, 14, 0.95) == pytest.approx(1.644854 * 10 * math.sqrt(2), rel=1e-6)
    assert safety_stock(7.0, 7, 0.90) == pytest.approx(1.281552 * 7, rel=1e-6)
    assert safety_stock(0.0, 14, 0.99) == 0.0


def test_reorder_point_and_cover() -> None:
    assert reorder_point(50.0, 14, 23.26) == pytest.approx(123.26)
    assert weeks_of_cover(120, 40) == pytest.approx(3.0)
    assert weeks_of_cover(5, 0) == math.inf
    assert weeks_of_cover(0, 0) == 0.0


def test_plan_orders_only_below_reorder_point() -> None:
    demand = pd.DataFrame({"sku": ["a", "b"], "mean_weekly": [50.0, 10.0], "sigma_weekly": [10.0, 2.0]})
    stock = pd.DataFrame({"sku": ["a", "b"], "on_hand": [100, 80]})
    plan = replenishment_plan(demand, stock, lead_time_days=14, service_level=0.95, review_weeks=1)
    a = plan.set_index("sku").loc["a"]
    ss = 1.644854 * 10 * math.sqrt(2)
    assert a["safety_stock"] == pytest.approx(ss, rel=1e-6)
    assert a["reorder_point"] == pytest.approx(100 + ss, rel=1e-6)
    assert bool(a["order_now"])
    assert a["order_qty"] == math.ceil(50 * 3 + ss - 100)
    b = plan.set_index("sku").loc["b"]
    assert not bool(b["order_now"]) and b["order_qty"] == 0
    assert plan["sku"].tolist() == ["a", "b"]  # a has 2 weeks of cover, b 8


def test_plan_without_stock_has_targets_only() -> None:
    demand = pd.DataFrame({"sku": ["a"], "mean_weekly": [5.0], "sigma_weekly": [1.0]})
    plan = replenishment_plan(demand, None)
    assert "order_qty" not in plan and plan.loc[0, "reorder_point"] > 10


def test_bad_service_level() -> None:
    with pytest.raises(ValueError, match="service_level"):
        safety_stock(1.0, 7, 1.5)
