"""A shop validated once opens without re-checking (issue 15): the stamp of a clean validation.

Every test counts the table checks that really ran (``sql_checks.table_problems``) on tiny shops made here;
the cache is a temporary folder (``OPSLIB_CACHE_DIR``), never the shop.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from opslib.data import DataError, load_shop, validate_main, validate_shop
from opslib.data import stamp as stamps
from tests.data.tiny_shops import write_csv_shop

PRODUCTS = "sku,name,category,subcategory,brand,unit_cost,launch_date\nS1,精华,美妆,护肤,花漾,41.5,2023-03-01\n"
HEADER = "order_id,order_ts,customer_id,sku,quantity,unit_price,list_price,channel,region,status,campaign_id\n"
ORDERS = HEADER + "O1,2024-06-18 10:31:00,C1,S1,2,89,99,app,华东,completed,\n" \
                  "O2,2024-06-18T03:00:00Z,C2,S1,1,89,99,app,华南,completed,\n"


# A temporary cache for every test (``stamp_cache``) and the table checks that ran (``checked``): tests/conftest.py
pytestmark = pytest.mark.usefixtures("stamp_cache")


def csv_shop(folder: Path, orders: str = ORDERS) -> Path:
    return write_csv_shop(folder, PRODUCTS, orders)


def parquet_shop(folder: Path, quantity: list[int] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"sku": ["S1"], "name": ["精华"], "category": ["美妆"], "subcategory": ["护肤"], "brand": ["花漾"],
                  "unit_cost": [41.5], "launch_date": [pd.Timestamp("2023-03-01")]}).to_parquet(folder / "products.parquet")
    q = quantity or [2, 1]
    pd.DataFrame({"order_id": [f"O{i}" for i in range(len(q))], "order_ts": [pd.Timestamp("2024-06-18 10:31")] * len(q),
                  "customer_id": ["C1"] * len(q), "sku": ["S1"] * len(q), "quantity": q, "unit_price": [89.0] * len(q),
                  "list_price": [99.0] * len(q), "channel": ["app"] * len(q), "region": ["华东"] * len(q),
                  "status": ["completed"] * len(q), "campaign_id": [None] * len(q)}).to_parquet(folder / "orders.parquet")
    return folder


def unchanged(shop) -> bool:  # noqa: ANN001
    return any(n.startswith("validated on ") and n.endswith("; files unchanged") for n in shop.notes)


def test_second_open_skips_the_checks_and_says_so(tmp_path: Path, checked: list[str]) -> None:
    folder = csv_shop(tmp_path / "shop")
    first = load_shop(folder)
    assert checked == ["orders", "products"] and not unchanged(first)
    second = load_shop(folder)
    assert checked == ["orders", "products"]  # nothing checked again
    assert unchanged(second)
    pd.testing.assert_frame_equal(first.orders, second.orders)
    assert second.lines is not None and second.lines.validated


def test_warnings_found_the_first_time_are_replayed(tmp_path: Path, checked: list[str]) -> None:
    folder = csv_shop(tmp_path / "shop")
    note = "orders.csv, column order_ts: 1 time stamp with a UTC offset or Z converted to Asia/Shanghai local time"
    assert note in load_shop(folder).notes
    again = load_shop(folder)
    assert len(checked) == 2 and note in again.notes and unchanged(again)


def test_touching_a_file_means_a_full_check(tmp_path: Path, checked: list[str]) -> None:
    folder = csv_shop(tmp_path / "shop")
    load_shop(folder)
    st = (folder / "orders.csv").stat()
    os.utime(folder / "orders.csv", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    shop = load_shop(folder)
    assert checked == ["orders", "products"] * 2 and not unchanged(shop)


def test_a_changed_cell_of_the_same_size_and_time_is_found(tmp_path: Path, checked: list[str]) -> None:
    folder = csv_shop(tmp_path / "shop")
    load_shop(folder)
    f = folder / "orders.csv"
    st = f.stat()
    bad = ORDERS.replace(",C2,S1,1,", ",C2,S1,0,")  # quantity 0: same size, below the minimum of 1
    assert len(bad.encode()) == st.st_size
    f.write_text(bad, encoding="utf-8")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # the old time stamp, as a clock tick could leave it
    with pytest.raises(DataError, match=r"orders.csv, column quantity, line 3: '0'"):
        load_shop(folder)


def test_a_replaced_parquet_file_of_the_same_size_is_checked(tmp_path: Path, checked: list[str]) -> None:
    folder = parquet_shop(tmp_path / "shop", [2, 1])
    load_shop(folder)
    other = parquet_shop(tmp_path / "other", [2, 0])  # same layout, a planted 0
    f, g = folder / "orders.parquet", other / "orders.parquet"
    assert f.stat().st_size == g.stat().st_size
    st = f.stat()
    os.replace(g, f)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(DataError, match=r"orders.parquet, column quantity, row 2: 0"):
        load_shop(folder)


def test_a_settings_change_means_a_full_check(tmp_path: Path, checked: list[str]) -> None:
    folder = csv_shop(tmp_path / "shop")
    load_shop(folder)
    (folder / "shop.yml").write_text("timezone: Europe/London\n", encoding="utf-8")
    shop = load_shop(folder)
    assert len(checked) == 4 and not unchanged(shop)
    assert "converted to Europe/London local time" in " ".join(shop.notes)
    assert unchanged(load_shop(folder))
    assert not unchanged(load_shop(folder, settings={"timezone": "Asia/Tokyo"}))


def test_a_stamp_of_another_contract_version_is_ignored(tmp_path: Path, checked: list[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    folder = csv_shop(tmp_path / "shop")
    load_shop(folder)
    monkeypatch.setattr(stamps, "VALIDATION_VERSION", stamps.VALIDATION_VERSION + 1)
    assert not unchanged(load_shop(folder)) and len(checked) == 4


def test_revalidate_forces_a_full_check(tmp_path: Path, checked: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = csv_shop(tmp_path / "shop")
    load_shop(folder)
    assert not unchanged(load_shop(folder, revalidate=True)) and len(checked) == 4
    monkeypatch.setenv("OPSLIB_REVALIDATE", "1")
    assert not unchanged(load_shop(folder)) and len(checked) == 6


def test_validate_always_checks_in_full_and_stamps(tmp_path: Path, checked: list[str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = csv_shop(tmp_path / "shop")
    assert validate_main([str(folder)]) == 0
    assert validate_main([str(folder)]) == 0
    assert checked == ["orders", "products"] * 2
    assert "Result: OK" in capsys.readouterr().out
    # its stamp covers every table, so a report opening two of them does not check again
    assert unchanged(load_shop(folder, tables=["orders", "products"])) and len(checked) == 4


def test_a_stamp_of_fewer_tables_does_not_cover_more(tmp_path: Path, checked: list[str]) -> None:
    folder = csv_shop(tmp_path / "shop")
    (folder / "campaigns.csv").write_text("campaign_id,name,kind,start,end,discount_depth,scope_type,scope,"
                                          "marketing_spend\nK1,618,festival,2024-06-01,2024-06-18,0.2,all,,1000\n",
                                          encoding="utf-8")
    load_shop(folder, tables=["orders", "products"])
    assert not unchanged(load_shop(folder, tables=["orders", "products", "campaigns"]))
    assert unchanged(load_shop(folder, tables=["orders"]))


def test_problems_are_never_stamped(tmp_path: Path, checked: list[str]) -> None:
    folder = parquet_shop(tmp_path / "shop", [2, 0])
    for _ in range(2):
        with pytest.raises(DataError, match="column quantity, row 2: 0"):
            load_shop(folder)
    assert not validate_shop(folder).ok


def test_an_unwritable_cache_folder_still_validates(tmp_path: Path, checked: list[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    monkeypatch.setenv("OPSLIB_CACHE_DIR", str(blocked))
    folder = parquet_shop(tmp_path / "shop", [2, 1])
    for _ in range(2):
        shop = load_shop(folder)
        assert not unchanged(shop) and shop.orders["quantity"].tolist() == [2, 1]
    assert len(checked) == 4
    with pytest.raises(DataError, match="column quantity, row 2: 0"):
        load_shop(parquet_shop(tmp_path / "bad", [2, 0]))


def test_nothing_is_written_into_the_shop_folder(tmp_path: Path, stamp_cache: Path) -> None:
    folder = csv_shop(tmp_path / "shop")
    before = sorted(p.name for p in folder.iterdir())
    load_shop(folder)
    load_shop(folder)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert list((stamp_cache / "validated").glob("*.json"))
