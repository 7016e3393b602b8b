"""Trend forecasting (趋势预测): series, decomposition, models, backtests, hierarchy and replenishment.

Frequency choice: **forecasts are weekly** at every level (shop total, category, SKU); SKU demand is too sparse
day by day, replenishment is decided weekly, and one frequency keeps the hierarchy (SKU -> category -> total)
additive. **Decomposition is daily** (shop or category), where both the weekly and the yearly seasonality show.

Daily forecasts are supported at every level too (the CLI ``python -m opslib forecast`` and the peer bench use
them): closed days come from :mod:`opslib.forecasting.closures`, intermittent SKUs are routed to
:mod:`opslib.forecasting.intermittent`.

Modules: ``series``, ``decomposition``, ``regressors``, ``closures``, ``intermittent``, ``models``, ``metrics``,
``backtest``, ``auto`` (the model choice and combination), ``batch`` (many series in a process pool),
``hierarchy``, ``replenishment``, ``cli``.
"""

from __future__ import annotations

from opslib.forecasting.auto import (
    INTERMITTENT_POOL,
    SMOOTH_POOL,
    WEEKLY_POOL,
    auto_forecast,
    backtest_origins,
    candidate_pool,
)
from opslib.forecasting.backtest import leaderboard, origins, rolling_origin, score
from opslib.forecasting.batch import ForecastBatch, backtest_many, forecast_frame, forecast_many, model_table
from opslib.forecasting.closures import Closures, closure_dates, infer_closures, open_series
from opslib.forecasting.decomposition import (
    REGRESSOR_LABELS,
    calendar_effects,
    decompose,
    regressor_label,
    stl_components,
    trend_segments,
    usable_periods,
)
from opslib.forecasting.hierarchy import (
    Hierarchy,
    HierarchyForecast,
    Reconciliation,
    build_hierarchy,
    hierarchy_accuracy,
    hierarchy_backtest,
    hierarchy_forecast,
    reconcile,
    reconciliation,
    shrink_covariance,
    summing_matrix,
)
from opslib.forecasting.intermittent import adida, croston, demand_class, sba, tsb
from opslib.forecasting.metrics import bias, coverage, mae, mase, mase_scale, rmse, smape, wape
from opslib.forecasting.models import (
    INTERMITTENT_MODELS,
    LEVELS,
    MODELS,
    ForecastResult,
    SeriesTooShort,
    apply_closures,
    fit_forecast,
    make_model,
    primary_season,
    season_lengths,
    weekday_profile,
)
from opslib.forecasting.regressors import REGRESSORS, calendar_regressors, fourier_terms, regressor_names
from opslib.forecasting.replenishment import (
    demand_table,
    latest_stock,
    reorder_point,
    replenishment_plan,
    safety_stock,
    service_z,
    weeks_of_cover,
)
from opslib.forecasting.series import (
    OTHER,
    SERIES_LEVELS,
    TOTAL,
    ForecastError,
    complete_weeks,
    daily_frame,
    daily_series,
    to_weekly,
    trim_leading_zeros,
    weekly_series,
)

__all__ = [
    "adida",
    "apply_closures",
    "auto_forecast",
    "backtest_many",
    "backtest_origins",
    "bias",
    "build_hierarchy",
    "calendar_effects",
    "calendar_regressors",
    "candidate_pool",
    "closure_dates",
    "Closures",
    "complete_weeks",
    "coverage",
    "croston",
    "daily_frame",
    "daily_series",
    "decompose",
    "demand_class",
    "demand_table",
    "fit_forecast",
    "ForecastBatch",
    "ForecastError",
    "forecast_frame",
    "forecast_many",
    "ForecastResult",
    "fourier_terms",
    "Hierarchy",
    "hierarchy_accuracy",
    "hierarchy_backtest",
    "hierarchy_forecast",
    "HierarchyForecast",
    "infer_closures",
    "INTERMITTENT_MODELS",
    "INTERMITTENT_POOL",
    "latest_stock",
    "leaderboard",
    "LEVELS",
    "mae",
    "make_model",
    "mase",
    "mase_scale",
    "model_table",
    "MODELS",
    "open_series",
    "origins",
    "OTHER",
    "primary_season",
    "reconcile",
    "reconciliation",
    "Reconciliation",
    "REGRESSOR_LABELS",
    "regressor_label",
    "regressor_names",
    "REGRESSORS",
    "reorder_point",
    "replenishment_plan",
    "rmse",
    "rolling_origin",
    "safety_stock",
    "sba",
    "score",
    "SERIES_LEVELS",
    "season_lengths",
    "SeriesTooShort",
    "service_z",
    "shrink_covariance",
    "smape",
    "SMOOTH_POOL",
    "stl_components",
    "summing_matrix",
    "to_weekly",
    "TOTAL",
    "trend_segments",
    "trim_leading_zeros",
    "tsb",
    "usable_periods",
    "wape",
    "weekday_profile",
    "WEEKLY_POOL",
    "weekly_series",
    "weeks_of_cover",
]
