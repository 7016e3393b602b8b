"""Fixtures for the pricing tests: a sample shop large enough to measure every category's elasticity.

Why scale 5: elasticity is identified from everyday price changes (weekly discounts of 3-15% on 35% of
SKU-weeks), and the smallest category by units, 家电 (about 2% of units, list prices around ¥900),
needs about 5x the default volume before its standard error falls to ~10% of the planted -1.2
(measured: se/|e| = 0.38 at scale 1, 0.20 at scale 3, 0.10 at scale 5, seed 11). At scale 0.05
(``small_shop_dir``) no category has SKUs selling the 3 lines a week the estimator needs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
BIG_SEED, BIG_SCALE = 11, 5.0


@pytest.fixture(scope="session")
def big_shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The sample shop at seed 11, scale 5 (about 5.2M order lines) and its truth."""
    from opslib.sample import generate

    out = tmp_path_factory.mktemp("pricing_shop")
    truth = generate(out=out, seed=BIG_SEED, scale=BIG_SCALE)
    return out, truth


@pytest.fixture(scope="session")
def big_panel(big_shop: tuple[Path, dict]) -> pd.DataFrame:
    """Its weekly price panel, built from the Parquet files (with inventory and campaigns)."""
    from opslib.pricing import weekly_price_panel

    d, _ = big_shop
    return weekly_price_panel(d / "orders.parquet", d / "products.parquet", d / "inventory.parquet",
                              d / "campaigns.parquet")


@pytest.fixture(scope="session")
def big_elasticity(big_panel: pd.DataFrame):  # noqa: ANN201 (ElasticityResult)
    """Default estimate on the big panel (PPML, week effects, campaign weeks dropped, price path)."""
    from opslib.pricing import estimate_elasticity

    return estimate_elasticity(big_panel)


@pytest.fixture(scope="session")
def superstore():  # noqa: ANN201 (ImportResult)
    """Superstore imported into the contract, or a clean skip when the shared data are absent."""
    src = SHARED / "superstore"
    if not (src / "superstore_orders.csv.gz").is_file():
        pytest.skip(f"shared data not found: {src}")
    from opslib.importers import adapt_superstore

    return adapt_superstore(src)


@pytest.fixture(scope="session")
def superstore_panel(superstore) -> pd.DataFrame:  # noqa: ANN001 (ImportResult)
    """Superstore's weekly price panel (no inventory, no campaigns in the source)."""
    from opslib.pricing import weekly_price_panel

    return weekly_price_panel(superstore.tables["orders"], superstore.tables["products"], country="US")


@pytest.fixture(scope="session")
def online_retail():  # noqa: ANN201 (ImportResult)
    """UCI Online Retail imported into the contract, or a clean skip when absent."""
    src = SHARED / "online_retail" / "online_retail_I_2010-12_2011-12.csv.gz"
    if not src.is_file():
        pytest.skip(f"shared data not found: {src}")
    from opslib.importers import adapt_online_retail

    return adapt_online_retail(src)

