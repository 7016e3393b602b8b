"""Operations estimators: OLS on cell sums (opslib.operations.stats.cell_ols) against statsmodels OLS on every
order, side by side, plus the time to prepare a shop and score its norms.

Usage: ``python benchmarks/bench_operations.py [--scale S]``: generates (once) a sample shop at scale S in
data/bench/scaleS, then times, best of 3: ``prepare`` (load + the DuckDB order frame), ``score_norms`` over
28 days; and the late-review effect (HC1) and the peak-day delay (clustered by day) both ways, checking that
the estimates and standard errors agree. Prints the ratios statsmodels / cells.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
import statsmodels.api as sm

from opslib.data import load_shop
from opslib.operations import late_review_effect, load_norms, peak_handling_delay, prepare, score_norms
from opslib.sample import generate

ROOT = Path(__file__).resolve().parents[1]
TABLES = ["orders", "products", "campaigns", "fulfilment", "reviews", "service"]


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def sm_late_effect(data) -> tuple[float, float]:
    """The reference: statsmodels OLS on every review with category, carrier and month dummies, HC1."""
    r = data.reviews[data.reviews["delivered_ts"].notna()]
    X = pd.get_dummies(r[["category", "carrier", "month"]].astype(str), drop_first=True, dtype=float)
    X.insert(0, "late", r["late"].astype(float).to_numpy())
    fit = sm.OLS(r["score"].astype(float).to_numpy(), sm.add_constant(X.to_numpy())).fit(cov_type="HC1")
    return float(fit.params[1]), float(fit.bse[1])


def sm_peak_delay(data) -> tuple[float, float]:
    """The reference: statsmodels OLS on every settled order, weekday/month/warehouse dummies, clustered by day."""
    o = data.orders[~data.orders["cancelled"]].dropna(subset=["handling_h"])
    o = o[o["paid_ts"] < data.as_of - pd.Timedelta(days=7)]
    X = pd.get_dummies(o[["weekday", "month", "warehouse"]].astype(str), drop_first=True, dtype=float)
    X.insert(0, "peak", o["peak"].astype(float).to_numpy())
    groups = pd.factorize(o["paid_ts"].dt.normalize())[0]
    fit = sm.OLS(o["handling_h"].to_numpy(), sm.add_constant(X.to_numpy())).fit(cov_type="cluster",
                                                                                 cov_kwds={"groups": groups})
    return float(fit.params[1]), float(fit.bse[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    shop = ROOT / "data" / "bench" / f"scale{args.scale:g}"
    if not (shop / "service.parquet").exists():
        generate(out=shop, seed=7, scale=args.scale)
    t_prep, data = best_of(lambda: prepare(load_shop(shop, tables=TABLES)), repeat=1)
    norms = load_norms()
    t_score, _ = best_of(lambda: score_norms(data, norms, (data.last_day - pd.Timedelta(days=27), data.last_day)))
    t_cell_late, e = best_of(lambda: late_review_effect(data))
    t_sm_late, (b, se) = best_of(lambda: sm_late_effect(data))
    assert abs(e.estimate() - b) < 1e-8 and abs(float(e.terms["se"].iloc[0]) - se) < 1e-8
    t_cell_peak, p = best_of(lambda: peak_handling_delay(data))
    t_sm_peak, (bp, sep) = best_of(lambda: sm_peak_delay(data))
    assert abs(p.estimate() - bp) < 1e-8 and abs(float(p.terms["se"].iloc[0]) - sep) < 1e-6
    n_orders, n_reviews = len(data.orders), len(data.reviews)
    print(f"scale {args.scale:g}: {n_orders:,} orders, {n_reviews:,} reviews, {len(data.contacts):,} contacts")
    print(f"prepare (load + order frame): {t_prep:.2f} s; score_norms (13 norms, 28 days): {t_score:.2f} s")
    print("| estimate | cells (opslib) | statsmodels, every unit | statsmodels / cells |")
    print("|---|---|---|---|")
    print(f"| late-review effect, HC1 ({e.n:,} reviews) | {t_cell_late:.3f} s | {t_sm_late:.3f} s | "
          f"{t_sm_late / t_cell_late:.1f}x |")
    print(f"| peak-day delay, clustered ({p.n:,} orders) | {t_cell_peak:.3f} s | {t_sm_peak:.3f} s | "
          f"{t_sm_peak / t_cell_peak:.1f}x |")
    print(f"estimates: late {e.estimate():+.4f} (se {float(e.terms['se'].iloc[0]):.4f}), "
          f"peak {p.estimate():+.3f} h (se {float(p.terms['se'].iloc[0]):.4f}); identical both ways")


if __name__ == "__main__":
    main()
