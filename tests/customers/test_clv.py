"""Tests of opslib.customers.clv: hand-computed likelihoods and formulas, invariants, the customer table,
CDNOW against the published BG/NBD and Gamma-Gamma results and against lifetimes, and the sample shop's
planted churn.

Expected values come from hand arithmetic (in the comments), from Fader, Hardie & Lee's papers and Hardie's
spreadsheets, from lifetimes runs recorded as constants (see ``benchmarks/bench_clv.py``) and from the
sample shop's ``truth.json`` — never from running this code.
"""

from __future__ import annotations

import importlib
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import optimize

from opslib.customers import (
    BGNBDResult,
    BoundaryWarning,
    CLVError,
    FitError,
    GammaGammaResult,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    frequency_spend_correlation,
    holdout_evaluation,
    rfm_summary,
)
from opslib.customers.clv import _bgnbd_fun, _gg_fun, _simulate_bgnbd, bgnbd_loglik, gamma_gamma_loglik
from opslib.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
CDNOW = SHARED / "cdnow" / "cdnow_master.csv.gz"
SAMPLE_IDS = Path(__file__).with_name("cdnow_sample_ids.txt")
needs_cdnow = pytest.mark.skipif(not CDNOW.exists(), reason=f"CDNOW master not found at {CDNOW} (shared data)")

# Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science 24(2), p. 281:
# BG/NBD on the 2,357-customer CDNOW sample, 39-week calibration, weekly unit.
PAPER_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PAPER_BGNBD_LL = -9582.4
# Fader & Hardie (2013), "The Gamma-Gamma model of monetary value", on the sample's 946 repeat buyers.
PAPER_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def _silent_fit(summary: pd.DataFrame) -> BGNBDResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        return fit_bgnbd(summary)


# ============================================================================ hand-computed likelihoods


def test_bgnbd_loglik_by_hand() -> None:
    # r = 2, α = 1, a = 2, b = 3; B(2,3) = 1!2!/4! = 1/12.
    # A: x = 0, T = 1: L = (α/(α+T))^r = (1/2)^2 = 1/4.
    # B: x = 1, t_x = 1, T = 2: Γ(3)/Γ(2) = 2;
    #    term 1 = B(2,4)/B(2,3) · 2/3^3 = (1/20 · 12) · 2/27 = 3/5 · 2/27 = 2/45;
    #    term 2 = B(3,3)/B(2,3) · 2/2^3 = (1/30 · 12) · 1/4 = 2/5 · 1/4 = 1/10;  L = 2/45 + 1/10 = 13/90.
    # C: x = 2, t_x = 3, T = 4: Γ(4)/Γ(2) = 6;
    #    term 1 = B(2,5)/B(2,3) · 6/5^4 = 2/5 · 6/625 = 12/3125;
    #    term 2 = B(3,4)/B(2,3) · 6/4^4 = 1/5 · 6/256 = 3/640;  L = 12/3125 + 3/640.
    ll = bgnbd_loglik(2.0, 1.0, 2.0, 3.0, [0, 1, 2], [0.0, 1.0, 3.0], [1.0, 2.0, 4.0])
    expected = [math.log(1 / 4), math.log(13 / 90), math.log(12 / 3125 + 3 / 640)]
    np.testing.assert_allclose(ll, expected, rtol=1e-12)


def test_p_alive_by_hand_matches_the_likelihood_split() -> None:
    # Customer B above: D = a/(b+x−1) · ((α+T)/(α+t_x))^(r+x) = 2/3 · (3/2)^3 = 9/4, P(alive) = 1/(1 + 9/4) = 4/13,
    # which is also term 1 / L = (2/45) / (13/90) = 4/13.
    m = BGNBDResult(r=2.0, alpha=1.0, a=2.0, b=3.0)
    assert m.p_alive(1, 1.0, 2.0)[0] == pytest.approx(4 / 13, rel=1e-12)
    assert m.p_alive(0, 0.0, 5.0)[0] == 1.0


def test_expected_purchases_new_customer_by_hand() -> None:
    # r = 1, b = 1, a = 2: E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r 2F1(1, 1; 2; z)], z = t/(α+t), and
    # 2F1(1, 1; 2; z) = −ln(1−z)/z. With α = 1, t = 1: z = 1/2, E = 2 · [1 − 1/2 · 2 ln 2] = 2 (1 − ln 2).
    m = BGNBDResult(r=1.0, alpha=1.0, a=2.0, b=1.0)
    assert m.expected_purchases(1.0)[0] == pytest.approx(2 * (1 - math.log(2)), rel=1e-12)
    # small t: E[X(t)] ≈ E[λ] t = (r/α) t
    assert m.expected_purchases(1e-6)[0] == pytest.approx(1e-6, rel=1e-5)
    assert m.expected_purchases(0.0)[0] == 0.0


def test_gamma_gamma_loglik_by_hand() -> None:
    # p = 1, q = 2, γ = 1. x = 1, m = 1: f = Γ(3)/(Γ(1)Γ(2)) · 1^2 · 1^0 · 1^1 / (1+1)^3 = 2/8 = 1/4.
    # x = 2, m = 3: f = Γ(4)/(Γ(2)Γ(2)) · 1 · 3^(2−1) · 2^2 / (1 + 6)^4 = 6 · 3 · 4 / 2401 = 72/2401.
    ll = gamma_gamma_loglik(1.0, 2.0, 1.0, [1, 2], [1.0, 3.0])
    np.testing.assert_allclose(ll, [math.log(1 / 4), math.log(72 / 2401)], rtol=1e-12)


def test_gamma_gamma_expected_spend_by_hand() -> None:
    # E[M | x, m] = (γ + m x) p / (p x + q − 1): p = 6.25, q = 3.74, γ = 15.44, x = 2, m = 22.35
    # -> (15.44 + 44.70) · 6.25 / (12.5 + 2.74) = 375.875 / 15.24 = 24.6637...; population p γ/(q−1) = 96.5/2.74.
    gg = GammaGammaResult(p=6.25, q=3.74, gamma=15.44)
    np.testing.assert_allclose(gg.conditional_expected_spend([2, 0], [22.35, 0.0]), [375.875 / 15.24, 96.5 / 2.74])


def test_analytic_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(3)
    s = _simulate_bgnbd(rng, 400, 0.5, 3.0, 1.2, 2.5, T=rng.uniform(1, 20, 400))
    fun = _bgnbd_fun(s["frequency"].to_numpy(float), s["recency"].to_numpy() / 20, s["T"].to_numpy() / 20,
                     np.ones(len(s)))
    for u in (np.zeros(4), np.log([0.3, 0.2, 2.0, 0.7]), np.array([12.0, 11.0, 0.1, 0.2])):
        assert optimize.check_grad(lambda v: fun(v)[0], lambda v: fun(v)[1], u) < 1e-4 * (1 + np.abs(fun(u)[1]).max())
    x = rng.integers(1, 8, 300).astype(float)
    gfun = _gg_fun(x, rng.gamma(5.0, 1.0, 300), np.ones(300))
    for u in (np.zeros(3), np.log([6.0, 3.0, 0.4]), np.array([0.5, 13.0, 12.0])):
        assert optimize.check_grad(lambda v: gfun(v)[0], lambda v: gfun(v)[1], u) < 1e-4 * (1 + np.abs(gfun(u)[1]).max())


def test_large_frequency_is_stable() -> None:
    m = BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426)
    # 1,000 repeats, last at week 10 of 100: certainly gone (the power (110.4/14.4)^1000 would overflow)
    assert m.p_alive(1000, 10.0, 100.0)[0] == 0.0
    assert m.conditional_expected_purchases(39, 1000, 10.0, 100.0)[0] == 0.0
    # seen at the very end: alive, and expects about x/T per week over the next 39 weeks
    e = m.conditional_expected_purchases(39, 1000, 100.0, 100.0)[0]
    assert np.isfinite(e) and 300 < e < 400
    assert np.isfinite(bgnbd_loglik(0.243, 4.414, 0.793, 2.426, 10**5, 50.0, 100.0)).all()


# ============================================================================ invariants (hypothesis)

params = st.tuples(*[st.floats(0.05, 50.0)] * 4)


@settings(max_examples=150, deadline=None)
@given(p=params, x=st.integers(0, 2000), frac=st.floats(0.0, 1.0), big_t=st.floats(0.0, 500.0))
def test_p_alive_is_a_probability(p, x, frac, big_t) -> None:
    m = BGNBDResult(*p)
    tx = 0.0 if x == 0 else frac * big_t
    pa = m.p_alive(x, tx, big_t)[0]
    assert 0.0 <= pa <= 1.0


@settings(max_examples=150, deadline=None)
@given(p=params, x=st.integers(0, 300), frac=st.floats(0.0, 1.0), big_t=st.floats(0.1, 200.0),
       t1=st.floats(0.0, 100.0), dt=st.floats(0.01, 100.0))
def test_expected_purchases_increase_with_t(p, x, frac, big_t, t1, dt) -> None:
    m = BGNBDResult(*p)
    tx = 0.0 if x == 0 else frac * big_t
    e1, e2 = m.conditional_expected_purchases([t1, t1 + dt], x, tx, big_t)
    assert np.isfinite(e1) and np.isfinite(e2)
    assert 0.0 <= e1 <= e2 * (1 + 1e-9) + 1e-12
    n1, n2 = m.expected_purchases([t1, t1 + dt])
    assert 0.0 <= n1 <= n2 * (1 + 1e-9) + 1e-12


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), factor=st.sampled_from([1000.0, 0.001, 7.3]))
def test_spend_model_is_scale_free(seed, factor) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 10, 800)
    nu = rng.gamma(rng.uniform(2, 6), 1 / rng.uniform(5, 30), 800)
    m = rng.gamma(rng.uniform(2, 8) * x, 1 / nu) / x
    s = pd.DataFrame({"frequency": x, "monetary_value": m})
    s2 = s.assign(monetary_value=m * factor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        g1, g2 = fit_gamma_gamma(s), fit_gamma_gamma(s2)
    assert g2.p == pytest.approx(g1.p, rel=1e-6)
    assert g2.q == pytest.approx(g1.q, rel=1e-6)
    assert g2.gamma == pytest.approx(g1.gamma * factor, rel=1e-6)
    np.testing.assert_allclose(g2.conditional_expected_spend(x, m * factor),
                               g1.conditional_expected_spend(x, m) * factor, rtol=1e-6)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), factor=st.sampled_from([7.0, 1 / 7, 365.25 / 12]))
def test_purchase_model_is_scale_free_in_time(seed, factor) -> None:
    rng = np.random.default_rng(seed)
    s = _simulate_bgnbd(rng, 2000, 0.4, 3.0, 0.9, 2.5, T=rng.uniform(10, 40, 2000))
    s2 = s.assign(recency=s["recency"] * factor, T=s["T"] * factor)
    m1, m2 = _silent_fit(s), _silent_fit(s2)
    for k in ("r", "a", "b"):
        assert getattr(m2, k) == pytest.approx(getattr(m1, k), rel=1e-6)
    assert m2.alpha == pytest.approx(m1.alpha * factor, rel=1e-6)
    np.testing.assert_allclose(m2.p_alive(s2.frequency, s2.recency, s2["T"]), m1.p_alive(s.frequency, s.recency, s["T"]),
                               rtol=1e-6)


# ============================================================================ planted process (simulation)


def test_fit_recovers_simulated_parameters_and_holdout() -> None:
    """Customers drawn from the BG/NBD process itself: the estimates cover the truth (4 SE) and the
    conditional expectations match the simulated holdout purchases in total and by frequency."""
    rng = np.random.default_rng(17)
    true = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    s = _simulate_bgnbd(rng, 30_000, **true, T=rng.uniform(20, 52, 30_000), t_holdout=26.0)
    m = fit_bgnbd(s)
    for k, v in true.items():
        assert abs(getattr(m, k) - v) < 4 * m.se[k], (k, getattr(m, k), m.se[k])
    ev = holdout_evaluation(BGNBDResult(**true), s)
    assert abs(ev.aggregate_error) < 0.03
    big = ev.by_frequency[ev.by_frequency.customers > 500]
    np.testing.assert_allclose(big.predicted, big.actual, rtol=0.1)


def test_homogeneous_dropout_warns_and_still_predicts() -> None:
    """Every customer with the same dropout p = 0.3 (Beta(a, b) with a, b → ∞): the fit runs to that limit,
    says so, and recovers p."""
    rng = np.random.default_rng(5)
    s = _simulate_bgnbd(rng, 20_000, 0.7, 4.0, 3e7, 7e7, T=rng.uniform(10, 50, 20_000))
    with pytest.warns(BoundaryWarning, match="same dropout probability"):
        m = fit_bgnbd(s)
    assert set(m.at_edge) == {"a", "b"}
    assert m.a / (m.a + m.b) == pytest.approx(0.3, rel=0.1)
    assert np.isnan(m.se["a"]) and np.isfinite(m.se["r"])
    assert np.isfinite(m.conditional_expected_purchases(10, s.frequency, s.recency, s["T"])).all()


def test_homogeneous_spend_warns_with_the_common_mean() -> None:
    # Spend 10 or 12 per purchase, the same mix for everyone: ν the same for all (q, γ → ∞); the common
    # mean spend per purchase p·γ/q must be the overall mean (20·3·10 + 20·1·12) / (20·3 + 20·1) = 10.5.
    s = pd.DataFrame({"frequency": [3, 1] * 20, "monetary_value": [10.0, 12.0] * 20})
    with pytest.warns(BoundaryWarning, match="same mean spend"):
        gg = fit_gamma_gamma(s)
    assert set(gg.at_edge) == {"q", "gamma"}
    assert gg.p * gg.gamma / gg.q == pytest.approx(10.5, rel=1e-3)


# ============================================================================ rfm_summary


@pytest.fixture()
def tx() -> pd.DataFrame:
    return pd.DataFrame({
        "cid": ["a", "a", "a", "a", "b", "b", "c", "d", None],
        "ts": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 21:00", "2024-01-15 10:00", "2024-02-12 10:00",
                              "2024-01-29 10:00", "2024-02-05 10:00", "2024-02-20 10:00", "2024-01-22 10:00", "2024-01-02 10:00"]),
        "qty": [1, 2, 1, 1, 3, 1, 1, 1, 1],
        "price": [10.0, 5.0, 30.0, 8.0, 2.0, 4.0, 9.0, 6.0, 1.0],
        "status": ["completed"] * 7 + ["cancelled", "completed"],
    })


def test_rfm_summary_definitions_by_hand(tx: pd.DataFrame) -> None:
    # calibration to 2024-01-31, holdout to 2024-02-14, weekly unit.
    # a: days Jan 1 (two orders, value 10 + 10 = 20), Jan 15 (30) in calibration -> x = 1, t_x = 14/7 = 2,
    #    T = 30/7, m = 30; holdout Feb 12 (8) -> 1 day, mean 8.
    # b: Jan 29 (6) -> x = 0, T = 2/7; holdout Feb 5 (4) -> 1.  c: first purchase after calibration -> dropped.
    # d: Jan 22, cancelled -> dropped by where=; guests (no customer) skipped.
    s = rfm_summary(tx, "cid", "ts", "qty * price", calibration_end="2024-01-31", observation_end="2024-02-14",
                    where="status <> 'cancelled'")
    assert s["cid"].tolist() == ["a", "b"]
    assert s["frequency"].tolist() == [1, 0]
    np.testing.assert_allclose(s["recency"], [2.0, 0.0])
    np.testing.assert_allclose(s["T"], [30 / 7, 2 / 7])
    np.testing.assert_allclose(s["monetary_value"], [30.0, 0.0])
    assert s["frequency_holdout"].tolist() == [1, 1]
    np.testing.assert_allclose(s["monetary_value_holdout"], [8.0, 4.0])
    np.testing.assert_allclose(s["duration_holdout"], 14 / 7)
    assert s.attrs["unit_days"] == 7.0
    # without the filter d joins (x = 0, T = 9/7); without observation_end no holdout columns
    s2 = rfm_summary(tx, "cid", "ts", None, calibration_end="2024-01-31", freq="D")
    assert s2["cid"].tolist() == ["a", "b", "d"]
    np.testing.assert_allclose(s2["T"], [30.0, 2.0, 9.0])
    assert "monetary_value" not in s2 and "frequency_holdout" not in s2


def test_rfm_summary_reads_parquet_like_a_frame(tx: pd.DataFrame, tmp_path: Path) -> None:
    tx["value"] = tx["qty"] * tx["price"]
    tx.to_parquet(tmp_path / "lines.parquet")
    kw = {"calibration_end": "2024-01-31", "observation_end": "2024-02-14", "freq": "D"}
    pd.testing.assert_frame_equal(rfm_summary(tmp_path / "lines.parquet", "cid", "ts", "value", **kw),
                                  rfm_summary(tx, "cid", "ts", "value", **kw))


def test_rfm_summary_bad_input_is_named(tx: pd.DataFrame) -> None:
    with pytest.raises(CLVError, match="missing column.*'customer'"):
        rfm_summary(tx, "customer", "ts", "price", calibration_end="2024-01-31")
    with pytest.raises(CLVError, match="'ts' is VARCHAR"):
        rfm_summary(tx.assign(ts=tx["ts"].astype(str)), "cid", "ts", "price", calibration_end="2024-01-31")
    with pytest.raises(CLVError, match="must be after"):
        rfm_summary(tx, "cid", "ts", "price", calibration_end="2024-01-31", observation_end="2024-01-01")
    with pytest.raises(CLVError, match="no customer"):
        rfm_summary(tx, "cid", "ts", "price", calibration_end="2020-01-31")
    with pytest.raises(CLVError, match="empty value"):
        rfm_summary(tx.assign(price=[None] + [1.0] * 8), "cid", "ts", "price", calibration_end="2024-01-31")
    with pytest.raises(CLVError, match="query failed"):
        rfm_summary(tx, "cid", "ts", "price", calibration_end="2024-01-31", where="colour = 'red'")
    with pytest.raises(CLVError, match="freq"):
        rfm_summary(tx, "cid", "ts", "price", calibration_end="2024-01-31", freq="Q")
    with pytest.raises(CLVError, match="no such file"):
        rfm_summary("/nonexistent/orders.parquet", "cid", "ts", "price", calibration_end="2024-01-31")
    assert issubclass(CLVError, UserError) and issubclass(FitError, CLVError)


def test_fit_bad_input_is_named() -> None:
    ok = pd.DataFrame({"frequency": [1, 0], "recency": [1.0, 0.0], "T": [2.0, 3.0]})
    with pytest.raises(CLVError, match="lacks column.*'T'"):
        fit_bgnbd(ok.drop(columns="T"))
    with pytest.raises(CLVError, match="recency <= T"):
        fit_bgnbd(ok.assign(recency=[5.0, 0.0]))
    with pytest.raises(CLVError, match="whole number"):
        fit_bgnbd(ok.assign(frequency=[1.5, 0]))
    with pytest.raises(FitError, match="no customer has a repeat purchase"):
        fit_bgnbd(ok.assign(frequency=[0, 0], recency=0.0))
    # every customer alike: nothing identifies the mixing distributions -> a clear FitError, no traceback
    with pytest.raises(FitError, match="ran off to 0 or infinity"):
        fit_bgnbd(pd.DataFrame({"frequency": [1] * 100, "recency": [1.0] * 100, "T": [2.0] * 100}))
    spend = pd.DataFrame({"frequency": [1, 2, 0] * 5, "monetary_value": [10.0, -3.0, 0.0] * 5})
    with pytest.raises(CLVError, match="monetary_value <= 0"):
        fit_gamma_gamma(spend)


# ============================================================================ CLV


def test_clv_discounting_by_hand() -> None:
    """One month ahead: CLV = margin · E[M] · E[Y(Δ)] / (1 + d), Δ = 365.25/12/7 weeks,
    d = 1.10^(1/12) − 1 = 0.0079741."""
    m = BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426, unit_days=7.0)
    gg = GammaGammaResult(p=6.25, q=3.74, gamma=15.44)
    s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86], "monetary_value": [22.35, 0.0]})
    out = customer_lifetime_value(m, gg, s, horizon_months=1, annual_discount_rate=0.10, margin=0.3)
    ey = m.conditional_expected_purchases(365.25 / 12 / 7, s.frequency, s.recency, s["T"])
    spend = np.array([375.875 / 15.24, 96.5 / 2.74])  # hand values, see test_gamma_gamma_expected_spend_by_hand
    np.testing.assert_allclose(out["clv"], 0.3 * spend * ey / 1.1 ** (1 / 12), rtol=1e-9)
    # a longer horizon is worth more; discounting makes it worth less than undiscounted
    y1 = m.clv(gg, s, horizon_months=12, annual_discount_rate=0.0)
    y1d = m.clv(gg, s, horizon_months=12, annual_discount_rate=0.10)
    assert (y1d["clv"] < y1["clv"]).all() and (y1d["clv"] > out["clv"] / 0.3).all()
    np.testing.assert_allclose(y1["clv"], y1["expected_purchases"] * y1["expected_spend"], rtol=1e-12)
    with pytest.raises(CLVError, match="unit"):
        customer_lifetime_value(BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426), gg, s)


def test_frequency_spend_correlation_interval() -> None:
    # Pearson r on n = 103: Fisher interval tanh(atanh(r) ± 1.959964/sqrt(100)).
    rng = np.random.default_rng(0)
    x = rng.integers(1, 10, 103)
    m = 10 + x + rng.normal(0, 3, 103)
    out = frequency_spend_correlation(pd.DataFrame({"frequency": np.r_[x, 0], "monetary_value": np.r_[m, 0]}))
    row = out.set_index("method").loc["pearson"]
    r = np.corrcoef(x, m)[0, 1]
    assert row["n"] == 103 and row["estimate"] == pytest.approx(r)
    assert row["ci_low"] == pytest.approx(math.tanh(math.atanh(r) - 1.959964 / 10), abs=1e-6)
    assert row["ci_high"] == pytest.approx(math.tanh(math.atanh(r) + 1.959964 / 10), abs=1e-6)


# ============================================================================ CDNOW (real data)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    if not CDNOW.exists():
        pytest.skip(f"CDNOW master not found at {CDNOW}")
    m = pd.read_csv(CDNOW, dtype={"customer_id": str})
    m["date"] = pd.to_datetime(m["date"].astype(str), format="%Y%m%d")
    return m


def _cdnow_summary(frame: pd.DataFrame, freq: str = "W") -> pd.DataFrame:
    return rfm_summary(frame, "customer_id", "date", "dollar_value", calibration_end="1997-09-30",
                       observation_end="1998-06-30", freq=freq)


@pytest.fixture(scope="module")
def cdnow_sample(cdnow: pd.DataFrame) -> pd.DataFrame:
    """The paper's 2,357-customer sample, rebuilt from the master with its customer list."""
    ids = [ln.strip() for ln in SAMPLE_IDS.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(ids) == len(set(ids)) == 2357
    s = _cdnow_summary(cdnow[cdnow["customer_id"].isin(ids)])
    return s.set_index("customer_id").loc[ids].reset_index()  # the sample's own order (ID 1..2357)


@needs_cdnow
def test_cdnow_sample_rebuilds_the_published_summary(cdnow_sample: pd.DataFrame) -> None:
    # Totals of Hardie's summary file (x, t_x, T rounded to 2 dp; cdnow_customers_summary_with_transactions.csv):
    # 2,357 customers, sum x = 2,457, 1,411 without repeat purchase, max x = 29, sum t_x = 16,135.52,
    # sum T = 77,111.21; first customer x = 2, t_x = 30.43, T = 38.86, mean repeat spend 22.35.
    s = cdnow_sample
    assert len(s) == 2357 and s["frequency"].sum() == 2457 and (s["frequency"] == 0).sum() == 1411
    assert s["frequency"].max() == 29
    assert s["recency"].round(2).sum() == pytest.approx(16135.52, abs=0.005)
    assert s["T"].round(2).sum() == pytest.approx(77111.21, abs=0.005)
    first = s.iloc[0]
    assert first["frequency"] == 2
    np.testing.assert_allclose([first["recency"], first["T"], first["monetary_value"]], [30.43, 38.86, 22.35], atol=0.005)


@needs_cdnow
def test_cdnow_sample_gives_the_papers_bgnbd(cdnow_sample: pd.DataFrame) -> None:
    m = fit_bgnbd(cdnow_sample)
    assert {k: round(v, 3) for k, v in m.params.items()} == PAPER_BGNBD
    assert round(m.loglik, 1) == PAPER_BGNBD_LL
    assert m.n == 2357 and m.at_edge == ()
    # Hardie's "In-Sample Fit" sheet, E[X(t)] at t = 1/7, 1, 3, 31.8571, 32, 78 weeks (also lifetimes' test)
    np.testing.assert_allclose(m.expected_purchases([0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]),
                               [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576], atol=5e-4)
    # the paper's worked example: customer 1 (x = 2, t_x = 30.43, T = 38.86) expects 1.226 purchases in 39 weeks
    assert m.conditional_expected_purchases(39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=5e-4)


@needs_cdnow
def test_cdnow_sample_gives_the_papers_gamma_gamma_and_correlation(cdnow_sample: pd.DataFrame) -> None:
    gg = fit_gamma_gamma(cdnow_sample)
    assert {k: round(v, 2) for k, v in gg.params.items()} == PAPER_GG
    assert gg.n == 946
    # Fader, Hardie & Lee (2005, JMR "RFM and CLV"): correlation of frequency and average spend 0.11
    corr = frequency_spend_correlation(cdnow_sample).set_index("method")
    assert round(corr.loc["pearson", "estimate"], 2) == 0.11
    assert corr.loc["pearson", "ci_low"] < 0.11 < corr.loc["pearson", "ci_high"]


@needs_cdnow
def test_cdnow_daily_unit_is_the_weekly_fit_in_days(cdnow_sample: pd.DataFrame, cdnow: pd.DataFrame) -> None:
    ids = set(cdnow_sample["customer_id"])
    daily = _cdnow_summary(cdnow[cdnow["customer_id"].isin(ids)], freq="D")
    w, d = fit_bgnbd(cdnow_sample), fit_bgnbd(daily)
    assert d.alpha == pytest.approx(7 * w.alpha, rel=1e-6)
    for k in ("r", "a", "b"):
        assert getattr(d, k) == pytest.approx(getattr(w, k), rel=1e-6)


# lifetimes 0.11.3 BetaGeoFitter().fit(frequency, recency, T) on the full CDNOW master table made by
# rfm_summary(calibration_end 1997-09-30, observation_end 1998-06-30, freq "W"); recorded from
# `benchmarks/bench_clv.py` (2026-12-01), lifetimes in benchmarks/.venv-clv. MAE: mean |E[Y(39)] − holdout|.
# Gamma-Gamma: GammaGammaFitter().fit on the repeat buyers with monetary_value > 0 (one CDNOW repeat buyer spent 0).
LIFETIMES_FULL = {"r": 0.251624, "alpha": 4.788945, "a": 0.723433, "b": 2.161087}
LIFETIMES_FULL_LL = -95368.4439  # lifetimes' mean NLL on its rescaled time, converted back to weeks
LIFETIMES_FULL_MAE = 0.818742
LIFETIMES_FULL_GG = {"p": 6.275359, "q": 3.624450, "gamma": 14.983689}


@needs_cdnow
def test_cdnow_full_master_matches_lifetimes(cdnow: pd.DataFrame) -> None:
    s = _cdnow_summary(cdnow)
    # shared/data README: 23,570 customers, all with a first purchase in the calibration period
    assert len(s) == 23570
    m = fit_bgnbd(s)
    for k, v in LIFETIMES_FULL.items():
        assert getattr(m, k) == pytest.approx(v, rel=0.01), k
    assert m.loglik >= LIFETIMES_FULL_LL - 1e-3  # the maximum is at least as high
    ev = holdout_evaluation(m, s)
    assert ev.mae <= LIFETIMES_FULL_MAE * 1.001
    assert ev.by_frequency["label"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    gg = fit_gamma_gamma(rep)
    for k, v in LIFETIMES_FULL_GG.items():
        assert getattr(gg, k) == pytest.approx(v, rel=0.01), k


# ============================================================================ sample shop


def test_sample_shop_customer_table(small_shop_dir: Path, small_truth: dict) -> None:
    """rfm_summary straight from orders.parquet: one row per customer of truth.json, and the pipeline runs."""
    orders = small_shop_dir / "orders.parquet"
    s = rfm_summary(orders, "customer_id", "order_ts", "quantity * unit_price", calibration_end=small_truth["end"])
    assert len(s) == small_truth["counts"]["customers"]
    lines = pd.read_parquet(orders, columns=["customer_id", "order_ts"]).dropna()
    assert s["frequency"].sum() + len(s) == len(lines.assign(d=lines.order_ts.dt.normalize())[["customer_id", "d"]]
                                                .drop_duplicates())
    cal = (pd.Timestamp(small_truth["end"]) - pd.Timedelta(days=182)).date()
    s = rfm_summary(orders, "customer_id", "order_ts", "quantity * unit_price", calibration_end=cal,
                    observation_end=small_truth["end"], where="status <> 'cancelled'")
    m = _silent_fit(s)
    ev = holdout_evaluation(m, s)
    assert np.isfinite(ev.mae) and abs(ev.aggregate_error) < 0.5
    gg = fit_gamma_gamma(s)
    out = m.clv(gg, s, horizon_months=12, margin=0.3)
    assert (out["clv"] >= 0).all() and out["clv"].sum() > 0


def _orders_module():
    """The generator module that plants loyalty and churn (moves with the opslib restructure)."""
    for name in ("opslib.sample.orders", "opslib._sample_orders"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(mod, "LOYAL_P") and hasattr(mod, "CHURN"):
            return mod
    pytest.fail("cannot find the sample generator's customer module (LOYAL_P, CHURN); update _orders_module")


@pytest.fixture(scope="module")
def single_type_shops(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict]]:
    """Two sample shops from the real generator, one whose customers are all loyal, one all occasional."""
    from opslib.sample import generate

    so = _orders_module()
    out = {}
    for kind, share in (("loyal", 1.0), ("occasional", 0.0)):
        folder = tmp_path_factory.mktemp(f"shop_{kind}")
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(so, "LOYAL_P", share)
            mp.setattr(so, "LOYAL_P_CAMPAIGN", share)
            generate(out=folder, seed=11, scale=0.05, progress=False)
        out[kind] = (folder, json.loads((folder / "truth.json").read_text(encoding="utf-8")))
    return out


@pytest.mark.parametrize("kind", ["loyal", "occasional"])
def test_sample_shop_planted_churn_is_recovered(single_type_shops, kind: str) -> None:
    """BG/NBD recovers the planted churn per purchase of each customer type within 20%.

    How it is measured, and why this is fair. The generator (``assign_customers``) draws a customer
    population: type loyal with probability ``LOYAL_P`` (``LOYAL_P_CAMPAIGN`` if acquired on a campaign
    day), then ``K ~ Geometric(churn_type)`` purchases with Exponential gaps (28 / 100 days), matched at
    random to the day's orders; orders left over go to fresh one-off customers. The type is not written
    anywhere, and in the default shop the two types and the one-offs share one population, which a single
    Beta(a, b) for the dropout probability cannot separate into two point masses (its mean ``a/(a+b)`` mixes
    types, one-offs and the Gamma heterogeneity of the rates). So the types are separated at the source:
    each shop is generated with every customer of one type (``LOYAL_P = LOYAL_P_CAMPAIGN = 1`` or ``0``, the
    rest of the generator unchanged, ``truth.json`` recording the planted values), summarised from its
    ``orders.parquet`` over the whole period (weekly unit, cancelled orders out) and fitted; the estimate of
    the churn per purchase is the fitted mean dropout ``a / (a + b)``. With one churn value per shop the
    Beta collapses to a point (a, b → ∞: the fit says so with a BoundaryWarning), which is exactly what was
    planted. Two known differences remain and are absorbed elsewhere: the generator lets a customer churn
    right after the first purchase (BG/NBD only after repeats) and adds one-off customers; the fit explains
    both as customers with a low purchase rate (small r), not by a higher p — so p stays close to the planted
    value, while r/α, the mean rate, does not estimate the planted 1/gap and is not tested.
    """
    folder, truth = single_type_shops[kind]
    planted = truth["customers"]["planted"]
    assert planted["loyal_share"] == (1.0 if kind == "loyal" else 0.0)
    churn = planted["churn_per_purchase"][kind]
    s = rfm_summary(folder / "orders.parquet", "customer_id", "order_ts", "quantity * unit_price",
                    calibration_end=truth["end"], where="status <> 'cancelled'", freq="W")
    m = _silent_fit(s)
    dropout = m.a / (m.a + m.b)
    assert dropout == pytest.approx(churn, rel=0.20), (kind, dropout, churn)
