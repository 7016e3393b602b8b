"""The shop's data: the contract, reading and validating its files, the loaded shop, line-level cubes, quality.

Notebooks and models import from here::

    from opslib.data import load_shop, daily_sku, customer_totals
    shop = load_shop("data/sample")          # checked on the engine; raises DataError naming file, column, rows
    cube = daily_sku(shop)                   # one row per day x SKU, computed where the lines are
    buyers = customer_totals(shop)           # one row per customer, on the engine (DuckDB or Spark)
    shop.products, shop.orders               # typed pandas frames, read on first access

Lines stay in the engine (DuckDB by default, Spark when ``shop.yml`` says ``engine: spark``): ``engine``
(the two engines), ``staging`` (CSV/Excel streamed once into Parquet in a cache), ``sql_checks`` (the
contract as SQL), ``relations`` (``open_shop``: typed views over the files), ``aggregates`` (cube,
weekly series, customer summary, ABC). See ``docs/engine.md``.

Other modules: ``contract`` (the tables and columns, in code), ``settings`` (``shop.yml``), ``validation`` (the
report of every contract rule, ``python -m opslib validate``), ``shop`` (``Shop``, ``load_shop``), ``cube`` (DuckDB
aggregation of frames, files or shops), ``quality`` (coverage, outliers, gaps, readiness, cost notes), ``schema``
(the contract as a pandera schema for frames in memory), ``problems`` (how a problem is located and worded).
"""

from __future__ import annotations

from opslib.data.aggregates import abc_by_sku, customer_totals
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
from opslib.data.relations import ShopData, open_shop, read_table
from opslib.data.schema import schema_for
from opslib.data.settings import CURRENCIES, ShopSettings, read_settings
from opslib.data.shop import Shop, load_shop
from opslib.data.validation import (
    TableSummary,
    ValidationReport,
    format_report,
    validate_main,
    validate_shop,
)
from opslib.errors import DataError, MissingTableError

__all__ = [
    "order_span",
    "abc_by_sku",
    "customer_totals",
    "open_shop",
    "ShopData",
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
