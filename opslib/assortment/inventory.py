"""Inventory health (库存健康): turnover, days of supply, sell-through, stock-outs, lost sales, dead stock.

Inputs are the contract's ``inventory`` table (one row per day and SKU: ``on_hand`` at the end of the
day, ``inbound`` received that day) and a daily SKU sales cube (``opslib.data.cube.daily_sku``: ``date``,
``sku``, ``units``, ``gmv``). Days missing from the cube sold nothing.

Conventions:

* A SKU's stock history starts on its first day with ``on_hand > 0`` or ``inbound > 0`` (its
  launch); zero rows before that are not stock-outs.
* A **stock-out day** is a day whose end-of-day ``on_hand == 0``; a **spell** is a run of
  consecutive stock-out days of one SKU. The first day of a spell usually still sold something
  (the shelf emptied during the day).
* An **in-stock day** has ``on_hand > 0`` at the end of the day: demand was fully served, so its
  sales measure demand.

Lost sales while out of stock (``lost_sales``): expected daily demand ``e`` = the SKU's mean daily
units over its in-stock days within ``window_days`` before and after the spell; ``lost = max(0, e x
spell days - units still sold on the spell days)``. Optionally (``index_by="category"``) the
expectation follows the category's daily units through the spell (festivals inside a long gap).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from opslib.calendar import period_bounds
from opslib.kpi import Term


def _daily(inventory: pd.DataFrame, daily: pd.DataFrame | None, units: str = "units",
           value: str = "gmv") -> pd.DataFrame:
    """Inventory rows from each SKU's first stocked day, with that day's units (and value) sold."""
    inv = inventory[["date", "sku", "on_hand", "inbound"]].sort_values(["sku", "date"], ignore_index=True)
    stocked = (inv["on_hand"] > 0) | (inv["inbound"] > 0)
    inv = inv[stocked.groupby(inv["sku"]).cummax()].reset_index(drop=True)
    cols = [c for c in (units, value) if daily is not None and c in daily.columns]
    if daily is not None and cols:
        sold = daily.groupby(["date", "sku"], as_index=False)[cols].sum()
        inv = inv.merge(sold, on=["date", "sku"], how="left")
    for c in (units, value):
        if c not in inv.columns:
            inv[c] = 0.0
        inv[c] = inv[c].fillna(0)
    return inv.rename(columns={units: "units", value: "value"})


def stockout_spells(inventory: pd.DataFrame, min_days: int = 1) -> pd.DataFrame:
    """Stock-out spells: runs of consecutive days with end-of-day ``on_hand == 0`` per SKU.

    A run breaks when ``on_hand > 0`` or a calendar day is missing. Days before the SKU's first
    stocked day are ignored (see module docstring). Runs shorter than ``min_days`` are dropped.

    Returns ``sku``, ``start``, ``end`` (inclusive), ``days`` = end - start + 1, ``open`` (True when
    the run reaches the SKU's last inventory day: still out of stock); sorted by sku, start.

    Parameters:
        inventory: the inventory table. min_days: the shortest spell kept.

    Returns:
        One row per spell (columns above).

    Example:
        >>> inv = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=6), "sku": "a",
        ...     "on_hand": [0, 5, 0, 0, 3, 0], "inbound": [0, 5, 0, 0, 3, 0]})
        >>> stockout_spells(inv)[["start", "days", "open"]].to_dict("records")  # day 1 is pre-launch
        [{'start': Timestamp('2024-01-03 00:00:00'), 'days': 2, 'open': False}, \
{'start': Timestamp('2024-01-06 00:00:00'), 'days': 1, 'open': True}]
    """
    inv = _daily(inventory, None)
    cols = ["sku", "start", "end", "days", "open"]
    if inv.empty:
        return pd.DataFrame(columns=cols)
    zero = inv["on_hand"].eq(0)
    same_sku = inv["sku"].eq(inv["sku"].shift())
    next_day = inv["date"].sub(inv["date"].shift()).eq(pd.Timedelta(days=1))
    cont = zero & zero.shift(fill_value=False) & same_sku & next_day
    run = (~cont).cumsum()
    z = inv[zero].assign(run=run[zero])
    last_day = inv.groupby("sku")["date"].max()
    out = z.groupby("run").agg(sku=("sku", "first"), start=("date", "min"), end=("date", "max"))
    out["days"] = ((out["end"] - out["start"]).dt.days + 1).astype("int64")
    out["open"] = out["end"].eq(out["sku"].map(last_day))
    out = out[out["days"] >= min_days]
    return out[cols].sort_values(["sku", "start"], ignore_index=True)


def lost_sales(
    inventory: pd.DataFrame,
    daily: pd.DataFrame,
    spells: pd.DataFrame | None = None,
    window_days: int = 28,
    index_by: str | None = None,
    units: str = "units",
    value: str = "gmv",
) -> pd.DataFrame:
    """Estimate the units (and money) lost during each stock-out spell.

    For a spell of SKU ``s`` over days ``start..end`` (``n`` days), let ``W`` be the SKU's in-stock
    days in ``[start - window_days, start)`` and ``(end, end + window_days]`` (all its in-stock days
    when the window has none), ``u_d`` its units sold on day ``d``.

    * Flat (default ``index_by=None``, or ``daily`` has no ``index_by`` column): expected daily
      demand ``e = sum_W u_d / |W|`` and expected spell demand ``E = e * n``.
    * Demand-indexed (``index_by="category"`` or ``"subcategory"``): ``C_d`` = units sold by the SKU's whole
      category on day ``d`` (from ``daily``); the SKU's share of its category on in-stock days,
      ``sum_W u_d / sum_W C_d``, times what the category sold during the spell: ``E = sum_W u_d /
      sum_W C_d * sum_{d=start..end} C_d``. This carries festivals, campaigns and seasonality that
      fall inside the spell (a flat mean misses a 双11 inside a 6-week gap). Falls back to flat
      when ``sum_W C_d = 0``. ``expected_daily_units`` = E / n.

    ``lost_units = max(0, E - sold_in_spell)``, ``sold_in_spell`` = what the SKU still sold on the
    spell days (typically on the first, before the shelf emptied); ``lost_value = lost_units *
    avg_price``, ``avg_price`` = value / units over ``W``.

    Returns the spell columns (``stockout_spells``) plus ``in_stock_days`` (= ``|W|``),
    ``expected_daily_units``, ``sold_in_spell``, ``lost_units``, ``avg_price``, ``lost_value``.

    Parameters:
        inventory: the inventory table. daily: daily x SKU cube. spells: :func:`stockout_spells` (None: all).
        window_days: in-stock days around a spell used for demand. index_by: a column whose daily level indexes
        demand (e.g. category). units, value: columns of ``daily``.

    Returns:
        One row per spell with the lost units and value.

    Example:
        >>> inv = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=5), "sku": "a",
        ...     "on_hand": [9, 6, 0, 0, 8], "inbound": [10, 0, 0, 0, 10]})
        >>> daily = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=4), "sku": "a",
        ...     "units": [1, 3, 2, 0], "gmv": [10.0, 30.0, 20.0, 0.0]})
        >>> # in-stock days 01-01, 01-02, 01-05 sold 1 + 3 + 0 -> e = 4/3; lost = 4/3 * 2 - 2
        >>> round(float(lost_sales(inv, daily)["lost_units"].iloc[0]), 4)
        0.6667
    """
    inv = _daily(inventory, daily, units, value)
    if spells is None:
        spells = stockout_spells(inventory)
    extra = ["in_stock_days", "expected_daily_units", "sold_in_spell", "lost_units", "avg_price", "lost_value"]
    out = spells.reset_index(drop=True).copy()
    if out.empty:
        return out.reindex(columns=[*spells.columns, *extra])
    indexed = index_by is not None and index_by in daily.columns
    if indexed:
        level = daily.groupby(["date", index_by], as_index=False)[units].sum().rename(columns={units: "_c"})
        group_of = daily.dropna(subset=[index_by]).drop_duplicates("sku").set_index("sku")[index_by]
        inv = inv.assign(**{index_by: inv["sku"].map(group_of)}).merge(level, on=["date", index_by], how="left")
        c = inv["_c"].fillna(0).to_numpy(np.float64)
    else:
        c = np.zeros(len(inv))
    # Vectorised range sums: rows sorted by (sku, date) get key = sku_code * 2^32 + day number, so a
    # (sku, first day .. last day) range is one searchsorted pair on the running sums.
    codes = {s: i for i, s in enumerate(pd.unique(inv["sku"]))}
    day = inv["date"].to_numpy("datetime64[D]").astype(np.int64)
    key = inv["sku"].map(codes).to_numpy(np.int64) * (1 << 32) + day
    instock = (inv["on_hand"] > 0).to_numpy(np.float64)
    u = inv["units"].to_numpy(np.float64)
    v = inv["value"].to_numpy(np.float64)
    run = {name: np.concatenate([[0.0], np.cumsum(x)]) for name, x in
           (("n", instock), ("u", u * instock), ("v", v * instock), ("c", c * instock), ("all_u", u),
            ("all_c", c))}
    sku_code = out["sku"].map(codes)
    known = sku_code.notna().to_numpy()
    base = sku_code.fillna(-1).to_numpy(np.int64) * (1 << 32)
    s_day = out["start"].to_numpy("datetime64[D]").astype(np.int64)
    e_day = out["end"].to_numpy("datetime64[D]").astype(np.int64)

    def rsum(name: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        i = np.searchsorted(key, base + lo, side="left")
        j = np.searchsorted(key, base + hi, side="right")
        return run[name][j] - run[name][i]

    near = {n: rsum(n, s_day - window_days, s_day - 1) + rsum(n, e_day + 1, e_day + window_days)
            for n in ("n", "u", "v", "c")}
    lo, hi = np.full_like(s_day, -(1 << 31)), np.full_like(s_day, (1 << 31) - 1)
    whole = {n: rsum(n, lo, hi) for n in ("n", "u", "v", "c")}
    w = {n: np.where(near["n"] > 0, near[n], whole[n]) for n in ("n", "u", "v", "c")}
    days = out["days"].to_numpy(np.float64)
    c_spell = rsum("all_c", s_day, e_day)
    with np.errstate(divide="ignore", invalid="ignore"):
        flat = np.where(w["n"] > 0, w["u"] / np.maximum(w["n"], 1) * days, np.nan)
        share = np.where(w["c"] > 0, w["u"] / np.maximum(w["c"], 1e-300) * c_spell, np.nan)
        expected = np.where(indexed & (w["c"] > 0), share, flat)
        expected = np.where(known, expected, np.nan)
        price = np.where(w["u"] > 0, w["v"] / np.maximum(w["u"], 1e-300), np.nan)
    sold = np.where(known, rsum("all_u", s_day, e_day), np.nan)
    out["in_stock_days"] = w["n"].astype("int64")
    out["expected_daily_units"] = expected / days
    out["sold_in_spell"] = sold
    out["lost_units"] = np.maximum(0.0, expected - sold)
    out["avg_price"] = price
    out["lost_value"] = out["lost_units"] * out["avg_price"].fillna(0.0)
    return out


def lost_sales_by(lost: pd.DataFrame, products: pd.DataFrame, by: str = "category") -> pd.DataFrame:
    """Total stock-out days, spells, lost units and lost value per ``by`` column of ``products``.

    Parameters:
        lost: :func:`lost_sales`. products: the products table. by: the products column to group by.

    Returns:
        One row per group, largest lost value first.

    Example:
        >>> lost = pd.DataFrame({"sku": ["a", "b", "a"], "days": [2, 1, 3], "lost_units": [4.0, 1.0, 2.0],
        ...     "lost_value": [40.0, 5.0, 20.0]})
        >>> p = pd.DataFrame({"sku": ["a", "b"], "category": ["x", "y"]})
        >>> lost_sales_by(lost, p).to_dict("records")
        [{'category': 'x', 'spells': 2, 'stockout_days': 5, 'lost_units': 6.0, 'lost_value': 60.0}, \
{'category': 'y', 'spells': 1, 'stockout_days': 1, 'lost_units': 1.0, 'lost_value': 5.0}]
    """
    d = lost.assign(**{by: lost["sku"].map(products.set_index("sku")[by])})
    out = d.groupby(by, as_index=False).agg(spells=("sku", "size"), stockout_days=("days", "sum"),
                                            lost_units=("lost_units", "sum"), lost_value=("lost_value", "sum"))
    return out.sort_values("lost_units", ascending=False, ignore_index=True)


def inventory_health(
    inventory: pd.DataFrame,
    daily: pd.DataFrame,
    period: Any,
    dead_stock_weeks: float = 8,
    demand_days: int = 28,
    units: str = "units",
) -> pd.DataFrame:
    """Per-SKU inventory health over ``period`` (``(start, end)`` or ``opslib.calendar.Period``).

    Per SKU, over the period's days from its first stocked day (``D`` days):

    * ``on_hand`` = end-of-day stock on the last day; ``avg_on_hand`` = mean end-of-day stock;
    * ``units_sold`` = sum of ``units``; ``turnover`` = units_sold / avg_on_hand (times the stock
      turned in the period); ``turnover_annual`` = turnover x 365 / D;
    * ``demand_rate`` = units sold on in-stock days / in-stock days, over the period's last
      ``demand_days`` days (the whole period when none was in stock then);
      ``days_of_supply`` = on_hand / demand_rate (0 when on_hand is 0; +inf when nothing sells);
    * ``sell_through`` = units_sold / (units_sold + on_hand) (what was available = opening stock +
      received = sold + closing stock);
    * ``stockout_days`` = days with on_hand == 0;
    * ``last_sale`` = last day with units > 0 on or before the period's end (any earlier date in the
      data counts); ``weeks_since_last_sale`` = (end - last_sale) / 7 days (since the first stocked
      day when never sold); ``dead_stock`` = on_hand > 0 and ``weeks_since_last_sale >=
      dead_stock_weeks``.

    Parameters:
        inventory: the inventory table. daily: daily x SKU cube (``units``). period: the review period.
        dead_stock_weeks: weeks without a sale that make stock dead. demand_days: days of demand for days of
        supply. units: the units column of ``daily``.

    Returns:
        One row per SKU (columns above).

    Example:
        >>> inv = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=4), "sku": "a",
        ...     "on_hand": [10, 8, 0, 6], "inbound": [10, 0, 0, 6]})
        >>> daily = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3), "sku": "a", "units": [0, 2, 8]})
        >>> h = inventory_health(inv, daily, ("2024-01-01", "2024-01-04"))
        >>> h[["avg_on_hand", "turnover", "sell_through", "stockout_days", "days_of_supply"]].to_dict("records")
        [{'avg_on_hand': 6.0, 'turnover': 1.6666666666666667, 'sell_through': 0.625, 'stockout_days': 1, \
'days_of_supply': 9.0}]
    """
    start, end = period_bounds(period)
    inv = _daily(inventory[inventory["date"] <= end], daily, units)
    hist = inv
    inv = inv[inv["date"] >= start]
    cols = ["sku", "on_hand", "avg_on_hand", "units_sold", "turnover", "turnover_annual", "demand_rate",
            "days_of_supply", "sell_through", "stockout_days", "in_stock_days", "last_sale",
            "weeks_since_last_sale", "dead_stock"]
    if inv.empty:
        return pd.DataFrame(columns=cols)
    inv = inv.assign(instock=inv["on_hand"] > 0)
    inv = inv.assign(u_in=inv["units"].where(inv["instock"], 0))
    g = inv.groupby("sku")
    out = pd.DataFrame({
        "on_hand": g["on_hand"].last(),
        "avg_on_hand": g["on_hand"].mean(),
        "units_sold": g["units"].sum(),
        "days": g.size(),
        "stockout_days": g["instock"].sum().rsub(g.size()).astype("int64"),
        "in_stock_days": g["instock"].sum().astype("int64"),
    })
    recent = inv[inv["date"] > end - pd.Timedelta(days=demand_days)].groupby("sku")
    r_units, r_days = recent["u_in"].sum(), recent["instock"].sum()
    a_units, a_days = g["u_in"].sum(), g["instock"].sum()
    use_recent = r_days.reindex(out.index, fill_value=0) > 0
    num = np.where(use_recent, r_units.reindex(out.index, fill_value=0), a_units)
    den = np.where(use_recent, r_days.reindex(out.index, fill_value=0), a_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["demand_rate"] = np.where(den > 0, num / np.maximum(den, 1), 0.0)
        out["turnover"] = out["units_sold"] / out["avg_on_hand"].where(out["avg_on_hand"] > 0)
        out["turnover_annual"] = out["turnover"] * 365.0 / out["days"]
        dos = out["on_hand"] / out["demand_rate"].where(out["demand_rate"] > 0)
    out["days_of_supply"] = np.where(out["on_hand"] == 0, 0.0, dos.fillna(np.inf))
    avail = out["units_sold"] + out["on_hand"]
    out["sell_through"] = out["units_sold"] / avail.where(avail > 0)
    sold = hist[hist["units"] > 0].groupby("sku")["date"].max()
    first = hist.groupby("sku")["date"].min()
    out["last_sale"] = sold.reindex(out.index)
    ref = out["last_sale"].fillna(first.reindex(out.index))
    out["weeks_since_last_sale"] = (end - ref).dt.days / 7.0
    out["dead_stock"] = (out["on_hand"] > 0) & (out["weeks_since_last_sale"] >= dead_stock_weeks)
    return out.rename_axis("sku").reset_index()[cols]


def stock_counts(health: pd.DataFrame) -> dict[str, int]:
    """Headline counts from :func:`inventory_health`: SKUs ``with_stock`` (on_hand > 0),
    ``out_of_stock`` (on_hand == 0 at the period end) and ``dead_stock``.

    Parameters:
        health: :func:`inventory_health`.

    Returns:
        ``{'with_stock': n, 'out_of_stock': n, 'dead_stock': n}``.

    Example:
        >>> h = pd.DataFrame({"on_hand": [5, 0, 3], "dead_stock": [False, False, True]})
        >>> stock_counts(h)
        {'with_stock': 2, 'out_of_stock': 1, 'dead_stock': 1}
    """
    return {"with_stock": int((health["on_hand"] > 0).sum()), "out_of_stock": int((health["on_hand"] == 0).sum()),
            "dead_stock": int(health["dead_stock"].sum())}


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("stockout_spell", "缺货", "Stock-out spell", "a run of consecutive days with end-of-day on_hand = 0",
         "opslib.assortment.inventory.stockout_spells", "01"),
    Term("lost_sales", "缺货损失", "Lost sales", "max(0, e × spell days − units still sold), e = mean daily units on "
         "the in-stock days around the spell (or indexed by the category's daily sales)",
         "opslib.assortment.inventory.lost_sales", "01"),
    Term("turnover", "库存周转", "Stock turnover", "units sold / average on hand in the period",
         "opslib.assortment.inventory.inventory_health", "01"),
    Term("days_of_supply", "可售天数", "Days of supply", "on hand at the period end / daily demand on in-stock days "
         "of the last 28 days", "opslib.assortment.inventory.inventory_health", "01"),
    Term("sell_through", "售罄率", "Sell-through", "units sold / (units sold + on hand)",
         "opslib.assortment.inventory.inventory_health", "01"),
    Term("dead_stock", "滞销库存", "Dead stock", "on hand > 0 and no sale for dead_stock_weeks weeks",
         "opslib.assortment.inventory.inventory_health", "01"),
)
