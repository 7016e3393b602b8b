"""DuckDB and Spark (local mode) give identical customer and pricing aggregates on the scale-0.05 sample shop.

The customer queries (``opslib.customers``) and the pricing cube (``opslib.pricing.pricing_scope``) run on the
shop's engine when given the shop: written once in DuckDB's dialect, transpiled to Spark SQL by sqlglot. Marked
``spark`` (``pytest -m spark``): skipped without PySpark or Java, failed under CI. The DuckDB side is also
checked against the planted truth, so "identical" is not "identically wrong".
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib import customers as cu
from opslib import pricing
from opslib.data import load_shop
from opslib.data.relations import check_shop, open_shop
from opslib.data.shop import Shop

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::Warning:pyspark.*")]

TABLES = ["orders", "products", "inventory", "traffic", "fulfilment", "campaigns"]
AS_OF = "2025-06-30"


@pytest.fixture(scope="module")
def shops(small_shop_dir: Path, spark_engine, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN001, ANN201
    os.environ["OPSLIB_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    duck = load_shop(small_shop_dir, tables=TABLES)
    data = open_shop(small_shop_dir, TABLES, engine=spark_engine)
    assert check_shop(data) == []
    spark = Shop(small_shop_dir, available=TABLES, lines=data)
    assert duck.lines.engine.name == "duckdb" and spark.lines.engine.name == "spark"
    return duck, spark


def same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a = a.sort_values(keys).reset_index(drop=True)
    b = b[list(a.columns)].sort_values(keys).reset_index(drop=True)
    assert len(a) == len(b) > 0
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            assert np.allclose(x.astype(float), y.astype(float), rtol=1e-9, atol=1e-6, equal_nan=True), col
        elif pd.api.types.is_datetime64_any_dtype(x):
            assert (pd.to_datetime(x) == pd.to_datetime(y)).all(), col
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), col


def test_customer_summary_is_identical_on_both_engines(shops, small_truth: dict) -> None:  # noqa: ANN001
    duck, spark = shops
    a, b = cu.customer_summary(duck, as_of=AS_OF), cu.customer_summary(spark, as_of=AS_OF)
    same(a, b, ["customer_id"])
    assert a.attrs == b.attrs == {"as_of": AS_OF}


def test_rfm_segments_are_identical_on_both_engines(shops) -> None:  # noqa: ANN001
    duck, spark = shops
    a, b = cu.rfm_segments(duck, as_of=AS_OF), cu.rfm_segments(spark, as_of=AS_OF)
    same(a.customers, b.customers, ["customer_id"])
    assert a.not_scored == b.not_scored
    assert b.customers["segment"].dtype == a.customers["segment"].dtype  # the same ordered categories
    same(cu.segment_summary(a), cu.segment_summary(b), ["segment"])


def test_cohort_repeat_rates_are_identical_on_both_engines(shops, small_truth: dict) -> None:  # noqa: ANN001
    duck, spark = shops
    same(cu.repeat_purchase_rate(duck, "M", days=(30, 90), until=AS_OF).rates,
         cu.repeat_purchase_rate(spark, "M", days=(30, 90), until=AS_OF).rates, ["end", "window_days"])
    same(cu.cohort_table(duck, freq="M", end=AS_OF).table, cu.cohort_table(spark, freq="M", end=AS_OF).table,
         ["cohort", "period"])
    first_duck = cu.first_order_repeat(duck, days=90)
    same(first_duck, cu.first_order_repeat(spark, days=90), ["kind"])
    # the planted shop: its realised 90-day repeat rate of first orders (truth.json, same definition)
    new = first_duck.set_index("kind").loc["new", "rate"]
    assert new == pytest.approx(small_truth["customers"]["new_repeat_rate_90d"], abs=0.005)


def test_notebook_05_tables_are_identical_on_both_engines(shops) -> None:  # noqa: ANN001
    """The rest of what notebook 05 shows, given the shop as the notebook gives it (every table on the engine)."""
    duck, spark = shops
    period, base = ("2025-06-03", AS_OF), ("2024-06-04", "2024-07-01")
    for by in (None, "category", "channel"):
        same(cu.funnel_table(duck, duck, duck, duck, period=period, by=by).summary(),
             cu.funnel_table(spark, spark, spark, spark, period=period, by=by).summary(), ["key"])
    same(cu.funnel_change(duck, duck, period, base).summary(), cu.funnel_change(spark, spark, period, base).summary(),
         ["driver"])
    same(cu.new_vs_returning(duck, "M", until=AS_OF), cu.new_vs_returning(spark, "M", until=AS_OF), ["period"])
    same(cu.order_gaps(duck, end=AS_OF).summary(), cu.order_gaps(spark, end=AS_OF).summary(), ["step"])
    assert cu.guest_summary(duck, period).describe() == cu.guest_summary(spark, period).describe()
    same(cu.first_order_repeat(duck, days=90, campaigns=duck, end=AS_OF),
         cu.first_order_repeat(spark, days=90, campaigns=spark, end=AS_OF), ["kind"])
    assert cu.shop_margin_rate(duck, duck) == cu.shop_margin_rate(spark, spark)
    # BG/NBD's grouped sufficient statistics, hence the same fit and the same holdout check
    a = cu.rfm_summary(duck, "customer_id", "order_ts", "quantity * unit_price", calibration_end="2025-01-01",
                       observation_end=AS_OF, where="status <> 'cancelled'", group=True)
    b = cu.rfm_summary(spark, "customer_id", "order_ts", "quantity * unit_price", calibration_end="2025-01-01",
                       observation_end=AS_OF, where="status <> 'cancelled'", group=True)
    same(a, b, list(a.columns))
    assert cu.holdout_check(duck, end=AS_OF).describe() == cu.holdout_check(spark, end=AS_OF).describe()
    va, vb = cu.lifetime_value(duck, end=AS_OF, margin=0.4), cu.lifetime_value(spark, end=AS_OF, margin=0.4)
    same(va.customers, vb.customers, ["customer_id"])


def test_pricing_cube_is_identical_on_both_engines(shops, small_truth: dict) -> None:  # noqa: ANN001
    duck, spark = shops
    a, b = pricing.pricing_scope(duck), pricing.pricing_scope(spark)
    same(a.cube.drop(columns=["cost"]), b.cube.drop(columns=["cost"]), ["date", "sku"])
    assert np.allclose(a.cube["cost"].fillna(0), b.cube["cost"].fillna(0), rtol=1e-9)
    assert a.cube["gmv"].sum() == pytest.approx(small_truth["totals"]["gmv"], abs=0.01)
    same(a.skus, b.skus, ["sku"])
