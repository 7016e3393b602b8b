"""Category optimisation (品类优化): the assortment review, from order lines to one action per SKU.

The pipeline a category manager runs every quarter:

1. ``weekly_sku`` / ``opslib.cube.daily_sku`` (DuckDB): order lines -> small SKU cubes.
2. ``sku_summary``: one row per SKU for a period (GMV, discounts, returns, net sales, cost, margin).
3. ``abc_classify`` / ``pareto_curve`` / ``share_of_skus_for``: how concentrated sales and margin are.
4. ``xyz_classify`` / ``abc_xyz_matrix``: how predictable each SKU's weekly demand is.
5. ``growth_share``: the growth-share (BCG) matrix of categories and subcategories.
6. ``margin_structure`` / ``price_bands``: where the margin is made and lost.
7. ``launch_cohorts`` / ``time_to_category_median``: how new products ramp up.
8. ``sku_scorecard`` + ``action_table`` + ``export_actions``: one recommended action per SKU, with the
   rule that produced it, for Excel.

Money definitions follow ``opslib.cube``: ``gmv`` = units x price paid on non-cancelled lines (returns
included), ``net_sales`` = completed lines only, ``discount`` = list value - gmv, ``returns`` = gmv -
net_sales, ``cost`` = completed units x unit cost, ``gross_margin`` = net_sales - cost.

Every function is pure: DataFrames in, a new DataFrame out, the input never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opslib.cube import Source, _relation, connect

__all__ = [
    "QUADRANTS",
    "ACTIONS",
    "period_bounds",
    "weekly_sku",
    "sku_summary",
    "abc_classify",
    "pareto_curve",
    "share_of_skus_for",
    "xyz_classify",
    "abc_xyz_matrix",
    "growth_share",
    "margin_structure",
    "price_bands",
    "launch_cohorts",
    "time_to_category_median",
    "sku_growth",
    "sku_scorecard",
    "action_table",
    "export_actions",
]

#: BCG quadrant labels, keyed by (high growth, high relative share).
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, True): "明星",  # star
    (False, True): "现金牛",  # cash cow
    (True, False): "问题",  # question mark
    (False, False): "瘦狗",  # dog
}
#: Chinese labels of the recommended actions (action_table's ``action_cn``).
ACTIONS: dict[str, str] = {
    "grow": "加大投入",
    "fix": "整改",
    "replenish": "补货",
    "clear": "清仓",
    "drop": "淘汰",
    "keep": "维持",
}

_SUM_COLS = ["orders", "units", "units_net", "units_returned", "gmv", "net_sales", "list_value", "discount"]


# ----------------------------------------------------------------------------------------------
# periods and cubes
# ----------------------------------------------------------------------------------------------


def period_bounds(period: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(start, end)`` days (inclusive) of a period given as an object with ``.start``/``.end``
    (``opslib.calendar.Period``) or a ``(start, end)`` pair.

    Example:
        >>> period_bounds(("2024-01-01", "2024-01-31"))
        (Timestamp('2024-01-01 00:00:00'), Timestamp('2024-01-31 00:00:00'))
    """
    if hasattr(period, "start") and hasattr(period, "end"):
        start, end = period.start, period.end
    else:
        start, end = period
    return pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()


def _in_period(frame: pd.DataFrame, period: Any, col: str = "date") -> pd.DataFrame:
    start, end = period_bounds(period)
    return frame[(frame[col] >= start) & (frame[col] <= end)]


def weekly_sku(orders: Source, products: Source | None = None) -> pd.DataFrame:
    """Weekly x SKU cube of sales, in DuckDB (weeks start on Monday).

    One row per (week, sku) with at least one non-cancelled line. Columns: ``week`` (datetime64,
    the Monday), ``sku``, ``units`` = sum(quantity) over non-cancelled lines, ``gmv`` =
    sum(quantity x unit_price) over the same lines; with ``products`` also ``category``,
    ``subcategory``. Weeks without sales are absent (``xyz_classify`` fills them with zeros).

    Example:
        >>> lines = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "sku": ["a", "a", "a"],
        ...     "order_ts": pd.to_datetime(["2024-01-01", "2024-01-07", "2024-01-08"]),
        ...     "quantity": [1, 2, 5], "unit_price": [10.0, 10.0, 10.0],
        ...     "status": ["completed", "returned", "cancelled"]})
        >>> weekly_sku(lines)[["week", "units", "gmv"]].to_dict("records")
        [{'week': Timestamp('2024-01-01 00:00:00'), 'units': 3, 'gmv': 30.0}]
    """
    con = connect()
    _relation(con, "o", orders)
    cols, join = "date_trunc('week', o.order_ts) AS week, o.sku", ""
    if products is not None:
        _relation(con, "p", products)
        join = "LEFT JOIN p ON o.sku = p.sku"
        cols += ", any_value(p.category) AS category, any_value(p.subcategory) AS subcategory"
    sql = f"""
        SELECT {cols},
            CAST(sum(o.quantity) AS BIGINT) AS units,
            CAST(sum(o.quantity * o.unit_price) AS DOUBLE) AS gmv
        FROM o {join}
        WHERE o.status <> 'cancelled'
        GROUP BY 1, 2 ORDER BY 1, 2
    """
    out = con.execute(sql).df()
    out["week"] = pd.to_datetime(out["week"]).astype("datetime64[ns]")
    return out


def sku_summary(cube: pd.DataFrame, period: Any | None = None, products: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per SKU summed over ``period`` from a daily SKU cube (``opslib.cube.daily_sku``).

    Columns: ``sku``, ``category``, ``subcategory`` (when in the cube or ``products``), ``orders``,
    ``units``, ``units_net``, ``units_returned``, ``gmv``, ``net_sales``, ``list_value``,
    ``discount``, ``returns`` = gmv - net_sales, ``cost`` (sum over days; NaN when the SKU's cost is
    unknown), ``gross_margin`` = net_sales - cost, ``margin_rate`` = gross_margin / net_sales,
    ``avg_price`` = gmv / units, ``days_sold``, ``first_sale``, ``last_sale``. Sorted by gmv
    descending. Days with no completed units carry no cost in the cube and count as cost 0.

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


# ----------------------------------------------------------------------------------------------
# ABC / Pareto
# ----------------------------------------------------------------------------------------------


def _ranked(frame: pd.DataFrame, value: str, key: str) -> pd.DataFrame:
    out = frame[[key, value]].copy()
    out = out.sort_values([value, key], ascending=[False, True], ignore_index=True)
    pos = out[value].clip(lower=0).fillna(0.0)
    total = pos.sum()
    out["share"] = pos / total if total > 0 else 0.0
    out["cum_share"] = out["share"].cumsum()
    out["rank"] = np.arange(1, len(out) + 1)
    out["cum_sku_share"] = out["rank"] / len(out) if len(out) else 0.0
    return out


def abc_classify(
    frame: pd.DataFrame,
    value: str = "gmv",
    key: str = "sku",
    thresholds: Sequence[float] = (0.8, 0.95),
) -> pd.DataFrame:
    """ABC classes by cumulative share of ``value`` (GMV, gross margin, ...).

    Sort by ``value`` descending (ties by ``key``); ``share_i = max(v_i, 0) / sum_j max(v_j, 0)``;
    ``cum_share_i = share_1 + ... + share_i``. With ``thresholds = (a, b)`` (default 0.8, 0.95 i.e.
    80/15/5): class ``A`` if ``cum_share <= a``, ``B`` if ``a < cum_share <= b``, else ``C``. Items
    with ``value <= 0`` (e.g. loss-making SKUs in a margin ABC) are always ``C``.

    Returns ``key``, ``value``, ``share``, ``cum_share``, ``rank`` (1 = largest), ``cum_sku_share``
    (= rank / n), ``abc``; sorted by rank.

    Example:
        >>> df = pd.DataFrame({"sku": list("abcd"), "gmv": [70.0, 15.0, 10.0, 5.0]})
        >>> abc_classify(df)["abc"].tolist()  # cum shares .70 .85 .95 1.0
        ['A', 'B', 'B', 'C']
    """
    a, b = thresholds
    if not 0 < a <= b <= 1:
        raise ValueError(f"thresholds must satisfy 0 < a <= b <= 1, got {thresholds!r}")
    out = _ranked(frame, value, key)
    eps = 1e-12  # cumulative sums of floats: 0.7 + 0.1 must still count as <= 0.8
    cls = np.where(out["cum_share"] <= a + eps, "A", np.where(out["cum_share"] <= b + eps, "B", "C"))
    out["abc"] = np.where(out[value].fillna(0) <= 0, "C", cls)
    return out[[key, value, "share", "cum_share", "rank", "cum_sku_share", "abc"]]


def pareto_curve(frame: pd.DataFrame, value: str = "gmv", key: str = "sku") -> pd.DataFrame:
    """The Pareto (Lorenz-style) curve: cumulative share of SKUs vs cumulative share of ``value``.

    One row per SKU plus a first row at the origin: ``rank`` (0 for the origin), ``key``,
    ``cum_sku_share`` = rank / n, ``cum_value_share`` = sum of the ``rank`` largest (positive) values
    / total positive value.

    Example:
        >>> df = pd.DataFrame({"sku": list("abcd"), "gmv": [70.0, 15.0, 10.0, 5.0]})
        >>> pareto_curve(df)["cum_value_share"].round(2).tolist()
        [0.0, 0.7, 0.85, 0.95, 1.0]
    """
    r = _ranked(frame, value, key)
    curve = r[["rank", key, "cum_sku_share", "cum_share"]].rename(columns={"cum_share": "cum_value_share"})
    origin = pd.DataFrame({"rank": [0], key: [None], "cum_sku_share": [0.0], "cum_value_share": [0.0]})
    return pd.concat([origin, curve], ignore_index=True)


def share_of_skus_for(frame: pd.DataFrame, target: float = 0.8, value: str = "gmv", key: str = "sku") -> float:
    """Smallest share of SKUs (k / n) whose top-k ``value`` reaches ``target`` of the total.

    ``min k/n such that cum_share_k >= target`` (NaN when there is no positive value).

    Example:
        >>> df = pd.DataFrame({"sku": list("abcd"), "gmv": [70.0, 15.0, 10.0, 5.0]})
        >>> share_of_skus_for(df, 0.8)  # .70 < .8 <= .85 -> 2 of 4 SKUs
        0.5
    """
    r = _ranked(frame, value, key)
    hit = r.index[r["cum_share"] >= target - 1e-12]
    if len(r) == 0 or r["share"].sum() == 0 or len(hit) == 0:
        return float("nan")
    return float(r.loc[hit[0], "cum_sku_share"])


# ----------------------------------------------------------------------------------------------
# XYZ
# ----------------------------------------------------------------------------------------------


def xyz_classify(
    weekly: pd.DataFrame,
    thresholds: Sequence[float] = (0.5, 1.0),
    value: str = "units",
    key: str = "sku",
    week: str = "week",
    through: pd.Timestamp | str | None = None,
    min_weeks: int = 4,
) -> pd.DataFrame:
    """XYZ classes by the coefficient of variation of weekly demand.

    For each SKU, its active span runs from its first week with sales to its last (or to the week of
    ``through`` when given, e.g. the period's last day); weeks in the span without sales count as 0.
    Over the span's ``n_weeks`` values ``u_w``: ``mean = sum(u_w) / n``, ``std = sqrt(sum((u_w -
    mean)^2) / n)`` (population, ddof = 0), ``cv = std / mean``. With ``thresholds = (x, y)``
    (default 0.5, 1.0): ``X`` if ``cv <= x`` (steady), ``Y`` if ``cv <= y``, ``Z`` otherwise; SKUs with
    fewer than ``min_weeks`` weeks of span are ``Z`` (too little history to forecast), ``cv`` NaN.

    Returns ``key``, ``n_weeks``, ``mean_weekly``, ``std_weekly``, ``cv``, ``xyz``.

    Example:
        >>> w = pd.DataFrame({"sku": ["a"] * 3 + ["b"] * 2,
        ...     "week": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-01", "2024-01-22"]),
        ...     "units": [10, 10, 10, 4, 4]})
        >>> xyz_classify(w, min_weeks=3)[["sku", "n_weeks", "cv", "xyz"]].to_dict("records")
        [{'sku': 'a', 'n_weeks': 3, 'cv': 0.0, 'xyz': 'X'}, {'sku': 'b', 'n_weeks': 4, 'cv': 1.0, 'xyz': 'Y'}]
    """
    x, y = thresholds
    w = weekly[[key, week, value]]
    w = w[w[value].notna()]
    w = w.groupby([key, week], as_index=False)[value].sum()
    w = w.assign(_sq=w[value].astype(float) ** 2)
    g = w.groupby(key, sort=True)
    first, last = g[week].min(), g[week].max()
    if through is not None:
        last = last.clip(lower=pd.Timestamp(through).to_period("W-SUN").start_time)
    # zero weeks add nothing to the sums: mean = sum / n, var = sum of squares / n - mean^2
    n = ((last - first).dt.days // 7 + 1).astype("int64")
    mean = g[value].sum().astype(float) / n
    var = (g["_sq"].sum() / n - mean**2).clip(lower=0.0)
    std = np.sqrt(var)
    cv = (std / mean).where((mean > 0) & (n >= min_weeks))
    out = pd.DataFrame({key: n.index, "n_weeks": n.to_numpy(), "mean_weekly": mean.to_numpy(),
                        "std_weekly": std.to_numpy(), "cv": cv.to_numpy()})
    out["n_weeks"] = out["n_weeks"].astype("int64")
    out["xyz"] = np.where(out["cv"] <= x + 1e-12, "X", np.where(out["cv"] <= y + 1e-12, "Y", "Z"))
    return out


def abc_summary(abc: pd.DataFrame, value: str = "gmv") -> pd.DataFrame:
    """Per ABC class (output of :func:`abc_classify`): ``skus``, ``{value}`` (sum), ``share`` (of value)
    and ``sku_share`` = skus / all SKUs, indexed by class.

    Example:
        >>> a = abc_classify(pd.DataFrame({"sku": list("abcd"), "gmv": [70.0, 15.0, 10.0, 5.0]}))
        >>> abc_summary(a)[["skus", "share", "sku_share"]].to_dict("index")  # A: 70%, B: 15+10, C: 5
        {'A': {'skus': 1, 'share': 0.7, 'sku_share': 0.25}, 'B': {'skus': 2, 'share': 0.25, 'sku_share': 0.5}, \
'C': {'skus': 1, 'share': 0.05, 'sku_share': 0.25}}
    """
    out = abc.groupby("abc").agg(skus=("abc", "size"), total=(value, "sum"), share=("share", "sum"))
    out = out.rename(columns={"total": value})
    out["sku_share"] = out["skus"] / out["skus"].sum()
    return out[["skus", value, "share", "sku_share"]]


def abc_xyz_classes(abc: pd.DataFrame, xyz: pd.DataFrame, value: str = "gmv") -> pd.DataFrame:
    """One row per SKU of ``abc`` with its ``abc``, ``value``, ``xyz`` and ``cv``.

    A SKU that sold in the period but has no XYZ class (too few weeks of history for a coefficient of
    variation) counts as ``Z``: its demand cannot be called predictable.

    Example:
        >>> a = pd.DataFrame({"sku": ["a", "b"], "abc": ["A", "B"], "gmv": [9.0, 1.0]})
        >>> x = pd.DataFrame({"sku": ["a"], "xyz": ["X"], "cv": [0.2]})
        >>> abc_xyz_classes(a, x)["xyz"].tolist()
        ['X', 'Z']
    """
    out = abc[["sku", "abc", value]].merge(xyz[["sku", "xyz", "cv"]], on="sku", how="left")
    out["xyz"] = out["xyz"].fillna("Z")
    return out


def abc_xyz_matrix(classes: pd.DataFrame, value: str = "gmv") -> pd.DataFrame:
    """The ABC x XYZ matrix: SKU counts and value shares per cell (all 9 cells, zeros included).

    ``classes`` has one row per SKU with ``abc``, ``xyz`` and ``value``. Per cell: ``skus`` = count,
    ``sku_share`` = skus / all SKUs, ``value`` = sum, ``value_share`` = value / total value (named
    ``{value}`` and ``{value}_share``).

    Example:
        >>> c = pd.DataFrame({"abc": ["A", "A", "C"], "xyz": ["X", "Z", "Z"], "gmv": [60.0, 30.0, 10.0]})
        >>> m = abc_xyz_matrix(c)
        >>> m.loc[(m.abc == "A") & (m.xyz == "Z"), ["skus", "gmv_share"]].to_dict("records")
        [{'skus': 1, 'gmv_share': 0.3}]
    """
    grid = pd.MultiIndex.from_product([list("ABC"), list("XYZ")], names=["abc", "xyz"])
    g = classes.groupby(["abc", "xyz"]).agg(skus=("abc", "size"), total=(value, "sum"))
    g = g.reindex(grid, fill_value=0).reset_index()
    g["skus"] = g["skus"].astype("int64")
    n, total = g["skus"].sum(), g["total"].sum()
    g["sku_share"] = g["skus"] / n if n else 0.0
    g = g.rename(columns={"total": value})
    g[f"{value}_share"] = g[value] / total if total else 0.0
    return g[["abc", "xyz", "skus", "sku_share", value, f"{value}_share"]]


# ----------------------------------------------------------------------------------------------
# growth-share (BCG)
# ----------------------------------------------------------------------------------------------


def growth_share(
    cube: pd.DataFrame,
    current: Any,
    previous: Any,
    level: str = "category",
    parent: str | None = None,
    value: str = "gmv",
    growth_threshold: float = 0.0,
    share_threshold: float = 1.0,
) -> pd.DataFrame:
    """The growth-share (BCG) matrix of ``level`` groups (categories, or subcategories within ``parent``).

    From a daily cube with ``date``, ``level`` (and ``parent``) and ``value``: per group
    ``value`` in ``current`` and ``value_prev`` in ``previous`` (periods as ``(start, end)`` or
    ``opslib.calendar.Period``); ``growth = value / value_prev - 1`` (+inf when value_prev is 0 and
    value > 0); ``share = value / sum of value within the parent`` (whole shop when ``parent`` is
    None); ``relative_share = share / largest competitor's share within the parent`` (for the leader,
    the runner-up; +inf when alone). Quadrant (``QUADRANTS``): high growth = ``growth >
    growth_threshold``; high share = ``relative_share >= share_threshold`` (default 1.0: the
    parent's leader). 明星 star = high/high, 现金牛 cash cow = low growth/high share, 问题 question
    mark = high growth/low share, 瘦狗 dog = low/low.

    Returns [``parent``], ``level``, ``value``, ``value_prev``, ``growth``, ``share``,
    ``relative_share``, ``quadrant``, ``quadrant_en`` (value columns named after ``value``).

    Example:
        >>> cube = pd.DataFrame({"date": pd.to_datetime(["2023-01-01"] * 2 + ["2024-01-01"] * 2),
        ...     "category": ["a", "b", "a", "b"], "gmv": [100.0, 50.0, 90.0, 60.0]})
        >>> g = growth_share(cube, ("2024-01-01", "2024-01-01"), ("2023-01-01", "2023-01-01"))
        >>> g[["category", "growth", "relative_share", "quadrant"]].round(2).to_dict("records")
        [{'category': 'a', 'growth': -0.1, 'relative_share': 1.5, 'quadrant': '现金牛'}, \
{'category': 'b', 'growth': 0.2, 'relative_share': 0.67, 'quadrant': '问题'}]
    """
    keys = [parent, level] if parent else [level]
    cur = _in_period(cube, current).groupby(keys)[value].sum()
    prev = _in_period(cube, previous).groupby(keys)[value].sum()
    out = pd.concat([cur.rename(value), prev.rename(f"{value}_prev")], axis=1).fillna(0.0).reset_index()
    out = out[(out[value] > 0) | (out[f"{value}_prev"] > 0)]
    prev_v = out[f"{value}_prev"]
    out["growth"] = np.where(prev_v > 0, out[value] / prev_v.where(prev_v > 0) - 1, np.inf)
    grp = out.groupby(parent)[value] if parent else None
    total = grp.transform("sum") if grp is not None else out[value].sum()
    out["share"] = out[value] / total

    def _relative(s: pd.Series) -> pd.Series:
        top = s.nlargest(2)
        if len(top) < 2:
            return pd.Series(np.inf, index=s.index)
        lead, second = top.iloc[0], top.iloc[1]
        comp = pd.Series(lead, index=s.index)
        comp[top.index[0]] = second
        return s / comp.where(comp > 0) if (comp > 0).all() else s / comp.replace(0, np.nan)

    if parent:
        out["relative_share"] = out.groupby(parent)["share"].transform(_relative)
    else:
        out["relative_share"] = _relative(out["share"])
    out["relative_share"] = out["relative_share"].fillna(np.inf)
    hi_g = out["growth"] > growth_threshold
    hi_s = out["relative_share"] >= share_threshold
    out["quadrant"] = [QUADRANTS[(g, s)] for g, s in zip(hi_g, hi_s, strict=True)]
    en = {"明星": "star", "现金牛": "cash cow", "问题": "question mark", "瘦狗": "dog"}
    out["quadrant_en"] = out["quadrant"].map(en)
    return out.sort_values(keys, ignore_index=True)


# ----------------------------------------------------------------------------------------------
# margin structure and price bands
# ----------------------------------------------------------------------------------------------


def margin_structure(skus: pd.DataFrame, by: str | Sequence[str] = "category") -> pd.DataFrame:
    """Margin structure per ``by`` group from ``sku_summary``: from list value to gross margin.

    Per group (sums over SKUs): ``list_value``, ``discount``, ``gmv``, ``returns``, ``net_sales``,
    ``cost``, ``gross_margin`` = net_sales - cost (SKUs with unknown cost contribute 0 and are
    reported in ``cost_coverage`` = net sales of SKUs with known cost / net_sales); rates:
    ``discount_rate`` = discount / list_value, ``return_rate`` = returns / gmv, ``margin_rate`` =
    gross_margin / net sales of SKUs with known cost; ``gmv_share`` = gmv / shop gmv,
    ``contribution`` = gross_margin / shop gross_margin (share of the shop's margin). Sorted by gmv
    descending, plus no total row (the shop total is the column sums).

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


# ----------------------------------------------------------------------------------------------
# new products
# ----------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------
# per-SKU scorecard and actions
# ----------------------------------------------------------------------------------------------


def sku_growth(cube: pd.DataFrame, current: Any, previous: Any, value: str = "gmv") -> pd.DataFrame:
    """Per-SKU growth of ``value`` between two periods of a daily cube.

    ``growth = value_current / value_previous - 1``; NaN when the SKU did not sell in ``previous``
    (new or relaunched: no comparison).

    Returns ``sku``, ``{value}_prev``, ``growth``.

    Example:
        >>> cube = pd.DataFrame({"date": pd.to_datetime(["2023-01-01", "2024-01-01", "2024-01-01"]),
        ...     "sku": ["a", "a", "b"], "gmv": [100.0, 150.0, 10.0]})
        >>> sku_growth(cube, ("2024-01-01", "2024-01-01"), ("2023-01-01", "2023-01-01")).to_dict("records")
        [{'sku': 'a', 'gmv_prev': 100.0, 'growth': 0.5}, {'sku': 'b', 'gmv_prev': 0.0, 'growth': nan}]
    """
    cur = _in_period(cube, current).groupby("sku")[value].sum()
    prev = _in_period(cube, previous).groupby("sku")[value].sum()
    out = pd.concat([cur.rename("cur"), prev.rename(f"{value}_prev")], axis=1).fillna(0.0)
    out = out.rename_axis("sku").reset_index()
    p = out[f"{value}_prev"]
    out["growth"] = out["cur"] / p.where(p > 0) - 1
    return out.drop(columns="cur").sort_values("sku", ignore_index=True)


def sku_scorecard(
    skus: pd.DataFrame,
    abc: pd.DataFrame | None = None,
    xyz: pd.DataFrame | None = None,
    growth: pd.DataFrame | None = None,
    inventory: pd.DataFrame | None = None,
    margin_abc: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Join the per-SKU results into one frame, the input of ``action_table``.

    Left-joins on ``sku``: ``skus`` (``sku_summary``), ``abc`` (its ``abc`` column), ``margin_abc``
    (its ``abc`` as ``abc_margin``), ``xyz`` (``xyz``, ``cv``), ``growth`` (``growth``) and
    ``inventory`` (``opslib.inventory_health.inventory_health``: ``on_hand``, ``days_of_supply``,
    ``stockout_days``, ``sell_through``, ``dead_stock``, ``weeks_since_last_sale``). SKUs with stock
    but no sales in the period are added from ``inventory`` with zero sales.

    Example:
        >>> s = pd.DataFrame({"sku": ["a"], "gmv": [10.0]})
        >>> sku_scorecard(s, abc=pd.DataFrame({"sku": ["a"], "abc": ["A"]})).columns.tolist()
        ['sku', 'gmv', 'abc']
    """
    out = skus.copy()
    if inventory is not None:
        extra = inventory.loc[~inventory["sku"].isin(out["sku"]), ["sku"]]
        if len(extra):
            out = pd.concat([out, extra], ignore_index=True)
            for c in ("units", "gmv", "net_sales", "gross_margin"):
                if c in out.columns:
                    out[c] = out[c].fillna(0)
    parts: list[tuple[pd.DataFrame | None, dict[str, str]]] = [
        (abc, {"abc": "abc"}),
        (margin_abc, {"abc": "abc_margin"}),
        (xyz, {"xyz": "xyz", "cv": "cv"}),
        (growth, {"growth": "growth"}),
        (inventory, {c: c for c in ("on_hand", "days_of_supply", "stockout_days", "sell_through",
                                    "dead_stock", "weeks_since_last_sale")}),
    ]
    for frame, cols in parts:
        if frame is None:
            continue
        cols = {k: v for k, v in cols.items() if k in frame.columns}
        out = out.merge(frame[["sku", *cols]].rename(columns=cols), on="sku", how="left")
    if "abc" in out.columns:
        out["abc"] = out["abc"].fillna("C")
    return out


def launch_ramp_summary(ramp: pd.DataFrame) -> pd.DataFrame:
    """Per category, from :func:`time_to_category_median`: ``new_skus``, ``reached`` (share of new SKUs
    that reached the category median) and ``median_weeks`` (median weeks to get there, over those
    that did).

    Example:
        >>> r = pd.DataFrame({"sku": ["n1", "n2", "n3"], "category": "x", "reached": [True, True, False],
        ...                   "weeks_to_median": [2.0, 6.0, float("nan")]})
        >>> launch_ramp_summary(r).to_dict("index")
        {'x': {'new_skus': 3, 'reached': 0.6666666666666666, 'median_weeks': 4.0}}
    """
    return ramp.groupby("category").agg(new_skus=("sku", "size"), reached=("reached", "mean"),
                                        median_weeks=("weeks_to_median", "median"))


def action_summary(actions: pd.DataFrame) -> pd.DataFrame:
    """SKU count and GMV per recommended action of :func:`action_table`.

    Example:
        >>> a = pd.DataFrame({"sku": ["a", "b", "c"], "action": ["grow", "grow", "drop"],
        ...                   "action_cn": ["扩", "扩", "汰"], "gmv": [10.0, 5.0, 1.0]})
        >>> action_summary(a).reset_index()[["action", "skus", "gmv"]].to_dict("records")
        [{'action': 'drop', 'skus': 1, 'gmv': 1.0}, {'action': 'grow', 'skus': 2, 'gmv': 15.0}]
    """
    return actions.groupby(["action", "action_cn"]).agg(skus=("sku", "size"), gmv=("gmv", "sum"))


def action_table(
    scorecard: pd.DataFrame,
    min_margin_rate: float = 0.1,
    grow_growth: float = 0.2,
    decline_growth: float = -0.3,
    low_days_of_supply: float = 14.0,
) -> pd.DataFrame:
    """One recommended action per SKU, and the rule that produced it (first matching rule wins).

    Rules, in order (columns from ``sku_scorecard``; a rule whose columns are missing or NaN does
    not fire):

    1. ``clear`` 清仓: ``dead_stock`` (stock on hand, no sales for N weeks).
    2. ``replenish`` 补货: ``abc`` in A/B and (``stockout_days > 0`` or ``days_of_supply <
       low_days_of_supply``).
    3. ``drop`` 淘汰: ``abc == C`` and (``gross_margin <= 0`` or ``growth <= decline_growth``
       with ``xyz == Z``).
    4. ``fix`` 整改: ``abc`` in A/B and ``margin_rate < min_margin_rate``.
    5. ``grow`` 加大投入: ``growth >= grow_growth`` and ``margin_rate >= min_margin_rate``.
    6. ``keep`` 维持: everything else.

    Returns the scorecard's identifying and driving columns plus ``action``, ``action_cn`` and
    ``rule`` (the rule as text, with the SKU's own numbers); sorted by action then gmv.

    Example:
        >>> sc = pd.DataFrame({"sku": ["a", "b"], "gmv": [90.0, 10.0], "abc": ["A", "C"],
        ...     "margin_rate": [0.05, 0.3], "gross_margin": [4.5, -3.0]})
        >>> action_table(sc)[["sku", "action"]].to_dict("records")
        [{'sku': 'b', 'action': 'drop'}, {'sku': 'a', 'action': 'fix'}]
    """
    sc = scorecard.reset_index(drop=True)
    n = len(sc)

    def col(name: str, default: Any = np.nan) -> pd.Series:
        return sc[name] if name in sc.columns else pd.Series(default, index=sc.index)

    abc, xyz = col("abc", ""), col("xyz", "")
    ab = abc.isin(["A", "B"])
    growth, mrate, gm = col("growth"), col("margin_rate"), col("gross_margin")
    dos, so_days = col("days_of_supply"), col("stockout_days")
    dead = col("dead_stock", False).fillna(False).astype(bool)
    wsls = col("weeks_since_last_sale")

    def f(x: Any, spec: str = ".0%") -> str:
        return "NaN" if pd.isna(x) else format(x, spec)

    action = np.full(n, "keep", dtype=object)
    rule = np.full(n, "未触发任何规则 (no rule fired)", dtype=object)
    done = np.zeros(n, dtype=bool)

    def apply(mask: pd.Series, name: str, text: Any) -> None:
        m = mask.fillna(False).to_numpy(dtype=bool) & ~done
        for i in np.flatnonzero(m):
            action[i] = name
            rule[i] = text(i)
        done[m] = True

    apply(dead, "clear", lambda i: f"有库存 {f(col('on_hand')[i], '.0f')} 件且已 {f(wsls[i], '.0f')} 周无销售 "
          "(dead stock)")
    def why_short(i: int) -> str:
        parts = []
        if so_days[i] > 0:
            parts.append(f"本期缺货 {f(so_days[i], '.0f')} 天")
        if dos[i] < low_days_of_supply:
            parts.append(f"库存仅够 {f(dos[i], '.1f')} 天 < {low_days_of_supply:g} 天")
        return f"{abc[i]} 类且" + "、".join(parts)

    apply(ab & ((so_days > 0) | (dos < low_days_of_supply)), "replenish", why_short)
    apply((abc == "C") & ((gm <= 0) | ((growth <= decline_growth) & (xyz == "Z"))), "drop",
          lambda i: f"C 类, 毛利 {f(gm[i], ',.0f')}" + (" <= 0" if gm[i] <= 0 else
                                                       f", 增长 {f(growth[i])} <= {decline_growth:.0%} 且需求 Z 类"))
    apply(ab & (mrate < min_margin_rate), "fix",
          lambda i: f"{abc[i]} 类但毛利率 {f(mrate[i], '.1%')} < {min_margin_rate:.0%}")
    apply((growth >= grow_growth) & (mrate >= min_margin_rate), "grow",
          lambda i: f"增长 {f(growth[i])} >= {grow_growth:.0%} 且毛利率 {f(mrate[i], '.1%')} >= "
          f"{min_margin_rate:.0%}")
    front = [c for c in ("sku", "category", "subcategory", "abc", "abc_margin", "xyz", "gmv", "gross_margin",
                         "margin_rate", "growth", "on_hand", "days_of_supply", "stockout_days", "dead_stock")
             if c in sc.columns]
    out = sc[front].copy()
    out["action"] = action
    out["action_cn"] = out["action"].map(ACTIONS)
    out["rule"] = rule
    order = {a: i for i, a in enumerate(["clear", "replenish", "drop", "fix", "grow", "keep"])}
    out["_o"] = out["action"].map(order)
    sort = ["_o", "gmv"] if "gmv" in out.columns else ["_o"]
    out = out.sort_values(sort, ascending=[True] + [False] * (len(sort) - 1), ignore_index=True)
    return out.drop(columns="_o")


def export_actions(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the action table for Excel users: ``.csv`` as UTF-8 with BOM (``utf-8-sig``, so Excel
    shows Chinese), ``.xlsx`` through openpyxl (sheet ``actions``). Creates the folder. Returns the path.

    Example:
        >>> import tempfile, os
        >>> p = export_actions(pd.DataFrame({"action_cn": ["补货"]}), os.path.join(tempfile.mkdtemp(), "a.csv"))
        >>> p.read_bytes()[:3] == b"\\xef\\xbb\\xbf"
        True
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        table.to_csv(path, index=False, encoding="utf-8-sig")
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        table.to_excel(path, index=False, sheet_name="actions", engine="openpyxl")
    else:
        raise ValueError(f"export_actions writes .csv or .xlsx, not {path.suffix!r}")
    return path
