"""Other campaigns and calendar days around a campaign: what is set aside, modelled or cut, and why.

A counterfactual learns "normal" from the pre-period and compares the window with it, so anything else that
moved the scoped SKUs (or the control) in those days must be dealt with. Real shops run promotions all the
time — a grocery chain's 27 coupon campaigns overlap each other, a drugstore promotes every other week — so
refusing every overlap evaluates nothing. :func:`plan_overlaps` decides, per other campaign:

* **how much it touches us**: ``scope_share`` = share of the evaluated campaign's pre-period units sold by SKUs
  that the other campaign covers (1 when it covers every SKU, 0 when the scopes are disjoint);
  ``control_share`` = the same for the control SKUs. Below :data:`MIN_OVERLAP_SHARE` of both it is ignored.
* **where**: its days ``start .. end + post_days`` (its window and its own pull-forward days) against our
  pre-period, window and post-period.
* **what is done** (``overlap`` mode):

  - ``'mask'`` (default): its days in the pre-period are set aside (missing for the Kalman filter); when it
    runs in our window on our SKUs, the estimate is the *joint* effect on those days and a note says so; when
    it starts in our post-period, the post-period (pull-forward) is cut the day before; its SKUs are removed
    from the control when it runs in our window or post-period.
  - ``'regress'``: for frequent promotions. Other campaigns stay in the fit as two pooled regressors,
    ``campaign_t = sum_c scope_share_c 1[t in window_c]`` and ``after_t = sum_c scope_share_c 1[t in the
    post_days after window_c]``; their coefficients (the average lift and dip of the shop's other campaigns)
    are learned in the pre-period and carried into our window and post-period, where they take out the part
    of the observed change that the other campaigns explain. Overlaps on the control only are masked as above.
  - ``'raise'``: refuse (:class:`~opslib.errors.CampaignError`) any relevant overlap.

* **calendar days** (``opslib.calendar``, the shop's country and own events): public holidays, the shopping
  festivals of the country (618/双11/双12 only in China, Black Friday elsewhere) and the shop's own events in
  the pre-period are set aside too; in the window they are named in a note.

When setting days aside leaves fewer than ``MIN_PRE_DAYS`` usable days, the calendar days are kept first, then
the other campaigns' after-days; only then is the campaign refused, with the remedy in the message.

Example: a campaign on SKU A; another one on A and B ran in its pre-period (half of A's units? all of them:
it covers A), a third on C only (disjoint, ignored when C is not in the control).
    >>> p = pd.DataFrame({"sku": ["A", "B", "C"], "category": ["x", "x", "y"], "subcategory": ["x1", "x1", "y1"]})
    >>> camps = pd.DataFrame({"campaign_id": ["T", "O", "D"], "name": ["t", "o", "d"], "kind": "flash_sale",
    ...     "start": pd.to_datetime(["2024-04-20", "2024-03-20", "2024-04-01"]),
    ...     "end": pd.to_datetime(["2024-04-22", "2024-03-21", "2024-04-02"]), "discount_depth": 0.2,
    ...     "scope_type": "sku", "scope": ["A", "A|B", "C"], "marketing_spend": 0.0})
    >>> from opslib.campaigns.table import get_campaign, campaign_periods
    >>> t = get_campaign(camps, "T")
    >>> plan = plan_overlaps(camps, t, p, pd.Series({"A": 100.0, "B": 50.0, "C": 80.0}), campaign_periods(t, 56, 14),
    ...                      post_days=3)
    >>> plan.table[["campaign_id", "where", "scope_share", "action"]].values.tolist()
    [['O', 'pre', 1.0, 'its days in the pre-period set aside']]
    >>> int(plan.mask.sum())   # 2024-03-20 .. 03-21 and its 3 after-days
    5
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from opslib.calendar import festival_frame, public_holidays
from opslib.campaigns.counterfactual import MIN_PRE_DAYS
from opslib.campaigns.table import Campaign, _id_text, _row_to_campaign, scope_skus
from opslib.errors import CampaignError

#: How the evaluation deals with other campaigns: see the module docstring.
OVERLAP_MODES: tuple[str, ...] = ("mask", "regress", "raise")
#: An other campaign touching less than this share of the scoped (and of the control) units is ignored.
MIN_OVERLAP_SHARE = 0.01

_COLUMNS = ["source", "campaign_id", "name", "kind", "start", "end", "where", "scope_share", "control_share", "action"]


@dataclass
class OverlapPlan:
    """What :func:`plan_overlaps` decided.

    ``table``: one row per other campaign or calendar day-block that matters (``source``: ``campaign`` or
    ``calendar``; ``campaign_id`` — for calendar rows the holiday/festival/event name —, ``name``, ``kind``, ``start``, ``end``, ``where`` (``pre``,
    ``window``, ``post``, comma-separated), ``scope_share``, ``control_share``, ``action``); ``mask``: True on
    the days of the analysis span that are set aside in the fit; ``regressors``: the pooled campaign regressors
    (``regress`` mode) or None; ``control_exclude``: SKUs removed from the control; ``post_end``: the last day of
    the (possibly cut) post-period, None when none is left; ``notes``: what was done, in words.
    """

    table: pd.DataFrame
    mask: pd.Series
    regressors: pd.DataFrame | None = None
    control_exclude: set[str] = field(default_factory=set)
    post_end: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """The overlap table (see the class docstring)."""
        return self.table


def calendar_events(start: pd.Timestamp, end: pd.Timestamp, country: str = "CN",
                    events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Public holidays, shopping festivals and the shop's own events between two days, as day-blocks.

    Holidays come from the ``holidays`` package for ``country`` (consecutive days of one holiday form one block),
    festivals from :func:`opslib.calendar.festival_frame` (pre-sale start to window end), events as given.

    Parameters:
        start, end: the span (inclusive). country: ISO 3166 code (``shop.settings.country``).
        events: the shop's own events (``shop.settings.events_frame()``: ``name``, ``start``, ``end``).

    Returns:
        Columns ``name``, ``kind`` (``holiday`` | ``festival`` | ``event``), ``start``, ``end``, sorted by start.

    Example:
        >>> calendar_events(pd.Timestamp("2024-12-20"), pd.Timestamp("2024-12-31"), "GB")[["name", "start"]].values.tolist()
        [['Christmas Day', Timestamp('2024-12-25 00:00:00')], ['Boxing Day', Timestamp('2024-12-26 00:00:00')]]
        >>> calendar_events(pd.Timestamp("2024-06-01"), pd.Timestamp("2024-06-05"), "CN")["name"].tolist()
        ['618']
    """
    rows = []
    hol = public_holidays(start, end, country)
    for name, grp in hol.groupby("name", sort=False):
        days = grp["date"].sort_values()
        block = (days.diff().dt.days != 1).cumsum()
        for _, b in days.groupby(block.to_numpy()):
            rows.append((str(name), "holiday", b.iloc[0], b.iloc[-1]))
    for f in festival_frame(start, end, country).itertuples(index=False):
        rows.append((str(f.festival), "festival", f.presale_start, f.window_end))
    if events is not None and len(events):
        for e in events.itertuples(index=False):
            a, b = pd.Timestamp(e.start).normalize(), pd.Timestamp(e.end).normalize()
            if a <= end and b >= start:
                rows.append((str(e.name), "event", a, b))
    out = pd.DataFrame(rows, columns=["name", "kind", "start", "end"])
    out["start"] = pd.to_datetime(out["start"])
    out["end"] = pd.to_datetime(out["end"])
    return out.sort_values(["start", "name"], ignore_index=True)


def _share(units: pd.Series, skus: set[str] | None) -> float:
    """Share of ``units`` (by SKU) sold by ``skus`` (None = every SKU)."""
    if skus is None:
        return 1.0
    total = float(units.sum())
    inside = units[units.index.isin(skus)]
    if total > 0:
        return float(inside.sum()) / total
    return len(inside) / len(units) if len(units) else 0.0


def _days(index: pd.DatetimeIndex, a: pd.Timestamp, b: pd.Timestamp) -> np.ndarray:
    return np.asarray((index >= a) & (index <= b))


def plan_overlaps(campaigns: pd.DataFrame | None, campaign: Campaign, products: pd.DataFrame,
                  units_by_sku: pd.Series, periods: dict[str, tuple[pd.Timestamp, pd.Timestamp]], post_days: int,
                  mode: str = "mask", control_skus: set[str] | None = None,
                  calendar: pd.DataFrame | None = None) -> OverlapPlan:
    """Decide, for every other campaign and calendar day-block, what the evaluation sets aside, models or cuts.

    Formula: ``scope_share_c = sum(units of scoped SKUs that c covers) / sum(units of scoped SKUs)`` over
    ``units_by_sku`` (the pre-period); ``control_share_c`` likewise on ``control_skus``. Other campaign ``c``
    touches the days ``start_c .. end_c + post_days``; what is done per mode is in the module docstring.

    Parameters:
        campaigns: the campaigns table (None: no other campaigns). campaign: the evaluated one.
        products: the products table. units_by_sku: pre-period units per SKU (index ``sku``).
        periods: ``pre``, ``window``, ``post`` (inclusive days; an empty post-period has end < start).
        post_days: the other campaigns' after-days. mode: ``'mask'``, ``'regress'`` or ``'raise'``.
        control_skus: the candidate control SKUs (None: no control group).
        calendar: :func:`calendar_events` over the span (None: no calendar days).

    Returns:
        :class:`OverlapPlan`. Raises :class:`CampaignError` for an unknown mode, in ``'raise'`` mode for a
        relevant overlap, and when too few usable pre-period days remain.

    Example: see the module docstring; an unknown mode is refused.
        >>> from opslib.campaigns.table import Campaign
        >>> c = Campaign("T", "t", "coupon", pd.Timestamp("2024-04-20"), pd.Timestamp("2024-04-22"), 0.1, "all", (), 0.0)
        >>> plan_overlaps(None, c, pd.DataFrame({"sku": []}), pd.Series(dtype=float), {}, 14, "ignore")
        Traceback (most recent call last):
        ...
        opslib.errors.CampaignError: overlap 'ignore' is not understood: use one of mask, regress, raise ('mask' sets other campaigns' days aside, 'regress' models them, 'raise' refuses)
    """
    if mode not in OVERLAP_MODES:
        raise CampaignError(f"overlap {mode!r} is not understood: use one of {', '.join(OVERLAP_MODES)} "
                            "('mask' sets other campaigns' days aside, 'regress' models them, 'raise' refuses)")
    (pre_a, pre_b), (win_a, win_b), (post_a, post_b) = periods["pre"], periods["window"], periods["post"]
    has_post = post_b >= post_a
    end = post_b if has_post else win_b
    index = pd.date_range(pre_a, end, freq="D")
    tail = pd.Timedelta(days=post_days)
    scope = set(scope_skus(campaign, products))
    scope_units = units_by_sku[units_by_sku.index.isin(scope)]
    scope_units = scope_units.reindex(sorted(scope), fill_value=0.0) if not len(scope_units) else scope_units
    control_units = units_by_sku[units_by_sku.index.isin(control_skus)] if control_skus else None
    rows: list[dict] = []
    mask_windows = np.zeros(len(index), dtype=bool)   # other campaigns' windows in the pre-period
    mask_after = np.zeros(len(index), dtype=bool)     # their after-days in the pre-period
    campaign_reg = np.zeros(len(index))
    after_reg = np.zeros(len(index))
    exclude: set[str] = set()
    cut: pd.Timestamp | None = None
    notes: list[str] = []
    joint: list[str] = []
    clash: list[str] = []
    in_pre: list[str] = []
    others = [] if campaigns is None else [
        _row_to_campaign(r) for _, r in campaigns.iterrows() if _id_text(r["campaign_id"]) != campaign.campaign_id]
    is_pre = _days(index, pre_a, pre_b)
    for c in others:
        a, b = c.start, c.end + tail
        if b < pre_a or a > end:
            continue
        skus = None if c.scope_type == "all" else set(scope_skus(c, products))
        s_share = _share(scope_units, skus) if len(scope_units) else 0.0
        c_share = _share(control_units, skus) if control_units is not None and len(control_units) else 0.0
        if max(s_share, c_share) < MIN_OVERLAP_SHARE:
            continue
        where = [w for w, (p, q) in (("pre", (pre_a, pre_b)), ("window", (win_a, win_b)), ("post", (post_a, post_b)))
                 if (w != "post" or has_post) and a <= q and b >= p]
        actions = []
        on_scope = s_share >= MIN_OVERLAP_SHARE
        regress = mode == "regress" and on_scope
        if "pre" in where:
            in_pre.append(c.campaign_id)
            if regress:
                actions.append("modelled as a regressor")
            else:
                mask_windows |= is_pre & _days(index, c.start, c.end)
                mask_after |= is_pre & _days(index, c.end + pd.Timedelta(days=1), b)
                actions.append("its days in the pre-period set aside")
        if regress:
            campaign_reg += s_share * _days(index, c.start, c.end)
            after_reg += s_share * _days(index, c.end + pd.Timedelta(days=1), b)
        if "window" in where or "post" in where:
            clash.append(c.campaign_id)
            if control_skus and c_share >= MIN_OVERLAP_SHARE:
                exclude |= set(control_skus) if skus is None else (skus & control_skus)
                actions.append("its SKUs removed from the control")
            if on_scope and not regress and c.start <= win_b and c.end >= win_a:
                joint.append(f"{c.campaign_id} ({max(c.start, win_a):%Y-%m-%d}..{min(c.end, win_b):%Y-%m-%d}, "
                             f"{s_share:.0%} of the scoped units)")
                actions.append("runs in the window: joint effect on those days")
            if has_post and (not regress or not on_scope) and c.start <= post_b and c.end >= post_a:
                day = max(c.start, post_a) - pd.Timedelta(days=1)
                cut = day if cut is None else min(cut, day)
                actions.append(f"post-period cut at {day:%Y-%m-%d}" if day >= post_a else "post-period dropped")
        rows.append({"source": "campaign", "campaign_id": c.campaign_id, "name": c.name, "kind": c.kind, "start": c.start, "end": c.end,
                     "where": ", ".join(where), "scope_share": s_share, "control_share": c_share,
                     "action": "; ".join(actions)})
    if mode == "raise" and (in_pre or clash):
        if clash:
            raise CampaignError(f"campaign {campaign.campaign_id} ({campaign.name}) overlaps {', '.join(clash)} in its "
                                f"window or the {post_days} days after it: the effects cannot be separated. Use "
                                "overlap='mask' (joint effect, post-period cut) or 'regress', evaluate them as one "
                                "campaign, or shorten post_days.")
        raise CampaignError(f"campaign {campaign.campaign_id} ({campaign.name}) has {', '.join(in_pre)} in its "
                            f"{int((pre_b - pre_a).days) + 1}-day pre-period. Use overlap='mask' to set those days "
                            "aside, overlap='regress' to model them, or a shorter pre_days.")
    mask_cal = np.zeros(len(index), dtype=bool)
    if calendar is not None and len(calendar):
        for e in calendar.itertuples(index=False):
            if e.end < pre_a or e.start > end:
                continue
            days_pre = is_pre & _days(index, e.start, e.end)
            in_win = e.start <= win_b and e.end >= win_a
            in_post = has_post and e.start <= post_b and e.end >= post_a
            if not days_pre.any() and not in_win and not in_post:
                continue
            if e.kind == "festival" and campaign.kind == "festival" and in_win:
                continue  # the campaign is that festival
            mask_cal |= days_pre
            where = [w for w, on in (("pre", days_pre.any()), ("window", in_win), ("post", in_post)) if on]
            action = "its days in the pre-period set aside" if days_pre.any() else ""
            if in_win:
                action += ("; " if action else "") + "in the window: its effect is part of the estimate"
            rows.append({"source": "calendar", "campaign_id": e.name, "name": e.name, "kind": e.kind, "start": e.start, "end": e.end,
                         "where": ", ".join(where), "scope_share": np.nan, "control_share": np.nan, "action": action})
    usable = lambda m: int((is_pre & ~m).sum())  # noqa: E731
    mask = mask_windows | mask_after | mask_cal
    cal_used = bool(mask_cal.any())
    if usable(mask) < MIN_PRE_DAYS and mask_cal.any():
        cal_used = False
        notes.append(f"holidays and festivals kept in the fit: setting them aside too would leave only "
                     f"{usable(mask)} usable pre-period days")
        mask = mask_windows | mask_after
    after_used = True
    if usable(mask) < MIN_PRE_DAYS and mask_after.any():
        notes.append(f"only the other campaigns' windows set aside, not their {post_days} after-days: that would "
                     f"leave only {usable(mask)} usable pre-period days")
        mask = mask_windows
        after_used = False
    aside = "its days in the pre-period set aside"
    for r in rows:
        if r["source"] == "calendar" and not cal_used:
            r["action"] = r["action"].replace(aside, "kept in the fit (too few pre-period days otherwise)")
        elif r["source"] == "campaign" and not after_used:
            r["action"] = r["action"].replace(aside, "its window in the pre-period set aside (after-days kept)")
    if usable(mask) < MIN_PRE_DAYS:
        raise CampaignError(f"campaign {campaign.campaign_id} ({campaign.name}): only {usable(mask)} usable days are "
                            f"left of the pre-period {pre_a:%Y-%m-%d}..{pre_b:%Y-%m-%d} after setting aside other "
                            f"campaigns ({', '.join(in_pre)}); the counterfactual needs {MIN_PRE_DAYS}. Use "
                            "overlap='regress' (other campaigns as regressors), a longer pre_days, or evaluate a "
                            "campaign with a quieter run-up.")
    if in_pre and mode == "mask":
        notes.append("other campaigns in the pre-period were set aside (treated as missing): " + ", ".join(in_pre))
    if cal_used:
        names = sorted({str(r["campaign_id"]) for r in rows if r["source"] == "calendar" and "pre" in r["where"]})
        notes.append("holidays, festivals and events in the pre-period set aside: " + ", ".join(names))
    if joint:
        notes.append("other campaigns ran in the window on the scoped SKUs: the estimate is their joint effect on "
                     "those days — " + "; ".join(joint))
    if exclude:
        notes.append(f"{len(exclude):,} SKUs of campaigns running in the window or after it removed from the control")
    post_end = post_b if has_post else None
    if cut is not None and has_post:
        post_end = cut if cut >= post_a else None
        notes.append(("post-period dropped" if post_end is None else f"post-period cut at {cut:%Y-%m-%d}")
                     + ": another campaign starts right after (pull-forward measured on fewer days)")
    regressors = None
    if mode == "regress" and (campaign_reg.any() or after_reg.any()):
        regressors = pd.DataFrame({"other_campaigns": campaign_reg, "after_other_campaigns": after_reg}, index=index)
        learn = regressors[is_pre].std() > 0
        used = [c for c in regressors.columns if learn[c]]
        later = [c for c in regressors.columns if not learn[c] and regressors.loc[~is_pre, c].abs().sum() > 0]
        if used:
            notes.append("other campaigns modelled as regressors (" + ", ".join(used) + "): their average effect, "
                         "learned in the pre-period, is taken out of the window and post-period")
        if later:
            notes.append("other campaigns in the window or after it could not be modelled (none in the pre-period to "
                         "learn from): their effect is part of the estimate")
    table = pd.DataFrame(rows, columns=_COLUMNS)
    return OverlapPlan(table=table, mask=pd.Series(mask, index=index), regressors=regressors,
                       control_exclude=exclude, post_end=post_end, notes=notes)
