"""The table walk: one sheet's indicator table turned into observations.

:func:`parse_sheet` finds the header (:mod:`flows.reading.headers`) and the identity
(:mod:`flows.reading.metadata`) of one grid, then walks its data rows and returns a
:class:`ParsedSheet`: one :class:`Observation` per value cell, :class:`UnmappedRow` for rows
matching no indicator, and :class:`CellIssue` for cells that could not be read. Text cells
are matched on their repaired form (NFC, tones, TCVN3/VNI decoded by
:mod:`flows.domain.textnorm`) while observations keep the text as typed.
:func:`parse_workbook` does so for every visible sheet of a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from pathlib import Path

from flows.domain.catalog import Catalog, Indicator
from flows.domain.textnorm import fold, legacy_encoding_of, normalize_text, repair_as
from flows.domain.values import (
    PER_MILLE,
    ParsedTarget,
    ParsedValue,
    is_per_mille_unit,
    original_text_of,
    parse_target,
    parse_value,
)
from flows.quality.rulebook import severity
from flows.reading.crosschecks import (
    _as_percent_points,
    _cross_check_computed_columns,
    _cross_check_stated_percent,
    _is_percent_formatted,
    _per_mille_warning,
)
from flows.reading.headers import (
    VALUE_KINDS,
    ColumnRole,
    HeaderLayout,
    find_header,
    nearest_header,
)
from flows.reading.metadata import SheetIdentity, _keep_read_of_text, read_identity
from flows.reading.rows import (
    CellIssue,
    Observation,
    ParsedSheet,
    ParsedWorkbook,
    SkippedSheet,
    UnmappedRow,
)
from flows.reading.workbook import SheetGrid, cell_address, read_workbook

# ------------------------------------------------------------------ data rows

# First cell of a row below the table that ends it: footnotes ("(1) ...", "(*) ...", "* ...",
# "¹ ...") and the signature block.
_FOOTER = re.compile(
    r"^(?:\(\s*\d+\s*\)\s*\D|\(\*+\)|\*|[\u00b9\u00b2\u00b3\u2070-\u2079]"
    r"|ghi chu|luu y|nguon|nguoi lap|t/m|tm |noi nhan|bi thu)"
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


def _row_assessment(row: list, plan: _ColumnPlan) -> str | None:
    """The clerk's verdict on the row (``Đạt``, ``Khó đạt``): its assessment cells' text.

    Without the header prefix the note gives it, so that the warehouse can read the
    verdict (int_clerk_assessments); two assessment columns are joined with ``; ``.
    """
    parts = []
    for col, role in plan.notes:
        if role.kind == "assessment":
            text = _text_or_none(row[col] if col < len(row) else None)
            if text:
                parts.append(text)
    return "; ".join(parts) or None


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
    assessment_text: str | None = None  # from the described cells too

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
        assessment_text=_row_assessment(row, plan) if plan.notes else None,
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


def _are_column_numbers(filled: list, header_columns: int) -> bool:
    """Whether a row's filled cells number the columns: ``(1) (2) (3)`` or ``A B 1 2``.

    Three cells at least, or as many as the header has: a name-and-value table numbers
    its two columns ``(1) (2)``.
    """
    # A data row fails on its first cell: tested before any generator is set up.
    if len(filled) < min(3, header_columns) or not _COLUMN_NUMBER.match(fold(str(filled[0]))):
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
    return CellIssue(severity(rule), rule, address, code, period, message_vi, message_en)


def _missing_period_issue(address: str, role: ColumnRole) -> CellIssue:
    return CellIssue(
        severity("period_unknown"),
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
    # The cells as typed, on a sheet whose text was repaired from a legacy encoding (the
    # rows walked hold the repaired text): what observations keep as typed comes from here.
    typed_rows: list[list] | None = None
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
    target_values = match.target_values
    if context.typed_rows is not None:
        parsed, target_values = _as_typed(context, row_idx, col, raw, parsed, target_values)
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
    # every file, and keywords (the target's five spread from a dict) cost more than
    # the rest of building it.
    observation = Observation(
        indicator.indicator_code,
        period,
        value,
        parsed.qualifier,
        parsed.denominator,
        role.is_estimate,
        *target_values,  # target text, low, high, direction, per year
        parsed.original_text,
        address,  # source_cell
        row_idx + 1,  # source_row
        meaning.note,
        parsed.stated_percent,
        PER_MILLE if per_mille else indicator.unit,
        unit_suffix,
        None,  # source_file: the submission's
        None,  # source_sha256
        meaning.assessment_text,
    )
    context.result.observations.append(observation)
    if per_mille and indicator.value_type == "percent":
        context.warn(_per_mille_warning(observation))
    if parsed.stated_percent is not None:  # "36/35 (103%)", rare: no call otherwise
        _cross_check_stated_percent(context, parsed, observation)
    return observation


def _as_typed(
    context: _SheetContext,
    row_idx: int,
    col: int,
    raw: object,
    parsed: ParsedValue,
    target_values: tuple[object, ...],
) -> tuple[ParsedValue, tuple[object, ...]]:
    """A value read from repaired text, with its text and its row's target text as typed."""
    typed_row = context.typed_rows[row_idx]
    typed = typed_row[col]
    if typed is not raw:
        parsed = replace(parsed, original_text=original_text_of(typed))
    target_col = context.plan.target
    if target_values[0] is not None and target_col is not None:
        typed_target = typed_row[target_col] if target_col < len(typed_row) else None
        if typed_target is not None:
            target_values = (original_text_of(typed_target), *target_values[1:])
    return parsed, target_values


def sheet_text_repaired(grid: SheetGrid) -> SheetGrid:
    """The grid with every text repaired from the legacy encoding the sheet was typed in.

    The encoding is decided once from all the sheet's texts
    (:func:`flows.domain.textnorm.legacy_encoding_of`), so that texts too short to tell by
    themselves ("Néi dung", "Sè hé") are repaired as the rest: header, title block and
    rows alike. A Unicode sheet, NFC or NFD, is the grid itself.
    """
    encoding = legacy_encoding_of(chain.from_iterable(grid.rows))
    if encoding is None:
        return grid
    rows = [
        [repair_as(cell, encoding) if type(cell) is str else cell for cell in row]
        for row in grid.rows
    ]
    return replace(grid, rows=rows)


def missing_table_reason(grid: SheetGrid) -> tuple[str, str]:
    """(Vietnamese, English): why a sheet holds no indicator table, as far as one can say.

    Names the row that came closest to a header (:func:`flows.reading.headers.nearest_header`),
    what it has and what it lacks, for a sheet :func:`parse_sheet` found no table on.
    """
    near_miss = nearest_header(sheet_text_repaired(grid))
    if near_miss is None:
        return (
            f"Trang '{grid.name}': không có hàng nào giống dòng tiêu đề của bảng chỉ tiêu",
            f"Sheet '{grid.name}': no row looks like the header of an indicator table",
        )
    described_vi, described_en = near_miss.describe()
    return f"Trang '{grid.name}': {described_vi}", f"Sheet '{grid.name}': {described_en}"


def parse_sheet(grid: SheetGrid, catalog: Catalog) -> ParsedSheet | None:
    """The indicator table of one sheet, or None when the sheet holds none.

    Text typed in a legacy font is repaired first (:func:`sheet_text_repaired`); values,
    targets and metadata keep the text as typed.
    """
    typed_grid, grid = grid, sheet_text_repaired(grid)
    typed_rows = typed_grid.rows if grid is not typed_grid else None
    layout = find_header(grid)
    if layout is None:
        return None
    identity = read_identity(grid, layout.first_row, typed_rows)
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
    context = _SheetContext(
        layout, catalog, identity, result, percent_cells=grid.percent_cells, typed_rows=typed_rows
    )
    rows = grid.rows
    for row_idx in range(layout.last_row + 1, len(rows)):
        row = rows[row_idx]
        for first in row:
            if first is not None:
                break
        else:
            continue  # an empty line
        may_number_columns, ends_table = _first_cell_reading(first)
        if may_number_columns and _are_column_numbers(
            [cell for cell in row if cell is not None], len(layout.columns)
        ):
            continue
        if ends_table:
            break
        _parse_data_row(context, row, row_idx)
    return result


# ------------------------------------------------------------------ whole files


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
    "missing_table_reason",
    "parse_sheet",
    "parse_workbook",
    "sheet_text_repaired",
]
