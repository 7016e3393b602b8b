"""Notebooks as scheduled reports: the plan (schedules, parameters, periods), the run, the history/index,
the helpers notebooks use (early stop, executive summary) and the safe table exports every notebook uses.
"""

from __future__ import annotations

from opslib.reporting.exports import neutralise, safe_filename, write_table
from opslib.reporting.index import RunResult, index_html, read_history, record
from opslib.reporting.notebook import ReportStopped, stop_here
from opslib.reporting.params import Param, convert, parse_parameters
from opslib.reporting.plan import (
    Run,
    check_run,
    declared_parameters,
    discover,
    expand_source,
    find_notebook,
    load_config,
    parse_duration,
    period_label,
    plan_schedules,
)
from opslib.reporting.run import data_fingerprint, main, run_one, size_timeout, to_html
from opslib.reporting.summary import SUMMARY_MIME, ExecutiveSummary, read_summary
from opslib.reporting.templates import scratch_copy, template_status

__all__ = [
    "ExecutiveSummary",
    "SUMMARY_MIME",
    "read_summary",
    "ReportStopped",
    "stop_here",
    "check_run",
    "convert",
    "data_fingerprint",
    "declared_parameters",
    "discover",
    "expand_source",
    "find_notebook",
    "index_html",
    "load_config",
    "main",
    "neutralise",
    "Param",
    "parse_duration",
    "parse_parameters",
    "period_label",
    "plan_schedules",
    "read_history",
    "record",
    "Run",
    "run_one",
    "RunResult",
    "safe_filename",
    "scratch_copy",
    "size_timeout",
    "template_status",
    "to_html",
    "write_table",
]
