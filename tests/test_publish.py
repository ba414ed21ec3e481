"""Publishing swaps a finished build in atomically and never touches a failed one."""

from __future__ import annotations

import duckdb

from flows.warehouse.publish import abandon_build, open_build_file, publish, start_build


def _write(path, value):
    con = duckdb.connect(str(path))
    con.execute("CREATE OR REPLACE TABLE t AS SELECT ? AS v", [value])
    con.close()


def _read(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT v FROM t").fetchone()[0]
    finally:
        con.close()


def test_build_starts_from_the_published_history_and_replaces_it(tmp_path):
    published = tmp_path / "wh" / "warehouse.duckdb"
    published.parent.mkdir()
    _write(published, "night 1")
    building = start_build(published)
    assert building != published and _read(building) == "night 1"
    _write(building, "night 2")
    assert _read(published) == "night 1"  # readers still see the last good warehouse
    publish(building, published)
    assert _read(published) == "night 2"
    assert not building.exists()
    assert sorted(p.name for p in published.parent.iterdir()) == ["warehouse.duckdb"]


def test_abandoned_build_leaves_the_published_warehouse(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    _write(published, "good")
    building = start_build(published)
    _write(building, "half built")
    abandon_build(building)
    assert _read(published) == "good"
    assert not building.exists()


def test_first_build_starts_empty(tmp_path):
    published = tmp_path / "new" / "warehouse.duckdb"
    building = start_build(published)
    assert not building.exists() and building.parent.is_dir()


def test_writable_connections_to_a_build_file_never_vacuum(tmp_path):
    from flows.warehouse.stage import connect

    # As dbt's connection (profiles.yml): deleted rows wait for a full rebuild, so that
    # no checkpoint after an incremental night spends seconds compacting the big tables.
    building = tmp_path / "warehouse.duckdb.building"
    for con in (connect(building), open_build_file(building)):
        try:
            setting = con.execute("select current_setting('max_vacuum_tasks')").fetchone()
        finally:
            con.close()
        assert setting == (0,)
