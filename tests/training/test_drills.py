"""Drill findings are scored criterion by criterion against the answer file, with feedback that hides the answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opslib.training import Finding, grade, ticket
from opslib.training.checks import TrainingError

ANSWER = {"scenario": "competitor_price_cut", "kind": "competitor_price_cut", "where": "服饰",
          "where_means": "category", "start": "2025-11-21", "start_tolerance_days": 7, "size": -0.43,
          "size_tolerance": 0.15, "size_relative": False, "size_means": "relative change of conversion"}
MONEY = {"kind": "loss_making_618", "where": "CMP_2025_618", "where_means": "campaign id", "start": "2025-06-01",
         "start_tolerance_days": 3, "size": -120_000.0, "size_tolerance": 0.5, "size_relative": True, "size_sign": -1}


def test_a_full_diagnosis_scores_100() -> None:
    g = grade(Finding("competitor_price_cut", "服饰", "2025-11-25", -0.5), ANSWER)
    assert g.score == g.max_score == 100 and all(g.summary()["ok"])


@pytest.mark.parametrize("finding, score", [
    ({"kind": "竞品降价", "where": "apparel", "start": "2025-11-14", "size": "-28%"}, 100),  # 7 days off, -0.28 ok
    ({"kind": "competitor_price_cut", "where": "服饰", "start": "2025-11-13", "size": -0.43}, 85),  # 8 days off
    ({"kind": "competitor_price_cut", "where": "服饰", "start": "2025-11-21", "size": -0.25}, 85),  # 0.18 off
    ({"kind": "traffic_loss", "where": "服饰", "start": "2025-11-21", "size": -0.43}, 30),  # wrong kind: where only
    ({"kind": "competitor_price_cut", "where": "美妆"}, 40),
    ({"kind": "", "where": ""}, 0),
])
def test_each_criterion_by_hand(finding: dict, score: int) -> None:
    assert grade(finding, ANSWER).score == score


def test_money_sizes_are_relative_and_must_have_the_right_sign() -> None:
    # tolerance 50% of 120,000 = 60,000: -61,000 .. -179,000 pass, a profit never does
    assert grade({"kind": "亏损大促", "where": "CMP_2025_618", "start": "2025-06-01", "size": -65_000}, MONEY).score == 100
    assert grade({"kind": "亏损大促", "where": "CMP_2025_618", "start": "2025-06-01", "size": -55_000}, MONEY).score == 85
    assert grade({"kind": "亏损大促", "where": "CMP_2025_618", "start": "2025-06-01", "size": 120_000}, MONEY).score == 85


def test_feedback_never_shows_the_planted_values_unless_revealed() -> None:
    wrong = {"kind": "competitor_price_cut", "where": "美妆", "start": "2025-10-01", "size": 0.2}
    text = repr(grade(wrong, ANSWER))
    for secret in ("服饰", "2025-11-21", "-0.43", "0.43"):
        assert secret not in text
    assert "expected" not in grade(wrong, ANSWER).summary()
    revealed = grade(wrong, ANSWER, reveal=True)
    assert "服饰" in repr(revealed) and "expected" in revealed.summary()


def test_a_wrong_kind_points_at_the_evidence() -> None:
    text = repr(grade({"kind": "traffic_loss", "where": "服饰"}, ANSWER))
    assert "visitors × conversion × AOV" in text and "only scored once the kind is right" in text


def test_answer_from_a_file_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "d.drill_answer.json"
    path.write_text(json.dumps(ANSWER, ensure_ascii=False), encoding="utf-8")
    assert grade({"kind": "competitor_price_cut", "where": "服饰"}, path).score == 70
    with pytest.raises(TrainingError, match="drill_answer.json"):
        grade({"kind": "x", "where": "y"}, tmp_path / "missing.json")


def test_ticket_of_a_shop_that_is_not_a_drill(tmp_path: Path) -> None:
    assert "not a drill shop" in ticket(tmp_path)
