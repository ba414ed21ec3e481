"""The national-scale benchmark of issue #7: chitieu against what an analyst would write.

``python bench/run_bench.py --sizes 1000 5000 10040 --out bench/results.json``

For each size N (the first N submissions of the benchmark order, see generate.py):

1. the files are generated once into a pool (``--data-dir``, cached and grown as
   needed) and hard-linked into a fresh landing folder for the size;
2. **baseline**: one process loops over the files with ``pandas.read_excel(path,
   sheet_name=None)`` and the default engine (openpyxl), as an analyst would. With
   ``--baseline-sample K`` only K random files are read and the time is extrapolated
   per file (the output says so). Half the files are read before step 3 and half
   after it, so that the ratio sets the two side by side in time;
3. **parse**: chitieu's parser on the same files, :func:`flows.reading.parse.read_all` with
   ``--workers`` processes (plus the serial per-file cost on a sample, for reference);
4. **nightly run**: the real command line ``chitieu run --raw-dir … --warehouse … --json``
   in a subprocess, on a fresh warehouse: wall time, its stage times, and the peak
   memory of its process tree (PSS summed over the processes, sampled from /proc);
5. **incremental night**: one file is replaced by the ward's correction and the command
   line runs again on the same warehouse, with Prefect's temporary server (what a bare
   ``chitieu run`` pays);
6. **with a running server** (unless ``--no-running-server``): the same first night on a
   fresh warehouse, then another ward's correction, the command line run against a
   Prefect server started once
   beforehand (``prefect server start``, ``PREFECT_API_URL`` set), as ``chitieu serve``
   or an operator's own server runs the deployed nights. The server's own start-up time
   is recorded too (``prefect_server_startup_seconds``); its memory is not in the
   run's process tree.
7. **under a warm runner** (unless ``--no-watch``): ``chitieu watch`` starts on the same
   warehouse, then three more wards' corrections are written one after another, each
   once the previous one is published; each is timed from the file written to the
   warehouse published, and the median is reported with all three.

Ratios are baseline read time / parse time and baseline read time / whole nightly run;
absolute times are recorded too. Nothing here asserts a time: it measures and reports.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from flows.reading.files import read_submissions
from flows.reading.parse import read_all
from flows.reading.submission import LandedFile
from flows.warehouse.receive import landing_sha256

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))  # generate.py and the CLI shim sit beside this file

import generate  # noqa: E402

TARGETS = {
    "parse_speedup_min": 15.0,  # parse throughput ≥ 15 × the baseline's read throughput
    "run_vs_baseline_min": 2.0,  # the whole run in ≤ half the baseline's read time
    "incremental_seconds_max": 20.0,
    "peak_memory_bytes_max": 2 * 1024**3,
}
SERIAL_SAMPLE = 200
WATCHED_CORRECTIONS = 3  # one-file nights under one `chitieu watch`; the median is reported


# ------------------------------------------------------------------ memory of a process tree


def _children_of() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields follow the last ')'.
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _memory_of(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in bytes; PSS shares copy-on-write pages fairly."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return pss, rss


class TreeMemorySampler:
    """Samples the summed PSS of a process and its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_pss = 0
        self.peak_single_rss = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            tree, children = [self.pid], _children_of()
            for pid in tree:
                tree.extend(children.get(pid, []))
            total = 0
            for pid in tree:
                pss, rss = _memory_of(pid)
                total += pss
                self.peak_single_rss = max(self.peak_single_rss, rss)
            self.peak_pss = max(self.peak_pss, total)
            self.peak_processes = max(self.peak_processes, len(tree))
            self._stop.wait(self.interval)


# ------------------------------------------------------------------ the measurements


def _landed(path: Path, root: Path) -> LandedFile:
    stat = path.stat()
    return LandedFile(
        path=path,
        relative_path=path.relative_to(root).as_posix(),
        sha256=landing_sha256(path),
        size_bytes=stat.st_size,
        received_at=datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None),
    )


def baseline_sample(paths: list[Path], sample: int | None, seed: int) -> list[Path]:
    """The files the baseline reads: all of them, or ``sample`` drawn at random."""
    if not sample or sample >= len(paths):
        return list(paths)
    return random.Random(seed).sample(paths, sample)


def read_like_an_analyst(paths: list[Path]) -> float:
    """Seconds the analyst's loop takes: ``pandas.read_excel(path, sheet_name=None)``."""
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's style warnings would flood the screen
        for path in paths:
            pd.read_excel(path, sheet_name=None)
    return time.perf_counter() - started


def baseline_figures(
    all_paths: list[Path],
    before: list[Path],
    seconds_before: float,
    after: list[Path],
    seconds_after: float,
) -> dict:
    """The baseline's figures from its two halves, read before and after chitieu's parse.

    This machine's speed drifts by up to 1.7x within minutes. Reading half the sample on
    each side of the parse lets the ratio compare the two at the same moments on average,
    rather than a baseline read in a fast minute with a parse in a slow one (or the reverse).
    """
    files_read = len(before) + len(after)
    seconds = seconds_before + seconds_after
    per_file = seconds / files_read

    def pace(paths: list[Path], seconds: float) -> float | None:
        return round(1000 * seconds / len(paths), 2) if paths else None

    return {
        "files_read": files_read,
        "extrapolated": files_read < len(all_paths),
        "seconds_measured": round(seconds, 2),
        "ms_per_file": round(1000 * per_file, 2),
        "ms_per_file_before_parse": pace(before, seconds_before),
        "ms_per_file_after_parse": pace(after, seconds_after),
        "seconds": round(per_file * len(all_paths), 2),
    }


def time_parse(files: list[LandedFile], workers: int, chunk_size: int) -> dict:
    """chitieu's parse of every file with the process pool, and the serial cost per file."""
    started = time.perf_counter()
    readings = read_all(files, workers=workers, chunk_size=chunk_size)
    seconds = time.perf_counter() - started
    submissions = [s for reading in readings for s in reading.submissions]
    sample = files[:SERIAL_SAMPLE]
    from flows.domain.catalog import load_catalog
    from flows.domain.reference import load_reference
    from flows.domain.units import UnitResolver

    catalog, resolver = load_catalog(), UnitResolver(load_reference())
    started = time.perf_counter()
    for landed in sample:
        read_submissions(landed, catalog, resolver)
    serial_per_file = (time.perf_counter() - started) / len(sample)
    return {
        "workers": workers,
        "chunk_size": chunk_size,
        "seconds": round(seconds, 2),
        "ms_per_file": round(1000 * seconds / len(files), 2),
        "serial_ms_per_file": round(1000 * serial_per_file, 2),
        "submissions": len(submissions),
        "rejected": sum(s.is_rejected for s in submissions),
        "observations": sum(len(s.observations) for s in submissions),
    }


def _pipeline_command() -> tuple[list[str], str]:
    """The command line to run: the real ``chitieu`` CLI of this checkout."""
    return [str(Path(sys.executable).parent / "chitieu")], "read_all (flows.reading.parse)"


QUIET_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    # Prefect gives its temporary server 20 s to start; on a busy 2-core machine it can
    # need more, and the run then fails before doing anything.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningServer:
    """A Prefect server started by the benchmark: its API URL and how long it took to start."""

    api_url: str
    startup_seconds: float


@contextmanager
def running_prefect_server(timeout: float = 300.0) -> Iterator[RunningServer]:
    """``prefect server start`` in a subprocess, its database in a temporary PREFECT_HOME.

    Yields once ``/api/health`` answers; stops the server (and only it) on exit.
    """
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-prefect-") as home:
        env = {**os.environ, **QUIET_ENV, "PREFECT_HOME": home}
        env.pop("PREFECT_API_URL", None)
        prefect = str(Path(sys.executable).parent / "prefect")
        started = time.perf_counter()
        server = subprocess.Popen(
            [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        api_url = f"http://127.0.0.1:{port}/api"
        try:
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"prefect server exited {server.returncode}")
                try:
                    with urllib.request.urlopen(api_url + "/health", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"prefect server not healthy after {timeout:.0f} s")
                time.sleep(0.25)
            yield RunningServer(api_url, round(time.perf_counter() - started, 2))
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(30)


def _stage_times(wall: float, stages: dict[str, float]) -> dict:
    """A night's wall time, its stage times, their total and what lies outside them."""
    return {
        "wall_seconds": round(wall, 2),
        "stage_seconds": stages,
        "stages_total_seconds": round(sum(stages.values()), 2),
        "outside_stages_seconds": round(wall - sum(stages.values()), 2),
    }


def run_pipeline(
    command: list[str], raw_dir: Path, warehouse: Path, api_url: str | None = None
) -> dict:
    """One ``chitieu run --json`` in a subprocess: wall time, summary, peak memory.

    Without ``api_url`` the CLI starts Prefect's temporary server itself (and it is in
    the measured process tree); with it, the CLI talks to that running server.
    """
    env = {**os.environ, **QUIET_ENV}
    env.pop("PREFECT_API_URL", None)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    args = [*command, "run", "--raw-dir", str(raw_dir), "--warehouse", str(warehouse), "--json"]
    started = time.perf_counter()
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    with TreeMemorySampler(process.pid) as memory:
        stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"chitieu run exited {process.returncode}:\n{stderr[-4000:]}")
    summary = json.loads(stdout[stdout.index("{") :])
    return {
        # Outside the stages: imports, the temporary Prefect server, the lock.
        **_stage_times(wall, summary["seconds_by_stage"]),
        "prefect_server": "running" if api_url else "temporary",
        "outcome": summary["outcome"],
        "files_seen": summary["files_seen"],
        "submissions_read": summary["submissions_read"],
        "submissions_loaded": summary["submissions_loaded"],
        "submissions_rejected": summary["submissions_rejected"],
        "values_loaded": summary["values_loaded"],
        "values_rejected": summary["values_rejected"],
        "peak_pss_bytes": memory.peak_pss,
        "peak_single_process_rss_bytes": memory.peak_single_rss,
        "peak_processes": memory.peak_processes,
    }


def run_watch_incremental(
    command: list[str],
    raw_dir: Path,
    warehouse: Path,
    revisions: list[Callable[[], Path]],
    poll_seconds: float = 0.5,
    timeout: float = 1800.0,
) -> dict:
    """Corrected files under one ``chitieu watch``: each from the file written to it published.

    The watcher starts (imports, warm-up, its temporary Prefect server) and catches up
    with the folder (nothing new: the warehouse is current); then each of ``revisions``
    in turn replaces one file, and the clock runs from that moment until the watcher's
    night has published it. Several corrections, because one night's time varies by
    several seconds on a shared machine: the figures are the median night's, with every
    night's end-to-end time beside them. That end-to-end time includes the poll interval
    and the 2 s settle wait; ``wall_seconds`` is the night alone, from the watcher's
    trigger to the publish.
    """
    env = {**os.environ, **QUIET_ENV}
    env.pop("PREFECT_API_URL", None)
    args = [
        *command,
        "watch",
        "--raw-dir",
        str(raw_dir),
        "--warehouse",
        str(warehouse),
        "--json",
        "--poll",
        str(poll_seconds),
        "--max-runs",
        str(1 + len(revisions)),
    ]
    started = time.perf_counter()
    nights: list[tuple[float, dict]] = []
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        records: list[dict] = []
        with TreeMemorySampler(process.pid) as memory:
            deadline = time.monotonic() + timeout
            changed_at = 0.0
            for line in process.stdout:
                if not line.startswith("{"):
                    continue
                records.append(json.loads(line))
                if len(records) == 1:
                    ready_seconds = time.perf_counter() - started
                else:  # the night of the correction written at changed_at
                    nights.append((records[-1]["finished_at_epoch"] - changed_at, records[-1]))
                if len(nights) == len(revisions) or time.monotonic() > deadline:
                    break
                revisions[len(nights)]()
                changed_at = time.time()
            process.wait(timeout=120)
        if len(nights) < len(revisions) or any(n["outcome"] != "published" for _, n in nights):
            log.seek(0)
            raise RuntimeError(f"chitieu watch did not publish: {records}\n{log.read()[-4000:]}")
    end_to_end, night = sorted(nights, key=lambda pair: pair[0])[len(nights) // 2]
    return {
        "change_to_published_seconds": round(end_to_end, 2),
        "change_to_published_seconds_each": [round(seconds, 2) for seconds, _ in nights],
        "each_night": [
            {
                "change_to_published_seconds": round(seconds, 2),
                **_stage_times(each["wall_seconds"], each["seconds_by_stage"]),
            }
            for seconds, each in nights
        ],
        **_stage_times(night["wall_seconds"], night["seconds_by_stage"]),
        "watcher_ready_and_caught_up_seconds": round(ready_seconds, 2),
        "catch_up_outcome": records[0]["outcome"],
        "poll_seconds": poll_seconds,
        "outcome": night["outcome"],
        "submissions_loaded": night["submissions_loaded"],
        "files_unchanged": night["files_unchanged"],
        "peak_pss_bytes": memory.peak_pss,
    }


@dataclass
class Options:
    """What the command line asked for."""

    data_dir: Path
    seed: int
    year: int
    workers: int
    chunk_size: int
    baseline_sample: int | None
    pipeline: str
    running_server: bool = True
    watch: bool = True


def bench_size(n: int, options: Options, pool: Path) -> dict:
    """Every measurement for the first ``n`` submissions."""
    jobs = generate.plan_submissions(n, options.year, options.seed)
    run_dir = options.data_dir / "runs" / f"n{n}"
    shutil.rmtree(run_dir, ignore_errors=True)
    raw = run_dir / "raw"
    for job in jobs:
        target = raw / job.relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(pool / job.relative_path, target)
    paths = [raw / job.relative_path for job in jobs]
    result: dict = {"n": n}
    files = [_landed(path, raw) for path in paths]
    sample = baseline_sample(paths, options.baseline_sample, options.seed)
    before, after = sample[: len(sample) // 2], sample[len(sample) // 2 :]
    print(f"[n={n}] baseline, first half (pandas.read_excel, openpyxl) …", flush=True)
    seconds_before = read_like_an_analyst(before)
    print(f"[n={n}] chitieu parse (read_all, {options.workers} workers) …", flush=True)
    result["parse"] = time_parse(files, options.workers, options.chunk_size)
    print(f"[n={n}] baseline, second half …", flush=True)
    seconds_after = read_like_an_analyst(after)
    result["baseline"] = baseline_figures(paths, before, seconds_before, after, seconds_after)
    if options.pipeline != "skip":
        command, how = _pipeline_command()
        warehouse = run_dir / "warehouse" / "warehouse.duckdb"
        print(f"[n={n}] nightly run (parse stage: {how}) …", flush=True)
        result["pipeline_parse"] = how
        result["night"] = run_pipeline(command, raw, warehouse)
        revised = generate.revise_submission(jobs[n // 2], raw, options.seed)
        print(f"[n={n}] incremental night ({revised.relative_to(raw)} corrected) …", flush=True)
        result["incremental"] = run_pipeline(command, raw, warehouse)
        if options.running_server:
            print(f"[n={n}] starting a Prefect server for the next night …", flush=True)
            with running_prefect_server() as server:
                result["prefect_server_startup_seconds"] = server.startup_seconds
                # The deployed night (`chitieu serve`) runs against a long-lived server:
                # the same first night on a fresh warehouse, without the temporary server.
                print(f"[n={n}] nightly run, running server …", flush=True)
                served = run_dir / "warehouse-served" / "warehouse.duckdb"
                result["night_running_server"] = run_pipeline(
                    command, raw, served, api_url=server.api_url
                )
                revised = generate.revise_submission(jobs[n // 2 + 1], raw, options.seed)
                print(
                    f"[n={n}] incremental night, running server "
                    f"({revised.relative_to(raw)} corrected) …",
                    flush=True,
                )
                result["incremental_running_server"] = run_pipeline(
                    command, raw, warehouse, api_url=server.api_url
                )
        if options.watch:
            print(f"[n={n}] incremental night, warm runner (chitieu watch) …", flush=True)
            result["incremental_watch"] = run_watch_incremental(
                command,
                raw,
                warehouse,
                [
                    functools.partial(generate.revise_submission, job, raw, options.seed)
                    for job in jobs[n // 2 + 2 : n // 2 + 2 + WATCHED_CORRECTIONS]
                ],
            )
    result["ratios"] = _ratios(result)
    return result


def _ratios(result: dict) -> dict:
    baseline = result["baseline"]["seconds"]
    ratios = {"parse_speedup": round(baseline / result["parse"]["seconds"], 1)}
    if "night" in result:
        ratios["baseline_over_run_wall"] = round(baseline / result["night"]["wall_seconds"], 2)
        ratios["baseline_over_run_stages"] = round(
            baseline / result["night"]["stages_total_seconds"], 2
        )
    if "night_running_server" in result:
        ratios["baseline_over_run_wall_running_server"] = round(
            baseline / result["night_running_server"]["wall_seconds"], 2
        )
    return ratios


def machine() -> dict:
    """The machine the figures were measured on."""
    cpu = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        total_kib = int(handle.readline().split()[1])
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(total_kib / 1024**2, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


# ------------------------------------------------------------------ the report

# The nights measured per size, in the order they run (keys of bench_size's result).
NIGHTS = (
    "night",
    "incremental",
    "night_running_server",
    "incremental_running_server",
    "incremental_watch",
)


def _gib(nbytes: int) -> str:
    return f"{nbytes / 1024**3:.2f}"


def table(results: list[dict]) -> str:
    """The figures as a Markdown table (absolute times, then ratios)."""
    lines = [
        "| N | baseline read s (ms/file) | parse s (ms/file) | parse ×baseline "
        "| nightly run s (stages s) | baseline / run | incremental night s "
        "| incremental, running server s | incremental, warm runner s | peak PSS GiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        base, parse = r["baseline"], r["parse"]
        mark = "*" if base["extrapolated"] else ""
        night, inc = r.get("night"), r.get("incremental")
        lines.append(
            f"| {r['n']} | {base['seconds']:.1f}{mark} ({base['ms_per_file']:.1f}) "
            f"| {parse['seconds']:.1f} ({parse['ms_per_file']:.2f}) "
            f"| {r['ratios']['parse_speedup']:.1f} "
            + (
                f"| {night['wall_seconds']:.1f} ({night['stages_total_seconds']:.1f}) "
                f"| {r['ratios']['baseline_over_run_wall']:.2f} "
                f"| {inc['wall_seconds']:.1f} ({inc['stages_total_seconds']:.1f} in stages) "
                f"| {_running_server_cell(r)} "
                f"| {_watch_cell(r)} "
                f"| {_gib(_peak_pss(r))} |"
                if night
                else "| – | – | – | – | – | – |"
            )
        )
    if any(r["baseline"]["extrapolated"] for r in results):
        lines.append("")
        lines.append("\\* baseline timed on a random sample and extrapolated per file.")
    paces = [
        f"{r['n']}: {r['baseline']['ms_per_file_before_parse']} / "
        f"{r['baseline']['ms_per_file_after_parse']}"
        for r in results
        if r["baseline"].get("ms_per_file_before_parse") is not None
    ]
    if paces:
        lines.append("")
        lines.append(
            "Baseline ms/file in the half read before / after the parse (the machine's "
            "drift): " + "; ".join(paces) + "."
        )
    return "\n".join(lines)


def _running_server_cell(result: dict) -> str:
    run = result.get("incremental_running_server")
    if not run:
        return "–"
    return (
        f"{run['wall_seconds']:.1f} ({run['stages_total_seconds']:.1f} in stages; "
        f"server start {result['prefect_server_startup_seconds']:.1f} s, paid once)"
    )


def _watch_cell(result: dict) -> str:
    run = result.get("incremental_watch")
    if not run:
        return "–"
    each = run.get("change_to_published_seconds_each", [])
    return (
        f"{run['change_to_published_seconds']:.1f} change → published"
        + (f" (median of {', '.join(f'{x:.1f}' for x in each)})" if len(each) > 1 else "")
        + f" ({run['wall_seconds']:.1f} night; watcher ready in "
        f"{run['watcher_ready_and_caught_up_seconds']:.1f} s, paid once)"
    )


def _peak_pss(result: dict) -> int:
    return max(result[label]["peak_pss_bytes"] for label in NIGHTS if label in result)


def stage_table(results: list[dict]) -> str:
    """Stage times of the first and the incremental night, per size."""
    stages = ["receive", "parse", "validate", "stage", "feedback", "dbt_build", "publish"]
    lines = [
        "| N | night | " + " | ".join(stages) + " | outside stages |",
        "|---:|---|" + "---:|" * (len(stages) + 1),
    ]
    for r in results:
        for label in NIGHTS:
            if label not in r:
                continue
            run = r[label]
            cells = [f"{run['stage_seconds'].get(stage, 0.0):.1f}" for stage in stages]
            lines.append(
                f"| {r['n']} | {label} | "
                + " | ".join(cells)
                + f" | {run['outside_stages_seconds']:.1f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description="chitieu national-scale benchmark (#7).")
    parser.add_argument("--sizes", type=int, nargs="+", default=[200])
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--year", type=int, default=generate.DEFAULT_YEAR)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=None,
        help="time the baseline on K random files and extrapolate (default: every file)",
    )
    parser.add_argument(
        "--pipeline",
        choices=["cli", "skip"],
        default="cli",
        help="cli: run the real chitieu CLI; skip: no pipeline runs",
    )
    parser.add_argument(
        "--no-running-server",
        action="store_true",
        help="skip the incremental night against a Prefect server started beforehand",
    )
    parser.add_argument(
        "--no-watch",
        action="store_true",
        help="skip the incremental night under a warm `chitieu watch` process",
    )
    args = parser.parse_args(argv)
    options = Options(
        data_dir=args.data_dir.resolve(),
        seed=args.seed,
        year=args.year,
        workers=args.workers,
        chunk_size=args.chunk_size,
        baseline_sample=args.baseline_sample,
        pipeline=args.pipeline,
        running_server=not args.no_running_server,
        watch=not args.no_watch,
    )
    pool = options.data_dir / f"pool-s{options.seed}-y{options.year}"
    print(f"generating up to {max(args.sizes)} submissions into {pool} …", flush=True)
    generated = generate.generate(max(args.sizes), pool, options.seed, options.year)
    print(f"  {generated['written']} written, {generated['kept']} cached, "
          f"{generated['seconds']:.1f} s", flush=True)  # fmt: skip
    results = []
    for n in sorted(args.sizes):
        results.append(bench_size(n, options, pool))
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "machine": machine(),
        "generation": generated,
        "targets": TARGETS,
        "results": results,
        "max_child_rss_bytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
    }
    # Other benchmarks keep their latest figures in the same file, under keys of their own.
    kept = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    report = {**{k: v for k, v in kept.items() if k not in report}, **report}
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    print()
    print(table(results))
    if any("night" in r for r in results):
        print()
        print(stage_table(results))
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
