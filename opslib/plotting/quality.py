"""Charts and tables of the data-quality notebook (04): coverage, the import log, outliers, calendar gaps.

Every function takes the frames of ``opslib.data.quality`` / ``opslib.importers`` and returns a Figure, a display
table (strings, see :func:`opslib.plotting.format.format_table`) or text; none reads files or computes a metric.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from opslib.plotting.format import format_table
from opslib.plotting.theme import NEGATIVE, PALETTE


def coverage_chart(coverage: pd.DataFrame) -> Figure:
    """Rows per month (x) per table (one line each) from :func:`opslib.data.quality.coverage`.

    Parameters:
        coverage: :func:`opslib.data.quality.coverage`.

    Returns:
        The Figure.
    """
    fig, ax = plt.subplots(figsize=(11, 4))
    for i, table in enumerate(coverage.columns):
        ax.plot(coverage.index, coverage[table], marker="o", ms=3, label=table, color=PALETTE[i % len(PALETTE)])
    ax.set(title="每月行数 rows per month per table", xlabel="month", ylabel="rows")
    step = max(1, len(coverage) // 12)
    ax.set_xticks(range(0, len(coverage), step), coverage.index[::step], rotation=30)
    if len(coverage.columns):
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def coverage_table(coverage: pd.DataFrame) -> pd.DataFrame:
    """The coverage frame turned for reading: one row per table, one column per month, whole numbers.

    Parameters:
        coverage: :func:`opslib.data.quality.coverage`.

    Returns:
        A display table (strings).
    """
    return format_table(coverage.T.rename_axis("table"))


def import_balance(log: Any) -> str:
    """The import's balance line: ``input = dropped + merged + order lines`` and whether it adds up.

    Parameters:
        log: an ``opslib.importers.ImportLog``.

    Returns:
        One line.
    """
    b = log.balance()
    return (f"{log.kind} from {log.source}: input {b['input']:,} rows = dropped {b['dropped']:,} + merged "
            f"{b['merged']:,} + order lines {b['output']:,} -> {'adds up' if b['ok'] else 'DOES NOT ADD UP'}")


def import_notes(log: Any) -> str:
    """The notes of an import log (assumptions that touched no single row), one per line.

    Parameters:
        log: an ``opslib.importers.ImportLog``.

    Returns:
        The notes, one per line.
    """
    notes = log.to_frame().query("action == 'note'")
    return "\n".join(f"· {r.rule}: {r.why}" for r in notes.itertuples()) or "(no notes)"


def dropped_chart(summary: pd.DataFrame) -> Figure | None:
    """Bars of the rows each rule dropped or merged (:func:`opslib.importers.dropped_summary`); None if none.

    Parameters:
        summary: :func:`opslib.importers.dropped_summary`.

    Returns:
        The Figure, or None when no rule dropped or merged rows.
    """
    shown = summary[summary["action"].isin(["dropped", "merged"])]
    if shown.empty:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(shown) + 1.2))
    ax.barh(shown["table"] + " · " + shown["rule"], shown["rows"], color=PALETTE[0])
    ax.invert_yaxis()
    ax.set(title="删除与合并的行 rows dropped or merged, by rule", xlabel="rows")
    fig.tight_layout()
    return fig


def dropped_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The import rules that touched rows, for display (share of input as %).

    Parameters:
        summary: :func:`opslib.importers.dropped_summary`.

    Returns:
        A display table (strings).
    """
    return format_table(summary, units=["rows"], percent=["share_of_input"], empty="(no rule touched any row)")


def outlier_chart(orders: Any, outliers: pd.DataFrame) -> Figure:
    """One histogram (log counts) per checked column with its high fence (:func:`opslib.data.quality.outliers`).

    The bins are counted in DuckDB (:func:`opslib.data.quality.value_histogram`), up to three times the fence.

    Parameters:
        orders: order lines (frame, path or shop). outliers: :func:`opslib.data.quality.outliers`.

    Returns:
        The Figure.
    """
    from opslib.data.quality import value_histogram

    fig, axes = plt.subplots(1, max(1, len(outliers)), figsize=(5.5 * max(1, len(outliers)), 3.5), squeeze=False)
    for ax, row in zip(axes.flat, outliers.itertuples(), strict=False):
        top = row.fence_high * 3 if np.isfinite(row.fence_high) else 1.0
        h = value_histogram(orders, row.column, top)
        ax.bar(h["left"], h["count"].where(h["count"] > 0), width=h["right"] - h["left"], align="edge",
               color=PALETTE[0], log=True)
        ax.axvline(row.fence_high, color=NEGATIVE, ls="--", lw=1)
        ax.set(title=f"{row.column}: {row.high:,} lines above the fence", xlabel=row.column)
    fig.tight_layout()
    return fig


def outlier_table(outliers: pd.DataFrame) -> pd.DataFrame:
    """:func:`opslib.data.quality.outliers` for display.

    Parameters:
        outliers: :func:`opslib.data.quality.outliers`.

    Returns:
        A display table (strings).
    """
    return format_table(outliers, units=["low", "high"], percent=["share"])


def gaps_chart(daily: pd.Series, gaps: pd.DataFrame, longest: int = 10) -> Figure:
    """Orders per day (:func:`opslib.data.quality.daily_orders`) with the ``longest`` runs of empty days shaded.

    Parameters:
        daily: :func:`opslib.data.quality.daily_orders`. gaps: :func:`opslib.data.quality.calendar_gaps`.
        longest: how many runs to shade.

    Returns:
        The Figure.
    """
    fig, ax = plt.subplots(figsize=(11, 3))
    ax.plot(daily.index, daily.to_numpy(), lw=0.8, color=PALETTE[0])
    for g in gaps.sort_values("days", ascending=False).head(longest).itertuples():
        ax.axvspan(g.start, g.end + pd.Timedelta(hours=23), color=NEGATIVE, alpha=0.2)
    ax.set(title="每日订单数 orders per day (red: longest empty runs)", ylabel="orders")
    fig.tight_layout()
    return fig


def gaps_text(gaps: pd.DataFrame) -> str:
    """How many runs of empty days and empty days there are in total.

    Parameters:
        gaps: :func:`opslib.data.quality.calendar_gaps`.

    Returns:
        One line.
    """
    total = int(gaps["days"].sum()) if len(gaps) else 0
    return f"{len(gaps):,} runs of empty days, {total:,} empty days in total"


def longest_gaps_table(gaps: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` longest runs of empty days, for display.

    Parameters:
        gaps: :func:`opslib.data.quality.calendar_gaps`. n: rows shown.

    Returns:
        A display table (strings).
    """
    return format_table(gaps.sort_values("days", ascending=False).head(n).reset_index(drop=True),
                        empty="(no days without orders)")


def weekday_table(profile: pd.DataFrame) -> pd.DataFrame:
    """:func:`opslib.data.quality.weekday_profile` for display (share of empty days as %).

    Parameters:
        profile: :func:`opslib.data.quality.weekday_profile`.

    Returns:
        A display table (strings).
    """
    return format_table(profile, percent=["empty_share"])


def readiness_text(readiness: pd.DataFrame) -> str:
    """One line per notebook: can it run, and what it will skip (:func:`opslib.data.quality.notebook_readiness`).

    Parameters:
        readiness: :func:`opslib.data.quality.notebook_readiness`.

    Returns:
        One line per notebook.
    """
    return "\n".join(f"{r.notebook}: {'can run' if r.can_run else 'cannot run'}" + (f" — {r.skips}" if r.skips else "")
                     for r in readiness.itertuples())


def header(first_day: Any, last_day: Any, tables: Any) -> dict[str, str]:
    """The data-quality summary's period and scope lines: the days the orders span and the tables present.

    Formula: days = last - first + 1 (both days included).

    Parameters:
        first_day, last_day: the first and last order day (dates or timestamps; None when there are no orders).
        tables: the names of the tables present (e.g. ``shop.available``).

    Returns:
        ``{"period": ..., "scope": ...}`` for ``ExecutiveSummary(title, **header(...))``.

    Example:
        >>> header(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31 18:00"), ["orders", "products"])
        {'period': '2025-01-01 .. 2025-12-31 (365 days)', 'scope': 'orders, products'}
    """
    scope = ", ".join(str(t) for t in tables)
    if first_day is None or last_day is None or pd.isna(first_day) or pd.isna(last_day):
        return {"period": "no orders", "scope": scope}
    first, last = pd.Timestamp(first_day).normalize(), pd.Timestamp(last_day).normalize()
    return {"period": f"{first:%Y-%m-%d} .. {last:%Y-%m-%d} ({(last - first).days + 1:,} days)", "scope": scope}


def summarise_quality(summary: Any, report: Any, shop: Any, outliers: pd.DataFrame, gaps: pd.DataFrame,
                      readiness: pd.DataFrame, log: Any = None) -> Any:
    """Fill the data-quality report's executive summary: contract problems, tables, outliers, gaps, readiness.

    Parameters:
        summary: an ``opslib.reporting.ExecutiveSummary``. report: ``opslib.data.validate_shop``. shop: the loaded
        shop. outliers, gaps, readiness: ``opslib.data.quality`` results. log: the import log (or None).

    Returns:
        The summary (filled in place).
    """
    summary.tile("合同问题 contract problems", f"{len(report.problems):,}", good=not report.problems)
    summary.tile("表 tables", f"{len(shop.available)} of {len(shop.available) + len(shop.missing)}")
    high = int(outliers["high"].sum()) if len(outliers) else 0
    summary.tile("异常行 outlier lines", f"{high:,}", good=None if high == 0 else False)
    empty = int(gaps["days"].sum()) if len(gaps) else 0
    summary.tile("无单日 empty days", f"{empty:,}", good=None if empty == 0 else False)
    summary.verdict("The shop meets the data contract." if report.ok
                    else f"The shop fails the data contract in {len(report.problems)} place(s).")
    if log is not None:
        summary.verdict(import_balance(log))
    can = readiness[readiness["can_run"]]["notebook"].tolist()
    summary.verdict(f"It can feed {len(can)} of {len(readiness)} notebooks: {', '.join(can) or 'none'}.")
    for table in shop.missing:
        summary.action("数据 data", f"export the {table} table to unlock what the notebooks skip without it.",
                       key=f"missing:{table}")
    return summary
