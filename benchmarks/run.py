"""Run every benchmark in benchmarks/ (``make bench``): ``bench_*.py`` scripts, one after the other.

Each script prints its own table and appends its figures to ``benchmarks/results/`` (ignored by git);
the figures worth keeping are copied by hand into ``benchmarks/README.md`` with the date and machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        if subprocess.call([sys.executable, str(script)], cwd=HERE.parent) != 0:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
