"""Reports written as plain text, as ``../shared/seed/`` holds one, read into blocks.

The test reports (the seed, and the reports the tests write in other styles) are kept as
UTF-8 text in the seed's layout: paragraphs separated by blank lines, ``**bold**`` and
``*italic*`` spans, ``- `` or ``* `` list items, numbered headings ("PHẦN THỨ NHẤT",
"II- Kết quả đạt được", "4.3. Đổi mới ..."), footnote references (``^(I)``, ``⁽²⁾``)
and the footnote's text as a paragraph starting with the same marker. Two additions
the seed does not use: table rows as lines starting with ``|`` (cells between ``|``),
and a paragraph starting with ``>> `` for text held in a text box.

:func:`read_report_text` gives the blocks the fixture writers (:mod:`tests.generators.reports`)
turn into .docx, .doc and .pdf files, and :func:`to_document` the
:class:`~flows.reading.document.Document` a reader should produce from them, for tests of
the prose that need no container.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from flows.reading.document import BODY, FOOTNOTE, TEXT_BOX, Document, Paragraph, Table

SEED_NAME = "bao-cao-so-ket-giua-nhiem-ky-pho-hoa-2023.txt"
# The seed beside the project (../shared/seed), and the copy kept in the tests for a
# checkout without it (a CI clone); tests/test_prose.py holds the two equal where both are.
SHARED_SEED_REPORT = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / SEED_NAME
SEED_COPY = Path(__file__).resolve().parents[1] / "truth" / "narrative" / "seed" / SEED_NAME
SEED_REPORT = SHARED_SEED_REPORT if SHARED_SEED_REPORT.is_file() else SEED_COPY

_FOOTNOTE_MARK = r"(?:\^\((?:[IVX]+|\d+)\)|⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾)"
FOOTNOTE_REFERENCE = re.compile(_FOOTNOTE_MARK)
_FOOTNOTE_DEFINITION = re.compile(r"^(" + _FOOTNOTE_MARK + r")\s*(.+)$", re.DOTALL)
_HEADING_PATTERNS = (
    (1, re.compile(r"^PH[ẦA]N TH[ỨÚ]\s+\S+", re.IGNORECASE)),
    (2, re.compile(r"^[IVX]+\s*[-–.]\s*\S")),
    (4, re.compile(r"^\d+\.\d+\.?\s+\S")),
    (3, re.compile(r"^\d+\.\s+\S")),
)
_HEADING_MAX_CHARS = 220
_SPAN_MARKS = re.compile(r"\*\*|\*")


@dataclass
class Block:
    """One paragraph, heading, list item, table, footnote or text box of a text report."""

    kind: str  # 'heading', 'paragraph', 'list', 'table', 'footnote', 'textbox'
    text: str = ""  # plain text: span marks and footnote references taken out
    marked_text: str = ""  # as written, with ``**`` / ``*`` spans and footnote references
    level: int | None = None  # heading level, 1 = PHẦN
    rows: list[list[str]] = field(default_factory=list)  # table cells
    footnote_mark: str | None = None  # a footnote's own marker


def plain(text: str) -> str:
    """Text without span marks and footnote references, whitespace collapsed."""
    text = FOOTNOTE_REFERENCE.sub("", text)
    text = _SPAN_MARKS.sub("", text)
    return " ".join(text.split())


def _heading_level(text: str) -> int | None:
    if len(text) > _HEADING_MAX_CHARS:
        return None
    for level, pattern in _HEADING_PATTERNS:
        if pattern.match(text):
            return level
    return None


def read_report_text(text: str) -> list[Block]:
    """The blocks of a report written in the seed's text layout."""
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [line.rstrip() for line in chunk.strip("\n").split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.lstrip().startswith("|") for line in lines):
            rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
            blocks.append(Block("table", rows=rows))
            continue
        if lines[0].startswith("- ") or lines[0].startswith("* "):
            for line in lines:
                body = line[2:].strip() if line[:2] in ("- ", "* ") else line.strip()
                blocks.append(Block("list", plain(body), body))
            continue
        joined = " ".join(line.strip() for line in lines)
        if joined.startswith(">> "):
            body = joined[3:]
            blocks.append(Block("textbox", plain(body), body))
            continue
        definition = _FOOTNOTE_DEFINITION.match(joined)
        if definition is not None:
            body = definition.group(2)
            blocks.append(Block("footnote", plain(body), body, footnote_mark=definition.group(1)))
            continue
        # The seed's title lines are bold and span two lines; each line is its own paragraph.
        if len(lines) > 1 and all(len(line) < 80 for line in lines):
            for line in lines:
                blocks.append(_paragraph(line.strip()))
            continue
        blocks.append(_paragraph(joined))
    return blocks


def _paragraph(marked: str) -> Block:
    text = plain(marked)
    level = _heading_level(text)
    return Block("heading" if level else "paragraph", text, marked, level=level)


def read_report_file(path: Path | str = SEED_REPORT) -> list[Block]:
    """The blocks of a text report on disk (the seed by default)."""
    return read_report_text(Path(path).read_text(encoding="utf-8"))


def to_document(blocks: list[Block], kind: str = "docx") -> Document:
    """The document a reader should give for these blocks (footnotes where they stand)."""
    document = Document(kind=kind)
    for block in blocks:
        if block.kind == "table":
            document.tables.append(
                Table(
                    number=len(document.tables) + 1,
                    rows=[[cell or None for cell in row] for row in block.rows],
                    after_paragraph=len(document.paragraphs),
                )
            )
            continue
        if not block.text:
            continue
        place = {"footnote": FOOTNOTE, "textbox": TEXT_BOX}.get(block.kind, BODY)
        document.paragraphs.append(
            Paragraph(
                number=len(document.paragraphs) + 1,
                text=block.text,
                place=place,
                heading_level=block.level if block.kind == "heading" else None,
                is_list_item=block.kind == "list",
            )
        )
    return document
