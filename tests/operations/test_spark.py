"""The same operations numbers on DuckDB and on Spark (local mode) for the small sample shop: ``prepare`` folds
the orders on the shop's engine, the scorecard reads its units and the estimators their cells from it, so a shop
whose data lives on a cluster gets the scorecard a DuckDB shop gets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opslib import operations as ops
from opslib.data import Shop, load_shop
from opslib.data.relations import open_shop

TABLES = ["orders", "products", "campaigns", "fulfilment", "reviews", "service"]
PERIOD = ("2025-12-04", "2025-12-31")
BASELINE = ("2025-11-06", "2025-12-03")


def _scored(data: ops.OpsData) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    card = ops.score_norms(data, ops.load_norms(), PERIOD)
    drill = ops.drill_down(data, "review_score", PERIOD, BASELINE)
    effects = {"peak": ops.peak_handling_delay(data, until=PERIOD[1]).estimate(),
               "late": ops.late_review_effect(data, until=PERIOD[1]).estimate(),
               "drivers": ops.contact_drivers(data, until=PERIOD[1]).estimate("delivered late 迟到"),
               "speed": ops.response_conversion_effect(data, until=PERIOD[1]).estimate()}
    return card.results, drill.table, effects


@pytest.mark.spark
def test_duckdb_and_spark_give_identical_scorecards(small_shop_dir: Path, spark_engine) -> None:  # noqa: ANN001
    duck = load_shop(small_shop_dir, tables=TABLES)
    lines = open_shop(small_shop_dir, TABLES, engine=spark_engine)
    spark = Shop(small_shop_dir, available=[t for t in TABLES if lines.has(t)], lines=lines)
    d_res, d_drill, d_eff = _scored(ops.prepare(duck))
    s_data = ops.prepare(spark)
    assert s_data.on_engine and s_data.tables.engine.name == "spark"
    s_res, s_drill, s_eff = _scored(s_data)
    pd.testing.assert_frame_equal(s_res, d_res, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(s_drill, d_drill, check_exact=False, rtol=1e-9)
    assert s_eff == pytest.approx(d_eff, rel=1e-9)
    assert (d_res["status"] != "skipped").all() and d_res["units"].min() > 0
