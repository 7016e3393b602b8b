"""The review's scope and the honest reading of elasticities: the usability rule by hand, thin data, the shop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslib.pricing import review_elasticity, usable_elasticities, weekly_price_panel


def test_the_usability_rule_by_hand() -> None:
    t = pd.DataFrame({"category": list("abcde"), "elasticity": [-1.8, -0.9, -2.0, 0.5, np.nan],
                      "low": [-2.0, -2.1, -2.4, -0.1, np.nan], "high": [-1.6, 0.3, -1.6, 1.1, np.nan],
                      "n_skus": [40, 30, 3, 20, 0], "note": ["", "", "", "", "no SKU"]})
    u = usable_elasticities(t).set_index("category")
    assert u["usable"].tolist() == [True, False, False, False, False]
    # a: half-width 0.2 / 1.8 = 11%; b: 1.2 / 0.9 = 133% and its interval reaches above 0
    assert u.loc["a", "relative_width"] == pytest.approx(0.2 / 1.8)
    assert u.loc["b", "why"].startswith("no clear negative response")
    assert u.loc["c", "why"].startswith("only 3 SKUs")
    assert u.loc["e", "why"] == "not measured: no SKU"
    # b would need (1.333 / 0.5)^2 = 7.1x the sales for a ±50% interval
    assert u.loc["b", "volume_needed"] == pytest.approx((1.2 / 0.9 / 0.5) ** 2)
    narrow = usable_elasticities(t.assign(low=[-2.0, -1.2, -2.4, -0.1, np.nan], high=[-1.6, -0.6, -1.6, 1.1, np.nan]))
    assert narrow.set_index("category").loc["b", "usable"]


def test_thin_data_give_a_reason_for_every_category_and_never_stop_the_report(small_shop_dir: Path) -> None:
    # At scale 0.05 no category has 5 SKUs selling 3 lines a week (tests/pricing/conftest.py): nothing usable,
    # and each category says why.
    d = small_shop_dir
    panel = weekly_price_panel(d / "orders.parquet", d / "products.parquet", d / "inventory.parquet",
                               d / "campaigns.parquet")
    r = review_elasticity(panel)
    assert len(r.table) == 8 and r.usable() == []
    assert (r.table["why"] != "").all()
    text = r.describe()
    assert "0 usable" in text and "not measured" in text
    # a panel too thin for any estimate: the estimator's error becomes the reason
    thin = panel[panel["lines"] < 2]
    t = review_elasticity(thin)
    assert t.result is None and "min_lines=0" in t.reason and not t.table["usable"].any()
