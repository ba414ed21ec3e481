"""The archive's ``manifest.jsonl``, the blobs it lists, and how the two heal.

The manifest has one JSON object per line, one line per arrival: which content arrived
(``sha256``), which blob holds it (``archived_path``, ``<sha[:2]>/<sha256><ext>`` under the
archive), the name it arrived under (``relative_path``), its size, when the archive first
saw that content (``received_at``), when the line was written (``archived_at``) and, for a
landing file that was settled when it was copied, its ``stat`` fingerprint.

What ``received_at`` means: the moment the archive first saw that content, by the
archive's own clock (UTC, naive), under whatever name. New content gets the time its blob
was written (the blob's mtime, which stays: blobs are read-only); content already archived
keeps its earliest recorded arrival. Never the landing file's mtime, which copy tools and
``touch -d`` set at will: a correction copied with an old mtime would lose to the file it
corrects, a file dated 2099 would win forever. Lines written since this rule carry
``"clock": "archive"``; in older lines ``received_at`` was the landing file's mtime, so for
them the time the line was written (``archived_at``) stands for the first sight.

The manifest heals, because the archive's own files are the truth:

- it is read as bytes, line by line; a line that is not UTF-8, not JSON, not an object, or
  lacks or mistypes a required key is skipped with a warning (a torn line from a crash or
  a full disk, a foreign line pasted in), never an exception;
- an append always starts on a new line (a torn last line is ended first, so it is never
  glued to the next entry), and writes whole lines in one ``write``, then syncs;
- every blob of the archive that no valid line names is listed again
  (:func:`reconcile`), so a lost or damaged manifest loses no file for ``--full``.

A damaged line stays in the file (the manifest is only ever appended to) and is warned
about whenever the manifest is read in full; an operator may delete such lines, or the
whole manifest: the next receive lists again every blob that then lacks a line.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from flows.reading.errors import UnreadableFile
from flows.warehouse.access import Privacy

MANIFEST = "manifest.jsonl"
# ``"clock": "archive"``: this line's ``received_at`` is the archive's first sight of the content.
ARCHIVE_CLOCK = "archive"
# The name a blob gets when it is listed again without the name it arrived under.
RELISTED_PREFIX = "(archive)/"
# Warnings of one kind beyond this many are counted in one last line, not listed.
LISTED_WARNINGS = 20
# A shard folder whose last change is older than this when it was listed keeps its listing
# until its ctime changes (the same reasoning as a landing file's fingerprint).
SHARD_SETTLED_NANOSECONDS = 2_000_000_000

SAFE_EXTENSION = re.compile(r"\.[a-z0-9]{1,8}")  # always fullmatch: "$" would allow a "\n"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_BLOB_NAME = re.compile(r"[0-9a-f]{64}(?:\.[a-z0-9]{1,8})?")
_SHARD = re.compile(r"[0-9a-f]{2}")
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOCTTY
_EPOCH = datetime(1970, 1, 1)


# --- Opening only regular files ---------------------------------------------------------


class NotARegularFile(UnreadableFile):
    """A path that is not a regular file (a FIFO, socket, device, folder or symbolic link)."""

    def __init__(self, kind_vi: str, kind_en: str) -> None:
        super().__init__(
            f"Không phải tệp thông thường ({kind_vi}) nên không được nhận; "
            "hãy gửi chính tệp bảng tính.",
            f"Not a regular file ({kind_en}), so it was not received; "
            "send the spreadsheet file itself.",
        )
        self.kind_en = kind_en


def file_kind(mode: int) -> tuple[str, str]:
    """What a ``stat`` mode names, in Vietnamese and English."""
    kinds = (
        (stat.S_ISLNK, "liên kết tượng trưng", "a symbolic link"),
        (stat.S_ISFIFO, "ống dẫn có tên, FIFO", "a named pipe, FIFO"),
        (stat.S_ISSOCK, "socket", "a socket"),
        (stat.S_ISCHR, "thiết bị ký tự", "a character device"),
        (stat.S_ISBLK, "thiết bị khối", "a block device"),
        (stat.S_ISDIR, "thư mục", "a folder"),
    )
    for test, kind_vi, kind_en in kinds:
        if test(mode):
            return kind_vi, kind_en
    return "loại tệp không xác định", "an unknown kind of file"


def open_regular_file(path: Path | str, flags: int = 0, mode: int = 0o600) -> int:
    """A descriptor of ``path`` opened for reading, when it is a regular file, else refused.

    Opened non-blocking (a FIFO opens at once instead of waiting for a writer), without
    following a symbolic link (``ELOOP``), never becoming a controlling terminal; then
    ``fstat`` of the descriptor itself says what was opened, so a file swapped for a FIFO,
    socket or device after it was listed is refused (:class:`NotARegularFile`) and never
    read. Blocking mode is restored for the reads that follow. ``flags`` adds to the
    reading flags (the manifest is appended to through this too).
    """
    try:
        fd = os.open(path, _OPEN_FLAGS | flags, mode)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise NotARegularFile(*file_kind(stat.S_IFLNK)) from error
        if error.errno == errno.ENXIO:  # a Unix socket cannot be opened at all
            raise NotARegularFile(*file_kind(stat.S_IFSOCK)) from error
        raise
    try:
        mode_found = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode_found):
            raise NotARegularFile(*file_kind(mode_found))
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    return fd


# --- Who may read the archive ---------------------------------------------------------


def tighten(archive_root: Path, privacy: Privacy) -> list[str]:
    """Make an existing archive's root folder and manifest private; warnings if it cannot.

    The root's mode is enough to stop others reaching blobs archived (world-readable)
    before this rule: its shard folders and blobs keep their modes.
    """
    warnings = []
    targets = [(archive_root, privacy.folder_mode)]
    if (archive_root / MANIFEST).is_file():
        targets.append((archive_root / MANIFEST, privacy.file_mode))
    for target, mode in targets:
        try:
            privacy.apply(target, mode)
        except OSError as error:
            warnings.append(f"could not make {target} private: {error}")
    return warnings


# --- Lines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatFingerprint:
    """What ``stat`` says about a landing file: which file it is, and when it last changed.

    ``ctime`` is set by the kernel to the current time on every write, truncation, rename
    or ``utime`` of the file, and no program can set it back (short of moving the system
    clock back), unlike ``mtime``, which copy tools and ``touch -d`` set at will. A new file
    under the same name (an editor's save-by-rename, a copy over it) has a new inode.
    """

    device: int
    inode: int
    size_bytes: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, stat_result: os.stat_result) -> StatFingerprint:
        s = stat_result
        return cls(s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns, s.st_ctime_ns)

    def as_json(self) -> list[int]:
        return [self.device, self.inode, self.size_bytes, self.mtime_ns, self.ctime_ns]


@dataclass(frozen=True)
class ArchivedFile:
    """One received file: where its bytes are kept, and what it was called on arrival.

    ``received_at`` is when the archive first saw this content (see the module's note).
    """

    sha256: str
    archived_path: Path
    relative_path: str
    size_bytes: int
    received_at: datetime


class ManifestLine(NamedTuple):
    """One valid manifest line, its keys checked and typed."""

    sha256: str
    archived_path: str  # relative to the archive root, "/"-separated
    relative_path: str
    size_bytes: int
    received_at: datetime
    first_seen: datetime  # this line's evidence of when the archive first saw the content
    fingerprint: StatFingerprint | None

    def archived(self, archive_root: Path, received_at: datetime) -> ArchivedFile:
        return ArchivedFile(
            self.sha256,
            archive_root / self.archived_path,
            self.relative_path,
            self.size_bytes,
            received_at,
        )


def utc_from_ns(nanoseconds: int) -> datetime:
    """A file time (nanoseconds since the epoch) as a naive UTC datetime, to the microsecond."""
    return _EPOCH + timedelta(microseconds=nanoseconds // 1000)


def blob_path(sha256: str, extension: str) -> str:
    """Where a content is kept, relative to the archive root (``extension`` only if safe)."""
    safe = extension if SAFE_EXTENSION.fullmatch(extension) else ""
    return f"{sha256[:2]}/{sha256}{safe}"


def parse_line(raw: bytes) -> ManifestLine | str | None:
    """A manifest line, checked: the line, or why it is skipped (None: a blank line)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "not valid UTF-8"
    if not text.strip():
        return None
    try:
        entry = json.loads(text)
    except (ValueError, RecursionError):
        return "not JSON"
    if not isinstance(entry, dict):
        return "not a JSON object"
    sha256 = entry.get("sha256")
    if not (isinstance(sha256, str) and _SHA256.fullmatch(sha256)):
        return "sha256 missing or not 64 lowercase hex digits"
    archived_path = entry.get("archived_path")
    if not (
        isinstance(archived_path, str)
        and archived_path.startswith(f"{sha256[:2]}/{sha256}")
        and blob_path(sha256, archived_path[67:]) == archived_path
    ):
        return "archived_path missing or not <sha[:2]>/<sha256><extension>"
    relative_path = entry.get("relative_path")
    if not (isinstance(relative_path, str) and relative_path and _is_text(relative_path)):
        return "relative_path missing or not text"
    size_bytes = entry.get("size_bytes")
    if not (type(size_bytes) is int and size_bytes >= 0):
        return "size_bytes missing or not a whole number >= 0"
    received_at = _datetime(entry.get("received_at"))
    if received_at is None:
        return "received_at missing or not an ISO date and time"
    if entry.get("clock") == ARCHIVE_CLOCK:
        first_seen = received_at
    else:  # written before the rule: received_at was the landing file's mtime
        first_seen = _datetime(entry.get("archived_at")) or received_at
    return ManifestLine(
        sha256,
        archived_path,
        relative_path,
        size_bytes,
        received_at,
        first_seen,
        _fingerprint(entry.get("stat")),
    )


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, written as an escape
        return False
    return True


def _datetime(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:  # the manifest's times are naive UTC: never mix the two
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _fingerprint(value: object) -> StatFingerprint | None:
    if isinstance(value, list) and len(value) == 5 and all(type(v) is int for v in value):
        return StatFingerprint(*value)
    return None  # absent or malformed: the landing file is hashed again, nothing worse


def capped(warnings: list[str], what: str) -> list[str]:
    """``warnings``, the first few listed and the rest counted, one line each."""
    if len(warnings) <= LISTED_WARNINGS:
        return warnings
    return [*warnings[:LISTED_WARNINGS], f"... and {len(warnings) - LISTED_WARNINGS} more {what}"]


# --- Reading -----------------------------------------------------------------------------


def read_manifest(archive_root: Path) -> list[ArchivedFile]:
    """Every (content, name) pair ever received whose blob is archived, first arrival first.

    Each has the ``received_at`` of its content's first sight. Damaged lines are skipped
    (:func:`read_manifest_with_warnings` says which).
    """
    return read_manifest_with_warnings(archive_root)[0]


def read_manifest_with_warnings(archive_root: Path) -> tuple[list[ArchivedFile], list[str]]:
    """:func:`read_manifest`, and one line for the operator per line skipped or blob missing.

    A last line without its end of line is read too when it is whole (a torn one is not
    valid JSON, and is skipped like any damaged line).
    """
    try:
        fd = open_regular_file(archive_root / MANIFEST)
    except FileNotFoundError:
        return [], []
    with os.fdopen(fd, "rb") as manifest:
        data = manifest.read()
    lines, damaged = [], []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        parsed = parse_line(raw)
        if isinstance(parsed, str):
            damaged.append(f"{MANIFEST} line {number} skipped: {parsed}")
        elif parsed is not None:
            lines.append(parsed)
    first_seen: dict[str, datetime] = {}
    for line in lines:
        known = first_seen.get(line.sha256)
        first_seen[line.sha256] = line.first_seen if known is None else min(known, line.first_seen)
    present = blobs(archive_root)
    files: dict[tuple[str, str], ArchivedFile] = {}
    missing: dict[str, None] = {}
    for line in lines:
        if line.archived_path not in present:
            missing[line.archived_path] = None
        elif (line.sha256, line.relative_path) not in files:
            files[line.sha256, line.relative_path] = line.archived(
                archive_root, first_seen[line.sha256]
            )
    warnings = capped(damaged, "manifest lines skipped") + capped(
        [f"{MANIFEST} names {blob}, which the archive no longer has" for blob in missing],
        "blobs missing",
    )
    return list(files.values()), warnings


class ManifestTail:
    """What a long-lived process knows of the manifest, kept up to date by reading only what
    was appended since the last call (the manifest is append-only).

    For each landing name its last valid line, for each content its first sight, and every
    blob a valid line names. A long-lived process (``chitieu watch``) then parses the whole
    manifest once, not every night. Only complete lines are consumed: a line being
    written is read again with what follows it, as a full re-read would. A manifest that is
    not the same file any more (another inode, shorter, or other bytes where the last
    consumed line ended) is read again in full. Lines skipped become warnings, handed out
    once (:meth:`take_warnings`).
    """

    _CHECKED_BYTES = 256

    def __init__(self) -> None:
        self._start_over(None)
        self.version = 0

    def _start_over(self, identity: tuple[int, int] | None) -> None:
        self.identity = identity
        self.offset = 0
        self.consumed_tail = b""  # the last bytes consumed, to recognise the same file
        self.lines_consumed = 0
        self.last: dict[str, ManifestLine] = {}
        self.first_seen: dict[str, datetime] = {}
        self.named: set[str] = set()
        self.damaged: list[str] = []
        self.damaged_count = 0

    def read(self, path: Path) -> ManifestTail:
        """Take in what was appended to ``path`` since the last call."""
        try:
            fd = open_regular_file(path)
        except FileNotFoundError:
            if self.identity is not None:
                self._start_over(None)
                self.version += 1
            return self
        with os.fdopen(fd, "rb") as manifest:
            found = os.fstat(fd)
            identity = (found.st_dev, found.st_ino)
            if identity != self.identity or found.st_size < self.offset:
                self._start_over(identity)
                self.version += 1
            manifest.seek(self.offset - len(self.consumed_tail))
            if manifest.read(len(self.consumed_tail)) != self.consumed_tail:
                self._start_over(identity)
                self.version += 1
                manifest.seek(0)
            appended = manifest.read()
        complete = appended.rfind(b"\n") + 1
        if complete:
            self.version += 1
        for raw in appended[:complete].split(b"\n")[:-1]:
            self.lines_consumed += 1
            parsed = parse_line(raw)
            if isinstance(parsed, str):
                self.damaged_count += 1
                if len(self.damaged) < LISTED_WARNINGS:
                    self.damaged.append(f"{MANIFEST} line {self.lines_consumed} skipped: {parsed}")
            elif parsed is not None:
                self.take_in(parsed)
        self.offset += complete
        self.consumed_tail = (self.consumed_tail + appended[:complete])[-self._CHECKED_BYTES :]
        return self

    def take_in(self, line: ManifestLine) -> None:
        self.last[line.relative_path] = line
        known = self.first_seen.get(line.sha256)
        if known is None or line.first_seen < known:
            self.first_seen[line.sha256] = line.first_seen
        self.named.add(line.archived_path)

    def take_warnings(self) -> list[str]:
        """The lines skipped since the last call, the first few listed and the rest counted."""
        warnings = list(self.damaged)
        if self.damaged_count > len(self.damaged):
            more = self.damaged_count - len(self.damaged)
            warnings.append(f"... and {more} more manifest lines skipped")
        self.damaged, self.damaged_count = [], 0
        return warnings


# --- Writing -----------------------------------------------------------------------------


def append_lines(archive_root: Path, entries: list[dict], privacy: Privacy) -> None:
    """Append ``entries`` as whole lines in one write, synced; a torn last line is ended first.

    With no entries, only that: a manifest whose last line was cut (a crash, a full disk)
    gets its end of line, so the cut line is read (and skipped) as a line of its own and
    the next entry never glues onto it. Nothing is created for nothing.
    """
    path = archive_root / MANIFEST
    if not entries and not path.exists():
        return
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT
    fd = open_regular_file(path, flags, privacy.file_mode)
    try:
        privacy.apply(fd, privacy.file_mode)
        size = os.fstat(fd).st_size
        torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
        data = (b"\n" if torn else b"") + b"".join(
            json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n" for entry in entries
        )
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if data:
            os.fsync(fd)
    finally:
        os.close(fd)


# --- The blobs themselves ----------------------------------------------------------------


class _Shard(NamedTuple):
    inode: int
    ctime_ns: int
    trusted: bool  # listed well after its last change: unchanged while its ctime is
    blobs: frozenset[str]


class BlobListing:
    """The blobs an archive folder holds, re-listing only the shard folders that changed.

    Each receive stats the root's (at most 256) shard folders; a shard folder is listed
    again only when its ctime moved (an entry added, removed or renamed) or its last listing
    was taken too soon after a change to be sure of it. So a warehouse of 100,000 blobs is
    listed in full once per process, and a ``chitieu watch`` night costs one ``lstat`` per
    shard folder. Only regular files named ``<sha256><ext>`` in the shard of their sha
    count; staging files (``.incoming-*``, in the root) and strays never do.
    """

    def __init__(self) -> None:
        self.shards: dict[str, _Shard] = {}
        self.all: frozenset[str] = frozenset()
        self.version = 0
        self.problems: list[str] = []

    def refresh(self, archive_root: Path) -> frozenset[str]:
        """The blobs' paths relative to the archive root, as they are now."""
        self.problems = []
        try:
            with os.scandir(archive_root) as entries:
                shards = [e for e in entries if _SHARD.fullmatch(e.name)]
        except FileNotFoundError:
            shards = []
        changed = False
        seen = set()
        for entry in shards:
            try:
                found = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if not stat.S_ISDIR(found.st_mode):
                continue
            seen.add(entry.name)
            cached = self.shards.get(entry.name)
            if (
                cached is not None
                and cached.trusted
                and (cached.inode, cached.ctime_ns) == (found.st_ino, found.st_ctime_ns)
            ):
                continue
            listed_at = time.time_ns()
            self.shards[entry.name] = _Shard(
                found.st_ino,
                found.st_ctime_ns,
                found.st_ctime_ns < listed_at - SHARD_SETTLED_NANOSECONDS,
                self._list_shard(entry.path, entry.name),
            )
            changed = True
        for gone in self.shards.keys() - seen:
            del self.shards[gone]
            changed = True
        if changed:
            self.all = frozenset().union(*(shard.blobs for shard in self.shards.values()))
            self.version += 1
        return self.all

    def _list_shard(self, folder: str, shard: str) -> frozenset[str]:
        try:
            with os.scandir(folder) as entries:
                return frozenset(
                    f"{shard}/{entry.name}"
                    for entry in entries
                    if entry.name.startswith(shard)
                    and _BLOB_NAME.fullmatch(entry.name)
                    and entry.is_file(follow_symlinks=False)
                )
        except OSError as error:
            self.problems.append(f"archive folder {folder} cannot be listed: {error}")
            return frozenset()


# One per archive, for the life of the process.
_tails: dict[Path, ManifestTail] = {}
_listings: dict[Path, BlobListing] = {}


def manifest_tail(archive_root: Path) -> ManifestTail:
    """This process's :class:`ManifestTail` of the archive's manifest, brought up to date."""
    path = (archive_root / MANIFEST).absolute()
    return _tails.setdefault(path, ManifestTail()).read(path)


def blob_listing(archive_root: Path) -> BlobListing:
    return _listings.setdefault(archive_root.absolute(), BlobListing())


def blobs(archive_root: Path) -> frozenset[str]:
    """The archive's blobs as they are now: ``<sha[:2]>/<sha256><ext>`` each."""
    return blob_listing(archive_root).refresh(archive_root)


def archived_sha256s(archive_root: Path) -> set[str]:
    """The sha256 of every content the archive actually holds (not what the manifest says)."""
    return {blob[3:67] for blob in blobs(archive_root)}


@dataclass
class _Reconciled:
    tail_version: int
    listing_version: int
    missing: list[str]


_reconciled: dict[Path, _Reconciled] = {}


def reconcile(archive_root: Path, privacy: Privacy) -> list[str]:
    """List again every blob no valid manifest line names; warn of lines naming lost blobs.

    A blob re-listed gets a line named ``(archive)/<blob name>`` with ``"relisted": true``
    and, as its first sight, its own mtime (set when it was archived: blobs are
    read-only), or the content's earlier first sight if the manifest has one. The archive
    is the truth: a crash between a blob and its line, a torn, damaged or deleted manifest
    never hides an archived file from ``--full``.

    Cost: the blob listing of :class:`BlobListing` (one ``lstat`` per shard folder, listing
    only those that changed), and two set differences in memory, skipped when neither the
    manifest nor the listing changed since the last reconcile of this process.
    """
    tail = manifest_tail(archive_root)
    listing = blob_listing(archive_root)
    present = listing.refresh(archive_root)
    warnings = tail.take_warnings() + listing.problems
    key = archive_root.absolute()
    done = _reconciled.get(key)
    if done and (done.tail_version, done.listing_version) == (tail.version, listing.version):
        return warnings + done.missing
    orphans = {}
    for blob in sorted(present - tail.named):
        try:
            orphans[blob] = os.stat(archive_root / blob, follow_symlinks=False)
        except FileNotFoundError:
            continue
    # A content's first sight: the earliest of its recorded sight and its blobs' mtimes
    # (one content may be two blobs, under two extensions).
    first_seen = dict(tail.first_seen)
    for blob, found in orphans.items():
        mtime = utc_from_ns(found.st_mtime_ns)
        first_seen[blob[3:67]] = min(mtime, first_seen.get(blob[3:67], mtime))
    entries, relisted = [], []
    written_at = datetime.now(UTC).replace(tzinfo=None).isoformat()
    for blob, found in orphans.items():
        sha256, name = blob[3:67], blob[3:]
        entries.append(
            {
                "sha256": sha256,
                "archived_path": blob,
                "relative_path": RELISTED_PREFIX + name,
                "size_bytes": found.st_size,
                "received_at": first_seen[sha256].isoformat(),
                "archived_at": written_at,
                "clock": ARCHIVE_CLOCK,
                "relisted": True,
            }
        )
        relisted.append(
            f"blob {blob} was not in {MANIFEST}: listed again as {RELISTED_PREFIX}{name}"
        )
    if entries:
        append_lines(archive_root, entries, privacy)
        tail = manifest_tail(archive_root)
        warnings += tail.take_warnings()
    missing = capped(
        [
            f"{MANIFEST} names {blob}, which the archive no longer has"
            for blob in sorted(tail.named - present)
        ],
        "blobs missing",
    )
    _reconciled[key] = _Reconciled(tail.version, listing.version, missing)
    return warnings + capped(relisted, "blobs listed again") + missing
