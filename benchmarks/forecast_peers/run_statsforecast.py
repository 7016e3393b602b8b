"""statsforecast on the peer bench windows (runs in ``benchmarks/forecast_peers/.venv``, never in opslib's).

Usage: ``.venv/bin/python run_statsforecast.py SERIES.csv WINDOWS.csv OUT.csv [--methods a,b]
[--intermittent set1,set2]``. Inputs and output as for ``run_r.R`` (columns ``set, series_id, origin,
date, method, mean, lo80, hi80, lo95, hi95, seconds, note``).

Methods (training part ``y`` = every day up to the origin; ``h = 28``; levels 80 and 95):

* ``sf_autoets``: ``AutoETS(season_length=7)`` (model ``ZZZ`` chosen by AICc);
* ``sf_autoarima``: ``AutoARIMA(season_length=7)``;
* ``sf_mstl``: ``MSTL(season_length=[7, 365], trend_forecaster=AutoETS(model="ZZN"))`` when ``y`` has at
  least 2 x 365 days, ``MSTL(season_length=7, ...)`` otherwise;
* on the intermittent sets only (``--intermittent``): ``sf_croston`` (``CrostonClassic``), ``sf_sba``
  (``CrostonSBA``), ``sf_tsb`` (``TSB(alpha_d=0.2, alpha_p=0.2)``), ``sf_adida`` (``ADIDA``). They have no
  interval of their own: statsforecast's ``ConformalIntervals(h=28, n_windows=2)`` gives them one
  when the history holds 2 windows plus a season, else the bounds are empty.

Each model is called through its own ``forecast(y, h, level)`` on one series at a time (one core), so
``seconds`` is the fit + forecast time of one window; numba compilation is paid in a warm-up on a
synthetic series first and is not counted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import statsforecast  # noqa: E402
from statsforecast.models import ADIDA, MSTL, TSB, AutoARIMA, AutoETS, CrostonClassic, CrostonSBA  # noqa: E402
from statsforecast.utils import ConformalIntervals  # noqa: E402

COLUMNS = ["set", "series_id", "origin", "date", "method", "mean", "lo80", "hi80", "lo95", "hi95", "seconds", "note"]
SMOOTH = ("sf_autoets", "sf_autoarima", "sf_mstl")
INTERMITTENT_METHODS = ("sf_croston", "sf_sba", "sf_tsb", "sf_adida")
LEVELS = [80, 95]


def make(method: str, n: int, h: int):
    """The statsforecast model for ``method`` on a training series of ``n`` days, and its note."""
    if method == "sf_autoets":
        return AutoETS(season_length=7), ""
    if method == "sf_autoarima":
        return AutoARIMA(season_length=7), ""
    if method == "sf_mstl":
        periods = [7, 365] if n >= 2 * 365 else 7
        return MSTL(season_length=periods, trend_forecaster=AutoETS(model="ZZN")), f"periods {periods}"
    pi = ConformalIntervals(h=h, n_windows=2) if n >= 2 * h + 7 else None
    note = "conformal intervals (2 windows)" if pi else "no intervals (history too short)"
    if method == "sf_croston":
        return CrostonClassic(prediction_intervals=pi), note
    if method == "sf_sba":
        return CrostonSBA(prediction_intervals=pi), note
    if method == "sf_tsb":
        return TSB(alpha_d=0.2, alpha_p=0.2, prediction_intervals=pi), note
    if method == "sf_adida":
        return ADIDA(prediction_intervals=pi), note
    raise ValueError(f"unknown method {method!r}: choose from {SMOOTH + INTERMITTENT_METHODS}")


def fit_one(method: str, y: np.ndarray, h: int) -> tuple[pd.DataFrame, str]:
    model, note = make(method, len(y), h)
    has_pi = method in SMOOTH or getattr(model, "prediction_intervals", None) is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = model.forecast(y=y, h=h, level=LEVELS) if has_pi else model.forecast(y=y, h=h)
    out = pd.DataFrame({"mean": np.asarray(r["mean"], float)})
    for lv in LEVELS:
        out[f"lo{lv}"] = np.asarray(r.get(f"lo-{lv}", np.full(h, np.nan)), float)
        out[f"hi{lv}"] = np.asarray(r.get(f"hi-{lv}", np.full(h, np.nan)), float)
    return out, note


def warm_up(methods: list[str]) -> None:
    """Compile numba code on a synthetic series so that compilation is not timed."""
    y = 10 + np.random.default_rng(0).poisson(3, 800).astype(float)
    y[::5] = 0
    for m in methods:
        fit_one(m, y, 28)
        fit_one(m, y[:300], 28)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("series")
    p.add_argument("windows")
    p.add_argument("out")
    p.add_argument("--methods", default=",".join(SMOOTH + INTERMITTENT_METHODS))
    p.add_argument("--intermittent", default="", help="sets on which the intermittent models run")
    a = p.parse_args(argv)
    methods = [m for m in a.methods.split(",") if m]
    inter_sets = {s for s in a.intermittent.split(",") if s}
    series = pd.read_csv(a.series, dtype={"set": str, "series_id": str, "date": str})
    windows = pd.read_csv(a.windows, dtype={"set": str, "series_id": str, "origin": str})
    series["date"] = pd.to_datetime(series["date"])
    groups = {k: g.sort_values("date") for k, g in series.groupby(["set", "series_id"], sort=False)}
    t0 = time.perf_counter()
    warm_up(methods)
    print(f"statsforecast {statsforecast.__version__}: warm-up (numba compile) {time.perf_counter() - t0:.1f}s",
          flush=True)
    pd.DataFrame(columns=COLUMNS).to_csv(a.out, index=False)
    for method in methods:
        for w in windows.itertuples(index=False):
            if method in INTERMITTENT_METHODS and w.set not in inter_sets:
                continue
            g = groups[(w.set, w.series_id)]
            origin = pd.Timestamp(w.origin)
            y = g.loc[g["date"] <= origin, "y"].to_numpy(float)
            h = int(w.h)
            t = time.perf_counter()
            try:
                fc, note = fit_one(method, y, h)
            except Exception as exc:  # noqa: BLE001 - a failed fit is recorded, not fatal
                fc = pd.DataFrame({c: np.full(h, np.nan) for c in ("mean", "lo80", "hi80", "lo95", "hi95")})
                note = f"failed: {type(exc).__name__}: {exc}"[:250]
            secs = time.perf_counter() - t
            fc.insert(0, "method", method)
            fc.insert(0, "date", (origin + pd.to_timedelta(np.arange(1, h + 1), unit="D")).strftime("%Y-%m-%d"))
            fc.insert(0, "origin", w.origin)
            fc.insert(0, "series_id", w.series_id)
            fc.insert(0, "set", w.set)
            fc["seconds"] = round(secs, 4)
            fc["note"] = note
            fc[COLUMNS].to_csv(a.out, mode="a", header=False, index=False)
            print(f"{method} {w.set}/{w.series_id} @ {w.origin}: {secs:.2f}s {note[:60]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
