"""The report runner: good runs, failing runs that keep the last good report, checks before any kernel."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from opslib import reporting as reports
from opslib.reporting.plan import period_label
from tests.reporting.conftest import write_notebook


def _notebook(path: Path, body: str, params: str) -> Path:
    return write_notebook(path, body, params)


@pytest.fixture
def nb_dir(tmp_path: Path) -> Path:
    d = tmp_path / "notebooks"
    d.mkdir()
    params = "x = 1\nlabel = 'a'\ndata_dir = None\ncategory = None\ncampaign_id = None\nperiod_end = None\n"
    _notebook(d / "00_good.ipynb", "import os\nprint('value', x * 2, label, category, os.environ.get('OPSPLAYBOOK_PROGRESS'))",
              params)
    _notebook(d / "01_bad.ipynb", "if x > 1:\n    raise ValueError('x too big')\nprint('fine')", "x = 1\n")
    return d


def _run(nb_dir: Path, out: Path, *args: str) -> int:
    return reports.main(["run", *args, "--notebooks", str(nb_dir), "--out", str(out)])


def test_good_run_writes_notebook_html_and_index(nb_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "--all", "--period", "P1") == 0
    assert (out / "P1" / "00_good.ipynb").exists() and (out / "P1" / "00_good.html").exists()
    page = (out / "P1" / "00_good.html").read_text(encoding="utf-8")
    assert "value 2 a None 0" in page and "print(" not in page  # output shown, code hidden; no progress bars
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert runs[0]["opslib_version"] and runs[0]["html"] == "P1/00_good.html"
    assert "P1/00_good.html" in (out / "index.html").read_text(encoding="utf-8")
    meta = nbformat.read(str(out / "P1" / "00_good.ipynb"), as_version=4).metadata["opsplaybook"]
    assert meta["parameters"] == {} and meta["opslib_version"]


def test_failure_keeps_last_good_report_and_exits_non_zero(nb_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "01", "--period", "P") == 0
    good = (out / "P" / "01_bad.html").read_bytes()
    # x = 5 makes 01 raise; both notebooks still run and the exit status says one failed.
    assert _run(nb_dir, out, "--all", "-p", "x", "5", "--period", "P", "--workers", "2") == 1
    assert (out / "P" / "01_bad.html").read_bytes() == good
    failed = nbformat.read(str(out / "P" / "01_bad.failed.ipynb"), as_version=4)
    top = failed.cells[0].source  # the error and the failing cell's code sit on top
    assert "x too big" in top and "raise ValueError" in top
    assert (out / "P" / "00_good.ipynb").exists()
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert sorted(r["status"] for r in runs[-2:]) == ["failed", "ok"]
    assert any("ValueError" in r["error"] for r in runs[-2:])
    # A later good run clears the failure files.
    assert _run(nb_dir, out, "01", "--period", "P") == 0
    assert not (out / "P" / "01_bad.failed.ipynb").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["00", "-p", "nope", "1"], "unknown parameter 'nope'"),
        (["00", "-p", "x", "abc"], "expects int"),
        (["00", "-p", "period_end", "2024-13-45"], "must be a date like"),
        (["99_nothing"], "no notebook named"),
        (["00", "-p", "data_dir", "/does/not/exist"], "is not a folder"),
        (["--all", "-p", "zzz", "1"], "no notebook declares them"),
        (["00", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_bad_requests_are_rejected_before_any_kernel(nb_dir: Path, tmp_path: Path, capsys, args, message) -> None:
    out = tmp_path / "reports"
    assert _run(nb_dir, out, *args) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert not out.exists()


def test_unknown_category_and_campaign(nb_dir: Path, tmp_path: Path, tiny_shop: Path, capsys) -> None:
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "00", "-p", "data_dir", str(tiny_shop), "-p", "category", "玩具") == 2
    assert "category '玩具' is not in" in capsys.readouterr().err
    assert _run(nb_dir, out, "00", "-p", "data_dir", str(tiny_shop), "-p", "campaign_id", "CMP") == 2
    err = capsys.readouterr().err
    assert "campaign_id 'CMP' is not in" in err and "CMP1" in err
    assert _run(nb_dir, out, "00", "-p", "data_dir", str(tiny_shop), "-p", "category", "美妆", "--dry-run") == 0


def test_config_schedules_expand_and_dry_run(nb_dir: Path, tmp_path: Path, tiny_shop: Path, capsys) -> None:
    cfg = tmp_path / "reports.yml"
    cfg.write_text(
        f"defaults:\n  data_dir: {tiny_shop}\n"
        "schedules:\n"
        "  weekly_category_review:\n    notebook: 00_good\n    period: week\n"
        "    parameters: {period_end: '2024-03-30'}\n    for_each: {category: top_categories 2}\n"
        "  campaign_review:\n    notebook: '00'\n    for_each: {campaign_id: ended_campaigns 14}\n"
        "    parameters: {period_end: '2024-03-30'}\n",
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "--config", str(cfg), "--dry-run") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    # 数码 sold 280 in the last 28 days, 美妆 10: ranked by GMV. Only CMP1 ended in the last 14 days.
    assert [ln.split()[0] for ln in lines] == [
        "2024-W13/00_good__数码", "2024-W13/00_good__美妆", "2024-03-30/00_good__CMP1"]
    assert not out.exists()
    assert _run(nb_dir, out, "--config", str(cfg), "--schedule", "campaign_review") == 0
    assert "value 2 a None 0" in (out / "2024-03-30" / "00_good__CMP1.html").read_text(encoding="utf-8")


def test_bad_config_is_a_clear_message(nb_dir: Path, tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "reports.yml"
    cfg.write_text("schedules:\n  s:\n    notebook: 00_good\n    every: week\n", encoding="utf-8")
    assert _run(nb_dir, tmp_path / "r", "--config", str(cfg)) == 2
    assert "unknown key(s) every" in capsys.readouterr().err
    assert _run(nb_dir, tmp_path / "r", "--config", str(tmp_path / "missing.yml")) == 2
    assert "does not exist" in capsys.readouterr().err


def test_period_label() -> None:
    assert period_label("week", {"period_end": "2024-12-30"}) == "2025-W01"  # ISO week of Mon 30 Dec 2024
    assert period_label("month", {"period_end": "2024-06-18"}) == "2024-06"
    assert period_label(None, {"period_end": "2024-06-18"}) == "2024-06-18"


def test_values_are_typed_by_the_declaration() -> None:
    """What parse_value did by guessing (YAML) is now decided by the notebook's declaration."""
    from opslib.reporting.params import convert, parse_parameters

    ps = parse_parameters("n = 1\nq = 0.5\nc = None\nd = None  # [date or None]\nlabel = 'a'\n")
    base = Path(".")
    assert convert(ps["n"], "8", base) == 8
    assert convert(ps["q"], "0.95", base) == 0.95
    assert convert(ps["c"], "null", base) is None
    assert convert(ps["d"], "2024-06-18", base) == "2024-06-18"
    assert convert(ps["label"], "美妆", base) == "美妆"


# ------------------------------------------------------------------ parameters typed by the declaration

DECLARED = """\
data_dir = "shop"          # [folder] the shop, relative to the notebook's folder
category = None            # [category or None] one category of the shop
label = "x"                # [text] any text
n = 3                      # [int, at least 1] how many
compare = "last_year"      # [last_year | previous] the baseline
share = 0.5                # [0 < float < 1] a share
flag = False               # [bool] yes or no
export_dir = None          # [output folder or None] where files go
"""


@pytest.fixture
def typed_dir(tmp_path: Path, tiny_shop: Path) -> Path:
    """A notebook folder next to the tiny shop: the notebook's default data_dir 'shop' points at it."""
    d = tiny_shop.parent
    write_notebook(d / "00_typed.ipynb",
                   "import json\nprint(json.dumps({'category': category, 'label': label, 'n': n, 'flag': flag, "
                   "'export_dir': export_dir}, ensure_ascii=False))", DECLARED)
    return d


def _meta(out: Path, period: str, name: str) -> dict:
    return nbformat.read(str(out / period / f"{name}.ipynb"), as_version=4).metadata["opsplaybook"]


def test_text_parameters_stay_the_exact_text(typed_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    # YAML read '美妆 #1' as '美妆' (comment), 0123 as 83 (octal) and No as False; the declaration says text.
    assert _run(typed_dir, out, "00", "-p", "label", "美妆 #1", "--period", "A", "-p", "flag", "yes") == 0
    assert _meta(out, "A", "00_typed")["parameters"] == {"label": "美妆 #1", "flag": True}
    assert _run(typed_dir, out, "00", "-p", "label", "0123", "-p", "n", "0123", "--period", "B") == 0
    assert _meta(out, "B", "00_typed")["parameters"] == {"label": "0123", "n": 123}
    assert _run(typed_dir, out, "00", "-p", "label", "No", "-p", "category", "None", "--period", "C") == 0
    assert _meta(out, "C", "00_typed")["parameters"] == {"label": "No", "category": None}
    assert '"label": "No"' in (out / "C" / "00_typed.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "compare", "last_yaer"], "must be one of last_year, previous, got 'last_yaer'; did you mean 'last_year'?"),
        (["-p", "n", "0"], "expects int (a whole number) (default 3), got '0': it must be at least 1"),
        (["-p", "share", "1"], "got '1': it must be less than 1"),
        (["-p", "flag", "maybe"], "expects bool"),
        (["-p", "n", "None"], "expects int (a whole number) (default 3), got 'None'"),
        (["-p", "categroy", "美妆"], "unknown parameter 'categroy' (did you mean category?)"),
        (["-p", "export_dir", "{shop}/products.csv"], "is a file, not a folder"),
    ],
)
def test_declared_checks_before_any_kernel(typed_dir: Path, tmp_path: Path, tiny_shop: Path, capsys, args,
                                           message) -> None:
    args = [a.replace("{shop}", str(tiny_shop)) for a in args]
    assert _run(typed_dir, tmp_path / "reports", "00", "--dry-run", *args) == 2
    err = capsys.readouterr().err
    assert message in err, err


def test_a_typod_category_is_caught_with_the_notebooks_default_data_dir(typed_dir: Path, tmp_path: Path,
                                                                       capsys) -> None:
    # No data_dir given: the notebook's own default ("shop", next to the notebook) is the shop checked.
    assert _run(typed_dir, tmp_path / "r", "00", "-p", "category", "美装", "--dry-run") == 2
    err = capsys.readouterr().err
    assert "category '美装' is not in" in err and "the notebook's default data_dir" in err
    assert "did you mean 美妆?" in err
    assert _run(typed_dir, tmp_path / "r", "00", "-p", "category", "美妆", "--dry-run") == 0


def test_the_notebooks_default_data_dir_must_exist(tmp_path: Path, capsys) -> None:
    d = tmp_path / "nb"
    d.mkdir()
    write_notebook(d / "00_t.ipynb", "print(1)", 'data_dir = "../nowhere"  # [folder]\n')
    assert _run(d, tmp_path / "r", "00", "--dry-run") == 2
    assert "the notebook's default data_dir \"../nowhere\" points at" in capsys.readouterr().err


def test_relative_paths_are_taken_from_the_commands_folder(typed_dir: Path, tmp_path: Path, tiny_shop: Path,
                                                           monkeypatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    out = tmp_path / "reports"
    assert _run(typed_dir, out, "00", "-p", "data_dir", "../shop", "-p", "export_dir", "exports", "--period", "P") == 0
    params = _meta(out, "P", "00_typed")["parameters"]
    # Both from the command's folder (before: export_dir resolved against notebooks/, data_dir against cwd).
    assert params == {"data_dir": str(tiny_shop), "export_dir": str(work / "exports")}
    assert Path.cwd() == work  # running a notebook does not move the runner's own working directory


def test_reports_yml_values_are_text_until_the_declaration_types_them(typed_dir: Path, tmp_path: Path,
                                                                      tiny_shop: Path, capsys) -> None:
    cfg = tmp_path / "reports.yml"
    cfg.write_text(
        f"defaults:\n  data_dir: {tiny_shop}\n"
        "schedules:\n"
        "  s:\n    notebook: '00'\n    parameters: {label: No, n: 0123, flag: yes}\n    timeout: 5m\n",
        encoding="utf-8")
    assert _run(typed_dir, tmp_path / "r", "--config", str(cfg), "--dry-run") == 0
    line = capsys.readouterr().out
    assert '"label": "No"' in line and '"n": 123' in line and '"flag": true' in line
    assert "timeout 5m (set by schedule s's timeout:)" in line


def test_period_must_be_one_folder_inside_the_reports_folder(nb_dir: Path, tmp_path: Path, capsys) -> None:
    for bad in ("../../etc", "a/b", ".hidden", ".."):
        assert _run(nb_dir, tmp_path / "r", "00", "--period", bad) == 2
        assert "must be one folder name" in capsys.readouterr().err
    assert not (tmp_path / "etc").exists() and not (tmp_path / "r").exists()


def test_long_and_odd_for_each_values_give_valid_report_names(nb_dir: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "reports.yml"
    long = "类" * 300
    cfg.write_text(f"schedules:\n  s:\n    notebook: '00'\n    for_each: {{label: ['{long}', '../../x']}}\n",
                   encoding="utf-8")
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "--config", str(cfg), "--period", "P") == 0
    names = sorted(p.name for p in (out / "P").glob("*.html"))
    assert len(names) == 2 and all(len(n.encode()) < 255 for n in names)
    assert "00_good__x.html" in names
    assert sorted(os.listdir(tmp_path)) == ["notebooks", "reports", "reports.yml"]


# ------------------------------------------------------------------ bookkeeping whatever fails


def test_a_failure_outside_the_kernel_is_that_runs_failure(nb_dir: Path, tmp_path: Path, tiny_shop: Path,
                                                           monkeypatch) -> None:
    """An unreadable file in data_dir (or a full disk) fails that run; the other runs and the index are kept."""
    from opslib.reporting import run as runner

    real = runner.data_fingerprint

    def unreadable(data_dir):
        if data_dir and Path(data_dir) == tiny_shop:
            raise PermissionError(13, "Permission denied", str(tiny_shop / "orders.csv"))
        return real(data_dir)

    monkeypatch.setattr(runner, "data_fingerprint", unreadable)
    cfg = tmp_path / "reports.yml"
    cfg.write_text(f"schedules:\n  bad:\n    notebook: '00'\n    parameters: {{data_dir: {tiny_shop}}}\n"
                   "  good:\n    notebook: '01'\n", encoding="utf-8")
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "--config", str(cfg), "--period", "P", "--workers", "2") == 1
    runs = {r["name"]: r for r in json.loads((out / "runs.json").read_text(encoding="utf-8"))}
    assert runs["01_bad"]["status"] == "ok" and (out / "P" / "01_bad.html").exists()
    assert runs["00_good"]["status"] == "failed"
    assert "PermissionError while reading data_dir" in runs["00_good"]["error"] and "orders.csv" in runs["00_good"]["error"]
    assert "00_good" in (out / "index.html").read_text(encoding="utf-8")


def test_a_full_disk_while_writing_the_report_is_recorded(nb_dir: Path, tmp_path: Path, monkeypatch) -> None:
    from opslib.reporting import run as runner

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner, "to_html", full)
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "--all", "--period", "P") == 1
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert len(runs) == 2 and all("No space left on device" in r["error"] for r in runs)
    assert not list((out / "P").glob("*.html"))
    assert not (out / ".tmp").exists()


def test_chmod_unreadable_data_file(nb_dir: Path, tmp_path: Path, tiny_shop: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode (the monkeypatched test above covers the logic)")
    (tiny_shop / "orders.csv").chmod(0)
    out = tmp_path / "reports"
    try:
        assert _run(nb_dir, out, "00", "-p", "data_dir", str(tiny_shop), "--period", "P") == 1
    finally:
        (tiny_shop / "orders.csv").chmod(0o644)
    (run,) = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert run["status"] == "failed" and "PermissionError" in run["error"]


def test_a_schedule_whose_shop_cannot_be_read_fails_alone(nb_dir: Path, tmp_path: Path, tiny_shop: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "products.csv").write_text("sku,name\n", encoding="utf-8")  # no category column, no orders
    cfg = tmp_path / "reports.yml"
    cfg.write_text(f"schedules:\n  review:\n    notebook: '00'\n    parameters: {{data_dir: {broken}}}\n"
                   "    for_each: {category: top_categories 3}\n"
                   "  other:\n    notebook: '01'\n", encoding="utf-8")
    out = tmp_path / "reports"
    assert _run(nb_dir, out, "--config", str(cfg), "--period", "P") == 1
    runs = {r["schedule"]: r for r in json.loads((out / "runs.json").read_text(encoding="utf-8"))}
    assert runs["other"]["status"] == "ok"
    assert runs["review"]["status"] == "failed" and "could not read the shop" in runs["review"]["error"]


def test_temp_files_of_a_runner_killed_outright_are_cleaned(nb_dir: Path, tmp_path: Path) -> None:
    """kill -9 cannot be handled; the next run removes what a dead runner left, never a live runner's files."""
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    tmp = tmp_path / "reports" / ".tmp"
    tmp.mkdir(parents=True)
    dead = tmp / f"00_good.{gone.pid}.140000.ipynb"
    live = tmp / f"00_good.{os.getppid()}.140000.ipynb"  # pytest's parent: alive, maybe another runner
    dead.write_text("{}", encoding="utf-8")
    live.write_text("{}", encoding="utf-8")
    assert _run(nb_dir, tmp_path / "reports", "01", "--period", "P") == 0
    assert not dead.exists() and live.exists()


def test_kernels_get_a_start_timeout_a_loaded_machine_can_meet(nb_dir: Path, tmp_path: Path, monkeypatch) -> None:
    # papermill's default of 60 s failed six of eight reports at a load of 27 ("Kernel didn't respond in 60
    # seconds"); the runner gives the kernel 600 s, or what OPSLIB_KERNEL_START_TIMEOUT says.
    import papermill

    from opslib.reporting import run as run_module

    seen: list[float] = []
    real = papermill.execute_notebook

    def recording(*args, **kwargs):
        seen.append(kwargs.get("start_timeout"))
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", recording)
    monkeypatch.delenv("OPSLIB_KERNEL_START_TIMEOUT", raising=False)
    assert run_module.kernel_start_timeout() == 600.0
    for raw in ("abc", "-5", "0", ""):
        monkeypatch.setenv("OPSLIB_KERNEL_START_TIMEOUT", raw)
        assert run_module.kernel_start_timeout() == 600.0
    monkeypatch.setenv("OPSLIB_KERNEL_START_TIMEOUT", "123")
    assert _run(nb_dir, tmp_path / "reports", "00_good", "--period", "P1") == 0
    assert seen == [123.0]
