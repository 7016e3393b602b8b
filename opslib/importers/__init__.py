"""Real exports into the data contract: one module per source, a YAML column mapping, and the import log.

``python -m opslib import KIND SRC OUT`` (``cli``); every adapter records what it dropped, changed, merged or
assumed in an ``ImportLog`` (``log``) using the shared rules in ``common``.
"""

from __future__ import annotations

from opslib.importers.cdnow import adapt_cdnow
from opslib.importers.cli import adapter_for, main, run_import, write_result
from opslib.importers.common import (
    DEFAULT_MARGIN,
    UNCATEGORISED,
    aggregate_duplicate_keys,
    assume_costs,
    conform,
)
from opslib.importers.log import LOG_NAME, ImportLog, ImportResult, LogEntry, dropped_summary, read_import_log
from opslib.importers.mapping import adapt_mapping, load_mapping
from opslib.importers.olist import adapt_olist
from opslib.importers.online_retail import adapt_online_retail, read_online_retail
from opslib.importers.superstore import adapt_superstore

__all__ = [
    "adapt_cdnow",
    "adapt_mapping",
    "adapt_olist",
    "adapt_online_retail",
    "adapt_superstore",
    "adapter_for",
    "aggregate_duplicate_keys",
    "assume_costs",
    "conform",
    "DEFAULT_MARGIN",
    "dropped_summary",
    "ImportLog",
    "ImportResult",
    "load_mapping",
    "LOG_NAME",
    "LogEntry",
    "main",
    "read_import_log",
    "read_online_retail",
    "run_import",
    "UNCATEGORISED",
    "write_result",
]
