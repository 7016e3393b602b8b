"""The small sample shop prepared once for every operations test (orders, fulfilment, reviews, service)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opslib.data import load_shop
from opslib.operations import OpsData, load_norms, prepare

TABLES = ["orders", "products", "campaigns", "fulfilment", "reviews", "service"]


@pytest.fixture(scope="session")
def small_ops(small_shop_dir: Path) -> OpsData:
    return prepare(load_shop(small_shop_dir, tables=TABLES))


@pytest.fixture(scope="session")
def default_norms():
    return load_norms()
