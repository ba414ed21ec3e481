"""The casebook's container writers: sheet plans written as .xlsx or .xlsm (openpyxl, formulas
with their cached result; or xlsxwriter, whose packages are laid out differently), .xls
(xlwt), .ods (odfpy) and CSV in each encoding.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from pathlib import Path

from flows.domain.textnorm import TONE_MARKS
from tests.generators.casebook_plan import Put, SheetPlan


def _plain(item: object) -> object:
    return item.value if isinstance(item, Put) else item


def _write_xlsx(path: Path, plans: list[SheetPlan], macro_enabled: bool = False) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    formulas: dict[int, dict[str, str]] = {}
    for sheet_number, plan in enumerate(plans, start=1):
        sheet = workbook.create_sheet(plan.name)
        font = Font(name=plan.font) if plan.font else None
        for r, row in enumerate(plan.rows, start=1):
            for c, item in enumerate(row, start=1):
                value = _plain(item)
                if value is None:
                    continue
                cell = sheet.cell(row=r, column=c, value=value)
                if font is not None and isinstance(value, str):
                    cell.font = font
                if isinstance(item, Put) and item.percent_format:
                    cell.number_format = item.percent_format
                if isinstance(item, Put) and item.formula:
                    formulas.setdefault(sheet_number, {})[cell.coordinate] = item.formula
        for r1, c1, r2, c2 in plan.merges:
            sheet.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        if plan.hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_patched_package(buffer.getvalue(), formulas, macro_enabled))


def _patched_package(data: bytes, formulas: dict[int, dict[str, str]], macro: bool) -> bytes:
    """The package with formulas given their cached result, and the .xlsm content type.

    openpyxl cannot write a formula together with its saved result, which is what
    Excel saves; the formula is added in front of the value the cell already holds.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            if match and int(match.group(1)) in formulas:
                for address, formula in formulas[int(match.group(1))].items():
                    content = re.sub(
                        rf'(<c r="{address}"[^>]*>)(<v>)'.encode(),
                        rb"\1<f>" + formula.encode() + rb"</f>\2",
                        content,
                    )
            if macro and info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            target.writestr(info, content)
    return out.getvalue()


def _write_xlsx_xlsxwriter(path: Path, plans: list[SheetPlan]) -> None:
    """The plans as .xlsx written by xlsxwriter, formulas with their cached result."""
    import xlsxwriter

    with xlsxwriter.Workbook(str(path)) as workbook:
        formats: dict[tuple[str | None, str | None], object] = {}

        def cell_format(font: str | None, number_format: str | None) -> object:
            if (font, number_format) == (None, None):
                return None
            if (font, number_format) not in formats:
                properties = {"font_name": font, "num_format": number_format}
                formats[(font, number_format)] = workbook.add_format(
                    {key: value for key, value in properties.items() if value is not None}
                )
            return formats[(font, number_format)]

        for plan in plans:
            sheet = workbook.add_worksheet(plan.name)
            merged = {(r1 - 1, c1 - 1): (r2 - 1, c2 - 1) for r1, c1, r2, c2 in plan.merges}
            for r, row in enumerate(plan.rows):
                for c, item in enumerate(row):
                    value = _plain(item)
                    put = item if isinstance(item, Put) else None
                    font = plan.font if isinstance(value, str) else None
                    style = cell_format(font, put.percent_format if put else None)
                    if (r, c) in merged:
                        sheet.merge_range(r, c, *merged.pop((r, c)), "", style)
                    if value is None:
                        continue
                    if put is not None and put.formula:
                        sheet.write_formula(r, c, "=" + put.formula, style, value)
                    elif isinstance(value, str) and value.startswith("="):
                        # A formula never calculated, as openpyxl writes "=9000+876".
                        sheet.write_formula(r, c, value, style, "")
                    elif isinstance(value, str):
                        sheet.write_string(r, c, value, style)
                    elif isinstance(value, bool):
                        sheet.write_boolean(r, c, value, style)
                    else:
                        sheet.write_number(r, c, value, style)
            for (r1, c1), (r2, c2) in merged.items():  # merges whose first cell is beyond a row
                sheet.merge_range(r1, c1, r2, c2, "")
            if plan.hidden:
                sheet.hide()


def _write_xls(path: Path, plans: list[SheetPlan]) -> None:
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    for plan in plans:
        sheet = workbook.add_sheet(plan.name)
        for r, row in enumerate(plan.rows):
            for c, item in enumerate(row):
                value = _plain(item)
                if value is None:
                    continue
                if isinstance(item, Put) and item.percent_format:
                    sheet.write(r, c, value, xlwt.easyxf(num_format_str=item.percent_format))
                else:
                    sheet.write(r, c, value)
        for r1, c1, r2, c2 in plan.merges:
            sheet.merge(r1 - 1, r2 - 1, c1 - 1, c2 - 1)
    workbook.save(str(path))


def _write_ods(path: Path, plans: list[SheetPlan]) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    for plan in plans:
        table = Table(name=plan.name)
        spans = {(r1, c1): (r2 - r1 + 1, c2 - c1 + 1) for r1, c1, r2, c2 in plan.merges}
        covered = {
            (r, c)
            for r1, c1, r2, c2 in plan.merges
            for r in range(r1, r2 + 1)
            for c in range(c1, c2 + 1)
            if (r, c) != (r1, c1)
        }
        width = max(len(row) for row in plan.rows)
        for r, row in enumerate(plan.rows, start=1):
            table_row = TableRow()
            for c in range(1, width + 1):
                item = row[c - 1] if c <= len(row) else None
                if (r, c) in covered:
                    table_row.addElement(CoveredTableCell())
                    continue
                cell = _ods_cell(item, TableCell, P)
                if (r, c) in spans:
                    rows_spanned, cols_spanned = spans[(r, c)]
                    cell.setAttribute("numberrowsspanned", str(rows_spanned))
                    cell.setAttribute("numbercolumnsspanned", str(cols_spanned))
                table_row.addElement(cell)
            table.addElement(table_row)
        document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    path.write_bytes(buffer.getvalue())


def _ods_cell(item: object, table_cell: type, paragraph: type) -> object:
    value = _plain(item)
    if value is None:
        return table_cell()
    if isinstance(value, int | float):
        if isinstance(item, Put) and item.percent_format:
            cell = table_cell(valuetype="percentage", value=str(value))
            cell.addElement(paragraph(text=f"{value * 100:.1f}%"))
            return cell
        cell = table_cell(valuetype="float", value=str(value))
    else:
        cell = table_cell(valuetype="string")
    cell.addElement(paragraph(text=str(value)))
    return cell


def _cp1258(text: str) -> bytes:
    """Windows-1258 bytes: vowels precomposed (ơ, ư, â), tones as combining marks."""
    pieces = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(mark for mark in decomposed if mark in TONE_MARKS)
        bare = "".join(mark for mark in decomposed if mark not in TONE_MARKS)
        pieces.append(unicodedata.normalize("NFC", bare) + tones)
    # Windows-1258 has no "≥": clerks' exports show it as ">=".
    return "".join(pieces).replace("≥", ">=").encode("cp1258")


def _write_csv(path: Path, plan: SheetPlan, encoding: str, delimiter: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in plan.rows:
        writer.writerow(["" if _plain(item) is None else _plain(item) for item in row])
    text = buffer.getvalue()
    path.write_bytes(_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
