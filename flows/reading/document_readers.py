"""A report's file (.docx, .doc, .pdf) read into a :class:`~flows.reading.document.Document`.

The extension says what the clerk meant to send; the bytes say what it is. A Word 97
document saved under ``.docx`` is converted like a ``.doc``, a .docx saved under ``.doc``
read as a .docx, an encrypted Word file of either name refused as password-protected.
Whatever cannot be read raises :class:`~flows.reading.errors.UnreadableFile` with a reason
for the clerk, Vietnamese first; every limit (:class:`~flows.reading.safety.Limits`) is
checked before a reader allocates in proportion to what it limits.
"""

from __future__ import annotations

from dataclasses import replace

from flows.reading.doc_convert import DEFAULT_TIMEOUT_S, convert_doc, is_word_97, not_a_doc
from flows.reading.document import Document
from flows.reading.docx_reader import password_protected, read_docx
from flows.reading.errors import UnreadableFile
from flows.reading.extents import OLE_MAGIC
from flows.reading.pdf_reader import read_pdf
from flows.reading.safety import DEFAULT_LIMITS, ENCRYPTED_PACKAGE, Limits

DOCUMENT_EXTENSIONS = (".docx", ".doc", ".pdf")
_ZIP_MAGIC = b"PK\x03\x04"


def _unsupported(extension: str) -> UnreadableFile:
    shown = extension or "(không có đuôi)"
    return UnreadableFile(
        f"Loại tệp báo cáo {shown} không được hỗ trợ; hãy gửi báo cáo dạng Word (.docx, .doc) "
        "hoặc PDF.",
        f"Report file type {extension or '(none)'} is not supported; send the report as a Word "
        "(.docx, .doc) or PDF file.",
    )


def read_document(
    data: bytes,
    extension: str,
    limits: Limits = DEFAULT_LIMITS,
    doc_timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Document:
    """The paragraphs and tables of a report; ``extension``: ``.docx``, ``.doc`` or ``.pdf``."""
    if extension not in DOCUMENT_EXTENSIONS:
        raise _unsupported(extension)
    if extension == ".pdf":
        return read_pdf(data, limits)
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_PACKAGE in data:
            raise password_protected()
        if is_word_97(data):
            converted = convert_doc(data, doc_timeout_s, limits)
            return replace(read_docx(converted, limits), kind="doc")
        if extension == ".doc":
            raise not_a_doc()
    if extension == ".doc" and not data.startswith(_ZIP_MAGIC):
        raise not_a_doc()
    document = read_docx(data, limits)
    return replace(document, kind="doc") if extension == ".doc" else document
