"""KPIs and the GMV decomposition against hand-computed values on tiny frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslib import kpi
from opslib.calendar import parse_period


def _lines() -> pd.DataFrame:
    """Five orders over two ISO weeks.

    2024-06-03 (Mon, W23): o1 = c1, a 1 x 10 + b 2 x 5, completed   -> 20
                           o2 = c1, a 1 x 30, returned              -> 30 (in GMV, not in net sales)
                           o3 = c3, a 1 x 40, cancelled             -> 0  (not in GMV; placed 40)
    2024-06-04 (Tue, W23): o4 = guest, b 3 x 10, completed          -> 30
    2024-06-10 (Mon, W24): o5 = c2, a 1 x 20, completed             -> 20
    """
    rows = [
        ("o1", "2024-06-03 09:00", "c1", "a", 1, 10.0, "completed"),
        ("o1", "2024-06-03 09:00", "c1", "b", 2, 5.0, "completed"),
        ("o2", "2024-06-03 12:00", "c1", "a", 1, 30.0, "returned"),
        ("o3", "2024-06-03 18:00", "c3", "a", 1, 40.0, "cancelled"),
        ("o4", "2024-06-04 08:00", None, "b", 3, 10.0, "completed"),
        ("o5", "2024-06-10 20:00", "c2", "a", 1, 20.0, "completed"),
    ]
    df = pd.DataFrame(rows, columns=["order_id", "order_ts", "customer_id", "sku", "quantity", "unit_price",
                                     "status"])
    df["order_ts"] = pd.to_datetime(df["order_ts"])
    df["list_price"] = df["unit_price"] * 1.25
    df["channel"] = "app"
    df["region"] = "华东"
    df["campaign_id"] = None
    return df


def _traffic() -> pd.DataFrame:
    # 06-03 and 06-04: 美妆 100 + 服饰 50 a day -> 300 in week 23; 06-10: 美妆 40 -> 40 in week 24
    return pd.DataFrame({
        "date": pd.to_datetime(["2024-06-03", "2024-06-03", "2024-06-04", "2024-06-04", "2024-06-10"]),
        "category": ["美妆", "服饰", "美妆", "服饰", "美妆"],
        "visitors": [100, 50, 100, 50, 40],
        "product_views": 0, "add_to_cart": 0,
    })


def _products() -> pd.DataFrame:
    return pd.DataFrame({"sku": ["a", "b"], "name": ["A", "B"], "category": ["美妆", "服饰"],
                         "subcategory": ["x", "y"], "brand": "z", "unit_cost": [1.0, 1.0],
                         "launch_date": pd.NaT})


W23 = parse_period("2024-06-03", "2024-06-09")
W24 = parse_period("2024-06-10", "2024-06-16")


def test_scalar_metrics_by_hand() -> None:
    w23 = _lines()[W23.contains(_lines()["order_ts"])]
    assert kpi.gmv(w23) == 80.0  # 20 + 30 + 30 (o3 cancelled)
    assert kpi.net_sales(w23) == 50.0  # 20 + 30 (o2 returned)
    assert kpi.order_count(w23) == 3  # o1, o2, o4
    assert kpi.units(w23) == 7  # 1 + 2 + 1 + 3
    assert kpi.buyers(w23) == 1  # c1 (twice); o4 is a guest; c3 only cancelled
    assert kpi.aov(w23) == pytest.approx(80 / 3)
    assert kpi.units_per_order(w23) == pytest.approx(7 / 3)
    assert kpi.return_rate(w23) == pytest.approx(30 / 80)  # 0.375
    assert kpi.cancellation_rate(w23) == pytest.approx(40 / 120)  # placed 80 + 40
    assert kpi.visitors(_traffic(), W23) == 300.0  # 150 + 150 summed over categories
    assert kpi.conversion_rate(3, 300) == pytest.approx(0.01)
    assert math.isnan(kpi.conversion_rate(3, 0))


def test_metrics_from_cube_daily_frame() -> None:
    from opslib.data import cube

    daily = cube.daily_totals(_lines())
    assert kpi.gmv(daily) == 100.0  # 80 + 20
    assert kpi.order_count(daily) == 4
    assert kpi.aov(daily) == pytest.approx(25.0)
    with pytest.raises(ValueError, match="order lines"):
        kpi.cancellation_rate(daily)


def test_kpi_table_by_hand() -> None:
    k = kpi.kpi_table(_lines(), W23, traffic=_traffic())
    assert len(k) == 1
    row = k.iloc[0]
    assert row["days"] == 7 and row["period_start"] == pd.Timestamp("2024-06-03")
    assert row["gmv"] == 80.0 and row["net_sales"] == 50.0 and row["orders"] == 3 and row["units"] == 7
    assert row["buyers"] == 1
    assert row["aov"] == pytest.approx(80 / 3)
    assert row["visitors"] == 300.0
    assert row["conversion_rate"] == pytest.approx(3 / 300)
    # GMV = visitors * conversion * AOV exactly
    assert row["visitors"] * row["conversion_rate"] * row["aov"] == pytest.approx(row["gmv"])
    no_traffic = kpi.kpi_table(_lines(), W23)
    assert "conversion_rate" not in no_traffic.columns


def test_kpi_table_empty_period() -> None:
    k = kpi.kpi_table(_lines(), parse_period("2023-01-01", "2023-01-07")).iloc[0]
    assert k["gmv"] == 0 and k["orders"] == 0 and math.isnan(k["aov"])


def test_kpi_trend_weekly_by_hand() -> None:
    t = kpi.kpi_trend(_lines(), "W", traffic=_traffic())
    assert t["label"].tolist() == ["2024-W23", "2024-W24"]
    assert t["gmv"].tolist() == [80.0, 20.0]
    assert t["orders"].tolist() == [3, 1]
    assert t["buyers"].tolist() == [1, 1]  # distinct within each week
    assert t["days"].tolist() == [7, 1]  # data ends on Monday 06-10: week 24 is partial
    assert t["conversion_rate"].tolist() == pytest.approx([3 / 300, 1 / 40])
    d = kpi.kpi_trend(_lines(), "D")
    # 06-03 .. 06-10 = 8 days, empty days filled with zeros
    assert len(d) == 8 and d["gmv"].sum() == 100.0 and d.loc[d["label"] == "2024-06-05", "orders"].item() == 0
    m = kpi.kpi_trend(_lines(), "M")
    assert m["label"].tolist() == ["2024-06"] and m["gmv"].item() == 100.0
    with pytest.raises(ValueError, match="freq"):
        kpi.kpi_trend(_lines(), "Q")  # type: ignore[arg-type]


def test_compare_periods_by_hand() -> None:
    c = kpi.compare_periods(_lines(), W24, W23, traffic=_traffic()).set_index("metric")
    assert c.loc["gmv", "current"] == 20.0 and c.loc["gmv", "baseline"] == 80.0
    assert c.loc["gmv", "change"] == -60.0
    assert c.loc["gmv", "change_pct"] == pytest.approx(-0.75)  # -60 / 80
    # conversion 1/40 = 0.025 vs 3/300 = 0.01: +0.015 (1.5 pt), +150 %
    assert c.loc["conversion_rate", "change"] == pytest.approx(0.015)
    assert c.loc["conversion_rate", "change_pct"] == pytest.approx(1.5)
    assert set(c.columns) >= {"label", "current", "baseline", "change", "change_pct"}


def test_gmv_decomposition_hand_checked() -> None:
    # baseline: 1000 visitors, 20 orders, GMV 2000 -> conversion 0.02, AOV 100
    # current:  1200 visitors, 30 orders, GMV 2700 -> conversion 0.025, AOV 90
    # change 700; L = 700 / ln(2700/2000) = 700 / 0.300105 = 2332.52
    # visitors   L * ln(1.2)  = 2332.52 * 0.182322  =  425.27
    # conversion L * ln(1.25) = 2332.52 * 0.223144  =  520.49
    # AOV        L * ln(0.9)  = 2332.52 * -0.105361 = -245.76     sum = 700.00
    d = kpi.gmv_decomposition({"gmv": 2700.0, "orders": 30, "visitors": 1200},
                              {"gmv": 2000.0, "orders": 20, "visitors": 1000})
    assert d["driver"].tolist() == ["visitors", "conversion_rate", "aov"]
    assert d["contribution"].tolist() == pytest.approx([425.27, 520.49, -245.76], abs=0.01)
    assert d["contribution"].sum() == pytest.approx(700.0, abs=1e-9)
    assert d["share"].sum() == pytest.approx(1.0)
    assert d["baseline"].tolist() == pytest.approx([1000, 0.02, 100])
    assert d["current"].tolist() == pytest.approx([1200, 0.025, 90])
    assert d.attrs["change"] == 700.0


def test_gmv_decomposition_from_kpi_tables_and_errors() -> None:
    cur = kpi.kpi_table(_lines(), W24, traffic=_traffic())
    base = kpi.kpi_table(_lines(), W23, traffic=_traffic())
    d = kpi.gmv_decomposition(cur, base)
    assert d["contribution"].sum() == pytest.approx(20.0 - 80.0)
    with pytest.raises(ValueError, match="positive"):
        kpi.gmv_decomposition({"gmv": 1.0, "orders": 1, "visitors": 0}, {"gmv": 1.0, "orders": 1, "visitors": 1})
    same = kpi.gmv_decomposition({"gmv": 100.0, "orders": 2, "visitors": 10},
                                 {"gmv": 100.0, "orders": 1, "visitors": 10})
    # no GMV change: conversion doubled, AOV halved -> +100 ln2 and -100 ln2, shares undefined
    assert same["contribution"].tolist() == pytest.approx([0.0, 100 * math.log(2), -100 * math.log(2)])
    assert same["share"].isna().all()


_pos = st.floats(min_value=1.0, max_value=1e9, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(g0=_pos, g1=_pos, o0=_pos, o1=_pos, v0=_pos, v1=_pos)
def test_decomposition_sums_to_change(g0: float, g1: float, o0: float, o1: float, v0: float, v1: float) -> None:
    d = kpi.gmv_decomposition({"gmv": g1, "orders": o1, "visitors": v1}, {"gmv": g0, "orders": o0, "visitors": v0})
    change = g1 - g0
    scale = max(g0, g1) * 1e-9
    assert d["contribution"].sum() == pytest.approx(change, abs=scale)
    if abs(change) > max(g0, g1) * 1e-6:
        assert d["share"].sum() == pytest.approx(1.0, abs=1e-6)
    assert np.isfinite(d["contribution"]).all()


def test_category_mix_by_hand() -> None:
    m = kpi.category_mix(_lines(), _products(), W23, W24).set_index("category")
    # W23: 美妆 (sku a) 10 + 30 = 40, 服饰 (sku b) 10 + 30 = 40 -> 50 % each; W24: 美妆 20 -> 100 %
    assert m.loc["美妆", "gmv_current"] == 40.0 and m.loc["服饰", "gmv_current"] == 40.0
    assert m["share_current"].sum() == pytest.approx(1.0)
    assert m.loc["美妆", "share_baseline"] == 1.0 and m.loc["服饰", "share_baseline"] == 0.0
    assert m.loc["美妆", "share_change"] == pytest.approx(-0.5)
