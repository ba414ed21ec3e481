"""The one ``dbt build`` of a run, with arguments made by a small, tested function.

dbt keeps its working files (``target/`` with ``partial_parse.msgpack``, and its logs)
beside the warehouse it builds, in ``<warehouse folder>/dbt/``: never in the repository
nor the current directory. One warehouse, one build file path, one profile: dbt's partial
parsing then holds from night to night (a full parse of the project costs several
seconds), and two warehouses on one machine (tests, a second deployment) never share or
overwrite each other's parse state.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flows.publish import build_fingerprint, last_build_fingerprint
from flows.settings import DBT_PROJECT_DIR, WAREHOUSE_ENV, quiet_third_party_defaults


class DbtBuildFailed(RuntimeError):
    """dbt build failed: a model, a data test or a unit test did not pass."""


@dataclass(frozen=True)
class DbtBuildResult:
    """Counts of what the build ran, for the run summary."""

    nodes: int
    tests: int


def dbt_state_dir(database: Path) -> Path:
    """Where dbt keeps its target and logs for ``database``: ``<its folder>/dbt``.

    The build file sits beside the published warehouse, so both share one folder.
    """
    return Path(database).resolve().parent / "dbt"


def dbt_build_args(
    project_dir: Path = DBT_PROJECT_DIR,
    threads: int | None = None,
    state_dir: Path | None = None,
    unit_tests: bool = True,
) -> list[str]:
    """Arguments of the run's ``dbt build``: every path absolute, nothing from the cwd.

    ``state_dir`` holds dbt's ``target/`` and ``logs/`` (default: inside the project, for
    a one-off build). ``unit_tests=False`` leaves out dbt's unit tests (models' logic on
    fixed fixture rows) but never a model, a seed or a data test.
    """
    state = project_dir if state_dir is None else state_dir
    args = [
        "build",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(state / "target"),
        "--log-path",
        str(state / "logs"),
        # dbt's file log at its default level (debug) writes every statement of every
        # node: ~15 % of the build's CPU. At info it still names each node and its result,
        # and errors keep their message and SQL.
        "--log-level-file",
        "info",
        "--quiet",
    ]
    if threads is not None:
        args += ["--threads", str(threads)]
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
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


def nightly_build_args(database: Path) -> list[str]:
    """The night's ``dbt build`` of ``database``: dbt's files beside it; unit tests if needed.

    Every model, seed and data test runs every night: the data changed. dbt's unit tests
    check the models' SQL on fixed fixture rows, so their verdict depends only on the
    project and the tool versions, which :func:`flows.publish.build_fingerprint` hashes.
    They run whenever that fingerprint differs from the one of the last run recorded in
    the warehouse. A run is recorded only when its build passed, and the first run under a
    fingerprint (or of ``chitieu run --full``, which starts from an empty build) ran them,
    so a night that skips them relies on a pass of exactly the same unit tests.
    """
    unit_tests = last_build_fingerprint(database) != build_fingerprint()
    return dbt_build_args(state_dir=dbt_state_dir(database), unit_tests=unit_tests)


def run_dbt_build(database: Path, args: list[str] | None = None) -> DbtBuildResult:
    """Run ``dbt build`` in-process against ``database``; raise :class:`DbtBuildFailed`.

    Without ``args``, the night's build: :func:`nightly_build_args`.
    """
    quiet_third_party_defaults()
    if args is None:
        args = nightly_build_args(database)
    from dbt.cli.main import dbtRunner

    with warehouse_env(database):
        try:
            result = dbtRunner().invoke(args)
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
