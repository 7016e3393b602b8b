"""Lines stay in the engine: shops opened as DuckDB (or Spark) relations, validated in SQL, aggregated there.

Moves to ``opslib/data/`` (engine, files, checks, shop, aggregates) with the restructure.
"""

from opslib.lines.engine import DuckDBEngine, ShopSettings, SparkEngine, read_settings
from opslib.lines.shop import Shop, ShopData, load_shop, open_shop, read_table, validate_main, validate_shop

__all__ = [
    "DuckDBEngine",
    "Shop",
    "ShopData",
    "ShopSettings",
    "SparkEngine",
    "load_shop",
    "open_shop",
    "read_settings",
    "read_table",
    "validate_main",
    "validate_shop",
]
