"""A/B-test helpers against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from opslib.campaigns import abtest


def test_ztest_matches_hand_computation():
    # 100/1000 vs 130/1000: pooled p = 230/2000 = 0.115; SE = sqrt(0.115 * 0.885 * (2/1000)) = 0.0142671
    r = abtest.two_proportion_ztest(100, 1000, 130, 1000, confidence=0.95)
    assert r.diff == pytest.approx(0.03)
    assert r.z == pytest.approx(0.03 / 0.0142671, rel=1e-4)  # 2.1027
    assert r.p_value == pytest.approx(0.03549, abs=2e-4)
    # Wald SE = sqrt(.1*.9/1000 + .13*.87/1000) = sqrt(0.00009 + 0.0001131) = 0.0142513
    assert r.ci_low == pytest.approx(0.03 - 1.959964 * 0.0142513, rel=1e-4)
    assert r.ci_high == pytest.approx(0.03 + 1.959964 * 0.0142513, rel=1e-4)
    assert r.lift == pytest.approx(0.3)


def test_ztest_rejects_impossible_counts():
    with pytest.raises(ValueError):
        abtest.two_proportion_ztest(11, 10, 1, 10)


def test_welch_matches_hand_computation():
    # a = 1,2,3 (mean 2, var 1), b = 4,5,6,7 (mean 5.5, var 5/3)
    r = abtest.welch_ttest([1, 2, 3], [4, 5, 6, 7])
    va, vb = 1 / 3, (5 / 3) / 4
    assert r.diff == pytest.approx(3.5)
    assert r.t == pytest.approx(3.5 / math.sqrt(va + vb))
    assert r.df == pytest.approx((va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 3))  # 4.959


def test_sample_size_by_hand():
    # h = 2 asin(sqrt(.12)) - 2 asin(sqrt(.10)); n = 2 (z_.975 + z_.8)^2 / h^2
    h = 2 * math.asin(math.sqrt(0.12)) - 2 * math.asin(math.sqrt(0.10))
    n = 2 * (1.959964 + 0.841621) ** 2 / h ** 2
    assert abtest.sample_size_proportions(0.10, 0.12) == math.ceil(n)
    assert abtest.power_proportions(0.10, 0.12, math.ceil(n)) == pytest.approx(0.8, abs=0.002)
    # Cohen's d = 0.5 needs 64 per arm (Cohen's table)
    assert abtest.sample_size_means(5.0, 10.0) == 64


def test_holm_and_bonferroni_by_hand():
    holm = abtest.adjust_pvalues([0.01, 0.04, 0.03])
    assert holm["p_adjusted"].tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert holm["significant"].tolist() == [True, False, False]
    bonf = abtest.adjust_pvalues([0.01, 0.04, 0.03], method="bonferroni")
    assert bonf["p_adjusted"].tolist() == pytest.approx([0.03, 0.12, 0.09])


def test_warnings_name_the_traps():
    w = abtest.test_warnings(50, 60, n_metrics=3, looks=4)
    text = " ".join(w)
    assert "too small" in text and "peeking" in text and "holm" in text
    assert abtest.test_warnings(5000, 5000, 400, 420) == []
    assert any("stopped early" in x for x in abtest.test_warnings(500, 500, 50, 60, planned_n_per_arm=3835))


def test_welch_needs_two_per_arm():
    with pytest.raises(ValueError):
        abtest.welch_ttest([1.0], np.array([1.0, 2.0]))
