"""Finding a sheet's indicator table by its header, and what each of its columns holds.

:func:`find_header` takes the first row naming a name column and a value or target column
(:func:`_header_row_roles`), and the row under it when every cell there is a known header
holding values (:func:`_sub_header_roles`): a two-row header. A row naming a name column
only is a header too when such a sub-header follows it (year blocks: ``Kết quả thực hiện
qua các năm`` over ``Năm 2016 … Năm 2020``). A merged cell reads in its first column only,
and the years written under it (``Năm 2021``, ``Ước 2023``, read by :func:`classify_header`)
replace it as year columns.

Column roles come from the curator-editable seed ``dbt_project/seeds/header_spellings.csv``
(:func:`header_spellings`): a new spelling found in the field is one line there. When no
header is found, :func:`nearest_header` says which row was nearly one, and what it lacked.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flows.domain.periods import parse_year_header
from flows.domain.textnorm import fold_words, normalize_text
from flows.domain.values import original_text_of
from flows.reading.workbook import SheetGrid
from flows.settings import HEADER_SPELLINGS_CSV

# The header is looked for in the first rows only: a title and metadata block is short.
MAX_HEADER_SEARCH_ROWS = 60


@dataclass(frozen=True)
class ColumnRole:
    """What a table column holds. ``year`` is set for year columns."""

    kind: str
    header_text: str = ""
    year: int | None = None
    is_estimate: bool = False


# Columns holding reported values; everything else describes the row. A value block
# ("Kết quả thực hiện qua các năm") is replaced by the years under it; alone, it holds
# the values of the sheet's period, as "Thực hiện" does.
VALUE_KINDS = frozenset({"year", "value", "value_block", "midterm"})

# The roles a header spelling may give (the seed's ``role`` column); ``year`` comes from
# the year written in the header (flows/domain/periods.py), never from a spelling.
SPELLING_ROLES = (
    "stt",
    "code",
    "name",
    "unit",
    "target",
    "value",
    "value_block",
    "midterm",
    "computed",
    "assessment",
    "note",
)
SPELLING_MATCHES = ("exact", "prefix")


@dataclass(frozen=True)
class HeaderSpellings:
    """The header spellings of each role, folded as header cells are (:func:`fold_words`).

    A header is an ``exact`` spelling, or starts with a ``prefix`` spelling followed by
    anything but a letter (``KH`` matches ``KH 2024`` and ``KH%``, not ``Khác``). Exact
    spellings win, then the longest prefix: ``Kết quả thực hiện`` is a value column,
    ``Kết quả thực hiện qua các năm`` a value block.
    """

    exact: dict[str, str]
    prefixes: tuple[tuple[str, str], ...]  # (folded spelling, role), longest first

    def role_of(self, folded: str) -> str | None:
        """The role of a folded header text, or None."""
        role = self.exact.get(folded)
        if role is not None:
            return role
        for spelling, prefix_role in self.prefixes:
            if folded.startswith(spelling) and (
                len(folded) == len(spelling) or not folded[len(spelling)].isalpha()
            ):
                return prefix_role
        return None


def read_header_spellings(path: Path | str) -> HeaderSpellings:
    """The spellings of a seed file with columns role, spelling, match (and note).

    Raises ValueError, naming the line, for an unknown role or match, an empty spelling,
    or one folded spelling given twice: a curator's slip must not change roles silently.
    """
    exact: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    seen: dict[str, int] = {}
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            role, match = (row.get("role") or "").strip(), (row.get("match") or "").strip()
            folded = fold_words(row.get("spelling") or "")
            where = f"{Path(path).name}, line {line}"
            if role not in SPELLING_ROLES:
                raise ValueError(f"{where}: unknown role {role!r} (one of {SPELLING_ROLES})")
            if match not in SPELLING_MATCHES:
                raise ValueError(f"{where}: match must be exact or prefix, not {match!r}")
            if not folded:
                raise ValueError(f"{where}: empty spelling")
            if folded in seen:
                raise ValueError(f"{where}: {folded!r} is already on line {seen[folded]}")
            seen[folded] = line
            (exact if match == "exact" else prefixes)[folded] = role
    ordered = tuple(sorted(prefixes.items(), key=lambda item: -len(item[0])))
    return HeaderSpellings(exact, ordered)


_spellings_read: tuple[tuple[str, int], HeaderSpellings] | None = None
# A warm process looks at the seed's modification time at most this often (seconds).
_SPELLINGS_RECHECK_SECONDS = 1.0
_spellings_checked_at = -_SPELLINGS_RECHECK_SECONDS


def header_spellings() -> HeaderSpellings:
    """The seed's spellings, read again when the file changes (a warm process sees an edit).

    The classifications kept by :func:`classify_header` are dropped with the old spellings.
    """
    global _spellings_read, _spellings_checked_at
    now = time.monotonic()
    if _spellings_read is not None and now - _spellings_checked_at < _SPELLINGS_RECHECK_SECONDS:
        return _spellings_read[1]
    _spellings_checked_at = now
    path = str(HEADER_SPELLINGS_CSV)
    version = (path, os.stat(path).st_mtime_ns)
    if _spellings_read is None or _spellings_read[0] != version:
        spellings = read_header_spellings(path)
        _classify_header_text.cache_clear()
        _classify_header_number.cache_clear()
        _spellings_read = (version, spellings)
    return _spellings_read[1]


def _current_spellings() -> HeaderSpellings:
    """The spellings last read, without looking at the file again (once per sheet is enough)."""
    return _spellings_read[1] if _spellings_read is not None else header_spellings()


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
    kind = _current_spellings().role_of(folded)
    if kind is None:
        return None
    return ColumnRole(kind, text, is_estimate=folded.startswith("uoc"))


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


def _name_row_roles(row: list) -> dict[int, ColumnRole] | None:
    """The roles of a row naming a name column (whatever else it names), else None."""
    roles = {col: classify_header(cell) for col, cell in enumerate(row) if cell is not None}
    roles = {col: role for col, role in roles.items() if role is not None}
    return roles if any(role.kind == "name" for role in roles.values()) else None


def find_header(grid: SheetGrid) -> HeaderLayout | None:
    """The first row with a name column and a value or target column, plus its sub-header row.

    A row with a name column but no value or target column is the header when a
    sub-header of value columns follows it: the years under a block whose own spelling
    is not known yet ("Số liệu 5 năm" over "Năm 2016 … Năm 2020").
    """
    header_spellings()  # read again if a curator changed the seed
    for row_idx, row in enumerate(grid.rows[:MAX_HEADER_SEARCH_ROWS]):
        if len(row) - row.count(None) < 2:
            # A header names two roles (the name and a value or target), so two cells at
            # least: the title and metadata lines above it are passed over unclassified.
            # (No cell type a reader gives equals None: count finds the empty cells.)
            continue
        roles = _header_row_roles(row)
        if roles is None:
            # A block of years under a name row: the row below is looked at first, and only
            # when it has two cells or more (years): title and metadata lines rarely pass,
            # and their own texts (a ward's name) are then never classified.
            sub_roles = _sub_header_roles(grid, row_idx + 1, min_filled=2)
            roles = _name_row_roles(row) if sub_roles is not None else None
            if roles is None:
                continue
        else:
            sub_roles = _sub_header_roles(grid, row_idx + 1)
        if sub_roles is None:
            return HeaderLayout(row_idx, row_idx, roles)
        return HeaderLayout(row_idx, row_idx + 1, {**roles, **sub_roles})
    return None


def _sub_header_roles(
    grid: SheetGrid, row_idx: int, min_filled: int = 1
) -> dict[int, ColumnRole] | None:
    """Roles of a second header row (e.g. years under a merged "Thực hiện"), or None.

    A row counts as a sub-header only when every filled cell is a known header, so a
    first data row is never mistaken for one, and when it has ``min_filled`` cells or more.
    """
    if row_idx >= len(grid.rows):
        return None
    row = grid.rows[row_idx]
    if len(row) - row.count(None) < min_filled:
        return None
    roles = {}
    for col, cell in enumerate(row):
        if cell is None:
            continue
        role = classify_header(cell)
        if role is None:
            return None  # no need to classify the rest of a data row
        roles[col] = role
    if not any(role.kind in VALUE_KINDS for role in roles.values()):
        return None  # (an empty row too)
    return roles


# ------------------------------------------------------------------ nearly a header

# How each role is named to a clerk, (Vietnamese, English).
ROLE_NAMES: dict[str, tuple[str, str]] = {
    "stt": ("cột số thứ tự", "a row-number column"),
    "code": ("cột mã chỉ tiêu", "an indicator-code column"),
    "name": ("cột tên chỉ tiêu", "an indicator-name column"),
    "unit": ("cột đơn vị tính", "a unit column"),
    "target": ("cột chỉ tiêu NQ", "a target column"),
    "value": ("cột kết quả/thực hiện", "a value column"),
    "value_block": ("cột kết quả qua các năm", "a block of yearly values"),
    "year": ("cột năm", "a year column"),
    "midterm": ("cột giữa nhiệm kỳ", "a mid-term column"),
    "computed": ("cột so sánh", "a comparison column"),
    "assessment": ("cột đánh giá", "an assessment column"),
    "note": ("cột ghi chú", "a notes column"),
}
# What a header cannot do without, (Vietnamese, English), with spellings that would do.
_LACKING_NAME = (
    "cột tên chỉ tiêu (ví dụ 'Chỉ tiêu', 'Tên chỉ tiêu', 'Nội dung')",
    "an indicator-name column (e.g. 'Chỉ tiêu', 'Tên chỉ tiêu', 'Nội dung')",
)
_LACKING_VALUE = (
    "cột kết quả/thực hiện hay chỉ tiêu NQ (ví dụ 'Thực hiện', 'Kết quả', 'Năm 2024', "
    "'Chỉ tiêu NQ')",
    "a value or target column (e.g. 'Thực hiện', 'Kết quả', 'Năm 2024', 'Chỉ tiêu NQ')",
)
# How many of a row's unrecognised cells a description quotes, and how much of each.
_QUOTED_CELLS = 6
_QUOTED_CHARS = 40


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > _QUOTED_CHARS:
        text = text[: _QUOTED_CHARS - 1] + "…"
    return f"'{text}'"


@dataclass(frozen=True)
class NearMiss:
    """The row of a sheet without a table that came closest to being its header.

    ``row_number`` as the clerk sees it (1-based); ``matched`` the (role, cell text) of
    its recognised cells, left to right; ``lacking`` what a header needs that it has not:
    ``name``, ``value_or_target`` or both; ``unknown`` the texts of its other cells.
    """

    row_number: int
    matched: tuple[tuple[str, str], ...]
    lacking: tuple[str, ...]
    unknown: tuple[str, ...] = ()

    def describe(self) -> tuple[str, str]:
        """(Vietnamese, English): what the row has, what it lacks, what was not recognised."""
        has_vi = ", ".join(
            f"{ROLE_NAMES[kind][0]} ({_quoted(text)})" for kind, text in self.matched
        )
        has_en = ", ".join(
            f"{ROLE_NAMES[kind][1]} ({_quoted(text)})" for kind, text in self.matched
        )
        lacking = [_LACKING_NAME if need == "name" else _LACKING_VALUE for need in self.lacking]
        vi = f"hàng {self.row_number} có {has_vi} nhưng không có " + " và không có ".join(
            vi for vi, _ in lacking
        )
        en = f"row {self.row_number} has {has_en} but no " + " and no ".join(
            en.removeprefix("an ").removeprefix("a ") for _, en in lacking
        )
        if self.unknown:
            cells = ", ".join(_quoted(text) for text in self.unknown[:_QUOTED_CELLS])
            vi += f"; các ô chưa nhận ra: {cells}"
            en += f"; cells not recognised: {cells}"
        return vi, en


def nearest_header(grid: SheetGrid) -> NearMiss | None:
    """The row that came closest to a header, for a sheet where :func:`find_header` found none.

    Rows of two filled cells or more in the search range are candidates; the one naming
    the most roles wins, then the one naming the name or a value or target, then the
    first. None when no row names any role. (A row naming both would have been the header.)
    """
    best, best_score = None, (0, 0)
    for row_idx, row in enumerate(grid.rows[:MAX_HEADER_SEARCH_ROWS]):
        filled = [(col, cell) for col, cell in enumerate(row) if cell is not None]
        if len(filled) < 2:
            continue
        roles = [classify_header(cell) for _, cell in filled]
        matched = [role for role in roles if role is not None]
        kinds = {role.kind for role in matched}
        has_name, has_value = "name" in kinds, bool(kinds & _VALUE_OR_TARGET_KINDS)
        score = (len(matched), has_name + has_value)
        if score > best_score:
            best_score = score
            best = NearMiss(
                row_idx + 1,
                tuple((role.kind, role.header_text) for role in matched),
                ("name",) * (not has_name) + ("value_or_target",) * (not has_value),
                tuple(
                    normalize_text(original_text_of(cell))
                    for (_, cell), role in zip(filled, roles, strict=True)
                    if role is None
                ),
            )
    return best


__all__ = [
    "ColumnRole",
    "HeaderLayout",
    "HeaderSpellings",
    "NearMiss",
    "classify_header",
    "find_header",
    "header_spellings",
    "nearest_header",
    "read_header_spellings",
]
