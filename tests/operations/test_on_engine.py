"""``prepare(shop)`` of a loaded shop builds its one-row-per-order frame in DuckDB from the shop's files: the order
lines never enter pandas (report 06 at 10M lines held every line), and the frame equals the one built from the
lines in pandas (the path an analyst's own frames take)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from opslib.data import load_shop
from opslib.operations import prepare
from opslib.operations.dataset import order_frame
from tests.lineless import lineless

TABLES = ["orders", "products", "campaigns", "fulfilment", "reviews", "service"]


def test_prepare_never_reads_the_lines_and_matches_the_frame_path(small_shop_dir: Path) -> None:
    shop = load_shop(small_shop_dir, tables=TABLES)
    ops = prepare(lineless(shop))
    from_frames = order_frame(shop.orders, shop.products, shop.fulfilment)
    got = ops.orders[from_frames.columns].reset_index(drop=True)
    # on the engine text comes back Arrow-backed (missing = NaN), from frames as Python objects (None)
    text = [c for c in from_frames.columns if from_frames[c].dtype == object or str(got[c].dtype) == "str"]
    norm = lambda f: f.assign(**{c: f[c].astype(object).where(f[c].notna(), None) for c in text})  # noqa: E731
    pd.testing.assert_frame_equal(norm(got), norm(from_frames.reset_index(drop=True)), check_dtype=False)
    # one row per distinct order id of the file
    assert len(got) == shop.orders["order_id"].nunique()
