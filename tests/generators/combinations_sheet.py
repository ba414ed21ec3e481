"""A drawn table (``combinations_tables.Table``) as a sheet plan, and what must be read back.

:func:`render` lays the table out as a clerk would (title, metadata, header, section and
indicator rows, notes), passes every text cell through the table's encoding, and returns
the :class:`~tests.generators.casebook_plan.SheetPlan` the writers take with the
:class:`Expected` reading: the sheet's unit, period and report date, and one
:class:`ExpectedValue` per value cell at its address.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from flows.domain.values import original_text_of
from flows.reading.workbook import cell_address
from tests.generators.casebook_plan import Put, SheetPlan
from tests.generators.combinations import (
    BLOCK_HEADERS,
    ENCODERS,
    FONTS,
    GROUP_HEADERS,
    LABEL_SETS,
    NONE,
    PERIODS_NEEDING_TERM,
    as_read_back,
)
from tests.generators.combinations_tables import Table, TableRow, indicator_catalog

SHEET_NAME = "Biểu 01"
DISTRICT, PROVINCE = "Đức Phổ", "Quảng Ngãi"
ROMANS = ("I", "II", "III", "IV", "V")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class ExpectedValue:
    """What the observation read from one value cell must hold."""

    cell: str
    indicator_code: str
    value: float
    period_code: str
    is_estimate: bool
    unit: str
    original_text: str
    target: tuple[float | None, float | None, str | None, bool | None]
    has_note: bool


@dataclass
class Expected:
    """What reading the sheet must give (``positions``: each value's 0-based row, column)."""

    unit_key: str
    period_code: str
    report_date: date | None
    labels: int = 0  # metadata labels written (each must be read)
    values: dict[str, ExpectedValue] = field(default_factory=dict)
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Column:
    """A table column: its role, its header (top row, and row below for two-row headers)."""

    role: str
    top: object = None
    sub: object = None
    period_code: str | None = None  # value columns
    is_estimate: bool = False


# ------------------------------------------------------------------ periods


def _period(table: Table) -> tuple[str, str, date]:
    """(text as written, period code, report date) of the sheet's own period."""
    form = table.option("period")
    start, end = table.term
    year, quarter, term = start + 3, table.quarter, f"{start}-{end}"
    text = form.format(year=year, roman=ROMANS[quarter - 1], quarter=quarter, term=term)
    if "Quý" in form:
        return text, f"{year}-Q{quarter}", date(year, 3 * quarter, 25)
    if "6 tháng" in form:
        return text, f"{year}-H1", date(year, 6, 25)
    if "giữa nhiệm kỳ" in form.lower():
        return text, f"{term}-MID", date(year, 5, 18)
    if "nhiệm kỳ" in form.lower():
        return text, term, date(end, 5, 20)
    return text, str(year), date(year, 12, 15)


def _needs_term_label(table: Table) -> bool:
    return table.option("period") in PERIODS_NEEDING_TERM or table.option("midterm") != NONE


# ------------------------------------------------------------------ columns


def _year_header(table: Table, year: int, last: bool) -> object:
    word = table.option("estimate") if last and table.option("estimate") != NONE else None
    if word is not None:
        return word.format(year=year)
    word = table.option("year_word")
    return year if word == "{year}" else word.format(year=year)  # a bare year is a number


def _columns(table: Table, sheet_period: str) -> list[_Column]:
    option = table.option
    start, end = table.term
    layout = option("value_header")
    columns = []
    for role in ("stt", "code", "name"):
        if option(role) != NONE:
            columns.append(_Column(role, option(role)))
    if option("spacer_column") == "inside":
        columns.append(_Column("spacer"))
    for role in ("unit", "target"):
        if option(role) != NONE:
            columns.append(_Column(role, option(role)))
    if layout == "single":
        columns.append(_Column("value", option("value_word"), period_code=sheet_period))
    years = table.years
    for index, year in enumerate(years):
        header = _year_header(table, year, index == len(years) - 1)
        estimate = index == len(years) - 1 and option("estimate") != NONE
        if layout == "years":
            columns.append(_Column("value", header, period_code=str(year), is_estimate=estimate))
        else:
            top = option("value_word") if index == 0 else None
            columns.append(
                _Column("value", top, header, period_code=str(year), is_estimate=estimate)
            )
    if option("midterm") != NONE:
        columns.append(_Column("value", option("midterm"), period_code=f"{start}-{end}-MID"))
    for role in ("computed", "assessment", "note"):
        if option(role) != NONE:
            columns.append(_Column(role, option(role)))
    return columns


# ------------------------------------------------------------------ cells


def _vietnamese_number(number: float, decimals: bool) -> str:
    """``91,5`` for a percent, ``1.117.213.000`` for a count or money."""
    if decimals:
        return f"{number:.1f}".removesuffix(".0").replace(".", ",")
    return f"{int(number):,}".replace(",", ".")


def _value_cell(table: Table, value: object, is_percent: bool) -> tuple[object, float | None]:
    """(the cell as written, the value it must read as); None for a blank cell."""
    if value is None or isinstance(value, str):
        return value, None
    form, container = table.option("value_form"), table.option("container")
    number = float(value)
    if form == "text" or (form == "percent format" and is_percent and container.startswith("csv")):
        # A CSV export writes what a percent-formatted cell shows: "91,5%".
        sign = "%" if is_percent and (form == "percent format" or table.percent_sign) else ""
        return _vietnamese_number(number, is_percent) + sign, number
    if form == "percent format" and is_percent:
        fraction = float(Decimal(repr(number)) / 100)
        return Put(fraction, percent_format="0.0%"), number
    return (value if is_percent else int(value)), number


def _written_text(cell: object, container: str) -> str:
    """The cell's original text as the reader must report it."""
    raw = cell.value if isinstance(cell, Put) else cell
    if isinstance(raw, str):
        return as_read_back(raw, container)
    return str(raw) if container.startswith("csv") else original_text_of(raw)


def _numbering(style: str, number: int, in_name: bool) -> object:
    """The row's number in the STT column, or as typed before the name without one."""
    letter = LETTERS[(number - 1) % len(LETTERS)]
    if in_name:
        prefixes = {"1": "", "1.": f"{number}. ", "a": f"{letter}. ", "a)": f"{letter}) "}
        return prefixes.get(style, f"{style} ")
    return {"1": number, "1.": f"{number}.", "a": letter, "a)": f"{letter})"}.get(style, style)


def _marked(label: str, marker: str) -> str:
    return f"{label}{marker}" if marker in ("*", "¹") else f"{label} {marker}"


def _computed(row: TableRow, written: list[float | None], form: str) -> object:
    """The clerk's "So sánh" cell: 100 × the row's last value / its target, as the clerk
    writes it; None without a target to compare with."""
    latest = next((number for number in reversed(written) if number is not None), None)
    if row.target is None or row.target.reference is None or latest is None:
        return None
    ratio = round(100 * latest / row.target.reference, 1)
    return _vietnamese_number(ratio, True) if form == "text" else ratio


# ------------------------------------------------------------------ the sheet


class _Grid:
    """Cells by (row, column), 0-based, and merges, before the encoding is applied."""

    def __init__(self, column_offset: int) -> None:
        self.cells: dict[tuple[int, int], object] = {}
        self.merges: list[tuple[int, int, int, int]] = []
        self.offset = column_offset
        self.next_row = 0

    def line(self, *cells: object) -> int:
        """Put ``cells`` on a new row from the first column (after the offset); its index."""
        row = self.next_row
        for col, cell in enumerate(cells):
            if cell is not None:
                self.cells[(row, self.offset + col)] = cell
        self.next_row += 1
        return row

    def merge(self, row1: int, col1: int, row2: int, col2: int) -> None:
        if (row1, col1) != (row2, col2):
            self.merges.append((row1 + 1, self.offset + col1 + 1, row2 + 1, self.offset + col2 + 1))


def _metadata_items(table: Table, period_text: str, report: date) -> list[tuple[str, object]]:
    """(label, value) of the metadata block; a label "" is a line of its own."""
    unit_label, code_label, district, province, period_label, date_label = LABEL_SETS[
        table.option("labels")
    ]
    code, name = table.ward
    ward_type, bare = name.split(" ", 1)
    unit_value = name
    if unit_label == "type":
        unit_label, unit_value = ward_type, bare
    elif unit_label == "Phường/Xã":
        unit_value = bare
    items: list[tuple[str, object]] = [(unit_label, unit_value)]
    if table.option("identity") == "code and name":
        items.append((code_label.replace("type", ward_type.lower()), code))
    else:
        items += [(district, DISTRICT), (province, PROVINCE)]
    if table.option("metadata") != "title":
        start, end = table.term
        period_value: object = period_text
        if table.option("period") == "{year}":
            period_value = int(period_text)
        items.append((period_label, period_value))
        if _needs_term_label(table):
            items.append(("Nhiệm kỳ", f"{start} - {end}"))
    form = table.option("report_date")
    if form != NONE:
        shown = form.format(day=f"{report.day:02d}", month=f"{report.month:02d}", year=report.year)
        # The worded date is the place-and-date line of a report, without a label.
        items.append(("", f"{bare}, {shown}") if form.startswith("ngày") else (date_label, shown))
    return items


def _title_and_metadata(
    grid: _Grid, table: Table, period_text: str, report: date, width: int
) -> int:
    """Write the title and metadata block; the number of metadata labels written."""
    option = table.option
    place = option("metadata")
    items = _metadata_items(table, period_text, report)
    titles: list[list[object]] = []
    if option("title") != NONE:
        heading = "BIỂU KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU"
        if place == "title":
            heading += " " + period_text.upper()
        titles = [[f"ĐẢNG ỦY {table.ward[1].upper()}", None, None, "ĐẢNG CỘNG SẢN VIỆT NAM"]]
        titles.append([heading])
        if place == "title" and _needs_term_label(table):
            start, end = table.term
            titles.append([f"NHIỆM KỲ {start} - {end}"])
    side_column = max(width, 4) + 1
    if place == "side":
        texts = [f"{label}: {value}" if label else str(value) for label, value in items]
        for index in range(max(len(titles), len(texts))):
            cells = list(titles[index]) if index < len(titles) else []
            cells += [None] * (side_column - len(cells))
            grid.line(*cells, texts[index] if index < len(texts) else None)
    else:
        for cells in titles:
            grid.line(*cells)
        if place == "cells":
            pairs = [item for item in items if item[0]]
            for index in range(0, len(pairs), 2):
                cells: list[object] = []
                for label, value in pairs[index : index + 2]:
                    # A code typed in a cell of its own is a number, as Excel stores it.
                    typed = int(value) if isinstance(value, str) and value.isdigit() else value
                    cells += [f"{label}:", typed, None]
                grid.line(*cells)
            for _, value in (item for item in items if not item[0]):
                grid.line(value)
        else:
            for label, value in items:
                grid.line(f"{label}: {value}" if label else value)
    if option("title") == "merged" and titles:
        grid.merge(0, 0, 0, 2)
        grid.merge(1, 0, 1, max(width, 4) - 1)
    grid.line()
    return sum(1 for label, _ in items if label)


def _header(grid: _Grid, table: Table, columns: list[_Column]) -> None:
    layout = table.option("value_header")
    two_rows = layout in GROUP_HEADERS or layout in BLOCK_HEADERS
    top = grid.line(*[column.top for column in columns])
    if two_rows:
        sub = grid.line(*[column.sub for column in columns])
        if layout.endswith("-merged"):
            years = [index for index, column in enumerate(columns) if column.sub is not None]
            grid.merge(top, years[0], top, years[-1])
            for index, column in enumerate(columns):
                if column.sub is None and column.role != "spacer":
                    grid.merge(top, index, sub, index)
    if table.option("column_numbers") != NONE:
        numbers, number = [], 0
        for column in columns:
            number += column.role != "spacer"
            numbers.append(None if column.role == "spacer" else f"({number})")
        grid.line(*numbers)
    if table.option("spacer_rows") == "after header":
        grid.line()


def _data_rows(grid: _Grid, table: Table, columns: list[_Column], expected: Expected) -> None:
    option = table.option
    catalog = indicator_catalog()
    in_name = option("stt") == NONE
    number = 0
    rows_left = len(table.rows)
    for group_index, (section, rows) in enumerate(table.groups):
        if option("sections") != NONE:
            numeral = ROMANS[group_index] if option("sections") == "I" else "ABCDE"[group_index]
            cells = {"stt": numeral, "name": section if not in_name else f"{numeral}. {section}"}
            grid.line(*[cells.get(column.role) for column in columns])
        for row in rows:
            number += 1
            indicator = catalog.indicators[row.code]
            is_percent = indicator.value_type == "percent"
            label = _marked(row.label, option("footnote")) if row.footnote else row.label
            values = iter(row.values)
            cells: list[object] = []
            written: list[float | None] = []
            for column in columns:
                if column.role == "value":
                    cell, must_read = _value_cell(table, next(values), is_percent)
                    written.append(must_read)
                    cells.append(cell)
                    continue
                cells.append(
                    {
                        "stt": _numbering(option("numbering"), number, False),
                        "code": row.code,
                        "name": str(_numbering(option("numbering"), number, True)) + label
                        if in_name
                        else label,
                        "unit": indicator.unit,
                        "target": row.target.text if row.target else None,
                        "assessment": row.assessment,
                        "note": row.note,
                    }.get(column.role)
                )
            computed = [index for index, column in enumerate(columns) if column.role == "computed"]
            if computed:
                cells[computed[0]] = _computed(row, written, option("value_form"))
            beside = option("notes_beside") == "right" and number == 1
            r = grid.line(*cells, *([None, "Số liệu sơ bộ, sẽ cập nhật"] if beside else []))
            value_columns = [i for i, column in enumerate(columns) if column.role == "value"]
            for index, must_read in zip(value_columns, written, strict=True):
                if must_read is None:
                    continue
                address = cell_address(r, grid.offset + index)
                target = row.target.bounds if row.target else (None, None, None, None)
                expected.values[address] = ExpectedValue(
                    cell=address,
                    indicator_code=row.code,
                    value=must_read,
                    period_code=columns[index].period_code or "",
                    is_estimate=columns[index].is_estimate,
                    unit=indicator.unit,
                    original_text="",  # the cell's once encoded: _encoded_plan
                    target=target,
                    has_note=bool(row.note or row.assessment),
                )
                expected.positions[address] = (r, grid.offset + index)
            rows_left -= 1
            if option("spacer_rows") == "between rows" and rows_left:
                grid.line()


def _notes_below(grid: _Grid, table: Table) -> None:
    if table.option("notes_beside") != "below":
        return
    marker = table.option("footnote")
    grid.line()
    if marker != NONE:
        grid.line(f"{marker} Số liệu ước tính")
    else:
        grid.line("Ghi chú: Số liệu năm cuối là số ước tính")
    grid.line("Người lập biểu", None, None, "T/M ĐẢNG ỦY")
    grid.line("Nguyễn Văn An", None, None, "Trần Văn Bình")


def render(table: Table) -> tuple[SheetPlan, Expected]:
    """The sheet plan of ``table`` (every text in its encoding) and what must be read back."""
    period_text, period_code, report = _period(table)
    columns = _columns(table, period_code)
    grid = _Grid(1 if table.option("spacer_column") == "left" else 0)
    expected = Expected(
        unit_key=f"pre2025:{table.ward[0]}",
        period_code=period_code,
        report_date=report if table.option("report_date") != NONE else None,
    )
    expected.labels = _title_and_metadata(grid, table, period_text, report, len(columns))
    _header(grid, table, columns)
    _data_rows(grid, table, columns, expected)
    _notes_below(grid, table)
    return _encoded_plan(grid, table, expected), expected


def _encoded_plan(grid: _Grid, table: Table, expected: Expected) -> SheetPlan:
    """The plan with every text in the table's encoding; expected original texts follow."""
    encode = ENCODERS[table.option("encoding")]
    container = table.option("container")

    def encoded(cell: object) -> object:
        if isinstance(cell, str):
            return encode(cell)
        if isinstance(cell, Put) and isinstance(cell.value, str):
            return replace(cell, value=encode(cell.value))
        return cell

    height = max((r for r, _ in grid.cells), default=-1) + 1
    width = max((c for _, c in grid.cells), default=-1) + 1
    rows = [[encoded(grid.cells.get((r, c))) for c in range(width)] for r in range(height)]
    for address, value in expected.values.items():
        row_idx, col_idx = expected.positions[address]
        written = rows[row_idx][col_idx]
        expected.values[address] = replace(value, original_text=_written_text(written, container))
    return SheetPlan(
        SHEET_NAME,
        rows,
        table.ward[0],
        expected.period_code,
        merges=grid.merges,
        font=FONTS.get(table.option("encoding")),
    )


__all__ = ["Expected", "ExpectedValue", "render"]
