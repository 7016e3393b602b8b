"""Price decisions from an elasticity: the margin-maximising price, the profit curve, a price war.

All three use **constant-elasticity demand through today's point**: at price ``p`` a SKU (or a
category, every SKU's price moved by the same factor ``k``) sells ``q(p) = q0 (p / p0)^e``, and the
contribution is ``(p - c) q(p)`` with ``c`` the unit cost. From that:

* **the optimum** solves ``d/dp (p - c) p^e = 0``: ``(p* - c) / p* = -1 / e`` (the Lerner rule), i.e.
  ``p* = c e / (1 + e)`` — only for elastic demand, ``e < -1``. When ``|e| <= 1`` every price rise
  adds profit under the model (volume falls by less than the margin gains), so the optimum is the
  upper bound you allow; in practice that means the elasticity will not stay that low as the price
  rises, and the bound is the decision. For a category: ``k* = (C / R) e / (1 + e)``, with ``R`` and
  ``C`` today's revenue and cost of goods, the same rule on the category's margin;
* **the profit curve** ``(p - c) q0 (p / p0)^e`` on a grid around today's price;
* **a price war**: a competitor cuts its price by ``X``; with the cross elasticity ``x`` our volume at
  an unchanged price falls to ``(1 - X)^x``. Because that factor multiplies demand at every price,
  it does not move our best price: holding (or moving to the optimum) stays best, matching the cut
  only restores volume at a lower margin. Reported: the volume and profit impact of holding, the cut
  that restores our volume ``r = 1 - (1 - X)^(-x / e)``, the break-even cut (the largest cut that still
  earns as much as holding: ``(p0 (1 - r) - c) (1 - r)^e = p0 - c``) and the best response.

These are model statements: they hold for moderate moves around prices where the elasticity was
measured (the bounds), not for doubling a price.

Example:
    >>> float(optimal_price(-2.0, 50.0))     # (p - 50) / p = 1/2
    100.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from opslib.kpi import Term
from opslib.pricing.panel import PricingError

__all__ = ["PriceDecisions", "PriceWar", "current_prices", "optimal_price", "price_decisions", "price_war",
           "profit_curve"]


def _arr(x: float | Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    return np.asarray(x, dtype=float)


def optimal_price(elasticity: float | Sequence[float] | np.ndarray, unit_cost: float | Sequence[float] | np.ndarray,
                  lower: float | Sequence[float] | np.ndarray | None = None,
                  upper: float | Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """Margin-maximising price under constant elasticity, within ``[lower, upper]``.

    Formula: ``p* = c e / (1 + e)`` for ``e < -1`` (so that ``(p* - c) / p* = -1 / e``), clipped to the
    bounds (profit is single-peaked in ``p`` for ``p > c``, so the clipped value is the bounded optimum);
    for ``e >= -1`` profit rises with price for ever, so ``p* = upper``.

    Parameters:
        elasticity: own-price elasticity (negative). unit_cost: cost per unit (>= 0; NaN = unknown -> NaN).
        lower, upper: bounds on the price (same unit as the cost); ``upper`` is required where ``e >= -1``.

    Returns:
        Array of prices (0-d for scalar input).

    Example (e = -3, c = 60: p* = 60 * 3 / 2 = 90, margin 30 / 90 = 1/3 = -1/e; e = -0.8: the bound):
        >>> optimal_price([-3.0, -0.8], [60.0, 60.0], upper=[200.0, 200.0]).tolist()
        [90.0, 200.0]
    """
    e, c = np.broadcast_arrays(_arr(elasticity), _arr(unit_cost))
    if np.any(c < 0):
        raise PricingError("unit_cost must be >= 0 (a negative cost is a data error); got "
                           f"{c[c < 0].ravel()[:5].tolist()}")
    lo = np.broadcast_to(_arr(-np.inf if lower is None else lower), e.shape)
    hi = np.broadcast_to(_arr(np.inf if upper is None else upper), e.shape)
    if np.any(lo > hi):
        raise PricingError("lower bound above the upper bound")
    elastic = e < -1
    with np.errstate(divide="ignore", invalid="ignore"):
        free = np.where(elastic, c * e / (1 + e), np.inf)
    inelastic_unbounded = ~elastic & np.isfinite(e) & ~np.isfinite(hi) & np.isfinite(c)
    if np.any(inelastic_unbounded):
        raise PricingError(f"demand is inelastic (elasticity {e[inelastic_unbounded].ravel()[:3].tolist()} >= -1): "
                           "under constant elasticity profit keeps rising with the price, so the optimum is the "
                           "upper bound — give `upper` (e.g. today's price + 10%)")
    out = np.clip(free, lo, hi)
    return np.where(np.isfinite(e) & np.isfinite(c), out, np.nan)


def profit_curve(elasticity: float, unit_cost: float, price: float, units: float, *, lower: float = 0.7,
                 upper: float = 1.3, n: int = 61) -> pd.DataFrame:
    """Units, revenue and profit at prices from ``lower`` to ``upper`` times today's price (a frame to draw).

    Formula: ``q(p) = units (p / price)^e``, revenue ``p q``, profit ``(p - c) q``, margin ``(p - c) / p``.
    The grid includes today's price (``is_today``) and the bounded optimum (``is_optimum``).

    Parameters:
        elasticity, unit_cost: as in :func:`optimal_price`. price, units: today's price and units.
        lower, upper: grid range relative to today's price. n: grid points.

    Returns:
        DataFrame ``price, price_change, units, revenue, profit, margin, is_today, is_optimum``.

    Example (e = -2, c = 60, today 100 x 1,000 units; optimum 120 at 1.2x, profit 60 * 694.4 = 41,667):
        >>> cur = profit_curve(-2.0, 60.0, 100.0, 1000.0, lower=0.8, upper=1.2, n=5)
        >>> cur[["price", "units", "profit"]].round(1).values.tolist()
        [[80.0, 1562.5, 31250.0], [90.0, 1234.6, 37037.0], [100.0, 1000.0, 40000.0], [110.0, 826.4, 41322.3], [120.0, 694.4, 41666.7]]
    """
    if price <= 0 or units < 0 or not 0 < lower <= 1 <= upper or n < 2:
        raise PricingError(f"profit_curve needs price > 0, units >= 0, 0 < lower <= 1 <= upper and n >= 2; got "
                           f"price={price}, units={units}, lower={lower}, upper={upper}, n={n}")
    best = float(optimal_price(elasticity, unit_cost, lower * price, upper * price))
    grid = np.unique(np.r_[np.linspace(lower, upper, n) * price, price, best])
    q = units * (grid / price) ** elasticity
    out = pd.DataFrame({"price": grid, "price_change": grid / price - 1, "units": q, "revenue": grid * q,
                        "profit": (grid - unit_cost) * q, "margin": (grid - unit_cost) / grid})
    out["is_today"] = np.isclose(grid, price, rtol=1e-12)
    out["is_optimum"] = np.isclose(grid, best, rtol=1e-12)
    return out


def current_prices(panel: pd.DataFrame, by: str | None = "category", last_weeks: int = 13) -> pd.DataFrame:
    """Today's revenue, cost of goods, units and list value per group, over the panel's last weeks.

    Formula (weeks ``t`` in the last ``last_weeks`` of the panel): ``revenue = sum revenue``, ``units =
    sum units``, ``list_value = sum list_value``, ``cogs = sum units * unit_cost`` over SKUs with a known
    cost; ``cost_coverage`` = revenue share of those SKUs, ``cost_ratio = cogs / revenue`` on them;
    ``price = revenue / units``, ``discount = 1 - revenue / list_value``.

    Parameters:
        panel: :func:`opslib.pricing.weekly_price_panel` output. by: group column or None (all).
        last_weeks: window length.

    Returns:
        DataFrame ``[by], revenue, units, list_value, cogs, cost_coverage, cost_ratio, price, discount``.

    Example:
        >>> p = pd.DataFrame({"week": pd.to_datetime(["2024-01-01"] * 2), "category": "美妆", "units": [2.0, 1.0],
        ...                   "revenue": [180.0, 50.0], "list_value": [200.0, 50.0], "unit_cost": [40.0, 20.0]})
        >>> current_prices(p).round(4).values.tolist()   # cogs 2*40 + 20 = 100 on revenue 230
        [['美妆', 230.0, 3.0, 250.0, 100.0, 1.0, 0.4348, 76.6667, 0.08]]
    """
    need = {"week", "units", "revenue", "list_value", "unit_cost"} | ({by} if by else set())
    missing = sorted(need - set(panel.columns))
    if missing:
        raise PricingError(f"price panel: missing column(s) {', '.join(missing)} for current prices")
    weeks = pd.to_datetime(panel["week"])
    recent = panel[weeks > weeks.max() - pd.Timedelta(weeks=last_weeks)].copy()
    recent["_g"] = recent[by].astype(str) if by else "all"
    known = recent["unit_cost"].notna()
    recent["_cogs"] = np.where(known, recent["units"] * recent["unit_cost"], 0.0)
    recent["_rev_known"] = np.where(known, recent["revenue"], 0.0)
    g = recent.groupby("_g")
    out = pd.DataFrame({"revenue": g["revenue"].sum(), "units": g["units"].sum(), "list_value": g["list_value"].sum(),
                        "cogs": g["_cogs"].sum()})
    rev_known = g["_rev_known"].sum()
    out["cost_coverage"] = rev_known / out["revenue"].where(out["revenue"] > 0)
    out["cost_ratio"] = out["cogs"] / rev_known.where(rev_known > 0)
    out["price"] = out["revenue"] / out["units"].where(out["units"] > 0)
    out["discount"] = 1 - out["revenue"] / out["list_value"].where(out["list_value"] > 0)
    return out.rename_axis(by or "group").reset_index()


@dataclass
class PriceDecisions:
    """Per group: today's margin and discount, the margin-maximising price change within the bounds.

    ``table`` columns: group, ``elasticity``, ``low``, ``high``, ``regime`` (``elastic`` /
    ``inelastic`` / ``no response`` for e >= 0), ``margin_now`` (1 - C/R), ``margin_target`` (-1/e, the unbounded Lerner margin),
    ``price_change`` (k* - 1 within the bounds), ``price_change_free`` (unbounded), ``bound``
    (``upper`` / ``lower`` / empty), ``price_change_at_low`` / ``_at_high`` (same at the interval
    ends of the elasticity), ``discount_now``, ``discount_target`` (off list at k*), ``units_change``,
    ``revenue_change``, ``profit_now``, ``profit_target``, ``profit_change``, ``decision`` (a sentence).
    """

    by: str
    table: pd.DataFrame
    max_increase: float
    max_decrease: float

    def summary(self) -> pd.DataFrame:
        """The decision table (a copy)."""
        return self.table.copy()

    def plot(self, group: str, ax=None):  # noqa: ANN001, ANN201 (matplotlib types)
        """The group's profit curve (profit index vs price index), today's point and the bounded optimum."""
        import matplotlib.pyplot as plt

        row = self.table.loc[self.table[self.by] == group]
        if row.empty:
            raise KeyError(f"no decision for {group!r}")
        r = row.iloc[0]
        if not np.isfinite(r["elasticity"]) or not np.isfinite(r["cost_ratio"]):
            raise PricingError(f"{group}: no elasticity or no unit cost — no profit curve to draw")
        lo, hi = 1 - self.max_decrease, 1 + self.max_increase
        cur = profit_curve(r["elasticity"], r["cost_ratio"], 1.0, 1.0, lower=max(lo - 0.1, 0.05), upper=hi + 0.1)
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        ax.plot(cur["price"], cur["profit"] / (1 - r["cost_ratio"]), color="#0173b2")
        ax.axvspan(lo, hi, color="#949494", alpha=0.12, label="允许范围 allowed range")
        k = 1 + r["price_change"]
        ax.scatter([1.0, k], [1.0, (k - r["cost_ratio"]) * k ** r["elasticity"] / (1 - r["cost_ratio"])],
                   color=["#4d4d4d", "#d55e00"], zorder=3)
        ax.set_xlabel("价格指数 price index (today = 1)")
        ax.set_ylabel("毛利指数 profit index (today = 1)")
        ax.set_title(f"{group}: e = {r['elasticity']:.2f}, {r['decision']}", fontsize=9)
        ax.legend(loc="lower center")
        return ax


def _category_multiplier(e: float, cost_ratio: float, lo: float, hi: float) -> tuple[float, float]:
    """(bounded k*, unbounded k*) for profit k^e (k - cost_ratio); unbounded = inf when e >= -1."""
    free = cost_ratio * e / (1 + e) if e < -1 else np.inf
    return float(np.clip(free, lo, hi)), float(free)


def price_decisions(elasticities: pd.DataFrame | object, prices: pd.DataFrame, *, by: str = "category",
                    max_increase: float = 0.15, max_decrease: float = 0.30) -> PriceDecisions:
    """The margin-maximising category price change from the elasticity and today's cost ratio, within bounds.

    Formula: moving every price of the group by ``k`` gives profit ``k^e (k R - C)``; its maximum is
    ``k* = (C / R) e / (1 + e)`` for ``e < -1`` (the group margin ``(k*R - C)/(k*R) = -1/e``), clipped to
    ``[1 - max_decrease, 1 + max_increase]``; for ``-1 <= e < 0`` it is the upper bound (said in
    ``decision``), for ``e >= 0`` (no measured response) there is no recommendation. Units change
    ``k^e - 1``, revenue ``k^(1+e) - 1``, profit ``k^e (kR - C)`` vs ``R - C``; the discount off list at
    ``k*`` is ``1 - k* R / L``.

    Parameters:
        elasticities: an :class:`~opslib.pricing.ElasticityResult` or a frame with ``[by, elasticity]``
            (and optionally ``low, high``). prices: :func:`current_prices` output (``revenue, cogs,
            list_value, cost_ratio``). by: group column. max_increase, max_decrease: bounds on the move.

    Returns:
        :class:`PriceDecisions`.

    Example (R = 1,000, C = 600, e = -2: k* = 0.6 * 2 = 1.2, bounded at +15%; profit 1.15^-2 * 550 = 415.9):
        >>> el = pd.DataFrame({"category": ["美妆"], "elasticity": [-2.0]})
        >>> pr = pd.DataFrame({"category": ["美妆"], "revenue": [1000.0], "cogs": [600.0], "list_value": [1250.0],
        ...                    "cost_ratio": [0.6]})
        >>> t = price_decisions(el, pr).summary()
        >>> t[["price_change", "price_change_free", "bound", "profit_now", "profit_target"]].round(2).values.tolist()
        [[0.15, 0.2, 'upper', 400.0, 415.88]]
    """
    if not (0 <= max_decrease < 1 and max_increase >= 0):
        raise PricingError(f"bounds must satisfy 0 <= max_decrease < 1 and max_increase >= 0, got {max_decrease}, "
                           f"{max_increase}")
    est = elasticities.summary() if hasattr(elasticities, "summary") else pd.DataFrame(elasticities)
    for name, frame, cols in (("elasticities", est, [by, "elasticity"]),
                              ("prices", prices, [by, "revenue", "cogs", "list_value", "cost_ratio"])):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise PricingError(f"{name}: missing column(s) {', '.join(missing)}")
    for c in ("low", "high"):
        if c not in est:
            est = est.assign(**{c: np.nan})
    t = est[[by, "elasticity", "low", "high"]].merge(prices, on=by, how="inner")
    lo, hi = 1 - max_decrease, 1 + max_increase
    rows = []
    for r in t.itertuples(index=False):
        e, cr, rev, lst = float(r.elasticity), float(r.cost_ratio), float(r.revenue), float(r.list_value)
        regime = "elastic" if e < -1 else "inelastic" if e < 0 else "no response"
        row: dict = {"regime": regime, "margin_now": 1 - cr, "margin_target": -1 / e if e < -1 else np.nan}
        if not (np.isfinite(e) and np.isfinite(cr)) or e >= 0:
            row.update(decision="no elasticity" if not np.isfinite(e) else
                       "no unit cost: cannot price for margin" if not np.isfinite(cr) else
                       f"no negative price response measured (e = {e:+.2f}): the data cannot guide a price "
                       "move; test prices instead (opslib.abtest)")
            rows.append(row)
            continue
        k, free = _category_multiplier(e, cr, lo, hi)
        at = {name: (_category_multiplier(float(v), cr, lo, hi)[0] - 1) if np.isfinite(v) else np.nan
              for name, v in (("price_change_at_low", r.low), ("price_change_at_high", r.high))}
        bound = "upper" if k >= hi - 1e-12 and free > hi else "lower" if k <= lo + 1e-12 and free < lo else ""
        profit_now = rev * (1 - cr)
        profit_t = k ** e * (k * rev - cr * rev)
        if e >= -1:
            decision = (f"inelastic (e = {e:.2f} >= -1): profit rises with price under the model; raise to the bound "
                        f"(+{max_increase:.0%}) and re-measure")
        elif bound:
            decision = f"{'raise' if k > 1 else 'cut'} to the {bound} bound ({k - 1:+.1%}; free optimum {free - 1:+.1%})"
        else:
            decision = f"{'raise' if k > 1 else 'cut'} prices {k - 1:+.1%} (target margin {-1 / e:.1%})"
        row.update(price_change=k - 1, price_change_free=free - 1, bound=bound, **at,
                   discount_now=1 - rev / lst if lst > 0 else np.nan,
                   discount_target=1 - k * rev / lst if lst > 0 else np.nan, units_change=k ** e - 1,
                   revenue_change=k ** (1 + e) - 1, profit_now=profit_now, profit_target=profit_t,
                   profit_change=profit_t / profit_now - 1 if profit_now > 0 else np.nan, decision=decision)
        rows.append(row)
    table = pd.concat([t[[by, "elasticity", "low", "high", "cost_ratio"]].reset_index(drop=True),
                       pd.DataFrame(rows)], axis=1)
    return PriceDecisions(by, table, max_increase, max_decrease)


@dataclass
class PriceWar:
    """A competitor's price cut and our responses: ``scenarios`` (named rows) and ``curve`` (every cut)."""

    scenarios: pd.DataFrame
    curve: pd.DataFrame
    message: str

    def summary(self) -> pd.DataFrame:
        """The scenarios: hold, match, restore volume, break-even, best response (one row each)."""
        return self.scenarios.copy()

    def plot(self, ax=None):  # noqa: ANN001, ANN201 (matplotlib types)
        """Profit after the competitor's cut against our own cut, with the scenarios marked."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        ax.plot(self.curve["our_cut"], self.curve["profit"], color="#0173b2")
        pre = float(self.scenarios["profit"].iloc[0] / (1 + self.scenarios["profit_change"].iloc[0]))
        ax.axhline(pre, color="#949494", ls="--", lw=1, label="战前毛利 profit before the cut")
        for s in self.scenarios.itertuples(index=False):
            ax.scatter([s.our_cut], [s.profit], zorder=3)
            ax.annotate(s.scenario, (s.our_cut, s.profit), fontsize=8, xytext=(4, 4), textcoords="offset points")
        ax.set_xlabel("我方降价 our price cut")
        ax.set_ylabel("毛利 profit")
        ax.legend()
        return ax


def price_war(own_elasticity: float, cross_elasticity: float, price: float, unit_cost: float, units: float,
              competitor_cut: float, *, max_cut: float = 0.5, n: int = 101) -> PriceWar:
    """Volume and margin impact of a competitor's price cut, and our responses.

    Formula: our units at our cut ``r`` after the competitor's cut ``X``:
    ``q(r) = units (1 - r)^e (1 - X)^x``; profit ``(price (1 - r) - c) q(r)``. Scenarios: **hold** (r = 0),
    **match** (r = X), **restore volume** ``r = 1 - (1 - X)^(-x/e)``, **break-even** the largest r with
    ``(price (1 - r) - c)(1 - r)^e = price - c`` (cuts up to it earn at least as much as holding; 0 when
    today's price is at or below the optimum), **best** ``r* = 1 - p*/price`` (the optimum of
    :func:`optimal_price`, within ``[0, max_cut]``: the competitor's cut does not move it).

    Parameters:
        own_elasticity (e < 0), cross_elasticity (x, > 0 for a substitute), price, unit_cost, units: ours
            today. competitor_cut: X in [0, 1). max_cut: largest own cut considered. n: curve points.

    Returns:
        :class:`PriceWar` (``scenarios`` columns ``scenario, our_cut, price, units, units_change, margin,
        profit, profit_change`` vs before the war).

    Example (e = -2, x = 0.5, price 150, cost 60, 1,000 units; competitor -10%):
        >>> w = price_war(-2.0, 0.5, 150.0, 60.0, 1000.0, 0.10).summary()
        >>> w[["scenario", "our_cut"]].round(4).values.tolist()
        [['hold', 0.0], ['match', 0.1], ['restore volume', 0.026], ['break-even', 0.3333], ['best', 0.2]]

    By hand: holding keeps 0.9^0.5 = 94.9% of the volume; restoring it needs (1 - r)^-2 = 0.9^-0.5, r =
    1 - 0.9^0.25 = 0.026; p* = 60 * 2 = 120 is a 20% cut; break-even solves (150u - 60)/u^2 = 90 with
    u = 1 - r: 3u^2 - 5u + 2 = 0, u = 2/3.
    """
    e, x, p0, c, q0, big_x = (float(v) for v in (own_elasticity, cross_elasticity, price, unit_cost, units,
                                                 competitor_cut))
    if not (0 <= big_x < 1) or p0 <= 0 or q0 < 0 or c < 0 or not 0 < max_cut < 1:
        raise PricingError(f"price_war needs 0 <= competitor_cut < 1, price > 0, units >= 0, unit_cost >= 0 and "
                           f"0 < max_cut < 1; got {competitor_cut}, {price}, {units}, {unit_cost}, {max_cut}")
    if not e < 0:
        raise PricingError(f"own_elasticity must be negative, got {own_elasticity}")
    war = (1 - big_x) ** x

    def profit(r: float | np.ndarray) -> float | np.ndarray:
        return (p0 * (1 - r) - c) * q0 * (1 - r) ** e * war

    restore = 1 - (1 - big_x) ** (-x / e)
    best = 1 - float(optimal_price(e, c, p0 * (1 - max_cut), p0)) / p0
    hold_ratio = lambda r: (p0 * (1 - r) - c) * (1 - r) ** e - (p0 - c)  # noqa: E731
    breakeven = 0.0
    if best > 1e-12 and hold_ratio(max_cut) < 0:
        breakeven = float(optimize.brentq(hold_ratio, best, max_cut, xtol=1e-12))
    elif best > 1e-12:
        breakeven = max_cut
    pre = (p0 - c) * q0
    names = ["hold", "match", "restore volume", "break-even", "best"]
    cuts = np.array([0.0, big_x, restore, breakeven, best])
    q = q0 * (1 - cuts) ** e * war
    scen = pd.DataFrame({"scenario": names, "our_cut": cuts, "price": p0 * (1 - cuts), "units": q,
                         "units_change": q / q0 - 1 if q0 > 0 else np.nan, "margin": (p0 * (1 - cuts) - c) / (p0 * (1 - cuts)),
                         "profit": profit(cuts)})
    scen["profit_change"] = scen["profit"] / pre - 1 if pre > 0 else np.nan
    grid = np.linspace(0, max_cut, n)
    curve = pd.DataFrame({"our_cut": grid, "units": q0 * (1 - grid) ** e * war, "profit": profit(grid)})
    msg = (f"A {big_x:.0%} competitor cut costs {1 - war:.1%} of our volume at today's price (cross elasticity "
           f"{x:.2f}) and {1 - war:.1%} of profit if we hold. Restoring volume needs a {restore:.1%} cut "
           f"({scen['profit_change'].iloc[2]:+.1%} profit vs before). "
           + (f"Today's price is above the optimum: cuts up to {breakeven:.1%} pay, the best is {best:.1%}."
              if best > 1e-12 else "Today's price is at or below the optimum: any cut earns less than holding."))
    return PriceWar(scen, curve, msg)


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("optimal_price", "利润最大化价格", "Margin-maximising price",
         "p* = c · e / (1 + e) for e < −1, i.e. (p* − c) / p* = −1 / e, within the bounds", "opslib.pricing.decisions.optimal_price",
         "07"),
    Term("profit_curve", "利润曲线", "Profit curve", "units = units₀ (p / p₀)^e; profit = (p − c) × units over a range "
         "of prices", "opslib.pricing.decisions.profit_curve", "07"),
    Term("price_war", "价格战", "Price war response", "our units q(r) = units (1 − r)^e (1 − X)^x after a competitor's "
         "cut X and ours r; hold, match, restore volume, break-even and best responses", "opslib.pricing.decisions.price_war", "07"),
)
