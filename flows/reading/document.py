"""What reading a narrative report gives: its paragraphs and tables, in reading order.

A ward's report arrives as a Word document (.docx, older .doc) or a PDF. Whatever the
container, it is read into one :class:`Document`: the paragraphs of the body (headings,
list items, plain text), the text of footnotes and text boxes, and the tables, each cell
as text. The report's identity (:mod:`flows.reading.report_header`), its Word tables (the
same table walk as a sheet) and its prose figures (:mod:`flows.reading.prose`) are all
read from this, never from the container itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Where a paragraph's text stood in the document.
BODY = "body"  # a paragraph of the body, a heading or a list item
FOOTNOTE = "footnote"  # a footnote's or endnote's text
TEXT_BOX = "text_box"  # text in a text box or shape anchored in the body
PARAGRAPH_PLACES = (BODY, FOOTNOTE, TEXT_BOX)

# What a document was read from.
DOCUMENT_KINDS = ("docx", "doc", "pdf")


@dataclass(frozen=True)
class Paragraph:
    """One paragraph's text, whitespace collapsed, in reading order.

    ``number`` counts the document's paragraphs from 1 in reading order, footnotes and
    text boxes included where they are anchored or (PDF) where they appear. ``heading_level``
    is the level the writer gave it (a Word ``Heading N`` style, an outline level), or
    None: a heading written as plain text ("4.3. Công tác ...") is recognised by whoever
    reads the prose, not here. ``is_list_item`` marks a Word list paragraph (a bullet or
    number that is not part of the text).
    """

    number: int
    text: str
    place: str = BODY
    heading_level: int | None = None
    is_list_item: bool = False


@dataclass(frozen=True)
class Table:
    """One table: ``rows[r][c]`` is the text of the cell at row ``r + 1``, column ``c + 1``.

    Empty cells are None. A cell spanning several columns (``gridSpan``) fills the first
    of them, the others are None, as a merged range in a sheet reads. ``number`` counts
    the document's tables from 1; ``after_paragraph`` is the number of the paragraph the
    table follows (0 before any).
    """

    number: int
    rows: list[list[str | None]]
    after_paragraph: int = 0


@dataclass
class Document:
    """A narrative report read from its container."""

    kind: str  # one of DOCUMENT_KINDS
    paragraphs: list[Paragraph] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    pages: int | None = None  # known for a PDF

    def body_text(self) -> str:
        """The body paragraphs joined by newlines (for a quick look, and tests)."""
        return "\n".join(p.text for p in self.paragraphs if p.place == BODY)

    def header_lines(self, limit: int = 40) -> list[str]:
        """The first ``limit`` non-empty body paragraphs, where a report states its identity.

        A header laid out as a borderless table (issuing body left, national motto right)
        counts too: the cells of tables standing before the ``limit``-th paragraph are
        taken in reading order, row by row, before the paragraphs that follow them.
        """
        body = [p for p in self.paragraphs if p.place == BODY and p.text.strip()]
        last = body[limit - 1].number if len(body) >= limit else None
        lines: list[tuple[int, int, str]] = []
        for paragraph in body[:limit]:
            lines.append((paragraph.number, 1, paragraph.text))
        for table in self.tables:
            if last is not None and table.after_paragraph >= last:
                continue
            for row in table.rows:
                for cell in row:
                    if cell and cell.strip():
                        lines.append((table.after_paragraph, 0, cell))
        # Stable: a table's cells (0) stand before the paragraph that follows the table.
        lines.sort(key=lambda line: (line[0], line[1]))
        return [text for _, _, text in lines][: limit * 2]
