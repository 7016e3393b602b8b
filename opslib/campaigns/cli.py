"""Command line for scripts and schedulers: ``python -m opslib campaign evaluate DATA_DIR ...``.

::

    python -m opslib campaign evaluate DATA_DIR [--campaign ID | --start D --end D [--scope S]]
        [--pre-days 56] [--post-days 14] [--overlap mask|regress|raise] [--control auto|by_category|none]
        [--confidence 0.9] [--halo] [--format text|json]

``--campaign`` picks a row of the shop's campaigns table (ids are text: ``--campaign 18`` finds ``"18"``);
without it the latest campaign that has ended and has a usable pre-period is evaluated. ``--start``/``--end``
(and ``--scope``: ``all``, ``category:美妆|服饰``, ``sku:A|B``) evaluate an ad-hoc window instead. ``--format json``
prints one JSON object (:meth:`~opslib.campaigns.evaluation.CampaignEvaluation.to_dict` plus ``currency``):
``campaign_id``, ``incremental_units`` with ``incremental_units_low``/``_high`` at ``confidence``,
``incremental_gmv``, ``incremental_margin``, ``net_profit`` and ``roi`` (null when the cost is unknown),
``cost_coverage``, ``pull_forward_units``, ``fit_mape_pre``, ``fit_ok``, ``method``, ``notes`` and more.

Exit status: 0 done; 1 the shop's data do not meet the contract (the report names file, column, rows);
2 a bad request (unknown option or campaign, bad date, too little data before the campaign): one line
``error: ...`` on stderr, nothing on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, NoReturn

from opslib.errors import CampaignError, DataError, UserError

USAGE = __doc__


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one clear line instead of usage + traceback
        raise CampaignError(f"{message} (see: python -m opslib campaign evaluate --help)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m opslib campaign evaluate", add_help=False,
                description="Evaluate one campaign of a shop: counterfactual, DiD, money.")
    p.add_argument("data_dir")
    p.add_argument("--campaign", default=None, help="campaign_id (text); default: the latest that has ended")
    p.add_argument("--start", default=None, help="first day of an ad-hoc window, YYYY-MM-DD")
    p.add_argument("--end", default=None, help="last day of an ad-hoc window, YYYY-MM-DD")
    p.add_argument("--scope", default=None, help="ad-hoc scope: all, category:A|B, sku:X|Y")
    p.add_argument("--pre-days", type=int, default=56)
    p.add_argument("--post-days", type=int, default=14)
    p.add_argument("--overlap", default="mask", choices=["mask", "regress", "raise"])
    p.add_argument("--control", default="auto", choices=["auto", "by_category", "none"])
    p.add_argument("--confidence", type=float, default=0.90)
    p.add_argument("--halo", action="store_true", help="also estimate the effect on every other category")
    p.add_argument("--format", default="text", choices=["text", "json"])
    return p


def evaluate_request(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """Load the shop, evaluate the requested campaign and return ``(result dict, text lines)``.

    Parameters:
        args: the parsed command line (see the module docstring).

    Returns:
        The JSON-ready dict (``CampaignEvaluation.to_dict()`` plus ``currency`` and the choice messages) and
        the lines of the text report.

    Example:
        >>> evaluate_request(_parser().parse_args(["/no/such/shop", "--pre-days", "0"]))
        Traceback (most recent call last):
        ...
        opslib.errors.CampaignError: --pre-days must be >= 1 and --post-days >= 0, got 0 and 14
    """
    from opslib.campaigns.evaluation import evaluate_shop
    from opslib.data import load_shop
    from opslib.plotting import format as fmt

    if args.pre_days < 1 or args.post_days < 0:
        raise CampaignError(f"--pre-days must be >= 1 and --post-days >= 0, got {args.pre_days} and {args.post_days}")
    shop = load_shop(args.data_dir, tables=["orders", "products", "campaigns"])
    done = evaluate_shop(shop, None, args.campaign, args.start, args.end, args.scope, buyers=False,
                         pre_days=args.pre_days, post_days=args.post_days, control=args.control,
                         confidence=args.confidence, halo=args.halo, overlap=args.overlap)
    if done.evaluation is None:
        raise CampaignError(str(done.problem))
    ev, messages = done.evaluation, done.messages
    previous = fmt.current_currency()
    fmt.set_currency(shop)  # the text report in the shop's currency; restored below
    try:
        return _report(ev, messages, shop.settings.currency, args.confidence)
    finally:
        fmt.set_currency(previous)


def _report(ev: Any, messages: list[str], currency: str, confidence: float) -> tuple[dict[str, Any], list[str]]:
    """The JSON dict and the text lines of an evaluation."""
    from opslib.plotting import format as fmt

    out = ev.to_dict()
    out["currency"] = currency
    out["notes"] = list(messages) + out["notes"]
    cur = currency
    w = ev.window
    m = ev.money
    lines = [ev.describe(),
             f"incremental units: {fmt.units(w['effect'], signed=True)} ({fmt.percent(confidence, 0)} interval "
             f"{fmt.units(w['low'])} .. {fmt.units(w['high'])}), method: {ev.method}"]
    for name, label, kind, _formula in m.FIGURES[1:]:
        v = getattr(m, name)
        text = m.status(name) or (fmt.money(v, currency=cur) if kind == "money" else
                                  fmt.percent(v, 0) if kind == "percent" else fmt.decimal(v))
        lines.append(f"{label}: {text}")
    lines += [f"· {n}" for n in out["notes"]]
    return out, lines


def main(argv: list[str] | None = None) -> int:
    """Run ``campaign evaluate``; returns the exit status (0 done, 1 bad data, 2 bad request).

    Parameters:
        argv: the arguments after ``campaign`` (default: ``sys.argv[1:]``).

    Returns:
        The exit status; the result goes to stdout, a bad request to stderr as one ``error: ...`` line.

    Example:
        >>> import contextlib, io
        >>> err = io.StringIO()
        >>> with contextlib.redirect_stderr(err):
        ...     code = main(["evaluate", "shop", "--format", "xml"])
        >>> code, err.getvalue().split(": invalid choice")[0]
        (2, 'error: argument --format')
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help") or (argv[0] == "evaluate" and
                                                            any(a in ("-h", "--help") for a in argv[1:])):
        print(USAGE)
        return 0 if argv else 2
    try:
        if argv[0] != "evaluate":
            raise CampaignError(f"unknown campaign command {argv[0]!r}: use 'python -m opslib campaign evaluate "
                              "DATA_DIR --campaign ID'")
        args = _parser().parse_args(argv[1:])
        out, lines = evaluate_request(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(out, ensure_ascii=False, allow_nan=False))
    else:
        print("\n".join(lines))
    return 0
