"""Notebook 04 reads the validation (issue 15): ``validate_shop(..., use_stamp=True)`` on a validated, unchanged
shop reports its stamp instead of checking again (45 minutes at 100M lines), with the tables, rows, dates and
notes a full check prints; a changed file or a shop with problems is checked in full; ``python -m opslib validate``
always checks.

Every test counts the table checks that really ran (``checked``, tests/conftest.py) on tiny shops written here;
the expected rows and dates are those of the two or three lines written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from opslib.data import format_report, validate_main, validate_shop
from tests.data.tiny_shops import write_csv_shop

PRODUCTS = "sku,name,category,subcategory,brand,unit_cost,launch_date\nS1,精华,美妆,护肤,花漾,41.5,2023-03-01\n"
HEADER = "order_id,order_ts,customer_id,sku,quantity,unit_price,list_price,channel,region,status,campaign_id\n"
# O2's time carries Z: a warning (converted to Asia/Shanghai), which a stamped report must show as well
ORDERS = HEADER + "O1,2024-06-18 10:31:00,C1,S1,2,89,99,app,华东,completed,\n" \
                  "O2,2024-06-19T03:00:00Z,C2,S1,1,89,99,app,华南,completed,\n"
OFFSET_NOTE = "orders.csv, column order_ts: 1 time stamp with a UTC offset or Z converted to Asia/Shanghai local time"
UNCHANGED = "; files unchanged"

pytestmark = pytest.mark.usefixtures("stamp_cache")


def shop(folder: Path, orders: str = ORDERS) -> Path:
    return write_csv_shop(folder, PRODUCTS, orders)


def without_stamp_line(text: str) -> str:
    return "\n".join(ln for ln in text.splitlines() if not ln.endswith(UNCHANGED))


def test_a_stamped_shop_is_not_checked_again_and_shows_the_same_tables(tmp_path: Path, checked: list[str]) -> None:
    folder = shop(tmp_path / "shop")
    full = validate_shop(folder)  # the check the user asked for; writes the stamp
    assert checked == ["orders", "products"]
    read = validate_shop(folder, use_stamp=True)
    assert checked == ["orders", "products"]  # nothing checked the second time
    assert read.ok and read.problems == []
    assert read.notes[-1].startswith("validated on ") and read.notes[-1].endswith(UNCHANGED)
    assert read.notes[:-1] == full.notes and OFFSET_NOTE in read.notes  # the warning found then, replayed
    # by hand: 2 order lines from 2024-06-18 10:31 to 2024-06-19 11:00 (03:00 Z is 11:00 in Shanghai), 1 product
    orders = read.tables["orders"]
    assert (orders.rows, str(orders.date_min), str(orders.date_max)) == (2, "2024-06-18 10:31:00", "2024-06-19 11:00:00")
    assert read.tables["products"].rows == 1 and read.missing == full.missing
    text = format_report(read)
    assert "orders.csv: OK, 2 rows, order_ts 2024-06-18 10:31 to 2024-06-19 11:00" in text
    assert "Result: OK, the shop meets the data contract." in text
    assert without_stamp_line(text) == format_report(full)  # line for line what the full check printed


def test_a_changed_file_is_checked_in_full(tmp_path: Path, checked: list[str]) -> None:
    folder = shop(tmp_path / "shop")
    validate_shop(folder)
    extra = ORDERS + "O3,2024-06-20 09:00:00,C3,S1,4,89,99,app,华北,completed,\n"
    (folder / "orders.csv").write_text(extra, encoding="utf-8")
    read = validate_shop(folder, use_stamp=True)
    assert checked == ["orders", "products"] * 2
    assert not any(n.endswith(UNCHANGED) for n in read.notes)
    assert read.tables["orders"].rows == 3 and str(read.tables["orders"].date_max) == "2024-06-20 09:00:00"


def test_a_shop_with_problems_still_shows_them(tmp_path: Path, checked: list[str]) -> None:
    bad = ORDERS + "O3,2024-06-20 09:00:00,C3,S9,0,89,99,app,华北,completed,\n"  # quantity 0, SKU not in products
    folder = shop(tmp_path / "shop", bad)
    full = validate_shop(folder)
    for _ in range(2):  # never stamped, so every report checks and lists the problems
        read = validate_shop(folder, use_stamp=True)
        assert not read.ok and [str(p) for p in read.problems] == [str(p) for p in full.problems]
    assert checked == ["orders", "products"] * 3
    text = format_report(read)
    assert "column quantity, line 4: '0'" in text and "column sku, line 4: 'S9'" in text
    assert "Result: 2 problems found." in text


def test_revalidate_env_forces_the_check(tmp_path: Path, checked: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shop(tmp_path / "shop")
    validate_shop(folder)
    monkeypatch.setenv("OPSLIB_REVALIDATE", "1")
    assert not any(n.endswith(UNCHANGED) for n in validate_shop(folder, use_stamp=True).notes)
    assert checked == ["orders", "products"] * 2


def test_the_cli_always_checks_in_full(tmp_path: Path, checked: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop(tmp_path / "shop")
    validate_shop(folder)
    assert validate_main([str(folder)]) == 0
    assert checked == ["orders", "products"] * 2
    assert UNCHANGED not in capsys.readouterr().out


def test_a_stamp_of_some_tables_does_not_stand_for_the_whole_shop(tmp_path: Path, checked: list[str]) -> None:
    from opslib.data import load_shop

    folder = shop(tmp_path / "shop")
    (folder / "traffic.csv").write_text("date,category,visitors,product_views,add_to_cart\n2024-06-18,美妆,100,120,9\n",
                                        encoding="utf-8")
    load_shop(folder, tables=["orders", "products"])  # a report's subset: traffic was never checked
    assert checked == ["orders", "products"]
    read = validate_shop(folder, use_stamp=True)
    assert "traffic" in checked and not any(n.endswith(UNCHANGED) for n in read.notes)
