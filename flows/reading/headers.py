"""Finding a sheet's indicator table by its header, and what each of its columns holds.

:func:`find_header` takes the first row naming a name column and a value or target column
(:func:`_header_row_roles`), and the row under it when every cell there is a known header
holding values (:func:`_sub_header_roles`): a two-row header. A merged cell ("Thực hiện"
over several years) reads in its first column only, and the years written under it
(``Năm 2021``, ``Ước 2023``, read by :func:`classify_header`) replace it as year columns.
Column roles come from :data:`HEADER_PATTERNS`: new layouts are supported by extending it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from flows.domain.periods import parse_year_header
from flows.domain.textnorm import fold_words, normalize_text
from flows.domain.values import original_text_of
from flows.reading.workbook import SheetGrid

# The header is looked for in the first rows only: a title and metadata block is short.
MAX_HEADER_SEARCH_ROWS = 60


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


__all__ = [
    "ColumnRole",
    "HeaderLayout",
    "classify_header",
    "find_header",
]
