"""Price elasticity of demand per category (and per SKU, partially pooled) from the weekly price panel.

The model, per group ``c`` (a category by default), for SKU ``s`` in week ``t``::

    E[units_st] = exposure_st * exp(a_s + g_t + e_c * log(p_st / ref_s) + x_c * cross_st [+ controls_st' d])

* ``units``: units sold on the week's in-stock days, ``exposure``: the number of those days. A day
  that ended with ``on_hand == 0`` is censored (sales = stock, demand was higher), and stock runs out
  more often in discount weeks, so leaving such days in would make discounts look weaker;
* ``p``: the week's price. By default the **price path** (``price_index`` of
  :func:`opslib.pricing.weekly_price_panel`: each day takes the median line price of the nearest day
  with a sale, geometric mean over the in-stock days). The average *paid* price (``price="paid"``)
  is read only from the days that sold, so when a price changes mid-week it over-weights the cheap
  days, and it is undefined for weeks without a sale; on the sample shop at scale 1 it attenuates
  the elasticity by 5-15% more than the path (both are noisy for SKUs selling a few lines a week);
* ``ref_s``: the SKU's median weekly price (its own reference; with ``a_s`` in the model the choice
  does not change ``e_c``), ``a_s``: SKU fixed effects (demand level), ``g_t``: week fixed effects of
  the group (trend, seasonality, Chinese New Year, festival traffic: anything all SKUs of the group
  share in a week). ``time_effects="season"`` replaces ``g_t`` by week-of-year effects, a linear
  trend and festival / holiday / CNY controls;
* **campaigns**: a campaign brings traffic beyond its price cut (banners, 会场 slots), and demand dips
  after it (pull-forward), so its price cut is not a clean price experiment. By default SKU-weeks
  with a campaign day or a post-campaign day are left out (``campaign_weeks="drop"``) and the
  elasticity comes from everyday price changes; ``"control"`` keeps them with the share of campaign
  and post-campaign days as controls (use it when prices only move in campaigns, and read the result
  as "price plus campaign" response);
* ``cross_st``: the leave-one-out mean of ``log(p_jt / ref_j)`` over the other SKUs ``j`` of the same
  subcategory with a price that week, weighted by their mean weekly units: ``x_c`` is the cross-price
  elasticity (> 0: substitutes). It counts as identified only when that index moves on its own
  (within-sd >= ``cross_min_sd`` after the fixed effects, within-correlation with the own price
  below 0.9) and its standard error is at most ``cross_max_se``; otherwise it is flagged.

**Fit: Poisson pseudo-maximum likelihood (PPML) with the fixed effects absorbed** (default). It is
the log-log model written for counts: ``log E[units]`` is linear in ``log price`` so ``e_c`` is the
elasticity, but it needs no ``log(0)`` — **weeks without a sale stay in** (their price comes from
the path) — and it is not biased by retransformation (``E[log y] != log E[y]`` for small counts).
``method="ols"`` is the classic least-squares fit of ``log(units / exposure)`` with the within
transformation, for comparison; it must drop weeks without a sale. Standard errors are
cluster-robust by SKU (statsmodels), intervals ``e +- z se``.

**Which SKUs.** A week's price is only seen through its sales, so for a SKU selling one or two lines
a week the price path is a noisy guess and the slope is attenuated toward 0 (errors in variables:
on simulated Poisson demand with prices changing mid-week, the slope is about 85% of the truth at 5
units a week and 95% at 10). SKUs need at least ``min_lines`` order lines per in-stock week on
average (a count of purchase events, so the rule is the same when units are multiplied) and
``min_weeks`` weeks with a sale. ``units_share`` reports how much of the group's volume they carry.

**Partial pooling of SKU elasticities** (empirical Bayes, random slopes): each SKU gets its own slope
``ê_s`` (robust se ``s_s``) from a Poisson fit of its weeks with the week effects and other terms held
at the group fit; the spread of true SKU elasticities is the DerSimonian-Laird moment estimate
``tau^2 = max(0, (Q - (k - 1)) / (sum w - sum w^2 / sum w))``, ``Q = sum w (ê_s - ē_w)^2``,
``w = 1 / s_s^2``, and the pooled estimate shrinks toward the group elasticity ``e_c``::

    e_s* = e_c + (1 - B_s) (ê_s - e_c),   B_s = s_s^2 / (s_s^2 + tau^2),
    sd(e_s*) = sqrt((1 - B_s) s_s^2 + B_s^2 se(e_c)^2)

Example (two SKUs, demand exactly ``A_s (p / ref_s)^-2``, so the fit returns -2):
    >>> import pandas as pd
    >>> weeks = pd.date_range("2024-01-01", periods=4, freq="7D")
    >>> p = pd.DataFrame({"week": list(weeks) * 2, "sku": ["a"] * 4 + ["b"] * 4, "category": "美妆",
    ...                   "lines": 5, "price_index": [10, 9, 10, 8, 20, 20, 16, 20.0]})
    >>> p["units"] = [100 * (x / 10) ** -2 if s == "a" else 40 * (x / 20) ** -2
    ...               for x, s in zip(p.price_index, p.sku)]
    >>> res = estimate_elasticity(p, time_effects="none", cross_price=False, min_weeks=3)
    >>> round(float(res.summary()["elasticity"].iloc[0]), 6)
    -2.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from opslib.kpi import Term
from opslib.pricing import _fe
from opslib.pricing.panel import PricingError

__all__ = ["ElasticityResult", "estimate_elasticity", "pool_elasticities"]

TimeEffects = Literal["week", "season", "none"]
CONTROL_COLUMNS = {"campaign": "campaign_days", "post_campaign": "post_campaign_days"}
SEASON_CONTROLS = ("festival_share", "holiday_share", "cny_before", "cny_after", "trend_years")


@dataclass
class ElasticityResult:
    """Elasticities per group (``estimates``), per SKU (``skus``), every coefficient and how they were made.

    ``estimates`` columns: the group column (``by``), ``elasticity``, ``se``, ``low``, ``high`` (interval
    at ``level``), ``cross_elasticity``, ``cross_se``, ``cross_low``, ``cross_high``,
    ``cross_identified`` (bool), ``cross_note``, ``sku_sd`` (tau, spread of SKU elasticities),
    ``n_skus``, ``n_obs`` (SKU-weeks used), ``units_share`` (share of the group's in-stock units in the
    rows used: what is missing are campaign weeks and SKUs too thin to measure), ``zero_weeks`` (weeks
    without a sale among the rows used: kept by PPML on the price path, 0 when they are left out),
    ``note``.
    ``skus``: group, ``sku``, ``n_weeks``, ``elasticity_raw``, ``se_raw``, ``elasticity``
    (pooled), ``low``, ``high``, ``shrinkage`` (B_s). ``coefficients``: group, ``term``, ``coef``, ``se``.
    """

    by: str | None
    method: str
    level: float
    estimates: pd.DataFrame
    skus: pd.DataFrame
    coefficients: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """One row per group: elasticity with its interval, cross-price elasticity, sizes and method."""
        key = self.by or "group"
        cols = [key, "elasticity", "low", "high", "se", "n_skus", "n_obs", "units_share", "cross_elasticity",
                "cross_low", "cross_high", "cross_identified", "cross_note", "sku_sd", "note"]
        out = self.estimates[cols].copy()
        out["method"] = self.method
        return out

    def elasticity(self, group: str) -> float:
        """The group's elasticity (KeyError naming the groups when unknown)."""
        key = self.by or "group"
        row = self.estimates.loc[self.estimates[key] == group, "elasticity"]
        if row.empty:
            raise KeyError(f"no elasticity for {group!r}; groups: {', '.join(map(str, self.estimates[key]))}")
        return float(row.iloc[0])

    def plot(self, truth: dict[str, float] | None = None, ax=None):  # noqa: ANN001, ANN201 (matplotlib types)
        """Forest plot: each group's elasticity with its interval (and the planted value when given)."""
        import matplotlib.pyplot as plt

        key = self.by or "group"
        est = self.estimates.dropna(subset=["elasticity"]).sort_values("elasticity")
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.45 * len(est) + 1.5))
        y = np.arange(len(est))
        ax.errorbar(est["elasticity"], y, xerr=[est["elasticity"] - est["low"], est["high"] - est["elasticity"]],
                    fmt="o", color="#0173b2", capsize=3, label=f"估计 estimate ({self.level:.0%})")
        if truth:
            ax.scatter([truth.get(g, np.nan) for g in est[key]], y, marker="x", color="#d55e00", zorder=3,
                       label="设定值 planted")
        ax.axvline(-1.0, color="#949494", lw=1, ls="--")
        ax.set_yticks(y, est[key].astype(str))
        ax.set_xlabel("价格弹性 price elasticity (−1: revenue-neutral)")
        ax.legend(loc="lower right")
        return ax


def _prepare(panel: pd.DataFrame, by: str | None, price: str, use_in_stock: bool) -> pd.DataFrame:
    """Check columns; pick the outcome, price and exposure columns; build the control columns."""
    price_col = {"index": "price_index", "paid": "price_in_stock" if use_in_stock else "price"}.get(price)
    if price_col is None:
        raise PricingError(f"price must be 'index' or 'paid', got {price!r}")
    if price_col not in panel and price == "paid":
        price_col = "price"
    need = {"week", "sku", "units", price_col} | ({by} if by else set())
    missing = sorted(need - set(panel.columns))
    if missing:
        raise PricingError(f"price panel: missing column(s) {', '.join(missing)} — build it with "
                           "opslib.pricing.weekly_price_panel(orders, products, ...)")
    df = pd.DataFrame({"week": pd.to_datetime(panel["week"]).to_numpy(), "sku": panel["sku"].astype(str).to_numpy()})
    df["group"] = panel[by].astype(str).to_numpy() if by else "all"
    df["subcategory"] = panel["subcategory"].astype(str).to_numpy() if "subcategory" in panel else df["group"]
    stock = use_in_stock and {"units_in_stock", "in_stock_days"} <= set(panel.columns)
    df["y"] = pd.to_numeric(panel["units_in_stock" if stock else "units"], errors="coerce").to_numpy(float)
    df["price"] = pd.to_numeric(panel[price_col], errors="coerce").to_numpy(float)
    exposure = "in_stock_days" if stock else "days_on_sale" if "days_on_sale" in panel else None
    df["exposure"] = panel[exposure].to_numpy(float) if exposure else 7.0
    df["lines"] = panel["lines"].to_numpy(float) if "lines" in panel else (df["y"] > 0).astype(float)
    on_sale = panel["days_on_sale"].to_numpy(float) if "days_on_sale" in panel else np.full(len(df), 7.0)
    on_sale = np.where(on_sale > 0, on_sale, 1.0)
    for name, col in CONTROL_COLUMNS.items():
        df[name] = panel[col].to_numpy(float) / on_sale if col in panel else 0.0
    df["festival_share"] = panel["festival_days"].to_numpy(float) / 7 if "festival_days" in panel else 0.0
    df["holiday_share"] = panel["holiday_days"].to_numpy(float) / 7 if "holiday_days" in panel else 0.0
    dc = panel["days_to_cny"].to_numpy(float) if "days_to_cny" in panel else np.full(len(df), 999.0)
    df["cny_before"] = ((dc >= 0) & (dc <= 14)).astype(float)
    df["cny_after"] = ((dc < 0) & (dc >= -14)).astype(float)
    df["trend_years"] = (df["week"] - df["week"].min()).dt.days.to_numpy(float) / 365.25
    bad = (df["y"] < 0) | ~np.isfinite(df["y"])
    if bad.any():
        raise PricingError(f"price panel: {int(bad.sum()):,} row(s) with negative or missing units — expected units >= 0")
    return df


def _cross_index(d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out, volume-weighted mean of siblings' log(p / ref) per row; (index, has_siblings).

    ``cross_st = (S_gt - w_s lp_st) / (W_gt - w_s)`` with ``S_gt = sum_j w_j lp_jt``, ``W_gt = sum_j w_j``
    over SKUs ``j`` of subcategory ``g`` with a price in week ``t``, ``w_j`` = mean weekly units of j.
    """
    key = d["subcategory"].astype(str) + "\x1f" + d["week"].astype(str)
    s_sum = (d["w"] * d["lp"]).groupby(key).transform("sum").to_numpy()
    w_sum = d["w"].groupby(key).transform("sum").to_numpy()
    rest = w_sum - d["w"].to_numpy()
    ok = rest > 1e-9 * np.maximum(w_sum, 1e-300)
    idx = np.where(ok, (s_sum - d["w"].to_numpy() * d["lp"].to_numpy()) / np.where(ok, rest, 1.0), 0.0)
    return idx, ok


def _codes(values: pd.Series | np.ndarray) -> np.ndarray:
    return pd.factorize(np.asarray(values), sort=True)[0].astype(np.int64)


def estimate_elasticity(panel: pd.DataFrame, by: str | None = "category", *, method: Literal["ppml", "ols"] = "ppml",
                        price: Literal["index", "paid"] = "index", time_effects: TimeEffects = "week",
                        campaign_weeks: Literal["drop", "control"] = "drop", cross_price: bool = True,
                        min_lines: float = 3.0, min_weeks: int = 8, use_in_stock: bool = True, pool: bool = True,
                        level: float = 0.95, cross_min_sd: float = 0.01, cross_max_se: float = 0.5) -> ElasticityResult:
    """Estimate the price elasticity per ``by`` group from a weekly (week, SKU) price panel.

    Formula (module docstring): ``E[units_st] = exposure_st exp(a_s + g_t + e log(p_st/ref_s) + x cross_st
    + d'controls_st)``, fitted by PPML with SKU and week effects absorbed (or OLS on ``log(units /
    exposure)``), SEs clustered by SKU, interval ``coef +- z_(1+level)/2 se``; SKU elasticities pooled by
    empirical Bayes (:func:`pool_elasticities`).

    Parameters:
        panel: output of :func:`opslib.pricing.weekly_price_panel` (at least ``week, sku, units``, the
            price column and the ``by`` column; ``subcategory`` for cross-price effects).
        by: group column (``"category"``, ``"subcategory"``) or None for one elasticity for all.
        method: ``"ppml"`` (default) or ``"ols"`` (log-log least squares; weeks without a sale dropped).
        price: ``"index"`` (the week's price path, ``price_index``: weeks without a sale included) or
            ``"paid"`` (average paid price, weeks with a sale only).
        time_effects: ``"week"`` (week FE per group), ``"season"`` (week-of-year FE + trend + festival,
            holiday and CNY controls) or ``"none"``.
        campaign_weeks: ``"drop"`` SKU-weeks touched by a campaign or its after-dip (default), or
            ``"control"`` keep them with the campaign and post-campaign day shares as controls.
        cross_price: add the subcategory siblings' price index.
        min_lines: keep SKUs with at least this many order lines per in-stock week on average.
        min_weeks: keep SKUs with at least this many weeks with a sale (also needed for a SKU's own slope).
        use_in_stock: use in-stock days only (uncensored demand) when the panel has them.
        pool: compute partially pooled SKU elasticities.
        level: interval coverage.
        cross_min_sd, cross_max_se: the cross-price effect counts as identified when the siblings' index
            has at least this within-sd (log points) and its coefficient at most this standard error.

    Returns:
        :class:`ElasticityResult`.

    Example (two SKUs, six weeks, demand exactly ``A_s p^-1.5``):
        >>> import pandas as pd
        >>> p = pd.DataFrame({"week": pd.date_range("2024-01-01", periods=6, freq="7D").repeat(2),
        ...                   "sku": ["a", "b"] * 6, "category": "食品", "lines": 5,
        ...                   "price_index": [5, 10, 4, 10, 5, 8, 5, 10, 4, 8, 5, 10.0]})
        >>> p["units"] = [50 * (x / 5) ** -1.5 if s == "a" else 30 * (x / 10) ** -1.5
        ...               for x, s in zip(p.price_index, p.sku)]
        >>> res = estimate_elasticity(p, cross_price=False, min_weeks=3)
        >>> res.summary()[["category", "elasticity", "n_skus", "n_obs"]].round(6).values.tolist()
        [['食品', -1.5, 2, 12]]
    """
    if method not in ("ppml", "ols"):
        raise PricingError(f"method must be 'ppml' or 'ols', got {method!r}")
    if time_effects not in ("week", "season", "none"):
        raise PricingError(f"time_effects must be 'week', 'season' or 'none', got {time_effects!r}")
    if campaign_weeks not in ("drop", "control"):
        raise PricingError(f"campaign_weeks must be 'drop' or 'control', got {campaign_weeks!r}")
    if not 0 < level < 1:
        raise PricingError(f"level must be between 0 and 1, got {level}")
    if min_lines < 0 or min_weeks < 2:
        raise PricingError(f"min_lines must be >= 0 and min_weeks >= 2, got {min_lines} and {min_weeks}")
    df = _prepare(panel, by, price, use_in_stock)
    z = float(stats.norm.ppf(0.5 + level / 2))
    opts = {"method": method, "time_effects": time_effects, "campaign_weeks": campaign_weeks,
            "cross_price": cross_price, "min_lines": min_lines, "min_weeks": min_weeks, "pool": pool, "z": z,
            "cross_min_sd": cross_min_sd, "cross_max_se": cross_max_se, "zeros": method == "ppml" and price == "index"}
    rows, sku_rows, coef_rows = [], [], []
    for group, g in df.groupby("group", sort=True):
        est, skus, coefs = _fit_group(g, **opts)
        est["group"] = group
        rows.append(est)
        if len(skus):
            sku_rows.append(skus.assign(group=group))
        if len(coefs):
            coef_rows.append(coefs.assign(group=group))
    estimates = pd.DataFrame(rows)
    if estimates["elasticity"].isna().all():
        reasons = "; ".join(f"{r['group']}: {r['note']}" for r in rows[:8])
        raise PricingError(f"no group has enough data for an elasticity ({reasons}). Needed per SKU: >= {min_lines:g} "
                           f"order lines per week on average, >= {min_weeks} weeks with a sale, and price changes. "
                           "For thin data (a few lines per SKU a month) use price='paid', min_lines=0: the "
                           "estimate then compares units per selling week with the price paid in it")
    key = by or "group"
    estimates = estimates.rename(columns={"group": key})
    estimates = estimates[[key] + [c for c in estimates.columns if c != key]]
    skus = pd.concat(sku_rows, ignore_index=True) if sku_rows else pd.DataFrame(columns=["group", "sku"])
    coefficients = pd.concat(coef_rows, ignore_index=True) if coef_rows else pd.DataFrame(columns=["group", "term"])
    skus = skus.rename(columns={"group": key})
    skus = skus[[key] + [c for c in skus.columns if c != key]]
    coefficients = coefficients.rename(columns={"group": key})
    coefficients = coefficients[[key] + [c for c in coefficients.columns if c != key]]
    zeros = "weeks without a sale kept (PPML, price from the price path)" if opts["zeros"] else \
        "weeks without a sale left out (no price observed / log 0)"
    notes = [f"{method.upper()} on log(price / SKU median price), price = {price}; SKU fixed effects absorbed; time "
             f"effects: {time_effects}; campaign weeks: {campaign_weeks}; SEs clustered by SKU; {zeros}; in-stock "
             f"days only: {use_in_stock}; SKUs with >= {min_lines:g} lines per week and >= {min_weeks} selling weeks"]
    return ElasticityResult(by, method, level, estimates, skus, coefficients, notes)


def _empty_estimate(note: str, **extra: float) -> dict:
    base = {"elasticity": np.nan, "se": np.nan, "low": np.nan, "high": np.nan, "cross_elasticity": np.nan,
            "cross_se": np.nan, "cross_low": np.nan, "cross_high": np.nan, "cross_identified": False,
            "cross_note": "", "sku_sd": np.nan, "n_skus": 0, "n_obs": 0, "units_share": 0.0, "zero_weeks": 0,
            "note": note}
    base.update(extra)
    return base


def _fit_group(g: pd.DataFrame, *, method: str, time_effects: str, campaign_weeks: str, cross_price: bool,
               min_lines: float, min_weeks: int, pool: bool, z: float, cross_min_sd: float,
               cross_max_se: float, zeros: bool) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Select SKUs and weeks, build regressors, fit, pool: one group."""
    g = g[g["exposure"] > 0]
    total_units = float(g["y"].sum())
    if total_units <= 0:
        return _empty_estimate("no units"), pd.DataFrame(), pd.DataFrame()
    priced = np.isfinite(g["price"]) & (g["price"] > 0)
    obs = g[priced & ((g["y"] > 0) | zeros)].copy()
    # Reference price, log price and the siblings' price index use every priced week, campaign or not.
    obs["ref"] = obs.groupby("sku")["price"].transform("median")
    obs["lp"] = np.log(obs["price"] / obs["ref"])
    obs["w"] = obs.groupby("sku")["y"].transform("mean")
    if cross_price:
        obs["cross"], obs["has_sib"] = _cross_index(obs)
    if campaign_weeks == "drop":
        obs = obs[(obs["campaign"] == 0) & (obs["post_campaign"] == 0)]
        g = g[(g["campaign"] == 0) & (g["post_campaign"] == 0)]
    # The SKU rule counts every in-stock week (with a price or not): lines per week and weeks with a sale.
    per = pd.DataFrame({"lines": g.groupby("sku")["lines"].mean(), "selling": (g["y"] > 0).groupby(g["sku"]).sum()})
    keep = per.index[(per["lines"] >= min_lines) & (per["selling"] >= min_weeks)]
    d = obs[obs["sku"].isin(keep)]
    if len(keep) == 0 or len(d) < 3:
        return (_empty_estimate(f"no SKU with >= {min_lines:g} lines a week and {min_weeks}+ selling weeks"),
                pd.DataFrame(), pd.DataFrame())
    if d["sku"].nunique() < 2:
        # Standard errors are clustered by SKU: one cluster leaves no variance to estimate (and statsmodels
        # divides by n_clusters - 1).
        return (_empty_estimate(f"only 1 SKU with >= {min_lines:g} lines a week and {min_weeks}+ selling weeks: "
                                "an interval needs 2 or more", n_skus=1, n_obs=len(d)),
                pd.DataFrame(), pd.DataFrame())
    if float(np.std(d["lp"].to_numpy())) < 1e-9:
        return (_empty_estimate("no price variation in the SKUs kept", n_skus=len(keep), n_obs=len(d)),
                pd.DataFrame(), pd.DataFrame())

    factors = [_codes(d["sku"])]
    terms, cols = ["log_price"], [d["lp"].to_numpy()]
    if time_effects == "week":
        factors.append(_codes(d["week"]))
    elif time_effects == "season":
        factors.append(_codes(d["week"].dt.isocalendar().week.to_numpy()))
        terms += list(SEASON_CONTROLS)
        cols += [d[c].to_numpy(float) for c in SEASON_CONTROLS]
    if campaign_weeks == "control":
        terms += list(CONTROL_COLUMNS)
        cols += [d[c].to_numpy(float) for c in CONTROL_COLUMNS]
    if cross_price:
        terms.append("cross_price")
        cols.append(d["cross"].to_numpy(float))
        if not d["has_sib"].all():
            terms.append("no_sibling_price")
            cols.append((~d["has_sib"].to_numpy(bool)).astype(float))
    x = np.column_stack(cols)
    # Drop regressors without variation within the fixed effects (e.g. no campaign in the group).
    xw = _fe.demean(x, factors)
    live = np.sqrt((xw ** 2).mean(axis=0)) > 1e-8 * np.maximum(np.abs(x).max(axis=0), 1e-12)
    live[0] = True
    x, terms = x[:, live], [t for t, keep_t in zip(terms, live, strict=True) if keep_t]
    cross_col = terms.index("cross_price") if "cross_price" in terms else None
    offset = np.log(d["exposure"].to_numpy(float))
    y = d["y"].to_numpy(float)
    if method == "ppml":
        fit = _fe.ppml(y, x, factors, factors[0], offset)
    else:
        pos = y > 0
        d, y, x, offset, factors = d[pos], y[pos], x[pos], offset[pos], [f[pos] for f in factors]
        factors = [_codes(f) for f in factors]
        fit = _fe.ols(np.log(y) - offset, x, factors, factors[0])
    se = np.sqrt(np.clip(np.diag(fit.cov), 0, None))
    coefs = pd.DataFrame({"term": terms, "coef": fit.params, "se": se})
    e, e_se = float(fit.params[0]), float(se[0])
    est = _empty_estimate("", elasticity=e, se=e_se, low=e - z * e_se, high=e + z * e_se,
                          n_skus=int(d["sku"].nunique()), n_obs=int(len(d)),
                          units_share=float(d["y"].sum() / total_units), zero_weeks=int((y == 0).sum()))
    if not fit.converged:
        est["note"] = "fit did not converge; treat with care"
    est.update(_cross_summary(fit, cross_col, cross_min_sd, cross_max_se, z, d, cross_price))
    skus = pd.DataFrame()
    if pool:
        skus, tau = _sku_slopes(d, y, x, fit, factors, method, e, e_se, min_weeks, z)
        est["sku_sd"] = tau
    return est, skus, coefs


def _cross_summary(fit: _fe.FEFit, col: int | None, min_sd: float, max_se: float, z: float, d: pd.DataFrame,
                   requested: bool) -> dict:
    """Cross-price coefficient, interval and whether it is identified (see module docstring)."""
    if not requested:
        return {"cross_note": "not requested"}
    if col is None:
        return {"cross_note": "not identifiable: the siblings' price index does not move within the fixed effects"}
    xw = fit.x_within
    w = fit.weights / fit.weights.mean()
    sd = float(np.sqrt(np.average(xw[:, col] ** 2, weights=w)))
    own = xw[:, 0]
    corr = float(np.average(own * xw[:, col], weights=w) / np.sqrt(np.average(own ** 2, weights=w)) / max(sd, 1e-300))
    c, s = float(fit.params[col]), float(np.sqrt(max(fit.cov[col, col], 0.0)))
    out = {"cross_elasticity": c, "cross_se": s, "cross_low": c - z * s, "cross_high": c + z * s}
    n_sub = int((d.groupby("subcategory")["sku"].nunique() >= 2).sum())
    if n_sub == 0:
        why = "no subcategory with two or more SKUs"
    elif sd < min_sd:
        why = f"siblings' prices barely move on their own (within sd {sd:.4f} < {min_sd})"
    elif abs(corr) >= 0.9:
        why = f"siblings' prices move with the own price (within corr {corr:.2f})"
    elif s > max_se:
        why = f"too imprecise (se {s:.2f} > {max_se})"
    else:
        out.update(cross_identified=True, cross_note=f"within sd {sd:.3f}, corr with own price {corr:.2f}")
        return out
    out.update(cross_identified=False, cross_note=f"not identifiable: {why}")
    return out


def _sku_slopes(d: pd.DataFrame, y: np.ndarray, x: np.ndarray, fit: _fe.FEFit, factors: list[np.ndarray],
                method: str, e: float, e_se: float, min_weeks: int, z: float) -> tuple[pd.DataFrame, float]:
    """Per-SKU slope with everything but the SKU level and its own slope held at the group fit; then pooled."""
    sku_code = factors[0]
    lp = x[:, 0]
    # Linear predictor without the SKU effect and the own-price term: offset + week effect + other terms.
    fe = fit.fe
    if len(factors) > 1:
        _, g_t = _fe.split_effects(fe, sku_code, factors[1])
        time_part = g_t[factors[1]]
    else:
        time_part = np.zeros(len(y))
    rest = x[:, 1:] @ fit.params[1:] if x.shape[1] > 1 else np.zeros(len(y))
    exposure = np.log(d["exposure"].to_numpy(float))
    base = time_part + rest + (exposure if method == "ppml" else 0.0)
    n_sku = int(sku_code.max()) + 1
    n = np.bincount(sku_code, minlength=n_sku)
    lp_sd = np.sqrt(np.maximum(np.bincount(sku_code, lp ** 2, n_sku) / n - (np.bincount(sku_code, lp, n_sku) / n) ** 2, 0))
    ok = (n >= max(min_weeks, 3)) & (lp_sd > 0.005)
    if method == "ppml":
        b, s = _poisson_slopes(y, lp, base, sku_code, n_sku, e)
    else:
        b, s = _ols_slopes(np.log(y) - exposure - base, lp, sku_code, n_sku)
    b, s = np.where(ok, b, np.nan), np.where(ok, s, np.nan)
    names = pd.Series(d["sku"].to_numpy()).groupby(sku_code).first().reindex(range(n_sku)).to_numpy()
    raw = pd.DataFrame({"sku": names, "n_weeks": n, "elasticity_raw": b, "se_raw": s})
    pooled = pool_elasticities(raw["elasticity_raw"], raw["se_raw"], e, e_se, z)
    return pd.concat([raw, pooled.drop(columns=["elasticity_raw", "se_raw"])], axis=1), float(pooled.attrs["tau"])


def _poisson_slopes(y: np.ndarray, x: np.ndarray, base: np.ndarray, code: np.ndarray, n: int,
                    start: float) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Newton for ``E[y] = exp(base + a_s + b_s x)`` per SKU; b_s and its robust (HC1) se."""
    b = np.full(n, start)
    a = np.log(np.bincount(code, y, n) / np.maximum(np.bincount(code, np.exp(base + b[code] * x), n), 1e-300))
    for _ in range(100):
        mu = np.exp(base + a[code] + b[code] * x)
        r = y - mu
        g0, g1 = np.bincount(code, r, n), np.bincount(code, r * x, n)
        h00, h01, h11 = np.bincount(code, mu, n), np.bincount(code, mu * x, n), np.bincount(code, mu * x * x, n)
        det = h00 * h11 - h01 ** 2
        safe = det > 1e-12 * np.maximum(h00 * h11, 1e-300)
        da = np.where(safe, (h11 * g0 - h01 * g1) / np.where(safe, det, 1), 0.0)
        db = np.where(safe, (h00 * g1 - h01 * g0) / np.where(safe, det, 1), 0.0)
        step = np.minimum(1.0, 1.0 / np.maximum(np.abs(db), 1e-300))  # at most one unit of slope per step
        a, b = a + step * da, b + step * db
        if np.nanmax(np.abs(step * db)) < 1e-9:
            break
    mu = np.exp(base + a[code] + b[code] * x)
    r = y - mu
    h00, h01, h11 = np.bincount(code, mu, n), np.bincount(code, mu * x, n), np.bincount(code, mu * x * x, n)
    m00, m01, m11 = np.bincount(code, r * r, n), np.bincount(code, r * r * x, n), np.bincount(code, r * r * x * x, n)
    det = h00 * h11 - h01 ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        i01, i11 = -h01 / det, h00 / det  # second row of the inverse Hessian
        v11 = i01 * (m00 * i01 + m01 * i11) + i11 * (m01 * i01 + m11 * i11)
        cnt = np.bincount(code, minlength=n)
        v11 = v11 * cnt / np.maximum(cnt - 2, 1)
    return b, np.sqrt(np.where(v11 > 0, v11, np.nan))


def _ols_slopes(r: np.ndarray, x: np.ndarray, code: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-SKU OLS slope of r on x with intercept, and its HC1 se."""
    cnt = np.bincount(code, minlength=n).astype(float)
    xm = np.bincount(code, x, n) / np.maximum(cnt, 1)
    rm = np.bincount(code, r, n) / np.maximum(cnt, 1)
    xc, rc = x - xm[code], r - rm[code]
    sxx = np.bincount(code, xc * xc, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.bincount(code, xc * rc, n) / sxx
        e = rc - b[code] * xc
        v = np.bincount(code, xc * xc * e * e, n) / sxx ** 2 * cnt / np.maximum(cnt - 2, 1)
    return b, np.sqrt(np.where(v > 0, v, np.nan))


def pool_elasticities(estimates: Sequence[float] | pd.Series, ses: Sequence[float] | pd.Series, center: float,
                      center_se: float = 0.0, z: float = 1.959963984540054) -> pd.DataFrame:
    """Empirical-Bayes (random-slope) shrinkage of SKU elasticities toward the group's elasticity.

    Formula: ``w_s = 1/se_s^2``, ``ē = sum w ê / sum w``, ``Q = sum w (ê - ē)^2``, ``tau^2 = max(0, (Q -
    (k-1)) / (sum w - sum w^2 / sum w))`` (DerSimonian-Laird); ``B_s = se_s^2 / (se_s^2 + tau^2)``;
    ``e_s* = center + (1 - B_s)(ê_s - center)``, ``sd_s = sqrt((1 - B_s) se_s^2 + B_s^2 center_se^2)``;
    interval ``e_s* +- z sd_s``. SKUs without an estimate (NaN) get the center (B = 1).

    Parameters:
        estimates, ses: per-SKU elasticities and standard errors. center, center_se: the group estimate.
        z: interval multiplier.

    Returns:
        DataFrame ``elasticity_raw, se_raw, elasticity, low, high, shrinkage``; ``attrs["tau"]``.

    Example (two SKUs around a group estimate of -2):
        >>> out = pool_elasticities([-1.0, -3.0], [2.0, 2.0], center=-2.0)
        >>> out["elasticity"].tolist(), out.attrs["tau"]
        ([-2.0, -2.0], 0.0)
        >>> out = pool_elasticities([-1.0, -3.0], [0.5, 0.5], center=-2.0)
        >>> round(out.attrs["tau"], 6), out["elasticity"].round(6).tolist()
        (1.322876, [-1.125, -2.875])

    By hand: se 2 gives w = 0.25 each, Q = 0.25 + 0.25 = 0.5 < k - 1 = 1, so tau = 0 and both SKUs take
    the group value. se 0.5 gives w = 4, Q = 4 + 4 = 8, sum w - sum w^2/sum w = 8 - 4 = 4, tau^2 =
    (8 - 1) / 4 = 1.75; B = 0.25 / 2 = 0.125; e* = -2 +- 0.875 * 1.
    """
    est = np.asarray(estimates, dtype=float)
    se = np.asarray(ses, dtype=float)
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
    tau2 = 0.0
    if ok.sum() >= 2:
        w = 1.0 / se[ok] ** 2
        ebar = float((w * est[ok]).sum() / w.sum())
        q = float((w * (est[ok] - ebar) ** 2).sum())
        tau2 = max(0.0, (q - (ok.sum() - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = np.where(ok, se ** 2 / (se ** 2 + tau2), 1.0)
    shrink = np.where(ok & (tau2 == 0), 1.0, shrink)
    post = np.where(ok, center + (1 - shrink) * (est - center), center)
    sd = np.sqrt(np.where(ok, (1 - shrink) * se ** 2, 0.0) + shrink ** 2 * center_se ** 2)
    out = pd.DataFrame({"elasticity_raw": est, "se_raw": se, "elasticity": post, "low": post - z * sd,
                        "high": post + z * sd, "shrinkage": shrink})
    out.attrs["tau"] = float(np.sqrt(tau2))
    return out


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("price_elasticity", "价格弹性", "Price elasticity",
         "e in E[units] = exposure · exp(a_sku + g_week + e · log(p / p_ref)), by PPML with SKU and week effects: "
         "+1% price → about e% units", "opslib.pricing.elasticity.estimate_elasticity", "07"),
)
