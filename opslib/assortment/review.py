"""The assortment review's scope: which period, which SKUs, and how much history the classifications see.

A review period can be a week, a month or a quarter; classifications that need history do not shrink with it.
XYZ (demand variability) needs enough weeks to measure a coefficient of variation, and SKU growth needs enough
sales to be more than noise, so both use a **classification window** of at least ``lookback_weeks`` (default 26)
ending on the review period's last day, compared with the same window a year (or a window) earlier. The review's
own KPIs (GMV, ABC, margins, stock) stay on the review period. Titles follow the period length (``review_title``).

Example:
    >>> from opslib.calendar import review_periods
    >>> p = review_periods("2023-01-01", "2024-06-30", period_days=7)
    >>> w, b = classification_window(p, lookback_weeks=26)
    >>> str(w), str(b), review_title(p.current.days)
    ('2024-01-01 .. 2024-06-30', '2023-01-02 .. 2023-07-02', '周度品类复盘 Weekly assortment review')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from opslib.assortment.inventory import inventory_health, lost_sales, stock_counts, stockout_spells
from opslib.assortment.summaries import sku_summary
from opslib.calendar import Period, ReviewPeriods, comparison_period, review_periods


def review_title(days: int) -> str:
    """The review's name by its length: weekly (<= 10 days), monthly (<= 35), quarterly (<= 100), else by days.

    Parameters:
        days: the review period's length.

    Returns:
        The title, Chinese and English.

    Example:
        >>> review_title(7), review_title(28), review_title(91), review_title(365)
        ('周度品类复盘 Weekly assortment review', '月度品类复盘 Monthly assortment review', \
'季度品类复盘 Quarterly assortment review', '365 天品类复盘 365-day assortment review')
    """
    if days <= 10:
        return "周度品类复盘 Weekly assortment review"
    if days <= 35:
        return "月度品类复盘 Monthly assortment review"
    if days <= 100:
        return "季度品类复盘 Quarterly assortment review"
    return f"{days} 天品类复盘 {days}-day assortment review"


def classification_window(periods: ReviewPeriods, lookback_weeks: int = 26) -> tuple[Period, Period]:
    """The window XYZ and SKU growth use, and its baseline.

    Formula: window = the last ``max(review days, 7 x lookback_weeks)`` days ending on the review's last day;
    baseline = :func:`opslib.calendar.comparison_period` of the window with the review's ``compare`` rule,
    falling back to the previous window when that starts before the data.

    Parameters:
        periods: the review's periods. lookback_weeks: the shortest window in weeks.

    Returns:
        ``(window, baseline)`` periods.
    """
    end = periods.current.end
    days = max(periods.current.days, 7 * int(lookback_weeks))
    window = Period(max(end - pd.Timedelta(days=days - 1), periods.data_start), end)
    baseline = comparison_period(window, periods.compare)  # type: ignore[arg-type]
    if baseline.start < periods.data_start:
        baseline = window.previous()
    return window, baseline


@dataclass
class ReviewScope:
    """What an assortment review looks at (:func:`review_scope`).

    Attributes:
        periods: the review period and its baseline. window, window_baseline: the classification window.
        label: ``'the whole shop'`` or ``"category '美妆'"``. title: the review's name by its length.
        products, cube, weekly, inventory: the shop's frames restricted to the scope (inventory None when absent).
        skus: :func:`opslib.assortment.sku_summary` of the review period. categories: the shop's categories.
    """

    periods: ReviewPeriods
    window: Period
    window_baseline: Period
    label: str
    title: str
    products: pd.DataFrame
    cube: pd.DataFrame
    weekly: pd.DataFrame
    inventory: pd.DataFrame | None
    skus: pd.DataFrame
    categories: list[str]

    @property
    def has_sales(self) -> bool:
        """True when the scope sold something in the review period."""
        return len(self.skus) > 0 and float(self.skus["gmv"].sum()) > 0

    def no_sales_reason(self) -> str:
        """Why there is nothing to review, with the categories that exist."""
        return (f"No sales for {self.label} in {self.periods.current}: nothing to review, skipping the rest of the "
                f"notebook. Categories in this shop: {', '.join(self.categories)}.")

    def describe(self) -> str:
        """The title and the lines a review opens with: scope, periods, classification window, SKUs and GMV."""
        from opslib.plotting.format import money

        return "\n".join([
            f"{self.title} — {self.label}",
            self.periods.describe(),
            f"XYZ and SKU growth use {self.window} ({self.window.days} days) against {self.window_baseline}",
            f"{len(self.skus):,} SKUs sold in the period, GMV {money(float(self.skus['gmv'].sum()))}",
        ])

    def summary(self) -> pd.DataFrame:
        """The periods of the review (review, baseline, data, classification window and its baseline)."""
        extra = pd.DataFrame({"period": ["classification window", "window baseline"],
                              "start": [self.window.start, self.window_baseline.start],
                              "end": [self.window.end, self.window_baseline.end]})
        extra["days"] = (extra["end"] - extra["start"]).dt.days + 1
        return pd.concat([self.periods.summary(), extra], ignore_index=True)


def review_scope(cube: pd.DataFrame, weekly: pd.DataFrame, products: pd.DataFrame,
                 inventory: pd.DataFrame | None = None, *, period_start: Any = None, period_end: Any = None,
                 period_days: int = 91, compare: str = "last_year", category: str | None = None,
                 lookback_weeks: int = 26) -> ReviewScope:
    """Restrict the shop to the review's scope and period.

    Parameters:
        cube, weekly: the daily and weekly x SKU cubes (``opslib.data.daily_sku`` / ``weekly_sku``) of the whole
            shop. products, inventory: the shop's tables. period_start, period_end, period_days, compare: the
            report's period parameters (:func:`opslib.calendar.review_periods`). category: one top-level
            category, or None for the whole shop. lookback_weeks: the classification window (XYZ, growth).

    Returns:
        :class:`ReviewScope`; its ``has_sales`` is False when the scope sold nothing in the period.
    """
    data_start, data_end = cube["date"].min(), cube["date"].max()
    periods = review_periods(data_start, data_end, period_end, period_days, period_start, compare)  # type: ignore[arg-type]
    window, window_baseline = classification_window(periods, lookback_weeks)
    scoped = products if category is None else products[products["category"] == category]
    keep = set(scoped["sku"])
    inv = None if inventory is None else inventory[inventory["sku"].isin(keep)]
    scoped_cube = cube[cube["sku"].isin(keep)]
    return ReviewScope(
        periods=periods, window=window, window_baseline=window_baseline,
        label="the whole shop" if category is None else f"category {category!r}",
        title=review_title(periods.current.days), products=scoped, cube=scoped_cube,
        weekly=weekly[weekly["sku"].isin(keep)], inventory=inv, skus=sku_summary(scoped_cube, periods.current),
        categories=sorted(products["category"].dropna().unique().tolist()),
    )


def weeks_in(weekly: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The rows of a weekly cube whose week (its Monday) falls in ``period``.

    Parameters:
        weekly: weekly cube with ``week``. period: the period.

    Returns:
        The rows of those weeks.

    Example:
        >>> w = pd.DataFrame({"week": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"]), "units": [1, 2, 3]})
        >>> weeks_in(w, Period("2024-01-02", "2024-01-15"))["units"].tolist()
        [2, 3]
    """
    return weekly[(weekly["week"] >= period.start) & (weekly["week"] <= period.end)]


@dataclass
class InventoryReview:
    """Inventory health, stock-out spells and lost sales of a review period (:func:`review_inventory`).

    ``reason`` is set (and the frames are None) when there is no inventory table.
    """

    health: pd.DataFrame | None
    spells: pd.DataFrame | None
    lost: pd.DataFrame | None
    dead_stock_weeks: int
    reason: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        """SKUs with stock, out of stock at the end, dead stock (:func:`opslib.assortment.inventory.stock_counts`)."""
        return {} if self.health is None else stock_counts(self.health)

    def describe(self) -> str:
        """The headline lines: stock counts, spells touching the period, lost units and GMV."""
        if self.health is None:
            return str(self.reason)
        from opslib.plotting.format import money, units

        n = self.counts
        return (f"SKUs with stock: {units(n['with_stock'])}; out of stock at the end: {units(n['out_of_stock'])}; "
                f"dead stock (no sale for {self.dead_stock_weeks} weeks): {units(n['dead_stock'])}\n"
                f"Stock-out spells touching the period: {units(len(self.spells))}; estimated lost units "
                f"{units(self.lost['lost_units'].sum())}, lost GMV {money(self.lost['lost_value'].sum())}")

    def summary(self) -> pd.DataFrame:
        """The lost-sales spells, largest lost value first (empty without inventory)."""
        if self.lost is None:
            return pd.DataFrame()
        return self.lost.sort_values("lost_value", ascending=False, ignore_index=True)

    def plot(self) -> Any:
        """The days-of-supply histogram (``opslib.plotting.assortment.days_of_supply_chart``), or the reason."""
        if self.health is None:
            print(self.reason)
            return None
        from opslib.plotting.assortment import days_of_supply_chart

        return days_of_supply_chart(self.health)


def review_inventory(scope: ReviewScope, dead_stock_weeks: int = 8, window_days: int = 28,
                     skip_message: str | None = None) -> InventoryReview:
    """Inventory health over the review period, the stock-out spells touching it and their lost sales.

    Formulas: :func:`opslib.assortment.inventory.inventory_health`, ``stockout_spells`` (runs of days with
    end-of-day stock 0) and ``lost_sales`` (demand on in-stock days within ``window_days`` around a spell,
    times the spell's days, minus what still sold).

    Parameters:
        scope: the review (:func:`review_scope`). dead_stock_weeks: weeks without a sale that make stock dead.
        window_days: the days around a stock-out used to estimate demand. skip_message: the text when the shop
            has no inventory table.

    Returns:
        :class:`InventoryReview`.
    """
    if scope.inventory is None:
        return InventoryReview(None, None, None, dead_stock_weeks,
                               skip_message or "no inventory table: skipping inventory health, stock-outs and lost sales")
    current = scope.periods.current
    health = inventory_health(scope.inventory, scope.cube, current, dead_stock_weeks=dead_stock_weeks)
    spells = stockout_spells(scope.inventory)
    spells = spells[(spells["end"] >= current.start) & (spells["start"] <= current.end)]
    lost = lost_sales(scope.inventory, scope.cube, spells, window_days=window_days)
    return InventoryReview(health, spells, lost, dead_stock_weeks)
