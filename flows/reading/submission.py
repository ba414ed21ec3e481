"""What one submission becomes between parsing and staging.

A submission is one sheet holding an indicator table, or a whole file that could
not be read. It carries its identity (unit, period), its values, and every
problem found on the way, each with a bilingual message (Vietnamese first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flows.domain.units import UnitNotResolved
from flows.quality.rulebook import severity
from flows.reading.errors import (
    internal_error_reason,
    reader_limit_reason,
)
from flows.reading.rows import Candidate, Observation, ParsedSheet, ReviewDecision, UnmappedRow
from flows.settings import parse_cpu_seconds, parse_memory_bytes


@dataclass(frozen=True)
class LandedFile:
    """A file found in the landing folder, identified by its content."""

    path: Path
    relative_path: str
    sha256: str
    size_bytes: int
    received_at: datetime


@dataclass
class Issue:
    """A problem with a value or a submission; errors reject, warnings annotate."""

    severity: str  # 'error' or 'warning'
    rule: str
    message_vi: str
    message_en: str
    indicator_code: str | None = None
    period_code: str | None = None
    source_cell: str | None = None

    @property
    def message(self) -> str:
        """Vietnamese first, then English, as clerks and analysts both read it."""
        return f"{self.message_vi} / {self.message_en}"


@dataclass
class Submission:
    """One sheet (or one unreadable file) on its way to the warehouse."""

    submission_id: str
    file: LandedFile
    source_sheet: str | None
    unit_key: str | None = None
    period_code: str | None = None
    report_date: date | None = None
    unit_name_text: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    unmapped_rows: list[UnmappedRow] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rejection: Issue | None = None
    # 'spreadsheet'; for a report: 'word_table' (one of its tables), 'document' (its prose:
    # candidates, no values); 'review' (a reviewed workbook: the values a reviewer accepted).
    source_kind: str = "spreadsheet"
    # A report's prose figures, each with its stable candidate id.
    candidates: list[tuple[str, Candidate]] = field(default_factory=list)
    review_decisions: list[ReviewDecision] = field(default_factory=list)

    @property
    def is_rejected(self) -> bool:
        """True when the submission as a whole cannot be loaded."""
        return self.rejection is not None

    def reject(self, issue: Issue) -> None:
        """Record why the whole submission cannot be loaded; the first reason wins."""
        self.issues.append(issue)
        if self.rejection is None:
            self.rejection = issue

    @property
    def n_errors(self) -> int:
        return sum(issue.severity == "error" for issue in self.issues)

    @property
    def n_warnings(self) -> int:
        return sum(issue.severity == "warning" for issue in self.issues)


def submission_id(sha256: str, sheet_index: int | None) -> str:
    """Deterministic id: the same content gives the same id on every run."""
    suffix = "file" if sheet_index is None else str(sheet_index)
    return f"{sha256[:16]}:{suffix}"


def from_parsed_sheet(landed: LandedFile, sheet: ParsedSheet) -> Submission:
    """A submission holding what the parser read from one sheet."""
    submission = Submission(
        submission_id=submission_id(landed.sha256, sheet.sheet_index),
        file=landed,
        source_sheet=sheet.sheet_name,
        period_code=sheet.period_code,
        report_date=sheet.report_date,
        unit_name_text=sheet.unit_name,
        metadata=dict(sheet.metadata),
        observations=list(sheet.observations),
        unmapped_rows=list(sheet.unmapped_rows),
    )
    for cell_issue in sheet.cell_issues:
        submission.issues.append(
            Issue(
                severity=cell_issue.severity,
                rule=cell_issue.rule,
                message_vi=cell_issue.message_vi,
                message_en=cell_issue.message_en,
                indicator_code=cell_issue.indicator_code,
                period_code=cell_issue.period_code,
                source_cell=cell_issue.source_cell,
            )
        )
    return submission


def resolve_unit(
    submission: Submission, sheet: ParsedSheet, resolver, where_vi: str, where_en: str
) -> None:
    """Give ``submission`` the unit its sheet names, or reject it saying why.

    ``where_vi`` / ``where_en`` name the sheet in the reason (``Trang 'Biểu 1'``, ``Bảng 2``).
    """
    try:
        submission.unit_key = resolver.resolve(
            sheet.unit_code,
            sheet.unit_name,
            sheet.district_name,
            sheet.province_name,
            sheet.period_code,
        )
    except UnitNotResolved as error:
        submission.reject(
            Issue(
                severity("unit_unknown"),
                "unit_unknown",
                f"{where_vi}: {error.reason_vi}",
                f"{where_en}: {error.reason_en}",
            )
        )


def _rejected_file(landed: LandedFile, reason: Issue) -> Submission:
    """A rejected submission standing for a whole file, for ``reason``."""
    submission = Submission(
        submission_id=submission_id(landed.sha256, None), file=landed, source_sheet=None
    )
    submission.reject(reason)
    return submission


def unreadable_file(landed: LandedFile, reason_vi: str, reason_en: str) -> Submission:
    """A rejected submission standing for a whole file that could not be read."""
    return _rejected_file(
        landed, Issue(severity("unreadable_file"), "unreadable_file", reason_vi, reason_en)
    )


def internal_error(landed: LandedFile, kind: str, message: str) -> Submission:
    """A whole file rejected because the reader failed on it: a bug, said as one.

    ``kind`` names what failed (an exception type, the reader's process), ``message`` how.
    """
    reason_vi, reason_en = internal_error_reason(kind, message)
    return _rejected_file(
        landed, Issue(severity("internal_error"), "internal_error", reason_vi, reason_en)
    )


def over_reader_limit(landed: LandedFile, cause_vi: str, cause_en: str) -> Submission:
    """A whole file rejected because reading it needed more memory or time than a file may.

    The reason names the parse worker's limits (:func:`flows.settings.parse_memory_bytes`,
    :func:`flows.settings.parse_cpu_seconds`) and the cause that stopped the reader.
    """
    reason_vi, reason_en = reader_limit_reason(
        parse_memory_bytes(), parse_cpu_seconds(), cause_vi, cause_en
    )
    return _rejected_file(
        landed, Issue(severity("reader_limit"), "reader_limit", reason_vi, reason_en)
    )


@dataclass
class FileReading:
    """The submissions read from one file, and the sheets passed over."""

    submissions: list[Submission]
    hidden_sheets: list[str] = field(default_factory=list)
    sheets_without_table: list[str] = field(default_factory=list)
