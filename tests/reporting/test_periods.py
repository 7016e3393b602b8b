"""Report folders are named by the data period, and schedules review whole periods of the data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from opslib.reporting.params import Param
from opslib.reporting.plan import data_end, expand_source, fit_period, last_complete, period_label
from tests.reporting.conftest import run_cli, write_notebook

D = dt.date


def test_last_complete_week_and_month() -> None:
    # Sat 30 Mar 2024: the last whole ISO week is Mon 18 .. Sun 24 Mar; a Sunday closes its own week.
    assert last_complete("week", D(2024, 3, 30)) == (D(2024, 3, 18), D(2024, 3, 24))
    assert last_complete("week", D(2024, 3, 31)) == (D(2024, 3, 25), D(2024, 3, 31))
    assert last_complete("month", D(2024, 3, 30)) == (D(2024, 2, 1), D(2024, 2, 29))  # leap February
    assert last_complete("month", D(2024, 3, 31)) == (D(2024, 3, 1), D(2024, 3, 31))
    assert last_complete("day", D(2024, 3, 30)) == (D(2024, 3, 30), D(2024, 3, 30))


def test_last_complete_quarter_and_its_label() -> None:
    # 31 Dec closes Q4 (1 Oct .. 31 Dec = 31 + 30 + 31 = 92 days); 30 Dec does not, so Q3 (1 Jul .. 30 Sep).
    assert last_complete("quarter", D(2025, 12, 31)) == (D(2025, 10, 1), D(2025, 12, 31))
    assert last_complete("quarter", D(2025, 12, 30)) == (D(2025, 7, 1), D(2025, 9, 30))
    assert last_complete("quarter", D(2024, 2, 10)) == (D(2023, 10, 1), D(2023, 12, 31))  # across the year
    assert last_complete("quarter", D(2024, 3, 31)) == (D(2024, 1, 1), D(2024, 3, 31))
    assert period_label("quarter", {"period_end": "2025-09-30"}) == "2025-Q3"
    assert period_label("quarter", {}, data_end=D(2026, 1, 5)) == "2026-Q1"


def test_a_quarterly_review_covers_the_whole_quarter() -> None:
    # A notebook with period_end and period_days (no period_start), like 07: the days are the quarter's length.
    declared = {"period_end": Param("period_end", None, "None", "date", True),
                "period_days": Param("period_days", 91, "91", "int", False)}
    assert fit_period("quarter", declared, {}, D(2025, 12, 31)) == {"period_end": "2025-12-31", "period_days": "92"}
    assert fit_period("quarter", declared, {}, D(2025, 12, 30)) == {"period_end": "2025-09-30", "period_days": "92"}
    assert fit_period("quarter", declared, {}, D(2024, 3, 31)) == {"period_end": "2024-03-31", "period_days": "91"}
    assert fit_period("quarter", declared, {"period_days": "30"}, D(2025, 12, 31))["period_days"] == "30"  # given


def test_fit_period_only_fills_what_was_not_given() -> None:
    declared = {"period_end": Param("period_end", None, "None", "date", True),
                "period_start": Param("period_start", None, "None", "date", True)}
    assert fit_period("week", declared, {}, D(2024, 3, 30)) == {"period_end": "2024-03-24", "period_start": "2024-03-18"}
    assert fit_period("week", declared, {"period_end": "2024-03-27"}, D(2024, 3, 30)) == {"period_end": "2024-03-27"}
    assert fit_period("day", declared, {}, D(2024, 3, 30)) == {}
    assert fit_period("month", {}, {}, D(2024, 3, 30)) == {}  # a notebook without a period is not touched
    assert fit_period("week", declared, {}, None) == {}


def test_labels_come_from_the_data_not_the_run_day(tiny_shop: Path) -> None:
    assert data_end(tiny_shop) == D(2024, 3, 30)  # the last order of the tiny shop
    assert period_label(None, {}, today=D(2026, 12, 1), data_end=D(2024, 3, 30)) == "2024-03-30"
    assert period_label("week", {}, data_end=D(2024, 3, 24)) == "2024-W12"
    assert data_end(tiny_shop.parent / "nowhere") is None


def test_settled_campaigns_wait_for_the_after_period(tiny_shop: Path) -> None:
    # CMP1 ends on the last day (30 Mar), CMP_OLD on 3 Jan. With 14 after-days CMP_OLD settled on 17 Jan.
    assert expand_source("ended_campaigns 14", tiny_shop) == ["CMP1"]
    assert expand_source("settled_campaigns 7", tiny_shop) == []
    assert expand_source("settled_campaigns 90", tiny_shop) == ["CMP_OLD"]  # 17 Jan is within 90 days of 30 Mar
    assert expand_source("settled_campaigns 7", tiny_shop, post_days=0) == ["CMP1"]


def test_a_weekly_schedule_reviews_the_last_whole_week(tiny_shop: Path, tmp_path: Path, capsys) -> None:
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    write_notebook(nb_dir / "00_w.ipynb", "print(period_start, period_end)",
                   "data_dir = None  # [folder or None]\nperiod_start = None  # [date or None]\n"
                   "period_end = None  # [date or None]\n")
    cfg = tmp_path / "reports.yml"
    cfg.write_text(f"defaults:\n  data_dir: {tiny_shop}\nschedules:\n  weekly:\n    notebook: 00_w\n"
                   "    period: week\n  daily:\n    notebook: 00_w\n    period: day\n", encoding="utf-8")
    assert run_cli(nb_dir, tmp_path / "r", "--config", str(cfg), "--dry-run") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("2024-W12/00_w ") and '"period_end": "2024-03-24"' in lines[0]
    assert '"period_start": "2024-03-18"' in lines[0]
    assert lines[1].startswith("2024-03-30/00_w ") and "period_end" not in lines[1]
