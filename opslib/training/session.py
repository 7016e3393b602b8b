"""An exercise session: one chapter's exercises on one shop, with the notebook's parameters.

``opslib.training.start("00", data_dir, period_days=28, ...)`` opens it in the exercise section of a notebook;
``opslib.training.check("00.1", answer)`` then grades against it. The session reads the shop once
(:class:`opslib.training.facts.ShopFacts`), keeps the notebook's parameters (the period, the category, the lead
time a key depends on — settings, never answers) and counts the attempts per exercise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opslib.training.facts import facts_for
from opslib.training.path import chapter as chapter_of


@dataclass
class Session:
    """One chapter's exercises on one shop (see the module docstring).

    ``params`` are the notebook parameters the keys depend on (``period_end``, ``period_days``, ``compare``,
    ``category``, ``lead_time_days``, ...); :meth:`param` gives each with the notebook's default.
    """

    chapter: str
    data_dir: Path
    params: dict[str, Any] = field(default_factory=dict)
    attempts: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.chapter = chapter_of(self.chapter).number
        self.data_dir = Path(self.data_dir)
        self.facts = facts_for(self.data_dir)

    #: Defaults of the parameters the keys read, per chapter (the notebooks' own defaults).
    DEFAULTS = {
        "00": {"period_end": None, "period_days": 28, "compare": "last_year"},
        "01": {"period_start": None, "period_end": None, "period_days": 91, "compare": "last_year", "category": None},
        "03": {"lead_time_days": 14, "service_level": 0.95},
        "04": {"outlier_k": 3.0},
        "06": {"period_end": None, "period_days": 28, "compare": "previous"},
    }

    def param(self, name: str) -> Any:
        """The notebook parameter ``name`` (the chapter's default when the notebook did not pass it).

        Parameters:
            name: a parameter of the chapter's notebook.

        Returns:
            Its value.

        Example:
            >>> Session("00", Path(".")).param("period_days")
            28
        """
        if name in self.params:
            return self.params[name]
        return self.DEFAULTS.get(self.chapter, {}).get(name)

    def periods(self) -> Any:
        """The review period and baseline of the notebook's parameters (``opslib.calendar.review_periods``).

        The period is a setting of the report, not an answer: the keys are computed over the same days the
        notebook reviews, from the shop's first and last order day.

        Parameters:
            (none)

        Returns:
            :class:`opslib.calendar.ReviewPeriods`.

        Example (orders 2024-06-01 .. 2024-06-03, a 2-day period against the 2 days before):
            >>> import tempfile
            >>> from opslib.training.facts import example_shop
            >>> p = Session("00", example_shop(tempfile.mkdtemp()), {"period_days": 2, "compare": "previous"}).periods()
            >>> str(p.current), str(p.baseline)
            ('2024-06-02 .. 2024-06-03', '2024-05-31 .. 2024-06-01')
        """
        from opslib.calendar import review_periods

        f = self.facts
        return review_periods(f.first_day, f.last_day, self.param("period_end"), self.param("period_days") or 28,
                              self.param("period_start"), compare=self.param("compare") or "last_year")

    def __repr__(self) -> str:
        c = chapter_of(self.chapter)
        return (f"练习 Exercises {c.number} · {c.zh} {c.en} on {self.data_dir}: {self.facts.truth_note}. "
                "Write each answer in its cell and run the check below it; a wrong answer gets a hint, never the "
                "answer.")
