"""CDNOW purchases 1997-1998 (Fader & Hardie) -> the data contract.

Input ``cdnow_master.csv[.gz]``: ``customer_id, date, number_of_cds, dollar_value`` (customer_id read as
text to keep leading zeros; date ``YYYYMMDD``). Also accepts the whitespace-separated original
(``CDNOW_master.txt``: id, date, cds, dollars).

Rules:

* one purchase = one order with one line of the pseudo-SKU ``"CD"`` (the data has no titles):
  ``order_id = <customer_id>-<YYYYMMDD>-<n>`` (n counts purchases of one customer on one day);
* ``quantity = number_of_cds``, ``unit_price = list_price = dollar_value / number_of_cds``;
* ``zero_amount`` — purchases with dollar_value 0 are kept as free lines (unit_price 0) and logged;
* ``zero_quantity`` — purchases with number_of_cds <= 0 are dropped;
* ``order_ts`` = the date at midnight; ``channel = "web"``; ``region = "(unknown)"``; status completed;
* products: one row ``CD``, category ``Music``; cost from the stated default margin.

Example: ``00001,19970101,2,23.54`` -> order ``00001-19970101-1``, quantity 2, unit_price 11.77.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from opslib.importers.common import (
    DEFAULT_MARGIN,
    UNKNOWN,
    assume_costs,
    conform,
    read_csv_text,
    require_columns,
)
from opslib.importers.log import ImportLog, ImportResult

# What the source implies for OUT/shop.yml (a US online CD shop, dollars; dates only, no time zone implied).
SETTINGS: dict[str, str] = {"name": "CDNOW (US online CD retailer)", "currency": "USD", "locale": "en_US",
                            "country": "US"}


def _read(src: Path) -> pd.DataFrame:
    if src.suffix.lower() == ".txt":
        from opslib.importers.progress import rows_read

        df = pd.read_csv(src, sep=r"\s+", header=None, dtype=str,
                         names=["customer_id", "date", "number_of_cds", "dollar_value"])
        rows_read(src.name, len(df))
        return df
    df = read_csv_text(src)
    df.columns = [c.strip() for c in df.columns]
    return df


def adapt_cdnow(src: Path, default_margin: float | None = DEFAULT_MARGIN) -> ImportResult:
    """Adapt CDNOW purchases to orders (pseudo-SKU ``CD``) and one product."""
    src = Path(src)
    raw = _read(src)
    require_columns(raw, ["customer_id", "date", "number_of_cds", "dollar_value"], src)
    log = ImportLog(kind="cdnow", source=src.name, input_rows=len(raw), parameters={"default_margin": default_margin})
    log.note("source", "CDNOW purchases 1997-1998 (Fader & Hardie); amounts in USD; no product titles")
    qty = pd.to_numeric(raw["number_of_cds"], errors="coerce")
    amount = pd.to_numeric(raw["dollar_value"], errors="coerce")
    date = pd.to_datetime(raw["date"], format="%Y%m%d", errors="coerce")
    bad = ~(qty > 0) | amount.isna() | (amount < 0) | date.isna()
    log.drop("zero_quantity", int(bad.sum()), "number_of_cds <= 0, amount negative/missing or date unreadable",
             raw.loc[bad, "customer_id"])
    raw, qty, amount, date = raw[~bad], qty[~bad], amount[~bad], date[~bad]
    zero = amount == 0
    log.change("zero_amount", int(zero.sum()), "dollar_value 0: kept as a free line (unit_price 0)",
               raw.loc[zero, "customer_id"] + " " + raw.loc[zero, "date"])
    cust = raw["customer_id"].str.strip()
    day = date.dt.strftime("%Y%m%d")
    n = cust.groupby([cust, day]).cumcount() + 1
    unit = (amount / qty).to_numpy()
    orders = pd.DataFrame({
        "order_id": cust + "-" + day + "-" + n.astype(str), "order_ts": date, "customer_id": cust, "sku": "CD",
        "quantity": qty.astype("int64"), "unit_price": unit, "list_price": unit, "channel": "web",
        "region": UNKNOWN, "status": "completed", "campaign_id": pd.NA,
    })
    log.assume("pseudo_sku", len(orders), "no titles: every purchase is one line of pseudo-SKU 'CD'; "
               "unit_price = dollar_value / number_of_cds; order_id = customer-date-n")
    products = pd.DataFrame({"sku": ["CD"], "name": ["CD (any title)"], "category": ["Music"], "subcategory": ["CD"],
                             "brand": [UNKNOWN], "unit_cost": [np.nan], "launch_date": [pd.NaT]})
    products = assume_costs(products, orders, log, default_margin)
    return ImportResult(tables={"orders": conform("orders", orders),
                                "products": conform("products", products, ["cost_source"])}, log=log,
                        settings=dict(SETTINGS))
