"""The data contract: the canonical tables every opslib function and notebook reads.

One ``TableSpec`` per table, one ``ColumnSpec`` per column. The loader (``opslib.data``) builds its
pandera schemas from these specs, the sample generator (``opslib.sample``) writes exactly these
columns, and ``docs/data_contract.md`` is generated from them (``python -m opslib contract``), so the
three never drift.

Kinds of column (``ColumnSpec.kind``) and the dtype a loaded frame carries (``opslib.data``):

========== ===================== ==========================================
kind       pandas dtype          accepted in files
========== ===================== ==========================================
str        ``str`` (NaN = empty) any text; surrounding spaces are stripped
int        ``int64``             whole numbers (``3``, ``3.0``); never empty
float      ``float64``           numbers (NaN = empty); ``1,234.5`` is not accepted
datetime   ``datetime64[ns]``    ISO-8601 ``2024-06-18 10:31:00`` or ``2024/06/18 10:31``
date       ``datetime64[ns]``    ``2024-06-18`` (time part must be midnight)
========== ===================== ==========================================

Example:
    >>> from opslib.data.contract import TABLES
    >>> TABLES["orders"].key
    ('order_id', 'sku')
    >>> [c.name for c in TABLES["reviews"].columns][:3]
    ['order_id', 'review_ts', 'score']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["str", "int", "float", "datetime", "date"]

ORDER_STATUSES: tuple[str, ...] = ("completed", "cancelled", "returned")
CAMPAIGN_KINDS: tuple[str, ...] = ("festival", "flash_sale", "coupon", "bundle", "other")
SCOPE_TYPES: tuple[str, ...] = ("all", "category", "sku")
SCOPE_SEPARATOR = "|"
SERVICE_STAGES: tuple[str, ...] = ("pre_sale", "after_sale")
YES_NO: tuple[str, ...] = ("yes", "no")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a contract table.

    ``nullable`` columns may be empty; ``min_value``/``max_value`` bound numbers (inclusive);
    ``allowed`` lists the only values a text column may take.
    """

    name: str
    kind: Kind
    description: str
    nullable: bool = False
    min_value: float | None = None
    max_value: float | None = None
    allowed: tuple[str, ...] | None = None
    example: str = ""


@dataclass(frozen=True)
class TableSpec:
    """One contract table: its columns, its unique key and whether a shop must provide it."""

    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    required: bool = False
    # (column, other_table, other_column): every non-empty value must exist in the other table.
    references: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


C = ColumnSpec

ORDERS = TableSpec(
    name="orders",
    description="One row per order line: what was bought, when, by whom, at what price, and what became of it.",
    required=True,
    key=("order_id", "sku"),
    references=(("sku", "products", "sku"), ("campaign_id", "campaigns", "campaign_id")),
    columns=(
        C("order_id", "str", "Order number; several lines share one order.", example="O00000123"),
        C("order_ts", "datetime", "When the order was placed (shop-local time).", example="2024-06-18 10:31:00"),
        C("customer_id", "str", "Buyer id; empty for guest checkouts.", nullable=True, example="C0004711"),
        C("sku", "str", "Product code; must exist in products.", example="SKU00042"),
        C("quantity", "int", "Units on the line.", min_value=1, example="2"),
        C("unit_price", "float", "Price actually paid per unit, after discounts.", min_value=0, example="89.00"),
        C("list_price", "float", "Regular (list) price per unit before discounts.", min_value=0, example="99.00"),
        C("channel", "str", "Sales channel (app, web, mini-program, live stream ...).", example="app"),
        C("region", "str", "Delivery region (province or area).", example="华东"),
        C("status", "str", "What became of the line.", allowed=ORDER_STATUSES, example="completed"),
        C("campaign_id", "str", "Campaign the line was sold under; empty if none.", nullable=True, example="CMP_2024_618"),
    ),
)

PRODUCTS = TableSpec(
    name="products",
    description="The assortment: one row per SKU with its place in the category tree and its cost.",
    required=True,
    key=("sku",),
    columns=(
        C("sku", "str", "Product code.", example="SKU00042"),
        C("name", "str", "Product name.", example="保湿精华液 30ml"),
        C("category", "str", "Top-level category.", example="美妆"),
        C("subcategory", "str", "Second-level category.", example="护肤"),
        C("brand", "str", "Brand.", example="花漾"),
        C("unit_cost", "float", "Landed cost per unit; empty when unknown.", nullable=True, min_value=0, example="41.50"),
        C("launch_date", "date", "First day on sale; empty when unknown.", nullable=True, example="2023-03-01"),
    ),
)

CAMPAIGNS = TableSpec(
    name="campaigns",
    description="Promotions: festivals (618, 双11, 双12), flash sales, coupons and bundles.",
    key=("campaign_id",),
    columns=(
        C("campaign_id", "str", "Campaign id, referenced by orders.campaign_id.", example="CMP_2024_618"),
        C("name", "str", "Campaign name.", example="2024 618 年中大促"),
        C("kind", "str", "Kind of campaign.", allowed=CAMPAIGN_KINDS, example="festival"),
        C("start", "date", "First day (inclusive).", example="2024-06-01"),
        C("end", "date", "Last day (inclusive); not before start.", example="2024-06-18"),
        C("discount_depth", "float", "Average discount off list price, 0-1 (0.2 = 20% off).", min_value=0, max_value=1, example="0.20"),
        C("scope_type", "str", "What the campaign covers.", allowed=SCOPE_TYPES, example="category"),
        C("scope", "str", "'|'-separated categories or SKUs; empty when scope_type is all.", nullable=True, example="美妆|服饰"),
        C("marketing_spend", "float", "Marketing spend on the campaign (currency of the shop).", min_value=0, example="150000"),
    ),
)

TRAFFIC = TableSpec(
    name="traffic",
    description="Daily traffic per category, from the shop's analytics (生意参谋, 京东商智, Shopify analytics).",
    key=("date", "category"),
    columns=(
        C("date", "date", "Day.", example="2024-06-18"),
        C("category", "str", "Top-level category, as in products.category.", example="美妆"),
        C("visitors", "int", "Unique visitors (访客数).", min_value=0, example="15230"),
        C("product_views", "int", "Product page views (浏览量).", min_value=0, example="48211"),
        C("add_to_cart", "int", "Add-to-cart events (加购数).", min_value=0, example="2211"),
    ),
)

INVENTORY = TableSpec(
    name="inventory",
    description="Daily stock per SKU at the end of the day, and what arrived that day.",
    key=("date", "sku"),
    references=(("sku", "products", "sku"),),
    columns=(
        C("date", "date", "Day.", example="2024-06-18"),
        C("sku", "str", "Product code.", example="SKU00042"),
        C("on_hand", "int", "Units on hand at the end of the day.", min_value=0, example="120"),
        C("inbound", "int", "Units received that day.", min_value=0, example="0"),
    ),
)

FULFILMENT = TableSpec(
    name="fulfilment",
    description="One row per order: payment, shipping, delivery and the promised delivery time.",
    key=("order_id",),
    references=(("order_id", "orders", "order_id"),),
    columns=(
        C("order_id", "str", "Order number.", example="O00000123"),
        C("paid_ts", "datetime", "When the order was paid.", example="2024-06-18 10:32:00"),
        C("shipped_ts", "datetime", "When it left the warehouse; empty if not shipped.", nullable=True, example="2024-06-19 09:00:00"),
        C("delivered_ts", "datetime", "When it was delivered; empty if not delivered.", nullable=True, example="2024-06-21 15:20:00"),
        C("promised_ts", "datetime", "Promised delivery time.", nullable=True, example="2024-06-22 23:59:00"),
        C("warehouse", "str", "Shipping warehouse.", example="上海仓"),
        C("carrier", "str", "Carrier.", example="顺丰"),
    ),
)

REVIEWS = TableSpec(
    name="reviews",
    description="One review per order: score 1-5 and the topic it is mostly about.",
    key=("order_id",),
    references=(("order_id", "orders", "order_id"),),
    columns=(
        C("order_id", "str", "Order number.", example="O00000123"),
        C("review_ts", "datetime", "When the review was written.", example="2024-06-25 20:11:00"),
        C("score", "int", "Score 1 (worst) to 5 (best).", min_value=1, max_value=5, example="4"),
        C("topic", "str", "Main topic (物流, 质量, 服务, 价格 ...); empty if none.", nullable=True, example="物流"),
    ),
)

SERVICE = TableSpec(
    name="service",
    description=("Customer-service contacts (客服咨询): one row per chat or call, before a purchase (售前询单) or "
                 "after it (售后), with the agent's first response and the resolution."),
    key=("contact_id",),
    references=(("order_id", "orders", "order_id"), ("sku", "products", "sku")),
    columns=(
        C("contact_id", "str", "Contact (session) id.", example="S000004711"),
        C("contact_ts", "datetime", "When the customer's first message arrived.", example="2024-06-18 20:15:03"),
        C("stage", "str", "pre_sale: an inquiry before buying (询单); after_sale: about an order (售后).",
          allowed=SERVICE_STAGES, example="pre_sale"),
        C("reason", "str", "What the contact is about (物流查询, 退换货, 尺码推荐 ...).", example="物流查询"),
        C("customer_id", "str", "Buyer id; empty when unknown.", nullable=True, example="C0004711"),
        C("order_id", "str", "after_sale: the order concerned; pre_sale: the order the inquiry led to; empty if none.",
          nullable=True, example="O00000123"),
        C("sku", "str", "Product the contact is about; empty if none.", nullable=True, example="SKU00042"),
        C("agent", "str", "Agent (客服) who answered; empty if nobody did.", nullable=True, example="客服03"),
        C("first_response_ts", "datetime", "The agent's first reply; empty if never answered.", nullable=True,
          example="2024-06-18 20:15:11"),
        C("resolved_ts", "datetime", "When the contact was closed as resolved; empty if not (yet) resolved.",
          nullable=True, example="2024-06-18 20:21:40"),
        C("converted", "str", "pre_sale only: did the inquiry lead to an order (询单转化)? Empty for after_sale.",
          nullable=True, allowed=YES_NO, example="yes"),
    ),
)

TABLES: dict[str, TableSpec] = {
    t.name: t for t in (ORDERS, PRODUCTS, CAMPAIGNS, TRAFFIC, INVENTORY, FULFILMENT, REVIEWS, SERVICE)
}

MARKET = TableSpec(
    name="market",
    description=("The market around the shop per category and period, from a market-analytics export "
                 "(生意参谋 市场/竞争, 京东商智 行业): market size, its price bands, competitors' sales and prices. "
                 "A row with an empty competitor describes the whole market (with price_min/price_max: one price "
                 "band of it); a row with a competitor describes that competing shop or brand."),
    key=("period_start", "category", "competitor", "price_min"),
    columns=(
        C("period_start", "date", "First day of the period (a month, week or day of the export).", example="2025-06-01"),
        C("period_end", "date", "Last day of the period (inclusive).", example="2025-06-30"),
        C("category", "str", "Category, mapped to the shop's products.category.", example="美妆"),
        C("competitor", "str", "Competing shop or brand (竞店/竞品); empty for the whole market.", nullable=True,
          example="竞店A"),
        C("price_min", "float", "Lower end of the price band (inclusive); empty for all prices.", nullable=True,
          min_value=0, example="100"),
        C("price_max", "float", "Upper end of the price band (exclusive); empty for all prices.", nullable=True,
          min_value=0, example="200"),
        C("gmv", "float", "Sales (交易金额) in the period, shop currency; empty when the export has none.",
          nullable=True, min_value=0, example="12500000"),
        C("units", "float", "Units sold (支付件数); empty when unknown.", nullable=True, min_value=0, example="98000"),
        C("avg_price", "float", "Average selling price (成交均价); empty when unknown.", nullable=True, min_value=0,
          example="127.5"),
    ),
)
TABLES[MARKET.name] = MARKET
REQUIRED_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if t.required)
OPTIONAL_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if not t.required)


def contract_markdown() -> str:
    """Render the contract as Markdown, one table per file (the body of ``docs/data_contract.md``)."""
    lines = [
        "# The data contract",
        "",
        "Generated from `opslib/data/contract.py` by `python -m opslib contract`; do not edit by hand.",
        "",
        "A shop is a folder with one file per table, named after the table: `orders.csv`, `orders.parquet`",
        "or `orders.xlsx` (CSV in UTF-8 or GB18030). `orders` and `products` are required; the others are",
        "optional, and every notebook states which tables it needs and what it skips when one is missing.",
        "",
    ]
    for t in TABLES.values():
        lines += [
            f"## `{t.name}` ({'required' if t.required else 'optional'})",
            "",
            t.description,
            "",
            f"Unique key: {', '.join(f'`{k}`' for k in t.key)}.",
        ]
        for col, other, other_col in t.references:
            lines.append(f"Every non-empty `{col}` must exist in `{other}.{other_col}` (when `{other}` is present).")
        lines += ["", "| column | type | empty allowed | rule | meaning | example |", "|---|---|---|---|---|---|"]
        for c in t.columns:
            rule = []
            if c.min_value is not None:
                rule.append(f">= {c.min_value:g}")
            if c.max_value is not None:
                rule.append(f"<= {c.max_value:g}")
            if c.allowed:
                rule.append("one of " + ", ".join(c.allowed))
            lines.append(
                f"| `{c.name}` | {c.kind} | {'yes' if c.nullable else 'no'} | {'; '.join(rule)} | "
                f"{c.description} | `{c.example}` |"
            )
        lines.append("")
    return "\n".join(lines)
