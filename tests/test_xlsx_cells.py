"""The direct xlsx reader (flows.reading.xlsx_cells) against calamine: same grids, or a fallback.

Each workbook is read twice through ``flows.reading.workbook``: with the package the container
check opened (the direct reader, when the workbook is plain) and without it (calamine
only). Cells are compared with their types, so a float read as a date, or a string
trimmed differently, fails. Workbooks are the demo files as openpyxl writes them
(inline strings), the same files rewritten with shared strings as Excel, LibreOffice
and Google Sheets write them, and edge cells built from one demo file.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import python_calamine

from flows.reading.errors import UnreadableFile, damaged_file
from flows.reading.safety import (
    DEFAULT_LIMITS,
    _check_worksheet_extent,
    cell_reference_extent,
    check_container,
)
from flows.reading.workbook import SheetGrid, _read_spreadsheet, read_workbook
from flows.reading.xlsx_cells import read_plain_xlsx
from tools.demo import generate_demo

_INLINE_CELL = re.compile(rb'<c ([^>]*?)t="inlineStr"([^>]*)><is>(.*?)</is></c>', re.DOTALL)
_SHARED_STRINGS_REL = (
    b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"
WORKBOOK = "xl/workbook.xml"
RELATIONS = "xl/_rels/workbook.xml.rels"


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()


def to_shared_strings(data: bytes, rich: bool = False, phonetic: bool = False) -> bytes:
    """An inline-string workbook (openpyxl) rewritten with shared strings (Excel's way).

    ``rich`` splits each text into two formatted runs at its first space; ``phonetic``
    adds a phonetic run, which is not part of the text.
    """
    parts = parts_of(data)
    items: dict[bytes, int] = {}

    def shared(match: re.Match) -> bytes:
        body = match.group(3)
        text = body[3:-4] if body.startswith(b"<t>") else b""
        if rich and b" " in text.strip():
            head, _space, tail = text.partition(b" ")
            body = (
                b'<r><t>%s</t></r><r><rPr><b/><sz val="11"/></rPr>'
                b'<t xml:space="preserve"> %s</t></r>' % (head, tail)
            )
        if phonetic:
            body += b'<rPh sb="0" eb="1"><t>PH</t></rPh><phoneticPr fontId="1"/>'
        index = items.setdefault(body, len(items))
        return b'<c %st="s"%s><v>%d</v></c>' % (match.group(1), match.group(2), index)

    for name in [name for name in parts if name.startswith("xl/worksheets/")]:
        parts[name] = _INLINE_CELL.sub(shared, parts[name])
    parts[STRINGS] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'count="%d" uniqueCount="%d">%s</sst>'
        % (len(items), len(items), b"".join(b"<si>%s</si>" % body for body in items))
    )
    parts[RELATIONS] = parts[RELATIONS].replace(b"</Relationships>", _SHARED_STRINGS_REL)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", _SHARED_STRINGS_TYPE
    )
    return zipped(parts)


def typed(grids: list[SheetGrid]) -> list:
    return [
        (
            (grid.name, grid.index, grid.visible, grid.percent_cells),
            [[(type(cell).__name__, cell) for cell in row] for row in grid.rows],
        )
        for grid in grids
    ]


def read_both(data: bytes) -> tuple[bool, object, object]:
    """(read directly?, grids or error with the package, grids or error by calamine alone)."""

    def outcome(package: object) -> object:
        try:
            return typed(_read_spreadsheet(data, package))  # type: ignore[arg-type]
        except Exception as error:
            return (type(error).__name__, str(error))

    package = check_container(data)
    direct = package is not None and read_plain_xlsx(package) is not None
    return direct, outcome(package), outcome(None)


@pytest.fixture(scope="module")
def demo_workbooks(tmp_path_factory) -> dict[str, bytes]:
    out_dir = tmp_path_factory.mktemp("demo")
    manifest = generate_demo(out_dir)
    workbooks = {}
    for relative in manifest.files:
        data = (out_dir / relative).read_bytes()
        if Path(relative).suffix == ".xlsx" and data.startswith(b"PK"):
            workbooks[relative] = data
    return workbooks


@pytest.fixture(scope="module")
def base_parts(demo_workbooks) -> dict[str, bytes]:
    """A shared-strings demo workbook with a date cell (style 4), to build edge cases on."""
    for data in demo_workbooks.values():
        parts = parts_of(to_shared_strings(data))
        if b's="4" t="n"><v>' in parts[SHEET] and b"DD/MM/YYYY" in parts[STYLES]:
            return parts
    pytest.fail("no demo workbook with a date cell")


def test_demo_files_read_directly_as_calamine_reads_them(demo_workbooks):
    direct = 0
    for relative, data in demo_workbooks.items():
        read_directly, new, old = read_both(data)
        assert new == old, relative
        direct += read_directly
    # Nearly all are plain (a few hold formula errors calamine refuses, and go to it).
    assert direct >= len(demo_workbooks) * 0.8


@pytest.mark.parametrize(
    ("rich", "phonetic"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_shared_strings_demo_files_read_directly_as_calamine(demo_workbooks, rich, phonetic):
    direct = 0
    for relative, data in demo_workbooks.items():
        read_directly, new, old = read_both(to_shared_strings(data, rich, phonetic))
        assert new == old, relative
        direct += read_directly
    assert direct >= len(demo_workbooks) * 0.8


def with_item(parts: dict[str, bytes], item: bytes, cell: bytes = b"H70") -> bytes:
    """The workbook with one more shared string item, shown in ``cell`` of a new last row."""
    changed = dict(parts)
    index = parts[STRINGS].count(b"<si>")
    row = re.search(rb"\d+", cell).group()  # type: ignore[union-attr]
    changed[STRINGS] = parts[STRINGS].replace(b"</sst>", item + b"</sst>")
    changed[SHEET] = parts[SHEET].replace(
        b"</sheetData>",
        b'<row r="%s"><c r="%s" t="s"><v>%d</v></c></row></sheetData>' % (row, cell, index),
    )
    return zipped(changed)


def with_changes(parts: dict[str, bytes], **changes: tuple[bytes | re.Pattern, bytes]) -> bytes:
    """The workbook with one replacement per part: sheet, strings, styles, workbook, rels.

    The first match of ``old`` (bytes, or a compiled pattern) is replaced.
    """
    names = {"sheet": SHEET, "strings": STRINGS, "styles": STYLES, "workbook": WORKBOOK}
    changed = dict(parts)
    for key, (old, new) in changes.items():
        name = names.get(key, RELATIONS)
        pattern = old if isinstance(old, re.Pattern) else re.compile(re.escape(old))
        changed[name], replaced = pattern.subn(new.replace(b"\\", b"\\\\"), changed[name], 1)
        assert replaced, old
    return zipped(changed)


# Shared string items the direct reader reads; each must equal calamine's text.
READ_ITEMS = {
    "entities": b"<si><t>a&amp;b &#233; &#x1EA0;&lt;&quot;&apos;&gt;</t></si>",
    "carriage return entity": b"<si><t>a&#13;b</t></si>",
    "trimmed entity blank": b"<si><t>a&#13;</t></si>",
    "x000D escape": b"<si><t>a_x000D_b</t></si>",
    "escaped underscore": b"<si><t>a_x005F_x000D_b_x00e9_</t></si>",
    "rich text": b'<si><r><t>Ch\xe1\xbb\x89 </t></r><r><rPr><b/><sz val="11"/></rPr>'
    b'<t xml:space="preserve"> ti\xc3\xaau </t></r></si>',
    "phonetic run": b'<si><t>a</t><rPh sb="0" eb="1"><t>A</t></rPh><phoneticPr fontId="1"/></si>',
    "rich and phonetic": b"<si><r><t>ab</t></r><r><t>cd</t></r>"
    b'<rPh sb="0" eb="2"><t>x</t></rPh></si>',
    "preserved blanks": b'<si><t xml:space="preserve"> a b </t></si>',
    "trimmed blanks": b"<si><t> a b </t></si>",
    "line feed": b"<si><t>a\nb</t></si>",
    "no-break space": b"<si><t>\xc2\xa0a\xc2\xa0</t></si>",
    "empty, far away": b"<si><t/></si>",
}


@pytest.mark.parametrize("item", READ_ITEMS.values(), ids=READ_ITEMS.keys())
def test_shared_string_items_read_directly_as_calamine(base_parts, item):
    for cell in (b"H70", b"AB200"):
        read_directly, new, old = read_both(with_item(base_parts, item, cell))
        assert read_directly
        assert new == old


def test_cell_kinds_read_directly_as_calamine(base_parts):
    row = (
        b'<row r="70"><c r="A70" t="b"><v>1</v></c><c r="B70" t="b"><v>0</v></c>'
        b'<c r="C70" t="e"><v>#DIV/0!</v></c><c r="D70"><f>1+1</f><v>2</v></c>'
        b'<c r="E70" t="str"><f>A1</f><v>a &amp; b</v></c><c r="F70" s="4"><v>45642</v></c>'
        b'<c r="G70" t="inlineStr"><is><t>x</t></is></c><c r="H70" s="0" t="s" cm="1"><v>0</v></c>'
        b'<c r="I70"><v>1e3</v></c><c r="J70" s="1"/></row></sheetData>'
    )
    read_directly, new, old = read_both(with_changes(base_parts, sheet=(b"</sheetData>", row)))
    assert read_directly
    assert new == old


@pytest.mark.parametrize(
    "code", [b"dd/mm/yyyy", b"yyyy-mm-dd", b"#,##0.0", b"0.00%", b"#,##0;[Red]-#,##0", b"General"]
)
def test_plain_number_formats_read_directly_as_calamine(base_parts, code):
    workbook = with_changes(
        base_parts, styles=(b'formatCode="DD/MM/YYYY"', b'formatCode="%s"' % code)
    )
    read_directly, new, old = read_both(workbook)
    assert read_directly
    assert new == old


def test_second_and_hidden_sheets_read_directly_as_calamine(base_parts):
    for state in (b"visible", b"hidden", b"veryHidden"):
        parts = dict(base_parts)
        parts["xl/worksheets/sheet2.xml"] = base_parts[SHEET].replace(b"<v>1", b"<v>7", 3)
        parts[WORKBOOK] = base_parts[WORKBOOK].replace(
            b"</sheets>",
            # The prefix declared on the element: openpyxl with lxml installed declares it
            # on each <sheet>, not on the root.
            b'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
            b' name="Phu luc" sheetId="2" state="%s" r:id="rId9"/></sheets>' % state,
        )
        parts[RELATIONS] = base_parts[RELATIONS].replace(
            b"</Relationships>",
            b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>',
        )
        read_directly, new, old = read_both(zipped(parts))
        assert read_directly
        assert new == old
        assert len(new) == 2  # type: ignore[arg-type]


DATE_CELL = re.compile(rb's="4" t="n"><v>[0-9]+</v>')
FALLBACKS = {
    "time format": {"styles": (b'formatCode="DD/MM/YYYY"', b'formatCode="hh:mm"')},
    "month name": {"styles": (b'formatCode="DD/MM/YYYY"', b'formatCode="d-mmm-yy"')},
    "quoted letters": {"styles": (b'formatCode="DD/MM/YYYY"', b'formatCode="0&quot; ngay&quot;"')},
    "date with time": {"sheet": (DATE_CELL, b's="4" t="n"><v>45642.5</v>')},
    "1900 leap day": {"sheet": (DATE_CELL, b's="4" t="n"><v>60</v>')},
    "1904 dates": {"workbook": (b"<workbookPr", b'<workbookPr date1904="1"')},
    "unknown error": {
        "sheet": (
            b"</sheetData>",
            b'<row r="70"><c r="H70" t="e"><v>#SPILL!</v></c></row></sheetData>',
        )
    },
    "formula without result": {
        "sheet": (b"</sheetData>", b'<row r="70"><c r="H70"><f>1+1</f></c></row></sheetData>')
    },
    "string index out of range": {
        "sheet": (
            b"</sheetData>",
            b'<row r="70"><c r="H70" t="s"><v>9999</v></c></row></sheetData>',
        )
    },
    "cell written twice": {
        "sheet": (
            b"</sheetData>",
            b'<row r="70"><c r="H70"><v>1</v></c><c r="H70"><v>2</v></c></row></sheetData>',
        )
    },
    "cell without reference": {
        "sheet": (b"</sheetData>", b'<row r="70"><c><v>1</v></c></row></sheetData>')
    },
    "prefixed strings": {"strings": (b"<sst xmlns=", b"<x:sst xmlns:x=")},
    "strings extension": {"strings": (b"</sst>", b"<extLst/></sst>")},
    "raw carriage return": {"strings": (b"</sst>", b"<si><t>a\r\nb</t></si></sst>")},
    "escape across runs": {
        "strings": (b"</sst>", b"<si><r><t>a_x00</t></r><r><t>0D_</t></r></si></sst>")
    },
    "chart sheet": {"rels": (b"relationships/worksheet", b"relationships/chartsheet")},
}


@pytest.mark.parametrize("changes", FALLBACKS.values(), ids=FALLBACKS.keys())
def test_unusual_workbooks_fall_back_to_calamine(base_parts, changes):
    read_directly, new, old = read_both(with_changes(base_parts, **changes))
    assert not read_directly
    assert new == old


# ------------------------------------------------------------ the extent check left to the reader

FAR_ROW = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
# Cell references that make the sheet's used range huge, as the container check scans it.
FAR_REFERENCES = {
    "far value": (b"</sheetData>", FAR_ROW),
    "far cell holding only a style": (
        b"</sheetData>",
        b'<row r="1048576"><c r="XFD1048576" s="1"/></row></sheetData>',
    ),
    "far reference after the sheet data": (
        b"</worksheet>",
        b'<extLst><x:c r="XFD1048576"/></extLst></worksheet>',
    ),
}


def scanned_refusal(data: bytes, part: str = SHEET) -> UnreadableFile:
    """The refusal the container check's scan gives ``part`` (the check it ran itself before)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(part)
        with pytest.raises(UnreadableFile) as refused:
            _check_worksheet_extent(archive, info, DEFAULT_LIMITS, archive.read(info))
    return refused.value


def refusal(read: Callable[[], object]) -> tuple[str, str]:
    """The reasons of the UnreadableFile ``read`` raises."""
    with pytest.raises(UnreadableFile) as refused:
        read()
    return refused.value.reason_vi, refused.value.reason_en


@pytest.mark.parametrize(("old", "new"), FAR_REFERENCES.values(), ids=FAR_REFERENCES.keys())
def test_huge_kept_sheet_is_refused_by_the_reader_as_the_scan_refused_it(base_parts, old, new):
    data = with_changes(base_parts, sheet=(old, new))
    expected = scanned_refusal(data)
    package = check_container(data)  # the kept sheet's extent check waits for the reader
    assert package is not None
    assert refusal(lambda: read_plain_xlsx(package)) == (expected.reason_vi, expected.reason_en)
    assert "1048576 rows × 16384 columns" in expected.reason_en
    # Measured by the reader as it walked the cells, not scanned again.
    assert package._measured == {SHEET: cell_reference_extent(package.kept(SHEET))}


def test_reader_measures_the_extent_the_container_check_scans(demo_workbooks, base_parts):
    workbooks = [*demo_workbooks.values(), zipped(base_parts)]
    workbooks += [with_changes(base_parts, sheet=change) for change in FAR_REFERENCES.values()]
    measured = 0
    for data in workbooks:
        package = check_container(data)
        assert package is not None
        with contextlib.suppress(UnreadableFile):  # the far references are refused
            read_plain_xlsx(package)
        for part, extent in package._measured.items():
            assert extent == cell_reference_extent(package.kept(part))
            measured += 1
    assert measured >= len(workbooks) * 0.8


def test_huge_sheet_the_reader_declines_is_refused_before_calamine_opens_it(
    base_parts, monkeypatch
):
    # A comment in the sheet data is not plain: the workbook would go to calamine.
    data = with_changes(base_parts, sheet=(b"</sheetData>", b"<!-- x -->" + FAR_ROW))
    expected = scanned_refusal(data)

    def calamine_must_not_open(_bytes: object) -> None:
        pytest.fail("calamine opened a workbook holding a huge sheet")

    monkeypatch.setattr(
        python_calamine.CalamineWorkbook, "from_filelike", staticmethod(calamine_must_not_open)
    )
    package = check_container(data)
    assert refusal(lambda: read_workbook("huge.xlsx", data, package)) == (
        expected.reason_vi,
        expected.reason_en,
    )
    assert package is not None and package._measured == {}


@pytest.mark.parametrize("name", ["huge.csv", "huge.zip"])
def test_huge_sheet_is_refused_whatever_the_file_is_named(base_parts, name):
    data = with_changes(base_parts, sheet=(b"</sheetData>", FAR_ROW))
    expected = scanned_refusal(data)
    package = check_container(data)
    assert refusal(lambda: read_workbook(name, data, package)) == (
        expected.reason_vi,
        expected.reason_en,
    )


def test_huge_kept_sheet_is_refused_before_a_later_part_with_a_dtd(base_parts):
    dtd_part = {"customXml/item1.xml": b'<?xml version="1.0"?><!DOCTYPE x []><x/>'}
    huge = dict(base_parts)
    huge[SHEET] = base_parts[SHEET].replace(b"</sheetData>", FAR_ROW)
    sheet_first = zipped({**huge, **dtd_part})
    expected = scanned_refusal(sheet_first)
    assert refusal(lambda: check_container(sheet_first)) == (
        expected.reason_vi,
        expected.reason_en,
    )
    dtd_first = zipped({**dtd_part, **huge})
    assert "DOCTYPE/ENTITY" in refusal(lambda: check_container(dtd_first))[0]


def test_first_huge_sheet_in_the_container_is_the_one_refused(base_parts):
    # sheet2 comes first in the container, second in the workbook; both are huge.
    parts = {"xl/worksheets/sheet2.xml": base_parts[SHEET].replace(b"</sheetData>", FAR_ROW)}
    parts.update(base_parts)
    parts[SHEET] = base_parts[SHEET].replace(b"</sheetData>", FAR_ROW)
    parts[WORKBOOK] = base_parts[WORKBOOK].replace(
        b"</sheets>", b'<sheet name="Phu luc" sheetId="2" r:id="rId9"/></sheets>'
    )
    parts[RELATIONS] = base_parts[RELATIONS].replace(
        b"</Relationships>",
        b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>',
    )
    data = zipped(parts)
    expected = scanned_refusal(data, "xl/worksheets/sheet2.xml")
    package = check_container(data)
    assert refusal(lambda: read_plain_xlsx(package)) == (expected.reason_vi, expected.reason_en)
    assert "sheet 'sheet2'" in expected.reason_en


def test_package_refuses_any_part_the_reader_measures_huge(base_parts):
    # A kept part not named like a worksheet (content.xml) has no extent check waiting for
    # the reader, and nothing else checks it on the reader's path: the measure is judged.
    package = check_container(zipped(base_parts))
    assert package is not None
    _reason_vi, reason_en = refusal(
        lambda: package.record_extent("content.xml", (1, 1048576, 1, 16384))
    )
    assert "sheet 'content' has 1048576 rows × 16384 columns" in reason_en


def test_error_cell_whose_text_is_not_utf8_is_a_damaged_file_not_a_crash(base_parts):
    error_cell = b'<row r="99"><c r="A99" t="e"><v>\xff</v></c></row></sheetData>'
    data = with_changes(base_parts, sheet=(b"</sheetData>", error_cell))
    damaged = damaged_file()
    assert refusal(lambda: read_workbook("x.xlsx", data, check_container(data))) == (
        damaged.reason_vi,
        damaged.reason_en,
    )


@pytest.mark.parametrize("part", ["customXml/item9.xml", "content.xml"])
def test_huge_sheet_in_any_part_is_refused_before_calamine_opens_it(base_parts, part, monkeypatch):
    # calamine follows a sheet's absolute target to any part and reads it as the sheet.
    # content.xml is kept, and the direct reader measures it; customXml/item9.xml is not,
    # so the reader declines the workbook, and the part is scanned before calamine.
    parts = {name: body for name, body in base_parts.items() if name != SHEET}
    parts[part] = base_parts[SHEET].replace(b"</sheetData>", FAR_ROW)
    parts[RELATIONS] = base_parts[RELATIONS].replace(
        b"/xl/worksheets/sheet1.xml", b"/" + part.encode()
    )

    def calamine_must_not_open(_bytes: object) -> None:
        pytest.fail("calamine opened a workbook holding a huge sheet")

    monkeypatch.setattr(
        python_calamine.CalamineWorkbook, "from_filelike", staticmethod(calamine_must_not_open)
    )
    data = zipped(parts)
    _reason_vi, reason_en = refusal(lambda: read_workbook("x.xlsx", data, check_container(data)))
    assert f"sheet '{Path(part).stem}' has 1048576 rows × 16384 columns" in reason_en


def test_sheet_in_another_part_within_the_limits_is_read_by_calamine(base_parts):
    parts = {name: body for name, body in base_parts.items() if name != SHEET}
    parts["customXml/item9.xml"] = base_parts[SHEET]
    parts[RELATIONS] = base_parts[RELATIONS].replace(
        b"/xl/worksheets/sheet1.xml", b"/customXml/item9.xml"
    )
    data = zipped(parts)
    [grid] = read_workbook("x.xlsx", data, check_container(data))
    assert grid.rows == read_workbook("x.xlsx", zipped(base_parts), None)[0].rows


# Error cells the direct reader ignores, as calamine does, but the scan for extras finds
# (and shows as the cell's text), written outside sheetData, plain or namespace-prefixed.
_MAIN_NAMESPACE = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRAY_CELLS = {
    "after sheetData": (b"</sheetData>", b'</sheetData><c r="B3" t="e"><v>#N/A</v></c>'),
    "before sheetData": (b"<sheetData>", b'<c r="B3" t="e"><v>#REF!</v></c><sheetData>'),
    "prefixed": (
        b"</sheetData>",
        b'</sheetData><x:c xmlns:x="%s" r="B3" t="e"><x:v>#N/A</x:v></x:c>' % _MAIN_NAMESPACE,
    ),
}


@pytest.mark.parametrize("change", STRAY_CELLS.values(), ids=STRAY_CELLS.keys())
def test_error_cell_outside_sheet_data_shows_as_with_calamine(base_parts, change):
    read_directly, new, old = read_both(with_changes(base_parts, sheet=change))
    assert read_directly
    assert new == old
    error_text = re.search(rb"<(?:x:)?v>(#[^<]+)<", change[1]).group(1).decode()  # type: ignore[union-attr]
    assert new[0][1][2][1] == ("str", error_text)  # B3 shows it, as with calamine


def test_numbers_and_formulas_under_a_percent_format_read_directly_as_calamine(base_parts):
    row = (
        b'<row r="70"><c r="A70" s="4"><v>0.915</v></c><c r="B70" s="4"><f>A70/2</f>'
        b"<v>0.4575</v></c></row></sheetData>"
    )
    workbook = with_changes(
        base_parts,
        styles=(b'formatCode="DD/MM/YYYY"', b'formatCode="0.0%"'),
        sheet=(b"</sheetData>", row),
    )
    read_directly, new, old = read_both(workbook)
    assert read_directly
    assert new == old
    assert (69, 0) in new[0][0][3] and (69, 1) in new[0][0][3]  # percent_cells


def test_workbook_without_error_or_percent_cells_is_not_scanned_again(base_parts, monkeypatch):
    # The direct reader saw every cell: when none is an error or a number under a percent
    # format, the scan for extras could find nothing, and is skipped.
    import flows.reading.workbook

    def scan_must_not_run(*_args: object) -> None:
        pytest.fail("the package was scanned for extras")

    monkeypatch.setattr(flows.reading.workbook, "_package_cell_extras", scan_must_not_run)
    data = zipped(base_parts)
    [grid] = read_workbook("x.xlsx", data, check_container(data))
    assert grid.percent_cells == frozenset()
