"""Import real exports into the data contract: ``python -m opslib import KIND SRC OUT``.

Kinds (adapter modules):

* ``online_retail`` — UCI Online Retail I or II (CSV, CSV.gz or the two-sheet II workbook):
  ``opslib.importers.online_retail.adapt_online_retail``;
* ``olist`` — Olist Brazilian e-commerce (folder with the Kaggle files): ``opslib.importers.olist.adapt_olist``;
* ``superstore`` — Tableau "Sample - Superstore": ``opslib.importers.superstore.adapt_superstore``;
* ``cdnow`` — CDNOW purchases (Fader & Hardie): ``opslib.importers.cdnow.adapt_cdnow``;
* ``MAPPING.yml`` — your own export (Taobao/Tmall, JD, Shopify ...) described by a column mapping:
  ``opslib.importers.mapping.adapt_mapping``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opslib.errors import ImportRequestError, SettingsError, UserError
from opslib.importers.conformance import enforce_contract
from opslib.importers.log import ImportResult
from opslib.importers.progress import printer, report, reporting
from opslib.importers.writing import MARKER_NAME, Written, check_target, write_result


def adapter_for(kind: str) -> Callable[..., ImportResult]:
    """The adapter function for a kind (``online_retail``, ``olist``, ``superstore``, ``cdnow``)."""
    if kind in ("online_retail", "online-retail", "uci"):
        from opslib.importers.online_retail import adapt_online_retail

        return adapt_online_retail
    if kind == "olist":
        from opslib.importers.olist import adapt_olist

        return adapt_olist
    if kind == "superstore":
        from opslib.importers.superstore import adapt_superstore

        return adapt_superstore
    if kind == "cdnow":
        from opslib.importers.cdnow import adapt_cdnow

        return adapt_cdnow
    raise ImportRequestError(f"unknown import kind {kind!r} — expected online_retail, olist, superstore, cdnow "
                             "or a mapping file ending in .yml/.yaml")


def _is_mapping(kind: str | Path) -> bool:
    return str(kind).lower().endswith((".yml", ".yaml"))


def import_and_write(kind: str | Path, src: str | Path, out: str | Path | None = None,
                     **options: Any) -> tuple[ImportResult, Written | None]:
    """Import ``src`` with adapter ``kind`` (or a mapping file), check it against the contract, write it to ``out``.

    OUT is checked first (``opslib.importers.writing.check_target``: never SRC or inside it, new or written
    by an earlier import), so a wrong OUT fails before a long import. Adapters refuse rows that break the
    contract; a mapping drops or refuses them as its ``invalid_rows:`` says.

    Parameters:
        kind: an adapter name or a mapping file. src: the export. out: the shop folder (None: do not write).
        options: ``default_margin`` (adapters and mappings).

    Returns:
        The result and what was written (None when ``out`` is None).
    """
    start = time.perf_counter()
    src = Path(src)
    if _is_mapping(kind):
        from opslib.importers.mapping import adapt_mapping, load_mapping

        load_mapping(Path(kind))  # a wrong mapping fails before anything else
    else:
        adapter = adapter_for(str(kind))
    if not src.exists():
        raise ImportRequestError(f"SRC {src} does not exist")
    target = check_target(out, src) if out is not None else None
    if _is_mapping(kind):
        tz = target.settings_timezone() if target is not None else None
        result = adapt_mapping(Path(kind), src, shop_timezone=tz, **options)
    else:
        result = adapter(src, **options)
        result.tables = enforce_contract(result.tables, result.log, policy="refuse",
                                         source=f"{kind} import of {src.name}")
    result.log.output_rows = {n: len(f) for n, f in result.tables.items()}
    report(f"{sum(result.log.output_rows.values()):,} rows mapped into "
           + ", ".join(f"{n} ({k:,})" for n, k in result.log.output_rows.items())
           + f" in {time.perf_counter() - start:.1f} s")
    result.log.seconds = time.perf_counter() - start
    written = write_result(result, target.out, src, target) if target is not None else None
    if written is not None:
        report(f"written and checked against the contract in {time.perf_counter() - start:.1f} s")
    return result, written


def run_import(kind: str, src: str | Path, out: str | Path | None = None, **options: Any) -> ImportResult:
    """Import ``src`` with adapter ``kind`` (or a mapping file path) and write it to ``out`` if given.

    See ``import_and_write`` (this returns only the result).
    """
    return import_and_write(kind, src, out, **options)[0]


USAGE = """usage: python -m opslib import KIND SRC OUT [--default-margin M|none]
  KIND  online_retail | olist | superstore | cdnow | MAPPING.yml (your own export, see docs/importing.md)
  SRC   the export: a file (online_retail, superstore, cdnow) or a folder (olist, mappings)
  OUT   a new folder for the shop (contract Parquet files, import_log.json, shop.yml), or one an earlier
        import wrote: only files opslib import wrote are replaced, every other file is left alone
  --default-margin M   margin assumed where the source has no cost (default 0.30; 'none' leaves it empty)
progress lines (rows scanned, elapsed) go to stderr, at most one a second (OPSLIB_PROGRESS_INTERVAL=0: all)
exit status: 0 done, 1 the export's data cannot be imported, 2 a wrong request (nothing written)"""


def main(argv: list[str]) -> int:
    """``python -m opslib import KIND SRC OUT``: exit 0 done, 1 bad data, 2 bad request; never a traceback."""
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    args, options = [], {}
    it = iter(argv)
    for a in it:
        if a == "--default-margin":
            value = next(it, None)
            try:
                options["default_margin"] = None if value in ("none", "None") else float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                print(f"opslib import: --default-margin needs a number like 0.3 or 'none', got {value!r}", file=sys.stderr)
                return 2
        elif a.startswith("--"):
            print(f"opslib import: unknown option {a}\n{USAGE}", file=sys.stderr)
            return 2
        else:
            args.append(a)
    if len(args) != 3:
        print(USAGE, file=sys.stderr)
        return 2
    kind, src, out = args
    try:
        with reporting(printer()):  # rows scanned and elapsed time on stderr (OPSLIB_PROGRESS_INTERVAL)
            result, written = import_and_write(kind, src, out, **options)
    except (ImportRequestError, SettingsError) as e:
        print(f"opslib import: {e}", file=sys.stderr)
        return 2
    except UserError as e:  # ImportDataError, DataError: the export's data
        print(f"opslib import: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"opslib import: cannot read {getattr(e, 'filename', None) or src} ({e.strerror or e})", file=sys.stderr)
        return 1
    except Exception as e:  # a bug: still one message, the traceback on request
        if os.environ.get("OPSLIB_DEBUG"):
            raise
        print(f"opslib import: unexpected error ({type(e).__name__}: {e}) — this is a bug in opslib, not in your "
              "data; please report it with the command you ran (OPSLIB_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1
    print(result.log.format())
    assert written is not None
    for note in written.notes:
        print(f"note: {note}")
    names = ", ".join(p.name for p in written.paths)
    print(f"wrote {names} (and the marker {MARKER_NAME}) to {out}: the shop meets the data contract; next: "
          f"python -m opslib report run 04 -p data_dir {out}")
    return 0

