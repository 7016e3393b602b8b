"""The drill-down: an exact split (hypothesis), hand examples, and the planted campaign-day cause in the sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslib.operations import KPIS, drill_down, shift_share


def test_mix_effect_by_hand() -> None:
    # Both groups keep their rates (A 5, B 1); B's share rises from 1/4 to 3/4: K 4 -> 2, all of it mix.
    u0 = pd.DataFrame({"value": [5.0, 5.0, 5.0, 1.0], "g": ["A", "A", "A", "B"]})
    u1 = pd.DataFrame({"value": [5.0, 1.0, 1.0, 1.0], "g": ["A", "B", "B", "B"]})
    t = shift_share(u0, u1, "g").set_index("group")
    assert t["rate_effect"].abs().sum() == 0
    # K̄ = 3; A: (5 - 3)(1/4 - 3/4) = -1; B: (1 - 3)(3/4 - 1/4) = -1; sum -2 = 2 - 4
    assert t.loc["A", "mix_effect"] == pytest.approx(-1.0) and t.loc["B", "mix_effect"] == pytest.approx(-1.0)


def test_a_group_new_in_the_current_period_is_all_mix() -> None:
    u0 = pd.DataFrame({"value": [4.0, 4.0], "g": ["A", "A"]})
    u1 = pd.DataFrame({"value": [4.0, 1.0], "g": ["A", "B"]})
    t = shift_share(u0, u1, "g").set_index("group")
    assert t.loc["B", "rate_effect"] == 0 and t["contribution"].sum() == pytest.approx(2.5 - 4.0)


@settings(max_examples=60, deadline=None)
@given(a=st.lists(st.tuples(st.sampled_from("ABCD"), st.floats(0, 5)), min_size=1, max_size=30),
       b=st.lists(st.tuples(st.sampled_from("ABCE"), st.floats(0, 5)), min_size=1, max_size=30),
       scale=st.sampled_from([1.0, 1000.0]))
def test_contributions_add_up_to_the_change_and_scale(a, b, scale) -> None:
    u0 = pd.DataFrame(a, columns=["g", "value"]).assign(value=lambda x: x["value"] * scale)
    u1 = pd.DataFrame(b, columns=["g", "value"]).assign(value=lambda x: x["value"] * scale)
    t = shift_share(u0, u1, "g")
    change = u1["value"].mean() - u0["value"].mean()
    assert t["contribution"].sum() == pytest.approx(change, abs=1e-9 * max(scale, abs(change)))
    assert np.isclose(t["share_current"].sum(), 1.0) and np.isclose(t["share_baseline"].sum(), 1.0)


def test_on_time_drop_in_double_eleven_is_the_campaign_days(small_ops, default_norms) -> None:
    """Planted: +20 h of handling on every campaign day, so November's on-time rate falls because of 双11."""
    d = drill_down(small_ops, "on_time", ("2025-11-01", "2025-11-28"), ("2025-10-04", "2025-10-31"),
                   norms=default_norms)
    assert d.change < 0 and not d.is_noise
    top = d.ranking.iloc[0]
    assert (top["dimension"], top["group"]) == ("campaign_day", "活动日 campaign day")
    assert top["share_of_change"] > 0.5
    for dim, part in d.table.groupby("dimension"):
        assert part["contribution"].sum() == pytest.approx(d.change, abs=1e-9), dim


def test_review_score_drop_is_routed_to_logistics(small_ops, default_norms) -> None:
    d = drill_down(small_ops, "review_score", ("2025-11-01", "2025-11-28"), ("2025-10-04", "2025-10-31"),
                   norms=default_norms)
    ranked = d.ranking.set_index("dimension")
    assert ranked.loc["department", "group"] == "物流 Logistics"  # review topic 物流 -> logistics (norms.yml)
    assert ranked.loc["lateness", "group"] == "迟到 late"
    assert "review score" in d.describe()


def test_drill_down_says_why_it_cannot_run(small_ops) -> None:
    d = drill_down(small_ops, "review_score", ("2030-01-01", "2030-01-28"), ("2029-12-01", "2029-12-28"))
    assert d.reason and "too few" in d.reason
    with pytest.raises(ValueError, match="unknown KPI"):
        drill_down(small_ops, "gmv", ("2025-11-01", "2025-11-28"), ("2025-10-04", "2025-10-31"))
    assert "review_score" in KPIS
