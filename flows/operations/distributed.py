"""Parsing and validation on an existing Dask cluster (``chitieu run --dask-address``).

The flow itself stays on the machine that holds the warehouse: it receives the files,
stages, builds and publishes. Only the two CPU-bound steps go to the cluster, through
``prefect_dask.DaskTaskRunner``, one Prefect task per *chunk* (Prefect's per-task
overhead would cost more than parsing one file):

- **parse**: the night's files in chunks of ``chunk_size`` (default 64,
  ``$CHITIEU_DASK_CHUNK_SIZE``), each chunk one :func:`parse_chunk` task;
- **validate**: the night's submissions in parts that hold *whole peer groups* (the
  outlier checks compare each value with the other wards of its district in the same
  period, and with the unit's own history), each part one :func:`validate_part` task
  with the published history of its units only. The parts' reports are merged and
  the verdict digest recomputed over every submission, so a run on the cluster gives
  the verdicts, digest and marts of a run on one machine.

Each worker process builds the catalog, the unit resolver and the Great Expectations
gate once and keeps them for every chunk it runs (and for later runs, until the
catalog or the rules file changes). Workers read the archived files by their path and
their own copy of chitieu's catalog, so they must see the warehouse folder at the same
path (a shared filesystem) and run the same chitieu version: every task checks that
its dbt project (catalog, rules, seeds) is the flow's before it starts.
"""

from __future__ import annotations

import os
import pickle
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.domain.catalog import Catalog, load_catalog
from flows.domain.units import UnitResolver
from flows.quality.validate import (
    GateReport,
    QualityGate,
    issues_by_rule,
    peer_groups,
    verdict_digest,
)
from flows.reading.files import read_submissions
from flows.reading.parse import reader_state
from flows.reading.submission import FileReading, LandedFile, Submission
from flows.settings import INDICATOR_CATALOG_CSV, VALIDATION_RULES_CSV
from flows.warehouse.publish import build_fingerprint

DEFAULT_CHUNK_SIZE = 64
CHUNK_SIZE_ENV = "CHITIEU_DASK_CHUNK_SIZE"


def chunk_size_setting() -> int:
    """Files per parse task on the cluster: ``$CHITIEU_DASK_CHUNK_SIZE`` or 64."""
    configured = os.environ.get(CHUNK_SIZE_ENV)
    size = int(configured) if configured else DEFAULT_CHUNK_SIZE
    if size < 1:
        raise ValueError(f"{CHUNK_SIZE_ENV} must be at least 1, got {size}")
    return size


@contextmanager
def cluster_runner(address: str | None) -> Iterator[object | None]:
    """A started ``DaskTaskRunner`` on the cluster at ``address``, or None: run here.

    The client connects on the first task submitted, so a night with nothing new to
    parse never touches the cluster.
    """
    if not address:
        yield None
        return
    from prefect_dask import DaskTaskRunner

    with DaskTaskRunner(address=address) as runner:
        yield runner


def _connected(runner):
    """The runner's Dask client, connecting now; an unreachable cluster is said plainly."""
    try:
        return runner.client
    except OSError as error:
        raise ConnectionError(
            f"Không kết nối được cụm Dask tại {runner.address}: {error}. / "
            f"Cannot reach the Dask cluster at {runner.address}: {error}."
        ) from error


def _submit(runner, prefect_task, parameters: dict):
    """``runner.submit``, minus Dask hashing the parameters to name the task.

    ``DaskTaskRunner.submit`` submits "pure" tasks, so Dask tokenizes every parameter to
    derive a key, which adds up to minutes for a national night, for a key that must be
    unique anyway. An impure submission gets a random key instead.
    """
    from prefect_dask.task_runners import PrefectDaskFuture

    future = _connected(runner).submit(
        prefect_task, parameters=parameters, pure=False, return_type="state"
    )
    return PrefectDaskFuture(wrapped_future=future, task_run_id=future.task_run_id)


# ------------------------------------------------------------------ worker side

# What this worker process did and built, for the operator and the tests
# (``client.run(work_done)`` asks every worker).
_work_done: Counter[str] = Counter()
# A worker may run several tasks at once on threads: its cached state is built once.
_state_lock = threading.Lock()
_parser_state: tuple[Catalog, UnitResolver] | None = None
_gate_state: tuple[tuple, QualityGate] | None = None
# GE's context is not safe for two validations at once: parts take turns per process.
_gate_lock = threading.Lock()


def work_done() -> dict[str, int]:
    """Counts of this process: chunks parsed, parts validated, parser and gate builds."""
    return dict(_work_done)


def _inputs_key() -> tuple[int, int]:
    """Changes when the catalog or the rules file changes, so a long-lived worker rebuilds."""
    return (INDICATOR_CATALOG_CSV.stat().st_mtime_ns, VALIDATION_RULES_CSV.stat().st_mtime_ns)


def _worker_parser() -> tuple[Catalog, UnitResolver]:
    """This process's catalog and unit resolver (:func:`flows.reading.parse.reader_state`)."""
    global _parser_state
    with _state_lock:
        state = reader_state()
        if state is not _parser_state:
            _parser_state = state
            _work_done["parser_builds"] += 1
        return state


def _worker_gate() -> QualityGate:
    """This process's quality gate (a GE context with the suites), built on first use."""
    global _gate_state
    key = _inputs_key()
    with _state_lock:
        if _gate_state is None or _gate_state[0] != key:
            _gate_state = (key, QualityGate(load_catalog()))
            _work_done["gate_builds"] += 1
        return _gate_state[1]


def _check_same_project(fingerprint: str) -> None:
    """Refuse to judge with another catalog or other rules than the flow's."""
    if build_fingerprint() != fingerprint:
        raise RuntimeError(
            "Máy worker Dask có bản chitieu (danh mục, quy tắc, dbt) khác với máy chạy "
            "luồng; hãy cài cùng một phiên bản rồi khởi động lại các worker. / The Dask "
            "worker's chitieu (catalog, rules, dbt project) differs from the flow's; install "
            "the same version and restart the workers."
        )


def _pack(value) -> bytes:
    """A task's large argument or result as one pickle.

    Prefect walks every parameter and result object by object (looking for futures to
    wait for): seconds for a part of the night's submissions. Bytes it passes as they are.
    """
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _unpack(payload: bytes):
    """The value :func:`_pack` packed (only ever our own tasks' payloads)."""
    return pickle.loads(payload)


def _parse_chunk(files: list[LandedFile], fingerprint: str) -> bytes:
    """Parse one chunk of archived files on a worker, with the worker's parser state.

    Returns the chunk's :class:`FileReading` list, packed.
    """
    _check_same_project(fingerprint)
    catalog, resolver = _worker_parser()
    for landed in files:
        if not Path(landed.path).is_file():
            raise FileNotFoundError(
                f"Worker Dask không thấy tệp lưu trữ {landed.path}; thư mục kho phải dùng "
                f"chung (cùng đường dẫn) với các worker. / The Dask worker cannot see the "
                f"archived file {landed.path}; the warehouse folder must be shared with the "
                "workers at the same path."
            )
    readings = [read_submissions(landed, catalog, resolver) for landed in files]
    _work_done["chunks_parsed"] += 1
    _work_done["files_parsed"] += len(files)
    return _pack(readings)


@dataclass
class PartVerdicts:
    """What one validation part sends back: its submissions, with verdicts, and the report."""

    submissions: list[Submission]
    report: GateReport
    results: dict[str, object] = field(default_factory=dict)  # GE results, for Data Docs


def _validate_part(payload: bytes, run_id: str, fingerprint: str) -> bytes:
    """Run the gate on one part (whole peer groups) on a worker; verdicts come back.

    ``payload``: the part's submissions and their published history, packed; returns
    :class:`PartVerdicts`, packed.
    """
    _check_same_project(fingerprint)
    submissions, history = _unpack(payload)
    gate = _worker_gate()
    with _gate_lock:
        report = gate.check(submissions, history=history, run_id=run_id)
        # The gate keeps the suites' results of its last check; the flow renders them.
        results = gate.last_results
    _work_done["parts_validated"] += 1
    return _pack(PartVerdicts(submissions=submissions, report=report, results=results))


# The task functions keep their own module-level names, so Dask pickles them by reference
# (a worker imports this module and uses its cached state) rather than by value with a
# copy of their globals.
parse_chunk = task(_parse_chunk, name="parse_chunk", cache_policy=NO_CACHE)
validate_part = task(_validate_part, name="validate_part", cache_policy=NO_CACHE)


# ------------------------------------------------------------------ flow side


def read_on_cluster(
    runner, files: Sequence[LandedFile], chunk_size: int, fingerprint: str
) -> list[FileReading]:
    """One :class:`FileReading` per file, in input order, parsed one chunk per task."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    files = list(files)
    _connected(runner)
    chunks = [files[start : start + chunk_size] for start in range(0, len(files), chunk_size)]
    futures = [
        _submit(runner, parse_chunk, {"files": chunk, "fingerprint": fingerprint})
        for chunk in chunks
    ]
    return [reading for future in futures for reading in _unpack(future.result())]


def _group_of(unit_key: str | None, groups: pd.Series) -> str:
    """The part key of a unit: its peer group; a unit without one is a group by itself."""
    group = groups.get(unit_key) if unit_key is not None else None
    return str(group) if isinstance(group, str) else f"unit:{unit_key}"


def split_by_peer_group(
    submissions: Sequence[Submission], parts: int, groups: pd.Series
) -> list[list[int]]:
    """Indices of ``submissions`` in at most ``parts`` parts, each holding whole peer groups.

    Every submission of a unit, and every unit of a peer group, land in the same part, so
    a part sees the peers and the history the gate compares each value with. Groups are
    dealt largest first to the lightest part (by values) to balance the work; indices keep
    their input order inside a part.
    """
    by_group: dict[str, list[int]] = {}
    for index, submission in enumerate(submissions):
        by_group.setdefault(_group_of(submission.unit_key, groups), []).append(index)
    weight = {
        key: sum(len(submissions[i].observations) + 1 for i in indices)
        for key, indices in by_group.items()
    }
    loads = [0] * max(1, min(parts, len(by_group)))
    members: list[list[int]] = [[] for _ in loads]
    for key in sorted(by_group, key=lambda k: (-weight[k], k)):
        lightest = loads.index(min(loads))
        loads[lightest] += weight[key]
        members[lightest].extend(by_group[key])
    return [sorted(indices) for indices in members if indices]


def _group_keys(unit_keys: pd.Series, groups: pd.Series) -> pd.Series:
    """:func:`_group_of` for a whole column at once (the history has a row per value)."""
    mapped = unit_keys.map(groups)
    return mapped.where(mapped.notna(), "unit:" + unit_keys.fillna("None").astype(str))


def _history_of(
    history: pd.DataFrame | None,
    history_keys: pd.Series | None,
    part: list[Submission],
    groups: pd.Series,
) -> pd.DataFrame | None:
    """The published values a part needs: those of every unit in its peer groups."""
    if history is None or history_keys is None:
        return history
    keys = {_group_of(s.unit_key, groups) for s in part}
    return history[history_keys.isin(keys)].reset_index(drop=True)


def validate_on_cluster(
    runner,
    submissions: list[Submission],
    history: pd.DataFrame | None,
    run_id: str,
    docs_dir: Path | None,
    fingerprint: str,
    parts: int | None = None,
) -> tuple[list[Submission], GateReport]:
    """Validate on the cluster, part by part; the submissions with verdicts and one report.

    Submissions rejected while parsing are not sent (the gate skips them anyway).
    ``parts`` defaults to the cluster's worker threads.
    """
    submissions = list(submissions)
    live = [i for i, s in enumerate(submissions) if not s.is_rejected]
    if parts is None:
        parts = max(1, sum(_connected(runner).nthreads().values()))
    groups = peer_groups()
    split = split_by_peer_group([submissions[i] for i in live], parts, groups)
    history_keys = (
        None if history is None or history.empty else _group_keys(history["unit_key"], groups)
    )
    with ThreadPoolExecutor(max_workers=1) as background:
        # The Data Docs are rendered here; building their GE context (seconds) overlaps
        # the workers' validation instead of following it.
        docs_gate = (
            background.submit(QualityGate, load_catalog(), docs_dir=docs_dir)
            if docs_dir is not None and split
            else None
        )
        futures = []
        for indices in split:
            part = [submissions[live[i]] for i in indices]
            parameters = {
                "payload": _pack((part, _history_of(history, history_keys, part, groups))),
                "run_id": run_id,
                "fingerprint": fingerprint,
            }
            futures.append(_submit(runner, validate_part, parameters))
        reports, results = [], []
        for indices, future in zip(split, futures, strict=True):
            verdicts: PartVerdicts = _unpack(future.result())
            for i, judged in zip(indices, verdicts.submissions, strict=True):
                submissions[live[i]] = judged
            reports.append(verdicts.report)
            results.append(verdicts.results)
        report = merge_reports(reports, submissions)
        if docs_gate is not None:
            started = time.perf_counter()
            report.docs_index = build_docs(docs_gate.result(), results, run_id)
            report.seconds_by_suite["data_docs"] = round(time.perf_counter() - started, 3)
    return submissions, report


def merge_reports(reports: Sequence[GateReport], submissions: list[Submission]) -> GateReport:
    """One report for the night from the parts' reports.

    Counts add up; verdicts by rule and the digest are recomputed over every submission
    of the night (rejected while parsing included), as the gate computes them on one
    machine. Seconds per suite are the slowest part's (parts run side by side).
    """
    merged = GateReport(
        submissions_checked=sum(r.submissions_checked for r in reports),
        submissions_rejected=sum(r.submissions_rejected for r in reports),
        values_checked=sum(r.values_checked for r in reports),
        values_rejected=sum(r.values_rejected for r in reports),
        values_warned=sum(r.values_warned for r in reports),
        issues_by_rule=issues_by_rule(submissions),
        verdict_digest=verdict_digest(submissions),
    )
    for report in reports:
        for suite, seconds in report.seconds_by_suite.items():
            merged.seconds_by_suite[suite] = max(merged.seconds_by_suite.get(suite, 0.0), seconds)
    return merged


def build_docs(gate: QualityGate, results_by_part: Sequence[dict], run_id: str) -> str | None:
    """Render the parts' validation results as one Data Docs site in ``gate.docs_dir``.

    The site is the one ``gate`` builds on one machine, with one validation per part
    and suite (``part-000``, ``part-001``…) instead of one per suite.
    """
    batches = {f"part-{part:03d}": results for part, results in enumerate(results_by_part)}
    return gate.render_docs(batches, run_id)
