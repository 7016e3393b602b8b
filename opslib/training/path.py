"""The learning path (学习路径): the order of the chapters, the three levels and what each chapter takes.

One chapter is one notebook. The order is not the numbering: ``04`` (data quality) comes first on any new
export, then the basic level ``00 -> 01 -> 02 -> 03``, the intermediate level ``05`` and ``06``, and the
advanced level ``07`` — the three levels of the playbook's seed (basic: read the shop and run the routine
reviews; intermediate: customers and the departments operations coordinates; advanced: the industry, prices
and the cost structure). ``docs/training.md`` describes the path in words; the glossary, the student copies
and the trainer's score sheet use this table for their order and titles.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Chapter:
    """One chapter of the learning path: a notebook, its level and the time it takes.

    ``number`` is the notebook's two-digit prefix, ``stem`` its file name without ``.ipynb``, ``hours`` the
    time a new operator needs for reading, running and the exercises (a planning figure, not a measurement).
    """

    number: str
    stem: str
    zh: str
    en: str
    level: str
    hours: float
    can_do: str


#: Level id -> (中文, English).
LEVELS: dict[str, tuple[str, str]] = {
    "basic": ("基础", "Basic"),
    "intermediate": ("中级", "Intermediate"),
    "advanced": ("高级", "Advanced"),
}

#: The chapters in learning order (not in file order: 04 comes first).
CHAPTERS: tuple[Chapter, ...] = (
    Chapter("04", "04_data_quality", "数据质量", "Data quality", "basic", 1.5,
            "judge whether an export can be trusted and which reports it can feed"),
    Chapter("00", "00_shop_at_a_glance", "店铺概览", "Shop at a glance", "basic", 2.0,
            "run the weekly KPI review and say whether traffic, conversion or basket moved GMV"),
    Chapter("01", "01_category_optimisation", "品类优化", "Category optimisation", "basic", 3.0,
            "run the assortment review and defend one action per SKU"),
    Chapter("02", "02_campaign_evaluation", "活动复盘", "Campaign evaluation", "basic", 3.0,
            "say whether a promotion made money after pull-forward and cannibalisation"),
    Chapter("03", "03_trend_forecasting", "趋势预测与备货", "Trend forecasting and replenishment", "basic", 3.0,
            "read a forecast and its backtest and turn it into this week's order list"),
    Chapter("05", "05_customers_and_traffic", "客户与流量", "Customers and traffic", "intermediate", 3.0,
            "read the funnel, repeat rates and customer value and pick the customers to win back"),
    Chapter("06", "06_operations_coordination", "跨部门运营协同", "Operations coordination", "intermediate", 3.0,
            "score warehouse, carriers and service against their norms and hand each team its breaches"),
    Chapter("07", "07_industry_pricing_and_costs", "行业、定价与成本", "Industry, pricing and costs", "advanced", 4.0,
            "estimate price elasticity, price for margin and plan a campaign that pays"),
)


def chapter(number: str) -> Chapter:
    """The chapter of notebook ``number`` (``"01"``), or of a notebook file stem (``"01_category_optimisation"``).

    Parameters:
        number: two-digit notebook number or file stem.

    Returns:
        The :class:`Chapter`.

    Example:
        >>> chapter("04").en, chapter("02_campaign_evaluation").level
        ('Data quality', 'basic')
    """
    key = str(number)[:2]
    for c in CHAPTERS:
        if c.number == key:
            return c
    raise KeyError(f"no chapter {number!r}; the chapters are {', '.join(c.number for c in CHAPTERS)}")


def learning_path() -> pd.DataFrame:
    """The learning path as a table: one row per chapter in learning order.

    ``step`` = position on the path (1 = first), ``hours`` = planning time per chapter, ``cumulative_hours``
    = running sum (the time to reach the end of that chapter).

    Parameters:
        (none)

    Returns:
        Columns ``step``, ``notebook``, ``zh``, ``en``, ``level``, ``hours``, ``cumulative_hours``, ``can_do``.

    Example:
        >>> p = learning_path()
        >>> p["notebook"].tolist()[:5], float(p["cumulative_hours"].iloc[-1])
        (['04', '00', '01', '02', '03'], 22.5)
    """
    rows = [{"step": i + 1, "notebook": c.number, "zh": c.zh, "en": c.en, "level": c.level, "hours": c.hours,
             "can_do": c.can_do} for i, c in enumerate(CHAPTERS)]
    out = pd.DataFrame(rows)
    out["cumulative_hours"] = out["hours"].cumsum()
    return out[["step", "notebook", "zh", "en", "level", "hours", "cumulative_hours", "can_do"]]
