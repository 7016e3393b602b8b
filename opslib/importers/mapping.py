"""Import your own export without code: a YAML column mapping -> the data contract.

``python -m opslib import MAPPING.yml SRC OUT`` reads the files named in the mapping from the folder
``SRC`` and writes contract Parquet files + ``import_log.json`` to ``OUT``. Layout of a mapping::

    name: 淘宝订单导出 Taobao order export
    tables:
      orders:                       # a contract table
        file: orders.csv            # relative to SRC (.csv, .csv.gz or .xlsx)
        encoding: gb18030           # optional (default: utf-8-sig, then gb18030)
        sum_duplicate_keys: true    # optional: fold lines with the same (order_id, sku)
        fields:                     # contract field -> where it comes from
          order_id: 订单编号                        # shorthand: a source column
          order_ts: {column: 订单创建时间, format: "%Y-%m-%d %H:%M:%S"}
          channel: {value: 淘宝}                     # a constant
          unit_price: {column: 商品价格, multiplier: 1}  # e.g. 0.01 for prices in fen
          status: {column: 订单状态, map: {交易成功: completed, 交易关闭: cancelled, 退款成功: returned}}

Per field: ``column`` or ``value``; ``type`` (default: the contract's kind), ``format`` (strftime
pattern for dates), ``map`` (source value -> contract value; every value found must be covered),
``multiplier`` (numbers), ``currency`` (documentation only, written to the log), ``strip`` (characters
to remove at both ends, e.g. ``'="'`` for the ``="2401180001"`` exports write to keep digits as text).
Contract fields that may be empty can be left out; others must be mapped.

Mistakes give one clear message naming the mapping file, the table, the field and the source column,
and ``python -m opslib import`` exits with status 2 (no traceback), e.g.::

    taobao_orders.yml, table orders, field sku: source column '商品编号' is not in orders.csv — the file has: 订单编号, ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from opslib.data.contract import TABLES
from opslib.errors import MappingError
from opslib.importers.common import aggregate_duplicate_keys, conform
from opslib.importers.log import ImportLog, ImportResult

FIELD_KEYS = frozenset({"column", "value", "type", "format", "map", "multiplier", "currency", "strip"})
TABLE_KEYS = frozenset({"file", "encoding", "sheet", "fields", "sum_duplicate_keys"})
TYPES = ("str", "int", "float", "datetime", "date")



def load_mapping(path: Path) -> dict[str, Any]:
    """Parse and structurally check a mapping file (unknown tables/fields/keys, bad value maps)."""
    path = Path(path)
    if not path.is_file():
        raise MappingError(f"{path}: mapping file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise MappingError(f"{path.name}: not valid YAML ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict) or not data["tables"]:
        raise MappingError(f"{path.name}: expected a 'tables:' section with at least one contract table "
                           f"({', '.join(TABLES)})")
    for table, spec in data["tables"].items():
        where = f"{path.name}, table {table}"
        if table not in TABLES:
            raise MappingError(f"{where}: unknown table — expected one of {', '.join(TABLES)}")
        if not isinstance(spec, dict) or "file" not in spec or not isinstance(spec.get("fields"), dict):
            raise MappingError(f"{where}: expected 'file:' and 'fields:'")
        unknown_keys = set(spec) - TABLE_KEYS
        if unknown_keys:
            raise MappingError(f"{where}: unknown key(s) {', '.join(sorted(unknown_keys))} — expected {', '.join(sorted(TABLE_KEYS))}")
        contract = TABLES[table]
        for name, f in spec["fields"].items():
            fwhere = f"{where}, field {name}"
            if name not in contract.column_names:
                raise MappingError(f"{fwhere}: unknown target field — {table} has: {', '.join(contract.column_names)}")
            f = {"column": f} if isinstance(f, str) else f
            if not isinstance(f, dict) or not ({"column", "value"} & set(f)):
                raise MappingError(f"{fwhere}: expected a source column name or {{column: ...}} / {{value: ...}}")
            bad = set(f) - FIELD_KEYS
            if bad:
                raise MappingError(f"{fwhere}: unknown key(s) {', '.join(sorted(bad))} — expected {', '.join(sorted(FIELD_KEYS))}")
            if "type" in f and f["type"] not in TYPES:
                raise MappingError(f"{fwhere}: type {f['type']!r} — expected one of {', '.join(TYPES)}")
            if "map" in f:
                vmap = f["map"]
                if not isinstance(vmap, dict) or not vmap:
                    raise MappingError(f"{fwhere}: value map must be 'source value: contract value' pairs, got {vmap!r}")
                allowed = contract.column(name).allowed
                if allowed:
                    wrong = [str(v) for v in vmap.values() if v not in allowed]
                    if wrong:
                        raise MappingError(f"{fwhere}: value map gives {', '.join(map(repr, wrong))} — expected one of "
                                           f"{', '.join(allowed)}")
            spec["fields"][name] = f
        missing = [c.name for c in contract.columns if not c.nullable and c.name not in spec["fields"]]
        if missing:
            raise MappingError(f"{where}: required field(s) {', '.join(missing)} not mapped — give a column or a value")
    return data


def _read_source(file: Path, encoding: str | None, sheet: Any, where: str) -> pd.DataFrame:
    if not file.is_file():
        raise MappingError(f"{where}: file {file} not found")
    if file.suffix.lower() in (".xlsx", ".xls"):
        return pd.read_excel(file, sheet_name=sheet or 0, dtype=str)
    encodings = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for enc in encodings:
        try:
            df = pd.read_csv(file, dtype=str, encoding=enc, keep_default_na=False, na_values=[""])
            df.columns = [str(c).strip() for c in df.columns]
            return df
        except UnicodeDecodeError:
            continue
        except LookupError:
            raise MappingError(f"{where}: unknown encoding {enc!r}") from None
    raise MappingError(f"{where}: {file.name} is not {' or '.join(encodings)} text — set 'encoding:'")


def _convert(s: pd.Series, kind: str, f: dict[str, Any], where: str, log: ImportLog, table: str) -> pd.Series:
    """One source column -> typed values; unparseable values raise MappingError with examples and lines."""
    if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
        s = s.astype("string").str.strip()
        if "strip" in f:
            s = s.str.strip(str(f["strip"]))
    if "map" in f:
        vmap = {str(k): v for k, v in f["map"].items()}
        uncovered = s.notna() & ~s.isin(list(vmap))
        if uncovered.any():
            vals = s[uncovered].value_counts()
            shown = ", ".join(f"{v!r} ({n} rows)" for v, n in vals.head(5).items())
            raise MappingError(f"{where}: value(s) {shown} not covered by the value map — add them to 'map:' "
                               f"(it covers {', '.join(map(repr, vmap))})")
        counts = s.value_counts()
        log.change(f"value_map:{table}.{f.get('column')}", int(s.notna().sum()),
                   "value map: " + ", ".join(f"{k} -> {v} ({counts.get(k, 0):,})" for k, v in vmap.items()),
                   table=table)
        s = s.map(vmap)
    if kind in ("int", "float"):
        num = pd.to_numeric(s.str.replace(",", "", regex=False) if s.dtype != float else s, errors="coerce")
        bad = s.notna() & num.isna()
        if bad.any():
            raise MappingError(f"{where}: not a number on lines {_lines(bad)}: {_vals(s[bad])}")
        if "multiplier" in f:
            num = num * float(f["multiplier"])
        return num
    if kind in ("datetime", "date"):
        fmt = f.get("format")
        ts = pd.to_datetime(s, format=fmt, errors="coerce") if fmt else pd.to_datetime(s, errors="coerce",
                                                                                        format="mixed")
        bad = s.notna() & ts.isna()
        if bad.any():
            raise MappingError(f"{where}: not a date{' in format ' + repr(fmt) if fmt else ''} on lines "
                               f"{_lines(bad)}: {_vals(s[bad])}")
        return ts.dt.normalize() if kind == "date" else ts
    return s


def _lines(mask: pd.Series) -> str:
    idx = np.flatnonzero(mask.to_numpy())
    return ", ".join(str(i + 2) for i in idx[:5]) + (f" and {len(idx) - 5} more" if len(idx) > 5 else "")


def _vals(s: pd.Series) -> str:
    return ", ".join(repr(v) for v in s.head(5))


def adapt_mapping(mapping: Path, src: Path, default_margin: float | None = None) -> ImportResult:
    """Apply a mapping file to the export folder ``src`` (or a single file when the mapping has one table).

    ``default_margin`` fills missing product costs like the built-in adapters (default: leave empty).
    """
    from opslib.importers.common import assume_costs

    mapping, src = Path(mapping), Path(src)
    spec = load_mapping(mapping)
    log = ImportLog(kind=f"mapping {mapping.name}", source=src.name,
                    parameters={"mapping": mapping.name, "default_margin": default_margin})
    if spec.get("name"):
        log.note("mapping", f"{spec['name']} ({mapping.name})")
    tables: dict[str, pd.DataFrame] = {}
    for table, tspec in spec["tables"].items():
        file = src / tspec["file"] if src.is_dir() else src
        where_t = f"{mapping.name}, table {table}"
        raw = _read_source(file, tspec.get("encoding"), tspec.get("sheet"), where_t)
        if table == "orders":
            log.input_rows = len(raw)
        out: dict[str, Any] = {}
        for name, f in tspec["fields"].items():
            col = TABLES[table].column(name)
            kind = f.get("type", col.kind)
            where = f"{where_t}, field {name}"
            if "value" in f:
                out[name] = pd.Series([f["value"]] * len(raw), index=raw.index, dtype=object)
                if f["value"] is not None and kind != "str":
                    out[name] = _convert(out[name].astype(str), kind, f, where, log, table)
                continue
            source = str(f["column"])
            if source not in raw.columns:
                raise MappingError(f"{where}: source column {source!r} is not in {file.name} — the file has: "
                                   f"{', '.join(map(str, raw.columns))}")
            out[name] = _convert(raw[source], kind, f, f"{where}, column {source}", log, table)
            if "currency" in f:
                log.note(f"currency:{table}.{name}", f"{source} in {f['currency']}"
                         + (f", multiplied by {f['multiplier']}" if "multiplier" in f else ""), table=table)
        frame = pd.DataFrame(out, index=raw.index)
        for c in TABLES[table].columns:
            if c.name in frame and not c.nullable and frame[c.name].isna().any():
                bad = frame[c.name].isna()
                src_col = tspec["fields"][c.name].get("column", "(constant)")
                raise MappingError(f"{where_t}, field {c.name}, column {src_col}: empty on lines {_lines(bad)} "
                                   "— this contract field may not be empty")
        if table == "orders" and tspec.get("sum_duplicate_keys"):
            frame = aggregate_duplicate_keys(frame, log, "same (order_id, sku) on several rows: quantities summed")
        elif table == "orders":
            log.merge("duplicate_key_merged", 0, "not requested (sum_duplicate_keys: false)")
        try:
            tables[table] = conform(table, frame)
        except (ValueError, TypeError) as e:
            raise MappingError(f"{where_t}: cannot convert to the contract types ({e})") from None
    if "products" in tables and "orders" in tables and tables["products"]["unit_cost"].isna().any():
        tables["products"] = conform("products", assume_costs(tables["products"], tables["orders"], log,
                                                              default_margin), ["cost_source"])
    return ImportResult(tables=tables, log=log)
