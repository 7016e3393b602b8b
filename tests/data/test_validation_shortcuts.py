"""Shortcuts of the validation (issue 15): what they prove is skipped, a bad row they cannot prove is still named.

* a text column with few distinct values (``statistics.few_values``) is checked on its distinct values: white
  space, empty values, allowed values, references;
* distinct keys are counted in batches of row groups whose key ranges do not overlap (``sql_checks.key_batches``);
* references to a big table are anti-joined against its column as stored (repeats kept).

The files are written here with row groups of 100 rows, so every group's bounds are known by construction. The
shortcuts' size thresholds are lowered to these small files (``FEW_VALUES_MIN_ROWS``, ``KEY_BATCH_ROWS``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opslib.data import sql_checks, validate_shop
from opslib.data.statistics import few_values, row_group_ranges
from tests.data.tiny_shops import tiny_orders, write_parquet_shop

N = 1_000  # rows of orders; row groups of 100


@pytest.fixture(autouse=True)
def small_thresholds(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSLIB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setattr(sql_checks, "FEW_VALUES_MIN_ROWS", 0)
    monkeypatch.setattr(sql_checks, "KEY_BATCH_ROWS", 150)


def write_shop(folder: Path, orders: pd.DataFrame) -> Path:
    return write_parquet_shop(folder, orders)


def orders(n: int = N) -> pd.DataFrame:
    """Order ids ascending (row groups' ranges do not overlap), few channels, regions, statuses and SKUs."""
    return tiny_orders(
        n,
        customer_id=[f"C{i:05d}" for i in range(n)],
        channel=["app" if i % 2 else "web" for i in range(n)],
        region=["east" if i % 2 else "华东" for i in range(n)],  # spans U+3000: the bounds prove nothing
        status=["completed" if i % 4 else "returned" for i in range(n)],
    )


def opened(folder: Path):  # noqa: ANN201 - the checked ShopData
    from opslib.data.relations import check_shop, open_shop

    shop = open_shop(folder, ["orders", "products"])
    return shop, [str(p) for p in check_shop(shop, stamp=False)]


def problems(folder: Path) -> list[str]:
    return [str(p) for p in validate_shop(folder).problems]


# ------------------------------------------------------------------------------------ few distinct values
def test_few_values_from_the_footer(tmp_path: Path) -> None:
    p = tmp_path / "o.parquet"
    orders().to_parquet(p, row_group_size=100)
    # a dictionary of 2-3 values takes a few bits a row; 1,000 distinct ids take their bytes
    assert {"sku", "channel", "region", "status"} <= few_values(p)
    assert not {"order_id", "customer_id"} & few_values(p)
    assert few_values(p, min_rows=N + 1) == set()


def test_distinct_values_prove_white_space_empty_allowed_and_references(tmp_path: Path) -> None:
    shop, got = opened(write_shop(tmp_path / "shop", orders()))
    assert got == []
    src = shop.sources["orders"]
    for check in ("region: a value", "status: one of completed", "sku: a sku that exists in products.parquet"):
        assert any(p.startswith(check) for p in src.proven), (check, src.proven)
    assert src.dirty["region"] == 0 and src.dirty["channel"] == 0


@pytest.mark.parametrize(("column", "value", "message"), [
    ("status", "shipped", "orders.parquet, column status, row 1000: 'shipped' — expected one of completed"),
    ("sku", "S9", "orders.parquet, column sku, row 1000: 'S9' — expected a sku that exists in products.parquet"),
    ("region", "", "orders.parquet, column region, row 1000: (empty) — expected a value"),
    ("region", " \u3000", "orders.parquet, column region, row 1000: (empty) — expected a value"),
    ("channel", None, "orders.parquet, column channel, row 1000: (empty) — expected a value"),
])
def test_a_bad_value_among_few_in_the_last_row_group_is_named(tmp_path: Path, column: str, value: object,
                                                               message: str) -> None:
    df = orders()
    df[column] = df[column].astype(object)
    df.loc[N - 1, column] = value
    got = problems(write_shop(tmp_path / "shop", df))
    assert len(got) == 1 and got[0].startswith(message), got


def test_a_padded_value_among_few_is_stripped_and_counted(tmp_path: Path) -> None:
    df = orders()
    df.loc[N - 1, "status"] = " completed\u3000"  # padded, allowed once stripped
    df.loc[N - 2, "channel"] = "app\t"
    shop, got = opened(write_shop(tmp_path / "shop", df))
    assert got == []
    src = shop.sources["orders"]
    assert src.dirty["status"] == 1 and src.dirty["channel"] == 1 and src.dirty["region"] == 0
    rows = shop.engine.query(f"SELECT __rn, status, channel FROM orders WHERE __rn >= {N - 2} ORDER BY __rn")
    assert rows["status"].tolist() == ["completed", "completed"] and rows["channel"].tolist() == ["app", "app"]


def test_the_same_problems_with_and_without_the_shortcuts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    df = orders()
    df["status"] = df["status"].astype(object)
    df.loc[[7, N - 3], "status"] = ["lost", " shipped"]
    df.loc[[2, N - 1], "sku"] = ["S7", "S8"]
    df.loc[N - 5, "order_id"] = df.loc[N - 4, "order_id"]
    df.loc[N - 5, "sku"] = df.loc[N - 4, "sku"]
    folder = write_shop(tmp_path / "shop", df)
    with_shortcuts = problems(folder)
    real = sql_checks.table_problems
    monkeypatch.setattr(sql_checks, "table_problems", lambda *a, **k: real(*a, **{**k, "use_statistics": False}))
    assert problems(folder) == with_shortcuts and len(with_shortcuts) == 3, with_shortcuts
    assert with_shortcuts[0].startswith("orders.parquet, column status, rows 8, 998: 'lost', 'shipped'")
    assert with_shortcuts[1].startswith("orders.parquet, columns order_id + sku, rows 996, 997: 1 duplicated key")
    assert with_shortcuts[2].startswith("orders.parquet, column sku, rows 3, 1000: 'S7', 'S8' — expected a sku")


# ------------------------------------------------------------------------------ keys in row-group batches
def test_row_group_ranges_and_batches(tmp_path: Path) -> None:
    shop, got = opened(write_shop(tmp_path / "shop", orders()))
    assert got == []
    ranges = row_group_ranges(tmp_path / "shop" / "orders.parquet", "order_id")
    assert ranges is not None and len(ranges) == 10 and ranges[1] == (100, 100, "O00100", "O00199")
    batches = sql_checks.key_batches(shop.engine, shop.sources["orders"])
    assert batches == [[(i, i + 99)] for i in range(0, N, 100)]  # 150 rows a batch: one group each


def test_overlapping_row_groups_are_counted_together(tmp_path: Path) -> None:
    df = orders()
    df.loc[250, "order_id"] = "O00150"  # group 2 (200-299) now reaches into group 1's range: 1 and 2 together
    df.loc[250, "sku"] = "S9X"  # not a duplicate key: another SKU of order O00150 (but not in products)
    shop, got = opened(write_shop(tmp_path / "shop", df))
    batches = sql_checks.key_batches(shop.engine, shop.sources["orders"])
    assert batches is not None and [(100, 199), (200, 299)] in batches and len(batches) == 9
    assert got == ["orders.parquet, column sku, row 251: 'S9X' — expected a sku that exists in products.parquet"]


def test_a_duplicate_key_across_row_groups_is_named(tmp_path: Path) -> None:
    df = orders()
    df.loc[N - 1, ["order_id", "sku"]] = [df.loc[0, "order_id"], df.loc[0, "sku"]]  # row 1000 repeats row 1
    got = problems(write_shop(tmp_path / "shop", df))
    assert got == ["orders.parquet, columns order_id + sku, rows 1, 1000: 1 duplicated key value: ('O00000', 'S2') — "
                   "expected each (order_id, sku) only once"], got


def test_unsorted_keys_are_counted_in_one_batch(tmp_path: Path) -> None:
    df = orders().sample(frac=1.0, random_state=3).reset_index(drop=True)  # every group spans every id
    df.loc[N - 1, ["order_id", "sku"]] = [df.loc[10, "order_id"], df.loc[10, "sku"]]
    shop, got = opened(write_shop(tmp_path / "shop", df))
    assert sql_checks.key_batches(shop.engine, shop.sources["orders"]) is None
    assert len(got) == 1 and got[0].startswith("orders.parquet, columns order_id + sku, rows 11, 1000: 1 duplicated")


def test_batches_only_where_the_stored_key_is_the_checked_one(tmp_path: Path) -> None:
    df = orders()
    df.loc[5, "order_id"] = " O00005"  # padded: the stored bounds do not bound the stripped keys
    shop, got = opened(write_shop(tmp_path / "shop", df))
    assert got == [] and shop.sources["orders"].dirty["order_id"] == 1
    assert sql_checks.key_batches(shop.engine, shop.sources["orders"]) is None
