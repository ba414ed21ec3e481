"""Build the next warehouse beside the published one, then swap it in atomically.

DuckDB allows one writer or many readers, and a reader blocks a writer. So a run
never opens the published file for writing: it copies it to a build file, does all
its work there, checkpoints and closes it, then ``os.replace``-s it over the
published file. Readers see the old warehouse or the new one, never a half-built one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb


def build_path(published: Path) -> Path:
    """Where the next warehouse is built: beside the published one, same file system."""
    return published.with_name(published.name + ".building")


def start_build(published: Path) -> Path:
    """A fresh build file holding everything published so far (the append-only history)."""
    published.parent.mkdir(parents=True, exist_ok=True)
    building = build_path(published)
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if published.exists():
        shutil.copy2(published, building)
    return building


def publish(building: Path, published: Path) -> None:
    """Checkpoint the build file and atomically replace the published warehouse with it."""
    con = duckdb.connect(str(building))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(building, published)


def abandon_build(building: Path) -> None:
    """Remove a build file after a failure; the published warehouse stays as it was."""
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
