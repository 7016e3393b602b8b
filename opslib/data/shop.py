"""A loaded shop: the tables on the engine, typed pandas frames on first access, and ``load_shop``.

``load_shop`` opens the shop's files on its engine (``opslib.data.relations``), checks the contract in
SQL and returns a :class:`Shop`. ``shop.orders`` (and every table) is a typed pandas frame read when
first accessed, so a notebook that asks only for aggregates (``opslib.data.aggregates`` over
``shop.lines``) never holds the order lines in memory.

Example:
    >>> import tempfile, pathlib, os
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> os.environ.setdefault("OPSLIB_CACHE_DIR", str(d / ".cache"))  # doctest: +ELLIPSIS
    '...'
    >>> _ = (d / "products.csv").write_text("sku,name,category,subcategory,brand,unit_cost,launch_date\\n"
    ...                                    "S1,精华,美妆,护肤,花漾,41.5,2023-03-01\\n", encoding="utf-8")
    >>> _ = (d / "orders.csv").write_text("order_id,order_ts,customer_id,sku,quantity,unit_price,list_price,"
    ...     "channel,region,status,campaign_id\\nO1,2024/06/18 10:31,C1,S1,2,89,99,app,华东,completed,\\n",
    ...     encoding="utf-8")
    >>> shop = load_shop(d)
    >>> shop.orders.dtypes["quantity"], shop.orders.dtypes["order_ts"], shop.missing[:2]
    (dtype('int64'), dtype('<M8[ns]'), ['campaigns', 'traffic'])
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from opslib.data.contract import TABLES
from opslib.data.problems import EXPECTED_NONEMPTY_FILE, Problem
from opslib.data.relations import ShopData, _table_names, check_shop, open_shop
from opslib.data.settings import ShopSettings
from opslib.errors import DataError, MissingTableError

# ----------------------------------------------------------------------------------------- Shop


class Shop:
    """A loaded shop: one typed frame per contract table, read into pandas on first access.

    ``shop.orders`` is a pandas frame as before (read when first touched); ``shop.lines`` is the
    :class:`ShopData` on the engine for aggregates that never bring the lines into pandas. Built by
    ``load_shop``, or by hand from frames like the old dataclass (``Shop(path=p, orders=df)``).
    """

    def __init__(self, path: str | Path, available: list[str] | None = None, missing: list[str] | None = None,
                 files: dict[str, Path] | None = None, notes: list[str] | None = None,
                 settings: ShopSettings | None = None, lines: ShopData | None = None,
                 **frames: pd.DataFrame | None) -> None:
        unknown = sorted(set(frames) - set(TABLES))
        if unknown:
            raise TypeError(f"Shop() got unexpected table(s) {unknown}")
        self.lines = lines
        self.path = Path(path)
        self.settings = settings or (lines.settings if lines is not None else ShopSettings())
        given = {k: v for k, v in frames.items() if v is not None}
        self._frames: dict[str, pd.DataFrame] = dict(given)
        if available is None:
            available = [n for n in TABLES if n in given or (lines is not None and lines.has(n))]
        self.available = list(available)
        self.missing = list(missing if missing is not None else (lines.missing if lines is not None else []))
        self.files = dict(files if files is not None else
                          ({n: Path(s.staged.file) for n, s in lines.sources.items()} if lines is not None else {}))
        self.notes = list(notes if notes is not None else (lines.notes if lines is not None else []))

    def __getattr__(self, name: str) -> Any:
        if name in TABLES:
            frames = self.__dict__.get("_frames", {})
            if name in frames:
                return frames[name]
            lines = self.__dict__.get("lines")
            if lines is None or name not in self.__dict__.get("available", []):
                return None
            frames[name] = lines.frame(name)
            return frames[name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in TABLES:
            self.__dict__.setdefault("_frames", {})
            if value is None:
                self._frames.pop(name, None)
            else:
                self._frames[name] = value
            return
        super().__setattr__(name, value)

    def source(self, name: str) -> Any:
        """Table ``name`` for a DuckDB query without bringing it into pandas: a typed Parquet path when the shop
        is on its engine (:meth:`ShopData.parquet`), else the frame it was built with.

        Parameters:
            name: a contract table of the shop.

        Returns:
            A path (str) or a DataFrame, as ``opslib.data.cube.relation`` takes them; None when absent.
        """
        frames = self.__dict__.get("_frames", {})
        if name in frames:
            return frames[name]
        if self.lines is not None and self.lines.has(name):
            return str(self.lines.parquet(name))
        return None

    def has(self, name: str) -> bool:
        """True when table ``name`` was loaded."""
        return name in self.available or name in self.__dict__.get("_frames", {})

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
              settings: ShopSettings | dict[str, Any] | None = None, revalidate: bool = False) -> Shop:
    """Open a shop on its engine and check it; frames are read into pandas only when accessed.

    ``tables`` limits which tables are read (default: all). Required tables among them must exist.
    With ``validate`` every contract rule is checked (in SQL, ``opslib.data.sql_checks``) and any
    problem raises ``DataError``; without it only unreadable files, missing tables/columns raise,
    unparseable values become missing and an ``int`` column with gaps is left as float64. The shop's
    settings (``shop.yml``: currency, country, time zone, engine ...) come along as ``shop.settings``;
    ``settings`` (a mapping of shop.yml keys or ``ShopSettings``) replaces them.

    A clean validation is stamped in the cache folder (``opslib.data.stamp``): opening the same files
    again (same contract version, same time zone and sheets) skips the checks, replays the notes found
    then and adds ``validated on <when>; files unchanged``. Any change to a file means a full check.

    Parameters:
        path: the shop folder. tables: contract tables to open. validate: check every rule.
        revalidate: check in full even when a stamp matches (also ``OPSLIB_REVALIDATE=1``).

    Returns:
        A :class:`Shop`: ``shop.lines`` for aggregates on the engine, ``shop.orders`` etc. as frames.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError([Problem(table="", file=str(folder), issue="not a folder",
                                 expected="a folder with one file per table")], header="Cannot load the shop:")
    names = _table_names(tables)
    data = open_shop(folder, names, settings=settings)
    if validate:
        from opslib.data import stamp as stamps

        found = None if revalidate or stamps.revalidate_env() else stamps.find_stamp(data)
        if found is not None:
            stamps.apply_stamp(data, found)
            problems = []
        else:
            problems = check_shop(data)
    else:
        problems = sorted(data.fatal, key=lambda p: names.index(p.table) if p.table in names else 0)
        for name, src in list(data.sources.items()):
            if data.engine.query(f"SELECT count(*) AS n FROM (SELECT 1 FROM {name} LIMIT 1) t")["n"][0] == 0:
                problems.append(Problem(table=name, file=src.staged.name, issue="no data rows (header only)",
                                        expected=EXPECTED_NONEMPTY_FILE))
    if problems:
        raise DataError(problems, header=f"The shop in {folder} does not meet the data contract:")
    return Shop(folder, available=[n for n in names if n in data.sources], lines=data)
