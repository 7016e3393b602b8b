"""Import real exports into the data contract: ``python -m opslib import KIND SRC OUT``.

Each adapter turns one real layout into contract frames (``opslib.contract.TABLES``) and an
``ImportLog`` that records every row it dropped, changed, merged or assumed, with the rule, the
number of rows and a few example values. Nothing is cleaned silently: the log is printed and
written next to the data as ``OUT/import_log.json``; ``notebooks/04_data_quality.ipynb`` shows it.

Kinds (adapter modules):

* ``online_retail`` — UCI Online Retail I or II (CSV, CSV.gz or the two-sheet II workbook):
  ``opslib.import_online_retail.adapt_online_retail``;
* ``olist`` — Olist Brazilian e-commerce (folder with the Kaggle files):
  ``opslib.import_olist.adapt_olist``;
* ``superstore`` — Tableau "Sample - Superstore": ``opslib.import_superstore.adapt_superstore``;
* ``cdnow`` — CDNOW purchases (Fader & Hardie): ``opslib.import_cdnow.adapt_cdnow``;
* ``MAPPING.yml`` — your own export (Taobao/Tmall, JD, Shopify ...) described by a column mapping:
  ``opslib.column_mapping.adapt_mapping``.

The input balance every adapter keeps: ``input rows = sum(rows dropped) + rows merged away +
output order lines`` (``ImportLog.balance()``), so the counts of what was dropped add up.

Example:
    >>> log = ImportLog(kind="demo", source="x.csv", input_rows=3)
    >>> log.drop("zero_price", 1, "price <= 0 is a placeholder, not a sale", ["POST"])
    >>> log.entries[0].rows, log.dropped_rows
    (1, 1)
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opslib.contract import TABLES

__all__ = [
    "DEFAULT_MARGIN",
    "UNCATEGORISED",
    "ImportError_",
    "ImportLog",
    "ImportResult",
    "LogEntry",
    "adapter_for",
    "conform",
    "main",
    "run_import",
    "write_result",
]

DEFAULT_MARGIN = 0.30
UNCATEGORISED = "未分类 Uncategorised"
UNKNOWN = "(unknown)"
LOG_NAME = "import_log.json"
MAX_EXAMPLES = 5

# ImportLog actions: what a rule did to the rows it names.
ACTIONS = ("dropped", "changed", "merged", "assumed", "note")


class ImportError_(Exception):  # noqa: N801 - ImportError is a builtin
    """An export cannot be imported (missing file or column, bad mapping); str() is the message."""


@dataclass
class LogEntry:
    """One rule applied during an import.

    ``action`` is dropped (rows removed), changed (values rewritten), merged (rows folded into
    others; ``rows`` counts the rows that disappeared), assumed (a value the source does not have)
    or note (a fact about the data, no rows touched).
    """

    rule: str
    action: str
    rows: int
    why: str
    table: str = "orders"
    examples: list[str] = field(default_factory=list)


@dataclass
class ImportLog:
    """Everything an import did, in order; ``to_frame()`` for display, ``to_json()`` for the file."""

    kind: str
    source: str
    input_rows: int = 0
    entries: list[LogEntry] = field(default_factory=list)
    output_rows: dict[str, int] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, rule: str, action: str, rows: int, why: str, examples: Iterable[object] = (),
            table: str = "orders") -> None:
        """Record a rule (kept even when it touched no rows, so the log lists every rule applied)."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
        shown: list[str] = []
        for v in examples:
            s = "(empty)" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            if s not in shown:
                shown.append(s)
            if len(shown) >= MAX_EXAMPLES:
                break
        self.entries.append(LogEntry(rule, action, int(rows), why, table, shown))

    def drop(self, rule: str, rows: int, why: str, examples: Iterable[object] = (), table: str = "orders") -> None:
        self.add(rule, "dropped", rows, why, examples, table)

    def change(self, rule: str, rows: int, why: str, examples: Iterable[object] = (), table: str = "orders") -> None:
        self.add(rule, "changed", rows, why, examples, table)

    def merge(self, rule: str, rows: int, why: str, examples: Iterable[object] = (), table: str = "orders") -> None:
        self.add(rule, "merged", rows, why, examples, table)

    def assume(self, rule: str, rows: int, why: str, examples: Iterable[object] = (), table: str = "orders") -> None:
        self.add(rule, "assumed", rows, why, examples, table)

    def note(self, rule: str, why: str, rows: int = 0, table: str = "orders") -> None:
        self.add(rule, "note", rows, why, (), table)

    def _sum(self, action: str, table: str = "orders") -> int:
        return sum(e.rows for e in self.entries if e.action == action and e.table == table)

    @property
    def dropped_rows(self) -> int:
        """Input order rows removed by drop rules."""
        return self._sum("dropped")

    @property
    def merged_rows(self) -> int:
        """Input order rows folded into other rows (duplicate keys summed)."""
        return self._sum("merged")

    def balance(self) -> dict[str, int]:
        """``input = dropped + merged + output`` for the order lines; ``ok`` is 1 when it holds."""
        out = self.output_rows.get("orders", 0)
        return {"input": self.input_rows, "dropped": self.dropped_rows, "merged": self.merged_rows,
                "output": out, "ok": int(self.input_rows == self.dropped_rows + self.merged_rows + out)}

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: table, action, rule, rows, share of input, why, examples."""
        rows = [asdict(e) for e in self.entries]
        df = pd.DataFrame(rows, columns=["rule", "action", "rows", "why", "table", "examples"])
        df["share_of_input"] = (df["rows"] / self.input_rows).where(df["table"] == "orders") if self.input_rows else np.nan
        df["examples"] = df["examples"].map(lambda xs: ", ".join(xs))
        return df[["table", "action", "rule", "rows", "share_of_input", "why", "examples"]]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "source": self.source, "input_rows": self.input_rows,
            "output_rows": self.output_rows, "balance": self.balance(), "parameters": self.parameters,
            "seconds": round(self.seconds, 2), "written": dt.datetime.now().isoformat(timespec="seconds"),
            "entries": [asdict(e) for e in self.entries],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportLog:
        log = cls(kind=data.get("kind", ""), source=data.get("source", ""), input_rows=data.get("input_rows", 0),
                  output_rows=dict(data.get("output_rows", {})), parameters=dict(data.get("parameters", {})),
                  seconds=float(data.get("seconds", 0.0)))
        log.entries = [LogEntry(**e) for e in data.get("entries", [])]
        return log

    def format(self) -> str:
        """The printed log: header, balance, one line per rule."""
        b = self.balance()
        lines = [f"Import {self.kind} from {self.source}",
                 f"  input rows {b['input']:,} = dropped {b['dropped']:,} + merged {b['merged']:,} + "
                 f"order lines {b['output']:,}" + ("" if b["ok"] else "  (DOES NOT ADD UP)"),
                 "  output: " + ", ".join(f"{t} {n:,}" for t, n in self.output_rows.items())]
        for e in self.entries:
            ex = f" e.g. {', '.join(e.examples)}" if e.examples else ""
            count = f"{e.rows:,} rows" if e.action != "note" or e.rows else ""
            lines.append(f"  [{e.table} {e.action}] {e.rule}: {count}{' — ' if count else ''}{e.why}{ex}")
        return "\n".join(lines)


@dataclass
class ImportResult:
    """Contract frames (table name -> frame, contract columns in order) and the log of the import."""

    tables: dict[str, pd.DataFrame]
    log: ImportLog


# ------------------------------------------------------------------------------- shared helpers


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
    """``pd.read_csv`` with every column as text (keeps leading zeros), pyarrow engine when possible."""
    try:
        return pd.read_csv(path, dtype=str, engine="pyarrow", **kwargs)
    except (ValueError, TypeError):
        return pd.read_csv(path, dtype=str, keep_default_na=True, **kwargs)


def require_columns(df: pd.DataFrame, needed: Iterable[str], file: str | Path) -> None:
    """Raise ``ImportError_`` naming the missing columns and listing the ones that exist."""
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ImportError_(f"{Path(file).name}: missing column(s) {', '.join(missing)} — "
                           f"the file has: {', '.join(map(str, df.columns))}")


# ------------------------------------------------------------------------------------- running


def adapter_for(kind: str) -> Callable[..., ImportResult]:
    """The adapter function for a kind (``online_retail``, ``olist``, ``superstore``, ``cdnow``)."""
    if kind in ("online_retail", "online-retail", "uci"):
        from opslib.import_online_retail import adapt_online_retail

        return adapt_online_retail
    if kind == "olist":
        from opslib.import_olist import adapt_olist

        return adapt_olist
    if kind == "superstore":
        from opslib.import_superstore import adapt_superstore

        return adapt_superstore
    if kind == "cdnow":
        from opslib.import_cdnow import adapt_cdnow

        return adapt_cdnow
    raise ImportError_(f"unknown import kind {kind!r} — expected online_retail, olist, superstore, cdnow "
                       "or a mapping file ending in .yml/.yaml")


def write_result(result: ImportResult, out: Path) -> list[Path]:
    """Write ``OUT/<table>.parquet`` per table (replacing older ones) and ``OUT/import_log.json``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        for old in out.glob(f"{name}.*"):
            if old.name in (f"{name}.csv", f"{name}.csv.gz", f"{name}.parquet", f"{name}.xlsx"):
                old.unlink()
    for name, frame in result.tables.items():
        path = out / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        written.append(path)
    result.log.output_rows = {n: len(f) for n, f in result.tables.items()}
    log_path = out / LOG_NAME
    log_path.write_text(json.dumps(result.log.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    written.append(log_path)
    return written


def run_import(kind: str, src: str | Path, out: str | Path | None = None, **options: Any) -> ImportResult:
    """Import ``src`` with adapter ``kind`` (or a mapping file path) and write it to ``out`` if given."""
    start = time.perf_counter()
    src = Path(src)
    if str(kind).lower().endswith((".yml", ".yaml")):
        from opslib.column_mapping import adapt_mapping

        result = adapt_mapping(Path(kind), src, **options)
    else:
        result = adapter_for(kind)(src, **options)
    result.log.output_rows = {n: len(f) for n, f in result.tables.items()}
    result.log.seconds = time.perf_counter() - start
    if out is not None:
        write_result(result, Path(out))
    return result


USAGE = """usage: python -m opslib import KIND SRC OUT [--default-margin M|none]
  KIND  online_retail | olist | superstore | cdnow | MAPPING.yml (your own export, see docs/importing.md)
  SRC   the export: a file (online_retail, superstore, cdnow) or a folder (olist, mappings)
  OUT   folder to write the contract Parquet files and import_log.json into
  --default-margin M   margin assumed where the source has no cost (default 0.30; 'none' leaves it empty)"""


def main(argv: list[str]) -> int:
    """``python -m opslib import KIND SRC OUT``: exit 0 done, 2 usage or import error (no traceback)."""
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    args, options = [], {}
    it = iter(argv)
    for a in it:
        if a == "--default-margin":
            value = next(it, None)
            try:
                options["default_margin"] = None if value in ("none", "None") else float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                print(f"opslib import: --default-margin needs a number like 0.3 or 'none', got {value!r}", file=sys.stderr)
                return 2
        else:
            args.append(a)
    if len(args) != 3:
        print(USAGE, file=sys.stderr)
        return 2
    kind, src, out = args
    if not Path(src).exists():
        print(f"opslib import: {src} does not exist", file=sys.stderr)
        return 2
    try:
        result = run_import(kind, src, out, **options)
    except ImportError_ as e:
        print(f"opslib import: {e}", file=sys.stderr)
        return 2
    print(result.log.format())
    print(f"wrote {len(result.tables)} tables and {LOG_NAME} to {out}; next: python -m opslib validate {out}")
    return 0
