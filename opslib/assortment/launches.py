"""New products: launch cohorts (weekly units per SKU by weeks since launch) and weeks to reach the category median.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from opslib.assortment.abc_xyz import xyz_classify
from opslib.kpi import Term


def _new_sku_weeks(weekly: pd.DataFrame, products: pd.DataFrame, launched_from: Any, max_weeks: int,
                   until: Any | None) -> pd.DataFrame:
    """Zero-filled weekly units of SKUs launched on/after ``launched_from``, weeks 0..max_weeks-1."""
    p = products[["sku", "category", "launch_date"]].dropna(subset=["launch_date"])
    p = p[p["launch_date"] >= pd.Timestamp(launched_from)]
    last = pd.Timestamp(until) if until is not None else weekly["week"].max()
    last_week = last.to_period("W-SUN").start_time
    cols = ["sku", "category", "launch_date", "week", "weeks_since_launch", "units"]
    w0 = p["launch_date"].dt.to_period("W-SUN").dt.start_time
    n = np.minimum(max_weeks, (last_week - w0).dt.days // 7 + 1)
    p, w0, n = p[n > 0], w0[n > 0], n[n > 0].astype("int64")
    if p.empty:
        return pd.DataFrame(columns=cols)
    rep = p.loc[p.index.repeat(n)].reset_index(drop=True)
    k = np.concatenate([np.arange(m) for m in n])
    rep["weeks_since_launch"] = k
    rep["week"] = np.repeat(w0.to_numpy(), n.to_numpy()) + pd.to_timedelta(7 * k, unit="D")
    sales = weekly.groupby(["sku", "week"], as_index=False)["units"].sum()
    rep = rep.merge(sales, on=["sku", "week"], how="left")
    rep["units"] = rep["units"].fillna(0).astype("int64")
    return rep[cols]


def launch_cohorts(
    weekly: pd.DataFrame,
    products: pd.DataFrame,
    launched_from: Any,
    max_weeks: int = 26,
    cohort_freq: str = "Q",
    until: Any | None = None,
) -> pd.DataFrame:
    """Launch-cohort sales curves: mean weekly units per SKU by weeks since launch.

    SKUs with ``launch_date >= launched_from`` (use the first day of data so curves are not
    truncated) are grouped into cohorts by launch period (``cohort_freq``, "Q" quarter or "M"
    month). Week 0 is the week (Monday start) containing the launch date; weeks without sales count
    as 0; a SKU contributes only weeks up to ``until`` (default: the last week in ``weekly``).
    Per (cohort, weeks_since_launch): ``skus`` = SKUs observed that week, ``units`` = sum,
    ``units_per_sku`` = units / skus, ``cum_units_per_sku`` = running sum of units_per_sku.

    Parameters:
        weekly: weekly x SKU cube. products: the products table (``launch_date``). launched_from: the first launch day
        counted. max_weeks: weeks since launch to follow. cohort_freq: cohort length (``Q`` quarter). until: last week.

    Returns:
        One row per (cohort, weeks_since_launch) with ``skus`` and ``units_per_sku``.

    Example:
        >>> w = pd.DataFrame({"sku": ["n1", "n1", "n2"], "units": [2, 4, 6],
        ...     "week": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-08"])})
        >>> p = pd.DataFrame({"sku": ["n1", "n2"], "category": "x",
        ...     "launch_date": pd.to_datetime(["2024-01-01", "2024-01-03"])})
        >>> launch_cohorts(w, p, "2024-01-01")[["weeks_since_launch", "skus", "units_per_sku"]].to_dict("records")
        [{'weeks_since_launch': 0, 'skus': 2, 'units_per_sku': 1.0}, {'weeks_since_launch': 1, 'skus': 2, \
'units_per_sku': 5.0}]
    """
    d = _new_sku_weeks(weekly, products, launched_from, max_weeks, until)
    cols = ["cohort", "weeks_since_launch", "skus", "units", "units_per_sku", "cum_units_per_sku"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    freq = {"Q": "Q-DEC", "M": "M"}.get(cohort_freq, cohort_freq)
    d["cohort"] = d["launch_date"].dt.to_period(freq).astype(str)
    out = d.groupby(["cohort", "weeks_since_launch"], as_index=False).agg(
        skus=("sku", "nunique"), units=("units", "sum"))
    out["units"] = out["units"].astype("int64")
    out["units_per_sku"] = out["units"] / out["skus"]
    out["cum_units_per_sku"] = out.groupby("cohort")["units_per_sku"].cumsum()
    return out[cols]


def time_to_category_median(
    weekly: pd.DataFrame,
    products: pd.DataFrame,
    launched_from: Any,
    max_weeks: int = 52,
    until: Any | None = None,
) -> pd.DataFrame:
    """Weeks until each new SKU first sells its category's median weekly units.

    Benchmark per category: ``median over the category's SKUs of (mean weekly units over the SKU's
    active span)``, spans as in ``xyz_classify`` (first to last week with sales, zero weeks
    included), all SKUs in ``weekly``. For each SKU launched on/after ``launched_from``:
    ``weeks_to_median`` = the first weeks-since-launch ``w`` (0 = launch week) with ``units_w >=
    benchmark``; NaN and ``reached = False`` if it has not happened within ``max_weeks`` or by
    ``until``. ``weeks_observed`` says how long the SKU has been watched.

    Returns ``sku``, ``category``, ``launch_date``, ``benchmark``, ``weeks_observed``,
    ``weeks_to_median``, ``reached``.

    Parameters:
        weekly: weekly x SKU cube. products: the products table. launched_from: first launch day counted.
        max_weeks: weeks to follow. until: last week.

    Returns:
        One row per new SKU with its category's median and the weeks it took (NaN if not yet).

    Example:
        >>> w = pd.DataFrame({"sku": ["old1", "old2", "new", "new"], "units": [10, 2, 1, 7],
        ...     "week": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-15"])})
        >>> p = pd.DataFrame({"sku": ["old1", "old2", "new"], "category": "x",
        ...     "launch_date": pd.to_datetime(["2023-01-01", "2023-01-01", "2024-01-08"])})
        >>> time_to_category_median(w, p, "2024-01-01")[["benchmark", "weeks_to_median"]].to_dict("records")
        [{'benchmark': 4.0, 'weeks_to_median': 1.0}]
    """
    xyz = xyz_classify(weekly, min_weeks=1)
    cat = products.set_index("sku")["category"]
    xyz["category"] = xyz["sku"].map(cat)
    bench = xyz.groupby("category")["mean_weekly"].median()
    d = _new_sku_weeks(weekly, products, launched_from, max_weeks, until)
    cols = ["sku", "category", "launch_date", "benchmark", "weeks_observed", "weeks_to_median", "reached"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    d["benchmark"] = d["category"].map(bench)
    rows = []
    for sku, g in d.groupby("sku", sort=True):
        b = g["benchmark"].iloc[0]
        hit = g.loc[g["units"] >= b, "weeks_since_launch"] if pd.notna(b) else pd.Series(dtype=float)
        rows.append((sku, g["category"].iloc[0], g["launch_date"].iloc[0], b, len(g),
                     float(hit.iloc[0]) if len(hit) else np.nan))
    out = pd.DataFrame(rows, columns=cols[:-1])
    out["reached"] = out["weeks_to_median"].notna()
    return out


def launch_ramp_summary(ramp: pd.DataFrame) -> pd.DataFrame:
    """Per category, from :func:`time_to_category_median`: ``new_skus``, ``reached`` (share of new SKUs
    that reached the category median) and ``median_weeks`` (median weeks to get there, over those
    that did).

    Parameters:
        ramp: :func:`time_to_category_median`.

    Returns:
        One row per category: new SKUs, share that reached the median, median weeks to reach it.

    Example:
        >>> r = pd.DataFrame({"sku": ["n1", "n2", "n3"], "category": "x", "reached": [True, True, False],
        ...                   "weeks_to_median": [2.0, 6.0, float("nan")]})
        >>> launch_ramp_summary(r).to_dict("index")
        {'x': {'new_skus': 3, 'reached': 0.6666666666666666, 'median_weeks': 4.0}}
    """
    return ramp.groupby("category").agg(new_skus=("sku", "size"), reached=("reached", "mean"),
                                        median_weeks=("weeks_to_median", "median"))


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("launch_cohort", "新品批次", "Launch cohort", "new SKUs grouped by launch quarter; mean weekly units per "
         "SKU by weeks since launch (zero weeks count)", "opslib.assortment.launches.launch_cohorts", "01"),
    Term("time_to_median", "新品爬坡周数", "Weeks to the category median",
         "first week since launch in which a new SKU sells its category's median weekly units",
         "opslib.assortment.launches.time_to_category_median", "01"),
)
