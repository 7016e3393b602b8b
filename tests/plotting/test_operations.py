"""Every chart and display table of notebook 06 on tiny frames, with warnings as errors."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from opslib import operations as ops  # noqa: E402
from opslib import plotting  # noqa: E402
from opslib.plotting import operations as opsplot  # noqa: E402

T0 = pd.Timestamp("2024-01-01 10:00")


@pytest.fixture(autouse=True)
def _strict():
    plotting.set_theme()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ResourceWarning)  # sockets other tests leaked, collected here
        yield
    plt.close("all")


@pytest.fixture(scope="module")
def tiny() -> ops.OpsData:
    """Eight orders over two days (one a campaign day), two carriers, reviews and contacts."""
    n = 8
    paid = pd.to_datetime(["2024-01-01 10:00"] * 4 + ["2024-01-02 10:00"] * 4)
    handling = np.array([10, 20, 60, 30, 12, 14, 16, 70], dtype=float)
    shipped = paid + pd.to_timedelta(handling, unit="h")
    transit = np.array([30, 40, 50, 60, 35, 45, 55, np.nan])
    delivered = shipped + pd.to_timedelta(transit, unit="h")
    promise = paid.normalize() + pd.Timedelta(days=3, hours=23, minutes=59)
    o = pd.DataFrame({"order_id": [f"o{i}" for i in range(n)], "order_ts": paid, "paid_ts": paid,
                      "shipped_ts": shipped, "delivered_ts": delivered, "promised_ts": promise, "promise_end": promise,
                      "cancelled": [False] * 7 + [True], "returned": [False, True] + [False] * 6, "units": 1,
                      "gmv": 100.0, "sku": ["s1", "s2"] * 4, "returned_sku": [None, "s2"] + [None] * 6,
                      "category": ["美妆", "服饰"] * 4, "carrier": ["顺丰", "中通"] * 4, "warehouse": "上海仓",
                      "region": ["华东", "华南"] * 4, "channel": "app", "handling_h": handling, "transit_h": transit,
                      "campaign_day": [True] * 4 + [False] * 4, "peak": [True] * 4 + [False] * 4,
                      "day": paid.normalize(), "month": "2024-01", "weekday": paid.day_of_week})
    o["late"] = o["delivered_ts"].notna() & (o["delivered_ts"] > o["promise_end"])
    o["on_time"] = o["delivered_ts"].notna() & ~o["late"]
    o["lost"] = False
    r = o.iloc[:6].assign(score=[5, 2, 4, 1, 5, 3], topic=["质量", "物流", None, "物流", "价格", "质量"],
                          review_ts=o["delivered_ts"].iloc[:6] + pd.Timedelta(hours=5))
    c = pd.DataFrame({"contact_id": [f"S{i}" for i in range(6)], "contact_ts": [T0] * 6,
                      "stage": ["pre_sale"] * 3 + ["after_sale"] * 3, "reason": ["商品咨询", "尺码推荐", "商品咨询",
                                                                               "物流查询", "退换货", "物流查询"],
                      "order_id": ["o0", None, None, "o1", "o1", "o2"], "sku": "s1", "agent": ["a", "b"] * 3,
                      "first_response_s": [5.0, 50.0, 12.0, 8.0, 40.0, None], "resolution_h": [0.1, 0.1, 0.1, 2.0, 30.0, None],
                      "converted_flag": [True, False, True, None, None, None], "campaign_day": [True, False] * 3,
                      "carrier": ["顺丰", None, None, "中通", "中通", "顺丰"], "category": "美妆"})
    days = pd.DataFrame({"day": pd.to_datetime(["2024-01-01", "2024-01-02"]), "orders": [4, 3],
                         "load_ratio": [np.nan, 0.75], "campaign_day": [True, False], "campaign_id": ["C1", None],
                         "peak": [True, False]})
    return ops.OpsData(orders=o, days=days, reviews=r, contacts=c, as_of=pd.Timestamp("2024-02-01"),
                       has_fulfilment=True, peak_rule="campaign")


@pytest.fixture(scope="module")
def card(tiny) -> ops.Scorecard:
    norms = ops.norms_from_mapping({"departments": {
        "warehouse": {"owner": "Li", "norms": {"ship": {"metric": "ship_within", "hours": 48, "at_least": 0.95,
                                                         "min_units": 2}}},
        "service": {"owner": "Wu", "norms": {"fr": {"metric": "first_response_within", "at_least": 0.9, "min_units": 2},
                                             "rate": {"metric": "after_sale_contacts_per_100", "at_most": 12,
                                                      "min_units": 2}}},
        "product": {"owner": "Qi", "norms": {"score": {"metric": "review_score", "at_least": 4.2, "min_units": 50}}}}})
    return ops.score_norms(tiny, norms, ("2024-01-01", "2024-01-31"))


def _is_table(t: pd.DataFrame) -> None:
    assert isinstance(t, pd.DataFrame) and len(t)
    assert all(isinstance(v, str) or v is None for v in t.to_numpy().ravel()), "display tables hold text"


def test_scorecard_charts_and_tables(card) -> None:
    assert isinstance(card.plot(), Figure)
    assert isinstance(card.plot_trend(), Figure)
    _is_table(opsplot.scorecard_table(card.summary()))
    _is_table(opsplot.department_table(card.departments()))
    _is_table(opsplot.norms_table(card.norms.summary()))
    t = opsplot.scorecard_table(card.summary())
    assert "样本不足 too few" in set(t["状态 status"])  # 6 reviews < min_units 50


def test_breaches_contributors_and_alerts(card) -> None:
    _is_table(opsplot.breaches_table(card.breaches()))
    worst = card.worst_norm()
    assert worst is not None
    _is_table(opsplot.contributors_table(card.contributors(worst, min_units=1)))
    _is_table(opsplot.contributors_table(card.contributors(None)))  # "no group stands out"
    _is_table(opsplot.alerts_table(ops.alert_table(card)))
    _is_table(opsplot.alerts_table(ops.alert_table(card).iloc[0:0]))


def test_fulfilment_charts_and_tables(tiny) -> None:
    _is_table(opsplot.durations_table(ops.durations_by(tiny, "carrier")))
    assert isinstance(opsplot.daily_handling_chart(ops.daily_fulfilment(tiny)), Figure)
    peak = ops.peak_handling_delay(tiny, controls=(), settle_days=0)
    assert peak.ok and isinstance(peak.plot(), Figure)
    _is_table(opsplot.effect_table(peak.summary()))
    comp = ops.carrier_comparison(tiny)
    assert isinstance(comp.plot(), Figure)
    _is_table(opsplot.carrier_table(comp.summary()))
    _is_table(opsplot.status_table(ops.delivery_status(tiny)))
    _is_table(opsplot.lost_table(ops.lost_parcels(tiny)))


def test_review_and_return_charts(tiny) -> None:
    mix = ops.review_mix(tiny, "lateness")
    assert isinstance(opsplot.review_mix_chart(mix, "lateness"), Figure)
    _is_table(opsplot.review_mix_table(ops.review_mix(tiny, "carrier"), "carrier"))
    assert isinstance(opsplot.topic_mix_chart(ops.topic_mix(tiny, "lateness"), "lateness"), Figure)
    eff = ops.late_review_effect(tiny, controls=())
    assert isinstance(eff.plot(), Figure)
    ret = ops.returns_by(tiny, "category")
    assert isinstance(opsplot.returns_chart(ret, "category"), Figure)
    _is_table(opsplot.returns_table(ret))
    _is_table(opsplot.reasons_table(ops.return_reasons(tiny, "category")))


def test_service_charts(tiny) -> None:
    conv = ops.inquiry_conversion(tiny, "response")
    assert isinstance(opsplot.conversion_chart(conv, target=0.5), Figure)
    _is_table(opsplot.conversion_table(conv))
    lv = ops.service_levels(tiny, "agent")
    assert isinstance(opsplot.service_levels_chart(lv), Figure)
    _is_table(opsplot.service_levels_table(lv))
    rates = ops.contact_rates(tiny, "reason")
    assert isinstance(opsplot.contact_rate_chart(rates), Figure)
    _is_table(opsplot.contact_rates_table(rates))
    drivers = ops.contact_drivers(tiny, settle_days=0, controls=())
    assert drivers.ok and isinstance(drivers.plot(), Figure)


def test_drill_down_chart_and_table(tiny) -> None:
    # on-time units come due on their promise: 2024-01-04 (paid on the 1st) and 2024-01-05 (paid on the 2nd)
    d = ops.drill_down(tiny, "on_time", ("2024-01-05", "2024-01-05"), ("2024-01-04", "2024-01-04"), min_units=1)
    assert isinstance(d.plot(), Figure)
    _is_table(opsplot.drill_table(d.summary(), d.kind))
    _is_table(opsplot.drill_table(d.summary().iloc[0:0]))


def test_skipped_parts_become_one_line(tiny, capsys) -> None:
    none = ops.OpsData(orders=tiny.orders, days=tiny.days, reviews=None, contacts=None, as_of=tiny.as_of,
                       has_fulfilment=False, peak_rule="campaign",
                       skipped={"fulfilment": "no fulfilment table in x", "reviews": "no reviews table in x",
                                "service": "no service table in x"})
    assert opsplot.durations_table(ops.durations_by(none.orders.drop(columns=["paid_ts"]), "carrier")).iloc[0, 0]
    assert opsplot.status_table(ops.delivery_status(none)).iloc[0, 0] == "no fulfilment table in x"
    assert opsplot.conversion_table(ops.inquiry_conversion(none)).iloc[0, 0] == "no service table in x"
    assert isinstance(opsplot.review_mix_chart(ops.review_mix(none, "lateness"), "lateness"), Figure)
    assert isinstance(opsplot.daily_handling_chart(ops.daily_fulfilment(none)), Figure)
    assert ops.late_review_effect(none).plot() is None
    assert "not estimated — no reviews table in x" in capsys.readouterr().out


def test_executive_summary_tiles_verdicts_and_actions(card, tiny) -> None:
    from opslib.reporting import ExecutiveSummary

    s = ExecutiveSummary("06", period="2024-01", scope="tiny")
    opsplot.summarise_operations(s, card, effects=(ops.late_review_effect(tiny, controls=()),))
    p = s.payload()
    assert [t["label"] for t in p["tiles"]] == ["warehouse", "service", "product"]
    product = p["tiles"][2]
    assert product["good"] is None and product["value"] == "0/0 达标"  # 6 reviews < min_units: nothing judged
    assert {a["owner"] for a in p["actions"]} <= {"Li", "Wu"} and p["actions"]
    assert any(v.startswith("late delivery 迟到") for v in p["verdicts"])
