"""Publishing swaps a finished build in atomically and never touches a failed one."""

from __future__ import annotations

import duckdb
import pytest

from flows import settings
from flows.warehouse.publish import (
    abandon_build,
    open_build_file,
    publish,
    start_build,
    storage_version_of,
)


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


def _storage_version(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return storage_version_of(con)
    finally:
        con.close()


def _relations(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select table_schema, table_name, table_type from information_schema.tables"
            " order by all"
        ).fetchall()
    finally:
        con.close()


def test_first_build_starts_empty_in_the_publishing_storage_format(tmp_path):
    published = tmp_path / "new" / "warehouse.duckdb"
    building = start_build(published)
    assert _relations(building) == []
    assert _storage_version(building) == settings.DEFAULT_STORAGE_VERSION


@pytest.mark.parametrize("version", settings.STORAGE_VERSIONS)
def test_every_night_publishes_in_the_format_of_the_setting(tmp_path, monkeypatch, version):
    monkeypatch.setenv(settings.STORAGE_VERSION_ENV, version)
    published = tmp_path / "warehouse.duckdb"
    for night in ("night 1", "night 2"):  # a new build file, then a copy of the published
        building = start_build(published)
        _write(building, night)
        publish(building, published)
        assert _storage_version(published) == version
        assert _read(published) == night


def test_a_warehouse_in_another_format_is_rewritten_once_with_everything_in_it(
    tmp_path, monkeypatch
):
    """A warehouse an older chitieu published as v2.0.0, or a changed setting: the next
    publish writes every schema, table, view and value in the setting's format."""
    published = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(published), config={"storage_compatibility_version": "v2.0.0"})
    con.execute("create schema raw")
    con.execute("create table raw.runs as select range as n, 'đêm ' || range as s from range(5000)")
    con.execute("create schema marts")
    con.execute("create view marts.v as select n, s from raw.runs where n % 2 = 0")
    con.close()
    before = _relations(published)
    building = start_build(published)
    assert _storage_version(building) == "v2.0.0"  # a copy keeps its format …
    publish(building, published)
    assert _storage_version(published) == settings.DEFAULT_STORAGE_VERSION  # … until publish
    assert _relations(published) == before
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert con.execute("select count(*), max(s) from marts.v").fetchone() == (2500, "đêm 998")
    finally:
        con.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]


@pytest.mark.parametrize("value", ["v1.3.0", "v1.1.0", "latest", "2.0"])
def test_the_setting_refuses_a_format_not_offered(monkeypatch, value):
    monkeypatch.setenv(settings.STORAGE_VERSION_ENV, value)
    with pytest.raises(ValueError, match=r"CHITIEU_STORAGE_VERSION must be one of v1\.0\.0"):
        settings.storage_version()


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
