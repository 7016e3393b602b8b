"""Benchmark: our ETS (opslib.forecasting.models, statsmodels) vs statsforecast's AutoETS on the same series.

Not a test. Series: the weekly category series and the top SKUs of a sample shop; the last ``--horizon``
weeks are held out. Reports seconds per series and mean MASE (seasonal lag 52) for each, and the ratios.
statsforecast is not a project dependency: install it in a separate environment, e.g.

    python -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install statsforecast duckdb holidays pyarrow tqdm
    PYTHONPATH=. /tmp/benchvenv/bin/python benchmarks/bench_forecast.py --shop /tmp/shop --skus 40

Without it the peer is skipped with a message and only our numbers are printed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from opslib import forecasting as F
from opslib.data import daily_sku, load_shop
from opslib.forecasting.metrics import mase
from opslib.forecasting.models import fit_forecast


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shop", default="data/sample", help="sample shop folder (default data/sample: make sample)")
    ap.add_argument("--skus", type=int, default=40)
    ap.add_argument("--horizon", type=int, default=8)
    args = ap.parse_args()
    shop = load_shop(args.shop, tables=["orders", "products"], validate=False)
    daily = daily_sku(shop.orders, shop.products)
    wide = F.weekly_series(daily, "category").join(F.weekly_series(daily, "sku", max_skus=args.skus))
    h = args.horizon
    series = {c: F.trim_leading_zeros(wide[c]) for c in wide.columns}
    series = {c: y for c, y in series.items() if len(y) > 2 * h + 10}
    print(f"{len(series)} weekly series, horizon {h}")

    ours_t, ours_m = [], []
    for y in series.values():
        t0 = time.perf_counter()
        r = fit_forecast(y.iloc[:-h], "ets", h)
        ours_t.append(time.perf_counter() - t0)
        ours_m.append(mase(y.iloc[-h:], r.forecast["mean"], train=y.iloc[:-h].to_numpy(), m=52))
    print(f"opslib ETS         : {np.mean(ours_t):.3f} s/series, mean MASE {np.nanmean(ours_m):.3f}")
    try:
        from statsforecast.models import AutoETS
    except ImportError:
        print("statsforecast is not importable here: skipping the AutoETS peer (see the module docstring)")
        return 0
    peer_t, peer_m = [], []
    AutoETS(season_length=52).fit(np.arange(120, dtype=float) % 7 + 1.0)  # numba compile, not timed
    for y in series.values():
        train = y.iloc[:-h].to_numpy(float)
        t0 = time.perf_counter()
        season = 52 if len(train) >= 2 * 52 + 2 else 1
        fc = AutoETS(season_length=season, model="ZZZ").fit(train).predict(h)["mean"]
        peer_t.append(time.perf_counter() - t0)
        peer_m.append(mase(y.iloc[-h:], np.clip(fc, 0, None), train=train, m=52))
    print(f"statsforecast AutoETS: {np.mean(peer_t):.3f} s/series, mean MASE {np.nanmean(peer_m):.3f}")
    print(f"ratio ours/peer: time {np.mean(ours_t) / np.mean(peer_t):.2f}x, "
          f"MASE {np.nanmean(ours_m) / np.nanmean(peer_m):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
