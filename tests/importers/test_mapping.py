"""The YAML column mapping: the Taobao example end to end, and every mistake gives a clear message (exit 2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from opslib.data import load_shop, validate_shop
from opslib.importers import main

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "examples" / "mappings" / "taobao_orders.yml"
EXPORT = ROOT / "examples" / "taobao_export"


def test_taobao_example_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shop"
    assert main([str(MAPPING), str(EXPORT), str(out)]) == 0
    assert "input rows 7 = dropped 0 + merged 1 + order lines 6" in capsys.readouterr().out
    assert validate_shop(out).ok
    shop = load_shop(out)
    o = shop.orders.set_index(["order_id", "sku"])
    assert o.loc[("2401180001", "TB-MASK-01"), "unit_price"] == 79.0
    assert o.loc[("2401180001", "TB-MASK-01"), "list_price"] == 89.0
    assert o.loc[("2401190004", "TB-SERUM-30"), "quantity"] == 2  # two sub-orders summed
    assert o.loc[("2401180002", "TB-MASK-01"), "status"] == "cancelled"
    assert o.loc[("2401190003", "TB-TEE-WHT"), "status"] == "returned"
    assert o.loc[("2401180001", "TB-MASK-01"), "customer_id"] == "小明_88"
    assert set(shop.orders["channel"]) == {"淘宝"}
    p = shop.products.set_index("sku")
    assert p.loc["TB-MASK-01", "launch_date"] == pd.Timestamp("2023-09-01")
    assert p["unit_cost"].isna().sum() == 1  # no default margin unless asked


def _variant(tmp_path: Path, edit) -> Path:
    spec = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    edit(spec)
    p = tmp_path / "bad.yml"
    p.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return p


def _fails(tmp_path: Path, capsys: pytest.CaptureFixture[str], edit, src: Path = EXPORT) -> str:
    mapping = _variant(tmp_path, edit)
    assert main([str(mapping), str(src), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_unknown_target_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(tmp_path, capsys, lambda s: s["tables"]["orders"]["fields"].update({"buyer": "买家会员名"}))
    assert "bad.yml, table orders, field buyer: unknown target field" in err
    assert "order_id" in err


def test_missing_source_column_lists_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(tmp_path, capsys, lambda s: s["tables"]["orders"]["fields"].update({"sku": "商品编号"}))
    assert "field sku: source column '商品编号' is not in orders.csv" in err
    assert "the file has: 订单编号, 买家会员名, 商品编码" in err


def test_bad_value_map(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(tmp_path, capsys,
                 lambda s: s["tables"]["orders"]["fields"]["status"]["map"].update({"交易成功": "done"}))
    assert "field status: value map gives 'done' — expected one of completed, cancelled, returned" in err
    err = _fails(tmp_path, capsys, lambda s: s["tables"]["orders"]["fields"]["status"].update({"map": ["x"]}))
    assert "field status: value map must be" in err


def test_value_not_covered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(tmp_path, capsys, lambda s: s["tables"]["orders"]["fields"]["status"]["map"].pop("退款成功"))
    assert "table orders, field status, column 订单状态: value(s) '退款成功' (1 rows) not covered by the value map" in err


def test_bad_date_format_and_required_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(tmp_path, capsys, lambda s: s["tables"]["orders"]["fields"]["order_ts"].update({"format": "%d.%m.%Y"}))
    assert "field order_ts, column 订单创建时间: not a date in format '%d.%m.%Y' on lines 2, 3" in err
    err = _fails(tmp_path, capsys, lambda s: s["tables"]["orders"]["fields"].pop("sku"))
    assert "table orders: required field(s) sku not mapped" in err


def test_utf8_export_and_unknown_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "utf8"
    shutil.copytree(EXPORT, src)
    for f in ("orders.csv", "products.csv"):
        (src / f).write_text((EXPORT / f).read_bytes().decode("gb18030"), encoding="utf-8")

    def no_encoding(s: dict) -> None:
        for t in s["tables"].values():
            t.pop("encoding")

    mapping = _variant(tmp_path, no_encoding)
    assert main([str(mapping), str(src), str(tmp_path / "out")]) == 0
    err = _fails(tmp_path, capsys, lambda s: s["tables"].update({"stock": s["tables"]["products"]}))
    assert "table stock: unknown table" in err
