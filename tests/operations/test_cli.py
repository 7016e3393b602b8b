"""``python -m opslib operations check``: alert files and exit codes a scheduler can rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from opslib.__main__ import main
from tests.conftest import ROOT

LAX = {"departments": {"ops": {"owner": "Wang", "norms": {
    "cancel": {"metric": "cancellation_rate", "at_most": 0.5, "label": "取消率"}}}}}
STRICT = {"departments": {"logistics": {"owner": "Zhao", "norms": {
    "on_time": {"metric": "on_time", "at_least": 0.999, "label": "准时率"}}}}}


def _norms(tmp_path: Path, cfg: dict) -> Path:
    p = tmp_path / "norms.yml"
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return p


def test_breach_exits_3_and_writes_the_alert_table(small_shop_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "alerts"
    code = main(["operations", "check", str(small_shop_dir), "--norms", str(_norms(tmp_path, STRICT)),
                 "--out", str(out), "--period-days", "28", "--packs"])
    assert code == 3
    a = pd.read_csv(out / "alerts.csv", encoding="utf-8-sig")
    assert a["norm"].tolist() == ["logistics.on_time"] and a["severity"].iloc[0] == "critical"
    assert a["owner"].iloc[0] == "Zhao" and a["period_end"].iloc[0] == "2025-12-31"
    assert json.loads((out / "alerts.json").read_text(encoding="utf-8"))[0]["norm"] == "logistics.on_time"
    assert (out / "ops_logistics_2025-12-31" / "exceptions.xlsx").is_file()
    printed = capsys.readouterr().out
    assert "1 breached" in printed and "[critical] logistics.on_time" in printed


def test_fail_on_never_and_no_breach_exit_0(small_shop_dir: Path, tmp_path: Path) -> None:
    strict = str(_norms(tmp_path, STRICT))
    assert main(["operations", "check", str(small_shop_dir), "--norms", strict, "--out", str(tmp_path / "a"),
                 "--fail-on", "never"]) == 0
    lax = tmp_path / "lax"
    lax.mkdir()
    assert main(["operations", "check", str(small_shop_dir), "--norms", str(_norms(lax, LAX)),
                 "--out", str(tmp_path / "b")]) == 0
    assert pd.read_csv(tmp_path / "b" / "alerts.csv", encoding="utf-8-sig").empty  # written, with no rows


def test_bad_requests_exit_2_and_bad_data_exit_1(small_shop_dir: Path, tmp_path: Path, capsys) -> None:
    bad = _norms(tmp_path, {"departments": {"x": {"owner": "Li", "norms": {"n": {"metric": "nope", "at_least": 1}}}}})
    assert main(["operations", "check", str(small_shop_dir), "--norms", str(bad)]) == 2
    assert "unknown metric 'nope'" in capsys.readouterr().err
    assert main(["operations", "check", str(small_shop_dir), "--period-end", "yesterday"]) == 2
    assert main(["operations", "check", str(small_shop_dir), "--fail-on", "sometimes"]) == 2
    assert main(["operations", "check", str(small_shop_dir), "--period-days", "0"]) == 2
    assert main(["operations", "frobnicate"]) == 2
    assert main(["operations", "check", str(tmp_path / "no_such_shop"), "--out", str(tmp_path / "c")]) == 1
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_the_command_line_runs_as_a_module(small_shop_dir: Path, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "opslib", "operations", "check", str(small_shop_dir), "--norms",
                        str(_norms(tmp_path, STRICT)), "--out", str(tmp_path / "m")], cwd=ROOT, capture_output=True,
                       text=True)
    assert r.returncode == 3, r.stderr
    assert (tmp_path / "m" / "alerts.csv").is_file()
