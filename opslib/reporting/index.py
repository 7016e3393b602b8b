"""The run history: ``reports/runs.json`` (every run: status, parameters, duration, data fingerprint, version)
and ``reports/index.html`` built from it.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import opslib
from opslib.reporting.plan import (
    REPORTS,
)


@dataclass
class RunResult:
    """What one report run produced; paths are relative to the reports folder."""

    name: str
    notebook: str
    period: str
    status: str  # "ok" or "failed"
    seconds: float
    parameters: dict[str, Any]
    started: str
    ipynb: str
    html: str
    error: str = ""
    data_fingerprint: str = ""
    opslib_version: str = opslib.__version__
    schedule: str = ""


def record(results: list[RunResult], out_dir: Path = REPORTS) -> None:
    """Append ``results`` to ``out_dir/runs.json`` and rewrite ``out_dir/index.html`` (both atomically)."""
    log = out_dir / "runs.json"
    try:
        runs = json.loads(log.read_text(encoding="utf-8")) if log.exists() else []
    except json.JSONDecodeError:
        runs = []
    runs.extend(asdict(r) for r in results)
    tmp = out_dir / ".runs.json.tmp"
    tmp.write_text(json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, log)
    tmp_index = out_dir / ".index.html.tmp"
    tmp_index.write_text(index_html(runs), encoding="utf-8")
    os.replace(tmp_index, out_dir / "index.html")


def index_html(runs: list[dict[str, Any]]) -> str:
    """The index page: newest run first, with status, parameters, duration, fingerprint and version."""
    rows = []
    for r in reversed(runs):
        name = html.escape(r["name"])
        link = f'<a href="{html.escape(r["html"])}">{name}</a>' if r.get("html") else name
        colour = "#1a7f37" if r["status"] == "ok" else "#cf222e"
        params = html.escape(json.dumps(r["parameters"], ensure_ascii=False))
        rows.append(
            f"<tr><td>{html.escape(r['started'])}</td><td>{html.escape(r.get('period', ''))}</td><td>{link}</td>"
            f"<td style='color:{colour};font-weight:bold'>{r['status']}</td><td>{r['seconds']:.1f} s</td>"
            f"<td><code>{params}</code></td><td><code>{html.escape(r.get('data_fingerprint', ''))}</code></td>"
            f"<td>{html.escape(r.get('opslib_version', ''))}</td><td>{html.escape(r.get('error', ''))}</td></tr>"
        )
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>opsplaybook 运营报告</title>
<style>body{{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;margin:2em}}
td,th{{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}}code{{font-size:85%}}</style>
</head><body><h1>运营报告 opsplaybook reports</h1><p>{len(runs)} runs, newest first.</p>
<table><tr><th>started</th><th>period</th><th>report</th><th>status</th><th>duration</th><th>parameters</th>
<th>data fingerprint</th><th>opslib</th><th>error</th></tr>
{''.join(rows)}</table></body></html>
"""
