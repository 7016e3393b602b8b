"""This week's order list: which SKUs get which forecast, and the stock targets and orders that follow.

The list covers the ``max_skus`` best sellers, ranked by units over the last 52 weeks (the ranking of
:func:`opslib.forecasting.series.weekly_series`, ties kept in column order). The first ``full_skus`` of the
ranking are forecast with ``full_model`` (``auto``: candidates backtested on the same origins, bands
calibrated on the backtest errors), the rest with ``rest_model`` (``ets``: one model, no backtest, about a
tenth of the cost, bands on the narrow side). ``full_skus >= max_skus`` (the default, 50 of 50) gives
``auto`` to every SKU of the list.

From the weekly forecasts (:mod:`opslib.forecasting.replenishment`; lead time ``L`` days, ``d_w`` = mean
forecast over the first ``ceil(L / 7)`` weeks, ``sigma_w`` = std of the one-step in-sample errors,
``z = Phi^-1(service_level)``, review period ``R`` = 1 week):

* safety stock ``SS = z * sigma_w * sqrt(L / 7)``;
* reorder point ``ROP = d_w * L / 7 + SS``;
* order-up-to ``OUT = d_w * (L / 7 + R) + SS``; order ``Q = ceil(OUT - on_hand)`` when ``on_hand <= ROP``.

Example:
    >>> import pandas as pd
    >>> ranked = pd.DataFrame({"A": [5.0] * 6, "B": [9.0] * 6, "C": [1.0] * 6})
    >>> split_models(ranked, max_skus=3, full_skus=1).values.tolist()  # a list, not a frame: display options vary
    [['B', 1, 54.0, 'auto'], ['A', 2, 30.0, 'ets'], ['C', 3, 6.0, 'ets']]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslib.forecasting.replenishment import ReplenishmentPlan, plan_replenishment


def split_models(series: pd.DataFrame, max_skus: int = 50, full_skus: int = 50, full_model: str = "auto",
                 rest_model: str = "ets") -> pd.DataFrame:
    """Rank the SKUs of ``series`` by units over the last 52 weeks and give each its forecast model.

    ``rank = 1`` for the best seller (ties keep the column order); ``rank <= full_skus`` gets
    ``full_model``, ``full_skus < rank <= max_skus`` gets ``rest_model``, the rest are not on the list.

    Parameters:
        series: weekly units, wide (index = weeks, one column per SKU), e.g. ``ForecastScope.sku_series``.
        max_skus: SKUs on the order list (at least 1).
        full_skus: of those, how many best sellers get ``full_model`` (0: none; ``>= max_skus``: all).
        full_model, rest_model: model names of :func:`opslib.forecasting.batch.forecast_many`.

    Returns:
        One row per SKU of the list, best seller first: ``sku``, ``rank``, ``units_52w``, ``model``.

    Example:
        >>> s = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 3.0]})
        >>> split_models(s, max_skus=2, full_skus=50)["model"].tolist()
        ['auto', 'auto']
    """
    if max_skus < 1 or full_skus < 0:
        raise ValueError(f"max_skus must be at least 1 and full_skus at least 0, got {max_skus}, {full_skus}")
    units = series.iloc[-52:].sum().sort_values(ascending=False, kind="stable").iloc[:max_skus]
    rank = np.arange(1, len(units) + 1)
    return pd.DataFrame({"sku": units.index.astype(str), "rank": rank, "units_52w": units.to_numpy(float),
                         "model": np.where(rank <= full_skus, full_model, rest_model)})


@dataclass
class OrderList:
    """The order list of a report: ``models`` (:func:`split_models`), ``forecasts`` (one
    :class:`opslib.forecasting.models.ForecastResult` per SKU, in ``models`` order), ``plan``
    (:class:`opslib.forecasting.replenishment.ReplenishmentPlan`) and the split it was made with."""

    models: pd.DataFrame
    forecasts: list
    plan: ReplenishmentPlan
    full_skus: int = 50
    full_model: str = "auto"
    rest_model: str = "ets"

    def summary(self) -> pd.DataFrame:
        """The plan, one row per SKU (most urgent first with stock), with the model each SKU was given."""
        return self.plan.summary().merge(self.models[["sku", "rank", "model"]].rename(columns={"model": "given"}),
                                         on="sku", how="left")

    def split(self) -> str:
        """One sentence on which SKUs got which forecast (what the report prints)."""
        n_full = int((self.models["rank"] <= self.full_skus).sum())
        n_rest = len(self.models) - n_full
        if not n_rest:
            return f"Order list: all {n_full} SKUs forecast with {self.full_model} (backtested bands)"
        return (f"Order list: {n_full} best sellers forecast with {self.full_model} (backtested bands), the next "
                f"{n_rest} with {self.rest_model.upper()} alone (cheaper; its bands run narrow, so their safety "
                "stock is on the low side; full_skus sets the split)")

    def describe(self) -> str:
        """The split and the plan's line (``'12 of 50 SKUs to order this week, 1,234 units'``)."""
        return f"{self.split()}\n{self.plan.describe()}"


def order_list(series: pd.DataFrame, inventory: pd.DataFrame | None, max_skus: int = 50, full_skus: int = 50,
               horizon: int = 8, lead_time_days: float = 14, service_level: float = 0.95, n_jobs: int = 1,
               country: str | None = None, full_model: str = "auto", rest_model: str = "ets",
               progress: bool = True) -> OrderList:
    """Forecast the order list's SKUs (:func:`split_models`) and plan their stock (module docstring formulas).

    Parameters:
        series: weekly units per SKU, wide (``ForecastScope.sku_series(max_skus)``).
        inventory: the inventory table (``date``, ``sku``, ``on_hand``; the last day is used) or None (targets
            only, no orders).
        max_skus, full_skus, full_model, rest_model: the split (:func:`split_models`).
        horizon: weeks forecast. lead_time_days, service_level: the stock policy. n_jobs: worker processes.
        country: the shop's country (holidays of the models). progress: a progress bar per batch.

    Returns:
        :class:`OrderList`.

    Example (naive forecasts: ``d_w`` = last week, ``sigma_w`` = std of the week-on-week changes):
        >>> weeks = pd.date_range("2024-01-01", periods=5, freq="7D")
        >>> s = pd.DataFrame({"A": [10.0, 12, 10, 12, 10]}, index=weeks)
        >>> inv = pd.DataFrame({"date": [weeks[-1]], "sku": ["A"], "on_hand": [20]})
        >>> ol = order_list(s, inv, full_model="naive", progress=False)
        >>> row = ol.summary().iloc[0]
        >>> round(float(row["safety_stock"]), 2), int(row["order_qty"])  # 1.6449 * sqrt(16/3) * sqrt(2); ceil(30 + 5.37 - 20)
        (5.37, 16)
    """
    from opslib.forecasting.batch import ForecastBatch, forecast_many

    models = split_models(series, max_skus, full_skus, full_model, rest_model)
    first = models["rank"] <= full_skus
    full, rest = models.loc[first, "sku"].tolist(), models.loc[~first, "sku"].tolist()
    series = series.set_axis(series.columns.astype(str), axis=1)
    forecasts = []
    for skus, model in ((full, full_model), (rest, rest_model)):
        if skus:
            forecasts += forecast_many(series[skus], model, horizon=horizon, n_jobs=n_jobs, country=country,
                                       progress=progress)
    plan = plan_replenishment(forecasts, inventory, lead_time_days=lead_time_days, service_level=service_level)
    return OrderList(models, ForecastBatch(forecasts), plan, full_skus, full_model, rest_model)


__all__ = ["OrderList", "order_list", "split_models"]
