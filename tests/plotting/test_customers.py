"""Every chart and display table of notebook 05 on tiny frames, with warnings as errors."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from opslib import plotting  # noqa: E402
from opslib.calendar import Period  # noqa: E402
from opslib.customers import (  # noqa: E402
    BGNBDResult,
    channel_mix,
    cohort_table,
    first_order_repeat,
    funnel_change,
    funnel_table,
    new_vs_returning,
    order_gaps,
    repeat_purchase_rate,
    rfm_segments,
    segment_campaigns,
    segment_legend,
    segment_transitions,
    win_back_list,
)
from opslib.customers.clv import HoldoutEvaluation  # noqa: E402
from opslib.plotting import customers as charts  # noqa: E402

LINES = pd.DataFrame({
    "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"], "sku": ["a", "b", "a", "b", "a", "a"],
    "order_ts": pd.to_datetime(["2024-05-01", "2024-05-20", "2024-06-02", "2024-06-03", "2024-06-20", "2024-06-21"]),
    "customer_id": ["c1", "c2", "c1", None, "c3", "c2"], "quantity": 1,
    "unit_price": [50.0, 20.0, 40.0, 10.0, 30.0, 25.0], "list_price": 50.0,
    "channel": ["app", "web", "app", "web", "直播", "app"], "region": "华东", "status": "completed"})
PRODUCTS = pd.DataFrame({"sku": ["a", "b"], "category": ["美妆", "服饰"]})
TRAFFIC = pd.DataFrame({"date": pd.date_range("2024-05-01", "2024-06-30"), "category": "美妆", "visitors": 50,
                        "product_views": 150, "add_to_cart": 6})
MAY, JUNE = Period("2024-05-01", "2024-05-31"), Period("2024-06-01", "2024-06-30")


@pytest.fixture(autouse=True)
def _strict():
    plotting.set_theme()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ResourceWarning)  # sockets other tests leaked, collected here
        yield
    plt.close("all")


def _strings(t: pd.DataFrame) -> bool:
    return all(isinstance(v, str) for v in t.to_numpy().ravel())


def test_funnel_charts_and_tables() -> None:
    f = funnel_table(LINES, TRAFFIC, PRODUCTS, period=JUNE)
    assert isinstance(f.plot(), Figure)
    assert f.plot().axes[0].get_xscale() == "log"
    t = charts.funnel_display(f)
    assert t.loc[0, "访客 visitors"] == "1,500" and _strings(t)
    for by in ("category", "channel", "date"):
        g = funnel_table(LINES, TRAFFIC, PRODUCTS, period=JUNE, by=by)
        assert len(g.plot().axes) == 4
        assert _strings(charts.funnel_display(g))
    assert "访客 visitors" not in charts.funnel_display(funnel_table(LINES, None, period=JUNE)).columns
    assert isinstance(charts.funnel_display(funnel_table(LINES, TRAFFIC, period=Period("2020-01-01", "2020-01-02"))),
                      plotting.Note)


def test_decomposition_and_mix_charts() -> None:
    ch = funnel_change(LINES, TRAFFIC, JUNE, MAY)
    assert isinstance(ch.plot(), Figure)
    assert _strings(plotting.decomposition_table(ch.summary()))
    m = channel_mix(LINES, JUNE, MAY)
    fig = m.plot()
    assert "orders × mix × AOV" in fig.axes[0].get_title()
    t = charts.mix_table(m)
    assert _strings(t) and t["channel"].tolist() == ["app", "直播", "web"]
    assert charts.mix_effects_table(m).shape == (3, 3)
    skipped = channel_mix(LINES, Period("2020-01-01", "2020-01-02"), MAY)
    assert skipped.plot() is None and isinstance(charts.mix_table(skipped), plotting.Note)


def test_segment_charts_and_tables() -> None:
    after = rfm_segments(LINES, as_of="2024-06-30")
    before = rfm_segments(LINES, as_of="2024-05-31")
    fig = after.plot()
    assert len(fig.axes[0].get_yticklabels()) == 11
    assert _strings(charts.segment_table(after.summary()))
    moves = segment_transitions(before, after)
    assert "Segment transitions" in moves.plot().axes[0].get_title()
    assert _strings(charts.transition_table(moves))
    assert charts.legend_table(segment_legend()).shape == (11, 3)
    assert _strings(charts.campaigns_table(segment_campaigns(after)))
    assert _strings(charts.action_table(win_back_list(after, wider=True)))
    assert charts.action_table(win_back_list(after).head(0)) == "(nobody on this list)"


def test_cohort_repeat_gap_and_new_returning_charts() -> None:
    c = cohort_table(LINES)
    assert isinstance(c.plot(), Figure) and isinstance(c.plot("cum_revenue_per_customer"), Figure)
    assert _strings(charts.cohort_summary_table(c))
    assert cohort_table(LINES, start="2030-01-01").plot() is None
    r = repeat_purchase_rate(LINES, "M")
    assert len(r.plot().axes[0].get_lines()) == 2
    assert _strings(charts.repeat_table(r))
    assert _strings(charts.first_repeat_table(first_order_repeat(LINES, days=30)))
    g = order_gaps(LINES)
    assert "median 1→2" in g.plot().axes[0].texts[0].get_text()
    assert _strings(charts.gap_table(g))
    nv = new_vs_returning(LINES)
    assert len(charts.new_returning_chart(nv).axes) == 2
    assert _strings(charts.new_returning_table(nv))


def test_clv_charts_and_tables() -> None:
    by = pd.DataFrame({"frequency": [0, 1, 2], "label": ["0", "1", "2+"], "customers": [50, 20, 10],
                       "actual": [0.1, 0.5, 1.2], "predicted": [0.12, 0.45, 1.3]})
    ev = HoldoutEvaluation(by, pd.DataFrame({"frequency": [0]}), 0.1, 0.2, 10.0, 11.0, 26.0)
    assert "Holdout check" in ev.plot().axes[0].get_title()
    assert _strings(charts.holdout_table(ev))
    m = BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426, unit_days=7.0)
    s = pd.DataFrame({"frequency": [0, 2, 5], "recency": [0.0, 20.0, 30.0], "T": [40.0, 40.0, 40.0]})
    assert "P(alive)" in m.plot(s).axes[0].get_title()
    assert _strings(charts.params_table(m.summary()))
    clv = s.assign(customer_id=["a", "b", "c"], p_alive=[1.0, 0.7, 0.3], expected_purchases=[0.2, 1.0, 0.5],
                   expected_spend=[30.0, 35.0, 40.0], clv=[2.0, 10.0, 6.0])
    assert len(charts.p_alive_chart(clv).axes) == 2
    assert charts.clv_table(clv)["customer_id"].tolist() == ["b", "c", "a"]
    assert isinstance(charts.clv_table(None), plotting.Note) and isinstance(charts.params_table(pd.DataFrame()),
                                                                              plotting.Note)
    corr = pd.DataFrame({"method": ["pearson"], "n": [10], "estimate": [0.1], "ci_low": [-0.5], "ci_high": [0.6],
                         "p_value": [0.7]})
    assert _strings(charts.correlation_table(corr))


def test_clv_table_top_rows_equal_the_full_sort_with_ties_and_missing_values() -> None:
    from opslib.plotting.customers import _top_rows

    # ties at the cut (3.0 three times, top 2 and 4), a missing CLV, and fewer valued rows than asked
    f = pd.DataFrame({"customer_id": list("abcdefg"), "frequency": [1, 2, 3, 4, 5, 6, 7],
                      "p_alive": 0.5, "expected_purchases": 1.0, "expected_spend": 10.0,
                      "clv": [3.0, 1.0, 3.0, None, 5.0, 3.0, 2.0]})
    for top in (1, 2, 3, 4, 6, 7, 10):
        full = f.sort_values("clv", ascending=False, kind="stable").head(top)
        assert _top_rows(f, "clv", top)["customer_id"].tolist() == full["customer_id"].tolist()
    assert _top_rows(f, "clv", 3)["customer_id"].tolist() == ["e", "a", "c"]  # 5, then the 3.0s in order
    assert _top_rows(f, "clv", 10)["customer_id"].tolist()[-1] == "d"  # the missing CLV last
    shown = charts.clv_table(f, top=2)
    assert shown.iloc[:, 0].tolist() == ["e", "a"]
