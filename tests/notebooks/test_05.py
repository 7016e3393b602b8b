"""Notebook 05 runs end to end through papermill: on the sample shop (checked against its planted truth), without
the traffic table, on a shop without customer ids (stops clearly), and on the real CDNOW purchases.

Expected numbers come from ``truth.json`` (the repeat rates the generator computed from its own files) and
from the shared data's README and Fader & Hardie's CDNOW cohort, never from running the notebook.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from tests.notebooks.helpers import image_count, output_text, run_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "05_customers_and_traffic.ipynb"
CDNOW = ROOT.parent / "shared" / "data" / "cdnow" / "cdnow_master.csv.gz"

pytestmark = pytest.mark.notebook


def _run(data_dir: Path, out: Path, **params: object) -> nbformat.NotebookNode:
    return run_notebook(NOTEBOOK, out, data_dir=str(data_dir), **params)


def test_notebook_05_on_the_sample_shop(small_shop_dir: Path, small_truth: dict, tmp_path: Path) -> None:
    nb = _run(small_shop_dir, tmp_path / "05.ipynb", export_dir=str(tmp_path / "exports"))
    text = output_text(nb)
    # guests are stated, not hidden
    assert "guest orders (no customer id" in text
    # the funnel and its decomposition ran with traffic
    assert "人均浏览量 View rate" in text and "加购率 Cart rate" in text and "skipping" not in text
    # planted truth: the repeat rates truth.json computes from the files, by the same definition (section 6)
    c = small_truth["customers"]
    for key in ("new_repeat_rate_90d", "returning_repeat_rate_90d", "campaign_new_repeat_rate_90d"):
        assert f"{c[key]:.1%}" in text, key
    # the executive summary on top: traffic and customer tiles, the CLV verdict, the CRM actions
    assert "05 · 客户与流量 Customers and traffic" in text and "90天重复购买率 90-day repeat" in text
    assert "BG/NBD predicted the holdout's purchases" in text and "[客户运营 CRM] Win back" in text
    # segments, CLV check, actions
    assert "Champions" in text and "Cannot lose" in text
    assert "Calibration up to" in text and "customers valued as of" in text
    assert "win back" in text and "nurture" in text
    # funnel, by category, by day, waterfall, mix, segments, transitions, 2 cohorts, repeat, gaps,
    # new vs returning, holdout, P(alive), P(alive) matrix
    assert image_count(nb) == 15
    written = sorted(p.name for p in (tmp_path / "exports").iterdir())  # through the safe writer
    assert written == [f"customers_{n}_{small_truth['end']}{s}" for n in ("nurture", "win_back") for s in (".csv", ".xlsx")]


def shown_text(nb: nbformat.NotebookNode) -> str:
    """What the report shows (printed output and results), without stderr: warnings and log lines there depend on
    the machine and its load, not on where the per-customer results are held."""
    return "\n".join(o.get("text", "") if o.get("output_type") == "stream" else o["data"].get("text/plain", "")
                     for cell in nb.cells for o in cell.get("outputs", [])
                     if (o.get("output_type") == "stream" and o.get("name") != "stderr") or "data" in o)


def test_notebook_05_with_customers_in_files_shows_the_same_text(small_shop_dir: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond ``OPSLIB_FRAME_MAX_CUSTOMERS`` the per-customer results stay in Parquet files (a shop with millions of
    customers); forced at 0 customers here, the report shows the same text and writes the same exports."""
    # Both runs open the shop in the same state: validated and stamped first, so neither prints the first check's
    # notes and the other "validated on ...; files unchanged" (the tests' cache folder starts empty).
    from opslib.data import load_shop

    load_shop(small_shop_dir)
    monkeypatch.setenv("OPSLIB_FRAME_MAX_CUSTOMERS", "0")  # the kernel inherits it
    files = _run(small_shop_dir, tmp_path / "files.ipynb", export_dir=str(tmp_path / "x_files"))
    monkeypatch.delenv("OPSLIB_FRAME_MAX_CUSTOMERS")
    frames = _run(small_shop_dir, tmp_path / "frames.ipynb", export_dir=str(tmp_path / "x_frames"))
    # blank lines dropped: where the kernel splits a cell's printed lines into stream chunks varies between runs
    text = [[line for line in shown_text(nb).replace(str(tmp_path / x), "EXPORTS").splitlines() if line.strip()]
            for nb, x in ((files, "x_files"), (frames, "x_frames"))]
    assert [(a, b) for a, b in zip(*text, strict=True) if a != b] == []
    assert image_count(files) == image_count(frames) == 15
    for name in sorted(p.name for p in (tmp_path / "x_frames").iterdir()):
        a, b = tmp_path / "x_frames" / name, tmp_path / "x_files" / name
        if name.endswith(".csv"):  # every row and cell; CLV may differ in its last digits (grouped spend fit)
            x, y = (pd.read_csv(p, encoding="utf-8-sig") for p in (a, b))
        else:
            x, y = pd.read_excel(a), pd.read_excel(b)
        pd.testing.assert_frame_equal(x, y, rtol=1e-9)


def test_notebook_05_without_traffic(small_shop_dir: Path, tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(small_shop_dir, shop, ignore=shutil.ignore_patterns("traffic.*"))
    text = output_text(_run(shop, tmp_path / "05_no_traffic.ipynb"))
    assert "no traffic table in" in text
    assert "no traffic table: skipping the funnel decomposition" in text
    # the customer sections still run
    assert "customers scored as of" in text and "Calibration up to" in text


def test_notebook_05_without_customer_ids_stops_clearly(small_shop_dir: Path, tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(small_shop_dir, shop)
    orders = pd.read_parquet(shop / "orders.parquet")
    orders["customer_id"] = pd.Series([None] * len(orders), dtype="string")
    orders.to_parquet(shop / "orders.parquet", index=False)
    nb = _run(shop, tmp_path / "05_guests.ipynb")
    text = output_text(nb)
    assert "⏹ No order line has a customer_id" in text and "skipping the customer sections" in text
    assert "Every order has a customer id" not in text
    assert "customers scored" not in text  # later cells were skipped
    # the funnel part (no ids needed) still ran: funnel, by category, by day, waterfall, mix
    assert image_count(nb) == 5


def test_notebook_05_on_twenty_days(small_shop_dir: Path, tmp_path: Path) -> None:
    """A 20-day export: the notebook completes and says what the short history leaves out (readiness table)."""
    from opslib.data import load_shop
    from opslib.data import quality as dq
    from tests.notebooks.test_short_data import _cut

    shop = _cut(small_shop_dir, tmp_path / "d20", 20)
    text = output_text(_run(shop, tmp_path / "05_d20.ipynb", period_days=28))
    days = dq.order_days(load_shop(shop, tables=["orders", "products"]))
    notes = dq.history_notes(days, "05_customers_and_traffic")
    assert len(notes) == 3  # no 90-day window, less than a year for the CLV check, < 2 years
    for note in notes:
        assert note in text
    assert "customers scored as of" in text


@pytest.mark.slow
@pytest.mark.skipif(not CDNOW.exists(), reason=f"CDNOW master not found at {CDNOW} (shared data)")
def test_notebook_05_on_cdnow(tmp_path: Path) -> None:
    """The real CDNOW purchases, imported with the CLI: no traffic, one product; the cohorts are the three
    first-purchase months of the published sample frame (README: 23,570 customers, all first buying in
    1997 Q1)."""
    shop = tmp_path / "cdnow"
    subprocess.run([sys.executable, "-m", "opslib", "import", "cdnow", str(CDNOW), str(shop)], check=True,
                   capture_output=True, cwd=ROOT)
    nb = _run(shop, tmp_path / "05_cdnow.ipynb", period_end="1998-06-30", period_days=91, compare="previous",
              cohort_months=18)
    text = output_text(nb)
    assert "no traffic table in" in text
    # the three first-purchase cohorts of the CDNOW sample frame: 7,846 + 8,476 + 7,248 = 23,570 customers
    # (the cohort sizes published with the data set's monthly analyses; the total is the README's)
    lines = text.splitlines()
    for month, size in (("1997-01", "7,846"), ("1997-02", "8,476"), ("1997-03", "7,248")):
        assert any(month in line and size in line for line in lines), (month, size)
    assert "Calibration up to" in text and "customers valued as of" in text
