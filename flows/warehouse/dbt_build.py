"""The one ``dbt build`` of a run, with arguments made by a small, tested function.

dbt keeps its working files (``target/`` with ``partial_parse.msgpack``, and its logs)
beside the warehouse it builds, in ``<warehouse folder>/dbt/``: never in the repository
nor the current directory. One warehouse, one build file path, one profile: dbt's partial
parsing then holds from night to night (a full parse of the project costs several
seconds), and two warehouses on one machine (tests, a second deployment) never share or
overwrite each other's parse state.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flows.settings import DBT_PROJECT_DIR, WAREHOUSE_ENV, quiet_third_party_defaults
from flows.subprocesses import dying_with_parent
from flows.warehouse.publish import (
    build_fingerprint,
    build_path,
    last_build_fingerprint,
    published_path,
)
from flows.warehouse.schema import REF_TABLES


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
    select: Sequence[str] = (),
    write_json: bool = False,
    full_refresh: bool | None = None,
) -> list[str]:
    """Arguments of the run's ``dbt build``: every path absolute, nothing from the cwd.

    ``state_dir`` holds dbt's ``target/`` and ``logs/`` (default: inside the project, for
    a one-off build). ``unit_tests=False`` leaves out dbt's unit tests (models' logic on
    fixed fixture rows) but never a model, a seed or a data test. ``select`` narrows the
    build to dbt selectors (see :func:`nightly_selection`; empty: everything).

    ``full_refresh`` (default: when nothing is selected) recomputes every row of the
    incremental models, which otherwise rebuild only the partitions touched by tonight's
    submissions (``dbt_project/macros/rebuild_by_partition.sql``). Only the narrow nightly
    build may be incremental: it is the one whose other inputs are known unchanged.

    ``write_json=False`` skips ``manifest.json`` and ``run_results.json`` (written twice
    per build, at a cost): nothing of chitieu reads them, and partial parsing keeps its own
    ``partial_parse.msgpack``. Pass ``True`` to inspect a build's per-node timings.
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
        # node, a sizeable share of the build's CPU. At info it still names each node and
        # its result,
        # and errors keep their message and SQL.
        "--log-level-file",
        "info",
        "--quiet",
    ]
    if not write_json:
        args.append("--no-write-json")
    if threads is not None:
        args += ["--threads", str(threads)]
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    if select:
        args += ["--select", *select]
    if not select if full_refresh is None else full_refresh:
        args.append("--full-refresh")
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


# The tables stage_and_refresh rewrites every night from the reference package
# (flows/domain/reference.py): the only inputs of the build besides ``raw`` and the project.
REFERENCE_TABLES = tuple(f"ref.{name}" for name in REF_TABLES)
# Every node that reads, directly or not, the rows a night appends to ``raw``: its tables
# (incremental ones included), its views' data tests and the data tests of the sources
# themselves. Staging views are left out (see :func:`nightly_selection`); their data
# tests are not.
RAW_DOWNSTREAM = (
    "source:raw+,config.materialized:table",
    "source:raw+,config.materialized:incremental",
    "source:raw+,resource_type:test",
)


def reference_digest(database: Path) -> str | None:
    """Digest of the ``ref`` tables' columns and rows in ``database`` (read-only); None if absent.

    Each table's rows are rendered as text (column names, quoted strings, ``NULL``) and
    hashed in sorted order, so the digest depends on the content only, not on the order
    the rows were inserted in. 14k rows: a few hundredths of a second.
    """
    if not database.is_file():
        return None
    con = duckdb.connect(str(database), read_only=True)
    try:
        digest = hashlib.sha256()
        for table in REFERENCE_TABLES:
            schema, name = table.split(".")
            columns = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            if not columns:
                return None
            n_rows, rows_md5 = con.execute(
                "select count(*), md5(coalesce(string_agg(row_text, chr(10) order by row_text),"
                f" '')) from (select cast(t as varchar) as row_text from {table} as t)"
            ).fetchone()
            digest.update(f"{table} {columns} {n_rows} {rows_md5}\n".encode())
        return digest.hexdigest()
    finally:
        con.close()


def same_project_as_last_build(database: Path) -> bool:
    """Whether the build fingerprint (project files, tool versions) is the one of the last
    run recorded in ``database``, i.e. of its last passing build."""
    return last_build_fingerprint(database) == build_fingerprint()


def nightly_selection(database: Path, same_project: bool | None = None) -> list[str]:
    """The dbt selectors of the night's build of ``database``: ``[]`` means every node.

    A build file starts as a copy of the published warehouse, which already holds every
    table of the last passing build. Tonight only two kinds of input can differ from it:
    rows appended to ``raw`` (never updated nor deleted) and the ``ref`` tables rewritten
    from the reference package; the seeds and the models' SQL are project files.

    So when both of these hold, only what reads ``raw`` can change:

    - the build fingerprint (project files incl. seeds, tool versions) equals the one of
      the last run recorded in the build file, i.e. of the published build; and
    - the ``ref`` tables just written have exactly the content (columns and rows, see
      :func:`reference_digest`) of the published warehouse's.

    The seeds, the models that read only seeds and ``ref``, and their data tests then give
    what the published build gave from the very same inputs: it built and tested them, or
    inherited them, by the same argument, from the first passing build under this
    fingerprint, which built everything (a new fingerprint always does). Every table
    downstream of ``source:raw`` is rebuilt and every data test downstream of it runs,
    including tests that also read a seed- or ref-only model (dbt's eager selection).
    The incremental models among them (the big per-unit facts) rebuild only the units of
    the partitions (2025 provinces) that tonight's submissions touched, which gives the
    rows a full build would (``dbt_project/macros/rebuild_by_partition.sql``); every
    other night passes ``--full-refresh`` (:func:`dbt_build_args`).
    Staging views downstream of ``raw`` are not recreated: a view stores its SQL, not
    rows, so the published one already reads tonight's rows, and its SQL is a project
    file, unchanged; their data tests still run on tonight's rows. No model reads the
    clock (``now()``) or any file outside the warehouse.

    Otherwise — a first build, ``chitieu run --full`` (an empty build file: no recorded
    run), a new fingerprint, new reference data, or a ``database`` that is not a build
    file beside a published warehouse — every node runs.

    ``same_project``: whether the fingerprint test above holds, if the caller knows
    (:func:`same_project_as_last_build`); None works it out.
    """
    if same_project is None:
        same_project = same_project_as_last_build(database)
    if not same_project:
        return []
    published = published_path(database)
    if published is None:
        return []
    tonight = reference_digest(database)
    if tonight is None or tonight != reference_digest(published):
        return []
    return list(RAW_DOWNSTREAM)


# The schemas of dbt's tables: the incremental models are among them.
MODEL_SCHEMAS = ("intermediate", "marts")
# An incremental night leaves the rows it deleted in place (profiles.yml: no vacuum). Once
# they are more than this share of the rows still live, the night rebuilds in full instead.
MAX_DELETED_ROW_SHARE = 0.25


def deleted_row_share(database: Path) -> float:
    """Rows deleted but still stored in the model tables of ``database``, per live row.

    DuckDB counts a deleted row in a table's ``estimated_size`` until a vacuum or a
    rewrite of the table drops it; ``count(*)`` counts live rows only. 0 for a missing file.
    """
    if not database.is_file():
        return 0.0
    con = duckdb.connect(str(database), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name, estimated_size from duckdb_tables()"
            " where schema_name in (select unnest(?))",
            [list(MODEL_SCHEMAS)],
        ).fetchall()
        stored = sum(size for _, _, size in tables)
        live = sum(
            con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            for schema, name, _ in tables
        )
    finally:
        con.close()
    return (stored - live) / live if live else 0.0


def nightly_build_args(database: Path) -> list[str]:
    """The night's ``dbt build`` of ``database``: dbt's files beside it; unit tests if needed.

    Models, seeds and data tests: every node that tonight's data can change, see
    :func:`nightly_selection`. dbt's unit tests check the models' SQL on fixed fixture
    rows, so their verdict depends only on the project and the tool versions, which
    :func:`flows.warehouse.publish.build_fingerprint` hashes.
    They run whenever that fingerprint differs from the one of the last run recorded in
    the warehouse. A run is recorded only when its build passed, and the first run under a
    fingerprint (or of ``chitieu run --full``, which starts from an empty build) ran them,
    so a night that skips them relies on a pass of exactly the same unit tests.

    A narrow night rebuilds its incremental models in full (``--full-refresh``) once the
    rows deleted by earlier incremental nights, still stored, exceed
    ``MAX_DELETED_ROW_SHARE`` of the live rows (:func:`deleted_row_share`): the rebuilt
    tables are fresh, which keeps the warehouse file from growing night after night.
    """
    same_project = same_project_as_last_build(database)
    select = nightly_selection(database, same_project)
    return dbt_build_args(
        state_dir=dbt_state_dir(database),
        unit_tests=not same_project,
        select=select,
        full_refresh=not select or deleted_row_share(database) > MAX_DELETED_ROW_SHARE,
    )


def _invoke_dbt(database: Path, args: list[str]):
    """``dbtRunner().invoke(args)`` in this process, with the profile pointed at ``database``.

    dbt's connection is closed afterwards, whatever happened (see release_dbt_connection).
    """
    quiet_third_party_defaults()
    from dbt.cli.main import dbtRunner

    with warehouse_env(database):
        try:
            return dbtRunner().invoke(args)
        finally:
            release_dbt_connection()


def warm_up(warehouse: Path) -> None:
    """Parse the dbt project now, as the next build of ``warehouse`` will (a warm process).

    The first build in a process then starts without parsing: see :func:`parse_project`.
    """
    parse_project(build_path(warehouse))


def parse_project(building: Path) -> None:
    """Parse the dbt project as the builds of ``building`` will, leaving dbt's parse state.

    Same profile, paths and build file as the night's build, so the partial-parse state it
    leaves is the one that build reads. Parsing opens no connection to the warehouse.
    """
    build_args = dbt_build_args(state_dir=dbt_state_dir(building), full_refresh=False)
    args = ["parse", *build_args[1:]]
    result = _invoke_dbt(building, args)
    if result.exception is not None or not result.success:
        raise DbtBuildFailed(f"dbt could not parse the project: {result.exception}")


def has_parse_state(building: Path) -> bool:
    """Whether dbt has parsed the project for ``building`` before (its partial-parse file)."""
    return (dbt_state_dir(building) / "target" / "partial_parse.msgpack").is_file()


# A full parse of the project (no parse state: a new warehouse folder) takes seconds, and
# a process that parses it must first import dbt. It runs beside the night's validation
# and staging, which use one core of two; those last as long as that process only from
# about this many submissions on (2 cores), and a smaller night would wait for it
# (docs/performance.md).
BACKGROUND_PARSE_MIN_SUBMISSIONS = 3000


class ProjectParse:
    """A ``dbt parse`` for the night's build, in a process of its own (see
    :func:`project_parsed_meanwhile`); ``wait`` before the build reads the parse state."""

    def __init__(self, process: subprocess.Popen | None) -> None:
        self.process = process

    def wait(self) -> None:
        """Wait for the parse to end. Its outcome is not checked: a failed parse leaves the
        build to parse the project itself, and to report what is wrong with it."""
        if self.process is not None:
            self.process.wait()

    def stop(self) -> None:
        """Stop the parse if it still runs (the night failed before its build)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextmanager
def project_parsed_meanwhile(building: Path, submissions: int) -> Iterator[ProjectParse]:
    """Parse the dbt project in another process while the block runs, when that pays.

    Only when dbt has no parse state for ``building`` (a new warehouse folder, where the
    build would parse the whole project on the critical path) and the night has at least
    ``BACKGROUND_PARSE_MIN_SUBMISSIONS`` submissions to validate and stage meanwhile.
    The block must call ``wait()`` before the build: two parses must not write dbt's
    parse state at once. A parse still running when the block ends is stopped.
    """
    process = None
    if submissions >= BACKGROUND_PARSE_MIN_SUBMISSIONS and not has_parse_state(building):
        process = subprocess.Popen(
            dying_with_parent(
                [
                    sys.executable,
                    "-c",
                    "import sys; from pathlib import Path;"
                    " from flows.warehouse.dbt_build import parse_project;"
                    " parse_project(Path(sys.argv[1]))",
                    str(building),
                ]
            ),
            # The CLI's stdout carries the run summary; dbt logs to its own file meanwhile.
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    parse = ProjectParse(process)
    try:
        yield parse
    finally:
        parse.stop()


def run_dbt_build(database: Path, args: list[str] | None = None) -> DbtBuildResult:
    """Run ``dbt build`` in-process against ``database``; raise :class:`DbtBuildFailed`.

    Without ``args``, the night's build: :func:`nightly_build_args`.

    A long-lived process (a warm runner) should simply call this every night: once dbt is
    imported and has parsed the project once in the process, its partial parse is quick,
    so keeping the parsed manifest (``dbtRunner(manifest=...)``) would save little, and
    would have to know when the project changed.
    """
    if args is None:
        args = nightly_build_args(database)
    result = _invoke_dbt(database, args)
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
