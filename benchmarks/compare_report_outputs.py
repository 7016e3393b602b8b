"""Compare the shown text of two runs of the reports: are the numbers the same?

Usage::

    .venv/bin/python benchmarks/compare_report_outputs.py RUN_A RUN_B [--digits 8] [--show 10]

``RUN_A`` and ``RUN_B`` are report folders of ``opslib report run --all --out DIR`` (or of
``benchmarks/bench_make_reports.py --out DIR``). Every executed notebook (``*/*.ipynb``) of A is paired with the
one of the same name in B, and their code cells' outputs are compared one by one: stream text (stdout only),
``text/plain`` and ``text/html`` (tables, the executive summaries, the exercise checks); charts (images) are left
out. Before comparing, file paths are masked and raw floats with more digits are rounded to ``--digits``
significant digits: two runs of the same code differ there (DuckDB's parallel sums move the 11th digit of a raw
value, never a shown one). Prints the number of outputs compared and those that differ; exit 1 when any does.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

_PATH = re.compile(r"(/[\w.+\-]+){2,}/?")
_FLOAT = re.compile(r"-?\d+\.\d{6,}(e[-+]?\d+)?")


def normalise(text: str, digits: int = 8) -> str:
    """``text`` with file paths masked and long raw floats rounded to ``digits`` significant digits.

    Example:
        >>> normalise("saved /tmp/a/b.csv: 1972089.7954349753 units", 8)
        'saved <path>: 1972089.8 units'
    """
    text = _PATH.sub("<path>", text)
    return _FLOAT.sub(lambda m: f"{float(m.group(0)):.{digits}g}", text)


def outputs(nb: Path, digits: int = 8) -> list[tuple[int, str, str]]:
    """``(cell, kind, normalised text)`` of every text output of the code cells of notebook ``nb``."""
    out = []
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    for i, c in enumerate(cells):
        if c.get("cell_type") != "code":
            continue
        stream = "".join("".join(o.get("text", "")) for o in c.get("outputs", [])
                         if o.get("output_type") == "stream" and o.get("name") == "stdout")
        lines = [ln for ln in stream.splitlines() if ln.strip()]
        if lines:
            out.append((i, "stdout", normalise("\n".join(lines), digits)))
        for o in c.get("outputs", []):
            data = o.get("data", {})
            for kind in ("text/plain", "text/html"):
                if kind in data:
                    out.append((i, kind, normalise("".join(data[kind]), digits)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--digits", type=int, default=8)
    ap.add_argument("--show", type=int, default=10, help="differences to print")
    args = ap.parse_args(argv)
    n = 0
    diffs = []
    for nb_a in sorted(args.a.glob("*/*.ipynb")):
        nb_b = args.b / nb_a.parent.name / nb_a.name
        if not nb_b.exists():
            diffs.append((nb_a.name, -1, "missing in B", "", ""))
            continue
        oa, ob = outputs(nb_a, args.digits), outputs(nb_b, args.digits)
        n += max(len(oa), len(ob))
        if [(c, k) for c, k, _ in oa] != [(c, k) for c, k, _ in ob]:
            diffs.append((nb_a.name, -1, "different outputs", str([(c, k) for c, k, _ in oa][:5]), ""))
            continue
        for (cell, kind, ta), (_, _, tb) in zip(oa, ob, strict=True):
            if ta != tb:
                diffs.append((nb_a.name, cell, kind, ta, tb))
    print(f"{n} outputs compared, {len(diffs)} differ")
    for name, cell, kind, ta, tb in diffs[: args.show]:
        first = next((f"{x!r} vs {y!r}" for x, y in zip(ta.splitlines(), tb.splitlines(), strict=False) if x != y),
                     "")
        print(f"- {name} cell {cell} {kind}: {first[:300]}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
