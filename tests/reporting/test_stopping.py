"""A hung report is stopped, and a stopped runner leaves nothing behind: no kernel, no pool worker, no temp file.

The notebook in these tests does what the forecast notebook does (a spawn-context process pool), writes
the pids of its kernel and workers to a file, then hangs. Processes are checked in /proc (a zombie
counts as gone: it runs nothing and holds nothing but its pid).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.reporting.conftest import run_cli, write_notebook

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="process checks read /proc (Linux)")

POOL_AND_HANG = """\
import multiprocessing, os, pathlib, time
from concurrent.futures import ProcessPoolExecutor
pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
jobs = [pool.submit(time.sleep, 600) for _ in range(2)]
while len(pool._processes) < 2:
    time.sleep(0.05)
tmp = pathlib.Path(pid_file + ".part")
tmp.write_text(" ".join(map(str, [os.getpid(), *pool._processes])))
tmp.rename(pid_file)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _session(sid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                out.append(int(d.name))
    return out


def _wait_for(path: Path, seconds: float = 180) -> list[int]:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"the notebook never wrote {path}"
        time.sleep(0.1)
    return [int(p) for p in path.read_text().split()]


def _assert_all_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)], "kernel or pool worker survived"
    assert not _session(pids[0]), f"processes left in the kernel's session: {_session(pids[0])}"


@pytest.fixture
def hang_dir(tmp_path: Path) -> Path:
    d = tmp_path / "notebooks"
    d.mkdir()
    write_notebook(d / "00_hang.ipynb", [POOL_AND_HANG, "print('waiting')\ntime.sleep(600)", "print('never')"],
                   "pid_file = None\n")
    return d


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_kernels_and_their_pools_and_records_the_run(hang_dir: Path, tmp_path: Path, sig) -> None:
    out, pid_file = tmp_path / "reports", tmp_path / "pids"
    write_notebook(hang_dir / "01_next.ipynb", "print('next')", "x = 1\n")  # queued behind the hung one
    runner = subprocess.Popen(
        [sys.executable, "-m", "opslib", "report", "run", "--all", "-p", "pid_file", str(pid_file),
         "--notebooks", str(hang_dir), "--out", str(out), "--period", "P"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pids = _wait_for(pid_file)
        time.sleep(0.5)  # into the hanging cell
        runner.send_signal(sig)
        _, err = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 128 + sig, err
    _assert_all_gone(pids)
    assert not (out / ".tmp").exists() or not list((out / ".tmp").iterdir()), "temporary files left"
    assert not list((out / "P").glob("*.ipynb")), "an interrupted run must not leave a report"
    run, queued = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert run["status"] == "interrupted" and signal.Signals(sig).name in run["error"]
    assert "print('waiting')" in run["error"]  # the cell it was in
    assert queued["name"] == "01_next" and queued["status"] == "interrupted" and "not started" in queued["error"]
    assert "interrupted" in (out / "index.html").read_text(encoding="utf-8")


def test_a_report_over_its_time_limit_is_stopped_and_names_the_cell(hang_dir: Path, tmp_path: Path) -> None:
    out, pid_file = tmp_path / "reports", tmp_path / "pids"
    t0 = time.monotonic()
    code = run_cli(hang_dir, out, "00", "-p", "pid_file", str(pid_file), "--period", "P", "--timeout", "20s")
    took = time.monotonic() - t0
    assert code == 1
    assert took < 120  # 20 s limit + kernel start and clean-up; without the limit: 600 s
    _assert_all_gone(_wait_for(pid_file, 1))
    (run,) = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert run["status"] == "failed" and run["timeout"] == 20.0
    assert "timed out after 20s (set by --timeout)" in run["error"]
    # Numbered as in the notebook (papermill's injected cell not counted): 1 parameters, 2 heading, 3 pool.
    assert 'in cell 4 (under "标题"): print(\'waiting\')' in run["error"]
    failed = json.loads((out / "P" / "00_hang.failed.ipynb").read_text(encoding="utf-8"))
    top = "".join(failed["cells"][0]["source"])
    assert "timed out" in top and "time.sleep(600)" in top  # the error and the hung cell on top
    assert not list((out / ".tmp").glob("*")) if (out / ".tmp").exists() else True


def test_a_cell_over_its_time_limit_is_stopped(hang_dir: Path, tmp_path: Path) -> None:
    out, pid_file = tmp_path / "reports", tmp_path / "pids"
    code = run_cli(hang_dir, out, "00", "-p", "pid_file", str(pid_file), "--period", "P", "--cell-timeout", "3s")
    assert code == 1
    _assert_all_gone(_wait_for(pid_file, 1))
    (run,) = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert run["status"] == "failed"
    assert "cell timed out after 3s" in run["error"] and "print('waiting')" in run["error"]


def test_bad_durations_are_refused(hang_dir: Path, tmp_path: Path, capsys) -> None:
    for bad in ("30", "-5m", "soon"):
        assert run_cli(hang_dir, tmp_path / "r", "00", f"--timeout={bad}") == 2
        assert "give a positive duration with its unit" in capsys.readouterr().err


def test_default_time_limit_is_sized_from_the_reports_history() -> None:
    from opslib.reporting.plan import Run
    from opslib.reporting.run import TIMEOUT_FIRST, TIMEOUT_MIN, size_timeout

    run = Run("01_x__a", Path("01_x.ipynb"), {"data_dir": "/shop"}, "P")
    ok = lambda s, d="/shop", nb="01_x", st="ok": {"notebook": nb, "status": st, "seconds": s,  # noqa: E731
                                                   "parameters": {"data_dir": d}}
    assert size_timeout(run, [])[0] == TIMEOUT_FIRST
    # Slowest of the last five good runs on this shop is 400 s: 3 x 400 = 1200 s.
    history = [ok(900.0), *(ok(s) for s in (100.0, 400.0, 120.0, 90.0, 110.0)), ok(5000.0, st="failed"),
               ok(9999.0, d="/other"), ok(8888.0, nb="03_y")]
    assert size_timeout(run, history)[0] == 1200.0
    assert size_timeout(run, [ok(10.0)])[0] == TIMEOUT_MIN  # 3 x 10 s is raised to the 10-minute floor


def test_runs_after_a_stop_are_recorded_as_not_started(tmp_path: Path) -> None:
    """The registry refuses new kernels once stopped; run_one reports such a run, leaves no files."""
    from opslib.reporting.kernels import Registry
    from opslib.reporting.plan import Run
    from opslib.reporting.run import run_one

    d = tmp_path / "nb"
    d.mkdir()
    nb = write_notebook(d / "00_t.ipynb", "print(1)", "x = 1\n")
    registry = Registry()
    registry.stop_all("SIGTERM")
    res = run_one(Run("00_t", nb, {}, "P"), out_dir=tmp_path / "out", registry=registry)
    assert res.status == "interrupted" and "SIGTERM" in res.error
    assert not list((tmp_path / "out" / "P").glob("*"))
    assert os.getpid()  # the test process itself is untouched


def test_kill_session_kills_the_whole_session_and_never_a_reused_pid() -> None:
    from opslib.reporting.kernels import kill_session, start_time

    # A session leader with a child, like a kernel with a pool worker.
    leader = subprocess.Popen(["sh", "-c", "sleep 60 & wait"], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while len(_session(leader.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        members = _session(leader.pid)
        assert len(members) == 2
        started = start_time(leader.pid)
        # A pid whose start time does not match is another process that got the number later: left alone.
        assert kill_session(leader.pid, started=started + 1) == []
        assert all(_alive(p) for p in members)
        assert kill_session(leader.pid, started=started) == []
        leader.wait(timeout=10)
        _assert_all_gone(members)
    finally:
        if leader.poll() is None:
            leader.kill()
