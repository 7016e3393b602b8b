"""The pricing review's scope and the honest reading of the elasticities (notebook 07).

* :func:`pricing_scope` — the review period and its baseline, the trend window, the SKU summaries of both
  periods and the daily cube, for the whole shop or one category (``opslib.assortment.review_scope``);
* :func:`review_elasticity` — :func:`opslib.pricing.estimate_elasticity` that never stops a report: every
  category gets a row, measured or not, with the reason, the interval's relative half-width
  ``(high - low) / 2 / |e|`` and whether it is **usable** for price decisions — ``e < 0`` with its whole
  interval below 0, at least ``min_skus`` SKUs (standard errors are clustered by SKU; with fewer clusters
  they are unreliable) and a relative half-width of at most ``max_relative_width``. For an estimate too
  wide it says how much more sales would bring it to that width (a standard error falls with the square
  root of the volume: ``(width / max_relative_width)^2`` times the sales).

Example:
    >>> import pandas as pd
    >>> t = pd.DataFrame({"category": ["美妆", "家电"], "elasticity": [-1.8, -0.9], "low": [-2.0, -2.1],
    ...                   "high": [-1.6, 0.3], "n_skus": [40, 3], "units_share": [0.8, 0.2], "note": ["", ""]})
    >>> usable_elasticities(t)[["category", "usable"]].values.tolist()
    [['美妆', True], ['家电', False]]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opslib.errors import PricingError

__all__ = ["ElasticityReview", "PricingScope", "pricing_scope", "review_elasticity", "usable_elasticities"]


def usable_elasticities(estimates: pd.DataFrame, *, by: str = "category", min_skus: int = 5,
                        max_relative_width: float = 0.5) -> pd.DataFrame:
    """Add ``relative_width``, ``usable`` and ``why`` (what keeps an estimate from being usable) to estimates.

    Formula: ``relative_width = (high - low) / 2 / |elasticity|``; usable when ``elasticity < 0``, ``high <
    0``, ``n_skus >= min_skus`` and ``relative_width <= max_relative_width``; ``volume_needed`` = ``(relative_width
    / max_relative_width)^2`` (times today's sales, for the interval to shrink to the limit), NaN when usable.

    Parameters:
        estimates: :meth:`ElasticityResult.summary` (``[by]``, ``elasticity``, ``low``, ``high``, ``n_skus``,
            ``note``). by: the group column. min_skus, max_relative_width: the rule.

    Returns:
        A copy with ``relative_width``, ``usable``, ``why``, ``volume_needed``.
    """
    t = estimates.copy()
    e = t["elasticity"].astype(float)
    t["relative_width"] = (t["high"] - t["low"]) / 2 / e.abs().where(e.abs() > 0)
    why = []
    for r in t.itertuples(index=False):
        e_r = float(r.elasticity)
        if not np.isfinite(e_r):
            why.append(f"not measured: {r.note}" if getattr(r, "note", "") else "not measured")
        elif e_r >= 0 or r.high >= 0:
            why.append(f"no clear negative response (e = {e_r:+.2f}, interval {r.low:+.2f} .. {r.high:+.2f})")
        elif r.n_skus < min_skus:
            why.append(f"only {int(r.n_skus)} SKUs: too few for a reliable interval (needs {min_skus})")
        elif r.relative_width > max_relative_width:
            why.append(f"too wide: ±{r.relative_width:.0%} of the estimate (limit ±{max_relative_width:.0%})")
        else:
            why.append("")
    t["why"] = why
    t["usable"] = t["why"] == ""
    t["volume_needed"] = np.where(t["usable"], np.nan, (t["relative_width"] / max_relative_width) ** 2)
    return t


@dataclass
class ElasticityReview:
    """Every group's elasticity, measured or not, with its interval width and whether it is usable.

    Attributes:
        by: the group column. table: :func:`usable_elasticities` of the estimate (one row per group of the
            panel). result: the :class:`~opslib.pricing.ElasticityResult` (None when nothing could be
            estimated). reason: why nothing could be estimated. level: interval coverage.
    """

    by: str
    table: pd.DataFrame
    result: Any
    reason: str | None
    level: float
    max_relative_width: float
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """The table (a copy)."""
        return self.table.copy()

    def usable(self) -> list[str]:
        """The groups whose elasticity is usable for price decisions."""
        return self.table.loc[self.table["usable"], self.by].astype(str).tolist()

    def for_planning(self, usable_only: bool = False) -> pd.DataFrame:
        """``[by]``, ``elasticity``, ``low``, ``high``, ``usable``: what price decisions and plans read.

        Parameters:
            usable_only: keep only the usable rows (for price decisions and price wars).

        Returns:
            The frame (a copy).
        """
        t = self.table[[self.by, "elasticity", "low", "high", "usable"]]
        return (t[t["usable"]] if usable_only else t).reset_index(drop=True)

    def describe(self) -> str:
        """How many groups were measured, how wide the intervals are, and what more data would take."""
        t = self.table
        measured = t[np.isfinite(t["elasticity"].astype(float))]
        lines = [f"{len(measured)} of {len(t)} {self.by} groups measured ({self.level:.0%} intervals); "
                 f"{int(t['usable'].sum())} usable for price decisions (whole interval below 0, >= 5 SKUs, "
                 f"±{self.max_relative_width:.0%} or narrower)."]
        if self.reason:
            lines.append(self.reason)
        if len(measured):
            w = measured["relative_width"]
            lines.append(f"interval half-widths: ±{w.min():.0%} .. ±{w.max():.0%} of the estimate (median "
                         f"±{w.median():.0%})")
        shaky = t[~t["usable"] & np.isfinite(t["elasticity"].astype(float))]
        if len(shaky):
            parts = []
            for _, r in shaky.iterrows():
                more = (f"; about {r['volume_needed']:.0f}x the sales would narrow it to ±{self.max_relative_width:.0%}"
                        if r["relative_width"] > self.max_relative_width else "")
                parts.append(f"{r[self.by]} {r['elasticity']:+.2f} ±{r['relative_width']:.0%} ({r['why']}{more})")
            lines.append("measured but not usable: " + "; ".join(parts))
        missing = t[~np.isfinite(t["elasticity"].astype(float))]
        if len(missing):
            lines.append("not measured: " + ", ".join(f"{r[self.by]} ({r['why'].removeprefix('not measured: ')})"
                                                      for _, r in missing.iterrows()))
        return "\n".join(lines)

    def plot(self, truth: dict[str, float] | None = None):  # noqa: ANN201 (matplotlib Figure)
        """Forest plot (``opslib.plotting.pricing.elasticity_chart``)."""
        from opslib.plotting.pricing import elasticity_chart

        return elasticity_chart(self, truth=truth)


def review_elasticity(panel: pd.DataFrame, by: str = "category", *, min_skus: int = 5,
                      max_relative_width: float = 0.5, **kwargs: Any) -> ElasticityReview:
    """Estimate the elasticity per group and say, for every group, whether it can be used.

    Formula: :func:`opslib.pricing.estimate_elasticity` (PPML with SKU and week effects, defaults unless
    ``kwargs`` say otherwise) and :func:`usable_elasticities` (the rule in the module docstring). A
    :class:`~opslib.errors.PricingError` from thin data becomes the review's ``reason`` (every group then
    not measured) instead of stopping the report.

    Parameters:
        panel: :func:`opslib.pricing.weekly_price_panel`. by: the group column.
        min_skus, max_relative_width: the usability rule. kwargs: passed to ``estimate_elasticity``.

    Returns:
        :class:`ElasticityReview`.
    """
    from opslib.pricing.elasticity import estimate_elasticity

    level = float(kwargs.get("level", 0.95))
    groups = sorted(panel[by].dropna().astype(str).unique()) if by in panel.columns else []
    try:
        res = estimate_elasticity(panel, by=by, **kwargs)
        est, reason = res.summary(), None
    except PricingError as exc:
        res, reason = None, str(exc)
        est = pd.DataFrame({by: groups, "elasticity": np.nan, "se": np.nan, "low": np.nan, "high": np.nan,
                            "n_skus": 0, "units_share": 0.0, "note": "too little data"})
    if "note" not in est:
        est["note"] = ""
    table = usable_elasticities(est, by=by, min_skus=min_skus, max_relative_width=max_relative_width)
    return ElasticityReview(by, table, res, reason, level, max_relative_width,
                            list(res.notes) if res is not None else [])


# ------------------------------------------------------------------------------------------------ scope


@dataclass
class PricingScope:
    """What the pricing review looks at (:func:`pricing_scope`).

    Attributes:
        review: the assortment :class:`~opslib.assortment.ReviewScope` (periods, trend window, scoped frames,
            ``skus`` of the period). baseline_skus: SKU summary of the baseline period. cube: the daily x SKU
            cube of the **whole** shop (market share needs the shop's categories). category: the scope.
        price_days: the price panel's (day, SKU) aggregate (``opslib.pricing.cubes.price_days``: units, revenue,
            the median line price) when it came from the same scan as the cube, else None; pass it to
            ``weekly_price_panel(shop, price_days=scope.price_days)`` so the panel reads no line again.
    """

    review: Any
    baseline_skus: pd.DataFrame
    cube: pd.DataFrame
    category: str | None
    price_days: pd.DataFrame | None = None

    @property
    def periods(self) -> Any:
        """The review period and its baseline (``opslib.calendar.ReviewPeriods``)."""
        return self.review.periods

    @property
    def current(self) -> Any:
        """The review period."""
        return self.review.periods.current

    @property
    def baseline(self) -> Any:
        """Its baseline."""
        return self.review.periods.baseline

    @property
    def skus(self) -> pd.DataFrame:
        """SKU summary of the review period (scoped)."""
        return self.review.skus

    @property
    def has_sales(self) -> bool:
        """True when the scope sold something in the period."""
        return bool(self.review.has_sales)

    def no_sales_reason(self) -> str:
        """Why there is nothing to review."""
        return self.review.no_sales_reason()

    @property
    def trend_level(self) -> str:
        """The level trends compare: ``category`` for the whole shop, ``subcategory`` within one category."""
        return "category" if self.category is None else "subcategory"

    @property
    def label(self) -> str:
        """``the whole shop`` or ``category '美妆'``."""
        return self.review.label

    def describe(self) -> str:
        """The period, its baseline, the trend window and the scope's size."""
        from opslib.plotting.format import money

        r = self.review
        return "\n".join([f"07 · 行业、价格与成本 Industry, pricing and costs — {r.label}", r.periods.describe(),
                          f"trends compare {r.window} ({r.window.days} days) with {r.window_baseline}",
                          f"{len(r.skus):,} SKUs sold in the period, GMV {money(float(r.skus['gmv'].sum()))}"])


def pricing_scope(shop: Any, *, period_end: Any = None, period_days: int = 91, period_start: Any = None,
                  compare: str = "last_year", category: str | None = None, lookback_weeks: int = 26) -> PricingScope:
    """The review's periods and scope, with the SKU summaries of the period and its baseline.

    Formula: ``opslib.assortment.review_scope`` on the shop's daily and weekly cubes, computed by the shop's
    engine over its files (a validated DuckDB shop: the cubes and the price panel's price days from one scan,
    ``opslib.pricing.cubes.review_cubes``; Spark with ``engine: spark`` in shop.yml: ``opslib.data.aggregates``;
    a shop built from frames uses ``opslib.data.daily_sku`` / ``weekly_sku`` on them); baseline SKUs =
    ``opslib.assortment.sku_summary`` over the baseline period; trends use the classification window (at least ``lookback_weeks`` weeks).

    Parameters:
        shop: the loaded ``opslib.data.Shop`` (orders, products; inventory optional).
        period_end, period_days, period_start, compare: the report's period parameters.
        category: one top-level category or None. lookback_weeks: the trend window's shortest length.

    Returns:
        :class:`PricingScope`.
    """
    from opslib.assortment import review_scope, sku_summary
    from opslib.data import daily_sku, weekly_sku
    from opslib.pricing.cubes import review_cubes

    days = None
    if getattr(shop, "lines", None) is not None and shop.lines.has("orders") and "orders" not in shop._frames:
        # the shop's engine (DuckDB or Spark) aggregates its files: the lines never come into pandas; on a validated
        # DuckDB shop one scan gives both cubes and the price panel's days (at 100M lines each scan is minutes)
        cube, weekly, days = review_cubes(shop)
    else:  # a shop built from frames (Shop(path, orders=df, products=df))
        cube, weekly = daily_sku(shop.orders, shop.products), weekly_sku(shop.orders, shop.products)
    if cube.empty:
        raise PricingError(f"{shop.path}: no order lines to review")
    inventory = shop.inventory if shop.has("inventory") else None
    review = review_scope(cube, weekly, shop.products, inventory, period_start=period_start, period_end=period_end,
                          period_days=period_days, compare=compare, category=category, lookback_weeks=lookback_weeks)
    base = sku_summary(review.cube, review.periods.baseline)
    return PricingScope(review, base, cube, category, days)
