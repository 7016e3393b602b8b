"""Computed fields and row filters of a mapping: DuckDB SQL expressions over the source columns, never Python.

An expression is one SQL scalar expression, as in a ``SELECT`` list: ``sales_value / quantity``,
``upper(StockCode)``, ``behavior = 'buy' AND quantity > 0``, ``CASE WHEN InvoiceNo LIKE 'C%' THEN 'cancelled'
ELSE 'completed' END``, ``"Customer ID"`` (double quotes around names with spaces). It is parsed by DuckDB
(``json_serialize_sql``) and refused unless it is exactly one expression built from columns, constants,
operators, ``CASE``, casts and DuckDB's *scalar* functions: no statements, no ``FROM``/subqueries, no table
functions (so nothing can read a file), no window functions, no ``?`` parameters; aggregate functions
(``sum``, ``mode``, ``first`` ...) only where a mapping aggregates (``agg:`` of a derived table). It is
evaluated in an in-memory DuckDB connection with external access disabled and the configuration locked.

Source columns are typed for expressions: a column whose every non-empty cell is a plain number (``12``,
``-3.5``, ``1e3``; no thousands separators, no leading zeros such as ``007``) is a number (BIGINT when all
are whole, else DOUBLE); every other column is text (VARCHAR), so ``quantity > 0`` compares numbers and an
id like ``00123`` keeps its zeros. Compare text with quoted strings (``behavior = 'buy'``) or convert it
(``TRY_CAST(x AS DOUBLE)``). Division by zero gives an empty value (``1.0/0`` is infinite): the contract
check then names the rows.

Example:
    >>> import pandas as pd
    >>> src = pd.DataFrame({"sales": ["10", "9"], "qty": ["2", "3"], "kind": ["buy", "pv"]})
    >>> ev = Evaluator(src, "demo.yml, table orders", "export.csv")
    >>> ev.scalars({"unit_price": "sales / qty"})["unit_price"].tolist()
    [5.0, 3.0]
    >>> ev.condition("kind = 'buy'", "filter").tolist()
    [True, False]
    >>> check_expression("1; DROP TABLE x", "demo.yml, field sku")
    Traceback (most recent call last):
    ...
    opslib.errors.MappingError: demo.yml, field sku: expression '1; DROP TABLE x' is not one SQL expression (Only SELECT statements can be serialized to json!) — write a single expression such as upper(code) or price / quantity
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from opslib.errors import MappingError

ROW = "__row__"
# AST node classes an expression may contain (DuckDB's json_serialize_sql names).
ALLOWED_CLASSES = frozenset({"CONSTANT", "COLUMN_REF", "FUNCTION", "OPERATOR", "COMPARISON", "CONJUNCTION", "CASE",
                             "CAST", "BETWEEN", "COLLATE", "LAMBDA", "TYPE"})
HINT = "write a single expression such as upper(code) or price / quantity"


def _connect() -> duckdb.DuckDBPyConnection:
    """An in-memory connection that cannot touch files (external access off, configuration locked)."""
    con = duckdb.connect(config={"enable_external_access": False, "error_on_division_by_zero": False})
    con.execute("SET lock_configuration = true")
    return con


@functools.lru_cache(maxsize=1)
def _parser() -> duckdb.DuckDBPyConnection:
    """One shared connection for parsing (it never sees data)."""
    return _connect()


@functools.lru_cache(maxsize=1)
def _function_kinds() -> dict[str, set[str]]:
    """Function name -> its DuckDB kinds (scalar, macro, aggregate, table, window, pragma ...)."""
    kinds: dict[str, set[str]] = {}
    rows = _parser().cursor().execute("SELECT DISTINCT function_name, function_type FROM duckdb_functions()").fetchall()
    for name, kind in rows:
        kinds.setdefault(str(name).lower(), set()).add(str(kind))
    return kinds


@dataclass(frozen=True)
class Parsed:
    """A checked expression: its text and the column names it refers to (last part of each reference)."""

    text: str
    columns: tuple[str, ...]
    aggregate: bool


def _walk(node: Any) -> Iterable[dict[str, Any]]:
    if isinstance(node, dict):
        if "class" in node:
            yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def check_expression(text: Any, where: str, aggregate: bool = False) -> Parsed:
    """Parse ``text`` with DuckDB and refuse anything but one scalar (or, with ``aggregate``, aggregate) expression.

    Parameters:
        text: the expression from the mapping. where: mapping file, table and field, for messages.
        aggregate: allow aggregate functions (``agg:`` of a derived table).

    Returns:
        :class:`Parsed` with the referenced column names.
    """
    if not isinstance(text, str) or not text.strip():
        raise MappingError(f"{where}: expression must be text, e.g. \"price / quantity\", got {text!r}")
    raw = _parser().cursor().execute("SELECT json_serialize_sql(?)", ["SELECT " + text]).fetchone()
    tree = json.loads(raw[0]) if raw else {"error": True, "error_message": "no result"}
    if tree.get("error") or len(tree.get("statements", [])) != 1:
        detail = str(tree.get("error_message", "not one statement")).splitlines()[0]
        raise MappingError(f"{where}: expression {text!r} is not one SQL expression ({detail}) — {HINT}")
    node = tree["statements"][0]["node"]
    clauses = [node.get("type") != "SELECT_NODE", len(node.get("select_list", [])) != 1,
               (node.get("from_table") or {}).get("type") != "EMPTY", node.get("where_clause") is not None,
               bool(node.get("group_expressions")), node.get("having") is not None, node.get("qualify") is not None,
               bool(node.get("modifiers")), bool((node.get("cte_map") or {}).get("map"))]
    if any(clauses):
        raise MappingError(f"{where}: expression {text!r} is more than one expression (a FROM, WHERE, GROUP BY, "
                           f"ORDER BY, a list of several values or a set operation) — {HINT}")
    kinds = _function_kinds()
    columns: list[str] = []
    uses_aggregate = False
    for n in _walk(node["select_list"][0]):
        cls = n["class"]
        if cls not in ALLOWED_CLASSES:
            what = {"SUBQUERY": "a subquery", "WINDOW": "a window function", "STAR": "*",
                    "PARAMETER": "a ? parameter"}.get(cls, cls.lower())
            raise MappingError(f"{where}: expression {text!r} uses {what}, which a mapping does not allow — {HINT}")
        if cls == "COLUMN_REF":
            columns.append(str(n["column_names"][-1]))
        if cls == "FUNCTION":
            name = str(n.get("function_name", "")).lower()
            if n.get("schema") or n.get("catalog"):
                raise MappingError(f"{where}: expression {text!r} calls {n.get('schema')}.{name}: only DuckDB's "
                                   "built-in functions are allowed")
            found = kinds.get(name, set())
            if "aggregate" in found and "scalar" not in found:
                if not aggregate:
                    raise MappingError(f"{where}: expression {text!r} uses the aggregate function {name}(); "
                                       "aggregates are allowed only in agg: of a derived table (from: ...)")
                uses_aggregate = True
            elif not found & {"scalar", "macro"} and not (aggregate and "aggregate" in found):
                kind = "/".join(sorted(found)) or "unknown"
                raise MappingError(f"{where}: expression {text!r} calls {name}(), which is not a scalar function "
                                   f"({kind}); a mapping may use DuckDB's scalar functions only")
    return Parsed(text=text, columns=tuple(dict.fromkeys(columns)), aggregate=uses_aggregate)


def typed_column(text: pd.Series) -> pd.Series:
    """A text column as expressions see it: Int64 or float64 when every non-empty cell is a plain number.

    Rule: whole numbers without leading zeros -> Int64; other plain numbers (``2.5``, ``-1e3``) -> float64;
    anything else (``007``, ``1,234``, ``N/A``, ``inf``) keeps the column text.

    >>> typed_column(pd.Series(["3", "12", None])).dtype, typed_column(pd.Series(["007", "12"])).dtype
    (Int64Dtype(), <StringDtype(na_value=nan)>)
    >>> typed_column(pd.Series(["2.5", "-1e3"])).tolist(), typed_column(pd.Series(["1,234"])).tolist()
    ([2.5, -1000.0], ['1,234'])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    s = text.astype(pd.StringDtype(na_value=np.nan))
    arr = pa.array(s.to_numpy(dtype=object, na_value=None), type=pa.string())
    if arr.null_count == len(arr):
        return s
    number = pc.match_substring_regex(arr, r"^[+-]?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$")
    if not pc.all(pc.fill_null(number, True)).as_py():
        return s
    whole = pc.match_substring_regex(arr, r"^[+-]?(?:0|[1-9]\d{0,17})$")
    if pc.all(pc.fill_null(whole, True)).as_py():
        return pd.Series(pc.cast(arr, pa.int64()).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get),
                         index=s.index)
    return pd.Series(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), index=s.index)


def _check_query(con: duckdb.DuckDBPyConnection, sql: str, n_items: int) -> None:
    """The assembled query must still be one SELECT of ``n_items`` values from ``src`` (belt and braces)."""
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    node = (tree.get("statements") or [{}])[0].get("node", {}) if not tree.get("error") else {}
    table = node.get("from_table") or {}
    if len(node.get("select_list", [])) != n_items or table.get("type") != "BASE_TABLE" or \
            table.get("table_name") != "src":
        raise MappingError("the mapping's expressions do not form one query over the source — check them for "
                           "unbalanced quotes, brackets or comments")


def _first_line(e: Exception) -> str:
    return str(e).splitlines()[0].replace("Binder Error: ", "").replace("Conversion Error: ", "")


class Evaluator:
    """Evaluates checked expressions over one source frame in DuckDB (one query per call, rows in order).

    Parameters:
        frame: the source rows (text cells; extra columns may be typed). where: mapping, table, for messages.
        file: the source file name, for messages.
    """

    def __init__(self, frame: pd.DataFrame, where: str, file: str) -> None:
        self.frame = frame
        self.where = where
        self.file = file
        self._lower = {str(c).lower(): str(c) for c in frame.columns}
        self._typed: dict[str, pd.Series] = {}

    def take(self, keep: np.ndarray, frame: pd.DataFrame) -> Evaluator:
        """The evaluator of the rows ``keep`` (``frame`` = those rows), keeping the typed columns already made."""
        ev = Evaluator(frame, self.where, self.file)
        ev._typed = {k: (v if keep.all() else v[keep].reset_index(drop=True)) for k, v in self._typed.items()}
        return ev

    def _columns_for(self, parsed: Iterable[Parsed]) -> list[str]:
        needed = []
        for p in parsed:
            for c in p.columns:
                real = self._lower.get(c.lower())
                if real is not None and real not in needed:
                    needed.append(real)
        return needed

    def _typed_frame(self, names: list[str], extra: dict[str, pd.Series] | None = None) -> pd.DataFrame:
        cols: dict[str, Any] = {ROW: np.arange(len(self.frame), dtype=np.int64)}
        for n in names:
            if n not in self._typed:
                s = self.frame[n]
                self._typed[n] = typed_column(s) if s.dtype == object or pd.api.types.is_string_dtype(s) else s
            cols[n] = self._typed[n].to_numpy() if not isinstance(self._typed[n].dtype, pd.api.extensions.ExtensionDtype) \
                else self._typed[n].array
        for k, v in (extra or {}).items():
            cols[k] = v.to_numpy() if not isinstance(v.dtype, pd.api.extensions.ExtensionDtype) else v.array
        return pd.DataFrame(cols)

    def describe_columns(self, names: Iterable[str]) -> str:
        """``a (number), b (text)`` for the columns an expression used (after typing)."""
        out = []
        for n in names:
            real = self._lower.get(n.lower())
            if real is None:
                continue
            s = self._typed.get(real, self.frame[real])
            kind = "number" if pd.api.types.is_numeric_dtype(s.dtype) else "text"
            out.append(f"{real} ({kind})")
        return ", ".join(out)

    def _fail(self, parsed: Parsed, e: Exception, what: str) -> MappingError:
        msg = _first_line(e)
        missing = [c for c in parsed.columns if c.lower() not in self._lower]
        if missing and "not found" in msg:
            shown = ", ".join(str(c) for c in self.frame.columns if not str(c).startswith("__"))
            return MappingError(f"{self.where}, {what}: expression {parsed.text!r} names column {missing[0]!r}, which "
                                f"is not in {self.file} — the file has: {shown}")
        typed = self.describe_columns(parsed.columns)
        hint = " (text columns need quotes or a cast, e.g. TRY_CAST(x AS DOUBLE))" if "VARCHAR" in msg else ""
        return MappingError(f"{self.where}, {what}: expression {parsed.text!r} cannot be evaluated on {self.file}: "
                            f"{msg}{hint}" + (f"; its columns: {typed}" if typed else ""))

    def _run(self, select: dict[str, Parsed], frame: pd.DataFrame, tail: str, what: dict[str, str]) -> pd.DataFrame:
        con = _connect()
        try:
            con.register("src", frame)
            items = [f'(\n{p.text}\n) AS "{i}"' for i, p in enumerate(select.values())]
            sql = f"SELECT {', '.join(items)} FROM src {tail}"
            _check_query(con, sql, len(items))
            try:
                result = con.execute(sql).df()
            except duckdb.Error as e:
                # Find the expression at fault by evaluating each alone.
                for name, p in select.items():
                    try:
                        con.execute(f"SELECT (\n{p.text}\n) FROM src {tail}").fetchall()
                    except duckdb.Error as e1:
                        raise self._fail(p, e1, what[name]) from None
                raise MappingError(f"{self.where}: expressions cannot be evaluated ({_first_line(e)})") from None
        finally:
            con.close()
        result.columns = list(select)
        return result

    def scalars(self, exprs: dict[str, str], what: dict[str, str] | None = None) -> pd.DataFrame:
        """One column per expression, one row per source row (in order)."""
        what = what or {n: f"field {n}" for n in exprs}
        parsed = {n: check_expression(t, f"{self.where}, {what[n]}") for n, t in exprs.items()}
        if not parsed:
            return pd.DataFrame(index=self.frame.index)
        frame = self._typed_frame(self._columns_for(parsed.values()))
        out = self._run(parsed, frame, f'ORDER BY "{ROW}"', what)
        out.index = self.frame.index
        return out

    def conditions(self, exprs: dict[str, str], what: dict[str, str]) -> pd.DataFrame:
        """Filters: True where an expression is TRUE (False for FALSE and NULL); one column per filter."""
        result = self.scalars(exprs, what)
        for name, expr in exprs.items():
            r = result[name]
            if not (pd.api.types.is_bool_dtype(r.dtype) or r.isna().all()):
                raise MappingError(f"{self.where}, {what[name]}: expression {expr!r} is not a condition (it gives "
                                   f"values such as {r.dropna().iloc[0]!r}, not true/false) — e.g. quantity > 0 or "
                                   "behavior = 'buy'")
            result[name] = r.fillna(False).astype(bool)
        return result

    def condition(self, expr: str, what: str) -> pd.Series:
        """One filter: True where the expression is TRUE (False for FALSE and for NULL), one value per row."""
        return self.conditions({"keep": expr}, {"keep": what})["keep"]

    def aggregates(self, exprs: dict[str, str], keys: dict[str, pd.Series],
                   what: dict[str, str] | None = None) -> pd.DataFrame:
        """One row per distinct key (``keys``: name -> value per source row), one column per aggregate."""
        what = what or {n: f"field {n}" for n in exprs}
        parsed = {n: check_expression(t, f"{self.where}, {what[n]}", aggregate=True) for n, t in exprs.items()}
        key_names = [f"__key{i}__" for i in range(len(keys))]
        frame = self._typed_frame(self._columns_for(parsed.values()), dict(zip(key_names, keys.values(), strict=True)))
        select = {**{k: Parsed(f'"{k}"', (), False) for k in key_names}, **parsed}
        group = ", ".join(f'"{k}"' for k in key_names)
        out = self._run(select, frame, f"GROUP BY {group}", {**{k: "key" for k in key_names}, **what})
        return out.rename(columns=dict(zip(key_names, keys, strict=True)))
