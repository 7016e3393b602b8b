"""Campaign money, DiD, lookups and error messages against hand-computed values on tiny frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslib import campaigns as cp


def _campaigns() -> pd.DataFrame:
    return pd.DataFrame({
        "campaign_id": ["CMP_2024_618", "CMP_2024_FS1", "CMP_2024_1111"],
        "name": ["2024 618", "2024 flash", "2024 双11"],
        "kind": ["festival", "flash_sale", "festival"],
        "start": pd.to_datetime(["2024-06-01", "2024-07-10", "2024-11-01"]),
        "end": pd.to_datetime(["2024-06-18", "2024-07-12", "2024-11-11"]),
        "discount_depth": [0.18, 0.3, 0.2], "scope_type": ["all", "sku", "all"],
        "scope": [None, "A|B", None], "marketing_spend": [1000.0, 100.0, 0.0]})


def test_money_by_hand():
    # 100 units sold for 8,000 (list 10,000); without the campaign 60 units at 100 each; cost 50 per unit.
    m = cp.campaign_money(units_obs=100, gmv_obs=8000, units_cf=60, price_base=100, unit_cost=50,
                          marketing_spend=1000, list_value_obs=10000, discount_per_unit_base=5,
                          pull_forward_units=10, cannibalised_units=4, sibling_margin_per_unit=30)
    assert m.incremental_units == 40
    assert m.incremental_gmv == 8000 - 60 * 100  # 2,000
    assert m.incremental_margin == (8000 - 100 * 50) - 60 * (100 - 50)  # 0
    assert m.discount_cost == (10000 - 8000) - 100 * 5  # 1,500
    assert m.pull_forward_margin == 10 * 50
    assert m.cannibalised_margin == 4 * 30
    assert m.net_profit == 0 - 500 - 120 - 1000  # -1,620
    assert m.roi == pytest.approx(-1620 / 1000)
    assert m.incremental_roas == pytest.approx(2.0)
    assert m.naive_roas == pytest.approx(8.0)


def test_money_without_spend_has_no_ratio():
    m = cp.campaign_money(units_obs=10, gmv_obs=900, units_cf=5, price_base=100, unit_cost=40)
    assert m.incremental_margin == (900 - 400) - 5 * 60  # 200
    assert m.roi is None and m.incremental_roas is None


def test_did_2x2_and_regression_by_hand():
    assert cp.did_2x2(10, 18, 20, 24) == 4.0
    # Two rows per cell; cell means T: 10 -> 18, C: 20 -> 24; residuals +-1 in every cell.
    p = pd.DataFrame({"y": [9, 11, 17, 19, 19, 21, 23, 25], "treated": [1, 1, 1, 1, 0, 0, 0, 0],
                      "post": [0, 0, 1, 1, 0, 0, 1, 1]})
    r = cp.did_regression(p, confidence=0.95)
    assert r.estimate == pytest.approx(4.0)
    # Saturated 2x2 model: HC1 variance of the interaction = n/(n-k) * sum over cells of sum(e^2)/n_c^2
    # = 8/4 * 4 * (2 / 4) = 4, so se = 2.
    assert r.se == pytest.approx(2.0)
    assert r.ci_low == pytest.approx(4 - 1.959964 * 2, rel=1e-5)
    assert r.n == 8


def test_get_campaign_and_latest():
    c = _campaigns()
    assert cp.get_campaign(c).campaign_id == "CMP_2024_1111"
    fs = cp.get_campaign(c, "CMP_2024_FS1")
    assert fs.scope == ("A", "B") and fs.days == 3 and fs.marketing_spend == 100


def test_unknown_campaign_lists_close_matches():
    with pytest.raises(cp.CampaignError) as e:
        cp.get_campaign(_campaigns(), "CMP_2024_61")
    msg = str(e.value)
    assert "CMP_2024_61" in msg and "CMP_2024_618" in msg and "Did you mean" in msg
    assert isinstance(e.value, ValueError)


def test_scope_and_siblings():
    prod = pd.DataFrame({"sku": ["A", "B", "C", "D"], "category": ["x", "x", "x", "y"],
                         "subcategory": ["x1", "x1", "x1", "y1"]})
    fs = cp.get_campaign(_campaigns(), "CMP_2024_FS1")
    assert cp.scope_skus(fs, prod) == ["A", "B"]
    assert cp.sibling_skus(fs, prod) == ["C"]
    assert cp.sibling_skus(cp.get_campaign(_campaigns(), "CMP_2024_618"), prod) == []


def test_periods_and_overlaps():
    c = _campaigns()
    fs = cp.get_campaign(c, "CMP_2024_FS1")
    per = cp.campaign_periods(fs, pre_days=56, post_days=14)
    assert per["pre"] == (pd.Timestamp("2024-05-15"), pd.Timestamp("2024-07-09"))
    assert per["post"] == (pd.Timestamp("2024-07-13"), pd.Timestamp("2024-07-26"))
    ov = cp.overlapping_campaigns(c, fs, 56, 14)
    assert ov["campaign_id"].tolist() == ["CMP_2024_618"] and ov["where"].tolist() == ["pre"]


def _toy_cube(days: int = 120, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two categories; SKU A (category x) gets +20 units a day from 2024-04-20 for 3 days."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days)
    rows = []
    for sku, cat, sub, lam in [("A", "x", "x1", 30), ("B", "x", "x1", 30), ("C", "y", "y1", 60)]:
        u = rng.poisson(lam, days).astype(float)
        if sku == "A":
            u[(dates >= "2024-04-20") & (dates <= "2024-04-22")] += 20
        rows.append(pd.DataFrame({"date": dates, "sku": sku, "category": cat, "subcategory": sub, "units": u,
                                  "units_net": u, "orders": u, "gmv": u * 10, "list_value": u * 12, "cost": u * 6}))
    prod = pd.DataFrame({"sku": ["A", "B", "C"], "category": ["x", "x", "y"], "subcategory": ["x1", "x1", "y1"]})
    return pd.concat(rows, ignore_index=True), prod


def _toy_campaigns(**kw) -> pd.DataFrame:
    row = {"campaign_id": "CMP_T", "name": "toy", "kind": "flash_sale", "start": pd.Timestamp("2024-04-20"),
           "end": pd.Timestamp("2024-04-22"), "discount_depth": 0.2, "scope_type": "sku", "scope": "A",
           "marketing_spend": 100.0}
    row.update(kw)
    return pd.DataFrame([row])


def test_evaluate_toy_campaign_finds_the_planted_60_units():
    cube, prod = _toy_cube()
    ev = cp.evaluate_campaign(cube, _toy_campaigns(), prod, "CMP_T", halo=False)
    w = ev.effects.set_index("segment").loc["window"]
    assert w["low"] <= 60 <= w["high"]
    assert abs(w["effect"] - 60) < 25
    assert ev.did is not None and ev.did.low <= 60 <= ev.did.high
    assert ev.money.incremental_units == pytest.approx(w["effect"])
    assert set(ev.side_effects["effect"]) >= {"pull_forward", "cannibalisation", "stock_up"}


def test_shop_wide_dip_after_the_window_is_not_pull_forward():
    # Every SKU sells 45% less in the 14 days after the window (a Spring-Festival-like slowdown) and
    # nothing was pulled forward: the counterfactual must follow the untreated control down.
    rng = np.random.default_rng(3)
    dates = pd.date_range("2024-01-01", periods=130)
    slow = np.where((dates >= "2024-04-23") & (dates <= "2024-05-06"), 0.55, 1.0)
    rows = []
    for sku, cat, sub, lam in [("A", "x", "x1", 30), ("B", "x", "x1", 30), ("C", "y", "y1", 60)]:
        u = rng.poisson(lam * slow).astype(float)
        if sku == "A":
            u[(dates >= "2024-04-20") & (dates <= "2024-04-22")] += 20
        rows.append(pd.DataFrame({"date": dates, "sku": sku, "category": cat, "subcategory": sub, "units": u,
                                  "units_net": u, "orders": u, "gmv": u * 10, "list_value": u * 12, "cost": u * 6}))
    cube = pd.concat(rows, ignore_index=True)
    prod = pd.DataFrame({"sku": ["A", "B", "C"], "category": ["x", "x", "y"], "subcategory": ["x1", "x1", "y1"]})
    ev = cp.evaluate_campaign(cube, _toy_campaigns(), prod, "CMP_T", halo=False)
    pf = ev.side_effects.set_index("effect").loc["pull_forward"]
    assert pf["low"] <= 0 <= pf["high"]  # the dip (about 14 x 30 x 0.45 = 190 units) is the shop's, not the campaign's
    assert abs(pf["units"]) < 60
    assert any("pre-period ratio" in n for n in ev.impact.notes)
    w = ev.effects.set_index("segment").loc["window"]
    assert w["low"] <= 60 <= w["high"]


def test_too_little_pre_period_is_a_clear_error():
    cube, prod = _toy_cube()
    camps = _toy_campaigns(start=pd.Timestamp("2024-01-10"), end=pd.Timestamp("2024-01-12"))
    with pytest.raises(cp.CampaignError, match="CMP_T.*at least"):
        cp.evaluate_campaign(cube, camps, prod, "CMP_T", halo=False)


def test_overlap_after_the_window_cuts_the_post_period_or_is_refused():
    # CMP_O on the same SKU starts 2024-04-25, inside CMP_T's 14 post days (04-23 .. 05-06).
    cube, prod = _toy_cube()
    other = _toy_campaigns(campaign_id="CMP_O", start=pd.Timestamp("2024-04-25"), end=pd.Timestamp("2024-04-26"))
    camps = pd.concat([_toy_campaigns(), other], ignore_index=True)
    with pytest.raises(cp.CampaignError, match="CMP_T.*overlaps CMP_O"):
        cp.evaluate_campaign(cube, camps, prod, "CMP_T", halo=False, overlap="raise")
    ev = cp.evaluate_campaign(cube, camps, prod, "CMP_T", halo=False)
    # the pull-forward is measured on 04-23 .. 04-24 only, the day before CMP_O starts
    assert ev.periods["post"] == (pd.Timestamp("2024-04-23"), pd.Timestamp("2024-04-24"))
    assert any("post-period cut at 2024-04-24" in n for n in ev.notes)
    assert ev.overlaps.set_index("campaign_id").loc["CMP_O", "scope_share"] == 1.0
    w = ev.effects.set_index("segment").loc["window"]
    assert w["low"] <= 60 <= w["high"]


def test_pre_period_overlap_is_set_aside_or_refused():
    cube, prod = _toy_cube()
    early = _toy_campaigns(campaign_id="CMP_E", start=pd.Timestamp("2024-03-20"), end=pd.Timestamp("2024-03-21"))
    camps = pd.concat([_toy_campaigns(), early], ignore_index=True)
    with pytest.raises(cp.CampaignError, match="CMP_E.*pre-period"):
        cp.evaluate_campaign(cube, camps, prod, "CMP_T", halo=False, overlap="raise")
    ev = cp.evaluate_campaign(cube, camps, prod, "CMP_T", halo=False)
    assert any("CMP_E" in n for n in ev.notes)
    # 2 window days + 14 after-days set aside (2024-03-20 .. 04-04), plus China's Qingming holiday 04-04 .. 04-06
    masked = ev.impact.series.loc[ev.impact.series["masked"]].index
    assert masked.min() == pd.Timestamp("2024-03-20") and pd.Timestamp("2024-04-04") in masked
    with pytest.raises(cp.CampaignError, match="overlap 'sometimes' is not understood"):
        cp.evaluate_campaign(cube, camps, prod, "CMP_T", halo=False, overlap="sometimes")


# ------------------------------------------------------------------------------------------ ad hoc


def _products() -> pd.DataFrame:
    return pd.DataFrame({"sku": ["A", "B", "C", "D"], "category": ["美妆", "美妆", "服饰", "服饰"],
                         "subcategory": ["护肤", "彩妆", "女装", "男装"]})


def _orders() -> pd.DataFrame:
    """Six lines around the window 2024-06-01..2024-06-02; only non-cancelled lines inside it count."""
    return pd.DataFrame({
        "order_ts": pd.to_datetime(["2024-05-31 23:59", "2024-06-01 00:00", "2024-06-01 12:00", "2024-06-02 23:59",
                                    "2024-06-02 08:00", "2024-06-03 00:00"]),
        "sku": ["A", "A", "B", "C", "A", "A"],
        "quantity": [9, 2, 1, 4, 7, 9],
        "unit_price": [1.0, 80.0, 30.0, 45.0, 1.0, 1.0],
        "list_price": [100.0, 100.0, 50.0, 50.0, 100.0, 100.0],
        "status": ["completed", "completed", "returned", "completed", "cancelled", "completed"]})


@pytest.mark.parametrize(("text", "expected"), [
    (None, ("all", None)), ("", ("all", None)), (" ALL ", ("all", None)),
    ("category:美妆|服饰", ("category", "美妆|服饰")), ("Category： 美妆 | 护肤 |", ("category", "美妆|护肤")),
    ("sku:A|B|A", ("sku", "A|B")),
])
def test_parse_scope(text, expected):
    assert cp.parse_scope(text) == expected


@pytest.mark.parametrize("text", ["美妆", "brand:花漾", "category:", "sku: | "])
def test_parse_scope_rejects_unknown_forms(text):
    with pytest.raises(cp.CampaignError, match="category:美妆"):
        cp.parse_scope(text)


def test_adhoc_row_is_contract_shaped():
    from opslib.data.contract import CAMPAIGNS

    row = cp.adhoc_campaign("2024-06-01", "2024-06-02", "category:美妆", products=_products(), orders=_orders(),
                            marketing_spend=500)
    assert row.columns.tolist() == CAMPAIGNS.column_names and len(row) == 1
    r = row.iloc[0]
    assert r["campaign_id"] == "ADHOC_2024-06-01_2024-06-02"
    assert (r["scope_type"], r["scope"], r["kind"], r["marketing_spend"]) == ("category", "美妆", "other", 500.0)
    assert r["start"] == pd.Timestamp("2024-06-01") and r["end"] == pd.Timestamp("2024-06-02")
    # 美妆 = A, B. In the window, not cancelled: A 2 x 80 (list 100), B 1 x 30 (list 50; returned still counts).
    # 1 - (160 + 30) / (200 + 50) = 1 - 190/250 = 0.24
    assert r["discount_depth"] == pytest.approx(0.24)
    c = cp.get_campaign(row)
    assert c.scope == ("美妆",) and c.days == 2 and cp.scope_skus(c, _products()) == ["A", "B"]


def test_adhoc_discount_estimates_by_hand():
    o, p = _orders(), _products()
    # all SKUs: A 2x80/100, B 1x30/50, C 4x45/50 -> 1 - (160 + 30 + 180) / (200 + 50 + 200) = 1 - 370/450
    all_ = cp.adhoc_campaign("2024-06-01", "2024-06-02", orders=o, products=p)
    assert all_.loc[0, "discount_depth"] == pytest.approx(1 - 370 / 450)
    assert all_.loc[0, "scope_type"] == "all" and pd.isna(all_.loc[0, "scope"])
    # sku C alone, without products: 1 - 180/200 = 0.1
    assert cp.adhoc_campaign("2024-06-01", "2024-06-02", "sku:C", orders=o).loc[0, "discount_depth"] == pytest.approx(0.1)
    # subcategory 护肤 = A: 1 - 160/200 = 0.2; a given depth is kept as is
    assert cp.adhoc_campaign("2024-06-01", "2024-06-02", "category:护肤", orders=o, products=p
                             ).loc[0, "discount_depth"] == pytest.approx(0.2)
    assert cp.adhoc_campaign("2024-06-01", "2024-06-02", orders=o, discount_depth=0.5).loc[0, "discount_depth"] == 0.5
    # no orders, no depth: unknown
    assert np.isnan(cp.adhoc_campaign("2024-06-01", "2024-06-02").loc[0, "discount_depth"])


def test_adhoc_errors_are_clear():
    o, p = _orders(), _products()
    with pytest.raises(cp.CampaignError, match="end 2024-06-01 is before start 2024-06-02"):
        cp.adhoc_campaign("2024-06-02", "2024-06-01")
    with pytest.raises(cp.CampaignError, match="start '2024-13-45' is not a date"):
        cp.adhoc_campaign("2024-13-45", "2024-06-01")
    with pytest.raises(cp.CampaignError, match="end 'yesterday' is not a date"):
        cp.adhoc_campaign("2024-06-01", "yesterday")
    with pytest.raises(cp.CampaignError, match="not understood"):
        cp.adhoc_campaign("2024-06-01", "2024-06-02", "brand:花漾")
    with pytest.raises(cp.CampaignError) as e:
        cp.adhoc_campaign("2024-06-01", "2024-06-02", "category:美妆|数码", products=p)
    assert "'数码'" in str(e.value) and "美妆 (彩妆/护肤)" in str(e.value) and "服饰 (女装/男装)" in str(e.value)
    with pytest.raises(cp.CampaignError, match=r"SKU 'X'.*4 SKUs"):
        cp.adhoc_campaign("2024-06-01", "2024-06-02", "sku:A|X", products=p)
    with pytest.raises(cp.CampaignError, match="sold nothing"):
        cp.adhoc_campaign("2024-07-01", "2024-07-02", "sku:D", products=p, orders=o)
    with pytest.raises(cp.CampaignError, match="kind"):
        cp.adhoc_campaign("2024-06-01", "2024-06-02", kind="618")
    with pytest.raises(cp.CampaignError, match="0..1"):
        cp.adhoc_campaign("2024-06-01", "2024-06-02", discount_depth=20)


def test_with_adhoc_appends_or_stands_alone():
    row = cp.adhoc_campaign("2024-08-01", "2024-08-03", "sku:A|B", discount_depth=0.1)
    alone = cp.with_adhoc(None, row)
    assert alone["campaign_id"].tolist() == ["ADHOC_2024-08-01_2024-08-03"]
    both = cp.with_adhoc(_campaigns(), row)
    assert len(both) == 4 and both["campaign_id"].iloc[-1] == "ADHOC_2024-08-01_2024-08-03"
    assert cp.with_adhoc(both, row)["campaign_id"].tolist() == both["campaign_id"].tolist()  # replaced, not doubled
    ov = cp.overlapping_campaigns(both, cp.get_campaign(both, "ADHOC_2024-08-01_2024-08-03"), 56, 14)
    # pre-period 2024-06-06..07-31 holds 618's 14 days after (to 07-02) and the flash sale 07-10..12
    assert ov["campaign_id"].tolist() == ["CMP_2024_618", "CMP_2024_FS1"] and set(ov["where"]) == {"pre"}


def test_choose_campaign():
    p = _products()
    assert cp.choose_campaign(_campaigns(), p, "CMP_2024_FS1")[1:] == ("CMP_2024_FS1", [])
    table, cid, msgs = cp.choose_campaign(_campaigns(), p, "CMP_2024_FS1", "2024-08-01", "2024-08-03", "sku:A")
    assert cid == "ADHOC_2024-08-01_2024-08-03" and len(table) == 4
    assert "start/end win over campaign_id" in msgs[0] and "CMP_2024_FS1" in msgs[0]
    table, cid, msgs = cp.choose_campaign(None, p, None, "2024-08-01", "2024-08-03")
    assert len(table) == 1 and cp.get_campaign(table, cid).scope_type == "all"
    assert "no campaigns table" in msgs[-1]
    with pytest.raises(cp.CampaignError, match="start is given but end is not"):
        cp.choose_campaign(_campaigns(), p, None, "2024-08-01", None)
    with pytest.raises(cp.CampaignError, match="no campaigns table"):
        cp.choose_campaign(None, p)
    with pytest.raises(cp.CampaignError, match="scope 'sku:A' only applies"):
        cp.choose_campaign(_campaigns(), p, None, None, None, "sku:A")


def test_evaluate_adhoc_window_without_campaigns_table():
    cube, prod = _toy_cube()
    row = cp.adhoc_campaign("2024-04-20", "2024-04-22", "sku:A", products=prod, discount_depth=0.2)
    ev = cp.evaluate_campaign(cube, cp.with_adhoc(None, row), prod, "ADHOC_2024-04-20_2024-04-22", halo=False)
    w = ev.effects.set_index("segment").loc["window"]
    assert w["low"] <= 60 <= w["high"]


# ------------------------------------------------------------------------------------------ scale, costs


def test_evaluation_is_scale_free():
    cube, prod = _toy_cube()
    big = cube.copy()
    for col in ("units", "units_net", "gmv", "list_value", "cost"):
        big[col] = big[col] * 1000
    a = cp.evaluate_campaign(cube, _toy_campaigns(), prod, "CMP_T", halo=False).window
    b = cp.evaluate_campaign(big, _toy_campaigns(), prod, "CMP_T", halo=False).window
    for k in ("effect", "low", "high", "observed", "predicted"):
        assert b[k] == pytest.approx(1000 * a[k], rel=1e-5), k
    assert b["tail_probability"] == pytest.approx(a["tail_probability"], rel=1e-5, abs=1e-12)


def test_unknown_costs_stay_unknown_in_the_evaluation():
    cube, prod = _toy_cube()
    cube["cost"] = np.nan  # no unit costs: daily_sku leaves cost empty
    prod = prod.assign(unit_cost=np.nan)
    ev = cp.evaluate_campaign(cube, _toy_campaigns(), prod, "CMP_T", halo=False)
    assert ev.money.incremental_gmv > 0 and ev.money.incremental_margin is None and ev.money.net_profit is None
    d = ev.to_dict()
    assert d["net_profit"] is None and d["roi"] is None and d["cost_coverage"] == 0
    assert any("no cost data" in n for n in d["notes"])
    # half of the scoped SKUs' ... here the only scoped SKU A has a cost: full coverage, margin known
    prod2 = prod.assign(unit_cost=[6.0, np.nan, np.nan])
    cube2 = cube.assign(cost=np.where(cube["sku"] == "A", cube["units_net"] * 6.0, np.nan))
    ev2 = cp.evaluate_campaign(cube2, _toy_campaigns(), prod2, "CMP_T", halo=False)
    assert ev2.money.cost_coverage == 1.0 and ev2.money.incremental_margin is not None


def test_overview_ranks_by_gmv_when_costs_are_missing():
    cube, prod = _toy_cube()
    cube["cost"] = np.nan
    prod = prod.assign(unit_cost=np.nan)
    ov = cp.campaign_overview(cube, _toy_campaigns(), prod)
    assert ov.ranked_by == "incremental_gmv" and "ranked by incremental GMV" in ov.notes[0]
    assert ov.summary().loc[0, "campaign_id"] == "CMP_T"
    assert cp.campaign_overview(cube, None, prod).table.empty


def test_summary_and_estimates_are_frames():
    cube, prod = _toy_cube()
    ev = cp.evaluate_campaign(cube, _toy_campaigns(), prod, "CMP_T", halo=False)
    s = ev.summary()
    assert len(s) == 1 and s.loc[0, "campaign_id"] == "CMP_T" and "net_profit" in s
    e = ev.estimates()
    assert e["method"].str.contains("counterfactual").any() and len(e) == 3  # naive, counterfactual, DiD
    assert ev.did.summary().loc[0, "incremental_units"] == pytest.approx(ev.did.incremental_units)
    assert ev.impact.summary().loc[0, "effect"] == pytest.approx(ev.impact.effect)
