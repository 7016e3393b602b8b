"""Checks the Parquet statistics prove are skipped; everything they do not prove is still checked row by row.

The files are written here with small row groups so that every group's minimum, maximum and null count is
known by construction; a bad value planted in the last row group must still be found and named.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opslib.data import validate_shop
from opslib.data.statistics import column_stats, starts_with_space_possible
from tests.data.tiny_shops import tiny_orders, write_parquet_shop

N = 1_000  # rows per file; row groups of 100


@pytest.fixture(autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("OPSLIB_CACHE_DIR", str(path))
    return path


def write_shop(folder: Path, orders: pd.DataFrame) -> Path:
    return write_parquet_shop(folder, orders)


def orders(n: int = N) -> pd.DataFrame:
    return tiny_orders(n)


def proven(folder: Path) -> list[str]:
    from opslib.data.relations import check_shop, open_shop

    shop = open_shop(folder, ["orders", "products"])
    assert check_shop(shop, stamp=False) == []
    return shop.sources["orders"].proven


def test_column_stats_cover_every_row_group(tmp_path: Path) -> None:
    df = orders()
    df.loc[N - 1, "quantity"] = 9  # the last group's maximum
    df.loc[N - 2, "customer_id"] = None
    p = tmp_path / "o.parquet"
    df.to_parquet(p, row_group_size=100)
    s = column_stats(p)
    assert (s["quantity"].nulls, s["quantity"].min, s["quantity"].max) == (0, 1, 9)
    assert s["customer_id"].nulls == 1 and (s["customer_id"].min, s["customer_id"].max) == ("C000", "C036")
    assert (s["order_ts"].min, s["order_ts"].max) == (pd.Timestamp("2024-01-01"),
                                                        pd.Timestamp("2024-01-01") + pd.Timedelta(hours=N - 1))
    assert s["campaign_id"].min is None  # all empty: no bounds (a type without statistics gives no count either)


def test_statistics_prove_types_ranges_and_values_present(tmp_path: Path) -> None:
    df = orders()
    df["region"] = ["east" if i % 2 else "华东" for i in range(N)]
    got = proven(write_shop(tmp_path / "shop", df))
    for check in ("quantity: a whole number like 3", "quantity: a whole number >= 1", "quantity: a value",
                  "order_ts: a date/time like", "order_ts: a time not in the future", "unit_price: a number >= 0",
                  "order_id: a value", "status: one of completed, cancelled, returned", "channel: a value"):
        assert any(p.startswith(check) for p in got), (check, got)
    # a float may hold NaN, which statistics do not record: its number test always runs
    assert not any(p.startswith("unit_price: a number like") for p in got)
    # region spans east..华东: texts in between may start with U+3000 (ideographic space), so it is checked
    assert not any(p.startswith("region: a value") for p in got)


@pytest.mark.parametrize(("column", "value", "message"), [
    ("quantity", 0, "orders.parquet, column quantity, row 1000: 0 — expected a whole number >= 1"),
    ("order_ts", pd.Timestamp("2099-01-01"), "orders.parquet, column order_ts, row 1000: '2099-01-01 00:00:00' — expected a time not in the future"),
    ("status", "shipped", "orders.parquet, column status, row 1000: 'shipped' — expected one of completed"),
    ("order_id", "  ", "orders.parquet, column order_id, row 1000: (empty) — expected a value"),
    ("order_id", None, "orders.parquet, column order_id, row 1000: (empty) — expected a value"),
])
def test_a_bad_row_in_the_last_row_group_is_still_found(tmp_path: Path, column: str, value: object,
                                                        message: str) -> None:
    df = orders()
    if column == "order_ts":
        df[column] = df[column].astype("datetime64[ns]")
    df[column] = df[column].astype(object)
    df.loc[N - 1, column] = value
    if column == "order_ts":
        df[column] = pd.to_datetime(df[column])
    folder = write_shop(tmp_path / "shop", df)
    got = [str(p) for p in validate_shop(folder).problems]
    assert len(got) == 1 and got[0].startswith(message), got


def test_a_range_the_statistics_do_not_prove_is_checked(tmp_path: Path) -> None:
    df = orders()
    df.loc[[5, N - 1], "unit_price"] = -1.0
    got = [str(p) for p in validate_shop(write_shop(tmp_path / "shop", df)).problems]
    assert got == ["orders.parquet, column unit_price, rows 6, 1000: -1.0 — expected a number >= 0"]


def test_starts_with_space_possible_by_hand() -> None:
    # texts starting with " " lie in [" ", "!"): "A".."Z" avoids it, "" or "!".." " spans it
    assert not starts_with_space_possible("A", "Z", " ")
    assert starts_with_space_possible("", "Z", " ")
    assert starts_with_space_possible(" a", "b", " ")
    assert not starts_with_space_possible("!", "~", " \t")
    assert starts_with_space_possible("\u2fff", "\u3001", "\u3000")
    assert not starts_with_space_possible("\u3001", "\u9fff", "\u3000")


def test_the_same_problems_with_and_without_statistics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Several planted problems in different row groups: the messages must not depend on the shortcut.
    from opslib.data import sql_checks

    df = orders()
    df["status"] = df["status"].astype(object)
    df.loc[[3, 450, N - 1], "quantity"] = [0, -2, 0]
    df.loc[[7, N - 3], "status"] = ["lost", "shipped"]
    df.loc[N - 2, "unit_price"] = float("nan")
    folder = write_shop(tmp_path / "shop", df)
    with_stats = [str(p) for p in validate_shop(folder).problems]
    real = sql_checks.table_problems
    monkeypatch.setattr(sql_checks, "table_problems",
                        lambda *a, **k: real(*a, **{**k, "use_statistics": False}))
    without = [str(p) for p in validate_shop(folder).problems]
    assert with_stats == without and len(with_stats) == 3, with_stats
    assert with_stats[0] == "orders.parquet, column quantity, rows 4, 451, 1000: 0, -2 — expected a whole number >= 1"
    assert with_stats[1].startswith("orders.parquet, column unit_price, row 999:")  # NaN: not in the statistics
    assert with_stats[2].startswith("orders.parquet, column status, rows 8, 998: 'lost', 'shipped'")
