"""ABC by value, the Pareto curve, XYZ by demand variability, and the ABC x XYZ matrix.

ABC ranks SKUs by a value (GMV or margin) and cuts the cumulative share at thresholds (80 / 95 %: A makes the
first 80 %); XYZ classes SKUs by the coefficient of variation of their weekly units (X steady, Z erratic).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from opslib.kpi import Term


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

    Parameters:
        frame: one row per item with ``key`` and ``value`` (e.g. :func:`sku_summary`). value: the column to rank by.
        key: the item column. thresholds: cumulative-share limits of A and B.

    Returns:
        The items ranked by value with ``rank``, ``share``, ``cum_share`` and ``abc``.

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

    Parameters:
        frame: one row per item. value: the value column. key: the item column.

    Returns:
        ``cum_sku_share`` and ``cum_value_share``, from (0, 0) to (1, 1).

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

    Parameters:
        frame: one row per item. target: the cumulative share of value (0.8 = 80%). value, key: columns.

    Returns:
        The smallest share of items (best first) whose value reaches ``target``.

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

    Parameters:
        weekly: weekly x SKU cube. thresholds: CV limits of X and Y. value, key, week: its columns.
        through: the last week counted (weeks without sales up to it are 0). min_weeks: fewer weeks of history is Z.

    Returns:
        One row per SKU: ``n_weeks``, ``mean_weekly``, ``std_weekly``, ``cv``, ``xyz``.

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

    Parameters:
        abc: :func:`abc_classify`. value: the value it ranked by.

    Returns:
        One row per class: SKUs, value, share of value, share of SKUs.

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

    Parameters:
        abc: :func:`abc_classify`. xyz: :func:`xyz_classify`. value: the ABC value column.

    Returns:
        One row per SKU with ``abc`` and ``xyz`` (no XYZ class counts as Z).

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

    Parameters:
        classes: :func:`abc_xyz_classes`. value: the value column.

    Returns:
        One row per (abc, xyz) cell: SKUs, value and share of value.

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


def abc_crosstab(abc_gmv: pd.DataFrame, abc_margin: pd.DataFrame) -> pd.DataFrame:
    """SKU counts by ABC class on GMV (rows) and on margin (columns): A by GMV but C by margin sells a lot, earns little.

    Parameters:
        abc_gmv, abc_margin: :func:`abc_classify` by GMV and by gross margin.

    Returns:
        SKU counts, GMV class (rows) x margin class (columns).

    Example:
        >>> g = pd.DataFrame({"sku": ["a", "b", "c"], "abc": ["A", "A", "C"]})
        >>> m = pd.DataFrame({"sku": ["a", "b", "c"], "abc": ["A", "C", "C"]})
        >>> abc_crosstab(g, m).to_dict()
        {'A': {'A': 1, 'C': 0}, 'C': {'A': 1, 'C': 1}}
    """
    return pd.crosstab(abc_gmv.set_index("sku")["abc"].rename("ABC by GMV"),
                       abc_margin.set_index("sku")["abc"].rename("ABC by margin"))


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("abc", "ABC 分类", "ABC classes (Pareto)",
         "sort SKUs by value; cum_share_i = (v₁ + … + v_i) / Σ v; A if cum_share ≤ 0.80, B if ≤ 0.95, else C "
         "(loss-making SKUs are C in the margin ABC)", "opslib.assortment.abc_xyz.abc_classify", "01"),
    Term("pareto_share", "头部 SKU 占比", "Share of SKUs making 80% of GMV",
         "smallest k / n such that the top k SKUs reach 80% of the value", "opslib.assortment.abc_xyz.share_of_skus_for", "01"),
    Term("xyz", "XYZ 分类", "XYZ classes (demand predictability)",
         "cv = std / mean of weekly units over the SKU's active weeks (zero weeks included); X if cv ≤ 0.5, "
         "Y if ≤ 1.0, else Z (fewer than 4 weeks: Z)", "opslib.assortment.abc_xyz.xyz_classify", "01"),
    Term("abc_xyz_matrix", "ABC-XYZ 矩阵", "ABC × XYZ matrix",
         "SKU counts and value shares per (ABC, XYZ) cell: value × predictability sets the stocking policy",
         "opslib.assortment.abc_xyz.abc_xyz_matrix", "01"),
)
