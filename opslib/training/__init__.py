"""Training new operators (新运营培训): the learning path, the glossary, self-checking exercises and drills.

* ``path``: the chapters in learning order (04 first, then 00-03 basic, 05-06 intermediate, 07 advanced).
* ``glossary``: every metric and term, collected from the ``TERMS`` next to the code (``docs/glossary.md``).
* ``exercises`` / ``checks``: the questions at the end of each notebook; ``check("01.2", answer)`` grades an
  answer against the planted truth or an independent recomputation (``facts``) and hints when it is wrong.
* ``notebooks``: student copies without solutions (``make student``), moving an exercise section across a merge.
* ``drills``: ``grade(finding, answer_file)`` scores a diagnosis of an incident drill (``opslib.sample.scenarios``).
* ``report``: the trainer's score sheet from a trainee's answered notebooks, run by papermill.
* ``cli``: ``python -m opslib glossary`` and ``python -m opslib training ...``.
"""

from __future__ import annotations

from opslib.training.answers import Key, Ungradable, parse_answer
from opslib.training.checks import CHECK_MIME, CheckResult, Subject, TrainingError, check, start, subject
from opslib.training.drills import DrillGrade, Finding, grade, ticket
from opslib.training.exercises import EXERCISES, Exercise, chapter_exercises, exercise
from opslib.training.glossary import collect_terms, glossary_markdown, glossary_table, write_glossary
from opslib.training.notebooks import student_copy, transplant, write_student_copies
from opslib.training.path import CHAPTERS, LEVELS, Chapter, chapter, learning_path
from opslib.training.report import check_records, grade_folder, grade_notebook, score_sheet
from opslib.training.session import Session

__all__ = [
    "Chapter",
    "CHAPTERS",
    "chapter",
    "chapter_exercises",
    "check",
    "check_records",
    "CHECK_MIME",
    "CheckResult",
    "collect_terms",
    "DrillGrade",
    "exercise",
    "Exercise",
    "EXERCISES",
    "Finding",
    "glossary_markdown",
    "glossary_table",
    "grade",
    "grade_folder",
    "grade_notebook",
    "Key",
    "learning_path",
    "LEVELS",
    "parse_answer",
    "score_sheet",
    "Session",
    "start",
    "student_copy",
    "subject",
    "Subject",
    "ticket",
    "TrainingError",
    "transplant",
    "Ungradable",
    "write_glossary",
    "write_student_copies",
]
