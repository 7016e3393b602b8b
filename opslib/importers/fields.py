"""One mapped field: source values (text, or what an expression gave) -> typed contract values.

Per field, in this order: strip spaces (and the ``strip:`` characters), ``map:`` source values to contract
values, convert to the field's kind, ``multiplier:`` numbers, then ``fill:`` what is still empty.

Dates and times:

* ``format:`` is a strftime pattern (``%Y-%m-%d %H:%M:%S``); without it ISO-like text is read
  (``2024-06-18 10:31``, ``2024/6/18``, ``2024-06-18T10:31:00``);
* a time stamp with an offset (``2024-06-18 10:00:00+08:00``, ``...Z``, ``...-0300``) is converted to the shop's
  time zone (``shop: timezone:`` of the mapping, the user's ``shop.yml`` in OUT, else Asia/Shanghai), then
  made naive; offsets may differ from row to row; stamps without an offset are taken as shop time already;
* ``unit: s`` or ``unit: ms`` reads Unix time (seconds or milliseconds since 1970-01-01 UTC), converted to
  the shop's time zone;
* the import log says how many stamps were converted and to which zone.

Example:
    >>> s = pd.Series(["2024-06-18 10:00:00+08:00", "2024-06-18 02:00:00Z", "2024-06-18 10:00:00"])
    >>> to_shop_time(s, None, "Asia/Shanghai")[0].astype(str).tolist(), to_shop_time(s, None, "Asia/Shanghai")[1]
    (['2024-06-18 10:00:00', '2024-06-18 10:00:00', '2024-06-18 10:00:00'], 2)
    >>> epoch_to_shop_time(pd.Series([1718676000.0]), "s", "Asia/Shanghai").astype(str).tolist()
    ['2024-06-18 10:00:00']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from opslib.errors import MappingError
from opslib.importers.log import ImportLog

TEXT = pd.StringDtype(na_value=np.nan)
UNITS = ("s", "ms", "us")
# A time of day followed by an offset: Z, +08:00, +0800, -03, or " UTC".
OFFSET = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?|\s?UTC|\s?GMT)$"

Lines = Callable[[pd.Series], str]  # mask of offending rows -> "lines 3, 9 of orders.csv"


def check_format(fmt: Any, where: str) -> str:
    """A strftime pattern pandas accepts, else ``MappingError`` saying what is wrong with it.

    >>> check_format("%Y-%m-%d", "m.yml, field order_ts")
    '%Y-%m-%d'
    >>> check_format("%Y-%Q", "m.yml, field order_ts")
    Traceback (most recent call last):
    ...
    opslib.errors.MappingError: m.yml, field order_ts: format '%Y-%Q' is not a date pattern ('Q' is a bad directive in format '%Y-%Q') — use strftime codes such as "%Y-%m-%d %H:%M:%S" or "%d/%m/%Y"
    """
    example = 'use strftime codes such as "%Y-%m-%d %H:%M:%S" or "%d/%m/%Y"'
    if not isinstance(fmt, str) or "%" not in fmt:
        raise MappingError(f"{where}: format {fmt!r} is not a date pattern (no % codes) — {example}")
    try:
        pd.to_datetime(pd.Series(["2000-01-01"]), format=fmt, errors="coerce")
    except (ValueError, TypeError) as e:
        raise MappingError(f"{where}: format {fmt!r} is not a date pattern ({e}) — {example}") from None
    return fmt


def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or pd.api.types.is_string_dtype(s.dtype)


def as_text(s: pd.Series) -> pd.Series:
    """Any values as text: whole floats without ``.0`` (``17850.0`` -> ``17850``), missing stays missing."""
    if _is_text(s) and s.dtype != object:
        return s.astype(TEXT)
    if pd.api.types.is_float_dtype(s.dtype):
        v = s.to_numpy(dtype="float64")
        whole = np.isfinite(v) & (np.mod(v, 1) == 0)
        text = s.astype(object).where(s.notna(), None)
        text[whole] = [str(int(x)) for x in v[whole]]
        text[~whole & s.notna().to_numpy()] = [repr(float(x)) for x in v[~whole & s.notna().to_numpy()]]
        return text.astype(TEXT)
    return s.astype(object).where(s.notna(), None).map(lambda v: None if v is None else str(v)).astype(TEXT)


def _has_offset(text: pd.Series) -> pd.Series:
    """Rows whose time stamp ends in an offset (``OFFSET``), checked with Arrow's regex engine."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(text.to_numpy(dtype=object, na_value=None), type=pa.string())
    hit = pc.match_substring_regex(arr, OFFSET).fill_null(False)
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=text.index)


def to_shop_time(text: pd.Series, fmt: str | None, tz: str) -> tuple[pd.Series, int]:
    """Parse date/time text; stamps with an offset are converted to ``tz`` and made naive.

    Parameters:
        text: the stamps. fmt: a strftime pattern or None (ISO-like text). tz: the shop's IANA time zone.

    Returns:
        (datetime64[ns] values, NaT where unreadable; how many stamps carried an offset).
    """
    aware = _has_offset(text)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    naive = text.notna() & ~aware
    if naive.any():
        part = text[naive]
        if fmt:
            parsed = pd.to_datetime(part, format=fmt, errors="coerce")
        else:
            parsed = pd.to_datetime(part.str.replace("/", "-", regex=False), format="ISO8601", errors="coerce")
            retry = parsed.isna()
            if retry.any():
                again = pd.to_datetime(part[retry], format="mixed", errors="coerce")
                parsed = parsed.astype("datetime64[ns]")
                parsed[retry] = again.astype("datetime64[ns]") if again.dt.tz is None else pd.NaT
        if getattr(parsed.dt, "tz", None) is not None:  # a %z format on stamps the regex missed
            parsed = parsed.dt.tz_convert(tz).dt.tz_localize(None)
        out[naive] = parsed.astype("datetime64[ns]")
    if aware.any():
        part = text[aware].str.replace(r"\s?(UTC|GMT)$", "+00:00", regex=True)
        parsed = pd.to_datetime(part, format=fmt or "mixed", utc=True, errors="coerce")
        out[aware] = parsed.dt.tz_convert(tz).dt.tz_localize(None).astype("datetime64[ns]")
    return out, int(aware.sum())


def epoch_to_shop_time(num: pd.Series, unit: str, tz: str) -> pd.Series:
    """Unix time (``unit`` s, ms or us since 1970-01-01 UTC) -> naive shop-local datetime64[ns].

    Rule: ``local = 1970-01-01 UTC + value * unit``, converted to ``tz``, time zone dropped.
    """
    ts = pd.to_datetime(num, unit=unit, utc=True, errors="coerce")
    return ts.dt.tz_convert(tz).dt.tz_localize(None).astype("datetime64[ns]")


def _bad(where: str, what: str, mask: pd.Series, values: pd.Series, lines: Lines) -> MappingError:
    shown = ", ".join(repr(v) for v in values[mask].head(5))
    return MappingError(f"{where}: {what} on {lines(mask)}: {shown}")


def convert_field(s: pd.Series, kind: str, f: dict[str, Any], where: str, log: ImportLog, table: str,
                  name: str, tz: str, lines: Lines) -> pd.Series:
    """Source values of one field -> contract values of ``kind`` (rules in the module docstring).

    Parameters:
        s: the source values. kind: the contract kind. f: the field's mapping. where: for messages.
        log, table, name: where conversions are logged. tz: the shop's time zone. lines: names rows in messages.

    Returns:
        Text (str), float64 numbers or naive datetime64[ns] values; unreadable values raise ``MappingError``
        naming the field, the source column and the lines.
    """
    if _is_text(s):
        s = s.astype(TEXT).str.strip()
        if "strip" in f:
            s = s.str.strip(str(f["strip"]))
        s = s.mask(s == "")
    if "map" in f:
        s = as_text(s)
        vmap = {str(k): v for k, v in f["map"].items()}
        uncovered = s.notna() & ~s.isin(list(vmap))
        if uncovered.any():
            vals = s[uncovered].value_counts()
            shown = ", ".join(f"{v!r} ({n} rows)" for v, n in vals.head(5).items())
            raise MappingError(f"{where}: value(s) {shown} not covered by the value map — add them to 'map:' "
                               f"(it covers {', '.join(map(repr, vmap))})")
        counts = s.value_counts()
        log.change(f"value_map:{table}.{name}", int(s.notna().sum()),
                   "value map: " + ", ".join(f"{k} -> {v} ({counts.get(k, 0):,})" for k, v in vmap.items()),
                   table=table)
        s = s.map(vmap)
        if kind == "str":
            s = s.astype(TEXT)
    out = _typed(s, kind, f, where, log, table, name, tz, lines)
    if "fill" in f:
        empty = out.isna()
        if empty.any():
            filler = _typed(pd.Series([f["fill"]], dtype=object), kind, {k: v for k, v in f.items() if k != "map"},
                            f"{where}, fill", log, table, name, tz, lambda m: "the fill: value")
            out = out.where(~empty, filler.iloc[0])
        log.change(f"fill:{table}.{name}", int(empty.sum()), f"empty {name} filled with {f['fill']!r}", table=table)
    return out


def _typed(s: pd.Series, kind: str, f: dict[str, Any], where: str, log: ImportLog, table: str, name: str,
           tz: str, lines: Lines) -> pd.Series:
    if kind == "str":
        return as_text(s)
    if kind in ("int", "float"):
        if _is_text(s):
            text = as_text(s)
            num = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
            bad = text.notna() & num.isna()
            if bad.any():
                raise _bad(where, "not a number", bad, text, lines)
        elif pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
            raise MappingError(f"{where}: gives {s.dtype} values, not numbers")
        else:
            num = s.astype("float64")
        num = num.astype("float64")
        if "multiplier" in f:
            num = num * float(f["multiplier"])
        return num
    # datetime / date
    unit = f.get("unit")
    if unit is not None:
        num = pd.to_numeric(as_text(s).str.replace(",", "", regex=False), errors="coerce") if _is_text(s) \
            else s.astype("float64")
        bad = s.notna() & num.isna()
        if bad.any():
            raise _bad(where, f"not a Unix time in {unit} (a number)", bad, as_text(s), lines)
        ts = epoch_to_shop_time(num, unit, tz)
        log.note(f"unix_time:{table}.{name}", f"{name}: Unix time in {unit} (UTC) converted to {tz}, then made naive",
                 rows=int(num.notna().sum()), table=table)
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        ts = s
        if getattr(s.dt, "tz", None) is not None:
            ts = s.dt.tz_convert(tz).dt.tz_localize(None)
            log.note(f"time_zone:{table}.{name}", f"{name}: time stamps with a time zone converted to {tz}, then "
                     "made naive", rows=int(s.notna().sum()), table=table)
        ts = ts.astype("datetime64[ns]")
    elif _is_text(s):
        text = as_text(s)
        fmt = f.get("format")
        ts, n_aware = to_shop_time(text, fmt, tz)
        bad = text.notna() & ts.isna()
        if bad.any():
            raise _bad(where, "not a date" + (f" in format {fmt!r}" if fmt else ""), bad, text, lines)
        if n_aware:
            log.note(f"time_zone:{table}.{name}", f"{name}: {n_aware:,} time stamps carried a UTC offset "
                     f"(+08:00, Z ...): converted to the shop's time zone {tz}, then made naive"
                     + (f"; {int(text.notna().sum()) - n_aware:,} without an offset taken as {tz} time"
                        if n_aware < int(text.notna().sum()) else ""), rows=n_aware, table=table)
    else:
        raise MappingError(f"{where}: gives numbers ({s.dtype}), not dates — for Unix time set unit: s or unit: ms")
    return ts.dt.normalize() if kind == "date" else ts
