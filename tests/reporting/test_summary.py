"""The executive summary fills in place: shown at the top, completed by later cells, stored as JSON for the index."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from opslib.reporting import SUMMARY_MIME, ExecutiveSummary, read_summary, stop_here
from opslib.reporting.notebook import ReportStopped


def test_text_html_and_payload() -> None:
    s = ExecutiveSummary("02 活动复盘", period="2025-12-01 .. 2025-12-12", scope="2025_D12 双12")
    s.tile("净利润 net profit", "-¥6.9万", good=False).verdict("双12 did not pay: −¥6.9万 net.")
    s.action("运营 operations", "Cut the discount depth of 家电 to 10%", key="d12-depth")
    s.note("Costs assumed at a 30% margin for 12 SKUs.")
    text = s.text()
    assert text.splitlines()[0] == "02 活动复盘 — 2025-12-01 .. 2025-12-12 — 2025_D12 双12"
    assert "净利润 net profit: -¥6.9万" in text and "→ [运营 operations] Cut the discount" in text
    page = s.html()
    assert "<img" not in page and "<script" not in page  # tiles are HTML: readable on a phone, nothing to load
    assert 'class="ops-change' not in page  # a tile without a change shows no change line
    assert s.payload()["actions"][0]["key"] == "d12-depth"
    bundle = s._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", SUMMARY_MIME}


def test_html_escapes_data() -> None:
    s = ExecutiveSummary("<b>x</b>").verdict("SKU <script>alert(1)</script>")
    assert "<script>" not in s.html() and "&lt;script&gt;" in s.html()


def test_stop_here_outside_ipython_raises_with_the_reason() -> None:
    with pytest.raises(ReportStopped, match="nothing to review"):
        stop_here("No sales: nothing to review, skipping the rest of the report.")


@pytest.mark.notebook
def test_summary_shown_first_is_complete_in_the_executed_notebook(tmp_path: Path) -> None:
    import papermill as pm

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("from opslib.reporting import ExecutiveSummary, stop_here\n"
                                  "s = ExecutiveSummary('T', period='P')\ns.show()"),
        nbformat.v4.new_code_cell("s.tile('GMV', '¥1.0万', '+3.0%', good=True)\ns.verdict('GMV grew.');"),
        nbformat.v4.new_code_cell("s.action('仓储 warehouse', 'Ship within 24 h')\nstop_here('Nothing more.')"),
        nbformat.v4.new_code_cell("raise RuntimeError('skipped cells must not run')"),
    ]
    src, out = tmp_path / "s.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, src)
    pm.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False)
    done = nbformat.read(out, as_version=4)
    top = done.cells[1].outputs[0]["data"]["text/plain"]
    assert top == "T — P\nGMV: ¥1.0万 (+3.0%)\n· GMV grew.\n→ [仓储 warehouse] Ship within 24 h"
    assert read_summary(done)["tiles"][0]["value"] == "¥1.0万"
    assert "⏹ Nothing more." in "".join(o.get("text", "") for o in done.cells[3].outputs)
