"""Many series at once: forecasts and backtests of every series of a frame, in a process pool.

Each worker is pinned to one BLAS thread: with more, the pool oversubscribes the cores and is slower than one
process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from opslib.forecasting.backtest import auto_forecast, rolling_origin
from opslib.forecasting.models import (
    LEVELS,
    ForecastResult,
    fit_forecast,
)
from opslib.forecasting.series import trim_leading_zeros


def _fit_one(args: tuple) -> ForecastResult:
    sid, y, model, horizon, levels, windows, trim = args
    y = trim_leading_zeros(y) if trim else y
    if model == "auto":
        return auto_forecast(y, horizon, windows, levels=levels, series_id=sid)
    return fit_forecast(y, model, horizon, levels, sid)


def _backtest_one(args: tuple) -> pd.DataFrame:
    sid, y, model, horizon, windows, levels, trim = args
    y = trim_leading_zeros(y) if trim else y
    return rolling_origin(y, model, horizon, windows, levels=levels, series_id=sid)


#: Thread counts of the numeric libraries, pinned to 1 in worker processes (see :func:`_run`).
_BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _run(func, tasks: list, n_jobs: int, progress: bool, desc: str) -> list:
    """Map ``func`` over ``tasks`` in ``n_jobs`` processes (1 = in this process) with a tqdm bar.

    Workers are spawned with one BLAS thread each: with OpenBLAS's default of one thread per core,
    two workers on two cores ran 4 threads and took 1.8x longer than one process (measured, see
    benchmarks/README.md); pinned, they take 0.45x as long.
    """
    import multiprocessing

    from tqdm import tqdm

    n_jobs = max(1, min(int(n_jobs or 1), os.cpu_count() or 1, len(tasks) or 1))
    # Report runs (opslib.reporting) set OPSPLAYBOOK_PROGRESS=0: a bar is for a person watching, not for HTML.
    quiet = os.environ.get("OPSPLAYBOOK_PROGRESS") == "0"
    bar = tqdm(total=len(tasks), desc=desc, disable=not progress or quiet, mininterval=1.0)
    out = []
    if n_jobs == 1:
        for t in tasks:
            out.append(func(t))
            bar.update()
    else:
        saved = {k: os.environ.get(k) for k in _BLAS_THREAD_VARS}
        os.environ.update({k: "1" for k in _BLAS_THREAD_VARS})  # read by each spawned worker at start
        try:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as ex:
                for r in ex.map(func, tasks, chunksize=max(1, len(tasks) // (8 * n_jobs))):
                    out.append(r)
                    bar.update()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    bar.close()
    return out


def forecast_many(
    series: pd.DataFrame,
    model: str = "auto",
    horizon: int = 8,
    levels: Sequence[int] = LEVELS,
    windows: int = 2,
    n_jobs: int = 1,
    progress: bool = True,
    trim: bool = True,
) -> list[ForecastResult]:
    """Forecast every column of a wide frame (index = periods) in parallel, one result per series.

    ``model`` is a name from ``opslib.forecasting.models.MODELS`` or ``'auto'`` (choice by a
    ``windows``-origin backtest per series). ``n_jobs`` processes (``ProcessPoolExecutor``) with a tqdm
    progress bar. ``trim`` drops each series' periods before its first sale.
    """
    tasks = [(str(c), series[c], model, horizon, tuple(levels), windows, trim) for c in series.columns]
    return _run(_fit_one, tasks, n_jobs, progress, f"forecast {model}")


def forecast_frame(results: Iterable[ForecastResult]) -> pd.DataFrame:
    """Long frame of forecasts: ``series_id``, ``model``, ``date``, ``mean``, ``lo_L``, ``hi_L``."""
    frames = [r.forecast.assign(series_id=r.series_id, model=r.model) for r in results]
    out = pd.concat(frames, ignore_index=True)
    first = ["series_id", "model", "date", "mean"]
    return out[first + [c for c in out.columns if c not in first]]


def model_table(results: Iterable[ForecastResult]) -> pd.DataFrame:
    """One row per series: ``series_id``, ``requested``, ``model`` (used), ``spec``, ``sigma``, ``reason``."""
    return pd.DataFrame([{"series_id": r.series_id, "requested": r.requested, "model": r.model, "spec": r.spec,
                          "sigma": r.sigma, "reason": r.reason} for r in results])


def backtest_many(
    series: pd.DataFrame,
    models: Sequence[str] = ("snaive", "ets", "sarimax", "mstl"),
    horizon: int = 8,
    windows: int = 3,
    levels: Sequence[int] = LEVELS,
    n_jobs: int = 1,
    progress: bool = True,
    trim: bool = True,
) -> pd.DataFrame:
    """Rolling-origin backtest of every model on every column (parallel); long frame as
    :func:`opslib.forecasting.backtest.rolling_origin`. Feed it to ``leaderboard`` or ``score``."""
    tasks = [(str(c), series[c], m, horizon, windows, tuple(levels), trim) for c in series.columns for m in models]
    parts = _run(_backtest_one, tasks, n_jobs, progress, "backtest")
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
