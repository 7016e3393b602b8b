"""Olist Brazilian e-commerce (Kaggle, CC BY-NC-SA 4.0, attribute Olist) -> the data contract.

``src`` is a folder with the Kaggle files (``olist_orders_dataset.csv[.gz]``, ``olist_order_items_dataset``,
``olist_customers_dataset``, ``olist_order_reviews_dataset``, ``olist_sellers_dataset``); products and
the category translation are taken from ``src`` or, when absent there, from a sibling ``full/`` folder
(the shared data keeps them in ``olist/full/``).

Rules:

* order lines: ``order_items`` rows of the same (order, product) are one line with ``quantity`` =
  number of item rows and ``unit_price`` = their mean ``price`` (freight is not part of the price);
  ``list_price = unit_price`` (no discount data); ``channel = "marketplace"``; ``region`` = customer state.
* customer: ``customer_unique_id`` (Olist's ``customer_id`` is per order).
* status: delivered, shipped, invoiced, processing, approved, created -> ``completed``;
  canceled, unavailable -> ``cancelled``. Orders without items cannot become lines and are dropped.
* products: category translated to English (``pc_gamer`` -> ``pc_gamer``,
  ``portateis_cozinha_e_preparadores_de_alimentos`` -> ``kitchen_portables_and_food_preparers``, which
  the translation file lacks); no category -> ``未分类 Uncategorised``; ``subcategory`` = category (one
  level only); name = ``<category> <first 8 characters of product_id>`` (Olist has no names); brand
  ``(unknown)``; cost from the stated default margin.
* fulfilment (one row per order): paid = ``order_approved_at`` (purchase time when missing, logged),
  shipped = carrier handover, delivered = ``order_delivered_customer_date``, promised =
  ``order_estimated_delivery_date``, warehouse = ``seller <state>`` of the order's first seller,
  carrier ``(unknown)``.
* reviews: score and ``review_creation_date``; one per order (the latest when several); Portuguese text
  not imported.
* time: every timestamp stays in Brazil local time (as in the source; no time-zone conversion).
* bias: the shared ``sample_bravida`` subset holds every non-delivered order but only ~5% of delivered
  ones; the log says so — weight delivered orders by about 96,478 / 5,172 for population KPIs.
"""

from __future__ import annotations

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

STATUS_MAP: dict[str, str] = {
    "delivered": "completed", "shipped": "completed", "invoiced": "completed", "processing": "completed",
    "approved": "completed", "created": "completed", "canceled": "cancelled", "unavailable": "cancelled",
}
EXTRA_TRANSLATIONS: dict[str, str] = {
    "pc_gamer": "pc_gamer",
    "portateis_cozinha_e_preparadores_de_alimentos": "kitchen_portables_and_food_preparers",
}
FULL_DELIVERED = 96_478  # delivered orders in the complete Olist data (shared README)
# What the source implies for OUT/shop.yml (a Brazilian marketplace, prices in reais, Brasilia time).
SETTINGS: dict[str, str] = {"name": "Olist (Brazilian marketplace)", "currency": "BRL", "locale": "pt_BR",
                            "country": "BR", "timezone": "America/Sao_Paulo"}


def _find(src: Path, stem: str, required: bool = True) -> Path | None:
    """``src/stem.csv[.gz]`` else ``src/../full/stem.csv[.gz]``."""
    for folder in (src, src.parent / "full", src / "full"):
        for suffix in (".csv", ".csv.gz"):
            p = folder / f"{stem}{suffix}"
            if p.is_file():
                return p
    if required:
        raise ImportDataError(f"{src}: no {stem}.csv or {stem}.csv.gz (looked in {src} and {src.parent / 'full'})")
    return None


def _read(src: Path, stem: str, columns: list[str]) -> pd.DataFrame:
    path = _find(src, stem)
    assert path is not None
    df = read_csv_text(path, encoding="utf-8-sig")
    df.columns = [c.strip().strip('"') for c in df.columns]
    require_columns(df, columns, path)
    return df


def _ts(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")


def adapt_olist(src: Path, default_margin: float | None = DEFAULT_MARGIN) -> ImportResult:
    """Adapt an Olist folder (rules in the module docstring) to orders, products, fulfilment, reviews."""
    src = Path(src)
    if not src.is_dir():
        raise ImportDataError(f"{src}: olist needs a folder with the Kaggle CSV files")
    o = _read(src, "olist_orders_dataset", ["order_id", "customer_id", "order_status", "order_purchase_timestamp",
                                            "order_approved_at", "order_delivered_carrier_date",
                                            "order_delivered_customer_date", "order_estimated_delivery_date"])
    items = _read(src, "olist_order_items_dataset", ["order_id", "order_item_id", "product_id", "seller_id", "price"])
    cust = _read(src, "olist_customers_dataset", ["customer_id", "customer_unique_id", "customer_state"])
    prod = _read(src, "olist_products_dataset", ["product_id", "product_category_name"])
    trans_path = _find(src, "product_category_name_translation", required=False)
    sellers_path = _find(src, "olist_sellers_dataset", required=False)
    reviews_path = _find(src, "olist_order_reviews_dataset", required=False)

    log = ImportLog(kind="olist", source=src.name, input_rows=len(items),
                    parameters={"default_margin": default_margin})
    log.note("source", "Olist Brazilian E-Commerce Public Dataset, CC BY-NC-SA 4.0 (attribute Olist); prices in BRL; "
             "input rows = order_items rows")
    log.note("time_zone", "timestamps kept in Brazil local time as in the source (no time-zone conversion)")
    n_deliv = int((o["order_status"] == "delivered").sum())
    if n_deliv and n_deliv < FULL_DELIVERED * 0.5:
        log.note("delivered_weighting_bias",
                 f"this subset keeps all non-delivered orders but only {n_deliv:,} delivered ones (about "
                 f"{FULL_DELIVERED:,} in the full data): cancellation rates are inflated; weight delivered orders "
                 f"by about {FULL_DELIVERED / n_deliv:.1f} for population-level KPIs", rows=n_deliv)

    # Orders without items cannot become lines.
    has_items = o["order_id"].isin(items["order_id"])
    log.add("order_without_items", "note", int((~has_items).sum()),
            "orders with no order_items row have no product or price: no order line (not counted in input rows)",
            o.loc[~has_items, "order_status"], table="orders")
    unknown_status = sorted(set(o["order_status"].dropna()) - set(STATUS_MAP))
    if unknown_status:
        raise ImportDataError(f"olist_orders_dataset: order_status {unknown_status} not in the status map "
                           f"({', '.join(STATUS_MAP)})")
    o = o.merge(cust[["customer_id", "customer_unique_id", "customer_state"]], on="customer_id", how="left")
    orphan = ~items["order_id"].isin(o["order_id"])
    log.drop("item_without_order", int(orphan.sum()), "order_items row whose order is not in the orders file",
             items.loc[orphan, "order_id"])
    items = items[~orphan]

    items = items.assign(price=pd.to_numeric(items["price"], errors="coerce"))
    lines = (items.groupby(["order_id", "product_id"], sort=False, as_index=False)
             .agg(quantity=("order_item_id", "size"), unit_price=("price", "mean"), seller_id=("seller_id", "first")))
    log.merge("order_items_to_quantity", len(items) - len(lines),
              "several order_item_id rows of the same product in an order = one line with quantity = their count, "
              "unit_price = mean price", lines.loc[lines["quantity"] > 1, "order_id"])
    lines = lines.merge(o, on="order_id", how="left")
    lines["status"] = lines["order_status"].map(STATUS_MAP)
    by_status = lines["order_status"].value_counts()
    log.change("status_map", len(lines),
               "order_status -> status: delivered/shipped/invoiced/processing/approved/created -> completed, "
               "canceled/unavailable -> cancelled (" + ", ".join(f"{k} {v:,}" for k, v in by_status.items()) + ")")
    orders = pd.DataFrame({
        "order_id": lines["order_id"], "order_ts": _ts(lines["order_purchase_timestamp"]),
        "customer_id": lines["customer_unique_id"], "sku": lines["product_id"], "quantity": lines["quantity"],
        "unit_price": lines["unit_price"], "list_price": lines["unit_price"], "channel": "marketplace",
        "region": lines["customer_state"].fillna(UNKNOWN), "status": lines["status"], "campaign_id": pd.NA,
    })
    log.change("customer_unique_id", len(orders), "customer_id = customer_unique_id (Olist's customer_id is per order)")
    log.assume("list_price_equals_unit_price", len(orders), "no discount data: list_price = unit_price (freight excluded)")
    orders = aggregate_duplicate_keys(orders, log, "same (order_id, sku) twice")

    # Products.
    translation = dict(EXTRA_TRANSLATIONS)
    if trans_path is not None:
        t = read_csv_text(trans_path, encoding="utf-8-sig")
        t.columns = [c.strip().lstrip("\ufeff") for c in t.columns]
        translation.update(dict(zip(t["product_category_name"], t["product_category_name_english"], strict=True)))
    else:
        log.note("no_translation", "no product_category_name_translation file: categories stay in Portuguese",
                 table="products")
    prod = prod[prod["product_id"].isin(orders["sku"])].drop_duplicates("product_id")
    pt = prod["product_category_name"]
    en = pt.map(translation)
    added = pt.isin(list(EXTRA_TRANSLATIONS))
    log.change("category_translated", int(en.notna().sum()), "category translated to English with the Olist "
               "translation file; pc_gamer and portateis_cozinha_e_preparadores_de_alimentos translated by opslib",
               pt[added], table="products")
    untranslated = pt.notna() & en.isna()
    en = en.fillna(pt)
    log.change("category_untranslated", int(untranslated.sum()), "no translation: Portuguese name kept",
               pt[untranslated], table="products")
    no_cat = en.isna()
    log.change("category_missing", int(no_cat.sum()), f"product without category -> {UNCATEGORISED}",
               prod.loc[no_cat, "product_id"], table="products")
    en = en.fillna(UNCATEGORISED)
    products = pd.DataFrame({"sku": prod["product_id"].to_numpy(), "category": en.to_numpy()})
    products["subcategory"] = products["category"]
    products["name"] = products["category"] + " " + products["sku"].str[:8]
    missing_sku = pd.Index(orders["sku"].unique()).difference(products["sku"])
    if len(missing_sku):
        log.change("product_not_in_catalogue", len(missing_sku), f"sold product missing from products -> {UNCATEGORISED}",
                   missing_sku[:5], table="products")
        products = pd.concat([products, pd.DataFrame({"sku": missing_sku, "category": UNCATEGORISED,
                                                      "subcategory": UNCATEGORISED, "name": missing_sku})])
    products["brand"] = UNKNOWN
    products["unit_cost"] = np.nan
    products["launch_date"] = pd.NaT
    log.note("product_names", "Olist has no product names: name = '<category> <first 8 characters of product_id>'; "
             "subcategory = category (one level)", table="products")
    products = assume_costs(products, orders, log, default_margin)

    # Fulfilment: one row per order that has lines.
    f = o[o["order_id"].isin(orders["order_id"])].copy()
    first_seller = lines.drop_duplicates("order_id").set_index("order_id")["seller_id"]
    seller_state = pd.Series(dtype=object)
    if sellers_path is not None:
        s = read_csv_text(sellers_path, encoding="utf-8-sig")
        s.columns = [c.strip().strip('"') for c in s.columns]
        seller_state = s.drop_duplicates("seller_id").set_index("seller_id")["seller_state"]
    wh = first_seller.reindex(f["order_id"]).map(seller_state)
    paid = _ts(f["order_approved_at"])
    no_paid = paid.isna()
    log.change("paid_ts_from_purchase", int(no_paid.sum()), "order_approved_at missing: paid_ts = purchase time",
               f.loc[no_paid, "order_status"], table="fulfilment")
    paid = paid.fillna(_ts(f["order_purchase_timestamp"]))
    fulfilment = pd.DataFrame({
        "order_id": f["order_id"].to_numpy(), "paid_ts": paid.to_numpy(),
        "shipped_ts": _ts(f["order_delivered_carrier_date"]).to_numpy(),
        "delivered_ts": _ts(f["order_delivered_customer_date"]).to_numpy(),
        "promised_ts": _ts(f["order_estimated_delivery_date"]).to_numpy(),
        "warehouse": ("seller " + wh.fillna("?")).to_numpy(), "carrier": UNKNOWN,
    })
    log.note("fulfilment_mapping", "paid = approved_at, shipped = carrier handover, delivered = customer delivery, "
             "promised = estimated delivery; warehouse = 'seller <state>' of the first seller; carrier unknown",
             table="fulfilment")

    # Reviews.
    tables = {"orders": conform("orders", orders), "products": conform("products", products, ["cost_source"]),
              "fulfilment": conform("fulfilment", fulfilment)}
    if reviews_path is not None:
        r = read_csv_text(reviews_path, encoding="utf-8-sig")
        r.columns = [c.strip().strip('"') for c in r.columns]
        require_columns(r, ["order_id", "review_score", "review_creation_date"], reviews_path)
        n_in = len(r)
        r = r[r["order_id"].isin(orders["order_id"])]
        log.drop("review_without_order", n_in - len(r), "review of an order that has no order line", table="reviews")
        r = r.assign(review_ts=_ts(r["review_creation_date"]), score=pd.to_numeric(r["review_score"], errors="coerce"))
        bad = r["score"].isna() | r["review_ts"].isna() | ~r["score"].between(1, 5)
        log.drop("review_unreadable", int(bad.sum()), "score not 1-5 or date missing", r.loc[bad, "review_score"],
                 table="reviews")
        r = r[~bad].sort_values("review_ts")
        dup = r.duplicated("order_id", keep="last")
        log.drop("review_duplicate_order", int(dup.sum()), "several reviews of one order: the latest kept",
                 r.loc[dup, "order_id"], table="reviews")
        r = r[~dup]
        log.note("review_text", "Portuguese review text not imported; topic left empty", table="reviews")
        tables["reviews"] = conform("reviews", r.assign(score=r["score"].astype("int64"), topic=pd.NA))
    return ImportResult(tables=tables, log=log, settings=dict(SETTINGS))
