"""``chitieu``: the command line of the warehouse.

Each command parses its arguments here and calls the library; exit codes are in
:mod:`flows.operations.exit_codes`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

from flows import progress, settings
from flows.operations.exit_codes import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_OUTPUT_CLOSED,
    EXIT_RUN_IN_PROGRESS,
    EXIT_USAGE,
)

EXAMPLES = """\
examples:
  chitieu run                                   # data/raw/ → data/warehouse/warehouse.duckdb
  chitieu run --raw-dir /srv/landing --warehouse /srv/wh/warehouse.duckdb
  chitieu run --full                            # rebuild everything from the archive
  chitieu run --json                            # the run summary as JSON, for scripts
  chitieu status                                # last runs; is the warehouse current?
  chitieu export --format parquet --out exports/  # the marts as Parquet files
  chitieu export --partition-by province,year --out lake/  # Hive folders, for Spark/Trino
  chitieu template --unit pre2025:21469 --period 2024  # the xlsx a ward office fills in
  chitieu template --district pre2025:534 --period 2024 --out templates/  # one per ward
  chitieu report --unit pre2025:534 --term 2020-2025  # one self-contained HTML report
  chitieu superset-bundle --out chitieu-superset.zip  # the Superset dashboard, to import
  chitieu review --out review/                  # one workbook per report: figures to confirm
  chitieu run --dask-address tcp://10.0.0.5:8786  # parse and validate on a Dask cluster
  chitieu serve --cron "0 2 * * *"              # nightly at 02:00 Asia/Ho_Chi_Minh
  chitieu watch --poll 5                        # stay warm; a night after each change

exit status: 0 done (files may have been rejected), 1 pipeline failed (published
warehouse untouched), 2 usage error, 3 another run is in progress
"""


def _add_locations(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--raw-dir",
        type=Path,
        default=None,
        help=f"landing folder (default: ${settings.RAW_DIR_ENV} or {settings.DEFAULT_RAW_DIR})",
    )
    _add_warehouse(parser)


def _add_warehouse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help=f"published warehouse file (default: ${settings.WAREHOUSE_ENV} or "
        f"{settings.DEFAULT_WAREHOUSE})",
    )


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="chitieu",
        description="Ward indicator submissions → a published DuckDB warehouse.",
        epilog=EXAMPLES,
        formatter_class=formatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run the nightly pipeline once",
        description="Archive, parse, validate, stage, build and publish, once.",
        epilog=EXAMPLES,
        formatter_class=formatter,
    )
    _add_locations(run)
    run.add_argument(
        "--full", action="store_true", help="rebuild the warehouse from every archived file"
    )
    run.add_argument(
        "--allow-missing-archive",
        action="store_true",
        help="with --full, rebuild even if the archive lost files the warehouse holds "
        "(refused otherwise: they would silently drop out of the warehouse)",
    )
    run.add_argument("--json", action="store_true", help="print the run summary as JSON")
    run.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar per stage on standard error (default: when it is a terminal)",
    )
    run.add_argument(
        "--dask-address",
        default=None,
        metavar="ADDRESS",
        help="run parsing and validation on this existing Dask cluster "
        f"(default: ${settings.DASK_ADDRESS_ENV}, or on this machine)",
    )
    status = commands.add_parser(
        "status",
        help="show the last runs and whether the published warehouse is current",
        epilog=EXAMPLES,
        formatter_class=formatter,
    )
    _add_locations(status)
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    export = commands.add_parser(
        "export",
        help="write the marts relations as Parquet or CSV files",
        description="Write every relation of schema marts of the published warehouse to "
        "DIR, one file each. CSV text cells that a spreadsheet would run as formulas are "
        "prefixed with '.",
        epilog=EXAMPLES,
        formatter_class=formatter,
    )
    export.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    export.add_argument("--out", type=Path, required=True, help="folder to write the files to")
    export.add_argument(
        "--partition-by",
        type=_partition_keys,
        default=(),
        metavar="KEYS",
        help="Parquet only: write the fct_* relations as Hive partition folders by these "
        "comma-separated keys, among province and year (e.g. province,year); dimensions "
        "and reports stay one file each",
    )
    _add_warehouse(export)
    template = commands.add_parser(
        "template",
        help="write the official xlsx template for a ward and period",
        description="Write the xlsx a ward office fills in: metadata pre-filled, the "
        "catalog's indicators with units and target column, validated cells, protected "
        "headers and an instructions sheet (Vietnamese).",
        epilog=EXAMPLES,
        formatter_class=formatter,
    )
    who = template.add_mutually_exclusive_group(required=True)
    who.add_argument("--unit", metavar="UNIT_KEY", help="one ward, e.g. pre2025:21469")
    who.add_argument(
        "--district",
        metavar="UNIT_KEY",
        help="a district (2025 scheme: a province): one template per ward in it",
    )
    template.add_argument(
        "--period", required=True, metavar="PERIOD_CODE", help="e.g. 2024, 2024-Q1, 2024-H1"
    )
    template.add_argument(
        "--out", type=Path, default=Path("."), help="folder to write to (default: here)"
    )
    report = commands.add_parser(
        "report",
        help="write a self-contained HTML report with charts for a unit and term",
        description="Write one HTML file (no network needed to open it): wards ranked on "
        "an indicator, trends across both terms, target achievement and the "
        "term-over-term table, in Vietnamese.",
        epilog=EXAMPLES,
        formatter_class=formatter,
    )
    report.add_argument(
        "--unit", required=True, metavar="UNIT_KEY", help="a ward, district or province"
    )
    report.add_argument("--term", required=True, metavar="TERM_CODE", help="e.g. 2020-2025")
    report.add_argument(
        "--out",
        type=Path,
        default=None,
        help="HTML file to write (default: report-<unit>-<term>.html)",
    )
    _add_warehouse(report)
    superset_bundle = commands.add_parser(
        "superset-bundle",
        help="write the Superset dashboard as a ZIP to import",
        description="Write the dashboard chitieu of bi/superset/ (completeness by district, "
        "target achievement, a ward's trend, term over term) as a ZIP that Superset 6.1 "
        "imports (Dashboards → Import, or superset import-dashboards -p FILE -u USER), its "
        "database the published warehouse, opened read-only.",
        epilog=EXAMPLES,
        formatter_class=formatter,
    )
    superset_bundle.add_argument(
        "--out",
        type=Path,
        default=Path("chitieu-superset.zip"),
        help="ZIP file to write (default: chitieu-superset.zip here)",
    )
    _add_warehouse(superset_bundle)
    review = commands.add_parser(
        "review",
        help="write the figures read from reports' prose, one workbook per report, to confirm",
        description="Write one .xlsx per narrative report (Word or PDF) whose prose figures "
        "await review: each figure with its indicator, value, period and sentence, and columns "
        "for the reviewer (accept with x, a corrected value or period, a note). A reviewed "
        "workbook dropped into the landing folder loads the accepted figures the next night.",
        epilog=EXAMPLES,
        formatter_class=formatter,
    )
    review.add_argument("--out", type=Path, required=True, help="folder to write the workbooks to")
    review.add_argument(
        "--all",
        action="store_true",
        help="list every figure, decided or not (to review a report again)",
    )
    _add_warehouse(review)
    serve = commands.add_parser(
        "serve",
        help="serve the nightly flow on a cron schedule (Prefect deployment)",
        description="Serve the nightly flow as a Prefect deployment. Without PREFECT_API_URL "
        "a local Prefect server is started, its database beside the warehouse "
        "(data/warehouse/prefect/).",
        epilog=EXAMPLES,
        formatter_class=formatter,
    )
    _add_locations(serve)
    serve.add_argument("--cron", default="0 2 * * *", help="cron schedule (default 0 2 * * *)")
    serve.add_argument(
        "--timezone", default="Asia/Ho_Chi_Minh", help="schedule time zone (default %(default)s)"
    )
    serve.add_argument(
        "--port", type=int, default=4200, help="port of the local Prefect server it starts"
    )
    watch = commands.add_parser(
        "watch",
        help="stay running; run a night whenever the landing folder changes",
        description="Import and warm up once, then run the nightly pipeline in this process "
        "each time files in the landing folder are added, replaced or removed (once they have "
        "settled). A corrected file is published in seconds instead of paying a cold start. "
        "One status line per night on standard output; stop with Ctrl-C or SIGTERM.",
        epilog=EXAMPLES,
        formatter_class=formatter,
    )
    _add_locations(watch)
    from flows.watch import DEFAULT_POLL_SECONDS, DEFAULT_SETTLE_SECONDS

    watch.add_argument(
        "--poll",
        type=float,
        default=DEFAULT_POLL_SECONDS,
        metavar="SECONDS",
        help="how often to look at the landing folder (default %(default)g)",
    )
    watch.add_argument(
        "--settle",
        type=float,
        default=DEFAULT_SETTLE_SECONDS,
        metavar="SECONDS",
        help="wait until changed files were not written for this long (default %(default)g)",
    )
    watch.add_argument("--json", action="store_true", help="one JSON run summary per line")
    watch.add_argument(
        "--max-runs", type=int, default=None, metavar="N", help="stop after N nights"
    )
    return parser


def _locations(args: argparse.Namespace) -> tuple[Path, Path]:
    raw_dir = (args.raw_dir or settings.raw_dir()).resolve()
    warehouse = (args.warehouse or settings.warehouse_path()).resolve()
    return raw_dir, warehouse


def _run(args: argparse.Namespace) -> int:
    # Prefect, GE and dbt are slow to import: `chitieu --help` should not pay for them, and
    # Prefect's temporary server starts before them (flows/operations/warmup.py).
    from flows.operations import warmup
    from flows.operations.runlock import RunInProgress, run_lock

    raw_dir, warehouse = _locations(args)
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress
    progress.show_on(sys.stderr if show_progress else None)
    try:
        with run_lock(settings.lock_path(warehouse)), warmup.cold_process_ready():
            from flows.nightly import nightly_pipeline

            result = nightly_pipeline(
                raw_dir=str(raw_dir),
                warehouse=str(warehouse),
                full=args.full,
                dask_address=args.dask_address or settings.dask_address(),
                allow_missing_archive=args.allow_missing_archive,
            )
    except RunInProgress as busy:
        print(f"chitieu run: {busy}", file=sys.stderr)
        return EXIT_RUN_IN_PROGRESS
    except Exception as error:  # any failure of the pipeline is reported
        print(f"chitieu run failed: {type(error).__name__}: {error}", file=sys.stderr)
        print(f"The published warehouse {warehouse} was left as it was.", file=sys.stderr)
        return EXIT_FAILED
    from flows.nightly import RunSummary

    summary = RunSummary(**result)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else summary.as_text())
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from flows.operations.status import read_status

    raw_dir, warehouse = _locations(args)
    status = read_status(warehouse, raw_dir)
    print(
        json.dumps(status.as_dict(), ensure_ascii=False, indent=2)
        if args.json
        else status.as_text()
    )
    return EXIT_OK if status.error is None else EXIT_FAILED


def _partition_keys(text: str) -> tuple[str, ...]:
    """``--partition-by``'s keys; an unknown one is a usage error (exit 2) naming the allowed."""
    from flows.warehouse.export import PartitionKeyError, parse_partition_keys

    try:
        return parse_partition_keys(text)
    except PartitionKeyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _export(args: argparse.Namespace) -> int:
    """Print each file or partition folder written; say which relations stayed one file."""
    from flows.warehouse.export import export_relations

    if args.partition_by and args.format != "parquet":
        print("chitieu export: --partition-by chỉ dùng với --format parquet", file=sys.stderr)
        print("chitieu export: --partition-by needs --format parquet", file=sys.stderr)
        return EXIT_USAGE
    warehouse = (args.warehouse or settings.warehouse_path()).resolve()
    if not warehouse.exists():
        print(f"chitieu export: no published warehouse at {warehouse}", file=sys.stderr)
        return EXIT_FAILED
    relations = export_relations(warehouse, args.out.resolve(), args.format, args.partition_by)
    for relation in relations:
        print(relation.path)
    whole = [relation.name for relation in relations if not relation.partitioned_by]
    if args.partition_by and whole:
        names = ", ".join(whole)
        print(
            "chitieu export: chỉ các bảng fct_* được phân vùng; mỗi bảng sau là một tệp: " + names,
            file=sys.stderr,
        )
        print(
            "chitieu export: only the fct_* facts are partitioned; one file each: " + names,
            file=sys.stderr,
        )
    return EXIT_OK


def _template(args: argparse.Namespace) -> int:
    """Print the paths written; a bad request exits 2 with the reason."""
    from flows.domain.catalog import load_catalog
    from flows.domain.reference import load_reference
    from flows.outputs.template import (
        TemplateRequestError,
        check_scheme,
        template_period,
        ward_for,
        wards_of,
        write_templates,
    )

    try:
        period = template_period(args.period)
        reference = load_reference()
        key = (args.unit or args.district).strip()
        units = [ward_for(reference, key)] if args.unit else wards_of(reference, key)
        # A district's wards share its scheme; naming the district itself in the refusal
        # reads better than naming its first ward.
        check_scheme(reference, key, units[0].scheme, period)
    except TemplateRequestError as error:
        print(f"chitieu template: {error.reason_vi}", file=sys.stderr)
        print(f"chitieu template: {error.reason_en}", file=sys.stderr)
        return EXIT_USAGE
    for path in write_templates(units, period, args.out.resolve(), load_catalog()):
        print(path)
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    """Write the HTML, print its path; 1 without a warehouse, 2 on bad input."""
    from flows.outputs.report.data import ReportInputError
    from flows.outputs.report.page import default_out_path, write_report

    warehouse = (args.warehouse or settings.warehouse_path()).resolve()
    if not warehouse.exists():
        print(
            f"chitieu report: không có kho dữ liệu tại {warehouse}; hãy chạy `chitieu run` trước. "
            f"/ no published warehouse at {warehouse}; run `chitieu run` first.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    out = args.out or default_out_path(args.unit, args.term)
    try:
        path = write_report(warehouse, args.unit, args.term, out)
    except ReportInputError as error:
        print(f"chitieu report: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(path)
    return EXIT_OK


def _superset_bundle(args: argparse.Namespace) -> int:
    """Write the ZIP, print its path; 1 without a warehouse, 2 for a path no URI can hold."""
    from flows.outputs.superset_bundle import write_superset_bundle

    warehouse = (args.warehouse or settings.warehouse_path()).resolve()
    if not warehouse.exists():
        print(f"chitieu superset-bundle: no published warehouse at {warehouse}", file=sys.stderr)
        return EXIT_FAILED
    try:
        print(write_superset_bundle(warehouse, args.out))
    except ValueError as error:
        print(f"chitieu superset-bundle: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _review(args: argparse.Namespace) -> int:
    """Write the review workbooks, print their paths (none: a line saying so)."""
    from flows.outputs.review import write_review_workbooks

    warehouse = (args.warehouse or settings.warehouse_path()).resolve()
    if not warehouse.exists():
        print(f"chitieu review: no published warehouse at {warehouse}", file=sys.stderr)
        return EXIT_FAILED
    written = write_review_workbooks(warehouse, args.out.resolve(), include_decided=args.all)
    for path in written:
        print(path)
    if not written:
        print("chitieu review: no figure awaits review", file=sys.stderr)
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from flows.serve import serve_nightly

    raw_dir, warehouse = _locations(args)
    serve_nightly(raw_dir, warehouse, cron=args.cron, timezone=args.timezone, port=args.port)
    return EXIT_OK


def _watch(args: argparse.Namespace) -> int:
    from flows.watch import watch

    raw_dir, warehouse = _locations(args)
    return watch(
        raw_dir,
        warehouse,
        poll_seconds=args.poll,
        settle_seconds=args.settle,
        as_json=args.json,
        max_runs=args.max_runs,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``chitieu`` console script."""
    settings.quiet_third_party_defaults()
    args = _parser().parse_args(argv)
    commands = {
        "run": _run,
        "status": _status,
        "export": _export,
        "template": _template,
        "report": _report,
        "superset-bundle": _superset_bundle,
        "review": _review,
        "serve": _serve,
        "watch": _watch,
    }
    return commands[args.command](args)


def console_main(argv: list[str] | None = None) -> int:
    """The ``chitieu`` console script: :func:`main`, then a quick exit from the interpreter.

    A run leaves hundreds of thousands of objects of dbt, GE and Prefect, and the
    interpreter's last cycle collections at exit walk them all, after every ``chitieu run``
    whatever its size. Frozen (``gc.freeze``), they are left out of those collections; the
    objects are still released as the modules are cleared, and the exit handlers
    (Prefect's log workers, the early server's stop) run as before. Only for the script: a
    process that calls :func:`main` and goes on (a test) keeps collecting them.
    """
    try:
        code = main(argv)
    except BrokenPipeError:
        # The pipe's reader is gone: Python would print a traceback, then fail again
        # flushing stdout at exit. Nothing more can be said to anyone.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OUTPUT_CLOSED
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(console_main())
