"""Reading files into sheet grids (flows.reading.workbook): formats, encodings, files that
cannot be read, what only the package XML tells, and the parts shared with the container
check. Small sheets are written with tests/generators/small_sheets.py; the demo and the
catalog come from conftest.py, as for the other reading tests.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from flows.domain.textnorm import TONE_MARKS
from flows.reading.errors import UnreadableFile
from flows.reading.table import parse_sheet
from flows.reading.workbook import cell_address, read_workbook
from tests.generators.small_sheets import HEADER, METADATA, one_observation, save_sheet

# ------------------------------------------------------------------ reading files


def test_corrupt_file_is_unreadable_in_both_languages(demo):
    out_dir, _ = demo
    with pytest.raises(UnreadableFile) as caught:
        read_workbook(out_dir / "loi/bao-cao-hong.xlsx")
    assert "hỏng" in caught.value.reason_vi and "xlsx" in caught.value.reason_vi
    assert "damaged" in caught.value.reason_en
    assert " / " in str(caught.value)


def test_addresses_are_real_when_the_sheet_does_not_start_at_a1(tmp_path, catalog):
    rows = [*METADATA, HEADER, ["1", "VH.DAN_SO", "Dân số", "người", None, 9876]]
    path = save_sheet(tmp_path / "shifted.xlsx", rows, origin=(3, 2))
    grid = read_workbook(path)[0]
    assert grid.rows[2][1] == "Đơn vị: Phường Phổ Hòa"
    sheet = parse_sheet(grid, catalog)
    observation = one_observation(sheet, "VH.DAN_SO", "2024")
    assert (observation.source_cell, observation.source_row, observation.value) == ("G8", 8, 9876)
    assert sheet.header_row == 7


def _cp1258_bytes(text: str) -> bytes:
    """Windows-1258 has the vowels (ơ, ư, â...) precomposed but the tones as combining marks."""
    pieces = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(mark for mark in decomposed if mark in TONE_MARKS)
        bare = unicodedata.normalize("NFC", "".join(m for m in decomposed if m not in TONE_MARKS))
        pieces.append(bare + tones)
    return codecs.encode("".join(pieces), "cp1258")


@pytest.mark.parametrize(
    ("encoding", "separator"),
    [("utf-8-sig", ";"), ("utf-8", ","), ("utf-16", ";"), ("cp1258", ";")],
)
def test_csv_encodings_and_separators(tmp_path, catalog, encoding, separator):
    lines = [
        ["Đơn vị", "Phường Phổ Hòa"],
        ["Kỳ báo cáo", "Năm 2024"],
        ["STT", "Chỉ tiêu", "ĐVT", "Thực hiện"],
        ["1", "Tỷ lệ hộ nghèo", "%", "3,07"],
    ]
    text = "\r\n".join(separator.join(f'"{cell}"' for cell in line) for line in lines)
    path = tmp_path / "report.csv"
    if encoding == "cp1258":
        path.write_bytes(_cp1258_bytes(text))
    else:
        path.write_bytes(text.encode(encoding))
    sheet = parse_sheet(read_workbook(path)[0], catalog)
    assert sheet.unit_name == "Phường Phổ Hòa"
    assert [(o.indicator_code, o.value, o.source_cell) for o in sheet.observations] == [
        ("VH.HO_NGHEO_TYLE", 3.07, "D4")
    ]


def test_unsupported_extension(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(UnreadableFile) as caught:
        read_workbook(path)
    assert ".pdf" in caught.value.reason_vi and ".pdf" in caught.value.reason_en


def test_empty_file_and_empty_workbook(tmp_path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(blank)
    for path in (empty, blank):
        with pytest.raises(UnreadableFile) as caught:
            read_workbook(path)
        assert "trống" in caught.value.reason_vi and "empty" in caught.value.reason_en


def test_truncated_workbook(tmp_path, demo):
    out_dir, manifest = demo
    data = (out_dir / manifest.files[-1]).read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableFile):
        read_workbook(path)


def test_password_protected_workbook(tmp_path):
    # An encrypted OOXML file is an OLE container with an "EncryptedPackage" stream.
    ole = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
    )
    path = tmp_path / "locked.xlsx"
    path.write_bytes(ole + b"\x00" * 1024)
    with pytest.raises(UnreadableFile) as caught:
        read_workbook(path)
    assert "mật khẩu" in caught.value.reason_vi and "password" in caught.value.reason_en


def test_xls_saved_under_xlsx_name_still_opens(tmp_path):
    path = save_sheet(tmp_path / "report.xlsx", [["a"]])
    renamed = path.rename(tmp_path / "report.ods.xlsx")
    assert read_workbook(renamed)[0].rows[0][0] == "a"


@pytest.mark.parametrize(
    ("row_idx", "col_idx", "address"),
    [
        (0, 0, "A1"),
        (11, 5, "F12"),
        (0, 25, "Z1"),
        (0, 26, "AA1"),
        (9, 701, "ZZ10"),
        (0, 702, "AAA1"),
    ],
)
def test_cell_address(row_idx, col_idx, address):
    assert cell_address(row_idx, col_idx) == address


# ------------------------------------------------------------------ formats, XML safety


def _rezip(path: Path, replace_part: str, transform) -> None:
    """Rewrite one part of an xlsx package in place."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    parts[replace_part] = transform(parts[replace_part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(name, content)


_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'.encode()
        for n in range(1, 10)
    )
    + b"]>"
)


def test_xml_entity_expansion_is_refused(tmp_path, catalog):
    rows = [*METADATA, HEADER, ["1", "VH.DAN_SO", "Dân số", "người", None, "=1+1"]]
    path = save_sheet(tmp_path / "laughs.xlsx", rows)
    _rezip(path, "xl/styles.xml", lambda xml: _LAUGHS + re.sub(rb"^<\?xml[^>]*\?>", b"", xml))
    from flows.reading.workbook import _package_cell_extras

    # defusedxml refuses the DTD: no extras, no expansion, no exception.
    assert _package_cell_extras(path.read_bytes()) == {}
    with contextlib.suppress(UnreadableFile):  # refusing the whole file is as good
        read_workbook(path)


def test_percent_format_only_scales_percent_rows(tmp_path, catalog):
    rows = [
        *METADATA,
        HEADER,
        ["1", "VH.BHYT_TYLE", "Tỷ lệ BHYT", "%", None, 0.915],
        ["2", "VH.DAN_SO", "Dân số", "người", None, 0.5],
    ]
    path = save_sheet(tmp_path / "percent.xlsx", rows)
    workbook = openpyxl.load_workbook(path)
    for address in ("F6", "F7"):
        workbook.active[address].number_format = "0.0%"
    workbook.save(path)
    grid = read_workbook(path)[0]
    assert grid.percent_cells == {(5, 5), (6, 5)}
    sheet = parse_sheet(grid, catalog)
    values = {o.indicator_code: (o.value, o.original_text) for o in sheet.observations}
    assert values == {"VH.BHYT_TYLE": (91.5, "0.915"), "VH.DAN_SO": (0.5, "0.5")}


# ------------------------------------------------------------------ work shared across files


def test_container_check_shares_the_parts_it_inflated(tmp_path):
    import zipfile

    from flows.reading.safety import _inflate_whole, check_container

    rows = [*METADATA, HEADER, ["1", "VH.DAN_SO", "Dân số", "người", None, 9876]]
    deflated = save_sheet(tmp_path / "deflated.xlsx", rows)
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(deflated) as source, zipfile.ZipFile(stored, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info), zipfile.ZIP_STORED)
    for path in (deflated, stored):
        data = path.read_bytes()
        package = check_container(data)
        assert package is not None
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                assert package.read(info.filename) == archive.read(info)
                assert _inflate_whole(data, info) == archive.read(info)
        assert read_workbook(path, data, package)[0].rows == read_workbook(path)[0].rows
    # A part whose bytes do not match its CRC is left to zipfile, which reports it.
    data = bytearray(deflated.read_bytes())
    with zipfile.ZipFile(deflated) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    data[info.header_offset + 30 + len(info.filename.encode()) + info.compress_size // 2] ^= 0x55
    assert _inflate_whole(bytes(data), info) is None


def _crc32_suffix(data: bytes, wanted_crc: int) -> bytes:
    """Four bytes that give ``data`` followed by them the CRC-32 ``wanted_crc``."""
    import zlib

    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
        table.append(crc)
    by_top_byte = {entry >> 24: index for index, entry in enumerate(table)}
    # Walk back from the wanted register to the four table entries that lead to it,
    # then pick the bytes that select them from the register after ``data``.
    register, indices = wanted_crc ^ 0xFFFFFFFF, []
    for _ in range(4):
        index = by_top_byte[register >> 24]
        indices.append(index)
        register = ((register ^ table[index]) << 8) & 0xFFFFFFFF
    register, suffix = zlib.crc32(data) ^ 0xFFFFFFFF, bytearray()
    for index in reversed(indices):
        suffix.append((register ^ index) & 0xFF)
        register = (register >> 8) ^ table[index]
    return bytes(suffix)


def test_a_remembered_part_is_given_back_only_for_the_same_bytes():
    """Parts are remembered by CRC and sizes across files: a part of another content with
    the same CRC and sizes (forged here) is inflated, never taken for the remembered one."""
    import io
    import zipfile
    import zlib

    from flows.reading.safety import _inflate_whole

    first = b'<?xml version="1.0"?><Types>one</Types>'
    second = b'<?xml version="1.0"?><Types>two</Ty'
    second += _crc32_suffix(second, zlib.crc32(first))
    assert len(second) == len(first) and zlib.crc32(second) == zlib.crc32(first)
    for content in (first, second, first):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("[Content_Types].xml", content)
        info = zipfile.ZipFile(out).getinfo("[Content_Types].xml")
        assert _inflate_whole(out.getvalue(), info) == content


@pytest.mark.parametrize(
    "sheet_xml",
    [
        b'<sheetData><row r="2"><c r="B2"><v>1</v></c><c r="AB70" s="1"><v>2</v></c></row>',
        b'<x:sheetData><x:row r="2"><x:c r="C3"><x:v>1</x:v></x:c><c t="s" r="D9"/></x:row>',
        b'<sheetData><c r="A1"><is><t>Ghi:chu:c r="ZZ9"</t></is></c><c\nr="B2"/><cx r="Q1"/>',
    ],
)
def test_cell_reference_scan_matches_the_full_pattern(sheet_xml):
    from flows.reading.safety import _CELL_REF, _cell_refs

    assert _cell_refs(sheet_xml) == _CELL_REF.findall(sheet_xml)
