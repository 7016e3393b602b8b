"""Aggregates on the engine: by hand, against the sample shop's planted totals, and DuckDB = Spark.

The Spark tests (marker ``spark``) run PySpark in local mode; they skip when PySpark or Java is
missing, except under CI (``CI=true``), where a missing Spark is a failure: ``.ci/run`` installs both.
Select them with ``pytest -m spark``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib.data import aggregates as agg
from opslib.data import daily_sku, load_shop, weekly_sku
from opslib.data.relations import check_shop, open_shop

# PySpark 4 warns about pandas 3 on every toPandas(); the results are checked here instead.
pytestmark = pytest.mark.filterwarnings("ignore::Warning:pyspark.*")


@pytest.fixture(autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("OPSLIB_CACHE_DIR", str(path))
    return path


LINES = pd.DataFrame({
    "order_id": ["o1", "o1", "o2", "o3", "o4"],
    "order_ts": pd.to_datetime(["2024-06-01 09:00", "2024-06-01 09:00", "2024-06-01 20:00",
                                "2024-06-02 10:00", "2024-06-09 11:00"]),
    "customer_id": ["c1", "c1", None, "c1", "c2"],
    "sku": ["a", "b", "a", "a", "b"],
    "quantity": [2, 1, 1, 3, 1],
    "unit_price": [10.0, 50.0, 12.0, 9.0, 40.0],
    "list_price": [12.0, 50.0, 12.0, 12.0, 50.0],
    "channel": "app", "region": "华东",
    "status": ["completed", "returned", "completed", "cancelled", "completed"],
    "campaign_id": None,
})
PRODUCTS = pd.DataFrame({"sku": ["a", "b"], "name": ["甲", "乙"], "category": ["食品", "数码"],
                         "subcategory": ["零食", "配件"], "brand": "x", "unit_cost": [6.0, 30.0],
                         "launch_date": pd.to_datetime(["2023-01-01", None])})


def hand_shop(folder: Path, scale: float = 1.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    LINES.assign(unit_price=LINES["unit_price"] * scale, list_price=LINES["list_price"] * scale) \
        .to_parquet(folder / "orders.parquet", index=False)
    PRODUCTS.assign(unit_cost=PRODUCTS["unit_cost"] * scale).to_parquet(folder / "products.parquet", index=False)
    return folder


def opened(folder: Path):  # noqa: ANN201
    data = open_shop(folder, ["orders", "products"])
    assert check_shop(data) == []
    return data


def test_daily_sku_by_hand(tmp_path: Path) -> None:
    out = agg.daily_sku(opened(hand_shop(tmp_path))).set_index(["date", "sku"])
    a1 = out.loc[(pd.Timestamp("2024-06-01"), "a")]
    # o1: 2 x 10 completed, o2: 1 x 12 completed -> 2 orders, 3 units, gmv 32, list 2*12 + 12 = 36, cost 3 * 6
    assert (a1["orders"], a1["units"], a1["units_net"], a1["gmv"], a1["list_value"], a1["cost"]) == (2, 3, 3, 32.0, 36.0, 18.0)
    assert a1["discount"] == 4.0 and a1["category"] == "食品"
    b1 = out.loc[(pd.Timestamp("2024-06-01"), "b")]
    # returned line: in gmv (50), not in net sales; no completed units so cost 0
    assert (b1["gmv"], b1["net_sales"], b1["units_returned"], b1["cost"]) == (50.0, 0.0, 1, 0.0)
    a2 = out.loc[(pd.Timestamp("2024-06-02"), "a")]
    assert (a2["orders"], a2["units"], a2["gmv"]) == (0, 0, 0.0)  # cancelled only


def test_period_filter_and_abc_by_hand(tmp_path: Path) -> None:
    data = opened(hand_shop(tmp_path))
    june_1_to_8 = agg.daily_sku(data, start="2024-06-01", end="2024-06-09")
    assert june_1_to_8["date"].max() == pd.Timestamp("2024-06-02")
    out = agg.abc_by_sku(data, start="2024-06-01", end="2024-06-10")
    # net sales: a = 20 + 12 = 32, b = 40 (o4; o1's b was returned) -> b first: 40/72 = .556 (A), a 1.0 (C)
    assert out["sku"].tolist() == ["b", "a"]
    assert np.allclose(out["share"], [40 / 72, 32 / 72]) and out["abc"].tolist() == ["A", "C"]


def test_customer_summary_by_hand(tmp_path: Path) -> None:
    out = agg.customer_totals(opened(hand_shop(tmp_path)), as_of="2024-06-10").set_index("customer_id")
    # c1: o1 (2 lines, 2*10 + 1*50 = 70) on 06-01; o3 cancelled -> 1 order, last 06-01, 9 days before 06-10
    assert out.loc["c1", ["orders", "units", "gmv", "net_sales", "recency_days"]].tolist() == [1, 3, 70.0, 20.0, 9]
    # c2: o4 on 06-09, 40 -> recency 1; the guest line (o2) has no customer
    assert out.loc["c2", ["orders", "gmv", "recency_days", "tenure_days"]].tolist() == [1, 40.0, 1, 1]
    assert list(out.index) == ["c1", "c2"]


def test_money_aggregates_are_scale_free(tmp_path: Path) -> None:
    base = agg.daily_sku(opened(hand_shop(tmp_path / "x1")))
    big = agg.daily_sku(opened(hand_shop(tmp_path / "x1000", scale=1000.0)))
    for col in ("gmv", "net_sales", "list_value", "discount", "cost"):
        assert np.allclose(big[col], base[col] * 1000), col
    assert (big["units"] == base["units"]).all()


def test_sample_shop_totals_match_the_planted_truth(small_shop_dir: Path, small_truth: dict) -> None:
    data = opened(small_shop_dir)
    cube = agg.daily_sku(data)
    totals = small_truth["totals"]  # written by the generator from its own line arrays
    assert cube["units"].sum() == totals["units"]
    assert cube["gmv"].sum() == pytest.approx(totals["gmv"], abs=0.01)
    assert cube["net_sales"].sum() == pytest.approx(totals["net_sales"], abs=0.01)
    assert data.rows("orders") == small_truth["counts"]["order_lines"]
    cust = agg.customer_totals(data)
    assert cust["gmv"].sum() <= totals["gmv"] + 0.01  # guests' lines have no customer
    assert 0 < len(cust) <= small_truth["counts"]["customers"]


def test_load_shop_keeps_orders_out_of_pandas_until_asked(small_shop_dir: Path) -> None:
    shop = load_shop(small_shop_dir, tables=["orders", "products"])
    assert shop._frames == {}  # validated on the engine, nothing read into pandas yet
    weekly = weekly_sku(shop)  # the public cube functions take the shop and run on its engine
    cube = daily_sku(shop, start="2025-01-01", end="2025-02-01")
    assert shop._frames == {} and len(weekly) > 0 and cube["date"].dt.month.unique().tolist() == [1]
    assert len(shop.orders) == shop.lines.rows("orders") and "orders" in shop._frames


# --------------------------------------------------------------------------------------- Spark


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a = a.sort_values(keys).reset_index(drop=True)
    b = b[list(a.columns)].sort_values(keys).reset_index(drop=True)
    assert len(a) == len(b)
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x):
            assert np.allclose(x.astype(float), y.astype(float), rtol=1e-9, atol=1e-6, equal_nan=True), col
        elif pd.api.types.is_datetime64_any_dtype(x):
            assert (pd.to_datetime(x) == pd.to_datetime(y)).all(), col
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), col


@pytest.mark.spark
def test_duckdb_and_spark_give_identical_aggregates(small_shop_dir: Path, spark_engine) -> None:  # noqa: ANN001
    duck = opened(small_shop_dir)
    spark = open_shop(small_shop_dir, ["orders", "products"], engine=spark_engine)
    assert check_shop(spark) == []
    _same(agg.daily_sku(duck), agg.daily_sku(spark), ["date", "sku"])
    _same(agg.weekly_sku(duck), agg.weekly_sku(spark), ["week", "sku"])
    _same(agg.customer_totals(duck, as_of="2026-01-01"), agg.customer_totals(spark, as_of="2026-01-01"),
          ["customer_id"])
    _same(agg.abc_by_sku(duck, "2025-01-01", "2025-07-01"), agg.abc_by_sku(spark, "2025-01-01", "2025-07-01"), ["sku"])


@pytest.mark.spark
def test_spark_validation_names_the_same_rows(tmp_path: Path, spark_engine) -> None:  # noqa: ANN001
    folder = hand_shop(tmp_path)
    bad = LINES.assign(quantity=[2, 0, 1, 3, 1], status=["completed", "returned", "lost", "cancelled", "completed"],
                       sku=["a", "b", "a", "zz", "b"])
    bad = pd.concat([bad, bad.iloc[[0]]], ignore_index=True)
    bad.to_parquet(folder / "orders.parquet", index=False)
    duck = [str(p) for p in check_shop(open_shop(folder, ["orders", "products"]))]
    spark = [str(p) for p in check_shop(open_shop(folder, ["orders", "products"], engine=spark_engine))]
    assert duck == [
        "orders.parquet, column quantity, row 2: 0 — expected a whole number >= 1",
        "orders.parquet, column status, row 3: 'lost' — expected one of completed, cancelled, returned",
        "orders.parquet, columns order_id + sku, rows 1, 6: 1 duplicated key value: ('o1', 'a') — "
        "expected each (order_id, sku) only once",
        "orders.parquet, column sku, row 4: 'zz' — expected a sku that exists in products.parquet",
    ]
    assert spark == duck


@pytest.mark.spark
def test_spark_reads_a_csv_shop_staged_locally(tmp_path: Path, spark_engine) -> None:  # noqa: ANN001
    folder = tmp_path / "csv"
    folder.mkdir()
    LINES.to_csv(folder / "orders.csv", index=False)
    PRODUCTS.to_csv(folder / "products.csv", index=False)
    duck = opened(folder)
    spark = open_shop(folder, ["orders", "products"], engine=spark_engine)
    assert check_shop(spark) == []
    _same(agg.daily_sku(duck), agg.daily_sku(spark), ["date", "sku"])
    _same(duck.frame("orders"), spark.frame("orders"), ["order_id", "sku"])
