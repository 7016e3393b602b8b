"""Tiny shops written for the data tests: two CSV tables, or Parquet orders in row groups of 100 rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_csv_shop(folder: Path, products: str, orders: str) -> Path:
    """``products.csv`` and ``orders.csv`` with the given text, in ``folder`` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "products.csv").write_text(products, encoding="utf-8")
    (folder / "orders.csv").write_text(orders, encoding="utf-8")
    return folder


def write_parquet_shop(folder: Path, orders: pd.DataFrame) -> Path:
    """Two products (S1, S2) and ``orders`` as Parquet in row groups of 100 rows, so footers have several."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"sku": ["S1", "S2"], "name": ["精华", "面霜"], "category": ["美妆"] * 2, "subcategory": ["护肤"] * 2,
                  "brand": ["花漾"] * 2, "unit_cost": [41.5, 20.0],
                  "launch_date": [pd.Timestamp("2023-03-01")] * 2}).to_parquet(folder / "products.parquet")
    orders.to_parquet(folder / "orders.parquet", row_group_size=100)
    return folder


def tiny_orders(n: int, **columns: list) -> pd.DataFrame:
    """``n`` order lines, one per order, ids ``O00000`` ascending; ``columns`` replace the default columns."""
    frame = {
        "order_id": [f"O{i:05d}" for i in range(n)],
        "order_ts": pd.date_range("2024-01-01", periods=n, freq="h"),
        "customer_id": [f"C{i % 37:03d}" for i in range(n)],
        "sku": ["S1" if i % 3 else "S2" for i in range(n)],
        "quantity": [1 + i % 4 for i in range(n)],
        "unit_price": [89.0 + i % 5 for i in range(n)],
        "list_price": [99.0] * n,
        "channel": ["app"] * n,
        "region": ["华东" if i % 2 else "华南" for i in range(n)],
        "status": ["completed"] * n,
        "campaign_id": [None] * n,
    }
    return pd.DataFrame({**frame, **columns})
