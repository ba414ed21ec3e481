"""What a run writes stays private, old pages go, and ``status`` reads what it can.

Real files and folders, the real umask and group of this process; the nights themselves
are tested through the CLI in tests/test_attacks.py.
"""

from __future__ import annotations

import grp
import os
import stat
from datetime import UTC, datetime

import duckdb
import pytest

from flows.operations.status import disk_usage, read_status
from flows.quality.retention import prune_pages, run_started_at
from flows.warehouse.access import (
    UnknownReaderGroup,
    private_files,
    restrict_warehouse_folder,
)
from flows.warehouse.publish import abandon_build, build_path, publish, start_build


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def no_reader_group(monkeypatch):
    monkeypatch.delenv("CHITIEU_READER_GROUP", raising=False)


@pytest.fixture
def own_group(monkeypatch):
    """The reader group set to this process's own group, so chgrp is allowed."""
    name = grp.getgrgid(os.getegid()).gr_name
    monkeypatch.setenv("CHITIEU_READER_GROUP", name)
    return os.getegid()


def test_the_warehouse_folder_and_what_is_created_in_it_are_the_owners(tmp_path, no_reader_group):
    folder = tmp_path / "warehouse"
    restrict_warehouse_folder(folder)
    with private_files():
        (folder / "page.html").write_text("x")
        (folder / "docs").mkdir()
        duckdb.connect(str(folder / "w.duckdb")).close()
    assert _mode(folder) == 0o700
    assert _mode(folder / "page.html") == 0o600
    assert _mode(folder / "docs") == 0o700
    assert _mode(folder / "w.duckdb") & 0o077 == 0


def test_a_reader_group_may_read_but_never_everyone(tmp_path, own_group):
    folder = tmp_path / "warehouse"
    restrict_warehouse_folder(folder)
    with private_files():
        (folder / "page.html").write_text("x")
        (folder / "docs").mkdir()
    assert _mode(folder) == 0o2750 and os.stat(folder).st_gid == own_group
    assert _mode(folder / "page.html") == 0o640
    assert _mode(folder / "docs") & 0o007 == 0 and _mode(folder / "docs") & 0o050 == 0o050


def test_an_unknown_reader_group_is_named_in_the_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CHITIEU_READER_GROUP", "no-such-group-chitieu")
    with pytest.raises(UnknownReaderGroup, match="CHITIEU_READER_GROUP"):
        restrict_warehouse_folder(tmp_path / "warehouse")


def test_the_umask_is_given_back_after_the_night(tmp_path, no_reader_group):
    before = os.umask(0o022)
    try:
        with private_files():
            pass
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(before)


def test_a_warehouse_published_from_a_copy_loses_the_copys_old_mode(tmp_path, no_reader_group):
    published = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(published)).close()
    os.chmod(published, 0o644)  # published before the warehouse was private
    building = start_build(published)
    assert _mode(building) == 0o644  # the copy keeps its source's mode…
    publish(building, published)
    assert _mode(published) == 0o600  # …and publishing gives it the owner's only


def test_a_copy_that_fails_leaves_no_build_file(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    published.mkdir()  # copying a folder as a file fails, as a full disk would mid-copy
    with pytest.raises(OSError):
        start_build(published)
    assert not build_path(published).exists()


def test_abandoning_a_build_removes_its_log_and_spill_folder(tmp_path):
    building = build_path(tmp_path / "warehouse.duckdb")
    building.write_text("x")
    building.with_name(building.name + ".wal").write_text("x")
    spill = building.with_name(building.name + ".tmp")
    spill.mkdir()
    (spill / "block").write_text("x")
    abandon_build(building)
    assert list(tmp_path.iterdir()) == []


def test_pages_older_than_the_retention_go_and_others_stay(tmp_path):
    now = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)
    kept, old, foreign = "20261201T020000-abc123", "20260801T020000-def456", "not-a-run"
    for kind in ("docs", "feedback"):
        for name in (kept, old, foreign):
            (tmp_path / kind / name).mkdir(parents=True)
            (tmp_path / kind / name / "index.html").write_text("x")
    removed = prune_pages(tmp_path, keep_days=90, now=now)
    assert sorted(path.relative_to(tmp_path).as_posix() for path in removed) == [
        f"docs/{old}",
        f"feedback/{old}",
    ]
    assert {path.name for path in (tmp_path / "docs").iterdir()} == {kept, foreign}
    assert prune_pages(tmp_path / "absent", keep_days=1, now=now) == []


def test_a_run_id_tells_when_the_run_started():
    assert run_started_at("20261128T231223-ff3298") == datetime(
        2026, 11, 28, 23, 12, 23, tzinfo=UTC
    )
    assert run_started_at("20261128T231223") is None
    assert run_started_at("../../etc") is None


def test_status_counts_the_space_of_archive_pages_and_warehouse(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(b"w" * 1000)
    (tmp_path / "warehouse.duckdb.wal").write_bytes(b"l" * 10)
    (tmp_path / "archive" / "ab").mkdir(parents=True)
    (tmp_path / "archive" / "ab" / "blob").write_bytes(b"a" * 300)
    (tmp_path / "quality" / "docs" / "run").mkdir(parents=True)
    (tmp_path / "quality" / "docs" / "run" / "index.html").write_bytes(b"q" * 20)
    assert disk_usage(warehouse) == {
        "archive_bytes": 300,
        "quality_bytes": 20,
        "warehouse_bytes": 1010,
    }


def test_status_of_a_damaged_warehouse_is_a_reason_not_a_traceback(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(b"this is not a DuckDB database" * 200)
    status = read_status(warehouse, tmp_path / "raw")
    assert status.error and "IO" in status.error
    assert not status.is_current
    assert "cannot be read" in status.status_line()
