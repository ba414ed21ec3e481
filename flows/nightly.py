"""The nightly pipeline: landing folder → validated submissions → published warehouse.

Each step reads as load → validate → save:

1. discover the files in the landing folder (content-hashed);
2. parse every sheet into a submission and resolve its unit;
3. validate the night's submissions with Great Expectations;
4. stage accepted values, rejections and issues in the build copy of the warehouse;
5. refresh reference data and run the one ``dbt build``;
6. publish the build atomically, and report.

Prefect runs against ``PREFECT_API_URL`` when it is set, and otherwise starts a
temporary local server by itself. Only I/O steps are retried.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from flows import progress, settings
from flows.domain.catalog import load_catalog
from flows.domain.reference import write_reference_tables
from flows.operations import distributed
from flows.operations.runlock import run_lock
from flows.quality.feedback import write_run_feedback
from flows.quality.history import published_values
from flows.quality.retention import prune_pages
from flows.quality.validate import GateReport, QualityGate, warm_up
from flows.reading.parse import read_all
from flows.reading.submission import FileReading, LandedFile, Submission
from flows.warehouse.access import private_files, restrict_warehouse_folder
from flows.warehouse.dbt_build import project_parsed_meanwhile, run_dbt_build
from flows.warehouse.publish import (
    PublishedState,
    abandon_build,
    build_fingerprint,
    build_path,
    publish,
    published_state,
    start_build,
)
from flows.warehouse.receive import (
    ArchivedFile,
    ArchiveWriteError,
    archived_sha256s,
    clear_incoming,
    read_manifest,
    receive,
)
from flows.warehouse.stage import StageCounts, connect, record_run, stage_submissions


def retry_on_io_error(task, task_run, state) -> bool:
    """Retry a task only when it failed on I/O; a logic error would fail again."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


# Prefect's default cache policy hashes every task input; a night's submissions are
# large, and hashing them cost more than the work itself. Runs are never cached.
cpu_task = task(cache_policy=NO_CACHE)
io_task = task(
    cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1, retry_condition_fn=retry_on_io_error
)


@dataclass
class RunSummary:
    """What a run did, for the operator's screen, ``raw.runs`` and scripts."""

    run_id: str
    raw_dir: str
    warehouse: str
    full: bool = False
    outcome: str = "failed"  # 'published', or 'current' when nothing new had to be built
    build_fingerprint: str | None = None
    files_seen: int = 0
    files_unchanged: int = 0
    submissions_read: int = 0
    submissions_loaded: int = 0
    submissions_rejected: int = 0
    values_loaded: int = 0
    values_rejected: int = 0
    values_warned: int = 0
    unmapped_rows: int = 0
    hidden_sheets_skipped: int = 0
    sheets_without_table: int = 0
    dbt_nodes: int = 0
    seconds_by_stage: dict[str, float] = field(default_factory=dict)
    rejections: list[dict] = field(default_factory=list)
    issues_by_rule: dict[str, int] = field(default_factory=dict)  # 'severity:rule' → count
    verdict_digest: str = ""  # same submissions, same verdicts, same digest
    quality_docs: str | None = None  # GE Data Docs index.html of this run
    feedback_index: str | None = None  # the clerks' feedback pages of this run
    seconds_by_suite: dict[str, float] = field(default_factory=dict)
    dask_address: str | None = None  # the cluster that parsed and validated, or None: here
    # Landing entries not received (not a regular file, unreadable): {'file', 'reason'}.
    files_skipped: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # for the operator (a damaged manifest…)
    archive_missing: int = 0  # staged files whose archived copy is gone (--full only)
    allow_missing_archive: bool = False  # --full may proceed without them

    def status_line(self) -> str:
        """One line for the operator."""
        if self.outcome == "current":
            return (
                f"chitieu run {self.run_id}: {self.files_seen} files, none new or changed; "
                f"the published warehouse is current → {self.warehouse}"
            )
        return (
            f"chitieu run {self.run_id}: {self.files_seen} files "
            f"({self.files_unchanged} unchanged), "
            f"{self.submissions_loaded} submissions loaded, "
            f"{self.submissions_rejected} rejected, "
            f"{self.values_loaded} values loaded, {self.unmapped_rows} unmapped rows "
            f"in {sum(self.seconds_by_stage.values()):.1f} s → {self.warehouse}"
        )

    def as_text(self) -> str:
        """The one-screen summary: counts, rejections with reasons, time per stage."""
        lines = [self.status_line()]
        lines.append(
            f"  sheets skipped: {self.hidden_sheets_skipped} hidden, "
            f"{self.sheets_without_table} without an indicator table; "
            f"values rejected: {self.values_rejected}, loaded with warnings: {self.values_warned}"
        )
        for rejection in self.rejections:
            sheet = f" [{rejection['sheet']}]" if rejection["sheet"] else ""
            lines.append(f"  rejected {rejection['file']}{sheet}: {rejection['reason']}")
        lines += [f"  skipped {skip['file']}: {skip['reason']}" for skip in self.files_skipped]
        lines += [f"  warning: {warning}" for warning in self.warnings]
        stages = ", ".join(f"{name} {secs:.2f}s" for name, secs in self.seconds_by_stage.items())
        lines.append(f"  time per stage: {stages}")
        if self.dask_address:
            lines.append(f"  parsed and validated on the Dask cluster {self.dask_address}")
        if self.quality_docs:
            lines.append(f"  data quality report: {self.quality_docs}")
        if self.feedback_index:
            lines.append(f"  feedback for clerks: {self.feedback_index}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return asdict(self)


@contextmanager
def _timed(summary: RunSummary, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        summary.seconds_by_stage[stage] = round(time.perf_counter() - started, 3)
        if stage != "parse":  # parsing draws its own bar, file by file
            progress.note(f"{stage:<10} done in {summary.seconds_by_stage[stage]:.1f} s")


@io_task
def receive_files(raw_dir: Path, archive_root: Path, summary: RunSummary) -> list[LandedFile]:
    """Copy every new or changed landing file into the archive; parse only archived bytes.

    The archived copy is hashed while it is written, so what is parsed is exactly what
    was hashed, even if a clerk overwrites the landing file meanwhile. A file archived
    on an earlier night and untouched since (same ``stat`` fingerprint) is not read again:
    see :func:`flows.warehouse.receive.receive`. A landing entry that cannot be received
    (not a regular file, unreadable) is skipped with a note; the night goes on.
    """
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"Landing folder {raw_dir} does not exist")
    clear_incoming(archive_root)
    receipt = receive(raw_dir, archive_root)
    not_stored = [skipped for skipped in receipt.skipped if skipped.origin == "archive"]
    if not_stored:
        # The archive itself failed (a full disk): the machine needs its operator, and a
        # night that published without these files would look complete.
        raise ArchiveWriteError(
            f"the archive could not store {len(not_stored)} files, e.g. "
            f"{not_stored[0].relative_path}: {not_stored[0].reason_en}"
        )
    summary.files_skipped = [
        {"file": skipped.relative_path, "reason": f"{skipped.reason_vi} / {skipped.reason_en}"}
        for skipped in receipt.skipped
    ]
    summary.warnings.extend(receipt.warnings)
    return [_landed(archived) for archived in receipt.archived]


def _landed(archived: ArchivedFile) -> LandedFile:
    return LandedFile(
        path=archived.archived_path,
        relative_path=archived.relative_path,
        sha256=archived.sha256,
        size_bytes=archived.size_bytes,
        received_at=archived.received_at,
    )


@io_task
def read_published_state(warehouse: Path) -> PublishedState:
    """What the published warehouse already holds (read-only: never blocks its readers)."""
    return published_state(warehouse)


@cpu_task
def parse_files(files: list[LandedFile], summary: RunSummary) -> list[Submission]:
    """Parse every file into submissions and resolve each sheet's unit, on every core.

    The process pool lives inside this one task: Prefect's per-task overhead (and its
    process runner's temporary servers) would cost more than parsing a file.
    """
    return _count_readings(read_all(files, once_workers_started=_prepare_gate_meanwhile), summary)


def _prepare_gate_meanwhile() -> None:
    """Import GE and build the gate's context on a thread while the parse workers run.

    Importing GE is most of a small night's validation; the parent process only waits
    for the workers' results meanwhile. Started only after the workers have forked.
    """
    threading.Thread(target=warm_up, name="chitieu-gate-warm-up", daemon=True).start()


def _count_readings(readings: list[FileReading], summary: RunSummary) -> list[Submission]:
    """The night's submissions, counting skipped sheets and unmapped rows on the way."""
    submissions: list[Submission] = []
    for reading in readings:
        summary.hidden_sheets_skipped += len(reading.hidden_sheets)
        summary.sheets_without_table += len(reading.sheets_without_table)
        submissions.extend(reading.submissions)
    summary.submissions_read = len(submissions)
    summary.unmapped_rows = sum(len(s.unmapped_rows) for s in submissions)
    return submissions


def parse_on_cluster(
    runner, files: list[LandedFile], summary: RunSummary, chunk_size: int
) -> list[Submission]:
    """Parse on the Dask cluster, one Prefect task per chunk of ``chunk_size`` files."""
    started = time.perf_counter()
    readings = distributed.read_on_cluster(
        runner, files, chunk_size, summary.build_fingerprint or ""
    )
    progress.note(f"{'parse':<10} done on the cluster in {time.perf_counter() - started:.1f} s")
    return _count_readings(readings, summary)


def _history(summary: RunSummary, warehouse: Path, unit_keys=None):
    """The published values outliers are judged against; none on a full rebuild.

    ``unit_keys``: read only these units' values (the ones the night's checks can use).
    """
    # A full rebuild judges every archived file on its own, as on the night it came.
    return None if summary.full else published_values(warehouse, unit_keys)


def _docs_dir(summary: RunSummary, warehouse: Path) -> Path:
    """Where this run's GE Data Docs go."""
    return settings.quality_dir(warehouse) / "docs" / summary.run_id


@cpu_task
def validate_submissions(
    submissions: list[Submission], summary: RunSummary, warehouse: Path
) -> None:
    """Run the Great Expectations gate; verdicts are recorded on the submissions.

    The published warehouse is read (read-only, before the build starts) for each
    unit's history and its peers; Data Docs of the run go to
    ``<quality_dir>/docs/<run_id>/``.
    """
    gate = QualityGate(load_catalog(), docs_dir=_docs_dir(summary, warehouse))
    history = _history(summary, warehouse, gate.units_compared_with(submissions))
    report = gate.check(submissions, history=history, run_id=summary.run_id)
    _record_gate(summary, report)


def validate_on_cluster(
    runner, submissions: list[Submission], summary: RunSummary, warehouse: Path
) -> list[Submission]:
    """Run the gate on the Dask cluster, in parts holding whole peer groups.

    The workers send the submissions back with their verdicts: the returned list
    replaces the one given. Data Docs of the run are rendered here, beside the warehouse.
    """
    judged, report = distributed.validate_on_cluster(
        runner,
        submissions,
        history=_history(summary, warehouse),
        run_id=summary.run_id,
        docs_dir=_docs_dir(summary, warehouse),
        fingerprint=summary.build_fingerprint or "",
    )
    _record_gate(summary, report)
    return judged


def _record_gate(summary: RunSummary, report: GateReport) -> None:
    """Copy the gate's report (one machine's or the cluster's merged one) into the summary."""
    summary.values_rejected = report.values_rejected
    summary.values_warned = report.values_warned
    summary.issues_by_rule = report.issues_by_rule
    summary.verdict_digest = report.verdict_digest
    summary.quality_docs = report.docs_index
    summary.seconds_by_suite = report.seconds_by_suite


@io_task
def stage_and_refresh(
    building: Path, submissions: list[Submission], summary: RunSummary
) -> StageCounts:
    """Append the night's submissions to ``raw`` and refresh ``ref`` in the build file."""
    con = connect(building)
    try:
        counts = stage_submissions(con, submissions, summary.run_id, datetime.now(UTC))
        write_reference_tables(con)
    finally:
        con.close()
    return counts


@io_task
def write_feedback_pages(
    submissions: list[Submission], counts: StageCounts, summary: RunSummary, warehouse: Path
) -> None:
    """One page per new submission for the clerk who sent it, and an index."""
    new = [s for s in submissions if s.submission_id in counts.new_submission_ids]
    if not new:
        return
    out_dir = settings.quality_dir(warehouse) / "feedback" / summary.run_id
    write_run_feedback(new, out_dir)
    summary.feedback_index = str(out_dir / "index.html")


@cpu_task
def build_marts(building: Path) -> int:
    """Run the one ``dbt build`` of the run against the build file.

    Every node tonight's data can change, or everything when the project, the tools or
    the reference data changed (:func:`~flows.warehouse.dbt_build.nightly_selection`); dbt's
    unit tests when the project or the tools changed
    (:func:`~flows.warehouse.dbt_build.nightly_build_args`).
    """
    return run_dbt_build(building).nodes


@io_task
def publish_warehouse(building: Path, warehouse: Path) -> None:
    """Swap the finished build in for the published warehouse, atomically."""
    publish(building, warehouse)


def _record_outcomes(summary: RunSummary, submissions: list[Submission], counts: StageCounts):
    """Count this run's new submissions; ones staged on earlier nights are only counted."""
    new = [s for s in submissions if s.submission_id in counts.new_submission_ids]
    summary.values_loaded = counts.values_staged
    summary.submissions_loaded = sum(not s.is_rejected for s in new)
    summary.submissions_rejected = sum(s.is_rejected for s in new)
    summary.rejections = [
        {"file": s.file.relative_path, "sheet": s.source_sheet, "reason": s.rejection.message}
        for s in new
        if s.rejection is not None
    ]


def _unique_contents(files: list[LandedFile]) -> list[LandedFile]:
    """One file per content: the same bytes under two names are one submission."""
    unique: dict[str, LandedFile] = {}
    for landed in sorted(files, key=lambda f: (f.received_at, f.relative_path)):
        unique.setdefault(landed.sha256, landed)
    return sorted(unique.values(), key=lambda f: f.relative_path)


def _to_parse(
    received: list[LandedFile], archive_root: Path, state: PublishedState, full: bool
) -> list[LandedFile]:
    """New or changed contents; with ``full``, every file ever archived."""
    if full:
        received = received + [_landed(a) for a in read_manifest(archive_root)]
        return _unique_contents(received)
    return [f for f in _unique_contents(received) if f.sha256 not in state.staged_sha256s]


class ArchiveIncomplete(RuntimeError):
    """``--full`` would rebuild from an archive that lost files the warehouse holds."""

    def __init__(self, missing: list[str]) -> None:
        more = f" … (+{len(missing) - 20})" if len(missing) > 20 else ""
        shown = ", ".join(missing[:20]) + more
        super().__init__(
            f"Kho lưu trữ thiếu {len(missing)} tệp mà kho dữ liệu đang có; dựng lại toàn bộ "
            "sẽ làm mất chúng (dùng --allow-missing-archive nếu chấp nhận). / The archive "
            f"lacks {len(missing)} files the published warehouse holds; a full rebuild would "
            f"drop them (pass --allow-missing-archive to accept that): {shown}"
        )
        self.missing = missing


def _history_for_a_full_rebuild(summary: RunSummary, warehouse: Path) -> PublishedState:
    """What the published warehouse holds, for ``--full`` to check its archive against.

    ``--full`` is also how a damaged warehouse is rebuilt: one that cannot be read gives
    an empty history (nothing to check against) and a warning, not a failed night.
    """
    try:
        return read_published_state(warehouse)
    except duckdb.Error as error:
        summary.warnings.append(
            "the published warehouse could not be read "
            f"({type(error).__name__}: {str(error).splitlines()[0][:200]}); --full rebuilds "
            "it from the archive alone, without checking the archive against it"
        )
        return PublishedState()


def _check_archive_holds_the_history(
    summary: RunSummary, archive_root: Path, state: PublishedState
) -> None:
    """Refuse a full rebuild that would silently publish less than the warehouse holds."""
    missing = sorted(
        state.staged_files[sha] for sha in state.staged_sha256s - archived_sha256s(archive_root)
    )
    summary.archive_missing = len(missing)
    if missing and not summary.allow_missing_archive:
        raise ArchiveIncomplete(missing)
    if missing:
        summary.warnings.append(
            f"--full without {len(missing)} files the archive lost (--allow-missing-archive)"
        )


@flow(name="chitieu-nightly", log_prints=False)
def nightly_pipeline(
    raw_dir: str | None = None,
    warehouse: str | None = None,
    full: bool = False,
    dask_address: str | None = None,
    dask_chunk_size: int | None = None,
    allow_missing_archive: bool = False,
) -> dict:
    """Run the whole pipeline once: landing folder ``raw_dir`` → published ``warehouse``.

    Only new or changed files are parsed; a night with none (and no change to the dbt
    project) rebuilds nothing. ``full`` rebuilds the warehouse from every archived file.
    ``dask_address`` (``tcp://host:8786``, default ``$CHITIEU_DASK_ADDRESS``) parses and
    validates on that Dask cluster, ``dask_chunk_size`` files per task (default
    ``$CHITIEU_DASK_CHUNK_SIZE``, else 64); the rest of the run stays here, and the
    result is the same as a run here. ``allow_missing_archive``: let ``full`` rebuild even
    when the archive lost files the published warehouse holds (refused otherwise).

    What the run writes is readable by its owner only, or also by the reader group
    (``$CHITIEU_READER_GROUP``): :mod:`flows.warehouse.access`.
    """
    dask_address = dask_address or settings.dask_address()
    chunk_size = dask_chunk_size or distributed.chunk_size_setting()
    logger = get_run_logger()
    started_at = datetime.now(UTC)
    raw_path = Path(raw_dir).resolve() if raw_dir else settings.raw_dir()
    warehouse_path = Path(warehouse).resolve() if warehouse else settings.warehouse_path()
    summary = RunSummary(
        run_id=started_at.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
        raw_dir=str(raw_path),
        warehouse=str(warehouse_path),
        full=full,
        dask_address=dask_address,
        allow_missing_archive=allow_missing_archive,
    )
    restrict_warehouse_folder(warehouse_path.parent)
    with (
        private_files(),
        run_lock(settings.lock_path(warehouse_path)),
        distributed.cluster_runner(dask_address) as cluster,
    ):
        _run_night(summary, raw_path, warehouse_path, started_at, cluster, chunk_size)
        # Pages past their retention go; the warehouse keeps what they reported.
        prune_pages(settings.quality_dir(warehouse_path), settings.retention_days())
    logger.info(summary.status_line())
    return summary.as_dict()


def _run_night(
    summary: RunSummary,
    raw_path: Path,
    warehouse: Path,
    started_at: datetime,
    cluster=None,
    chunk_size: int = distributed.DEFAULT_CHUNK_SIZE,
):
    """The night's steps; ``cluster`` (a started ``DaskTaskRunner``) parses and validates."""
    archive_root = settings.archive_dir(warehouse)
    with _timed(summary, "receive"):
        received = receive_files(raw_path, archive_root, summary)
    summary.files_seen = len(received)
    if summary.full:
        state = _history_for_a_full_rebuild(summary, warehouse)
        _check_archive_holds_the_history(summary, archive_root, state)
    else:
        state = read_published_state(warehouse)
        summary.files_unchanged = sum(f.sha256 in state.staged_sha256s for f in received)
    to_parse = _to_parse(received, archive_root, state, summary.full)
    summary.build_fingerprint = build_fingerprint()
    if (
        not summary.full
        and not to_parse
        and summary.build_fingerprint == state.build_fingerprint
        and state.storage_version == settings.storage_version()
    ):
        summary.outcome = "current"
        return
    with _timed(summary, "parse"):
        if cluster is None:
            submissions = parse_files(quote(to_parse), summary)
        else:
            submissions = parse_on_cluster(cluster, to_parse, summary, chunk_size)
    # A new warehouse folder: dbt parses its project beside validation and staging, and
    # the build waits for it.
    with project_parsed_meanwhile(build_path(warehouse), len(submissions)) as project:
        with _timed(summary, "validate"):
            if cluster is None:
                validate_submissions(quote(submissions), summary, warehouse)
            else:
                submissions = validate_on_cluster(cluster, submissions, summary, warehouse)
        building = start_build(warehouse, from_scratch=summary.full)
        try:
            with _timed(summary, "stage"):
                counts = stage_and_refresh(building, quote(submissions), summary)
            _record_outcomes(summary, submissions, counts)
            with _timed(summary, "feedback"):
                write_feedback_pages(quote(submissions), counts, summary, warehouse)
            with _timed(summary, "dbt_build"):
                project.wait()
                summary.dbt_nodes = build_marts(building)
            summary.outcome = "published"
            con = connect(building)
            try:
                record_run(
                    con,
                    summary.run_id,
                    started_at.replace(tzinfo=None),
                    datetime.now(UTC).replace(tzinfo=None),
                    raw_path,
                    summary.files_seen,
                    summary.as_dict(),
                )
            finally:
                con.close()
            with _timed(summary, "publish"):
                publish_warehouse(building, warehouse)
        except BaseException:
            abandon_build(building)
            raise
