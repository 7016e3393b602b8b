"""A shop opened on its engine: one typed view per table over its files, checked in SQL.

* ``open_shop(path, tables=None, settings=None, engine=None) -> ShopData``: stage and register the
  files (``opslib.data.staging``), build the typed views (``opslib.data.sql_checks``); file-level
  problems are collected in ``ShopData.fatal``;
* ``check_shop(data, progress=None) -> list[Problem]``: every contract rule, in the loader's order;
* ``ShopData.frame(name)``: a typed pandas frame; ``ShopData.query(sql)``: any aggregate;
* ``read_table(path, table) -> DataFrame``: one file, typed per the contract, not validated.

Example:
    >>> import tempfile, pathlib, os
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> os.environ.setdefault("OPSLIB_CACHE_DIR", str(d / ".cache"))  # doctest: +ELLIPSIS
    '...'
    >>> _ = (d / "products.csv").write_text("sku,name,category,subcategory,brand,unit_cost,launch_date\\n"
    ...                                    "S1,精华,美妆,护肤,花漾,41.5,2023-03-01\\n", encoding="utf-8")
    >>> _ = (d / "orders.csv").write_text("order_id,order_ts,customer_id,sku,quantity,unit_price,list_price,"
    ...     "channel,region,status,campaign_id\\nO1,2024-06-18T02:31:00Z,C1,S1,2,89,99,app,华东,completed,\\n",
    ...     encoding="utf-8")
    >>> data = open_shop(d, ["orders", "products"])
    >>> check_shop(data)
    []
    >>> data.frame("orders")["order_ts"][0]   # 02:31 UTC is 10:31 in Asia/Shanghai
    Timestamp('2024-06-18 10:31:00')
    >>> data.query("SELECT sum(quantity * unit_price) AS gmv FROM orders")["gmv"][0]
    np.float64(178.0)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opslib.data import sql_checks as checks
from opslib.data.contract import TABLES
from opslib.data.engine import Engine, cache_root, make_engine
from opslib.data.problems import SUFFIXES, Problem
from opslib.data.settings import ShopSettings, read_settings
from opslib.data.staging import FileProblem, stage
from opslib.errors import DataError

__all__ = ["ShopData", "check_shop", "open_shop", "progress_printer", "read_table"]

STR_DTYPE = pd.StringDtype(na_value=np.nan)


@dataclass
class ShopData:
    """A shop on an engine: one typed view per table that has a file."""

    path: Path
    settings: ShopSettings
    engine: Engine
    sources: dict[str, checks.TableSource] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fatal: list[Problem] = field(default_factory=list)
    validated: bool = False

    def has(self, name: str) -> bool:
        """True when table ``name`` is on the engine."""
        return name in self.sources

    def query(self, sql: str) -> pd.DataFrame:
        """Run SQL (DuckDB dialect; transpiled for Spark) over the table views; returns a frame."""
        return self.engine.query(sql)

    def frame(self, name: str, columns: Iterable[str] | None = None, where: str | None = None) -> pd.DataFrame:
        """Table ``name`` as a typed pandas frame (contract columns in order, extras after), file order."""
        src = self.sources[name]
        cols = list(columns) if columns is not None else [c for c in src.spec.column_names if c in src.present] + src.extras
        sel = ", ".join(checks.q(c) for c in cols)
        df = self.engine.query(f"SELECT {sel} FROM {name}{' WHERE ' + where if where else ''} ORDER BY __rn")
        return _typed_frame(df, src)

    def rows(self, name: str) -> int:
        """Number of data rows of a table (one count on the engine)."""
        return int(self.engine.query(f"SELECT count(*) AS n FROM {name}")["n"][0])

    def parquet(self, name: str) -> Path:
        """Table ``name`` with the contract's types as one Parquet file, for DuckDB queries outside the engine.

        Every opslib function that aggregates lines with its own DuckDB query (campaigns, customers, operations,
        pricing, forecasting) reads this file, so the lines never pass through pandas. It is written once per
        version of the user's file (path, size, modification time) into the cache (``opslib.data.engine.cache_root``),
        streaming (memory does not grow with lines), and reused after that.

        Parameters:
            name: a table of the shop.

        Returns:
            The path of the typed Parquet file.
        """
        import hashlib
        import os

        from opslib.data.engine import DuckDBEngine
        from opslib.errors import SettingsError

        if name not in self.sources:
            raise KeyError(f"no {name} table in {self.path}")
        if not isinstance(self.engine, DuckDBEngine):
            raise SettingsError(f"this analysis reads {name} with DuckDB on this machine; with engine: spark use the "
                                "engine's aggregates (opslib.data.aggregates) or run it on a DuckDB copy of the shop")
        src = self.sources[name]
        stat = os.stat(src.staged.file)
        key = hashlib.sha1(f"{src.staged.file}|{stat.st_size}|{stat.st_mtime_ns}|{name}|{self.settings.timezone}"
                           .encode()).hexdigest()[:16]
        folder = cache_root(self.settings, self.path) / "typed"
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / f"{name}-{key}.parquet"
        if not out.exists():
            tmp = folder / f".{name}-{key}.{os.getpid()}.tmp"
            self.engine.execute(f"COPY (SELECT * EXCLUDE (__rn) FROM {name}) TO '{tmp.as_posix()}' (FORMAT PARQUET)")
            os.replace(tmp, out)
        return out


def _typed_frame(df: pd.DataFrame, src: checks.TableSource) -> pd.DataFrame:
    """Pandas dtypes of the contract: str (NaN = empty), int64 (float64 with gaps), float64, datetime64[ns]."""
    out = {}
    kinds = {c.name: c.kind for c in src.spec.columns}
    for col in df.columns:
        s = df[col]
        kind = kinds.get(col, "str")
        if kind == "str":
            s = s.astype(object).where(s.notna(), None).astype(STR_DTYPE)
        elif kind == "int":
            s = s.astype("float64")
            s = s.astype("int64") if s.notna().all() else s
        elif kind == "float":
            s = s.astype("float64")
        else:
            s = pd.to_datetime(s).astype("datetime64[ns]")
        out[col] = s
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def _table_names(tables: Iterable[str] | None) -> list[str]:
    names = list(TABLES) if tables is None else list(dict.fromkeys(tables))
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; contract tables are {list(TABLES)}")
    return names


def _missing_table_problem(folder: Path, name: str) -> Problem:
    files = ", ".join(f"{name}{s}" for s in SUFFIXES[:-1]) + f" or {name}{SUFFIXES[-1]}"
    return Problem(table=name, file=name, issue=f"required table missing in {folder}", expected=files)


def _settings(folder: Path, settings: ShopSettings | dict[str, Any] | None) -> ShopSettings:
    if isinstance(settings, ShopSettings):
        return settings
    if settings:
        return ShopSettings.from_mapping(settings)
    return read_settings(folder)


def open_shop(path: str | Path, tables: Iterable[str] | None = None,
              settings: ShopSettings | dict[str, Any] | None = None, engine: Engine | None = None,
              progress: checks.Progress | None = None) -> ShopData:
    """Stage and register the shop's files on its engine. File-level problems are collected in ``fatal``.

    ``settings`` overrides ``shop.yml`` keys (e.g. ``{"engine": "spark"}``); ``engine`` reuses a session;
    ``progress`` gets one line per CSV/Excel file converted to Parquet (rows, seconds).
    """
    folder = Path(path)
    conf = _settings(folder, settings)
    cache = cache_root(conf, folder)
    eng = engine or make_engine(conf, cache)
    shop = ShopData(path=folder, settings=conf, engine=eng)
    for name in _table_names(tables):
        spec = TABLES[name]
        where = conf.tables.get(name)
        files = [Path(where)] if where else [folder / f"{name}{s}" for s in SUFFIXES if (folder / f"{name}{s}").is_file()]
        if len(files) > 1:
            shop.fatal.append(Problem(table=name, file=name,
                                      issue=f"{len(files)} files for one table ({', '.join(f.name for f in files)})",
                                      expected="exactly one file per table: remove all but one"))
            continue
        if not files:
            shop.missing.append(name)
            if spec.required:
                shop.fatal.append(_missing_table_problem(folder, name))
            else:
                shop.notes.append(f"{name}: no file (optional table); analyses that need it are skipped")
            continue
        try:
            t0 = time.perf_counter()
            staged = stage(files[0], name, cache, conf.sheets.get(name))
            src = checks.build_views(eng, staged)
            if progress is not None and staged.kind != "parquet":
                n = int(eng.query(f"SELECT count(*) AS n FROM src_{name}")["n"][0])  # Parquet metadata: no scan
                progress(f"{staged.name}: {n:,} rows read into the engine in {time.perf_counter() - t0:.1f} s")
        except FileProblem as e:
            shop.fatal.append(e.problem)
            continue
        except OSError as e:
            shop.fatal.append(Problem(table=name, file=files[0].name, issue=f"cannot be read ({e.strerror or e})",
                                      expected="a readable file"))
            continue
        shop.fatal += checks.missing_column_problems(src)
        shop.notes += src.notes
        shop.sources[name] = src
    return shop


def _order(problems: list[Problem]) -> list[Problem]:
    order = {n: i for i, n in enumerate(TABLES)}
    return sorted(problems, key=lambda p: order.get(p.table, len(order)))


def check_shop(shop: ShopData, progress: checks.Progress | None = None, stamp: bool = True) -> list[Problem]:
    """Every problem of an opened shop (fatal ones first per table, then values, references).

    A clean result is recorded in the cache (``opslib.data.stamp``) unless ``stamp`` is False, so that
    ``load_shop`` of the same files need not check them again.
    """
    problems = list(shop.fatal)
    broken: list[str] = []
    keys = checks.KeyTables(shop.engine, shop.sources)  # referenced values, shared between tables
    try:
        for name, src in shop.sources.items():
            try:
                problems += checks.table_problems(shop.engine, src, progress, others=shop.sources, keys=keys)
            except FileProblem as e:
                problems.append(e.problem)
                broken.append(name)
        shop.notes = [n for n in shop.notes if n not in sum((s.notes for s in shop.sources.values()), [])]
        shop.notes += [n for s in shop.sources.values() for n in s.notes]
        live = {n: s for n, s in shop.sources.items() if n not in broken}
        keys.sources = live
        checks.partitioned_references(shop.engine, live, keys, progress)
        problems += checks.reference_problems(shop.engine, live, keys)
    finally:
        keys.close()
    for name in broken:
        shop.sources.pop(name, None)
    shop.validated = True
    if not problems:  # clean: aggregates may read the files without re-typing every cell
        for src in shop.sources.values():
            checks.fast_view(shop.engine, src)
        if stamp:  # the next open of the same files skips the checks (opslib.data.stamp)
            from opslib.data.stamp import write_stamp

            write_stamp(shop)
    return _order(problems)


def progress_printer() -> checks.Progress:
    """A progress callback printing ``[validate   12.3s] message`` lines to stderr."""
    t0 = time.perf_counter()

    def show(msg: str) -> None:
        print(f"[validate {time.perf_counter() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return show


def read_table(path: str | Path, table: str, settings: ShopSettings | dict[str, Any] | None = None) -> pd.DataFrame:
    """Read one table file and type its columns per the contract (no value checks).

    Raises ``DataError`` when the file cannot be read or lacks a contract column.
    """
    file = Path(path)
    conf = _settings(file.parent, settings)
    cache = cache_root(conf, file.parent)
    eng = make_engine(conf, cache)
    try:
        src = checks.build_views(eng, stage(file, table, cache, conf.sheets.get(table)))
    except FileProblem as e:
        raise DataError([e.problem], header=f"Cannot read {file.name}:") from None
    fatal = checks.missing_column_problems(src)
    if fatal:
        raise DataError(fatal, header=f"Cannot read {file.name}:")
    data = ShopData(path=file.parent, settings=conf, engine=eng, sources={table: src})
    return data.frame(table)


