"""Fixtures of the runner tests: tiny notebooks written in the test, and a two-category shop."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest

from opslib import reporting as reports


def write_notebook(path: Path, body: str | list[str], params: str) -> Path:
    """A notebook whose first cell (tagged ``parameters``) is ``params``, then a heading, then ``body``
    (one code cell, or one per list item)."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    bodies = [body] if isinstance(body, str) else body
    nb.cells = [cell, nbformat.v4.new_markdown_cell("# 标题"), *map(nbformat.v4.new_code_cell, bodies)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def run_cli(nb_dir: Path, out: Path, *args: str) -> int:
    """``report run ARGS --notebooks NB_DIR --out OUT`` in this process."""
    return reports.main(["run", *args, "--notebooks", str(nb_dir), "--out", str(out)])


@pytest.fixture
def tiny_shop(tmp_path: Path) -> Path:
    """Two categories, one campaign: enough for the runner's category/campaign checks and schedules."""
    d = tmp_path / "shop"
    d.mkdir()
    pd.DataFrame({
        "sku": ["a", "b"], "name": ["面霜", "耳机"], "category": ["美妆", "数码"], "subcategory": ["护肤", "音频"],
        "brand": ["x", "y"], "unit_cost": [5.0, 50.0], "launch_date": ["2024-01-01", "2024-01-01"],
    }).to_csv(d / "products.csv", index=False)
    pd.DataFrame({
        "order_id": ["o1", "o2", "o3"], "order_ts": ["2024-03-10 10:00", "2024-03-20 11:00", "2024-03-30 12:00"],
        "customer_id": ["c1", "c2", ""], "sku": ["a", "b", "b"], "quantity": [1, 1, 2],
        "unit_price": [10.0, 100.0, 90.0], "list_price": [10.0, 100.0, 100.0], "channel": "app",
        "region": "华东", "status": "completed", "campaign_id": ["", "", "CMP1"],
    }).to_csv(d / "orders.csv", index=False)
    pd.DataFrame({
        "campaign_id": ["CMP1", "CMP_OLD"], "name": ["春促", "旧"], "kind": ["flash_sale", "coupon"],
        "start": ["2024-03-28", "2024-01-01"], "end": ["2024-03-30", "2024-01-03"], "discount_depth": [0.1, 0.1],
        "scope_type": ["category", "all"], "scope": ["数码", ""], "marketing_spend": [100.0, 0.0],
    }).to_csv(d / "campaigns.csv", index=False)
    return d
