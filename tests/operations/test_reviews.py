"""Service quality: the planted late-delivery effect (-0.71), controls that matter, returns by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslib.operations import (
    OpsData,
    late_review_effect,
    return_reasons,
    returns_by,
    review_mix,
    topic_mix,
)


def _data(reviews: pd.DataFrame | None = None, orders: pd.DataFrame | None = None,
          contacts: pd.DataFrame | None = None) -> OpsData:
    return OpsData(orders=orders if orders is not None else pd.DataFrame(), days=pd.DataFrame(), reviews=reviews,
                   contacts=contacts, as_of=pd.Timestamp("2024-03-01"), has_fulfilment=True, peak_rule="campaign")


def test_late_effect_recovers_the_planted_effect(small_ops, small_truth) -> None:
    planted = small_truth["fulfilment"]["late_review_effect"]  # -0.71
    e = late_review_effect(small_ops)
    assert e.estimate() == pytest.approx(planted, abs=0.1)  # the brief: within 0.1
    lo, hi = e.interval()
    assert lo < planted < hi and hi < 0
    assert set(e.controls) == {"category", "carrier", "month"}


def test_controls_remove_a_confounder() -> None:
    """Carrier B is late more often *and* its customers score 1 point lower for other reasons: the raw gap
    overstates lateness, the controlled estimate recovers the planted -0.7."""
    rng = np.random.default_rng(5)
    n = 20_000
    carrier = rng.choice(["A", "B"], n)
    late = rng.random(n) < np.where(carrier == "B", 0.5, 0.1)
    score = 4.5 - 0.7 * late - 1.0 * (carrier == "B") + rng.normal(0, 0.5, n)
    r = pd.DataFrame({"score": score, "late": late, "carrier": carrier, "delivered_ts": pd.Timestamp("2024-01-02"),
                      "review_ts": pd.Timestamp("2024-01-05")})
    raw = r.loc[r["late"], "score"].mean() - r.loc[~r["late"], "score"].mean()
    assert raw < -1.1  # the confounded gap
    e = late_review_effect(_data(r), controls=("carrier",))
    assert e.estimate() == pytest.approx(-0.7, abs=0.03)


def test_late_effect_is_scale_free() -> None:
    r = pd.DataFrame({"score": [5.0, 4.0, 4.0, 2.0, 3.0, 5.0], "late": [False, False, True, True, True, False],
                      "carrier": list("ABABAB"), "delivered_ts": pd.Timestamp("2024-01-02"),
                      "review_ts": pd.Timestamp("2024-01-05")})
    e1 = late_review_effect(_data(r), controls=("carrier",))
    e2 = late_review_effect(_data(r.assign(score=r["score"] * 1000)), controls=("carrier",))
    assert e2.estimate() == pytest.approx(1000 * e1.estimate())


def test_late_effect_without_reviews_says_why() -> None:
    d = _data(None)
    d.skipped["reviews"] = "no reviews table in x"
    e = late_review_effect(d)
    assert not e.ok and e.reason == "no reviews table in x" and e.summary().empty


def test_review_mix_and_topics_by_hand() -> None:
    r = pd.DataFrame({"score": [5, 4, 2, 1, 5], "topic": ["质量", None, "物流", "物流", "价格"],
                      "late": [False, False, True, True, False], "carrier": ["A", "A", "B", "B", "B"],
                      "delivered_ts": pd.to_datetime(["2024-01-02"] * 4 + [None]),
                      "review_ts": pd.Timestamp("2024-01-05")})
    m = review_mix(_data(r), "lateness").set_index("lateness")
    # on time: 5, 4 -> 4.5; late: 2, 1 -> 1.5, both bad; not delivered: 5
    assert m.loc["准时 on time", "score"] == 4.5 and m.loc["迟到 late", "bad_share"] == 1.0
    assert m.loc["未送达 not delivered", "reviews"] == 1
    t = topic_mix(_data(r), "carrier").set_index(["carrier", "topic"])
    assert t.loc[("B", "物流"), "share"] == pytest.approx(2 / 3)


def test_late_reviews_are_about_logistics(small_ops) -> None:
    t = topic_mix(small_ops, "lateness").set_index(["lateness", "topic"])
    # planted: 物流 is 52 % of late reviews, 12 % of on-time ones
    assert t.loc[("迟到 late", "物流"), "share"] == pytest.approx(0.52, abs=0.04)
    assert t.loc[("准时 on time", "物流"), "share"] == pytest.approx(0.12, abs=0.02)


def test_returns_by_hand() -> None:
    o = pd.DataFrame({"order_id": list("abcde"), "order_ts": pd.Timestamp("2024-01-01"),
                      "category": ["服饰", "服饰", "服饰", "食品", "食品"],
                      "cancelled": [False, False, True, False, False], "returned": [True, False, False, False, False],
                      "gmv": [100.0, 50.0, 0.0, 20.0, 30.0], "returned_sku": ["s1", None, None, None, None]})
    t = returns_by(_data(orders=o), "category").set_index("category")
    # 服饰: 1 of 3 cancelled; 1 return among 2 non-cancelled = 50 %
    assert t.loc["服饰", "cancel_rate"] == pytest.approx(1 / 3) and t.loc["服饰", "return_rate"] == 0.5
    assert t.loc["食品", "return_rate"] == 0.0 and t.loc["服饰", "gmv"] == 150.0


def test_return_reasons_prefer_service_then_reviews() -> None:
    o = pd.DataFrame({"order_id": ["a", "b", "c"], "order_ts": pd.Timestamp("2024-01-01"), "category": "服饰",
                      "cancelled": False, "returned": True})
    c = pd.DataFrame({"order_id": ["a", "a"], "stage": "after_sale", "reason": ["物流查询", "尺码不合适"],
                      "contact_ts": pd.to_datetime(["2024-01-02", "2024-01-03"])})
    r = pd.DataFrame({"order_id": ["a", "b"], "score": [1, 2], "topic": ["质量", "质量"]})
    t = return_reasons(_data(reviews=r, orders=o, contacts=c), "category").set_index("reason")
    assert t.loc["尺码不合适", "source"] == "service 客服"  # a: the return contact, not the parcel query
    assert t.loc["质量", "source"] == "review 评价" and t.loc["质量", "orders"] == 1  # b: from its review
    assert t.loc["未知 unknown", "orders"] == 1  # c: no evidence


def test_apparel_returns_are_mostly_about_size(small_ops) -> None:
    t = return_reasons(small_ops, "category")
    svc = t[(t["category"] == "服饰") & (t["source"] == "service 客服")].set_index("reason")["orders"]
    # planted: 60 % of 服饰 return contacts are 尺码不合适
    assert svc.idxmax() == "尺码不合适"
