"""What to do about customers (客户运营动作): a win-back list, new customers to nurture, campaigns per segment.

* :func:`win_back_list` — valuable customers who are slipping away: the RFM segments *Cannot lose* and
  *At risk* (and *Needs attention* / *About to sleep* with ``wider=True``), ranked by what they spent, with
  BG/NBD's P(alive) and CLV when a CLV table is given; ``action = 召回 win back``.
* :func:`nurture_list` — customers whose first order was at most ``days`` days before the scoring day (new
  customers), ranked by first-order value, with the day to nudge them: their first order + the shop's median
  time to a second order (``opslib.customers.cohorts.order_gaps``).
* :func:`segment_campaigns` — one suggested campaign per segment (goal, offer, channel), next to its size and
  value share: a starting point for the CRM plan, not a rule.
* :func:`export_actions` — CSV (UTF-8 with BOM, so Excel shows Chinese) and xlsx through the safe table writer
  (``opslib.reporting.exports``), like every action table.

Example (the segment playbook covers all 11 segments):
    >>> len(CAMPAIGN_PLAYBOOK), CAMPAIGN_PLAYBOOK["cannot_lose"]["goal"]
    (11, 'win back 召回')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opslib.customers.rfm import RFMResult, segment_summary
from opslib.errors import CLVError

__all__ = ["CAMPAIGN_PLAYBOOK", "WIN_BACK_SEGMENTS", "export_actions", "nurture_list", "segment_campaigns",
           "win_back_list"]

#: Segments the win-back list takes: high past value, no recent purchase.
WIN_BACK_SEGMENTS: tuple[str, ...] = ("cannot_lose", "at_risk")
_WIDER = ("needs_attention", "about_to_sleep")

#: One suggested campaign per segment (goal, action, offer, channel, priority 1 = first).
CAMPAIGN_PLAYBOOK: dict[str, dict[str, Any]] = {
    "champions": {"goal": "reward 回馈", "action": "会员专享、新品优先购、邀请评价与推荐 VIP perks, early access, ask for reviews "
                  "and referrals", "offer": "no discount needed 无需折扣", "channel": "私域/会员 CRM, app push", "priority": 2},
    "loyal": {"goal": "upsell 提升客单", "action": "搭配购、满减门槛、会员升级 bundles, spend thresholds, membership tier",
              "offer": "light 轻度 (满减)", "channel": "app push, 小程序", "priority": 3},
    "potential_loyalist": {"goal": "make loyal 培养忠诚", "action": "会员入会、积分、复购券 join the membership, points, "
                           "repeat-purchase coupon", "offer": "moderate 中度", "channel": "小程序, SMS", "priority": 3},
    "new": {"goal": "second order 促二单", "action": "欢迎礼、使用指南、二单券 welcome pack, how-to, second-order coupon",
            "offer": "moderate 中度", "channel": "SMS, 私域", "priority": 2},
    "promising": {"goal": "second order 促二单", "action": "相关推荐、二单券 recommendations from the first basket, "
                  "second-order coupon", "offer": "moderate 中度", "channel": "app push, SMS", "priority": 2},
    "needs_attention": {"goal": "re-engage 激活", "action": "限时优惠、个性化推荐 limited-time offer, personalised picks",
                        "offer": "moderate 中度", "channel": "SMS, app push", "priority": 2},
    "about_to_sleep": {"goal": "re-engage 激活", "action": "热销榜、限时券 best sellers, time-limited coupon",
                       "offer": "moderate 中度", "channel": "SMS", "priority": 3},
    "at_risk": {"goal": "win back 召回", "action": "个性化召回、专属大额券 personal win-back message, strong coupon",
                "offer": "strong 强", "channel": "SMS, 客服外呼 service call", "priority": 1},
    "cannot_lose": {"goal": "win back 召回", "action": "专人回访、问原因、专属礼遇 personal call, ask why they left, "
                    "exclusive offer", "offer": "strong 强", "channel": "客服外呼 service call, 私域", "priority": 1},
    "hibernating": {"goal": "reactivate cheaply 低成本唤醒", "action": "大促节点唤醒 (618/双11) wake up at the next festival",
                    "offer": "festival only 仅大促", "channel": "SMS (大促)", "priority": 4},
    "lost": {"goal": "let go 放弃或低成本", "action": "仅在大促时触达一次 one message at the next festival, then stop",
             "offer": "none 无", "channel": "SMS (大促)", "priority": 5},
}


def _customer_columns(rfm: RFMResult) -> pd.DataFrame:
    c = rfm.customers
    return c[["customer_id", "segment", "segment_name", "segment_cn", "rfm", "first_order", "last_order",
              "recency_days", "frequency", "monetary"]].copy()


def win_back_list(rfm: RFMResult, clv: pd.DataFrame | None = None, top: int | None = 100, wider: bool = False,
                  customer: str = "customer_id") -> pd.DataFrame:
    """High-value customers at risk of churning (高价值流失风险客户), most valuable first.

    Rule: RFM segment in :data:`WIN_BACK_SEGMENTS` (*Cannot lose*, *At risk*; ``wider`` adds *Needs attention*
    and *About to sleep*), ranked by ``monetary`` (what they spent: the value at stake). With a CLV table the
    list also shows ``p_alive`` (BG/NBD: how likely they are still a customer at all — a low P(alive) with a
    high past value is the classic win-back target) and ``clv`` (what they are expected to be worth over the
    horizon if nothing is done).

    Parameters:
        rfm: :func:`opslib.customers.rfm_segments` result.
        clv: optional ``customer_lifetime_value`` output with the customer column, ``p_alive`` and ``clv``.
        top: keep the first N rows (None: all). wider: include the two "slipping" segments.
        customer: the CLV table's customer column.

    Returns:
        Columns ``action``, ``action_cn``, ``customer_id``, ``segment_name``, ``segment_cn``, ``rfm``,
        ``last_order``, ``recency_days``, ``frequency``, ``monetary`` [, ``p_alive``, ``clv``], ``rule``.

    Example:
        >>> c = pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["at_risk", "champions", "cannot_lose"],
        ...     "segment_name": ["At risk", "Champions", "Cannot lose"], "segment_cn": ["流失风险客户", "重要价值客户", "重要挽留客户"],
        ...     "rfm": ["244", "555", "155"], "first_order": pd.Timestamp("2024-01-01"),
        ...     "last_order": pd.Timestamp("2024-03-01"), "recency_days": [120, 2, 200], "frequency": [4, 9, 6],
        ...     "monetary": [800.0, 2000.0, 1500.0]})
        >>> win_back_list(RFMResult(c, pd.Timestamp("2024-06-30")))["customer_id"].tolist()
        ['c', 'a']
    """
    keys = WIN_BACK_SEGMENTS + (_WIDER if wider else ())
    c = _customer_columns(rfm)
    c = c[c["segment"].isin(keys)]
    if clv is not None:
        if customer not in clv.columns or not {"p_alive", "clv"} <= set(clv.columns):
            raise CLVError(f"win_back_list: the CLV table needs columns {customer!r}, 'p_alive' and 'clv' "
                           "(customer_lifetime_value output)")
        extra = clv[[customer, "p_alive", "clv"]].rename(columns={customer: "customer_id"})
        c = c.merge(extra, on="customer_id", how="left")
    c = c.sort_values(["monetary", "customer_id"], ascending=[False, True], ignore_index=True)
    if top is not None:
        c = c.head(int(top))
    c.insert(0, "action", "win back")
    c.insert(1, "action_cn", "召回")
    c["rule"] = [f"{n}: RFM {code}, {d:,} days since the last order, spent {m:,.0f}"
                 for n, code, d, m in zip(c["segment_name"], c["rfm"], c["recency_days"], c["monetary"], strict=True)]
    return c.drop(columns=["segment", "first_order"]).reset_index(drop=True)


def nurture_list(rfm: RFMResult, days: int = 30, median_gap_days: float | None = None,
                 top: int | None = 100) -> pd.DataFrame:
    """New customers to nurture towards a second order (新客培育), highest first-order value first.

    Rule: first order at most ``days`` days before ``rfm.as_of`` (``tenure_days = as_of − first order <= days``)
    and one order so far; ``nudge_on = first order + median_gap_days`` (the shop's median days from the 1st
    to the 2nd order, from ``order_gaps(...).summary()``), so the reminder comes when a typical repeat buyer
    buys again; without it ``nudge_on`` is empty.

    Parameters:
        rfm: :func:`opslib.customers.rfm_segments` result. days: how recent a first order counts as new.
        median_gap_days: the shop's median 1st→2nd order gap. top: keep the first N (None: all).

    Returns:
        Columns ``action``, ``action_cn``, ``customer_id``, ``segment_name``, ``segment_cn``, ``first_order``,
        ``monetary``, ``nudge_on``, ``rule``.

    Example (a bought 5 days ago, b 60 days ago: only a is new):
        >>> c = pd.DataFrame({"customer_id": ["a", "b"], "segment": ["new", "new"], "segment_name": "New",
        ...     "segment_cn": "新客户", "rfm": ["511", "311"], "first_order": pd.to_datetime(["2024-06-25", "2024-05-01"]),
        ...     "last_order": pd.to_datetime(["2024-06-25", "2024-05-01"]), "recency_days": [5, 60],
        ...     "frequency": [1, 1], "monetary": [80.0, 50.0]})
        >>> n = nurture_list(RFMResult(c, pd.Timestamp("2024-06-30")), median_gap_days=35)
        >>> n[["customer_id", "nudge_on"]].astype(str).values.tolist()
        [['a', '2024-07-30']]
    """
    if not (isinstance(days, int | np.integer) and days >= 0):
        raise CLVError(f"nurture_list: days={days!r}, expected a whole number of days >= 0")
    c = _customer_columns(rfm)
    tenure = (pd.Timestamp(rfm.as_of) - c["first_order"]).dt.days
    c = c[(tenure <= days) & (c["frequency"] == 1)]
    c = c.sort_values(["monetary", "customer_id"], ascending=[False, True], ignore_index=True)
    if top is not None:
        c = c.head(int(top))
    gap = float(median_gap_days) if median_gap_days is not None and np.isfinite(median_gap_days) else None
    c["nudge_on"] = (c["first_order"] + pd.to_timedelta(round(gap), unit="D")) if gap is not None else pd.NaT
    c.insert(0, "action", "nurture")
    c.insert(1, "action_cn", "新客培育")
    why = f"; nudge at the median {gap:.0f} days to a second order" if gap is not None else ""
    c["rule"] = [f"first order {f:%Y-%m-%d} ({days_since} days ago), spent {m:,.0f}{why}"
                 for f, days_since, m in zip(c["first_order"], (pd.Timestamp(rfm.as_of) - c["first_order"]).dt.days,
                                             c["monetary"], strict=True)]
    return c[["action", "action_cn", "customer_id", "segment_name", "segment_cn", "first_order", "monetary",
              "nudge_on", "rule"]].reset_index(drop=True)


def segment_campaigns(rfm: RFMResult | pd.DataFrame) -> pd.DataFrame:
    """One suggested campaign per RFM segment, with the segment's size and value share (运营策略).

    From :data:`CAMPAIGN_PLAYBOOK` (goal, action, offer depth, channel, priority: 1 = do first) joined to
    :func:`opslib.customers.segment_summary`; sorted by priority, then by value share.

    Parameters:
        rfm: an :class:`RFMResult` or a :func:`segment_summary` frame.

    Returns:
        Columns ``priority``, ``segment_name``, ``segment_cn``, ``customers``, ``customer_share``,
        ``value_share``, ``goal``, ``action``, ``offer``, ``channel``.

    Example:
        >>> from opslib.customers.rfm import SEGMENTS
        >>> s = pd.DataFrame({"segment": [x.key for x in SEGMENTS], "segment_name": [x.name for x in SEGMENTS],
        ...     "segment_cn": [x.name_cn for x in SEGMENTS], "customers": 1.0, "customer_share": 1 / 11,
        ...     "value_share": 1 / 11})
        >>> segment_campaigns(s)["segment_name"].head(2).tolist()
        ['At risk', 'Cannot lose']
    """
    s = segment_summary(rfm) if isinstance(rfm, RFMResult) else rfm
    play = pd.DataFrame([{"segment": k, **v} for k, v in CAMPAIGN_PLAYBOOK.items()])
    out = s[["segment", "segment_name", "segment_cn", "customers", "customer_share", "value_share"]].merge(
        play, on="segment", how="left")
    out = out.sort_values(["priority", "value_share", "segment"], ascending=[True, False, True], ignore_index=True)
    return out[["priority", "segment_name", "segment_cn", "customers", "customer_share", "value_share", "goal",
                "action", "offer", "channel"]]


def export_actions(table: pd.DataFrame, folder: str | Path, name: str,
                   formats: tuple[str, ...] = ("csv", "xlsx")) -> list[Path]:
    """Write a customer action list for Excel users, safely, as every action table is written.

    Through :func:`opslib.reporting.exports.write_table`: ``<folder>/<name>.csv`` as UTF-8 with BOM (so Excel
    shows Chinese) with formula-like text cells prefixed by ``'`` (a customer id or name typed by someone else
    cannot run as a formula), ``<name>.xlsx`` with every text cell stored as a string; ``name`` is made a safe
    file name that stays inside ``folder`` (created when missing).

    Parameters:
        table: a win-back or nurture list (:func:`win_back_list`, :func:`nurture_list`) or any table.
        folder: the export folder. name: the file name without suffix, e.g. ``"customers_win_back_2025-12-31"``.
        formats: any of ``"csv"``, ``"xlsx"``.

    Returns:
        The paths written, in the order of ``formats``.

    Example:
        >>> import tempfile
        >>> paths = export_actions(pd.DataFrame({"customer_id": ["=1+1"], "action_cn": ["召回"]}), tempfile.mkdtemp(), "w")
        >>> [p.suffix for p in paths], paths[0].read_bytes()[:3] == b"\\xef\\xbb\\xbf"
        (['.csv', '.xlsx'], True)
        >>> paths[0].read_text(encoding="utf-8-sig").splitlines()[1]
        "'=1+1,召回"
    """
    from opslib.reporting.exports import write_table

    return write_table(table, folder, name, formats=formats, sheet="actions")
