"""Answers are read the way operators write them, and compared with the key within its tolerance."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opslib.training.answers import Key, close_to, matches, parse_answer, parse_number


@pytest.mark.parametrize("text, value", [
    ("1,234.5", 1234.5), ("¥ 98 000", 98000.0), ("-0.2", -0.2), ("12.5万", 125000.0), ("1.2亿", 1.2e8),
    ("3k", 3000.0), (7, 7.0), ("12%", 12.0), ("37件", 37.0),
])
def test_numbers_in_the_forms_operators_write(text, value) -> None:
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "", None, True, float("nan"), "1.2.3"])
def test_what_is_not_a_number(text) -> None:
    assert parse_number(text) is None


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_a_number_written_with_thousands_separators_reads_back(x: float) -> None:
    assert parse_number(f"{x:,.2f}") == pytest.approx(round(x, 2), abs=1e-6)


def test_shares_as_fractions_percent_text_or_bare_percent() -> None:
    assert parse_answer("3.4%", "share").value == pytest.approx(0.034)
    assert parse_answer(0.034, "share").value == pytest.approx(0.034)
    p = parse_answer(12, "share", key_value=0.1)  # 12 when a fraction is expected: 12%, with a note
    assert p.value == pytest.approx(0.12) and "12%" in p.note
    assert parse_answer(1.5, "share", key_value=2.0).value == 1.5  # a key above 1: no rereading


def test_choices_through_aliases_and_spelling() -> None:
    opts = {"traffic": "visitors", "访客": "visitors", "conversion": "conversion_rate", "aov": "aov"}
    assert parse_answer(" Traffic ", "choice", opts).value == "visitors"
    assert parse_answer("conversion_rate", "choice", opts).value == "conversion_rate"
    assert parse_answer("conversion-rate", "choice", opts).value == "conversion_rate"
    bad = parse_answer("price", "choice", opts)
    assert bad.value is None and "visitors" in bad.problem


@pytest.mark.parametrize("text, value", [(True, True), ("是", True), ("yes", True), ("否", False), ("No", False),
                                         (False, False)])
def test_yes_and_no(text, value) -> None:
    assert parse_answer(text, "yesno").value is value


def test_months() -> None:
    assert parse_answer("2024-2", "month").value == "2024-02"
    assert parse_answer("2024/11", "month").value == "2024-11"
    assert parse_answer("2024-02-17", "month").value == "2024-02"
    assert parse_answer("February", "month").problem


def test_tolerances_by_hand() -> None:
    k = Key(200.0, "recomputed", rel_tol=0.005)  # 0.5% of 200 = 1.0
    assert matches(201.0, k, "number") and not matches(201.2, k, "number")
    k = Key(0.30, "truth", abs_tol=0.08)  # 0.22 .. 0.38
    assert matches(0.22, k, "share") and not matches(0.39, k, "share")
    k = Key(22, "recomputed", rel_tol=0.3, abs_tol=3.0)  # max(3, 6.6) = 6.6: 15.4 .. 28.6
    assert matches(28, k, "number") and not matches(29, k, "number")
    assert matches("flash_sale", Key(frozenset({"flash_sale"}), "truth"), "choice")


@given(st.floats(min_value=1e-3, max_value=1e9), st.floats(min_value=1e-3, max_value=1e3))
def test_relative_tolerance_is_scale_free(key: float, factor: float) -> None:
    """The same answer times 1,000 against the key times 1,000 gives the same verdict."""
    k1, k2 = Key(key, "recomputed", rel_tol=0.01), Key(key * 1000, "recomputed", rel_tol=0.01)
    answer = key * (1 + 0.01 * (factor - 1) / factor)
    assert matches(answer, k1, "number") == matches(answer * 1000, k2, "number")


def test_close_to() -> None:
    assert close_to(101, 100, 0.02) and not close_to(103, 100, 0.02) and not close_to("x", 1)
    assert not close_to(math.inf, 1.0)
