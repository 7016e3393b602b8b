"""The daily x SKU cube's cost is the same from a frame and from the engine, by hand on a tiny shop.

A cost that is unknown is not 0 ("unknown (no cost data)"), but a day without completed units has cost 0
when the SKU's unit cost is known: ``cost = units_net x unit_cost``, NULL only when ``unit_cost`` is.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from opslib.data import cube
from opslib.data.aggregates import daily_sku as engine_daily_sku
from opslib.data.relations import open_shop

LINES = pd.DataFrame({
    "order_id": ["o1", "o2", "o3", "o4", "o5"],
    "order_ts": pd.to_datetime(["2024-06-01 09:00", "2024-06-01 10:00", "2024-06-01 11:00", "2024-06-01 12:00",
                                "2024-06-02 09:00"]),
    "customer_id": "c1",
    "sku": ["a", "a", "b", "c", "a"],
    "quantity": [2, 1, 3, 1, 4],
    "unit_price": [10.0, 10.0, 5.0, 7.0, 10.0],
    "list_price": [10.0, 10.0, 5.0, 7.0, 10.0],
    "channel": "app", "region": "华东",
    "status": ["completed", "returned", "completed", "completed", "cancelled"],
    "campaign_id": None,
})
# a costs 6; b's cost is unknown; c is not in products at all
PRODUCTS = pd.DataFrame({"sku": ["a", "b"], "name": "x", "category": ["食品", "数码"], "subcategory": ["零食", "配件"],
                         "brand": "z", "unit_cost": [6.0, float("nan")], "launch_date": None})

EXPECTED = {  # (day, sku): cost
    ("2024-06-01", "a"): 12.0,        # 2 completed units x 6 (the returned unit costs nothing)
    ("2024-06-01", "b"): math.nan,    # 3 completed units, unit cost unknown
    ("2024-06-01", "c"): math.nan,    # a SKU missing from products: unknown
    ("2024-06-02", "a"): 0.0,         # only a cancelled line: no completed units, cost known -> 0
}


def _costs(out: pd.DataFrame) -> dict:
    return {(f"{d:%Y-%m-%d}", s): c for d, s, c in zip(out["date"], out["sku"], out["cost"], strict=True)}


def _same(got: dict) -> None:
    assert set(got) == set(EXPECTED)
    for key, want in EXPECTED.items():
        assert (math.isnan(got[key]) and math.isnan(want)) or got[key] == want, (key, got[key], want)


def test_cost_from_frames_by_hand() -> None:
    _same(_costs(cube.daily_sku(LINES, PRODUCTS)))


def test_cost_on_the_engine_by_hand(tmp_path: Path) -> None:
    LINES.to_parquet(tmp_path / "orders.parquet", index=False)
    PRODUCTS.to_parquet(tmp_path / "products.parquet", index=False)
    shop = open_shop(tmp_path, ["orders", "products"])  # not validated: SKU c has no product row
    _same(_costs(engine_daily_sku(shop)))
