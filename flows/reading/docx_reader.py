"""A Word report (.docx) read into a :class:`~flows.reading.document.Document`, within limits.

The zip container is checked first (:func:`flows.reading.safety.check_container`: size,
parts, declared sizes, compression ratio, DTDs; and :func:`~flows.reading.safety.check_word_part`
counts the elements, paragraphs, tables and cells of ``word/document.xml`` before anything
parses it). Then ``word/document.xml`` is streamed (defusedxml's iterparse, DTDs refused)
and every element cleared once read, so memory holds one top-level element of the body at
a time, not the document. ``word/styles.xml`` gives the heading and list styles, the
footnotes and endnotes parts the notes' text; nothing else is read (python-docx is only
the tests' writer).

What becomes of Word's structures:

- a body paragraph: its runs' text (``w:t``; tabs and line breaks as spaces, a
  non-breaking hyphen as ``-``; inserted text kept, deleted or moved-away text dropped;
  field codes dropped, field results kept), whitespace collapsed; empty ones dropped;
  ``heading_level`` from ``w:outlineLvl`` or the paragraph style ("heading N", "Title",
  a custom "Tiêu đề N", a style's outline level); ``is_list_item`` when it is numbered,
  itself or through its style, and not a heading;
- a text box (``w:txbxContent``): each of its paragraphs, right after the paragraph that
  anchors it, ``place=TEXT_BOX``; of Word's two copies (``mc:Choice`` and ``mc:Fallback``)
  only the first is read;
- a footnote or endnote: each of its paragraphs right after the body paragraph holding the
  reference, ``place=FOOTNOTE`` (separators skipped);
- a table in the body: a :class:`~flows.reading.document.Table`; a cell's paragraphs are
  joined with a newline (so that a header laid out in a table keeps its lines), a table
  nested in a cell adds its text to that cell; a merged cell fills its first column
  (``gridSpan``) or row (``vMerge``), the others are None. Text boxes and notes anchored
  in a table follow the table;
- content controls (``w:sdt``), ``w:customXml`` and smart tags are read as if unwrapped.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from posixpath import dirname, join, normpath
from typing import IO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from flows.domain.textnorm import fold
from flows.reading.document import BODY, FOOTNOTE, TEXT_BOX, Document, Paragraph, Table
from flows.reading.errors import UnreadableFile, damaged_file, vi_number
from flows.reading.extents import OLE_MAGIC
from flows.reading.safety import (
    DEFAULT_LIMITS,
    ENCRYPTED_PACKAGE,
    WORD_DOCUMENT_PART,
    Limits,
    OpenedPackage,
    check_container,
    check_word_part,
    word_too_large,
)

_W_NAMESPACES = frozenset(
    {
        "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
        "http://purl.oclc.org/ooxml/wordprocessingml/main",
    }
)
_MC_NAMESPACE = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_RELATIONSHIPS_PART = "_rels/.rels"
# Small parts read whole: the relationships and the styles of a real document are kilobytes.
_SMALL_PART_LIMIT = 4 << 20
# Word's own limit is 63 columns; a larger span is hostile and would be allocated as Nones.
_MAX_SPAN = 64
# Word elements whose whole content is not the document's text.
_SKIPPED = frozenset(
    {"del", "moveFrom", "sdtPr", "sdtEndPr", "pPrChange", "rPrChange", "instrText", "delText"}
)
# Run content read as characters.
_RUN_CHARACTERS = {"tab": " ", "ptab": " ", "br": " ", "cr": " ", "noBreakHyphen": "-"}
_HEADING_NAME = re.compile(r"^(?:heading|tieu de|dau de)\s*([1-9])$")
_TITLE_NAMES = frozenset({"title", "tieu de"})
_LIST_NAMES = ("list bullet", "list number")


def password_protected() -> UnreadableFile:
    """The reason given for an encrypted Word document."""
    return UnreadableFile(
        "Tệp Word được đặt mật khẩu; hãy gỡ mật khẩu (File > Info > Protect Document) rồi gửi lại.",
        "The Word file is password-protected; remove the password (File > Info > "
        "Protect Document) and resend.",
    )


def damaged_report() -> UnreadableFile:
    """The reason given for a .docx whose bytes are not a readable Word document."""
    return UnreadableFile(
        "Tệp bị hỏng hoặc không phải văn bản Word; hãy mở báo cáo, lưu lại bằng Word (.docx) "
        "và gửi lại.",
        "The file is damaged or not a Word document; open the report, save it again with "
        "Word (.docx) and resend.",
    )


def refused_report_xml() -> UnreadableFile:
    """The reason given for a Word part that declares a DTD (entity expansion)."""
    return UnreadableFile(
        "Tệp bị từ chối vì chứa khai báo XML không an toàn (DOCTYPE/ENTITY); hãy mở bằng Word, "
        "lưu lại dạng .docx và gửi lại.",
        "The file was refused because it contains unsafe XML declarations (DOCTYPE/ENTITY); "
        "open it in Word, save it as .docx and resend.",
    )


# The container check words its refusals for spreadsheets; a report's are reworded.
_SPREADSHEET_WORDING = (
    (
        "biểu chỉ tiêu của phường/xã không lớn như vậy. Hãy gửi đúng biểu chỉ tiêu.",
        "báo cáo của phường/xã không lớn như vậy. Hãy kiểm tra lại và gửi đúng tệp báo cáo.",
    ),
    (
        "a ward's indicator sheet is never this large. Send the indicator sheet itself.",
        "a ward's report is never this large. Check it and send the report itself.",
    ),
    ("Excel", "Word"),
    (".xlsx", ".docx"),
    ("trang tính", "phần"),
    ("sheet", "part"),
)


def _as_report_refusal(error: UnreadableFile) -> UnreadableFile:
    if error.reason_vi == damaged_file().reason_vi:
        return damaged_report()
    reason_vi, reason_en = error.reason_vi, error.reason_en
    for spreadsheet, report in _SPREADSHEET_WORDING:
        reason_vi = reason_vi.replace(spreadsheet, report)
        reason_en = reason_en.replace(spreadsheet, report)
    return UnreadableFile(reason_vi, reason_en)


def read_docx(data: bytes, limits: Limits = DEFAULT_LIMITS, kind: str = "docx") -> Document:
    """The paragraphs and tables of a .docx file; :class:`UnreadableFile` if it cannot be read.

    ``kind`` is what the Document says it was read from (``"doc"`` after a conversion).
    """
    if data.startswith(OLE_MAGIC):
        raise password_protected() if ENCRYPTED_PACKAGE in data else damaged_report()
    try:
        package = check_container(data, limits)
        if package is None:
            raise damaged_report()
        return _read_package(package, limits, kind)
    except UnreadableFile as error:
        raise _as_report_refusal(error) from error
    except DefusedXmlException as error:
        raise refused_report_xml() from error
    except (
        ParseError,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        RuntimeError,  # zipfile: an encrypted entry
        NotImplementedError,  # zipfile: an unknown compression method
        ValueError,
        KeyError,
    ) as error:
        raise damaged_report() from error


def _read_package(package: OpenedPackage, limits: Limits, kind: str) -> Document:
    names = set(package.namelist())
    main = _main_part(package, names)
    if main not in names:
        raise damaged_report()
    if main != WORD_DOCUMENT_PART:  # the container check counted word/document.xml only
        check_word_part(package, main, limits)
    related = _related_parts(package, main, names)
    budget = _Budget(limits)
    styles = _read_styles(package, related.get("styles"), limits)
    notes: dict[tuple[str, str], list[str]] = {}
    for note_kind in ("footnotes", "endnotes"):
        part = related.get(note_kind)
        if part is not None:
            check_word_part(package, part, limits)
            walker = _Walker(styles, budget, notes_of=notes)
            walker.run(_events(package, part, limits))
    walker = _Walker(styles, budget, notes=notes)
    walker.run(_events(package, main, limits))
    return Document(kind=kind, paragraphs=walker.paragraphs, tables=walker.tables)


# ------------------------------------------------------------------ parts


def _main_part(package: OpenedPackage, names: set[str]) -> str:
    if _RELATIONSHIPS_PART in names:
        for rel_type, target in _relationships(package, _RELATIONSHIPS_PART):
            if rel_type.endswith("/officeDocument"):
                return normpath(target.lstrip("/"))
    return WORD_DOCUMENT_PART


def _related_parts(package: OpenedPackage, main: str, names: set[str]) -> dict[str, str]:
    """The styles, footnotes and endnotes parts of the main part, by relationship or name."""
    folder = dirname(main)
    related = {
        kind: join(folder, f"{kind}.xml")
        for kind in ("styles", "footnotes", "endnotes")
        if join(folder, f"{kind}.xml") in names
    }
    rels = join(folder, "_rels", main.rsplit("/", 1)[-1] + ".rels")
    if rels in names:
        for rel_type, target in _relationships(package, rels):
            kind = rel_type.rsplit("/", 1)[-1]
            if kind in ("styles", "footnotes", "endnotes"):
                part = normpath(
                    target.lstrip("/") if target.startswith("/") else join(folder, target)
                )
                if part in names:
                    related[kind] = part
    return related


def _small_part(package: OpenedPackage, name: str) -> bytes:
    info = package.archive.getinfo(name)
    if info.file_size > _SMALL_PART_LIMIT:
        raise word_too_large(f"phần '{name}' lớn bất thường", f"part '{name}' is abnormally large")
    return package.read(name)[: _SMALL_PART_LIMIT + 1]


def _relationships(package: OpenedPackage, name: str) -> list[tuple[str, str]]:
    root = SafeElementTree.fromstring(_small_part(package, name), forbid_dtd=True)
    return [
        (element.get("Type", ""), element.get("Target", ""))
        for element in root
        if _local(element.tag) == "Relationship" and element.get("TargetMode") != "External"
    ]


class _BoundedStream:
    """A part's stream that refuses to give more bytes than a Word part may hold."""

    def __init__(self, stream: IO[bytes], name: str, limit: int) -> None:
        self._stream, self._name, self._left = stream, name, limit

    def read(self, size: int = -1) -> bytes:
        block = self._stream.read(size if size >= 0 else 1 << 16)
        self._left -= len(block)
        if self._left < 0:
            raise word_too_large(
                f"phần '{self._name}' quá lớn", f"part '{self._name}' is too large"
            )
        return block


def _events(package: OpenedPackage, name: str, limits: Limits) -> Iterator[tuple[str, object]]:
    with package.archive.open(name) as stream:
        bounded = _BoundedStream(stream, name, limits.max_word_part_bytes)
        yield from SafeElementTree.iterparse(bounded, events=("start", "end"), forbid_dtd=True)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _word_name(tag: str) -> str | None:
    """A WordprocessingML element's local name; None for any other namespace."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return local if namespace in _W_NAMESPACES else None
    return None


def _word_attribute(element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key) == name and _word_name(key) is not None:
            return value
    return None


# ------------------------------------------------------------------ styles


@dataclass
class _Style:
    name: str = ""
    based_on: str | None = None
    outline: int | None = None
    numbered: bool | None = None


@dataclass(frozen=True)
class _StyleMeaning:
    heading_level: int | None
    is_list: bool


def _read_styles(
    package: OpenedPackage, part: str | None, limits: Limits
) -> dict[str, _StyleMeaning]:
    """Each paragraph style's heading level and list flag, inheritance resolved."""
    styles: dict[str, _Style] = {}
    if part is not None:
        check_word_part(package, part, limits)
        root = SafeElementTree.fromstring(_small_part(package, part), forbid_dtd=True)
        for element in root:
            if _word_name(element.tag) != "style":
                continue
            style = _Style()
            for child in element.iter():
                local = _word_name(child.tag)
                value = _word_attribute(child, "val")
                if local == "name":
                    style.name = value or ""
                elif local == "basedOn":
                    style.based_on = value
                elif local == "outlineLvl":
                    style.outline = _small_number(value)
                elif local == "numId":
                    style.numbered = value not in (None, "0")
            style_id = _word_attribute(element, "styleId") or ""
            style.name = style.name or _spaced_number(style_id)
            styles[style_id] = style
    return {style_id: _meaning(style_id, styles) for style_id in styles}


def _meaning(style_id: str, styles: dict[str, _Style]) -> _StyleMeaning:
    level = outline = numbered = None
    current, seen = style_id, set()
    while current in styles and current not in seen and len(seen) < 32:
        seen.add(current)
        style = styles[current]
        if level is None:
            level = _level_from_name(style.name)
        if outline is None and style.outline is not None:
            outline = style.outline + 1 if style.outline < 9 else 0
        if numbered is None and style.numbered is not None:
            numbered = style.numbered
        if numbered is None and fold(style.name).startswith(_LIST_NAMES):
            numbered = True
        current = style.based_on or ""
    if level is None and outline:
        level = outline
    return _StyleMeaning(level, bool(numbered))


def _level_from_name(name: str) -> int | None:
    folded = " ".join(fold(name).split())
    match = _HEADING_NAME.match(folded) or _HEADING_NAME.match(folded.replace(" ", ""))
    if match:
        return int(match.group(1))
    return 1 if folded in _TITLE_NAMES else None


def _style_meaning(style_id: str | None, styles: dict[str, _StyleMeaning]) -> _StyleMeaning:
    if style_id is None:
        return _StyleMeaning(None, False)
    known = styles.get(style_id)
    if known is not None:
        return known
    # A style id the styles part does not define, as python-docx's "Heading1".
    name = _spaced_number(style_id)
    return _StyleMeaning(_level_from_name(name), fold(name).startswith(_LIST_NAMES))


def _spaced_number(style_id: str) -> str:
    """A style id as a name: "Heading1" -> "Heading 1", "ListBullet" -> "List Bullet"."""
    return re.sub(r"(?<=[a-z])(?=[A-Z0-9])", " ", style_id)


def _small_number(value: str | None) -> int | None:
    """A whole number attribute of a few digits; None for anything else (hostile or not)."""
    return int(value) if value and len(value) <= 4 and value.isdigit() else None


# ------------------------------------------------------------------ the walk


class _Budget:
    """What the whole document may hold, counted as it is read."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.text_chars = 0
        self.table_cells = 0
        self.paragraphs = 0

    def add_text(self, length: int) -> None:
        self.text_chars += length
        if self.text_chars > self.limits.max_text_chars:
            raise word_too_large(
                f"có hơn {vi_number(self.limits.max_text_chars)} ký tự văn bản",
                f"it holds over {self.limits.max_text_chars:,} characters of text",
            )


@dataclass
class _ParagraphFrame:
    parts: list[str] = field(default_factory=list)
    style: str | None = None
    outline: int | None = None
    numbered: bool | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _TableFrame:
    rows: list[list[str | None]] = field(default_factory=list)
    row: list[str | None] | None = None
    cell: list[str] | None = None
    span: int = 1
    continued: bool = False
    cells: int = 0


class _Walker:
    """Reads the events of one Word part into paragraphs and tables (or notes' texts)."""

    def __init__(
        self,
        styles: dict[str, _StyleMeaning],
        budget: _Budget,
        notes: dict[tuple[str, str], list[str]] | None = None,
        notes_of: dict[tuple[str, str], list[str]] | None = None,
    ) -> None:
        self.styles, self.budget, self.limits = styles, budget, budget.limits
        self.notes = notes or {}
        # When reading a footnotes or endnotes part: where each note's paragraphs go.
        self.notes_of = notes_of
        self.note: list[str] | None = None
        self.paragraphs: list[Paragraph] = []
        self.tables: list[Table] = []
        self.frames: list[_ParagraphFrame] = []
        self.box_depth = 0
        self.table_kinds: list[bool] = []  # each open w:tbl: a real table of the body?
        self.table: _TableFrame | None = None
        self.pending_boxes: list[str] = []
        self.pending_notes: list[tuple[str, str]] = []
        self.alternates: list[bool] = []  # each open mc:AlternateContent: a choice read?
        self.skip = 0
        self.depth = 0

    def run(self, events: Iterator[tuple[str, object]]) -> None:
        body = None
        for event, element in events:
            if event == "start":
                self.depth += 1
                if self.skip:
                    self.skip += 1
                elif self._skipped(element):
                    self.skip = 1
                else:
                    self._start(element)
                if self.depth == 2:
                    body = element
                continue
            self.depth -= 1
            if self.skip:
                self.skip -= 1
            else:
                self._end(element)
            element.clear()
            if self.depth == 2 and body is not None:
                body.clear()  # a top-level element of the body, read: let it go

    def _skipped(self, element) -> bool:
        tag = element.tag
        if tag.startswith("{" + _MC_NAMESPACE + "}"):
            local = _local(tag)
            if local in ("Choice", "Fallback") and self.alternates:
                if self.alternates[-1]:
                    return True
                self.alternates[-1] = True
            return False
        local = _word_name(tag)
        if local in _SKIPPED:
            return True
        # Separators between the text and the notes are notes with a type.
        return local in ("footnote", "endnote") and _word_attribute(element, "type") not in (
            None,
            "normal",
        )

    def _start(self, element) -> None:
        tag = element.tag
        if tag == "{" + _MC_NAMESPACE + "}AlternateContent":
            self.alternates.append(False)
            return
        local = _word_name(tag)
        if local is None:
            return
        frame = self.frames[-1] if self.frames else None
        if local == "p":
            self.frames.append(_ParagraphFrame())
        elif local == "txbxContent":
            self.box_depth += 1
        elif local in ("footnote", "endnote") and self.notes_of is not None:
            key = (local, _word_attribute(element, "id") or "")
            self.note = self.notes_of.setdefault(key, [])
        elif local in ("footnoteReference", "endnoteReference") and frame is not None:
            kind = local.removesuffix("Reference")
            frame.notes.append((kind, _word_attribute(element, "id") or ""))
        elif local == "pStyle" and frame is not None:
            frame.style = _word_attribute(element, "val")
        elif local == "outlineLvl" and frame is not None:
            frame.outline = _small_number(_word_attribute(element, "val"))
        elif local == "numId" and frame is not None:
            frame.numbered = _word_attribute(element, "val") not in (None, "0")
        elif local == "tbl":
            self._start_table()
        elif self._structural():
            self._table_start(local, element)

    def _end(self, element) -> None:
        tag = element.tag
        if tag == "{" + _MC_NAMESPACE + "}AlternateContent":
            self.alternates.pop()
            return
        local = _word_name(tag)
        if local is None:
            return
        if local == "t":
            self._text(element.text or "")
        elif local in _RUN_CHARACTERS:
            self._text(_RUN_CHARACTERS[local])
        elif local == "p":
            self._end_paragraph(self.frames.pop())
        elif local == "txbxContent":
            self.box_depth -= 1
        elif local in ("footnote", "endnote"):
            self.note = None
        elif local == "tbl":
            self._end_table()
        elif self._structural():
            self._table_end(local)

    def _text(self, text: str) -> None:
        if self.frames and text:
            self.budget.add_text(len(text))
            self.frames[-1].parts.append(text)

    # -- paragraphs

    def _end_paragraph(self, frame: _ParagraphFrame) -> None:
        text = " ".join("".join(frame.parts).split())
        if self.notes_of is not None:  # a note's paragraphs, whatever holds them
            if text and self.note is not None:
                self._count_paragraph()
                self.note.append(text)
            return
        if self.box_depth:
            self.pending_notes.extend(frame.notes)
            if text:
                self.pending_boxes.append(text)
            return
        if self.table_kinds:
            self.pending_notes.extend(frame.notes)
            if text and self.table is not None and self.table.cell is not None:
                self.table.cell.append(text)
            return
        if text:
            meaning = _style_meaning(frame.style, self.styles)
            level = meaning.heading_level
            if frame.outline is not None:
                level = frame.outline + 1 if frame.outline < 9 else None
            numbered = meaning.is_list if frame.numbered is None else frame.numbered
            # Heading styles are often numbered (outline numbering, even when it shows no
            # number, as LibreOffice writes them): a heading is not a list item.
            self._add(text, BODY, level, numbered and level is None)
        self.pending_notes.extend(frame.notes)
        self._flush_anchored()

    def _flush_anchored(self) -> None:
        """The text boxes and notes anchored in what was just read, after it."""
        boxes, self.pending_boxes = self.pending_boxes, []
        for text in boxes:
            self._add(text, TEXT_BOX)
        anchored, self.pending_notes = self.pending_notes, []
        for key in anchored:
            for text in self.notes.get(key, ()):
                self._add(text, FOOTNOTE)

    def _count_paragraph(self) -> None:
        # Notes' paragraphs are counted when read and again where they are placed.
        self.budget.paragraphs += 1
        if self.budget.paragraphs > self.limits.max_paragraphs:
            raise word_too_large(
                f"có hơn {vi_number(self.limits.max_paragraphs)} đoạn văn",
                f"it holds over {self.limits.max_paragraphs:,} paragraphs",
            )

    def _add(self, text: str, place: str, level: int | None = None, is_list: bool = False) -> None:
        self._count_paragraph()
        number = len(self.paragraphs) + 1
        self.paragraphs.append(Paragraph(number, text, place, level, is_list))

    # -- tables

    def _structural(self) -> bool:
        """Whether table rows and cells met now are the outermost body table's own."""
        return self.table_kinds == [True]

    def _start_table(self) -> None:
        real = self.box_depth == 0 and self.notes_of is None
        self.table_kinds.append(real)
        if real and self.table_kinds == [True]:
            if len(self.tables) >= self.limits.max_tables:
                raise word_too_large(
                    f"có hơn {vi_number(self.limits.max_tables)} bảng",
                    f"it holds over {self.limits.max_tables:,} tables",
                )
            self.table = _TableFrame()

    def _table_start(self, local: str, element) -> None:
        table = self.table
        if table is None:
            return
        if local == "tr":
            table.row = []
        elif local == "tc":
            table.cell, table.span, table.continued = [], 1, False
        elif local == "gridSpan" and table.cell is not None:
            table.span = min(max(_small_number(_word_attribute(element, "val")) or 1, 1), _MAX_SPAN)
        elif local == "vMerge" and table.cell is not None:
            table.continued = _word_attribute(element, "val") in (None, "continue")
        elif local == "gridBefore" and table.row is not None and not table.row:
            before = _small_number(_word_attribute(element, "val")) or 0
            self._add_cells([None] * min(before, _MAX_SPAN))

    def _table_end(self, local: str) -> None:
        table = self.table
        if table is None:
            return
        if local == "tc" and table.cell is not None:
            text = None if table.continued else "\n".join(table.cell) or None
            self._add_cells([text] + [None] * (table.span - 1))
            table.cell = None
        elif local == "tr" and table.row is not None:
            table.rows.append(table.row)
            table.row = None

    def _add_cells(self, cells: list[str | None]) -> None:
        table = self.table
        if table is None or table.row is None:
            return
        table.cells += len(cells)
        self.budget.table_cells += len(cells)
        if table.cells > self.limits.max_cells_per_table:
            number, limit = len(self.tables) + 1, self.limits.max_cells_per_table
            raise word_too_large(
                f"bảng {number} có hơn {vi_number(limit)} ô",
                f"table {number} holds over {limit:,} cells",
            )
        if self.budget.table_cells > self.limits.max_table_cells:
            raise word_too_large(
                f"các bảng có hơn {vi_number(self.limits.max_table_cells)} ô",
                f"its tables hold over {self.limits.max_table_cells:,} cells",
            )
        table.row.extend(cells)

    def _end_table(self) -> None:
        real = self.table_kinds.pop()
        if not real or self.table_kinds or self.table is None:
            return
        rows, self.table = self.table.rows, None
        width = max((len(row) for row in rows), default=0)
        if len(rows) * width > self.limits.max_cells_per_table:
            raise word_too_large(
                f"bảng {len(self.tables) + 1} có {vi_number(len(rows))} dòng × {width} cột",
                f"table {len(self.tables) + 1} has {len(rows):,} rows × {width} columns",
            )
        if rows:
            padded = [row + [None] * (width - len(row)) for row in rows]
            self.tables.append(Table(len(self.tables) + 1, padded, len(self.paragraphs)))
        self._flush_anchored()
