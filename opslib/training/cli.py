"""Command line of the training track: ``python -m opslib glossary`` and ``python -m opslib training ...``.

::

    python -m opslib glossary [OUT]                        write docs/glossary.md from the TERMS in the code
    python -m opslib training path                         the learning path (chapters, levels, hours)
    python -m opslib training student [OUT]                student copies of notebooks/ (no solutions) into OUT
    python -m opslib training grade FOLDER --out sheet.xlsx [-p data_dir DIR] [--cell-timeout S]
                                                           run a trainee's answered notebooks, write the score sheet
    python -m opslib training drill-grade FINDING.json ANSWER.json [--reveal]
                                                           score a drill finding against the drill's answer file
    python -m opslib training transplant FROM.ipynb INTO.ipynb
                                                           carry an exercise section over to a rewritten notebook

Exit status: 0 done, 2 a wrong request (message on stderr, nothing written).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from opslib.errors import UserError

ROOT = Path(__file__).resolve().parents[2]


def glossary_main(argv: list[str]) -> int:
    """``python -m opslib glossary [OUT]``: write the glossary (default ``docs/glossary.md``).

    Parameters:
        argv: the arguments after ``glossary``.

    Returns:
        The exit status (0).
    """
    from opslib.training.glossary import write_glossary

    path = write_glossary(Path(argv[0]) if argv else Path("docs/glossary.md"))
    print(f"wrote {path}")
    return 0


def _value(text: str) -> Any:
    """A ``-p`` value: None, an int, a float, else the text."""
    if text == "None":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m opslib training", description="The training track of opsplaybook.")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("path", help="print the learning path")
    st = sub.add_parser("student", help="write student copies (no solutions) of the notebooks")
    st.add_argument("out", nargs="?", default="student")
    st.add_argument("--notebooks", default=str(ROOT / "notebooks"))
    gr = sub.add_parser("grade", help="grade a trainee's answered notebooks into a score sheet")
    gr.add_argument("folder")
    gr.add_argument("--out", default="score_sheet.xlsx")
    gr.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    gr.add_argument("--cell-timeout", type=float, default=None)
    dg = sub.add_parser("drill-grade", help="score a drill finding against the drill's answer file")
    dg.add_argument("finding")
    dg.add_argument("answer")
    dg.add_argument("--reveal", action="store_true")
    tp = sub.add_parser("transplant", help="carry an exercise section over to a rewritten notebook")
    tp.add_argument("source")
    tp.add_argument("target")
    return p


def main(argv: list[str] | None = None) -> int:
    """``python -m opslib training COMMAND ...`` (commands in the module docstring).

    Parameters:
        argv: the arguments after ``training``.

    Returns:
        The exit status: 0 done, 2 a wrong request.
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code in (0, None) else 2
    try:
        return _run(args)
    except (UserError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.cmd == "path":
        from opslib.training.path import learning_path

        print(learning_path().to_string(index=False))
        return 0
    if args.cmd == "student":
        from opslib.training.notebooks import write_student_copies

        written = write_student_copies(args.notebooks, args.out)
        print(f"wrote {len(written)} student notebooks (no solutions) and README.md to {args.out}")
        return 0
    if args.cmd == "grade":
        from opslib.training.report import grade_folder

        params = {name: _value(value) for name, value in args.p}
        for path in grade_folder(args.folder, args.out, params, args.cell_timeout):
            print(f"wrote {path}")
        return 0
    if args.cmd == "drill-grade":
        from opslib.training.drills import grade

        finding = json.loads(Path(args.finding).read_text(encoding="utf-8"))
        print(repr(grade(finding, args.answer, reveal=args.reveal)))
        return 0
    if args.cmd == "transplant":
        from opslib.training.notebooks import read_notebook, transplant, write_notebook

        write_notebook(transplant(read_notebook(args.source), read_notebook(args.target)), args.target)
        print(f"exercise section of {args.source} carried into {args.target}")
        return 0
    raise ValueError(f"unknown command {args.cmd!r}")
