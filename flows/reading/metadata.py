"""A sheet's identity (unit, district, province, term, period, report date) from its title block.

The block above the table holds ``label: value`` cells, or a label cell followed by its
value cell, with the labels of :data:`METADATA_LABELS` (new layouts are supported by
extending it); a period, term or report date no label gives is looked for in the titles.
Values are kept as typed, for provenance, and matched on their repaired form
(:mod:`flows.domain.textnorm`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from itertools import chain

from flows.domain.periods import parse_period, parse_report_date, parse_term
from flows.domain.textnorm import fold, normalize_text
from flows.domain.values import original_text_of
from flows.reading.workbook import SheetGrid

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
    """One metadata value: its key, its label as normalised, the cell as read, and where:
    the column of the cell holding the value, and whether it follows the label in it."""

    key: str
    label: str
    raw: object
    col: int = 0
    inline: bool = False


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
        if value:
            entries.append(_MetadataEntry(key, label, value, col, inline=True))
            continue
        next_col = _next_filled(row, col + 1)
        if next_col is None:
            continue
        last_taken = next_col
        entries.append(_MetadataEntry(key, label, row[next_col], next_col))
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


def _typed_value(typed_row: list, entry: _MetadataEntry) -> object:
    """An entry's value as typed: its cell, or what follows the label's ':' in it.

    Legacy decoding never makes nor takes a ':', so the typed cell splits where the
    repaired one did.
    """
    typed = typed_row[entry.col]
    if entry.inline:
        return str(typed).partition(":")[2]
    return typed


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


def read_identity(
    grid: SheetGrid, header_first_row: int, typed_rows: list[list] | None = None
) -> SheetIdentity:
    """The metadata above the table, completed from the title when a label is missing.

    ``typed_rows``: the sheet's cells as typed, when ``grid`` holds them repaired from a
    legacy encoding (:func:`flows.reading.table.sheet_text_repaired`); the values are
    matched as repaired and kept as typed.
    """
    title_rows = grid.rows[:header_first_row]
    placed = [
        (row_idx, entry)
        for row_idx, row in enumerate(title_rows)
        # An empty line holds no label (no cell type a reader gives equals None).
        if row.count(None) < len(row)
        for entry in _line_metadata(row)
    ]
    entries = [entry for _, entry in placed]
    # The values are kept as typed (provenance); matching below uses the repaired text.
    identity = SheetIdentity(
        {
            entry.label: _raw_metadata_text(
                entry.raw if typed_rows is None else _typed_value(typed_rows[row_idx], entry)
            )
            for row_idx, entry in placed
        }
    )
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
