"""``ops_orders``, the lines folded to one row per order on the engine (``tables.fold_sql``: one hash aggregate
per range of order ids, then products and the first fulfilment row joined), checked by hand on a three-order
shop, in one part and in several, with and without a duplicated fulfilment row.

order  line  sku  qty  price  value  status     campaign
o1     1     a    1    30     30     completed  -
o1     2     b    3    10     30     completed  -        tie on value: the smaller sku (a) is the order's sku
o2     1     c    1    5      5      cancelled  K2
o2     2     b    1    50     50     returned   K1       sku b; units 1, gmv 50 (the cancelled line left out)
o3     1     a    2    10     20     cancelled  -        every line cancelled: units 0, gmv 0

fulfilment: o1 twice (W1/C1 first, then W9/C9: the first row is the order's), o2 once, o3 none.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opslib.data import load_shop
from opslib.operations import prepare
from opslib.operations import tables as T
from tests.lineless import lineless

TS = pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:00", "2024-01-02 09:00", "2024-01-02 09:00",
                     "2024-01-03 08:00"])


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSLIB_CACHE_DIR", str(tmp_path / "cache"))


def shop(folder: Path, duplicate: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o2", "o3"], "order_ts": TS, "customer_id": ["c1", "c1", "c2", "c2", "c3"],
        "sku": ["a", "b", "c", "b", "a"], "quantity": [1, 3, 1, 1, 2], "unit_price": [30.0, 10.0, 5.0, 50.0, 10.0],
        "list_price": 60.0, "channel": "app", "region": "华东",
        "status": ["completed", "completed", "cancelled", "returned", "cancelled"],
        "campaign_id": [None, None, "K2", "K1", None],
    }).to_parquet(folder / "orders.parquet", index=False)
    pd.DataFrame({"sku": ["a", "b", "c"], "name": ["甲", "乙", "丙"], "category": ["美妆", "服饰", "食品"],
                  "subcategory": "x", "brand": "y", "unit_cost": [4.0, 8.0, 2.0],
                  "launch_date": pd.to_datetime([None, None, None])}).to_parquet(folder / "products.parquet", index=False)
    f = pd.DataFrame({
        "order_id": ["o1", "o2", "o1"],
        "paid_ts": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 09:00", "2024-01-01 11:00"]),
        "shipped_ts": pd.to_datetime(["2024-01-02 10:00", "2024-01-03 09:00", "2024-01-05 10:00"]),
        "delivered_ts": pd.to_datetime(["2024-01-03 10:00", None, "2024-01-06 10:00"]),
        "promised_ts": pd.to_datetime(["2024-01-04 12:00", "2024-01-05 12:00", "2024-01-04 12:00"]),
        "warehouse": ["W1", "W2", "W9"], "carrier": ["C1", "C2", "C9"],
    })
    (f if duplicate else f.iloc[:2]).to_parquet(folder / "fulfilment.parquet", index=False)
    return folder


BY_HAND = pd.DataFrame({
    "order_id": ["o1", "o2", "o3"], "lines": [2, 2, 1], "units": [4, 1, 0], "gmv": [60.0, 50.0, 0.0],
    "cancelled": [False, False, True], "returned": [False, True, False], "sku": ["a", "b", "a"],
    "category": ["美妆", "服饰", "美妆"], "returned_sku": [None, "b", None], "campaign_id": [None, "K1", None],
    "warehouse": ["W1", "W2", None], "carrier": ["C1", "C2", None],
    "delivered_ts": pd.to_datetime(["2024-01-03 10:00", None, None]).astype("datetime64[ns]"),
})


def _objects(f: pd.DataFrame) -> pd.DataFrame:
    f = f.reset_index(drop=True)
    return f.assign(**{c: f[c].astype(object).where(f[c].notna(), None) for c in f.columns
                       if f[c].dtype == object or str(f[c].dtype) == "str"})


@pytest.mark.parametrize("part_lines", [None, 2])
@pytest.mark.parametrize("duplicate", [False, True])
def test_the_fold_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part_lines: int | None,
                          duplicate: bool) -> None:
    """One part or three (two lines each: every line of an order in one part); a validated shop (unique
    fulfilment key, joined as it is) or, opened without validation, a duplicated fulfilment row (the first kept)."""
    if part_lines:
        monkeypatch.setattr(T, "PART_LINES", part_lines)
    s = load_shop(shop(tmp_path / "shop", duplicate), validate=not duplicate)
    assert s.lines.validated is (not duplicate)
    data = prepare(lineless(s))
    folder = next((tmp_path / "cache").rglob("ops_orders-*"))
    parts = sorted(folder.glob("part-*.parquet"))
    assert len(parts) == (3 if part_lines else 1)
    got = data.orders.sort_values("order_id")[list(BY_HAND.columns)]
    pd.testing.assert_frame_equal(_objects(got), _objects(BY_HAND), check_dtype=False)
    assert data.tables.stats["orders"] == 3 and data.tables.stats["live"] == 2


def test_order_ranges_put_every_order_in_exactly_one_range(tmp_path: Path) -> None:
    s = load_shop(shop(tmp_path / "shop", False))
    conds = T.order_ranges(s.lines, 5, part_lines=2)
    assert len(conds) >= 2
    for oid in ("o1", "o2", "o3"):
        hits = [c for c in conds if s.lines.query(f"SELECT count(*) AS n FROM (SELECT '{oid}' AS order_id) t "
                                                  f"WHERE {c}")["n"][0]]
        assert len(hits) == 1, (oid, conds)
    assert T.order_ranges(s.lines, 5, part_lines=10) == ["TRUE"]


def test_the_parts_equal_the_window_version_on_the_sample_shop(small_shop_dir: Path) -> None:
    """The folded orders of the small sample shop, in about 25 parts, row by row against the first SQL (a window
    ``row_number`` per order, kept for Spark); ``gmv`` to 1e-9 (the same lines summed in another order)."""
    s = load_shop(small_shop_dir, tables=["orders", "products", "fulfilment"])
    lines = s.lines
    t = T.OpsTables(lines=lines, has_fulfilment=True, has_reviews=False, has_service=False, has_products=True)
    n = lines.rows("orders")
    conds = T.order_ranges(lines, n, part_lines=n // 25)
    assert len(conds) >= 20
    parts = pd.concat([lines.query(T.fold_sql(t, dedupe=False, where=c)) for c in conds])
    ref = lines.query(T._fold_sql_v1(t))
    key = ["order_id"]
    a, b = parts.sort_values(key).reset_index(drop=True), ref.sort_values(key).reset_index(drop=True)
    assert len(a) == len(b) == lines.query("SELECT count(DISTINCT order_id) AS n FROM orders")["n"][0]
    pd.testing.assert_frame_equal(_objects(a), _objects(b), check_exact=False, rtol=1e-9, check_dtype=False)
    whole = lines.query(T.fold_sql(t, dedupe=True)).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(_objects(whole), _objects(b), check_exact=False, rtol=1e-9, check_dtype=False)
