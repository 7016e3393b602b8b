"""Reading real exports on the engine (issue 13): time zones, Excel sheets, encodings, headers, sizes.

Each test states the message a user sees. Shops are tiny CSV/Excel/Parquet folders made here; the
staging cache goes to a temporary folder (``OPSLIB_CACHE_DIR``), never into the shop.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opslib.data import DataError, format_report, load_shop, read_settings, validate_main, validate_shop
from opslib.data import staging as files
from opslib.errors import SettingsError

PRODUCTS = "sku,name,category,subcategory,brand,unit_cost,launch_date\nS1,精华,美妆,护肤,花漾,41.5,2023-03-01\n"
HEADER = "order_id,order_ts,customer_id,sku,quantity,unit_price,list_price,channel,region,status,campaign_id\n"


def line(order: str, ts: str, region: str = "华东", sku: str = "S1") -> str:
    return f"{order},{ts},C1,{sku},1,89,99,app,{region},completed,\n"


@pytest.fixture(autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("OPSLIB_CACHE_DIR", str(path))
    return path


def shop(folder: Path, orders: str | bytes, products: str = PRODUCTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "products.csv").write_text(products, encoding="utf-8")
    if isinstance(orders, bytes):
        (folder / "orders.csv").write_bytes(orders)
    else:
        (folder / "orders.csv").write_text(orders, encoding="utf-8")
    return folder


def problems(folder: Path) -> list[str]:
    return [str(p) for p in validate_shop(folder).problems]


# ------------------------------------------------------------------------------------ time zones


def test_offsets_and_z_are_converted_to_the_shop_time_zone(tmp_path: Path) -> None:
    text = HEADER + line("O1", "2024-06-18 10:00:00+08:00") + line("O2", "2024-06-18T02:00:00Z") \
        + line("O3", "2024-06-18 11:00:00+09:00") + line("O4", "2024-06-18 10:00:00")
    folder = shop(tmp_path, text)
    report = validate_shop(folder)
    assert report.ok, format_report(report)
    # +08:00 is Shanghai already; Z is UTC (02:00 UTC = 10:00 Shanghai); +09:00 is one hour ahead; naive stays.
    assert load_shop(folder).orders["order_ts"].tolist() == [pd.Timestamp("2024-06-18 10:00")] * 4
    assert ("orders.csv, column order_ts: 3 time stamps with a UTC offset or Z converted to Asia/Shanghai "
            "local time") in report.notes


def test_time_zone_declared_in_shop_yml(tmp_path: Path) -> None:
    folder = shop(tmp_path, HEADER + line("O1", "2024-06-18T08:00:00Z"))
    (folder / "shop.yml").write_text("timezone: Europe/Berlin\n", encoding="utf-8")
    assert load_shop(folder).orders["order_ts"][0] == pd.Timestamp("2024-06-18 10:00")  # CEST = UTC+2


def test_aware_parquet_is_converted_not_shifted(tmp_path: Path) -> None:
    folder = shop(tmp_path, HEADER + line("O0", "2024-06-18 09:00"))
    (folder / "orders.csv").unlink()
    # 00:21 in Shanghai is 16:21 UTC the day before; the file stores the instant with its zone.
    ts = pd.Series(pd.to_datetime(["2024-06-18 00:21"])).dt.tz_localize("Asia/Shanghai")
    frame = pd.DataFrame({"order_id": ["O1"], "order_ts": ts, "customer_id": ["C1"], "sku": ["S1"], "quantity": [1],
                          "unit_price": [89.0], "list_price": [99.0], "channel": ["app"], "region": ["华东"],
                          "status": ["completed"], "campaign_id": [None]})
    frame.to_parquet(folder / "orders.parquet")
    report = validate_shop(folder)
    assert report.ok, format_report(report)
    assert "orders.parquet, column order_ts: time-zone-aware time stamps converted to Asia/Shanghai local time" \
        in report.notes
    assert load_shop(folder).orders["order_ts"][0] == pd.Timestamp("2024-06-18 00:21")


def test_future_dates_are_reported(tmp_path: Path) -> None:
    folder = shop(tmp_path, HEADER + line("O1", "2024-06-18 10:00") + line("O2", "2099-01-01 10:00"))
    found = problems(folder)
    assert len(found) == 1, found
    assert found[0].startswith("orders.csv, column order_ts, line 3: '2099-01-01 10:00' — expected a time not in "
                               "the future (on or before ")
    assert found[0].endswith("in Asia/Shanghai)")


def test_bad_shop_yml_is_one_message(tmp_path: Path) -> None:
    folder = shop(tmp_path, HEADER + line("O1", "2024-06-18 10:00"))
    (folder / "shop.yml").write_text("engine: oracle\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="engine 'oracle' — expected one of duckdb, spark"):
        read_settings(folder)
    (folder / "shop.yml").write_text("timezone: Mars/Olympus\n", encoding="utf-8")
    assert "timezone 'Mars/Olympus' is not an IANA time zone" in problems(folder)[0]
    (folder / "shop.yml").write_text("sheets: {order: '2024'}\n", encoding="utf-8")
    assert "sheets must map table names" in problems(folder)[0]


# ---------------------------------------------------------------------------------- Excel sheets


def _orders_frame(n: int, year: int) -> pd.DataFrame:
    return pd.DataFrame({"order_id": [f"O{year}{i}" for i in range(n)], "order_ts": pd.Timestamp(f"{year}-06-18 10:00"),
                         "customer_id": "C1", "sku": "S1", "quantity": 1, "unit_price": 89.0, "list_price": 99.0,
                         "channel": "app", "region": "华东", "status": "completed", "campaign_id": None})


def _two_sheet_book(folder: Path, names: tuple[str, str]) -> None:
    with pd.ExcelWriter(folder / "orders.xlsx") as book:
        _orders_frame(50, 2023).to_excel(book, sheet_name=names[0], index=False)
        _orders_frame(70, 2024).to_excel(book, sheet_name=names[1], index=False)


def test_excel_with_two_sheets_and_no_table_name_is_refused_naming_them(tmp_path: Path) -> None:
    folder = shop(tmp_path, HEADER)
    (folder / "orders.csv").unlink()
    _two_sheet_book(folder, ("2023", "2024"))
    assert problems(folder) == [
        "orders.xlsx: has 2 sheets (2023, 2024) and none is named orders — expected a sheet named orders, "
        "or the sheet chosen in shop.yml (sheets: {orders: NAME})"]


def test_excel_sheet_chosen_in_shop_yml(tmp_path: Path) -> None:
    folder = shop(tmp_path, HEADER)
    (folder / "orders.csv").unlink()
    _two_sheet_book(folder, ("2023", "2024"))
    (folder / "shop.yml").write_text("sheets: {orders: '2024'}\n", encoding="utf-8")
    report = validate_shop(folder)
    assert report.ok, format_report(report)
    assert report.tables["orders"].rows == 70
    assert "orders.xlsx: read sheet '2024' (the workbook has 2 sheets: 2023, 2024)" in report.notes


def test_excel_sheet_named_like_the_table_wins_and_is_noted(tmp_path: Path) -> None:
    folder = shop(tmp_path, HEADER)
    (folder / "orders.csv").unlink()
    _two_sheet_book(folder, ("说明", "Orders"))
    report = validate_shop(folder)
    assert report.ok and report.tables["orders"].rows == 70
    assert "orders.xlsx: read sheet 'Orders' (the workbook has 2 sheets: 说明, Orders)" in report.notes


# ------------------------------------------------------------------------------------- encodings


def test_utf8_line_inside_a_gb18030_file_is_read_in_its_own_encoding(tmp_path: Path) -> None:
    data = (HEADER + line("O1", "2024-06-18 10:00", "华东")).encode("gb18030") \
        + line("O2", "2024-06-18 11:00", "华南").encode("utf-8") \
        + line("O3", "2024-06-18 12:00", "西北").encode("gb18030")
    folder = shop(tmp_path, data)
    report = validate_shop(folder)
    assert report.ok, format_report(report)
    assert load_shop(folder).orders["region"].tolist() == ["华东", "华南", "西北"]  # no mojibake
    assert any(n.startswith("orders.csv: mixed encodings — 1 line(s) in UTF-8 (lines 3)") for n in report.notes), \
        report.notes


def test_undecodable_line_is_named(tmp_path: Path) -> None:
    data = (HEADER + line("O1", "2024-06-18 10:00")).encode("gb18030") + b"O2,\xff\xff,C1\n"
    found = problems(shop(tmp_path, data))
    assert len(found) == 1 and found[0].startswith("orders.csv, line 3: wrong encoding: byte 0xff at byte offset")


# -------------------------------------------------------------------------------- headers, lines


def test_duplicated_header_is_refused_by_name(tmp_path: Path) -> None:
    text = HEADER.replace("campaign_id\n", "sku\n") + "O1,2024-06-18 10:00,C1,S1,1,89,99,app,华东,completed,S2\n"
    assert problems(shop(tmp_path, text)) == [
        "orders.csv, column sku, line 1: appears 2 times in the header (fields 4, 11) — "
        "expected each column name once in the header line"]


def test_line_numbers_right_after_multiline_quoted_cells(tmp_path: Path) -> None:
    products = ('sku,name,category,subcategory,brand,unit_cost,launch_date\n'
                'S1,"精华\n第二行\n第三行",美妆,护肤,花漾,41.5,2023-03-01\n'
                'S2,面霜,美妆,护肤,花漾,-1,2023-03-01\n')
    found = problems(shop(tmp_path, HEADER + line("O1", "2024-06-18 10:00"), products=products))
    # header = line 1, S1 spans lines 2-4, S2 starts on line 5.
    assert found == ["products.csv, column unit_cost, line 5: '-1' — expected a number >= 0"]


def test_line_with_a_field_too_many_is_a_csv_error(tmp_path: Path) -> None:
    text = HEADER + line("O1", "2024-06-18 10:00").replace("\n", ",x,\n")
    assert problems(shop(tmp_path, text))[0].startswith(
        "orders.csv: cannot be read as CSV (Expected 11 fields in line 2, saw 13)")


# ------------------------------------------------------------------------------ size and memory


def test_decompression_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_BOMB_FLOOR", 1 << 20)
    monkeypatch.setattr(files, "BLOCK", 1 << 18)
    folder = shop(tmp_path, HEADER)
    (folder / "orders.csv").unlink()
    body = (HEADER + line("O1", "2024-06-18 10:00") * 200_000).encode()  # about 10 MB of text -> ~30 KB packed
    (folder / "orders.csv.gz").write_bytes(gzip.compress(body))
    size = (folder / "orders.csv.gz").stat().st_size
    found = problems(folder)
    assert len(found) == 1
    # The limit is max(100 x the packed size, the floor): here 100 x ~30 KB, about 3 MB, of the 10 MB inside.
    limit = max(100 * size, 1 << 20) / 2**20
    assert found[0].startswith(f"orders.csv.gz: unpacks to more than {limit:,.0f} MB from {size / 2**20:,.1f} MB "
                               "(over 100x")
    assert found[0].endswith("— expected a gzip-compressed CSV that expands at most 100x "
                             "(unpack it yourself if this is right)")


def test_oversized_line_is_refused_with_its_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_LINE_BYTES", 1 << 20)
    monkeypatch.setattr(files, "BLOCK", 1 << 18)
    text = HEADER + line("O1", "2024-06-18 10:00") + "O2," + "x" * (3 << 20) + "\n"
    assert problems(shop(tmp_path, text)) == [
        "orders.csv: line 3 is longer than 1 MB without a line break — "
        "expected CSV lines shorter than 1 MB (is this really a CSV file?)"]


def test_cache_stays_out_of_the_shop_folder(tmp_path: Path, cache: Path) -> None:
    folder = shop(tmp_path / "shop", HEADER + line("O1", "2024-06-18 10:00"))
    before = sorted(p.name for p in folder.iterdir())
    assert validate_shop(folder).ok
    assert sorted(p.name for p in folder.iterdir()) == before
    assert list((cache / "staged").glob("*/raw.parquet"))


def test_cache_keeps_one_version_per_file(tmp_path: Path, cache: Path) -> None:
    import os

    folder = shop(tmp_path / "shop", HEADER + line("O1", "2024-06-18 10:00"))
    assert validate_shop(folder).ok
    (folder / "orders.csv").write_text(HEADER + line("O1", "2024-06-18 10:00") + line("O2", "2024-06-18 11:00"),
                                       encoding="utf-8")
    os.utime(folder / "orders.csv", ns=(1, 1))  # a new version even on coarse clocks
    report = validate_shop(folder)
    assert report.ok and report.tables["orders"].rows == 2  # the new version was staged, not the old copy
    assert len(list((cache / "staged").iterdir())) == 2  # orders.csv and products.csv, one version each


def test_parquet_is_scanned_in_place_and_counts_rows(tmp_path: Path) -> None:
    folder = shop(tmp_path, HEADER)
    (folder / "orders.csv").unlink()
    pq.write_table(pa.Table.from_pandas(_orders_frame(3, 2024), preserve_index=False), folder / "orders.parquet")
    report = validate_shop(folder)
    assert report.ok and report.tables["orders"].rows == 3
    with pytest.raises(DataError, match="orders.parquet, column quantity, row 2: 0"):
        frame = _orders_frame(3, 2024)
        frame.loc[1, "quantity"] = 0
        frame.to_parquet(folder / "orders.parquet", index=False)
        load_shop(folder)


def test_progress_line_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop(tmp_path, HEADER + line("O1", "2024-06-18 10:00"))
    assert validate_main([str(folder)]) == 0
    captured = capsys.readouterr()
    assert "Result: OK" in captured.out
    assert "] orders.csv: 1 rows checked in" in captured.err


def test_progress_line_when_a_csv_is_read_into_the_engine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop(tmp_path, HEADER + line("O1", "2024-06-18 10:00") + line("O2", "2024-06-18 11:00"))
    assert validate_main([str(folder)]) == 0
    err = capsys.readouterr().err
    assert "] orders.csv: 2 rows read into the engine in" in err
    assert "] products.csv: 1 rows read into the engine in" in err


# ------------------------------------------------------------------- references to a big table (issue 15)

def _shop_with_orphans(folder: Path) -> Path:
    """Orders O1-O6; fulfilment names O9 (line 3) and reviews O8, O9 (lines 2 and 4): planted orphans."""
    shop(folder, HEADER + "".join(line(f"O{i}", f"2024-06-1{i} 10:00") for i in range(1, 7)))
    (folder / "fulfilment.csv").write_text(
        "order_id,paid_ts,shipped_ts,delivered_ts,promised_ts,warehouse,carrier\n"
        + "".join(f"{o},2024-06-18 10:05,,,,上海仓,顺丰\n" for o in ("O1", "O9", "O2", "O3")), encoding="utf-8")
    (folder / "reviews.csv").write_text(
        "order_id,review_ts,score,topic\n" + "".join(f"{o},2024-06-25 20:11,4,物流\n" for o in ("O8", "O1", "O9")),
        encoding="utf-8")
    return folder


EXPECTED_ORPHANS = [
    "fulfilment.csv, column order_id, line 3: 'O9' — expected a order_id that exists in orders.csv",
    "reviews.csv, column order_id, lines 2, 4: 'O8', 'O9' — expected a order_id that exists in orders.csv",
]


def test_reference_to_orders_names_the_orphan_rows(tmp_path: Path) -> None:
    assert problems(_shop_with_orphans(tmp_path)) == EXPECTED_ORPHANS


def test_reference_to_a_table_beyond_one_hash_table_is_checked_in_partitions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 2 keys per partition: orders' 6 rows are checked in 3 hash partitions, same messages, same rows.
    import opslib.data.engine as engine

    monkeypatch.setattr(engine, "KEYS_PER_PARTITION", 2)
    seen: list[str] = []
    report = validate_shop(_shop_with_orphans(tmp_path), progress=seen.append)
    assert [str(p) for p in report.problems] == EXPECTED_ORPHANS
    assert any(m.startswith("fulfilment.csv, reviews.csv: order_id checked against orders.csv in 3 hash partitions")
               for m in seen), seen


def test_shared_key_tables_are_dropped_after_the_check(tmp_path: Path) -> None:
    from opslib.data.relations import check_shop, open_shop

    data = open_shop(_shop_with_orphans(tmp_path))
    assert len(check_shop(data)) == 2
    left = data.engine.query("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '__keys%'")
    assert left.empty


def test_white_space_flag_misses_no_padded_cell() -> None:
    # Every code point of the basic plane and the first supplementary one, before and after each of Python's
    # white-space characters (what str.strip removes): the flag must catch all of them (over-flagging only
    # costs time).
    from opslib.data.engine import WHITESPACE, DuckDBEngine, ends_padded, starts_padded

    eng = DuckDBEngine()
    ws = ", ".join(str(ord(c)) for c in " \t\x85\u00a0\u2028\u3000")  # one of each kind; all 29 below
    cells = (f"FROM range(1, 131072) t(cp), (SELECT unnest([{ws}]) AS w) s "
             "WHERE cp < 55296 OR cp > 57343")  # all code points but surrogates
    ends = eng.query(f"SELECT count(*) AS n FROM (SELECT 'a' || chr(CAST(cp AS INT)) || chr(CAST(w AS INT)) AS v "
                     f"{cells}) WHERE NOT ({ends_padded('v')})")
    starts = eng.query(f"SELECT count(*) AS n FROM (SELECT chr(CAST(w AS INT)) || chr(CAST(cp AS INT)) || 'a' AS v "
                       f"{cells}) WHERE NOT ({starts_padded('v')})")
    assert int(ends["n"][0]) == 0 and int(starts["n"][0]) == 0
    every = eng.query(f"SELECT count(*) AS n FROM (SELECT unnest([{', '.join(str(ord(c)) for c in WHITESPACE)}]) AS w) "
                      f"WHERE NOT ({starts_padded('chr(CAST(w AS INT))')}) OR NOT ({ends_padded('chr(CAST(w AS INT))')})")
    assert int(every["n"][0]) == 0
    clean = eng.query(f"SELECT count(*) AS n FROM (SELECT unnest(['O0001', '华东', 'completed', 'café', 'a b']) AS v) "
                      f"WHERE {starts_padded('v')} OR {ends_padded('v')}")
    assert int(clean["n"][0]) == 0


def test_padded_and_empty_text_cells_in_parquet_are_stripped(tmp_path: Path) -> None:
    # A typed Parquet file whose text cells carry white space (tab, ideographic space, no-break space) and an
    # empty campaign id: read as the stripped values, as from CSV.
    frame = pd.DataFrame({"order_id": ["O1", "\tO2", "O3"], "order_ts": pd.to_datetime(["2024-06-18 10:00"] * 3),
                          "customer_id": ["C1", "C2\u3000", "C3"], "sku": ["S1", "S1", "\u00a0S1 "], "quantity": 1,
                          "unit_price": 89.0, "list_price": 99.0, "channel": "app", "region": "华东",
                          "status": ["completed", "completed\u2009", "returned"], "campaign_id": ["", None, None]})
    tmp_path.mkdir(exist_ok=True)
    frame.to_parquet(tmp_path / "orders.parquet", index=False)
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    assert problems(tmp_path) == []
    orders = load_shop(tmp_path, tables=["orders", "products"]).orders
    assert orders["order_id"].tolist() == ["O1", "O2", "O3"]
    assert orders["customer_id"].tolist() == ["C1", "C2", "C3"]
    assert orders["sku"].tolist() == ["S1"] * 3 and orders["status"].tolist() == ["completed", "completed", "returned"]
    assert orders["campaign_id"].isna().all()


def test_references_to_a_big_table_are_checked_once_for_every_referencing_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Above SHARED_TARGET_ROWS rows a referenced table's values are anti-joined once for fulfilment and
    # reviews together (one hash table): the same messages, the same rows as one join per table.
    from opslib.data import sql_checks

    monkeypatch.setattr(sql_checks, "SHARED_TARGET_ROWS", 0)
    seen: list[str] = []
    report = validate_shop(_shop_with_orphans(tmp_path), progress=seen.append)
    assert [str(p) for p in report.problems] == EXPECTED_ORPHANS
    assert any(m.startswith("fulfilment.csv, reviews.csv: order_id checked against orders.csv in ")
               and "partitions" not in m for m in seen), seen


def test_engine_arrow_returns_a_table_on_this_duckdb() -> None:
    # DuckDB 2 has to_arrow_table, 1.x fetch_arrow_table: the engine's arrow() works on either
    from opslib.data.engine import DuckDBEngine

    t = DuckDBEngine().arrow("SELECT 1 AS a UNION ALL SELECT 2")
    assert isinstance(t, pa.Table) and sorted(t.column("a").to_pylist()) == [1, 2]
