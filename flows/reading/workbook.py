"""Opening a landed file's bytes as sheet grids: the first step of reading a submission.

:func:`read_workbook` opens a file (xlsx/xlsm/xls/ods with python-calamine, csv with the
standard library) into :class:`SheetGrid` objects whose ``rows[r][c]`` is the real Excel
cell ``(r + 1, c + 1)``, so that every value keeps its address. Plain xlsx files (inline or
shared strings, numbers, plain dates) are read from the package XML by
:mod:`flows.reading.xlsx_cells`, which gives the grids calamine would, more cheaply; anything
unusual goes to calamine. A file that cannot be read raises :class:`UnreadableFile` with a
reason a clerk can act on, in Vietnamese and English.

What calamine does not report is read from the package XML in the same pass over the bytes
(with defusedxml, which refuses entity tricks): error cells, formulas saved without a
result, and number formats, so that 0.915 formatted as a percentage in a percent row reads
91.5. That works for .xlsx/.xlsm and .ods (``percentage`` cells); for .xls the percent formats
come from the BIFF records (:mod:`flows.reading.xls_formats`), so a percent-formatted cell
reads 91.5 in every container.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import python_calamine
from defusedxml import ElementTree

from flows.domain.values import CELL_ERROR_TEXTS, NO_CACHED_VALUE
from flows.reading.errors import UnreadableFile, damaged_file
from flows.reading.safety import (
    DEFAULT_LIMITS,
    ENCRYPTED_PACKAGE,
    Limits,
    OpenedPackage,
    check_csv_field,
    check_csv_line,
    check_sheet_size,
)
from flows.reading.xls_formats import xls_percent_cells
from flows.reading.xlsx_cells import PlainSheet, read_plain_xlsx

SPREADSHEET_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
SUPPORTED_EXTENSIONS = SPREADSHEET_EXTENSIONS | {".csv"}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# ------------------------------------------------------------------ errors


def _password_protected() -> UnreadableFile:
    return UnreadableFile(
        "Tệp được đặt mật khẩu; hãy gỡ mật khẩu (File > Info > Protect Workbook) rồi gửi lại.",
        "The file is password-protected; remove the password (File > Info > Protect "
        "Workbook) and resend.",
    )


def _empty_workbook() -> UnreadableFile:
    return UnreadableFile(
        "Tệp không có dữ liệu (bảng tính trống); hãy kiểm tra lại tệp đính kèm và gửi lại.",
        "The file holds no data (empty workbook); check the attachment and resend.",
    )


def _unsupported_extension(extension: str) -> UnreadableFile:
    shown = extension or "(không có đuôi)"
    return UnreadableFile(
        f"Loại tệp {shown} không được hỗ trợ; hãy gửi tệp Excel (.xlsx, .xls), .ods hoặc .csv, "
        "hoặc báo cáo Word (.docx, .doc) hay PDF.",
        f"File type {extension or '(none)'} is not supported; send an Excel (.xlsx, .xls), "
        ".ods or .csv file, or the report as Word (.docx, .doc) or PDF.",
    )


# ------------------------------------------------------------------ reading


@dataclass
class SheetGrid:
    """One sheet's cells; ``rows[r][c]`` is the real cell at row ``r + 1``, column ``c + 1``.

    Empty cells are None; rows may have different lengths. ``percent_cells`` holds the
    0-based ``(row, column)`` of numeric cells formatted as a percentage (``0.915``
    shown as ``91,5%``), known for .xlsx/.xlsm, .xls and .ods files.
    """

    name: str
    index: int
    visible: bool
    rows: list[list]
    percent_cells: frozenset[tuple[int, int]] = frozenset()

    def cell(self, row_idx: int, col_idx: int) -> object:
        """The cell value, None outside the data or when empty."""
        if row_idx >= len(self.rows) or col_idx >= len(self.rows[row_idx]):
            return None
        return self.rows[row_idx][col_idx]

    def is_empty(self) -> bool:
        """True when no cell holds anything."""
        return not any(cell is not None for row in self.rows for cell in row)


def read_workbook(
    path: Path | str,
    data: bytes | None = None,
    package: OpenedPackage | None = None,
    csv_name: str | None = None,
) -> list[SheetGrid]:
    """Every sheet of a workbook or CSV file, in workbook order.

    ``data`` is the file's content when the caller has read it already (the extension
    of ``path`` still decides the format); ``package`` is that content's zip container
    as :func:`flows.reading.safety.check_container` opened it, so that its parts are not
    decompressed twice. A CSV file's one sheet is named ``csv_name``, or after ``path``.
    Raises :class:`UnreadableFile` for an unsupported extension, a
    damaged or non-spreadsheet file, a password-protected workbook, or one without any data.
    """
    path = path if isinstance(path, Path) else Path(path)
    extension = path.suffix.lower()
    if package is not None and extension not in SPREADSHEET_EXTENSIONS:
        # The worksheet extent checks the container check left to the spreadsheet reader
        # come first, as they did when the container check ran them itself.
        package.check_worksheet_extents()
    if extension not in SUPPORTED_EXTENSIONS:
        raise _unsupported_extension(extension)
    if data is None:
        data = path.read_bytes()
    if not data.strip():
        raise _empty_workbook()
    if extension == ".csv":
        grids = _read_csv(data, csv_name or path.stem)
    else:
        grids = _read_spreadsheet(data, package)
    if not grids or all(grid.is_empty() for grid in grids):
        raise _empty_workbook()
    return grids


def _read_spreadsheet(data: bytes, package: OpenedPackage | None = None) -> list[SheetGrid]:
    if data.startswith(_OLE_MAGIC) and ENCRYPTED_PACKAGE in data:
        raise _password_protected()
    if package is not None:
        # Plain xlsx files (nearly all) are read from the parts the container check kept;
        # anything else goes to calamine, which reads every format. Either way the reader
        # has run the worksheet extent checks the container check left to it.
        plain_sheets = read_plain_xlsx(package)
        if plain_sheets is not None:
            return _plain_grids(plain_sheets, package)
        package.check_sheets_outside_worksheets()
    try:
        # from_filelike sniffs the content, so an .xls saved under .xlsx still opens.
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError as error:
        raise _password_protected() from error
    except Exception as error:  # calamine raises several unrelated types for bad bytes
        raise damaged_file() from error
    extras = _cell_extras(data, package)
    grids = []
    for index, metadata in enumerate(workbook.sheets_metadata):
        if metadata.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue
        try:
            sheet = workbook.get_sheet_by_index(index)
        except Exception as error:
            raise damaged_file() from error
        # Checked before the cells are copied into Python lists, which is what costs memory.
        check_sheet_size(metadata.name, sheet.height, sheet.width)
        try:
            rows = _calamine_rows(sheet)
        except Exception as error:
            raise damaged_file() from error
        visible = metadata.visible == python_calamine.SheetVisibleEnum.Visible
        grids.append(_grid(metadata.name, index, visible, rows, extras))
    return grids


def _cell_extras(data: bytes, package: OpenedPackage | None) -> dict[str, _SheetExtras]:
    """What calamine does not tell, per sheet name: from the package XML, or the BIFF records."""
    if data.startswith(_ZIP_MAGIC):
        return _package_cell_extras(data, package)
    if data.startswith(_OLE_MAGIC):
        return {
            name: _SheetExtras(percent_cells=set(cells))
            for name, cells in xls_percent_cells(data).items()
        }
    return {}


def _grid(
    name: str, index: int, visible: bool, rows: list[list], extras: dict[str, _SheetExtras]
) -> SheetGrid:
    """A sheet's grid, with what only the package XML tells (error cells, percent formats)."""
    sheet_extras = extras.get(name, _SheetExtras())
    _overlay(rows, sheet_extras.problems)
    return SheetGrid(name, index, visible, rows, frozenset(sheet_extras.percent_cells))


def _plain_grids(sheets: list[PlainSheet], package: OpenedPackage) -> list[SheetGrid]:
    """Grids of the sheets :func:`~flows.reading.xlsx_cells.read_plain_xlsx` read, as calamine's."""
    if _may_hold_extras(sheets, package):
        extras = _package_cell_extras(package.data, package)
    else:
        extras = {}  # what the scan would find in every sheet: nothing
    grids = []
    for sheet in sheets:
        check_sheet_size(sheet.name, sheet.height, sheet.width)
        grids.append(_grid(sheet.name, sheet.index, sheet.visible, sheet.rows, extras))
    return grids


def _may_hold_extras(sheets: list[PlainSheet], package: OpenedPackage) -> bool:
    """Whether the scan for extras could find anything in sheets the direct reader read.

    The reader saw every cell, so the scan can only find an error cell or a number under
    a percent format (a formula without its result sends the workbook to calamine),
    unless a cell element stands outside sheetData, where the reader does not look (nor
    does calamine). Most workbooks have none of these, and are not parsed a second time.
    """
    if any(sheet.may_hold_error_cells for sheet in sheets):
        return True
    number_cell_styles = frozenset().union(*(sheet.number_cell_styles for sheet in sheets))
    if not number_cell_styles or "xl/styles.xml" not in package.namelist():
        return False
    try:
        percent_styles = _xlsx_percent_styles(package.read("xl/styles.xml"))
    except Exception:
        return True  # the scan decides, as it would have
    return not percent_styles.isdisjoint(number_cell_styles)


def _calamine_rows(sheet: python_calamine.CalamineSheet) -> list[list]:
    """The sheet's cells padded so that indices are real addresses (calamine trims the margin)."""
    start = sheet.start
    if start is None:
        return []
    first_row, first_col = start
    data = sheet.to_python(skip_empty_area=True)
    rows: list[list] = [[] for _ in range(first_row)]
    # Only the empty string equals "" among the types calamine returns: an empty cell.
    if first_col:
        margin = [None] * first_col
        rows.extend(margin + [None if cell == "" else cell for cell in row] for row in data)
    else:
        rows.extend([None if cell == "" else cell for cell in row] for row in data)
    return rows


def _overlay(rows: list[list], cells: dict[tuple[int, int], str]) -> None:
    """Write error texts into cells calamine read as empty."""
    for (row_idx, col_idx), text in cells.items():
        while len(rows) <= row_idx:
            rows.append([])
        row = rows[row_idx]
        if len(row) <= col_idx:
            row.extend([None] * (col_idx + 1 - len(row)))
        if row[col_idx] is None:
            row[col_idx] = text


_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_NS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")

# Built-in number formats 9 ("0%") and 10 ("0.00%") are percentages; custom formats
# are when they hold a "%" outside quotes and escapes.
_BUILTIN_PERCENT_FORMATS = frozenset({9, 10})
_QUOTED_OR_ESCAPED = re.compile(r'"[^"]*"|\\.')


@dataclass
class _SheetExtras:
    """What calamine does not tell about a sheet's cells, by 0-based (row, column).

    ``problems`` are error texts (``#REF!``) and formulas without a saved result,
    which calamine reads as empty; ``percent_cells`` are numbers formatted as percent.
    """

    problems: dict[tuple[int, int], str] = field(default_factory=dict)
    percent_cells: set[tuple[int, int]] = field(default_factory=set)


def _package_cell_extras(
    data: bytes, package: OpenedPackage | None = None
) -> dict[str, _SheetExtras]:
    """Error cells, formulas without result and percent-formatted cells, per sheet name.

    Read from the package XML directly, in one pass over the parts that matter, from
    ``package`` (the container as the safety check opened it) when given.
    defusedxml refuses entity expansion and external references (a crafted workbook
    must not exhaust memory or read files). Best effort: any surprise in the package
    gives no extras rather than a failure, since calamine has read the cells already.
    """
    try:
        if package is not None:
            return _zip_cell_extras(package)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _zip_cell_extras(archive)
    except Exception:
        return {}


def _zip_cell_extras(package: zipfile.ZipFile | OpenedPackage) -> dict[str, _SheetExtras]:
    names = set(package.namelist())
    if "xl/workbook.xml" in names:
        return _xlsx_cell_extras(package, names)
    if "content.xml" in names:
        return _ods_cell_extras(package.read("content.xml"))
    return {}


def _xlsx_cell_extras(
    package: zipfile.ZipFile | OpenedPackage, names: set[str]
) -> dict[str, _SheetExtras]:
    percent_styles = (
        _xlsx_percent_styles(package.read("xl/styles.xml"))
        if ("xl/styles.xml" in names)
        else frozenset()
    )
    sheet_parts = _xlsx_sheet_parts(
        package.read("xl/workbook.xml"), package.read("xl/_rels/workbook.xml.rels")
    )
    return {
        name: _sheet_cell_extras(package.read(part), percent_styles)
        for name, part in sheet_parts
        if part in names
    }


# Files made from one template share their styles and workbook parts byte for byte:
# the XML of each distinct part is parsed once. Both are pure functions of the bytes.
@lru_cache(maxsize=256)
def _xlsx_percent_styles(xml: bytes) -> frozenset[str]:
    """The cell style indices (the ``s`` attribute of a cell) whose number format is percent."""
    root = ElementTree.fromstring(xml)
    percent_formats = set(_BUILTIN_PERCENT_FORMATS)
    for number_format in root.iter(f"{_NS_MAIN}numFmt"):
        code = _QUOTED_OR_ESCAPED.sub("", number_format.get("formatCode", ""))
        if "%" in code:
            percent_formats.add(int(number_format.get("numFmtId", "-1")))
    cell_formats = root.find(f"{_NS_MAIN}cellXfs")
    if cell_formats is None:
        return frozenset()
    return frozenset(
        str(index)
        for index, xf in enumerate(cell_formats.iter(f"{_NS_MAIN}xf"))
        if int(xf.get("numFmtId", "0")) in percent_formats
    )


@lru_cache(maxsize=256)
def _xlsx_sheet_parts(workbook_xml: bytes, relations_xml: bytes) -> tuple[tuple[str, str], ...]:
    """(sheet name, worksheet part) pairs in workbook order, a later name replacing an earlier."""
    workbook = ElementTree.fromstring(workbook_xml)
    relations = ElementTree.fromstring(relations_xml)
    targets = {
        rel.get("Id"): rel.get("Target", "") for rel in relations.iter(f"{_NS_PKG_REL}Relationship")
    }
    parts = {}
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        parts[sheet.get("name", "")] = (
            target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        )
    return tuple(parts.items())


def _needs_cell_scan(xml: bytes, percent_styles: frozenset[str]) -> bool:
    """Whether a sheet can hold an extra at all: most sheets have no formula, error or %.

    A byte search is far cheaper than parsing every cell of every sheet. Both quote
    styles and namespace prefixes (``<x:f>``) occur; a false positive only costs time.
    """
    if b"<f" in xml or b":f" in xml or b't="e"' in xml or b"t='e'" in xml:
        return True
    return any(
        f's="{style}"'.encode() in xml or f"s='{style}'".encode() in xml for style in percent_styles
    )


def _sheet_cell_extras(xml: bytes, percent_styles: frozenset[str]) -> _SheetExtras:
    extras = _SheetExtras()
    if not _needs_cell_scan(xml, percent_styles):
        return extras
    for cell in ElementTree.fromstring(xml).iter(f"{_NS_MAIN}c"):
        value = cell.find(f"{_NS_MAIN}v")
        value_text = value.text if value is not None else None
        is_number = cell.get("t", "n") == "n"
        is_percent = is_number and value_text and cell.get("s") in percent_styles
        if cell.get("t") == "e" and value_text:
            text = value_text
        elif cell.find(f"{_NS_MAIN}f") is not None and not value_text:
            text = NO_CACHED_VALUE
        elif is_percent:
            text = None
        else:
            continue
        position = _parse_cell_ref(cell.get("r", ""))
        if position is None:
            continue
        if text is not None:
            extras.problems[position] = text
        if is_percent:
            extras.percent_cells.add(position)
    return extras


def _ods_cell_extras(xml: bytes) -> dict[str, _SheetExtras]:
    """Percentage cells (``office:value-type="percentage"``) of an .ods file, per table."""
    if b'"percentage"' not in xml:
        return {}
    extras = {}
    for table in ElementTree.fromstring(xml).iter(f"{_NS_TABLE}table"):
        sheet = _SheetExtras()
        row_idx = 0
        for row in table.iter(f"{_NS_TABLE}table-row"):
            repeat_rows = int(row.get(f"{_NS_TABLE}number-rows-repeated", "1"))
            col_idx = 0
            for cell in row:
                repeat_cols = int(cell.get(f"{_NS_TABLE}number-columns-repeated", "1"))
                if cell.get(f"{_NS_OFFICE}value-type") == "percentage":
                    sheet.percent_cells.update(
                        (row_idx + r, col_idx + c)
                        for r in range(min(repeat_rows, 1000))
                        for c in range(min(repeat_cols, 1000))
                    )
                col_idx += repeat_cols
            row_idx += repeat_rows
        extras[table.get(f"{_NS_TABLE}name", "")] = sheet
    return extras


def _parse_cell_ref(ref: str) -> tuple[int, int] | None:
    match = _CELL_REF.match(ref)
    if match is None:
        return None
    col_idx = 0
    for letter in match.group(1):
        col_idx = col_idx * 26 + (ord(letter) - ord("A") + 1)
    return int(match.group(2)) - 1, col_idx - 1


def _read_csv(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> list[SheetGrid]:
    """A CSV file's one sheet, refused as soon as a line, a cell or the grid is too large.

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (old Mac exports); every line's length
    is checked before the csv module parses any, each row's cells before it joins the grid,
    and the grid's extent (rows × the widest row) as it grows.
    """
    text = _decode_csv(data)
    _check_csv_lines(text, limits)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_csv_delimiter(text))
    rows: list[list] = []
    width = 0
    longest_field, most_cells = limits.max_csv_field_chars, limits.max_cells_per_sheet
    try:
        for row in reader:
            if row and max(map(len, row)) > longest_field:
                check_csv_field(reader.line_num, max(map(len, row)), limits)
            if len(row) > width:
                width = len(row)
            if (len(rows) + 1) * width > most_cells:
                check_sheet_size(name, len(rows) + 1, width, limits)
            rows.append([cell if cell.strip() else None for cell in row])
    except csv.Error as error:
        if "field limit" in str(error):  # a quoted cell running on over many lines
            check_csv_field(reader.line_num, csv.field_size_limit() + 1, limits)
        raise damaged_file() from error
    return [SheetGrid(name, 0, True, rows)]


def _check_csv_lines(text: str, limits: Limits) -> None:
    """Refuse a CSV text with a line too long, before any line is parsed."""
    if max(map(len, io.StringIO(text, newline="")), default=0) > limits.max_csv_line_chars:
        for number, line in enumerate(io.StringIO(text, newline=""), start=1):
            check_csv_line(number, len(line), limits)


def _decode_csv(data: bytes) -> str:
    """CSV text from UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1258."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        if data.startswith(b"\xef\xbb\xbf"):
            return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:  # the byte order mark promised what did not follow
        raise damaged_file() from error
    if b"\x00" in data[:4096]:
        raise damaged_file()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Windows-1258 stores tones as combining marks after the vowel: composing them
        # gives the text the clerk saw, not a byte-level artefact.
        return unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))


def _csv_delimiter(text: str) -> str:
    """``;`` (Vietnamese-locale Excel) or ``,``, whichever splits the first lines more."""
    sample = "\n".join(text.splitlines()[:30])
    return ";" if sample.count(";") > sample.count(",") else ","


# Every ward's table has its values in the same cells.
@lru_cache(maxsize=65536, typed=True)
def cell_address(row_idx: int, col_idx: int) -> str:
    """The A1 address of a 0-based (row, column): ``cell_address(11, 5) == 'F12'``."""
    letters = ""
    number = col_idx + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return f"{letters}{row_idx + 1}"


__all__ = [
    "CELL_ERROR_TEXTS",
    "SheetGrid",
    "UnreadableFile",
    "cell_address",
    "read_workbook",
]
