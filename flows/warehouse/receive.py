"""The immutable, content-addressed archive of every file received.

Before anything parses a landed file, its bytes are copied into
``<archive>/<sha[:2]>/<sha256><ext>`` (hashed while copying, so the archived bytes
are exactly the hashed ones even if a clerk overwrites the landing file meanwhile),
made read-only, and listed in ``manifest.jsonl`` with the name it arrived under.
A clerk deleting or overwriting a landing file never loses history, the same
content arriving twice is stored once, and ``chitieu run --full`` can rebuild the
warehouse from the archive alone. Names in the landing folder never become paths
in the archive, so a hostile file name cannot write outside it.

A night does not re-read a landing file it has already archived and that has not been
touched since: see :func:`receive_landing_folder` for why a ``stat`` is enough to know.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

MANIFEST = "manifest.jsonl"
IGNORED_NAME_PREFIXES = (".", "~$")  # hidden files and Office lock files are not submissions
_SAFE_EXTENSION = re.compile(r"^\.[a-z0-9]{1,8}$")
# A file changed less than this long before it was hashed may change again within the
# same tick of the file system's clock, unseen by ``stat``: its fingerprint is not trusted.
SETTLED_NANOSECONDS = 2_000_000_000
# Archiving a file is mostly waiting for the disk (its fsync): a few threads overlap the
# waits of a night with thousands of new files.
ARCHIVING_THREADS = 4


@dataclass(frozen=True)
class ArchivedFile:
    """One received file: where its bytes are kept, and what it was called on arrival."""

    sha256: str
    archived_path: Path
    relative_path: str
    size_bytes: int
    received_at: datetime


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
    def of(cls, stat: os.stat_result) -> StatFingerprint:
        return cls(stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)

    def as_json(self) -> list[int]:
        return [self.device, self.inode, self.size_bytes, self.mtime_ns, self.ctime_ns]


@dataclass(frozen=True)
class LandingEntry:
    """A regular file found in the landing folder: its path, name in the folder, and stat."""

    path: Path
    relative_path: str
    stat: os.stat_result


def scan_landing_folder(raw_dir: Path) -> list[LandingEntry]:
    """Regular files under the landing folder with their ``stat``, in a stable order.

    Symbolic links are neither followed nor read: a link in the landing folder could
    otherwise pull any file of the machine into the warehouse. One ``os.scandir`` per
    folder and one ``lstat`` per file (the entry's type comes with the listing): a
    watcher scans the whole folder at every poll, and each night's receive scans it again.
    """
    found: list[LandingEntry] = []

    def scan(folder: str, prefix: str) -> None:
        try:
            with os.scandir(folder) as entries:
                listed = sorted(entries, key=lambda entry: entry.name)
        except OSError:  # as os.walk: a folder that is gone or unreadable holds nothing
            return
        for entry in listed:
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    scan(entry.path, f"{prefix}{entry.name}/")
            elif entry.is_file(follow_symlinks=False) and not entry.name.startswith(
                IGNORED_NAME_PREFIXES
            ):
                try:
                    stat = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # removed between the listing and the stat
                    continue
                found.append(LandingEntry(Path(entry.path), prefix + entry.name, stat))

    scan(str(raw_dir), "")
    found.sort(key=lambda entry: entry.path)
    return found


def landed_files(raw_dir: Path) -> list[Path]:
    """Regular files under the landing folder, in a stable order (see scan_landing_folder)."""
    return [entry.path for entry in scan_landing_folder(raw_dir)]


def _archived_name(sha256: str, relative_path: str) -> str:
    extension = Path(relative_path).suffix.lower()
    return sha256 + (extension if _SAFE_EXTENSION.match(extension) else "")


def _copy_into_archive(
    source: Path, relative_path: str, received_at: datetime, archive_root: Path
) -> tuple[ArchivedFile, StatFingerprint | None]:
    """Copy ``source``'s bytes into the archive, durably, once per content: no manifest line.

    Returns the archived file and, when it is settled (unchanged during the copy, and last
    changed well before it began), its landing file's :class:`StatFingerprint`, which the
    manifest line keeps so that a later night can tell, from ``stat`` alone, that the
    landing file still holds these bytes. Safe to call from several threads at once (each
    stages into its own file).
    """
    staging = archive_root / f".incoming-{os.getpid()}-{threading.get_ident()}"
    digest = hashlib.sha256()
    size = 0
    hashing_started_ns = time.time_ns()
    with source.open("rb") as reader, staging.open("wb") as writer:
        before = StatFingerprint.of(os.fstat(reader.fileno()))
        for block in iter(lambda: reader.read(1 << 20), b""):
            digest.update(block)
            writer.write(block)
            size += len(block)
        writer.flush()
        os.fsync(writer.fileno())
        after = StatFingerprint.of(os.fstat(reader.fileno()))
    settled = (
        before == after
        and before.size_bytes == size
        and before.ctime_ns < hashing_started_ns - SETTLED_NANOSECONDS
    )
    sha256 = digest.hexdigest()
    target = archive_root / sha256[:2] / _archived_name(sha256, relative_path)
    if target.exists():
        staging.unlink()
    else:
        target.parent.mkdir(exist_ok=True)
        staging.chmod(0o444)
        os.replace(staging, target)
    archived = ArchivedFile(sha256, target, relative_path, size, received_at)
    return archived, before if settled else None


def _append_manifest(
    archive_root: Path, arrivals: Sequence[tuple[ArchivedFile, StatFingerprint | None]]
) -> None:
    """One manifest line per arrival, in order, written and synced at once.

    Called only once the archived copies are durable (fsynced), so a line never names
    bytes a crash could lose; a crash before the lines are synced loses the lines only,
    and their files are archived again on the next night.
    """
    now = datetime.now(UTC).replace(tzinfo=None).isoformat()
    lines = []
    for archived, fingerprint in arrivals:
        entry = {
            "sha256": archived.sha256,
            "archived_path": archived.archived_path.relative_to(archive_root).as_posix(),
            "relative_path": archived.relative_path,
            "size_bytes": archived.size_bytes,
            "received_at": archived.received_at.isoformat(),
            "archived_at": now,
        }
        if fingerprint is not None:
            entry["stat"] = fingerprint.as_json()
        lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
    with (archive_root / MANIFEST).open("a", encoding="utf-8") as manifest:
        manifest.write("".join(lines))
        manifest.flush()
        os.fsync(manifest.fileno())


def read_manifest(archive_root: Path) -> list[ArchivedFile]:
    """Every (content, name) pair ever received, first arrival first, without repeats.

    A line cut short by a crash is skipped: the file it names is re-archived (and the
    line written again) the next time the landing file is seen.
    """
    path = archive_root / MANIFEST
    if not path.exists():
        return []
    seen: dict[tuple[str, str], ArchivedFile] = {}
    for entry in _manifest_entries(path.read_text(encoding="utf-8")):
        key = (entry["sha256"], entry["relative_path"])
        if key not in seen:
            archived = _archived_file(archive_root, entry)
            if archived.archived_path.exists():
                seen[key] = archived
    return list(seen.values())


def _manifest_entries(text: str) -> Iterator[dict]:
    """The manifest lines of ``text``, parsed; a line cut short by a crash is skipped."""
    for line in text.splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue


def _archived_file(archive_root: Path, entry: dict) -> ArchivedFile:
    return ArchivedFile(
        entry["sha256"],
        archive_root / entry["archived_path"],
        entry["relative_path"],
        entry["size_bytes"],
        datetime.fromisoformat(entry["received_at"]),
    )


class _ManifestTail:
    """The manifest's last line per landing name, kept up to date by reading only what
    was appended since the last call (the manifest is append-only).

    A long-lived process (``chitieu watch``) then parses the whole manifest once, not
    every night. Only complete lines are consumed: a line being written, or cut short by
    a crash, is read again with what follows it, as a full re-read would. A manifest that
    is not the same file any more (another inode, shorter, or other bytes where the last
    consumed line ended) is read again in full.
    """

    _CHECKED_BYTES = 256

    def __init__(self) -> None:
        self._start_over(None)

    def _start_over(self, identity: tuple[int, int] | None) -> None:
        self.identity = identity
        self.offset = 0
        self.consumed_tail = b""  # the last bytes consumed, to recognise the same file
        self.last: dict[str, dict] = {}

    def read(self, path: Path) -> dict[str, dict]:
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._start_over(None)
            return {}
        identity = (stat.st_dev, stat.st_ino)
        if identity != self.identity or stat.st_size < self.offset:
            self._start_over(identity)
        with path.open("rb") as manifest:
            manifest.seek(self.offset - len(self.consumed_tail))
            if manifest.read(len(self.consumed_tail)) != self.consumed_tail:
                self._start_over(identity)
                manifest.seek(0)
            appended = manifest.read()
        complete = appended.rfind(b"\n") + 1
        for entry in _manifest_entries(appended[:complete].decode("utf-8")):
            self.last[entry["relative_path"]] = entry
        self.offset += complete
        self.consumed_tail = (self.consumed_tail + appended[:complete])[-self._CHECKED_BYTES :]
        return self.last


# One per manifest file, for the life of the process.
_manifest_tails: dict[Path, _ManifestTail] = {}


def _last_settled_arrivals(archive_root: Path) -> dict[str, tuple[StatFingerprint, ArchivedFile]]:
    """For each landing name, its last manifest line, when that line has a fingerprint.

    A name whose last line has none (an old manifest, or a file that was changing while
    it was copied) is absent: its file is hashed again.
    """
    path = (archive_root / MANIFEST).absolute()
    last = _manifest_tails.setdefault(path, _ManifestTail()).read(path)
    return {
        name: (StatFingerprint(*entry["stat"]), _archived_file(archive_root, entry))
        for name, entry in last.items()
        if entry.get("stat")
    }


def receive_landing_folder(raw_dir: Path, archive_root: Path) -> list[ArchivedFile]:
    """Archive every landing file that is new or changed; reuse the archive for the rest.

    A landing file is not read again when ``stat`` gives exactly the fingerprint recorded
    when its bytes were archived (same device and inode, size, mtime and ctime, to the
    nanosecond) and the archived copy is still there. That is safe because:

    - the fingerprint was recorded only if it was the same before and after the copy, and
      the file's last change (ctime) was at least ``SETTLED_NANOSECONDS`` older than the
      start of the copy: any write since, even one within the clock tick of the copy,
      gives it a ctime at least that much later, hence a different fingerprint;
    - ctime cannot be set by a program (``touch`` and copy tools set mtime, not ctime),
      and a file replaced under the same name (save-by-rename, a copy over it, delete and
      re-create) is another inode;
    - what is parsed is still the archived copy, which is content-addressed, read-only
      and was hashed as it was written: skipping a re-read changes what is read from the
      landing folder, never what is parsed.

    So a night with one changed file of 10,000 reads and hashes one file. An unchanged
    file is not written to the manifest again: the manifest grows with arrivals, not with
    nights. Anything else (a new name, a changed fingerprint, an old manifest line without
    one, a missing archived copy) is copied into the archive (:func:`_copy_into_archive`)
    on a few threads, and their manifest lines are appended, in the landing folder's
    order, once every copy is durable.
    """
    known = _last_settled_arrivals(archive_root)
    received: list[ArchivedFile | None] = []
    to_copy: list[tuple[int, LandingEntry]] = []
    for landed in scan_landing_folder(raw_dir):
        previous = known.get(landed.relative_path)
        if (
            previous is not None
            and previous[0] == StatFingerprint.of(landed.stat)
            and previous[1].archived_path.is_file()
        ):
            received.append(previous[1])
        else:
            to_copy.append((len(received), landed))
            received.append(None)
    if to_copy:
        archive_root.mkdir(parents=True, exist_ok=True)

        def copy(landed: LandingEntry) -> tuple[ArchivedFile, StatFingerprint | None]:
            arrived = datetime.fromtimestamp(landed.stat.st_mtime, UTC).replace(tzinfo=None)
            return _copy_into_archive(landed.path, landed.relative_path, arrived, archive_root)

        with ThreadPoolExecutor(max_workers=ARCHIVING_THREADS) as pool:
            arrivals = list(pool.map(copy, [landed for _, landed in to_copy]))
        _append_manifest(archive_root, arrivals)
        for (index, _), (archived, _) in zip(to_copy, arrivals, strict=True):
            received[index] = archived
    return received  # type: ignore[return-value]  # every None was filled


def clear_incoming(archive_root: Path) -> None:
    """Remove copies left half-written by a run that was killed."""
    if archive_root.is_dir():
        for leftover in archive_root.glob(".incoming-*"):
            leftover.unlink(missing_ok=True)
