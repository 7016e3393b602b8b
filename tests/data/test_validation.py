"""Tests for opslib.data: loading a shop folder and reporting every contract violation precisely."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opslib.data import (
    DataError,
    MissingTableError,
    Problem,
    format_report,
    load_shop,
    read_table,
    schema_for,
    validate_main,
    validate_shop,
)
from opslib.data.contract import TABLES

ROOT = Path(__file__).resolve().parents[2]

PRODUCTS = """\
sku,name,category,subcategory,brand,unit_cost,launch_date
SKU1,保湿精华液 30ml,美妆,护肤,花漾,41.5,2023-03-01
SKU2,纯棉T恤,服饰,上衣,棉棉,,
SKU3, 运动鞋 ,鞋靴,跑鞋,飞跃,120,2024/01/05
"""

ORDERS = """\
order_id,order_ts,customer_id,sku,quantity,unit_price,list_price,channel,region,status,campaign_id
O1,2024-06-18 10:31:00,C1,SKU1,2,89.00,99.00,app,华东,completed,CMP1
O1,2024/06/18 10:31,C1,SKU2,1,50,60,app,华东,returned,
O2,2024-06-19T08:00:00,,SKU1,1,99,99,web,华北,cancelled,
O3,2024-06-20 21:05:00,C2,SKU3,3,100,120,live,华南,completed,CMP1
"""

CAMPAIGNS = """\
campaign_id,name,kind,start,end,discount_depth,scope_type,scope,marketing_spend
CMP1,2024 618 年中大促,festival,2024-06-01,2024-06-18,0.2,category,美妆|服饰,150000
"""

FULFILMENT = """\
order_id,paid_ts,shipped_ts,delivered_ts,promised_ts,warehouse,carrier
O1,2024-06-18 10:32:00,2024-06-19 09:00:00,2024-06-21 15:20:00,2024-06-22 23:59:00,上海仓,顺丰
O3,2024-06-20 21:06:00,,,,广州仓,京东
"""

REVIEWS = """\
order_id,review_ts,score,topic
O1,2024-06-25 20:11:00,4,物流
O3,2024-06-26 08:00:00,5,
"""

TRAFFIC = pd.DataFrame(
    {
        "date": pd.to_datetime(["2024-06-18", "2024-06-18", "2024-06-19"]),
        "category": ["美妆", "服饰", "美妆"],
        "visitors": [15230, 800, 14000],
        "product_views": [48211, 2000, 40000],
        "add_to_cart": [2211, 90, 2000],
    }
)

INVENTORY = pd.DataFrame(
    {
        "date": [datetime(2024, 6, 18), datetime(2024, 6, 18), datetime(2024, 6, 19)],
        "sku": ["SKU1", "SKU2", "SKU1"],
        "on_hand": [120, 40, 118],
        "inbound": [0, 0, 0],
    }
)

SERVICE = """\
contact_id,contact_ts,stage,reason,customer_id,order_id,sku,agent,first_response_ts,resolved_ts,converted
S1,2024-06-18 10:20:00,pre_sale,尺码推荐,C1,O1,SKU1,客服01,2024-06-18 10:20:12,2024-06-18 10:25:00,yes
S2,2024-06-22 09:00:00,after_sale,物流查询,C1,O1,,客服02,2024-06-22 09:00:40,,
"""
MARKET = """\
period_start,period_end,category,competitor,price_min,price_max,gmv,units,avg_price
2024-06-01,2024-06-30,美妆,,,,1250000,9800,127.55
2024-06-01,2024-06-30,美妆,竞店A,,,150000,1250,120
"""
CSV_TEXTS = {"products": PRODUCTS, "orders": ORDERS, "campaigns": CAMPAIGNS, "fulfilment": FULFILMENT,
             "reviews": REVIEWS, "service": SERVICE, "market": MARKET}


def make_shop(folder: Path, omit: tuple[str, ...] = (), **replace: str | bytes) -> Path:
    """A small valid shop (CSV tables, traffic as Parquet, inventory as Excel) with optional edits.

    ``replace`` maps a table name to the CSV text (or raw bytes) written instead of the valid one.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in CSV_TEXTS.items():
        if name in omit:
            continue
        content = replace.get(name, text)
        path = folder / f"{name}.csv"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if "traffic" not in omit:
        TRAFFIC.to_parquet(folder / "traffic.parquet", index=False)
    if "inventory" not in omit:
        INVENTORY.to_excel(folder / "inventory.xlsx", index=False, sheet_name="inventory")
    return folder


def edit(text: str, line: int, column: str, value: str) -> str:
    """``text`` with the cell at file ``line`` (header = 1) and ``column`` set to ``value``."""
    rows = text.splitlines()
    header = rows[0].split(",")
    cells = rows[line - 1].split(",")
    cells[header.index(column)] = value
    rows[line - 1] = ",".join(cells)
    return "\n".join(rows) + "\n"


def problems_of(folder: Path) -> list[str]:
    """The problem lines of validate_shop, as strings."""
    report = validate_shop(folder)
    return [str(p) for p in report.problems]


def only_problem(folder: Path) -> str:
    found = problems_of(folder)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def shop_dir(tmp_path: Path) -> Path:
    return make_shop(tmp_path / "shop")


# ------------------------------------------------------------------------------------ valid shop


def test_valid_shop_loads_with_contract_dtypes(shop_dir: Path) -> None:
    shop = load_shop(shop_dir)
    assert shop.available == list(TABLES)
    assert shop.missing == []
    for name, spec in TABLES.items():
        frame = getattr(shop, name)
        assert list(frame.columns) == spec.column_names, name
        for col in spec.columns:
            dtype = frame[col.name].dtype
            if col.kind == "str":
                assert dtype == pd.StringDtype(na_value=np.nan), (name, col.name, dtype)
            elif col.kind == "int":
                assert dtype == np.dtype("int64"), (name, col.name, dtype)
            elif col.kind == "float":
                assert dtype == np.dtype("float64"), (name, col.name, dtype)
            else:
                assert dtype == np.dtype("datetime64[ns]"), (name, col.name, dtype)
    orders = shop.orders
    assert orders["order_ts"].tolist() == [
        pd.Timestamp("2024-06-18 10:31"), pd.Timestamp("2024-06-18 10:31"),
        pd.Timestamp("2024-06-19 08:00"), pd.Timestamp("2024-06-20 21:05"),
    ]
    assert orders["customer_id"].isna().tolist() == [False, False, True, False]
    assert orders["campaign_id"].isna().sum() == 2  # empty strings became missing
    assert shop.products.loc[2, "name"] == "运动鞋"  # stripped
    assert shop.products.loc[2, "launch_date"] == pd.Timestamp("2024-01-05")
    assert shop.inventory["date"].tolist()[0] == pd.Timestamp("2024-06-18")
    assert shop.traffic["visitors"].sum() == 30030


def test_valid_shop_reports_ok(shop_dir: Path) -> None:
    report = validate_shop(shop_dir)
    assert report.ok, format_report(report)
    text = format_report(report)
    assert "orders.csv: OK, 4 rows, order_ts 2024-06-18 10:31 to 2024-06-20 21:05" in text
    assert "campaigns.csv: OK, 1 row, start..end 2024-06-01 to 2024-06-18" in text
    assert "traffic.parquet: OK" in text and "inventory.xlsx: OK" in text


def test_load_subset_of_tables(shop_dir: Path) -> None:
    shop = load_shop(shop_dir, tables=["orders", "products"])
    assert shop.available == ["orders", "products"]
    assert shop.traffic is None and not shop.has("traffic") and shop.has("orders")


def test_schema_for_accepts_loaded_frames(shop_dir: Path) -> None:
    shop = load_shop(shop_dir)
    for name in TABLES:
        schema_for(name).validate(getattr(shop, name))


def test_read_table_types_one_file(shop_dir: Path) -> None:
    frame = read_table(shop_dir / "reviews.csv", "reviews")
    assert frame["score"].dtype == np.dtype("int64")
    assert frame["review_ts"].dtype == np.dtype("datetime64[ns]")


# ----------------------------------------------------------------------------------- bad inputs


def test_missing_column(tmp_path: Path) -> None:
    text = "\n".join(",".join(line.split(",")[:-1]) for line in ORDERS.splitlines()) + "\n"
    folder = make_shop(tmp_path, orders=text)
    msg = only_problem(folder)
    assert msg.startswith("orders.csv, column campaign_id: missing — expected a column named campaign_id")
    with pytest.raises(DataError) as exc:
        load_shop(folder)
    assert "orders.csv, column campaign_id: missing" in str(exc.value)
    assert exc.value.problems[0].column == "campaign_id"


def test_unparseable_date(tmp_path: Path) -> None:
    text = edit(edit(ORDERS, 3, "order_ts", "yesterday"), 5, "order_ts", "2024-13-01")
    msg = only_problem(make_shop(tmp_path, orders=text))
    assert msg == (
        "orders.csv, column order_ts, lines 3, 5: 'yesterday', '2024-13-01' — "
        "expected a date/time like 2024-06-18 10:31:00"
    )


def test_unparseable_number_and_thousands_separator(tmp_path: Path) -> None:
    text = edit(edit(ORDERS, 2, "unit_price", '"1,234.5"'), 4, "list_price", "abc")
    found = problems_of(make_shop(tmp_path, orders=text))
    assert "orders.csv, column unit_price, line 2: '1,234.5' — expected a number like 89.00" in found[0]
    assert "orders.csv, column list_price, line 4: 'abc' — expected a number" in found[1]


def test_negative_price(tmp_path: Path) -> None:
    msg = only_problem(make_shop(tmp_path, orders=edit(ORDERS, 4, "unit_price", "-5")))
    assert msg == "orders.csv, column unit_price, line 4: '-5' — expected a number >= 0"


def test_zero_and_negative_quantity(tmp_path: Path) -> None:
    text = edit(edit(ORDERS, 2, "quantity", "0"), 5, "quantity", "-1")
    msg = only_problem(make_shop(tmp_path, orders=text))
    assert msg == "orders.csv, column quantity, lines 2, 5: '0', '-1' — expected a whole number >= 1"


def test_fractional_quantity_is_not_a_whole_number(tmp_path: Path) -> None:
    msg = only_problem(make_shop(tmp_path, orders=edit(ORDERS, 3, "quantity", "1.5")))
    assert msg == "orders.csv, column quantity, line 3: '1.5' — expected a whole number like 3"


def test_empty_required_value(tmp_path: Path) -> None:
    msg = only_problem(make_shop(tmp_path, orders=edit(ORDERS, 3, "channel", "  ")))
    assert msg == "orders.csv, column channel, line 3: (empty) — expected a value (this column may not be empty)"


def test_status_not_allowed(tmp_path: Path) -> None:
    msg = only_problem(make_shop(tmp_path, orders=edit(ORDERS, 5, "status", "shipped")))
    assert msg == "orders.csv, column status, line 5: 'shipped' — expected one of completed, cancelled, returned"


def test_duplicate_key(tmp_path: Path) -> None:
    text = ORDERS + "O1,2024-06-18 11:00:00,C1,SKU1,1,89,99,app,华东,completed,\n"
    msg = only_problem(make_shop(tmp_path, orders=text))
    assert msg == (
        "orders.csv, columns order_id + sku, lines 2, 6: 1 duplicated key value: ('O1', 'SKU1') — "
        "expected each (order_id, sku) only once"
    )


def test_sku_missing_from_products(tmp_path: Path) -> None:
    msg = only_problem(make_shop(tmp_path, orders=edit(ORDERS, 4, "sku", "SKU999")))
    assert msg == "orders.csv, column sku, line 4: 'SKU999' — expected a sku that exists in products.csv"


def test_other_references(tmp_path: Path) -> None:
    folder = make_shop(
        tmp_path,
        orders=edit(ORDERS, 3, "campaign_id", "NOPE"),
        reviews=edit(REVIEWS, 2, "order_id", "O9"),
        fulfilment=edit(FULFILMENT, 3, "order_id", "O8"),
    )
    found = problems_of(folder)
    assert "orders.csv, column campaign_id, line 3: 'NOPE' — expected a campaign_id that exists in campaigns.csv" in found
    assert "fulfilment.csv, column order_id, line 3: 'O8' — expected a order_id that exists in orders.csv" in found
    assert "reviews.csv, column order_id, line 2: 'O9' — expected a order_id that exists in orders.csv" in found


def test_campaign_id_not_checked_without_campaigns(tmp_path: Path) -> None:
    folder = make_shop(tmp_path, omit=("campaigns",), orders=edit(ORDERS, 3, "campaign_id", "NOPE"))
    assert validate_shop(folder).ok


def test_inventory_sku_missing_from_products_uses_excel_rows(tmp_path: Path) -> None:
    folder = make_shop(tmp_path)
    bad = INVENTORY.assign(sku=["SKU1", "SKU2", "GHOST"])
    bad.to_excel(folder / "inventory.xlsx", index=False)
    msg = only_problem(folder)
    assert msg == "inventory.xlsx, column sku, row 4: 'GHOST' — expected a sku that exists in products.csv"


def test_parquet_rows_are_one_based_data_rows(tmp_path: Path) -> None:
    folder = make_shop(tmp_path)
    TRAFFIC.assign(visitors=[1, -3, 2]).to_parquet(folder / "traffic.parquet", index=False)
    msg = only_problem(folder)
    assert msg == "traffic.parquet, column visitors, row 2: -3 — expected a whole number >= 0"


def test_date_column_must_be_midnight(tmp_path: Path) -> None:
    msg = only_problem(make_shop(tmp_path, products=edit(PRODUCTS, 2, "launch_date", "2023-03-01 10:00")))
    assert msg == "products.csv, column launch_date, line 2: '2023-03-01 10:00' — expected a date without a time of day, like 2024-06-18"


@pytest.mark.parametrize("content, issue", [(b"", "empty file (0 bytes)"), (ORDERS.splitlines()[0] + "\n", "no data rows (header only)")])
def test_empty_file(tmp_path: Path, content: str | bytes, issue: str) -> None:
    folder = make_shop(tmp_path, omit=("fulfilment", "reviews"), orders=content)
    msg = only_problem(folder)
    assert msg == f"orders.csv: {issue} — expected a header line and at least one data row"
    with pytest.raises(DataError, match="orders.csv"):
        load_shop(folder)


def test_wrong_encoding(tmp_path: Path) -> None:
    data = ORDERS.encode("utf-8").replace("华南".encode(), b"\xff\xfe")
    msg = only_problem(make_shop(tmp_path, orders=data))
    assert msg.startswith("orders.csv, line 5: wrong encoding: byte 0xff at byte offset ")
    assert msg.endswith("— expected text saved as UTF-8 (or GB18030) CSV")
    with pytest.raises(DataError, match="wrong encoding"):
        read_table(tmp_path / "orders.csv", "orders")


def test_gb18030_file_with_chinese_text(tmp_path: Path) -> None:
    folder = make_shop(tmp_path, products=PRODUCTS.encode("gb18030"), orders=ORDERS.encode("gb18030"))
    shop = load_shop(folder)
    assert shop.products["name"].tolist() == ["保湿精华液 30ml", "纯棉T恤", "运动鞋"]
    assert shop.orders["region"].tolist() == ["华东", "华东", "华北", "华南"]


def test_utf8_with_bom(tmp_path: Path) -> None:
    shop = load_shop(make_shop(tmp_path, orders=ORDERS.encode("utf-8-sig")))
    assert shop.orders.columns[0] == "order_id"


def test_missing_required_table(tmp_path: Path) -> None:
    folder = make_shop(tmp_path, omit=("products",))
    with pytest.raises(DataError) as exc:
        load_shop(folder)
    text = str(exc.value)
    assert f"products: required table missing in {folder}" in text
    assert "expected products.csv, products.csv.gz, products.parquet or products.xlsx" in text
    assert not validate_shop(folder).ok


def test_missing_optional_table_is_noted(tmp_path: Path) -> None:
    folder = make_shop(tmp_path, omit=("traffic",))
    shop = load_shop(folder)
    assert shop.traffic is None and shop.missing == ["traffic"]
    assert "traffic" not in shop.available
    report = validate_shop(folder)
    assert report.ok
    text = format_report(report)
    assert "traffic: no file (optional)" in text
    assert any("traffic" in n and "optional" in n for n in report.notes)


def test_two_formats_for_one_table(tmp_path: Path) -> None:
    folder = make_shop(tmp_path)
    TRAFFIC.to_csv(folder / "traffic.csv", index=False)
    msg = only_problem(folder)
    assert msg == (
        "traffic: 2 files for one table (traffic.csv, traffic.parquet) — "
        "expected exactly one file per table: remove all but one"
    )
    with pytest.raises(DataError, match="traffic.csv, traffic.parquet"):
        load_shop(folder)


def test_campaign_ends_before_start(tmp_path: Path) -> None:
    msg = only_problem(make_shop(tmp_path, campaigns=edit(CAMPAIGNS, 2, "end", "2024-05-20")))
    assert msg == (
        "campaigns.csv, column end, line 2: ends before it starts: 2024-05-20 (start 2024-06-01) — "
        "expected an end date on or after the start date"
    )


def test_review_score_six(tmp_path: Path) -> None:
    msg = only_problem(make_shop(tmp_path, reviews=edit(REVIEWS, 3, "score", "6")))
    assert msg == "reviews.csv, column score, line 3: '6' — expected a whole number between 1 and 5"


def test_extra_column_is_a_note_not_a_problem(tmp_path: Path) -> None:
    text = "\n".join(line + ",x" for line in REVIEWS.splitlines()[1:])
    folder = make_shop(tmp_path, reviews="order_id,review_ts,score,topic,备注\n" + text + "\n")
    report = validate_shop(folder)
    assert report.ok
    assert "reviews.csv: extra columns kept but not used: 备注" in report.notes
    assert load_shop(folder).reviews.columns[-1] == "备注"


def test_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    text = edit(ORDERS, 4, "status", "lost").replace("\nO2,", "\n\n  \nO2,")
    msg = only_problem(make_shop(tmp_path, orders=text))
    assert msg.startswith("orders.csv, column status, line 6: 'lost'")


def test_many_offending_rows_show_five(tmp_path: Path) -> None:
    body = "".join(f"R{i},2024-06-25 20:11:00,9,\n" for i in range(12))
    folder = make_shop(tmp_path, reviews="order_id,review_ts,score,topic\n" + body)
    report = validate_shop(folder)
    score = [p for p in report.problems if p.column == "score"][0]
    assert score.rows == [2, 3, 4, 5, 6] and score.n_rows == 12
    assert "lines 2, 3, 4, 5, 6 and 7 more: '9'" in str(score)


def test_validate_false_keeps_going(tmp_path: Path) -> None:
    shop = load_shop(make_shop(tmp_path, reviews=edit(REVIEWS, 3, "score", "x")), validate=False)
    assert shop.reviews["score"].isna().tolist() == [False, True]


# ------------------------------------------------------------------------------- Shop helpers


def test_require_and_skip_message(tmp_path: Path) -> None:
    folder = make_shop(tmp_path, omit=("traffic",))
    shop = load_shop(folder)
    shop.require("orders", "products", purpose="the GMV bridge")
    with pytest.raises(MissingTableError) as exc:
        shop.require("orders", "traffic", purpose="the conversion decomposition")
    assert "the conversion decomposition needs traffic.csv" in str(exc.value)
    assert isinstance(exc.value, DataError) and exc.value.problems[0].table == "traffic"
    assert shop.skip_message("traffic", "the conversion decomposition") == (
        f"no traffic table in {folder} (traffic.csv, .parquet or .xlsx): skipping the conversion decomposition"
    )


def test_problem_str_without_rows() -> None:
    p = Problem(table="orders", file="orders.csv", column="sku", issue="missing", expected="a column named sku")
    assert str(p) == "orders.csv, column sku: missing — expected a column named sku"


# ---------------------------------------------------------------------------------------- CLI


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opslib", "validate", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )


def test_cli_exit_codes(tmp_path: Path) -> None:
    good = make_shop(tmp_path / "good")
    bad = make_shop(tmp_path / "bad", orders=edit(ORDERS, 3, "order_ts", "yesterday"),
                    reviews=b"\xff\xfe\xfd not text")
    clean = run_cli(str(good))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Result: OK" in clean.stdout
    broken = run_cli(str(bad))
    assert broken.returncode == 1
    assert "orders.csv, column order_ts, line 3: 'yesterday'" in broken.stdout
    assert "reviews.csv, line 1: wrong encoding" in broken.stdout
    for result in (clean, broken):
        assert "Traceback" not in result.stdout + result.stderr


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate_main([]) == 2
    assert validate_main([str(tmp_path / "nowhere")]) == 2
    assert validate_main(["a", "b"]) == 2
    err = capsys.readouterr().err
    assert "usage: python -m opslib validate DIR" in err and "is not a folder" in err
    missing = run_cli(str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "Traceback" not in missing.stdout + missing.stderr


def test_cli_on_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate_main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "orders: 1 problem" in out and "products: required table missing" in out


# -------------------------------------------------------------------------------- properties

TEXT = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters='"'),
    min_size=1, max_size=12,
).filter(lambda s: s == s.strip())
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def product_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Valid products frames with arbitrary text, optional costs and optional launch dates."""
    skus = draw(st.lists(TEXT, min_size=1, max_size=8, unique=True))
    n = len(skus)

    def col(strategy: st.SearchStrategy) -> list:
        return draw(st.lists(strategy, min_size=n, max_size=n))

    return pd.DataFrame(
        {
            "sku": pd.Series(skus, dtype="str"),
            "name": pd.Series(col(TEXT), dtype="str"),
            "category": pd.Series(col(TEXT), dtype="str"),
            "subcategory": pd.Series(col(TEXT), dtype="str"),
            "brand": pd.Series(col(TEXT), dtype="str"),
            "unit_cost": pd.Series(col(st.none() | st.floats(0, 1e9, allow_nan=False)), dtype="float64"),
            "launch_date": pd.to_datetime(pd.Series(col(st.none() | DAYS), dtype=object)).astype("datetime64[ns]"),
        }
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=product_frames(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_csv_round_trip_keeps_values_and_dtypes(frame: pd.DataFrame, encoding: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "products.csv"
        frame.to_csv(path, index=False, encoding=encoding, date_format="%Y-%m-%d")
        back = read_table(path, "products")
    pd.testing.assert_frame_equal(back, frame)


@settings(max_examples=25, deadline=None)
@given(frame=product_frames())
def test_parquet_round_trip_keeps_values_and_dtypes(frame: pd.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "products.parquet"
        frame.to_parquet(path, index=False)
        back = read_table(path, "products")
    pd.testing.assert_frame_equal(back, frame)


def test_ragged_csv_line(tmp_path: Path) -> None:
    text = ORDERS.replace("O2,2024-06-19T08:00:00,", "O2,2024-06-19T08:00:00,extra,")
    msg = only_problem(make_shop(tmp_path, orders=text))
    assert msg.startswith("orders.csv: cannot be read as CSV (Expected 11 fields in line 4, saw 12)")


def test_empty_whole_number_is_reported_once(tmp_path: Path) -> None:
    msg = only_problem(make_shop(tmp_path, reviews=edit(REVIEWS, 2, "score", "")))
    assert msg == "reviews.csv, column score, line 2: (empty) — expected a value (this column may not be empty)"


def test_cost_note_is_none_when_every_cost_comes_from_the_source() -> None:
    from opslib.data import cost_note

    assert cost_note(pd.DataFrame({"sku": ["a"], "unit_cost": [1.0]})) is None
    note = cost_note(pd.DataFrame({"sku": ["a", "b"], "unit_cost": [1.0, 2.0],
                                   "cost_source": ["assumed 30% margin", "assumed 30% margin"]}))
    assert note is not None and "2 of 2 SKUs have costs assumed" in note
