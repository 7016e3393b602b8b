"""The LMDI decomposition for any number of drivers, and the funnel split of GMV: by hand and by hypothesis.

The existing basic split (visitors x conversion x AOV) is tested in tests/test_kpi.py and must not change.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslib import kpi


def test_lmdi_three_drivers_by_hand() -> None:
    # a: 2 -> 4, b: 3 -> 3, c: 5 -> 2.5; V0 = 30, V1 = 30: no change, L(30, 30) = 30
    # contributions 30 ln 2, 0, 30 ln 0.5 = +20.794, 0, -20.794
    d = kpi.lmdi_decomposition({"a": 4.0, "b": 3.0, "c": 2.5}, {"a": 2.0, "b": 3.0, "c": 5.0})
    assert d["contribution"].tolist() == pytest.approx([30 * math.log(2), 0.0, -30 * math.log(2)])
    assert d.attrs == {"total_baseline": 30.0, "total_current": 30.0, "change": 0.0}
    assert d["share"].isna().all()


def test_gmv_funnel_decomposition_by_hand() -> None:
    # baseline: 1000 visitors, 3000 views, 300 carts, 30 orders, GMV 3000 (AOV 100)
    # current: 1200 visitors (x1.2), views/visitor, carts/view, orders/cart unchanged -> 36 orders, AOV 110 -> GMV 3960
    # L = (3960 - 3000) / ln(1.32) = 960 / 0.2776317 = 3457.81; visitors 3457.81 ln 1.2 = 630.43, AOV ln 1.1 -> 329.57
    base = {"gmv": 3000.0, "orders": 30, "visitors": 1000, "product_views": 3000, "add_to_cart": 300}
    cur = {"gmv": 3960.0, "orders": 36, "visitors": 1200, "product_views": 3600, "add_to_cart": 360}
    d = kpi.gmv_decomposition(cur, base, drivers="funnel")
    assert d["driver"].tolist() == ["visitors", "views_per_visitor", "cart_rate", "order_rate", "aov"]
    lm = 960 / math.log(1.32)
    assert d["contribution"].tolist() == pytest.approx([lm * math.log(1.2), 0, 0, 0, lm * math.log(1.1)], abs=1e-9)
    assert d["contribution"].sum() == pytest.approx(960.0)
    assert d["baseline"].tolist() == pytest.approx([1000, 3.0, 0.1, 0.1, 100.0])
    assert d.attrs["gmv_baseline"] == 3000.0 and d.attrs["gmv_current"] == 3960.0


def test_basic_split_is_unchanged_by_the_extension() -> None:
    # the example of the original docstring: visitors 1000 -> 2000, conversion and AOV equal
    d = kpi.gmv_decomposition({"gmv": 2000.0, "orders": 20, "visitors": 2000}, {"gmv": 1000.0, "orders": 10, "visitors": 1000})
    assert d.columns.tolist() == ["driver", "label", "baseline", "current", "contribution", "share"]
    assert d["contribution"].tolist() == pytest.approx([1000.0, 0.0, 0.0])


def test_bad_driver_input_is_named() -> None:
    base = {"gmv": 1.0, "orders": 1, "visitors": 1}
    with pytest.raises(ValueError, match="product_views, add_to_cart"):
        kpi.gmv_decomposition(base, base, drivers="funnel")
    with pytest.raises(ValueError, match="drivers must be one of"):
        kpi.gmv_decomposition(base, base, drivers="views")
    with pytest.raises(ValueError, match="positive"):
        kpi.lmdi_decomposition({"a": 0.0}, {"a": 1.0})
    with pytest.raises(ValueError, match="different drivers"):
        kpi.lmdi_decomposition({"a": 1.0}, {"b": 1.0})
    with pytest.raises(ValueError, match="not the product"):
        kpi.lmdi_decomposition({"a": 2.0, "b": 3.0}, {"a": 1.0, "b": 1.0}, total_current=7.0)


_pos = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(_pos, _pos), min_size=1, max_size=7))
def test_lmdi_parts_add_up_for_any_number_of_drivers(pairs: list[tuple[float, float]]) -> None:
    cur = {f"x{i}": c for i, (c, _) in enumerate(pairs)}
    base = {f"x{i}": b for i, (_, b) in enumerate(pairs)}
    d = kpi.lmdi_decomposition(cur, base)
    v1, v0 = math.prod(cur.values()), math.prod(base.values())
    assert d["contribution"].sum() == pytest.approx(v1 - v0, rel=1e-9, abs=max(v0, v1) * 1e-12)
    # swapping the periods negates every part
    back = kpi.lmdi_decomposition(base, cur)
    assert back["contribution"].tolist() == pytest.approx((-d["contribution"]).tolist(), rel=1e-9, abs=1e-12 * max(v0, v1))


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(_pos, _pos), min_size=2, max_size=6), k=st.integers(0, 5))
def test_lmdi_gives_everything_to_the_only_driver_that_moved(pairs: list[tuple[float, float]], k: int) -> None:
    k = k % len(pairs)
    base = {f"x{i}": b for i, (_, b) in enumerate(pairs)}
    cur = dict(base)
    cur[f"x{k}"] = pairs[k][0]
    d = kpi.lmdi_decomposition(cur, base).set_index("driver")["contribution"]
    change = math.prod(cur.values()) - math.prod(base.values())
    assert d[f"x{k}"] == pytest.approx(change, rel=1e-9, abs=1e-9)
    assert d.drop(f"x{k}").abs().max() <= 1e-12 * max(1.0, abs(change))


_count = st.integers(min_value=1, max_value=10**7)


@settings(max_examples=200, deadline=None)
@given(v0=_count, pv0=_count, c0=_count, o0=_count, g0=_pos, v1=_count, pv1=_count, c1=_count, o1=_count, g1=_pos)
def test_funnel_parts_add_up_to_the_gmv_change(v0, pv0, c0, o0, g0, v1, pv1, c1, o1, g1) -> None:
    base = {"gmv": g0, "orders": o0, "visitors": v0, "product_views": pv0, "add_to_cart": c0}
    cur = {"gmv": g1, "orders": o1, "visitors": v1, "product_views": pv1, "add_to_cart": c1}
    d = kpi.gmv_decomposition(cur, base, drivers="funnel")
    assert d["contribution"].sum() == pytest.approx(g1 - g0, abs=max(g0, g1) * 1e-9)
    # the five drivers multiply out to GMV in each period
    assert math.prod(d["baseline"]) == pytest.approx(g0, rel=1e-9)
    assert math.prod(d["current"]) == pytest.approx(g1, rel=1e-9)
