"""KPIs on the shop's engine: one SQL query per bucket set, the order lines never in pandas.

By hand on a tiny shop written to Parquet and opened with ``load_shop`` (the five orders of ``tests/test_kpi.py``),
on a shop whose ``orders`` raises for every call notebooks 00 and 04 make, and (marker ``spark``) DuckDB ==
PySpark local mode on the sample shop.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib import kpi
from opslib.calendar import parse_period
from opslib.data import Shop, load_shop
from opslib.data import quality as dq
from tests.lineless import lineless
from tests.test_kpi import W23, W24, _lines, _products, _traffic

pytestmark = pytest.mark.filterwarnings("ignore::Warning:pyspark.*")


def tiny_shop(folder: Path) -> Path:
    """The five orders of ``tests/test_kpi.py`` (W23: o1-o4, W24: o5), their products and traffic, as Parquet."""
    folder.mkdir(parents=True, exist_ok=True)
    _lines().to_parquet(folder / "orders.parquet", index=False)
    _products().to_parquet(folder / "products.parquet", index=False)
    _traffic().to_parquet(folder / "traffic.parquet", index=False)
    return folder


@pytest.fixture
def shop(tmp_path: Path) -> Shop:
    return lineless(load_shop(tiny_shop(tmp_path / "tiny")))


def test_weekly_trend_by_hand_on_the_engine(shop: Shop) -> None:
    t = kpi.kpi_trend(shop, "W", traffic=True)
    assert t["label"].tolist() == ["2024-W23", "2024-W24"]
    # W23: o1 20 + o2 30 (returned: in GMV) + o4 30; o3 cancelled. W24: o5 20
    assert t["gmv"].tolist() == [80.0, 20.0]
    assert t["net_sales"].tolist() == [50.0, 20.0]  # o2 returned
    assert t["orders"].tolist() == [3, 1]
    assert t["units"].tolist() == [7, 1]  # 1 + 2 + 1 + 3 (o3's unit cancelled)
    assert t["buyers"].tolist() == [1, 1]  # c1 twice, o4 a guest, c3 only cancelled; W24 c2
    assert t["days"].tolist() == [7, 1]
    assert t["visitors"].tolist() == [300.0, 40.0]  # 150 a day on 06-03 and 06-04; 40 on 06-10
    assert t["conversion_rate"].tolist() == pytest.approx([3 / 300, 1 / 40])
    assert t["aov"].tolist() == pytest.approx([80 / 3, 20.0])
    assert t["cancellation_rate"].tolist() == pytest.approx([40 / 120, 0.0])  # placed 80 + 40


def test_daily_and_monthly_trend_and_since_by_hand(shop: Shop) -> None:
    d = kpi.kpi_trend(shop, "D", traffic=True)
    assert len(d) == 8  # 06-03 .. 06-10, empty days as zeros
    by_day = d.set_index("label")
    assert by_day.loc["2024-06-03", "orders"] == 2 and by_day.loc["2024-06-03", "buyers"] == 1  # o1, o2 (c1)
    assert by_day.loc["2024-06-04", "orders"] == 1 and by_day.loc["2024-06-04", "buyers"] == 0  # the guest
    assert by_day.loc["2024-06-05", "gmv"] == 0 and math.isnan(by_day.loc["2024-06-05", "visitors"])
    assert by_day.loc["2024-06-10", "visitors"] == 40.0
    m = kpi.kpi_trend(shop, "M")
    assert m["label"].tolist() == ["2024-06"] and m["gmv"].item() == 100.0 and m["buyers"].item() == 2
    recent = kpi.kpi_trend(shop, "W", traffic=True, since="2024-06-10")
    assert recent["label"].tolist() == ["2024-W24"] and recent["orders"].tolist() == [1]
    assert recent["days"].tolist() == [1]  # still counted against the whole data's span


def test_period_kpis_comparison_decomposition_and_mix_by_hand(shop: Shop) -> None:
    k = kpi.kpi_table(shop, W23, traffic=True).iloc[0]
    assert (k["gmv"], k["net_sales"], k["orders"], k["units"], k["buyers"]) == (80.0, 50.0, 3, 7, 1)
    assert k["visitors"] == 300.0 and k["conversion_rate"] == pytest.approx(0.01)
    framed = kpi.kpi_table(shop, W23, traffic=_traffic()).iloc[0]  # the traffic frame: visitors in pandas
    assert framed["visitors"] == 300.0
    empty = kpi.kpi_table(shop, parse_period("2023-01-01", "2023-01-07"), traffic=True).iloc[0]
    assert empty["gmv"] == 0 and empty["orders"] == 0 and math.isnan(empty["aov"]) and math.isnan(empty["visitors"])
    c = kpi.compare_periods(shop, W24, W23, traffic=True).set_index("metric")
    assert c.loc["gmv", "change"] == -60.0 and c.loc["conversion_rate", "change"] == pytest.approx(0.015)
    change = kpi.gmv_change(shop, W24, W23, True).summary()
    assert change["contribution"].sum() == pytest.approx(20.0 - 80.0)
    m = kpi.category_mix(shop, None, W23, W24).set_index("category")  # products from the shop
    assert m.loc["美妆", "gmv_current"] == 40.0 and m.loc["服饰", "gmv_current"] == 40.0  # a: 10 + 30; b: 10 + 30
    assert m.loc["美妆", "share_baseline"] == 1.0 and m.loc["服饰", "share_change"] == pytest.approx(0.5)


def test_bucket_totals_counts_by_hand(shop: Shop) -> None:
    t = kpi.bucket_totals(shop, None, start="2024-06-03", end="2024-06-10").iloc[0]
    # W23: placed o1-o4 (4), not cancelled o1, o2, o4 (3), guest o4 (1), buyer c1 (1), placed value 120
    assert (t["orders_placed"], t["orders"], t["guest_orders"], t["buyers"]) == (4, 3, 1, 1)
    assert t["gmv_placed"] == 120.0 and t["list_value"] == pytest.approx(80.0 * 1.25)


def test_notebook_04_checks_on_the_engine_by_hand(shop: Shop) -> None:
    assert dq.daily_orders(shop).tolist() == [2, 1, 0, 0, 0, 0, 0, 1]  # 06-03 .. 06-10
    gaps = dq.calendar_gaps(shop)
    assert gaps[["days"]].to_dict("records") == [{"days": 5}]  # 06-05 .. 06-09
    out = dq.outliers(shop).set_index("column")
    # quantities 1, 2, 1, 1, 3, 1: median 1; ln(1 + q) quartiles ln 2 and ln 2 + 0.75 (ln 3 - ln 2)... all inside
    assert out.loc["quantity", "median"] == 1.0 and out.loc["quantity", "high"] == 0
    assert out.loc["unit_price", "median"] == pytest.approx(15.0)  # 5, 10, 10, 20, 30, 40 -> (10 + 20) / 2
    assert dq.order_days(shop) == 8


def test_outlier_quartiles_equal_the_linear_quantile_of_every_line() -> None:
    rng = np.random.default_rng(5)
    q = rng.choice([1, 1, 1, 2, 3, 7, 40, 900], size=997)
    price = np.round(rng.lognormal(3, 1, size=997), 1)
    lines = pd.DataFrame({"quantity": q, "unit_price": price})
    out = dq.outliers(lines, k=1.0).set_index("column")
    for c, x in (("quantity", q), ("unit_price", price)):
        lx = np.log(1 + x)
        q1, q3 = np.quantile(lx, [0.25, 0.75])  # numpy's linear rule over all 997 values: the reference
        iqr = max(q3 - q1, dq.MIN_LOG_IQR)
        assert out.loc[c, "median"] == pytest.approx(np.median(x), rel=1e-12)
        assert out.loc[c, "fence_high"] == pytest.approx(np.expm1(q3 + iqr), rel=1e-9)
        assert out.loc[c, "high"] == int((lx > q3 + iqr).sum()) and out.loc[c, "low"] == int((lx < q1 - iqr).sum())
        assert out.loc[c, "largest"] == ", ".join(f"{v:,.4g}" for v in np.sort(x)[::-1][:3])


def test_frame_and_path_forms_still_work(tmp_path: Path) -> None:
    folder = tiny_shop(tmp_path / "tiny")
    for source in (_lines(), str(folder / "orders.parquet")):
        t = kpi.kpi_trend(source, "W", traffic=_traffic())
        assert t["orders"].tolist() == [3, 1] and t["visitors"].tolist() == [300.0, 40.0]
    with pytest.raises(ValueError, match="traffic"):
        kpi.kpi_trend(_lines(), "W", traffic=True)  # a frame of lines has no traffic table to join


# ------------------------------------------------------------------------------------- Spark


@pytest.mark.spark
def test_kpis_are_the_same_on_duckdb_and_spark(small_shop_dir: Path, spark_engine) -> None:  # noqa: ANN001
    from opslib.data.relations import check_shop, open_shop

    tables = ["orders", "products", "traffic"]
    data = open_shop(small_shop_dir, tables, engine=spark_engine)
    assert check_shop(data) == []
    spark = lineless(Shop(small_shop_dir, available=list(data.sources), lines=data))
    duck = lineless(load_shop(small_shop_dir, tables=tables))
    current, baseline = parse_period("2025-06-01", "2025-06-28"), parse_period("2024-06-02", "2024-06-29")
    for freq in ("W", "M"):
        a, b = (kpi.kpi_trend(s, freq, traffic=True, since="2025-01-01") for s in (duck, spark))
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)
    a, b = (kpi.compare_periods(s, current, baseline, traffic=True) for s in (duck, spark))
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)
    a, b = (kpi.category_mix(s, None, current, baseline) for s in (duck, spark))
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)
    a, b = (dq.outliers(s) for s in (duck, spark))
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)
    pd.testing.assert_series_equal(dq.daily_orders(duck), dq.daily_orders(spark), check_dtype=False,
                                   check_index_type=False)
