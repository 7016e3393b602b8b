"""The index page as a dashboard: the latest report of every schedule and scope, its KPI tiles with sparklines,
its status and what changed, then the full history of runs.

Everything comes from ``runs.json`` (:mod:`opslib.reporting.index`): each good run records its executive summary
(tiles with their raw values, verdicts, actions, what changed since the previous report). A card shows the newest
period of one report (a schedule and its ``for_each`` value, e.g. the weekly review of 美妆); its sparklines draw a
tile's raw value over the last :data:`SPARK_POINTS` periods as inline SVG (no script, no image file, nothing to
load). A report whose latest run failed says so in red and still links its last good report.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from typing import Any

from opslib.reporting.navigation import chain

#: Periods a sparkline draws at most.
SPARK_POINTS = 12
#: Tiles a card shows at most.
CARD_TILES = 4
_COLOURS = {"ok": "#1a7f37", "failed": "#cf222e", "interrupted": "#9a6700"}
_STATUS_CN = {"ok": "正常 ok", "failed": "失败 failed", "interrupted": "中断 interrupted"}

_CSS = """
body{font-family:system-ui,-apple-system,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;
 color:#1f2328;background:#fff}
header{background:#f6f8fa;border-bottom:1px solid #d9dce1;padding:12px 16px}
header h1{margin:0;font-size:1.35em}header p{margin:2px 0 0;color:#555;font-size:.9em}
main{max-width:1280px;margin:0 auto;padding:8px 16px 40px}
h2{font-size:1.1em;margin:22px 0 6px;border-bottom:1px solid #eaecef;padding-bottom:4px}
h2 small{color:#666;font-weight:normal}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.card{border:1px solid #d9dce1;border-radius:8px;padding:10px 12px;background:#fafbfc;min-width:0;
 overflow-wrap:anywhere}
.card h3{font-size:1em;margin:0 0 2px}.card h3 a{color:#0b5cad;text-decoration:none}
.card .sub{color:#555;font-size:.85em;margin:0 0 6px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:.8em;color:#fff;margin-left:4px;
 vertical-align:middle}
.tiles{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:6px;margin:6px 0}
.tile{background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:5px 7px;min-width:0;overflow:hidden}
.tile .l{color:#555;font-size:.78em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tile .v{font-size:1.15em;white-space:nowrap}.tile .c{font-size:.78em}
.good{color:#027a5b}.bad{color:#b8410a}.neutral{color:#666}
.spark{display:block;margin-top:2px}
.verdict{font-size:.88em;margin:4px 0}.changes{font-size:.82em;color:#444;margin:4px 0}
.files{font-size:.82em;margin:4px 0}.files a,.card a{color:#0b5cad}
.error{color:#cf222e;font-size:.85em}
table{border-collapse:collapse;font-size:.85em;width:100%}
.history{overflow-x:auto}
td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
td.num{white-space:nowrap;text-align:right}td.when{white-space:nowrap}
.params{color:#444}.params span{white-space:nowrap;margin-right:8px}
code{font-size:85%}
"""


def sparkline(values: list[float | None], width: int = 120, height: int = 26, colour: str = "#0173b2") -> str:
    """An inline SVG line of ``values`` (oldest first); missing values leave a gap; '' with fewer than 2 values.

    Formula: x_i = i / (n - 1) * width, y_i = height - 2 - (v_i - min) / (max - min) * (height - 4) (a flat line in
    the middle when max = min); the last point gets a dot.

    Parameters:
        values: the series. width, height: the drawing's size in pixels. colour: the line's colour.

    Returns:
        ``<svg ...>`` text.

    Example:
        >>> svg = sparkline([1.0, 3.0, 2.0], width=10, height=6)   # x = 0, 5, 10; y = 4, 2 (max at the top), 3
        >>> 'points="0.0,4.0 5.0,2.0 10.0,3.0"' in svg, svg.count("<circle")
        (True, 1)
        >>> sparkline([5.0])
        ''
    """
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if len(values) < 2 or len(finite) < 2:
        return ""
    lo, hi = min(finite), max(finite)
    n = len(values)

    def y(v: float) -> float:
        return height / 2 if hi == lo else height - 2 - (v - lo) / (hi - lo) * (height - 4)

    runs, current = [], []
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            if current:
                runs.append(current)
            current = []
            continue
        current.append(f"{i / (n - 1) * width:.1f},{y(v):.1f}")
    if current:
        runs.append(current)
    lines = "".join(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{" ".join(r)}"/>'
                    for r in runs if len(r) > 1)
    last = next((i, v) for i, v in reversed(list(enumerate(values))) if v is not None and math.isfinite(v))
    dot = f'<circle cx="{last[0] / (n - 1) * width:.1f}" cy="{y(last[1]):.1f}" r="2" fill="{colour}"/>'
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="trend">{lines}{dot}</svg>')


def _tile_key(t: dict[str, Any]) -> str:
    return str(t.get("metric") or t.get("label") or "")


def _series(reports: list[dict[str, Any]], key: str) -> list[float | None]:
    out: list[float | None] = []
    for r in reports[-SPARK_POINTS:]:
        tiles = (r.get("summary") or {}).get("tiles") or []
        raw = next((t.get("raw") for t in tiles if _tile_key(t) == key), None)
        out.append(float(raw) if isinstance(raw, int | float) else None)
    return out


def _tone(good: Any) -> str:
    return "neutral" if good is None else ("good" if good else "bad")


def _params_text(params: dict[str, Any]) -> str:
    """Parameters as ``key = value`` chips (no JSON); the data folder by its last part."""
    e = html.escape
    chips = []
    for k, v in (params or {}).items():
        shown = v
        if k in ("data_dir", "export_dir") and isinstance(v, str):
            shown = v.rstrip("/").rsplit("/", 1)[-1] or v
        if isinstance(shown, list | tuple | dict):
            shown = json.dumps(shown, ensure_ascii=False)
        chips.append(f'<span title="{e(str(v))}">{e(k)} = {e(str(shown))}</span>')
    return f'<span class="params">{"".join(chips)}</span>' if chips else ""


def _changes_line(changes: dict[str, Any] | None) -> str:
    if not changes:
        return ""
    if changes.get("first"):
        return '<p class="changes">首次 first report of this schedule</p>'
    n_new, n_res = len(changes.get("new") or []), len(changes.get("resolved") or [])
    moved = sum(int(m.get("n_joined", 0)) + int(m.get("n_left", 0)) for m in changes.get("moved") or [])
    parts = [f"{n_new} new", f"{n_res} resolved"] + ([f"{moved} items moved"] if moved else [])
    return f'<p class="changes">自上次 since {html.escape(str(changes.get("since", "")))}: {", ".join(parts)}</p>'


def _card(key: tuple[str, str], entries: list[dict[str, Any]], runs: list[dict[str, Any]], by_scope: bool) -> str:
    e = html.escape
    schedule, name = key
    latest = max(entries, key=lambda r: (str(r.get("period", "")), str(r.get("started", ""))))
    good = chain(runs, name, schedule)
    last_ok = good[-1] if good else None
    shown = last_ok if last_ok is not None else latest
    summary = shown.get("summary") or {}
    status = str(latest.get("status", ""))
    colour = _COLOURS.get(status, "#cf222e")
    title = str(summary.get("title") or name)
    scope = str(summary.get("scope") or "")
    heading = scope if by_scope and scope else title
    link = f'<a href="{e(shown["html"])}">{e(heading)}</a>' if shown.get("html") else e(heading)
    badge = f'<span class="badge" style="background:{colour}">{e(_STATUS_CN.get(status, status))}</span>'
    sub = " · ".join(str(p) for p in (shown.get("period"), title if heading != title else scope,
                                      summary.get("period") or "") if p)
    parts = [f'<div class="card" id="r-{e(name)}"><h3>{link}{badge}</h3><p class="sub">{e(sub)}</p>']
    if status != "ok":
        where = f' (<a href="{e(latest["html"])}">the failed report</a>)' if latest.get("html") else ""
        last = f' Showing the last good report, {e(str(last_ok["period"]))}.' if last_ok is not None else ""
        parts.append(f'<p class="error">{e(str(latest.get("period", "")))} {e(status)}: '
                     f'{e(str(latest.get("error", ""))[:200])}{where}.{last}</p>')
    tiles = (summary.get("tiles") or [])[:CARD_TILES]
    if tiles:
        cells = []
        for t in tiles:
            spark = sparkline(_series(good, _tile_key(t)))
            change = f'<div class="c {_tone(t.get("good"))}">{e(str(t["change"]))}</div>' if t.get("change") else ""
            cells.append(f'<div class="tile"><div class="l" title="{e(str(t.get("label", "")))}">'
                         f'{e(str(t.get("label", "")))}</div><div class="v">{e(str(t.get("value", "")))}</div>'
                         f"{change}{spark}</div>")
        parts.append(f'<div class="tiles">{"".join(cells)}</div>')
    verdicts = summary.get("verdicts") or []
    if verdicts:
        parts.append(f'<p class="verdict">{e(str(verdicts[0]))}</p>')
    actions = summary.get("actions") or []
    if actions:
        owners = list(dict.fromkeys(str(a.get("owner", "")) for a in actions))
        parts.append(f'<p class="verdict">行动 {len(actions)} action(s) for {e(", ".join(owners))}</p>')
    parts.append(_changes_line(summary.get("changes")))
    files = shown.get("exports") or []
    if files:
        parts.append('<p class="files">⬇ ' + " · ".join(
            f'<a href="{e(f)}" download>{e(f.rsplit("/", 1)[-1])}</a>' for f in files if f.endswith(".xlsx"))
            + "</p>")
    parts.append("</div>")
    return "".join(parts)


def _when(started: Any) -> str:
    """A run's start as ``YYYY-MM-DD HH:MM`` (ISO text without the ``T`` and the seconds), else as it is."""
    text = str(started or "")
    return text[:16].replace("T", " ") if len(text) >= 16 and text[10:11] == "T" else text


def _history_rows(runs: list[dict[str, Any]]) -> str:
    e = html.escape
    rows = []
    for r in reversed(runs):
        name = e(str(r.get("name", "")))
        link = f'<a href="{e(r["html"])}">{name}</a>' if r.get("html") else name
        status = str(r.get("status", ""))
        colour = _COLOURS.get(status, "#cf222e")
        notes = []
        if r.get("template") == "modified":
            notes.append("from an edited notebook (--allow-modified)")
        if r.get("rebuilt"):
            notes.append("entry rebuilt from the report's metadata")
        note = f"<br><small>{e('; '.join(notes))}</small>" if notes else ""
        rows.append(
            f"<tr><td class='when'>{e(_when(r.get('started')))}</td><td class='when'>{e(str(r.get('period', '')))}</td>"
            f"<td>{link}{note}</td><td>{e(str(r.get('schedule', '')))}</td>"
            f"<td style='color:{colour};font-weight:bold'>{e(status)}</td>"
            f"<td class='num'>{float(r.get('seconds') or 0):,.1f} s</td><td>{_params_text(r.get('parameters') or {})}</td>"
            f"<td><code>{e(str(r.get('data_fingerprint', '')))}</code></td>"
            f"<td>{e(str(r.get('opslib_version', '')))}</td><td>{e(str(r.get('error', '')))}</td></tr>")
    return "".join(rows)


def dashboard_html(runs: list[dict[str, Any]], now: dt.datetime | None = None) -> str:
    """The index page (module doc): cards of the latest reports grouped by schedule, then the history table.

    Parameters:
        runs: the history (``runs.json`` entries, oldest first). now: the time shown as "updated".

    Returns:
        The HTML page (self-contained: inline CSS and SVG, no script).

    Example:
        >>> page = dashboard_html([{"name": "00_x", "notebook": "00_x", "schedule": "daily", "status": "ok",
        ...     "period": "2025-12-31", "started": "2026-01-01T06:00:00", "html": "2025-12-31/00_x.html",
        ...     "summary": {"title": "店铺概览", "tiles": [{"label": "GMV", "value": "¥1.0万", "raw": 1e4}]}}])
        >>> "店铺概览" in page and "1 runs, newest first." in page and "<script" not in page
        True
    """
    e = html.escape
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((str(r.get("schedule") or ""), str(r.get("name", ""))), []).append(r)
    by_schedule: dict[str, list[tuple[str, str]]] = {}
    for key in groups:
        by_schedule.setdefault(key[0], []).append(key)
    notebook_of = {key: str(groups[key][-1].get("notebook", "")) for key in groups}
    order = sorted(by_schedule, key=lambda s: (s == "", min(notebook_of[k] for k in by_schedule[s]), s))
    sections, anchored = [], set()
    for sched in order:
        keys = sorted(by_schedule[sched], key=lambda k: k[1])
        stems = sorted({notebook_of[k] for k in keys})
        anchors = "".join(f'<a id="nb-{e(s)}"></a>' for s in stems if s not in anchored)
        anchored.update(stems)
        label = sched or "按需 ad hoc"
        cards = "".join(_card(k, groups[k], runs, by_scope=len(keys) > 1) for k in keys)
        sections.append(f'<section id="s-{e(label)}">{anchors}<h2>{e(label)} <small>{e(", ".join(stems))}</small></h2>'
                        f'<div class="cards">{cards}</div></section>')
    stamp = (now or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    empty = "" if runs else "<p>No report has run yet: <code>python -m opslib report run --config reports.yml</code>.</p>"
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>opsplaybook 运营报告 Reports</title>
<style>{_CSS}</style></head><body>
<header><h1>运营报告 opsplaybook reports</h1><p>updated {e(stamp)} · {len(groups)} report(s) · the latest period of
each, newest data first in every card; history below.</p></header><main>
{empty}{''.join(sections)}
<section id="history"><h2>历史 History</h2><p>{len(runs)} runs, newest first.</p><div class="history"><table>
<tr><th>started</th><th>period</th><th>report</th><th>schedule</th><th>status</th><th>duration</th><th>parameters</th>
<th>data fingerprint</th><th>opslib</th><th>error</th></tr>
{_history_rows(runs)}</table></div></section></main></body></html>
"""


__all__ = ["CARD_TILES", "SPARK_POINTS", "dashboard_html", "sparkline"]
