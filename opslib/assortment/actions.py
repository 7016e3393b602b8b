"""One recommended action per SKU (grow, fix, replenish, clear, drop, keep), with the rule that produced it.

``sku_scorecard`` joins ABC, margin ABC, XYZ, growth and inventory health per SKU; ``action_table`` applies the
rules in a fixed order; ``export_actions`` writes the list for Excel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opslib.kpi import Term

#: Chinese labels of the recommended actions (action_table's ``action_cn``).
ACTIONS: dict[str, str] = {
    "grow": "加大投入",
    "fix": "整改",
    "replenish": "补货",
    "clear": "清仓",
    "drop": "淘汰",
    "keep": "维持",
}


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
    ``inventory`` (``opslib.assortment.inventory.inventory_health``: ``on_hand``, ``days_of_supply``,
    ``stockout_days``, ``sell_through``, ``dead_stock``, ``weeks_since_last_sale``). SKUs with stock
    but no sales in the period are added from ``inventory`` with zero sales.

    Parameters:
        skus: :func:`sku_summary`. abc, margin_abc, xyz, growth: per-SKU results (or None).
        inventory: ``inventory_health`` (or None).

    Returns:
        One row per SKU with every column the action rules read.

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


def action_summary(actions: pd.DataFrame) -> pd.DataFrame:
    """SKU count and GMV per recommended action of :func:`action_table`.

    Parameters:
        actions: :func:`action_table`.

    Returns:
        SKUs and GMV per (action, action_cn).

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
    3. ``drop`` 淘汰: ``abc == C``, sold in the period (``gmv > 0``: a SKU with stock and no sale yet is
       not judged on a margin of 0 — it becomes ``clear`` once its stock is dead), and (``gross_margin <= 0``
       or ``growth <= decline_growth`` with ``xyz == Z``).
    4. ``fix`` 整改: ``abc`` in A/B and ``margin_rate < min_margin_rate``.
    5. ``grow`` 加大投入: ``growth >= grow_growth`` and ``margin_rate >= min_margin_rate``.
    6. ``keep`` 维持: everything else.

    Returns the scorecard's identifying and driving columns plus ``action``, ``action_cn`` and
    ``rule`` (the rule as text, with the SKU's own numbers); sorted by action then gmv.

    Parameters:
        scorecard: :func:`sku_scorecard`. min_margin_rate, grow_growth, decline_growth, low_days_of_supply: the rule
        thresholds above.

    Returns:
        One row per SKU with ``action``, ``action_cn`` and ``rule``.

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
    sold = col("gmv", 0.0).fillna(0.0) > 0
    apply((abc == "C") & sold & ((gm <= 0) | ((growth <= decline_growth) & (xyz == "Z"))), "drop",
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


def top_actions(actions: pd.DataFrame, n: int = 5,
                order: tuple[str, ...] = ("replenish", "fix", "grow", "drop", "clear")) -> pd.DataFrame:
    """The ``n`` biggest SKUs (by GMV, as :func:`action_table` sorts them) of each action list, in ``order``.

    Parameters:
        actions: :func:`action_table`. n: rows per action. order: the action lists, in display order.

    Returns:
        The rows, list by list.

    Example:
        >>> a = pd.DataFrame({"sku": list("abcd"), "action": ["grow", "grow", "grow", "drop"],
        ...                   "gmv": [9.0, 8.0, 7.0, 1.0]})
        >>> top_actions(a, n=2)[["action", "sku"]].values.tolist()
        [['grow', 'a'], ['grow', 'b'], ['drop', 'd']]
    """
    parts = [actions[actions["action"] == name].head(n) for name in order]
    return pd.concat([p for p in parts if len(p)] or [actions.head(0)], ignore_index=True)


def export_actions(table: pd.DataFrame, path: str | Path, name: str | None = None,
                   formats: tuple[str, ...] = ("csv", "xlsx")) -> Path | list[Path]:
    """Write the action table for Excel users, safely (:mod:`opslib.reporting.exports`): ``.csv`` as UTF-8
    with BOM (``utf-8-sig``, so Excel shows Chinese) with formula-like text cells prefixed by ``'``,
    ``.xlsx`` (sheet ``actions``) with every text cell stored as a string, never as a formula.

    Two forms:

    * ``export_actions(table, folder, name="category_actions_美妆_2024-06-30")`` writes
      ``<folder>/<name>.csv`` and ``.xlsx`` (``formats``) and returns both paths; ``name`` may hold
      data (a category): it is made a safe file name that stays inside ``folder``.
    * ``export_actions(table, "out/actions.csv")`` writes one file, ``.csv`` or ``.xlsx`` by its suffix,
      and returns its path; its file name is made safe, and a path that climbs out of a folder built
      from data (``.../actions_../../x.csv``) is refused with a ReportError.

    The folder is created when missing.

    Parameters:
        table: :func:`action_table`. path: the export folder when ``name`` is given, else the file to write
        (``.csv`` or ``.xlsx``). name: the file name without suffix (may hold data). formats: with ``name``.

    Returns:
        The paths written (with ``name``), else the one path written.

    Example:
        >>> import tempfile, os
        >>> p = export_actions(pd.DataFrame({"action_cn": ["补货"]}), os.path.join(tempfile.mkdtemp(), "a.csv"))
        >>> p.read_bytes()[:3] == b"\\xef\\xbb\\xbf"
        True
        >>> [q.suffix for q in export_actions(pd.DataFrame({"sku": ["=1+1"]}), tempfile.mkdtemp(), name="x")]
        ['.csv', '.xlsx']
    """
    from opslib.reporting.exports import safe_export_path, write_csv, write_table, write_xlsx

    if name is not None:
        return write_table(table, path, name, formats=formats, sheet="actions")
    target = safe_export_path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValueError(f"export_actions writes .csv or .xlsx, not {target.suffix!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_csv(table, target) if suffix == ".csv" else write_xlsx(table, target, sheet="actions")


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("sku_action", "SKU 行动", "Recommended action per SKU",
         "first matching rule: clear 清仓 (dead stock) → replenish 补货 (A/B, stock-outs or < 14 days of supply) → "
         "drop 淘汰 (C, margin ≤ 0 or Z falling ≥ 30%) → fix 整改 (A/B, margin rate < 10%) → grow 加大投入 "
         "(growth ≥ 20%, margin rate ≥ 10%) → keep 维持", "opslib.assortment.actions.action_table", "01"),
)
