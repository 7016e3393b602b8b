"""The campaigns table and what a campaign covers: look-up by id, scope SKUs and siblings, periods, overlaps,
and ad-hoc windows (a promotion that is not in the table).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from opslib.calendar import parse_day
from opslib.campaigns.counterfactual import MIN_PRE_DAYS
from opslib.data.contract import CAMPAIGN_KINDS, CAMPAIGNS, SCOPE_SEPARATOR
from opslib.errors import CampaignError


@dataclass(frozen=True)
class Campaign:
    """One row of the campaigns table, with parsed scope. ``start``/``end`` are inclusive days."""

    campaign_id: str
    name: str
    kind: str
    start: pd.Timestamp
    end: pd.Timestamp
    discount_depth: float
    scope_type: str
    scope: tuple[str, ...]
    marketing_spend: float

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1


def _row_to_campaign(r: pd.Series) -> Campaign:
    scope = r.get("scope")
    parts = tuple(s.strip() for s in str(scope).split(SCOPE_SEPARATOR) if s.strip()) if isinstance(scope, str) else ()
    spend = r.get("marketing_spend")
    return Campaign(_id_text(r["campaign_id"]), str(r.get("name", r["campaign_id"])), str(r.get("kind", "other")),
                    pd.Timestamp(r["start"]).normalize(), pd.Timestamp(r["end"]).normalize(),
                    float(r.get("discount_depth", np.nan)), str(r.get("scope_type", "all")), parts,
                    float(spend) if spend is not None and not pd.isna(spend) else 0.0)


def _ids(campaigns: pd.DataFrame) -> pd.Series:
    """The campaign ids as text (a numeric id read from a CSV or typed as ``18`` matches ``"18"``)."""
    return campaigns["campaign_id"].astype(str).str.strip()


def _id_text(campaign_id: object) -> str:
    """A campaign id as text: ``18``, ``18.0`` and ``" 18 "`` all become ``"18"``."""
    if isinstance(campaign_id, float) and campaign_id.is_integer():
        return str(int(campaign_id))
    return str(campaign_id).strip()


def latest_campaign_id(campaigns: pd.DataFrame, data_start: pd.Timestamp | None = None,
                       data_end: pd.Timestamp | None = None, min_pre_days: int = MIN_PRE_DAYS) -> str:
    """The id of the campaign evaluated by default: the latest one that has ended and has a usable pre-period.

    Rule: among campaigns with ``end <= data_end`` (it is over and its days are loaded) and
    ``start - data_start >= min_pre_days`` (enough days before it to fit the counterfactual), the one that ended
    last (ties: the later start, then the larger id). Without ``data_start``/``data_end`` those conditions are
    not checked. Raises :class:`CampaignError` when no campaign qualifies, saying why.

    Parameters:
        campaigns: the campaigns table. data_start, data_end: first and last day of the orders.
        min_pre_days: days of data needed before the start.

    Returns:
        The campaign id (text).

    Example: the flash sale started last but has not ended on 2024-07-11, so 618 is evaluated.
        >>> c = pd.DataFrame({"campaign_id": ["A", "B"], "start": pd.to_datetime(["2024-06-01", "2024-07-10"]),
        ...                   "end": pd.to_datetime(["2024-06-18", "2024-07-12"])})
        >>> latest_campaign_id(c, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-07-11"))
        'A'
    """
    c = campaigns.assign(_id=_ids(campaigns), _start=pd.to_datetime(campaigns["start"]),
                         _end=pd.to_datetime(campaigns["end"]))
    ok = pd.Series(True, index=c.index)
    if data_end is not None:
        ok &= c["_end"] <= pd.Timestamp(data_end)
    if data_start is not None:
        ok &= (c["_start"] - pd.Timestamp(data_start)).dt.days >= min_pre_days
    if not ok.any():
        span = (f" (orders run {pd.Timestamp(data_start):%Y-%m-%d}..{pd.Timestamp(data_end):%Y-%m-%d})"
                if data_start is not None and data_end is not None else "")
        raise CampaignError(f"no campaign of the {len(c)} in the campaigns table has ended and has {min_pre_days} "
                            f"days of orders before it{span}: give campaign_id, or start and end of a window")
    return str(c[ok].sort_values(["_end", "_start", "_id"]).iloc[-1]["_id"])


def get_campaign(campaigns: pd.DataFrame, campaign_id: object = None, data_start: pd.Timestamp | None = None,
                 data_end: pd.Timestamp | None = None) -> Campaign:
    """The campaign ``campaign_id`` from the campaigns table; None = :func:`latest_campaign_id`.

    Ids are compared as text, so ``18`` (a number typed in a parameter) finds campaign ``"18"``.
    Raises :class:`CampaignError` listing close matches when the id does not exist.

    Parameters:
        campaigns: the campaigns table. campaign_id: the id (text or number) or None.
        data_start, data_end: first and last day of the orders, for the default choice.

    Returns:
        :class:`Campaign`.

    Example:
        >>> c = pd.DataFrame({"campaign_id": ["18", "19"], "name": ["a", "b"], "start": ["2024-06-01"] * 2,
        ...                   "end": ["2024-06-03"] * 2, "scope_type": ["all", "sku"], "scope": [None, "A|B"]})
        >>> get_campaign(c, 18).campaign_id, get_campaign(c, "19").scope
        ('18', ('A', 'B'))
    """
    if campaigns is None or len(campaigns) == 0:
        raise CampaignError("the campaigns table is empty: add campaigns.csv with one row per promotion")
    if campaign_id is None:
        campaign_id = latest_campaign_id(campaigns, data_start, data_end)
    key = _id_text(campaign_id)
    ids = _ids(campaigns)
    hit = campaigns[ids == key]
    if len(hit) == 0:
        close = difflib.get_close_matches(key, ids.tolist(), n=5, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        latest = ids[pd.to_datetime(campaigns["start"]).sort_values().index].tail(5).tolist()
        raise CampaignError(f"campaign {key!r} does not exist in the campaigns table.{hint} "
                            f"Use one of its campaign_id values (latest: {', '.join(latest)}), "
                            "or campaign_id=None for the latest campaign that has ended.")
    return _row_to_campaign(hit.iloc[0])


def scope_skus(campaign: Campaign, products: pd.DataFrame) -> list[str]:
    """SKUs the campaign covers, in the order of ``products`` (scope ``sku``: in the order listed).

    ``all``: every SKU; ``category``: the SKUs whose ``category`` or ``subcategory`` is listed; ``sku``: the
    listed SKUs that exist in products (one set look-up each: a 35,000-SKU coupon scope takes milliseconds).

    Parameters:
        campaign: the campaign. products: the products table.

    Returns:
        The SKU codes.

    Example:
        >>> p = pd.DataFrame({"sku": ["A", "B", "C"], "category": ["x", "x", "y"], "subcategory": ["x1", "x2", "y1"]})
        >>> c = Campaign("C1", "c", "coupon", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02"), 0.1,
        ...              "category", ("x2", "y"), 0.0)
        >>> scope_skus(c, p), scope_skus(Campaign(**{**c.__dict__, "scope_type": "sku", "scope": ("C", "Z")}), p)
        (['B', 'C'], ['C'])
    """
    if campaign.scope_type == "all":
        return products["sku"].astype(str).tolist()
    if campaign.scope_type == "category":
        m = products["category"].isin(campaign.scope) | products["subcategory"].isin(campaign.scope)
        return products.loc[m, "sku"].astype(str).tolist()
    known = set(products["sku"].astype(str))
    return [s for s in campaign.scope if s in known]


def sibling_skus(campaign: Campaign, products: pd.DataFrame) -> list[str]:
    """SKUs of the scoped SKUs' subcategories that are not on promotion (empty for scope ``all``).

    Parameters:
        campaign: the campaign. products: the products table.

    Returns:
        The sibling SKU codes: ``subcategory in subcategories(scope) and sku not in scope``.

    Example:
        >>> p = pd.DataFrame({"sku": ["A", "B", "C"], "category": ["x", "x", "y"], "subcategory": ["x1", "x1", "y1"]})
        >>> sibling_skus(Campaign("C1", "c", "flash_sale", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02"),
        ...                       0.3, "sku", ("A",), 0.0), p)
        ['B']
    """
    if campaign.scope_type == "all":
        return []
    scope = set(scope_skus(campaign, products))
    subs = set(products.loc[products["sku"].isin(scope), "subcategory"])
    return products.loc[products["subcategory"].isin(subs) & ~products["sku"].isin(scope), "sku"].tolist()


def campaign_periods(campaign: Campaign, pre_days: int = 56, post_days: int = 14) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    """Inclusive ``(start, end)`` of ``pre`` (the ``pre_days`` before the start), ``window`` and ``post``.

    Parameters:
        campaign: the campaign. pre_days, post_days: lengths of the periods before and after.

    Returns:
        ``{"pre": (start - pre_days, start - 1), "window": (start, end), "post": (end + 1, end + post_days)}``.

    Example:
        >>> c = Campaign("C1", "c", "coupon", pd.Timestamp("2024-03-10"), pd.Timestamp("2024-03-12"), 0.1, "all", (), 0.0)
        >>> [f"{a:%m-%d}..{b:%m-%d}" for a, b in campaign_periods(c, 7, 3).values()]
        ['03-03..03-09', '03-10..03-12', '03-13..03-15']
    """
    one = pd.Timedelta(days=1)
    return {"pre": (campaign.start - pre_days * one, campaign.start - one), "window": (campaign.start, campaign.end),
            "post": (campaign.end + one, campaign.end + post_days * one)}


def overlapping_campaigns(campaigns: pd.DataFrame, campaign: Campaign, pre_days: int = 56,
                          post_days: int = 14) -> pd.DataFrame:
    """Other campaigns whose window (or their own ``post_days`` after it) touches this campaign's periods.

    Columns: ``campaign_id``, ``start``, ``end``, ``where`` ('pre' | 'window' | 'post').
    (Scope-blind; the evaluation uses :func:`opslib.campaigns.overlap.plan_overlaps`, which weighs scopes.)

    Parameters:
        campaigns: the campaigns table. campaign: the campaign. pre_days, post_days: its periods.

    Returns:
        The frame above, the first period each other campaign touches (window, then post, then pre).

    Example:
        >>> t = pd.DataFrame({"campaign_id": ["A", "B"], "start": pd.to_datetime(["2024-03-10", "2024-03-01"]),
        ...                   "end": pd.to_datetime(["2024-03-12", "2024-03-02"])})
        >>> c = Campaign("A", "a", "coupon", pd.Timestamp("2024-03-10"), pd.Timestamp("2024-03-12"), 0.1, "all", (), 0.0)
        >>> overlapping_campaigns(t, c, 14, 3)[["campaign_id", "where"]].values.tolist()
        [['B', 'pre']]
    """
    rows = []
    per = campaign_periods(campaign, pre_days, post_days)
    for _, r in campaigns.iterrows():
        if _id_text(r["campaign_id"]) == campaign.campaign_id:
            continue
        a, b = pd.Timestamp(r["start"]), pd.Timestamp(r["end"]) + pd.Timedelta(days=post_days)
        for where in ("window", "post", "pre"):
            s, e = per[where]
            if a <= e and b >= s:
                rows.append({"campaign_id": r["campaign_id"], "start": pd.Timestamp(r["start"]),
                             "end": pd.Timestamp(r["end"]), "where": where})
                break
    return pd.DataFrame(rows, columns=["campaign_id", "start", "end", "where"])


def _mask_other_campaigns(campaigns: pd.DataFrame, campaign: Campaign, index: pd.DatetimeIndex,
                          post_days: int) -> pd.Series:
    """True on days of ``index`` inside another campaign's window or its ``post_days`` after it."""
    mask = pd.Series(False, index=index)
    for _, r in campaigns.iterrows():
        if _id_text(r["campaign_id"]) == campaign.campaign_id:
            continue
        a, b = pd.Timestamp(r["start"]), pd.Timestamp(r["end"]) + pd.Timedelta(days=post_days)
        mask |= (index >= a) & (index <= b)
    return mask


#: Prefix of the ``campaign_id`` of an ad-hoc campaign: ``ADHOC_<start>_<end>``.
ADHOC_PREFIX = "ADHOC"


def parse_scope(scope: str | None) -> tuple[str, str | None]:
    """``scope`` text as the campaigns table's ``(scope_type, scope)``.

    ``None``, ``""`` or ``"all"`` -> ``("all", None)``; ``"category:美妆|服饰"`` -> ``("category", "美妆|服饰")``
    (top-level categories or subcategories); ``"sku:A|B"`` -> ``("sku", "A|B")``. The prefix is
    case-insensitive, a full-width colon ``：`` works too, spaces around names are dropped and
    repeated names are kept once. Anything else raises :class:`CampaignError`.

    Parameters:
        scope: the text.

    Returns:
        ``(scope_type, scope)`` as the campaigns table writes them.

    Example:
        >>> parse_scope("category: 美妆 | 服饰")
        ('category', '美妆|服饰')
        >>> parse_scope("SKU:A|B|A"), parse_scope(None)
        (('sku', 'A|B'), ('all', None))
    """
    if scope is None or not str(scope).strip() or str(scope).strip().lower() == "all":
        return "all", None
    text = str(scope).strip().replace("：", ":")
    kind, sep, rest = text.partition(":")
    kind = kind.strip().lower()
    forms = "use 'all', 'category:美妆|服饰' (categories or subcategories) or 'sku:SKU00001|SKU00002'"
    if not sep or kind not in ("category", "sku"):
        raise CampaignError(f"scope {scope!r} not understood: {forms}")
    names = list(dict.fromkeys(s.strip() for s in rest.split(SCOPE_SEPARATOR) if s.strip()))
    if not names:
        raise CampaignError(f"scope {scope!r} names no {kind}: {forms}")
    return kind, SCOPE_SEPARATOR.join(names)


def _check_scope(scope_type: str, names: list[str], products: pd.DataFrame) -> None:
    """CampaignError naming the categories/SKUs of an ad-hoc scope that ``products`` does not have."""
    if scope_type == "category":
        known = set(products["category"].astype(str)) | set(products["subcategory"].astype(str))
        unknown = [n for n in names if n not in known]
        if unknown:
            tree = products.groupby("category")["subcategory"].agg(lambda s: "/".join(sorted(set(map(str, s)))))
            listing = "; ".join(f"{cat} ({subs})" for cat, subs in tree.items())
            raise CampaignError(f"ad-hoc scope: {', '.join(map(repr, unknown))} is no category or subcategory of "
                                f"products. Categories (subcategories): {listing}")
    elif scope_type == "sku":
        skus = products["sku"].astype(str).tolist()
        known = set(skus)
        unknown = [n for n in names if n not in known]
        if unknown:
            close = sorted({m for n in unknown for m in difflib.get_close_matches(n, skus, n=3, cutoff=0.6)})
            hint = f" Did you mean {', '.join(close[:8])}?" if close else ""
            raise CampaignError(f"ad-hoc scope: SKU {', '.join(map(repr, unknown[:10]))}"
                                f"{' ...' if len(unknown) > 10 else ''} not in products ({len(skus)} SKUs, e.g. "
                                f"{', '.join(sorted(skus)[:5])}).{hint}")


def estimate_discount_depth(orders: Any, skus: list[str] | None, start: pd.Timestamp,
                            end: pd.Timestamp) -> float:
    """Average discount off list price on the ``skus`` (None = all) sold from ``start`` to ``end`` (inclusive days).

    Over the non-cancelled order lines of those SKUs placed in the window::

        discount_depth = 1 - sum(quantity * unit_price) / sum(quantity * list_price)

    clipped to 0..1 (the campaigns table's range). NaN when there is no such line. One SQL aggregate where the
    lines are (:func:`opslib.data.lines.query_lines`: the shop's engine, or DuckDB over a frame).

    Parameters:
        orders: a shop (``load_shop``), order lines or a Parquet path. skus: the SKUs (None: all).
        start, end: inclusive days.

    Returns:
        The depth (0..1) or NaN.

    Example: 2 units at 80 (list 100) and 1 unit at 50 (list 50): 1 - 210 / 250 = 0.16.
        >>> o = pd.DataFrame({"order_ts": pd.to_datetime(["2024-06-01 10:00", "2024-06-02 23:59",
        ...                                               "2024-06-03 00:00"]),
        ...                   "sku": ["A", "B", "A"], "quantity": [2, 1, 5], "unit_price": [80.0, 50.0, 10.0],
        ...                   "list_price": [100.0, 50.0, 100.0], "status": ["completed"] * 3})
        >>> round(estimate_discount_depth(o, None, pd.Timestamp("2024-06-01"), pd.Timestamp("2024-06-02")), 6)
        0.16
    """
    from opslib.data.lines import query_lines, sku_filter, ts_literal

    r = query_lines(orders, f"""
        SELECT CAST(sum(o.quantity * o.unit_price) AS DOUBLE) AS paid,
               CAST(sum(o.quantity * o.list_price) AS DOUBLE) AS listed
        FROM orders o
        WHERE o.status <> 'cancelled' AND {sku_filter(skus)} AND o.order_ts >= {ts_literal(start)}
          AND o.order_ts < {ts_literal(pd.Timestamp(end) + pd.Timedelta(days=1))}""").iloc[0]
    paid = 0.0 if pd.isna(r["paid"]) else float(r["paid"])
    listed = 0.0 if pd.isna(r["listed"]) else float(r["listed"])
    if listed <= 0:
        return float("nan")
    return float(min(max(1.0 - paid / listed, 0.0), 1.0))


def _order_days(orders: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last order time of the lines (one SQL aggregate where they are)."""
    from opslib.data.lines import query_lines

    r = query_lines(orders, "SELECT min(o.order_ts) AS a, max(o.order_ts) AS b FROM orders o").iloc[0]
    return pd.Timestamp(r["a"]), pd.Timestamp(r["b"])


def adhoc_campaign(start: object, end: object, scope: str | None = "all", *, name: str | None = None,
                   kind: str = "other", discount_depth: float | None = None, marketing_spend: float = 0.0,
                   products: pd.DataFrame | None = None, orders: Any = None) -> pd.DataFrame:
    """One campaigns-table row for a promotion that is not in the campaigns table (or a shop without one).

    ``start``/``end``: first and last day (inclusive), text like ``2024-06-18`` or dates.
    ``scope``: ``'all'`` (None too), ``'category:美妆|服饰'`` or ``'sku:A|B'`` (:func:`parse_scope`); with
    ``products`` the names are checked and unknown ones raise :class:`CampaignError` listing what exists.
    ``discount_depth`` None: estimated from ``orders`` over the scoped lines of the window
    (:func:`estimate_discount_depth`: ``1 - sum(quantity*unit_price) / sum(quantity*list_price)``,
    non-cancelled lines); NaN without ``orders``. The id is ``ADHOC_<start>_<end>``; append the row with
    :func:`with_adhoc` and pass that id to :func:`evaluate_campaign`.

    Raises :class:`CampaignError` for a bad date, ``end`` before ``start``, an unknown scope prefix or
    name, an unknown ``kind``, a discount outside 0..1, a negative spend, or (with ``orders``) a window
    in which the scope sold nothing.

    Parameters:
        start, end, scope: the window and what it covers. name, kind, discount_depth, marketing_spend: the row's
            other fields. products: to check the scope. orders: to estimate the discount (a shop, lines or a path).

    Returns:
        A one-row campaigns table.

    Example:
        >>> row = adhoc_campaign("2024-03-10", "2024-03-12", "sku:A|B", discount_depth=0.2)
        >>> row[["campaign_id", "scope_type", "scope", "discount_depth"]].to_dict("records")
        [{'campaign_id': 'ADHOC_2024-03-10_2024-03-12', 'scope_type': 'sku', 'scope': 'A|B', 'discount_depth': 0.2}]
    """
    a, b = parse_day(start, "start", CampaignError), parse_day(end, "end", CampaignError)
    if b < a:
        raise CampaignError(f"end {b:%Y-%m-%d} is before start {a:%Y-%m-%d}: the ad-hoc window runs from start to "
                            "end, both days included")
    scope_type, scope_text = parse_scope(scope)
    if kind not in CAMPAIGN_KINDS:
        raise CampaignError(f"kind {kind!r} is not a campaign kind; use one of {', '.join(CAMPAIGN_KINDS)}")
    if discount_depth is not None and not (0.0 <= float(discount_depth) <= 1.0):
        raise CampaignError(f"discount_depth {discount_depth!r} must be a fraction 0..1 (0.2 = 20% off)")
    if marketing_spend is None or pd.isna(marketing_spend) or float(marketing_spend) < 0:
        raise CampaignError(f"marketing_spend {marketing_spend!r} must be a number >= 0")
    names = scope_text.split(SCOPE_SEPARATOR) if scope_text else []
    cid = f"{ADHOC_PREFIX}_{a:%Y-%m-%d}_{b:%Y-%m-%d}"
    camp = Campaign(cid, name or f"ad hoc {a:%Y-%m-%d}..{b:%Y-%m-%d} ({scope_type}{': ' + scope_text if scope_text else ''})",
                    kind, a, b, np.nan, scope_type, tuple(names), float(marketing_spend))
    if products is not None:
        _check_scope(scope_type, names, products)
    if discount_depth is None and orders is not None:
        if scope_type == "category" and products is None:
            raise CampaignError("a category scope needs products to estimate the discount from orders: pass "
                                "products=..., or give discount_depth")
        skus = None if scope_type == "all" else (scope_skus(camp, products) if products is not None else names)
        depth = estimate_discount_depth(orders, skus, a, b)
        if pd.isna(depth):
            first, last = _order_days(orders)
            raise CampaignError(f"ad hoc {a:%Y-%m-%d}..{b:%Y-%m-%d}: the scope ({scope_type}"
                                f"{': ' + scope_text[:80] if scope_text else ''}) sold nothing in that window "
                                f"(orders run {first:%Y-%m-%d}..{last:%Y-%m-%d}): check the dates and the scope")
        discount_depth = depth
    row = {"campaign_id": cid, "name": camp.name, "kind": kind, "start": a, "end": b,
           "discount_depth": float(discount_depth) if discount_depth is not None else np.nan,
           "scope_type": scope_type, "scope": scope_text, "marketing_spend": float(marketing_spend)}
    out = pd.DataFrame([row], columns=CAMPAIGNS.column_names)
    out["start"] = out["start"].astype("datetime64[ns]")
    out["end"] = out["end"].astype("datetime64[ns]")
    return out


def with_adhoc(campaigns: pd.DataFrame | None, adhoc_row: pd.DataFrame) -> pd.DataFrame:
    """``campaigns`` (None when the shop has no campaigns table) with the :func:`adhoc_campaign` row appended.

    A row with the same ``campaign_id`` is replaced. The other campaigns stay: :func:`evaluate_campaign`
    sets their days in the ad-hoc pre-period aside or cuts the post-period (:mod:`opslib.campaigns.overlap`).

    Parameters:
        campaigns: the campaigns table or None. adhoc_row: :func:`adhoc_campaign`'s row.

    Returns:
        The table with the row.

    Example:
        >>> t = with_adhoc(None, adhoc_campaign("2024-03-10", "2024-03-12", discount_depth=0.1))
        >>> len(t), get_campaign(t, "ADHOC_2024-03-10_2024-03-12").days
        (1, 3)
    """
    row = adhoc_row[CAMPAIGNS.column_names] if set(CAMPAIGNS.column_names) <= set(adhoc_row) else adhoc_row
    if campaigns is None or len(campaigns) == 0:
        return row.reset_index(drop=True).copy()
    keep = campaigns[~campaigns["campaign_id"].isin(set(row["campaign_id"]))]
    return pd.concat([keep, row], ignore_index=True)


def choose_campaign(campaigns: pd.DataFrame | None, products: pd.DataFrame, campaign_id: str | None = None,
                    start: object = None, end: object = None, scope: str | None = None,
                    orders: Any = None, **adhoc: object) -> tuple[pd.DataFrame, str | None, list[str]]:
    """What notebook 02 evaluates: ``(campaigns table, campaign_id, messages)`` for :func:`evaluate_campaign`.

    With ``start`` and ``end``: the ad-hoc campaign (:func:`adhoc_campaign`, ``scope`` default ``all``,
    ``adhoc`` passes ``name``, ``kind``, ``discount_depth``, ``marketing_spend``) appended to
    ``campaigns`` (which may be None); it wins over a ``campaign_id`` given too, and a message says so.
    Without them: ``campaigns`` and ``campaign_id`` unchanged (None = the latest campaign).
    Raises :class:`CampaignError` when only one of ``start``/``end`` is given, when ``scope`` is given
    without them, or when there is neither a campaigns table nor a window.

    Parameters:
        campaigns: the campaigns table or None. products: the products table. campaign_id: the id or None.
        start, end, scope: an ad-hoc window. orders: to estimate its discount. adhoc: further row fields.

    Returns:
        ``(campaigns table, campaign_id, messages)``.

    Example:
        >>> p = pd.DataFrame({"sku": ["A"], "category": ["x"], "subcategory": ["x1"]})
        >>> table, cid, msgs = choose_campaign(None, p, None, "2024-08-01", "2024-08-03", discount_depth=0.1)
        >>> cid, len(table), "no campaigns table" in msgs[-1]
        ('ADHOC_2024-08-01_2024-08-03', 1, True)
    """
    if (start is None) != (end is None):
        given, missing = ("start", "end") if end is None else ("end", "start")
        raise CampaignError(f"{given} is given but {missing} is not: an ad-hoc campaign needs both start and end "
                            "(dates like 2024-06-18), or neither to use campaign_id")
    if start is None:
        if scope is not None:
            raise CampaignError(f"scope {scope!r} only applies to an ad-hoc window: give start and end too, or "
                                "set scope to None to evaluate campaign_id with its own scope")
        if campaigns is None:
            raise CampaignError("no campaigns table: give start and end (and scope) to evaluate a promotion "
                                "by its dates, or add campaigns.csv with one row per promotion")
        return campaigns, campaign_id, []
    row = adhoc_campaign(start, end, scope if scope is not None else "all", products=products, orders=orders,
                         **adhoc)
    cid = str(row.loc[0, "campaign_id"])
    msgs = []
    if campaign_id is not None:
        msgs.append(f"start/end win over campaign_id: evaluating the ad-hoc window {cid}, not {campaign_id} "
                    "(set start and end to None to evaluate the campaign).")
    depth = row.loc[0, "discount_depth"]
    msgs.append(f"ad-hoc campaign {cid}: {row.loc[0, 'name']}"
                + (f", discount depth {depth:.1%} estimated from the orders" if "discount_depth" not in adhoc
                   and not pd.isna(depth) else "")
                + ("" if campaigns is not None else " (the shop has no campaigns table)"))
    return with_adhoc(campaigns, row), cid, msgs
