"""A narrative report's identity from its header, against the real unit reference lists.

The seed's header must give Phường Phổ Hòa (pre2025:21469) and the 2020-2025 mid-term;
generated headers draw the ways clerks write one (issuing body, unit type and its
abbreviation, case, tone placement, date, title, number, layout and line order) for a
handful of real wards of both schemes, each with the identity it must give.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.domain.textnorm import fold
from flows.domain.units import UnitNotResolved
from flows.reading.document import Document, Paragraph, Table
from flows.reading.parse import reader_state
from flows.reading.report_header import (
    ANNUAL,
    END_OF_TERM,
    HALF_YEAR,
    MID_TERM,
    MISSING_DATE,
    MISSING_PERIOD,
    MISSING_UNIT,
    QUARTER,
    identity_reason,
    read_report_identity,
    resolve_report_unit,
    unit_period_hint,
)
from tests.generators.report_text import read_report_file, read_report_text, to_document

PARTY_MOTTO = "ĐẢNG CỘNG SẢN VIỆT NAM"
STATE_MOTTO = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
STATE_MOTTO_TIGHT = ["CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập-Tự do-Hạnh phúc"]


@pytest.fixture(scope="module")
def resolver():
    return reader_state()[1]


def _folded(text: str | None) -> str | None:
    return None if text is None else fold(text)


# ------------------------------------------------------------------ the seed


def test_the_seed_header_gives_pho_hoa_and_the_mid_term(resolver):
    identity = read_report_identity(to_document(read_report_file()).header_lines())
    assert identity.issuing_body == "ĐẢNG ỦY PHƯỜNG PHỐ HOÀ"
    assert identity.parent_body == "ĐẢNG BỘ HUYỆN ĐỨC PHỐ"
    assert (identity.unit_type, identity.unit_name) == ("Phường", "Phố Hoà")
    assert (identity.district_name, identity.province_name) == ("ĐỨC PHỐ", None)
    assert identity.document_number == "263-BC/ĐU"
    assert (identity.place, identity.report_date) == ("Phố Hoà", date(2023, 5, 18))
    assert (identity.report_kind, identity.period_code, identity.term_code) == (
        MID_TERM,
        "2020-2025-MID",
        "2020-2025",
    )
    # The title's two lines are joined; the part heading after them is not the title.
    assert identity.title.endswith("lần thứ XXI, nhiệm kỳ 2020 - 2025")
    assert identity.missing == ()
    assert identity_reason(identity) is None
    assert resolve_report_unit(identity, resolver) == "pre2025:21469"


def test_a_header_laid_out_as_a_table_reads_as_its_paragraphs(resolver):
    """Issuing body and motto as cells of one row, number and place-date of the next."""
    text = (
        "| ĐẢNG BỘ HUYỆN ĐỨC PHỐ | ĐẢNG CỘNG SẢN VIỆT NAM |\n"
        "| ĐẢNG ỦY PHƯỜNG PHỐ HOÀ | Phố Hoà, ngày 18 tháng 5 năm 2023 |\n"
        "| Số 263-BC/ĐU | |\n\n"
        "BÁO CÁO\n"
        "sơ kết giữa nhiệm kỳ thực hiện Nghị quyết Đại hội đại biểu\n"
        "Đảng bộ Thị xã lần thứ XXI, nhiệm kỳ 2020 - 2025\n\n"
        "PHẦN THỨ NHẤT\n\n"
        "Đảng ủy phường Phố Hòa xây dựng Kế hoạch số 03-KH/ĐU ngày 10/9/2020 về thực hiện "
        "Nghị quyết năm 2021."
    )
    lines = to_document(read_report_text(text)).header_lines()
    assert lines[:2] == ["ĐẢNG BỘ HUYỆN ĐỨC PHỐ", "ĐẢNG CỘNG SẢN VIỆT NAM"]
    identity = read_report_identity(lines)
    assert identity.issuing_body == "ĐẢNG ỦY PHƯỜNG PHỐ HOÀ"
    assert identity.document_number == "263-BC/ĐU"
    assert identity.report_date == date(2023, 5, 18)
    assert identity.period_code == "2020-2025-MID"
    assert resolve_report_unit(identity, resolver) == "pre2025:21469"


def test_a_cell_holding_several_lines_is_read_line_by_line(resolver):
    document = Document(
        kind="docx",
        paragraphs=[
            Paragraph(1, "BÁO CÁO"),
            Paragraph(2, "tổng kết năm 2022 thực hiện Nghị quyết Đại hội nhiệm kỳ 2020 - 2025"),
            Paragraph(3, "I- Kết quả đạt được", heading_level=2),
        ],
        tables=[
            Table(
                1,
                [
                    ["ĐẢNG BỘ HUYỆN MỘC HOÁ\nĐẢNG UỶ XÃ TÂN LẬP\n*", "ĐẢNG CỘNG SẢN VIỆT NAM"],
                    ["Số: 07 -BC/ĐU", "Tân Lập, ngày 05 tháng 01 năm 2023"],
                ],
                after_paragraph=0,
            )
        ],
    )
    identity = read_report_identity(document.header_lines())
    assert (identity.unit_type, identity.unit_name, identity.district_name) == (
        "Xã",
        "Tân Lập",
        "MỘC HOÁ",
    )
    assert (identity.document_number, identity.report_date) == ("07-BC/ĐU", date(2023, 1, 5))
    assert (identity.report_kind, identity.period_code, identity.term_code) == (
        ANNUAL,
        "2022",
        "2020-2025",
    )
    assert resolve_report_unit(identity, resolver) == "pre2025:27820"


# ------------------------------------------------------------------ titles


def _title_identity(title_lines: list[str], when: str = "ngày 18 tháng 5 năm 2023"):
    return read_report_identity(
        ["ĐẢNG ỦY PHƯỜNG PHỔ HÒA", f"Phổ Hòa, {when}", "BÁO CÁO", *title_lines, "1. Kết quả"]
    )


@pytest.mark.parametrize(
    ("title", "when", "expected"),
    [
        (
            ["sơ kết nửa nhiệm kỳ thực hiện Nghị quyết"],
            "ngày 2/6/2023",
            (MID_TERM, "2020-2025-MID"),
        ),
        (["SƠ KẾT GIỮA NHIỆM KỲ"], "ngày 2/6/2027", (MID_TERM, "2025-2030-MID")),
        (
            ["sơ kết 2,5 năm thực hiện Nghị quyết", "nhiệm kỳ 2020-2025"],
            "",
            (MID_TERM, "2020-2025-MID"),
        ),
        (["tổng kết nhiệm kỳ 2015 - 2020"], "ngày 1/6/2020", (END_OF_TERM, "2015-2020")),
        (
            ["CHÍNH TRỊ của Ban Chấp hành Đảng bộ phường khóa XX", "trình Đại hội đại biểu lần"],
            "ngày 10/6/2025",
            (END_OF_TERM, "2020-2025"),
        ),
        (
            ["CHÍNH TRỊ", "trình Đại hội Đảng bộ phường lần thứ XXII, nhiệm kỳ 2025 - 2030"],
            "ngày 10/6/2025",
            (END_OF_TERM, "2020-2025"),
        ),
        (["tổng kết năm 2022 thực hiện Nghị quyết nhiệm kỳ 2020–2025"], "", (ANNUAL, "2022")),
        (
            ["tổng kết thực hiện Nghị quyết Đại hội", "Đảng bộ xã lần thứ XX, nhiệm kỳ 2015-2020"],
            "ngày 1/6/2020",
            (END_OF_TERM, "2015-2020"),
        ),
        (
            ["sơ kết thực hiện Nghị quyết Đại hội", "Đảng bộ Thị xã lần XXI, nhiệm kỳ 2020-2025"],
            "",
            (MID_TERM, "2020-2025-MID"),
        ),
        (["về công tác dân vận", "Kính gửi: Thường trực Thị ủy, năm 2021"], "", (None, None)),
        (
            ["kết quả thực hiện nhiệm vụ năm 2022,", "phương hướng, nhiệm vụ năm 2023"],
            "",
            (ANNUAL, "2022"),
        ),
        (["sơ kết 6 tháng đầu năm 2023"], "", (HALF_YEAR, "2023-H1")),
        (["kết quả 06 tháng cuối năm 2023"], "", (HALF_YEAR, "2023-H2")),
        (["sơ kết sáu tháng đầu năm"], "ngày 30/6/2024", (HALF_YEAR, "2024-H1")),
        (["kết quả công tác quý I/2023"], "", (QUARTER, "2023-Q1")),
        (["tình hình quý 3 năm 2024"], "", (QUARTER, "2024-Q3")),
        (["kết quả 9 tháng đầu năm 2023"], "", (None, None)),
        (["tình hình công tác tháng 5 năm 2023"], "", (None, None)),
        (["về công tác phòng chống lụt bão"], "", (None, None)),
    ],
)
def test_the_title_gives_the_report_kind_and_period(title, when, expected):
    identity = _title_identity(title, when or "ngày 18 tháng 5 năm 2023")
    assert (identity.report_kind, identity.period_code) == expected


def test_a_year_in_the_title_is_the_year_even_when_a_term_is_named():
    identity = _title_identity(["tổng kết năm 2022", "thực hiện Nghị quyết nhiệm kỳ 2020 - 2025"])
    assert (identity.period_code, identity.term_code) == ("2022", "2020-2025")


# ------------------------------------------------------------------ generated headers


@dataclass(frozen=True)
class Ward:
    """A real ward and the ways a header may name it and its parents."""

    key: str
    unit_type: str
    spellings: tuple[str, ...]  # tone placements and typos clerks type
    parents: tuple[tuple[tuple[str, ...], str | None, str | None], ...]  # lines, district, prov.
    dates: tuple[date, ...]


PRE2025_DATES = (date(2023, 5, 18), date(2024, 1, 5), date(2025, 6, 30))
SCHEME_2025_DATES = (date(2025, 7, 1), date(2026, 1, 15), date(2027, 12, 20))
WARDS = (
    Ward(
        "pre2025:21469",
        "Phường",
        ("Phổ Hòa", "Phổ Hoà", "Phố Hoà", "PHỐ HÒA"),
        (
            (("ĐẢNG BỘ THỊ XÃ ĐỨC PHỔ",), "ĐỨC PHỔ", None),
            (("TỈNH ỦY QUẢNG NGÃI", "THỊ ỦY ĐỨC PHỔ"), "ĐỨC PHỔ", "QUẢNG NGÃI"),
            (("ĐẢNG BỘ HUYỆN ĐỨC PHỐ",), "ĐỨC PHỐ", None),
            ((), None, None),
        ),
        PRE2025_DATES,
    ),
    Ward(
        "pre2025:27820",
        "Xã",
        ("Tân Lập", "TÂN LẬP"),
        (
            (("ĐẢNG BỘ HUYỆN MỘC HOÁ",), "MỘC HOÁ", None),
            (("HUYỆN ỦY MỘC HÓA",), "MỘC HÓA", None),
            (("UBND HUYỆN MỘC HÓA", "UBND TỈNH LONG AN"), "MỘC HÓA", "LONG AN"),
        ),
        PRE2025_DATES,
    ),
    Ward(
        "pre2025:21040",
        "Thị trấn",
        ("Châu Ổ", "CHÂU Ổ"),
        ((("ĐẢNG BỘ HUYỆN BÌNH SƠN",), "BÌNH SƠN", None), ((), None, None)),
        PRE2025_DATES,
    ),
    Ward(
        "pre2025:19258",
        "Xã",
        ("Hoa Thủy", "Hoa Thuỷ", "HOA THUỶ"),
        ((("HUYỆN ỦY LỆ THUỶ",), "LỆ THUỶ", None), ((), None, None)),
        PRE2025_DATES,
    ),
    Ward(
        "pre2025:26740",
        "Phường",
        ("Bến Nghé", "BẾN NGHÉ"),
        (
            (("ĐẢNG BỘ THÀNH PHỐ HỒ CHÍ MINH", "ĐẢNG BỘ QUẬN 1"), "1", "HỒ CHÍ MINH"),
            (("QUẬN ỦY QUẬN 1",), "QUẬN 1", None),
            (("ĐẢNG BỘ TP. HCM",), None, "Hồ Chí Minh"),
        ),
        PRE2025_DATES,
    ),
    Ward(
        "2025:21439",
        "Phường",
        ("Đức Phổ", "ĐỨC PHỔ", "Đức Phố"),
        (
            (("ĐẢNG BỘ TỈNH QUẢNG NGÃI",), None, "QUẢNG NGÃI"),
            (("TỈNH ỦY QUẢNG NGÃI",), None, "QUẢNG NGÃI"),
        ),
        SCHEME_2025_DATES,
    ),
    Ward(
        "2025:00070",
        "Phường",
        ("Hoàn Kiếm", "HOÀN KIẾM"),
        (
            (("ĐẢNG BỘ THÀNH PHỐ HÀ NỘI",), None, "HÀ NỘI"),
            (("THÀNH ỦY HÀ NỘI",), None, "HÀ NỘI"),
            ((), None, None),
        ),
        SCHEME_2025_DATES,
    ),
    Ward(
        "2025:16171",
        "Xã",
        ("Ba Đình", "BA ĐÌNH"),
        (
            (("ĐẢNG BỘ TỈNH THANH HOÁ",), None, "THANH HOÁ"),
            (("UBND TỈNH THANH HÓA",), None, "THANH HÓA"),
        ),
        SCHEME_2025_DATES,
    ),
)

BODIES = (
    "ĐẢNG ỦY",
    "ĐẢNG UỶ",
    "BAN CHẤP HÀNH ĐẢNG BỘ",
    "UỶ BAN NHÂN DÂN",
    "UBND",
    "HỘI ĐỒNG NHÂN DÂN",
    "ĐẢNG BỘ",
)
ABBREVIATIONS = {"Phường": "P.", "Xã": "X.", "Thị trấn": "TT."}
NUMBERS = (
    ("Số 263-BC/ĐU", "263-BC/ĐU"),
    ("Số: 15/BC-UBND", "15/BC-UBND"),
    ("Số 45 - BC/ĐU", "45-BC/ĐU"),
    ("SỐ:  07 -BC/ĐU", "07-BC/ĐU"),
)
TITLE_FORMS = (
    "mid_two_lines",
    "mid_no_years",
    "end_of_term",
    "annual_with_term",
    "annual_tasks",
    "half_year",
    "quarter",
)
DATE_FORMS = ("worded", "padded", "numeric", "dashed", "blank_day")


def _date_text(day: date, form: str) -> str:
    return {
        "worded": f"ngày {day.day} tháng {day.month} năm {day.year}",
        "padded": f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}",
        "numeric": f"ngày {day.day}/{day.month}/{day.year}",
        "dashed": f"ngày {day.day:02d}-{day.month:02d}-{day.year}",
        "blank_day": f"ngày     tháng {day.month} năm {day.year}",
    }[form]


def _term_of(year: int) -> str:
    return "2020-2025" if year <= 2025 else "2025-2030"


def _title(form: str, year: int) -> tuple[list[str], str, str, str | None]:
    """(title lines after BÁO CÁO, kind, period code, term code) of a title form."""
    term = _term_of(year)
    start, end = term.split("-")
    return {
        "mid_two_lines": (
            [
                "sơ kết giữa nhiệm kỳ thực hiện Nghị quyết Đại hội đại biểu",
                f"Đảng bộ lần thứ XXI, nhiệm kỳ {start} - {end}",
            ],
            MID_TERM,
            f"{term}-MID",
            term,
        ),
        "mid_no_years": (
            ["Sơ kết nửa nhiệm kỳ thực hiện Nghị quyết Đại hội"],
            MID_TERM,
            f"{term}-MID",
            term,
        ),
        "end_of_term": ([f"TỔNG KẾT NHIỆM KỲ {start}–{end}"], END_OF_TERM, term, term),
        "annual_with_term": (
            [f"tổng kết năm {year - 1} thực hiện Nghị quyết", f"nhiệm kỳ {start} - {end}"],
            ANNUAL,
            str(year - 1),
            term,
        ),
        "annual_tasks": (
            [f"kết quả thực hiện nhiệm vụ năm {year - 1},", f"phương hướng nhiệm vụ năm {year}"],
            ANNUAL,
            str(year - 1),
            None,
        ),
        "half_year": ([f"sơ kết 6 tháng đầu năm {year}"], HALF_YEAR, f"{year}-H1", None),
        "quarter": ([f"kết quả công tác quý I/{year}"], QUARTER, f"{year}-Q1", None),
    }[form]


@st.composite
def headers(draw):
    """A header's lines and the identity (and unit) they must give."""
    ward = draw(st.sampled_from(WARDS))
    spelling = draw(st.sampled_from(ward.spellings))
    parent_lines, district, province = draw(st.sampled_from(ward.parents))
    body = draw(st.sampled_from(BODIES))
    type_form = draw(st.sampled_from(("full", "abbreviated", "abbreviated_tight")))
    written_type = ward.unit_type if type_form == "full" else ABBREVIATIONS[ward.unit_type]
    unit = written_type + ("" if type_form == "abbreviated_tight" else " ") + spelling
    if draw(st.sampled_from(("upper", "sentence"))) == "upper":
        issuing = f"{body} {unit}".upper()
    else:  # "Đảng uỷ xã Tân Lập", "Ban chấp hành đảng bộ p. Phổ Hòa"
        issuing = f"{body[0]}{body[1:].lower()} {written_type.lower()}{unit[len(written_type) :]}"
    if draw(st.booleans()):
        issuing = issuing.replace(" ", "  ", 1)  # a clerk's double space
    day = draw(st.sampled_from(ward.dates))
    date_form = draw(st.sampled_from(DATE_FORMS))
    place = draw(st.sampled_from((spelling, f"{ward.unit_type} {spelling}")))
    place_line = f"{place}, {_date_text(day, date_form)}"
    number_text, number = draw(st.sampled_from(NUMBERS))
    title_form = draw(st.sampled_from(TITLE_FORMS))
    title_lines, kind, period, term = _title(title_form, day.year)
    motto = draw(st.sampled_from(([PARTY_MOTTO], STATE_MOTTO, STATE_MOTTO_TIGHT)))
    layout = draw(st.sampled_from(("motto_first", "body_first", "table", "pdf_merged")))
    left = [*parent_lines, issuing]
    if layout == "motto_first":
        head = [*motto, *left, number_text, place_line]
    elif layout == "body_first":
        head = [*left, "*", *motto, number_text, place_line]
    elif layout == "table":  # header_lines gives a row's cells in turn, a cell's lines joined
        head = ["\n".join(left), "\n".join(motto), number_text, place_line]
    else:  # a PDF that ran the two columns into one line each
        side_by_side = [
            f"{line} {motto_line}" for line, motto_line in zip(left, motto, strict=False)
        ]
        rest = left[len(motto) :] + motto[len(left) :]
        head = [*side_by_side, *rest, f"{number_text}   {place_line}"]
    body_text = "1. Tình hình chung"
    lines = [
        *head,
        "BÁO CÁO",
        *title_lines,
        body_text,
        f"Đảng ủy {ward.unit_type.lower()} {spelling} đã lãnh đạo năm 2019.",
    ]
    expected = {
        "unit_type": ward.unit_type,
        "unit_name": fold(spelling),
        "district_name": _folded(district),
        "province_name": _folded(province),
        "document_number": number,
        "report_date": None if date_form == "blank_day" else day,
        "report_year": day.year,
        "report_month": day.month,
        "report_kind": kind,
        "period_code": period,
        "term_code": term,
        "missing": (MISSING_DATE,) if date_form == "blank_day" else (),
    }
    return lines, expected, ward.key


@settings(max_examples=400)
@given(headers())
def test_generated_headers_give_their_identity_and_unit(resolver, header):
    lines, expected, unit_key = header
    identity = read_report_identity(lines)
    found = {
        "unit_type": identity.unit_type,
        "unit_name": _folded(identity.unit_name),
        "district_name": _folded(identity.district_name),
        "province_name": _folded(identity.province_name),
        "document_number": identity.document_number,
        "report_date": identity.report_date,
        "report_year": identity.report_year,
        "report_month": identity.report_month,
        "report_kind": identity.report_kind,
        "period_code": identity.period_code,
        "term_code": identity.term_code,
        "missing": identity.missing,
    }
    assert found == expected, lines
    assert identity_reason(identity) is None
    assert resolve_report_unit(identity, resolver) == unit_key, lines


# ------------------------------------------------------------------ scheme by date


@pytest.mark.parametrize(
    ("when", "hint"),
    [
        ("ngày 30 tháng 6 năm 2025", "2025-H1"),
        ("ngày 01 tháng 7 năm 2025", "2025-H2"),
        ("ngày   tháng 7 năm 2025", "2025-H2"),
        ("ngày 5/1/2024", "2024-H1"),
    ],
)
def test_the_date_steers_the_resolver_to_its_scheme(when, hint):
    identity = _title_identity(["sơ kết giữa nhiệm kỳ 2020 - 2025"], when)
    assert unit_period_hint(identity) == hint


def test_a_ward_is_looked_for_in_the_scheme_of_the_date(resolver):
    pho_hoa = ["ĐẢNG BỘ TỈNH QUẢNG NGÃI", "ĐẢNG ỦY PHƯỜNG PHỔ HÒA", "BÁO CÁO", "tổng kết năm 2025"]
    before = read_report_identity([*pho_hoa[:2], "Phổ Hòa, ngày 30/6/2025", *pho_hoa[2:]])
    assert resolve_report_unit(before, resolver) == "pre2025:21469"
    # Phổ Hòa went into Đức Phổ on 1 July 2025: a report dated after names no such ward.
    after = read_report_identity([*pho_hoa[:2], "Phổ Hòa, ngày 1/7/2025", *pho_hoa[2:]])
    with pytest.raises(UnitNotResolved):
        resolve_report_unit(after, resolver)
    duc_pho = ["ĐẢNG BỘ TỈNH QUẢNG NGÃI", "ĐẢNG ỦY PHƯỜNG ĐỨC PHỔ", "BÁO CÁO", "tổng kết năm 2025"]
    early = read_report_identity([*duc_pho[:2], "Đức Phổ, ngày 30/6/2025", *duc_pho[2:]])
    with pytest.raises(UnitNotResolved):
        resolve_report_unit(early, resolver)
    late = read_report_identity([*duc_pho[:2], "Đức Phổ, ngày 31/12/2025", *duc_pho[2:]])
    assert resolve_report_unit(late, resolver) == "2025:21439"


def test_the_type_the_header_writes_must_be_the_wards(resolver):
    """Before 2025 there is no Phường Đức Phổ, only a Xã Đức Phổ in Lâm Đồng."""
    identity = read_report_identity(
        ["ĐẢNG ỦY PHƯỜNG ĐỨC PHỔ", "Đức Phổ, ngày 5/5/2024", "BÁO CÁO", "tổng kết năm 2023"]
    )
    with pytest.raises(UnitNotResolved) as raised:
        resolve_report_unit(identity, resolver)
    assert (
        "Xã Đức Phổ" in raised.value.reason_vi and "no ward of that name" in raised.value.reason_en
    )


def test_a_header_without_bao_cao_reads_its_title_from_the_lines_left(resolver):
    identity = read_report_identity(
        [
            "ĐẢNG UỶ XÃ TÂN LẬP",
            "Số 07-BC/ĐU",
            "Tân Lập, ngày 5/1/2023",
            "TỔNG KẾT NĂM 2022",
            "I- Tình hình chung",
            "Đảng bộ xã có 12 chi bộ.",
        ]
    )
    assert (identity.unit_name, identity.period_code) == ("Tân Lập", "2022")
    assert identity.title == "TỔNG KẾT NĂM 2022"


# ------------------------------------------------------------------ what a header lacks


def test_a_header_without_its_unit_says_so(resolver):
    identity = read_report_identity(
        [
            "ĐẢNG BỘ HUYỆN ĐỨC PHỔ",
            PARTY_MOTTO,
            "Số 263-BC/ĐU",
            "Phổ Hòa, ngày 18/5/2023",
            "BÁO CÁO",
            "sơ kết giữa nhiệm kỳ 2020 - 2025",
            "1. Tình hình",
        ]
    )
    assert identity.unit_name is None and identity.period_code == "2020-2025-MID"
    assert MISSING_UNIT in identity.missing
    reason_vi, reason_en = identity_reason(identity)
    assert "phường, xã hay thị trấn" in reason_vi and "ĐẢNG ỦY PHƯỜNG PHỔ HÒA" in reason_vi
    assert "ward, commune or town" in reason_en
    with pytest.raises(UnitNotResolved) as raised:
        resolve_report_unit(identity, resolver)
    assert raised.value.reason_vi == reason_vi


@pytest.mark.parametrize(
    ("title", "when", "says_vi", "says_en"),
    [
        (["về công tác dân vận"], "ngày 18/5/2023", "loại báo cáo và kỳ báo cáo", "kind of report"),
        (
            ["sơ kết giữa nhiệm kỳ"],
            "ngày    tháng    năm",
            "sơ kết giữa nhiệm kỳ nhưng",
            "mid-term",
        ),
    ],
)
def test_a_header_without_its_period_says_so(title, when, says_vi, says_en):
    identity = _title_identity(title, when)
    assert identity.period_code is None and MISSING_PERIOD in identity.missing
    reason_vi, reason_en = identity_reason(identity)
    assert says_vi in reason_vi and says_en in reason_en
    assert (
        reason_vi.startswith("Không đọc được") and "sơ kết giữa nhiệm kỳ 2020 - 2025" in reason_vi
    )


@pytest.mark.parametrize(
    ("lines", "unit_key"),
    [
        # A People's Committee heads its report with the district alone on the first line;
        # "Tịnh" (a name) folds like "tỉnh" (a province) and must not be read as one.
        (
            [
                "HUYỆN SƠN TỊNH",
                "UỶ BAN NHÂN DÂN XÃ TỊNH THỌ",
                "Tịnh Thọ, ngày 20 tháng 12 năm 2022",
            ],
            "pre2025:21175",
        ),
        (["UBND HUYỆN SƠN TỊNH", "UBND XÃ TỊNH THỌ", "Tịnh Thọ, ngày 20/12/2022"], "pre2025:21175"),
        (
            [
                "TỈNH QUẢNG NGÃI",
                "HUYỆN BÌNH SƠN",
                "ĐẢNG ỦY XÃ BÌNH CHÂU",
                "Bình Châu, ngày 10 tháng 6 năm 2020",
            ],
            "pre2025:21112",
        ),
    ],
)
def test_a_parent_line_without_a_body_and_a_name_folding_like_a_type(resolver, lines, unit_key):
    identity = read_report_identity([*lines, "BÁO CÁO", "Tổng kết công tác năm 2022"])
    assert identity.province_name in (None, "QUẢNG NGÃI")
    assert resolve_report_unit(identity, resolver) == unit_key
