"""DuckDB daily x SKU cube (opslib.data.cube.daily_sku) against the same aggregation in plain pandas.

Usage: ``python benchmarks/bench_cube.py [--scale S]``: generates (once) a sample shop at scale S in
data/bench/S, then times, best of 3: opslib.data.cube.daily_sku over the Parquet file, over the pandas frame,
and a pandas groupby that computes the same columns. Prints the ratios pandas/duckdb.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from opslib.data import cube
from opslib.sample import generate

ROOT = Path(__file__).resolve().parents[1]


def pandas_daily_sku(orders: pd.DataFrame) -> pd.DataFrame:
    """The reference: daily_sku's measures (without distinct orders per status subtlety) in pandas."""
    o = orders[orders["status"] != "cancelled"]
    done = o["status"] == "completed"
    frame = pd.DataFrame({
        "date": o["order_ts"].dt.floor("D"),
        "sku": o["sku"],
        "order_id": o["order_id"],
        "units": o["quantity"],
        "units_net": o["quantity"].where(done, 0),
        "gmv": o["quantity"] * o["unit_price"],
        "net_sales": (o["quantity"] * o["unit_price"]).where(done, 0.0),
        "list_value": o["quantity"] * o["list_price"],
    })
    return frame.groupby(["date", "sku"]).agg(
        orders=("order_id", "nunique"), units=("units", "sum"), units_net=("units_net", "sum"),
        gmv=("gmv", "sum"), net_sales=("net_sales", "sum"), list_value=("list_value", "sum"),
    ).reset_index()


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    shop = ROOT / "data" / "bench" / f"scale{args.scale:g}"
    if not (shop / "truth.json").exists():
        generate(out=shop, seed=7, scale=args.scale)
    path = shop / "orders.parquet"
    orders = pd.read_parquet(path)
    n = len(orders)
    t_duck_file = best_of(lambda: cube.daily_sku(path))
    t_duck_frame = best_of(lambda: cube.daily_sku(orders))
    t_pandas = best_of(lambda: pandas_daily_sku(orders))
    a = cube.daily_sku(orders)
    a = a[a["orders"] > 0].set_index(["date", "sku"]).sort_index()  # the cube also keeps cancelled-only rows
    b = pandas_daily_sku(orders).set_index(["date", "sku"]).sort_index()
    assert np.allclose(a["gmv"], b["gmv"]) and (a["units"].to_numpy() == b["units"].to_numpy()).all()
    print(f"order lines: {n:,}")
    print(f"duckdb over parquet : {t_duck_file:6.2f} s")
    print(f"duckdb over frame   : {t_duck_frame:6.2f} s")
    print(f"pandas groupby      : {t_pandas:6.2f} s")
    print(f"ratio pandas / duckdb(frame) = {t_pandas / t_duck_frame:.2f}x, pandas / duckdb(parquet) = {t_pandas / t_duck_file:.2f}x")


if __name__ == "__main__":
    main()
