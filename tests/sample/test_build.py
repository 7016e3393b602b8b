"""Tests of the deterministic sample shop (opslib.sample): determinism, contract, truth vs data, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib.data.contract import TABLES
from opslib.sample import generate, main

TINY = 0.02
DTYPES = {"str": "str", "int": "int64", "float": "float64", "datetime": "datetime64[ns]", "date": "datetime64[ns]"}


def _load(d: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(d / f"{name}.parquet") for name in TABLES}


@pytest.fixture(scope="module")
def shop(small_shop_dir: Path) -> dict[str, pd.DataFrame]:
    return _load(small_shop_dir)


@pytest.fixture(scope="module")
def tiny_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The same tiny shop twice and one with another seed."""
    a, b, c = (tmp_path_factory.mktemp(x) for x in ("a", "b", "c"))
    generate(a, seed=3, scale=TINY)
    generate(b, seed=3, scale=TINY)
    generate(c, seed=4, scale=TINY)
    return a, b, c


# ----------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_bytes(tiny_pair: tuple[Path, Path, Path]) -> None:
    a, b, _ = tiny_pair
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted([f"{t}.parquet" for t in TABLES] + ["truth.json"])
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_other_seed_differs(tiny_pair: tuple[Path, Path, Path]) -> None:
    a, _, c = tiny_pair
    assert (a / "orders.parquet").read_bytes() != (c / "orders.parquet").read_bytes()
    assert (a / "truth.json").read_bytes() != (c / "truth.json").read_bytes()


# ----------------------------------------------------------------------------- contract


def test_columns_and_dtypes_follow_contract(shop: dict[str, pd.DataFrame]) -> None:
    for name, spec in TABLES.items():
        df = shop[name]
        assert list(df.columns) == spec.column_names, name
        assert len(df) > 0, name
        for col in spec.columns:
            assert str(df[col.name].dtype) == DTYPES[col.kind], (name, col.name, df[col.name].dtype)
            if not col.nullable:
                assert df[col.name].notna().all(), (name, col.name)
            if col.kind == "date":
                s = df[col.name].dropna()
                assert (s == s.dt.normalize()).all(), (name, col.name)


def test_keys_unique_and_references_hold(shop: dict[str, pd.DataFrame]) -> None:
    for name, spec in TABLES.items():
        assert not shop[name].duplicated(list(spec.key)).any(), name
        for col, other, other_col in spec.references:
            vals = shop[name][col].dropna()
            assert vals.isin(shop[other][other_col]).all(), (name, col)


def test_allowed_values_and_bounds(shop: dict[str, pd.DataFrame]) -> None:
    for name, spec in TABLES.items():
        df = shop[name]
        for col in spec.columns:
            s = df[col.name].dropna()
            if col.allowed:
                assert s.isin(col.allowed).all(), (name, col.name)
            if col.min_value is not None:
                assert (s >= col.min_value).all(), (name, col.name)
            if col.max_value is not None:
                assert (s <= col.max_value).all(), (name, col.name)


def test_world_shape(shop: dict[str, pd.DataFrame], small_truth: dict) -> None:
    o, p, f, c = shop["orders"], shop["products"], shop["fulfilment"], shop["campaigns"]
    assert 1900 <= len(p) <= 2100
    assert set(p.category) == {"美妆", "家电", "服饰", "食品", "生鲜", "母婴", "数码", "家居"}
    assert p.groupby("category").subcategory.nunique().between(2, 4).all()
    assert o.order_ts.min() >= pd.Timestamp(small_truth["start"])
    assert o.order_ts.max() < pd.Timestamp(small_truth["end"]) + pd.Timedelta(days=1)
    assert set(o.channel) == {"app", "web", "小程序", "直播"}
    assert o.groupby("order_id").size().max() <= 3
    assert (o.quantity == 1).mean() > 0.8
    guest = o.drop_duplicates("order_id").customer_id.isna().mean()
    assert 0.03 < guest < 0.07
    # fulfilment: one row per non-cancelled order, paid after ordered
    ok = o[o.status != "cancelled"].order_id.unique()
    assert set(f.order_id) == set(ok)
    ts = o.drop_duplicates("order_id").set_index("order_id").order_ts
    assert (f.paid_ts.to_numpy() >= ts.loc[f.order_id].to_numpy()).all()
    d = f.dropna(subset=["delivered_ts"])
    assert (d.delivered_ts >= d.shipped_ts).all()
    assert 0 < f.delivered_ts.isna().mean() < 0.05
    # campaigns do not overlap and leave 4 weeks between each other
    c = c.sort_values("start")
    assert (c.start.iloc[1:].to_numpy() - c.end.iloc[:-1].to_numpy() >= pd.Timedelta(days=28)).all()
    assert {"festival", "flash_sale"} <= set(c.kind)


# ----------------------------------------------------------------------------- truth agrees with data


def test_counts_and_totals_match_files(shop: dict[str, pd.DataFrame], small_truth: dict) -> None:
    t = small_truth
    assert set(t) >= {"seed", "scale", "start", "end", "generator_version", "counts", "totals", "categories",
                      "growing_category", "declining_category", "seasonality", "campaigns", "stockouts",
                      "fulfilment", "customers"}
    o = shop["orders"]
    cnt = t["counts"]
    assert cnt["order_lines"] == len(o)
    assert cnt["orders"] == o.order_id.nunique()
    assert cnt["skus"] == len(shop["products"])
    assert cnt["customers"] == o.customer_id.nunique()
    assert cnt["campaigns"] == len(shop["campaigns"]) == len(t["campaigns"])
    assert cnt["inventory_rows"] == len(shop["inventory"])
    assert cnt["fulfilment_rows"] == len(shop["fulfilment"])
    assert cnt["review_rows"] == len(shop["reviews"])
    live = o[o.status != "cancelled"]
    assert t["totals"]["units"] == int(live.quantity.sum())
    assert t["totals"]["gmv"] == pytest.approx(float((live.quantity * live.unit_price).sum()), abs=0.05)
    done = o[o.status == "completed"]
    assert t["totals"]["net_sales"] == pytest.approx(float((done.quantity * done.unit_price).sum()), abs=0.05)


def test_truth_shapes(small_truth: dict) -> None:
    t = small_truth
    assert len(t["seasonality"]["weekly"]) == 7 and np.mean(t["seasonality"]["weekly"]) == pytest.approx(1)
    assert len(t["seasonality"]["yearly_by_month"]) == 12
    assert np.mean(t["seasonality"]["yearly_by_month"]) == pytest.approx(1, abs=1e-3)
    assert len(t["seasonality"]["cny"]) >= 3
    cats = t["categories"]
    assert cats[t["growing_category"]]["role"] == "growing" and cats[t["growing_category"]]["trend_per_year"] > 0.2
    assert cats[t["declining_category"]]["role"] == "declining"
    assert all(-2.6 <= c["elasticity"] <= -0.7 for c in cats.values())
    assert sum(c["n_skus"] for c in cats.values()) == t["counts"]["skus"]
    assert t["fulfilment"]["late_review_effect"] < 0
    cu = t["customers"]
    assert cu["returning_repeat_rate_90d"] > 2 * cu["new_repeat_rate_90d"] > 0
    assert cu["campaign_new_repeat_rate_90d"] < cu["new_repeat_rate_90d"]
    for c in t["campaigns"].values():
        assert c["uplift_units"] > 0 and c["baseline_units"] > 0 and c["pull_forward_units"] > 0
        assert (c["cannibalised_units"] > 0) == (c["scope_type"] == "sku")


def test_trends_show_in_yearly_units(shop: dict[str, pd.DataFrame], small_truth: dict) -> None:
    o = shop["orders"].merge(shop["products"][["sku", "category"]], on="sku")
    o = o[o.status != "cancelled"]
    units = o.groupby([o.category, o.order_ts.dt.year]).quantity.sum().unstack()
    g, d = units.loc[small_truth["growing_category"]], units.loc[small_truth["declining_category"]]
    assert g.is_monotonic_increasing and g.iloc[-1] > 1.4 * g.iloc[0]
    assert d.is_monotonic_decreasing and d.iloc[-1] < 0.75 * d.iloc[0]


def test_campaign_units_match_truth_and_beat_pre_period(shop: dict[str, pd.DataFrame], small_truth: dict) -> None:
    o = shop["orders"]
    live = o[o.status != "cancelled"]
    for cid, c in small_truth["campaigns"].items():
        units = int(live.loc[live.campaign_id == cid, "quantity"].sum())
        assert units == c["realised_units"]
        assert units == pytest.approx(c["baseline_units"] + c["realised_uplift_units"], abs=0.02)
    fest = [(cid, c) for cid, c in small_truth["campaigns"].items() if c["kind"] == "festival"]
    day = live.order_ts.dt.normalize()
    for _cid, c in fest:
        start, end = pd.Timestamp(c["start"]), pd.Timestamp(c["end"])
        n_days = (end - start).days + 1
        inside = live.loc[day.between(start, end), "quantity"].sum() / n_days
        pre = live.loc[day.between(start - pd.Timedelta(days=28), start - pd.Timedelta(days=1)), "quantity"].sum() / 28
        assert inside > 1.3 * pre
    # flash sales, pooled: scoped SKUs sell more per day in the window than in the 4 weeks before
    flash = [c for c in small_truth["campaigns"].values() if c["kind"] == "flash_sale"]
    win = pre = 0.0
    for c in flash:
        skus = c["scope"].split("|")
        start, end = pd.Timestamp(c["start"]), pd.Timestamp(c["end"])
        s = live[live.sku.isin(skus)]
        sd = s.order_ts.dt.normalize()
        win += s.loc[sd.between(start, end), "quantity"].sum() / ((end - start).days + 1)
        pre += s.loc[sd.between(start - pd.Timedelta(days=28), start - pd.Timedelta(days=1)), "quantity"].sum() / 28
    assert win > 1.5 * pre


def test_late_deliveries_score_lower(shop: dict[str, pd.DataFrame], small_truth: dict) -> None:
    r = shop["reviews"].merge(shop["fulfilment"], on="order_id")
    late = r.delivered_ts > r.promised_ts
    effect = r.score[late].mean() - r.score[~late].mean()
    planted = small_truth["fulfilment"]["late_review_effect"]
    assert effect == pytest.approx(planted, abs=0.12)
    f = shop["fulfilment"].dropna(subset=["delivered_ts"])
    assert (f.delivered_ts > f.promised_ts).mean() == pytest.approx(small_truth["fulfilment"]["late_share"], abs=1e-3)
    topic_late = r.loc[late, "topic"].eq("物流").mean()
    assert topic_late > r.loc[~late, "topic"].eq("物流").mean()


def test_stockout_spells_have_no_stock(shop: dict[str, pd.DataFrame], small_truth: dict) -> None:
    inv = shop["inventory"].set_index(["sku", "date"]).sort_index()
    spells = small_truth["stockouts"]["spells"]
    assert 5 <= len(spells) <= 50
    for sp in spells:
        rows = inv.loc[sp["sku"]].loc[sp["start"]:sp["end"]]
        assert len(rows) == (pd.Timestamp(sp["end"]) - pd.Timestamp(sp["start"])).days + 1
        assert (rows.on_hand == 0).all() and (rows.inbound == 0).all()
        assert sp["lost_units"] >= 0
    assert small_truth["stockouts"]["stockout_sku_days"] == int((shop["inventory"].on_hand == 0).sum())
    by_cat = small_truth["stockouts"]["lost_units_by_category"]
    assert sum(by_cat.values()) == small_truth["stockouts"]["lost_units_total"]


def test_traffic_consistent_with_orders(shop: dict[str, pd.DataFrame]) -> None:
    t = shop["traffic"]
    assert len(t) == t.date.nunique() * 8
    assert (t.product_views >= t.visitors).all() and (t.add_to_cart <= t.product_views).all()
    o = shop["orders"].merge(shop["products"][["sku", "category"]], on="sku")
    lines = o.groupby([o.order_ts.dt.normalize().rename("date"), "category"]).size()
    tt = t.set_index(["date", "category"])
    assert (tt.add_to_cart.reindex(lines.index) >= lines).all()
    conv = lines.sum() / t.visitors.sum()
    assert 0.01 < conv < 0.08


# ----------------------------------------------------------------------------- CLI


def test_cli_generates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shop"
    assert main(["--seed", "5", "--scale", str(TINY), "--out", str(out)]) == 0
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 5 and truth["scale"] == TINY
    captured = capsys.readouterr()
    assert "order lines" in captured.out and "[sample]" in captured.err


@pytest.mark.parametrize("args", [["--scale", "0"], ["--scale", "-1"], ["--scale", "abc"], ["--days", "5"],
                                  ["--start", "not-a-date"], ["--bogus"]])
def test_cli_rejects_bad_args(tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*args, "--out", str(tmp_path / "x")]) == 2
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_generate_rejects_bad_scale(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, scale=0)
