"""Display formats for numbers in tables, texts and chart axes, in the shop's currency.

The currency comes from the shop (``shop.yml``, ``opslib.data.settings``): :func:`set_currency` (or
``set_theme(shop=...)``) makes it the default of every formatter for the notebook. Chinese conventions (CNY,
the default) count in 万 and 亿: :func:`money` writes ``¥8,765``, ``¥12.3万``, ``¥1.23亿``; other currencies
count in K, M, B: ``£8,765``, ``£123.5K``, ``£1.23M``. :func:`percent` writes ``12.3%``; no formatter ever
writes scientific notation. :func:`format_table` applies them to the columns of a table for display.

Example:
    >>> money(123456), money(2.5e8), money(86.4), percent(0.1234), percent(0.02, signed=True)
    ('¥12.3万', '¥2.50亿', '¥86.40', '12.3%', '+2.0%')
    >>> money(123456, currency="GBP"), money(-2.5e6, currency="USD"), number(48_213, currency="BRL")
    ('£123.5K', '-$2.50M', '48.2K')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from opslib.data.settings import CURRENCIES, Currency, ShopSettings

_RATE_HINTS = ("rate", "conversion", "share", "pct")
_MONEY_HINTS = ("gmv", "net_sales", "aov", "sales", "revenue", "spend", "cost", "profit")
#: Shown for a missing value.
MISSING = "–"

_DEFAULT: dict[str, Currency] = {"currency": CURRENCIES["CNY"]}


def set_currency(currency: str | Currency | ShopSettings | Any) -> Currency:
    """Make ``currency`` (a code like ``"GBP"``, a ``Currency``, the shop's settings or a ``Shop``) the default
    of every formatter; returns it. Notebooks call it once, through ``set_theme(shop=shop)``.

    Example:
        >>> set_currency("USD").symbol, money(1500), set_currency("CNY").symbol
        ('$', '$1,500', '¥')
    """
    _DEFAULT["currency"] = _resolve(currency)
    return _DEFAULT["currency"]


def current_currency() -> Currency:
    """The formatters' default currency (CNY until :func:`set_currency` is called)."""
    return _DEFAULT["currency"]


def _resolve(currency: str | Currency | ShopSettings | Any | None) -> Currency:
    if currency is None:
        return _DEFAULT["currency"]
    if isinstance(currency, Currency):
        return currency
    settings = getattr(currency, "settings", currency)  # a Shop carries its settings
    if isinstance(settings, ShopSettings):
        return settings.money
    code = str(currency).strip().upper()
    if code not in CURRENCIES:
        raise ValueError(f"unknown currency {currency!r}: expected one of {', '.join(sorted(CURRENCIES))}")
    return CURRENCIES[code]


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))


def _scaled(a: float, style: str) -> str:
    """A non-negative magnitude >= 10,000 with its unit step (万/亿 or K/M/B)."""
    if style == "cn":
        return f"{a / 1e4:,.1f}万" if a < 1e8 else f"{a / 1e8:,.2f}亿"
    if a < 1e6:
        return f"{a / 1e3:,.1f}K"
    return f"{a / 1e6:,.2f}M" if a < 1e9 else f"{a / 1e9:,.2f}B"


# ------------------------------------------------------------------------------------------ formats
def money(x: float, signed: bool = False, currency: str | Currency | None = None) -> str:
    """Format an amount: ``¥86.40`` (< 100), ``¥8,765`` (< 10,000), then ``¥12.3万``/``¥1.23亿`` (CNY) or
    ``£12.3K``/``£1.23M``/``£1.23B`` (other currencies).

    Parameters:
        x: the amount. signed: add ``+`` to positive amounts (for changes).
        currency: a code like ``"GBP"``; default: the shop's currency (:func:`set_currency`).

    Returns:
        The text; ``'–'`` for NaN or None, ``'∞'`` for an infinite amount.

    Example:
        >>> money(-123456, signed=True), money(12.5, signed=True), money(float("nan"))
        ('-¥12.3万', '+¥12.50', '–')
    """
    if _missing(x):
        return MISSING
    cur = _resolve(currency)
    x = float(x)
    sign = "-" if x < 0 else ("+" if signed and x > 0 else "")
    a = abs(x)
    if math.isinf(a):
        return f"{sign}∞"
    if a < 100:
        body = f"{a:.2f}"
    elif a < 1e4:
        body = f"{a:,.0f}"
    else:
        body = _scaled(a, cur.style)
    return f"{sign}{cur.symbol}{body}"


def percent(x: float, digits: int = 1, signed: bool = False) -> str:
    """Format a fraction as a percentage: ``0.1234 -> '12.3%'``; ``signed`` adds ``+``; NaN -> ``'–'``.

    Parameters:
        x: the fraction. digits: decimals. signed: add ``+`` to positive values.

    Returns:
        The text.

    Example:
        >>> percent(0.1234), percent(-0.05, signed=True), percent(0.00081, digits=2)
        ('12.3%', '-5.0%', '0.08%')
    """
    if _missing(x):
        return MISSING
    if math.isinf(float(x)):
        return "∞" if x > 0 else "-∞"
    return f"{float(x) * 100:{'+' if signed else ''}.{digits}f}%"


def number(x: float, signed: bool = False, currency: str | Currency | None = None, decimals: int = 2) -> str:
    """Format a count or quantity: ``8,765``, then ``12.3万``/``1.23亿`` (CNY shops) or ``12.3K``/``1.23M``.

    Whole numbers are written without decimals; others with ``decimals`` (never scientific notation).

    Example:
        >>> number(8765), number(12.5), number(123456), number(3, signed=True)
        ('8,765', '12.50', '12.3万', '+3')
    """
    if _missing(x):
        return MISSING
    x = float(x)
    sign = "-" if x < 0 else ("+" if signed and x > 0 else "")
    a = abs(x)
    if math.isinf(a):
        return f"{sign}∞"
    if a < 1e4:
        body = f"{a:,.0f}" if a == round(a) else f"{a:,.{decimals}f}"
    else:
        body = _scaled(a, _resolve(currency).style)
    return sign + body


def units(x: float, signed: bool = False) -> str:
    """Format units or counts as whole numbers with thousands separators: ``10.37 -> '10'``, ``1234.6 -> '1,235'``.

    Example:
        >>> units(10.366763), units(185.482), units(-1234.6, signed=True), units(float("nan"))
        ('10', '185', '-1,235', '–')
    """
    if _missing(x):
        return MISSING
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{round(x):{'+' if signed else ''},d}"


def decimal(x: float, digits: int = 2, signed: bool = False) -> str:
    """A plain number with ``digits`` decimals and thousands separators, never scientific notation.

    Example:
        >>> decimal(-0.7321), decimal(6.333e-112, 3), decimal(1234.5, 1, signed=True)
        ('-0.73', '0.000', '+1,234.5')
    """
    if _missing(x):
        return MISSING
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if round(x, digits) == 0:
        x = 0.0  # no "-0.00"
    return f"{x:{'+' if signed and x != 0 else ''},.{digits}f}"


def plain(x: float) -> str:
    """A number in a table nobody formatted (the safety net :func:`opslib.plotting.set_theme` gives pandas): whole
    numbers and magnitudes from 1,000 without decimals, others with 2; thousands separators; never scientific.

    Example:
        >>> plain(333329.747), plain(-0.732), plain(6.333e-112), plain(185.0), plain(float("inf"))
        ('333,330', '-0.73', '0.00', '185', '∞')
    """
    if _missing(x):
        return MISSING
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if abs(x) >= 1000 or x == round(x):
        return f"{x:,.0f}"
    return decimal(x, 2)


def pvalue(p: float) -> str:
    """A p-value as people read it: ``< 0.001`` when tiny, else three decimals.

    Example:
        >>> pvalue(6.333e-112), pvalue(0.0421), pvalue(0.5)
        ('< 0.001', '0.042', '0.500')
    """
    if _missing(p):
        return MISSING
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"


class Note(str):
    """A line of text shown as itself (no quotes) where a table would be, e.g. ``(no stock-out spells)``.

    Example:
        >>> Note("(no stock-out spells in the period)")
        (no stock-out spells in the period)
    """

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        import html

        return f'<p class="ops-note"><i>{html.escape(str(self))}</i></p>'


def format_table(df: pd.DataFrame, money: Iterable[str] = (), percent: Iterable[str] = (),
                 units: Iterable[str] = (), points: Iterable[str] = (), pvalues: Iterable[str] = (),
                 signed: Iterable[str] = (), decimals: int = 2, labels: Mapping[str, str] | None = None,
                 currency: str | Currency | None = None, empty: str = "(nothing to show)") -> pd.DataFrame | Note:
    """A table ready to show: every number written as text in the shop's formats, nothing in scientific notation.

    ``money`` columns as :func:`money`, ``percent`` as :func:`percent` (1 decimal), ``units`` (counts) as whole
    numbers (:func:`units`), ``points`` (changes of a rate) as ``+0.58 pt``, ``pvalues`` as :func:`pvalue`; any
    other numeric column with ``decimals`` decimals (whole-number columns without); ``signed`` columns get a
    ``+`` on positive values; text columns stay as they are. ``labels`` renames columns for display.

    Parameters:
        df: the table (not modified). money, percent, units, points, pvalues, signed: column names.
        decimals: decimals of the other numeric columns. labels: display names of columns.
        currency: override the shop's currency. empty: what to show instead of an empty table.

    Returns:
        A new DataFrame of strings with the same index; a :class:`Note` saying ``empty`` when ``df`` has no rows.

    Example:
        >>> t = pd.DataFrame({"sku": ["A", "B"], "gmv": [333329.747, 86.4], "roi": [-0.732, 1.5],
        ...                   "units": [10.366763, 2.0], "share": [0.5, 0.25], "p": [6.3e-112, 0.2]})
        >>> format_table(t, money=["gmv"], units=["units"], percent=["share"], pvalues=["p"]).values.tolist()
        [['A', '¥33.3万', '-0.73', '10', '50.0%', '< 0.001'], ['B', '¥86.40', '1.50', '2', '25.0%', '0.200']]
    """
    if len(df) == 0:
        return Note(empty)
    money_c, pct_c, unit_c = set(money), set(percent), set(units)
    pt_c, p_c, sign_c = set(points), set(pvalues), set(signed)
    unknown = (money_c | pct_c | unit_c | pt_c | p_c | sign_c) - set(df.columns)
    if unknown:
        raise KeyError(f"format_table: no column(s) {sorted(unknown)} in the table; it has {list(df.columns)}")
    out = {}
    for col in df.columns:
        s, sg = df[col], col in sign_c
        if col in money_c:
            out[col] = [_money_fn(v, sg, currency) for v in s]
        elif col in pct_c:
            out[col] = [_percent_fn(v, 1, sg) for v in s]
        elif col in unit_c:
            out[col] = [_units_fn(v, sg) for v in s]
        elif col in pt_c:
            out[col] = [MISSING if _missing(v) else f"{float(v) * 100:+.2f} pt" for v in s]
        elif col in p_c:
            out[col] = [pvalue(v) for v in s]
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.map({True: "✓", False: ""}).astype(object)
        elif pd.api.types.is_integer_dtype(s.dtype):
            out[col] = [MISSING if _missing(v) else f"{int(v):{'+' if sg else ''},d}" for v in s]
        elif pd.api.types.is_float_dtype(s.dtype):
            whole = bool(np.all(np.isnan(s.to_numpy()) | (s.to_numpy() == np.round(s.to_numpy()))))
            out[col] = [_units_fn(v, sg) if whole else decimal(v, decimals, sg) for v in s]
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            midnight = bool((s.dropna() == s.dropna().dt.normalize()).all())
            out[col] = [MISSING if _missing(v) else (f"{v:%Y-%m-%d}" if midnight else f"{v:%Y-%m-%d %H:%M}") for v in s]
        else:
            out[col] = [MISSING if _missing(v) else v for v in s]
    table = pd.DataFrame(out, index=df.index, columns=list(df.columns))
    return table.rename(columns=dict(labels)) if labels else table


_money_fn, _percent_fn, _units_fn = money, percent, units


def metric_kind(metric: str) -> str:
    """``'rate'``, ``'money'`` or ``'count'``, guessed from a metric name (``conversion_rate`` -> rate)."""
    m = metric.lower()
    if any(h in m for h in _RATE_HINTS):
        return "rate"
    if any(h in m for h in _MONEY_HINTS):
        return "money"
    return "count"


def format_value(metric: str, x: float, signed: bool = False) -> str:
    """Format ``x`` as :func:`money`, :func:`percent` or :func:`number` according to :func:`metric_kind`.

    Example:
        >>> format_value("gmv", 123456), format_value("conversion_rate", 0.0123), format_value("orders", 3920)
        ('¥12.3万', '1.23%', '3,920')
    """
    kind = metric_kind(metric)
    if kind == "rate":
        return percent(x, digits=2 if "conversion" in metric else 1, signed=signed)
    if kind == "money":
        return money(x, signed=signed)
    return number(x, signed=signed)


def format_change(metric: str, change: float, change_pct: float) -> str:
    """A change for display: percentage points for rates (``+0.58 pt``), relative otherwise (``+2.9%``)."""
    if metric_kind(metric) == "rate":
        return "–" if pd.isna(change) else f"{change * 100:+.2f} pt"
    return percent(change_pct, signed=True)


def axis_formatter(metric: str) -> FuncFormatter:
    """A matplotlib tick formatter for ``metric`` (¥/万 for money, % for rates)."""
    return FuncFormatter(lambda v, _pos: format_value(metric, v))
