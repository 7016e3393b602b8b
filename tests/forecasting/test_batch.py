"""The forecast pool is started once and kept: one spawn for the five forecast steps of notebook 03, not five."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib import forecasting as F
from opslib.forecasting import batch


def _wide(k: int = 4) -> pd.DataFrame:
    idx = pd.date_range("2024-01-01", periods=30, freq="7D")
    return pd.DataFrame({f"s{i}": np.arange(30.0) % (3 + i) + 10 * i for i in range(k)}, index=idx)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _workers() -> set[int]:
    return set(batch._POOL[1]._processes) if batch._POOL is not None else set()


@pytest.fixture(autouse=True)
def _fresh_pool():
    batch.shutdown_pool()
    yield
    batch.shutdown_pool()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a pool needs two cores")
def test_the_pool_is_kept_between_calls_and_gives_the_serial_answer() -> None:
    wide = _wide()
    first = F.forecast_many(wide, "naive", horizon=2, n_jobs=2, progress=False)
    pids = _workers()
    assert len(pids) >= 1
    bt = F.backtest_many(wide, models=("naive",), horizon=2, windows=2, n_jobs=2, progress=False)
    assert _workers() == pids  # the same worker processes served the second call
    # naive: the last value, hand-computed from the planted series (i-th series: arange % (3 + i) + 10 i)
    assert [r.forecast["mean"].iloc[0] for r in first] == [29 % (3 + i) + 10.0 * i for i in range(4)]
    assert len(bt) == 4 * 2 * 2
    batch.shutdown_pool()
    assert batch._POOL is None
    time.sleep(0.2)
    assert not [p for p in pids if _alive(p)]


@pytest.mark.skipif((os.cpu_count() or 1) < 2 or not os.path.isdir("/proc"), reason="two cores and /proc")
def test_a_pool_whose_worker_died_is_replaced() -> None:
    wide = _wide()
    F.forecast_many(wide, "naive", horizon=2, n_jobs=2, progress=False)
    victim = next(iter(_workers()))
    os.kill(victim, signal.SIGKILL)  # the out-of-memory killer, or a user, ends an idle worker
    deadline = time.monotonic() + 10
    while not getattr(batch._POOL[1], "_broken", False) and time.monotonic() < deadline:
        time.sleep(0.05)
    again = F.forecast_many(wide, "naive", horizon=2, n_jobs=2, progress=False)
    assert [r.forecast["mean"].iloc[0] for r in again] == [29 % (3 + i) + 10.0 * i for i in range(4)]
    assert victim not in _workers()


def test_one_job_starts_no_pool() -> None:
    F.forecast_many(_wide(2), "naive", horizon=2, n_jobs=1, progress=False)
    assert batch._POOL is None
