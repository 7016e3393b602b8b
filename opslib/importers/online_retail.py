"""UCI Online Retail I and II -> the data contract.

Source: Chen, Sain & Guo (2012), UCI Machine Learning Repository (data sets 352 and 502), CC BY 4.0.
Layouts are detected by header: I has ``InvoiceNo, UnitPrice, CustomerID``; II has ``Invoice, Price,
Customer ID``. A II workbook (``.xlsx``) with its two yearly sheets is read sheet by sheet and stacked.

Rules, applied in this order (each one an ``ImportLog`` entry with its row count):

1. ``bad_debt_adjustment`` — invoices starting with ``A`` are accounting adjustments: dropped.
2. ``non_product_code`` — stock codes that are fees or services (POST, DOT, M, C2, D, S, B, BANK CHARGES,
   AMAZONFEE, ADJUST, CRUK, PADS, gift vouchers ``gift_0001_*``): dropped.
3. ``zero_price`` — unit price <= 0 (placeholders, stock write-offs): dropped.
4. ``negative_quantity_not_cancellation`` — quantity <= 0 on a non-``C`` invoice: dropped.
5. ``exact_duplicate`` — the same line twice (every column equal): later copies dropped.
6. ``cancellation`` — ``C`` invoices: kept as their own order (``order_id`` keeps the ``C``) with
   ``status = cancelled`` and quantity made positive. They are *not* matched back to the earlier sale
   (the data has no link; the original sale stays ``completed``), so cancelled lines measure
   cancellation volume, and net sales = completed - cancelled when you need them.
7. ``guest_customer`` — missing CustomerID: ``customer_id`` empty (guest); ``17850.0`` becomes ``17850``.
8. ``duplicate_key_merged`` — lines with the same (order_id, sku) after the above: quantities summed,
   price quantity-weighted.
9. Products: one per stock code (upper-cased), name = the most frequent description, category from
   description keywords (``CATEGORY_KEYWORDS``, first match wins, else ``未分类 Uncategorised``), brand
   ``(unknown)``, launch_date empty, unit_cost from the stated default margin (see ``assume_costs``).
10. ``list_price = unit_price`` (no discount information), ``region = Country``, ``channel = "web"``.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "retail.csv"
    >>> _ = p.write_text("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\\n"
    ...                  "1,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,UK\\n"
    ...                  "1,POST,POSTAGE,1,2010-12-01 08:26:00,18.0,17850.0,UK\\n")
    >>> r = adapt_online_retail(p)
    >>> len(r.tables["orders"]), r.tables["products"]["category"].iloc[0]
    (1, 'Candles & lights')
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from opslib.errors import ImportDataError
from opslib.importers.common import (
    DEFAULT_MARGIN,
    UNCATEGORISED,
    UNKNOWN,
    aggregate_duplicate_keys,
    assume_costs,
    conform,
    read_csv_text,
    require_columns,
)
from opslib.importers.log import ImportLog, ImportResult

NON_PRODUCT_CODES: frozenset[str] = frozenset(
    {"POST", "DOT", "M", "C2", "C3", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "ADJUST", "ADJUST2",
     "CRUK", "PADS", "TEST001", "TEST002"}
)
GIFT_VOUCHER = re.compile(r"^GIFT_\d")

# What the source implies for OUT/shop.yml (a UK online gift retailer, prices in pounds).
SETTINGS: dict[str, str] = {"name": "UCI Online Retail (UK online gift retailer)", "currency": "GBP",
                            "locale": "en_GB", "country": "GB", "timezone": "Europe/London"}

# (category, subcategory, regex on the upper-case description); first match wins.
CATEGORY_KEYWORDS: tuple[tuple[str, str, str], ...] = (
    ("Christmas", "Christmas", r"CHRISTMAS|XMAS|ADVENT|SANTA|REINDEER|SNOWFLAKE"),
    ("Candles & lights", "Candles & lights", r"CANDLE|T-LIGHT|TLIGHT|LANTERN|LIGHT|LAMP"),
    ("Bags", "Bags", r"\bBAG\b|BAGS|HANDBAG|SHOPPER|TOTE"),
    ("Kitchen & dining", "Tableware", r"MUG|CUP|PLATE|BOWL|JAR|TEA|CAKE|BAKING|NAPKIN|LUNCH|BOTTLE|CUTLERY|TRAY"),
    ("Paper & stationery", "Cards & wrap", r"CARD|WRAP|PAPER|NOTEBOOK|PENCIL|PEN\b|STICKER|ENVELOPE|TISSUE"),
    ("Home decor", "Decorations", r"HEART|SIGN|FRAME|CLOCK|DECORATION|HANGING|ORNAMENT|CUSHION|DOORMAT|MIRROR"),
    ("Toys & party", "Toys & party", r"TOY|PARTY|BUNTING|BALLOON|GAME|DOLL|CHILDREN|SPACEBOY|DOLLY"),
    ("Garden", "Garden", r"GARDEN|PLANT|FLOWER|BIRD"),
    ("Jewellery & accessories", "Accessories", r"NECKLACE|BRACELET|EARRING|RING\b|HAIR|UMBRELLA|PURSE"),
)

LAYOUTS: dict[str, dict[str, str]] = {
    "I": {"InvoiceNo": "invoice", "StockCode": "code", "Description": "description", "Quantity": "quantity",
          "InvoiceDate": "ts", "UnitPrice": "price", "CustomerID": "customer", "Country": "country"},
    "II": {"Invoice": "invoice", "StockCode": "code", "Description": "description", "Quantity": "quantity",
           "InvoiceDate": "ts", "Price": "price", "Customer ID": "customer", "Country": "country"},
}


def _detect(columns: list[str], src: Path) -> str:
    cols = [c.strip() for c in columns]
    for name, layout in LAYOUTS.items():
        if set(layout) <= set(cols):
            return name
    best = min(LAYOUTS.values(), key=lambda lay: len(set(lay) - set(cols)))
    raise ImportDataError(f"{src.name}: not an Online Retail I/II layout: missing {', '.join(sorted(set(best) - set(cols)))}"
                       f" — the file has: {', '.join(cols)}")


def read_online_retail(src: Path) -> tuple[pd.DataFrame, str]:
    """Raw lines with canonical short column names (all text) and the detected layout (``I`` or ``II``)."""
    if src.suffix.lower() in (".xlsx", ".xls"):
        try:
            sheets = pd.read_excel(src, sheet_name=None, dtype=str)
        except Exception as e:  # openpyxl raises many types for broken files
            raise ImportDataError(f"{src.name}: cannot be read as an Excel workbook ({type(e).__name__}: {e})") from None
        frames = []
        layout = ""
        for df in sheets.values():
            df.columns = [str(c).strip() for c in df.columns]
            layout = _detect(list(df.columns), src)
            frames.append(df.rename(columns=LAYOUTS[layout])[list(LAYOUTS[layout].values())])
        from opslib.importers.progress import rows_read

        rows_read(src.name, sum(len(f) for f in frames))
        return pd.concat(frames, ignore_index=True), layout
    raw = read_csv_text(src, encoding="utf-8")
    raw.columns = [str(c).strip() for c in raw.columns]
    layout = _detect(list(raw.columns), src)
    return raw.rename(columns=LAYOUTS[layout])[list(LAYOUTS[layout].values())], layout


def _categorise(descriptions: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Category and subcategory from description keywords (first match wins, else Uncategorised)."""
    text = descriptions.fillna("").str.upper()
    cat = np.full(len(text), UNCATEGORISED, dtype=object)
    sub = np.full(len(text), UNCATEGORISED, dtype=object)
    open_ = np.ones(len(text), dtype=bool)
    for c, s, pattern in CATEGORY_KEYWORDS:
        hit = open_ & text.str.contains(pattern, regex=True).to_numpy()
        cat[hit], sub[hit] = c, s
        open_ &= ~hit
    return cat, sub


def adapt_online_retail(src: Path, default_margin: float | None = DEFAULT_MARGIN) -> ImportResult:
    """Adapt a UCI Online Retail I/II export (rules in the module docstring) to orders + products."""
    src = Path(src)
    raw, layout = read_online_retail(src)
    log = ImportLog(kind=f"online_retail ({layout})", source=src.name, input_rows=len(raw),
                    parameters={"default_margin": default_margin, "layout": layout})
    log.note("source", f"UCI Online Retail {layout}, Chen, Sain & Guo (2012), CC BY 4.0; prices in GBP; "
             "no categories, costs, traffic, inventory or campaigns in the source")
    df = raw
    for col in ("invoice", "code", "description", "customer", "country"):
        df[col] = df[col].str.strip()
    qty = pd.to_numeric(df["quantity"], errors="coerce")
    price = pd.to_numeric(df["price"], errors="coerce")
    require_columns(df, ["invoice"], src)
    inv = df["invoice"].fillna("")
    code_up = df["code"].fillna("").str.upper()

    def drop(mask: pd.Series, rule: str, why: str, show: pd.Series) -> None:
        nonlocal df, qty, price, inv, code_up
        log.drop(rule, int(mask.sum()), why, show[mask].head(50))
        keep = ~mask
        df, qty, price, inv, code_up = df[keep], qty[keep], price[keep], inv[keep], code_up[keep]

    drop(inv.str.startswith("A"), "bad_debt_adjustment",
         "invoice starting with 'A' is a bad-debt accounting adjustment, not a sale", inv)
    nonprod = code_up.isin(NON_PRODUCT_CODES) | code_up.str.match(GIFT_VOUCHER)
    drop(nonprod, "non_product_code",
         "stock code is a fee, postage, discount, sample or voucher (POST, DOT, M, C2, D, S, B, BANK CHARGES, "
         "AMAZONFEE, CRUK, PADS, gift_0001_*), not a product", df["code"])
    drop(~(price > 0), "zero_price", "unit price <= 0 (or missing) is a placeholder or write-off, not a sale",
         df["code"] + " @ " + df["price"].fillna(""))
    is_c = inv.str.startswith("C")
    drop(~(qty > 0) & ~is_c, "negative_quantity_not_cancellation",
         "quantity <= 0 on an invoice that is not a 'C' cancellation", df["invoice"] + " x" + df["quantity"].fillna(""))
    bad_ts = pd.to_datetime(df["ts"], errors="coerce").isna()
    drop(bad_ts, "unreadable_date", "InvoiceDate is missing or not a date", df["ts"])
    dup = df.duplicated(keep="first")
    drop(dup, "exact_duplicate", "the same line (every column equal) appears more than once; later copies removed",
         df["invoice"] + "/" + df["code"])
    is_c = inv.str.startswith("C")

    log.change("cancellation", int(is_c.sum()),
               "'C' invoice = cancellation: kept as its own order with status cancelled and quantity made positive; "
               "not matched to the original sale (which stays completed)", df.loc[is_c, "invoice"].head(50))
    customer = df["customer"].str.replace(r"\.0$", "", regex=True)
    guest = customer.isna()
    log.change("guest_customer", int(guest.sum()), "no CustomerID: kept as a guest line (customer_id empty)",
               df.loc[guest, "invoice"].head(50))
    case_changed = df["code"] != code_up
    log.change("stock_code_upper_cased", int(case_changed.sum()),
               "stock codes upper-cased so '85123a' and '85123A' are one SKU", df.loc[case_changed, "code"].head(50))

    orders = pd.DataFrame({
        "order_id": df["invoice"],
        "order_ts": pd.to_datetime(df["ts"]),
        "customer_id": customer,
        "sku": code_up,
        "quantity": qty.abs().astype("int64"),
        "unit_price": price.astype("float64"),
        "channel": "web",
        "region": df["country"].fillna(UNKNOWN),
        "status": np.where(is_c, "cancelled", "completed"),
        "campaign_id": pd.NA,
    })
    orders["list_price"] = orders["unit_price"]
    log.assume("list_price_equals_unit_price", len(orders), "no discount information: list_price = unit_price")
    log.note("channel_region", "channel = 'web' for every line (online-only retailer); region = Country")
    orders = aggregate_duplicate_keys(
        orders, log, "same (order_id, sku) on several lines: quantities summed, prices quantity-weighted")

    # Products: most frequent non-empty description per code.
    desc = pd.DataFrame({"sku": code_up, "name": df["description"]}).dropna()
    names = (desc.value_counts(["sku", "name"], sort=True).reset_index()
             .drop_duplicates("sku").set_index("sku")["name"])
    skus = pd.Index(orders["sku"].unique())
    name = names.reindex(skus)
    no_name = name.isna()
    log.change("missing_description", int(no_name.sum()), "no description for the code: name = stock code",
               skus[no_name.to_numpy()][:5], table="products")
    name = name.fillna(pd.Series(skus, index=skus))
    multi = desc.drop_duplicates().groupby("sku").size()
    log.change("most_frequent_description", int((multi > 1).sum()),
               "code has several descriptions: name = the most frequent one", multi[multi > 1].index[:5],
               table="products")
    cat, sub = _categorise(name.reset_index(drop=True))
    products = pd.DataFrame({"sku": skus, "name": name.to_numpy(), "category": cat, "subcategory": sub,
                             "brand": UNKNOWN, "unit_cost": np.nan, "launch_date": pd.NaT})
    unc = products["category"] == UNCATEGORISED
    log.assume("keyword_category", int((~unc).sum()),
               "no categories in the source: category from description keywords (opslib.importers.online_retail."
               f"CATEGORY_KEYWORDS, first match wins); {int(unc.sum()):,} SKUs matched none -> {UNCATEGORISED}",
               products.loc[~unc, "category"].unique()[:5], table="products")
    log.note("launch_date_unknown", "launch_date left empty (the first sale in the data is not a launch date)",
             table="products")
    products = assume_costs(products, orders, log, default_margin)
    return ImportResult(
        tables={"orders": conform("orders", orders), "products": conform("products", products, ["cost_source"])},
        log=log, settings=dict(SETTINGS),
    )
