"""``chitieu watch``: one long-lived process that runs a night whenever the landing folder changes.

A ``chitieu run`` pays, every time, for what does not depend on the night: importing
Prefect, Great Expectations and dbt, starting Prefect's temporary server, building the
GE context and the unit resolver. A night with one corrected file is mostly that. The
watcher pays it once, at start, and keeps it warm: each later night costs only its
own work, so a ward's correction is in the published warehouse within seconds.

It runs the same flow as ``chitieu run`` (same Prefect flow, same lock, same archive,
same atomic publish), in this process, whenever the landing folder has changed since
the last run and every changed file has settled (no write for ``settle_seconds``, as
the archive requires before it trusts a file's ``stat``). At start it runs once, to catch
up with what arrived while it was not running. ``chitieu serve`` (the cron deployment)
and ``chitieu watch`` can serve the same warehouse: the run lock lets one work at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from flows import settings
from flows.operations import warmup
from flows.warehouse.receive import SETTLED_NANOSECONDS, scan_landing_folder

DEFAULT_POLL_SECONDS = 5.0
# The archive trusts a file's stat once it was not written for this long: so does the watcher.
DEFAULT_SETTLE_SECONDS = SETTLED_NANOSECONDS / 1e9

# relative path → (size, mtime_ns, ctime_ns): enough to see that a file was added,
# replaced, rewritten or removed without reading it.
Snapshot = dict[str, tuple[int, int, int]]


def landing_snapshot(raw_dir: Path) -> Snapshot:
    """What the landing folder holds now, by ``stat`` only (the files the pipeline would see)."""
    return {
        landed.relative_path: (
            landed.stat.st_size,
            landed.stat.st_mtime_ns,
            landed.stat.st_ctime_ns,
        )
        for landed in scan_landing_folder(raw_dir)
    }


def changed_paths(before: Snapshot, now: Snapshot) -> set[str]:
    """Paths added, changed or removed since ``before``."""
    return {p for p in before.keys() | now.keys() if before.get(p) != now.get(p)}


def settled(now: Snapshot, paths: set[str], settle_seconds: float, clock_ns: int) -> bool:
    """True when no file among ``paths`` was written in the last ``settle_seconds``."""
    newest = max((max(now[p][1], now[p][2]) for p in paths if p in now), default=0)
    return clock_ns - newest >= settle_seconds * 1e9


def warm_up(warehouse: Path) -> None:
    """Build, once, what every night needs and ``chitieu run`` pays each time.

    The GE context and suites, dbt's parsed project, the catalog and the unit resolver.
    (Prefect, its temporary server and the libraries' imports: ``warmup.cold_process_ready``.)
    """
    from flows.quality import validate
    from flows.reading.parse import reader_state
    from flows.warehouse import dbt_build

    reader_state()
    validate.warm_up()
    dbt_build.warm_up(warehouse)


@dataclass
class Watcher:
    """Runs the nightly flow in this process each time the landing folder settles changed."""

    raw_dir: Path
    warehouse: Path
    poll_seconds: float = DEFAULT_POLL_SECONDS
    settle_seconds: float = DEFAULT_SETTLE_SECONDS
    report: Callable[[dict], None] = field(default=lambda record: None)
    runs: int = 0
    _last_run_snapshot: Snapshot | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        """Stop after the night in progress (or now, if between nights)."""
        self._stop.set()

    def run_forever(self, max_runs: int | None = None) -> None:
        """Poll the landing folder and run a night after each settled change."""
        while not self._stop.is_set() and (max_runs is None or self.runs < max_runs):
            self.run_if_changed()
            self._stop.wait(self.poll_seconds)

    def run_if_changed(self) -> dict | None:
        """Run a night if the folder changed since the last run and has settled; its record."""
        now = landing_snapshot(self.raw_dir)
        if self._last_run_snapshot is None:  # the first night catches up with everything
            changed = set(now)
        else:
            changed = changed_paths(self._last_run_snapshot, now)
            if not changed:
                return None
        if not settled(now, changed, self.settle_seconds, time.time_ns()):
            return None
        record = self.run_night()
        # A file changed while the night ran is seen (and run) on a later poll: the
        # snapshot is the one the night started from, not the folder after it.
        self._last_run_snapshot = now
        return record

    def run_night(self) -> dict:
        """One night of the flow in this process: the run summary, with when it ran."""
        from flows.nightly import nightly_pipeline
        from flows.operations.runlock import RunInProgress, run_lock

        started = time.time()
        record: dict = {"started_at_epoch": started}
        try:
            with run_lock(settings.lock_path(self.warehouse)):
                record.update(
                    nightly_pipeline(raw_dir=str(self.raw_dir), warehouse=str(self.warehouse))
                )
        except RunInProgress as busy:
            record.update({"outcome": "busy", "error": str(busy)})
        except Exception as error:  # the watcher outlives a failed night, like cron would
            record.update({"outcome": "failed", "error": f"{type(error).__name__}: {error}"})
        record["finished_at_epoch"] = time.time()
        record["wall_seconds"] = round(record["finished_at_epoch"] - started, 2)
        self.runs += 1
        self.report(record)
        return record


def status_line(record: dict) -> str:
    """One line per night for the operator's log: when, how long, and the run's status line."""
    from flows.nightly import RunSummary

    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record["finished_at_epoch"]))
    outcome = record["outcome"]
    if outcome in {"busy", "failed"}:
        return f"{when} {outcome}: {record['error']}"
    summary = RunSummary(**{f.name: record[f.name] for f in fields(RunSummary)})
    return f"{when} {outcome} in {record['wall_seconds']:.1f} s: {summary.status_line()}"


def watch(
    raw_dir: Path,
    warehouse: Path,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    as_json: bool = False,
    max_runs: int | None = None,
) -> int:
    """``chitieu watch``: warm up, then run a night after each settled change until stopped."""
    settings.quiet_third_party_defaults()

    def report(record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False) if as_json else status_line(record)
        print(line, flush=True)

    watcher = Watcher(raw_dir, warehouse, poll_seconds, settle_seconds, report)
    # A service manager stops us with SIGTERM: finish the night in progress, then exit.
    signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
    started = time.perf_counter()
    with warmup.cold_process_ready():  # the server lives as long as the watcher
        warm_up(warehouse)
        print(
            f"chitieu watch: ready in {time.perf_counter() - started:.1f} s (pid {os.getpid()}); "
            f"watching {raw_dir} every {poll_seconds:g} s → {warehouse}",
            file=sys.stderr,
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the watch, not an error
            watcher.run_forever(max_runs)
    return 0
