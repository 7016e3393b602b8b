"""Where order lines live and are computed: DuckDB in process (default) or a Spark session.

A shop folder may hold a ``shop.yml`` next to its files::

    engine: duckdb            # or spark
    time_zone: Asia/Shanghai  # the shop's clock: offsets and aware timestamps are converted to it
    cache: /data/opslib-cache # where CSV/Excel are staged as Parquet (default: see below)
    sheets: {orders: [2023, 2024]}   # Excel: which sheet(s) hold a table (stacked in this order)
    spark:
      master: local[2]        # or spark://host:7077, yarn, k8s://...
      conf: {spark.driver.memory: 4g}
    tables:                   # optional: a table somewhere else than the folder (Parquet path/URI)
      orders: s3a://bucket/shop/orders.parquet

Queries are written once in DuckDB's SQL dialect (see ``docs/engine.md`` for why not Ibis). The DuckDB
engine runs them as written; the Spark engine transpiles them with sqlglot (``read="duckdb",
write="spark"``). Functions whose meaning differs between engines (time zones, row positions) are
built by the engine's own helpers, never transpiled.

The staging cache is ``$OPSLIB_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/opsplaybook`` (default
``~/.cache/opsplaybook``), never inside the user's shop folder unless ``cache:`` says so.

Example:
    >>> eng = DuckDBEngine()
    >>> eng.query("SELECT 1 + 1 AS two").to_dict("records")
    [{'two': 2}]
    >>> ShopSettings().engine, ShopSettings().time_zone
    ('duckdb', 'Asia/Shanghai')
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from opslib.errors import UserError

__all__ = [
    "DEFAULT_TIME_ZONE",
    "DuckDBEngine",
    "Engine",
    "SettingsError",
    "ShopSettings",
    "SparkEngine",
    "cache_root",
    "make_engine",
    "read_settings",
]

DEFAULT_TIME_ZONE = "Asia/Shanghai"
# DuckDB's own memory (buffers, hash tables) stays under this unless shop.yml says otherwise; beyond it
# aggregates spill to the cache folder, so validation's peak memory does not grow with the lines.
DEFAULT_MEMORY_LIMIT = "1200MB"
SETTINGS_FILE = "shop.yml"
_KEYS = {"engine", "time_zone", "cache", "sheets", "spark", "tables", "threads", "memory_limit"}


class SettingsError(UserError):
    """``shop.yml`` names an unknown engine, key, time zone or a malformed value."""


@dataclass(frozen=True)
class ShopSettings:
    """What ``shop.yml`` says (defaults when the file is absent)."""

    engine: str = "duckdb"
    time_zone: str = DEFAULT_TIME_ZONE
    cache: Path | None = None
    sheets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    spark_master: str = "local[2]"
    spark_conf: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    threads: int | None = None
    memory_limit: str | None = None


def _valid_time_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
        return True
    except (ZoneInfoNotFoundError, ValueError):
        return False


def read_settings(folder: str | Path, override: dict[str, Any] | None = None) -> ShopSettings:
    """Settings of the shop in ``folder``: ``shop.yml`` if present, then ``override`` on top.

    Raises ``SettingsError`` naming the file, the key and what is allowed.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "shop.yml").write_text("engine: duckdb\\ntime_zone: Europe/Berlin\\n")
        >>> read_settings(d).time_zone
        'Europe/Berlin'
    """
    import yaml

    path = Path(folder) / SETTINGS_FILE
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise SettingsError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
        if not isinstance(loaded, dict):
            raise SettingsError(f"{path}: expected key: value lines (engine, time_zone, ...)")
        data.update(loaded)
    data.update(override or {})
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        raise SettingsError(f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_KEYS))}")
    engine = str(data.get("engine", "duckdb")).lower()
    if engine not in ("duckdb", "spark"):
        raise SettingsError(f"{path}: engine {engine!r} — expected duckdb or spark")
    tz = str(data.get("time_zone", DEFAULT_TIME_ZONE))
    if not _valid_time_zone(tz):
        raise SettingsError(f"{path}: time_zone {tz!r} is not a time zone name — expected e.g. Asia/Shanghai")
    sheets_raw = data.get("sheets") or {}
    if not isinstance(sheets_raw, dict):
        raise SettingsError(f"{path}: sheets — expected a mapping like {{orders: [2023, 2024]}}")
    sheets = {str(k): tuple(str(s) for s in (v if isinstance(v, list | tuple) else [v])) for k, v in sheets_raw.items()}
    spark = data.get("spark") or {}
    if not isinstance(spark, dict):
        raise SettingsError(f"{path}: spark — expected a mapping with master and conf")
    cache = data.get("cache")
    return ShopSettings(
        engine=engine,
        time_zone=tz,
        cache=(Path(folder) / str(cache)) if cache else None,
        sheets=sheets,
        spark_master=str(spark.get("master", "local[2]")),
        spark_conf={str(k): str(v) for k, v in (spark.get("conf") or {}).items()},
        tables={str(k): str(v) for k, v in (data.get("tables") or {}).items()},
        threads=int(data["threads"]) if data.get("threads") else None,
        memory_limit=str(data["memory_limit"]) if data.get("memory_limit") else None,
    )


def cache_root(settings: ShopSettings | None = None) -> Path:
    """The folder where staged Parquet copies of CSV/Excel files are kept (created on demand)."""
    if settings is not None and settings.cache is not None:
        return settings.cache
    env = os.environ.get("OPSLIB_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "opsplaybook"


def sql_str(value: str) -> str:
    """A SQL string literal (single quotes doubled)."""
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

    # Dialect pieces that transpiling cannot get right: written per engine.
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
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = {sql_str(memory_limit)}")
        if temp_dir is not None:
            self.con.execute(f"SET temp_directory = {sql_str(str(temp_dir))}")

    def query(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def arrow(self, sql: str):  # noqa: ANN201 - pyarrow.Table
        """The result as a pyarrow Table (no pandas conversion)."""
        return self.con.execute(sql).fetch_arrow_table()

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


def make_engine(settings: ShopSettings) -> Engine:
    """The engine ``settings`` name, configured (DuckDB spills into the cache folder)."""
    if settings.engine == "spark":
        return SparkEngine(time_zone=settings.time_zone, master=settings.spark_master, conf=settings.spark_conf)
    temp = cache_root(settings) / "duckdb_tmp"
    temp.mkdir(parents=True, exist_ok=True)
    return DuckDBEngine(time_zone=settings.time_zone, threads=settings.threads,
                        memory_limit=settings.memory_limit or DEFAULT_MEMORY_LIMIT, temp_dir=temp)
