"""Benchmark series for the forecasting peer bench, as one long CSV.

Columns of the output: ``set``, ``series_id``, ``date`` (day), ``y`` (units that day, float) and
``closed`` (1 when the shop did not trade that day, else 0). Every series is daily and regular (one row
per day from its first to its last day, no gaps), so every method sees the same numbers.

The sets (``SETS``) and how each is built. Order lines come from opslib's importers
(``opslib.importers.run_import``), so the cleaning rules are the ones a user gets from
``python -m opslib import KIND SRC OUT``; the rules below are only the extra steps of this bench.

* ``retail_total`` and ``retail_top20`` - UCI Online Retail I (UK gift wholesaler, 2010-12-01 to
  2011-12-09; Chen, Sain & Guo 2012, CC BY 4.0). Importer rules: ``A`` bad-debt invoices, non-product
  codes (POST, DOT, M, C2, D, S, B, BANK CHARGES, AMAZONFEE, ADJUST, CRUK, PADS, gift vouchers), unit
  price <= 0, negative quantities on non-``C`` invoices and exact duplicate rows are dropped;
  ``C`` invoices are kept as ``cancelled`` lines. Extra rule here: **each cancellation line cancels the
  latest earlier sale line with the same customer, stock code and quantity**; matched sales are removed,
  unmatched cancellations (sale before the data starts, partial cancellation, guest buyer) are ignored.
  Without it the two largest orders of the data (80,995 units on 2011-12-09, 74,215 on 2011-01-18,
  both cancelled within minutes) would stay in the series; 2011-12-09 is in the last test window.
  ``y`` = units of the remaining sale lines per day. ``retail_top20``: the 20 stock codes with the most
  such units over the whole data, each from its first day with a sale (leading zeros trimmed).
* **Closed days** (Online Retail only): a day with no invoice at all, not even a cancellation, is a
  closure: 69 of 374 days - all 53 Saturdays, the Christmas break 2010-12-24 to 2011-01-03 (the shop
  traded on none of those days) and Easter and the UK bank holidays of 2011 (Apr 22, 24, 25, 29, May 2,
  May 30, Aug 29). The three test windows (2011-09-17 to 2011-12-09) hold 12 closed days, all Saturdays.
  Closed days are represented as **zero**, with ``closed = 1``: the peers (R's ``ets``, statsforecast)
  need a regular series without missing values, zero is what a shop's own daily export shows, and
  Saturday closures are a weekly pattern every seasonal method can learn. :mod:`protocol` scores every
  method twice, on all days and on open days only (``closed == 0``), so the cost of closures is visible.
* ``olist_total`` and ``olist_top_categories`` - Olist Brazilian e-commerce, ``sample_bravida`` subset
  (CC BY-NC-SA 4.0, attribute Olist). Importer rules: items of one (order, product) form one line,
  customers by ``customer_unique_id``, canceled/unavailable orders -> ``cancelled``. ``y`` = units of
  **every** line (cancelled included: the subset is a demand sample, and ``unavailable`` is demand the
  shop could not serve). Span 2017-01-01 to 2018-08-28: the marketplace had almost no orders from
  October to December 2016 and only stragglers after August 2018. Bias stated by the data's README:
  the subset holds every non-delivered order but only ~5% of delivered ones, so it is a thinned,
  noisier version of the marketplace's demand (about 15 units a day), not its level.
  ``olist_top_categories``: the 5 categories with the most units (English names).
* ``superstore`` - Tableau "Sample - Superstore" 2011-2014 (demo data, not real transactions).
  ``y`` = units ordered (``Quantity``) per day, returned orders included (demand was placed; the return
  comes later); series ``total`` and the 3 categories (Furniture, Office Supplies, Technology). Days
  without orders are zero (no closures are known; 220 of 1,458 days have no order).
* ``sample_categories`` - opsplaybook's sample shop (``python -m opslib.sample --seed 7 --scale 1``,
  2023-01-01 to 2025-12-31, planted 618/双11/双12 festivals and Spring Festival): daily non-cancelled
  units of each of the 8 categories. Generated into a cache folder on first use (about 20 s).

Usage: ``python benchmarks/forecast_peers/series.py [--sets a,b] [--out FILE]``; the shared data folder
is ``ROOT.parent/shared/data`` or ``$OPSLIB_SHARED_DATA``.

Example:
    >>> s = regular_daily(pd.Series([2.0, 3.0], index=pd.to_datetime(["2024-01-01", "2024-01-03"])))
    >>> s.tolist()
    [2.0, 0.0, 3.0]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = HERE / "results" / "cache"
COLUMNS = ["set", "series_id", "date", "y", "closed"]

#: Sets whose series are mostly low counts with many zero days: the intermittent-demand peers run on them.
INTERMITTENT = frozenset({"retail_top20", "olist_top_categories", "superstore"})


def shared_data() -> Path:
    """The shared real-data folder: ``$OPSLIB_SHARED_DATA`` or ``ROOT.parent/shared/data``."""
    env = os.environ.get("OPSLIB_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def _run_import(kind: str, src: Path):
    """opslib's importer (``opslib.importers.run_import``, the same path before and after the restructure)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from opslib.importers import run_import

    if not src.exists():
        raise FileNotFoundError(f"{src} not found: the bench needs the shared data folder (set OPSLIB_SHARED_DATA)")
    return run_import(kind, src)


def regular_daily(y: pd.Series, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None) -> pd.Series:
    """Daily sums on every day from ``start`` (default: first date) to ``end`` (default: last), 0 filled."""
    y = y.groupby(pd.DatetimeIndex(y.index).normalize()).sum().astype(float)
    days = pd.date_range(start or y.index.min(), end or y.index.max(), freq="D")
    return y.reindex(days, fill_value=0.0)


def _long(set_name: str, series: dict[str, pd.Series], closed: Iterable[pd.Timestamp] = ()) -> pd.DataFrame:
    closed_days = pd.DatetimeIndex(list(closed))
    parts = []
    for sid, y in series.items():
        parts.append(pd.DataFrame({"set": set_name, "series_id": sid, "date": y.index, "y": y.to_numpy(float),
                                   "closed": pd.DatetimeIndex(y.index).isin(closed_days).astype(int)}))
    return pd.concat(parts, ignore_index=True)


def match_cancellations(orders: pd.DataFrame) -> pd.DataFrame:
    """Sale lines left after each cancellation removed the latest earlier sale it matches.

    A match has the same ``customer_id`` (non-empty), ``sku`` and ``quantity`` and an earlier or equal
    ``order_ts``; each sale is cancelled at most once. Input: importer ``orders`` (``status`` completed or
    cancelled, quantities positive). Returns the completed lines not cancelled.

    Example:
        >>> o = pd.DataFrame({"order_id": ["1", "2", "C3"], "customer_id": ["a", "a", "a"], "sku": ["X"] * 3,
        ...                   "quantity": [5, 5, 5], "status": ["completed", "completed", "cancelled"],
        ...                   "order_ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])})
        >>> match_cancellations(o)["order_id"].tolist()
        ['1']
    """
    sales = orders[orders["status"] == "completed"].sort_values("order_ts")
    canc = orders[(orders["status"] == "cancelled") & orders["customer_id"].fillna("").ne("")]
    key = ["customer_id", "sku", "quantity"]
    pools: dict[tuple, list] = {}
    # only the sales that some cancellation could match (the same customer, sku and quantity)
    cand = sales.reset_index().merge(canc[key].drop_duplicates(), on=key).set_index("index")
    for k, g in cand.groupby(key, sort=False):
        pools[k] = list(zip(g["order_ts"], g.index, strict=True))
    drop = []
    for row in canc.sort_values("order_ts").itertuples():
        pool = pools.get((row.customer_id, row.sku, row.quantity))
        if not pool:
            continue
        j = int(np.searchsorted(np.array([t for t, _ in pool], dtype="datetime64[ns]"),
                                np.datetime64(row.order_ts), side="right")) - 1
        if j >= 0:
            drop.append(pool.pop(j)[1])
    return sales.drop(index=drop)


def _trim_leading_zeros(y: pd.Series) -> pd.Series:
    nz = np.flatnonzero(y.to_numpy() != 0)
    return y.iloc[nz[0]:] if len(nz) else y


def online_retail(top: int = 20) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``retail_total`` and ``retail_top20`` (see the module docstring)."""
    src = shared_data() / "online_retail" / "online_retail_I_2010-12_2011-12.csv.gz"
    orders = _run_import("online_retail", src).tables["orders"]
    days = pd.date_range(orders["order_ts"].min().normalize(), orders["order_ts"].max().normalize(), freq="D")
    traded = pd.DatetimeIndex(orders["order_ts"].dt.normalize().unique())
    closed = days.difference(traded)
    sales = match_cancellations(orders)
    units = sales.set_index("order_ts")["quantity"].astype(float)
    total = regular_daily(units, days[0], days[-1])
    ranked = sales.groupby("sku")["quantity"].sum().sort_values(ascending=False, kind="stable")
    per = {}
    for sku in ranked.index[:top]:
        s = sales[sales["sku"] == sku].set_index("order_ts")["quantity"].astype(float)
        per[str(sku)] = _trim_leading_zeros(regular_daily(s, days[0], days[-1]))
    return _long("retail_total", {"total": total}, closed), _long(f"retail_top{top}", per, closed)


OLIST_START, OLIST_END = pd.Timestamp("2017-01-01"), pd.Timestamp("2018-08-28")


def olist(top: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``olist_total`` and ``olist_top_categories`` (see the module docstring)."""
    r = _run_import("olist", shared_data() / "olist" / "sample_bravida")
    lines = r.tables["orders"].merge(r.tables["products"][["sku", "category"]], on="sku", how="left")
    lines = lines[(lines["order_ts"] >= OLIST_START) & (lines["order_ts"] < OLIST_END + pd.Timedelta(days=1))]
    units = lines.set_index("order_ts")["quantity"].astype(float)
    total = regular_daily(units, OLIST_START, OLIST_END)
    ranked = lines.groupby("category")["quantity"].sum().sort_values(ascending=False, kind="stable")
    per = {str(c): regular_daily(lines[lines["category"] == c].set_index("order_ts")["quantity"].astype(float),
                                 OLIST_START, OLIST_END) for c in ranked.index[:top]}
    return _long("olist_total", {"total": total}), _long("olist_top_categories", per)


def superstore() -> pd.DataFrame:
    """``superstore``: total and per-category units per day (see the module docstring)."""
    r = _run_import("superstore", shared_data() / "superstore")
    lines = r.tables["orders"].merge(r.tables["products"][["sku", "category"]], on="sku", how="left")
    start, end = lines["order_ts"].min().normalize(), lines["order_ts"].max().normalize()
    units = lines.set_index("order_ts")["quantity"].astype(float)
    series = {"total": regular_daily(units, start, end)}
    for c in sorted(lines["category"].unique()):
        series[str(c)] = regular_daily(lines[lines["category"] == c].set_index("order_ts")["quantity"].astype(float),
                                       start, end)
    return _long("superstore", series)


def sample_shop(seed: int = 7, scale: float = 1.0, folder: Path | None = None) -> pd.DataFrame:
    """``sample_categories``: daily non-cancelled units per category of the sample shop (cached build)."""
    folder = folder or CACHE / f"sample_seed{seed}_scale{scale:g}"
    if not (folder / "truth.json").exists():
        subprocess.run([sys.executable, "-m", "opslib.sample", "--seed", str(seed), "--scale", f"{scale:g}",
                        "--out", str(folder)], check=True, cwd=ROOT)
    orders = _read_table(folder, "orders", ["order_ts", "sku", "quantity", "status"])
    products = _read_table(folder, "products", ["sku", "category"])
    lines = orders[orders["status"] != "cancelled"].merge(products, on="sku", how="left")
    lines["order_ts"] = pd.to_datetime(lines["order_ts"])
    start, end = lines["order_ts"].min().normalize(), lines["order_ts"].max().normalize()
    series = {str(c): regular_daily(g.set_index("order_ts")["quantity"].astype(float), start, end)
              for c, g in lines.groupby("category")}
    return _long("sample_categories", series)


def _read_table(folder: Path, name: str, columns: list[str]) -> pd.DataFrame:
    for ext, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
        p = folder / f"{name}{ext}"
        if p.exists():
            return reader(p, columns=columns) if ext == ".parquet" else reader(p, usecols=columns)
    raise FileNotFoundError(f"{folder} has no {name}.parquet or {name}.csv (is it a sample shop folder?)")


BUILDERS: dict[str, Callable[[], pd.DataFrame | tuple[pd.DataFrame, ...]]] = {
    "retail": online_retail,
    "olist": olist,
    "superstore": superstore,
    "sample": sample_shop,
}
#: Set name -> the builder that makes it.
SETS: dict[str, str] = {
    "retail_total": "retail", "retail_top20": "retail", "olist_total": "olist",
    "olist_top_categories": "olist", "superstore": "superstore", "sample_categories": "sample",
}


def build(sets: Iterable[str] | None = None) -> pd.DataFrame:
    """The long frame (``COLUMNS``) of the requested sets (default: all of ``SETS``), in ``SETS`` order."""
    wanted = list(SETS) if sets is None else list(sets)
    unknown = [s for s in wanted if s not in SETS]
    if unknown:
        raise ValueError(f"unknown set(s) {unknown}: choose from {list(SETS)}")
    frames: dict[str, pd.DataFrame] = {}
    for builder in dict.fromkeys(SETS[s] for s in wanted):
        out = BUILDERS[builder]()
        for f in out if isinstance(out, tuple) else (out,):
            frames[str(f["set"].iloc[0])] = f
    df = pd.concat([frames[s] for s in wanted], ignore_index=True)[COLUMNS]
    df["date"] = pd.to_datetime(df["date"]).dt.strftime("%Y-%m-%d")
    return df


def describe(df: pd.DataFrame) -> pd.DataFrame:
    """One row per set: series, days (min-max), first and last date, mean y, share of zero days, closed days."""
    g = df.groupby(["set", "series_id"], sort=False)
    per = g.agg(days=("y", "size"), first=("date", "min"), last=("date", "max"), mean=("y", "mean"),
                zeros=("y", lambda v: float((v == 0).mean())), closed=("closed", "sum")).reset_index()
    return per.groupby("set", sort=False).agg(
        series=("series_id", "size"), min_days=("days", "min"), max_days=("days", "max"), first=("first", "min"),
        last=("last", "max"), mean_y=("mean", "mean"), zero_share=("zeros", "mean"), closed_days=("closed", "max"),
    ).reset_index()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Build the forecasting peer bench series (long CSV).")
    p.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    p.add_argument("--out", default=str(HERE / "results" / "series.csv"))
    a = p.parse_args(argv)
    df = build([s for s in a.sets.split(",") if s])
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(a.out, index=False)
    print(describe(df).to_string(index=False))
    print(f"wrote {len(df):,} rows to {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
