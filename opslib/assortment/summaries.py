"""Category optimisation (品类优化): the assortment review, from order lines to one action per SKU.

The pipeline a category manager runs every quarter:

1. ``weekly_sku`` / ``opslib.data.cube.daily_sku`` (DuckDB): order lines -> small SKU cubes.
2. ``sku_summary``: one row per SKU for a period (GMV, discounts, returns, net sales, cost, margin).
3. ``abc_classify`` / ``pareto_curve`` / ``share_of_skus_for``: how concentrated sales and margin are.
4. ``xyz_classify`` / ``abc_xyz_matrix``: how predictable each SKU's weekly demand is.
5. ``growth_share``: the growth-share (BCG) matrix of categories and subcategories.
6. ``margin_structure`` / ``price_bands``: where the margin is made and lost.
7. ``launch_cohorts`` / ``time_to_category_median``: how new products ramp up.
8. ``sku_scorecard`` + ``action_table`` + ``export_actions``: one recommended action per SKU, with the
   rule that produced it, for Excel.

Money definitions follow ``opslib.data.cube``: ``gmv`` = units x price paid on non-cancelled lines (returns
included), ``net_sales`` = completed lines only, ``discount`` = list value - gmv, ``returns`` = gmv -
net_sales, ``cost`` = completed units x unit cost, ``gross_margin`` = net_sales - cost.

Every function is pure: DataFrames in, a new DataFrame out, the input never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from opslib.calendar import period_bounds
from opslib.kpi import Term

_SUM_COLS = ["orders", "units", "units_net", "units_returned", "gmv", "net_sales", "list_value", "discount"]


def _in_period(frame: pd.DataFrame, period: Any, col: str = "date") -> pd.DataFrame:
    start, end = period_bounds(period)
    return frame[(frame[col] >= start) & (frame[col] <= end)]


def sku_summary(cube: pd.DataFrame, period: Any | None = None, products: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per SKU summed over ``period`` from a daily SKU cube (``opslib.data.cube.daily_sku``).

    Columns: ``sku``, ``category``, ``subcategory`` (when in the cube or ``products``), ``orders``,
    ``units``, ``units_net``, ``units_returned``, ``gmv``, ``net_sales``, ``list_value``,
    ``discount``, ``returns`` = gmv - net_sales, ``cost`` (sum over days; NaN when the SKU's cost is
    unknown), ``gross_margin`` = net_sales - cost, ``margin_rate`` = gross_margin / net_sales,
    ``avg_price`` = gmv / units, ``days_sold``, ``first_sale``, ``last_sale``. Sorted by gmv
    descending. Days with no completed units carry no cost in the cube and count as cost 0.

    Parameters:
        cube: daily x SKU cube (``opslib.data.daily_sku``). period: the period (None: everything).
        products: the products table, when the cube lacks category and cost.

    Returns:
        One row per SKU that sold (columns above).

    Example:
        >>> cube = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-02"]), "sku": "a",
        ...     "orders": 1, "units": 2, "units_net": [2, 0], "units_returned": [0, 2],
        ...     "gmv": 20.0, "net_sales": [20.0, 0.0], "list_value": 25.0, "discount": 5.0,
        ...     "cost": [8.0, np.nan]})
        >>> sku_summary(cube)[["gmv", "returns", "cost", "gross_margin"]].to_dict("records")
        [{'gmv': 40.0, 'returns': 20.0, 'cost': 8.0, 'gross_margin': 12.0}]
    """
    df = cube if period is None else _in_period(cube, period)
    df = df.copy()
    has_cost = "cost" in df.columns
    if has_cost:
        # No completed units that day -> the cube's cost is NULL but the true cost is 0.
        df["cost"] = df["cost"].where(~(df["cost"].isna() & (df["units_net"] == 0)), 0.0)
    agg: dict[str, Any] = {c: "sum" for c in _SUM_COLS if c in df.columns}
    if has_cost:
        agg["cost"] = lambda s: s.sum(min_count=len(s)) if len(s) else 0.0
    agg["date"] = ["count", "min", "max"]
    out = df.groupby("sku", sort=True).agg(agg)
    out.columns = [
        {"count": "days_sold", "min": "first_sale", "max": "last_sale"}.get(b, a) if a == "date" else a
        for a, b in out.columns
    ]
    out = out.reset_index()
    for col in ("category", "subcategory"):
        if col in df.columns:
            out[col] = out["sku"].map(df.drop_duplicates("sku").set_index("sku")[col])
        elif products is not None and col in products.columns:
            out[col] = out["sku"].map(products.set_index("sku")[col])
    out["returns"] = out["gmv"] - out["net_sales"]
    if has_cost:
        out["gross_margin"] = out["net_sales"] - out["cost"]
        out["margin_rate"] = out["gross_margin"] / out["net_sales"].where(out["net_sales"] != 0)
    out["avg_price"] = out["gmv"] / out["units"].where(out["units"] != 0)
    front = ["sku"] + [c for c in ("category", "subcategory") if c in out.columns]
    out = out[front + [c for c in out.columns if c not in front]]
    return out.sort_values(["gmv", "sku"], ascending=[False, True], ignore_index=True)


def margin_structure(skus: pd.DataFrame, by: str | Sequence[str] = "category") -> pd.DataFrame:
    """Margin structure per ``by`` group from ``sku_summary``: from list value to gross margin.

    Per group (sums over SKUs): ``list_value``, ``discount``, ``gmv``, ``returns``, ``net_sales``,
    ``cost``, ``gross_margin`` = net_sales - cost (SKUs with unknown cost contribute 0 and are
    reported in ``cost_coverage`` = net sales of SKUs with known cost / net_sales); rates:
    ``discount_rate`` = discount / list_value, ``return_rate`` = returns / gmv, ``margin_rate`` =
    gross_margin / net sales of SKUs with known cost; ``gmv_share`` = gmv / shop gmv,
    ``contribution`` = gross_margin / shop gross_margin (share of the shop's margin). Sorted by gmv
    descending, plus no total row (the shop total is the column sums).

    Parameters:
        skus: :func:`sku_summary` (with products). by: the column(s) to group by.

    Returns:
        One row per group (money and rates above).

    Example:
        >>> s = pd.DataFrame({"sku": ["a", "b"], "category": ["x", "y"], "list_value": [120.0, 50.0],
        ...     "discount": [20.0, 0.0], "gmv": [100.0, 50.0], "returns": [10.0, 0.0],
        ...     "net_sales": [90.0, 50.0], "cost": [60.0, 40.0]})
        >>> margin_structure(s)[["category", "gross_margin", "margin_rate", "contribution"]].to_dict("records")
        [{'category': 'x', 'gross_margin': 30.0, 'margin_rate': 0.3333333333333333, 'contribution': 0.75}, \
{'category': 'y', 'gross_margin': 10.0, 'margin_rate': 0.2, 'contribution': 0.25}]
    """
    keys = [by] if isinstance(by, str) else list(by)
    df = skus.copy()
    known = df["cost"].notna()
    df["_sales_costed"] = df["net_sales"].where(known, 0.0)
    df["gross_margin"] = (df["net_sales"] - df["cost"]).where(known, 0.0)
    cols = ["list_value", "discount", "gmv", "returns", "net_sales", "cost", "gross_margin", "_sales_costed"]
    out = df.groupby(keys)[cols].sum(min_count=1).fillna({"cost": 0.0}).reset_index()
    out["discount_rate"] = out["discount"] / out["list_value"].where(out["list_value"] > 0)
    out["return_rate"] = out["returns"] / out["gmv"].where(out["gmv"] > 0)
    out["margin_rate"] = out["gross_margin"] / out["_sales_costed"].where(out["_sales_costed"] > 0)
    out["cost_coverage"] = out["_sales_costed"] / out["net_sales"].where(out["net_sales"] > 0)
    out["gmv_share"] = out["gmv"] / out["gmv"].sum()
    tm = out["gross_margin"].sum()
    out["contribution"] = out["gross_margin"] / tm if tm else np.nan
    out = out.drop(columns="_sales_costed")
    return out.sort_values("gmv", ascending=False, ignore_index=True)


def price_bands(
    skus: pd.DataFrame,
    bands: int | Sequence[float] = 5,
    price: str = "avg_price",
) -> pd.DataFrame:
    """Price bands (价格带) of SKUs and their share of GMV and gross margin.

    ``bands`` an int q: quantile bands of the SKUs' ``price`` (``pd.qcut``, equal SKU counts); a
    list of edges: fixed bands ``[e0, e1), [e1, e2), ...`` (left-closed; use ``np.inf`` as the
    last edge). Per band: ``skus``, ``gmv``, ``gross_margin`` (unknown costs count 0), ``gmv_share``
    = gmv / total gmv, ``margin_share`` = gross_margin / total gross margin, ``margin_rate`` =
    gross_margin / net_sales, ``price_min``/``price_max`` of the SKUs in it.

    Parameters:
        skus: :func:`sku_summary`. bands: number of quantile bands, or band edges. price: the price column.

    Returns:
        One row per band: ``band``, ``skus``, ``gmv``, ``gmv_share``, ``gross_margin``, ``margin_share``, ``margin_rate``.

    Example:
        >>> s = pd.DataFrame({"sku": list("abc"), "avg_price": [10.0, 50.0, 120.0],
        ...     "gmv": [100.0, 200.0, 700.0], "net_sales": [100.0, 200.0, 700.0],
        ...     "gross_margin": [50.0, 50.0, 100.0]})
        >>> price_bands(s, [0, 100, np.inf])[["band", "gmv_share", "margin_share"]].to_dict("records")
        [{'band': '[0, 100)', 'gmv_share': 0.3, 'margin_share': 0.5}, \
{'band': '[100, inf)', 'gmv_share': 0.7, 'margin_share': 0.5}]
    """
    df = skus[skus[price].notna()].copy()
    if isinstance(bands, int):
        cut = pd.qcut(df[price], q=bands, duplicates="drop")
        df["band"] = cut.astype(str)
        df["_order"] = cut.cat.codes
    else:
        edges = list(bands)
        cut = pd.cut(df[price], bins=edges, right=False)
        labels = [f"[{edges[i]:g}, {edges[i + 1]:g})" for i in range(len(edges) - 1)]
        df["_order"] = cut.cat.codes
        df = df[df["_order"] >= 0]
        df["band"] = [labels[i] for i in df["_order"]]
    gm = df["gross_margin"].fillna(0.0) if "gross_margin" in df.columns else pd.Series(np.nan, index=df.index)
    df["_gm"] = gm
    out = df.groupby(["_order", "band"], as_index=False).agg(
        skus=("sku", "size"), gmv=("gmv", "sum"), net_sales=("net_sales", "sum"), gross_margin=("_gm", "sum"),
        price_min=(price, "min"), price_max=(price, "max"))
    out["gmv_share"] = out["gmv"] / out["gmv"].sum()
    tm = out["gross_margin"].sum()
    out["margin_share"] = out["gross_margin"] / tm if tm else np.nan
    out["margin_rate"] = out["gross_margin"] / out["net_sales"].where(out["net_sales"] > 0)
    out = out.sort_values("_order", ignore_index=True).drop(columns="_order")
    return out[["band", "skus", "price_min", "price_max", "gmv", "net_sales", "gross_margin", "gmv_share",
                "margin_share", "margin_rate"]]


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("gross_margin", "毛利", "Gross margin", "net sales − cost; cost = completed units × unit_cost",
         "opslib.assortment.summaries.sku_summary", "01"),
    Term("margin_rate", "毛利率", "Gross margin rate", "gross margin / net sales (SKUs with a known cost)",
         "opslib.assortment.summaries.margin_structure", "01"),
    Term("discount_rate", "折扣率", "Discount rate", "discount / list value; discount = list value − GMV",
         "opslib.assortment.summaries.margin_structure", "01"),
    Term("margin_contribution", "毛利贡献", "Margin contribution", "group gross margin / shop gross margin",
         "opslib.assortment.summaries.margin_structure", "01"),
    Term("avg_price", "成交均价", "Average selling price", "GMV / units", "opslib.assortment.summaries.sku_summary", "01"),
    Term("price_band", "价格带", "Price band", "quantile bands of the SKUs' average selling price, with each band's "
         "share of GMV and of gross margin", "opslib.assortment.summaries.price_bands", "01"),
)
