"""Clerks' verdicts (issue #25): a sheet's assessment column (``Đánh giá``) is read into
``Observation.assessment_text`` for every value of its row, staged in
``raw.observations.assessment_text``, and normalised by the clerk_verdicts seed
(dbt: int_clerk_assessments, whose unit tests check the SQL matching).

The sheets are drawn from header spelling × verdict spelling × case × text encoding (NFC,
NFD, TCVN3, VNI) × layout (one value column, or year columns and the mid-term's).
"""

from __future__ import annotations

import csv
import itertools
import random
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from flows.domain.textnorm import encode_tcvn3, encode_vni, fold_words
from flows.reading.submission import LandedFile, Submission
from flows.reading.table import parse_sheet
from flows.reading.workbook import SheetGrid, read_workbook
from flows.settings import DBT_PROJECT_DIR
from flows.warehouse.schema import RAW_TABLES
from flows.warehouse.stage import connect, stage_submissions

# Every header spelling that the seed's `assessment` role (prefixes `Đánh giá` and
# `Khả năng đạt`) reads.
HEADERS = (
    "Đánh giá",
    "ĐÁNH GIÁ",
    "Đánh giá khả năng đạt",
    "Đánh giá kết quả",
    "Đánh giá (Đạt/Không đạt)",
    "Khả năng đạt",
)
# A verdict as a clerk writes it, and the status the seed must give it (None: unknown).
VERDICTS = {
    "Đạt": "achieved",
    "Vượt chỉ tiêu": "achieved",
    "Hoàn thành vượt mức": "achieved",
    "Đã đạt": "achieved",
    "Có khả năng đạt": "on_track",
    "Khả năng đạt": "on_track",
    "Đạt kế hoạch": "on_track",
    "Sẽ đạt": "on_track",
    "Khó đạt": "at_risk",
    "Chưa đạt": "at_risk",
    "Khó khăn": "at_risk",
    "Không đạt": "off_track",
    "Không có khả năng đạt": "off_track",
    "Không hoàn thành": "off_track",
    "Tốt": None,
}
CASES: dict[str, Callable[[str], str]] = {
    "as written": lambda text: text,
    "upper": str.upper,
    "lower": str.lower,
}
ENCODINGS: dict[str, Callable[[str], str]] = {
    "nfc": lambda text: text,
    "nfd": lambda text: unicodedata.normalize("NFD", text),
    "tcvn3": encode_tcvn3,
    "vni": encode_vni,
}
LAYOUTS = ("single", "years")
# The catalog rows of the sheets: (name, unit, target, values of the layout's columns).
ROWS = (
    ("Tỷ lệ hộ nghèo", "%", "dưới 3%", ("2,5", "2,2", "2,0", "2,0")),
    ("Số hộ nghèo", "hộ", "dưới 100 hộ", (80, 72, 66, 66)),
    ("Số đảng viên tham gia học tập nghị quyết", "người", None, (95, 96, 98, 98)),
)
CODES = ("VH.HO_NGHEO_TYLE", "VH.HO_NGHEO", "XD.DV_HOC_NQ")
NOTE = "Số liệu sơ bộ"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def sheet_rows(
    layout: str, header: str, verdicts: tuple[str | None, ...], encode: Callable[[str], str]
) -> list[list]:
    """A ward's sheet, every text in one encoding, with an assessment and a note column.

    ``single``: a year sheet 2022 with one ``Thực hiện`` column; ``years``: a mid-term
    sheet with the years 2021-2023 and the mid-term's column. Row i carries verdicts[i]
    (None: an empty cell), the first row also a note.
    """
    if layout == "single":
        period, value_headers, n_values = "Năm 2022", ["Thực hiện"], 1
    else:
        period = "Sơ kết giữa nhiệm kỳ 2020 - 2025"
        value_headers, n_values = ["Năm 2021", "Năm 2022", "Năm 2023", "Giữa nhiệm kỳ"], 4
    text = [
        [encode("Đơn vị: Phường Phổ Hòa")],
        [encode("Mã đơn vị:"), None, "21469"],
        [encode("Kỳ báo cáo:"), encode(period)],
        [encode("Nhiệm kỳ:"), "2020-2025"],
        [],
        [
            encode(cell)
            for cell in ("TT", "Chỉ tiêu", "ĐVT", "Chỉ tiêu NQ", *value_headers, header, "Ghi chú")
        ],
    ]
    for number, ((name, unit, target, values), verdict) in enumerate(
        zip(ROWS, verdicts, strict=True), start=1
    ):
        cells = values[-n_values:] if layout == "years" else values[1:2]
        text.append(
            [
                number,
                encode(name),
                encode(unit),
                encode(target) if target else None,
                *[encode(v) if isinstance(v, str) else v for v in cells],
                encode(verdict) if verdict else None,
                encode(NOTE) if number == 1 else None,
            ]
        )
    text.append([encode("Người lập biểu")])
    return text


def assert_verdicts_read(sheet, header: str, verdicts: tuple[str | None, ...], layout: str):
    """Every value of row i carries verdict i as the clerk wrote it (NFC), and the note is
    as before: the verdict prefixed with its header, then the note column's text."""
    assert sheet is not None and not sheet.cell_issues, sheet and sheet.cell_issues
    n_values = 1 if layout == "single" else 4
    by_code: dict[str, list] = {}
    for observation in sheet.observations:
        by_code.setdefault(observation.indicator_code, []).append(observation)
    assert sorted(by_code) == sorted(CODES)
    for code, verdict in zip(CODES, verdicts, strict=True):
        observations = by_code[code]
        assert len(observations) == n_values, (code, observations)
        expected = nfc(verdict) if verdict else None
        assert {o.assessment_text for o in observations} == {expected}, code
        notes = {o.note for o in observations}
        parts = ([f"{nfc(header)}: {expected}"] if expected else []) + (
            [NOTE] if code == CODES[0] else []
        )
        assert notes == {"; ".join(parts) or None}, code


def seed_status(text: str) -> str | None:
    """The seed's status for a verdict, by the rule its YAML documents: the longest folded
    phrase the folded verdict equals or starts with, followed by a space."""
    folded = fold_words(text)
    matches = [
        (len(phrase), status)
        for phrase, status in _seed().items()
        if folded == phrase or folded.startswith(phrase + " ")
    ]
    return max(matches)[1] if matches else None


def _seed() -> dict[str, str]:
    with (DBT_PROJECT_DIR / "seeds" / "clerk_verdicts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    folded = {fold_words(row["phrase"]): row["status"] for row in rows}
    assert len(folded) == len(rows), "two phrases fold alike"
    return folded


# ------------------------------------------------------------------ drawn sheets

COMBINATIONS = list(itertools.product(HEADERS, VERDICTS, CASES, ENCODINGS, LAYOUTS))


def _drawn(n: int) -> list[tuple[str, str, str, str, str]]:
    """n combinations drawn at random (fixed seed), with every value of each dimension."""
    drawn = random.Random(25).sample(COMBINATIONS, n)
    for index, dimension in enumerate((HEADERS, VERDICTS, CASES, ENCODINGS, LAYOUTS)):
        missing = set(dimension) - {combination[index] for combination in drawn}
        drawn += [next(c for c in COMBINATIONS if c[index] == value) for value in missing]
    return drawn


def _ascii_id(combination: tuple[str, ...]) -> str:
    return "-".join(fold_words(part).replace(" ", "_") for part in combination)


@pytest.mark.parametrize(
    ("header", "verdict", "case", "encoding", "layout"),
    _drawn(120),
    ids=[_ascii_id(combination) for combination in _drawn(120)],
)
def test_a_sheets_verdict_is_kept_for_every_value_of_its_row(
    catalog, header, verdict, case, encoding, layout
):
    encode, cased = ENCODINGS[encoding], CASES[case](verdict)
    # Row 2 carries another verdict, row 3 none: verdicts never leak between rows.
    other = list(VERDICTS)[(list(VERDICTS).index(verdict) + 1) % len(VERDICTS)]
    verdicts = (cased, other, None)
    grid = SheetGrid("Bieu", 0, True, sheet_rows(layout, header, verdicts, encode))
    sheet = parse_sheet(grid, catalog)
    assert_verdicts_read(sheet, header, verdicts, layout)
    # Case, diacritics and the legacy encoding change nothing of the status.
    read = next(o for o in sheet.observations if o.indicator_code == CODES[0])
    assert seed_status(read.assessment_text) == VERDICTS[verdict]


@pytest.mark.parametrize("container", [".xlsx", ".xls", ".ods"])
def test_verdicts_read_from_real_files(tmp_path, catalog, container):
    from tests.generators.casebook_plan import SheetPlan
    from tests.generators.casebook_writers import _write_ods, _write_xls, _write_xlsx

    verdicts = ("Không có khả năng đạt", "Đạt", "Khó đạt")
    rows = sheet_rows("years", "Đánh giá khả năng đạt", verdicts, encode_tcvn3)
    path = tmp_path / f"bieu{container}"
    writer = {".xlsx": _write_xlsx, ".xls": _write_xls}.get(container, _write_ods)
    writer(path, [SheetPlan("Bieu", rows, unit_code="", period_code=None)])
    sheet = parse_sheet(read_workbook(path)[0], catalog)
    assert sheet.period_code == "2020-2025-MID"
    assert_verdicts_read(sheet, "Đánh giá khả năng đạt", verdicts, "years")


def test_a_sheet_without_an_assessment_column_has_no_verdict(catalog):
    rows = sheet_rows("single", "Đánh giá", ("Đạt", "Vượt", None), lambda text: text)
    for row in rows[5:-1]:  # the header and the table rows, not the signature
        del row[-2]  # the assessment column; "Ghi chú" stays
    sheet = parse_sheet(SheetGrid("Bieu", 0, True, rows), catalog)
    assert len(sheet.observations) == 3
    assert {o.assessment_text for o in sheet.observations} == {None}
    assert {o.note for o in sheet.observations} == {NOTE, None}


def test_the_demos_2025_sheets_carry_their_verdicts(parsed_demo):
    """The demo's year-2025 sheets have a `Đánh giá` column (Đạt, Vượt, Chưa đạt) on the
    rows with a target: each of their values carries its row's verdict."""
    sheets = {path: sheet for path, sheet in parsed_demo.items() if sheet.period_code == "2025"}
    assert sheets
    for sheet in sheets.values():
        with_target = [o for o in sheet.observations if o.target_text]
        assert with_target
        assert {o.assessment_text for o in with_target} <= {"Đạt", "Vượt", "Chưa đạt"}
        assert {o.assessment_text for o in sheet.observations if not o.target_text} == {None}
    others = [o for p, s in parsed_demo.items() if p not in sheets for o in s.observations]
    assert {o.assessment_text for o in others} == {None}


# ------------------------------------------------------------------ the seed


def test_every_seed_phrase_takes_its_own_status():
    """No phrase is shadowed: each folded phrase, as a verdict, gets the status of its
    row. So `Không đạt` is off_track, never `Đạt`'s achieved."""
    for phrase, status in _seed().items():
        assert seed_status(phrase) == status, phrase
    assert seed_status("Không đạt") == "off_track"
    assert seed_status("Đạt") == "achieved"
    assert seed_status("Đạtt") is None


# ------------------------------------------------------------------ staging


def _submission(observations) -> Submission:
    landed = LandedFile(
        Path("/landing/nam-2022/pho-hoa.xlsx"),
        "nam-2022/pho-hoa.xlsx",
        "ab" * 32,
        1000,
        datetime(2022, 12, 20, tzinfo=UTC),
    )
    return Submission(
        submission_id="abababababababab:0",
        file=landed,
        source_sheet="Bieu",
        unit_key="pre2025:21469",
        period_code="2022",
        observations=observations,
    )


def test_staging_keeps_each_values_verdict(tmp_path, catalog):
    verdicts = ("Có khả năng đạt", None, "Khó đạt")
    rows = sheet_rows("single", "Đánh giá", verdicts, encode_vni)
    sheet = parse_sheet(SheetGrid("Bieu", 0, True, rows), catalog)
    con = connect(tmp_path / "warehouse.duckdb")
    try:
        stage_submissions(con, [_submission(sheet.observations)], "run", datetime.now(UTC))
        staged = dict(
            con.execute("select indicator_code, assessment_text from raw.observations").fetchall()
        )
    finally:
        con.close()
    assert staged == dict(zip(CODES, verdicts, strict=True))


def test_a_warehouse_built_before_the_column_gets_it(tmp_path):
    """An existing raw.observations without assessment_text gains it (null on its rows)."""
    database = tmp_path / "old.duckdb"
    old_columns = RAW_TABLES["observations"].split("source_row        INTEGER NOT NULL")[0]
    con = duckdb.connect(str(database))
    con.execute("create schema raw")
    con.execute(f"create table raw.observations ({old_columns} source_row INTEGER NOT NULL)")
    con.execute(
        "insert into raw.observations (submission_id, unit_key, indicator_code, period_code,"
        " qualifier, is_estimate, quality_status, source_file, file_sha256, source_sheet,"
        " source_cell, source_row) values ('s', 'u', 'X', '2022', '=', false, 'ok', 'f', 'h',"
        " 'Bieu', 'E7', 7)"
    )
    con.close()
    con = connect(database)
    try:
        assert con.execute("select assessment_text from raw.observations").fetchall() == [(None,)]
    finally:
        con.close()


# ------------------------------------------------------------------ the demo night


@pytest.mark.slow
def test_the_demo_nights_verdicts_are_normalised(warehouse, parsed_demo):
    """int_clerk_assessments on the demo night: one row per ward × indicator with a verdict
    on its 2025 sheet (term 2020-2025, as_of_year 2025), the text as the sheet gives it
    and its status (Đạt, Vượt → achieved; Chưa đạt → at_risk)."""
    expected = {
        (f"pre2025:{sheet.unit_code}", o.indicator_code): o.assessment_text
        for sheet in parsed_demo.values()
        if sheet.period_code == "2025"
        for o in sheet.observations
        if o.assessment_text
    }
    rows = warehouse.execute(
        "select unit_key, indicator_code, term_code, as_of_year, clerk_assessment_text,"
        " clerk_status from intermediate.int_clerk_assessments"
    ).fetchall()
    assert {(unit, code): text for unit, code, _, _, text, _ in rows} == expected
    assert {(term, year) for _, _, term, year, _, _ in rows} == {("2020-2025", 2025)}
    statuses = {"Đạt": "achieved", "Vượt": "achieved", "Chưa đạt": "at_risk"}
    assert all(status == statuses[text] for *_, text, status in rows)
