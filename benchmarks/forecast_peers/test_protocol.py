"""Tests of the peer bench protocol and series (no R, no statsforecast needed).

Run: ``.venv/bin/python -m pytest benchmarks/forecast_peers -q -p no:cacheprovider``.
Expected values are hand calculations (arithmetic in the comments).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

import protocol as p  # noqa: E402
import series as s  # noqa: E402

TRAIN = [1, 2, 3, 4, 5, 6, 7, 3, 4]  # lag-7 differences |3-1| = 2, |4-2| = 2 -> scale 2


# ------------------------------------------------------------------------------------------- metrics


def test_mase_scale_is_the_in_sample_lag7_mae():
    assert p.mase_scale(TRAIN) == 2.0
    # lag 1: |1|*6 + |3-7| + |4-3| = 6 + 4 + 1 = 11 over 8 differences
    assert p.mase_scale(TRAIN, m=1) == pytest.approx(11 / 8)
    assert np.isnan(p.mase_scale([1, 2, 3], m=7))


def test_mase_by_hand():
    # errors |3-4| = 1, |5-4| = 1 -> MAE 1, scale 2 -> 0.5
    assert p.mase([3, 5], [4, 4], train=TRAIN) == 0.5
    # errors 2, 0, 6 -> MAE 8/3; scale 2 -> 4/3
    assert p.mase([10, 12, 20], [12, 12, 14], train=TRAIN) == pytest.approx(4 / 3)


def test_mase_is_nan_when_the_training_part_is_flat():
    assert np.isnan(p.mase([1, 2], [1, 1], train=[5] * 10))


def test_smape_by_hand():
    # terms: 0 (both zero), 2*20/40 = 1, 2*10/30 = 2/3 -> mean 5/9 -> 55.56 %
    assert p.smape([0, 10, 20], [0, 30, 10]) == pytest.approx(100 * 5 / 9)
    # a zero forecast of positive demand is the worst case: 2*y/y = 2 -> 200 %
    assert p.smape([4, 5], [0, 0]) == pytest.approx(200.0)


def test_wape_and_bias_by_hand():
    # |10-12| + |30-24| = 8 over 40
    assert p.wape([10, 30], [12, 24]) == pytest.approx(0.2)
    # (12-10) + (24-30) = -4 over 40
    assert p.bias([10, 30], [12, 24]) == pytest.approx(-0.1)
    assert np.isnan(p.wape([0, 0], [1, 1]))


def test_coverage_counts_the_bounds_as_inside():
    # 1 in [0,2]; 5 not in [0,4]; 9 in [0,10]; 4 on the lower bound of [4,6] -> 3/4
    assert p.coverage([1, 5, 9, 4], [0, 0, 0, 4], [2, 4, 10, 6]) == 0.75
    assert np.isnan(p.coverage([1, 2], [np.nan, 0], [3, 3]))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=10, max_size=40),
       st.floats(0.5, 2.0), st.floats(1e-3, 1e3))
def test_scores_are_scale_free(y, ratio, k):
    """The same data times k gives the same MASE, sMAPE, WAPE and bias."""
    y = np.asarray(y)
    train, test = y[:-3], y[-3:]
    f = test * ratio + 1.0
    a = (p.mase(test, f, train), p.smape(test, f), p.wape(test, f), p.bias(test, f))
    b = (p.mase(test * k, f * k, train * k), p.smape(test * k, f * k), p.wape(test * k, f * k),
         p.bias(test * k, f * k))
    for u, v in zip(a, b, strict=True):
        assert (np.isnan(u) and np.isnan(v)) or u == pytest.approx(v, rel=1e-9, abs=1e-12)


# ----------------------------------------------------------------------------------------- clipping


def test_clip_forecast_clips_mean_and_bounds_and_keeps_missing_bounds_missing():
    fc = p.clip_forecast(pd.DataFrame({"mean": [-1.0, 2.0], "lo80": [-3.0, 1.0], "hi80": [-0.5, 4.0]}))
    assert fc["mean"].tolist() == [0.0, 2.0]
    assert fc["lo80"].tolist() == [0.0, 1.0]
    assert fc["hi80"].tolist() == [0.0, 4.0]
    assert fc["lo95"].isna().all() and fc["hi95"].isna().all()


def test_score_window_clips_before_scoring():
    # mean -2 is clipped to 0: errors |3-0| = 3, |5-4| = 1 -> MAE 2, scale 2 -> MASE 1
    fc = pd.DataFrame({"mean": [-2.0, 4.0], "lo80": [-5, 3], "hi80": [5, 6], "lo95": [-9, 2], "hi95": [9, 7]})
    sc = p.score_window([3, 5], fc, TRAIN)
    assert sc["mase"] == pytest.approx(1.0)
    assert sc["cov80"] == 1.0


def test_score_window_open_days_leave_closed_days_out():
    # all days: errors 2, 0, 2 -> MAE 4/3, scale 2 -> 2/3; open days (2nd, 3rd): errors 0, 2 -> MAE 1 -> 0.5
    fc = pd.DataFrame({"mean": [2.0, 10, 10], "lo80": [0, 9, 9], "hi80": [3, 11, 11], "lo95": 0.0, "hi95": 20.0})
    sc = p.score_window([0, 10, 12], fc, TRAIN, closed=[1, 0, 0])
    assert sc["mase"] == pytest.approx(2 / 3)
    assert sc["mase_open"] == pytest.approx(0.5)
    # WAPE all days 4/22; open days 2/22
    assert sc["wape"] == pytest.approx(4 / 22)
    assert sc["wape_open"] == pytest.approx(2 / 22)
    # coverage 80: 0 in [0,3], 10 in [9,11], 12 not in [9,11] -> 2/3; open: 1/2
    assert sc["cov80"] == pytest.approx(2 / 3)
    assert sc["cov80_open"] == pytest.approx(0.5)


# ------------------------------------------------------------------------------------------ origins


def test_origins_are_the_last_three_non_overlapping_windows():
    last = pd.Timestamp("2024-03-31")
    o = p.origins(last, h=28, n=3)
    # 2024-03-31 - 28 = 03-03; - 56 = 02-04; - 84 = 01-07
    assert [str(x.date()) for x in o] == ["2024-01-07", "2024-02-04", "2024-03-03"]
    # windows o+1..o+28: 01-08..02-04, 02-05..03-03, 03-04..03-31 (adjacent, last ends on the last day)
    assert o[-1] + pd.Timedelta(days=28) == last
    assert all((b - a).days == 28 for a, b in zip(o[:-1], o[1:], strict=True))


def _toy_series(n: int = 100, sid: str = "x", closed_every: int | None = None) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=n)
    # a weekly pattern plus a 3-day cycle, so the lag-7 differences (the MASE scale) are not all 0
    y = np.tile([10.0, 12, 14, 16, 18, 20, 5], n // 7 + 1)[:n] + np.arange(n) % 3
    closed = np.zeros(n, int)
    if closed_every:
        closed[::closed_every] = 1
        y = np.where(closed == 1, 0.0, y)
    return pd.DataFrame({"set": "toy", "series_id": sid, "date": dates.strftime("%Y-%m-%d"), "y": y, "closed": closed})


def test_windows_table_and_iter_windows_cut_train_and_test_at_the_origin():
    df = _toy_series(100)
    w = p.windows_table(df)
    # 100 days from 2024-01-01 end 2024-04-09; origins 04-09 - 84 = 01-16 (16 days < 21: skipped), 02-13, 03-12
    assert w["origin"].tolist() == ["2024-02-13", "2024-03-12"]
    assert w["n_train"].tolist() == [44, 72]
    wins = list(p.iter_windows(df, w))
    assert [len(x.train) for x in wins] == [44, 72]
    assert [len(x.test) for x in wins] == [28, 28]
    assert wins[0].train.index.max() == pd.Timestamp("2024-02-13")
    assert wins[0].test.index.min() == pd.Timestamp("2024-02-14")


def test_shifted_windows_end_where_the_unshifted_ones_begin():
    """200 days from 2024-01-01 end on 07-18. Unshifted origins 07-18 - 28 x (3, 2, 1) = 04-25, 05-23, 06-20;
    ``shift=3``: 07-18 - 28 x (6, 5, 4) = 02-01, 02-29, 03-28. The last shifted window (03-29..04-25) ends on the
    first unshifted origin, so no test day of the shifted set is a test day of the bench's windows."""
    df = _toy_series(200)
    w0, w3 = p.windows_table(df), p.windows_table(df, shift=3)
    assert w0["origin"].tolist() == ["2024-04-25", "2024-05-23", "2024-06-20"]
    assert w3["origin"].tolist() == ["2024-02-01", "2024-02-29", "2024-03-28"]
    assert pd.Timestamp(w3["origin"].iloc[-1]) + pd.Timedelta(days=28) == pd.Timestamp(w0["origin"].iloc[0])


# --------------------------------------------------------------------------------- running, scoring


def test_a_perfect_method_scores_zero_and_a_broken_one_is_counted_as_failed():
    df = pd.concat([_toy_series(100, "a"), _toy_series(120, "b")], ignore_index=True)
    w = p.windows_table(df)
    truth = {sid: p.to_series(g) for sid, g in df.groupby("series_id")}

    def oracle(y, h):
        full = truth[y.name]
        future = full[full.index > y.index.max()].iloc[:h].to_numpy()
        return pd.DataFrame({"mean": future, "lo80": future - 1, "hi80": future + 1, "lo95": future - 2,
                             "hi95": future + 2})

    def broken(y, h):
        raise RuntimeError("boom")

    def too_short(y, h):
        return pd.DataFrame({"mean": np.zeros(h - 1)})

    fc = pd.concat([p.run_method(oracle, "oracle", df, w), p.run_method(broken, "broken", df, w),
                    p.run_method(too_short, "short", df, w)], ignore_index=True)
    sc = p.score(fc, df, w)
    summ = p.summarise(sc).set_index("method")
    n = len(w)  # series a: 2 windows, b: 3 windows (120 days: 120-84 = 36 >= 21)
    assert n == 5
    assert summ.loc["oracle", "mase"] == 0.0 and summ.loc["oracle", "cov80"] == 1.0
    assert summ.loc["oracle", "windows"] == n and summ.loc["oracle", "failed"] == 0
    assert summ.loc["broken", "failed"] == n and summ.loc["short", "failed"] == n
    assert sc.loc[sc["method"] == "broken", "note"].str.contains("boom").all()


def test_seasonal_naive_by_hand():
    # week 1: 0..6, week 2: 1..7 -> every lag-7 difference is 1 -> sigma = RMS = 1
    y = pd.Series(np.r_[np.arange(7.0), np.arange(1.0, 8.0)], index=pd.date_range("2024-01-01", periods=14))
    fc = p.seasonal_naive(y, 9)
    assert fc["mean"].tolist() == [1, 2, 3, 4, 5, 6, 7, 1, 2]
    # h <= 7: +/- 1.2816 * 1; h = 8, 9: +/- 1.2816 * sqrt(2)
    assert fc["hi80"].iloc[0] - fc["mean"].iloc[0] == pytest.approx(1.2816, abs=1e-4)
    assert fc["hi80"].iloc[7] - fc["mean"].iloc[7] == pytest.approx(1.2816 * np.sqrt(2), abs=1e-4)


# ------------------------------------------------------------------------------------------- series


def test_match_cancellations_removes_the_latest_earlier_matching_sale_once():
    o = pd.DataFrame({
        "order_id": ["1", "2", "3", "C4", "C5", "C6"],
        "customer_id": ["a", "a", "b", "a", "a", ""],
        "sku": ["X", "X", "X", "X", "X", "X"],
        "quantity": [5, 5, 5, 5, 7, 5],
        "status": ["completed"] * 3 + ["cancelled"] * 3,
        "order_ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03", "2024-01-03",
                                    "2024-01-04"]),
    })
    left = s.match_cancellations(o)
    # C4 cancels order 2 (latest earlier a/X/5); C5 has no 7-unit sale; C6 is a guest: ignored
    assert left["order_id"].tolist() == ["1", "3"]


def test_regular_daily_fills_missing_days_with_zero():
    y = pd.Series([1.0, 2.0, 4.0], index=pd.to_datetime(["2024-01-01 10:00", "2024-01-01 15:00", "2024-01-04 09:00"]))
    out = s.regular_daily(y)
    assert out.tolist() == [3.0, 0.0, 0.0, 4.0]


RETAIL = s.shared_data() / "online_retail" / "online_retail_I_2010-12_2011-12.csv.gz"


@pytest.mark.skipif(not RETAIL.exists(), reason="shared real data not available")
def test_online_retail_closures_and_the_cancelled_giant_orders():
    total, top = s.online_retail(top=3)
    t = total.assign(date=pd.to_datetime(total["date"]))
    # 2010-12-01 .. 2011-12-09 is 374 days; the shop never trades on Saturdays (53 of them)
    assert len(t) == 374
    sat = t[t["date"].dt.day_of_week == 5]
    assert len(sat) == 53 and sat["closed"].all() and (sat["y"] == 0).all()
    assert t.loc[t["date"] == "2010-12-28", "closed"].item() == 1  # Christmas break
    # the 80,995-unit order of 2011-12-09 was cancelled the same morning: the day holds far less
    assert t.loc[t["date"] == "2011-12-09", "y"].item() < 80_995
    assert t.loc[t["date"] == "2011-01-18", "y"].item() < 74_215
    assert top["series_id"].nunique() == 3 and (top["closed"].isin([0, 1])).all()
