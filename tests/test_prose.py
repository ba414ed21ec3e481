"""Prose figures as candidates (issue #24): accuracy on labelled reports, and how a figure is read.

The accuracy tests score :func:`flows.reading.prose.extract_candidates` against the
hand-labelled truth of every report under ``tests/truth/narrative/`` (the seed and the
reports written in its layout); the floors are the issue's. The reading tests draw
combinations (cue phrase × number form × qualifier × unit word × period phrase × the
sentence before) instead of one case per rule, and the negative tests mix what must never
be a figure (references, dates, terms, names, targets, changes) with true figures.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.domain.catalog import load_catalog
from flows.reading.document import BODY, FOOTNOTE, Document, Paragraph
from flows.reading.phrasings import load_phrasings, read_phrasings
from flows.reading.prose import candidate_id, extract_candidates
from tests.generators.report_text import read_report_file, to_document
from tests.narrative_truth import (
    SEED_TRUTH_NAME,
    describe,
    read_truth,
    score,
    truth_reports,
)

SEED_PERIOD = "2020-2025-MID"
# Below what was measured on each labelled report (1.0 and 1.0, see docs/performance.md),
# above the issue's 0.90: a change that loses a figure or adds a false one shows here.
RECALL_FLOOR = 0.95
PRECISION_FLOOR = 0.95
REPORTS = truth_reports()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


# The drawn tests use the catalog directly: a fixture argument would be printed in every
# failing example.
CATALOG = load_catalog()


def _candidates(document: Document, catalog, period: str | None = SEED_PERIOD):
    return extract_candidates(document, catalog, period)


def _document(*texts: str, heading: str = "4.3. Công tác xây dựng Đảng", place=BODY) -> Document:
    paragraphs = [Paragraph(1, heading, heading_level=None)]
    paragraphs += [Paragraph(i + 2, text, place=place) for i, text in enumerate(texts)]
    return Document(kind="docx", paragraphs=paragraphs)


# ------------------------------------------------------------------ accuracy on labelled reports


def test_the_seed_report_has_its_truth():
    assert SEED_TRUTH_NAME in {report.name for report in REPORTS}
    seed = next(report for report in REPORTS if report.name == SEED_TRUTH_NAME)
    assert seed.report_period_code == SEED_PERIOD
    assert len([row for row in read_truth(seed.truth_path) if row.expect == "yes"]) >= 20


@pytest.mark.parametrize("report", REPORTS, ids=[report.name for report in REPORTS])
def test_recall_and_precision_on_a_labelled_report(report, catalog):
    document = to_document(read_report_file(report.text_path))
    candidates = extract_candidates(document, catalog, report.report_period_code)
    result = score(candidates, read_truth(report.truth_path), report.report_period_code)
    summary = describe(result)
    print(f"{report.name}: {summary}")
    assert result.recall >= RECALL_FLOOR, summary
    assert result.precision >= PRECISION_FLOOR, summary
    assert result.field_mismatches == [], summary


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_the_seed_read_from_word_and_pdf_scores_the_same(kind, catalog, tmp_path):
    from flows.reading.document_readers import read_document
    from tests.generators.reports import write_docx_python_docx, write_pdf_fpdf

    writer = {"docx": write_docx_python_docx, "pdf": write_pdf_fpdf}[kind]
    seed = next(report for report in REPORTS if report.name == SEED_TRUTH_NAME)
    path = writer(read_report_file(seed.text_path), tmp_path / f"seed.{kind}")
    document = read_document(path.read_bytes(), f".{kind}")
    candidates = extract_candidates(document, catalog, SEED_PERIOD)
    result = score(candidates, read_truth(seed.truth_path), SEED_PERIOD)
    assert result.recall >= RECALL_FLOOR and result.precision >= PRECISION_FLOOR, describe(result)


def test_the_seed_is_read_fast_and_the_same_every_time(catalog):
    document = to_document(read_report_file())
    first = _candidates(document, catalog)
    started = time.perf_counter()
    second = _candidates(document, catalog)
    elapsed = time.perf_counter() - started
    assert first == second
    assert elapsed < 1.0, f"{elapsed:.2f} s for the seed"


def test_the_issue_examples_come_out_as_written(catalog):
    by_key = {
        (c.indicator_code, c.value): c
        for c in _candidates(to_document(read_report_file()), catalog)
    }
    admitted = by_key[("XD.KET_NAP_DV", 12)]
    assert admitted.reported_achievement_pct == 60
    assert admitted.confidence >= 0.8
    assert "PHẦN" in admitted.location and "4.3" in admitted.location
    assert by_key[("DV.Y_KIEN_GIAI_QUYET", 130)].denominator == 130
    assert by_key[("DV.Y_KIEN_GIAI_QUYET", 130)].figure_text == "130/130 ý kiến"
    assert by_key[("XD.CHI_BO_TU_KT", 8)].denominator == 8
    assert by_key[("MT.VAN_DONG_NHA_DDK", 300_000_000)].qualifier == "tren"
    assert by_key[("VH.HO_NGHEO_TYLE", 3.07)].period_code == "2022"
    assert by_key[("XD.DV_HOC_NQ_TYLE", 91.5)].confidence >= 0.8
    # Single-project money is a candidate only as doubtful.
    assert by_key[("KT.VON_DAU_TU", 1_117_213_000)].confidence < 0.5
    assert by_key[("KT.VON_NS_CAP_TREN", 900_000_000)].confidence < 0.5
    # The paragraph printed twice gives one candidate.
    assert [c for c in by_key.values() if c.indicator_code == "VH.LD_DAO_TAO_TYLE"] == [
        by_key[("VH.LD_DAO_TAO_TYLE", 52)]
    ]


# ------------------------------------------------------------------ reading, drawn as combinations


@dataclass(frozen=True)
class Cue:
    """A way a report writes an indicator before its figure: ``{before} {figure} {after}``."""

    code: str
    before: str
    after: str  # words after the unit ('' when none); for a split phrase the unit itself
    kind: str  # people, percent, money, y_kien


CUES = (
    Cue("XD.DV_TRIEU_TAP", "Tổng số đảng viên triệu tập", "", "people"),
    Cue("DV.NGUOI_DU_DOI_THOAI", "Tổng số người tham dự", "", "people"),
    Cue("XD.HUY_HIEU", "Đảng ủy tổ chức lễ trao tặng Huy hiệu Đảng cho", "", "people"),
    Cue("XD.CHUYEN_DI_DV", "Chuyển sinh hoạt Đảng", "", "people"),
    Cue("XD.KET_NAP_DV", "Đảng ủy kết nạp", "đảng viên mới", "split"),
    Cue("XD.TIEP_NHAN_DV", "Tiếp nhận", "đảng viên", "split"),
    Cue("VH.HO_NGHEO_TYLE", "Tỷ lệ hộ nghèo là", "", "percent"),
    Cue("VH.BHYT_TYLE", "Tỷ lệ người dân tham gia bảo hiểm y tế đạt", "", "percent"),
    Cue("VH.LD_DAO_TAO_TYLE", "Tỷ lệ lao động qua đào tạo", "", "percent"),
    Cue("VH.GD_VAN_HOA_TYLE", "Tỷ lệ gia đình văn hóa đạt", "", "percent"),
    Cue("MT.VAN_DONG_NHA_DDK", "Vận động xây dựng nhà đại đoàn kết số tiền", "", "money"),
    Cue("DV.Y_KIEN_NHAN", "Tổng số ý kiến, kiến nghị của Nhân dân là", "", "y_kien"),
    Cue("DV.Y_KIEN_GIAI_QUYET", "đã giải quyết", "", "y_kien"),
)
PEOPLE_UNITS = ("đồng chí", "người", "đảng viên", "đ/c")
QUALIFIERS = (("", ""), ("trên", "tren"), ("hơn", "hon"), ("dưới", "duoi"), ("khoảng", "khoang"))
QUALIFIERS += (("gần", "khoang"),)
# (text, period code, where it may stand): "start" of the sentence, "between" cue and figure.
PERIODS = (
    ("", None),
    ("năm 2022", "2022"),
    ("đến cuối năm 2022", "2022"),
    ("6 tháng đầu năm 2023", "2023-H1"),
    ("quý I/2023", "2023-Q1"),
    ("từ đầu nhiệm kỳ", None),
    ("trong nhiệm kỳ", None),
    ("từ năm 2020 đến nay", None),
    ("từ đầu năm đến nay", None),
)
# Sentences before the figure's: none may add a candidate or a period.
BEFORE = (
    "",
    "Công tác này được Đảng ủy quan tâm chỉ đạo.",
    "Thực hiện Kế hoạch số 07-KH/ĐU ngày 15/01/2021 của Đảng ủy.",
    "Đại hội Đảng bộ phường lần thứ XVII, nhiệm kỳ 2020 - 2025 đề ra 01 nhiệm vụ đột phá và "
    "03 nhiệm vụ trọng tâm.",
    "Kết luận số 01-KL/TW ngày 18/5/2021 của Bộ Chính trị về Chỉ thị số 05 được quán triệt.",
    "Tổ chức lễ trao tặng Huy hiệu 50 năm tuổi Đảng, giai đoạn 2021-2025.",
)


def _vietnamese_number(value: float, decimals: int) -> str:
    """``value`` as reports write it: dot thousands, decimal comma."""
    whole, _, fraction = f"{value:.{decimals}f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{grouped},{fraction}" if decimals else grouped


@st.composite
def figures(draw, kind: str):
    """(text after the qualifier, value, denominator) of a figure of ``kind``."""
    if kind in ("people", "split"):
        value = draw(st.integers(1, 4999))
        padded = draw(st.booleans()) and value < 10
        number = f"{value:02d}" if padded else _vietnamese_number(value, 0)
        unit = draw(st.sampled_from(PEOPLE_UNITS)) if kind == "people" else ""
        return f"{number} {unit}".strip(), float(value), None
    if kind == "y_kien":
        value = draw(st.integers(1, 900))
        if draw(st.booleans()):
            whole = value + draw(st.integers(0, 50))
            return f"{value}/{whole} ý kiến", float(value), float(whole)
        return f"{value} ý kiến", float(value), None
    if kind == "percent":
        decimals = draw(st.integers(0, 2))
        value = round(draw(st.floats(0.5, 100, allow_nan=False)), decimals)
        space = draw(st.sampled_from(("", " ")))
        return f"{_vietnamese_number(value, decimals)}{space}%", value, None
    written, value = draw(
        st.sampled_from(
            (
                ("900 triệu đồng", 900e6),
                ("1,1 tỷ đồng", 1.1e9),
                ("15 tỉ đồng", 15e9),
                ("217.213.000đ", 217_213_000.0),
                ("1.117.213.000 đồng", 1_117_213_000.0),
                ("300 triệu", 300e6),
                ("2 tỷ 500 triệu đồng", 2.5e9),
            )
        )
    )
    return written, value, None


@st.composite
def sentences(draw):
    cue = draw(st.sampled_from(CUES))
    written, value, denominator = draw(figures(cue.kind))
    said, folded = ("", "") if denominator else draw(st.sampled_from(QUALIFIERS))
    period_text, period = draw(st.sampled_from(PERIODS))
    place = draw(st.sampled_from(("start", "between", "lead"))) if period_text else "none"
    if cue.kind == "split" and place == "between":
        place = "start"
    figure = " ".join(part for part in (said, written) if part)
    body = f"{cue.before} {period_text if place == 'between' else ''} {figure} {cue.after}"
    body = " ".join(body.split())
    if place == "start":
        body = f"{period_text[0].upper()}{period_text[1:]}, {body[0].lower()}{body[1:]}"
    before = draw(st.sampled_from(BEFORE))
    text = f"{before} {body}."
    if place == "lead":
        text = f"{period_text[0].upper()}{period_text[1:]}: {text}"
    return cue, " ".join(text.split()), value, denominator, folded, period


@settings(max_examples=300)
@given(drawn=sentences())
def test_a_figure_is_read_with_its_indicator_number_qualifier_whole_and_period(drawn):
    cue, text, value, denominator, qualifier, period = drawn
    candidates = _candidates(_document(text), CATALOG)
    assert len(candidates) == 1, (text, candidates)
    (candidate,) = candidates
    assert candidate.indicator_code == cue.code, text
    assert candidate.value == pytest.approx(value, rel=1e-9), text
    assert candidate.denominator == denominator, text
    assert candidate.qualifier == qualifier, text
    assert candidate.period_code == period, text
    assert candidate.confidence >= 0.5, text
    assert candidate.figure_text in text and candidate.paragraph == 2


@settings(max_examples=120)
@given(
    count=st.integers(2, 900),
    extra=st.integers(0, 60),
    connector=st.sampled_from((", tỷ lệ ", ", đạt ", ", đạt tỷ lệ ", ", chiếm ")),
    decimals=st.integers(0, 1),
)
def test_a_percent_after_a_count_is_its_share(count, extra, connector, decimals):
    whole = count + extra
    share = round(100 * count / whole, decimals)
    text = (
        f"Tổng số đảng viên tham gia học tập Nghị quyết: {count} đồng chí"
        f"{connector}{_vietnamese_number(share, decimals)}%."
    )
    found = {c.indicator_code: c.value for c in _candidates(_document(text), CATALOG)}
    assert found == {"XD.DV_HOC_NQ": count, "XD.DV_HOC_NQ_TYLE": pytest.approx(share)}


@pytest.mark.parametrize(
    "achievement",
    ["đạt tỷ lệ 60% so với Nghị quyết", "đạt 60% so với Nghị quyết", "bằng 60% so với chỉ tiêu"],
)
@pytest.mark.parametrize("admitted", ["kết nạp 12 đảng viên mới", "kết nạp được 12 đảng viên mới"])
def test_an_achievement_belongs_to_the_figure_before_it(achievement, admitted, catalog):
    text = f"Từ đầu năm đến nay Đảng ủy {admitted}, {achievement}."
    (candidate,) = _candidates(_document(text), catalog)
    assert (candidate.indicator_code, candidate.value) == ("XD.KET_NAP_DV", 12)
    assert candidate.reported_achievement_pct == 60
    assert candidate.period_code is None


PERIOD_LISTS = (("năm 2021", "2021"), ("năm 2022", "2022"), ("6 tháng đầu năm 2023", "2023-H1"))
PERIOD_LISTS += (("quý I/2023", "2023-Q1"), ("cuối năm 2020", "2020"))


@settings(max_examples=60)
@given(
    periods=st.lists(st.sampled_from(PERIOD_LISTS), min_size=2, max_size=4, unique=True),
    values=st.lists(st.integers(1, 60), min_size=4, max_size=4),
    lead=st.booleans(),
)
def test_one_indicator_listed_period_by_period(periods, values, lead):
    items = [
        f"{text} là {value} đồng chí" for (text, _), value in zip(periods, values, strict=False)
    ]
    if lead:  # "Số đảng viên mới kết nạp từng năm: năm 2021: 5 đồng chí; năm 2022: ..."
        items = [item.replace(" là ", ": ") for item in items]
        text = "Số đảng viên mới kết nạp từng năm: " + "; ".join(items) + "."
    else:
        text = "Số đảng viên kết nạp " + ", ".join(items) + "."
    found = [
        (c.indicator_code, c.period_code, c.value) for c in _candidates(_document(text), CATALOG)
    ]
    expected = [
        ("XD.KET_NAP_DV", code, value) for (_, code), value in zip(periods, values, strict=False)
    ]
    assert found == expected, text


def test_a_figure_and_its_later_value_read_from_and_to(catalog):
    text = "Tỷ lệ hộ nghèo giảm từ 12,4% năm 2015 xuống còn 4,16% cuối năm 2019."
    found = [(c.value, c.period_code) for c in _candidates(_document(text), catalog)]
    assert found == [(12.4, "2015"), (4.16, "2019")]


# ------------------------------------------------------------------ what is never a figure

NEVER_FIGURES = (
    "Số 263-BC/ĐU",
    "Phố Hoà, ngày 18 tháng 5 năm 2023",
    "Đảng ủy xây dựng Kế hoạch số 03-KH/ĐU ngày 10/9/2020 về kết nạp đảng viên mới.",
    "Thực hiện 01 nhiệm vụ đột phá và 03 nhiệm vụ trọng tâm, nhiệm kỳ 2020 – 2025.",
    "Trạm gồm có 13 phòng chức năng. Về nhân lực trạm có 05 người: 01 Bác sĩ, 01 Y sĩ YHCT.",
    "Tổ chức lễ trao tặng Huy hiệu 50 năm tuổi Đảng cho đảng viên.",
    "Xây dựng gia đình 05 không 03 sạch; triển khai Đề án 06 và ISO 9001:2015.",
    "Phấn đấu tỷ lệ hộ nghèo giảm xuống dưới 2%.",
    "Tỷ lệ lao động qua đào tạo tăng 3% so với năm 2021.",
    "Tổ chức đăng ký Gia đình học tập, đơn vị học tập, cộng đồng học tập đạt 95%.",
    "Thực hiện Quyết định số 48/2021/QĐ-UBND ngày 22/9/2021, Quyết định 217, 218 của Bộ Chính trị.",
    "Tổng chi ngân sách xã 9,84 tỷ đồng, đạt 96% dự toán.",
    "Tỷ lệ lao động qua đào tạo chưa đạt chỉ tiêu Nghị quyết đề ra (57%).",
    "Nghị quyết Trung ương 4 khóa XII được quán triệt; Covid-19 diễn biến phức tạp.",
    "Toàn xã có 312 hộ kinh doanh cá thể, tăng 18 hộ so với năm 2021.",
    "Đảng viên xin ra khỏi Đảng 01 đồng chí.",
    "Vận động giúp đỡ người nghèo trên 200 triệu đồng; tạo vốn sản xuất trên 15 tỉ đồng.",
    "Công tác phòng, chống dịch đạt trên 98%; 100% cơ quan, trường học đạt chuẩn văn hóa.",
)


@pytest.mark.parametrize("text", NEVER_FIGURES)
def test_references_dates_terms_names_targets_and_changes_are_no_candidates(text, catalog):
    assert _candidates(_document(text), catalog) == []


@settings(max_examples=80)
@given(noise=st.sampled_from(NEVER_FIGURES), drawn=sentences(), noise_first=st.booleans())
def test_a_true_figure_next_to_numbers_that_are_none_is_still_read_alone(noise, drawn, noise_first):
    cue, text, value, _, _, period = drawn
    texts = (noise, text) if noise_first else (text, noise)
    candidates = _candidates(_document(*texts), CATALOG)
    assert [(c.indicator_code, c.period_code) for c in candidates] == [(cue.code, period)]
    assert candidates[0].value == pytest.approx(value)


def test_figures_under_a_heading_of_targets_are_no_candidates(catalog):
    text = "Tỷ lệ hộ nghèo còn dưới 2%; tỷ lệ lao động qua đào tạo đạt 60%."
    assert _candidates(_document(text, heading="II- Nhiệm vụ và giải pháp"), catalog) == []
    assert len(_candidates(_document(text, heading="II- Kết quả đạt được"), catalog)) == 2


@pytest.mark.parametrize(
    "text",
    [
        "Hội nghị học tập Nghị quyết Đại hội XIII, đảng viên tham gia học đạt tỷ lệ 92,22%.",
        "Công trình nâng cấp đường, giá trị quyết toán công trình: 1.088.377.000đ.",
        "Đề nghị Ban Thường vụ Thị ủy tặng Huy hiệu Đảng cho 04 đồng chí.",
        "Bầu bổ sung Uỷ viên Ban Chấp hành có 02 đồng chí, chuyển sinh hoạt đảng 01 đồng chí.",
    ],
)
def test_one_event_one_project_a_proposal_or_a_part_is_only_doubtful(text, catalog):
    candidates = _candidates(_document(text), catalog)
    assert candidates, text
    assert all(c.confidence < 0.5 for c in candidates), candidates


# ------------------------------------------------------------------ duplicates, conflicts, ids


def test_a_figure_stated_twice_is_one_candidate_and_two_values_are_both_less_sure(catalog):
    once = "Tỷ lệ hộ nghèo đến cuối năm 2022 là 3,07%."
    (alone,) = _candidates(_document(once), catalog)
    (merged,) = _candidates(_document(once, "Hạn chế: " + once), catalog)
    assert merged.paragraph == 2 and merged.confidence == alone.confidence
    other = "Tỷ lệ hộ nghèo đến cuối năm 2022 là 3,5%."
    both = _candidates(_document(once, other), catalog)
    assert sorted(c.value for c in both) == [3.07, 3.5]
    assert all(c.confidence < alone.confidence for c in both)


def test_a_footnote_figure_is_less_sure_than_the_same_in_the_body(catalog):
    text = "Tổng số người tham dự 589 người."
    (body,) = _candidates(_document(text), catalog)
    (footnote,) = _candidates(_document(text, place=FOOTNOTE), catalog)
    assert footnote.confidence < body.confidence
    assert "chú thích" in footnote.location


def test_a_page_break_inside_a_paragraph_keeps_its_lead_period(catalog):
    document = _document(
        "Năm 2022: UBND phường đã tổ chức đối thoại với Nhân dân tại nhà văn hóa",
        "thôn, tổng số người tham dự 589 người.",
    )
    (candidate,) = _candidates(document, catalog)
    assert (candidate.period_code, candidate.paragraph) == ("2022", 3)


def test_candidate_ids_are_stable_and_tell_candidates_apart(catalog):
    document = to_document(read_report_file())
    first = [candidate_id("ab" * 32, c) for c in _candidates(document, catalog)]
    again = [candidate_id("ab" * 32, c) for c in _candidates(document, catalog)]
    assert first == again
    assert len(set(first)) == len(first)
    assert all(re.fullmatch(r"[0-9a-f]{16}", value) for value in first)
    other_file = [candidate_id("cd" * 32, c) for c in _candidates(document, catalog)]
    assert set(first).isdisjoint(other_file)


# ------------------------------------------------------------------ the phrasing seed


def test_the_phrasing_seed_is_read_once_per_version(tmp_path):
    assert load_phrasings() is load_phrasings()
    path = tmp_path / "phrasings.csv"
    path.write_text(
        "role,indicator_code,phrase,unit_words,confidence,note\ncue,XD.TU_TRAN_DV,qua đời,,0.8,\n",
        encoding="utf-8",
    )
    first = load_phrasings(path)
    assert first is load_phrasings(path)
    assert [row.phrase for row in first.rows] == ["qua đời"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("guess,,kết nạp,,0.8,", "line 2"),
        ("cue,,kết nạp,,0.8,", "indicator code"),
        ("not_figure,,huy hiệu,,0,", "'...'"),
    ],
)
def test_a_malformed_phrasing_row_is_refused_with_its_line(row, message, tmp_path):
    path = tmp_path / "phrasings.csv"
    path.write_text("role,indicator_code,phrase,unit_words,confidence,note\n" + row + "\n")
    with pytest.raises(ValueError, match=re.escape(message)):
        read_phrasings(path)


def test_a_curator_phrase_is_used_without_code_changes(tmp_path, catalog):
    path = tmp_path / "phrasings.csv"
    seed = load_phrasings().rows
    path.write_text(
        "role,indicator_code,phrase,unit_words,confidence,note\ncue,XD.TU_TRAN_DV,qua đời,,0.8,\n",
        encoding="utf-8",
    )
    text = "Trong năm có 03 đồng chí qua đời; đảng viên qua đời 03 đồng chí."
    extra = extract_candidates(_document(text), catalog, "2022", load_phrasings(path))
    assert [(c.indicator_code, c.value) for c in extra] == [("XD.TU_TRAN_DV", 3)]
    assert all(row.phrase != "qua đời" for row in seed)


def test_the_seed_copy_is_the_shared_seed():
    from tests.generators.report_text import SEED_COPY, SHARED_SEED_REPORT

    if not SHARED_SEED_REPORT.is_file():
        pytest.skip(f"the seed is not beside the project: {SHARED_SEED_REPORT}; the copy is used")
    assert SEED_COPY.read_bytes() == SHARED_SEED_REPORT.read_bytes()
