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
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flows import settings


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


class ReaderGroupNotJoined(UnknownReaderGroup):
    """``CHITIEU_READER_GROUP`` names a group this user is not a member of: the archive
    cannot be given to it (caught with :class:`flows.warehouse.access.UnknownReaderGroup`)."""


@dataclass(frozen=True)
class Privacy:
    """The modes and group of what a run writes: its owner's, and a reader group's.

    Without a reader group, archived files are ``0o400``, folders ``0o700``, other files
    ``0o600``: a clerk's report never becomes readable by every account of the machine.
    With one (``CHITIEU_READER_GROUP``, :func:`reader_gid`), that group may read too:
    ``0o440``, ``0o750``, ``0o640``. Modes and group are set explicitly by :meth:`apply`,
    whatever the umask or the parent folder's set-group-ID bit.
    """

    gid: int | None = None

    @classmethod
    def from_settings(cls) -> Privacy:
        """The privacy the settings ask for; a group that cannot be used is a clear error."""
        gid = reader_gid()  # UnknownReaderGroup for a group this machine does not have
        if gid is None:
            return cls()
        if os.geteuid() != 0 and gid != os.getegid() and gid not in os.getgroups():
            raise ReaderGroupNotJoined(
                f"${settings.READER_GROUP_ENV} names the group {settings.reader_group()!r}, "
                "which this user is not a member of, so what a run writes cannot be given to it: "
                "add the user to the group, or change the setting."
            )
        return cls(gid)

    @property
    def read_only_mode(self) -> int:
        """An archived file's: read-only, for its owner (and the reader group)."""
        return 0o400 if self.gid is None else 0o440

    @property
    def folder_mode(self) -> int:
        return 0o700 if self.gid is None else 0o750

    @property
    def file_mode(self) -> int:
        return 0o600 if self.gid is None else 0o640

    @property
    def umask(self) -> int:
        """What files created meanwhile must not allow (see :func:`private_files`)."""
        return 0o077 if self.gid is None else 0o027

    def apply(self, target: Path | int, mode: int) -> None:
        """Give ``target`` (a path, or an open descriptor) ``mode`` and the reader group."""
        if isinstance(target, int):
            found = os.fstat(target)
            if stat.S_IMODE(found.st_mode) != mode:
                os.fchmod(target, mode)
            if self.gid is not None and found.st_gid != self.gid:
                os.fchown(target, -1, self.gid)
            return
        found = os.stat(target, follow_symlinks=False)
        if stat.S_IMODE(found.st_mode) != mode:
            os.chmod(target, mode, follow_symlinks=False)
        if self.gid is not None and found.st_gid != self.gid:
            os.chown(target, -1, self.gid, follow_symlinks=False)


def restrict_warehouse_folder(folder: Path) -> None:
    """Create ``folder`` if needed and let only its owner (and the reader group) in.

    With a reader group the folder is set-group-ID too, so what is created inside
    belongs to that group.
    """
    folder.mkdir(parents=True, exist_ok=True)
    privacy = Privacy.from_settings()
    setgid = 0 if privacy.gid is None else stat.S_ISGID
    privacy.apply(folder, privacy.folder_mode | setgid)


def restrict_file(path: Path) -> None:
    """A file written before the umask was set (a copy keeps its source's mode): owner only,
    or owner and reader group."""
    privacy = Privacy.from_settings()
    privacy.apply(path, privacy.file_mode)


@contextmanager
def private_files() -> Iterator[None]:
    """Files and folders created meanwhile are not readable by everyone (see the module)."""
    previous = os.umask(Privacy.from_settings().umask)
    try:
        yield
    finally:
        os.umask(previous)
