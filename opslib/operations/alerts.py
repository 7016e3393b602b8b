"""Alerts: the breached norms of a scorecard as one table a scheduler can act on (cron, Airflow), written as CSV
and JSON next to each other.

Severity: ``critical`` when the whole 95 % interval of the value is on the wrong side of the target (the breach
is not noise), else ``warning``. Norms that were too few to judge or skipped are not alerts; the scorecard
keeps them.

Example:
    >>> import pandas as pd
    >>> from opslib.operations.dataset import OpsData
    >>> from opslib.operations.norms import norms_from_mapping
    >>> from opslib.operations.scorecard import score_norms
    >>> o = pd.DataFrame({"order_id": list("abcd"), "order_ts": pd.to_datetime(["2024-01-01"] * 4),
    ...     "cancelled": [False, False, False, True], "units": 1, "campaign_day": False})
    >>> d = OpsData(orders=o, days=pd.DataFrame(), reviews=None, contacts=None, as_of=pd.Timestamp("2024-01-31"),
    ...             has_fulfilment=False, peak_rule="load")
    >>> n = norms_from_mapping({"departments": {"ops": {"owner": "Wang", "norms": {
    ...     "cancel": {"metric": "cancellation_rate", "at_most": 0.1, "min_units": 2, "label": "取消率"}}}}})
    >>> a = alert_table(score_norms(d, n, ("2024-01-01", "2024-01-31")))
    >>> a[["norm", "severity", "value", "target"]].values.tolist()
    [['ops.cancel', 'warning', '25.0%', '≤ 10.0%']]
    >>> print(a.loc[0, "message"])
    [warning] ops.cancel 取消率: 25.0% against ≤ 10.0% (1 of 4 units fail) — owner Wang
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from opslib.calendar import period_bounds
from opslib.operations.scorecard import Scorecard

ALERT_COLUMNS = ("as_of", "period_start", "period_end", "department", "department_name", "owner", "norm", "label",
                 "severity", "value", "target", "shortfall", "units", "fails", "where", "message")


def _fmt(kind: str, x: float) -> str:
    return f"{x * 100:.1f}%" if kind == "share" else f"{x:.2f}"


def alert_table(card: Scorecard, with_contributors: bool = True) -> pd.DataFrame:
    """One row per breached norm of ``card``, most critical and largest shortfall first.

    Columns (:data:`ALERT_COLUMNS`): the period and ``as_of``; department, owner, norm and label; ``severity``;
    ``value`` and ``target`` as text (``86.6%``, ``≥ 95.0%``); ``shortfall`` (a number, in the metric's unit);
    ``units`` judged and ``fails``; ``where`` the shortfall concentrates (``Scorecard.top_contributor``); and a
    one-line ``message`` for e-mail or chat.

    Parameters:
        card: a :class:`~opslib.operations.scorecard.Scorecard`. with_contributors: fill ``where`` (slower on big shops).

    Returns:
        The alert table (empty, with the same columns, when no norm is breached).
    """
    start, end = period_bounds(card.period)
    rows = []
    for r in card.breached().itertuples(index=False):
        severity = "critical" if r.certain else "warning"
        where = card.top_contributor(r.norm) if with_contributors else ""
        msg = (f"[{severity}] {r.norm} {r.label}: {_fmt(r.kind, r.value)} against {r.target_text} "
               f"({r.fails:,} of {r.units:,} units fail) — owner {r.owner}" + (f"; {where}" if where else ""))
        rows.append({"as_of": f"{card.as_of:%Y-%m-%d %H:%M}", "period_start": f"{start:%Y-%m-%d}",
                     "period_end": f"{end:%Y-%m-%d}", "department": r.department, "department_name": r.department_name,
                     "owner": r.owner, "norm": r.norm, "label": r.label, "severity": severity,
                     "value": _fmt(r.kind, r.value), "target": r.target_text, "shortfall": float(r.shortfall),
                     "units": int(r.units), "fails": int(r.fails), "where": where, "message": msg})
    out = pd.DataFrame(rows, columns=list(ALERT_COLUMNS))
    if len(out):
        out = out.assign(_c=out["severity"] != "critical").sort_values("_c", kind="stable").drop(columns="_c")
    return out.reset_index(drop=True)


def write_alerts(alerts: pd.DataFrame, folder: str | Path, stem: str = "alerts") -> list[Path]:
    """Write ``alerts`` as ``<stem>.csv`` (UTF-8 with BOM for Excel, through the safe writer
    ``opslib.reporting.exports``) and ``<stem>.json`` (a list of records, UTF-8) into ``folder`` (created). An
    empty table still writes both files, so a scheduler always finds them.

    Parameters:
        alerts: :func:`alert_table`. folder: where to write. stem: the file name without suffix.

    Returns:
        The two paths.
    """
    from opslib.reporting.exports import write_table

    folder = Path(folder)
    (csv,) = write_table(alerts, folder, stem, formats=("csv",))
    js = csv.with_suffix(".json")
    js.write_text(json.dumps(alerts.to_dict("records"), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return [csv, js]
