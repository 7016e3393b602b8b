"""The scheduling examples in examples/ stay valid: the DAG compiles, the units name real commands."""

from __future__ import annotations

import ast
import configparser

from tests.conftest import ROOT


def test_airflow_dag_is_valid_python_using_papermill_operator() -> None:
    src = (ROOT / "examples" / "airflow" / "opsplaybook_dag.py").read_text(encoding="utf-8")
    tree = ast.parse(src)
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert {"PapermillOperator", "BashOperator", "DAG"} <= imported
    assert "opslib report run --config reports.yml" in src


def test_systemd_units_parse_and_point_at_the_runner() -> None:
    service = configparser.ConfigParser(strict=False)
    service.read(ROOT / "examples" / "systemd" / "opsplaybook-reports.service")
    assert "-m opslib report run --config reports.yml" in service["Service"]["ExecStart"]
    timer = configparser.ConfigParser(strict=False)
    timer.read(ROOT / "examples" / "systemd" / "opsplaybook-reports.timer")
    assert timer["Timer"]["OnCalendar"] == "*-*-* 06:00:00"


def test_systemd_service_has_a_time_limit_longer_than_one_report() -> None:
    """A oneshot without TimeoutStartSec waits forever; the batch limit must leave room for a report's own."""
    from opslib.reporting.plan import parse_duration
    from opslib.reporting.run import TIMEOUT_FIRST

    service = configparser.ConfigParser(strict=False)
    service.read(ROOT / "examples" / "systemd" / "opsplaybook-reports.service")
    limit = parse_duration(service["Service"]["TimeoutStartSec"])
    assert limit > TIMEOUT_FIRST  # 3 h > the 1 h first-run limit of one report
    assert service["Service"]["KillMode"] == "mixed"  # SIGTERM to the runner, which stops its kernels


def test_airflow_tasks_have_an_execution_timeout() -> None:
    tree = ast.parse((ROOT / "examples" / "airflow" / "opsplaybook_dag.py").read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") in
             {"BashOperator", "PapermillOperator"}]
    assert len(calls) == 2
    assert all(any(k.arg == "execution_timeout" for k in c.keywords) for c in calls)


def test_reports_yml_schedules_name_existing_notebooks() -> None:
    from opslib.reporting.plan import discover, find_notebook, load_config

    cfg = load_config(ROOT / "reports.yml")
    available = discover(ROOT / "notebooks")
    for spec in cfg["schedules"].values():
        find_notebook(str(spec["notebook"]), available)


def test_reports_yml_dry_run_checks_every_planned_run(small_shop_dir, capsys) -> None:
    from opslib import reporting as reports

    code = reports.main(["run", "--config", str(ROOT / "reports.yml"), "--dry-run", "-p", "data_dir", str(small_shop_dir)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    planned = captured.out.strip().splitlines()
    assert sum("01_category_optimisation__" in line for line in planned) == 3  # top 3 categories
    assert any("00_shop_at_a_glance" in line for line in planned)


def test_every_example_mapping_is_a_valid_mapping() -> None:
    """Each mapping in examples/mappings parses, and names only contract tables, fields and safe expressions."""
    from opslib.importers import load_mapping

    mappings = sorted((ROOT / "examples" / "mappings").glob("*.yml"))
    assert {p.stem for p in mappings} >= {"taobao_orders", "online_retail", "superstore", "olist", "cdnow"}
    for path in mappings:
        spec = load_mapping(path)
        assert {"orders", "products"} <= set(spec["tables"]), f"{path.name} must give the two required tables"
