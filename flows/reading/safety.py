"""Limits that stop hostile or runaway files before a parser spends memory on them.

Landing folders receive whatever is attached to an e-mail. Before a workbook is
opened, its container is inspected: its size on disk, and for zip-based formats
(xlsx, xlsm, ods) the declared uncompressed size, the number of parts, the
compression ratio of each part (zip bombs) and whether any XML part declares a
DTD (entity-expansion attacks such as "billion laughs"; we refuse any DTD, as
defusedxml does). A sheet's cell count is checked before its cells are copied.

A worksheet's used range is checked before calamine (or any reader) builds its grid.
For a worksheet kept in memory for the direct xlsx reader, that check waits for the
reader, which measures the range as it walks the cells anyway
(:meth:`OpenedPackage.record_extent`); whatever it does not measure is scanned by
:meth:`OpenedPackage.check_worksheet_extents` before anything else opens the workbook.

calamine builds every sheet of an .ods or .xls file as it opens it: their extents are
measured first (:mod:`flows.reading.extents`), from ``content.xml`` and from the compound
file's ``Workbook`` stream, and held to the same limit per sheet, and to a limit for the
whole workbook. A CSV's lines and cells are held to limits as it is read
(:func:`check_csv_line`, :func:`check_csv_field`, :func:`check_sheet_size`).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from defusedxml import ElementTree

from flows.reading.errors import UnreadableFile, damaged_file, vi_number
from flows.reading.extents import (
    OLE_MAGIC,
    DamagedContainer,
    SheetExtent,
    ods_sheet_extents,
    xls_sheet_extents,
)

_ZIP_MAGIC = b"PK\x03\x04"
# An encrypted OOXML file is an OLE container holding a stream with this name.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_WORKBOOK_PART = "xl/workbook.xml"
_WORKBOOK_RELATIONS_PART = "xl/_rels/workbook.xml.rels"
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# A DTD can only stand in an XML document's prolog, before the root element.
_PROLOG_BYTES = 4096
_WORKSHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
# The same pattern without the namespace prefix, which is what makes the scan slow: when
# the text holds no ":c" the prefix can never match, and both find the same references.
_UNPREFIXED_CELL_REF = re.compile(rb"<c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
# The parts the workbook reader reads besides the worksheets (xlsx, then ods). Up to one
# read block each, they are decompressed whole, once, and kept for the reader, within a
# budget; larger ones are streamed, so a hostile part is never held whole in memory here.
_READER_PARTS = frozenset(
    {
        _WORKBOOK_PART,
        _WORKBOOK_RELATIONS_PART,
        "xl/styles.xml",
        "xl/sharedStrings.xml",
        "content.xml",
    }
)
_KEPT_PART_BYTES = 1 << 20
_KEPT_TOTAL_BYTES = 16 << 20
# Other XML parts up to this size are inflated whole for their DTD check (a theme, the
# content types); larger ones have only their prolog read, through zipfile.
_SMALL_PART_BYTES = 64 << 10

# Parts the same spreadsheet program writes byte for byte alike in every file (a theme,
# the styles, the content types, the relationships) are inflated once per process: up to
# this many small parts are remembered, by their CRC and sizes, with their compressed
# bytes. Worksheets and shared strings hold each ward's own figures and names, so they
# are never remembered.
_REMEMBERED_PARTS = 64
_remembered: dict[tuple[int, int, int, int], tuple[bytes, bytes]] = {}
_OWN_DATA_PARTS = frozenset({"xl/sharedStrings.xml", "content.xml"})

# A zip local file header (as zipfile.structFileHeader): signature, versions, flags,
# method, time, date, CRC, sizes, then the lengths of the name and the extra field.
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_HEADER_MAGIC = b"PK\x03\x04"
# Flag bits zipfile refuses or needs a password for: encrypted, patched, strong encryption.
_UNPLAIN_FLAGS = 0x1 | 0x20 | 0x40
_UTF8_NAME_FLAG = 0x800

# A worksheet's used range as (first row, last row, first column, last column), numbered
# as in A1 references (row 1, column A = 1).
Extent = tuple[int, int, int, int]


@dataclass(frozen=True)
class Limits:
    """What one landed file may cost. Far above any real ward submission."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_zip_parts: int = 5_000
    max_compression_ratio: int = 200
    max_cells_per_sheet: int = 1_000_000
    # An .ods or .xls file's sheets are all built at once when it is opened.
    max_cells_per_workbook: int = 4_000_000
    # Excel's own limit for the text of one cell.
    max_csv_field_chars: int = 32_767
    max_csv_line_chars: int = 1_048_576
    # Word and PDF reports (flows.reading.document_readers): a 60-page report holds a few
    # thousand paragraphs, a few dozen tables and some 300 000 characters.
    max_word_part_bytes: int = 64 * 1024 * 1024
    max_word_xml_elements: int = 2_000_000
    max_paragraphs: int = 100_000
    max_tables: int = 1_000
    max_cells_per_table: int = 100_000
    max_table_cells: int = 1_000_000
    max_text_chars: int = 20_000_000
    max_pdf_pages: int = 500


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


class OpenedPackage:
    """A zip container opened once, with the parts the container check decompressed.

    The workbook reader asks it for parts (``xl/workbook.xml``, styles, worksheets)
    instead of opening the zip directory and decompressing the same parts again.
    """

    def __init__(
        self, archive: zipfile.ZipFile, data: bytes, limits: Limits = DEFAULT_LIMITS
    ) -> None:
        self.archive = archive
        self.data = data
        self.limits = limits
        self._parts: dict[str, bytes] = {}
        self._kept_bytes = 0
        # Kept worksheets whose extent check waits for the reader, in the container's order,
        # and the extents the reader measured for them.
        self._unchecked_worksheets: list[str] = []
        self._measured: dict[str, Extent | None] = {}

    def namelist(self) -> list[str]:
        """The part names, as :meth:`zipfile.ZipFile.namelist` gives them."""
        return self.archive.namelist()

    def read(self, name: str) -> bytes:
        """A part's bytes, decompressed only if the container check did not already."""
        cached = self._parts.get(name)
        return cached if cached is not None else self.archive.read(name)

    def kept(self, name: str) -> bytes | None:
        """A part the container check decompressed whole and kept; None for any other.

        The direct xlsx reader (:mod:`flows.reading.xlsx_cells`) reads only these: a part too
        large to be kept, or not inflated cleanly, leaves the workbook to calamine.
        """
        return self._parts.get(name)

    def _keep(self, part: zipfile.ZipInfo) -> bytes | None:
        """The whole of a small part the reader will need, kept for it; else None.

        Only the entry that ``read(name)`` would return is kept (a zip may repeat a name);
        a part that fails to decompress is left to the streamed checks, which report it
        exactly as before.
        """
        wanted = part.filename in _READER_PARTS or _WORKSHEET_PART.match(part.filename)
        if (
            not wanted
            or part.file_size > _KEPT_PART_BYTES
            or self._kept_bytes + part.file_size > _KEPT_TOTAL_BYTES
            or self.archive.getinfo(part.filename) is not part
        ):
            return None
        data = _inflate_whole(self.data, part)
        if data is None:
            try:
                data = self.archive.read(part)
            except Exception:
                return None
        self._parts[part.filename] = data
        self._kept_bytes += len(data)
        return data

    def record_extent(self, name: str, extent: Extent | None) -> None:
        """Take the extent of a part the reader reads as a sheet; refuse it when huge.

        ``extent`` must be what the container check's scan finds in the part: the range of
        every cell reference in its XML. The reader calls this before it builds the sheet's
        rows. A workbook may point a sheet at a kept part not named like a worksheet
        (``xl/styles.xml``): the container check never scanned that one, so it is judged
        here too.
        """
        if name in self._unchecked_worksheets:
            self._measured[name] = extent
        try:
            _check_extent(name, extent, self.limits)
        except UnreadableFile:
            # A huge worksheet earlier in the container is the one reported, as when every
            # worksheet was checked in the container's order.
            self.check_worksheet_extents()
            raise

    def check_sheets_outside_worksheets(self) -> None:
        """Refuse a huge sheet in a part not named ``xl/worksheets/*.xml``, before calamine.

        Only the worksheet parts are checked part by part, but a workbook may point a sheet
        at any part (``/customXml/item1.xml``), and calamine reads that part as the sheet.
        The direct reader measures every part it reads; a workbook it declines goes to
        calamine, and this checks the parts its sheets point at first. Real workbooks have
        none. (A workbook part too large to be kept, over 1 MB, is not looked into.)
        """
        workbook_xml = self.kept(_WORKBOOK_PART)
        relations_xml = self.kept(_WORKBOOK_RELATIONS_PART)
        if workbook_xml is None or relations_xml is None:
            return
        names = set(self.namelist())
        for part in _sheet_parts(workbook_xml, relations_xml):
            if part in names and not _WORKSHEET_PART.match(part):
                info = self.archive.getinfo(part)
                _check_worksheet_extent(self.archive, info, self.limits, self.kept(part))

    def check_worksheet_extents(self) -> None:
        """Run every extent check still waiting, in the container's order.

        A worksheet the reader measured is judged by that measure; any other is scanned
        here, so that nothing opens the workbook with a huge sheet unchecked.
        """
        while self._unchecked_worksheets:
            name = self._unchecked_worksheets[0]
            extent = (
                self._measured[name]
                if name in self._measured
                else cell_reference_extent(self._parts[name])
            )
            _check_extent(name, extent, self.limits)
            del self._unchecked_worksheets[0]


def check_container(data: bytes, limits: Limits = DEFAULT_LIMITS) -> OpenedPackage | None:
    """Raise :class:`UnreadableFile` when a file's container breaks a limit.

    For a readable zip container, returns it opened, with the small parts already
    decompressed, for the workbook reader to reuse; None otherwise. The extent check of
    a worksheet kept in memory waits in the returned package: whoever reads the workbook
    next must call :meth:`OpenedPackage.check_worksheet_extents` (the direct reader
    does) before building any sheet's grid.
    """
    if len(data) > limits.max_file_bytes:
        raise _too_large(
            f"quá lớn ({len(data) // (1024 * 1024)} MB)",
            f"it is too large ({len(data) // (1024 * 1024)} MB)",
        )
    if data.startswith(_ZIP_MAGIC):
        package = _check_zip(data, limits)
        if package is not None:
            _check_zip_sheets(package, limits)
        return package
    if data.startswith(OLE_MAGIC) and ENCRYPTED_PACKAGE not in data:
        # (An encrypted xlsx is reported as password-protected by the workbook reader.)
        try:
            sheets = xls_sheet_extents(data, limits.max_cells_per_sheet)
        except DamagedContainer as error:
            raise damaged_file() from error
        check_sheet_extents(sheets, limits)
    return None


def _check_zip_sheets(package: OpenedPackage, limits: Limits) -> None:
    """Measure the sheets of a zip container that a reader builds all at once, if any.

    Only an .ods file's are, today: ``content.xml`` is streamed, never held whole unless
    kept already. The xlsx worksheets are checked part by part (:func:`_check_part`).
    Word reports, once read, hook their scan here: the tables of ``word/document.xml``.
    """
    if WORD_DOCUMENT_PART in package.namelist():
        check_word_part(package, WORD_DOCUMENT_PART, limits)
    if "content.xml" not in package.namelist():
        return
    kept = package.kept("content.xml")
    opened = io.BytesIO(kept) if kept is not None else _open_part(package.archive, "content.xml")
    with opened as xml:
        try:
            sheets = ods_sheet_extents(xml)
        except DamagedContainer as error:
            raise damaged_file() from error
    check_sheet_extents(sheets, limits)


def check_sheet_extents(sheets: list[SheetExtent], limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a workbook any of whose sheets, or all of them together, hold too many cells.

    An extent a sheet only declares (calamine reserves it) is held to the sheet's limit,
    but not added to the workbook's; so is the number of a sheet's cell records.
    """
    total = 0
    for sheet in sheets:
        if sheet.records > limits.max_cells_per_sheet:
            raise _too_large(
                f"trang '{sheet.name}' có hơn {vi_number(limits.max_cells_per_sheet)} ô",
                f"sheet '{sheet.name}' holds over {limits.max_cells_per_sheet:,} cells",
            )
        if sheet.declared:
            if sheet.cells > limits.max_cells_per_sheet:
                raise _too_large(
                    f"trang '{sheet.name}' khai báo {sheet.rows} dòng × {sheet.columns} cột",
                    f"sheet '{sheet.name}' declares {sheet.rows} rows × {sheet.columns} columns",
                )
            continue
        check_sheet_size(sheet.name, sheet.rows, sheet.columns, limits)
        total += sheet.cells
    if total > limits.max_cells_per_workbook:
        raise _too_large(
            f"các trang tính có tổng cộng {vi_number(total)} ô",
            f"its sheets hold {total:,} cells in all",
        )


def check_csv_line(number: int, length: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a CSV file's line ``number`` when it is longer than any real report's."""
    if length > limits.max_csv_line_chars:
        raise UnreadableFile(
            f"Tệp CSV bị từ chối vì dòng {vi_number(number)} dài hơn "
            f"{vi_number(limits.max_csv_line_chars)} ký tự; biểu chỉ tiêu không có dòng như "
            "vậy. Hãy mở tệp bằng Excel, kiểm tra lại, lưu lại dạng .xlsx rồi gửi lại.",
            f"The CSV file was refused because line {number:,} is longer than "
            f"{limits.max_csv_line_chars:,} characters; an indicator sheet has no such line. "
            "Open the file in Excel, check it, save it as .xlsx and resend.",
        )


def check_csv_field(line: int, length: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a CSV file with a cell longer than an Excel cell may be (ending on ``line``)."""
    if length > limits.max_csv_field_chars:
        raise UnreadableFile(
            f"Tệp CSV bị từ chối vì có ô dài hơn {vi_number(limits.max_csv_field_chars)} ký tự "
            f"(kết thúc ở dòng {vi_number(line)}), quá sức chứa của một ô Excel; có thể tệp "
            "thiếu dấu ngoặc kép đóng. Hãy mở tệp bằng Excel, kiểm tra lại, lưu lại dạng .xlsx "
            "rồi gửi lại.",
            f"The CSV file was refused because a cell is longer than "
            f"{limits.max_csv_field_chars:,} characters (ending on line {line:,}), more than an "
            "Excel cell holds; a closing quote may be missing. Open the file in Excel, check "
            "it, save it as .xlsx and resend.",
        )


def _check_zip(data: bytes, limits: Limits) -> OpenedPackage | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None  # not a readable zip: the workbook reader reports it as damaged
    if len(parts) > limits.max_zip_parts:
        raise _too_large(f"có {len(parts)} thành phần", f"it has {len(parts)} parts")
    declared = sum(part.file_size for part in parts)
    if declared > limits.max_uncompressed_bytes:
        raise _too_large(
            f"khi giải nén lên tới {declared // (1024 * 1024)} MB",
            f"it expands to {declared // (1024 * 1024)} MB",
        )
    package = OpenedPackage(archive, data, limits)
    try:
        for part in parts:
            _check_part(package, part)
    except Exception:
        # A kept worksheet earlier in the container, whose extent check waits, was checked
        # before this part when every check ran in order: a refusal of it comes first.
        package.check_worksheet_extents()
        raise
    return package


@lru_cache(maxsize=256)
def _sheet_parts(workbook_xml: bytes, relations_xml: bytes) -> tuple[str, ...]:
    """The parts a workbook's sheets point at, resolved as calamine resolves them.

    An absolute target (``/customXml/item1.xml``) names a part from the package's root,
    any other one a part under ``xl/``. Elements and attributes are matched by local
    name, whatever their namespace (transitional or strict). XML that does not parse
    points at nothing: calamine cannot open that workbook either.
    """
    try:
        workbook = ElementTree.fromstring(workbook_xml)
        relations = ElementTree.fromstring(relations_xml)
    except Exception:
        return ()
    targets = {
        element.get("Id"): element.get("Target", "")
        for element in relations.iter()
        if _local_name(element.tag) == "Relationship"
    }
    parts = []
    for sheet in workbook.iter():
        if _local_name(sheet.tag) != "sheet":
            continue
        for attribute, value in sheet.attrib.items():
            # The relationship id is the namespaced "r:id"; a plain "id" is something else.
            if attribute.startswith("{") and _local_name(attribute) == "id":
                target = targets.get(value) or ""
                if target:
                    parts.append(target[1:] if target.startswith("/") else f"xl/{target}")
    return tuple(parts)


def _local_name(name: str) -> str:
    """An element's or attribute's name without its ``{namespace}``."""
    return name.rsplit("}", 1)[-1]


def _check_part(package: OpenedPackage, part: zipfile.ZipInfo) -> None:
    """Refuse a part abnormally compressed, declaring a DTD, or a worksheet of huge extent.

    A worksheet kept in memory for the reader has its extent check wait in ``package``.
    """
    ratio = part.file_size / max(part.compress_size, 1)
    if part.file_size > 1024 * 1024 and ratio > package.limits.max_compression_ratio:
        raise _too_large(
            f"phần '{part.filename}' nén bất thường (tỷ lệ {ratio:.0f}:1)",
            f"part '{part.filename}' is abnormally compressed ({ratio:.0f}:1)",
        )
    if not part.filename.endswith((".xml", ".rels")):
        return
    is_worksheet = _WORKSHEET_PART.match(part.filename) is not None
    kept = package._keep(part)
    whole = kept
    if whole is None and part.file_size <= _SMALL_PART_BYTES:
        whole = _inflate_whole(package.data, part)
    if _declares_dtd(package.archive, part, whole):
        raise _refused_xml()
    if not is_worksheet:
        return
    if kept is not None:
        package._unchecked_worksheets.append(part.filename)
    else:
        _check_worksheet_extent(package.archive, part, package.limits, whole)


def _declares_dtd(archive: zipfile.ZipFile, part: zipfile.ZipInfo, whole: bytes | None) -> bool:
    """Whether an XML part's prolog declares a DTD, read from ``whole`` when it is in memory."""
    if whole is not None:
        # '!' is rare in a part: a one-byte search, at memory speed, spares most parts the
        # pattern's search, which is much slower.
        return whole.find(b"!", 0, _PROLOG_BYTES) >= 0 and bool(
            _DTD.search(whole, 0, _PROLOG_BYTES)
        )
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


def _check_worksheet_extent(
    archive: zipfile.ZipFile, part: zipfile.ZipInfo, limits: Limits, whole: bytes | None = None
) -> None:
    """Refuse a worksheet whose used range is huge before calamine allocates it.

    calamine builds a dense grid spanning the first to the last cell: two cells at A1 and
    XFD1048576 would ask for terabytes and abort the whole process, which no ``except``
    can catch. The cell references are scanned in the decompressed text instead: all at
    once for a part already in memory (at most one block long, so the same scan as the
    streamed one), block by block otherwise.
    """
    in_memory = whole is not None
    extent = cell_reference_extent(whole) if in_memory else _streamed_extent(archive, part)
    _check_extent(part.filename, extent, limits)


def _check_extent(part_name: str, extent: Extent | None, limits: Limits) -> None:
    """Refuse a worksheet part whose used range holds more cells than the limit."""
    if extent is not None:
        first_row, last_row, first_col, last_col = extent
        rows, columns = last_row - first_row + 1, last_col - first_col + 1
        if rows * columns > limits.max_cells_per_sheet:  # the sheet's name only to refuse it
            check_sheet_size(Path(part_name).stem, rows, columns, limits)


def cell_reference_extent(xml: bytes) -> Extent | None:
    """The range of every cell reference in a worksheet's XML, as the extent check scans it."""
    return _extent_of(_cell_refs(xml))


def _cell_refs(xml: bytes) -> list[tuple[bytes, bytes]]:
    """Every ``(column letters, row digits)`` cell reference :data:`_CELL_REF` finds."""
    pattern = _CELL_REF if b":c" in xml else _UNPREFIXED_CELL_REF
    return pattern.findall(xml)


def _inflate_whole(data: bytes, part: zipfile.ZipInfo) -> bytes | None:
    """A part's bytes inflated straight from the file's bytes, in the plain case only.

    zipfile's per-part machinery (a file object, a decompressor fed in small reads) costs
    more than the inflating itself for the small parts of a workbook. Only a part zipfile
    would return whole and unchanged is read here: stored or deflated, not encrypted, its
    local header consistent, its stream complete, its size and CRC as declared. Anything
    else gives None, and zipfile reads the part (and reports any fault) as before. The
    output is capped at the declared size, as zipfile caps it.

    A small part met before, with the same compressed bytes, CRC and sizes, is not
    inflated again: the same bytes inflate to the same content (see :data:`_remembered`).
    """
    if part.flag_bits & _UNPLAIN_FLAGS or part.compress_type not in (
        zipfile.ZIP_STORED,
        zipfile.ZIP_DEFLATED,
    ):
        return None
    start = part.header_offset
    header = data[start : start + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    magic, flags, name_length, extra_length = fields[0], fields[3], fields[10], fields[11]
    if magic != _LOCAL_HEADER_MAGIC:
        return None
    name_start = start + _LOCAL_HEADER.size
    raw_name = data[name_start : name_start + name_length]
    try:
        # Both encodings read ASCII as ASCII, which decodes far faster than cp437's table.
        name = raw_name.decode(
            "ascii" if raw_name.isascii() else "utf-8" if flags & _UTF8_NAME_FLAG else "cp437"
        )
    except UnicodeDecodeError:
        return None
    if name != part.orig_filename:
        return None
    body_start = name_start + name_length + extra_length
    body = data[body_start : body_start + part.compress_size]
    if len(body) != part.compress_size:
        return None
    remember = part.file_size <= _SMALL_PART_BYTES and not _holds_own_data(part.filename)
    key = (part.CRC, part.compress_type, part.compress_size, part.file_size)
    if remember:
        known = _remembered.get(key)
        if known is not None and known[0] == body:
            return known[1]
    if part.compress_type == zipfile.ZIP_STORED:
        content = body
    else:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            content = inflater.decompress(body, part.file_size + 1)
        except zlib.error:
            return None
        if not inflater.eof:
            return None
    if len(content) != part.file_size or zlib.crc32(content) != part.CRC:
        return None
    if remember:
        if len(_remembered) >= _REMEMBERED_PARTS:
            _remembered.clear()
        _remembered[key] = (body, content)
    return content


def _holds_own_data(name: str) -> bool:
    """Whether a part holds a ward's own figures or names (a worksheet, shared strings)."""
    return name in _OWN_DATA_PARTS or _WORKSHEET_PART.match(name) is not None


def _extent_of(refs: list[tuple[bytes, bytes]]) -> Extent | None:
    """(first row, last row, first column, last column) of ``(letters, digits)`` references.

    Rows and columns repeat across the references, so each distinct one is converted once.
    """
    if not refs:
        return None
    letters, digits = zip(*refs, strict=True)
    rows = [int(number) for number in set(digits)]
    columns = [_column_number(column) for column in set(letters)]
    return min(rows), max(rows), min(columns), max(columns)


def _streamed_extent(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> Extent | None:
    """The extent of a large worksheet, read in blocks so it is never whole in memory."""
    extent = None
    tail = b""
    with _open_part(archive, part) as stream:
        for block in iter(lambda: stream.read(_KEPT_PART_BYTES), b""):
            chunk = tail + block
            extent = merged_extent(extent, _extent_of(_cell_refs(chunk)))
            tail = chunk[-256:]
    return extent


def _open_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo | str) -> IO[bytes]:
    """A part opened for streaming; a part whose header points outside the file is damaged."""
    try:
        return archive.open(part)
    except ValueError as error:  # zipfile seeks to the offset the directory gives
        raise damaged_file() from error


def merged_extent(*extents: Extent | None) -> Extent | None:
    """The smallest extent covering every one given (None stands for no cell at all)."""
    present = [extent for extent in extents if extent is not None]
    if not present:
        return None
    first_rows, last_rows, first_cols, last_cols = zip(*present, strict=True)
    return min(first_rows), max(last_rows), min(first_cols), max(last_cols)


def check_sheet_size(name: str, rows: int, columns: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise :class:`UnreadableFile` when a sheet holds more cells than any real submission."""
    cells = rows * columns
    if cells > limits.max_cells_per_sheet:
        raise _too_large(
            f"trang '{name}' có {rows} dòng × {columns} cột",
            f"sheet '{name}' has {rows} rows × {columns} columns",
        )


# ------------------------------------------------------------------ Word reports

WORD_DOCUMENT_PART = "word/document.xml"
# Counted in a Word part's text before any parser builds it: elements (start tags),
# paragraphs, tables and table cells, whatever the namespace prefix.
_WORD_COUNTED = re.compile(rb"<(?:\w{1,8}:)?(p|tbl|tc)[\s>/]|<[A-Za-z_]")
# A counted match is at most this long, so a block's last bytes are scanned with the next.
_WORD_MATCH_BYTES = 16


def check_word_part(package: OpenedPackage, name: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a Word part whose XML is too large or holds too many elements, paragraphs or cells.

    The part is streamed in blocks and its bytes counted as inflated (a part may hold more
    than its zip entry declares), so neither the part nor a tree of it is ever whole in
    memory here. The counts are upper bounds of what the reader finds (a text box Word
    writes twice is counted twice), held to the same limits, so the reader, which builds
    one top-level element of the body at a time, never meets a hostile size it has not
    been told about.
    """
    elements = paragraphs = tables = cells = size = 0
    tail = b""
    with _open_part(package.archive, name) as stream:
        for block in iter(lambda: stream.read(_KEPT_PART_BYTES), b""):
            size += len(block)
            if size > limits.max_word_part_bytes:
                megabytes = limits.max_word_part_bytes // (1 << 20)
                raise word_too_large(
                    f"phần '{name}' lớn hơn {vi_number(megabytes)} MB",
                    f"part '{name}' is larger than {megabytes:,} MB",
                )
            chunk = tail + block
            cut = max(len(chunk) - _WORD_MATCH_BYTES, 0)
            for match in _WORD_COUNTED.finditer(chunk, 0, len(chunk)):
                if match.start() >= cut:
                    break
                elements += 1
                kind = match.group(1)
                if kind == b"p":
                    paragraphs += 1
                elif kind == b"tbl":
                    tables += 1
                elif kind == b"tc":
                    cells += 1
            tail = chunk[cut:]
        elements += tail.count(b"<")  # at most a couple, for the refusal below
    _check_word_counts(name, elements, paragraphs, tables, cells, limits)


def _check_word_counts(
    name: str, elements: int, paragraphs: int, tables: int, cells: int, limits: Limits
) -> None:
    counts = (
        (elements, limits.max_word_xml_elements, "phần tử XML", "XML elements"),
        (paragraphs, limits.max_paragraphs, "đoạn văn", "paragraphs"),
        (tables, limits.max_tables, "bảng", "tables"),
        (cells, limits.max_table_cells, "ô bảng", "table cells"),
    )
    for count, limit, what_vi, what_en in counts:
        if count > limit:
            raise word_too_large(
                f"phần '{name}' có hơn {vi_number(limit)} {what_vi}",
                f"part '{name}' holds over {limit:,} {what_en}",
            )


def word_too_large(what_vi: str, what_en: str) -> UnreadableFile:
    """The refusal of a report (Word or PDF) that breaks a size limit."""
    return UnreadableFile(
        f"Tệp báo cáo bị từ chối vì {what_vi}; báo cáo của phường/xã không lớn như vậy. "
        "Hãy kiểm tra lại và gửi đúng tệp báo cáo.",
        f"The report was refused because {what_en}; a ward's report is never this large. "
        "Check it and send the report itself.",
    )
