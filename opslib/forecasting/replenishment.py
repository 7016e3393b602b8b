"""Inventory planning from weekly forecasts: safety stock, reorder point, weeks of cover, order list.

Formulas (weekly forecasts, lead time ``L`` in days, ``L_w = L / 7`` weeks, review period ``R`` weeks):

* safety stock ``SS = z * sigma_w * sqrt(L_w)``, ``z = Phi^-1(service_level)`` (cycle service level:
  the chance of not running out before the order arrives), ``sigma_w`` = standard deviation of the
  weekly forecast error (independent weekly errors add up in variance over the lead time);
* reorder point ``ROP = d_w * L_w + SS``, ``d_w`` = forecast mean weekly demand;
* weeks of cover ``WOC = on_hand / d_w`` (inf when no demand is expected);
* order-up-to level ``OUT = d_w * (L_w + R) + SS``; suggested order ``Q = ceil(OUT - on_hand)`` when
  ``on_hand <= ROP``, else 0 (inventory in transit is not in the contract, so it is taken as 0).

Example:
    >>> round(safety_stock(sigma_weekly=10.0, lead_time_days=14, service_level=0.95), 2)
    23.26
    >>> round(reorder_point(mean_weekly=50.0, lead_time_days=14, safety=23.26), 2)
    123.26
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from opslib.forecasting.models import ForecastResult
from opslib.kpi import Term


def service_z(service_level: float) -> float:
    """``z = Phi^-1(service_level)``: 0.90 -> 1.2816, 0.95 -> 1.6449, 0.99 -> 2.3263."""
    if not 0.5 <= service_level < 1:
        raise ValueError(f"service_level must be in [0.5, 1), got {service_level!r}")
    return NormalDist().inv_cdf(service_level)


def safety_stock(sigma_weekly: float | np.ndarray, lead_time_days: float, service_level: float = 0.95):
    """``SS = z * sigma_w * sqrt(L / 7)`` units.

    Example: ``sigma_w = 10``, ``L = 14`` days, 95% -> ``1.6449 * 10 * sqrt(2) = 23.26``.
    """
    ss = service_z(service_level) * np.asarray(sigma_weekly, float) * np.sqrt(lead_time_days / 7.0)
    return float(ss) if ss.ndim == 0 else ss


def reorder_point(mean_weekly: float | np.ndarray, lead_time_days: float, safety: float | np.ndarray):
    """``ROP = d_w * L / 7 + SS`` units. Example: ``50 * 2 + 23.26 = 123.26``."""
    rop = np.asarray(mean_weekly, float) * lead_time_days / 7.0 + np.asarray(safety, float)
    return float(rop) if rop.ndim == 0 else rop


def weeks_of_cover(on_hand: float | np.ndarray, mean_weekly: float | np.ndarray):
    """``WOC = on_hand / d_w`` weeks (inf when ``d_w = 0`` and stock is left, 0 when both are 0).

    Example: ``weeks_of_cover(120, 40) = 3.0``.
    """
    oh, d = np.asarray(on_hand, float), np.asarray(mean_weekly, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(d > 0, oh / np.where(d > 0, d, 1), np.where(oh > 0, np.inf, 0.0))
    return out if out.ndim else float(out)


def latest_stock(inventory: pd.DataFrame) -> pd.DataFrame:
    """Stock on the last day of the inventory table: ``sku``, ``stock_date``, ``on_hand``."""
    last = inventory["date"].max()
    snap = inventory.loc[inventory["date"] == last, ["sku", "on_hand"]].copy()
    snap.insert(1, "stock_date", last)
    return snap.reset_index(drop=True)


def demand_table(results: list[ForecastResult], weeks: int | None = None) -> pd.DataFrame:
    """Per series: ``sku``, ``mean_weekly`` (mean forecast over the first ``weeks`` weeks, all when
    None), ``sigma_weekly`` (std of one-step in-sample forecast errors), ``model``."""
    rows = []
    for r in results:
        f = r.forecast["mean"].to_numpy()[: weeks or None]
        rows.append({"sku": r.series_id, "mean_weekly": float(np.mean(f)) if len(f) else 0.0,
                     "sigma_weekly": float(r.sigma), "model": r.model})
    return pd.DataFrame(rows)


def replenishment_plan(
    demand: pd.DataFrame,
    stock: pd.DataFrame | None,
    lead_time_days: float = 14,
    service_level: float = 0.95,
    review_weeks: float = 1.0,
) -> pd.DataFrame:
    """Stock targets per SKU and, with stock, this week's suggested orders.

    ``demand``: ``sku``, ``mean_weekly``, ``sigma_weekly`` (:func:`demand_table`); ``stock``: ``sku``,
    ``on_hand`` (:func:`latest_stock`) or None. Output columns: ``sku``, ``mean_weekly``,
    ``sigma_weekly``, ``safety_stock``, ``reorder_point``, ``order_up_to``; with stock also ``on_hand``,
    ``weeks_of_cover``, ``order_now`` (``on_hand <= reorder_point``) and ``order_qty`` (formulas in the
    module docstring). Sorted by ``weeks_of_cover`` (most urgent first) when stock is given.
    """
    out = demand[["sku", "mean_weekly", "sigma_weekly"]].copy()
    out["safety_stock"] = safety_stock(out["sigma_weekly"].to_numpy(), lead_time_days, service_level)
    out["reorder_point"] = reorder_point(out["mean_weekly"].to_numpy(), lead_time_days, out["safety_stock"].to_numpy())
    out["order_up_to"] = out["mean_weekly"] * (lead_time_days / 7.0 + review_weeks) + out["safety_stock"]
    if stock is None:
        return out
    out = out.merge(stock[["sku", "on_hand"]], on="sku", how="left")
    out["on_hand"] = out["on_hand"].fillna(0).astype(float)
    out["weeks_of_cover"] = weeks_of_cover(out["on_hand"].to_numpy(), out["mean_weekly"].to_numpy())
    out["order_now"] = out["on_hand"] <= out["reorder_point"]
    need = np.ceil(np.clip(out["order_up_to"] - out["on_hand"], 0, None)).astype("int64")
    out["order_qty"] = np.where(out["order_now"], need, 0).astype("int64")
    return out.sort_values(["weeks_of_cover", "sku"], ignore_index=True)


@dataclass
class ReplenishmentPlan:
    """Stock targets per SKU and this week's orders.

    ``plan``: :func:`replenishment_plan`; ``reason``: why the order list is missing ('' with inventory);
    ``lead_time_days``, ``service_level``: the settings used.
    """

    plan: pd.DataFrame
    lead_time_days: float
    service_level: float
    reason: str = ""

    def summary(self) -> pd.DataFrame:
        """The plan: one row per SKU, most urgent first when stock is known."""
        return self.plan

    def orders(self) -> pd.DataFrame:
        """The SKUs to order now: ``sku``, ``on_hand``, ``weeks_of_cover``, ``reorder_point``, ``order_qty``
        (empty without stock)."""
        cols = ["sku", "on_hand", "weeks_of_cover", "reorder_point", "order_qty"]
        if "order_now" not in self.plan:
            return pd.DataFrame(columns=cols)
        return self.plan.loc[self.plan["order_now"], cols].reset_index(drop=True)

    def describe(self) -> str:
        """``'12 of 50 SKUs to order this week, 1,234 units'``, or the reason there is no order list."""
        if "order_now" not in self.plan:
            return self.reason or "no stock levels: targets only, no order list"
        o = self.orders()
        return f"{len(o)} of {len(self.plan)} SKUs to order this week, {int(o['order_qty'].sum()):,} units"

    def plot(self) -> Any:
        """Weeks of cover against the reorder point per SKU (:func:`opslib.plotting.forecasting.cover_chart`)."""
        if "weeks_of_cover" not in self.plan:
            print(self.describe())
            return None
        from opslib.plotting.forecasting import cover_chart

        return cover_chart(self.plan, self.lead_time_days)


def plan_replenishment(results: list[ForecastResult], inventory: pd.DataFrame | None, lead_time_days: float = 14,
                       service_level: float = 0.95, review_weeks: float = 1.0) -> ReplenishmentPlan:
    """Safety stock, reorder points, weeks of cover and this week's orders from weekly SKU forecasts.

    ``d_w`` is the mean forecast over the lead time (``ceil(L / 7)`` weeks); formulas in the module docstring.

    Parameters:
        results: weekly forecasts per SKU (``opslib.forecasting.batch.forecast_many``). inventory: the
            inventory table (latest ``on_hand`` per SKU is used), or None. lead_time_days, service_level,
            review_weeks: the policy.

    Returns:
        :class:`ReplenishmentPlan` (without inventory: targets only and the reason).

    Example:
        >>> from opslib.forecasting.models import fit_forecast
        >>> y = pd.Series([10.0] * 20, index=pd.date_range("2024-01-01", periods=20, freq="7D"))
        >>> r = fit_forecast(y, "naive", 4, series_id="A")
        >>> inv = pd.DataFrame({"date": pd.to_datetime(["2024-05-19"]), "sku": ["A"], "on_hand": [15]})
        >>> plan_replenishment([r], inv, lead_time_days=14).describe()
        '1 of 1 SKUs to order this week, 15 units'
    """
    demand = demand_table(results, weeks=max(1, int(np.ceil(lead_time_days / 7))))
    stock = latest_stock(inventory) if inventory is not None and len(inventory) else None
    plan = replenishment_plan(demand, stock, lead_time_days, service_level, review_weeks)
    reason = "" if stock is not None else "no inventory table: safety stock and reorder points only, no order list"
    return ReplenishmentPlan(plan, lead_time_days, service_level, reason)


TERMS: tuple[Term, ...] = (
    Term("safety_stock", "安全库存", "Safety stock", "SS = z × σ_w × √(L / 7), z = Φ⁻¹(service level)",
         "opslib.forecasting.replenishment.safety_stock", "03"),
    Term("reorder_point", "再订货点", "Reorder point", "ROP = d_w × L / 7 + SS", "opslib.forecasting.replenishment.reorder_point", "03"),
    Term("weeks_of_cover", "库存周数", "Weeks of cover", "on hand / mean weekly forecast",
         "opslib.forecasting.replenishment.weeks_of_cover", "03"),
    Term("order_quantity", "建议订货量", "Suggested order quantity", "when on hand ≤ ROP: d_w × (L / 7 + 1 week "
         "review) + SS − on hand, else 0", "opslib.forecasting.replenishment.replenishment_plan", "03"),
    Term("service_level", "服务水平", "Service level", "the chance that stock covers demand over the lead time; "
         "z = Φ⁻¹(service level): 95% → 1.645", "opslib.forecasting.replenishment.service_z", "03"),
)
