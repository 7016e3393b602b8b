"""The shared protocol of the forecasting peer bench: origins, the method interface, clipping and scoring.

Written without opslib so that the bench is a neutral referee: opslib's models are scored by the same
code as R's forecast package and statsforecast.

**Origins.** For a daily series ending on day ``T``, the three test windows are the last three
non-overlapping ``h = 28``-day windows, the last ending on ``T``: window ``k`` (``k = 0`` latest) is
the days ``T - (k + 1) h + 1 .. T - k h``; its origin (the last training day) is ``T - (k + 1) h``.
A method sees only the days up to its origin.

**Methods.** A method is ``callable(y_train, h) -> DataFrame`` where ``y_train`` is a ``pd.Series``
of floats with a daily ``DatetimeIndex`` and the frame has ``h`` rows and columns ``mean``, ``lo80``,
``hi80``, ``lo95``, ``hi95`` (bounds may be NaN when a method has no intervals). A method may put a
short text in ``frame.attrs["note"]`` (e.g. the model it fell back to); it is kept with the scores.

**Clipping.** Demand cannot be negative: the mean and every bound of every method are clipped at 0
(:func:`clip_forecast`) before scoring, whatever the method already did.

**Scores of one window** (``y`` the ``h`` actual values, ``f`` the mean forecast, ``x`` the training
series of that window, sums over the scored days):

* ``MASE = mean|y - f| / s``, ``s = mean_{t > 7} |x[t] - x[t-7]|`` (in-sample seasonal naive MAE,
  lag 7, over the whole training part); NaN when ``s = 0``;
* ``sMAPE = 100 * mean(2 |y - f| / (|y| + |f|))`` with a term of 0 when ``y = f = 0`` (range 0..200);
* ``WAPE = sum|y - f| / sum|y|`` (NaN when ``sum y = 0``);
* ``coverage_L = share of days with lo_L <= y <= hi_L`` (L = 80, 95);
* ``bias = sum(f - y) / sum(y)`` (positive: over-forecast).

Each window is scored on all days and, where the series marks closed days, on open days only
(``*_open`` columns; the MASE scale ``s`` is the same in both).

**Summary** per set and method: the mean over every (series, window) pair of each score (each pair
counts once), the median MASE, mean seconds per fit (fit + forecast of one series at one origin) and the
number of windows and of failed windows (a failed window has no forecast and no score).

Example:
    >>> round(mase([3, 5], [4, 4], train=[1, 2, 3, 4, 5, 6, 7, 3, 4]), 6)
    0.5
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

H = 28
N_ORIGINS = 3
SEASON = 7
LEVELS = (80, 95)
FORECAST_COLUMNS = ["mean", "lo80", "hi80", "lo95", "hi95"]
#: Columns of a forecasts file (written by every peer runner and by :func:`run_method`).
FORECAST_FILE_COLUMNS = ["set", "series_id", "origin", "date", "method", *FORECAST_COLUMNS, "seconds", "note"]
#: Fewest training days a window needs (two weeks of lag-7 differences); shorter windows are skipped.
MIN_TRAIN = 3 * SEASON

Method = Callable[[pd.Series, int], pd.DataFrame]


def _a(x: Iterable[float]) -> np.ndarray:
    return np.asarray(x, dtype=float)


# ------------------------------------------------------------------------------------------- origins


def origins(last: pd.Timestamp, h: int = H, n: int = N_ORIGINS, shift: int = 0) -> list[pd.Timestamp]:
    """Origins (last training days) of the ``n`` last non-overlapping ``h``-day windows, earliest first.

    ``origin_k = last - (k + 1 + shift) h`` days, ``k = n-1 .. 0``; ``shift`` > 0 moves every window ``shift``
    windows back (an out-of-sample check on origins a rule was not chosen on; the last ``shift`` windows unused).

    Example:
        >>> [str(o.date()) for o in origins(pd.Timestamp("2024-03-31"), h=28, n=3)]
        ['2024-01-07', '2024-02-04', '2024-03-03']
        >>> [str(o.date()) for o in origins(pd.Timestamp("2024-03-31"), h=28, n=1, shift=3)]  # 4 x 28 days back
        ['2023-12-10']
    """
    last = pd.Timestamp(last)
    return [last - pd.Timedelta(days=(k + 1 + shift) * h) for k in reversed(range(n))]


def windows_table(series: pd.DataFrame, h: int = H, n: int = N_ORIGINS, min_train: int = MIN_TRAIN,
                  shift: int = 0) -> pd.DataFrame:
    """Every (set, series_id, origin) window of a long series frame, with its training length.

    Columns: ``set``, ``series_id``, ``origin`` (``YYYY-MM-DD``), ``h``, ``n_train``. Windows whose
    training part has fewer than ``min_train`` days are left out. ``shift``: see :func:`origins`.

    Example:
        >>> s = pd.DataFrame({"set": "a", "series_id": "x", "date": pd.date_range("2024-01-01", periods=100),
        ...                   "y": 1.0})
        >>> windows_table(s, h=28, n=3, min_train=1)[["origin", "n_train"]].values.tolist()
        [['2024-01-16', 16], ['2024-02-13', 44], ['2024-03-12', 72]]
        >>> len(windows_table(s, h=28, n=3))  # the first window has 16 < MIN_TRAIN = 21 training days
        2
    """
    rows = []
    for (st, sid), g in series.groupby(["set", "series_id"], sort=False):
        dates = pd.to_datetime(g["date"])
        first = dates.min()
        for o in origins(dates.max(), h, n, shift):
            n_train = int((o - first).days) + 1
            if n_train >= min_train:
                rows.append({"set": st, "series_id": sid, "origin": o.strftime("%Y-%m-%d"), "h": h, "n_train": n_train})
    return pd.DataFrame(rows, columns=["set", "series_id", "origin", "h", "n_train"])


def to_series(g: pd.DataFrame) -> pd.Series:
    """One series of the long frame as a float ``pd.Series`` on a daily ``DatetimeIndex`` named ``date``."""
    idx = pd.DatetimeIndex(pd.to_datetime(g["date"]), name="date")
    return pd.Series(g["y"].to_numpy(float), index=idx, name=str(g["series_id"].iloc[0]))


# ----------------------------------------------------------------------------------------- clipping


def clip_forecast(fc: pd.DataFrame) -> pd.DataFrame:
    """Mean and bounds clipped at 0 (a copy); missing bound columns are added as NaN.

    Example:
        >>> clip_forecast(pd.DataFrame({"mean": [-1.0, 2.0], "lo80": [-3.0, 1.0]}))["lo80"].tolist()
        [0.0, 1.0]
    """
    out = pd.DataFrame(index=fc.index)
    for c in FORECAST_COLUMNS:
        v = pd.to_numeric(fc[c], errors="coerce").to_numpy(float) if c in fc else np.full(len(fc), np.nan)
        out[c] = np.where(np.isnan(v), np.nan, np.clip(v, 0, None))
    return out


# ------------------------------------------------------------------------------------------ metrics


def mase_scale(train: Iterable[float], m: int = SEASON) -> float:
    """In-sample seasonal naive MAE: ``s = mean_{t=m..n-1} |x[t] - x[t-m]|`` (NaN when ``n <= m``).

    Example:
        >>> mase_scale([1, 2, 3, 4, 5, 6, 7, 3, 4], m=7)  # |3-1| = 2, |4-2| = 2
        2.0
    """
    x = _a(train)
    return float(np.mean(np.abs(x[m:] - x[:-m]))) if len(x) > m else float("nan")


def mase(y: Iterable[float], f: Iterable[float], train: Iterable[float] | None = None, m: int = SEASON,
         scale: float | None = None) -> float:
    """``MASE = mean|y - f| / s``, ``s`` = :func:`mase_scale` of ``train`` (or the given ``scale``).

    Example:
        >>> mase([3, 5], [4, 4], scale=2.0)  # mean(1, 1) / 2
        0.5
    """
    s = mase_scale(train, m) if scale is None else scale
    e = np.abs(_a(y) - _a(f))
    return float(np.mean(e) / s) if s > 0 and len(e) else float("nan")


def smape(y: Iterable[float], f: Iterable[float]) -> float:
    """``sMAPE = 100 * mean(2 |y - f| / (|y| + |f|))``, a day with ``y = f = 0`` counting 0.

    Example:
        >>> smape([0, 10], [0, 30])  # 0 and 2*20/40 = 1 -> 100 * 0.5
        50.0
    """
    y, f = _a(y), _a(f)
    den = np.abs(y) + np.abs(f)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(den > 0, 2 * np.abs(y - f) / den, 0.0)
    return float(100 * np.mean(terms)) if len(terms) else float("nan")


def wape(y: Iterable[float], f: Iterable[float]) -> float:
    """``WAPE = sum|y - f| / sum|y|`` (NaN when every ``y`` is 0).

    Example:
        >>> wape([10, 30], [12, 24])  # (2 + 6) / 40
        0.2
    """
    y, f = _a(y), _a(f)
    den = np.sum(np.abs(y))
    return float(np.sum(np.abs(y - f)) / den) if den > 0 else float("nan")


def coverage(y: Iterable[float], lo: Iterable[float], hi: Iterable[float]) -> float:
    """Share of days with ``lo <= y <= hi``; NaN when the method gave no bounds.

    Example:
        >>> coverage([1, 5, 9, 4], [0, 0, 0, 4], [2, 4, 10, 6])  # in, out, in, in (bounds count as in)
        0.75
    """
    y, lo, hi = _a(y), _a(lo), _a(hi)
    if len(y) == 0 or np.isnan(lo).any() or np.isnan(hi).any():
        return float("nan")
    return float(np.mean((lo <= y) & (y <= hi)))


def bias(y: Iterable[float], f: Iterable[float]) -> float:
    """``bias = sum(f - y) / sum(y)``: +0.1 means 10% over-forecast (NaN when ``sum y = 0``).

    Example:
        >>> bias([10, 30], [12, 24])  # (2 - 6) / 40
        -0.1
    """
    y, f = _a(y), _a(f)
    den = np.sum(y)
    return float(np.sum(f - y) / den) if den != 0 else float("nan")


METRICS = ("mase", "smape", "wape", "cov80", "cov95", "bias")


def score_window(y: Iterable[float], fc: pd.DataFrame, train: Iterable[float], closed: Iterable[int] | None = None,
                 m: int = SEASON) -> dict[str, float]:
    """All scores of one window (``METRICS``), plus ``*_open`` on days with ``closed == 0`` when given.

    ``fc`` is clipped at 0 first (:func:`clip_forecast`).

    Example:
        >>> fc = pd.DataFrame({"mean": [4.0, 4.0], "lo80": [3, 3], "hi80": [5, 4.5], "lo95": [2, 2], "hi95": [6, 6]})
        >>> s = score_window([3, 5], fc, train=[1, 2, 3, 4, 5, 6, 7, 3, 4])
        >>> s["mase"], s["cov80"], s["cov95"]
        (0.5, 0.5, 1.0)
    """
    fc = clip_forecast(fc)
    y = _a(y)
    scale = mase_scale(train, m)

    def _scores(mask: np.ndarray) -> dict[str, float]:
        yy, f = y[mask], fc["mean"].to_numpy()[mask]
        return {
            "mase": mase(yy, f, scale=scale), "smape": smape(yy, f), "wape": wape(yy, f),
            "cov80": coverage(yy, fc["lo80"].to_numpy()[mask], fc["hi80"].to_numpy()[mask]),
            "cov95": coverage(yy, fc["lo95"].to_numpy()[mask], fc["hi95"].to_numpy()[mask]),
            "bias": bias(yy, f),
        }

    out = _scores(np.ones(len(y), bool))
    if closed is not None:
        c = _a(closed)
        if (c > 0).any():
            out.update({f"{k}_open": v for k, v in _scores(c == 0).items()})
        else:
            out.update({f"{k}_open": v for k, v in out.items()})
    return out


# -------------------------------------------------------------------------------- running a method


@dataclass
class Window:
    """One test window: the training series, the actual values and the closed-day flags of the test days."""

    set: str
    series_id: str
    origin: pd.Timestamp
    train: pd.Series
    test: pd.Series
    closed: np.ndarray


def iter_windows(series: pd.DataFrame, windows: pd.DataFrame) -> Iterator[Window]:
    """The windows of ``windows`` (from :func:`windows_table`) cut from the long ``series`` frame."""
    groups = {k: g for k, g in series.groupby(["set", "series_id"], sort=False)}
    for w in windows.itertuples(index=False):
        g = groups[(w.set, w.series_id)]
        y = to_series(g)
        closed = g["closed"].to_numpy(int) if "closed" in g else np.zeros(len(g), int)
        o = pd.Timestamp(w.origin)
        train_mask = y.index <= o
        test_mask = (y.index > o) & (y.index <= o + pd.Timedelta(days=int(w.h)))
        yield Window(w.set, w.series_id, o, y[train_mask], y[test_mask], closed[test_mask])


def run_method(method: Method, name: str, series: pd.DataFrame, windows: pd.DataFrame,
               progress: Callable[[str], None] | None = None,
               clock: Callable[[], float] = time.perf_counter) -> pd.DataFrame:
    """Run ``method`` on every window; a forecasts frame with ``FORECAST_FILE_COLUMNS``.

    ``seconds`` is the wall time of the call (fit and forecast) for that window, repeated on its rows
    (``clock=time.process_time``: this process's CPU time instead).
    A method that raises, or returns a frame of the wrong length or without ``mean``, gives one row
    with NaN forecasts and the error in ``note``: the window counts as failed.
    """
    rows = []
    for w in iter_windows(series, windows):
        h = len(w.test)
        t0 = clock()
        note = ""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc = method(w.train.copy(), h)
            secs = clock() - t0
            if not isinstance(fc, pd.DataFrame) or "mean" not in fc or len(fc) != h:
                got = f"{type(fc).__name__} of {len(fc)} rows" if hasattr(fc, "__len__") else type(fc).__name__
                raise ValueError(f"method {name} must return a DataFrame of {h} rows with 'mean'; got {got}")
            note = str(fc.attrs.get("note", ""))
            fc = clip_forecast(fc.reset_index(drop=True))
            fc.insert(0, "date", w.test.index.strftime("%Y-%m-%d"))
        except Exception as exc:  # noqa: BLE001 - a failing method is recorded, not fatal
            secs = clock() - t0
            note = f"failed: {type(exc).__name__}: {exc}"[:300]
            fc = pd.DataFrame({"date": [w.test.index[0].strftime("%Y-%m-%d")], **{c: [np.nan] for c in FORECAST_COLUMNS}})
        fc.insert(0, "origin", w.origin.strftime("%Y-%m-%d"))
        fc.insert(0, "series_id", w.series_id)
        fc.insert(0, "set", w.set)
        fc.insert(4, "method", name)
        fc["seconds"] = secs
        fc["note"] = note
        rows.append(fc)
        if progress:
            progress(f"{name} {w.set}/{w.series_id} @ {w.origin.date()}: {secs:.2f}s {note[:80]}")
    return pd.concat(rows, ignore_index=True)[FORECAST_FILE_COLUMNS] if rows else pd.DataFrame(
        columns=FORECAST_FILE_COLUMNS)


# ------------------------------------------------------------------------------------------ scoring


def score(forecasts: pd.DataFrame, series: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """Scores of every (set, series, origin, method) window; failed windows have NaN scores.

    Columns: ``set``, ``series_id``, ``origin``, ``method``, ``seconds``, ``note``, ``failed`` and the
    scores of :func:`score_window`. A method's forecasts are matched to the window by date.
    """
    fcs = forecasts.copy()
    fcs["origin"] = pd.to_datetime(fcs["origin"]).dt.strftime("%Y-%m-%d")
    fcs["date"] = pd.to_datetime(fcs["date"]).dt.strftime("%Y-%m-%d")
    by_window = {k: g for k, g in fcs.groupby(["set", "series_id", "origin"], sort=False)}
    rows = []
    for w in iter_windows(series, windows):
        key = (w.set, w.series_id, w.origin.strftime("%Y-%m-%d"))
        if key not in by_window:
            continue
        dates = w.test.index.strftime("%Y-%m-%d")
        for method, g in by_window[key].groupby("method", sort=False):
            g = g.set_index("date")
            row = {"set": w.set, "series_id": w.series_id, "origin": key[2], "method": method,
                   "seconds": float(g["seconds"].iloc[0]), "note": str(g["note"].fillna("").iloc[0])}
            fc = g.reindex(dates)
            failed = fc["mean"].isna().any()
            row["failed"] = bool(failed)
            if not failed:
                row.update(score_window(w.test.to_numpy(), fc.reset_index(drop=True), w.train.to_numpy(), w.closed))
            rows.append(row)
    return pd.DataFrame(rows)


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per (set, method): mean scores, median MASE, seconds per fit, windows and failures.

    Columns: ``set``, ``method``, ``mase``, ``mase_median``, [``mase_open``, ``wape_open``], ``smape``,
    ``wape``, ``cov80``, ``cov95``, ``bias``, ``sec_per_fit``, ``windows``, ``failed``; sorted by set, then MASE.

    Example:
        >>> sc = pd.DataFrame({"set": "a", "method": ["m", "m"], "mase": [1.0, 2.0], "smape": 10.0, "wape": 0.1,
        ...                    "cov80": 0.8, "cov95": 0.9, "bias": 0.0, "seconds": [1.0, 3.0], "failed": False})
        >>> summarise(sc)[["mase", "mase_median", "sec_per_fit"]].values.tolist()
        [[1.5, 1.5, 2.0]]
    """
    cols = ["mase", "mase_median", "mase_open", "wape_open", "smape", "wape", "cov80", "cov95", "bias"]
    out = []
    for (st, method), g in scores.groupby(["set", "method"], sort=False):
        ok = g[~g["failed"].astype(bool)]
        row = {"set": st, "method": method}
        for c in cols:
            src = "mase" if c == "mase_median" else c
            if src not in ok:
                continue
            v = ok[src].astype(float)
            row[c] = float(v.median()) if c == "mase_median" else (float(v.mean()) if v.notna().any() else np.nan)
        row["sec_per_fit"] = float(g["seconds"].mean())
        row["windows"] = int(len(g))
        row["failed"] = int(g["failed"].astype(bool).sum())
        out.append(row)
    df = pd.DataFrame(out)
    keep = [c for c in ["set", "method", *cols, "sec_per_fit", "windows", "failed"] if c in df]
    return df[keep].sort_values(["set", "mase"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------- baseline


def seasonal_naive(y: pd.Series, h: int, m: int = SEASON) -> pd.DataFrame:
    """The bench's own reference: ``f[T+j] = y[T+j-m(k+1)]``, ``k = (j-1)//m``; normal intervals
    ``f +/- z_L * sigma * sqrt(k+1)``, ``sigma`` = RMS of the lag-``m`` differences (as R's ``snaive``).

    Example:
        >>> y = pd.Series(np.arange(14.0), index=pd.date_range("2024-01-01", periods=14))
        >>> seasonal_naive(y, 8)["mean"].tolist()  # the last week 7..13 repeated
        [7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 7.0]
    """
    v = y.to_numpy(float)
    if len(v) < m:
        raise ValueError(f"seasonal naive needs at least {m} days, got {len(v)}")
    j = np.arange(1, h + 1)
    k = (j - 1) // m
    mean = v[len(v) + j - 1 - m * (k + 1)]
    d = v[m:] - v[:-m]
    sigma = float(np.sqrt(np.mean(d**2))) if len(d) else 0.0
    out = pd.DataFrame({"mean": mean})
    for lv, z in ((80, 1.2815515655446004), (95, 1.959963984540054)):
        out[f"lo{lv}"] = mean - z * sigma * np.sqrt(k + 1)
        out[f"hi{lv}"] = mean + z * sigma * np.sqrt(k + 1)
    return out
