"""Series from the cube: complete weeks, daily frames per level, clear errors for a bad level or category."""

from __future__ import annotations

import pandas as pd
import pytest

from opslib import forecasting as F
from opslib.errors import UserError


def _cube() -> pd.DataFrame:
    days = pd.date_range("2023-01-01", "2023-01-22")  # Sunday .. Sunday
    return pd.concat([pd.DataFrame({"date": days, "sku": s, "category": c, "units": u})
                      for s, c, u in (("a", "x", 1), ("b", "x", 2), ("c", "y", 4))], ignore_index=True)


def test_complete_weeks_and_weekly_series() -> None:
    w = F.weekly_series(_cube(), "total")
    assert w.index.strftime("%m-%d").tolist() == ["01-02", "01-09", "01-16"] and (w[F.TOTAL] == 49).all()


def test_daily_frame_levels() -> None:
    d = _cube()
    assert F.daily_frame(d, "total")[F.TOTAL].iloc[0] == 7
    cat = F.daily_frame(d, "category")
    assert list(cat.columns) == ["x", "y"] and cat["x"].iloc[0] == 3
    sku = F.daily_frame(d, "sku", max_skus=2)
    assert list(sku.columns) == ["c", "b"]  # best sellers first
    end = F.daily_frame(d, "total", end=pd.Timestamp("2023-01-25"))
    assert len(end) == 25 and end[F.TOTAL].iloc[-1] == 0  # days after the last sale are zeros up to end


def test_bad_level_and_category_are_user_errors() -> None:
    with pytest.raises(UserError, match="level must be"):
        F.daily_frame(_cube(), "region")
    with pytest.raises(UserError, match="categories with sales: x, y"):
        F.weekly_series(_cube(), "category", category="z")
