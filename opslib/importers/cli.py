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

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opslib.data.contract import TABLES
from opslib.errors import ImportDataError
from opslib.importers.log import LOG_NAME, ImportResult


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
    raise ImportDataError(f"unknown import kind {kind!r} — expected online_retail, olist, superstore, cdnow "
                       "or a mapping file ending in .yml/.yaml")


def write_result(result: ImportResult, out: Path) -> list[Path]:
    """Write ``OUT/<table>.parquet`` per table (replacing older ones) and ``OUT/import_log.json``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        for old in out.glob(f"{name}.*"):
            if old.name in (f"{name}.csv", f"{name}.csv.gz", f"{name}.parquet", f"{name}.xlsx"):
                old.unlink()
    for name, frame in result.tables.items():
        path = out / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        written.append(path)
    result.log.output_rows = {n: len(f) for n, f in result.tables.items()}
    log_path = out / LOG_NAME
    log_path.write_text(json.dumps(result.log.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    written.append(log_path)
    return written


def run_import(kind: str, src: str | Path, out: str | Path | None = None, **options: Any) -> ImportResult:
    """Import ``src`` with adapter ``kind`` (or a mapping file path) and write it to ``out`` if given."""
    start = time.perf_counter()
    src = Path(src)
    if str(kind).lower().endswith((".yml", ".yaml")):
        from opslib.importers.mapping import adapt_mapping

        result = adapt_mapping(Path(kind), src, **options)
    else:
        result = adapter_for(kind)(src, **options)
    result.log.output_rows = {n: len(f) for n, f in result.tables.items()}
    result.log.seconds = time.perf_counter() - start
    if out is not None:
        write_result(result, Path(out))
    return result


USAGE = """usage: python -m opslib import KIND SRC OUT [--default-margin M|none]
  KIND  online_retail | olist | superstore | cdnow | MAPPING.yml (your own export, see docs/importing.md)
  SRC   the export: a file (online_retail, superstore, cdnow) or a folder (olist, mappings)
  OUT   folder to write the contract Parquet files and import_log.json into
  --default-margin M   margin assumed where the source has no cost (default 0.30; 'none' leaves it empty)"""


def main(argv: list[str]) -> int:
    """``python -m opslib import KIND SRC OUT``: exit 0 done, 2 usage or import error (no traceback)."""
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
        else:
            args.append(a)
    if len(args) != 3:
        print(USAGE, file=sys.stderr)
        return 2
    kind, src, out = args
    if not Path(src).exists():
        print(f"opslib import: {src} does not exist", file=sys.stderr)
        return 2
    try:
        result = run_import(kind, src, out, **options)
    except ImportDataError as e:
        print(f"opslib import: {e}", file=sys.stderr)
        return 2
    print(result.log.format())
    print(f"wrote {len(result.tables)} tables and {LOG_NAME} to {out}; next: python -m opslib validate {out}")
    return 0
