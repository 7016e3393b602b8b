"""Product structure (产品结构): price-band mix and its shift, the role of each SKU, new products, the long tail.

Every function takes the SKU summaries of ``opslib.assortment.sku_summary`` (one row per SKU and period:
``sku``, ``category``, ``units``, ``gmv``, ``net_sales``, ``gross_margin``, ``margin_rate``, ``avg_price``) and
returns a small frame.

* **Price bands 价格带** are drawn per category (a ¥35 snack and a ¥900 appliance share no band): the
  quantiles of the SKUs' average paid price over both periods (:func:`band_edges`), the same edges for the
  current period and the baseline so that a shift in GMV share between bands is a shift in what customers
  buy, not in where the edges lie (:func:`price_band_mix`).
* **SKU roles** (:func:`sku_roles`), per category — the rule (``ROLE_RULES``):

  - 引流款 traffic driver: among the SKUs that make the first ``traffic_share`` (50%) of the category's
    units (or visitors, when the summary has a ``visitors`` column), with a margin rate below the
    category's median: it brings buyers in at a thin margin;
  - 利润款 profit driver: among the SKUs that make the first ``margin_share`` (50%) of the category's gross
    margin, and not a traffic driver: it earns the money;
  - 形象款 image: priced at or above the category's ``image_quantile`` (90th percentile) price and in neither
    head: it sets the brand's price level, not the volume;
  - 长尾款 long tail: the SKUs beyond ``tail_share`` (95%) of the category's cumulative GMV;
  - 常规款 regular: the rest.
* **New products 新品** (:func:`new_product_share`): SKUs whose ``launch_date`` lies within ``new_days`` before
  the period's end; their share of the period's GMV.
* **Long tail 长尾** (:func:`long_tail`): the SKUs outside the top ``head`` (20%) by GMV, their share of GMV and
  of gross margin, and the catalogue SKUs on sale that did not sell at all.

Example:
    >>> import pandas as pd
    >>> s = pd.DataFrame({"sku": list("abcd"), "category": "美妆", "avg_price": [10.0, 20.0, 30.0, 40.0]})
    >>> band_edges(s, bands=2)[["category", "band", "low", "high"]].values.tolist()
    [['美妆', 1, 10.0, 25.0], ['美妆', 2, 25.0, 40.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from opslib.calendar import period_bounds
from opslib.errors import PricingError

__all__ = ["ROLES", "ROLE_RULES", "assign_bands", "band_edges", "band_groups", "long_tail", "new_product_share", "price_band_mix",
           "role_summary", "sku_roles"]

#: role -> English name, in display order.
ROLES: dict[str, str] = {"引流款": "traffic driver", "利润款": "profit driver", "形象款": "image",
                         "常规款": "regular", "长尾款": "long tail"}
#: The role rule in words (shown under the role table).
ROLE_RULES = ("per category: 引流款 traffic driver = in the SKUs making the first {traffic:.0%} of units and a margin "
              "rate below the category median; 利润款 profit driver = in the SKUs making the first {margin:.0%} of "
              "gross margin, not a traffic driver; 形象款 image = price at or above the category's P{image:.0f} and "
              "in neither head; 长尾款 long tail = beyond {tail:.0%} of cumulative GMV; 常规款 regular = the rest")


def _need(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise PricingError(f"{what}: missing column(s) {', '.join(missing)} (expected opslib.assortment.sku_summary "
                           "with products)")


def band_edges(*skus: pd.DataFrame, bands: int = 4, by: str = "category", price: str = "avg_price") -> pd.DataFrame:
    """Price-band edges per ``by`` group: quantiles of the SKUs' price over all the frames given.

    Formula: edges ``e_k = quantile_{k / bands}(price)`` over the distinct SKUs (their mean price when a SKU
    is in several frames), ``k = 0..bands``; duplicate edges are merged (fewer bands for a group with few
    prices). Band ``k`` is ``[e_(k-1), e_k)``, the last one closed.

    Parameters:
        skus: one or more SKU summaries (e.g. the current period and the baseline).
        bands: bands per group. by: the group column. price: the price column.

    Returns:
        One row per group and band: ``[by]``, ``band`` (1 = cheapest), ``low``, ``high``, ``label``.

    Example:
        >>> s = pd.DataFrame({"sku": list("abc"), "category": "食品", "avg_price": [5.0, 5.0, 9.0]})
        >>> band_edges(s, bands=4)["label"].tolist()     # quantiles 5, 5, 5, 7, 9: three distinct edges
        ['5-7', '7-9']
    """
    if bands < 1:
        raise PricingError(f"bands must be >= 1, got {bands}")
    frames = [s for s in skus if s is not None and len(s)]
    if not frames:
        return pd.DataFrame(columns=[by, "band", "low", "high", "label"])
    for s in frames:
        _need(s, ["sku", by, price], "band_edges")
    allp = pd.concat([s[["sku", by, price]] for s in frames], ignore_index=True).dropna(subset=[price])
    per = allp.groupby(["sku", by], as_index=False)[price].mean()
    rows = []
    for g, grp in per.groupby(by, sort=True):
        e = np.unique(np.quantile(grp[price].to_numpy(float), np.linspace(0, 1, bands + 1)))
        if len(e) == 1:
            e = np.array([e[0], e[0]])
        for k in range(len(e) - 1):
            rows.append({by: g, "band": k + 1, "low": float(e[k]), "high": float(e[k + 1]),
                         "label": f"{_num(e[k])}-{_num(e[k + 1])}"})
    return pd.DataFrame(rows, columns=[by, "band", "low", "high", "label"])


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:,.1f}".rstrip("0").rstrip(".")


def assign_bands(skus: pd.DataFrame, edges: pd.DataFrame, by: str = "category", price: str = "avg_price") -> pd.DataFrame:
    """``skus`` with the ``band`` and ``band_label`` of each SKU's price (NaN when its group has no edges).

    Formula: band = the ``k`` with ``low_k <= price < high_k`` (the last band includes its high end; prices
    outside the edges go to the first or last band).

    Parameters:
        skus: a SKU summary. edges: :func:`band_edges`. by, price: as there.

    Returns:
        A copy of ``skus`` with ``band`` (int, 1 = cheapest) and ``band_label``.

    Example:
        >>> s = pd.DataFrame({"sku": list("abc"), "category": "食品", "avg_price": [4.0, 6.0, 12.0]})
        >>> e = pd.DataFrame({"category": "食品", "band": [1, 2], "low": [5.0, 8.0], "high": [8.0, 10.0],
        ...                   "label": ["5-8", "8-10"]})
        >>> assign_bands(s, e)["band"].tolist()
        [1, 1, 2]
    """
    out = skus.copy()
    out["band"] = np.nan
    out["band_label"] = pd.Series(pd.NA, index=out.index, dtype="string")
    for g, e in edges.groupby(by, sort=False):
        sel = (out[by] == g) & out[price].notna()
        if not sel.any():
            continue
        e = e.sort_values("band")
        inner = e["high"].to_numpy(float)[:-1]
        k = np.searchsorted(inner, out.loc[sel, price].to_numpy(float), side="right")
        out.loc[sel, "band"] = e["band"].to_numpy()[k]
        out.loc[sel, "band_label"] = e["label"].to_numpy()[k]
    out["band"] = out["band"].astype("Int64")
    return out


def band_groups(edges: pd.DataFrame, *skus: pd.DataFrame, by: str = "category", price: str = "avg_price") -> pd.DataFrame:
    """Each SKU's price band as a group for :func:`opslib.pricing.growth_table`: ``sku``, ``group``, ``parent``.

    Formula: the SKU's mean ``price`` over the summaries given, placed with :func:`assign_bands`; ``group`` =
    ``"<group> · <band label>"``, ``parent`` = the group.

    Parameters:
        edges: :func:`band_edges`. skus: one or more SKU summaries. by, price: as in :func:`band_edges`.

    Returns:
        One row per SKU with a band.

    Example:
        >>> s = pd.DataFrame({"sku": ["a", "b"], "category": "食品", "avg_price": [6.0, 9.0]})
        >>> e = band_edges(s, bands=2)
        >>> band_groups(e, s)["group"].tolist()
        ['食品 · 6-7.5', '食品 · 7.5-9']
    """
    frames = [s for s in skus if s is not None and len(s)]
    if not frames:
        return pd.DataFrame(columns=["sku", "group", "parent"])
    allp = pd.concat([s[["sku", by, price]] for s in frames], ignore_index=True)
    per = allp.groupby(["sku", by], as_index=False)[price].mean()
    b = assign_bands(per, edges, by=by, price=price).dropna(subset=["band"])
    return pd.DataFrame({"sku": b["sku"].to_numpy(), "group": (b[by].astype(str) + " · " + b["band_label"].astype(str)).to_numpy(),
                         "parent": b[by].astype(str).to_numpy()})


def price_band_mix(current: pd.DataFrame, baseline: pd.DataFrame | None, edges: pd.DataFrame | None = None, *,
                   bands: int = 4, by: str = "category") -> pd.DataFrame:
    """GMV share of each price band within its group, now and in the baseline, and the shift.

    Formula per group ``g`` and band ``k``: ``share = gmv_gk / gmv_g`` (current), ``share_prev`` the same in
    the baseline, ``shift = share - share_prev`` (in share points); ``margin_rate = gross_margin / net_sales``
    of the band's SKUs; ``avg_price = gmv / units``. Edges from :func:`band_edges` of both periods unless given.

    Parameters:
        current, baseline: SKU summaries of the period and its baseline (baseline may be None).
        edges: band edges (default: from both periods). bands: bands per group. by: the group column.

    Returns:
        One row per group and band: ``[by]``, ``band``, ``label``, ``skus``, ``units``, ``gmv``, ``share``,
        ``gmv_prev``, ``share_prev``, ``shift``, ``avg_price``, ``margin_rate``; ``attrs['edges']``.

    Example (two bands; GMV moves from the cheap to the dear band):
        >>> now = pd.DataFrame({"sku": ["a", "b"], "category": "美妆", "avg_price": [10.0, 50.0],
        ...     "units": [2, 4], "gmv": [20.0, 200.0], "net_sales": [20.0, 200.0], "gross_margin": [5.0, 80.0]})
        >>> before = now.assign(units=[8, 2], gmv=[80.0, 100.0])
        >>> m = price_band_mix(now, before, bands=2)
        >>> m[["band", "share", "share_prev", "shift"]].round(4).values.tolist()
        [[1, 0.0909, 0.4444, -0.3535], [2, 0.9091, 0.5556, 0.3535]]
    """
    _need(current, ["sku", by, "avg_price", "gmv", "units"], "price_band_mix")
    edges = band_edges(current, baseline, bands=bands, by=by) if edges is None else edges

    def per_band(s: pd.DataFrame | None) -> pd.DataFrame:
        if s is None or s.empty:
            return pd.DataFrame(columns=[by, "band", "skus", "units", "gmv", "net_sales", "gross_margin"])
        b = assign_bands(s, edges, by=by).dropna(subset=["band"])
        b = b.assign(net_sales=b.get("net_sales", b["gmv"]), gross_margin=b.get("gross_margin", np.nan))
        return b.groupby([by, "band"], as_index=False).agg(
            skus=("sku", "size"), units=("units", "sum"), gmv=("gmv", "sum"), net_sales=("net_sales", "sum"),
            gross_margin=("gross_margin", lambda x: x.sum(min_count=1)))

    now, prev = per_band(current), per_band(baseline)
    grid = edges[[by, "band", "label"]].copy()
    grid["band"] = grid["band"].astype("Int64")
    for f in (now, prev):
        if len(f):
            f["band"] = f["band"].astype("Int64")
    out = grid.merge(now, on=[by, "band"], how="left")
    out = out.merge(prev[[by, "band", "gmv"]].rename(columns={"gmv": "gmv_prev"}), on=[by, "band"], how="left")
    for c in ("skus", "units", "gmv", "net_sales", "gmv_prev"):
        out[c] = out[c].astype(float).fillna(0.0)
    out["share"] = out["gmv"] / out.groupby(by)["gmv"].transform("sum").replace(0, np.nan)
    out["share_prev"] = out["gmv_prev"] / out.groupby(by)["gmv_prev"].transform("sum").replace(0, np.nan)
    out["shift"] = out["share"] - out["share_prev"]
    out["avg_price"] = out["gmv"] / out["units"].where(out["units"] > 0)
    out["margin_rate"] = out["gross_margin"].astype(float) / out["net_sales"].where(out["net_sales"] > 0)
    out = out[[by, "band", "label", "skus", "units", "gmv", "share", "gmv_prev", "share_prev", "shift", "avg_price",
               "margin_rate"]]
    out.attrs["edges"] = edges
    return out.reset_index(drop=True)


def sku_roles(skus: pd.DataFrame, *, by: str = "category", traffic_share: float = 0.5, margin_share: float = 0.5,
              image_quantile: float = 0.9, tail_share: float = 0.95) -> pd.DataFrame:
    """The role of each SKU in its group: 引流款, 利润款, 形象款, 长尾款 or 常规款 (rule: module docstring).

    Formulas per group (SKUs sorted by the measure, descending; "the first x%" = the SKUs whose cumulative
    share *before* them is below x, so the SKU that crosses x is in): traffic head on ``visitors`` when the
    summary has them, else ``units``; margin head on ``gross_margin`` (SKUs with a positive margin);
    ``median`` margin rate over the group's SKUs with a margin; image = ``avg_price >=`` the group's
    ``image_quantile`` price; tail = cumulative GMV share before the SKU ``>= tail_share``.

    Parameters:
        skus: SKU summary of one period. by: the group column. traffic_share, margin_share, image_quantile,
            tail_share: the limits of the rule.

    Returns:
        ``sku``, ``[by]``, ``role``, ``role_en``, ``units``, ``gmv``, ``gross_margin``, ``units_share``,
        ``gmv_share``, ``margin_share`` (within the group), ``margin_rate``, ``avg_price``; ``attrs['rule']``
        states the rule.

    Example (four SKUs of one category):
        >>> s = pd.DataFrame({"sku": list("abcd"), "category": "美妆", "units": [60, 30, 8, 2],
        ...     "gmv": [600.0, 900.0, 400.0, 30.0], "gross_margin": [60.0, 450.0, 200.0, 3.0],
        ...     "net_sales": [600.0, 900.0, 400.0, 30.0], "avg_price": [10.0, 30.0, 50.0, 15.0]})
        >>> s["margin_rate"] = s["gross_margin"] / s["net_sales"]
        >>> sku_roles(s)[["sku", "role"]].values.tolist()
        [['a', '引流款'], ['b', '利润款'], ['c', '形象款'], ['d', '长尾款']]

    By hand: units 60 of 100 make a's head alone (the first 50%) and its margin rate 10% is below the
    median (10%, 50%, 50%, 10% -> 30%): traffic driver. b has the largest margin (450 of 713): profit
    driver. c's price 50 is the category's highest (P90 = 44): image. d starts after 98.4% of GMV: long tail.
    """
    _need(skus, ["sku", by, "units", "gmv", "avg_price"], "sku_roles")
    df = skus.copy()
    has_margin = "gross_margin" in df.columns
    if not has_margin:
        df["gross_margin"] = np.nan
    if "margin_rate" not in df.columns:
        df["margin_rate"] = df["gross_margin"] / df.get("net_sales", df["gmv"]).where(lambda x: x > 0)
    traffic_col = "visitors" if "visitors" in df.columns else "units"

    def head(values: pd.Series, limit: float) -> pd.Series:
        v = values.clip(lower=0).fillna(0.0)
        total = float(v.sum())
        if total <= 0:
            return pd.Series(False, index=values.index)
        order = v.sort_values(ascending=False, kind="mergesort")
        before = order.cumsum().shift(fill_value=0.0) / total
        return ((before < limit) & (order > 0)).reindex(values.index)

    parts = []
    for _, g in df.groupby(by, sort=True):
        g = g.copy()
        tot = {c: float(g[c].clip(lower=0).sum()) for c in (traffic_col, "gmv", "gross_margin", "units")}
        g["units_share"] = g["units"] / tot["units"] if tot["units"] else np.nan
        g["gmv_share"] = g["gmv"] / tot["gmv"] if tot["gmv"] else np.nan
        g["margin_share"] = g["gross_margin"] / tot["gross_margin"] if tot["gross_margin"] else np.nan
        med = float(g["margin_rate"].median()) if g["margin_rate"].notna().any() else np.nan
        in_traffic = head(g[traffic_col].astype(float), traffic_share)
        in_margin = head(g["gross_margin"].astype(float), margin_share)
        pq = float(g["avg_price"].quantile(image_quantile)) if g["avg_price"].notna().any() else np.inf
        tail = ~head(g["gmv"].astype(float), tail_share) & (g["gmv"].notna())
        traffic = in_traffic & (g["margin_rate"] < med)
        profit = in_margin & ~traffic
        image = (g["avg_price"] >= pq) & ~in_traffic & ~in_margin
        g["role"] = np.select([traffic, profit, image, tail], ["引流款", "利润款", "形象款", "长尾款"], "常规款")
        parts.append(g)
    out = pd.concat(parts, ignore_index=True) if parts else df.assign(role=pd.Series(dtype=str))
    out["role_en"] = out["role"].map(ROLES)
    out = out[["sku", by, "role", "role_en", "units", "gmv", "gross_margin", "units_share", "gmv_share",
               "margin_share", "margin_rate", "avg_price"]]
    out.attrs["rule"] = ROLE_RULES.format(traffic=traffic_share, margin=margin_share, image=image_quantile * 100,
                                          tail=tail_share)
    return out


def role_summary(roles: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """SKUs and shares per role, over the whole scope or per ``by`` group.

    Formula: ``units_share = units of the role's SKUs / units`` (likewise ``gmv_share``, ``margin_share`` on
    gross margin), within the group when ``by`` is given, else over every SKU; ``margin_rate`` = gross
    margin / GMV of the role's SKUs.

    Parameters:
        roles: :func:`sku_roles`. by: None (all SKUs pooled) or the group column.

    Returns:
        One row per (group and) role, in the order of ``ROLES``: ``role``, ``role_en``, ``skus``,
        ``units_share``, ``gmv_share``, ``margin_share``, ``margin_rate``.

    Example:
        >>> r = pd.DataFrame({"sku": list("abc"), "category": "x", "role": ["引流款", "利润款", "利润款"],
        ...     "units": [8, 1, 1], "gmv": [50.0, 25.0, 25.0], "gross_margin": [5.0, 10.0, 10.0]})
        >>> role_summary(r)[["role", "skus", "units_share", "margin_share"]].values.tolist()
        [['引流款', 1, 0.8, 0.2], ['利润款', 2, 0.2, 0.8]]
    """
    keys = ([by] if by else []) + ["role"]
    df = roles.assign(_gm=roles["gross_margin"].clip(lower=0) if "gross_margin" in roles else np.nan)
    agg = df.groupby(keys, as_index=False).agg(skus=("sku", "size"), units=("units", "sum"), gmv=("gmv", "sum"),
                                               gm=("_gm", "sum"), margin=("gross_margin", "sum"))
    tot = agg.groupby(by)[["units", "gmv", "gm"]].transform("sum") if by else agg[["units", "gmv", "gm"]].sum()
    agg["units_share"] = agg["units"] / tot["units"]
    agg["gmv_share"] = agg["gmv"] / tot["gmv"]
    agg["margin_share"] = agg["gm"] / tot["gm"]
    agg["margin_rate"] = agg["margin"] / agg["gmv"].where(agg["gmv"] > 0)
    agg["_o"] = agg["role"].map({r: i for i, r in enumerate(ROLES)})
    agg["role_en"] = agg["role"].map(ROLES)
    agg = agg.sort_values(keys[:-1] + ["_o"]).reset_index(drop=True)
    return agg[keys + ["role_en", "skus", "units_share", "gmv_share", "margin_share", "margin_rate"]]


def new_product_share(cube: pd.DataFrame, products: pd.DataFrame, period: Any, *, new_days: int = 180,
                      by: str = "category") -> pd.DataFrame:
    """GMV share of new products (新品) in ``period``, per ``by`` group and for the whole scope.

    Formula: a SKU is new when ``period end - new_days < launch_date <= period end``; ``new_share =
    GMV of new SKUs / GMV`` over the period's days of the daily cube; ``new_skus`` counts new SKUs that
    sold. Needs ``products.launch_date``; without it (or with every date empty) ``attrs['reason']`` says why
    and the frame is empty.

    Parameters:
        cube: daily x SKU cube (``opslib.data.daily_sku``). products: with ``sku``, ``launch_date``, ``by``.
        period: the period. new_days: how long a SKU counts as new. by: the group column.

    Returns:
        One row per group plus ``(all)``: ``[by]``, ``gmv``, ``new_gmv``, ``new_share``, ``new_skus``, ``skus``.

    Example:
        >>> c = pd.DataFrame({"date": pd.to_datetime(["2024-06-01", "2024-06-02"]), "sku": ["a", "b"],
        ...                   "gmv": [300.0, 100.0]})
        >>> p = pd.DataFrame({"sku": ["a", "b"], "category": "美妆",
        ...                   "launch_date": pd.to_datetime(["2020-01-01", "2024-05-01"])})
        >>> new_product_share(c, p, ("2024-06-01", "2024-06-30"))[["category", "new_share", "new_skus"]].values.tolist()
        [['美妆', 0.25, 1], ['(all)', 0.25, 1]]
    """
    start, end = period_bounds(period)
    cols = [by, "gmv", "new_gmv", "new_share", "new_skus", "skus"]
    if "launch_date" not in products.columns or products["launch_date"].isna().all():
        out = pd.DataFrame(columns=cols)
        out.attrs["reason"] = "products.launch_date is empty: new products cannot be told apart (skipping 新品)"
        return out
    c = cube[(cube["date"] >= start) & (cube["date"] <= end)]
    per = c.groupby("sku", as_index=False)["gmv"].sum()
    p = products[["sku", by, "launch_date"]].drop_duplicates("sku")
    per = per.merge(p, on="sku", how="left")
    launch = pd.to_datetime(per["launch_date"])
    per["new"] = (launch > end - pd.Timedelta(days=int(new_days))) & (launch <= end)
    per["new_gmv"] = per["gmv"].where(per["new"], 0.0)
    per[by] = per[by].fillna("(unknown)")

    def agg(g: pd.DataFrame) -> dict:
        gmv = float(g["gmv"].sum())
        return {"gmv": gmv, "new_gmv": float(g["new_gmv"].sum()), "new_share": float(g["new_gmv"].sum()) / gmv if gmv
                else np.nan, "new_skus": int((g["new"] & (g["gmv"] > 0)).sum()), "skus": int((g["gmv"] > 0).sum())}

    rows = [{by: k, **agg(g)} for k, g in per.groupby(by, sort=True)]
    rows.append({by: "(all)", **agg(per)})
    out = pd.DataFrame(rows, columns=cols)
    out.attrs["new_days"] = int(new_days)
    return out


def long_tail(skus: pd.DataFrame, products: pd.DataFrame | None = None, *, head: float = 0.2, by: str = "category",
              period_end: Any = None) -> pd.DataFrame:
    """The long tail per group: SKUs outside the top ``head`` share by GMV and what they bring.

    Formula per group: SKUs sorted by GMV; head = the first ``ceil(head * n)`` SKUs; ``tail_gmv_share = 1 -
    head GMV / GMV``, ``tail_margin_share`` likewise on gross margin; with ``products`` (and ``launch_date``,
    when known, on or before ``period_end``) ``no_sales`` = catalogue SKUs of the group that did not sell.

    Parameters:
        skus: SKU summary of the period. products: the catalogue (optional). head: the head's share of SKUs.
        by: the group column. period_end: last day of the period (SKUs launched after it are not counted).

    Returns:
        One row per group plus ``(all)``: ``[by]``, ``skus``, ``tail_skus``, ``tail_gmv_share``,
        ``tail_margin_share``, ``no_sales``.

    Example (5 SKUs: the head is the top 1):
        >>> s = pd.DataFrame({"sku": list("abcde"), "category": "x", "gmv": [60.0, 20.0, 10.0, 6.0, 4.0],
        ...                   "gross_margin": [30.0, 5.0, 5.0, 5.0, 5.0]})
        >>> long_tail(s)[["category", "tail_skus", "tail_gmv_share", "tail_margin_share"]].values.tolist()
        [['x', 4, 0.4, 0.4], ['(all)', 4, 0.4, 0.4]]
    """
    _need(skus, ["sku", by, "gmv"], "long_tail")

    def one(g: pd.DataFrame) -> dict:
        g = g.sort_values("gmv", ascending=False, kind="mergesort")
        n = len(g)
        k = int(np.ceil(head * n)) if n else 0
        gmv = float(g["gmv"].sum())
        gm = float(g["gross_margin"].clip(lower=0).sum()) if "gross_margin" in g else np.nan
        head_gm = float(g["gross_margin"].clip(lower=0).iloc[:k].sum()) if "gross_margin" in g else np.nan
        return {"skus": n, "tail_skus": n - k, "tail_gmv_share": 1 - float(g["gmv"].iloc[:k].sum()) / gmv if gmv else np.nan,
                "tail_margin_share": 1 - head_gm / gm if gm else np.nan}

    rows = [{by: key, **one(g)} for key, g in skus.groupby(by, sort=True)]
    total = one(skus)
    # the shop-wide head is the top head share of each group (what a category manager keeps), summed
    tail_gmv = sum(r["tail_gmv_share"] * float(skus.loc[skus[by] == r[by], "gmv"].sum()) for r in rows
                   if r["tail_gmv_share"] == r["tail_gmv_share"])
    gmv_all = float(skus["gmv"].sum())
    total.update({"tail_skus": sum(r["tail_skus"] for r in rows), "tail_gmv_share": tail_gmv / gmv_all if gmv_all else np.nan})
    if "gross_margin" in skus:
        gm_all = float(skus["gross_margin"].clip(lower=0).sum())
        tail_gm = sum(r["tail_margin_share"] * float(skus.loc[skus[by] == r[by], "gross_margin"].clip(lower=0).sum())
                      for r in rows if r["tail_margin_share"] == r["tail_margin_share"])
        total["tail_margin_share"] = tail_gm / gm_all if gm_all else np.nan
    rows.append({by: "(all)", **total})
    out = pd.DataFrame(rows)
    out["no_sales"] = np.nan
    if products is not None and by in products.columns:
        cat = products
        if period_end is not None and "launch_date" in cat.columns:
            _, end = period_bounds((period_end, period_end))
            cat = cat[cat["launch_date"].isna() | (cat["launch_date"] <= end)]
        sold = set(skus["sku"])
        idle = cat[~cat["sku"].isin(sold)].groupby(by)["sku"].size()
        out["no_sales"] = out[by].map(idle).fillna(0).astype(int)
        out.loc[out[by] == "(all)", "no_sales"] = int(idle.sum())
    return out
