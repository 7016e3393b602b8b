"""``python -m opslib.lines validate DIR``: the engine's validation (the CLI ``opslib validate`` after the merge)."""

from __future__ import annotations

import sys

from opslib.lines.shop import validate_main


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] != ["validate"]:
        print("usage: python -m opslib.lines validate DIR", file=sys.stderr)
        return 2
    return validate_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
