"""Type raw cells per the contract: text, whole numbers, numbers, dates and date/times.

Unparseable cells become missing and are remembered per column (``_Table.bad``) so validation can name them.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from opslib.data.problems import (
    EXPECTED_BY_KIND,
    EXPECTED_MIDNIGHT,
    STR_DTYPE,
    Problem,
    _problem_at,
    _Table,
)


def _to_text(raw: pd.Series) -> pd.Series:
    """Any raw column as the default string dtype (missing stays NaN)."""
    if raw.dtype == object:
        raw = raw.map(lambda v: None if _is_missing(v) else (v if isinstance(v, str) else _cell_text(v)))
    elif not pd.api.types.is_string_dtype(raw.dtype):
        raw = raw.astype(object).where(raw.notna(), None).map(lambda v: None if v is None else _cell_text(v))
    return raw.astype(STR_DTYPE)


def _is_missing(v: object) -> bool:
    """True for None, NaN and NaT cells."""
    return v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def _cell_text(v: object) -> str:
    """Text of a non-text cell: whole floats without ``.0`` (Excel stores 4711 as 4711.0)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _to_number(raw: pd.Series, kind: str) -> tuple[pd.Series, np.ndarray]:
    """Numbers from raw cells; returns (float64 values, rows that were non-empty but not a valid number)."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        num = pd.Series(np.nan, index=raw.index)
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        num = raw.astype("float64")
    elif raw.dtype == object:
        num = pd.to_numeric(raw.map(lambda v: np.nan if isinstance(v, bool) else v), errors="coerce")
    else:
        num = _text_to_float(raw)
    num = num.astype("float64")
    num = num.where(np.isfinite(num))
    bad = raw.notna().to_numpy() & num.isna().to_numpy()
    if kind == "int":
        frac = num.notna().to_numpy() & (num.fillna(0).to_numpy() % 1 != 0)
        bad |= frac
        num = num.mask(frac)
    return num, bad


def _text_to_float(text: pd.Series) -> pd.Series:
    """Text to float64: one vectorised cast when every value is a number, else coerce bad ones to NaN."""
    try:
        return text.astype("float64")
    except (ValueError, TypeError):
        return pd.to_numeric(text, errors="coerce")


def _as_int(num: pd.Series) -> pd.Series:
    """int64 when the column has no gaps; float64 otherwise (only when validation is off or failed)."""
    return num.astype("int64") if num.notna().all() else num


def _parse_text_dates(text: pd.Series) -> pd.Series:
    """Parse ISO-like date strings (``-``, ``/`` or ``T`` separators; unpadded fields tolerated)."""
    norm = text.str.replace("/", "-", regex=False)
    out = pd.to_datetime(norm, format="ISO8601", errors="coerce")
    retry = out.isna() & norm.notna()
    if retry.any():
        padded = norm[retry].str.replace(
            r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$",
            lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
            + (f" {int(m[4]):02d}:{m[5]}:{m[6] or '00'}" if m[4] else ""),
            regex=True,
        )
        out = out.astype("datetime64[us]")
        out[retry] = pd.to_datetime(padded, format="ISO8601", errors="coerce").astype("datetime64[us]")
    return out


def _to_datetime(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """datetime64[ns] from raw cells; returns (values, rows that were non-empty but not a date/time)."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        dt = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) is not None else raw
    elif raw.dtype == object:
        is_dt = raw.map(lambda v: isinstance(v, _dt.date)).to_numpy(dtype=bool)
        text = raw.map(lambda v: v if isinstance(v, str) else None).astype(STR_DTYPE)
        dt = _parse_text_dates(text).astype("datetime64[us]")
        if is_dt.any():
            dt[is_dt] = pd.to_datetime(raw[is_dt].map(pd.Timestamp)).astype("datetime64[us]")
    elif pd.api.types.is_string_dtype(raw.dtype):
        dt = _parse_text_dates(raw)
    else:  # numbers are not dates
        dt = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    lo, hi = pd.Timestamp.min.ceil("us"), pd.Timestamp.max.floor("us")
    dt = dt.where((dt >= lo) & (dt <= hi))
    bad = raw.notna().to_numpy() & dt.isna().to_numpy()
    return dt.astype("datetime64[ns]"), bad



def _type_columns(t: _Table, problems: list[Problem]) -> None:
    """Build ``t.frame``: contract columns typed per kind (in contract order), extra columns after."""
    out: dict[str, pd.Series] = {}
    for col in t.spec.columns:
        if col.name not in t.raw.columns:
            continue
        raw = t.raw[col.name]
        if col.kind == "str":
            out[col.name] = _to_text(raw)
            continue
        if col.kind in ("int", "float"):
            values, bad = _to_number(raw, col.kind)
            out[col.name] = _as_int(values) if col.kind == "int" else values
        else:
            values, bad = _to_datetime(raw)
            out[col.name] = values
            if col.kind == "date":
                timed = values.notna().to_numpy() & (values != values.dt.normalize()).to_numpy()
                if timed.any():
                    problems.append(_problem_at(t, col.name, np.flatnonzero(timed), EXPECTED_MIDNIGHT))
        if bad.any():
            t.bad[col.name] = bad
            problems.append(_problem_at(t, col.name, np.flatnonzero(bad), EXPECTED_BY_KIND[col.kind]))
    extras = [c for c in t.raw.columns if c not in out and c not in t.spec.column_names]
    t.frame = pd.DataFrame({**out, **{c: t.raw[c] for c in extras}}, index=t.raw.index)


