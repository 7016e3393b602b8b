"""Shared fixtures: a small sample shop, generated once per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The small shop every notebook test and truth test runs on: same generator as the default, 5% of the lines.
SMALL_SEED = 11
SMALL_SCALE = 0.05


@pytest.fixture(scope="session")
def small_shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample shop at scale 0.05 (about 50k order lines), written as Parquet with its truth.json."""
    from opslib.sample import generate

    out = tmp_path_factory.mktemp("shop")
    generate(out=out, seed=SMALL_SEED, scale=SMALL_SCALE)
    return out


@pytest.fixture(scope="session")
def small_truth(small_shop_dir: Path) -> dict:
    return json.loads((small_shop_dir / "truth.json").read_text(encoding="utf-8"))
