"""Incident drills: the trainee's finding scored against what the drill planted (``opslib.sample.scenarios``).

A trainer builds a drill shop (``python -m opslib.sample --scenario NAME --out drills/alice``: the shop, with the
incident ticket ``drill.json``, and ``drills/alice.drill_answer.json`` beside it, which the trainee never sees).
The trainee diagnoses it with the notebooks and writes a :class:`Finding`; :func:`grade` scores it:

=========== ====== ==========================================================================================
criterion   points rule
=========== ====== ==========================================================================================
kind        40     the kind of incident (``supplier_delay``, ``competitor_price_cut``, ...; 中文 names accepted)
where       30     the category, brand, carrier, subcategory or campaign it hit (the answer says which)
start       15     the day it started, within the drill's tolerance (5-10 days); only with the right kind
size        15     how big it is (the drill's ``size_means``), within its tolerance; only with the right kind
=========== ====== ==========================================================================================

Feedback names what is off and where to look, never the planted value, unless ``reveal=True`` (the
trainer's debrief).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from opslib.training.answers import parse_answer
from opslib.training.exercises import CATEGORY_ALIASES

#: Points per criterion.
POINTS: dict[str, int] = {"kind": 40, "where": 30, "start": 15, "size": 15}

#: 中文 and short names accepted for each incident kind.
KIND_ALIASES: dict[str, str] = {
    "supplier_delay": "supplier_delay", "supplier": "supplier_delay", "供应商断货": "supplier_delay",
    "断货": "supplier_delay", "缺货": "supplier_delay", "stockout": "supplier_delay",
    "competitor_price_cut": "competitor_price_cut", "competitor": "competitor_price_cut",
    "竞品降价": "competitor_price_cut", "价格战": "competitor_price_cut", "price_cut": "competitor_price_cut",
    "traffic_loss": "traffic_loss", "traffic": "traffic_loss", "流量下滑": "traffic_loss", "流量": "traffic_loss",
    "loss_making_618": "loss_making_618", "loss_making_campaign": "loss_making_618", "亏损大促": "loss_making_618",
    "亏损": "loss_making_618", "carrier_outage": "carrier_outage", "carrier": "carrier_outage",
    "物流": "carrier_outage", "快递延误": "carrier_outage", "review_crisis": "review_crisis", "quality": "review_crisis",
    "质量问题": "review_crisis", "差评": "review_crisis", "质量": "review_crisis",
}

#: Where to look when the kind is wrong, by the planted kind (names the evidence, not the answer).
_KIND_HINTS: dict[str, str] = {
    "supplier_delay": "before blaming demand, check whether those SKUs could be bought at all: stock and inbound "
                      "(notebook 01, section 5).",
    "competitor_price_cut": "split the category's GMV change into visitors × conversion × AOV: which one moved?",
    "traffic_loss": "split the category's GMV change into visitors × conversion × AOV: which one moved?",
    "loss_making_618": "evaluate the campaign (notebook 02): look at the incremental margin before marketing, and at "
                       "the discount depth.",
    "carrier_outage": "compare lateness (delivered after promised) by carrier and by week with the review scores.",
    "review_crisis": "compare returns and review topics by subcategory with lateness: is it delivery or the product?",
}


@dataclass(frozen=True)
class Finding:
    """What the trainee concluded: the ``kind`` of incident, ``where`` it hit, the ``start`` day, its ``size``.

    ``size`` is what the drill's ticket says to measure (``size_means`` in the answer; e.g. the relative change
    of a category's conversion rate, a number of SKUs, a net profit); ``note`` is free text for the trainer.
    """

    kind: str
    where: str
    start: str | None = None
    size: float | None = None
    note: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Finding:
        """A finding from a dict (e.g. a ``finding.json``) with ``kind``, ``where``, ``start``, ``size``.

        Parameters:
            data: the fields (``start`` and ``size`` optional).

        Returns:
            The :class:`Finding`.

        Example:
            >>> Finding.from_mapping({"kind": "carrier_outage", "where": "中通"}).where
            '中通'
        """
        return cls(str(data.get("kind", "")), str(data.get("where", "")), data.get("start"), data.get("size"),
                   str(data.get("note", "")))


@dataclass(frozen=True)
class DrillGrade:
    """The score of a finding: one row per criterion (``rows``), the total and the feedback.

    ``summary()`` is the table (``criterion``, ``points``, ``max_points``, ``ok``, ``feedback``, and ``expected``
    when revealed); the text shown in a notebook is the score and the feedback lines.
    """

    rows: tuple[dict[str, Any], ...]
    revealed: bool = False

    @property
    def score(self) -> int:
        """Points earned (0-100)."""
        return int(sum(r["points"] for r in self.rows))

    @property
    def max_score(self) -> int:
        """Points available."""
        return int(sum(r["max_points"] for r in self.rows))

    def summary(self) -> pd.DataFrame:
        """One row per criterion: ``criterion``, ``points``, ``max_points``, ``ok``, ``feedback`` (+ ``expected``)."""
        return pd.DataFrame(list(self.rows))

    def __repr__(self) -> str:
        lines = [f"演练得分 Drill score: {self.score} / {self.max_score}"]
        for r in self.rows:
            mark = "✓" if r["ok"] else "✗"
            exp = f" (planted: {r['expected']})" if self.revealed else ""
            lines.append(f"  {mark} {r['criterion']}: {r['points']}/{r['max_points']} — {r['feedback']}{exp}")
        return "\n".join(lines)


def _clean(text: Any) -> str:
    return re.sub(r"[\s_\-·/]+", "", str(text).strip().lower())


def _norm(text: Any) -> str:
    return CATEGORY_ALIASES.get(str(text).strip().lower(), _clean(text))


_KINDS = {_clean(k): v for k, v in KIND_ALIASES.items()}


def read_answer(answer: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A drill answer: the dict itself, or the ``*.drill_answer.json`` file.

    Parameters:
        answer: a path or the parsed answer.

    Returns:
        The answer dict (``kind``, ``where``, ``start``, ``size``, tolerances, ...).

    Example:
        >>> read_answer({"kind": "traffic_loss", "where": "食品"})["kind"]
        'traffic_loss'
    """
    if isinstance(answer, Mapping):
        return dict(answer)
    path = Path(answer)
    if not path.is_file():
        from opslib.training.checks import TrainingError

        raise TrainingError(f"no drill answer file {path}: it is written next to the drill shop when the trainer "
                            "builds it (python -m opslib.sample --scenario NAME --out DIR writes DIR.drill_answer.json)")
    return json.loads(path.read_text(encoding="utf-8"))


def _size_ok(value: float, ans: Mapping[str, Any]) -> bool:
    target, tol = float(ans["size"]), float(ans.get("size_tolerance", 0))
    sign = ans.get("size_sign")
    if sign is not None and (value > 0) != (sign > 0):
        return False
    if ans.get("size_relative"):
        return abs(value - target) <= tol * abs(target)
    return abs(value - target) <= tol


def grade(finding: Finding | Mapping[str, Any], answer: str | Path | Mapping[str, Any],
          reveal: bool = False) -> DrillGrade:
    """Score a trainee's finding against what the drill planted (points and rules in the module docstring).

    Parameters:
        finding: a :class:`Finding` or a dict with its fields. answer: the drill's answer file (or its dict).
        reveal: show the planted values next to each criterion (for the trainer's debrief).

    Returns:
        :class:`DrillGrade` (its text is the score and the feedback).

    Example:
        >>> ans = {"kind": "carrier_outage", "where": "中通", "where_means": "carrier", "start": "2025-12-01",
        ...        "start_tolerance_days": 5, "size": 4.0, "size_tolerance": 1.5, "size_means": "extra days"}
        >>> grade({"kind": "物流", "where": "中通", "start": "2025-12-03", "size": 3.5}, ans).score
        100
        >>> grade(Finding("Carrier Outage", "中通", "2025-12-20", 3.5), ans).score  # start 19 days off
        85
        >>> grade({"kind": "review_crisis", "where": "中通"}, ans).score
        30
    """
    f = finding if isinstance(finding, Finding) else Finding.from_mapping(finding)
    ans = read_answer(answer)
    kind = _KINDS.get(_clean(f.kind), _clean(f.kind))
    rows = []
    kind_ok = kind == ans["kind"]
    rows.append({"criterion": "kind", "points": POINTS["kind"] if kind_ok else 0, "max_points": POINTS["kind"],
                 "ok": kind_ok, "expected": ans["kind"],
                 "feedback": "right kind of incident" if kind_ok else
                 f"not that kind of incident: {_KIND_HINTS.get(ans['kind'], 'look at the evidence again')}"})
    where_ok = _norm(f.where) == _norm(ans.get("where", ""))
    means = ans.get("where_means", "place")
    rows.append({"criterion": "where", "points": POINTS["where"] if where_ok else 0, "max_points": POINTS["where"],
                 "ok": where_ok, "expected": ans.get("where"),
                 "feedback": f"right {means}" if where_ok else f"not that {means}: compare every {means} of the shop"})
    start_ok, start_msg = False, "only scored once the kind is right"
    if kind_ok:
        tol = int(ans.get("start_tolerance_days", 7))
        try:
            off = abs((pd.Timestamp(f.start) - pd.Timestamp(ans["start"])).days) if f.start is not None else None
        except (ValueError, TypeError):
            off = None
        start_ok = off is not None and off <= tol
        start_msg = (f"within {tol} days" if start_ok else "no start day given (YYYY-MM-DD)" if off is None
                     else f"off by more than {tol} days: look at the daily or weekly series around it")
    rows.append({"criterion": "start", "points": POINTS["start"] if start_ok else 0, "max_points": POINTS["start"],
                 "ok": start_ok, "feedback": start_msg, "expected": ans.get("start")})
    size_ok, size_msg = False, "only scored once the kind is right"
    if kind_ok:
        value = parse_answer(f.size, "share").value if f.size is not None else None  # "-28%" is -0.28
        size_ok = value is not None and math.isfinite(value) and _size_ok(value, ans)
        size_msg = ("within the tolerance" if size_ok else "no size given" if value is None
                    else f"not the right size; it should measure: {ans.get('size_means', 'the effect')}")
    rows.append({"criterion": "size", "points": POINTS["size"] if size_ok else 0, "max_points": POINTS["size"],
                 "ok": size_ok, "feedback": size_msg, "expected": ans.get("size")})
    if not reveal:
        for r in rows:
            r.pop("expected")
    return DrillGrade(tuple(rows), reveal)


def ticket(data_dir: str | Path) -> str:
    """The incident ticket of a drill shop (``drill.json``), as the trainee reads it; a note when it is none.

    Parameters:
        data_dir: the shop folder.

    Returns:
        The brief and the incident kinds to choose from.

    Example:
        >>> ticket("/nonexistent").startswith("no drill.json")
        True
    """
    path = Path(data_dir) / "drill.json"
    if not path.is_file():
        return f"no drill.json in {data_dir}: this is not a drill shop"
    t = json.loads(path.read_text(encoding="utf-8"))
    return (f"演练 Drill ({t.get('start')} .. {t.get('end')}): {t.get('brief')}\n"
            f"Finding: kind (one of {', '.join(t.get('kinds', []))}), where, start (YYYY-MM-DD), size.")
