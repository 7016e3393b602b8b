"""Accuracy of the campaign evaluation on real shops: known campaigns planted into real daily series.

The sample shop's campaigns have a planted truth, but its series are smooth (Poisson), rarely overlap and
have known costs. Here the truth is planted into *real* order lines (``opslib.campaigns.planted``): on the
scoped SKUs' lines in a window every quantity is multiplied by ``1 + uplift`` (random rounding), with a
pull-forward dip after it (7 days, depth 20%), then the campaign is evaluated **through the public command**
``python -m opslib campaign evaluate DIR --campaign ID --format json`` and its estimate compared with the
units actually added.

Data sets (``../shared/data``, imported with ``python -m opslib import``), each with its own ``shop.yml``:
Online Retail (GBP, GB holidays), Olist (BRL, BR), Superstore (USD, US) and the sample shop (CNY, CN; scale
0.3, seed 11, with its own campaigns around the planted ones). Per data set 12 plants: scopes cycle through the
four largest categories, the best sellers of the largest one (30% of its units) (with siblings) and the whole shop
(``all``: no control group); windows 7, 5, 10, 14 days; start days spread over the data so that each copy of
the shop holds plants at least 90 days apart (other plants sit only in earlier pre-periods, where they are
set aside like any campaign).

**Size of the planted uplift.** An effect can only be measured to ±15% when it is large against the noise of
the series over the window: the counterfactual cannot know the window's own day-to-day noise. The main run
sizes each plant like a clearly visible promotion: ``uplift = SNR x sd_window / baseline`` with ``SNR = 12``,
``sd_window = sd(weekday-demeaned daily units, 56 days before) x sqrt(days)`` and ``baseline = mean x days``,
clipped to 0.25 .. 4 (x1.25 .. x5). ``--stress`` instead plants fixed lifts of +20%, +50% and +100% on the
same scopes and windows, to show what happens to small campaigns on noisy series.

**Levels.** Every plant is evaluated at two scale factors of the same series (every quantity x factor:
Olist x1 and x1000, Superstore x1 and x1000, Online Retail x1 and x30, sample shop x1 and x100), so the
scoped levels run from about 1 to about 100,000 units a day; the relative errors must be the same at both
(the estimator is scale-free).

Usage::

    .venv/bin/python benchmarks/bench_campaigns.py                 # main run, all data sets
    .venv/bin/python benchmarks/bench_campaigns.py --stress        # fixed small lifts
    .venv/bin/python benchmarks/bench_campaigns.py --datasets olist superstore --plants 6 --subprocess

Prints a Markdown table and writes ``benchmarks/results/campaigns_<run>.csv`` (ignored by git).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from opslib.campaigns import Plant, write_planted_shop  # noqa: E402
from opslib.data import daily_sku, load_shop  # noqa: E402

#: The real data sets: ``$OPSLIB_SHARED_DATA`` (as benchmarks/run.py), else ``../shared/data`` next to the clone.
SHARED = Path(os.environ.get("OPSLIB_SHARED_DATA") or ROOT.parent / "shared" / "data")
#: name -> import kind, source path under the shared data, shop.yml, scale factors, first/last plant start.
DATASETS: dict[str, dict] = {
    "online_retail": dict(kind="online_retail", src="online_retail/online_retail_I_2010-12_2011-12.csv.gz",
                          settings={"currency": "GBP", "country": "GB", "timezone": "Europe/London"},
                          factors=(1, 30), first="2011-02-01", last="2011-11-20"),
    "olist": dict(kind="olist", src="olist/sample_bravida",
                  settings={"currency": "BRL", "country": "BR", "timezone": "America/Sao_Paulo"},
                  factors=(1, 1000), first="2017-03-01", last="2018-08-10"),
    "superstore": dict(kind="superstore", src="superstore/superstore_orders.csv.gz",
                       settings={"currency": "USD", "country": "US", "timezone": "America/New_York"},
                       factors=(1, 1000), first="2011-03-01", last="2014-12-10"),
    "sample": dict(kind="sample", src=None, settings=None, factors=(1, 100), first="2023-03-01",
                   last="2025-12-05"),
}
WINDOWS = (7, 5, 10, 14)
STRESS_LIFTS = (0.2, 0.5, 1.0)
SNR = 12.0
#: The sample shop of the bench: seed 11 at scale 0.3 (about 320,000 order lines; every evaluation reloads it).
SAMPLE_SCALE = 0.3
MIN_GAP_DAYS = 90


def import_shop(name: str, work: Path) -> Path:
    """The data set imported into ``work/<name>/source`` (once), through the public import command."""
    spec = DATASETS[name]
    out = work / name / "source"
    if (out / "orders.parquet").is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    if spec["kind"] == "sample":
        from opslib.sample import generate

        generate(out=out, seed=11, scale=SAMPLE_SCALE, progress=False)
        return out
    src = SHARED / spec["src"]
    subprocess.run([sys.executable, "-m", "opslib", "import", spec["kind"], str(src), str(out)], check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)
    return out


def _scopes(cube: pd.DataFrame) -> list[str]:
    """Four largest categories, the best sellers (30% of its units) of the largest, and the whole shop, in planting order."""
    cats = cube.groupby("category")["units"].sum().sort_values(ascending=False)
    cats = [c for c in cats.index if "Uncategorised" not in str(c)][:4]
    if len(cats) < 4:  # Superstore has three categories: add its largest subcategories
        subs = cube.groupby("subcategory")["units"].sum().sort_values(ascending=False)
        cats += [s for s in subs.index if s not in cats][:4 - len(cats)]
    top = cube[cube["category"] == cats[0]].groupby("sku")["units"].sum().sort_values(ascending=False)
    best = top.index[: max(1, int((top.cumsum() <= 0.3 * top.sum()).sum()))]  # best sellers: 30% of its units
    skus = "sku:" + "|".join(map(str, best))
    return [f"category:{cats[0]}", f"category:{cats[1]}", skus, f"category:{cats[2]}", "all", f"category:{cats[3]}"]


def _busy(campaigns: pd.DataFrame | None, post_days: int = 14) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    if campaigns is None:
        return []
    return [(pd.Timestamp(a), pd.Timestamp(b) + pd.Timedelta(days=post_days))
            for a, b in zip(campaigns["start"], campaigns["end"], strict=True)]


def design(name: str, source: Path, n: int, stress: bool = False) -> list[list[Plant]]:
    """The plants of a data set, grouped into shop copies whose plants are >= 90 days apart."""
    spec = DATASETS[name]
    shop = load_shop(source, tables=["orders", "products", "campaigns"], validate=False)
    cube = daily_sku(shop.orders, shop.products)
    scopes = _scopes(cube)
    busy = _busy(shop.campaigns)
    first, last = pd.Timestamp(spec["first"]), pd.Timestamp(spec["last"])
    starts = pd.date_range(first, last, periods=n).normalize()
    spacing = (starts[1] - starts[0]).days if n > 1 else MIN_GAP_DAYS
    copies = max(1, math.ceil(MIN_GAP_DAYS / max(spacing, 1)))
    taken: list[list[tuple[pd.Timestamp, pd.Timestamp]]] = [[] for _ in range(copies)]  # plants per shop copy
    plants = []
    for i, start in enumerate(starts):
        days = WINDOWS[i % len(WINDOWS)]
        step = pd.Timedelta(days=1)
        clash = busy + taken[i % copies]
        while any(a <= start + pd.Timedelta(days=days + 13) and b >= start for a, b in clash):
            start += step  # the sample shop's own campaigns (and earlier plants): keep window and after-days clear
            if step.days > 0 and start + pd.Timedelta(days=days + 13) > last + pd.Timedelta(days=20):
                step, start = -step, starts[i]  # no room before the data end: look earlier instead (once)
        taken[i % copies].append((start, start + pd.Timedelta(days=days + 13)))
        scope = scopes[i % len(scopes)]
        if stress:
            uplift = STRESS_LIFTS[i % len(STRESS_LIFTS)]
        else:
            uplift = _sized_uplift(cube, shop.products, scope, start, days)
        plants.append(Plant(f"PLANT_{i + 1:02d}", scope, start, days, uplift))
    return [plants[c::copies] for c in range(copies)]


def _sized_uplift(cube: pd.DataFrame, products: pd.DataFrame, scope: str, start: pd.Timestamp, days: int) -> float:
    """``SNR x sd_window / baseline`` from the 56 unplanted days before ``start``, clipped to 0.25 .. 4."""
    from opslib.campaigns.table import Campaign, parse_scope, scope_skus

    kind, text = parse_scope(scope)
    names = tuple(text.split("|")) if text else ()
    skus = set(scope_skus(Campaign("x", "x", "other", start, start, 0.0, kind, names, 0.0), products))
    idx = pd.date_range(start - pd.Timedelta(days=56), start - pd.Timedelta(days=1))
    c = cube[cube["sku"].isin(skus)]
    y = c.groupby("date")["units"].sum().reindex(idx, fill_value=0).astype(float)
    resid = y - y.groupby(y.index.day_of_week).transform("mean")
    mean = float(y.mean())
    if mean <= 0:
        return 4.0
    u = SNR * float(resid.std()) * math.sqrt(days) / (mean * days)
    return float(np.clip(round(u * 20) / 20, 0.25, 4.0))


def evaluate(shop_dir: Path, campaign_id: str, use_subprocess: bool = False) -> dict:
    """``python -m opslib campaign evaluate SHOP --campaign ID --format json``, parsed (or the error)."""
    argv = ["campaign", "evaluate", str(shop_dir), "--campaign", campaign_id, "--format", "json"]
    if use_subprocess:
        p = subprocess.run([sys.executable, "-m", "opslib", *argv], capture_output=True, text=True, cwd=ROOT)
        code, out, err = p.returncode, p.stdout, p.stderr
    else:
        from opslib.__main__ import main

        buf, ebuf = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(ebuf):
            code = main(argv)
        out, err = buf.getvalue(), ebuf.getvalue()
    if code != 0:
        return {"error": err.strip()[:300], "exit": code}
    return json.loads(out)


def run(names: list[str], work: Path, n: int, stress: bool, use_subprocess: bool, factors: str = "all",
        second_factor_plants: int | None = None) -> pd.DataFrame:
    """Plant, evaluate and compare for every data set; one row per (plant, factor).

    ``second_factor_plants``: evaluate only that many plants (of the first shop copy) at the second factor.
    """
    rows = []
    for name in names:
        spec = DATASETS[name]
        source = import_shop(name, work)
        groups = design(name, source, n, stress)
        use = spec["factors"] if factors == "all" else spec["factors"][:1]
        for k in use:
            for g, plants in enumerate(groups):
                if k != use[0] and second_factor_plants is not None:
                    if g > 0:
                        continue
                    plants = plants[:second_factor_plants]
                shop_dir = work / name / f"{'stress' if stress else 'main'}_x{k}_{g}"
                truth = write_planted_shop(source, shop_dir, plants, factor=k, seed=g, settings=spec["settings"])
                for t, p in zip(truth.itertuples(index=False), plants, strict=True):
                    t0 = time.perf_counter()
                    r = evaluate(shop_dir, p.campaign_id, use_subprocess)
                    row = {"dataset": name, "factor": k, "campaign_id": p.campaign_id,
                           "scope": p.scope if not p.scope.startswith("sku:") else "sku:best sellers",
                           "days": p.days, "uplift": p.uplift, "level": t.level, "truth": t.uplift_units,
                           "pull_forward_truth": t.pull_forward_units, "seconds": time.perf_counter() - t0}
                    if "error" in r:
                        row["error"] = r["error"]
                    else:
                        row.update(estimate=r["incremental_units"], low=r["incremental_units_low"],
                                   high=r["incremental_units_high"], fit_mape_pre=r["fit_mape_pre"],
                                   fit_ok=r["fit_ok"], pull_forward=r["pull_forward_units"],
                                   pre_days=r["pre_days_used"], currency=r["currency"])
                    rows.append(row)
                    print(f"  {name} x{k} {p.campaign_id} {row['scope'][:28]:28s} truth {t.uplift_units:>12,.0f} "
                          f"estimate {row.get('estimate', float('nan')):>12,.0f} ({row['seconds']:.1f} s)"
                          + (f" ERROR {row['error'][:80]}" if "error" in row else ""), flush=True)
    df = pd.DataFrame(rows)
    for col in ("estimate", "low", "high", "fit_mape_pre"):
        if col not in df:
            df[col] = np.nan
    df["rel_error"] = df["estimate"] / df["truth"] - 1
    df["within_15"] = df["rel_error"].abs() <= 0.15
    df["covered"] = (df["low"] <= df["truth"]) & (df["truth"] <= df["high"])
    return df


def report(df: pd.DataFrame) -> str:
    """Markdown: per data set and factor, plus the scale-invariance check."""
    lines = ["| data set | factor | plants | level (units/day) | within ±15% | 90% interval covers | "
             "median abs error | fit MAPE (median) |", "|---|---|---|---|---|---|---|---|"]
    for (name, k), g in df.groupby(["dataset", "factor"], sort=False):
        lines.append(f"| {name} | x{k} | {len(g)} | {g['level'].min():,.1f} .. {g['level'].max():,.0f} | "
                     f"{g['within_15'].mean():.0%} | {g['covered'].mean():.0%} | "
                     f"{g['rel_error'].abs().median():.1%} | {g['fit_mape_pre'].median():.0%} |")
    base = df[df["factor"] == df.groupby("dataset")["factor"].transform("min")]
    lines.append(f"| **all, first factor** | | **{len(base)}** | {base['level'].min():,.1f} .. "
                 f"{base['level'].max():,.0f} | **{base['within_15'].mean():.0%}** | **{base['covered'].mean():.0%}** | "
                 f"{base['rel_error'].abs().median():.1%} | |")
    lines.append(f"| **all evaluations** | | **{len(df)}** | {df['level'].min():,.1f} .. {df['level'].max():,.0f} | "
                 f"**{df['within_15'].mean():.0%}** | **{df['covered'].mean():.0%}** | | |")
    wide = df.pivot_table(index=["dataset", "campaign_id"], columns="factor", values="rel_error")
    diffs = []
    for name, g in wide.groupby(level=0):
        ks = [k for k in DATASETS[name]["factors"] if k in g.columns]
        if len(ks) == 2:
            diffs.append((g[ks[1]] - g[ks[0]]).abs().max())
    if diffs:
        lines.append(f"\nScale invariance: largest difference of the relative error between the two factors of a "
                     f"plant: {max(diffs):.2e}.")
    return "\n".join(lines)


def _markdown(df: pd.DataFrame) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return "" if math.isnan(v) else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}")
        return str(v)

    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns)
    return head + "\n" + "\n".join("| " + " | ".join(cell(v) for v in r) + " |" for r in df.itertuples(index=False))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="*", default=list(DATASETS))
    ap.add_argument("--work", default="/tmp/bench_campaigns")
    ap.add_argument("--plants", type=int, default=12)
    ap.add_argument("--stress", action="store_true")
    ap.add_argument("--subprocess", action="store_true", help="run the command as a subprocess (slower)")
    ap.add_argument("--factors", choices=["all", "first"], default="all")
    args = ap.parse_args()
    if not SHARED.is_dir() and any(DATASETS[n]["kind"] != "sample" for n in args.datasets):
        print(f"the shared data folder {SHARED} is missing", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    df = run(args.datasets, Path(args.work), args.plants, args.stress, args.subprocess, args.factors)
    print(report(df))
    cols = ["dataset", "factor", "campaign_id", "scope", "days", "uplift", "level", "truth", "estimate", "low",
            "high", "rel_error", "within_15", "covered", "fit_mape_pre", "pull_forward_truth", "pull_forward"]
    first = df[df["factor"] == df.groupby("dataset")["factor"].transform("min")]
    print(_markdown(first[[c for c in cols if c in df]]))
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    path = results / f"campaigns_{'stress' if args.stress else 'main'}_{time.strftime('%Y%m%d_%H%M%S')}.csv"
    df.to_csv(path, index=False)
    print(f"\n{len(df)} evaluations in {time.perf_counter() - t0:.0f} s; rows in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
