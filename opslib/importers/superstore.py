"""Tableau "Sample - Superstore" (demo data by Tableau, not real transactions) -> the data contract.

``src`` is the orders CSV (``superstore_orders.csv[.gz]``) or a folder holding it; a
``superstore_returns.csv`` next to it (``Returned, Order ID``) marks returned orders.

Rules:

* ``unit_price = Sales / Quantity`` (Sales is after discount);
  ``list_price = unit_price / (1 - Discount)`` (Discount is a fraction, e.g. 0.2 = 20% off);
* ``unit_cost`` per product = ``sum(Sales - Profit) / sum(Quantity)`` over its lines (a derived
  average landed cost; negative results clipped to 0 and logged);
* status: orders listed in the returns file -> ``returned``, else ``completed``;
* category / subcategory = Category / Sub-Category; name = the most frequent Product Name of a Product ID
  (32 IDs have several names); brand ``(unknown)``;
* ``region`` = Region, ``channel = "online"`` (Segment is a customer type, not a channel: not mapped);
* fulfilment: paid = Order Date, shipped = Ship Date, carrier = Ship Mode, warehouse ``(unknown)``;
* same (Order ID, Product ID) on several rows: quantities summed, prices quantity-weighted.

Example: ``Sales 261.96, Quantity 2, Discount 0.2, Profit 41.91`` -> unit_price 130.98, list_price
163.725, cost contribution (261.96 - 41.91) / 2 = 110.03 per unit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from opslib.errors import ImportDataError
from opslib.importers.common import UNKNOWN, aggregate_duplicate_keys, conform, read_csv_text, require_columns
from opslib.importers.log import ImportLog, ImportResult

COLUMNS = ["Order ID", "Order Date", "Ship Date", "Ship Mode", "Customer ID", "Region", "Product ID", "Category",
           "Sub-Category", "Product Name", "Sales", "Quantity", "Discount", "Profit"]
# What the source implies for OUT/shop.yml (a US retailer, dollars; dates only, so no time zone is implied).
SETTINGS: dict[str, str] = {"name": "Tableau Sample - Superstore (demo data)", "currency": "USD", "locale": "en_US",
                            "country": "US"}


def _orders_file(src: Path) -> Path:
    if src.is_file():
        return src
    for name in ("superstore_orders.csv.gz", "superstore_orders.csv", "orders.csv"):
        if (src / name).is_file():
            return src / name
    raise ImportDataError(f"{src}: no superstore_orders.csv[.gz] in the folder")


def adapt_superstore(src: Path, default_margin: float | None = None) -> ImportResult:
    """Adapt the Superstore orders (+ returns) to orders, products and fulfilment.

    ``default_margin`` is accepted for a uniform CLI but unused: Superstore has Profit, so costs are derived.
    """
    src = Path(src)
    path = _orders_file(src)
    raw = read_csv_text(path, encoding="utf-8-sig")
    raw.columns = [c.strip() for c in raw.columns]
    require_columns(raw, COLUMNS, path)
    log = ImportLog(kind="superstore", source=path.name, input_rows=len(raw),
                    parameters={"cost": "derived from Profit"})
    log.note("source", "Tableau 'Sample - Superstore' demo data (made-up, for training); prices in USD")
    sales = pd.to_numeric(raw["Sales"], errors="coerce")
    qty = pd.to_numeric(raw["Quantity"], errors="coerce")
    disc = pd.to_numeric(raw["Discount"], errors="coerce")
    profit = pd.to_numeric(raw["Profit"], errors="coerce")
    bad = ~(qty > 0) | sales.isna() | ~disc.between(0, 0.99) | profit.isna()
    log.drop("unreadable_line", int(bad.sum()), "Quantity not > 0, Sales/Profit not a number or Discount not in 0..0.99",
             raw.loc[bad, "Row ID"] if "Row ID" in raw else [])
    raw, sales, qty, disc, profit = raw[~bad], sales[~bad], qty[~bad], disc[~bad], profit[~bad]

    returns_path = next((p for p in (path.parent / "superstore_returns.csv", path.parent / "returns.csv")
                         if p.is_file()), None)
    returned_ids: set[str] = set()
    if returns_path is not None:
        ret = read_csv_text(returns_path, encoding="utf-8-sig")
        ret.columns = [c.strip() for c in ret.columns]
        require_columns(ret, ["Order ID"], returns_path)
        if "Returned" in ret:
            ret = ret[ret["Returned"].str.strip().str.lower().isin(["yes", "true", "1"])]
        returned_ids = set(ret["Order ID"].str.strip())
    else:
        log.note("no_returns_file", "no superstore_returns.csv next to the orders: every line completed")
    is_ret = raw["Order ID"].isin(returned_ids)
    log.change("returned_order", int(is_ret.sum()), "order listed in the returns file -> status returned",
               raw.loc[is_ret, "Order ID"])
    unit = sales / qty
    orders = pd.DataFrame({
        "order_id": raw["Order ID"], "order_ts": pd.to_datetime(raw["Order Date"]),
        "customer_id": raw["Customer ID"], "sku": raw["Product ID"], "quantity": qty.astype("int64"),
        "unit_price": unit, "list_price": unit / (1 - disc), "channel": "online", "region": raw["Region"],
        "status": np.where(is_ret, "returned", "completed"), "campaign_id": pd.NA,
    })
    log.change("list_price_from_discount", int((disc > 0).sum()),
               "unit_price = Sales / Quantity; list_price = unit_price / (1 - Discount)", raw.loc[disc > 0, "Discount"])
    log.note("channel_region", "channel = 'online' for every line (Segment is a customer type, not mapped); "
             "region = Region")
    orders = aggregate_duplicate_keys(orders, log, "same (Order ID, Product ID) on several rows: quantities summed")

    cost_value = (sales - profit).groupby(raw["Product ID"]).sum()
    cost_qty = qty.groupby(raw["Product ID"]).sum()
    unit_cost = cost_value / cost_qty
    neg = unit_cost < 0
    log.change("negative_cost_clipped", int(neg.sum()), "derived unit cost < 0 (Profit > Sales) clipped to 0",
               unit_cost.index[neg], table="products")
    unit_cost = unit_cost.clip(lower=0)
    log.assume("cost_from_profit", len(unit_cost),
               "unit_cost = sum(Sales - Profit) / sum(Quantity) per Product ID (derived average cost)",
               table="products")
    log.note("negative_profit_lines", f"{int((profit < 0).sum()):,} lines have negative Profit (sold below cost), kept",
             rows=int((profit < 0).sum()))
    names = (raw.value_counts(["Product ID", "Product Name"]).reset_index().drop_duplicates("Product ID")
             .set_index("Product ID")["Product Name"])
    n_names = raw.drop_duplicates(["Product ID", "Product Name"]).groupby("Product ID").size()
    log.change("most_frequent_name", int((n_names > 1).sum()),
               "Product ID with several Product Names: the most frequent one kept", n_names.index[n_names > 1],
               table="products")
    cats = raw.drop_duplicates("Product ID").set_index("Product ID")[["Category", "Sub-Category"]]
    products = pd.DataFrame({"sku": cats.index, "name": names.reindex(cats.index).to_numpy(),
                             "category": cats["Category"].to_numpy(), "subcategory": cats["Sub-Category"].to_numpy(),
                             "brand": UNKNOWN, "unit_cost": unit_cost.reindex(cats.index).to_numpy(),
                             "launch_date": pd.NaT, "cost_source": "derived from Profit"})
    f = raw.drop_duplicates("Order ID")
    fulfilment = pd.DataFrame({"order_id": f["Order ID"], "paid_ts": pd.to_datetime(f["Order Date"]),
                               "shipped_ts": pd.to_datetime(f["Ship Date"]), "delivered_ts": pd.NaT,
                               "promised_ts": pd.NaT, "warehouse": UNKNOWN, "carrier": f["Ship Mode"]})
    log.note("fulfilment_mapping", "paid = Order Date, shipped = Ship Date, carrier = Ship Mode; delivery and "
             "promise unknown", table="fulfilment")
    return ImportResult(tables={"orders": conform("orders", orders),
                                "products": conform("products", products, ["cost_source"]),
                                "fulfilment": conform("fulfilment", fulfilment)}, log=log,
                        settings=dict(SETTINGS))
