"""What to do about customers (客户运营动作): a win-back list, new customers to nurture, campaigns per segment.

* :func:`win_back_list` — valuable customers who are slipping away: the RFM segments *Cannot lose* and
  *At risk* (and *Needs attention* / *About to sleep* with ``wider=True``), ranked by what they spent, with
  BG/NBD's P(alive) and CLV when a CLV table is given; ``action = 召回 win back``.
* :func:`nurture_list` — customers whose first order was at most ``days`` days before the scoring day (new
  customers), ranked by first-order value, with the day to nudge them: their first order + the shop's median
  time to a second order (``opslib.customers.cohorts.order_gaps``).
* :func:`segment_campaigns` — one suggested campaign per segment (goal, offer, channel), next to its size and
  value share: a starting point for the CRM plan, not a rule.
* :func:`export_actions` — CSV (UTF-8 with BOM, so Excel shows Chinese; every row, written by DuckDB) and xlsx
  through the safe table writer (``opslib.reporting.exports``), capped at :data:`EXCEL_MAX_ROWS` rows with a note.

Example (the segment playbook covers all 11 segments):
    >>> len(CAMPAIGN_PLAYBOOK), CAMPAIGN_PLAYBOOK["cannot_lose"]["goal"]
    (11, 'win back 召回')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opslib.customers.rfm import RFMResult, _fix_customers, segment_summary
from opslib.customers.table import CustomerTable
from opslib.errors import CLVError

__all__ = ["CAMPAIGN_PLAYBOOK", "EXCEL_MAX_ROWS", "WIN_BACK_SEGMENTS", "ActionExport", "export_actions", "nurture_list",
           "segment_campaigns", "win_back_list", "write_csv_engine"]

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


_COLUMNS = ["customer_id", "segment", "segment_name", "segment_cn", "rfm", "first_order", "last_order",
            "recency_days", "frequency", "monetary"]


def _customer_columns(rfm: RFMResult, keep: Any = None) -> pd.DataFrame:
    """The list's columns of the customers in ``keep`` (a boolean mask; None: all), copied after the filter:
    at millions of customers a list is a fraction of them."""
    c = rfm.customers
    return (c[_COLUMNS] if keep is None else c.loc[np.asarray(keep), _COLUMNS]).copy()


def _clv_rows(ids: pd.Series, listed: pd.Series) -> np.ndarray | None:
    """The row of ``ids`` holding each of ``listed`` (-1: absent), or None when a listed id is in ``ids``
    twice or ``listed`` repeats an id (then the caller joins row by row).

    The hash table is built on the listed customers and the CLV ids are probed against it, not the other
    way round: at 3.8M CLV rows and 660,000 listed a pandas Index of all the ids took 0.45 GB more for
    the lookup (0.51 GB in Arrow); duplicates among the CLV ids of customers not listed do not matter.

    Example:
        >>> _clv_rows(pd.Series(["a", "b", "c", "b"]), pd.Series(["c", "x", "a"])).tolist()
        [2, -1, 0]
        >>> _clv_rows(pd.Series(["a", "a"]), pd.Series(["a"])) is None
        True
    """
    wanted = pd.Index(listed)
    if not wanted.is_unique:
        return None
    hit = wanted.get_indexer(ids)  # for each CLV row, its place in the list (-1: not listed)
    rows = np.flatnonzero(hit >= 0)
    places = hit[rows]
    if len(np.unique(places)) != len(places):
        return None
    at = np.full(len(wanted), -1, dtype=np.int64)
    at[places] = rows
    return at


def win_back_list(rfm: RFMResult, clv: pd.DataFrame | CustomerTable | None = None, top: int | None = 100,
                  wider: bool = False, customer: str = "customer_id") -> pd.DataFrame | CustomerTable:
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
        ``last_order``, ``recency_days``, ``frequency``, ``monetary`` [, ``p_alive``, ``clv``], ``rule``. When
        ``rfm.customers`` is a :class:`~opslib.customers.table.CustomerTable` (a shop with millions of
        customers), the list is computed in SQL over its file: a frame of ``top`` rows, or with ``top=None`` a
        CustomerTable of the whole list (same columns and order).

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
    if clv is not None and (customer not in clv.columns or not {"p_alive", "clv"} <= set(clv.columns)):
        raise CLVError(f"win_back_list: the CLV table needs columns {customer!r}, 'p_alive' and 'clv' "
                       "(customer_lifetime_value output)")
    if isinstance(rfm.customers, CustomerTable):
        return _win_back_sql(rfm.customers, keys, clv, top, customer)
    c = _customer_columns(rfm, rfm.customers["segment"].isin(keys))
    if clv is not None:
        at = _clv_rows(clv[customer], c["customer_id"])
        if at is not None:  # each listed customer's row of the CLV table (none: NaN), without copying the table
            found = at >= 0
            for col in ("p_alive", "clv"):
                values = clv[col].to_numpy(dtype=float)
                c[col] = np.where(found, values[np.where(found, at, 0)] if len(values) else np.nan, np.nan)
        else:
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
                 top: int | None = 100) -> pd.DataFrame | CustomerTable:
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
        ``monetary``, ``nudge_on``, ``rule`` (in SQL over the file when ``rfm.customers`` is a CustomerTable,
        as :func:`win_back_list`).

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
    all_c = rfm.customers
    gap = float(median_gap_days) if median_gap_days is not None and np.isfinite(median_gap_days) else None
    if isinstance(all_c, CustomerTable):
        return _nurture_sql(all_c, pd.Timestamp(rfm.as_of), days, gap, top)
    tenure = (pd.Timestamp(rfm.as_of) - all_c["first_order"]).dt.days
    c = _customer_columns(rfm, (tenure <= days) & (all_c["frequency"] == 1))
    c = c.sort_values(["monetary", "customer_id"], ascending=[False, True], ignore_index=True)
    if top is not None:
        c = c.head(int(top))
    c["nudge_on"] = (c["first_order"] + pd.to_timedelta(round(gap), unit="D")) if gap is not None else pd.NaT
    c.insert(0, "action", "nurture")
    c.insert(1, "action_cn", "新客培育")
    why = f"; nudge at the median {gap:.0f} days to a second order" if gap is not None else ""
    c["rule"] = [f"first order {f:%Y-%m-%d} ({days_since} days ago), spent {m:,.0f}{why}"
                 for f, days_since, m in zip(c["first_order"], (pd.Timestamp(rfm.as_of) - c["first_order"]).dt.days,
                                             c["monetary"], strict=True)]
    return c[["action", "action_cn", "customer_id", "segment_name", "segment_cn", "first_order", "monetary",
              "nudge_on", "rule"]].reset_index(drop=True)



def _list_result(table: CustomerTable, sql: str, top: int | None, columns: list[str]) -> pd.DataFrame | CustomerTable:
    """An action list from SQL over a customer table: ``top`` rows as pandas, or every row as a file."""
    if top is not None:
        return _fix_customers(table.query(f"{sql} LIMIT {max(int(top), 0)}"))
    con = table.connect()
    try:
        return CustomerTable.from_engine(con, sql, table.folder, columns, fix=_fix_customers)
    finally:
        con.close()


def _in_list(keys: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{k}'" for k in keys) + ")"


def _win_back_sql(table: CustomerTable, keys: tuple[str, ...], clv: Any, top: int | None,
                  customer: str) -> pd.DataFrame | CustomerTable:
    """:func:`win_back_list` in SQL over a customer table (the same rows, columns, order and rule text)."""
    cols = ["action", "action_cn", "customer_id", "segment_name", "segment_cn", "rfm", "last_order", "recency_days",
            "frequency", "monetary"] + (["p_alive", "clv"] if clv is not None else []) + ["rule"]
    join, extra = "", ""
    if clv is not None:
        q = '"' + customer.replace('"', '""') + '"'
        src = clv.source if isinstance(clv, CustomerTable) else None
        if src is None:  # a frame: written to a file beside the list (it may have millions of rows)
            clv = CustomerTable.from_frame(clv[[customer, "p_alive", "clv"]], table.folder)
            src = clv.source
        join = f" LEFT JOIN (SELECT {q} AS cid, p_alive, clv FROM {src}) v ON v.cid = t.customer_id"
        extra = "v.p_alive, v.clv, "
    sql = f"""SELECT 'win back' AS action, '召回' AS action_cn, t.customer_id, t.segment_name, t.segment_cn, t.rfm,
                t.last_order, t.recency_days, t.frequency, t.monetary, {extra}
                CAST(t.segment_name AS VARCHAR) || ': RFM ' || CAST(t.rfm AS VARCHAR) || ', '
                    || format('{{:,}}', t.recency_days) || ' days since the last order, spent '
                    || format('{{:,.0f}}', t.monetary) AS rule
              FROM t{join}
              WHERE CAST(t.segment AS VARCHAR) IN {_in_list(keys)}
              ORDER BY t.monetary DESC, t.customer_id"""
    out = _list_result(table, sql, top, cols)
    del clv  # a frame's file goes with it once the list is written
    return out


def _nurture_sql(table: CustomerTable, as_of: pd.Timestamp, days: int, gap: float | None,
                 top: int | None) -> pd.DataFrame | CustomerTable:
    """:func:`nurture_list` in SQL over a customer table (the same rows, columns, order and rule text)."""
    ref = f"DATE '{as_of:%Y-%m-%d}'"
    nudge = (f"CAST(t.first_order AS TIMESTAMP) + INTERVAL {round(gap)} DAY" if gap is not None
             else "CAST(NULL AS TIMESTAMP)")
    why = f"; nudge at the median {gap:.0f} days to a second order" if gap is not None else ""
    sql = f"""SELECT 'nurture' AS action, '新客培育' AS action_cn, t.customer_id, t.segment_name, t.segment_cn,
                t.first_order, t.monetary, {nudge} AS nudge_on,
                'first order ' || strftime(CAST(t.first_order AS DATE), '%Y-%m-%d') || ' ('
                    || CAST(date_diff('day', CAST(t.first_order AS DATE), {ref}) AS VARCHAR) || ' days ago), spent '
                    || format('{{:,.0f}}', t.monetary) || '{why.replace("'", "''")}' AS rule
              FROM t
              WHERE date_diff('day', CAST(t.first_order AS DATE), {ref}) <= {int(days)} AND t.frequency = 1
              ORDER BY t.monetary DESC, t.customer_id"""
    cols = ["action", "action_cn", "customer_id", "segment_name", "segment_cn", "first_order", "monetary",
            "nudge_on", "rule"]
    return _list_result(table, sql, top, cols)


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


#: Rows an action list's Excel file holds at most: the most valuable customers, for people to read (Excel's own
#: limit is 1,048,576 rows; openpyxl wrote the 77,000 rows of the scale-1 sample's two lists in 65 s, so the
#: 700,000 of a 10M-line shop took more than 9 minutes). The CSV always holds every row.
EXCEL_MAX_ROWS = 10_000


class ActionExport(list):
    """The paths :func:`export_actions` wrote (a list, as before) and ``notes``: what a capped Excel file holds."""

    def __init__(self, paths: list[Path], notes: list[str] | None = None) -> None:
        super().__init__(paths)
        self.notes = list(notes or [])


def _csv_cell(name: str, dtype: Any) -> str:
    """SQL for one column of the CSV: text cells neutralised as ``opslib.reporting.exports.neutralise`` does,
    ±inf as empty, timestamps at midnight as days (as pandas writes them)."""
    from opslib.data.engine import sql_str
    from opslib.reporting.exports import FORMULA_TRIGGERS

    col = '"' + name.replace('"', '""') + '"'
    if pd.api.types.is_bool_dtype(dtype):
        return f"CASE WHEN {col} IS NULL THEN NULL WHEN {col} THEN 'True' ELSE 'False' END"
    if pd.api.types.is_float_dtype(dtype):
        return f"CASE WHEN isinf({col}) THEN NULL ELSE {col} END"
    if pd.api.types.is_numeric_dtype(dtype):
        return col
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return (f"CASE WHEN {col} = date_trunc('day', {col}) THEN strftime({col}, '%Y-%m-%d') "
                f"ELSE strftime({col}, '%Y-%m-%d %H:%M:%S') END")
    text = f"CAST({col} AS VARCHAR)"
    trigger = " OR ".join(f"prefix({text}, {sql_str(t)})" for t in FORMULA_TRIGGERS)
    plain = r"^[+-]?(\p{Nd}+([.,]\p{Nd}*)?|[.,]\p{Nd}+)([eE][+-]?\p{Nd}+)?$"
    quote = sql_str("'")
    return (f"CASE WHEN ({trigger}) AND NOT regexp_full_match({text}, {sql_str(plain)}) "
            f"THEN {quote} || {text} ELSE {text} END")


def write_csv_engine(table: pd.DataFrame | CustomerTable, path: str | Path) -> Path:
    """``table`` as CSV for Excel, written by DuckDB's ``COPY ... TO`` (streamed, no Python object per cell).

    The same file as ``opslib.reporting.exports.write_csv``: UTF-8 with BOM, CRLF rows, text cells and column
    names neutralised (a cell starting with ``= + - @``, tab, CR or their full-width forms that is not a plain
    number gets a ``'`` in front), ±inf and missing values empty, days as ``YYYY-MM-DD``.

    Parameters:
        table: the rows to write (a frame, or a CustomerTable read from its file). path: the CSV file
            (replaced when it exists).

    Returns:
        ``path``.

    Example:
        >>> import os, tempfile
        >>> p = write_csv_engine(pd.DataFrame({"id": ["=1+1", "-5"], "v": [1.5, float("inf")]}),
        ...                      os.path.join(tempfile.mkdtemp(), "t.csv"))
        >>> p.read_text(encoding="utf-8-sig").splitlines()
        ['id,v', "'=1+1,1.5", '-5,']
    """
    import shutil

    import duckdb

    from opslib.data.engine import sql_str
    from opslib.reporting.exports import neutralise

    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    names = [str(neutralise(str(c))).replace('"', '""') for c in table.columns]
    types = table.head(0) if isinstance(table, CustomerTable) else table  # the dtypes the frame would have
    cols = ", ".join(f'{_csv_cell(str(c), types[c].dtype)} AS "{n}"' for c, n in zip(table.columns, names, strict=True))
    con = duckdb.connect()
    try:
        con.execute("SET threads = 1")
        if isinstance(table, CustomerTable):  # a list of millions of customers: streamed from its file
            con.execute("SET memory_limit = '400MB'")
            con.execute(f"CREATE TEMP VIEW t AS SELECT * FROM {table.source}")
        else:
            con.register("t", table.reset_index(drop=True))
        con.execute(f"COPY (SELECT {cols} FROM t) TO {sql_str(str(tmp))} "
                    "(FORMAT csv, HEADER, DELIMITER ',', NEW_LINE '\r\n', NULLSTR '')")
    finally:
        con.close()
    with open(path, "wb") as out, open(tmp, "rb") as part:
        out.write(b"\xef\xbb\xbf")
        shutil.copyfileobj(part, out, 1 << 20)
    tmp.unlink()
    return path


def export_actions(table: pd.DataFrame | CustomerTable, folder: str | Path, name: str,
                   formats: tuple[str, ...] = ("csv", "xlsx"), excel_rows: int | None = EXCEL_MAX_ROWS) -> ActionExport:
    """Write a customer action list for Excel users, safely, as every action table is written.

    ``<folder>/<name>.csv``: every row, written by DuckDB (:func:`write_csv_engine`: UTF-8 with BOM so Excel
    shows Chinese, formula-like text cells prefixed by ``'`` so a customer id or name typed by someone else
    cannot run as a formula). ``<name>.xlsx`` through ``opslib.reporting.exports.write_table`` (every text cell
    stored as a string) with at most ``excel_rows`` rows: a longer list (ranked, most valuable first) is cut to
    its first ``excel_rows`` rows, the file is named ``<name>_top<N>.xlsx`` and ``notes`` says the CSV holds all
    of them — never a silent cut. ``name`` is made a safe file name that stays inside ``folder`` (created when
    missing).

    Parameters:
        table: a win-back or nurture list (:func:`win_back_list`, :func:`nurture_list`) or any table (a
            CustomerTable: the CSV is copied from its file, the Excel file gets its first rows).
        folder: the export folder. name: the file name without suffix, e.g. ``"customers_win_back_2025-12-31"``.
        formats: any of ``"csv"``, ``"xlsx"``.
        excel_rows: the Excel file's row cap (None: Excel's own limit, 1,048,575 rows under the header).

    Returns:
        :class:`ActionExport`: the paths written, in the order of ``formats``, and ``notes``.

    Example:
        >>> import tempfile
        >>> paths = export_actions(pd.DataFrame({"customer_id": ["=1+1", "b"], "action_cn": ["召回", "召回"]}),
        ...                        tempfile.mkdtemp(), "w", excel_rows=1)
        >>> [p.name for p in paths], paths[0].read_bytes()[:3].hex()
        (['w.csv', 'w_top1.xlsx'], 'efbbbf')
        >>> paths[0].read_text(encoding="utf-8-sig").splitlines()[1], paths.notes
        ("'=1+1,召回", ['w_top1.xlsx holds the first 1 of 2 rows (most valuable first); w.csv holds all 2.'])
    """
    from opslib.reporting.exports import export_folder, inside, safe_filename, write_table

    cap = 1_048_575 if excel_rows is None else int(excel_rows)
    if cap < 1:
        raise CLVError(f"export_actions: excel_rows={excel_rows!r}, expected a number of rows >= 1 or None")
    base, formats = export_folder(folder, formats)
    stem = safe_filename(name)
    written: list[Path] = []
    notes: list[str] = []
    for fmt in formats:
        if fmt == "csv":
            written.append(write_csv_engine(table, inside(base, f"{stem}.csv")))
        elif len(table) > cap:
            part = write_table(table.head(cap), base, f"{stem}_top{cap}", formats=("xlsx",), sheet="actions")
            written.extend(part)
            where = f"{stem}.csv holds all {len(table):,}" if "csv" in formats else "the CSV export holds all of them"
            notes.append(f"{part[0].name} holds the first {cap:,} of {len(table):,} rows (most valuable first); "
                         f"{where}.")
        else:
            rows = table.to_pandas() if isinstance(table, CustomerTable) else table
            written.extend(write_table(rows, base, stem, formats=("xlsx",), sheet="actions"))
    return ActionExport(written, notes)
