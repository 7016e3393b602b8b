"""The customer measures on real data, imported with the command line (``python -m opslib import ...``):
Online Retail (UK gift shop), Olist (marketplace; repeat buyers only through ``customer_unique_id``) and CDNOW.

Expected values: the shared data README's known totals, the CDNOW first-purchase cohorts (7,846 + 8,476 + 7,248 =
23,570 customers, all first buying in 1997 Q1, as published with the data set), counts taken from the raw files
with pandas (an independent route to the same number), and effects planted into the real series (every customer
duplicated under a new id; prices x 1,000). Skips cleanly without ``ROOT.parent / "shared" / "data"``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from opslib.customers import (
    cohort_table,
    first_order_repeat,
    funnel_table,
    guest_summary,
    new_vs_returning,
    repeat_purchase_rate,
    rfm_segments,
    segment_summary,
)

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
SOURCES = {
    "online_retail": SHARED / "online_retail" / "online_retail_I_2010-12_2011-12.csv.gz",
    "olist": SHARED / "olist" / "sample_bravida",
    "cdnow": SHARED / "cdnow" / "cdnow_master.csv.gz",
}

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared real data not found at {SHARED}")


@pytest.fixture(scope="module")
def shops(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each data set imported once through the CLI, as a user would."""
    out = {}
    for kind, src in SOURCES.items():
        folder = tmp_path_factory.mktemp(f"customers_{kind}")
        subprocess.run([sys.executable, "-m", "opslib", "import", kind, str(src), str(folder)], check=True,
                       capture_output=True, cwd=ROOT)
        out[kind] = folder
    return out


def _duplicated(orders: pd.DataFrame) -> pd.DataFrame:
    """Every customer (and guest order) twice, the copy under new ids: a planted change of scale only."""
    copy = orders.copy()
    copy["order_id"] = "X" + copy["order_id"].astype(str)
    copy["customer_id"] = ("X" + copy["customer_id"].astype("string")).where(copy["customer_id"].notna())
    return pd.concat([orders, copy], ignore_index=True)


# ------------------------------------------------------------------------------------------------ CDNOW
def test_cdnow_first_purchase_cohorts(shops: dict[str, Path]) -> None:
    c = cohort_table(shops["cdnow"] / "orders.parquet")
    sizes = c.table[c.table["period"] == 0].set_index("cohort")["cohort_size"]
    assert sizes.to_dict() == {pd.Timestamp("1997-01-01"): 7_846, pd.Timestamp("1997-02-01"): 8_476,
                               pd.Timestamp("1997-03-01"): 7_248}
    assert sizes.sum() == 23_570  # README: 23,570 customers
    # the sample frame is the 1997 Q1 cohort: nobody is new after March 1997
    nv = new_vs_returning(shops["cdnow"] / "orders.parquet").set_index("period")
    assert nv.loc[nv.index >= "1997-04-01", "new_buyers"].sum() == 0
    assert nv["new_buyers"].sum() == 23_570


def test_cdnow_jd_repeat_rate_covers_the_whole_cohort(shops: dict[str, Path]) -> None:
    # 90 days ending 1997-03-31 are Jan 1 .. Mar 31: every one of the 23,570 customers bought in them
    r = repeat_purchase_rate(shops["cdnow"] / "orders.parquet", ends=["1997-03-31"], days=(90,)).rates.iloc[0]
    raw = pd.read_parquet(shops["cdnow"] / "orders.parquet")
    q1 = raw[raw["order_ts"] < "1997-04-01"]
    assert r["buyers"] == 23_570
    assert r["repeat_buyers"] == (q1.groupby("customer_id")["order_id"].nunique() >= 2).sum()


def test_cdnow_rfm_is_scale_free_and_duplication_invariant(shops: dict[str, Path]) -> None:
    orders = pd.read_parquet(shops["cdnow"] / "orders.parquet")
    base = rfm_segments(orders)
    assert len(base.customers) == 23_570
    rich = rfm_segments(orders.assign(unit_price=orders["unit_price"] * 1000))
    assert (rich.customers["segment"] == base.customers["segment"]).all()
    # duplicated customers: every rank doubles with its ties, so scores, segments and shares are unchanged
    twice = rfm_segments(_duplicated(orders)).customers.set_index("customer_id")
    orig = base.customers.set_index("customer_id")
    assert (twice.loc[orig.index, "rfm"] == orig["rfm"]).all()
    pd.testing.assert_series_equal(segment_summary(twice.reset_index())["customer_share"],
                                   segment_summary(base)["customer_share"])


# ---------------------------------------------------------------------------------------- Online Retail
def test_online_retail_customers_guests_and_planted_duplication(shops: dict[str, Path]) -> None:
    orders = pd.read_parquet(shops["online_retail"] / "orders.parquet")
    res = rfm_segments(orders)
    completed = orders[orders["status"] == "completed"]
    assert len(res.customers) == completed["customer_id"].nunique() <= 4_372  # README: 4,372 customers
    # guests: lines without CustomerID (README: 135,080 raw rows) stay in GMV and out of the customer metrics
    g = guest_summary(orders)
    valid = orders[orders["status"] != "cancelled"]
    guest = valid[valid["customer_id"].isna()]
    assert 0 < guest["order_id"].nunique() == g.orders and guest.shape[0] <= 135_080
    assert g.gmv == pytest.approx((guest["quantity"] * guest["unit_price"]).sum())
    # planted: the same shop twice under new ids -> cohort sizes double, retention and repeat rates stay
    c1 = cohort_table(orders).table.set_index(["cohort", "period"])
    c2 = cohort_table(_duplicated(orders)).table.set_index(["cohort", "period"])
    assert (c2["cohort_size"] == 2 * c1["cohort_size"]).all()
    assert c2["retention"].to_numpy() == pytest.approx(c1["retention"].to_numpy())
    r1 = first_order_repeat(orders, days=90).set_index("kind")["rate"]
    r2 = first_order_repeat(_duplicated(orders), days=90).set_index("kind")["rate"]
    assert r2.to_dict() == pytest.approx(r1.to_dict())


# ------------------------------------------------------------------------------------------------ Olist
def test_olist_repeat_buyers_need_customer_unique_id(shops: dict[str, Path]) -> None:
    src = SOURCES["olist"]
    raw_orders = pd.read_csv(src / "olist_orders_dataset.csv.gz")
    raw_customers = pd.read_csv(src / "olist_customers_dataset.csv.gz")
    items = pd.read_csv(src / "olist_order_items_dataset.csv.gz", usecols=["order_id"])
    # Olist's customer_id is per order (8,135 orders, 8,135 ids): with it nobody would ever repeat
    assert raw_orders["customer_id"].nunique() == len(raw_orders) == 8_135
    sold = raw_orders[raw_orders["order_id"].isin(items["order_id"])].merge(raw_customers, on="customer_id")
    repeaters = (sold.groupby("customer_unique_id")["order_id"].nunique() >= 2).sum()
    orders = pd.read_parquet(shops["olist"] / "orders.parquet")
    # the importer maps customer_id = customer_unique_id: the same customers, and the repeat buyers appear
    assert orders["customer_id"].nunique() == sold["customer_unique_id"].nunique()
    per_customer = orders.groupby("customer_id")["order_id"].nunique()
    assert (per_customer >= 2).sum() == repeaters > 0
    t = first_order_repeat(orders, days=365).set_index("kind")
    assert t.loc["new", "orders"] > 0 and t.loc["new", "rate"] < 0.05  # a marketplace: repeat buyers are rare


def test_olist_funnel_paid_orders_come_from_fulfilment(shops: dict[str, Path]) -> None:
    src = SOURCES["olist"]
    raw_orders = pd.read_csv(src / "olist_orders_dataset.csv.gz")
    items = pd.read_csv(src / "olist_order_items_dataset.csv.gz", usecols=["order_id"])
    sold = raw_orders[raw_orders["order_id"].isin(items["order_id"])]
    d = shops["olist"]
    f = funnel_table(d / "orders.parquet", fulfilment=d / "fulfilment.parquet").table.iloc[0]
    assert f["orders_placed"] == sold["order_id"].nunique()
    assert f["paid"] == sold["order_approved_at"].notna().sum()  # paid_ts = order_approved_at
    assert f["visitors"] != f["visitors"]  # no traffic table: NaN, not 0
