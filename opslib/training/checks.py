"""Self-checking exercises: ``start`` a chapter's session, ``check`` an answer, get a verdict and a hint.

In a notebook's exercise section::

    training.start("00", data_dir, period_end=period_end, period_days=period_days, compare=compare)
    answer = None        # the trainee's cell (tagged ``exercise``)
    training.check("00.1", answer)

``check`` grades against the key of :mod:`opslib.training.exercises` (planted truth or an independent
recomputation, never the notebook's output) and returns a :class:`CheckResult`. Shown in Jupyter it is one
line of text plus a JSON record under :data:`CHECK_MIME`, which the trainer's report reads back from the
executed notebook (``opslib.training.report``). A wrong answer gets a hint — the hint of a recognised
mistake, else the exercise's hints in turn — and never the answer. ``check`` never raises for a wrong,
missing or unreadable answer, so a report run on any shop still completes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from opslib.errors import UserError
from opslib.training.answers import Key, Ungradable, matches, parse_answer
from opslib.training.exercises import exercise
from opslib.training.session import Session

#: MIME type of the check records in an executed notebook.
CHECK_MIME = "application/vnd.opsplaybook.training-check+json"

#: Verdicts a check can give.
STATUSES = ("correct", "wrong", "unanswered", "unreadable", "ungradable")

_SESSIONS: dict[str, Session] = {}


class TrainingError(UserError, ValueError):
    """A wrong training request: an unknown exercise or chapter, a check without a session or data_dir.

    (Kept here until it moves to ``opslib.errors`` with the other user-facing errors.)
    """


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer: ``status`` (:data:`STATUSES`), the message the trainee reads, the record.

    ``source`` says what the key came from (``truth`` or ``recomputed``; empty when nothing was graded),
    ``attempt`` counts this exercise's answered checks in the session (an empty answer is not one),
    ``points`` is the exercise's points when correct, else 0.
    """

    exercise: str
    status: str
    message: str
    source: str = ""
    attempt: int = 0
    points: int = 0
    max_points: int = 1

    @property
    def correct(self) -> bool:
        """True when the answer matched the key."""
        return self.status == "correct"

    def record(self) -> dict[str, Any]:
        """The JSON record stored in the executed notebook (everything but the message's wording)."""
        return {k: v for k, v in asdict(self).items() if k != "message"}

    def __repr__(self) -> str:
        return self.message

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": self.message, CHECK_MIME: self.record()}


def start(chapter: str, data_dir: str | Path, **params: Any) -> Session:
    """Open the exercise session of ``chapter`` on the shop in ``data_dir``, with the notebook's parameters.

    The parameters are the settings the keys depend on (the period, the category, the lead time), never
    answers. The returned session shows one line saying what the checks grade against (the sample shop's
    planted truth, or an independent recomputation on a shop without ``truth.json``).

    Parameters:
        chapter: notebook number (``"00"``) or file stem. data_dir: the shop folder the notebook reads.
        params: notebook parameters, e.g. ``period_days=28``.

    Returns:
        The :class:`opslib.training.session.Session` (also remembered for :func:`check`).

    Example:
        >>> s = start("03", ".", lead_time_days=21)
        >>> s.param("lead_time_days"), s.param("service_level")
        (21, 0.95)
    """
    session = Session(chapter, Path(data_dir), dict(params))
    _SESSIONS[session.chapter] = session
    return session


def _session(exercise_id: str, data_dir: str | Path | None, params: dict[str, Any]) -> Session:
    chapter = exercise_id.split(".")[0]
    if data_dir is not None:
        current = _SESSIONS.get(chapter)
        if current is not None and current.data_dir == Path(data_dir) and not params:
            return current
        return start(chapter, data_dir, **params)
    if chapter not in _SESSIONS:
        raise TrainingError(f"no exercise session for chapter {chapter}: run training.start({chapter!r}, data_dir, ...) "
                            f"first (the first cell of the exercises), or pass data_dir to check()")
    return _SESSIONS[chapter]


def check(exercise_id: str, answer: Any, data_dir: str | Path | None = None, **params: Any) -> CheckResult:
    """Grade ``answer`` to exercise ``exercise_id`` and return the verdict with a hint when it is wrong.

    Steps: no answer (None or ``...``) -> ``unanswered`` with the expected format; an answer that cannot be
    read -> ``unreadable`` with the expected format; no key on this shop (a planted-truth question on a real
    shop, a missing table) -> ``ungradable`` with the reason; else the parsed answer is compared with the key
    (:func:`opslib.training.answers.matches`): ``correct``, or ``wrong`` with the hint of a recognised
    mistake or the exercise's next hint. The key itself is never shown.

    Parameters:
        exercise_id: ``"00.1"`` etc. answer: what the trainee wrote. data_dir: the shop (default: the
            chapter's session from :func:`start`). params: notebook parameters when no session was started.

    Returns:
        :class:`CheckResult` (displayed as one line in a notebook).

    Example (a tiny shop with orders on 2024-06-01 .. 2024-06-03: 3 days of history):
        >>> import tempfile
        >>> from opslib.training.facts import example_shop
        >>> _ = start("04", example_shop(tempfile.mkdtemp()))
        >>> check("04.1", 3).status, check("04.1", 2).status, check("04.1", None).status
        ('correct', 'wrong', 'unanswered')
        >>> print(check("04.1", 2).message)
        04.1 ✗ 再想想 not yet (attempt 3). Hint 提示: Count both the first and the last day (inclusive).
    """
    ex = exercise(exercise_id)
    session = _session(ex.id, data_dir, params)
    # An empty answer cell is not an attempt: re-running it must not move the trainee on to the next hint.
    attempt = session.attempts[ex.id] + (answer is not None and answer is not Ellipsis)
    session.attempts[ex.id] = attempt
    head = f"{ex.id}"

    def result(status: str, text: str, source: str = "") -> CheckResult:
        return CheckResult(ex.id, status, f"{head} {text}", source, attempt,
                           ex.points if status == "correct" else 0, ex.points)

    if answer is None or answer is Ellipsis:
        return result("unanswered", f"· 还没有答案 no answer yet: set `answer` to {ex.answer_format}.")
    try:
        key = ex.key(session)
    except UserError as exc:
        return result("ungradable", f"· 无法评分 cannot be graded on this shop: {exc}")
    except Exception as exc:  # noqa: BLE001 - grading must never stop a report; say what went wrong instead
        return result("ungradable", f"· 无法评分 the key could not be computed on this shop "
                                    f"({type(exc).__name__}: {exc}).")
    if isinstance(key, Ungradable):
        return result("ungradable", f"· 无法评分 cannot be graded on this shop: {key.reason}.")
    parsed = parse_answer(answer, ex.kind, ex.choices(session), key.value if ex.kind == "share" else None)
    if parsed.problem is not None:
        return result("unreadable", f"· 看不懂这个答案 cannot read {answer!r}: expected {parsed.problem}.")
    source = "planted truth (truth.json)" if key.source == "truth" else "independent recomputation from the shop's files"
    note = f" ({parsed.note})" if parsed.note else ""
    if matches(parsed.value, key, ex.kind):
        where = f"; {key.context}" if key.context else ""
        return result("correct", f"✓ 正确 correct{note} — graded against the {source}{where}.", key.source)
    hint = _hint(ex, parsed.value, key, session, attempt)
    return result("wrong", f"✗ 再想想 not yet{note} (attempt {attempt}). Hint 提示: {hint}", key.source)


def _hint(ex: Any, value: Any, key: Key, session: Session, attempt: int) -> str:
    """The hint for a wrong answer: a recognised mistake first, else the exercise's hints in turn."""
    if ex.diagnose is not None:
        try:
            specific = ex.diagnose(value, key, session)
        except (TypeError, ValueError, KeyError):
            specific = None
        if specific:
            return specific
    return ex.hints[min(attempt - 1, len(ex.hints) - 1)]


@dataclass(frozen=True)
class Subject:
    """What an exercise is about on this shop when the question leaves it to the data (``sku``), as one line."""

    exercise: str
    text: str
    sku: str | None = None

    def __repr__(self) -> str:
        return self.text


def subject(exercise_id: str, data_dir: str | Path | None = None) -> Subject:
    """What exercise ``exercise_id`` is about on this shop, when the question leaves it to the data (a SKU).

    Only 03.4 has one: the SKU to reorder (:func:`opslib.training.exercises.order_subject`). The subject is
    part of the question, never its answer.

    Parameters:
        exercise_id: the exercise. data_dir: the shop (default: the chapter's session).

    Returns:
        :class:`Subject`: one line naming it, and ``sku`` (None when the exercise has no subject here).

    Example (the tiny example shop has no inventory, so 03.4 has no SKU to reorder):
        >>> import tempfile
        >>> from opslib.training.facts import example_shop
        >>> _ = start("03", example_shop(tempfile.mkdtemp()))
        >>> subject("03.4").sku is None, subject("03.1").sku is None
        (True, True)
    """
    from opslib.training.exercises import order_subject

    ex = exercise(exercise_id)
    session = _session(ex.id, data_dir, {})
    if ex.id != "03.4":
        return Subject(ex.id, f"{ex.id}: the question says everything it is about")
    try:
        sub = order_subject(session)
    except UserError as exc:  # e.g. a shop too large to recompute line by line: say so, never stop a report
        return Subject(ex.id, f"{ex.id}: {exc}")
    if isinstance(sub, Ungradable):
        return Subject(ex.id, f"{ex.id}: {sub.reason}")
    return Subject(ex.id, f"{ex.id} is about {sub['sku']} {sub['name']}: {sub['on_hand']:g} units on hand on "
                          f"{sub['stock_date']:%Y-%m-%d}", sub["sku"])
