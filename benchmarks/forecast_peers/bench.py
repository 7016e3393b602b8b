"""The forecasting peer bench in one command: set up the peers, build the series, run every method on the
same windows, score them with :mod:`protocol` and write one results table per set.

Usage (from the repository root, with opslib's ``.venv``)::

    .venv/bin/python benchmarks/forecast_peers/bench.py                 # everything (about 45 minutes on 1 core)
    .venv/bin/python benchmarks/forecast_peers/bench.py --quick         # 2 series per set, last origin only
    .venv/bin/python benchmarks/forecast_peers/bench.py --sets retail_total,superstore --methods r_ets,opslib_auto
    .venv/bin/python benchmarks/forecast_peers/bench.py --score-only    # re-score the forecasts already there

Methods (``METHODS``): R's forecast package (``r_ets``, ``r_auto_arima``, ``r_stlf``, ``r_tbats``; see
``run_r.R``), statsforecast (``sf_autoets``, ``sf_autoarima``, ``sf_mstl``, and on the intermittent sets
``sf_croston``, ``sf_sba``, ``sf_tsb``, ``sf_adida``; see ``run_statsforecast.py``), opslib
(``opslib_auto``, ``opslib_ets``, ``opslib_mstl``, ``opslib_sarimax``, ``opslib_snaive``; see
:func:`opslib_method`) and the bench's own seasonal naive (``snaive``). Every method runs on one core
(``OMP_NUM_THREADS=1`` and friends), one after the other.

Outputs in ``benchmarks/forecast_peers/results/`` (``results/quick/`` with ``--quick``; git-ignored):
``series.csv``, ``windows.csv``, ``forecasts/<set>/<method>.csv``, ``scores.csv`` (one row per window
and method), ``table_<set>.csv`` and ``.md`` (one row per method), ``summary.md`` (every set) and
``logs/<method>.log``. A re-run of some methods replaces only their forecast files; the tables are
rebuilt from every forecast file present for the windows of the run.

``--cap METHOD=N`` limits a slow method to the first N series of each set (the table says so in its
``windows`` column); defaults in ``CAPS``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
           "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import protocol  # noqa: E402
import series as series_mod  # noqa: E402

R_METHODS = {"r_ets": "ets", "r_auto_arima": "auto.arima", "r_stlf": "stlf", "r_tbats": "tbats"}
SF_METHODS = ("sf_autoets", "sf_autoarima", "sf_mstl", "sf_croston", "sf_sba", "sf_tsb", "sf_adida")
SF_INTERMITTENT = ("sf_croston", "sf_sba", "sf_tsb", "sf_adida")
OPSLIB_METHODS = ("opslib_auto", "opslib_ets", "opslib_mstl", "opslib_sarimax", "opslib_snaive",
                  # the models added with issue 12 (auto's candidates), so "best single opslib model" sees them all
                  "opslib_mstl_stable", "opslib_mstl_trend", "opslib_theta", "opslib_arima", "opslib_sba",
                  "opslib_tsb", "opslib_adida",
                  "opslib_croston", "opslib_level_ar", "opslib_harmonic")
METHODS = (*R_METHODS, *SF_METHODS, *OPSLIB_METHODS, "snaive")
#: Default caps (series per set) for slow methods; none is needed at today's sizes (see README).
CAPS: dict[str, int] = {}


# ------------------------------------------------------------------------------------------- opslib


def opslib_method(model: str) -> protocol.Method:
    """opslib's forecasts in the bench's interface (``auto`` = ``auto_forecast``, else ``fit_forecast``).

    Imports ``opslib.forecasting`` (the layout since the restructure) and, failing that, the flat modules
    of older checkouts (``opslib.forecast_models``, ``opslib.forecast_backtest``). The note
    records the model opslib actually used (``auto``: the candidate it chose; others: the fallback and
    its reason when the requested model could not be fitted).
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        from opslib.forecasting import auto_forecast, fit_forecast
    except ImportError:
        from opslib.forecast_backtest import auto_forecast
        from opslib.forecast_models import fit_forecast

    def method(y: pd.Series, h: int) -> pd.DataFrame:
        r = auto_forecast(y, horizon=h) if model == "auto" else fit_forecast(y, model, horizon=h)
        fc = r.forecast.reset_index(drop=True)
        out = pd.DataFrame({"mean": fc["mean"], "lo80": fc["lo_80"], "hi80": fc["hi_80"],
                            "lo95": fc["lo_95"], "hi95": fc["hi_95"]})
        if model == "auto":
            out.attrs["note"] = f"chose {r.extra.get('chosen', r.model)}: {r.reason}"[:300]
        elif r.model != model:
            out.attrs["note"] = f"fell back to {r.model}: {r.reason}"[:300]
        else:
            out.attrs["note"] = r.spec[:200]
        return out

    return method


def warm_up(method: protocol.Method) -> None:
    """One untimed call on a synthetic 120-day series, so the first window does not pay for lazy imports (as
    statsforecast's numba compilation and the R/Python start-up are not counted either)."""
    y = pd.Series(10 + np.arange(120) % 7, index=pd.date_range("2020-01-01", periods=120), dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        method(y, protocol.H)


def in_process_method(name: str) -> protocol.Method:
    """The callable of an in-process method (opslib's, or the bench's ``snaive``)."""
    if name == "snaive":
        return protocol.seasonal_naive
    return opslib_method(name.removeprefix("opslib_"))


# ----------------------------------------------------------------------------------------- running


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def setup(methods: list[str]) -> None:
    """Run ``setup_peers.sh`` for the peers among ``methods`` (idempotent, fast when already set up)."""
    args = []
    if not any(m in R_METHODS for m in methods):
        args.append("--no-r")
    if not any(m in SF_METHODS for m in methods):
        args.append("--no-statsforecast")
    if len(args) < 2:
        subprocess.run(["bash", str(HERE / "setup_peers.sh"), *args], check=True)


def capped(windows: pd.DataFrame, n: int | None) -> pd.DataFrame:
    """The windows of the first ``n`` series of each set (all when ``n`` is None)."""
    if n is None:
        return windows
    keep = windows[["set", "series_id"]].drop_duplicates().groupby("set", sort=False).head(n)
    return windows.merge(keep, on=["set", "series_id"])


def run_external(method: str, series_csv: Path, windows: pd.DataFrame, out_dir: Path, log_dir: Path) -> Path:
    """Run one R or statsforecast method in its own process; returns the raw forecasts file."""
    wfile = out_dir / f"windows_{method}.csv"
    windows.to_csv(wfile, index=False)
    raw = out_dir / f"raw_{method}.csv"
    if method in R_METHODS:
        cmd = ["Rscript", str(HERE / "run_r.R"), str(series_csv), str(wfile), str(raw), R_METHODS[method]]
    else:
        cmd = [str(HERE / ".venv" / "bin" / "python"), str(HERE / "run_statsforecast.py"), str(series_csv),
               str(wfile), str(raw), "--methods", method, "--intermittent", ",".join(sorted(series_mod.INTERMITTENT))]
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{method}.log", "w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    return raw


def store(forecasts: pd.DataFrame, method: str, out_dir: Path) -> None:
    """Split a method's forecasts by set into ``forecasts/<set>/<method>.csv``."""
    for st, g in forecasts.groupby("set", sort=False):
        d = out_dir / "forecasts" / str(st)
        d.mkdir(parents=True, exist_ok=True)
        g.to_csv(d / f"{method}.csv", index=False)


def load_forecasts(out_dir: Path, sets: list[str]) -> pd.DataFrame:
    parts = []
    for st in sets:
        for f in sorted((out_dir / "forecasts" / st).glob("*.csv")):
            parts.append(pd.read_csv(f, dtype={"set": str, "series_id": str, "origin": str, "date": str,
                                               "note": str}, keep_default_na=True))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=protocol.FORECAST_FILE_COLUMNS)


# ----------------------------------------------------------------------------------------- tables

LABELS = {
    "method": "method", "mase": "MASE", "mase_median": "MASE median", "mase_open": "MASE open days",
    "wape_open": "WAPE open days", "smape": "sMAPE %", "wape": "WAPE", "cov80": "cov 80", "cov95": "cov 95",
    "bias": "bias", "sec_per_fit": "s / fit", "windows": "windows", "failed": "failed", "fallbacks": "fallbacks",
}


def table(summary: pd.DataFrame, scores: pd.DataFrame, st: str) -> pd.DataFrame:
    """The results table of one set: one row per method, sorted by mean MASE; ``fallbacks`` counts the
    windows where an opslib model fell back to another one."""
    t = summary[summary["set"] == st].drop(columns="set").copy()
    sc = scores[scores["set"] == st]
    fb = sc.groupby("method")["note"].apply(lambda s: int(s.fillna("").str.startswith("fell back").sum()))
    t["fallbacks"] = t["method"].map(fb).fillna(0).astype(int)
    if "mase_open" in t and sc.get("mase_open") is not None and (sc["mase_open"] != sc["mase"]).sum() == 0:
        t = t.drop(columns=[c for c in ("mase_open", "wape_open") if c in t])
    return t.reset_index(drop=True)


def overview(summary: pd.DataFrame, sets: list[str]) -> pd.DataFrame:
    """Per set: the best peer by mean MASE, opslib ``auto`` and the best opslib model, and their ratios.

    Columns: ``set``, ``best_peer``, ``peer_mase``, ``opslib_auto``, ``auto_vs_peer`` (= opslib_auto /
    peer_mase; below 1 means opslib's ``auto`` is the more accurate), ``best_opslib``, ``opslib_mase``.
    """
    rows = []
    for st in sets:
        t = summary[summary["set"] == st]
        peers = t[t["method"].str.startswith(("r_", "sf_"))].dropna(subset=["mase"])
        ops = t[t["method"].str.startswith("opslib_")].dropna(subset=["mase"])
        if t.empty:
            continue
        best_peer = peers.nsmallest(1, "mase")
        best_ops = ops.nsmallest(1, "mase")
        auto = t.loc[t["method"] == "opslib_auto", "mase"]
        row = {"set": st,
               "best_peer": best_peer["method"].iloc[0] if len(best_peer) else None,
               "peer_mase": float(best_peer["mase"].iloc[0]) if len(best_peer) else float("nan"),
               "opslib_auto": float(auto.iloc[0]) if len(auto) else float("nan"),
               "best_opslib": best_ops["method"].iloc[0] if len(best_ops) else None,
               "opslib_mase": float(best_ops["mase"].iloc[0]) if len(best_ops) else float("nan")}
        row["auto_vs_peer"] = row["opslib_auto"] / row["peer_mase"] if row["peer_mase"] > 0 else float("nan")
        rows.append(row)
    cols = ["set", "best_peer", "peer_mase", "opslib_auto", "auto_vs_peer", "best_opslib", "opslib_mase"]
    return pd.DataFrame(rows, columns=cols)


def overview_markdown(o: pd.DataFrame) -> str:
    lines = ["| set | best peer | its MASE | opslib auto MASE | auto / best peer | best opslib model | its MASE |",
             "|---|---|---|---|---|---|---|"]

    def f(v: float) -> str:
        return "—" if pd.isna(v) else f"{v:.3f}"

    for r in o.itertuples(index=False):
        lines.append(f"| {r.set} | {r.best_peer or '—'} | {f(r.peer_mase)} | {f(r.opslib_auto)} | "
                     f"{f(r.auto_vs_peer)} | {r.best_opslib or '—'} | {f(r.opslib_mase)} |")
    return "\n".join(lines)


def to_markdown(t: pd.DataFrame) -> str:
    cols = [c for c in LABELS if c in t]
    fmt = {"smape": "{:.1f}", "sec_per_fit": "{:.2f}", "windows": "{:d}", "failed": "{:d}", "fallbacks": "{:d}"}
    lines = ["| " + " | ".join(LABELS[c] for c in cols) + " |", "|" + "---|" * len(cols)]
    for r in t.itertuples(index=False):
        cells = []
        for c in cols:
            v = getattr(r, c)
            if c == "method":
                cells.append(str(v))
            elif pd.isna(v):
                cells.append("—")
            else:
                cells.append(fmt.get(c, "{:.3f}").format(int(v) if fmt.get(c) == "{:d}" else v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def describe_set(series: pd.DataFrame, windows: pd.DataFrame, st: str) -> str:
    s = series[series["set"] == st]
    w = windows[windows["set"] == st]
    n = s["series_id"].nunique()
    closed = int(s.groupby("series_id")["closed"].sum().max()) if "closed" in s else 0
    txt = (f"{n} series, {s['date'].min()} to {s['date'].max()}, {len(w)} windows "
           f"(origins {', '.join(sorted(w['origin'].unique()))}), training {w['n_train'].min()}-{w['n_train'].max()} days")
    return txt + (f"; {closed} closed days (scored as 0; 'open days' columns leave them out)" if closed else "")


# ------------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Forecasting peer bench (issue 12).")
    p.add_argument("--sets", default=",".join(series_mod.SETS), help=f"comma-separated, from {list(series_mod.SETS)}")
    p.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated, from {list(METHODS)}")
    p.add_argument("--quick", action="store_true", help="2 series per set, last origin only, into results/quick/")
    p.add_argument("--cap", action="append", default=[], metavar="METHOD=N", help="first N series per set only")
    p.add_argument("--skip-setup", action="store_true", help="do not run setup_peers.sh")
    p.add_argument("--reuse-series", action="store_true", help="reuse results/series.csv if it has the sets")
    p.add_argument("--score-only", action="store_true", help="no forecasting: re-score what is there")
    p.add_argument("--out", default=None, help="results folder (default results/ or results/quick/)")
    p.add_argument("--shift", type=int, default=0,
                   help="move every origin this many 28-day windows back (out-of-sample checks; use with --out)")
    a = p.parse_args(argv)
    sets = [s for s in a.sets.split(",") if s]
    methods = [m for m in a.methods.split(",") if m]
    bad = [m for m in methods if m not in METHODS] + [s for s in sets if s not in series_mod.SETS]
    if bad:
        p.error(f"unknown method or set {bad}; methods: {list(METHODS)}; sets: {list(series_mod.SETS)}")
    caps = dict(CAPS)
    for c in a.cap:
        m, _, n = c.partition("=")
        caps[m] = int(n)
    out = Path(a.out) if a.out else HERE / "results" / ("quick" if a.quick else "")
    out.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()

    series_csv = out / "series.csv"
    if (a.reuse_series or a.score_only) and series_csv.exists() and set(sets) <= set(
            pd.read_csv(series_csv, usecols=["set"])["set"].unique()):
        _log(f"series: reusing {series_csv}")
    else:
        _log(f"series: building {sets}")
        df = series_mod.build(sets)
        if series_csv.exists():  # keep the other sets already built
            old = pd.read_csv(series_csv, dtype={"series_id": str, "date": str})
            df = pd.concat([old[~old["set"].isin(df["set"].unique())], df], ignore_index=True)
        df.to_csv(series_csv, index=False)
    series = pd.read_csv(series_csv, dtype={"set": str, "series_id": str, "date": str})
    if a.quick:
        keep = series[["set", "series_id"]].drop_duplicates().groupby("set", sort=False).head(2)
        series = series.merge(keep, on=["set", "series_id"])
    windows = protocol.windows_table(series[series["set"].isin(sets)], shift=a.shift)
    if a.quick:
        windows = windows.groupby(["set", "series_id"], sort=False).tail(1)
    windows.to_csv(out / "windows.csv", index=False)
    run_series = out / "series_run.csv"
    series.to_csv(run_series, index=False)
    _log(f"{len(windows)} windows over {windows[['set', 'series_id']].drop_duplicates().shape[0]} series")

    if not a.score_only:
        if not a.skip_setup:
            setup(methods)
        for m in methods:
            w = capped(windows, caps.get(m))
            if m in SF_INTERMITTENT:
                w = w[w["set"].isin(series_mod.INTERMITTENT)]
            if w.empty:
                continue
            t0 = time.perf_counter()
            _log(f"{m}: {len(w)} windows ...")
            if m in R_METHODS or m in SF_METHODS:
                raw = run_external(m, run_series, w, out, out / "logs")
                fc = pd.read_csv(raw, dtype={"set": str, "series_id": str, "origin": str, "date": str, "note": str})
                fc["method"] = m
            else:
                (out / "logs").mkdir(exist_ok=True)
                method = in_process_method(m)
                warm_up(method)
                with open(out / "logs" / f"{m}.log", "w") as log:
                    fc = protocol.run_method(method, m, series, w,
                                             progress=lambda s, log=log: print(s, file=log, flush=True))
            store(fc, m, out)
            _log(f"{m}: done in {time.perf_counter() - t0:.0f}s")

    fcs = load_forecasts(out, sets)
    fcs = fcs.merge(windows[["set", "series_id", "origin"]], on=["set", "series_id", "origin"])
    scores = protocol.score(fcs, series, windows)
    scores.to_csv(out / "scores.csv", index=False)
    summary = protocol.summarise(scores)
    md = [f"# Forecasting peer bench results ({'quick' if a.quick else 'full'} run)", "",
          f"h = {protocol.H} days, {protocol.N_ORIGINS if not a.quick else 1} rolling origin(s), MASE with lag-7 "
          "in-sample scaling, means and bounds clipped at 0. Generated by `bench.py`.", ""]
    ov = overview(summary, sets)
    ov.to_csv(out / "overview.csv", index=False)
    md += ["## Overview (mean MASE)", "", overview_markdown(ov), ""]
    for st in sets:
        if st not in set(summary["set"]):
            continue
        t = table(summary, scores, st)
        t.to_csv(out / f"table_{st}.csv", index=False)
        body = f"## {st}\n\n{describe_set(series, windows, st)}\n\n{to_markdown(t)}\n"
        (out / f"table_{st}.md").write_text(body, encoding="utf-8")
        md.append(body)
    (out / "summary.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))
    _log(f"total {time.perf_counter() - t_all:.0f}s; results in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
