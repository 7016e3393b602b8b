"""The checks are honest: every key is the planted truth or a recomputation that agrees with an independent
implementation (truth.json, or the opslib function a notebook uses, computed separately), wrong answers get hints
that never contain the key, and a check never breaks a report — not on a real shop, not with a stale truth.json.
"""

from __future__ import annotations

import ast
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib import assortment as cat
from opslib import kpi
from opslib.calendar import review_periods
from opslib.campaigns import abtest
from opslib.data import daily_sku, load_shop
from opslib.data import quality as dq
from opslib.forecasting import replenishment as R
from opslib.pricing import cost_structure, optimal_price, price_war
from opslib.training import EXERCISES, check, exercise, start
from opslib.training.answers import Key, Ungradable
from opslib.training.facts import money_totals
from opslib.training.session import Session

PKG = Path(__file__).resolve().parents[2] / "opslib" / "training"


@pytest.fixture(scope="module")
def shop(small_shop_dir: Path):
    return load_shop(small_shop_dir)


@pytest.fixture(scope="module")
def keys(small_shop_dir: Path) -> dict[str, Key | Ungradable]:
    """Every exercise's key on the small sample shop (one session per chapter)."""
    sessions: dict[str, Session] = {}
    out = {}
    for ex in EXERCISES:
        s = sessions.setdefault(ex.chapter, Session(ex.chapter, small_shop_dir))
        out[ex.id] = ex.key(s)
    return out


def test_the_keys_do_not_use_the_notebooks_code() -> None:
    """Independence: the key modules import no domain module a notebook computes with (only data loading and
    the calendar's period rules, which are settings, not answers)."""
    allowed = {"opslib.training", "opslib.data", "opslib.calendar", "opslib.errors"}
    for name in ("facts.py", "exercises.py", "answers.py", "session.py", "checks.py"):
        tree = ast.parse((PKG / name).read_text(encoding="utf-8"))
        used = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("opslib")}
        assert all(any(u == a or u.startswith(a + ".") for a in allowed) for u in used), (name, used)


def test_every_exercise_is_gradable_on_the_sample_shop(keys) -> None:
    assert not [k for k, v in keys.items() if isinstance(v, Ungradable)]
    assert {ex.chapter for ex in EXERCISES} >= {"00", "01", "02", "03", "04"}
    for chapter in {ex.chapter for ex in EXERCISES}:
        assert 3 <= sum(ex.chapter == chapter for ex in EXERCISES) <= 6, chapter


# --------------------------------------------------------------------- keys agree with independent sources
def test_recomputed_totals_match_the_planted_truth(small_shop_dir: Path, small_truth: dict) -> None:
    s = Session("00", small_shop_dir)
    t = money_totals(s.facts.lines)
    assert t["gmv"] == pytest.approx(small_truth["totals"]["gmv"], abs=0.01)
    assert t["net_sales"] == pytest.approx(small_truth["totals"]["net_sales"], abs=0.01)
    assert t["units"] == small_truth["totals"]["units"]
    assert s.facts.truth is not None


def test_period_keys_match_what_kpi_computes_separately(shop, keys) -> None:
    first, last = shop.orders["order_ts"].min().normalize(), shop.orders["order_ts"].max().normalize()
    p = review_periods(first, last, None, 28, compare="last_year")
    comp = kpi.compare_periods(shop.orders, p.current, p.baseline, shop.traffic).set_index("metric")
    assert keys["00.1"].value == pytest.approx(comp.loc["gmv", "current"], rel=1e-9)
    assert keys["00.2"].value == pytest.approx(comp.loc["conversion_rate", "change"], rel=1e-9)
    d = kpi.gmv_change(shop.orders, p.current, p.baseline, shop.traffic).summary()
    assert keys["00.3"].value == d.loc[d["contribution"].abs().idxmax(), "driver"]
    mix = kpi.category_mix(shop.orders, shop.products, p.current, p.baseline)
    assert keys["00.4"].value == mix.loc[mix["share_change"].idxmin(), "category"]


def test_review_keys_match_the_assortment_functions(shop, keys) -> None:
    cube = daily_sku(shop.orders, shop.products)
    first, last = cube["date"].min(), cube["date"].max()
    p = review_periods(first, last, None, 91, compare="last_year")
    skus = cat.sku_summary(cube, p.current)
    assert keys["01.1"].value == pytest.approx(cat.share_of_skus_for(skus, 0.8, "gmv"), abs=1e-12)
    margins = cat.margin_structure(skus, "category")
    assert keys["01.2"].value == margins.loc[margins["return_rate"].idxmax(), "category"]
    assert keys["01.3"].value == margins.loc[margins["margin_rate"].idxmin(), "category"]
    bcg = cat.growth_share(cube, p.current, p.baseline, level="category")
    stars = bcg.loc[bcg["quadrant"] == "明星", "category"].tolist()
    assert keys["01.4"].value == (stars[0] if stars else "none")
    health = cat.inventory_health(shop.inventory, cube, p.current)
    assert keys["01.5"].value == health["stockout_days"].sum()


def test_the_margin_key_matches_the_cost_structure(small_shop_dir: Path, tmp_path: Path, shop) -> None:
    """07.1 recomputed (no truth.json) agrees with notebook 07's cost structure over the same 91 days."""
    bare = tmp_path / "bare"
    shutil.copytree(small_shop_dir, bare, ignore=shutil.ignore_patterns("truth.json"))
    key = exercise("07.1").key(Session("07", bare))
    end = shop.orders["order_ts"].max().normalize()
    costs = cost_structure(shop.orders, shop.products, (end - pd.Timedelta(days=90), end))
    assert key.value == pytest.approx(costs.table.set_index(costs.by).loc["服饰", "list_margin"], abs=0.005)


def test_data_quality_keys_match_the_quality_functions(shop, keys) -> None:
    assert keys["04.1"].value == dq.order_days(shop)
    assert keys["04.4"].value == dq.calendar_gaps(shop.orders)["days"].sum()
    q = dq.outliers(shop.orders).set_index("column").loc["quantity"]
    assert keys["04.5"].value == q["low"] + q["high"]


def test_formula_keys_match_the_library_and_the_hand_calculation(keys) -> None:
    # 2 * ((1.95996 + 0.84162) / (2 asin sqrt .033 - 2 asin sqrt .030))^2 = 2 * (2.80158 / 0.017181)^2 = 53,182
    assert keys["02.4"].value == pytest.approx(53_182, abs=1)
    assert keys["02.4"].value == pytest.approx(abtest.sample_size_proportions(0.030, 0.033), abs=1)
    # 1.6449 * 40 * sqrt(14 / 7) = 93.05
    assert keys["03.3"].value == pytest.approx(93.05, abs=0.01)
    assert keys["03.3"].value == pytest.approx(R.safety_stock(40, 14, 0.95), rel=1e-9)
    # Lerner: 60 × −2.5 / (1 − 2.5) = 100; hold in a price war: 0.9^1.5 − 1 = 0.8538 − 1 = −0.1462
    assert keys["07.2"].value == pytest.approx(100.0)
    assert keys["07.2"].value == pytest.approx(float(optimal_price(-2.5, 60.0)))
    hold = price_war(-2.0, 1.5, 100.0, 60.0, 1.0, 0.10).summary().set_index("scenario").loc["hold", "units_change"]
    assert keys["07.4"].value == pytest.approx(-0.1462, abs=1e-4)
    assert keys["07.4"].value == pytest.approx(hold)


def test_planted_keys_are_the_truth(keys, small_truth: dict) -> None:
    assert keys["00.5"].value == small_truth["declining_category"] == "家电"
    assert keys["02.2"].value == small_truth["campaigns"]["CMP_2024_618"]["realised_uplift_units"]
    assert keys["03.2"].value == pytest.approx(math.exp(small_truth["categories"]["母婴"]["trend_per_year"]) - 1)
    w = small_truth["seasonality"]["weekly"]
    assert keys["03.1"].value == pytest.approx(np.mean(w[5:]) / np.mean(w[:5]) - 1)  # 1.085 / 0.966 - 1 = 0.123
    assert keys["02.3"].value == frozenset({"flash_sale"})
    assert keys["07.1"].value == small_truth["categories"]["服饰"]["margin"]
    assert keys["07.5"].value == small_truth["market"]["price_cut"]["category"] == "数码"
    assert keys["02.1"].value is False and keys["02.1"].parts["net"] < 0


def test_the_recomputation_agrees_with_the_truth_where_both_exist(small_shop_dir: Path, tmp_path: Path,
                                                                  keys) -> None:
    """The same shop without truth.json: the fallbacks (recomputed from data) land on the planted values."""
    bare = tmp_path / "bare"
    shutil.copytree(small_shop_dir, bare, ignore=shutil.ignore_patterns("truth.json"))
    for ex_id in ("00.5", "03.1", "03.2", "04.3", "02.3", "05.1", "05.2", "05.3", "05.4", "07.1", "07.3",
                  "07.5"):
        s = Session(ex_id[:2], bare)
        k = exercise(ex_id).key(s)
        assert k.source == "recomputed", ex_id
        truth_value = keys[ex_id].value
        if isinstance(truth_value, float):
            assert k.value == pytest.approx(truth_value, abs=exercise(ex_id).key(s).abs_tol), ex_id
        else:
            assert k.value == truth_value, ex_id
    for ex_id in ("02.1", "02.2", "06.1", "06.2", "06.4"):
        assert isinstance(exercise(ex_id).key(Session(ex_id[:2], bare)), Ungradable), ex_id


def test_a_money_key_scales_with_the_prices(small_shop_dir: Path, tmp_path: Path, keys) -> None:
    """Scale-free: the same shop with every price x 1,000 gives the GMV key x 1,000."""
    big = tmp_path / "x1000"
    shutil.copytree(small_shop_dir, big, ignore=shutil.ignore_patterns("truth.json"))
    o = pd.read_parquet(big / "orders.parquet")
    o["unit_price"] *= 1000
    o["list_price"] *= 1000
    o.to_parquet(big / "orders.parquet", index=False)
    assert exercise("00.1").key(Session("00", big)).value == pytest.approx(1000 * keys["00.1"].value, rel=1e-9)


# --------------------------------------------------------------------- verdicts and hints
def _texts(value) -> list[str]:
    if isinstance(value, bool):
        return []
    if isinstance(value, float | int | np.floating | np.integer):
        v = float(value)
        return [f"{v:.0f}", f"{v:,.0f}", f"{v:.2f}", f"{v:.3f}", f"{100 * v:.1f}%"] if abs(v) >= 1 or v == 0 else \
            [f"{v:.3f}", f"{v:.4f}", f"{100 * v:.1f}%", f"{100 * v:.2f}"]
    if isinstance(value, frozenset):
        return sorted(value)
    return [str(value)]


def _wrong(ex, key) -> list:
    if ex.kind in ("number", "count", "share"):
        v = float(key.value)
        return [v * 3 + 7, -v - 11, v * 5 - 20]
    if ex.kind == "yesno":
        return [not key.value]
    if ex.kind == "month":
        return ["2024-07" if key.value != "2024-07" else "2024-08"]
    opts = sorted(set(ex.choices(check_session_cache[ex.chapter]).values()))
    right = key.value if isinstance(key.value, frozenset) else {key.value}
    return [o for o in opts if o not in right][:3]


check_session_cache: dict[str, Session] = {}


@pytest.mark.parametrize("ex", EXERCISES, ids=[e.id for e in EXERCISES])
def test_a_wrong_answer_gets_a_hint_and_never_the_key(ex, keys, small_shop_dir: Path) -> None:
    key = keys[ex.id]
    check_session_cache[ex.chapter] = start(ex.chapter, small_shop_dir)
    for attempt, answer in enumerate(_wrong(ex, key), start=1):
        r = check(ex.id, answer)
        assert r.status == "wrong", (ex.id, answer, r.message)
        assert "Hint" in r.message and r.points == 0 and r.attempt == attempt
        for text in _texts(key.value):
            if text not in ex.question and text not in str(answer):
                assert text not in r.message, f"{ex.id}: the hint shows the key {text!r}: {r.message}"


@pytest.mark.parametrize("ex_id, mistake, says", [
    ("00.1", "net_sales", "net sales"), ("00.1", "placed", "Cancelled"), ("00.1", "baseline", "baseline"),
    ("00.2", "relative", "relative change"), ("02.4", "total", "per arm"), ("02.4", "one_sided", "two-sided"),
    ("03.3", "two_sided", "one-sided"), ("03.3", "no_sqrt", "square root"), ("04.1", "exclusive", "inclusive"),
    ("01.1", "count", "share of SKUs"), ("07.1", "paid", "price paid"), ("07.2", "on_cost", "not on the cost"),
    ("07.4", "linear", "multiplicative"),
])
def test_a_typical_mistake_gets_its_own_hint(keys, small_shop_dir: Path, ex_id: str, mistake: str, says: str) -> None:
    start(ex_id[:2], small_shop_dir)
    r = check(ex_id, keys[ex_id].parts[mistake])
    assert r.status == "wrong" and says in r.message, r.message


def test_right_answers_in_the_forms_people_write(keys, small_shop_dir: Path) -> None:
    start("00", small_shop_dir)
    assert check("00.1", f"{keys['00.1'].value / 1e4:.3f}万").correct
    assert check("00.1", f"¥{keys['00.1'].value:,.2f}").correct
    start("01", small_shop_dir)
    r = check("01.1", round(100 * keys["01.1"].value, 1))  # 29.2 for 0.292: read as a percentage, with a note
    assert r.correct and "read" in r.message
    assert check("01.2", "clothing" if keys["01.2"].value == "服饰" else keys["01.2"].value).correct
    start("02", small_shop_dir)
    assert check("02.1", "否").correct and check("02.3", "秒杀").correct
    assert "planted truth" in check("02.2", keys["02.2"].value * 1.1).message


def test_no_answer_an_unreadable_answer_and_no_session(small_shop_dir: Path) -> None:
    start("00", small_shop_dir)
    assert check("00.1", None).status == "unanswered"
    r = check("00.1", "a lot")
    assert r.status == "unreadable" and "a number" in r.message
    assert check("00.3", "price").status == "unreadable"
    with pytest.raises(KeyError, match="chapter exercises"):
        check("00.9", 1)
    from opslib import training

    training.checks._SESSIONS.pop("04", None)
    with pytest.raises(training.TrainingError, match="training.start"):
        check("04.1", 1)


def test_the_record_read_back_by_the_trainer(small_shop_dir: Path, keys) -> None:
    from opslib.training import CHECK_MIME

    start("04", small_shop_dir)
    bundle = check("04.1", keys["04.1"].value)._repr_mimebundle_()
    rec = bundle[CHECK_MIME]
    assert rec == {"exercise": "04.1", "status": "correct", "source": "recomputed", "attempt": 1, "points": 1,
                   "max_points": 1}
    assert json.dumps(rec) and bundle["text/plain"].startswith("04.1 ✓")


def test_a_stale_truth_file_is_ignored(small_shop_dir: Path, tmp_path: Path) -> None:
    """truth.json of another shop (here: changed totals) never grades: the planted questions say they cannot."""
    stale = tmp_path / "stale"
    shutil.copytree(small_shop_dir, stale)
    truth = json.loads((stale / "truth.json").read_text(encoding="utf-8"))
    truth["totals"]["gmv"] += 100.0
    (stale / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    s = start("02", stale)
    assert s.facts.truth is None and "does not describe these files" in repr(s)
    r = check("02.2", 800)
    assert r.status == "ungradable" and "sample shop" in r.message


def test_a_shop_without_the_tables_says_what_it_cannot_grade(small_shop_dir: Path, tmp_path: Path) -> None:
    thin = tmp_path / "thin"
    thin.mkdir()
    for name in ("orders", "products"):
        shutil.copy(small_shop_dir / f"{name}.parquet", thin)
    start("00", thin)
    r = check("00.2", 0.001)
    assert r.status == "ungradable" and "traffic" in r.message
    start("01", thin)
    assert check("01.5", 3).status == "ungradable"
    assert "not the sample shop" in repr(start("04", thin))


def test_a_key_that_breaks_is_a_message_not_a_traceback(small_shop_dir: Path, monkeypatch) -> None:
    import opslib.training.checks as checks_mod

    ex = exercise("00.1")

    def broken(_):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(checks_mod, "exercise", lambda _id: type(ex)(**{**ex.__dict__, "key": broken}))
    start("00", small_shop_dir)
    r = check("00.1", 1.0)
    assert r.status == "ungradable" and "ZeroDivisionError" in r.message


def test_the_order_subject_is_a_best_seller_short_of_stock(small_shop_dir: Path, shop) -> None:
    from opslib.training import subject

    start("03", small_shop_dir)
    sub = subject("03.4")
    assert sub.sku and sub.sku in repr(sub)
    last = shop.inventory["date"].max()
    on_hand = shop.inventory[(shop.inventory["date"] == last) & (shop.inventory["sku"] == sub.sku)]["on_hand"]
    assert float(on_hand.iloc[0]) == pytest.approx(float(repr(sub).split(": ")[1].split(" units")[0]))
    assert subject("03.1").sku is None
