"""Notebooks as scheduled reports: the plan (schedules, parameters, data periods), the run, the history and the
index dashboard, the report page (HTML that stands alone, summary first, manager view), the helpers notebooks use
(early stop, executive summary) and the safe table exports every notebook uses.
"""

from __future__ import annotations

from opslib.reporting.dashboard import dashboard_html, sparkline
from opslib.reporting.exports import ExportedFiles, exported, neutralise, safe_filename, write_table
from opslib.reporting.html import TEACHING, PageLinks, report_page
from opslib.reporting.index import RunResult, index_html, read_history, record, set_navigation
from opslib.reporting.navigation import chain, neighbours, report_href
from opslib.reporting.notebook import ReportStopped, stop_here
from opslib.reporting.params import Param, convert, parse_parameters
from opslib.reporting.plan import (
    Run,
    check_run,
    data_end,
    declared_parameters,
    discover,
    expand_source,
    find_notebook,
    fit_period,
    load_config,
    parse_duration,
    period_label,
    plan_schedules,
)
from opslib.reporting.run import data_fingerprint, main, run_one, size_timeout, to_html
from opslib.reporting.summary import SUMMARY_MIME, ExecutiveSummary, compare_summaries, read_summary
from opslib.reporting.templates import scratch_copy, template_status

__all__ = [
    "ExecutiveSummary",
    "SUMMARY_MIME",
    "read_summary",
    "compare_summaries",
    "TEACHING",
    "PageLinks",
    "report_page",
    "dashboard_html",
    "sparkline",
    "ExportedFiles",
    "exported",
    "set_navigation",
    "chain",
    "neighbours",
    "report_href",
    "data_end",
    "fit_period",
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
