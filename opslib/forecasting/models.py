"""Forecasting models on statsmodels behind one small API: ``fit(y)`` then ``predict(horizon)``.

Every model takes a regular series ``y`` (``pd.Series`` with a ``DatetimeIndex``; weekly series are
indexed by the Monday that starts the week, daily series by the day) and returns a forecast frame with
columns ``date``, ``mean``, and for every interval level ``L`` (default 80 and 95) ``lo_L``/``hi_L``:
the central ``L``% prediction interval. Demand cannot be negative, so means and bounds are clipped at 0.

Models (``MODELS``):

* ``naive``: ``y_hat[T+h] = y[T]``; interval ``y_hat +/- z * sigma * sqrt(h)``, ``sigma`` = std of
  ``y[t] - y[t-1]``. The last resort for very short series.
* ``snaive`` (seasonal naive): ``y_hat[T+h] = y[T+h-m*(k+1)]``, ``k = (h-1) // m``; ``m`` = 52 on
  weekly, 7 on daily series; interval ``+/- z * sigma * sqrt(k+1)`` with ``sigma`` = std of
  ``y[t] - y[t-m]``. The baseline every other model must beat.
* ``ets``: exponential smoothing (statsmodels ``ETSModel``, additive errors), configuration chosen by
  AIC among ``ANN``, ``AAdN`` and, when the series holds two full seasons, ``ANA``
  (``m`` = 52 weekly / 7 daily). Analytic prediction intervals.
* ``sarimax``: regression on calendar regressors (618, 双11, 双12 windows, Chinese New Year weeks, public
  holidays; ``calendar_regressors``) and yearly Fourier terms with ARIMA errors (statsmodels
  ``SARIMAX``); linear trend, AR(1) errors, fitted in two steps (OLS, then SARIMAX on its residuals).
* ``mstl``: ``MSTL`` decomposition with every seasonality of the frequency (weekly data: yearly 52;
  daily data: 7 and 365), each seasonal component forecast by repeating its last cycle, the
  seasonally adjusted series by ``ets`` (non-seasonal); intervals from that ETS (the STLForecast idea
  extended to several seasonalities); intervals widened by the ratio of honest in-sample one-step
  errors (seasonal from the previous cycle) to the ETS residuals. Needs 1.5 yearly cycles (78 weeks).

A series too short for the requested model does not fail: :func:`fit_forecast` falls back to
non-seasonal ETS, then to ``naive``, and records the reason (``ForecastResult.reason``).

Example:
    >>> import pandas as pd
    >>> y = pd.Series([10.0, 12, 11, 13, 12, 14, 13, 15, 14, 16],
    ...               index=pd.date_range("2024-01-01", periods=10, freq="W-MON"))
    >>> r = fit_forecast(y, "snaive", horizon=2)
    >>> r.model, r.reason.startswith("10 weeks of history < 53 needed by snaive")
    ('ets', True)
    >>> list(r.forecast.columns)
    ['date', 'mean', 'lo_80', 'hi_80', 'lo_95', 'hi_95']
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd

from opslib.forecasting.regressors import REGRESSORS, WEEKS_PER_YEAR, calendar_regressors, fourier_terms

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
    """Seasonal periods per frequency: weekly data ``(52,)`` (yearly); daily ``(7, 365)``."""
    return (52,) if freq == "W" else (7, 365)


def primary_season(freq: str) -> int:
    """The season of ``snaive``, seasonal ETS and MASE: 52 on weekly, 7 on daily series."""
    return 52 if freq == "W" else 7


def future_index(index: pd.DatetimeIndex, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` periods after the last date of ``index`` (same spacing)."""
    step = pd.Timedelta(days=7 if _freq_code(index) == "W" else 1)
    return pd.DatetimeIndex([index[-1] + step * (i + 1) for i in range(horizon)])


def _z(level: int) -> float:
    """Two-sided normal quantile: ``z = Phi^-1(1/2 + L/200)``; 80 -> 1.2816, 95 -> 1.9600."""
    return NormalDist().inv_cdf(0.5 + level / 200)


def _frame(dates: pd.DatetimeIndex, mean: np.ndarray, bounds: dict[int, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    out = pd.DataFrame({"date": dates, "mean": np.clip(np.asarray(mean, float), 0, None)})
    for lvl, (lo, hi) in bounds.items():
        out[f"lo_{lvl}"] = np.clip(np.asarray(lo, float), 0, None)
        out[f"hi_{lvl}"] = np.clip(np.asarray(hi, float), 0, None)
    return out


class Model:
    """Base class: ``fit(y)`` stores the history, ``predict(horizon, levels)`` returns the forecast frame.

    Attributes after ``fit``: ``y_`` (the history), ``freq_`` (``'W'``/``'D'``), ``residuals_`` (in-sample
    one-step errors ``y - fitted``, NaN where undefined), ``spec_`` (the configuration chosen).
    """

    name = "model"

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

    def predict(self, horizon: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        raise NotImplementedError

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

    def predict(self, horizon: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        idx = future_index(pd.DatetimeIndex(self.y_.index), horizon)
        last = float(self.y_.iloc[-1])
        h = np.arange(1, horizon + 1)
        s = self.sigma_ * np.sqrt(h)
        mean = np.full(horizon, last)
        return _frame(idx, mean, {lv: (mean - _z(lv) * s, mean + _z(lv) * s) for lv in levels})


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

    def predict(self, horizon: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        v = self.y_.to_numpy()
        n, m = len(v), self.m_
        h = np.arange(1, horizon + 1)
        k = (h - 1) // m
        mean = np.array([v[n + hh - 1 - m * (kk + 1)] for hh, kk in zip(h, k, strict=False)])
        s = self.sigma_ * np.sqrt(k + 1)
        idx = future_index(pd.DatetimeIndex(self.y_.index), horizon)
        return _frame(idx, mean, {lv: (mean - _z(lv) * s, mean + _z(lv) * s) for lv in levels})


class ETSAuto(Model):
    """ETS with additive errors, configuration chosen by AIC (statsmodels ``ETSModel``).

    Candidates ``ANN`` (level), ``AAdN`` (damped trend) and, with two full seasons of history,
    ``ANA`` (additive season ``m``; the damped-trend seasonal ``AAdA`` was dropped: slow, rarely chosen). Seasonal fits use the heuristic initialisation
    (fast; ``m`` seasonal states are not optimised). ``seasonal=False`` keeps only the first two.
    """

    name = "ets"

    def __init__(self, seasonal: bool = True) -> None:
        super().__init__()
        self.seasonal = seasonal

    def min_length(self, freq: str) -> int:
        return 4

    def fit(self, y: pd.Series) -> ETSAuto:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        self._check(y)
        m = primary_season(self.freq_)
        n = len(self.y_)
        configs: list[tuple[str | None, bool, str | None]] = [(None, False, None)]
        if n >= 8:
            configs.append(("add", True, None))
        if self.seasonal and n >= 2 * m + 2:
            configs.append((None, False, "add"))
        endog = pd.Series(self.y_.to_numpy(), index=pd.RangeIndex(n))
        best = None
        for trend, damped, seas in configs:
            init = "heuristic" if (seas and n >= 2 * m + 2) or n >= 12 else "estimated"
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = ETSModel(
                        endog, error="add", trend=trend, damped_trend=damped, seasonal=seas,
                        seasonal_periods=m if seas else None, initialization_method=init,
                    ).fit(disp=False)
            except Exception:  # noqa: BLE001 - a config that does not fit is skipped
                continue
            if not np.isfinite(res.aic):
                continue
            if best is None or res.aic < best[0]:
                label = "A" + ("Ad" if trend else "N") + ("A" if seas else "N")
                best = (res.aic, res, label)
        if best is None:
            raise ValueError("no ETS configuration could be fitted")
        self.res_ = best[1]
        self.spec_ = f"ETS({best[2]}) AIC={best[0]:.1f}"
        self.residuals_ = np.asarray(self.res_.resid, float)
        return self

    def predict(self, horizon: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        n = len(self.y_)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = self.res_.get_prediction(start=n, end=n + horizon - 1)
            bounds = {}
            mean = None
            for lv in levels:
                sf = pred.summary_frame(alpha=1 - lv / 100)
                mean = sf["mean"].to_numpy()
                bounds[lv] = (sf["pi_lower"].to_numpy(), sf["pi_upper"].to_numpy())
            if mean is None:
                mean = np.asarray(pred.predicted_mean)
        idx = future_index(pd.DatetimeIndex(self.y_.index), horizon)
        return _frame(idx, mean, bounds)


class SarimaxFestival(Model):
    """Regression on calendar regressors + yearly Fourier terms with ARMA errors (statsmodels ``SARIMAX``).

    ``y[t] = a + b t + c' x[t] + sum_j (d_j sin(2 pi j t / P) + e_j cos(2 pi j t / P)) + u[t]``,
    ``u[t]`` AR(1) (``SARIMAX`` with ``order=(1, 0, 0)``); ``x`` = :func:`calendar_regressors`,
    ``P`` = 52.18 weeks (daily series add weekly terms, period 7).

    Fitted in two steps, so it stays fast enough for thousands of SKUs: (1) OLS for the regression,
    (2) SARIMAX on its residuals. Forecast = regression forecast + AR forecast of the residual;
    interval variance = AR forecast variance + variance of the regression mean (coefficient
    uncertainty). Regressors that never vary in the history are dropped. Needs 60 weekly / 120 daily
    points. ``effects()`` gives the calendar effects with 95% intervals.
    """

    name = "sarimax"
    k_yearly = 4

    def min_length(self, freq: str) -> int:
        return 60 if freq == "W" else 120

    def _design(self, dates: pd.DatetimeIndex, t: np.ndarray) -> pd.DataFrame:
        x = calendar_regressors(dates, self.freq_)
        x.insert(0, "trend", t / (52.0 if self.freq_ == "W" else 365.0))
        x.insert(0, "const", 1.0)
        period = WEEKS_PER_YEAR if self.freq_ == "W" else 365.25
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
        x = self._design(pd.DatetimeIndex(self.y_.index), np.arange(n))
        self.cols_ = ["const"] + [c for c in x.columns[1:] if x[c].std() > 1e-9]
        self.ols_ = sm.OLS(self.y_.to_numpy(), x[self.cols_].to_numpy()).fit()
        u = np.asarray(self.ols_.resid, float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.res_ = SARIMAX(u, order=(1, 0, 0)).fit(disp=False)
        self.spec_ = f"OLS({len(self.cols_)} terms) + AR(1) errors, AIC={self.res_.aic:.1f}"
        self.residuals_ = np.asarray(self.res_.resid, float)
        return self

    def predict(self, horizon: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        n = len(self.y_)
        idx = future_index(pd.DatetimeIndex(self.y_.index), horizon)
        xf = self._design(idx, np.arange(n, n + horizon))[self.cols_].to_numpy()
        reg = self.ols_.get_prediction(xf)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = self.res_.get_forecast(horizon)
        mean = np.asarray(reg.predicted_mean) + np.asarray(fc.predicted_mean)
        sd = np.sqrt(np.asarray(fc.var_pred_mean) + np.asarray(reg.se_mean) ** 2)
        return _frame(idx, mean, {lv: (mean - _z(lv) * sd, mean + _z(lv) * sd) for lv in levels})

    def effects(self) -> pd.DataFrame:
        """Estimated calendar effects: ``regressor``, ``coef`` (units per period when the flag covers the
        whole period), ``lo_95``, ``hi_95``, ``pvalue`` (OLS, not corrected for the autocorrelation)."""
        ci = np.asarray(self.ols_.conf_int(0.05))
        out = pd.DataFrame({"regressor": self.cols_, "coef": np.asarray(self.ols_.params), "lo_95": ci[:, 0],
                            "hi_95": ci[:, 1], "pvalue": np.asarray(self.ols_.pvalues)})
        return out[out["regressor"].isin(REGRESSORS)].reset_index(drop=True)


class MSTLModel(Model):
    """MSTL decomposition, seasonal components repeated, seasonally adjusted series by non-seasonal ETS.

    ``y = trend + sum_i s_i + remainder``; ``y_hat[T+h] = ets(y - sum_i s_i)[T+h] + sum_i s_i[T+h-m_i]``
    for ``h <= m_i`` (each seasonal component's last cycle repeated). Seasons: weekly data ``(52,)``,
    daily ``(7, 365)`` (those with ``min_cycles`` = 1.5 cycles in the history). Needs 1.5 cycles of the
    primary season on weekly data (78 weeks; 14 days on daily data). Between 1.5 and 2 cycles, the weeks
    of the year seen only once take their seasonal from that single year (as seasonal naive does) and
    the rest from two; 1.5 cycles lets ``auto`` backtest the model on last year's season of a
    three-year shop (origin ``n - 52``), see :func:`opslib.forecasting.backtest.auto_forecast`.

    Interval calibration (in :meth:`fit`, from the history ``y`` alone, never from the forecast
    period): the interval is the non-seasonal ETS interval of the adjusted series, widened by
    ``widen_ = max(1, sd(honest) / sd(ets residuals))``, where ``honest[t] = ets_resid[t] +
    sum_i (s_i[t] - s_i[t - m_i])`` are the one-step errors the model would have made with the seasonal
    taken from the previous cycle, as it is when forecasting. STL fits the seasonal to the very years it
    is judged on, so the ETS residuals alone understate the error.
    """

    name = "mstl"

    #: Cycles of a season needed before it is modelled (see the class docstring).
    min_cycles: float = 1.5

    def min_length(self, freq: str) -> int:
        return int(np.ceil(self.min_cycles * primary_season(freq))) if freq == "W" else 14

    def fit(self, y: pd.Series) -> MSTLModel:
        from statsmodels.tsa.seasonal import MSTL, STL

        self._check(y)
        n = len(self.y_)
        periods = [p for p in season_lengths(self.freq_) if n >= self.min_cycles * p]
        v = self.y_.to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if len(periods) == 1:
                dec = STL(v, period=periods[0]).fit()
                seas = np.asarray(dec.seasonal).reshape(-1, 1)
            else:
                dec = MSTL(v, periods=periods).fit()
                seas = np.asarray(dec.seasonal).reshape(n, -1)
        self.periods_ = periods
        self.seasonal_ = seas
        adj = pd.Series(v - seas.sum(axis=1), index=self.y_.index)
        self.ets_ = ETSAuto(seasonal=False).fit(adj)
        # Honest errors: the seasonal part taken from the previous cycle, as it is when forecasting.
        # STL fits the seasonal to the very years it is judged on (2-3 cycles), so the ETS residuals
        # alone understate the error; intervals are widened by the ratio of the two error spreads.
        p0 = periods[0]
        honest = np.asarray(self.ets_.residuals_, float)[p0:] + (seas[p0:] - seas[:-p0]).sum(axis=1)
        base_sd = self.ets_.sigma_
        hon = honest[np.isfinite(honest)]
        self.widen_ = float(max(1.0, np.std(hon, ddof=1) / base_sd)) if base_sd > 0 and len(hon) > 2 else 1.0
        self.spec_ = f"MSTL{tuple(periods)} + {self.ets_.spec_}, intervals x{self.widen_:.2f}"
        self.residuals_ = np.r_[np.full(p0, np.nan), honest]
        return self

    def predict(self, horizon: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        n = len(self.y_)
        h = np.arange(1, horizon + 1)
        s_fc = np.zeros(horizon)
        for i, p in enumerate(self.periods_):
            s = self.seasonal_[:, i]
            s_fc += np.array([s[n + hh - 1 - p * ((hh - 1) // p + 1)] for hh in h])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = self.ets_.res_.get_prediction(start=n, end=n + horizon - 1)
            bounds = {}
            mean = np.asarray(pred.predicted_mean) + s_fc
            for lv in levels:
                sf = pred.summary_frame(alpha=1 - lv / 100)
                half = (sf["pi_upper"].to_numpy() - sf["pi_lower"].to_numpy()) / 2 * self.widen_
                bounds[lv] = (mean - half, mean + half)
        return _frame(future_index(pd.DatetimeIndex(self.y_.index), horizon), mean, bounds)


MODELS: dict[str, Callable[[], Model]] = {
    "naive": Naive,
    "snaive": SeasonalNaive,
    "ets": ETSAuto,
    "sarimax": SarimaxFestival,
    "mstl": MSTLModel,
}


def make_model(name: str) -> Model:
    """A fresh model by name (one of ``MODELS``)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}: choose one of {sorted(MODELS)} or 'auto'")
    return MODELS[name]()


@dataclass
class ForecastResult:
    """One series' forecast.

    ``requested`` is the model asked for, ``model`` the one actually used and ``reason`` why they differ
    ('' when they do not); ``spec`` the fitted configuration; ``forecast`` the frame (``date``, ``mean``,
    ``lo_L``, ``hi_L``); ``sigma`` the std of one-step in-sample errors (units per period).
    """

    series_id: str
    requested: str
    model: str
    reason: str
    spec: str
    forecast: pd.DataFrame
    sigma: float
    extra: dict = field(default_factory=dict)


def _zero_forecast(index: pd.DatetimeIndex, horizon: int, levels: Sequence[int], freq: str) -> pd.DataFrame:
    idx = future_index(index, horizon) if len(index) else pd.DatetimeIndex([pd.NaT] * horizon)
    z = np.zeros(horizon)
    return _frame(idx, z, {lv: (z, z) for lv in levels})


def fit_forecast(
    y: pd.Series, model: str = "ets", horizon: int = 8, levels: Sequence[int] = LEVELS, series_id: str = ""
) -> ForecastResult:
    """Fit ``model`` to ``y`` and forecast ``horizon`` periods; never fails.

    Fallback chain: requested model -> non-seasonal ETS (``ANN``/``AAdN`` by AIC) -> ``naive`` -> zeros
    (empty history). Each step down records why in ``reason`` (e.g. ``'10 weeks of history < 78 needed by
    mstl; fell back to ets (non-seasonal)'``). ``model='auto'`` is handled by
    :func:`opslib.forecasting.backtest.auto_forecast`.
    """
    y = pd.Series(y, dtype=float).dropna()
    reasons: list[str] = []
    chain: list[tuple[str, Callable[[], Model]]] = [(model, lambda: make_model(model))]
    if model not in ("naive",):
        chain.append(("ets", lambda: ETSAuto(seasonal=False)))
    chain.append(("naive", Naive))
    for name, factory in chain:
        try:
            m = factory()
            m.fit(y)
            fc = m.predict(horizon, levels)
            if not np.isfinite(fc[["mean"]].to_numpy()).all():
                raise ValueError("non-finite forecast")
            reason = "" if name == model else "; ".join(reasons) + f"; fell back to {name}"
            if name == "ets" and model != "ets":
                reason += " (non-seasonal)"
            return ForecastResult(series_id, model, name, reason, m.spec_, fc, m.sigma_,
                                  {"residuals": np.asarray(m.residuals_, float)})
        except Exception as exc:  # noqa: BLE001 - any failure moves down the chain, with its reason
            reasons.append(str(exc) or type(exc).__name__)
    reason = "; ".join(reasons) + "; no model could be fitted, forecast is 0"
    freq = _freq_code(pd.DatetimeIndex(y.index)) if len(y) else "W"
    return ForecastResult(series_id, model, "zero", reason, "", _zero_forecast(pd.DatetimeIndex(y.index), horizon,
                                                                              levels, freq), 0.0)
