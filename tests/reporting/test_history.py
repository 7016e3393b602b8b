"""runs.json is never lost: concurrent runners under a lock, atomic writes, a damaged file rebuilt, not reset."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from opslib.reporting.index import RunResult, read_history, record, salvage
from tests.conftest import ROOT
from tests.reporting.conftest import run_cli, write_notebook

WRITER = """
import sys, time
from pathlib import Path
from opslib.reporting.index import RunResult, record
out, who, n, go = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
while not go.exists():
    time.sleep(0.01)
for i in range(n):
    record([RunResult(name=f"{who}-{i}", notebook="nb", period="P", status="ok", seconds=0.1,
                      parameters={"i": i}, started="2024-06-18T06:00:00", ipynb="", html="")], out)
"""


def _result(name: str, started: str = "2024-06-18T06:00:00") -> RunResult:
    return RunResult(name=name, notebook="00_x", period="P", status="ok", seconds=1.0, parameters={},
                     started=started, ipynb="", html="")


def test_four_processes_recording_forty_runs_each_lose_nothing(tmp_path: Path) -> None:
    out, go = tmp_path / "reports", tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(out), f"w{k}", "40", str(go)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(4)]
    time.sleep(1.0)  # let every writer import and wait at the line
    go.touch()
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    names = [r["name"] for r in runs]
    # 4 x 40 = 160 entries, each exactly once (before the lock: 40 of 160 survived, plus FileNotFoundErrors).
    assert len(names) == 160 and len(set(names)) == 160
    for k in range(4):  # each writer's own entries are in its order
        mine = [n for n in names if n.startswith(f"w{k}-")]
        assert mine == [f"w{k}-{i}" for i in range(40)]
    assert "160 runs" in (out / "index.html").read_text(encoding="utf-8")
    assert not list(out.glob(".*.tmp")), "temporary files left behind"


def _stamped_report(out: Path, period: str, name: str, started: str, status: str = "ok") -> None:
    folder = out / period
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["opsplaybook"] = {"report": name, "parameters": {"category": "美妆"}, "data_fingerprint": "abc",
                                  "opslib_version": "0.1.0", "period": period, "schedule": "s", "notebook": "01_x",
                                  "status": status, "started": started, "seconds": 12.5, "error": ""}
    stem = name if status == "ok" else f"{name}.failed"
    nbformat.write(nb, str(folder / f"{stem}.ipynb"))
    (folder / f"{stem}.html").write_text("<html></html>", encoding="utf-8")


def test_a_truncated_history_is_kept_aside_and_rebuilt(tmp_path: Path, capsys) -> None:
    out = tmp_path / "reports"
    record([_result("a", "2024-06-01T06:00:00"), _result("b", "2024-06-02T06:00:00")], out)
    text = (out / "runs.json").read_text(encoding="utf-8")
    (out / "runs.json").write_text(text[: text.index('"name": "b"') + 5], encoding="utf-8")  # cut mid-entry
    _stamped_report(out, "P", "b", "2024-06-02T06:00:00")  # b's report is on disk with its provenance
    _stamped_report(out, "W1", "c", "2024-05-01T06:00:00", status="failed")
    assert [r["name"] for r in read_history(out)] == ["a"]  # reading alone changes nothing on disk
    assert not list(out.glob("runs.json.corrupt-*"))
    record([_result("d", "2024-06-03T06:00:00")], out)
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    # a: salvaged from the damaged file; b and c: rebuilt from the reports' metadata; d: the new run.
    assert [r["name"] for r in runs] == ["c", "a", "b", "d"]
    b = runs[2]
    assert b["parameters"] == {"category": "美妆"} and b["html"] == "P/b.html" and b["seconds"] == 12.5
    assert runs[0]["status"] == "failed" and runs[0]["ipynb"] == "W1/c.failed.ipynb"
    (aside,) = out.glob("runs.json.corrupt-*")
    assert aside.read_text(encoding="utf-8").startswith("[")  # the damaged file, kept as it was
    assert "could not be read" in capsys.readouterr().err


def test_garbage_or_wrong_shape_is_never_silently_reset(tmp_path: Path) -> None:
    for bad in (b"\x00\xff\x00garbage", b'{"runs": []}', b""):
        out = tmp_path / f"r{len(bad)}"
        out.mkdir()
        (out / "runs.json").write_bytes(bad)
        _stamped_report(out, "P", "old", "2024-01-01T06:00:00")
        record([_result("new")], out)
        runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
        assert [r["name"] for r in runs] == ["old", "new"]
        assert len(list(out.glob("runs.json.corrupt-*"))) == 1


def test_salvage_reads_whole_entries_only() -> None:
    text = '[\n {"name": "a", "status": "ok", "parameters": {"x": 1}},\n {"name": "b", "status": "ok", "param'
    assert salvage(text) == [{"name": "a", "status": "ok", "parameters": {"x": 1}}]


def test_real_runs_survive_a_truncated_history(tmp_path: Path) -> None:
    """End to end on a tiny notebook: the runner's own stamp is enough to rebuild its entry."""
    nb_dir = tmp_path / "nb"
    nb_dir.mkdir()
    write_notebook(nb_dir / "00_t.ipynb", "print(x)", "x = 1\n")
    out = tmp_path / "reports"
    assert run_cli(nb_dir, out, "00", "--period", "P1", "-p", "x", "7") == 0
    (out / "runs.json").write_text('[\n {"name": "00_t", "sta', encoding="utf-8")  # power cut mid-write
    assert run_cli(nb_dir, out, "00", "--period", "P2") == 0
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert [(r["period"], r["parameters"]) for r in runs] == [("P1", {"x": 7}), ("P2", {})]
    assert runs[0]["status"] == "ok" and runs[0]["html"] == "P1/00_t.html" and runs[0]["data_fingerprint"] == ""
