"""The executive summary a manager reads first: period and scope, KPI tiles, one verdict per section, top actions.

A report shows the summary at its very top but can only fill it once the analysis below has run. So the first
cell after the setup *shows* an empty summary (``summary.show()``), every section adds to it as it goes
(``summary.tile(...)``, ``summary.verdict(...)``, ``summary.action(...)``), and each addition updates the displayed
summary in place (a Jupyter display id): in JupyterLab the box fills while the notebook runs, and the executed
report (papermill keeps updated outputs) holds the complete summary at the top.

The summary is displayed three ways at once: HTML (tiles readable on a phone, no images), plain text (what tests
and terminals read) and a JSON payload (``SUMMARY_MIME``) that the report runner stores in the run history and the
index dashboard draws its tiles and sparklines from.

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
from dataclasses import asdict, dataclass, field
from typing import Any

#: MIME type of the summary's JSON payload in a notebook output (read by the report runner and the index).
SUMMARY_MIME = "application/vnd.opsplaybook.summary+json"
_COUNTER = itertools.count(1)

_CSS = """<style>
.ops-summary{font-family:system-ui,-apple-system,"Noto Sans CJK SC","PingFang SC",sans-serif;border:1px solid #d9dce1;
 border-radius:8px;padding:12px 14px;margin:4px 0 12px;background:#fafbfc;max-width:1100px}
.ops-summary h2{font-size:1.15em;margin:0 0 2px}.ops-summary .ops-sub{color:#555;margin:0 0 10px;font-size:.92em}
.ops-tiles{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:10px}
.ops-tile{flex:1 1 150px;min-width:140px;background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:8px 10px}
.ops-tile .ops-label{color:#555;font-size:.85em}.ops-tile .ops-value{font-size:1.45em;white-space:nowrap}
.ops-tile .ops-change{font-size:.85em;white-space:nowrap}.ops-good{color:#027a5b}.ops-bad{color:#b8410a}
.ops-neutral{color:#666}.ops-summary ul{margin:4px 0 6px 18px;padding:0}.ops-summary li{margin:2px 0}
.ops-owner{display:inline-block;background:#eef1f5;border-radius:4px;padding:0 6px;margin-right:6px;font-size:.85em}
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
    """One action for a team: who owns it and what to do."""

    owner: str
    text: str
    key: str | None = None


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

    def action(self, owner: str, text: str, key: str | None = None) -> ExecutiveSummary:
        """Add a top action with its owner (a team); ``key`` identifies it across runs (new vs resolved)."""
        self.actions.append(Action(owner, text, key))
        return self._refresh()

    def note(self, text: str) -> ExecutiveSummary:
        """Add a caveat (assumed costs, a fallback baseline) shown in small print."""
        self.notes.append(str(text))
        return self._refresh()

    # -- output -------------------------------------------------------------------------------------
    def payload(self) -> dict[str, Any]:
        """The JSON the runner records: title, period, scope, tiles, verdicts, actions, notes."""
        d = {k: v for k, v in asdict(self).items() if not k.startswith("_") and k != "display_id"}
        return json.loads(json.dumps(d, ensure_ascii=False, default=str))

    def text(self) -> str:
        """Plain text: the header line, one line per tile, then verdicts, actions and notes."""
        head = " — ".join(p for p in (self.title, self.period, self.scope) if p)
        lines = [head]
        lines += [f"{t.label}: {t.value}" + (f" ({t.change})" if t.change else "") for t in self.tiles]
        lines += [f"· {v}" for v in self.verdicts]
        lines += [f"→ [{a.owner}] {a.text}" for a in self.actions]
        lines += [f"  ({n})" for n in self.notes]
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
            parts.append('<p class="ops-sub">' + "<br>".join(e(n) for n in self.notes) + "</p>")
        parts.append("</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": self.text(), "text/html": self.html(), SUMMARY_MIME: self.payload()}

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


def read_summary(notebook: Any) -> dict[str, Any] | None:
    """The summary payload of an executed notebook (an ``nbformat`` node or a path), or None when it has none."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4) if not hasattr(notebook, "cells") else notebook
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if SUMMARY_MIME in data:
                return dict(data[SUMMARY_MIME])
    return None
