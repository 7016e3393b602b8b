"""Reports side by side: two kernels at once (``--workers 2``), each with one BLAS thread, the slowest first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opslib.reporting.plan import Run
from opslib.reporting.run import BLAS_THREAD_VARS, duckdb_environment, kernel_environment, longest_first
from tests.reporting.conftest import run_cli, write_notebook

# Each notebook writes what its kernel saw, then waits until the other one has started: with two workers
# both see each other; run one after the other, the first would wait out its 60 s and record False.
MEET = """\
import json, os, pathlib, time
me, other = pathlib.Path(folder) / f"{name}.started", pathlib.Path(folder) / f"{peer}.started"
me.write_text("x")
t0 = time.monotonic()
while not other.exists() and time.monotonic() - t0 < 60:
    time.sleep(0.1)
env = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                      "OPSPLAYBOOK_PROGRESS")}
(pathlib.Path(folder) / f"{name}.json").write_text(json.dumps({"met": other.exists(), "env": env}))
"""


@pytest.mark.notebook
def test_two_workers_run_two_kernels_at_once_with_one_blas_thread_each(tmp_path: Path, monkeypatch) -> None:
    for k in BLAS_THREAD_VARS:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")  # set by the user: kept
    monkeypatch.delenv("OPSPLAYBOOK_PROGRESS", raising=False)
    nb_dir, seen = tmp_path / "nb", tmp_path / "seen"
    nb_dir.mkdir()
    seen.mkdir()
    for name, peer in (("01_a", "02_b"), ("02_b", "01_a")):
        write_notebook(nb_dir / f"{name}.ipynb", MEET,
                       f'folder = "{seen}"  # [str] where to write\nname = "{name}"  # [str] me\n'
                       f'peer = "{peer}"  # [str] the other')
    assert run_cli(nb_dir, tmp_path / "out", "--all", "--workers", "2", "--period", "P") == 0
    for name in ("01_a", "02_b"):
        got = json.loads((seen / f"{name}.json").read_text())
        assert got["met"], f"{name} ran alone: the two reports did not run at the same time"
        assert got["env"] == {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "3",
                              "OPSPLAYBOOK_PROGRESS": "0"}


def test_kernel_environment_pins_blas_unless_the_user_chose() -> None:
    assert kernel_environment({}) == {"OPSPLAYBOOK_PROGRESS": "0", "OMP_NUM_THREADS": "1",
                                      "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    assert kernel_environment({"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": ""}) == {
        "OPSPLAYBOOK_PROGRESS": "0", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def test_longest_first_starts_unknown_then_slowest_and_keeps_ties_in_order() -> None:
    runs = [Run(n, Path(f"{n}.ipynb"), {}, "P") for n in ("00_a", "01_b", "02_c", "03_d", "04_e")]
    history = [
        {"notebook": "00_a", "status": "ok", "seconds": 10.0},
        {"notebook": "01_b", "status": "ok", "seconds": 30.0},
        {"notebook": "01_b", "status": "failed", "seconds": 999.0},  # failures do not count
        {"notebook": "03_d", "status": "ok", "seconds": 200.0},
        {"notebook": "03_d", "status": "ok", "seconds": 50.0},  # the last good run counts
        {"notebook": "04_e", "status": "ok", "seconds": 10.0},
    ]
    assert longest_first(runs, history) == [2, 3, 1, 0, 4]
    assert longest_first(runs, []) == [0, 1, 2, 3, 4]


def test_duckdb_threads_are_the_cores_shared_between_the_workers() -> None:
    assert duckdb_environment({}, workers=2, cores=2) == {"OPSLIB_DUCKDB_THREADS": "1"}
    assert duckdb_environment({}, workers=2, cores=8) == {"OPSLIB_DUCKDB_THREADS": "4"}
    assert duckdb_environment({}, workers=3, cores=2) == {"OPSLIB_DUCKDB_THREADS": "1"}  # never 0
    assert duckdb_environment({}, workers=1, cores=2) == {}  # one report at a time keeps every core
    assert duckdb_environment({"OPSLIB_DUCKDB_THREADS": "2"}, workers=2, cores=2) == {}  # the user's choice


def test_the_shop_engine_takes_the_runners_threads_unless_shop_yml_sets_them(monkeypatch) -> None:
    from opslib.data.engine import make_engine
    from opslib.data.settings import ShopSettings

    def threads(settings: ShopSettings) -> int:
        engine = make_engine(settings)
        try:
            return int(engine.con.execute("SELECT current_setting('threads')").fetchone()[0])
        finally:
            engine.close()

    monkeypatch.delenv("OPSLIB_DUCKDB_THREADS", raising=False)
    default = threads(ShopSettings())
    monkeypatch.setenv("OPSLIB_DUCKDB_THREADS", "1")
    assert threads(ShopSettings()) == 1
    assert threads(ShopSettings(threads=3)) == 3  # shop.yml wins
    monkeypatch.setenv("OPSLIB_DUCKDB_THREADS", "zero")  # not a count: DuckDB's default
    assert threads(ShopSettings()) == default
