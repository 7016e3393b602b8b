"""The report runner end to end on the real notebooks and the small sample shop (short periods)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from opslib import reporting as reports
from tests.conftest import ROOT

pytestmark = pytest.mark.notebook


def test_weekly_category_schedule_then_a_broken_export(small_shop_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    # The weekly review expands to the top 3 categories and runs them on 2 workers.
    code = reports.main(["run", "--config", str(ROOT / "reports.yml"), "--schedule", "weekly_category_review",
                         "-p", "data_dir", str(small_shop_dir), "-p", "export_dir", str(tmp_path / "exports"),
                         "--workers", "2", "--period", "W", "--out", str(out)])
    assert code == 0
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert len(runs) == 3 and {r["status"] for r in runs} == {"ok"}
    assert all(r["parameters"]["period_days"] == 7 and r["data_fingerprint"] for r in runs)
    assert all(r["template"] == "committed" and r["timeout"] > 0 for r in runs)
    assert len(list((out / "W").glob("01_category_optimisation__*.html"))) == 3
    # Each category's action table, as CSV and Excel, in the export folder (named with the category).
    exports = sorted(p.name for p in (tmp_path / "exports").iterdir())
    assert len(exports) == 6 and {r["parameters"]["category"] for r in runs} == \
        {n.split("_")[2] for n in exports}

    # Next morning the export is broken: the report fails, says why on top, and yesterday's stays.
    good = out / "W" / "00_shop_at_a_glance.html"
    assert reports.main(["run", "00", "-p", "data_dir", str(small_shop_dir), "--period", "W", "--out", str(out)]) == 0
    before = good.read_bytes()
    broken = tmp_path / "broken"
    shutil.copytree(small_shop_dir, broken)
    (broken / "orders.parquet").write_bytes(b"not a parquet file")
    assert reports.main(["run", "00", "-p", "data_dir", str(broken), "--period", "W", "--out", str(out)]) == 1
    assert good.read_bytes() == before
    failed = nbformat.read(str(out / "W" / "00_shop_at_a_glance.failed.ipynb"), as_version=4)
    assert "DataError" in failed.cells[0].source and "orders.parquet" in failed.cells[0].source
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "failed" in index and "W/00_shop_at_a_glance.html" in index
