"""Valid ward files in every container clerks send, and the extent bombs built from them.

A :class:`WardYear` is one real ward (its GSO code, name, district and province from the
reference data) reporting one year; :func:`ward_file` writes its sheet with the demo's
sheet writer (:mod:`tools.demo_sheets`, through the casebook's identity override) and
saves it as .xlsx (the demo's deterministic writer), .xls (xlwt), .ods (odfpy) or .csv
(the csv module, in several encodings), returning the bytes and the values the
warehouse must then hold. Every writer here is deterministic: a seed gives the same
bytes on every run.

The bombs are the repeated-extent files of issue #21: a 1.2 KB .ods whose one row is
repeated 1,048,576 times with a cell repeated 64 times, an .xlsx declaring
``A1:XFD1048576`` with a few cells that far apart, an .xls whose cells and declared
dimensions span the whole BIFF8 grid, and a CSV with one 140 KB cell.
"""

from __future__ import annotations

import csv
import io
import random
import re
import struct
import zipfile
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache

from openpyxl import Workbook

from flows.domain.catalog import load_catalog
from tests.generators.casebook_writers import _cp1258
from tests.generators.rejection_cases import _CaseSheetWriter, _Identity
from tools.demo import FIXED_ZIP_TIME, _deterministic_xlsx_bytes, _year_spec
from tools.demo_wards import Ward, _ward_style, _ward_truth

SEED = 2121
SHEET = "Bieu chi tieu"
FORMATS = ("xlsx", "xls", "ods", "csv")
# (encoding, delimiter) of the CSV exports clerks send.
CSV_FLAVOURS = (
    ("utf-8", ";"),
    ("utf-8-sig", ";"),
    ("utf-16", ";"),
    ("cp1258", ";"),
    ("utf-8", ","),
)
# Years whose units are all of the pre-2025 scheme (the reorganisation is 1 July 2025).
YEARS = tuple(range(2016, 2025))
HUGE_CELL_BYTES = 140 * 1024  # over csv's default field limit of 131,072


@dataclass(frozen=True)
class Expected:
    """A value that must be current in ``marts.fct_indicator_value``."""

    unit_key: str
    indicator_code: str
    period_code: str
    value: float


@dataclass(frozen=True)
class WardYear:
    """One real ward of the reference data, reporting one year, in a clerk's style."""

    code: str
    unit_type: str
    short_name: str
    district: tuple[str, str]  # (label, name): ("Huyện", "Bình Sơn")
    province: str
    year: int
    style_index: int = 0

    @property
    def ward(self) -> Ward:
        return Ward(self.code, self.unit_type, self.short_name)

    @property
    def unit_key(self) -> str:
        return f"pre2025:{self.code}"

    @property
    def slug(self) -> str:
        return self.ward.slug


@dataclass(frozen=True)
class WrittenFile:
    """A file's bytes and what loading it must put in the warehouse."""

    data: bytes
    extension: str  # ".xlsx", ".xls", ".ods", ".csv"
    expected: tuple[Expected, ...] = ()
    unit_key: str | None = None
    period_code: str | None = None


# ------------------------------------------------------------------ the wards


_DISTRICT_TYPES = ("Thành phố", "Thị xã", "Huyện", "Quận")


def _split_type(name: str) -> tuple[str, str]:
    for unit_type in _DISTRICT_TYPES:
        if name.startswith(unit_type + " "):
            return unit_type, name[len(unit_type) + 1 :]
    return "Huyện", name


@cache
def _reference_rows(province_code: str, skip_district: str):
    from flows.domain.reference import load_reference

    units = load_reference().admin_units
    names = dict(zip(units["unit_key"], units["unit_name"], strict=True))
    wards = units[
        (units["scheme"] == "pre2025")
        & (units["level"] == "ward")
        & (units["province_key"] == f"pre2025:{province_code}")
        & (units["district_key"] != f"pre2025:{skip_district}")
    ].sort_values("unit_code")
    rows = []
    for code, unit_type, short, district_key, province_key in zip(
        wards["unit_code"],
        wards["unit_type"],
        wards["short_name"],
        wards["district_key"],
        wards["province_key"],
        strict=True,
    ):
        province = names[province_key].removeprefix("Tỉnh ")
        rows.append((Ward(code, unit_type, short), _split_type(names[district_key]), province))
    return tuple(rows)


def ward_years(rng: random.Random, count: int | None = None) -> list[WardYear]:
    """``count`` (default: all) distinct (ward, year) pairs of the reference, in an order
    drawn with ``rng``."""
    rows = _reference_rows("51", "534")
    pairs = [(index, year) for index in range(len(rows)) for year in YEARS]
    chosen = rng.sample(pairs, len(pairs) if count is None else min(count, len(pairs)))
    return [
        WardYear(
            rows[i][0].code,
            rows[i][0].unit_type,
            rows[i][0].short_name,
            rows[i][1],
            rows[i][2],
            year,
            style_index=rng.randrange(12),
        )
        for i, year in chosen
    ]


# ------------------------------------------------------------------ one ward's sheet


def ward_sheet(
    who: WardYear,
    *,
    report_date: date | None = None,
    report_date_form: str | None = None,
    overrides: dict[str, float] | None = None,
    workbook: Workbook | None = None,
    title: str = SHEET,
) -> tuple[Workbook, list[Expected]]:
    """The ward's yearly sheet in an openpyxl workbook, and the values it must load.

    ``report_date_form`` ('cell', 'text', 'worded') and ``report_date`` default to what the
    demo draws for the ward; ``overrides`` changes indicator values ({code: value}).
    Given a ``workbook``, the sheet is added to it, named ``title``.
    """
    ward = who.ward
    style = _ward_style(ward, who.style_index, SEED)
    spec = _year_spec(ward, style, random.Random(f"{SEED}:{who.code}:{who.year}"), who.year)
    spec = replace(
        spec,
        report_date=report_date or spec.report_date,
        report_date_form=report_date_form or spec.report_date_form,
        overrides={(code, who.year): value for code, value in (overrides or {}).items()},
    )
    identity = _Identity(ward.name, who.code, who.district, who.province)
    if workbook is None:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = title
    else:
        sheet = workbook.create_sheet(title)
    truth = _ward_truth(ward, SEED)
    rng = random.Random(f"{SEED}:{who.code}:{who.year}:cells")
    writer = _CaseSheetWriter(sheet, spec, load_catalog(), truth, rng, identity=identity)
    writer.write()
    expected = [
        Expected(who.unit_key, code, str(year), float(written.value))
        for code, year, written, _ in writer.cells
        if written.value is not None
    ]
    return workbook, expected


def ward_file(
    who: WardYear,
    fmt: str,
    *,
    csv_flavour: tuple[str, str] = CSV_FLAVOURS[0],
    report_date: date | None = None,
    report_date_form: str | None = None,
    overrides: dict[str, float] | None = None,
) -> WrittenFile:
    """The ward's sheet saved as ``fmt`` (xlsx, xls, ods or csv), with its expected values.

    Containers other than xlsx get the report date as typed text (dd/mm/yyyy), as clerks'
    exports have it, rather than a date cell.
    """
    if fmt != "xlsx" and report_date_form in (None, "cell"):
        report_date_form = "text"
    workbook, expected = ward_sheet(
        who, report_date=report_date, report_date_form=report_date_form, overrides=overrides
    )
    if fmt == "xlsx":
        data = _deterministic_xlsx_bytes(workbook)
    else:
        rows = grid_of(workbook)
        if fmt == "xls":
            data = xls_bytes(rows)
        elif fmt == "ods":
            data = ods_bytes(rows)
        elif fmt == "csv":
            data = csv_bytes(rows, *csv_flavour)
        else:
            raise ValueError(f"unknown format {fmt!r}")
    return WrittenFile(data, "." + fmt, tuple(expected), who.unit_key, str(who.year))


def value_of(written: WrittenFile, indicator_code: str) -> float:
    """The value ``written`` reports for ``indicator_code`` (its one period)."""
    (value,) = [e.value for e in written.expected if e.indicator_code == indicator_code]
    return value


def grid_of(workbook: Workbook) -> list[list[object]]:
    """The first sheet's cells as rows of plain values (dates as dd/mm/yyyy text)."""
    rows = []
    for row in workbook.active.iter_rows(values_only=True):
        rows.append([_plain(value) for value in row])
    return rows


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return value


# ------------------------------------------------------------------ the writers


def xls_bytes(rows: list[list[object]], far_cell: bool = False) -> bytes:
    """An .xls (BIFF8, xlwt) of one sheet; ``far_cell`` adds a cell at the grid's last one."""
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet(SHEET)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    if far_cell:
        sheet.write(65535, 255, 1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ods_bytes(rows: list[list[object]], trailing_repeats: bool = False) -> bytes:
    """An .ods (odfpy) of one sheet, with fixed timestamps.

    ``trailing_repeats`` ends the sheet as LibreOffice does: empty rows and cells repeated
    to the edge of the grid, which hold nothing and must not count against any limit.
    """
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name=SHEET)
    width = max(len(row) for row in rows)
    for row in rows:
        table_row = TableRow()
        for c in range(width):
            value = row[c] if c < len(row) else None
            if value is None:
                table_row.addElement(TableCell())
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cell = TableCell(valuetype="float", value=str(value))
                cell.addElement(P(text=str(value)))
                table_row.addElement(cell)
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
                table_row.addElement(cell)
        if trailing_repeats:
            table_row.addElement(TableCell(numbercolumnsrepeated=1024 - width))
        table.addElement(table_row)
    if trailing_repeats:
        filler = TableRow(numberrowsrepeated=1048576 - len(rows))
        filler.addElement(TableCell(numbercolumnsrepeated=1024))
        table.addElement(filler)
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return fixed_zip_times(buffer.getvalue())


def csv_bytes(rows: list[list[object]], encoding: str, delimiter: str) -> bytes:
    """A CSV export; ``cp1258`` as Windows-1258 writes Vietnamese (combining tones)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    text = buffer.getvalue()
    if encoding == "cp1258":
        try:
            return _cp1258(text)
        except UnicodeEncodeError:
            encoding = "utf-8-sig"
    return text.encode(encoding)


_ODS_DATE = re.compile(rb"<(meta:creation-date|dc:date)>[^<]*</\1>")
_ROOT_TAG = re.compile(rb"<office:document-[a-z]+\b[^>]*>")
_DECLARATION = re.compile(rb'\s+xmlns:([\w-]+)="([^"]*)"')
_PREFIX_USED = re.compile(rb"[<\s/]([\w-]+):[\w-]+")


def _canonical_namespaces(xml: bytes) -> bytes:
    """The root element declaring only the namespaces the document uses, sorted.

    odfpy declares on every document the namespaces of every element its process has
    built so far: the same sheet's bytes would depend on what was written before it.
    """
    root = _ROOT_TAG.search(xml)
    if root is None:
        return xml
    tag = root.group(0)
    declared = dict(_DECLARATION.findall(tag))
    used = set(_PREFIX_USED.findall(_DECLARATION.sub(b"", xml)))
    kept = b"".join(
        b' xmlns:%s="%s"' % (prefix, declared[prefix]) for prefix in sorted(used & set(declared))
    )
    bare = _DECLARATION.sub(b"", tag)
    name_end = bare.find(b" ") if b" " in bare else len(bare) - 1
    return xml.replace(tag, bare[:name_end] + kept + bare[name_end:], 1)


def fixed_zip_times(data: bytes) -> bytes:
    """A zip package rewritten with fixed entry times (and dates in its ODF metadata),
    each entry keeping its order and compression (an .ods's ``mimetype`` stays stored)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "meta.xml":
                content = _ODS_DATE.sub(rb"<\1>2025-01-01T00:00:00</\1>", content)
            if info.filename.endswith(".xml"):
                content = _canonical_namespaces(content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = info.compress_type
            entry.external_attr = info.external_attr
            target.writestr(entry, content)
    return out.getvalue()


# ------------------------------------------------------------------ bombs and huge cells

_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type='
    '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
    'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


_ODS_META = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.2">'
    "<office:meta><meta:generator>LibreOffice/7.6</meta:generator></office:meta>"
    "</office:document-meta>"
)
_ODS_STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2">'
    "<office:styles/></office:document-styles>"
)


def ods_bomb(rows_repeated: int = 1048576, columns_repeated: int = 64) -> bytes:
    """The 1.2 KB .ods of issue #21: one row repeated ``rows_repeated`` times, holding one
    cell with a value repeated ``columns_repeated`` times (67 million cells with the
    defaults), deflated to almost nothing."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_ODS_NS} '
        'office:version="1.2"><office:body><office:spreadsheet>'
        f'<table:table table:name="{SHEET}">'
        f'<table:table-row table:number-rows-repeated="{rows_repeated}">'
        f'<table:table-cell table:number-columns-repeated="{columns_repeated}" '
        'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
        "</table:table-row></table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        mimetype = zipfile.ZipInfo("mimetype", date_time=FIXED_ZIP_TIME)
        package.writestr(mimetype, "application/vnd.oasis.opendocument.spreadsheet")
        for name, text in (
            ("META-INF/manifest.xml", _ODS_MANIFEST),
            ("meta.xml", _ODS_META),
            ("styles.xml", _ODS_STYLES),
            ("content.xml", content),
        ):
            entry = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(entry, text)
    return out.getvalue()


def xlsx_dimension_bomb(xlsx: bytes) -> bytes:
    """``xlsx`` with its sheet declaring ``A1:XFD1048576`` and a few cells that far apart."""
    sheet_name = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(xlsx)) as package:
        sheet = package.read(sheet_name)
    sheet = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', sheet)
    far = (
        b'<row r="524288"><c r="ZZ524288" t="n"><v>2</v></c></row>'
        b'<row r="1048576"><c r="A1048576" t="n"><v>3</v></c>'
        b'<c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>'
    )
    return replace_zip_parts(xlsx, {sheet_name: sheet.replace(b"</sheetData>", far, 1)})


def xls_dimension_bomb(rows: list[list[object]]) -> bytes:
    """An .xls with a cell at the last of the 65536 x 256 BIFF8 grid and every DIMENSIONS
    record declaring rows and columns far beyond even that (16.7 million cells at least)."""
    data = bytearray(xls_bytes(rows, far_cell=True))
    # DIMENSIONS (0x0200, 14 bytes): first row, last row + 1 (32-bit), first col, last
    # col + 1 (16-bit), reserved. Declared as 2^31 - 1 rows and 16384 columns.
    marker = struct.pack("<HH", 0x0200, 14)
    start = 0
    while (at := data.find(marker, start)) >= 0:
        struct.pack_into("<IIHHH", data, at + 4, 0, 0x7FFFFFFF, 0, 0x4000, 0)
        start = at + 18
    return bytes(data)


def csv_with_huge_cell(rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    """A ward's CSV with one 140 KB note cell (over csv's 131,072 field limit)."""
    rows = [list(row) for row in rows]
    target = next(i for i, row in enumerate(rows) if row and row[0] == 1)
    rows[target] = [*rows[target], "Ghi chú dài " + "x" * HUGE_CELL_BYTES]
    return csv_bytes(rows, encoding, ";")


def replace_zip_parts(data: bytes, parts: dict[str, bytes]) -> bytes:
    """A copy of a zip package with some parts' contents replaced (fixed times)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = info.compress_type
            target.writestr(entry, parts.get(info.filename, source.read(info.filename)))
    return out.getvalue()


def office_lock_file(owner: str = "Văn phòng Đảng ủy") -> bytes:
    """What Excel leaves as ``~$name.xlsx`` while a workbook is open: the owner's name."""
    name = owner.encode("cp1258", errors="replace")[:53]
    wide = owner.encode("utf-16-le")[:108]
    return (
        bytes([len(name)])
        + name.ljust(53, b" ")
        + struct.pack("<H", len(owner))
        + wide.ljust(108, b"\x00")
    )


def minimal_pdf() -> bytes:
    from tests.generators.rejection_cases import minimal_pdf as pdf

    return pdf("Bao cao ket qua thuc hien chi tieu")
