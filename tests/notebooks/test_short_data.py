"""Short or thin data: every notebook completes, says what it skipped, and agrees with the readiness table.

Shops cut from the small sample shop: 1 day of orders, and 20 days (with period_days = 28 the baseline then
holds no orders at all). The readiness table of notebook 04 and the notebooks print the same history notes
(``opslib.data.quality.history_notes``), and no notebook fails with a matplotlib or KeyError traceback.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opslib.data import load_shop
from opslib.data import quality as dq
from tests.notebooks.helpers import output_text, run_notebook

TIME = {"traffic": "date", "inventory": "date", "fulfilment": "paid_ts", "reviews": "review_ts",
        "service": "contact_ts", "market": "period_end"}


def _cut(src: Path, out: Path, days: int) -> Path:
    """The last ``days`` days of ``src`` (orders, and the tables with a time column) written to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    orders = pd.read_parquet(src / "orders.parquet")
    start = orders["order_ts"].max().normalize() - pd.Timedelta(days=days - 1)
    kept = orders[orders["order_ts"] >= start]
    kept.to_parquet(out / "orders.parquet", index=False)
    for f in src.glob("*.parquet"):
        table = f.stem
        if table == "orders":
            continue
        df = pd.read_parquet(f)
        if table in TIME:
            df = df[df[TIME[table]] >= start]
        if table in ("fulfilment", "reviews"):
            df = df[df["order_id"].isin(kept["order_id"])]
        if table == "service":  # a contact may have no order (an inquiry that did not convert)
            df = df[df["order_id"].isna() | df["order_id"].isin(kept["order_id"])]
        if len(df):  # a table left without rows is absent, as a real short export would be
            df.to_parquet(out / f.name, index=False)
    return out


@pytest.fixture(scope="module")
def short_shops(small_shop_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("short")
    return {"1 day": _cut(small_shop_dir, base / "d1", 1), "20 days": _cut(small_shop_dir, base / "d20", 20)}


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", ["00_shop_at_a_glance", "01_category_optimisation"])
@pytest.mark.parametrize("shop", ["1 day", "20 days"])
def test_notebook_states_what_short_data_leaves_out(short_shops: dict[str, Path], tmp_path: Path, notebook: str,
                                                    shop: str) -> None:
    data = short_shops[shop]
    text = output_text(run_notebook(f"{notebook}.ipynb", tmp_path / "out.ipynb", data_dir=str(data), period_days=28))
    readiness = dq.notebook_readiness(load_shop(data)).set_index("notebook").loc[notebook]
    assert readiness["can_run"]
    notes = dq.history_notes(dq.order_days(load_shop(data)), notebook)
    assert notes, "a 1- or 20-day shop is short for every notebook"
    for note in notes:
        assert note in readiness["skips"], "the readiness table lists what the notebook will say"
        assert note in text, f"{notebook} on {shop} does not say: {note}"
    assert "No orders in the baseline" in text  # 28 days back from the first order: nothing to compare with


@pytest.mark.notebook
def test_data_quality_on_one_day(short_shops: dict[str, Path], tmp_path: Path) -> None:
    text = output_text(run_notebook("04_data_quality.ipynb", tmp_path / "04.ipynb", data_dir=str(short_shops["1 day"])))
    assert "0 runs of empty days" in text
    assert "1 days of orders (< 2 years)" in text


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", ["02_campaign_evaluation", "03_trend_forecasting", "05_customers_and_traffic",
                                      "06_operations_coordination", "07_industry_pricing_and_costs"])
@pytest.mark.parametrize("shop", ["1 day", "20 days"])
def test_every_other_notebook_says_what_short_data_leaves_out(short_shops: dict[str, Path], tmp_path: Path,
                                                              notebook: str, shop: str) -> None:
    """The rest of the notebooks on the same 1- and 20-day exports: they run (or stop with a reason) and print
    every history note the readiness table lists for them."""
    data = short_shops[shop]
    readiness = dq.notebook_readiness(load_shop(data)).set_index("notebook").loc[notebook]
    notes = dq.history_notes(dq.order_days(load_shop(data)), notebook)
    assert notes, f"{notebook} needs more than {shop}"
    for note in notes:
        assert note in readiness["skips"]
    if not readiness["can_run"]:  # e.g. 02 without a campaign that has 21 days before it
        return
    text = output_text(run_notebook(f"{notebook}.ipynb", tmp_path / "out.ipynb", data_dir=str(data)))
    for note in notes:
        assert note in text, f"{notebook} on {shop} does not say: {note}"
