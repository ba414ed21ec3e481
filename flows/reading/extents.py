"""How large calamine would build each sheet of an .ods or .xls file, measured without it.

calamine builds every sheet of an .ods or .xls workbook when it opens the file, each as a
dense grid from its first to its last non-empty cell, before anything can look at its
size; a failed allocation aborts the whole process. A 1.2 KB .ods whose row is repeated
1,048,576 times with a cell repeated 64 times asks it for 64 million cells (8 GB). The
scans here read the same bytes calamine would and add up what it would build, holding
nothing but counters: :mod:`flows.reading.safety` compares the result with its limits.

- **ODS**: ``content.xml`` is streamed through expat, element by element. As calamine
  does, a row or cell counts only from its last cell holding a value or a formula
  (trailing empty cells and rows cost nothing), and repeats are capped at 1,048,576 rows
  and 16,384 columns. Element names are matched as written (``table:table-row``), as
  calamine matches them, whatever namespace the prefix is bound to.
- **XLS** (BIFF5/8 in an OLE compound file): the ``Workbook`` stream is read through the
  compound file's sector chains, refusing a chain that loops, leaves the file or ends
  nowhere (calamine would loop, panic or read past the end); then, for each sheet a
  BOUNDSHEET record points at, the extent its DIMENSIONS records declare (calamine
  reserves it) and the extent and number of its cell records.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO
from xml.parsers import expat

# calamine's caps on an .ods sheet (the limits of an Excel sheet).
ODS_MAX_ROWS = 1_048_576
ODS_MAX_COLUMNS = 16_384
_ODS_VALUE_ATTRIBUTES = (
    "office:value",
    "office:string-value",
    "office:date-value",
    "office:time-value",
    "office:boolean-value",
)
_ODS_CELLS = frozenset({"table:table-cell", "table:covered-table-cell"})
_READ_BLOCK = 1 << 20


class DamagedContainer(ValueError):
    """The file's structure is inconsistent in a way a reader could loop or crash on."""


@dataclass(frozen=True)
class SheetExtent:
    """What a reader would build for one sheet: a grid of ``rows`` × ``columns`` cells.

    ``declared`` marks an extent the file declares rather than fills (an XLS DIMENSIONS
    record, which calamine reserves); ``records`` counts cell records (XLS only).
    """

    name: str
    rows: int
    columns: int
    records: int = 0
    declared: bool = False

    @property
    def cells(self) -> int:
        return self.rows * self.columns


# ------------------------------------------------------------------ ODS


# What calamine's reader is doing as the events of content.xml go by.
_OUTSIDE, _TABLE, _ROW, _SKIP, _STRING = range(5)


class _OdsCounter:
    """expat handlers that follow calamine's reading of content.xml, event by event.

    calamine matches start and end events by name, without regard to nesting: a table
    starts at ``table:table`` (one with a name) and ends at the next end of any table; a
    row ends at the next end of any row; a string cell's text runs to the next end of any
    cell; the content of another cell is skipped to the end of the same element. Following
    the same events, the counts cannot be fooled by nesting a table in a cell. Where
    calamine would give up on the file (an unexpected element in a row), counting goes on:
    it can only count more than calamine would build.
    """

    def __init__(self) -> None:
        self.sheets: list[SheetExtent] = []
        self._mode = _OUTSIDE
        self._skipping, self._depth = "", 0  # the element skipped, and how deep inside it
        # The table being read: its name, its next row, its first and last rows holding
        # content, and the columns up to the last content of any row.
        self._table, self._next_row, self._first_row, self._last_row = "", 0, -1, -1
        self._width = 0
        # The row being read: its repeats, the columns up to its last content, and where
        # its next cell starts.
        self._row_repeats, self._row_width, self._column = 0, 0, 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        mode = self._mode
        if mode == _SKIP:
            self._depth += name == self._skipping
        elif mode == _ROW and name in _ODS_CELLS:
            self._cell(name, attributes)
        elif mode == _TABLE and name == "table:table-row":
            repeats = _repeat(attributes.get("table:number-rows-repeated"))
            self._row_repeats = min(repeats, ODS_MAX_ROWS - self._next_row)
            self._row_width = self._column = 0
            self._mode = _ROW
        elif mode == _OUTSIDE and name == "table:table" and "table:name" in attributes:
            self._table, self._next_row, self._first_row, self._last_row = (
                attributes["table:name"],
                0,
                -1,
                -1,
            )
            self._width = 0
            self._mode = _TABLE

    def _cell(self, name: str, attributes: dict[str, str]) -> None:
        repeats = _repeat(attributes.get("table:number-columns-repeated"))
        end = min(self._column + repeats, ODS_MAX_COLUMNS)
        valued = any(attribute in attributes for attribute in _ODS_VALUE_ATTRIBUTES)
        text = not valued and attributes.get("office:value-type") == "string"
        if (valued or text or attributes.get("table:formula")) and end > self._column:
            self._row_width = end
        self._column = end
        if text:  # calamine reads the text, up to the end of any cell
            self._mode = _STRING
        else:  # calamine skips the cell's content, to the end of this element
            self._mode, self._skipping, self._depth = _SKIP, name, 0

    def end(self, name: str) -> None:
        mode = self._mode
        if mode == _SKIP and name == self._skipping:
            if self._depth:
                self._depth -= 1
            else:
                self._mode = _ROW
        elif mode == _STRING and name in _ODS_CELLS:
            self._mode = _ROW
        elif mode == _ROW and name == "table:table-row":
            if self._row_width and self._row_repeats:
                if self._first_row < 0:
                    self._first_row = self._next_row
                self._last_row = self._next_row + self._row_repeats - 1
                self._width = max(self._width, self._row_width)
            self._next_row += self._row_repeats
            self._mode = _TABLE
        elif mode == _TABLE and name == "table:table":
            rows = self._last_row - self._first_row + 1 if self._first_row >= 0 else 0
            self.sheets.append(SheetExtent(self._table, rows, self._width if rows else 0))
            self._mode = _OUTSIDE


def _repeat(value: str | None) -> int:
    if value is None:
        return 1
    try:
        repeats = int(value)
    except ValueError:
        raise DamagedContainer(f"repeat count {value[:20]!r}") from None
    if repeats < 0:
        raise DamagedContainer(f"repeat count {repeats}")
    return repeats


def ods_sheet_extents(content: IO[bytes]) -> list[SheetExtent]:
    """Each table of an .ods ``content.xml`` (a binary stream), as calamine would build it.

    Rows count from a table's first row with content to its last one; columns from column A
    to the last cell with content of any row: what calamine holds while it builds the grid.
    Raises :class:`DamagedContainer` for XML that does not parse or a repeat that is no
    number, which calamine refuses too.
    """
    counter = _OdsCounter()
    parser = expat.ParserCreate()
    parser.StartElementHandler = counter.start
    parser.EndElementHandler = counter.end
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.buffer_text = True
    try:
        for block in iter(lambda: content.read(_READ_BLOCK), b""):
            parser.Parse(block, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise DamagedContainer(f"content.xml: {error}") from None
    return counter.sheets


def _refuse_dtd(*_: object) -> None:
    raise DamagedContainer("content.xml declares a DTD")


# ------------------------------------------------------------------ XLS: the compound file

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFF_FFFE
_DIFAT_SECTOR = 0xFFFF_FFFC
_RESERVED = 0xFFFF_FFFA
_MINI_SECTOR = 64
_MINI_STREAM_CUTOFF = 4096
# The names calamine looks the workbook stream up by, in its order.
_WORKBOOK_STREAMS = ("Workbook", "Book", "WORKBOOK", "BOOK")


class _CompoundFile:
    """The sectors of an OLE compound file, and chains read through them, checked as read."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or not data.startswith(OLE_MAGIC):
            raise DamagedContainer("no compound file header")
        shift, mini_shift = struct.unpack_from("<HH", data, 30)
        if shift not in (9, 12) or mini_shift != 6:
            raise DamagedContainer("sector sizes")
        self.data, self.size = data, 1 << shift
        # The sectors after the header (which takes one sector), a short last one included.
        self.sectors = max(0, -(-(len(data) - self.size) // self.size))
        fat_sectors, self.dir_start = struct.unpack_from("<LL", data, 44)
        mini_fat_start, mini_fat_sectors, difat_start = struct.unpack_from("<LLL", data, 60)
        # calamine reserves these many entries before reading anything (the second is how
        # it reads the DIFAT's length: bytes 62-65 of the header).
        quirk = struct.unpack_from("<L", data, 62)[0]
        if max(fat_sectors, mini_fat_sectors) > self.sectors or quirk > 1 << 24:
            raise DamagedContainer("sector counts beyond the file")
        self.fat: list[int] = []
        for sector in self._difat(data, difat_start):
            self.fat.extend(_words(self._sector(sector)))
        self.directory = self.chain(self.dir_start, self.fat, self._sector, None)
        if len(self.directory) % 128:  # a short last sector: calamine reads past an entry's end
            raise DamagedContainer("the directory ends inside an entry")
        root_start, root_size = self._entry(0)[1:]
        self.mini_fat: list[int] = []
        self.mini_stream = b""
        if mini_fat_sectors:
            self.mini_stream = self.chain(root_start, self.fat, self._sector, root_size)
            length = mini_fat_sectors * self.size
            self.mini_fat = _words(self.chain(mini_fat_start, self.fat, self._sector, length))

    def _sector(self, sector: int) -> bytes:
        if sector >= self.sectors:
            raise DamagedContainer(f"sector {sector} past the end of the file")
        start = (sector + 1) * self.size
        return self.data[start : start + self.size]

    def _mini_sector(self, sector: int) -> bytes:
        start = sector * _MINI_SECTOR
        if start >= len(self.mini_stream):
            raise DamagedContainer(f"mini sector {sector} past the end of the mini stream")
        return self.mini_stream[start : start + _MINI_SECTOR]

    def _difat(self, data: bytes, sector: int) -> list[int]:
        """The FAT's sectors: 109 in the header, the rest in a chain of DIFAT sectors."""
        entries = list(struct.unpack_from("<109L", data, 76))
        seen = set()
        while sector < _RESERVED:
            if sector in seen:
                raise DamagedContainer("the DIFAT chain loops")
            seen.add(sector)
            words = _words(self._sector(sector))
            if not words:
                raise DamagedContainer("a DIFAT sector is empty")
            entries.extend(words)
            sector = entries.pop()  # a DIFAT sector's last word links to the next one
        return [entry for entry in entries if entry < _DIFAT_SECTOR]

    @staticmethod
    def chain(start: int, table: list[int], read, length: int | None) -> bytes:
        """A chain of sectors from ``start``, through ``table``, up to ``length`` bytes.

        As calamine reads it: a chain ends at ENDOFCHAIN or once ``length`` bytes are read
        (None: only at ENDOFCHAIN). A loop, or a link outside ``table``, is refused.
        """
        parts, total, seen, sector = [], 0, set(), start
        while sector != _END_OF_CHAIN:
            if sector in seen:
                raise DamagedContainer("a sector chain loops")
            seen.add(sector)
            block = read(sector)
            parts.append(block)
            total += len(block)
            if length is not None and total >= length:
                break
            if sector >= len(table):
                raise DamagedContainer(f"sector {sector} outside the allocation table")
            sector = table[sector]
        data = b"".join(parts)
        return data if length is None else data[:length]

    def _entry(self, index: int) -> tuple[str, int, int]:
        """(name, first sector, size) of the directory's ``index``-th entry."""
        entry = self.directory[index * 128 : index * 128 + 128]
        if len(entry) < 128:
            raise DamagedContainer("directory entry missing")
        name = entry[:64].decode("utf-16-le", errors="replace").split("\x00", 1)[0]
        start = struct.unpack_from("<L", entry, 116)[0]
        size_format = "<L" if self.size == 512 else "<Q"
        return name, start, struct.unpack_from(size_format, entry, 120)[0]

    def stream(self, names: tuple[str, ...]) -> bytes | None:
        """The first stream named as one of ``names`` (tried in order); None if none is."""
        entries = [self._entry(i) for i in range(len(self.directory) // 128)]
        for wanted in names:
            for name, start, size in entries:
                if name != wanted:
                    continue
                if size < _MINI_STREAM_CUTOFF:
                    return self.chain(start, self.mini_fat, self._mini_sector, size)
                if size > len(self.data):
                    raise DamagedContainer(f"stream {name!r} larger than the file")
                return self.chain(start, self.fat, self._sector, size)
        return None


def _words(block: bytes) -> list[int]:
    """The little-endian 32-bit words of a sector (a short last sector gives fewer)."""
    return list(struct.unpack_from(f"<{len(block) // 4}L", block))


# ------------------------------------------------------------------ XLS: the BIFF records

_BOF, _EOF, _BOUNDSHEET, _DIMENSIONS, _FILEPASS = 0x0809, 0x000A, 0x0085, 0x0200, 0x002F
_FORMULA, _STRING, _MULRK = 0x0006, 0x0207, 0x00BD
# Records calamine reads one cell from, at the row and column of their first four bytes.
_ONE_CELL = frozenset({0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD})


def _records(stream: bytes, offset: int = 0) -> Iterator[tuple[int, int, int]]:
    """(type, offset of the data, length) of each whole record from ``offset`` on."""
    while offset + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, offset)
        if offset + 4 + length > len(stream):
            return  # cut short: calamine stops there with an error
        yield kind, offset + 4, length
        offset += 4 + length


def xls_sheet_extents(data: bytes, max_records: int) -> list[SheetExtent]:
    """The extents calamine would reserve and build for each sheet of an .xls file.

    For each BOUNDSHEET record of the workbook globals (a sheet pointed at twice is built
    twice), the extent of each DIMENSIONS record (``declared``) and the extent and number
    of the sheet's cell records. A sheet's scan stops once it counted more than
    ``max_records`` cells. Raises :class:`DamagedContainer` for a compound file whose
    chains loop or leave the file, or a sheet that starts past the end of the stream.
    """
    stream = _CompoundFile(data).stream(_WORKBOOK_STREAMS)
    if stream is None:
        return []
    extents = []
    for kind, start, length in _records(stream):
        if kind == _EOF:
            break
        if kind == _FILEPASS and length >= 2 and stream[start : start + 2] != b"\0\0":
            return []  # encrypted: calamine refuses it as password-protected, reading no sheet
        if kind == _BOUNDSHEET:
            if length < 6:
                raise DamagedContainer("a BOUNDSHEET record is cut short")
            position = struct.unpack_from("<L", stream, start)[0]
            if position > len(stream):
                raise DamagedContainer(f"a sheet starts at {position}, past the stream")
            name = _sheet_name(stream[start + 6 : start + length])
            extents.extend(_sheet_extents(stream, position, name, max_records))
    return extents


def _sheet_name(data: bytes) -> str:
    """A BOUNDSHEET's sheet name, best effort (it only names the sheet in a refusal)."""
    if len(data) >= 2 and data[1] in (0, 1):  # BIFF8: length, then whether UTF-16
        raw = data[2 : 2 + data[0] * (2 if data[1] else 1)]
        return raw.decode("utf-16-le" if data[1] else "latin-1", errors="replace")
    return data[1 : 1 + data[0]].decode("latin-1") if data else ""


def _sheet_extents(stream: bytes, position: int, name: str, max_records: int):
    """The declared extents and the cells' extent of the sheet substream at ``position``."""
    declared, count, depth, seen_bof = [], 0, 0, False
    rows: set[int] = set()
    columns: set[int] = set()
    formula_at = (0, 0)  # where calamine puts a STRING record's text (a formula's result)
    for kind, start, length in _records(stream, position):
        if depth:  # a substream nested in the sheet (an embedded chart): calamine skips it
            depth += {_BOF: 1, _EOF: -1}.get(kind, 0)
            continue
        if kind == _EOF:
            break
        if kind == _BOF:
            depth = 1 if seen_bof else 0  # the first BOF is the sheet's own
            seen_bof = True
        elif kind in _ONE_CELL and length >= 4:
            row, column = struct.unpack_from("<HH", stream, start)
            rows.add(row)
            columns.add(column)
            count += 1
        elif kind == _FORMULA and length >= 20:
            formula_at = struct.unpack_from("<HH", stream, start)
            rows.add(formula_at[0])
            columns.add(formula_at[1])
            count += 1
        elif kind == _STRING:
            rows.add(formula_at[0])
            columns.add(formula_at[1])
            count += 1
        elif kind == _MULRK and length >= 6:
            row, first = struct.unpack_from("<HH", stream, start)
            last = struct.unpack_from("<H", stream, start + length - 2)[0]
            if last >= first and length == 6 + 6 * (last - first + 1):
                rows.add(row)
                columns.update((first, last))
                count += last - first + 1
        elif kind == _DIMENSIONS:
            declared.append(_dimensions(stream[start : start + length], name))
        if count > max_records:
            break
    used = (
        SheetExtent(name, max(rows) - min(rows) + 1, max(columns) - min(columns) + 1, count)
        if rows
        else SheetExtent(name, 0, 0, count)
    )
    return [*declared, used]


def _dimensions(data: bytes, name: str) -> SheetExtent:
    """The extent calamine reserves for a DIMENSIONS record, with its 32-bit arithmetic."""
    if len(data) == 14:
        first_row, end_row, first_col, end_col = struct.unpack_from("<LLHH", data)
    elif len(data) == 10:
        first_row, end_row, first_col, end_col = struct.unpack_from("<HHHH", data)
    else:
        return SheetExtent(name, 0, 0, declared=True)  # calamine refuses the file
    if first_col > 0xFF or end_col < first_col:
        first_col = 0
    if end_row < 1 or end_col < 1:
        return SheetExtent(name, 1, 1, declared=True)
    # A last row before the first wraps around in calamine, to some four billion rows.
    return SheetExtent(name, (end_row - first_row) % (1 << 32), end_col - first_col, declared=True)
