"""The report runner: good runs, failing runs that keep the last good report, checks before any kernel."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from opslib import reporting as reports
from opslib.reporting.plan import period_label


def _notebook(path: Path, body: str, params: str) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_markdown_cell("# 标题"), nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def nb_dir(tmp_path: Path) -> Path:
    d = tmp_path / "notebooks"
    d.mkdir()
    params = "x = 1\nlabel = 'a'\ndata_dir = None\ncategory = None\ncampaign_id = None\nperiod_end = None\n"
    _notebook(d / "00_good.ipynb", "import os\nprint('value', x * 2, label, category, os.environ.get('OPSPLAYBOOK_PROGRESS'))",
              params)
    _notebook(d / "01_bad.ipynb", "if x > 1:\n    raise ValueError('x too big')\nprint('fine')", "x = 1\n")
    return d


@pytest.fixture
def tiny_shop(tmp_path: Path) -> Path:
    """Two categories, one campaign: enough for the runner's category/campaign checks and schedules."""
    d = tmp_path / "shop"
    d.mkdir()
    pd.DataFrame({
        "sku": ["a", "b"], "name": ["面霜", "耳机"], "category": ["美妆", "数码"], "subcategory": ["护肤", "音频"],
        "brand": ["x", "y"], "unit_cost": [5.0, 50.0], "launch_date": ["2024-01-01", "2024-01-01"],
    }).to_csv(d / "products.csv", index=False)
    pd.DataFrame({
        "order_id": ["o1", "o2", "o3"], "order_ts": ["2024-03-10 10:00", "2024-03-20 11:00", "2024-03-30 12:00"],
        "customer_id": ["c1", "c2", ""], "sku": ["a", "b", "b"], "quantity": [1, 1, 2],
        "unit_price": [10.0, 100.0, 90.0], "list_price": [10.0, 100.0, 100.0], "channel": "app",
        "region": "华东", "status": "completed", "campaign_id": ["", "", "CMP1"],
    }).to_csv(d / "orders.csv", index=False)
    pd.DataFrame({
        "campaign_id": ["CMP1", "CMP_OLD"], "name": ["春促", "旧"], "kind": ["flash_sale", "coupon"],
        "start": ["2024-03-28", "2024-01-01"], "end": ["2024-03-30", "2024-01-03"], "discount_depth": [0.1, 0.1],
        "scope_type": ["category", "all"], "scope": ["数码", ""], "marketing_spend": [100.0, 0.0],
    }).to_csv(d / "campaigns.csv", index=False)
    return d


def _run(nb_dir: Path, out: Path, *args: str) -> int:
    return reports.main(["run", *args, "--notebooks", str(nb_dir), "--out", str(out)])


def test_good_run_writes_notebook_html_and_index(nb_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "--all", "--period", "P1") == 0
    assert (out / "P1" / "00_good.ipynb").exists() and (out / "P1" / "00_good.html").exists()
    page = (out / "P1" / "00_good.html").read_text(encoding="utf-8")
    assert "value 2 a None 0" in page and "print(" not in page  # output shown, code hidden; no progress bars
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert runs[0]["opslib_version"] and runs[0]["html"] == "P1/00_good.html"
    assert "P1/00_good.html" in (out / "index.html").read_text(encoding="utf-8")
    meta = nbformat.read(str(out / "P1" / "00_good.ipynb"), as_version=4).metadata["opsplaybook"]
    assert meta["parameters"] == {} and meta["opslib_version"]


def test_failure_keeps_last_good_report_and_exits_non_zero(nb_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "01", "--period", "P") == 0
    good = (out / "P" / "01_bad.html").read_bytes()
    # x = 5 makes 01 raise; both notebooks still run and the exit status says one failed.
    assert _run(nb_dir, out, "--all", "-p", "x", "5", "--period", "P", "--workers", "2") == 1
    assert (out / "P" / "01_bad.html").read_bytes() == good
    failed = nbformat.read(str(out / "P" / "01_bad.failed.ipynb"), as_version=4)
    top = failed.cells[0].source  # the error and the failing cell's code sit on top
    assert "x too big" in top and "raise ValueError" in top
    assert (out / "P" / "00_good.ipynb").exists()
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert sorted(r["status"] for r in runs[-2:]) == ["failed", "ok"]
    assert any("ValueError" in r["error"] for r in runs[-2:])
    # A later good run clears the failure files.
    assert _run(nb_dir, out, "01", "--period", "P") == 0
    assert not (out / "P" / "01_bad.failed.ipynb").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["00", "-p", "nope", "1"], "unknown parameter 'nope'"),
        (["00", "-p", "x", "abc"], "expects int"),
        (["00", "-p", "period_end", "2024-13-45"], "must be a date like"),
        (["99_nothing"], "no notebook named"),
        (["00", "-p", "data_dir", "/does/not/exist"], "is not a folder"),
        (["--all", "-p", "zzz", "1"], "no notebook declares them"),
        (["00", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_bad_requests_are_rejected_before_any_kernel(nb_dir: Path, tmp_path: Path, capsys, args, message) -> None:
    out = tmp_path / "reports"
    assert _run(nb_dir, out, *args) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert not out.exists()


def test_unknown_category_and_campaign(nb_dir: Path, tmp_path: Path, tiny_shop: Path, capsys) -> None:
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "00", "-p", "data_dir", str(tiny_shop), "-p", "category", "玩具") == 2
    assert "category '玩具' is not in" in capsys.readouterr().err
    assert _run(nb_dir, out, "00", "-p", "data_dir", str(tiny_shop), "-p", "campaign_id", "CMP") == 2
    err = capsys.readouterr().err
    assert "campaign_id 'CMP' is not in" in err and "CMP1" in err
    assert _run(nb_dir, out, "00", "-p", "data_dir", str(tiny_shop), "-p", "category", "美妆", "--dry-run") == 0


def test_config_schedules_expand_and_dry_run(nb_dir: Path, tmp_path: Path, tiny_shop: Path, capsys) -> None:
    cfg = tmp_path / "reports.yml"
    cfg.write_text(
        f"defaults:\n  data_dir: {tiny_shop}\n"
        "schedules:\n"
        "  weekly_category_review:\n    notebook: 00_good\n    period: week\n"
        "    parameters: {period_end: '2024-03-30'}\n    for_each: {category: top_categories 2}\n"
        "  campaign_review:\n    notebook: '00'\n    for_each: {campaign_id: ended_campaigns 14}\n"
        "    parameters: {period_end: '2024-03-30'}\n",
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "--config", str(cfg), "--dry-run") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    # 数码 sold 280 in the last 28 days, 美妆 10: ranked by GMV. Only CMP1 ended in the last 14 days.
    assert [ln.split()[0] for ln in lines] == [
        "2024-W13/00_good__数码", "2024-W13/00_good__美妆", "2024-03-30/00_good__CMP1"]
    assert not out.exists()
    assert _run(nb_dir, out, "--config", str(cfg), "--schedule", "campaign_review") == 0
    assert "value 2 a None 0" in (out / "2024-03-30" / "00_good__CMP1.html").read_text(encoding="utf-8")


def test_bad_config_is_a_clear_message(nb_dir: Path, tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "reports.yml"
    cfg.write_text("schedules:\n  s:\n    notebook: 00_good\n    every: week\n", encoding="utf-8")
    assert _run(nb_dir, tmp_path / "r", "--config", str(cfg)) == 2
    assert "unknown key(s) every" in capsys.readouterr().err
    assert _run(nb_dir, tmp_path / "r", "--config", str(tmp_path / "missing.yml")) == 2
    assert "does not exist" in capsys.readouterr().err


def test_period_label() -> None:
    assert period_label("week", {"period_end": "2024-12-30"}) == "2025-W01"  # ISO week of Mon 30 Dec 2024
    assert period_label("month", {"period_end": "2024-06-18"}) == "2024-06"
    assert period_label(None, {"period_end": "2024-06-18"}) == "2024-06-18"


def test_parse_value() -> None:
    from opslib.reporting.plan import parse_value

    assert parse_value("8") == 8
    assert parse_value("0.95") == 0.95
    assert parse_value("null") is None
    assert parse_value("2024-06-18") == "2024-06-18"
    assert parse_value("美妆") == "美妆"
