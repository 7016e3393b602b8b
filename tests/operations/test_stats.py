"""Intervals by hand and OLS on cell sums against statsmodels' OLS on the units themselves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from opslib.operations import cell_ols, cell_sums, mean_interval, wilson_interval


def test_wilson_by_hand() -> None:
    # k = 9, n = 10, z = 1.959964: p = 0.9, z²/n = 0.384146; centre = 0.9 + 0.192073 = 1.092073;
    # half = z·sqrt(0.009 + 0.009604) = 1.959964 × 0.136396 = 0.267331; den = 1.384146
    lo, hi = wilson_interval(9, 10)
    assert lo == pytest.approx((1.092073 - 0.267331) / 1.384146, abs=1e-5)  # 0.595855
    assert hi == pytest.approx(min((1.092073 + 0.267331) / 1.384146, 1.0), abs=1e-5)  # 0.982124
    lo0, hi0 = wilson_interval(0, 0)
    assert np.isnan(lo0) and np.isnan(hi0)


def test_mean_interval_by_hand() -> None:
    # 4 ± 1.959964 × 2 / sqrt(16) = 4 ± 0.979982
    lo, hi = mean_interval(4.0, 2.0, 16)
    assert (lo, hi) == pytest.approx((3.020018, 4.979982), abs=1e-6)


def _units(seed: int, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"late": rng.integers(0, 2, n), "carrier": rng.choice(list("ABC"), n),
                       "month": rng.choice(["2024-01", "2024-02", "2024-03", "2024-04"], n),
                       "day": rng.integers(0, 40, n)})
    df["y"] = (4.4 - 0.7 * df["late"] + 0.2 * (df["carrier"] == "B") + rng.normal(0, 1 + 0.5 * df["late"], n))
    return df


def _statsmodels(df: pd.DataFrame, cov: str, **kw) -> tuple[float, float]:
    X = pd.get_dummies(df[["late", "carrier", "month"]], columns=["carrier", "month"], drop_first=True, dtype=float)
    fit = sm.OLS(df["y"], sm.add_constant(X)).fit(cov_type=cov, **kw)
    return float(fit.params["late"]), float(fit.bse["late"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cell_ols_equals_unit_level_ols_hc1(seed: int) -> None:
    df = _units(seed)
    fit = cell_ols(cell_sums(df, "y", ["late", "carrier", "month"]), ["late"], ["carrier", "month"])
    est, se = _statsmodels(df, "HC1")
    assert fit.term("late")["estimate"] == pytest.approx(est, rel=1e-9)
    assert fit.term("late")["se"] == pytest.approx(se, rel=1e-9)
    assert fit.n == len(df) and fit.cells <= 2 * 3 * 4


def test_cell_ols_equals_unit_level_ols_clustered() -> None:
    df = _units(7)
    cells = cell_sums(df, "y", ["day", "late", "carrier", "month"])
    fit = cell_ols(cells, ["late"], ["carrier", "month"], cluster="day")
    est, se = _statsmodels(df, "cluster", cov_kwds={"groups": df["day"]})
    assert fit.term("late")["estimate"] == pytest.approx(est, rel=1e-9)
    assert fit.term("late")["se"] == pytest.approx(se, rel=1e-9)
    assert fit.groups == df["day"].nunique()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), factor=st.sampled_from([1000.0, 0.001, 7.5]))
def test_cell_ols_is_scale_free(seed: int, factor: float) -> None:
    """The same outcomes times 1,000 give the same effect and standard error times 1,000."""
    df = _units(seed, n=200)
    base = cell_ols(cell_sums(df, "y", ["late", "carrier"]), ["late"], ["carrier"]).term("late")
    scaled = cell_ols(cell_sums(df.assign(y=df["y"] * factor), "y", ["late", "carrier"]), ["late"],
                      ["carrier"]).term("late")
    assert scaled["estimate"] == pytest.approx(base["estimate"] * factor, rel=1e-7)
    assert scaled["se"] == pytest.approx(base["se"] * factor, rel=1e-7)
    assert scaled["p"] == pytest.approx(base["p"], rel=1e-6, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(k=st.integers(0, 500), extra=st.integers(0, 500))
def test_wilson_contains_the_share_and_stays_in_0_1(k: int, extra: int) -> None:
    n = k + extra
    if n == 0:
        return
    lo, hi = wilson_interval(k, n)
    assert 0 <= lo <= k / n <= hi <= 1
