"""Hostile or broken report files are refused with a reason for the clerk, never a crash.

Each case must raise :class:`UnreadableFile` with a Vietnamese and an English reason that
say what is wrong (asserted on key words), worded for a report, not a spreadsheet; and
never any other exception. Limits are made small where the file would otherwise have to
be large (:class:`Limits` is passed through :func:`read_document`).
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from flows.reading.doc_convert import WORD_STREAM, libreoffice_available
from flows.reading.document_readers import read_document
from flows.reading.errors import UnreadableFile
from flows.reading.extents import OLE_MAGIC
from flows.reading.safety import DEFAULT_LIMITS, Limits
from tests.generators.report_text import read_report_file
from tests.generators.reports import (
    blocks_key,
    cached_fixture,
    libreoffice_convert,
    write_docx_python_docx,
    write_pdf_pages,
    write_scanned_pdf,
)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
)


def _document_xml(body: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> bytes:
    return f'{prolog}<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>'.encode()


def _paragraphs(count: int, extra: str = "") -> str:
    return "".join(f"<w:p><w:r><w:t>Đoạn {n}</w:t></w:r>{extra}</w:p>" for n in range(count))


def _base_docx(tmp_path: Path) -> bytes:
    blocks = read_report_file()[:30]
    return write_docx_python_docx(blocks, tmp_path / "base.docx").read_bytes()


def _with_parts(base: bytes, parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED):
    """A copy of the .docx ``base`` with some parts replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info, source.read(info))
        for name, data in parts.items():
            target.writestr(name, data, compress_type=compression)
    return out.getvalue()


def _footnotes_part(body: str, prolog: str = "") -> bytes:
    return f'{prolog}<w:footnotes xmlns:w="{W}">{body}</w:footnotes>'.encode()


def _lying_sizes(data: bytes, name: str, declared: int) -> bytes:
    """The zip with ``name``'s declared uncompressed size (both headers) set to ``declared``."""
    patched = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    local = info.header_offset
    struct.pack_into("<L", patched, local + 22, declared)
    central = patched.find(b"PK\x01\x02", 0)
    while central >= 0:
        name_length = struct.unpack_from("<H", patched, central + 28)[0]
        if bytes(patched[central + 46 : central + 46 + name_length]) == name.encode():
            struct.pack_into("<L", patched, central + 24, declared)
            break
        central = patched.find(b"PK\x01\x02", central + 4)
    return bytes(patched)


@dataclass(frozen=True)
class Case:
    name: str
    extension: str
    build: object  # (tmp_path) -> bytes
    words_vi: tuple[str, ...]
    words_en: tuple[str, ...]
    limits: Limits = DEFAULT_LIMITS


def _zip_bomb(tmp_path):
    return _with_parts(_base_docx(tmp_path), {"word/document.xml": _document_xml(" " * (8 << 20))})


def _dtd_in_document(tmp_path):
    return _with_parts(
        _base_docx(tmp_path),
        {"word/document.xml": _document_xml(_paragraphs(3), prolog=_BILLION_LAUGHS)},
    )


def _dtd_in_footnotes(tmp_path):
    note = '<w:footnote w:id="1"><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:footnote>'
    return _with_parts(
        _base_docx(tmp_path), {"word/footnotes.xml": _footnotes_part(note, _BILLION_LAUGHS)}
    )


def _large_document(tmp_path):
    return _with_parts(
        _base_docx(tmp_path), {"word/document.xml": _document_xml(_paragraphs(40_000))}
    )


def _document_larger_than_declared(tmp_path):
    data = _with_parts(
        _base_docx(tmp_path),
        {"word/document.xml": _document_xml(_paragraphs(2_000))},
        zipfile.ZIP_STORED,
    )
    return _lying_sizes(data, "word/document.xml", 100)


def _many_paragraphs(tmp_path):
    return _with_parts(_base_docx(tmp_path), {"word/document.xml": _document_xml(_paragraphs(300))})


def _many_note_paragraphs(tmp_path):
    """Few paragraphs, each referencing one long footnote: the reader's count, not the scan's."""
    note = '<w:footnote w:id="1">' + _paragraphs(20) + "</w:footnote>"
    reference = '<w:r><w:footnoteReference w:id="1"/></w:r>'
    return _with_parts(
        _base_docx(tmp_path),
        {
            "word/document.xml": _document_xml(_paragraphs(40, reference)),
            "word/footnotes.xml": _footnotes_part(note),
        },
    )


def _many_cells(tmp_path):
    row = "<w:tr>" + "<w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc>" * 20 + "</w:tr>"
    return _with_parts(
        _base_docx(tmp_path), {"word/document.xml": _document_xml(f"<w:tbl>{row * 30}</w:tbl>")}
    )


def _spans(tmp_path, span: str, rows: int = 40) -> bytes:
    cell = f'<w:tc><w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr><w:p/></w:tc>'
    row = f"<w:tr>{cell * 4}</w:tr>"
    return _with_parts(
        _base_docx(tmp_path), {"word/document.xml": _document_xml(f"<w:tbl>{row * rows}</w:tbl>")}
    )


def _hostile_spans(tmp_path):
    """Cells claiming to span 9 999 columns: held to Word's 63, then counted."""
    return _spans(tmp_path, "9999")


def _encrypted_docx(tmp_path):
    plain = io.BytesIO(_base_docx(tmp_path))
    encrypted = io.BytesIO()
    OOXMLFile(plain).encrypt("matkhau", encrypted)
    return encrypted.getvalue()


def _word_97_renamed(tmp_path) -> bytes:
    """A real .doc whose Word stream is renamed: an OLE file without a Word document."""
    blocks = read_report_file()[:20]

    def build(folder: Path) -> Path:
        source = write_docx_python_docx(blocks, folder / "r.docx")
        return libreoffice_convert(source, "doc", folder / "out")

    data = cached_fixture("docx->doc" + blocks_key(blocks), ".doc", build)
    return data.replace(WORD_STREAM, "WordDocumenX".encode("utf-16-le"))


def _pdf(tmp_path, pages=3, password=None):
    return write_pdf_pages(tmp_path / "p.pdf", pages, user_password=password).read_bytes()


def _pdf_lying_about_its_pages(tmp_path):
    data = _pdf(tmp_path, pages=8)
    assert data.count(b"/Count 8") == 1
    return data.replace(b"/Count 8", b"/Count 2")


DAMAGED_VI, DAMAGED_EN = ("hỏng", "Word (.docx)"), ("damaged", "Word")
TOO_LARGE_VI, TOO_LARGE_EN = ("từ chối", "báo cáo"), ("refused", "report")

CASES = [
    Case("zip bomb", ".docx", _zip_bomb, ("nén bất thường", "báo cáo"), ("compressed", "report")),
    Case(
        "DTD in document.xml", ".docx", _dtd_in_document, ("DOCTYPE", "Word"), ("DOCTYPE", "Word")
    ),
    Case("DTD in footnotes.xml", ".docx", _dtd_in_footnotes, ("DOCTYPE",), ("DOCTYPE",)),
    Case(
        "document.xml too large",
        ".docx",
        _large_document,
        (*TOO_LARGE_VI, "MB"),
        (*TOO_LARGE_EN, "MB"),
        Limits(max_word_part_bytes=1 << 20),
    ),
    Case(
        "document.xml larger than declared",
        ".docx",
        _document_larger_than_declared,
        DAMAGED_VI,
        DAMAGED_EN,
    ),
    Case(
        "too many paragraphs",
        ".docx",
        _many_paragraphs,
        (*TOO_LARGE_VI, "đoạn văn"),
        (*TOO_LARGE_EN, "paragraphs"),
        Limits(max_paragraphs=200),
    ),
    Case(
        "too many paragraphs through footnotes",
        ".docx",
        _many_note_paragraphs,
        ("đoạn văn",),
        ("paragraphs",),
        Limits(max_paragraphs=300),
    ),
    Case(
        "too many cells in a table",
        ".docx",
        _many_cells,
        ("bảng 1", "ô"),
        ("table 1", "cells"),
        Limits(max_cells_per_table=500),
    ),
    Case(
        "too many cells in all",
        ".docx",
        _many_cells,
        ("ô bảng",),
        ("table cells",),
        Limits(max_table_cells=100),
    ),
    Case(
        "hostile column spans",
        ".docx",
        _hostile_spans,
        ("bảng 1",),
        ("table 1",),
        Limits(max_cells_per_table=5_000),
    ),
    Case(
        "too much text",
        ".docx",
        _many_paragraphs,
        ("ký tự",),
        ("characters",),
        Limits(max_text_chars=1_000),
    ),
    Case(
        "encrypted .docx", ".docx", _encrypted_docx, ("mật khẩu", "Protect Document"), ("password",)
    ),
    Case("encrypted, named .doc", ".doc", _encrypted_docx, ("mật khẩu",), ("password",)),
    Case(
        "damaged zip",
        ".docx",
        lambda tmp_path: _base_docx(tmp_path)[:3000],
        DAMAGED_VI,
        DAMAGED_EN,
    ),
    Case(
        "random bytes as .docx", ".docx", lambda _: bytes(range(256)) * 40, DAMAGED_VI, DAMAGED_EN
    ),
    Case(
        "random bytes as .doc",
        ".doc",
        lambda _: bytes(range(256)) * 40,
        (".doc", "hỏng"),
        (".doc",),
    ),
    Case("an empty .doc", ".doc", lambda _: b"", (".doc",), (".doc",)),
    Case(
        "OLE file without a Word stream",
        ".doc",
        lambda _: OLE_MAGIC + bytes(4000),
        (".doc", "không phải văn bản Word"),
        ("not a Word document",),
    ),
    Case(
        "PDF: encrypted",
        ".pdf",
        lambda t: _pdf(t, password="matkhau"),
        ("mật khẩu",),
        ("password",),
    ),
    Case(
        "PDF: too many pages",
        ".pdf",
        lambda t: _pdf(t, pages=12),
        ("12 trang", "báo cáo"),
        ("12 pages",),
        Limits(max_pdf_pages=10),
    ),
    Case(
        "PDF: too many pages, the tree's count lying",
        ".pdf",
        _pdf_lying_about_its_pages,
        ("hơn 5 trang",),
        ("over 5 pages",),
        Limits(max_pdf_pages=5),
    ),
    Case("not a PDF", ".pdf", lambda _: b"<html>not a pdf</html>" * 50, ("PDF", "hỏng"), ("PDF",)),
    Case(
        "PDF: truncated",
        ".pdf",
        lambda t: _pdf(t, pages=4)[:-600],
        ("cắt cụt",),
        ("truncated",),
    ),
    Case(
        "PDF: broken inside",
        ".pdf",
        lambda t: b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n",
        ("PDF", "hỏng"),
        ("damaged",),
    ),
    Case(
        "PDF: a scan",
        ".pdf",
        lambda t: write_scanned_pdf(t / "scan.pdf").read_bytes(),
        ("bản quét", ".docx"),
        ("scan", "text layer"),
    ),
    Case("unsupported extension", ".odt", lambda _: b"PK\x03\x04", (".odt",), (".odt",)),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_or_broken_report_is_refused_with_a_reason(tmp_path, case):
    data = case.build(tmp_path)
    with pytest.raises(UnreadableFile) as refused:
        read_document(data, case.extension, case.limits)
    reason_vi, reason_en = refused.value.reason_vi, refused.value.reason_en
    assert reason_vi and reason_en and reason_vi != reason_en
    for word in case.words_vi:
        assert word in reason_vi, (word, reason_vi)
    for word in case.words_en:
        assert word in reason_en, (word, reason_en)
    # A report's refusal never tells the clerk to send a spreadsheet.
    assert "Excel" not in reason_vi + reason_en and "xlsx" not in reason_vi + reason_en


@pytest.mark.skipif(not libreoffice_available(), reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize(
    ("name", "build", "words_vi"),
    [
        ("OLE file whose Word stream was renamed", _word_97_renamed, ("không phải văn bản Word",)),
        (
            "a Word stream LibreOffice cannot convert",
            lambda _: OLE_MAGIC + bytes(504) + WORD_STREAM + bytes(3000),
            ("Không chuyển đổi được",),
        ),
    ],
)
def test_a_broken_doc_is_refused_with_a_reason(tmp_path, name, build, words_vi):
    with pytest.raises(UnreadableFile) as refused:
        read_document(build(tmp_path), ".doc", doc_timeout_s=60)
    for word in words_vi:
        assert word in refused.value.reason_vi
    assert ".docx" in refused.value.reason_vi and ".docx" in refused.value.reason_en


def test_the_limits_leave_the_real_report_alone(tmp_path):
    data = _base_docx(tmp_path)
    assert read_document(data, ".docx").paragraphs


def test_a_span_of_absurd_width_is_not_allocated(tmp_path):
    document = read_document(_spans(tmp_path, "9" * 5000, rows=2), ".docx")
    assert [len(row) for row in document.tables[0].rows] == [4, 4]
