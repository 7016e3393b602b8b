"""Benchmark: opslib's BG/NBD and Gamma-Gamma (opslib.customers.clv) against the ``lifetimes`` package.

Both fit the *same* customer tables, built by ``opslib.customers.rfm_summary``:

* CDNOW full master (23,570 customers; ``../shared/data/cdnow``), 39-week calibration to 1997-09-30,
  weekly unit, holdout to 1998-06-30;
* CDNOW sample (the 2,357 customers of Fader, Hardie & Lee 2005, rebuilt from the master with
  ``tests/customers/cdnow_sample_ids.txt``);
* 100,000 synthetic customers drawn from the BG/NBD process with known parameters (r = 0.243, α = 4.414,
  a = 0.793, b = 2.426; T uniform over 27-39 weeks like the CDNOW cohort; 39-week holdout).

It prints the parameters side by side with relative differences, the holdout MAE per customer of both
(E[Y(t) | x, t_x, T] against the holdout purchases), the fit times (best of 3) and their ratio, and the
recovery of the synthetic parameters. ``lifetimes`` is not an opslib dependency: it lives in its own
virtual environment ``benchmarks/.venv-clv`` (ignored by git), made by::

    .venv/bin/python benchmarks/bench_clv.py --setup      # python -m venv + pip install lifetimes==0.11.3
    .venv/bin/python benchmarks/bench_clv.py              # the benchmark (runs the peer in that venv)

The peer side runs as ``benchmarks/.venv-clv/bin/python benchmarks/bench_clv.py --peer DIR``, which imports
only numpy, pandas and lifetimes. Without the venv the benchmark prints opslib's side only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = HERE / ".venv-clv"
PEER_PY = VENV / "bin" / "python"
CDNOW = Path(os.environ.get("OPSLIB_SHARED_DATA") or ROOT.parent / "shared" / "data") / "cdnow" / "cdnow_master.csv.gz"
SAMPLE_IDS = ROOT / "tests" / "customers" / "cdnow_sample_ids.txt"
TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
BG = ["r", "alpha", "a", "b"]
GG = ["p", "q", "gamma"]
PEER_REQUIREMENTS = ["lifetimes==0.11.3", "pyarrow"]


def setup() -> int:
    """Create benchmarks/.venv-clv with lifetimes (its own numpy/pandas/scipy/autograd)."""
    subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
    subprocess.check_call([str(PEER_PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    subprocess.check_call([str(PEER_PY), "-m", "pip", "install", "--quiet", *PEER_REQUIREMENTS])
    print(f"lifetimes installed in {VENV}")
    return 0


def _best_of(fn, repeat: int = 3) -> tuple[object, float]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


# ------------------------------------------------------------------------------------------------ peer side


def peer(folder: Path) -> int:
    """Fit lifetimes on every table in ``folder`` (written by the opslib side); write peer.json."""
    import numpy as np
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.version import __version__

    out = {"version": __version__}
    for path in sorted(folder.glob("*.parquet")):
        s = pd.read_parquet(path)
        res = {}

        def fit_bg(s=s):
            return BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])

        bgf, res["bg_seconds"] = _best_of(fit_bg)
        res["bg"] = {k: float(bgf.params_[k]) for k in BG}
        # lifetimes minimises the mean NLL on time x _scale; back to the table's unit: ln L = ln L' + x ln(scale)
        res["bg_loglik"] = float(-bgf._negative_log_likelihood_ * len(s) + s["frequency"].sum() * np.log(bgf._scale))
        if "frequency_holdout" in s:
            pred = bgf.conditional_expected_number_of_purchases_up_to_time(
                s["duration_holdout"].to_numpy(), s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy())
            res["mae"] = float(np.mean(np.abs(np.asarray(pred) - s["frequency_holdout"].to_numpy())))
            res["total_predicted"] = float(np.sum(pred))
        if "monetary_value" in s:
            rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]

            def fit_gg(rep=rep):
                return GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])

            ggf, res["gg_seconds"] = _best_of(fit_gg)
            res["gg"] = {"p": float(ggf.params_["p"]), "q": float(ggf.params_["q"]), "gamma": float(ggf.params_["v"])}
        out[path.stem] = res
        print(f"peer: {path.stem} done", flush=True)
    (folder / "peer.json").write_text(json.dumps(out, indent=2))
    return 0


# ------------------------------------------------------------------------------------------------ our side


def tables(folder: Path) -> dict[str, object]:
    """Write the three customer tables as Parquet into ``folder``; return them."""
    import numpy as np
    import pandas as pd

    from opslib.customers import rfm_summary
    from opslib.customers.clv import _simulate_bgnbd

    out = {}
    if CDNOW.exists():
        m = pd.read_csv(CDNOW, dtype={"customer_id": str})
        m["date"] = pd.to_datetime(m["date"].astype(str), format="%Y%m%d")
        ids = [ln.strip() for ln in SAMPLE_IDS.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        for name, frame in (("cdnow_full", m), ("cdnow_sample", m[m["customer_id"].isin(ids)])):
            s, sec = _best_of(lambda frame=frame: rfm_summary(frame, "customer_id", "date", "dollar_value",
                                                              calibration_end="1997-09-30",
                                                              observation_end="1998-06-30", freq="W"), 1)
            print(f"rfm_summary {name}: {len(s):,} customers in {sec:.2f} s")
            out[name] = s
    else:
        print(f"CDNOW not found at {CDNOW}: synthetic data only")
    rng = np.random.default_rng(20260101)
    n = 100_000
    out["synthetic_100k"] = _simulate_bgnbd(rng, n, **TRUE, T=rng.uniform(27.0, 39.0, n), t_holdout=39.0)
    for name, s in out.items():
        s.to_parquet(folder / f"{name}.parquet", index=False)
    return out


def ours(data: dict) -> dict:
    import warnings

    import numpy as np

    from opslib.customers import fit_bgnbd, fit_gamma_gamma, holdout_evaluation

    out = {}
    for name, s in data.items():
        res = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bg, res["bg_seconds"] = _best_of(lambda s=s: fit_bgnbd(s))
        res["bg"] = bg.params
        res["bg_se"] = bg.se
        res["bg_loglik"] = bg.loglik
        ev = holdout_evaluation(bg, s)
        res["mae"] = ev.mae
        res["total_predicted"] = ev.total_predicted
        res["total_actual"] = ev.total_actual
        if "monetary_value" in s:
            rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
            gg, res["gg_seconds"] = _best_of(lambda rep=rep: fit_gamma_gamma(rep))
            res["gg"] = gg.params
        out[name] = res
        print(f"opslib: {name} done ({len(s):,} customers)", flush=True)
    del np
    return out


def report(mine: dict, theirs: dict | None) -> None:
    def rel(a: float, b: float) -> str:
        return f"{(a / b - 1) * 100:+.4f}%"

    version = theirs.get("version", "?") if theirs else None
    for name, res in mine.items():
        peer_res = theirs.get(name) if theirs else None
        print(f"\n## {name}")
        print("| parameter | opslib | lifetimes | relative difference | truth |" if name.startswith("synth")
              else "| parameter | opslib | lifetimes | relative difference |")
        print("|---|---|---|---|" + ("---|" if name.startswith("synth") else ""))
        for group in ("bg", "gg"):
            for k, v in res.get(group, {}).items():
                pv = peer_res[group][k] if peer_res and group in peer_res else float("nan")
                line = f"| {k} | {v:.6g} | {pv:.6g} | {rel(v, pv) if peer_res else '-'} |"
                if name.startswith("synth"):
                    line += f" {TRUE[k]} (opslib {rel(v, TRUE[k])}, ±{res['bg_se'][k]:.3g} SE) |"
                print(line)
        print(f"log-likelihood: opslib {res['bg_loglik']:.4f}"
              + (f", lifetimes {peer_res['bg_loglik']:.4f}" if peer_res else ""))
        print(f"holdout MAE per customer: opslib {res['mae']:.5f}" + (f", lifetimes {peer_res['mae']:.5f}" if peer_res else "")
              + f"; total holdout purchases actual {res['total_actual']:.0f}, predicted opslib {res['total_predicted']:.1f}"
              + (f", lifetimes {peer_res['total_predicted']:.1f}" if peer_res else ""))
        line = f"BG/NBD fit (best of 3): opslib {res['bg_seconds']:.3f} s"
        if peer_res:
            line += (f", lifetimes {version} {peer_res['bg_seconds']:.3f} s, "
                     f"ratio opslib/lifetimes {res['bg_seconds'] / peer_res['bg_seconds']:.3f}x")
        print(line)
        if "gg_seconds" in res:
            line = f"Gamma-Gamma fit: opslib {res['gg_seconds']:.3f} s"
            if peer_res and "gg_seconds" in peer_res:
                line += f", lifetimes {peer_res['gg_seconds']:.3f} s, ratio {res['gg_seconds'] / peer_res['gg_seconds']:.3f}x"
            print(line)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--setup", action="store_true", help="create benchmarks/.venv-clv with lifetimes and exit")
    ap.add_argument("--peer", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.setup:
        return setup()
    if args.peer:
        return peer(args.peer)
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench_clv_") as tmp:
        folder = Path(tmp)
        data = tables(folder)
        theirs = None
        if PEER_PY.exists():
            subprocess.check_call([str(PEER_PY), str(Path(__file__).resolve()), "--peer", str(folder)])
            theirs = json.loads((folder / "peer.json").read_text())
        else:
            print(f"no {VENV}: run `{sys.executable} benchmarks/bench_clv.py --setup` for the lifetimes side")
        mine = ours(data)
    report(mine, theirs)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "clv.json").write_text(json.dumps({"opslib": mine, "lifetimes": theirs}, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
