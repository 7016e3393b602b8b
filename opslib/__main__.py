"""Command line: ``python -m opslib COMMAND ...``.

Commands:
  validate DIR       check a shop folder against the data contract; exit 1 when anything is wrong
  sample ...         generate the sample shop (same as ``python -m opslib.sample``)
  report ...         run notebooks as reports into reports/
  contract [OUT]     write the data contract as Markdown (default docs/data_contract.md)
  import KIND SRC OUT  import a real export (online_retail, olist, superstore, cdnow or MAPPING.yml) into OUT
  forecast DIR ...   forecasts as CSV for schedulers (--level, --horizon, --out; see --help)
  operations check DIR score the shop against its process norms, write alerts; exit 3 when a norm is breached
  glossary [OUT]     write the glossary of every metric from the code (default docs/glossary.md)
  training ...       the training track: student copies, grading trainees' notebooks, drill findings
  campaign evaluate DIR --campaign ID [--format json]   evaluate one campaign (counterfactual, money)
"""

from __future__ import annotations

import sys
from pathlib import Path


def _contract(argv: list[str]) -> int:
    from opslib.data.contract import contract_markdown

    out = Path(argv[0]) if argv else Path("docs/data_contract.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(contract_markdown() + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "validate":
        from opslib.data import validate_main

        return validate_main(rest)
    if cmd == "sample":
        from opslib.sample import main as sample_main

        return sample_main(rest)
    if cmd == "report":
        from opslib.reporting import main as report_main

        return report_main(rest)
    if cmd == "contract":
        return _contract(rest)
    if cmd == "import":
        from opslib.importers import main as import_main

        return import_main(rest)
    if cmd == "forecast":
        from opslib.forecasting.cli import main as forecast_main
        return forecast_main(rest)
    if cmd == "operations":
        from opslib.operations.cli import main as operations_main

        return operations_main(rest)
    if cmd == "glossary":
        from opslib.training.cli import glossary_main
        return glossary_main(rest)
    if cmd == "training":
        from opslib.training.cli import main as training_main
        return training_main(rest)
    if cmd == "campaign":
        from opslib.campaigns.cli import main as campaign_main
        return campaign_main(rest)
    print(f"opslib: unknown command {cmd!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
