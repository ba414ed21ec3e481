"""Receiving the landing folder: unchanged files are not read again, changed ones always are."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from flows.warehouse import receive
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
        assert archived.archived_path.stat().st_mode & 0o777 == 0o444
