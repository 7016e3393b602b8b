"""Real exports into the data contract: one module per source, a YAML column mapping, and the import log.

``python -m opslib import KIND SRC OUT`` (``cli``); every adapter records what it dropped, changed, merged or
assumed in an ``ImportLog`` (``log``) using the shared rules in ``common``. What an import produces is checked
against the contract before it is written (``conformance``) and written without touching anything the import
did not write (``writing``). A YAML mapping (``mapping``) reads its sources (``sources``), evaluates DuckDB SQL
expressions (``expressions``) and types fields (``fields``).
"""

from __future__ import annotations

from opslib.importers.cdnow import adapt_cdnow
from opslib.importers.cli import adapter_for, import_and_write, main, run_import
from opslib.importers.common import (
    DEFAULT_MARGIN,
    UNCATEGORISED,
    aggregate_duplicate_keys,
    assume_costs,
    conform,
)
from opslib.importers.conformance import enforce_contract
from opslib.importers.log import LOG_NAME, ImportLog, ImportResult, LogEntry, dropped_summary, read_import_log
from opslib.importers.mapping import adapt_mapping, load_mapping
from opslib.importers.olist import adapt_olist
from opslib.importers.online_retail import adapt_online_retail, read_online_retail
from opslib.importers.superstore import adapt_superstore
from opslib.importers.writing import MARKER_NAME, check_target, write_result

__all__ = [
    "adapt_cdnow",
    "adapt_mapping",
    "adapt_olist",
    "adapt_online_retail",
    "adapt_superstore",
    "adapter_for",
    "aggregate_duplicate_keys",
    "assume_costs",
    "check_target",
    "conform",
    "DEFAULT_MARGIN",
    "dropped_summary",
    "enforce_contract",
    "import_and_write",
    "ImportLog",
    "ImportResult",
    "load_mapping",
    "LOG_NAME",
    "LogEntry",
    "main",
    "MARKER_NAME",
    "read_import_log",
    "read_online_retail",
    "run_import",
    "UNCATEGORISED",
    "write_result",
]
