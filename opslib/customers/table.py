"""Per-customer tables that stay out of pandas: one row per customer in a Parquet file, read by DuckDB.

A big shop has tens of millions of customers (39M at 100M order lines), so a per-customer result — the RFM
scores, the CLV of every customer, a win-back list of every at-risk customer — is as large as the lines
themselves. On a shop opened on DuckDB, :func:`opslib.customers.rfm_segments`, :func:`opslib.customers.lifetime_value`
and the action lists keep such a table in pandas only up to :func:`frame_max_customers` rows (1,000,000 by
default, ``OPSLIB_FRAME_MAX_CUSTOMERS`` to change it); beyond it they return a :class:`CustomerTable`: the
engine writes the rows to a Parquet file (``COPY ... TO``, streamed) in the shop's cache, and the table answers
``len``, ``head``, ``columns``, a column as a Series, the top rows by a column and SQL over it (``query``) without
loading the rest. The summaries, transitions, lists and exports of the customer module read it in SQL; an analyst
who wants every row in pandas asks for it with :meth:`CustomerTable.to_pandas`. The file is deleted when the
table is garbage-collected (``del rfm``) or the process ends.

Example:
    >>> import pandas as pd
    >>> t = CustomerTable.from_frame(pd.DataFrame({"customer_id": ["a", "b", "c"], "clv": [1.0, 3.0, 2.0]}))
    >>> len(t), list(t.columns), t.top_rows("clv", 2)["customer_id"].tolist()
    (3, ['customer_id', 'clv'], ['b', 'c'])
    >>> t.query("SELECT sum(clv) AS s FROM t")["s"].tolist(), float(t["clv"].sum()), t.sum("clv")
    ([6.0], 6.0, 6.0)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import tempfile
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

__all__ = ["FRAME_MAX_CUSTOMERS", "CustomerTable", "clean_stale_tables", "frame_max_customers"]

#: Rows a per-customer result keeps in pandas at most on a DuckDB shop (beyond: a :class:`CustomerTable`).
#: At 3.8M customers (10M lines) the RFM and CLV frames were 0.3 GB each, with DuckDB's working memory beside
#: them the report passed 2 GB; at 39M customers (100M lines) they would not fit at all.
FRAME_MAX_CUSTOMERS = 1_000_000

#: DuckDB memory of a query over a table's file (it spills beyond, into the same folder as the file).
TABLE_MEMORY_LIMIT = "400MB"


def frame_max_customers() -> int:
    """:data:`FRAME_MAX_CUSTOMERS`, or the environment's ``OPSLIB_FRAME_MAX_CUSTOMERS`` (a whole number >= 0).

    Example:
        >>> frame_max_customers() >= 0
        True
    """
    text = os.environ.get("OPSLIB_FRAME_MAX_CUSTOMERS", "").strip().replace("_", "")
    return int(text) if text.isdigit() else FRAME_MAX_CUSTOMERS


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


#: Name prefix of the folders :func:`spill_folder` makes (one per table); only such folders are ever cleaned.
FOLDER_PREFIX = "opslib-customers-"
#: The owner file in each folder: the process (host, pid, start time) the table belongs to.
OWNER_FILE = "owner.json"
#: A folder without an owner file (made before there was one) is stale after this many seconds unchanged.
STALE_AFTER_SECONDS = 24 * 3600
_CLEANED: set[str] = set()


def spill_folder(base: str | Path | None = None) -> Path:
    """A fresh folder for one table's file: under ``base`` (the engine's temp folder) when given, else the
    system's temporary folder; with an :data:`OWNER_FILE` naming this process. The first call for a ``base``
    in a process removes the stale folders left there by killed processes (:func:`clean_stale_tables`)."""
    root = Path(base) if base is not None else Path(tempfile.gettempdir())
    root.mkdir(parents=True, exist_ok=True)
    if str(root) not in _CLEANED:
        _CLEANED.add(str(root))
        with contextlib.suppress(OSError):
            clean_stale_tables(root)
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=root))
    (folder / OWNER_FILE).write_text(json.dumps(_this_process()), encoding="utf-8")
    return folder


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux ``/proc``), None where unknown."""
    try:
        text = Path(f"/proc/{int(pid)}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text.rsplit(")", 1)[-1].split()[19]  # field 22 counted after the (command) field


def _this_process() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid(), "start": _start_time(os.getpid())}


def _owner_gone(owner: dict[str, Any]) -> bool | None:
    """True when the owning process has ended, False when it runs, None when this machine cannot tell
    (another host, or a system without ``/proc`` and signal 0)."""
    if owner.get("host") != socket.gethostname() or not isinstance(owner.get("pid"), int):
        return None
    pid = owner["pid"]
    if Path("/proc").is_dir() and Path("/proc/self/stat").exists():
        start = _start_time(pid)
        return start is None or (owner.get("start") is not None and start != owner["start"])
    if os.name != "posix":  # no signal 0 on Windows (os.kill would end the process)
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _ours(name: str) -> bool:
    """A file this package (or DuckDB spilling for it) writes in a table's folder."""
    return (name in (OWNER_FILE, "customers.parquet", "tmp_customers.parquet") or name.startswith("duckdb_temp"))


def clean_stale_tables(root: str | Path, max_age_seconds: float = STALE_AFTER_SECONDS,
                       now: float | None = None) -> list[Path]:
    """Remove the table folders under ``root`` whose process is gone (a kernel killed before its tables were
    garbage-collected); returns the folders removed.

    A folder is removed only when all of these hold: its name starts with :data:`FOLDER_PREFIX`; it holds
    nothing but files this package writes (the table's Parquet file, its owner file, DuckDB's spill files);
    and its :data:`OWNER_FILE` names a process on this host that has ended — or, without an owner file (or
    an owner this machine cannot check), it has not changed for ``max_age_seconds`` (a day). A folder of a
    process still running is kept however old; any other file or folder is never touched.

    Parameters:
        root: the folder holding the tables' folders (``~/.cache/opsplaybook/customer_tables``).
        max_age_seconds: the age at which an unowned folder counts as stale. now: the clock (tests).

    Returns:
        The removed folders.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> live = spill_folder(root)
        >>> (root / "notes.txt").write_text("mine") and clean_stale_tables(root), live.exists()
        ([], True)
    """
    now = time.time() if now is None else now
    removed = []
    for folder in sorted(Path(root).glob(FOLDER_PREFIX + "*")):
        if not folder.is_dir() or folder.is_symlink():
            continue
        entries = list(folder.iterdir())
        if not all(e.is_file() and not e.is_symlink() and _ours(e.name) for e in entries):
            continue
        gone = None
        if (folder / OWNER_FILE).exists():
            try:
                owner = json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))
                gone = _owner_gone(owner) if isinstance(owner, dict) else None
            except (OSError, ValueError):
                gone = None
        if gone is None:
            newest = max([folder.stat().st_mtime, *(e.stat().st_mtime for e in entries)])
            gone = now - newest >= max_age_seconds
        if gone:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class CustomerTable:
    """One row per customer in a Parquet file (see the module docstring): ``len``, ``head``, ``columns``,
    ``table[column]`` (a Series), :meth:`top_rows`, :meth:`query` (SQL over the view ``t``) and
    :meth:`to_pandas`, without holding the rows in pandas.

    Parameters:
        path: the Parquet file (owned by the table: deleted with it). rows: its row count.
        columns: the columns shown, in order (the file may hold more). order: SQL ORDER BY of the rows
            (the file's order is the table's order when None). fix: applied to every frame read
            (e.g. categorical dtypes), so a frame from the table equals the frame the function returned
            below the threshold.
    """

    def __init__(self, path: str | Path, rows: int, columns: list[str], order: str | None = None,
                 fix: Callable[[pd.DataFrame], pd.DataFrame] | None = None, owned: bool = True) -> None:
        self.path = Path(path)
        self.rows = int(rows)
        self._columns = list(columns)
        self.order = order
        self.fix = fix
        if owned:
            self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path.parent), True)

    # construction ---------------------------------------------------------------------------------
    @classmethod
    def from_engine(cls, con: Any, sql: str, folder: str | Path | None, columns: list[str] | None = None,
                    **kwargs: Any) -> CustomerTable:
        """Write the result of ``sql`` on the DuckDB connection ``con`` to a Parquet file (streamed by DuckDB)."""
        path = spill_folder(folder) / "customers.parquet"
        try:
            con.execute(f"COPY ({sql}) TO {_sql_str(str(path))} (FORMAT parquet, ROW_GROUP_SIZE 122880)")
        except BaseException:  # a failed query (out of memory, interrupted) leaves no folder behind
            shutil.rmtree(path.parent, ignore_errors=True)
            raise
        rows, names = _parquet_shape(con, path)
        return cls(path, rows, columns or names, **kwargs)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, folder: str | Path | None = None, **kwargs: Any) -> CustomerTable:
        """A table holding ``frame`` (tests, and frames handed to SQL helpers)."""
        con = _connect(folder)
        try:
            con.register("f", frame)
            return cls.from_engine(con, "SELECT * FROM f", folder, list(map(str, frame.columns)), **kwargs)
        finally:
            con.close()

    # what a frame answers -------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.rows

    @property
    def empty(self) -> bool:
        """True when the table has no row."""
        return self.rows == 0

    @property
    def columns(self) -> pd.Index:
        """The table's columns."""
        return pd.Index(self._columns)

    @property
    def source(self) -> str:
        """SQL naming the table's rows (its columns, in order): ``read_parquet('…')``, to use in a FROM clause."""
        cols = ", ".join('"' + c.replace('"', '""') + '"' for c in self._columns)
        return f"(SELECT {cols} FROM read_parquet({_sql_str(str(self.path))}))"

    def connect(self, **frames: pd.DataFrame) -> duckdb.DuckDBPyConnection:
        """A fresh DuckDB connection (memory-capped, spilling beside the file) with the views ``t`` (this
        table), ``file`` (every column of its file) and any ``frames`` given by name; close it after use."""
        con = _connect(self.path.parent)
        con.execute(f"CREATE TEMP VIEW t AS SELECT * FROM {self.source}")
        con.execute(f"CREATE TEMP VIEW file AS SELECT * FROM read_parquet({_sql_str(str(self.path))})")
        for name, f in frames.items():
            con.register(name, f)
        return con

    def query(self, sql: str, **frames: pd.DataFrame) -> pd.DataFrame:
        """The result of ``sql`` over the views of :meth:`connect`, as pandas."""
        con = self.connect(**frames)
        try:
            return con.execute(sql).df()
        finally:
            con.close()

    @property
    def folder(self) -> Path:
        """The folder new tables derived from this one are written under (the engine's temp folder)."""
        return self.path.parent.parent

    def _read(self, sql: str) -> pd.DataFrame:
        out = self.query(sql)
        return self.fix(out) if self.fix is not None else out

    def _ordered(self) -> str:
        return f" ORDER BY {self.order}" if self.order else ""

    def head(self, n: int = 5) -> pd.DataFrame:
        """The first ``n`` rows as pandas."""
        return self._read(f"SELECT * FROM t{self._ordered()} LIMIT {max(int(n), 0)}")

    def to_pandas(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every row in pandas (as large as the shop's customers: ask for it knowingly)."""
        cols = ", ".join('"' + c + '"' for c in columns) if columns else "*"
        return self._read(f"SELECT {cols} FROM t{self._ordered()}")

    def __getitem__(self, column: str) -> pd.Series:
        """One column of every row as a pandas Series (e.g. ``table["clv"].sum()``)."""
        if column not in self._columns:
            raise KeyError(column)
        return self.to_pandas([column])[column]

    def sum(self, column: str) -> float:
        """The sum of one column over every row, by SQL (0 for an empty table), without reading the column
        into pandas."""
        if column not in self._columns:
            raise KeyError(column)
        col = '"' + column.replace('"', '""') + '"'
        return float(self.query(f"SELECT coalesce(sum({col}), 0) AS s FROM t")["s"].iloc[0])

    def top_rows(self, column: str, n: int, then: str | None = None) -> pd.DataFrame:
        """The ``n`` rows with the largest ``column`` (missing values last; ties in the table's order, or by
        ``then``), as pandas."""
        tie = then or self.order
        key = f'"{column}" DESC NULLS LAST' + (f", {tie}" if tie else "")
        return self._read(f"SELECT * FROM t ORDER BY {key} LIMIT {max(int(n), 0)}")

    def __repr__(self) -> str:
        return f"CustomerTable({self.rows:,} rows × {len(self._columns)} columns in {self.path})"


def _connect(folder: str | Path | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = {_sql_str(TABLE_MEMORY_LIMIT)}")
    con.execute("SET preserve_insertion_order = true")
    if folder is not None:
        con.execute(f"SET temp_directory = {_sql_str(str(folder))}")
    return con


def _parquet_shape(con: Any, path: Path) -> tuple[int, list[str]]:
    p = _sql_str(str(path))
    rows = con.execute(f"SELECT count(*) FROM read_parquet({p})").fetchone()[0]  # from the file's metadata
    names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({p})").fetchall()]
    return int(rows), names
