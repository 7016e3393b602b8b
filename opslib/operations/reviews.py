"""Service quality: review scores and topics by category, carrier and lateness; the effect of late delivery on
the score with controls; returns and cancellations by reason and category.

Definitions: a review enters a period by its ``review_ts``; an order by its ``order_ts``. **Lateness** of a
reviewed order: 准时 on time (delivered by the promise), 迟到 late (delivered after it), 未送达 not delivered.
Order return rate 退货率 = non-cancelled orders with a returned line / non-cancelled orders; cancellation rate
取消率 = cancelled orders / orders; an order's category is that of its largest line.

Example:
    >>> import pandas as pd
    >>> r = pd.DataFrame({"score": [5, 4, 2, 1], "topic": ["质量", None, "物流", "物流"], "late": [False, False, True, True],
    ...                   "delivered_ts": pd.Timestamp("2024-01-02"), "review_ts": pd.Timestamp("2024-01-05")})
    >>> review_mix(r, "lateness")[["lateness", "reviews", "score", "bad_share"]].values.tolist()
    [['准时 on time', 2, 4.5, 0.0], ['迟到 late', 2, 1.5, 1.0]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslib.calendar import Period
from opslib.kpi import Term
from opslib.operations.dataset import CAMPAIGN_LABELS, OpsData, in_period, period_window
from opslib.operations.effects import Effect, terms_of
from opslib.operations.stats import cell_ols, mean_interval, wilson_interval

LATENESS = ("准时 on time", "迟到 late", "未送达 not delivered")
NO_TOPIC = "(无 none)"
#: A review with at most this score is a bad review (差评).
BAD_SCORE = 2
_NO_REVIEWS = "no reviews table: review scores cannot be analysed"


def _reviews(data: OpsData | pd.DataFrame, period: Period | tuple | None = None) -> pd.DataFrame | None:
    if isinstance(data, OpsData):
        return period_window(data, period, reviews="review_ts").reviews if data.has("reviews") else None
    return data


def _skip(columns: list[str], reason: str) -> pd.DataFrame:
    out = pd.DataFrame(columns=columns)
    out.attrs["skipped"] = reason
    return out


def _group(r: pd.DataFrame, by: str) -> pd.Series:
    if by == "lateness":
        delivered = r["delivered_ts"].notna() if "delivered_ts" in r else pd.Series(False, index=r.index)
        late = r["late"].fillna(False).astype(bool) if "late" in r else pd.Series(False, index=r.index)
        return pd.Series(np.where(~delivered, LATENESS[2], np.where(late, LATENESS[1], LATENESS[0])), index=r.index)
    if by == "campaign_day":
        return r["campaign_day"].fillna(False).astype(bool).map(CAMPAIGN_LABELS)
    return r[by].astype(object).where(r[by].notna(), "(unknown)")


def review_mix(data: OpsData | pd.DataFrame, by: str = "category", period: Period | tuple | None = None) -> pd.DataFrame:
    """Review score and bad-review share per ``by`` group (category, carrier, warehouse, lateness, campaign_day).

    Formulas: ``score`` = mean of scores (1-5) with a normal 95 % interval ``score_low``/``score_high``;
    ``bad_share`` = share of scores ``<= 2`` (差评率); ``logistics_topic`` = share of reviews about 物流.

    Parameters:
        data: the :class:`OpsData` (or a review frame). by: the group. period: review days (None: all).

    Returns:
        One row per group (lateness in its natural order, others by reviews): ``reviews``, ``score``,
        ``score_low``, ``score_high``, ``bad_share``, ``logistics_topic``.
    """
    cols = [by, "reviews", "score", "score_low", "score_high", "bad_share", "logistics_topic"]
    r = _reviews(data, period)
    if r is None:
        return _skip(cols, data.skip_reason("reviews") if isinstance(data, OpsData) else _NO_REVIEWS)
    r = in_period(r, "review_ts", period)
    f = pd.DataFrame({by: _group(r, by), "score": r["score"].astype(float), "bad": r["score"] <= BAD_SCORE,
                      "logi": r["topic"].eq("物流")})
    g = f.groupby(by)
    out = pd.DataFrame({"reviews": g.size(), "score": g["score"].mean(), "sd": g["score"].std(),
                        "bad_share": g["bad"].mean(), "logistics_topic": g["logi"].mean()}).reset_index()
    out["score_low"], out["score_high"] = mean_interval(out["score"], out["sd"], out["reviews"])
    if by == "lateness":
        out = out.set_index(by).reindex([x for x in LATENESS if x in set(out[by])]).reset_index()
    else:
        out = out.sort_values(["reviews", by], ascending=[False, True]).reset_index(drop=True)
    return out[cols]


def topic_mix(data: OpsData | pd.DataFrame, by: str = "lateness", period: Period | tuple | None = None) -> pd.DataFrame:
    """What reviews are about, per ``by`` group: the share of each topic and its mean score.

    Formula: ``share`` = reviews of the topic in the group / reviews of the group (empty topic = ``(无 none)``).

    Parameters:
        data: the :class:`OpsData` (or a review frame). by: the group. period: review days (None: all).

    Returns:
        Long table: ``by``, ``topic``, ``reviews``, ``share``, ``score``.
    """
    cols = [by, "topic", "reviews", "share", "score"]
    r = _reviews(data, period)
    if r is None:
        return _skip(cols, data.skip_reason("reviews") if isinstance(data, OpsData) else _NO_REVIEWS)
    r = in_period(r, "review_ts", period)
    f = pd.DataFrame({by: _group(r, by), "topic": r["topic"].fillna(NO_TOPIC), "score": r["score"].astype(float)})
    out = f.groupby([by, "topic"]).agg(reviews=("score", "size"), score=("score", "mean")).reset_index()
    out["share"] = out["reviews"] / out.groupby(by)["reviews"].transform("sum")
    return out.sort_values([by, "reviews"], ascending=[True, False]).reset_index(drop=True)[cols]


def late_review_effect(data: OpsData, until: pd.Timestamp | str | None = None,
                       controls: tuple[str, ...] = ("category", "carrier", "month")) -> Effect:
    """How many points late delivery costs on the review score, holding category, carrier and month fixed.

    Model: ``score = a + β·late + category + carrier + month + e`` by OLS over reviews of delivered orders
    (late = delivered after the promise), reviews written up to ``until``. ``β`` is the late-delivery effect in
    score points; heteroskedasticity-robust (HC1) standard errors, computed exactly from cells
    (``opslib.operations.stats.cell_ols``). The controls keep a carrier or category with both more delays and
    harsher reviewers from being counted as the effect of lateness.

    Parameters:
        data: the :class:`OpsData`. until: last review day used. controls: fixed effects among the order frame's
            columns (category, carrier, warehouse, region, month, campaign_day ...).

    Returns:
        :class:`~opslib.operations.effects.Effect` (unit: points); ``groups`` = mean score on time vs late.

    Example:
        >>> import pandas as pd
        >>> from opslib.operations.dataset import OpsData
        >>> r = pd.DataFrame({"score": [5, 4, 4, 2], "late": [False, False, True, True],
        ...     "delivered_ts": pd.Timestamp("2024-01-02"), "review_ts": pd.Timestamp("2024-01-05")})
        >>> d = OpsData(orders=pd.DataFrame(), days=pd.DataFrame(), reviews=r, contacts=None,
        ...             as_of=pd.Timestamp("2024-02-01"), has_fulfilment=True, peak_rule="campaign")
        >>> late_review_effect(d, controls=()).estimate()  # 3.0 - 4.5
        -1.5
    """
    label = "迟到对评分的影响 late delivery on the review score"
    if not data.has("reviews"):
        return Effect(label=label, unit="points", reason=data.skip_reason("reviews") or _NO_REVIEWS)
    if not data.has_fulfilment:
        return Effect(label=label, unit="points", reason=data.skip_reason("fulfilment"))
    from opslib.operations.tables import DAY_KEYS, ORDER_KEYS, as_text, group_moments, regroup

    if data.on_engine and set(controls) <= set(ORDER_KEYS) | set(DAY_KEYS):
        r = _score_cells(data, until, controls)  # one row per (late, order day, controls): n, Σscore, Σscore²
    else:
        r = data.reviews[data.reviews["delivered_ts"].notna()]
        if until is not None:
            r = r[r["review_ts"] < pd.Timestamp(until) + pd.Timedelta(days=1)]
        r = r.assign(late=r["late"].astype(int), score=r["score"].astype(float))
        r = r.assign(n=1, sum_y=r["score"], sum_y2=r["score"] ** 2)
    if r["late"].nunique() < 2:
        return Effect(label=label, unit="points", n=int(r["n"].sum()),
                      reason="no late (or no on-time) deliveries among the reviewed orders: nothing to compare")
    fixed = [c for c in controls if c in r.columns and r[c].nunique() > 1]
    cells = regroup(as_text(r.copy(), fixed), ["late", *fixed])
    fit = cell_ols(cells, ["late"], fixed)
    g = group_moments(r, "late")
    lo, hi = mean_interval(g["mean"], g["std"], g["size"])
    groups = pd.DataFrame({"group": [LATENESS[int(i)] for i in g.index], "mean": g["mean"].to_numpy(), "low": lo,
                           "high": hi, "n": g["size"].to_numpy()})
    dropped = [c for c in controls if c not in fixed]
    notes = (f"controls with a single value here, so left out: {', '.join(dropped)}",) if dropped else ()
    return Effect(label=label, unit="points", terms=terms_of(fit, {"late": "late delivery 迟到"}), groups=groups,
                  n=fit.n, controls=tuple(fixed), cov_type="HC1 robust standard errors", notes=notes)


def _score_cells(data: OpsData, until: pd.Timestamp | str | None, controls: tuple[str, ...]) -> pd.DataFrame:
    """Scores of the reviews of delivered orders (written up to ``until``) as cells from SQL: per ``late`` (0/1),
    order day and the order controls: ``n``, ``sum_y``, ``sum_y2``, with the order day's columns."""
    from opslib.operations.tables import ORDER_KEYS, ORDER_TABLE, cells_frame, day_columns, ts

    t = data.tables
    keys = [c for c in ORDER_KEYS if c in controls]
    sel = "".join(f", o.{k}" for k in keys)
    grp = "".join(f", o.{k}" for k in keys)
    late = f"CASE WHEN {t.seconds('o.promised_ts', 'o.delivered_ts')} > {t.promise_shift.total_seconds()} THEN 1 ELSE 0 END"
    cut = f" AND r.review_ts < {ts(pd.Timestamp(until) + pd.Timedelta(days=1))}" if until is not None else ""
    c = t.query(f"""SELECT {late} AS late, CAST(o.order_ts AS DATE) AS order_day{sel}, count(*) AS n,
                    sum(CAST(r.score AS DOUBLE)) AS sum_y, sum(CAST(r.score AS DOUBLE) * r.score) AS sum_y2
                    FROM reviews r JOIN {ORDER_TABLE} o ON o.order_id = r.order_id
                    WHERE o.delivered_ts IS NOT NULL{cut}
                    GROUP BY {late}, CAST(o.order_ts AS DATE){grp}""")
    c = day_columns(cells_frame(c), data.days)
    c["late"] = c["late"].astype(int)
    return c


def returns_by(data: OpsData, by: str = "category", period: Period | tuple | None = None) -> pd.DataFrame:
    """Cancellations and returns per ``by`` group (category, channel, region, carrier, campaign_day ...) over
    orders placed in ``period``.

    Formulas: ``cancel_rate`` = cancelled orders / orders; ``return_rate`` = non-cancelled orders with a
    returned line / non-cancelled orders; both with Wilson 95 % intervals; ``gmv`` of non-cancelled orders.

    Parameters:
        data: the :class:`OpsData`. by: the group column. period: order days (None: all).

    Returns:
        One row per group, most orders first: ``orders``, ``cancelled``, ``cancel_rate`` (+ ``_low``/``_high``),
        ``returned``, ``return_rate`` (+ interval), ``gmv``.
    """
    o = in_period(period_window(data, period, orders="order_ts").orders, "order_ts", period)
    f = pd.DataFrame({by: _group(o, by), "c": o["cancelled"].astype(bool),
                      "r": o["returned"].astype(bool) & ~o["cancelled"].astype(bool), "gmv": o["gmv"]})
    g = f.groupby(by)
    out = pd.DataFrame({"orders": g.size(), "cancelled": g["c"].sum(), "returned": g["r"].sum(),
                        "gmv": g["gmv"].sum()}).reset_index()
    live = out["orders"] - out["cancelled"]
    out["cancel_rate"] = out["cancelled"] / out["orders"]
    out["cancel_low"], out["cancel_high"] = wilson_interval(out["cancelled"], out["orders"])
    out["return_rate"] = out["returned"] / live.replace(0, np.nan)
    out["return_low"], out["return_high"] = wilson_interval(out["returned"], live)
    cols = [by, "orders", "cancelled", "cancel_rate", "cancel_low", "cancel_high", "returned", "return_rate",
            "return_low", "return_high", "gmv"]
    return out.sort_values(["orders", by], ascending=[False, True]).reset_index(drop=True)[cols]


def return_reasons(data: OpsData, by: str = "category", period: Period | tuple | None = None) -> pd.DataFrame:
    """Why orders were returned, per ``by`` group, from what the customer told service or wrote in the review.

    Rule per returned order (placed in ``period``): the reason of its after-sale contact about a return
    (退换货, 质量问题, 尺码不合适 ... the last one when several), else the topic of a review scored <= 3, else
    ``未知 unknown``. The contract has no return-reason column, so this is the best evidence there is; the
    ``source`` column says which one was used.

    Parameters:
        data: the :class:`OpsData`. by: the group column. period: order days (None: all).

    Returns:
        ``by``, ``reason``, ``source`` (service / review / none), ``orders``, ``share`` (of the group's returns).
    """
    data = period_window(data, period, orders="order_ts", contacts_of_orders="1", reviews_of_orders="1")
    o = in_period(data.orders, "order_ts", period)
    o = o[o["returned"].astype(bool) & ~o["cancelled"].astype(bool)]
    reason = pd.Series(None, index=o.index, dtype=object)
    source = pd.Series("none", index=o.index, dtype=object)
    if data.has("service"):
        a = data.contacts[(data.contacts["stage"] == "after_sale") & data.contacts["order_id"].isin(o["order_id"])]
        a = a[a["reason"].isin(RETURN_REASONS)].sort_values("contact_ts").drop_duplicates("order_id", keep="last")
        m = o["order_id"].map(a.set_index("order_id")["reason"])
        reason, source = reason.fillna(m), source.mask(m.notna(), "service 客服")
    if data.has("reviews"):
        rv = data.reviews[(data.reviews["score"] <= 3) & data.reviews["topic"].notna()]
        m = o["order_id"].map(rv.set_index("order_id")["topic"])
        fill = reason.isna() & m.notna()
        reason, source = reason.where(~fill, m), source.mask(fill, "review 评价")
    f = pd.DataFrame({by: _group(o, by), "reason": reason.fillna("未知 unknown"), "source": source})
    out = f.groupby([by, "reason", "source"]).size().rename("orders").reset_index()
    out["share"] = out["orders"] / out.groupby(by)["orders"].transform("sum")
    return out.sort_values([by, "orders"], ascending=[True, False]).reset_index(drop=True)


#: After-sale contact reasons that describe a return (the sample shop's vocabulary; others count as well when
#: an export uses them).
RETURN_REASONS = ("退换货", "质量问题", "尺码不合适", "七天无理由", "发错货", "return", "quality", "size")


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("late_review_effect", "迟到对评分的影响", "Late-delivery effect on the review score",
         "OLS score = a + β·late + category + carrier + month (HC1); β in score points", "opslib.operations.reviews.late_review_effect",
         "06"),
    Term("bad_review_share", "差评率", "Bad-review share", "reviews with ≤ 2 stars / reviews", "opslib.operations.reviews.review_mix",
         "06"),
    Term("order_return_rate", "订单退货率", "Order return rate", "orders with a returned line / non-cancelled orders",
         "opslib.operations.reviews.returns_by", "06"),
)
