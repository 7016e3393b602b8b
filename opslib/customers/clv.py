"""Customer lifetime value: BG/NBD for repeat purchases and P(alive), Gamma-Gamma for spend.

The models (non-contractual setting: we never see a customer leave, we infer it from silence):

* **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way", *Marketing Science*
  24(2)): while alive, customer ``i`` buys as a Poisson process with rate ``λ_i ~ Gamma(r, α)``
  (shape ``r``, rate ``α``, in the model's time unit); after every *repeat* purchase they drop out with
  probability ``p_i ~ Beta(a, b)``. The first purchase starts the clock (time 0) and is not a repeat.
* **Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves", *JMR* 42(4);
  Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"): the spend ``z`` of a repeat purchase
  is ``Gamma(p, ν_i)``, ``ν_i ~ Gamma(q, γ)``; it assumes spend is independent of purchase frequency
  (check it with :func:`frequency_spend_correlation`).

Both are fitted by maximum likelihood (``scipy.optimize`` on the log-parameters with analytic gradients,
then Newton steps on a finite-difference Hessian of the gradient; standard errors from the inverse Hessian
by the delta method). Each fit runs on data divided by an internal scale (time by the largest ``T``,
money by the mean spend), so the answer does not depend on the unit: time x c gives ``α`` x c and the same
``r, a, b``; money x c gives ``γ`` x c and the same ``p, q``.

The customer table (:func:`rfm_summary`, one row per customer, in the model's time unit):

* ``frequency`` ``x`` = distinct purchase *days* in the calibration period minus one (repeat purchase days;
  several orders on one day count once);
* ``recency`` ``t_x`` = days from the first to the last purchase day (calibration) / unit (0 when x = 0);
* ``T`` = days from the first purchase day to ``calibration_end`` / unit (the customer's age);
* ``monetary_value`` = mean value of the *repeat* purchase days (first day excluded; 0 when x = 0);
* with ``observation_end``: ``frequency_holdout`` (purchase days after ``calibration_end`` up to
  ``observation_end``), ``monetary_value_holdout`` (their mean value, 0 when none) and
  ``duration_holdout`` (days from ``calibration_end`` to ``observation_end`` / unit).

The workflow on a shop (``where`` drops cancelled lines; the last half year is the holdout)::

    s = rfm_summary("shop/orders.parquet", "customer_id", "order_ts", "quantity * unit_price",
                    calibration_end="2025-06-30", observation_end="2025-12-31", where="status <> 'cancelled'")
    bg = fit_bgnbd(s)                           # bg.summary(): r, alpha, a, b with SE, log-likelihood, n
    holdout_evaluation(bg, s).by_frequency      # predicted vs actual holdout purchases by calibration x
    frequency_spend_correlation(s)              # is spend independent of frequency? (Gamma-Gamma assumes so)
    gg = fit_gamma_gamma(s)
    bg.clv(gg, s, horizon_months=12, annual_discount_rate=0.10, margin=0.3)   # per customer

Then refit on the whole period (``calibration_end`` = the last day) before valuing customers.
``customer_lifetime_value``: ``CLV_i = margin · E[M_i] · Σ_k ΔE[Y_i] in month k / (1 + d)^k`` (monthly
steps; see its docstring). A fit that runs to a limit of the model (e.g. the same dropout probability for
everyone) warns with :class:`BoundaryWarning`; a fit that does not converge raises :class:`FitError`.

Example (a shop of three customers, weekly unit):
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer": ["a", "a", "a", "b", "c"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-29",
    ...                                            "2024-01-15", "2024-01-22"]),
    ...                    "value": [10.0, 20.0, 30.0, 5.0, 8.0]})
    >>> s = rfm_summary(tx, "customer", "date", "value", calibration_end="2024-01-29")
    >>> s.to_dict("list")  # a: repeats on days 7 and 28 -> x = 2, t_x = 4 weeks, T = 4, m = 25
    {'customer': ['a', 'b', 'c'], 'frequency': [2, 0, 0], 'recency': [4.0, 0.0, 0.0], 'T': [4.0, 2.0, 1.0], 'monetary_value': [25.0, 0.0, 0.0]}
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy import linalg, optimize, special, stats

from opslib.customers import _sql
from opslib.data import cube
from opslib.errors import BoundaryWarning, CLVError, FitError
from opslib.kpi import Term

__all__ = [
    "UNIT_DAYS",
    "BGNBDResult",
    "BoundaryWarning",
    "CLVError",
    "FitError",
    "GammaGammaResult",
    "HoldoutEvaluation",
    "bgnbd_loglik",
    "correlation_table",
    "customer_lifetime_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "frequency_spend_correlation",
    "gamma_gamma_loglik",
    "holdout_evaluation",
    "rfm_summary",
]

#: Days per model time unit for ``freq``: day, week, month (365.25/12 days).
UNIT_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}
#: The column of a grouped customer table (``rfm_summary(..., group=True)``) that counts the customers of a row.
WEIGHT = "n_customers"

Source = pd.DataFrame | str | Path | duckdb.DuckDBPyRelation





# --------------------------------------------------------------------------------------------------
# The customer table, in DuckDB
# --------------------------------------------------------------------------------------------------

_IDENT = re.compile(r"^[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*$")
_DATE_TYPES = ("DATE", "TIMESTAMP")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _register(con: duckdb.DuckDBPyConnection, source: Source) -> str:
    """Expose a frame, a DuckDB relation or a Parquet/CSV path (or glob) as view ``src`` (through
    :func:`opslib.data.cube.relation`); return how to name the source in messages."""
    if isinstance(source, duckdb.DuckDBPyRelation):
        # a relation belongs to its own connection: bring it over as Arrow
        con.register("src", source.arrow())
        return "the transactions relation"
    if isinstance(source, pd.DataFrame):
        cube.relation(con, "src", source)
        return "the transactions frame"
    path = str(source)
    if not any(ch in path for ch in "*?[") and not Path(path).exists():
        raise CLVError(f"{path}: no such file — expected a Parquet/CSV file of transactions or a DataFrame")
    try:
        cube.relation(con, "src", path)
    except duckdb.Error as exc:
        raise CLVError(f"{path}: cannot be read as Parquet/CSV ({exc})") from None
    return path


def _unit_days(freq: str | float) -> float:
    if isinstance(freq, str):
        if freq not in UNIT_DAYS:
            raise CLVError(f"freq={freq!r}: expected 'D', 'W', 'M' or a positive number of days per time unit")
        return UNIT_DAYS[freq]
    if not (isinstance(freq, int | float) and np.isfinite(freq) and freq > 0):
        raise CLVError(f"freq={freq!r}: expected 'D', 'W', 'M' or a positive number of days per time unit")
    return float(freq)


def _day(value: object, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise CLVError(f"{name}={value!r}: expected a date such as '2024-06-30'")
    return ts.normalize().tz_localize(None) if ts.tzinfo else ts.normalize()


def rfm_summary(transactions: Source, customer: str, date: str, value: str | None, *,
                calibration_end: object, observation_end: object | None = None,
                freq: str | float = "W", where: str | None = None, group: bool = False) -> pd.DataFrame:
    """Per-customer (frequency, recency, T, monetary_value) in the model's time unit, from transactions.

    One DuckDB query over the lines (a DataFrame, a DuckDB relation, or a Parquet/CSV path or glob), or
    over a shop's ``orders`` on the shop's own engine (DuckDB or Spark) when given the shop:
    lines are summed per (customer, day), then per customer. Only customers whose first purchase day
    is on or before ``calibration_end`` are kept (the calibration cohort); lines after
    ``observation_end`` (or after ``calibration_end`` when it is None) are ignored; lines without a
    customer or a date are skipped. Definitions in the module docstring:
    ``x`` = distinct purchase days − 1, ``t_x`` = (last − first purchase day) / unit,
    ``T`` = (calibration_end − first purchase day) / unit, ``m`` = sum of repeat-day value / x.

    Parameters:
        transactions: order lines or purchases.
        customer, date: column names (``date`` a DATE or TIMESTAMP column; the day part is used).
        value: a column name or a DuckDB expression such as ``"quantity * unit_price"``; None skips money
            (``monetary_value`` is then absent).
        calibration_end: last day of the calibration period (inclusive).
        observation_end: last day of the holdout period (inclusive); adds the holdout columns.
        freq: time unit, ``"D"``, ``"W"`` (7 days), ``"M"`` (365.25/12 days) or days per unit.
        where: optional DuckDB filter on the lines, e.g. ``"status <> 'cancelled'"``.
        group: return the sufficient statistics instead of customers: one row per distinct combination of
            the statistics (no customer column) with :data:`WEIGHT` (``n_customers``) counting the customers
            who share it. Every function of this module weights such rows by that count, so a fit, a holdout
            evaluation or a correlation on the grouped table equals the one on the customer table; at
            millions of customers the grouped table is far smaller (one-time buyers share a few hundred rows).

    Returns:
        One row per customer, sorted by customer: the ``customer`` column (its input name),
        ``frequency`` (int), ``recency``, ``T``, [``monetary_value``], and with ``observation_end``
        ``frequency_holdout`` (int), [``monetary_value_holdout``], ``duration_holdout``.
        ``attrs`` holds ``customer`` (the column name), ``unit``, ``unit_days``, ``calibration_end``,
        ``observation_end``.

    Example (holdout: b buys again on Feb 5, inside the holdout ending Feb 12; daily unit):
        >>> tx = pd.DataFrame({"id": [1, 1, 2, 2], "ts": pd.to_datetime(
        ...     ["2024-01-01 09:00", "2024-01-01 18:00", "2024-01-20 12:00", "2024-02-05 08:00"]), "v": [1.0, 2.0, 3.0, 4.0]})
        >>> s = rfm_summary(tx, "id", "ts", "v", calibration_end="2024-01-31", observation_end="2024-02-12",
        ...                 freq="D")
        >>> s[["id", "frequency", "T", "frequency_holdout", "duration_holdout"]].to_dict("records")
        [{'id': 1, 'frequency': 0, 'T': 30.0, 'frequency_holdout': 0, 'duration_holdout': 12.0}, {'id': 2, 'frequency': 0, 'T': 11.0, 'frequency_holdout': 1, 'duration_holdout': 12.0}]
    """
    _unit_days(freq)  # a bad unit is reported before the query runs
    cal = _day(calibration_end, "calibration_end")
    obs = _day(observation_end, "observation_end") if observation_end is not None else None
    if obs is not None and obs <= cal:
        raise CLVError(f"observation_end {obs.date()} must be after calibration_end {cal.date()}")
    engine = _sql._engine_data(transactions) is not None
    con = _sql.connect(orders=transactions) if engine else cube.connect()
    try:
        if engine:
            label, view = "the shop's orders", "orders"
            types = _sql.columns(con, view)
        else:
            label, view = _register(con, transactions), "src"
            types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM src)").fetchall())
        missing = [c for c in (customer, date) if c not in types]
        if value is not None and _IDENT.match(value) and value not in types:
            missing.append(value)
        if missing:
            raise CLVError(f"{label}: missing column(s) {', '.join(map(repr, missing))} — "
                           f"it has {', '.join(map(repr, types))}")
        if not types[date].upper().startswith(_DATE_TYPES):
            raise CLVError(f"{label}: column {date!r} is {types[date]}, expected a DATE or TIMESTAMP — parse it "
                           f"first (e.g. pd.to_datetime(df[{date!r}], format='%Y%m%d'))")
        per_customer = _per_customer_sql(view, types, customer, date, value, cal, obs, where)
        if group:
            stats_cols = "frequency, recency_days, t_days, repeat_value, frequency_holdout, holdout_value"
            sql = (f"SELECT {stats_cols}, CAST(count(*) AS BIGINT) AS {WEIGHT}, CAST(sum(n_null) AS BIGINT) AS n_null "
                   f"FROM ({per_customer}) pc GROUP BY {stats_cols} ORDER BY {stats_cols}")
        else:
            sql = per_customer + " ORDER BY days.c"
        try:
            raw = _sql.frame(con, sql)
        except (duckdb.Error, CLVError) as exc:
            raise CLVError(f"{label}: the query failed — check value={value!r} and where={where!r} ({exc})") from None
        except Exception as exc:  # the Spark engine's errors (AnalysisException) are not DuckDB's
            raise CLVError(f"{label}: the query failed — check value={value!r} and where={where!r} ({exc})") from None
    finally:
        con.close()
    return _summary_frame(raw, label, customer, date, value, cal, obs, freq, group)


def _per_customer_sql(view: str, types: dict[str, str], customer: str, date: str, value: str | None,
                      cal: pd.Timestamp, obs: pd.Timestamp | None, where: str | None) -> str:
    """:func:`rfm_summary`'s per-customer query over ``view``: ``c``, ``frequency``, ``recency_days``, ``t_days``,
    ``repeat_value``, ``frequency_holdout``, ``holdout_value``, ``n_null`` (days, not model units)."""
    v = "NULL" if value is None else (_quote(value) if value in types else f"({value})")
    last = obs if obs is not None else cal
    cond = f" AND ({where})" if where else ""
    return f"""
        WITH days AS (
            SELECT {_quote(customer)} AS c, CAST({_quote(date)} AS DATE) AS d,
                   sum({v}) AS v, count(*) FILTER (WHERE {v} IS NULL) AS n_null
            FROM {view}
            WHERE {_quote(customer)} IS NOT NULL AND {_quote(date)} IS NOT NULL
              AND CAST({_quote(date)} AS DATE) <= DATE '{last.date()}'{cond}
            GROUP BY 1, 2
        ), firsts AS (
            SELECT c, min(d) AS d0 FROM days GROUP BY 1 HAVING min(d) <= DATE '{cal.date()}'
        )
        SELECT days.c AS c,
               CAST(count(*) FILTER (WHERE d <= DATE '{cal.date()}') - 1 AS BIGINT) AS frequency,
               date_diff('day', min(d0), max(d) FILTER (WHERE d <= DATE '{cal.date()}')) AS recency_days,
               date_diff('day', min(d0), DATE '{cal.date()}') AS t_days,
               CAST(coalesce(sum(v) FILTER (WHERE d <= DATE '{cal.date()}' AND d > d0), 0) AS DOUBLE) AS repeat_value,
               CAST(count(*) FILTER (WHERE d > DATE '{cal.date()}') AS BIGINT) AS frequency_holdout,
               CAST(coalesce(sum(v) FILTER (WHERE d > DATE '{cal.date()}'), 0) AS DOUBLE) AS holdout_value,
               CAST(sum(n_null) AS BIGINT) AS n_null
        FROM days JOIN firsts ON days.c = firsts.c
        GROUP BY days.c
    """


def _summary_frame(raw: pd.DataFrame, label: str, customer: str, date: str, value: str | None, cal: pd.Timestamp,
                   obs: pd.Timestamp | None, freq: str | float, group: bool) -> pd.DataFrame:
    """:func:`rfm_summary`'s frame from the per-customer (or grouped) query's rows, in the model's unit."""
    unit_days = _unit_days(freq)
    if raw.empty:
        raise CLVError(f"{label}: no customer with a purchase on or before calibration_end {cal.date()} "
                       f"(column {customer!r}, date column {date!r})")
    if value is not None and raw["n_null"].sum() > 0:
        raise CLVError(f"{label}: {int(raw['n_null'].sum()):,} line(s) have an empty value ({value!r}) — "
                       "fill them or filter them out with where=...")
    if group:
        out = pd.DataFrame({"frequency": raw["frequency"].astype("int64").to_numpy()})
    else:
        out = pd.DataFrame({customer: raw["c"].to_numpy(), "frequency": raw["frequency"].astype("int64").to_numpy()})
    out["recency"] = raw["recency_days"].to_numpy(dtype=float) / unit_days
    out["T"] = raw["t_days"].to_numpy(dtype=float) / unit_days
    x = out["frequency"].to_numpy()
    if value is not None:
        out["monetary_value"] = np.where(x > 0, raw["repeat_value"].to_numpy() / np.maximum(x, 1), 0.0)
    if obs is not None:
        xh = raw["frequency_holdout"].astype("int64").to_numpy()
        out["frequency_holdout"] = xh
        if value is not None:
            out["monetary_value_holdout"] = np.where(xh > 0, raw["holdout_value"].to_numpy() / np.maximum(xh, 1), 0.0)
        out["duration_holdout"] = float((obs - cal).days) / unit_days
    if group:
        out[WEIGHT] = raw[WEIGHT].astype("int64").to_numpy()
    out.attrs.update({"customer": customer, "unit": freq, "unit_days": unit_days, "calibration_end": str(cal.date()),
                      "observation_end": None if obs is None else str(obs.date())})
    return out


# --------------------------------------------------------------------------------------------------
# Maximum likelihood, shared by both models
# --------------------------------------------------------------------------------------------------


def _hessian(grad, u: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central finite differences of an analytic gradient, symmetrised."""
    k = len(u)
    hess = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h
        hess[:, j] = (grad(u + e) - grad(u - e)) / (2 * h)
    return (hess + hess.T) / 2


def _mle(fun, u0s: list[np.ndarray], names: list[str], model: str, n: float, limits: tuple = (),
         bound: float = 18.0, edge: float = 10.0) -> tuple[np.ndarray, np.ndarray, int, tuple[str, ...]]:
    """Minimise the total negative log-likelihood ``fun(u) -> (nll, grad)`` over log-parameters ``u``.

    BFGS on the per-customer mean (so tolerances do not depend on n; scipy's L-BFGS-B costs ~2 ms per
    iteration here, BFGS a tenth) within ``|u| <= bound``, from the first start (the next ones only if it
    fails), then up to 8 Newton steps on the finite-difference Hessian
    of the gradient. Converged means: finite values, max |gradient of the mean NLL| < 1e-6 and a positive
    definite Hessian. A log-parameter beyond ``±edge`` (e^10 ≈ 22,000 times its data scale) means the
    likelihood keeps rising towards a limit of the model (e.g. a, b → ∞: every customer has the same
    dropout probability): when the parameters at the edge are whole pairs of ``limits`` (and not all of
    them), that is accepted as the answer, reported in the last element, and the parameters' standard
    errors are left NaN (the others come from the Hessian of the rest); any other run-off is a failure.
    Returns (u, inverse Hessian of the total NLL, iterations, names at the edge); raises FitError.
    """

    def mean_fun(u):
        if np.max(np.abs(u)) > bound:  # outside the box: no value (the line search steps back)
            return np.inf, np.zeros(len(u))
        f, g = fun(u)
        return (f / n, g / n) if np.isfinite(f) else (np.inf, np.zeros(len(u)))

    def grad(u):
        return fun(u)[1]

    why = "no start converged"
    for u0 in u0s:
        with np.errstate(all="ignore"):
            res = optimize.minimize(mean_fun, u0, jac=True, method="BFGS", options={"maxiter": 1000, "gtol": 1e-9})
            u = np.clip(res.x, -bound, bound)
            f = fun(u)[0]
            off = np.abs(u) > edge
            free = ~off
            for _ in range(8):  # Newton polish of the interior parameters (those at the edge held)
                g = grad(u)[free]
                if not free.any() or np.max(np.abs(g)) / n < 1e-11:
                    break
                try:
                    step = np.zeros(len(u))
                    step[free] = np.linalg.solve(_hessian(grad, u)[np.ix_(free, free)], g)
                except np.linalg.LinAlgError:
                    break
                if not np.all(np.isfinite(step)) or np.max(np.abs((u - step)[free])) > edge:
                    break
                f_new = fun(u - step)[0]
                if not np.isfinite(f_new) or f_new > f + 1e-12 * abs(f):
                    break
                u, f = u - step, f_new
            g = grad(u)
            hess = _hessian(grad, u)
        if not (np.isfinite(f) and np.all(np.isfinite(g)) and np.all(np.isfinite(hess))):
            why = "the log-likelihood is not finite at the optimum"
            continue
        gone = {nm for nm, o in zip(names, off, strict=True) if o}
        if gone and not (gone == set().union(*[set(k) for k in limits if set(k) <= gone]) and len(gone) < len(u)):
            why = (f"{', '.join(sorted(gone))} ran off to 0 or infinity, which is no known limit of the model: "
                   "the data hold too little variation to identify it")
            continue
        if np.max(np.abs(g[free])) / n > 1e-6:
            why = (f"the gradient is not zero at the end (max |g| per customer {np.max(np.abs(g[free])) / n:.2g}; "
                   f"optimizer: {res.message})")
            continue
        h_free = hess[np.ix_(free, free)]
        if free.any() and np.linalg.eigvalsh(h_free).min() <= 0:
            why = "the Hessian is not positive definite: the likelihood is flat in some direction"
            continue
        cov = np.full((len(u), len(u)), np.nan)
        if free.any():
            cov[np.ix_(free, free)] = np.linalg.inv(h_free)
        return u, cov, int(res.nit), tuple(nm for nm, o in zip(names, off, strict=True) if o)
    raise FitError(f"{model}: the maximum-likelihood fit did not converge — {why}. Check that the table has "
                   "enough customers with repeat purchases and a spread of frequency, recency and T.")


def _edge_warning(model: str, edge: tuple[str, ...], est: dict[str, float], pairs: dict) -> None:
    """Warn that the fit sits at a limit of the model, and say which limit in words."""
    if not edge:
        return
    shown = ", ".join(f"{k} = {est[k]:.4g}" for k in edge)
    meaning = next((text(est) for keys, text in pairs.items() if set(keys) <= set(edge)),
                   "the data are at a limit of the model")
    warnings.warn(f"{model}: {shown} ran off towards 0 or infinity — {meaning}. The predictions use that "
                  "limit and stay valid; these parameters have no standard error.", BoundaryWarning, stacklevel=3)


def _param_table(names: list[str], est: np.ndarray, se: np.ndarray, loglik: float, n: int) -> pd.DataFrame:
    z = stats.norm.ppf(0.975)
    # 95% interval on the log scale (parameters are positive), mapped back
    lo = est * np.exp(-z * se / est)
    hi = est * np.exp(z * se / est)
    rows = pd.DataFrame({"parameter": names, "estimate": est, "se": se, "ci_low": lo, "ci_high": hi})
    extra = pd.DataFrame({"parameter": ["log_likelihood", "n_customers"], "estimate": [loglik, float(n)],
                          "se": np.nan, "ci_low": np.nan, "ci_high": np.nan})
    return pd.concat([rows, extra], ignore_index=True)


def _columns(summary: pd.DataFrame, cols: list[str], what: str) -> None:
    if not isinstance(summary, pd.DataFrame):
        raise CLVError(f"{what} needs a DataFrame with columns {', '.join(cols)} (see rfm_summary)")
    missing = [c for c in cols if c not in summary.columns]
    if missing:
        raise CLVError(f"{what}: the customer table lacks column(s) {', '.join(map(repr, missing))} — "
                       f"it has {', '.join(map(repr, summary.columns))}; build it with rfm_summary")


def _weights(summary: pd.DataFrame, what: str) -> np.ndarray:
    """How many customers each row stands for: the :data:`WEIGHT` column of a grouped table, else 1 per row."""
    if WEIGHT not in summary.columns:
        return np.ones(len(summary))
    w = summary[WEIGHT].to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w < 1) | (w != np.round(w))
    if bad.any():
        raise CLVError(f"{what}: {bad.sum():,} row(s) with {WEIGHT} not a whole number >= 1 ({_rows(summary, bad)}) "
                       f"— {WEIGHT} counts the customers of a grouped row (rfm_summary(..., group=True))")
    return w


def _distinct_rows(*cols: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of the columns and their counts — summed ``weights`` when given (lexsort; a likelihood then
    sums over them weighted)."""
    order = np.lexsort(cols[::-1])
    data = np.column_stack([c[order] for c in cols])
    new = np.r_[True, np.any(data[1:] != data[:-1], axis=1)]
    starts = np.flatnonzero(new)
    if weights is None:
        counts = np.diff(np.r_[starts, len(data)])
    else:
        counts = np.add.reduceat(np.asarray(weights, dtype=float)[order], starts) if len(starts) else np.zeros(0)
    return data[starts], counts


def _arrays(*cols) -> list[np.ndarray]:
    return list(np.broadcast_arrays(*[np.asarray(c, dtype=float) for c in cols]))


# --------------------------------------------------------------------------------------------------
# BG/NBD
# --------------------------------------------------------------------------------------------------

BGNBD_PARAMS = ["r", "alpha", "a", "b"]


def _lgamma_diff(z, d):
    """``lnΓ(z + d) − lnΓ(z)`` without cancellation when z is huge (a mixing distribution near a point mass).

    ``gammaln`` difference for z < 1e5; above, Stirling's series
    ``(z − ½) log1p(d/z) + d ln(z + d) − d + 1/(12(z+d)) − 1/(12z) − 1/(360(z+d)³) + 1/(360z³)``.
    """
    z, d = np.broadcast_arrays(np.asarray(z, dtype=float), np.asarray(d, dtype=float))
    big = z >= 1e5
    zs = np.where(big, z, 1e5)
    with np.errstate(invalid="ignore", divide="ignore"):
        stirling = ((zs - 0.5) * np.log1p(d / zs) + d * np.log(zs + d) - d
                    + (1 / (12 * (zs + d)) - 1 / (12 * zs)) - (1 / (360 * (zs + d) ** 3) - 1 / (360 * zs**3)))
    return np.where(big, stirling, special.gammaln(np.where(big, 1.0, z) + d) - special.gammaln(np.where(big, 1.0, z)))


def bgnbd_loglik(r: float, alpha: float, a: float, b: float, frequency, recency, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6), in log space.

    ``L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
    + [x > 0] · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))``, computed as
    ``ln L = [lnΓ(r+x) − lnΓ(r)] + [lnΓ(b+x) − lnΓ(b)] − [lnΓ(a+b+x) − lnΓ(a+b)] + log(exp(A3) + [x>0] exp(A4))``
    with ``A3 = −r log1p(T/α) − x ln(α+T)`` and ``A4 = ln a − ln(b+x−1) − r log1p(t_x/α) − x ln(α+t_x)``
    (``r ln α − (r+x) ln(α+T)`` rearranged): no overflow for large x, no cancellation for large r, α, a, b.

    Example (r = α = a = b = 1; x = 0, T = 2: L = 1/(1+2) = 1/3):
        >>> round(float(bgnbd_loglik(1, 1, 1, 1, 0, 0, 2)[0]), 6), round(float(np.log(1 / 3)), 6)
        (-1.098612, -1.098612)
    """
    x, tx, big_t = (np.atleast_1d(v) for v in _arrays(frequency, recency, T))
    head = _lgamma_diff(r, x) + _lgamma_diff(b, x) - _lgamma_diff(a + b, x)
    a3 = -r * np.log1p(big_t / alpha) - x * np.log(alpha + big_t)
    rep = x > 0
    with np.errstate(divide="ignore"):
        a4 = np.where(rep, np.log(a) - np.log(np.where(rep, b + x - 1, 1.0)) - r * np.log1p(tx / alpha)
                      - x * np.log(alpha + tx), -np.inf)
    return head + np.logaddexp(a3, a4)


def _bgnbd_fun(x: np.ndarray, tx: np.ndarray, big_t: np.ndarray, w: np.ndarray):
    """Total negative log-likelihood and its gradient in u = log(r, α, a, b) (data already scaled).

    Terms that depend on x only (the Γ ratios, their digammas, ``ln(b+x−1)``) are evaluated once per
    distinct x and summed with the weight of each x; per row remain the logs and the log-sum-exp.
    Formulas as in :func:`bgnbd_loglik`; derivatives of ``A3``: ``∂r = −log1p(T/α)``,
    ``α ∂α = (rT − xα)/(α+T)`` (same for ``A4`` with t_x), ``∂a A4 = 1/a``, ``∂b A4 = −1/(b+x−1)``.
    """
    xs, kidx = np.unique(x, return_inverse=True)
    wk = np.bincount(kidx, weights=w, minlength=len(xs))
    zero = x == 0
    w0, t0 = w[zero], big_t[zero]
    rep = ~zero
    x1, tx1, t1, w1, k1 = x[rep], tx[rep], big_t[rep], w[rep], kidx[rep]
    xs1 = np.maximum(xs, 1.0)  # b + x - 1 only used for x >= 1

    def fun(u):
        r, alpha, a, b = np.exp(u)
        # x-only parts, per distinct x
        ll = (wk * (_lgamma_diff(r, xs) + _lgamma_diff(b, xs) - _lgamma_diff(a + b, xs))).sum()
        psi_ab = special.digamma(a + b + xs) - special.digamma(a + b)
        dr = (wk * (special.digamma(r + xs) - special.digamma(r))).sum()
        da = -(wk * psi_ab).sum()
        db = (wk * (special.digamma(b + xs) - special.digamma(b) - psi_ab)).sum()
        # customers without repeat purchases: L = (α/(α+T))^r
        l0 = np.log1p(t0 / alpha)
        ll -= r * (w0 * l0).sum()
        dr -= (w0 * l0).sum()
        dla = r * (w0 * t0 / (alpha + t0)).sum()  # α ∂/∂α
        # repeat buyers: the two terms of L through log-sum-exp
        inv_bx = 1.0 / (b + xs1 - 1)
        l_t, l_tx = np.log1p(t1 / alpha), np.log1p(tx1 / alpha)
        a3 = -r * l_t - x1 * np.log(alpha + t1)
        a4 = np.log(a) + np.log(inv_bx)[k1] - r * l_tx - x1 * np.log(alpha + tx1)
        lse = np.logaddexp(a3, a4)
        w3 = np.exp(a3 - lse)
        w4 = np.exp(a4 - lse)
        ll += (w1 * lse).sum()
        dr -= (w1 * (w3 * l_t + w4 * l_tx)).sum()
        dla += (w1 * (w3 * (r * t1 - x1 * alpha) / (alpha + t1) + w4 * (r * tx1 - x1 * alpha) / (alpha + tx1))).sum()
        ww4 = w1 * w4
        da += ww4.sum() / a
        db -= (ww4 * inv_bx[k1]).sum()
        return -ll, -np.array([dr * r, dla, da * a, db * b])

    return fun


def _alive_closed(r, alpha, a, b, t, x, big_t) -> np.ndarray:
    """E[Y(t) | alive, x, T] by the paper's formula, Euler-transformed:
    ``(a+b+x−1)/(a−1) · [1 − (1−z)^(a−1) 2F1(a+b−1−r, a−1; a+b+x−1; z)]``, ``z = t/(α+T+t)``."""
    am1 = a - 1.0
    if abs(am1) < 1e-7:  # removable singularity at a = 1: evaluate just beside it
        am1 = 1e-7 if am1 >= 0 else -1e-7
    a_eff = 1.0 + am1
    with np.errstate(all="ignore"):
        z = t / (alpha + big_t + t)
        log1mz = np.log1p(-z)
        f = special.hyp2f1(a_eff + b - 1 - r, am1, a_eff + b + x - 1, z)
        # 1 − (1−z)^(a−1)·F, written so that it keeps its precision when a is close to 1
        bracket = -np.expm1(am1 * log1mz) - np.exp(am1 * log1mz) * (f - 1.0)
        return (a_eff + b + x - 1) / am1 * bracket


def _beta_nodes(a: float, b: float, n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Jacobi nodes and weights for E[h(p)], p ~ Beta(a, b) (Golub-Welsch on the Jacobi recurrence,
    weights normalised to 1, so no overflow of the Beta function for large a, b)."""
    al, be = b - 1.0, a - 1.0  # weight (1 − y)^al (1 + y)^be on [−1, 1], p = (1 + y)/2
    k = np.arange(n, dtype=float)
    s = 2 * k + al + be
    with np.errstate(divide="ignore", invalid="ignore"):
        diag = np.where(np.abs(s * (s + 2)) > 0, (be**2 - al**2) / (s * (s + 2)), 0.0)
    diag[0] = (be - al) / (al + be + 2)
    k1 = k[1:]
    s1 = 2 * k1 + al + be
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.sqrt(4 * k1 * (k1 + al) * (k1 + be) * (k1 + al + be) / (s1**2 * (s1 + 1) * (s1 - 1)))
    # k = 1: (k + al + be) / (s − 1) = 1, which is 0/0 when al + be = −1 (a + b = 1, e.g. a = b = 0.5)
    off[0] = np.sqrt(4 * (1 + al) * (1 + be) / ((2 + al + be) ** 2 * (3 + al + be)))
    y, vec = linalg.eigh_tridiagonal(diag, off)
    w = vec[0] ** 2
    return (1 + y) / 2, w / w.sum()


def _alive_quadrature(r, alpha, a, b, t, x, big_t) -> np.ndarray:
    """The same expectation by quadrature over the dropout probability (used where 2F1 is unreliable):
    ``E[Y(t) | alive] = E_p[(1 − (1 + p s)^−(r+x)) / p]``, ``s = t/(α+T)``, ``p ~ Beta(a, b+x)`` (the
    posterior of p of a customer still alive); Gauss-Jacobi per distinct x (64 nodes, 256 when s > 5)."""
    out = np.empty(len(t))
    for xv in np.unique(x):
        i = np.flatnonzero(x == xv)
        s = (t[i] / (alpha + big_t[i]))[:, None]
        # the integrand has a pole at p = −1/s: more nodes when it comes close to [0, 1]
        p, w = _beta_nodes(a, b + xv, 64 if s.max() <= 5 else 256)
        p = np.clip(p, 1e-300, 1.0)
        g = -np.expm1(-(r + xv) * np.log1p(p[None, :] * s)) / p[None, :]
        out[i] = g @ w
    return out


def _bgnbd_core(r, alpha, a, b, t, x, tx, big_t):
    """(P(alive), E[Y(t) | x, t_x, T]) (formulas in BGNBDResult).

    E[Y | alive] by the Euler-transformed 2F1; a value that is not finite or falls outside its bounds
    ``[1 − (1+s)^−(r+x), (r+x) s]`` (the integrand at p = 1 and p = 0; scipy's hyp2f1 fails for huge a, b),
    and every row whose ``c − a − b = x + r + 1 − a`` is within 1e-3 of an integer (where scipy's hyp2f1
    loses digits), is computed by quadrature over p instead (Gauss-Jacobi; agrees with the closed form to
    ~1e-12 for moderate t/(α+T)).
    """
    t, x, tx, big_t = (np.atleast_1d(v) for v in _arrays(t, x, tx, big_t))
    shape = np.broadcast_shapes(t.shape, x.shape)
    t, x, tx, big_t = (np.broadcast_to(v, shape).ravel() for v in (t, x, tx, big_t))
    rep = x > 0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        log_d = np.log(a) - np.log(np.where(rep, b + x - 1, 1.0)) \
            + (r + x) * (np.log(alpha + big_t) - np.log(alpha + tx))
        p_alive = np.where(rep, special.expit(-log_d), 1.0)
        e_alive = _alive_closed(r, alpha, a, b, t, x, big_t)
        s = t / (alpha + big_t)
        lo = -np.expm1(-(r + x) * np.log1p(s))
        hi = (r + x) * s
    # scipy's hyp2f1 loses digits when c − a − b = x + r + 1 − a is (nearly) an integer: quadrature there too
    d = x + r + 1 - a
    bad = (t > 0) & (~(np.isfinite(e_alive) & (e_alive >= lo * (1 - 1e-7)) & (e_alive <= hi * (1 + 1e-7)))
                     | (np.abs(d - np.round(d)) < 1e-3))
    if bad.any():
        e_alive[bad] = _alive_quadrature(r, alpha, a, b, t[bad], x[bad], big_t[bad])
    expected = np.where(t > 0, e_alive * p_alive, 0.0)
    return p_alive.reshape(shape), expected.reshape(shape)


@dataclass(frozen=True)
class BGNBDResult:
    """A fitted (or given) BG/NBD model; rates in 1 / ``unit`` (``unit_days`` days per unit).

    Formulas (Fader, Hardie & Lee 2005; ``z = t / (α + T + t)``):

    * ``P(alive | x, t_x, T) = 1 / (1 + [x > 0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))`` (Fader, Hardie &
      Lee 2008, "Computing P(alive) using the BG/NBD model"), computed as ``expit(−log D)``;
    * ``E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; z)]
      · P(alive)`` (eq. 10), evaluated through Euler's transformation
      ``(1−z)^(r+x) 2F1(r+x, b+x; c; z) = (1−z)^(a−1) 2F1(a+b−1−r, a−1; c; z)``, whose series stays
      near 1 however large x is (no overflow of the power and of 2F1 separately); at ``a = 1`` (a removable
      singularity) it is evaluated at ``a = 1 ± 1e-7``; where scipy's ``hyp2f1`` fails (not finite, or outside
      the bounds ``[1 − (1+s)^−(r+x), (r+x)s]``, ``s = t/(α+T)``; near-integer ``x + r + 1 − a``; huge
      a and b) the same expectation ``E_p[(1 − (1+ps)^−(r+x))/p]``, ``p ~ Beta(a, b+x)``, is taken by quadrature;
    * ``E[X(t)]`` for a new customer (eq. 7) is the same with ``x = t_x = T = 0``.

    Attributes besides the parameters: ``se`` (standard errors, NaN for parameters at a limit), ``cov``
    (their covariance), ``loglik`` (in the table's unit), ``n`` (customers), ``unit``/``unit_days`` (from
    :func:`rfm_summary`), ``iterations`` (optimizer), ``at_edge`` (parameters that ran to 0 or infinity).

    Example (the paper's CDNOW estimates; its customer with x = 2, t_x = 30.43, T = 38.86 expects 1.226
    purchases in the next 39 weeks):
        >>> m = BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(float(m.conditional_expected_purchases(39, 2, 30.43, 38.86)[0]), 3)
        1.226
    """

    r: float
    alpha: float
    a: float
    b: float
    se: dict[str, float] = field(default_factory=lambda: dict.fromkeys(BGNBD_PARAMS, np.nan))
    cov: np.ndarray | None = field(default=None, repr=False)
    loglik: float = np.nan
    n: int = 0
    unit: str | float | None = None
    unit_days: float | None = None
    iterations: int = 0
    at_edge: tuple[str, ...] = ()

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and 95% intervals (log scale), then log-likelihood and n.

        Columns ``parameter``, ``estimate``, ``se``, ``ci_low``, ``ci_high``; rows r, alpha, a, b,
        log_likelihood, n_customers.

        Example:
            >>> BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426).summary()["parameter"].tolist()
            ['r', 'alpha', 'a', 'b', 'log_likelihood', 'n_customers']
        """
        est = np.array([self.r, self.alpha, self.a, self.b])
        se = np.array([self.se[k] for k in BGNBD_PARAMS])
        return _param_table(BGNBD_PARAMS, est, se, self.loglik, self.n)

    def expected_purchases(self, t) -> np.ndarray:
        """Expected repeat purchases of a new customer in (0, t], eq. 7:
        ``E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b; a+b−1; t/(α+t))]``.

        Example (the paper's rounded CDNOW estimates; 1 and 78 weeks):
            >>> np.round(BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426).expected_purchases([1, 78]), 3)
            array([0.053, 1.861])
        """
        return _bgnbd_core(self.r, self.alpha, self.a, self.b, t, 0.0, 0.0, 0.0)[1]

    def p_alive(self, frequency, recency, T) -> np.ndarray:
        """P(alive | x, t_x, T) (formula in the class docstring); 1 for customers without repeat purchases.

        Example (x = 2, t_x = 30.43, T = 38.86: D = 0.793/3.426 · (43.274/34.844)^2.243 = 0.3763, 1/(1+D)):
            >>> round(float(BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426).p_alive(2, 30.43, 38.86)[0]), 3)
            0.727
        """
        return _bgnbd_core(self.r, self.alpha, self.a, self.b, 0.0, frequency, recency, T)[0]

    def conditional_expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` units (eq. 10, class docstring).

        Example (a customer silent since week 2 of 38.86 has lower expectations than one seen at week 30):
            >>> m = BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> bool(m.conditional_expected_purchases(39, 2, 2.0, 38.86)[0] < m.conditional_expected_purchases(39, 2, 30.43, 38.86)[0])
            True
        """
        return _bgnbd_core(self.r, self.alpha, self.a, self.b, t, frequency, recency, T)[1]

    def predict(self, summary: pd.DataFrame, t: float) -> pd.DataFrame:
        """Per customer: ``p_alive`` and ``expected_purchases`` in the next ``t`` units (summary's columns kept).

        Example:
            >>> s = pd.DataFrame({"customer": ["a", "b"], "frequency": [2, 0], "recency": [30.43, 0.0],
            ...                   "T": [38.86, 38.86]})
            >>> BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426).predict(s, 39).round(3).to_dict("list")["expected_purchases"]
            [1.226, 0.195]
        """
        _columns(summary, ["frequency", "recency", "T"], "BGNBDResult.predict")
        p, e = _bgnbd_core(self.r, self.alpha, self.a, self.b, t, summary["frequency"], summary["recency"],
                           summary["T"])
        out = summary.copy()
        out["p_alive"] = p
        out["expected_purchases"] = e
        return out

    def clv(self, spend: GammaGammaResult, summary: pd.DataFrame, **kwargs) -> pd.DataFrame:
        """Customer lifetime value with this model and a spend model: :func:`customer_lifetime_value`.

        Example (a new-ish customer without repeat purchases is valued at the population mean spend):
            >>> m = BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426, unit_days=7.0)
            >>> s = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [10.0], "monetary_value": [0.0]})
            >>> out = m.clv(GammaGammaResult(p=6.25, q=3.74, gamma=15.44), s, margin=0.3)
            >>> round(float(out.expected_spend[0]), 2)
            35.22
        """
        return customer_lifetime_value(self, spend, summary, **kwargs)

    def plot(self, summary: pd.DataFrame | None = None, max_frequency: int = 20):
        """The P(alive) matrix by frequency and recency for a customer as old as the oldest in ``summary``
        (``opslib.plotting.customers.p_alive_matrix_chart``); without a summary, for an age of 52 units."""
        from opslib.plotting.customers import p_alive_matrix_chart

        big_t = float(summary["T"].max()) if summary is not None and len(summary) else 52.0
        if summary is not None and len(summary):
            max_frequency = int(min(max_frequency, max(int(summary["frequency"].quantile(0.99)), 1)))
        unit = {1.0: "days", 7.0: "weeks"}.get(self.unit_days or 0.0, "units")
        return p_alive_matrix_chart(self, max_frequency=max_frequency, max_recency=big_t, unit=unit)


def _check_rft(summary: pd.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _columns(summary, ["frequency", "recency", "T"], what)
    x = summary["frequency"].to_numpy(dtype=float)
    tx = summary["recency"].to_numpy(dtype=float)
    big_t = summary["T"].to_numpy(dtype=float)
    problems = []
    bad = ~np.isfinite(x) | (x < 0) | (x != np.round(x))
    if bad.any():
        problems.append(f"{bad.sum():,} row(s) with frequency not a whole number >= 0 ({_rows(summary, bad)})")
    bad = ~np.isfinite(tx) | ~np.isfinite(big_t) | (tx < 0) | (tx > big_t + 1e-9 * np.abs(big_t))
    if bad.any():
        problems.append(f"{bad.sum():,} row(s) where 0 <= recency <= T does not hold ({_rows(summary, bad)})")
    bad = (x == 0) & (tx != 0)
    if bad.any():
        problems.append(f"{bad.sum():,} row(s) with frequency 0 but recency != 0 ({_rows(summary, bad)})")
    if problems:
        raise CLVError(f"{what}: the customer table is not valid — " + "; ".join(problems))
    return x, tx, big_t


def _rows(summary: pd.DataFrame, mask: np.ndarray, k: int = 5) -> str:
    """The offending rows as the user knows them: customer ids (rfm_summary's customer column) or index labels."""
    col = summary.attrs.get("customer")
    labels = summary[col] if col in summary.columns else summary.index
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in np.asarray(labels)[mask][:k])
    extra = int(mask.sum()) - k
    what = str(col) if col in summary.columns else "index"
    return f"{what} {shown}" + (f" and {extra:,} more" if extra > 0 else "")


def fit_bgnbd(summary: pd.DataFrame, *, unit_days: float | None = None) -> BGNBDResult:
    """Fit the BG/NBD model by maximum likelihood on a customer table (frequency, recency, T).

    Maximises ``Σ_i ln L_i(r, α, a, b)`` (:func:`bgnbd_loglik`) over the log-parameters, on identical
    (x, t_x, T) rows merged with weights (a grouped table's :data:`WEIGHT` column adds to them: the same
    likelihood, so the same fit) and time divided by max T (so the unit does not matter: time x c
    gives α x c and the same r, a, b). Standard errors: ``θ · sqrt(diag(H⁻¹))`` with ``H`` the Hessian of
    −LL in log-parameters (delta method). Raises :class:`FitError` when the optimum is not interior.

    Parameters:
        summary: one row per customer, columns ``frequency``, ``recency``, ``T`` (:func:`rfm_summary`); or
            grouped rows with their customer counts in :data:`WEIGHT` (``rfm_summary(..., group=True)``).
        unit_days: days per time unit, for :func:`clv`; default ``summary.attrs['unit_days']``.

    Returns:
        :class:`BGNBDResult` with parameters, ``se``, ``cov`` (parameters' covariance), ``loglik``, ``n``.

    Example (simulated: 3,000 customers of a BG/NBD with r = 0.5, α = 5, a = 1, b = 3 over 52 weeks):
        >>> rng = np.random.default_rng(1)
        >>> from opslib.customers.clv import _simulate_bgnbd
        >>> s = _simulate_bgnbd(rng, 3000, 0.5, 5.0, 1.0, 3.0, T=52.0)
        >>> m = fit_bgnbd(s)
        >>> 0.35 < m.r < 0.7 and 3 < m.alpha < 8
        True
    """
    x, tx, big_t = _check_rft(summary, "fit_bgnbd")
    w = _weights(summary, "fit_bgnbd")
    n = int(w.sum())
    if n == 0:
        raise CLVError("fit_bgnbd: the customer table is empty")
    if not (x > 0).any():
        raise FitError("BG/NBD: no customer has a repeat purchase (every frequency is 0), so the purchase rate "
                       "and dropout cannot be estimated — use a longer calibration period")
    if np.max(big_t) <= 0:
        raise FitError("BG/NBD: every customer has T = 0 — calibration_end must be after the first purchases")
    rows, counts = _distinct_rows(x, tx, big_t, weights=w)
    scale = float(np.max(big_t))
    fun = _bgnbd_fun(rows[:, 0], rows[:, 1] / scale, rows[:, 2] / scale, counts.astype(float))
    starts = [np.log([1.0, 1.0, 1.0, 1.0]), np.log([0.3, 0.1, 0.5, 2.0]), np.log([3.0, 2.0, 2.0, 5.0])]
    u, cov_u, nit, edge = _mle(fun, starts, BGNBD_PARAMS, "BG/NBD", float(n), limits=(("a", "b"), ("r", "alpha")))
    est = np.exp(u) * np.array([1.0, scale, 1.0, 1.0])
    _edge_warning("BG/NBD", edge, dict(zip(BGNBD_PARAMS, est, strict=True)), {
        ("a", "b"): lambda e: f"every customer has the same dropout probability a/(a+b) = {e['a'] / (e['a'] + e['b']):.4g}",
        ("r", "alpha"): lambda e: f"every customer has the same purchase rate r/alpha = {e['r'] / e['alpha']:.4g} per unit",
    })
    se = est * np.sqrt(np.diag(cov_u))
    cov = cov_u * np.outer(est, est)
    ll = float((w * bgnbd_loglik(*est, x, tx, big_t)).sum())
    ud = unit_days if unit_days is not None else summary.attrs.get("unit_days")
    return BGNBDResult(*[float(v) for v in est], se=dict(zip(BGNBD_PARAMS, map(float, se), strict=True)), cov=cov,
                       loglik=ll, n=n, unit=summary.attrs.get("unit"), unit_days=ud, iterations=nit, at_edge=edge)


def _simulate_bgnbd(rng: np.random.Generator, n: int, r: float, alpha: float, a: float, b: float,
                    T: float | np.ndarray, t_holdout: float = 0.0) -> pd.DataFrame:
    """Customer table drawn from the BG/NBD process (for examples, tests and benchmarks).

    λ ~ Gamma(r, rate α), p ~ Beta(a, b); gaps Exponential(1/λ); after each repeat purchase the customer
    drops out with probability p. Columns frequency, recency, T (and frequency_holdout, duration_holdout
    when ``t_holdout`` > 0).
    """
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    big_t = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    horizon = big_t + t_holdout
    # number of repeat purchases before dropout (if never censored): J ~ Geometric(p) on 1, 2, ...
    j = rng.geometric(p)
    x = np.zeros(n, dtype=np.int64)
    tx = np.zeros(n)
    xh = np.zeros(n, dtype=np.int64)
    t_now = np.zeros(n)
    k = np.zeros(n, dtype=np.int64)
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        t_now[idx] += rng.exponential(1.0, len(idx)) / lam[idx]
        inside = t_now[idx] <= horizon[idx]
        cal = inside & (t_now[idx] <= big_t[idx])
        x[idx[cal]] += 1
        tx[idx[cal]] = t_now[idx[cal]]
        xh[idx[inside & ~cal]] += 1
        k[idx[inside]] += 1
        active[idx] = inside & (k[idx] < j[idx])
    out = pd.DataFrame({"customer": np.arange(n), "frequency": x, "recency": tx, "T": big_t})
    if t_holdout > 0:
        out["frequency_holdout"] = xh
        out["duration_holdout"] = float(t_holdout)
    return out


# --------------------------------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------------------------------

GG_PARAMS = ["p", "q", "gamma"]


def _gg_head(p: float, q: float, x: np.ndarray) -> np.ndarray:
    """``lnΓ(px+q) − lnΓ(px) − lnΓ(q)``, the Γ difference taken on the larger argument (no cancellation)."""
    px = p * x
    q_big = q >= px
    return np.where(q_big, _lgamma_diff(q, px) - special.gammaln(px), _lgamma_diff(px, q) - special.gammaln(q))


def gamma_gamma_loglik(p: float, q: float, gamma: float, frequency, monetary_value) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend ``m`` over ``x`` repeat purchases.

    ``f(m | x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m^(px−1) x^(px) / (γ + m x)^(px+q)`` (Fader & Hardie 2013), so
    ``ln f = lnΓ(px+q) − lnΓ(px) − lnΓ(q) − q log1p(m x/γ) − px ln(γ + m x) + (px−1) ln m + px ln x``
    (``q ln γ − (px+q) ln(γ + m x)`` rearranged so that large q and γ do not cancel).

    Example (p = 1, q = 2, γ = 1; one purchase of 1: f = Γ(3) · 1 / 2^3 = 1/4):
        >>> round(float(gamma_gamma_loglik(1, 2, 1, 1, 1.0)[0]), 6), round(float(np.log(0.25)), 6)
        (-1.386294, -1.386294)
    """
    x, m = (np.atleast_1d(v) for v in _arrays(frequency, monetary_value))
    px = p * x
    return (_gg_head(p, q, x) - q * np.log1p(m * x / gamma) - px * np.log(gamma + m * x)
            + (px - 1) * np.log(m) + px * np.log(x))


def _gg_fun(x: np.ndarray, m: np.ndarray, w: np.ndarray):
    """Total negative log-likelihood and gradient in u = log(p, q, γ) (money already scaled)."""
    lmx = np.log(m) + np.log(x)
    mx = m * x

    def fun(u):
        p, q, g = np.exp(u)
        px = p * x
        lgm = np.log(g + mx)
        l1 = np.log1p(mx / g)
        ll = (w * (_gg_head(p, q, x) - q * l1 - px * lgm + (px - 1) * np.log(m) + px * np.log(x))).sum()
        psi = special.digamma(px + q)
        dp = (w * x * (psi - special.digamma(px) + lmx - lgm)).sum()
        dq = (w * (psi - special.digamma(q) - l1)).sum()
        dlg = (w * (q * mx - px * g) / (g + mx)).sum()  # γ ∂/∂γ
        return -ll, -np.array([dp * p, dq * q, dlg])

    return fun


@dataclass(frozen=True)
class GammaGammaResult:
    """A fitted (or given) Gamma-Gamma spend model, money in the summary's currency.

    ``E[M | x, m_x] = (γ + m_x x) p / (p x + q − 1) = w · p γ/(q−1) + (1 − w) · m_x`` with
    ``w = (q−1)/(p x + q − 1)``: a weighted average of the population mean ``p γ / (q − 1)`` and the
    customer's own mean, shrinking less as x grows. Needs ``q > 1`` for a finite population mean (NaN
    otherwise for customers without repeat purchases). Attributes as in :class:`BGNBDResult` (``n`` counts
    the repeat buyers the model was fitted on).

    Example (Fader & Hardie's CDNOW estimates p = 6.25, q = 3.74, γ = 15.44: population mean ¥35.22;
    a customer with 2 repeats averaging ¥22.35 is expected to spend 6.25 · (15.44 + 44.70) / (12.5 + 2.74)):
        >>> gg = GammaGammaResult(p=6.25, q=3.74, gamma=15.44)
        >>> round(gg.mean_spend, 2), round(float(gg.conditional_expected_spend(2, 22.35)[0]), 2)
        (35.22, 24.66)
    """

    p: float
    q: float
    gamma: float
    se: dict[str, float] = field(default_factory=lambda: dict.fromkeys(GG_PARAMS, np.nan))
    cov: np.ndarray | None = field(default=None, repr=False)
    loglik: float = np.nan
    n: int = 0
    iterations: int = 0
    at_edge: tuple[str, ...] = ()

    @property
    def params(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def mean_spend(self) -> float:
        """Population mean spend per purchase ``p γ / (q − 1)`` (NaN when q <= 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("nan")

    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and 95% intervals (log scale), then log-likelihood and n.

        Example:
            >>> GammaGammaResult(p=6.25, q=3.74, gamma=15.44).summary()["parameter"].tolist()
            ['p', 'q', 'gamma', 'log_likelihood', 'n_customers']
        """
        est = np.array([self.p, self.q, self.gamma])
        se = np.array([self.se[k] for k in GG_PARAMS])
        return _param_table(GG_PARAMS, est, se, self.loglik, self.n)

    def conditional_expected_spend(self, frequency, monetary_value) -> np.ndarray:
        """E[M | x, m_x] per customer (class docstring); the population mean for x = 0.

        Example (no repeat purchase -> the population mean):
            >>> round(float(GammaGammaResult(p=6.25, q=3.74, gamma=15.44).conditional_expected_spend(0, 0.0)[0]), 2)
            35.22
        """
        x, m = _arrays(frequency, monetary_value)
        x, m = np.atleast_1d(x), np.atleast_1d(m)
        with np.errstate(divide="ignore", invalid="ignore"):
            den = self.p * x + self.q - 1
            own = (self.gamma + m * x) * self.p / den
        return np.where(x > 0, np.where(den > 0, own, np.nan), self.mean_spend)


def fit_gamma_gamma(summary: pd.DataFrame) -> GammaGammaResult:
    """Fit the Gamma-Gamma spend model by maximum likelihood on the customers with repeat purchases.

    Maximises ``Σ_{i: x_i > 0} ln f(m_i | x_i; p, q, γ)`` (:func:`gamma_gamma_loglik`) over log-parameters,
    with money divided by its mean inside (money x c gives γ x c and the same p, q). Standard errors from
    the Hessian as in :func:`fit_bgnbd`. Check the independence assumption with
    :func:`frequency_spend_correlation`.

    Parameters:
        summary: columns ``frequency`` and ``monetary_value`` (mean repeat-purchase value, > 0 for x > 0);
            with a :data:`WEIGHT` column (a grouped table) each row counts that many customers.

    Returns:
        :class:`GammaGammaResult`; ``n`` counts the repeat buyers used.

    Example (simulated: 2,000 repeat buyers with p = 6, q = 4, γ = 15):
        >>> rng = np.random.default_rng(2)
        >>> x = rng.integers(1, 6, 2000)
        >>> nu = rng.gamma(4.0, 1 / 15.0, 2000)
        >>> m = rng.gamma(6.0 * x, 1 / nu) / x  # mean of x Gamma(6, nu) spends
        >>> gg = fit_gamma_gamma(pd.DataFrame({"frequency": x, "monetary_value": m}))
        >>> 4 < gg.p < 9 and 2.5 < gg.q < 6
        True
    """
    _columns(summary, ["frequency", "monetary_value"], "fit_gamma_gamma")
    x = summary["frequency"].to_numpy(dtype=float)
    m = summary["monetary_value"].to_numpy(dtype=float)
    w = _weights(summary, "fit_gamma_gamma")
    rep = x > 0
    bad = rep & ~(np.isfinite(m) & (m > 0))
    if bad.any():
        raise CLVError(f"fit_gamma_gamma: {bad.sum():,} repeat buyer(s) have monetary_value <= 0 or empty ("
                       f"{_rows(summary, bad)}) — the Gamma-Gamma model needs positive spend; drop them first, e.g. "
                       "summary[summary.monetary_value > 0]")
    n_rep = int(w[rep].sum())
    if n_rep < 10:
        raise FitError(f"Gamma-Gamma: only {n_rep} customer(s) with repeat purchases; at least 10 needed")
    x, m, w = x[rep], m[rep], w[rep]
    rows, counts = _distinct_rows(x, m, weights=w)
    scale = float(np.average(m, weights=w))
    fun = _gg_fun(rows[:, 0], rows[:, 1] / scale, counts.astype(float))
    starts = [np.log([1.0, 1.0, 1.0]), np.log([5.0, 3.0, 10.0]), np.log([0.5, 2.0, 0.5])]
    u, cov_u, nit, edge = _mle(fun, starts, GG_PARAMS, "Gamma-Gamma", float(n_rep), limits=(("q", "gamma"),))
    est = np.exp(u) * np.array([1.0, 1.0, scale])
    _edge_warning("Gamma-Gamma", edge, dict(zip(GG_PARAMS, est, strict=True)), {
        ("q", "gamma"): lambda e: f"every customer has the same mean spend p·gamma/q = {e['p'] * e['gamma'] / e['q']:.4g}",
    })
    se = est * np.sqrt(np.diag(cov_u))
    ll = float((w * gamma_gamma_loglik(*est, x, m)).sum())
    return GammaGammaResult(*[float(v) for v in est], se=dict(zip(GG_PARAMS, map(float, se), strict=True)),
                            cov=cov_u * np.outer(est, est), loglik=ll, n=n_rep, iterations=nit, at_edge=edge)


# --------------------------------------------------------------------------------------------------
# Checks: frequency-spend independence, calibration/holdout
# --------------------------------------------------------------------------------------------------


def frequency_spend_correlation(summary: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """The Gamma-Gamma independence check: correlation of frequency and mean spend among repeat buyers.

    Pearson ``ρ`` with the Fisher interval ``tanh(atanh ρ ± z·/sqrt(n−3))`` and Spearman's rank
    correlation with the Bonett-Wright interval ``tanh(atanh ρ_s ± z·sqrt((1 + ρ_s²/2)/(n−3)))``;
    ``p_value`` tests zero correlation. Spend independent of frequency is what the model assumes: a
    correlation near 0 (Fader, Hardie & Lee 2005 report 0.11 on CDNOW) supports it; judge the size, not
    the p-value, which is small for any correlation on large samples.

    Parameters:
        summary: columns ``frequency`` and ``monetary_value``; rows with frequency 0 are left out; a grouped
            table's rows count :data:`WEIGHT` times.
        level: confidence level of the intervals.

    Returns:
        Rows ``pearson`` and ``spearman``; columns ``method``, ``n``, ``estimate``, ``ci_low``, ``ci_high``,
        ``p_value``.

    Example (spend rising exactly with frequency -> correlation 1):
        >>> s = pd.DataFrame({"frequency": [0, 1, 2, 3, 4, 5], "monetary_value": [0, 10.0, 20, 30, 40, 50]})
        >>> frequency_spend_correlation(s)[["method", "n", "estimate"]].round(3).to_dict("records")
        [{'method': 'pearson', 'n': 5, 'estimate': 1.0}, {'method': 'spearman', 'n': 5, 'estimate': 1.0}]
    """
    _columns(summary, ["frequency", "monetary_value"], "frequency_spend_correlation")
    rep = summary["frequency"].to_numpy() > 0
    x = summary["frequency"].to_numpy(dtype=float)[rep]
    m = summary["monetary_value"].to_numpy(dtype=float)[rep]
    if WEIGHT in summary.columns:  # a grouped table: each row as many times as it has customers (repeat buyers only)
        k = _weights(summary, "frequency_spend_correlation")[rep].astype(np.int64)
        x, m = np.repeat(x, k), np.repeat(m, k)
    n = len(x)
    if n < 4:
        raise CLVError(f"frequency_spend_correlation: {n} repeat buyer(s); at least 4 needed")
    with np.errstate(divide="ignore", invalid="ignore"):
        # ranks of the spend rounded to 1e-6: spends equal but for the order their lines were summed in (a parallel
        # engine's sums differ in the last bits from run to run) tie, as they do in the SQL version
        est = {"pearson": float(stats.pearsonr(x, m).statistic),
               "spearman": float(stats.spearmanr(x, np.round(m, 6)).statistic)}
    return correlation_table(n, est["pearson"], est["spearman"], level)


def correlation_table(n: int, pearson: float, spearman: float, level: float = 0.95) -> pd.DataFrame:
    """:func:`frequency_spend_correlation`'s table from the two estimates on ``n`` pairs (e.g. computed in SQL).

    Intervals as there; ``p_value`` of Pearson's ρ from its exact null distribution (ρ ~ 2·Beta(n/2−1, n/2−1) − 1)
    and of Spearman's from ``t = ρ_s·sqrt((n−2)/(1−ρ_s²))`` with n−2 degrees of freedom — SciPy's ``pearsonr``
    and ``spearmanr`` p-values.

    Parameters:
        n: pairs (at least 4). pearson, spearman: the correlation estimates. level: confidence level.

    Returns:
        Rows ``pearson`` and ``spearman``; columns ``method``, ``n``, ``estimate``, ``ci_low``, ``ci_high``,
        ``p_value``.

    Example (ρ = 0 on 103 pairs: the interval is ±1.96/10 in atanh units, p = 1):
        >>> correlation_table(103, 0.0, 0.0).round(4)[["ci_low", "ci_high", "p_value"]].to_dict("records")[0]
        {'ci_low': -0.1935, 'ci_high': 0.1935, 'p_value': 1.0}
    """
    if n < 4:
        raise CLVError(f"frequency_spend_correlation: {n} repeat buyer(s); at least 4 needed")
    z = stats.norm.ppf(0.5 + level / 2)
    rows = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for method, est in (("pearson", float(pearson)), ("spearman", float(spearman))):
            half = z * np.sqrt((1.0 if method == "pearson" else 1 + est**2 / 2) / (n - 3))
            c = np.arctanh(np.clip(est, -1 + 1e-15, 1 - 1e-15))
            if not np.isfinite(est):
                p = float("nan")
            elif method == "pearson":
                ab = n / 2 - 1
                p = float(2 * stats.beta(ab, ab, loc=-1, scale=2).sf(min(abs(est), 1.0)))
            else:
                t = est * np.sqrt((n - 2) / ((est + 1) * (1 - est))) if abs(est) < 1 else np.inf
                p = float(2 * stats.t.sf(abs(t), n - 2))
            rows.append({"method": method, "n": n, "estimate": est, "ci_low": float(np.tanh(c - half)),
                         "ci_high": float(np.tanh(c + half)), "p_value": p})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class HoldoutEvaluation:
    """Predicted vs actual holdout purchases.

    ``by_frequency``: one row per calibration frequency (the last bucket ``k+`` pools the rest), columns
    ``frequency`` (bucket lower bound), ``label``, ``customers``, ``actual`` and ``predicted`` (mean holdout
    purchases per customer): the data of the classic conditional-expectation chart.
    ``customers``: the summary with ``predicted``. ``mae`` = mean |predicted − actual| per customer;
    ``rmse``; ``total_actual``, ``total_predicted`` and ``aggregate_error`` = total predicted / total
    actual − 1.
    """

    by_frequency: pd.DataFrame
    customers: pd.DataFrame
    mae: float
    rmse: float
    total_actual: float
    total_predicted: float
    duration: float
    n_customers: int | None = None

    @property
    def aggregate_error(self) -> float:
        return self.total_predicted / self.total_actual - 1 if self.total_actual else float("nan")

    @property
    def customer_count(self) -> int:
        """Customers evaluated (the rows of ``customers``, or their :data:`WEIGHT` sum when grouped)."""
        return int(self.n_customers) if self.n_customers is not None else len(self.customers)

    def summary(self) -> pd.DataFrame:
        """One row: customers, holdout duration, MAE, RMSE, totals and aggregate error."""
        return pd.DataFrame([{"customers": self.customer_count, "duration": self.duration, "mae": self.mae,
                              "rmse": self.rmse, "total_actual": self.total_actual,
                              "total_predicted": self.total_predicted, "aggregate_error": self.aggregate_error}])

    def plot(self):
        """Predicted vs actual holdout purchases by calibration frequency
        (``opslib.plotting.customers.calibration_chart``)."""
        from opslib.plotting.customers import calibration_chart

        return calibration_chart(self.by_frequency, duration=self.duration, unit="units")


def holdout_evaluation(model: BGNBDResult, summary: pd.DataFrame, max_frequency: int = 7) -> HoldoutEvaluation:
    """Compare E[Y(t) | x, t_x, T] with the holdout purchases, per customer and by calibration frequency.

    ``t`` = ``duration_holdout``; ``predicted_i = E[Y(t) | x_i, t_x,i, T_i]``, ``actual_i`` =
    ``frequency_holdout``; ``MAE = mean |predicted_i − actual_i|``; buckets x = 0 .. max_frequency−1 and
    ``max_frequency+``.

    Parameters:
        model: a fitted :class:`BGNBDResult` (fit it on the same calibration table).
        summary: :func:`rfm_summary` with ``observation_end`` (columns ``frequency_holdout``,
            ``duration_holdout``).
        max_frequency: the pooled top bucket.

    Returns:
        :class:`HoldoutEvaluation`.

    Example (two customers, model with the paper's estimates, 39-week holdout):
        >>> s = pd.DataFrame({"frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86],
        ...                   "frequency_holdout": [1, 0], "duration_holdout": 39.0})
        >>> ev = holdout_evaluation(BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426), s)
        >>> round(ev.mae, 3), ev.by_frequency["label"].tolist()  # (|1.226 - 1| + |0.195 - 0|) / 2
        (0.211, ['0', '2'])
    """
    _columns(summary, ["frequency", "recency", "T", "frequency_holdout", "duration_holdout"], "holdout_evaluation")
    x, tx, big_t = _check_rft(summary, "holdout_evaluation")
    w = _weights(summary, "holdout_evaluation")
    dur = summary["duration_holdout"].to_numpy(dtype=float)
    pred = model.conditional_expected_purchases(dur, x, tx, big_t)
    act = summary["frequency_holdout"].to_numpy(dtype=float)
    cust = summary.copy()
    cust["predicted"] = pred
    bucket = np.minimum(x, max_frequency).astype(int)
    g = pd.DataFrame({"frequency": bucket, "w": w, "wa": w * act, "wp": w * pred}).groupby("frequency").sum()
    by = pd.DataFrame({"frequency": g.index, "customers": g["w"].to_numpy().astype("int64"),
                       "actual": (g["wa"] / g["w"]).to_numpy(), "predicted": (g["wp"] / g["w"]).to_numpy()})
    by.insert(1, "label", [f"{k}+" if k == max_frequency else str(k) for k in by["frequency"]])
    err = pred - act
    if WEIGHT in summary.columns and len(dur):  # the weighted median of the durations
        order = np.argsort(dur, kind="stable")
        cum = np.cumsum(w[order])
        median = float(dur[order][np.searchsorted(cum, cum[-1] / 2)])
    else:
        median = float(np.median(dur))
    return HoldoutEvaluation(by_frequency=by, customers=cust, mae=float(np.average(np.abs(err), weights=w)),
                             rmse=float(np.sqrt(np.average(err**2, weights=w))), total_actual=float((w * act).sum()),
                             total_predicted=float((w * pred).sum()), duration=median, n_customers=int(w.sum()))


# --------------------------------------------------------------------------------------------------
# CLV
# --------------------------------------------------------------------------------------------------


def customer_lifetime_value(model: BGNBDResult, spend: GammaGammaResult, summary: pd.DataFrame, *,
                            horizon_months: int = 12, annual_discount_rate: float = 0.10, margin: float = 1.0,
                            unit_days: float | None = None) -> pd.DataFrame:
    """Customer lifetime value over a horizon: discounted expected purchases x expected spend x margin.

    ``CLV_i = margin · E[M_i] · Σ_{k=1..H} (E[Y_i(kΔ)] − E[Y_i((k−1)Δ)]) / (1 + d)^k`` with ``Δ`` one month
    (365.25/12 days) in the model's unit, ``d = (1 + annual_discount_rate)^(1/12) − 1`` and ``E[M_i]`` from
    the Gamma-Gamma model. This is the discounted-expected-transactions approximation over monthly steps
    (each month's purchases discounted at the month's end), not a closed-form DERT.

    Parameters:
        model, spend: fitted BG/NBD and Gamma-Gamma results.
        summary: columns ``frequency``, ``recency``, ``T``, ``monetary_value``.
        horizon_months: H; annual_discount_rate: yearly rate; margin: share of spend kept (1 = revenue).
        unit_days: days per model unit; default the model's (from rfm_summary's ``freq``).

    Returns:
        The summary plus ``p_alive``, ``expected_purchases`` (undiscounted, over the horizon),
        ``expected_spend`` and ``clv``.

    Example (one customer, 12 months, weekly unit; the 0 % rate returns margin x purchases x spend):
        >>> s = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86], "monetary_value": [22.35]})
        >>> m = BGNBDResult(r=0.243, alpha=4.414, a=0.793, b=2.426, unit_days=7.0)
        >>> gg = GammaGammaResult(p=6.25, q=3.74, gamma=15.44)
        >>> out = customer_lifetime_value(m, gg, s, annual_discount_rate=0.0, margin=0.5)
        >>> bool(np.isclose(out.clv[0], 0.5 * out.expected_purchases[0] * out.expected_spend[0]))
        True
    """
    _columns(summary, ["frequency", "recency", "T", "monetary_value"], "customer_lifetime_value")
    ud = unit_days if unit_days is not None else model.unit_days
    if ud is None:
        raise CLVError("customer_lifetime_value: the model's time unit is unknown — pass unit_days (7 for weeks) or fit on rfm_summary")
    if not (isinstance(horizon_months, int | np.integer) and horizon_months >= 1):
        raise CLVError(f"customer_lifetime_value: horizon_months={horizon_months!r}, expected a whole number >= 1")
    if not (annual_discount_rate > -1 and 0 <= margin <= 1):
        raise CLVError(f"customer_lifetime_value: annual_discount_rate={annual_discount_rate!r} (> -1) or margin={margin!r} "
                       "(a share between 0 and 1) is out of range")
    x, tx, big_t = _check_rft(summary, "customer_lifetime_value")
    step = (365.25 / 12) / ud
    d = (1 + annual_discount_rate) ** (1 / 12) - 1
    # The purchase model depends on (x, t_x, T) only: evaluated once per distinct triple (one-time buyers share
    # a few hundred), then spread back to the customers.
    rows, back = np.unique(np.column_stack([x, tx, big_t]), axis=0, return_inverse=True)
    back = back.ravel()
    ux, utx, ut = rows[:, 0], rows[:, 1], rows[:, 2]
    cum = np.zeros(len(ux))
    disc = np.zeros(len(ux))
    for k in range(1, horizon_months + 1):
        now = model.conditional_expected_purchases(k * step, ux, utx, ut)
        disc += (now - cum) / (1 + d) ** k
        cum = now
    alive = model.p_alive(ux, utx, ut)[back]
    cum, disc = cum[back], disc[back]
    spend_i = spend.conditional_expected_spend(x, summary["monetary_value"].to_numpy(dtype=float))
    out = summary.copy()
    out["p_alive"] = alive
    out["expected_purchases"] = cum
    out["expected_spend"] = spend_i
    out["clv"] = margin * spend_i * disc
    return out


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("bgnbd", "BG/NBD 购买模型", "BG/NBD purchase model", "each customer buys at rate λ while alive and drops out "
         "after a purchase with probability p; λ ~ Gamma(r, α), p ~ Beta(a, b), fitted by maximum likelihood",
         "opslib.customers.clv.fit_bgnbd", "05"),
    Term("p_alive", "存活概率", "P(alive)", "probability that a customer with (frequency, recency, T) is still active "
         "under the BG/NBD model", "opslib.customers.clv.BGNBDResult.p_alive", "05"),
    Term("clv", "客户终身价值", "Customer lifetime value (CLV)",
         "margin · E[spend] · Σ_k (E[Y(kΔ)] − E[Y((k−1)Δ)]) / (1 + d)^k over monthly steps",
         "opslib.customers.clv.customer_lifetime_value", "05"),
)
