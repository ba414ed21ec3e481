"""The cells of a plain xlsx workbook, read straight from the package XML.

Most submissions are plain xlsx files: worksheets of numbers, dates and strings,
the strings either inline (``t="inlineStr"``, as openpyxl writes) or indexes into
``xl/sharedStrings.xml`` (``t="s"``, as Excel, LibreOffice, WPS and Google Sheets
write). The container check (:mod:`flows.reading.safety`) has already inflated those parts;
reading them here with a few regular expressions costs a fraction of handing the
bytes to calamine, which unzips and parses every part again.

Only shapes understood exactly are read this way, and the result is the same grid
:func:`flows.reading.workbook._calamine_rows` makes from calamine's cells, value for value and
type for type. Anything else (a date or time format other than a plain date, an odd
attribute, an unknown escape, a namespace prefix, a chart sheet, the 1904 date
system, a part too large to have been kept...) makes :func:`read_plain_xlsx` return
None, and the file goes to calamine: falling back is always correct.
tests/test_xlsx_cells.py compares both readers on demo files, on the same files
rewritten with shared strings, and on edge cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache, partial
from operator import itemgetter
from typing import Protocol

from defusedxml import ElementTree

from flows.reading.safety import Extent, cell_reference_extent, merged_extent

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_WORKSHEET_REL_TYPE = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
)
_WORKSHEET_ROOT = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
# The error values calamine knows; it refuses a workbook holding another (#SPILL!...).
# Compared as bytes: an error cell's text may not even be UTF-8 (then calamine decides).
_CALAMINE_ERRORS = frozenset(
    {b"#DIV/0!", b"#N/A", b"#NAME?", b"#NULL!", b"#NUM!", b"#REF!", b"#VALUE!"}
)
_SHARED_STRINGS_PART = "xl/sharedStrings.xml"
_STYLES_PART = "xl/styles.xml"

# An inline string's body: one text element (nearly always), or rich-text and phonetic
# runs made of these tags and run properties only; :func:`_string_item` reads either.
_INLINE_BODY = (
    rb'<t(?: xml:space="preserve")?>[^<]*+</t>'
    rb"|(?:</?(?:r|rPr|t|rPh)(?: [a-zA-Z:]{1,12}=\"[^\"<>]*+\")*>"
    rb"|<(?:b|i|u|strike|condense|extend|outline|shadow|vertAlign|sz|color|rFont|family"
    rb"|charset|scheme|phoneticPr)(?: [a-zA-Z:]{1,12}=\"[^\"<>]*+\")*/>|[^<]++)*+"
)
# The worksheet's sheetData is split at every '<c r="'; each piece must then be one cell as
# Excel, LibreOffice and openpyxl write it, followed only by row tags and blanks.
# Attributes r, s, t in that order (plus Excel's cm/vm/ph flags, which change nothing
# read here), then either "/>" or an optional formula, a value or an inline string and
# "</c>". The groups: column letters, row digits, style, type, "/" when the cell closes
# at once, formula, value (from "<v>"), inline string (from "<is>").
_CELL_START = b'<c r="'
_ROW_TAGS = rb"(?:\s|</row>|<row\b[^<>]*+>)*+"
_CELL_PIECE = re.compile(
    rb'([A-Z]{1,3})([0-9]{1,7})"(?: s="([0-9]{1,5})")?(?: t="([a-zA-Z]{1,9})")?'
    rb'(?: (?:cm|vm|ph)="[0-9]{1,5}")*'
    rb"(?:(/)>|>(<f(?: [a-zA-Z0-9]{1,12}=\"[^\"<>]*+\")*(?:/>|>[^<]*+</f>))?"
    rb"(?:(<v>[^<]*+)</v>)?(?:(<is>(?:" + _INLINE_BODY + rb"))</is>)?</c>)" + _ROW_TAGS
)
_LEADING_ROW_TAGS = re.compile(_ROW_TAGS)

# A string item (<si> or <is>): one text element, or rich-text runs, optionally followed
# by phonetic runs (<rPh>, furigana), which Excel and calamine leave out of the text.
_PLAIN_TEXT = re.compile(rb'<t(?: xml:space="(preserve)")?>([^<]*)</t>|<t/>|')
_RUN = re.compile(
    rb'<r>(?:<rPr>(?:<[a-zA-Z]{1,12}(?: [a-zA-Z]{1,12}="[^"<>]*")*/>)*</rPr>)?'
    rb'(?:<t(?: xml:space="(preserve)")?>([^<]*)</t>|<t/>)</r>'
)
_RUNS = re.compile(rb"(?:" + _RUN.pattern + rb")+")
_PHONETIC_TAIL = re.compile(
    rb'(?:<rPh sb="[0-9]{1,5}" eb="[0-9]{1,5}"><t(?: xml:space="preserve")?>[^<]*</t></rPh>)*'
    rb'(?:<phoneticPr(?: [a-zA-Z]{1,12}="[^"<>]*")*/>)?\Z'
)
_SHARED_STRINGS = re.compile(
    rb'^(?:<\?xml[^<>]*\?>)?\s*<sst xmlns="http://schemas.openxmlformats.org/'
    rb'spreadsheetml/2006/main"(?: [a-zA-Z:]{1,20}="[^"<>]*")*(?:/>|>(.*)</sst>)\s*\Z',
    re.DOTALL,
)

_XML_ESCAPE = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));")
_NAMED_ESCAPES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
# Characters Excel cannot store in XML are written as _xHHHH_; calamine decodes them
# after the entities and after trimming the text.
_EXCEL_ESCAPE = re.compile(r"_x([0-9a-fA-F]{4})_")
# What calamine trims from a text element without xml:space="preserve" (XML blanks only).
_XML_BLANKS = " \t\r\n"
_XML_BLANKS_BYTES = _XML_BLANKS.encode()

# Built-in number formats calamine reads as a plain float: General, numbers, percents,
# scientific, accounting without currency. Fractions, currencies and the rest go back.
_PLAIN_BUILTIN_FORMATS = frozenset({0, 1, 2, 3, 4, 9, 10, 11, 37, 38, 39, 40, 48, 49})
# The built-in short date (d/m/yyyy in the reader's locale).
_DATE_BUILTIN_FORMATS = frozenset({14})
# A custom format is a plain number when, outside quoted text and [colour] brackets,
# only these characters remain; a plain date when only day, month and year fields do.
_QUOTED_OR_ESCAPED = re.compile(r'"[^"]*"|\\.')
_COLOUR = re.compile(r"\[(?:Red|Black|Blue|Cyan|Green|Magenta|White|Yellow|Color\d{1,2})\]", re.I)
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_NUMBER_CODE = re.compile(r"[0#.,%;?E+\- ]*")
_DATE_CODE = re.compile(r"(?:dd?|mm?|yy(?:yy)?)(?:[/\-. ](?:dd?|mm?|yy(?:yy)?))*", re.I)
# Whole serial numbers calamine turns into a plain date (below 61 lies Excel's
# fictitious 29 February 1900; above is beyond 9999-12-31).
_FIRST_PLAIN_SERIAL, _LAST_PLAIN_SERIAL = 61, 2958465
_EXCEL_EPOCH = date(1899, 12, 30)
# How many decoded cells are kept per number styles before starting afresh: a template's
# labels and usual numbers, with a bound on memory whatever the files hold.
_DECODED_CELLS_KEPT = 4096


class _NotPlain(Exception):
    """The workbook holds something not read here exactly as calamine reads it."""


class Package(Protocol):
    """The part of :class:`flows.reading.safety.OpenedPackage` read here."""

    def namelist(self) -> list[str]: ...

    def kept(self, name: str) -> bytes | None: ...

    def record_extent(self, name: str, extent: Extent | None) -> None: ...

    def check_worksheet_extents(self) -> None: ...


@dataclass
class PlainSheet:
    """One worksheet's cells as :func:`flows.reading.workbook._calamine_rows` gives them.

    ``height`` and ``width`` are calamine's: the used range, from the first to the last
    cell holding a value.
    """

    name: str
    index: int
    visible: bool
    rows: list[list]
    height: int
    width: int
    # For flows.reading.workbook's scan for what calamine does not tell (error texts, percent
    # formats), which parses the XML again only when it may find something: the styles of
    # the cells holding a number (as in their ``s`` attribute, "" for none), and whether
    # the sheet holds an error cell or a cell element outside its sheetData.
    number_cell_styles: frozenset[str]
    may_hold_error_cells: bool


def read_plain_xlsx(package: Package) -> list[PlainSheet] | None:
    """The worksheets of a plain xlsx package, in workbook order; None to let calamine read it.

    Only parts the container check kept in memory are read, so a large or unusual part
    always goes to calamine.

    The container check leaves the extent check of those parts to the reader: each sheet
    read here is measured before its rows are built, and whatever is not measured is
    scanned before this returns or raises, so calamine never opens a huge sheet unchecked.
    """
    try:
        return _read_plain_sheets(package)
    finally:
        # A refusal replaces whatever else reading raised, as when the container check
        # refused a huge sheet before reading began.
        package.check_worksheet_extents()


def _read_plain_sheets(package: Package) -> list[PlainSheet] | None:
    """The worksheets, as :func:`read_plain_xlsx` gives them, measuring each sheet read."""
    names = package.namelist()
    if "xl/workbook.xml" not in names or len(set(names)) != len(names):
        return None
    workbook_xml = package.kept("xl/workbook.xml")
    relations_xml = package.kept("xl/_rels/workbook.xml.rels")
    if workbook_xml is None or relations_xml is None:
        return None
    plan = _sheet_plan(workbook_xml, relations_xml)
    if plan is None:
        return None
    number_styles: _NumberStyles | None = _NO_STYLES
    if _STYLES_PART in names:
        styles_xml = package.kept(_STYLES_PART)
        number_styles = _number_styles(styles_xml) if styles_xml is not None else None
        if number_styles is None:
            return None
    strings: tuple[str, ...] = ()
    if _SHARED_STRINGS_PART in names:
        strings_xml = package.kept(_SHARED_STRINGS_PART)
        if strings_xml is None:
            return None
        try:
            strings = _shared_strings(strings_xml)
        except _NotPlain:
            return None
    sheets = []
    for index, (name, part, visible) in enumerate(plan):
        xml = package.kept(part) if part in names else None
        if xml is None:
            return None
        try:
            check_extent = partial(package.record_extent, part)
            sheet = _sheet_cells(xml, number_styles, strings, check_extent)
        except _NotPlain:
            return None
        sheets.append(PlainSheet(name, index, visible, *sheet))
    return sheets


@lru_cache(maxsize=256)
def _sheet_plan(
    workbook_xml: bytes, relations_xml: bytes
) -> tuple[tuple[str, str, bool], ...] | None:
    """(sheet name, worksheet part, visible) in workbook order, or None when not plain.

    Plain: the 1900 date system, and every sheet a worksheet (no chart, dialog or macro
    sheet) with a distinct name, a relationship and a known visibility state.
    """
    if b"date1904" in workbook_xml or b"<!" in workbook_xml or b"<!" in relations_xml:
        return None
    try:
        workbook = ElementTree.fromstring(workbook_xml)
        relations = ElementTree.fromstring(relations_xml)
    except Exception:
        return None
    if workbook.tag != f"{_NS_MAIN}workbook":
        return None
    rels = {
        rel.get("Id"): (rel.get("Type"), rel.get("Target", ""))
        for rel in relations.iter(f"{_NS_PKG_REL}Relationship")
    }
    plan = []
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        rel = rels.get(sheet.get(f"{_NS_REL}id"))
        state = sheet.get("state", "visible")
        if rel is None or rel[0] != _WORKSHEET_REL_TYPE or not rel[1]:
            return None
        if state not in ("visible", "hidden", "veryHidden"):
            return None
        target = rel[1]
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        plan.append((sheet.get("name", ""), part, state == "visible"))
    names = [name for name, _part, _visible in plan]
    if not plan or len(set(names)) != len(names) or not all(names):
        return None
    return tuple(plan)


# A cell decoded from its piece of XML: ((row, column) or None when it holds no value, its
# value as calamine reads it, its shared string index or None, its (row, column)
# reference, whether it holds a value or not, and its part in the scan for extras: its
# style for a number, _ERROR_CELL for an error, None for any other cell). Rows and
# columns count from 0.
_DecodedCell = tuple[tuple[int, int] | None, object, int | None, tuple[int, int], str | None]
_ERROR_CELL = "error cell"  # never a style, which is digits
_row_of, _column_of, _extras_hint = itemgetter(0), itemgetter(1), itemgetter(4)
# A cell element's start tag, with or without a namespace prefix: outside sheetData, the
# reader ignores it (as calamine does) but the scan for extras would not.
_CELL_ELEMENT = re.compile(rb"<(?:[^\s<>/:!?]+:)?c[\s/>]")


@dataclass(frozen=True)
class _NumberStyles:
    """Cell style indices (the ``s`` attribute, as bytes) by how calamine reads a number."""

    plain: frozenset[bytes]
    dates: frozenset[bytes]
    # Decoded cell contents under these styles (see _sheet_cells), filled as files are read.
    decoded: dict[bytes, _DecodedCell] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )


# A workbook without styles.xml: a number without a style is a float, any other goes back.
_NO_STYLES = _NumberStyles(frozenset({b""}), frozenset())


def _format_kind(format_id: str, custom: dict[str, str]) -> str | None:
    """'plain', 'date' or None (anything else, left to calamine) for a number format id."""
    if format_id in custom:
        code = custom[format_id]
        if any(_ASCII_LETTER.search(quoted) for quoted in _QUOTED_OR_ESCAPED.findall(code)):
            return None  # a date letter in quotes: whether calamine skips it is not known
        code = _COLOUR.sub("", _QUOTED_OR_ESCAPED.sub("", code))
        if code == "General" or _NUMBER_CODE.fullmatch(code):
            return "plain"
        if _DATE_CODE.fullmatch(code):
            return "date"
        return None
    if not format_id.isdigit():
        return None
    if int(format_id) in _PLAIN_BUILTIN_FORMATS:
        return "plain"
    if int(format_id) in _DATE_BUILTIN_FORMATS:
        return "date"
    return None


@lru_cache(maxsize=32)
def _number_styles(styles_xml: bytes) -> _NumberStyles | None:
    """Which styles read a number as a float and which as a date; None when unreadable.

    A style of any other format (times, text, currencies, fractions...) is in neither,
    and a number under it sends the workbook to calamine.
    """
    if b"<!" in styles_xml:
        return None
    try:
        root = ElementTree.fromstring(styles_xml)
    except Exception:
        return None
    custom = {
        number_format.get("numFmtId", ""): number_format.get("formatCode", "")
        for number_format in root.iter(f"{_NS_MAIN}numFmt")
    }
    cell_formats = root.find(f"{_NS_MAIN}cellXfs")
    if cell_formats is None:
        return None
    plain, dates = set(), set()
    for index, xf in enumerate(cell_formats.iter(f"{_NS_MAIN}xf")):
        kind = _format_kind(xf.get("numFmtId", "0"), custom)
        style = str(index).encode()
        if kind == "plain":
            plain.add(style)
        elif kind == "date":
            dates.add(style)
    if b"0" in plain:
        plain.add(b"")  # a cell without s has style 0
    if b"0" in dates:
        dates.add(b"")
    return _NumberStyles(frozenset(plain), frozenset(dates))


# ------------------------------------------------------------------ strings


def _unescape_one(match: re.Match) -> str:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED_ESCAPES[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if (code < 0x20 and code not in (0x9, 0xA, 0xD)) or 0xD800 <= code <= 0xDFFF:
        raise _NotPlain
    if code > 0x10FFFF:
        raise _NotPlain
    return chr(code)


def _excel_unescape_one(match: re.Match) -> str:
    code = int(match.group(1), 16)
    if 0xD800 <= code <= 0xDFFF:
        raise _NotPlain  # calamine leaves these as typed: not reproduced here
    return chr(code)


def _text(raw: bytes, preserve: bool) -> str:
    """One text element's content as calamine returns it.

    Entities are decoded, then blanks trimmed unless ``xml:space="preserve"``, then
    Excel's ``_xHHHH_`` escapes decoded. A raw carriage return (which XML turns into a
    line feed) or an entity not reproduced exactly raises _NotPlain.
    """
    try:
        text = raw.decode()
    except UnicodeDecodeError as error:
        raise _NotPlain from error
    if "\r" in text:
        raise _NotPlain
    if "&" in text:
        escapes = text.count("&")
        text, replaced = _XML_ESCAPE.subn(_unescape_one, text)
        if replaced != escapes:
            raise _NotPlain  # an entity calamine would reject or expand differently
    if not preserve:
        text = text.strip(_XML_BLANKS)
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub(_excel_unescape_one, text)
    return text


def _formula_text(raw: bytes) -> str:
    """A formula's cached string (``t="str"``); blanks at either end or escapes go back."""
    text = _text(raw, True)
    if not text or text.strip(_XML_BLANKS) != text or "_x" in raw.decode():
        raise _NotPlain
    return text


@lru_cache(maxsize=65536)
def _string_item(body: bytes) -> str:
    """The text of a shared or inline string item (``<si>`` / ``<is>`` content)."""
    plain = _PLAIN_TEXT.fullmatch(body)
    if plain is not None:
        preserve, raw = plain.groups()
        return _text(raw, preserve is not None) if raw else ""
    phonetic = body.find(b"<rPh")
    if phonetic < 0:
        phonetic = body.find(b"<phoneticPr")
    main = body
    if phonetic >= 0:
        main = body[:phonetic]
        if _PHONETIC_TAIL.match(body, phonetic) is None:
            raise _NotPlain
        plain = _PLAIN_TEXT.fullmatch(main)
        if plain is not None:
            preserve, raw = plain.groups()
            return _text(raw, preserve is not None) if raw else ""
    if not _RUNS.fullmatch(main):
        raise _NotPlain
    texts = []
    for preserve, raw in _RUN.findall(main):
        if b"_x" in raw:
            raise _NotPlain  # an escape could straddle two runs: left to calamine
        texts.append(_text(raw, bool(preserve)) if raw else "")
    return "".join(texts)


def _shared_strings(xml: bytes) -> tuple[str, ...]:
    """Every item of ``xl/sharedStrings.xml``, in order; raises _NotPlain when unusual."""
    whole = _SHARED_STRINGS.match(xml)
    if whole is None or _declares_markup(xml):
        raise _NotPlain
    body = whole.group(1) or b""
    if b"<si/>" in body:
        raise _NotPlain  # an empty item written short: left to calamine
    pieces = body.split(b"</si>")
    if pieces.pop().strip(_XML_BLANKS_BYTES):
        raise _NotPlain  # something after the last item (an extLst...)
    items = []
    for piece in pieces:
        if not piece.startswith(b"<si>"):
            piece = piece.lstrip(_XML_BLANKS_BYTES)  # pretty-printed
            if not piece.startswith(b"<si>"):
                raise _NotPlain  # something between the items
        items.append(_string_item(piece[4:]))
    return tuple(items)


# ------------------------------------------------------------------ cells


def _column_index(letters: bytes) -> int:
    """0-based column of ``B`` (1), ``AA`` (26)."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number - 1


def _number(value: bytes, style: bytes, number_styles: _NumberStyles) -> float | date:
    """A numeric cell as calamine reads it: a float, or a date under a plain date format."""
    if b"_" in value or value.strip() != value:
        raise _NotPlain
    try:
        number = float(value)
    except ValueError as error:
        raise _NotPlain from error
    if number - number != 0:
        raise _NotPlain  # inf or nan
    if style in number_styles.plain:
        return number
    if (
        style in number_styles.dates
        and number.is_integer()
        and _FIRST_PLAIN_SERIAL <= number <= _LAST_PLAIN_SERIAL
    ):
        return _EXCEL_EPOCH + timedelta(days=int(number))
    raise _NotPlain  # a time, a date before March 1900, another format: calamine decides


def _decoded_piece(piece: bytes, number_styles: _NumberStyles) -> _DecodedCell:
    """A cell from the text after its '<c r="' (see :data:`_DecodedCell`).

    A cell holding only a style is outside calamine's range, but not outside the
    container check's. Raises _NotPlain for anything not read exactly as calamine reads it.
    """
    match = _CELL_PIECE.fullmatch(piece)
    if match is None:
        raise _NotPlain
    letters, digits, style, kind, closed, formula, value, inline = match.groups(b"")
    position = (int(digits) - 1, _column_index(letters))
    if closed:
        return None, None, None, position, None  # <c r=".." s=".."/>
    if inline:
        if value or kind != b"inlineStr":
            raise _NotPlain
        # An empty string still counts in calamine's used range, and reads as empty.
        return position, _string_item(inline[4:]) or None, None, position, None
    if not value:
        if kind == b"inlineStr" or formula:
            raise _NotPlain  # an inline string without text, a formula without result
        return None, None, None, position, None
    raw = value[3:]
    cell: object
    if not raw:
        raise _NotPlain  # an empty value: left to calamine
    if kind == b"s":
        if formula or not raw.isdigit():
            raise _NotPlain
        return position, None, int(raw), position, None
    hint = None
    if kind == b"" or kind == b"n":
        cell = _number(raw, style, number_styles)
        hint = style.decode()
    elif kind == b"str":
        cell = _formula_text(raw)
    elif kind == b"b":
        if raw not in (b"0", b"1"):
            raise _NotPlain
        cell = raw == b"1"
    elif kind == b"e":
        if raw not in _CALAMINE_ERRORS:
            raise _NotPlain
        cell = None  # calamine reads an error as empty; the extras hold its text
        hint = _ERROR_CELL
    else:
        raise _NotPlain  # dates (t="d"), unknown types
    return position, cell, None, position, hint


def _declares_markup(xml: bytes) -> bool:
    """Whether the XML holds a comment, CDATA or a DTD (anything opening with '<!').

    A search for one byte runs at memory speed, one for two bytes much slower in XML full
    of '<'; '!' is rare in a part, and '<!' cannot be where it is not.
    """
    return b"!" in xml and b"<!" in xml


def _shared_text(strings: tuple[str, ...], index: int) -> str | None:
    """The text of shared string ``index`` as calamine gives it (None for an empty one)."""
    if index >= len(strings):
        raise _NotPlain
    return strings[index] or None


def _sheet_cells(
    xml: bytes,
    number_styles: _NumberStyles,
    strings: tuple[str, ...],
    check_extent: Callable[[Extent | None], None],
) -> tuple[list[list], int, int, frozenset[str], bool]:
    """A worksheet's rows as :func:`flows.reading.workbook._calamine_rows` gives them, with
    calamine's height and width, then what :class:`PlainSheet` tells the scan for extras.
    Raises _NotPlain for any shape not read exactly as calamine reads it.

    Before any row is built, ``check_extent`` is given the range of every cell reference
    in the XML, which is what the container check's scan would find, and may raise.
    """
    head = xml[:200]
    if b"encoding=" in head and not re.search(rb'encoding=["\']utf-8["\']', head, re.IGNORECASE):
        raise _NotPlain
    start = xml.find(b"<sheetData>")
    end = xml.find(b"</sheetData>")
    if start < 0:
        if b"<sheetData/>" in xml and b"<sheetData" not in xml.replace(b"<sheetData/>", b""):
            check_extent(cell_reference_extent(xml))
            return [], 0, 0, frozenset(), _CELL_ELEMENT.search(xml) is not None
        raise _NotPlain
    if end < start or xml.count(b"<sheetData", start + 1) != 0 or _declares_markup(xml):
        raise _NotPlain  # comments, CDATA, DTDs
    root = xml.find(b"<worksheet ")
    if root < 0 or not xml.startswith(_WORKSHEET_ROOT, root):
        raise _NotPlain  # a prefixed or foreign root element
    start += len(b"<sheetData>")
    leading, *pieces = xml[start:end].split(_CELL_START)
    if not _LEADING_ROW_TAGS.fullmatch(leading):
        raise _NotPlain
    # Labels, units and many numbers repeat, cell for cell, in every file of a template:
    # each distinct piece is matched and decoded once per number styles. The pieces are
    # looked up all at once (at C speed), and only the new ones decoded.
    decoded = number_styles.decoded
    if len(decoded) > _DECODED_CELLS_KEPT:
        decoded.clear()
    cells = list(map(decoded.get, pieces))
    if None in cells:
        for index, known in enumerate(cells):
            if known is None:
                piece = pieces[index]
                cells[index] = decoded[piece] = _decoded_piece(piece, number_styles)
    # Cells holding only a style are outside calamine's range; a shared string's text is
    # looked up in this workbook's strings (an index beyond them is not plain).
    values = {
        position: cell if shared is None else _shared_text(strings, shared)
        for position, cell, shared, _reference, _hint in cells
        if position is not None
    }
    # A cell written twice is not plain. Fewer values than pieces also come from cells
    # holding only a style (usually none): counted only then.
    every_cell_holds_a_value = len(values) == len(cells)
    if not every_cell_holds_a_value:
        styled_only = sum(position is None for position, *_ in cells)
        if len(values) != len(cells) - styled_only:
            raise _NotPlain
    value_bounds = _bounds(values)
    reference_bounds = (
        value_bounds if every_cell_holds_a_value else _bounds([cell[3] for cell in cells])
    )
    # A plain sheetData holds no cell reference but its cells' (see _CELL_PIECE): the rest
    # of the XML is scanned for the others, which calamine ignores but the check counts.
    check_extent(
        merged_extent(
            cell_reference_extent(xml[:start]),
            _numbered(reference_bounds),
            cell_reference_extent(xml[end:]),
        )
    )
    hints = set(map(_extras_hint, cells))
    may_hold_error_cells = (
        _ERROR_CELL in hints
        or _CELL_ELEMENT.search(xml, 0, start) is not None
        or _CELL_ELEMENT.search(xml, end) is not None
    )
    hints.discard(_ERROR_CELL)
    hints.discard(None)
    number_cell_styles = frozenset(hints)
    if value_bounds is None:
        return [], 0, 0, number_cell_styles, may_hold_error_cells
    first_row, last_row, first_col, last_col = value_bounds
    rows: list[list] = [[] for _ in range(first_row)]
    rows.extend([None] * (last_col + 1) for _ in range(last_row - first_row + 1))
    for (row, column), cell in values.items():
        rows[row][column] = cell
    height, width = last_row - first_row + 1, last_col - first_col + 1
    return rows, height, width, number_cell_styles, may_hold_error_cells


def _bounds(positions: Collection[tuple[int, int]]) -> tuple[int, int, int, int] | None:
    """(first row, last row, first column, last column) of (row, column) pairs; None if none."""
    if not positions:
        return None
    # A sheet's cells share a few dozen rows and a few columns: compared once each.
    rows_at = set(map(_row_of, positions))
    columns_at = set(map(_column_of, positions))
    return min(rows_at), max(rows_at), min(columns_at), max(columns_at)


def _numbered(bounds: tuple[int, int, int, int] | None) -> Extent | None:
    """0-based bounds as a :data:`~flows.reading.safety.Extent`, numbered from 1 like A1."""
    if bounds is None:
        return None
    first_row, last_row, first_col, last_col = bounds
    return first_row + 1, last_row + 1, first_col + 1, last_col + 1
