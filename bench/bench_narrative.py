"""Accuracy and speed of reading figures from a report's prose (issue #24).

``python bench/bench_narrative.py [--repeat 5] [--write]``

For every labelled report under ``tests/truth/narrative/`` (the seed and the reports
written in its layout, see that folder's README.md), the prose is read with
:func:`flows.reading.prose.extract_candidates` and scored against its truth
(``tests/narrative_truth.py``): recall over the ``yes`` rows, precision over the
candidates (a ``low`` row found with confidence < 0.5 is neither), and the extraction
time, the median of ``--repeat`` warm runs. Overall figures add the reports up (found
``yes`` rows over all ``yes`` rows; true candidates over counted ones). The first call,
which builds the phrase matcher for the catalog, is timed on its own.

With ``--write`` the figures are stored under ``narrative_accuracy`` in
``bench/results.json``; the other benchmarks' keys are left as they are. Nothing here
asserts a figure: the floors are asserted by ``tests/test_prose.py``.

The reports under ``tests/truth/narrative/held_out/`` are scored as a group of their own
("held out"): they were written and labelled without looking at the extractor and are
never used to tune it (see that folder's README.md), so their figures are the honest
estimate; the tuned group's are optimistic. With ``--write`` they go under
``narrative_accuracy.held_out``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))  # tests/ (the truth and the text reports) is not installed

from flows.domain.catalog import Catalog, load_catalog  # noqa: E402
from flows.reading.prose import extract_candidates  # noqa: E402
from tests.generators.report_text import read_report_file, to_document  # noqa: E402
from tests.narrative_truth import (  # noqa: E402
    TRUTH_DIR,
    TruthReport,
    read_truth,
    score,
    truth_reports,
)

RESULTS_KEY = "narrative_accuracy"
HELD_OUT_KEY = "held_out"
HELD_OUT_DIR = TRUTH_DIR / "held_out"


def measure(repeat: int) -> dict:
    """The accuracy and timing of the tuned reports and, under ``held_out``, the held-out ones."""
    catalog = load_catalog()
    measured = measure_group(truth_reports(), catalog, repeat)
    held_out = measure_group(truth_reports(HELD_OUT_DIR), catalog, repeat)
    held_out["overall"].pop("first_call_seconds", None)  # the matcher was built by the first group
    measured[HELD_OUT_KEY] = held_out
    return measured


def measure_group(reports: list[TruthReport], catalog: Catalog, repeat: int) -> dict:
    """The accuracy and timing of every report of one group, and the group's overall figures."""
    documents = {report.name: to_document(read_report_file(report.text_path)) for report in reports}
    first_call = None
    rows = []
    totals = {"yes_rows": 0, "found": 0, "true": 0, "counted": 0}
    for report in reports:
        document = documents[report.name]
        started = time.perf_counter()
        candidates = extract_candidates(document, catalog, report.report_period_code)
        if first_call is None:
            first_call = time.perf_counter() - started
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            extract_candidates(document, catalog, report.report_period_code)
            times.append(time.perf_counter() - started)
        truth = read_truth(report.truth_path)
        result = score(candidates, truth, report.report_period_code)
        yes_rows = sum(1 for row in truth if row.expect == "yes")
        counted = len(candidates) - len(result.ignored_low)
        totals["yes_rows"] += yes_rows
        totals["found"] += yes_rows - len(result.missed)
        totals["true"] += len(result.true_positives)
        totals["counted"] += counted
        rows.append(
            {
                "report": report.name,
                "report_period_code": report.report_period_code,
                "paragraphs": len(document.paragraphs),
                "truth_yes_rows": yes_rows,
                "truth_low_rows": len(truth) - yes_rows,
                "candidates": len(candidates),
                "low_ignored": len(result.ignored_low),
                "recall": round(result.recall, 4),
                "precision": round(result.precision, 4),
                "missed": [
                    f"{row.indicator_code} {row.value:g} {row.period_code}".strip()
                    for row in result.missed
                ],
                "false_positives": [
                    f"{c.indicator_code} {c.value:g} {c.period_code or ''} ({c.confidence:.2f})"
                    for c in result.false_positives
                ],
                "misread": result.field_mismatches,
                "extract_seconds_median": round(statistics.median(times), 4),
            }
        )
    overall = {
        "recall": round(totals["found"] / totals["yes_rows"], 4) if totals["yes_rows"] else 1.0,
        "precision": round(totals["true"] / totals["counted"], 4) if totals["counted"] else 1.0,
        "truth_yes_rows": totals["yes_rows"],
        "first_call_seconds": round(first_call or 0.0, 4),
    }
    return {"reports": rows, "overall": overall}


def table(measured: dict) -> str:
    """The figures as Markdown tables: the tuned reports, then the held-out ones."""
    lines = group_table(measured)
    held_out = measured.get(HELD_OUT_KEY)
    if held_out is not None:
        lines += ["", "held out (never used to tune the extractor):", ""]
        lines += group_table(held_out, overall_label="**overall, held out**")
    return "\n".join(lines)


def group_table(measured: dict, overall_label: str = "**overall**") -> list[str]:
    """One group's table lines, its overall line, then its misses and false positives."""
    lines = [
        "| report | yes rows | candidates | low ignored | recall | precision | extract (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in measured["reports"]:
        lines.append(
            f"| {row['report']} | {row['truth_yes_rows']} | {row['candidates']} | "
            f"{row['low_ignored']} | {row['recall']:.3f} | {row['precision']:.3f} | "
            f"{row['extract_seconds_median']:.3f} |"
        )
    overall = measured["overall"]
    first_call = overall.get("first_call_seconds")
    lines.append(
        f"| {overall_label} | {overall['truth_yes_rows']} | | | {overall['recall']:.3f} | "
        f"{overall['precision']:.3f} | "
        + (f"first call {first_call:.3f} |" if first_call is not None else "|")
    )
    for row in measured["reports"]:
        for label in ("missed", "false_positives", "misread"):
            for item in row[label]:
                lines.append(f"- {row['report']}: {label.replace('_', ' ')}: {item}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description="chitieu prose-figure accuracy (#24).")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs timed per report")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument(
        "--write", action="store_true", help=f"store the figures under {RESULTS_KEY!r} in --out"
    )
    args = parser.parse_args(argv)
    measured = measure(max(1, args.repeat))
    print(table(measured))
    if args.write:
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
            "machine": {"python": platform.python_version(), "platform": platform.platform()},
            **measured,
        }
        # Other benchmarks keep their figures in the same file, under keys of their own.
        kept = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
        kept[RESULTS_KEY] = report  # the held-out group is in it, under HELD_OUT_KEY
        args.out.write_text(json.dumps(kept, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"\nwritten {args.out} ({RESULTS_KEY})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
