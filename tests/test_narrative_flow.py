"""Narrative reports through the real nightly flow: read, reviewed, loaded (issue #24).

Night one lands the seed report (Phổ Hòa's mid-term review) as .docx (python-docx), .doc
and .pdf (both by LibreOffice from that .docx), Bình Châu's end-of-term report with its
Phụ lục table, and Tịnh Thọ's annual report beside a spreadsheet of the same ward and year.
Then ``chitieu review`` writes one workbook per current report; a reviewer (openpyxl here) marks
with ``x`` every candidate that is a true figure (the truth files under
``tests/truth/narrative/``) and leaves the others, and the workbooks land for night two.

Phổ Hòa sends no spreadsheet at all: a narrative-only ward, whose values reach the term
comparison only through the review.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from flows.domain.textnorm import fold
from flows.nightly import nightly_pipeline
from flows.operations.cli import main as cli_main
from flows.reading.reviewed import REVIEW_SHEET
from flows.reading.rows import Candidate
from tests.generators.report_text import SEED_REPORT, read_report_file
from tests.generators.reports import (
    blocks_key,
    cached_fixture,
    libreoffice_convert,
    soffice,
    write_docx_python_docx,
)
from tests.generators.small_sheets import HEADER, save_sheet
from tests.narrative_truth import TRUTH_DIR, read_truth, score

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(soffice() is None, reason="LibreOffice writes the .doc and .pdf reports"),
]

PHO_HOA, BINH_CHAU, TINH_THO = "pre2025:21469", "pre2025:21112", "pre2025:21175"
SEED_TRUTH = TRUTH_DIR / "pho_hoa_2023_mid.csv"
SEED_FILES = ("bao-cao/pho-hoa-2023.docx", "bao-cao/pho-hoa-2023.doc", "bao-cao/pho-hoa-2023.pdf")
END_OF_TERM = "bao-cao/binh-chau-tong-ket-2015-2020.docx"
ANNUAL = "bao-cao/tinh-tho-2022.docx"
ANNUAL_SHEET = "nam-2022/tinh-tho.xlsx"
# The spreadsheet's health-insurance rate for 2022, unlike the one the annual report states.
SHEET_BHYT = 90.5


def _report_bytes(text_file: Path, suffix: str) -> bytes:
    """A text report written as .docx by python-docx, then converted by LibreOffice."""
    blocks = read_report_file(text_file)

    def docx(folder: Path) -> Path:
        return write_docx_python_docx(blocks, folder / "report.docx")

    if suffix == ".docx":
        return cached_fixture(blocks_key(blocks) + "docx", ".docx", docx)

    def converted(folder: Path) -> Path:
        return libreoffice_convert(docx(folder), suffix.lstrip("."), folder / "out")

    return cached_fixture(blocks_key(blocks) + suffix, suffix, converted)


def _land(raw: Path, relative: str, data: bytes) -> None:
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _annual_sheet(path: Path) -> None:
    save_sheet(
        path,
        [
            ["Đơn vị: Xã Tịnh Thọ"],
            ["Mã đơn vị:", None, "21175"],
            ["Kỳ báo cáo: Năm 2022"],
            [],
            HEADER,
            [1, "VH.BHYT_TYLE", "Tỷ lệ người dân tham gia bảo hiểm y tế", "%", None, SHEET_BHYT],
        ],
    )


def _candidates(con, source_file: str) -> list[tuple]:
    return con.execute(
        "select candidate_id, indicator_code, value, qualifier, denominator, period_code,"
        " reported_achievement_pct, sentence, location, paragraph_number, figure_text,"
        " confidence, report_period_code, review_status"
        " from marts.rpt_narrative_candidates where source_file = ? order by candidate_id",
        [source_file],
    ).fetchall()


def _as_candidate(row: tuple) -> Candidate:
    return Candidate(
        indicator_code=row[1],
        value=row[2],
        qualifier=fold(row[3] or ""),
        denominator=row[4],
        period_code=None if row[5] == row[12] else row[5],
        reported_achievement_pct=row[6],
        sentence=row[7],
        location=row[8],
        paragraph=row[9],
        figure_text=row[10],
        confidence=row[11],
    )


def _true_ids(con, source_file: str, truth_path: Path) -> set[str]:
    """The candidates of a report that its truth file calls true figures."""
    rows = _candidates(con, source_file)
    candidates = [_as_candidate(row) for row in rows]
    result = score(candidates, read_truth(truth_path), rows[0][12])
    matched = {id(candidate) for candidate, _ in result.true_positives}
    return {row[0] for row, c in zip(rows, candidates, strict=True) if id(c) in matched}


def _mark(workbook_path: Path, accepted: set[str]) -> int:
    """Put ``x`` on the rows of ``accepted`` candidates; the count marked."""
    workbook = openpyxl.load_workbook(workbook_path)
    sheet = workbook[REVIEW_SHEET]
    header_row, columns = next(
        (row[0].row, {cell.value: cell.column for cell in row if isinstance(cell.value, str)})
        for row in sheet.iter_rows(min_row=1, max_row=30)
        if any(cell.value == "Mã dòng" for cell in row)
    )
    marked = 0
    for row in range(header_row + 1, sheet.max_row + 1):
        if sheet.cell(row, columns["Mã dòng"]).value in accepted:
            sheet.cell(row, columns["Chấp nhận (x)"]).value = "x"
            marked += 1
    workbook.save(workbook_path)
    return marked


@pytest.fixture(scope="module")
def nights(prefect_server, tmp_path_factory):
    """(night-one connection, night-two connection, what was reviewed)."""
    root = tmp_path_factory.mktemp("narrative")
    raw = root / "raw"
    for relative in SEED_FILES:
        _land(raw, relative, _report_bytes(SEED_REPORT, Path(relative).suffix))
    _land(raw, END_OF_TERM, _report_bytes(TRUTH_DIR / "end_of_term_binh_chau_2020.txt", ".docx"))
    _land(raw, ANNUAL, _report_bytes(TRUTH_DIR / "annual_tinh_tho_2022.txt", ".docx"))
    (raw / ANNUAL_SHEET).parent.mkdir(parents=True)
    _annual_sheet(raw / ANNUAL_SHEET)
    warehouse = root / "warehouse" / "warehouse.duckdb"

    nightly_pipeline(raw_dir=str(raw), warehouse=str(warehouse))
    night_one = root / "night-one.duckdb"
    shutil.copy(warehouse, night_one)

    con = duckdb.connect(str(warehouse), read_only=True)
    # The seed's three files are versions of one report: the current one is reviewed.
    ((seed_file,),) = con.execute(
        "select distinct source_file from marts.rpt_narrative_candidates"
        " where unit_key = ? and is_current_document",
        [PHO_HOA],
    ).fetchall()
    truths = {
        seed_file: SEED_TRUTH,
        END_OF_TERM: TRUTH_DIR / "end_of_term_binh_chau_2020.csv",
        ANNUAL: TRUTH_DIR / "annual_tinh_tho_2022.csv",
    }
    accepted = {source: _true_ids(con, source, path) for source, path in truths.items()}
    con.close()
    review_dir = root / "review"
    # As an operator runs it: `chitieu review --out DIR --warehouse FILE`.
    assert cli_main(["review", "--out", str(review_dir), "--warehouse", str(warehouse)]) == 0
    written = sorted(review_dir.glob("*.xlsx"))
    reviewed = {}
    (raw / "ra-soat").mkdir()
    for path in written:
        reviewed[path.name] = _mark(path, set().union(*accepted.values()))
        shutil.copy(path, raw / "ra-soat" / path.name)
    nightly_pipeline(raw_dir=str(raw), warehouse=str(warehouse))

    one = duckdb.connect(str(night_one), read_only=True)
    two = duckdb.connect(str(warehouse), read_only=True)
    yield one, two, {"accepted": accepted, "seed_file": seed_file, "marked": reviewed}
    one.close()
    two.close()


def _status(con, source_file: str) -> list[tuple]:
    return con.execute(
        "select source_sheet, status, unit_key, period_code, reason"
        " from marts.rpt_submission_status where source_file = ? order by source_sheet",
        [source_file],
    ).fetchall()


@pytest.mark.parametrize("source_file", SEED_FILES)
def test_the_seed_in_every_container_gives_its_unit_period_and_candidates(nights, source_file):
    one, _, _ = nights
    (row,) = _status(one, source_file)
    # The three are versions of one report: the last received is current.
    assert row[:4] == ("Văn bản", row[1], PHO_HOA, "2020-2025-MID"), row
    assert row[1] in ("loaded", "superseded")
    rows = _candidates(one, source_file)
    assert {r[13] for r in rows} == {"pending"}
    result = score([_as_candidate(r) for r in rows], read_truth(SEED_TRUTH), "2020-2025-MID")
    assert result.recall >= 0.9, result
    assert result.precision >= 0.9, result


def test_a_phu_luc_table_loads_as_a_sheet_and_its_prose_awaits_review(nights):
    one, _, _ = nights
    statuses = {row[0]: row for row in _status(one, END_OF_TERM)}
    assert statuses["Bảng 1"][1:4] == ("loaded", BINH_CHAU, "2015-2020")
    assert statuses["Văn bản"][1:4] == ("loaded", BINH_CHAU, "2015-2020")
    expected = {
        (code, period): float(value)
        for code, period, value in (
            line.split(",")
            for line in (TRUTH_DIR / "end_of_term_binh_chau_2020.table.csv")
            .read_text(encoding="utf-8")
            .splitlines()[1:]
            if line.strip()
        )
    }
    loaded = one.execute(
        "select indicator_code, period_code, value, source_kind, source_sheet"
        " from marts.fct_indicator_value where source_file = ?",
        [END_OF_TERM],
    ).fetchall()
    assert {(c, p): pytest.approx(v) for c, p, v, _, _ in loaded} == expected
    assert {(kind, sheet) for *_, kind, sheet in loaded} == {("word_table", "Bảng 1")}


def test_nothing_from_prose_is_loaded_before_review(nights):
    one, _, _ = nights
    kinds = one.execute(
        "select distinct source_kind from marts.fct_indicator_value"
        " where source_file like 'bao-cao/%'"
    ).fetchall()
    assert kinds == [("word_table",)]
    assert one.execute(
        "select count(*) from marts.fct_indicator_value where unit_key = ?", [PHO_HOA]
    ).fetchone() == (0,)


def test_review_loads_every_accepted_figure_with_its_sentence(nights):
    _, two, reviewed = nights
    seed_file = reviewed["seed_file"]
    accepted = reviewed["accepted"][seed_file]
    # One workbook per current report: the seed's, Bình Châu's and Tịnh Thọ's.
    assert len(reviewed["marked"]) == 3
    true_figures = [row for row in read_truth(SEED_TRUTH) if row.expect == "yes"]
    assert len(accepted) >= 0.9 * len(true_figures)
    decided = two.execute(
        "select candidate_id, review_status from marts.rpt_narrative_candidates"
        " where source_file = ?",
        [seed_file],
    ).fetchall()
    assert {cid for cid, status in decided if status == "accepted"} == accepted
    assert {status for cid, status in decided if cid not in accepted} == {"rejected"}
    values = two.execute(
        "select c.indicator_code, c.period_code, c.value, v.value, v.source_kind,"
        " v.source_file, v.original_text, c.sentence"
        " from marts.rpt_narrative_candidates as c"
        " join marts.fct_indicator_value as v"
        "   on v.unit_key = c.unit_key and v.indicator_code = c.indicator_code"
        "   and v.period_code = c.period_code"
        " where c.source_file = ? and c.review_status = 'accepted'",
        [seed_file],
    ).fetchall()
    assert len(values) == len(accepted)
    for code, period, figure, loaded, kind, source_file, original, sentence in values:
        assert (kind, source_file, original) == ("narrative", seed_file, sentence), code
        assert loaded == pytest.approx(figure), (code, period)


def test_the_narrative_only_ward_reaches_the_term_comparison(nights):
    one, two, _ = nights
    query = (
        "select count(*) from marts.fct_term_comparison"
        " where unit_key = ? and term_code = '2020-2025'"
    )
    assert one.execute(query, [PHO_HOA]).fetchone() == (0,)
    assert two.execute(query, [PHO_HOA]).fetchone()[0] > 0
    (row,) = two.execute(
        "select value from marts.fct_indicator_value"
        " where unit_key = ? and indicator_code = 'XD.KET_NAP_DV'"
        " and period_code = '2020-2025-MID'",
        [PHO_HOA],
    ).fetchall()
    assert row == (12,)


def test_a_sheet_value_wins_over_the_same_figure_in_prose(nights):
    _, two, _ = nights
    (row,) = two.execute(
        "select value, source_kind, source_file from marts.fct_indicator_value"
        " where unit_key = ? and indicator_code = 'VH.BHYT_TYLE' and period_code = '2022'",
        [TINH_THO],
    ).fetchall()
    assert row == (SHEET_BHYT, "spreadsheet", ANNUAL_SHEET)
    stated = two.execute(
        "select value, review_status from marts.rpt_narrative_candidates"
        " where unit_key = ? and indicator_code = 'VH.BHYT_TYLE' and period_code = '2022'",
        [TINH_THO],
    ).fetchall()
    assert (91.2, "accepted") in stated  # accepted, but the sheet's value is the one kept
