"""The growth-share (BCG) matrix of categories and subcategories, and SKU growth against a baseline.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from opslib.assortment.summaries import _in_period
from opslib.kpi import Term

#: BCG quadrant labels, keyed by (high growth, high relative share).
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, True): "明星",  # star
    (False, True): "现金牛",  # cash cow
    (True, False): "问题",  # question mark
    (False, False): "瘦狗",  # dog
}


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

    Parameters:
        cube: daily cube with ``date``, ``level`` (and ``parent``) and ``value``. current, previous: the periods.
        level, parent: the groups and what they are compared within. value: the value column.
        growth_threshold, share_threshold: the quadrant limits.

    Returns:
        One row per group (columns above).

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


def sku_growth(cube: pd.DataFrame, current: Any, previous: Any, value: str = "gmv") -> pd.DataFrame:
    """Per-SKU growth of ``value`` between two periods of a daily cube.

    ``growth = value_current / value_previous - 1``; NaN when the SKU did not sell in ``previous``
    (new or relaunched: no comparison).

    Returns ``sku``, ``{value}_prev``, ``growth``.

    Parameters:
        cube: daily x SKU cube. current, previous: the periods. value: the value column.

    Returns:
        One row per SKU (columns above).

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


def quadrant_counts(groups: pd.DataFrame, parent: str = "category") -> pd.DataFrame:
    """How many groups (e.g. subcategories) of each parent fall in each growth-share quadrant.

    Parameters:
        groups: :func:`growth_share` of subcategories (with ``parent``). parent: the parent column.

    Returns:
        Group counts, parent (rows) x quadrant (columns).

    Example:
        >>> g = pd.DataFrame({"category": ["x", "x", "y"], "quadrant": ["明星", "瘦狗", "明星"]})
        >>> quadrant_counts(g).to_dict()
        {'明星': {'x': 1, 'y': 1}, '瘦狗': {'x': 1, 'y': 0}}
    """
    return groups.groupby([parent, "quadrant"]).size().unstack(fill_value=0)


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("growth_share", "增长-份额矩阵 (BCG)", "Growth-share (BCG) matrix",
         "growth = GMV / baseline GMV − 1; relative share = share / largest competitor's share in the parent; "
         "明星 star (growth > 0, relative share ≥ 1), 现金牛 cash cow, 问题 question mark, 瘦狗 dog",
         "opslib.assortment.growth.growth_share", "01"),
    Term("sku_growth", "SKU 增长率", "SKU growth", "value in the period / value in the baseline − 1",
         "opslib.assortment.growth.sku_growth", "01"),
)
