"""Other campaigns and calendar days around a campaign: shares, masks, cuts, regressors, refusals, by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from opslib import campaigns as cp

PRODUCTS = pd.DataFrame({"sku": ["A", "B", "C", "D"], "category": ["x", "x", "y", "y"],
                         "subcategory": ["x1", "x2", "y1", "y1"]})
UNITS = pd.Series({"A": 60.0, "B": 40.0, "C": 100.0, "D": 100.0})  # pre-period units per SKU


def _camps(*rows: tuple) -> pd.DataFrame:
    base = [("T", "2024-04-20", "2024-04-22", "sku", "A|B")]
    return pd.DataFrame([{"campaign_id": c, "name": c, "kind": "flash_sale", "start": pd.Timestamp(a),
                          "end": pd.Timestamp(b), "discount_depth": 0.2, "scope_type": t, "scope": s,
                          "marketing_spend": 0.0} for c, a, b, t, s in base + list(rows)])


def _plan(camps: pd.DataFrame, mode: str = "mask", calendar: pd.DataFrame | None = None, post_days: int = 14):
    t = cp.get_campaign(camps, "T")
    return cp.plan_overlaps(camps, t, PRODUCTS, UNITS, cp.campaign_periods(t, 56, 14), post_days, mode,
                            control_skus={"C", "D"}, calendar=calendar)


def test_shares_by_hand():
    # O covers A only: 60 of the 100 scoped units -> 0.6; it covers no control SKU -> 0
    # Q covers category y = C, D: 0 of the scope, all 200 control units -> 1
    plan = _plan(_camps(("O", "2024-03-01", "2024-03-02", "sku", "A"), ("Q", "2024-03-10", "2024-03-11", "category", "y")))
    t = plan.table.set_index("campaign_id")
    assert t.loc["O", "scope_share"] == pytest.approx(0.6) and t.loc["O", "control_share"] == 0
    assert t.loc["Q", "scope_share"] == 0 and t.loc["Q", "control_share"] == pytest.approx(1.0)
    # both in the pre-period (2024-02-23 .. 04-19), each masking its 2 days + 14 after-days:
    # O 03-01 .. 03-16, Q 03-10 .. 03-25; together 03-01 .. 03-25 = 25 days
    assert int(plan.mask.sum()) == 25


def test_disjoint_campaign_on_unrelated_skus_is_ignored():
    plan = _plan(_camps(("Z", "2024-03-01", "2024-03-02", "sku", "NOT_A_SKU")))
    assert plan.table.empty and not plan.mask.any()


def test_campaign_after_the_window_cuts_the_post_period_and_leaves_the_control():
    # W on C starts 2024-04-28, inside T's post-period 04-23 .. 05-06: cut at 04-27, C out of the control
    plan = _plan(_camps(("W", "2024-04-28", "2024-04-29", "sku", "C")))
    assert plan.post_end == pd.Timestamp("2024-04-27")
    assert plan.control_exclude == {"C"}
    assert "post-period cut at 2024-04-27" in plan.table.loc[0, "action"]


def test_campaign_in_the_window_gives_a_joint_effect_or_is_refused():
    camps = _camps(("J", "2024-04-21", "2024-04-21", "sku", "B"))
    plan = _plan(camps)
    assert any("joint effect" in n and "J (2024-04-21..2024-04-21, 40% of the scoped units)" in n for n in plan.notes)
    with pytest.raises(cp.CampaignError, match="T.*overlaps J.*overlap='mask'"):
        _plan(camps, mode="raise")


def test_regress_mode_keeps_the_days_and_builds_pooled_regressors():
    plan = _plan(_camps(("O", "2024-03-01", "2024-03-02", "sku", "A")), mode="regress", post_days=3)
    assert not plan.mask.any()  # modelled, not set aside
    r = plan.regressors
    assert r.loc["2024-03-01", "other_campaigns"] == pytest.approx(0.6)  # its scope share
    assert r.loc["2024-03-03":"2024-03-05", "after_other_campaigns"].tolist() == pytest.approx([0.6] * 3)
    assert r["other_campaigns"].sum() == pytest.approx(1.2)


def test_too_few_days_left_falls_back_then_refuses():
    # four campaigns on A every 14 days fill the pre-period with windows + after-days
    many = [(f"O{i}", f"2024-0{2 + i // 2}-{1 + 14 * (i % 2):02d}", f"2024-0{2 + i // 2}-{7 + 14 * (i % 2):02d}",
             "sku", "A") for i in range(6)]
    plan = _plan(_camps(*many), post_days=14)
    assert any("not their 14 after-days" in n for n in plan.notes)
    full = [(f"F{i}", str((pd.Timestamp("2024-02-20") + pd.Timedelta(days=3 * i)).date()),
             str((pd.Timestamp("2024-02-21") + pd.Timedelta(days=3 * i)).date()), "sku", "A") for i in range(20)]
    with pytest.raises(cp.CampaignError, match="usable days.*overlap='regress'"):
        _plan(_camps(*full))


def test_calendar_follows_the_country():
    cn = cp.calendar_events(pd.Timestamp("2024-05-25"), pd.Timestamp("2024-06-20"), "CN")
    gb = cp.calendar_events(pd.Timestamp("2024-05-25"), pd.Timestamp("2024-06-20"), "GB")
    assert "618" in set(cn["name"]) and "618" not in set(gb["name"])
    assert "Spring Bank Holiday" in set(gb["name"])  # 2024-05-27
    us = cp.calendar_events(pd.Timestamp("2024-11-20"), pd.Timestamp("2024-12-05"), "US")
    assert {"Black Friday", "Thanksgiving Day"} <= set(us["name"]) and "双12" not in set(us["name"])
    own = pd.DataFrame({"name": ["Warehouse move"], "start": [pd.Timestamp("2024-06-03")],
                        "end": [pd.Timestamp("2024-06-05")]})
    ev = cp.calendar_events(pd.Timestamp("2024-06-01"), pd.Timestamp("2024-06-10"), "GB", own)
    assert ev.set_index("name").loc["Warehouse move", "kind"] == "event"


def test_calendar_days_in_the_pre_period_are_set_aside():
    cal = cp.calendar_events(pd.Timestamp("2024-02-23"), pd.Timestamp("2024-05-06"), "GB")
    plan = _plan(_camps(), calendar=cal)
    # Good Friday 2024-03-29 lies in the pre-period (2024-02-23 .. 04-19); the holidays package's GB calendar
    # without a subdivision has no Easter Monday (not a bank holiday in Scotland)
    assert plan.mask[pd.Timestamp("2024-03-29")]
    assert int(plan.mask.sum()) == 1
    assert set(plan.table["source"]) == {"calendar"}
