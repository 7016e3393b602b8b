"""A loaded shop that fails the test when anything reads its order lines into pandas (``shop.orders``): the
proof that a path keeps the lines in the engine."""

from __future__ import annotations

from opslib.data import Shop


class LinelessShop(Shop):
    """A loaded shop whose ``orders`` attribute raises instead of reading every line into pandas."""

    def __getattr__(self, name: str):  # noqa: ANN204
        if name == "orders":
            raise AssertionError("shop.orders was read: the order lines came into pandas")
        return super().__getattr__(name)


def lineless(shop: Shop) -> LinelessShop:
    """The same loaded shop (files, settings, engine relations) with ``orders`` forbidden."""
    return LinelessShop(shop.path, available=shop.available, missing=shop.missing, files=shop.files,
                        notes=shop.notes, settings=shop.settings, lines=shop.lines)
