"""One chart theme for every notebook and report: seaborn whitegrid, a colour-blind palette and a CJK font.

:func:`set_theme` registers the CJK font shipped inside the ``mplfonts`` pip package (Noto Sans CJK
SC) with matplotlib and puts it first in ``font.sans-serif``, so Chinese labels render on a fresh
machine or CI runner without system fonts; ``axes.unicode_minus`` is off because the CJK font has
no Unicode minus glyph.

It also sets pandas' float display to :func:`opslib.plotting.format.plain`, the safety net of the one formatting
layer: a frame a cell shows without ``format_table`` still never prints ``333329.747`` or ``6.333e-112``
(2 decimals at most, thousands separators, no scientific notation).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import matplotlib as mpl
import pandas as pd
import seaborn as sns
from matplotlib import font_manager

from opslib.plotting.format import plain, set_currency

#: Categorical palette used for series and categories (colour-blind friendly, from seaborn's ``colorblind``).
PALETTE: list[str] = ["#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4",
                      "#949494", "#ece133", "#56b4e9"]


#: Colours for good/bad changes and for totals in waterfalls.
POSITIVE = "#029e73"


NEGATIVE = "#d55e00"


TOTAL = "#4d4d4d"


CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font file inside the installed ``mplfonts`` package.

    Located through the package's import spec (without importing it), so it works wherever pip put it.
    """
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mplfonts package is not installed: pip install mplfonts")
    for base in spec.submodule_search_locations:
        path = Path(base) / "fonts" / CJK_FONT_FILE
        if path.exists():
            return path
    raise RuntimeError(f"{CJK_FONT_FILE} not found in the mplfonts package")


def set_theme(context: str = "notebook", shop: Any = None, currency: str | None = None) -> str:
    """Apply the opsplaybook theme (seaborn whitegrid, :data:`PALETTE`, CJK font); return the font name.

    Idempotent; call it once at the top of every notebook or report. With ``shop`` (a ``Shop`` or its
    ``ShopSettings``) or ``currency`` every formatter and chart axis shows money in that currency
    (:func:`opslib.plotting.format.set_currency`). Raw frames display floats through
    :func:`opslib.plotting.format.plain` (pandas ``display.float_format``).

    Parameters:
        context: seaborn context (``notebook``, ``talk``, ``paper``). shop: a ``Shop`` or its ``ShopSettings``
        (money in its currency). currency: a currency code instead of the shop's.

    Returns:
        The name of the CJK font used.
    """
    if shop is not None or currency is not None:
        set_currency(currency if currency is not None else shop)
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    sans = [name] + [f for f in mpl.rcParams["font.sans-serif"] if f != name]
    pd.set_option("display.float_format", plain)
    sns.set_theme(
        context=context,
        style="whitegrid",
        palette=PALETTE,
        font="sans-serif",
        rc={
            "font.sans-serif": sans,
            "axes.unicode_minus": False,
            "figure.figsize": (10, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 120,
            "savefig.bbox": "tight",
            "axes.spines.top": False,
            "axes.spines.right": False,
        },
    )
    return name
