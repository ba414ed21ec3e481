"""Container limits, the content-addressed archive and the run lock, on real files."""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import time
import zipfile

import pytest

from flows.operations.runlock import RunInProgress, run_lock
from flows.reading.errors import UnreadableFile
from flows.reading.safety import Limits, check_container, check_sheet_size
from flows.warehouse.receive import clear_incoming, read_manifest, receive_landing_folder


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_is_refused_before_it_is_expanded():
    bomb = _zip({"xl/worksheets/sheet1.xml": b"<a>" + b"0" * (50 * 1024 * 1024) + b"</a>"})
    assert len(bomb) < 1024 * 1024
    with pytest.raises(UnreadableFile) as raised:
        check_container(bomb, Limits(max_uncompressed_bytes=10 * 1024 * 1024))
    assert "giải nén" in raised.value.reason_vi and "expands to" in raised.value.reason_en
    with pytest.raises(UnreadableFile, match="abnormally compressed"):
        check_container(bomb)


def test_xml_entity_declarations_are_refused():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><sst>&lol2;</sst>'
    )
    with pytest.raises(UnreadableFile) as raised:
        check_container(_zip({"xl/sharedStrings.xml": laughs}))
    assert "DOCTYPE/ENTITY" in raised.value.reason_vi


def test_ordinary_workbook_passes(tmp_path):
    from tools.demo import generate_demo

    generate_demo(tmp_path)
    check_container((tmp_path / "nam-2024" / "pho-hoa.xlsx").read_bytes())


def test_oversized_file_and_sheet_are_refused():
    with pytest.raises(UnreadableFile, match="too large"):
        check_container(b"x" * 2048, Limits(max_file_bytes=1024))
    with pytest.raises(UnreadableFile, match="1048576 rows"):
        check_sheet_size("Sheet1", 1_048_576, 16_384)
    check_sheet_size("Sheet1", 60, 12)


def test_archive_is_content_addressed_read_only_and_keeps_every_name(tmp_path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    landing.mkdir()
    (landing / "a.xlsx").write_bytes(b"same bytes")
    (landing / "b.xlsx").write_bytes(b"same bytes")
    first, second = receive_landing_folder(landing, archive)
    assert first.archived_path == second.archived_path
    assert first.archived_path.name == first.sha256 + ".xlsx"
    assert oct(first.archived_path.stat().st_mode & 0o777) == "0o400"  # the owner's only
    (landing / "a.xlsx").write_bytes(b"overwritten by the clerk")
    assert first.archived_path.read_bytes() == b"same bytes"
    names = sorted(f.relative_path for f in read_manifest(archive))
    assert names == ["a.xlsx", "b.xlsx"]
    assert len([p for p in archive.rglob("*") if p.is_file()]) == 2  # one copy + manifest


def test_hostile_names_cannot_leave_the_archive(tmp_path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    landing.mkdir()
    source = landing / "evil.xlsx;rm -rf $(id) ..\\x"
    source.write_bytes(b"payload")
    (archived,) = receive_landing_folder(landing, archive)
    assert archived.relative_path == source.name
    assert archived.archived_path.resolve().is_relative_to(archive.resolve())
    assert archived.archived_path.name == archived.sha256
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and archive not in p.parents]
    assert outside == [source]


def test_torn_manifest_line_and_leftovers_are_ignored(tmp_path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    landing.mkdir()
    (landing / "a.csv").write_text("x", encoding="utf-8")
    receive_landing_folder(landing, archive)
    with (archive / "manifest.jsonl").open("a", encoding="utf-8") as manifest:
        manifest.write('{"sha256": "abc", "relat')
    (archive / ".incoming-999").write_bytes(b"half")
    clear_incoming(archive)
    assert [f.relative_path for f in read_manifest(archive)] == ["a.csv"]
    assert not (archive / ".incoming-999").exists()


def _hold_lock(path, ready):
    with run_lock(path):
        ready.set()
        time.sleep(60)


def test_second_run_is_refused_and_a_killed_holder_leaves_no_stale_lock(tmp_path):
    lock = tmp_path / ".warehouse.duckdb.lock"
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(lock, ready))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(RunInProgress, match=str(holder.pid)), run_lock(lock):
            pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join()
    with run_lock(lock):  # the kernel released the dead holder's lock
        pass
