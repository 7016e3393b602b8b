"""Forecast metrics against hand-computed values on tiny arrays."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from opslib.forecasting.backtest import leaderboard
from opslib.forecasting.metrics import bias, coverage, mae, mase, mase_scale, rmse, smape, wape


def test_mae_rmse() -> None:
    assert mae([1, 2, 3], [2, 2, 2]) == pytest.approx(2 / 3)
    assert rmse([1, 2, 3], [2, 2, 5]) == pytest.approx(math.sqrt(5 / 3))


def test_wape() -> None:
    assert wape([1, 2, 3], [2, 2, 2]) == pytest.approx(2 / 6)
    assert math.isnan(wape([0, 0], [1, 1]))


def test_smape_zero_terms() -> None:
    # terms: 2*2/(1+3) = 1, 0/0 -> 0, 0 -> mean 1/3
    assert smape([1, 0, 4], [3, 0, 4]) == pytest.approx(1 / 3)


def test_mase() -> None:
    assert mase_scale([1, 3, 2, 4], 1) == pytest.approx(5 / 3)
    # seasonal lag 2: |2-1| + |4-3| over 2 = 1
    assert mase_scale([1, 3, 2, 4], 2) == pytest.approx(1.0)
    # lag longer than the series falls back to lag 1
    assert mase_scale([1, 3, 2, 4], 52) == pytest.approx(5 / 3)
    assert mase([2, 4], [3, 3], train=[1, 3, 2, 4], m=1) == pytest.approx(1 / (5 / 3))
    assert mase([2, 4], [3, 3], scale=0.5) == pytest.approx(2.0)


def test_bias_and_coverage() -> None:
    assert bias([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    assert bias([1, 2, 3], [2, 2, 5], relative=True) == pytest.approx(0.5)
    assert coverage([1, 5, 3], [0, 0, 0], [2, 2, 4]) == pytest.approx(2 / 3)


def test_leaderboard_ranks_by_mase() -> None:
    dates = pd.date_range("2024-01-01", periods=2, freq="7D")
    rows = []
    for sid in ("a", "b"):
        for model, err in (("good", 1.0), ("bad", 3.0)):
            for d in dates:
                rows.append({"series_id": sid, "model": model, "origin": dates[0], "date": d, "actual": 10.0,
                             "mean": 10.0 + err, "lo_80": 9.0 + err, "hi_80": 11.5 + err, "scale": 2.0})
    lb = leaderboard(pd.DataFrame(rows), levels=(80,))
    assert lb["model"].tolist() == ["good", "bad"]
    assert lb["mase"].tolist() == pytest.approx([0.5, 1.5])
    assert lb.loc[0, "coverage_80"] == pytest.approx(1.0)  # 9 <= 10 <= 11.5 and lb.loc[1, "coverage_80"] == pytest.approx(0.0)
    assert lb["wins"].tolist() == [2, 0]
    assert np.isclose(lb.loc[0, "wape"], 0.1)
