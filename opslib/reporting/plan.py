"""Planning report runs: which notebook, with which parameters, into which period folder, within which time.

A *run* is one notebook executed with concrete parameters. Runs come from the command line
(``report run 01 -p category 美妆``) or from named schedules in ``reports.yml``::

    defaults:                       # parameters every run gets (a notebook that lacks one ignores it)
      data_dir: data/sample         # relative paths: from the folder you run the command in
    schedules:
      weekly_category_review:
        notebook: 01_category_optimisation
        period: week                # folder label: ISO week (2026-W48); or month, day
        parameters: {period_days: 7}
        for_each: {category: top_categories 3}   # one run per value
        timeout: 20m                # the whole report; default: sized from its history (run.py)
        cell_timeout: 10m           # any one cell; default: no limit of its own
      campaign_review:
        notebook: 02_campaign_evaluation
        for_each: {campaign_id: ended_campaigns 14}

**Periods that fit the schedule.** A report folder is named by the *data* period, not the run day: the
``period_end`` parameter when given, else the last day with orders in the shop (:func:`data_end`). A
``period: week`` schedule reviews the last complete ISO week of the data (Monday to Sunday) and a
``period: month`` / ``period: quarter`` schedule the last complete month / calendar quarter: when the notebook
declares ``period_end`` and the schedule does not set it, the runner sets it to that week's Sunday / that month's
or quarter's last day (and ``period_start`` to its first day when the notebook declares it, else ``period_days``
to the period's length when the notebook declares that and the schedule does not set it) — :func:`fit_period`. So the Monday
06:30 weekly review covers exactly the week that just ended and lands in ``reports/2025-W52/``.

``for_each`` takes a list of values or one of the data-driven sources: ``top_categories N`` (the N
categories with the highest GMV over the last 28 days of data), ``all_categories``,
``ended_campaigns N`` (campaigns whose last day lies in the last N days of data), ``settled_campaigns N``
(campaigns whose after-period of ``post_days`` ended in the last N days: reviewed once, with the pull-forward
dip complete), ``all_campaigns``.

Values are typed by the notebook's declaration (:mod:`opslib.reporting.params`), never by their looks:
``reports.yml`` is read with every value as text, like ``-p``, so ``category: No`` is the text ``No``
and ``campaign_id: 0123`` the text ``0123``. Every run is checked before any kernel starts
(:func:`check_run`): known names, declared types, bounds and choices, ISO dates, folders, and that a
category, campaign or scope exists in the shop — the ``data_dir`` given, or the notebook's own default.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from opslib.errors import ReportError, UserError
from opslib.reporting.exports import safe_filename
from opslib.reporting.params import (
    DATE_PARAMETERS,
    PATH_KINDS,
    Param,
    convert,
    declared_parameters,
    default_path,
    suggest,
)

#: The repository root, its notebook templates and the reports folder.
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"

SCHEDULE_KEYS = {"notebook", "period", "parameters", "for_each", "description", "timeout", "cell_timeout"}
PERIOD_KINDS = ("day", "week", "month", "quarter")
_PERIOD_LABEL = re.compile(r"^[\w][\w.+-]{0,63}$")

__all__ = ["DATE_PARAMETERS", "Run", "check_run", "data_end", "declared_parameters", "discover", "expand_source",
           "find_notebook", "fit_period", "load_config", "parse_duration", "period_label", "plan_schedules"]


@dataclass
class Run:
    """One concrete report run."""

    name: str  # report name: the notebook stem, or stem__value for expanded schedules
    notebook: Path
    parameters: dict[str, Any]  # as given (text) until check_run types them
    period: str  # folder label under reports/
    schedule: str = ""
    warnings: list[str] = field(default_factory=list)
    timeout: float | None = None  # seconds for the whole report; None: sized at run time (run.py)
    cell_timeout: float | None = None  # seconds for any one cell; None: no limit of its own
    timeout_note: str = ""  # where the time limit came from (run.apply_timeouts)
    failed: str = ""  # why the run fails before it starts (its schedule could not be expanded), or ''
    template: str = ""  # committed | modified | unverified


# ------------------------------------------------------------------------------------- notebooks


def discover(notebook_dir: Path) -> dict[str, Path]:
    """Notebooks by name (file stem), sorted: ``{'00_shop_at_a_glance': Path(...), ...}``."""
    return {p.stem: p for p in sorted(Path(notebook_dir).glob("[0-9][0-9]_*.ipynb"))}


def find_notebook(name: str, available: dict[str, Path]) -> str:
    """The stem matching ``name`` exactly or by its number prefix (``'01'``); ReportError otherwise."""
    for stem in available:
        if stem == name or stem.split("_", 1)[0] == name:
            return stem
    close = suggest(name, list(available))
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ReportError(f"no notebook named {name!r}{hint}; available: {', '.join(available) or 'none'}")


# ------------------------------------------------------------------------------------ durations

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hours?)\s*$", re.I)


def parse_duration(text: Any, what: str = "timeout") -> float:
    """Seconds in a duration with its unit: ``90s``, ``20m`` / ``20min``, ``1.5h``; ReportError otherwise.

    A bare number is refused: "30" could mean seconds or minutes, and a report stopped after 30 seconds
    by mistake is a bad morning.

    Example:
        >>> parse_duration("90s"), parse_duration("20min"), parse_duration("1.5h")
        (90.0, 1200.0, 5400.0)
    """
    m = _DURATION.match(str(text))
    if not m or float(m.group(1)) <= 0:
        raise ReportError(f"{what} {text!r}: give a positive duration with its unit, e.g. 90s, 20m or 2h")
    unit = m.group(2).lower()[0]
    return float(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[unit]


def format_duration(seconds: float) -> str:
    """``3600`` -> ``'1h'``, ``90`` -> ``'1.5m'``, ``20`` -> ``'20s'``.

    Example:
        >>> format_duration(3600), format_duration(90), format_duration(20)
        ('1h', '1.5m', '20s')
    """
    if seconds >= 3600:
        return f"{seconds / 3600:.3g}h"
    if seconds >= 60:
        return f"{seconds / 60:.3g}m"
    return f"{seconds:.3g}s"


# ------------------------------------------------------------------------------------- checking


def _shop_values(data_dir: Path, table: str, columns: tuple[str, ...]) -> set[str] | None:
    """Distinct values of ``table``'s ``columns`` in the shop, or None when the table is absent or unreadable."""
    from opslib.data import load_shop
    from opslib.errors import DataError

    key = (str(data_dir), table, columns, tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                                                       for p in Path(data_dir).iterdir() if p.is_file())))
    if key in _SHOP_CACHE:
        return _SHOP_CACHE[key]
    try:
        shop = load_shop(data_dir, tables=["products", table] if table != "products" else ["products"],
                         validate=False)
    except (DataError, OSError):
        return None
    frame = getattr(shop, table)
    values = None if frame is None else {str(v) for c in columns if c in frame.columns
                                         for v in frame[c].dropna().unique()}
    _SHOP_CACHE[key] = values
    return values


_SHOP_CACHE: dict[tuple, set[str] | None] = {}


def _listing(values: set[str], limit: int = 20) -> str:
    items = sorted(values)
    return ", ".join(items) if len(items) <= limit else f"{len(items)} of them, e.g. {', '.join(items[:8])}"


def effective_data_dir(run: Run, declared: dict[str, Param]) -> tuple[Path | None, str]:
    """The shop a run will read: its ``data_dir`` parameter, else the notebook's default (resolved against
    the notebook's folder, the kernel's working directory). Returns the folder and how it was chosen."""
    value = run.parameters.get("data_dir")
    if value:
        return Path(str(value)), "data_dir"
    param = declared.get("data_dir")
    if param is None:
        return None, ""
    path = default_path(param, run.notebook)
    return path, f"the notebook's default data_dir {param.default_text}"


def _shop_checks(run: Run, declared: dict[str, Param], data_dir: Path, origin: str) -> list[str]:
    problems = []
    where = f"{data_dir}" if origin == "data_dir" else f"{data_dir} ({origin})"
    for key, value in run.parameters.items():
        param = declared.get(key)
        if param is None or value is None or param.kind not in ("category", "campaign", "scope"):
            continue
        if param.kind == "category":
            cats = _shop_values(data_dir, "products", ("category",))
            if cats is not None and str(value) not in cats:
                close = suggest(str(value), sorted(cats))
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                problems.append(f"{key} {value!r} is not in {where}/products{hint} categories: {_listing(cats)}")
        elif param.kind == "campaign":
            ids = _shop_values(data_dir, "campaigns", ("campaign_id",))
            if ids is None:
                problems.append(f"{key} {value!r} given but {where} has no campaigns table")
            elif str(value) not in ids:
                close = suggest(str(value), sorted(ids))
                hint = f"; did you mean {', '.join(close)}?" if close else f"; {len(ids)} campaigns exist"
                problems.append(f"{key} {value!r} is not in {where}/campaigns{hint}")
        else:
            from opslib.campaigns.table import parse_scope
            from opslib.errors import CampaignError

            try:
                kind, names = parse_scope(str(value))
            except CampaignError as exc:
                problems.append(f"{key}: {exc}")
                continue
            if kind == "all" or not names:
                continue
            cols = ("category", "subcategory") if kind == "category" else ("sku",)
            known = _shop_values(data_dir, "products", cols)
            if known is None:
                continue
            for n in names.split("|"):
                if n not in known:
                    close = suggest(n, sorted(known))
                    hint = f"; did you mean {', '.join(close)}?" if close else ""
                    what = "category or subcategory" if kind == "category" else "SKU"
                    problems.append(f"{key}: {n!r} is no {what} of {where}/products{hint}")
    return problems


def check_run(run: Run, declared: dict[str, Param], base: Path | None = None) -> list[str]:
    """Problems with ``run`` (empty list when fine), found without starting a kernel; types its parameters.

    Every given value is converted by the notebook's declaration (:func:`opslib.reporting.params.convert`,
    relative paths against ``base``, default the working directory) and ``run.parameters`` is replaced by
    the typed values. Then: ``data_dir`` (given, or the notebook's default) must be a folder, and any
    ``category``, ``campaign`` or ``scope`` value must exist in that shop (with close-match suggestions).
    """
    base = Path.cwd() if base is None else base
    problems: list[str] = []
    typed: dict[str, Any] = {}
    for key, value in run.parameters.items():
        param = declared.get(key)
        if param is None:
            close = suggest(key, list(declared))
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            problems.append(f"unknown parameter {key!r}{hint}; {run.notebook.stem} takes: "
                            f"{', '.join(declared) or 'none'}")
            continue
        try:
            typed[key] = convert(param, value, base)
        except ValueError as exc:
            problems.append(str(exc))
    run.parameters = {**{k: v for k, v in run.parameters.items() if k not in declared}, **typed}
    if not problems:
        data_dir, origin = effective_data_dir(run, declared)
        if data_dir is not None and origin != "data_dir" and not data_dir.is_dir():
            problems.append(f"data_dir: {origin} points at {data_dir}, which is not a folder; give -p data_dir "
                            "(or build the sample shop: make sample)")
        elif data_dir is not None and data_dir.is_dir():
            problems.extend(_shop_checks(run, declared, data_dir, origin))
    return [f"{run.name}: {m}" for m in problems]


# ---------------------------------------------------------------------------------------- periods


def _given(value: Any) -> bool:
    return value is not None and str(value).strip() not in ("", "None", "null")


def period_label(kind: str | None, parameters: dict[str, Any], today: dt.date | None = None,
                 data_end: dt.date | None = None) -> str:
    """The reports/ sub-folder of a run: the data period it covers.

    The reference day is the ``period_end`` parameter when given, else ``data_end`` (the last day with
    orders, :func:`data_end`), else ``today``; ``kind`` 'week' gives its ISO week (``2026-W48``), 'month'
    ``2026-11``, 'quarter' ``2026-Q4``, 'day' or None ``2026-11-25``.

    Parameters:
        kind: the schedule's period (``day``, ``week``, ``month``, ``quarter`` or None). parameters: the run's
        parameters.
        today: the fallback day (default: today). data_end: the last day of the data, when known.

    Returns:
        The folder label.

    Example:
        >>> period_label("week", {"period_end": "2024-12-30"})
        '2025-W01'
        >>> period_label(None, {}, data_end=dt.date(2025, 12, 31))
        '2025-12-31'
        >>> period_label("quarter", {"period_end": "2025-11-30"})
        '2025-Q4'
    """
    ref = parameters.get("period_end")
    if not _given(ref):
        ref = None
    try:
        day = dt.date.fromisoformat(str(ref)) if ref else (data_end or today or dt.date.today())
    except ValueError:
        raise ReportError(f"parameter 'period_end' must be a date like 2025-06-18, got {ref!r}") from None
    if kind == "week":
        y, w, _ = day.isocalendar()
        return f"{y}-W{w:02d}"
    if kind == "month":
        return f"{day:%Y-%m}"
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if kind in (None, "day"):
        return day.isoformat()
    raise ReportError(f"period must be one of {', '.join(PERIOD_KINDS)}, got {kind!r}")


def last_complete(kind: str | None, day: dt.date) -> tuple[dt.date, dt.date]:
    """The last complete period of ``kind`` that ends on or before ``day``: ``(first day, last day)``.

    Formula: 'week' -> the ISO week (Monday .. Sunday) ending on the last Sunday <= ``day``; 'month' -> the
    month of ``day`` when ``day`` is its last day, else the month before; 'quarter' -> likewise for the calendar
    quarter (Jan-Mar, Apr-Jun, Jul-Sep, Oct-Dec); 'day' or None -> ``(day, day)``.

    Parameters:
        kind: ``day``, ``week``, ``month``, ``quarter`` or None. day: the last day with data.

    Returns:
        The first and last day of that period.

    Example:
        >>> last_complete("week", dt.date(2025, 12, 31))     # a Wednesday: the week before is the last whole one
        (datetime.date(2025, 12, 22), datetime.date(2025, 12, 28))
        >>> last_complete("month", dt.date(2025, 12, 31)), last_complete("month", dt.date(2025, 12, 15))[1]
        ((datetime.date(2025, 12, 1), datetime.date(2025, 12, 31)), datetime.date(2025, 11, 30))
        >>> last_complete("quarter", dt.date(2025, 12, 15))   # Q4 is not over: Q3, 1 Jul .. 30 Sep
        (datetime.date(2025, 7, 1), datetime.date(2025, 9, 30))
    """
    if kind == "week":
        end = day - dt.timedelta(days=(day.weekday() + 1) % 7)
        return end - dt.timedelta(days=6), end
    if kind == "month":
        nxt = day + dt.timedelta(days=1)
        end = day if nxt.month != day.month else day.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end
    if kind == "quarter":
        nxt = day + dt.timedelta(days=1)
        closes = nxt.day == 1 and nxt.month in (1, 4, 7, 10)  # day is the last day of its quarter
        end = day if closes else dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1) - dt.timedelta(days=1)
        return dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end
    return day, day


def fit_period(kind: str | None, declared: dict[str, Param], parameters: dict[str, Any],
               last_day: dt.date | None) -> dict[str, Any]:
    """The run's parameters with the period fitted to its schedule (module doc, "Periods that fit").

    Formula: for ``kind`` 'week', 'month' or 'quarter', a notebook that declares ``period_end`` and was not given
    one gets ``period_end`` = the last day of :func:`last_complete` (``kind``, ``last_day``), and ``period_start`` =
    its first day when it declares ``period_start`` and was not given one; a notebook that declares
    ``period_days`` but not ``period_start`` gets ``period_days`` = the period's length in days when it was not
    given (so a quarterly review covers the whole quarter: 92 days for Oct-Dec). Nothing changes for 'day' /
    None, without ``last_day``, or when the period is given.

    Parameters:
        kind: the schedule's period. declared: the notebook's parameters. parameters: the run's parameters.
        last_day: the last day with orders (:func:`data_end`), or None.

    Returns:
        A new parameter dict (text dates, like ``-p`` values).

    Example:
        >>> p = {"period_end": Param("period_end", None, "None", "date", True)}
        >>> fit_period("week", p, {"period_days": "7"}, dt.date(2025, 12, 31))
        {'period_days': '7', 'period_end': '2025-12-28'}
    """
    out = dict(parameters)
    if kind not in ("week", "month", "quarter") or last_day is None or "period_end" not in declared:
        return out
    if _given(out.get("period_end")) or _given(out.get("period_start")):
        return out
    first, last = last_complete(kind, last_day)
    out["period_end"] = last.isoformat()
    if "period_start" in declared:
        out["period_start"] = first.isoformat()
    elif "period_days" in declared and not _given(out.get("period_days")):
        out["period_days"] = str((last - first).days + 1)
    return out


_END_CACHE: dict[tuple, dt.date | None] = {}


def data_end(data_dir: str | Path | None) -> dt.date | None:
    """The last day with orders in the shop at ``data_dir`` (None when there is no readable orders table).

    Formula: ``max(order_ts)`` over the orders file(s), read by DuckDB for Parquet (one column, fast at 10M
    lines) and through the contract reader otherwise; cached by the files' names, sizes and times.

    Parameters:
        data_dir: a shop folder, or None.

    Returns:
        The day, or None.
    """
    if not data_dir or not Path(data_dir).is_dir():
        return None
    folder = Path(data_dir)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.startswith("orders"))
    key = (str(folder), tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if key in _END_CACHE:
        return _END_CACHE[key]
    from opslib.data.cube import order_span

    last = None
    for f in files:
        try:
            if f.suffix == ".parquet":
                _, day, n = order_span(str(f))
            else:
                from opslib.data import read_table

                _, day, n = order_span(read_table(f, "orders"))
        except Exception:  # an unreadable file is the run's failure later, not the plan's
            continue
        if n and not pd.isna(day):
            last = max(last, day.date()) if last else day.date()
    _END_CACHE[key] = last
    return last


def check_period(label: str) -> str:
    """A ``--period`` label as given, or ReportError: it names one folder inside the reports folder.

    Example:
        >>> check_period("2024-W13")
        '2024-W13'
        >>> check_period("../../etc")
        Traceback (most recent call last):
        ...
        opslib.errors.ReportError: --period '../../etc' must be one folder name (letters, digits, '-', '_', '.', '+'; not starting with '.' or '-'), e.g. 2024-W13
    """
    if not _PERIOD_LABEL.match(label) or ".." in label or label.startswith("_"):
        raise ReportError(f"--period {label!r} must be one folder name (letters, digits, '-', '_', '.', '+'; "
                          "not starting with '.' or '-'), e.g. 2024-W13")
    return label


# ---------------------------------------------------------------------------------- schedules

_SOURCE = re.compile(
    r"^\s*(top_categories|ended_campaigns|settled_campaigns|all_categories|all_campaigns)\s*(\d+)?\s*$")


def expand_source(source: Any, data_dir: Path | None, post_days: int = 14) -> list[Any]:
    """The values a ``for_each`` entry stands for: a list as it is, or a data-driven source (module doc).

    ``settled_campaigns N``: campaigns whose after-period — ``post_days`` days after their last day, where a
    campaign review looks for the pull-forward dip — ended in the last N days of data (so a weekly schedule
    reviews each campaign once, when its after-period is complete). ``ended_campaigns N``: campaigns whose last
    day lies in the last N days of data.

    Parameters:
        source: a list, or ``top_categories N``, ``all_categories``, ``ended_campaigns N``, ``settled_campaigns N``,
            ``all_campaigns``. data_dir: the shop. post_days: the review's after-period (``settled_campaigns``).

    Returns:
        The values, one run each.
    """
    if isinstance(source, list):
        return source
    m = _SOURCE.match(str(source))
    if not m:
        raise ReportError(
            f"for_each value {source!r}: expected a list or one of top_categories N, all_categories, "
            "ended_campaigns N, settled_campaigns N, all_campaigns"
        )
    if data_dir is None or not data_dir.is_dir():
        raise ReportError(f"for_each {source!r} needs data_dir to point at a shop folder, got {data_dir}")
    what, n = m.group(1), int(m.group(2) or 0)
    from opslib.data import cube, load_shop

    # Aggregates on the shop's engine (DuckDB or Spark): the order lines never come into pandas.
    if what in {"top_categories", "all_categories"}:
        shop = load_shop(data_dir, tables=["orders", "products"], validate=False)
        if what == "all_categories":
            return sorted(shop.products["category"].dropna().unique().tolist())
        return recent_top_categories(shop, n or 3)
    shop = load_shop(data_dir, tables=["orders", "products", "campaigns"], validate=False)
    if shop.campaigns is None:
        return []
    camps = shop.campaigns
    if what == "all_campaigns":
        return camps["campaign_id"].tolist()
    last_day = cube.order_span(shop)[1]
    ends = camps["end"] + pd.Timedelta(days=post_days if what == "settled_campaigns" else 0)
    recent = camps[(ends <= last_day) & (ends > last_day - pd.Timedelta(days=n or 14))]
    return recent.sort_values("end")["campaign_id"].tolist()


def recent_top_categories(shop: Any, n: int = 3, days: int = 28) -> list[str]:
    """The ``n`` categories with the most GMV in the last ``days`` days of orders, in one SQL aggregate.

    Formula: ``last`` = the last day with an order line (any status); GMV = sum(quantity x unit_price) over
    the non-cancelled lines of days ``d`` with ``last - days < d <= last``, per ``products.category`` (a
    category with lines in those days, all cancelled, has GMV 0; lines whose SKU has no category are left
    out); sorted by GMV descending, then category. Runs on the shop's engine.

    Parameters:
        shop: a shop from ``load_shop`` with orders and products. n: how many. days: the recent window.

    Returns:
        The category names, best first.

    Example:
        >>> import tempfile
        >>> from opslib.data import load_shop
        >>> d = Path(tempfile.mkdtemp())
        >>> pd.DataFrame({"sku": ["a", "b", "c"], "name": "x", "category": ["食品", "数码", "美妆"], "subcategory": "y",
        ...     "brand": "z", "unit_cost": 1.0, "launch_date": None}).to_parquet(d / "products.parquet")
        >>> pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4"], "customer_id": "c", "sku": ["a", "b", "c", "c"],
        ...     "order_ts": pd.to_datetime(["2024-06-30", "2024-06-30", "2024-05-01", "2024-06-29"]),
        ...     "quantity": 1, "unit_price": [5.0, 9.0, 99.0, 1.0], "list_price": 99.0, "channel": "app",
        ...     "region": "华东", "status": ["completed", "completed", "completed", "cancelled"],
        ...     "campaign_id": None}).to_parquet(d / "orders.parquet")
        >>> recent_top_categories(load_shop(d, validate=False), 2)  # 美妆's 99 is older than 28 days
        ['数码', '食品']
    """
    lines = getattr(shop, "lines", shop)
    sql = f"""
        WITH last AS (SELECT max(date_trunc('day', order_ts)) AS day FROM orders)
        SELECT p.category, sum(CASE WHEN o.status <> 'cancelled' THEN o.quantity * o.unit_price ELSE 0 END) AS gmv
        FROM orders o JOIN products p ON o.sku = p.sku CROSS JOIN last
        WHERE p.category IS NOT NULL AND date_trunc('day', o.order_ts) > last.day - INTERVAL {int(days)} DAY
        GROUP BY p.category ORDER BY gmv DESC, p.category LIMIT {int(n)}"""
    return [str(c) for c in lines.query(sql)["category"]]


def run_suffix(value: Any) -> str:
    """The part of a report name that a ``for_each`` value gives: a safe, bounded file-name piece.

    Example:
        >>> run_suffix("美妆 #1"), run_suffix("../../x"), len(run_suffix("类" * 300).encode()) <= 90
        ('美妆-1', 'x', True)
    """
    text = re.sub(r"[^\w.-]+", "-", str(value)).strip("-.") or "x"
    return safe_filename(text, max_bytes=90, fallback="x")


def load_config(path: Path) -> dict[str, Any]:
    """Read and check ``reports.yml``; ReportError naming the file and the key when it is malformed.

    Every scalar is read as text (``yaml.BaseLoader``): parameters are typed by the notebooks'
    declarations, not by YAML's guesses (``No`` -> False, ``0123`` -> 83).
    """
    path = Path(path)
    if not path.exists():
        raise ReportError(f"config file {path} does not exist")
    try:
        cfg = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
    except yaml.YAMLError as exc:
        raise ReportError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(cfg, dict) or not isinstance(cfg.get("schedules"), dict):
        raise ReportError(f"{path} must have a 'schedules:' mapping of named schedules")
    unknown_top = set(cfg) - {"defaults", "schedules"}
    if unknown_top:
        raise ReportError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown_top))}; expected defaults, schedules")
    if cfg.get("defaults") in ("", None):
        cfg["defaults"] = {}
    if not isinstance(cfg["defaults"], dict):
        raise ReportError(f"{path}: 'defaults:' must be a mapping of parameter: value")
    for name, spec in cfg["schedules"].items():
        if not isinstance(spec, dict) or "notebook" not in spec:
            raise ReportError(f"{path}: schedule {name!r} needs a 'notebook:'")
        extra = set(spec) - SCHEDULE_KEYS
        if extra:
            raise ReportError(f"{path}: schedule {name!r} has unknown key(s) {', '.join(sorted(extra))}; "
                              f"allowed: {', '.join(sorted(SCHEDULE_KEYS))}")
        if spec.get("period") not in (None, *PERIOD_KINDS):
            raise ReportError(f"{path}: schedule {name!r} period must be one of {', '.join(PERIOD_KINDS)}")
        for key in ("parameters", "for_each"):
            if spec.get(key) in ("", None):
                spec[key] = {}
            if not isinstance(spec[key], dict):
                raise ReportError(f"{path}: schedule {name!r} {key}: must be a mapping")
        for key in ("timeout", "cell_timeout"):
            if spec.get(key) is not None:
                spec[key] = parse_duration(spec[key], what=f"{path}: schedule {name!r} {key}")
    return cfg


def absolute_paths(params: dict[str, Any], declared: dict[str, Param], base: Path) -> dict[str, Any]:
    """Path parameters (declared ``folder`` / ``output folder`` / ``path``) made absolute against ``base``."""
    out = dict(params)
    for key, value in params.items():
        param = declared.get(key)
        if param is not None and param.kind in PATH_KINDS and isinstance(value, str) and value.strip() \
                and value.strip() not in ("None", "null"):
            p = Path(value).expanduser()
            out[key] = os.path.normpath(str(p if p.is_absolute() else base / p))
    return out


def _post_days(params: dict[str, Any], declared: dict[str, Param]) -> int:
    """The run's ``post_days`` (given, else the notebook's default, else 14) for ``settled_campaigns``."""
    value = params.get("post_days", declared["post_days"].default if "post_days" in declared else 14)
    try:
        return int(str(value))
    except ValueError:
        return 14


def plan_schedules(cfg: dict[str, Any], available: dict[str, Path], only: list[str], overrides: dict[str, Any],
                   base: Path, today: dt.date | None = None) -> tuple[list[Run], list[str]]:
    """Expand the named schedules (all, or those in ``only``) into concrete runs.

    Returns the runs and notes about schedules that expanded to nothing (e.g. no campaign ended lately).
    """
    schedules = cfg["schedules"]
    unknown = [s for s in only if s not in schedules]
    if unknown:
        raise ReportError(f"no schedule named {', '.join(unknown)}; schedules: {', '.join(schedules)}")
    runs: list[Run] = []
    notes: list[str] = []
    for sname in only or list(schedules):
        spec = schedules[sname]
        stem = find_notebook(str(spec["notebook"]), available)
        declared = declared_parameters(available[stem])
        base_params = {k: v for k, v in (cfg.get("defaults") or {}).items() if k in declared}
        base_params.update(spec.get("parameters") or {})
        base_params.update({k: v for k, v in overrides.items() if k in declared})
        base_params = absolute_paths(base_params, declared, base)
        probe = Run(name=stem, notebook=available[stem], parameters=base_params, period="")
        data_dir, _ = effective_data_dir(probe, declared)
        last_day = data_end(data_dir)
        base_params = fit_period(spec.get("period"), declared, base_params, last_day)
        combos: list[dict[str, Any]] = [{}]
        for key, source in (spec.get("for_each") or {}).items():
            try:
                values = expand_source(source, data_dir, post_days=_post_days(base_params, declared))
            except ReportError:
                raise  # a mistake in reports.yml: a bad request
            except (UserError, OSError) as exc:
                # The shop cannot be read to expand this schedule: that schedule fails, the others still run.
                runs.append(Run(name=stem, notebook=available[stem], parameters=base_params,
                                period=period_label(spec.get("period"), base_params, today, last_day), schedule=sname,
                                failed=f"schedule {sname}: for_each {key} from {source!r} could not read the "
                                       f"shop: {type(exc).__name__}: {exc}"))
                combos = []
                break
            if not values:
                notes.append(f"schedule {sname}: nothing to run, {key} from {source!r} gave no values")
            combos = [{**c, key: v} for c in combos for v in values]
        for combo in combos:
            params = {**base_params, **combo}
            suffix = "__".join(run_suffix(v) for v in combo.values())
            runs.append(Run(name=f"{stem}__{suffix}" if suffix else stem, notebook=available[stem],
                            parameters=params, period=period_label(spec.get("period"), params, today, last_day),
                            schedule=sname, timeout=spec.get("timeout"), cell_timeout=spec.get("cell_timeout")))
    return runs, notes
