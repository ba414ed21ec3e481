"""A narrative report, and a reviewed workbook of its figures, as submissions.

A report (.docx, .doc, .pdf) gives:

- one submission per Word table holding an indicator table (``source_kind`` 'word_table'),
  read by the same table walk as a sheet, named ``Bảng N`` so that a value's provenance is
  its table, row and column; the report's header supplies the unit and period a table
  does not state itself;
- one submission for its prose (``source_kind`` 'document', sheet ``Văn bản``) holding the
  figures it states as candidates, with no values: a person confirms them first.

A reviewed workbook (:mod:`flows.outputs.review_workbook` writes it, a reviewer fills it in
and drops it into the landing folder) gives one submission (``source_kind`` 'review') for
the report's unit and period, whose values are the accepted candidates, traced to the
report and its sentence, and whose decisions mark every candidate accepted or rejected.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flows.domain.textnorm import fold
from flows.domain.units import UnitNotResolved
from flows.quality.rulebook import severity
from flows.reading.document import Document
from flows.reading.document_readers import read_document
from flows.reading.prose import candidate_id, extract_candidates
from flows.reading.report_header import (
    ReportIdentity,
    identity_reason,
    read_report_identity,
    resolve_report_unit,
)
from flows.reading.reviewed import ReviewedWorkbook, is_review_workbook, read_reviewed_workbook
from flows.reading.rows import QUALIFIER_SYMBOLS, Candidate, Observation, ReviewDecision
from flows.reading.submission import (
    FileReading,
    Issue,
    LandedFile,
    Submission,
    from_parsed_sheet,
    resolve_unit,
    submission_id,
    unreadable_file,
)
from flows.reading.table import parse_sheet
from flows.reading.workbook import SheetGrid

__all__ = [
    "DOCUMENT_EXTENSIONS",
    "is_report",
    "is_review_workbook",
    "read_report",
    "review_submission",
]

DOCUMENT_EXTENSIONS = frozenset({".docx", ".doc", ".pdf"})
PROSE_SHEET = "Văn bản"
# The prose submission's index in its id ('<sha>:text'), apart from the tables' numbers.
_PROSE_ID_SUFFIX = "text"


def is_report(relative_path: str) -> bool:
    """True for a file the landing folder holds as a narrative report."""
    return Path(relative_path).suffix.lower() in DOCUMENT_EXTENSIONS


def table_grid(number: int, rows: list[list[str | None]]) -> SheetGrid:
    """A Word table as a sheet: ``Bảng N``, its cells as text, row and column as in the table."""
    return SheetGrid(
        name=f"Bảng {number}", index=number, visible=True, rows=[list(r) for r in rows]
    )


def read_report(landed: LandedFile, data: bytes, catalog, resolver) -> FileReading:
    """The submissions of one report: its indicator tables, and its prose's candidates.

    Raises :class:`~flows.reading.errors.UnreadableFile` for a container that cannot be read.
    """
    document = read_document(data, Path(landed.relative_path).suffix.lower())
    identity = read_report_identity(document.header_lines())
    unit_key, unit_problem = _report_unit(identity, resolver)
    reading = FileReading(submissions=[])
    for submission in _table_submissions(landed, document, identity, catalog, resolver, unit_key):
        reading.submissions.append(submission)
    prose = _prose_submission(landed, document, identity, catalog, unit_key)
    if prose is not None:
        reading.submissions.append(prose)
    for submission in reading.submissions:
        if submission.unit_key is None and unit_problem is not None and not submission.is_rejected:
            submission.reject(unit_problem)
    if not reading.submissions:
        reading.submissions.append(unreadable_file(landed, *_nothing_found_reason(identity)))
    return reading


def _report_unit(identity: ReportIdentity, resolver) -> tuple[str | None, Issue | None]:
    """The report's unit key, or why the header does not give one."""
    reason = identity_reason(identity)
    if reason is None:
        try:
            return resolve_report_unit(identity, resolver), None
        except UnitNotResolved as error:
            reason = (error.reason_vi, error.reason_en)
    return None, Issue(
        severity("unit_unknown"),
        "unit_unknown",
        f"Phần đầu báo cáo: {reason[0]}",
        f"The report's header: {reason[1]}",
    )


def _table_submissions(
    landed: LandedFile, document: Document, identity: ReportIdentity, catalog, resolver, unit_key
) -> list[Submission]:
    """One submission per Word table holding an indicator table (a Phụ lục)."""
    submissions = []
    for table in document.tables:
        parsed = parse_sheet(table_grid(table.number, table.rows), catalog)
        if parsed is None:
            continue
        states_unit = parsed.unit_code is not None or parsed.unit_name is not None
        parsed = replace(
            parsed,
            period_code=parsed.period_code or identity.period_code,
            term_code=parsed.term_code or identity.term_code,
            report_date=parsed.report_date or identity.report_date,
            unit_name=parsed.unit_name or identity.unit_name,
        )
        submission = from_parsed_sheet(landed, parsed)
        submission.source_kind = "word_table"
        for label, value in _identity_metadata(identity).items():
            submission.metadata.setdefault(label, value)  # the table's own statements first
        if states_unit:
            located = replace(
                parsed,
                district_name=parsed.district_name or identity.district_name,
                province_name=parsed.province_name or identity.province_name,
            )
            resolve_unit(
                submission, located, resolver, f"Bảng {table.number}", f"Table {table.number}"
            )
        else:
            submission.unit_key = unit_key
        submissions.append(submission)
    return submissions


def _prose_submission(
    landed: LandedFile, document: Document, identity: ReportIdentity, catalog, unit_key
) -> Submission | None:
    """The report's prose as a submission of candidates; None when it states no figure."""
    candidates = extract_candidates(document, catalog, identity.period_code)
    if not candidates:
        return None
    return Submission(
        submission_id=f"{landed.sha256[:16]}:{_PROSE_ID_SUFFIX}",
        file=landed,
        source_sheet=PROSE_SHEET,
        unit_key=unit_key,
        period_code=identity.period_code,
        report_date=identity.report_date,
        unit_name_text=identity.unit_name,
        metadata=_identity_metadata(identity),
        source_kind="document",
        candidates=_identified(landed.sha256, candidates),
    )


def _identified(file_sha256: str, candidates: list[Candidate]) -> list[tuple[str, Candidate]]:
    """Each candidate with its stable id; the same figure of one paragraph read for two
    periods ("8 đồng chí" in 2018 and in the first half of 2020) gets ``-2`` after the
    second one's id, in reading order, which extraction keeps the same on every run."""
    seen: dict[str, int] = {}
    identified = []
    for candidate in candidates:
        base = candidate_id(file_sha256, candidate)
        seen[base] = seen.get(base, 0) + 1
        identified.append((base if seen[base] == 1 else f"{base}-{seen[base]}", candidate))
    return identified


def _identity_metadata(identity: ReportIdentity) -> dict[str, str]:
    """The header's statements, kept with the submission as a sheet's metadata is."""
    stated = {
        "Cơ quan ban hành": identity.issuing_body,
        "Cơ quan cấp trên": identity.parent_body,
        "Số văn bản": identity.document_number,
        "Nơi ban hành": identity.place,
        "Ngày ban hành": identity.report_date.isoformat() if identity.report_date else None,
        "Loại báo cáo": identity.report_kind,
        "Kỳ báo cáo": identity.period_code,
    }
    return {label: str(value) for label, value in stated.items() if value}


def _nothing_found_reason(identity: ReportIdentity) -> tuple[str, str]:
    """Why a readable report gave nothing to load."""
    return (
        "Báo cáo không có bảng chỉ tiêu và không tìm thấy số liệu chỉ tiêu nào trong văn bản. "
        "Hãy kèm biểu chỉ tiêu (bảng tính .xlsx hoặc bảng Phụ lục trong báo cáo).",
        "The report holds no indicator table and no indicator figure was found in its text. "
        "Attach the indicator sheet (an .xlsx workbook, or a Phụ lục table in the report).",
    )


# ------------------------------------------------------------------ reviewed workbooks


def review_submission(landed: LandedFile, grids: list[SheetGrid], catalog) -> Submission:
    """The submission a reviewed workbook gives: the accepted figures as values."""
    reviewed = read_reviewed_workbook(grids)
    sheet = next((g for g in grids if g.visible), grids[0])
    submission = Submission(
        submission_id=submission_id(landed.sha256, sheet.index),
        file=landed,
        source_sheet=sheet.name,
        unit_key=reviewed.document.unit_key,
        period_code=reviewed.document.report_period_code,
        unit_name_text=reviewed.document.unit_name,
        metadata={
            "Tài liệu": reviewed.document.source_file,
            "Mã nội dung tài liệu": reviewed.document.file_sha256,
        },
        source_kind="review",
    )
    submission.observations = _accepted_values(reviewed, catalog)
    submission.review_decisions = [
        ReviewDecision(
            candidate_id=row.candidate_id,
            decision=row.decision,
            corrected_value=row.value if row.corrected else None,
            corrected_period_code=row.period_code if row.corrected else None,
            note=row.note,
        )
        for row in reviewed.rows
    ]
    for vi, en in reviewed.issues:
        submission.issues.append(Issue(severity("review_row"), "review_row", vi, en))
    return submission


def _accepted_values(reviewed: ReviewedWorkbook, catalog) -> list[Observation]:
    document = reviewed.document
    values = []
    for number, row in enumerate(reviewed.rows, start=1):
        indicator = catalog.get(row.indicator_code)
        if row.decision != "accepted" or indicator is None or row.value is None:
            continue
        values.append(
            Observation(
                indicator_code=row.indicator_code,
                period_code=row.period_code or document.report_period_code,
                value=row.value,
                qualifier=QUALIFIER_SYMBOLS.get(fold(row.qualifier or ""), "="),
                denominator=row.denominator,
                is_estimate=False,
                target_text=None,
                target_low=None,
                target_high=None,
                target_direction=None,
                target_per_year=None,
                original_text=row.sentence,
                source_cell=row.location,
                source_row=row.sheet_row or number,
                note=row.note,
                unit=indicator.unit,
                source_file=document.source_file,
                source_sha256=document.file_sha256,
            )
        )
    return values
