"""A/B tests on conversion and average order value (AOV): plan before, read after, avoid the traps.

Before the test (how many visitors do we need?):

* :func:`sample_size_proportions` — visitors per arm to detect a conversion change from ``p1`` to
  ``p2`` with a two-sided z-test. Effect size is Cohen's ``h = 2 asin(sqrt(p2)) - 2 asin(sqrt(p1))``
  (``statsmodels.stats.proportion.proportion_effectsize``); ``n = 2 ((z_{1-a/2} + z_{power}) / h) ** 2``
  (``statsmodels.stats.power.NormalIndPower``).
* :func:`sample_size_means` — orders per arm to detect an AOV change ``delta`` with standard deviation
  ``sd`` (Cohen's ``d = delta / sd``, ``statsmodels.stats.power.TTestIndPower``).
* :func:`power_proportions` — the power a planned sample actually has.

After the test (is the difference real?):

* :func:`two_proportion_ztest` — conversion: pooled z-test,
  ``z = (p_b - p_a) / sqrt(p (1 - p) (1/n_a + 1/n_b))``, ``p = (x_a + x_b) / (n_a + n_b)``; confidence
  interval of the difference with the unpooled (Wald) standard error
  ``sqrt(p_a (1 - p_a) / n_a + p_b (1 - p_b) / n_b)``.
* :func:`welch_ttest` — AOV: Welch's t-test (unequal variances),
  ``t = (m_b - m_a) / sqrt(s_a^2/n_a + s_b^2/n_b)`` with Welch–Satterthwaite degrees of freedom.
* :func:`adjust_pvalues` — several metrics at once: Holm (default) or Bonferroni.
* :func:`test_warnings` — plain-language warnings for peeking, many metrics and too small samples.

Results come back as small dataclasses (:class:`ProportionTest`, :class:`MeanTest`, :class:`AbExample`) with
``summary()`` (a DataFrame).

Example:
    >>> r = two_proportion_ztest(100, 1000, 130, 1000)
    >>> round(r.diff, 3), round(r.z, 2), r.p_value < 0.05
    (0.03, 2.1, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from opslib.kpi import Term

#: Below this many units (visitors or orders) per arm, results are flagged as too small.
MIN_PER_ARM = 100
#: Below this many conversions per arm, the normal approximation of the z-test is shaky.
MIN_EVENTS_PER_ARM = 10


def sample_size_proportions(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0) -> int:
    """Visitors needed in arm A (arm B gets ``ratio`` times as many) to detect ``p1 -> p2``.

    ``h = 2 asin(sqrt(p2)) - 2 asin(sqrt(p1))``; for ``ratio = 1``,
    ``n = 2 ((z_{1-alpha/2} + z_{power}) / h) ** 2`` (each arm's transformed rate has variance 1/n), rounded up.
    By hand for 10% -> 12%: h = 2 (0.35374 - 0.32175) = 0.06398, n = 2 (2.8016 / 0.06398) ** 2 = 3834.9.

    Parameters:
        p1, p2: conversion of A and the rate to detect in B. alpha: two-sided level. power: 1 - beta.
        ratio: size of B over A.

    Returns:
        Visitors in arm A, rounded up.

    Example:
        >>> sample_size_proportions(0.10, 0.12)   # +2 points on a 10% conversion rate
        3835
    """
    if not (0 < p1 < 1 and 0 < p2 < 1) or p1 == p2:
        raise ValueError("p1 and p2 must be different rates strictly between 0 and 1, e.g. 0.10 and 0.12")
    h = proportion_effectsize(p2, p1)
    n = NormalIndPower().solve_power(effect_size=abs(h), alpha=alpha, power=power, ratio=ratio,
                                     alternative="two-sided")
    return int(math.ceil(n))


def power_proportions(p1: float, p2: float, n_per_arm: int, alpha: float = 0.05) -> float:
    """Power of a two-sided two-proportion z-test with ``n_per_arm`` visitors in each arm.

    ``power = Phi(|h| sqrt(n / 2) - z_{1-alpha/2})`` (plus the negligible other tail), ``h`` Cohen's h.

    Parameters:
        p1, p2: the two conversion rates. n_per_arm: visitors per arm. alpha: two-sided level.

    Returns:
        The power (0..1).

    Example:
        >>> round(power_proportions(0.10, 0.12, 3835), 2)
        0.8
    """
    h = proportion_effectsize(p2, p1)
    return float(NormalIndPower().power(effect_size=abs(h), nobs1=n_per_arm, alpha=alpha, ratio=1.0,
                                        alternative="two-sided"))


def sample_size_means(delta: float, sd: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Orders per arm to detect an AOV change of ``delta`` when order values have standard deviation ``sd``.

    ``d = delta / sd`` (Cohen's d); solved with the t-test power (``TTestIndPower``), rounded up.

    Parameters:
        delta: the smallest AOV change worth detecting. sd: standard deviation of order values.
        alpha: two-sided level. power: 1 - beta.

    Returns:
        Orders per arm.

    Example:
        >>> sample_size_means(delta=5.0, sd=50.0)   # d = 0.1
        1571
    """
    if sd <= 0 or delta == 0:
        raise ValueError("sd must be positive and delta non-zero (the smallest AOV change worth detecting)")
    n = TTestIndPower().solve_power(effect_size=abs(delta) / sd, alpha=alpha, power=power, ratio=1.0,
                                    alternative="two-sided")
    return int(math.ceil(n))


@dataclass
class ProportionTest:
    """A two-proportion z-test of conversion B versus A (:func:`two_proportion_ztest`).

    ``p_a``, ``p_b`` conversion rates; ``diff = p_b - p_a``; ``lift = diff / p_a``; ``z``, two-sided ``p_value``;
    ``ci_low`` .. ``ci_high`` the interval of ``diff`` at ``confidence``; ``n_a``, ``n_b`` visitors.
    """

    p_a: float
    p_b: float
    diff: float
    lift: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    n_a: int
    n_b: int
    confidence: float

    def summary(self) -> pd.DataFrame:
        """One row with every field."""
        return pd.DataFrame([asdict(self)])


def two_proportion_ztest(x_a: int, n_a: int, x_b: int, n_b: int, confidence: float = 0.95) -> ProportionTest:
    """Two-sided pooled z-test of conversion B versus A, with a Wald interval for ``p_b - p_a``.

    ``z = (p_b - p_a) / sqrt(p (1 - p) (1/n_a + 1/n_b))`` with the pooled ``p = (x_a + x_b) / (n_a + n_b)``;
    interval ``diff ± z_{conf} sqrt(p_a (1 - p_a) / n_a + p_b (1 - p_b) / n_b)``.

    Parameters:
        x_a, n_a: conversions and visitors of arm A. x_b, n_b: of arm B. confidence: of the interval.

    Returns:
        :class:`ProportionTest`.

    Example (hand-computed): 100/1000 vs 130/1000: p = 0.115, SE_pooled = sqrt(.115*.885*.002) = 0.014267,
    z = 0.03 / 0.014267 = 2.103 (rounded 2.10); two-sided p = 0.0355.
        >>> r = two_proportion_ztest(100, 1000, 130, 1000)
        >>> round(r.z, 3), round(r.p_value, 4)
        (2.103, 0.0355)
    """
    if min(n_a, n_b) <= 0 or not (0 <= x_a <= n_a and 0 <= x_b <= n_b):
        raise ValueError("need 0 <= conversions <= visitors and visitors > 0 in both arms")
    p_a, p_b = x_a / n_a, x_b / n_b
    p = (x_a + x_b) / (n_a + n_b)
    se_pool = math.sqrt(p * (1 - p) * (1 / n_a + 1 / n_b))
    diff = p_b - p_a
    z = diff / se_pool if se_pool > 0 else 0.0
    pv = 2 * stats.norm.sf(abs(z))
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    q = stats.norm.ppf(0.5 + confidence / 2)
    return ProportionTest(p_a=p_a, p_b=p_b, diff=diff, lift=diff / p_a if p_a > 0 else float("nan"), z=z,
                          p_value=float(pv), ci_low=diff - q * se, ci_high=diff + q * se, n_a=int(n_a), n_b=int(n_b),
                          confidence=confidence)


@dataclass
class MeanTest:
    """Welch's t-test of mean(b) - mean(a) (:func:`welch_ttest`): ``mean_a``, ``mean_b``, ``diff``, ``lift``,
    ``t``, ``df`` (Welch–Satterthwaite), two-sided ``p_value``, interval ``ci_low`` .. ``ci_high`` at
    ``confidence``, ``n_a``, ``n_b``."""

    mean_a: float
    mean_b: float
    diff: float
    lift: float
    t: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float
    n_a: int
    n_b: int
    confidence: float

    def summary(self) -> pd.DataFrame:
        """One row with every field."""
        return pd.DataFrame([asdict(self)])


def welch_ttest(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray,
                confidence: float = 0.95) -> MeanTest:
    """Welch's t-test of mean(b) - mean(a) (e.g. order values in two arms) with its confidence interval.

    ``se = sqrt(s_a^2/n_a + s_b^2/n_b)``, ``t = (m_b - m_a) / se``,
    ``df = se^4 / ((s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1))``; interval ``diff ± t_{df} se``.

    Parameters:
        a, b: the observations of the two arms (NaN dropped). confidence: of the interval.

    Returns:
        :class:`MeanTest`.

    Example: a = [1, 2, 3], b = [4, 5, 6, 7]: diff = 5.5 - 2 = 3.5, se = sqrt(1/3 + 1.6667/4) = 0.866,
    t = 4.041, df = 0.75^2 / (0.3333^2/2 + 0.4167^2/3) = 4.96.
        >>> r = welch_ttest([1, 2, 3], [4, 5, 6, 7])
        >>> round(r.diff, 2), round(r.t, 3), round(r.df, 2)
        (3.5, 4.041, 4.96)
    """
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    xa, xb = xa[~np.isnan(xa)], xb[~np.isnan(xb)]
    if len(xa) < 2 or len(xb) < 2:
        raise ValueError("each arm needs at least 2 observations for a Welch t-test")
    va, vb = xa.var(ddof=1) / len(xa), xb.var(ddof=1) / len(xb)
    se = math.sqrt(va + vb)
    diff = float(xb.mean() - xa.mean())
    df = (va + vb) ** 2 / (va ** 2 / (len(xa) - 1) + vb ** 2 / (len(xb) - 1)) if se > 0 else float("inf")
    t = diff / se if se > 0 else 0.0
    pv = 2 * stats.t.sf(abs(t), df)
    q = stats.t.ppf(0.5 + confidence / 2, df)
    return MeanTest(mean_a=float(xa.mean()), mean_b=float(xb.mean()), diff=diff,
                    lift=diff / float(xa.mean()) if xa.mean() != 0 else float("nan"), t=t, df=float(df),
                    p_value=float(pv), ci_low=diff - q * se, ci_high=diff + q * se, n_a=int(len(xa)),
                    n_b=int(len(xb)), confidence=confidence)


def adjust_pvalues(p_values: Sequence[float] | pd.Series, method: Literal["holm", "bonferroni"] = "holm",
                   alpha: float = 0.05) -> pd.DataFrame:
    """Correct p-values for testing several metrics at once (family-wise error rate ``alpha``).

    Bonferroni: ``p_adj = min(1, m p)``. Holm: sort ascending, ``p_adj_(i) = max_{j<=i} min(1, (m - j + 1) p_(j))``.
    Columns: ``p_value``, ``p_adjusted``, ``significant`` (``p_adjusted < alpha``); index as given.

    Parameters:
        p_values: the raw p-values (a Series keeps its index). method: ``holm`` or ``bonferroni``. alpha: the level.

    Returns:
        The frame above.

    Example: p = [0.01, 0.04, 0.03], Holm: 0.01*3 = 0.03, 0.03*2 = 0.06, max(0.06, 0.04*1) = 0.06.
        >>> adjust_pvalues([0.01, 0.04, 0.03])["p_adjusted"].round(2).tolist()
        [0.03, 0.06, 0.06]
    """
    p = pd.Series(p_values, dtype=float)
    if method not in ("holm", "bonferroni"):
        raise ValueError("method must be 'holm' or 'bonferroni'")
    reject, adj, _, _ = multipletests(p.to_numpy(), alpha=alpha, method=method)
    return pd.DataFrame({"p_value": p, "p_adjusted": adj, "significant": reject}, index=p.index)


def test_warnings(n_a: int, n_b: int, events_a: int | None = None, events_b: int | None = None,
                  n_metrics: int = 1, looks: int = 1, planned_n_per_arm: int | None = None) -> list[str]:
    """Plain-language warnings about the usual A/B-test traps; an empty list means none found.

    * too small: fewer than :data:`MIN_PER_ARM` units or :data:`MIN_EVENTS_PER_ARM` conversions per arm;
    * stopped early: fewer units than the planned sample size;
    * peeking: ``looks > 1`` interim looks at a fixed-sample test inflate false positives (with 5 looks
      at alpha 0.05 the real false-positive rate is about 14%);
    * many metrics: ``n_metrics > 1`` needs :func:`adjust_pvalues` (Holm/Bonferroni).

    Parameters:
        n_a, n_b: units per arm. events_a, events_b: conversions per arm. n_metrics: metrics read.
        looks: interim looks. planned_n_per_arm: the planned sample.

    Returns:
        One sentence per trap found.

    Example:
        >>> len(test_warnings(50, 60, n_metrics=3, looks=4))
        3
    """
    out = []
    if min(n_a, n_b) < MIN_PER_ARM:
        out.append(f"样本太小 too small: {min(n_a, n_b)} per arm (< {MIN_PER_ARM}); the test has little power and the "
                   "normal approximation is unreliable — run longer before reading it.")
    elif events_a is not None and events_b is not None and min(events_a, events_b) < MIN_EVENTS_PER_ARM:
        out.append(f"转化数太少 too few conversions: {min(events_a, events_b)} in the smaller arm "
                   f"(< {MIN_EVENTS_PER_ARM}); use an exact test or run longer.")
    if planned_n_per_arm is not None and min(n_a, n_b) < planned_n_per_arm:
        out.append(f"提前停止 stopped early: {min(n_a, n_b)} of the planned {planned_n_per_arm} per arm; a "
                   "significant result now is not the tested hypothesis — finish the planned sample.")
    if looks > 1:
        out.append(f"偷看 peeking: the result was looked at {looks} times; each look is another chance of a false "
                   "positive. Decide the sample size up front, or use a sequential design.")
    if n_metrics > 1:
        out.append(f"多指标 many metrics: {n_metrics} metrics tested; correct the p-values with "
                   "adjust_pvalues(..., method='holm') before calling any of them significant.")
    return out


@dataclass
class AbExample:
    """A worked A/B test on conversion (:func:`ab_example`): the plan, a reading at the planned sample, the
    correction for several metrics and the warnings.

    ``base_rate`` -> ``target_rate``; ``n_per_arm`` visitors per arm (power 80%, two-sided 5%); ``test``: the
    z-test if both arms convert exactly at their rates; ``adjusted``: Holm-corrected p-values of
    ``test`` and the other metrics; ``warnings``: :func:`test_warnings` for ``looks`` interim looks.
    """

    base_rate: float
    target_rate: float
    n_per_arm: int
    test: ProportionTest
    adjusted: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    note: str = ""

    def summary(self) -> pd.DataFrame:
        """One row per metric: ``metric``, ``p_value``, ``p_adjusted``, ``significant``."""
        return self.adjusted.rename_axis("metric").reset_index()


def ab_example(base_rate: float, relative_lift: float = 0.10, confidence: float = 0.95,
               other_p_values: dict[str, float] | None = None, looks: int = 5) -> AbExample:
    """Plan and read a conversion A/B test for a shop with conversion ``base_rate``.

    ``target = base_rate x (1 + relative_lift)``; ``n = sample_size_proportions(base, target)``; the reading
    is :func:`two_proportion_ztest` with ``floor(base n)`` and ``floor(target n)`` conversions; the p-values
    of ``conversion`` and ``other_p_values`` (default: AOV 0.04, units per order 0.20) are Holm-adjusted.

    Parameters:
        base_rate: conversion of arm A (e.g. ``kpi.shop_conversion_rate``). relative_lift: the lift to detect.
        confidence: of the interval. other_p_values: further metrics read from the same test. looks: how
            often the result was looked at (for the peeking warning).

    Returns:
        :class:`AbExample`.

    Example: 10% -> 11% needs 14,745 visitors per arm.
        >>> ex = ab_example(0.10)
        >>> ex.n_per_arm, ex.summary()["metric"].tolist()
        (14745, ['conversion', 'aov', 'units_per_order'])
    """
    target = base_rate * (1 + relative_lift)
    n = sample_size_proportions(base_rate, target)
    r = two_proportion_ztest(int(base_rate * n), n, int(target * n), n, confidence=confidence)
    others = {"aov": 0.04, "units_per_order": 0.20} if other_p_values is None else dict(other_p_values)
    adjusted = adjust_pvalues(pd.Series({"conversion": r.p_value, **others}))
    return AbExample(base_rate=base_rate, target_rate=target, n_per_arm=n, test=r, adjusted=adjusted,
                     warnings=test_warnings(n, n, n_metrics=len(adjusted), looks=looks))


#: The conversion rate the worked example uses when the shop has no traffic table.
EXAMPLE_RATE = 0.03


def shop_ab_example(orders: Any, traffic: pd.DataFrame | None, relative_lift: float = 0.10,
                    confidence: float = 0.95, looks: int = 5) -> AbExample:
    """:func:`ab_example` at the shop's own conversion rate (the definition of ``opslib.kpi.shop_conversion_rate``:
    distinct non-cancelled orders / summed visitors), or at :data:`EXAMPLE_RATE` (3%) without a traffic table.

    The orders are counted by one SQL aggregate where the lines are (:func:`opslib.data.lines.query_lines`):
    pass the shop (``load_shop``) and its lines never come into pandas.

    Parameters:
        orders: the shop, order lines (frame) or a Parquet path. traffic: the traffic table or None.
        relative_lift, confidence, looks: as :func:`ab_example`.

    Returns:
        :class:`AbExample` whose ``note`` says which rate was used.

    Example:
        >>> shop_ab_example(pd.DataFrame({"order_id": ["o1"], "status": ["completed"]}), None).note
        'no traffic table: using 3.0% as an example conversion rate'
    """
    from opslib.data.lines import query_lines
    from opslib.kpi import conversion_rate

    if traffic is None:
        ex = ab_example(EXAMPLE_RATE, relative_lift, confidence, looks=looks)
        ex.note = f"no traffic table: using {EXAMPLE_RATE:.1%} as an example conversion rate"
        return ex
    placed = query_lines(orders, "SELECT count(DISTINCT o.order_id) AS n FROM orders o WHERE o.status <> 'cancelled'")
    rate = conversion_rate(float(placed["n"].iloc[0]), float(traffic["visitors"].sum()))
    ex = ab_example(rate, relative_lift, confidence, looks=looks)
    ex.note = f"the shop's conversion rate: {rate:.2%} (orders / visitors over the whole data)"
    return ex


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("ab_sample_size", "A/B 样本量", "A/B test sample size",
         "h = 2 asin √p₂ − 2 asin √p₁; n per arm = 2 ((z₁₋α/₂ + z_power) / h)²", "opslib.campaigns.abtest.sample_size_proportions",
         "02"),
    Term("ab_ztest", "两比例 z 检验", "Two-proportion z-test", "z = (p_B − p_A) / √(p̄ (1 − p̄) (1/n_A + 1/n_B)), "
         "p̄ pooled", "opslib.campaigns.abtest.two_proportion_ztest", "02"),
    Term("holm", "多重检验校正 (Holm)", "Multiple-testing correction (Holm)",
         "sort p-values; the k-th smallest is compared with α / (m − k + 1), stopping at the first that fails",
         "opslib.campaigns.abtest.adjust_pvalues", "02"),
)
