"""Accuracy on the sample shop: the auto-chosen model beats seasonal naive; intervals cover as promised.

The scale-0.05 shop is too noisy at category level (some categories sell a handful of units a week), so
this module generates a scale-0.3 shop once (same seed as the shared fixture). Held out: the last 8
weeks, at 3 rolling origins 8 weeks apart (8 categories x 3 origins x 8 weeks = 192 points for coverage).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from opslib import forecasting as F
from opslib.data import daily_sku
from opslib.forecasting.backtest import score

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def category_backtest(tmp_path_factory: pytest.TempPathFactory):
    from opslib.data import load_shop
    from opslib.sample import generate

    out: Path = tmp_path_factory.mktemp("shop30")
    generate(out=out, seed=11, scale=0.3)
    shop = load_shop(out, tables=["orders", "products"], validate=False)
    series = F.weekly_series(daily_sku(shop.orders, shop.products), "category")
    return F.backtest_many(series, models=("snaive", "auto"), horizon=8, windows=3, n_jobs=2, progress=False)


def test_auto_beats_seasonal_naive_on_mase(category_backtest) -> None:
    last = category_backtest[category_backtest["origin"] == category_backtest["origin"].max()]
    for bt in (last, category_backtest):  # the last 8 weeks alone, and all three origins
        per = score(bt, ("series_id", "model")).groupby("model")["mase"].mean()
        assert per["auto"] < per["snaive"], per.to_dict()


def test_interval_coverage_near_nominal(category_backtest) -> None:
    s = score(category_backtest, ("model",)).set_index("model").loc["auto"]
    assert abs(s["coverage_80"] - 0.80) <= 0.05, s["coverage_80"]
    assert abs(s["coverage_95"] - 0.95) <= 0.05, s["coverage_95"]
    assert np.isfinite(s["mase"])
