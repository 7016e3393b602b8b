"""Charts and display formats: one theme, number formatters in the shop's currency, one chart module per domain.

Notebook cells call these; no cell draws with matplotlib or seaborn itself, and no cell formats numbers itself:
``format_table(df, money=[...], percent=[...], units=[...])`` writes a table for display. Domain modules are
reached as ``plotting.assortment.pareto_chart``, ``plotting.quality.coverage_chart``; the overview's charts (kpi)
are exported here. The executive summaries of the campaign review and the forecast (and the order list for
purchasing) are ``plotting.campaign_summary`` and ``plotting.forecast_summary``.
"""

from __future__ import annotations

from opslib.plotting import assortment, campaign_summary, forecast_summary, operations, pricing, quality
from opslib.plotting.forecasting import plot_backtest, plot_decomposition, plot_forecast
from opslib.plotting.format import (
    MISSING,
    Note,
    axis_formatter,
    current_currency,
    decimal,
    format_change,
    format_table,
    format_value,
    metric_kind,
    money,
    number,
    percent,
    plain,
    pvalue,
    set_currency,
    units,
)
from opslib.plotting.kpi import (
    category_mix_chart,
    category_mix_table,
    comparison_table,
    decomposition_table,
    decomposition_waterfall,
    kpi_cards,
    kpi_trend_chart,
)
from opslib.plotting.theme import NEGATIVE, PALETTE, POSITIVE, TOTAL, cjk_font_path, set_theme

__all__ = [
    "operations",
    "assortment",
    "campaign_summary",
    "forecast_summary",
    "pricing",
    "quality",
    "axis_formatter",
    "category_mix_chart",
    "category_mix_table",
    "cjk_font_path",
    "comparison_table",
    "current_currency",
    "decimal",
    "decomposition_table",
    "decomposition_waterfall",
    "format_change",
    "format_table",
    "format_value",
    "kpi_cards",
    "kpi_trend_chart",
    "metric_kind",
    "MISSING",
    "Note",
    "money",
    "NEGATIVE",
    "number",
    "PALETTE",
    "percent",
    "plain",
    "plot_backtest",
    "plot_decomposition",
    "plot_forecast",
    "POSITIVE",
    "pvalue",
    "set_currency",
    "set_theme",
    "TOTAL",
    "units",
]
