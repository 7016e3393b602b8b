"""Campaign evaluation from engine aggregates: the order lines never come into pandas.

By hand on a tiny shop (buyer mix, ad-hoc discount), the same evaluation from the engine as from frames on
the sample shop, a Shop whose ``orders`` raises for ``evaluate_shop`` and notebook 02's calls, and (marker
``spark``) the same evaluation on DuckDB and on PySpark in local mode.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib import campaigns as cp
from opslib.data import Shop, daily_sku, load_shop
from opslib.data import quality as dq
from tests.lineless import lineless

pytestmark = pytest.mark.filterwarnings("ignore::Warning:pyspark.*")


# ------------------------------------------------------------------------------------ by hand

WINDOW = (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-03"))
BASELINE = (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))


def tiny_lines() -> pd.DataFrame:
    rows = [  # order, time, customer, sku, qty, price, list, status
        ("o1", "2024-01-05 10:00", "c2", "A", 1, 10.0, 10.0, "completed"),   # c2 new in the baseline
        ("o2", "2024-03-01 09:00", "c1", "A", 2, 8.0, 10.0, "completed"),    # c1 new in the window
        ("o2", "2024-03-01 09:00", "c1", "B", 1, 20.0, 20.0, "completed"),
        ("o3", "2024-03-02 12:00", "c2", "A", 1, 8.0, 10.0, "returned"),     # c2 returning
        ("o4", "2024-03-02 13:00", "c4", "A", 5, 8.0, 10.0, "cancelled"),    # cancelled: nobody
        ("o5", "2024-03-03 14:00", None, "A", 1, 8.0, 10.0, "completed"),    # guest: an order, not a buyer
        ("o6", "2024-03-03 15:00", "c5", "B", 1, 20.0, 20.0, "completed"),   # new in the window, other SKU
        ("o7", "2024-03-12 10:00", "c1", "B", 1, 20.0, 20.0, "completed"),   # c1 back within 20 days
        ("o8", "2024-04-01 10:00", "c6", "B", 1, 20.0, 20.0, "completed"),   # the data run to April
    ]
    df = pd.DataFrame(rows, columns=["order_id", "order_ts", "customer_id", "sku", "quantity", "unit_price",
                                     "list_price", "status"])
    df["order_ts"] = pd.to_datetime(df["order_ts"])
    return df.assign(channel="app", region="华东", campaign_id=None)


def tiny_shop(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tiny_lines().to_parquet(folder / "orders.parquet", index=False)
    pd.DataFrame({"sku": ["A", "B"], "name": "x", "category": ["美妆", "食品"], "subcategory": ["护肤", "零食"],
                  "brand": "z", "unit_cost": [4.0, 9.0], "launch_date": None}).to_parquet(folder / "products.parquet",
                                                                                         index=False)
    return folder


def test_buyer_mix_by_hand_on_the_engine_and_on_frames(tmp_path: Path) -> None:
    shop = load_shop(tiny_shop(tmp_path / "tiny"))
    # buyers of A in 03-01..03-03: c1 (first order 03-01: new) and c2 (first order 01-05: returning); the guest
    # order o5 and the cancelled o4 are no buyers. Orders with A: o2, o3, o5 = 3.
    # Repeat rate of the new buyers of A (c1 only; c5 is new in the window but bought only B, so not the
    # campaign's): c1 back within 20 days of 03-04 (o7 on 03-12) -> 1 / 1.
    # New buyers of A in January: c2; back 02-01..02-20: no -> 0 / 1.
    expected = {"buyers": 2.0, "new_buyers": 1.0, "new_share": 0.5, "orders": 3.0, "repeat_rate_new": 1.0,
                "baseline_repeat_rate_new": 0.0}
    for source in (lineless(shop), tiny_lines(), str(tmp_path / "tiny" / "orders.parquet")):
        assert cp.buyer_mix(source, ["A"], WINDOW, BASELINE, repeat_days=20) == expected
    # 40 days: the window's follow-up (to 04-13) runs past the data (04-01): unknown, not 0; January's new
    # customer c2 is back on 03-02, within 02-01..03-11 -> 1 / 1
    late = cp.buyer_mix(lineless(shop), ["A"], WINDOW, BASELINE, repeat_days=40)
    assert math.isnan(late["repeat_rate_new"]) and late["baseline_repeat_rate_new"] == 1.0
    # Scoped to B: new buyers of B in the window c1 and c5, c1 back on 03-12 -> 1 / 2; nobody bought B in
    # January, so the baseline rate is unknown (NaN), not c2's 0 (c2 bought only A)
    b = cp.buyer_mix(lineless(shop), ["B"], WINDOW, BASELINE, repeat_days=20)
    assert (b["new_buyers"], b["repeat_rate_new"]) == (2.0, 0.5) and math.isnan(b["baseline_repeat_rate_new"])


def test_adhoc_discount_and_conversion_on_the_engine(tmp_path: Path) -> None:
    shop = lineless(load_shop(tiny_shop(tmp_path / "tiny")))
    # A in the window, not cancelled: 2 x 8 + 1 x 8 + 1 x 8 = 32 paid of 2 x 10 + 10 + 10 = 40 listed -> 20% off
    assert cp.estimate_discount_depth(shop, ["A"], *WINDOW) == pytest.approx(0.2)
    table, cid, msgs = cp.choose_campaign(None, shop.products, None, "2024-03-01", "2024-03-03", "sku:A", orders=shop)
    assert table.loc[0, "discount_depth"] == pytest.approx(0.2) and "20.0% estimated" in msgs[-1]
    with pytest.raises(cp.CampaignError, match=r"sold nothing .*orders run 2024-01-05\.\.2024-04-01"):
        cp.choose_campaign(None, shop.products, None, "2024-02-10", "2024-02-12", "sku:A", orders=shop)
    # 7 placed orders (o4 cancelled) over 700 visitors
    ab = cp.shop_ab_example(shop, pd.DataFrame({"visitors": [300, 400]}))
    assert ab.note.startswith("the shop's conversion rate: 1.00%")
    assert dq.order_days(shop) == 88  # 2024-01-05 .. 2024-04-01


# ------------------------------------------------------------------------------- sample shop


def _same_summary(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        x, y = a[col].iloc[0], b[col].iloc[0]
        if isinstance(x, (float, np.floating)) or isinstance(y, (float, np.floating)):
            assert (pd.isna(x) and pd.isna(y)) or x == pytest.approx(y, rel=1e-9, abs=1e-6), col
        else:
            assert x == y, col


def test_evaluate_shop_never_reads_the_lines_and_matches_the_frame_path(small_shop_dir: Path) -> None:
    shop = load_shop(small_shop_dir, tables=["orders", "products", "campaigns", "traffic"])
    quiet = lineless(shop)
    cube = daily_sku(quiet)
    done = cp.evaluate_shop(quiet, cube, "CMP_2025_CPN", halo=False)
    assert done.problem is None and done.evaluation.buyers is not None
    # the old path: every line in pandas, the frame cube and the buyer mix over the frame
    lines = load_shop(small_shop_dir, tables=["orders", "products", "campaigns"]).orders
    old = cp.evaluate_campaign(daily_sku(lines, shop.products), shop.campaigns, shop.products, "CMP_2025_CPN",
                               orders=lines, halo=False, country=shop.settings.country,
                               events=shop.settings.events_frame())
    _same_summary(done.evaluation.summary(), old.summary())
    assert done.evaluation.buyers == pytest.approx(old.buyers, nan_ok=True)
    assert "orders" not in shop._frames


def test_notebook_02_calls_keep_the_lines_out_of_pandas(small_shop_dir: Path) -> None:
    """What notebook 02 calls, in its order, on a shop whose ``orders`` raises (the default campaign, an
    ad-hoc window, the overview of one start day, the A/B example)."""
    quiet = lineless(load_shop(small_shop_dir, tables=["orders", "products", "campaigns", "traffic"]))
    assert dq.order_days(quiet) == 1096  # 2023-01-01 .. 2025-12-31
    cube = daily_sku(quiet)
    chosen = cp.evaluate_shop(quiet, cube, None, halo=False)
    assert chosen.problem is None and chosen.evaluation.buyers["buyers"] > 0
    adhoc = cp.evaluate_shop(quiet, cube, None, "2025-03-10", "2025-03-12", "all", halo=False)
    assert adhoc.problem is None and "estimated from the orders" in adhoc.messages[-1]
    june = cp.campaign_overview(cube, quiet.campaigns, quiet.products, start="2024-06-01", end="2024-06-01")
    assert "CMP_2024_618" in set(june.table["campaign_id"])
    ab = cp.shop_ab_example(quiet, quiet.traffic, confidence=0.9)
    assert ab.note.startswith("the shop's conversion rate")


# ------------------------------------------------------------------------------------- Spark


@pytest.mark.spark
def test_evaluate_shop_is_the_same_on_duckdb_and_spark(small_shop_dir: Path, spark_engine) -> None:  # noqa: ANN001
    from opslib.data.relations import check_shop, open_shop

    tables = ["orders", "products", "campaigns"]
    data = open_shop(small_shop_dir, tables, engine=spark_engine)
    assert check_shop(data) == []
    spark = lineless(Shop(small_shop_dir, available=list(data.sources), lines=data))
    duck = lineless(load_shop(small_shop_dir, tables=tables))
    results = [cp.evaluate_shop(s, None, "CMP_2025_CPN", halo=False) for s in (duck, spark)]
    adhoc = [cp.evaluate_shop(s, None, None, "2025-03-10", "2025-03-12", "category:美妆", halo=False)
             for s in (duck, spark)]
    for a, b in (results, adhoc):
        assert a.problem is None and b.problem is None, (a.problem, b.problem)
        _same_summary(a.evaluation.summary(), b.evaluation.summary())
        assert a.evaluation.buyers == pytest.approx(b.evaluation.buyers, nan_ok=True)
        assert a.messages == b.messages
