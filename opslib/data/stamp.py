"""A shop validated once opens without re-checking: a stamp of a clean validation in the cache folder.

After a clean validation (``opslib.data.relations.check_shop``) a JSON stamp is written to
``<cache>/validated/`` (``opslib.data.engine.cache_root``; never the shop folder unless ``cache:`` in
shop.yml points there). It is keyed by

* opslib's contract and validation version (:func:`contract_version`: the contract tables, the
  columns that must not lie in the future and :data:`VALIDATION_VERSION`),
* the shop settings that change what the checks see (time zone, Excel sheets, table locations, engine),
* per table file: its resolved path, inode, size, ``mtime_ns``, for Parquet a SHA-1 of its footer (the
  schema, row groups and their statistics: a file rewritten with the same size and time still differs),
  and a SHA-1 of its first and last MB (all of a file up to 2 MB: a CSV edited within one clock tick of
  the file system's time stamps keeps its ``mtime_ns``).

``load_shop`` skips the checks when a stamp matches every table it opens (a stamp of a larger set of
tables over the same files matches too: its checks include the smaller set's) and replays the notes
(warnings) found the first time. Any difference means a full validation. ``load_shop(..., revalidate=True)``
or ``OPSLIB_REVALIDATE=1`` forces one; ``python -m opslib validate`` always validates in full. A cache
folder that cannot be written costs the stamp, never the validation.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> f = d / "orders.csv"
    >>> _ = f.write_text("order_id\\nO1\\n", encoding="utf-8")
    >>> a = file_fingerprint(f)
    >>> _ = f.write_text("order_id\\nO2\\n", encoding="utf-8")  # same size, new content
    >>> sorted(a), a["size"], a == file_fingerprint(f)
    (['footer', 'inode', 'mtime_ns', 'path', 'sample', 'size'], 12, False)
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from opslib.data.contract import TABLES
from opslib.data.staging import sample_hash

# ``Shop`` below is an opened ``opslib.data.relations.ShopData``; not imported, not even for type checking,
# because relations imports this module (tests/test_layout.py forbids import circles).
Shop = Any

__all__ = ["VALIDATION_VERSION", "apply_stamp", "contract_version", "file_fingerprint", "find_stamp", "revalidate_env",
           "write_stamp"]

# Bump when a check changes what it accepts without the contract changing (a new rule, a fixed bug).
VALIDATION_VERSION = 2
STAMP_FOLDER = "validated"


def contract_version() -> str:
    """A hash of what validation checks: the contract tables, the past-only columns, :data:`VALIDATION_VERSION`.

    Returns:
        16 hex digits; another opslib contract gives another value.
    """
    from opslib.data.sql_checks import PAST_COLUMNS

    text = f"{VALIDATION_VERSION}|{TABLES!r}|{sorted(PAST_COLUMNS.items())!r}"
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _footer_hash(path: Path) -> str:
    """SHA-1 of a Parquet file's footer (length word and magic included); "" when it is no Parquet file."""
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size < 12:
            return ""
        f.seek(size - 8)
        tail = f.read(8)
        if tail[4:] != b"PAR1":
            return ""
        n = int.from_bytes(tail[:4], "little")
        f.seek(max(0, size - 8 - n))
        return hashlib.sha1(f.read(n + 8)).hexdigest()


def file_fingerprint(path: str | Path) -> dict[str, Any]:
    """What identifies a version of a file: resolved path, inode, size, mtime_ns, Parquet footer hash ("" for
    other files) and a hash of its first and last MB.

    Parameters:
        path: a local file (raises ``OSError`` when it cannot be read).

    Returns:
        ``{"path", "inode", "size", "mtime_ns", "footer", "sample"}``.
    """
    p = Path(path).resolve()
    st = p.stat()
    footer = _footer_hash(p) if p.name.lower().endswith(".parquet") else ""
    return {"path": str(p), "inode": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "footer": footer,
            "sample": sample_hash(p, st.st_size)}


def revalidate_env() -> bool:
    """True when ``OPSLIB_REVALIDATE`` asks for a full validation on every open (1, true, yes)."""
    return os.environ.get("OPSLIB_REVALIDATE", "").strip().lower() in ("1", "true", "yes", "on")


def _key(shop: Shop) -> dict[str, Any] | None:
    """The stamp's key for an opened shop (None when a file is not local, so no stamp applies)."""
    s = shop.settings
    files: dict[str, Any] = {}
    try:
        for name, src in shop.sources.items():
            if "://" in src.staged.file:
                return None
            files[name] = file_fingerprint(src.staged.file)
    except OSError:
        return None
    return {"contract": contract_version(),
            "settings": {"timezone": s.timezone, "sheets": dict(sorted(s.sheets.items())),
                         "tables": dict(sorted(s.tables.items())), "engine": s.engine},
            "folder": str(Path(shop.path).resolve()), "files": files, "missing": sorted(shop.missing)}


def _folder(shop: Shop) -> Path:
    from opslib.data.engine import cache_root

    return cache_root(shop.settings, shop.path) / STAMP_FOLDER


def _prefix(shop: Shop) -> str:
    return hashlib.sha1(str(Path(shop.path).resolve()).encode()).hexdigest()[:16]


def write_stamp(shop: Shop) -> Path | None:
    """Record a clean validation of ``shop`` (its tables' counts and notes) in the cache; None if it cannot.

    Parameters:
        shop: an opened shop just checked by ``check_shop`` without problems.

    Returns:
        The stamp's path, or None (a remote file, an unwritable cache folder).
    """
    key = _key(shop)
    if key is None:
        return None
    tables = {}
    for name, src in shop.sources.items():
        summary = {k: (v.isoformat() if isinstance(v, pd.Timestamp) else v) for k, v in src.summary.items()}
        tables[name] = {"n_rows": src.n_rows, "n_source_rows": src.n_source_rows, "dirty": src.dirty,
                        "notes": src.notes, "summary": summary}
    when = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
    body = {"key": key, "validated_at": when, "tables": tables}
    names = hashlib.sha1("|".join(sorted(shop.sources) + ["-"] + sorted(shop.missing)).encode()).hexdigest()[:12]
    folder = _folder(shop)
    out = folder / f"{_prefix(shop)}-{names}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(body, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(tmp, out)
    except OSError:
        return None
    return out


def _matches(stamp: dict[str, Any], key: dict[str, Any]) -> bool:
    """The stamp covers the opened shop: same contract, settings, folder; every opened table's file unchanged
    and every table the shop lacks absent then too."""
    old = stamp.get("key", {})
    if any(old.get(k) != key[k] for k in ("contract", "settings", "folder")):
        return False
    files, missing = old.get("files", {}), set(old.get("missing", []))
    if any(files.get(name) != fp for name, fp in key["files"].items()):
        return False
    return all(name in missing for name in key["missing"])


def find_stamp(shop: Shop) -> dict[str, Any] | None:
    """The stamp of an earlier clean validation that covers ``shop`` as opened now, or None.

    Parameters:
        shop: an opened (not yet checked) shop without fatal problems.

    Returns:
        The stamp (``validated_at``, per-table counts and notes) or None.
    """
    if shop.fatal:
        return None
    key = _key(shop)
    if key is None:
        return None
    try:
        candidates = sorted(_folder(shop).glob(f"{_prefix(shop)}-*.json"))
    except OSError:
        return None
    for path in candidates:
        try:
            stamp = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(stamp, dict) and _matches(stamp, key) and all(n in stamp.get("tables", {}) for n in shop.sources):
            return stamp
    return None


def apply_stamp(shop: Shop, stamp: dict[str, Any]) -> None:
    """Mark ``shop`` validated from ``stamp``: counts and notes as found then, views as after a clean check.

    Adds the note ``validated on <when>; files unchanged``.
    """
    from opslib.data import sql_checks as checks

    for name, src in shop.sources.items():
        info = stamp["tables"][name]
        src.n_rows, src.n_source_rows = int(info["n_rows"]), int(info["n_source_rows"])
        src.dirty = {str(k): int(v) for k, v in info["dirty"].items()}
        summary = dict(info.get("summary") or {})
        for k in ("min", "max"):
            if summary.get(k) is not None:
                summary[k] = pd.Timestamp(summary[k])
        src.summary = summary
        clean = frozenset(k for k, n in src.dirty.items() if n == 0)
        if clean:
            checks.create_views(shop.engine, src, clean)
    opened = sum((s.notes for s in shop.sources.values()), [])  # as open_shop added them (staging, extras)
    own = [n for n in shop.notes if n not in opened]
    for name, src in shop.sources.items():
        src.notes = list(stamp["tables"][name]["notes"])
    shop.notes = own + [n for s in shop.sources.values() for n in s.notes]
    shop.notes.append(f"validated on {stamp['validated_at']}; files unchanged")
    shop.validated = True
    for src in shop.sources.values():
        checks.fast_view(shop.engine, src)
