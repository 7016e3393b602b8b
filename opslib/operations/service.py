"""Customer service (客服): inquiry conversion 询单转化率, first-response and resolution times against their SLAs,
contacts per 100 orders and what drives them.

Definitions (``OpsData.contacts``, one row per contact of the ``service`` table):

* first response 首次响应时长 = ``first_response_ts − contact_ts`` (seconds); unanswered contacts never meet an SLA;
* resolution 解决时长 = ``resolved_ts − contact_ts`` (hours); open contacts never meet an SLA;
* inquiry conversion 询单转化率 = pre-sale contacts with ``converted = yes`` / pre-sale contacts;
* contacts per 100 orders = contacts in the period / non-cancelled orders placed in the period × 100.

Example:
    >>> import pandas as pd
    >>> c = pd.DataFrame({"stage": "pre_sale", "agent": ["a", "a", "b"], "first_response_s": [5.0, 40.0, 12.0],
    ...     "converted_flag": [True, False, True], "contact_ts": pd.Timestamp("2024-01-01")})
    >>> inquiry_conversion(c, by="response")[["group", "inquiries", "conversion"]].values.tolist()
    [['≤ 30 s', 2, 1.0], ['> 30 s', 1, 0.0]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslib.calendar import Period
from opslib.kpi import Term
from opslib.operations.dataset import CAMPAIGN_LABELS, OpsData, in_period, period_window
from opslib.operations.effects import Effect, terms_of
from opslib.operations.stats import cell_ols, mean_interval, wilson_interval

_NO_SERVICE = "no service table: customer service cannot be analysed"
STAGE_LABELS = {"pre_sale": "售前 pre-sale", "after_sale": "售后 after-sale"}


def _contacts(data: OpsData | pd.DataFrame, period: Period | tuple | None = None) -> pd.DataFrame | None:
    if isinstance(data, OpsData):
        return period_window(data, period, contacts="contact_ts").contacts if data.has("service") else None
    return data


def _skip(columns: list[str], data: OpsData | pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(columns=columns)
    out.attrs["skipped"] = data.skip_reason("service") if isinstance(data, OpsData) else _NO_SERVICE
    return out


def _group(c: pd.DataFrame, by: str | None, sla_s: float = 30.0) -> pd.Series:
    if by is None:
        return pd.Series("全部 all", index=c.index)
    if by == "response":
        s = c["first_response_s"]
        return pd.Series(np.where(s.isna(), "未回复 no answer", np.where(s <= sla_s, f"≤ {sla_s:g} s", f"> {sla_s:g} s")),
                         index=c.index)
    if by == "stage":
        return c["stage"].map(STAGE_LABELS)
    if by == "campaign_day":
        return c["campaign_day"].fillna(False).astype(bool).map(CAMPAIGN_LABELS)
    if by == "week":
        return c["contact_ts"].dt.to_period("W-SUN").dt.start_time
    return c[by].astype(object).where(c[by].notna(), "(unknown)")


def inquiry_conversion(data: OpsData | pd.DataFrame, by: str | None = "response", period: Period | tuple | None = None,
                       sla_s: float = 30.0) -> pd.DataFrame:
    """询单转化率 per group: pre-sale inquiries that led to an order, with Wilson 95 % intervals.

    Formula: ``conversion = converted inquiries / inquiries`` (pre-sale contacts in ``period`` whose
    ``converted`` is yes or no). ``by="response"`` splits by the first response: within ``sla_s`` seconds,
    slower, or never answered; other groups: agent, reason, category, campaign_day, week, or None.

    Parameters:
        data: the :class:`OpsData` (or a contact frame). by: the group. period: contact days. sla_s: the
        first-response SLA in seconds.

    Returns:
        ``group``, ``inquiries``, ``converted``, ``conversion``, ``low``, ``high``.
    """
    cols = ["group", "inquiries", "converted", "conversion", "low", "high"]
    c = _contacts(data, period)
    if c is None:
        return _skip(cols, data)
    c = in_period(c[(c["stage"] == "pre_sale") & c["converted_flag"].notna()], "contact_ts", period)
    f = pd.DataFrame({"group": _group(c, by, sla_s), "y": c["converted_flag"].astype(bool)})
    g = f.groupby("group", sort=False)["y"].agg(["sum", "size"])
    order = {f"≤ {sla_s:g} s": 0, f"> {sla_s:g} s": 1, "未回复 no answer": 2}
    out = pd.DataFrame({"group": g.index, "inquiries": g["size"].to_numpy(), "converted": g["sum"].astype(int).to_numpy()})
    out["conversion"] = out["converted"] / out["inquiries"]
    out["low"], out["high"] = wilson_interval(out["converted"], out["inquiries"])
    if by == "response":
        out = out.sort_values("group", key=lambda s: s.map(order)).reset_index(drop=True)
    elif by == "week":
        out = out.sort_values("group").reset_index(drop=True)
    else:
        out = out.sort_values(["inquiries", "group"], ascending=[False, True]).reset_index(drop=True)
    return out[cols]


def response_conversion_effect(data: OpsData, until: pd.Timestamp | str | None = None, sla_s: float = 30.0,
                               controls: tuple[str, ...] = ("campaign_day", "category", "month")) -> Effect:
    """How much conversion an answer within ``sla_s`` seconds gains over a slower one, with controls.

    Model: ``converted = a + γ·fast + campaign_day + category + month + e`` (linear probability model by OLS,
    HC1 errors from cells) over answered pre-sale inquiries up to ``until``; ``fast`` = first response
    ``<= sla_s``. ``γ`` is in conversion points (0.20 = 20 percentage points). Campaign days are held fixed
    because they bring both slower answers and other buyers; the agent is not (speed is what differs between
    agents).

    Parameters:
        data: the :class:`OpsData`. until: last contact day used. sla_s: the SLA. controls: fixed effects.

    Returns:
        :class:`~opslib.operations.effects.Effect` (unit: share of inquiries).
    """
    label = "首响速度对询单转化的影响 a fast first answer on inquiry conversion"
    if not data.has("service"):
        return Effect(label=label, unit="conversion", reason=data.skip_reason("service") or _NO_SERVICE)
    from opslib.operations.tables import as_text, regroup

    if data.on_engine and set(controls) <= {"campaign_day", "category", "month", "agent", "reason"}:
        c = _conversion_cells(data, until, sla_s, controls)  # per (fast, contact day, controls): n, Σy, Σy²
    else:
        c = data.contacts
        c = c[(c["stage"] == "pre_sale") & c["converted_flag"].notna() & c["first_response_s"].notna()]
        if until is not None:
            c = c[c["contact_ts"] < pd.Timestamp(until) + pd.Timedelta(days=1)]
        c = c.assign(fast=(c["first_response_s"] <= sla_s).astype(int), y=c["converted_flag"].astype(float),
                     month=c["contact_ts"].dt.strftime("%Y-%m"))
        c = c.assign(n=1, sum_y=c["y"], sum_y2=c["y"] ** 2)
    if c["fast"].nunique() < 2:
        return Effect(label=label, unit="conversion", n=int(c["n"].sum()),
                      reason=f"every inquiry was answered {'within' if c['fast'].all() else 'after'} {sla_s:g} s")
    fixed = [x for x in controls if x in c.columns and c[x].nunique() > 1]
    cells = regroup(as_text(c.copy(), fixed), ["fast", *fixed])
    fit = cell_ols(cells, ["fast"], fixed)
    g = c.groupby("fast")[["n", "sum_y"]].sum().sort_index(ascending=False)
    conv = g["sum_y"] / g["n"]
    lo, hi = wilson_interval(g["sum_y"].to_numpy(), g["n"].to_numpy())
    groups = pd.DataFrame({"group": [f"≤ {sla_s:g} s" if i else f"> {sla_s:g} s" for i in g.index],
                           "mean": conv.to_numpy(), "low": lo, "high": hi, "n": g["n"].to_numpy()})
    return Effect(label=label, unit="conversion", terms=terms_of(fit, {"fast": f"answered ≤ {sla_s:g} s"}),
                  groups=groups, n=fit.n, controls=tuple(fixed), cov_type="HC1 robust standard errors")


def _conversion_cells(data: OpsData, until: pd.Timestamp | str | None, sla_s: float,
                      controls: tuple[str, ...]) -> pd.DataFrame:
    """Answered pre-sale inquiries (up to ``until``) as cells from SQL: per ``fast`` (0/1), contact day and the
    controls: ``n``, ``sum_y`` (converted), ``sum_y2``; ``campaign_day`` and ``month`` of the contact day."""
    from opslib.operations.tables import ORDER_TABLE, cells_frame, day_columns, ts

    t = data.tables
    resp = t.seconds("s.contact_ts", "s.first_response_ts")
    fast = f"CASE WHEN {resp} <= {float(sla_s)} THEN 1 ELSE 0 END"
    y = "CASE WHEN s.converted = 'yes' THEN 1.0 ELSE 0.0 END"
    keys, grp = [], []
    if "category" in controls:
        cat = "coalesce(p.category, o.category)" if t.has_products else "o.category"
        keys.append(f"{cat} AS category")
        grp.append(cat)
    for k in ("agent", "reason"):
        if k in controls:
            keys.append(f"s.{k} AS {k}")
            grp.append(f"s.{k}")
    sel = "".join(f", {k}" for k in keys)
    by = "".join(f", {k}" for k in grp)
    join = (f" LEFT JOIN {ORDER_TABLE} o ON o.order_id = s.order_id" if "category" in controls else "")
    if "category" in controls and t.has_products:
        join += " LEFT JOIN (SELECT sku, min(category) AS category FROM products GROUP BY sku) p ON p.sku = s.sku"
    cut = f" AND s.contact_ts < {ts(pd.Timestamp(until) + pd.Timedelta(days=1))}" if until is not None else ""
    c = t.query(f"""SELECT {fast} AS fast, CAST(s.contact_ts AS DATE) AS contact_day{sel}, count(*) AS n,
                    sum({y}) AS sum_y, sum({y}) AS sum_y2
                    FROM service s{join}
                    WHERE s.stage = 'pre_sale' AND s.converted IN ('yes', 'no') AND s.first_response_ts IS NOT NULL
                          AND s.contact_ts IS NOT NULL{cut}
                    GROUP BY {fast}, CAST(s.contact_ts AS DATE){by}""")
    c = day_columns(cells_frame(c), data.days, day="contact_day")
    c["fast"] = c["fast"].astype(int)
    return c


def service_levels(data: OpsData | pd.DataFrame, by: str | None = "agent", period: Period | tuple | None = None,
                   first_response_s: float = 30.0, resolution_h: float = 24.0,
                   as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """First response and resolution per group (agent, stage, reason, campaign_day, week or None).

    Formulas: ``response_p50_s`` / ``response_p90_s`` = median / 90th percentile of the first response among
    answered contacts; ``within_sla`` = contacts answered within ``first_response_s`` / contacts (unanswered count
    as not within) with a Wilson interval; ``resolved_within`` = after-sale contacts resolved within
    ``resolution_h`` / after-sale contacts whose ``resolution_h`` has passed by ``as_of`` (open ones count as not
    resolved), with a Wilson interval.

    Parameters:
        data: the :class:`OpsData` (or a contact frame with ``as_of``). by: the group. period: contact days.
        first_response_s, resolution_h: the two SLAs.

    Returns:
        ``group``, ``contacts``, ``response_p50_s``, ``response_p90_s``, ``within_sla`` (+ ``_low``/``_high``),
        ``after_sale``, ``resolution_p50_h``, ``resolved_within`` (+ ``_low``/``_high``).
    """
    cols = ["group", "contacts", "response_p50_s", "response_p90_s", "within_sla", "within_low", "within_high",
            "after_sale", "resolution_p50_h", "resolved_within", "resolved_low", "resolved_high"]
    c = _contacts(data, period)
    if c is None:
        return _skip(cols, data)
    as_of = as_of if as_of is not None else (data.as_of if isinstance(data, OpsData) else c["contact_ts"].max())
    c = in_period(c, "contact_ts", period)
    after = (c["stage"] == "after_sale") & (c["contact_ts"] + pd.Timedelta(hours=resolution_h) <= as_of)
    f = pd.DataFrame({"group": _group(c, by), "rt": c["first_response_s"],
                      "ok": (c["first_response_s"] <= first_response_s),
                      "after": after, "res": c["resolution_h"].where(after),
                      "rok": (c["resolution_h"] <= resolution_h) & after})
    g = f.groupby("group")
    out = pd.DataFrame({"contacts": g.size(), "response_p50_s": g["rt"].median(),
                        "response_p90_s": g["rt"].quantile(0.9), "ok": g["ok"].sum(),
                        "after_sale": g["after"].sum().astype(int), "resolution_p50_h": g["res"].median(),
                        "rok": g["rok"].sum()}).reset_index()
    out["within_sla"] = out["ok"] / out["contacts"]
    out["within_low"], out["within_high"] = wilson_interval(out["ok"], out["contacts"])
    out["resolved_within"] = out["rok"] / out["after_sale"].replace(0, np.nan)
    out["resolved_low"], out["resolved_high"] = wilson_interval(out["rok"], out["after_sale"])
    key = ["group"] if by == "week" else ["contacts", "group"]
    return out.sort_values(key, ascending=[True] if by == "week" else [False, True]).reset_index(drop=True)[cols]


def contact_rates(data: OpsData, by: str | None = "reason", period: Period | tuple | None = None) -> pd.DataFrame:
    """Contacts per 100 orders per group (reason, stage, category, carrier, campaign_day, week or None).

    Formula: ``per_100_orders = contacts in the group / non-cancelled orders placed in the period × 100``
    (orders of the same week for ``by="week"``); ``share`` = the group's share of all contacts.

    Parameters:
        data: the :class:`OpsData`. by: the group. period: contact and order days.

    Returns:
        ``group``, ``stage`` (when ``by="reason"``), ``contacts``, ``per_100_orders``, ``share``.
    """
    cols = ["group", "contacts", "per_100_orders", "share"]
    if not data.has("service"):
        return _skip(cols, data)
    data = period_window(data, period, contacts="contact_ts", orders="order_ts")
    c = in_period(data.contacts, "contact_ts", period)
    o = in_period(data.orders[~data.orders["cancelled"].astype(bool)], "order_ts", period)
    f = pd.DataFrame({"group": _group(c, by), "stage": c["stage"].map(STAGE_LABELS)})
    keys = ["group", "stage"] if by == "reason" else ["group"]
    out = f.groupby(keys).size().rename("contacts").reset_index()
    if by == "week":
        weeks = o["order_ts"].dt.to_period("W-SUN").dt.start_time.value_counts()
        out["per_100_orders"] = 100 * out["contacts"] / out["group"].map(weeks)
        out = out.sort_values("group")
    else:
        out["per_100_orders"] = 100 * out["contacts"] / max(len(o), 1)
        out = out.sort_values(["contacts", "group"], ascending=[False, True])
    out["share"] = out["contacts"] / out["contacts"].sum()
    return out.reset_index(drop=True)[[*keys, "contacts", "per_100_orders", "share"]]


#: The drivers :func:`contact_drivers` estimates, with their display names.
DRIVERS = {"late": "delivered late 迟到", "slow_ship": "shipped after 48 h 发货慢", "returned": "returned 退货",
           "lost": "lost parcel 丢件"}


def contact_drivers(data: OpsData, until: pd.Timestamp | str | None = None, settle_days: int = 21,
                    slow_ship_hours: float = 48.0,
                    controls: tuple[str, ...] = ("category", "carrier", "month")) -> Effect:
    """What raises after-sale contacts: extra contacts per 100 orders for a late delivery, slow shipping, a
    return and a lost parcel, holding category, carrier and month fixed.

    Model: ``100 · after-sale contacts of the order = a + β₁ late + β₂ slow_ship + β₃ returned + β₄ lost +
    category + carrier + month + e`` by OLS (HC1 errors from cells) over non-cancelled orders paid at least
    ``settle_days`` before ``as_of`` (their contacts have had time to arrive) and up to ``until``;
    ``slow_ship`` = shipped more than ``slow_ship_hours`` after payment. Each ``β`` is the extra contacts per 100
    orders that cause brings: the workload another department sends to customer service.

    Parameters:
        data: the :class:`OpsData`. until: last payment day used. settle_days, slow_ship_hours: see above.
        controls: fixed effects among the order frame's columns.

    Returns:
        :class:`~opslib.operations.effects.Effect` (unit: contacts per 100 orders); ``groups`` = raw contacts per
        100 orders for on-time and late deliveries.
    """
    label = "售后咨询的驱动因素 what drives after-sale contacts"
    unit = "contacts per 100 orders"
    if not data.has("service"):
        return Effect(label=label, unit=unit, reason=data.skip_reason("service") or _NO_SERVICE)
    from opslib.operations.tables import DAY_KEYS, ORDER_KEYS, as_text, group_moments, regroup

    last = data.as_of - pd.Timedelta(days=settle_days)
    if until is not None:
        last = min(last, pd.Timestamp(until) + pd.Timedelta(days=1))
    terms = ["late", "slow_ship", "returned", "lost"] if data.has_fulfilment else ["returned"]
    if data.on_engine and set(controls) <= set(ORDER_KEYS) | set(DAY_KEYS):
        f = _contact_cells(data, last, slow_ship_hours, controls)  # per (drivers, order day, controls)
        o = f
    else:
        o = data.orders[~data.orders["cancelled"].astype(bool)]
        ref = o["paid_ts"] if "paid_ts" in o else o["order_ts"]
        o = o[ref < last]
        a = data.contacts[data.contacts["stage"] == "after_sale"]
        n = o["order_id"].map(a["order_id"].value_counts()).fillna(0.0)
        f = pd.DataFrame({"y": 100 * n, "returned": o["returned"].astype(int)}, index=o.index)
        if data.has_fulfilment:
            f["late"] = o["late"].astype(int)
            f["slow_ship"] = (o["handling_h"] > slow_ship_hours).astype(int)
            f["lost"] = o["lost"].astype(int)
        f = f.assign(n=1, sum_y=f["y"], sum_y2=f["y"] ** 2)
    terms = [t for t in terms if f[t].nunique() > 1]
    if not terms:
        return Effect(label=label, unit=unit, n=int(f["n"].sum()), reason="no order was late, slow, returned or lost")
    fixed = [x for x in controls if x in o.columns and o[x].nunique() > 1]
    for x in fixed:
        f[x] = o[x]
    fit = cell_ols(regroup(as_text(f.copy(), fixed), [*terms, *fixed]), terms, fixed)
    if "late" in f:
        g = group_moments(f, "late")
        names = {0: "准时 on time", 1: "迟到 late"}
    else:
        g = group_moments(f, "returned")
        names = {0: "未退货 kept", 1: "退货 returned"}
    lo, hi = mean_interval(g["mean"], g["std"], g["size"])
    groups = pd.DataFrame({"group": [names[int(i)] for i in g.index], "mean": g["mean"].to_numpy(), "low": lo,
                           "high": hi, "n": g["size"].to_numpy()})
    return Effect(label=label, unit=unit, terms=terms_of(fit, {t: DRIVERS[t] for t in terms}), groups=groups,
                  n=fit.n, controls=tuple(fixed), cov_type="HC1 robust standard errors")


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("inquiry_conversion", "询单转化率", "Inquiry conversion", "pre-sale inquiries that led to an order / pre-sale "
         "inquiries", "opslib.operations.service.inquiry_conversion", "06"),
    Term("first_response_sla", "首响时效", "First-response SLA", "contacts answered within the SLA (30 s) / contacts",
         "opslib.operations.service.service_levels", "06"),
    Term("contacts_per_100", "百单咨询量", "Contacts per 100 orders", "100 × contacts / orders", "opslib.operations.service.contact_rates",
         "06"),
    Term("contact_drivers", "咨询驱动因素", "Contact drivers", "OLS of after-sale contacts per order on late, slow "
         "shipping, returned and lost, with category, carrier and month; × 100 = extra contacts per 100 orders",
         "opslib.operations.service.contact_drivers", "06"),
)


def _contact_cells(data: OpsData, last: pd.Timestamp, slow_ship_hours: float, controls: tuple[str, ...]
                   ) -> pd.DataFrame:
    """Non-cancelled orders paid (ordered, without fulfilment) before ``last`` as cells from SQL: per driver flags
    (``returned``, and ``late``, ``slow_ship``, ``lost`` with fulfilment), order day and order controls: ``n``,
    ``sum_y`` = 100 · Σ after-sale contacts, ``sum_y2`` = 100² · Σ contacts²; with the order day's columns."""
    from opslib.operations.tables import ORDER_KEYS, ORDER_TABLE, cells_frame, day_columns, ts

    t = data.tables
    flags = ["CASE WHEN o.returned THEN 1 ELSE 0 END AS returned"]
    ref = "o.order_ts"
    if data.has_fulfilment:
        ref = "o.paid_ts"
        shift = t.promise_shift.total_seconds()
        lost_by = data.as_of - pd.Timedelta(days=data.grace_days) - t.promise_shift
        flags += [f"CASE WHEN {t.seconds('o.promised_ts', 'o.delivered_ts')} > {shift} THEN 1 ELSE 0 END AS late",
                  f"CASE WHEN o.shipped_ts >= o.paid_ts AND {t.seconds('o.paid_ts', 'o.shipped_ts')} > "
                  f"{float(slow_ship_hours) * 3600.0} THEN 1 ELSE 0 END AS slow_ship",
                  "CASE WHEN o.shipped_ts IS NOT NULL AND o.delivered_ts IS NULL AND NOT o.cancelled AND "
                  f"o.promised_ts <= {ts(lost_by)} THEN 1 ELSE 0 END AS lost"]
    names = [f.rsplit(" AS ", 1)[1] for f in flags]
    keys = [k for k in ORDER_KEYS if k in controls and (data.has_fulfilment or k not in ("warehouse", "carrier"))]
    inner = ", ".join([*flags, "CAST(o.order_ts AS DATE) AS order_day", *(f"o.{k} AS {k}" for k in keys),
                       "coalesce(a.n, 0) AS k"])
    by = ", ".join([*names, "order_day", *keys])
    c = t.query(f"""SELECT {by}, count(*) AS n, 100.0 * sum(k) AS sum_y, 10000.0 * sum(k * k) AS sum_y2
                    FROM (SELECT {inner} FROM {ORDER_TABLE} o
                          LEFT JOIN (SELECT order_id, count(*) AS n FROM service WHERE stage = 'after_sale'
                                     GROUP BY order_id) a ON a.order_id = o.order_id
                          WHERE NOT o.cancelled AND {ref} < {ts(last)}) x
                    GROUP BY {by}""")
    c = day_columns(cells_frame(c), data.days)
    for n in names:
        c[n] = c[n].astype(int)
    return c
