"""``chitieu status``: the last runs, whether the published warehouse is current, and the space
a warehouse folder takes (archive, pages, warehouse files)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from flows import settings
from flows.warehouse.publish import storage_version_of
from flows.warehouse.receive import NotARegularFile, landing_sha256, scan_landing_folder

RECENT_RUNS = 5


@dataclass
class WarehouseStatus:
    """What an operator needs at a glance."""

    warehouse: str
    published: bool
    published_at: str | None = None
    storage_version: str | None = None  # the DuckDB storage format of the published file
    wanted_storage_version: str = field(default_factory=settings.storage_version)
    landing_files: int = 0
    files_waiting: list[str] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)
    disk_usage: dict[str, int] = field(default_factory=dict)
    error: str | None = None  # why the published warehouse could not be read

    @property
    def is_current(self) -> bool:
        return (
            self.published
            and self.error is None
            and not self.files_waiting
            and self.storage_version == self.wanted_storage_version
        )

    def status_line(self) -> str:
        """One line: current or not, and the last run's outcome."""
        if not self.published:
            return f"{self.warehouse}: not published yet — run `chitieu run`."
        if self.error is not None:
            return (
                f"{self.warehouse}: không đọc được kho dữ liệu / the warehouse cannot be read: "
                f"{self.error}"
            )
        if self.is_current:
            state = "current"
        elif self.files_waiting:
            state = f"NOT current: {len(self.files_waiting)} new or changed files waiting"
        else:
            state = (
                f"NOT current: published as DuckDB storage {self.storage_version}, "
                f"the next run rewrites it as {self.wanted_storage_version}"
            )
        last = self.runs[0] if self.runs else None
        outcome = (
            f"last run {last['run_id']} finished {last['finished_at']}: "
            f"{last['submissions_loaded']} loaded, {last['submissions_rejected']} rejected, "
            f"{last['values_loaded']} values"
            if last
            else "no run recorded"
        )
        return f"{self.warehouse} (DuckDB storage {self.storage_version}): {state}; {outcome}"

    def as_text(self) -> str:
        lines = [self.status_line()]
        for run in self.runs:
            lines.append(
                f"  {run['run_id']}  {run['finished_at']}  files {run['files_seen']:>6}  "
                f"loaded {run['submissions_loaded']:>6}  rejected {run['submissions_rejected']:>4}"
                f"  values {run['values_loaded']:>8}"
            )
        lines += [f"  waiting: {name}" for name in self.files_waiting[:20]]
        if self.disk_usage and self.error is None:
            lines.append(
                "  disk: "
                + ", ".join(f"{name} {_megabytes(size)}" for name, size in self.disk_usage.items())
            )
        return "\n".join(lines)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["is_current"] = self.is_current
        return data


def _landing_hashes(raw_dir: Path) -> dict[str, str]:
    """The content hash of every regular landing file, by the name the warehouse shows.

    Opened as the archive opens them (regular files only, never blocking); a file that
    cannot be read now is left out, as the next night would skip it.
    """
    if not raw_dir.is_dir():
        return {}
    hashes = {}
    for entry in scan_landing_folder(raw_dir):
        try:
            hashes[entry.relative_path] = landing_sha256(entry.path)
        except (OSError, NotARegularFile):  # vanished, unreadable, or not a regular file now
            continue
    return hashes


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def _bytes_under(folder: Path) -> int:
    """The bytes of the regular files under ``folder`` (links not followed)."""
    total = 0
    pending = [folder]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
        except OSError:  # a folder removed or unreadable meanwhile counts as empty
            continue
    return total


def disk_usage(warehouse: Path) -> dict[str, int]:
    """Bytes taken by the archive, the pages (Data Docs, feedback) and the warehouse files."""
    files = [warehouse, *warehouse.parent.glob(f"{warehouse.name}.*")]
    return {
        "archive_bytes": _bytes_under(settings.archive_dir(warehouse)),
        "quality_bytes": _bytes_under(settings.quality_dir(warehouse)),
        "warehouse_bytes": sum(path.stat().st_size for path in files if path.is_file()),
    }


def read_status(warehouse: Path, raw_dir: Path) -> WarehouseStatus:
    """Read the published warehouse (read-only, never blocking a run) and the landing folder.

    A warehouse that cannot be read (damaged, not a DuckDB file, another engine's
    version) gives a status with its ``error``, not an exception.
    """
    status = WarehouseStatus(warehouse=str(warehouse), published=warehouse.exists())
    status.disk_usage = disk_usage(warehouse)
    if not status.published:
        return status
    modified = datetime.fromtimestamp(warehouse.stat().st_mtime, UTC)
    status.published_at = modified.isoformat(timespec="seconds")
    try:
        runs, staged, status.storage_version = _published_runs(warehouse)
    except (duckdb.Error, OSError) as error:
        status.error = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
        return status
    for run_id, finished_at, files_seen, summary_json in runs:
        summary = json.loads(summary_json or "{}")
        status.runs.append(
            {
                "run_id": run_id,
                "finished_at": finished_at.isoformat(timespec="seconds"),
                "files_seen": files_seen,
                "submissions_loaded": summary.get("submissions_loaded", 0),
                "submissions_rejected": summary.get("submissions_rejected", 0),
                "values_loaded": summary.get("values_loaded", 0),
            }
        )
    landing = _landing_hashes(raw_dir)
    status.landing_files = len(landing)
    status.files_waiting = sorted(name for name, sha in landing.items() if sha not in staged)
    return status


def _published_runs(warehouse: Path) -> tuple[list[tuple], set[str], str]:
    """The last runs recorded, the file hashes staged and the storage format, read-only."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        runs = con.execute(
            "select run_id, finished_at, files_seen, summary_json from raw.runs "
            "order by finished_at desc limit ?",
            [RECENT_RUNS],
        ).fetchall()
        staged = {
            row[0] for row in con.execute("select file_sha256 from raw.submissions").fetchall()
        }
        version = storage_version_of(con)
    finally:
        con.close()
    return runs, staged, version
