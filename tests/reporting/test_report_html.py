"""A real report's HTML, opened in headless Chromium: charts load and Chinese text renders with a CJK font.

Chromium comes from the system packages (``.ci/run`` installs ``chromium`` and ``fonts-noto-cjk`` when
missing); playwright only drives it, it downloads no browser. Outside CI the test skips when Chromium
is absent; in CI (``CI`` set) a missing Chromium is a failure, so the check cannot silently vanish.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from opslib import reporting as reports

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
CJK_FONT = re.compile(r"CJK|Han Sans|Noto Sans SC|WenQuanYi|Droid Sans Fallback|Source Han", re.I)
CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def report_html(small_shop_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    code = reports.main(["run", "00", "-p", "data_dir", str(small_shop_dir), "-p", "period_days", "28",
                         "--period", "check", "--out", str(out)])
    assert code == 0
    return out / "check" / "00_shop_at_a_glance.html"


def _need_chromium() -> str:
    if CHROMIUM:
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run should have installed it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium fonts-noto-cjk); CI installs it")


def test_report_renders_charts_and_chinese_in_chromium(report_html: Path, tmp_path: Path) -> None:
    from matplotlib import image
    from playwright.sync_api import sync_playwright

    browser_path = _need_chromium()
    shot = tmp_path / "report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(report_html.as_uri())
        page.wait_for_load_state("load")
        # Charts: every embedded image decoded to a real picture.
        sizes = page.evaluate("Array.from(document.images).map(i => [i.naturalWidth, i.naturalHeight])")
        assert len(sizes) >= 3, f"expected at least 3 charts, found {len(sizes)}"
        assert all(w >= 300 and h >= 150 for w, h in sizes), sizes
        # Chinese text: the title's Chinese characters are drawn with a CJK font, not a fallback box.
        title = page.inner_text("h1")
        assert CJK_CHAR.search(title), title
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        cjk_glyphs = sum(f["glyphCount"] for f in fonts if CJK_FONT.search(f["familyName"]))
        assert cjk_glyphs >= len(set(CJK_CHAR.findall(title))), fonts
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    pixels = image.imread(str(shot))[..., :3]
    assert pixels.std() > 0.05, "the screenshot is blank"
    # Charts put coloured pixels on the page (text alone is grey/black): saturation = max - min channel.
    saturation = pixels.max(axis=2) - pixels.min(axis=2)
    assert np.mean(saturation > 0.25) > 0.002, "no coloured chart pixels in the screenshot"
    keep = os.environ.get("OPSPLAYBOOK_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
