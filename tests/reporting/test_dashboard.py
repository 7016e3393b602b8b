"""The index dashboard: the latest report per schedule and scope, tiles with sparklines, status, history below."""

from __future__ import annotations

import re

from opslib.reporting.dashboard import dashboard_html, sparkline


def _run(period: str, gmv: float, status: str = "ok", name: str = "00_shop", schedule: str = "daily",
         started: str | None = None, scope: str = "the whole shop") -> dict:
    summary = {"title": "00 · 店铺概览", "scope": scope, "period": f"{period} vs last year",
               "tiles": [{"label": "GMV 成交额", "value": f"¥{gmv / 1e4:.1f}万", "change": "+1.0%", "good": True,
                          "metric": "gmv", "raw": gmv}],
               "verdicts": [f"GMV was {gmv:,.0f}."], "actions": [{"owner": "运营 operations", "text": "look"}],
               "changes": {"since": "", "first": True, "new": [], "resolved": [], "moved": []}}
    return {"name": name, "notebook": "00_shop", "schedule": schedule, "status": status, "period": period,
            "started": started or f"{period}T06:00:00", "html": f"{period}/{name}.html", "seconds": 12.0,
            "parameters": {"data_dir": "/srv/shops/acme", "period_days": 28}, "error": "boom" if status != "ok" else "",
            "summary": summary if status == "ok" else None, "exports": []}


def test_sparkline_is_inline_svg_scaled_to_its_range() -> None:
    svg = sparkline([10.0, None, 30.0, 20.0], width=30, height=10)
    # x = 0, 10, 20, 30; y = 10 - 2 - (v - 10) / 20 * 6: 8.0, gap, 2.0, 5.0 -> the gap splits the line
    assert '<polyline fill="none" stroke="#0173b2" stroke-width="1.5" points="20.0,2.0 30.0,5.0"/>' in svg
    assert "0.0,8.0" not in svg.split("<circle")[0].split("points=")[-1]  # the lone first point draws no line
    assert sparkline([1.0, 1.0]).count("<polyline") == 1  # a flat series is a line in the middle
    assert sparkline([None, 2.0]) == ""


def test_latest_report_per_schedule_and_scope_with_sparkline() -> None:
    runs = [_run("2025-12-29", 1e5), _run("2025-12-30", 1.2e5), _run("2025-12-31", 1.1e5),
            _run("2025-W52", 5e4, name="01_cat__美妆", schedule="weekly", scope="category '美妆'"),
            _run("2025-W52", 4e4, name="01_cat__数码", schedule="weekly", scope="category '数码'")]
    page = dashboard_html(runs)
    cards = re.findall(r'<div class="card".*?</div></div>', page, flags=re.S)
    assert page.count('<div class="card"') == 3
    daily = page[page.index('id="r-00_shop"'):]
    assert 'href="2025-12-31/00_shop.html">00 · 店铺概览' in daily  # the newest period is the card
    assert daily.index("<svg") < daily.index("</div></div>")  # its GMV tile has a sparkline of 3 periods
    assert ">category &#x27;美妆&#x27;</a>" in page  # several cards of one schedule: headed by their scope
    assert "5 runs, newest first." in page and "data_dir = acme" in page and "{&quot;" not in page
    assert cards


def test_a_failed_latest_run_is_red_and_keeps_the_last_good_report() -> None:
    runs = [_run("2025-12-30", 1e5), _run("2025-12-31", 0.0, status="failed")]
    page = dashboard_html(runs)
    card = page[page.index('<div class="card"'):page.index("</section>")]
    assert "失败 failed" in card and "boom" in card and "the last good report, 2025-12-30" in card
    assert 'href="2025-12-30/00_shop.html"' in card and 'href="2025-12-31/00_shop.html">the failed report' in card


def test_empty_history_says_how_to_start() -> None:
    assert "report run --config reports.yml" in dashboard_html([])
