"""A report sent as PDF read into a :class:`~flows.reading.document.Document` (its text layer).

Before pdfminer.six lays out any page, the file is refused when it is too large, not a
PDF, encrypted with a password, or longer than :attr:`Limits.max_pdf_pages` (the page
tree's count, then the pages walked, stop at the limit). Each page's text lines come from
pdfminer's layout analysis, in its reading order; then:

- lines repeated at the top or bottom of most pages (a running header, "Trang 3") and bare
  page numbers are dropped;
- lines are joined into paragraphs, as a PDF wraps them: a new paragraph starts at a
  larger vertical gap than the document's usual line pitch, at a line indented further
  than the one before, after a line that ended short (the next line's first word would
  have fitted on it), at a line that starts like a numbered heading ("PHẦN", "II-",
  "4.3."), and at one that starts like an item ("1. ", "- ", "+ ", a bullet) after a line
  ending a sentence or short of the margin. A line ending in a soft hyphen is joined
  without it; one ending in a hyphen glued to a word ("2021-") keeps it, without a space.
  A bullet is taken out of the text and makes the paragraph a list item; superscripts
  (footnote marks) and symbol-font glyphs are taken out too.

Footnotes and text boxes cannot be told from the body in a PDF: they are body paragraphs
where they stand. Tables are not rebuilt (their cells' text reads as paragraphs). A PDF
with (nearly) no text is a scan, and refused as such: a scan's figures cannot be read.
"""

from __future__ import annotations

import io
import itertools
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTChar, LTFigure, LTPage, LTTextBox, LTTextLine
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1

from flows.reading.document import BODY, Document, Paragraph
from flows.reading.errors import UnreadableFile, vi_number
from flows.reading.safety import DEFAULT_LIMITS, Limits, word_too_large

# A PDF starts with this, possibly after some bytes of junk within the first kilobyte.
_PDF_MAGIC = b"%PDF-"
_MAGIC_WINDOW = 1024
# ... and ends with this (a file cut short in transfer does not).
_PDF_END = b"%%EOF"
# Fewer letters than this per page on average: no text layer worth reading (a scan).
MIN_LETTERS_PER_PAGE = 20
# A line in the top or bottom tenth of its page may be a running header or footer.
_MARGIN_BAND = 0.1
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(?:trang\s*)?\d{1,4}(?:\s*/\s*\d{1,4})?[-–—\s]*$", re.I)
_STRONG_START = re.compile(r"^(?:PH[ẦA]N\s+TH[ỨÚ]\b|[IVX]{1,6}\s*[-–.]\s|\d{1,2}\.\d{1,2}\.?\s)")
_WEAK_START = re.compile(r"^(?:\d{1,2}\.\s|[-–+•*]\s)")
_DIGITS = re.compile(r"\d+")
# Private-use characters (symbol fonts' glyphs) and glyphs pdfminer cannot map.
_UNREADABLE = re.compile(r"[\ue000-\uf8ff]|\(cid:\d+\)")
_BULLET = re.compile(r"[•●▪■◦○♦❖➢➤►✓✔·\ue000-\uf8ff]")


def _not_a_pdf() -> UnreadableFile:
    return UnreadableFile(
        "Tệp bị hỏng hoặc không phải tệp PDF; hãy xuất lại PDF từ Word (hoặc gửi tệp Word .docx).",
        "The file is damaged or not a PDF; export the PDF again from Word (or send the Word "
        ".docx file).",
    )


def _truncated() -> UnreadableFile:
    return UnreadableFile(
        "Tệp PDF bị cắt cụt (không có phần kết thúc), có thể do gửi chưa hết; hãy gửi lại tệp "
        "(hoặc gửi tệp Word .docx).",
        "The PDF is truncated (it has no end), perhaps sent incompletely; resend the file (or "
        "send the Word .docx file).",
    )


def _password_protected() -> UnreadableFile:
    return UnreadableFile(
        "Tệp PDF được đặt mật khẩu; hãy gỡ mật khẩu (hoặc xuất lại PDF không đặt mật khẩu) rồi "
        "gửi lại.",
        "The PDF is password-protected; remove the password (or export the PDF again without "
        "one) and resend.",
    )


def _scanned() -> UnreadableFile:
    return UnreadableFile(
        "PDF không có lớp văn bản (bản quét), nên không đọc được số liệu; hãy gửi tệp Word "
        "(.docx) hoặc PDF xuất từ Word.",
        "The PDF has no text layer (a scan), so its figures cannot be read; send the Word file "
        "(.docx) or a PDF exported from Word.",
    )


def _too_many_pages(pages: int | None, limit: int) -> UnreadableFile:
    shown_vi = f"có {vi_number(pages)} trang" if pages else f"có hơn {vi_number(limit)} trang"
    shown_en = f"it has {pages:,} pages" if pages else f"it has over {limit:,} pages"
    return word_too_large(shown_vi, shown_en)


@dataclass(frozen=True)
class _Line:
    page: int
    box: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    first_word_width: float
    page_height: float
    bulleted: bool = False  # the line started with a bullet glyph (taken out of the text)


def read_pdf(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Document:
    """The paragraphs of a PDF's text layer; :class:`UnreadableFile` if it cannot be read."""
    if len(data) > limits.max_file_bytes:
        megabytes = len(data) // (1 << 20)
        raise word_too_large(f"quá lớn ({megabytes} MB)", f"it is too large ({megabytes} MB)")
    if _PDF_MAGIC not in data[:_MAGIC_WINDOW]:
        raise _not_a_pdf()
    if _PDF_END not in data[-_MAGIC_WINDOW:]:
        raise _truncated()
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
    except (PDFPasswordIncorrect, PDFEncryptionError) as error:
        raise _password_protected() from error
    except Exception as error:  # pdfminer raises many unrelated types for bad bytes
        raise _not_a_pdf() from error
    try:
        pages = _pages(document, limits)
        lines = _layout_lines(pages, limits)
    except UnreadableFile:
        raise
    except (PDFPasswordIncorrect, PDFEncryptionError) as error:
        raise _password_protected() from error
    except Exception as error:
        raise _not_a_pdf() from error
    if not pages:
        raise _not_a_pdf()
    letters = sum(char.isalpha() for line in lines for char in line.text)
    if letters < MIN_LETTERS_PER_PAGE * len(pages):
        raise _scanned()
    texts = _paragraphs(_without_running_lines(lines, len(pages)))
    paragraphs = [
        Paragraph(number, text, BODY, is_list_item=is_list)
        for number, (text, is_list) in enumerate(texts, 1)
    ]
    return Document(kind="pdf", paragraphs=paragraphs, pages=len(pages))


def _pages(document: PDFDocument, limits: Limits) -> list[PDFPage]:
    """The pages, refused beyond the limit: the page tree's count first, then the walk."""
    limit = limits.max_pdf_pages
    tree = resolve1(document.catalog.get("Pages"))
    declared = resolve1(tree.get("Count")) if isinstance(tree, dict) else None
    if isinstance(declared, int) and declared > limit:
        raise _too_many_pages(declared, limit)
    pages = []
    for page in PDFPage.create_pages(document):
        pages.append(page)
        if len(pages) > limit:
            raise _too_many_pages(None, limit)
    return pages


def _layout_lines(pages: list[PDFPage], limits: Limits) -> list[_Line]:
    manager = PDFResourceManager(caching=True)
    device = PDFPageAggregator(manager, laparams=LAParams(all_texts=True))
    interpreter = PDFPageInterpreter(manager, device)
    lines: list[_Line] = []
    characters = 0
    for number, page in enumerate(pages):
        bullet_pending = False
        interpreter.process_page(page)
        layout = device.get_result()
        for box_number, box in enumerate(_text_boxes(layout)):
            for line in box:
                if not isinstance(line, LTTextLine):
                    continue
                text, bulleted, x0, first_word_width = _line_text(line)
                if not text:
                    # A bullet standing alone marks the line that follows it.
                    bullet_pending = bullet_pending or bulleted
                    continue
                bulleted, bullet_pending = bulleted or bullet_pending, False
                characters += len(text)
                if characters > limits.max_text_chars:
                    raise word_too_large(
                        f"có hơn {vi_number(limits.max_text_chars)} ký tự văn bản",
                        f"it holds over {limits.max_text_chars:,} characters of text",
                    )
                lines.append(
                    _Line(
                        number,
                        box_number,
                        x0,
                        line.y0,
                        line.x1,
                        line.y1,
                        text,
                        first_word_width,
                        layout.height,
                        bulleted,
                    )
                )
    return lines


def _text_boxes(container: LTPage | LTFigure) -> list[LTTextBox]:
    """The text boxes of a page in pdfminer's reading order, those inside figures too."""
    boxes = []
    for item in container:
        if isinstance(item, LTTextBox):
            boxes.append(item)
        elif isinstance(item, LTFigure):
            boxes.extend(_text_boxes(item))
    return boxes


def _line_text(line: LTTextLine) -> tuple[str, bool, float, float]:
    """A line's text without superscripts (footnote marks) and symbol-font glyphs.

    A footnote mark glued to a figure ("91,5%²") would change the figure; a bullet drawn
    with a symbol font reads as a private-use character, or a bullet sign: either way it
    is a list item's mark, not its text. Returns the text, whether it began with a bullet,
    where its text begins (after the bullet) and the width of its first word.
    """
    items = list(line)
    sizes = [
        item.size for item in items if isinstance(item, LTChar) and not item.get_text().isspace()
    ]
    size = statistics.median(sizes) if sizes else 0.0
    kept: list[tuple[str, float | None, float | None]] = []  # (text, x0, x1) of each piece
    for item in items:
        piece = item.get_text()
        if isinstance(item, LTChar):
            raised = item.y0 > line.y0 + 0.2 * size
            if size and item.size < 0.8 * size and raised and not piece.isspace():
                continue  # a superscript: a footnote's mark
            kept.append((piece, item.x0, item.x1))
        else:
            kept.append((piece, None, None))
    bulleted = False
    while kept and (kept[0][0].isspace() or _BULLET.match(kept[0][0])):
        bulleted = bulleted or not kept[0][0].isspace()
        kept.pop(0)
    text = " ".join(_UNREADABLE.sub(" ", "".join(piece for piece, _, _ in kept)).split())
    starts = [x0 for piece, x0, _ in kept if x0 is not None and not piece.isspace()]
    first_word_end = None
    for piece, _, x1 in kept:
        if piece.isspace():
            break
        first_word_end = x1 if x1 is not None else first_word_end
    x0 = starts[0] if starts else line.x0
    width = (first_word_end - x0) if first_word_end is not None else 0.0
    return text, bulleted, x0, width


def _without_running_lines(lines: list[_Line], pages: int) -> list[_Line]:
    """The lines without page numbers and headers or footers repeated on most pages."""

    def in_margin(line: _Line) -> bool:
        band = line.page_height * _MARGIN_BAND
        return line.y0 < band or line.y1 > line.page_height - band

    def shape(line: _Line) -> str:
        return _DIGITS.sub("#", line.text.casefold())

    by_page: dict[int, list[_Line]] = {}
    for line in lines:
        by_page.setdefault(line.page, []).append(line)
    candidates: set[int] = set()
    for page_lines in by_page.values():
        ends = page_lines[:2] + page_lines[-2:]
        candidates.update(id(line) for line in ends if in_margin(line))
    seen: Counter[str] = Counter()  # on how many pages each shape stands in a margin
    for page_lines in by_page.values():
        seen.update({shape(line) for line in page_lines if id(line) in candidates})
    repeated = {text for text, count in seen.items() if pages >= 3 and count >= max(3, pages / 2)}
    return [
        line
        for line in lines
        if id(line) not in candidates
        or not (_PAGE_NUMBER.match(line.text) or shape(line) in repeated)
    ]


def _paragraphs(lines: list[_Line]) -> list[tuple[str, bool]]:
    """The lines joined into paragraphs (see the module's docstring for where one starts)."""
    if not lines:
        return []
    heights = [line.y1 - line.y0 for line in lines]
    height = statistics.median(heights) or 1.0
    pitches = [
        previous.y0 - line.y0
        for previous, line in itertools.pairwise(lines)
        if previous.page == line.page and previous.y0 > line.y0
    ]
    pitch = statistics.median(pitches) if pitches else height * 1.2
    ends = sorted(line.x1 for line in lines)
    right = ends[int(len(ends) * 0.9)]
    space = height * 0.3
    paragraphs: list[tuple[str, bool]] = []
    current, is_list = "", False
    previous: _Line | None = None
    for line in lines:
        if previous is None or _starts_paragraph(previous, line, pitch, right, space, height):
            if current:
                paragraphs.append((current, is_list))
            current, is_list = line.text, line.bulleted
        else:
            current = _joined(current, line.text)
        previous = line
    if current:
        paragraphs.append((current, is_list))
    return paragraphs


def _starts_paragraph(
    previous: _Line, line: _Line, pitch: float, right: float, space: float, height: float
) -> bool:
    if line.bulleted or _STRONG_START.match(line.text):
        return True
    ended_short = previous.x1 + space + line.first_word_width < right - space
    if ended_short:
        return True
    if _WEAK_START.match(line.text) and (
        previous.x1 < right - 2 * height or previous.text.endswith((".", ":", ";", "!", "?"))
    ):
        return True  # "1. ", "- ", "+ ": an item, unless a sentence runs on into it
    if line.x0 > previous.x0 + height:
        return True  # an indented first line
    if line.page != previous.page:
        return False
    return previous.y0 - line.y0 > pitch * 1.3


def _joined(text: str, line: str) -> str:
    if text.endswith("\u00ad"):
        return text[:-1] + line
    if text.endswith("-") and len(text) > 1 and text[-2].isalnum():
        return text + line
    return f"{text} {line}"
