"""Which numbers of an .xls (BIFF5/BIFF8) workbook are formatted as a percentage.

calamine reads an .xls file's values but not their number formats, so 0.845 shown as
``84,5 %`` would read as 0.845. The formats are read here, as for .xlsx and .ods in
:mod:`flows.reading.workbook`: xlrd (``formatting_info=True``, ``on_demand=True``) parses
the workbook globals, that is every cell style (XF record) and the number format it
points at, built-in or custom. xlrd's sheet reader is not used: it builds each sheet's
grid from A1 in Python and, with formats on, keeps every blank cell too, so a sheet the
extent check accepts (a column of cells in column IV) could still cost it 65,536 × 256
slots. Instead each worksheet's number records are walked here, keeping only the
positions of those under a percent style: a sheet with more numbers than a sheet may hold
cells gets no formats, and the walk of all sheets reads at most as many records as the
stream can hold.

Best effort: calamine has read the values already, so anything xlrd or the walk does not
understand gives no formats rather than a failure.
"""

from __future__ import annotations

import re
import struct
from collections import Counter
from collections.abc import Iterator

import xlrd

from flows.reading.safety import DEFAULT_LIMITS, Limits

# A custom format is a percentage when it holds a "%" outside quoted text and escapes,
# as the xlsx path reads one; xlrd gives the built-in ones their text ("0%", "0.00%").
_QUOTED_OR_ESCAPED = re.compile(r'"[^"]*"|\\.')
_FIRST_BIFF_WITH_SHEET_STREAMS = 50  # BIFF5; calamine reads no older .xls either

_BOF, _EOF = 0x0809, 0x000A
_NUMBER, _RK, _MULRK, _FORMULA = 0x0203, 0x027E, 0x00BD, 0x0006
# A FORMULA record's cached result is a number unless its last two bytes are 0xFFFF.
_NOT_A_NUMBER = b"\xff\xff"

Position = tuple[int, int]


class _DiscardLog:
    """xlrd writes its warnings to a file object; a landed file's quirks are not news."""

    def write(self, _text: str) -> int:
        return 0


def xls_percent_cells(
    data: bytes, limits: Limits = DEFAULT_LIMITS
) -> dict[str, frozenset[Position]]:
    """The 0-based ``(row, column)`` of numbers under a percent format, by worksheet name.

    Sheets without any, or whose name is not unique, are left out; any failure gives ``{}``.
    """
    try:
        book = xlrd.open_workbook(
            file_contents=data, formatting_info=True, on_demand=True, logfile=_DiscardLog()
        )
    except Exception:
        return {}
    try:
        return _percent_cells(book, limits)
    except Exception:
        return {}
    finally:
        book.release_resources()


def _percent_cells(book: xlrd.Book, limits: Limits) -> dict[str, frozenset[Position]]:
    if book.biff_version < _FIRST_BIFF_WITH_SHEET_STREAMS:
        return {}
    percent_styles = _percent_styles(book)
    if not percent_styles:
        return {}  # most workbooks: no cell style shows a percentage, no sheet is walked
    names = book.sheet_names()
    # xlrd 2.0.2 (pinned; xlrd is no longer developed) keeps the workbook stream and the
    # position of each worksheet's BOF record in it, as its own sheet reader uses them.
    walk = _SheetWalk(book.mem, percent_styles, limits)
    seen = Counter(names)
    found: dict[str, frozenset[Position]] = {}
    for name, position in zip(names, book._sh_abs_posn, strict=True):
        if seen[name] > 1:
            continue  # calamine's sheets are matched by name: which one would be unsure
        cells = walk.percent_cells(position)
        if cells is None:
            return {}  # more records than the whole stream holds: sheets overlap, or loop
        if cells:
            found[name] = cells
    return found


def _percent_styles(book: xlrd.Book) -> frozenset[int]:
    """Indices of the cell styles (XF records, not named styles) showing a percentage."""
    styles = set()
    for index, xf in enumerate(book.xf_list):
        number_format = book.format_map.get(xf.format_key)
        if xf.is_style or number_format is None:
            continue
        if "%" in _QUOTED_OR_ESCAPED.sub("", number_format.format_str or ""):
            styles.add(index)
    return frozenset(styles)


class _SheetWalk:
    """Walks sheet substreams for their numbers under a percent style, within a budget.

    Sheets of a real workbook do not overlap, so walking all of them reads each record of
    the stream at most once: the budget of record headers is what the stream can hold. A
    crafted file pointing many sheets at one long substream runs out of it, instead of
    costing the walk many times the file.
    """

    def __init__(self, stream: bytes, percent_styles: frozenset[int], limits: Limits) -> None:
        self.stream = stream
        self.percent_styles = percent_styles
        self.limits = limits
        self.records_left = len(stream) // 4

    def percent_cells(self, position: int) -> frozenset[Position] | None:
        """The sheet's percent cells; none past the cell limit; None once out of budget."""
        found = set()
        for numbers, (row, column, style) in enumerate(self._number_cells(position), start=1):
            if numbers > self.limits.max_cells_per_sheet:
                return frozenset()
            if style in self.percent_styles:
                found.add((row, column))
        return None if self.records_left < 0 else frozenset(found)

    def _number_cells(self, position: int) -> Iterator[tuple[int, int, int]]:
        """(row, column, style) of each number record of the sheet substream at ``position``.

        As calamine reads them: the substream runs from its BOF to its EOF, a substream
        nested in it (an embedded chart) is skipped, and a record cut short by the end of
        the stream ends the walk.
        """
        stream, depth, offset = self.stream, 0, position
        while offset + 4 <= len(stream):
            self.records_left -= 1
            if self.records_left < 0:
                return
            kind, length = struct.unpack_from("<HH", stream, offset)
            start, offset = offset + 4, offset + 4 + length
            if offset > len(stream):
                return
            if kind == _BOF:
                depth += 1
            elif kind == _EOF:
                depth -= 1
                if depth <= 0:
                    return
            elif depth != 1:
                continue
            elif kind in (_NUMBER, _RK) and length >= 6:
                yield struct.unpack_from("<HHH", stream, start)
            elif kind == _FORMULA and length >= 14:
                if stream[start + 12 : start + 14] != _NOT_A_NUMBER:
                    yield struct.unpack_from("<HHH", stream, start)
            elif kind == _MULRK and length >= 12 and (length - 6) % 6 == 0:
                row, first = struct.unpack_from("<HH", stream, start)
                for index in range((length - 6) // 6):
                    style = struct.unpack_from("<H", stream, start + 4 + 6 * index)[0]
                    yield row, first + index, style
