"""What publishing in the BI-readable storage format costs (issue #22).

``python bench/bench_publish.py --n 10040 --rounds 2 --out bench/results.json``

The same N ward files (bench/generate.py) are run through the real ``chitieu run`` on a
fresh warehouse, with ``CHITIEU_STORAGE_VERSION`` at DuckDB 2.0's own format
(``v2.0.0``) and at the published default (``v1.0.0``), alternating (A B B A …) so that
the machine's drift falls on both. Each first night is followed by a one-file night (a
ward's correction) on the same warehouse. Recorded per night: the publish step, the dbt
build, the stage step, the wall time and the published file's size; and once, the
rewrite a warehouse published in v2.0.0 by an older chitieu gets at its first night in
the default format (publish of a v2.0.0 build file with the setting at v1.0.0).

The figures go under ``publish_formats`` in ``--out`` (other keys are kept). Nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from flows import settings
from flows.warehouse.publish import build_path, publish

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))  # generate.py and run_bench.py sit beside this file
import generate  # noqa: E402
from run_bench import _pipeline_command, machine, run_pipeline  # noqa: E402

FORMATS = ("v2.0.0", "v1.0.0")


def _night(command: list[str], raw: Path, warehouse: Path) -> dict:
    result = run_pipeline(command, raw, warehouse)
    return {
        "wall_seconds": result["wall_seconds"],
        "publish_seconds": result["stage_seconds"]["publish"],
        "dbt_build_seconds": result["stage_seconds"]["dbt_build"],
        "stage_seconds": result["stage_seconds"]["stage"],
        "file_bytes": warehouse.stat().st_size,
    }


def _rewrite_seconds(v2_warehouse: Path, folder: Path) -> float:
    """Publish a copy of a v2.0.0 warehouse with the setting at the default: the rewrite."""
    published = folder / "rewrite" / "warehouse.duckdb"
    shutil.rmtree(published.parent, ignore_errors=True)
    published.parent.mkdir(parents=True)
    shutil.copyfile(v2_warehouse, build_path(published))
    os.environ[settings.STORAGE_VERSION_ENV] = settings.DEFAULT_STORAGE_VERSION
    started = time.perf_counter()
    publish(build_path(published), published)
    seconds = round(time.perf_counter() - started, 2)
    shutil.rmtree(published.parent)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="ward files")
    parser.add_argument("--rounds", type=int, default=1, help="A B pairs, alternated")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data")
    parser.add_argument("--out", type=Path, help="merge the figures into this JSON file")
    args = parser.parse_args(argv)

    pool = args.data_dir / f"pool-s{generate.DEFAULT_SEED}-y{generate.DEFAULT_YEAR}"
    generate.generate(args.n, pool)
    jobs = generate.plan_submissions(args.n)
    run_dir = args.data_dir / "runs" / f"publish-n{args.n}"
    command, _ = _pipeline_command()
    order = [FORMATS[(i // 2 + i) % 2] for i in range(2 * args.rounds)]  # A B B A …
    nights: dict[str, list[dict]] = {version: [] for version in FORMATS}
    rewrite_seconds = None
    for i, version in enumerate(order):
        shutil.rmtree(run_dir, ignore_errors=True)
        raw = run_dir / "raw"
        for job in jobs:
            (raw / job.relative_path).parent.mkdir(parents=True, exist_ok=True)
            os.link(pool / job.relative_path, raw / job.relative_path)
        warehouse = run_dir / "warehouse" / "warehouse.duckdb"
        os.environ[settings.STORAGE_VERSION_ENV] = version
        print(f"[{i + 1}/{len(order)}] {version}: first night on {args.n} files …", flush=True)
        first = _night(command, raw, warehouse)
        generate.revise_submission(jobs[args.n // 2 + i], raw)
        print(f"[{i + 1}/{len(order)}] {version}: one-file night …", flush=True)
        nights[version].append(
            {"first_night": first, "one_file_night": _night(command, raw, warehouse)}
        )
        if version == "v2.0.0" and rewrite_seconds is None:
            rewrite_seconds = _rewrite_seconds(warehouse, args.data_dir / "runs")
    shutil.rmtree(run_dir, ignore_errors=True)

    def median(version: str, night: str, key: str) -> float:
        return statistics.median(run[night][key] for run in nights[version])

    summary = {
        night: {
            key: {version: median(version, night, key) for version in FORMATS}
            for key in (
                "publish_seconds",
                "dbt_build_seconds",
                "stage_seconds",
                "wall_seconds",
                "file_bytes",
            )
        }
        for night in ("first_night", "one_file_night")
    }
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/bench_publish.py " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
        "n": args.n,
        "order": order,
        "median": summary,
        "rewrite_v2_to_default_seconds": rewrite_seconds,
        "nights": nights,
    }
    print(json.dumps(report["median"], indent=1))
    print("rewrite of a v2.0.0 warehouse:", rewrite_seconds, "s")
    if args.out:
        existing = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
        existing["publish_formats"] = report
        args.out.write_text(json.dumps(existing, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
