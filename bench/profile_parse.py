"""Where the serial parse of one file spends its time, measured with cProfile.

``python bench/profile_parse.py DIR [--limit 500] [--top 30]`` parses up to ``limit``
xlsx files of ``DIR`` in one process (the serial path, ``read_submissions``) under
cProfile, then prints the cost per file of each stage (container check, direct xlsx
read or calamine, package XML extras, ``parse_sheet``, unit resolution, building the
submission) and the functions with the most own time. It also prints the two costs
the process pool of :func:`flows.reading.parse.read_all` adds in its parent: building the
unit resolver (once per call) and unpickling each worker's results (bytes and time per
file, as sent).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pickle
import pstats
import time
from pathlib import Path

from flows.domain.catalog import load_catalog
from flows.domain.reference import load_reference
from flows.domain.units import UnitResolver
from flows.reading.files import read_submissions
from flows.reading.submission import LandedFile
from flows.warehouse.receive import landing_sha256

# (label, function name): stages of read_submissions by cumulative time (names may nest).
STAGES = (
    ("container check (safety.check_container)", "check_container"),
    ("  parts inflated once, shared (_inflate_whole)", "_inflate_whole"),
    # Sheets the direct reader reads are measured as it walks their cells (_sheet_cells).
    ("  worksheet extent scan, other sheets (_check_worksheet_extent)", "_check_worksheet_extent"),
    ("read_workbook total", "read_workbook"),
    ("  direct xlsx reader (xlsx_cells.read_plain_xlsx)", "read_plain_xlsx"),
    ("    shared strings (_shared_strings)", "_shared_strings"),
    ("    worksheet cells (_sheet_cells)", "_sheet_cells"),
    ("  calamine open, unusual files only (from_filelike)", "from_filelike"),
    ("  calamine sheet load (get_sheet_by_index)", "get_sheet_by_index"),
    ("  calamine cells out (to_python)", "to_python"),
    ("  cells to Python lists (_calamine_rows)", "_calamine_rows"),
    ("  package XML extras (_package_cell_extras)", "_package_cell_extras"),
    ("parse_sheet total", "parse_sheet"),
    ("  find_header", "find_header"),
    ("  read_identity", "read_identity"),
    ("  _parse_data_row", "_parse_data_row"),
    ("    row meanings, kept across files (_row_meaning)", "_row_meaning"),
    ("    Catalog.match (on a new row meaning only)", "match"),
    ("    parse_target (on a new row meaning only)", "parse_target"),
    ("    one value cell (_add_value)", "_add_value"),
    ("      parse_value", "parse_value"),
    ("  textnorm.normalize_text (all callers)", "normalize_text"),
    ("  textnorm.fold (all callers)", "fold"),
    ("unit resolution (UnitResolver.resolve)", "resolve"),
    ("building the submission (from_parsed_sheet)", "from_parsed_sheet"),
)


def landed(path: Path, root: Path) -> LandedFile:
    """A LandedFile for a file on disk, as the receive step would describe it."""
    from datetime import datetime

    return LandedFile(
        path=path,
        relative_path=path.relative_to(root).as_posix(),
        sha256=landing_sha256(path),
        size_bytes=path.stat().st_size,
        received_at=datetime(2025, 1, 1),
    )


def _cumulative(stats: pstats.Stats, name: str) -> float:
    # Python functions are listed by name, calamine's (built in) as "<method 'NAME' of ...>"
    # or "<built-in method NAME>".
    spellings = {name, f"<built-in method {name}>"}
    total = 0.0
    for (_file, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        if function in spellings or function.startswith(f"<method '{name}' of "):
            total += row[3]  # cumulative time; recursion is not an issue for these
    return total


def _print_transfer_cost(files: list[LandedFile], catalog, resolver) -> None:
    """Bytes and unpickling time per file of the results, as read_all's workers send them.

    Measured once, on objects never seen before, with the collector off: as in read_all's
    parent, where every result is new and kept. The worker sends a submission without its
    LandedFile (the parent holds it), so it is left out here too.
    """
    readings = [read_submissions(file, catalog, resolver) for file in files]
    for reading in readings:
        for submission in reading.submissions:
            submission.file = None  # type: ignore[assignment]
    blob = pickle.dumps(readings, pickle.HIGHEST_PROTOCOL)
    gc.disable()
    try:
        started = time.perf_counter()
        pickle.loads(blob)
        seconds = time.perf_counter() - started
    finally:
        gc.enable()
    print(
        f"results sent to read_all's parent: {len(blob) / len(files):.0f} bytes/file, "
        f"unpickled in {1000 * seconds / len(files):.3f} ms/file"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description="Profile the serial parse of bench files.")
    parser.add_argument("dir", type=Path)
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    root = args.dir.resolve()
    paths = sorted(root.rglob("*.xlsx"))[: args.limit]
    files = [landed(path, root) for path in paths]
    catalog = load_catalog()
    started = time.perf_counter()
    reference = load_reference()
    loaded = time.perf_counter()
    resolver = UnitResolver(reference)
    print(
        f"reference loaded in {loaded - started:.2f} s, UnitResolver built in "
        f"{time.perf_counter() - loaded:.2f} s (once per run, in read_all's parent)"
    )

    # Best of three; CPU time too, which a machine shared with other work inflates less.
    plain = cpu = float("inf")
    for _ in range(3):
        started, cpu_started = time.perf_counter(), time.process_time()
        for file in files:
            read_submissions(file, catalog, resolver)
        plain = min(plain, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)
    print(
        f"{len(files)} files, serial, no profiler, best of 3: {1000 * plain / len(files):.2f} "
        f"ms/file ({1000 * cpu / len(files):.2f} ms/file of CPU)"
    )

    _print_transfer_cost(files, catalog, resolver)

    profiler = cProfile.Profile()
    profiler.enable()
    for file in files:
        read_submissions(file, catalog, resolver)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    print(f"under cProfile: {1000 * total / len(files):.1f} ms/file (profiler overhead included)")
    print(f"\n{'stage':<50} {'ms/file':>8} {'share':>6}")
    for label, name in STAGES:
        seconds = _cumulative(stats, name)
        print(f"{label:<50} {1000 * seconds / len(files):8.2f} {100 * seconds / total:5.1f}%")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
