"""Reading a trainee's answer and comparing it with the key, the way an operator would write it.

Answers are written by people: ``0.034``, ``"3.4%"``, ``"1,234"``, ``"家电"``, ``"traffic"``, ``"是"``,
``"2024-02"``. Each answer *kind* has one parser that turns such input into a canonical value (or says what
it expected) and one rule that decides whether it matches the :class:`Key`:

* ``number`` / ``count``: correct when ``|answer - key| <= max(abs_tol, rel_tol * |key|)``;
* ``share``: a fraction; ``"12%"`` is 0.12, and a bare number above 1 (``12``) is read as a percentage
  when the key is a fraction (with a note);
* ``choice``: one of a fixed set of options, through aliases (``"访客"``, ``"traffic"`` -> ``visitors``);
* ``yesno``: ``True``/``False``, ``yes``/``no``, ``是``/``否``;
* ``month``: ``"YYYY-MM"`` (or a date inside the month).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: The answer kinds :func:`parse_answer` understands.
KINDS = ("number", "count", "share", "choice", "yesno", "month")

_YES = {"yes", "y", "true", "是", "对", "盈利", "paid", "pays", "1"}
_NO = {"no", "n", "false", "否", "不", "没有", "亏", "亏损", "did not pay", "0"}


@dataclass(frozen=True)
class Key:
    """The answer key of one exercise: the value (never shown to the trainee) and where it comes from.

    ``source`` is ``"truth"`` (the sample shop's planted truth, ``truth.json``) or ``"recomputed"`` (computed
    again from the shop's files by ``opslib.training.facts``, independently of the notebook); ``abs_tol`` and
    ``rel_tol`` bound a numeric answer; ``parts`` holds the intermediate quantities the mistake diagnostics
    compare an answer with (e.g. the net sales when the question asks for GMV); ``context`` says what the
    key was computed on (a period, a campaign, a SKU), shown with the verdict.
    """

    value: Any
    source: str
    abs_tol: float = 0.0
    rel_tol: float = 0.0
    parts: Mapping[str, Any] = field(default_factory=dict)
    context: str = ""


@dataclass(frozen=True)
class Ungradable:
    """An exercise that cannot be graded on this shop, and why (e.g. no truth.json, no traffic table)."""

    reason: str


@dataclass(frozen=True)
class Parsed:
    """A parsed answer: ``value`` (canonical) or ``problem`` (what was expected), plus an optional ``note``."""

    value: Any = None
    problem: str | None = None
    note: str | None = None


def _clean(text: str) -> str:
    return re.sub(r"[\s_\-·/]+", "", str(text).strip().lower())


def parse_number(answer: Any) -> float | None:
    """A number from a number or from text such as ``"1,234.5"``, ``"¥ 98 000"``, ``"-0.2"``; None if none.

    ``万`` and ``亿`` (and ``k``/``M``) multiply (``"12.5万"`` -> 125000.0). A trailing ``%`` is handled by
    :func:`parse_answer`; here it is stripped (``"12%"`` -> 12.0).

    Parameters:
        answer: the trainee's answer.

    Returns:
        The number, or None when the answer is not a number.

    Example:
        >>> parse_number("¥1,234.5"), parse_number("12.5万"), parse_number("abc"), parse_number(True)
        (1234.5, 125000.0, None, None)
    """
    if isinstance(answer, bool) or answer is None:
        return None
    if isinstance(answer, int | float) or hasattr(answer, "__float__") and not isinstance(answer, str):
        try:
            x = float(answer)
        except (TypeError, ValueError):
            return None
        return None if math.isnan(x) else x
    text = re.sub(r"[\s,¥￥$€£元件个]", "", str(answer)).rstrip("%")
    factor = 1.0
    for unit, f in (("万", 1e4), ("亿", 1e8), ("k", 1e3), ("K", 1e3), ("m", 1e6), ("M", 1e6)):
        if text.endswith(unit):
            text, factor = text[: -len(unit)], f
            break
    try:
        return float(text) * factor
    except ValueError:
        return None


def parse_answer(answer: Any, kind: str, options: Mapping[str, str] | None = None,
                 key_value: Any = None) -> Parsed:
    """Turn a trainee's answer into the canonical value of ``kind`` (see the module docstring).

    Parameters:
        answer: what the trainee wrote. kind: one of :data:`KINDS`. options: for ``choice``, alias -> option
            (each option is also its own alias). key_value: the key, used only to read ``12`` as 12% when the
            key of a ``share`` is a fraction.

    Returns:
        :class:`Parsed` with the value, or with ``problem`` saying what was expected.

    Example:
        >>> parse_answer("3.4%", "share").value, parse_answer(12, "share", key_value=0.1).note is not None
        (0.034, True)
        >>> parse_answer("访客", "choice", {"访客": "visitors", "traffic": "visitors"}).value
        'visitors'
        >>> parse_answer("是", "yesno").value, parse_answer("2024-2", "month").value
        (True, '2024-02')
    """
    if kind in ("number", "count", "share"):
        x = parse_number(answer)
        if x is None:
            return Parsed(problem="a number (e.g. 1234.5" + (" or 12%" if kind == "share" else "") + ")")
        if kind == "share":
            if isinstance(answer, str) and answer.strip().endswith("%"):
                return Parsed(round(x / 100.0, 12))
            if 1 < abs(x) <= 100 and key_value is not None and abs(float(key_value)) <= 1:
                return Parsed(x / 100.0, note=f"read {x:g} as {x:g}% (write shares as fractions: 0.12 = 12%)")
        if kind == "count" and abs(x - round(x)) > 1e-9:
            return Parsed(x, note="a count is a whole number")
        return Parsed(x)
    if kind == "choice":
        opts = {_clean(o): o for o in (options or {}).values()}
        opts.update({_clean(a): o for a, o in (options or {}).items()})
        got = opts.get(_clean(answer)) if answer is not None else None
        if got is None:
            shown = ", ".join(sorted({str(o) for o in (options or {}).values()}))
            return Parsed(problem=f"one of: {shown}")
        return Parsed(got)
    if kind == "yesno":
        if isinstance(answer, bool):
            return Parsed(answer)
        text = str(answer).strip().lower()
        if text in _YES:
            return Parsed(True)
        if text in _NO:
            return Parsed(False)
        return Parsed(problem="yes or no (True / False, 是 / 否)")
    if kind == "month":
        text = str(answer).strip()
        m = re.fullmatch(r"(\d{4})\D?(\d{1,2})", text)
        if m and 1 <= int(m.group(2)) <= 12:
            return Parsed(f"{int(m.group(1)):04d}-{int(m.group(2)):02d}")
        try:
            ts = pd.Timestamp(answer) if re.search(r"\d{4}", text) else None
        except (ValueError, TypeError):
            ts = None
        if ts is None or pd.isna(ts):
            return Parsed(problem="a month as 'YYYY-MM', e.g. '2024-02'")
        return Parsed(f"{ts.year:04d}-{ts.month:02d}")
    raise ValueError(f"unknown answer kind {kind!r}; kinds are {', '.join(KINDS)}")


def matches(value: Any, key: Key, kind: str) -> bool:
    """Whether a parsed answer matches the key: numbers within the tolerance, everything else equal.

    Formula (numbers): ``|value - key| <= max(abs_tol, rel_tol * |key|)``.

    Parameters:
        value: the parsed answer (:func:`parse_answer`). key: the :class:`Key`. kind: the answer kind.

    Returns:
        True when the answer is right.

    Example:
        >>> matches(101.0, Key(100.0, "recomputed", rel_tol=0.02), "number")
        True
        >>> matches("家电", Key("家电", "truth"), "choice"), matches(0.5, Key(0.3, "truth", abs_tol=0.1), "share")
        (True, False)
    """
    if kind in ("number", "count", "share"):
        k = float(key.value)
        return abs(float(value) - k) <= max(key.abs_tol, key.rel_tol * abs(k)) * (1 + 1e-9) + 1e-12  # rounding at any scale
    if isinstance(key.value, set | frozenset | tuple | list):
        return value in key.value
    return value == key.value


def close_to(value: Any, target: Any, rel: float = 0.02, abs_: float = 0.0) -> bool:
    """Whether a number is close to another (used to recognise a typical mistake).

    Formula: ``|value - target| <= max(abs_, rel * |target|)``; False when either is not a finite number.

    Parameters:
        value, target: numbers. rel, abs_: relative and absolute tolerance.

    Returns:
        True when close.

    Example:
        >>> close_to(98.5, 100.0), close_to(90.0, 100.0), close_to(None, 1.0)
        (True, False, False)
    """
    try:
        v, t = float(value), float(target)
    except (TypeError, ValueError):
        return False
    if not (math.isfinite(v) and math.isfinite(t)):
        return False
    return abs(v - t) <= max(abs_, rel * abs(t))
