"""Weekly price panel and price elasticity: hand-computed cases, invariants, planted truth, real data.

Expected values come from arithmetic in the comments, from the sample shop's truth.json, or from
effects planted into real data — never from running the code.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opslib.pricing import PricingError, estimate_elasticity, pool_elasticities, weekly_price_panel

MON = pd.Timestamp("2024-06-03")  # a Monday


def _orders(rows: list[tuple]) -> pd.DataFrame:
    """Order lines from (sku, day offset from MON, quantity, unit_price[, list_price, campaign_id, status])."""
    out = []
    for i, r in enumerate(rows):
        sku, day, q, price = r[:4]
        lst = r[4] if len(r) > 4 else price
        camp = r[5] if len(r) > 5 else None
        status = r[6] if len(r) > 6 else "completed"
        out.append({"order_id": f"o{i}", "order_ts": MON + pd.Timedelta(days=day, hours=10), "customer_id": "c",
                    "sku": sku, "quantity": q, "unit_price": float(price), "list_price": float(lst),
                    "channel": "app", "region": "华东", "status": status, "campaign_id": camp})
    return pd.DataFrame(out)


PRODUCTS = pd.DataFrame({"sku": ["a", "b"], "name": ["A", "B"], "category": "美妆", "subcategory": "护肤",
                         "brand": "x", "unit_cost": [4.0, 2.0], "launch_date": pd.NaT})


# ----------------------------------------------------------------------------- the panel, by hand


def test_panel_price_path_fills_days_without_a_sale_from_the_nearest_sale() -> None:
    # a sells on Mon at 10 and Thu at 8; b's Sunday sale makes the data run to Sunday.
    # Days: Mon 10 (gap 0), Tue 10 (Mon is 1 day away, Thu 2), Wed 8 (Mon 2, Thu 1), Thu 8, Fri 8 (1),
    # Sat 8 (2), Sun 8 (3): index = 10^(2/7) * 8^(5/7); mean gap (0+1+1+0+1+2+3)/7 = 8/7.
    # Paid price: (1*10 + 3*8) / 4 = 8.5 (units-weighted).
    p = weekly_price_panel(_orders([("a", 0, 1, 10), ("a", 3, 3, 8), ("b", 6, 1, 5)]), PRODUCTS)
    a = p[p["sku"] == "a"].iloc[0]
    assert a["price_index"] == pytest.approx(10 ** (2 / 7) * 8 ** (5 / 7), rel=1e-12)
    assert a["price_gap_days"] == pytest.approx(8 / 7)
    assert a["price"] == pytest.approx(8.5)
    assert a["days_on_sale"] == 7 and a["units"] == 4 and a["lines"] == 2


def test_panel_day_price_is_the_median_of_the_lines_not_of_the_units() -> None:
    # Monday: four lines at 12, 8, 10, 8 (quantities 1, 5, 1, 1): sorted 8, 8, 10, 12, the 2nd and 3rd
    # averaged = 9 (the units would give 8). Tuesday: three lines 5, 9, 7 (quantity 9 on the 5): median 7.
    # Wednesday: one line at 6. b's Wednesday sale ends the data there, so a's week has 3 days on sale, each
    # with a sale (gap 0): index = (9 * 7 * 6)^(1/3).
    p = weekly_price_panel(_orders([("a", 0, 1, 12), ("a", 0, 5, 8), ("a", 0, 1, 10), ("a", 0, 1, 8),
                                    ("a", 1, 9, 5), ("a", 1, 1, 9), ("a", 1, 1, 7), ("a", 2, 1, 6),
                                    ("b", 2, 1, 5)]), PRODUCTS)
    a = p[p["sku"] == "a"].iloc[0]
    assert a["days_on_sale"] == 3 and a["lines"] == 8
    assert a["price_index"] == pytest.approx((9 * 7 * 6) ** (1 / 3), rel=1e-12)
    assert a["price_gap_days"] == 0


def test_panel_stockout_days_are_left_out_of_units_and_exposure() -> None:
    # Mon: 2 units, stock 5 left; Tue: 1 unit and the shelf is empty (censored day); Wed, Thu empty;
    # Fri-Sun restocked. In stock: Mon, Fri, Sat, Sun = 4 days; units on them = 2 (Tue's unit is censored).
    inv = pd.DataFrame({"date": pd.date_range(MON, periods=7), "sku": "a", "on_hand": [5, 0, 0, 0, 3, 3, 3],
                        "inbound": 0})
    p = weekly_price_panel(_orders([("a", 0, 2, 10), ("a", 1, 1, 10), ("b", 6, 1, 5)]), PRODUCTS, inventory=inv)
    a = p[p["sku"] == "a"].iloc[0]
    assert (a["in_stock_days"], a["stockout_days"], a["units"], a["units_in_stock"]) == (4, 3, 3.0, 2.0)
    # the in-stock days' prices: Mon 10 (its sale), Fri/Sat/Sun from Tue's sale (3, 4, 5 days away): 10.
    assert a["price_index"] == pytest.approx(10.0)
    assert a["price_gap_days"] == pytest.approx((0 + 3 + 4 + 5) / 4)


def test_panel_campaign_days_from_the_campaigns_scope_and_the_dip_after() -> None:
    # C1: flash sale on a, Tue-Wed; after it (post_days=3) Thu, Fri, Sat. C2: festival for all, Sunday.
    camps = pd.DataFrame({"campaign_id": ["C1", "C2"], "name": ["f", "g"], "kind": ["flash_sale", "festival"],
                          "start": [MON + pd.Timedelta(days=1), MON + pd.Timedelta(days=6)],
                          "end": [MON + pd.Timedelta(days=2), MON + pd.Timedelta(days=6)],
                          "discount_depth": 0.2, "scope_type": ["sku", "all"], "scope": ["a", None],
                          "marketing_spend": 0.0})
    o = _orders([("a", 0, 1, 10), ("a", 1, 2, 8, 10, "C1"), ("b", 6, 1, 5)])
    p = weekly_price_panel(o, PRODUCTS, campaigns=camps, post_days=3).set_index("sku")
    assert p.loc["a", ["campaign_days", "festival_campaign_days", "post_campaign_days"]].tolist() == [3, 1, 3]
    assert p.loc["b", ["campaign_days", "festival_campaign_days", "post_campaign_days"]].tolist() == [1, 1, 0]
    # a's campaign units: the 2 units on the C1 line of 3; depth 1 - (10 + 16) / 30 = 4/30
    assert p.loc["a", "campaign_units_share"] == pytest.approx(2 / 3)
    assert p.loc["a", "discount_depth"] == pytest.approx(4 / 30)


def test_panel_without_campaigns_counts_days_with_campaign_lines() -> None:
    o = _orders([("a", 0, 1, 10), ("a", 1, 2, 8, 10, "C1"), ("a", 2, 1, 8, 10, "C1"), ("b", 6, 1, 5)])
    p = weekly_price_panel(o, PRODUCTS).set_index("sku")
    assert p.loc["a", "campaign_days"] == 2 and p.loc["a", "post_campaign_days"] == 0


def test_panel_names_the_missing_column() -> None:
    with pytest.raises(PricingError, match="unit_price"):
        weekly_price_panel(_orders([("a", 0, 1, 10)]).drop(columns="unit_price"), PRODUCTS)
    with pytest.raises(PricingError, match="no non-cancelled lines"):
        weekly_price_panel(_orders([("a", 0, 1, 10, 10, None, "cancelled")]), PRODUCTS)


def test_panel_totals_match_the_sample_shop_truth(small_shop_dir, small_truth) -> None:
    d = small_shop_dir
    p = weekly_price_panel(d / "orders.parquet", d / "products.parquet", d / "inventory.parquet",
                           d / "campaigns.parquet")
    # truth: totals.units = non-cancelled units, totals.gmv = their quantity * unit_price (rounded to 0.01)
    assert p["units"].sum() == small_truth["totals"]["units"]
    assert p["revenue"].sum() == pytest.approx(small_truth["totals"]["gmv"], abs=0.01)
    # every line carrying a campaign_id is a scoped SKU in the window: realised_units summed over campaigns
    assert p["campaign_units"].sum() == sum(c["realised_units"] for c in small_truth["campaigns"].values())
    # stock-out days inside the SKUs' selling spans cannot exceed the inventory rows with on_hand == 0
    assert 0 < p["stockout_days"].sum() <= small_truth["stockouts"]["stockout_sku_days"]
    assert p.groupby(["sku", "week"]).size().max() == 1


# ----------------------------------------------------------------------------- the estimator, by hand


def _two_sku_panel(e: float, g: list[float]) -> pd.DataFrame:
    """Two SKUs, len(g) weeks, units exactly A_s * g_t * (p / 5)^e (no noise)."""
    n = len(g)
    weeks = pd.date_range(MON, periods=n, freq="7D")
    pa = np.array([5, 4, 5, 4.5, 5, 4, 5, 4.5][:n])
    pb = np.array([10, 10, 8, 10, 9, 10, 8, 10][:n])
    rows = []
    for sku, a, prices in (("a", 50.0, pa), ("b", 20.0, pb)):
        units = a * np.array(g) * (prices / prices.max()) ** e
        rows.append(pd.DataFrame({"week": weeks, "sku": sku, "category": "食品", "subcategory": sku,
                                  "lines": 10, "price_index": prices, "price": prices, "units": units}))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("method", ["ppml", "ols"])
def test_two_sku_panel_with_known_elasticity_gives_it_back(method: str) -> None:
    # units = A_s * g_t * p^-1.5: with SKU and week effects absorbed the slope is exactly -1.5.
    panel = _two_sku_panel(-1.5, [1.0, 1.2, 0.9, 1.1, 1.0, 0.8, 1.3, 1.0])
    res = estimate_elasticity(panel, method=method, cross_price=False, min_weeks=3)
    row = res.summary().iloc[0]
    assert row["elasticity"] == pytest.approx(-1.5, abs=1e-8)
    assert (row["n_skus"], row["n_obs"]) == (2, 16)
    assert row["low"] <= row["elasticity"] <= row["high"]


def test_cross_price_effect_within_a_subcategory_is_recovered() -> None:
    # Two SKUs of one subcategory: each one's sibling index is the other's log(p / median).
    # a: prices 10 9 10 8 10 9 10 (median 10), b: 20 20 16 20 18 20 17 (median 20);
    # units_a = 100 (p_a/10)^-2 (p_b/20)^0.5, units_b = 60 (p_b/20)^-2 (p_a/10)^0.5.
    weeks = pd.date_range(MON, periods=7, freq="7D")
    pa = np.array([10, 9, 10, 8, 10, 9, 10.0])
    pb = np.array([20, 20, 16, 20, 18, 20, 17.0])
    ua = 100 * (pa / 10) ** -2 * (pb / 20) ** 0.5
    ub = 60 * (pb / 20) ** -2 * (pa / 10) ** 0.5
    panel = pd.DataFrame({"week": np.r_[weeks, weeks], "sku": ["a"] * 7 + ["b"] * 7, "category": "家居",
                          "subcategory": "床品", "lines": 10, "price_index": np.r_[pa, pb], "units": np.r_[ua, ub]})
    row = estimate_elasticity(panel, time_effects="none", min_weeks=3).summary().iloc[0]
    assert row["elasticity"] == pytest.approx(-2.0, abs=1e-8)
    assert row["cross_elasticity"] == pytest.approx(0.5, abs=1e-8)
    assert bool(row["cross_identified"])


def test_cross_price_effect_is_flagged_when_no_sibling_price_moves() -> None:
    # Each SKU alone in its subcategory: there is no sibling price to learn from.
    panel = _two_sku_panel(-1.5, [1.0, 1.2, 0.9, 1.1, 1.0, 0.8, 1.3, 1.0])
    res = estimate_elasticity(panel, min_weeks=3)
    row = res.estimates.iloc[0]
    assert not bool(row["cross_identified"])
    assert row["cross_note"].startswith("not identifiable")


def test_weeks_without_a_sale_stay_in_ppml_and_leave_ols() -> None:
    panel = _two_sku_panel(-1.5, [1.0, 1.2, 0.9, 1.1, 1.0, 0.8, 1.3, 1.0])
    panel.loc[[2, 5], "units"] = 0.0  # two weeks of a without a sale (their price is on the path)
    ppml = estimate_elasticity(panel, cross_price=False, min_weeks=3, pool=False).estimates.iloc[0]
    ols = estimate_elasticity(panel, method="ols", cross_price=False, min_weeks=3, pool=False).estimates.iloc[0]
    assert (ppml["n_obs"], ppml["zero_weeks"]) == (16, 2)
    assert (ols["n_obs"], ols["zero_weeks"]) == (14, 0)
    assert math.isfinite(ppml["elasticity"]) and math.isfinite(ols["elasticity"])


def test_campaign_weeks_are_dropped_by_default_and_controlled_on_request() -> None:
    panel = _two_sku_panel(-1.5, [1.0, 1.2, 0.9, 1.1, 1.0, 0.8, 1.3, 1.0])
    panel["days_on_sale"] = 7
    panel["campaign_days"] = 0
    panel.loc[[1, 11], "campaign_days"] = 3  # a in week 2, b in week 4
    panel.loc[[1, 11], "units"] *= 1.5  # campaign traffic beyond the price: not a price effect
    dropped = estimate_elasticity(panel, cross_price=False, min_weeks=3).summary().iloc[0]
    assert dropped["n_obs"] == 14 and dropped["elasticity"] == pytest.approx(-1.5, abs=1e-8)
    controlled = estimate_elasticity(panel, cross_price=False, min_weeks=3, campaign_weeks="control")
    coefs = controlled.coefficients.set_index("term")["coef"]
    # both campaign weeks have 3/7 of their days on campaign and units x 1.5: coefficient log(1.5) / (3/7)
    assert coefs["log_price"] == pytest.approx(-1.5, abs=1e-8)
    assert coefs["campaign"] == pytest.approx(math.log(1.5) / (3 / 7), abs=1e-8)


def test_a_group_with_one_usable_sku_gets_no_estimate_and_the_others_still_do() -> None:
    # 食品 has two SKUs (exactly -1.5); 家居 has one: SEs are clustered by SKU, and one cluster has no
    # variance to estimate (statsmodels divided by n_clusters - 1 = 0 before), so 家居 is NaN with a note.
    panel = _two_sku_panel(-1.5, [1.0, 1.2, 0.9, 1.1, 1.0, 0.8, 1.3, 1.0])
    single = panel[panel["sku"] == "a"].assign(category="家居", sku="c")
    res = estimate_elasticity(pd.concat([panel, single]), cross_price=False, min_weeks=3).summary().set_index("category")
    assert res.loc["食品", "elasticity"] == pytest.approx(-1.5, abs=1e-8)
    assert math.isnan(res.loc["家居", "elasticity"]) and res.loc["家居", "n_skus"] == 1
    assert "only 1 SKU" in res.loc["家居", "note"]


def test_bad_requests_say_what_is_wrong() -> None:
    panel = _two_sku_panel(-1.5, [1.0] * 8)
    with pytest.raises(PricingError, match="price_index"):
        estimate_elasticity(panel.drop(columns="price_index"))
    with pytest.raises(PricingError, match="time_effects"):
        estimate_elasticity(panel, time_effects="month")
    with pytest.raises(PricingError, match="lines per week"):
        estimate_elasticity(panel.assign(lines=1))


def test_pooling_takes_the_group_value_for_skus_without_an_estimate() -> None:
    # w = 1/0.25 = 4 for the two SKUs: ē = -2, Q = 4 + 4 = 8, tau^2 = (8 - 1) / (8 - 4) = 1.75,
    # B = 0.25 / 2 = 0.125 -> -2 +- 0.875; the SKU without an estimate gets -2 with B = 1.
    out = pool_elasticities([-1.0, -3.0, np.nan], [0.5, 0.5, np.nan], center=-2.0, center_se=0.1)
    assert out["elasticity"].tolist() == pytest.approx([-1.125, -2.875, -2.0])
    assert out["shrinkage"].tolist() == pytest.approx([0.125, 0.125, 1.0])
    # sd of the third: B^2 * 0.1^2 = 0.01 -> 0.1
    assert out["high"].iloc[2] - out["elasticity"].iloc[2] == pytest.approx(1.959963984540054 * 0.1)


# ----------------------------------------------------------------------------- invariants


def _random_panel(seed: int, n_sku: int, n_weeks: int, e: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weeks = pd.date_range(MON, periods=n_weeks, freq="7D")
    g = np.exp(0.2 * rng.standard_normal(n_weeks))
    rows = []
    for s in range(n_sku):
        p = 10.0 * (1 + s) * (1 - np.where(rng.random(n_weeks) < 0.4, rng.uniform(0.03, 0.2, n_weeks), 0))
        mu = 20 * np.exp(rng.normal()) * g * (p / p.max()) ** e
        rows.append(pd.DataFrame({"week": weeks, "sku": f"s{s}", "category": "c", "subcategory": f"g{s % 2}",
                                  "lines": 5, "price_index": p, "units": rng.poisson(mu).astype(float)}))
    return pd.concat(rows, ignore_index=True)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), k=st.sampled_from([1e-3, 0.37, 7.0, 1e3]), m=st.sampled_from([1e-3, 3.0, 1e3]),
       method=st.sampled_from(["ppml", "ols"]))
def test_estimates_are_scale_free_in_prices_and_units(seed: int, k: float, m: float, method: str) -> None:
    panel = _random_panel(seed, n_sku=4, n_weeks=20, e=-1.8)
    base = estimate_elasticity(panel, method=method, min_weeks=5).estimates.iloc[0]
    scaled = panel.assign(price_index=panel["price_index"] * k, units=panel["units"] * m)
    other = estimate_elasticity(scaled, method=method, min_weeks=5).estimates.iloc[0]
    for col in ("elasticity", "se", "cross_elasticity", "cross_se"):
        assert other[col] == pytest.approx(base[col], rel=1e-6, abs=1e-9)


# ----------------------------------------------------------------------------- planted truth


@pytest.mark.slow
def test_every_planted_category_elasticity_is_recovered_within_20_percent(big_shop, big_elasticity) -> None:
    _, truth = big_shop
    est = big_elasticity.summary().set_index("category")
    planted = {c: v["elasticity"] for c, v in truth["categories"].items()}
    assert set(est.index) == set(planted)
    for cat, e in planted.items():
        assert est.loc[cat, "elasticity"] == pytest.approx(e, rel=0.20), cat
        assert est.loc[cat, "low"] < est.loc[cat, "elasticity"] < est.loc[cat, "high"]


@pytest.mark.slow
def test_pooled_sku_elasticities_are_closer_to_the_planted_value_than_raw_ones(big_shop, big_elasticity) -> None:
    # Every SKU of a category has the category's planted elasticity, so shrinking toward the category
    # estimate must lower the squared error of the SKU estimates.
    _, truth = big_shop
    skus = big_elasticity.skus.dropna(subset=["elasticity_raw"])
    planted = skus["category"].map({c: v["elasticity"] for c, v in truth["categories"].items()})
    raw = float(((skus["elasticity_raw"] - planted) ** 2).mean())
    pooled = float(((skus["elasticity"] - planted) ** 2).mean())
    assert len(skus) > 100
    assert pooled < 0.5 * raw


# ----------------------------------------------------------------------------- real data


def test_superstore_is_too_thin_for_the_default_rule_and_says_what_to_do(superstore_panel) -> None:
    # 9,994 lines over 4 years and 1,862 products: no product sells 3 lines a week.
    with pytest.raises(PricingError, match="price='paid', min_lines=0"):
        estimate_elasticity(superstore_panel)


def test_superstore_shows_no_price_response_and_recovers_a_planted_one(superstore, superstore_panel) -> None:
    # Superstore is made-up demo data: Quantity does not move with Discount (mean quantity 3.81 at 0%
    # off and 3.74 at 20% off, read from the file), so the elasticity is about 0. Multiplying each
    # line's quantity by (unit_price / SKU median)^-1.5 plants an elasticity of -1.5 on top.
    orders, products = superstore.tables["orders"], superstore.tables["products"]
    opts = {"by": None, "price": "paid", "min_lines": 0, "min_weeks": 3}
    base = estimate_elasticity(superstore_panel, **opts).estimates.iloc[0]
    assert -0.3 < base["elasticity"] < 0.3
    ref = orders.groupby("sku")["unit_price"].transform("median")
    planted = orders.assign(quantity=orders["quantity"] * (orders["unit_price"] / ref) ** -1.5)
    shifted = estimate_elasticity(weekly_price_panel(planted, products, country="US"), **opts).estimates.iloc[0]
    assert shifted["elasticity"] - base["elasticity"] == pytest.approx(-1.5, rel=0.10)


def test_online_retail_elasticities_are_negative_and_plausible(online_retail) -> None:
    # Prices of the same product vary over the year and by quantity tier; the price path uses each day's
    # median line price. Plausible: retail price elasticities mostly lie between -1 and -4 (meta-analysis
    # of 1,851 estimates, mean -2.62: Bijmolt, van Heerde & Pieters 2005, J. Marketing Research 42(2)).
    panel = weekly_price_panel(online_retail.tables["orders"], online_retail.tables["products"], country="GB")
    shop = estimate_elasticity(panel, by=None).estimates.iloc[0]
    assert -4.0 < shop["low"] <= shop["high"] < -0.5
    cats = estimate_elasticity(panel).summary().dropna(subset=["elasticity"])
    assert len(cats) >= 8
    assert cats["elasticity"].between(-4.0, 0.0, inclusive="neither").all(), cats[["category", "elasticity"]]


def test_forest_plot_draws_each_group_with_its_interval_and_the_planted_value() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panel = _two_sku_panel(-1.5, [1.0, 1.2, 0.9, 1.1, 1.0, 0.8, 1.3, 1.0])
    res = estimate_elasticity(pd.concat([panel, panel.assign(category="家居", sku=panel["sku"] + "2")]),
                              cross_price=False, min_weeks=3)
    ax = res.plot(truth={"食品": -1.5, "家居": -1.5})
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == sorted(["家居", "食品"])
    assert res.elasticity("食品") == pytest.approx(-1.5, abs=1e-8)
    with pytest.raises(KeyError, match="食品"):
        res.elasticity("玩具")
    plt.close("all")
