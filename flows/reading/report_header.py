"""A narrative report's identity, read from its header: who issued it, when, for which period.

A ward's report opens with the issuing body ("ĐẢNG ỦY PHƯỜNG PHỔ HÒA", under its parent
"ĐẢNG BỘ THỊ XÃ ĐỨC PHỔ"), the national or party motto, the document number ("Số
263-BC/ĐU"), place and date ("Phổ Hòa, ngày 18 tháng 5 năm 2023") and the title: "BÁO CÁO"
and the kind of report with its period ("sơ kết giữa nhiệm kỳ ... nhiệm kỳ 2020 - 2025"),
often over several lines. :func:`read_report_identity` reads these from the first lines of
the document (:meth:`flows.reading.document.Document.header_lines`, where a header laid out
as a two-column table gives its cells in reading order), :func:`identity_reason` tells the
clerk what a header lacks, and :func:`resolve_report_unit` finds the ward in the reference
list of the scheme the report's date falls in.

Matching is done on folded words (:func:`flows.domain.textnorm.fold`), so case, tone
placement (Hoà/Hòa), a wrong tone (Phố for Phổ), extra spaces and the abbreviations "P.",
"X.", "TT." do not matter; what is kept is the text as written.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache

from flows.domain.periods import parse_report_date
from flows.domain.reference import SCHEME_2025, load_reference
from flows.domain.textnorm import collapse_spaces, fold
from flows.domain.units import UnitNotResolved, UnitResolver, schemes_for_period
from flows.settings import TERMS_CSV

# What kind of report the title says, with the period code each gives.
MID_TERM = "mid_term"  # 2020-2025-MID
END_OF_TERM = "end_of_term"  # 2020-2025
ANNUAL = "annual"  # 2022
HALF_YEAR = "half_year"  # 2023-H1
QUARTER = "quarter"  # 2023-Q1
REPORT_KINDS = (MID_TERM, END_OF_TERM, ANNUAL, HALF_YEAR, QUARTER)

# What a header may lack (ReportIdentity.missing); the first two make the report unusable.
MISSING_UNIT = "unit"
MISSING_PERIOD = "period"
MISSING_DATE = "report_date"
MISSING_PLACE = "place"
MISSING_NUMBER = "document_number"

# The reorganisation of wards took effect on this day: a report dated on or after it is
# issued by a ward of the 2025 scheme.
REORGANISATION_DAY = date(2025, 7, 1)

# Words a body's line starts with (folded), before the unit's type.
_BODY_PREFIXES = (
    ("ban", "chap", "hanh", "dang", "bo"),
    ("bch", "dang", "bo"),
    ("uy", "ban", "nhan", "dan"),
    ("hoi", "dong", "nhan", "dan"),
    ("dang", "uy"),
    ("dang", "bo"),
    ("ubnd",),
    ("hdnd",),
)
_WARD_TYPES = {
    ("thi", "tran"): "Thị trấn",
    ("dac", "khu"): "Đặc khu",
    ("phuong",): "Phường",
    ("xa",): "Xã",
}
# Abbreviations count only when written with their dot ("P. Phổ Hòa", "TT.Châu Ổ").
_WARD_ABBREVIATIONS = {"p": "Phường", "x": "Xã", "tt": "Thị trấn"}
_DISTRICT, _PROVINCE, _CITY = "district", "province", "city"
# Two-word types first: "thị xã" is a district, "xã" a ward.
_PARENT_TYPES = {
    ("thi", "xa"): _DISTRICT,
    ("thanh", "pho"): _CITY,
    ("huyen",): _DISTRICT,
    ("quan",): _DISTRICT,
    ("tinh",): _PROVINCE,
}
_PARENT_ABBREVIATIONS = {"h": _DISTRICT, "q": _DISTRICT, "tx": _DISTRICT, "tp": _CITY}
# A party committee named by its level: "HUYỆN ỦY MỘC HÓA", "TỈNH ỦY QUẢNG NGÃI".
_COMMITTEES = {
    ("huyen", "uy"): _DISTRICT,
    ("quan", "uy"): _DISTRICT,
    ("thi", "uy"): _DISTRICT,
    ("thanh", "uy"): _CITY,
    ("tinh", "uy"): _PROVINCE,
}
# Cities run by the centre are provinces; any other "thành phố" is a district.
_CENTRAL_CITIES = frozenset({"ha noi", "ho chi minh", "hai phong", "da nang", "can tho", "hue"})
_CITY_ALIASES = {"hcm": "Hồ Chí Minh"}
# A unit's name is a few words; a longer run after a type is a sentence of the body.
_MAX_NAME_WORDS = 6

_MOTTOS = (
    ("dang", "cong", "san", "viet", "nam"),
    ("cong", "hoa", "xa", "hoi", "chu", "nghia", "viet", "nam"),
    ("doc", "lap", "tu", "do", "hanh", "phuc"),
)
# "Độc lập-Tự do-Hạnh phúc": a dash between letters separates words.
_DASH_BETWEEN_LETTERS = re.compile(r"(?<=[^\W\d_])\s*([-–])\s*(?=[^\W\d_])")
_ABBREVIATION_DOT = re.compile(r"(?<![\w.])(tt|tp|tx|p|x|h|q)\.(?=\w)", re.IGNORECASE)
# "Số 263-BC/ĐU", "Số: 15/BC-UBND", "SỐ 45 - BC/ĐU": a capital S, as a header writes it
# ("Kế hoạch số 03-KH/ĐU" in a title is a reference, not the report's number).
_NUMBER = re.compile(r"(?:^|(?<=\s))S[ốỐ]\s*:?\s*(\d+[a-z]?(?:\s*[-–—/]\s*[^\W\d_]+)+)")
_PLACE_DATE = re.compile(r"^(?P<place>.{0,80}?),\s*(?P<date>ngay\b.*)$")
_DATE_ANYWHERE = re.compile(
    r"\bngay\b[\s.…_]*(?:\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{4}|.*\bnam\s*\d{4})"
)
_MONTH_YEAR = re.compile(r"\bthang\s*(\d{1,2})\s*(?:nam\s*|/\s*)((?:19|20)\d{2})\b")
_YEAR_ONLY = re.compile(r"\bnam\s*((?:19|20)\d{2})\b")
_SEPARATOR = re.compile(r"^[\W_]*(?:o0o|0o0|ooo)?[\W_]*$", re.IGNORECASE)
_HEADING = re.compile(
    r"^(?:phan\s+(?:thu\b|[ivx]+\b|\d)|[ivx]+\s*[-–.)]|\d+(?:\.\d+)+\.?\s|\d+[.)]\s)"
)
_TITLE_MAX_LINES = 6
_TITLE_LINE_MAX_CHARS = 160
# Without a "BÁO CÁO" line, the header is taken to end at the first heading or long line.
_UNTITLED_HEADER_LINES = 12

_TERM_IN_TEXT = re.compile(r"((?:19|20)\d{2})\s*[-–—/]\s*((?:19|20)\d{2})")
_QUARTER_WORDS = re.compile(
    r"\bquy\s*(iv|iii|ii|i|[1-4])\b(?:\s*(?:/|-|nam)?\s*((?:19|20)\d{2})\b)?"
)
_HALF_WORDS = re.compile(r"\b(?:0?6|sau)\s*thang\b(?:\s*(dau|cuoi))?|\bnua\s*(dau|cuoi)?\s*nam\b")
_MID_WORDS = re.compile(r"\b(?:giua|nua)\s*nhiem\s*ky\b|\bgiua\s*ky\b")
_END_WORDS = re.compile(r"\btong\s*ket\s*(?:ca\s*)?nhiem\s*ky\b|\bbao\s*cao\s*chinh\s*tri\b")
_CONGRESS_REPORT = re.compile(r"\bbao\s*cao\s*chinh\s*tri\b")
# "năm 2022", not "năm 2020 - 2025" (a term written with "năm").
_ANNUAL_YEAR = re.compile(r"\bnam\s*((?:19|20)\d{2})\b(?!\s*[-–—/]\s*(?:19|20)\d{2})")
# Months other than six ("9 tháng đầu năm", "tháng 5 năm 2023") are no period of the contract.
_OTHER_MONTHS = re.compile(r"\b(?!0?6\b)\d{1,2}\s*thang\b|\bthang\s*\d{1,2}\s*(?:nam|/)")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


@dataclass(frozen=True)
class ReportIdentity:
    """What a report's header says about it; None where the header does not say.

    Texts are kept as written (spaces collapsed). ``unit_name`` is the ward's name without
    its type; ``district_name`` and ``province_name`` without theirs. ``report_year`` and
    ``report_month`` are known even when the day is left blank ("ngày   tháng 5 năm 2023").
    ``term_code`` is the term the period belongs to, or the term the title states.
    ``missing`` names what could not be found (the ``MISSING_*`` constants).
    """

    issuing_body: str | None = None
    parent_body: str | None = None
    unit_type: str | None = None
    unit_name: str | None = None
    district_name: str | None = None
    province_name: str | None = None
    document_number: str | None = None
    place: str | None = None
    report_date: date | None = None
    report_year: int | None = None
    report_month: int | None = None
    title: str | None = None
    report_kind: str | None = None
    period_code: str | None = None
    term_code: str | None = None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Word:
    text: str  # as written
    key: str  # folded, letters and digits only ("" for punctuation)


@dataclass(frozen=True)
class _Body:
    """An issuing body's line: a ward's (level None) or a parent's (district/province/city)."""

    line: str
    level: str | None
    unit_type: str | None
    name: str


def read_report_identity(lines: list[str]) -> ReportIdentity:
    """The identity a report's header lines state (see :class:`ReportIdentity`)."""
    segments = [segment for line in lines for segment in _segments(line)]
    title_at = next((i for i, s in enumerate(segments) if _is_title_start(s)), None)
    if title_at is None:
        header = _untitled_header(segments)
        title = _untitled_title(header)
    else:
        header = segments[:title_at]
        title = _title(segments, title_at)

    ward, parents = None, []
    number, place_line = None, None
    for segment in header:
        body = _parse_body(_words(segment)) or _bare_parent(segment)
        if body is not None:
            if body.level is None:
                ward = ward or body
            else:
                parents.append(body)
            continue
        number = number or _document_number(segment)
        if place_line is None and _is_place_date(segment):
            place_line = segment
    if place_line is None and title_at is not None:  # a date written under the title
        after = segments[title_at : title_at + _TITLE_MAX_LINES + 2]
        place_line = next((s for s in after if _PLACE_DATE.match(fold(s))), None)
    place, place_parents, place_ward = _read_place(place_line)
    report_date, month, year = _read_date(place_line)
    district, province = _parent_names(parents + place_parents)
    unit_type, unit_name = _unit(ward, place_ward, place)
    kind, period, term = _read_period(title, year, month)

    missing = [
        name
        for name, value in (
            (MISSING_UNIT, unit_name),
            (MISSING_NUMBER, number),
            (MISSING_PLACE, place),
            (MISSING_DATE, report_date),
            (MISSING_PERIOD, period),
        )
        if value is None
    ]
    immediate = next((p for p in parents if p.level != _PROVINCE), parents[0] if parents else None)
    return ReportIdentity(
        issuing_body=ward.line if ward else None,
        parent_body=immediate.line if immediate else None,
        unit_type=unit_type,
        unit_name=unit_name,
        district_name=district,
        province_name=province,
        document_number=number,
        place=place,
        report_date=report_date,
        report_year=year,
        report_month=month,
        title=title,
        report_kind=kind,
        period_code=period,
        term_code=term,
        missing=tuple(missing),
    )


# ------------------------------------------------------------------ lines and words


def _words(text: str) -> list[_Word]:
    return [_Word(token, _key(token)) for token in text.split(" ") if token]


def _key(token: str) -> str:
    """A word folded to letters and digits, except that "Tịnh" (a name: Sơn Tịnh, Tịnh Thọ)
    keeps apart from "tỉnh" (a province), which folding makes the same word."""
    key = re.sub(r"\W", "", fold(token))
    if key == "tinh" and "ị" in unicodedata.normalize("NFC", token).lower():
        return "tinh\u0323"
    return key


def _keys(words: list[_Word]) -> list[str]:
    return [word.key for word in words if word.key]


def _segments(line: str) -> list[str]:
    """The pieces of one header line that each say one thing.

    A cell may hold several lines, and a PDF may run two columns into one line ("ĐẢNG BỘ
    HUYỆN X ĐẢNG CỘNG SẢN VIỆT NAM", "Số 263-BC/ĐU Phổ Hòa, ngày ..."): mottos are cut out
    and dropped, and a line is cut before a body or a number that follows a complete one.
    """
    pieces: list[str] = []
    for raw in str(line).splitlines():
        text = collapse_spaces(unicodedata.normalize("NFC", raw))
        text = _ABBREVIATION_DOT.sub(lambda match: match.group(0) + " ", text)
        text = _DASH_BETWEEN_LETTERS.sub(r" \1 ", text)
        if not text or _SEPARATOR.match(text):
            continue
        pieces.extend(_cut(_words(text)))
    return pieces


def _cut(words: list[_Word]) -> list[str]:
    """The words as texts, mottos left out, cut where a new body or number starts."""
    if not words:
        return []
    keyed = [i for i, word in enumerate(words) if word.key]
    for position, start in enumerate(keyed):
        keys = [words[i].key for i in keyed[position:]]
        motto = next((m for m in _MOTTOS if tuple(keys[: len(m)]) == m), None)
        if motto is not None:
            end = keyed[position + len(motto) - 1] + 1
            return _joined(words[:start]) + _cut(words[end:])
        if start == 0:
            continue
        starts_number = words[start].text.startswith("S") and (
            re.match(r"^so:?\d", fold(words[start].text))
            or (keys[0] == "so" and start + 1 < len(words) and words[start + 1].text[:1].isdigit())
        )
        starts_body = _starts_body(keys) and _parse_body(words[:start]) is not None
        if starts_number or starts_body:
            return _joined(words[:start]) + _cut(words[start:])
    text = " ".join(word.text for word in words)
    match = _NUMBER.match(text)
    if match and match.end() < len(text):  # "Số 263-BC/ĐU Phổ Hòa, ngày ..."
        return [text[: match.end()], *_cut(_words(text[match.end() :].strip()))]
    return [text]


def _joined(words: list[_Word]) -> list[str]:
    text = " ".join(word.text for word in words).strip()
    return [text] if _keys(words) else []


# ------------------------------------------------------------------ issuing bodies


def _starts_body(keys: list[str]) -> bool:
    return any(tuple(keys[: len(p)]) == p for p in _BODY_PREFIXES) or any(
        tuple(keys[: len(c)]) == c for c in _COMMITTEES
    )


def _bare_parent(segment: str) -> _Body | None:
    """A parent named without a body above the issuing one ("HUYỆN SƠN TỊNH" over "UỶ BAN
    NHÂN DÂN XÃ TỊNH THỌ", as People's Committees head their reports), else None."""
    keys = _keys(_words(segment))
    if not any(tuple(keys[: len(kind)]) == kind for kind in _PARENT_TYPES):
        return None
    body = _parse_body(_words("ĐẢNG BỘ " + segment))
    return body if body is not None and body.level is not None else None


def _parse_body(words: list[_Word]) -> _Body | None:
    """The body a line names ("ĐẢNG ỦY XÃ TÂN LẬP", "HUYỆN ỦY MỘC HÓA"), or None."""
    named = [word for word in words if word.key]
    keys = [word.key for word in named]
    line = " ".join(word.text for word in words).strip(" *:-–")
    for committee, level in _COMMITTEES.items():
        if tuple(keys[: len(committee)]) == committee:
            return _body(line, level, None, named[len(committee) :])
    prefix = next((p for p in _BODY_PREFIXES if tuple(keys[: len(p)]) == p), None)
    if prefix is None:
        return None
    rest, rest_keys = named[len(prefix) :], keys[len(prefix) :]
    for parent_type, level in _PARENT_TYPES.items():
        if tuple(rest_keys[: len(parent_type)]) == parent_type:
            return _body(line, level, None, rest[len(parent_type) :])
    for ward_type, canonical in _WARD_TYPES.items():
        if tuple(rest_keys[: len(ward_type)]) == ward_type:
            return _body(line, None, canonical, rest[len(ward_type) :])
    if rest and rest[0].text.endswith("."):
        if rest_keys[0] in _WARD_ABBREVIATIONS:
            return _body(line, None, _WARD_ABBREVIATIONS[rest_keys[0]], rest[1:])
        if rest_keys[0] in _PARENT_ABBREVIATIONS:
            return _body(line, _PARENT_ABBREVIATIONS[rest_keys[0]], None, rest[1:])
    return None


def _body(line: str, level: str | None, unit_type: str | None, name: list[_Word]) -> _Body | None:
    text = " ".join(word.text for word in name).strip(" *:,.-–")
    # A name is a few words without a comma: "Đảng bộ xã lần thứ XX, nhiệm kỳ 2015-2020" is
    # a title line.
    if not name or len(name) > _MAX_NAME_WORDS or "," in text:
        return None
    return _Body(line, level, unit_type, _CITY_ALIASES.get(fold(text), text)) if text else None


def _parent_names(parents: list[_Body]) -> tuple[str | None, str | None]:
    """(district, province) the parent bodies name; a central city is a province."""
    district = province = None
    for parent in parents:
        level = parent.level
        if level == _CITY:
            level = _PROVINCE if fold(parent.name) in _CENTRAL_CITIES else _DISTRICT
        if level == _DISTRICT:
            district = district or parent.name
        else:
            province = province or parent.name
    return district, province


def _unit(ward: _Body | None, place_ward: _Body | None, place: str | None):
    """(unit type, unit name): the issuing body's, else a place written with its type.

    When the place names the same ward, its spelling is kept (it is usually in mixed
    case, "Phố Hoà", where the body is in capitals).
    """
    found = ward or place_ward
    if found is None:
        return None, None
    name = found.name
    if place and fold(place) == fold(name):
        name = place
    return found.unit_type, name


# ------------------------------------------------------------------ number, place and date


def _document_number(segment: str) -> str | None:
    match = _NUMBER.search(segment)
    if match is None:
        return None
    return re.sub(r"\s*([-–—/])\s*", r"\1", match.group(1)).replace("–", "-").replace("—", "-")


def _is_place_date(segment: str) -> bool:
    folded = fold(segment)
    return bool(_PLACE_DATE.match(folded) or _DATE_ANYWHERE.search(folded))


def _read_place(line: str | None) -> tuple[str | None, list[_Body], _Body | None]:
    """(place, parents, ward) of "Phổ Hòa, ngày ...": the place as written, the district or
    province written after it ("Tân Lập, huyện Mộc Hóa, ngày ..."), and the ward when the
    place is written with its type ("Phường Phổ Hòa, ngày ...")."""
    if line is None:
        return None, [], None
    match = _PLACE_DATE.match(fold(line))
    if match is None:
        return None, [], None
    # The place is what stands before the comma that precedes "ngày" (counted, not measured:
    # folding may change a text's length).
    written = line.split(",")[: match.group("place").count(",") + 1]
    parts = [part.strip(" .…_") for part in written]
    parts = [part for part in parts if _keys(_words(part))]
    if not parts:
        return None, [], None
    parents, place_ward = [], None
    for part in parts:
        body = _parse_body(_words("ĐẢNG BỘ " + part))
        if body is not None and body.level is not None:
            parents.append(_Body(part, body.level, None, body.name))
        elif body is not None and place_ward is None:
            place_ward = body
    place = place_ward.name if place_ward else parts[0]
    return place, parents, place_ward


def _read_date(line: str | None) -> tuple[date | None, int | None, int | None]:
    """(date, month, year) of the place-and-date line; month and year alone when the day is
    left blank for the signer to fill in."""
    if line is None:
        return None, None, None
    folded = fold(line)
    written = folded[folded.find("ngay") :] if "ngay" in folded else folded
    found = parse_report_date(written)
    if found is not None and 1990 <= found.year <= 2100:
        return found, found.month, found.year
    month_year = _MONTH_YEAR.search(written)
    if month_year and 1 <= int(month_year.group(1)) <= 12:
        return None, int(month_year.group(1)), int(month_year.group(2))
    year = _YEAR_ONLY.search(written)
    return None, None, int(year.group(1)) if year else None


# ------------------------------------------------------------------ title and period


def _is_title_start(segment: str) -> bool:
    return _keys(_words(segment))[:2] == ["bao", "cao"]


def _ends_title(segment: str) -> bool:
    """A heading, a body paragraph, an addressee, or a number or date written under the
    title. A line naming a body does not end it: "Đảng bộ Thị xã lần thứ XXI, nhiệm kỳ
    2020 - 2025" continues a title."""
    folded = fold(segment)
    return (
        bool(_HEADING.match(folded))
        or len(segment) > _TITLE_LINE_MAX_CHARS
        or folded.startswith(("kinh gui", "can cu"))
        or _document_number(segment) is not None
        or bool(_PLACE_DATE.match(folded))
    )


def _title(segments: list[str], start: int) -> str:
    """ "BÁO CÁO" and the title lines after it, up to the first heading or body paragraph."""
    lines = [segments[start]]
    for segment in segments[start + 1 : start + _TITLE_MAX_LINES]:
        if _ends_title(segment):
            break
        lines.append(segment)
    return " ".join(lines)


def _untitled_header(segments: list[str]) -> list[str]:
    header = []
    for segment in segments[:_UNTITLED_HEADER_LINES]:
        if _HEADING.match(fold(segment)) or len(segment) > _TITLE_LINE_MAX_CHARS:
            break
        header.append(segment)
    return header


def _untitled_title(header: list[str]) -> str | None:
    """Without "BÁO CÁO", the header's lines that are neither body, number nor date."""
    rest = [
        segment
        for segment in header
        if not _ends_title(segment) and _parse_body(_words(segment)) is None
    ]
    return " ".join(rest) or None


@cache
def _terms() -> dict[str, tuple[int, int]]:
    """The party terms the warehouse knows (``dbt_project/seeds/terms.csv``)."""
    with TERMS_CSV.open(encoding="utf-8") as handle:
        return {
            row["term_code"]: (int(row["start_year"]), int(row["end_year"]))
            for row in csv.DictReader(handle)
        }


def _term_containing(year: int | None) -> str | None:
    """The term a report of that year belongs to: start < year <= end (2023 → 2020-2025)."""
    if year is None:
        return None
    return next((code for code, (s, e) in _terms().items() if s < year <= e), None)


def _term_before(term: str) -> str | None:
    start = _terms()[term][0]
    return next((code for code, (_, end) in _terms().items() if end == start), None)


def _stated_terms(folded: str) -> list[str]:
    """Known terms written in the title, in order ("2020 - 2025", "2020–2025")."""
    stated = (f"{m.group(1)}-{m.group(2)}" for m in _TERM_IN_TEXT.finditer(folded))
    return [term for term in stated if term in _terms()]


def _read_period(
    title: str | None, year: int | None, month: int | None
) -> tuple[str | None, str | None, str | None]:
    """(report kind, period code, term code) the title says.

    The report's year completes a title without one (a mid-term review in 2023 is of the
    2020-2025 term). A year the title names ("tổng kết năm 2022 ... nhiệm kỳ 2020-2025")
    makes an annual report even when a term is named too.
    """
    folded = fold(title)
    terms = _stated_terms(folded)
    stated = terms[0] if terms else None
    if quarter := _QUARTER_WORDS.search(folded):
        number = _ROMAN.get(quarter.group(1)) or int(quarter.group(1))
        in_year = quarter.group(2) or _first_year(folded) or year
        return QUARTER, f"{in_year}-Q{number}" if in_year else None, stated
    if half := _HALF_WORDS.search(folded):
        which = half.group(1) or half.group(2)
        in_year = _first_year(folded[half.start() :]) or year
        code = f"{in_year}-H{2 if which == 'cuoi' else 1}" if in_year else None
        return HALF_YEAR, code, stated
    if _MID_WORDS.search(folded):
        term = stated or _term_containing(year)
        return MID_TERM, f"{term}-MID" if term else None, term
    if _END_WORDS.search(folded):
        term = _reviewed_term(folded, terms, year)
        return END_OF_TERM, term, term
    if _OTHER_MONTHS.search(folded):
        return None, None, stated
    if annual := _ANNUAL_YEAR.search(folded):
        return ANNUAL, annual.group(1), stated
    if stated and re.search(r"\bso\s*ket\b", folded):  # "sơ kết thực hiện NQ nhiệm kỳ X"
        return MID_TERM, f"{stated}-MID", stated
    if stated and re.search(r"\btong\s*ket\b", folded):
        return END_OF_TERM, stated, stated
    return None, None, stated


def _first_year(folded: str) -> str | None:
    match = _ANNUAL_YEAR.search(folded)
    return match.group(1) if match else None


def _reviewed_term(folded: str, terms: list[str], year: int | None) -> str | None:
    """The term an end-of-term report reviews.

    A congress's political report names the term it opens ("Đại hội ... nhiệm kỳ
    2025-2030", written in 2025) and reviews the one before; a "tổng kết nhiệm kỳ" names
    the term it closes. Without a term, the term the report's year closes.
    """
    if not terms:
        return _term_containing(year)
    term = terms[0]
    opens = year is not None and _terms()[term][0] >= year
    if _CONGRESS_REPORT.search(folded) and opens and len(terms) == 1:
        return _term_before(term) or term
    return term


# ------------------------------------------------------------------ reasons and the unit

_KIND_VI = {
    MID_TERM: "sơ kết giữa nhiệm kỳ",
    END_OF_TERM: "tổng kết nhiệm kỳ",
    ANNUAL: "báo cáo năm",
    HALF_YEAR: "sơ kết 6 tháng",
    QUARTER: "báo cáo quý",
}
_GUIDANCE_VI = (
    "Phần đầu báo cáo cần ghi tên cơ quan ban hành (ví dụ 'ĐẢNG ỦY PHƯỜNG PHỔ HÒA'), nơi và "
    "ngày ban hành (ví dụ 'Phổ Hòa, ngày 18 tháng 5 năm 2023'), và loại báo cáo với kỳ (ví dụ "
    "'sơ kết giữa nhiệm kỳ 2020 - 2025', 'tổng kết năm 2022', 'sơ kết 6 tháng đầu năm 2023'); "
    "hãy sửa phần đầu rồi gửi lại."
)
_GUIDANCE_EN = (
    "The report's header must give the issuing body (e.g. 'ĐẢNG ỦY PHƯỜNG PHỔ HÒA'), the place "
    "and date of issue (e.g. 'Phổ Hòa, ngày 18 tháng 5 năm 2023'), and the kind of report with "
    "its period (e.g. 'sơ kết giữa nhiệm kỳ 2020 - 2025', 'tổng kết năm 2022', 'sơ kết 6 tháng "
    "đầu năm 2023'); correct the header and resend."
)


def identity_reason(identity: ReportIdentity) -> tuple[str, str] | None:
    """(Vietnamese, English) reason naming what the header lacks, when the unit or the
    period cannot be read; None when both are known."""
    lacks_vi, lacks_en = [], []
    if identity.unit_name is None:
        lacks_vi.append("tên phường, xã hay thị trấn ban hành báo cáo")
        lacks_en.append("the ward, commune or town issuing the report")
    if identity.period_code is None:
        if identity.report_kind is not None:
            lacks_vi.append(
                f"kỳ báo cáo (báo cáo {_KIND_VI[identity.report_kind]} nhưng không ghi năm "
                "hay nhiệm kỳ, và không đọc được ngày ban hành)"
            )
            lacks_en.append(
                f"the reporting period (a {identity.report_kind.replace('_', '-')} report "
                "without its year or term, and no readable date of issue)"
            )
        else:
            lacks_vi.append("loại báo cáo và kỳ báo cáo")
            lacks_en.append("the kind of report and its period")
    if not lacks_vi:
        return None
    return (
        f"Không đọc được {' và '.join(lacks_vi)} ở phần đầu báo cáo. {_GUIDANCE_VI}",
        f"Could not read {' and '.join(lacks_en)} in the report's header. {_GUIDANCE_EN}",
    )


def unit_period_hint(identity: ReportIdentity) -> str | None:
    """The period code to hand the unit resolver so that it picks the scheme of the date.

    The resolver picks schemes by period (:func:`flows.domain.units.schemes_for_period`);
    the half-year holding the report's date falls wholly on one side of 1 July 2025, so
    it steers the resolver to the scheme in force when the report was issued. Without a
    month, a year other than 2025 does as well; otherwise the report's period decides.
    """
    year, month = identity.report_year, identity.report_month
    if year is not None and month is not None:
        return f"{year}-H{1 if month <= 6 else 2}"
    if year is not None and year != REORGANISATION_DAY.year:
        return str(year)
    return identity.period_code


def resolve_report_unit(identity: ReportIdentity, resolver: UnitResolver) -> str:
    """The unit_key of the ward that issued the report; :class:`UnitNotResolved` says why not.

    The ward is looked for in the scheme of the report's date (:func:`unit_period_hint`).
    A ward of the 2025 scheme has no district, so a district the header names is not used
    there. A "thành phố" is tried as a district and as a province when one reading fails.
    The type the header writes must be the ward's: the resolver, made for sheets, takes
    "Xã Đức Phổ" for a "Phường Đức Phổ" when no phường has that name, but an issuing
    body states its type.
    """
    if identity.unit_name is None:
        reason = identity_reason(identity)
        assert reason is not None  # a missing unit always gives a reason
        raise UnitNotResolved(*reason)
    hint = unit_period_hint(identity)
    name = " ".join(filter(None, [identity.unit_type, identity.unit_name]))
    only_2025 = schemes_for_period(hint) == [SCHEME_2025]
    first_error: UnitNotResolved | None = None
    for district, province in _parent_readings(identity):
        try:
            key = resolver.resolve(None, name, None if only_2025 else district, province, hint)
            _check_unit_type(identity, key)
            return key
        except UnitNotResolved as error:
            first_error = first_error or error
    assert first_error is not None
    raise first_error


@cache
def _ward_names() -> dict[str, tuple[str, str]]:
    """unit_key → (unit type, name) of every ward of both schemes."""
    units = load_reference().admin_units
    wards = units[units["level"] == "ward"]
    return dict(
        zip(
            wards["unit_key"],
            zip(wards["unit_type"], wards["unit_name"], strict=True),
            strict=True,
        )
    )


_TYPE_EN = {"Phường": "ward", "Xã": "commune", "Thị trấn": "town", "Đặc khu": "special zone"}


def _check_unit_type(identity: ReportIdentity, key: str) -> None:
    unit_type, name = _ward_names().get(key, (None, None))
    written_type = identity.unit_type
    if written_type is None or unit_type is None or fold(unit_type) == fold(written_type):
        return
    written, code = f"{written_type} {identity.unit_name}", key.split(":")[-1]
    raise UnitNotResolved(
        f"Báo cáo ghi đơn vị ban hành là '{written}' nhưng danh mục không có "
        f"{written_type.lower()} nào tên đó (chỉ có {name}, mã {code}); hãy kiểm tra loại đơn "
        "vị và ngày ban hành (từ 1/7/2025 là đơn vị hành chính mới), ghi thêm huyện, tỉnh ở "
        "phần đầu báo cáo.",
        f"The report names its issuing unit '{written}' but the list has no "
        f"{_TYPE_EN.get(written_type, written_type)} of that name (only {name}, code {code}); "
        "check the unit's type and the date of issue (the new units apply from 1 July 2025), "
        "and add the district and province to the header.",
    )


def _parent_readings(identity: ReportIdentity) -> list[tuple[str | None, str | None]]:
    """(district, province) as read, then with a city the parent body names read the other
    way (Thành phố Huế was a district before 2025 and a province after)."""
    readings = [(identity.district_name, identity.province_name)]
    parent = _parse_body(_words(identity.parent_body or ""))
    if parent is not None and parent.level == _CITY:
        if parent.name == identity.district_name:
            readings.append((None, identity.province_name or parent.name))
        elif parent.name == identity.province_name:
            readings.append((parent.name, None))
    return readings
