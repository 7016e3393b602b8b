"""opslib.assortment: hand-computed values on tiny frames, then the sample shop's planted truth."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslib import assortment as cat
from opslib.data.cube import daily_sku, weekly_sku

D = pd.Timestamp


def _gmv5() -> pd.DataFrame:
    # total 100; sorted shares .50 .30 .10 .06 .04 -> cumulative .50 .80 .90 .96 1.00
    return pd.DataFrame({"sku": ["e", "c", "a", "d", "b"], "gmv": [4.0, 10.0, 50.0, 6.0, 30.0]})


# ------------------------------------------------------------------------------------------ ABC
def test_abc_default_80_15_5() -> None:
    out = cat.abc_classify(_gmv5())
    assert out["sku"].tolist() == ["a", "b", "c", "d", "e"]
    assert out["cum_share"].round(6).tolist() == [0.5, 0.8, 0.9, 0.96, 1.0]
    # .50 <= .80 A; .80 <= .80 A (boundary included); .90 <= .95 B; .96 > .95 C; 1.0 C
    assert out["abc"].tolist() == ["A", "A", "B", "C", "C"]
    assert out["rank"].tolist() == [1, 2, 3, 4, 5]
    assert out["cum_sku_share"].tolist() == [0.2, 0.4, 0.6, 0.8, 1.0]


def test_abc_thresholds_are_parameters() -> None:
    out = cat.abc_classify(_gmv5(), thresholds=(0.5, 0.9))
    # .50 <= .5 A; .80 and .90 <= .9 B; .96, 1.0 C
    assert out["abc"].tolist() == ["A", "B", "B", "C", "C"]
    with pytest.raises(ValueError):
        cat.abc_classify(_gmv5(), thresholds=(0.9, 0.5))


def test_abc_by_margin_puts_losses_in_c() -> None:
    df = pd.DataFrame({"sku": ["a", "b", "c"], "gross_margin": [60.0, -10.0, 40.0]})
    out = cat.abc_classify(df, value="gross_margin")
    # positive total 100: a .60 (A), c cum 1.00 (C), b negative -> share 0, class C
    assert out["sku"].tolist() == ["a", "c", "b"]
    assert out["share"].tolist() == [0.6, 0.4, 0.0]
    assert out["abc"].tolist() == ["A", "C", "C"]


def test_pareto_curve_and_share_of_skus() -> None:
    curve = cat.pareto_curve(_gmv5())
    assert curve["cum_sku_share"].tolist() == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert curve["cum_value_share"].round(6).tolist() == [0.0, 0.5, 0.8, 0.9, 0.96, 1.0]
    # 80% of GMV: top 2 of 5 SKUs (cum .80 >= .80) -> 0.4; 85%: needs 3 (.90) -> 0.6; 50%: 1 -> 0.2
    assert cat.share_of_skus_for(_gmv5(), 0.8) == pytest.approx(0.4)
    assert cat.share_of_skus_for(_gmv5(), 0.85) == pytest.approx(0.6)
    assert cat.share_of_skus_for(_gmv5(), 0.5) == pytest.approx(0.2)
    assert math.isnan(cat.share_of_skus_for(pd.DataFrame({"sku": ["a"], "gmv": [0.0]})))


# ------------------------------------------------------------------------------------------ XYZ
def _weekly() -> pd.DataFrame:
    w = pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"])  # Mondays
    return pd.DataFrame({
        "sku": ["a", "a", "a", "b", "b", "b", "b", "c"],
        "week": [w[0], w[2], w[3], w[0], w[1], w[2], w[3], w[0]],
        "units": [4, 8, 4, 5, 5, 5, 5, 10],
    })


def test_xyz_zero_fills_weeks_inside_the_span() -> None:
    out = cat.xyz_classify(_weekly()).set_index("sku")
    # a: weeks 4, 0, 8, 4 -> mean 4; deviations 0,-4,4,0 -> var 32/4 = 8; cv = sqrt(8)/4 = 0.7071 -> Y
    assert out.loc["a", "n_weeks"] == 4
    assert out.loc["a", "mean_weekly"] == 4.0
    assert out.loc["a", "cv"] == pytest.approx(math.sqrt(8) / 4)
    assert out.loc["a", "xyz"] == "Y"
    # b: 5,5,5,5 -> cv 0 -> X
    assert out.loc["b", "cv"] == 0.0 and out.loc["b", "xyz"] == "X"
    # c: one week of span (< min_weeks 4) -> cv NaN, Z
    assert out.loc["c", "n_weeks"] == 1 and math.isnan(out.loc["c", "cv"]) and out.loc["c", "xyz"] == "Z"


def test_xyz_span_through_period_end_and_thresholds() -> None:
    out = cat.xyz_classify(_weekly(), through="2024-01-28").set_index("sku")  # Sunday of the 4th week
    # c: 10,0,0,0 -> mean 2.5; var (7.5^2 + 3 * 2.5^2)/4 = 75/4; cv = sqrt(18.75)/2.5 = 1.7321 -> Z
    assert out.loc["c", "n_weeks"] == 4
    assert out.loc["c", "cv"] == pytest.approx(math.sqrt(18.75) / 2.5)
    assert out.loc["c", "xyz"] == "Z"
    # with (0.8, 2.0): a (.707) X, c (1.732) Y
    out2 = cat.xyz_classify(_weekly(), thresholds=(0.8, 2.0), through="2024-01-28").set_index("sku")
    assert out2.loc["a", "xyz"] == "X" and out2.loc["c", "xyz"] == "Y"


def test_abc_xyz_matrix_counts_and_shares() -> None:
    c = pd.DataFrame({"abc": ["A", "A", "B", "C"], "xyz": ["X", "X", "Z", "Z"], "gmv": [50.0, 30.0, 15.0, 5.0]})
    m = cat.abc_xyz_matrix(c).set_index(["abc", "xyz"])
    assert len(m) == 9  # every cell, empty ones with zeros
    # AX: 2 SKUs of 4 = .5, GMV 80 of 100 = .8; BZ: 1 SKU, .15; CZ: .05; AY empty
    assert m.loc[("A", "X"), "skus"] == 2 and m.loc[("A", "X"), "sku_share"] == 0.5
    assert m.loc[("A", "X"), "gmv_share"] == pytest.approx(0.8)
    assert m.loc[("B", "Z"), "gmv_share"] == pytest.approx(0.15)
    assert m.loc[("C", "Z"), "gmv"] == 5.0
    assert m.loc[("A", "Y"), "skus"] == 0 and m.loc[("A", "Y"), "gmv_share"] == 0.0


# ------------------------------------------------------------------------------------------ BCG
def _bcg_cube() -> pd.DataFrame:
    rows = [  # (date, category, subcategory, gmv)
        ("2023-01-01", "x", "x1", 100.0), ("2024-01-01", "x", "x1", 150.0),
        ("2023-01-01", "y", "y1", 120.0), ("2024-01-01", "y", "y1", 108.0),
        ("2023-01-01", "y", "y2", 80.0), ("2024-01-01", "y", "y2", 72.0),
        ("2023-01-01", "z", "z1", 50.0), ("2024-01-01", "z", "z1", 70.0),
    ]
    return pd.DataFrame(rows, columns=["date", "category", "subcategory", "gmv"]).assign(
        date=lambda d: pd.to_datetime(d["date"]))


CUR, PREV = ("2024-01-01", "2024-01-31"), ("2023-01-01", "2023-01-31")


def test_growth_share_categories() -> None:
    g = cat.growth_share(_bcg_cube(), CUR, PREV).set_index("category")
    # x 100 -> 150: +50%; y 200 -> 180: -10%; z 50 -> 70: +40%
    assert g["growth"].round(6).to_dict() == {"x": 0.5, "y": -0.1, "z": 0.4}
    # current total 400: shares .375, .45, .175; leader y, runner-up x
    assert g.loc["y", "share"] == pytest.approx(0.45)
    assert g.loc["y", "relative_share"] == pytest.approx(0.45 / 0.375)  # 1.2
    assert g.loc["x", "relative_share"] == pytest.approx(0.375 / 0.45)  # .8333
    assert g.loc["z", "relative_share"] == pytest.approx(0.175 / 0.45)  # .3889
    # growth > 0 high; relative share >= 1 high
    assert g["quadrant"].to_dict() == {"x": "问题", "y": "现金牛", "z": "问题"}
    assert g.loc["y", "quadrant_en"] == "cash cow"


def test_growth_share_thresholds_and_subcategories() -> None:
    g = cat.growth_share(_bcg_cube(), CUR, PREV, share_threshold=0.8, growth_threshold=0.45).set_index("category")
    # x: growth .5 > .45 and rel .833 >= .8 -> star; z: .4 <= .45, rel .389 -> dog; y: cash cow
    assert g["quadrant"].to_dict() == {"x": "明星", "y": "现金牛", "z": "瘦狗"}
    s = cat.growth_share(_bcg_cube(), CUR, PREV, level="subcategory", parent="category").set_index("subcategory")
    # within y: y1 108 / 180 = .6, y2 72 / 180 = .4; relative y1 .6/.4 = 1.5, y2 .4/.6 = .6667
    assert s.loc["y1", "share"] == pytest.approx(0.6)
    assert s.loc["y1", "relative_share"] == pytest.approx(1.5)
    assert s.loc["y2", "relative_share"] == pytest.approx(0.4 / 0.6)
    # x1 is alone in x: share 1, no competitor -> relative share +inf (high)
    assert s.loc["x1", "share"] == 1.0 and math.isinf(s.loc["x1", "relative_share"])
    assert s.loc["x1", "quadrant"] == "明星"
    assert s.loc["y2", "quadrant"] == "瘦狗"  # -10%, .667


def test_growth_share_new_group_has_infinite_growth() -> None:
    cube = pd.concat([_bcg_cube(), pd.DataFrame({"date": [D("2024-01-02")], "category": ["new"],
                                                 "subcategory": ["n1"], "gmv": [10.0]})])
    g = cat.growth_share(cube, CUR, PREV).set_index("category")
    assert math.isinf(g.loc["new", "growth"]) and g.loc["new", "quadrant"] == "问题"


# ------------------------------------------------------------------------------------ DuckDB cubes
def _lines() -> pd.DataFrame:
    return pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o4"],
        "order_ts": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 09:00", "2024-01-07 23:00",
                                    "2024-01-08 10:00", "2024-01-09 10:00"]),
        "customer_id": ["c1", "c1", "c2", None, "c3"],
        "sku": ["a", "b", "a", "a", "b"],
        "quantity": [2, 1, 1, 3, 4],
        "unit_price": [10.0, 50.0, 9.0, 10.0, 50.0],
        "list_price": [12.0, 50.0, 12.0, 12.0, 60.0],
        "channel": "app", "region": "华东",
        "status": ["completed", "returned", "completed", "cancelled", "completed"],
        "campaign_id": None,
    })


def _products() -> pd.DataFrame:
    return pd.DataFrame({"sku": ["a", "b"], "name": ["甲", "乙"], "category": ["美妆", "家电"],
                         "subcategory": ["护肤", "厨房电器"], "brand": "x", "unit_cost": [4.0, 30.0],
                         "launch_date": pd.to_datetime(["2023-01-01", "2023-06-01"])})


def test_weekly_sku_monday_weeks_without_cancelled() -> None:
    w = weekly_sku(_lines(), _products())
    # week of 2024-01-01: a 2 + 1 = 3 units, 2*10 + 9 = 29; b 1 unit, 50 (returned still counts)
    # week of 2024-01-08: a's line is cancelled -> absent; b 4 units, 200
    got = {(r.week, r.sku): (r.units, r.gmv, r.category) for r in w.itertuples()}
    assert got == {(D("2024-01-01"), "a"): (3, 29.0, "美妆"), (D("2024-01-01"), "b"): (1, 50.0, "家电"),
                   (D("2024-01-08"), "b"): (4, 200.0, "家电")}


def test_sku_summary_from_the_daily_cube() -> None:
    s = cat.sku_summary(daily_sku(_lines(), _products())).set_index("sku")
    # b: gmv 50 + 200 = 250; net 200 (the returned line drops); list 50 + 240 = 290 -> discount 40;
    #    returns 250 - 200 = 50; cost 4 completed units * 30 = 120; margin 200 - 120 = 80, rate .4
    assert s.loc["b", ["gmv", "net_sales", "discount", "returns", "cost", "gross_margin"]].tolist() == [
        250.0, 200.0, 40.0, 50.0, 120.0, 80.0]
    assert s.loc["b", "margin_rate"] == pytest.approx(0.4)
    # a: gmv 20 + 9 = 29, all completed; cost 3 * 4 = 12; margin 17; avg price 29 / 3 units
    assert s.loc["a", ["gmv", "cost", "gross_margin", "units"]].tolist() == [29.0, 12.0, 17.0, 3]
    assert s.loc["a", "avg_price"] == pytest.approx(29 / 3)
    assert s.loc["a", "category"] == "美妆" and s.index.tolist() == ["b", "a"]  # by gmv
    # b's 2024-01-01 has only a returned line: cube cost is NULL, counted as 0 -> cost known
    p = cat.sku_summary(daily_sku(_lines(), _products()), period=("2024-01-01", "2024-01-07")).set_index("sku")
    assert p.loc["b", "cost"] == 0.0 and p.loc["b", "gross_margin"] == 0.0 and p.loc["a", "gmv"] == 29.0


# ------------------------------------------------------------------------------ margin, price bands
def _skus() -> pd.DataFrame:
    return pd.DataFrame({
        "sku": ["a", "b", "c"], "category": ["x", "x", "y"],
        "list_value": [120.0, 50.0, 200.0], "discount": [20.0, 0.0, 40.0], "gmv": [100.0, 50.0, 160.0],
        "returns": [10.0, 5.0, 0.0], "net_sales": [90.0, 45.0, 160.0], "cost": [60.0, np.nan, 120.0],
        "gross_margin": [30.0, np.nan, 40.0], "avg_price": [10.0, 25.0, 80.0],
    })


def test_margin_structure_by_category() -> None:
    m = cat.margin_structure(_skus()).set_index("category")
    # x: list 170, discount 20, gmv 150, returns 15, net 135, cost 60 (b unknown), margin 90 - 60 = 30
    assert m.loc["x", ["list_value", "discount", "gmv", "returns", "net_sales", "cost", "gross_margin"]].tolist() == [
        170.0, 20.0, 150.0, 15.0, 135.0, 60.0, 30.0]
    assert m.loc["x", "discount_rate"] == pytest.approx(20 / 170)
    assert m.loc["x", "return_rate"] == pytest.approx(15 / 150)
    assert m.loc["x", "margin_rate"] == pytest.approx(30 / 90)  # over net sales with known cost
    assert m.loc["x", "cost_coverage"] == pytest.approx(90 / 135)
    # y: margin 160 - 120 = 40, rate .25; shop margin 70 -> contribution 30/70, 40/70; gmv share 150/310
    assert m.loc["y", "margin_rate"] == pytest.approx(0.25)
    assert m.loc["x", "contribution"] == pytest.approx(30 / 70)
    assert m.loc["y", "contribution"] == pytest.approx(40 / 70)
    assert m.loc["x", "gmv_share"] == pytest.approx(150 / 310)
    assert m.index.tolist() == ["y", "x"]  # by gmv


def test_price_bands_fixed_and_quantile() -> None:
    b = cat.price_bands(_skus(), [0, 20, 100]).set_index("band")
    # [0,20): a (gmv 100, margin 30); [20,100): b (gmv 50, margin unknown -> 0) + c (160, 40)
    assert b.loc["[0, 20)", "gmv"] == 100.0 and b.loc["[20, 100)", "gmv"] == 210.0
    assert b.loc["[0, 20)", "gmv_share"] == pytest.approx(100 / 310)
    assert b.loc["[20, 100)", "margin_share"] == pytest.approx(40 / 70)
    assert b.loc["[20, 100)", "margin_rate"] == pytest.approx(40 / 205)  # 40 / (45 + 160)
    assert b.loc["[20, 100)", "skus"] == 2
    q = cat.price_bands(_skus().assign(avg_price=[10.0, 20.0, 30.0]), 3)
    # three SKUs, three quantile bands: one each, in price order
    assert q["skus"].tolist() == [1, 1, 1] and q["gmv"].tolist() == [100.0, 50.0, 160.0]


# ------------------------------------------------------------------------------------ new products
def _launch() -> tuple[pd.DataFrame, pd.DataFrame]:
    wk = pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"])
    weekly = pd.DataFrame({
        "sku": ["o1", "o1", "o2", "o2", "n1", "n1", "n2"],
        "week": [wk[0], wk[1], wk[0], wk[1], wk[1], wk[3], wk[2]],
        "units": [10, 10, 4, 4, 2, 9, 3],
    })
    products = pd.DataFrame({"sku": ["o1", "o2", "n1", "n2"], "category": "x",
                             "launch_date": pd.to_datetime(["2023-01-01", "2023-01-01", "2024-01-10", "2024-01-15"])})
    return weekly, products


def test_launch_cohorts_by_weeks_since_launch() -> None:
    weekly, products = _launch()
    c = cat.launch_cohorts(weekly, products, "2024-01-01", cohort_freq="M")
    # n1 launched 01-10 (week 01-08): weeks 0..2 = 2, 0, 9; n2 launched 01-15 (week 01-15): weeks 0..1 = 3, 0
    # week 0: 2 SKUs, 5 units -> 2.5; week 1: 2 SKUs, 0 -> 0; week 2: only n1 observed, 9
    assert c["cohort"].unique().tolist() == ["2024-01"]
    assert c["skus"].tolist() == [2, 2, 1]
    assert c["units_per_sku"].tolist() == [2.5, 0.0, 9.0]
    assert c["cum_units_per_sku"].tolist() == [2.5, 2.5, 11.5]


def test_time_to_category_median() -> None:
    weekly, products = _launch()
    t = cat.time_to_category_median(weekly, products, "2024-01-01").set_index("sku")
    # mean weekly units over spans: o1 10, o2 4, n1 (2,0,9) 11/3, n2 3 -> median of 10, 4, 3.667, 3 = 3.833
    bench = (4 + 11 / 3) / 2
    assert t.loc["n1", "benchmark"] == pytest.approx(bench)
    # n1: 2 < 3.83, 0, 9 >= 3.83 -> week 2; n2: 3, 0 never -> NaN, observed 2 weeks
    assert t.loc["n1", "weeks_to_median"] == 2.0 and bool(t.loc["n1", "reached"])
    assert math.isnan(t.loc["n2", "weeks_to_median"]) and not t.loc["n2", "reached"]
    assert t.loc["n2", "weeks_observed"] == 2
    assert "o1" not in t.index


# --------------------------------------------------------------------------------------- actions
def test_sku_growth() -> None:
    cube = pd.DataFrame({"date": pd.to_datetime(["2023-01-05", "2024-01-05", "2024-01-06", "2023-01-09"]),
                         "sku": ["a", "a", "b", "c"], "gmv": [80.0, 100.0, 5.0, 7.0]})
    g = cat.sku_growth(cube, CUR, PREV).set_index("sku")
    # a: 100/80 - 1 = .25; b: no previous -> NaN; c: 0/7 - 1 = -1
    assert g.loc["a", "growth"] == pytest.approx(0.25)
    assert math.isnan(g.loc["b", "growth"])
    assert g.loc["c", "growth"] == -1.0


def _scorecard() -> pd.DataFrame:
    return pd.DataFrame({
        "sku": ["dead", "short", "loss", "fade", "thin", "star", "plain"],
        "category": "x",
        "gmv": [0.0, 500.0, 10.0, 8.0, 400.0, 60.0, 30.0],
        "abc": ["C", "A", "C", "C", "A", "B", "B"],
        "xyz": ["Z", "X", "Y", "Z", "X", "Y", "X"],
        "gross_margin": [0.0, 150.0, -2.0, 1.0, 20.0, 18.0, 9.0],
        "margin_rate": [np.nan, 0.3, -0.2, 0.12, 0.05, 0.3, 0.3],
        "growth": [np.nan, 0.1, 0.0, -0.5, 0.0, 0.4, 0.05],
        "on_hand": [40, 0, 5, 5, 300, 50, 50],
        "days_of_supply": [np.inf, 0.0, 30.0, 40.0, 60.0, 30.0, 30.0],
        "stockout_days": [0, 6, 0, 0, 0, 0, 0],
        "dead_stock": [True, False, False, False, False, False, False],
        "weeks_since_last_sale": [10.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0],
    })


def test_action_table_rules_in_order() -> None:
    t = cat.action_table(_scorecard()).set_index("sku")
    # dead: dead stock -> clear; short: A with 6 stock-out days -> replenish; loss: C, margin -2 -> drop;
    # fade: C, growth -50% <= -30%, Z -> drop; thin: A, 5% < 10% -> fix; star: +40% >= 20%, 30% -> grow
    assert t["action"].to_dict() == {"dead": "clear", "short": "replenish", "loss": "drop", "fade": "drop",
                                     "thin": "fix", "star": "grow", "plain": "keep"}
    assert t.loc["short", "action_cn"] == "补货"
    assert t.loc["short", "rule"] == "A 类且本期缺货 6 天、库存仅够 0.0 天 < 14 天"
    assert "毛利率 5.0% < 10%" in t.loc["thin", "rule"]
    assert "-50%" in t.loc["fade", "rule"]
    assert t.index.tolist()[:2] == ["dead", "short"]  # sorted by action
    # without inventory columns, inventory rules do not fire
    t2 = cat.action_table(_scorecard().drop(columns=["dead_stock", "stockout_days", "days_of_supply"]))
    assert t2.set_index("sku").loc["short", "action"] == "keep"
    # thresholds are parameters: min margin 2% -> thin is no longer fixed
    t3 = cat.action_table(_scorecard(), min_margin_rate=0.02).set_index("sku")
    assert t3.loc["thin", "action"] == "keep"


def test_sku_scorecard_joins_and_adds_stocked_skus() -> None:
    skus = pd.DataFrame({"sku": ["a", "b"], "gmv": [10.0, 5.0], "gross_margin": [3.0, 1.0]})
    abc = pd.DataFrame({"sku": ["a", "b"], "abc": ["A", "B"]})
    inv = pd.DataFrame({"sku": ["a", "z"], "on_hand": [5, 9], "dead_stock": [False, True]})
    sc = cat.sku_scorecard(skus, abc=abc, inventory=inv).set_index("sku")
    assert sc.index.tolist() == ["a", "b", "z"]
    assert sc.loc["z", "gmv"] == 0.0 and sc.loc["z", "abc"] == "C" and bool(sc.loc["z", "dead_stock"])


def test_export_actions_csv_with_bom_and_xlsx(tmp_path) -> None:
    t = cat.action_table(_scorecard())
    csv = cat.export_actions(t, tmp_path / "out" / "actions.csv")
    assert csv.read_bytes()[:3] == b"\xef\xbb\xbf"
    back = pd.read_csv(csv, encoding="utf-8-sig")
    assert back["action_cn"].tolist() == t["action_cn"].tolist()
    xlsx = cat.export_actions(t, tmp_path / "actions.xlsx")
    ws = openpyxl.load_workbook(xlsx)["actions"]
    header = [c.value for c in ws[1]]
    assert header[header.index("action_cn")] == "action_cn"
    assert ws.cell(row=3, column=header.index("action_cn") + 1).value == "补货"
    with pytest.raises(ValueError):
        cat.export_actions(t, tmp_path / "actions.json")


# ------------------------------------------------------------------------- the sample shop's truth
def _periods(cube: pd.DataFrame, days: int = 91) -> tuple[tuple, tuple]:
    end = cube["date"].max()
    cur = (end - pd.Timedelta(days=days - 1), end)
    prev = (cur[0] - pd.Timedelta(days=364), cur[1] - pd.Timedelta(days=364))
    return cur, prev


def test_planted_growing_and_declining_categories_land_in_growth_quadrants(small_shop_dir, small_truth) -> None:
    from opslib.data import load_shop

    shop = load_shop(small_shop_dir, tables=["orders", "products"])
    cube = daily_sku(shop.orders, shop.products)
    cur, prev = _periods(cube)
    g = cat.growth_share(cube, cur, prev).set_index("category")
    grow, decline = small_truth["growing_category"], small_truth["declining_category"]
    print("growth by category:", g["growth"].round(3).to_dict())
    assert g.loc[grow, "growth"] > 0 and g.loc[grow, "quadrant"] in ("明星", "问题")
    assert g.loc[decline, "growth"] < 0 and g.loc[decline, "quadrant"] in ("现金牛", "瘦狗")
    # planted roles agree in sign with measured growth for every growing/declining category
    for name, spec in small_truth["categories"].items():
        if spec.get("role") == "growing":
            assert g.loc[name, "growth"] > 0, name
        elif spec.get("role") == "declining":
            assert g.loc[name, "growth"] < 0, name


# ---- invariants (hypothesis) ---------------------------------------------------------------------

_gmv_lists = st.lists(st.floats(min_value=0.01, max_value=1e6, allow_nan=False), min_size=1, max_size=60)
_thresholds = st.tuples(st.floats(0.05, 1.0), st.floats(0.05, 1.0)).map(sorted)


@settings(max_examples=150, deadline=None)
@given(values=_gmv_lists, th=_thresholds)
def test_abc_shares_sum_to_one_and_classes_are_monotone_in_rank(values: list[float], th: list[float]) -> None:
    frame = pd.DataFrame({"sku": [f"s{i:03d}" for i in range(len(values))], "gmv": values})
    out = cat.abc_classify(frame, thresholds=tuple(th))
    assert out["share"].sum() == pytest.approx(1.0)
    assert out["cum_share"].iloc[-1] == pytest.approx(1.0)
    order = {"A": 0, "B": 1, "C": 2}
    classes = out.sort_values("rank")["abc"].map(order).to_numpy()
    assert (np.diff(classes) >= 0).all(), "a lower-ranked SKU got a better class"
    assert (out["gmv"].diff().dropna() <= 0).all()  # rank 1 is the largest


@settings(max_examples=100, deadline=None)
@given(values=_gmv_lists)
def test_pareto_curve_runs_from_origin_to_one_and_is_concave(values: list[float]) -> None:
    frame = pd.DataFrame({"sku": [f"s{i:03d}" for i in range(len(values))], "gmv": values})
    curve = cat.pareto_curve(frame)
    assert curve["cum_sku_share"].iloc[0] == 0 and curve["cum_value_share"].iloc[0] == 0
    assert curve["cum_value_share"].iloc[-1] == pytest.approx(1.0)
    # Largest first: every SKU adds no more share than the one before it.
    steps = np.diff(curve["cum_value_share"].to_numpy())
    assert (np.diff(steps) <= 1e-12).all()
