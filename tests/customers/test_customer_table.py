"""Per-customer results kept in a file (``opslib.customers.table.CustomerTable``) beyond
``frame_max_customers()`` customers: the table by hand, the action lists and their rule text by hand, and every
per-customer result notebook 05 uses equal as a file and as a frame on the small sample shop."""

from __future__ import annotations

import gc
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib import customers as cu
from opslib.customers.rfm import RFMResult
from opslib.customers.table import FRAME_MAX_CUSTOMERS, CustomerTable, frame_max_customers
from opslib.data import load_shop
from opslib.plotting import customers as charts


def test_table_answers_like_a_frame_and_deletes_its_file() -> None:
    f = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"], "clv": [2.0, np.nan, 5.0, 2.0, 5.0]})
    t = CustomerTable.from_frame(f)
    path = t.path
    assert path.exists() and len(t) == 5 and not t.empty and list(t.columns) == ["customer_id", "clv"]
    pd.testing.assert_frame_equal(t.head(2), f.head(2))
    # largest first, ties by customer, missing last
    assert t.top_rows("clv", 4, then="customer_id")["customer_id"].tolist() == ["c", "e", "a", "d"]
    assert t.top_rows("clv", 5, then="customer_id")["customer_id"].tolist()[-1] == "b"
    assert float(t["clv"].sum()) == 14.0 == t.sum("clv")  # missing values skipped, as pandas does
    assert t.query("SELECT count(*) AS n FROM t WHERE clv > 2")["n"].tolist() == [2]
    with pytest.raises(KeyError):
        t["nope"]
    del t
    gc.collect()
    assert not path.exists() and not path.parent.exists()


def test_stale_folders_of_ended_processes_are_cleaned_and_nothing_else(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    from opslib.customers import table as tb

    ended = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                               text=True, check=True).stdout)
    day = 24 * 3600

    def folder(name: str, owner: dict | None, files: tuple[str, ...] = ("customers.parquet",), age: float = 0.0):
        f = tmp_path / name
        f.mkdir()
        for n in files:
            (f / n).write_bytes(b"x")
        if owner is not None:
            (f / tb.OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
        old = 1_000_000_000.0 - age
        for e in [*f.iterdir(), f]:
            os.utime(e, (old, old))
        return f

    me = tb._this_process()
    dead = folder("opslib-customers-dead", {**me, "pid": ended},
                  ("customers.parquet", "duckdb_temp_storage-0.tmp"))
    mine_old = folder("opslib-customers-mine", me, age=30 * day)  # a running kernel's table: kept however old
    legacy_old = folder("opslib-customers-legacy", None, age=2 * day)  # no owner file, unchanged for two days
    legacy_new = folder("opslib-customers-recent", None, age=3600)
    other_host = folder("opslib-customers-host", {**me, "host": me["host"] + "-other"}, age=3600)
    users = folder("opslib-customers-users", {**me, "pid": ended}, ("customers.parquet", "notes.xlsx"), age=9 * day)
    not_ours = folder("customers-export", None, age=9 * day)
    (tmp_path / "opslib-customers-file.parquet").write_bytes(b"a user's file")
    removed = tb.clean_stale_tables(tmp_path, now=1_000_000_000.0)
    assert sorted(removed) == sorted([dead, legacy_old])
    assert not dead.exists() and not legacy_old.exists()
    for kept in (mine_old, legacy_new, other_host, users, not_ours):
        assert kept.exists() and any(kept.iterdir())
    assert (users / "notes.xlsx").read_bytes() == b"x" and (tmp_path / "opslib-customers-file.parquet").exists()
    # a live table's own folder names this process and survives a cleaning
    t = CustomerTable.from_frame(pd.DataFrame({"customer_id": ["a"]}), folder=tmp_path)
    owner = json.loads((t.path.parent / tb.OWNER_FILE).read_text(encoding="utf-8"))
    assert owner["pid"] == os.getpid() and tb.clean_stale_tables(tmp_path) == [] and t.path.exists()
    # a query that fails leaves no folder behind
    import duckdb

    before = set(tmp_path.iterdir())
    con = duckdb.connect()
    with pytest.raises(duckdb.Error):
        CustomerTable.from_engine(con, "SELECT * FROM no_such_table", tmp_path)
    assert set(tmp_path.iterdir()) == before


def test_threshold_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSLIB_FRAME_MAX_CUSTOMERS", raising=False)
    assert frame_max_customers() == FRAME_MAX_CUSTOMERS == 1_000_000
    monkeypatch.setenv("OPSLIB_FRAME_MAX_CUSTOMERS", "2_500")
    assert frame_max_customers() == 2500
    monkeypatch.setenv("OPSLIB_FRAME_MAX_CUSTOMERS", "many")  # not a number: the default
    assert frame_max_customers() == FRAME_MAX_CUSTOMERS


def _customers() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"], "segment": ["at_risk", "champions", "cannot_lose", "new"],
        "segment_name": ["At risk", "Champions", "Cannot lose", "New"],
        "segment_cn": ["流失风险客户", "重要价值客户", "重要挽留客户", "新客户"], "rfm": ["244", "555", "155", "511"],
        "first_order": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01", "2024-06-25"]),
        "last_order": pd.to_datetime(["2024-03-01", "2024-06-28", "2023-12-13", "2024-06-25"]),
        "recency_days": [121, 2, 1200, 5], "frequency": [4, 9, 6, 1], "monetary": [800.0, 2000.0, 1500.5, 80.0]})


def test_lists_from_a_file_by_hand() -> None:
    rfm = RFMResult(CustomerTable.from_frame(_customers()), pd.Timestamp("2024-06-30"))
    clv = pd.DataFrame({"customer_id": ["c", "a", "z"], "p_alive": [0.5, 0.25, 1.0], "clv": [10.0, 20.0, 30.0]})
    w = cu.win_back_list(rfm, clv=clv, top=5)
    assert w["customer_id"].tolist() == ["c", "a"]  # by what they spent
    assert w["clv"].tolist() == [10.0, 20.0] and w["p_alive"].tolist() == [0.5, 0.25]
    assert w["rule"].tolist() == ["Cannot lose: RFM 155, 1,200 days since the last order, spent 1,500",
                                  "At risk: RFM 244, 121 days since the last order, spent 800"]
    whole = cu.win_back_list(rfm, clv=CustomerTable.from_frame(clv), top=None)
    assert isinstance(whole, CustomerTable) and len(whole) == 2
    pd.testing.assert_frame_equal(whole.to_pandas(), w)
    n = cu.nurture_list(rfm, days=30, median_gap_days=35.4)
    assert n["customer_id"].tolist() == ["d"] and str(n["nudge_on"].iloc[0].date()) == "2024-07-30"
    assert n["rule"].tolist() == ["first order 2024-06-25 (5 days ago), spent 80; nudge at the median 35 days to a "
                                  "second order"]
    s = cu.segment_summary(rfm).set_index("segment")
    assert s.loc["cannot_lose", "customers"] == 1.0 and s.loc["champions", "value_share"] == 2000.0 / 4380.5


def test_notebook_05_results_are_equal_as_files_and_as_frames(small_shop_dir: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    shop = load_shop(small_shop_dir, tables=["orders", "products", "traffic", "fulfilment", "campaigns"])
    end = pd.Timestamp("2025-06-30")

    def run(limit: int, folder: Path) -> dict:
        monkeypatch.setenv("OPSLIB_FRAME_MAX_CUSTOMERS", str(limit))
        rfm = cu.rfm_segments(shop, as_of=end)
        before = cu.rfm_segments(shop, as_of=end - pd.Timedelta(days=364))
        value = cu.lifetime_value(shop, end=end, margin=0.4)
        out = {"rfm": rfm, "moves": cu.segment_transitions(before, rfm), "value": value,
               "win_back": cu.win_back_list(rfm, clv=value.customers, top=None),
               "win_back_5": cu.win_back_list(rfm, clv=value.customers, top=5),
               "nurture": cu.nurture_list(rfm, median_gap_days=35.4, top=None),
               "clv_top": charts.clv_table(value.customers)}
        out["files"] = [p for k in ("win_back", "nurture")
                        for p in cu.export_actions(out[k], folder, k, excel_rows=40)]
        return out

    frames, files = run(10**9, tmp_path / "frames"), run(0, tmp_path / "files")
    assert isinstance(frames["rfm"].customers, pd.DataFrame) and isinstance(frames["win_back"], pd.DataFrame)
    for k in ("win_back", "nurture"):
        assert isinstance(files[k], CustomerTable)
    assert isinstance(files["rfm"].customers, CustomerTable) and isinstance(files["value"].customers, CustomerTable)

    def frame(x):
        return x.to_pandas() if isinstance(x, CustomerTable) else x

    pd.testing.assert_frame_equal(frame(files["rfm"].customers), frames["rfm"].customers)
    assert files["rfm"].describe() == frames["rfm"].describe()
    pd.testing.assert_frame_equal(files["rfm"].summary(), frames["rfm"].summary(), rtol=1e-12)
    pd.testing.assert_frame_equal(files["moves"].counts, frames["moves"].counts)
    pd.testing.assert_frame_equal(cu.segment_campaigns(files["rfm"]), cu.segment_campaigns(frames["rfm"]), rtol=1e-12)
    a, b = frames["value"], files["value"]
    assert a.describe() == b.describe()
    assert a.purchases.params == pytest.approx(b.purchases.params, rel=1e-9)
    assert a.spend.params == pytest.approx(b.spend.params, rel=1e-9)  # Gamma-Gamma on (x, m) counts: same optimum
    pd.testing.assert_frame_equal(b.summary(), a.summary(), rtol=1e-9, check_dtype=False)
    pd.testing.assert_frame_equal(frame(b.customers), a.customers.reset_index(drop=True), rtol=1e-9, check_dtype=False)
    for k in ("win_back", "win_back_5", "nurture", "clv_top"):
        pd.testing.assert_frame_equal(frame(files[k]), frame(frames[k]), rtol=1e-9)
    for p, q in zip(frames["files"], files["files"], strict=True):
        assert p.name == q.name
        if p.suffix == ".csv":  # the same rows and cells; CLV's last digits may differ (see the spend params)
            x, y = (pd.read_csv(io.BytesIO(f.read_bytes()), encoding="utf-8-sig") for f in (p, q))
        else:
            x, y = pd.read_excel(p), pd.read_excel(q)
        pd.testing.assert_frame_equal(x, y, rtol=1e-9)
    assert files["value"].plot() is not None and files["value"].plot_matrix() is not None
