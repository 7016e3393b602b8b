"""The executive summaries of the campaign review (02) and the forecast (03), and purchasing's order list."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from opslib.plotting import campaign_summary as cs
from opslib.plotting import forecast_summary as fs
from opslib.reporting import ExecutiveSummary


def _evaluation(money: object) -> SimpleNamespace:
    campaign = SimpleNamespace(campaign_id="CMP_2025_1212", name="双12", discount_depth=0.3, marketing_spend=94000.0)
    effects = pd.DataFrame({"segment": ["window", "post"], "effect": [1520.4, -80.0], "low": [900.2, -200.0],
                            "high": [2140.6, 40.0]})
    return SimpleNamespace(campaign=campaign, effects=effects, money=money)


MONEY = {"incremental_units": 1520.4, "incremental_gmv": 333329.747, "incremental_margin": 41209.1,
         "pull_forward_margin": 12000.0, "cannibalised_margin": 4000.0, "marketing_spend": 94000.0,
         "net_profit": -68790.908, "roi": -0.732}


@pytest.mark.parametrize("money", [MONEY, SimpleNamespace(**MONEY)], ids=["dict", "object"])
def test_a_campaign_that_lost_money_says_so_in_words(money: object) -> None:
    overview = pd.DataFrame({"campaign_id": ["A", "B", "CMP_2025_1212"], "net_profit": [-1000.0, np.nan, -68790.908]})
    s = cs.summarise_campaign(ExecutiveSummary("02"), _evaluation(money), overview)
    tiles = {t.metric: (t.value, t.change, t.good) for t in s.tiles}
    assert tiles["incremental_units"] == ("+1,520", "90% 区间 +900 .. +2,141", True)
    assert tiles["incremental_gmv"][0] == "+¥33.3万" and tiles["net_profit"] == ("-¥6.9万", None, False)
    assert tiles["roi"][0] == "-73.2%"  # -68,790.908 / 94,000 = -0.7318
    assert s.verdicts[0] == "双12 did not pay: -¥6.9万 net after ¥9.4万 of marketing."
    assert s.verdicts[1].startswith("It moved units: +1,520")
    assert s.verdicts[2] == "Side effects cost margin: pull-forward after the window ¥1.2万; sister SKUs cannibalised ¥4,000."
    assert s.verdicts[3] == "All 2 campaigns evaluated over the last 12 months had a negative net profit."
    assert [a.key for a in s.actions] == ["campaign:CMP_2025_1212", "overview:loss-making"]
    assert "shallower discount than 30.0%" in s.actions[0].text and s.actions[1].items == ["A", "CMP_2025_1212"]


def test_unknown_cost_is_said_not_guessed() -> None:
    money = {**MONEY, "incremental_margin": None, "net_profit": None, "roi": None}
    ev = _evaluation(money)
    ev.effects.loc[0, ["low", "high"]] = [-50.0, 3000.0]
    s = cs.summarise_campaign(ExecutiveSummary("02"), ev)
    tiles = {t.metric: (t.value, t.change) for t in s.tiles}
    assert tiles["net_profit"] == ("unknown", "no unit cost") and "roi" not in tiles
    assert "whether it paid cannot be said" in s.verdicts[0]
    assert s.verdicts[1].startswith("No clear effect on units") and not s.actions
    assert cs.summarise_campaign(ExecutiveSummary("02"), None).verdicts


def _plan() -> pd.DataFrame:
    return pd.DataFrame({"sku": ["S1", "S2", "S3"], "mean_weekly": [10.0, 4.0, 0.0], "safety_stock": [6.0, 3.0, 0.0],
                         "reorder_point": [26.0, 11.0, 0.0], "order_up_to": [36.0, 15.0, 0.0],
                         "on_hand": [5.0, 20.0, 3.0], "weeks_of_cover": [0.5, 5.0, np.inf],
                         "order_now": [True, False, False], "order_qty": [31, 0, 0]})


def test_forecast_summary_demand_accuracy_and_orders() -> None:
    weeks = pd.date_range("2024-01-01", periods=60, freq="7D")
    history = pd.DataFrame({"美妆": [100.0] * 60, "数码": [50.0] * 60}, index=weeks)
    forecast = pd.DataFrame({"series_id": ["美妆", "美妆", "数码", "数码"], "date": list(weeks[-2:] + pd.Timedelta(weeks=2)) * 2,
                             "mean": [110.0, 120.0, 50.0, 40.0]})
    board = pd.DataFrame({"model": ["auto", "snaive"], "mase": [0.82, 1.0]})
    s = fs.summarise_forecast(ExecutiveSummary("03"), history, forecast, _plan(), board)
    tiles = {t.metric: (t.value, t.change) for t in s.tiles}
    # 110 + 120 + 50 + 40 = 320 against 2 weeks x (100 + 50) = 300 a year earlier: +6.7%
    assert tiles["forecast_units"] == ("320", "+6.7% vs the same weeks last year")
    assert tiles["mase"] == ("0.82", "auto") and tiles["orders"][0] == "1 of 3" and tiles["order_units"][0] == "31"
    assert s.verdicts[0] == "Demand for the next 2 weeks: 320 units, +6.7% vs the same weeks last year (300)."
    assert "0.82" in s.verdicts[1] and "1.00" in s.verdicts[1]
    assert s.verdicts[2] == "1 SKU reaches its reorder point this week; the most urgent is S1 (0.5 weeks of cover)."
    assert (s.actions[0].key, s.actions[0].items) == ("order", ["S1"])


def test_without_stock_there_is_no_order_list() -> None:
    plan = _plan().drop(columns=["on_hand", "weeks_of_cover", "order_now", "order_qty"])
    f = pd.DataFrame({"series_id": ["A"], "date": [pd.Timestamp("2025-01-06")], "mean": [5.0]})
    s = fs.summarise_forecast(ExecutiveSummary("03"), pd.DataFrame(), f, plan)
    assert s.verdicts == ["No stock levels (inventory table): safety stock and reorder points only, no order list."]
    assert "needs the inventory table" in str(fs.export_orders(plan, None, "/tmp", "x"))


def test_order_list_export_for_purchasing(tmp_path: Path) -> None:
    products = pd.DataFrame({"sku": ["S1", "S2"], "name": ["面霜 50ml", "眼影"], "brand": ["玉泽坊", "雪颜"],
                             "category": ["美妆", "美妆"]})
    plan = SimpleNamespace(summary=_plan)  # the plan object of opslib.forecasting (summary() gives the frame)
    files = fs.export_orders(plan, products, tmp_path, "orders_2025-12-31")
    ws = load_workbook(files[0]).active
    head = [c.value for c in ws[1]]
    assert head[:7] == ["负责人 owner", "状态 status", "商品编码 SKU", "商品名称 product name", "品牌 brand",
                        "品类 category", "建议下单量 order quantity"]
    assert [c.value for c in ws[2]][:7] == ["采购 purchasing", "待处理 open", "S1", "面霜 50ml", "玉泽坊", "美妆", 31]
    assert ws.cell(2, 7).number_format == "#,##0" and ws.max_row == 2 and ws.freeze_panes == "A2"


def test_fillers_take_what_the_reworked_notebooks_hold() -> None:
    """02 holds ``evaluate_shop``'s result, 03 a ``forecast_many`` batch, a ``compare_models`` result and a plan
    object with ``reason``: the fillers take them as they are."""
    chosen = SimpleNamespace(evaluation=None, problem="no campaign has ended with a 56-day pre-period")
    assert cs.header(chosen)["scope"] == "no campaign could be evaluated: no campaign has ended with a 56-day pre-period"
    s = cs.summarise_campaign(ExecutiveSummary("02"), chosen)
    assert s.verdicts == ["The campaign could not be evaluated: no campaign has ended with a 56-day pre-period"]
    ev = _evaluation(MONEY)
    ev.campaign.start, ev.campaign.end, ev.campaign.scope_type = pd.Timestamp("2025-12-10"), pd.Timestamp("2025-12-12"), "all"
    wrapped = cs.summarise_campaign(ExecutiveSummary("02"), SimpleNamespace(evaluation=ev, problem=None))
    assert wrapped.verdicts[0].startswith("双12 did not pay") and cs.header(SimpleNamespace(evaluation=ev))["period"] == \
        "2025-12-10 .. 2025-12-12 (3 days)"

    weeks = pd.date_range("2025-01-06", periods=4, freq="7D")
    history = pd.Series([10.0, 10.0, 10.0, 10.0], index=weeks.astype(str))
    f = pd.DataFrame({"series_id": "A", "date": weeks[-1:] + pd.Timedelta(weeks=1), "mean": [12.0]})
    batch = SimpleNamespace(frame=lambda: f)
    comparison = SimpleNamespace(summary=lambda: pd.DataFrame({"model": ["mstl", "ets"], "mase": [np.nan, 0.9]}))
    plan = SimpleNamespace(summary=lambda: pd.DataFrame({"sku": ["S1"], "safety_stock": [3.0]}),
                           reason="no inventory table: targets only")
    s = fs.summarise_forecast(ExecutiveSummary("03"), history, batch, plan, comparison)
    tiles = {t.metric: t.value for t in s.tiles}
    assert tiles["forecast_units"] == "12" and tiles["mase"] == "0.90"  # the NaN model is not "best"
    assert s.verdicts[0] == "Demand for the next 1 weeks: 12 units, +20.0% vs the last 1 weeks (10)."  # 12 / 10 - 1
    assert s.verdicts[-1] == "No inventory table: targets only"
    assert isinstance(history.index[0], str)  # the caller's series is not changed
