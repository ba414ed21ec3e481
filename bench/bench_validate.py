"""What the quality gate costs next to parsing, on the benchmark's clean submissions (issue #5).

``python bench/bench_validate.py --sizes 1000 10040 [--repeat 3] [--out results.json]``

For each size N (the first N files of the benchmark pool, see generate.py), a fresh
Python process:

1. **parse**: ``flows.reading.parse.read_all(files, workers=2)``, as ``run_bench.py`` times it
   (catalog, unit resolver and the process pool included);
2. **GE import**: ``import great_expectations`` (cold: nothing imported it before);
3. **gate**: ``QualityGate(catalog, docs_dir=…)``: the GE context and the suites;
4. **check**: ``QualityGate.check(submissions, history=None, run_id=…)``, Data Docs
   included, with its seconds per suite.

``validate`` is 2 + 3 + 4, what the pipeline's validate stage pays in a fresh process;
the ratio ``validate / parse`` is the figure of issue #5 (≤ 1). Each size runs
``--repeat`` times and the best of each measurement is kept (the machine may be
shared). The parse runs first, as in the pipeline, so the gate finds the reference
data it needs for the peer groups already loaded. The verdict digest is printed: equal
runs give equal digests.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))  # generate.py sits beside this file

import generate  # noqa: E402

DEFAULT_POOL = BENCH_DIR / "data" / f"pool-s{generate.DEFAULT_SEED}-y{generate.DEFAULT_YEAR}"


def landed_files(pool: Path, n: int) -> list:
    """The first ``n`` files of the benchmark order, described as the receive step would."""
    from flows.reading.submission import LandedFile
    from flows.warehouse.receive import landing_sha256

    files = []
    for job in generate.plan_submissions(n):
        path = pool / job.relative_path
        if not path.exists():
            raise SystemExit(f"{path} is missing: generate the pool with bench/generate.py")
        stat = path.stat()
        files.append(
            LandedFile(
                path=path,
                relative_path=job.relative_path,
                sha256=landing_sha256(path),
                size_bytes=stat.st_size,
                received_at=datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None),
            )
        )
    return files


def measure(pool: Path, n: int, workers: int) -> dict:
    """One fresh-process measurement of parse, GE import, gate and check for ``n`` files."""
    files = landed_files(pool, n)
    from flows.reading.parse import read_all

    started = time.perf_counter()
    readings = read_all(files, workers=workers)
    parse = time.perf_counter() - started
    submissions = [s for reading in readings for s in reading.submissions]

    if "great_expectations" in sys.modules:
        raise RuntimeError("great_expectations was imported before it was timed")
    started = time.perf_counter()
    import great_expectations  # noqa: F401

    ge_import = time.perf_counter() - started

    from flows.domain.catalog import load_catalog
    from flows.quality.validate import QualityGate

    with tempfile.TemporaryDirectory(prefix="bench-validate-") as docs:
        started = time.perf_counter()
        gate = QualityGate(load_catalog(), docs_dir=Path(docs))
        gate_build = time.perf_counter() - started
        started = time.perf_counter()
        report = gate.check(submissions, history=None, run_id=f"bench-{n}")
        check = time.perf_counter() - started
    return {
        "n": n,
        "submissions": len(submissions),
        "values": report.values_checked,
        "parse": round(parse, 2),
        "ge_import": round(ge_import, 2),
        "gate": round(gate_build, 2),
        "check": round(check, 2),
        "validate": round(ge_import + gate_build + check, 2),
        "seconds_by_suite": report.seconds_by_suite,
        "values_rejected": report.values_rejected,
        "values_warned": report.values_warned,
        "verdict_digest": report.verdict_digest,
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def best_of(runs: list[dict]) -> dict:
    """The best (least) time of each measurement over the runs; other fields of the first."""
    best = dict(runs[0])
    for key in ("parse", "ge_import", "gate", "check", "validate"):
        best[key] = min(run[key] for run in runs)
    best["seconds_by_suite"] = {
        suite: min(run["seconds_by_suite"].get(suite, float("inf")) for run in runs)
        for suite in runs[0]["seconds_by_suite"]
    }
    digests = {run["verdict_digest"] for run in runs}
    if len(digests) != 1:
        raise RuntimeError(f"runs of the same files gave different verdicts: {digests}")
    best["runs"] = len(runs)
    best["ratio_validate_parse"] = round(best["validate"] / best["parse"], 2)
    best["ratio_check_parse"] = round(best["check"] / best["parse"], 2)
    return best


def table(results: list[dict]) -> str:
    """The figures as a Markdown table, then the check's seconds per suite."""
    lines = [
        "| N | values | parse s | GE import s | gate s | check s | validate s "
        "| validate / parse | check / parse | max RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']} | {r['values']} | {r['parse']:.1f} | {r['ge_import']:.1f} "
            f"| {r['gate']:.1f} | {r['check']:.1f} | {r['validate']:.1f} "
            f"| {r['ratio_validate_parse']:.2f} | {r['ratio_check_parse']:.2f} "
            f"| {r['max_rss_mib']} |"
        )
    suites = list(results[0]["seconds_by_suite"]) if results else []
    lines += ["", "| N | " + " | ".join(suites) + " |", "|---:|" + "---:|" * len(suites)]
    for r in results:
        cells = " | ".join(f"{r['seconds_by_suite'].get(s, 0):.2f}" for s in suites)
        lines.append(f"| {r['n']} | {cells} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per size")
    parser.add_argument("--workers", type=int, default=2, help="parse processes (read_all)")
    parser.add_argument("--pool", type=Path, default=DEFAULT_POOL)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.pool, args.child, args.workers)))
        return 0
    results = []
    for n in args.sizes:
        runs = []
        for attempt in range(1, args.repeat + 1):
            print(f"[n={n}] run {attempt}/{args.repeat} …", file=sys.stderr, flush=True)
            command = [sys.executable, str(Path(__file__).resolve()), "--child", str(n)]
            command += ["--workers", str(args.workers), "--pool", str(args.pool)]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            run = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"    parse {run['parse']} s, validate {run['validate']} s "
                f"(GE import {run['ge_import']}, gate {run['gate']}, check {run['check']})",
                file=sys.stderr,
                flush=True,
            )
            runs.append(run)
        results.append(best_of(runs))
    print(table(results))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
