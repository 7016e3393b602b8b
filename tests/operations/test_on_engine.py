"""``prepare(shop)`` of a loaded shop builds its one-row-per-order frame in DuckDB from the shop's files: the order
lines never enter pandas (report 06 at 10M lines held every line), and the frame equals the one built from the
lines in pandas (the path an analyst's own frames take)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from opslib.data import Shop, load_shop
from opslib.operations import prepare
from opslib.operations.dataset import order_frame

TABLES = ["orders", "products", "campaigns", "fulfilment", "reviews", "service"]


class LinelessShop(Shop):
    """A loaded shop that fails the test if anything reads its order lines into pandas."""

    def __getattr__(self, name: str):  # noqa: ANN204
        if name == "orders":
            raise AssertionError("shop.orders was read: the order lines came into pandas")
        return super().__getattr__(name)


def test_prepare_never_reads_the_lines_and_matches_the_frame_path(small_shop_dir: Path) -> None:
    shop = load_shop(small_shop_dir, tables=TABLES)
    lineless = LinelessShop(shop.path, available=shop.available, missing=shop.missing, files=shop.files,
                            notes=shop.notes, settings=shop.settings, lines=shop.lines)
    ops = prepare(lineless)
    from_frames = order_frame(shop.orders, shop.products, shop.fulfilment)
    got = ops.orders[from_frames.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, from_frames.reset_index(drop=True), check_dtype=False)
    # one row per distinct order id of the file
    assert len(got) == shop.orders["order_id"].nunique()
