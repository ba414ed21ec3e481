"""Extent limits before any reader allocates: .ods repeats, .xls dimensions and records, CSV
lines and cells (flows/reading/extents.py, flows/reading/safety.py, flows/reading/workbook.py).
"""

from __future__ import annotations

import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import python_calamine
import xlwt

from flows.reading.errors import UnreadableFile
from flows.reading.extents import ods_sheet_extents, xls_sheet_extents
from flows.reading.safety import Limits, check_container
from flows.reading.workbook import read_workbook

_ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def ods_file(path: Path, tables: str) -> Path:
    """A minimal .ods whose spreadsheet body is ``tables`` (table:table elements), as written."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NAMESPACES} '
        f'office:version="1.2"><office:body><office:spreadsheet>{tables}'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
        '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


def _table(rows: str, name: str = "S") -> str:
    return f'<table:table table:name="{name}">{rows}</table:table>'


def _row(cells: str, repeat: int = 1) -> str:
    repeated = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{repeated}>{cells}</table:table-row>"


def _cell(kind: str = "float", repeat: int = 1, inner: str = "") -> str:
    repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    value = {
        "float": ' office:value-type="float" office:value="1"',
        "string": ' office:value-type="string"',
        "formula": ' table:formula="of:=1"',
        "empty": "",
    }[kind]
    return f"<table:table-cell{repeated}{value}>{inner}</table:table-cell>"


# ------------------------------------------------------------------ ODS


def test_the_ods_bomb_is_refused_in_a_moment_with_little_memory(tmp_path):
    """A 1.2 KB .ods asking for 1,048,576 × 64 cells (8 GB in calamine, before #21)."""
    bomb = ods_file(
        tmp_path / "bom.ods",
        _table(_row(_cell("float", 64, "<text:p>1</text:p>"), 1_048_576)),
    )
    assert bomb.stat().st_size < 1300
    # Read in a fresh process, whose peak memory is its own: under 2 GB of address space
    # more than it starts with, calamine could not build the sheet without aborting.
    script = f"""
import resource, time
from datetime import datetime
from pathlib import Path
from flows.reading.parse import reader_state
from flows.reading.submission import LandedFile
from flows.reading.files import read_submissions
catalog, resolver = reader_state()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open("/proc/self/statm") as statm:
    held = int(statm.read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (held + (2 << 30), resource.RLIM_INFINITY))
path = Path({str(bomb)!r})
started = time.process_time()
reading = read_submissions(LandedFile(path, path.name, "0" * 64, 1, datetime(2025, 1, 1)),
                           catalog, resolver)
seconds = time.process_time() - started
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(reading.submissions[0].rejection.rule, seconds, grown, sep="\\n")
print(reading.submissions[0].rejection.message_en)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    rule, seconds, grown_kb, reason = done.stdout.splitlines()
    assert rule == "unreadable_file"
    assert "1048576 rows × 64 columns" in reason
    assert float(seconds) < 1
    assert int(grown_kb) < 50 * 1024  # under 50 MB more than before the read


@pytest.mark.parametrize(
    "rows",
    [
        _row(_cell()) + _row(_cell("empty", 5), 1000),  # trailing empty rows cost nothing
        _row(_cell() + _cell("empty", 1000)),  # nor trailing empty cells
        _row(_cell("empty"), 4) + _row(_cell("empty", 2) + _cell()),  # leading empty ones
        _row(_cell()) + _row(_cell("empty", 5), 1000) + _row(_cell()),  # empty rows between
        _row(_cell("float", 3), 7),
        _row(_cell("string", 4, "<text:p>a</text:p>"), 3),
        _row(_cell("string", 1000), 1000),  # a string cell is content, even empty
        _row(_cell("empty", 3, "<text:p>x</text:p>") + _cell()),  # text without a type is not
        _row(_cell("empty", 20_000) + _cell()),  # past 16,384 columns calamine drops cells
        "<table:table-header-rows>"
        + _row(_cell(), 3)
        + "</table:table-header-rows>"
        + _row(_cell()),
        _row('<table:covered-table-cell table:number-columns-repeated="9"/>' + _cell()),
    ],
)
def test_the_ods_scan_measures_what_calamine_builds(tmp_path, rows):
    path = ods_file(tmp_path / "s.ods", _table(rows))
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
        (extent,) = ods_sheet_extents(content)
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    if sheet.start is None:
        assert extent.cells == 0
    else:  # rows as calamine's; columns from A, as it holds them while building the grid
        assert (extent.rows, extent.columns) == (sheet.height, sheet.end[1] + 1)


def test_the_ods_scan_follows_calamine_into_a_table_nested_in_a_cell(tmp_path):
    # calamine ends a string cell at the end of any cell, here the nested table's first
    # one; the nested table's next cells then count as the outer row's, repeated 500 times.
    nested = _table(_row(_cell("empty") + _cell("float", 64)), "inner")
    rows = _row(_cell("string", 1, f"<text:p>x</text:p>{nested}"), 500)
    path = ods_file(tmp_path / "long-nhau.ods", _table(rows))
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
        extents = ods_sheet_extents(content)
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    assert (sheet.height, sheet.width) == (500, 65)
    assert (extents[0].rows, extents[0].columns) == (500, 65)


def test_formula_cells_count_and_bad_repeats_are_damage(tmp_path):
    path = ods_file(tmp_path / "f.ods", _table(_row(_cell("formula", 10), 10)))
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
        (extent,) = ods_sheet_extents(content)
    assert (extent.rows, extent.columns) == (10, 10)  # calamine builds its formulas' grid
    bad = ods_file(
        tmp_path / "bad.ods",
        _table(_row(_cell("float", 1).replace(">", ' table:number-columns-repeated="x">', 1))),
    )
    with pytest.raises(UnreadableFile, match="damaged"):
        check_container(bad.read_bytes())


def test_all_the_sheets_of_a_workbook_together_are_bounded(tmp_path):
    one = _row(_cell("float", 1000), 1000)  # a million cells: the most one sheet may hold
    path = ods_file(tmp_path / "nhieu.ods", "".join(_table(one, f"T{i}") for i in range(5)))
    with pytest.raises(UnreadableFile) as refused:
        check_container(path.read_bytes())
    assert "5.000.000 ô" in refused.value.reason_vi and "5,000,000 cells" in refused.value.reason_en
    check_container(path.read_bytes(), Limits(max_cells_per_workbook=5_000_000))


# ------------------------------------------------------------------ XLS


def _xls(path: Path, cells: list[tuple[int, int, object]], sheets: int = 1) -> bytes:
    workbook = xlwt.Workbook(encoding="utf-8")
    for index in range(sheets):
        sheet = workbook.add_sheet(f"Biểu {index + 1}")
        for row, column, value in cells:
            sheet.write(row, column, value)
    workbook.save(path)
    return path.read_bytes()


def _records(data: bytes) -> list[tuple[int, int, int]]:
    """(type, offset in the file, length) of the Workbook stream's records (xlwt writes the
    stream whole, right after the header)."""
    found, offset = [], 512
    while offset + 4 <= len(data):
        kind, length = struct.unpack_from("<HH", data, offset)
        if kind == 0 and length == 0:
            break  # xlwt's padding
        found.append((kind, offset + 4, length))
        offset += 4 + length
    return found


def _patched(data: bytes, kind: int, nth: int, at: int, fmt: str, *values: int) -> bytes:
    """``data`` with the ``nth`` record of type ``kind`` given ``values`` at byte ``at``."""
    offset = [start for k, start, _ in _records(data) if k == kind][nth]
    patched = bytearray(data)
    struct.pack_into(fmt, patched, offset + at, *values)
    return bytes(patched)


def test_an_ordinary_xls_passes_and_reads(tmp_path):
    data = _xls(tmp_path / "a.xls", [(0, 0, "Chỉ tiêu"), (2, 3, 1.5), (40, 6, 7)], sheets=2)
    check_container(data)
    extents = xls_sheet_extents(data, 1_000_000)
    assert [(e.name, e.rows, e.columns, e.declared) for e in extents] == [
        ("Biểu 1", 41, 7, True),
        ("Biểu 1", 41, 7, False),
        ("Biểu 2", 41, 7, True),
        ("Biểu 2", 41, 7, False),
    ]
    assert read_workbook(tmp_path / "a.xls", data)[0].rows[40][6] == 7


def test_huge_declared_dimensions_are_refused(tmp_path):
    data = _xls(tmp_path / "a.xls", [(0, 0, "a"), (2, 3, 1.5)])
    # DIMENSIONS: first row, row after the last (32-bit), first column, column after the last.
    huge = _patched(data, 0x0200, 0, 0, "<LLHH", 0, 1_048_576, 0, 256)
    with pytest.raises(UnreadableFile) as refused:
        check_container(huge)
    assert "khai báo 1048576 dòng × 256 cột" in refused.value.reason_vi
    assert "declares 1048576 rows × 256 columns" in refused.value.reason_en
    # A last row before the first wraps around to four billion rows in calamine.
    wrapped = _patched(data, 0x0200, 0, 0, "<LL", 10, 5)
    with pytest.raises(UnreadableFile, match="declares 4294967291 rows"):
        check_container(wrapped)


def test_cells_far_apart_are_refused_whatever_the_dimensions_say(tmp_path):
    data = _xls(tmp_path / "a.xls", [(0, 0, "a"), (2, 3, 1.5)])
    far = _patched(data, 0x027E, 0, 0, "<HH", 65_535, 255)  # the RK number, moved to IV65536
    with pytest.raises(UnreadableFile, match="65536 rows × 256 columns"):
        check_container(far)


def test_too_many_cell_records_are_refused(tmp_path):
    data = _xls(tmp_path / "a.xls", [(row, 0, row + 0.5) for row in range(150)])
    for nth in range(150):  # every number (an RK record) moved to A1: one cell, 150 records
        data = _patched(data, 0x027E, nth, 0, "<HH", 0, 0)
    data = _patched(data, 0x0200, 0, 0, "<LLHH", 0, 1, 0, 1)
    with pytest.raises(UnreadableFile) as refused:
        check_container(data, Limits(max_cells_per_sheet=100))
    assert "hơn 100 ô" in refused.value.reason_vi and "over 100 cells" in refused.value.reason_en
    check_container(data, Limits(max_cells_per_sheet=150))


def _difat_first_fat_sector(data: bytes) -> int:
    return struct.unpack_from("<L", data, 76)[0]


@pytest.mark.parametrize("damage", ["loop", "truncated", "sheet_past_the_stream"])
def test_a_damaged_compound_file_is_refused_before_calamine(tmp_path, damage):
    data = _xls(tmp_path / "a.xls", [(0, 0, "a"), (2, 3, 1.5)])
    if damage == "loop":  # the directory's sector links to itself: calamine reads forever
        directory = struct.unpack_from("<L", data, 48)[0]
        fat_at = (_difat_first_fat_sector(data) + 1) * 512
        patched = bytearray(data)
        struct.pack_into("<L", patched, fat_at + 4 * directory, directory)
        data = bytes(patched)
    elif damage == "truncated":
        data = data[: len(data) * 4 // 5]
    else:  # calamine panics slicing the stream there
        data = _patched(data, 0x0085, 0, 0, "<L", 0xFFFFFF)
    started = time.process_time()
    with pytest.raises(UnreadableFile, match="damaged"):
        check_container(data)
    assert time.process_time() - started < 1


def test_an_encrypted_xls_is_left_to_calamine_to_call_password_protected(tmp_path):
    data = _xls(tmp_path / "a.xls", [(0, 0, "a")])
    records = _records(data)
    # Turn the globals' first record after BOF into a FILEPASS (RC4): calamine stops there.
    _, offset, length = records[1]
    patched = bytearray(data)
    struct.pack_into("<HH", patched, offset - 4, 0x002F, length)
    struct.pack_into("<H", patched, offset, 1)
    assert xls_sheet_extents(bytes(patched), 100) == []


# ------------------------------------------------------------------ CSV


def _csv(tmp_path: Path, text: str, name: str = "bao-cao.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("length", [40_000, 140_000])
def test_a_csv_cell_longer_than_excel_s_is_refused(tmp_path, length):
    path = _csv(tmp_path, "STT;Chỉ tiêu\n1;" + "x" * length + "\n")
    with pytest.raises(UnreadableFile) as refused:
        read_workbook(path)
    assert "32.767 ký tự" in refused.value.reason_vi and "dòng 2" in refused.value.reason_vi
    assert "32,767 characters" in refused.value.reason_en


def test_a_quoted_csv_cell_running_over_many_lines_is_refused(tmp_path):
    path = _csv(tmp_path, 'STT;"' + "x" * 1000 + "\n" * 200 + "y" * 200_000)
    with pytest.raises(UnreadableFile, match="32,767 characters"):
        read_workbook(path)


def test_a_csv_line_too_long_is_refused_before_it_is_split(tmp_path):
    path = _csv(tmp_path, "STT;Chỉ tiêu\n" + ";" * 1_100_000 + "\n")
    with pytest.raises(UnreadableFile) as refused:
        read_workbook(path)
    assert "dòng 2 dài hơn 1.048.576 ký tự" in refused.value.reason_vi
    assert "line 2 is longer than 1,048,576 characters" in refused.value.reason_en


def test_a_csv_grid_too_large_is_refused_as_it_grows(tmp_path):
    path = _csv(tmp_path, "a\n" * 1000 + ",".join(["1"] * 1001) + "\n")
    with pytest.raises(UnreadableFile, match="1001 rows × 1001 columns"):
        read_workbook(path)


def test_csv_line_endings_of_every_kind_read_alike(tmp_path):
    rows = [
        ["Đơn vị", "Phường Phổ Hòa"],
        ["STT", "Chỉ tiêu", "ĐVT", "Thực hiện"],
        ["1", "x", "%", "3,07"],
    ]
    grids = [
        read_workbook(_csv(tmp_path, ending.join(";".join(r) for r in rows), f"{i}.csv"))[0].rows
        for i, ending in enumerate(["\r\n", "\n", "\r"])
    ]
    assert grids[0] == grids[1] == grids[2] == rows


def test_a_csv_whose_byte_order_mark_lies_is_damaged(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xff\xfe" + "Chỉ tiêu".encode("utf-16-le") + b"\x00\xd8\x41\x00")
    with pytest.raises(UnreadableFile, match="damaged"):
        read_workbook(path)
