"""The executive summary a manager reads first: period and scope, KPI tiles, one verdict per section, top actions.

A report shows the summary at its very top but can only fill it once the analysis below has run. So the first
cell after the setup *shows* an empty summary (``summary.show()``), every section adds to it as it goes
(``summary.tile(...)``, ``summary.verdict(...)``, ``summary.action(...)``), and each addition updates the displayed
summary in place (a Jupyter display id): in JupyterLab the box fills while the notebook runs, and the executed
report (papermill keeps updated outputs) holds the complete summary at the top.

The summary is displayed three ways at once: HTML (tiles readable on a phone, no images), plain text (what tests
and terminals read) and a JSON payload (``SUMMARY_MIME``) that the report runner stores in the run history and the
index dashboard draws its tiles and sparklines from.

What changed since the previous report of the same schedule is added by the runner, not the notebook: it reads this
run's payload and the previous run's, compares their actions by ``key`` (:func:`compare_summaries`: new and resolved
actions, and for an action that stays, the items — e.g. SKUs — that joined or left its list) and shows the result in
the same box (:meth:`ExecutiveSummary.from_payload`, ``changes``).

Example:
    >>> s = ExecutiveSummary("店铺概览 Shop at a glance", period="2024-06-01 .. 2024-06-28", scope="the whole shop")
    >>> s.tile("GMV", "¥12.3万", "+8.0%", good=True).verdict("GMV grew 8%: more visitors, same conversion.")
    ExecutiveSummary('店铺概览 Shop at a glance', 1 tiles, 1 verdicts, 0 actions)
    >>> print(s.text())
    店铺概览 Shop at a glance — 2024-06-01 .. 2024-06-28 — the whole shop
    GMV: ¥12.3万 (+8.0%)
    · GMV grew 8%: more visitors, same conversion.
"""

from __future__ import annotations

import html
import itertools
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: MIME type of the summary's JSON payload in a notebook output (read by the report runner and the index).
SUMMARY_MIME = "application/vnd.opsplaybook.summary+json"
_COUNTER = itertools.count(1)

_CSS = """<style>
.ops-summary{font-family:system-ui,-apple-system,"Noto Sans CJK SC","PingFang SC",sans-serif;border:1px solid #d9dce1;
 border-radius:8px;padding:12px 14px;margin:4px 0 12px;background:#fafbfc;max-width:1100px}
.ops-summary h2{font-size:1.15em;margin:0 0 2px}.ops-summary .ops-sub{color:#555;margin:0 0 10px;font-size:.92em}
.ops-summary .ops-notes{color:#555;margin:6px 0 0;font-size:.85em}
.ops-tiles{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:10px}
.ops-tile{flex:1 1 150px;min-width:140px;background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:8px 10px;
 overflow-wrap:anywhere}
.ops-tile .ops-label{color:#555;font-size:.85em}.ops-tile .ops-value{font-size:1.45em;white-space:nowrap}
.ops-tile .ops-change{font-size:.85em}.ops-good{color:#027a5b}.ops-bad{color:#b8410a}
.ops-neutral{color:#666}.ops-summary ul{margin:4px 0 6px 18px;padding:0}.ops-summary li{margin:2px 0}
.ops-owner{display:inline-block;background:#eef1f5;border-radius:4px;padding:0 6px;margin-right:6px;font-size:.85em}
.ops-changes{border-top:1px dashed #d9dce1;margin-top:8px;padding-top:6px;font-size:.92em}
.ops-new{color:#b8410a;font-weight:600}.ops-resolved{color:#027a5b;font-weight:600}
.ops-summary a{color:#0b5cad}
</style>"""


@dataclass
class Tile:
    """One KPI tile: label, value (already formatted), change vs baseline (formatted), good/bad/None."""

    label: str
    value: str
    change: str | None = None
    good: bool | None = None
    metric: str | None = None
    raw: float | None = None


@dataclass
class Action:
    """One action for a team: who owns it, what to do, a ``key`` that names it across runs, and optionally the
    ``items`` it covers (e.g. the SKUs of a replenish list), so the next run can say which items joined or left."""

    owner: str
    text: str
    key: str | None = None
    items: list[str] | None = None


@dataclass
class ExecutiveSummary:
    """The summary at the top of a report (see the module docstring for how it fills in place).

    Parameters:
        title: the report's name. period: the period line. scope: what is reviewed (shop, category, campaign).
    """

    title: str
    period: str = ""
    scope: str = ""
    tiles: list[Tile] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changes: dict[str, Any] | None = None
    display_id: str = field(default_factory=lambda: f"ops-summary-{next(_COUNTER)}")
    _shown: bool = field(default=False, repr=False)

    def __repr__(self) -> str:
        return (f"ExecutiveSummary({self.title!r}, {len(self.tiles)} tiles, {len(self.verdicts)} verdicts, "
                f"{len(self.actions)} actions)")

    # -- filling ------------------------------------------------------------------------------------
    def tile(self, label: str, value: str, change: str | None = None, good: bool | None = None,
             metric: str | None = None, raw: float | None = None) -> ExecutiveSummary:
        """Add a KPI tile (value and change already formatted, e.g. with ``opslib.plotting.money``)."""
        self.tiles.append(Tile(label, value, change, good, metric, None if raw is None else float(raw)))
        return self._refresh()

    def verdict(self, text: str) -> ExecutiveSummary:
        """Add one plain-words sentence for a section, e.g. ``"双12 did not pay: −¥6.9万 net."``."""
        self.verdicts.append(str(text))
        return self._refresh()

    def action(self, owner: str, text: str, key: str | None = None, items: Any = None) -> ExecutiveSummary:
        """Add a top action with its owner (a team); ``key`` identifies it across runs (new vs resolved), ``items``
        (e.g. the SKUs of the list) let the next run name the items that joined or left it."""
        listed = None if items is None else [str(i) for i in items]
        self.actions.append(Action(owner, text, key, listed))
        return self._refresh()

    def note(self, text: str) -> ExecutiveSummary:
        """Add a caveat (assumed costs, a fallback baseline) shown in small print."""
        self.notes.append(str(text))
        return self._refresh()

    # -- output -------------------------------------------------------------------------------------
    def payload(self) -> dict[str, Any]:
        """The JSON the runner records: title, period, scope, tiles, verdicts, actions, notes (and changes)."""
        d = {k: v for k, v in asdict(self).items() if not k.startswith("_") and k != "display_id"}
        if d.get("changes") is None:
            d.pop("changes", None)
        return json.loads(json.dumps(d, ensure_ascii=False, default=_plain))

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ExecutiveSummary:
        """The summary a payload describes (e.g. :func:`read_summary` of an executed report), ready to re-render.

        Parameters:
            payload: :meth:`payload` as stored in a notebook output or the run history.

        Returns:
            The summary (not shown; :meth:`bundle` gives its outputs).

        Example:
            >>> s = ExecutiveSummary("T", period="P").tile("GMV", "¥1.0万").action("仓储", "ship", key="k", items=["a"])
            >>> ExecutiveSummary.from_payload(s.payload()).text() == s.text()
            True
        """
        known = {f.name for f in fields(Tile)}
        tiles = [Tile(**{k: v for k, v in t.items() if k in known}) for t in payload.get("tiles") or []]
        known_a = {f.name for f in fields(Action)}
        actions = [Action(**{k: v for k, v in a.items() if k in known_a}) for a in payload.get("actions") or []]
        return cls(str(payload.get("title", "")), period=str(payload.get("period", "")),
                   scope=str(payload.get("scope", "")), tiles=tiles, verdicts=list(payload.get("verdicts") or []),
                   actions=actions, notes=list(payload.get("notes") or []), changes=payload.get("changes"))

    def bundle(self) -> dict[str, Any]:
        """The display bundle (``text/plain``, ``text/html`` and :data:`SUMMARY_MIME`) of the summary."""
        return {"text/plain": self.text(), "text/html": self.html(), SUMMARY_MIME: self.payload()}

    def text(self) -> str:
        """Plain text: the header line, one line per tile, then verdicts, actions and notes."""
        head = " — ".join(p for p in (self.title, self.period, self.scope) if p)
        lines = [head]
        lines += [f"{t.label}: {t.value}" + (f" ({t.change})" if t.change else "") for t in self.tiles]
        lines += [f"· {v}" for v in self.verdicts]
        lines += [f"→ [{a.owner}] {a.text}" for a in self.actions]
        lines += [f"  ({n})" for n in self.notes]
        if self.changes is not None:
            lines.append(changes_text(self.changes))
        return "\n".join(lines)

    def html(self) -> str:
        """The summary as self-contained HTML (inline CSS, no images, no scripts)."""
        e = html.escape
        tiles = "".join(
            f'<div class="ops-tile"><div class="ops-label">{e(t.label)}</div><div class="ops-value">{e(t.value)}</div>'
            + (f'<div class="ops-change {_tone(t.good)}">{e(t.change)}</div>' if t.change else "") + "</div>"
            for t in self.tiles)
        parts = [_CSS, '<div class="ops-summary">', f"<h2>{e(self.title)}</h2>",
                 f'<p class="ops-sub">{e(" · ".join(p for p in (self.period, self.scope) if p))}</p>']
        if tiles:
            parts.append(f'<div class="ops-tiles">{tiles}</div>')
        if self.verdicts:
            parts.append("<ul>" + "".join(f"<li>{e(v)}</li>" for v in self.verdicts) + "</ul>")
        if self.actions:
            parts.append("<p><b>行动 Actions</b></p><ul>" + "".join(
                f'<li><span class="ops-owner">{e(a.owner)}</span>{e(a.text)}</li>' for a in self.actions) + "</ul>")
        if self.notes:
            parts.append('<p class="ops-notes">' + "<br>".join(e(n) for n in self.notes) + "</p>")
        if self.changes is not None:
            parts.append(changes_html(self.changes))
        parts.append("</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return self.bundle()

    def show(self) -> None:
        """Display the summary here; later additions update this display in place."""
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True, display_id=self.display_id)
        self._shown = True

    def _refresh(self) -> ExecutiveSummary:
        if self._shown:
            from IPython.display import update_display

            update_display(self._repr_mimebundle_(), raw=True, display_id=self.display_id)
        return self


def _tone(good: bool | None) -> str:
    return "ops-neutral" if good is None else ("ops-good" if good else "ops-bad")


def _plain(value: Any) -> Any:
    """JSON for numpy scalars and other odd values in a payload (numbers stay numbers)."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)


# ------------------------------------------------------------------------------- changes between runs


def _action_key(a: dict[str, Any]) -> str:
    return str(a.get("key") or f"{a.get('owner', '')}|{a.get('text', '')}")


def compare_summaries(current: dict[str, Any] | None, previous: dict[str, Any] | None,
                      since: str = "", href: str = "", max_items: int = 8) -> dict[str, Any]:
    """What changed between two reports of the same schedule: new and resolved actions, items in and out.

    Formula: actions are matched by ``key`` (else by owner and text). ``new`` = actions of ``current`` whose key
    ``previous`` lacks; ``resolved`` = actions of ``previous`` whose key ``current`` lacks; for an action in both
    that lists ``items``, ``joined`` = items now but not before and ``left`` = items before but not now (the first
    ``max_items`` of each, with their counts). ``previous`` None gives ``first=True`` (nothing to compare).

    Parameters:
        current, previous: summary payloads (:meth:`ExecutiveSummary.payload`); previous may be None.
        since: the previous report's period label. href: a link to it (relative to the current report).
        max_items: items named per list.

    Returns:
        A dict: ``since``, ``href``, ``first``, ``new`` and ``resolved`` (lists of ``{owner, text, key}``),
        ``moved`` (list of ``{owner, key, text, joined, left, n_joined, n_left}``).

    Example:
        >>> a = {"actions": [{"owner": "采购", "text": "replenish 3 SKUs", "key": "replenish", "items": ["A", "B", "C"]},
        ...                  {"owner": "数据", "text": "export traffic", "key": "missing:traffic"}]}
        >>> b = {"actions": [{"owner": "采购", "text": "replenish 2 SKUs", "key": "replenish", "items": ["B", "D"]},
        ...                  {"owner": "品类", "text": "fix 1 SKU", "key": "fix"}]}
        >>> c = compare_summaries(b, a, since="2025-W51")
        >>> [x["key"] for x in c["new"]], [x["key"] for x in c["resolved"]], c["moved"][0]["joined"], c["moved"][0]["left"]
        (['fix'], ['missing:traffic'], ['D'], ['A', 'C'])
    """
    out: dict[str, Any] = {"since": since, "href": href, "first": previous is None, "new": [], "resolved": [],
                           "moved": []}
    if previous is None:
        return out
    now = {_action_key(a): a for a in (current or {}).get("actions") or []}
    before = {_action_key(a): a for a in previous.get("actions") or []}
    brief = lambda a: {"owner": a.get("owner", ""), "text": a.get("text", ""), "key": a.get("key")}  # noqa: E731
    out["new"] = [brief(a) for k, a in now.items() if k not in before]
    out["resolved"] = [brief(a) for k, a in before.items() if k not in now]
    for k, a in now.items():
        b = before.get(k)
        if b is None or a.get("items") is None or b.get("items") is None:
            continue
        was, is_ = list(b["items"]), list(a["items"])
        joined = [i for i in is_ if i not in set(was)]
        left = [i for i in was if i not in set(is_)]
        if joined or left:
            out["moved"].append({"owner": a.get("owner", ""), "key": a.get("key"), "text": a.get("text", ""),
                                 "joined": joined[:max_items], "left": left[:max_items],
                                 "n_joined": len(joined), "n_left": len(left)})
    return out


def _named(items: list[str], n: int) -> str:
    more = n - len(items)
    return ", ".join(items) + (f" and {more:,} more" if more > 0 else "")


def _change_lines(changes: dict[str, Any]) -> tuple[str, list[tuple[str, str, str]]]:
    """The heading and ``(kind, owner, text)`` lines of a :func:`compare_summaries` result."""
    since = changes.get("since") or "the previous report"
    if changes.get("first"):
        return "自上次以来 Since the previous report: this is the first report of its schedule, nothing to compare.", []
    lines = [("new", a["owner"], a["text"]) for a in changes.get("new") or []]
    lines += [("resolved", a["owner"], a["text"]) for a in changes.get("resolved") or []]
    for m in changes.get("moved") or []:
        parts = []
        if m["n_joined"]:
            parts.append(f"{m['n_joined']:,} joined ({_named(m['joined'], m['n_joined'])})")
        if m["n_left"]:
            parts.append(f"{m['n_left']:,} left ({_named(m['left'], m['n_left'])})")
        lines.append(("moved", m["owner"], f"{m.get('key') or m['text']}: " + "; ".join(parts)))
    if not lines:
        return f"自上次以来 Since {since}: the same actions, no item joined or left a list.", []
    n_new, n_res = len(changes.get("new") or []), len(changes.get("resolved") or [])
    return f"自上次以来 Since {since}: {n_new} new, {n_res} resolved action(s).", lines


_MARK = {"new": "新 new", "resolved": "已解决 resolved", "moved": "变动 changed"}


def changes_text(changes: dict[str, Any]) -> str:
    """A :func:`compare_summaries` result as text lines (the summary's plain-text form).

    Parameters:
        changes: :func:`compare_summaries`.

    Returns:
        The heading and one line per change.

    Example:
        >>> print(changes_text({"since": "2025-W51", "first": False, "new": [{"owner": "品类", "text": "fix 1 SKU"}],
        ...                     "resolved": [], "moved": []}))
        自上次以来 Since 2025-W51: 1 new, 0 resolved action(s).
          新 new [品类] fix 1 SKU
    """
    head, lines = _change_lines(changes)
    return "\n".join([head, *(f"  {_MARK[k]} [{o}] {t}" for k, o, t in lines)])


def changes_html(changes: dict[str, Any]) -> str:
    """A :func:`compare_summaries` result as the summary's "since the previous report" block (escaped HTML).

    Parameters:
        changes: :func:`compare_summaries`.

    Returns:
        HTML.
    """
    e = html.escape
    head, lines = _change_lines(changes)
    since, href = str(changes.get("since") or ""), changes.get("href")
    marker = f"Since {since}:"
    if since and href and not changes.get("first") and marker in head:
        before, after = head.split(marker, 1)
        head = f'{e(before)}Since <a href="{e(str(href))}">{e(since)}</a>:{e(after)}'
    else:
        head = e(head)
    css = {"new": "ops-new", "resolved": "ops-resolved", "moved": "ops-neutral"}
    items = "".join(f'<li><span class="{css[k]}">{e(_MARK[k])}</span> <span class="ops-owner">{e(o)}</span>{e(t)}</li>'
                    for k, o, t in lines)
    return f'<div class="ops-changes"><b>{head}</b>' + (f"<ul>{items}</ul>" if items else "") + "</div>"


def read_summary(notebook: Any) -> dict[str, Any] | None:
    """The summary payload of an executed notebook (an ``nbformat`` node or a path), or None when it has none.

    Parameters:
        notebook: an executed notebook, or its path.

    Returns:
        The payload (:meth:`ExecutiveSummary.payload`) or None.
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4) if not hasattr(notebook, "cells") else notebook
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if SUMMARY_MIME in data:
                return dict(data[SUMMARY_MIME])
    return None


def replace_summary(notebook: Any, summary: ExecutiveSummary) -> bool:
    """Replace the summary output of an executed notebook (an ``nbformat`` node) by ``summary``'s bundle, in place.

    Parameters:
        notebook: an ``nbformat`` notebook with a summary output. summary: the new summary.

    Returns:
        True when a summary output was found and replaced.
    """
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            if SUMMARY_MIME in out.get("data", {}):
                out["data"] = summary.bundle()
                return True
    return False


def compact(payload: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of a summary payload the run history keeps: everything but the actions' item lists.

    Parameters:
        payload: a summary payload, or None.

    Returns:
        A copy without ``items`` (the lists stay in the executed report), or None.

    Example:
        >>> compact({"title": "T", "actions": [{"owner": "o", "text": "t", "key": "k", "items": ["a", "b"]}]})
        {'title': 'T', 'actions': [{'owner': 'o', 'text': 't', 'key': 'k', 'n_items': 2}]}
    """
    if payload is None:
        return None
    out = dict(payload)
    acts = []
    for a in payload.get("actions") or []:
        a = dict(a)
        items = a.pop("items", None)
        if items is not None:
            a["n_items"] = len(items)
        acts.append(a)
    if "actions" in payload:
        out["actions"] = acts
    return out
