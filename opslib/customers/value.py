"""Customer lifetime value on a shop's order lines: the holdout check and the valuation, ready for a report.

Thin wrappers around :mod:`opslib.customers.clv` (which holds the models, formulas and references) for the
usual workflow on contract order lines — orders not cancelled, value = quantity × unit_price, customers only
(guests have no history), weekly time unit:

1. :func:`holdout_check` — fit BG/NBD on the history up to ``end − holdout_days`` and compare its predictions
   with the purchases of the last ``holdout_days`` (split by time); check the Gamma-Gamma independence
   assumption (frequency vs spend of repeat buyers).
2. :func:`lifetime_value` — refit both models on the whole history up to ``end`` and value every customer over
   the next ``horizon_months`` (P(alive), expected purchases, expected spend, CLV).

When a model cannot be fitted (too few repeat buyers, no customer ids) the result carries the ``reason`` and its
``plot()`` prints it, so a report cell stays one line. A fit at a limit of the model (``BoundaryWarning``) is
kept, and the warning's text is in ``notes``.

Example (no repeat buyer: the check is skipped with a reason instead of failing):
    >>> import pandas as pd
    >>> lines = pd.DataFrame({"order_id": ["a", "b"], "customer_id": ["x", "y"], "sku": "s", "quantity": 1,
    ...     "order_ts": pd.to_datetime(["2024-01-01", "2024-03-01"]), "unit_price": 10.0, "status": "completed"})
    >>> print(holdout_check(lines, end="2024-06-30", holdout_days=60).reason)
    BG/NBD holdout check skipped: Gamma-Gamma/BG-NBD need repeat buyers — only 0 customer(s) bought more than once before 2024-05-01.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opslib.customers import _sql
from opslib.customers._sql import Table, connect
from opslib.customers.clv import (
    WEIGHT,
    BGNBDResult,
    BoundaryWarning,
    GammaGammaResult,
    HoldoutEvaluation,
    _per_customer_sql,
    _summary_frame,
    _unit_days,
    correlation_table,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    frequency_spend_correlation,
    holdout_evaluation,
    rfm_summary,
)
from opslib.customers.cohorts import _quantile
from opslib.customers.table import CustomerTable, frame_max_customers
from opslib.errors import CLVError

__all__ = ["HoldoutCheck", "LifetimeValue", "holdout_check", "lifetime_value", "shop_margin_rate"]

_VALUE = "quantity * unit_price"
_WHERE = "status <> 'cancelled'"
#: Repeat buyers below which a fit is not attempted (the likelihood has too little to go on).
MIN_REPEAT_BUYERS = 20


def _fit(fn, *args) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BoundaryWarning)
        out = fn(*args)
    return out, [str(w.message) for w in caught if issubclass(w.category, BoundaryWarning)]


def _repeaters(summary: pd.DataFrame, before: pd.Timestamp) -> None:
    rep = summary["frequency"] > 0
    n = int(summary.loc[rep, WEIGHT].sum()) if WEIGHT in summary.columns else int(rep.sum())
    if n < MIN_REPEAT_BUYERS:
        raise CLVError(f"Gamma-Gamma/BG-NBD need repeat buyers — only {n} customer(s) bought more than once "
                       f"before {before:%Y-%m-%d}.")


@dataclass
class HoldoutCheck:
    """The BG/NBD calibration/holdout check (:func:`holdout_check`).

    ``summary``: the calibration table (``rfm_summary(..., group=True)`` with the holdout columns: grouped rows,
    ``n_customers`` customers each); ``model``: BG/NBD fitted on
    it; ``evaluation``: :class:`~opslib.customers.clv.HoldoutEvaluation`; ``correlation``: frequency vs spend of
    the repeat buyers (``frequency_spend_correlation``); ``calibration_end``, ``observation_end``; ``reason``
    when skipped; ``notes`` (boundary warnings).
    """

    summary: pd.DataFrame | None = None
    model: BGNBDResult | None = None
    evaluation: HoldoutEvaluation | None = None
    correlation: pd.DataFrame | None = None
    calibration_end: pd.Timestamp | None = None
    observation_end: pd.Timestamp | None = None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line: the split, the customers and the aggregate error (or why it was skipped)."""
        if self.reason:
            return self.reason
        ev = self.evaluation
        return (f"Calibration up to {self.calibration_end:%Y-%m-%d}, holdout {self.calibration_end:%Y-%m-%d} .. "
                f"{self.observation_end:%Y-%m-%d}: {ev.customer_count:,} customers, {ev.total_actual:,.0f} holdout "
                f"purchases, {ev.total_predicted:,.0f} predicted ({ev.aggregate_error:+.1%}); "
                f"MAE {ev.mae:.3f} purchases per customer.")

    def parameters(self) -> pd.DataFrame:
        """The BG/NBD parameters with standard errors (empty when skipped)."""
        return self.model.summary() if self.model is not None else pd.DataFrame()

    def independence(self) -> pd.DataFrame:
        """The frequency-spend correlation of the repeat buyers (empty when skipped)."""
        return self.correlation if self.correlation is not None else pd.DataFrame()

    def plot(self) -> Any:
        """The calibration chart (predicted vs actual by calibration frequency), or the reason printed."""
        if self.evaluation is None:
            print(self.reason)
            return None
        return self.evaluation.plot()


def holdout_check(orders: Table, end: object, holdout_days: int = 182, freq: str = "W") -> HoldoutCheck:
    """Fit BG/NBD up to ``end − holdout_days`` and test its predictions on the last ``holdout_days`` days.

    ``calibration_end = end − holdout_days``; the customer table is ``rfm_summary`` over orders not cancelled
    with value quantity × unit_price (``where="status <> 'cancelled'"``), customers whose first purchase is on or
    before ``calibration_end``, grouped (``group=True``: one row per distinct statistics with their customer
    count in ``n_customers``; fit, evaluation and correlation weight by it, so they equal the per-customer ones); ``holdout_evaluation`` compares ``E[Y(t) | x, t_x, T]`` with the purchase days in
    the holdout. The Gamma-Gamma assumption is checked on the same table (``frequency_spend_correlation``).

    Parameters:
        orders: order lines. end: the last day of the data to use. holdout_days: the holdout length.
        freq: the model's time unit (``"W"``: weeks, as in Fader, Hardie & Lee 2005).

    Returns:
        :class:`HoldoutCheck` (with a ``reason`` when too few repeat buyers or the fit fails).

    Example: see the module docstring.
    """
    obs = pd.Timestamp(end).normalize()
    cal = obs - pd.Timedelta(days=int(holdout_days))
    try:
        stats = _stats_table(orders, cal, obs)
        if stats is not None:  # a shop on DuckDB: the counts and the correlation in SQL over the file
            s, corr = _holdout_tables(stats, cal, obs, freq)
            del stats
        else:
            s = rfm_summary(orders, "customer_id", "order_ts", _VALUE, calibration_end=cal, observation_end=obs,
                            freq=freq, where=_WHERE, group=True)
            corr = None
        _repeaters(s, cal)
        model, notes = _fit(fit_bgnbd, s)
        ev = holdout_evaluation(model, s)
        corr = frequency_spend_correlation(s) if corr is None else corr()
    except CLVError as exc:
        return HoldoutCheck(calibration_end=cal, observation_end=obs, reason=f"BG/NBD holdout check skipped: {exc}")
    return HoldoutCheck(s, model, ev, corr, cal, obs, notes=notes)


@dataclass
class LifetimeValue:
    """Customers valued with BG/NBD and Gamma-Gamma fitted on the whole history (:func:`lifetime_value`).

    ``customers``: ``customer_lifetime_value`` output (``customer_id``, ``frequency``, ``recency``, ``T``,
    ``monetary_value``, ``p_alive``, ``expected_purchases``, ``expected_spend``, ``clv``; beyond
    ``frame_max_customers()`` customers on a DuckDB shop a :class:`~opslib.customers.table.CustomerTable` of
    them); ``purchases``, ``spend``:
    the fitted models; ``horizon_months``, ``margin``, ``annual_discount_rate``, ``end``; ``reason`` when skipped.
    """

    customers: pd.DataFrame | CustomerTable | None = None
    purchases: BGNBDResult | None = None
    spend: GammaGammaResult | None = None
    end: pd.Timestamp | None = None
    horizon_months: int = 12
    margin: float = 1.0
    annual_discount_rate: float = 0.10
    reason: str | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """Totals: customers, expected purchases and CLV over the horizon, mean P(alive) of repeat buyers."""
        if self.customers is None:
            return pd.DataFrame(columns=["customers", "expected_purchases", "clv", "p_alive_repeat_buyers"])
        c = self.customers
        if isinstance(c, CustomerTable):
            return c.query("""SELECT CAST(count(*) AS BIGINT) AS customers,
                                     coalesce(sum(expected_purchases), 0.0) AS expected_purchases,
                                     coalesce(sum(clv), 0.0) AS clv, avg(clv) AS clv_per_customer,
                                     avg(p_alive) FILTER (WHERE frequency > 0) AS p_alive_repeat_buyers FROM t""")
        rep = c[c["frequency"] > 0]
        return pd.DataFrame([{"customers": len(c), "expected_purchases": float(c["expected_purchases"].sum()),
                              "clv": float(c["clv"].sum()), "clv_per_customer": float(c["clv"].mean()),
                              "p_alive_repeat_buyers": float(rep["p_alive"].mean()) if len(rep) else float("nan")}])

    def describe(self) -> str:
        """One line: the valuation's horizon, margin and total."""
        if self.reason:
            return self.reason
        t = self.summary().iloc[0]
        return (f"{int(t['customers']):,} customers valued as of {self.end:%Y-%m-%d} over {self.horizon_months} months "
                f"(margin {self.margin:.0%}, discount {self.annual_discount_rate:.0%} a year): expected "
                f"{t['expected_purchases']:,.0f} purchases, CLV {t['clv']:,.0f} in total.")

    def plot(self) -> Any:
        """P(alive) of the repeat buyers and expected purchases against it; or the reason printed."""
        if self.customers is None:
            print(self.reason)
            return None
        from opslib.plotting.customers import p_alive_chart

        c = self.customers
        if isinstance(c, CustomerTable):  # the chart's three columns of the repeat buyers only
            c = c.query("SELECT frequency, p_alive, expected_purchases FROM t WHERE frequency > 0")
        return p_alive_chart(c)

    def plot_matrix(self) -> Any:
        """The P(alive) matrix by frequency and recency (``BGNBDResult.plot``); or the reason printed."""
        if self.purchases is None:
            print(self.reason)
            return None
        c = self.customers
        if isinstance(c, CustomerTable):  # what the chart reads: the oldest customer and the 99th percentile
            # the 99th percentile from the counts of each frequency (quantile_cont would hold every customer's)
            f = c.query('SELECT frequency, count(*) AS k, max("T") AS "T" FROM t GROUP BY 1 ORDER BY 1')
            q = _quantile(f["frequency"].to_numpy(dtype=float), f["k"].to_numpy(dtype="int64"), 0.99)
            return self.purchases.plot(pd.DataFrame({"T": [float(f["T"].max())], "frequency": [q]}))
        return self.purchases.plot(c)


def lifetime_value(orders: Table, end: object, horizon_months: int = 12, margin: float = 1.0,
                   annual_discount_rate: float = 0.10, freq: str = "W") -> LifetimeValue:
    """Value every customer over the next ``horizon_months`` with BG/NBD × Gamma-Gamma fitted up to ``end``.

    ``CLV_i = margin · E[M_i] · Σ_k ΔE[Y_i] in month k / (1 + d)^k`` (``customer_lifetime_value``); the models are
    fitted on every purchase day up to ``end`` (orders not cancelled), Gamma-Gamma on the repeat buyers with a
    positive mean spend.

    Parameters:
        orders: order lines. end: the valuation day. horizon_months: H. margin: share of spend kept (e.g. the
            shop's gross margin rate, :func:`shop_margin_rate`; 1 = revenue). annual_discount_rate: yearly rate.
        freq: the model's time unit.

    Returns:
        :class:`LifetimeValue` (with a ``reason`` when the fits cannot run).
    """
    day = pd.Timestamp(end).normalize()
    try:
        stats = _stats_table(orders, day)
        if stats is not None and len(stats) > frame_max_customers():
            return _lifetime_value_table(stats, day, horizon_months, margin, annual_discount_rate, freq)
        if stats is not None:  # few customers: the frame rfm_summary returns, from the same query's file
            s = _summary_frame(stats.query("SELECT * FROM file"), _LABEL, "customer_id", "order_ts", _VALUE, day,
                               None, freq, False)
            del stats
        else:
            s = rfm_summary(orders, "customer_id", "order_ts", _VALUE, calibration_end=day, freq=freq, where=_WHERE)
        _repeaters(s, day)
        bg, n1 = _fit(fit_bgnbd, s)
        # only the columns Gamma-Gamma reads: the rows selected from the whole table would copy the ids too
        spend_rows = (s["frequency"] == 0) | (s["monetary_value"] > 0)
        gg, n2 = _fit(fit_gamma_gamma, s.loc[spend_rows, [c for c in ("frequency", "monetary_value", WEIGHT)
                                                         if c in s.columns]])
        del spend_rows
        out = customer_lifetime_value(bg, gg, s, horizon_months=horizon_months, margin=margin,
                                      annual_discount_rate=annual_discount_rate)
    except CLVError as exc:
        return LifetimeValue(end=day, horizon_months=horizon_months, margin=margin,
                             annual_discount_rate=annual_discount_rate, reason=f"Customer lifetime value skipped: {exc}")
    return LifetimeValue(out, bg, gg, day, horizon_months, margin, annual_discount_rate, notes=n1 + n2)



_LABEL = "the shop's orders"
_STATS = ["c", "frequency", "recency_days", "t_days", "repeat_value", "n_null"]


def _stats_table(orders: Table, day: pd.Timestamp, obs: pd.Timestamp | None = None) -> CustomerTable | None:
    """Every customer's purchase statistics up to ``day`` (``rfm_summary``'s query, in days; with ``obs`` the
    holdout's up to it too, without the customer column) written by the shop's DuckDB engine to a file; None
    when ``orders`` is not a shop on DuckDB (or lacks the columns: ``rfm_summary`` then says so)."""
    if _sql._engine_data(orders) is None:
        return None
    con = connect(orders=orders)
    if not isinstance(con, _sql.EngineConnection) or not con.spills():
        return None
    types = _sql.columns(con, "orders")
    if not {"customer_id", "order_ts", "quantity", "unit_price", "status"} <= set(types):
        return None
    sql = _per_customer_sql("orders", types, "customer_id", "order_ts", _VALUE, day, obs, _WHERE)
    if obs is not None:  # the holdout check needs no customer id nor order: the file's numbers only
        return con.table(f"SELECT {', '.join(_HOLDOUT_STATS)} FROM ({sql})", columns=_HOLDOUT_STATS)
    return con.table(f"SELECT {', '.join(_STATS)} FROM ({sql}) ORDER BY c", columns=_STATS)


_HOLDOUT_STATS = ["frequency", "recency_days", "t_days", "repeat_value", "frequency_holdout", "n_null"]


def _holdout_tables(stats: CustomerTable, cal: pd.Timestamp, obs: pd.Timestamp, freq: str
                    ) -> tuple[pd.DataFrame, Callable[[], pd.DataFrame]]:
    """:func:`holdout_check`'s inputs from the per-customer file, in SQL: the calibration table grouped by
    (x, t_x, T, holdout x) with :data:`WEIGHT` customers per row (all the fit and the evaluation read), and a
    function computing the frequency-spend correlation of the repeat buyers over the file.

    The correlation is :func:`~opslib.customers.clv.frequency_spend_correlation`'s: Pearson's ρ of (x, m) with
    ``m = repeat value / x`` (DuckDB's ``corr``), and Spearman's as Pearson's ρ of the ranks, ties given their
    mean rank (``rank = customers up to and including the value − (customers at the value − 1) / 2``), the spend
    rounded to 1e-6 for the ranks (as the frame version: DuckDB's parallel sums move a spend's last bits from run to
    run, which split ties)."""
    if not len(stats):
        raise CLVError(f"{_LABEL}: no customer with a purchase on or before calibration_end {cal.date()} "
                       "(column 'customer_id', date column 'order_ts')")
    g = stats.query("""SELECT frequency, recency_days, t_days, frequency_holdout, count(*) AS n,
                              sum(n_null) AS n_null FROM t GROUP BY ALL ORDER BY ALL""")
    nulls = int(g["n_null"].sum())
    if nulls:
        raise CLVError(f"{_LABEL}: {nulls:,} line(s) have an empty value ({_VALUE!r}) — "
                       "fill them or filter them out with where=...")
    ud = _unit_days(freq)
    s = pd.DataFrame({"frequency": g["frequency"].astype("int64").to_numpy(),
                      "recency": g["recency_days"].to_numpy(dtype=float) / ud,
                      "T": g["t_days"].to_numpy(dtype=float) / ud,
                      "frequency_holdout": g["frequency_holdout"].astype("int64").to_numpy()})
    s["duration_holdout"] = float((obs - cal).days) / ud
    s[WEIGHT] = g["n"].astype("int64").to_numpy()
    s.attrs.update({"customer": "customer_id", "unit": freq, "unit_days": ud, "calibration_end": str(cal.date()),
                    "observation_end": str(obs.date())})
    sql = """WITH r AS (SELECT CAST(frequency AS DOUBLE) AS x, repeat_value / frequency AS m FROM t WHERE frequency > 0),
                  gx AS (SELECT x, count(*) AS k FROM r GROUP BY x),
                  rx AS (SELECT x, sum(k) OVER (ORDER BY x) - (k - 1) / 2.0 AS rk FROM gx),
                  gm AS (SELECT round(m, 6) AS m, count(*) AS k FROM r GROUP BY 1),
                  rm AS (SELECT m, sum(k) OVER (ORDER BY m) - (k - 1) / 2.0 AS rk FROM gm)
             SELECT count(*) AS n, corr(r.x, r.m) AS pearson, corr(rx.rk, rm.rk) AS spearman
             FROM r JOIN rx ON rx.x = r.x JOIN rm ON rm.m = round(r.m, 6)"""
    keep = stats  # the file lives as long as the function that reads it

    def correlation() -> pd.DataFrame:
        row = keep.query(sql).iloc[0]
        n = int(row["n"])
        if n < 4:
            raise CLVError(f"frequency_spend_correlation: {n} repeat buyer(s); at least 4 needed")
        return correlation_table(n, _nan(row["pearson"]), _nan(row["spearman"]))

    return s, correlation


def _nan(v: object) -> float:
    return float("nan") if v is None or pd.isna(v) else float(v)


def _lifetime_value_table(stats: CustomerTable, day: pd.Timestamp, horizon_months: int, margin: float,
                          annual_discount_rate: float, freq: str) -> LifetimeValue:
    """:func:`lifetime_value` for millions of customers, without a per-customer frame in pandas.

    The same models and formulas as ``customer_lifetime_value``: BG/NBD fitted on the distinct
    (x, t_x, T) with their customer counts, Gamma-Gamma on the distinct (x, m_x) with theirs (weighted fits:
    the same likelihood as per customer); the purchase model evaluated once per distinct (x, t_x, T) in numpy;
    then one SQL pass joins each customer to their row and computes ``E[M]`` and the CLV, written to a file
    (a :class:`~opslib.customers.table.CustomerTable` in ``LifetimeValue.customers``, ordered by customer).
    """
    if not len(stats):
        raise CLVError(f"{_LABEL}: no customer with a purchase on or before calibration_end {day.date()} "
                       "(column 'customer_id', date column 'order_ts')")
    nulls = int(stats.query("SELECT coalesce(sum(n_null), 0) AS n FROM t")["n"].iloc[0])
    if nulls:
        raise CLVError(f"{_LABEL}: {nulls:,} line(s) have an empty value ({_VALUE!r}) — "
                       "fill them or filter them out with where=...")
    ud = _unit_days(freq)
    attrs = {"customer": "customer_id", "unit": freq, "unit_days": ud, "calibration_end": str(day.date()),
             "observation_end": None}
    g = stats.query("SELECT frequency, recency_days, t_days, count(*) AS n FROM t GROUP BY ALL ORDER BY ALL")
    grouped = pd.DataFrame({"frequency": g["frequency"].astype("int64").to_numpy(),
                            "recency": g["recency_days"].to_numpy(dtype=float) / ud,
                            "T": g["t_days"].to_numpy(dtype=float) / ud, WEIGHT: g["n"].astype("int64").to_numpy()})
    grouped.attrs.update(attrs)
    _repeaters(grouped, day)
    bg, n1 = _fit(fit_bgnbd, grouped)
    m = "CASE WHEN frequency > 0 THEN repeat_value / frequency ELSE 0.0 END"
    spend = stats.query(f"SELECT frequency, {m} AS monetary_value, count(*) AS {WEIGHT} FROM t "
                        f"WHERE frequency = 0 OR {m} > 0 GROUP BY ALL ORDER BY ALL")
    spend["frequency"] = spend["frequency"].astype("int64")
    spend[WEIGHT] = spend[WEIGHT].astype("int64")
    gg, n2 = _fit(fit_gamma_gamma, spend)
    del spend
    # the purchase model per distinct (x, t_x, T): customer_lifetime_value's loop, on the grouped rows
    if not (isinstance(horizon_months, int | np.integer) and horizon_months >= 1):
        raise CLVError(f"customer_lifetime_value: horizon_months={horizon_months!r}, expected a whole number >= 1")
    if not (annual_discount_rate > -1 and 0 <= margin <= 1):
        raise CLVError(f"customer_lifetime_value: annual_discount_rate={annual_discount_rate!r} (> -1) or "
                       f"margin={margin!r} (a share between 0 and 1) is out of range")
    x, tx, big_t = (grouped[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    step = (365.25 / 12) / ud
    d = (1 + annual_discount_rate) ** (1 / 12) - 1
    cum, disc = np.zeros(len(x)), np.zeros(len(x))
    for k in range(1, horizon_months + 1):
        now = bg.conditional_expected_purchases(k * step, x, tx, big_t)
        disc += (now - cum) / (1 + d) ** k
        cum = now
    factors = pd.DataFrame({"frequency": g["frequency"].astype("int64").to_numpy(),
                            "recency_days": g["recency_days"].to_numpy(), "t_days": g["t_days"].to_numpy(),
                            "p_alive": bg.p_alive(x, tx, big_t), "expected_purchases": cum, "disc": disc})
    del g, grouped, x, tx, big_t

    def lit(v: float) -> str:
        return f"CAST('{float(v)!r}' AS DOUBLE)"

    p, q, gamma = lit(gg.p), lit(gg.q), lit(gg.gamma)
    den = f"({p} * t.frequency + {q} - 1)"
    mv = "CASE WHEN t.frequency > 0 THEN t.repeat_value / t.frequency ELSE 0.0 END"
    e_spend = (f"CASE WHEN t.frequency > 0 THEN (CASE WHEN {den} > 0 THEN ({gamma} + ({mv}) * t.frequency) * {p} "
               f"/ {den} END) ELSE {lit(gg.mean_spend)} END")
    sql = f"""SELECT t.c AS customer_id, t.frequency, CAST(t.recency_days AS DOUBLE) / {lit(ud)} AS recency,
                     CAST(t.t_days AS DOUBLE) / {lit(ud)} AS "T", {mv} AS monetary_value, f.p_alive,
                     f.expected_purchases, {e_spend} AS expected_spend,
                     {lit(margin)} * ({e_spend}) * f.disc AS clv
              FROM t JOIN factors f ON f.frequency = t.frequency AND f.recency_days = t.recency_days
                   AND f.t_days = t.t_days
              ORDER BY t.c"""
    con = stats.connect(factors=factors)
    try:
        table = CustomerTable.from_engine(con, sql, stats.folder)
    finally:
        con.close()
    return LifetimeValue(table, bg, gg, day, horizon_months, margin, annual_discount_rate, notes=n1 + n2)


def shop_margin_rate(orders: Table, products: Table, default: float = 1.0, override: float | None = None
                     ) -> tuple[float, str]:
    """The shop's gross margin rate over completed lines, for CLV in profit rather than revenue.

    ``margin = 1 − Σ quantity × unit_cost / Σ quantity × unit_price`` over completed lines whose SKU has a unit
    cost; ``default`` (1 = revenue) when no line has a cost.

    Parameters:
        orders, products: the contract tables. default: the rate without costs.
        override: a rate set by the user (a report parameter): returned as it is.

    Returns:
        ``(rate, note)``: the rate and a sentence saying where it came from.

    Example (cost 6 on a price of 10: 40% margin):
        >>> o = pd.DataFrame({"sku": ["a"], "quantity": [2], "unit_price": [10.0], "status": ["completed"]})
        >>> shop_margin_rate(o, pd.DataFrame({"sku": ["a"], "unit_cost": [6.0]}))
        (0.4, 'gross margin rate 40.0% over 1 completed line(s) with a unit cost')
    """
    if override is not None:
        if not 0 < float(override) <= 1:
            raise CLVError(f"margin={override!r}: expected the share of spend kept, between 0 and 1")
        return float(override), f"margin {float(override):.0%} (set by the margin parameter)"
    con = connect(orders=orders, products=products)
    try:
        sales, cost, n = con.execute("""
            SELECT sum(o.quantity * o.unit_price), sum(o.quantity * p.unit_cost), count(*)
            FROM orders o JOIN products p ON o.sku = p.sku
            WHERE o.status = 'completed' AND p.unit_cost IS NOT NULL""").fetchone()
    finally:
        con.close()
    if not n or not sales:
        return default, f"no unit costs: CLV counts revenue x {default:.0%}"
    rate = round(1 - float(cost) / float(sales), 6)
    return rate, f"gross margin rate {rate:.1%} over {int(n):,} completed line(s) with a unit cost"
