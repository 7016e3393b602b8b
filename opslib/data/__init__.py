"""The shop's data: the contract, reading and validating its files, the loaded shop, line-level cubes, quality.

Notebooks and models import from here::

    from opslib.data import load_shop, daily_sku
    shop = load_shop("data/sample")          # typed frames, raises DataError naming file, column and rows
    cube = daily_sku(shop.orders, shop.products)   # DuckDB: one row per day x SKU

Modules: ``contract`` (the tables and columns, in code), ``readers`` (CSV/Parquet/Excel with row numbers),
``casting`` (typing raw cells), ``validation`` (every contract rule, ``python -m opslib validate``), ``shop``
(``Shop``, ``load_shop``), ``cube`` (DuckDB aggregation), ``quality`` (coverage, outliers, gaps, readiness,
cost notes), ``problems`` (how a problem is located and worded).
"""

from __future__ import annotations

from opslib.data.contract import OPTIONAL_TABLES, REQUIRED_TABLES, TABLES, ColumnSpec, TableSpec
from opslib.data.cube import (
    Source,
    connect,
    daily_sku,
    daily_totals,
    order_span,
    period_totals,
    relation,
    weekly_sku,
)
from opslib.data.problems import Problem
from opslib.data.quality import (
    calendar_gaps,
    cost_note,
    coverage,
    notebook_readiness,
    outliers,
    weekday_profile,
)
from opslib.data.readers import read_table
from opslib.data.settings import CURRENCIES, ShopSettings, read_settings
from opslib.data.shop import Shop, load_shop
from opslib.data.validation import (
    TableSummary,
    ValidationReport,
    format_report,
    schema_for,
    validate_main,
    validate_shop,
)
from opslib.errors import DataError, MissingTableError

__all__ = [
    "order_span",
    "CURRENCIES",
    "ShopSettings",
    "read_settings",
    "DataError",
    "MissingTableError",
    "calendar_gaps",
    "ColumnSpec",
    "connect",
    "cost_note",
    "coverage",
    "daily_sku",
    "daily_totals",
    "format_report",
    "load_shop",
    "notebook_readiness",
    "OPTIONAL_TABLES",
    "outliers",
    "period_totals",
    "Problem",
    "read_table",
    "relation",
    "REQUIRED_TABLES",
    "schema_for",
    "Shop",
    "Source",
    "TABLES",
    "TableSpec",
    "TableSummary",
    "validate_main",
    "validate_shop",
    "ValidationReport",
    "weekday_profile",
    "weekly_sku",
]
