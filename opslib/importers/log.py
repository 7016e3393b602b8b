"""The import log: every row an importer dropped, changed, merged or assumed, with rule, count and examples.

Nothing is cleaned silently: the log is printed and written next to the data as ``OUT/import_log.json``;
``notebooks/04_data_quality.ipynb`` shows it (``read_import_log``, ``dropped_summary``). The input balance every
adapter keeps: ``input rows = sum(rows dropped) + rows merged away + output order lines``
(``ImportLog.balance()``), so the counts of what was dropped add up.

Example:
    >>> log = ImportLog(kind="demo", source="x.csv", input_rows=3)
    >>> log.drop("zero_price", 1, "price <= 0 is a placeholder, not a sale", ["POST"])
    >>> log.entries[0].rows, log.dropped_rows
    (1, 1)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opslib.kpi import Term

LOG_NAME = "import_log.json"
MAX_EXAMPLES = 5

# ImportLog actions: what a rule did to the rows it names.
ACTIONS = ("dropped", "changed", "merged", "assumed", "note")


@dataclass
class LogEntry:
    """One rule applied during an import.

    ``action`` is dropped (rows removed), changed (values rewritten), merged (rows folded into
    others; ``rows`` counts the rows that disappeared), assumed (a value the source does not have)
    or note (a fact about the data, no rows touched).
    """

    rule: str
    action: str
    rows: int
    why: str
    table: str = "orders"
    examples: list[str] = field(default_factory=list)


@dataclass
class ImportLog:
    """Everything an import did, in order; ``to_frame()`` for display, ``to_json()`` for the file."""

    kind: str
    source: str
    input_rows: int = 0
    entries: list[LogEntry] = field(default_factory=list)
    output_rows: dict[str, int] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, rule: str, action: str, rows: int, why: str, examples: Iterable[object] = (),
            table: str = "orders") -> None:
        """Record a rule (kept even when it touched no rows, so the log lists every rule applied)."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
        shown: list[str] = []
        for v in examples:
            s = "(empty)" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            if s not in shown:
                shown.append(s)
            if len(shown) >= MAX_EXAMPLES:
                break
        self.entries.append(LogEntry(rule, action, int(rows), why, table, shown))

    def drop(self, rule: str, rows: int, why: str, examples: Iterable[object] = (), table: str = "orders") -> None:
        self.add(rule, "dropped", rows, why, examples, table)

    def change(self, rule: str, rows: int, why: str, examples: Iterable[object] = (), table: str = "orders") -> None:
        self.add(rule, "changed", rows, why, examples, table)

    def merge(self, rule: str, rows: int, why: str, examples: Iterable[object] = (), table: str = "orders") -> None:
        self.add(rule, "merged", rows, why, examples, table)

    def assume(self, rule: str, rows: int, why: str, examples: Iterable[object] = (), table: str = "orders") -> None:
        self.add(rule, "assumed", rows, why, examples, table)

    def note(self, rule: str, why: str, rows: int = 0, table: str = "orders") -> None:
        self.add(rule, "note", rows, why, (), table)

    def _sum(self, action: str, table: str = "orders") -> int:
        return sum(e.rows for e in self.entries if e.action == action and e.table == table)

    @property
    def dropped_rows(self) -> int:
        """Input order rows removed by drop rules."""
        return self._sum("dropped")

    @property
    def merged_rows(self) -> int:
        """Input order rows folded into other rows (duplicate keys summed)."""
        return self._sum("merged")

    def balance(self) -> dict[str, int]:
        """``input = dropped + merged + output`` for the order lines; ``ok`` is 1 when it holds."""
        out = self.output_rows.get("orders", 0)
        return {"input": self.input_rows, "dropped": self.dropped_rows, "merged": self.merged_rows,
                "output": out, "ok": int(self.input_rows == self.dropped_rows + self.merged_rows + out)}

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: table, action, rule, rows, share of input, why, examples."""
        rows = [asdict(e) for e in self.entries]
        df = pd.DataFrame(rows, columns=["rule", "action", "rows", "why", "table", "examples"])
        df["share_of_input"] = (df["rows"] / self.input_rows).where(df["table"] == "orders") if self.input_rows else np.nan
        df["examples"] = df["examples"].map(lambda xs: ", ".join(xs))
        return df[["table", "action", "rule", "rows", "share_of_input", "why", "examples"]]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "source": self.source, "input_rows": self.input_rows,
            "output_rows": self.output_rows, "balance": self.balance(), "parameters": self.parameters,
            "seconds": round(self.seconds, 2), "written": dt.datetime.now().isoformat(timespec="seconds"),
            "entries": [asdict(e) for e in self.entries],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportLog:
        log = cls(kind=data.get("kind", ""), source=data.get("source", ""), input_rows=data.get("input_rows", 0),
                  output_rows=dict(data.get("output_rows", {})), parameters=dict(data.get("parameters", {})),
                  seconds=float(data.get("seconds", 0.0)))
        log.entries = [LogEntry(**e) for e in data.get("entries", [])]
        return log

    def format(self) -> str:
        """The printed log: header, balance, one line per rule."""
        b = self.balance()
        lines = [f"Import {self.kind} from {self.source}",
                 f"  input rows {b['input']:,} = dropped {b['dropped']:,} + merged {b['merged']:,} + "
                 f"order lines {b['output']:,}" + ("" if b["ok"] else "  (DOES NOT ADD UP)"),
                 "  output: " + ", ".join(f"{t} {n:,}" for t, n in self.output_rows.items())]
        for e in self.entries:
            ex = f" e.g. {', '.join(e.examples)}" if e.examples else ""
            count = f"{e.rows:,} rows" if e.action != "note" or e.rows else ""
            lines.append(f"  [{e.table} {e.action}] {e.rule}: {count}{' — ' if count else ''}{e.why}{ex}")
        return "\n".join(lines)


@dataclass
class ImportResult:
    """Contract frames (table name -> frame, contract columns in order), the log, and the source's settings.

    ``settings`` are the ``shop.yml`` keys the source implies (``currency``, ``country``, ``timezone`` ...,
    see ``opslib.data.settings``); the import writes them to ``OUT/shop.yml`` unless the user has one.
    """

    tables: dict[str, pd.DataFrame]
    log: ImportLog
    settings: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------- shared helpers



def read_import_log(data_dir: str | Path) -> ImportLog | None:
    """The ``import_log.json`` written next to the data by ``python -m opslib import``, or None.

    Parameters:
        data_dir: the shop folder.

    Returns:
        The ``ImportLog``, or None when the folder has no ``import_log.json``.
    """
    path = Path(data_dir) / LOG_NAME
    if not path.is_file():
        return None
    return ImportLog.from_json(json.loads(path.read_text(encoding="utf-8")))


def dropped_summary(log: ImportLog) -> pd.DataFrame:
    """Rules that touched rows, biggest first: table, action, rule, rows, share of input, why, examples.

    Parameters:
        log: the ``ImportLog``.

    Returns:
        One row per rule with rows > 0, by action then rows.
    """
    df = log.to_frame()
    return df[df["rows"] > 0].sort_values(["action", "rows"], ascending=[True, False]).reset_index(drop=True)


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("import_balance", "导入对账", "Import balance", "input rows = dropped + merged + output rows, per table "
         "(import_log.json)", "opslib.importers.log.dropped_summary", "04"),
)
