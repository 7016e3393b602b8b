"""Parameter declarations: every real notebook declares every parameter readably, papermill still parses the
cell, and values are typed by the declaration, never by their looks."""

from __future__ import annotations

from pathlib import Path

import papermill
import pytest
from hypothesis import given
from hypothesis import strategies as st

from opslib.errors import ReportError
from opslib.reporting.params import Param, convert, declared_parameters, parse_declaration, parse_parameters
from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BASE = Path("/work/base")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_parameter_is_declared_and_papermill_agrees(path: Path) -> None:
    ours = declared_parameters(path)
    theirs = papermill.inspect_notebook(str(path))
    assert list(ours) == list(theirs)  # same names, same order: papermill skips no line
    for name, p in ours.items():
        assert p.declared, f"{path.name}: {name} has no [declaration]"
        assert p.default_text == theirs[name]["default"]
        assert p.help, f"{path.name}: {name} says nothing about what it means"
        # What `report list` shows reads back as the same declaration.
        again = parse_declaration(name, p.describe()[1:-1], p.default)
        assert {k: again.get(k, getattr(Param(name, None, "", "text"), k)) for k in ("kind", "optional", "low",
                                                                                        "high", "choices")} == \
            {"kind": p.kind, "optional": p.optional, "low": p.low, "high": p.high, "choices": p.choices}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_defaults_pass_their_own_declaration(path: Path) -> None:
    for p in declared_parameters(path).values():
        if p.kind == "folder":  # the sample shop may not be built here
            continue
        assert convert(p, p.default, BASE) == p.default


@pytest.mark.parametrize(
    ("spec", "fields"),
    [
        ("int, at least 1", {"kind": "int", "low": 1.0, "low_inclusive": True}),
        ("int ≥ 21", {"kind": "int", "low": 21.0}),
        ("float > 0", {"kind": "float", "low": 0.0, "low_inclusive": False}),
        ("0 < float < 1", {"kind": "float", "low": 0.0, "high": 1.0, "high_inclusive": False}),
        ("float, at least 0, at most 1", {"low": 0.0, "high": 1.0, "high_inclusive": True}),
        ("last_year | previous", {"kind": "choice", "choices": ("last_year", "previous")}),
        ("category or None", {"kind": "category", "optional": True}),
        ("output folder or None", {"kind": "output folder", "optional": True}),
    ],
)
def test_declarations(spec: str, fields: dict) -> None:
    got = parse_declaration("x", spec, 1)
    assert {k: got[k] for k in fields} == fields


@pytest.mark.parametrize("spec", ["int >= 1", "positive", "text, at least 3", "a | "])
def test_unreadable_declarations_say_why(spec: str) -> None:
    with pytest.raises(ReportError, match="parameter 'x'"):
        parse_declaration("x", spec, 1)


def test_a_second_equals_sign_is_refused_because_papermill_would_skip_the_line() -> None:
    with pytest.raises(ReportError, match="papermill skips"):
        parse_parameters("n = 1  # [int >= 1] days")


@given(st.text(min_size=0, max_size=60).filter(lambda s: s.strip() not in ("None", "null")))
def test_a_text_parameter_gets_exactly_the_text(text: str) -> None:
    p = Param("label", None, "None", "text", optional=True)
    assert convert(p, text, BASE) == text


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [("int", "0123", 123), ("int", "-3", -3), ("float", "1e-3", 0.001), ("bool", "No", False), ("bool", "yes", True),
     ("date", "2024-02-29", "2024-02-29"), ("choice", "W", "W")],
)
def test_typed_conversions(kind: str, text: str, value) -> None:
    p = Param("x", None, "None", kind, choices=("D", "W", "M") if kind == "choice" else ())
    assert convert(p, text, BASE) == value


@pytest.mark.parametrize(
    ("kind", "text"),
    [("int", "1.5"), ("int", "0x10"), ("float", "nan"), ("date", "2024-02-30"), ("date", "20240601"),
     ("choice", "w"), ("bool", "maybe")],
)
def test_typed_conversions_refuse(kind: str, text: str) -> None:
    p = Param("x", None, "None", kind, choices=("D", "W", "M") if kind == "choice" else ())
    with pytest.raises(ValueError, match="'x'"):
        convert(p, text, BASE)


def test_tuples_keep_the_defaults_shape() -> None:
    p = parse_parameters("abc = (0.8, 0.95)  # [tuple] limits")["abc"]
    assert convert(p, "0.7,0.9", BASE) == (0.7, 0.9)
    assert convert(p, "(0.7, 0.9)", BASE) == (0.7, 0.9)
    assert convert(p, ["0.7", "0.9"], BASE) == (0.7, 0.9)  # a YAML list, read as text
    for bad in ("0.7", "0.7,0.8,0.9", "a,b"):
        with pytest.raises(ValueError, match="tuple like 0.8,0.95"):
            convert(p, bad, BASE)


def test_paths_resolve_against_the_given_folder(tmp_path: Path) -> None:
    p = Param("export_dir", None, "None", "output folder", optional=True)
    assert convert(p, "exports", tmp_path) == str(tmp_path / "exports")
    assert convert(p, "../x/./y", tmp_path) == str(tmp_path.parent / "x" / "y")
    folder = Param("data_dir", "../data", '"../data"', "folder")
    with pytest.raises(ValueError, match="is not a folder"):
        convert(folder, "nope", tmp_path)
