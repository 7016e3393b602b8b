"""The sample shop: a believable Chinese multi-category shop with planted truth (``truth.json``).

``python -m opslib.sample --seed 7 --scale 1 --out data/sample``. Modules: ``world`` (categories, SKUs,
calendar, campaigns), ``demand`` (demand, prices, stock), ``orders`` (lines, customers, fulfilment, reviews,
traffic), ``truth`` (the planted effects), ``build`` (writes the files).
"""

from __future__ import annotations

from opslib.sample.build import GENERATOR_VERSION, generate, main

__all__ = [
    "generate",
    "GENERATOR_VERSION",
    "main",
]
