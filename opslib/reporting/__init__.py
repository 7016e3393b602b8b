"""Notebooks as scheduled reports: the plan (schedules, parameters, periods), the run, and the history/index.
"""

from __future__ import annotations

from opslib.reporting.index import RunResult, index_html, record
from opslib.reporting.notebook import ReportStopped, stop_here
from opslib.reporting.plan import (
    Run,
    check_run,
    declared_parameters,
    discover,
    expand_source,
    find_notebook,
    load_config,
    parse_value,
    period_label,
    plan_schedules,
)
from opslib.reporting.run import data_fingerprint, main, run_one, to_html
from opslib.reporting.summary import SUMMARY_MIME, ExecutiveSummary, read_summary

__all__ = [
    "ExecutiveSummary",
    "SUMMARY_MIME",
    "read_summary",
    "ReportStopped",
    "stop_here",
    "check_run",
    "data_fingerprint",
    "declared_parameters",
    "discover",
    "expand_source",
    "find_notebook",
    "index_html",
    "load_config",
    "main",
    "parse_value",
    "period_label",
    "plan_schedules",
    "record",
    "Run",
    "run_one",
    "RunResult",
    "to_html",
]
