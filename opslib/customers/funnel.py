"""The traffic funnel (流量漏斗): visitors → product views → add-to-cart → orders → paid, and what moved GMV.

Stages (per group: the whole shop, a day, a category, a channel or a region), over a period:

================== ============ ==================================================================
column             中文          definition
================== ============ ==================================================================
``visitors``       访客数        sum of ``traffic.visitors`` over the days (and categories) of the group
``product_views``  浏览量        sum of ``traffic.product_views``
``add_to_cart``    加购数        sum of ``traffic.add_to_cart``
``orders_placed``  下单数        distinct ``order_id`` with a line in the group (any status)
``orders``         有效订单       distinct ``order_id`` with a line that was not cancelled (as ``opslib.kpi``)
``paid``           支付订单       distinct ``order_id`` with a ``fulfilment.paid_ts``; without a fulfilment
                                table, the orders not cancelled (a note says so)
``gmv``            成交额         sum(quantity × unit_price) over lines not cancelled
``buyers``         买家数         distinct non-empty ``customer_id`` over lines not cancelled (guests not counted)
================== ============ ==================================================================

Rates: ``views_per_visitor`` = product_views / visitors (浏览深度), ``cart_rate`` = add_to_cart /
product_views (加购率), ``order_rate`` = orders / add_to_cart (下单率, orders not cancelled), ``pay_rate`` =
paid / orders_placed (支付率), ``conversion_rate`` = orders / visitors (转化率), ``aov`` = gmv / orders.
``GMV = visitors × views_per_visitor × cart_rate × order_rate × aov`` holds exactly, which is what
:func:`funnel_change` splits (``opslib.kpi.gmv_decomposition(drivers="funnel")``, LMDI).

The traffic table has visitors per (day, category) only: by channel or region the first three stages are
empty (the shop's analytics does not split them that way in the contract), and summing categories counts a
visitor who browsed two categories twice (see ``opslib.kpi``). By category, an order with lines in two
categories counts in both, so category orders add up to more than the shop's orders; GMV adds up exactly.

:func:`channel_mix` splits the GMV change by channel into orders × channel mix × AOV per channel (LMDI):
how much came from more orders, from orders moving to channels with a higher or lower basket, and from
baskets within each channel.

Example (two orders, one cancelled; 100 visitors, 300 views, 20 carts on the day):
    >>> import pandas as pd
    >>> lines = pd.DataFrame({"order_id": ["o1", "o2"], "order_ts": pd.to_datetime(["2024-06-01 10:00"] * 2),
    ...     "customer_id": ["c1", None], "sku": "a", "quantity": 1, "unit_price": [50.0, 30.0],
    ...     "channel": "app", "region": "华东", "status": ["completed", "cancelled"]})
    >>> traffic = pd.DataFrame({"date": pd.to_datetime(["2024-06-01"]), "category": ["美妆"], "visitors": [100],
    ...                         "product_views": [300], "add_to_cart": [20]})
    >>> f = funnel_table(lines, traffic)
    >>> f.table[["visitors", "add_to_cart", "orders_placed", "orders", "paid", "gmv", "conversion_rate"]].iloc[0].tolist()
    [100.0, 20.0, 2.0, 1.0, 1.0, 50.0, 0.01]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opslib import kpi
from opslib.calendar import Period
from opslib.customers._sql import Table, connect, day_window, require, ts_window

__all__ = ["FUNNEL_BY", "STAGES", "Funnel", "MixEffect", "channel_mix", "funnel_change", "funnel_table"]

#: The funnel's stages in order, with their labels.
STAGES: dict[str, str] = {
    "visitors": "访客数 Visitors",
    "product_views": "浏览量 Product views",
    "add_to_cart": "加购数 Add-to-cart",
    "orders_placed": "下单数 Orders placed",
    "paid": "支付订单 Paid orders",
}
#: What a funnel can be split by.
FUNNEL_BY = (None, "date", "category", "channel", "region")
_TRAFFIC = ("visitors", "product_views", "add_to_cart")
_COUNTS = ["visitors", "product_views", "add_to_cart", "orders_placed", "orders", "paid", "gmv", "buyers"]


def _div(a: pd.Series, b: pd.Series) -> pd.Series:
    b = b.astype("float64")
    return (a.astype("float64") / b.where(b > 0)).astype("float64")


def _add_rates(t: pd.DataFrame) -> pd.DataFrame:
    t["views_per_visitor"] = _div(t["product_views"], t["visitors"])
    t["cart_rate"] = _div(t["add_to_cart"], t["product_views"])
    t["order_rate"] = _div(t["orders"], t["add_to_cart"])
    t["pay_rate"] = _div(t["paid"], t["orders_placed"])
    t["conversion_rate"] = _div(t["orders"], t["visitors"])
    t["aov"] = _div(t["gmv"], t["orders"])
    return t


@dataclass
class Funnel:
    """The funnel of a period (:func:`funnel_table`), for the whole shop or split by ``by``.

    ``table``: one row per group (``key`` holds the group: a date, category, channel or region; ``"all"`` for
    the shop) with the stage counts and rates of the module docstring; None when it could not be built, then
    ``reason`` says why. ``notes``: what was assumed (no fulfilment table, no traffic split by channel).
    """

    table: pd.DataFrame | None
    by: str | None = None
    period: Period | None = None
    notes: list[str] = field(default_factory=list)
    reason: str | None = None

    def summary(self) -> pd.DataFrame:
        """The funnel table (empty with the same columns when it was skipped)."""
        if self.table is None:
            return pd.DataFrame(columns=["key", *_COUNTS])
        return self.table

    def stages(self, key: Any = None) -> pd.DataFrame:
        """The five stages of one group (default the first row, i.e. the shop) as rows: ``stage``, ``label``,
        ``count``, ``step_rate`` (count / previous stage's count) and ``overall_rate`` (count / visitors).

        Example:
            >>> t = pd.DataFrame({"key": ["all"], "visitors": [100.0], "product_views": [300.0], "add_to_cart": [30.0],
            ...                   "orders_placed": [12.0], "paid": [10.0]})
            >>> Funnel(t).stages()["step_rate"].round(2).tolist()
            [nan, 3.0, 0.1, 0.4, 0.83]
        """
        t = self.summary()
        if t.empty:
            return pd.DataFrame(columns=["stage", "label", "count", "step_rate", "overall_rate"])
        row = t.iloc[0] if key is None else t.loc[t["key"] == key].iloc[0]
        counts = np.array([float(row[s]) for s in STAGES])
        prev = np.r_[np.nan, counts[:-1]]
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(prev > 0, counts / prev, np.nan)
            overall = np.where(counts[0] > 0, counts / counts[0], np.nan)
        return pd.DataFrame({"stage": list(STAGES), "label": list(STAGES.values()), "count": counts,
                             "step_rate": step, "overall_rate": overall})

    def plot(self) -> Any:
        """The shop's funnel as bars (``by=None``), or the rates per group; prints the reason when skipped."""
        if self.table is None:
            print(self.reason)
            return None
        from opslib.plotting.customers import funnel_chart, funnel_rates_chart

        if self.by is None:
            return funnel_chart(self.stages(), title=f"流量漏斗 Funnel {self.period or ''}".strip())
        return funnel_rates_chart(self.table, self.by)


def funnel_table(orders: Table, traffic: Table | None = None, products: Table | None = None,
                 fulfilment: Table | None = None, period: Period | None = None, by: str | None = None) -> Funnel:
    """The funnel visitors → views → carts → orders placed → paid, with GMV, for a period (DuckDB).

    Formulas: the module docstring. One SQL query over the order lines (joined to products for the
    category and to fulfilment for payment) and one over the traffic table, joined on the group.

    Parameters:
        orders: order lines (contract columns ``order_id``, ``order_ts``, ``customer_id``, ``sku``, ``quantity``,
            ``unit_price``, ``channel``, ``region``, ``status``).
        traffic: the traffic table (optional; without it the traffic stages are empty and a note says so).
        products: needed for ``by="category"``.
        fulfilment: optional; ``paid`` counts orders with a ``paid_ts`` (else the orders not cancelled).
        period: the days to count (inclusive); None = everything.
        by: None (the shop), ``"date"``, ``"category"``, ``"channel"`` or ``"region"``.

    Returns:
        :class:`Funnel`; its ``table`` has ``key`` and the counts ``visitors``, ``product_views``,
        ``add_to_cart``, ``orders_placed``, ``orders``, ``paid``, ``gmv``, ``buyers`` (floats; traffic counts NaN
        where the traffic table cannot split), and ``views_per_visitor``, ``cart_rate``, ``order_rate``,
        ``pay_rate``, ``conversion_rate``, ``aov``, ``gmv_share``. Sorted by key (dates) or by GMV (others).

    Example: see the module docstring.
    """
    if by not in FUNNEL_BY:
        raise ValueError(f"funnel_table: by must be one of {FUNNEL_BY}, got {by!r}")
    if by == "category" and products is None:
        raise ValueError("funnel_table(by='category') needs the products table")
    notes: list[str] = []
    con = connect(orders=orders, traffic=traffic, products=products if by == "category" else None,
                  fulfilment=fulfilment)
    try:
        require(con, "orders", ["order_id", "order_ts", "customer_id", "sku", "quantity", "unit_price", "status"]
                + ([by] if by in ("channel", "region") else []), "funnel_table")
        key_o = {None: "'all'", "date": "CAST(o.order_ts AS DATE)", "category": "coalesce(p.category, '(unknown)')",
                 "channel": "o.channel", "region": "o.region"}[by]
        join_p = "LEFT JOIN products p ON o.sku = p.sku" if by == "category" else ""
        if fulfilment is not None:
            require(con, "fulfilment", ["order_id", "paid_ts"], "funnel_table")
            paid = "count(DISTINCT CASE WHEN f.order_id IS NOT NULL THEN o.order_id END)"
            # only the period's orders are looked up: a DISTINCT over the whole fulfilment table (77M rows at
            # 100M lines) for every funnel was what kept report 05 in its funnel cells for most of an hour
            in_period = f"SELECT o2.order_id FROM orders o2 WHERE {ts_window(period, 'o2.order_ts')}"
            join_f = ("LEFT JOIN (SELECT DISTINCT fu.order_id FROM fulfilment fu WHERE fu.paid_ts IS NOT NULL "
                      f"AND fu.order_id IN ({in_period})) f ON o.order_id = f.order_id")
        else:
            paid = "count(DISTINCT CASE WHEN o.status <> 'cancelled' THEN o.order_id END)"
            join_f = ""
            notes.append("no fulfilment table: paid orders = orders not cancelled")
        sql = f"""
            SELECT {key_o} AS key,
                CAST(count(DISTINCT o.order_id) AS DOUBLE) AS orders_placed,
                CAST(count(DISTINCT CASE WHEN o.status <> 'cancelled' THEN o.order_id END) AS DOUBLE) AS orders,
                CAST({paid} AS DOUBLE) AS paid,
                CAST(coalesce(sum(CASE WHEN o.status <> 'cancelled' THEN o.quantity * o.unit_price END), 0) AS DOUBLE) AS gmv,
                CAST(count(DISTINCT CASE WHEN o.status <> 'cancelled' THEN o.customer_id END) AS DOUBLE) AS buyers
            FROM orders o {join_p} {join_f}
            WHERE {ts_window(period)}
            GROUP BY 1
        """
        side = con.execute(sql).df()
        if traffic is not None and by not in ("channel", "region"):
            require(con, "traffic", ["date", "category", *_TRAFFIC], "funnel_table")
            key_t = {None: "'all'", "date": "CAST(t.date AS DATE)", "category": "t.category"}[by]
            tsql = f"""
                SELECT {key_t} AS key, {", ".join(f"CAST(sum(t.{c}) AS DOUBLE) AS {c}" for c in _TRAFFIC)}
                FROM traffic t WHERE {day_window(period)} GROUP BY 1
            """
            tside = con.execute(tsql).df()
            if tside.empty or tside["visitors"].isna().all():
                tside = pd.DataFrame(columns=["key", *_TRAFFIC])
        else:
            tside = pd.DataFrame(columns=["key", *_TRAFFIC])
            if traffic is None:
                notes.append("no traffic table: visitors, views and add-to-cart are empty")
            else:
                notes.append(f"the traffic table has no {by} split: visitors, views and add-to-cart are shop-wide only")
    finally:
        con.close()
    if side.empty and tside.empty:
        what = f" in {period}" if period is not None else ""
        return Funnel(None, by, period, notes, reason=f"no orders and no traffic{what}: skipping the funnel")
    if by == "date":
        for t in (side, tside):
            t["key"] = pd.to_datetime(t["key"])
    t = side.merge(tside, on="key", how="outer") if len(tside) else side.assign(**{c: np.nan for c in _TRAFFIC})
    for c in ("orders_placed", "orders", "paid", "gmv", "buyers"):
        t[c] = t[c].fillna(0.0)
    for c in _TRAFFIC:
        t[c] = t[c].astype("float64")
    t = _add_rates(t)
    total = t["gmv"].sum()
    t["gmv_share"] = t["gmv"] / total if total > 0 else np.nan
    t = t.sort_values("key" if by == "date" else ["gmv", "key"], ascending=by == "date", ignore_index=True)
    cols = ["key", *_COUNTS, "views_per_visitor", "cart_rate", "order_rate", "pay_rate", "conversion_rate", "aov",
            "gmv_share"]
    return Funnel(t[cols], by, period, notes)


def funnel_change(orders: Table, traffic: Table | None, current: Period, baseline: Period,
                  fulfilment: Table | None = None) -> kpi.GmvChange:
    """Why GMV changed, through the funnel: visitors × view rate × cart rate × order rate × AOV (LMDI).

    ``GMV = visitors × (views / visitors) × (carts / views) × (orders / carts) × (GMV / orders)`` in each
    period (orders not cancelled, as in ``opslib.kpi``); each driver's contribution is
    ``L · ln(x1 / x0)`` with ``L = (GMV1 − GMV0) / (ln GMV1 − ln GMV0)``, so the five parts add up to the
    change exactly (``opslib.kpi.gmv_decomposition(drivers="funnel")``).

    Parameters:
        orders, traffic: order lines and the traffic table (needed). current, baseline: the periods.
        fulfilment: unused by the decomposition (kept for a symmetric call with :func:`funnel_table`).

    Returns:
        ``opslib.kpi.GmvChange`` (its ``plot()`` draws the waterfall); skipped with a reason without traffic
        or when a period has no GMV, orders, visitors, views or carts.

    Example (carts per view 10% -> 20%, everything else equal: the whole +¥50 is the cart rate):
        >>> lines = pd.DataFrame({"order_id": ["a", "b", "c"], "order_ts": pd.to_datetime(
        ...     ["2024-06-01", "2024-06-02", "2024-06-02"]), "customer_id": "x", "sku": "s", "quantity": 1,
        ...     "unit_price": 50.0, "status": "completed"})
        >>> tr = pd.DataFrame({"date": pd.to_datetime(["2024-06-01", "2024-06-02"]), "category": "美妆",
        ...                    "visitors": 100, "product_views": 300, "add_to_cart": [30, 60]})
        >>> ch = funnel_change(lines, tr, Period("2024-06-02", "2024-06-02"), Period("2024-06-01", "2024-06-01"))
        >>> ch.summary()[["driver", "contribution"]].round(6).values.tolist()
        [['visitors', 0.0], ['views_per_visitor', 0.0], ['cart_rate', 50.0], ['order_rate', 0.0], ['aov', 0.0]]
    """
    if traffic is None:
        return kpi.GmvChange(None, "no traffic table: skipping the funnel decomposition "
                                   "(visitors x view rate x cart rate x order rate x AOV)")
    rows = []
    for p in (current, baseline):
        t = funnel_table(orders, traffic, fulfilment=None, period=p).summary()
        rows.append(t.iloc[0] if len(t) else None)
    need = ["gmv", "orders", "visitors", "product_views", "add_to_cart"]
    if any(r is None or not all(float(r[c]) > 0 for c in need) for r in rows):
        return kpi.GmvChange(None, "Skipping the funnel decomposition: one of the periods has no GMV, orders, "
                                   "visitors, product views or add-to-carts.")
    cur, base = ({c: float(r[c]) for c in need} for r in rows)
    return kpi.GmvChange(kpi.gmv_decomposition(cur, base, drivers="funnel"))


@dataclass
class MixEffect:
    """The GMV change split into orders × mix × AOV per group (:func:`channel_mix`).

    ``effects``: rows ``orders`` (activity: more or fewer orders overall), ``mix`` (orders moving between groups
    with different baskets), ``aov`` (baskets within each group) with ``effect``, ``label``, ``contribution``,
    ``share``; they add up to ``change``. ``groups``: one row per group with its orders, share of orders, AOV and
    GMV in both periods and its three contributions. None with a ``reason`` when a period has no GMV.
    """

    effects: pd.DataFrame | None
    groups: pd.DataFrame | None
    by: str = "channel"
    change: float = float("nan")
    gmv_baseline: float = float("nan")
    gmv_current: float = float("nan")
    reason: str | None = None

    def summary(self) -> pd.DataFrame:
        """The three effects (empty when skipped)."""
        if self.effects is None:
            return pd.DataFrame(columns=["effect", "label", "contribution", "share"])
        return self.effects

    def plot(self) -> Any:
        """Waterfall from baseline to current GMV through the three effects; prints the reason when skipped."""
        if self.effects is None:
            print(self.reason)
            return None
        from opslib.plotting.customers import mix_waterfall

        return mix_waterfall(self)


_MIX_LABELS = {"orders": "订单量 Orders (activity)", "mix": "渠道结构 Channel mix", "aov": "渠道客单价 AOV within channel"}


def _mix_parts(g0: float, g1: float, o0: float, o1: float, s0: float, s1: float, a0: float, a1: float
               ) -> tuple[float, float, float]:
    """LMDI parts of one group ``G = O · s · a``; a group absent in one period puts its whole change in mix.

    The limit of ``L(G1, G0) · ln(s1 / s0)`` as ``s0 → 0`` is ``G1`` (and the other two parts vanish), which is
    Ang & Liu's (2007) treatment of zero values.
    """
    if g0 > 0 and g1 > 0:
        w = kpi._log_mean(g1, g0)
        return w * math.log(o1 / o0), w * math.log(s1 / s0), w * math.log(a1 / a0)
    return 0.0, g1 - g0, 0.0


def channel_mix(orders: Table, current: Period, baseline: Period, by: str = "channel") -> MixEffect:
    """Split the GMV change into total orders × channel mix × AOV per channel with LMDI.

    Per group ``i`` (channel, or ``by``): ``G_i = O · s_i · a_i`` with ``O`` the orders of all groups (Σ O_i,
    orders not cancelled), ``s_i = O_i / O`` the group's share of orders and ``a_i = G_i / O_i`` its AOV. With
    ``w_i = L(G_i1, G_i0)`` the logarithmic mean: orders effect ``Σ w_i ln(O1/O0)``, mix effect
    ``Σ w_i ln(s_i1/s_i0)``, AOV effect ``Σ w_i ln(a_i1/a_i0)``; they add up to ``G1 − G0`` exactly. A group
    with GMV in only one period contributes its whole change to the mix effect (Ang & Liu 2007, the limit of
    the LMDI weights as a value goes to zero).

    Parameters:
        orders: order lines. current, baseline: the periods. by: the orders column to split by
            (``channel``, ``region``).

    Returns:
        :class:`MixEffect` (skipped with a reason when a period has no GMV).

    Example (app keeps 10 orders at ¥100; web goes from 10 orders at ¥50 to 20: orders +10, and the mix
    shifts towards the cheaper channel; app: 1000·ln1.5 − 1000·ln1.5, web: (500/ln2)·(ln1.5 + ln(4/3))):
        >>> ts = pd.to_datetime(["2024-06-01"] * 20 + ["2024-06-02"] * 30)
        >>> lines = pd.DataFrame({"order_id": [f"o{i}" for i in range(50)], "order_ts": ts, "sku": "s",
        ...     "quantity": 1, "status": "completed", "customer_id": "c",
        ...     "channel": ["app"] * 10 + ["web"] * 10 + ["app"] * 10 + ["web"] * 20,
        ...     "unit_price": [100.0] * 10 + [50.0] * 10 + [100.0] * 10 + [50.0] * 20})
        >>> m = channel_mix(lines, Period("2024-06-02", "2024-06-02"), Period("2024-06-01", "2024-06-01"))
        >>> round(m.change, 2), round(float(m.effects["contribution"].sum()), 2)
        (500.0, 500.0)
        >>> m.effects.set_index("effect")["contribution"].round(1).to_dict()
        {'orders': 697.9, 'mix': -197.9, 'aov': 0.0}
    """
    con = connect(orders=orders)
    try:
        require(con, "orders", ["order_id", "order_ts", "quantity", "unit_price", "status", by], "channel_mix")
        parts = []
        for tag, p in (("1", current), ("0", baseline)):
            sql = f"""
                SELECT CAST(o.{by} AS VARCHAR) AS grp,
                    CAST(count(DISTINCT o.order_id) AS DOUBLE) AS orders_{tag},
                    CAST(sum(o.quantity * o.unit_price) AS DOUBLE) AS gmv_{tag}
                FROM orders o WHERE o.status <> 'cancelled' AND {ts_window(p)}
                GROUP BY 1
            """
            parts.append(con.execute(sql).df())
    finally:
        con.close()
    g = parts[0].merge(parts[1], on="grp", how="outer").fillna(0.0)
    g["grp"] = g["grp"].fillna("(unknown)")
    o1, o0 = g["orders_1"].sum(), g["orders_0"].sum()
    gm1, gm0 = g["gmv_1"].sum(), g["gmv_0"].sum()
    if not (gm1 > 0 and gm0 > 0 and o1 > 0 and o0 > 0):
        return MixEffect(None, None, by, reason=f"Skipping the {by} mix: one of the periods has no GMV or orders.")
    g["share_0"], g["share_1"] = g["orders_0"] / o0, g["orders_1"] / o1
    with np.errstate(divide="ignore", invalid="ignore"):
        g["aov_0"] = np.where(g["orders_0"] > 0, g["gmv_0"] / g["orders_0"], np.nan)
        g["aov_1"] = np.where(g["orders_1"] > 0, g["gmv_1"] / g["orders_1"], np.nan)
    contrib = [_mix_parts(r.gmv_0, r.gmv_1, o0, o1, r.share_0, r.share_1, r.aov_0, r.aov_1)
               for r in g.itertuples(index=False)]
    g["orders_effect"], g["mix_effect"], g["aov_effect"] = (np.array([c[k] for c in contrib]) for k in range(3))
    g = g.rename(columns={"grp": by}).sort_values("gmv_1", ascending=False, ignore_index=True)
    change = float(gm1 - gm0)
    eff = pd.DataFrame({"effect": ["orders", "mix", "aov"], "label": [_MIX_LABELS[k] for k in ("orders", "mix", "aov")],
                        "contribution": [g["orders_effect"].sum(), g["mix_effect"].sum(), g["aov_effect"].sum()]})
    eff["share"] = eff["contribution"] / change if change != 0 else np.nan
    cols = [by, "orders_0", "orders_1", "share_0", "share_1", "aov_0", "aov_1", "gmv_0", "gmv_1",
            "orders_effect", "mix_effect", "aov_effect"]
    return MixEffect(eff, g[cols], by, change=change, gmv_baseline=float(gm0), gmv_current=float(gm1))
