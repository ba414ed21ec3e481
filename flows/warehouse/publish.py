"""Build the next warehouse beside the published one, then swap it in atomically.

DuckDB allows one writer or many readers, and a reader blocks a writer. So a run
never opens the published file for writing: it copies it to a build file, does all
its work there, checkpoints and closes it, then ``os.replace``-s it over the
published file. Readers see the old warehouse or the new one, never a half-built one.

The published file is written in the storage format of ``$CHITIEU_STORAGE_VERSION``
(flows/settings.py), which the DuckDB engines bundled by BI tools read. A new build file
is created in that format and a copied one keeps it; only a warehouse published in
another format (by an older chitieu, or before the setting changed) is rewritten once,
at publish.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import duckdb

from flows.settings import DBT_PROJECT_DIR, storage_version
from flows.warehouse.access import restrict_file

_BUILD_INPUTS = ("models", "macros", "seeds", "dbt_project.yml", "profiles.yml")
# The tools whose upgrade can change what the same project builds, or a test's verdict.
_BUILD_TOOLS = ("dbt-core", "dbt-duckdb", "duckdb")


_BUILD_SUFFIX = ".building"


def build_path(published: Path) -> Path:
    """Where the next warehouse is built: beside the published one, same file system."""
    return published.with_name(published.name + _BUILD_SUFFIX)


def published_path(building: Path) -> Path | None:
    """The published warehouse that ``building`` is the build file of (:func:`build_path`).

    None for a file that is not a build file.
    """
    name = building.name
    if not name.endswith(_BUILD_SUFFIX) or name == _BUILD_SUFFIX:
        return None
    return building.with_name(name.removesuffix(_BUILD_SUFFIX))


def start_build(published: Path, from_scratch: bool = False) -> Path:
    """A build file holding everything published so far (the append-only history).

    With ``from_scratch`` the build starts empty: ``chitieu run --full`` re-stages every
    archived file. A build file left by a killed run is discarded first.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    building = build_path(published)
    abandon_build(building)
    try:
        if published.exists() and not from_scratch:
            shutil.copy2(published, building)
        else:
            open_build_file(building).close()  # created in the publishing storage format
    except BaseException:  # a full disk, an interrupt: no half copy is left behind
        abandon_build(building)
        raise
    return building


@dataclass(frozen=True)
class PublishedState:
    """What the published warehouse already holds, read before a run builds the next one."""

    staged_sha256s: frozenset[str] = field(default_factory=frozenset)
    build_fingerprint: str | None = None
    storage_version: str | None = None  # as DuckDB names the published file's format
    # One name each staged content arrived under (the first in file order), for messages.
    staged_files: dict[str, str] = field(default_factory=dict)


def published_state(published: Path) -> PublishedState:
    """Read the published warehouse read-only: file hashes staged, and the last build's inputs."""
    if not published.exists():
        return PublishedState()
    con = duckdb.connect(str(published), read_only=True)
    try:
        if not _has_table(con, "raw.submissions"):
            return PublishedState()
        staged_files = dict(
            con.execute(
                "select file_sha256, min(source_file) from raw.submissions group by file_sha256"
            ).fetchall()
        )
        fingerprint = _last_build_fingerprint(con)
        version = storage_version_of(con)
    finally:
        con.close()
    return PublishedState(frozenset(staged_files), fingerprint, version, staged_files)


def last_build_fingerprint(database: Path) -> str | None:
    """The build fingerprint of the last run recorded in ``database`` (read-only), if any.

    A run is recorded only once its ``dbt build`` has passed, so this names a project
    (and tool versions) whose models and tests all passed in this warehouse's history.
    """
    if not database.exists():
        return None
    con = duckdb.connect(str(database), read_only=True)
    try:
        return _last_build_fingerprint(con)
    finally:
        con.close()


def storage_version_of(con: duckdb.DuckDBPyConnection) -> str:
    """The storage format of the database ``con`` opened, as the setting names it: ``v1.0.0``."""
    # DuckDB tags a file with the oldest release that reads it: 'v1.0.0+'.
    tags = con.execute(
        "select tags from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]
    return tags["storage_version"].removesuffix("+")


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    tables = {
        row[0]
        for row in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    }
    return name in tables


def _last_build_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    if not _has_table(con, "raw.runs"):
        return None
    last = con.execute(
        "select summary_json from raw.runs order by finished_at desc limit 1"
    ).fetchone()
    return json.loads(last[0]).get("build_fingerprint") if last else None


def build_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """A hash of everything dbt builds from (models, macros, seeds, config, tool versions).

    When no file arrived and this has not changed, a night has nothing to rebuild; while
    it has not changed, dbt's unit tests (fixed fixtures, no warehouse data) cannot give
    another verdict than on the night it last changed.
    """
    digest = hashlib.sha256()
    for tool in _BUILD_TOOLS:
        digest.update(f"{tool}=={version(tool)}\n".encode())
    for name in _BUILD_INPUTS:
        root = project_dir / name
        paths = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in paths:
            if path.is_file():
                digest.update(path.relative_to(project_dir).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


# An incremental night's dbt build deletes a partition's rows and appends them again. The
# next checkpoint of any writable connection would then compact ("vacuum") every row group
# of the 12 big tables, a large share of a one-file night. So the build file is never
# vacuumed, by dbt (its profile sets the same) or here; a narrow night rebuilds in full
# once deleted rows pass a share of the live ones (dbt_build.deleted_row_share).
BUILD_FILE_CONFIG = {"max_vacuum_tasks": 0}


def open_build_file(building: Path) -> duckdb.DuckDBPyConnection:
    """A writable connection to a build file; its checkpoints never vacuum (see above).

    A file it creates is in the publishing storage format; an existing file keeps its own.
    """
    config = {**BUILD_FILE_CONFIG, "storage_compatibility_version": storage_version()}
    return duckdb.connect(str(building), config=config)


def publish(building: Path, published: Path) -> None:
    """Checkpoint the build file and atomically replace the published warehouse with it.

    A build file in another storage format than the setting's is first rewritten in it.
    """
    if not building.is_file():
        # duckdb.connect would create an empty database here, and publish it.
        raise FileNotFoundError(f"Build file {building} is missing; nothing was published")
    wanted = storage_version()
    con = open_build_file(building)
    try:
        con.execute("CHECKPOINT")
        written = storage_version_of(con)
    finally:
        con.close()
    if written != wanted:
        _rewrite_in_format(building, wanted)
    restrict_file(building)  # a copy of the last warehouse keeps its mode: readers only
    os.replace(building, published)


def _rewrite_in_format(building: Path, version: str) -> None:
    """Replace ``building`` with a copy of every schema, table and view in ``version``."""
    rewritten = building.with_name(building.name + ".rewrite")
    abandon_build(rewritten)
    try:
        con = duckdb.connect()
        try:
            con.execute(f"attach {_sql_text(building)} as source (read_only)")
            con.execute(f"attach {_sql_text(rewritten)} as rewritten (storage_version '{version}')")
            con.execute("copy from database source to rewritten")
            con.execute("detach rewritten")
        finally:
            con.close()
        os.replace(rewritten, building)
    finally:
        abandon_build(rewritten)


def _sql_text(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def abandon_build(building: Path) -> None:
    """Remove a build file after a failure; the published warehouse stays as it was.

    DuckDB keeps beside a database its write-ahead log and, when a query spills, a
    temporary folder: both go too.
    """
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(building.with_name(building.name + ".tmp"), ignore_errors=True)
