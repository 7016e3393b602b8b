"""Replay ``auto``'s choice offline: compare candidate pools, backtest origins and combination rules on the
bench's windows without re-fitting for every variant.

Two steps (from the repository root, after a bench run wrote ``results/series_run.csv`` and ``windows.csv``)::

    nice .venv/bin/python benchmarks/forecast_peers/replay_auto.py cache --sets retail_total,olist_total
    nice .venv/bin/python benchmarks/forecast_peers/replay_auto.py rules

``cache``: for every bench window (the history up to its origin only), every candidate of ``UNION`` is fitted
on that history (its forecast and configuration, as ``auto`` does) and re-fitted with that configuration at
the inner origins ``n - k * 28``, ``k = 1..6``; one pickle per window in ``results/replay/``. ``rules``: for each
variant of ``VARIANTS`` (pool per demand class, ``K`` most recent inner origins, ``top`` candidates, weighting,
calibration) the combined, calibrated forecast of every window, scored as the bench scores (``protocol``):
mean MASE, 80% and 95% coverage per set. The variant ``current`` reproduces ``auto`` (checked against the
bench's ``opslib_auto`` on 2026-12-01: the same MASE to three decimals on all six sets, coverage within 0.001;
again after the third pass, with the calibration by three runs of steps). A candidate added to ``UNION`` is
fitted into the existing cache files without re-fitting the others.
Nothing after a window's origin is used.

Out of sample (fourth pass): ``bench.py --shift 3 --out results/shift3 --methods opslib_auto`` writes earlier windows,
then ``cache --results results/shift3 --inner 3 --union ...`` and ``rules --results results/shift3`` replay the rules
there. ``weighting="series"`` is ``auto``'s per-series rule (:func:`replay`; ``NEW`` with the ``level_ar`` gate).
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import warnings
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import protocol  # noqa: E402

from opslib.forecasting.auto import (  # noqa: E402
    INTERMITTENT_POOL,
    SMOOTH_POOL,
    YEARLY_ONLY,
    _calibrate,
    _combine,
    _weights,
)
from opslib.forecasting.closures import infer_closures  # noqa: E402
from opslib.forecasting.decomposition import usable_periods  # noqa: E402
from opslib.forecasting.intermittent import demand_class  # noqa: E402
from opslib.forecasting.metrics import mase_scale  # noqa: E402
from opslib.forecasting.models import _z, apply_closures, fit_forecast, make_model  # noqa: E402

UNION = ("mstl_stable", "mstl", "mstl_trend", "ets", "adida", "tsb", "sba", "croston", "theta", "level_ar",
         "harmonic")
H = protocol.H
#: The fourth pass's pools (before ``harmonic`` joined both, fifth pass).
SMOOTH4 = tuple(c for c in SMOOTH_POOL if c != "harmonic")
INTER4 = tuple(c for c in INTERMITTENT_POOL if c != "harmonic")
#: The fourth pass's rule (``auto`` since): level_ar gated per series by the combination it improves (2% margin),
#: then the median or the weighted mean, whichever backtests better.
NEW = {"weighting": "series", "extra": ("level_ar",), "gate": "comb", "margin": 0.02}
#: name -> (smooth pool, intermittent pool, rule settings). ``before`` is the pools of the 12:33 run.
VARIANTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], dict]] = {
    "current": (SMOOTH_POOL, INTERMITTENT_POOL, {}),
    "before": (("mstl_stable", "mstl", "mstl_trend", "ets", "adida", "tsb"),
               ("sba", "tsb", "adida", "ets", "mstl_stable"), {}),
    "current K=5": (SMOOTH_POOL, INTERMITTENT_POOL, {"K": 5}),
    "current top=5": (SMOOTH_POOL, INTERMITTENT_POOL, {"top": 5}),
    "current median of 3": (SMOOTH_POOL, INTERMITTENT_POOL, {"weighting": "median"}),
    "all candidates": (UNION, UNION, {}),
    "+level_ar": (SMOOTH_POOL + ("level_ar",), INTERMITTENT_POOL, {"blocks": 1, "target": "atleast"}),
    "+level_ar both": (SMOOTH_POOL + ("level_ar",), INTERMITTENT_POOL + ("level_ar",),
                       {"blocks": 1, "target": "atleast"}),
    "pooled calibration (2nd pass)": (SMOOTH_POOL, INTERMITTENT_POOL, {"blocks": 1, "target": "atleast"}),
    "calib nearest": (SMOOTH_POOL, INTERMITTENT_POOL, {"blocks": 1, "target": "nearest"}),
    "calib 4 blocks": (SMOOTH_POOL, INTERMITTENT_POOL, {"blocks": 4, "target": "atleast"}),
    "calib 2 blocks": (SMOOTH_POOL, INTERMITTENT_POOL, {"blocks": 2, "target": "atleast"}),
    "calib 4 blocks nearest": (SMOOTH_POOL, INTERMITTENT_POOL, {"blocks": 4, "target": "nearest"}),
    "calib K=6 4 blocks": (SMOOTH_POOL, INTERMITTENT_POOL, {"blocks": 4, "K": 6, "target": "atleast"}),
    "calib conformal": (SMOOTH_POOL, INTERMITTENT_POOL, {"blocks": 1, "target": "conformal"}),
    "calib 3 blocks": (SMOOTH_POOL, INTERMITTENT_POOL, {"blocks": 3, "target": "atleast"}),
    "calib 2 blocks conformal": (SMOOTH_POOL, INTERMITTENT_POOL, {"blocks": 2, "target": "conformal"}),
    "calib 4 blocks conformal": (SMOOTH_POOL, INTERMITTENT_POOL, {"blocks": 4, "target": "conformal"}),
    "+level_ar 4 blocks conformal": (SMOOTH_POOL + ("level_ar",), INTERMITTENT_POOL,
                                      {"blocks": 4, "target": "conformal"}),
    "median or weighted by inner backtest": (SMOOTH_POOL, INTERMITTENT_POOL, {"weighting": "choose"}),
    "best single or weighted by inner backtest": (SMOOTH_POOL, INTERMITTENT_POOL, {"weighting": "best"}),
    "+level_ar 4 blocks": (SMOOTH_POOL + ("level_ar",), INTERMITTENT_POOL, {"blocks": 4}),
    "+level_ar 3 blocks": (SMOOTH_POOL + ("level_ar",), INTERMITTENT_POOL, {}),
    "+level_ar 4 blocks nearest": (SMOOTH_POOL + ("level_ar",), INTERMITTENT_POOL, {"blocks": 4, "target": "nearest"}),
    "+level_ar 2 blocks conformal": (SMOOTH_POOL + ("level_ar",), INTERMITTENT_POOL,
                                     {"blocks": 2, "target": "conformal"}),
    "+level_ar 4 blocks conformal floor 0.8": (SMOOTH_POOL + ("level_ar",), INTERMITTENT_POOL,
                                               {"blocks": 4, "target": "conformal", "floor": 0.8}),
    "+level_ar conformal floor 0.8": (SMOOTH_POOL + ("level_ar",), INTERMITTENT_POOL,
                                      {"target": "conformal", "floor": 0.8}),
    "series: median or weighted": (SMOOTH_POOL, INTERMITTENT_POOL, {"weighting": "series"}),
    "fourth pass": (SMOOTH4, INTER4, {"weighting": "series"}),
    "calib + a year earlier": (SMOOTH_POOL, INTERMITTENT_POOL, {"weighting": "series", "calib_year": True}),
    "calib + a year earlier floor 0.5": (SMOOTH_POOL, INTERMITTENT_POOL, {"weighting": "series", "calib_year": True,
                                                                           "floor": 0.5}),
    "calib + a year earlier with a year before it": (SMOOTH_POOL, INTERMITTENT_POOL,
                                                     {"weighting": "series", "calib_year": True, "year_min": 364}),
    "fifth pass": (SMOOTH_POOL, INTERMITTENT_POOL, {"weighting": "series", "calib_year": True, "year_min": 364}),
    "fifth pass class on 182 days": (SMOOTH_POOL, INTERMITTENT_POOL, {"weighting": "series", "calib_year": True,
                                                                      "year_min": 364, "cls_days": 182}),
    "fifth pass class on 365 days": (SMOOTH_POOL, INTERMITTENT_POOL, {"weighting": "series", "calib_year": True,
                                                                      "year_min": 364, "cls_days": 365}),
    "fifth pass +ets_h": (SMOOTH_POOL + ("ets_h",), INTERMITTENT_POOL + ("ets_h",),
                          {"weighting": "series", "calib_year": True, "year_min": 364}),
    "fifth pass +all _h": (SMOOTH_POOL + ("ets_h", "tsb_h", "adida_h"),
                           INTERMITTENT_POOL + ("ets_h", "sba_h", "tsb_h", "adida_h", "croston_h"),
                           {"weighting": "series", "calib_year": True, "year_min": 364}),
    "calib + a year earlier pooled": (SMOOTH_POOL, INTERMITTENT_POOL, {"weighting": "series", "calib_year": True,
                                                                        "blocks": 1}),
    "series: +level_ar gate 0": (SMOOTH_POOL, INTERMITTENT_POOL, {"weighting": "series", "extra": ("level_ar",)}),
    "series: +level_ar gate 0.05": (SMOOTH_POOL, INTERMITTENT_POOL,
                                    {"weighting": "series", "extra": ("level_ar",), "margin": 0.05}),
    "series: +level_ar gate 0.10": (SMOOTH_POOL, INTERMITTENT_POOL,
                                    {"weighting": "series", "extra": ("level_ar",), "margin": 0.10}),
    "series: +level_ar gate 0.05 inv only": (SMOOTH_POOL, INTERMITTENT_POOL,
                                             {"weighting": "series", "extra": ("level_ar",), "margin": 0.05,
                                              "kinds": ("inv",)}),
    "series: +level_ar gate 0.05 inv-median-single": (SMOOTH_POOL, INTERMITTENT_POOL,
                                                       {"weighting": "series", "extra": ("level_ar",),
                                                        "margin": 0.05, "kinds": ("inv", "median", "single")}),
    "series: +level_ar comb gate 0": (SMOOTH_POOL, INTERMITTENT_POOL,
                                       {"weighting": "series", "extra": ("level_ar",), "gate": "comb"}),
    "series: +level_ar comb gate 0.02": (SMOOTH_POOL, INTERMITTENT_POOL,
                                          {"weighting": "series", "extra": ("level_ar",), "gate": "comb",
                                           "margin": 0.02}),
    "series: +level_ar comb gate 0.05": (SMOOTH_POOL, INTERMITTENT_POOL,
                                          {"weighting": "series", "extra": ("level_ar",), "gate": "comb",
                                           "margin": 0.05}),
    "series: +level_ar comb gate 0.10": (SMOOTH_POOL, INTERMITTENT_POOL,
                                          {"weighting": "series", "extra": ("level_ar",), "gate": "comb",
                                           "margin": 0.10}),
    "new": (SMOOTH_POOL, INTERMITTENT_POOL, NEW),
    "new calib pooled": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "blocks": 1}),
    "new calib 2 blocks": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "blocks": 2}),
    "new calib K=6": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "calib_k": 6}),
    "new calib K=6 pooled": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "calib_k": 6, "blocks": 1}),
    "new calib K=6 2 blocks": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "calib_k": 6, "blocks": 2}),
    "new calib floor 0": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "floor": 0.0}),
    "new calib floor 0.5": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "floor": 0.5}),
    "new calib K=6 floor 0.5": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "calib_k": 6, "floor": 0.5}),
    "new calib floor 0.75": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "floor": 0.75}),
    "new calib floor 0.9": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "floor": 0.9}),
    "new calib nearest": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "target": "nearest"}),
    "new calib nearest pooled": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "target": "nearest", "blocks": 1}),
    "new or single best": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "kinds": ("inv", "median", "single")}),
    "new top 2": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "top": 2}),
    "new top 4": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "top": 4}),
    "new calib conformal": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "target": "conformal"}),
    "new calib K=6 conformal": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "calib_k": 6, "target": "conformal"}),
    "new no calibration": (SMOOTH_POOL, INTERMITTENT_POOL, {**NEW, "calib": False}),
    "series +harmonic smooth": (SMOOTH4 + ("harmonic",), INTER4, {"weighting": "series"}),
    "series +harmonic both": (SMOOTH4 + ("harmonic",), INTER4 + ("harmonic",),
                              {"weighting": "series"}),
    "series harmonic for mstl_trend": (tuple("harmonic" if c == "mstl_trend" else c for c in SMOOTH4),
                                       INTER4, {"weighting": "series"}),
    "series harmonic for mstl_trend +both": (tuple("harmonic" if c == "mstl_trend" else c for c in SMOOTH4),
                                              INTER4 + ("harmonic",), {"weighting": "series"}),
    "series +harmonic gate 0.02": (SMOOTH4, INTER4,
                                   {"weighting": "series", "extra": ("harmonic",), "gate": "comb", "margin": 0.02}),
    "series +harmonic gate 0": (SMOOTH4, INTER4,
                                {"weighting": "series", "extra": ("harmonic",), "gate": "comb"}),
    "+level_ar both 4 blocks conformal": (SMOOTH_POOL + ("level_ar",), INTERMITTENT_POOL + ("level_ar",),
                                           {"blocks": 4, "target": "conformal"}),
}


def cache(sets: list[str], res: Path, union: tuple[str, ...] = UNION, inner: int = 6, yearback: bool = False) -> None:
    """Fit every candidate of ``union`` at each window's origin and at its ``inner`` inner origins; pickle per
    window. ``yearback``: instead, fit the candidates already cached at the origin ``n - 364`` (the same weeks a
    year before the window, fifth pass) where the history before it is long enough, into ``rec["year"]``."""
    if yearback:
        return _cache_yearback(sets, res)
    series = pd.read_csv(res / "series_run.csv", dtype={"set": str, "series_id": str, "date": str})
    windows = pd.read_csv(res / "windows.csv", dtype={"set": str, "series_id": str, "origin": str})
    out = res / "replay"
    out.mkdir(exist_ok=True)
    for w in protocol.iter_windows(series[series.set.isin(sets)], windows[windows.set.isin(sets)]):
        f = out / f"{w.set}__{w.series_id}__{w.origin.date()}.pkl".replace("/", "_")
        y = pd.Series(w.train, dtype=float).dropna()
        n = len(y)
        if f.exists():  # a candidate added to UNION since: fit only that one into the existing cache
            with open(f, "rb") as fh:
                rec = pickle.load(fh)
            cl = rec["closures"]
            rec.setdefault("tried", list(UNION[:9]))  # caches written before "tried": the first nine were fitted
        else:
            cl = infer_closures(y, None)
            open_days = None if cl.empty else ~cl.is_closed(y.index)
            rec = {"set": w.set, "n": n, "cls": demand_class(y.to_numpy(), open_days)["class"], "closures": cl,
                   "y": y, "actual": np.asarray(w.test, float), "final": {}, "inner": {},
                   "origins": sorted(o for o in {n - k * H for k in range(1, inner + 1)} if o >= 28)}
        todo = [c for c in union if c not in rec["final"] and c not in rec.setdefault("tried", [])]
        if not todo:
            continue
        for c in todo:
            rec["tried"].append(c)
            if make_model(c).min_length("D") > n:
                continue
            r = fit_forecast(y, c, H, closures=cl)
            if r.model != c:
                continue
            rec["final"][c] = r.forecast
            for o in rec["origins"]:
                if make_model(c).min_length("D") <= o:
                    ri = fit_forecast(y.iloc[:o], c, H, config=r.extra.get("config"), start=r.extra.get("start"),
                                        closures=cl)
                    if ri.model == c:
                        rec["inner"][(c, o)] = ri.forecast
        rec["inner_actual"] = {o: y.iloc[o:o + H].to_numpy() for o in rec["origins"]}
        rec["inner_scale"] = {o: mase_scale(y.iloc[:o].to_numpy(), 7) for o in rec["origins"]}
        with open(f, "wb") as fh:
            pickle.dump(rec, fh)
        print(w.set, w.series_id, w.origin.date(), n, rec["cls"], flush=True)


def _cache_yearback(sets: list[str], res: Path) -> None:
    """The fits of :func:`cache` at ``o = n - 364`` (the same 28 days a year before the window's origin), each
    choosing its configuration on ``y[:o]`` (cheaper than re-using the whole history's); stored in ``rec["year"]``
    (``{"origin", "inner": {c: forecast}, "actual", "scale"}``)."""
    for f in sorted((res / "replay").glob("*.pkl")):
        with open(f, "rb") as fh:
            rec = pickle.load(fh)
        if rec["set"] not in sets or "year" in rec:
            continue
        y, cl, n = rec["y"], rec["closures"], rec["n"]
        o = n - 364
        year = {"origin": o, "inner": {}, "actual": y.iloc[o:o + H].to_numpy() if o > 0 else np.array([]),
                "scale": mase_scale(y.iloc[:o].to_numpy(), 7) if o > 28 else float("nan")}
        if o >= 28:
            for c in rec["final"]:
                if make_model(c).min_length("D") > o:
                    continue
                ri = fit_forecast(y.iloc[:o], c, H, closures=cl)
                if ri.model == c:
                    year["inner"][c] = ri.forecast
        rec["year"] = year
        with open(f, "wb") as fh:
            pickle.dump(rec, fh)
        print(rec["set"], f.name, o, len(year["inner"]), flush=True)


def _combined_inner_mase(r: dict, kind: str, wi: dict, top_c: list, origins: list) -> float:
    """Mean MASE at the inner origins of one combination: "inv" (weights ``wi``), "median" or "single" (``top_c``)."""
    out = []
    for o in origins:
        a = r["inner_actual"][o]
        if kind == "inv":
            f = sum(wi[c] * r["inner"][(c, o)]["mean"].to_numpy() for c in wi) / sum(wi.values())
        elif kind == "median":
            f = np.median([r["inner"][(c, o)]["mean"].to_numpy() for c in top_c], axis=0)
        else:
            f = r["inner"][(top_c[0], o)]["mean"].to_numpy()
        out.append(float(np.mean(np.abs(a - f[:len(a)]))) / r["inner_scale"][o])
    return float(np.mean(out))


def replay(r: dict, smooth: tuple[str, ...], inter: tuple[str, ...], K: int = 3, top: int = 3,  # noqa: N803
           weighting: str = "inv", calib: bool = True, floor: float = 1.0, blocks: int = 3,
           target: str = "atleast", extra: tuple[str, ...] = (), margin: float = 0.0,
           kinds: tuple[str, ...] = ("inv", "median"), gate: str = "single",
           calib_k: int | None = None, calib_year: bool = False, year_min: int = 28,
           cls_days: int | None = None) -> dict[str, float]:
    """The bench scores of one window under one rule (``auto``'s steps 2-5 on the cached fits).

    ``weighting="series"`` (the fourth pass's per-series rule): each ``extra`` candidate enters the pool only when its
    inner-backtest MASE is below ``(1 - margin)`` x that of the pool's inverse-weighted top-``top`` combination; then
    the combination kind of ``kinds`` with the lowest inner MASE is used (ties: the first).
    """
    yearly = bool(usable_periods(r["n"], (365,), 2.0))
    if cls_days:  # the demand class of the last cls_days days only (fifth pass)
        tail = r["y"].iloc[-cls_days:]
        open_days = None if r["closures"].empty else ~r["closures"].is_closed(tail.index)
        r = {**r, "cls": demand_class(tail.to_numpy(), open_days)["class"]}
    pool = [c for c in (smooth if r["cls"] in ("smooth", "erratic") else inter)
            if c in r["final"] and (c not in YEARLY_ONLY or yearly)]
    origins = sorted(r["origins"])[-K:]
    ok = [c for c in pool if all((c, o) in r["inner"] for o in origins)] or pool[:1]
    origins = origins if ok and all((ok[0], o) in r["inner"] for o in origins) else []

    def err(c: str, o: int) -> float:
        a = r["inner_actual"][o]
        return float(np.mean(np.abs(a - r["inner"][(c, o)]["mean"].to_numpy()[:len(a)]))) / r["inner_scale"][o]

    scores = {c: float(np.mean([err(c, o) for o in origins])) if origins else 1.0 for c in ok}
    if weighting == "series" and origins:
        def kind_mase(kind: str, sc: dict[str, float]) -> float:
            return _combined_inner_mase(r, kind, _weights(sc, top), sorted(sc, key=sc.get)[:top], origins)

        base = kind_mase("inv", scores)
        for e in extra:
            if e in r["final"] and e not in scores and all((e, o) in r["inner"] for o in origins):
                s_e = float(np.mean([err(e, o) for o in origins]))
                if gate == "comb":  # enters when the combination with it beats the one without it by the margin
                    best_without = min(kind_mase(k, scores) for k in kinds)
                    best_with = min(kind_mase(k, {**scores, e: s_e}) for k in kinds)
                    if best_with < (1 - margin) * best_without:
                        scores[e] = s_e
                elif s_e < (1 - margin) * base:
                    scores[e] = s_e
        km = {k: kind_mase(k, scores) for k in kinds}
        weighting = min(kinds, key=lambda k: (km[k], kinds.index(k)))
        if weighting == "single":
            weighting, top = "inv", 1
    if weighting in ("choose", "best") and origins:
        # "choose": the inverse-weighted mean or the median of the top candidates, whichever had the lower mean
        # MASE at the inner origins; "best": the single best candidate or the weighted mean, the same way
        wi = _weights(scores, top)
        top_c = sorted(scores, key=scores.get)[:top]

        def inner_mase(kind: str) -> float:
            return _combined_inner_mase(r, kind, wi, top_c, origins)

        alt = "median" if weighting == "choose" else "single"
        weighting = alt if inner_mase(alt) < inner_mase("inv") else "inv"
        if weighting == "single":
            weighting, top = "inv", 1
    if weighting in ("choose", "best", "series"):
        weighting = "inv"
    if weighting == "inv":
        w = _weights(scores, top)
    else:
        w = {c: 1.0 for c in sorted(scores, key=scores.get)[:top]}

    def comb(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
        if weighting != "median":
            return _combine(frames, {c: v / sum(w.values()) for c, v in w.items()})
        first = frames[next(iter(frames))]
        return pd.DataFrame({col: first[col] if col == "date" else np.median([f[col].to_numpy() for f in frames.values()],
                                                                              axis=0) for col in first.columns})

    fc = comb({c: r["final"][c] for c in w})
    cl = None if r["closures"].empty else r["closures"]
    if calib and origins:
        errors: dict[int, list] = {}
        c_origins = origins
        if calib_k:  # calibrate on the calib_k most recent inner origins where every member was fitted
            c_origins = [o for o in sorted(r["origins"])[-calib_k:] if all((c, o) in r["inner"] for c in w)]
        year = r.get("year", {})
        pairs = [(r["inner_actual"][o], {c: r["inner"][(c, o)] for c in w}) for o in c_origins]
        if calib_year and year.get("inner") and year["origin"] >= year_min and all(c in year["inner"] for c in w):
            pairs.append((year["actual"], {c: year["inner"][c] for c in w}))  # the same weeks a year earlier
        for test, frames in pairs:
            f = comb(frames)
            keep = ~cl.is_closed(f["date"]) if cl is not None else np.ones(len(f), bool)
            for lv in (80, 95):
                s = (f[f"hi_{lv}"] - f[f"lo_{lv}"]).to_numpy() / (2 * _z(lv))
                errors.setdefault(lv, []).append((test[keep], f["mean"].to_numpy()[keep], s[keep],
                                                  np.arange(len(f))[keep]))
        fc, _ = _calibrate(fc, errors, (80, 95), 20, floor if r["cls"] in ("smooth", "erratic") else min(floor, 0.5),
                           blocks, target)
    fc = apply_closures(fc, cl).rename(columns={"lo_80": "lo80", "hi_80": "hi80", "lo_95": "lo95", "hi_95": "hi95"})
    return protocol.score_window(r["actual"], fc[protocol.FORECAST_COLUMNS].reset_index(drop=True), r["y"].to_numpy())


def rules(res: Path, names: list[str]) -> pd.DataFrame:
    """Mean MASE and coverage per set of each variant (one row per variant and set)."""
    recs = []
    for f in sorted((res / "replay").glob("*.pkl")):
        with open(f, "rb") as fh:
            recs.append(pickle.load(fh))
    rows = []
    for name in names:
        smooth, inter, kw = VARIANTS[name]
        for r in recs:
            rows.append({"variant": name, "set": r["set"], **replay(r, smooth, inter, **kw)})
    return (pd.DataFrame(rows).groupby(["variant", "set"], sort=False)[["mase", "cov80", "cov95"]].mean()
            .round(3).reset_index())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=["cache", "rules"])
    p.add_argument("--sets", default="retail_total,retail_top20,olist_total,olist_top_categories,superstore,"
                                     "sample_categories")
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--results", default=str(HERE / "results"))
    p.add_argument("--union", default=",".join(UNION), help="cache: the candidates to fit")
    p.add_argument("--inner", type=int, default=6, help="cache: inner origins per window")
    p.add_argument("--yearback", action="store_true", help="cache: fits at the origin n - 364 (calib_year)")
    a = p.parse_args(argv)
    warnings.simplefilter("ignore")
    if a.step == "cache":
        cache(a.sets.split(","), Path(a.results), tuple(a.union.split(",")), a.inner, a.yearback)
    else:
        print(rules(Path(a.results), a.variants.split(",")).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
