"""The arguments of the run's one ``dbt build``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flows.load import connect, record_run
from flows.publish import build_fingerprint
from flows.settings import DBT_PROJECT_DIR
from flows.transform import dbt_build_args, dbt_state_dir, nightly_build_args


def test_build_args_use_absolute_project_paths():
    args = dbt_build_args()
    assert args[0] == "build"
    for flag in ("--project-dir", "--profiles-dir", "--target-path", "--log-path"):
        value = Path(args[args.index(flag) + 1])
        assert value.is_absolute(), flag
        assert value == DBT_PROJECT_DIR or value.parent == DBT_PROJECT_DIR
    assert "--threads" not in args


def test_build_args_can_set_threads_and_project():
    args = dbt_build_args(Path("/srv/chitieu/dbt_project"), threads=2)
    assert args[args.index("--project-dir") + 1] == "/srv/chitieu/dbt_project"
    assert args[args.index("--threads") + 1] == "2"


def test_profiles_reads_the_one_warehouse_setting():
    profiles = (DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8")
    assert "env_var('CHITIEU_WAREHOUSE')" in profiles
    assert "extensions" not in profiles


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
