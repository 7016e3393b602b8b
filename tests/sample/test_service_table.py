"""The service table of the sample shop: the other tables are unchanged by it, and truth.json describes it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow
import pytest

from opslib.sample import generate

#: Recorded from main's generator before the service table existed (seed 3, scale 0.02; pyarrow 26, pandas 3):
#: (sha256 of the file, sha256 of pandas.util.hash_pandas_object of its content), first 16 hex digits.
BEFORE_SERVICE = {
    "orders": ("99986ed5dafc5b25", "323d2adaee4ba8d2"),
    "products": ("60a7e916a3c17a09", "68932d813b9c07d6"),
    "campaigns": ("250e2347f999ba45", "7a9258a895037f47"),
    "traffic": ("1d7f94b05a47db56", "888ae3c335f10222"),
    "inventory": ("acc5452d8eed3c84", "2b896f5685913909"),
    "fulfilment": ("30dda980e6677457", "9a5e074f0bfd529b"),
    "reviews": ("26e9cdbeb29b10a4", "53169ecffe1f1a7e"),
}
RECORDED_WITH = {"pyarrow": 26, "pandas": 3}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny_service")
    generate(out, seed=3, scale=0.02)
    return out


def _content(df: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes()).hexdigest()[:16]


@pytest.mark.parametrize("table", sorted(BEFORE_SERVICE))
def test_existing_tables_are_unchanged_by_the_service_table(tiny: Path, table: str) -> None:
    path = tiny / f"{table}.parquet"
    file_hash, content_hash = BEFORE_SERVICE[table]
    if int(pd.__version__.split(".")[0]) == RECORDED_WITH["pandas"]:
        assert _content(pd.read_parquet(path)) == content_hash, f"{table}: content differs from main's generator"
    if int(pyarrow.__version__.split(".")[0]) != RECORDED_WITH["pyarrow"]:
        pytest.skip(f"file bytes were recorded with pyarrow {RECORDED_WITH['pyarrow']}")
    assert hashlib.sha256(path.read_bytes()).hexdigest()[:16] == file_hash, f"{table}: bytes differ from main's"


def test_service_rows_agree_with_truth(small_shop_dir: Path, small_truth: dict) -> None:
    s = pd.read_parquet(small_shop_dir / "service.parquet")
    t = small_truth["service"]
    assert small_truth["counts"]["service_rows"] == len(s) == t["contacts"]
    assert (s["stage"] == "pre_sale").sum() == t["pre_sale"]
    pre = s[s["stage"] == "pre_sale"]
    assert (pre["converted"] == "yes").mean() == pytest.approx(t["inquiry_conversion"], abs=1e-4)
    assert s.loc[s["stage"] == "after_sale", "converted"].isna().all()
    assert pre.loc[pre["converted"] == "yes", "order_id"].notna().all()
    assert pre.loc[pre["converted"] == "no", "order_id"].isna().all()
    rt = (s["first_response_ts"] - s["contact_ts"]).dt.total_seconds()
    assert (rt.dropna() >= 1).all() and (s["resolved_ts"].dropna() >= s["first_response_ts"].min()).all()
    assert (rt <= 30).mean() == pytest.approx(t["first_response_within_30s"], abs=1e-4)
    assert s["contact_id"].is_unique and s["contact_ts"].is_monotonic_increasing
    # late orders raise after-sale contacts: planted +15 per 100 orders (raw gap larger: late orders are also
    # shipped slowly more often; tests/operations/test_service.py separates the causes)
    assert t["after_sale_per_100_late"] > t["after_sale_per_100_on_time"] + 10


def test_service_truth_is_deterministic(tiny: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, seed=3, scale=0.02)
    assert (again / "service.parquet").read_bytes() == (tiny / "service.parquet").read_bytes()
    a, b = (json.loads((d / "truth.json").read_text(encoding="utf-8"))["service"] for d in (tiny, again))
    assert a == b and a["unmatched_conversions"] == 0
