"""One chart theme for every notebook and report, plus the chart helpers the notebooks share.

:func:`set_theme` registers the CJK font shipped inside the ``mplfonts`` pip package (Noto Sans CJK
SC) with matplotlib and puts it first in ``font.sans-serif``, so Chinese labels render on a fresh
machine or CI runner without system fonts; ``axes.unicode_minus`` is off because the CJK font has
no Unicode minus glyph.

Number formats (Chinese conventions): :func:`money` writes ``¥8,765``, ``¥12.3万``, ``¥1.23亿``;
:func:`percent` writes ``12.3%``.

Example:
    >>> money(123456), money(2.5e8), money(86.4), percent(0.1234), percent(0.02, signed=True)
    ('¥12.3万', '¥2.50亿', '¥86.40', '12.3%', '+2.0%')
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

#: Categorical palette used for series and categories (colour-blind friendly, from seaborn's ``colorblind``).
PALETTE: list[str] = ["#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4",
                      "#949494", "#ece133", "#56b4e9"]
#: Colours for good/bad changes and for totals in waterfalls.
POSITIVE = "#029e73"
NEGATIVE = "#d55e00"
TOTAL = "#4d4d4d"
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"

_RATE_HINTS = ("rate", "conversion", "share", "pct")
_MONEY_HINTS = ("gmv", "net_sales", "aov", "sales", "revenue", "spend", "cost", "profit")


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font file inside the installed ``mplfonts`` package.

    Located through the package's import spec (without importing it), so it works wherever pip put it.
    """
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mplfonts package is not installed: pip install mplfonts")
    for base in spec.submodule_search_locations:
        path = Path(base) / "fonts" / CJK_FONT_FILE
        if path.exists():
            return path
    raise RuntimeError(f"{CJK_FONT_FILE} not found in the mplfonts package")


def set_theme(context: str = "notebook") -> str:
    """Apply the opsplaybook theme (seaborn whitegrid, :data:`PALETTE`, CJK font); return the font name.

    Idempotent; call it once at the top of every notebook or report.
    """
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    sans = [name] + [f for f in mpl.rcParams["font.sans-serif"] if f != name]
    sns.set_theme(
        context=context,
        style="whitegrid",
        palette=PALETTE,
        font="sans-serif",
        rc={
            "font.sans-serif": sans,
            "axes.unicode_minus": False,
            "figure.figsize": (10, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 120,
            "savefig.bbox": "tight",
            "axes.spines.top": False,
            "axes.spines.right": False,
        },
    )
    return name


# ------------------------------------------------------------------------------------------ formats
def money(x: float, signed: bool = False) -> str:
    """Format an amount in yuan: ``¥86.40`` (< 100), ``¥8,765`` (< 1万), ``¥12.3万`` (< 1亿), ``¥1.23亿``.

    ``signed=True`` adds ``+`` to positive amounts (for changes). NaN gives ``'–'``.

    Example: money(-123456, signed=True) -> '-¥12.3万'.
    """
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return "–"
    x = float(x)
    sign = "-" if x < 0 else ("+" if signed and x > 0 else "")
    a = abs(x)
    if a < 100:
        body = f"{a:.2f}"
    elif a < 1e4:
        body = f"{a:,.0f}"
    elif a < 1e8:
        body = f"{a / 1e4:,.1f}万"
    else:
        body = f"{a / 1e8:,.2f}亿"
    return f"{sign}¥{body}"


def percent(x: float, digits: int = 1, signed: bool = False) -> str:
    """Format a fraction as a percentage: ``0.1234 -> '12.3%'``; ``signed`` adds ``+``; NaN -> ``'–'``."""
    if x is None or pd.isna(x):
        return "–"
    return f"{float(x) * 100:{'+' if signed else ''}.{digits}f}%"


def number(x: float, signed: bool = False) -> str:
    """Format a count: ``8,765``, ``12.3万``, ``1.23亿`` (``signed`` adds ``+``); NaN -> ``'–'``."""
    if x is None or pd.isna(x):
        return "–"
    x = float(x)
    sign = "-" if x < 0 else ("+" if signed and x > 0 else "")
    a = abs(x)
    if a < 1e4:
        body = f"{a:,.0f}" if a == round(a) else f"{a:,.2f}"
    elif a < 1e8:
        body = f"{a / 1e4:,.1f}万"
    else:
        body = f"{a / 1e8:,.2f}亿"
    return sign + body


def metric_kind(metric: str) -> str:
    """``'rate'``, ``'money'`` or ``'count'``, guessed from a metric name (``conversion_rate`` -> rate)."""
    m = metric.lower()
    if any(h in m for h in _RATE_HINTS):
        return "rate"
    if any(h in m for h in _MONEY_HINTS):
        return "money"
    return "count"


def format_value(metric: str, x: float, signed: bool = False) -> str:
    """Format ``x`` as :func:`money`, :func:`percent` or :func:`number` according to :func:`metric_kind`."""
    kind = metric_kind(metric)
    if kind == "rate":
        return percent(x, digits=2 if "conversion" in metric else 1, signed=signed)
    if kind == "money":
        return money(x, signed=signed)
    return number(x, signed=signed)


def format_change(metric: str, change: float, change_pct: float) -> str:
    """A change for display: percentage points for rates (``+0.58 pt``), relative otherwise (``+2.9%``)."""
    if metric_kind(metric) == "rate":
        return "–" if pd.isna(change) else f"{change * 100:+.2f} pt"
    return percent(change_pct, signed=True)


def axis_formatter(metric: str) -> FuncFormatter:
    """A matplotlib tick formatter for ``metric`` (¥/万 for money, % for rates)."""
    return FuncFormatter(lambda v, _pos: format_value(metric, v))


# ------------------------------------------------------------------------------------------- charts
def _label(metric: str, labels: dict[str, str] | None) -> str:
    if labels and metric in labels:
        return labels[metric]
    from opslib.kpi import METRIC_LABELS

    return METRIC_LABELS.get(metric, metric)


def kpi_trend_chart(df: pd.DataFrame, metrics: Sequence[str], x: str = "period_start",
                    labels: dict[str, str] | None = None, ncols: int = 2) -> Figure:
    """Small multiples, one line chart per metric of a :func:`opslib.kpi.kpi_trend` frame.

    Buckets only partly covered by the data (``days`` below the bucket's usual length) are drawn as
    hollow markers so a half week is not read as a drop.
    """
    metrics = [m for m in metrics if m in df.columns]
    if not metrics:
        raise ValueError("kpi_trend_chart: none of the metrics is a column of the frame")
    ncols = min(ncols, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.5 * ncols, 3.0 * nrows), squeeze=False, sharex=True)
    partial = pd.Series(False, index=df.index)
    if "days" in df.columns and len(df) > 2:
        partial = df["days"] < df["days"].max()
    for i, (ax, m) in enumerate(zip(axes.flat, metrics, strict=False)):
        color = PALETTE[i % len(PALETTE)]
        ax.plot(df[x], df[m], color=color, marker="o", markersize=3.5, linewidth=1.6)
        if partial.any():
            ax.scatter(df.loc[partial, x], df.loc[partial, m], s=40, facecolor="white", edgecolor=color,
                       zorder=3, label="不完整周期 partial")
        ax.set_title(_label(m, labels), fontsize=11)
        ax.yaxis.set_major_formatter(axis_formatter(m))
        ax.set_xlabel("")
        ax.tick_params(axis="x", labelrotation=30)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def decomposition_waterfall(decomp: pd.DataFrame, title: str = "GMV 变化拆解 GMV change decomposition",
                            baseline_label: str = "基期 GMV", current_label: str = "本期 GMV") -> Figure:
    """Waterfall from baseline GMV to current GMV through the drivers of :func:`opslib.kpi.gmv_decomposition`.

    Baseline GMV = product of the drivers' ``baseline`` values (visitors x conversion x AOV), so the
    chart needs nothing but the decomposition frame.
    """
    g0 = float(decomp.attrs.get("gmv_baseline", decomp["baseline"].prod()))
    g1 = float(decomp.attrs.get("gmv_current", decomp["current"].prod()))
    names = [baseline_label, *[str(s) for s in decomp["label"]], current_label]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    running = g0
    ax.bar(0, g0, color=TOTAL)
    ax.text(0, g0, money(g0), ha="center", va="bottom", fontsize=10)
    for i, c in enumerate(decomp["contribution"], start=1):
        c = float(c)
        bottom = running if c >= 0 else running + c
        ax.bar(i, abs(c), bottom=bottom, color=POSITIVE if c >= 0 else NEGATIVE)
        ax.text(i, bottom + abs(c), money(c, signed=True), ha="center", va="bottom", fontsize=10)
        ax.plot([i - 1 + 0.4, i - 0.4], [running, running], color="#999999", linewidth=0.8)
        running += c
    n = len(names) - 1
    ax.plot([n - 1 + 0.4, n - 0.4], [running, running], color="#999999", linewidth=0.8)
    ax.bar(n, g1, color=TOTAL)
    ax.text(n, g1, money(g1), ha="center", va="bottom", fontsize=10)
    ax.set_xticks(range(len(names)), names)
    ax.yaxis.set_major_formatter(axis_formatter("gmv"))
    lo = min(g0, g1, running) * 0.85
    ax.set_ylim(bottom=max(0.0, min(lo, min(g0, g1) - abs(g1 - g0) * 1.5)))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def kpi_cards(comparison: pd.DataFrame, ncols: int = 4, higher_is_worse: Sequence[str] = (
        "return_rate", "cancellation_rate")) -> Figure:
    """KPI cards from :func:`opslib.kpi.compare_periods`: the current value and the change vs baseline.

    Green = better, red = worse; for metrics in ``higher_is_worse`` an increase is red.
    """
    n = len(comparison)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 1.7 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, row in zip(axes.flat, comparison.itertuples(index=False), strict=False):
        ax.add_patch(plt.Rectangle((0.02, 0.04), 0.96, 0.92, transform=ax.transAxes, facecolor="#f5f6f8",
                                   edgecolor="#d9dce1"))
        ax.text(0.08, 0.78, row.label, transform=ax.transAxes, fontsize=10, color="#555555")
        ax.text(0.08, 0.44, format_value(row.metric, row.current), transform=ax.transAxes, fontsize=17)
        delta = format_change(row.metric, row.change, row.change_pct)
        good = (row.change >= 0) != (row.metric in higher_is_worse)
        color = "#777777" if pd.isna(row.change) or row.change == 0 else (POSITIVE if good else NEGATIVE)
        ax.text(0.08, 0.14, f"{delta}  vs {format_value(row.metric, row.baseline)}", transform=ax.transAxes,
                fontsize=9.5, color=color)
    title = "本期 vs 对比期"
    if "current" in comparison.attrs:
        title += f"  ({comparison.attrs['current']} vs {comparison.attrs.get('baseline', '')})"
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def category_mix_chart(mix: pd.DataFrame, top: int = 12) -> Figure:
    """Horizontal bars of each category's GMV share (:func:`opslib.kpi.category_mix`), baseline as dots."""
    d = mix.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(d) + 1.5))
    ax.barh(d["category"], d["share_current"], color=PALETTE[0], label="本期 current")
    if "share_baseline" in d.columns:
        ax.scatter(d["share_baseline"], d["category"], color=TOTAL, zorder=3, label="对比期 baseline")
    base = d["share_baseline"] if "share_baseline" in d.columns else d["share_current"]
    for y, (s, b, g) in enumerate(zip(d["share_current"], base, d["gmv_current"], strict=True)):
        ax.text(max(s, b), y, f"  {percent(s)} · {money(g)}", va="center", fontsize=9)
    ax.xaxis.set_major_formatter(axis_formatter("share"))
    ax.set_xlim(0, max(d["share_current"].max(), d.get("share_baseline", d["share_current"]).max()) * 1.3)
    ax.set_title("品类 GMV 占比 Category mix of GMV")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
