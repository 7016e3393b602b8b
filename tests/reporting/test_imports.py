"""What the runner and ``import opslib`` load: the runner skips jsonschema's optional IRI grammar, and a bare
``import opslib`` pulls in none of the heavy numeric libraries (each notebook imports only what it uses)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_import_opslib_loads_no_heavy_library() -> None:
    out = _run("""
        import sys
        import opslib
        heavy = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "seaborn", "duckdb", "nbformat")
        print(sorted(m for m in heavy if m in sys.modules))
    """)
    assert out == "[]"


def test_the_runner_module_loads_no_model_or_chart_library() -> None:
    out = _run("""
        import sys
        import opslib.reporting.run
        print(sorted(m for m in ("scipy", "statsmodels", "matplotlib", "seaborn") if m in sys.modules))
    """)
    assert out == "[]"


def test_the_runner_skips_the_iri_grammar_and_notebooks_still_validate() -> None:
    out = _run("""
        import sys
        from opslib.reporting.run import skip_unused_imports
        skip_unused_imports()
        import nbformat
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
        nbformat.validate(nb)
        nb.cells[0]["outputs"] = [{"output_type": "nonsense"}]
        try:
            nbformat.validate(nb)
            caught = False
        except nbformat.ValidationError:
            caught = True
        print(sys.modules.get("rfc3987_syntax") is None, "lark" in sys.modules, caught)
    """)
    assert out == "True False True"


def test_skip_unused_imports_leaves_an_imported_module_alone(monkeypatch) -> None:
    from opslib.reporting import run as R

    marker = object()
    monkeypatch.setitem(sys.modules, "rfc3987_syntax", marker)
    assert R.skip_unused_imports() == []
    assert sys.modules["rfc3987_syntax"] is marker
