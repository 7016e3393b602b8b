"""Product structure: price bands, their mix shift, SKU roles, new products and the long tail.

Expected values come from arithmetic in the comments, invariants, or what the data do not have (real data).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslib.pricing import (
    ROLES,
    band_edges,
    band_groups,
    long_tail,
    new_product_share,
    price_band_mix,
    role_summary,
    sku_roles,
)


def _skus(prices: list[float], units: list[float], margin: list[float], cat: str = "美妆") -> pd.DataFrame:
    p, u = np.array(prices, float), np.array(units, float)
    gmv = p * u
    gm = gmv * np.array(margin, float)
    return pd.DataFrame({"sku": [f"{cat}{i}" for i in range(len(p))], "category": cat, "avg_price": p, "units": u,
                         "gmv": gmv, "net_sales": gmv, "gross_margin": gm, "margin_rate": np.array(margin, float)})


def test_bands_are_per_category_quartiles_over_both_periods() -> None:
    # 美妆 prices 10..80 over the two periods (SKU d only in the baseline): quartiles of 10, 20, 40, 80 are
    # 10, 17.5, 30, 50, 80; 食品 has two prices (5, 9): quartiles 5, 6, 7, 8, 9.
    now = pd.concat([_skus([10, 20, 40], [1, 1, 1], [0.5] * 3), _skus([5, 9], [1, 1], [0.2] * 2, "食品")])
    before = _skus([10, 20, 40, 80], [1, 1, 1, 1], [0.5] * 4)
    e = band_edges(now, before).set_index(["category", "band"])
    assert e.loc["美妆", "low"].tolist() == [10, 17.5, 30, 50] and e.loc["美妆", "high"].tolist() == [17.5, 30, 50, 80]
    assert e.loc["食品", "low"].tolist() == [5, 6, 7, 8]


def test_mix_shift_by_hand() -> None:
    # one category, bands [10, 30) and [30, 50]: GMV 20 + 200 now (shares 1/11, 10/11), 80 + 100 before (4/9, 5/9)
    now = _skus([10, 50], [2, 4], [0.25, 0.4])
    before = _skus([10, 50], [8, 2], [0.25, 0.4])
    m = price_band_mix(now, before, bands=2)
    assert m["share"].tolist() == pytest.approx([1 / 11, 10 / 11])
    assert m["shift"].tolist() == pytest.approx([1 / 11 - 4 / 9, 10 / 11 - 5 / 9])
    assert m["margin_rate"].tolist() == pytest.approx([0.25, 0.4])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.sampled_from([1e-3, 3.0, 1e4]))
def test_band_shares_sum_to_one_and_roles_do_not_depend_on_the_currency(seed: int, k: float) -> None:
    rng = np.random.default_rng(seed)
    s = _skus(list(rng.lognormal(4, 1, 30)), list(rng.poisson(20, 30) + 1), list(rng.uniform(0.05, 0.6, 30)))
    m = price_band_mix(s, s.assign(units=s["units"][::-1].to_numpy()), bands=4)
    assert m["share"].sum() == pytest.approx(1.0)
    assert m["shift"].sum() == pytest.approx(0.0, abs=1e-12)
    money = ["avg_price", "gmv", "net_sales", "gross_margin"]
    scaled = s.assign(**{c: s[c] * k for c in money})
    assert sku_roles(s)["role"].tolist() == sku_roles(scaled)["role"].tolist()


def test_roles_by_the_rule() -> None:
    # units 60/30/8/2: a alone is the first 50% of units, margin rate 10% < median 30%: traffic driver;
    # b has 450 of 713 gross margin: profit driver; c at 50 >= P90 44 and in neither head: image;
    # d begins after 98.4% of GMV: long tail.
    s = _skus([10, 30, 50, 15], [60, 30, 8, 2], [0.1, 0.5, 0.5, 0.1])
    r = sku_roles(s)
    assert r["role"].tolist() == ["引流款", "利润款", "形象款", "长尾款"]
    summary = role_summary(r).set_index("role")
    assert summary.loc["引流款", "units_share"] == pytest.approx(0.6)
    assert summary.loc["利润款", "margin_share"] == pytest.approx(450 / 713)
    assert "median" in r.attrs["rule"]


def test_new_products_and_the_long_tail_by_hand() -> None:
    c = pd.DataFrame({"date": pd.to_datetime(["2024-06-01", "2024-06-02", "2024-06-03"]), "sku": ["a", "b", "c"],
                      "gmv": [300.0, 100.0, 100.0]})
    p = pd.DataFrame({"sku": ["a", "b", "c", "d"], "category": "x",
                      "launch_date": pd.to_datetime(["2020-01-01", "2024-05-01", "2023-01-01", "2024-01-01"])})
    new = new_product_share(c, p, ("2024-06-01", "2024-06-30"), new_days=180)
    # only b launched within 180 days of 30 June (d launched but did not sell): 100 / 500
    assert new.set_index("category").loc["x", ["new_share", "new_skus"]].tolist() == [0.2, 1]
    skus = pd.DataFrame({"sku": ["a", "b", "c"], "category": "x", "gmv": [300.0, 100.0, 100.0],
                         "gross_margin": [30.0, 50.0, 20.0]})
    t = long_tail(skus, p, period_end="2024-06-30").set_index("category")
    # head = ceil(0.2 * 3) = 1 SKU (a): tail GMV 200 / 500, tail margin 70 / 100; d never sold
    assert t.loc["x", ["tail_skus", "tail_gmv_share", "tail_margin_share", "no_sales"]].tolist() == \
        pytest.approx([2, 0.4, 0.7, 1])


def test_price_band_groups_for_growth() -> None:
    s = _skus([10, 20, 40, 80], [1, 1, 1, 1], [0.5] * 4)
    g = band_groups(band_edges(s, bands=2), s)
    assert g["group"].tolist() == ["美妆 · 10-30", "美妆 · 10-30", "美妆 · 30-80", "美妆 · 30-80"]


def test_roles_on_the_sample_shop(small_shop_dir: Path) -> None:
    from opslib.assortment import sku_summary
    from opslib.data import daily_sku

    d = small_shop_dir
    cube = daily_sku(d / "orders.parquet", pd.read_parquet(d / "products.parquet"))
    skus = sku_summary(cube, ("2025-01-01", "2025-12-31"))
    r = sku_roles(skus)
    assert len(r) == len(skus) and set(r["role"]) <= set(ROLES)
    # by the rule, traffic drivers earn a thinner margin than the category median, profit drivers carry more
    # margin than their share of units
    med = skus.groupby("category")["margin_rate"].median()
    traffic = r[r["role"] == "引流款"]
    assert (traffic["margin_rate"].to_numpy() < traffic["category"].map(med).to_numpy()).all()
    s = role_summary(r).set_index("role")
    assert s.loc["利润款", "margin_share"] > s.loc["利润款", "units_share"]


def test_online_retail_has_no_launch_dates_and_says_so(online_retail) -> None:
    from opslib.data import daily_sku

    o, p = online_retail.tables["orders"], online_retail.tables["products"]
    new = new_product_share(daily_sku(o, p), p, ("2011-09-01", "2011-11-30"))
    assert new.empty and "launch_date" in new.attrs["reason"]
