"""Cost structure and unit economics: from list price to the contribution margin, per category and per order.

What a sale earns after every cost that moves with it (the contribution margin, 边际贡献), step by step:

=================== =========================================================================================
step                per order line ``i`` (non-cancelled lines of the period)
=================== =========================================================================================
list value 标价额     ``q_i * list_price_i``
discount 折扣         ``q_i * (list_price_i - unit_price_i)``; list value - discount = **GMV** ``g_i``
returns 退款          ``g_i`` when the line was returned; GMV - returns = **net sales**
COGS 商品成本         ``q_i * unit_cost_i`` on kept lines + ``return_writeoff_rate * q_i * unit_cost_i`` on returned
                    lines (the share of returned goods that cannot be sold again)
freight 运费          ``freight_per_order * g_i / G_o`` (the order's parcel, shared by GMV; ``G_o`` = the order's
                    GMV) or ``freight_rate * g_i``; plus ``return_freight_per_line`` per returned line (or
                    ``return_freight_rate * g_i``)
commission 平台佣金   ``commission_rate[category] * net sales``
payment fees 支付手续费 ``payment_fee_rate * g_i`` (charged on the amount paid; not refunded with a return)
marketing 营销        ``marketing_rate * g_i`` (always-on ads) + every campaign's ``marketing_spend`` that falls in
                    the period (pro rata by days), shared over the lines carrying its ``campaign_id`` by GMV
=================== =========================================================================================

**contribution = net sales - COGS - freight - commission - payment fees - marketing**, and the contribution
rate = contribution / net sales. A category "makes money" when its contribution is positive.

Where the rates come from, in order: optional cost fields on the order lines (extra columns
``freight_cost``, ``commission``, ``payment_fee``, ``marketing_cost`` in the shop's currency, per line: used
where filled), else ``costs.yml`` in the shop folder (:func:`read_costs`), else the defaults of
:func:`default_costs` — typical rates of a Chinese marketplace shop, **flagged as assumed** in every table.

Line-level work runs in one DuckDB query (``opslib.data.cube``); the results are small frames.

Example (one order of two lines, ¥6 a parcel, 5% commission, 0.6% payment fee, no marketing):
    >>> import pandas as pd
    >>> o = pd.DataFrame({"order_id": ["o1", "o1"], "sku": ["a", "b"], "quantity": [1, 2],
    ...     "unit_price": [80.0, 10.0], "list_price": [100.0, 10.0], "status": ["completed", "returned"],
    ...     "order_ts": pd.to_datetime(["2024-05-01"] * 2), "campaign_id": None})
    >>> p = pd.DataFrame({"sku": ["a", "b"], "category": ["美妆", "食品"], "unit_cost": [40.0, 5.0]})
    >>> rates = CostRates(marketing_rate=0.0, return_freight_per_line=0.0, return_writeoff_rate=0.0)
    >>> cs = cost_structure(o, p, ("2024-05-01", "2024-05-31"), rates=rates)
    >>> cs.table[["category", "gmv", "net_sales", "cogs", "freight", "contribution"]].round(2).values.tolist()
    [['美妆', 80.0, 80.0, 40.0, 4.8, 30.72], ['食品', 20.0, 0.0, 0.0, 1.2, -1.32]]

By hand: the order's GMV is 80 + 20 = 100, so 美妆 carries 80% of the ¥6 parcel (4.8) and 食品 20% (1.2);
美妆: 80 - 40 - 4.8 - 0.05 * 80 - 0.006 * 80 = 30.72; 食品's line was returned: net sales 0, its goods come back
(write-off 0), it still paid 1.2 freight and 0.006 * 20 = 0.12 in fees: -1.32.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opslib.calendar import period_bounds
from opslib.data import cube as _cube
from opslib.errors import CostsError

__all__ = ["COST_FIELDS", "COSTS_FILE", "STEPS", "CostRates", "CostStructure", "cost_structure", "default_costs",
           "read_costs"]

COSTS_FILE = "costs.yml"
#: Optional per-line cost columns of ``orders`` (amounts in the shop's currency) and the step each one fills.
COST_FIELDS: dict[str, str] = {"freight_cost": "freight", "commission": "commission", "payment_fee": "payment_fees",
                               "marketing_cost": "marketing"}
#: The waterfall's steps: (column, label, kind) with kind ``start``, ``minus`` or ``subtotal``.
STEPS: tuple[tuple[str, str, str], ...] = (
    ("list_value", "标价额 list value", "start"),
    ("discount", "折扣 discount", "minus"),
    ("gmv", "成交额 GMV", "subtotal"),
    ("returns", "退款 returns", "minus"),
    ("net_sales", "净销售额 net sales", "subtotal"),
    ("cogs", "商品成本 COGS", "minus"),
    ("freight", "运费 freight", "minus"),
    ("commission", "平台佣金 commission", "minus"),
    ("payment_fees", "支付手续费 payment fees", "minus"),
    ("marketing", "营销 marketing", "minus"),
    ("contribution", "边际贡献 contribution", "subtotal"),
)
_RATE_KEYS = ("commission_rate", "payment_fee_rate", "freight_rate", "return_freight_rate", "return_writeoff_rate",
              "marketing_rate")
_AMOUNT_KEYS = ("freight_per_order", "return_freight_per_line")


@dataclass(frozen=True)
class CostRates:
    """The rates between GMV and the contribution margin (see the module docstring for where each applies).

    Attributes:
        commission_rate: platform commission (佣金 / 技术服务费), share of net sales; ``commission_by_category``
            overrides it per category.
        payment_fee_rate: payment fees (支付手续费), share of GMV.
        freight_per_order: outbound freight per order (a parcel), shop currency; or ``freight_rate``, a share of
            GMV (give one of the two).
        return_freight_per_line: reverse freight per returned line; or ``return_freight_rate``, a share of the
            returned line's GMV.
        return_writeoff_rate: share of the cost of returned units that cannot be sold again.
        marketing_rate: always-on advertising (直通车, 引力魔方, 巨量千川 ...), share of GMV, on top of the
            campaigns' ``marketing_spend``.
        source: where the rates come from (a file, or the defaults). assumed: the keys taken from the defaults.
    """

    commission_rate: float = 0.05
    commission_by_category: Mapping[str, float] = field(default_factory=dict)
    payment_fee_rate: float = 0.006
    freight_per_order: float | None = 6.0
    freight_rate: float | None = None
    return_freight_per_line: float | None = 10.0
    return_freight_rate: float | None = None
    return_writeoff_rate: float = 0.10
    marketing_rate: float = 0.05
    source: str = "defaults"
    assumed: tuple[str, ...] = ()

    def commission_for(self, category: str) -> float:
        """The commission rate of ``category`` (its override, else ``commission_rate``)."""
        return float(self.commission_by_category.get(str(category), self.commission_rate))

    def summary(self) -> pd.DataFrame:
        """One row per rate: ``item``, ``value``, ``unit`` (share / money), ``source`` (the file or ``assumed``).

        Returns:
            The rates table (rates not in use, e.g. ``freight_rate`` when freight is per order, left out).
        """
        rows = []
        for f in fields(self):
            if f.name in ("source", "assumed"):
                continue
            v = getattr(self, f.name)
            if v is None or (f.name == "commission_by_category" and not v):
                continue
            src = "assumed (default)" if f.name in self.assumed else self.source
            if f.name == "commission_by_category":
                rows += [{"item": f"commission_rate[{k}]", "value": float(x), "unit": "share", "source": src}
                         for k, x in sorted(v.items())]
                continue
            rows.append({"item": f.name, "value": float(v), "unit": "money" if f.name in _AMOUNT_KEYS else "share",
                         "source": src})
        return pd.DataFrame(rows, columns=["item", "value", "unit", "source"])

    @property
    def any_assumed(self) -> bool:
        """True when at least one rate is a default, not the shop's own."""
        return bool(self.assumed)


def default_costs(currency: str = "CNY") -> CostRates:
    """The default rates, every one flagged as assumed.

    Rationale (a Tmall/JD/Douyin shop in 2024): platform commission 2-5% by category plus a software fee ->
    5%; Alipay/WeChat Pay 0.6%; a franchised express parcel ¥4-8 -> ¥6, a return ¥10 (运费险 or the shop's
    reverse freight); 10% of returned goods written off; always-on ads 5% of GMV. Amounts are in CNY: for
    other currencies freight and return freight are taken as 8% of the GMV shipped or returned instead.

    Parameters:
        currency: the shop's currency (``shop.yml``).

    Returns:
        :class:`CostRates` with ``source='defaults'`` and every key in ``assumed``.

    Example:
        >>> r = default_costs("GBP")
        >>> r.freight_per_order, r.freight_rate, r.any_assumed
        (None, 0.08, True)
    """
    base = CostRates()
    if str(currency).upper() != "CNY":
        base = replace(base, freight_per_order=None, freight_rate=0.08, return_freight_per_line=None,
                       return_freight_rate=0.08)
    keys = tuple(f.name for f in fields(CostRates) if f.name not in ("source", "assumed"))
    return replace(base, source="defaults", assumed=keys)


def read_costs(path: str | Path | None, currency: str = "CNY") -> CostRates:
    """The shop's cost rates from ``costs.yml`` (a file, or a shop folder holding one); defaults for the rest.

    Keys (all optional): ``commission_rate``, ``commission_by_category`` (category: rate), ``payment_fee_rate``,
    ``freight_per_order`` or ``freight_rate``, ``return_freight_per_line`` or ``return_freight_rate``,
    ``return_writeoff_rate``, ``marketing_rate``. Rates are shares in 0..1, amounts >= 0 in the shop's
    currency. A key left out keeps its default and is listed in ``assumed``; without a file every rate is
    assumed (:func:`default_costs`).

    Parameters:
        path: ``costs.yml``, a folder that may hold one, or None (defaults). currency: for the defaults.

    Returns:
        :class:`CostRates`; raises :class:`~opslib.errors.CostsError` naming the key for an unknown key or a
        bad value.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "costs.yml").write_text("commission_rate: 0.03\\nfreight_per_order: 4.5\\n", encoding="utf-8")
        >>> r = read_costs(d)
        >>> r.commission_rate, r.freight_per_order, "commission_rate" in r.assumed, "payment_fee_rate" in r.assumed
        (0.03, 4.5, False, True)
    """
    import yaml

    defaults = default_costs(currency)
    if path is None:
        return defaults
    p = Path(path)
    if p.is_dir():
        p = p / COSTS_FILE
    if not p.is_file():
        return defaults
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise CostsError(f"{p}: not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise CostsError(f"{p}: expected keys like 'commission_rate: 0.05', got {type(data).__name__}")
    allowed = set(_RATE_KEYS) | set(_AMOUNT_KEYS) | {"commission_by_category"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise CostsError(f"{p}: unknown key(s) {', '.join(map(str, unknown))} — expected some of "
                         f"{', '.join(sorted(allowed))}")
    values: dict[str, Any] = {}
    for key, v in data.items():
        if key == "commission_by_category":
            if not isinstance(v, dict):
                raise CostsError(f"{p}: commission_by_category must map categories to rates, got {v!r}")
            values[key] = {str(c): _number(p, f"commission_by_category.{c}", r, rate=True) for c, r in v.items()}
        elif v is not None:
            values[key] = _number(p, key, v, rate=key in _RATE_KEYS)
    for per, rate in (("freight_per_order", "freight_rate"), ("return_freight_per_line", "return_freight_rate")):
        if per in values and rate in values:
            raise CostsError(f"{p}: give {per} or {rate}, not both")
        if per in values:
            values[rate] = None
        elif rate in values:
            values[per] = None
    paired = {"freight_per_order": "freight_rate", "freight_rate": "freight_per_order",
              "return_freight_per_line": "return_freight_rate", "return_freight_rate": "return_freight_per_line"}
    given = set(values) | {paired[k] for k in values if k in paired}
    assumed = tuple(k for k in defaults.assumed if k not in given)
    return replace(defaults, **values, source=str(p), assumed=assumed)


def _number(path: Path, key: str, value: Any, rate: bool) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise CostsError(f"{path}: {key} must be a number, got {value!r}") from None
    if not math.isfinite(x) or x < 0 or (rate and x > 1):
        allowed = "a share between 0 and 1 (0.05 = 5%)" if rate else "an amount >= 0 in the shop's currency"
        raise CostsError(f"{path}: {key} = {value!r} — expected {allowed}")
    return x


# ------------------------------------------------------------------------------------------- the waterfall


@dataclass
class CostStructure:
    """The contribution-margin waterfall of a period (:func:`cost_structure`).

    Attributes:
        by: the group column. table: one row per group (the step columns of ``STEPS``, ``orders`` = orders
            allocated by GMV share, ``contribution_rate`` = contribution / net sales, ``gmv_share``,
            ``cost_coverage`` = GMV share of lines with a unit cost, ``makes_money``, ``list_margin`` = 1 - cost /
            list value of the kept units with a cost: what the range is priced to earn before any discount). shop:
            the same for the
            whole scope (one row). orders: order-value bands (:meth:`order_bands`). sources: per step, where its
            numbers come from. rates: the :class:`CostRates` used. notes: what was assumed.
    """

    by: str
    table: pd.DataFrame
    shop: pd.DataFrame
    orders: pd.DataFrame
    sources: dict[str, str]
    rates: CostRates
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """The per-group table (a copy), largest GMV first."""
        return self.table.copy()

    def steps(self, group: str | None = None, per_order: bool = False) -> pd.DataFrame:
        """The waterfall of the shop (``group`` None) or one group: ``step``, ``label``, ``kind``, ``amount``,
        ``share_of_gmv``, ``source``; ``per_order`` divides by the orders.

        Parameters:
            group: a value of ``by`` or None for the whole scope. per_order: amounts per (allocated) order.

        Returns:
            One row per step of ``STEPS``.
        """
        row = self.shop.iloc[0] if group is None else self.table.loc[self.table[self.by] == group]
        if not isinstance(row, pd.Series):
            if row.empty:
                raise KeyError(f"no {self.by} {group!r} in the cost structure")
            row = row.iloc[0]
        div = float(row["orders"]) if per_order and row["orders"] > 0 else 1.0
        gmv = float(row["gmv"]) or np.nan
        out = [{"step": c, "label": label, "kind": kind, "amount": float(row[c]) / div,
                "share_of_gmv": float(row[c]) / gmv, "source": self.sources.get(c, "")} for c, label, kind in STEPS]
        return pd.DataFrame(out)

    def describe(self) -> str:
        """One line per group: margin at list price, contribution rate, and whether it makes money after all costs."""
        lines = []
        for r in self.table.itertuples(index=False):
            verdict = "makes money" if r.makes_money else "loses money"
            lines.append(f"{getattr(r, self.by)}: list margin {r.list_margin:.1%}, contribution {r.contribution_rate:.1%} "
                         f"of net sales — {verdict}")
        s = self.shop.iloc[0] if len(self.shop) else None
        if s is not None:
            lines.append(f"all: list margin {s['list_margin']:.1%}, contribution {s['contribution_rate']:.1%} of net sales")
        return "\n".join(lines + self.notes)

    def losers(self) -> list[str]:
        """The groups whose contribution is negative (they lose money after all costs), worst first."""
        t = self.table[self.table["contribution"] < 0].sort_values("contribution")
        return t[self.by].astype(str).tolist()

    def order_bands(self) -> pd.DataFrame:
        """Contribution per order by order-value band: ``band``, ``orders``, ``order_share``, ``gmv_per_order``,
        ``contribution_per_order``, ``loss_share`` (share of the band's orders with a negative contribution)."""
        return self.orders.copy()

    def plot(self, group: str | None = None, per_order: bool = False):  # noqa: ANN201 (matplotlib Figure)
        """The waterfall chart (``opslib.plotting.pricing.cost_waterfall_chart``)."""
        from opslib.plotting.pricing import cost_waterfall_chart

        return cost_waterfall_chart(self, group=group, per_order=per_order)


def _optional_fields(con: Any) -> list[str]:
    cols = {r[0] for r in con.execute("DESCRIBE o").fetchall()}
    return [c for c in COST_FIELDS if c in cols]


def _campaign_spend(campaigns: pd.DataFrame | None, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Spend of each campaign inside ``[start, end]``: ``marketing_spend * overlap days / campaign days``."""
    if campaigns is None or campaigns.empty or "marketing_spend" not in campaigns:
        return pd.DataFrame({"campaign_id": pd.Series(dtype=str), "spend": pd.Series(dtype=float)})
    c = campaigns.copy()
    c0, c1 = pd.to_datetime(c["start"]), pd.to_datetime(c["end"])
    days = (c1 - c0).dt.days + 1
    lo, hi = c0.where(c0 > start, start), c1.where(c1 < end, end)
    overlap = ((hi - lo).dt.days + 1).clip(lower=0)
    spend = c["marketing_spend"].astype(float).fillna(0.0) * overlap / days.where(days > 0)
    out = pd.DataFrame({"campaign_id": c["campaign_id"].astype(str), "spend": spend.fillna(0.0)})
    return out[out["spend"] > 0].reset_index(drop=True)


#: DuckDB's memory for :func:`cost_structure` on a shop's engine (lowered from the shop's ``memory_limit``, never
#: raised): its tables of the period's lines spill to the cache folder beyond it. Report 07 at 100M lines peaked at
#: 2.23 GB in this step, the engine's 1.2 GB beside the ~1 GB of cubes the report holds in pandas by then.
COST_MEMORY_LIMIT = "700MB"


def cost_structure(orders: _cube.Source, products: _cube.Source, period: Any, *, rates: CostRates | None = None,
                   campaigns: pd.DataFrame | None = None, by: str = "category", bands: int = 5,
                   category: str | None = None) -> CostStructure:
    """The contribution-margin waterfall per ``by`` group and per order, for the lines of ``period``.

    Formulas: the module docstring (steps, allocation of the parcel and of campaign spend, contribution). On a
    shop's DuckDB engine the query runs under :data:`COST_MEMORY_LIMIT` (spilling beyond it).

    Parameters:
        orders, products: contract frames or Parquet paths (``orders`` may carry the optional cost fields of
            ``COST_FIELDS``; ``products`` needs ``sku``, ``category``, ``unit_cost`` and the ``by`` column).
        period: ``opslib.calendar.Period`` or ``(start, end)`` days, inclusive.
        rates: :class:`CostRates` (default :func:`default_costs`: every rate assumed).
        campaigns: the campaigns table, for their ``marketing_spend`` (None: only ``marketing_rate``).
        by: the products column to group by (``category``, ``subcategory``, ``brand``).
        bands: number of order-value bands (quantiles of order GMV) in :meth:`CostStructure.order_bands`.
        category: restrict to one category (its lines; an order's parcel is shared by GMV as everywhere).

    Returns:
        :class:`CostStructure`.
    """
    from opslib.pricing.panel import _is_shop

    shop = next((s for s in (orders, products) if _is_shop(s)), None)
    engine = getattr(getattr(shop, "lines", None), "engine", None)
    cap = engine.capped_memory(COST_MEMORY_LIMIT) if hasattr(engine, "capped_memory") else contextlib.nullcontext()
    with cap:
        return _cost_structure(orders, products, period, rates=rates, campaigns=campaigns, by=by, bands=bands,
                               category=category)


def _cost_structure(orders: _cube.Source, products: _cube.Source, period: Any, *, rates: CostRates | None,
                    campaigns: pd.DataFrame | None, by: str, bands: int, category: str | None) -> CostStructure:
    """:func:`cost_structure`'s work (one DuckDB connection; the caller sets the memory cap)."""
    rates = rates or default_costs()
    start, end = period_bounds(period)
    from opslib.pricing.panel import capped_connection

    con = capped_connection(orders, products)  # the shop engine's memory limit and spill folder
    _cube.relation(con, "o", orders)
    _cube.relation(con, "p0", products, table="products")
    pcols = {r[0] for r in con.execute("DESCRIBE p0").fetchall()}
    if by not in pcols and by != "category":
        raise CostsError(f"products has no column {by!r} to group the cost structure by")
    cost = "CAST(unit_cost AS DOUBLE)" if "unit_cost" in pcols else "CAST(NULL AS DOUBLE)"
    con.execute(f"CREATE TEMP VIEW p AS SELECT CAST(sku AS VARCHAR) AS sku, CAST(category AS VARCHAR) AS category, "
                f"CAST({by} AS VARCHAR) AS grp, {cost} AS unit_cost FROM p0")
    extra = _optional_fields(con)
    ocols = {r[0] for r in con.execute("DESCRIBE o").fetchall()}
    camp = "CAST(o.campaign_id AS VARCHAR)" if "campaign_id" in ocols else "CAST(NULL AS VARCHAR)"
    fields_sql = "".join(f", TRY_CAST(o.{c} AS DOUBLE) AS f_{c}" for c in extra)
    where_cat = "AND p.category = $cat" if category is not None else ""
    params: dict[str, Any] = {"start": start, "end": end + pd.Timedelta(days=1)}
    if category is not None:
        params["cat"] = str(category)
    con.execute(f"""
        CREATE TEMP TABLE l AS
        SELECT CAST(o.order_id AS VARCHAR) AS order_id, coalesce(p.grp, '(unknown)') AS grp,
               coalesce(p.category, '(unknown)') AS category, o.quantity AS q, o.unit_price, o.list_price,
               o.status = 'returned' AS returned, p.unit_cost, {camp} AS campaign_id {fields_sql}
        FROM o LEFT JOIN p ON CAST(o.sku AS VARCHAR) = p.sku
        WHERE o.status <> 'cancelled' AND o.order_ts >= $start AND o.order_ts < $end {where_cat}
    """, params)
    n_lines = con.execute("SELECT count(*) FROM l").fetchall()[0][0]
    spend = _campaign_spend(campaigns, start, end)
    con.register("cs", spend)
    comm = pd.DataFrame({"category": list(rates.commission_by_category),
                         "rate": [float(v) for v in rates.commission_by_category.values()]},
                        columns=["category", "rate"]).astype({"category": str, "rate": float})
    con.register("comm", comm)
    fr_order = rates.freight_per_order if rates.freight_per_order is not None else 0.0
    fr_rate = rates.freight_rate if rates.freight_rate is not None else 0.0
    rf_line = rates.return_freight_per_line if rates.return_freight_per_line is not None else 0.0
    rf_rate = rates.return_freight_rate if rates.return_freight_rate is not None else 0.0

    def _field(name: str, rate_expr: str) -> str:
        return f"coalesce(f_{name}, {rate_expr})" if name in extra else rate_expr

    con.execute(f"""
        CREATE TEMP TABLE x AS
        WITH a AS (
            SELECT *, q * list_price AS list_value, q * unit_price AS gmv,
                   sum(q * unit_price) OVER (PARTITION BY order_id) AS order_gmv,
                   count(*) OVER (PARTITION BY order_id) AS order_lines
            FROM l
        ), b AS (
            SELECT a.*, CASE WHEN order_gmv > 0 THEN gmv / order_gmv ELSE 1.0 / order_lines END AS parcel,
                   CASE WHEN returned THEN gmv ELSE 0 END AS returns,
                   coalesce(comm.rate, {float(rates.commission_rate)}) AS comm_rate,
                   cs.spend * gmv / nullif(sum(CASE WHEN cs.spend IS NOT NULL THEN gmv END)
                                           OVER (PARTITION BY a.campaign_id), 0) AS camp_spend
            FROM a LEFT JOIN comm ON a.category = comm.category LEFT JOIN cs ON a.campaign_id = cs.campaign_id
        )
        SELECT order_id, grp, q, returned, unit_cost IS NOT NULL AS costed, list_value, gmv, returns,
               gmv - returns AS net_sales, parcel,
               CASE WHEN returned THEN {float(rates.return_writeoff_rate)} * q * unit_cost ELSE q * unit_cost END AS cogs,
               {_field("freight_cost", f"{fr_order} * parcel + {fr_rate} * gmv + CASE WHEN returned THEN "
                                       f"{rf_line} + {rf_rate} * gmv ELSE 0 END")} AS freight,
               {_field("commission", "comm_rate * (gmv - returns)")} AS commission,
               {_field("payment_fee", f"{float(rates.payment_fee_rate)} * gmv")} AS payment_fees,
               {_field("marketing_cost", f"{float(rates.marketing_rate)} * gmv + coalesce(camp_spend, 0)")} AS marketing
        FROM b
    """)
    sums = ("sum(list_value) AS list_value, sum(gmv) AS gmv, sum(returns) AS returns, sum(net_sales) AS net_sales, "
            "coalesce(sum(cogs), 0) AS cogs, sum(freight) AS freight, sum(commission) AS commission, "
            "sum(payment_fees) AS payment_fees, sum(marketing) AS marketing, sum(parcel) AS orders, "
            "sum(CASE WHEN costed THEN gmv ELSE 0 END) AS gmv_costed, count(*) AS lines, sum(q) AS units, "
            "sum(CASE WHEN costed AND NOT returned THEN list_value ELSE 0 END) AS list_kept, "
            "sum(CASE WHEN costed AND NOT returned THEN cogs ELSE 0 END) AS cogs_kept")
    table = con.execute(f"SELECT grp AS {by}, {sums} FROM x GROUP BY 1 ORDER BY gmv DESC, 1").df()
    shop = con.execute(f"SELECT {sums} FROM x").df()
    order_rows = con.execute(f"""
        WITH per AS (
            SELECT order_id, sum(gmv) AS gmv, sum(net_sales - cogs - freight - commission - payment_fees - marketing)
                   AS contribution, sum(parcel) AS parcel
            FROM x GROUP BY 1
        ), banded AS (SELECT *, ntile({int(bands)}) OVER (ORDER BY gmv, order_id) AS band FROM per)
        SELECT band, count(*) AS n, sum(parcel) AS orders, min(gmv) AS gmv_min, max(gmv) AS gmv_max,
               sum(gmv) AS gmv, sum(contribution) AS contribution,
               avg(CASE WHEN contribution < 0 THEN 1.0 ELSE 0.0 END) AS loss_share
        FROM banded GROUP BY 1 ORDER BY 1
    """).df() if n_lines else pd.DataFrame(columns=["band", "n", "orders", "gmv_min", "gmv_max", "gmv",
                                                     "contribution", "loss_share"])
    table, shop = _finish(table), _finish(shop)
    shop_gmv = float(shop["gmv"].iloc[0]) if len(shop) and shop["gmv"].iloc[0] == shop["gmv"].iloc[0] else 0.0
    table["gmv_share"] = table["gmv"] / shop_gmv if shop_gmv else np.nan
    orders_out = pd.DataFrame({
        "band": order_rows["band"].astype(int),
        "gmv_min": order_rows["gmv_min"].astype(float), "gmv_max": order_rows["gmv_max"].astype(float),
        "orders": order_rows["orders"].astype(float),
        "order_share": order_rows["orders"] / order_rows["orders"].sum() if len(order_rows) else [],
        "gmv_per_order": order_rows["gmv"] / order_rows["orders"].where(order_rows["orders"] > 0),
        "contribution_per_order": order_rows["contribution"] / order_rows["orders"].where(order_rows["orders"] > 0),
        "loss_share": order_rows["loss_share"].astype(float)})
    sources, notes = _sources(rates, extra, con, products)
    if n_lines == 0:
        notes.append(f"no non-cancelled order lines in {start:%Y-%m-%d} .. {end:%Y-%m-%d}")
    if campaigns is not None and len(spend):
        untagged = con.execute("SELECT count(*) FROM cs WHERE campaign_id NOT IN "
                               "(SELECT DISTINCT campaign_id FROM l WHERE campaign_id IS NOT NULL)").fetchall()[0][0]
        if untagged:
            notes.append(f"{untagged} campaign(s) with spend in the period have no order lines carrying their "
                         "campaign_id: their spend is not allocated")
    con.close()  # a cursor on the shop's database: its temporary tables go with it
    return CostStructure(by, table, shop, orders_out, sources, rates, notes)


def _finish(t: pd.DataFrame) -> pd.DataFrame:
    """Derived columns of a waterfall table."""
    t = t.copy()
    t["discount"] = t["list_value"] - t["gmv"]
    t["contribution"] = t["net_sales"] - t["cogs"] - t["freight"] - t["commission"] - t["payment_fees"] - t["marketing"]
    t["contribution_rate"] = t["contribution"] / t["net_sales"].where(t["net_sales"] > 0)
    t["cost_coverage"] = t["gmv_costed"] / t["gmv"].where(t["gmv"] > 0)
    t["makes_money"] = t["contribution"] > 0
    t["list_margin"] = 1 - t["cogs_kept"] / t["list_kept"].where(t["list_kept"] > 0)
    return t.drop(columns=["gmv_costed", "list_kept", "cogs_kept"])


def _sources(rates: CostRates, extra: list[str], con: Any, products: _cube.Source) -> tuple[dict[str, str], list[str]]:
    """Where each step's numbers come from, and the notes that go with it."""
    def rate_source(*keys: str) -> str:
        return "assumed (default)" if any(k in rates.assumed for k in keys) else rates.source

    src = {"list_value": "orders", "discount": "orders", "gmv": "orders", "returns": "orders", "net_sales": "orders",
           "cogs": "products.unit_cost", "freight": rate_source("freight_per_order", "freight_rate",
                                                               "return_freight_per_line", "return_freight_rate"),
           "commission": rate_source("commission_rate"), "payment_fees": rate_source("payment_fee_rate"),
           "marketing": rate_source("marketing_rate") + " + campaigns.marketing_spend", "contribution": ""}
    notes: list[str] = []
    for col in extra:
        step = COST_FIELDS[col]
        filled = con.execute(f"SELECT avg(CASE WHEN f_{col} IS NOT NULL THEN 1.0 ELSE 0.0 END) FROM l").fetchall()[0][0]
        filled = float(filled or 0.0)
        src[step] = f"orders.{col}" if filled >= 0.999 else f"orders.{col} ({filled:.0%} of lines) + {src[step]}"
    pcols = {r[0] for r in con.execute("DESCRIBE p0").fetchall()}
    if "cost_source" in pcols:
        assumed = con.execute("SELECT count(*) FROM p0 WHERE CAST(cost_source AS VARCHAR) LIKE 'assumed%'").fetchall()[0][0]
        if assumed:
            src["cogs"] = "products.unit_cost (partly assumed at import)"
            notes.append(f"{assumed:,} SKUs have a unit cost assumed at import: COGS and contribution are partly an "
                         "assumption")
    in_use = [k for k in rates.assumed if getattr(rates, k) not in (None, {})]
    if in_use:
        notes.append("assumed rates (no costs.yml value): " + ", ".join(in_use) + f" — put the shop's own rates in "
                     f"{COSTS_FILE} next to the tables")
    return src, notes
