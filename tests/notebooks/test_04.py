"""Notebook 04 (data quality) runs on the sample shop and on an imported export with its import log."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebooks.helpers import output_text, run_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "04_data_quality.ipynb"


def _run(data_dir: Path, out: Path) -> str:
    return output_text(run_notebook(NOTEBOOK, out, data_dir=str(data_dir)))


@pytest.mark.notebook
def test_notebook_04_on_sample(small_shop_dir: Path, tmp_path: Path) -> None:
    text = _run(small_shop_dir, tmp_path / "04.ipynb")
    assert "no import_log.json" in text  # the sample is generated, not imported
    assert "runs of empty days" in text
    assert "00_shop_at_a_glance: can run" in text
    assert "合同问题 contract problems: 0" in text and "The shop meets the data contract." in text


@pytest.mark.notebook
def test_notebook_04_on_import(tmp_path: Path) -> None:
    from opslib.importers import main

    shop = tmp_path / "taobao"
    assert main([str(ROOT / "examples/mappings/taobao_orders.yml"), str(ROOT / "examples/taobao_export"), str(shop)]) == 0
    text = _run(shop, tmp_path / "04.ipynb")
    assert "input 7 rows = dropped 0 + merged 1 + order lines 6 -> adds up" in text
    assert "duplicate_key_merged" in text
    assert "02_campaign_evaluation: cannot run" in text


@pytest.mark.notebook
def test_notebook_04_reads_the_stamp_of_a_validated_shop(small_shop_dir: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """After ``python -m opslib validate`` the report shows that validation (no 45-minute re-check at 100M)."""
    from opslib.data import format_report, validate_main, validate_shop

    monkeypatch.setenv("OPSLIB_CACHE_DIR", str(tmp_path / "cache"))  # the kernel inherits it
    monkeypatch.delenv("OPSLIB_REVALIDATE", raising=False)
    assert validate_main([str(small_shop_dir)]) == 0
    full = format_report(validate_shop(small_shop_dir))  # a second full check, for the tables it prints
    text = _run(small_shop_dir, tmp_path / "04.ipynb")
    assert "; files unchanged" in text and "Result: OK, the shop meets the data contract." in text
    for line in full.splitlines()[1:]:  # every table line and note of the full check, as it printed them
        assert line in text
