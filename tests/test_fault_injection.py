"""Faults injected into real nights (issue #21): a full disk, and ``kill -9`` at random
points; then a normal night must publish exactly what a clean run publishes.

The clean run lands the demo's end-of-term files and its bad files on night one, the
rest on night two (as ``tests/test_operations.py`` does). Each faulty sequence starts from
the same night one, meets its fault on night two, and runs night two again; its
``fct_indicator_value`` and ``rpt_submission_status`` must then equal the clean run's,
column by column, leaving out run ids and times. ``tests/test_operations.py`` kills a run
once its archive has grown and once its build copy exists, and compares row counts; here
the kill falls at seeded random moments within each stage (only the main process is
killed: its workers and Prefect's temporary server must die with it), and the content is
compared.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.generators.hostile_night import (
    content_differences,
    kill_survivors,
    published_content,
    run_cli,
    start_cli,
    wait_for_survivors,
)
from tools.demo import generate_demo

pytestmark = pytest.mark.slow

FIRST_NIGHT = ("tong-ket-2015-2020", "loi")
SECOND_NIGHT = ("so-ket-2020-2025", "nam-2024", "nam-2025")
# Where to kill night two: (what starts the clock, delay range in seconds, the stages the
# kill must fall in). The clock starts when a copy appears in the archive's staging
# ("archiving"), when Prefect logs a task as finished (the stage after it has begun), or
# at the start of the command (None).
KILL_POINTS = {
    "receive": ("archiving", 0.0, 0.0, {"receive_files"}),
    "parse": ("receive_files", 0.0, 0.2, {"read_published_state", "parse_files"}),
    "validate": ("parse_files", 0.0, 0.3, {"validate_submissions"}),
    "dbt": ("write_feedback_pages", 0.5, 6.0, {"build_marts"}),
    "anywhere": (None, 2.0, 20.0, None),
}
STAGES = (
    "receive_files",
    "read_published_state",
    "parse_files",
    "validate_submissions",
    "stage_and_refresh",
    "write_feedback_pages",
    "build_marts",
    "publish_warehouse",
)
SEED = 2109
# A full disk: night two gets this much room beyond what night one left on the disk:
# its new files fit in the archive, a copy of the warehouse to build on does not.
ROOM_FOR_THE_ARCHIVE = 3 << 20


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory):
    source = tmp_path_factory.mktemp("fault_demo")
    generate_demo(source)
    return source


def _land(source: Path, raw: Path, folders: tuple[str, ...]) -> None:
    for folder in folders:
        shutil.copytree(source / folder, raw / folder, dirs_exist_ok=True)


def _night(raw: Path, warehouse: Path, **kw):
    return run_cli("run", "--raw-dir", raw, "--warehouse", warehouse, watch=warehouse, **kw)


@pytest.fixture(scope="module")
def clean(demo_source, tmp_path_factory):
    """Two clean nights: the state after night one, and what night two publishes."""
    root = tmp_path_factory.mktemp("fault_clean")
    raw, warehouse = root / "raw", root / "wh" / "warehouse.duckdb"
    _land(demo_source, raw, FIRST_NIGHT)
    first = _night(raw, warehouse)
    assert first.returncode == 0, first.explain()
    shutil.copytree(warehouse.parent, root / "after_night_one")
    _land(demo_source, raw, SECOND_NIGHT)
    second = _night(raw, warehouse)
    assert second.returncode == 0, second.explain()
    return {"after_night_one": root / "after_night_one", "content": published_content(warehouse)}


def _leftovers(warehouse: Path) -> list[str]:
    folder = warehouse.parent
    return sorted(
        str(path.relative_to(folder))
        for pattern in ("warehouse.duckdb.building*", "archive/.incoming-*")
        for path in folder.glob(pattern)
    )


def _reason_part(stderr: str) -> str:
    """What ``chitieu run`` printed itself, after Prefect's log of the failure."""
    return stderr.rsplit("chitieu run failed", 1)[-1]


# ------------------------------------------------------------------ kill -9


class _Watcher:
    """Drains a run's log, noting each Prefect task that finished, and can wait for one."""

    FINISHED = re.compile(r"Task run '(\w+?)-\w+' - Finished")

    def __init__(self, process: subprocess.Popen) -> None:
        self.finished: list[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen) -> None:
        for raw_line in process.stderr:
            match = self.FINISHED.search(raw_line.decode("utf-8", "replace"))
            if match:
                with self.changed:
                    self.finished.append(match.group(1))
                    self.changed.notify_all()

    def wait_for(self, task: str, timeout: float = 300) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: task in self.finished, timeout)

    def running(self) -> str:
        """The stage the night is in: the first not finished yet."""
        with self.changed:
            return next((stage for stage in STAGES if stage not in self.finished), "done")


def _wait_for_archiving(archive: Path, process: subprocess.Popen, timeout: float = 300) -> bool:
    """Until a landing file is being copied into the archive (a staging copy exists)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if archive.is_dir() and any(archive.glob(".incoming-*")):
            return True
        time.sleep(0.001)
    return False


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_kill_9_then_a_normal_night_publishes_what_a_clean_run_does(
    point, demo_source, clean, tmp_path
):
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "warehouse.duckdb"
    shutil.copytree(clean["after_night_one"], warehouse.parent)
    _land(demo_source, raw, FIRST_NIGHT + SECOND_NIGHT)
    published_before = warehouse.read_bytes()
    trigger, low, high, stages = KILL_POINTS[point]
    delay = random.Random(f"{SEED}:{point}").uniform(low, high)

    process, tag = start_cli(
        *("run", "--raw-dir", raw, "--warehouse", warehouse), stdout=subprocess.DEVNULL
    )
    try:
        watcher = _Watcher(process)
        if trigger == "archiving":
            assert _wait_for_archiving(warehouse.parent / "archive", process), "no archiving"
        elif trigger is not None:
            assert watcher.wait_for(trigger), f"{trigger} never finished"
        time.sleep(delay)
        killed = process.poll() is None
        running = watcher.running()
        if killed:
            os.kill(process.pid, signal.SIGKILL)  # the main process only
        process.wait(60)
        survivors = wait_for_survivors(tag, warehouse)
    finally:
        if process.poll() is None:  # the test failed before its kill: leave nothing behind
            os.killpg(process.pid, signal.SIGKILL)
        kill_survivors(tag, warehouse)
    assert killed, f"night two ended before the kill at {point} + {delay:.2f} s"
    assert stages is None or running in stages, f"killed in {running}, not in {stages}"
    assert survivors == [], "\n".join(survivors)
    if warehouse.read_bytes() != published_before:  # killed after its atomic swap: complete
        assert not content_differences(published_content(warehouse), clean["content"])

    again = _night(raw, warehouse)
    assert again.returncode == 0, again.explain()
    assert again.survivors == [], again.survivors
    assert _leftovers(warehouse) == []
    differences = content_differences(published_content(warehouse), clean["content"])
    assert not differences, "\n".join(differences)


# ------------------------------------------------------------------ a full disk


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of its own (root only), unmounted afterwards whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = _mount("-t", "tmpfs", "-o", "size=256m,mode=0755", "tmpfs", str(mount_point))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _resize(mount_point: Path, size_bytes: int) -> None:
    resized = _mount("-o", f"remount,size={size_bytes // 1024}k", str(mount_point))
    assert resized.returncode == 0, resized.stderr


def test_a_full_disk_fails_the_night_cleanly_and_the_next_catches_up(
    small_disk, demo_source, clean, tmp_path
):
    raw, warehouse = tmp_path / "raw", small_disk / "wh" / "warehouse.duckdb"
    _land(demo_source, raw, FIRST_NIGHT)
    first = _night(raw, warehouse)
    assert first.returncode == 0, first.explain()
    _land(demo_source, raw, SECOND_NIGHT)
    published_before = (warehouse.read_bytes(), warehouse.stat().st_mtime_ns)

    used = shutil.disk_usage(small_disk).used
    _resize(small_disk, used + ROOM_FOR_THE_ARCHIVE)
    full = _night(raw, warehouse)
    assert full.returncode == 1, full.explain()
    assert "Traceback" not in _reason_part(full.stderr), full.explain()
    assert (warehouse.read_bytes(), warehouse.stat().st_mtime_ns) == published_before
    assert _leftovers(warehouse) == []
    assert full.survivors == [], full.survivors

    _resize(small_disk, 512 << 20)
    again = _night(raw, warehouse)
    assert again.returncode == 0, again.explain()
    differences = content_differences(published_content(warehouse), clean["content"])
    assert not differences, "\n".join(differences)
