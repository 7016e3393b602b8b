"""The CLV workflow on order lines: the split by time, reasons instead of failures, the margin, the sample shop.

The models themselves are tested against published results in test_clv.py; here the wiring: which lines, which
split, what happens when a fit cannot run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib.customers import holdout_check, lifetime_value, shop_margin_rate
from opslib.errors import CLVError


def test_margin_rate_by_hand() -> None:
    o = pd.DataFrame({"sku": ["a", "b", "a", "c"], "quantity": [2, 1, 1, 1], "unit_price": [10.0, 30.0, 10.0, 5.0],
                      "status": ["completed", "completed", "cancelled", "completed"]})
    p = pd.DataFrame({"sku": ["a", "b", "c"], "unit_cost": [6.0, 12.0, None]})
    # completed lines with a cost: a 2 x 10 (cost 12), b 1 x 30 (cost 12): 1 - 24 / 50 = 0.52
    rate, note = shop_margin_rate(o, p)
    assert rate == pytest.approx(0.52) and "2 completed line(s)" in note
    assert shop_margin_rate(o, p.assign(unit_cost=np.nan)) == (1.0, "no unit costs: CLV counts revenue x 100%")
    assert shop_margin_rate(o, p, override=0.3)[0] == 0.3
    with pytest.raises(CLVError, match="margin=1.5"):
        shop_margin_rate(o, p, override=1.5)


def test_too_few_repeat_buyers_is_a_reason() -> None:
    lines = pd.DataFrame({"order_id": ["a", "b"], "customer_id": ["x", "y"], "quantity": 1, "unit_price": 1.0,
                          "order_ts": pd.to_datetime(["2024-01-01", "2024-02-01"]), "status": "completed"})
    check = holdout_check(lines, end="2024-06-30", holdout_days=30)
    assert check.evaluation is None and "only 0 customer(s)" in check.reason
    assert check.plot() is None and check.parameters().empty and check.independence().empty
    value = lifetime_value(lines, end="2024-06-30")
    assert value.customers is None and value.reason.startswith("Customer lifetime value skipped")
    assert value.summary().empty
    guests = lines.assign(customer_id=None)
    assert "no customer" in holdout_check(guests, end="2024-06-30").reason


def test_sample_shop_holdout_split_and_valuation(small_shop_dir: Path, small_truth: dict) -> None:
    orders = small_shop_dir / "orders.parquet"
    end = pd.Timestamp(small_truth["end"])
    check = holdout_check(orders, end=end, holdout_days=182)
    # the split by time: calibration ends 182 days before the end, the holdout is 26 weeks
    assert check.calibration_end == end - pd.Timedelta(days=182)
    assert check.summary["duration_holdout"].iloc[0] == pytest.approx(26.0)
    assert check.summary.attrs["calibration_end"] == str(check.calibration_end.date())
    assert abs(check.evaluation.aggregate_error) < 0.5
    assert check.independence()["method"].tolist() == ["pearson", "spearman"]
    value = lifetime_value(orders, end=end, horizon_months=12, margin=0.3)
    c = value.customers
    # every customer with a purchase not cancelled is valued; CLV >= 0; one-time buyers have P(alive) = 1
    raw = pd.read_parquet(orders)
    assert len(c) == raw.loc[raw["status"] != "cancelled", "customer_id"].nunique()
    assert (c["clv"] >= 0).all() and (c.loc[c["frequency"] == 0, "p_alive"] == 1.0).all()
    assert value.summary()["clv"].iloc[0] == pytest.approx(c["clv"].sum())
    # margin scales CLV linearly
    half = lifetime_value(orders, end=end, horizon_months=12, margin=0.15).customers
    assert half["clv"].sum() == pytest.approx(c["clv"].sum() / 2)


def test_holdout_counts_and_correlation_in_sql_by_hand() -> None:
    from opslib.customers.clv import WEIGHT
    from opslib.customers.table import CustomerTable
    from opslib.customers.value import _holdout_tables

    # five customers (days): one one-time buyer; repeat buyers x = 1, 1, 2, 3 with repeat value 10, 20, 20, 30,
    # so m = 10, 20, 10, 10; the first two share (x, t_x, T, holdout x) = (1, 7, 14, 0)
    stats = CustomerTable.from_frame(pd.DataFrame({
        "frequency": [0, 1, 1, 2, 3], "recency_days": [0, 7, 7, 14, 14], "t_days": [14, 14, 14, 14, 14],
        "repeat_value": [0.0, 10.0, 20.0, 20.0, 30.0], "frequency_holdout": [1, 0, 0, 2, 0], "n_null": 0}))
    s, corr = _holdout_tables(stats, pd.Timestamp("2024-01-15"), pd.Timestamp("2024-01-29"), "W")
    assert s[["frequency", "frequency_holdout", WEIGHT]].values.tolist() == [[0, 1, 1], [1, 0, 2], [2, 2, 1], [3, 0, 1]]
    assert s["recency"].tolist() == [0.0, 1.0, 2.0, 2.0] and (s["T"] == 2.0).all() and (s["duration_holdout"] == 2.0).all()
    c = corr().set_index("method")
    # Pearson of x (1, 1, 2, 3) and m (10, 20, 10, 10): Σdx·dm = -7.5, Σdx² = 2.75, Σdm² = 75
    assert c.loc["pearson", "estimate"] == pytest.approx(-7.5 / np.sqrt(2.75 * 75))
    # Spearman: mean ranks x (1.5, 1.5, 3, 4), m (2, 4, 2, 2): Σ = -2, 4.5, 3
    assert c.loc["spearman", "estimate"] == pytest.approx(-2 / np.sqrt(4.5 * 3))
    assert c["n"].tolist() == [4, 4]
    holdout_frame = pd.DataFrame({"frequency": [0, 1, 1, 2, 3], "monetary_value": [0.0, 10, 20, 10, 10]})
    from opslib.customers.clv import frequency_spend_correlation
    pd.testing.assert_frame_equal(corr(), frequency_spend_correlation(holdout_frame), rtol=1e-12)
