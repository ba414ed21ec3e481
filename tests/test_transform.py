"""The arguments of the run's one ``dbt build``."""

from __future__ import annotations

import json
import shutil
import signal
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from flows.domain.reference import write_reference_tables
from flows.settings import DBT_PROJECT_DIR
from flows.warehouse.dbt_build import (
    BACKGROUND_PARSE_MIN_SUBMISSIONS,
    MAX_DELETED_ROW_SHARE,
    RAW_DOWNSTREAM,
    dbt_build_args,
    dbt_state_dir,
    deleted_row_share,
    has_parse_state,
    nightly_build_args,
    nightly_selection,
    project_parsed_meanwhile,
    warehouse_env,
)
from flows.warehouse.publish import build_fingerprint, build_path, published_path
from flows.warehouse.stage import connect, record_run


def test_build_args_use_absolute_project_paths():
    args = dbt_build_args()
    assert args[0] == "build"
    for flag in ("--project-dir", "--profiles-dir", "--target-path", "--log-path"):
        value = Path(args[args.index(flag) + 1])
        assert value.is_absolute(), flag
        assert value == DBT_PROJECT_DIR or value.parent == DBT_PROJECT_DIR
    assert "--threads" not in args
    # Nothing reads dbt's manifest.json or run_results.json; partial parsing keeps its own file.
    assert "--no-write-json" in args
    assert "--no-write-json" not in dbt_build_args(write_json=True)
    # A build of everything recomputes every row of the incremental models too.
    assert "--full-refresh" in args
    assert "--full-refresh" not in dbt_build_args(select=["some_model"])


def test_build_args_can_set_threads_and_project():
    args = dbt_build_args(Path("/srv/chitieu/dbt_project"), threads=2)
    assert args[args.index("--project-dir") + 1] == "/srv/chitieu/dbt_project"
    assert args[args.index("--threads") + 1] == "2"


def test_profiles_reads_the_one_warehouse_setting():
    profiles = (DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8")
    assert "env_var('CHITIEU_WAREHOUSE')" in profiles
    assert "extensions" not in profiles
    # Incremental nights leave deleted rows for a later full rebuild, not for a vacuum.
    assert "max_vacuum_tasks: 0" in profiles


def test_dbt_keeps_its_files_beside_the_warehouse(tmp_path):
    building = tmp_path / "wh" / "warehouse.duckdb.building"
    args = dbt_build_args(state_dir=dbt_state_dir(building))
    assert Path(args[args.index("--target-path") + 1]) == tmp_path / "wh" / "dbt" / "target"
    assert Path(args[args.index("--log-path") + 1]) == tmp_path / "wh" / "dbt" / "logs"
    assert Path(args[args.index("--project-dir") + 1]) == DBT_PROJECT_DIR


def _record_run_with(database: Path, fingerprint: str, night: int) -> None:
    con = connect(database)
    try:
        when = datetime(2026, 1, night)
        record_run(con, fingerprint[:8], when, when, database.parent, 0, {
            "build_fingerprint": fingerprint
        })  # fmt: skip
    finally:
        con.close()


def test_unit_tests_run_when_the_project_changed_since_the_last_build(tmp_path):
    building = tmp_path / "warehouse.duckdb.building"
    assert "--exclude-resource-type" not in nightly_build_args(building)  # first build
    _record_run_with(building, "a project since changed", night=1)
    assert "--exclude-resource-type" not in nightly_build_args(building)
    _record_run_with(building, build_fingerprint(), night=2)
    args = nightly_build_args(building)
    assert args[args.index("--exclude-resource-type") + 1] == "unit_test"
    # Only unit tests are left out: no model, seed or data test is ever deselected.
    assert not {"--select", "--exclude", "--selector", "-s"} & set(args)


def _published_and_build_files(tmp_path: Path, fingerprint: str) -> tuple[Path, Path]:
    """A published warehouse whose last run had ``fingerprint``, and its build file (a copy)."""
    published = tmp_path / "warehouse.duckdb"
    con = connect(published)
    try:
        write_reference_tables(con)
    finally:
        con.close()
    _record_run_with(published, fingerprint, night=1)
    building = build_path(published)
    shutil.copy2(published, building)
    return published, building


def test_only_what_reads_raw_is_rebuilt_when_project_and_reference_data_are_unchanged(tmp_path):
    _, building = _published_and_build_files(tmp_path, build_fingerprint())
    assert published_path(building) == tmp_path / "warehouse.duckdb"
    args = nightly_build_args(building)
    assert args[args.index("--select") + 1 :] == list(RAW_DOWNSTREAM)
    assert "--exclude" not in args
    assert "--full-refresh" not in args  # the one build that may be incremental


def _delete_model_rows(database: Path, live: int, deleted: int) -> None:
    """A model table of ``live + deleted`` rows, ``deleted`` of them deleted but still stored."""
    con = duckdb.connect(str(database))
    try:
        con.execute("set max_vacuum_tasks = 0")  # as dbt's connection (profiles.yml)
        con.execute("create schema if not exists marts")
        con.execute(f"create table marts.fct_example as select range as unit from range({live})")
        con.execute(
            f"insert into marts.fct_example select range from range({live}, {live + deleted})"
        )
        con.execute(f"delete from marts.fct_example where unit >= {live}")
        con.execute("checkpoint")
    finally:
        con.close()


def test_deleted_rows_are_counted_until_a_rebuild_reclaims_them(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    assert deleted_row_share(database) == 0.0  # no file yet
    _delete_model_rows(database, live=4000, deleted=1000)
    assert deleted_row_share(database) == 0.25
    con = duckdb.connect(str(database))
    try:  # what --full-refresh does: a fresh table
        con.execute("create or replace table marts.fct_example as from marts.fct_example")
    finally:
        con.close()
    assert deleted_row_share(database) == 0.0


def test_a_narrow_night_rebuilds_in_full_once_too_many_deleted_rows_are_stored(tmp_path):
    _, building = _published_and_build_files(tmp_path, build_fingerprint())
    _delete_model_rows(building, live=1000, deleted=int(1000 * MAX_DELETED_ROW_SHARE) + 1)
    args = nightly_build_args(building)
    assert args[args.index("--select") + 1 : args.index("--full-refresh")] == list(RAW_DOWNSTREAM)


def test_everything_is_rebuilt_when_the_reference_data_changed(tmp_path):
    _, building = _published_and_build_files(tmp_path, build_fingerprint())
    con = duckdb.connect(str(building))
    try:  # stage_and_refresh wrote a renamed ward tonight
        con.execute(
            "update ref.admin_units set unit_name = unit_name || ' (mới)'"
            " where unit_key = (select min(unit_key) from ref.admin_units)"
        )
    finally:
        con.close()
    assert nightly_selection(building) == []
    args = nightly_build_args(building)
    assert "--select" not in args and "--full-refresh" in args


def test_everything_is_rebuilt_after_a_project_change_or_outside_a_build_file(tmp_path):
    published, building = _published_and_build_files(tmp_path, "a project since changed")
    assert nightly_selection(building) == []
    _record_run_with(published, build_fingerprint(), night=2)
    assert nightly_selection(published) == []  # not a build file: nothing to compare with
    assert published_path(published) is None
    building.unlink()  # chitieu run --full: the build starts empty, no run recorded
    connect(building).close()
    assert nightly_selection(building) == []


def test_the_nightly_selection_keeps_every_data_test_and_table_downstream_of_raw(tmp_path):
    from dbt.cli.main import dbtRunner

    paths = dbt_build_args(state_dir=tmp_path / "dbt")[1:9]  # project, profiles, target, logs
    with warehouse_env(tmp_path / "warehouse.duckdb"):
        manifest = dbtRunner().invoke(["parse", *paths, "--quiet", "--no-write-json"]).result

        def listed(*selection: str) -> set[tuple[str, str]]:
            args = ["ls", *paths, "--quiet", "--select", *selection]
            result = dbtRunner(manifest=manifest).invoke(
                [*args, "--output", "json", "--output-keys", "unique_id", "config"]
            )
            assert result.success, result.exception
            rows = [json.loads(row) for row in result.result]
            return {(row["unique_id"], row["config"].get("materialized", "")) for row in rows}

        downstream = listed("source:raw+")
        selected = listed(*RAW_DOWNSTREAM)
    assert selected <= downstream
    left_out = downstream - selected
    # Only views (and the sources themselves) are left out: every table, every data test.
    assert {materialized for _, materialized in left_out} <= {"view", ""}
    assert all(unique_id.startswith(("model.", "source.")) for unique_id, _ in left_out)
    assert any(unique_id.startswith("test.") for unique_id, _ in selected)


def test_warm_up_parses_for_the_nights_build_without_opening_the_warehouse(tmp_path):
    """chitieu watch parses the project at start, where the night's build will look."""
    from flows.warehouse.dbt_build import warm_up

    warehouse = tmp_path / "warehouse.duckdb"
    warm_up(warehouse)
    assert (dbt_state_dir(build_path(warehouse)) / "target" / "partial_parse.msgpack").is_file()
    assert not warehouse.exists() and not build_path(warehouse).exists()


def test_a_big_night_in_a_new_warehouse_folder_parses_the_project_in_another_process(tmp_path):
    building = build_path(tmp_path / "warehouse.duckdb")
    with project_parsed_meanwhile(building, BACKGROUND_PARSE_MIN_SUBMISSIONS) as project:
        assert project.process is not None
        project.wait()
    assert project.process.returncode == 0
    assert has_parse_state(building)
    assert not building.exists()
    # Parsed once: the next big night's build reads that state (no second process).
    with project_parsed_meanwhile(building, BACKGROUND_PARSE_MIN_SUBMISSIONS) as project:
        assert project.process is None


def test_a_small_night_parses_the_project_in_its_build(tmp_path):
    building = build_path(tmp_path / "warehouse.duckdb")
    with project_parsed_meanwhile(building, BACKGROUND_PARSE_MIN_SUBMISSIONS - 1) as project:
        assert project.process is None
        project.wait()  # nothing to wait for
    assert not has_parse_state(building)


def test_a_parse_still_running_when_the_night_fails_is_stopped(tmp_path):
    building = build_path(tmp_path / "warehouse.duckdb")
    with (
        pytest.raises(RuntimeError, match="validation failed"),
        project_parsed_meanwhile(building, BACKGROUND_PARSE_MIN_SUBMISSIONS) as project,
    ):
        raise RuntimeError("validation failed")
    # Killed, not left to finish: a parse takes seconds, this block ended at once.
    assert project.process.returncode == -signal.SIGKILL
