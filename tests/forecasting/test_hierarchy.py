"""Hierarchy: coherence, reconciliation by hand, guards against a blow-up, reconciled intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslib import forecasting as F
from opslib.forecasting.hierarchy import reconciliation, shrink_covariance, summing_matrix


def _toy_hierarchy() -> F.Hierarchy:
    rng = np.random.default_rng(3)
    days = pd.date_range("2023-01-02", periods=7 * 70)
    rows = []
    for sku, cat, lam in (("s1", "A", 5), ("s2", "A", 3), ("s3", "A", 1), ("s4", "B", 4), ("s5", "B", 2)):
        rows.append(pd.DataFrame({"date": days, "sku": sku, "category": cat, "units": rng.poisson(lam, len(days))}))
    return F.build_hierarchy(pd.concat(rows), top_skus=3)


def test_hierarchy_bottom_up_adds_up_exactly_and_reconciled_is_coherent() -> None:
    h = _toy_hierarchy()
    assert h.ids[0] == F.TOTAL and "A|其他" in h.ids and "s3" not in h.ids
    fc = F.hierarchy_forecast(h, "ets", horizon=4, progress=False).forecast
    for method in ("bottom_up", "ols", "mint_shrink"):
        wide = fc.pivot(index="date", columns="node", values=method)
        for parent, kids in ((F.TOTAL, ["A", "B"]), ("A", ["s1", "s2", "A|其他"]), ("B", ["s4", "B|其他"])):
            np.testing.assert_allclose(wide[parent], wide[kids].sum(axis=1), rtol=1e-9, atol=1e-9)
    wide = fc.pivot(index="date", columns="node", values="bottom_up")
    base = fc.pivot(index="date", columns="node", values="base")
    bottoms = [i for i, lv in zip(h.ids, h.levels, strict=False) if lv == "sku"]
    assert (wide[bottoms] == base[bottoms]).all().all()  # bottom-up keeps the bottom forecasts as they are
    assert (wide[F.TOTAL] == base[bottoms].sum(axis=1)).all()


def test_reconcile_ols_by_hand() -> None:
    S, _, _ = F.summing_matrix(["a", "b"], {"a": "X", "b": "X"})
    # nodes: total, X, a, b; base total 10, X 9, a 4, b 4 -> projection onto (a+b, a+b, a, b)
    out = F.reconcile(np.array([[10.0], [9.0], [4.0], [4.0]]), S, "ols").ravel()
    # minimise (10-s)^2 + (9-s)^2 + (4-a)^2 + (4-b)^2, s = a+b = 2c: (10-2c) + (9-2c) + (4-c) = 0, c = 4.6
    np.testing.assert_allclose(out, [9.2, 9.2, 4.6, 4.6])


def test_hierarchy_accuracy_per_level() -> None:
    h = _toy_hierarchy()
    bt = F.hierarchy_backtest(h, "ets", horizon=4, windows=2, methods=("bottom_up", "ols"), progress=False)
    acc = F.hierarchy_accuracy(bt, ("base", "bottom_up", "ols"))
    assert set(acc["level"]) == {"total", "category", "sku"} and set(acc["method"]) == {"base", "bottom_up", "ols"}
    assert np.isfinite(acc["mase"]).all()


def test_constant_residual_series_do_not_blow_up_mint() -> None:
    """Nodes whose residuals are constant (a SKU that never sold, an exact copy) used to make MinT-shrink's W
    near singular (total MASE 336 on a store chain). The variance floor and the guards keep the forecast
    within the range of the base forecasts."""
    S, _, _ = summing_matrix(["a", "b", "c"], {"a": "X", "b": "X", "c": "Y"})
    rng = np.random.default_rng(0)
    e_a, e_b = rng.normal(0, 1, 60), rng.normal(0, 1, 60)
    resid = np.column_stack([e_a + e_b, e_a + e_b, np.zeros(60), e_a, e_b, np.zeros(60)])  # Y and c constant
    base = np.array([[30.0], [20.0], [0.0], [12.0], [9.0], [0.0]])
    r = reconciliation(base, S, "mint_shrink", resid)
    assert np.isfinite(r.values).all()
    assert r.values.max() <= 2 * base.max()
    # the node that never sold (c, base 0, constant residuals) stays at 0; without the floor MinT put 9.5 on it
    assert r.values[5, 0] < 0.5 and r.values[2, 0] < 0.5
    np.testing.assert_allclose(r.values[0], r.values[1] + r.values[2])  # coherent: total = X + Y


def test_near_singular_covariance_falls_back_with_a_reason() -> None:
    S, _, _ = summing_matrix(["a", "b"], {"a": "X", "b": "X"})
    e = np.random.default_rng(1).normal(0, 1, 40)
    resid = np.column_stack([2 * e, 2 * e, e, e])  # every node the same error: rank one
    r = reconciliation(np.array([[10.0], [10.0], [5.0], [5.0]]), S, "mint_shrink", resid)
    assert r.used in ("wls_var", "mint_shrink") and np.isfinite(r.values).all()
    if r.used != "mint_shrink":
        assert "near singular" in r.reason


def test_shrink_covariance_floors_a_zero_variance_column() -> None:
    e = np.column_stack([np.array([1.0, -1, 1, -1]), np.array([2.0, -2, -2, 2]), np.zeros(4)])
    w = shrink_covariance(e)
    # sd = 1 and 2, median 1.5; the constant column gets (1e-3 * 1.5)^2 and no covariance
    assert w[2, 2] == pytest.approx((1e-3 * 1.5) ** 2) and w[2, 0] == 0 and w[0, 2] == 0
    assert w[0, 0] == pytest.approx(1.0) and w[1, 1] == pytest.approx(4.0)


def test_bottom_up_interval_adds_variances_by_hand() -> None:
    S, _, _ = summing_matrix(["a", "b"], {"a": "X", "b": "X"})
    base = np.array([[10.0], [10.0], [6.0], [4.0]])
    sd = np.array([[9.0], [9.0], [3.0], [4.0]])
    r = reconciliation(base, S, "bottom_up", base_sd=sd)
    # independent bottom errors: sd(total) = sqrt(3^2 + 4^2) = 5, the bottom ones unchanged
    np.testing.assert_allclose(r.sd.ravel(), [5.0, 5.0, 3.0, 4.0])


def test_hierarchy_forecast_reports_methods_and_intervals() -> None:
    h = _toy_hierarchy()
    hf = F.hierarchy_forecast(h, "ets", horizon=4, progress=False)
    assert set(hf.methods["method"]) == {"bottom_up", "ols", "mint_shrink"}
    assert {"used", "reason"} <= set(hf.methods.columns)
    fc = hf.forecast
    for m in ("bottom_up", "mint_shrink"):
        assert (fc[f"{m}_lo_80"] <= fc[m] + 1e-9).all() and (fc[m] <= fc[f"{m}_hi_80"] + 1e-9).all()
        assert (fc[f"{m}_hi_80"] <= fc[f"{m}_hi_95"] + 1e-9).all()
    assert "total_forecast" in hf.summary()


def test_hierarchy_accuracy_says_what_ran() -> None:
    h = _toy_hierarchy()
    bt = F.hierarchy_backtest(h, "ets", horizon=4, windows=2, methods=("bottom_up", "mint_shrink"), progress=False)
    acc = F.hierarchy_accuracy(bt, ("base", "bottom_up", "mint_shrink"))
    assert {"used", "reason", "coverage_80"} <= set(acc.columns)
    assert acc["coverage_80"].between(0, 1).all()


def test_hierarchy_accuracy_of_a_backtest_without_origins_is_empty() -> None:
    """No origin fits (a 20-day export): the accuracy table is empty with its columns, not a crash."""
    from opslib.forecasting.hierarchy import hierarchy_accuracy

    out = hierarchy_accuracy(pd.DataFrame(columns=["origin", "node", "level"]))
    assert out.empty and {"level", "method", "mase"} <= set(out.columns)
