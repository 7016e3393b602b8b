"""The data contract as SQL: typed views over a table's file and every check as one engine query.

For each table three views are created on the engine (``T`` = table name):

* ``src_T``: the file as read (Parquet, or the staged Parquet of a CSV/Excel file) plus ``__rn``,
  the 0-based position of the row in the file;
* ``raw_T``: per column ``"__s_<col>"``, the cell as the user wrote it — text stripped of white space
  with empty text as NULL, other cell types as they are; rows where every cell is empty are dropped;
* ``T``: the contract columns typed per kind (``int`` BIGINT, ``float`` DOUBLE, ``str`` VARCHAR,
  ``datetime``/``date`` TIMESTAMP in the shop's local time) next to the raw ones; extra columns kept.

Typing rules (the same as the pandas loader's): a number is what ``TRY_CAST(.. AS DOUBLE)`` accepts and
is finite (``1,234.5`` is not); a whole number is a number without a fraction; a date/time is what
``TRY_CAST(.. AS TIMESTAMP)`` accepts after ``/`` becomes ``-``, within pandas' nanosecond range; text
ending in a UTC offset or ``Z`` is converted to the shop's time zone, then made naive; a
time-zone-aware Parquet column likewise. Checks (one aggregate pass, then one small query per failing
check for its first rows): unparseable values, empty required values, time of day in a date column,
bounds, allowed values, duplicate keys, references (anti-joins) and campaigns ending before they start.

Example:
    >>> from opslib.data.engine import DuckDBEngine
    >>> import pandas as pd, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"order_id": ["O1", "O2"], "review_ts": ["2024-06-25 20:11", "soon"],
    ...               "score": [4, 9], "topic": ["物流", None]}).to_parquet(d / "reviews.parquet")
    >>> from opslib.data.staging import stage
    >>> eng = DuckDBEngine()
    >>> src = build_views(eng, stage(d / "reviews.parquet", "reviews", d))
    >>> [str(p) for p in table_problems(eng, src)]  # doctest: +NORMALIZE_WHITESPACE
    ["reviews.parquet, column review_ts, row 2: 'soon' — expected a date/time like 2024-06-18 10:31:00",
     'reviews.parquet, column score, row 2: 9 — expected a whole number between 1 and 5']
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from opslib.data.contract import TABLES, ColumnSpec, TableSpec
from opslib.data.engine import KEYS_PER_PARTITION, WHITESPACE, Engine, sql_str
from opslib.data.problems import (
    EXPECTED_BY_KIND,
    EXPECTED_MIDNIGHT,
    EXPECTED_NONEMPTY_FILE,
    EXPECTED_NOT_EMPTY,
    MAX_ROWS_SHOWN,
    Problem,
    _Shown,
    range_expected,
)
from opslib.data.staging import FileProblem, Staged, line_numbers
from opslib.data.statistics import (
    ColumnStats,
    column_stats,
    few_values,
    row_group_ranges,
    starts_with_space_possible,
)

__all__ = ["KeyTables", "TableSource", "build_views", "campaign_problems", "partitioned_references", "reference_problems",
           "table_problems"]

OFFSET_RE = r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"
TS_MIN, TS_MAX = "1677-09-22 00:12:44", "2262-04-11 23:47:16"  # pandas' datetime64[ns] range

Progress = Callable[[str], None]
# A referenced table above this many rows is anti-joined once for all tables referencing it (fulfilment,
# reviews and service all reference orders.order_id: one hash table of its 7.8M values instead of three).
SHARED_TARGET_ROWS = 1_000_000
# A text column with few distinct values (``statistics.few_values``) in a table of at least this many rows is
# checked on its distinct values (white space, empty, allowed values, references), not on every row.
FEW_VALUES_MIN_ROWS = 100_000
# Distinct keys counted in batches of row groups whose key ranges do not overlap, of about this many rows.
KEY_BATCH_ROWS = 2_000_000

# Columns that record what already happened: a value after today (in the shop's time zone) is an error
# (a wrong year or a clock in another zone) that would move every default period into the empty future.
PAST_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": ("order_ts",), "fulfilment": ("paid_ts", "shipped_ts", "delivered_ts"), "reviews": ("review_ts",),
    "traffic": ("date",), "inventory": ("date",),
}


def today(time_zone: str) -> pd.Timestamp:
    """Today's date in ``time_zone`` (naive midnight)."""
    return pd.Timestamp.now(tz=time_zone).tz_localize(None).normalize()



def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _category(engine_type: str) -> str:
    t = engine_type.upper()
    if t in ("VARCHAR", "STRING") or t.startswith("VARCHAR"):
        return "text"
    if "WITH TIME ZONE" in t or t == "TIMESTAMPTZ":
        return "aware"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t == "DATE":
        return "date"
    if t == "BOOLEAN":
        return "bool"
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        return "float"
    if t.endswith("INT") or t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER",
                                  "USMALLINT", "UTINYINT", "UHUGEINT"):
        return "integer"
    return "other"


@dataclass
class TableSource:
    """One table on the engine: its views, its columns and how positions become row numbers."""

    spec: TableSpec
    staged: Staged
    types: dict[str, str]  # raw column -> category (text, integer, float, timestamp, aware, date, bool, other)
    present: list[str]  # contract columns the file has, contract order
    missing: list[str]
    extras: list[str]
    notes: list[str] = field(default_factory=list)
    n_rows: int = 0
    summary: dict[str, object] = field(default_factory=dict)
    source_names: dict[str, str] = field(default_factory=dict)  # stripped name -> name in the file
    n_source_rows: int = -1  # rows in the file, blank ones included (-1: not counted)
    dirty: dict[str, int] = field(default_factory=dict)  # text column -> cells that needed stripping
    ref_counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (column, table) -> values missing there
    ref_rows: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)  # their first rows (__rn, v)
    proven: list[str] = field(default_factory=list)  # checks the Parquet statistics proved ("column: expected")

    @property
    def view(self) -> str:
        return self.spec.name

    def rows(self, positions: list[int]) -> list[int]:
        """Row numbers as the user sees them for file positions."""
        mapped = line_numbers(self.staged, positions)
        return [mapped.get(p, p + self.staged.first_row) for p in positions]


def _raw_expr(engine: Engine, col: str, category: str, row_flag: str | None = None) -> str:
    return engine.strip(q(col), row_flag) if category == "text" else q(col)


def _typed(engine: Engine, c: ColumnSpec, category: str) -> tuple[str, str | None]:
    """(typed SQL expression over raw_T, offset-flag expression or None) for a contract column."""
    s = q("__s_" + c.name)
    if c.kind == "str":
        if category == "text":
            return s, None
        if category == "float":
            return (f"CASE WHEN {s} = floor({s}) AND abs({s}) < 1e15 THEN CAST(CAST({s} AS BIGINT) AS VARCHAR) "
                    f"ELSE CAST({s} AS VARCHAR) END"), None
        return f"CAST({s} AS VARCHAR)", None
    if c.kind in ("int", "float"):
        if category == "text":
            num = f"TRY_CAST({s} AS DOUBLE)"
        elif category in ("integer", "float"):
            num = f"CAST({s} AS DOUBLE)"
        else:
            return "CAST(NULL AS BIGINT)" if c.kind == "int" else "CAST(NULL AS DOUBLE)", None
        ok = f"{num} > -1e308 AND {num} < 1e308"
        if c.kind == "int":
            ok += f" AND {num} = floor({num})"
            return f"CAST(CASE WHEN {ok} THEN {num} END AS BIGINT)", None
        return f"CASE WHEN {ok} THEN {num} END", None
    # datetime / date
    offset = None
    if category == "text":
        norm = f"replace({s}, '/', '-')"
        offset = f"regexp_matches({s}, {sql_str(OFFSET_RE)})"
        ts = f"CASE WHEN {offset} THEN {engine.local_time(norm)} ELSE TRY_CAST({norm} AS TIMESTAMP) END"
    elif category == "aware":
        ts = engine.aware_to_local(s)
    elif category in ("timestamp", "date"):
        ts = f"CAST({s} AS TIMESTAMP)"
    else:
        return "CAST(NULL AS TIMESTAMP)", None
    return (f"CASE WHEN {ts} >= TIMESTAMP '{TS_MIN}' AND {ts} <= TIMESTAMP '{TS_MAX}' THEN {ts} END"), offset


def build_views(engine: Engine, staged: Staged) -> TableSource:
    """Register ``staged`` on ``engine`` as ``src_T``, ``raw_T`` and the typed view ``T``."""
    spec = TABLES[staged.table]
    name = spec.name
    try:
        engine.register_parquet(f"src_{name}", staged.parquet, row_number="__rn")
        types = {k: _category(v) for k, v in engine.columns(f"src_{name}").items() if k not in ("__rn", "__extra__")}
    except Exception as e:  # engines raise their own error types for unreadable files
        raise FileProblem(Problem(table=name, file=staged.name, issue=f"cannot be read ({str(e).splitlines()[0]})",
                                  expected="a Parquet file" if staged.kind == "parquet" else "a readable file")) from None
    # Column names as the user wrote them, surrounding spaces ignored.
    stripped = {k.strip(): k for k in types}
    src = TableSource(spec=spec, staged=staged, types={k: types[stripped[k]] for k in stripped},
                      present=[c.name for c in spec.columns if c.name in stripped],
                      missing=[c.name for c in spec.columns if c.name not in stripped],
                      extras=[k for k in stripped if k not in spec.column_names],
                      notes=list(staged.notes), source_names=stripped)
    if src.extras:
        src.notes.append(f"{staged.name}: extra columns kept but not used: {', '.join(src.extras)}")
    create_views(engine, src)
    return src


def create_views(engine: Engine, src: TableSource, clean: frozenset[str] = frozenset()) -> None:
    """(Re)create ``pad_T``, ``raw0_T``, ``raw_T``, ``T`` and ``all_T`` for ``src``.

    Text columns in ``clean`` are known (from the main pass) to hold no empty or padded cell: they are
    used as stored, so later queries (keys, references, row fetches) do not strip every cell again.
    """
    name, cats, names = src.spec.name, src.types, src.source_names
    strip = [k for k in names if cats[k] == "text" and k not in clean]
    padded = engine.padded_row([q(names[k]) for k in strip])
    inputs = engine.padded_inputs([q(names[k]) for k in strip]) if padded else []
    below = f"(SELECT *, {', '.join(inputs)} FROM src_{name})" if inputs else f"src_{name}"
    flag = "__padded" if padded else None
    engine.execute(f"CREATE OR REPLACE VIEW pad_{name} AS SELECT *{', ' + padded + ' AS __padded' if padded else ''} "
                   f"FROM {below}")
    raw_cols = [f"{q(names[k]) if k in clean else _raw_expr(engine, names[k], cats[k], flag)} AS {q('__s_' + k)}"
                for k in names]
    # The cell as stored, for text columns: equal to the stripped one means the column needs no cleaning.
    raw_cols += [f"{q(names[k])} AS {q('__o_' + k)}" for k in names if cats[k] == "text"]
    blank = " AND ".join(f"{q('__s_' + k)} IS NULL" for k in names) or "TRUE"
    engine.execute(f"CREATE OR REPLACE VIEW raw0_{name} AS SELECT __rn, {', '.join(raw_cols)} FROM pad_{name}")
    engine.execute(f"CREATE OR REPLACE VIEW raw_{name} AS SELECT * FROM raw0_{name} WHERE NOT ({blank})")
    typed = []
    for c in src.spec.columns:
        if c.name in src.present:
            expr, _ = _typed(engine, c, cats[c.name])
            typed.append(f"{expr} AS {q(c.name)}")
    typed += [f"{q('__s_' + k)} AS {q(k)}" for k in src.extras]
    raw = [q("__s_" + k) for k in names] + [q("__o_" + k) for k in names if cats[k] == "text"]
    engine.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT __rn, {', '.join(typed + raw)} FROM raw_{name}")
    # The same typed columns over every row, blank ones included: the main check pass scans this view
    # once and counts blank rows itself (filtering first would compute every cell twice).
    engine.execute(f"CREATE OR REPLACE VIEW all_{name} AS SELECT __rn, {', '.join(typed + raw)}, "
                   f"CASE WHEN {blank} THEN 1 ELSE 0 END AS __blank FROM raw0_{name}")


def missing_column_problems(src: TableSource) -> list[Problem]:
    """A contract column absent from the file (fatal for loading)."""
    return [Problem(table=src.spec.name, file=src.staged.name, column=c.name, issue="missing",
                    expected=f"a column named {c.name} ({c.description.rstrip('.')})")
            for c in src.spec.columns if c.name in src.missing]


def _checks(engine: Engine, src: TableSource, stats: dict[str, ColumnStats] | None = None,
            values: dict[str, list[object]] | None = None) -> list[tuple[str, str, str, str]]:
    """(phase, column, SQL condition, expected words) for every column check, in message order.

    With ``stats`` (the file's Parquet statistics, :func:`opslib.data.statistics.column_stats`) a check
    the statistics prove for every row is left out and named in ``src.proven`` instead: a typed column
    needs no parse test (whole numbers in a 64-bit integer column, time stamps inside pandas' range),
    a column without nulls (text: whose values cannot start with white space or be empty) no not-empty
    test, a range, an allowed value or "not in the future" whose bounds the minimum and maximum of every
    row group keep. Anything the statistics do not prove is checked row by row.

    ``values`` (text column -> its distinct values, every one clean: :func:`distinct_clean_values`)
    proves a text column's not-empty test when no value is NULL and its allowed values when every value
    is allowed.
    """
    parse: list[tuple[str, str, str, str]] = []
    rules: list[tuple[str, str, str, str]] = []
    stats = stats or {}
    values = values or {}
    src.proven = []

    def add(out: list[tuple[str, str, str, str]], check: tuple[str, str, str, str], proof: bool) -> None:
        if proof:
            src.proven.append(f"{check[1]}: {check[3]}")
        else:
            out.append(check)

    for c in src.spec.columns:
        if c.name not in src.present:
            continue
        s, t = q("__s_" + c.name), q(c.name)
        cat = src.types[c.name]
        st = stats.get(src.source_names[c.name])
        lo, hi = (st.min, st.max) if st is not None else (None, None)
        bounded = lo is not None and hi is not None
        if c.kind != "str":
            if c.kind == "date":
                add(parse, ("parse", c.name, f"{t} IS NOT NULL AND {t} <> date_trunc('day', {t})", EXPECTED_MIDNIGHT),
                    cat == "date")
            typed = ((c.kind == "int" and cat == "integer" and bounded and lo > -(2 ** 63) and hi < 2 ** 63)  # type: ignore[operator]
                     or (c.kind in ("datetime", "date") and cat in ("timestamp", "date") and bounded
                         and pd.Timestamp(TS_MIN) <= lo and hi <= pd.Timestamp(TS_MAX)))  # type: ignore[operator]
            add(parse, ("parse", c.name, f"{s} IS NOT NULL AND {t} IS NULL", EXPECTED_BY_KIND[c.kind]), bool(typed))
        numeric = cat in ("integer", "float") and c.kind in ("int", "float") and bounded
        if not c.nullable:
            full = st is not None and st.nulls == 0
            if cat == "text":  # stripped empty is empty: no value may start with white space
                full = full and bounded and not starts_with_space_possible(str(lo), str(hi), WHITESPACE)
            else:
                full = full and cat in ("integer", "float", "timestamp", "date")
            if c.name in values and cat == "text":
                full = full or None not in values[c.name]
            add(rules, ("notnull", c.name, f"{s} IS NULL", EXPECTED_NOT_EMPTY), full)
        if c.min_value is not None:
            add(rules, ("rule", c.name, f"{t} < {c.min_value!r}", range_expected(c)),
                numeric and lo >= c.min_value)  # type: ignore[operator]
        if c.max_value is not None:
            add(rules, ("rule", c.name, f"{t} > {c.max_value!r}", range_expected(c)),
                numeric and hi <= c.max_value)  # type: ignore[operator]
        if c.allowed:
            allowed = ", ".join(sql_str(a) for a in c.allowed)
            add(rules, ("rule", c.name, f"{t} NOT IN ({allowed})", "one of " + ", ".join(c.allowed)),
                cat == "text" and ((bounded and lo == hi and lo in c.allowed)
                                   or (c.name in values and set(values[c.name]) - {None} <= set(c.allowed))))
        if c.name in PAST_COLUMNS.get(src.spec.name, ()):
            day = today(engine.time_zone)
            limit = (day + pd.Timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
            add(rules, ("rule", c.name, f"{t} >= TIMESTAMP '{limit}'",
                        f"a time not in the future (on or before {day:%Y-%m-%d} in {engine.time_zone})"),
                cat in ("timestamp", "date") and bounded and hi < pd.Timestamp(limit))  # type: ignore[operator]
    return parse + rules


def distinct_clean_values(engine: Engine, src: TableSource) -> dict[str, list[object]]:
    """The distinct values of each text column with few of them (``statistics.few_values``), for the
    columns none of whose values needs stripping: text column -> values (None for NULL).

    One ``SELECT DISTINCT`` per such column (at 10M order lines 0.04-0.1 CPU-s each, against about 0.15
    for the white-space test of every cell); a value is clean when ``str.strip`` of Python's white space
    leaves it unchanged and it is not empty. A column with an unclean value is left out: its rows are
    stripped, counted and named as before.
    """
    few = few_values(src.staged.parquet, min_rows=FEW_VALUES_MIN_ROWS)
    out: dict[str, list[object]] = {}
    for k, name in src.source_names.items():
        if src.types[k] != "text" or name not in few:
            continue
        vals = [None if v is None or (isinstance(v, float) and v != v) else v
                for v in engine.query(f"SELECT DISTINCT {q(name)} AS v FROM src_{src.view}")["v"].tolist()]
        if all(v is None or (isinstance(v, str) and v != "" and v.strip(WHITESPACE) == v) for v in vals):
            out[k] = vals
    return out


def _known_values(keys: KeyTables | None, target: TableSource, other_col: str) -> str:
    """The distinct non-empty values ``k`` of a referenced column (shared by ``keys`` when given)."""
    if keys is not None:
        return keys.relation(target.view, other_col)
    return f"(SELECT DISTINCT {q(other_col)} AS k FROM {target.view} WHERE {q(other_col)} IS NOT NULL)"


def _fetch_problem(engine: Engine, src: TableSource, column: str, cond: str, n: int, expected: str) -> Problem:
    rows = engine.query(f"SELECT __rn, {q('__s_' + column)} AS v FROM {src.view} WHERE {cond} "
                        f"ORDER BY __rn LIMIT {MAX_ROWS_SHOWN}")
    return Problem(table=src.spec.name, file=src.staged.name, column=column,
                   rows=src.rows([int(r) for r in rows["__rn"]]), values=_values(rows["v"]), n_rows=n,
                   expected=expected, row_label=src.staged.row_label)


def _values(s: pd.Series) -> list[object]:
    """Offending values as Python objects (numbers stay numbers, text stays text)."""
    return [None if v is pd.NaT else v for v in s.tolist()]


class KeyTables:
    """The distinct non-empty values of each referenced column, computed once and shared.

    fulfilment, reviews and service all reference ``orders.order_id``: its distinct values (7.8M at 10M
    lines) are kept once as ``__keys_orders_order_id`` (a DuckDB temporary table) instead of being
    rebuilt by every table that references it. A target with more rows than one hash table holds under
    the memory cap (``Engine.partitions``) is checked in hash partitions instead
    (:func:`partitioned_references`), after every table's own pass.
    """

    def __init__(self, engine: Engine, sources: dict[str, TableSource]) -> None:
        self.engine, self.sources = engine, sources
        self.kept: list[str] = []

    def deferred(self, table: str) -> bool:
        """True when references to ``table`` are checked after every table's pass, all referencing tables in
        one anti-join per partition (:func:`partitioned_references`): a target too big for one hash table,
        or one above :data:`SHARED_TARGET_ROWS` rows, whose values' hash table is then built once, not
        once per referencing table."""
        if self.parts(table) > 1:
            return True
        if self.engine.partitions(1 << 62) == 1:  # Spark plans its own joins
            return False
        n = self.sources[table].n_source_rows
        if n < 0:
            n = int(self.engine.query(f"SELECT count(*) AS n FROM src_{table}")["n"][0])
        return n > SHARED_TARGET_ROWS

    def parts(self, table: str) -> int:
        """Hash partitions needed for the distinct values of a column of ``table`` (1: one table)."""
        if self.engine.partitions(1 << 62) == 1:  # an engine that never partitions (Spark plans its own)
            return 1
        target = self.sources[table]
        n = target.n_source_rows
        if n < 0:  # not checked yet: the file's row count (Parquet metadata)
            n = int(self.engine.query(f"SELECT count(*) AS n FROM src_{table}")["n"][0])
        return self.engine.partitions(n)

    def values(self, table: str, column: str, part: tuple[int, int] | None = None) -> str:
        """A subquery of the non-empty values ``k`` of ``table.column`` as stored, repeats kept (one hash
        partition ``(i, n)`` of them), for an anti-join.

        The join builds its hash table straight from the column: making the values distinct first (a
        hash aggregate, then the join's own hash table) cost 4.5 CPU-s against 2.7 at 10M order lines
        for fulfilment, reviews and service against orders' 10.3M order ids.
        """
        where = f"{q(column)} IS NOT NULL"
        if part:
            where += f" AND {self.engine.key_hash([q(column)])} % {part[1]} = {part[0]}"
        return f"(SELECT {q(column)} AS k FROM {table} WHERE {where})"

    def relation(self, table: str, column: str, part: tuple[int, int] | None = None) -> str:
        """Name of the kept distinct values ``k`` of ``table.column`` (one hash partition ``(i, n)`` of them)."""
        name = f"__keys_{table}_{column}" + (f"_p{part[1]}" if part else "")
        where = f"{q(column)} IS NOT NULL"
        if part:
            where += f" AND {self.engine.key_hash([q(column)])} % {part[1]} = {part[0]}"
        elif name in self.kept:
            return name
        self.engine.materialize(name, f"SELECT DISTINCT {q(column)} AS k FROM {table} WHERE {where}")
        if name not in self.kept:
            self.kept.append(name)
        return name

    def close(self) -> None:
        """Drop every kept table (their memory goes back to the engine)."""
        for name in self.kept:
            self.engine.drop(name)
        self.kept = []


def _references(src: TableSource, others: dict[str, TableSource]) -> list[tuple[str, str, str, str]]:
    """(column, target table, target column, alias) of each reference that can be checked."""
    out = []
    for i, (col, other, other_col) in enumerate(src.spec.references):
        target = others.get(other)
        if target is not None and col in src.present and other_col in target.present:
            out.append((col, other, other_col, f"__ref{i}"))
    return out


def table_problems(engine: Engine, src: TableSource, progress: Progress | None = None,
                   others: dict[str, TableSource] | None = None, keys: KeyTables | None = None,
                   use_statistics: bool = True) -> list[Problem]:
    """Every single-table problem of ``src``, in the loader's order: parse, rules, duplicate keys, campaigns.

    One aggregate pass counts every column check, the distinct keys and (with ``others``, the shop's
    other tables) the values missing from referenced tables (``src.ref_counts``, reported by
    :func:`reference_problems`); only failing checks cost a second, small query. With ``keys`` the
    referenced values are shared between tables, and references to a table too big for one hash
    table are left to :func:`partitioned_references`. With ``use_statistics`` the checks the file's
    Parquet statistics prove are not run (:func:`_checks`).
    """
    t0 = time.perf_counter()
    values = distinct_clean_values(engine, src) if use_statistics else {}
    if values:  # read as stored: no white-space test on their cells
        create_views(engine, src, frozenset(values))
    checks = _checks(engine, src, column_stats(src.staged.parquet) if use_statistics else None, values)
    refs = _references(src, others or {})
    if keys is not None:
        refs = [r for r in refs if not keys.deferred(r[1])]
    src.ref_counts = {}
    for col, other, other_col, alias in list(refs):
        if col not in values:
            continue
        # The reference on the column's few distinct values: none missing proves every row; else every row
        # is joined in the main pass below, which counts and names them.
        target = (others or {})[other]
        name = q(src.source_names[col])
        n = _int(engine.query(f"SELECT count(*) AS n FROM (SELECT DISTINCT {name} AS v FROM src_{src.view} "
                              f"WHERE {name} IS NOT NULL) x ANTI JOIN {_known_values(keys, target, other_col)} r "
                              f"ON x.v = r.k")["n"][0])
        if not n:
            refs.remove((col, other, other_col, alias))
            src.ref_counts[(col, other)] = 0
            src.proven.append(f"{col}: a {other_col} that exists in {target.staged.name}")
    key = list(src.spec.key) if set(src.spec.key) <= set(src.present) else []
    aggs = ["count(*) AS n", "sum(__blank) AS __blank"] + [f"sum(CASE WHEN {cond} THEN 1 ELSE 0 END) AS c{i}"
                                                           for i, (_, _, cond, _) in enumerate(checks)]
    offsets = []
    for c in src.spec.columns:
        if c.name in src.present and c.kind in ("datetime", "date"):
            _, flag = _typed(engine, c, src.types[c.name])
            if flag:
                offsets.append(c.name)
                aggs.append(f"sum(CASE WHEN {flag} THEN 1 ELSE 0 END) AS {q('off_' + c.name)}")
            if src.types[c.name] == "aware":
                offsets.append(c.name)
    text_cols = [k for k in src.source_names if src.types[k] == "text" and k not in values]
    for k in text_cols:
        aggs.append(f"sum(CASE WHEN {q('__o_' + k)} IS DISTINCT FROM {q('__s_' + k)} THEN 1 ELSE 0 END) "
                    f"AS {q('dirty_' + k)}")
    date_cols = _summary_columns(src)
    for i, col in enumerate(date_cols):
        aggs.append(f"{'min' if i == 0 else 'max'}({q(col)}) AS {q('span' + str(i))}")
    if key:
        keyed = " AND ".join(f"t.{q(k)} IS NOT NULL" for k in key)
        aggs.append(f"sum(CASE WHEN {keyed} THEN 1 ELSE 0 END) AS __keyed")
    joins = ""
    for col, other, other_col, alias in refs:
        known = _known_values(keys, (others or {})[other], other_col)
        joins += f" LEFT JOIN {known} {alias}_t ON t.{q(col)} = {alias}_t.k"
        aggs.append(f"sum(CASE WHEN t.{q(col)} IS NOT NULL AND {alias}_t.k IS NULL THEN 1 ELSE 0 END) AS {alias}")
    stats = engine.query(f"SELECT {', '.join(aggs)} FROM all_{src.view} t{joins}").iloc[0]
    src.ref_counts.update({(col, other): _int(stats[alias]) for col, other, _, alias in refs})
    blank = _int(stats["__blank"])  # blank rows fail only the not-empty checks: take them out there
    src.n_rows = int(stats["n"]) - blank
    src.dirty = {k: 0 if k in values else _int(stats["dirty_" + k])
                 for k in src.source_names if src.types[k] == "text"}
    clean = frozenset(k for k, n in src.dirty.items() if n == 0)
    if clean:  # every later query reads those text columns as stored
        create_views(engine, src, clean)
    src.n_source_rows = int(stats["n"])
    if src.n_rows == 0:
        raise FileProblem(Problem(table=src.spec.name, file=src.staged.name, issue="no data rows (header only)",
                                  expected=EXPECTED_NONEMPTY_FILE))
    if date_cols:
        lo, hi = stats["span0"], stats[f"span{len(date_cols) - 1}"]
        src.summary = {"column": date_cols[0] if len(set(date_cols)) == 1 else "..".join(date_cols),
                       "min": None if pd.isna(lo) else pd.Timestamp(lo), "max": None if pd.isna(hi) else pd.Timestamp(hi)}
    for col in offsets:
        if src.types[col] == "aware":
            src.notes.append(f"{src.staged.name}, column {col}: time-zone-aware time stamps converted to "
                             f"{engine.time_zone} local time")
        elif _int(stats.get("off_" + col, 0)):
            k = _int(stats["off_" + col])
            src.notes.append(f"{src.staged.name}, column {col}: {k:,} time stamp{'s' if k > 1 else ''} with a UTC "
                             f"offset or Z converted to {engine.time_zone} local time")
    problems = []
    for i, (phase, col, cond, expected) in enumerate(checks):
        n = _int(stats[f"c{i}"]) - (blank if phase == "notnull" else 0)
        if n:
            problems.append(_fetch_problem(engine, src, col, cond, n, expected))
    # Distinct keys in their own query, as a GROUP BY (which spills to disk beyond the memory limit):
    # a distinct aggregate inside the main pass is planned as a self-join (2.5x slower at 10M lines).
    if key:
        keyed = " AND ".join(f"{q(k)} IS NOT NULL" for k in key)
        # Distinct 64-bit hashes of the key prove distinct keys (grouping integers, not strings, is fast);
        # any collision, a real duplicate or (odds ~1e-6 at 10M keys) not, goes to the exact query.
        # Beyond ~12M keys the groups are counted in hash partitions, one scan each, so the hash table stays
        # under DuckDB's memory cap (one pass over 103M keys ran out of memory at 1.2 GB).
        h = engine.key_hash([q(k) for k in key])
        batches = key_batches(engine, src) if use_statistics else None
        if batches:  # row groups whose key ranges do not overlap, counted apart
            parts = [" AND (" + " OR ".join(f"__rn BETWEEN {a} AND {b}" for a, b in spans) + ")" for spans in batches]
        else:
            n_parts = engine.partitions(_int(stats["__keyed"]))
            parts = [f" AND {h} % {n_parts} = {i}" if n_parts > 1 else "" for i in range(n_parts)]
        distinct = 0
        for part in parts:
            distinct += _int(engine.query(f"SELECT count(*) AS d FROM (SELECT {h} AS h FROM {src.view} "
                                          f"WHERE {keyed}{part} GROUP BY 1) g")["d"][0])
        if _int(stats["__keyed"]) > distinct:
            problems += _duplicate_problems(engine, src)
    if src.spec.name == "campaigns":
        problems += campaign_problems(engine, src)
    if progress is not None:
        progress(f"{src.staged.name}: {src.n_rows:,} rows checked in {time.perf_counter() - t0:.1f} s")
    return problems


def key_batches(engine: Engine, src: TableSource) -> list[list[tuple[int, int]]] | None:
    """Batches of row positions ``[(first, last), ..]`` whose keys cannot repeat across batches, or None.

    The first key column's least and greatest value in every row group (the file's footer,
    :func:`opslib.data.statistics.row_group_ranges`) are sorted and overlapping ranges merged: two rows
    with the same key lie in row groups whose ranges overlap, so in one merged range. The merged ranges
    are joined, in key order, into batches of about :data:`KEY_BATCH_ROWS` rows; distinct keys counted
    per batch add up to the distinct keys of the table, each count with a small hash table (1.7 against
    2.8 CPU-s for orders at 10M lines) reading only its row groups (at 100M lines: one scan instead of
    one per hash partition). Only where the key's typed value is the stored one (clean text, time
    stamps) and the engine prunes row groups by position (DuckDB). None when the ranges overlap
    into one batch (an unsorted file) or a merged range is too big for one hash table.
    """
    key = src.spec.key
    if not key or engine.partitions(1 << 62) == 1:
        return None
    col = key[0]
    kind, cat = src.spec.column(col).kind, src.types.get(col)
    # (not integers: the typed value goes through DOUBLE, so two stored integers beyond 2**53 may become one)
    stored = ((kind == "str" and cat == "text" and src.dirty.get(col) == 0)
              or (kind in ("datetime", "date") and cat in ("timestamp", "date")))
    if not stored:
        return None
    ranges = row_group_ranges(src.staged.parquet, src.source_names[col])
    if not ranges or len(ranges) < 2:
        return None
    merged: list[tuple[object, int, list[tuple[int, int]]]] = []  # (greatest value, rows, positions)
    for first, rows, lo, hi in sorted(ranges, key=lambda r: r[2]):  # type: ignore[arg-type, return-value]
        if merged and lo <= merged[-1][0]:  # type: ignore[operator]
            top, n, spans = merged[-1]
            merged[-1] = (max(top, hi), n + rows, spans + [(first, first + rows - 1)])  # type: ignore[type-var]
        else:
            merged.append((hi, rows, [(first, first + rows - 1)]))
    if any(n > KEYS_PER_PARTITION for _, n, _ in merged):
        return None
    batches: list[list[tuple[int, int]]] = []
    size = 0
    for _, n, spans in merged:
        if batches and size + n <= KEY_BATCH_ROWS:
            batches[-1] += spans
            size += n
        else:
            batches.append(list(spans))
            size = n
    return batches if len(batches) > 1 else None


def _int(value: object) -> int:
    """An aggregate's count as int (SUM over no rows is NULL)."""
    return 0 if value is None or pd.isna(value) else int(value)


def _summary_columns(src: TableSource) -> list[str]:
    if src.spec.name == "campaigns":
        cols = ["start", "end"]
    else:
        first = next((c.name for c in src.spec.columns if c.kind in ("date", "datetime")), None)
        cols = [first, first] if first else []
    return cols if all(c in src.present for c in cols) else []


def _duplicate_problems(engine: Engine, src: TableSource) -> list[Problem]:
    key = list(src.spec.key)
    if not set(key) <= set(src.present):
        return []
    cols = ", ".join(q(k) for k in key)
    dup = f"SELECT {cols}, count(*) AS n FROM {src.view} GROUP BY {cols} HAVING count(*) > 1"
    stats = engine.query(f"SELECT count(*) AS n_keys, sum(n) AS n_rows FROM ({dup}) d").iloc[0]
    n_keys = _int(stats["n_keys"])
    if not n_keys:
        return []
    on = " AND ".join(f"t.{q(k)} IS NOT DISTINCT FROM d.{q(k)}" for k in key)
    rows = engine.query(f"SELECT t.__rn, {', '.join('t.' + q(k) for k in key)} FROM {src.view} t "
                        f"JOIN ({dup}) d ON {on} ORDER BY t.__rn LIMIT {MAX_ROWS_SHOWN}")
    values: list[object] = [r[0] if len(key) == 1 else tuple(r) for r in rows[key].itertuples(index=False)]
    names = ", ".join(key)
    return [Problem(table=src.spec.name, file=src.staged.name, column=" + ".join(key),
                    rows=src.rows([int(r) for r in rows["__rn"]]), values=values, n_rows=int(stats["n_rows"]),
                    issue=f"{n_keys:,} duplicated key value{'s' if n_keys > 1 else ''}:",
                    expected=f"each {names if len(key) == 1 else '(' + names + ')'} only once",
                    row_label=src.staged.row_label)]


def campaign_problems(engine: Engine, src: TableSource) -> list[Problem]:
    """Campaigns must not end before they start."""
    if not {"start", "end"} <= set(src.present):
        return []
    cond = f"{q('end')} < {q('start')}"
    n = int(engine.query(f"SELECT count(*) AS n FROM {src.view} WHERE {cond}")["n"][0])
    if not n:
        return []
    rows = engine.query(f"SELECT __rn, {q('start')} AS s, {q('end')} AS e FROM {src.view} WHERE {cond} "
                        f"ORDER BY __rn LIMIT {MAX_ROWS_SHOWN}")
    values: list[object] = [_Shown(f"{pd.Timestamp(e):%Y-%m-%d} (start {pd.Timestamp(s):%Y-%m-%d})")
                            for s, e in zip(rows["s"], rows["e"], strict=True)]
    return [Problem(table=src.spec.name, file=src.staged.name, column="end", rows=src.rows([int(r) for r in rows["__rn"]]),
                    values=values, n_rows=n, issue="ends before it starts:",
                    expected="an end date on or after the start date", row_label=src.staged.row_label)]


def _missing_sql(src: TableSource, col: str, known: str, part: tuple[int, int] | None, engine: Engine) -> str:
    """FROM .. WHERE of the rows of ``src`` whose ``col`` is not among the values ``k`` of ``known``.

    An anti-join: ``known`` may hold a value more than once (the target's column as stored).
    """
    where = f"t.{q(col)} IS NOT NULL"
    if part:
        where += f" AND {engine.key_hash(['t.' + q(col)])} % {part[1]} = {part[0]}"
    return f"FROM {src.view} t ANTI JOIN {known} r ON t.{q(col)} = r.k WHERE {where}"


def partitioned_references(engine: Engine, sources: dict[str, TableSource], keys: KeyTables,
                           progress: Progress | None = None) -> None:
    """Count the references to big tables once for all tables referencing them, in hash partitions if needed.

    For a target too big for one hash table, for each partition ``i`` of ``n`` (``hash(value) % n = i``)
    the target's distinct values of that partition are kept once, so memory is bounded by one partition
    and the target is scanned ``n`` times however many tables reference it. Every referencing table is
    anti-joined against them in one query (one ``UNION ALL`` of their values: the hash table of the
    target's values is built once per partition, not once per referencing table). Fills
    ``src.ref_counts`` and ``src.ref_rows`` (the first offending rows) for :func:`reference_problems`.
    """
    groups: dict[tuple[str, str], list[tuple[TableSource, str]]] = {}
    for src in sources.values():
        for col, other, other_col, _ in _references(src, sources):
            if keys.deferred(other):
                groups.setdefault((other, other_col), []).append((src, col))
    for (other, other_col), users in groups.items():
        t0 = time.perf_counter()
        n = keys.parts(other)
        for src, col in users:
            src.ref_counts[(col, other)] = 0
        for i in range(n):
            part = (i, n) if n > 1 else None
            known = keys.values(other, other_col, part)
            union = " UNION ALL ".join(
                f"SELECT {j} AS u, t.{q(col)} AS v FROM {src.view} t WHERE t.{q(col)} IS NOT NULL"
                + (f" AND {engine.key_hash(['t.' + q(col)])} % {n} = {i}" if part else "")
                for j, (src, col) in enumerate(users))
            counts = engine.query(f"SELECT x.u, count(*) AS n FROM ({union}) x ANTI JOIN {known} r ON x.v = r.k "
                                  f"GROUP BY x.u")
            for u, k in zip(counts["u"], counts["n"], strict=True):
                src, col = users[int(u)]
                k = int(k)
                if not k:
                    continue
                src.ref_counts[(col, other)] += k
                base = _missing_sql(src, col, known, part, engine)
                rows = engine.query(f"SELECT t.__rn, t.{q('__s_' + col)} AS v {base} "
                                    f"ORDER BY t.__rn LIMIT {MAX_ROWS_SHOWN}")
                old = src.ref_rows.get((col, other))
                both = rows if old is None else pd.concat([old, rows], ignore_index=True)
                src.ref_rows[(col, other)] = both.sort_values("__rn").head(MAX_ROWS_SHOWN)
        if progress is not None:
            names = ", ".join(s.staged.name for s, _ in users)
            how = f" in {n} hash partitions" if n > 1 else ""
            progress(f"{names}: {other_col} checked against {sources[other].staged.name}{how} "
                     f"in {time.perf_counter() - t0:.1f} s")


def reference_problems(engine: Engine, sources: dict[str, TableSource], keys: KeyTables | None = None) -> list[Problem]:
    """Values that must exist in another table, as anti-joins (only when that table was read)."""
    problems: list[Problem] = []
    for src in sources.values():
        for col, other, other_col in src.spec.references:
            target = sources.get(other)
            if target is None or col not in src.present or other_col not in target.present:
                continue
            n = src.ref_counts.get((col, other))  # counted in the table's main pass
            rows = src.ref_rows.get((col, other))  # fetched by partitioned_references
            if n == 0 or (n and rows is not None):
                base = ""
            else:
                known = (keys.relation(other, other_col) if keys is not None else
                         f"(SELECT DISTINCT {q(other_col)} AS k FROM {target.view} WHERE {q(other_col)} IS NOT NULL)")
                base = _missing_sql(src, col, known, None, engine)
            if n is None:
                n = int(engine.query(f"SELECT count(*) AS n {base}")["n"][0])
            if not n:
                continue
            if rows is None:
                rows = engine.query(f"SELECT t.__rn, t.{q('__s_' + col)} AS v {base} "
                                    f"ORDER BY t.__rn LIMIT {MAX_ROWS_SHOWN}")
            problems.append(Problem(table=src.spec.name, file=src.staged.name, column=col,
                                    rows=src.rows([int(r) for r in rows["__rn"]]), values=_values(rows["v"]),
                                    n_rows=n, expected=f"a {other_col} that exists in {target.staged.name}",
                                    row_label=src.staged.row_label))
    return problems


def fast_view(engine: Engine, src: TableSource) -> bool:
    """After a clean validation, point view ``T`` straight at the file where no typing is needed.

    A column passes through when the file already stores the contract type (text that needed no
    stripping, integers, floats, naive timestamps); the others keep their typed expression. Returns
    False (view unchanged) when blank rows must still be filtered.
    """
    if src.n_source_rows != src.n_rows or src.n_rows <= 0:
        return False
    cols = []
    for c in src.spec.columns:
        if c.name not in src.present:
            continue
        name, cat = src.source_names[c.name], src.types[c.name]
        through = ((c.kind == "str" and cat == "text" and src.dirty.get(c.name) == 0)
                   or (c.kind == "int" and cat == "integer") or (c.kind == "float" and cat == "float")
                   or (c.kind == "datetime" and cat == "timestamp"))
        if through:
            cols.append(f"{q(name)} AS {q(c.name)}" if c.kind != "int" else f"CAST({q(name)} AS BIGINT) AS {q(c.name)}")
        else:
            expr, _ = _typed(engine, c, cat)
            cols.append(f"{expr.replace(q('__s_' + c.name), _raw_expr(engine, name, cat))} AS {q(c.name)}")
    cols += [f"{_raw_expr(engine, src.source_names[k], src.types[k])} AS {q(k)}" for k in src.extras]
    engine.execute(f"CREATE OR REPLACE VIEW {src.view} AS SELECT __rn, {', '.join(cols)} FROM src_{src.view}")
    return True
