"""``python -m opslib forecast DATA_DIR ...``: forecasts for schedulers and planning systems, as one CSV.

Usage::

    python -m opslib forecast DATA_DIR --level total|category|sku [--category C] --horizon H
                              [--origin YYYY-MM-DD] --out FILE.csv
                              [--freq day|week] [--model auto] [--max-skus 100] [--jobs 1]

The forecast is made from the data up to and including ``--origin`` (default: the last day with orders):
daily forecasts start the day after it; weekly ones (``--freq week``) start on the Monday after the last
complete Monday-Sunday week that ends on or before it. ``--horizon`` counts periods of ``--freq``.

Output columns (one row per series and period): ``series_id``, ``date`` (``YYYY-MM-DD``; weeks by their
Monday), ``forecast`` (mean units), ``lo80``, ``hi80``, ``lo95``, ``hi95`` (central 80% and 95% prediction
intervals), ``model`` (the model that actually ran; ``auto`` gives the combined models joined by ``+``).

Closed days (daily forecasts) are the shop's own: read off the shop's total units (weekdays without a sale,
public holidays of the country in ``shop.yml`` when the shop never trades on them) plus own events named as
closures (``opslib.forecasting.closures.closure_dates``); they are forecast as 0 for every series.

Exit status: 0 written; 2 a bad request or unreadable data (the message names what is wrong; nothing written).

Example:
    >>> parse_args(["shop", "--level", "sku", "--horizon", "28", "--out", "f.csv"]).freq
    'day'
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from opslib.errors import UserError
from opslib.forecasting.series import SERIES_LEVELS, ForecastError

#: Columns of the output file.
COLUMNS: tuple[str, ...] = ("series_id", "date", "forecast", "lo80", "hi80", "lo95", "hi95", "model")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line, parsed (argparse exits with status 2 and its usage on a malformed line)."""
    p = argparse.ArgumentParser(prog="python -m opslib forecast",
                                description="Forecast a shop's units and write series_id, date, forecast, lo80, "
                                            "hi80, lo95, hi95, model as CSV.")
    p.add_argument("data_dir", help="the shop folder (orders and products tables)")
    p.add_argument("--level", required=True, choices=SERIES_LEVELS, help="total, category or sku")
    p.add_argument("--category", default=None, help="only this category (every level)")
    p.add_argument("--horizon", required=True, type=int, help="periods to forecast (days, or weeks with --freq week)")
    p.add_argument("--origin", default=None, help="last day of history used, YYYY-MM-DD (default: last day of data)")
    p.add_argument("--out", required=True, help="CSV file to write")
    p.add_argument("--freq", default="day", choices=("day", "week"), help="daily (default) or weekly forecasts")
    p.add_argument("--model", default="auto", help="auto (default) or a model name: ets, mstl, sba, ...")
    p.add_argument("--max-skus", type=int, default=100, help="best-selling SKUs forecast at level sku (0 = all)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes")
    return p.parse_args(argv)


def forecast_table(data_dir: str | Path, level: str, horizon: int, origin: str | None = None,
                   category: str | None = None, freq: str = "day", model: str = "auto", max_skus: int = 100,
                   jobs: int = 1) -> pd.DataFrame:
    """The forecasts of a shop as the CLI writes them (columns ``COLUMNS``).

    Parameters:
        data_dir: the shop folder. level: ``total``, ``category`` or ``sku``. horizon: periods (> 0).
        origin: last day of history (``YYYY-MM-DD``; default the data's last day). category: one category.
        freq: ``day`` or ``week``. model: ``auto`` or a name of ``opslib.forecasting.models.MODELS``.
        max_skus: SKUs at level ``sku`` (0 = all). jobs: worker processes.

    Returns:
        One row per series and period.

    Raises:
        ForecastError: bad horizon, model or origin, unknown category. DataError: the shop cannot be read.
    """
    from opslib.calendar import parse_day
    from opslib.data import daily_sku, load_shop
    from opslib.forecasting.batch import forecast_many
    from opslib.forecasting.closures import closure_dates, infer_closures
    from opslib.forecasting.models import MODELS
    from opslib.forecasting.series import daily_frame, daily_series, weekly_series

    if horizon < 1:
        raise ForecastError(f"--horizon must be a whole number of periods >= 1, got {horizon}")
    if model != "auto" and model not in MODELS:
        raise ForecastError(f"--model {model!r} is not a model: use auto or one of {', '.join(sorted(MODELS))}")
    shop = load_shop(data_dir, tables=["orders", "products"], validate=False)
    daily = daily_sku(shop)  # on the shop's engine: the lines never come into pandas
    if daily.empty:
        raise ForecastError(f"{data_dir}: the orders table has no sales to forecast from")
    first, last = daily["date"].min(), daily["date"].max()
    end = last if origin is None else parse_day(origin, "--origin")
    if end < first + pd.Timedelta(days=13):
        raise ForecastError(f"--origin {end.date()} leaves less than two weeks of data "
                            f"(the data starts on {first.date()})")
    if end > last:
        raise ForecastError(f"--origin {end.date()} is after the last day with orders ({last.date()}): "
                            "a forecast from there would treat the missing days as zero sales")
    daily = daily[daily["date"] <= end]
    country = shop.settings.country
    if freq == "week":
        wide = weekly_series(daily.assign(date=daily["date"]), level, category=category, max_skus=max_skus or None)
        wide = wide[wide.index + pd.Timedelta(days=6) <= end]
        closures = None
    else:
        wide = daily_frame(daily, level, category=category, max_skus=max_skus or None, end=end)
        total = daily_series(daily, end=end)
        closures = infer_closures(total, country, extra_dates=closure_dates(shop.settings.events_frame()))
    if wide.empty or len(wide) < 2:
        raise ForecastError(f"{data_dir}: too little history up to {end.date()} for {freq}ly forecasts")
    results = forecast_many(wide, model, horizon, n_jobs=jobs, progress=False, trim=level == "sku",
                            closures=closures, country=country)
    rows = []
    for r in results:
        fc = r.forecast
        rows.append(pd.DataFrame({"series_id": r.series_id, "date": pd.to_datetime(fc["date"]).dt.strftime("%Y-%m-%d"),
                                  "forecast": fc["mean"].to_numpy(), "lo80": fc["lo_80"].to_numpy(),
                                  "hi80": fc["hi_80"].to_numpy(), "lo95": fc["lo_95"].to_numpy(),
                                  "hi95": fc["hi_95"].to_numpy(), "model": r.model}))
    out = pd.concat(rows, ignore_index=True)[list(COLUMNS)]
    num = ["forecast", "lo80", "hi80", "lo95", "hi95"]
    out[num] = np.round(out[num].to_numpy(float), 4)
    return out


def main(argv: list[str]) -> int:
    """``python -m opslib forecast ...``: exit 0 written, 2 bad request or data (message, no traceback)."""
    a = parse_args(argv)
    try:
        table = forecast_table(a.data_dir, a.level, a.horizon, a.origin, a.category, a.freq, a.model, a.max_skus,
                               a.jobs)
    except UserError as e:
        print(f"opslib forecast: {e}", file=sys.stderr)
        return 2
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, encoding="utf-8")
    models = table.drop_duplicates("series_id")["model"].value_counts()
    print(f"wrote {len(table)} rows ({table['series_id'].nunique()} series x {a.horizon} {a.freq}s from "
          f"{table['date'].min()}) to {out}; models: "
          + ", ".join(f"{m} ({c})" for m, c in models.head(5).items()))
    return 0
