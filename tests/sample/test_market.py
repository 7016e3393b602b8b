"""The sample shop's market table: drawn from its own stream (the other tables stay byte-identical), as planted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib.data.contract import TABLES
from opslib.sample import build, generate
from opslib.sample import market as sm


@pytest.fixture(scope="module")
def market(small_shop_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(small_shop_dir / "market.parquet")


def test_the_market_stream_leaves_every_other_table_byte_identical(tmp_path: Path, monkeypatch) -> None:
    # Draw the market from another seed: if its stream shared anything with the main one, the other tables
    # (or their truth) would change too.
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, seed=3, scale=0.02)
    real = sm.make_market
    monkeypatch.setattr(build.sm, "make_market", lambda seed, *args: real(seed + 1, *args))
    generate(b, seed=3, scale=0.02)
    for name in TABLES:
        same = (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes()
        assert same == (name != "market"), name
    ta, tb = (json.loads((d / "truth.json").read_text(encoding="utf-8")) for d in (a, b))
    ta.pop("market"), tb.pop("market")
    assert ta == tb


def test_market_rows_per_category_and_month(market: pd.DataFrame, small_truth: dict) -> None:
    # 36 months x 8 categories x (1 market + 4 bands + 2 competitors) = 2,016 rows
    assert len(market) == 36 * 8 * 7 == small_truth["counts"]["market_rows"]
    total = market[market["competitor"].isna() & market["price_min"].isna()]
    bands = market[market["competitor"].isna() & market["price_min"].notna()]
    # the bands split the market: their GMV adds up to it (each rounded to whole yuan: at most 4 x 0.5 off)
    summed = bands.groupby(["period_start", "category"])["gmv"].sum()
    assert np.allclose(summed.to_numpy(), total.set_index(["period_start", "category"])["gmv"].loc[summed.index], atol=2.0)
    assert (total["period_end"] >= total["period_start"]).all()


def test_competitor_shares_and_the_planted_price_cut(market: pd.DataFrame, small_truth: dict) -> None:
    planted = small_truth["market"]
    total = market[market["competitor"].isna() & market["price_min"].isna()].set_index(["period_start", "category"])
    comp = market[market["competitor"].notna()]
    for name, spec in planted["competitors"].items():
        c = comp[comp["competitor"] == name].set_index(["period_start", "category"])
        share = c["gmv"] / total["gmv"].loc[c.index]
        assert share.mean() == pytest.approx(spec["share"], rel=0.03)  # LogNormal(0, 0.05) noise, 288 rows
    cut = planted["price_cut"]
    a = comp[(comp["competitor"] == cut["competitor"]) & (comp["category"] == cut["category"])].set_index("period_start")
    m = total.xs(cut["category"], level="category")
    rel = a["avg_price"] / m["avg_price"].loc[a.index]  # 0.95 before the cut, 0.95 x 0.88 after (1% noise)
    start = pd.Timestamp(cut["start"])
    assert rel[rel.index < start].mean() == pytest.approx(0.95, rel=0.01)
    assert rel[rel.index >= start].mean() == pytest.approx(0.95 * (1 - cut["depth"]), rel=0.02)
