"""Forecast accuracy on the sample shop and on real data: ``auto`` beats seasonal naive, its intervals cover
about what they promise, closed days and holidays come out as the data's known calendar.

Sample shop: the scale-0.05 shop is too noisy at category level (some categories sell a handful of units a
week), so this module generates a scale-0.3 shop once (same seed as the shared fixture). Held out: the last 8
weeks, at 3 rolling origins 8 weeks apart (8 categories x 3 origins x 8 weeks = 192 points for coverage).

Real data (``../shared/data``, skipped when absent): UCI Online Retail I (Chen, Sain & Guo 2012, CC BY 4.0), a UK
gift wholesaler known to trade on no Saturday, to close over Christmas and on every 2011 bank holiday (the data's
own calendar: 53 Saturdays and the bank holidays have no invoice at all); Olist (CC BY-NC-SA 4.0) with an effect
planted into its real daily series. Protocol as the peer bench (``benchmarks/forecast_peers``): h = 28 days,
the last 3 non-overlapping windows, MASE scaled by the in-sample lag-7 seasonal naive.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib import forecasting as F
from opslib.data import daily_sku
from opslib.forecasting.backtest import score

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
RETAIL = SHARED / "online_retail" / "online_retail_I_2010-12_2011-12.csv.gz"
OLIST = SHARED / "olist" / "sample_bravida"
needs_shared = pytest.mark.skipif(not RETAIL.exists(), reason=f"real data not found in {SHARED}")


@pytest.fixture(scope="module")
def category_backtest(tmp_path_factory: pytest.TempPathFactory):
    from opslib.data import load_shop
    from opslib.sample import generate

    out: Path = tmp_path_factory.mktemp("shop30")
    generate(out=out, seed=11, scale=0.3)
    shop = load_shop(out, tables=["orders", "products"], validate=False)
    series = F.weekly_series(daily_sku(shop), "category")
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


@pytest.fixture(scope="module")
def retail_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from opslib.importers import run_import

    out = tmp_path_factory.mktemp("online_retail")
    run_import("online_retail", RETAIL, out)
    return out


def _retail_daily(shop_dir: Path) -> tuple[pd.Series, pd.DataFrame]:
    from opslib.data import load_shop

    shop = load_shop(shop_dir, tables=["orders", "products"], validate=False)
    daily = daily_sku(shop)
    return F.daily_series(daily), F.daily_frame(daily, "sku", max_skus=5)


def _windows(y: pd.Series, h: int = 28, n: int = 3) -> list[int]:
    return [len(y) - (k + 1) * h for k in reversed(range(n))]


def _mase(y: pd.Series, o: int, f: np.ndarray, h: int = 28) -> float:
    train, test = y.iloc[:o].to_numpy(), y.iloc[o : o + h].to_numpy()
    return float(np.mean(np.abs(test - f)) / np.mean(np.abs(train[7:] - train[:-7])))


@needs_shared
def test_online_retail_closures_are_its_known_calendar(retail_shop: Path) -> None:
    total, _ = _retail_daily(retail_shop)
    c = F.infer_closures(total, "GB")
    assert c.weekdays == frozenset({5})  # no invoice on any Saturday
    assert c.holidays  # shut on the 2011 bank holidays
    days = {d.strftime("%Y-%m-%d") for d in c.dates}
    assert {"2010-12-24", "2011-01-03", "2011-04-22", "2011-04-25", "2011-08-29"} <= days  # Christmas break, Easter


@needs_shared
def test_online_retail_forecast_is_zero_on_closed_days(retail_shop: Path, tmp_path: Path) -> None:
    """From the last day (Friday 2011-12-09): Saturdays and the Christmas bank holidays of 2011 are closed."""
    from opslib.forecasting.cli import forecast_table

    t = forecast_table(retail_shop, "total", 28).set_index("date")
    for day in ("2011-12-10", "2011-12-17", "2011-12-26", "2011-12-27", "2012-01-02"):  # Sats, Boxing Day, 27th, NY
        assert (t.loc[day, ["forecast", "lo80", "hi80", "lo95", "hi95"]] == 0).all(), day
    assert (t.loc[["2011-12-12", "2011-12-13"], "forecast"] > 1000).all()  # it trades on weekdays


@needs_shared
def test_online_retail_auto_beats_seasonal_naive_and_covers(retail_shop: Path) -> None:
    total, skus = _retail_daily(retail_shop)
    rows = []
    series = [("total", total)] + [(c, F.trim_leading_zeros(skus[c])) for c in skus.columns]
    series = [(sid, y) for sid, y in series if len(y) >= 4 * 28 + 28]  # three windows and some history
    assert len(series) >= 4
    for sid, y in series:
        for o in _windows(y):
            test = y.iloc[o : o + 28].to_numpy()
            r = F.auto_forecast(y.iloc[:o], horizon=28, country="GB")
            snaive = F.fit_forecast(y.iloc[:o], "snaive", 28, closures=None).forecast["mean"].to_numpy()
            fc = r.forecast
            rows.append({"series": sid, "auto": _mase(y, o, fc["mean"].to_numpy()), "snaive": _mase(y, o, snaive),
                         "in80": np.mean((fc["lo_80"] <= test) & (test <= fc["hi_80"])),
                         "in95": np.mean((fc["lo_95"] <= test) & (test <= fc["hi_95"]))})
    df = pd.DataFrame(rows)
    assert df["auto"].mean() < df["snaive"].mean(), df.groupby("series")[["auto", "snaive"]].mean()
    # up to 6 series x 3 windows x 28 days = 504 days: nominal coverage within 7 points
    assert abs(df["in80"].mean() - 0.80) <= 0.07 and abs(df["in95"].mean() - 0.95) <= 0.07, df[["in80", "in95"]].mean()


@pytest.mark.skipif(not OLIST.exists(), reason=f"real data not found in {SHARED}")
def test_planted_holiday_uplift_in_a_real_series() -> None:
    """Olist's real daily units (Brazil) with sales doubled on Brazil's public holidays: the holiday effect of the
    shop's country is found (+100% planted) and China's calendar is not used."""
    from opslib.calendar import public_holidays
    from opslib.importers import run_import

    r = run_import("olist", OLIST)
    o = r.tables["orders"]
    y = o.set_index("order_ts")["quantity"].astype(float).resample("D").sum()["2017-01-01":"2018-08-28"]
    hol = pd.DatetimeIndex(public_holidays("2017-01-01", "2018-08-28", country="BR")["date"])
    planted = y.copy()
    planted[planted.index.isin(hol)] = 2 * planted[planted.index.isin(hol)] + 1  # log(1 + 2y + 1) = log 2 + log(1 + y)
    eff = F.calendar_effects(planted, country="BR").set_index("regressor")
    base = F.calendar_effects(y, country="BR").set_index("regressor")
    assert "f1111" not in eff.index
    uplift = (1 + eff.loc["holiday", "effect_pct"]) / (1 + base.loc["holiday", "effect_pct"]) - 1
    assert uplift == pytest.approx(1.0, abs=1e-6)  # OLS is linear in log(1 + y): the coefficient moves by log 2
