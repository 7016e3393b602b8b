"""Customer service: conversion, SLAs and contact drivers against the planted truth (truth.json -> service)."""

from __future__ import annotations

import pandas as pd
import pytest

from opslib.operations import (
    OpsData,
    contact_drivers,
    contact_rates,
    inquiry_conversion,
    response_conversion_effect,
    service_levels,
)


def test_conversion_by_response_time_matches_the_plant(small_ops, small_truth) -> None:
    p = small_truth["service"]["planted"]
    c = inquiry_conversion(small_ops, "response").set_index("group")
    fast, slow = c.loc["≤ 30 s"], c.loc["> 30 s"]
    assert fast["low"] <= p["conversion_if_fast"] <= fast["high"]
    assert slow["low"] <= p["conversion_if_slow"] <= slow["high"]
    total = inquiry_conversion(small_ops, None)
    assert total["conversion"].iloc[0] == pytest.approx(small_truth["service"]["inquiry_conversion"], abs=1e-4)


def test_fast_answers_gain_the_planted_20_points(small_ops, small_truth) -> None:
    p = small_truth["service"]["planted"]
    e = response_conversion_effect(small_ops)
    planted = p["conversion_if_fast"] - p["conversion_if_slow"]  # 0.55 - 0.35
    assert e.estimate() == pytest.approx(planted, abs=0.04)
    assert e.interval()[0] > 0


def test_the_slow_agent_stands_out(small_ops, small_truth) -> None:
    p = small_truth["service"]["planted"]
    levels = service_levels(small_ops, "agent").set_index("group")
    assert levels["within_sla"].idxmin() == p["slow_agent"]
    # planted: normal-day share within 30 s of an ordinary agent Φ((ln 30 - ln 8)/0.7) = 0.970, on campaign days
    # 0.719; the all-days share mixes the two (about 20 % of contacts fall on campaign days)
    ordinary = levels.drop(p["slow_agent"])["within_sla"]
    assert ((ordinary > p["fast_share"]["campaign_day"]) & (ordinary < p["fast_share"]["normal_day"])).all()
    by_day = service_levels(small_ops, "campaign_day").set_index("group")["within_sla"]
    assert by_day["活动日 campaign day"] < by_day["平日 normal day"] - 0.15


def test_contact_drivers_recover_the_planted_rates(small_ops, small_truth) -> None:
    planted = small_truth["service"]["planted"]["after_sale_per_100_orders"]  # base 5, late 15, slow 10, ret 40, lost 60
    e = contact_drivers(small_ops).terms.set_index("term")
    assert e.loc["delivered late 迟到", "estimate"] == pytest.approx(planted["late"], abs=3)
    assert e.loc["shipped after 48 h 发货慢", "estimate"] == pytest.approx(planted["slow_ship"], abs=4)
    assert e.loc["returned 退货", "estimate"] == pytest.approx(planted["returned"], abs=4)
    for term, key in (("delivered late 迟到", "late"), ("shipped after 48 h 发货慢", "slow_ship"),
                      ("returned 退货", "returned"), ("lost parcel 丢件", "lost")):
        assert e.loc[term, "low"] <= planted[key] <= e.loc[term, "high"], term


def test_contact_rate_matches_truth(small_ops, small_truth) -> None:
    r = contact_rates(small_ops, None)
    assert r["per_100_orders"].iloc[0] == pytest.approx(small_truth["service"]["contacts_per_100_orders"], rel=1e-6)


def _contacts() -> pd.DataFrame:
    t0 = pd.Timestamp("2024-01-01 10:00")
    return pd.DataFrame({
        "stage": ["pre_sale", "pre_sale", "after_sale", "after_sale"], "agent": ["a", "b", "a", "b"],
        "contact_ts": [t0] * 4, "first_response_s": [10.0, 45.0, None, 20.0], "resolution_h": [0.1, 0.2, 30.0, 2.0],
        "converted_flag": [True, False, None, None], "reason": ["商品咨询", "尺码推荐", "物流查询", "物流查询"],
        "campaign_day": False})


def test_service_levels_by_hand() -> None:
    t = service_levels(_contacts(), None, as_of=pd.Timestamp("2024-02-01")).iloc[0]
    # answered within 30 s: 10 s and 20 s of 4 contacts (45 s too slow, one never answered) = 50 %
    assert t["within_sla"] == 0.5 and t["response_p50_s"] == 20.0
    # after-sale resolved within 24 h: 2 h yes, 30 h no = 50 %
    assert t["resolved_within"] == 0.5 and t["after_sale"] == 2


def test_contact_rates_per_100_orders_by_hand() -> None:
    o = pd.DataFrame({"order_id": [f"o{i}" for i in range(8)], "order_ts": pd.Timestamp("2024-01-01"),
                      "cancelled": False})
    d = OpsData(orders=o, days=pd.DataFrame(), reviews=None, contacts=_contacts(), as_of=pd.Timestamp("2024-02-01"),
                has_fulfilment=False, peak_rule="load")
    r = contact_rates(d, "reason").set_index("group")
    assert r.loc["物流查询", "per_100_orders"] == pytest.approx(100 * 2 / 8)  # 2 contacts, 8 orders


def test_without_service_table_every_function_says_why() -> None:
    d = OpsData(orders=pd.DataFrame({"cancelled": []}), days=pd.DataFrame(), reviews=None, contacts=None,
                as_of=pd.Timestamp("2024-01-01"), has_fulfilment=False, peak_rule="load",
                skipped={"service": "no service table in x"})
    assert inquiry_conversion(d).attrs["skipped"] == "no service table in x"
    assert service_levels(d).attrs["skipped"] == "no service table in x"
    assert contact_drivers(d).reason == "no service table in x"
