"""The sample shop's world: categories, assortment, calendar and campaign plan (helpers of ``opslib.sample``).

Everything here is small (per category, per SKU or per day) and deterministic given a
``numpy.random.Generator``. The large per-(day, SKU) arrays live in ``opslib.sample.demand``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import holidays
import numpy as np
import pandas as pd

N_SKUS = 2000
CANCEL_RATE = 0.03
GUEST_SHARE = 0.05


@dataclass(frozen=True)
class CategorySpec:
    """Planted parameters of one top-level category.

    ``price_median``/``price_sigma``: list price ~ LogNormal(log(price_median), price_sigma);
    ``margin``: mean of 1 - unit_cost/list_price; ``elasticity``: demand multiplier is
    (unit_price/list_price) ** elasticity; ``trend``: log-slope of demand per year;
    ``weight``: share of SKUs; ``demand``: relative units per SKU; ``season``: (amplitude, peak
    day-of-year) of the yearly cosine; ``lead``: (min, max) supplier lead time in days.
    """

    name: str
    subcats: dict[str, tuple[str, ...]]
    brands: tuple[str, ...]
    specs: tuple[str, ...]
    price_median: float
    price_sigma: float
    margin: float
    elasticity: float
    trend: float
    return_rate: float
    weight: float
    demand: float
    season: tuple[float, int]
    lead: tuple[int, int]


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("美妆", {"护肤": ("保湿精华液", "修护面霜", "爽肤水", "氨基酸洁面乳"), "彩妆": ("丝绒口红", "持妆粉底液", "四色眼影盘"),
                        "香水": ("淡香水", "香氛喷雾")},
                 ("花漾", "雪颜", "兰蔻思", "玉泽坊"), ("30ml", "50ml", "100ml", "礼盒装"),
                 120.0, 0.6, 0.62, -1.8, 0.02, 0.05, 0.14, 1.1, (0.10, 320), (5, 12)),
    CategorySpec("家电", {"厨房电器": ("电饭煲", "破壁料理机", "空气炸锅"), "生活电器": ("扫地机器人", "吸尘器", "加湿器"),
                        "大家电": ("变频空调", "滚筒洗衣机", "双门冰箱")},
                 ("美厨", "海岚", "格力森", "小熊猫"), ("标准款", "升级款", "Pro", "Max"),
                 900.0, 0.8, 0.25, -1.2, float(np.log(0.75)), 0.06, 0.11, 0.25, (0.18, 190), (10, 20)),
    CategorySpec("服饰", {"女装": ("连衣裙", "针织开衫", "羊毛大衣"), "男装": ("休闲衬衫", "羽绒服", "直筒牛仔裤"),
                        "鞋靴": ("运动鞋", "马丁靴", "帆布鞋"), "配饰": ("真丝围巾", "棒球帽")},
                 ("衣本", "型格", "素简", "北纬"), ("S码", "M码", "L码", "XL码"),
                 160.0, 0.6, 0.52, -2.2, -0.02, 0.15, 0.17, 1.0, (0.22, 340), (7, 15)),
    CategorySpec("食品", {"零食": ("每日坚果", "手撕牛肉干", "海苔脆"), "饮料": ("无糖茶饮", "燕麦奶", "气泡水"),
                        "粮油": ("五常大米", "压榨花生油")},
                 ("良品铺", "三只熊", "农夫田", "金龙禾"), ("250g", "500g", "1kg", "整箱装"),
                 35.0, 0.5, 0.30, -1.0, 0.03, 0.02, 0.15, 2.6, (0.12, 15), (3, 7)),
    CategorySpec("生鲜", {"水果": ("阳光玫瑰葡萄", "赣南脐橙", "丹东草莓"), "肉禽": ("澳洲牛排", "黑猪五花肉", "散养土鸡"),
                        "水产": ("鲜活大闸蟹", "冰鲜三文鱼")},
                 ("鲜丰", "盒马源", "京鲜", "果然好"), ("500g", "1kg", "2.5kg", "家庭装"),
                 55.0, 0.5, 0.22, -0.8, 0.01, 0.04, 0.10, 2.2, (0.15, 200), (3, 5)),
    CategorySpec("母婴", {"奶粉": ("婴幼儿配方奶粉", "有机奶粉"), "尿裤": ("超薄纸尿裤", "拉拉裤"),
                        "玩具": ("益智积木", "早教故事机", "毛绒玩偶")},
                 ("贝因美佳", "好孩儿", "飞鹤源", "小袋鼠"), ("1段", "2段", "3段", "大包装"),
                 150.0, 0.6, 0.35, -1.1, float(np.log(1.30)), 0.04, 0.11, 1.2, (0.05, 300), (7, 14)),
    CategorySpec("数码", {"手机配件": ("快充充电器", "磁吸手机壳", "钢化膜"), "耳机音箱": ("降噪蓝牙耳机", "便携音箱"),
                        "电脑外设": ("机械键盘", "无线鼠标", "移动硬盘")},
                 ("极客", "声浪", "闪电侠", "墨岩"), ("黑色", "白色", "128G", "256G"),
                 260.0, 0.9, 0.18, -1.5, 0.0, 0.08, 0.12, 0.8, (0.08, 330), (10, 20)),
    CategorySpec("家居", {"床品": ("全棉四件套", "蚕丝被", "乳胶枕"), "收纳": ("收纳箱", "衣柜挂架"),
                        "厨具": ("不粘炒锅", "陶瓷餐具套装", "保温杯")},
                 ("宜居", "木子家", "南山居", "简悦"), ("单人", "双人", "三件套", "大号"),
                 110.0, 0.7, 0.45, -2.5, -0.01, 0.06, 0.10, 0.9, (0.10, 60), (7, 15)),
)
CATEGORY_NAMES: tuple[str, ...] = tuple(c.name for c in CATEGORIES)
GROWING = "母婴"
DECLINING = "家电"

# Weekday multipliers Mon..Sun (mean 1 after normalisation).
_WEEKLY_RAW = np.array([0.96, 0.93, 0.95, 0.97, 1.02, 1.08, 1.09])
WEEKLY = _WEEKLY_RAW / _WEEKLY_RAW.mean()

CNY_DEPTH = 0.45  # demand multiplier falls to 1 - CNY_DEPTH on Spring Festival day
CNY_BEFORE, CNY_AFTER = 10, 12  # window: [cny - 10, cny + 12] days


@dataclass
class Campaign:
    """One planned campaign: window (day indices into the simulation), scope and planted effects."""

    campaign_id: str
    name: str
    kind: str
    start: int
    end: int
    depth: float
    scope_type: str
    scope: str | None
    scope_skus: np.ndarray
    sibling_skus: np.ndarray
    traffic: float
    peak_last_day: float
    pull_forward_days: int
    pull_forward_depth: float
    cannibal_depth: float
    sku_depth: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass
class Products:
    """The assortment as arrays (one entry per SKU)."""

    sku: np.ndarray
    name: np.ndarray
    cat: np.ndarray  # category index into CATEGORIES
    subcat: np.ndarray  # global subcategory index into ``subcat_names``
    subcat_names: list[str]
    brand: np.ndarray
    list_price: np.ndarray
    unit_cost: np.ndarray
    launch: np.ndarray  # day index relative to the start (negative = launched before)
    base: np.ndarray  # relative base demand, heavy tailed

    @property
    def n(self) -> int:
        return len(self.sku)


def make_products(rng: np.random.Generator, days: int) -> Products:
    """Draw ~2,000 SKUs.

    Category ~ Categorical(weight); list price = round(LogNormal(log median, sigma), .9 endings);
    unit_cost = list_price * (1 - margin_s), margin_s = clip(margin_cat + N(0, 0.05), 0.05, 0.85);
    launch: 85% uniformly in the 4 years before the start, 15% uniformly in [30, days - 90];
    base_s = demand_cat * LogNormal(0, 1.45) (about 20% of SKUs make about 80% of GMV).
    """
    n = N_SKUS
    w = np.array([c.weight for c in CATEGORIES])
    cat = np.sort(rng.choice(len(CATEGORIES), size=n, p=w / w.sum()))
    subcat_names: list[str] = []
    sub_offset = []
    for c in CATEGORIES:
        sub_offset.append(len(subcat_names))
        subcat_names += list(c.subcats)
    n_sub = np.array([len(c.subcats) for c in CATEGORIES])
    local_sub = np.floor(rng.random(n) * n_sub[cat]).astype(np.int64)
    subcat = np.array(sub_offset)[cat] + local_sub
    brand_i = rng.integers(0, 4, size=n)
    noun_u, spec_i, series_i = rng.random(n), rng.integers(0, 4, size=n), rng.integers(0, 8, size=n)
    series = ("经典", "焕新", "轻享", "臻选", "畅销", "尊享", "优选", "flagship")
    names, brands = [], []
    for i in range(n):  # string assembly for 2,000 SKUs only
        c = CATEGORIES[cat[i]]
        nouns = c.subcats[subcat_names[subcat[i]]]
        brands.append(c.brands[brand_i[i]])
        noun = nouns[int(noun_u[i] * len(nouns))]
        ser = series[series_i[i]] if series_i[i] < 7 else ""
        names.append(f"{c.brands[brand_i[i]]}{ser}{noun} {c.specs[spec_i[i]]}")
    med = np.array([c.price_median for c in CATEGORIES])[cat]
    sig = np.array([c.price_sigma for c in CATEGORIES])[cat]
    raw = np.exp(np.log(med) + sig * rng.standard_normal(n))
    list_price = np.maximum(np.floor(raw) + 0.9, 1.9)
    margin = np.clip(np.array([c.margin for c in CATEGORIES])[cat] + 0.05 * rng.standard_normal(n), 0.05, 0.85)
    unit_cost = np.round(list_price * (1 - margin), 2)
    is_new = rng.random(n) < 0.15
    launch = np.where(is_new, rng.integers(30, max(days - 90, 31), size=n), -rng.integers(1, 4 * 365, size=n))
    demand = np.array([c.demand for c in CATEGORIES])[cat]
    base = demand * np.exp(1.45 * rng.standard_normal(n))
    sku = np.array([f"SKU{i + 1:05d}" for i in range(n)], dtype=object)
    return Products(sku, np.array(names, dtype=object), cat, subcat, subcat_names, np.array(brands, dtype=object),
                    list_price, unit_cost, launch.astype(np.int64), base)


def cny_dates(start: pd.Timestamp, days: int) -> list[pd.Timestamp]:
    """Spring Festival days (first day of 'Chinese New Year') from ``holidays.China`` touching the period."""
    years = range(start.year - 1, (start + pd.Timedelta(days=days)).year + 2)
    out = []
    for d, name in sorted(holidays.China(years=years).items()):
        if "Spring Festival" in name and "observed" not in name:
            ts = pd.Timestamp(d)
            if not out or (ts - out[-1]).days > 200:
                out.append(ts)
    return out


def calendar_factors(start: pd.Timestamp, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
    """Per-day factors shared by all SKUs.

    Returns (weekday index, day-of-year, CNY multiplier, CNY records). CNY multiplier
    ``1 - CNY_DEPTH * k(t)`` with the triangular kernel k = 1 at Spring Festival, falling linearly to 0
    at ``CNY_BEFORE`` days before and ``CNY_AFTER`` days after.
    """
    dates = start + pd.to_timedelta(np.arange(days), unit="D")
    t = np.arange(days)
    cny = np.ones(days)
    recs = []
    for d in cny_dates(start, days):
        k = int((d - start).days)
        if k + CNY_AFTER < 0 or k - CNY_BEFORE >= days:
            continue
        before = np.clip(1 - (k - t) / CNY_BEFORE, 0, 1) * (t <= k)
        after = np.clip(1 - (t - k) / CNY_AFTER, 0, 1) * (t > k)
        cny *= 1 - CNY_DEPTH * (before + after)
        recs.append({"year": int(d.year), "date": d.strftime("%Y-%m-%d"),
                     "window_start": (d - pd.Timedelta(days=CNY_BEFORE)).strftime("%Y-%m-%d"),
                     "window_end": (d + pd.Timedelta(days=CNY_AFTER)).strftime("%Y-%m-%d"), "depth": CNY_DEPTH})
    return dates.day_of_week.to_numpy(), dates.day_of_year.to_numpy(), cny, recs


def yearly_profile(doy: np.ndarray) -> np.ndarray:
    """Yearly multiplier per (day, category): 1 + a_c * cos(2 pi (doy - peak_c) / 365.25)."""
    amp = np.array([c.season[0] for c in CATEGORIES])
    peak = np.array([c.season[1] for c in CATEGORIES])
    return 1 + amp[None, :] * np.cos(2 * np.pi * (doy[:, None] - peak[None, :]) / 365.25)


def _window(start: pd.Timestamp, days: int, year: int, m1: int, d1: int, m2: int, d2: int) -> tuple[int, int] | None:
    a = (pd.Timestamp(year, m1, d1) - start).days
    b = (pd.Timestamp(year, m2, d2) - start).days
    return (a, b) if a >= 0 and b < days else None


def plan_campaigns(rng: np.random.Generator, prod: Products, start: pd.Timestamp, days: int,
                   cny_recs: list[dict]) -> list[Campaign]:
    """Festivals (618 Jun 1-18, 双11 Nov 1-11, 双12 Dec 10-12, scope all) plus per year 3-4 flash sales
    (2-4 days, half the SKUs of one subcategory, depth ~0.3) and one category coupon (5 days, depth 0.1),
    placed at random with >= 28 free days between any two windows and outside the CNY window."""
    years = sorted({(start + pd.Timedelta(days=int(x))).year for x in range(0, days, 30)})
    camps: list[Campaign] = []
    busy: list[tuple[int, int]] = []
    for r in cny_recs:
        busy.append(((pd.Timestamp(r["window_start"]) - start).days + 28, (pd.Timestamp(r["window_end"]) - start).days - 28))
    all_skus = np.arange(prod.n)
    fest = (("618", "年中大促", 6, 1, 6, 18, 0.18, 1.5), ("1111", "双11全球狂欢节", 11, 1, 11, 11, 0.2, 1.6),
            ("1212", "双12年终盛典", 12, 10, 12, 12, 0.15, 1.3))
    for y in years:
        for code, label, m1, d1, m2, d2, depth, traffic in fest:
            w = _window(start, days, y, m1, d1, m2, d2)
            if w is None:
                continue
            scope = all_skus[prod.launch <= w[1]]
            camps.append(Campaign(f"CMP_{y}_{code}", f"{y} {label}", "festival", w[0], w[1], depth, "all", None,
                                  scope, np.zeros(0, np.int64), traffic, 1.6, 10, 0.22, 0.0))
            busy.append(w)
    for y in years:
        y0, y1 = (pd.Timestamp(y, 1, 1) - start).days, (pd.Timestamp(y, 12, 31) - start).days
        kinds = ["flash_sale"] * int(rng.integers(3, 5)) + ["coupon"]
        n_flash = 0
        for kind in kinds:
            length = int(rng.integers(2, 5)) if kind == "flash_sale" else 5
            for _ in range(200):
                a = int(rng.integers(max(y0, 0), max(min(y1, days - 1) - length + 1, max(y0, 0) + 1)))
                b = a + length - 1
                if a < 35 or b >= days - 14 or any(a <= e + 28 and b >= s - 28 for s, e in busy):
                    continue
                busy.append((a, b))
                if kind == "flash_sale":
                    n_flash += 1
                    camps.append(_flash(rng, prod, y, n_flash, a, b))
                else:
                    camps.append(_coupon(rng, prod, y, a, b))
                break
    camps.sort(key=lambda c: c.start)
    for c in camps:
        jitter = 0.03 if c.kind != "coupon" else 0.0
        c.sku_depth = np.clip(c.depth + jitter * (2 * rng.random(len(c.scope_skus)) - 1), 0.01, 0.9)
    return camps


def _flash(rng: np.random.Generator, prod: Products, year: int, k: int, a: int, b: int) -> Campaign:
    """Flash sale on about half of one subcategory's SKUs (those on sale); the rest are the siblings."""
    on_sale = prod.launch <= a
    counts = np.bincount(prod.subcat[on_sale], minlength=len(prod.subcat_names))
    sub = int(rng.choice(np.flatnonzero(counts >= 8)))
    members = np.flatnonzero(on_sale & (prod.subcat == sub))
    pick = rng.random(len(members)) < 0.5
    scope, sib = members[pick], members[~pick]
    cat = CATEGORIES[prod.cat[members[0]]].name
    name = f"{year} {cat}·{prod.subcat_names[sub]}限时秒杀"
    return Campaign(f"CMP_{year}_FS{k}", name, "flash_sale", a, b, float(np.round(0.27 + 0.06 * rng.random(), 2)), "sku",
                    "|".join(prod.sku[scope]), scope, sib, 1.3, 1.0, 5, 0.25, 0.2)


def _coupon(rng: np.random.Generator, prod: Products, year: int, a: int, b: int) -> Campaign:
    """Category coupon (满减券) on every SKU of one category that is on sale."""
    ci = int(rng.integers(0, len(CATEGORIES)))
    scope = np.flatnonzero((prod.cat == ci) & (prod.launch <= b))
    cat = CATEGORIES[ci].name
    return Campaign(f"CMP_{year}_CPN", f"{year} {cat}品类满减券", "coupon", a, b, 0.1, "category", cat, scope,
                    np.zeros(0, np.int64), 1.1, 1.0, 3, 0.1, 0.0)
