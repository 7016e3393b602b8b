"""Trend forecasting (趋势预测): series, decomposition, models, backtests, hierarchy and replenishment.

Frequency choice: **forecasts are weekly** at every level (shop total, category, SKU); SKU demand is too sparse
day by day, replenishment is decided weekly, and one frequency keeps the hierarchy (SKU -> category -> total)
additive. **Decomposition is daily** (shop or category), where both the weekly and the yearly seasonality show.

Modules: ``series``, ``decomposition``, ``regressors``, ``models``, ``metrics``, ``backtest`` (and the
``auto`` choice), ``batch`` (many series in a process pool), ``hierarchy``, ``replenishment``.
"""

from __future__ import annotations

from opslib.forecasting.backtest import (
    CANDIDATES,
    COMBO,
    auto_forecast,
    combo_forecast,
    leaderboard,
    origins,
    rolling_origin,
    score,
    selection_origins,
)
from opslib.forecasting.batch import backtest_many, forecast_frame, forecast_many, model_table
from opslib.forecasting.decomposition import REGRESSOR_LABELS, calendar_effects, decompose, trend_segments
from opslib.forecasting.hierarchy import (
    Hierarchy,
    build_hierarchy,
    hierarchy_accuracy,
    hierarchy_backtest,
    hierarchy_forecast,
    reconcile,
    shrink_covariance,
    summing_matrix,
)
from opslib.forecasting.metrics import bias, coverage, mae, mase, mase_scale, rmse, smape, wape
from opslib.forecasting.models import (
    LEVELS,
    MODELS,
    ForecastResult,
    SeriesTooShort,
    fit_forecast,
    make_model,
    primary_season,
    season_lengths,
)
from opslib.forecasting.regressors import REGRESSORS, calendar_regressors, fourier_terms
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
    TOTAL,
    complete_weeks,
    daily_series,
    to_weekly,
    trim_leading_zeros,
    weekly_series,
)

__all__ = [
    "auto_forecast",
    "backtest_many",
    "bias",
    "build_hierarchy",
    "calendar_effects",
    "calendar_regressors",
    "CANDIDATES",
    "COMBO",
    "combo_forecast",
    "complete_weeks",
    "coverage",
    "daily_series",
    "decompose",
    "demand_table",
    "fit_forecast",
    "forecast_frame",
    "forecast_many",
    "ForecastResult",
    "fourier_terms",
    "Hierarchy",
    "hierarchy_accuracy",
    "hierarchy_backtest",
    "hierarchy_forecast",
    "latest_stock",
    "leaderboard",
    "LEVELS",
    "mae",
    "make_model",
    "mase",
    "mase_scale",
    "model_table",
    "MODELS",
    "origins",
    "OTHER",
    "primary_season",
    "reconcile",
    "REGRESSOR_LABELS",
    "REGRESSORS",
    "reorder_point",
    "replenishment_plan",
    "rmse",
    "rolling_origin",
    "safety_stock",
    "score",
    "season_lengths",
    "selection_origins",
    "SeriesTooShort",
    "service_z",
    "shrink_covariance",
    "smape",
    "summing_matrix",
    "to_weekly",
    "TOTAL",
    "trend_segments",
    "trim_leading_zeros",
    "wape",
    "weekly_series",
    "weeks_of_cover",
]
