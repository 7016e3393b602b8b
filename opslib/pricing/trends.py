"""Trends and growth: which subcategories, brands and price bands are rising or falling — beyond noise.

A growth rate alone misleads on a small base: a subcategory that sold 6 units last year and 12 this year
"doubled", and says nothing. :func:`growth_table` gives each group's growth with a test of whether it is
more than the week-to-week noise of its own sales:

* counts ``C1``, ``C0`` (units) in the period and its baseline (of lengths ``D1``, ``D0`` days); rate ratio
  ``RR = (C1 / D1) / (C0 / D0)``, growth ``RR - 1`` (and the GMV growth next to it);
* the noise: a quasi-Poisson dispersion ``phi`` per group, from its weekly counts against the **shop's**
  weekly profile — ``E_gb = C_gp * T_b / T_p`` with ``T`` the shop's units in week-block ``b`` of period
  ``p``, ``phi = max(1, sum (c_gb - E_gb)^2 / E_gb / (B - 2))`` — so festivals and seasons that move every
  group alike do not count as noise, while a group's own lumpiness does;
* ``se(log RR) = sqrt(phi (1 / C1 + 1 / C0))`` (0.5 added to an empty count), ``z = log RR / se``, two-sided
  ``p``; ``q`` = Benjamini-Hochberg adjusted over the groups of the table (many groups, some will move by
  chance); **rising / falling** when ``q < alpha``, else ``flat``;
* ``share`` of the scope's GMV now and before, and its change in share points: where the shop's mix moves.

Example:
    >>> import pandas as pd
    >>> days = pd.date_range("2024-01-01", periods=28)
    >>> cube = pd.DataFrame({"date": days.repeat(2), "sku": ["a", "b"] * 28, "units": [10, 3] * 28,
    ...                      "gmv": [100.0, 30.0] * 28})
    >>> cube.loc[(cube["date"] >= "2024-01-15") & (cube["sku"] == "a"), ["units", "gmv"]] = [20, 200.0]
    >>> g = growth_table(cube, ("2024-01-15", "2024-01-28"), ("2024-01-01", "2024-01-14"),
    ...                  groups=pd.DataFrame({"sku": ["a", "b"], "group": ["A", "B"]}))
    >>> g.table[["group", "growth", "direction"]].values.tolist()
    [['A', 1.0, 'rising'], ['B', 0.0, 'flat']]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from opslib.calendar import period_bounds
from opslib.errors import PricingError

__all__ = ["GrowthResult", "ShareTrend", "growth_table", "share_trend"]


@dataclass
class GrowthResult:
    """Growth with significance per group (:func:`growth_table`).

    ``table`` columns: ``group``, ``parent`` (the category, for subcategories, brands and bands),
    ``units``, ``units_prev``, ``growth`` (units, per day), ``gmv``, ``gmv_prev``, ``gmv_growth``,
    ``share``, ``share_prev``, ``share_change`` (GMV share points), ``dispersion`` (phi), ``z``,
    ``p_value``, ``q_value``, ``direction`` (``rising`` / ``falling`` / ``flat``), sorted by ``z``.
    """

    level: str
    table: pd.DataFrame
    current: tuple[pd.Timestamp, pd.Timestamp]
    baseline: tuple[pd.Timestamp, pd.Timestamp]
    alpha: float
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """The table (a copy)."""
        return self.table.copy()

    def risers(self, n: int | None = None) -> pd.DataFrame:
        """Significantly rising groups, strongest first (at most ``n``)."""
        t = self.table[self.table["direction"] == "rising"].sort_values("z", ascending=False)
        return t.head(n) if n else t

    def fallers(self, n: int | None = None) -> pd.DataFrame:
        """Significantly falling groups, strongest first (at most ``n``)."""
        t = self.table[self.table["direction"] == "falling"].sort_values("z")
        return t.head(n) if n else t

    def describe(self) -> str:
        """One line: how many groups rise and fall significantly, and the strongest of each."""
        r, f = self.risers(), self.fallers()
        parts = [f"{self.level}: {len(r)} rising and {len(f)} falling beyond noise (q < {self.alpha:g}) of "
                 f"{len(self.table)}, {self.current[0]:%Y-%m-%d} .. {self.current[1]:%Y-%m-%d} vs "
                 f"{self.baseline[0]:%Y-%m-%d} .. {self.baseline[1]:%Y-%m-%d}"]
        if len(r):
            parts.append(f"strongest rise: {r.iloc[0]['group']} ({r.iloc[0]['growth']:+.0%} units)")
        if len(f):
            parts.append(f"strongest fall: {f.iloc[0]['group']} ({f.iloc[0]['growth']:+.0%} units)")
        return "; ".join(parts)

    def plot(self, top: int = 12):  # noqa: ANN201 (matplotlib Figure)
        """Growth bars of the most significant groups (``opslib.plotting.pricing.growth_chart``)."""
        from opslib.plotting.pricing import growth_chart

        return growth_chart(self, top=top)


def _blocks(dates: pd.Series, start: pd.Timestamp) -> np.ndarray:
    return ((dates - start).dt.days // 7).to_numpy()


def growth_table(cube: pd.DataFrame, current: Any, baseline: Any, *, level: str = "subcategory",
                 products: pd.DataFrame | None = None, groups: pd.DataFrame | None = None, alpha: float = 0.05,
                 min_units: float = 0.0) -> GrowthResult:
    """Growth of each ``level`` group between ``baseline`` and ``current``, with its significance.

    Formulas: module docstring (rate ratio, quasi-Poisson dispersion against the shop's weekly profile,
    z-test on log RR, Benjamini-Hochberg q-values).

    Parameters:
        cube: daily x SKU cube (``date``, ``sku``, ``units``, ``gmv``; ``category``/``subcategory`` when it
            was built with products). current, baseline: periods (``Period`` or ``(start, end)``).
        level: the group column (in the cube, or in ``products``: e.g. ``brand``). products: maps SKUs to
            ``level`` (and ``category`` for ``parent``) when the cube lacks it.
        groups: instead of ``level``, an explicit ``sku, group[, parent]`` frame (e.g. price bands).
        alpha: the q-value below which a move counts as real. min_units: leave out groups with fewer units
            in both periods together.

    Returns:
        :class:`GrowthResult`.
    """
    from statsmodels.stats.multitest import multipletests

    s1, e1 = period_bounds(current)
    s0, e0 = period_bounds(baseline)
    d1, d0 = (e1 - s1).days + 1, (e0 - s0).days + 1
    need = [c for c in ("date", "sku", "units", "gmv") if c not in cube.columns]
    if need:
        raise PricingError(f"daily cube: missing column(s) {', '.join(need)} (expected opslib.data.daily_sku)")
    c = cube[((cube["date"] >= s1) & (cube["date"] <= e1)) | ((cube["date"] >= s0) & (cube["date"] <= e0))]
    keep = ["date", "sku", "units", "gmv"] + [x for x in ("category", level) if x in c.columns and x != "sku"]
    c = c[list(dict.fromkeys(keep))].copy()
    if groups is not None:
        gmap = groups.drop_duplicates("sku").set_index("sku")
        c["group"] = c["sku"].map(gmap["group"])
        c["parent"] = c["sku"].map(gmap["parent"]) if "parent" in gmap else ""
        level_name = "group"
    else:
        if level not in c.columns:
            if products is None or level not in products.columns:
                raise PricingError(f"no column {level!r} in the cube or products to group growth by")
            c["group"] = c["sku"].map(products.drop_duplicates("sku").set_index("sku")[level])
        else:
            c["group"] = c[level]
        if level == "category":
            c["parent"] = ""
        elif "category" in c.columns:
            c["parent"] = c["category"]
        elif products is not None and "category" in products.columns:
            c["parent"] = c["sku"].map(products.drop_duplicates("sku").set_index("sku")["category"])
        else:
            c["parent"] = ""
        level_name = level
    c = c.dropna(subset=["group"])
    c["period"] = np.where(c["date"] >= s1, 1, 0)
    c["block"] = np.where(c["period"] == 1, _blocks(c["date"], s1), _blocks(c["date"], s0))
    cols = ["group", "parent", "units", "units_prev", "growth", "gmv", "gmv_prev", "gmv_growth", "share",
            "share_prev", "share_change", "dispersion", "z", "p_value", "q_value", "direction"]
    if c.empty:
        return GrowthResult(level_name, pd.DataFrame(columns=cols), (s1, e1), (s0, e0), alpha,
                            ["no sales in either period"])
    tot = c.groupby(["period", "block"])["units"].sum()
    per = c.groupby(["group", "period", "block"])["units"].sum()
    per = per.reindex(pd.MultiIndex.from_product([per.index.levels[0], tot.index.get_level_values(0).unique(),
                                                  sorted(set(c["block"]))], names=per.index.names), fill_value=0)
    per = per.reset_index()
    per = per.merge(tot.rename("shop").reset_index(), on=["period", "block"], how="inner")
    per["g_total"] = per.groupby(["group", "period"])["units"].transform("sum")
    per["p_total"] = per.groupby(["group", "period"])["shop"].transform("sum")
    per["expected"] = per["g_total"] * per["shop"] / per["p_total"].where(per["p_total"] > 0)
    ok = per["expected"] > 0
    per["chi"] = np.where(ok, (per["units"] - per["expected"]) ** 2 / per["expected"].where(ok, 1.0), 0.0)
    blocks = per[ok].groupby("group").size()
    chi = per.groupby("group")["chi"].sum()
    phi = (chi / (blocks - 2).clip(lower=1)).clip(lower=1.0)
    agg = c.groupby(["group", "period"]).agg(units=("units", "sum"), gmv=("gmv", "sum")).unstack("period", fill_value=0)
    t = pd.DataFrame({"group": agg.index,
                      "units": agg.get(("units", 1), 0.0),
                      "units_prev": agg.get(("units", 0), 0.0),
                      "gmv": agg.get(("gmv", 1), 0.0),
                      "gmv_prev": agg.get(("gmv", 0), 0.0)}).reset_index(drop=True)
    t = t[(t["units"] + t["units_prev"]) >= max(min_units, 1e-12)].copy()
    parent = c.groupby("group")["parent"].agg(lambda x: x.mode().iloc[0] if len(x.mode()) else "")
    t.insert(1, "parent", t["group"].map(parent).fillna(""))
    c1, c0 = t["units"].astype(float), t["units_prev"].astype(float)
    rr = (c1 / d1) / (c0 / d0).where(c0 > 0)
    t["growth"] = rr - 1
    t["gmv_growth"] = t["gmv"] / t["gmv_prev"].where(t["gmv_prev"] > 0) - 1
    t["share"] = t["gmv"] / t["gmv"].sum() if t["gmv"].sum() else np.nan
    t["share_prev"] = t["gmv_prev"] / t["gmv_prev"].sum() if t["gmv_prev"].sum() else np.nan
    t["share_change"] = t["share"] - t["share_prev"]
    t["dispersion"] = t["group"].map(phi).fillna(1.0).to_numpy()
    a1, a0 = c1.where(c1 > 0, 0.5), c0.where(c0 > 0, 0.5)
    se = np.sqrt(t["dispersion"] * (1 / a1 + 1 / a0))
    t["z"] = np.log((a1 / d1) / (a0 / d0)) / se
    t["p_value"] = 2 * stats.norm.sf(np.abs(t["z"]))
    t["q_value"] = multipletests(t["p_value"].to_numpy(), method="fdr_bh")[1] if len(t) else []
    sig = t["q_value"] < alpha
    t["direction"] = np.where(sig & (t["z"] > 0), "rising", np.where(sig & (t["z"] < 0), "falling", "flat"))
    t = t.sort_values("z", ascending=False, ignore_index=True)[cols]
    notes = []
    if d1 != d0:
        notes.append(f"periods of different length ({d1} vs {d0} days): growth compares units per day")
    return GrowthResult(level_name, t, (s1, e1), (s0, e0), alpha, notes)


@dataclass
class ShareTrend:
    """Each group's trend in its share of the shop's units over the whole history (:func:`share_trend`).

    ``table`` columns: ``group``, ``parent``, ``weeks``, ``units``, ``share_start``, ``share_end`` (fitted share
    in the first and last week), ``trend`` (log-slope per year), ``trend_low``, ``trend_high`` (95%),
    ``change_per_year`` (``exp(trend) - 1``), ``z``, ``p_value``, ``q_value``, ``direction`` (``gaining`` /
    ``losing`` / ``steady``), sorted by ``z``.
    """

    level: str
    table: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    alpha: float
    reason: str | None = None

    def summary(self) -> pd.DataFrame:
        """The table (a copy)."""
        return self.table.copy()

    def direction(self, group: str) -> str:
        """``gaining``, ``losing`` or ``steady`` for ``group``."""
        row = self.table.loc[self.table["group"] == group]
        if row.empty:
            raise KeyError(f"no group {group!r} in the share trend")
        return str(row["direction"].iloc[0])

    def describe(self) -> str:
        """One line: which groups gain and lose share beyond noise (or why there is no trend)."""
        if self.reason:
            return self.reason
        g = self.table[self.table["direction"] == "gaining"]["group"].tolist()
        lo = self.table[self.table["direction"] == "losing"]["group"].tolist()
        text = (f"{self.level} share of units, {self.start:%Y-%m-%d} .. {self.end:%Y-%m-%d}: gaining "
                f"{', '.join(g) or 'none'}; losing {', '.join(lo) or 'none'} (q < {self.alpha:g})")
        if (self.end - self.start).days < 728:
            text += ("\n⚠ less than two years of weeks: a seasonal group (Christmas, summer goods) can look like a "
                     "trend; read these as the share's drift over the span, not as growth")
        return text


def share_trend(cube: pd.DataFrame, *, level: str = "category", products: pd.DataFrame | None = None,
                since: Any = None, alpha: float = 0.05) -> ShareTrend:
    """The yearly trend of each group's share of the shop's units, with its significance.

    Formula: over complete ISO weeks ``w`` (Monday to Sunday, from ``since`` or the data's first complete
    week), a Poisson regression per group ``log E[units_gw] = a_g + b_g t_w + log T_w`` with ``T_w`` the shop's
    units in week ``w`` (the offset absorbs seasonality, festivals and the shop's own growth) and ``t_w`` in
    years; ``b_g`` = the log-change of the group's share per year; standard error from the Pearson
    (quasi-Poisson) scale; ``z = b / se``; Benjamini-Hochberg ``q`` over the groups; gaining / losing share
    when ``q < alpha``. A category growing 30% a year in a shop growing 3% gains ``ln 1.30 - ln 1.03 = 0.23``.

    Parameters:
        cube: daily x SKU cube (``date``, ``sku``, ``units``; the ``level`` column or ``products`` to map it).
        level: the group column. products: maps SKUs to ``level`` when the cube lacks it.
        since: first day to use (None: all the data). alpha: significance limit on q.

    Returns:
        :class:`ShareTrend` (with ``reason`` and an empty table for fewer than 8 complete weeks).

    Example (group a's share doubles in a year: trend ln 2 = 0.693 per year):
        >>> import pandas as pd, numpy as np
        >>> days = pd.date_range("2024-01-01", periods=364)
        >>> t = np.arange(364) / 364
        >>> cube = pd.DataFrame({"date": np.tile(days, 2), "sku": ["a"] * 364 + ["b"] * 364,
        ...     "category": ["A"] * 364 + ["B"] * 364,
        ...     "units": np.r_[100 * 2 ** t, 400 - 100 * 2 ** t].round(6)})
        >>> r = share_trend(cube)
        >>> r.direction("A"), round(float(r.table.set_index("group").loc["A", "trend"]), 1)
        ('gaining', 0.7)
    """
    import warnings

    import statsmodels.api as sm
    from statsmodels.stats.multitest import multipletests
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    c = cube[["date", "sku", "units"] + ([level] if level in cube.columns else [])].copy()
    if level not in c.columns:
        if products is None or level not in products.columns:
            raise PricingError(f"no column {level!r} in the cube or products to follow the share of")
        c[level] = c["sku"].map(products.drop_duplicates("sku").set_index("sku")[level])
    parent = None
    if level != "category":
        src = cube if "category" in cube.columns else products
        if src is not None and "category" in src.columns:
            parent = src.drop_duplicates("sku").set_index("sku")["category"]
    if since is not None:
        c = c[c["date"] >= pd.Timestamp(since)]
    c["week"] = c["date"] - pd.to_timedelta(c["date"].dt.day_of_week, unit="D")
    first, last = c["date"].min(), c["date"].max()
    c = c[(c["week"] >= first) & (c["week"] + pd.Timedelta(days=6) <= last)]
    cols = ["group", "parent", "weeks", "units", "share_start", "share_end", "trend", "trend_low", "trend_high",
            "change_per_year", "z", "p_value", "q_value", "direction"]
    if c.empty or c["week"].nunique() < 8:
        n = c["week"].nunique() if len(c) else 0
        return ShareTrend(level, pd.DataFrame(columns=cols), first, last, alpha,
                          reason=f"share trend needs at least 8 complete weeks of sales; the data hold {n}")
    wide = c.pivot_table(index="week", columns=level, values="units", aggfunc="sum", fill_value=0).sort_index()
    total = wide.sum(axis=1)
    wide, total = wide[total > 0], total[total > 0]
    t = ((wide.index - wide.index[0]).days / 365.25).to_numpy(float)
    x = sm.add_constant(t)
    rows = []
    for g in wide.columns:
        y = wide[g].to_numpy(float)
        if y.sum() <= 0:
            continue
        with warnings.catch_warnings():
            # a group whose share follows the line exactly "separates perfectly": the slope is still right
            warnings.simplefilter("ignore", PerfectSeparationWarning)
            res = sm.GLM(y, x, family=sm.families.Poisson(), offset=np.log(total.to_numpy(float))).fit(scale="X2")
        b, se = float(res.params[1]), float(res.bse[1])
        fitted0 = float(np.exp(res.params[0]))
        rows.append({"group": g, "parent": "" if parent is None else _mode(c.loc[c[level] == g, "sku"].map(parent)),
                     "weeks": len(y), "units": float(y.sum()), "share_start": fitted0,
                     "share_end": fitted0 * float(np.exp(b * t[-1])), "trend": b, "trend_low": b - 1.96 * se,
                     "trend_high": b + 1.96 * se, "change_per_year": float(np.expm1(b)), "z": b / se if se > 0 else 0.0})
    out = pd.DataFrame(rows, columns=cols)
    out["p_value"] = 2 * stats.norm.sf(np.abs(out["z"].astype(float)))
    out["q_value"] = multipletests(out["p_value"].to_numpy(), method="fdr_bh")[1] if len(out) else []
    sig = out["q_value"] < alpha
    out["direction"] = np.where(sig & (out["z"] > 0), "gaining", np.where(sig & (out["z"] < 0), "losing", "steady"))
    out = out.sort_values("z", ascending=False, ignore_index=True)
    return ShareTrend(level, out, wide.index[0], wide.index[-1] + pd.Timedelta(days=6), alpha)


def _mode(s: pd.Series) -> str:
    m = s.dropna().mode()
    return str(m.iloc[0]) if len(m) else ""
