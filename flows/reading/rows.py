"""What reading a sheet gives: observations, unmapped rows, cell issues, and their sheet and file.

The data classes the table walk (:mod:`flows.reading.table`) fills and the cross-checks
(:mod:`flows.reading.crosschecks`) add issues to, kept apart so that neither has to import
the other for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from operator import attrgetter


@dataclass
class Observation:
    """One value cell of an indicator row, with the row's target and its provenance.

    ``unit`` is the unit ``value`` is expressed in: the catalog's unit (money in đồng,
    percents in 0-100), or ``‰`` for a per-mille cell. ``unit_suffix`` is what the
    clerk typed after the number (``đ/c``, ``%``, ``‰``). ``original_text`` is the
    cell as typed, before any repair of legacy font encodings. ``assessment_text`` is the
    clerk's verdict on the row (its ``Đánh giá`` cell: ``Đạt``, ``Khó đạt``), the same
    for every value of the row: the words as the clerk wrote them, repaired from a legacy
    font encoding as the row's labels are, so that the warehouse can read the verdict
    (int_clerk_assessments).
    """

    indicator_code: str
    period_code: str
    value: float | None
    qualifier: str
    denominator: float | None
    is_estimate: bool
    target_text: str | None
    target_low: float | None
    target_high: float | None
    target_direction: str | None
    target_per_year: bool | None
    original_text: str
    source_cell: str
    source_row: int
    note: str | None = None
    stated_percent: float | None = None
    unit: str | None = None
    unit_suffix: str | None = None
    # A value a reviewer accepted from a report's prose is traced to the report, not to the
    # reviewed workbook that carried it: the report's path and content hash.
    source_file: str | None = None
    source_sha256: str | None = None
    assessment_text: str | None = None

    def __reduce__(self) -> tuple[type[Observation], tuple]:
        # Pickled as the constructor's arguments, not as a dict of its named fields: a
        # parse on several processes sends every file's observations back to the parent,
        # which unpickles them on a core the workers need. Fewer bytes, and faster to
        # load; the same Observation comes out.
        return type(self), _observation_fields(self)


@dataclass
class UnmappedRow:
    """A table row that matched no catalog indicator; kept for a curator to add an alias."""

    source_row: int
    code_text: str | None
    name_text: str | None
    unit_text: str | None
    values_text: str


@dataclass
class CellIssue:
    """A problem with one cell (or the sheet, when ``source_cell`` is None)."""

    severity: str
    rule: str
    source_cell: str | None
    indicator_code: str | None
    period_code: str | None
    message_vi: str
    message_en: str

    @property
    def message(self) -> str:
        """Both languages, Vietnamese first."""
        return f"{self.message_vi} / {self.message_en}"


@dataclass
class ParsedSheet:
    """Everything read from one sheet holding an indicator table."""

    sheet_name: str
    sheet_index: int
    metadata: dict[str, str]
    unit_code: str | None
    unit_name: str | None
    district_name: str | None
    province_name: str | None
    period_code: str | None
    term_code: str | None
    report_date: date | None
    observations: list[Observation] = field(default_factory=list)
    unmapped_rows: list[UnmappedRow] = field(default_factory=list)
    cell_issues: list[CellIssue] = field(default_factory=list)
    header_row: int | None = None


_observation_fields = attrgetter(*(spec.name for spec in fields(Observation)))


@dataclass
class SkippedSheet:
    """A sheet that gave no submission, and why (for the run summary)."""

    sheet_name: str
    sheet_index: int
    reason: str  # 'hidden' or 'no_indicator_table'


@dataclass
class ParsedWorkbook:
    """The submissions of one file: its parsed sheets and the sheets it ignored."""

    sheets: list[ParsedSheet]
    skipped: list[SkippedSheet]


@dataclass(frozen=True)
class Candidate:
    """A figure a report's prose states for a catalog indicator, until a person confirms it.

    ``period_code`` is the period the sentence says the figure is about ("năm 2022",
    "đến cuối năm 2022", "6 tháng đầu năm 2023"), or None when it says none: the figure is
    then about the report's own period. ``qualifier`` is the word before the number as
    written, folded (``tren``, ``hon``, ``duoi``, ``khoang``), '' when none.
    ``denominator`` is the whole of a ``130/130`` or ``08/08 chi bộ`` figure.
    ``reported_achievement_pct`` is a stated achievement against the resolution ("đạt 60%
    so với Nghị quyết"). ``location`` says where the sentence stands: its heading path and
    paragraph (``PHẦN THỨ NHẤT > II > 4.3 · đoạn 51``); ``paragraph`` is that paragraph's
    number and ``figure_text`` the figure as written (``130/130 ý kiến``), which together
    identify the candidate within its document. ``confidence`` is between 0 and 1.
    """

    indicator_code: str
    value: float
    qualifier: str
    denominator: float | None
    period_code: str | None
    reported_achievement_pct: float | None
    sentence: str
    location: str
    paragraph: int
    figure_text: str
    confidence: float


# A candidate's qualifier (folded, as prose reading gives it) as the mart shows it, and as
# the qualifier symbol an observation carries once a reviewer accepts the figure.
QUALIFIER_WORDS = {"": "", "tren": "trên", "hon": "hơn", "duoi": "dưới", "khoang": "khoảng"}
QUALIFIER_SYMBOLS = {"": "=", "tren": ">", "hon": ">", "duoi": "<", "khoang": "~"}


@dataclass(frozen=True)
class ReviewDecision:
    """What a reviewer decided about one candidate in a reviewed workbook."""

    candidate_id: str
    decision: str  # 'accepted' or 'rejected'
    corrected_value: float | None = None
    corrected_period_code: str | None = None
    note: str | None = None


__all__ = [
    "Candidate",
    "CellIssue",
    "Observation",
    "ParsedSheet",
    "ParsedWorkbook",
    "ReviewDecision",
    "SkippedSheet",
    "UnmappedRow",
]
