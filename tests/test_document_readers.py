"""The seed report, written by each writer into each container, reads back as written.

Word files (.docx by python-docx and by LibreOffice, .doc by LibreOffice) must give the
seed's body text exactly (whitespace collapsed), its headings, list items, footnotes and
text boxes where they are anchored, and its tables cell by cell. PDFs (LibreOffice's and
fpdf2's) must give the seed's words in order, and most of its paragraphs as paragraphs,
every heading starting one. Combinations of writer options are drawn, not one per rule.
LibreOffice's conversions are cached under ``.cache/`` (:func:`cached_fixture`).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from flows.reading.doc_convert import libreoffice_available
from flows.reading.document import BODY, FOOTNOTE, TEXT_BOX, Document
from flows.reading.document_readers import read_document
from flows.reading.errors import UnreadableFile
from tests.generators.report_text import Block, read_report_file, to_document
from tests.generators.reports import (
    blocks_key,
    cached_fixture,
    header_as_table,
    libreoffice_convert,
    without,
    write_docx_python_docx,
    write_odt_odfpy,
    write_pdf_fpdf,
)

needs_libreoffice = pytest.mark.skipif(
    not libreoffice_available(), reason="LibreOffice (soffice) is not installed"
)

BOX = "Hộp chữ: đã giải quyết 130/130 ý kiến cử tri"
APPENDIX = [
    ["STT", "Chỉ tiêu", "ĐVT", "Chỉ tiêu NQ", "Thực hiện"],
    ["1", "Tỷ lệ hộ nghèo", "%", "", "3,07"],
    ["2", "Đảng viên được học tập Nghị quyết", "đồng chí", "107", "98"],
]


def seed_variant(
    *, header_table: bool, footnotes: bool, text_boxes: bool, body_table: bool
) -> list[Block]:
    """The seed's blocks, with its header as a table, text boxes and an appendix table or not."""
    blocks = read_report_file()
    if not footnotes:
        blocks = without(blocks, "footnote")
    if text_boxes:
        blocks.insert(30, Block("textbox", BOX, f">> {BOX}"))
        blocks.insert(120, Block("textbox", "Ghi chú: số liệu đến 30/4/2023", ">> Ghi chú"))
    if body_table:
        blocks.insert(len(blocks) - 12, Block("table", rows=APPENDIX))
    return header_as_table(blocks) if header_table else blocks


def _preceding_body(document: Document, paragraph_number: int) -> str:
    """The text of the last body paragraph before ``paragraph_number`` ('' if none)."""
    before = [
        p.text for p in document.paragraphs if p.number < paragraph_number and p.place == BODY
    ]
    return before[-1] if before else ""


def assert_word_document(document: Document, blocks: list[Block], heading_levels: bool) -> None:
    """Body text, headings, lists, footnotes, text boxes and tables as the blocks say."""
    expected = to_document(blocks)
    assert document.body_text() == expected.body_text()
    read_body = [p for p in document.paragraphs if p.place == BODY]
    expected_body = [p for p in expected.paragraphs if p.place == BODY]
    assert [p.is_list_item for p in read_body] == [p.is_list_item for p in expected_body]
    levels = [p.heading_level for p in read_body]
    assert levels == (
        [p.heading_level for p in expected_body] if heading_levels else [None] * len(read_body)
    )
    assert [p.number for p in document.paragraphs] == list(range(1, len(document.paragraphs) + 1))
    # A footnote right after the paragraph holding its reference; a text box after its anchor.
    notes = {b.footnote_mark: b.text for b in blocks if b.kind == "footnote"}
    referencing = {
        b.text: [notes[m] for m in _marks(b.marked_text) if m in notes]
        for b in blocks
        if b.kind not in ("footnote", "table") and any(m in notes for m in _marks(b.marked_text))
    }
    read_notes = [p for p in document.paragraphs if p.place == FOOTNOTE]
    assert [p.text for p in read_notes] == [t for texts in referencing.values() for t in texts]
    for note in read_notes:
        assert note.text in referencing[_preceding_body(document, note.number)]
    boxes = [(i, b) for i, b in enumerate(blocks) if b.kind == "textbox"]
    read_boxes = [p for p in document.paragraphs if p.place == TEXT_BOX]
    assert [p.text for p in read_boxes] == [b.text for _, b in boxes]
    for (index, _), box in zip(boxes, read_boxes, strict=True):
        anchor = next(b.text for b in reversed(blocks[:index]) if b.kind != "table" and b.text)
        assert _preceding_body(document, box.number) == anchor
    assert [t.rows for t in document.tables] == [t.rows for t in expected.tables]
    for table, block_index in zip(
        document.tables, [i for i, b in enumerate(blocks) if b.kind == "table"], strict=True
    ):
        before = [b.text for b in blocks[:block_index] if b.kind not in ("footnote", "table")]
        before = [t for t in before if t]
        if before:
            assert _preceding_body(document, table.after_paragraph + 1) == before[-1]
        else:
            assert table.after_paragraph == 0


def _marks(marked: str) -> list[str]:
    from tests.generators.report_text import FOOTNOTE_REFERENCE

    return FOOTNOTE_REFERENCE.findall(marked)


# ------------------------------------------------------------------ python-docx

# Drawn so that each option meets each other one both ways (pairwise), not all 48.
PYTHON_DOCX_CASES = [
    # styled headings, header as table, footnotes, text boxes, body table
    (True, False, True, "alternate", False),
    (True, True, False, "vml", True),
    (False, True, True, None, True),
    (False, False, False, "alternate", True),
    (True, True, True, None, False),
    (False, False, True, "vml", False),
]


@pytest.mark.parametrize(
    ("styled", "header_table", "footnotes", "text_boxes", "body_table"), PYTHON_DOCX_CASES
)
def test_python_docx_reports_read_back_as_written(
    tmp_path, styled, header_table, footnotes, text_boxes, body_table
):
    blocks = seed_variant(
        header_table=header_table,
        footnotes=footnotes,
        text_boxes=text_boxes is not None,
        body_table=body_table,
    )
    path = write_docx_python_docx(
        blocks, tmp_path / "report.docx", styled_headings=styled, text_box_style=text_boxes or ""
    )
    document = read_document(path.read_bytes(), ".docx")
    assert document.kind == "docx"
    assert_word_document(document, blocks, heading_levels=styled)


def test_a_header_laid_out_as_a_table_is_among_the_header_lines(tmp_path):
    blocks = seed_variant(header_table=True, footnotes=False, text_boxes=False, body_table=False)
    path = write_docx_python_docx(blocks, tmp_path / "report.docx")
    lines = read_document(path.read_bytes(), ".docx").header_lines(12)
    assert lines[0].splitlines() == [
        "ĐẢNG BỘ HUYỆN ĐỨC PHỐ",
        "ĐẢNG ỦY PHƯỜNG PHỐ HOÀ",
        "Số 263-BC/ĐU",
    ]
    assert "Phố Hoà, ngày 18 tháng 5 năm 2023" in lines[1]
    assert lines[2] == "BÁO CÁO"


# ------------------------------------------------------------------ LibreOffice


FULL = {"header_table": True, "footnotes": True, "text_boxes": True, "body_table": True}


def _libreoffice_docx(blocks: list[Block]) -> bytes:
    def build(folder: Path) -> Path:
        return libreoffice_convert(write_odt_odfpy(blocks, folder / "r.odt"), "docx", folder)

    return cached_fixture("odt->docx" + blocks_key(blocks), ".docx", build)


def _python_docx_converted(blocks: list[Block], target: str) -> bytes:
    def build(folder: Path) -> Path:
        source = write_docx_python_docx(blocks, folder / "r.docx", styled_headings=True)
        return libreoffice_convert(source, target, folder / "out")

    return cached_fixture(f"docx->{target}" + blocks_key(blocks), f".{target}", build)


def _odt_pdf(blocks: list[Block]) -> bytes:
    def build(folder: Path) -> Path:
        return libreoffice_convert(write_odt_odfpy(blocks, folder / "r.odt"), "pdf", folder)

    return cached_fixture("odt->pdf" + blocks_key(blocks), ".pdf", build)


@needs_libreoffice
@pytest.mark.parametrize("options", [FULL, {**FULL, "header_table": False, "text_boxes": False}])
def test_libreoffice_docx_reads_back_as_written(options):
    blocks = seed_variant(**options)
    document = read_document(_libreoffice_docx(blocks), ".docx")
    assert_word_document(document, blocks, heading_levels=True)


@needs_libreoffice
def test_a_doc_is_converted_and_reads_back_as_written():
    blocks = seed_variant(**{**FULL, "header_table": False})
    document = read_document(_python_docx_converted(blocks, "doc"), ".doc")
    assert document.kind == "doc"
    assert_word_document(document, blocks, heading_levels=True)


def test_a_doc_without_libreoffice_asks_for_a_docx(monkeypatch, tmp_path):
    # Any Word 97 file will do: LibreOffice is looked for before anything reads it.
    from flows.reading.doc_convert import WORD_STREAM
    from flows.reading.extents import OLE_MAGIC

    monkeypatch.setenv("PATH", str(tmp_path))
    data = OLE_MAGIC + bytes(504) + WORD_STREAM + bytes(1000)
    for extension in (".doc", ".docx"):
        with pytest.raises(UnreadableFile) as refused:
            read_document(data, extension)
        assert ".docx" in refused.value.reason_vi and "lưu lại" in refused.value.reason_vi
        assert "save it as .docx" in refused.value.reason_en


# ------------------------------------------------------------------ PDF


def _words(text: str) -> list[str]:
    return text.split()


def assert_pdf_document(document: Document, blocks: list[Block]) -> None:
    """The body's words in order (extras allowed: footnotes, tables, text boxes), and
    most of its paragraphs as paragraphs, each heading starting one."""
    assert document.kind == "pdf" and document.pages and document.pages > 5
    expected = [p for p in to_document(blocks).paragraphs if p.place == BODY]
    expected_words = _words(" ".join(p.text for p in expected))
    read_words = _words(" ".join(p.text for p in document.paragraphs))
    matcher = difflib.SequenceMatcher(None, expected_words, read_words, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    assert matched >= 0.995 * len(expected_words)
    read_texts = {p.text for p in document.paragraphs}
    found = [p for p in expected if p.text in read_texts]
    assert len(found) >= 0.9 * len(expected)
    starts = [p.text for p in document.paragraphs]
    for heading in (p for p in expected if p.heading_level):
        assert any(text.startswith(heading.text[:40]) for text in starts), heading.text


@needs_libreoffice
def test_libreoffice_pdfs_read_back_with_the_seed_words_and_paragraphs():
    blocks = seed_variant(**FULL)
    assert_pdf_document(read_document(_odt_pdf(blocks), ".pdf"), blocks)
    blocks = seed_variant(**{**FULL, "header_table": False, "body_table": False})
    assert_pdf_document(read_document(_python_docx_converted(blocks, "pdf"), ".pdf"), blocks)


@pytest.mark.parametrize("running_header", ["", "ĐẢNG ỦY PHƯỜNG PHỐ HOÀ"])
def test_fpdf_pdfs_read_back_without_running_headers_and_page_numbers(tmp_path, running_header):
    blocks = seed_variant(header_table=False, footnotes=True, text_boxes=True, body_table=True)
    path = write_pdf_fpdf(blocks, tmp_path / "report.pdf", running_header=running_header)
    document = read_document(path.read_bytes(), ".pdf")
    assert_pdf_document(document, blocks)
    texts = [p.text for p in document.paragraphs]
    # Page numbers dropped: what digits stand alone are the appendix's cells.
    assert {text for text in texts if text.isdigit()} <= {cell for row in APPENDIX for cell in row}
    # The running header stands once, as the report's own line, not once per page.
    assert sum("ĐẢNG ỦY PHƯỜNG PHỐ HOÀ" in text for text in texts) == 1


@needs_libreoffice
def test_conversions_at_once_each_have_their_own_libreoffice():
    from concurrent.futures import ThreadPoolExecutor

    from flows.reading.doc_convert import convert_doc

    blocks = seed_variant(**{**FULL, "header_table": False})
    data = _python_docx_converted(blocks, "doc")
    with ThreadPoolExecutor(2) as pool:
        converted = list(pool.map(convert_doc, [data, data]))
    assert all(docx.startswith(b"PK\x03\x04") for docx in converted)


@needs_libreoffice
def test_a_conversion_over_its_time_is_stopped_with_a_reason():
    from flows.reading.doc_convert import convert_doc

    blocks = seed_variant(**{**FULL, "header_table": False})
    with pytest.raises(UnreadableFile) as refused:
        convert_doc(_python_docx_converted(blocks, "doc"), timeout_s=0.05)
    assert "giây" in refused.value.reason_vi and "seconds" in refused.value.reason_en
