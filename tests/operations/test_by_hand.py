"""Every KPI's numerator and denominator on a tiny shop, computed by hand, from a shop whose order lines may never
enter pandas: ``prepare`` folds the orders on the shop's engine and the scorecard reads only the units due in
its period. Four orders, three reviews, four service contacts; every promise is at midnight (a promised date,
so an order is on time when delivered by 23:59:59 that day); the data end (``as_of``) is the last review,
2024-02-10 10:00.

order  placed        sku status     paid -> shipped (h)   delivered     promised   warehouse carrier
o1     01-01 10:00   a   completed  24                    01-03 10:00   01-04      W1        C1
o2     01-01 11:00   b   returned   72                    01-06 11:00   01-05      W1        C2   late
o3     01-02 09:00   a   cancelled  (paid, not shipped)                 01-06      W2        C1
o4     01-02 12:00   a   completed  24                    -             01-05      W2        C1   lost
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opslib import operations as ops
from opslib.data import load_shop
from opslib.operations.norms import norms_from_mapping
from tests.lineless import lineless

T = pd.Timestamp
PERIOD = ("2024-01-01", "2024-02-10")


@pytest.fixture(autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSLIB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def tiny_shop(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4"],
        "order_ts": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 11:00", "2024-01-02 09:00", "2024-01-02 12:00"]),
        "customer_id": ["c1", "c2", "c3", "c4"], "sku": ["a", "b", "a", "a"], "quantity": [1, 2, 1, 1],
        "unit_price": [10.0, 20.0, 10.0, 10.0], "list_price": 20.0, "channel": "app", "region": "华东",
        "status": ["completed", "returned", "cancelled", "completed"], "campaign_id": None,
    }).to_parquet(folder / "orders.parquet", index=False)
    pd.DataFrame({"sku": ["a", "b"], "name": ["甲", "乙"], "category": ["美妆", "服饰"], "subcategory": "x",
                  "brand": "y", "unit_cost": [4.0, 8.0], "launch_date": pd.to_datetime([None, None])}
                 ).to_parquet(folder / "products.parquet", index=False)
    pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4"],
        "paid_ts": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 11:00", "2024-01-02 09:00", "2024-01-02 12:00"]),
        "shipped_ts": pd.to_datetime(["2024-01-02 10:00", "2024-01-04 11:00", None, "2024-01-03 12:00"]),
        "delivered_ts": pd.to_datetime(["2024-01-03 10:00", "2024-01-06 11:00", None, None]),
        "promised_ts": pd.to_datetime(["2024-01-04", "2024-01-05", "2024-01-06", "2024-01-05"]),
        "warehouse": ["W1", "W1", "W2", "W2"], "carrier": ["C1", "C2", "C1", "C1"],
    }).to_parquet(folder / "fulfilment.parquet", index=False)
    pd.DataFrame({"order_id": ["o1", "o2", "o4"],
                  "review_ts": pd.to_datetime(["2024-01-04 08:00", "2024-01-07 08:00", "2024-02-10 10:00"]),
                  "score": [5, 1, 2], "topic": [None, "质量", "物流"]}).to_parquet(folder / "reviews.parquet", index=False)
    at = pd.to_datetime(["2024-01-01 09:00", "2024-01-01 09:30", "2024-01-05 10:00", "2024-01-06 10:00"])
    pd.DataFrame({
        "contact_id": ["s1", "s2", "s3", "s4"], "contact_ts": at,
        "stage": ["pre_sale", "pre_sale", "after_sale", "after_sale"], "reason": ["询价", "询价", "退换货", "物流"],
        "customer_id": ["c1", "c2", "c2", "c4"], "order_id": [None, None, "o2", "o4"], "sku": ["a", "b", "b", "a"],
        "agent": ["A1", "A2", "A1", "A2"],
        "first_response_ts": [at[0] + pd.Timedelta(seconds=10), at[1] + pd.Timedelta(seconds=60),
                              at[2] + pd.Timedelta(seconds=20), pd.NaT],
        "resolved_ts": [at[0] + pd.Timedelta(hours=1), pd.NaT, at[2] + pd.Timedelta(hours=30), pd.NaT],
        "converted": ["yes", "no", None, None],
    }).to_parquet(folder / "service.parquet", index=False)
    return folder


NORMS = {  # norm: (metric, params); every norm judged from one unit on
    "ship": ("ship_within", {"hours": 48}), "on_time": ("on_time", {}), "transit": ("transit_within", {"hours": 72}),
    "lost": ("lost_share", {}), "response": ("first_response_within", {"seconds": 30}),
    "resolution": ("resolution_within", {"hours": 24, "stage": "after_sale"}),
    "conversion": ("inquiry_conversion", {}), "contacts": ("after_sale_contacts_per_100", {"settle_days": 14}),
    "score": ("review_score", {}), "quality": ("bad_review_share", {"topics": ["质量"]}),
    "returns": ("return_rate", {"settle_days": 14}), "cancel": ("cancellation_rate", {}),
}

# (units due, failing units, value) by hand; as_of 2024-02-10 10:00 is past every deadline below.
BY_HAND = {
    "ship": (3, 1, 2 / 3),          # o1, o2, o4 paid (o3 cancelled); o2 shipped after 72 h > 48 h
    "on_time": (3, 2, 1 / 3),       # promises passed for o1, o2, o4: only o1 delivered by 23:59:59 of its date
    "transit": (3, 1, 2 / 3),       # o1 24 h, o2 48 h within 72 h; o4 never delivered
    "lost": (3, 1, 1 / 3),          # shipped, promise + 14 days passed: o4 not delivered
    "response": (4, 2, 2 / 4),      # s1 10 s, s3 20 s within 30 s; s2 60 s, s4 never answered
    "resolution": (2, 2, 0.0),      # after-sale s3 resolved in 30 h > 24 h, s4 open
    "conversion": (2, 1, 1 / 2),    # pre-sale s1 yes, s2 no
    "contacts": (3, 2, 200 / 3),    # o1 0, o2 1 (s3), o4 1 (s4) after-sale contacts: 100·(0+1+1)/3
    "score": (3, 2, 8 / 3),         # (5 + 1 + 2) / 3; scores <= 2 are the exceptions
    "quality": (3, 1, 1 / 3),       # o2: 1 star about 质量
    "returns": (3, 1, 1 / 3),       # o2 returned among o1, o2, o4
    "cancel": (4, 1, 1 / 4),        # o3 of four orders
}


def norms():
    depts = {"d": {"owner": "x", "norms": {k: {"metric": m, "at_least" if m not in (
        "lost_share", "after_sale_contacts_per_100", "bad_review_share", "return_rate", "cancellation_rate")
        else "at_most": 0.5 if m not in ("review_score", "after_sale_contacts_per_100") else 3.0,
        "min_units": 1, **p} for k, (m, p) in NORMS.items()}}}
    return norms_from_mapping({"departments": depts})


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ops.OpsData:
    import os

    os.environ.setdefault("OPSLIB_CACHE_DIR", str(tmp_path_factory.mktemp("c")))
    shop = load_shop(tiny_shop(tmp_path_factory.mktemp("tiny")))
    return ops.prepare(lineless(shop))  # the lines never come into pandas


def test_prepare_keeps_the_orders_on_the_engine(data: ops.OpsData) -> None:
    assert data.on_engine and data.as_of == T("2024-02-10 10:00")
    assert data.first_day == T("2024-01-01") and data.last_day == T("2024-01-02")
    assert data.describe().startswith("4 orders (3 not cancelled), data as of 2024-02-10 10:00")
    assert "every promised_ts is at midnight" in data.describe()
    assert data.days["orders"].tolist() == [2, 1]  # non-cancelled orders per order day


@pytest.mark.parametrize("norm", list(BY_HAND))
def test_every_kpi_by_hand(data: ops.OpsData, norm: str) -> None:
    card = ops.score_norms(data, norms(), PERIOD)
    r = card.results.set_index("norm").loc[f"d.{norm}"]
    units, fails, value = BY_HAND[norm]
    assert (int(r["units"]), int(r["fails"])) == (units, fails)
    assert float(r["value"]) == pytest.approx(value)


def test_the_exceptions_are_the_units_named_by_hand(data: ops.OpsData) -> None:
    card = ops.score_norms(data, norms(), PERIOD)
    b = card.breaches(only_breached=False)
    assert sorted(b.loc[b["norm"] == "d.on_time", "order_id"]) == ["o2", "o4"]
    assert b.loc[b["norm"] == "d.lost", "order_id"].tolist() == ["o4"]
    assert sorted(b.loc[b["norm"] == "d.response", "contact_id"]) == ["s2", "s4"]
    # on time: o2 delivered 01-06 11:00, 11 h after the end of 01-05; o4 still out at as_of (35 days 10 h)
    late_h = b.loc[b["norm"] == "d.on_time"].set_index("order_id")["measure"]
    assert late_h["o2"] == pytest.approx(11 + 1 / 3600) and late_h["o4"] == pytest.approx(24 * 35 + 10 + 1 / 3600)


def test_period_tables_by_hand(data: ops.OpsData) -> None:
    d = ops.durations_by(data, "warehouse", PERIOD).set_index("warehouse")
    # W1: o1 24 h, o2 72 h handling; both due, o1 on time; W2: o4 (o3 cancelled)
    assert d.loc["W1", ["orders", "handling_mean_h", "due", "on_time_rate"]].tolist() == [2, 48.0, 2, 0.5]
    assert d.loc["W2", ["orders", "lost"]].tolist() == [1, 1]
    r = ops.returns_by(data, "category", PERIOD).set_index("category")
    assert r.loc["美妆", ["orders", "cancelled", "returned"]].tolist() == [3, 1, 0]
    assert r.loc["服饰", ["orders", "returned", "gmv"]].tolist() == [1, 1, 40.0]
    s = ops.service_levels(data, "agent", PERIOD).set_index("group")
    assert s.loc["A1", ["contacts", "within_sla", "after_sale", "resolved_within"]].tolist() == [2, 1.0, 1, 0.0]
    assert ops.lost_parcels(data, PERIOD)["order_id"].tolist() == ["o4"]
