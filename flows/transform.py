"""The one ``dbt build`` of a run, with arguments made by a small, tested function."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flows.settings import DBT_PROJECT_DIR, WAREHOUSE_ENV, quiet_third_party_defaults


class DbtBuildFailed(RuntimeError):
    """dbt build failed: a model, a data test or a unit test did not pass."""


@dataclass(frozen=True)
class DbtBuildResult:
    """Counts of what the build ran, for the run summary."""

    nodes: int
    tests: int


def dbt_build_args(project_dir: Path = DBT_PROJECT_DIR, threads: int | None = None) -> list[str]:
    """Arguments of the run's ``dbt build``: every path absolute, nothing from the cwd."""
    args = [
        "build",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(project_dir / "target"),
        "--log-path",
        str(project_dir / "logs"),
        "--quiet",
    ]
    if threads is not None:
        args += ["--threads", str(threads)]
    return args


@contextmanager
def warehouse_env(database: Path) -> Iterator[None]:
    """Point profiles.yml's ``env_var('CHITIEU_WAREHOUSE')`` at ``database`` for one call."""
    previous = os.environ.get(WAREHOUSE_ENV)
    os.environ[WAREHOUSE_ENV] = str(database)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(WAREHOUSE_ENV, None)
        else:
            os.environ[WAREHOUSE_ENV] = previous


def release_dbt_connection() -> None:
    """Close the DuckDB connection dbt-duckdb keeps open after ``invoke`` returns.

    dbt-duckdb holds its environment (and an exclusive lock on the file) in a class
    attribute for the life of the process. Left open, it would keep the build file
    locked after it is published, and readers of the new warehouse would be refused.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
    if environment is not None:
        environment.close()


def run_dbt_build(database: Path, args: list[str] | None = None) -> DbtBuildResult:
    """Run ``dbt build`` in-process against ``database``; raise :class:`DbtBuildFailed`."""
    quiet_third_party_defaults()
    from dbt.cli.main import dbtRunner

    with warehouse_env(database):
        try:
            result = dbtRunner().invoke(args or dbt_build_args())
        finally:
            release_dbt_connection()
    if result.exception is not None:
        raise DbtBuildFailed(f"dbt build could not run: {result.exception}") from result.exception
    node_results = list(result.result or [])
    failed = [
        f"{r.node.resource_type} {r.node.name}: {r.status} {r.message or ''}".strip()
        for r in node_results
        if str(r.status) in {"error", "fail", "runtime error"}
    ]
    if not result.success or failed:
        raise DbtBuildFailed("dbt build failed: " + "; ".join(failed or ["see dbt logs"]))
    tests = sum(str(r.node.resource_type) in {"test", "unit_test"} for r in node_results)
    return DbtBuildResult(nodes=len(node_results), tests=tests)
