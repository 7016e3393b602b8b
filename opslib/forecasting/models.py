"""Forecasting models on numpy/statsmodels behind one small API: ``fit(y)`` then ``predict(horizon)``.

Every model takes a regular series ``y`` (``pd.Series`` with a ``DatetimeIndex``; weekly series are
indexed by the Monday that starts the week, daily series by the day) and returns a forecast frame with
columns ``date``, ``mean``, and for every interval level ``L`` (default 80 and 95) ``lo_L``/``hi_L``:
the central ``L``% prediction interval. Demand cannot be negative, so means and bounds are clipped at 0.
Seasons: ``m`` = 52 on weekly series; 7 (and 365 with more than two years) on daily series.

Models (``MODELS``):

* ``naive``: ``y_hat[T+h] = y[T]``; interval ``y_hat +/- z * sigma * sqrt(h)``, ``sigma`` = std of
  ``y[t] - y[t-1]``. The last resort for very short series.
* ``snaive`` (seasonal naive): ``y_hat[T+h] = y[T+h-m*(k+1)]``, ``k = (h-1) // m``; interval
  ``+/- z * sigma * sqrt(k+1)`` with ``sigma`` = std of ``y[t] - y[t-m]``. The baseline to beat.
* ``ets``: exponential smoothing (statsmodels ``ETSModel``, additive errors), configuration chosen by
  AICc among ``ANN``, ``AAdN`` and, with two full seasons, ``ANA`` and ``AAdA``. Analytic intervals.
* ``mstl``: R's ``stlf``: multiple-seasonal STL (:func:`opslib.forecasting.decomposition.stl_components`:
  every season with two full cycles, locally constant seasonal, windows 11/15), each seasonal component
  forecast by repeating its last cycle, the seasonally adjusted series by non-seasonal ETS (``ANN``,
  ``AAN``, ``AAdN`` by AICc); intervals from that ETS.
* ``mstl_stable``: the same with a fixed (periodic) weekly season: one weekday profile for the whole
  history; better on noisy series whose pattern does not drift. ``mstl_trend``: ``mstl_stable`` with a locally
  linear yearly season (a yearly pattern that grows or shrinks with the business).
* ``harmonic``: ``mstl_stable`` with the yearly season smoothed to ``K`` harmonics (``K`` by AICc), TBATS'
  trigonometric yearly season (:class:`MSTLHarmonic`).
* ``theta``: the theta method (statsmodels ``ThetaModel``: simple exponential smoothing plus half the
  linear trend) on the same seasonally adjusted series, seasonal added back.
* ``arima``: ARIMA on the seasonally adjusted series, ``d`` from a KPSS test (5%), ``(p, q)`` from
  ``(0,1), (1,0), (1,1), (2,1)`` by AICc, with a drift (``d = 1``) or a mean (``d = 0``).
* ``level_ar``: the same seasonally adjusted series (stable weekly profile) as a local level plus an AR(1)
  transient that decays (reduced form ARIMA(1,1,2), conditional sum of squares): a dip just before the origin
  fades instead of moving the level (:class:`LevelAR`).
* ``sarimax``: regression on the calendar regressors of the shop's country (festival windows, public
  holidays, Chinese New Year where it applies; :func:`opslib.forecasting.regressors.calendar_regressors`)
  and yearly Fourier terms with AR(1) errors (statsmodels ``SARIMAX``), fitted in two steps.
* ``croston``, ``sba``, ``tsb``, ``adida``: intermittent demand (:mod:`opslib.forecasting.intermittent`);
  flat forecasts with empirical intervals.

Closed days (:mod:`opslib.forecasting.closures`): :func:`fit_forecast` takes ``closures``; closed days in
the history are treated as missing (interpolated) before fitting, and forecast as exactly 0.

A series too short for the requested model does not fail: :func:`fit_forecast` falls back to
non-seasonal ETS, then to ``naive``, and records the reason (``ForecastResult.reason``).

Example:
    >>> y = pd.Series([10.0, 12, 11, 13, 12, 14, 13, 15, 14, 16],
    ...               index=pd.date_range("2024-01-01", periods=10, freq="W-MON"))
    >>> r = fit_forecast(y, "snaive", horizon=2)
    >>> r.model, r.reason.startswith("10 weeks of history < 53 needed by snaive")
    ('ets', True)
    >>> list(r.forecast.columns)
    ['date', 'mean', 'lo_80', 'hi_80', 'lo_95', 'hi_95']
"""

from __future__ import annotations

import cmath
import copy
import hashlib
import os
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from opslib.forecasting import intermittent as _int
from opslib.forecasting.closures import Closures, infer_closures, open_series
from opslib.forecasting.decomposition import stl_components, usable_periods
from opslib.forecasting.regressors import WEEKS_PER_YEAR, calendar_regressors, fourier_terms

LEVELS: tuple[int, ...] = (80, 95)


class SeriesTooShort(ValueError):
    """The series has fewer observations than the model needs (message says how many)."""


def _freq_code(index: pd.DatetimeIndex) -> str:
    """``'W'`` for weekly, ``'D'`` for daily indexes (inferred from the spacing)."""
    if len(index) >= 2:
        step = (index[1] - index[0]).days
        return "W" if step == 7 else "D"
    return "W" if len(index) == 1 and index[0].day_of_week == 0 else "D"


def season_lengths(freq: str) -> tuple[int, ...]:
    """Seasonal periods per frequency: weekly data ``(52,)`` (yearly); daily ``(7, 365)``.

    Example:
        >>> season_lengths("W"), season_lengths("D")
        ((52,), (7, 365))
    """
    return (52,) if freq == "W" else (7, 365)


def primary_season(freq: str) -> int:
    """The season of ``snaive``, seasonal ETS and MASE: 52 on weekly, 7 on daily series.

    Example:
        >>> primary_season("W"), primary_season("D")
        (52, 7)
    """
    return 52 if freq == "W" else 7


def future_index(index: pd.DatetimeIndex, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` periods after the last date of ``index`` (same spacing).

    Example:
        >>> future_index(pd.date_range("2024-01-01", periods=3), 2).strftime("%m-%d").tolist()
        ['01-04', '01-05']
    """
    days = 7 if _freq_code(index) == "W" else 1
    return pd.DatetimeIndex(index[-1] + pd.to_timedelta(np.arange(1, horizon + 1) * days, unit="D"))


def _z(level: int) -> float:
    """Two-sided normal quantile: ``z = Phi^-1(1/2 + L/200)``; 80 -> 1.2816, 95 -> 1.9600."""
    return NormalDist().inv_cdf(0.5 + level / 200)


def _frame(dates: pd.DatetimeIndex, mean: np.ndarray, bounds: dict[int, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    cols: dict[str, Any] = {"date": dates, "mean": np.clip(np.asarray(mean, float), 0, None)}
    for lvl, (lo, hi) in bounds.items():  # one frame built at once: column-by-column inserts cost more than the fit
        cols[f"lo_{lvl}"] = np.clip(np.asarray(lo, float), 0, None)
        cols[f"hi_{lvl}"] = np.clip(np.asarray(hi, float), 0, None)
    return pd.DataFrame(cols)


def _normal_bounds(mean: np.ndarray, sd: np.ndarray, levels: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    return {lv: (mean - _z(lv) * sd, mean + _z(lv) * sd) for lv in levels}


class Model:
    """Base class: ``fit(y)`` stores the history, ``predict(horizon, levels)`` returns the forecast frame.

    Attributes after ``fit``: ``y_`` (the history), ``freq_`` (``'W'``/``'D'``), ``residuals_`` (in-sample
    one-step errors ``y - fitted``, NaN where undefined), ``spec_`` (the configuration chosen).
    """

    name = "model"
    #: Starting parameters (a warm start from an earlier fit's ``start_``; models without an optimiser ignore it).
    start: np.ndarray | None = None

    def __init__(self) -> None:
        self.spec_ = ""

    def min_length(self, freq: str) -> int:
        """Fewest observations the model needs on a series of frequency ``freq``."""
        return 1

    def _check(self, y: pd.Series) -> None:
        self.y_ = y.astype(float)
        self.freq_ = _freq_code(pd.DatetimeIndex(y.index))
        need = self.min_length(self.freq_)
        if len(y) < need:
            unit = "weeks" if self.freq_ == "W" else "days"
            raise SeriesTooShort(f"{len(y)} {unit} of history < {need} needed by {self.name}")

    def fit(self, y: pd.Series) -> Model:
        raise NotImplementedError

    def _raw(self, horizon: int, levels: Sequence[int]) -> tuple[pd.DatetimeIndex, np.ndarray, dict]:
        """Forecast dates, mean and ``{level: (lo, hi)}`` before clipping."""
        raise NotImplementedError

    def predict(self, horizon: int, levels: Sequence[int] = LEVELS, offset: np.ndarray | None = None) -> pd.DataFrame:
        """The forecast frame (``date``, ``mean``, ``lo_L``, ``hi_L``), ``offset`` added to mean and bounds
        first (a seasonal component taken out before fitting), then clipped at 0."""
        idx, mean, bounds = self._raw(horizon, levels)
        if offset is not None:
            mean = mean + offset
            bounds = {lv: (lo + offset, hi + offset) for lv, (lo, hi) in bounds.items()}
        return _frame(idx, mean, bounds)

    @property
    def sigma_(self) -> float:
        """Standard deviation of the in-sample one-step errors (units per period)."""
        r = np.asarray(self.residuals_, float)
        r = r[np.isfinite(r)]
        return float(np.std(r, ddof=1)) if len(r) > 1 else 0.0


class Naive(Model):
    """Last value carried forward: ``y_hat[T+h] = y[T]``, interval ``+/- z sigma sqrt(h)``."""

    name = "naive"

    def fit(self, y: pd.Series) -> Naive:
        self._check(y)
        v = self.y_.to_numpy()
        self.residuals_ = np.r_[np.nan, np.diff(v)] if len(v) else np.array([])
        return self

    def _raw(self, horizon: int, levels: Sequence[int]) -> tuple[pd.DatetimeIndex, np.ndarray, dict]:
        idx = future_index(pd.DatetimeIndex(self.y_.index), horizon)
        mean = np.full(horizon, float(self.y_.iloc[-1]))
        return idx, mean, _normal_bounds(mean, self.sigma_ * np.sqrt(np.arange(1, horizon + 1)), levels)


class SeasonalNaive(Model):
    """Same period last season: ``y_hat[T+h] = y[T+h-m(k+1)]``, ``k = (h-1)//m``; ``+/- z sigma sqrt(k+1)``.

    ``sigma`` is the std of the seasonal differences ``y[t] - y[t-m]``. Needs ``m + 1`` observations.
    """

    name = "snaive"

    def min_length(self, freq: str) -> int:
        return primary_season(freq) + 1

    def fit(self, y: pd.Series) -> SeasonalNaive:
        self._check(y)
        m = primary_season(self.freq_)
        v = self.y_.to_numpy()
        self.m_ = m
        self.residuals_ = np.r_[np.full(m, np.nan), v[m:] - v[:-m]]
        self.spec_ = f"m={m}"
        return self

    def _raw(self, horizon: int, levels: Sequence[int]) -> tuple[pd.DatetimeIndex, np.ndarray, dict]:
        v = self.y_.to_numpy()
        n, m = len(v), self.m_
        h = np.arange(1, horizon + 1)
        k = (h - 1) // m
        mean = v[n + h - 1 - m * (k + 1)]
        idx = future_index(pd.DatetimeIndex(self.y_.index), horizon)
        return idx, mean, _normal_bounds(mean, self.sigma_ * np.sqrt(k + 1), levels)


_ETS_LABELS = {(None, False, None): "ANN", ("add", False, None): "AAN", ("add", True, None): "AAdN",
               (None, False, "add"): "ANA", ("add", True, "add"): "AAdA"}
_ETS_CONFIGS = {label: cfg for cfg, label in _ETS_LABELS.items()}


class _ETSFit:
    """What the models read of a statsmodels ``ETSResults`` - ``model``, ``params``, ``states``, ``resid``, ``llf``,
    ``mse`` and ``aicc`` - computed from the fitted parameters as ``ETSResults`` computes them
    (``ETSModel.fit(return_params=True)`` then ``ETSModel._smooth``): the same numbers without the results object,
    whose set-up evaluates a numerical Hessian for standard errors no forecast here uses (a sixth of a fit's
    time; ``auto`` makes hundreds of fits per report).

    ``aicc = -2 llf + 2 k + 2 k (k + 1) / (n - k - 1)``, ``k`` = free parameters + 1 (the variance);
    ``mse = sum(resid^2) / n``; additive errors: ``llf = -n/2 (log(2 pi mse) + 1)``.

    Example:
        >>> from statsmodels.tsa.exponential_smoothing.ets import ETSModel
        >>> mod = ETSModel(pd.Series([10.0, 12, 11, 13, 12, 14, 13, 15]), error="add")
        >>> ref, fit = mod.fit(disp=False), _ETSFit(mod, mod.fit(disp=False, return_params=True))
        >>> bool(abs(ref.aicc - fit.aicc) < 1e-9 and abs(ref.mse - fit.mse) < 1e-12)
        True
    """

    def __init__(self, model: Any, params: np.ndarray) -> None:
        from statsmodels.tools.eval_measures import aicc

        self.model = model
        self.params = np.asarray(params, float)
        yhat, states = model._smooth(self.params)
        self.states = np.asarray(states, float)
        self.resid = np.asarray(model._residuals(np.asarray(yhat, float)), float)
        if model.error == "add":  # ETSModel.loglike's formula on these residuals, without smoothing once more
            self.llf = float(-model.nobs / 2 * (np.log(2 * np.pi * np.mean(self.resid**2)) + 1))
        else:
            self.llf = float(model.loglike(self.params))
        n = int(model.nobs)
        self.mse = float(np.sum(self.resid**2) / n)
        fixed = len(model._fixed_params) if model._has_fixed_params else 0
        self.aicc = float(aicc(self.llf, n, model.k_params - fixed + 1))


def _fit_ets(v: np.ndarray, configs: Sequence[tuple[str | None, bool, str | None]], m: int | None,
             start: np.ndarray | None = None) -> tuple[Any, str, float]:
    """The ETS configuration of ``configs`` with the lowest AICc on ``v``: ``(results, label, aicc)``; the
    configuration itself is ``_ETS_CONFIGS[label]``. ``start``: starting smoothing parameters for a single
    configuration (a warm start from an earlier fit of the same form; ignored when the sizes differ)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    n = len(v)
    endog = pd.Series(v, index=pd.RangeIndex(n))
    best = None
    for trend, damped, seas in configs:
        init = "heuristic" if n >= max(12, 2 * (m or 1) + 2) else "estimated"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mod = ETSModel(endog, error="add", trend=trend, damped_trend=damped, seasonal=seas,
                               seasonal_periods=m if seas else None, initialization_method=init)
                warm = start is not None and len(configs) == 1 and len(start) == len(mod.start_params)
                res = _ETSFit(mod, mod.fit(disp=False, start_params=np.asarray(start, float) if warm else None,
                                           return_params=True))
        except Exception:  # noqa: BLE001 - a configuration that does not fit is skipped
            continue
        crit = float(res.aicc)
        if np.isfinite(crit) and (best is None or crit < best[2]):
            best = (res, _ETS_LABELS[(trend, damped, seas)], crit)
    if best is None:
        raise ValueError("no ETS configuration could be fitted")
    return best


def _ets_forecast(res: Any, n: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of an additive-error ETS fit's forecasts ``n .. n + horizon - 1``, analytic
    (Hyndman, Koehler, Ord & Snyder 2008, class 1, Table 6.1), from the last states and the parameters:

    ``y_hat[n+h] = l_n + phi_h b_n + s_{n+h-m(k+1)}``, ``phi_h = phi + ... + phi^h`` (``h`` without damping),
    ``k = (h-1) // m``; ``var_h = sigma^2 (1 + sum_{j=1}^{h-1} c_j^2)``, ``c_j = alpha + beta phi_j +
    gamma [j mod m = 0]``, ``sigma^2`` the fit's mean squared one-step error. The same numbers as statsmodels'
    ``get_prediction`` (to 1e-12), without its simulation of the point path and its frames (20-60 ms a call,
    ``auto`` makes dozens).

    Example:
        >>> from statsmodels.tsa.exponential_smoothing.ets import ETSModel
        >>> res = ETSModel(pd.Series([10.0, 12, 11, 13, 12, 14, 13, 15]), error="add").fit(disp=False)
        >>> mean, sd = _ets_forecast(res, 8, 3)
        >>> a = float(res.params.iloc[0])  # ANN: flat mean, var_h = sigma^2 (1 + (h - 1) alpha^2)
        >>> bool(np.allclose(sd, np.sqrt(res.mse * (1 + np.arange(3) * a ** 2)))), bool(np.ptp(mean) < 1e-12)
        (True, True)
    """
    p = dict(zip(res.model.param_names, np.asarray(res.params, float), strict=True))
    st = np.asarray(res.states, float)
    alpha, beta, gamma = (p.get(k, 0.0) for k in ("smoothing_level", "smoothing_trend", "smoothing_seasonal"))
    phi = p.get("damping_trend", 1.0)
    trend, seasonal = bool(res.model.has_trend), bool(res.model.has_seasonal)
    m = int(res.model.seasonal_periods or 1) if seasonal else 1
    h = np.arange(1, horizon + 1)
    mean = np.full(horizon, st[-1, 0])
    if trend:
        mean = mean + np.cumsum(phi ** h) * st[-1, 1]
    if seasonal:
        mean = mean + st[-m:, -1][(h - 1) % m]
    j = np.arange(1, horizon)
    c = np.full(horizon - 1, alpha)
    if trend:
        c = c + beta * np.cumsum(phi ** j)
    if seasonal:
        c = c + gamma * (j % m == 0)
    return mean, np.sqrt(float(res.mse) * np.r_[1.0, 1.0 + np.cumsum(c**2)])


class ETSAuto(Model):
    """ETS with additive errors, configuration chosen by AICc (statsmodels ``ETSModel``).

    Candidates ``ANN`` (level) and ``AAdN`` (damped trend) and, with two full seasons of history
    (``n >= 2m + 2``), ``ANA`` and ``AAdA`` (additive season ``m``). Fits use the heuristic
    initialisation (fast; the ``m`` seasonal states are not optimised). ``seasonal=False`` keeps the first two;
    ``config`` (a label such as ``"ANA"``) fits that configuration only (``auto`` re-fits the configuration
    chosen on the whole history at its backtest origins). ``config_`` is the label chosen.
    """

    name = "ets"

    def __init__(self, seasonal: bool = True, config: str | None = None) -> None:
        super().__init__()
        self.seasonal = seasonal
        self.config = config

    def min_length(self, freq: str) -> int:
        return 4

    def fit(self, y: pd.Series) -> ETSAuto:
        self._check(y)
        m = primary_season(self.freq_)
        n = len(self.y_)
        configs: list[tuple[str | None, bool, str | None]] = [(None, False, None)]
        if n >= 8:
            configs.append(("add", True, None))
        if self.seasonal and n >= 2 * m + 2:
            configs += [(None, False, "add"), ("add", True, "add")]
        if self.config is not None:
            configs = [_ETS_CONFIGS[self.config]]
        self.res_, label, crit = _fit_ets(self.y_.to_numpy(), configs, m, self.start)
        self.config_ = label
        self.start_ = np.asarray(self.res_.params, float)
        self.spec_ = f"ETS({label}) AICc={crit:.1f}"
        self.residuals_ = np.asarray(self.res_.resid, float)
        return self

    def _raw(self, horizon: int, levels: Sequence[int]) -> tuple[pd.DatetimeIndex, np.ndarray, dict]:
        mean, sd = _ets_forecast(self.res_, len(self.y_), horizon)
        return future_index(pd.DatetimeIndex(self.y_.index), horizon), mean, _normal_bounds(mean, sd, levels)


class SeasonalAdjusted(Model):
    """Base of the decomposition models: STL seasons out, a non-seasonal model on the rest, seasons back.

    ``y = sum_i s_i + a``; ``y_hat[T+h] = a_hat[T+h] + sum_i s_i[T+h-m_i(k_i+1)]``, ``k_i = (h-1) // m_i``
    (each seasonal component's last cycle repeated). Seasons: those of :func:`season_lengths` with
    ``min_cycles`` cycles in the history (daily: 7 from 14 days, 365 from 731 days; weekly: 52 from 79
    weeks, fewer than two cycles allowed there so a three-year shop can be backtested a year back).
    With no season that fits, ``a = y``. Intervals: those of the model of ``a`` (seasonal components
    taken as known, as R's ``stlf`` does; :func:`opslib.forecasting.auto.auto_forecast` calibrates them).
    ``stable=True`` fixes the shortest season to one periodic profile.
    """

    name = "seasonal_adjusted"
    stable = False
    yearly_deg = 0
    #: Configuration of the model of the adjusted series to fit only (None: choose), see :class:`ETSAuto`.
    config: str | None = None

    def min_cycles(self, freq: str) -> float:
        return 1.5 if freq == "W" else 2.0

    def min_length(self, freq: str) -> int:
        return int(np.floor(self.min_cycles(freq) * primary_season(freq))) + 1

    def _decompose(self) -> np.ndarray:
        v = self.y_.to_numpy()
        self.periods_ = usable_periods(len(v), season_lengths(self.freq_), self.min_cycles(self.freq_))
        if not self.periods_:
            self.seasonal_ = np.zeros((len(v), 0))
            return v
        periodic = self.stable and self.periods_[0] < 52  # only the weekly season is made periodic
        _, self.seasonal_ = stl_components(v, self.periods_, periodic_first=periodic, yearly_deg=self.yearly_deg)
        return v - self.seasonal_.sum(axis=1)

    def _seasonal_forecast(self, horizon: int) -> np.ndarray:
        n = len(self.y_)
        h = np.arange(1, horizon + 1)
        out = np.zeros(horizon)
        for i, p in enumerate(self.periods_):
            out += self.seasonal_[n + h - 1 - p * ((h - 1) // p + 1), i]
        return out

    def _season_label(self) -> str:
        if not self.periods_:
            return "no season"
        tags = (["stable"] if self.stable and self.periods_[0] < 52 else []) + (
            ["yearly trend"] if self.yearly_deg and self.periods_[-1] >= 52 else [])
        return "STL" + "".join(f"-{t}" for t in tags).replace(" ", "-") + str(tuple(self.periods_))

    def fit(self, y: pd.Series) -> SeasonalAdjusted:
        self._check(y)
        adj = self._decompose()
        self._fit_adjusted(adj)
        return self

    def _fit_adjusted(self, adj: np.ndarray) -> None:
        raise NotImplementedError

    def _predict_adjusted(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _raw(self, horizon: int, levels: Sequence[int]) -> tuple[pd.DatetimeIndex, np.ndarray, dict]:
        mean, sd = self._predict_adjusted(horizon)
        mean = mean + self._seasonal_forecast(horizon)
        return future_index(pd.DatetimeIndex(self.y_.index), horizon), mean, _normal_bounds(mean, sd, levels)


class MSTLModel(SeasonalAdjusted):
    """R's ``stlf``: STL seasons (:class:`SeasonalAdjusted`), non-seasonal ETS (``ANN``/``AAN``/``AAdN`` by
    AICc) on the seasonally adjusted series, intervals from that ETS."""

    name = "mstl"

    def _fit_adjusted(self, adj: np.ndarray) -> None:
        configs = [(None, False, None), ("add", False, None), ("add", True, None)]
        configs = configs if len(adj) >= 8 else configs[:1]
        if self.config is not None:
            configs = [_ETS_CONFIGS[self.config]]
        self.res_, label, crit = _fit_ets(adj, configs, None, self.start)
        self.config_ = label
        self.start_ = np.asarray(self.res_.params, float)
        self.spec_ = f"{self._season_label()} + ETS({label}) AICc={crit:.1f}"
        self.residuals_ = np.asarray(self.res_.resid, float)

    def _predict_adjusted(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        return _ets_forecast(self.res_, len(self.y_), horizon)


class MSTLStable(MSTLModel):
    """``mstl`` with a periodic (fixed) weekly season: one weekday profile for the whole history (daily series;
    on weekly series, whose only season is the yearly one, it is ``mstl``)."""

    name = "mstl_stable"
    stable = True


class MSTLTrend(MSTLModel):
    """``mstl_stable`` with a locally linear yearly season (``yearly_deg = 1``, see
    :func:`opslib.forecasting.decomposition.stl_components`): the yearly pattern may grow or shrink from year to
    year (a growing category's festival peaks). Needs the yearly season (more than two years daily, 79 weeks
    weekly); with less it is ``mstl_stable``."""

    name = "mstl_trend"
    stable = True
    yearly_deg = 1


def harmonic_projection(target: np.ndarray, horizon: int, period: float = 365.25,
                        ks: Sequence[int] = (2, 4, 6, 8, 10)) -> tuple[np.ndarray, np.ndarray, int]:
    """The least-squares fit of ``K`` Fourier harmonics to ``target`` (``t = 0..n-1``) and its continuation.

    ``b = argmin ||target - F b||^2``, ``F = [sin(2 pi j t / period), cos(2 pi j t / period)]_{j=1..K}``; ``K`` of
    ``ks`` with the lowest ``AICc = n log(RSS / n) + 2p + 2p(p + 1) / (n - p - 1)``, ``p = 2K``.

    Returns:
        ``(F b on t = 0..n-1, F b on t = n..n+horizon-1, K)``.

    Example:
        >>> t = np.arange(732.0)
        >>> wave = 3 * np.sin(2 * np.pi * t / 365.25)
        >>> fit, future, k = harmonic_projection(wave[:730] + np.random.default_rng(0).normal(0, 0.5, 730), 2)
        >>> k, bool(np.allclose(future, wave[730:], atol=0.1))
        (2, True)
    """
    target = np.asarray(target, float)
    n = len(target)
    t = np.arange(n + horizon, dtype=float)
    best = None
    for k in ks:
        f = fourier_terms(t, period, k)
        b, *_ = np.linalg.lstsq(f[:n], target, rcond=None)
        rss = float(np.sum((target - f[:n] @ b) ** 2))
        p = 2 * k
        aicc = n * np.log(max(rss, 1e-300) / n) + 2 * p + 2 * p * (p + 1) / max(n - p - 1, 1)
        if best is None or aicc < best[0] - 1e-9:
            best = (aicc, k, f @ b)
    _, k, fitted = best
    return fitted[:n], fitted[n:], k


class MSTLHarmonic(MSTLStable):
    """``mstl_stable`` with a **smooth yearly season of ``K`` harmonics** (TBATS' trigonometric season, R's
    ``tbats`` / Hyndman's dynamic harmonic regression): the yearly STL component is a day-of-year average over
    two to four years, 365 values of which most are noise; here it is replaced by its least-squares projection on
    ``sin(2 pi j t / 365.25), cos(2 pi j t / 365.25)``, ``j = 1..K``:

    ``s_hat = F b``, ``b = argmin ||(s + r) - F b||^2`` (``s``: the yearly STL component, ``r``: the STL remainder,
    ``F``: the ``2K`` Fourier columns on ``t = 0..n-1``), ``K`` of ``KS`` with the lowest
    ``AICc = n log(RSS / n) + 2p + 2p(p + 1) / (n - p - 1)``, ``p = 2K`` (TBATS chooses its harmonics by AIC too).
    The forecast's yearly part is ``F(t) b`` on ``t = n .. n + h - 1`` (the period is 365.25 days, so leap years
    do not shift it); the weekly profile and the ETS on the adjusted series are ``mstl_stable``'s. With less than
    two years there is no yearly season and the model is ``mstl_stable`` (``auto`` backtests it only with one).
    """

    name = "harmonic"
    #: Numbers of yearly harmonics tried (R's ``tbats`` chose 4-10 on the bench's Superstore windows).
    KS: tuple[int, ...] = (2, 4, 6, 8, 10)

    def _decompose(self) -> np.ndarray:
        adj = super()._decompose()
        self.harmonics_ = 0
        if not self.periods_ or self.periods_[-1] < 300:
            return adj
        v = self.y_.to_numpy()
        resid = adj - stl_components(v, self.periods_, periodic_first=True)[0]  # yearly season + remainder
        smooth, self.future_, self.harmonics_ = harmonic_projection(self.seasonal_[:, -1] + resid, 0, ks=self.KS)
        adj = adj + self.seasonal_[:, -1] - smooth
        self.seasonal_ = self.seasonal_.copy()
        self.seasonal_[:, -1] = smooth
        return adj

    def _seasonal_forecast(self, horizon: int) -> np.ndarray:
        if not self.harmonics_:
            return super()._seasonal_forecast(horizon)
        n = len(self.y_)
        h = np.arange(1, horizon + 1)
        weekly = self.seasonal_[n + h - 1 - self.periods_[0] * ((h - 1) // self.periods_[0] + 1), 0]
        yearly = harmonic_projection(self.seasonal_[:, -1], horizon, ks=(self.harmonics_,))[1]  # exact: F b again
        return weekly + yearly

    def _season_label(self) -> str:
        label = super()._season_label()
        return label + (f", yearly {self.harmonics_} harmonics" if self.harmonics_ else "")


class ThetaSTL(SeasonalAdjusted):
    """Theta method (statsmodels ``ThetaModel``, no own deseasonalising) on the STL-adjusted series.

    ``a_hat[T+h] = SES[T] + b0 / 2 * (h - 1 + 1/alpha - (1 - alpha)^T / alpha)`` (Hyndman & Billah 2003):
    simple exponential smoothing plus half the slope ``b0`` of a linear trend. Interval: the SES forecast
    variance ``sigma^2 (1 + (h - 1) alpha^2)``, ``sigma`` = std of the one-step SES errors.
    """

    name = "theta"

    def _fit_adjusted(self, adj: np.ndarray) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.res_ = ThetaModel(adj, deseasonalize=False).fit()
        alpha = float(self.res_.params["alpha"])
        # one-step errors of the SES part, as the intervals of ThetaModel assume
        level = adj[0]
        resid = np.full(len(adj), np.nan)
        for t in range(1, len(adj)):
            resid[t] = adj[t] - level
            level = level + alpha * (adj[t] - level)
        self.residuals_ = resid
        self.spec_ = f"{self._season_label()} + Theta(alpha={alpha:.2f}, b0={float(self.res_.params['b0']):.3g})"

    def _predict_adjusted(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mean = np.asarray(self.res_.forecast(horizon))
        alpha = float(self.res_.params["alpha"])
        h = np.arange(1, horizon + 1)
        return mean, self.sigma_ * np.sqrt(1 + (h - 1) * alpha**2)


class ArimaSTL(SeasonalAdjusted):
    """ARIMA on the STL-adjusted series (statsmodels ``SARIMAX``): ``d`` by KPSS, ``(p, q)`` by AICc.

    ``d = 1`` when the KPSS test rejects level stationarity at 5%, else 0. Orders ``(p, q)`` from
    ``(0, 1), (1, 0), (1, 1), (2, 1)``; with ``d = 1`` a drift (constant of the differenced series),
    with ``d = 0`` a mean. Needs 30 points.
    """

    name = "arima"
    orders: tuple[tuple[int, int], ...] = ((0, 1), (1, 0), (1, 1), (2, 1))

    def min_length(self, freq: str) -> int:
        return max(30, super().min_length(freq) if freq == "D" else 30)

    def _fit_adjusted(self, adj: np.ndarray) -> None:
        from statsmodels.tsa.statespace.sarimax import SARIMAX
        from statsmodels.tsa.stattools import kpss

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                d = int(kpss(adj, regression="c", nlags="auto")[1] < 0.05)
            except Exception:  # noqa: BLE001 - a constant series: no differencing
                d = 0
            best = None
            for p, q in self.orders:
                try:
                    res = SARIMAX(adj, order=(p, d, q), trend="c").fit(disp=False)
                except Exception:  # noqa: BLE001 - an order that does not fit is skipped
                    continue
                if np.isfinite(res.aicc) and (best is None or res.aicc < best[0]):
                    best = (float(res.aicc), res, (p, d, q))
        if best is None:
            raise ValueError("no ARIMA order could be fitted")
        self.res_ = best[1]
        self.spec_ = f"{self._season_label()} + ARIMA{best[2]} {'drift' if d else 'mean'} AICc={best[0]:.1f}"
        r = np.asarray(self.res_.resid, float)
        r[: d + 1] = np.nan
        self.residuals_ = r

    def _predict_adjusted(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = self.res_.get_forecast(horizon)
        return np.asarray(f.predicted_mean), np.sqrt(np.asarray(f.var_pred_mean))


def _ma_invertible(theta: np.ndarray) -> bool:
    """True when ``1 + theta_1 z + theta_2 z^2`` has no root on or inside the unit circle (every root's modulus
    above ``1 + 1e-4``). Two coefficients: the quadratic's roots ``(-theta_1 +- sqrt(theta_1^2 - 4 theta_2)) /
    (2 theta_2)`` in closed form (the fit calls this thousands of times; ``np.roots`` took 60% of it).

    Example:
        >>> _ma_invertible(np.array([-0.5, 0.0])), _ma_invertible(np.array([-2.0, 0.0])), _ma_invertible(np.array([0.0, 1.0]))
        (True, False, False)
    """
    if len(theta) != 2:
        coef = np.trim_zeros(np.r_[theta[::-1], 1.0], "f")
        return len(coef) < 2 or bool(np.all(np.abs(np.roots(coef)) > 1.0 + 1e-4))
    t1, t2 = float(theta[0]), float(theta[1])
    if t2 == 0.0:
        return t1 == 0.0 or abs(1.0 / t1) > 1.0 + 1e-4
    d = cmath.sqrt(t1 * t1 - 4.0 * t2)
    return abs((-t1 + d) / (2.0 * t2)) > 1.0 + 1e-4 and abs((-t1 - d) / (2.0 * t2)) > 1.0 + 1e-4


def _arima112_errors(p: np.ndarray, w: np.ndarray) -> np.ndarray:
    """One-step errors ``e`` of ``(1 - phi B) w[t] = (1 + theta_1 B + theta_2 B^2) e[t]`` (``e`` = 0 before the
    start: conditional sum of squares)."""
    from scipy.signal import lfilter

    return lfilter([1.0, -p[0]], [1.0, p[1], p[2]], w)


class LevelAR(SeasonalAdjusted):
    """STL seasons out (a stable weekly profile; the yearly season with two years), then a **local level with an
    AR(1) transient** on the seasonally adjusted series ``a``, the structural model behind TBATS-like fits:

    ``a[t] = l[t] + x[t] + e[t]``, ``l[t] = l[t-1] + eta[t]`` (a random-walk level), ``x[t] = phi x[t-1] + nu[t]``
    (a shock that decays at rate ``phi``: a strike, a stock-out week, a promotion's hangover), ``e`` noise. Its
    reduced form is ARIMA(1,1,2), ``(1 - phi B) w[t] = (1 + theta_1 B + theta_2 B^2) u[t]`` on ``w = diff(a)``,
    fitted here by conditional sum of squares (Nelder-Mead on ``(phi, theta_1, theta_2)``, ``|phi| < 1``,
    invertible MA, three starting points; the series standardised first so the fit is scale-free). Unlike ETS,
    whose level follows the last weeks, a dip just before the origin goes into ``x`` and fades over the horizon.

    Forecast: ``w_hat[T+h] = phi w_hat[T+h-1] + theta_1 u[T+h-1] + theta_2 u[T+h-2]`` (future ``u`` = 0),
    ``a_hat[T+h] = a[T] + sum_{j<=h} w_hat[T+j]``; variance ``sigma^2 sum_{j<h} (sum_{i<=j} psi_i)^2`` with
    ``psi`` the MA(infinity) weights of the ARMA(1,2) and ``sigma^2`` the mean squared one-step error. ``start``
    (the ``(phi, theta_1, theta_2)`` of an earlier fit) is then the only starting point (``auto``'s inner origins).
    """

    name = "level_ar"
    stable = True
    starts: tuple[tuple[float, float, float], ...] = ((0.5, -0.8, 0.0), (0.0, -0.5, 0.0), (0.9, -1.2, 0.3))

    def min_length(self, freq: str) -> int:
        return max(30, super().min_length(freq))

    def _fit_adjusted(self, adj: np.ndarray) -> None:
        from scipy.optimize import minimize

        w = np.diff(adj)
        self.scale_ = float(np.std(w)) or 1.0
        wz = w / self.scale_

        def sse(p: np.ndarray) -> float:
            if abs(p[0]) >= 0.999 or not _ma_invertible(p[1:]):
                return 1e10
            e = _arima112_errors(p, wz)[3:]
            return float(e @ e) / len(e)  # the mean square, without np.mean's overhead (called thousands of times)

        starts = [tuple(self.start)] if self.start is not None and len(self.start) == 3 else self.starts
        best = None
        for x0 in starts:
            r = minimize(sse, np.asarray(x0, float), method="Nelder-Mead",
                         options={"xatol": 1e-4, "fatol": 1e-9, "maxiter": 1000})
            if best is None or r.fun < best.fun:
                best = r
        if best is None or best.fun >= 1e10:
            raise ValueError("no invertible ARIMA(1,1,2) found")
        self.params_ = np.asarray(best.x, float)
        self.adj_ = adj
        self.u_ = _arima112_errors(self.params_, wz) * self.scale_
        self.sigma2_ = float(np.mean(self.u_[3:] ** 2)) if len(self.u_) > 3 else 0.0
        self.start_ = self.params_.copy()
        resid = np.full(len(adj), np.nan)
        resid[4:] = self.u_[3:]
        self.residuals_ = resid
        phi, t1, t2 = self.params_
        self.spec_ = f"{self._season_label()} + level + AR(1) transient: ARIMA(1,1,2) phi={phi:.2f} " \
                     f"theta=({t1:.2f}, {t2:.2f})"

    def _predict_adjusted(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        from scipy.signal import lfilter

        phi, t1, t2 = self.params_
        w = np.diff(self.adj_)
        wl = [w[-1] if len(w) else 0.0]
        u = list(np.r_[0.0, 0.0, self.u_][-2:])
        out = np.empty(horizon)
        for k in range(horizon):
            out[k] = phi * wl[-1] + t1 * u[-1] + t2 * u[-2]
            wl.append(out[k])
            u.append(0.0)
        mean = self.adj_[-1] + np.cumsum(out)
        psi = lfilter([1.0, t1, t2], [1.0, -phi], np.r_[1.0, np.zeros(horizon - 1)])
        sd = np.sqrt(self.sigma2_ * np.cumsum(np.cumsum(psi) ** 2))
        return mean, sd


class SarimaxFestival(Model):
    """Regression on calendar regressors + yearly Fourier terms with ARMA errors (statsmodels ``SARIMAX``).

    ``y[t] = a + b t + c' x[t] + sum_j (d_j sin(2 pi j t / P) + e_j cos(2 pi j t / P)) + u[t]``,
    ``u[t]`` AR(1) (``SARIMAX`` with ``order=(1, 0, 0)``); ``x`` = :func:`calendar_regressors` of
    ``country``, ``P`` = 52.18 weeks (daily series: 365.25 days, plus weekly terms, period 7).

    Fitted in two steps, so it stays fast enough for thousands of SKUs: (1) OLS for the regression,
    (2) SARIMAX on its residuals. Forecast = regression forecast + AR forecast of the residual;
    interval variance = AR forecast variance + variance of the regression mean (coefficient
    uncertainty). Regressors that never vary in the history are dropped; the yearly Fourier terms need a
    full year of history (with less they extrapolate a fraction of a wave: on 130-190 days of a product's
    sales the forecast ran to 700 times the actual units). Needs 60 weekly / 120 daily points.
    ``effects()`` gives the calendar effects with 95% intervals.
    """

    name = "sarimax"
    k_yearly = 4
    yearly_ = True

    def __init__(self, country: str = "CN") -> None:
        super().__init__()
        self.country = country

    def min_length(self, freq: str) -> int:
        return 60 if freq == "W" else 120

    def _design(self, dates: pd.DatetimeIndex, t: np.ndarray) -> pd.DataFrame:
        x = calendar_regressors(dates, self.freq_, country=self.country)
        x.insert(0, "trend", t / (52.0 if self.freq_ == "W" else 365.0))
        x.insert(0, "const", 1.0)
        period = WEEKS_PER_YEAR if self.freq_ == "W" else 365.25
        if self.yearly_:
            f = fourier_terms(t, period, self.k_yearly)
            for j in range(f.shape[1]):
                x[f"fy{j}"] = f[:, j]
        if self.freq_ == "D":
            fw = fourier_terms(t, 7, 3)
            for j in range(fw.shape[1]):
                x[f"fw{j}"] = fw[:, j]
        return x

    def fit(self, y: pd.Series) -> SarimaxFestival:
        import statsmodels.api as sm
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        self._check(y)
        n = len(self.y_)
        self.yearly_ = n >= (52 if self.freq_ == "W" else 365)
        x = self._design(pd.DatetimeIndex(self.y_.index), np.arange(n))
        self.cols_ = ["const"] + [c for c in x.columns[1:] if x[c].std() > 1e-9]
        self.ols_ = sm.OLS(self.y_.to_numpy(), x[self.cols_].to_numpy()).fit()
        u = np.asarray(self.ols_.resid, float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.res_ = SARIMAX(u, order=(1, 0, 0)).fit(disp=False)
        self.spec_ = (f"OLS({len(self.cols_)} terms, {self.country}"
                      + ("" if self.yearly_ else ", no yearly terms: < 1 year") + f") + AR(1) errors, "
                      f"AIC={self.res_.aic:.1f}")
        self.residuals_ = np.asarray(self.res_.resid, float)
        return self

    def _raw(self, horizon: int, levels: Sequence[int]) -> tuple[pd.DatetimeIndex, np.ndarray, dict]:
        n = len(self.y_)
        idx = future_index(pd.DatetimeIndex(self.y_.index), horizon)
        xf = self._design(idx, np.arange(n, n + horizon))[self.cols_].to_numpy()
        reg = self.ols_.get_prediction(xf)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = self.res_.get_forecast(horizon)
        mean = np.asarray(reg.predicted_mean) + np.asarray(fc.predicted_mean)
        sd = np.sqrt(np.asarray(fc.var_pred_mean) + np.asarray(reg.se_mean) ** 2)
        return idx, mean, _normal_bounds(mean, sd, levels)

    def effects(self) -> pd.DataFrame:
        """Estimated calendar effects: ``regressor``, ``coef`` (units per period when the flag covers the
        whole period), ``lo_95``, ``hi_95``, ``pvalue`` (OLS, not corrected for the autocorrelation)."""
        ci = np.asarray(self.ols_.conf_int(0.05))
        out = pd.DataFrame({"regressor": self.cols_, "coef": np.asarray(self.ols_.params), "lo_95": ci[:, 0],
                            "hi_95": ci[:, 1], "pvalue": np.asarray(self.ols_.pvalues)})
        return out[~out["regressor"].isin(["const", "trend"]) & ~out["regressor"].str.match(r"f[yw]\d")
                   ].reset_index(drop=True)


def weekday_profile(y: pd.Series, days: int = 364) -> np.ndarray:
    """Weekday index of a daily series: ``w_d = mean(y on weekday d) / mean(y)`` over the last ``days`` days
    (0 = Monday); all ones when the series never sold or is not daily.

    Example:
        >>> y = pd.Series(np.tile([2.0, 1, 1, 1, 1, 1, 0], 4), index=pd.date_range("2024-01-01", periods=28))
        >>> (weekday_profile(y) * 7).round(3).tolist()  # mean 1: Monday twice the mean, Sunday nothing
        [14.0, 7.0, 7.0, 7.0, 7.0, 7.0, 0.0]
    """
    v = y.to_numpy(float)[-days:]
    d = pd.DatetimeIndex(y.index[-days:]).day_of_week
    mu = float(v.mean()) if len(v) else 0.0
    if mu <= 0:
        return np.ones(7)
    return np.array([v[d == i].mean() / mu if (d == i).any() else 1.0 for i in range(7)])


class Intermittent(Model):
    """A flat intermittent-demand rate (``method``: croston, sba, tsb or adida) with empirical intervals.

    See :mod:`opslib.forecasting.intermittent` for the formulas. On daily series the rate is spread over the
    week by :func:`weekday_profile` (``f[T+h] = rate * w_{weekday(T+h)}``): Croston and friends ignore the
    weekly rhythm otherwise. Needs 8 points and at least one sale.
    """

    methods: dict[str, Callable[[np.ndarray], dict]] = {
        "croston": _int.croston, "sba": _int.sba, "tsb": _int.tsb, "adida": _int.adida}

    def __init__(self, method: str = "sba") -> None:
        super().__init__()
        self.method = method
        self.name = method

    def min_length(self, freq: str) -> int:
        return 8

    def fit(self, y: pd.Series) -> Intermittent:
        self._check(y)
        v = self.y_.to_numpy()
        r = self.methods[self.method](v)
        self.rate_ = float(r["forecast"])
        self.profile_ = weekday_profile(self.y_) if self.freq_ == "D" else None
        fitted = np.asarray(r["fitted"], float)
        if self.profile_ is not None:
            fitted = fitted * self.profile_[pd.DatetimeIndex(self.y_.index).day_of_week]
        self.residuals_ = v - fitted
        cls = _int.demand_class(v)
        self.spec_ = (f"{self.method.upper()} rate={self.rate_:.3g}/period"
                      + (" x weekday profile" if self.profile_ is not None else "")
                      + f", {cls['class']} (ADI {cls['adi']:.2f})")
        return self

    def _raw(self, horizon: int, levels: Sequence[int]) -> tuple[pd.DatetimeIndex, np.ndarray, dict]:
        v = self.y_.to_numpy()
        idx = future_index(pd.DatetimeIndex(self.y_.index), horizon)
        w = self.profile_[idx.day_of_week] if self.profile_ is not None else np.ones(horizon)
        b = _int.empirical_bounds(v, v - self.residuals_, self.rate_, tuple(levels))
        mean = self.rate_ * w
        bounds = {lv: (lo * w, hi * w) for lv, (lo, hi) in b.items()}
        return idx, mean, bounds


MODELS: dict[str, Callable[[], Model]] = {
    "naive": Naive,
    "snaive": SeasonalNaive,
    "ets": ETSAuto,
    "mstl": MSTLModel,
    "mstl_stable": MSTLStable,
    "mstl_trend": MSTLTrend,
    "harmonic": MSTLHarmonic,
    "theta": ThetaSTL,
    "arima": ArimaSTL,
    "sarimax": SarimaxFestival,
    "level_ar": LevelAR,
    "croston": partial(Intermittent, "croston"),
    "sba": partial(Intermittent, "sba"),
    "tsb": partial(Intermittent, "tsb"),
    "adida": partial(Intermittent, "adida"),
}

#: The intermittent-demand models of ``MODELS``.
INTERMITTENT_MODELS: tuple[str, ...] = ("croston", "sba", "tsb", "adida")
#: Models without a yearly season of their own: on series with more than two years (daily: 730 days, weekly:
#: 104 weeks), :func:`fit_forecast` takes the yearly STL component out first and adds its last cycle back to
#: the forecast (on weekly series ETS then fits without a season of its own: the yearly one is the only one).
YEARLY_ADJUSTED: frozenset[str] = frozenset({"ets", *INTERMITTENT_MODELS})


#: The yearly component taken out for ``YEARLY_ADJUSTED`` models: STL's day-of-year average (False) or its
#: projection on K harmonics (True, :func:`harmonic_projection`). Experimental switch (fifth pass of issue 12).
YEARLY_SMOOTH: bool = os.environ.get("OPSLIB_YEARLY_SMOOTH", "") == "1"


def _yearly_component(v: np.ndarray, freq: str = "D", horizon: int = 0,
                      smooth: bool | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The yearly STL component of a series with more than two years and its continuation over ``horizon``, or
    None (daily: STL with the 7- and 365-day seasons, the 365-day one returned). The continuation repeats the
    last cycle (365 days or 52 weeks); ``smooth`` (None: ``YEARLY_SMOOTH``) replaces the component (plus the STL
    remainder) by its harmonic projection (:func:`harmonic_projection`) and continues that."""
    p = 365 if freq == "D" else 52
    if len(v) <= 2 * p:
        return None
    periods = [7, 365] if freq == "D" else [52]
    trend, seas = stl_components(v, periods)
    comp = seas[:, -1]
    if (YEARLY_SMOOTH if smooth is None else smooth) and freq == "D":
        resid = v - trend - seas.sum(axis=1)
        fit, future, _ = harmonic_projection(comp + resid, horizon)
        return fit, future
    h = np.arange(1, horizon + 1)
    return comp, comp[len(comp) + h - 1 - p * ((h - 1) // p + 1)]


def make_model(name: str, country: str = "CN") -> Model:
    """A fresh model by name (one of ``MODELS``); ``country`` sets the holidays of ``sarimax``.

    Example:
        >>> make_model("mstl").name, make_model("sba").name
        ('mstl', 'sba')
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}: choose one of {sorted(MODELS)} or 'auto'")
    return SarimaxFestival(country) if name == "sarimax" else MODELS[name]()


@dataclass
class ForecastResult:
    """One series' forecast.

    ``requested`` is the model asked for, ``model`` the one actually used and ``reason`` why they differ or
    how ``auto`` chose ('' when there is nothing to say); ``spec`` the fitted configuration; ``forecast``
    the frame (``date``, ``mean``, ``lo_L``, ``hi_L``); ``sigma`` the std of one-step in-sample errors (units
    per period); ``history`` the series it was fitted on (for :meth:`plot`); ``extra`` model-specific
    details (``residuals``; with ``auto`` the backtest scores, weights and interval factors).
    """

    series_id: str
    requested: str
    model: str
    reason: str
    spec: str
    forecast: pd.DataFrame
    sigma: float
    extra: dict = field(default_factory=dict)
    history: pd.Series | None = None

    @property
    def fell_back(self) -> bool:
        """True when the model used is not the one requested (``auto`` runs whatever its backtest chose, so it
        falls back only when nothing could be fitted and the forecast is 0)."""
        if self.requested == "auto":
            return self.model == "zero"
        return self.model != self.requested

    def summary(self) -> pd.DataFrame:
        """One row: ``series_id``, ``requested``, ``model``, ``fell_back``, ``spec``, ``horizon``, ``first``,
        ``last`` (forecast dates), ``total`` (sum of the mean forecast), ``sigma``, ``reason``.

        Example:
            >>> y = pd.Series([5.0] * 20, index=pd.date_range("2024-01-01", periods=20))
            >>> fit_forecast(y, "naive", 7, series_id="a").summary()[["series_id", "model", "total"]].values.tolist()
            [['a', 'naive', 35.0]]
        """
        fc = self.forecast
        return pd.DataFrame([{
            "series_id": self.series_id, "requested": self.requested, "model": self.model,
            "fell_back": self.fell_back, "spec": self.spec, "horizon": len(fc),
            "first": fc["date"].iloc[0] if len(fc) else pd.NaT, "last": fc["date"].iloc[-1] if len(fc) else pd.NaT,
            "total": float(fc["mean"].sum()), "sigma": self.sigma, "reason": self.reason}])

    def plot(self, actual: pd.Series | None = None, last: int | None = None) -> Any:
        """History, forecast and its 80%/95% bands (:func:`opslib.plotting.forecasting.plot_forecast`)."""
        from opslib.plotting.forecasting import plot_forecast

        hist = self.history if self.history is not None else pd.Series(dtype=float)
        title = f"{self.series_id}: {self.model}" + (f" ({self.requested})" if self.requested != self.model else "")
        return plot_forecast(hist, self.forecast, actual=actual, title=title,
                             last=last or (78 if self.forecast["date"].diff().dt.days.max() == 7 else 120))


def _zero_forecast(index: pd.DatetimeIndex, horizon: int, levels: Sequence[int]) -> pd.DataFrame:
    idx = future_index(index, horizon) if len(index) else pd.DatetimeIndex([pd.NaT] * horizon)
    z = np.zeros(horizon)
    return _frame(idx, z, {lv: (z, z) for lv in levels})


def apply_closures(fc: pd.DataFrame, closures: Closures | None) -> pd.DataFrame:
    """Set the mean and every bound to 0 on the closed days of a forecast frame (a copy when any is closed).

    Example:
        >>> fc = pd.DataFrame({"date": pd.date_range("2024-06-07", periods=2), "mean": [5.0, 5.0]})
        >>> apply_closures(fc, Closures(weekdays=frozenset({5})))["mean"].tolist()  # 06-08 is a Saturday
        [5.0, 0.0]
    """
    if closures is None or closures.empty or fc.empty:
        return fc
    closed = closures.is_closed(fc["date"])
    if not closed.any():
        return fc
    return pd.DataFrame({c: fc[c] if c == "date" else np.where(closed, 0.0, fc[c].to_numpy(float))
                         for c in fc.columns}, index=fc.index)


def fit_forecast(
    y: pd.Series, model: str = "ets", horizon: int = 8, levels: Sequence[int] = LEVELS, series_id: str = "",
    closures: Closures | str | None = "infer", country: str = "CN", config: str | None = None,
    start: np.ndarray | None = None,
) -> ForecastResult:
    """Fit ``model`` to ``y`` and forecast ``horizon`` periods; never fails.

    Fallback chain: requested model -> non-seasonal ETS (``ANN``/``AAdN`` by AICc) -> ``naive`` -> zeros
    (empty history). Each step down records why in ``reason`` (e.g. ``'10 weeks of history < 79 needed by
    mstl; fell back to ets (non-seasonal)'``). A name that is not a model raises ``ValueError``; ``'auto'`` is
    :func:`opslib.forecasting.auto.auto_forecast`.

    Parameters:
        y: the history (regular daily or weekly ``DatetimeIndex``; NaN dropped). model: a name of ``MODELS``.
        horizon: periods to forecast. levels: interval levels in %. series_id: carried into the result.
        closures: closed days (daily series): missing in the history, 0 in the forecast; ``"infer"``
            reads them off ``y`` (:func:`opslib.forecasting.closures.infer_closures`), None ignores them.
        country: the shop's country (holiday regressors of ``sarimax``). config: fit only this configuration
            of the model (``extra["config"]`` of an earlier fit, e.g. ``"AAdN"``); models without one ignore it.
        start: starting parameters (``extra["start"]`` of an earlier fit on a longer or shorter history of the
            same series: a warm start, the parameters are still estimated on ``y``); ignored by models without
            an optimiser and by the fallbacks.

    Returns:
        :class:`ForecastResult` (``extra["config"]``: the configuration chosen, where the model has one;
        ``extra["start"]``: the fitted parameters, to warm-start a re-fit).
    """
    if model not in MODELS:
        hint = " (the backtest-weighted choice is opslib.forecasting.auto_forecast)" if model == "auto" else ""
        raise ValueError(f"unknown model {model!r}: choose one of {sorted(MODELS)}{hint}")
    y = pd.Series(y, dtype=float).dropna()
    key = _fit_key(y, model, horizon, levels, series_id, closures, country, config, start)
    if key is not None and key in _FIT_CACHE:
        _FIT_CACHE.move_to_end(key)
        return copy.deepcopy(_FIT_CACHE[key])
    r = _fit_forecast(y, model, horizon, levels, series_id, closures, country, config, start)
    if key is not None:
        _FIT_CACHE[key] = copy.deepcopy(r)
        while len(_FIT_CACHE) > _FIT_CACHE_SIZE:
            _FIT_CACHE.popitem(last=False)
    return r


#: Fits kept by :func:`fit_forecast` (least recently used dropped first): a report fits the same history with
#: the same model more than once - ``compare_models`` backtests ``ets`` and ``mstl`` at the origins where its
#: ``auto`` fits them again as candidates. Only fits without a configuration or warm start are kept (those are
#: the ones repeated); a hit returns a copy, so a caller that edits its result does not edit the kept one.
_FIT_CACHE: OrderedDict[tuple, ForecastResult] = OrderedDict()
_FIT_CACHE_SIZE = 512


def _fit_key(y: pd.Series, model: str, horizon: int, levels: Sequence[int], series_id: str,
             closures: Closures | str | None, country: str, config: str | None,
             start: np.ndarray | None) -> tuple | None:
    """The key of a fit in ``_FIT_CACHE`` (the history's values and dates, and every argument), or None for a fit
    not kept (a configuration, a warm start or a :class:`Closures` given).

    Example:
        >>> y = pd.Series([1.0, 2.0], index=pd.date_range("2024-01-01", periods=2))
        >>> _fit_key(y, "ets", 2, (80,), "", None, "CN", None, None) == _fit_key(y.copy(), "ets", 2, [80], "", None,
        ...                                                                      "CN", None, None)
        True
    """
    if config is not None or start is not None or not (closures is None or isinstance(closures, str)):
        return None
    idx = pd.DatetimeIndex(y.index)
    if not (len(y) >= 2 and _freq_code(idx) == "D"):
        closures = None  # closures apply to daily series only ("infer" and None fit a weekly one alike)
    digest = hashlib.sha1(np.ascontiguousarray(y.to_numpy(float)).tobytes())
    digest.update(np.ascontiguousarray(idx.asi8).tobytes())
    return (digest.hexdigest(), str(idx.dtype), model, int(horizon), tuple(int(lv) for lv in levels), series_id,
            closures, country, YEARLY_SMOOTH)


def _fit_forecast(y: pd.Series, model: str, horizon: int, levels: Sequence[int], series_id: str,
                  closures: Closures | str | None, country: str, config: str | None,
                  start: np.ndarray | None) -> ForecastResult:
    """:func:`fit_forecast` on a float history without NaN (not kept)."""
    daily = len(y) >= 2 and _freq_code(pd.DatetimeIndex(y.index)) == "D"
    if isinstance(closures, str):
        closures = infer_closures(y, country if country != "CN" else None) if daily and len(y) >= 14 else None
    cl = closures if daily else None
    y_fit, _ = open_series(y, cl)
    freq = _freq_code(pd.DatetimeIndex(y.index)) if len(y) >= 2 else "W"
    yearly = _yearly_component(y_fit.to_numpy(), freq, horizon) if model in YEARLY_ADJUSTED else None
    if yearly is not None:
        y_fit = y_fit - yearly[0]
    reasons: list[str] = []

    def _requested() -> Model:
        m = make_model(model, country)
        if config is not None and hasattr(m, "config"):
            m.config = config
        if start is not None:
            m.start = start
        if yearly is not None and freq == "W" and isinstance(m, ETSAuto):
            m.seasonal = False  # the yearly season is the weekly series' only one, and it was taken out
        return m

    chain: list[tuple[str, Callable[[], Model]]] = [(model, _requested)]
    if model not in ("naive",):
        chain.append(("ets", lambda: ETSAuto(seasonal=False)))
    chain.append(("naive", Naive))
    for name, factory in chain:
        try:
            m = factory()
            m.fit(y_fit)
            offset = None
            if yearly is not None:  # the yearly component's continuation, added back to mean and bounds
                offset = yearly[1]
                m.spec_ += "; yearly STL season taken out first"
            fc = m.predict(horizon, levels, offset)
            if not np.isfinite(fc["mean"].to_numpy(float)).all():
                raise ValueError("non-finite forecast")
            reason = "" if name == model else "; ".join(reasons) + f"; fell back to {name}"
            if name == "ets" and model != "ets":
                reason += " (non-seasonal)"
            resid = np.asarray(m.residuals_, float)
            if cl is not None and not cl.empty:
                resid = np.where(cl.is_closed(y.index)[-len(resid):], np.nan, resid) if len(resid) else resid
            extra = {"residuals": resid, "config": getattr(m, "config_", None), "start": getattr(m, "start_", None)}
            return ForecastResult(series_id, model, name, reason, m.spec_, apply_closures(fc, cl), m.sigma_,
                                  extra, history=y)
        except Exception as exc:  # noqa: BLE001 - any failure moves down the chain, with its reason
            reasons.append(str(exc) or type(exc).__name__)
    reason = "; ".join(reasons) + "; no model could be fitted, forecast is 0"
    return ForecastResult(series_id, model, "zero", reason, "", _zero_forecast(pd.DatetimeIndex(y.index), horizon,
                                                                              levels), 0.0, history=y)
