"""Customer action lists by hand: win back, nurture, a campaign per segment, and the Excel export."""

from __future__ import annotations

import pandas as pd
import pytest

from opslib.customers import (
    CAMPAIGN_PLAYBOOK,
    SEGMENTS,
    RFMResult,
    export_actions,
    nurture_list,
    segment_campaigns,
    win_back_list,
)
from opslib.errors import CLVError

AS_OF = pd.Timestamp("2024-06-30")


def _rfm() -> RFMResult:
    seg = {s.key: s for s in SEGMENTS}
    rows = [("a", "at_risk", "245", "2024-01-01", "2024-02-01", 2, 800.0),
            ("b", "champions", "555", "2023-06-01", "2024-06-28", 9, 2000.0),
            ("c", "cannot_lose", "155", "2023-01-01", "2023-05-01", 6, 1500.0),
            ("d", "about_to_sleep", "321", "2024-03-01", "2024-03-01", 1, 90.0),
            ("e", "new", "511", "2024-06-25", "2024-06-25", 1, 60.0),
            ("f", "promising", "515", "2024-06-10", "2024-06-10", 1, 300.0),
            ("g", "potential_loyalist", "543", "2024-05-20", "2024-06-20", 2, 120.0)]
    c = pd.DataFrame(rows, columns=["customer_id", "segment", "rfm", "first_order", "last_order", "frequency",
                                    "monetary"])
    c["first_order"], c["last_order"] = pd.to_datetime(c["first_order"]), pd.to_datetime(c["last_order"])
    c["recency_days"] = (AS_OF - c["last_order"]).dt.days
    c["segment_name"] = [seg[k].name for k in c["segment"]]
    c["segment_cn"] = [seg[k].name_cn for k in c["segment"]]
    return RFMResult(c, AS_OF)


def test_win_back_list_by_hand() -> None:
    w = win_back_list(_rfm())
    # cannot lose and at risk, by what they spent: c (1500) before a (800); the champion is not on it
    assert w["customer_id"].tolist() == ["c", "a"]
    assert set(w["action"]) == {"win back"} and set(w["action_cn"]) == {"召回"}
    assert w.loc[0, "rule"] == "Cannot lose: RFM 155, 426 days since the last order, spent 1,500"  # May 1 -> Jun 30 2024
    assert win_back_list(_rfm(), wider=True)["customer_id"].tolist() == ["c", "a", "d"]
    clv = pd.DataFrame({"customer_id": ["a", "c"], "p_alive": [0.4, 0.1], "clv": [50.0, 12.0]})
    w2 = win_back_list(_rfm(), clv=clv, top=1)
    assert w2[["customer_id", "p_alive", "clv"]].values.tolist() == [["c", 0.1, 12.0]]
    with pytest.raises(CLVError, match="p_alive"):
        win_back_list(_rfm(), clv=clv.drop(columns="p_alive"))


def test_nurture_list_by_hand() -> None:
    n = nurture_list(_rfm(), days=30, median_gap_days=35)
    # first and only order at most 30 days before Jun 30: e (Jun 25, 60) and f (Jun 10, 300); g has 2 orders
    assert n["customer_id"].tolist() == ["f", "e"]
    assert n["nudge_on"].dt.strftime("%Y-%m-%d").tolist() == ["2024-07-15", "2024-07-30"]  # +35 days
    assert nurture_list(_rfm(), days=30)["nudge_on"].isna().all()
    assert nurture_list(_rfm(), days=10)["customer_id"].tolist() == ["e"]
    with pytest.raises(CLVError, match="days=-1"):
        nurture_list(_rfm(), days=-1)


def test_segment_campaigns_cover_every_segment() -> None:
    assert set(CAMPAIGN_PLAYBOOK) == {s.key for s in SEGMENTS}
    t = segment_campaigns(_rfm())
    assert len(t) == 11 and t["priority"].is_monotonic_increasing
    assert t.iloc[0]["segment_name"] in ("At risk", "Cannot lose") and t.iloc[-1]["segment_name"] == "Lost"
    assert t["customers"].sum() == 7


def test_export_actions_csv_with_bom_and_xlsx(tmp_path) -> None:
    w = win_back_list(_rfm())
    csv, xlsx = export_actions(w, tmp_path / "out", name="customers_win_back_2024-06-30")
    assert (csv.name, xlsx.name) == ("customers_win_back_2024-06-30.csv", "customers_win_back_2024-06-30.xlsx")
    assert csv.read_bytes()[:3] == b"\xef\xbb\xbf"
    back = pd.read_csv(csv, encoding="utf-8-sig")
    assert back["customer_id"].tolist() == ["c", "a"] and back["segment_cn"].tolist() == ["重要挽留客户", "流失风险客户"]
    assert pd.read_excel(xlsx)["customer_id"].tolist() == ["c", "a"]
    # a customer id typed as a formula stays text, and a name from data cannot leave the folder
    evil = w.assign(customer_id="=HYPERLINK(\"http://x\")")
    (p,) = export_actions(evil, tmp_path / "out", name="../../x", formats=("csv",))
    assert p.parent == (tmp_path / "out").resolve()
    assert pd.read_csv(p, encoding="utf-8-sig")["customer_id"].iloc[0].startswith("'=")


def test_win_back_list_finds_clv_rows_by_id_with_absent_object_and_duplicated_ids() -> None:
    # c's CLV row is last, a's first; x has no RFM row; a CLV table without c leaves c's columns empty
    clv = pd.DataFrame({"customer_id": ["a", "x", "c"], "p_alive": [0.4, 0.9, 0.1], "clv": [50.0, 70.0, 12.0]})
    w = win_back_list(_rfm(), clv=clv)
    assert w[["customer_id", "p_alive", "clv"]].values.tolist() == [["c", 0.1, 12.0], ["a", 0.4, 50.0]]
    w = win_back_list(_rfm(), clv=clv.iloc[:2])
    assert w["p_alive"].isna().tolist() == [True, False] and w.loc[1, "clv"] == 50.0
    # object ids and a duplicated id (joined row by row: a appears twice) give what pandas' merge gives
    dup = pd.DataFrame({"customer_id": pd.Series(["a", "a", "c"], dtype=object), "p_alive": [0.4, 0.5, 0.1],
                        "clv": [50.0, 60.0, 12.0]})
    assert win_back_list(_rfm(), clv=dup)["clv"].tolist() == [12.0, 50.0, 60.0]
    obj = clv.astype({"customer_id": object})
    assert win_back_list(_rfm(), clv=obj)["clv"].tolist() == [12.0, 50.0]
