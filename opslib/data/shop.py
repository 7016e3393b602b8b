"""A loaded shop: one typed frame per contract table, and ``load_shop`` that reads and checks it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from opslib.data.contract import TABLES
from opslib.data.problems import (
    Problem,
)
from opslib.data.settings import ShopSettings, read_settings
from opslib.data.validation import _all_problems, _load
from opslib.errors import DataError, MissingTableError

# ----------------------------------------------------------------------------------------- Shop


@dataclass
class Shop:
    """A loaded shop: one typed frame per contract table (None when its file is absent)."""

    path: Path
    orders: pd.DataFrame | None = None
    products: pd.DataFrame | None = None
    campaigns: pd.DataFrame | None = None
    traffic: pd.DataFrame | None = None
    inventory: pd.DataFrame | None = None
    fulfilment: pd.DataFrame | None = None
    reviews: pd.DataFrame | None = None
    service: pd.DataFrame | None = None
    available: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    settings: ShopSettings = field(default_factory=ShopSettings)

    def has(self, name: str) -> bool:
        """True when table ``name`` was loaded."""
        return getattr(self, name, None) is not None

    def require(self, *names: str, purpose: str) -> None:
        """Raise ``MissingTableError`` naming the absent tables and what they were needed for."""
        absent = [n for n in names if not self.has(n)]
        if absent:
            problems = [
                Problem(table=n, file=n, issue=f"missing in {self.path}",
                        expected=f"{n}.csv, {n}.parquet or {n}.xlsx for {purpose}")
                for n in absent
            ]
            files = ", ".join(f"{n}.csv" for n in absent)
            raise MissingTableError(problems, header=f"{purpose} needs {files} (or .parquet/.xlsx) in {self.path}:")

    def skip_message(self, name: str, what: str) -> str:
        """A friendly line for notebooks, e.g. ``no traffic table in DIR (traffic.csv, .parquet or .xlsx): skipping the funnel``."""
        return f"no {name} table in {self.path} ({name}.csv, .parquet or .xlsx): skipping {what}"


def _table_names(tables: Iterable[str] | None) -> list[str]:
    names = list(TABLES) if tables is None else list(dict.fromkeys(tables))
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; contract tables are {list(TABLES)}")
    return names


def load_shop(path: str | Path, tables: Iterable[str] | None = None, validate: bool = True) -> Shop:
    """Load a shop folder into typed frames.

    ``tables`` limits which tables are read (default: all). Required tables among them must exist.
    With ``validate`` every contract rule is checked and any problem raises ``DataError``; without
    it only unreadable files, missing tables/columns raise, unparseable values become missing and
    an ``int`` column with gaps is left as float64. The shop's settings (currency, country, time zone,
    engine: ``shop.yml``, see :mod:`opslib.data.settings`) come along as ``shop.settings``.

    Parameters:
        path: the shop folder. tables: the tables to read (default all). validate: check every rule.

    Returns:
        A ``Shop`` with one typed frame per table (None when absent) and its settings; raises ``DataError``.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(
            [Problem(table="", file=str(folder), issue="not a folder", expected="a folder with one file per table")],
            header="Cannot load the shop:",
        )
    names = _table_names(tables)
    loaded = _load(folder, names, checks=validate)
    problems = _all_problems(loaded) if validate else sorted(loaded.fatal, key=lambda p: names.index(p.table))
    if problems:
        raise DataError(problems, header=f"The shop in {folder} does not meet the data contract:")
    shop = Shop(path=folder, files=loaded.files, notes=loaded.notes, missing=loaded.missing,
                settings=read_settings(folder))
    for name, t in loaded.tables.items():
        setattr(shop, name, t.frame)
    shop.available = [n for n in names if n in loaded.tables]
    return shop


