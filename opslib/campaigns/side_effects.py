"""Side effects and simple comparisons: new vs returning buyers (and their later repeat rate), and the naive
before/after uplift that the counterfactual replaces.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from opslib.data.lines import query_lines, sku_filter, ts_literal
from opslib.kpi import Term


def buyer_mix(orders: Any, skus: list[str] | None, window: tuple[pd.Timestamp, pd.Timestamp],
              baseline: tuple[pd.Timestamp, pd.Timestamp], repeat_days: int = 90) -> dict[str, float]:
    """New versus returning buyers of ``skus`` in ``window`` and the new buyers' later repeat rate, in one SQL query.

    A buyer is *new* when their first non-cancelled order in the data falls in the window. ``repeat_rate_new``
    = share of those new buyers of ``skus`` (the ``new_buyers`` counted here) with another non-cancelled order
    (any SKU) within ``repeat_days`` after the window end; ``baseline_repeat_rate_new`` = the same for the
    customers whose first order falls in ``baseline`` and who bought ``skus`` there (measured after the baseline
    end), so both rates are about the scoped SKUs' new buyers, like for like. Customers new in the window who
    bought only other SKUs are not the campaign's and do not count. NaN when the data end before the follow-up
    is over (or nobody was new). ``orders`` = distinct non-cancelled orders with a
    line of ``skus`` in the window (guest orders included). Keys: ``buyers``, ``new_buyers``, ``new_share``,
    ``orders``, ``repeat_rate_new``, ``baseline_repeat_rate_new``.

    The query runs where the lines are (:func:`opslib.data.lines.query_lines`): on the shop's engine
    (DuckDB or Spark) for a shop from ``load_shop``, in DuckDB for a frame or a Parquet path; only one row
    comes back.

    Parameters:
        orders: a shop (``load_shop``), order lines (frame) or a Parquet path. skus: the scoped SKUs (None: all).
        window, baseline: inclusive days. repeat_days: the follow-up after the window.

    Returns:
        The dict above.

    Example: c1 buys first in the window and again 10 days later; c2 bought before (returning).
        >>> o = pd.DataFrame({"order_id": ["1", "2", "3", "4"], "customer_id": ["c2", "c1", "c2", "c1"],
        ...     "order_ts": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-03-02", "2024-03-12"]),
        ...     "sku": ["A", "A", "A", "B"], "status": "completed"})
        >>> b = buyer_mix(o, ["A"], (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-02")),
        ...               (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31")), repeat_days=20)
        >>> b["buyers"], b["new_buyers"], b["new_share"], b["orders"]
        (2.0, 1.0, 0.5, 2.0)
    """
    day = pd.Timedelta(days=1)
    a, b = pd.Timestamp(window[0]), pd.Timestamp(window[1]) + day
    a0, b0 = pd.Timestamp(baseline[0]), pd.Timestamp(baseline[1]) + day
    follow = pd.Timedelta(days=repeat_days)
    A, B, C = ts_literal(a), ts_literal(b), ts_literal(b + follow)
    A0, B0, C0 = ts_literal(a0), ts_literal(b0), ts_literal(b0 + follow)
    sql = f"""
    WITH l AS (SELECT o.customer_id, o.order_ts FROM orders o
               WHERE o.status <> 'cancelled' AND o.customer_id IS NOT NULL),
    f AS (SELECT customer_id, min(order_ts) AS first_ts FROM l GROUP BY customer_id),
    wl AS (SELECT o.customer_id, o.order_id FROM orders o
           WHERE o.status <> 'cancelled' AND {sku_filter(skus)} AND o.order_ts >= {A} AND o.order_ts < {B}),
    wb AS (SELECT DISTINCT customer_id FROM wl WHERE customer_id IS NOT NULL),
    buy AS (SELECT count(*) AS buyers, sum(CASE WHEN f.first_ts >= {A} THEN 1 ELSE 0 END) AS new_buyers
            FROM wb JOIN f ON wb.customer_id = f.customer_id),
    ord AS (SELECT count(DISTINCT order_id) AS orders FROM wl),
    nw AS (SELECT wb.customer_id FROM wb JOIN f ON wb.customer_id = f.customer_id WHERE f.first_ts >= {A}),
    rw AS (SELECT DISTINCT customer_id FROM l WHERE order_ts >= {B} AND order_ts < {C}),
    repw AS (SELECT count(*) AS new_w, count(rw.customer_id) AS back_w
             FROM nw LEFT JOIN rw ON nw.customer_id = rw.customer_id),
    bb AS (SELECT DISTINCT o.customer_id FROM orders o
           WHERE o.status <> 'cancelled' AND o.customer_id IS NOT NULL AND {sku_filter(skus)}
             AND o.order_ts >= {A0} AND o.order_ts < {B0}),
    nb AS (SELECT bb.customer_id FROM bb JOIN f ON bb.customer_id = f.customer_id WHERE f.first_ts >= {A0}),
    rb AS (SELECT DISTINCT customer_id FROM l WHERE order_ts >= {B0} AND order_ts < {C0}),
    repb AS (SELECT count(*) AS new_b, count(rb.customer_id) AS back_b
             FROM nb LEFT JOIN rb ON nb.customer_id = rb.customer_id),
    span AS (SELECT max(o.order_ts) AS last_ts FROM orders o)
    SELECT buy.buyers, buy.new_buyers, ord.orders, repw.new_w, repw.back_w, repb.new_b, repb.back_b, span.last_ts
    FROM buy CROSS JOIN ord CROSS JOIN repw CROSS JOIN repb CROSS JOIN span"""
    r = query_lines(orders, sql).iloc[0]
    last = pd.Timestamp(r["last_ts"]) if pd.notna(r["last_ts"]) else None

    def count(x: object) -> int:
        return 0 if x is None or pd.isna(x) else int(x)

    def repeat(end: pd.Timestamp, new: object, back: object) -> float:
        if last is None or last < end + follow or count(new) == 0:
            return float("nan")
        return count(back) / count(new)

    buyers, new = count(r["buyers"]), count(r["new_buyers"])
    return {"buyers": float(buyers), "new_buyers": float(new), "new_share": new / buyers if buyers else float("nan"),
            "orders": float(count(r["orders"])),
            "repeat_rate_new": repeat(b, r["new_w"], r["back_w"]),
            "baseline_repeat_rate_new": repeat(b0, r["new_b"], r["back_b"])}


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
