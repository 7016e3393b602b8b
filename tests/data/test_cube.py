"""DuckDB cubes against hand-computed totals, from a frame and from a Parquet file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opslib.data import cube


@pytest.fixture
def lines() -> pd.DataFrame:
    return pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o4"],
        "order_ts": pd.to_datetime(["2024-06-01 09:00", "2024-06-01 09:00", "2024-06-01 20:00",
                                    "2024-06-02 10:00", "2024-06-02 11:00"]),
        "customer_id": ["c1", "c1", None, "c1", "c2"],
        "sku": ["a", "b", "a", "a", "b"],
        "quantity": [2, 1, 1, 3, 1],
        "unit_price": [10.0, 50.0, 12.0, 9.0, 40.0],
        "list_price": [12.0, 50.0, 12.0, 12.0, 50.0],
        "channel": "app", "region": "华东",
        "status": ["completed", "returned", "completed", "cancelled", "completed"],
        "campaign_id": None,
    })


@pytest.fixture
def products() -> pd.DataFrame:
    return pd.DataFrame({"sku": ["a", "b"], "category": ["食品", "数码"], "subcategory": ["零食", "配件"],
                         "unit_cost": [6.0, 30.0]})


def test_daily_sku_by_hand(lines: pd.DataFrame, products: pd.DataFrame) -> None:
    out = cube.daily_sku(lines, products).set_index(["date", "sku"])
    a1 = out.loc[(pd.Timestamp("2024-06-01"), "a")]
    # o1: 2 x 10 completed; o2: 1 x 12 completed -> units 3, gmv 32, list value 2*12 + 12 = 36, cost 3 * 6
    assert (a1["orders"], a1["units"], a1["units_net"]) == (2, 3, 3)
    assert (a1["gmv"], a1["net_sales"], a1["list_value"], a1["discount"], a1["cost"]) == (32.0, 32.0, 36.0, 4.0, 18.0)
    b1 = out.loc[(pd.Timestamp("2024-06-01"), "b")]
    # returned line: in GMV, not in net sales; no completed units so no cost
    assert (b1["units"], b1["units_net"], b1["units_returned"], b1["gmv"], b1["net_sales"]) == (1, 0, 1, 50.0, 0.0)
    a2 = out.loc[(pd.Timestamp("2024-06-02"), "a")]
    # only a cancelled line: the row exists with zeros
    assert (a2["orders"], a2["units"], a2["gmv"]) == (0, 0, 0.0)
    assert a1["category"] == "食品"


def test_daily_totals_by_hand(lines: pd.DataFrame, products: pd.DataFrame) -> None:
    t = cube.daily_totals(lines).set_index("date")
    d1, d2 = t.loc[pd.Timestamp("2024-06-01")], t.loc[pd.Timestamp("2024-06-02")]
    # day 1: orders o1, o2; GMV 20 + 50 + 12 = 82; net 20 + 12 = 32; buyers {c1}; o2 is a guest order
    assert (d1["orders"], d1["gmv"], d1["net_sales"], d1["buyers"], d1["guest_orders"]) == (2, 82.0, 32.0, 1, 1)
    # day 2: o3 cancelled; o4 40; buyers {c2}
    assert (d2["orders"], d2["gmv"], d2["buyers"]) == (1, 40.0, 1)
    by_cat = cube.daily_totals(lines, by="category", products=products)
    assert by_cat.groupby("category")["gmv"].sum().to_dict() == {"数码": 90.0, "食品": 32.0}
    with pytest.raises(ValueError, match="needs the products table"):
        cube.daily_totals(lines, by="category")


def test_parquet_path_gives_the_same_cube(lines: pd.DataFrame, products: pd.DataFrame, tmp_path: Path) -> None:
    lines.to_parquet(tmp_path / "orders.parquet")
    products.to_parquet(tmp_path / "products.parquet")
    from_file = cube.daily_sku(tmp_path / "orders.parquet", tmp_path / "products.parquet")
    pd.testing.assert_frame_equal(from_file, cube.daily_sku(lines, products))
