"""A narrative report's prose as blocks of text under their headings, and their sentences.

A report read from Word or PDF is a list of paragraphs; the prose reader wants to know
where each stands and what runs on. :func:`prose_blocks` groups them: headings (a Word
heading style, or a numbered line: "PHẦN THỨ NHẤT", "II- ...", "4.3. ...") make the path
each block stands under, short title lines under a heading join its title, a paragraph cut
by a page break (the one before ends without a full stop) joins the one it continues, and
footnotes and text boxes are blocks of their own. :func:`sentence_spans` splits a block's
text into sentences (". " before a capital; "1.117.213.000", "91,5", "TP." stay whole).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from flows.domain.textnorm import fold, normalize_text
from flows.reading.document import BODY, Document, Paragraph

HEADING_MAX_CHARS = 220
TITLE_LINE_MAX_CHARS = 120

_HEADING_PATTERNS = (
    (1, re.compile(r"^(PH[ẦA]N\s+TH[ỨÚ]\s+\S+)", re.IGNORECASE)),
    (2, re.compile(r"^([IVX]+)\s*[-–.]\s*\S")),
    (5, re.compile(r"^(\d+\.\d+\.\d+)\.?\s+\S")),
    (4, re.compile(r"^(\d+\.\d+)\.?\s+\S")),
    (3, re.compile(r"^(\d+)\.\s+\S")),
)
_YEARS = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")

_SENTENCE_END = re.compile(r"[.!?…]+[\"”’)]*\s+(?=[\"“(\-–•+*]?\s*[A-ZÀ-ỸĐ0-9])")
_ABBREVIATIONS = frozenset(
    ["tp", "tt", "ths", "ts", "gs", "pgs", "bs", "ks", "st", "ng", "ong", "ba", "vv", "v.v", "d/c"]
)


@dataclass
class Block:
    """Paragraphs read as one text: a paragraph and the ones continuing it after a break."""

    place: str  # BODY, FOOTNOTE or TEXT_BOX
    path: tuple[str, ...]  # the heading labels it stands under: ("PHẦN THỨ NHẤT", "II", "4.3")
    in_target_section: bool  # under a heading of targets ("Phương hướng, nhiệm vụ ...")
    parts: list[tuple[int, str]] = field(default_factory=list)  # (paragraph number, text)
    forced_breaks: list[int] = field(default_factory=list)  # offsets where a sentence must end

    def text(self) -> str:
        return " ".join(text for _, text in self.parts)

    def paragraph_at(self, offset: int) -> int:
        position = 0
        for number, text in self.parts:
            if offset < position + len(text) + 1:
                return number
            position += len(text) + 1
        return self.parts[-1][0]


def _heading(paragraph: Paragraph, text: str) -> tuple[int, str] | None:
    """(level, label) when the paragraph is a heading, else None."""
    for level, pattern in _HEADING_PATTERNS:
        match = pattern.match(text)
        if match:
            if paragraph.heading_level is None and (
                len(text) > HEADING_MAX_CHARS or text.rstrip().endswith((".", ";", ":"))
            ):
                return None
            return paragraph.heading_level or level, match.group(1).upper()
    if paragraph.heading_level is not None:
        return paragraph.heading_level, text[:40]
    return None


def _is_title_line(text: str) -> bool:
    """A short line under a part's heading that continues its title: "PHẦN THỨ HAI" then
    "Nhiệm vụ, giải pháp trong nửa nhiệm kỳ còn lại" (no colon, no figure but years)."""
    return (
        len(text) <= TITLE_LINE_MAX_CHARS
        and ":" not in text
        and not text.rstrip().endswith((".", ";"))
        and not re.search(r"\d", _YEARS.sub("", text))
    )


def _continues(previous: str, paragraph: Paragraph) -> bool:
    """True when a body paragraph goes on with the previous one (cut by a page break)."""
    return not paragraph.is_list_item and not previous.rstrip().endswith(
        (".", "!", "?", ";", ":", "…")
    )


def prose_blocks(document: Document, target_headings: Sequence[re.Pattern[str]]) -> list[Block]:
    """The document's prose as blocks in reading order, headings left out."""
    path: list[tuple[int, str, str]] = []  # (level, label, folded title)
    blocks: list[Block] = []
    open_body: Block | None = None
    after_heading = False

    def in_targets() -> bool:
        return any(pattern.search(title) for _, _, title in path for pattern in target_headings)

    for paragraph in document.paragraphs:
        text = normalize_text(paragraph.text)
        if not text:
            continue
        heading = _heading(paragraph, text) if paragraph.place == BODY else None
        if heading is not None:
            level, label = heading
            path = [entry for entry in path if entry[0] < level] + [(level, label, fold(text))]
            open_body, after_heading = None, True
            continue
        if paragraph.place == BODY and after_heading and path[-1][0] == 1 and _is_title_line(text):
            level, label, title = path[-1]
            path[-1] = (level, label, f"{title} {fold(text)}")
            continue
        labels = tuple(label for _, label, _ in path)
        if paragraph.place != BODY:
            blocks.append(Block(paragraph.place, labels, in_targets(), [(paragraph.number, text)]))
            continue
        after_heading = False
        if open_body is not None and _continues(open_body.parts[-1][1], paragraph):
            if text[:1].isupper():
                open_body.forced_breaks.append(len(open_body.text()))
            open_body.parts.append((paragraph.number, text))
            continue
        open_body = Block(BODY, labels, in_targets(), [(paragraph.number, text)])
        blocks.append(open_body)
    return blocks


def sentence_spans(text: str, forced: list[int]) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a block's text."""
    cuts = set(forced)
    for match in _SENTENCE_END.finditer(text):
        word = re.search(r"([\w/.]+)$", text[: match.start()])
        if word and fold(word.group(1)) in _ABBREVIATIONS:
            continue
        cuts.add(match.end())
    spans, start = [], 0
    for cut in sorted(cuts):
        if start < cut <= len(text):
            spans.append((start, cut))
            start = cut
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]
