"""Process norms as data (流程规范): each department's metrics, targets and owners, read from ``norms.yml``.

Where they come from (:func:`load_norms`): the file you name, else ``norms.yml`` in the shop folder, else the
defaults shipped with opslib (``opslib/operations/norms_default.yml``, which documents every key). A file::

    departments:
      warehouse:
        name: 仓储 Warehouse
        owner: 仓储主管 warehouse lead
        norms:
          ship_48h: {metric: ship_within, hours: 48, at_least: 0.95, label: 48 小时发货率}
    routing:                        # optional: review topics / contact reasons -> department
      review_topics: {物流: logistics}

A wrong file raises :class:`opslib.errors.NormsError` naming the file, the department, the norm, the key, the
value and what is allowed, so a typo never passes silently.

Example:
    >>> n = norms_from_mapping({"departments": {"warehouse": {"owner": "Li", "norms": {
    ...     "ship": {"metric": "ship_within", "hours": 24, "at_least": 0.95}}}}})
    >>> n.norms[0].id, n.norms[0].params, n.norms[0].owner, n.norms[0].describe_target()
    ('warehouse.ship', {'hours': 24.0}, 'Li', '≥ 95.0%')
    >>> norms_from_mapping({"departments": {"warehouse": {"owner": "Li", "norms": {"ship": {"metric": "ship_in"}}}}})
    Traceback (most recent call last):
    ...
    opslib.errors.NormsError: norms: warehouse.ship: unknown metric 'ship_in' — expected one of after_sale_contacts_per_100, bad_review_share, cancellation_rate, first_response_within, inquiry_conversion, lost_share, on_time, resolution_within, return_rate, review_score, ship_within, transit_within
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from opslib.errors import NormsError
from opslib.kpi import Term
from opslib.operations.metrics import METRICS, PARAM_TYPES, STAGES

NORMS_FILE = "norms.yml"
DEFAULT_NORMS = Path(__file__).with_name("norms_default.yml")
SCOPES = ("all", "campaign_days", "normal_days")
NORM_KEYS = {"metric", "label", "at_least", "at_most", "owner", "scope", "min_units"}
DEPARTMENT_KEYS = {"name", "owner", "norms"}
TOP_KEYS = {"version", "departments", "routing"}
ROUTING_KEYS = {"review_topics", "contact_reasons"}
DEFAULT_MIN_UNITS = 30


@dataclass(frozen=True)
class Department:
    """A department: its id (the key in norms.yml), display name and owner."""

    id: str
    name: str
    owner: str


@dataclass(frozen=True)
class Norm:
    """One norm: ``department.norm`` id, the metric and its parameters, the target and its direction."""

    id: str
    department: str
    metric: str
    target: float
    direction: str  # at_least | at_most
    label: str
    owner: str
    params: dict[str, Any] = field(default_factory=dict)
    scope: str = "all"
    min_units: int = DEFAULT_MIN_UNITS

    @property
    def kind(self) -> str:
        """``share`` or ``mean`` (from the metric)."""
        return METRICS[self.metric].kind

    def describe_target(self) -> str:
        """``≥ 95.0%``, ``≤ 12.00`` ...: the target as people read it."""
        sign = "≥" if self.direction == "at_least" else "≤"
        value = f"{self.target * 100:.1f}%" if self.kind == "share" else f"{self.target:.2f}"
        return f"{sign} {value}"

    def shortfall(self, value: float) -> float:
        """How far ``value`` misses the target in the bad direction (negative: the norm is met with room).

        Formula: ``target − value`` for at_least, ``value − target`` for at_most.
        """
        return self.target - value if self.direction == "at_least" else value - self.target


@dataclass
class Norms:
    """The norms of a shop: departments, norms (in file order), routing, and the file they came from."""

    departments: dict[str, Department]
    norms: list[Norm]
    routing: dict[str, dict[str, str]]
    source: str

    def summary(self) -> pd.DataFrame:
        """One row per norm: department, owner, norm id, label, metric, target, scope and parameters."""
        rows = [{"department": self.departments[n.department].name, "owner": n.owner, "norm": n.id,
                 "label": n.label, "metric": n.metric, "target": n.describe_target(), "scope": n.scope,
                 "parameters": ", ".join(f"{k}={v}" for k, v in n.params.items()) or "–"} for n in self.norms]
        return pd.DataFrame(rows)

    def of(self, department: str) -> list[Norm]:
        """The norms of one department."""
        return [n for n in self.norms if n.department == department]

    def department_of_topic(self, topic: str | None) -> str | None:
        """The department a review topic points at (``routing.review_topics``), or None."""
        return self.routing.get("review_topics", {}).get(topic) if topic else None

    def department_of_reason(self, reason: str | None) -> str | None:
        """The department a contact reason points at (``routing.contact_reasons``), or None."""
        return self.routing.get("contact_reasons", {}).get(reason) if reason else None


def _fail(where: str, what: str) -> NormsError:
    return NormsError(f"{where}: {what}")


def _number(src: str, where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(f"{src}: {where}", f"{key} must be a number, got {value!r}")
    return float(value)


def _norm(src: str, dept: Department, nid: str, spec: Any) -> Norm:
    where = f"{dept.id}.{nid}"
    if not isinstance(spec, dict):
        raise _fail(f"{src}: {where}", f"a norm must be a mapping with metric and at_least/at_most, got {spec!r}")
    metric = spec.get("metric")
    if metric is None:
        raise _fail(f"{src}: {where}", f"no metric — expected one of {', '.join(sorted(METRICS))}")
    if metric not in METRICS:
        raise _fail(f"{src}: {where}", f"unknown metric {metric!r} — expected one of {', '.join(sorted(METRICS))}")
    m = METRICS[metric]
    allowed = NORM_KEYS | set(m.params)
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise _fail(f"{src}: {where}", f"unknown key(s) {', '.join(unknown)} for metric {metric} — allowed: "
                    f"{', '.join(sorted(allowed))}")
    has = [k for k in ("at_least", "at_most") if k in spec]
    if len(has) != 1:
        raise _fail(f"{src}: {where}", "needs exactly one target, at_least or at_most "
                    f"(the usual one for {metric} is {m.direction}), got {', '.join(has) or 'none'}")
    direction = has[0]
    target = _number(src, where, direction, spec[direction])
    if m.kind == "share" and not 0 <= target <= 1:
        raise _fail(f"{src}: {where}", f"{direction} {target:g} is not a share — write 95% as 0.95")
    if metric == "review_score" and not 1 <= target <= 5:
        raise _fail(f"{src}: {where}", f"{direction} {target:g}: review scores run from 1 to 5")
    params: dict[str, Any] = {}
    for key in m.params:
        if key not in spec:
            continue
        value = spec[key]
        types = PARAM_TYPES[key]
        if isinstance(value, bool) or not isinstance(value, types):
            kinds = " or ".join(t.__name__ for t in types)
            raise _fail(f"{src}: {where}", f"{key} must be {kinds}, got {value!r}")
        if key == "stage" and value not in STAGES:
            raise _fail(f"{src}: {where}", f"stage {value!r} — expected one of {', '.join(STAGES)}")
        if isinstance(value, int | float) and value <= 0 and key != "bad_score":
            raise _fail(f"{src}: {where}", f"{key} must be positive, got {value!r}")
        params[key] = float(value) if float in types else value
    scope = spec.get("scope", "all")
    if scope not in SCOPES:
        raise _fail(f"{src}: {where}", f"scope {scope!r} — expected one of {', '.join(SCOPES)}")
    min_units = spec.get("min_units", DEFAULT_MIN_UNITS)
    if isinstance(min_units, bool) or not isinstance(min_units, int) or min_units < 1:
        raise _fail(f"{src}: {where}", f"min_units must be a whole number >= 1, got {min_units!r}")
    owner = spec.get("owner", dept.owner)
    if not isinstance(owner, str) or not owner.strip():
        raise _fail(f"{src}: {where}", f"owner must be a name, got {owner!r}")
    label = str(spec.get("label") or f"{metric} {direction.replace('_', ' ')} {target:g}")
    return Norm(id=where, department=dept.id, metric=metric, target=target, direction=direction, label=label,
                owner=owner.strip(), params=params, scope=scope, min_units=min_units)


def norms_from_mapping(cfg: Any, source: str = "norms") -> Norms:
    """Check a parsed norms file and build :class:`Norms`; ``NormsError`` naming ``source`` and the key when wrong.

    Rules: top-level keys ``version``, ``departments`` (required, a mapping), ``routing``; every department has an
    ``owner`` and a mapping of ``norms``; every norm names a known ``metric``, exactly one of ``at_least`` /
    ``at_most`` (a share 0-1 for share metrics), only that metric's parameters (right type, positive), a
    ``scope`` of all / campaign_days / normal_days and ``min_units >= 1``; routing values are department ids.

    Parameters:
        cfg: the parsed YAML. source: the file name used in messages.

    Returns:
        :class:`Norms`.
    """
    src = source
    if not isinstance(cfg, dict):
        raise _fail(src, f"must be a mapping with 'departments:', got {type(cfg).__name__}")
    unknown = sorted(set(cfg) - TOP_KEYS)
    if unknown:
        raise _fail(src, f"unknown top-level key(s) {', '.join(unknown)} — allowed: {', '.join(sorted(TOP_KEYS))}")
    deps = cfg.get("departments")
    if not isinstance(deps, dict) or not deps:
        raise _fail(src, "needs 'departments:', a mapping of department id -> owner and norms")
    departments: dict[str, Department] = {}
    norms: list[Norm] = []
    for did, dspec in deps.items():
        did = str(did)
        if not isinstance(dspec, dict):
            raise _fail(f"{src}: {did}", f"a department must be a mapping with owner and norms, got {dspec!r}")
        extra = sorted(set(dspec) - DEPARTMENT_KEYS)
        if extra:
            raise _fail(f"{src}: {did}", f"unknown key(s) {', '.join(extra)} — allowed: {', '.join(sorted(DEPARTMENT_KEYS))}")
        owner = dspec.get("owner")
        if not isinstance(owner, str) or not owner.strip():
            raise _fail(f"{src}: {did}", "needs an owner (who answers for this department's norms)")
        dept = Department(id=did, name=str(dspec.get("name") or did), owner=owner.strip())
        departments[did] = dept
        dnorms = dspec.get("norms")
        if not isinstance(dnorms, dict) or not dnorms:
            raise _fail(f"{src}: {did}", "needs 'norms:', a mapping of norm id -> metric and target")
        norms += [_norm(src, dept, str(nid), spec) for nid, spec in dnorms.items()]
    routing_cfg = cfg.get("routing") or {}
    if not isinstance(routing_cfg, dict):
        raise _fail(f"{src}: routing", f"must be a mapping, got {routing_cfg!r}")
    extra = sorted(set(routing_cfg) - ROUTING_KEYS)
    if extra:
        raise _fail(f"{src}: routing", f"unknown key(s) {', '.join(extra)} — allowed: {', '.join(sorted(ROUTING_KEYS))}")
    routing: dict[str, dict[str, str]] = {}
    for key, mapping in routing_cfg.items():
        if not isinstance(mapping, dict):
            raise _fail(f"{src}: routing.{key}", f"must map a topic or reason to a department, got {mapping!r}")
        bad = {k: v for k, v in mapping.items() if v not in departments}
        if bad:
            k, v = next(iter(bad.items()))
            raise _fail(f"{src}: routing.{key}.{k}", f"department {v!r} is not in departments ({', '.join(departments)})")
        routing[key] = {str(k): str(v) for k, v in mapping.items()}
    return Norms(departments=departments, norms=norms, routing=routing, source=source)


def read_norms(path: str | Path) -> Norms:
    """Read and check one norms file (:func:`norms_from_mapping`).

    Parameters:
        path: the YAML file.

    Returns:
        :class:`Norms`; ``NormsError`` when the file is missing, not YAML, or wrong.
    """
    p = Path(path)
    if not p.is_file():
        raise NormsError(f"{p}: no such norms file (copy {DEFAULT_NORMS.name} from opslib/operations to start)")
    try:
        cfg = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise NormsError(f"{p}: not valid YAML — {exc}") from None
    except UnicodeDecodeError:
        raise NormsError(f"{p}: not UTF-8 text (save it as UTF-8)") from None
    return norms_from_mapping(cfg, source=str(p))


def load_norms(path: str | Path | None = None, shop_dir: str | Path | None = None) -> Norms:
    """The norms to score a shop against: ``path`` when given, else ``shop_dir/norms.yml`` when it exists, else
    the shipped defaults.

    Parameters:
        path: a norms file, or None. shop_dir: the shop folder to look for ``norms.yml`` in.

    Returns:
        :class:`Norms` (``source`` says which file).

    Example:
        >>> n = load_norms()
        >>> sorted(n.departments)
        ['logistics', 'marketing', 'operations', 'product', 'service', 'warehouse']
    """
    if path is not None:
        return read_norms(path)
    if shop_dir is not None and (Path(shop_dir) / NORMS_FILE).is_file():
        return read_norms(Path(shop_dir) / NORMS_FILE)
    return read_norms(DEFAULT_NORMS)


#: The glossary entries of this module (``docs/glossary.md``; ``opslib.training.glossary`` collects them).
TERMS: tuple[Term, ...] = (
    Term("process_norm", "流程规范", "Process norm", "a department's metric with a target (at least / at most) and an "
         "owner, read from norms.yml", "opslib.operations.norms.load_norms", "06"),
)
