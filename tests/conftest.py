"""Shared fixtures: a small sample shop, generated once per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------ the cache folder of the run
# Validation stamps, staged CSV/Excel copies and DuckDB's spill files go to ``opslib.data.engine.cache_root``:
# ``$OPSLIB_CACHE_DIR`` before ``~/.cache/opsplaybook``. The whole run (notebook kernels started by papermill
# inherit the environment) uses one temporary folder, never the user's cache; tests that set their own
# (monkeypatch.setenv) keep theirs.
_USER_CACHE: str | None = None
_RUN_CACHE: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    import os
    import tempfile

    global _USER_CACHE, _RUN_CACHE
    _USER_CACHE = os.environ.get("OPSLIB_CACHE_DIR")
    _RUN_CACHE = tempfile.mkdtemp(prefix="opslib-test-cache-")
    os.environ["OPSLIB_CACHE_DIR"] = _RUN_CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    import os
    import shutil

    if _RUN_CACHE is None:
        return
    if _USER_CACHE is None:
        os.environ.pop("OPSLIB_CACHE_DIR", None)
    else:
        os.environ["OPSLIB_CACHE_DIR"] = _USER_CACHE
    shutil.rmtree(_RUN_CACHE, ignore_errors=True)

# The small shop every notebook test and truth test runs on: same generator as the default, 5% of the lines.
SMALL_SEED = 11
SMALL_SCALE = 0.05


@pytest.fixture(scope="session")
def small_shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample shop at scale 0.05 (about 50k order lines), written as Parquet with its truth.json."""
    from opslib.sample import generate

    out = tmp_path_factory.mktemp("shop")
    generate(out=out, seed=SMALL_SEED, scale=SMALL_SCALE)
    return out


@pytest.fixture(scope="session")
def small_truth(small_shop_dir: Path) -> dict:
    return json.loads((small_shop_dir / "truth.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------- Spark
def spark_reason() -> str | None:
    """Why the Spark tests cannot run here (no PySpark/sqlglot, no Java), or None when they can."""
    import os
    import shutil

    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        return "PySpark/sqlglot not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java (apt-get install openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="session")
def spark_engine():  # noqa: ANN201
    """One local-mode Spark engine per test process (starting Spark costs tens of seconds); skipped where Spark
    cannot run, failed under CI, which must run the Spark tests."""
    import os

    reason = spark_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Spark tests: {reason}")
        pytest.skip(reason)
    from opslib.data.engine import SparkEngine

    eng = SparkEngine(master="local[2]", conf={"spark.driver.memory": "2g"})
    yield eng
    eng.spark.stop()


# ------------------------------------------------------------------ validation stamps (tests/data/test_stamp.py,
# tests/reporting/test_prevalidate.py)

@pytest.fixture
def stamp_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary cache folder (``OPSLIB_CACHE_DIR``) for validation stamps, revalidation not forced."""
    path = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("OPSLIB_CACHE_DIR", str(path))
    monkeypatch.delenv("OPSLIB_REVALIDATE", raising=False)
    return path


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tables whose validation checks ran, in order (``sql_checks.table_problems`` counted)."""
    from opslib.data import sql_checks

    seen: list[str] = []
    real = sql_checks.table_problems

    def counting(engine, src, *args, **kwargs):  # noqa: ANN001, ANN202
        seen.append(src.spec.name)
        return real(engine, src, *args, **kwargs)

    monkeypatch.setattr(sql_checks, "table_problems", counting)
    return seen
