"""Limits that stop hostile or runaway files before a parser spends memory on them.

Landing folders receive whatever is attached to an e-mail. Before a workbook is
opened, its container is inspected: its size on disk, and for zip-based formats
(xlsx, xlsm, ods) the declared uncompressed size, the number of parts, the
compression ratio of each part (zip bombs) and whether any XML part declares a
DTD (entity-expansion attacks such as "billion laughs"; we refuse any DTD, as
defusedxml does). A sheet's cell count is checked before its cells are copied.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flows.errors import UnreadableFile

_ZIP_MAGIC = b"PK\x03\x04"
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# A DTD can only stand in an XML document's prolog, before the root element.
_PROLOG_BYTES = 4096
_WORKSHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")


@dataclass(frozen=True)
class Limits:
    """What one landed file may cost. Far above any real ward submission."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_zip_parts: int = 5_000
    max_compression_ratio: int = 200
    max_cells_per_sheet: int = 1_000_000


DEFAULT_LIMITS = Limits()


def _too_large(what_vi: str, what_en: str) -> UnreadableFile:
    return UnreadableFile(
        f"Tệp bị từ chối vì {what_vi}; biểu chỉ tiêu của phường/xã không lớn như vậy. "
        "Hãy gửi đúng biểu chỉ tiêu.",
        f"The file was refused because {what_en}; a ward's indicator sheet is never this "
        "large. Send the indicator sheet itself.",
    )


def _refused_xml() -> UnreadableFile:
    return UnreadableFile(
        "Tệp bị từ chối vì chứa khai báo XML không an toàn (DOCTYPE/ENTITY); hãy mở bằng "
        "Excel, lưu lại dạng .xlsx và gửi lại.",
        "The file was refused because it contains unsafe XML declarations (DOCTYPE/ENTITY); "
        "open it in Excel, save it as .xlsx and resend.",
    )


def check_container(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise :class:`UnreadableFile` when a file's container breaks a limit."""
    if len(data) > limits.max_file_bytes:
        raise _too_large(
            f"quá lớn ({len(data) // (1024 * 1024)} MB)",
            f"it is too large ({len(data) // (1024 * 1024)} MB)",
        )
    if data.startswith(_ZIP_MAGIC):
        _check_zip(data, limits)


def _check_zip(data: bytes, limits: Limits) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable zip: the workbook reader reports it as damaged
    if len(parts) > limits.max_zip_parts:
        raise _too_large(f"có {len(parts)} thành phần", f"it has {len(parts)} parts")
    declared = sum(part.file_size for part in parts)
    if declared > limits.max_uncompressed_bytes:
        raise _too_large(
            f"khi giải nén lên tới {declared // (1024 * 1024)} MB",
            f"it expands to {declared // (1024 * 1024)} MB",
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
            raise _too_large(
                f"phần '{part.filename}' nén bất thường (tỷ lệ {ratio:.0f}:1)",
                f"part '{part.filename}' is abnormally compressed ({ratio:.0f}:1)",
            )
        if part.filename.endswith((".xml", ".rels")) and _declares_dtd(archive, part):
            raise _refused_xml()
        if _WORKSHEET_PART.match(part.filename):
            _check_worksheet_extent(archive, part, limits)


def _declares_dtd(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> bool:
    try:
        with archive.open(part) as stream:
            prolog = stream.read(_PROLOG_BYTES)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return False  # unreadable part: left to the workbook reader to report as damaged
    return bool(_DTD.search(prolog))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _check_worksheet_extent(archive: zipfile.ZipFile, part: zipfile.ZipInfo, limits: Limits):
    """Refuse a worksheet whose used range is huge before calamine allocates it.

    calamine builds a dense grid spanning the first to the last cell: two cells at A1 and
    XFD1048576 would ask for terabytes and abort the whole process, which no ``except``
    can catch. The cell references are scanned in the compressed stream's text instead.
    """
    rows: list[int] = []
    columns: list[int] = []
    tail = b""
    with archive.open(part) as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            chunk = tail + block
            for match in _CELL_REF.finditer(chunk):
                columns.append(_column_number(match[1]))
                rows.append(int(match[2]))
            tail = chunk[-256:]
            if len(rows) > 100_000:  # keep only the extremes of what was seen so far
                rows, columns = [min(rows), max(rows)], [min(columns), max(columns)]
    if rows:
        name = Path(part.filename).stem
        check_sheet_size(name, max(rows) - min(rows) + 1, max(columns) - min(columns) + 1, limits)


def check_sheet_size(name: str, rows: int, columns: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise :class:`UnreadableFile` when a sheet holds more cells than any real submission."""
    cells = rows * columns
    if cells > limits.max_cells_per_sheet:
        raise _too_large(
            f"trang '{name}' có {rows} dòng × {columns} cột",
            f"sheet '{name}' has {rows} rows × {columns} columns",
        )
