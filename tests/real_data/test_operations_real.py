"""Operations on the real Olist data (delivery, estimated-delivery and review data of a Brazilian marketplace).

Expected values are computed here from the raw Kaggle CSV files with plain pandas, not with opslib. Skips when
the shared data folder (``ROOT.parent / "shared" / "data"``) is absent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from opslib.data import load_shop
from opslib.importers import run_import
from opslib.operations import carrier_comparison, durations_by, late_review_effect, prepare
from tests.notebooks.helpers import output_text, run_notebook

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
OLIST = SHARED / "olist" / "sample_bravida"

pytestmark = pytest.mark.skipif(not OLIST.is_dir(), reason=f"Olist sample not found at {OLIST} (ROOT.parent/shared/data)")


@pytest.fixture(scope="module")
def olist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("olist_ops")
    run_import("olist", OLIST, out)
    return out


@pytest.fixture(scope="module")
def data(olist_dir: Path):
    return prepare(load_shop(olist_dir, tables=["orders", "products", "campaigns", "fulfilment", "reviews", "service"]))


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """Delivered orders with items and their latest review, straight from the Kaggle files."""
    o = pd.read_csv(OLIST / "olist_orders_dataset.csv.gz",
                    parse_dates=["order_delivered_customer_date", "order_estimated_delivery_date"])
    items = pd.read_csv(OLIST / "olist_order_items_dataset.csv.gz", usecols=["order_id"])
    o = o[o["order_id"].isin(items["order_id"]) & o["order_delivered_customer_date"].notna()]
    # late: delivered on a later calendar day than the estimated delivery date
    o = o.assign(late=o["order_delivered_customer_date"].dt.normalize() > o["order_estimated_delivery_date"])
    r = pd.read_csv(OLIST / "olist_order_reviews_dataset.csv.gz", parse_dates=["review_creation_date"])
    r = r.sort_values("review_creation_date").drop_duplicates("order_id", keep="last")
    return o.merge(r[["order_id", "review_score"]], on="order_id", how="left")


def test_promise_is_a_date_and_lateness_matches_the_raw_files(data, raw) -> None:
    assert any("promised date" in n for n in data.notes)
    delivered = data.orders[data.orders["delivered_ts"].notna()]
    assert len(delivered) == len(raw)
    assert delivered["late"].mean() == pytest.approx(raw["late"].mean(), abs=1e-12)


def test_late_delivery_costs_about_two_points(data, raw) -> None:
    reviewed = raw.dropna(subset=["review_score"])
    gap = reviewed.loc[reviewed["late"], "review_score"].mean() - reviewed.loc[~reviewed["late"], "review_score"].mean()
    e = late_review_effect(data)
    assert e.n == len(reviewed)
    assert "carrier" not in e.controls  # Olist has no carrier: the control is dropped, and said so
    assert any("carrier" in n for n in e.notes)
    assert e.estimate() == pytest.approx(gap, abs=0.25)  # category and month controls move it only a little
    lo, hi = e.interval()
    assert hi < -1.5  # a large, certain effect on real data


def test_bad_rows_are_counted_not_used(data) -> None:
    o = pd.read_csv(OLIST / "olist_orders_dataset.csv.gz",
                    parse_dates=["order_purchase_timestamp", "order_approved_at", "order_delivered_carrier_date"])
    items = pd.read_csv(OLIST / "olist_order_items_dataset.csv.gz", usecols=["order_id"])
    o = o[o["order_id"].isin(items["order_id"])]
    paid = o["order_approved_at"].fillna(o["order_purchase_timestamp"])
    negative = int((o["order_delivered_carrier_date"] < paid).sum())
    note = next(n for n in data.notes if "shipped_ts before paid_ts" in n)
    assert int(re.search(r"([\d,]+) orders", note).group(1).replace(",", "")) == negative
    assert (data.orders["handling_h"].dropna() >= 0).all()
    assert any("only a sample of the delivered" in n for n in data.notes)  # the importer's bias warning


def test_sellers_compare_with_intervals_where_carriers_are_unknown(data) -> None:
    assert "only one carrier" in carrier_comparison(data).reason
    by_seller = carrier_comparison(data, by="warehouse", adjust_for="region").table
    assert len(by_seller) > 5 and (by_seller["on_time_low"] <= by_seller["on_time_rate"]).all()
    t = durations_by(data, "warehouse")
    assert t["orders"].sum() == int((~data.orders["cancelled"]).sum())


@pytest.mark.notebook
def test_notebook_06_runs_on_olist(olist_dir: Path, tmp_path: Path) -> None:
    nb = run_notebook("06_operations_coordination.ipynb", tmp_path / "06_olist.ipynb", data_dir=str(olist_dir),
                      carrier_by="warehouse", drill_kpi="on_time")
    text = output_text(nb)
    assert f"skipped: no service table in {olist_dir}" in text
    assert "late delivery 迟到: -" in text and "promised date" in text
    assert "Traceback" not in text
