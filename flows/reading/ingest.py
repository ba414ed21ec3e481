"""Reading submitted workbooks and turning their indicator tables into observations.

Two steps, kept apart so each can be tested and extended on its own:

1. :func:`read_workbook` opens a file (xlsx/xlsm/xls/ods with python-calamine, csv
   with the standard library) into :class:`SheetGrid` objects whose ``rows[r][c]`` is
   the real Excel cell ``(r + 1, c + 1)``. Plain xlsx files (inline or shared strings,
   numbers, plain dates) are read from the package XML by :mod:`flows.reading.xlsx_cells`,
   which gives the grids calamine would, several times faster; anything unusual goes
   to calamine. A file that cannot be read raises
   :class:`UnreadableFile` with a reason a clerk can act on, in Vietnamese and English.
2. :func:`parse_sheet` finds the metadata block, the (one- or two-row) header and the
   data rows of one grid, and returns a :class:`ParsedSheet`: one
   :class:`Observation` per value cell, :class:`UnmappedRow` for rows matching no
   indicator, and :class:`CellIssue` for cells that could not be read.

Column roles come from :data:`HEADER_PATTERNS` and metadata labels from
:data:`METADATA_LABELS`; new layouts are supported by extending those tables.

What calamine does not report is read from the package XML in the same pass over
the bytes (with defusedxml, which refuses entity tricks): error cells, formulas saved
without a result, and number formats, so that 0.915 formatted as a percentage in a
percent row reads 91.5. That works for .xlsx/.xlsm and .ods (``percentage`` cells);
for .xls the BIFF formats are not read (no reader for them among the dependencies),
so a percent-formatted .xls cell in a percent row reads as the stored fraction
(0.915, not 91.5): a known limitation.

Text cells are matched on their repaired form (NFC, tones, TCVN3/VNI decoded by
:mod:`flows.domain.textnorm`) while :class:`Observation` and ``ParsedSheet.metadata`` keep
the text as typed.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from functools import lru_cache
from itertools import chain
from operator import attrgetter, itemgetter
from pathlib import Path

import python_calamine
from defusedxml import ElementTree

from flows.domain.catalog import Catalog, Indicator
from flows.domain.periods import parse_period, parse_report_date, parse_term, parse_year_header
from flows.domain.textnorm import fold, fold_words, normalize_text
from flows.domain.values import (
    CELL_ERROR_TEXTS,
    NO_CACHED_VALUE,
    PER_MILLE,
    ParsedTarget,
    ParsedValue,
    is_per_mille_unit,
    original_text_of,
    parse_target,
    parse_value,
)
from flows.reading.errors import UnreadableFile, damaged_file
from flows.reading.safety import OpenedPackage, check_sheet_size
from flows.reading.xlsx_cells import PlainSheet, read_plain_xlsx

SPREADSHEET_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
SUPPORTED_EXTENSIONS = SPREADSHEET_EXTENSIONS | {".csv"}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted OOXML file is an OLE container holding a stream with this name.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

# The header is looked for in the first rows only: a title and metadata block is short.
MAX_HEADER_SEARCH_ROWS = 60


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
        f"Loại tệp {shown} không được hỗ trợ; hãy gửi tệp Excel (.xlsx, .xls), .ods hoặc .csv.",
        f"File type {extension or '(none)'} is not supported; send an Excel (.xlsx, .xls), "
        ".ods or .csv file.",
    )


# ------------------------------------------------------------------ reading


@dataclass
class SheetGrid:
    """One sheet's cells; ``rows[r][c]`` is the real cell at row ``r + 1``, column ``c + 1``.

    Empty cells are None; rows may have different lengths. ``percent_cells`` holds the
    0-based ``(row, column)`` of numeric cells formatted as a percentage (``0.915``
    shown as ``91,5%``), known for .xlsx/.xlsm and .ods files.
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
    path: Path | str, data: bytes | None = None, package: OpenedPackage | None = None
) -> list[SheetGrid]:
    """Every sheet of a workbook or CSV file, in workbook order.

    ``data`` is the file's content when the caller has read it already (the extension
    of ``path`` still decides the format); ``package`` is that content's zip container
    as :func:`flows.reading.safety.check_container` opened it, so that its parts are not
    decompressed twice. Raises :class:`UnreadableFile` for an unsupported extension, a
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
    csv_file = extension == ".csv"
    grids = _read_csv(data, path.stem) if csv_file else _read_spreadsheet(data, package)
    if not grids or all(grid.is_empty() for grid in grids):
        raise _empty_workbook()
    return grids


def _read_spreadsheet(data: bytes, package: OpenedPackage | None = None) -> list[SheetGrid]:
    if data.startswith(_OLE_MAGIC) and _ENCRYPTED_PACKAGE in data:
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
    extras = _package_cell_extras(data, package) if data.startswith(_ZIP_MAGIC) else {}
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


def _read_csv(data: bytes, name: str) -> list[SheetGrid]:
    text = _decode_csv(data)
    delimiter = _csv_delimiter(text)
    rows = [
        [cell if cell.strip() else None for cell in row]
        for row in csv.reader(io.StringIO(text), delimiter=delimiter)
    ]
    return [SheetGrid(name, 0, True, rows)]


def _decode_csv(data: bytes) -> str:
    """CSV text from UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1258."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig")
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


# ------------------------------------------------------------------ parsed results


@dataclass
class Observation:
    """One value cell of an indicator row, with the row's target and its provenance.

    ``unit`` is the unit ``value`` is expressed in: the catalog's unit (money in đồng,
    percents in 0-100), or ``‰`` for a per-mille cell. ``unit_suffix`` is what the
    clerk typed after the number (``đ/c``, ``%``, ``‰``). ``original_text`` is the
    cell as typed, before any repair of legacy font encodings.
    """

    indicator_code: str
    period_code: str
    value: float | None
    qualifier: str
    denominator: float | None
    is_estimate: bool
    target_text: str | None
    target_low: float | None
    target_high: float | None
    target_direction: str | None
    target_per_year: bool | None
    original_text: str
    source_cell: str
    source_row: int
    note: str | None = None
    stated_percent: float | None = None
    unit: str | None = None
    unit_suffix: str | None = None

    def __reduce__(self) -> tuple[type[Observation], tuple]:
        # Pickled as the constructor's arguments, not as a dict of 18 named fields: a
        # parse on several processes sends ~35 of these per file back to the parent,
        # which unpickles them on a core the workers need. Half the bytes, and several
        # times faster to load; the same Observation comes out.
        return type(self), _observation_fields(self)


@dataclass
class UnmappedRow:
    """A table row that matched no catalog indicator; kept for a curator to add an alias."""

    source_row: int
    code_text: str | None
    name_text: str | None
    unit_text: str | None
    values_text: str


@dataclass
class CellIssue:
    """A problem with one cell (or the sheet, when ``source_cell`` is None)."""

    severity: str
    rule: str
    source_cell: str | None
    indicator_code: str | None
    period_code: str | None
    message_vi: str
    message_en: str

    @property
    def message(self) -> str:
        """Both languages, Vietnamese first."""
        return f"{self.message_vi} / {self.message_en}"


@dataclass
class ParsedSheet:
    """Everything read from one sheet holding an indicator table."""

    sheet_name: str
    sheet_index: int
    metadata: dict[str, str]
    unit_code: str | None
    unit_name: str | None
    district_name: str | None
    province_name: str | None
    period_code: str | None
    term_code: str | None
    report_date: date | None
    observations: list[Observation] = field(default_factory=list)
    unmapped_rows: list[UnmappedRow] = field(default_factory=list)
    cell_issues: list[CellIssue] = field(default_factory=list)
    header_row: int | None = None


_observation_fields = attrgetter(*(spec.name for spec in fields(Observation)))


# ------------------------------------------------------------------ column roles


@dataclass(frozen=True)
class ColumnRole:
    """What a table column holds. ``year`` is set for year columns."""

    kind: str
    header_text: str = ""
    year: int | None = None
    is_estimate: bool = False


# Columns holding reported values; everything else describes the row.
VALUE_KINDS = frozenset({"year", "value", "midterm"})

# (role, pattern on the header folded without punctuation), first match wins:
# "Chỉ tiêu NQ" must be a target before "Chỉ tiêu" can be the name column.
HEADER_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("stt", r"^(?:stt|tt|so tt|so thu tu)$"),
        ("code", r"^(?:ma chi tieu|ma so|ma|ma ct|ma chi so)$"),
        ("unit", r"^(?:dvt|don vi tinh|don vi)$"),
        ("computed", r"^(?:so sanh|so voi|ty le dat|ty le hoan thanh so|% so voi|% dat)"),
        ("assessment", r"^danh gia"),
        ("note", r"^ghi chu"),
        (
            "target",
            r"^(?:chi tieu (?:nq|nghi quyet|dai hoi|ke hoach|nhiem ky)|muc tieu|ke hoach|kh\b)",
        ),
        ("midterm", r"^(?:giua nhiem ky|so ket)"),
        ("value", r"^(?:uoc )?(?:thuc hien|ket qua|so lieu|ket qua thuc hien|th)$"),
        ("name", r"^(?:chi tieu|ten chi tieu|noi dung|noi dung chi tieu|cac chi tieu)$"),
    )
)


def classify_header(cell: object) -> ColumnRole | None:
    """The role of a column from its header cell, or None for an unknown header."""
    if cell is None:
        return None
    if type(cell) is str:
        return _classify_header_text(cell)
    if type(cell) is float:
        return _classify_header_number(cell)
    return _classify_header_cell(cell)


# Header and title texts repeat in every file of a template; ColumnRole is immutable.
@lru_cache(maxsize=65536)
def _classify_header_text(cell: str) -> ColumnRole | None:
    return _classify_header_cell(cell)


# The first data row (numbered 1.0, its values) is tried as a sub-header in every file.
# A float reads as its value alone (0.0 and -0.0 both read "0"), so equal keys are safe.
@lru_cache(maxsize=4096)
def _classify_header_number(cell: float) -> ColumnRole | None:
    return _classify_header_cell(cell)


def _classify_header_cell(cell: object) -> ColumnRole | None:
    text = normalize_text(original_text_of(cell))
    year_header = parse_year_header(cell)
    if year_header is not None:
        year, is_estimate = year_header
        return ColumnRole("year", text, year=year, is_estimate=is_estimate)
    folded = fold_words(text)
    for kind, pattern in HEADER_PATTERNS:
        if pattern.search(folded):
            return ColumnRole(kind, text, is_estimate=folded.startswith("uoc"))
    return None


@dataclass
class HeaderLayout:
    """Where the header is (0-based rows, inclusive) and the role of each column.

    ``columns`` is not to be changed once the layout is built: the columns are sorted
    and indexed by role once, as every data row asks for them several times.
    """

    first_row: int
    last_row: int
    columns: dict[int, ColumnRole]
    _sorted_columns: tuple[tuple[int, ColumnRole], ...] = field(
        init=False, repr=False, compare=False
    )
    _first_column_of_kind: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._sorted_columns = tuple(sorted(self.columns.items()))
        first: dict[str, int] = {}
        for col, role in self._sorted_columns:
            first.setdefault(role.kind, col)
        self._first_column_of_kind = first

    def first_column(self, kind: str) -> int | None:
        """The leftmost column of a role, or None."""
        return self._first_column_of_kind.get(kind)

    def columns_of(self, kinds: frozenset[str] | set[str]) -> list[tuple[int, ColumnRole]]:
        """Columns whose role is one of ``kinds``, left to right."""
        return [(col, role) for col, role in self._sorted_columns if role.kind in kinds]


# What a header row names besides its name column: at least one of these.
_VALUE_OR_TARGET_KINDS = VALUE_KINDS | {"target"}


def _header_row_roles(row: list) -> dict[int, ColumnRole] | None:
    """The roles of a row naming a name column and a value or target column, else None.

    Cells are classified left to right, and no further once the filled cells left are
    too few to give the row both: a metadata line ("Đơn vị: | Xã Hoàng Trĩ") is given up
    after its label, before its value, a ward's own text that would be classified (and
    kept) afresh in every new ward's file.
    """
    filled = [col for col, cell in enumerate(row) if cell is not None]
    roles = {}
    has_name = has_value_or_target = False
    for position, col in enumerate(filled):
        if len(filled) - position < (not has_name) + (not has_value_or_target):
            return None
        role = classify_header(row[col])
        if role is None:
            continue
        roles[col] = role
        if role.kind == "name":
            has_name = True
        elif role.kind in _VALUE_OR_TARGET_KINDS:
            has_value_or_target = True
    return roles if has_name and has_value_or_target else None


def find_header(grid: SheetGrid) -> HeaderLayout | None:
    """The first row with a name column and a value or target column, plus its sub-header row."""
    for row_idx, row in enumerate(grid.rows[:MAX_HEADER_SEARCH_ROWS]):
        if len(row) - row.count(None) < 2:
            # A header names two roles (the name and a value or target), so two cells at
            # least: the title and metadata lines above it are passed over unclassified.
            # (No cell type a reader gives equals None: count finds the empty cells.)
            continue
        roles = _header_row_roles(row)
        if roles is None:
            continue
        sub_roles = _sub_header_roles(grid, row_idx + 1)
        if sub_roles is None:
            return HeaderLayout(row_idx, row_idx, roles)
        return HeaderLayout(row_idx, row_idx + 1, {**roles, **sub_roles})
    return None


def _sub_header_roles(grid: SheetGrid, row_idx: int) -> dict[int, ColumnRole] | None:
    """Roles of a second header row (e.g. years under a merged "Thực hiện"), or None.

    A row counts as a sub-header only when every filled cell is a known header, so a
    first data row is never mistaken for one.
    """
    if row_idx >= len(grid.rows):
        return None
    roles = {}
    for col, cell in enumerate(grid.rows[row_idx]):
        if cell is None:
            continue
        role = classify_header(cell)
        if role is None:
            return None  # no need to classify the rest of a data row
        roles[col] = role
    if not any(role.kind in VALUE_KINDS for role in roles.values()):
        return None  # (an empty row too)
    return roles


# ------------------------------------------------------------------ metadata

# The cell types of a line or a row whose reading may be kept (see _line_metadata).
_TEXT_OR_NONE = frozenset({str, type(None)})

METADATA_LABELS: dict[str, tuple[str, ...]] = {
    "unit_name": (
        "don vi",
        "ten don vi",
        "phuong/xa",
        "xa/phuong",
        "phuong xa",
        "xa",
        "phuong",
        "thi tran",
        "dang bo",
        "dang uy",
    ),
    "unit_code": ("ma don vi", "ma dvhc", "ma xa", "ma phuong", "ma don vi hanh chinh"),
    "district": ("huyen", "quan", "thi xa", "thanh pho", "huyen/thi xa", "quan/huyen"),
    "province": ("tinh", "tinh/thanh pho", "tinh/tp"),
    "period": ("ky bao cao", "ky", "thoi ky", "nam bao cao", "thoi ky bao cao"),
    "term": ("nhiem ky",),
    "report_date": ("ngay bao cao", "ngay lap", "ngay", "ngay lap bieu"),
    "preparer": ("nguoi lap bieu", "nguoi lap"),
}
_LABEL_TO_KEY = {label: key for key, labels in METADATA_LABELS.items() for label in labels}

# Labels that are themselves the unit type: "Thị xã: Đức Phổ" means "Thị xã Đức Phổ".
_TYPE_LABELS = {
    "xa": "Xã",
    "phuong": "Phường",
    "thi tran": "Thị trấn",
    "huyen": "Huyện",
    "quan": "Quận",
    "thi xa": "Thị xã",
    "thanh pho": "Thành phố",
    "tinh": "Tỉnh",
}


@dataclass(frozen=True)
class _MetadataEntry:
    """One metadata value: its key, its label as normalised, the cell as read."""

    key: str
    label: str
    raw: object


def _label_key(text: str) -> str | None:
    return _LABEL_TO_KEY.get(fold(text).rstrip(":").strip())


# Metadata cells repeat across a template's files ("Kỳ báo cáo: Năm 2024", "Đơn vị:"),
# and what one says is a pure function of its text: read once, kept within a bound.
@lru_cache(maxsize=4096)
def _metadata_cell(cell: str) -> tuple[str, str, str] | None:
    """(key, label as normalised, inline value) of a ``label: value`` or label cell; None
    when the text before any ``:`` is no metadata label. The value is "" when none follows.
    """
    label, separator, inline_value = cell.partition(":")
    key = _label_key(label)
    if key is None:
        return None
    return key, normalize_text(label), inline_value.strip() if separator else ""


def _row_metadata(row: list) -> list[_MetadataEntry]:
    """``label: value`` cells, and label cells followed by their value cell, on one row."""
    entries = []
    # A label's value is the next filled cell, so the cells taken as values are the
    # filled ones up to the last taken: one number to compare with, not a set.
    last_taken = -1
    for col, cell in enumerate(row):
        if cell is None or col <= last_taken or not isinstance(cell, str):
            continue
        found = _metadata_cell(cell)
        if found is None:
            continue
        key, label, value = found
        if not value:
            next_col = _next_filled(row, col + 1)
            if next_col is None:
                continue
            value = row[next_col]
            last_taken = next_col
        entries.append(_MetadataEntry(key, label, value))
    return entries


# A title block's lines repeat across a template's files (the titles, "Kỳ báo cáo: |
# Năm 2024", "Nhiệm kỳ: | 2020-2025"), and a line's entries are a pure function of its
# cells: kept for lines of text and empty cells only, as a number equals its twins of
# other types (1 == 1.0 == True) without reading alike. Bounded like the row meanings.
_MAX_METADATA_LINES = 8192
_metadata_lines: dict[tuple, tuple[_MetadataEntry, ...]] = {}


def _line_metadata(row: list) -> tuple[_MetadataEntry, ...]:
    """:func:`_row_metadata` of a line, kept when the line holds only text and empty cells.

    The types are checked on a miss only: a line holding another type never equals a
    kept key, made of text and None only.
    """
    line = tuple(row)
    entries = _metadata_lines.get(line)
    if entries is None:
        entries = tuple(_row_metadata(row))
        _keep_read_of_text(_metadata_lines, _MAX_METADATA_LINES, line, line, entries)
    return entries


def _keep_read_of_text(cache: dict, limit: int, key: tuple, cells: tuple, reading: object) -> None:
    """Keep what ``cells`` read as under ``key`` when they are all text or empty.

    A number equals its twins of other types (1 == 1.0 == True) without reading alike,
    so only readings of text are kept; up to ``limit`` of them, then afresh.
    """
    if set(map(type, cells)) <= _TEXT_OR_NONE:
        if len(cache) >= limit:
            cache.clear()
        cache[key] = reading


def _next_filled(row: list, start: int) -> int | None:
    for col in range(start, len(row)):
        if row[col] is not None:
            return col
    return None


def _metadata_text(raw: object) -> str:
    if isinstance(raw, datetime | date):
        return raw.strftime("%d/%m/%Y")
    return normalize_text(original_text_of(raw))


def _raw_metadata_text(raw: object) -> str:
    """A metadata value as the clerk typed it (dates as dd/mm/yyyy), ends stripped."""
    if type(raw) is str:  # the usual value, its own text
        return raw.strip()
    if isinstance(raw, datetime | date):
        return raw.strftime("%d/%m/%Y")
    return original_text_of(raw).strip()


def _with_type(label: str, value: str) -> str:
    """The value prefixed with its unit type when the label names the type."""
    unit_type = _TYPE_LABELS.get(fold(label))
    if unit_type is None or fold(value).startswith(fold(unit_type)):
        return value
    return f"{unit_type} {value}"


def normalize_unit_code(raw: object) -> str | None:
    """A GSO code as 5 digits (``4`` → ``00004``); other text as written; None when empty."""
    text = _metadata_text(raw).replace(" ", "")
    if not text:
        return None
    return text.zfill(5) if text.isdigit() and len(text) < 5 else text


@dataclass
class SheetIdentity:
    """Who and when a sheet is about, from its metadata block and title."""

    metadata: dict[str, str]
    unit_code: str | None = None
    unit_name: str | None = None
    district_name: str | None = None
    province_name: str | None = None
    period_code: str | None = None
    term_code: str | None = None
    report_date: date | None = None


def read_identity(grid: SheetGrid, header_first_row: int) -> SheetIdentity:
    """The metadata above the table, completed from the title when a label is missing."""
    title_rows = grid.rows[:header_first_row]
    entries = [
        entry
        for row in title_rows
        # An empty line holds no label (no cell type a reader gives equals None).
        if row.count(None) < len(row)
        for entry in _line_metadata(row)
    ]
    # The values are kept as typed (provenance); matching below uses the repaired text.
    identity = SheetIdentity({entry.label: _raw_metadata_text(entry.raw) for entry in entries})
    first = {}
    for entry in entries:
        first.setdefault(entry.key, entry)
    if "unit_code" in first:
        identity.unit_code = normalize_unit_code(first["unit_code"].raw)
    for key, attribute in (
        ("unit_name", "unit_name"),
        ("district", "district_name"),
        ("province", "province_name"),
    ):
        if key in first:
            entry = first[key]
            setattr(identity, attribute, _with_type(entry.label, _metadata_text(entry.raw)))
    identity.term_code = _term_of(first.get("term"), first.get("period"), title_rows)
    identity.period_code = _period_of(first.get("period"), identity.term_code, title_rows)
    identity.report_date = _report_date_of(first.get("report_date"), title_rows)
    return identity


def _texts(rows: list[list]) -> Iterator[str]:
    """The text cells of the title block, read only as far as a fallback needs them."""
    # Most cells of the title block are empty: "is not None" spares them the isinstance call.
    return (cell for row in rows for cell in row if cell is not None and isinstance(cell, str))


def _term_of(term: _MetadataEntry | None, period: _MetadataEntry | None, title_rows: list[list]):
    candidates = [term.raw] if term else []
    candidates += [period.raw] if period else []
    for text in chain(candidates, _texts(title_rows)):
        found = parse_term(text) if "nhiem ky" in fold(text) or text in candidates else None
        if found:
            return found
    return None


def _period_of(period: _MetadataEntry | None, term_code: str | None, title_rows: list[list]):
    if period is not None:
        code = parse_period(period.raw, term_hint=term_code)
        if code is not None:
            return code
    titles = _texts(title_rows)
    return next((code for text in titles if (code := parse_period(text, term_code))), None)


def _report_date_of(entry: _MetadataEntry | None, title_rows: list[list]) -> date | None:
    if entry is not None:
        found = parse_report_date(entry.raw)
        if found:
            return found
    titles = _texts(title_rows)
    worded = (text for text in titles if "ngay" in fold(text) and "thang" in fold(text))
    return next((found for text in worded if (found := parse_report_date(text))), None)


# ------------------------------------------------------------------ data rows

# First cell of a row below the table that ends it: footnotes and the signature block.
_FOOTER = re.compile(
    r"^(?:\(\s*\d+\s*\)\s*\D|\(\*+\)|\*|ghi chu|luu y|nguon|nguoi lap|t/m|tm |noi nhan|bi thu)"
)
_COLUMN_NUMBER = re.compile(r"^\(?[0-9a-z]{1,2}\)?$")
_DITTO_MARKS = frozenset({"''", '"', "nt", "-nt-", "“", "”", "〃", "nhu tren", "“”", "''."})

# Row units of money indicators and the factor to đồng; folded, without spaces and dots.
MONEY_UNIT_FACTORS: dict[str, float] = {
    "dong": 1.0,
    "d": 1.0,
    "vnd": 1.0,
    "nghindong": 1e3,
    "ngandong": 1e3,
    "1000dong": 1e3,
    "1000d": 1e3,
    "trieudong": 1e6,
    "trieu": 1e6,
    "trd": 1e6,
    "trdong": 1e6,
    "tydong": 1e9,
    "ty": 1e9,
}


@dataclass
class _RowCells:
    """The descriptive cells of one data row."""

    row_idx: int
    stt: object
    code_text: str | None
    name_text: str | None
    unit_text: str | None
    target_raw: object
    note: str | None


@dataclass
class _TableState:
    """What carries from one data row to the next while walking the table."""

    last_unit: str | None = None
    reported_missing_period: set[int] = field(default_factory=set)


def _no_cells(row: list) -> tuple:
    """The cells of a row in no column at all."""
    return ()


@dataclass(frozen=True)
class _ColumnPlan:
    """Where a data row's cells are, worked out once per sheet from its header layout."""

    stt: int | None
    code: int | None
    name: int | None
    unit: int | None
    target: int | None
    notes: tuple[tuple[int, ColumnRole], ...]
    values: tuple[tuple[int, ColumnRole], ...]
    computed: tuple[tuple[int, ColumnRole], ...]
    # The columns whose cells decide what a row means (unit, code, name, target, notes)
    # and what tells two layouts' rows apart with the same cells: which of them exist,
    # and the notes' roles and headers (an assessment note is prefixed with its header).
    described: tuple[int, ...] = ()
    shape: tuple = ()
    # A row's cells in the described columns, and in the value columns (in the order of
    # :attr:`values`), as tuples with None beyond the row's end: ``plan.value_cells(row)``.
    described_cells: Callable[[list], tuple] = field(default=_no_cells, compare=False)
    value_cells: Callable[[list], tuple] = field(default=_no_cells, compare=False)

    @classmethod
    def of(cls, layout: HeaderLayout) -> _ColumnPlan:
        """The plan of a layout: the leftmost column of each role, the others left to right."""
        single = {kind: layout.first_column(kind) for kind in ("unit", "code", "name", "target")}
        notes = tuple(layout.columns_of(_NOTE_KINDS))
        values = tuple(layout.columns_of(VALUE_KINDS))
        described = tuple(col for col in single.values() if col is not None)
        described += tuple(col for col, _ in notes)
        return cls(
            stt=layout.first_column("stt"),
            code=single["code"],
            name=single["name"],
            unit=single["unit"],
            target=single["target"],
            notes=notes,
            values=values,
            computed=tuple(layout.columns_of(_COMPUTED_KINDS)),
            described=described,
            shape=(
                tuple(col is not None for col in single.values()),
                tuple((role.kind, role.header_text) for _, role in notes),
            ),
            described_cells=_cells_picker(described),
            value_cells=_cells_picker(tuple(col for col, _ in values)),
        )


# Every file of a template has the same header: its plan (immutable) is worked out once.
@lru_cache(maxsize=256)
def _plan_of_columns(sorted_columns: tuple[tuple[int, ColumnRole], ...]) -> _ColumnPlan:
    """The plan of a header layout, by its columns and their roles, left to right."""
    return _ColumnPlan.of(HeaderLayout(0, 0, dict(sorted_columns)))


def _cells_picker(columns: tuple[int, ...]) -> Callable[[list], tuple]:
    """A function giving a row's cells in ``columns`` as a tuple, None beyond its end."""
    if not columns:
        return _no_cells
    if len(columns) == 1:
        only = columns[0]
        return lambda row: (row[only] if only < len(row) else None,)
    getter = itemgetter(*columns)  # C speed for the usual row, as wide as the header
    width = max(columns) + 1

    def pick(row: list) -> tuple:
        if len(row) >= width:
            return getter(row)
        return tuple(row[col] if col < len(row) else None for col in columns)

    return pick


_NOTE_KINDS = frozenset({"assessment", "note"})
_COMPUTED_KINDS = frozenset({"computed"})


def _cell_in(row: list, col: int | None) -> object:
    """The cell of ``row`` in column ``col``; None for no column or beyond the row."""
    return row[col] if col is not None and col < len(row) else None


def _text_or_none(cell: object) -> str | None:
    if cell is None:
        return None
    # original_text_of is the identity on text, the usual label cell.
    text = normalize_text(cell if type(cell) is str else original_text_of(cell))
    return text or None


def _is_ditto(unit_text: str | None) -> bool:
    return unit_text is not None and fold(unit_text) in _DITTO_MARKS


def _row_cells(row: list, row_idx: int, plan: _ColumnPlan, state: _TableState) -> _RowCells:
    unit_text = _text_or_none(_cell_in(row, plan.unit))
    if _is_ditto(unit_text):
        unit_text = state.last_unit
    elif unit_text is not None:
        state.last_unit = unit_text
    return _RowCells(
        row_idx=row_idx,
        stt=_cell_in(row, plan.stt),
        code_text=_text_or_none(_cell_in(row, plan.code)),
        name_text=_text_or_none(_cell_in(row, plan.name)),
        unit_text=unit_text,
        target_raw=_cell_in(row, plan.target),
        note=_row_note(row, plan) if plan.notes else None,
    )


def _row_note(row: list, plan: _ColumnPlan) -> str | None:
    parts = []
    for col, role in plan.notes:
        text = _text_or_none(row[col] if col < len(row) else None)
        if text:
            parts.append(f"{role.header_text}: {text}" if role.kind == "assessment" else text)
    return "; ".join(parts) or None


@dataclass(frozen=True)
class _RowMatch:
    """A row meaning matched in one catalog: its indicator and what follows from it.

    ``target_values`` are the target's fields in :class:`Observation`'s order (text, low,
    high, direction, per year), all None without a target.
    """

    catalog: Catalog
    indicator: Indicator | None
    reading_type: str = ""
    target: ParsedTarget | None = None
    target_values: tuple[object, ...] = (None,) * 5
    per_mille_unit: bool = False


@dataclass
class _RowMeaning:
    """What a data row's descriptive cells mean, whatever its values.

    Every ward's file repeats the same rows (code, name, unit, target, notes), so the
    meaning of a combination of those cells is worked out once and kept: the texts as
    :func:`_row_cells` repairs them, the unit a ditto mark on the next row stands for,
    and, once a row with values needs it, its :class:`_RowMatch` (replaced as a whole,
    so a reader in another thread never sees half of one).
    """

    code_text: str | None
    name_text: str | None
    unit_text: str | None
    note: str | None
    last_unit: str | None
    target_raw: object = None  # a described cell: equal in every row sharing the meaning
    match: _RowMatch | None = None

    def matched_in(self, catalog: Catalog) -> _RowMatch:
        """The row's match in ``catalog``, worked out on first use in that catalog."""
        match = self.match
        if match is None or match.catalog is not catalog:
            match = _match_row(self, catalog)
            self.match = match
        return match


# Bounded: a night's distinct row labels are far fewer than this.
_MAX_ROW_MEANINGS = 50_000
_row_meanings: dict[tuple, _RowMeaning] = {}


def _row_meaning(row: list, row_idx: int, plan: _ColumnPlan, state: _TableState) -> _RowMeaning:
    """The meaning of a row's descriptive cells; updates the unit a ditto mark stands for.

    Kept for rows whose descriptive cells are all text or empty, the usual row: a cell
    of another type is read afresh, as numbers equal across types (1 == 1.0 == True)
    would not read the same. The types are checked on a miss only: a key holding a
    number, a date or a boolean never equals a kept key, made of text and None only.
    """
    described = plan.described_cells(row)
    key = (plan.shape, described, state.last_unit)
    meaning = _row_meanings.get(key)
    if meaning is None:
        meaning = _read_row_meaning(row, row_idx, plan, state.last_unit)
        _keep_read_of_text(_row_meanings, _MAX_ROW_MEANINGS, key, described, meaning)
    state.last_unit = meaning.last_unit
    return meaning


def _read_row_meaning(
    row: list, row_idx: int, plan: _ColumnPlan, last_unit: str | None
) -> _RowMeaning:
    state = _TableState(last_unit=last_unit)
    cells = _row_cells(row, row_idx, plan, state)
    return _RowMeaning(
        cells.code_text,
        cells.name_text,
        cells.unit_text,
        cells.note,
        state.last_unit,
        cells.target_raw,
    )


def _match_row(meaning: _RowMeaning, catalog: Catalog) -> _RowMatch:
    """The indicator, reading type and target of a row meaning, in this catalog."""
    indicator = catalog.match(meaning.code_text, meaning.name_text)
    if indicator is None:
        return _RowMatch(catalog, None)
    unit_text = meaning.unit_text
    reading_type = _reading_type(indicator, unit_text)
    target = _scaled_target(parse_target(meaning.target_raw, reading_type), indicator, unit_text)
    target_values = (
        (target.text, target.low, target.high, target.direction, target.per_year)
        if target
        else (None,) * 5
    )
    return _RowMatch(
        catalog, indicator, reading_type, target, target_values, is_per_mille_unit(unit_text)
    )


_NEITHER = (False, False)


def _first_cell_reading(first: object) -> tuple[bool, bool]:
    """For a row's first filled cell: (whether it may number the columns, as
    :func:`_are_column_numbers` reads a first cell; whether it ends the table: a text that
    is a footnote or the signature block).

    The table walk asks this for every row, and first cells repeat from file to file
    (``I``, ``II``, the footnotes), so a text's reading is kept. A float's never matches
    either pattern: ``str`` writes it with ``.``, ``e+``/``e-``, or as ``inf``/``nan``,
    none of which is a column number (at most two letters or digits, in brackets or not).
    """
    if type(first) is float:
        return _NEITHER  # the usual data row, numbered 1.0, 2.0...
    if not isinstance(first, str):
        return _COLUMN_NUMBER.match(fold(str(first))) is not None, False
    return _first_text_reading(first)


# Bounded: a night's distinct first cells of rows (I, II, footnotes) are far fewer.
@lru_cache(maxsize=4096)
def _first_text_reading(text: str) -> tuple[bool, bool]:
    folded = fold(text)
    return _COLUMN_NUMBER.match(folded) is not None, _FOOTER.match(folded) is not None


def _are_column_numbers(filled: list) -> bool:
    """Whether a row's filled cells number the columns: ``(1) (2) (3)`` or ``A B 1 2``."""
    # A data row fails on its first cell: tested before any generator is set up.
    if len(filled) < 3 or not _COLUMN_NUMBER.match(fold(str(filled[0]))):
        return False
    return all(_COLUMN_NUMBER.match(fold(str(cell))) for cell in filled[1:])


def _column_period(role: ColumnRole, sheet_period: str | None, term_code: str | None) -> str | None:
    if role.kind == "year":
        return str(role.year)
    if role.kind == "midterm":
        return f"{term_code}-MID" if term_code else None
    return sheet_period


_SPACES_AND_DOTS = re.compile(r"[\s.]+")


def money_factor(unit_text: str | None) -> float:
    """The factor from a row's money unit to đồng (``triệu đồng`` → 1e6); 1 when unknown."""
    if not unit_text:
        return 1.0
    key = _SPACES_AND_DOTS.sub("", fold(unit_text))
    return MONEY_UNIT_FACTORS.get(key, 1.0)


def _reading_type(indicator: Indicator, unit_text: str | None) -> str:
    """The value type to read a cell with: in a ``triệu đồng`` row, ``217,213`` is a decimal."""
    if indicator.value_type == "money_vnd" and money_factor(unit_text) > 1:
        return "number"
    return indicator.value_type


def _scaled_value(parsed: ParsedValue, indicator: Indicator, unit_text: str | None):
    """The parsed number in the catalog's unit: money in đồng whatever the row says."""
    if parsed.value is None or indicator.value_type != "money_vnd" or parsed.has_magnitude:
        return parsed.value
    return float(round(parsed.value * money_factor(unit_text)))


def _scaled_target(target: ParsedTarget | None, indicator: Indicator, unit_text: str | None):
    if target is None or indicator.value_type != "money_vnd" or target.has_magnitude:
        return target
    factor = money_factor(unit_text)

    def scale(bound: float | None) -> float | None:
        return None if bound is None else float(round(bound * factor))

    return ParsedTarget(
        target.text, scale(target.low), scale(target.high), target.direction, target.per_year
    )


def _cell_issue(
    rule: str, address: str, indicator: Indicator, period: str | None, text: str
) -> CellIssue:
    code = indicator.indicator_code
    messages = {
        "cell_error": (
            f"Ô {address} ({code}) có lỗi công thức {text}; hãy sửa công thức hoặc nhập số "
            "liệu trực tiếp rồi gửi lại.",
            f"Cell {address} ({code}) holds the formula error {text}; fix the formula or type "
            "the value, then resend.",
        ),
        "formula_without_value": (
            f"Ô {address} ({code}) chứa công thức chưa được tính; hãy mở tệp bằng Excel, "
            "lưu lại rồi gửi lại.",
            f"Cell {address} ({code}) holds a formula with no saved result; open the file in "
            "Excel, save it and resend.",
        ),
    }
    message_vi, message_en = messages.get(
        rule,
        (
            f"Không đọc được giá trị '{text}' ở ô {address} ({code}); hãy ghi một con số, "
            "ví dụ 91,5 hoặc 1.117.213.000.",
            f"Cannot read the value '{text}' in cell {address} ({code}); write a number such "
            "as 91,5 or 1.117.213.000.",
        ),
    )
    return CellIssue("error", rule, address, code, period, message_vi, message_en)


def _missing_period_issue(address: str, role: ColumnRole) -> CellIssue:
    return CellIssue(
        "error",
        "period_unknown",
        address,
        None,
        None,
        f"Không xác định được kỳ báo cáo của cột '{role.header_text}'; hãy ghi "
        "'Kỳ báo cáo: Năm 2024' (hoặc nhiệm kỳ) ở đầu biểu rồi gửi lại.",
        f"The period of column '{role.header_text}' is unknown; write 'Kỳ báo cáo: Năm 2024' "
        "(or the term) above the table and resend.",
    )


@dataclass
class _SheetContext:
    layout: HeaderLayout
    catalog: Catalog
    identity: SheetIdentity
    result: ParsedSheet
    state: _TableState = field(default_factory=_TableState)
    percent_cells: frozenset[tuple[int, int]] = frozenset()
    plan: _ColumnPlan = field(init=False)
    column_periods: dict[int, str | None] = field(init=False)

    def __post_init__(self) -> None:
        self.plan = _plan_of_columns(self.layout._sorted_columns)
        # A value column's period depends on the column and the sheet only.
        self.column_periods = {
            col: _column_period(role, self.identity.period_code, self.identity.term_code)
            for col, role in self.plan.values
        }

    def warn(self, issue: CellIssue) -> None:
        """Record a warning: the value stays, the clerk is told what looks wrong."""
        self.result.cell_issues.append(issue)


def _unmapped(cells: _RowCells, plan: _ColumnPlan, value_cells: tuple) -> UnmappedRow:
    shown = [
        f"{role.header_text}: {original_text_of(raw)}"
        for (_, role), raw in zip(plan.values, value_cells, strict=True)
        if raw is not None
    ]
    if cells.target_raw is not None:
        shown.append(f"Chỉ tiêu NQ: {original_text_of(cells.target_raw)}")
    return UnmappedRow(
        cells.row_idx + 1, cells.code_text, cells.name_text, cells.unit_text, " | ".join(shown)
    )


def _parse_data_row(context: _SheetContext, row: list, row_idx: int) -> None:
    plan = context.plan
    meaning = _row_meaning(row, row_idx, plan, context.state)
    value_cells = plan.value_cells(row)
    if meaning.code_text is None:
        # (No cell type a reader gives equals None: count finds the empty cells.)
        if value_cells.count(None) == len(value_cells):
            return  # a section row ("I | VĂN HÓA - XÃ HỘI") or an empty line
        if meaning.name_text is None:
            return  # values without any label cannot be attributed
    match = meaning.matched_in(context.catalog)
    indicator = match.indicator
    if indicator is None:
        cells = _RowCells(
            row_idx=row_idx,
            stt=_cell_in(row, plan.stt),
            code_text=meaning.code_text,
            name_text=meaning.name_text,
            unit_text=meaning.unit_text,
            target_raw=meaning.target_raw,
            note=meaning.note,
        )
        context.result.unmapped_rows.append(_unmapped(cells, plan, value_cells))
        return
    target = match.target
    # A matched row's values need only its index and meaning (unit, note): no _RowCells
    # is built for the usual row.
    latest = None  # the row's last observation, for the clerk's computed columns
    for (col, role), raw in zip(plan.values, value_cells, strict=True):
        if raw is None:
            continue  # a blank cell: parse_value would say so, and nothing is added
        observation = _add_value(context, row_idx, meaning, match, col, role, raw)
        if observation is not None:
            latest = observation
    # Most layouts have no computed column ("So sánh"): nothing to check then.
    if latest is not None and target is not None and plan.computed:
        _cross_check_computed_columns(context, row, row_idx, indicator, target, latest)


def _is_percent_formatted(context: _SheetContext, row_idx: int, col: int, raw: object) -> bool:
    """A number shown as a percentage by its cell format (0.915 shown as 91,5%)."""
    return (
        isinstance(raw, int | float)
        and not isinstance(raw, bool)
        and (row_idx, col) in context.percent_cells
    )


def _add_value(
    context: _SheetContext,
    row_idx: int,
    meaning: _RowMeaning,
    match: _RowMatch,
    col: int,
    role: ColumnRole,
    raw: object,
) -> Observation | None:
    indicator = match.indicator
    assert indicator is not None  # only rows matched to an indicator have values read
    if (
        indicator.value_type == "percent"
        and context.percent_cells  # usually none: no per-cell look-up then
        and _is_percent_formatted(context, row_idx, col, raw)
    ):
        # The cell holds 0.915 and shows 91,5%: the value is 91.5, the provenance 0.915.
        parsed = replace(
            parse_value(_as_percent_points(raw), "percent"), original_text=original_text_of(raw)
        )
    else:
        # The row's _reading_type(indicator, unit_text).
        parsed = parse_value(raw, match.reading_type)
    if parsed.is_blank:
        return None
    address = cell_address(row_idx, col)
    period = context.column_periods[col]  # _column_period of the column's role
    if period is None:
        if col not in context.state.reported_missing_period:
            context.state.reported_missing_period.add(col)
            context.result.cell_issues.append(_missing_period_issue(address, role))
        return None
    if parsed.error is not None:
        issue = _cell_issue(parsed.error, address, indicator, period, parsed.original_text)
        context.result.cell_issues.append(issue)
        return None
    value = parsed.value
    if indicator.value_type == "money_vnd":  # else _scaled_value gives parsed.value back
        value = _scaled_value(parsed, indicator, meaning.unit_text)
    unit_suffix = parsed.unit_suffix
    per_mille = unit_suffix == PER_MILLE or (unit_suffix is None and match.per_mille_unit)
    # Positional, in the order of Observation's fields: this runs for every value of
    # every file, and keywords (the target's five spread from a dict) cost three times
    # as much as the rest of building it.
    observation = Observation(
        indicator.indicator_code,
        period,
        value,
        parsed.qualifier,
        parsed.denominator,
        role.is_estimate,
        *match.target_values,  # target text, low, high, direction, per year
        parsed.original_text,
        address,  # source_cell
        row_idx + 1,  # source_row
        meaning.note,
        parsed.stated_percent,
        PER_MILLE if per_mille else indicator.unit,
        unit_suffix,
    )
    context.result.observations.append(observation)
    if per_mille and indicator.value_type == "percent":
        context.warn(_per_mille_warning(observation))
    if parsed.stated_percent is not None:  # "36/35 (103%)", rare: no call otherwise
        _cross_check_stated_percent(context, parsed, observation)
    return observation


def _as_percent_points(raw: float) -> float:
    """0.915 → 91.5, without binary noise (0.915 * 100 is 91.50000000000001)."""
    return round(float(raw) * 100, 9)


# ------------------------------------------------------------------ clerk-computed cross-checks

# Clerks truncate or round their own percentages: a difference below one percentage
# point is rounding, not a mistake.
CLERK_PERCENT_TOLERANCE = 1.0


def _vn_number(number: float) -> str:
    """A number as a Vietnamese reader writes it: ``102,3``."""
    return f"{number:.1f}".removesuffix(".0").replace(".", ",")


def _en_number(number: float) -> str:
    return f"{number:.1f}".removesuffix(".0")


def _percent_disagrees(stated: float, computed: float) -> bool:
    return abs(stated - computed) >= CLERK_PERCENT_TOLERANCE


def _mismatch_warning(
    address: str, observation: Observation, stated: float, numerator: float, denominator: float
) -> CellIssue:
    computed = 100.0 * numerator / denominator
    code = observation.indicator_code
    return CellIssue(
        "warning",
        "clerk_computed_mismatch",
        address,
        code,
        observation.period_code,
        f"Ô {address} ({code}): tỷ lệ ghi {_vn_number(stated)}% nhưng "
        f"{_vn_number(numerator)} / {_vn_number(denominator)} = {_vn_number(computed)}%; "
        "số liệu vẫn được nhận, hãy kiểm tra lại cách tính.",
        f"Cell {address} ({code}): the stated {_en_number(stated)}% differs from "
        f"{_en_number(numerator)} / {_en_number(denominator)} = {_en_number(computed)}%; "
        "the value is kept, please check the computation.",
    )


def _cross_check_stated_percent(
    context: _SheetContext, parsed: ParsedValue, observation: Observation
) -> None:
    """``36/35 (103%)``: the clerk's bracketed percent against 100 × 36 / 35."""
    if parsed.stated_percent is None or not parsed.denominator or parsed.value is None:
        return
    computed = 100.0 * parsed.value / parsed.denominator
    if _percent_disagrees(parsed.stated_percent, computed):
        context.warn(
            _mismatch_warning(
                observation.source_cell,
                observation,
                parsed.stated_percent,
                parsed.value,
                parsed.denominator,
            )
        )


def _target_reference(target: ParsedTarget) -> float | None:
    """The one target number a clerk's "So với NQ (%)" divides by; None for a range."""
    if target.direction in ("at_least", "exact"):
        return target.low
    if target.direction == "at_most":
        return target.high
    return None


def _clerk_percent_readings(raw: object, percent_formatted: bool) -> list[float]:
    """What a computed cell may mean: ``102,3``, ``102,3%``, 1.023 formatted as percent.

    An unformatted ratio (1.023) is read both ways, as clerks also write ratios.
    """
    if raw is None or isinstance(raw, bool):
        return []
    if isinstance(raw, int | float):
        number = float(raw)
        if percent_formatted:
            return [_as_percent_points(number)]
        return [number, number * 100] if abs(number) <= 10 else [number]
    parsed = parse_value(raw, "percent")
    return [] if parsed.value is None or parsed.qualifier != "=" else [parsed.value]


def _cross_check_computed_columns(
    context: _SheetContext,
    row: list,
    row_idx: int,
    indicator: Indicator,
    target: ParsedTarget,
    latest: Observation,
) -> None:
    """Compare "So sánh" / "So với NQ (%)" / "Tỷ lệ đạt" cells with 100 × value / target.

    They are derived by the clerk and never loaded; a disagreement beyond rounding
    is a warning on the computed cell, and the row's values stay.
    """
    reference = _target_reference(target)
    if not reference or latest.value is None or latest.unit == PER_MILLE:
        return
    computed = 100.0 * latest.value / reference
    for col, _role in context.plan.computed:
        raw = row[col] if col < len(row) else None
        formatted = _is_percent_formatted(context, row_idx, col, raw)
        readings = _clerk_percent_readings(raw, formatted)
        if readings and all(_percent_disagrees(stated, computed) for stated in readings):
            address = cell_address(row_idx, col)
            context.warn(_mismatch_warning(address, latest, readings[0], latest.value, reference))


def _per_mille_warning(observation: Observation) -> CellIssue:
    address, code = observation.source_cell, observation.indicator_code
    shown = observation.original_text
    return CellIssue(
        "warning",
        "per_mille_in_percent_row",
        address,
        code,
        observation.period_code,
        f"Ô {address} ({code}) ghi theo phần nghìn ('{shown}') nhưng chỉ tiêu tính theo "
        "phần trăm (%); giá trị được giữ nguyên với đơn vị ‰, hãy kiểm tra lại đơn vị.",
        f"Cell {address} ({code}) is written per mille ('{shown}') but the indicator is a "
        "percentage; the value is kept in ‰, please check the unit.",
    )


def parse_sheet(grid: SheetGrid, catalog: Catalog) -> ParsedSheet | None:
    """The indicator table of one sheet, or None when the sheet holds none."""
    layout = find_header(grid)
    if layout is None:
        return None
    identity = read_identity(grid, layout.first_row)
    result = ParsedSheet(
        sheet_name=grid.name,
        sheet_index=grid.index,
        metadata=identity.metadata,
        unit_code=identity.unit_code,
        unit_name=identity.unit_name,
        district_name=identity.district_name,
        province_name=identity.province_name,
        period_code=identity.period_code,
        term_code=identity.term_code,
        report_date=identity.report_date,
        header_row=layout.first_row + 1,
    )
    context = _SheetContext(layout, catalog, identity, result, percent_cells=grid.percent_cells)
    rows = grid.rows
    for row_idx in range(layout.last_row + 1, len(rows)):
        row = rows[row_idx]
        for first in row:
            if first is not None:
                break
        else:
            continue  # an empty line
        may_number_columns, ends_table = _first_cell_reading(first)
        if may_number_columns and _are_column_numbers([cell for cell in row if cell is not None]):
            continue
        if ends_table:
            break
        _parse_data_row(context, row, row_idx)
    return result


# ------------------------------------------------------------------ whole files


@dataclass
class SkippedSheet:
    """A sheet that gave no submission, and why (for the run summary)."""

    sheet_name: str
    sheet_index: int
    reason: str  # 'hidden' or 'no_indicator_table'


@dataclass
class ParsedWorkbook:
    """The submissions of one file: its parsed sheets and the sheets it ignored."""

    sheets: list[ParsedSheet]
    skipped: list[SkippedSheet]


def parse_workbook(path: Path | str, catalog: Catalog) -> ParsedWorkbook:
    """Read a file and parse every visible sheet; raises :class:`UnreadableFile`."""
    sheets, skipped = [], []
    for grid in read_workbook(path):
        if not grid.visible:
            skipped.append(SkippedSheet(grid.name, grid.index, "hidden"))
            continue
        parsed = parse_sheet(grid, catalog)
        if parsed is None:
            skipped.append(SkippedSheet(grid.name, grid.index, "no_indicator_table"))
        else:
            sheets.append(parsed)
    return ParsedWorkbook(sheets, skipped)


__all__ = [
    "CELL_ERROR_TEXTS",
    "CellIssue",
    "ColumnRole",
    "HeaderLayout",
    "Observation",
    "ParsedSheet",
    "ParsedWorkbook",
    "SheetGrid",
    "SkippedSheet",
    "UnmappedRow",
    "UnreadableFile",
    "cell_address",
    "classify_header",
    "find_header",
    "parse_sheet",
    "parse_workbook",
    "read_workbook",
]
