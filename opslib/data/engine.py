"""Where order lines live and are computed: DuckDB in process (default) or a Spark session.

The shop's ``shop.yml`` (``opslib.data.settings``) names the engine and its options::

    engine: spark
    spark:
      master: spark://spark-master:7077   # or yarn, k8s://..., local[4] (default local[2])
      conf: {spark.executor.memory: 8g}
    tables: {orders: s3a://bucket/shop/orders.parquet}
    memory_limit: 1200MB   # DuckDB only: its memory before it spills into the cache folder
    threads: 2

Queries are written once in DuckDB's SQL dialect (``docs/engine.md`` says why not Ibis). The DuckDB
engine runs them as written; the Spark engine transpiles them with sqlglot (``read="duckdb",
write="spark"``). Functions whose meaning differs between engines (time zones, row positions) are
built by each engine's own helpers, never transpiled.

The staging cache (``cache_root``) is ``cache:`` from shop.yml, else ``$OPSLIB_CACHE_DIR``, else
``$XDG_CACHE_HOME/opsplaybook`` (default ``~/.cache/opsplaybook``): never inside the user's shop folder
unless ``cache:`` says so.

Example:
    >>> eng = DuckDBEngine()
    >>> eng.query("SELECT 1 + 1 AS two").to_dict("records")
    [{'two': 2}]
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from opslib.data.settings import ShopSettings
from opslib.errors import SettingsError

__all__ = ["DEFAULT_MEMORY_LIMIT", "DuckDBEngine", "Engine", "SparkEngine", "cache_root", "make_engine", "sql_str"]

DEFAULT_TIME_ZONE = "Asia/Shanghai"
# DuckDB's own memory (buffers, hash tables) stays under this unless shop.yml says otherwise; beyond it
# aggregates spill to the cache folder, so validation's peak memory does not grow with the lines.
DEFAULT_MEMORY_LIMIT = "1200MB"
# Distinct keys counted in one hash table under that cap: 10M worked, 103M ran out of memory.
KEYS_PER_PARTITION = 12_000_000


_UNITS = {"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30,
          "tib": 2**40, "bytes": 1, "byte": 1, "": 1}


def memory_bytes(text: str) -> float:
    """A DuckDB memory setting (``'1200MB'``, ``'1.1 GiB'``, ``'134217728B'``) in bytes (inf when unreadable).

    Example:
        >>> memory_bytes("1.5 GiB") == 1.5 * 2**30, memory_bytes("600MB"), memory_bytes("lots")
        (True, 600000000.0, inf)
    """
    m = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", str(text))
    if not m or m[2].lower() not in _UNITS:
        return float("inf")
    return float(m[1]) * _UNITS[m[2].lower()]


def cache_root(settings: ShopSettings | None = None, folder: str | Path | None = None) -> Path:
    """The folder where staged Parquet copies of CSV/Excel files are kept (created on demand).

    Parameters:
        settings: the shop's settings (``cache:`` wins, relative to ``folder``). folder: the shop folder.

    Returns:
        The cache folder path.

    Example:
        >>> cache_root(ShopSettings(cache="/data/c")).as_posix()
        '/data/c'
    """
    if settings is not None and settings.cache:
        path = Path(settings.cache)
        return path if path.is_absolute() or folder is None else Path(folder) / path
    env = os.environ.get("OPSLIB_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "opsplaybook"


# Python's str.strip() white space (what the pandas loader stripped), as one SQL string of characters.
WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007" \
             "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
# The same characters as a regular-expression class (RE2), and "a cell of the chr(1)-joined row starts
# or ends with one": a cell boundary is the start, the end or chr(1).
_SPACE_CLASS = "[" + "".join(c if c.isalnum() else f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"
_PADDED = f"(^|\\x01){_SPACE_CLASS}|{_SPACE_CLASS}(\\x01|$)"
# Characters that open a grapheme cluster with the character after them (Unicode's Prepend class, e.g.
# U+0600): DuckDB's reverse() keeps clusters whole, so "x\u0600 " reversed starts with U+0600, not the space.
_PREPEND_BMP = ("\u0600", "\u0601", "\u0602", "\u0603", "\u0604", "\u0605", "\u06dd", "\u070f", "\u0890", "\u0891",
                "\u08e2", "\u0d4e")


def starts_padded(text: str) -> str:
    """DuckDB SQL: True when ``text`` starts with one of Python's white-space characters (or is empty).

    Only string comparisons and ``prefix``: no per-row allocation, and DuckDB folds the comparisons to
    FALSE from Parquet's min/max statistics when a column's values cannot start that way (the ranges
    below exclude ASCII letters, digits and CJK). White space is U+0000-U+0020 (``< '!'``) or between
    U+0085 and U+3000.
    """
    wide = " OR ".join(f"prefix({text}, {sql_str(c)})" for c in WHITESPACE if ord(c) > 32)
    return f"({text} < '!' OR ({text} >= {sql_str(chr(0x85))} AND {text} < {sql_str(chr(0x3001))} AND ({wide})))"


def ends_padded(text: str, reversed_text: str | None = None) -> str:
    """DuckDB SQL: True when ``text`` (may) end with white space: :func:`starts_padded` of ``reverse(text)``.

    ``reverse`` reverses grapheme clusters; white space joins a cluster only after a Prepend character,
    so a reversed text starting with one of those (or any character beyond U+FFFF) is flagged too. A
    flag only sends the row through the exact strip, so over-flagging costs time, never correctness.
    """
    r = reversed_text or f"reverse({text})"  # a column holding it: reverse() once per cell, not per comparison
    prepend = " OR ".join(f"prefix({r}, {sql_str(c)})" for c in _PREPEND_BMP)
    return f"({starts_padded(r)} OR ({r} >= {sql_str(chr(0x600))} AND {r} < {sql_str(chr(0xd4f))} AND ({prepend})) " \
           f"OR {r} >= {sql_str(chr(0x10000))})"


def sql_str(value: str) -> str:
    """A SQL string literal: ``'`` + value with single quotes doubled + ``'``.

    Example:
        >>> sql_str("it's")
        "'it''s'"
    """
    return "'" + str(value).replace("'", "''") + "'"


class Engine:
    """The interface both engines implement. SQL is DuckDB dialect; results are pandas frames."""

    name = "engine"
    time_zone = DEFAULT_TIME_ZONE

    def query(self, sql: str) -> pd.DataFrame:  # pragma: no cover - interface
        raise NotImplementedError

    def execute(self, sql: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def register_parquet(self, view: str, path: str, row_number: str | None = None) -> None:  # pragma: no cover
        raise NotImplementedError

    def columns(self, view: str) -> dict[str, str]:
        """Column name -> engine type name (upper case) of a view."""
        raise NotImplementedError  # pragma: no cover

    # Dialect pieces that transpiling cannot get right (or gets slow): written per engine.
    def strip(self, column: str, row_flag: str | None = None) -> str:
        """SQL: the text stripped of white space as Python's ``str.strip`` does, empty text as NULL.

        ``row_flag`` names a boolean column from :meth:`padded_row` (True when some text cell of the
        row starts or ends with white space); engines that have one strip only those rows.
        """
        return f"NULLIF(trim({column}, {sql_str(WHITESPACE)}), '')"

    def padded_row(self, columns: list[str]) -> str | None:
        """SQL: True when one of the text ``columns`` starts or ends with white space (None: not used).

        It may use the columns of :meth:`padded_inputs`, computed in the projection below it.
        """
        return None

    def padded_inputs(self, columns: list[str]) -> list[str]:
        """``expression AS name`` helpers :meth:`padded_row` reads (computed once per row)."""
        return []

    def key_hash(self, columns: list[str]) -> str:
        """SQL: a 64-bit hash of the key columns (distinct hashes prove distinct keys)."""
        return f"xxhash64({', '.join(columns)})"

    def partitions(self, n_keys: int) -> int:
        """In how many hash partitions to count ``n_keys`` distinct keys (1: one query)."""
        return 1

    def materialize(self, name: str, select: str) -> None:
        """Keep the result of ``select`` as ``name`` for several later queries (here: a view, recomputed)."""
        self.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")

    def drop(self, name: str) -> None:
        """Forget what :meth:`materialize` kept as ``name``."""
        self.execute(f"DROP VIEW IF EXISTS {name}")

    def local_time(self, text: str) -> str:
        """SQL turning text with a UTC offset or ``Z`` into the shop's naive local time."""
        raise NotImplementedError  # pragma: no cover

    def aware_to_local(self, column: str) -> str:
        """SQL turning a time-zone-aware timestamp column into the shop's naive local time."""
        raise NotImplementedError  # pragma: no cover

    def close(self) -> None:
        """Release the connection/session."""


class DuckDBEngine(Engine):
    """In-process DuckDB: the default. Spills to ``temp_dir`` when an aggregate outgrows memory.

    Example:
        >>> e = DuckDBEngine(time_zone="Asia/Shanghai")
        >>> e.query("SELECT " + e.local_time("'2024-06-18T02:00:00Z'") + " AS t")["t"][0]
        Timestamp('2024-06-18 10:00:00')
    """

    name = "duckdb"

    def __init__(self, time_zone: str = DEFAULT_TIME_ZONE, threads: int | None = None,
                 memory_limit: str | None = None, temp_dir: Path | None = None) -> None:
        self.time_zone = time_zone
        self.con = duckdb.connect(database=":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET preserve_insertion_order = false")  # ordered results say ORDER BY
        # jemalloc's background threads hand freed memory back to the system: without them a 3.8M-customer
        # aggregate left 0.7 GB resident after it finished (notebook 05 at 10M lines)
        self.con.execute("SET allocator_background_threads = true")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        # the exact string configured (DuckDB reads it back rounded, "1.1 GiB"): what capped_memory restores
        self.memory_limit = memory_limit or None
        if memory_limit:
            self.con.execute(f"SET memory_limit = {sql_str(memory_limit)}")
        if temp_dir is not None:
            self.con.execute(f"SET temp_directory = {sql_str(str(temp_dir))}")

    def query(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    @contextlib.contextmanager
    def capped_memory(self, limit: str) -> Iterator[None]:
        """DuckDB's total memory (``memory_limit``: buffers, hash tables, temporary tables) at most ``limit``
        inside the block, then exactly what the engine was configured with (``RESET`` when nothing was).

        The cap is only ever lowered: an engine configured below ``limit`` keeps its own setting. Beyond
        the cap DuckDB spills to the engine's temp folder.

        Example:
            >>> e = DuckDBEngine(memory_limit="1200MB")
            >>> with e.capped_memory("500MB"):
            ...     inside = e.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
            >>> inside, e.memory_limit
            ('476.8 MiB', '1200MB')
        """
        configured = self.memory_limit
        lower = configured is None or memory_bytes(configured) > memory_bytes(limit)
        if lower:
            self.con.execute(f"SET memory_limit = {sql_str(limit)}")
        try:
            yield
        finally:
            if lower:
                self.con.execute("RESET memory_limit" if configured is None
                                 else f"SET memory_limit = {sql_str(configured)}")

    def arrow(self, sql: str):  # noqa: ANN201 - pyarrow.Table
        """The result as a pyarrow Table (no pandas conversion).

        DuckDB 2 renamed ``fetch_arrow_table`` to ``to_arrow_table``; both are accepted (the project pins
        ``duckdb>=1.1``).
        """
        res = self.con.execute(sql)
        fetch = getattr(res, "to_arrow_table", None) or res.fetch_arrow_table
        return fetch()

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def register_parquet(self, view: str, path: str, row_number: str | None = None) -> None:
        rn = ", file_row_number = true" if row_number else ""
        select = "*"
        if row_number:
            select = f"* EXCLUDE (file_row_number), file_row_number AS {row_number}"
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {select} "
                         f"FROM read_parquet({sql_str(path)}{rn})")

    def columns(self, view: str) -> dict[str, str]:
        rows = self.con.execute(f"DESCRIBE {view}").fetchall()
        return {str(r[0]): str(r[1]).upper() for r in rows}

    def strip(self, column: str, row_flag: str | None = None) -> str:
        # trim() with a character set costs 10x plain trim in DuckDB (measured at 10M lines): only rows
        # where some text cell starts or ends with white space (one regular expression per row) go
        # through it.
        if row_flag is None:
            return super().strip(column)
        return f"CASE WHEN {row_flag} THEN {super().strip(column)} ELSE NULLIF({column}, '') END"

    def padded_row(self, columns: list[str]) -> str | None:
        # Per cell: first character by string comparison, last one by the same on reverse(): about the cost
        # of decoding the strings, where one regular expression over the joined row cost 3-5x that (10M lines).
        if not columns:
            return None
        # Inside CASE WHEN the OR/AND chain is evaluated with selection vectors (short-circuit); as a plain
        # projected boolean DuckDB evaluates every branch on every row (4x slower at 10M lines).
        return "CASE WHEN " + " OR ".join(f"{starts_padded(c)} OR {ends_padded(c, f'__rev_{i}')}"
                                          for i, c in enumerate(columns)) + " THEN true ELSE false END"

    def padded_inputs(self, columns: list[str]) -> list[str]:
        return [f"reverse({c}) AS __rev_{i}" for i, c in enumerate(columns)]

    def key_hash(self, columns: list[str]) -> str:
        return f"hash({', '.join(columns)})"

    def partitions(self, n_keys: int) -> int:
        return max(1, -(-n_keys // KEYS_PER_PARTITION))

    def materialize(self, name: str, select: str) -> None:
        # A temporary table: computed once, held in DuckDB's buffer pool (spilled beyond memory_limit).
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {select}")

    def drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def local_time(self, text: str) -> str:
        return f"timezone({sql_str(self.time_zone)}, TRY_CAST({text} AS TIMESTAMPTZ))"

    def aware_to_local(self, column: str) -> str:
        return f"timezone({sql_str(self.time_zone)}, {column})"

    def close(self) -> None:
        self.con.close()


_SPARK_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "double": "DOUBLE",
                "timestamp": "TIMESTAMP", "timestamp_ntz": "TIMESTAMP", "date": "DATE", "boolean": "BOOLEAN",
                "float": "FLOAT", "smallint": "SMALLINT", "tinyint": "TINYINT"}


class SparkEngine(Engine):
    """A Spark session (``local[N]`` in tests, a cluster master in production); SQL transpiled by sqlglot.

    Spark reads Parquet with nanosecond timestamps only as longs; ``register_parquet`` converts such
    columns back to timestamps (microseconds). Row numbers come from ``_metadata.row_index``.
    """

    name = "spark"

    def __init__(self, time_zone: str = DEFAULT_TIME_ZONE, master: str = "local[2]",
                 conf: dict[str, str] | None = None, session: Any = None) -> None:
        self.time_zone = time_zone
        if session is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise SettingsError("engine: spark needs PySpark: pip install 'opsplaybook[spark]' "
                                    "(and Java 17, e.g. apt-get install openjdk-17-jre-headless)") from None
            builder = (SparkSession.builder.master(master).appName("opslib")
                       .config("spark.sql.session.timeZone", "UTC")
                       .config("spark.sql.legacy.parquet.nanosAsLong", "true")
                       .config("spark.sql.shuffle.partitions", "8")
                       .config("spark.ui.enabled", "false"))
            for k, v in (conf or {}).items():
                builder = builder.config(k, v)
            session = builder.getOrCreate()
            session.sparkContext.setLogLevel("ERROR")
        self.spark = session

    def transpile(self, sql: str) -> str:
        """DuckDB SQL as Spark SQL."""
        import sqlglot

        return sqlglot.transpile(sql, read="duckdb", write="spark")[0]

    def query(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(self.transpile(sql)).toPandas()

    def execute(self, sql: str) -> None:
        m = re.match(r"\s*CREATE\s+OR\s+REPLACE\s+VIEW\s+(\w+)\s+AS\s+(.*)$", sql, re.S | re.I)
        if m:  # a temporary view in Spark (sqlglot would write CREATE OR REPLACE VIEW, a catalog view)
            self.spark.sql(self.transpile(m[2])).createOrReplaceTempView(m[1])
            return
        self.spark.sql(self.transpile(sql))

    def register_parquet(self, view: str, path: str, row_number: str | None = None) -> None:
        df = self.spark.read.parquet(path)
        nanos = _nanosecond_columns(path)
        cols = [f"timestamp_micros(div(`{c}`, 1000)) AS `{c}`" if c in nanos else f"`{c}`" for c in df.columns]
        if row_number:
            cols.append(f"_metadata.row_index AS {row_number}")
        df.selectExpr(*cols).createOrReplaceTempView(view)

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def columns(self, view: str) -> dict[str, str]:
        return {f.name: _SPARK_TYPES.get(f.dataType.simpleString(), f.dataType.simpleString().upper())
                for f in self.spark.table(view).schema.fields}

    def local_time(self, text: str) -> str:
        # Spark parses the offset into an instant (session time zone UTC), then shifts to the shop's zone.
        return f"from_utc_timestamp(to_timestamp({text}), {sql_str(self.time_zone)})"

    def aware_to_local(self, column: str) -> str:
        return f"from_utc_timestamp({column}, {sql_str(self.time_zone)})"


def _nanosecond_columns(path: str) -> set[str]:
    """Columns stored as nanosecond timestamps in a local Parquet file (empty for remote paths)."""
    if "://" in path and not path.startswith("file://"):
        return set()
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path.removeprefix("file://"))
    except (OSError, pa.ArrowInvalid):
        return set()
    return {f.name for f in schema if pa.types.is_timestamp(f.type) and f.type.unit == "ns"}


def make_engine(settings: ShopSettings | None = None, cache: Path | None = None) -> Engine:
    """The engine ``settings`` name, configured (DuckDB spills into ``cache``/duckdb_tmp).

    Parameters:
        settings: the shop's settings (default: DuckDB, Asia/Shanghai). cache: the staging cache folder.

    Returns:
        A :class:`DuckDBEngine` or :class:`SparkEngine`.

    Example:
        >>> make_engine().name
        'duckdb'
    """
    settings = settings or ShopSettings()
    if settings.engine == "spark":
        spark = dict(settings.spark)
        conf = {str(k): str(v) for k, v in (spark.pop("conf", None) or {}).items()}
        master = str(spark.pop("master", "local[2]"))
        conf.update({str(k): str(v) for k, v in spark.items()})
        return SparkEngine(time_zone=settings.timezone, master=master, conf=conf)
    temp: Path | None = (cache or cache_root(settings)) / "duckdb_tmp"
    try:
        temp.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
    except OSError:  # a cache folder that cannot be written: spill to the system's temporary folder
        import tempfile

        temp = Path(tempfile.gettempdir()) / f"opsplaybook-duckdb-{os.getuid() if hasattr(os, 'getuid') else 0}"
        try:
            temp.mkdir(parents=True, exist_ok=True)
        except OSError:
            temp = None
    # shop.yml's threads, else $OPSLIB_DUCKDB_THREADS (the report runner sets it: its kernels share the cores)
    env_threads = os.environ.get("OPSLIB_DUCKDB_THREADS", "")
    threads = settings.threads or (int(env_threads) if env_threads.isdigit() and int(env_threads) > 0 else None)
    return DuckDBEngine(time_zone=settings.timezone, threads=threads,
                        memory_limit=settings.memory_limit or DEFAULT_MEMORY_LIMIT, temp_dir=temp)
