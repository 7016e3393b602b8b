"""The package layout a newcomer navigates by name: subpackages by domain, curated exports, no import circles."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import opslib

PKG = Path(opslib.__file__).parent
SUBPACKAGES = sorted(p.name for p in PKG.iterdir() if (p / "__init__.py").is_file())
#: Modules shared by every domain; everything else lives in a subpackage.
TOP_LEVEL = {"__init__", "__main__", "errors", "calendar", "kpi"}


def test_only_shared_modules_at_the_top() -> None:
    assert {p.stem for p in PKG.glob("*.py")} == TOP_LEVEL


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_subpackage_exports_exist_and_are_documented(name: str) -> None:
    pkg = importlib.import_module(f"opslib.{name}")
    assert pkg.__doc__ and len(pkg.__doc__.strip()) > 40, f"opslib.{name} needs a docstring saying what it holds"
    exported = getattr(pkg, "__all__", None)
    assert exported, f"opslib.{name} has no __all__"
    assert len(exported) == len(set(exported)), f"opslib.{name}.__all__ lists a name twice"
    undocumented = []
    for attr in exported:
        assert hasattr(pkg, attr), f"opslib.{name}.__all__ names {attr!r}, which does not exist"
        obj = getattr(pkg, attr)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and not (obj.__doc__ or "").strip():
            undocumented.append(attr)
    assert not undocumented, f"opslib.{name} exports undocumented {undocumented}"


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_no_export_hides_a_submodule(name: str) -> None:
    """``from opslib.assortment import inventory`` must give the module, not a function of the same name."""
    pkg = importlib.import_module(f"opslib.{name}")
    modules = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
    clash = sorted(n for n in modules & set(pkg.__all__) if not inspect.ismodule(getattr(pkg, n)))
    assert not clash, f"opslib.{name} exports {clash}, which hide the submodules of the same name"


def _imports(path: Path) -> set[str]:
    """opslib modules imported anywhere in a file (module level or inside functions).

    One exception, as in statsmodels: a result's ``plot()`` may import ``opslib.plotting`` inside the method
    (charts live in plotting, which never imports the result back at module level).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lazy_plotting = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                     for n in ast.walk(f) if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("opslib.plotting")}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in lazy_plotting:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("opslib"):
            # ``from pkg import submodule`` depends on the submodule; ``from pkg import name`` on the package.
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.add(sub if (PKG.parent / (sub.replace(".", "/") + ".py")).is_file() else node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("opslib"))
    return out


def _module_graph() -> dict[str, set[str]]:
    files = {".".join(("opslib", *p.relative_to(PKG).with_suffix("").parts)).removesuffix(".__init__"): p
             for p in PKG.rglob("*.py")}
    return {m: {i for i in _imports(p) if i in files and i != m} for m, p in files.items()}


def test_no_import_circle_between_modules() -> None:
    graph = _module_graph()
    graph.pop("opslib.__main__")  # the CLI dispatches to every domain
    # A package's __init__ re-exports its modules; count edges into a package as edges into its __init__ only.
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                raise AssertionError("import circle: " + " -> ".join(path[path.index(n):] + [n]))
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_domains_do_not_import_each_other_in_a_circle() -> None:
    """Package level: e.g. data must not need importers while importers need data."""
    graph = _module_graph()
    graph.pop("opslib.__main__")
    edges: dict[str, set[str]] = {}
    for m, deps in graph.items():
        a = m.split(".")[1] if m.count(".") >= 1 else m
        for d in deps:
            b = d.split(".")[1] if "." in d else d
            if a != b and b != "opslib":
                edges.setdefault(a, set()).add(b)
    for a, bs in edges.items():
        for b in bs:
            assert a not in edges.get(b, set()), f"opslib.{a} and opslib.{b} import each other"
