"""``chitieu watch``: a warm process that runs the real flow after each settled change."""

from __future__ import annotations

import os
import shutil
import time

import duckdb
import pytest

from flows.watch import Watcher, changed_paths, landing_snapshot, settled, status_line


def _touch(path, text="x", age_seconds=0.0):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    when = time.time() - age_seconds
    os.utime(path, (when, when))


def test_snapshot_sees_added_replaced_and_removed_files_but_not_lock_files(tmp_path):
    _touch(tmp_path / "nam-2024" / "a.xlsx")
    _touch(tmp_path / "nam-2024" / "b.xlsx")
    _touch(tmp_path / "nam-2024" / "~$a.xlsx")  # Excel's lock file while a clerk edits
    before = landing_snapshot(tmp_path)
    assert set(before) == {"nam-2024/a.xlsx", "nam-2024/b.xlsx"}
    assert changed_paths(before, landing_snapshot(tmp_path)) == set()
    (tmp_path / "nam-2024" / "b.xlsx").unlink()
    _touch(tmp_path / "nam-2024" / "a.xlsx", "corrected")
    _touch(tmp_path / "c.xlsx")
    assert changed_paths(before, landing_snapshot(tmp_path)) == {
        "nam-2024/a.xlsx",
        "nam-2024/b.xlsx",
        "c.xlsx",
    }


def test_a_change_waits_until_it_has_settled(tmp_path):
    # Copies that keep the sender's mtime (cp -p, rsync -t) are old by mtime while still
    # being written: the inode's change time says when they were last written here.
    _touch(tmp_path / "copied.xlsx", age_seconds=3600)
    _touch(tmp_path / "new.xlsx")
    now = landing_snapshot(tmp_path)
    clock = time.time_ns()
    assert not settled(now, {"copied.xlsx"}, 2.0, clock)
    assert not settled(now, {"copied.xlsx", "new.xlsx"}, 2.0, clock)
    assert settled(now, {"copied.xlsx", "new.xlsx"}, 2.0, clock + 3_000_000_000)
    assert settled(now, {"gone.xlsx"}, 2.0, clock)  # a removal has nothing to wait for


@pytest.mark.slow
def test_watcher_publishes_a_correction_from_its_warm_process(
    demo_run, correct_a_demo_value, tmp_path
):
    """The demo's published state, watched: nothing to do, then one ward's correction."""
    raw = tmp_path / "raw"
    shutil.copytree(demo_run["raw_dir"], raw)
    shutil.copytree(demo_run["warehouse"].parent, tmp_path / "warehouse")
    warehouse = tmp_path / "warehouse" / demo_run["warehouse"].name
    records: list[dict] = []
    watcher = Watcher(raw, warehouse, poll_seconds=0, settle_seconds=0, report=records.append)

    caught_up = watcher.run_if_changed()
    assert caught_up["outcome"] == "current" and caught_up["files_seen"] == 51
    assert watcher.run_if_changed() is None  # nothing changed: no night

    unit_key, indicator_code, period_code, corrected_value = correct_a_demo_value(raw)

    watcher.settle_seconds = 3600
    assert watcher.run_if_changed() is None  # just written: not yet settled
    watcher.settle_seconds = 0
    corrected = watcher.run_if_changed()
    assert corrected["outcome"] == "published", corrected
    assert corrected["submissions_loaded"] == 1 and corrected["files_unchanged"] == 50
    assert corrected["wall_seconds"] > 0 and "published in" in status_line(corrected)
    assert watcher.run_if_changed() is None
    assert [r["outcome"] for r in records] == ["current", "published"] and watcher.runs == 2

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        (value,) = con.execute(
            "select value from marts.fct_indicator_value "
            "where unit_key = ? and indicator_code = ? and period_code = ?",
            [unit_key, indicator_code, period_code],
        ).fetchone()
    finally:
        con.close()
    assert value == corrected_value
