"""Narrative reports written as .docx, .odt, .doc and .pdf files, for the document readers' tests.

The blocks of a text report (:mod:`tests.generators.report_text`) are written by several
writers, each the way a real program lays them out:

- :func:`write_docx_python_docx`: python-docx, headings as ``Heading N`` styles or as plain
  bold paragraphs (as many clerks type them), list items as ``List Bullet``, bold and italic
  runs, real Word footnotes (a ``word/footnotes.xml`` part and ``w:footnoteReference`` runs:
  python-docx has no API for them), text boxes as Word writes them (``mc:AlternateContent``
  with a DrawingML choice and a VML fallback, or VML only), tables as Word tables;
- :func:`write_odt_odfpy`: odfpy, for LibreOffice to convert (:func:`libreoffice_convert`) into
  a .docx, a .doc or a PDF as LibreOffice writes them;
- :func:`write_pdf_fpdf`: fpdf2 with DejaVu Sans (Vietnamese), paragraphs wrapped by
  ``multi_cell``, a running header and page numbers; :func:`write_scanned_pdf`: drawings only.

:func:`header_as_table` lays a report's first lines out as real reports do, in a borderless
two-column table (issuing body left, national motto right). Conversions by LibreOffice take
seconds: :func:`cached_fixture` keeps their results under ``.cache/`` by content hash.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

from tests.generators.report_text import FOOTNOTE_REFERENCE, Block

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "report-fixtures"
_FONTS = Path("/usr/share/fonts/truetype/dejavu")
_SPAN = re.compile(r"(\*\*|\*|" + FOOTNOTE_REFERENCE.pattern + ")")
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONVERT_TIMEOUT_S = 180


# ------------------------------------------------------------------ shared


def runs(marked: str) -> list[tuple[str, bool, bool, str | None]]:
    """``(text, bold, italic, footnote mark)`` runs of a marked paragraph; a mark has no text."""
    bold = italic = False
    pieces: list[tuple[str, bool, bool, str | None]] = []
    for token in _SPAN.split(marked):
        if token == "**":
            bold = not bold
        elif token == "*":
            italic = not italic
        elif FOOTNOTE_REFERENCE.fullmatch(token):
            pieces.append(("", bold, italic, token))
        elif token:
            pieces.append((token, bold, italic, None))
    return pieces


def _footnotes(blocks: list[Block]) -> dict[str, str]:
    return {b.footnote_mark: b.text for b in blocks if b.kind == "footnote" and b.footnote_mark}


def header_as_table(blocks: list[Block], left: int = 4, right: int = 2) -> list[Block]:
    """The blocks with the first ``left`` + ``right`` paragraphs laid out as a 2-column table.

    Each cell holds its paragraphs' lines (empty ones dropped), one per line, as the reader
    gives a cell's paragraphs.
    """
    head, rest = blocks[: left + right], blocks[left + right :]
    left_text = "\n".join(b.text for b in head[:left] if b.text)
    right_text = "\n".join(b.text for b in head[left:] if b.text)
    return [Block("table", rows=[[left_text, right_text]]), *rest]


def without(blocks: list[Block], *kinds: str) -> list[Block]:
    """The blocks without those of the given kinds (footnotes, text boxes, tables)."""
    return [block for block in blocks if block.kind not in kinds]


def cached_fixture(key: str, suffix: str, build: Callable[[Path], Path]) -> bytes:
    """The bytes of a fixture file, built once per content: ``build(folder)`` returns its path.

    ``key`` must name everything the file depends on (the blocks, the writer's options); this
    module's own source is part of the hash, so changing a writer rebuilds its fixtures.
    """
    source = Path(__file__).read_bytes()
    digest = hashlib.sha256(source + key.encode("utf-8")).hexdigest()[:24]
    target = CACHE / f"{digest}{suffix}"
    if target.exists():
        return target.read_bytes()
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="report-fixture-") as folder:
        built = build(Path(folder))
        partial = target.with_suffix(target.suffix + f".{os.getpid()}.part")
        shutil.copyfile(built, partial)
        partial.replace(target)  # atomic: a concurrent session reads whole files only
    return target.read_bytes()


def blocks_key(blocks: list[Block]) -> str:
    """A text naming the blocks' content, for :func:`cached_fixture`."""
    return repr([(b.kind, b.marked_text, b.level, b.rows, b.footnote_mark) for b in blocks])


# ------------------------------------------------------------------ python-docx


def write_docx_python_docx(
    blocks: list[Block],
    path: Path,
    *,
    styled_headings: bool = True,
    text_box_style: str = "alternate",
) -> Path:
    """A .docx written by python-docx; ``text_box_style`` is ``"alternate"`` or ``"vml"``.

    A table standing first (:func:`header_as_table`) is borderless, the others have a grid.
    """
    import docx
    from docx.shared import Pt

    document = docx.Document()
    notes = _footnotes(blocks)
    note_ids: dict[str, int] = {}
    for index, block in enumerate(blocks):
        if block.kind == "table":
            width = max(len(row) for row in block.rows)
            table = document.add_table(rows=len(block.rows), cols=width)
            if index > 0:
                table.style = "Table Grid"
            for r, row in enumerate(block.rows):
                for c, text in enumerate(row):
                    lines = text.split("\n")
                    cell = table.cell(r, c)
                    cell.paragraphs[0].add_run(lines[0])
                    for line in lines[1:]:
                        cell.add_paragraph(line)
            continue
        if block.kind == "footnote":
            continue  # written as a real footnote where it is referenced
        if block.kind == "textbox":
            anchor = document.add_paragraph()
            anchor._p.append(_text_box_run(block.text, text_box_style, index + 1))
            continue
        if block.kind == "heading" and styled_headings:
            paragraph = document.add_paragraph(style=f"Heading {min(block.level or 1, 9)}")
        elif block.kind == "list":
            paragraph = document.add_paragraph(style="List Bullet")
        else:
            paragraph = document.add_paragraph()
        for text, bold, italic, mark in runs(block.marked_text):
            if mark is not None:
                if mark in notes:
                    note_ids.setdefault(mark, len(note_ids) + 1)
                    paragraph._p.append(_footnote_reference_run(note_ids[mark]))
                continue
            run = paragraph.add_run(text)
            run.bold = bold or (block.kind == "heading" and not styled_headings) or None
            run.italic = italic or None
            if block.kind == "heading" and not styled_headings:
                run.font.size = Pt(13)
    if note_ids:
        _add_footnotes_part(document, {number: notes[mark] for mark, number in note_ids.items()})
    document.save(path)
    return path


def _footnote_reference_run(number: int):
    from docx.oxml import parse_xml

    return parse_xml(
        f'<w:r xmlns:w="{_W}"><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
        f'<w:footnoteReference w:id="{number}"/></w:r>'
    )


def _add_footnotes_part(document, notes: dict[int, str]) -> None:
    """A ``word/footnotes.xml`` part as Word writes it: two separators, then the notes."""
    from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    separators = (
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
        '</w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
        "<w:continuationSeparator/></w:r></w:p></w:footnote>"
    )
    bodies = "".join(
        f'<w:footnote w:id="{number}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
        f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {escape(text)}</w:t></w:r></w:p></w:footnote>'
        for number, text in sorted(notes.items())
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:footnotes xmlns:w="{_W}">{separators}{bodies}</w:footnotes>'
    ).encode()
    part = Part(
        PackURI("/word/footnotes.xml"), CONTENT_TYPE.WML_FOOTNOTES, xml, document.part.package
    )
    document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)


def _text_box_run(text: str, style: str, shape_id: int):
    """A run holding a text box: DrawingML with a VML fallback (as Word writes), or VML only."""
    from docx.oxml import parse_xml

    content = (
        f'<w:txbxContent><w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'
        f"</w:txbxContent>"
    )
    vml = (
        f'<w:pict><v:shape id="box{shape_id}" type="#_x0000_t202" '
        f'style="width:420pt;height:60pt"><v:textbox>{content}</v:textbox></v:shape></w:pict>'
    )
    namespaces = (
        f'xmlns:w="{_W}" xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
    )
    if style == "vml":
        return parse_xml(f"<w:r {namespaces}>{vml}</w:r>")
    drawing = (
        '<w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
        '<wp:extent cx="5334000" cy="762000"/>'
        f'<wp:docPr id="{shape_id}" name="Text Box {shape_id}"/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/'
        'wordprocessingShape"><wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" '
        'y="0"/><a:ext cx="5334000" cy="762000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/>'
        f"</a:prstGeom></wps:spPr><wps:txbx>{content}</wps:txbx><wps:bodyPr/></wps:wsp>"
        "</a:graphicData></a:graphic></wp:inline></w:drawing>"
    )
    return parse_xml(
        f'<w:r {namespaces}><mc:AlternateContent><mc:Choice Requires="wps">{drawing}'
        f"</mc:Choice><mc:Fallback>{vml}</mc:Fallback></mc:AlternateContent></w:r>"
    )


# ------------------------------------------------------------------ odfpy and LibreOffice


def write_odt_odfpy(blocks: list[Block], path: Path) -> Path:
    """An OpenDocument text written by odfpy: outline headings, bullet lists, real footnotes."""
    from odf import draw, style, table, text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    bold = style.Style(name="Bold", family="text")
    bold.addElement(style.TextProperties(fontweight="bold"))
    italic = style.Style(name="Italic", family="text")
    italic.addElement(style.TextProperties(fontstyle="italic"))
    both = style.Style(name="BoldItalic", family="text")
    both.addElement(style.TextProperties(fontweight="bold", fontstyle="italic"))
    frame_style = style.Style(name="Box", family="graphic")
    frame_style.addElement(style.GraphicProperties(border="0.5pt solid #000000"))
    document.automaticstyles.addElement(frame_style)
    for automatic in (bold, italic, both):
        document.automaticstyles.addElement(automatic)
    headings = {}
    for level in range(1, 10):
        heading = style.Style(
            name=f"Heading_20_{level}",
            displayname=f"Heading {level}",
            family="paragraph",
            defaultoutlinelevel=str(level),
        )
        heading.addElement(style.TextProperties(fontweight="bold"))
        document.styles.addElement(heading)
        headings[level] = heading
    bullets = text.ListStyle(name="Bullets")
    bullet_level = text.ListLevelStyleBullet(level="1", bulletchar="•")
    bullet_level.addElement(style.ListLevelProperties(spacebefore="0.6cm", minlabelwidth="0.6cm"))
    bullets.addElement(bullet_level)
    document.automaticstyles.addElement(bullets)
    notes = _footnotes(blocks)
    spans = {(True, False): bold, (False, True): italic, (True, True): both}
    note_number = 0

    def fill(element, marked: str) -> None:
        nonlocal note_number
        for piece, is_bold, is_italic, mark in runs(marked):
            if mark is not None:
                if mark in notes:
                    note_number += 1
                    note = text.Note(noteclass="footnote", id=f"ftn{note_number}")
                    note.addElement(text.NoteCitation(text=str(note_number)))
                    body = text.NoteBody()
                    body.addElement(text.P(text=notes[mark]))
                    note.addElement(body)
                    element.addElement(note)
                continue
            span_style = spans.get((is_bold, is_italic))
            if span_style is None:
                element.addText(piece)
            else:
                element.addElement(text.Span(stylename=span_style, text=piece))

    pending_list = None
    for index, block in enumerate(blocks):
        if block.kind != "list":
            pending_list = None
        if block.kind == "footnote":
            continue
        if block.kind == "table":
            width = max(len(row) for row in block.rows)
            grid = table.Table(name=f"Table{index}")
            grid.addElement(table.TableColumn(numbercolumnsrepeated=str(width)))
            for row in block.rows:
                row_element = table.TableRow()
                for cell_text in row + [""] * (width - len(row)):
                    cell = table.TableCell(valuetype="string")
                    for line in cell_text.split("\n"):
                        cell.addElement(text.P(text=line))
                    row_element.addElement(cell)
                grid.addElement(row_element)
            document.text.addElement(grid)
        elif block.kind == "textbox":
            anchor = text.P()
            frame = draw.Frame(
                stylename=frame_style, anchortype="paragraph", width="15cm", height="2cm"
            )
            box = draw.TextBox()
            box.addElement(text.P(text=block.text))
            frame.addElement(box)
            anchor.addElement(frame)
            document.text.addElement(anchor)
        elif block.kind == "heading":
            heading = text.H(
                outlinelevel=str(block.level or 1), stylename=headings[block.level or 1]
            )
            fill(heading, block.marked_text)
            document.text.addElement(heading)
        elif block.kind == "list":
            if pending_list is None:
                pending_list = text.List(stylename=bullets)
                document.text.addElement(pending_list)
            item = text.ListItem()
            paragraph = text.P()
            fill(paragraph, block.marked_text)
            item.addElement(paragraph)
            pending_list.addElement(item)
        else:
            paragraph = text.P()
            fill(paragraph, block.marked_text)
            document.text.addElement(paragraph)
    document.save(str(path))
    return path


def soffice() -> str | None:
    """LibreOffice's program on PATH, if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_convert(src: Path, target_ext: str, outdir: Path) -> Path:
    """``src`` converted by LibreOffice (headless, its own profile) into ``outdir``."""
    program = soffice()
    if program is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        command = [
            program,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            target_ext,
            "--outdir",
            str(outdir),
            str(src),
        ]
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "HOME": profile},
        )
        try:
            process.wait(timeout=_CONVERT_TIMEOUT_S)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    result = outdir / f"{src.stem}.{target_ext}"
    if not result.exists():
        raise RuntimeError(f"LibreOffice did not convert {src.name} to {target_ext}")
    return result


# ------------------------------------------------------------------ fpdf2


def write_pdf_fpdf(blocks: list[Block], path: Path, *, running_header: str = "") -> Path:
    """A PDF written by fpdf2: paragraphs wrapped and justified, a header and page numbers.

    Footnotes stand where their block stands, in a smaller font; a text box is a framed
    paragraph; a table is an fpdf2 table.
    """
    from fpdf import FPDF

    class Report(FPDF):
        def header(self) -> None:
            if running_header:
                self.set_font("DejaVu", "", 8)
                self.cell(0, 5, running_header, align="C")
                self.ln(8)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", "", 8)
            self.cell(0, 5, str(self.page_no()), align="C")

    pdf = Report(format="A4")
    pdf.add_font("DejaVu", "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(_FONTS / "DejaVuSans-Oblique.ttf"))
    pdf.set_margins(20, 15, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    for block in blocks:
        if block.kind == "table":
            pdf.set_font("DejaVu", "", 9)
            with pdf.table() as grid:
                for row in block.rows:
                    cells = grid.row()
                    for cell_text in row:
                        cells.cell(cell_text)
            pdf.ln(3)
            continue
        if not block.text:
            continue
        if block.kind == "heading":
            pdf.set_font("DejaVu", "B", 11)
            pdf.multi_cell(0, 6, block.text, align="L")
        elif block.kind == "footnote":
            pdf.set_font("DejaVu", "", 8)
            pdf.multi_cell(0, 4, block.text, align="J")
        elif block.kind == "textbox":
            pdf.set_font("DejaVu", "I", 10)
            pdf.multi_cell(0, 6, block.text, border=1, align="L")
        elif block.kind == "list":
            pdf.set_font("DejaVu", "", 10)
            pdf.set_x(pdf.l_margin + 6)
            pdf.multi_cell(0, 5.5, block.text, align="J")
        else:
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(0, 5.5, block.text, align="J")
        pdf.ln(2.5)
    pdf.output(str(path))
    return path


def write_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """A PDF like a scan: drawings on every page, no text at all."""
    from fpdf import FPDF

    pdf = FPDF()
    for page in range(pages):
        pdf.add_page()
        for line in range(40):
            pdf.line(20, 20 + line * 6, 190 - (line * 7 + page) % 60, 20 + line * 6)
        pdf.rect(30, 270, 40, 10)
    pdf.output(str(path))
    return path


def write_pdf_pages(path: Path, pages: int, *, user_password: str | None = None) -> Path:
    """A PDF of ``pages`` short pages of text, encrypted when ``user_password`` is given."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.set_font("DejaVu", "", 11)
    if user_password is not None:
        pdf.set_encryption(owner_password="owner", user_password=user_password)
    for page in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Trang {page + 1}: tổng số đảng viên triệu tập 107 đồng chí.")
    pdf.output(str(path))
    return path
