"""Pytest plugin: run the loader's message tests (tests/test_data.py) against the engine path.

``pytest tests/test_data.py -p engine_plugin`` swaps ``opslib.data``'s public loader functions for
``opslib.lines``' before the test module imports them, so every assertion there runs on DuckDB.
"""

from __future__ import annotations

import os
import tempfile

import opslib.data as _data
from opslib.lines import shop as _shop

os.environ.setdefault("OPSLIB_CACHE_DIR", tempfile.mkdtemp(prefix="opslib-cache-"))
for _name in ("load_shop", "read_table", "validate_shop", "validate_main"):
    setattr(_data, _name, getattr(_shop, _name))
