"""Incident drills (opslib.sample.scenarios): no scenario changes nothing; each planted incident is found by the
opslib functions the notebooks call, and a finding built from them scores full marks against the answer file.

The drills are generated at scale 0.05 (seed 21), the size of the test shop; the incidents are planted big enough
to be found there. Detection uses only what a trainee has: the shop folder (never the answer file).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from opslib import assortment as cat
from opslib import campaigns as cp
from opslib import kpi, pricing
from opslib import operations as ops
from opslib.calendar import parse_period
from opslib.data import daily_sku, load_shop
from opslib.sample import GENERATOR_VERSION, generate, main
from opslib.sample import scenarios as sc
from opslib.training import drills

SEED, SCALE = 21, 0.05

#: sha256 of the files of ``generate(seed=3, scale=0.02)`` per generator version, taken from the code without
#: the scenario hooks (main's generator; the hooks must not change a byte). A new GENERATOR_VERSION means the
#: output changed on purpose: add its hashes (the failure message prints them).
PINNED = {
    "1.1.0": {
        "campaigns.parquet": "250e2347f999ba4596a53fbe88dbb10fd3d24cd799321780797ea58b4ab51570",
        "fulfilment.parquet": "30dda980e6677457203f7d25980dc8b1ff7feafd9a173e89f721f18937c66f6f",
        "inventory.parquet": "acc5452d8eed3c84d960c144a0b924b0848ffded357887d40c36642ce0bcd07a",
        "orders.parquet": "99986ed5dafc5b254299897425140762e1c9e1a928eda588782d839e53a6bad0",
        "products.parquet": "60a7e916a3c17a0922c764bbe80ed9b99f2a33f84a6ee7e93cbd7833bbfd05b0",
        "reviews.parquet": "26e9cdbeb29b10a494d2cc55664a578aaebd20c867281a04fdb9d48b1ea4e27e",
        "service.parquet": "4f371fffa96198f2f6a953a8d9017c34f58409fd3c10869524d0d896572c615b",
        "traffic.parquet": "1d7f94b05a47db56821de5f046f8d345ff8fc775b5acbda92ce8dc99f1d5e565",
        "truth.json": "7a5a8cc179405cf458205f99e2a074bbf7d5ff4835595bfaea3dfb78ee6ad3df",
    },
    "1.2.0": {  # the market table added (main 724ba2d); every other table as in 1.1.0
        "campaigns.parquet": "250e2347f999ba4596a53fbe88dbb10fd3d24cd799321780797ea58b4ab51570",
        "fulfilment.parquet": "30dda980e6677457203f7d25980dc8b1ff7feafd9a173e89f721f18937c66f6f",
        "inventory.parquet": "acc5452d8eed3c84d960c144a0b924b0848ffded357887d40c36642ce0bcd07a",
        "market.parquet": "08efe31926ed263dbd81487397d5906cd92bd2613d264262c6e8e7db3177a8b4",
        "orders.parquet": "99986ed5dafc5b254299897425140762e1c9e1a928eda588782d839e53a6bad0",
        "products.parquet": "60a7e916a3c17a0922c764bbe80ed9b99f2a33f84a6ee7e93cbd7833bbfd05b0",
        "reviews.parquet": "26e9cdbeb29b10a494d2cc55664a578aaebd20c867281a04fdb9d48b1ea4e27e",
        "service.parquet": "4f371fffa96198f2f6a953a8d9017c34f58409fd3c10869524d0d896572c615b",
        "traffic.parquet": "1d7f94b05a47db56821de5f046f8d345ff8fc775b5acbda92ce8dc99f1d5e565",
        "truth.json": "647384ae1afc944132dab48fcf752a80903e8ccaeb449c314cbccf4c856a7cd6",
    },
}


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plain")
    generate(out, seed=3, scale=0.02)
    return out


def test_without_a_scenario_the_files_are_byte_identical(plain: Path) -> None:
    got = _hashes(plain)
    if GENERATOR_VERSION not in PINNED:
        pytest.fail(f"no pinned hashes for generator version {GENERATOR_VERSION}; if the output changed on purpose, "
                    f"add to PINNED: {json.dumps({GENERATOR_VERSION: got}, indent=2)}")
    assert got == PINNED[GENERATOR_VERSION]


class _Null(sc.Scenario):
    """Every hook at its default: the shop must be the plain shop, file for file."""

    name = "null"


def test_a_scenario_that_plants_nothing_leaves_every_table_alone(plain: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sc.SCENARIOS, "null", _Null)
    generate(tmp_path / "drill", seed=3, scale=0.02, scenario="null")
    tables = {k: v for k, v in _hashes(plain).items() if k.endswith(".parquet")}
    drill = _hashes(tmp_path / "drill")
    assert {k: drill[k] for k in tables} == tables
    assert "truth.json" not in drill and "drill.json" in drill


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory):
    """Drill shops of every scenario, built on demand: name -> (shop folder, answer dict)."""
    base = tmp_path_factory.mktemp("drills")
    made: dict[str, tuple[Path, dict]] = {}

    def build(name: str) -> tuple[Path, dict]:
        if name not in made:
            out = base / name
            answer = generate(out, seed=SEED, scale=SCALE, scenario=name)
            made[name] = (out, answer)
        return made[name]

    return build


def test_the_trainee_folder_holds_no_answer(drill) -> None:
    out, answer = drill("carrier_outage")
    files = {p.name for p in out.iterdir()}
    assert "truth.json" not in files and "drill.json" in files
    ticket = json.loads((out / "drill.json").read_text(encoding="utf-8"))
    assert set(ticket) == {"drill", "brief", "kinds", "start", "end", "submit"}  # no seed, no planted values
    text = json.dumps(ticket, ensure_ascii=False)
    assert answer["where"] not in text and answer["start"] not in text
    saved = json.loads((out.parent / "carrier_outage.drill_answer.json").read_text(encoding="utf-8"))
    assert saved["where"] == answer["where"] and saved["truth"]["seed"] == SEED
    assert "brief" in saved and drills.ticket(out).startswith("演练 Drill")


def test_every_scenario_is_registered_with_a_ticket_and_a_size() -> None:
    assert len(sc.SCENARIOS) >= 5
    for name, cls in sc.SCENARIOS.items():
        assert cls.name == name and cls.brief and cls.size_means, name


def test_cli_draws_a_fresh_seed_for_a_drill_and_keeps_it_in_the_answer(tmp_path: Path, capsys) -> None:
    assert main(["--scale", "0.02", "--scenario", "review_crisis", "--out", str(tmp_path / "a")]) == 0
    assert "answer for the trainer" in capsys.readouterr().out
    seed = json.loads((tmp_path / "a.drill_answer.json").read_text(encoding="utf-8"))["seed"]
    assert isinstance(seed, int) and seed >= 0
    assert main(["--scale", "0.02", "--scenario", "nonsense", "--out", str(tmp_path / "b")]) == 2
    inside = ["--scale", "0.02", "--scenario", "carrier_outage", "--out", str(tmp_path / "c")]
    assert main([*inside, "--answer", str(tmp_path / "c" / "answer.json")]) == 2
    assert not (tmp_path / "c").exists()  # refused before anything is written
    assert main(["--scale", "0.02", "--days", "100", "--scenario", "loss_making_618", "--out", str(tmp_path / "d")]) == 2
    assert "needs at least 200 days" in capsys.readouterr().err


def _grade(finding: dict, answer: dict) -> drills.DrillGrade:
    result = drills.grade(finding, answer)
    assert result.score == 100, repr(drills.grade(finding, answer, reveal=True))
    return result


def _last_weeks(shop, days: int = 28):
    end = shop.orders["order_ts"].max().normalize()
    return parse_period(end - pd.Timedelta(days=days - 1), end)


# ------------------------------------------------------------------------------------------ each scenario
def test_supplier_delay_shows_as_stock_outs_of_one_brand(drill) -> None:
    out, answer = drill("supplier_delay")
    shop = load_shop(out)
    spells = cat.stockout_spells(shop.inventory)  # notebook 01, section 5
    still_out = spells[spells["end"] == shop.inventory["date"].max()]
    brand = still_out["sku"].map(shop.products.set_index("sku")["brand"])
    top = brand.value_counts()
    assert top.index[0] == answer["where"] and top.iloc[0] >= 3 * (top.iloc[1] if len(top) > 1 else 0)
    start = still_out.loc[brand == top.index[0], "start"].median()
    _grade({"kind": "supplier_delay", "where": top.index[0], "start": f"{start:%Y-%m-%d}", "size": int(top.iloc[0])},
           answer)


def _drivers(shop, category: str, current, baseline) -> pd.Series:
    """Relative change of visitors, conversion and AOV of one category (kpi.gmv_change, notebook 00's method)."""
    skus = set(shop.products.loc[shop.products["category"] == category, "sku"])
    lines = shop.orders[shop.orders["sku"].isin(skus)]
    traffic = shop.traffic[shop.traffic["category"] == category]
    d = kpi.gmv_change(lines, current, baseline, traffic).summary().set_index("driver")
    return d["current"] / d["baseline"] - 1


@pytest.mark.parametrize("name, driver", [("competitor_price_cut", "conversion_rate"), ("traffic_loss", "visitors")])
def test_a_category_drop_is_split_into_the_right_driver(drill, name: str, driver: str) -> None:
    out, answer = drill(name)
    shop = load_shop(out)
    current = _last_weeks(shop)
    changes = {c: _drivers(shop, c, current, current.previous()) for c in sorted(shop.products["category"].unique())}
    worst = min(changes, key=lambda c: changes[c][driver])
    assert worst == answer["where"]
    other = "visitors" if driver == "conversion_rate" else "conversion_rate"
    assert abs(changes[worst][other]) < abs(changes[worst][driver]) / 2  # the other driver did not move as much
    _grade({"kind": name, "where": worst, "start": answer["start"], "size": float(changes[worst][driver])}, answer)


def test_the_competitor_cut_shows_in_the_market_table(drill) -> None:
    """Notebook 07, section 6: the competitor's cut in the drilled category, relative to the market."""
    out, answer = drill("competitor_price_cut")
    shop = load_shop(out, tables=["orders", "products", "market"])
    moves = pricing.competitor_moves(shop.market, _last_weeks(shop))
    cuts = moves[moves["cut"]].set_index(["category", "competitor"])["change"]
    assert (answer["where"], answer["competitor"]) in cuts.index
    # a cut of 12-20% from a start 3-8 weeks back: in the last 28 days it shows as a fall of at least 5%
    assert cuts[(answer["where"], answer["competitor"])] <= -0.05


def test_loss_making_618_loses_money_before_marketing(drill) -> None:
    out, answer = drill("loss_making_618")
    shop = load_shop(out)
    ev = cp.evaluate_campaign(daily_sku(shop.orders, shop.products), shop.campaigns, shop.products,
                              answer["where"], orders=shop.orders)  # notebook 02
    assert ev.money.incremental_margin < 0  # selling below cost, whatever the marketing spend
    depth = shop.campaigns.set_index("campaign_id").loc[answer["where"], "discount_depth"]
    assert depth > 2 * shop.campaigns.loc[shop.campaigns["campaign_id"] != answer["where"], "discount_depth"].median()
    _grade({"kind": "loss_making_618", "where": answer["where"], "start": answer["start"],
            "size": ev.money.net_profit}, answer)


def test_carrier_outage_shows_as_late_parcels_of_one_carrier(drill) -> None:
    out, answer = drill("carrier_outage")
    shop = load_shop(out)
    data = ops.prepare(shop)  # notebook 06
    current = parse_period(data.last_day - pd.Timedelta(days=48), data.last_day)
    by_carrier = ops.durations_by(data, "carrier", current).set_index("carrier")
    carrier = by_carrier["on_time_rate"].idxmin()
    assert carrier == answer["where"]
    assert by_carrier["on_time_rate"].min() < by_carrier["on_time_rate"].drop(carrier).min() - 0.1
    weekly = [(w, ops.durations_by(data, "carrier", (w, w + pd.Timedelta(days=6))).set_index("carrier"))
              for w in pd.date_range(current.start - pd.Timedelta(days=56), current.end, freq="7D")]
    transit = pd.Series({w: t.loc[carrier, "transit_mean_h"] for w, t in weekly if carrier in t.index}) / 24
    normal = transit.iloc[:8].median()
    jump = transit[transit > normal + 2]
    extra = float(jump.mean() - normal)
    _grade({"kind": "carrier_outage", "where": carrier, "start": f"{jump.index[0]:%Y-%m-%d}", "size": extra}, answer)


def test_review_crisis_shows_as_returns_of_one_subcategory(drill) -> None:
    out, answer = drill("review_crisis")
    shop = load_shop(out)
    cube = daily_sku(shop.orders, shop.products)
    recent = cat.sku_summary(cube, _last_weeks(shop), shop.products)
    rates = cat.margin_structure(recent, "subcategory").set_index("subcategory")["return_rate"]  # notebook 01
    sub = rates.idxmax()
    assert sub == answer["where"]
    weekly = cube[cube["subcategory"] == sub].assign(week=lambda d: d["date"].dt.to_period("W"))
    by_week = weekly.groupby("week")[["gmv", "net_sales"]].sum()
    rate = (1 - by_week["net_sales"] / by_week["gmv"]).iloc[-13:]  # the last quarter, week by week
    start = rate[rate > rate.iloc[:4].mean() + 0.12].index[0].start_time
    _grade({"kind": "review_crisis", "where": sub, "start": f"{start:%Y-%m-%d}", "size": float(rates.max())}, answer)
