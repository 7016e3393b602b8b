"""Intermittent demand: Syntetos-Boylan classes and Croston/SBA/TSB/ADIDA against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslib.forecasting import intermittent as I


def test_demand_classes_by_quadrant() -> None:
    # every day 10 or 11: ADI 1, CV2 = (0.5 / 10.5)^2 = 0.0023 -> smooth
    assert I.demand_class(np.array([10, 11] * 10, float))["class"] == "smooth"
    # every day, sizes 1 and 20: CV2 = (9.5 / 10.5)^2 = 0.82 -> erratic
    assert I.demand_class(np.array([1, 20] * 10, float))["class"] == "erratic"
    # one sale in 4 days of equal size: ADI 4, CV2 0 -> intermittent
    assert I.demand_class(np.array([0, 0, 0, 5] * 10, float))["class"] == "intermittent"
    # one in 4 with sizes 1 and 20 -> lumpy
    assert I.demand_class(np.array([0, 0, 0, 1, 0, 0, 0, 20] * 5, float))["class"] == "lumpy"
    assert I.demand_class(np.zeros(5))["class"] == "no demand"


def test_closed_days_do_not_make_demand_intermittent() -> None:
    y = np.array([5, 5, 5, 5, 5, 0, 0] * 8, float)  # closed at weekends
    assert I.demand_class(y)["adi"] == pytest.approx(7 / 5)  # 1.4: intermittent if the weekend counted
    open_days = np.tile([True] * 5 + [False] * 2, 8)
    assert I.demand_class(y, open_days)["class"] == "smooth"


def test_croston_by_hand() -> None:
    # sizes 6, 2, 4 at t = 1, 2, 5; intervals 2, 1, 3 (first counted from the start)
    y = np.array([0, 6, 2, 0, 0, 4.0])
    r = I.croston(y, alpha=0.5)
    # z: 6 -> 6 + .5(2 - 6) = 4 -> 4 + .5(4 - 4) = 4; q: 2 -> 1.5 -> 2.25; rate 4 / 2.25
    assert r["forecast"] == pytest.approx(4 / 2.25)
    # fitted: before the first sale unknown; after sale 1 the rate is 6/2 = 3 (for t = 2), then 4/1.5 for t = 3..5
    assert np.isnan(r["fitted"][:2]).all()
    assert r["fitted"][2] == pytest.approx(3.0) and r["fitted"][3:].tolist() == pytest.approx([4 / 1.5] * 3)


def test_sba_debiases_croston() -> None:
    y = np.array([0, 6, 2, 0, 0, 4.0])
    assert I.sba(y, alpha=0.5)["forecast"] == pytest.approx(4 / 2.25 * 0.75)


def test_tsb_decays_when_sales_stop() -> None:
    # p_0 = 2/6, z_0 = 4; six periods: sales of 4 at t = 0, 1, then zeros
    y = np.array([4, 4, 0, 0, 0, 0.0])
    r = I.tsb(y, alpha=0.5, beta=0.5)
    p = 2 / 6
    for x in y:
        p += 0.5 * ((x > 0) - p)
    assert r["forecast"] == pytest.approx(p * 4)  # z stays 4
    assert r["forecast"] < I.croston(y, alpha=0.5)["forecast"]  # Croston does not decay


def test_adida_by_hand() -> None:
    # 3 sales in 9 days: ADI 3, buckets of 3 from the end: [0+0+3, 0+3+0, 3+0+0] = [3, 3, 3]; SES -> 3; 3 / 3
    y = np.array([0, 0, 3, 0, 3, 0, 3, 0, 0.0])
    r = I.adida(y)
    assert r["k"] == 3 and r["forecast"] == pytest.approx(1.0)


def test_ses_optimal_picks_the_smallest_error() -> None:
    # a level shift from 0 to 10: errors 10, 10(1-a), 10(1-a)^2, ... are smallest for the fastest weight
    x = np.array([0.0, 0, 0, 10, 10, 10, 10])
    alpha, nxt = I.ses_optimal(x)
    assert alpha == pytest.approx(0.95)
    assert nxt == pytest.approx(10 - 10 * 0.05**4)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=8, max_size=60).filter(lambda v: sum(v) > 0))
def test_rates_stay_within_the_demand(values: list[int]) -> None:
    """Every method forecasts a rate between 0 and the largest sale."""
    y = np.array(values, float)
    for fn in (I.croston, I.sba, I.tsb, I.adida):
        f = fn(y)["forecast"]
        assert 0 <= f <= y.max() + 1e-9, fn.__name__


def test_empirical_bounds_by_hand() -> None:
    y = np.r_[np.zeros(8), 5.0, 5.0]
    b = I.empirical_bounds(y, np.full(10, 1.0), 1.0, levels=(80,))
    # errors: eight -1 and two +4; 10% quantile -1, 90% quantile 4 -> [1 - 1, 1 + 4] = [0, 5]
    assert b[80] == pytest.approx((0.0, 5.0))
