"""The data-quality charts draw on tiny frames without warnings; the texts and tables read as documented."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from opslib import plotting  # noqa: E402
from opslib.data import quality as dq  # noqa: E402
from opslib.importers import ImportLog, dropped_summary  # noqa: E402

ORDERS = pd.DataFrame({
    "order_id": ["a", "b", "c", "d"], "sku": "s", "customer_id": "c", "status": "completed",
    "quantity": [1, 1, 2, 40], "unit_price": [10.0, 12.0, 9.0, 11.0], "list_price": 12.0,
    "order_ts": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-04", "2024-01-05"]),
})


@pytest.fixture(autouse=True)
def _strict():
    plotting.set_theme()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ResourceWarning)  # sockets other tests leaked, collected here
        yield
    plt.close("all")


def test_coverage_chart_and_table() -> None:
    cov = pd.DataFrame({"orders": [3, 1], "traffic": [31, 29]}, index=pd.Index(["2024-01", "2024-02"], name="month"))
    assert plotting.quality.coverage_chart(cov).axes[0].get_title().startswith("每月行数")
    t = plotting.quality.coverage_table(cov)
    assert t.loc["traffic"].tolist() == ["31", "29"]


def test_outliers_chart_and_table() -> None:
    out = dq.outliers(ORDERS, k=3.0)
    fig = plotting.quality.outlier_chart(ORDERS, out)
    assert len(fig.axes) == 2
    table = plotting.quality.outlier_table(out)
    assert table.loc[0, "share"].endswith("%")


def test_gaps_chart_and_text() -> None:
    gaps = dq.calendar_gaps(ORDERS)
    # 2024-01-01 .. 05 with orders on 01, 04, 05: one run of 2 empty days (02, 03)
    assert plotting.quality.gaps_text(gaps) == "1 runs of empty days, 2 empty days in total"
    fig = plotting.quality.gaps_chart(dq.daily_orders(ORDERS), gaps)
    assert fig.axes[0].get_ylabel() == "orders"


def test_import_log_texts_and_chart() -> None:
    log = ImportLog(kind="demo", source="x.csv", input_rows=10)
    log.drop("zero_price", 2, "price <= 0 is a placeholder", ["POST"])
    log.note("currency", "prices are in GBP")
    log.output_rows = {"orders": 8}
    assert plotting.quality.import_balance(log) == (
        "demo from x.csv: input 10 rows = dropped 2 + merged 0 + order lines 8 -> adds up")
    assert plotting.quality.import_notes(log) == "· currency: prices are in GBP"
    summary = dropped_summary(log)
    assert plotting.quality.dropped_chart(summary) is not None
    assert plotting.quality.dropped_table(summary).loc[0, "share_of_input"] == "20.0%"  # 2 of 10


def test_iqr_zero_does_not_flag_every_second_value() -> None:
    """Quantity 1 on most lines makes Q1 = Q3: without the floor every quantity 2 (7.7% of lines) was an outlier."""
    q = pd.DataFrame({"quantity": [1] * 920 + [2] * 77 + [3, 4, 900]})
    r = dq.outliers(q, columns=("quantity",), k=3.0).iloc[0]
    # x = log1p(q): Q1 = Q3 = ln 2, IQR floored at ln 2 -> fence = ln 2 + 3 ln 2 = ln 16 -> q > 15 is high
    assert r["fence_high"] == pytest.approx(15.0)
    assert r["high"] == 1 and r["iqr_floored"]
