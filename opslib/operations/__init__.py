"""Operations across departments (notebook 06): warehouse, logistics, customer service, product and marketing
scored against the shop's process norms, with the estimators that find the causes and the alerts a schedule
acts on.

Workflow::

    from opslib import operations as ops
    data = ops.prepare(shop)                         # orders + fulfilment + reviews + service, as of the data end
    norms = ops.load_norms(shop_dir="data/sample")   # norms.yml in the shop folder, else the shipped defaults
    card = ops.score_norms(data, norms, period)      # every department against its norms; card.export(folder)
    ops.peak_handling_delay(data).describe()         # +20 h on campaign days in the sample shop
    ops.late_review_effect(data).describe()          # -0.71 points for a late delivery in the sample shop

Modules: ``dataset`` (the order, review, contact and day frames), ``fulfilment`` (handling, transit, on time,
peak days, lost parcels, carriers), ``reviews`` (scores, topics, the late-delivery effect, returns and
cancellations), ``service`` (inquiry conversion, SLAs, contact rates and drivers), ``metrics`` (what a norm can
measure), ``norms`` (``norms.yml``), ``scorecard`` (scores, breaches, contributors, hand-off packs),
``rootcause`` (drill-down of a KPI change), ``alerts`` and ``cli`` (``python -m opslib operations check``),
``stats`` (intervals, OLS on cell sums), ``effects`` (the result of an estimator).
"""

from __future__ import annotations

from opslib.errors import NormsError
from opslib.operations.alerts import alert_table, write_alerts
from opslib.operations.dataset import OpsData, day_frame, order_frame, prepare
from opslib.operations.effects import Effect
from opslib.operations.fulfilment import (
    CarrierComparison,
    carrier_comparison,
    daily_fulfilment,
    delivery_status,
    durations_by,
    lost_parcels,
    peak_handling_delay,
)
from opslib.operations.metrics import METRICS, Metric, metric_units
from opslib.operations.norms import (
    DEFAULT_NORMS,
    Department,
    Norm,
    Norms,
    load_norms,
    norms_from_mapping,
    read_norms,
)
from opslib.operations.reviews import late_review_effect, return_reasons, returns_by, review_mix, topic_mix
from opslib.operations.rootcause import KPIS, DrillDown, drill_down, shift_share
from opslib.operations.scorecard import Scorecard, export_packs, score_norms
from opslib.operations.service import (
    contact_drivers,
    contact_rates,
    inquiry_conversion,
    response_conversion_effect,
    service_levels,
)
from opslib.operations.stats import CellFit, cell_ols, cell_sums, mean_interval, wilson_interval

__all__ = [
    "alert_table",
    "carrier_comparison",
    "CarrierComparison",
    "cell_ols",
    "cell_sums",
    "CellFit",
    "contact_drivers",
    "contact_rates",
    "daily_fulfilment",
    "day_frame",
    "DEFAULT_NORMS",
    "delivery_status",
    "Department",
    "drill_down",
    "DrillDown",
    "durations_by",
    "Effect",
    "export_packs",
    "inquiry_conversion",
    "KPIS",
    "late_review_effect",
    "load_norms",
    "lost_parcels",
    "mean_interval",
    "Metric",
    "metric_units",
    "METRICS",
    "Norm",
    "Norms",
    "norms_from_mapping",
    "NormsError",
    "OpsData",
    "order_frame",
    "peak_handling_delay",
    "prepare",
    "read_norms",
    "response_conversion_effect",
    "return_reasons",
    "returns_by",
    "review_mix",
    "Scorecard",
    "score_norms",
    "service_levels",
    "shift_share",
    "topic_mix",
    "wilson_interval",
    "write_alerts",
]
