"""Which numbers of a sentence are not figures, and which period a sentence speaks of.

A report's prose is full of numbers that state nothing: document references ("Kế hoạch
số 07-KH/ĐU ngày 15/01/2021"), dates, term names ("nhiệm kỳ 2020 - 2025", "giai đoạn
2021-2025"), ordinals ("lần thứ XXI", "Trung ương 4"). :func:`reference_spans` finds them so
that neither the figure reader nor the period reader takes them.

:func:`period_spans` finds what a sentence says of time: a year ("năm 2022", "đến cuối năm
2022"), a half ("6 tháng đầu năm 2023"), a quarter ("quý I/2023"), or the report's own
period ("từ đầu nhiệm kỳ", "trong nhiệm kỳ", "từ năm 2020 đến nay", "từ đầu năm đến nay"),
which reads as None. All on folded text (:func:`flows.reading.phrasings.aligned_fold`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_YEAR = r"(?:19|20)\d{2}"

# Words that name a document; the number after them (with "số") is its number.
_DOCUMENT_WORDS = (
    "nghi quyet|chi thi|quyet dinh|ket luan|ke hoach|quy dinh|quy che|thong bao|huong dan|"
    "cong van|chuong trinh hanh dong|chuong trinh|bao cao|to trinh|nghi dinh|thong tu|luat|"
    "dieu|khoan|phu luc|van ban|kdc|khu dan cu|khu pho|to dan pho"
)
_REFERENCE_PATTERNS = (
    # "Kế hoạch số 07-KH/ĐU", "Quyết định 217, 218", "Chỉ thị số 05", "KDC số 5"
    re.compile(
        r"(?<![\w/])(?:" + _DOCUMENT_WORDS + r")(?:\s+(?:ngay|lien tich))?\s*(?:so\s*)?"
        r"\d+(?![\d.,]*\s*(?:%|dong chi|nguoi|dang vien|d/c))(?:\s*,\s*\d+(?![.,]?\d))*[\w/.\-]*"
    ),
    # a bare "Số 263-BC/ĐU", "số 48/2021/QĐ-UBND": a number glued to letters by - or /
    re.compile(r"(?<![\w/.,])\d+(?:\s*/\s*\d+)*\s*[-/]\s*[a-z]{1,8}\b[\w/.\-]*"),
    re.compile(r"(?<![\w/])so\s+\d+(?![\d.,]*\s*(?:%|[a-z]))"),
    # term and stage names: "nhiệm kỳ 2020 - 2025", "2021-2026", "giai đoạn 2022 – 2027"
    re.compile(r"(?<!\d)" + _YEAR + r"\s*[-–—]\s*" + _YEAR + r"(?!\d)"),
    # dates: "11/12/2020", "15.01.2021", "ngày 18 tháng 5 năm 2023", "tháng 10/2022"
    re.compile(r"(?<![\d/])\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}(?![\d/])"),
    re.compile(r"(?<![\w/])ngay\s*\d{1,2}(?:\s*thang\s*\d{1,2}(?:\s*nam\s*" + _YEAR + r")?)?"),
    re.compile(r"(?<![\w/])thang\s*\d{1,2}(?:\s*(?:/|nam)\s*" + _YEAR + r")?(?!\d)"),
    re.compile(r"(?<![\d/.,])\d{1,2}\s*/\s*" + _YEAR + r"(?!\d)"),
    # ordinals and numbered names: "lần thứ 4", "khóa 12", "thứ 2", "Covid-19", "F0"
    re.compile(r"(?<![\w/])(?:lan thu|khoa|lan)\s+\d+(?![\d.,]*\s*%)"),
    re.compile(r"[a-z]\s?-\s?\d+|[a-z]\d+"),
    # clock times
    re.compile(r"(?<!\d)\d{1,2}\s*(?:h|gio)\s*\d{0,2}(?:\s*phut)?(?![\w])"),
)
# A list number opening a paragraph: "1.", "2.1.", "a)".
LIST_NUMBER = re.compile(r"^\s*[-+•*]?\s*\d+(?:\.\d+)*\s*[.)]\s")

# What a sentence says of its period, most specific first. None: the report's own period.
_OWN_PERIOD = re.compile(
    r"(?<![\w])(?:(?:ngay )?tu dau nhiem ky(?: den nay)?|trong nhiem ky(?: qua)?|"
    r"nua nhiem ky(?: qua)?|giua nhiem ky|tu nam " + _YEAR + r" den nay|"
    r"tu dau nam(?: " + _YEAR + r")?(?: den nay)?|den nay|hien nay|hang nam|moi nam|"
    r"(?:(?:tinh )?den )?(?:het |cuoi )?nam nay|(?:(?:tinh )?den )?(?:het |cuoi )nam|"
    r"ca nam|trong nam)"
    r"(?![\w])(?!\s*" + _YEAR + r")"
)
# "tăng 3% so với năm 2021", "so với cùng kỳ năm 2021": a baseline, not the figure's period.
_COMPARED_WITH = re.compile(r"so voi\s*(?:cung ky\s*)?$")
_END_OF_YEAR_DATE = re.compile(
    r"(?<![\w])(?:tinh )?den(?: het)?(?: ngay)?\s*31\s*/\s*12\s*/\s*(" + _YEAR + r")(?!\d)"
)
_HALF = re.compile(r"(?<![\w])(?:6|sau) thang (dau|cuoi)(?: nam)?\s*(" + _YEAR + r")(?!\d)")
_QUARTER = re.compile(r"(?<![\w])quy\s*(iv|iii|ii|i|[1-4])\s*(?:/|-|nam)\s*(" + _YEAR + r")(?!\d)")
_YEAR_PERIOD = re.compile(
    r"(?<![\w])(?:(?:tinh )?den (?:het |cuoi )?|cuoi |trong |ca )?nam\s*(" + _YEAR + r")(?!\d)"
    r"(?!\s*[-–—]\s*" + _YEAR + r")"
)
_ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


@dataclass(frozen=True)
class PeriodSpan:
    """A period statement in a sentence; ``code`` None means the report's own period."""

    start: int
    end: int
    code: str | None
    baseline: bool = False  # after "so với": masks its year, states no period


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)


def reference_spans(folded: str, extra: list[re.Pattern[str]] = ()) -> list[tuple[int, int]]:
    """Spans of numbers that are references, dates, term names or parts of a name.

    ``extra`` are the seed's ``not_figure`` patterns.
    """
    spans = [m.span() for pattern in _REFERENCE_PATTERNS for m in pattern.finditer(folded)]
    spans += [m.span() for pattern in extra for m in pattern.finditer(folded)]
    return spans


def period_spans(folded: str, references: list[tuple[int, int]]) -> list[PeriodSpan]:
    """Period statements of a text in order, none inside a reference.

    "đến 31/12/2022" is a date and a period statement, so it is looked for before the
    references are set aside. A statement after "so với" is marked ``baseline``: its year
    is no figure, and no figure's period either.
    """
    found: list[PeriodSpan] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], code: str | None, check_references: bool = True) -> None:
        start, end = match.span()
        if _overlaps(start, end, taken):
            return
        if check_references and _overlaps(start, end, references):
            return
        baseline = _COMPARED_WITH.search(folded[max(0, start - 24) : start]) is not None
        found.append(PeriodSpan(start, end, code, baseline))
        taken.append((start, end))

    for match in _END_OF_YEAR_DATE.finditer(folded):
        add(match, match.group(1), check_references=False)
    for match in _OWN_PERIOD.finditer(folded):
        add(match, None)
    for match in _HALF.finditer(folded):
        add(match, f"{match.group(2)}-H{1 if match.group(1) == 'dau' else 2}")
    for match in _QUARTER.finditer(folded):
        quarter = _ROMAN_QUARTERS.get(match.group(1)) or int(match.group(1))
        add(match, f"{match.group(2)}-Q{quarter}")
    for match in _YEAR_PERIOD.finditer(folded):
        add(match, match.group(1))
    return sorted(found, key=lambda span: span.start)
