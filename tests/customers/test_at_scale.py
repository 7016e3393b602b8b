"""What makes notebook 05 run at millions of customers, by hand: grouped sufficient statistics (BG/NBD,
Gamma-Gamma, the holdout check and the independence check weighted by customer counts give what the
per-customer table gives), the repeat-purchase rate as day steps, the action lists' CSV written by DuckDB
(byte for byte what the pandas writer writes) and the Excel cap with its note, and every customer function
notebook 05 calls on a shop whose ``orders`` cannot be read into pandas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib import customers as cu
from opslib.customers import (
    fit_bgnbd,
    fit_gamma_gamma,
    frequency_spend_correlation,
    holdout_evaluation,
    repeat_purchase_rate,
    rfm_summary,
)
from opslib.customers.actions import export_actions, write_csv_engine
from opslib.customers.clv import WEIGHT, _simulate_bgnbd
from opslib.data import load_shop
from opslib.errors import CLVError
from opslib.reporting.exports import write_csv
from tests.lineless import lineless


# ----------------------------------------------------------------------------------- grouped statistics
def _panel() -> pd.DataFrame:
    """A small simulated panel on a coarse grid (days in weeks, whole weeks), so customers share rows."""
    rng = np.random.default_rng(5)
    s = _simulate_bgnbd(rng, 600, 0.6, 4.0, 1.2, 2.5, T=20.0)
    s["recency"] = np.round(s["recency"])
    s["T"] = np.round(s["T"])
    s.loc[s["frequency"] == 0, "recency"] = 0.0
    s["recency"] = np.minimum(s["recency"], s["T"])
    s["monetary_value"] = np.where(s["frequency"] > 0, 10.0 + 5.0 * (np.arange(len(s)) % 4), 0.0)
    s["frequency_holdout"] = rng.poisson(0.5, len(s))
    s["duration_holdout"] = 10.0
    return s[["frequency", "recency", "T", "monetary_value", "frequency_holdout", "duration_holdout"]]


def _grouped(s: pd.DataFrame) -> pd.DataFrame:
    g = s.groupby(list(s.columns), as_index=False).size().rename(columns={"size": WEIGHT})
    assert len(g) < len(s) / 2  # the test means something: rows are shared
    return g


def test_grouped_fits_equal_the_per_customer_fits() -> None:
    s = _panel()
    g = _grouped(s)
    a, b = fit_bgnbd(s, unit_days=7.0), fit_bgnbd(g, unit_days=7.0)
    # the same likelihood (Σ_rows n_row · ln L_row = Σ_customers ln L_i), so the same maximum
    for p in ("r", "alpha", "a", "b"):
        assert getattr(b, p) == pytest.approx(getattr(a, p), rel=1e-6), p
        assert b.se[p] == pytest.approx(a.se[p], rel=1e-4), p
    assert b.loglik == pytest.approx(a.loglik, rel=1e-10) and a.n == b.n == 600
    ga, gb = fit_gamma_gamma(s), fit_gamma_gamma(g)
    for p in ("p", "q", "gamma"):
        assert getattr(gb, p) == pytest.approx(getattr(ga, p), rel=1e-6), p
    assert ga.n == gb.n == int((s["frequency"] > 0).sum())
    ea, eb = holdout_evaluation(a, s), holdout_evaluation(a, g)
    assert (eb.mae, eb.rmse, eb.total_actual, eb.total_predicted) == pytest.approx(
        (ea.mae, ea.rmse, ea.total_actual, ea.total_predicted), rel=1e-10)
    assert eb.customer_count == ea.customer_count == 600 and eb.duration == ea.duration == 10.0
    assert eb.by_frequency["customers"].tolist() == ea.by_frequency["customers"].tolist()
    assert np.allclose(eb.by_frequency[["actual", "predicted"]], ea.by_frequency[["actual", "predicted"]])
    pd.testing.assert_frame_equal(frequency_spend_correlation(g), frequency_spend_correlation(s))


def test_a_weight_that_is_not_a_count_is_named() -> None:
    g = _grouped(_panel())
    g.loc[3, WEIGHT] = 0
    with pytest.raises(CLVError, match="n_customers not a whole number >= 1"):
        fit_bgnbd(g)


def test_rfm_summary_grouped_by_hand() -> None:
    # daily unit, calibration to Jan 31: x and y bought once on Jan 1 (x = 0, T = 30: one row of 2 customers);
    # z on Jan 1 and Jan 11 (x = 1, t_x = 10, T = 30, repeat value 4); w first buys on Feb 2 (after calibration)
    tx = pd.DataFrame({"id": ["x", "y", "z", "z", "w"], "v": [1.0, 2.0, 3.0, 4.0, 5.0],
                       "ts": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-11", "2024-02-02"])})
    g = rfm_summary(tx, "id", "ts", "v", calibration_end="2024-01-31", freq="D", group=True)
    assert "id" not in g.columns
    assert g[["frequency", "recency", "T", "monetary_value", WEIGHT]].values.tolist() == [
        [0, 0.0, 30.0, 0.0, 2], [1, 10.0, 30.0, 4.0, 1]]


def test_rfm_summary_grouped_with_a_holdout_by_hand() -> None:
    # daily unit, calibration to Jan 31, holdout to Feb 29: x and y buy on Jan 1 and once in the holdout
    # (Feb 5, Feb 9: x = 0, T = 30, one holdout purchase each -> one row of 2); z buys Jan 1 only
    tx = pd.DataFrame({"id": ["x", "y", "z", "x", "y"], "v": [1.0, 1.0, 1.0, 6.0, 8.0],
                       "ts": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01", "2024-02-05", "2024-02-09"])})
    g = rfm_summary(tx, "id", "ts", "v", calibration_end="2024-01-31", observation_end="2024-02-29", freq="D",
                    group=True)
    # x and y differ in holdout spend (6 vs 8), so they stay two rows; z has no holdout purchase
    assert g[["frequency", "T", "frequency_holdout", "monetary_value_holdout", WEIGHT]].values.tolist() == [
        [0, 30.0, 0, 0.0, 1], [0, 30.0, 1, 6.0, 1], [0, 30.0, 1, 8.0, 1]]
    assert g["duration_holdout"].tolist() == [29.0] * 3


# ----------------------------------------------------------------------------------- repeat rates
def test_repeat_rate_steps_by_hand() -> None:
    # a: Jan 1, Jan 20, Mar 15; b: two orders on Feb 10; c: Jan 31; d: a cancelled order only
    lines = pd.DataFrame({
        "order_id": ["a1", "a2", "a3", "b1", "b2", "c1", "d1"], "customer_id": ["a", "a", "a", "b", "b", "c", "d"],
        "order_ts": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-03-15", "2024-02-10 09:00", "2024-02-10 18:00",
                                    "2024-01-31", "2024-02-01"], format="mixed"),
        "quantity": 1, "unit_price": 1.0, "status": ["completed"] * 6 + ["cancelled"]})
    r = repeat_purchase_rate(lines, ends=["2024-01-30", "2024-01-31", "2024-02-10", "2024-03-20"], days=(30,))
    r = r.rates.set_index("end")
    # Jan 30 (Jan 1..30): a twice -> 1 buyer, 1 repeat. Jan 31 (Jan 2..31): a once (Jan 20), c -> 2 buyers, 0.
    # Feb 10 (Jan 12..Feb 10): a (Jan 20), c, b twice on one day -> 3 buyers, 1 repeat (b).
    # Mar 20 (Feb 20..Mar 20): a (Mar 15) -> 1 buyer, 0 repeat.
    assert r[["buyers", "repeat_buyers"]].values.tolist() == [[1, 1], [2, 0], [3, 1], [1, 0]]
    # a 1-day window: on Feb 10 only b, twice
    one = repeat_purchase_rate(lines, ends=["2024-02-10"], days=(1,)).rates.iloc[0]
    assert (one["buyers"], one["repeat_buyers"]) == (1.0, 1.0)


# ----------------------------------------------------------------------------------- exports
def _tricky() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["=1+1", "+86 10", "-5", "@SUM(A1)", "\tx", "＝1", "a,b", 'q"r', "c\rd", "美妆", None, "-1.5e3"],
        "segment_name": pd.Categorical(["At risk"] * 6 + ["New"] * 6),
        "monetary": [1.5, np.nan, 0.1 + 0.2, np.inf, -3.0, 2.0, 1e20, 7.0, 8.0, 9.0, 10.0, 11.0],
        "frequency": np.arange(12, dtype="int64"),
        "last_order": pd.to_datetime(["2024-06-01"] * 11 + [None]),
        "flag": [True, False] * 6})


def test_engine_csv_is_byte_for_byte_the_pandas_csv(tmp_path: Path) -> None:
    table = _tricky()
    a = write_csv(table, tmp_path / "pandas.csv").read_bytes()
    b = write_csv_engine(table, tmp_path / "engine.csv").read_bytes()
    assert b == a
    text = b.decode("utf-8-sig").split("\r\n")
    assert text[1].startswith("'=1+1,") and text[3].startswith("-5,") and text[6].startswith("'＝1,")


def test_excel_is_capped_with_a_note_and_the_csv_holds_every_row(tmp_path: Path) -> None:
    table = pd.DataFrame({"customer_id": [f"c{i}" for i in range(5)], "monetary": [50.0, 40, 30, 20, 10]})
    files = export_actions(table, tmp_path, "customers_win_back_2024-06-30", excel_rows=3)
    assert [p.name for p in files] == ["customers_win_back_2024-06-30.csv", "customers_win_back_2024-06-30_top3.xlsx"]
    assert len(pd.read_csv(files[0], encoding="utf-8-sig")) == 5
    assert pd.read_excel(files[1])["customer_id"].tolist() == ["c0", "c1", "c2"]  # the most valuable first
    assert files.notes == ["customers_win_back_2024-06-30_top3.xlsx holds the first 3 of 5 rows (most valuable "
                           "first); customers_win_back_2024-06-30.csv holds all 5."]
    small = export_actions(table, tmp_path / "small", "n")  # under the cap: the old names, no note
    assert [p.name for p in small] == ["n.csv", "n.xlsx"] and small.notes == []
    with pytest.raises(CLVError, match="excel_rows"):
        export_actions(table, tmp_path, "x", excel_rows=0)


# ----------------------------------------------------------------------------------- notebook 05 on the engine
def test_everything_notebook_05_calls_runs_on_a_lineless_shop(small_shop_dir: Path, tmp_path: Path) -> None:
    full = load_shop(small_shop_dir, tables=["orders", "products", "traffic", "fulfilment", "campaigns"])
    shop = lineless(full)
    frames = {t: full.lines.frame(t) for t in ("orders", "products", "traffic", "fulfilment", "campaigns")}
    o = frames["orders"]
    end = pd.Timestamp("2025-06-30")
    period, base = (pd.Timestamp("2025-06-03"), end), (pd.Timestamp("2024-06-04"), pd.Timestamp("2024-07-01"))

    def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False,
                                      check_categorical=False, rtol=1e-9)

    assert cu.guest_summary(shop, period).share_orders == cu.guest_summary(o, period).share_orders
    for by in (None, "category", "date", "channel"):
        same(cu.funnel_table(shop, shop, shop, shop, period=period, by=by).summary(),
             cu.funnel_table(o, frames["traffic"], frames["products"], frames["fulfilment"], period=period,
                             by=by).summary())
    same(cu.funnel_change(shop, shop, period, base).summary(), cu.funnel_change(o, frames["traffic"], period, base).summary())
    same(cu.channel_mix(shop, period, base).summary(), cu.channel_mix(o, period, base).summary())
    assert cu.why_no_customers(shop, period) is None
    rfm = cu.rfm_segments(shop, as_of=end)
    same(rfm.summary(), cu.rfm_segments(o, as_of=end).summary())
    same(cu.cohort_table(shop, end=end, last=12).table, cu.cohort_table(o, end=end, last=12).table)
    same(cu.repeat_purchase_rate(shop, "M", until=end).rates, cu.repeat_purchase_rate(o, "M", until=end).rates)
    same(cu.first_order_repeat(shop, days=90, campaigns=shop, end=end),
         cu.first_order_repeat(o, days=90, campaigns=frames["campaigns"], end=end))
    gaps = cu.order_gaps(shop, end=end)
    same(gaps.summary(), cu.order_gaps(o, end=end).summary())
    same(cu.new_vs_returning(shop, "M", until=end), cu.new_vs_returning(o, "M", until=end))
    check, check_o = cu.holdout_check(shop, end=end), cu.holdout_check(o, end=end)
    assert check.describe() == check_o.describe() and check.reason is None
    # grouped rows, but every customer counted: those with a first order not cancelled by the calibration end
    kept = o[(o["status"] != "cancelled") & o["customer_id"].notna()]
    first = kept.groupby("customer_id")["order_ts"].min().dt.normalize()
    assert check.evaluation.customer_count == int((first <= check.calibration_end).sum()) > len(check.summary)
    same(check.parameters(), check_o.parameters())
    same(check.independence(), check_o.independence())  # in SQL over the file on the shop, scipy on the frame
    assert cu.shop_margin_rate(shop, shop) == cu.shop_margin_rate(o, frames["products"])
    value = cu.lifetime_value(shop, end=end, margin=0.4)
    assert value.describe() == cu.lifetime_value(o, end=end, margin=0.4).describe()
    win_back = cu.win_back_list(rfm, clv=value.customers, top=None)
    nurture = cu.nurture_list(rfm, median_gap_days=gaps.first_repeat_median, top=None)
    assert len(win_back) and len(nurture)
    files = export_actions(win_back, tmp_path, "w")
    assert len(pd.read_csv(files[0], encoding="utf-8-sig")) == len(win_back)


def test_customer_queries_cap_duckdb_operators_and_put_the_setting_back(small_shop_dir: Path) -> None:
    from opslib.customers._sql import QUERY_MEMORY_LIMIT, connect

    shop = load_shop(small_shop_dir, tables=["orders"])
    con = connect(orders=shop)
    inside = con.execute("SELECT current_setting('operator_memory_limit') AS x").fetchone()[0]
    assert QUERY_MEMORY_LIMIT == "400MB" and inside == "381.4 MiB"  # 400e6 / 2**20 = 381.47
    engine = shop.lines.engine.con
    assert engine.execute("SELECT current_setting('operator_memory_limit')").fetchone()[0] is None
    engine.execute("SET operator_memory_limit = '100MB'")  # a lower limit of the user's is kept
    assert con.execute("SELECT current_setting('operator_memory_limit') AS x").fetchone()[0] == "95.3 MiB"
    assert engine.execute("SELECT current_setting('operator_memory_limit')").fetchone()[0] == "95.3 MiB"


def test_order_gap_quantiles_from_counts_by_hand() -> None:
    # customer a: Jan 1, Jan 2, Jan 3 (gaps 1, 1); b: Jan 1, Jan 3, Jan 13 (gaps 2, 10)
    lines = pd.DataFrame({"order_id": ["a1", "a2", "a3", "b1", "b2", "b3"], "customer_id": list("aaabbb"),
                          "order_ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01",
                                                      "2024-01-03", "2024-01-13"]),
                          "quantity": 1, "unit_price": 1.0, "status": "completed"})
    t = cu.order_gaps(lines, bin_days=7).summary_table.set_index("step")
    # all gaps 1, 1, 2, 10: mean 3.5; median at position 1.5 -> 1.5; p90 at 2.7 -> 2 + 0.7 * 8 = 7.6
    assert t.loc["all", ["gaps", "mean_days", "median_days"]].tolist() == [4, 3.5, 1.5]
    assert t.loc["all", "p90_days"] == pytest.approx(7.6)
    # 1→2: gaps 1 (a) and 2 (b): median 1.5; 2→3: 1 and 10: p25 at 0.25 -> 1 + 0.25 * 9 = 3.25
    assert t.loc["1→2", "median_days"] == 1.5 and t.loc["2→3", "p25_days"] == pytest.approx(3.25)
    hist = cu.order_gaps(lines, bin_days=7).histogram
    assert hist.values.tolist() == [[0, 3], [7, 1]]


def test_beta_quadrature_when_a_plus_b_is_one() -> None:
    # Beta(0.5, 0.5): E[p] = 1/2, E[p²] = a(a+1) / ((a+b)(a+b+1)) = 0.5 · 1.5 / 2 = 0.375; the Jacobi recurrence's
    # first off-diagonal term was 0/0 there (hypothesis found BG/NBD with a = b = 0.5 failing)
    from opslib.customers.clv import BGNBDResult, _beta_nodes

    p, w = _beta_nodes(0.5, 0.5)
    assert (w * p).sum() == pytest.approx(0.5, abs=1e-12) and (w * p * p).sum() == pytest.approx(0.375, abs=1e-12)
    e = BGNBDResult(1.0, 1.0, 0.5, 0.5).conditional_expected_purchases([0.0, 1.0], 0, 0.0, 1.0)
    assert e[0] == 0.0 and np.isfinite(e[1]) and e[1] > 0
