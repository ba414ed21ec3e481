"""Every case of the generated casebook parses to what the spec says (one test per case)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from flows.domain.values import original_text_of
from flows.reading.rows import ParsedSheet
from flows.reading.table import parse_sheet, parse_workbook
from flows.reading.workbook import read_workbook
from tests.generators.casebook import (
    SKIPPED_SHEETS,
    Case,
    casebook_cases,
    casebook_catalog,
    write_casebook,
)

# The cases are known before any file is written: one test per case id.
CASES = casebook_cases()


@pytest.fixture(scope="module")
def casebook(tmp_path_factory) -> tuple[Path, list[Case]]:
    out_dir = tmp_path_factory.mktemp("casebook")
    return out_dir, write_casebook(out_dir)


@pytest.fixture(scope="module")
def catalog():
    return casebook_catalog()


@pytest.fixture(scope="module")
def parsed(casebook, catalog) -> dict[tuple[str, str], ParsedSheet]:
    """Every sheet of every casebook file, through read_workbook + parse_sheet."""
    out_dir, cases = casebook
    sheets = {}
    for file in sorted({case.file for case in cases}):
        for grid in read_workbook(out_dir / file):
            if not grid.visible:
                continue
            sheet = parse_sheet(grid, catalog)
            if sheet is not None:
                sheets[(file, grid.name)] = sheet
    return sheets


@pytest.fixture(scope="module")
def resolver():
    from flows.domain.reference import load_reference
    from flows.domain.units import UnitResolver

    return UnitResolver(load_reference())


def _observations_at(sheet: ParsedSheet, cell: str):
    return [o for o in sheet.observations if o.source_cell == cell]


def _issues_at(sheet: ParsedSheet, cell: str):
    return [i for i in sheet.cell_issues if i.source_cell == cell]


@pytest.mark.parametrize("case", CASES, ids=[case.case_id for case in CASES])
def test_case(case: Case, parsed, resolver):
    sheet = parsed[(case.file, case.sheet)]
    found = _observations_at(sheet, case.cell)
    if case.has_value:
        assert len(found) == 1, (found, sheet.cell_issues)
        observation = found[0]
        assert observation.indicator_code == case.indicator_code
        assert observation.value == pytest.approx(case.value)
        assert observation.qualifier == case.qualifier
        assert observation.denominator == case.denominator
        assert observation.is_estimate == case.is_estimate
        assert observation.period_code == case.period_code
        assert observation.unit == case.unit
        assert observation.source_row == int("".join(filter(str.isdigit, case.cell)))
        if case.original_text is not None:
            assert observation.original_text == case.original_text
        if case.target is not None:
            low, high, direction, per_year = case.target
            assert observation.target_low == pytest.approx(low)
            assert observation.target_high == pytest.approx(high)
            assert (observation.target_direction, observation.target_per_year) == (
                direction,
                per_year,
            )
    else:
        assert found == []
    issues = _issues_at(sheet, case.cell)
    if case.issue_rule is None:
        assert issues == []
    else:
        assert [(i.rule, i.severity, i.indicator_code) for i in issues] == [
            (case.issue_rule, case.issue_severity, case.indicator_code)
        ]
        assert issues[0].message_vi and issues[0].message_en
        assert case.cell in issues[0].message_vi and case.cell in issues[0].message_en
    unit_key = resolver.resolve(
        sheet.unit_code,
        sheet.unit_name,
        sheet.district_name,
        sheet.province_name,
        sheet.period_code,
    )
    assert unit_key == f"pre2025:{case.unit_code}"


def test_cases_cover_every_spec_section():
    covered = {case.covers.split(" ", 1)[0] for case in CASES}
    assert covered == {"§1", "§2", "§3", "§4"}
    assert len({case.case_id for case in CASES}) == len(CASES)


def test_casebook_is_small(casebook):
    out_dir, cases = casebook
    assert cases == CASES
    files = {case.file for case in cases}
    assert sum((out_dir / file).stat().st_size for file in files) < 1_000_000
    assert len(files) <= 15
    extensions = {Path(file).suffix for file in files}
    assert extensions == {".xlsx", ".xlsm", ".xls", ".ods", ".csv"}


def test_xlsx_addresses_hold_the_written_cell(casebook):
    """The case's address is where the generator put the text (read back with openpyxl)."""
    out_dir, cases = casebook
    by_file: dict[str, list[Case]] = {}
    for case in cases:
        # A formula reads back as its formula; test_formula_case... checks that cell.
        if case.file.endswith((".xlsx", ".xlsm")) and case.case_id != "formula-cached":
            by_file.setdefault(case.file, []).append(case)
    for file, file_cases in by_file.items():
        workbook = openpyxl.load_workbook(out_dir / file)
        for case in file_cases:
            written = workbook[case.sheet][case.cell].value
            assert original_text_of(written) == (case.original_text or ""), case.case_id


def test_formula_case_is_a_real_formula_with_a_cached_value(casebook):
    out_dir, cases = casebook
    case = next(c for c in cases if c.case_id == "formula-cached")
    with zipfile.ZipFile(out_dir / case.file) as package:
        sheet_xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert f'<c r="{case.cell}"' in sheet_xml
    cell_xml = sheet_xml.split(f'<c r="{case.cell}"', 1)[1].split("</c>", 1)[0]
    assert "<f>9000+876</f>" in cell_xml and "<v>9876</v>" in cell_xml


def test_skipped_sheets_are_reported(casebook, catalog):
    out_dir, _ = casebook
    for (file, sheet_name), reason in SKIPPED_SHEETS.items():
        workbook = parse_workbook(out_dir / file, catalog)
        assert (sheet_name, reason) in {(s.sheet_name, s.reason) for s in workbook.skipped}


def test_multi_sheet_workbook_gives_one_submission_per_ward(parsed):
    wards = {
        sheet.unit_code or sheet.unit_name
        for (file, _), sheet in parsed.items()
        if file == "bo-cuc-nhieu-trang.xlsx"
    }
    assert len(wards) >= 8


def test_legacy_text_keeps_the_original_and_matches_the_repaired(parsed):
    for sheet_name in ("TCVN3", "VNI"):
        sheet = parsed[("van-ban.xlsx", sheet_name)]
        assert sheet.unit_name in ("Xã Phổ Thuận", "Xã Phổ Nhơn")
        raw_values = list(sheet.metadata.values())
        assert not any("Phổ" in text for text in raw_values), raw_values  # kept as typed
        assert {o.indicator_code for o in sheet.observations} >= {
            "VH.HO_NGHEO_TYLE",
            "XD.DV_HOC_NQ",
        }
