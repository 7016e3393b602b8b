"""What the runner adds to a report: exports on by default next to it, what changed since the previous period's
report, links to the neighbouring periods, the summary in the history, folders named by the data period."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from tests.reporting.conftest import run_cli, write_notebook

PARAMS = "period_end = None  # [date or None]\nskus = 'A,B'  # [text]\nexport_dir = None  # [output folder or None]\n"
BODY = [
    "from opslib.reporting import ExecutiveSummary, exported, write_table\nimport pandas as pd\n"
    "s = ExecutiveSummary('T 周报', period=str(period_end), scope='shop')\ns.show()",
    "items = skus.split(',')\ns.tile('GMV', '¥1.0万', metric='gmv', raw=float(len(items)))\n"
    "s.tile('SKUs', str(len(items)), metric='skus', raw=float(len(items)))\n"
    "s.tile('x', '1', metric='x', raw=1.0)\ns.verdict('ok.')\n"
    "s.action('采购 purchasing', f'replenish {len(items)} SKUs', key='replenish', items=items)\n"
    "if 'Z' in items:\n    s.action('品类 category', 'fix Z', key='fix')",
    "exported(write_table(pd.DataFrame({'sku': items, 'gmv': [1.5] * len(items)}), export_dir, 'actions',\n"
    "                     kinds={'gmv': 'money'})) if export_dir else None",
]


@pytest.fixture
def nb_dir(tmp_path: Path) -> Path:
    d = tmp_path / "notebooks"
    d.mkdir()
    write_notebook(d / "00_weekly.ipynb", BODY, PARAMS)
    return d


def _runs(out: Path) -> list[dict]:
    return json.loads((out / "runs.json").read_text(encoding="utf-8"))


def test_exports_changes_and_navigation_across_two_periods(nb_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert run_cli(nb_dir, out, "00", "-p", "period_end", "2025-12-21", "-p", "skus", "A,B,C") == 0
    assert run_cli(nb_dir, out, "00", "-p", "period_end", "2025-12-28", "-p", "skus", "B,C,D,Z") == 0
    first, second = _runs(out)
    assert (first["period"], second["period"]) == ("2025-12-21", "2025-12-28")  # folders by the data period
    # Exports on by default: next to the report, linked from it, recorded in the history.
    assert second["exports"] == ["2025-12-28/00_weekly.exports/actions.xlsx", "2025-12-28/00_weekly.exports/actions.csv"]
    assert "export_dir" not in second["parameters"]  # the runner's folder is not a parameter someone gave
    page = (out / second["html"]).read_text(encoding="utf-8")
    assert 'href="00_weekly.exports/actions.xlsx"' in page and ".tmp" not in page
    # What changed: fix is new; of replenish, D and Z joined and A left (the previous report's item lists).
    changes = second["summary"]["changes"]
    assert changes["since"] == "2025-12-21" and [a["key"] for a in changes["new"]] == ["fix"]
    assert changes["resolved"] == [] and changes["moved"][0]["joined"] == ["D", "Z"]
    assert changes["moved"][0]["left"] == ["A"]
    assert first["summary"]["changes"]["first"] is True
    assert "items" not in second["summary"]["actions"][0]  # the history keeps counts, the report the lists
    executed = nbformat.read(str(out / second["ipynb"]), as_version=4)
    text = "".join(o.get("data", {}).get("text/plain", "") for c in executed.cells for o in c.get("outputs", []))
    assert "自上次以来 Since 2025-12-21: 1 new, 0 resolved action(s)." in text and "2 joined (D, Z)" in text
    # Previous / next: the new report links back, the older one was rewritten to link forward.
    assert 'href="../2025-12-21/00_weekly.html">‹ 2025-12-21' in page
    older = (out / first["html"]).read_text(encoding="utf-8")
    assert 'href="../2025-12-28/00_weekly.html">2025-12-28 ›' in older
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<svg" in index and "2 runs, newest first." in index


def test_a_failed_run_keeps_the_last_good_exports(nb_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert run_cli(nb_dir, out, "00", "-p", "period_end", "2025-12-28") == 0
    good = out / "2025-12-28" / "00_weekly.exports" / "actions.xlsx"
    before = good.read_bytes()
    nb = nbformat.read(str(nb_dir / "00_weekly.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('broken export')"))
    nbformat.write(nb, str(nb_dir / "00_weekly.ipynb"))
    assert run_cli(nb_dir, out, "00", "-p", "period_end", "2025-12-28", "-p", "skus", "Q") == 1
    assert good.read_bytes() == before
    tmp = out / ".tmp"
    assert not tmp.exists() or not list(tmp.glob("*.exports"))
    failed = _runs(out)[-1]
    assert failed["status"] == "failed" and failed["exports"] == [] and failed["summary"] is None


def test_an_explicit_export_dir_is_used_as_given(nb_dir: Path, tmp_path: Path) -> None:
    out, mine = tmp_path / "reports", tmp_path / "mine"
    assert run_cli(nb_dir, out, "00", "-p", "period_end", "2025-12-28", "-p", "export_dir", str(mine)) == 0
    assert sorted(p.name for p in mine.iterdir()) == ["actions.csv", "actions.xlsx"]
    assert not (out / "2025-12-28" / "00_weekly.exports").exists()
    assert _runs(out)[0]["parameters"]["export_dir"] == str(mine)
