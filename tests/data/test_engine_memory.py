"""DuckDBEngine.capped_memory: DuckDB's total memory lowered inside the block, restored exactly afterwards."""

from __future__ import annotations

import pytest

from opslib.data.engine import DuckDBEngine, memory_bytes


class _Recording:
    """A DuckDB connection that records the statements sent to it."""

    def __init__(self, con: object) -> None:
        self.con, self.statements = con, []

    def execute(self, sql: str) -> object:
        self.statements.append(sql)
        return self.con.execute(sql)


def _limit(engine: DuckDBEngine) -> str:
    return engine.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_memory_bytes_by_hand() -> None:
    assert memory_bytes("1200MB") == 1.2e9
    assert memory_bytes("1.1 GiB") == 1.1 * 2**30
    assert memory_bytes("134217728B") == 134217728
    assert memory_bytes("512 KiB") == 512 * 1024
    assert memory_bytes("a lot") == float("inf")


def test_capped_memory_restores_the_configured_string_not_duckdbs_rounded_value() -> None:
    engine = DuckDBEngine(memory_limit="1234MB")
    before = _limit(engine)  # DuckDB shows 1234e6 bytes as "1.1 GiB": restoring that would lose 53 MB
    assert before == "1.1 GiB" and memory_bytes(before) != 1.234e9
    with engine.capped_memory("500MB"):
        assert _limit(engine) == "476.8 MiB"  # 500e6 / 2**20 = 476.84
    assert _limit(engine) == before
    # what was sent to DuckDB: the configured string, not the rounded "1.1 GiB" (1,181,116,006 bytes)
    sent = _Recording(engine.con)
    engine.con = sent
    with engine.capped_memory("500MB"):
        pass
    assert sent.statements == ["SET memory_limit = '500MB'", "SET memory_limit = '1234MB'"]
    assert engine.memory_limit == "1234MB"


def test_capped_memory_keeps_a_lower_setting_and_resets_an_unset_one() -> None:
    low = DuckDBEngine(memory_limit="100MB")
    with low.capped_memory("800MB"):
        assert _limit(low) == "95.3 MiB"  # 100e6 / 2**20: the engine's own lower limit stays
    assert _limit(low) == "95.3 MiB"
    unset = DuckDBEngine()
    default = _limit(unset)
    with unset.capped_memory("300MB"):
        assert _limit(unset) == "286.1 MiB"  # 300e6 / 2**20 = 286.10
    assert _limit(unset) == default and unset.memory_limit is None


def test_capped_memory_restores_after_an_error() -> None:
    engine = DuckDBEngine(memory_limit="1200MB")
    with pytest.raises(RuntimeError), engine.capped_memory("400MB"):
        raise RuntimeError("query failed")
    assert _limit(engine) == "1.1 GiB" and engine.memory_limit == "1200MB"  # 1200e6 / 2**30 = 1.12
