"""The runner validates a shop once before a batch of reports (opslib.reporting.prevalidate).

Tiny shops written here; the cache is a temporary folder (``OPSLIB_CACHE_DIR``). What each call does is
read from its result and from the table checks that really ran.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from opslib.data import load_shop
from opslib.reporting.prevalidate import validate_once

PRODUCTS = "sku,name,category,subcategory,brand,unit_cost,launch_date\nS1,精华,美妆,护肤,花漾,41.5,2023-03-01\n"
HEADER = "order_id,order_ts,customer_id,sku,quantity,unit_price,list_price,channel,region,status,campaign_id\n"
GOOD = HEADER + "O1,2024-06-18 10:31:00,C1,S1,2,89,99,app,华东,completed,\n"
BAD = HEADER + "O1,2024-06-18 10:31:00,C1,S9,2,89,99,app,华东,completed,\n"  # S9 is no product

# A temporary cache for every test (``stamp_cache``) and the table checks that ran (``checked``): tests/conftest.py
pytestmark = pytest.mark.usefixtures("stamp_cache")


def shop(folder: Path, orders: str) -> Path:
    folder.mkdir()
    (folder / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    (folder / "orders.csv").write_text(orders, encoding="utf-8")
    return folder


def test_a_shop_of_two_runs_is_validated_once_and_the_reports_open_it_from_the_stamp(
        tmp_path: Path, checked: list[str]) -> None:
    s = shop(tmp_path / "s", GOOD)
    lines: list[str] = []
    assert validate_once([s, s], say=lines.append) == {s.resolve(): "validated"}
    assert sorted(checked) == ["orders", "products"] and "valid; the 2 reports" in lines[-1]
    checked.clear()
    load_shop(s, tables=["orders", "products"])  # what a report's first cell does: no check runs
    assert checked == []
    assert validate_once([s, s], say=lines.append) == {s.resolve(): "stamped"} and checked == []


def test_one_run_or_none_is_left_to_the_report_and_problems_are_not_stamped(
        tmp_path: Path, checked: list[str]) -> None:
    good, bad = shop(tmp_path / "g", GOOD), shop(tmp_path / "b", BAD)
    missing = tmp_path / "missing"
    assert validate_once([good, None, missing, missing], say=lambda _: None) == {missing.resolve(): "skipped"}
    assert checked == []
    lines: list[str] = []
    assert validate_once([bad, bad, bad], say=lines.append) == {bad.resolve(): "problems"}
    assert "problem(s); each report shows them" in lines[-1]
    checked.clear()
    with pytest.raises(Exception, match="S9"):  # the report validates again and names the SKU
        load_shop(bad, tables=["orders", "products"])
    assert "orders" in checked
