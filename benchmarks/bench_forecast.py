"""Benchmark: the weekly leaderboard of every opslib model and ``auto`` on the sample shop's categories, and opslib's
ETS against statsforecast's AutoETS on the same weekly series (when statsforecast is importable).

Not a test. Series: the weekly category series of a sample shop (and, for the ETS comparison, its top SKUs);
rolling origin as ``tests/accuracy/test_forecast_accuracy.py``: 3 origins ``--horizon`` weeks apart, MASE with
seasonal lag 52, coverage of the 80%/95% intervals. The daily comparison with R's forecast package and
statsforecast on real series is ``benchmarks/forecast_peers/bench.py``.

statsforecast is not a project dependency: use the peer bench's environment (``benchmarks/forecast_peers/.venv``,
made by ``setup_peers.sh``) with opslib on the path, e.g.

    PYTHONPATH=. benchmarks/forecast_peers/.venv/bin/python benchmarks/bench_forecast.py --shop /tmp/shop30

Without it the peer is skipped with a message and only opslib's numbers are printed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from opslib import forecasting as F
from opslib.data import daily_sku, load_shop
from opslib.forecasting.backtest import score
from opslib.forecasting.metrics import mase
from opslib.forecasting.models import fit_forecast

MODELS = ("snaive", "ets", "mstl", "mstl_stable", "theta", "sarimax", "tsb", "auto")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shop", default="data/sample", help="sample shop folder (default data/sample: make sample)")
    ap.add_argument("--skus", type=int, default=40, help="top SKUs added to the ETS comparison")
    ap.add_argument("--horizon", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    shop = load_shop(args.shop, tables=["orders", "products"], validate=False)
    daily = daily_sku(shop)
    cats = F.weekly_series(daily, "category")
    h = args.horizon

    t0 = time.perf_counter()
    bt = F.backtest_many(cats, models=MODELS, horizon=h, windows=3, n_jobs=args.jobs, progress=False)
    board = F.leaderboard(bt)
    last = bt[bt["origin"] == bt["origin"].max()]
    board["mase_last"] = board["model"].map(score(last, ("series_id", "model")).groupby("model")["mase"].mean())
    print(f"leaderboard: {cats.shape[1]} categories x 3 origins x {h} weeks ({time.perf_counter() - t0:.0f} s)")
    cols = ["model", "used", "mase", "mase_last", "wape", "coverage_80", "coverage_95", "wins"]
    print(board[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))

    wide = cats.join(F.weekly_series(daily, "sku", max_skus=args.skus))
    series = {c: F.trim_leading_zeros(wide[c]) for c in wide.columns}
    series = {c: y for c, y in series.items() if len(y) > 2 * h + 10}
    ours_t, ours_m = [], []
    for y in series.values():
        t1 = time.perf_counter()
        r = fit_forecast(y.iloc[:-h], "ets", h)
        ours_t.append(time.perf_counter() - t1)
        ours_m.append(mase(y.iloc[-h:], r.forecast["mean"], train=y.iloc[:-h].to_numpy(), m=52))
    print(f"\n{len(series)} weekly series, last {h} weeks held out")
    print(f"opslib ETS           : {np.mean(ours_t):.3f} s/series, mean MASE {np.nanmean(ours_m):.3f}")
    try:
        from statsforecast.models import AutoETS
    except ImportError:
        print("statsforecast is not importable here: skipping the AutoETS peer (see the module docstring)")
        return 0
    peer_t, peer_m = [], []
    AutoETS(season_length=52).fit(np.arange(120, dtype=float) % 7 + 1.0)  # numba compile, not timed
    for y in series.values():
        train = y.iloc[:-h].to_numpy(float)
        t1 = time.perf_counter()
        season = 52 if len(train) >= 2 * 52 + 2 else 1
        fc = AutoETS(season_length=season, model="ZZZ").fit(train).predict(h)["mean"]
        peer_t.append(time.perf_counter() - t1)
        peer_m.append(mase(y.iloc[-h:], np.clip(fc, 0, None), train=train, m=52))
    print(f"statsforecast AutoETS: {np.mean(peer_t):.3f} s/series, mean MASE {np.nanmean(peer_m):.3f}")
    print(f"ratio ours/peer: time {np.mean(ours_t) / np.mean(peer_t):.2f}x, "
          f"MASE {np.nanmean(ours_m) / np.nanmean(peer_m):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
