"""Side effects and simple comparisons: new vs returning buyers (and their later repeat rate), and the naive
before/after uplift that the counterfactual replaces.
"""

from __future__ import annotations

import pandas as pd

from opslib.data import cube as _cube
from opslib.kpi import Term


def buyer_mix(orders: _cube.Source, skus: list[str], window: tuple[pd.Timestamp, pd.Timestamp],
              baseline: tuple[pd.Timestamp, pd.Timestamp], repeat_days: int = 90) -> dict[str, float]:
    """New versus returning buyers of ``skus`` in ``window`` and the new buyers' later repeat rate (DuckDB).

    A buyer is *new* when their first non-cancelled order in the data falls in the window. ``repeat``
    = share of new buyers with another non-cancelled order within ``repeat_days`` after the window end
    (any SKU); ``baseline_repeat`` = the same for buyers whose first order falls in ``baseline``
    (measured after the baseline end). NaN when the data end before the follow-up is over.
    Keys: ``buyers``, ``new_buyers``, ``new_share``, ``repeat_rate_new``, ``baseline_repeat_rate_new``.

    Parameters:
        orders: order lines (frame or Parquet path). skus: the scoped SKUs. window, baseline: inclusive days.
        repeat_days: the follow-up after the window.

    Returns:
        The dict above.

    Example: c1 buys first in the window and again 10 days later; c2 bought before (returning).
        >>> o = pd.DataFrame({"order_id": ["1", "2", "3", "4"], "customer_id": ["c2", "c1", "c2", "c1"],
        ...     "order_ts": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-03-02", "2024-03-12"]),
        ...     "sku": ["A", "A", "A", "B"], "status": "completed"})
        >>> b = buyer_mix(o, ["A"], (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-02")),
        ...               (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31")), repeat_days=20)
        >>> b["buyers"], b["new_buyers"], b["new_share"]
        (2.0, 1.0, 0.5)
    """
    con = _cube.connect()
    _cube.relation(con, "o", orders)
    con.register("s", pd.DataFrame({"sku": list(skus)}))
    q = """
    WITH l AS (SELECT customer_id, order_ts FROM o WHERE status <> 'cancelled' AND customer_id IS NOT NULL),
    f AS (SELECT customer_id, min(order_ts) AS first_ts FROM l GROUP BY 1),
    buyers AS (SELECT DISTINCT o.customer_id FROM o JOIN s USING (sku)
               WHERE o.status <> 'cancelled' AND o.customer_id IS NOT NULL AND o.order_ts >= $a AND o.order_ts < $b)
    SELECT count(*) AS buyers, sum(CASE WHEN f.first_ts >= $a THEN 1 ELSE 0 END) AS new_buyers
    FROM buyers JOIN f USING (customer_id)
    """
    a, b = window[0], window[1] + pd.Timedelta(days=1)
    r = con.execute(q, {"a": a, "b": b}).fetchone()
    last = con.execute("SELECT max(order_ts) FROM o").fetchone()[0]

    def repeat(a0: pd.Timestamp, b0: pd.Timestamp) -> float:
        if pd.Timestamp(last) < b0 + pd.Timedelta(days=repeat_days):
            return float("nan")
        q2 = """
        WITH l AS (SELECT customer_id, order_ts FROM o WHERE status <> 'cancelled' AND customer_id IS NOT NULL),
        f AS (SELECT customer_id, min(order_ts) AS first_ts FROM l GROUP BY 1),
        new AS (SELECT customer_id FROM f WHERE first_ts >= $a AND first_ts < $b)
        SELECT avg(CASE WHEN EXISTS (SELECT 1 FROM l WHERE l.customer_id = new.customer_id AND l.order_ts >= $b
                                     AND l.order_ts < $c) THEN 1.0 ELSE 0.0 END) FROM new
        """
        v = con.execute(q2, {"a": a0, "b": b0, "c": b0 + pd.Timedelta(days=repeat_days)}).fetchone()[0]
        return float(v) if v is not None else float("nan")

    buyers, new = int(r[0] or 0), int(r[1] or 0)
    return {"buyers": float(buyers), "new_buyers": float(new), "new_share": new / buyers if buyers else float("nan"),
            "repeat_rate_new": repeat(a, b),
            "baseline_repeat_rate_new": repeat(baseline[0], baseline[1] + pd.Timedelta(days=1))}


def naive_uplift(series: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """What a before/after dashboard reports: window units minus the pre-period daily mean times window days.

    ``series`` is ``CampaignEvaluation.impact.series`` (index: day; columns ``period`` with 'pre' for the
    pre-period, ``masked`` for set-aside days, ``observed`` units). Formula:
    ``naive = sum(observed[start..end]) - mean(observed[pre, not masked]) * days(start..end)``.
    It ignores weekday mix, season, trend and what happens after the window, which is why the notebook
    sets it beside the counterfactual.

    Parameters:
        series: the impact series. start, end: the window (inclusive days).

    Returns:
        The naive uplift in units.

    Example:
        >>> idx = pd.date_range("2024-06-01", periods=5)
        >>> s = pd.DataFrame({"period": ["pre", "pre", "pre", "window", "window"],
        ...                   "masked": [False, False, True, False, False],
        ...                   "observed": [10.0, 20.0, 99.0, 40.0, 50.0]}, index=idx)
        >>> naive_uplift(s, idx[3], idx[4])  # 90 - 15 * 2
        60.0
    """
    pre = series[(series["period"] == "pre") & ~series["masked"].astype(bool)]["observed"].mean()
    window = series.loc[start:end, "observed"]
    return float(window.sum() - pre * len(window))


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("naive_uplift", "简单前后对比", "Naive before/after uplift",
         "window units − pre-period daily mean × window days (what a dashboard shows; ignores weekday, season, "
         "pull-forward)", "opslib.campaigns.side_effects.naive_uplift", "02"),
    Term("pull_forward", "透支 (提前消费)", "Pull-forward", "units the promoted SKUs lose in the days after the window "
         "(customers bought early)", "opslib.campaigns.evaluation.evaluate_campaign", "02"),
    Term("cannibalisation", "蚕食", "Cannibalisation", "units the non-promoted sibling SKUs of the same subcategory "
         "lose during the window", "opslib.campaigns.evaluation.evaluate_campaign", "02"),
    Term("buyer_mix", "新老客结构", "New vs returning buyers", "buyers of the scoped SKUs in the window without / with "
         "an earlier order, and the new buyers' later repeat rate", "opslib.campaigns.side_effects.buyer_mix", "02"),
)
