"""Check an import's frames against the data contract before anything is written: drop or refuse, never pass.

Every rule of ``opslib.data.contract`` that a row can break is checked on the frames an importer produced:
empty required values, whole numbers, bounds (``quantity >= 1``, ``score`` 1-5 ...), allowed values, dates
without a time, unique keys, campaigns that end before they start, and references (``orders.sku`` in
products, ``campaign_id`` in campaigns, ``order_id`` of fulfilment and reviews in orders, ``inventory.sku``
in products). With ``policy="refuse"`` (the default) any violation raises ``ImportDataError`` naming
table, field, source column and rows; with ``policy="drop"`` the rows are removed, each rule logged as a
``dropped`` entry (``contract:<table>.<column>``) so the import balance still holds.

Example:
    >>> import pandas as pd
    >>> from opslib.importers.log import ImportLog
    >>> o = pd.DataFrame({"order_id": ["A", "B"], "sku": ["S", "S"], "quantity": [2.0, 0.0]})
    >>> log = ImportLog("demo", "x.csv", input_rows=2)
    >>> out = enforce_contract({"orders": o}, log, policy="drop")
    >>> len(out["orders"]), log.entries[0].rule, log.entries[0].rows
    (1, 'contract:orders.quantity', 1)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslib.data.contract import TABLES
from opslib.data.problems import range_expected
from opslib.errors import ImportDataError
from opslib.importers.log import MAX_EXAMPLES, ImportLog

POLICIES = ("refuse", "drop")
CHECKS = ("columns", "keys", "references")
# Tables whose references point at others are checked after those others (drops cascade in this order).
ORDER = ("campaigns", "products", "orders", "traffic", "inventory", "fulfilment", "reviews")


@dataclass
class Violation:
    """Rows of one table that break one contract rule (``mask`` over the frame's rows)."""

    table: str
    column: str
    expected: str
    mask: np.ndarray


#: Source line (or sheet row) of each row, kept by importers that know it (the mapping); LINE_LABEL says which.
LINE_COLUMN = "__line__"
# (table, frame, positions of offending rows) -> where they are, e.g. "lines 4, 9 and 3 more"
Locate = Callable[[str, pd.DataFrame, np.ndarray], str]
# (table, column) -> how the column is named to the user, e.g. "table orders, field sku, column 商品编码"
Describe = Callable[[str, str], str]


def locate_rows(table: str, frame: pd.DataFrame, positions: np.ndarray, label: str = "lines") -> str:
    """Where rows are: source lines when the frame keeps them (``LINE_COLUMN``), else their key values.

    >>> f = pd.DataFrame({"order_id": ["A", "B", "C"], "sku": ["S", "S", "T"]})
    >>> locate_rows("orders", f, np.array([1, 2]))
    'rows with order_id/sku B/S, C/T'
    >>> locate_rows("orders", f.assign(__line__=[2, 5, 9]), np.array([1, 2]))
    'lines 5, 9'
    """
    shown = positions[:MAX_EXAMPLES]
    more = f" and {len(positions) - len(shown):,} more" if len(positions) > len(shown) else ""
    if LINE_COLUMN in frame.columns:
        return f"{label} {', '.join(str(int(v)) for v in frame[LINE_COLUMN].to_numpy()[shown])}{more}"
    key = [k for k in TABLES[table].key if k in frame.columns]
    if not key:
        return f"rows {', '.join(str(int(p) + 1) for p in shown)}{more}"
    keys = ["/".join(str(v) for v in row) for row in frame[key].iloc[shown].itertuples(index=False)]
    return f"rows with {'/'.join(key)} {', '.join(keys)}{more}"


def column_violations(table: str, frame: pd.DataFrame) -> list[Violation]:
    """Empty, fractional, out-of-range, not-allowed and timed-date values of each contract column present."""
    out: list[Violation] = []
    for col in TABLES[table].columns:
        if col.name not in frame.columns:
            continue
        s = frame[col.name]
        empty = s.isna().to_numpy()
        if not col.nullable and empty.any():
            out.append(Violation(table, col.name, "a value (this field may not be empty)", empty))
        if col.kind in ("int", "float"):
            num = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64")
            bad = ~empty & ~np.isfinite(num)
            if col.kind == "int":
                bad |= ~empty & np.isfinite(num) & (np.mod(num, 1) != 0)
            with np.errstate(invalid="ignore"):
                if col.min_value is not None:
                    bad |= ~empty & (num < col.min_value)
                if col.max_value is not None:
                    bad |= ~empty & (num > col.max_value)
            if bad.any():
                out.append(Violation(table, col.name, range_expected(col), bad))
        elif col.kind == "date":
            ts = pd.to_datetime(s, errors="coerce")
            timed = (ts.notna() & (ts != ts.dt.normalize())).to_numpy()
            if timed.any():
                out.append(Violation(table, col.name, "a date without a time of day", timed))
        if col.allowed:
            bad = ~empty & ~s.isin(list(col.allowed)).to_numpy()
            if bad.any():
                out.append(Violation(table, col.name, "one of " + ", ".join(col.allowed), bad))
    return out


def key_violations(table: str, frame: pd.DataFrame) -> list[Violation]:
    """Later rows whose unique key (e.g. order_id + sku) already occurred."""
    key = list(TABLES[table].key)
    if not set(key) <= set(frame.columns):
        return []
    dup = frame.duplicated(key, keep="first").to_numpy()
    if not dup.any():
        return []
    names = ", ".join(key)
    hint = " (set sum_duplicate_keys: true to sum such lines)" if table == "orders" else ""
    return [Violation(table, " + ".join(key), f"each {'(' + names + ')' if len(key) > 1 else names} only once{hint}",
                      dup)]


def reference_violations(table: str, frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> list[Violation]:
    """Values that must exist in another table of the import (checked when that table is imported too)."""
    out: list[Violation] = []
    spec = TABLES[table]
    for col, other, other_col in spec.references:
        target = tables.get(other)
        if target is None or col not in frame.columns or other_col not in target.columns:
            continue
        s = frame[col]
        orphan = (s.notna() & ~s.isin(pd.Index(target[other_col].dropna().unique()))).to_numpy()
        if orphan.any():
            article = "an" if other_col[0] in "aeiou" else "a"
            out.append(Violation(table, col, f"{article} {other_col} that exists in {other}", orphan))
    if table == "campaigns" and {"start", "end"} <= set(frame.columns):
        bad = (pd.to_datetime(frame["end"]) < pd.to_datetime(frame["start"])).to_numpy()
        if bad.any():
            out.append(Violation(table, "end", "an end date on or after the start date", bad))
    return out


def _shown(v: object) -> str:
    """A value as a message shows it: text quoted, numbers plain (``0``, ``2.5``), empty as ``(empty)``."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "(empty)"
    if isinstance(v, float | np.floating):
        return f"{float(v):g}"
    if isinstance(v, pd.Timestamp):
        return repr(str(v))
    return repr(v.item() if hasattr(v, "item") else v)


def _values(frame: pd.DataFrame, column: str, positions: np.ndarray) -> str:
    cols = [c.strip() for c in column.split("+")]
    shown: list[str] = []
    for p in positions[:MAX_EXAMPLES]:
        vals = [frame[c].iloc[p] for c in cols if c in frame.columns]
        text = "/".join(_shown(v) for v in vals)
        if text not in shown:
            shown.append(text)
    return ", ".join(shown)


def describe_violation(v: Violation, frame: pd.DataFrame, locate: Locate, describe: Describe) -> str:
    """One line: where (table, field, source column), which rows, the values, what the contract expects."""
    pos = np.flatnonzero(v.mask)
    return f"{describe(v.table, v.column)}, {locate(v.table, frame, pos)}: {_values(frame, v.column, pos)} — " \
           f"expected {v.expected}"


def enforce_contract(tables: dict[str, pd.DataFrame], log: ImportLog, policy: str | dict[str, str] = "refuse",
                     locate: Locate | None = None, describe: Describe | None = None,
                     source: str = "the import", checks: tuple[str, ...] = CHECKS,
                     collect: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Frames that meet the contract: violating rows dropped under a logged rule, or ``ImportDataError``.

    Rule: a row is kept when every contract check passes; ``policy="drop"`` removes the others table by table
    in ``ORDER`` (so an order line whose only fault is a SKU dropped from products goes too, and the import
    log has one ``dropped`` entry per table and column); ``policy="refuse"`` raises, naming every rule broken.

    Parameters:
        tables: frames per contract table (contract columns; int columns may be float with gaps).
        log: the import log (drops are recorded there). policy: ``refuse`` or ``drop``, or one per table.
        locate, describe: how to name rows and columns in messages (a mapping names source lines and columns).
        source: what the message says was imported (e.g. the mapping file name).
        checks: which checks to run: ``columns`` (values), ``keys`` (unique keys), ``references``.
        collect: a list to append refusals to instead of raising (call ``refuse`` after the last check).

    Returns:
        The frames (rows renumbered 0..n-1 where rows were dropped).
    """
    policies = policy if isinstance(policy, dict) else {n: policy for n in tables}
    bad = {p for p in policies.values() if p not in POLICIES}
    if bad:
        raise ValueError(f"policy must be one of {POLICIES}, not {sorted(bad)}")
    tables = dict(tables)
    locate = locate or locate_rows
    describe = describe or (lambda t, c: f"{t}, column {c}")
    messages: list[str] = []
    for name in [n for n in ORDER if n in tables]:
        frame = tables[name]
        found: list[Violation] = []
        if "columns" in checks:
            found += column_violations(name, frame)
        if "keys" in checks:
            found += key_violations(name, frame)
        if "references" in checks:
            found += reference_violations(name, frame, tables)
        if not found:
            continue
        if policies.get(name, "refuse") == "refuse":
            messages += [describe_violation(v, frame, locate, describe) for v in found]
            continue
        drop = np.zeros(len(frame), dtype=bool)
        for v in found:
            new = v.mask & ~drop
            pos = np.flatnonzero(new)
            log.drop(f"contract:{name}.{v.column.replace(' + ', '+')}", int(new.sum()),
                     f"{describe(name, v.column)}: expected {v.expected} (invalid_rows: drop); "
                     f"{locate(name, frame, pos)}",
                     [_values(frame, v.column, pos[i:i + 1]) for i in range(min(len(pos), MAX_EXAMPLES))],
                     table=name)
            drop |= v.mask
        tables[name] = frame.loc[~drop].reset_index(drop=True)
    if collect is not None:
        collect += messages
    else:
        refuse(messages, source)
    return tables


def refuse(messages: list[str], source: str) -> None:
    """Raise one ``ImportDataError`` listing every broken rule (nothing when ``messages`` is empty)."""
    if messages:
        raise ImportDataError(f"{source}: {len(messages)} rule{'s' if len(messages) > 1 else ''} of the data contract "
                              "broken, nothing was written — fix the export or the mapping (a filter:, a fill:), or "
                              "set invalid_rows: drop to drop such rows under a logged rule:\n"
                              + "\n".join(f"  - {m}" for m in messages))
