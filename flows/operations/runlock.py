"""One run at a time, and a lock that a killed run cannot leave behind.

The lock is an advisory ``flock`` on a file beside the warehouse. The kernel drops
it when the holding process ends, however it ends (``kill -9`` included), so a
stale lock from a killed run never blocks the next night. The file keeps the
holder's pid and start time only to tell a second run who is busy.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


class RunInProgress(RuntimeError):
    """Another run holds the lock on this warehouse."""


# Locks this process holds: the CLI takes the lock before starting Prefect (so a second
# run exits at once), and the flow takes it again for scheduled runs.
_held: set[Path] = set()


@contextmanager
def run_lock(lock_file: Path) -> Iterator[None]:
    """Hold the warehouse's run lock for the duration, or raise :class:`RunInProgress`."""
    lock_file = lock_file.resolve()
    if lock_file in _held:
        yield
        return
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    # Owner only, like everything in the warehouse folder (flows/warehouse/access.py).
    descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    os.fchmod(descriptor, 0o600)  # a lock file left by an older version may be 0644
    handle = os.fdopen(descriptor, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RunInProgress(
                f"Another chitieu run is already working on this warehouse ({holder}); "
                "this run did nothing. Try again when it has finished."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "started_at": datetime.now(UTC).isoformat()}))
        handle.flush()
        _held.add(lock_file)
        try:
            yield
        finally:
            _held.discard(lock_file)
    finally:
        handle.close()  # closing the descriptor releases the flock
