"""Price decisions: the Lerner optimum within bounds, profit curves, category moves and the price war.

Expected values are hand calculations (arithmetic in the comments), the first-order condition, or
the sample shop's planted elasticities and margins.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslib.pricing import (
    PricingError,
    current_prices,
    optimal_price,
    price_decisions,
    price_war,
    profit_curve,
    weekly_price_panel,
)

# ----------------------------------------------------------------------------- optimal_price, by hand


def test_optimal_price_follows_the_lerner_rule() -> None:
    # e = -2, c = 50: p* = 50 * -2 / -1 = 100, margin (100 - 50) / 100 = 0.5 = -1/e.
    # e = -4, c = 30: p* = 30 * 4 / 3 = 40, margin 10 / 40 = 0.25 = 1/4.
    assert optimal_price([-2.0, -4.0], [50.0, 30.0]).tolist() == pytest.approx([100.0, 40.0])


def test_optimal_price_within_bounds() -> None:
    # p* = 100 above the upper bound 88 -> 88; e = -10, c = 50: p* = 500/9 = 55.56 below lower 60 -> 60.
    assert float(optimal_price(-2.0, 50.0, upper=88.0)) == pytest.approx(88.0)
    assert float(optimal_price(-10.0, 50.0, lower=60.0)) == pytest.approx(60.0)
    assert float(optimal_price(-10.0, 50.0)) == pytest.approx(500 / 9)


def test_inelastic_demand_goes_to_the_upper_bound_and_says_so_without_one() -> None:
    assert float(optimal_price(-0.8, 50.0, upper=120.0)) == 120.0
    assert float(optimal_price(-1.0, 50.0, upper=120.0)) == 120.0
    with pytest.raises(PricingError, match="inelastic.*upper"):
        optimal_price(-0.8, 50.0)


def test_optimal_price_unknown_cost_is_nan_and_negative_cost_is_an_error() -> None:
    assert math.isnan(float(optimal_price(-2.0, np.nan)))
    with pytest.raises(PricingError, match="unit_cost"):
        optimal_price(-2.0, -1.0)


def _profit(p: float, c: float, e: float) -> float:
    return (p - c) * p ** e


@settings(max_examples=200, deadline=None)
@given(e=st.floats(-8.0, -1.05), c=st.floats(0.01, 1e4))
def test_the_optimum_satisfies_the_first_order_condition(e: float, c: float) -> None:
    p = float(optimal_price(e, c))
    # d/dp (p - c) p^e = p^(e-1) ((1 + e) p - e c) = 0 at the optimum; compare with the scale p^e
    foc = p ** (e - 1) * ((1 + e) * p - e * c)
    assert abs(foc) <= 1e-9 * p ** e
    assert (p - c) / p == pytest.approx(-1 / e, rel=1e-9)
    for step in (0.99, 1.01):
        assert _profit(p, c, e) >= _profit(p * step, c, e)


@settings(max_examples=100, deadline=None)
@given(e=st.floats(-6.0, -0.2), c=st.floats(1.0, 100.0), lo=st.floats(0.5, 1.0), width=st.floats(0.0, 2.0))
def test_the_bounded_optimum_beats_every_price_in_the_bounds(e: float, c: float, lo: float, width: float) -> None:
    lower, upper = c * (1 + lo), c * (1 + lo + width)
    p = float(optimal_price(e, c, lower, upper))
    assert lower - 1e-9 <= p <= upper + 1e-9
    grid = np.linspace(lower, upper, 201)
    assert _profit(p, c, e) >= _profit(grid, c, e).max() * (1 - 1e-12)


@settings(max_examples=50, deadline=None)
@given(e=st.floats(-6.0, -1.1), c=st.floats(1.0, 100.0), k=st.sampled_from([1e-3, 0.5, 7.0, 1e3]),
       m=st.sampled_from([1e-3, 2.0, 1e3]))
def test_decisions_are_scale_free(e: float, c: float, k: float, m: float) -> None:
    # Prices and costs times k: the optimal price times k. Units times m: units, revenue, profit times m.
    assert float(optimal_price(e, k * c)) == pytest.approx(k * float(optimal_price(e, c)), rel=1e-12)
    base = profit_curve(e, c, 2 * c, 100.0)
    other = profit_curve(e, k * c, 2 * k * c, 100.0 * m)
    assert other["price"].to_numpy() == pytest.approx(k * base["price"].to_numpy(), rel=1e-9)
    assert other["profit"].to_numpy() == pytest.approx(k * m * base["profit"].to_numpy(), rel=1e-9)
    assert other["units"].to_numpy() == pytest.approx(m * base["units"].to_numpy(), rel=1e-9)
    w0 = price_war(e, 0.6, 2 * c, c, 100.0, 0.1).summary()
    w1 = price_war(e, 0.6, 2 * k * c, k * c, 100.0 * m, 0.1).summary()
    assert w1["our_cut"].to_numpy() == pytest.approx(w0["our_cut"].to_numpy(), abs=1e-9)
    assert w1["profit"].to_numpy() == pytest.approx(k * m * w0["profit"].to_numpy(), rel=1e-9)


# ----------------------------------------------------------------------------- curves and category moves


def test_profit_curve_marks_today_and_the_optimum() -> None:
    # e = -2, c = 60, today 100 x 1,000: the optimum 120 lies at the grid's top (upper = 1.2);
    # profit there (120 - 60) * 1000 * 1.2^-2 = 41,666.7 vs 40,000 today.
    cur = profit_curve(-2.0, 60.0, 100.0, 1000.0, lower=0.8, upper=1.2, n=9)
    assert cur.loc[cur["is_today"], "profit"].item() == pytest.approx(40_000.0)
    assert cur.loc[cur["is_optimum"], "price"].item() == pytest.approx(120.0)
    assert cur.loc[cur["is_optimum"], "profit"].item() == pytest.approx(60_000 / 1.44)
    assert cur["profit"].idxmax() == cur.index[cur["is_optimum"]][0]


def test_price_decisions_per_category_by_hand() -> None:
    # 美妆: C/R = 0.3, e = -2: k* = 0.3 * 2 = 0.6 -> a 40% cut, bounded at -30% (k = 0.7).
    #   profit now 1000 * 0.7 = 700; at k = 0.7: 0.7^-2 * (700 - 300) = 816.3; units 0.7^-2 - 1 = +104%.
    # 家居: C/R = 0.5, e = -2.5: k* = 0.5 * 2.5 / 1.5 = 0.8333 (free, inside the bounds): margin 1 - 0.5/0.8333 = 0.4 = 1/2.5.
    # 食品: e = -0.8 -> inelastic, upper bound +15%. 数码: e = +0.1 -> no response, no move. 生鲜: no cost.
    el = pd.DataFrame({"category": ["美妆", "家居", "食品", "数码", "生鲜"], "elasticity": [-2.0, -2.5, -0.8, 0.1, -2.0],
                       "low": [-2.5, -3.0, -1.2, -0.3, -2.5], "high": [-1.5, -2.0, -0.4, 0.5, -1.5]})
    pr = pd.DataFrame({"category": ["美妆", "家居", "食品", "数码", "生鲜"], "revenue": 1000.0,
                       "cogs": [300.0, 500.0, 700.0, 800.0, np.nan], "list_value": 1250.0,
                       "cost_ratio": [0.3, 0.5, 0.7, 0.8, np.nan]})
    t = price_decisions(el, pr, max_increase=0.15, max_decrease=0.30).summary().set_index("category")
    assert t.loc["美妆", "price_change"] == pytest.approx(-0.30)
    assert t.loc["美妆", "price_change_free"] == pytest.approx(-0.40)
    assert t.loc["美妆", "bound"] == "lower"
    assert t.loc["美妆", "profit_target"] == pytest.approx(400 / 0.49)
    assert t.loc["美妆", "units_change"] == pytest.approx(1 / 0.49 - 1)
    assert t.loc["家居", "price_change"] == pytest.approx(0.5 * 2.5 / 1.5 - 1)
    assert t.loc["家居", "bound"] == ""
    assert t.loc["家居", "margin_target"] == pytest.approx(0.4)
    # discount off list at k*: 1 - 0.8333 * 1000 / 1250 = 1/3
    assert t.loc["家居", "discount_target"] == pytest.approx(1 - (1.25 / 1.5) * 0.8)
    assert t.loc["食品", "regime"] == "inelastic" and t.loc["食品", "price_change"] == pytest.approx(0.15)
    assert "inelastic" in t.loc["食品", "decision"]
    assert t.loc["数码", "regime"] == "no response" and math.isnan(t.loc["数码", "price_change"])
    assert "no unit cost" in t.loc["生鲜", "decision"]
    # at the interval ends of 家居's elasticity: -3 -> k = 0.5 * 1.5 = 0.75; -2 -> k = 1.0
    assert t.loc["家居", "price_change_at_low"] == pytest.approx(-0.25)
    assert t.loc["家居", "price_change_at_high"] == pytest.approx(0.0)


def test_price_decisions_rejects_bad_bounds_and_missing_columns() -> None:
    el = pd.DataFrame({"category": ["美妆"], "elasticity": [-2.0]})
    with pytest.raises(PricingError, match="bounds"):
        price_decisions(el, pd.DataFrame(), max_decrease=1.2)
    with pytest.raises(PricingError, match="cost_ratio"):
        price_decisions(el, pd.DataFrame({"category": ["美妆"], "revenue": [1.0], "cogs": [1.0], "list_value": [1.0]}))


# ----------------------------------------------------------------------------- price war, by hand


def test_price_war_when_today_is_above_the_optimum() -> None:
    # e = -2, x = 0.5, price 150, cost 60, 1,000 units, competitor -10%.
    # hold: volume 0.9^0.5 = 0.948683 (-5.13%), profit 90,000 * 0.948683 = 85,381.5 (-5.13%).
    # restore: (1 - r)^-2 = 0.9^-0.5 -> r = 1 - 0.9^0.25 = 0.025996.
    # best: p* = 60 * 2 = 120, a 20% cut; break-even: (150u - 60) / u^2 = 90 -> 3u^2 - 5u + 2 = 0, u = 2/3.
    w = price_war(-2.0, 0.5, 150.0, 60.0, 1000.0, 0.10).summary().set_index("scenario")
    assert w.loc["hold", "units_change"] == pytest.approx(0.9 ** 0.5 - 1)
    assert w.loc["hold", "profit"] == pytest.approx(90_000 * 0.9 ** 0.5)
    assert w.loc["restore volume", "our_cut"] == pytest.approx(1 - 0.9 ** 0.25)
    assert w.loc["restore volume", "units_change"] == pytest.approx(0.0, abs=1e-12)
    assert w.loc["best", "our_cut"] == pytest.approx(0.2)
    assert w.loc["break-even", "our_cut"] == pytest.approx(1 / 3, abs=1e-9)
    assert w.loc["break-even", "profit"] == pytest.approx(w.loc["hold", "profit"])
    # matching (-10%): 0.9^-2 * 0.9^0.5 = 0.9^-1.5 of the volume at margin 135 - 60 = 75
    assert w.loc["match", "profit"] == pytest.approx(75 * 1000 * 0.9 ** -1.5)


def test_price_war_when_today_is_at_or_below_the_optimum() -> None:
    # price 100, cost 60, e = -2: p* = 120 > 100, so any cut earns less than holding: best = break-even = 0.
    war = price_war(-2.0, 0.5, 100.0, 60.0, 1000.0, 0.2)
    w = war.summary().set_index("scenario")
    assert w.loc["best", "our_cut"] == 0.0 and w.loc["break-even", "our_cut"] == 0.0
    assert w.loc["match", "profit"] < w.loc["hold", "profit"]
    assert "any cut earns less" in war.message
    # no cross effect: the competitor's cut changes nothing
    calm = price_war(-2.0, 0.0, 100.0, 60.0, 1000.0, 0.2).summary().set_index("scenario")
    assert calm.loc["hold", "profit_change"] == 0.0


def test_price_war_rejects_bad_inputs() -> None:
    with pytest.raises(PricingError, match="competitor_cut"):
        price_war(-2.0, 0.5, 100.0, 60.0, 1000.0, 1.5)
    with pytest.raises(PricingError, match="negative"):
        price_war(0.3, 0.5, 100.0, 60.0, 1000.0, 0.1)


# ----------------------------------------------------------------------------- planted truth


def _small_panel(shop_dir) -> pd.DataFrame:  # noqa: ANN001 (Path)
    return weekly_price_panel(shop_dir / "orders.parquet", shop_dir / "products.parquet")


def test_optimal_list_discount_from_planted_elasticity_and_margin(small_shop_dir, small_truth) -> None:
    # With the planted elasticity and the shop's costs, the free optimum per category sits at
    # k* R / L = (C / L) e / (1 + e) of list price, and C / L ~ 1 - margin (truth: realised mean of
    # 1 - unit_cost / list_price). 家居: 0.55 * 2.5 / 1.5 = 0.917 (8% off list); 服饰: 0.48 * 2.2 / 1.2 =
    # 0.88; 美妆: 0.38 * 1.8 / 0.8 = 0.855. 食品 (-1.0) and 生鲜 (-0.8) are inelastic: the upper bound.
    cats = small_truth["categories"]
    el = pd.DataFrame({"category": list(cats), "elasticity": [v["elasticity"] for v in cats.values()]})
    prices = current_prices(_small_panel(small_shop_dir), last_weeks=200)
    t = price_decisions(el, prices, max_increase=10.0, max_decrease=0.9).summary().set_index("category")
    for cat, v in cats.items():
        e, m = v["elasticity"], v["margin"]
        if e < -1:
            expected_list_index = (1 - m) * e / (1 + e)
            assert 1 - t.loc[cat, "discount_target"] == pytest.approx(expected_list_index, rel=0.05), cat
            assert t.loc[cat, "margin_target"] == pytest.approx(-1 / e)
        else:
            assert t.loc[cat, "regime"] == "inelastic" and t.loc[cat, "bound"] == "upper", cat


@pytest.mark.slow
def test_estimated_elasticities_point_the_planted_way(big_shop, big_panel, big_elasticity) -> None:
    # Planted optimum vs today's price (about 0.95 of list): 家居 0.917, 服饰 0.88, 美妆 0.855 of list ->
    # cut; 数码 (0.82 * 3 = 2.46), 家电 (0.75 * 6 = 4.5), 母婴 (0.65 * 11 = 7.2) far above list, and the
    # inelastic 食品 / 生鲜 -> raise to the upper bound.
    prices = current_prices(big_panel, last_weeks=52)
    t = price_decisions(big_elasticity, prices).summary().set_index("category")
    for cat in ("家居", "服饰", "美妆"):
        assert t.loc[cat, "price_change"] < 0, cat
    for cat in ("数码", "家电", "母婴", "食品", "生鲜"):
        assert t.loc[cat, "bound"] == "upper", cat


def test_superstore_decisions_use_its_derived_costs(superstore_panel) -> None:
    # Superstore's unit costs come from Profit (cost coverage 100%); its quantities do not respond to
    # the discount, so no category is elastic and no price cut is recommended.
    from opslib.pricing import estimate_elasticity

    panel = superstore_panel
    prices = current_prices(panel, last_weeks=52)
    assert prices["cost_coverage"].tolist() == pytest.approx([1.0] * len(prices))
    est = estimate_elasticity(panel, price="paid", min_lines=0, min_weeks=3)
    t = price_decisions(est, prices).summary()
    assert set(t["regime"]) <= {"inelastic", "no response"}
    assert not (t["price_change"] < 0).any()


def test_decision_and_war_charts_draw() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    el = pd.DataFrame({"category": ["家居"], "elasticity": [-2.5]})
    pr = pd.DataFrame({"category": ["家居"], "revenue": [1000.0], "cogs": [500.0], "list_value": [1250.0],
                       "cost_ratio": [0.5]})
    ax = price_decisions(el, pr).plot("家居")
    assert len(ax.lines) == 1 and ax.get_xlabel().startswith("价格指数")
    ax = price_war(-2.0, 0.5, 150.0, 60.0, 1000.0, 0.10).plot()
    assert len(ax.lines) == 2  # the profit curve and the pre-war profit line
    with pytest.raises(KeyError):
        price_decisions(el, pr).plot("食品")
    plt.close("all")
