"""``chitieu``: the command line of the warehouse.

Exit status: 0 when the run completed (even if some files were rejected: their
reasons are in the summary and in ``marts.rpt_submission_status``); 1 when the
pipeline itself failed (the published warehouse is left as it was); 2 on a usage
error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from flows import settings

EXIT_OK = 0
EXIT_PIPELINE_FAILED = 1
EXIT_USAGE = 2

EXAMPLES = """\
examples:
  chitieu run                                   # data/raw/ → data/warehouse/warehouse.duckdb
  chitieu run --raw-dir /srv/landing --warehouse /srv/wh/warehouse.duckdb
  chitieu run --json                            # the run summary as JSON, for scripts
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chitieu",
        description="Ward indicator submissions → a published DuckDB warehouse.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run the nightly pipeline once",
        description="Parse, validate, stage, build and publish, once.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--raw-dir",
        type=Path,
        default=None,
        help=f"landing folder (default: ${settings.RAW_DIR_ENV} or {settings.DEFAULT_RAW_DIR})",
    )
    run.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help=f"published warehouse file (default: ${settings.WAREHOUSE_ENV} or "
        f"{settings.DEFAULT_WAREHOUSE})",
    )
    run.add_argument("--json", action="store_true", help="print the run summary as JSON")
    return parser


def _run(args: argparse.Namespace) -> int:
    settings.quiet_third_party_defaults()
    from flows.pipeline import RunSummary, nightly_pipeline

    raw_dir = args.raw_dir or settings.raw_dir()
    warehouse = args.warehouse or settings.warehouse_path()
    try:
        result = nightly_pipeline(raw_dir=str(raw_dir), warehouse=str(warehouse))
    except Exception as error:
        print(f"chitieu run failed: {type(error).__name__}: {error}", file=sys.stderr)
        print(f"The published warehouse {warehouse} was left as it was.", file=sys.stderr)
        return EXIT_PIPELINE_FAILED
    summary = RunSummary(**result)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else summary.as_text())
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``chitieu`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
