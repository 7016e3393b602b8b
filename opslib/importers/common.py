"""Rules every importer shares: conform a frame to the contract, merge duplicate keys, assume missing costs.

Each adapter (``online_retail``, ``olist``, ``superstore``, ``cdnow``, ``mapping``) turns one real layout into
contract frames (``opslib.data.contract.TABLES``) and records what it did in an ``ImportLog``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opslib.data.contract import TABLES
from opslib.errors import ImportDataError
from opslib.importers.log import MAX_EXAMPLES, ImportLog

DEFAULT_MARGIN = 0.30
UNCATEGORISED = "未分类 Uncategorised"
UNKNOWN = "(unknown)"


def conform(table: str, df: pd.DataFrame, extra: Iterable[str] = ()) -> pd.DataFrame:
    """Contract columns in contract order with contract dtypes (text, int64, float64, datetime64[ns]).

    Columns the frame lacks are added empty; ``extra`` columns are kept after them.

    >>> conform("reviews", pd.DataFrame({"order_id": ["O1"], "review_ts": ["2024-01-02"], "score": [5]})).dtypes.tolist()
    [<StringDtype(na_value=nan)>, dtype('<M8[ns]'), dtype('int64'), <StringDtype(na_value=nan)>]
    """
    spec = TABLES[table]
    out: dict[str, pd.Series] = {}
    for c in spec.columns:
        s = df[c.name] if c.name in df.columns else pd.Series(np.nan, index=df.index)
        if c.kind == "str":
            s = s.astype(pd.StringDtype(na_value=np.nan))
        elif c.kind == "int":
            s = s.astype("int64")
        elif c.kind == "float":
            s = s.astype("float64")
        else:
            s = pd.to_datetime(s).astype("datetime64[ns]")
        out[c.name] = s
    for e in extra:
        out[e] = df[e]
    return pd.DataFrame(out).reset_index(drop=True)


def aggregate_duplicate_keys(orders: pd.DataFrame, log: ImportLog, why: str) -> pd.DataFrame:
    """Fold lines sharing (order_id, sku): quantity summed, unit/list price quantity-weighted.

    Other columns keep the first line's value. Logged as ``duplicate_key_merged`` (rows that vanished).

    >>> o = pd.DataFrame({"order_id": ["A", "A"], "sku": ["S", "S"], "quantity": [1, 3],
    ...                   "unit_price": [2.0, 4.0], "list_price": [2.0, 4.0], "status": ["completed"] * 2})
    >>> aggregate_duplicate_keys(o, ImportLog("t", "t"), "x")[["quantity", "unit_price"]].values.tolist()
    [[4.0, 3.5]]
    """
    dup = orders.duplicated(["order_id", "sku"], keep=False)
    n_before = len(orders)
    if not dup.any():
        log.merge("duplicate_key_merged", 0, why)
        return orders
    single, multi = orders[~dup], orders[dup].copy()
    multi["_v"] = multi["unit_price"] * multi["quantity"]
    multi["_lv"] = multi["list_price"] * multi["quantity"]
    firsts = multi.groupby(["order_id", "sku"], sort=False, as_index=False).first()
    sums = multi.groupby(["order_id", "sku"], sort=False, as_index=False)[["quantity", "_v", "_lv"]].sum()
    firsts[["quantity", "_v", "_lv"]] = sums[["quantity", "_v", "_lv"]].to_numpy()
    firsts["unit_price"] = firsts["_v"] / firsts["quantity"]
    firsts["list_price"] = firsts["_lv"] / firsts["quantity"]
    merged = pd.concat([single, firsts.drop(columns=["_v", "_lv"])], ignore_index=True)
    examples = (multi["order_id"].astype(str) + "/" + multi["sku"].astype(str)).unique()[:MAX_EXAMPLES]
    log.merge("duplicate_key_merged", n_before - len(merged), why, examples)
    return merged.sort_values(["order_ts", "order_id", "sku"] if "order_ts" in merged else ["order_id", "sku"],
                              kind="stable").reset_index(drop=True)


def assume_costs(products: pd.DataFrame, orders: pd.DataFrame, log: ImportLog,
                 default_margin: float | None) -> pd.DataFrame:
    """Fill missing ``unit_cost`` from a stated default margin, or leave it empty.

    Rule: ``unit_cost = median paid unit price of the SKU (completed lines) * (1 - default_margin)``;
    the ``cost_source`` column says ``"assumed 30% margin"`` (or ``"source"``) so reports can show it.
    With ``default_margin=None`` the cost stays empty (margin analyses then show missing cost coverage).
    """
    products = products.copy()
    missing = products["unit_cost"].isna()
    products["cost_source"] = np.where(missing, "missing", "source")
    if not missing.any():
        return products
    if default_margin is None:
        log.note("unit_cost_missing", "no cost in the source; unit_cost left empty (no default margin requested)",
                 rows=int(missing.sum()), table="products")
        return products
    sold = orders[orders["status"] == "completed"] if "status" in orders else orders
    price = sold.groupby("sku")["unit_price"].median()
    price = price.reindex(products["sku"]).to_numpy()
    fallback = orders.groupby("sku")["unit_price"].median().reindex(products["sku"]).to_numpy()
    price = np.where(np.isnan(price), fallback, price)
    cost = np.round(price * (1 - default_margin), 4)
    fill = missing.to_numpy() & ~np.isnan(cost)
    products.loc[fill, "unit_cost"] = cost[fill]
    label = f"assumed {default_margin:.0%} margin"
    products.loc[fill, "cost_source"] = label
    log.assume("default_margin_cost", int(fill.sum()),
               f"no cost in the source: unit_cost = median paid price x (1 - {default_margin:g}) "
               f"(stated default margin {default_margin:.0%}; margins in reports are this assumption, not data)",
               products.loc[fill, "sku"].head(MAX_EXAMPLES), table="products")
    return products


def read_csv_text(path: Path, **kwargs: Any) -> pd.DataFrame:
    """``pd.read_csv`` with every column as text (keeps leading zeros), pyarrow engine when possible.

    A file that is not text in the expected encoding, empty, not CSV or a broken gzip raises
    ``ImportDataError`` naming the file (never a parser traceback).
    """
    from opslib.importers.progress import rows_read

    name = Path(path).name
    try:
        try:
            df = pd.read_csv(path, dtype=str, engine="pyarrow", **kwargs)
        except (ValueError, TypeError):
            df = pd.read_csv(path, dtype=str, keep_default_na=True, **kwargs)
        rows_read(name, len(df))
        return df
    except UnicodeDecodeError as e:
        raise ImportDataError(f"{name}: not {kwargs.get('encoding', 'UTF-8')} text (byte 0x{e.object[e.start]:02x} at "
                              f"offset {e.start:,}) — is this the right file for this kind of import?") from None
    except pd.errors.EmptyDataError:
        raise ImportDataError(f"{name}: the file is empty (no header line)") from None
    except pd.errors.ParserError as e:
        raise ImportDataError(f"{name}: cannot be read as CSV ({str(e).splitlines()[0]})") from None
    except (EOFError, OSError) as e:
        raise ImportDataError(f"{name}: cannot be read ({e})") from None


def require_columns(df: pd.DataFrame, needed: Iterable[str], file: str | Path) -> None:
    """Raise ``ImportDataError`` naming the missing columns and listing the ones that exist."""
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ImportDataError(f"{Path(file).name}: missing column(s) {', '.join(missing)} — "
                           f"the file has: {', '.join(map(str, df.columns))}")


# ------------------------------------------------------------------------------------- running
