"""``python -m opslib operations check DATA_DIR``: score the shop against its norms and write the alert table.

Usage::

    python -m opslib operations check DATA_DIR [--norms FILE] [--out DIR] [--fail-on breach|never]
                                               [--period-days N] [--period-end YYYY-MM-DD] [--packs]

* scores the last ``--period-days`` days (default 7) up to ``--period-end`` (default: the last order day) against
  ``--norms`` (default: ``DATA_DIR/norms.yml``, else the shipped defaults);
* writes ``alerts.csv`` and ``alerts.json`` (one row per breached norm; empty when none) to ``--out`` (default
  ``reports/alerts/<period end>``) and, with ``--packs``, every department's hand-off pack (a folder
  ``ops_<department>_<period end>/`` with norms, exceptions and contributors as xlsx and CSV);
* prints one line per breach.

Exit status, so cron or Airflow can notify: **0** no norm breached (or ``--fail-on never``), **3** a norm is
breached, **1** the data cannot be read (``DataError``), **2** a bad request (bad arguments, a bad norms file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from opslib.errors import DataError, DateError, NormsError, UserError

EXIT_OK, EXIT_DATA, EXIT_REQUEST, EXIT_BREACH = 0, 1, 2, 3
TABLES = ["orders", "products", "campaigns", "fulfilment", "reviews", "service"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m opslib operations",
                                description="Operations: score a shop against its process norms.")
    sub = p.add_subparsers(dest="command")
    c = sub.add_parser("check", help="score the norms and write the alert table; exit 3 when a norm is breached")
    c.add_argument("data_dir", help="the shop folder")
    c.add_argument("--norms", default=None, help="norms file (default: DATA_DIR/norms.yml, else the shipped defaults)")
    c.add_argument("--out", default=None, help="folder for alerts.csv/.json (default reports/alerts/<period end>)")
    c.add_argument("--fail-on", choices=("breach", "never"), default="breach",
                   help="exit 3 when a norm is breached (breach, the default) or always 0 (never)")
    c.add_argument("--period-days", type=int, default=7, help="days scored, ending on --period-end (default 7)")
    c.add_argument("--period-end", default=None, help="last day scored, YYYY-MM-DD (default: last order day)")
    c.add_argument("--packs", action="store_true", help="also write every department's hand-off pack to --out")
    return p


def check(argv: list[str]) -> int:
    """Run ``check`` (module docstring); returns the exit status."""
    try:
        args = _parser().parse_args(["check", *argv])
    except SystemExit as e:
        return EXIT_OK if e.code in (0, None) else EXIT_REQUEST
    if args.period_days < 1:
        print(f"error: --period-days must be at least 1, got {args.period_days}", file=sys.stderr)
        return EXIT_REQUEST
    from opslib.calendar import parse_day, period_ending
    from opslib.data import load_shop
    from opslib.operations.alerts import alert_table, write_alerts
    from opslib.operations.dataset import prepare
    from opslib.operations.norms import load_norms
    from opslib.operations.scorecard import score_norms

    try:
        norms = load_norms(args.norms, shop_dir=args.data_dir)
        end = parse_day(args.period_end, "--period-end") if args.period_end else None
    except (NormsError, DateError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_REQUEST
    try:
        shop = load_shop(args.data_dir, tables=TABLES)
        data = prepare(shop)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_DATA
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_REQUEST
    period = period_ending(end if end is not None else data.last_day, args.period_days)
    card = score_norms(data, norms, period)
    alerts = alert_table(card)
    out = Path(args.out) if args.out else Path("reports") / "alerts" / f"{period.end:%Y-%m-%d}"
    paths = write_alerts(alerts, out)
    if args.packs:
        paths += card.export(out)
    res = card.results
    counts = res["status"].value_counts()
    print(f"operations check {args.data_dir}: {period} ({period.days} days), data as of {data.as_of:%Y-%m-%d %H:%M}, "
          f"norms from {norms.source}")
    print(f"{len(res)} norms: {counts.get('met', 0)} met, {counts.get('breached', 0)} breached, "
          f"{counts.get('too_few', 0)} too few to judge, {counts.get('skipped', 0)} skipped")
    for m in alerts["message"]:
        print(m)
    print("wrote " + ", ".join(str(p) for p in paths))
    if len(alerts) and args.fail_on == "breach":
        return EXIT_BREACH
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """``python -m opslib operations COMMAND ...``; the only command is ``check``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return EXIT_OK if argv else EXIT_REQUEST
    if argv[0] != "check":
        print(f"opslib operations: unknown command {argv[0]!r}; the command is: check DATA_DIR ...", file=sys.stderr)
        return EXIT_REQUEST
    return check(argv[1:])
