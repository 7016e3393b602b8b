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


def test_compare_summaries_new_resolved_and_moved_items() -> None:
    from opslib.reporting.summary import compare_summaries

    before = {"actions": [{"owner": "采购", "text": "replenish 3", "key": "replenish", "items": ["A", "B", "C"]},
                          {"owner": "数据", "text": "export traffic", "key": "missing:traffic"},
                          {"owner": "运营", "text": "no key, same text"}]}
    now = {"actions": [{"owner": "采购", "text": "replenish 12", "key": "replenish",
                        "items": ["B", *[f"N{i}" for i in range(11)]]},
                       {"owner": "运营", "text": "no key, same text"}, {"owner": "品类", "text": "fix 1", "key": "fix"}]}
    c = compare_summaries(now, before, since="2025-W51", href="../2025-W51/r.html", max_items=3)
    assert [a["key"] for a in c["new"]] == ["fix"] and [a["key"] for a in c["resolved"]] == ["missing:traffic"]
    (moved,) = c["moved"]  # an action without a key is matched by owner and text: it is neither new nor resolved
    assert (moved["n_joined"], moved["joined"], moved["n_left"], moved["left"]) == (11, ["N0", "N1", "N2"], 2, ["A", "C"])
    s = ExecutiveSummary("T").action("品类", "fix 1", key="fix")
    s.changes = c
    text, page = s.text(), s.html()
    assert "自上次以来 Since 2025-W51: 1 new, 1 resolved action(s)." in text
    assert "11 joined (N0, N1, N2 and 8 more); 2 left (A, C)" in text
    assert 'Since <a href="../2025-W51/r.html">2025-W51</a>:' in page and "已解决 resolved" in page
    assert compare_summaries(now, None)["first"] is True


def test_payload_round_trip_and_compact_history() -> None:
    from opslib.reporting.summary import compact

    s = ExecutiveSummary("T", period="P", scope="S").tile("GMV", "¥1.0万", "+1.0%", good=True, metric="gmv", raw=1e4)
    s.action("采购", "replenish 2", key="replenish", items=["A", "B"]).note("costs assumed")
    again = ExecutiveSummary.from_payload(s.payload())
    assert again.text() == s.text() and again.html() == s.html()
    short = compact(s.payload())
    assert short["actions"][0]["n_items"] == 2 and "items" not in short["actions"][0]
    assert short["tiles"][0]["raw"] == 1e4


def test_changes_html_escapes_data() -> None:
    from opslib.reporting.summary import changes_html

    page = changes_html({"since": "<W1>", "href": "x.html\"><script>", "first": False, "resolved": [],
                         "new": [{"owner": "<b>", "text": "<script>alert(1)</script>", "key": "k"}], "moved": []})
    assert "<script>" not in page and "&lt;script&gt;" in page
