"""How long a run's pages are kept: Data Docs and feedback pages older than the setting go.

Every run writes its Great Expectations Data Docs to ``<quality>/docs/<run_id>/`` and the
clerks' pages to ``<quality>/feedback/<run_id>/``; kept forever they would grow with every
night. A run id starts with the UTC time the run started (``20261128T231223-ff3298``), so
a folder's age is read from its name, not from a timestamp a copy or a backup may change.
Folders whose names are not run ids are left alone. What was loaded stays in the
warehouse; the pages are the night's report to people, who read them within days.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

PAGE_FOLDERS = ("docs", "feedback")
_RUN_ID = re.compile(r"^(\d{8}T\d{6})-[0-9a-f]{6}$")


def run_started_at(run_id: str) -> datetime | None:
    """The UTC time a run id was made at, or None for a name that is not a run id."""
    match = _RUN_ID.match(run_id)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def prune_pages(quality_dir: Path, keep_days: int, now: datetime | None = None) -> list[Path]:
    """Remove the run folders of pages older than ``keep_days``; the folders removed."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    removed = []
    for kind in PAGE_FOLDERS:
        folder = quality_dir / kind
        if not folder.is_dir():
            continue
        for run_folder in sorted(folder.iterdir()):
            started = run_started_at(run_folder.name)
            if started is not None and started < cutoff and run_folder.is_dir():
                shutil.rmtree(run_folder, ignore_errors=True)
                removed.append(run_folder)
    return removed
