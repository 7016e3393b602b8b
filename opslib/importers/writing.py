"""Write an import into a shop folder without deleting or overwriting anything the import did not write.

The rules ``write_result`` keeps:

* OUT is never SRC, the folder that holds a SRC file, or a folder inside SRC;
* OUT is new, empty, or a folder an earlier import wrote: it holds the marker ``.opslib_import.json``
  that lists every file that import wrote with its SHA-256. Hidden files and the settings files a user
  may prepare before importing (``shop.yml``, ``events.csv``) do not make a folder "not empty";
* the import's own files are replaced, each atomically: everything is written to a staging folder inside
  OUT, validated against the data contract (``opslib.data.validate_shop``), then moved with ``os.replace``.
  A shop that breaks the contract is never written; an own table file changed since (hash differs) is not
  overwritten: the import stops and says so;
* tables of the earlier import that this import does not produce are removed (they are the import's own
  files, and keeping them would mix two imports); every other file is left alone;
* a user's file for a table the import writes (``orders.csv`` next to the ``orders.parquet`` it would
  write) stops the import: a shop has one file per table;
* ``shop.yml`` (currency, country, time zone of the source) is written when the import knows them and
  OUT has no ``shop.yml`` of the user's; a ``shop.yml`` the user wrote, or edited after an import, is kept.

Mistakes in the request (OUT inside SRC, a foreign or read-only folder) raise ``ImportRequestError``
(exit 2); a result that breaks the contract raises ``ImportDataError`` (exit 1).

Example:
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "orders.csv").write_text("order_id\\n1\\n")
    >>> check_target(d / "shop", src=d / "orders.csv").fresh   # a new folder (created when written)
    True
    >>> try:
    ...     check_target(d, src=None)
    ... except ImportRequestError as e:
    ...     print(str(e).split(" — ")[0].replace(str(d), "DIR"))
    OUT DIR already holds files that opslib import did not write (orders.csv)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opslib.data.contract import REQUIRED_TABLES, TABLES
from opslib.errors import ImportDataError, ImportRequestError, SettingsError
from opslib.importers.log import LOG_NAME, ImportResult

MARKER_NAME = ".opslib_import.json"
SETTINGS_NAME = "shop.yml"
PREPARED_FILES = frozenset({SETTINGS_NAME, "events.csv"})
STAGING_PREFIX = ".opslib-staging-"
TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".xlsx")


@dataclass
class Target:
    """What ``check_target`` found in OUT: the import's own files (name -> accepted hashes) and the rest."""

    out: Path
    fresh: bool
    own: dict[str, list[str]] = field(default_factory=dict)
    user_settings: bool = False

    def settings_timezone(self) -> str | None:
        """The time zone of a ``shop.yml`` the user keeps in OUT (None when there is none or it is ours)."""
        if not self.user_settings:
            return None
        from opslib.data.settings import read_settings

        try:
            return read_settings(self.out).timezone
        except SettingsError as e:
            raise ImportRequestError(f"OUT {self.out} has a shop.yml that is not valid: {e}") from None


@dataclass
class Written:
    """What ``write_result`` did: files written, own stale files removed, notes for the user."""

    out: Path
    paths: list[Path] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_marker(out: Path) -> dict[str, list[str]]:
    path = out / MARKER_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        return {str(k): [str(h) for h in (v if isinstance(v, list) else [v])] for k, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise ImportRequestError(f"OUT {out}: the marker {MARKER_NAME} is not readable, so opslib cannot tell which "
                                 "files it wrote — import into a new folder") from None


def _suggest(out: Path) -> Path:
    return out.parent / f"{out.name}_shop"


def check_target(out: str | Path, src: str | Path | None) -> Target:
    """Check that the import may write into ``out`` (rules in the module docstring); create it if new.

    Parameters:
        out: the folder to write. src: the export being imported (file or folder), or None.

    Returns:
        A :class:`Target` with the import's own files in ``out`` (empty for a fresh folder).
    """
    out = Path(out)
    out_r = out.resolve()
    if src is not None:
        src_r = Path(src).resolve()
        if out_r == src_r:
            raise ImportRequestError(f"OUT {out} is the export itself: the import never writes into its source — "
                                     f"choose a new folder, e.g. {_suggest(out)}")
        if src_r.is_dir() and src_r in out_r.parents:
            raise ImportRequestError(f"OUT {out} is inside the export folder {src}: the import never writes into "
                                     f"its source — choose a folder outside it, e.g. {_suggest(Path(src))}")
        if src_r.is_dir() is False and out_r == src_r.parent:
            raise ImportRequestError(f"OUT {out} is the folder that holds the export {Path(src).name}: the import "
                                     f"never writes next to its source — choose a new folder, e.g. {out / 'shop'}")
    if out.exists() and not out.is_dir():
        raise ImportRequestError(f"OUT {out} is a file, not a folder — give a folder to write the shop into")
    if not out.exists():
        parent = next((p for p in out_r.parents if p.exists()), None)
        if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            why = "is a file" if parent is not None and not parent.is_dir() else "is not writable"
            raise ImportRequestError(f"OUT {out} cannot be created: {parent} {why} — give a folder you can write to")
        return Target(out=out, fresh=True)
    try:
        entries = sorted(p.name for p in out.iterdir())
    except OSError as e:
        raise ImportRequestError(f"OUT {out} cannot be read ({e.strerror or e})") from None
    own = _read_marker(out) if MARKER_NAME in entries else {}
    visible = [n for n in entries if not n.startswith(".")]
    if not own:
        foreign = [n for n in visible if n not in PREPARED_FILES]
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            older = (" (its import_log.json looks like an import by an older opslib, which left no marker: delete "
                     "that folder or import into a new one)" if "import_log.json" in foreign else "")
            raise ImportRequestError(f"OUT {out} already holds files that opslib import did not write ({shown}){older} "
                                     f"— import into a new folder, e.g. {_suggest(out)}; opslib never deletes or "
                                     "overwrites files it did not write")
    for name, hashes in own.items():
        path = out / name
        if name == SETTINGS_NAME or not path.is_file():
            continue
        if _sha256(path) not in hashes:
            raise ImportRequestError(f"OUT {out}: {name} was changed after opslib import wrote it, so the import "
                                     "will not overwrite it — move it away (or delete it) and import again, or "
                                     f"import into a new folder, e.g. {_suggest(out)}")
    settings = out / SETTINGS_NAME
    user_settings = settings.is_file() and not (SETTINGS_NAME in own and _sha256(settings) in own[SETTINGS_NAME])
    return Target(out=out, fresh=not own, own=own, user_settings=user_settings)


def _conflicts(target: Target, tables: list[str]) -> None:
    """A user's file for a table this import writes: refuse (one file per table)."""
    for name in tables:
        for suffix in TABLE_SUFFIXES:
            path = target.out / f"{name}{suffix}"
            if path.is_file() and path.name not in target.own:
                raise ImportRequestError(
                    f"OUT {target.out} has {path.name}, which opslib import did not write; the import would write "
                    f"{name}.parquet next to it and the shop would have two {name} files — move {path.name} away "
                    f"or import into a new folder, e.g. {_suggest(target.out)}")


def _atomic_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def _marker(result: ImportResult, files: dict[str, list[str]]) -> dict[str, Any]:
    return {"written_by": "python -m opslib import", "kind": result.log.kind, "source": result.log.source,
            "written": dt.datetime.now().isoformat(timespec="seconds"),
            "note": "files opslib import wrote here (SHA-256); it replaces only these and leaves every other file alone",
            "files": files}


def settings_text(settings: dict[str, Any], source: str) -> str:
    """``shop.yml`` text for the settings an import knows, with a header saying where they come from.

    >>> print(settings_text({"currency": "GBP", "country": "GB"}, "online_retail"))
    # Written by python -m opslib import (online_retail): the settings of the source.
    # Edit freely: an import never overwrites a shop.yml you changed.
    currency: GBP
    country: GB
    <BLANKLINE>
    """
    head = (f"# Written by python -m opslib import ({source}): the settings of the source.\n"
            "# Edit freely: an import never overwrites a shop.yml you changed.\n")
    return head + yaml.safe_dump(settings, allow_unicode=True, sort_keys=False)


def _user_tables(target: Target, produced: list[str]) -> dict[str, Path]:
    """The user's own table files in OUT for tables the import does not produce (they stay part of the shop)."""
    out: dict[str, Path] = {}
    for name in TABLES:
        if name in produced:
            continue
        for suffix in TABLE_SUFFIXES:
            path = target.out / f"{name}{suffix}"
            if path.is_file() and path.name not in target.own:
                out[path.name] = path
    return out


def _contract_problems(staging: Path, user_files: dict[str, Path]) -> list[str]:
    """Problems of the shop as it will be: the staged files plus the user's own tables (linked in)."""
    from opslib.data import validate_shop

    for name, path in user_files.items():
        try:
            (staging / name).symlink_to(path.resolve())
        except OSError:
            shutil.copyfile(path, staging / name)
    report = validate_shop(staging)
    mine = tuple(user_files)
    return [f"{p} (in your {p.file}, which the import did not write)" if p.file in mine else str(p)
            for p in report.problems]


def write_result(result: ImportResult, out: str | Path, src: str | Path | None = None,
                 target: Target | None = None) -> Written:
    """Write ``OUT/<table>.parquet`` per table, ``import_log.json``, ``shop.yml`` and the marker, safely.

    Parameters:
        result: the import. out: the shop folder. src: the export (to refuse OUT inside it).
        target: the result of an earlier ``check_target(out, src)`` (checked again when None).

    Returns:
        :class:`Written`: the files written, own stale files removed and notes (a kept ``shop.yml`` ...).
    """
    target = target or check_target(out, src)
    out = target.out
    _conflicts(target, list(result.tables))
    user_files = _user_tables(target, list(result.tables)) if out.is_dir() else {}
    have = set(result.tables) | {n.split(".")[0] for n in user_files}
    for name in REQUIRED_TABLES:
        if name not in have:
            raise ImportRequestError(f"the import produces no {name} table and OUT {out} has no {name} file, but a shop "
                                     f"needs {' and '.join(REQUIRED_TABLES)} — add {name} to the mapping (e.g. "
                                     f"{name}: {{from: orders, fields: ...}}) or put your {name}.csv into OUT first")
    written = Written(out=out)
    for old in out.glob(f"{STAGING_PREFIX}*"):  # left behind by an interrupted import
        shutil.rmtree(old, ignore_errors=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    except OSError as e:
        raise ImportRequestError(f"OUT {out} is not writable ({e.strerror or e}) — give a folder you can write "
                                 "to") from None
    try:
        names: list[str] = []
        result.log.output_rows = {n: len(f) for n, f in result.tables.items()}
        for name, frame in result.tables.items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
            names.append(f"{name}.parquet")
        (staging / LOG_NAME).write_text(json.dumps(result.log.to_json(), ensure_ascii=False, indent=2),
                                        encoding="utf-8")
        names.append(LOG_NAME)
        if result.settings and not target.user_settings:
            (staging / SETTINGS_NAME).write_text(settings_text(result.settings, result.log.kind), encoding="utf-8")
            names.append(SETTINGS_NAME)
        elif result.settings:
            written.notes.append(f"kept your {SETTINGS_NAME} in {out} (not overwritten); the source's settings "
                                 "would be: " + ", ".join(f"{k} {v}" for k, v in result.settings.items()))
        problems = _contract_problems(staging, user_files)
        if problems:
            raise ImportDataError("the imported shop would break the data contract, so nothing was written to "
                                  f"{out}:\n" + "\n".join(f"  - {p}" for p in problems))
        new = {n: _sha256(staging / n) for n in names}
        stale = [n for n in target.own if n not in new and (out / n).is_file()
                 and not (n == SETTINGS_NAME and target.user_settings)]
        during = {n: [h] + [x for x in target.own.get(n, []) if x != h] for n, h in new.items()}
        during.update({n: target.own[n] for n in stale})
        _atomic_json(out / MARKER_NAME, _marker(result, during))
        for n in names:
            os.replace(staging / n, out / n)
            written.paths.append(out / n)
        for n in stale:
            (out / n).unlink()
            written.removed.append(n)
        _atomic_json(out / MARKER_NAME, _marker(result, {n: [h] for n, h in new.items()}))
    except OSError as e:
        raise ImportRequestError(f"OUT {out} cannot be written ({e.strerror or e}) — give a folder you can write "
                                 "to; nothing of the earlier contents was removed") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if written.removed:
        written.notes.append(f"removed {', '.join(written.removed)}: written by the earlier import into {out}, "
                             "not produced by this one")
    return written

