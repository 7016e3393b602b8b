"""Adapters on tiny hand-made exports: every quirk rule, hand-computed (tmp files, no shared data)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from opslib.data import validate_shop
from opslib.errors import ImportDataError
from opslib.importers import ImportLog, main, run_import

RETAIL_I = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,2,2010-12-01 08:26:00,3.55,17850.0,United Kingdom
536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850.0,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,,France
536367,22634,CHILDS BREAKFAST SET,3,2010-12-01 08:30:00,0.00,12583.0,France
C536368,22633,HAND WARMER UNION JACK,-2,2010-12-01 09:00:00,1.85,12583.0,France
A563185,B,Adjust bad debt,1,2011-08-12 14:50:00,11062.06,,United Kingdom
536369,22633,hand warmer union jack,1,2010-12-02 10:00:00,1.85,12583.0,France
"""


def _retail(tmp_path: Path, text: str = RETAIL_I, name: str = "retail.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _rule(log: ImportLog, rule: str) -> int:
    return next(e.rows for e in log.entries if e.rule == rule)


def test_online_retail_rules(tmp_path: Path) -> None:
    r = run_import("online_retail", _retail(tmp_path), tmp_path / "out")
    log, o = r.log, r.tables["orders"]
    assert log.input_rows == 9
    assert _rule(log, "bad_debt_adjustment") == 1  # A563185
    assert _rule(log, "non_product_code") == 1  # POST (the A line with code B went first)
    assert _rule(log, "zero_price") == 1  # 22634 @ 0.00
    assert _rule(log, "exact_duplicate") == 1  # the second identical 85123A line
    assert _rule(log, "cancellation") == 1
    assert _rule(log, "guest_customer") == 1
    assert _rule(log, "duplicate_key_merged") == 1  # 85123A x6 @2.55 + x2 @3.55 in 536365
    assert log.balance() == {"input": 9, "dropped": 4, "merged": 1, "output": 4, "ok": 1}
    line = o[(o.order_id == "536365") & (o.sku == "85123A")].iloc[0]
    assert line.quantity == 8
    assert line.unit_price == pytest.approx((6 * 2.55 + 2 * 3.55) / 8)
    assert line.customer_id == "17850"
    c = o[o.order_id == "C536368"].iloc[0]
    assert (c.status, c.quantity) == ("cancelled", 2)
    assert pd.isna(o.loc[o.order_id == "536366", "customer_id"].iloc[0])  # guest
    assert set(o.channel) == {"web"} and set(o.region) == {"United Kingdom", "France"}
    p = r.tables["products"].set_index("sku")
    assert p.loc["22633", "name"] == "HAND WARMER UNION JACK"  # most frequent description
    assert p.loc["85123A", "category"] == "Candles & lights"
    assert p.loc["85123A", "unit_cost"] == pytest.approx(round(2.8 * 0.7, 4))  # 30% default margin
    assert p.loc["85123A", "cost_source"] == "assumed 30% margin"
    assert validate_shop(tmp_path / "out").ok
    saved = json.loads((tmp_path / "out" / "import_log.json").read_text(encoding="utf-8"))
    assert saved["balance"]["ok"] == 1 and saved["output_rows"]["orders"] == 4


def test_online_retail_ii_header_and_no_margin(tmp_path: Path) -> None:
    text = RETAIL_I.replace("InvoiceNo,", "Invoice,").replace("UnitPrice,CustomerID", "Price,Customer ID")
    r = run_import("online_retail", _retail(tmp_path, text), None, default_margin=None)
    assert r.log.kind == "online_retail (II)"
    assert r.tables["products"]["unit_cost"].isna().all()
    assert len(r.tables["orders"]) == 4


def test_online_retail_ii_workbook_two_sheets(tmp_path: Path) -> None:
    raw = pd.read_csv(_retail(tmp_path), dtype=str).rename(
        columns={"InvoiceNo": "Invoice", "UnitPrice": "Price", "CustomerID": "Customer ID"})
    book = tmp_path / "online_retail_II.xlsx"
    with pd.ExcelWriter(book) as w:
        raw.iloc[:5].to_excel(w, sheet_name="Year 2009-2010", index=False)
        raw.iloc[5:].to_excel(w, sheet_name="Year 2010-2011", index=False)
    r = run_import("online_retail", book, None)
    assert r.log.input_rows == 9 and r.log.balance()["ok"] == 1


def test_online_retail_wrong_layout(tmp_path: Path) -> None:
    with pytest.raises(ImportDataError, match="not an Online Retail"):
        run_import("online_retail", _retail(tmp_path, "a,b\n1,2\n"), None)


def _olist(tmp_path: Path) -> Path:
    d = tmp_path / "olist"
    d.mkdir()
    files = {
        "olist_orders_dataset.csv": "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,"
        "order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n"
        "o1,c1,delivered,2018-01-01 10:00:00,2018-01-01 10:05:00,2018-01-02 09:00:00,2018-01-05 12:00:00,2018-01-10 00:00:00\n"
        "o2,c2,canceled,2018-01-03 11:00:00,,,,2018-01-12 00:00:00\n"
        "o3,c3,unavailable,2018-01-04 11:00:00,,,,2018-01-12 00:00:00\n",
        "olist_order_items_dataset.csv": "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n"
        "o1,1,p1,s1,2018-01-02,10.0,5\no1,2,p1,s1,2018-01-02,12.0,5\no1,3,p2,s1,2018-01-02,30.0,5\n"
        "o2,1,p3,s1,2018-01-04,7.5,5\n",
        "olist_customers_dataset.csv": "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\n"
        "c1,u1,1,x,SP\nc2,u1,1,x,SP\nc3,u3,2,y,RJ\n",
        "olist_products_dataset.csv": "product_id,product_category_name\np1,pc_gamer\np2,beleza_saude\np3,\n",
        "product_category_name_translation.csv": "product_category_name,product_category_name_english\n"
        "beleza_saude,health_beauty\n",
        "olist_sellers_dataset.csv": "seller_id,seller_zip_code_prefix,seller_city,seller_state\ns1,1,x,MG\n",
        "olist_order_reviews_dataset.csv": "review_id,order_id,review_score,review_comment_title,review_comment_message,"
        "review_creation_date,review_answer_timestamp\n"
        "r1,o1,4,,,2018-01-06 00:00:00,2018-01-07 00:00:00\nr2,o1,5,,,2018-01-08 00:00:00,2018-01-09 00:00:00\n"
        "r3,o3,1,,,2018-01-08 00:00:00,2018-01-09 00:00:00\n",
    }
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def test_olist_rules(tmp_path: Path) -> None:
    r = run_import("olist", _olist(tmp_path), tmp_path / "out")
    o = r.tables["orders"].set_index(["order_id", "sku"])
    assert r.log.balance() == {"input": 4, "dropped": 0, "merged": 1, "output": 3, "ok": 1}
    assert o.loc[("o1", "p1"), "quantity"] == 2 and o.loc[("o1", "p1"), "unit_price"] == pytest.approx(11.0)
    assert o.loc[("o2", "p3"), "status"] == "cancelled"
    assert set(r.tables["orders"]["customer_id"]) == {"u1"}  # customer_unique_id
    assert o.loc[("o1", "p1"), "region"] == "SP"
    p = r.tables["products"].set_index("sku")["category"]
    assert p.to_dict() == {"p1": "pc_gamer", "p2": "health_beauty", "p3": "未分类 Uncategorised"}
    f = r.tables["fulfilment"].set_index("order_id")
    assert f.loc["o1", "paid_ts"] == pd.Timestamp("2018-01-01 10:05")
    assert f.loc["o2", "paid_ts"] == pd.Timestamp("2018-01-03 11:00")  # no approval -> purchase time
    assert f.loc["o1", "warehouse"] == "seller MG"
    rv = r.tables["reviews"]
    assert rv["order_id"].tolist() == ["o1"] and rv["score"].tolist() == [5]  # latest; o3 has no line
    assert validate_shop(tmp_path / "out").ok


def test_superstore_rules(tmp_path: Path) -> None:
    d = tmp_path / "ss"
    d.mkdir()
    head = ("Row ID,Order ID,Order Date,Ship Date,Ship Mode,Customer ID,Segment,Region,Product ID,Category,"
            "Sub-Category,Product Name,Sales,Quantity,Discount,Profit\n")
    rows = ("1,O-1,2013-11-09,2013-11-12,Second Class,C1,Consumer,South,P1,Furniture,Chairs,Chair A,261.96,2,0.2,41.96\n"
            "2,O-1,2013-11-09,2013-11-12,Second Class,C1,Consumer,South,P2,Office,Paper,Paper,10.0,1,0.0,-2.0\n"
            "3,O-2,2013-12-01,2013-12-03,First Class,C2,Corporate,West,P1,Furniture,Chairs,Chair B,100.0,1,0.0,20.0\n"
            "4,O-3,2013-12-02,2013-12-03,First Class,C2,Corporate,West,P1,Furniture,Chairs,Chair A,100.0,1,0.0,20.0\n")
    with gzip.open(d / "superstore_orders.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write(head + rows)
    (d / "superstore_returns.csv").write_text("Returned,Order ID\nYes,O-2\n", encoding="utf-8")
    r = run_import("superstore", d, tmp_path / "out")
    o = r.tables["orders"].set_index(["order_id", "sku"])
    assert o.loc[("O-1", "P1"), "unit_price"] == pytest.approx(130.98)
    assert o.loc[("O-1", "P1"), "list_price"] == pytest.approx(130.98 / 0.8)
    assert o.loc[("O-2", "P1"), "status"] == "returned"
    p = r.tables["products"].set_index("sku")
    assert p.loc["P1", "unit_cost"] == pytest.approx((220.0 + 80 + 80) / 4)
    assert p.loc["P2", "unit_cost"] == pytest.approx(12.0)
    assert p.loc["P1", "name"] == "Chair A"
    assert validate_shop(tmp_path / "out").ok


def test_cdnow_rules(tmp_path: Path) -> None:
    src = tmp_path / "cdnow.csv"
    src.write_text("customer_id,date,number_of_cds,dollar_value\n00001,19970101,2,23.54\n00001,19970101,1,0\n"
                   "00002,19970112,0,12.0\n", encoding="utf-8")
    r = run_import("cdnow", src, tmp_path / "out")
    o = r.tables["orders"]
    assert o["order_id"].tolist() == ["00001-19970101-1", "00001-19970101-2"]
    assert o["unit_price"].tolist() == pytest.approx([11.77, 0.0])
    assert _rule(r.log, "zero_amount") == 1 and _rule(r.log, "zero_quantity") == 1
    assert r.log.balance()["ok"] == 1
    assert validate_shop(tmp_path / "out").ok


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from opslib.__main__ import main as opslib_main

    assert opslib_main(["import", "online_retail", str(_retail(tmp_path)), str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "input rows 9 = dropped 4 + merged 1 + order lines 4" in out
    assert "bad_debt_adjustment" in out
    assert main(["nonsense", str(tmp_path), str(tmp_path / "x")]) == 2
    assert "unknown import kind" in capsys.readouterr().err
    assert main(["cdnow"]) == 2


def test_cli_progress_lines_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # With the interval at 0 every step prints: rows read (9 data lines of RETAIL_I), rows mapped, written.
    monkeypatch.setenv("OPSLIB_PROGRESS_INTERVAL", "0")
    assert main(["online_retail", str(_retail(tmp_path)), str(tmp_path / "out")]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[import ")]
    assert len(err) == 3, err
    assert err[0].endswith("s] retail.csv: 9 rows read (9 rows scanned)")
    assert " rows mapped into orders (4), products (" in err[1]
    assert "written and checked against the contract in " in err[2]
    # a long interval keeps an import quiet; run_import (the Python API) never prints
    monkeypatch.setenv("OPSLIB_PROGRESS_INTERVAL", "1e9")
    assert main(["online_retail", str(_retail(tmp_path)), str(tmp_path / "out")]) == 0
    assert "[import " not in capsys.readouterr().err
    monkeypatch.setenv("OPSLIB_PROGRESS_INTERVAL", "0")
    run_import("online_retail", _retail(tmp_path))
    assert "[import " not in capsys.readouterr().err
