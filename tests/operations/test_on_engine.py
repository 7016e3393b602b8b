"""``prepare(shop)`` of a loaded shop builds its one-row-per-order frame in DuckDB from the shop's files: the order
lines never enter pandas (report 06 at 10M lines held every line), and the frame equals the one built from the
lines in pandas (the path an analyst's own frames take)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from opslib.data import load_shop
from opslib.operations import prepare
from opslib.operations.dataset import order_frame
from tests.lineless import lineless

TABLES = ["orders", "products", "campaigns", "fulfilment", "reviews", "service"]


def test_prepare_never_reads_the_lines_and_matches_the_frame_path(small_shop_dir: Path) -> None:
    shop = load_shop(small_shop_dir, tables=TABLES)
    ops = prepare(lineless(shop))
    from_frames = order_frame(shop.orders, shop.products, shop.fulfilment)
    got = ops.orders[from_frames.columns].reset_index(drop=True)
    # on the engine text comes back Arrow-backed (missing = NaN), from frames as Python objects (None)
    text = [c for c in from_frames.columns if from_frames[c].dtype == object or str(got[c].dtype) == "str"]
    norm = lambda f: f.assign(**{c: f[c].astype(object).where(f[c].notna(), None) for c in text})  # noqa: E731
    pd.testing.assert_frame_equal(norm(got), norm(from_frames.reset_index(drop=True)), check_dtype=False)
    # one row per distinct order id of the file
    assert len(got) == shop.orders["order_id"].nunique()


PERIOD = ("2025-12-04", "2025-12-31")
BASELINE = ("2025-11-06", "2025-12-03")


def _text_as_objects(f: pd.DataFrame) -> pd.DataFrame:
    f = f.reset_index(drop=True)
    return f.assign(**{c: f[c].astype(object).where(f[c].notna(), None) for c in f.columns
                       if f[c].dtype == object or str(f[c].dtype) == "str"})


def test_the_engine_path_gives_the_numbers_of_the_frame_path(small_shop_dir: Path) -> None:
    """Every function of notebook 06 on the shop's engine (period slices, cells from SQL) against the same function
    on the data set built in pandas from the same shop's frames (the path whose numbers the tests hold)."""
    from opslib import operations as o
    from opslib.data import Shop

    shop = load_shop(small_shop_dir, tables=TABLES)
    eng = prepare(lineless(shop))
    frames = prepare(Shop(shop.path, **{t: getattr(shop, t) for t in TABLES}))
    assert eng.on_engine and not frames.on_engine
    assert eng.describe() == frames.describe() and eng.as_of == frames.as_of
    norms = o.load_norms()
    pairs = [(lambda d: o.score_norms(d, norms, PERIOD).results),
             (lambda d: o.score_norms(d, norms, PERIOD).trend),
             (lambda d: o.score_norms(d, norms, PERIOD).breaches()),
             (lambda d: o.score_norms(d, norms, PERIOD).contributors("logistics.on_time")),
             (lambda d: o.durations_by(d, "carrier", PERIOD)),
             (lambda d: o.daily_fulfilment(d, since="2025-10-01", until=PERIOD[1])),
             (lambda d: o.carrier_comparison(d, PERIOD).table),
             (lambda d: o.delivery_status(d, PERIOD)), (lambda d: o.lost_parcels(d, PERIOD)),
             (lambda d: o.review_mix(d, "lateness", PERIOD)), (lambda d: o.topic_mix(d, "lateness", PERIOD)),
             (lambda d: o.returns_by(d, "category", PERIOD)), (lambda d: o.return_reasons(d, "category", PERIOD)),
             (lambda d: o.inquiry_conversion(d, "agent", PERIOD)), (lambda d: o.service_levels(d, "agent", PERIOD)),
             (lambda d: o.contact_rates(d, "reason", PERIOD)),
             (lambda d: o.drill_down(d, "review_score", PERIOD, BASELINE, norms=norms).table),
             (lambda d: o.alert_table(o.score_norms(d, norms, PERIOD)))]
    for f in pairs:
        pd.testing.assert_frame_equal(_text_as_objects(f(eng)), _text_as_objects(f(frames)), check_dtype=False,
                                      check_exact=False, rtol=1e-9)
    for name in ("peak_handling_delay", "late_review_effect", "contact_drivers", "response_conversion_effect"):
        a, b = getattr(o, name)(eng, until=PERIOD[1]), getattr(o, name)(frames, until=PERIOD[1])
        pd.testing.assert_frame_equal(a.summary(), b.summary(), check_exact=False, rtol=1e-9)
        pd.testing.assert_frame_equal(a.groups, b.groups, check_exact=False, rtol=1e-9, check_dtype=False)


def _canonical(b: pd.DataFrame) -> pd.DataFrame:
    """Exceptions in one order: within a norm they are sorted by ``measure`` only, ties in no given order."""
    keys = [c for c in ("norm", "measure", "ref_ts", "order_id", "contact_id") if c in b]
    return b.astype({c: object for c in ("order_id", "contact_id") if c in b}).sort_values(
        keys, na_position="first", kind="stable").reset_index(drop=True)


def test_the_scorecard_read_in_pieces_equals_one_window(small_shop_dir: Path, monkeypatch, tmp_path: Path) -> None:  # noqa: ANN001
    """A big shop's scorecard reads its trend weeks and its period in pieces of days (``WINDOW_ROWS``) and keeps
    only sums, counts and the failing units on disk: forced here on the small shop (pieces of a week), the
    results, trend, exceptions, contributors and the hand-off pack equal those of the data set built in pandas."""
    from opslib import operations as o
    from opslib.data import Shop
    from opslib.operations import scorecard

    shop = load_shop(small_shop_dir, tables=TABLES)
    frames = o.score_norms(prepare(Shop(shop.path, **{t: getattr(shop, t) for t in TABLES})), o.load_norms(), PERIOD)
    eng = prepare(lineless(shop))
    monkeypatch.setattr(scorecard, "WINDOW_ROWS", int(7 * scorecard._per_day(eng)))
    pieces = o.score_norms(eng, o.load_norms(), PERIOD)
    assert any(isinstance(f, scorecard._Spilled) for f in pieces.fails.values())  # the failing units are on disk
    for got, want in ((pieces.results, frames.results), (pieces.trend, frames.trend),
                      (_canonical(pieces.breaches()), _canonical(frames.breaches())),
                      (pieces.contributors("logistics.on_time"), frames.contributors("logistics.on_time"))):
        pd.testing.assert_frame_equal(_text_as_objects(got), _text_as_objects(want), check_dtype=False,
                                      check_exact=False, rtol=1e-9)
    assert pieces.trend["week"].nunique() >= 16  # 12 weeks before the period and its 4
    # worst first within each norm, read from disk
    b = pieces.breaches(norm="logistics.on_time", only_breached=False)
    assert len(b) == int(frames.results.set_index("norm").loc["logistics.on_time", "fails"]) > 0
    assert b["measure"].is_monotonic_decreasing
    assert len(pieces.breaches(norm="logistics.on_time", only_breached=False, limit=3)) == 3
    # the hand-off pack: the exceptions streamed to CSV hold the same rows
    a_files = pieces.export(tmp_path / "pieces", formats=("csv",))
    b_files = frames.export(tmp_path / "frames", formats=("csv",))
    assert [p.relative_to(tmp_path / "pieces") for p in a_files] == [p.relative_to(tmp_path / "frames") for p in b_files]
    for x, y in zip(a_files, b_files, strict=True):
        fx, fy = pd.read_csv(x, dtype=str), pd.read_csv(y, dtype=str)
        if x.stem == "exceptions":
            fx = fx.assign(measure=fx["measure"].astype(float))
            fy = fy.assign(measure=fy["measure"].astype(float))
            fx, fy = _canonical(fx), _canonical(fy)
        pd.testing.assert_frame_equal(fx, fy, check_dtype=False)
