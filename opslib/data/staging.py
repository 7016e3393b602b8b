"""Shop files as something an engine can scan: Parquet as it is, CSV and Excel staged once to Parquet.

``stage(file, table, settings)`` returns a :class:`Staged` source: the Parquet path the engine reads,
the raw column names, how row positions map to what the user sees (CSV file lines, Excel sheet rows,
Parquet data rows) and notes about what was done. Problems that make a file unreadable raise
:class:`FileProblem` carrying one ``Problem``.

CSV is read in one streaming pass of 8 MiB blocks before the engine sees it, which finds:

* the encoding **line by line**: UTF-8 (with or without BOM) or GB18030; a file that mixes them is
  read line by line in each line's own encoding and a note names the lines; a line that is neither
  is a problem naming the line and byte;
* **decompression bombs**: a ``.csv.gz`` expanding beyond ``MAX_EXPANSION`` times its size (and
  beyond ``MAX_BOMB_FLOOR`` bytes) is refused before it fills the disk or memory;
* **oversized lines**: a line longer than ``MAX_LINE_BYTES`` is refused with its line number;
* **duplicated header names**, refused by name (pandas would have renamed them silently);
* whether the file is *regular* (one record per line): if not (blank lines, quoted cells with line
  breaks), record positions are mapped to file lines by a second, lazy pass when a message needs one.

Memory stays at a few blocks whatever the file size; DuckDB then converts the text to Parquet (all
columns as text) in the cache folder, keyed by the file's path, size and modification time.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "reviews.csv").write_bytes("order_id,review_ts,score,topic\\nO1,2024-06-25 20:11,4,物流\\n".encode("gb18030"))
    >>> s = stage(d / "reviews.csv", "reviews", cache=d / "cache")
    >>> s.columns, s.encoding, s.row_label, s.first_row
    (['order_id', 'review_ts', 'score', 'topic'], 'gb18030', 'line', 2)
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from opslib.data.engine import sql_str
from opslib.data.problems import EXPECTED_NONEMPTY_FILE, Problem

__all__ = ["BLOCK", "MAX_EXPANSION", "MAX_LINE_BYTES", "FileProblem", "Staged", "line_numbers", "stage"]

STAGE_VERSION = 1
BLOCK = 8 << 20
MAX_LINE_BYTES = 8 << 20
MAX_EXPANSION = 100
MAX_BOMB_FLOOR = 256 << 20


class FileProblem(Exception):
    """A file cannot be read at all (carries the Problem)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


@dataclass
class Staged:
    """One table file as the engine reads it."""

    table: str
    file: str  # the user's file (absolute path)
    parquet: str  # what the engine scans
    kind: str  # csv | parquet | excel
    columns: list[str]
    row_label: str  # "line" or "row"
    first_row: int  # the number shown for position 0 (CSV/Excel header = 1, Parquet data row 1)
    regular: bool = True  # CSV: one record per file line, so line = position + first_row
    encoding: str = "utf-8"
    text_path: str = ""  # CSV: the UTF-8 text DuckDB read (for the lazy line map)
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return Path(self.file).name


def _problem(table: str, file: Path, issue: str, expected: str, rows: list[int] | None = None,
             column: str | None = None) -> FileProblem:
    return FileProblem(Problem(table=table, file=file.name, issue=issue, expected=expected, rows=rows or [],
                               n_rows=len(rows or []), column=column))


SAMPLE_BYTES = 1 << 20


def sample_hash(file: Path, size: int) -> str:
    """SHA-1 of the first and last ``SAMPLE_BYTES`` of a file (all of it up to twice that).

    A file rewritten within one tick of the file system's clock keeps its ``mtime_ns``; with the same
    size only its bytes tell the versions apart.
    """
    h = hashlib.sha1()
    with file.open("rb") as f:
        h.update(f.read(SAMPLE_BYTES))
        if size > SAMPLE_BYTES:
            f.seek(max(SAMPLE_BYTES, size - SAMPLE_BYTES))
            h.update(f.read(SAMPLE_BYTES))
    return h.hexdigest()


def _cache_dir(cache: Path, file: Path) -> Path:
    """``cache/staged/<path hash>-<version hash>``: one folder per version of a file (inode, size, time, bytes)."""
    st = file.stat()
    where = hashlib.sha1(str(file.resolve()).encode()).hexdigest()[:16]
    version = hashlib.sha1(f"{STAGE_VERSION}|{st.st_ino}|{st.st_size}|{st.st_mtime_ns}|{sample_hash(file, st.st_size)}"
                           .encode()).hexdigest()[:12]
    return cache / "staged" / f"{where}-{version}"


def _drop_old_versions(out: Path) -> None:
    """Remove the staged copies of earlier versions of the same file (the cache keeps one per file)."""
    import shutil

    prefix = out.name.split("-")[0] + "-"
    for old in out.parent.glob(prefix + "*"):
        if old != out and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def stage(file: str | Path, table: str, cache: str | Path, sheet: str | None = None) -> Staged:
    """Make ``file`` scannable: Parquet as is, CSV/Excel converted once into ``cache`` (reused after).

    Parameters:
        file: the table's file. table: its contract table. cache: the staging folder.
        sheet: Excel only, the sheet holding the table (default: named like the table, or the only one).

    Returns:
        The :class:`Staged` source; raises :class:`FileProblem` when the file cannot be read.
    """
    file = Path(file)
    name = file.name.lower()
    if name.endswith(".parquet"):
        return _stage_parquet(file, table)
    out = _cache_dir(Path(cache), file)
    meta = out / "meta.json"
    if meta.is_file():
        try:
            return Staged(**json.loads(meta.read_text(encoding="utf-8")))
        except (TypeError, ValueError):
            pass
    out.mkdir(parents=True, exist_ok=True)
    _drop_old_versions(out)
    staged = _stage_excel(file, table, out, sheet) if name.endswith(".xlsx") else _stage_csv(file, table, out)
    tmp = meta.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(staged), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, meta)
    return staged


# ----------------------------------------------------------------------------------------- Parquet


def _stage_parquet(file: Path, table: str) -> Staged:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(file)
    except (OSError, pa.ArrowInvalid, pa.ArrowException) as e:
        raise _problem(table, file, f"cannot be read ({type(e).__name__}: {e})", "a Parquet file") from None
    return Staged(table=table, file=str(file), parquet=str(file), kind="parquet",
                  columns=[str(n).strip() for n in schema.names], row_label="row", first_row=1)


# --------------------------------------------------------------------------------------------- CSV


def _blocks(file: Path, table: str) -> Iterator[bytes]:
    """The file's bytes in blocks; ``.gz`` unpacked on the fly with the decompression-bomb limit."""
    size = file.stat().st_size
    if not file.name.lower().endswith(".gz"):
        with open(file, "rb") as fh:
            while block := fh.read(BLOCK):
                yield block
        return
    limit = max(MAX_EXPANSION * size, MAX_BOMB_FLOOR)
    total = 0
    try:
        with gzip.open(file, "rb") as fh:
            while block := fh.read(BLOCK):
                total += len(block)
                if total > limit:
                    raise _problem(
                        table, file,
                        f"unpacks to more than {limit / 2**20:,.0f} MB from {size / 2**20:,.1f} MB "
                        f"(over {MAX_EXPANSION}x; a damaged or malicious archive?)",
                        "a gzip-compressed CSV that expands at most 100x (unpack it yourself if this is right)")
                yield block
    except (OSError, EOFError, zlib.error) as e:
        raise _problem(table, file, f"cannot be unpacked ({e})", "a gzip-compressed CSV") from None


@dataclass
class _Scan:
    """What the streaming pass learned."""

    size: int = 0
    newlines: int = 0
    ends_with_newline: bool = True
    blank: bool = True  # nothing but white space
    non_utf8_lines: list[int] = field(default_factory=list)  # first lines decoded as GB18030
    n_non_utf8: int = 0
    utf8_lines: list[int] = field(default_factory=list)  # first non-ASCII lines that are valid UTF-8
    n_utf8: int = 0
    header: bytes = b""


def _decode_line(line: bytes) -> tuple[str, str] | UnicodeDecodeError:
    """One line as text and the encoding that read it, or the error of the decoder that got furthest."""
    try:
        return line.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e1:
        try:
            return line.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as e2:
            return e1 if e1.start >= e2.start else e2


class _Converter:
    """Line-by-line decoding into a UTF-8 copy, once some line turned out not to be UTF-8."""

    def __init__(self, file: Path, table: str, out: Path, prefix: int, scan: _Scan) -> None:
        self.file, self.table, self.scan = file, table, scan
        self.fh = open(out, "wb")  # noqa: SIM115 - closed in close()
        # Everything before the first non-UTF-8 block was valid UTF-8: copy it, noting its non-ASCII lines.
        done, line_no, first = 0, 0, True
        for block in _blocks(file, table):
            if first:
                block, first = block.removeprefix(codecs.BOM_UTF8), False
            block = block[: prefix - done]
            if not block:
                break
            self.fh.write(block)
            if not block.isascii():
                for i, line in enumerate(block.split(b"\n")):
                    if not line.isascii():
                        self._utf8(line_no + i + 1)
            line_no += block.count(b"\n")
            done += len(block)

    def _utf8(self, line: int) -> None:
        self.scan.n_utf8 += 1
        if len(self.scan.utf8_lines) < 5:
            self.scan.utf8_lines.append(line)

    def feed(self, body: bytes, line_no: int, offset: int) -> None:
        out: list[bytes] = []
        pos = offset
        lines = body.split(b"\n")
        for i, line in enumerate(lines):
            res = _decode_line(line)
            if isinstance(res, UnicodeDecodeError):
                self.close()
                byte = line[res.start: res.start + 1].hex()
                raise _problem(
                    self.table, self.file,
                    f"wrong encoding: byte 0x{byte} at byte offset {pos + res.start} is neither UTF-8 nor GB18030",
                    "text saved as UTF-8 (or GB18030) CSV", rows=[line_no + i + 1])
            text, enc = res
            if enc == "gb18030":
                self.scan.n_non_utf8 += 1
                if len(self.scan.non_utf8_lines) < 5:
                    self.scan.non_utf8_lines.append(line_no + i + 1)
            elif not line.isascii():
                self._utf8(line_no + i + 1)
            out.append(text.encode("utf-8"))
            pos += len(line) + 1
        self.fh.write(b"\n".join(out))

    def close(self) -> None:
        self.fh.close()


def _scan_csv(file: Path, table: str, text_out: Path) -> tuple[_Scan, bool]:
    """Stream the file once: encodings per line, longest line, newlines; write UTF-8 text if needed.

    Returns the scan and whether a converted UTF-8 copy was written to ``text_out`` (only when some
    line is not UTF-8).
    """
    scan = _Scan()
    carry = b""
    line_no = 0  # complete lines handled so far
    offset = 0  # byte offset (BOM removed) of the next unhandled byte
    run = 0  # length of the current line so far
    conv: _Converter | None = None
    first = True

    def handle(body: bytes) -> None:
        nonlocal conv, line_no, offset
        if not scan.header:
            scan.header = body.split(b"\n", 1)[0]
        if scan.blank and body.strip():
            scan.blank = False
        if conv is None:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                conv = _Converter(file, table, text_out, offset, scan)
        if conv is not None:
            conv.feed(body[:-1] if body.endswith(b"\n") else body, line_no, offset)
            if body.endswith(b"\n"):
                conv.fh.write(b"\n")
        line_no += body.count(b"\n")
        offset += len(body)

    for block in _blocks(file, table):
        if first:
            block, first = block.removeprefix(codecs.BOM_UTF8), False
        scan.size += len(block)
        nl = block.count(b"\n")
        scan.newlines += nl
        run += block.find(b"\n") if nl else len(block)
        if run > MAX_LINE_BYTES:
            if conv is not None:
                conv.close()
            n = line_no + carry.count(b"\n") + 1
            raise _problem(table, file, f"line {n} is longer than {MAX_LINE_BYTES >> 20} MB without a line break",
                           f"CSV lines shorter than {MAX_LINE_BYTES >> 20} MB (is this really a CSV file?)")
        if nl:
            run = len(block) - block.rfind(b"\n") - 1
        data = carry + block
        cut = data.rfind(b"\n") + 1
        body, carry = data[:cut], data[cut:]
        if body:
            handle(body)
    if carry:
        scan.ends_with_newline = False
        handle(carry)
    if conv is not None:
        conv.close()
        return scan, True
    return scan, False


def _header_names(header: bytes) -> list[str]:
    res = _decode_line(header)
    text = (header.decode("utf-8", errors="replace") if isinstance(res, UnicodeDecodeError) else res[0]).rstrip("\r")
    return [c.strip() for c in next(csv.reader(io.StringIO(text)), [])]


def _duplicate_header(table: str, file: Path, names: list[str]) -> None:
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names, start=1):
        seen.setdefault(n, []).append(i)
    dups = {n: pos for n, pos in seen.items() if len(pos) > 1}
    if dups:
        n, pos = next(iter(dups.items()))
        more = f" (also {', '.join(sorted(dups)[1:])})" if len(dups) > 1 else ""
        raise _problem(table, file,
                       f"appears {len(pos)} times in the header (fields {', '.join(map(str, pos))}){more}",
                       "each column name once in the header line", rows=[1], column=n)


def _stage_csv(file: Path, table: str, out: Path) -> Staged:
    if file.stat().st_size == 0:
        raise _problem(table, file, "empty file (0 bytes)", EXPECTED_NONEMPTY_FILE)
    text_path = out / "utf8.csv"
    scan, converted = _scan_csv(file, table, text_path)
    if scan.blank:
        raise _problem(table, file, f"empty file ({file.stat().st_size} bytes)", EXPECTED_NONEMPTY_FILE)
    encoding = "gb18030" if scan.n_non_utf8 else "utf-8"
    names = _header_names(scan.header)
    if not any(names):
        raise _problem(table, file, "empty file (no header)", EXPECTED_NONEMPTY_FILE)
    _duplicate_header(table, file, names)
    notes: list[str] = []
    if scan.n_non_utf8 and scan.n_utf8:
        lines = ", ".join(map(str, scan.utf8_lines)) + (f" and {scan.n_utf8 - len(scan.utf8_lines):,} more"
                                                         if scan.n_utf8 > len(scan.utf8_lines) else "")
        notes.append(f"{file.name}: mixed encodings — {scan.n_utf8:,} line(s) in UTF-8 (lines {lines}), the "
                     f"other non-ASCII lines in GB18030; each line was read in its own encoding")
    source = str(text_path) if converted else str(file)
    parquet = out / "raw.parquet"
    n_lines = scan.newlines + (0 if scan.ends_with_newline else 1)
    _csv_to_parquet(source, names, parquet, table, file, gz=not converted and file.name.lower().endswith(".gz"))
    con = duckdb.connect()
    n_records = con.execute(f"SELECT count(*) FROM read_parquet({sql_str(str(parquet))})").fetchone()[0]
    con.close()
    regular = n_records == n_lines - 1
    return Staged(table=table, file=str(file), parquet=str(parquet), kind="csv", columns=names, row_label="line",
                  first_row=2, regular=regular, encoding=encoding, text_path=source, notes=notes)


EXTRA = "__extra__"


def _csv_to_parquet(source: str, names: list[str], parquet: Path, table: str, file: Path, gz: bool) -> None:
    """DuckDB reads the CSV (every column as text) and writes it as Parquet, in file order.

    One column more than the header is read (``__extra__``) with an impossible NULL string, so a
    line with a field too many is found (DuckDB would otherwise accept one trailing empty field);
    shorter lines are padded with empty cells, as pandas does.
    """
    cols = "{" + ", ".join(f"{sql_str(n or f'column{i}')}: 'VARCHAR'" for i, n in enumerate([*names, EXTRA])) + "}"
    opts = (f"columns = {cols}, header = true, delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
            f"null_padding = true, nullstr = '\x00', max_line_size = {MAX_LINE_BYTES + (1 << 20)}"
            + (", compression = 'gzip'" if gz else ""))
    tmp = parquet.with_suffix(".tmp")
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    last: Exception | None = None
    try:
        done = False
        for extra in ("", ", parallel = false"):  # the parallel reader cannot pad lines next to quoted line breaks
            try:
                con.execute(f"COPY (SELECT * FROM read_csv({sql_str(source)}, {opts}{extra})) "
                            f"TO {sql_str(str(tmp))} (FORMAT parquet, COMPRESSION zstd)")
                done = True
                break
            except duckdb.Error as e:
                last = e
        ragged = None
        if done:
            n_extra = con.execute(f"SELECT count(*) FROM read_parquet({sql_str(str(tmp))}) "
                                  f"WHERE {EXTRA} IS NOT NULL").fetchone()[0]
            if not n_extra:
                os.replace(tmp, parquet)
                return
            tmp.unlink(missing_ok=True)
        ragged = _ragged_line(source, len(names), gz)
        detail = ragged or (str(last).splitlines()[0] if last else "a line has more fields than the header")
        raise _problem(table, file, f"cannot be read as CSV ({detail})",
                       "comma-separated lines with as many fields as the header")
    finally:
        con.close()


def _open_text(source: str, gz: bool) -> io.TextIOBase:
    raw = gzip.open(source, "rb") if gz else open(source, "rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def _ragged_line(source: str, n_fields: int, gz: bool) -> str | None:
    """The first record with more fields than the header, in pandas' words."""
    with _open_text(source, gz) as fh:
        reader = csv.reader(fh)
        for rec in reader:
            if len(rec) > n_fields:
                return f"Expected {n_fields} fields in line {reader.line_num}, saw {len(rec)}"
    return None


def line_numbers(staged: Staged, positions: list[int]) -> dict[int, int]:
    """File row numbers for record ``positions`` (0-based): arithmetic when regular, else one lazy pass.

    The pass stops at the largest position asked for; records start on the line after the previous
    record ended; empty lines (which the CSV reader skips) are skipped here too.
    """
    if not positions:
        return {}
    if staged.kind != "csv" or staged.regular:
        return {p: p + staged.first_row for p in positions}
    wanted = set(positions)
    last = max(wanted)
    out: dict[int, int] = {}
    with _open_text(staged.text_path, staged.text_path.lower().endswith(".gz")) as fh:
        reader = csv.reader(fh)
        next(reader, None)  # header
        start = reader.line_num + 1
        pos = 0
        for rec in reader:
            if rec:
                if pos in wanted:
                    out[pos] = start
                if pos >= last:
                    break
                pos += 1
            start = reader.line_num + 1
    return out


# ------------------------------------------------------------------------------------------- Excel


def _stage_excel(file: Path, table: str, out: Path, wanted: str | None) -> Staged:
    """The sheet holding ``table`` (named like it, the only one, or chosen in shop.yml) as Parquet."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for broken files
        raise _problem(table, file, f"cannot be read ({type(e).__name__}: {e})", "an Excel .xlsx workbook") from None
    try:
        names = [str(n) for n in book.sheetnames]
        notes: list[str] = []
        if wanted is not None:
            if wanted not in names:
                raise _problem(table, file, f"has no sheet {wanted!r} (sheets: {', '.join(names)})",
                               f"the sheet named in shop.yml (sheets: {{{table}: NAME}}) to exist")
            sheet = wanted
        else:
            named = [n for n in names if n.strip().lower() == table]
            if named:
                sheet = named[0]
            elif len(names) == 1:
                sheet = names[0]
            else:
                raise _problem(
                    table, file,
                    f"has {len(names)} sheets ({', '.join(names)}) and none is named {table}",
                    f"a sheet named {table}, or the sheet chosen in shop.yml (sheets: {{{table}: NAME}})")
        if len(names) > 1:
            notes.append(f"{file.name}: read sheet {sheet!r} (the workbook has {len(names)} sheets: {', '.join(names)})")
        rows = book[sheet].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or all(v is None for v in header):
            raise _problem(table, file, "empty sheet (no header)", EXPECTED_NONEMPTY_FILE)
        cols = [("" if v is None else str(v)).strip() for v in header]
        _duplicate_header(table, file, cols)
        values: list[list[object]] = [[] for _ in cols]
        for row in rows:
            for i in range(len(cols)):
                values[i].append(row[i] if i < len(row) else None)
    finally:
        book.close()
    _write_cells(values, cols, out / "raw.parquet")
    return Staged(table=table, file=str(file), parquet=str(out / "raw.parquet"), kind="excel", columns=cols,
                  row_label="row", first_row=2, notes=notes)


def _write_cells(values: list[list[object]], cols: list[str], path: Path) -> None:
    """Excel cells as Parquet: a column of one cell type keeps it, a mixed column becomes text."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = []
    for col in values:
        kinds = {type(v) for v in col if v is not None and not (isinstance(v, str) and not v.strip())}
        if kinds and kinds <= {int, float} and bool not in kinds:
            arr = pa.array([float(v) if isinstance(v, int | float) else None for v in col], pa.float64())
        elif kinds and all(issubclass(k, dt.date) for k in kinds):
            arr = pa.array([v if isinstance(v, dt.datetime) else (dt.datetime(v.year, v.month, v.day) if v else None)
                            for v in col], pa.timestamp("us"))
        else:
            arr = pa.array([None if v is None else _cell_text(v) for v in col], pa.string())
        arrays.append(arr)
    pq.write_table(pa.table(arrays, names=[c or f"column{i}" for i, c in enumerate(cols)]), path)


def _cell_text(v: object) -> str:
    """Text of a cell: whole floats without ``.0`` (Excel stores 4711 as 4711.0)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
