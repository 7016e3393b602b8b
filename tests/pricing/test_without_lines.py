"""Notebook 07's pricing paths on a shop whose ``orders`` frame may never be read (the lines stay in the engine).

``Lineless`` is ``load_shop``'s Shop with an ``orders`` property that raises: every function notebook 07 calls
with the shop must get its numbers from SQL over the shop's files. Expected values: by hand (the price panel of
the docstring example, written as a contract shop) and the sample shop's planted GMV (truth.json).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib import pricing
from opslib.data import load_shop
from opslib.data import quality as dq
from opslib.data.shop import Shop


class Lineless(Shop):
    """A Shop whose order lines can not come into pandas."""

    @property
    def orders(self) -> pd.DataFrame:
        raise AssertionError("shop.orders was read: the order lines came into pandas")


def lineless(folder: Path, tables: list[str]) -> Lineless:
    shop = load_shop(folder, tables=tables)
    return Lineless(shop.path, available=shop.available, lines=shop.lines)


@pytest.fixture(autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("OPSLIB_CACHE_DIR", str(path))
    return path


def panel_shop(folder: Path) -> Path:
    """The docstring example of ``weekly_price_panel`` as a contract shop (Parquet)."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4"],
        "order_ts": pd.to_datetime(["2024-06-03 10:00", "2024-06-05 10:00", "2024-06-17 10:00", "2024-06-04 10:00"]),
        "customer_id": ["c1", "c2", "c1", "c3"], "sku": ["a", "a", "a", "b"], "quantity": [1, 3, 2, 1],
        "unit_price": [10.0, 8.0, 10.0, 5.0], "list_price": 10.0, "channel": "app", "region": "华东",
        "status": ["completed", "completed", "returned", "cancelled"], "campaign_id": None,
    }).to_parquet(folder / "orders.parquet", index=False)
    pd.DataFrame({"sku": ["a", "b"], "name": ["甲", "乙"], "category": "美妆", "subcategory": "护肤", "brand": "x",
                  "unit_cost": [4.0, 2.0], "launch_date": pd.to_datetime([None, None])}
                 ).to_parquet(folder / "products.parquet", index=False)
    return folder


def test_price_panel_of_a_shop_by_hand_without_its_lines(tmp_path: Path) -> None:
    shop = lineless(panel_shop(tmp_path / "shop"), ["orders", "products"])
    p = pricing.weekly_price_panel(shop)
    # week of 3 June: 1 unit at 10 + 3 at 8 = 34 for 4 units (8.5), list 40 (depth 0.15), 7 days on sale;
    # 10 June: no sale inside a's span; 17 June: 2 units at 10 (returned still counts), the data end that Monday
    got = p[["units", "price", "discount_depth", "days_on_sale"]].round(6).values.tolist()
    assert got[0] == [4.0, 8.5, 0.15, 7]
    assert got[1][0] == 0.0 and np.isnan(got[1][1]) and got[1][3] == 7
    assert got[2] == [2.0, 10.0, 0.0, 1]
    assert p["sku"].tolist() == ["a", "a", "a"]  # b has only a cancelled line


def test_cost_structure_and_order_days_read_the_files_not_the_frame(tmp_path: Path) -> None:
    folder = panel_shop(tmp_path / "shop")
    shop = lineless(folder, ["orders", "products"])
    assert dq.order_days(shop) == 15  # 3 June .. 17 June
    costs = pricing.cost_structure(shop, shop, ("2024-06-01", "2024-06-30"))
    row = costs.table.iloc[0]
    # non-cancelled lines: list value 10 + 30 + 20 = 60, GMV 10 + 24 + 20 = 54, returns 20
    assert row["list_value"] == pytest.approx(60.0)
    assert row["gmv"] == pytest.approx(54.0)
    frames = load_shop(folder, tables=["orders", "products"])
    by_frame = pricing.cost_structure(frames.orders, frames.products, ("2024-06-01", "2024-06-30"))
    pd.testing.assert_frame_equal(costs.table, by_frame.table)


def test_pricing_scope_cube_on_the_engine_matches_the_planted_gmv(small_shop_dir: Path, small_truth: dict) -> None:
    shop = lineless(small_shop_dir, ["orders", "products", "inventory"])
    scope = pricing.pricing_scope(shop)
    assert scope.cube["gmv"].sum() == pytest.approx(small_truth["totals"]["gmv"], abs=0.01)
    framed = load_shop(small_shop_dir, tables=["orders", "products", "inventory"])
    old = pricing.pricing_scope(Shop(framed.path, orders=framed.orders, products=framed.products,
                                     inventory=framed.inventory))
    a, b = scope.cube, old.cube
    assert len(a) == len(b) and (a["sku"].to_numpy() == b["sku"].to_numpy()).all()
    for col in ("orders", "units", "units_net", "gmv", "net_sales", "list_value", "discount"):
        assert np.allclose(a[col].astype(float), b[col].astype(float), rtol=1e-12, atol=1e-9), col
    assert np.isclose(a["cost"].sum(), b["cost"].sum(), rtol=1e-12)
    pd.testing.assert_frame_equal(scope.skus.reset_index(drop=True), old.skus.reset_index(drop=True),
                                  check_exact=False, rtol=1e-9, check_dtype=False)  # days: [ns] vs [us]
