"""The manifest heals: damaged lines are skipped with a warning, appends start on a new line,
and the archive's own blobs are the truth (a blob no line names is listed again)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from datetime import datetime
from pathlib import Path

import pytest

from flows.warehouse import manifest, receive
from flows.warehouse.manifest import (
    RELISTED_PREFIX,
    archived_sha256s,
    read_manifest,
    read_manifest_with_warnings,
)

VIETNAMESE = "Phường Hòa Bình.xlsx"


@pytest.fixture(autouse=True)
def settled_at_once(monkeypatch):
    """Files written by the test a moment ago count as settled (no 2 s wait in tests)."""
    monkeypatch.setattr(receive, "SETTLED_NANOSECONDS", -(10**12))


def _fresh_process(monkeypatch) -> None:
    """What a new ``chitieu run`` knows of the archive: nothing yet."""
    monkeypatch.setattr(manifest, "_tails", {})
    monkeypatch.setattr(manifest, "_listings", {})
    monkeypatch.setattr(manifest, "_reconciled", {})


def _land(raw: Path, name: str, content: bytes) -> Path:
    path = raw / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _manifest_path(root: Path) -> Path:
    return root / manifest.MANIFEST


def _lines(root: Path) -> list[bytes]:
    return _manifest_path(root).read_bytes().split(b"\n")


def _two_wards(tmp_path: Path) -> tuple[Path, Path, list[bytes]]:
    """Two wards received; their manifest lines, ``a.xlsx``'s first."""
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"ward a")
    _land(raw, VIETNAMESE, b"ward b")
    receive.receive(raw, root)
    lines = _lines(root)[:2]
    return raw, root, sorted(lines, key=lambda line: b'"a.xlsx"' not in line)


def _with(line: bytes, **changes: object) -> bytes:
    return json.dumps({**json.loads(line), **changes}, ensure_ascii=False).encode()


def _cut_inside_a_multibyte_character(line: bytes) -> bytes:
    name = VIETNAMESE.encode("utf-8")
    start = line.index(name) + name.index("ờ".encode()) + 1  # one byte into a 3-byte character
    return line[:start]


DAMAGES = {
    # The last line cut inside a multibyte character (a crash, a full disk): no end of line.
    "cut inside a character": lambda a, b: a + b"\n" + _cut_inside_a_multibyte_character(b),
    "an empty object": lambda a, b: a + b"\n" + b + b"\n{}\n",
    "a list": lambda a, b: a + b"\n" + b + b"\n[]\n",
    "a foreign line": lambda a, b: a + b'\n{"event": "backup", "at": "2025-01-01"}\n' + b + b"\n",
    "random bytes": lambda a, b: a + b"\n\x00\xff\x13\x80garbage\xc3(\n" + b + b"\n",
    # What an append after a cut line used to do: the next entry glued onto it.
    "a line glued after a cut": lambda a, b: a + b"\n" + b[:40] + b + b"\n",
    "a key of the wrong type": lambda a, b: a + b"\n" + _with(b, size_bytes="6") + b"\n",
    "a path outside the archive": lambda a, b: (
        a + b"\n" + _with(b, archived_path="../../etc/passwd") + b"\n"
    ),
}


@pytest.mark.parametrize("fresh", [True, False], ids=["new process", "long-lived process"])
@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_manifest_is_skipped_healed_and_lists_every_archived_file(
    tmp_path, monkeypatch, damage, fresh
):
    raw, root, (line_a, line_b) = _two_wards(tmp_path)
    _manifest_path(root).write_bytes(DAMAGES[damage](line_a, line_b))
    (raw / VIETNAMESE).unlink()  # its line may be lost: only the archive still has it
    _land(raw, "c.xlsx", b"ward c")
    if fresh:
        _fresh_process(monkeypatch)

    receipt = receive.receive(raw, root)  # never raises

    assert [f.relative_path for f in receipt.archived] == ["a.xlsx", "c.xlsx"]
    assert any("skipped" in warning for warning in receipt.warnings), receipt.warnings
    data = _manifest_path(root).read_bytes()
    assert data.endswith(b"\n")
    lines = data.split(b"\n")[:-1]
    assert json.loads(lines[-1])["relative_path"] in (
        "c.xlsx",
        RELISTED_PREFIX + _sha(b"ward b") + ".xlsx",
    )
    every_blob = {_sha(b"ward a"), _sha(b"ward b"), _sha(b"ward c")}
    assert archived_sha256s(root) == every_blob
    for reading in (lambda: read_manifest(root), lambda: read_manifest_with_warnings(root)[0]):
        assert {f.sha256 for f in reading()} == every_blob
    _fresh_process(monkeypatch)
    files, warnings = read_manifest_with_warnings(root)
    assert {f.sha256 for f in files} == every_blob
    assert warnings and all("line" in warning and "skipped" in warning for warning in warnings)

    again = receive.receive(raw, root)  # healed: nothing more to list again
    assert not any("listed again" in warning for warning in again.warnings)
    assert len(_manifest_path(root).read_bytes().split(b"\n")) == len(lines) + 1


def test_an_append_after_a_torn_line_starts_on_a_new_line(tmp_path):
    raw, root, (line_a, _) = _two_wards(tmp_path)
    torn = line_a[:50]
    with _manifest_path(root).open("ab") as lines:
        lines.write(torn)
    _land(raw, "c.xlsx", b"ward c")
    receipt = receive.receive(raw, root)
    assert [w for w in receipt.warnings if "skipped" in w] == [
        f"{manifest.MANIFEST} line 3 skipped: not JSON"
    ]
    assert _lines(root)[2] == torn  # ended where it was cut, never glued to what follows
    assert json.loads(_lines(root)[3])["relative_path"] == "c.xlsx"


def test_one_content_kept_as_two_blobs_has_one_first_sight(tmp_path, monkeypatch):
    """The same bytes under two extensions are two blobs, written a moment apart: the
    content's first sight is the earlier blob's, for both names, and again when the
    manifest is lost and both blobs are listed again."""
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"the same bytes")
    _land(raw, "b.csv", b"the same bytes")
    first = receive.receive(raw, root).archived
    assert len({f.archived_path for f in first}) == 2
    assert len({f.received_at for f in first}) == 1
    blobs = {f.archived_path.suffix: f.archived_path for f in first}
    os.utime(blobs[".xlsx"], ns=(0, 1_700_000_000 * 10**9))  # the earlier blob…
    os.utime(blobs[".csv"], ns=(0, 1_800_000_000 * 10**9))  # …is listed after this one
    shutil.rmtree(raw)  # the landing files are gone too: only the blobs remain
    raw.mkdir()
    _manifest_path(root).unlink()
    _fresh_process(monkeypatch)
    receive.receive(raw, root)
    relisted = [json.loads(line) for line in _lines(root) if b'"relisted"' in line]
    earlier = manifest.utc_from_ns(1_700_000_000 * 10**9).isoformat()
    assert [line["received_at"] for line in relisted] == [earlier, earlier]


def test_a_deleted_manifest_lists_every_blob_again_with_its_first_sight(tmp_path, monkeypatch):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    for ward in range(3):
        _land(raw, f"w{ward}.xlsx", f"ward {ward}".encode())
    _land(raw, "w0-copy.csv", b"ward 0")
    first = receive.receive(raw, root).archived
    shutil.rmtree(raw)
    raw.mkdir()
    _manifest_path(root).unlink()
    _fresh_process(monkeypatch)

    receipt = receive.receive(raw, root)

    relisted = [w for w in receipt.warnings if "listed again" in w]
    assert len(relisted) == 4  # one per blob: w0 is kept as .xlsx and as .csv
    files = read_manifest(root)
    assert sorted(f.relative_path for f in files) == sorted(
        RELISTED_PREFIX + f.archived_path.name for f in first
    )
    arrival = {f.sha256: f.received_at for f in first}
    assert {f.sha256: f.received_at for f in files} == arrival  # the blobs' own mtimes
    assert all(json.loads(line)["relisted"] for line in _lines(root)[:-1])
    assert _manifest_path(root).stat().st_mode & 0o777 == 0o600
    assert receive.receive(raw, root).warnings == []  # listed once, not every night


def test_a_deleted_manifest_with_the_landing_files_still_there_keeps_their_names(
    tmp_path, monkeypatch
):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"ward a")
    receive.receive(raw, root)
    _manifest_path(root).unlink()
    _fresh_process(monkeypatch)
    receipt = receive.receive(raw, root)
    assert receipt.warnings == []  # received again under its name before the reconcile
    assert [f.relative_path for f in read_manifest(root)] == ["a.xlsx"]


def test_blobs_are_listed_again_as_the_archive_changes_in_a_long_lived_process(
    tmp_path, monkeypatch
):
    """The shard listings are kept while their folders are unchanged, and only then."""
    monkeypatch.setattr(manifest, "SHARD_SETTLED_NANOSECONDS", -(10**12))  # trusted at once
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"ward a")
    _land(raw, "b.xlsx", b"ward b")
    receive.receive(raw, root)
    assert receive.receive(raw, root).warnings == []

    # A blob archived by a process killed before its manifest line. (The settling margin is
    # off in this test: step past the file clock's tick ourselves before each change.)
    time.sleep(0.05)
    orphan = _sha(b"killed before its line")
    (root / orphan[:2]).mkdir(exist_ok=True)
    (root / orphan[:2] / orphan).write_bytes(b"killed before its line")
    (root / orphan[:2] / "notes.txt").write_bytes(b"a stray file: never a blob")
    receipt = receive.receive(raw, root)
    assert receipt.warnings == [
        f"blob {orphan[:2]}/{orphan} was not in {manifest.MANIFEST}: "
        f"listed again as {RELISTED_PREFIX}{orphan}"
    ]
    assert orphan in archived_sha256s(root)

    # A blob deleted: warned about, and the landing file still there is archived again.
    lost = _sha(b"ward b")
    blob = root / lost[:2] / f"{lost}.xlsx"
    time.sleep(0.05)
    blob.unlink()
    assert lost not in archived_sha256s(root)
    receipt = receive.receive(raw, root)
    assert receipt.warnings == []
    assert blob.read_bytes() == b"ward b"
    (raw / "b.xlsx").unlink()
    time.sleep(0.05)
    blob.unlink()
    receipt = receive.receive(raw, root)
    assert receipt.warnings == [
        f"{manifest.MANIFEST} names {lost[:2]}/{lost}.xlsx, which the archive no longer has"
    ]
    files, warnings = read_manifest_with_warnings(root)
    assert lost not in {f.sha256 for f in files}
    assert warnings == receipt.warnings


def test_many_blobs_listed_again_make_a_short_warning_list(tmp_path, monkeypatch):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    for ward in range(manifest.LISTED_WARNINGS + 5):
        _land(raw, f"w{ward}.csv", f"ward {ward}".encode())
    receive.receive(raw, root)
    _manifest_path(root).unlink()
    shutil.rmtree(raw)
    raw.mkdir()
    warnings = receive.receive(raw, root).warnings
    assert len(warnings) == manifest.LISTED_WARNINGS + 1
    assert warnings[-1] == "... and 5 more blobs listed again"


def test_old_lines_use_the_time_they_were_written_not_the_landing_mtime(tmp_path, monkeypatch):
    """Lines written before received_at was the first sight: their archived_at stands for it."""
    raw, root = tmp_path / "raw", tmp_path / "archive"
    _land(raw, "a.xlsx", b"ward a")
    receive.receive(raw, root)
    old = json.loads(_lines(root)[0])
    del old["clock"], old["stat"]
    old["received_at"], old["archived_at"] = "2099-01-01T00:00:00", "2024-03-01T08:00:00"
    _manifest_path(root).write_text(json.dumps(old) + "\n", encoding="utf-8")
    _fresh_process(monkeypatch)
    (received,) = receive.receive(raw, root).archived
    assert received.received_at == datetime(2024, 3, 1, 8, 0)
    assert {f.received_at for f in read_manifest(root)} == {datetime(2024, 3, 1, 8, 0)}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"sha256": "ABC"}, "sha256"),
        ({"sha256": 7}, "sha256"),
        ({"archived_path": "zz/whatever"}, "archived_path"),
        ({"relative_path": ""}, "relative_path"),
        ({"relative_path": ["a"]}, "relative_path"),
        ({"size_bytes": -1}, "size_bytes"),
        ({"size_bytes": True}, "size_bytes"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"received_at": None}, "received_at"),
    ],
)
def test_each_required_key_is_checked(change, reason):
    sha = _sha(b"x")
    line = {
        "sha256": sha,
        "archived_path": f"{sha[:2]}/{sha}.xlsx",
        "relative_path": "a.xlsx",
        "size_bytes": 1,
        "received_at": "2025-01-02T03:04:05",
    }
    assert isinstance(manifest.parse_line(json.dumps(line).encode()), manifest.ManifestLine)
    skipped = manifest.parse_line(json.dumps({**line, **change}).encode())
    assert isinstance(skipped, str) and skipped.startswith(reason)


def test_odd_but_harmless_lines_are_read_safely():
    sha = _sha(b"x")
    line = {
        "sha256": sha,
        "archived_path": f"{sha[:2]}/{sha}",
        "relative_path": "a.xlsx",
        "size_bytes": 1,
        "received_at": "2025-01-02T10:04:05+07:00",  # aware: made naive UTC, never mixed
        "stat": ["not", "a", "fingerprint"],
    }
    parsed = manifest.parse_line(json.dumps(line).encode())
    assert parsed.received_at == datetime(2025, 1, 2, 3, 4, 5) and parsed.fingerprint is None
    assert manifest.parse_line(b"   ") is None
    assert manifest.parse_line(b"[" * 100_000) == "not JSON"
    surrogate = json.dumps(line).replace('"a.xlsx"', '"bad\\udcff.xlsx"').encode()
    assert manifest.parse_line(surrogate) == "relative_path missing or not text"
    assert manifest.parse_line(b'{"size_bytes": 1' + b"9" * 5000 + b"}") == "not JSON"


def test_a_manifest_that_is_not_a_regular_file_never_blocks(tmp_path):
    root = tmp_path / "archive"
    root.mkdir()
    os.mkfifo(_manifest_path(root))
    with pytest.raises(manifest.NotARegularFile):
        read_manifest(root)


def test_archived_sha256s_names_only_the_blobs_present(tmp_path):
    raw, root = tmp_path / "raw", tmp_path / "archive"
    assert archived_sha256s(root) == set()
    _land(raw, "a.xlsx", b"ward a")
    _land(raw, "b.csv", b"ward b")
    (a, b) = receive.receive_landing_folder(raw, root)
    assert archived_sha256s(root) == {a.sha256, b.sha256}
    b.archived_path.unlink()
    (root / ".incoming-1-2").write_bytes(b"half a copy")
    assert archived_sha256s(root) == {a.sha256}
