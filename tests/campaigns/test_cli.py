"""``python -m opslib campaign evaluate``: one JSON object, exit 2 with one line for a bad request."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from opslib.__main__ import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["campaign", "evaluate", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_has_the_documented_fields(small_shop_dir: Path, capsys: pytest.CaptureFixture[str]):
    code, out, err = _run(capsys, str(small_shop_dir), "--campaign", "CMP_2025_CPN", "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    for key in ("campaign_id", "incremental_units", "incremental_units_low", "incremental_units_high", "confidence",
                "incremental_gmv", "net_profit", "fit_mape_pre", "method", "notes", "currency", "cost_coverage"):
        assert key in r, key
    assert r["campaign_id"] == "CMP_2025_CPN" and r["currency"] == "CNY" and r["confidence"] == 0.9
    assert r["incremental_units_low"] <= r["incremental_units"] <= r["incremental_units_high"]
    assert isinstance(r["net_profit"], float)


def test_no_cost_gives_null_profit_and_a_foreign_currency(small_shop_dir: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]):
    shop = tmp_path / "shop"
    shutil.copytree(small_shop_dir, shop)
    p = pd.read_parquet(shop / "products.parquet")
    p["unit_cost"] = float("nan")
    p.to_parquet(shop / "products.parquet", index=False)
    (shop / "shop.yml").write_text("currency: USD\ncountry: US\n", encoding="utf-8")
    code, out, err = _run(capsys, str(shop), "--campaign", "CMP_2025_CPN", "--format", "json")
    assert code == 0, err
    r = json.loads(out)
    assert r["net_profit"] is None and r["incremental_margin"] is None and r["roi"] is None
    assert r["currency"] == "USD" and r["incremental_gmv"] is not None
    code, text, _ = _run(capsys, str(shop), "--campaign", "CMP_2025_CPN")
    assert code == 0 and "unknown (no cost data)" in text and "$" in text and "¥" not in text


@pytest.mark.parametrize(("argv", "message"), [
    (["--campaign", "CMP_2099_X"], "does not exist"),
    (["--campaign", "18"], "'18' does not exist"),
    (["--start", "2024-06-01"], "start is given but end is not"),
    (["--start", "2024-13-01", "--end", "2024-06-02"], "start '2024-13-01' is not a date"),
    (["--overlap", "sometimes"], "argument --overlap: invalid choice"),
    (["--pre-days", "x"], "invalid int value"),
    (["--scope", "sku:A"], "only applies to an ad-hoc window"),
])
def test_bad_requests_exit_2_with_one_line(small_shop_dir: Path, capsys: pytest.CaptureFixture[str], argv, message):
    code, out, err = _run(capsys, str(small_shop_dir), *argv)
    assert code == 2 and out == ""
    assert message in err and err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_missing_folder_is_bad_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code, out, err = _run(capsys, str(tmp_path / "nope"))
    assert code == 1 and "not a folder" in err and out == ""


def test_unknown_subcommand(capsys: pytest.CaptureFixture[str]):
    assert main(["campaign", "plan"]) == 2
    assert "unknown campaign command 'plan'" in capsys.readouterr().err
