"""The action list as the teams get it (notebook 01's export) and the review's summary keys across runs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from opslib.plotting import assortment as charts
from opslib.reporting import ExecutiveSummary, ExportedFiles

ACTIONS = pd.DataFrame({
    "sku": ["S1", "S2", "S3", "S4"], "category": ["美妆", None, "美妆", "美妆"], "subcategory": ["护肤", None, "护肤", "彩妆"],
    "abc": ["A", "C", "A", "B"], "gmv": [1200.5, 0.0, 880.0, 10.0], "gross_margin": [300.0, 0.0, 50.0, 1.0],
    "margin_rate": [0.25, np.nan, 0.057, 0.1], "days_of_supply": [5.8, np.inf, 30.0, 12.0],
    "action": ["replenish", "clear", "fix", "keep"], "action_cn": ["补货", "清仓", "整改", "维持"],
    "rule": ["A 类且库存仅够 5.8 天 < 14 天", "有库存 12 件且已 9 周无销售", "A 类但毛利率 5.7% < 10%", "未触发"],
})
PRODUCTS = pd.DataFrame({"sku": ["S1", "S2", "S3", "S4"], "name": ["面霜 50ml", "旧款口红", "精华 30ml", "眼影"],
                         "brand": ["玉泽坊", "雪颜", "玉泽坊", "雪颜"], "category": ["美妆"] * 4,
                         "subcategory": ["护肤", "彩妆", "护肤", "彩妆"]})


def test_action_export_table_is_what_a_team_works_from() -> None:
    t = charts.action_export_table(ACTIONS, PRODUCTS)
    assert t["sku"].tolist() == ["S1", "S2", "S3"]  # keep is not an action
    assert t["action_label"].tolist() == ["补货 replenish", "清仓 clear", "整改 fix"]
    assert t["owner"].tolist() == ["采购 purchasing", "品类会议 assortment meeting", "品类/定价 category & pricing"]
    assert set(t["status"]) == {"待处理 open"}
    # dead stock that did not sell has no category in the scorecard: the products table fills it, with name/brand
    assert t.loc[1, ["category", "subcategory", "name", "brand"]].tolist() == ["美妆", "彩妆", "旧款口红", "雪颜"]
    assert np.isnan(t.loc[1, "days_of_supply"])  # no demand: empty, never inf
    assert list(t.columns[:6]) == ["action_label", "owner", "status", "sku", "name", "brand"]


def test_export_actions_writes_a_workbook_for_the_team(tmp_path: Path) -> None:
    files = charts.export_actions(ACTIONS, PRODUCTS, tmp_path, name="category_actions_美妆_2025-12-28")
    assert isinstance(files, ExportedFiles) and [p.suffix for p in files] == [".xlsx", ".csv"]
    ws = load_workbook(files[0]).active
    head = [c.value for c in ws[1]]
    assert head[:6] == ["行动 action", "负责人 owner", "状态 status", "商品编码 SKU", "商品名称 product name", "品牌 brand"]
    gmv, rate = head.index("成交额 GMV") + 1, head.index("毛利率 margin rate") + 1
    assert ws.cell(2, gmv).value == 1200.5 and "¥" in ws.cell(2, gmv).number_format
    assert ws.cell(2, rate).number_format == "0.0%"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:{ws.cell(1, len(head)).column_letter}4"
    assert "已完成 done" in ws.data_validations.dataValidation[0].formula1
    assert 'class="ops-export"' in files._repr_html_()
    assert "no export" in str(charts.export_actions(ACTIONS, PRODUCTS, None, name="x"))


def test_review_summary_names_each_list_by_its_action_with_its_skus() -> None:
    scope = SimpleNamespace(skus=pd.DataFrame({"sku": ["S1", "S3"], "gmv": [1200.0, 880.0],
                                               "gross_margin": [300.0, 50.0], "net_sales": [1100.0, 800.0]}),
                            cube=pd.DataFrame({"date": pd.to_datetime(["2024-12-25", "2025-12-25"]),
                                               "sku": ["S1", "S1"], "gmv": [1000.0, 1200.5]}),
                            periods=SimpleNamespace(current="2025-12-22 .. 2025-12-28", baseline=SimpleNamespace(
                                start=pd.Timestamp("2024-12-23"), end=pd.Timestamp("2024-12-29"))))
    s = charts.summarise_review(ExecutiveSummary("01"), scope, 0.5, 0.8, ACTIONS)
    keys = {a.key: a.items for a in s.actions}
    assert keys == {"replenish": ["S1"], "fix": ["S3"], "clear": ["S2"]}
    gmv = s.tiles[0]
    # baseline GMV 1,000 (the one baseline day in the cube): 2,080 / 1,000 - 1 = +108.0%
    assert gmv.change == "+108.0% vs ¥1,000" and gmv.good is True


def test_price_bands_are_money_ranges() -> None:
    bands = pd.DataFrame({"band": ["(7.263, 46.796]"], "skus": [3], "price_min": [7.9], "price_max": [46.8],
                          "gmv": [1000.0], "gmv_share": [0.5], "gross_margin": [200.0], "margin_share": [0.4],
                          "margin_rate": [0.2]})
    assert charts.price_band_table(bands).iloc[0, 0] == "¥7.90–¥46.80"
