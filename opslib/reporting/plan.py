"""Planning report runs: which notebook, with which parameters, into which period folder.

A *run* is one notebook executed with concrete parameters. Runs come from the command line
(``report run 01 -p category 美妆``) or from named schedules in ``reports.yml``::

    defaults:                       # parameters every run gets (a notebook that lacks one ignores it)
      data_dir: data/sample
    schedules:
      weekly_category_review:
        notebook: 01_category_optimisation
        period: week                # folder label: ISO week (2026-W48); or month, day
        parameters: {period_days: 7}
        for_each: {category: top_categories 3}   # one run per value
      campaign_review:
        notebook: 02_campaign_evaluation
        for_each: {campaign_id: ended_campaigns 14}

``for_each`` takes a list of values or one of the data-driven sources: ``top_categories N`` (the N
categories with the highest GMV over the last 28 days of data), ``all_categories``,
``ended_campaigns N`` (campaigns whose last day lies in the last N days of data), ``all_campaigns``.

Every run is checked before any kernel starts (:func:`check_run`): known parameter names, the type of
the notebook's default, ISO dates, and that a category or campaign exists in the shop.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from opslib.errors import ReportError

#: The repository root, its notebook templates and the reports folder.
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"

DATE_PARAMETERS = re.compile(r"^(period_start|period_end|start|end|as_of|.*_date)$")
SCHEDULE_KEYS = {"notebook", "period", "parameters", "for_each", "description"}
PERIOD_KINDS = ("day", "week", "month")



@dataclass
class Run:
    """One concrete report run."""

    name: str  # report name: the notebook stem, or stem__value for expanded schedules
    notebook: Path
    parameters: dict[str, Any]
    period: str  # folder label under reports/
    schedule: str = ""
    warnings: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------- notebooks


def discover(notebook_dir: Path) -> dict[str, Path]:
    """Notebooks by name (file stem), sorted: ``{'00_shop_at_a_glance': Path(...), ...}``."""
    return {p.stem: p for p in sorted(notebook_dir.glob("[0-9][0-9]_*.ipynb"))}


def find_notebook(name: str, available: dict[str, Path]) -> str:
    """The stem matching ``name`` exactly or by its number prefix (``'01'``); ReportError otherwise."""
    for stem in available:
        if stem == name or stem.split("_", 1)[0] == name:
            return stem
    raise ReportError(f"no notebook named {name!r}; available: {', '.join(available) or 'none'}")


def declared_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The notebook's ``parameters`` cell as ``{name: {'default': source text, 'type': type name}}``.

    The type is the annotation if there is one, else the type of the literal default
    (``period_days = 28`` -> ``int``; ``category = None`` -> ``None``, which accepts anything).
    """
    import papermill

    params = papermill.inspect_notebook(str(notebook))
    return {n: {"default": p["default"], "type": _infer_type(p)} for n, p in params.items()}


def _infer_type(param: dict[str, Any]) -> str:
    annotated = str(param.get("inferred_type_name") or "None")
    if annotated != "None":
        return annotated
    try:
        default = ast.literal_eval(param["default"])
    except (ValueError, SyntaxError):
        return "None"
    return "None" if default is None else type(default).__name__


def parse_value(text: str) -> Any:
    """A command-line value, read the YAML way: ``8`` -> 8, ``0.95`` -> 0.95, ``null`` -> None; dates stay text."""
    try:
        value = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):  # ValueError: a date-shaped value that is no date, e.g. 2024-13-45
        return text
    if isinstance(value, dt.date):
        return text
    return value


# ------------------------------------------------------------------------------------- checking

_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
    "list": (list, tuple),
    "tuple": (list, tuple),
    "dict": (dict,),
}


def _shop_values(data_dir: Path, table: str, column: str) -> set[str] | None:
    """Distinct values of ``table.column`` in the shop, or None when the table is absent or unreadable."""
    from opslib.data import load_shop
    from opslib.errors import DataError

    try:
        shop = load_shop(data_dir, tables=["products", table] if table != "products" else ["products"],
                         validate=False)
    except DataError:
        return None
    frame = getattr(shop, table)
    return None if frame is None else set(frame[column].dropna().astype(str))


def check_run(run: Run, declared: dict[str, dict[str, Any]]) -> list[str]:
    """Problems with ``run`` (empty list when fine), found without starting a kernel.

    Checks: every parameter is declared by the notebook; its value has the type of the notebook's
    default (a None default accepts anything; a float default accepts ints); date parameters
    (``period_end``, ``*_date`` ...) are ISO dates ``YYYY-MM-DD``; ``data_dir`` is a folder;
    ``category`` is a category of the shop's products; ``campaign_id`` is in its campaigns.
    """
    problems: list[str] = []
    p = run.parameters
    for key, value in p.items():
        if key not in declared:
            problems.append(f"unknown parameter {key!r}; {run.notebook.stem} takes: {', '.join(declared) or 'none'}")
            continue
        kind = declared[key]["type"]
        if value is not None and kind in _TYPE_CHECKS:
            bad_bool = kind in {"int", "float"} and isinstance(value, bool)
            if not isinstance(value, _TYPE_CHECKS[kind]) or bad_bool:
                problems.append(f"parameter {key!r} expects {kind} (default {declared[key]['default']}), got {value!r}")
                continue
        if value is not None and DATE_PARAMETERS.match(key):
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                problems.append(f"parameter {key!r} must be a date like 2025-06-18, got {value!r}")
    data_dir = Path(str(p["data_dir"])) if p.get("data_dir") else None
    if data_dir is not None and not data_dir.is_dir():
        problems.append(f"data_dir {str(data_dir)!r} is not a folder")
        data_dir = None
    if data_dir is not None and p.get("category") is not None:
        cats = _shop_values(data_dir, "products", "category")
        if cats is not None and str(p["category"]) not in cats:
            problems.append(f"category {p['category']!r} is not in {data_dir}/products; categories: {', '.join(sorted(cats))}")
    if data_dir is not None and p.get("campaign_id") is not None:
        ids = _shop_values(data_dir, "campaigns", "campaign_id")
        if ids is None:
            problems.append(f"campaign_id {p['campaign_id']!r} given but {data_dir} has no campaigns table")
        elif str(p["campaign_id"]) not in ids:
            close = sorted(i for i in ids if str(p["campaign_id"]).lower() in i.lower())[:5]
            hint = f"; did you mean {', '.join(close)}?" if close else f"; {len(ids)} campaigns exist"
            problems.append(f"campaign_id {p['campaign_id']!r} is not in {data_dir}/campaigns{hint}")
    return [f"{run.name}: {m}" for m in problems]


# ---------------------------------------------------------------------------------------- periods


def period_label(kind: str | None, parameters: dict[str, Any], today: dt.date | None = None) -> str:
    """The reports/ sub-folder of a run.

    The reference day is the ``period_end`` parameter when given, else ``today``; ``kind`` 'week' gives
    its ISO week (``2026-W48``), 'month' ``2026-11``, 'day' or None ``2026-11-25``.

    Example:
        >>> period_label("week", {"period_end": "2024-12-30"})
        '2025-W01'
    """
    ref = parameters.get("period_end")
    try:
        day = dt.date.fromisoformat(str(ref)) if ref else (today or dt.date.today())
    except ValueError:
        raise ReportError(f"parameter 'period_end' must be a date like 2025-06-18, got {ref!r}") from None
    if kind == "week":
        y, w, _ = day.isocalendar()
        return f"{y}-W{w:02d}"
    if kind == "month":
        return f"{day:%Y-%m}"
    if kind in (None, "day"):
        return day.isoformat()
    raise ReportError(f"period must be one of {', '.join(PERIOD_KINDS)}, got {kind!r}")


# ---------------------------------------------------------------------------------- schedules

_SOURCE = re.compile(r"^\s*(top_categories|ended_campaigns|all_categories|all_campaigns)\s*(\d+)?\s*$")


def expand_source(source: Any, data_dir: Path | None) -> list[Any]:
    """The values a ``for_each`` entry stands for: a list as it is, or a data-driven source (module doc)."""
    if isinstance(source, list):
        return source
    m = _SOURCE.match(str(source))
    if not m:
        raise ReportError(
            f"for_each value {source!r}: expected a list or one of top_categories N, all_categories, "
            "ended_campaigns N, all_campaigns"
        )
    if data_dir is None or not data_dir.is_dir():
        raise ReportError(f"for_each {source!r} needs data_dir to point at a shop folder, got {data_dir}")
    what, n = m.group(1), int(m.group(2) or 0)
    from opslib.data import cube, load_shop

    if what in {"top_categories", "all_categories"}:
        shop = load_shop(data_dir, tables=["orders", "products"], validate=False)
        if what == "all_categories":
            return sorted(shop.products["category"].dropna().unique().tolist())
        daily = cube.daily_totals(shop.orders, by="category", products=shop.products)
        recent = daily[daily["date"] > daily["date"].max() - pd.Timedelta(days=28)]
        ranked = recent.groupby("category")["gmv"].sum().sort_values(ascending=False)
        return ranked.index[: n or 3].tolist()
    shop = load_shop(data_dir, tables=["orders", "products", "campaigns"], validate=False)
    if shop.campaigns is None:
        return []
    camps = shop.campaigns
    if what == "all_campaigns":
        return camps["campaign_id"].tolist()
    last_day = shop.orders["order_ts"].max().normalize()
    recent = camps[(camps["end"] <= last_day) & (camps["end"] > last_day - pd.Timedelta(days=n or 14))]
    return recent.sort_values("end")["campaign_id"].tolist()


def _safe(value: Any) -> str:
    return re.sub(r"[^\w.-]+", "-", str(value)).strip("-") or "x"


def load_config(path: Path) -> dict[str, Any]:
    """Read and check ``reports.yml``; ReportError naming the file and the key when it is malformed."""
    if not path.exists():
        raise ReportError(f"config file {path} does not exist")
    try:
        cfg = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ReportError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(cfg, dict) or not isinstance(cfg.get("schedules"), dict):
        raise ReportError(f"{path} must have a 'schedules:' mapping of named schedules")
    unknown_top = set(cfg) - {"defaults", "schedules"}
    if unknown_top:
        raise ReportError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown_top))}; expected defaults, schedules")
    for name, spec in cfg["schedules"].items():
        if not isinstance(spec, dict) or "notebook" not in spec:
            raise ReportError(f"{path}: schedule {name!r} needs a 'notebook:'")
        extra = set(spec) - SCHEDULE_KEYS
        if extra:
            raise ReportError(f"{path}: schedule {name!r} has unknown key(s) {', '.join(sorted(extra))}; "
                              f"allowed: {', '.join(sorted(SCHEDULE_KEYS))}")
        if spec.get("period") not in (None, *PERIOD_KINDS):
            raise ReportError(f"{path}: schedule {name!r} period must be one of {', '.join(PERIOD_KINDS)}")
    return cfg


def absolute_data_dir(params: dict[str, Any], base: Path) -> dict[str, Any]:
    """``data_dir`` made absolute against ``base`` (notebooks run with their own folder as cwd)."""
    out = dict(params)
    if out.get("data_dir"):
        d = Path(str(out["data_dir"])).expanduser()
        out["data_dir"] = str(d if d.is_absolute() else (base / d).resolve())
    return out


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
        base_params = absolute_data_dir(base_params, base)
        data_dir = Path(base_params["data_dir"]) if base_params.get("data_dir") else None
        combos: list[dict[str, Any]] = [{}]
        for key, source in (spec.get("for_each") or {}).items():
            values = expand_source(source, data_dir)
            if not values:
                notes.append(f"schedule {sname}: nothing to run, {key} from {source!r} gave no values")
            combos = [{**c, key: v} for c in combos for v in values]
        for combo in combos:
            params = {**base_params, **combo}
            suffix = "__".join(_safe(v) for v in combo.values())
            runs.append(Run(name=f"{stem}__{suffix}" if suffix else stem, notebook=available[stem],
                            parameters=params, period=period_label(spec.get("period"), params, today),
                            schedule=sname))
    return runs, notes
