"""``python -m opslib forecast``: the CSV a scheduler reads, from the data up to the origin; clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opslib.__main__ import main
from opslib.forecasting.cli import COLUMNS


def _run(args: list[str]) -> int:
    return main(["forecast", *args])


def test_total_daily_forecast_from_an_origin(small_shop_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    assert _run([str(small_shop_dir), "--level", "total", "--horizon", "14", "--origin", "2025-06-30",
                 "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert tuple(df.columns) == COLUMNS
    assert len(df) == 14 and df["date"].iloc[0] == "2025-07-01" and df["date"].iloc[-1] == "2025-07-14"
    assert (df["lo95"] <= df["lo80"] + 1e-9).all() and (df["lo80"] <= df["forecast"] + 1e-9).all()
    assert (df["forecast"] <= df["hi80"] + 1e-9).all() and (df["hi80"] <= df["hi95"] + 1e-9).all()
    assert df["model"].nunique() == 1 and df["series_id"].unique().tolist() == ["全店"]


def test_origin_cuts_the_history(small_shop_dir: Path, tmp_path: Path) -> None:
    """Data after the origin is not used: a forecast from 2025-06-30 is the same whatever follows it."""
    from opslib.forecasting.cli import forecast_table

    a = forecast_table(small_shop_dir, "total", 7, origin="2025-06-30", model="ets")
    orders = pd.read_parquet(small_shop_dir / "orders.parquet")
    cut = tmp_path / "cut"
    cut.mkdir()
    orders[orders["order_ts"] < "2025-07-01"].to_parquet(cut / "orders.parquet", index=False)
    (cut / "products.parquet").write_bytes((small_shop_dir / "products.parquet").read_bytes())
    b = forecast_table(cut, "total", 7, model="ets")
    pd.testing.assert_frame_equal(a, b)


def test_weekly_sku_forecasts(small_shop_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "w.csv"
    assert _run([str(small_shop_dir), "--level", "sku", "--category", "美妆", "--freq", "week", "--horizon", "4",
                 "--max-skus", "3", "--model", "sba", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert df["series_id"].nunique() == 3 and len(df) == 12
    assert pd.to_datetime(df["date"]).dt.day_of_week.eq(0).all()  # weeks by their Monday
    assert set(df["model"]) <= {"sba", "ets", "naive"}


@pytest.mark.parametrize(("args", "message"), [
    (["--level", "category", "--category", "不存在", "--horizon", "7"], "no sales for category '不存在'"),
    (["--level", "total", "--horizon", "0"], "--horizon must be a whole number of periods >= 1"),
    (["--level", "total", "--horizon", "7", "--origin", "2031-01-01"], "is after the last day with orders"),
    (["--level", "total", "--horizon", "7", "--origin", "2025-13-01"], "--origin '2025-13-01' is not a date"),
    (["--level", "total", "--horizon", "7", "--model", "prophet"], "--model 'prophet' is not a model"),
])
def test_bad_requests_exit_2_with_a_message(small_shop_dir: Path, tmp_path: Path, capsys, args: list[str],
                                            message: str) -> None:
    out = tmp_path / "x.csv"
    assert _run([str(small_shop_dir), *args, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
