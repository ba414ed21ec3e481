"""The arguments of the run's one ``dbt build``."""

from __future__ import annotations

from pathlib import Path

from flows.settings import DBT_PROJECT_DIR
from flows.transform import dbt_build_args


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
