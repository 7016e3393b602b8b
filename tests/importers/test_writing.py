"""Import never deletes or overwrites what it did not write: OUT rules, the marker, atomic replace, shop.yml.

Every case asserts the one message a user sees; the CLI is also run in a subprocess for its exit codes
(0 done, 1 bad data, 2 bad request) and to show there is never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from opslib.data import load_shop, read_settings, validate_shop
from opslib.errors import ImportDataError
from opslib.importers import MARKER_NAME, ImportLog, ImportResult, conform, main, run_import, write_result

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "examples" / "mappings" / "taobao_orders.yml"
EXPORT = ROOT / "examples" / "taobao_export"
RETAIL = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,,France
"""


def _export(tmp_path: Path) -> Path:
    """A copy of the Taobao example export (so tests may write next to it)."""
    src = tmp_path / "export"
    shutil.copytree(EXPORT, src)
    return src


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_out_equal_to_src_is_refused_and_nothing_is_touched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _export(tmp_path)
    before = _snapshot(src)
    code, _, err = _run([str(MAPPING), str(src), str(src)], capsys)
    assert code == 2
    assert f"OUT {src} is the export itself: the import never writes into its source" in err
    assert _snapshot(src) == before  # the user's orders.csv and products.csv are still there, unchanged


def test_out_inside_src_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _export(tmp_path)
    code, _, err = _run([str(MAPPING), str(src), str(src / "shop")], capsys)
    assert code == 2
    assert f"OUT {src / 'shop'} is inside the export folder {src}" in err
    assert not (src / "shop").exists()


def test_out_equal_to_the_folder_of_a_src_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "retail.csv").write_text(RETAIL, encoding="utf-8")
    code, _, err = _run(["online_retail", str(tmp_path / "retail.csv"), str(tmp_path)], capsys)
    assert code == 2
    assert "is the folder that holds the export retail.csv: the import never writes next to its source" in err


def test_foreign_folder_is_refused_with_its_files_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shop"
    out.mkdir()
    (out / "orders.csv").write_text("order_id\n1\n", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    before = _snapshot(out)
    code, _, err = _run([str(MAPPING), str(EXPORT), str(out)], capsys)
    assert code == 2
    assert "already holds files that opslib import did not write (notes.txt, orders.csv)" in err
    assert "opslib never deletes or overwrites files it did not write" in err
    assert _snapshot(out) == before


def test_folder_of_an_older_import_without_marker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shop"
    assert _run([str(MAPPING), str(EXPORT), str(out)], capsys)[0] == 0
    (out / MARKER_NAME).unlink()  # as an import by opslib before the marker existed
    code, _, err = _run([str(MAPPING), str(EXPORT), str(out)], capsys)
    assert code == 2
    assert "(import_log.json, orders.parquet, products.parquet) (its import_log.json looks like an import by an older " \
           "opslib, which left no marker: delete that folder or import into a new one)" in err


def test_reimport_replaces_only_own_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shop"
    assert _run([str(MAPPING), str(EXPORT), str(out)], capsys)[0] == 0
    marker = json.loads((out / MARKER_NAME).read_text(encoding="utf-8"))
    assert set(marker["files"]) == {"orders.parquet", "products.parquet", "import_log.json"}
    campaigns = ("campaign_id,name,kind,start,end,discount_depth,scope_type,scope,marketing_spend\n"
                 "CMP1,New year,coupon,2024-01-01,2024-01-07,0.1,all,,1000\n")
    (out / "campaigns.csv").write_text(campaigns, encoding="utf-8")  # the user's own table, kept by hand
    (out / "README.txt").write_text("my notes", encoding="utf-8")
    code, out_text, _ = _run([str(MAPPING), str(EXPORT), str(out)], capsys)
    assert code == 0
    assert (out / "campaigns.csv").read_text(encoding="utf-8") == campaigns
    assert (out / "README.txt").read_text(encoding="utf-8") == "my notes"
    assert len(load_shop(out, tables=["orders"], validate=False).orders) == 6
    assert not list(out.glob(".opslib-staging-*"))  # the staging folder is gone


def test_own_file_changed_since_is_not_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shop"
    assert _run([str(MAPPING), str(EXPORT), str(out)], capsys)[0] == 0
    orders = pd.read_parquet(out / "orders.parquet")
    orders.iloc[:2].to_parquet(out / "orders.parquet", index=False)  # the user trimmed the file
    before = _snapshot(out)
    code, _, err = _run([str(MAPPING), str(EXPORT), str(out)], capsys)
    assert code == 2
    assert "orders.parquet was changed after opslib import wrote it, so the import will not overwrite it" in err
    assert _snapshot(out) == before


def test_users_file_for_a_table_the_import_writes_is_a_conflict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shop"
    assert _run([str(MAPPING), str(EXPORT), str(out)], capsys)[0] == 0
    (out / "products.csv").write_text("sku,name\nX,mine\n", encoding="utf-8")
    code, _, err = _run([str(MAPPING), str(EXPORT), str(out)], capsys)
    assert code == 2
    assert "has products.csv, which opslib import did not write; the import would write products.parquet next to it" in err
    assert (out / "products.csv").read_text(encoding="utf-8") == "sku,name\nX,mine\n"


def _variant(tmp_path: Path, name: str, edit) -> Path:
    spec = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    edit(spec)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def test_tables_of_the_earlier_import_not_produced_now_are_removed(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    def with_fulfilment(spec: dict) -> None:
        spec["tables"]["fulfilment"] = {"from": "orders", "fields": {
            "paid_ts": {"column": "订单创建时间", "pick": "first"}, "warehouse": {"value": "杭州仓"},
            "carrier": {"value": "顺丰"}}}

    out = tmp_path / "shop"
    assert _run([str(_variant(tmp_path, "more.yml", with_fulfilment)), str(EXPORT), str(out)], capsys)[0] == 0
    assert (out / "fulfilment.parquet").is_file()
    code, text, _ = _run([str(MAPPING), str(EXPORT), str(out)], capsys)  # no fulfilment this time
    assert code == 0
    assert "note: removed fulfilment.parquet: written by the earlier import into" in text
    assert not (out / "fulfilment.parquet").exists()
    assert validate_shop(out).ok


def test_orders_only_mapping_needs_products_from_somewhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    orders_only = _variant(tmp_path, "orders_only.yml", lambda s: s["tables"].pop("products"))
    code, _, err = _run([str(orders_only), str(EXPORT), str(tmp_path / "new")], capsys)
    assert code == 2
    assert "the import produces no products table and OUT" in err and "put your products.csv into OUT first" in err
    # With the user's own products file in an earlier import's folder, the shop is validated as a whole.
    out = tmp_path / "shop"
    assert _run([str(MAPPING), str(EXPORT), str(out)], capsys)[0] == 0
    mine = pd.read_parquet(out / "products.parquet").drop(columns="cost_source", errors="ignore")
    (out / "products.parquet").unlink()
    mine[mine["sku"] != "TB-TEE-WHT"].to_csv(out / "products.csv", index=False)  # the user's list lacks one sku
    code, _, err = _run([str(orders_only), str(EXPORT), str(out)], capsys)
    assert code == 1
    assert "orders.parquet, column sku, rows 4, 6: 'TB-TEE-WHT' — expected a sku that exists in products.csv" in err
    (out / "products.csv").write_text(mine.to_csv(index=False), encoding="utf-8")
    assert _run([str(orders_only), str(EXPORT), str(out)], capsys)[0] == 0
    assert validate_shop(out).ok


def test_a_contract_breaking_result_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "shop"
    assert run_import(MAPPING, EXPORT, out) is not None
    before = _snapshot(out)
    orders = pd.read_parquet(out / "orders.parquet").assign(quantity=0)  # quantity must be >= 1
    products = pd.read_parquet(out / "products.parquet")
    bad = ImportResult(tables={"orders": conform("orders", orders), "products": products}, log=ImportLog("test", "x"))
    with pytest.raises(ImportDataError, match=r"would break the data contract, so nothing was written .*\n"
                                              r".*orders.parquet, column quantity, rows 1, 2, 3, 4, 5 and 1 more"):
        write_result(bad, out)
    assert _snapshot(out) == before
    assert not list(out.glob(".opslib-staging-*"))


def test_invalid_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    code, _, err = _run([str(MAPPING), str(EXPORT), str(a_file)], capsys)
    assert code == 2 and f"OUT {a_file} is a file, not a folder" in err
    code, _, err = _run([str(MAPPING), str(EXPORT), str(a_file / "shop")], capsys)
    assert code == 2 and f"OUT {a_file / 'shop'} cannot be created: {a_file} is a file" in err


def test_read_only_out(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "shop"
    out.mkdir()

    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("opslib.importers.writing.tempfile.mkdtemp", refuse)
    code, _, err = _run([str(MAPPING), str(EXPORT), str(out)], capsys)
    assert code == 2
    assert f"OUT {out} is not writable (Permission denied) — give a folder you can write to" in err
    assert list(out.iterdir()) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_out_for_real(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shop"
    out.mkdir()
    out.chmod(0o500)
    try:
        code, _, err = _run([str(MAPPING), str(EXPORT), str(out)], capsys)
    finally:
        out.chmod(0o700)
    assert code == 2 and "is not writable" in err


def test_unreadable_marker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shop"
    assert _run([str(MAPPING), str(EXPORT), str(out)], capsys)[0] == 0
    (out / MARKER_NAME).write_text("{broken", encoding="utf-8")
    code, _, err = _run([str(MAPPING), str(EXPORT), str(out)], capsys)
    assert code == 2 and f"the marker {MARKER_NAME} is not readable" in err


def test_adapter_writes_shop_yml_and_keeps_a_users(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "retail.csv"
    src.write_text(RETAIL, encoding="utf-8")
    out = tmp_path / "shop"
    assert _run(["online_retail", str(src), str(out)], capsys)[0] == 0
    s = read_settings(out)
    assert (s.currency, s.country, s.timezone) == ("GBP", "GB", "Europe/London")
    # The user edits it: a re-import keeps the edit and says so.
    (out / "shop.yml").write_text("currency: GBP\ncountry: GB\ntimezone: Europe/London\nname: My gift shop\n",
                                  encoding="utf-8")
    code, text, _ = _run(["online_retail", str(src), str(out)], capsys)
    assert code == 0
    assert "note: kept your shop.yml in" in text and "currency GBP" in text
    assert read_settings(out).name == "My gift shop"
    # A shop.yml prepared in a new folder is kept too (and the folder counts as fresh).
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "shop.yml").write_text("currency: CNY\n", encoding="utf-8")
    assert _run(["online_retail", str(src), str(fresh)], capsys)[0] == 0
    assert read_settings(fresh).currency == "CNY"
    assert validate_shop(fresh).ok


@pytest.mark.parametrize(("kind", "settings"), [
    ("olist", {"currency": "BRL", "country": "BR", "timezone": "America/Sao_Paulo"}),
    ("superstore", {"currency": "USD", "country": "US"}),
    ("cdnow", {"currency": "USD", "country": "US"}),
])
def test_every_adapter_knows_its_settings(kind: str, settings: dict[str, str]) -> None:
    from opslib.importers import cdnow, olist, superstore

    module = {"olist": olist, "superstore": superstore, "cdnow": cdnow}[kind]
    assert settings.items() <= module.SETTINGS.items()


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OPSLIB_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "opslib", "import", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_cli_exit_codes_in_a_subprocess(tmp_path: Path) -> None:
    src = _export(tmp_path)
    done = _cli(str(MAPPING), str(src), str(tmp_path / "shop"))
    assert done.returncode == 0, done.stderr
    assert "wrote orders.parquet, products.parquet, import_log.json (and the marker .opslib_import.json)" in done.stdout
    request = _cli(str(MAPPING), str(src), str(src))  # OUT = SRC: a bad request
    assert request.returncode == 2 and "is the export itself" in request.stderr
    (src / "orders.csv").write_bytes((src / "orders.csv").read_bytes().replace(b",2,89.00,79.00,", b",0,89.00,79.00,"))
    data = _cli(str(MAPPING), str(src), str(tmp_path / "shop2"))  # quantity 0 on line 2: bad data
    assert data.returncode == 1
    assert ("table orders, field quantity, column 购买数量, line 2 of orders.csv: 0 — expected a whole number >= 1"
            in data.stderr)
    assert not (tmp_path / "shop2").exists()
    for p in (request, data):
        assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) <= 3
