"""The immutable, content-addressed archive of every file received.

Before anything parses a landed file, its bytes are copied into
``<archive>/<sha[:2]>/<sha256><ext>`` (hashed while copying, so the archived bytes
are exactly the hashed ones even if a clerk overwrites the landing file meanwhile),
made read-only, and listed in ``manifest.jsonl`` with the name it arrived under
(:mod:`flows.warehouse.manifest`, which also says what ``received_at`` means: when the
archive first saw that content, never the landing file's mtime). A clerk deleting or
overwriting a landing file never loses history, the same content arriving twice is
stored once, and ``chitieu run --full`` can rebuild the warehouse from the archive alone.
Names in the landing folder never become paths in the archive, so a hostile file name
cannot write outside it.

No single landing file can stop a night: only regular files are opened, without
following or blocking on anything else (:func:`open_regular_file`); a file that cannot
be received (unreadable, vanished, a FIFO, socket or device, a failed copy) is skipped
with a bilingual note in the :class:`Receipt`, and every other file is received. A name
that is not valid UTF-8 is received too, shown with each undecodable byte written
``\\xff``. The archive is private: readable by its owner, and by ``CHITIEU_READER_GROUP``
when that is set, never by everyone.

A night does not re-read a landing file it has already archived and that has not been
touched since: see :func:`receive` for why a ``stat`` is enough to know.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from flows.reading.errors import internal_error_reason
from flows.warehouse.access import Privacy, ReaderGroupNotJoined
from flows.warehouse.manifest import (
    ARCHIVE_CLOCK,
    MANIFEST,
    ArchivedFile,
    NotARegularFile,
    StatFingerprint,
    append_lines,
    archived_sha256s,
    blob_path,
    file_kind,
    manifest_tail,
    open_regular_file,
    read_manifest,
    read_manifest_with_warnings,
    reconcile,
    tighten,
    utc_from_ns,
)

__all__ = [
    "MANIFEST",
    "ArchiveWriteError",
    "ArchivedFile",
    "LandingEntry",
    "NotARegularFile",
    "Privacy",
    "ReaderGroupNotJoined",
    "Receipt",
    "SkippedFile",
    "StatFingerprint",
    "archived_sha256s",
    "clear_incoming",
    "display_name",
    "landing_sha256",
    "open_regular_file",
    "read_manifest",
    "read_manifest_with_warnings",
    "receive",
    "receive_landing_folder",
    "scan_landing",
    "scan_landing_folder",
]

IGNORED_NAME_PREFIXES = (".", "~$")  # hidden files and Office lock files are not submissions
# A file changed less than this long before it was hashed may change again within the
# same tick of the file system's clock, unseen by ``stat``: its fingerprint is not trusted.
SETTLED_NANOSECONDS = 2_000_000_000
# Archiving a file is mostly waiting for the disk (its fsync): a few threads overlap the
# waits of a night with thousands of new files.
ARCHIVING_THREADS = 4
_BLOCK = 1 << 20


@dataclass(frozen=True)
class SkippedFile:
    """A landing file not received this night, and why, Vietnamese first.

    ``origin`` says whose the failure was: ``"landing"`` (the file itself: unreadable,
    vanished, not a regular file), ``"archive"`` (storing it failed: a full disk) or
    ``"internal"`` (a fault of chitieu, to be reported). A skipped file is tried again on
    the next night.
    """

    relative_path: str
    reason_vi: str
    reason_en: str
    origin: str = "landing"

    @property
    def reason(self) -> str:
        """Both languages in one text, Vietnamese first."""
        return f"{self.reason_vi} / {self.reason_en}"


@dataclass
class Receipt:
    """What one receive did: the files received, those skipped, and notes for the operator.

    ``archived`` lists every landing file received, in the landing folder's order (as
    :func:`receive_landing_folder` returns it); ``warnings`` are one English line each:
    manifest lines skipped, blobs listed again, blobs the manifest names but the archive
    lacks, an archive that could not be made private.
    """

    archived: list[ArchivedFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LandingEntry:
    """A regular file found in the landing folder: its path, name in the folder, and stat.

    ``path`` opens the file (an undecodable byte of its name kept as a surrogate);
    ``relative_path`` is its name for people and records (:func:`display_name`).
    """

    path: Path
    relative_path: str
    stat: os.stat_result


def display_name(name: str) -> str:
    """A file name as valid text: each byte that is not UTF-8 written ``\\xff``.

    The same name gives the same text on every night, so a file's stat fingerprint is
    found again; the text can be printed, stored and encoded anywhere.
    """
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def scan_landing(raw_dir: Path) -> tuple[list[LandingEntry], list[SkippedFile]]:
    """Regular files under the landing folder with their ``stat``, in a stable order, and
    what was met that is not one (a FIFO, socket, device, symbolic link, unreadable folder).

    Symbolic links are neither followed nor read: a link in the landing folder could
    otherwise pull any file of the machine into the warehouse. Hidden entries and Office
    lock files are passed over in silence. One ``os.scandir`` per folder and one ``lstat``
    per file (the entry's type comes with the listing): a watcher scans the whole folder at
    every poll, and each night's receive scans it again.
    """
    found: list[LandingEntry] = []
    skipped: list[SkippedFile] = []

    def scan(folder: str, prefix: str) -> None:
        try:
            with os.scandir(folder) as entries:
                listed = sorted(entries, key=lambda entry: entry.name)
        except FileNotFoundError:  # gone: it holds nothing
            return
        except OSError as error:
            skipped.append(_unreadable_folder(prefix or "./", error))
            return
        for entry in listed:
            if entry.name.startswith("."):
                continue
            name = prefix + display_name(entry.name)
            try:
                entry_stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # removed between the listing and the stat
                continue
            except OSError as error:
                skipped.append(_skipped(name, error))
                continue
            if stat.S_ISDIR(entry_stat.st_mode):
                scan(entry.path, f"{name}/")
            elif entry.name.startswith(IGNORED_NAME_PREFIXES):
                continue
            elif stat.S_ISREG(entry_stat.st_mode):
                found.append(LandingEntry(Path(entry.path), name, entry_stat))
            else:
                skipped.append(_skipped(name, NotARegularFile(*file_kind(entry_stat.st_mode))))

    scan(str(raw_dir), "")
    found.sort(key=lambda entry: entry.path)
    return found, skipped


def scan_landing_folder(raw_dir: Path) -> list[LandingEntry]:
    """Regular files under the landing folder, with their ``stat`` (see :func:`scan_landing`)."""
    return scan_landing(raw_dir)[0]


def landing_sha256(path: Path) -> str:
    """Hex SHA-256 of a landing file's bytes, opened as the archive opens it.

    Raises :class:`NotARegularFile` for a FIFO, socket, device or link (never blocks on
    one), or the ``OSError`` of a file that cannot be read.
    """
    digest = hashlib.sha256()
    with os.fdopen(open_regular_file(path), "rb") as reader:
        for block in iter(lambda: reader.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


class ArchiveWriteError(OSError):
    """Storing a file in the archive failed (a full disk, say): the archive's fault, not its."""


@contextlib.contextmanager
def _archive_side() -> Iterator[None]:
    try:
        yield
    except ArchiveWriteError:
        raise
    except OSError as error:
        raise ArchiveWriteError(error.errno, error.strerror, error.filename) from error


def _copy_into_archive(
    source: Path, relative_path: str, archive_root: Path, privacy: Privacy | None = None
) -> tuple[ArchivedFile, StatFingerprint | None]:
    """Copy ``source``'s bytes into the archive, durably, once per content: no manifest line.

    Returns the archived file (its ``received_at`` the blob's mtime, which :func:`receive`
    replaces with the content's first sight) and, when it is settled (unchanged during the
    copy, and last changed well before it began), its landing file's
    :class:`StatFingerprint`, which the manifest line keeps so that a later night can tell,
    from ``stat`` alone, that the landing file still holds these bytes. Safe to call from
    several threads at once (each stages into its own file).

    ``source`` is opened by :func:`open_regular_file`: anything but a regular file raises
    :class:`NotARegularFile` at once. A failure on the archive's side raises
    :class:`ArchiveWriteError`; either way no staging file is left behind.
    """
    if privacy is None:
        privacy = Privacy.from_settings()
    staging = archive_root / f".incoming-{os.getpid()}-{threading.get_ident()}"
    digest = hashlib.sha256()
    size = 0
    hashing_started_ns = time.time_ns()
    with os.fdopen(open_regular_file(source), "rb") as reader:
        before = StatFingerprint.of(os.fstat(reader.fileno()))
        try:
            with _archive_side():
                flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW
                writer = os.fdopen(os.open(staging, flags, 0o600), "wb", buffering=0)
            with writer:
                for block in iter(lambda: reader.read(_BLOCK), b""):
                    digest.update(block)
                    with _archive_side():
                        view = memoryview(block)
                        while view:
                            view = view[writer.write(view) :]
                    size += len(block)
                with _archive_side():
                    os.fsync(writer.fileno())
                    privacy.apply(writer.fileno(), privacy.read_only_mode)
                    written_ns = os.fstat(writer.fileno()).st_mtime_ns
            after = StatFingerprint.of(os.fstat(reader.fileno()))
            sha256 = digest.hexdigest()
            target = archive_root / blob_path(sha256, Path(relative_path).suffix.lower())
            with _archive_side():
                _make_folder(target.parent, privacy)
                if target.exists():
                    staging.unlink()
                else:
                    os.replace(staging, target)
        except BaseException:
            with contextlib.suppress(OSError):
                staging.unlink(missing_ok=True)
            raise
    settled = (
        before == after
        and before.size_bytes == size
        and before.ctime_ns < hashing_started_ns - SETTLED_NANOSECONDS
    )
    archived = ArchivedFile(sha256, target, relative_path, size, utc_from_ns(written_ns))
    return archived, before if settled else None


def _make_folder(folder: Path, privacy: Privacy) -> None:
    try:
        folder.mkdir(mode=privacy.folder_mode)
    except FileExistsError:
        return
    privacy.apply(folder, privacy.folder_mode)  # the umask may have taken from the mode


def _skipped(relative_path: str, error: BaseException) -> SkippedFile:
    """Why a landing file was not received, for its clerk and the operator."""
    if isinstance(error, NotARegularFile):
        return SkippedFile(relative_path, error.reason_vi, error.reason_en)
    if isinstance(error, ArchiveWriteError):
        return SkippedFile(
            relative_path,
            f"Kho lưu trữ không ghi được tệp này ({error.strerror}); "
            "tệp sẽ được nhận lại vào đêm sau.",
            f"The archive could not store this file ({error.strerror}); "
            "it will be received again on a later night.",
            origin="archive",
        )
    if isinstance(error, FileNotFoundError):
        return SkippedFile(
            relative_path,
            "Tệp đã bị xoá hoặc đổi tên trước khi kịp nhận; nếu vẫn cần, hãy gửi lại.",
            "The file was removed or renamed before it could be received; "
            "resend it if it is still needed.",
        )
    if isinstance(error, PermissionError):
        return SkippedFile(
            relative_path,
            "Không có quyền đọc tệp này; hãy kiểm tra quyền truy cập của tệp.",
            "The file cannot be read (permission denied); check its permissions.",
        )
    if isinstance(error, OSError):
        return SkippedFile(
            relative_path,
            f"Không đọc được tệp ({error.strerror or error}).",
            f"The file could not be read ({error.strerror or error}).",
        )
    if isinstance(error, UnicodeError):
        return SkippedFile(
            relative_path,
            "Tên tệp không đọc được; hãy đổi tên tệp và gửi lại.",
            "The file's name cannot be encoded; rename the file and resend it.",
        )
    return SkippedFile(
        relative_path, *internal_error_reason(type(error).__name__, str(error)), origin="internal"
    )


def _unreadable_folder(relative_path: str, error: OSError) -> SkippedFile:
    return SkippedFile(
        relative_path,
        f"Không đọc được thư mục này ({error.strerror or error}); các tệp trong đó chưa được nhận.",
        f"This folder cannot be read ({error.strerror or error}); "
        "the files in it were not received.",
    )


def _last_settled_arrivals(archive_root: Path) -> dict[str, tuple[StatFingerprint, ArchivedFile]]:
    """For each landing name, its last manifest line, when that line has a fingerprint.

    A name whose last line has none (an old manifest, or a file that was changing while
    it was copied) is absent: its file is hashed again.
    """
    tail = manifest_tail(archive_root)
    return {
        name: (line.fingerprint, line.archived(archive_root, tail.first_seen[line.sha256]))
        for name, line in tail.last.items()
        if line.fingerprint is not None
    }


def receive(raw_dir: Path, archive_root: Path) -> Receipt:
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
    on a few threads; a file whose copy fails for any reason is skipped with a note, the
    others received. Their manifest lines are appended, in the landing folder's order,
    once every copy is durable, each with the content's first sight as ``received_at``.

    Around that, the archive heals and stays private: the root folder and the manifest
    get their private modes, a torn last manifest line is ended before anything is
    appended, and, once the night's lines are written, every blob no manifest line names
    is listed again (:func:`flows.warehouse.manifest.reconcile`). A ``CHITIEU_READER_GROUP``
    that names no usable group raises
    :class:`flows.warehouse.access.UnknownReaderGroup` before anything is done.
    """
    privacy = Privacy.from_settings()
    receipt = Receipt()
    if archive_root.is_dir():
        receipt.warnings += tighten(archive_root, privacy)
        append_lines(archive_root, [], privacy)  # a torn last line is ended, then skipped
    tail = manifest_tail(archive_root)
    receipt.warnings += tail.take_warnings()
    landing, receipt.skipped = scan_landing(raw_dir)

    received: list[ArchivedFile | None] = []
    to_copy: list[tuple[int, LandingEntry]] = []
    for landed in landing:
        previous = tail.last.get(landed.relative_path)
        if (
            previous is not None
            and previous.fingerprint == StatFingerprint.of(landed.stat)
            and (archive_root / previous.archived_path).is_file()
        ):
            first_seen = tail.first_seen[previous.sha256]
            received.append(previous.archived(archive_root, first_seen))
        else:
            to_copy.append((len(received), landed))
            received.append(None)
    if to_copy:
        if not archive_root.is_dir():
            archive_root.mkdir(parents=True, exist_ok=True)
            privacy.apply(archive_root, privacy.folder_mode)  # the umask may have loosened it

        def copy(landed: LandingEntry) -> tuple[ArchivedFile, StatFingerprint | None] | SkippedFile:
            try:
                return _copy_into_archive(landed.path, landed.relative_path, archive_root, privacy)
            except Exception as error:  # one file's failure is that file's, never the night's
                return _skipped(landed.relative_path, error)

        with ThreadPoolExecutor(max_workers=ARCHIVING_THREADS) as pool:
            outcomes = list(pool.map(copy, [landed for _, landed in to_copy]))
        arrivals = _first_sightings(tail.first_seen, outcomes)
        _append_arrivals(archive_root, [a for a in arrivals if a is not None], privacy)
        for (index, _), outcome, arrival in zip(to_copy, outcomes, arrivals, strict=True):
            if isinstance(outcome, SkippedFile):
                receipt.skipped.append(outcome)
                if outcome.origin != "landing":  # the operator's business, not the clerk's
                    receipt.warnings.append(f"{outcome.relative_path}: {outcome.reason_en}")
            elif arrival is not None:
                received[index] = arrival[0]
    receipt.archived = [archived for archived in received if archived is not None]
    receipt.skipped.sort(key=lambda skipped: skipped.relative_path)
    if archive_root.is_dir():
        receipt.warnings += reconcile(archive_root, privacy)
    return receipt


def _first_sightings(
    first_seen: dict[str, datetime],
    outcomes: list[tuple[ArchivedFile, StatFingerprint | None] | SkippedFile],
) -> list[tuple[ArchivedFile, StatFingerprint | None] | None]:
    """Each copy's ``received_at`` made its content's first sight (None for a skipped file).

    The manifest's earliest sight of the content if it has one, else the time its first
    blob was written, read once every copy is done: names of one new content copied at
    once get the same time, even when their extensions make them two blobs.
    """
    blob_times: dict[str, datetime] = {}
    for outcome in outcomes:
        if isinstance(outcome, SkippedFile) or outcome[0].sha256 in first_seen:
            continue
        archived = outcome[0]
        try:
            written = utc_from_ns(os.stat(archived.archived_path).st_mtime_ns)
        except FileNotFoundError:
            written = archived.received_at
        blob_times[archived.sha256] = min(written, blob_times.get(archived.sha256, written))
    return [
        None
        if isinstance(outcome, SkippedFile)
        else (
            replace(
                outcome[0],
                received_at=first_seen.get(outcome[0].sha256) or blob_times[outcome[0].sha256],
            ),
            outcome[1],
        )
        for outcome in outcomes
    ]


def _append_arrivals(
    archive_root: Path,
    arrivals: list[tuple[ArchivedFile, StatFingerprint | None]],
    privacy: Privacy,
) -> None:
    """One manifest line per arrival, in order, written and synced at once.

    Called only once the archived copies are durable (fsynced), so a line never names
    bytes a crash could lose; a crash before the lines are synced loses the lines only,
    and their files are archived again on the next night (or their blobs listed again).
    """
    if not arrivals:
        return
    now = datetime.now(UTC).replace(tzinfo=None).isoformat()
    entries = []
    for archived, fingerprint in arrivals:
        entry: dict = {
            "sha256": archived.sha256,
            "archived_path": archived.archived_path.relative_to(archive_root).as_posix(),
            "relative_path": archived.relative_path,
            "size_bytes": archived.size_bytes,
            "received_at": archived.received_at.isoformat(),
            "archived_at": now,
            "clock": ARCHIVE_CLOCK,
        }
        if fingerprint is not None:
            entry["stat"] = fingerprint.as_json()
        entries.append(entry)
    append_lines(archive_root, entries, privacy)


def receive_landing_folder(raw_dir: Path, archive_root: Path) -> list[ArchivedFile]:
    """The files :func:`receive` archived, in the landing folder's order (skips unsaid)."""
    return receive(raw_dir, archive_root).archived


def clear_incoming(archive_root: Path) -> None:
    """Remove copies left half-written by a run that was killed."""
    if archive_root.is_dir():
        for leftover in archive_root.glob(".incoming-*"):
            leftover.unlink(missing_ok=True)
