"""The small sample shop prepared once for every operations test (orders, fulfilment, reviews, service)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opslib.data import load_shop
from opslib.operations import OpsData, load_norms, prepare

TABLES = ["orders", "products", "campaigns", "fulfilment", "reviews", "service"]


@pytest.fixture(scope="session", autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN202
    """``prepare`` caches each shop's folded orders (``ops_orders-*/part-*.parquet``): in a temporary folder, not the
    user's cache, unless the run already names one."""
    import os

    if os.environ.get("OPSLIB_CACHE_DIR"):
        yield
        return
    os.environ["OPSLIB_CACHE_DIR"] = str(tmp_path_factory.mktemp("opslib_cache"))
    yield
    os.environ.pop("OPSLIB_CACHE_DIR", None)


@pytest.fixture(scope="session")
def small_ops(small_shop_dir: Path) -> OpsData:
    return prepare(load_shop(small_shop_dir, tables=TABLES))


@pytest.fixture(scope="session")
def default_norms():
    return load_norms()
