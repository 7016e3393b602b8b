"""Import your own export without code: a YAML column mapping -> the data contract.

``python -m opslib import MAPPING.yml SRC OUT`` reads the files named in the mapping from the folder ``SRC``
and writes contract Parquet files, ``import_log.json`` and (when the mapping says) ``shop.yml`` to ``OUT``.
A mapping, in short (every key in ``docs/importing.md``)::

    name: 淘宝订单导出 Taobao order export
    shop: {currency: CNY, country: CN, timezone: Asia/Shanghai}   # optional: written to OUT/shop.yml
    invalid_rows: refuse            # or drop: rows that break the contract are dropped under a logged rule
    tables:
      orders:                       # a contract table
        file: orders.csv            # relative to SRC (.csv, .csv.gz, .xlsx, .parquet)
        encoding: gb18030           # optional (default: UTF-8, then GB18030)
        join: [{file: buyers.csv, on: buyer_id}]      # optional: columns of other files by a key
        deduplicate: true           # optional: drop rows repeated in every column
        filter: "behavior = 'buy' AND quantity > 0"   # optional: keep rows where this is true (DuckDB SQL)
        returns: negative_quantity  # optional: quantity < 0 is a return (quantity made positive)
        sum_duplicate_keys: true    # optional: fold lines with the same (order_id, sku)
        fields:                     # contract field -> where it comes from
          order_id: 订单编号                                   # shorthand: a source column
          order_ts: {concat: [日期, 时间], sep: " ", format: "%Y-%m-%d %H:%M"}
          unit_price: {expr: "sales_value / quantity"}        # a DuckDB SQL expression
          customer_id: {column: 买家, fill: guest}             # fill: the value of empty cells
          channel: {value: 淘宝}                               # a constant
          status: {column: 订单状态, map: {交易成功: completed, 交易关闭: cancelled}}
      products:
        from: orders                # derived from the order lines: one row per sku
        fields:
          name: {column: 宝贝标题, pick: most_frequent}
          category: {value: 未分类 Uncategorised}
      traffic:
        file: behaviour_log.csv
        aggregate: true             # one row per key (date + category) from the file's rows
        fields:
          date: {column: ts, unit: s}
          category: category_id
          visitors: {agg: "count(DISTINCT user_id)"}
          product_views: {agg: "count(*) FILTER (WHERE behavior = 'pv')"}
          add_to_cart: {agg: "count(*) FILTER (WHERE behavior = 'cart')"}

Mistakes in the mapping (or values it cannot read) raise ``MappingError`` naming the mapping file, the table,
the field and the source column (exit 2); rows that break the data contract are refused with their lines
named (``ImportDataError``, exit 1) or, with ``invalid_rows: drop``, dropped and logged. The import never
passes a shop that breaks the contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from opslib.data.contract import TABLES
from opslib.errors import MappingError, SettingsError
from opslib.importers.common import aggregate_duplicate_keys, assume_costs, conform
from opslib.importers.conformance import LINE_COLUMN, POLICIES, enforce_contract, refuse
from opslib.importers.expressions import Evaluator, check_expression
from opslib.importers.fields import UNITS, check_format, convert_field
from opslib.importers.log import MAX_EXAMPLES, ImportLog, ImportResult
from opslib.importers.sources import SHEET_COLUMN, Source, join_sources, read_source, where_rows

DEFAULT_TIMEZONE = "Asia/Shanghai"
SOURCES = ("column", "value", "expr", "concat", "agg")
FIELD_KEYS = frozenset({*SOURCES, "sep", "type", "format", "unit", "map", "multiplier", "currency", "strip", "fill",
                        "pick"})
TABLE_KEYS = frozenset({"file", "encoding", "sheet", "join", "from", "aggregate", "filter", "deduplicate",
                        "sum_duplicate_keys", "returns", "return_status", "invalid_rows", "fields"})
TOP_KEYS = frozenset({"name", "shop", "invalid_rows", "tables"})
TYPES = ("str", "int", "float", "datetime", "date")
PICKS = ("most_frequent", "first", "last", "min", "max", "sum", "mean", "median")
RETURN_STATUSES = ("returned", "cancelled")


def _keys(where: str, got: set[str], allowed: frozenset[str]) -> None:
    bad = sorted(got - allowed)
    if bad:
        raise MappingError(f"{where}: unknown key(s) {', '.join(bad)} — expected {', '.join(sorted(allowed))}")


def _filters(value: Any, where: str) -> list[tuple[str, str]]:
    """``filter:`` as (rule name, expression) pairs: a string, a list of strings, or name: expression pairs."""
    if isinstance(value, str):
        items = [(value, value)]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [(v, v) for v in value]
    elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        items = [(str(k), v) for k, v in value.items()]
    else:
        raise MappingError(f"{where}: filter must be an expression, a list of expressions or name: expression pairs, "
                           f"e.g. filter: \"quantity > 0\" — got {value!r}")
    for name, expr in items:
        check_expression(expr, f"{where}, filter {name!r}" if name != expr else f"{where}, filter")
    return items


def _field(name: str, f: Any, table: str, where: str, derived: bool) -> dict[str, Any]:
    """Check one field spec and return it as a dict (a bare string is a column)."""
    contract = TABLES[table]
    if name not in contract.column_names:
        raise MappingError(f"{where}: unknown target field — {table} has: {', '.join(contract.column_names)}")
    f = {"column": f} if isinstance(f, str) else f
    if not isinstance(f, dict):
        raise MappingError(f"{where}: expected a source column name or {{column: ...}} / {{value: ...}} / "
                           "{expr: ...} / {concat: [...]}")
    _keys(where, set(f), FIELD_KEYS)
    given = [k for k in SOURCES if k in f]
    if len(given) != 1:
        raise MappingError(f"{where}: give exactly one of column, value, expr, concat" + (", agg" if derived else "")
                           + (f" (got {', '.join(given)})" if given else ""))
    kind = f.get("type", contract.column(name).kind)
    if kind not in TYPES:
        raise MappingError(f"{where}: type {kind!r} — expected one of {', '.join(TYPES)}")
    if "format" in f:
        if kind not in ("datetime", "date"):
            raise MappingError(f"{where}: format: is for dates and times; {name} is {kind}")
        check_format(f["format"], where)
    if "unit" in f:
        if kind not in ("datetime", "date") or f["unit"] not in UNITS:
            raise MappingError(f"{where}: unit: is for Unix time stamps in dates and times: one of "
                               f"{', '.join(UNITS)} (seconds, milliseconds, microseconds)")
        if "format" in f:
            raise MappingError(f"{where}: give unit: (Unix time) or format: (text dates), not both")
    if "expr" in f:
        check_expression(f["expr"], where)
    if "agg" in f:
        if not derived:
            raise MappingError(f"{where}: agg: is for derived tables (from: ...); use expr: for a value per row")
        check_expression(f["agg"], where, aggregate=True)
    if "pick" in f:
        if not derived:
            raise MappingError(f"{where}: pick: is for derived tables (from: ...)")
        if f["pick"] not in PICKS:
            raise MappingError(f"{where}: pick {f['pick']!r} — expected one of {', '.join(PICKS)}")
    if "concat" in f:
        parts = f["concat"]
        if not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts):
            raise MappingError(f"{where}: concat: must list source columns, e.g. concat: [日期, 时间]")
        if not isinstance(f.get("sep", ""), str):
            raise MappingError(f"{where}: sep: must be text, e.g. sep: \" \"")
    if "map" in f:
        vmap = f["map"]
        if not isinstance(vmap, dict) or not vmap:
            raise MappingError(f"{where}: value map must be 'source value: contract value' pairs, got {vmap!r}")
        allowed = contract.column(name).allowed
        if allowed:
            wrong = [str(v) for v in vmap.values() if v not in allowed]
            if wrong:
                raise MappingError(f"{where}: value map gives {', '.join(map(repr, wrong))} — expected one of "
                                   f"{', '.join(allowed)}")
    if "fill" in f and f["fill"] is None:
        raise MappingError(f"{where}: fill: needs a value (empty cells are already empty)")
    return f


def _shop(value: Any, path: Path) -> dict[str, Any]:
    from opslib.data.settings import ShopSettings

    if not isinstance(value, dict):
        raise MappingError(f"{path.name}, shop: expected keys such as currency: GBP, country: GB, "
                           f"timezone: Europe/London — got {value!r}")
    try:
        s = ShopSettings.from_mapping(value, where=f"{path.name}, shop")
    except SettingsError as e:
        raise MappingError(str(e)) from None
    return {k: (getattr(s, k) if k in ("currency", "country", "timezone", "locale", "name") else v)
            for k, v in value.items()}


def load_mapping(path: Path) -> dict[str, Any]:
    """Parse and check a mapping file: tables, fields, keys, value maps, formats, expressions, shop settings.

    Parameters:
        path: the YAML file.

    Returns:
        The mapping with every field spec as a dict; raises ``MappingError`` naming file, table and field.
    """
    path = Path(path)
    if not path.is_file():
        raise MappingError(f"{path}: mapping file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise MappingError(f"{path.name}: not valid YAML ({e})") from None
    except UnicodeDecodeError:
        raise MappingError(f"{path.name}: not UTF-8 text — save the mapping as UTF-8") from None
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict) or not data["tables"]:
        raise MappingError(f"{path.name}: expected a 'tables:' section with at least one contract table "
                           f"({', '.join(TABLES)})")
    _keys(path.name, set(data), TOP_KEYS)
    if "shop" in data:
        data["shop"] = _shop(data["shop"], path)
    for where, value in [(path.name, data.get("invalid_rows"))] + [
            (f"{path.name}, table {t}", s.get("invalid_rows")) for t, s in data["tables"].items() if isinstance(s, dict)]:
        if value is not None and value not in POLICIES:
            raise MappingError(f"{where}: invalid_rows {value!r} — expected refuse (stop and name the rows) or drop "
                               "(drop them under a logged rule)")
    for table, spec in data["tables"].items():
        where = f"{path.name}, table {table}"
        if table not in TABLES:
            raise MappingError(f"{where}: unknown table — expected one of {', '.join(TABLES)}")
        if not isinstance(spec, dict) or not isinstance(spec.get("fields"), dict):
            raise MappingError(f"{where}: expected 'file:' (or 'from:') and 'fields:'")
        _keys(where, set(spec), TABLE_KEYS)
        if ("from" in spec) == ("file" in spec):
            raise MappingError(f"{where}: give file: (a source file) or from: (derive it from another table's rows), "
                               "not both" if "from" in spec else f"{where}: expected 'file:' (or 'from:') and 'fields:'")
        if "aggregate" in spec and (spec["aggregate"] is not True or "file" not in spec or table == "orders"):
            raise MappingError(f"{where}: aggregate: true makes one {table} row per key from the rows of file: "
                               "(not for orders; from: is aggregated already)")
        derived = "from" in spec or bool(spec.get("aggregate"))
        if "from" in spec:
            parent = spec["from"]
            if table == "orders":
                raise MappingError(f"{where}: orders come from a file (file: ...), they cannot be derived")
            if parent not in data["tables"] or "file" not in (data["tables"][parent] or {}):
                raise MappingError(f"{where}: from: {parent!r} must name another table of this mapping that reads a "
                                   "file, e.g. from: orders")
            for k in ("join", "encoding", "sheet", "deduplicate", "sum_duplicate_keys", "returns"):
                if k in spec:
                    raise MappingError(f"{where}: {k}: belongs to the table that reads the file ({parent})")
            parent_fields = data["tables"][parent]["fields"]
            for key in TABLES[table].key:
                if key not in spec["fields"] and key in parent_fields:
                    spec["fields"][key] = parent_fields[key]  # e.g. products.sku mapped as orders.sku
        if "join" in spec:
            joins = spec["join"] if isinstance(spec["join"], list) else [spec["join"]]
            for j in joins:
                if isinstance(j, dict) and True in j:  # YAML 1.1 reads an unquoted key 'on' as true
                    j["on"] = j.pop(True)
                if not isinstance(j, dict) or "file" not in j or "on" not in j:
                    raise MappingError(f"{where}: join: needs file: and on: (the key column), e.g. "
                                       "join: [{file: customers.csv, on: customer_id}]")
                _keys(f"{where}, join {j.get('file')}", set(j), frozenset({"file", "on", "columns", "encoding", "sheet"}))
            spec["join"] = joins
        spec["filter"] = _filters(spec["filter"], where) if "filter" in spec else []
        if "returns" in spec:
            if table != "orders" or spec["returns"] != "negative_quantity":
                raise MappingError(f"{where}: returns: negative_quantity is the only choice, for orders")
            if spec.get("return_status", "returned") not in RETURN_STATUSES:
                raise MappingError(f"{where}: return_status {spec['return_status']!r} — expected returned or cancelled")
        for name in list(spec["fields"]):
            f = _field(name, spec["fields"][name], table, f"{where}, field {name}", derived)
            if derived and name in TABLES[table].key and ("agg" in f or "pick" in f):
                raise MappingError(f"{where}, field {name}: the key of a derived table is one value per row "
                                   "(column, expr, concat or value), not agg:/pick:")
            spec["fields"][name] = f
        contract = TABLES[table]
        missing = [c.name for c in contract.columns if not c.nullable and c.name not in spec["fields"]]
        if missing:
            raise MappingError(f"{where}: required field(s) {', '.join(missing)} not mapped — give a column or a value")
    return data


# ---------------------------------------------------------------------------------------- applying


def _source_label(f: dict[str, Any]) -> str:
    if "column" in f:
        return f"column {f['column']}"
    if "concat" in f:
        return "columns " + " + ".join(map(str, f["concat"]))
    if "expr" in f:
        return f"expr {f['expr']}"
    if "agg" in f:
        return f"agg {f['agg']}"
    return "(constant)"


class _Table:
    """One mapped table while it is built: spec, source rows, evaluator, the log and the shop's time zone."""

    def __init__(self, name: str, spec: dict[str, Any], source: Source, where: str, log: ImportLog, tz: str,
                 evaluator: Evaluator | None = None) -> None:
        self.name, self.spec, self.source, self.where, self.log, self.tz = name, spec, source, where, log, tz
        self.evaluator = Evaluator(source.frame, where, source.file.name) if evaluator is None else \
            evaluator.take(np.ones(len(source.frame), dtype=bool), source.frame)

    def lines(self, mask: pd.Series | np.ndarray) -> str:
        return self.source.lines(mask)

    def drop_rows(self, keep: pd.Series | np.ndarray, rule: str, why: str) -> None:
        """Drop the rows where ``keep`` is False, logged under ``rule`` with the first lines as examples."""
        keep = np.asarray(keep, dtype=bool)
        frame = self.source.frame
        gone = frame.loc[~keep]
        shown = [where_rows(gone, np.array([i]), self.source.label, self.source.file.name).split(" of ")[0]
                 for i in range(min(len(gone), MAX_EXAMPLES))]
        self.log.drop(rule, int((~keep).sum()), why, shown, table=self.name)
        if keep.all():
            return
        self.source.frame = frame.loc[keep].reset_index(drop=True)
        self.evaluator = self.evaluator.take(keep, self.source.frame)

    def deduplicate(self) -> None:
        frame = self.source.frame
        cols = [c for c in frame.columns if not str(c).startswith("__")]
        dup = frame.duplicated(cols, keep="first").to_numpy()
        self.drop_rows(~dup, "exact_duplicate", f"the same row (every column of {self.source.file.name} equal) more "
                       "than once: later copies dropped (deduplicate: true)")

    def filter(self, filters: list[tuple[str, str]]) -> None:
        """Apply the filters in order (one DuckDB pass); each logs the rows it dropped among those still kept."""
        if not filters:
            return
        exprs = {f"f{i}": expr for i, (_, expr) in enumerate(filters)}
        what = {f"f{i}": (f"filter {name!r}" if name != expr else "filter") for i, (name, expr) in enumerate(filters)}
        keep = self.evaluator.conditions(exprs, what).to_numpy()
        for i, (name, expr) in enumerate(filters):
            unnamed = f"filter:{self.name}" if len(filters) == 1 else f"filter:{self.name}.{i + 1}"
            rule = f"filter:{name}" if name != expr else unnamed
            self.drop_rows(keep[:, i], rule, f"kept rows where {expr} (rows where it is false or empty dropped)")
            keep = keep[keep[:, i]]

    def values(self, fields: dict[str, dict[str, Any]]) -> pd.DataFrame:
        """Every row-level field typed per the contract (column, value, expr, concat), one row per source row."""
        frame = self.source.frame
        exprs = {n: f["expr"] for n, f in fields.items() if "expr" in f}
        computed = self.evaluator.scalars(exprs, {n: f"field {n}" for n in exprs}) if exprs else None
        out: dict[str, pd.Series] = {}
        for name, f in fields.items():
            if "agg" in f:
                continue
            kind = f.get("type", TABLES[self.name].column(name).kind)
            where = f"{self.where}, field {name}"
            if "value" in f:
                s = pd.Series([f["value"]] * len(frame), index=frame.index, dtype=object)
                if f["value"] is None:
                    s = s.astype("float64") if kind in ("int", "float") else s
                    if kind in ("datetime", "date"):
                        s = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
                else:
                    s = s.astype(str)
            elif "expr" in f:
                assert computed is not None
                s = computed[name]
                where += f", expr {f['expr']}"
            elif "concat" in f:
                missing = [c for c in f["concat"] if c not in frame.columns]
                if missing:
                    raise MappingError(f"{where}: source column {missing[0]!r} is not in {self.source.file.name} — the "
                                       f"file has: {', '.join(self.source.columns)}")
                parts = [frame[c].astype(str).where(frame[c].notna()) for c in f["concat"]]
                s = parts[0]
                for p in parts[1:]:
                    s = s + str(f.get("sep", "")) + p
                where += f", columns {' + '.join(f['concat'])}"
            else:
                col = str(f["column"])
                if col not in frame.columns:
                    raise MappingError(f"{where}: source column {col!r} is not in {self.source.file.name} — the file "
                                       f"has: {', '.join(self.source.columns)}")
                s = frame[col]
                where += f", column {col}"
                if "currency" in f:
                    self.log.note(f"currency:{self.name}.{name}", f"{col} in {f['currency']}"
                                  + (f", multiplied by {f['multiplier']}" if "multiplier" in f else ""),
                                  table=self.name)
            if "value" in f and f["value"] is None:
                out[name] = s
                continue
            out[name] = convert_field(s, kind, f, where, self.log, self.name, name, self.tz, self.lines)
        result = pd.DataFrame(out, index=frame.index)
        result[LINE_COLUMN] = frame[LINE_COLUMN].to_numpy()
        if SHEET_COLUMN in frame.columns:
            result[SHEET_COLUMN] = frame[SHEET_COLUMN].to_numpy()
        return result


def _returns(frame: pd.DataFrame, spec: dict[str, Any], log: ImportLog) -> pd.DataFrame:
    """``returns: negative_quantity``: quantity < 0 is a return (quantity made positive, status set)."""
    status = spec.get("return_status", "returned")
    q = pd.to_numeric(frame["quantity"], errors="coerce")
    neg = (q < 0).to_numpy()
    frame = frame.copy()
    frame.loc[neg, "quantity"] = -q[neg]
    frame.loc[neg, "status"] = status
    log.change("negative_quantity_return", int(neg.sum()), f"negative quantity = a return: quantity made positive, "
               f"status {status} (returns: negative_quantity)", frame.loc[neg, "order_id"].head(MAX_EXAMPLES),
               table="orders")
    if neg.any() and {"order_id", "sku"} <= set(frame.columns):
        group = frame.groupby(["order_id", "sku"], sort=False, dropna=False).ngroup().to_numpy()
        has_sale = np.bincount(group[~neg], minlength=int(group.max()) + 1) > 0
        clash = neg & has_sale[group]
        if clash.any():
            frame.loc[clash, "order_id"] = frame.loc[clash, "order_id"].astype(str) + "-R"
            log.change("return_own_line", int(clash.sum()), "a return with the same order and sku as a sale: kept as "
                       "its own line, order_id + '-R' (the sale stays as it was)",
                       frame.loc[clash, "order_id"].head(MAX_EXAMPLES), table="orders")
    return frame


def _most_frequent(rows: pd.DataFrame, group: np.ndarray, col: str) -> pd.Series:
    """Per group the most frequent non-empty value (ties: the one seen first)."""
    t = pd.DataFrame({"g": group, "v": rows[col].to_numpy(), "pos": np.arange(len(rows))})
    t = t[pd.notna(t["v"])]
    if t.empty:
        return pd.Series(dtype=rows[col].dtype)
    c = t.groupby(["g", "v"], sort=False).agg(n=("pos", "size"), first=("pos", "min")).reset_index()
    c = c.sort_values(["g", "n", "first"], ascending=[True, False, True]).drop_duplicates("g")
    return pd.Series(c["v"].to_numpy(), index=c["g"].to_numpy())


def _derive(t: _Table, parent: str) -> pd.DataFrame:
    """A derived table: one row per distinct key among the parent's source rows, fields picked or aggregated."""
    fields = t.spec["fields"]
    key = list(TABLES[t.name].key)
    rows = t.values(fields)
    group = rows.groupby(key, sort=False, dropna=False).ngroup().to_numpy()
    n = int(group.max()) + 1 if len(group) else 0
    first = pd.Series(np.arange(len(rows))).groupby(group).min().reindex(range(n)).to_numpy()
    out = rows.iloc[first][key + [LINE_COLUMN] + ([SHEET_COLUMN] if SHEET_COLUMN in rows else [])]
    out = out.reset_index(drop=True)
    for name, f in fields.items():
        if name in key or "agg" in f:
            continue
        pick = f.get("pick", "most_frequent")
        if pick == "most_frequent":
            values = _most_frequent(rows, group, name).reindex(range(n))
        else:
            g = rows[name].groupby(group)
            values = (g.first() if pick == "first" else g.last() if pick == "last" else g.agg(pick)).reindex(range(n))
        out[name] = values.to_numpy()
    aggs = {name: f["agg"] for name, f in fields.items() if "agg" in f}
    if aggs:
        res = t.evaluator.aggregates(aggs, {"__group__": pd.Series(group)}, {k: f"field {k}" for k in aggs})
        res = res.set_index("__group__").reindex(range(n))
        for name in aggs:
            kind = fields[name].get("type", TABLES[t.name].column(name).kind)
            out[name] = convert_field(res[name].reset_index(drop=True), kind, fields[name],
                                      f"{t.where}, field {name}, agg {fields[name]['agg']}", t.log, t.name, name, t.tz,
                                      lambda m: "the aggregated rows").to_numpy()
    of = f"{parent} ({t.source.file.name})" if parent != t.source.file.name else parent
    t.log.note(f"derived:{t.name}", f"{n:,} {t.name} rows derived from {len(rows):,} rows of {of}, one per "
               f"{' + '.join(key)}", rows=n, table=t.name)
    return out


def adapt_mapping(mapping: Path, src: Path, default_margin: float | None = None,
                  shop_timezone: str | None = None) -> ImportResult:
    """Apply a mapping file to the export folder ``src`` (or a single file when the mapping has one table).

    Parameters:
        mapping: the YAML mapping. src: the export folder (or file).
        default_margin: fills missing product costs like the built-in adapters (default: leave them empty).
        shop_timezone: the time zone of a ``shop.yml`` the user keeps in OUT (wins over the mapping's).

    Returns:
        Contract frames that meet the data contract, the import log and the mapping's ``shop:`` settings.
    """
    mapping, src = Path(mapping), Path(src)
    spec = load_mapping(mapping)
    shop = spec.get("shop", {})
    tz = shop_timezone or shop.get("timezone") or DEFAULT_TIMEZONE
    log = ImportLog(kind=f"mapping {mapping.name}", source=src.name,
                    parameters={"mapping": mapping.name, "default_margin": default_margin, "timezone": tz})
    if spec.get("name"):
        log.note("mapping", f"{spec['name']} ({mapping.name})")
    if shop_timezone and shop.get("timezone") and shop_timezone != shop["timezone"]:
        log.note("time_zone", f"the shop.yml in OUT says timezone {shop_timezone}, the mapping {shop['timezone']}: "
                 f"time stamps with an offset are converted to {shop_timezone}, the zone the reports use")
    tables: dict[str, pd.DataFrame] = {}
    built: dict[str, _Table] = {}
    folder = src if src.is_dir() else src.parent
    order = [t for t, s in spec["tables"].items() if "file" in s] + [t for t, s in spec["tables"].items() if "from" in s]
    # SRC may be the file itself: it stands for the table that names it (else the first table that reads a
    # file); the other files are read from its folder.
    named = [t for t in order if Path(str(spec["tables"][t].get("file", ""))).name == src.name]
    is_src = (named or order)[0] if not src.is_dir() else None
    for table in order:
        tspec = spec["tables"][table]
        where = f"{mapping.name}, table {table}"
        if "file" in tspec:
            file = src if table == is_src else folder / tspec["file"]
            source = read_source(file, where, tspec.get("encoding"), tspec.get("sheet"), table)
            if tspec.get("join"):
                source = join_sources(source, tspec["join"], folder, where, log, table)
            if table == "orders":
                log.input_rows = len(source.frame)
            t = _Table(table, tspec, source, where, log, tz)
            if tspec.get("deduplicate"):
                t.deduplicate()
            t.filter(tspec["filter"])
            built[table] = t
            frame = _derive(t, source.file.name) if tspec.get("aggregate") else t.values(tspec["fields"])
        else:
            parent = built[tspec["from"]]
            t = _Table(table, tspec, Source(parent.source.file, parent.source.frame, parent.source.label),
                       where, log, tz, evaluator=parent.evaluator)
            t.filter(tspec["filter"])
            built[table] = t
            frame = _derive(t, tspec["from"])
        if table == "orders" and tspec.get("returns"):
            frame = _returns(frame, tspec, log)
        tables[table] = frame
    policy = {t: s.get("invalid_rows") or spec.get("invalid_rows") or "refuse" for t, s in spec["tables"].items()}

    def describe(table: str, column: str) -> str:
        names = [c.strip() for c in column.split("+")]
        fields = spec["tables"][table]["fields"]
        if len(names) > 1:
            return f"{mapping.name}, table {table}, fields {' + '.join(names)}"
        f = fields.get(names[0], {})
        return f"{mapping.name}, table {table}, field {names[0]}" + (f", {_source_label(f)}" if f else "")

    def locate(table: str, frame: pd.DataFrame, pos: np.ndarray) -> str:
        s = built[table].source
        return where_rows(frame, pos, s.label, s.file.name)

    # Values first (before duplicate keys are summed, so every bad line is named), then keys and references.
    refused: list[str] = []
    tables = enforce_contract(tables, log, policy, locate, describe, source=mapping.name, checks=("columns",),
                              collect=refused)
    if "orders" in tables:
        o = tables["orders"]
        if spec["tables"]["orders"].get("sum_duplicate_keys"):
            o = aggregate_duplicate_keys(o, log, "same (order_id, sku) on several rows: quantities summed")
        else:
            log.merge("duplicate_key_merged", 0, "not requested (sum_duplicate_keys: false)")
        tables["orders"] = o
    tables = enforce_contract(tables, log, policy, locate, describe, source=mapping.name,
                              checks=("keys", "references"), collect=refused)
    refuse(refused, mapping.name)
    out = {}
    for table, frame in tables.items():
        try:
            out[table] = conform(table, frame)
        except (ValueError, TypeError) as e:
            raise MappingError(f"{mapping.name}, table {table}: cannot convert to the contract types ({e})") from None
    if "products" in out and "orders" in out and out["products"]["unit_cost"].isna().any():
        out["products"] = conform("products", assume_costs(out["products"], out["orders"], log, default_margin),
                                  ["cost_source"])
    log.output_rows = {n: len(f) for n, f in out.items()}
    return ImportResult(tables=out, log=log, settings=dict(shop))
