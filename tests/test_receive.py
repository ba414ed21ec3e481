"""Receiving the landing folder: unchanged files are not read again, changed ones always are;
only regular files are opened, one file's failure costs that file only, names that are not
UTF-8 are received, arrival is the archive's first sight, and the archive is private."""

from __future__ import annotations

import contextlib
import fcntl
import grp
import json
import os
import socket
import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.warehouse import receive
from flows.warehouse.access import UnknownReaderGroup
from flows.warehouse.receive import read_manifest, receive_landing_folder


def _manifest_lines(archive_root: Path) -> list[dict]:
    text = (archive_root / receive.MANIFEST).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _by_name(received) -> dict[str, str]:
    return {f.relative_path: f.sha256 for f in received}


@pytest.fixture
def settled_at_once(monkeypatch):
    """Files written by the test a moment ago count as settled (no 2 s wait in tests)."""
    monkeypatch.setattr(receive, "SETTLED_NANOSECONDS", -(10**12))


def _land(raw: Path, name: str, content: bytes) -> Path:
    path = raw / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_an_unchanged_file_is_not_archived_again(tmp_path, settled_at_once):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"first ward")
    _land(raw, "sub/b.csv", b"second ward")
    first = receive_landing_folder(raw, root)
    assert len(_manifest_lines(root)) == 2
    assert all(line["stat"] for line in _manifest_lines(root))

    second = receive_landing_folder(raw, root)
    assert second == first  # same contents, same names, same arrival times
    assert len(_manifest_lines(root)) == 2  # nothing read, nothing appended


def test_a_file_changed_in_place_is_hashed_again_even_with_its_old_mtime(tmp_path, settled_at_once):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    path = _land(raw, "a.xlsx", b"value 10")
    before = path.stat()
    (first,) = receive_landing_folder(raw, root)
    # The settling margin is off in this test: step past the file clock's tick ourselves.
    time.sleep(0.05)
    # Same size, same inode, mtime put back: only ctime tells, and it is enough.
    with path.open("r+b") as handle:
        handle.write(b"value 99")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    (second,) = receive_landing_folder(raw, root)
    assert second.sha256 != first.sha256
    assert second.archived_path.read_bytes() == b"value 99"


def test_a_file_replaced_under_the_same_name_is_hashed_again(tmp_path, settled_at_once):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"old bytes")
    receive_landing_folder(raw, root)
    replacement = _land(tmp_path / "elsewhere", "a.xlsx", b"new bytes")
    os.replace(replacement, raw / "a.xlsx")
    (received,) = receive_landing_folder(raw, root)
    assert received.archived_path.read_bytes() == b"new bytes"
    assert sorted(f.sha256 for f in read_manifest(root)) == sorted(
        [received.sha256, receive.hashlib.sha256(b"old bytes").hexdigest()]
    )


def test_a_missing_archived_copy_is_archived_again(tmp_path, settled_at_once):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"bytes")
    (first,) = receive_landing_folder(raw, root)
    first.archived_path.chmod(0o644)
    first.archived_path.unlink()
    (second,) = receive_landing_folder(raw, root)
    assert second.archived_path.read_bytes() == b"bytes"


def test_a_file_changed_just_before_it_was_copied_is_not_trusted(tmp_path):
    """Written a moment ago: it may still change within the clock tick, so no fingerprint."""
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"still being saved")
    receive_landing_folder(raw, root)
    assert "stat" not in _manifest_lines(root)[0]
    receive_landing_folder(raw, root)  # hashed again, and recorded again
    assert len(_manifest_lines(root)) == 2
    assert _by_name(read_manifest(root)) == {
        "a.xlsx": receive.hashlib.sha256(b"still being saved").hexdigest()
    }


def test_manifest_lines_without_a_fingerprint_still_read(tmp_path, settled_at_once):
    """Manifests written before fingerprints existed: files are hashed once more, then not."""
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"bytes")
    receive_landing_folder(raw, root)
    lines = _manifest_lines(root)
    del lines[0]["stat"]
    (root / receive.MANIFEST).write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
    receive_landing_folder(raw, root)
    receive_landing_folder(raw, root)
    assert len(_manifest_lines(root)) == 2
    assert [f.relative_path for f in read_manifest(root)] == ["a.xlsx"]


def test_the_manifest_is_followed_by_what_was_appended_and_reread_when_rewritten(
    tmp_path, settled_at_once
):
    """A long-lived process reads only the manifest's new lines, but never a stale copy of it."""
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"first ward")
    receive_landing_folder(raw, root)
    manifest = root / receive.MANIFEST
    with manifest.open("a", encoding="utf-8") as lines:  # a line being written: not read yet
        lines.write('{"sha256": "abc", "relat')
    assert set(receive._last_settled_arrivals(root)) == {"a.xlsx"}
    _land(raw, "b.xlsx", b"second ward")
    with manifest.open("a", encoding="utf-8") as lines:  # the torn line ends: skipped, as before
        lines.write("\n")
    receive_landing_folder(raw, root)
    assert set(receive._last_settled_arrivals(root)) == {"a.xlsx", "b.xlsx"}

    # Rewritten in place (same inode) and no shorter: the whole file is read again.
    kept = [line for line in _manifest_lines_lenient(root) if line["relative_path"] == "b.xlsx"]
    padded = "".join(json.dumps(line) + "\n" for line in kept) + "\n" * manifest.stat().st_size
    manifest.write_text(padded, encoding="utf-8")
    assert set(receive._last_settled_arrivals(root)) == {"b.xlsx"}


def _manifest_lines_lenient(archive_root: Path) -> list[dict]:
    lines = []
    for text in (archive_root / receive.MANIFEST).read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(text))
        except json.JSONDecodeError:
            continue
    return lines


def test_the_landing_scan_skips_links_hidden_files_and_lock_files(tmp_path):
    raw = tmp_path / "raw"
    _land(raw, "b/ward.xlsx", b"x")
    _land(raw, "a.xlsx", b"x")
    _land(raw, ".hidden/c.xlsx", b"x")
    _land(raw, "~$a.xlsx", b"x")
    _land(raw, ".a.xlsx", b"x")
    outside = _land(tmp_path / "elsewhere", "secret.xlsx", b"x")
    (raw / "link.xlsx").symlink_to(outside)
    (raw / "linked-folder").symlink_to(outside.parent, target_is_directory=True)
    scanned = receive.scan_landing_folder(raw)
    assert [entry.relative_path for entry in scanned] == ["a.xlsx", "b/ward.xlsx"]
    assert [entry.path for entry in scanned] == [raw / "a.xlsx", raw / "b" / "ward.xlsx"]
    assert scanned[0].stat.st_size == 1
    assert receive.scan_landing_folder(tmp_path / "missing") == []


def test_many_new_files_are_archived_together_and_listed_in_landing_order(tmp_path):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    names = [f"{ward % 3}/ward-{ward:02d}.xlsx" for ward in range(30)]
    for name in names:
        _land(raw, name, name.encode())
    _land(raw, "copy-of-ward-00.xlsx", b"0/ward-00.xlsx")  # same bytes, another name
    received = receive_landing_folder(raw, root)
    assert [f.relative_path for f in received] == sorted([*names, "copy-of-ward-00.xlsx"])
    assert [line["relative_path"] for line in _manifest_lines(root)] == [
        f.relative_path for f in received
    ]
    by_name = {f.relative_path: f for f in received}
    stored_once = {
        by_name[name].archived_path for name in ("0/ward-00.xlsx", "copy-of-ward-00.xlsx")
    }
    assert len(stored_once) == 1
    assert not list(root.glob(".incoming-*"))
    for archived in received:
        assert archived.archived_path.read_bytes() == (raw / archived.relative_path).read_bytes()
        assert archived.archived_path.stat().st_mode & 0o777 == 0o400


# --- Only regular files, per-file isolation -------------------------------------------------


def _in_time(function, *args, seconds: float = 5.0):
    """``function(*args)``, which must return or raise within ``seconds``, never hang.

    A regression that blocks (``open`` on a FIFO waits for a writer) fails the test instead
    of hanging the suite: the FIFO's reader is then released by opening it for writing.
    """
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = function(*args)
        except BaseException as error:
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        for fifo in [a for a in args if isinstance(a, Path) and stat.S_ISFIFO(_lstat(a))]:
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"{function.__name__} blocked for {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _lstat(path: Path) -> int:
    try:
        return path.lstat().st_mode
    except OSError:
        return 0


def _unix_socket(path: Path) -> socket.socket:
    bound = socket.socket(socket.AF_UNIX)
    bound.bind(str(path))
    return bound


def test_fifos_and_sockets_are_skipped_with_a_note_and_the_rest_received(tmp_path):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"first ward")
    _land(raw, "sub/b.csv", b"second ward")
    os.mkfifo(raw / "pipe.xlsx")
    os.mkfifo(raw / ".hidden-pipe")  # hidden: passed over in silence, as any hidden entry
    (raw / "link.xlsx").symlink_to(raw / "a.xlsx")
    bound = _unix_socket(raw / "s.csv")
    try:
        receipt = _in_time(receive.receive, raw, root)
    finally:
        bound.close()
    assert [f.relative_path for f in receipt.archived] == ["a.xlsx", "sub/b.csv"]
    assert [s.relative_path for s in receipt.skipped] == ["link.xlsx", "pipe.xlsx", "s.csv"]
    link, pipe, sock = receipt.skipped
    assert "symbolic link" in link.reason_en
    assert "FIFO" in pipe.reason_en and "Không phải tệp thông thường" in pipe.reason_vi
    assert "socket" in sock.reason_en and sock.origin == "landing"
    assert pipe.reason.startswith(pipe.reason_vi)
    assert receive_landing_folder(raw, root) == receipt.archived  # the thin wrapper
    assert [entry.relative_path for entry in receive.scan_landing_folder(raw)] == [
        "a.xlsx",
        "sub/b.csv",
    ]


def test_a_device_in_the_landing_folder_is_skipped(tmp_path):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"ward")
    try:
        os.mknod(raw / "null.xlsx", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except (PermissionError, OSError):
        pytest.skip("cannot create a device node here")
    receipt = receive.receive(raw, root)
    assert [f.relative_path for f in receipt.archived] == ["a.xlsx"]
    (skipped,) = receipt.skipped
    assert skipped.relative_path == "null.xlsx" and "character device" in skipped.reason_en


def test_a_file_swapped_for_a_fifo_after_the_scan_is_refused_at_once(tmp_path):
    root = tmp_path / "archive"
    root.mkdir()
    fifo = tmp_path / "ward.xlsx"
    os.mkfifo(fifo)
    with pytest.raises(receive.NotARegularFile) as refused:
        _in_time(receive._copy_into_archive, fifo, "ward.xlsx", root)
    assert "FIFO" in refused.value.reason_en
    assert not list(root.iterdir())  # no staging file left behind
    with pytest.raises(receive.NotARegularFile):
        _in_time(receive.landing_sha256, fifo)


def test_open_regular_file_refuses_links_sockets_and_devices_and_reads_files(tmp_path):
    regular = _land(tmp_path, "a.csv", b"bytes")
    fd = receive.open_regular_file(regular)
    try:
        assert os.read(fd, 10) == b"bytes"
        assert not fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK  # blocking again
        assert fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
    finally:
        os.close(fd)
    (tmp_path / "link.csv").symlink_to(regular)
    with pytest.raises(receive.NotARegularFile, match="symbolic link"):
        receive.open_regular_file(tmp_path / "link.csv")
    bound = _unix_socket(tmp_path / "s")
    try:
        with pytest.raises(receive.NotARegularFile, match="socket"):
            receive.open_regular_file(tmp_path / "s")
    finally:
        bound.close()
    with pytest.raises(receive.NotARegularFile, match="character device"):
        receive.open_regular_file("/dev/null")
    with pytest.raises(receive.NotARegularFile, match="folder"):
        receive.open_regular_file(tmp_path)
    assert receive.landing_sha256(regular) == receive.hashlib.sha256(b"bytes").hexdigest()


def _after_the_scan(monkeypatch, change):
    """The landing folder changes between the scan and the copies (``change(raw_dir)``)."""
    scan = receive.scan_landing

    def scan_then_change(raw_dir):
        scanned = scan(raw_dir)
        change(raw_dir)
        return scanned

    monkeypatch.setattr(receive, "scan_landing", scan_then_change)


def test_files_that_vanish_or_change_kind_after_the_scan_are_skipped(tmp_path, monkeypatch):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"stays")
    _land(raw, "gone.xlsx", b"removed by the clerk")
    _land(raw, "piped.xlsx", b"replaced by a FIFO")
    _land(raw, "folder.xlsx", b"replaced by a folder")
    _land(raw, "sub/x.csv", b"its folder replaced by a file")

    def change(raw_dir: Path) -> None:
        (raw_dir / "gone.xlsx").unlink()
        (raw_dir / "piped.xlsx").unlink()
        os.mkfifo(raw_dir / "piped.xlsx")
        (raw_dir / "folder.xlsx").unlink()
        (raw_dir / "folder.xlsx").mkdir()
        (raw_dir / "sub" / "x.csv").unlink()
        (raw_dir / "sub").rmdir()
        (raw_dir / "sub").write_bytes(b"")

    _after_the_scan(monkeypatch, change)
    receipt = _in_time(receive.receive, raw, root)
    assert [f.relative_path for f in receipt.archived] == ["a.xlsx"]
    reasons = {s.relative_path: s.reason_en for s in receipt.skipped}
    assert set(reasons) == {"folder.xlsx", "gone.xlsx", "piped.xlsx", "sub/x.csv"}
    assert "removed or renamed" in reasons["gone.xlsx"]
    assert "FIFO" in reasons["piped.xlsx"]
    assert "a folder" in reasons["folder.xlsx"]
    assert "Not a directory" in reasons["sub/x.csv"]
    assert [line["relative_path"] for line in _manifest_lines(root)] == ["a.xlsx"]
    assert not list(root.glob(".incoming-*"))


def test_a_file_that_cannot_be_read_is_skipped(tmp_path):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"readable")
    _land(raw, "b.xlsx", b"not readable").chmod(0)
    if os.access(raw / "b.xlsx", os.R_OK):
        pytest.skip("this process reads a file whatever its mode (root)")
    _land(raw, "closed/c.xlsx", b"in a folder that cannot be listed")
    (raw / "closed").chmod(0)
    try:
        receipt = receive.receive(raw, root)
    finally:
        (raw / "closed").chmod(0o700)
    assert [f.relative_path for f in receipt.archived] == ["a.xlsx"]
    reasons = {s.relative_path: s.reason_en for s in receipt.skipped}
    assert "permission denied" in reasons["b.xlsx"]
    assert "folder cannot be read" in reasons["closed/"]


def test_an_internal_error_costs_its_file_only_and_says_so(tmp_path, monkeypatch):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"fine")
    _land(raw, "b.xlsx", b"meets a bug")
    copy = receive._copy_into_archive

    def buggy(source, relative_path, archive_root, privacy=None):
        if relative_path == "b.xlsx":
            raise ZeroDivisionError("a bug")
        return copy(source, relative_path, archive_root, privacy)

    monkeypatch.setattr(receive, "_copy_into_archive", buggy)
    receipt = receive.receive(raw, root)
    assert [f.relative_path for f in receipt.archived] == ["a.xlsx"]
    (skipped,) = receipt.skipped
    assert skipped.origin == "internal" and "ZeroDivisionError: a bug" in skipped.reason_en
    assert "report it" in skipped.reason_en
    assert any("b.xlsx" in warning for warning in receipt.warnings)


# --- Names that are not UTF-8 ---------------------------------------------------------------


def test_a_name_that_is_not_utf8_is_received_under_a_stable_printable_name(
    tmp_path, settled_at_once
):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    raw.mkdir()
    (raw / "ok.csv").write_bytes(b"fine")
    with open(os.fsencode(raw) + b"/bad\xff\xfe.csv", "wb") as handle:
        handle.write(b"a,b\n1,2\n")
    os.mkdir(os.fsencode(raw) + b"/x\xe1")
    with open(os.fsencode(raw) + b"/x\xe1/in.csv", "wb") as handle:
        handle.write(b"in a folder with a bad name")
    receipt = receive.receive(raw, root)
    names = [f.relative_path for f in receipt.archived]
    assert names == ["bad\\xff\\xfe.csv", "ok.csv", "x\\xe1/in.csv"]
    assert receipt.skipped == []
    by_name = {f.relative_path: f for f in receipt.archived}
    assert by_name["bad\\xff\\xfe.csv"].archived_path.read_bytes() == b"a,b\n1,2\n"
    assert by_name["bad\\xff\\xfe.csv"].archived_path.suffix == ".csv"
    manifest = (root / receive.MANIFEST).read_bytes().decode("utf-8")  # valid UTF-8
    assert [json.loads(line)["relative_path"] for line in manifest.splitlines()] == names
    for name in names:
        name.encode("utf-8")  # printable, storable text: no surrogate left

    again = receive.receive(raw, root)  # same names, found again: nothing re-read
    assert again.archived == receipt.archived
    assert len(_manifest_lines(root)) == 3
    assert [f.relative_path for f in read_manifest(root)] == names


# --- Time of receipt ------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def test_received_at_is_when_the_archive_first_saw_the_content_never_the_mtime(tmp_path):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    future = _land(raw, "from-2099.xlsx", b"dated in the future")
    past = _land(raw, "from-1990.xlsx", b"dated in the past")
    os.utime(future, (4_102_444_800, 4_102_444_800))
    os.utime(past, (631_152_000, 631_152_000))
    before = _now() - timedelta(seconds=1)
    first = {f.relative_path: f for f in receive_landing_folder(raw, root)}
    after = _now() + timedelta(seconds=1)
    for archived in first.values():
        assert before <= archived.received_at <= after
    assert all(line["clock"] == "archive" for line in _manifest_lines(root))

    time.sleep(0.05)
    copy = _land(raw, "copy-of-2099.xlsx", b"dated in the future")
    os.utime(copy, (631_152_000, 631_152_000))
    (future).unlink()
    later = {f.relative_path: f for f in receive_landing_folder(raw, root)}
    assert later["copy-of-2099.xlsx"].received_at == first["from-2099.xlsx"].received_at
    assert later["from-1990.xlsx"].received_at == first["from-1990.xlsx"].received_at
    listed = {f.relative_path: f.received_at for f in read_manifest(root)}
    assert listed["copy-of-2099.xlsx"] == listed["from-2099.xlsx"]


def test_two_names_of_one_new_content_arrive_at_the_same_time(tmp_path):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    for ward in range(8):
        _land(raw, f"copy-{ward}.xlsx", b"the same bytes")
    received = receive_landing_folder(raw, root)
    assert len({f.received_at for f in received}) == 1
    assert len({f.archived_path for f in received}) == 1


# --- Private by default ---------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_archive_is_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("CHITIEU_READER_GROUP", raising=False)
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"private").chmod(0o600)
    _land(raw, "b.xlsx", b"world-readable at the source").chmod(0o644)
    received = receive_landing_folder(raw, root)
    for archived in received:
        assert _mode(archived.archived_path) == 0o400
        assert _mode(archived.archived_path.parent) == 0o700
    assert _mode(root) == 0o700
    assert _mode(root / receive.MANIFEST) == 0o600


def test_an_archive_made_before_is_closed_to_others_on_the_next_receive(tmp_path, monkeypatch):
    monkeypatch.delenv("CHITIEU_READER_GROUP", raising=False)
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"bytes")
    receive_landing_folder(raw, root)
    root.chmod(0o755)
    (root / receive.MANIFEST).chmod(0o644)
    receive_landing_folder(raw, root)  # nothing new: the modes are tightened anyway
    assert _mode(root) == 0o700
    assert _mode(root / receive.MANIFEST) == 0o600


def test_a_reader_group_may_read_the_archive_too(tmp_path, monkeypatch):
    group = grp.getgrgid(os.getgid()).gr_name
    monkeypatch.setenv("CHITIEU_READER_GROUP", group)
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"for the analysts").chmod(0o600)
    (archived,) = receive_landing_folder(raw, root)
    for path, mode in (
        (archived.archived_path, 0o440),
        (archived.archived_path.parent, 0o750),
        (root, 0o750),
        (root / receive.MANIFEST, 0o640),
    ):
        assert _mode(path) == mode, path
        assert path.stat().st_gid == os.getgid(), path


def test_an_unknown_reader_group_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CHITIEU_READER_GROUP", "no-such-group-for-chitieu")
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"bytes")
    with pytest.raises(UnknownReaderGroup, match="CHITIEU_READER_GROUP"):
        receive.receive(raw, root)
    assert not root.exists()  # refused before anything was written
