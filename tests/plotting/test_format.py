"""The theme renders Chinese with the CJK font from the mplfonts package, and the chart helpers draw."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from opslib import kpi, plotting  # noqa: E402


def test_formats() -> None:
    assert plotting.money(86.4) == "¥86.40"
    assert plotting.money(8765) == "¥8,765"
    assert plotting.money(123456) == "¥12.3万"
    assert plotting.money(2.5e8) == "¥2.50亿"
    assert plotting.money(-123456, signed=True) == "-¥12.3万"
    assert plotting.money(5000, signed=True) == "+¥5,000"
    assert plotting.money(float("nan")) == "–"
    assert plotting.percent(0.1234) == "12.3%"
    assert plotting.percent(-0.05, signed=True) == "-5.0%"
    assert plotting.number(123456) == "12.3万"
    assert plotting.format_value("conversion_rate", 0.0123) == "1.23%"
    assert plotting.format_value("aov", 99.5) == "¥99.50"


def test_cjk_font_renders_without_missing_glyphs(tmp_path: Path) -> None:
    name = plotting.set_theme()
    assert name == "Noto Sans CJK SC"
    assert plotting.cjk_font_path().name == "NotoSansCJKsc-Regular.otf"
    assert matplotlib.rcParams["font.sans-serif"][0] == name
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would raise
        warnings.simplefilter("ignore", ResourceWarning)  # sockets other tests leaked, collected here
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3], [-1, 2, 3])
        ax.set_title("成交额趋势 GMV 双11 ¥12.3万")
        ax.set_xlabel("周 ISO week")
        ax.set_ylabel("客单价 −")
        out = tmp_path / "cjk.png"
        fig.savefig(out)
        used = font_manager.findfont(ax.title.get_fontproperties())
        plt.close(fig)
    assert Path(used).name == "NotoSansCJKsc-Regular.otf"
    assert out.stat().st_size > 5_000


def _trend() -> pd.DataFrame:
    start = pd.date_range("2024-04-01", periods=8, freq="W-MON")
    return pd.DataFrame({"period_start": start, "days": [7] * 7 + [3],
                         "gmv": [1.2e5, 1.3e5, 1.1e5, 1.5e5, 1.6e5, 1.4e5, 1.8e5, 0.6e5],
                         "orders": [1200, 1250, 1100, 1400, 1500, 1300, 1700, 600],
                         "aov": [100.0, 104, 100, 107, 107, 108, 106, 100],
                         "conversion_rate": [0.021, 0.022, 0.02, 0.025, 0.024, 0.023, 0.026, 0.02]})


def test_chart_helpers_draw_without_warnings(tmp_path: Path) -> None:
    plotting.set_theme()
    decomp = kpi.gmv_decomposition({"gmv": 2700.0, "orders": 30, "visitors": 1200},
                                   {"gmv": 2000.0, "orders": 20, "visitors": 1000})
    comparison = pd.DataFrame({
        "metric": ["gmv", "aov", "return_rate", "conversion_rate"],
        "label": [kpi.METRIC_LABELS[m] for m in ["gmv", "aov", "return_rate", "conversion_rate"]],
        "current": [2700.0, 90.0, 0.05, 0.025], "baseline": [2000.0, 100.0, 0.04, 0.02]})
    comparison["change"] = comparison["current"] - comparison["baseline"]
    comparison["change_pct"] = comparison["change"] / comparison["baseline"]
    mix = pd.DataFrame({"category": ["美妆", "服饰", "食品"], "gmv_current": [6e4, 3e4, 1e4],
                        "share_current": [0.6, 0.3, 0.1], "share_baseline": [0.5, 0.35, 0.15]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ResourceWarning)  # sockets other tests leaked, collected here
        figs = {
            "trend": plotting.kpi_trend_chart(_trend(), ["gmv", "orders", "aov", "conversion_rate"]),
            "waterfall": plotting.decomposition_waterfall(decomp),
            "cards": plotting.kpi_cards(comparison),
            "mix": plotting.category_mix_chart(mix),
        }
        for name, fig in figs.items():
            fig.savefig(tmp_path / f"{name}.png")
            plt.close(fig)
    with pytest.raises(ValueError):
        plotting.kpi_trend_chart(_trend(), ["nope"])
