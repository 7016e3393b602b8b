"""The executive summary of the forecast (notebook 03) and the order list purchasing works from.

:func:`summarise_forecast` reads the weekly history, the forecast (``opslib.forecasting.forecast_frame``), the model
comparison and the replenishment plan, and fills an ``opslib.reporting.ExecutiveSummary``: demand for the next weeks
against the same weeks a year earlier, how well the forecast did on weeks it had not seen, what to order this week,
and the order as an action for purchasing with its SKUs (so the next report says which SKUs joined or left the list).
:func:`export_orders` writes that order list for purchasing (xlsx with Chinese and English headers, product name and
brand, owner and status, whole units, a frozen header with a filter) through ``opslib.reporting.exports``.

Plans come as the frame of ``replenishment_plan`` (columns ``sku``, ``on_hand``, ``weeks_of_cover``,
``reorder_point``, ``order_qty``, ``order_now`` ...) or as an object whose ``summary()`` returns it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from opslib.plotting.assortment import STATUSES
from opslib.plotting.format import Note, decimal, percent, units

#: Who places the orders.
PURCHASING = "采购 purchasing"
#: The order list as purchasing gets it: column -> (header in Chinese and English, kind of number).
ORDER_EXPORT: dict[str, tuple[str, str]] = {
    "owner": ("负责人 owner", "text"), "status": ("状态 status", "text"), "sku": ("商品编码 SKU", "text"),
    "name": ("商品名称 product name", "text"), "brand": ("品牌 brand", "text"), "category": ("品类 category", "text"),
    "order_qty": ("建议下单量 order quantity", "units"), "on_hand": ("现有库存 on hand", "units"),
    "weeks_of_cover": ("可售周数 weeks of cover", "decimal"), "reorder_point": ("再订货点 reorder point", "units"),
    "safety_stock": ("安全库存 safety stock", "units"), "order_up_to": ("补货目标 order up to", "units"),
    "mean_weekly": ("周需求预测 weekly demand forecast", "decimal"), "note": ("备注 note", "text"),
}


def header(last_day: Any, horizon_weeks: int, level: str = "category", category: str | None = None) -> dict[str, str]:
    """The summary's period and scope lines: what is forecast from when, at which level.

    Parameters:
        last_day: the last day of data (a date or timestamp). horizon_weeks: weeks forecast.
        level: ``total``, ``category`` or ``sku``. category: the one category forecast, or None (the whole shop).

    Returns:
        ``{"period": ..., "scope": ...}`` for ``ExecutiveSummary(title, **header(...))``.

    Example:
        >>> header(pd.Timestamp("2025-12-31"), 8, "category")
        {'period': 'the next 8 weeks, from data up to 2025-12-31', 'scope': 'the whole shop, per category'}
    """
    where = "the whole shop" if category is None else f"category '{category}'"
    per = {"total": "in total", "category": "per category", "sku": "per SKU"}.get(level, f"per {level}")
    return {"period": f"the next {horizon_weeks} weeks, from data up to {pd.Timestamp(last_day):%Y-%m-%d}",
            "scope": f"{where}, {per}"}


def plan_frame(plan: Any) -> pd.DataFrame | None:
    """The plan as a frame: a ``replenishment_plan`` frame as it is, an object's ``summary()``, or None."""
    if plan is None or isinstance(plan, pd.DataFrame):
        return plan
    frame = plan.summary() if hasattr(plan, "summary") else None
    return frame if isinstance(frame, pd.DataFrame) else None


def order_list(plan: Any) -> pd.DataFrame:
    """The SKUs to order now (``order_now``), most urgent (fewest weeks of cover) first; empty without stock.

    Parameters:
        plan: a replenishment plan (frame or object, module doc).

    Returns:
        The rows of the plan to order now.

    Example:
        >>> p = pd.DataFrame({"sku": ["A", "B"], "weeks_of_cover": [3.0, 0.5], "order_now": [False, True],
        ...                   "order_qty": [0, 12]})
        >>> order_list(p)["sku"].tolist()
        ['B']
    """
    frame = plan_frame(plan)
    if frame is None or "order_now" not in frame.columns:
        return pd.DataFrame(columns=["sku", "order_qty"])
    rows = frame[frame["order_now"].fillna(False).astype(bool)]
    if "weeks_of_cover" in rows.columns:
        rows = rows.sort_values(["weeks_of_cover", "sku"], kind="stable")
    return rows.reset_index(drop=True)


def demand_change(history: pd.DataFrame, forecast: pd.DataFrame) -> tuple[float, float | None, str]:
    """Forecast units over the horizon, the same weeks' actual units a year earlier, and what they are compared with.

    Formula: F = Σ mean over every series and forecast week; the baseline B = Σ of the history over the forecast
    weeks shifted back 52 weeks (the same ISO weeks last year) when the history covers them all, else over the last
    ``h`` weeks of history (h = forecast weeks), else None.

    Parameters:
        history: weekly series (index: week, one column per series). forecast: ``series_id``, ``date``, ``mean``.

    Returns:
        ``(F, B, label of B)``.

    Example:
        >>> h = pd.DataFrame({"A": [10.0] * 60}, index=pd.date_range("2024-01-01", periods=60, freq="7D"))
        >>> f = pd.DataFrame({"series_id": "A", "date": pd.date_range("2025-02-24", periods=2, freq="7D"),
        ...                   "mean": [12.0, 13.0]})
        >>> demand_change(h, f)   # 12 + 13 against the same two weeks a year earlier, 10 + 10
        (25.0, 20.0, 'the same weeks last year')
    """
    total = float(forecast["mean"].sum())
    dates = pd.DatetimeIndex(sorted(pd.to_datetime(forecast["date"]).unique()))
    if history is None or not len(history) or not len(dates):
        return total, None, ""
    hist = history.sum(axis=1) if isinstance(history, pd.DataFrame) else history
    hist = hist.set_axis(pd.to_datetime(hist.index))  # a copy: the caller's series keeps its index
    last_year = dates - pd.Timedelta(weeks=52)
    if last_year.isin(hist.index).all():
        return total, float(hist.loc[last_year].sum()), "the same weeks last year"
    if len(hist) >= len(dates):
        return total, float(hist.iloc[-len(dates):].sum()), f"the last {len(dates)} weeks"
    return total, None, ""


def summarise_forecast(summary: Any, history: pd.DataFrame, forecast: pd.DataFrame, plan: Any = None,
                       leaderboard: pd.DataFrame | None = None) -> Any:
    """Fill the forecast's executive summary (module doc).

    Rules: tile "demand next N weeks" = :func:`demand_change` F with its change vs B; with a leaderboard (``model``,
    ``mase``), a tile with the best model's MASE (< 1: better than last year's same week) and a verdict comparing it
    with seasonal naive (``snaive``); with a plan that knows stock, tiles for the SKUs to order and the units, a
    verdict naming the most urgent SKU, and an action for purchasing (key ``order``, items: the SKUs); without stock,
    a verdict saying the order list needs the inventory table.

    Parameters:
        summary: an ``opslib.reporting.ExecutiveSummary``. history: the weekly series forecast (wide: one column
        per series). forecast: ``forecast_frame`` or a ``forecast_many`` batch (its ``frame()``). plan: the
        replenishment plan (frame or object; an object's ``reason`` says why there is no order list) or None.
        leaderboard: the backtest's leaderboard or a ``compare_models`` result (its ``summary()``), or None.

    Returns:
        The summary (filled in place).
    """
    forecast = forecast.frame() if hasattr(forecast, "frame") else forecast
    if leaderboard is not None and not isinstance(leaderboard, pd.DataFrame) and hasattr(leaderboard, "summary"):
        leaderboard = leaderboard.summary()
    weeks = int(pd.to_datetime(forecast["date"]).nunique()) if len(forecast) else 0
    total, base, label = demand_change(history, forecast)
    change = f"{percent(total / base - 1, signed=True)} vs {label}" if base else None
    summary.tile(f"未来 {weeks} 周需求 demand, next {weeks} weeks", units(total), change,
                 good=None if not base else total >= base, metric="forecast_units", raw=total)
    if base:
        summary.verdict(f"Demand for the next {weeks} weeks: {units(total)} units, "
                        f"{percent(total / base - 1, signed=True)} vs {label} ({units(base)}).")
    board = leaderboard if leaderboard is not None and {"model", "mase"} <= set(leaderboard.columns) else None
    board = None if board is None else board[pd.to_numeric(board["mase"], errors="coerce").notna()]
    if board is not None and len(board):
        best = board.sort_values("mase").iloc[0]
        summary.tile("预测误差 MASE (best model)", decimal(best["mase"], 2), str(best["model"]),
                     good=bool(best["mase"] < 1), metric="mase", raw=float(best["mase"]))
        naive = board[board["model"] == "snaive"]
        if len(naive) and str(best["model"]) != "snaive":
            summary.verdict(f"On weeks it had not seen, {best['model']} erred {decimal(best['mase'], 2)} × a typical "
                            f"week-on-week change against {decimal(naive['mase'].iloc[0], 2)} for last year's "
                            "same week (MASE; lower is better).")
    frame = plan_frame(plan)
    if frame is None:
        return summary
    if "order_now" not in frame.columns:
        reason = str(getattr(plan, "reason", "") or "")
        summary.verdict(reason[:1].upper() + reason[1:] if reason else
                        "No stock levels (inventory table): safety stock and reorder points only, no order list.")
        return summary
    orders = order_list(frame)
    qty = float(orders["order_qty"].sum()) if len(orders) else 0.0
    summary.tile("本周下单 SKUs to order", f"{len(orders):,} of {len(frame):,}", good=None, metric="orders",
                 raw=float(len(orders)))
    summary.tile("下单量 units to order", units(qty), metric="order_units", raw=qty)
    if len(orders):
        first = orders.iloc[0]
        cover = (f" ({decimal(first['weeks_of_cover'], 1)} weeks of cover)"
                 if "weeks_of_cover" in orders.columns and np.isfinite(first["weeks_of_cover"]) else "")
        reach = "1 SKU reaches its" if len(orders) == 1 else f"{len(orders):,} SKUs reach their"
        summary.verdict(f"{reach} reorder point this week; the most urgent is {first['sku']}{cover}.")
        top = ", ".join(orders["sku"].astype(str).head(3))
        summary.action(PURCHASING, f"order {len(orders):,} SKUs this week ({units(qty)} units), first {top}.",
                       key="order", items=orders["sku"].astype(str).tolist())
    else:
        summary.verdict("No SKU is at its reorder point: nothing to order this week.")
    return summary


def order_export_table(plan: Any, products: pd.DataFrame | None = None) -> pd.DataFrame:
    """The order list for purchasing: the SKUs to order now, owner, an open status, product name, brand and category,
    the quantity and the numbers behind it; raw numbers (the xlsx formats them), infinite cover as NaN.

    Parameters:
        plan: a replenishment plan (frame or object). products: the shop's products, or None.

    Returns:
        One row per SKU to order, columns in :data:`ORDER_EXPORT` order (those available).

    Example:
        >>> p = pd.DataFrame({"sku": ["A", "B"], "order_now": [True, False], "order_qty": [12, 0],
        ...                   "on_hand": [1.0, 50.0], "weeks_of_cover": [0.2, np.inf]})
        >>> order_export_table(p)[["owner", "status", "sku", "order_qty"]].values.tolist()
        [['采购 purchasing', '待处理 open', 'A', 12]]
    """
    rows = order_list(plan).copy()
    if products is not None and "sku" in products.columns:
        info = products.drop_duplicates("sku").set_index("sku")
        for col in ("name", "brand", "category"):
            if col in info.columns:
                rows[col] = rows["sku"].map(info[col])
    rows["owner"], rows["status"], rows["note"] = PURCHASING, STATUSES[0], ""
    for col in ("weeks_of_cover", "mean_weekly"):
        if col in rows.columns:
            rows[col] = pd.to_numeric(rows[col], errors="coerce").replace([np.inf, -np.inf], np.nan)
    return rows[[c for c in ORDER_EXPORT if c in rows.columns]]


def export_orders(plan: Any, products: pd.DataFrame | None, folder: Any, name: str) -> Any:
    """Write this week's order list for purchasing (:func:`order_export_table`) as xlsx and CSV and show links.

    Parameters:
        plan: a replenishment plan (frame or object). products: the shop's products, or None.
        folder: the export folder (the report's own folder under the report runner); None writes nothing.
        name: the file name without suffix.

    Returns:
        ``opslib.reporting.ExportedFiles`` (links in HTML), or a Note saying why nothing was written.
    """
    from opslib.reporting.exports import exported, write_table

    if folder is None:
        return Note("(no export: set export_dir to write the order list as Excel and CSV)")
    frame = plan_frame(plan)
    if frame is None or "order_now" not in frame.columns:
        return Note("(no order list to export: it needs the inventory table)")
    table = order_export_table(frame, products)
    paths = write_table(table, folder, name, formats=("xlsx", "csv"), sheet="orders",
                        headers={c: ORDER_EXPORT[c][0] for c in table.columns},
                        kinds={c: ORDER_EXPORT[c][1] for c in table.columns}, choices={"status": STATUSES})
    return exported(paths)


__all__ = ["ORDER_EXPORT", "PURCHASING", "demand_change", "export_orders", "header", "order_export_table",
           "order_list", "plan_frame", "summarise_forecast"]
