"""``make bench`` from a plain clone: benchmarks/run.py skips a bench whose real data set is absent, with a line."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture
def bench_run(monkeypatch, tmp_path: Path):
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_run", mod)  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "SHARED", tmp_path / "shared" / "data")  # an empty machine: no shared data
    return mod


def test_without_shared_data_the_real_data_benches_are_skipped_and_the_rest_run_on_the_sample(bench_run) -> None:
    steps = {b.name: (b, why) for b, why in bench_run.plan("quick")}
    for name in ("import", "clv"):
        assert "(absent)" in steps[name][1] and "shared" in steps[name][1]
    for name in ("cube", "forecast", "operations", "forecast_scale", "campaigns", "customers", "engine",
                 "forecast_peers"):
        assert steps[name][1] == "", name
    assert steps["campaigns"][0].args == ["--datasets", "sample"]
    assert steps["forecast_peers"][0].args == ["--quick", "--sets", "sample_categories"]


def test_present_data_sets_are_used_and_peers_can_be_full_or_skipped(bench_run, tmp_path: Path) -> None:
    retail = bench_run.SHARED / bench_run.DATA_SETS["online_retail"]
    retail.parent.mkdir(parents=True)
    retail.write_bytes(b"")
    steps = {b.name: (b, why) for b, why in bench_run.plan("full")}
    assert steps["import"][1] == ""
    assert steps["campaigns"][0].args == ["--datasets", "online_retail", "sample"]
    assert steps["forecast_peers"][0].args == ["--sets", "retail_total,retail_top20,sample_categories"]
    assert "forecast_peers" not in {b.name for b, _ in bench_run.plan("skip")}


def test_list_and_an_unknown_name(bench_run, capsys) -> None:
    assert bench_run.main(["--list", "--only", "import,cube"]) == 0
    out = capsys.readouterr().out
    assert "import" in out and "SKIP: needs" in out and "bench_cube.py --scale 1" in out
    assert bench_run.main(["--only", "nope"]) == 2
