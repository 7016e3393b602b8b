"""Market and competition: share, price index, competitors' moves and price wars — by hand and against the
sample shop's planted market.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib.errors import MarketError
from opslib.pricing import competitor_moves, market_share, price_index, price_war_review


def _market(rows: list[tuple]) -> pd.DataFrame:
    """Rows (start, end, category, competitor, price_min, price_max, gmv, units)."""
    cols = ["period_start", "period_end", "category", "competitor", "price_min", "price_max", "gmv", "units"]
    m = pd.DataFrame(rows, columns=cols)
    m["period_start"], m["period_end"] = pd.to_datetime(m["period_start"]), pd.to_datetime(m["period_end"])
    m["avg_price"] = m["gmv"] / m["units"]
    return m


def test_share_growth_and_gap_by_hand() -> None:
    cube = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-20", "2025-01-31"]), "category": "美妆",
                         "gmv": [60.0, 40.0, 150.0], "units": 1})
    m = _market([("2024-01-01", "2024-01-31", "美妆", None, None, None, 10_000.0, 100.0),
                 ("2025-01-01", "2025-01-31", "美妆", None, None, None, 12_000.0, 100.0)])
    ms = market_share(cube, m)
    row = ms.table.iloc[1]
    # share 150 / 12,000 = 1.25%; shop +50% (100 -> 150), market +20%: the shop gains, gap +30 points
    assert (row["share"], row["shop_growth"], row["market_growth"], row["gap"]) == pytest.approx((0.0125, 0.5, 0.2, 0.3))
    with pytest.raises(MarketError, match="whole-market rows"):
        market_share(cube, m.assign(competitor="竞店A"))


def test_price_index_per_band_and_like_for_like_by_hand() -> None:
    # the shop: a at 110 (10 units) in band [50, 200), b at 300 (1 unit) in band [200, 500)
    # the market: band 1 sells 5,000 at 100 (index 1.1), band 2 15,000 at 250 (index 1.2);
    # like for like = (5,000 x 1.1 + 15,000 x 1.2) / 20,000 = 1.175; whole categories 1,400/11 vs 20,000/110
    skus = pd.DataFrame({"sku": ["a", "b"], "category": "美妆", "units": [10, 1], "gmv": [1100.0, 300.0],
                         "avg_price": [110.0, 300.0]})
    m = _market([("2024-01-01", "2024-01-31", "美妆", None, None, None, 20_000.0, 110.0),
                 ("2024-01-01", "2024-01-31", "美妆", None, 50.0, 200.0, 5_000.0, 50.0),
                 ("2024-01-01", "2024-01-31", "美妆", None, 200.0, 500.0, 15_000.0, 60.0),
                 ("2024-01-01", "2024-01-31", "美妆", "竞店A", None, None, 2_000.0, 20.0)])
    t = price_index(skus, m, ("2024-01-01", "2024-01-31")).set_index("scope")
    assert t.loc["band", "index"].tolist() == pytest.approx([1.1, 1.2])
    assert t.loc["like for like", "index"] == pytest.approx(1.175)
    assert t.loc["category", "index"] == pytest.approx((1400 / 11) / (20_000 / 110))
    assert t.loc["competitor", "index"] == pytest.approx((1400 / 11) / 100)


def test_a_cut_is_measured_against_the_market() -> None:
    # Both months the market's price falls 10% (a season); A falls 10% too (no cut), B falls 20%:
    # relative to the market 0.8 / 0.9 - 1 = -11.1%.
    rows = []
    for start, end, mkt, a, b in (("2024-01-01", "2024-01-31", 100.0, 100.0, 100.0),
                                  ("2024-02-01", "2024-02-29", 90.0, 90.0, 80.0)):
        rows += [(start, end, "数码", None, None, None, 100 * mkt, 100.0),
                 (start, end, "数码", "A", None, None, 10 * a, 10.0), (start, end, "数码", "B", None, None, 5 * b, 5.0)]
    mv = competitor_moves(_market(rows), ("2024-02-01", "2024-02-29")).set_index("competitor")
    assert mv.loc["A", "change"] == pytest.approx(0.0) and not mv.loc["A", "cut"]
    assert mv.loc["B", "change"] == pytest.approx(0.8 / 0.9 - 1) and mv.loc["B", "cut"]
    assert mv.loc["B", "raw_change"] == pytest.approx(-0.2)
    assert mv.loc["B", "share"] == pytest.approx(400 / 9000)


def test_price_war_cross_elasticity_from_the_shares() -> None:
    # logit: x = |e| s_j / (1 - s_0) = 2 x 0.12 / 0.96 = 0.25; holding after a 10% cut keeps 0.9^0.25 of volume
    el = pd.DataFrame({"category": ["数码"], "elasticity": [-2.0]})
    prices = pd.DataFrame({"category": ["数码"], "revenue": [100_000.0], "units": [1000.0], "cost_ratio": [0.6]})
    moves = pd.DataFrame({"category": ["数码"], "competitor": ["竞店A"], "change": [-0.10], "cut": [True],
                          "share": [0.12]})
    shares = pd.DataFrame({"category": ["数码"], "share": [0.04]})
    r = price_war_review(el, prices, moves, shares).table.iloc[0]
    assert r["cross_elasticity"] == pytest.approx(0.25)
    assert r["volume_if_hold"] == pytest.approx(0.9 ** 0.25 - 1)
    # price 100, cost 60, e = -2: the optimum 120 is above today's price, so no cut pays (best = hold)
    assert r["best_cut"] == pytest.approx(0.0)
    # no market table: a hypothetical cut per category, with an assumed cross elasticity |e| x 10%
    hyp = price_war_review(el, prices, competitor_cut=0.2).table.iloc[0]
    assert (hyp["competitor"], hyp["competitor_cut"], hyp["cross_elasticity"]) == ("(hypothetical)", 0.2,
                                                                                   pytest.approx(0.2))


# ----------------------------------------------------------------------------- planted truth


@pytest.fixture(scope="module")
def sample(small_shop_dir: Path) -> dict:
    from opslib.assortment import sku_summary
    from opslib.data import daily_sku

    d = small_shop_dir
    cube = daily_sku(d / "orders.parquet", pd.read_parquet(d / "products.parquet"))
    return {"cube": cube, "market": pd.read_parquet(d / "market.parquet"),
            "skus": sku_summary(cube, ("2025-10-01", "2025-12-31"))}


def test_share_trend_recovers_the_planted_market(sample: dict, small_truth: dict) -> None:
    planted = small_truth["market"]
    ms = market_share(sample["cube"], sample["market"])
    t = ms.trend.set_index("category")
    for cat, v in planted["categories"].items():
        # the share's log-slope per year: planted shop trend - market trend, measured on realised GMV (36 months)
        assert t.loc[cat, "trend"] == pytest.approx(v["share_trend_per_year"], abs=0.06), cat
    assert set(planted["gaining_share"]) == set(t.index[t["direction"] == "gaining"])
    for cat in planted["losing_share"]:
        assert t.loc[cat, "direction"] == "losing", cat
    # and the share level: 1.5% of 母婴's market in January 2023 (planted share_start)
    first = ms.table[(ms.table["category"] == "母婴")].iloc[0]
    assert first["share"] == pytest.approx(planted["categories"]["母婴"]["share_start"], rel=0.15)


def test_price_index_recovers_the_planted_one(sample: dict, small_truth: dict) -> None:
    t = price_index(sample["skus"], sample["market"], ("2025-10-01", "2025-12-31"))
    ll = t[t["scope"] == "like for like"].set_index("category")["index"]
    for cat, v in small_truth["market"]["categories"].items():
        # planted in every band; measured on the shop's realised prices of Q4 2025 (SKUs placed by paid price)
        assert ll[cat] == pytest.approx(v["price_index"], abs=0.05), cat


def test_the_planted_competitor_cut_is_found(sample: dict, small_truth: dict) -> None:
    cut = small_truth["market"]["price_cut"]
    mv = competitor_moves(sample["market"], ("2025-10-01", "2025-12-31"))
    found = mv[mv["cut"]]
    assert found[["competitor", "category"]].values.tolist() == [[cut["competitor"], cut["category"]]]
    assert found["change"].iloc[0] == pytest.approx(-cut["depth"], abs=0.02)
    # wired to the price war: with an assumed elasticity the cut is simulated with the competitor's share
    prices = pd.DataFrame({"category": [cut["category"]], "revenue": [1e5], "units": [300.0], "cost_ratio": [0.8]})
    war = price_war_review(pd.DataFrame(columns=["category", "elasticity"]), prices, mv,
                           market_share(sample["cube"], sample["market"]).latest(("2025-10-01", "2025-12-31")),
                           assumed_elasticity=-1.5)
    row = war.table.iloc[0]
    assert (row["category"], row["own_source"]) == (cut["category"], "assumed")
    assert np.isfinite(row["cross_elasticity"]) and row["cross_source"].startswith("logit")


def test_the_sycm_mapping_example_gives_a_contract_market_table() -> None:
    # examples/mappings/market/sycm_market.yml on its synthetic export (GB18030): 12 rows, valid against the contract;
    # 美妆 in June: market 2,000万, 竞店A 240万 at 120 against the market's 127.55 both months (no cut).
    from opslib.data import schema_for
    from opslib.importers import adapt_mapping
    from tests.conftest import ROOT

    ex = ROOT / "examples" / "mappings" / "market"
    m = adapt_mapping(ex / "sycm_market.yml", ex / "sycm_market_export.csv").tables["market"]
    schema_for("market").validate(m)
    assert len(m) == 12 and m["competitor"].isna().sum() == 8
    june = m[(m["period_start"] == "2025-06-01") & (m["category"] == "美妆")]
    assert june.loc[june["competitor"].isna() & june["price_min"].isna(), "gmv"].iloc[0] == 20_000_000
    mv = competitor_moves(m, ("2025-06-01", "2025-06-30")).set_index(["category", "competitor"])
    assert mv.loc[("美妆", "竞店A"), "change"] == pytest.approx(0.0, abs=1e-3)
    assert not mv["cut"].any()
