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

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task

from flows import settings
from flows.catalog import load_catalog
from flows.load import StageCounts, connect, record_run, stage_submissions
from flows.publish import abandon_build, publish, start_build
from flows.reference import load_reference, write_reference_tables
from flows.submission import LandedFile, Submission, file_sha256, read_submissions
from flows.transform import run_dbt_build
from flows.units import UnitResolver
from flows.validate import QualityGate

IGNORED_NAME_PREFIXES = (".", "~$")  # hidden files and Office lock files are not submissions


def retry_on_io_error(task, task_run, state) -> bool:
    """Retry a task only when it failed on I/O; a logic error would fail again."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


io_task = task(retries=2, retry_delay_seconds=1, retry_condition_fn=retry_on_io_error)


@dataclass
class RunSummary:
    """What a run did, for the operator's screen, ``raw.runs`` and scripts."""

    run_id: str
    raw_dir: str
    warehouse: str
    files_seen: int = 0
    submissions_read: int = 0
    submissions_loaded: int = 0
    submissions_rejected: int = 0
    submissions_already_loaded: int = 0
    values_loaded: int = 0
    values_rejected: int = 0
    unmapped_rows: int = 0
    hidden_sheets_skipped: int = 0
    sheets_without_table: int = 0
    dbt_nodes: int = 0
    seconds_by_stage: dict[str, float] = field(default_factory=dict)
    rejections: list[dict] = field(default_factory=list)

    def status_line(self) -> str:
        """One line for the operator."""
        return (
            f"chitieu run {self.run_id}: {self.files_seen} files, "
            f"{self.submissions_loaded} submissions loaded, "
            f"{self.submissions_rejected} rejected, "
            f"{self.submissions_already_loaded} already loaded, "
            f"{self.values_loaded} values loaded, {self.unmapped_rows} unmapped rows "
            f"in {sum(self.seconds_by_stage.values()):.1f} s → {self.warehouse}"
        )

    def as_text(self) -> str:
        """The one-screen summary: counts, rejections with reasons, time per stage."""
        lines = [self.status_line()]
        lines.append(
            f"  sheets skipped: {self.hidden_sheets_skipped} hidden, "
            f"{self.sheets_without_table} without an indicator table; "
            f"values rejected: {self.values_rejected}"
        )
        for rejection in self.rejections:
            sheet = f" [{rejection['sheet']}]" if rejection["sheet"] else ""
            lines.append(f"  rejected {rejection['file']}{sheet}: {rejection['reason']}")
        stages = ", ".join(f"{name} {secs:.2f}s" for name, secs in self.seconds_by_stage.items())
        lines.append(f"  time per stage: {stages}")
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


def _is_candidate(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(IGNORED_NAME_PREFIXES)


@io_task
def discover_files(raw_dir: Path) -> list[LandedFile]:
    """Every file under the landing folder, with its content hash and arrival time."""
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"Landing folder {raw_dir} does not exist")
    landed = []
    for path in sorted(p for p in raw_dir.rglob("*") if _is_candidate(p)):
        stat = path.stat()
        landed.append(
            LandedFile(
                path=path,
                relative_path=path.relative_to(raw_dir).as_posix(),
                sha256=file_sha256(path),
                size_bytes=stat.st_size,
                received_at=datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None),
            )
        )
    return landed


@task
def parse_files(files: list[LandedFile], summary: RunSummary) -> list[Submission]:
    """Parse every file into submissions and resolve each sheet's unit."""
    catalog = load_catalog()
    resolver = UnitResolver(load_reference())
    submissions: list[Submission] = []
    for landed in files:
        reading = read_submissions(landed, catalog, resolver)
        summary.hidden_sheets_skipped += len(reading.hidden_sheets)
        summary.sheets_without_table += len(reading.sheets_without_table)
        submissions.extend(reading.submissions)
    summary.submissions_read = len(submissions)
    summary.unmapped_rows = sum(len(s.unmapped_rows) for s in submissions)
    return submissions


@task
def validate_submissions(submissions: list[Submission], summary: RunSummary) -> None:
    """Run the Great Expectations gate; verdicts are recorded on the submissions."""
    report = QualityGate(load_catalog()).check(submissions)
    summary.values_rejected = report.values_rejected


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


@task
def build_marts(building: Path) -> int:
    """Run the one ``dbt build`` of the run against the build file."""
    return run_dbt_build(building).nodes


@io_task
def publish_warehouse(building: Path, warehouse: Path) -> None:
    """Swap the finished build in for the published warehouse, atomically."""
    publish(building, warehouse)


def _record_outcomes(summary: RunSummary, submissions: list[Submission], counts: StageCounts):
    """Count this run's new submissions; ones staged on earlier nights are only counted."""
    new = [s for s in submissions if s.submission_id in counts.new_submission_ids]
    summary.submissions_already_loaded = counts.submissions_already_staged
    summary.values_loaded = counts.values_staged
    summary.submissions_loaded = sum(not s.is_rejected for s in new)
    summary.submissions_rejected = sum(s.is_rejected for s in new)
    summary.rejections = [
        {"file": s.file.relative_path, "sheet": s.source_sheet, "reason": s.rejection.message}
        for s in new
        if s.rejection is not None
    ]


@flow(name="chitieu-nightly", log_prints=False)
def nightly_pipeline(raw_dir: str | None = None, warehouse: str | None = None) -> dict:
    """Run the whole pipeline once: landing folder ``raw_dir`` → published ``warehouse``."""
    logger = get_run_logger()
    started_at = datetime.now(UTC)
    raw_path = Path(raw_dir).resolve() if raw_dir else settings.raw_dir()
    warehouse_path = Path(warehouse).resolve() if warehouse else settings.warehouse_path()
    summary = RunSummary(
        run_id=started_at.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
        raw_dir=str(raw_path),
        warehouse=str(warehouse_path),
    )
    with _timed(summary, "discover"):
        files = discover_files(raw_path)
    summary.files_seen = len(files)
    with _timed(summary, "parse"):
        submissions = parse_files(files, summary)
    with _timed(summary, "validate"):
        validate_submissions(submissions, summary)
    building = start_build(warehouse_path)
    try:
        with _timed(summary, "stage"):
            counts = stage_and_refresh(building, submissions, summary)
        _record_outcomes(summary, submissions, counts)
        with _timed(summary, "dbt_build"):
            summary.dbt_nodes = build_marts(building)
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
            publish_warehouse(building, warehouse_path)
    except BaseException:
        abandon_build(building)
        raise
    logger.info(summary.status_line())
    return summary.as_dict()
