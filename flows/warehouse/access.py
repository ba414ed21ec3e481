"""Who may read what a run writes: its owner, and the reader group when one is configured.

The warehouse folder holds the clerks' files (the archive), the pages about them and the
published warehouse. A landing file may have been readable by its owner only; a run must
not widen its audience. So the folder is made readable by the owner only (``0700``), or,
when ``$CHITIEU_READER_GROUP`` names the group BI tools and analysts run as, by that group
too (``2750``: the set-group-ID bit makes what is created inside belong to the group).
While a night runs, the process creates files with a umask to match (``077`` or ``027``):
DuckDB's files, dbt's, Great Expectations' Data Docs and the feedback pages included,
whoever writes them. Nothing is ever readable by everyone.
"""

from __future__ import annotations

import grp
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows import settings

OWNER_ONLY_UMASK = 0o077
OWNER_AND_GROUP_UMASK = 0o027


class UnknownReaderGroup(ValueError):
    """``$CHITIEU_READER_GROUP`` names a group this machine does not have."""


def reader_gid() -> int | None:
    """The id of the configured reader group, or None when none is configured."""
    group = settings.reader_group()
    if group is None:
        return None
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise UnknownReaderGroup(
            f"${settings.READER_GROUP_ENV} names the group {group!r}, which does not exist"
        ) from None


def restrict_warehouse_folder(folder: Path) -> None:
    """Create ``folder`` if needed and let only its owner (and the reader group) in."""
    folder.mkdir(parents=True, exist_ok=True)
    gid = reader_gid()
    if gid is None:
        os.chmod(folder, 0o700)
    else:
        os.chown(folder, -1, gid)
        os.chmod(folder, 0o2750)


def restrict_file(path: Path) -> None:
    """A file written before the umask was set (a copy keeps its source's mode): owner only,
    or owner and reader group."""
    gid = reader_gid()
    if gid is None:
        os.chmod(path, 0o600)
    else:
        os.chown(path, -1, gid)
        os.chmod(path, 0o640)


@contextmanager
def private_files() -> Iterator[None]:
    """Files and folders created meanwhile are not readable by everyone (see the module)."""
    previous = os.umask(OWNER_ONLY_UMASK if reader_gid() is None else OWNER_AND_GROUP_UMASK)
    try:
        yield
    finally:
        os.umask(previous)
