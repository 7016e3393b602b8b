"""Trends: growth with significance and the share of the shop — by hand, invariants, planted truth, real data.

Expected values come from arithmetic in the comments, the sample shop's planted trends, or an effect planted
into a real series.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib.pricing import growth_table, share_trend

DAYS = pd.date_range("2024-01-01", periods=28)
BASE, CUR = ("2024-01-01", "2024-01-14"), ("2024-01-15", "2024-01-28")


def _cube(units: dict[str, list[float]]) -> pd.DataFrame:
    rows = [pd.DataFrame({"date": DAYS, "sku": k, "units": v, "gmv": np.array(v, float) * 10}) for k, v in units.items()]
    return pd.concat(rows, ignore_index=True)


GROUPS = pd.DataFrame({"sku": ["a", "b", "c"], "group": ["A", "B", "C"]})


def test_rate_ratio_and_z_by_hand() -> None:
    # A: 10 a day, then 20 a day: C0 = 140, C1 = 280, RR = 2; its weekly counts follow the shop's profile
    # exactly (phi = 1): se = sqrt(1/280 + 1/140) = 0.103510, z = ln 2 / 0.103510 = 6.6965.
    cube = _cube({"a": [10] * 14 + [20] * 14, "b": [3] * 28})
    t = growth_table(cube, CUR, BASE, groups=GROUPS).table.set_index("group")
    assert t.loc["A", "growth"] == pytest.approx(1.0)
    assert t.loc["A", "dispersion"] == pytest.approx(1.0)
    assert t.loc["A", "z"] == pytest.approx(math.log(2) / math.sqrt(1 / 280 + 1 / 140), rel=1e-9)
    assert t.loc["A", "direction"] == "rising" and t.loc["B", "direction"] == "flat"
    # GMV share: A 2,800 of 3,220 now, 1,400 of 1,820 before
    assert t.loc["A", "share_change"] == pytest.approx(2800 / 3220 - 1400 / 1820)


def test_week_to_week_noise_widens_the_test() -> None:
    # C: 140 units in week 1 and 0 in week 2 of the baseline, 210 then 0 now; A: spread evenly. Same growth.
    # Shop weeks: baseline 490 / 350, now 595 / 385. C's expected weeks 81.7 / 58.3 and 127.5 / 82.5 give
    # chi2 = 41.6 + 58.3 + 53.4 + 82.5 = 235.8 over 4 - 2 df: phi = 118; A's: (1.67 + 2.34 + 3.97 + 6.14) / 2
    # = 7.05. z_A = ln 1.5 / sqrt(7.05 (1/210 + 1/140)) = 1.40, z_C = ln 1.5 / sqrt(118 (...)) = 0.34.
    a = [10] * 14 + [15] * 14
    c = [20] * 7 + [0] * 7 + [30] * 7 + [0] * 7
    t = growth_table(_cube({"a": a, "b": [40] * 28, "c": c}), CUR, BASE, groups=GROUPS).table.set_index("group")
    assert t.loc["C", "growth"] == pytest.approx(t.loc["A", "growth"]) == pytest.approx(0.5)
    assert t.loc["C", "dispersion"] == pytest.approx(118, rel=0.01)
    assert t.loc["A", "dispersion"] == pytest.approx(7.05, rel=0.01)
    assert t.loc["C", "z"] == pytest.approx(0.34, abs=0.01) and t.loc["A", "z"] == pytest.approx(1.40, abs=0.01)


def test_growth_is_the_same_in_any_currency() -> None:
    cube = _cube({"a": [10] * 14 + [20] * 14, "b": [3] * 28})
    base = growth_table(cube, CUR, BASE, groups=GROUPS).table
    other = growth_table(cube.assign(gmv=cube["gmv"] * 1e3), CUR, BASE, groups=GROUPS).table
    for col in ("growth", "gmv_growth", "share_change", "z", "q_value"):
        assert other[col].to_numpy() == pytest.approx(base[col].to_numpy())
    assert (other["gmv"] == base["gmv"] * 1e3).all()


def test_share_trend_by_hand_and_too_little_data() -> None:
    # a's share doubles over the year: log-slope ln 2 per 364/365.25 years (weeks start on Mondays)
    days = pd.date_range("2024-01-01", periods=364)
    t = np.arange(364) / 364
    cube = pd.DataFrame({"date": np.tile(days, 2), "sku": ["a"] * 364 + ["b"] * 364, "category": ["A"] * 364 + ["B"] * 364,
                         "units": np.r_[100 * 2 ** t, 400 - 100 * 2 ** t]})
    r = share_trend(cube).table.set_index("group")
    assert r.loc["A", "direction"] == "gaining" and r.loc["B", "direction"] == "losing"
    assert r.loc["A", "share_end"] / r.loc["A", "share_start"] == pytest.approx(2.0, rel=0.03)
    short = share_trend(cube[cube["date"] < "2024-02-01"])
    assert short.table.empty and "8 complete weeks" in short.describe()


# ----------------------------------------------------------------------------- planted truth


@pytest.fixture(scope="module")
def small_cube(small_shop_dir: Path) -> pd.DataFrame:
    from opslib.data import daily_sku

    d = small_shop_dir
    return daily_sku(d / "orders.parquet", pd.read_parquet(d / "products.parquet"))


def test_the_planted_growing_and_declining_categories(small_cube: pd.DataFrame, small_truth: dict) -> None:
    r = share_trend(small_cube).table.set_index("group")
    grow, decline = small_truth["growing_category"], small_truth["declining_category"]
    assert r.loc[grow, "direction"] == "gaining" and r.loc[decline, "direction"] == "losing"
    # against the shop the two planted slopes keep their difference: ln 1.30 - ln 0.75 = 0.550 per year
    cats = small_truth["categories"]
    planted = cats[grow]["trend_per_year"] - cats[decline]["trend_per_year"]
    assert r.loc[grow, "trend"] - r.loc[decline, "trend"] == pytest.approx(planted, abs=0.1)
    # the year-on-year test over 26 weeks: 母婴 rises beyond noise (+30% planted), the stable categories
    # (-2% .. +3% a year) do not move beyond it
    g = growth_table(small_cube, ("2025-07-03", "2025-12-31"), ("2024-07-04", "2025-01-01"), level="category")
    t = g.table.set_index("group")
    assert t.loc[grow, "direction"] == "rising"
    assert t.loc[grow, "growth"] == pytest.approx(0.30, abs=0.1)
    stable = [c for c, v in cats.items() if v["role"] == "stable"]
    assert (t.loc[stable, "direction"] == "flat").all()


# ----------------------------------------------------------------------------- real data


def test_a_doubling_planted_into_online_retail_is_found(online_retail) -> None:
    # Double the quantities of one keyword category in Sep-Nov 2011: its rate ratio against Jun-Aug doubles
    # exactly (only the current period's units change), and it becomes significantly rising.
    from opslib.data import daily_sku

    o, p = online_retail.tables["orders"], online_retail.tables["products"]
    cube = daily_sku(o, p)
    cur, base = ("2011-09-01", "2011-11-29"), ("2011-06-03", "2011-08-31")
    before = growth_table(cube, cur, base, level="category").table.set_index("group")
    target = before.index[before["units"].argsort().to_numpy()[len(before) // 2]]  # a mid-sized category
    skus = set(p.loc[p["category"] == target, "sku"])
    in_cur = (o["order_ts"] >= cur[0]) & (o["order_ts"] < "2011-11-30") & o["sku"].isin(skus)
    planted = daily_sku(o.assign(quantity=np.where(in_cur, o["quantity"] * 2, o["quantity"])), p)
    after = growth_table(planted, cur, base, level="category").table.set_index("group")
    assert after.loc[target, "growth"] + 1 == pytest.approx(2 * (before.loc[target, "growth"] + 1), rel=1e-9)
    assert after.loc[target, "direction"] == "rising"
