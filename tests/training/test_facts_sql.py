"""The exercises' facts that notebooks 05 and 07 grade against come from SQL over the shop's files: checking
``truth.json``, the first and last day, the list margin (07.1) and the guest share (05.4) never read the order
lines into pandas. Expected values by hand (a six-line shop) and from the sample shop's truth.json."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from opslib.training import exercises as ex
from opslib.training.facts import ShopFacts
from opslib.training.session import Session


@pytest.fixture
def no_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ShopFacts._read

    def read(self: ShopFacts, name: str) -> pd.DataFrame | None:
        if name == "orders":
            raise AssertionError("the order lines were read into pandas")
        return real(self, name)

    monkeypatch.setattr(ShopFacts, "_read", read)


def tiny_shop(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o4", "o5"],
        "order_ts": pd.to_datetime(["2024-06-01 10:00", "2024-06-01 10:00", "2024-06-20 11:00", "2024-06-30 09:00",
                                    "2024-06-30 12:00", "2024-03-01 12:00"]),
        "customer_id": ["c1", "c1", None, "c2", None, "c1"], "sku": ["s", "t", "s", "s", "t", "s"],
        "quantity": [2, 1, 1, 1, 5, 1], "unit_price": [40.0, 10.0, 45.0, 40.0, 10.0, 40.0],
        "list_price": [50.0, 10.0, 50.0, 50.0, 10.0, 50.0], "channel": "app", "region": "华东",
        "status": ["completed", "completed", "completed", "returned", "cancelled", "completed"], "campaign_id": None,
    }).to_parquet(folder / "orders.parquet", index=False)
    pd.DataFrame({"sku": ["s", "t"], "name": ["衫", "糖"], "category": ["服饰", "食品"], "subcategory": ["女装", "零食"],
                  "brand": "x", "unit_cost": [20.0, 4.0], "launch_date": pd.to_datetime(["2023-01-01"] * 2)}
                 ).to_parquet(folder / "products.parquet", index=False)
    return folder


def test_totals_days_margin_and_guests_by_hand_without_the_lines(tmp_path: Path, no_lines: None) -> None:
    s = Session("07", tiny_shop(tmp_path / "shop"))
    t = s.facts.order_totals
    # 6 lines; GMV over lines not cancelled: 80 + 10 + 45 + 40 + 40 = 215
    assert (t["lines"], t["gmv"]) == (6, 215.0)
    assert (s.facts.first_day, s.facts.last_day) == (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-06-30"))
    assert "no truth.json" in s.facts.truth_note
    # 服饰 completed in the last 91 days (1 April .. 30 June): 2 x (list 50, paid 40) and 1 x (50, 45), cost 20 each:
    # list value 150, paid 125, COGS 60 -> list margin 1 - 60/150 = 0.6, paid margin 1 - 60/125 = 0.52
    assert ex._recent_margins(s) == pytest.approx((0.6, 0.52))
    # orders o1 (c1), o2 (guest), o3 (c2), o4 (guest, cancelled), o5 (c1): 2 of 5 are guests
    assert ex._guest_share(s).value == pytest.approx(0.4)


def test_sample_shop_truth_is_recognised_without_the_lines(small_shop_dir: Path, small_truth: dict,
                                                           no_lines: None) -> None:
    for chapter in ("05", "07"):
        s = Session(chapter, small_shop_dir)
        assert s.facts.truth is not None, s.facts.truth_note
        assert "the sample shop" in repr(s)
    assert ex._guest_share(s).value == small_truth["customers"]["guest_share"]
    assert ex._list_margin(s).source == "truth"


def test_a_shop_above_the_grading_limit_is_not_graded_and_its_lines_stay_out_of_pandas(
        tmp_path: Path, no_lines: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tiny shop has 6 lines; with the limit at 5 a key recomputed line by line (00.1: GMV of the period)
    # must say why it is not graded instead of reading the lines (no_lines would fail the test).
    monkeypatch.setenv("OPSLIB_GRADE_MAX_LINES", "5")
    from opslib.training.checks import check

    r = check("00.1", 215.0, data_dir=tiny_shop(tmp_path / "shop"))
    assert r.status == "ungradable"
    assert "6 order lines" in r.message and "more than 5" in r.message and "OPSLIB_GRADE_MAX_LINES" in r.message


def test_the_grading_limit_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from opslib.training.facts import GRADE_MAX_LINES, grade_max_lines

    monkeypatch.delenv("OPSLIB_GRADE_MAX_LINES", raising=False)
    assert grade_max_lines() == GRADE_MAX_LINES == 2_000_000
    monkeypatch.setenv("OPSLIB_GRADE_MAX_LINES", "10_000_000")
    assert grade_max_lines() == 10_000_000


def test_the_subject_of_an_exercise_on_a_shop_above_the_limit_is_a_sentence_not_an_error(
        tmp_path: Path, no_lines: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # 03.4's subject (the SKU to reorder) is found line by line; report 03 at 10M lines stopped on it.
    monkeypatch.setenv("OPSLIB_GRADE_MAX_LINES", "5")
    from opslib.training.checks import start, subject

    shop = tiny_shop(tmp_path / "shop")
    pd.DataFrame({"sku": ["s"], "on_hand": [3], "date": pd.to_datetime(["2024-06-30"])}).to_parquet(
        shop / "inventory.parquet", index=False)
    start("03", shop)
    sub = subject("03.4")
    assert sub.sku is None and "OPSLIB_GRADE_MAX_LINES" in sub.text
