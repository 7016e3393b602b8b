"""A shop opened in the engine: relations over its files, validation as SQL, frames only on request.

Public API (the same calls and messages as the pandas loader, the lines never all in pandas):

* ``open_shop(path, tables=None, settings=None) -> ShopData``: engine views ``orders``, ``products``
  ... over the files (typed per the contract); ``ShopData.frame(name)`` gives a typed pandas frame,
  ``ShopData.query(sql)`` any aggregate (see ``opslib.lines.aggregates``);
* ``validate_shop(path, progress=None) -> ValidationReport`` — never raises for mistakes in the data;
  ``validate_main(argv)`` is ``python -m opslib validate DIR`` with a progress line on stderr;
* ``load_shop(path, tables=None, validate=True) -> Shop``: frames materialised on first access
  (``shop.orders``), so a notebook that only asks for aggregates (``shop.lines``) never holds lines;
* ``read_table(path, table) -> DataFrame``: one file, typed, not validated.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "products.csv").write_text("sku,name,category,subcategory,brand,unit_cost,launch_date\\n"
    ...                                    "S1,精华,美妆,护肤,花漾,41.5,2023-03-01\\n", encoding="utf-8")
    >>> _ = (d / "orders.csv").write_text("order_id,order_ts,customer_id,sku,quantity,unit_price,list_price,"
    ...     "channel,region,status,campaign_id\\nO1,2024-06-18T02:31:00Z,C1,S1,2,89,99,app,华东,completed,\\n",
    ...     encoding="utf-8")
    >>> shop = load_shop(d, settings={"cache": str(d / ".cache")})
    >>> shop.orders["order_ts"][0], shop.orders.dtypes["quantity"]
    (Timestamp('2024-06-18 10:31:00'), dtype('int64'))
    >>> shop.lines.query("SELECT sum(quantity * unit_price) AS gmv FROM orders")["gmv"][0]
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

from opslib.contract import TABLES
from opslib.lines import checks
from opslib.lines.engine import Engine, SettingsError, ShopSettings, cache_root, make_engine, read_settings
from opslib.lines.files import SUFFIXES, FileProblem, stage
from opslib.lines.problems import DataError, MissingTableError, Problem

__all__ = ["Shop", "ShopData", "load_shop", "open_shop", "read_table", "validate_main", "validate_shop"]

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
    return read_settings(folder, settings)


def open_shop(path: str | Path, tables: Iterable[str] | None = None,
              settings: ShopSettings | dict[str, Any] | None = None, engine: Engine | None = None) -> ShopData:
    """Stage and register the shop's files on its engine. File-level problems are collected in ``fatal``.

    ``settings`` overrides ``shop.yml`` keys (e.g. ``{"engine": "spark"}``); ``engine`` reuses a session.
    """
    folder = Path(path)
    conf = _settings(folder, settings)
    eng = engine or make_engine(conf)
    shop = ShopData(path=folder, settings=conf, engine=eng)
    cache = cache_root(conf)
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
            staged = stage(files[0], name, cache, conf.sheets.get(name, ()))
            src = checks.build_views(eng, staged)
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


def check_shop(shop: ShopData, progress: checks.Progress | None = None) -> list[Problem]:
    """Every problem of an opened shop (fatal ones first per table, then values, references)."""
    problems = list(shop.fatal)
    broken: list[str] = []
    for name, src in shop.sources.items():
        try:
            problems += checks.table_problems(shop.engine, src, progress)
        except FileProblem as e:
            problems.append(e.problem)
            broken.append(name)
    shop.notes = [n for n in shop.notes if n not in sum((s.notes for s in shop.sources.values()), [])]
    shop.notes += [n for s in shop.sources.values() for n in s.notes]
    live = {n: s for n, s in shop.sources.items() if n not in broken}
    problems += checks.reference_problems(shop.engine, live)
    for name in broken:
        shop.sources.pop(name, None)
    shop.validated = True
    if not problems:  # clean: aggregates may read the files without re-typing every cell
        for src in shop.sources.values():
            checks.fast_view(shop.engine, src)
    return _order(problems)


def _progress_printer() -> checks.Progress:
    t0 = time.perf_counter()

    def show(msg: str) -> None:
        print(f"[validate {time.perf_counter() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return show


def validate_shop(path: str | Path, progress: checks.Progress | None = None,
                  settings: ShopSettings | dict[str, Any] | None = None):  # noqa: ANN201 - ValidationReport
    """Check every table of a shop against the contract on its engine. Never raises for mistakes in the data."""
    from opslib.data import TableSummary, ValidationReport

    folder = Path(path)
    if not folder.is_dir():
        p = Problem(table="", file=str(folder), issue="not a folder", expected="a folder with one file per table")
        return ValidationReport(path=folder, problems=[p], notes=[], tables={}, missing=list(TABLES))
    try:
        shop = open_shop(folder, settings=settings)
    except SettingsError as e:
        p = Problem(table="", file=str(folder / "shop.yml"), issue=str(e), expected="a valid shop.yml")
        return ValidationReport(path=folder, problems=[p], notes=[], tables={}, missing=[])
    problems = check_shop(shop, progress)
    tables = {}
    for name, src in shop.sources.items():
        s = TableSummary(table=name, file=src.staged.name, rows=src.n_rows, row_label=src.staged.row_label)
        if src.summary:
            s.date_column, s.date_min, s.date_max = src.summary["column"], src.summary["min"], src.summary["max"]
        tables[name] = s
    shop.engine.close()
    return ValidationReport(path=folder, problems=problems, notes=shop.notes, tables=tables, missing=shop.missing)


class Shop:
    """A loaded shop: one typed frame per contract table, read into pandas on first access.

    ``shop.orders`` is a pandas frame as before (read when first touched); ``shop.lines`` is the
    :class:`ShopData` on the engine for aggregates that never bring the lines into pandas.
    """

    def __init__(self, data: ShopData, available: list[str]) -> None:
        self.lines = data
        self.path = data.path
        self.available = available
        self.missing = list(data.missing)
        self.files = {n: Path(s.staged.file) for n, s in data.sources.items()}
        self.notes = list(data.notes)
        self._frames: dict[str, pd.DataFrame] = {}

    def __getattr__(self, name: str) -> Any:
        if name in TABLES:
            if name not in self.available:
                return None
            if name not in self._frames:
                self._frames[name] = self.lines.frame(name)
            return self._frames[name]
        raise AttributeError(name)

    def has(self, name: str) -> bool:
        """True when table ``name`` was loaded."""
        return name in self.available

    def require(self, *names: str, purpose: str) -> None:
        """Raise ``MissingTableError`` naming the absent tables and what they were needed for."""
        absent = [n for n in names if not self.has(n)]
        if absent:
            problems = [Problem(table=n, file=n, issue=f"missing in {self.path}",
                                expected=f"{n}.csv, {n}.parquet or {n}.xlsx for {purpose}") for n in absent]
            files = ", ".join(f"{n}.csv" for n in absent)
            raise MissingTableError(problems, header=f"{purpose} needs {files} (or .parquet/.xlsx) in {self.path}:")

    def skip_message(self, name: str, what: str) -> str:
        """A friendly line for notebooks when a table is absent."""
        return f"no {name} table in {self.path} ({name}.csv, .parquet or .xlsx): skipping {what}"


def load_shop(path: str | Path, tables: Iterable[str] | None = None, validate: bool = True,
              settings: ShopSettings | dict[str, Any] | None = None) -> Shop:
    """Open a shop on its engine and check it; frames are read into pandas only when accessed.

    With ``validate`` every contract rule is checked and any problem raises ``DataError``; without it
    only unreadable files, missing tables/columns raise and unparseable values become missing.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError([Problem(table="", file=str(folder), issue="not a folder",
                                 expected="a folder with one file per table")], header="Cannot load the shop:")
    names = _table_names(tables)
    data = open_shop(folder, names, settings=settings)
    if validate:
        problems = check_shop(data)
    else:
        problems = sorted(data.fatal, key=lambda p: names.index(p.table) if p.table in names else 0)
        for name, src in list(data.sources.items()):
            if data.engine.query(f"SELECT count(*) AS n FROM (SELECT 1 FROM {name} LIMIT 1) t")["n"][0] == 0:
                problems.append(Problem(table=name, file=src.staged.name, issue="no data rows (header only)",
                                        expected=checks.EXPECTED_NONEMPTY_FILE))
    if problems:
        raise DataError(problems, header=f"The shop in {folder} does not meet the data contract:")
    return Shop(data, [n for n in names if n in data.sources])


def read_table(path: str | Path, table: str, settings: ShopSettings | dict[str, Any] | None = None) -> pd.DataFrame:
    """Read one table file and type its columns per the contract (no value checks).

    Raises ``DataError`` when the file cannot be read or lacks a contract column.
    """
    file = Path(path)
    conf = _settings(file.parent, settings)
    eng = make_engine(conf)
    try:
        src = checks.build_views(eng, stage(file, table, cache_root(conf), conf.sheets.get(table, ())))
    except FileProblem as e:
        raise DataError([e.problem], header=f"Cannot read {file.name}:") from None
    fatal = checks.missing_column_problems(src)
    if fatal:
        raise DataError(fatal, header=f"Cannot read {file.name}:")
    data = ShopData(path=file.parent, settings=conf, engine=eng, sources={table: src})
    return data.frame(table)


USAGE = "usage: python -m opslib validate DIR\n  check a shop folder against the data contract"


def validate_main(argv: list[str]) -> int:
    """``python -m opslib validate DIR``: print the report; exit 0 clean, 1 problems, 2 usage error."""
    from opslib.data import format_report

    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if len(argv) != 1:
        print(USAGE, file=sys.stderr)
        return 2
    folder = Path(argv[0])
    if not folder.is_dir():
        print(f"opslib validate: {folder} is not a folder\n{USAGE}", file=sys.stderr)
        return 2
    report = validate_shop(folder, progress=_progress_printer())
    print(format_report(report))
    return 0 if report.ok else 1
