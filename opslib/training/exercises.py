"""The exercises of every chapter: the question, the answer kind, the key and the hints (not the solutions).

Each :class:`Exercise` is graded by :func:`opslib.training.check` against a key computed by its ``key``
function from the shop in the session: the planted truth (``truth.json``) where the question is about what
the sample shop planted, else an independent recomputation from the files (:mod:`opslib.training.facts`) —
never the notebook's printed output. A wrong answer gets the hint of a recognised mistake (``diagnose``) or
the next of its ``hints``; no hint contains the key. The solutions live only in the notebooks, in cells
tagged ``solution``, which the student copies leave out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from opslib.training.answers import Key, Ungradable, close_to
from opslib.training.facts import (
    by_group,
    first_order_repeat_rates,
    in_days,
    money_totals,
    visitors_in,
    weekly_units,
)
from opslib.training.session import Session

KeyFn = Callable[[Session], "Key | Ungradable"]
Diagnose = Callable[[Any, Key, Session], "str | None"]

#: English (and other) names of the sample shop's categories, accepted as answers.
CATEGORY_ALIASES: dict[str, str] = {
    "beauty": "美妆", "cosmetics": "美妆", "appliances": "家电", "home appliances": "家电", "electrical": "家电",
    "apparel": "服饰", "clothing": "服饰", "fashion": "服饰", "food": "食品", "snacks": "食品", "fresh": "生鲜",
    "fresh food": "生鲜", "baby": "母婴", "mother and baby": "母婴", "maternity": "母婴", "digital": "数码",
    "electronics": "数码", "home": "家居", "household": "家居", "home living": "家居",
}
DRIVERS: dict[str, str] = {
    "visitors": "visitors", "traffic": "visitors", "访客": "visitors", "访客数": "visitors", "流量": "visitors",
    "conversion_rate": "conversion_rate", "conversion": "conversion_rate", "转化": "conversion_rate",
    "转化率": "conversion_rate", "aov": "aov", "客单价": "aov", "basket": "aov", "basket size": "aov",
}
KINDS_OF_CAMPAIGN: dict[str, str] = {
    "festival": "festival", "大促": "festival", "节日": "festival", "flash_sale": "flash_sale", "flash": "flash_sale",
    "秒杀": "flash_sale", "限时秒杀": "flash_sale", "coupon": "coupon", "优惠券": "coupon", "满减券": "coupon",
}


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``id`` ``"01.2"`` (chapter . number), a one-line ``question``, how to answer, the key.

    ``kind`` is an answer kind of :mod:`opslib.training.answers`; ``options`` the allowed choices (alias ->
    option) or a function of the session giving them (the shop's categories); ``answer_format`` is shown
    when an answer cannot be read; ``hints`` are given in turn on wrong answers; ``diagnose`` recognises a
    typical mistake and returns its hint (or None).
    """

    id: str
    question: str
    kind: str
    key: KeyFn
    hints: tuple[str, ...]
    answer_format: str
    options: Mapping[str, str] | Callable[[Session], Mapping[str, str]] | None = None
    diagnose: Diagnose | None = None
    points: int = 1
    needs: tuple[str, ...] = field(default_factory=tuple)

    @property
    def chapter(self) -> str:
        """The chapter (notebook number) of the exercise."""
        return self.id.split(".")[0]

    def choices(self, session: Session) -> Mapping[str, str] | None:
        """The options of a ``choice`` exercise on this session's shop (alias -> option)."""
        return self.options(session) if callable(self.options) else self.options


def _categories(session: Session, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    cats = sorted(session.facts.shop.products["category"].dropna().astype(str).unique())
    out = {c: c for c in cats}
    out.update({a: c for a, c in CATEGORY_ALIASES.items() if c in out})
    out.update(extra or {})
    return out


def _need(session: Session, *tables: str) -> Ungradable | None:
    missing = [t for t in tables if session.facts.table(t) is None]
    if missing:
        return Ungradable(f"the shop has no {' or '.join(missing)} table, which this exercise needs")
    return None


def _period_text(p: Any) -> str:
    return f"{p.start:%Y-%m-%d} .. {p.end:%Y-%m-%d}"


# ---------------------------------------------------------------------------------------------- 04 data quality
def _history_days(s: Session) -> Key:
    f = s.facts
    days = (f.last_day - f.first_day).days + 1
    return Key(days, "recomputed", parts={"weeks": days / 7, "months": days / 30.4375, "exclusive": days - 1})


def _fewest_month(s: Session) -> Key | Ungradable:
    lines = s.facts.lines
    y = lines[lines["day"].dt.year == 2024]
    if y.empty:
        return Ungradable("the shop has no orders in 2024")
    month = y["day"].dt.strftime("%Y-%m")
    orders = y.groupby(month).size()
    first, last = s.facts.first_day, s.facts.last_day
    days = pd.Series({m: len(pd.date_range(max(pd.Timestamp(m + "-01"), first),
                                           min(pd.Timestamp(m + "-01") + pd.offsets.MonthEnd(0), last)))
                      for m in orders.index})
    per_day = orders / days
    return Key(str(per_day.idxmin()), "recomputed", parts={"fewest_total": str(orders.idxmin())},
               context="order lines per calendar day of each month of 2024")


def _empty_days(lines: pd.DataFrame) -> pd.DatetimeIndex:
    span = pd.date_range(lines["day"].min(), lines["day"].max())
    return span.difference(pd.DatetimeIndex(lines["day"].unique()))


def _gap_or_real(s: Session) -> Key | Ungradable:
    month = _fewest_month(s)
    if isinstance(month, Ungradable):
        return month
    m0 = pd.Timestamp(str(month.value) + "-01")
    m1 = m0 + pd.offsets.MonthEnd(0)
    truth = s.facts.truth
    if truth:
        for c in truth.get("seasonality", {}).get("cny", []):
            if pd.Timestamp(c["window_start"]) <= m1 and pd.Timestamp(c["window_end"]) >= m0:
                return Key("real", "truth", context=f"{month.value}: the planted Spring Festival trough {c['date']}")
    lines = s.facts.lines
    empty = _empty_days(lines)
    span = pd.date_range(lines["day"].min(), lines["day"].max())
    share_empty = pd.Series(span.isin(empty), index=span).groupby(span.day_of_week).mean()
    closed = set(share_empty[share_empty >= 0.8].index)
    unexplained = [d for d in empty if m0 <= d <= m1 and d.day_of_week not in closed]
    return Key("gap" if unexplained else "real", "recomputed",
               context=f"{month.value}: {len(unexplained)} empty day(s) outside closed weekdays")


def _count_empty_days(s: Session) -> Key:
    return Key(len(_empty_days(s.facts.lines)), "recomputed")


def _quantity_outliers(s: Session) -> Key:
    k = float(s.param("outlier_k") or 3.0)
    x = np.log1p(s.facts.shop.orders["quantity"].astype(float).to_numpy())
    q1, q3 = np.quantile(x, [0.25, 0.75])
    iqr = max(q3 - q1, math.log(2))
    n = int(((x > q3 + k * iqr) | (x < q1 - k * iqr)).sum())
    no_floor = int(((x > q3 + k * (q3 - q1)) | (x < q1 - k * (q3 - q1))).sum())
    return Key(n, "recomputed", parts={"no_floor": no_floor}, context=f"k = {k:g}")


# ---------------------------------------------------------------------------------------------- 00 shop at a glance
def _cur_base(s: Session) -> tuple[Any, Any]:
    p = s.periods()
    return p.current, p.baseline


def _period_gmv(s: Session) -> Key:
    cur, base = _cur_base(s)
    lines = s.facts.lines
    t = money_totals(in_days(lines, cur.start, cur.end))
    tb = money_totals(in_days(lines, base.start, base.end))
    return Key(t["gmv"], "recomputed", rel_tol=0.005,
               parts={"net_sales": t["net_sales"], "placed": t["placed"], "list_value": t["list_value"],
                      "baseline": tb["gmv"]}, context=f"period {_period_text(cur)}")


def _drivers(s: Session, start: Any, end: Any) -> dict[str, float]:
    t = money_totals(in_days(s.facts.lines, start, end))
    v = visitors_in(s.facts.table("traffic"), start, end)
    return {"visitors": v, "conversion_rate": t["orders"] / v if v else float("nan"),
            "aov": t["gmv"] / t["orders"] if t["orders"] else float("nan")}


def _conversion_change(s: Session) -> Key | Ungradable:
    if (u := _need(s, "traffic")) is not None:
        return u
    cur, base = _cur_base(s)
    c, b = _drivers(s, cur.start, cur.end), _drivers(s, base.start, base.end)
    if not (c["visitors"] and b["visitors"]):
        return Ungradable("a period without visitors in the traffic table")
    change = c["conversion_rate"] - b["conversion_rate"]
    return Key(change, "recomputed", abs_tol=max(0.0002, 0.05 * abs(change)),
               parts={"relative": change / b["conversion_rate"], "points": 100 * change},
               context=f"{_period_text(cur)} vs {_period_text(base)}")


def _biggest_driver(s: Session) -> Key | Ungradable:
    if (u := _need(s, "traffic")) is not None:
        return u
    cur, base = _cur_base(s)
    c, b = _drivers(s, cur.start, cur.end), _drivers(s, base.start, base.end)
    if not all(c[k] > 0 and b[k] > 0 for k in c):
        return Ungradable("a period without GMV, orders or visitors: no decomposition")
    logs = {k: math.log(c[k] / b[k]) for k in c}
    best = max(logs, key=lambda k: abs(logs[k]))
    return Key(best, "recomputed", parts=logs, context=f"{_period_text(cur)} vs {_period_text(base)}")


def _share_loser(s: Session) -> Key | Ungradable:
    cur, base = _cur_base(s)
    lines = s.facts.lines
    a = by_group(in_days(lines, cur.start, cur.end), "category")["gmv"]
    b = by_group(in_days(lines, base.start, base.end), "category")["gmv"]
    if a.sum() <= 0 or b.sum() <= 0:
        return Ungradable("no GMV in the period or its baseline")
    change = (a / a.sum()).sub(b / b.sum(), fill_value=0.0)
    growth = a.reindex(change.index, fill_value=0.0) / b.reindex(change.index) - 1
    return Key(str(change.idxmin()), "recomputed", parts={"gmv_loser": str(growth.idxmin())},
               context=f"{_period_text(cur)} vs {_period_text(base)}")


def _year_growth(s: Session, measure: str) -> pd.Series | None:
    f = s.facts
    end = f.last_day
    if (end - f.first_day).days + 1 < 728:
        return None
    lines = f.lines
    a = by_group(in_days(lines, end - pd.Timedelta(days=363), end), "category")[measure]
    b = by_group(in_days(lines, end - pd.Timedelta(days=727), end - pd.Timedelta(days=364)), "category")[measure]
    return (a / b.where(b > 0) - 1).dropna()


def _declining(s: Session) -> Key | Ungradable:
    t = s.facts.truth
    if t and t.get("declining_category"):
        return Key(t["declining_category"], "truth", context="the planted declining category")
    g = _year_growth(s, "gmv")
    if g is None or g.empty:
        return Ungradable("less than two years of orders: no year-on-year growth")
    return Key(str(g.idxmin()), "recomputed", context="GMV of the last 364 days vs the 364 before")


# ---------------------------------------------------------------------------------------------- 01 categories
def _review(s: Session) -> tuple[pd.DataFrame, Any, Any]:
    p = s.periods()
    lines = s.facts.lines
    cat = s.param("category")
    scoped = lines if cat is None else lines[lines["category"] == cat]
    return scoped, p.current, p.baseline


def _pareto_share(s: Session) -> Key | Ungradable:
    lines, cur, _ = _review(s)
    d = in_days(lines, cur.start, cur.end)
    gmv = d["value"].where(d["live"], 0.0).groupby(d["sku"]).sum().clip(lower=0)
    if gmv.sum() <= 0:
        return Ungradable("no sales in the review period")
    cum = gmv.sort_values(ascending=False).cumsum() / gmv.sum()
    k = int(np.argmax(cum.to_numpy() >= 0.8 - 1e-12)) + 1
    sold = int((gmv > 0).sum())
    return Key(k / len(gmv), "recomputed", abs_tol=0.005,
               parts={"count": k, "of_sold": k / sold if sold else float("nan"), "n": len(gmv)},
               context=f"{len(gmv)} SKUs with order lines in {_period_text(cur)}")


def _category_rate(s: Session, rate: str, pick: str) -> Key | Ungradable:
    p = s.periods()
    g = by_group(in_days(s.facts.lines, p.current.start, p.current.end), "category")[rate].dropna()
    if g.empty:
        return Ungradable("no sales (or no known costs) in the review period")
    best = g.idxmax() if pick == "max" else g.idxmin()
    other = g.drop(best)
    parts = {"runner_up": str(other.idxmax() if pick == "max" else other.idxmin()) if len(other) else None}
    return Key(str(best), "recomputed", parts=parts, context=f"the whole shop, {_period_text(p.current)}")


def _highest_returns(s: Session) -> Key | Ungradable:
    return _category_rate(s, "return_rate", "max")


def _lowest_margin(s: Session) -> Key | Ungradable:
    if s.facts.shop.products["unit_cost"].isna().all():
        return Ungradable("the products table has no unit costs")
    return _category_rate(s, "margin_rate", "min")


def _star(s: Session) -> Key | Ungradable:
    p = s.periods()
    lines = s.facts.lines
    a = by_group(in_days(lines, p.current.start, p.current.end), "category")["gmv"]
    b = by_group(in_days(lines, p.baseline.start, p.baseline.end), "category")["gmv"]
    if a.sum() <= 0:
        return Ungradable("no sales in the review period")
    leader = str(a.idxmax())
    prev = float(b.get(leader, 0.0))
    growth = a[leader] / prev - 1 if prev > 0 else math.inf
    return Key(leader if growth > 0 else "none", "recomputed", parts={"leader": leader},
               context=f"categories, {_period_text(p.current)} vs {_period_text(p.baseline)}")


def _stockout_days(s: Session) -> Key | Ungradable:
    if (u := _need(s, "inventory")) is not None:
        return u
    p = s.periods()
    inv = s.facts.table("inventory")
    cat = s.param("category")
    if cat is not None:
        keep = s.facts.shop.products.loc[s.facts.shop.products["category"] == cat, "sku"]
        inv = inv[inv["sku"].isin(set(keep))]
    d = in_days(inv, p.current.start, p.current.end, col="date")
    return Key(int((d["on_hand"] == 0).sum()), "recomputed", rel_tol=0.005,
               parts={"skus": int(d.loc[d["on_hand"] == 0, "sku"].nunique())},
               context=f"inventory rows of {_period_text(p.current)}")


# ---------------------------------------------------------------------------------------------- 02 campaigns
FESTIVAL_2024_618 = "CMP_2024_618"


def _planted_campaign(s: Session, cid: str) -> dict | Ungradable:
    t = s.facts.truth
    if not t:
        return Ungradable("the answer is known only for the sample shop (its planted truth); this shop has none")
    c = t.get("campaigns", {}).get(cid)
    if c is None:
        return Ungradable(f"no campaign {cid} in this shop's planted truth")
    return c


def planted_net_profit(s: Session, cid: str) -> float | Ungradable:
    """The planted net profit of campaign ``cid`` of the sample shop (truth.json plus the shop's prices and costs).

    Formula: ``incremental margin = realised_units × m_campaign − baseline_units × m_everyday``, ``net =
    incremental margin − pull_forward_units × m_everyday − marketing_spend``, with the planted units of
    ``truth.json`` and the margins per unit from the files: ``m_campaign`` = Σ (unit_price − unit_cost) ×
    quantity / Σ quantity over the campaign's lines, ``m_everyday`` the same over the scoped SKUs' lines of
    the 28 days before the start (cancelled lines left out).

    Parameters:
        s: the session (a sample shop with truth.json). cid: the campaign id.

    Returns:
        The net profit in the shop's currency, or :class:`Ungradable` without truth.
    """
    c = _planted_campaign(s, cid)
    if isinstance(c, Ungradable):
        return c
    lines = s.facts.lines
    live = lines[lines["live"]]
    window = live[live["campaign_id"] == cid]
    skus = set(window["sku"])
    start = pd.Timestamp(c["start"])
    pre = in_days(live[live["sku"].isin(skus)], start - pd.Timedelta(days=28), start - pd.Timedelta(days=1))

    def per_unit(d: pd.DataFrame) -> float:
        return float(((d["unit_price"] - d["unit_cost"]) * d["quantity"]).sum() / d["quantity"].sum())

    m_c, m_e = per_unit(window), per_unit(pre)
    inc = c["realised_units"] * m_c - c["baseline_units"] * m_e
    return inc - c["pull_forward_units"] * m_e - c["marketing_spend"]


def _did_618_pay(s: Session) -> Key | Ungradable:
    net = planted_net_profit(s, FESTIVAL_2024_618)
    if isinstance(net, Ungradable):
        return net
    return Key(bool(net > 0), "truth", parts={"net": net}, context=f"{FESTIVAL_2024_618}, planted units")


def _uplift_618(s: Session) -> Key | Ungradable:
    c = _planted_campaign(s, FESTIVAL_2024_618)
    if isinstance(c, Ungradable):
        return c
    return Key(float(c["realised_uplift_units"]), "truth", rel_tol=0.2,
               parts={"realised": float(c["realised_units"]), "pull_forward": float(c["pull_forward_units"])},
               context=f"{FESTIVAL_2024_618}: realised units minus the planted baseline")


def _cannibal_kind(s: Session) -> Key | Ungradable:
    t = s.facts.truth
    if t and t.get("campaigns"):
        kinds = frozenset(c["kind"] for c in t["campaigns"].values() if c.get("cannibalised_units", 0) > 0)
        if kinds:
            return Key(kinds, "truth", context="campaigns with planted cannibalisation")
    camp = s.facts.table("campaigns")
    if camp is None:
        return Ungradable("the shop has no campaigns table")
    kinds = frozenset(camp.loc[camp["scope_type"] == "sku", "kind"].astype(str))
    if not kinds:
        return Ungradable("no campaign of the shop covers part of a subcategory (scope sku)")
    return Key(kinds, "recomputed", context="campaign kinds whose scope is a list of SKUs (part of a subcategory)")


AB_BASE, AB_TARGET = 0.030, 0.033


def ab_visitors_per_arm(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Visitors per arm for a two-sided test of ``p1 -> p2``, by the arcsine formula (Cohen's h).

    Formula: ``h = 2 asin √p2 − 2 asin √p1``, ``n = 2 ((z_{1−α/2} + z_{power}) / h)²``. By hand for 3.0% ->
    3.3%: h = 2 (0.182673 − 0.174083) = 0.017181, z sum = 1.95996 + 0.84162 = 2.80158, n = 2 × (2.80158 /
    0.017181)² = 53,182.

    Parameters:
        p1, p2: the two conversion rates. alpha: two-sided level. power: 1 − β.

    Returns:
        The (unrounded) visitors per arm.

    Example:
        >>> round(ab_visitors_per_arm(0.10, 0.12)), round(ab_visitors_per_arm(0.030, 0.033))
        (3835, 53182)
    """
    h = 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)
    return 2 * (z / h) ** 2


def _ab_size(s: Session) -> Key:
    n = ab_visitors_per_arm(AB_BASE, AB_TARGET)
    one_sided = 2 * ((norm.ppf(0.95) + norm.ppf(0.8)) / (2 * math.asin(math.sqrt(AB_TARGET))
                                                          - 2 * math.asin(math.sqrt(AB_BASE)))) ** 2
    return Key(n, "recomputed", rel_tol=0.03, parts={"total": 2 * n, "one_sided": one_sided},
               context="3.0% -> 3.3%, two-sided α = 5%, power 80%")


# ---------------------------------------------------------------------------------------------- 03 forecasting
def _weekend_uplift(s: Session) -> Key | Ungradable:
    t = s.facts.truth
    if t and t.get("seasonality", {}).get("weekly"):
        w = t["seasonality"]["weekly"]
        return Key(float(np.mean(w[5:7]) / np.mean(w[0:5]) - 1), "truth", abs_tol=0.03,
                   context="the planted weekday multipliers")
    lines = s.facts.lines
    daily = lines[lines["live"]].groupby("day")["quantity"].sum()
    daily = daily.reindex(pd.date_range(daily.index.min(), daily.index.max()), fill_value=0)
    wd = daily.groupby(daily.index.day_of_week).mean()
    if len(wd) < 7 or wd.iloc[:5].mean() <= 0:
        return Ungradable("the shop does not sell on every weekday")
    return Key(float(wd.iloc[5:7].mean() / wd.iloc[:5].mean() - 1), "recomputed", abs_tol=0.03,
               context="mean units per weekday over the whole history")


def _fastest_growth(s: Session) -> Key | Ungradable:
    t = s.facts.truth
    if t and t.get("growing_category") in t.get("categories", {}):
        trend = t["categories"][t["growing_category"]]["trend_per_year"]
        return Key(math.exp(trend) - 1, "truth", abs_tol=0.08, context=f"the planted trend of {t['growing_category']}")
    g = _year_growth(s, "units")
    if g is None or g.empty:
        return Ungradable("less than two years of orders: no year-on-year growth")
    return Key(float(g.max()), "recomputed", abs_tol=0.08, context="units of the last 364 days vs the 364 before")


SIGMA_EXAMPLE = 40.0


def _safety_stock(s: Session) -> Key:
    lead, level = float(s.param("lead_time_days")), float(s.param("service_level"))
    z = float(norm.ppf(level))
    ss = z * SIGMA_EXAMPLE * math.sqrt(lead / 7)
    return Key(ss, "recomputed", rel_tol=0.01,
               parts={"two_sided": float(norm.ppf(1 - (1 - level) / 2)) * SIGMA_EXAMPLE * math.sqrt(lead / 7),
                      "no_sqrt": z * SIGMA_EXAMPLE * lead / 7, "no_lead": z * SIGMA_EXAMPLE},
               context=f"σ_w = {SIGMA_EXAMPLE:g}, L = {lead:g} days, service level {level:g}")


def order_subject(s: Session) -> dict | Ungradable:
    """The SKU of exercise 03.4 and the numbers its key uses (shown as the exercise's subject, not its answer).

    The SKU: among the 40 best sellers of the last 52 weeks (units; notebook 03 plans its top ``max_skus``), the
    best-selling one whose stock on the last inventory day covers less than two weeks of its median weekly
    units over the last 8 complete weeks.

    Parameters:
        s: the session (needs the inventory table).

    Returns:
        ``sku``, ``name``, ``on_hand``, ``median_weekly``, ``sigma_weekly`` (1.4826 × MAD of the 8 weeks), or
        :class:`Ungradable`.
    """
    if (u := _need(s, "inventory")) is not None:
        return u
    inv = s.facts.table("inventory")
    last = inv["date"].max()
    on_hand = inv.loc[inv["date"] == last].set_index("sku")["on_hand"]
    lines = s.facts.lines
    year = in_days(lines[lines["live"]], s.facts.last_day - pd.Timedelta(days=363), s.facts.last_day)
    top = year.groupby("sku")["quantity"].sum().sort_values(ascending=False, kind="stable").index[:40]
    for sku in top:
        w = weekly_units(lines, sku, s.facts.last_day, 8)
        med = float(w.median())
        stock = float(on_hand.get(sku, 0.0))
        if med > 0 and stock / med < 2:
            names = s.facts.shop.products.set_index("sku")["name"] if "name" in s.facts.shop.products else {}
            mad = float(np.median(np.abs(w - med)))
            return {"sku": sku, "name": str(names.get(sku, "")), "on_hand": stock, "median_weekly": med,
                    "sigma_weekly": 1.4826 * mad, "stock_date": last}
    return Ungradable("no best seller is short of stock (under two weeks of cover) on the last inventory day")


def _order_qty(s: Session) -> Key | Ungradable:
    sub = order_subject(s)
    if isinstance(sub, Ungradable):
        return sub
    lead, level = float(s.param("lead_time_days")), float(s.param("service_level"))
    d, sigma, stock = sub["median_weekly"], sub["sigma_weekly"], sub["on_hand"]
    ss = float(norm.ppf(level)) * sigma * math.sqrt(lead / 7)
    up_to = d * (lead / 7 + 1) + ss
    qty = max(0.0, math.ceil(up_to - stock))
    return Key(qty, "recomputed", rel_tol=0.3, abs_tol=3.0,
               parts={"order_up_to": up_to, "no_review": d * lead / 7 + ss - stock, "no_safety": d * (lead / 7 + 1) - stock},
               context=f"{sub['sku']}: on hand {stock:g} on {sub['stock_date']:%Y-%m-%d}; median of the last 8 weeks and "
                       "a robust σ (an independent, simple forecast: answers within 30% pass)")


# ---------------------------------------------------------------------------------------------- 05 customers
def _new_repeat(s: Session) -> Key | Ungradable:
    t = s.facts.truth
    if t and "new_repeat_rate_90d" in t.get("customers", {}):
        return Key(float(t["customers"]["new_repeat_rate_90d"]), "truth", abs_tol=0.005,
                   parts={"returning": float(t["customers"]["returning_repeat_rate_90d"])},
                   context="the realised rate of truth.json (its customers.definition)")
    lines = s.facts.lines
    if lines["customer_id"].isna().all():
        return Ungradable("the orders have no customer ids")
    r = first_order_repeat_rates(lines, s.facts.table("campaigns"))
    return Key(r["new"], "recomputed", abs_tol=0.005, parts={"returning": r["returning"]},
               context="first orders followed by another within 90 days")


def _campaign_repeat(s: Session) -> Key | Ungradable:
    t = s.facts.truth
    if t and "campaign_new_repeat_rate_90d" in t.get("customers", {}):
        c = t["customers"]
        return Key("less" if c["campaign_new_repeat_rate_90d"] < c["new_repeat_rate_90d"] else "more", "truth",
                   context="realised repeat rates of campaign-day and all first orders (truth.json)")
    camp = s.facts.table("campaigns")
    if camp is None:
        return Ungradable("the shop has no campaigns table")
    r = first_order_repeat_rates(s.facts.lines, camp)
    if not (np.isfinite(r.get("new_campaign", np.nan)) and np.isfinite(r.get("new_other", np.nan))):
        return Ungradable("no eligible first orders on (or off) campaign days")
    return Key("less" if r["new_campaign"] < r["new_other"] else "more", "recomputed",
               context="repeat within 90 days of first orders on vs off campaign days")


def _shrink_driver(s: Session) -> Key | Ungradable:
    t = s.facts.truth
    if t and t.get("declining_category"):
        # the planted trend scales a category's expected units, and the visitors follow expected units
        return Key("visitors", "truth", context=f"the planted trend of {t['declining_category']} acts on its demand, "
                                                "which the visitors follow")
    if (u := _need(s, "traffic")) is not None:
        return u
    g = _year_growth(s, "gmv")
    if g is None or g.empty:
        return Ungradable("less than two years of orders: no year-on-year growth")
    cat, end = str(g.idxmin()), s.facts.last_day
    lines = s.facts.lines[s.facts.lines["category"] == cat]
    spans = ((end - pd.Timedelta(days=363), end), (end - pd.Timedelta(days=727), end - pd.Timedelta(days=364)))
    now, then = ({"visitors": visitors_in(s.facts.table("traffic"), a, b, cat), **money_totals(in_days(lines, a, b))}
                 for a, b in spans)
    ratios = {"visitors": now["visitors"] / then["visitors"],
              "conversion_rate": (now["orders"] / now["visitors"]) / (then["orders"] / then["visitors"]),
              "aov": (now["gmv"] / now["orders"]) / (then["gmv"] / then["orders"])}
    return Key(min(ratios, key=lambda k: ratios[k]), "recomputed", context=f"{cat}, the last 364 days vs the 364 before")


def _guest_share(s: Session) -> Key | Ungradable:
    t = s.facts.truth
    if t and "guest_share" in t.get("customers", {}):
        return Key(float(t["customers"]["guest_share"]), "truth", abs_tol=0.005, context="share of orders without a "
                                                                                      "customer id (truth.json)")
    # each order's first line in the file (pandas' drop_duplicates), counted in SQL over the file
    o = s.facts.sql("""SELECT avg(CASE WHEN guest THEN 1.0 ELSE 0.0 END) AS guest FROM (
                           SELECT arg_min(customer_id IS NULL, __row) AS guest FROM orders GROUP BY order_id)""")
    return Key(float(o["guest"][0]), "recomputed", abs_tol=0.005,
               context="orders without a customer id / orders")


# ---------------------------------------------------------------------------------------------- 07 pricing
MARGIN_CATEGORY = "服饰"
MARGIN_DAYS = 91  # notebook 07's default review period (a quarter)


def _recent_margins(s: Session) -> tuple[float, float] | Ungradable:
    """(list margin, margin on the price paid) of the completed MARGIN_CATEGORY lines of the last MARGIN_DAYS days.

    One SQL query over the shop's order file (``ShopFacts.sql``): the lines never come into pandas.
    """
    f = s.facts
    products = f.shop.products
    ocols = set(f.sql("SELECT * FROM orders LIMIT 0").columns)
    if "list_price" not in ocols or "unit_cost" not in products.columns or "category" not in products.columns:
        return Ungradable("the shop has no list prices or unit costs: no list margin")
    end = f.last_day
    start, stop = end - pd.Timedelta(days=MARGIN_DAYS - 1), end + pd.Timedelta(days=1)
    cat = MARGIN_CATEGORY.replace("'", "''")
    row = f.sql(f"""
        WITH p AS (SELECT DISTINCT ON (sku) sku, category, CAST(unit_cost AS DOUBLE) AS unit_cost FROM products)
        SELECT coalesce(sum(o.quantity * o.list_price), 0) AS list_value,
               coalesce(sum(o.quantity * o.unit_price), 0) AS paid, coalesce(sum(o.quantity * p.unit_cost), 0) AS cogs
        FROM orders o JOIN p ON o.sku = p.sku
        WHERE o.status = 'completed' AND p.category = '{cat}' AND p.unit_cost IS NOT NULL
          AND o.order_ts >= TIMESTAMP '{start:%Y-%m-%d}' AND o.order_ts < TIMESTAMP '{stop:%Y-%m-%d}'""").iloc[0]
    list_value, paid, cogs = float(row["list_value"]), float(row["paid"]), float(row["cogs"])
    if list_value <= 0 or paid <= 0:
        return Ungradable(f"no completed {MARGIN_CATEGORY} lines with a cost in the last {MARGIN_DAYS} days")
    return 1 - cogs / list_value, 1 - cogs / paid


def _list_margin(s: Session) -> Key | Ungradable:
    recent = _recent_margins(s)
    parts = {"paid": recent[1]} if not isinstance(recent, Ungradable) else {}
    m = ((s.facts.truth or {}).get("categories", {}).get(MARGIN_CATEGORY, {}).get("margin"))
    if m is not None:
        return Key(float(m), "truth", abs_tol=0.02, parts=parts, context=f"the planted list margin of {MARGIN_CATEGORY}")
    if isinstance(recent, Ungradable):
        return recent
    return Key(recent[0], "recomputed", abs_tol=0.02, parts=parts,
               context=f"1 − Σ cost / Σ list price of the completed {MARGIN_CATEGORY} lines, last {MARGIN_DAYS} days")


PRICE_COST, PRICE_ELASTICITY = 60.0, -2.5


def _optimal_price(s: Session) -> Key:
    c, e = PRICE_COST, PRICE_ELASTICITY
    return Key(c * e / (1 + e), "recomputed", rel_tol=0.01, parts={"on_cost": c * (1 - 1 / e)},
               context="p* = c e / (1 + e) = 60 × 2.5 / 1.5")


def _growing(s: Session) -> Key | Ungradable:
    t = s.facts.truth
    if t and t.get("growing_category"):
        return Key(t["growing_category"], "truth", context="the planted growing category")
    g = _year_growth(s, "gmv")
    if g is None or g.empty:
        return Ungradable("less than two years of orders: no year-on-year growth")
    return Key(str(g.idxmax()), "recomputed", context="GMV of the last 364 days vs the 364 before")


WAR_CUT, WAR_CROSS = 0.10, 1.5


def _price_war_hold(s: Session) -> Key:
    change = (1 - WAR_CUT) ** WAR_CROSS - 1
    # ±0.2 points: −14.6% is right, the straight-line −15% (−X·x) is not
    return Key(change, "recomputed", abs_tol=0.002, parts={"linear": -WAR_CUT * WAR_CROSS},
               context="q = (1 − X)^x: 0.9^1.5 − 1")


def _price_cut(s: Session) -> Key | Ungradable:
    t = s.facts.truth
    cut = (t or {}).get("market", {}).get("price_cut")
    if cut:
        return Key(str(cut["category"]), "truth", context=f"the planted cut by {cut['competitor']}")
    missing = _need(s, "market")
    if missing:
        return missing
    m = s.facts.table("market")
    m = m[m["price_min"].isna() & m["avg_price"].notna()]
    own = m[m["competitor"].isna()].groupby(["period_start", "category"])["avg_price"].mean()
    comp = m[m["competitor"].notna()].set_index(["period_start", "category"])
    comp = comp.assign(index=comp["avg_price"] / own.reindex(comp.index).to_numpy()).reset_index()
    months = sorted(comp["period_start"].unique())
    if len(months) < 6:
        return Ungradable("fewer than 6 months of competitor prices in the market table")
    last = comp[comp["period_start"].isin(months[-3:])].groupby(["competitor", "category"])["index"].mean()
    before = comp[comp["period_start"].isin(months[-6:-3])].groupby(["competitor", "category"])["index"].mean()
    change = (last / before - 1).dropna()
    if change.empty or change.min() >= 0:
        return Ungradable("no competitor lowered its prices against the market in the last 3 months")
    return Key(str(change.idxmin()[1]), "recomputed",
               context="competitor / market average price, last 3 months vs the 3 before: the deepest fall")


# ---------------------------------------------------------------------------------------------- 06 operations
def _planted(s: Session, section: str, key: str, what: str) -> Any:
    t = s.facts.truth
    value = (t or {}).get(section, {}).get(key)
    if value is None:
        return Ungradable(f"{what} is known only for the sample shop (its planted truth); this shop has none")
    return value


def _late_effect(s: Session) -> Key | Ungradable:
    v = _planted(s, "fulfilment", "late_review_effect", "the planted late-delivery effect")
    if isinstance(v, Ungradable):
        return v
    return Key(float(v), "truth", abs_tol=0.15, parts={"raw": float(v)},
               context="the planted score distributions (late minus on time)")


def _peak_hours(s: Session) -> Key | Ungradable:
    v = _planted(s, "fulfilment", "peak_handling_extra_hours", "the planted peak-day delay")
    if isinstance(v, Ungradable):
        return v
    return Key(float(v), "truth", abs_tol=4.0, parts={"days": float(v) / 24}, context="planted extra handling hours")


def _slow_agent(s: Session) -> Key | Ungradable:
    t = s.facts.truth
    slow = (t or {}).get("service", {}).get("planted", {}).get("slow_agent")
    if slow:
        return Key(str(slow), "truth", context="the planted slow agent")
    svc = s.facts.table("service")
    if svc is None:
        return Ungradable("the shop has no service table")
    seconds = (svc["first_response_ts"] - svc["contact_ts"]).dt.total_seconds()
    share = (seconds <= 30).groupby(svc["agent"]).mean()
    if share.empty:
        return Ungradable("no service contacts with an agent")
    return Key(str(share.idxmin()), "recomputed", context="share of contacts answered within 30 s, whole history")


def _late_contacts(s: Session) -> Key | Ungradable:
    t = s.facts.truth
    v = (t or {}).get("service", {}).get("planted", {}).get("after_sale_per_100_orders", {}).get("late")
    if v is None:
        return Ungradable("the planted contact drivers are known only for the sample shop; this shop has none")
    return Key(float(v), "truth", abs_tol=4.0, context="planted extra after-sale contacts per 100 late orders")


# ---------------------------------------------------------------------------------------------- diagnostics
def _diag_gmv(a: Any, k: Key, s: Session) -> str | None:
    p = k.parts
    if close_to(a, p.get("net_sales"), 0.002):
        return "That is net sales 净销售额 (completed lines only). GMV 成交额 also counts lines that were returned later."
    if close_to(a, p.get("placed"), 0.002):
        return "Cancelled lines are never GMV: leave them out (returned lines stay in)."
    if close_to(a, p.get("list_value"), 0.002):
        return "GMV uses the price paid (unit_price), not the list price."
    if close_to(a, p.get("baseline"), 0.002):
        return "That is the baseline period 对比期; the question asks about the current period 本期."
    return None


def _diag_points(a: Any, k: Key, s: Session) -> str | None:
    if close_to(a, k.parts.get("relative"), 0.05):
        return "That is the relative change (%). Percentage points are current rate − baseline rate."
    if close_to(a, k.parts.get("points"), 0.05):
        return "Write the change as a fraction: −0.2 points is −0.002."
    if close_to(a, -float(k.value), 0.05):
        return "Check the sign: current − baseline."
    return None


def _diag_days(a: Any, k: Key, s: Session) -> str | None:
    if close_to(a, k.parts.get("exclusive"), 0, 0.5):
        return "Count both the first and the last day (inclusive)."
    if close_to(a, k.parts.get("weeks"), 0.02) or close_to(a, k.parts.get("months"), 0.05):
        return "The question asks for days, not weeks or months."
    return None


def _diag_month(a: Any, k: Key, s: Session) -> str | None:
    if a == k.parts.get("fewest_total"):
        return "You compared monthly totals. Divide each month's lines by its number of days."
    return None


def _diag_outliers(a: Any, k: Key, s: Session) -> str | None:
    if k.parts.get("no_floor") != k.value and close_to(a, k.parts.get("no_floor"), 0, 0.5):
        return "The fence's IQR has a floor of ln 2: with most quantities equal, Q3 − Q1 is 0."
    return None


def _diag_pareto(a: Any, k: Key, s: Session) -> str | None:
    if close_to(a, k.parts.get("count"), 0, 0.5):
        return "The question asks for a share of SKUs (k / n), not the number of SKUs."
    if close_to(a, k.parts.get("of_sold"), 0, 0.003) and not close_to(a, k.value, 0, 0.005):
        return "Divide by every SKU with order lines in the period (the SKU summary's rows), not only those with GMV."
    return None


def _diag_star(a: Any, k: Key, s: Session) -> str | None:
    if k.value == "none" and a == k.parts.get("leader"):
        return "It leads on share, but a star also needs growth against the baseline: check its growth."
    return None


def _diag_ab(a: Any, k: Key, s: Session) -> str | None:
    if close_to(a, k.parts.get("total"), 0.03):
        return "The question asks per arm; that looks like both arms together."
    if close_to(a, k.parts.get("one_sided"), 0.03):
        return "Use a two-sided test: z for α = 5% two-sided is 1.96."
    return None


def _diag_ss(a: Any, k: Key, s: Session) -> str | None:
    p = k.parts
    if close_to(a, p.get("two_sided"), 0.01):
        return "A service level is one-sided: z = Φ⁻¹(service level), e.g. 1.645 for 95%, not 1.96."
    if close_to(a, p.get("no_sqrt"), 0.01):
        return "Uncertainty grows with the square root of time: multiply σ by √(L / 7), not by L / 7."
    if close_to(a, p.get("no_lead"), 0.01):
        return "σ is per week; the lead time spans L / 7 weeks: scale by √(L / 7)."
    return None


def _diag_order(a: Any, k: Key, s: Session) -> str | None:
    p = k.parts
    if close_to(a, p.get("order_up_to"), 0.1) and not close_to(a, k.value, 0.3):
        return "That is the order-up-to level: subtract the stock you already have on hand."
    if close_to(a, p.get("no_review"), 0.1):
        return "The order must last until the next one arrives: lead time plus one review week."
    if close_to(a, p.get("no_safety"), 0.1):
        return "Add the safety stock, or you run out in every week that sells above the forecast."
    return None


# ---------------------------------------------------------------------------------------------- the registry
EXERCISES: tuple[Exercise, ...] = (
    Exercise("04.1", "How many days of order history does the shop have (first to last order day, inclusive)? "
             "店铺有多少天的订单历史？", "count", _history_days,
             ("Look at the first and last order day (`order_span`, or the coverage table).",
              "days = last day − first day + 1"), "a whole number of days, e.g. 365", diagnose=_diag_days),
    Exercise("04.2", "Which month of 2024 has the fewest order lines per day? 2024 年哪个月日均订单行最少？", "month",
             _fewest_month, ("Lines per day = order lines in the month / days in the month.",
                             "The coverage chart counts rows per month; compare per day, not per month."),
             "a month as 'YYYY-MM', e.g. '2024-07'", diagnose=_diag_month),
    Exercise("04.3", "Is that month low because of a hole in the export or a real slump? Answer 'gap' or 'real'. "
             "是数据缺口还是真实的淡季？", "choice", _gap_or_real,
             ("A hole in the export shows as days without any order (section 4, calendar gaps).",
              "Check the calendar: which holiday falls in that month in China?"), "'gap' or 'real'",
             options={"gap": "gap", "hole": "gap", "缺口": "gap", "数据缺失": "gap", "missing": "gap",
                      "real": "real", "真实": "real", "淡季": "real", "seasonal": "real", "cny": "real",
                      "春节": "real", "slump": "real"}),
    Exercise("04.4", "How many days between the first and the last order have no order at all? 有多少天没有任何订单？",
             "count", _count_empty_days, ("Section 4 lists every run of empty days (`dq.calendar_gaps`).",
                                          "Count days, not runs: a run of 3 empty days is 3 days."),
             "a whole number of days (0 is a valid answer)"),
    Exercise("04.5", "How many order lines does the outlier fence flag as extreme in quantity (k = outlier_k)? "
             "数量异常的订单行有多少？", "count", _quantity_outliers,
             ("Section 3: the `high` and `low` counts of the quantity row.", "Count both sides of the fence."),
             "a whole number of lines (0 is a valid answer)", diagnose=_diag_outliers),
    Exercise("00.1", "What was GMV in the current period? 本期 GMV 是多少？", "number", _period_gmv,
             ("GMV = Σ quantity × unit_price over lines not cancelled; see the KPI cards.",
              "Use the current period 本期 of this report (period_end, period_days)."),
             "a number in the shop's currency, e.g. 1234567.8 or '123.5万'", diagnose=_diag_gmv),
    Exercise("00.2", "By how many percentage points did the conversion rate change (current − baseline)? "
             "转化率变化了多少个百分点？", "number", _conversion_change,
             ("Conversion 转化率 = orders / visitors, in each period.",
              "Points are a difference of two rates: 3.2% − 3.0% = +0.2 points, written 0.002."),
             "a fraction: −0.002 means −0.2 percentage points", diagnose=_diag_points, needs=("traffic",)),
    Exercise("00.3", "Which driver moved GMV most (largest contribution, up or down): visitors, conversion_rate or "
             "aov? 哪个因素对 GMV 变化贡献最大？", "choice", _biggest_driver,
             ("Section 3: the waterfall; compare the sizes of the three bars, ignoring their sign.",
              "Each driver's contribution is L × ln(x₁ / x₀): the driver that changed most in relative terms."),
             "visitors, conversion_rate or aov", options=DRIVERS, needs=("traffic",)),
    Exercise("00.4", "Which category lost the most share of GMV against the baseline? 哪个品类的 GMV 占比下降最多？",
             "choice", _share_loser,
             ("Section 4: share change = current share − baseline share (a dot right of its bar).",
              "Share, not GMV: a category can grow and still lose share."), "a category name, e.g. 美妆",
             options=_categories),
    Exercise("00.5", "Over a year (the last 364 days against the 364 before), which category is shrinking? "
             "哪个品类在萎缩？", "choice", _declining,
             ("Run the report with period_days = 364: the category mix compares a year with the year before.",
              "Look for the category whose GMV fell, not the one whose share moved least."),
             "a category name, e.g. 美妆", options=_categories),
    Exercise("01.1", "What share of SKUs makes 80% of GMV in the review period? 多少比例的 SKU 贡献了 80% 的 GMV？",
             "share", _pareto_share,
             ("Section 1: the dotted line of the Pareto chart (`cat.share_of_skus_for`).",
              "k / n: the best-selling k SKUs whose cumulative share first reaches 80%, over all n SKUs."),
             "a fraction, e.g. 0.25 (or '25%')", diagnose=_diag_pareto),
    Exercise("01.2", "Which category has the highest return rate (by value) in the review period? 哪个品类退货率最高？",
             "choice", _highest_returns,
             ("Section 4: the margin table's return_rate per category (run with category = None).",
              "Return rate = (GMV − net sales) / GMV."), "a category name", options=_categories),
    Exercise("01.3", "Which category has the lowest gross margin rate in the review period? 哪个品类毛利率最低？",
             "choice", _lowest_margin,
             ("Section 4: margin_rate = gross margin / net sales (run with category = None).",
              "Low margin rate is not low margin: a big category can earn a lot at a thin rate."),
             "a category name", options=_categories),
    Exercise("01.4", "Which category is the star 明星 of the growth-share matrix (or 'none')? 哪个品类是明星？", "choice",
             _star, ("Section 3: a star leads its parent (relative share ≥ 1) and grows (growth > 0).",
                     "Only the category with the largest GMV can have a relative share ≥ 1."),
             "a category name, or 'none'", options=lambda s: _categories(s, {"none": "none", "无": "none",
                                                                             "没有": "none"}),
             diagnose=_diag_star),
    Exercise("01.5", "How many SKU-days were out of stock (end-of-day on hand = 0) in the review period? "
             "本期缺货的 SKU·天 有多少？", "count", _stockout_days,
             ("Section 5: `stock.health` has stockout_days per SKU; add them up.",
              "A SKU-day is one SKU on one day: 3 SKUs out for 2 days = 6."),
             "a whole number", needs=("inventory",)),
    Exercise("02.1", "Did the 2024 618 festival (CMP_2024_618) pay after pull-forward and marketing spend? "
             "2024 年 618 扣除透支和营销费用后赚钱了吗？", "yesno", _did_618_pay,
             ("Evaluate CMP_2024_618 (campaign_id) and read the money waterfall's last bar.",
              "Incremental margin already contains the discount; pull-forward and spend come off it."),
             "yes or no (True / False)"),
    Exercise("02.2", "How many incremental units did CMP_2024_618 add in its window? 2024 年 618 活动期的增量销量？",
             "number", _uplift_618,
             ("The counterfactual's window effect (`evaluation.effects`, segment 'window').",
              "Incremental = observed − counterfactual, not observed − the weeks before (the naive uplift)."),
             "a number of units"),
    Exercise("02.3", "Which kind of campaign takes sales from its sibling SKUs (cannibalisation): festival, "
             "flash_sale or coupon? 哪类活动会蚕食同类 SKU？", "choice", _cannibal_kind,
             ("Siblings are the SKUs of the same subcategory that are not on promotion.",
              "Which kind of campaign promotes only part of a subcategory? (the campaigns table's scope_type)"),
             "festival, flash_sale or coupon", options=KINDS_OF_CAMPAIGN),
    Exercise("02.4", "How many visitors per arm does an A/B test need to detect a conversion lift from 3.0% to 3.3% "
             "(two-sided α = 5%, power 80%)? A/B 测试每组需要多少访客？", "number", _ab_size,
             ("`abtest.sample_size_proportions(p1, p2)`.",
              "A 10% relative lift on a small rate needs a large sample: tens of thousands per arm."),
             "a number of visitors per arm", diagnose=_diag_ab),
    Exercise("03.1", "How much more does a weekend day sell than a weekday (mean Sat + Sun units / mean Mon–Fri − 1)? "
             "周末比工作日多卖多少？", "share", _weekend_uplift,
             ("Section 1: the weekly seasonal component, or the weekday effects of section 2.",
              "A ratio of two means minus 1: 1.10 / 1.00 − 1 = 0.10."), "a fraction, e.g. 0.05 (or '5%')"),
    Exercise("03.2", "By how much per year does the fastest-growing category grow (units)? 增长最快的品类每年增长多少？",
             "share", _fastest_growth,
             ("Run the decomposition with category set to each candidate; `trend_segments` gives growth_per_year.",
              "Year on year: units of the last 52 weeks / the 52 before − 1."), "a fraction, e.g. 0.15"),
    Exercise("03.3", "Safety stock for a SKU whose weekly forecast error σ_w is 40 units, with this notebook's "
             "lead_time_days and service_level? 安全库存是多少？", "number", _safety_stock,
             ("SS = z × σ_w × √(L / 7), z = Φ⁻¹(service level).", "`R.safety_stock(40, lead_time_days, service_level)`"),
             "a number of units", diagnose=_diag_ss),
    Exercise("03.4", "How many units of the SKU named by the check (a best seller short of stock) should you order "
             "this week? 这个 SKU 本周应该订多少件？", "number", _order_qty,
             ("Order up to: mean weekly demand × (L / 7 + 1 review week) + safety stock; then subtract on hand.",
              "Use a demand level that ignores the 双11 / 双12 spikes, and this notebook's lead time."),
             "a number of units", diagnose=_diag_order, needs=("inventory",)),
    Exercise("05.1", "What share of new customers order again within 90 days of their first order? "
             "新客 90 天复购率是多少？", "share", _new_repeat,
             ("Section 6: `cu.first_order_repeat(...)`, the row of first orders (new).",
              "Of first orders placed at least 90 days before the end, the share followed by another within 90 days."),
             "a fraction, e.g. 0.2", diagnose=lambda a, k, s: (
                 "That is the rate of repeat orders (returning), not of first orders." if close_to(
                     a, k.parts.get("returning"), 0, 0.005) and not close_to(a, k.value, 0, 0.005) else None)),
    Exercise("05.2", "Do customers acquired on campaign days repeat more or less than other new customers? "
             "Answer 'more' or 'less'. 大促拉来的新客复购更多还是更少？", "choice", _campaign_repeat,
             ("Section 6: the first-order repeat table has a row for first orders on campaign days.",
              "Compare campaign-day first orders with the other first orders."), "'more' or 'less'",
             options={"more": "more", "higher": "more", "更多": "more", "多": "more", "less": "less", "lower": "less",
                      "fewer": "less", "更少": "less", "少": "less"}),
    Exercise("05.3", "The shrinking category of 00.5: over a year, is it losing visitors, conversion_rate or aov? "
             "萎缩品类丢的是流量、转化还是客单价？", "choice", _shrink_driver,
             ("Section 1: the funnel by category, for the last 364 days and the 364 before (period_days = 364).",
              "GMV = visitors × conversion × AOV: which of the three fell most for that category?"),
             "visitors, conversion_rate or aov", options=DRIVERS, needs=("traffic",)),
    Exercise("05.4", "What share of orders are guest orders (no customer id)? 游客订单占比是多少？", "share", _guest_share,
             ("Section 0: the guest line (`cu.guest_summary`).", "Guest orders / all orders, as a fraction."),
             "a fraction, e.g. 0.03"),
    Exercise("06.1", "By how many points does a late delivery change the review score, with category, carrier and "
             "month held fixed? 迟到让评分变化多少分？", "number", _late_effect,
             ("Section 4: `ops.late_review_effect(data)`; its estimate, not the raw gap between the two bars.",
              "A change in points of a 1-5 score: negative when late parcels get worse reviews."),
             "a number of score points, e.g. −0.3", diagnose=lambda a, k, s: (
                 "Check the sign: late deliveries lower the score." if close_to(a, -float(k.value), 0.2) else None)),
    Exercise("06.2", "How many extra hours of handling does a peak (campaign) day add, controlling for weekday, "
             "month and warehouse? 大促日多出多少小时处理时长？", "number", _peak_hours,
             ("Section 3, peak days: `ops.peak_handling_delay(data)` — the estimate on the right of the chart.",
              "Handling = shipped − paid, in hours, not days."), "a number of hours",
             diagnose=lambda a, k, s: ("In hours, not days: multiply by 24." if close_to(a, k.parts["days"], 0.25)
                                       else None)),
    Exercise("06.3", "Which customer-service agent answers far fewer contacts within 30 seconds than the others? "
             "哪位客服首响明显偏慢？", "choice", _slow_agent,
             ("Section 5: `ops.service_levels(data, \"agent\", ...)`, column within_sla.",
              "Compare the agents' shares answered within the SLA, not their number of contacts."),
             "an agent's name, e.g. 客服01",
             options=lambda s: ({str(a): str(a) for a in s.facts.table("service")["agent"].dropna().unique()}
                                if s.facts.table("service") is not None else {})),
    Exercise("06.4", "How many extra after-sale contacts per 100 orders does a late delivery cause? "
             "每 100 单迟到订单多出多少售后咨询？", "number", _late_contacts,
             ("Section 5: `ops.contact_drivers(data)`, the 'delivered late' bar.",
              "Per 100 orders, with the other drivers (returns, lost parcels) held fixed."),
             "a number of contacts per 100 orders", needs=("service",)),
    Exercise("07.1", f"What is the list margin of {MARGIN_CATEGORY} (1 − cost / list price of the units kept)? "
             f"{MARGIN_CATEGORY}的标价毛利率是多少？", "share", _list_margin,
             ("Section 3: the cost structure's line for the category (`pricing.cost_structure`).",
              "List margin = 1 − Σ cost / Σ list price over completed lines; the price paid comes later in the "
              "waterfall."), "a fraction, e.g. 0.45 or '45%'",
             diagnose=lambda a, k, s: ("That margin is on the price paid; the list margin divides by the list price."
                                       if close_to(a, k.parts.get("paid"), 0, 0.01) else None)),
    Exercise("07.2", f"What price maximises the margin of a product with unit cost ¥{PRICE_COST:g} and elasticity "
             f"{PRICE_ELASTICITY:g}? 利润最大化的价格是多少？", "number", _optimal_price,
             ("The Lerner rule: (p − c) / p = −1 / e; `pricing.optimal_price(e, c)`.",
              "Solve (p − c) / p = 1 / 2.5 for p."), "a price, e.g. 75",
             diagnose=lambda a, k, s: ("The rule is on the price, not on the cost: (p − c) / p, not (p − c) / c."
                                       if close_to(a, k.parts["on_cost"], 0.01) else None)),
    Exercise("07.3", "Which category is gaining share of the shop year after year? 哪个品类份额逐年上升？", "choice",
             _growing, ("Section 5: the share trend of the categories (`pricing.share_trend`).",
                        "A rising share means it grows faster than the shop, not just that it grows."),
             "a category name", options=_categories),
    Exercise("07.4", f"A competitor cuts its price by {WAR_CUT:.0%}; the cross elasticity is {WAR_CROSS:g}. If we hold "
             "our price, by how much do our units change? 竞品降价 10%，我们不动价，销量变化多少？", "share", _price_war_hold,
             ("Our units × (1 − X)^x with X the competitor's cut and x the cross elasticity "
              "(`pricing.price_war`, the 'hold' scenario).", "A fall is negative: write −0.05 for 5% fewer units."),
             "a fraction, e.g. −0.05", diagnose=lambda a, k, s: (
                 "That is the straight-line approximation −X·x; the model is multiplicative: (1 − X)^x − 1."
                 if close_to(a, k.parts["linear"], 0.01) else None)),
    Exercise("07.5", "In which category did a competitor just cut its prices against the market? "
             "竞店在哪个品类刚刚降价？", "choice", _price_cut,
             ("Section 6: the competitor moves table (`pricing.competitor_moves`).",
              "Compare each competitor's price with the market's price, recent months against the months before."),
             "a category name", options=_categories, needs=("market",)),
)

_BY_ID: dict[str, Exercise] = {e.id: e for e in EXERCISES}


def exercise(exercise_id: str) -> Exercise:
    """The exercise ``exercise_id`` (``"01.2"``); ``KeyError`` listing the chapter's exercises when unknown.

    Parameters:
        exercise_id: chapter and number, e.g. ``"00.1"``.

    Returns:
        The :class:`Exercise`.

    Example:
        >>> exercise("00.1").kind
        'number'
    """
    ex = _BY_ID.get(str(exercise_id))
    if ex is None:
        same = [e.id for e in EXERCISES if e.chapter == str(exercise_id).split(".")[0]]
        raise KeyError(f"no exercise {exercise_id!r}; " + (f"chapter exercises: {', '.join(same)}" if same else
                                                          f"exercises: {', '.join(_BY_ID)}"))
    return ex


def chapter_exercises(chapter: str) -> list[Exercise]:
    """The exercises of one chapter (notebook number), in order.

    Parameters:
        chapter: ``"00"`` .. ``"07"``.

    Returns:
        The chapter's exercises.

    Example:
        >>> [e.id for e in chapter_exercises("04")][:2]
        ['04.1', '04.2']
    """
    return [e for e in EXERCISES if e.chapter == str(chapter)[:2]]
