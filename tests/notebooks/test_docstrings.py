"""Every opslib function a notebook calls documents its formula, parameters and what it returns."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def _called(nb_path: Path) -> dict[str, object]:
    """opslib functions and classes a notebook calls, resolved through the notebook's own imports."""
    nb = nbformat.read(nb_path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []))
    tree = ast.parse(code)
    ns: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            exec(compile(ast.Module([node], []), "<imports>", "exec"), ns)  # noqa: S102 - the notebook's own imports

    def resolve(expr: ast.expr) -> object | None:
        if isinstance(expr, ast.Name):
            return ns.get(expr.id)
        if isinstance(expr, ast.Attribute):
            base = resolve(expr.value)
            return getattr(base, expr.attr, None) if base is not None and inspect.ismodule(base) else None
        return None

    found: dict[str, object] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            obj = resolve(node.func)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, "__module__", "").startswith("opslib"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_called_functions_have_parameters_and_returns(path: Path) -> None:
    missing = []
    for name, obj in sorted(_called(path).items()):
        doc = inspect.getdoc(obj) or ""
        if inspect.isclass(obj):
            ok = len(doc) > 40
        else:
            has_params = not inspect.signature(obj).parameters or any(
                w in doc for w in ("Parameters", "Args:", "Arguments"))
            ok = has_params and "Returns" in doc
        if not ok:
            missing.append(name)
    assert not missing, f"{path.name} calls functions without a Parameters/Returns section: {missing}"
