"""Many series at once: forecasts and backtests of every series of a frame, in a process pool.

Each worker is pinned to one BLAS thread: with more, the pool oversubscribes the cores and is slower than one
process. The pool is started once per process and kept for the next call with the same size (a notebook that
compares models, forecasts, reconciles and backtests would otherwise spawn five pools at about 2 s each);
:func:`shutdown_pool` ends it, and so does the end of the process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from opslib.forecasting.auto import auto_forecast
from opslib.forecasting.backtest import rolling_origin
from opslib.forecasting.models import (
    LEVELS,
    ForecastResult,
    fit_forecast,
)
from opslib.forecasting.series import trim_leading_zeros


def _fit_one(args: tuple) -> ForecastResult:
    sid, y, model, horizon, levels, windows, trim, closures, country = args
    y = trim_leading_zeros(y) if trim else y
    if model == "auto":
        return auto_forecast(y, horizon, windows, levels=levels, series_id=sid, closures=closures, country=country)
    return fit_forecast(y, model, horizon, levels, sid, closures=closures, country=country or "CN")


def _backtest_one(args: tuple) -> pd.DataFrame:
    sid, y, model, horizon, windows, levels, trim, country = args
    y = trim_leading_zeros(y) if trim else y
    return rolling_origin(y, model, horizon, windows, levels=levels, series_id=sid, country=country or "CN",
                          auto_windows=None)


#: Thread counts of the numeric libraries, pinned to 1 in worker processes (see :func:`_run`).
_BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

#: The pool kept between calls: (size, executor), or None.
_POOL: tuple[int, ProcessPoolExecutor] | None = None


def shutdown_pool() -> None:
    """End the worker processes kept by :func:`forecast_many` / :func:`backtest_many` (a later call starts
    new ones). Nothing happens when there is no pool.

    Example:
        >>> shutdown_pool()
        >>> _POOL is None
        True
    """
    global _POOL
    if _POOL is not None:
        _POOL[1].shutdown(wait=True, cancel_futures=True)
        _POOL = None


def _pool(n_jobs: int) -> ProcessPoolExecutor:
    """The kept pool of ``n_jobs`` spawned workers (a new one when there is none or its size differs)."""
    global _POOL
    import multiprocessing

    if _POOL is not None and _POOL[0] == n_jobs and not getattr(_POOL[1], "_broken", False):
        return _POOL[1]  # (a worker that died while the pool was idle breaks it: then a new one starts)
    shutdown_pool()
    _POOL = (n_jobs, ProcessPoolExecutor(max_workers=n_jobs, mp_context=multiprocessing.get_context("spawn")))
    return _POOL[1]


def _run(func, tasks: list, n_jobs: int, progress: bool, desc: str) -> list:
    """Map ``func`` over ``tasks`` in ``n_jobs`` processes (1 = in this process) with a tqdm bar.

    Workers are spawned with one BLAS thread each: with OpenBLAS's default of one thread per core,
    two workers on two cores ran 4 threads and took 1.8x longer than one process (measured, see
    benchmarks/README.md). The workers stay up for the next call (:func:`_pool`); a pool broken by a
    dead worker is dropped, so the next call starts a fresh one.
    """
    global _POOL
    from concurrent.futures.process import BrokenProcessPool

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
        # Read by each spawned worker at start; workers start on demand during map, so pin around it.
        os.environ.update({k: "1" for k in _BLAS_THREAD_VARS})
        try:
            ex = _pool(n_jobs)
            for r in ex.map(func, tasks, chunksize=max(1, len(tasks) // (8 * n_jobs))):
                out.append(r)
                bar.update()
        except BrokenProcessPool:
            _POOL = None  # a worker died (killed, out of memory): the next call starts a new pool
            raise
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
    windows: int | None = None,
    n_jobs: int = 1,
    progress: bool = True,
    trim: bool = True,
    closures: object = "infer",
    country: str | None = None,
) -> list[ForecastResult]:
    """Forecast every column of a wide frame (index = periods) in parallel, one result per series.

    Parameters:
        series: wide frame, one column per series. model: a name of ``opslib.forecasting.models.MODELS`` or
            ``'auto'`` (backtest-weighted combination, ``windows`` origins). horizon, levels: the forecast.
        n_jobs: processes (``ProcessPoolExecutor``; 1 = in this process). progress: a tqdm bar.
        trim: drop each series' periods before its first sale. closures: closed days (daily series;
            ``"infer"`` per series, a :class:`opslib.forecasting.closures.Closures` for all, or None).
        country: the shop's country (holidays).

    Returns:
        :class:`ForecastBatch`: one :class:`ForecastResult` per column, in column order.
    """
    tasks = [(str(c), series[c], model, horizon, tuple(levels), windows, trim, closures, country)
             for c in series.columns]
    return ForecastBatch(_run(_fit_one, tasks, n_jobs, progress, f"forecast {model}"))


class ForecastBatch(list):
    """The forecasts of many series: a list of :class:`ForecastResult` that also has ``summary()`` (the
    :func:`model_table`), ``frame()`` (:func:`forecast_frame`) and ``plot(series_id)`` (one series' chart)."""

    def summary(self) -> pd.DataFrame:
        """One row per series: what ran and why (:func:`model_table`)."""
        return model_table(self)

    def frame(self) -> pd.DataFrame:
        """Every forecast in one long frame (:func:`forecast_frame`)."""
        return forecast_frame(self)

    def get(self, series_id: str | None = None) -> ForecastResult:
        """The result of ``series_id`` (default: the first series)."""
        if series_id is None:
            return self[0]
        for r in self:
            if r.series_id == str(series_id):
                return r
        raise KeyError(f"no forecast for series {series_id!r}; series: {[r.series_id for r in self][:10]}")

    def plot(self, series_id: str | None = None, last: int | None = None):
        """History, forecast and bands of one series (default: the first)."""
        return self.get(series_id).plot(last=last)


def forecast_frame(results: Iterable[ForecastResult]) -> pd.DataFrame:
    """Long frame of forecasts: ``series_id``, ``model`` (that ran), ``date``, ``mean``, ``lo_L``, ``hi_L``.

    Example:
        >>> y = pd.Series([4.0] * 20, index=pd.date_range("2024-01-01", periods=20))
        >>> forecast_frame([fit_forecast(y, "naive", 2, series_id="a")])[["series_id", "model", "mean"]].values.tolist()
        [['a', 'naive', 4.0], ['a', 'naive', 4.0]]
    """
    frames = [r.forecast.assign(series_id=r.series_id, model=r.model) for r in results]
    out = pd.concat(frames, ignore_index=True)
    first = ["series_id", "model", "date", "mean"]
    return out[first + [c for c in out.columns if c not in first]]


def model_table(results: Iterable[ForecastResult]) -> pd.DataFrame:
    """One row per series: ``series_id``, ``requested``, ``model`` (what actually ran), ``fell_back``, ``spec``,
    ``sigma``, ``reason``.

    Example:
        >>> y = pd.Series([4.0] * 3, index=pd.date_range("2024-01-01", periods=3, freq="7D"))
        >>> model_table([fit_forecast(y, "mstl", 2, series_id="a")])[["requested", "model", "fell_back"]].values.tolist()
        [['mstl', 'naive', True]]
    """
    return pd.DataFrame([{"series_id": r.series_id, "requested": r.requested, "model": r.model,
                          "fell_back": r.fell_back, "spec": r.spec, "sigma": r.sigma, "reason": r.reason}
                         for r in results])


def backtest_many(
    series: pd.DataFrame,
    models: Sequence[str] = ("snaive", "ets", "sarimax", "mstl"),
    horizon: int = 8,
    windows: int = 3,
    levels: Sequence[int] = LEVELS,
    n_jobs: int = 1,
    progress: bool = True,
    trim: bool = True,
    country: str | None = None,
) -> pd.DataFrame:
    """Rolling-origin backtest of every model on every column (parallel); long frame as
    :func:`opslib.forecasting.backtest.rolling_origin` (with ``used`` and ``reason``: what actually ran).
    Feed it to ``leaderboard`` or ``score``.

    Example:
        >>> import numpy as np
        >>> wide = pd.DataFrame({"a": np.arange(30.0) % 5 + 3}, index=pd.date_range("2024-01-01", periods=30))
        >>> bt = backtest_many(wide, models=("naive",), horizon=7, windows=2, progress=False)
        >>> bt["origin"].nunique(), bt["used"].unique().tolist()
        (2, ['naive'])
    """
    tasks = [(str(c), series[c], m, horizon, windows, tuple(levels), trim, country)
             for c in series.columns for m in models]
    parts = _run(_backtest_one, tasks, n_jobs, progress, "backtest")
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


#: Models a report compares by default (``auto`` last: the choice it would make, backtested like the others).
COMPARED: tuple[str, ...] = ("snaive", "ets", "mstl", "mstl_stable", "sarimax", "auto")


@dataclass
class ModelComparison:
    """A rolling-origin backtest of several models on several series.

    ``backtest``: the long frame (:func:`backtest_many`); ``leaderboard``:
    :func:`opslib.forecasting.backtest.leaderboard` (with what actually ran); ``series``: the wide input.
    """

    backtest: pd.DataFrame
    leaderboard: pd.DataFrame
    series: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """The leaderboard, best model first."""
        return self.leaderboard

    @property
    def reason(self) -> str:
        """Why no model could be compared ('' when the backtest has windows)."""
        return "" if len(self.leaderboard) else ("no backtest window fits: the series are too short to hold out a "
                                                 "forecast horizon after the minimum training weeks")

    def best(self) -> str:
        """The model with the lowest mean MASE ('' when nothing could be compared)."""
        return str(self.leaderboard["model"].iloc[0]) if len(self.leaderboard) else ""

    def plot(self, series_id: str | None = None, model: str | None = None) -> Any:
        """Actuals and the backtest forecasts of one series and model (default: the first series, the best
        model; :func:`opslib.plotting.forecasting.plot_backtest`)."""
        from opslib.plotting.forecasting import plot_backtest

        if self.reason:
            print(self.reason)
            return None
        sid = str(series_id if series_id is not None else self.series.columns[0])
        return plot_backtest(self.backtest, sid, model or self.best(), self.series[sid])


def compare_models(series: pd.DataFrame, models: Sequence[str] = COMPARED, horizon: int = 8, windows: int = 3,
                   n_jobs: int = 1, progress: bool = True, country: str | None = None) -> ModelComparison:
    """Backtest ``models`` on every series (:func:`backtest_many`) and rank them (``leaderboard``).

    Parameters:
        series: wide frame, one column per series. models: names of ``MODELS`` and/or ``'auto'``.
        horizon: periods per origin. windows: origins. n_jobs, progress: the process pool.
        country: the shop's country (holidays).

    Returns:
        :class:`ModelComparison`.
    """
    from opslib.forecasting.backtest import leaderboard

    bt = backtest_many(series, models, horizon, windows, n_jobs=n_jobs, progress=progress, country=country)
    return ModelComparison(bt, leaderboard(bt), series)
