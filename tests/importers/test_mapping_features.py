"""Mapping features on tiny hand-made exports: filter, fill, SQL expressions, concat, Unix time, returns,
derived tables, joins, time zones, sheets, encodings, and the contract check that drops or refuses rows.

Expected values are worked out by hand in the comments. Mistakes must give one message naming the mapping,
table, field and source column (and file and lines for data), never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from opslib.data import load_shop, read_settings, validate_shop
from opslib.errors import ImportDataError, MappingError
from opslib.importers import adapt_mapping, main, run_import
from opslib.importers.expressions import check_expression

# A behaviour log in the style of the Taobao user-behaviour data: pv/cart/buy events, Unix seconds.
EVENTS = """user_id,item_id,category_id,behavior,ts,qty,sales_value,store,day,hour
u1,i1,c1,pv,1718676000,1,0,S1,2024-06-18,10:00
u1,i1,c1,buy,1718676000,2,30.0,S1,2024-06-18,10:00
u2,i2,c2,buy,1718679600,3,45.0,S2,2024-06-18,11:00
u2,i2,c2,buy,1718679600,0,0,S2,2024-06-18,11:00
u3,i1,c1,cart,1718683200,1,0,S1,2024-06-18,12:00
u3,i3,,buy,1718683200,1,9.9,S1,2024-06-18,12:00
"""


def _write(tmp_path: Path, spec: dict, files: dict[str, str], encoding: str = "utf-8") -> tuple[Path, Path]:
    src = tmp_path / "export"
    src.mkdir(exist_ok=True)
    for name, text in files.items():
        (src / name).write_bytes(text.encode(encoding))
    mapping = tmp_path / "m.yml"
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return mapping, src


def _events_spec(**orders: object) -> dict:
    fields = {
        "order_id": {"concat": ["user_id", "ts"], "sep": "-"},
        "order_ts": {"column": "ts", "unit": "s"},
        "customer_id": "user_id",
        "sku": "item_id",
        "quantity": "qty",
        "unit_price": {"expr": "sales_value / qty"},
        "list_price": {"expr": "sales_value / qty"},
        "channel": {"value": "app"},
        "region": {"value": "华东"},
        "status": {"value": "completed"},
    }
    spec = {"tables": {
        "orders": {"file": "events.csv", "filter": {"buy_only": "behavior = 'buy'", "positive": "qty > 0"},
                   "fields": fields, **orders},
        "products": {"from": "orders", "fields": {
            "name": {"expr": "'item ' || item_id"}, "category": {"column": "category_id", "fill": "未分类"},
            "subcategory": {"value": "(unknown)"}, "brand": {"value": "(unknown)"}}},
    }}
    return spec


def _rule(log, rule: str) -> int:
    return next(e.rows for e in log.entries if e.rule == rule)


def test_behaviour_log_filter_expr_concat_unix_time_fill_and_derived_products(tmp_path: Path) -> None:
    mapping, src = _write(tmp_path, _events_spec(), {"events.csv": EVENTS})
    out = tmp_path / "shop"
    r = run_import(mapping, src, out)
    o = r.tables["orders"].set_index("order_id")
    # Filters, in order: 3 non-buy rows (pv, cart ... and none other) dropped, then the buy with qty 0.
    assert _rule(r.log, "filter:buy_only") == 2  # pv and cart
    assert _rule(r.log, "filter:positive") == 1  # u2 buy with qty 0
    assert r.log.balance() == {"input": 6, "dropped": 3, "merged": 0, "output": 3, "ok": 1}
    # concat: user + Unix seconds as the order number; unit: s -> Shanghai time (1718676000 = 02:00 UTC = 10:00).
    assert sorted(o.index) == ["u1-1718676000", "u2-1718679600", "u3-1718683200"]
    assert o.loc["u1-1718676000", "order_ts"] == pd.Timestamp("2024-06-18 10:00")
    assert o.loc["u2-1718679600", "order_ts"] == pd.Timestamp("2024-06-18 11:00")
    # expr: unit price = sales_value / qty: 30 / 2 = 15, 45 / 3 = 15, 9.9 / 1 = 9.9.
    assert o["unit_price"].tolist() == pytest.approx([15.0, 15.0, 9.9])
    # Derived products: one per item bought (i1, i2, i3); i3 has no category -> fill.
    p = r.tables["products"].set_index("sku")
    assert sorted(p.index) == ["i1", "i2", "i3"]
    assert p.loc["i3", "category"] == "未分类" and p.loc["i1", "name"] == "item i1"
    assert _rule(r.log, "fill:products.category") == 1
    assert any(e.rule == "unix_time:orders.order_ts" and "converted to Asia/Shanghai" in e.why for e in r.log.entries)
    assert validate_shop(out).ok


def test_traffic_aggregated_from_the_behaviour_log(tmp_path: Path) -> None:
    spec = _events_spec()
    spec["tables"]["traffic"] = {"file": "events.csv", "aggregate": True, "fields": {
        "date": {"column": "ts", "unit": "s"}, "category": {"column": "category_id", "fill": "未分类"},
        "visitors": {"agg": "count(DISTINCT user_id)"},
        "product_views": {"agg": "count(*) FILTER (WHERE behavior = 'pv')"},
        "add_to_cart": {"agg": "count(*) FILTER (WHERE behavior = 'cart')"}}}
    mapping, src = _write(tmp_path, spec, {"events.csv": EVENTS})
    out = tmp_path / "shop"
    r = run_import(mapping, src, out)
    t = r.tables["traffic"].set_index("category")
    # All six events fall on 2024-06-18 (Shanghai). c1: u1 pv + buy, u3 cart -> 2 visitors, 1 view, 1 cart;
    # c2: u2 twice -> 1 visitor; no category (u3 buy) -> 未分类, 1 visitor.
    assert set(t["date"]) == {pd.Timestamp("2024-06-18")}
    assert t.loc["c1", ["visitors", "product_views", "add_to_cart"]].tolist() == [2, 1, 1]
    assert t.loc["c2", ["visitors", "product_views", "add_to_cart"]].tolist() == [1, 0, 0]
    assert t.loc["未分类", ["visitors", "product_views", "add_to_cart"]].tolist() == [1, 0, 0]
    assert r.log.balance()["ok"] == 1  # the traffic rows are not order lines
    assert validate_shop(out).ok


def test_unix_milliseconds_and_mapping_time_zone(tmp_path: Path) -> None:
    spec = _events_spec()
    spec["shop"] = {"currency": "GBP", "country": "GB", "timezone": "Europe/London"}
    spec["tables"]["orders"]["fields"]["order_ts"] = {"expr": "ts * 1000", "unit": "ms"}
    mapping, src = _write(tmp_path, spec, {"events.csv": EVENTS})
    out = tmp_path / "shop"
    r = run_import(mapping, src, out)
    # 1718676000 s = 2024-06-18 02:00 UTC = 03:00 in London (BST, UTC+1).
    assert r.tables["orders"]["order_ts"].min() == pd.Timestamp("2024-06-18 03:00")
    s = read_settings(out)
    assert (s.currency, s.country, s.timezone) == ("GBP", "GB", "Europe/London")


def test_offsets_converted_to_the_shop_time_zone(tmp_path: Path) -> None:
    text = ("id,sku,at\n"
            "1,A,2024-06-18 10:00:00+08:00\n"   # Shanghai already
            "2,A,2024-06-18 02:00:00Z\n"        # UTC 02:00 = Shanghai 10:00
            "3,A,2024-06-17 23:00:00-03:00\n"   # Sao Paulo 23:00 = UTC 02:00 = Shanghai 10:00
            "4,A,2024-06-18 10:00:00\n")        # no offset: taken as shop time
    fields = {"order_id": "id", "order_ts": "at", "sku": "sku", "quantity": {"value": 1},
              "unit_price": {"value": 1}, "list_price": {"value": 1}, "channel": {"value": "web"},
              "region": {"value": "x"}, "status": {"value": "completed"}}
    spec = {"tables": {"orders": {"file": "o.csv", "fields": fields},
                       "products": {"from": "orders", "fields": {f: {"value": "x"} for f in
                                                                  ("name", "category", "subcategory", "brand")}}}}
    mapping, src = _write(tmp_path, spec, {"o.csv": text})
    r = adapt_mapping(mapping, src)
    assert set(r.tables["orders"]["order_ts"]) == {pd.Timestamp("2024-06-18 10:00")}
    note = next(e for e in r.log.entries if e.rule == "time_zone:orders.order_ts")
    assert note.rows == 3
    assert "3 time stamps carried a UTC offset (+08:00, Z ...): converted to the shop's time zone Asia/Shanghai" in note.why
    assert "1 without an offset taken as Asia/Shanghai time" in note.why
    # A shop.yml the user keeps in OUT wins over the default (and over the mapping).
    out = tmp_path / "shop"
    out.mkdir()
    (out / "shop.yml").write_text("timezone: America/Sao_Paulo\n", encoding="utf-8")
    run_import(mapping, src, out)
    ts = load_shop(out).orders["order_ts"]
    assert set(ts) == {pd.Timestamp("2024-06-17 23:00"), pd.Timestamp("2024-06-18 10:00")}  # row 4 stays naive


def test_time_zone_aware_parquet_source_is_converted(tmp_path: Path) -> None:
    src = tmp_path / "export"
    src.mkdir()
    at = pd.to_datetime(["2024-06-18 00:21"]).tz_localize("Asia/Shanghai").tz_convert("UTC")  # 16:21 UTC the day before
    pd.DataFrame({"id": ["1"], "sku": ["A"], "at": at}).to_parquet(src / "o.parquet")
    fields = {"order_id": "id", "order_ts": "at", "sku": "sku", "quantity": {"value": 1}, "unit_price": {"value": 1},
              "list_price": {"value": 1}, "channel": {"value": "web"}, "region": {"value": "x"},
              "status": {"value": "completed"}}
    mapping = tmp_path / "m.yml"
    mapping.write_text(yaml.safe_dump({"tables": {"orders": {"file": "o.parquet", "fields": fields}}}), encoding="utf-8")
    r = adapt_mapping(mapping, src)
    assert r.tables["orders"]["order_ts"].iloc[0] == pd.Timestamp("2024-06-18 00:21")  # not 16:21 the day before


RETURNS = """order,sku,qty,price
O1,A,2,10
O1,A,-1,10
O2,B,-3,5
O3,A,1,10
"""


def _returns_spec(**extra: object) -> dict:
    fields = {"order_id": "order", "order_ts": {"value": "2024-01-01"}, "sku": "sku", "quantity": "qty",
              "unit_price": "price", "list_price": "price", "channel": {"value": "web"}, "region": {"value": "x"},
              "status": {"value": "completed"}}
    return {"tables": {"orders": {"file": "o.csv", "fields": fields, **extra},
                       "products": {"from": "orders", "fields": {f: {"value": "x"} for f in
                                                                  ("name", "category", "subcategory", "brand")}}}}


def test_returns_negative_quantity(tmp_path: Path) -> None:
    mapping, src = _write(tmp_path, _returns_spec(returns="negative_quantity"), {"o.csv": RETURNS})
    r = adapt_mapping(mapping, src)
    o = r.tables["orders"].set_index("order_id")
    assert (o.loc["O2", "quantity"], o.loc["O2", "status"]) == (3, "returned")
    # O1/A has a sale and a return: the return keeps its own line O1-R (the sale stays completed, 2 units).
    assert (o.loc["O1", "quantity"], o.loc["O1", "status"]) == (2, "completed")
    assert (o.loc["O1-R", "quantity"], o.loc["O1-R", "status"]) == (1, "returned")
    assert _rule(r.log, "negative_quantity_return") == 2 and _rule(r.log, "return_own_line") == 1
    mapping, src = _write(tmp_path, _returns_spec(returns="negative_quantity", return_status="cancelled"),
                          {"o.csv": RETURNS})
    assert adapt_mapping(mapping, src).tables["orders"].set_index("order_id").loc["O2", "status"] == "cancelled"


def test_without_returns_negative_quantities_are_refused_with_lines(tmp_path: Path) -> None:
    mapping, src = _write(tmp_path, _returns_spec(), {"o.csv": RETURNS})
    with pytest.raises(ImportDataError) as e:
        adapt_mapping(mapping, src)
    # Lines 3 and 4 of o.csv hold -1 and -3.
    assert "m.yml, table orders, field quantity, column qty, lines 3, 4 of o.csv: -1, -3 — expected a whole number >= 1" \
        in str(e.value)
    assert "set invalid_rows: drop to drop such rows under a logged rule" in str(e.value)


def test_invalid_rows_drop_keeps_the_balance(tmp_path: Path) -> None:
    spec = _returns_spec(invalid_rows="drop")
    mapping, src = _write(tmp_path, spec, {"o.csv": RETURNS})
    out = tmp_path / "shop"
    r = run_import(mapping, src, out)
    assert _rule(r.log, "contract:orders.quantity") == 2
    assert r.log.balance() == {"input": 4, "dropped": 2, "merged": 0, "output": 2, "ok": 1}
    assert validate_shop(out).ok
    saved = json.loads((out / "import_log.json").read_text(encoding="utf-8"))
    assert saved["balance"]["ok"] == 1


def test_sku_missing_from_products_refused_or_dropped(tmp_path: Path) -> None:
    spec = _returns_spec(filter="qty > 0")
    spec["tables"]["products"] = {"file": "p.csv", "fields": {"sku": "sku", "name": "name", "category": {"value": "x"},
                                                              "subcategory": {"value": "x"}, "brand": {"value": "x"}}}
    files = {"o.csv": RETURNS + "O4,B,1,5\n", "p.csv": "sku,name\nA,Apple\n"}  # B is not a product
    mapping, src = _write(tmp_path, spec, files)
    with pytest.raises(ImportDataError, match="field sku, column sku, line 6 of o.csv: 'B' — expected a sku that "
                                              "exists in products"):
        adapt_mapping(mapping, src)
    spec["invalid_rows"] = "drop"
    mapping, src = _write(tmp_path, spec, files)
    r = adapt_mapping(mapping, src)
    # Kept: O1/A x2 and O3/A x1; dropped: O1/A -1 and O2/B -3 (filter), O4/B (not a product).
    assert r.tables["orders"]["order_id"].tolist() == ["O1", "O3"]
    assert _rule(r.log, "filter:orders") == 2 and _rule(r.log, "contract:orders.sku") == 1
    why = next(e.why for e in r.log.entries if e.rule == "contract:orders.sku")
    assert "expected a sku that exists in products (invalid_rows: drop); line 6 of o.csv" in why
    assert r.log.balance() == {"input": 5, "dropped": 3, "merged": 0, "output": 2, "ok": 1}


def test_cli_message_for_missing_sku(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _returns_spec(filter="qty > 0")
    spec["tables"]["products"] = {"file": "p.csv", "fields": {"sku": "sku", "name": "name", "category": {"value": "x"},
                                                              "subcategory": {"value": "x"}, "brand": {"value": "x"}}}
    mapping, src = _write(tmp_path, spec, {"o.csv": RETURNS + "O4,B,1,5\n", "p.csv": "sku,name\nA,Apple\n"})
    assert main([str(mapping), str(src), str(tmp_path / "shop")]) == 1
    err = capsys.readouterr().err
    assert "m.yml: 1 rule of the data contract broken, nothing was written" in err
    assert "m.yml, table orders, field sku, column sku, line 6 of o.csv: 'B' — expected a sku that exists in products" in err
    assert not (tmp_path / "shop").exists()


def test_derived_products_pick_and_agg(tmp_path: Path) -> None:
    lines = ("order,sku,title,qty,sales,profit\n"
             "O1,A,Red mug,2,20,8\n"     # cost 20 - 8 = 12 for 2 units
             "O2,A,Red mug,1,10,2\n"     # cost 8 for 1 unit
             "O3,A,Mug red,3,30,12\n"    # cost 18 for 3 units
             "O4,B,Plate,1,5,-1\n")      # cost 6 for 1 unit
    fields = {"order_id": "order", "order_ts": {"value": "2024-01-01"}, "sku": "sku", "quantity": "qty",
              "unit_price": {"expr": "sales / qty"}, "list_price": {"expr": "sales / qty"},
              "channel": {"value": "web"}, "region": {"value": "x"}, "status": {"value": "completed"}}
    spec = {"tables": {"orders": {"file": "o.csv", "fields": fields},
                       "products": {"from": "orders", "fields": {
                           "name": {"column": "title"},                                  # most_frequent by default
                           "category": {"column": "title", "pick": "last"},
                           "subcategory": {"value": "x"}, "brand": {"value": "x"},
                           "unit_cost": {"agg": "sum(sales - profit) / sum(qty)"}}}}}
    mapping, src = _write(tmp_path, spec, {"o.csv": lines})
    p = adapt_mapping(mapping, src).tables["products"].set_index("sku")
    assert p.loc["A", "name"] == "Red mug"             # 2 of 3 lines
    assert p.loc["A", "category"] == "Mug red"         # the last line
    assert p.loc["A", "unit_cost"] == pytest.approx((12 + 8 + 18) / 6)   # 38 / 6 = 6.333
    assert p.loc["B", "unit_cost"] == pytest.approx(6.0)


def test_join_adds_columns_and_refuses_a_key_that_is_not_unique(tmp_path: Path) -> None:
    fields = {"order_id": "order", "order_ts": "placed", "sku": "sku", "quantity": {"value": 1},
              "unit_price": {"value": 1}, "list_price": {"value": 1}, "channel": {"value": "web"},
              "region": {"column": "province", "fill": "(unknown)"}, "status": {"value": "completed"}}
    spec = {"tables": {"orders": {"file": "lines.csv", "join": [{"file": "orders.csv", "on": "order"}],
                                  "fields": fields}}}
    files = {"lines.csv": "order,sku\nO1,A\nO1,B\nO2,A\nO3,A\n",
             "orders.csv": "order,placed,province\nO1,2024-01-01,浙江\nO2,2024-01-02,\nO3,2024-01-03,上海\n"}
    mapping, src = _write(tmp_path, spec, files)
    r = adapt_mapping(mapping, src)
    assert r.tables["orders"]["region"].tolist() == ["浙江", "浙江", "(unknown)", "上海"]
    files["orders.csv"] += "O3,2024-01-04,北京\n"
    mapping, src = _write(tmp_path, spec, files)
    with pytest.raises(MappingError, match=r"m.yml, table orders, join orders.csv: key 'order' is not unique in "
                                           r"orders.csv \(lines 4, 5 of orders.csv: 'O3', 'O3'\)"):
        adapt_mapping(mapping, src)


# ------------------------------------------------------------------------------------- mistakes


def _fails(tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: dict, files: dict[str, str],
           code: int = 2, encoding: str = "utf-8") -> str:
    mapping, src = _write(tmp_path, spec, files, encoding)
    assert main([str(mapping), str(src), str(tmp_path / "out")]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("opslib import: ")
    assert not (tmp_path / "out").exists()
    return err


@pytest.mark.parametrize(("expr", "message"), [
    ("qty) FROM read_csv('/etc/passwd') --", "is not one SQL expression (syntax error"),
    ("1; DROP TABLE x", "is not one SQL expression"),
    ("(SELECT 1)", "uses a subquery, which a mapping does not allow"),
    ("read_text('/etc/passwd')", "calls read_text(), which is not a scalar function (table)"),
    ("sum(qty)", "uses the aggregate function sum(); aggregates are allowed only in agg: of a derived table"),
    ("row_number() OVER ()", "uses a window function"),
    ("qty, sales_value", "is more than one expression"),
    ("*", "uses *"),
    ("?", "uses a ? parameter"),
])
def test_expressions_that_are_not_one_scalar_expression_are_refused(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str],
                                                                    expr: str, message: str) -> None:
    spec = _events_spec()
    spec["tables"]["orders"]["fields"]["unit_price"] = {"expr": expr}
    err = _fails(tmp_path, capsys, spec, {"events.csv": EVENTS})
    assert "m.yml, table orders, field unit_price: expression" in err and message in err


def test_expression_errors_name_the_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _events_spec()
    spec["tables"]["orders"]["fields"]["unit_price"] = {"expr": "sales / qty"}
    err = _fails(tmp_path, capsys, spec, {"events.csv": EVENTS})
    assert ("field unit_price: expression 'sales / qty' names column 'sales', which is not in events.csv — the file "
            "has: user_id, item_id, category_id, behavior, ts, qty, sales_value, store, day, hour") in err
    spec["tables"]["orders"]["filter"] = "behavior > 3"
    err = _fails(tmp_path, capsys, spec, {"events.csv": EVENTS})
    assert "filter: expression 'behavior > 3' cannot be evaluated on events.csv: Cannot compare values of type " \
           "VARCHAR and type INTEGER_LITERAL" in err
    assert "(text columns need quotes or a cast, e.g. TRY_CAST(x AS DOUBLE)); its columns: behavior (text)" in err
    spec["tables"]["orders"]["filter"] = "qty * 2"
    err = _fails(tmp_path, capsys, spec, {"events.csv": EVENTS})
    assert "filter: expression 'qty * 2' is not a condition" in err


def test_expressions_cannot_read_files() -> None:
    # Even a function that reads files cannot be reached: only scalar functions, and external access is off.
    with pytest.raises(MappingError, match="not a scalar function"):
        check_expression("read_csv('/etc/passwd')", "m.yml, field sku")
    with pytest.raises(MappingError, match="not a scalar function"):
        check_expression("read_blob('/etc/passwd')", "m.yml, field sku")


@pytest.mark.parametrize(("fmt", "message"), [
    ("%Y-%Q", "format '%Y-%Q' is not a date pattern ('Q' is a bad directive in format '%Y-%Q')"),
    ("%Y-%m-%d %", "format '%Y-%m-%d %' is not a date pattern (stray % in format '%Y-%m-%d %')"),
    (20240101, "format 20240101 is not a date pattern (no % codes)"),
    ("yyyy-mm-dd", "format 'yyyy-mm-dd' is not a date pattern (no % codes)"),
])
def test_bad_format_is_a_clear_message_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    fmt: object, message: str) -> None:
    spec = _events_spec()
    spec["tables"]["orders"]["fields"]["order_ts"] = {"concat": ["day", "hour"], "sep": " ", "format": fmt}
    err = _fails(tmp_path, capsys, spec, {"events.csv": EVENTS})
    assert f"m.yml, table orders, field order_ts: {message}" in err


def test_format_that_does_not_fit_names_the_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _events_spec()
    spec["tables"]["orders"]["fields"]["order_ts"] = {"concat": ["day", "hour"], "sep": " ", "format": "%d.%m.%Y %H:%M"}
    err = _fails(tmp_path, capsys, spec, {"events.csv": EVENTS})
    # Rows that passed the filters: lines 3, 4 and 7.
    assert ("field order_ts, columns day + hour: not a date in format '%d.%m.%Y %H:%M' on lines 3, 4, 7 of "
            "events.csv: '2024-06-18 10:00', '2024-06-18 11:00', '2024-06-18 12:00'") in err


@pytest.mark.parametrize(("edit", "message"), [
    (lambda f: f.update(quantity={"column": "qty", "format": "%Y"}), "field quantity: format: is for dates and times"),
    (lambda f: f.update(order_ts={"column": "ts", "unit": "days"}), "field order_ts: unit: is for Unix time stamps"),
    (lambda f: f.update(sku={"column": "item_id", "expr": "item_id"}), "field sku: give exactly one of column, value, "
                                                                       "expr, concat (got column, expr)"),
    (lambda f: f.update(sku={"concat": "item_id"}), "field sku: concat: must list source columns"),
    (lambda f: f.update(sku={"column": "item_id", "pick": "first"}), "field sku: pick: is for derived tables"),
    (lambda f: f.update(sku={"agg": "max(item_id)"}), "field sku: agg: is for derived tables"),
    (lambda f: f.update(region={"column": "store", "fill": None}), "field region: fill: needs a value"),
])
def test_field_mistakes(tmp_path: Path, capsys: pytest.CaptureFixture[str], edit, message: str) -> None:
    spec = _events_spec()
    edit(spec["tables"]["orders"]["fields"])
    assert message in _fails(tmp_path, capsys, spec, {"events.csv": EVENTS})


def test_table_and_shop_mistakes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _events_spec()
    spec["shop"] = {"currency": "XYZ"}
    assert "m.yml, shop: currency 'XYZ' is not a known currency code" in _fails(tmp_path, capsys, spec,
                                                                                 {"events.csv": EVENTS})
    spec = _events_spec(returns="positive")
    assert "table orders: returns: negative_quantity is the only choice" in _fails(tmp_path, capsys, spec,
                                                                                  {"events.csv": EVENTS})
    spec = _events_spec(invalid_rows="ignore")
    assert "table orders: invalid_rows 'ignore' — expected refuse" in _fails(tmp_path, capsys, spec,
                                                                            {"events.csv": EVENTS})
    spec = _events_spec()
    spec["tables"]["products"]["from"] = "inventory"
    assert "table products: from: 'inventory' must name another table of this mapping that reads a file" in \
        _fails(tmp_path, capsys, spec, {"events.csv": EVENTS})
    spec = _events_spec()
    spec["tables"]["orders"]["filter"] = {"x": 3}
    assert "table orders: filter must be an expression" in _fails(tmp_path, capsys, spec, {"events.csv": EVENTS})
    spec = _events_spec(aggregate=True)
    assert "table orders: aggregate: true makes one orders row per key from the rows of file: (not for orders" in \
        _fails(tmp_path, capsys, spec, {"events.csv": EVENTS})
    spec = _events_spec()
    spec["typo"] = 1
    assert "m.yml: unknown key(s) typo" in _fails(tmp_path, capsys, spec, {"events.csv": EVENTS})


# ------------------------------------------------------------------------------ reading sources


def test_excel_sheets_are_chosen_never_guessed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "export"
    src.mkdir()
    rows = pd.read_csv(pd.io.common.StringIO(EVENTS), dtype=str)
    with pd.ExcelWriter(src / "events.xlsx") as w:
        rows.iloc[:3].to_excel(w, sheet_name="2023", index=False)
        rows.iloc[3:].to_excel(w, sheet_name="2024", index=False)
    spec = _events_spec()
    spec["tables"]["orders"]["file"] = "events.xlsx"
    mapping = tmp_path / "m.yml"
    mapping.write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert main([str(mapping), str(src), str(tmp_path / "out")]) == 2
    assert ("m.yml, table orders: events.xlsx has 2 sheets ('2023', '2024') — say which with sheet: NAME, a list of "
            "names, or sheet: all to stack them") in capsys.readouterr().err
    spec["tables"]["orders"]["sheet"] = "all"
    mapping.write_text(yaml.safe_dump(spec), encoding="utf-8")
    r = adapt_mapping(mapping, src)
    assert r.log.input_rows == 6 and len(r.tables["orders"]) == 3  # both sheets, as the CSV
    spec["tables"]["orders"]["filter"] = "behavior <> 'cart'"  # keeps the pv line of sheet 2023 (qty 1, price 0)
    spec["tables"]["orders"]["fields"]["quantity"] = {"expr": "qty - 1"}
    mapping.write_text(yaml.safe_dump(spec), encoding="utf-8")
    # qty - 1: sheet 2023 row 2 (pv, 1 - 1 = 0), sheet 2024 rows 2 (0 - 1) and 4 (1 - 1).
    with pytest.raises(ImportDataError, match=r"field quantity, expr qty - 1, sheet rows '2023' 2, '2024' 2, '2024' 4 "
                                              r"of events.xlsx: 0, -1 — expected a whole number >= 1"):
        adapt_mapping(mapping, src)
    spec["tables"]["orders"]["fields"]["quantity"] = "qty"
    spec["tables"]["orders"]["sheet"] = "2024"
    spec["tables"]["orders"].pop("filter")
    mapping.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(ImportDataError, match=r"field quantity, column qty, row 2 of events.xlsx: 0 — expected"):
        adapt_mapping(mapping, src)  # sheet 2024 row 2 (under its header) = the fourth event, qty 0
    spec["tables"]["orders"]["sheet"] = "2025"
    mapping.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(MappingError, match=r"events.xlsx has no sheet '2025' — its sheets: '2023', '2024'"):
        adapt_mapping(mapping, src)


def test_mixed_encodings_are_refused_line_by_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _events_spec()
    gb = EVENTS.replace("S1,2024-06-18,10:00\n", "上海,2024-06-18,10:00\n").encode("gb18030")
    utf8_line = "u9,i1,c1,buy,1718676000,1,5,北京,2024-06-18,10:00\n".encode()
    mapping, src = _write(tmp_path, spec, {})
    (src / "events.csv").write_bytes(gb + utf8_line)
    assert main([str(mapping), str(src), str(tmp_path / "out")]) == 2
    assert ("m.yml, table orders: events.csv mixes encodings: lines 8 are UTF-8, the rest GB18030 (read as one "
            "encoding they would turn into mojibake) — save the file in one encoding") in capsys.readouterr().err


def test_duplicate_header_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = EVENTS.replace("sales_value,store", "qty,store", 1)
    err = _fails(tmp_path, capsys, _events_spec(), {"events.csv": text})
    assert "m.yml, table orders: events.csv names column 'qty' twice (columns 6 and 7)" in err


def test_line_numbers_stay_right_after_quoted_line_breaks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = EVENTS.replace("u1,i1,c1,pv,", 'u1,i1,"c1\nsecond line\nthird",pv,')  # line 2 now spans lines 2-4
    spec = _events_spec()
    spec["tables"]["orders"].pop("filter")
    spec["tables"]["orders"]["filter"] = "behavior = 'buy'"
    err = _fails(tmp_path, capsys, spec, {"events.csv": text}, code=1)
    # The buy with qty 0 was line 5, and is line 7 now.
    assert "field quantity, column qty, line 7 of events.csv: 0 — expected a whole number >= 1" in err


def test_yaml_on_key_is_read_as_on(tmp_path: Path) -> None:
    text = ("tables:\n  orders:\n    file: lines.csv\n    join:\n      - {file: orders.csv, on: order}\n"
            "    fields: {order_id: order, order_ts: placed, sku: sku, quantity: {value: 1}, unit_price: {value: 1},\n"
            "             list_price: {value: 1}, channel: {value: web}, region: {value: x}, status: {value: completed}}\n")
    src = tmp_path / "export"
    src.mkdir()
    (src / "lines.csv").write_text("order,sku\nO1,A\n", encoding="utf-8")
    (src / "orders.csv").write_text("order,placed\nO1,2024-01-01\n", encoding="utf-8")
    (tmp_path / "m.yml").write_text(text, encoding="utf-8")
    assert adapt_mapping(tmp_path / "m.yml", src).tables["orders"]["order_ts"].iloc[0] == pd.Timestamp("2024-01-01")


def test_src_may_be_the_file_itself(tmp_path: Path) -> None:
    spec = _returns_spec(filter="qty > 0")
    spec["tables"]["orders"]["file"] = "orders_2024.csv"
    spec["tables"]["products"] = {"file": "p.csv", "fields": {"sku": "sku", "name": "name", "category": {"value": "x"},
                                                              "subcategory": {"value": "x"}, "brand": {"value": "x"}}}
    mapping, src = _write(tmp_path, spec, {"orders_2025.csv": RETURNS, "p.csv": "sku,name\nA,Apple\nB,Banana\n"})
    # SRC is another orders file than the one named: it stands for orders; p.csv is read next to it.
    r = adapt_mapping(mapping, src / "orders_2025.csv")
    assert r.tables["orders"]["order_id"].tolist() == ["O1", "O3"]
    assert r.tables["products"]["name"].tolist() == ["Apple", "Banana"]
