"""``chitieu template``: the official xlsx for clerks, through the real CLI.

The templates are opened with openpyxl (what a clerk's Excel sees: metadata, codes,
validation, protection), read back with the parser, and one filled template goes
through the real nightly pipeline and must come out of the warehouse unchanged.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from flows.domain.catalog import load_catalog, read_catalog
from flows.domain.periods import parse_period
from flows.domain.reference import load_reference
from flows.domain.units import UnitResolver
from flows.operations.cli import main
from flows.operations.exit_codes import EXIT_OK, EXIT_USAGE
from flows.outputs.template import (
    INSTRUCTIONS_SHEET,
    REPORT_SHEET,
    build_template,
    template_period,
    ward_for,
)
from flows.reading.files import read_submissions
from flows.reading.submission import LandedFile
from flows.settings import INDICATOR_CATALOG_CSV
from flows.warehouse.receive import landing_sha256
from tools.demo_sheets import vn_decimal, vn_money_words, vn_thousands
from tools.demo_wards import Ward, _ward_truth

WARD = "pre2025:21469"  # Phường Phổ Hòa, Thị xã Đức Phổ, Tỉnh Quảng Ngãi
DISTRICT = "pre2025:534"
VALUE_COL, TARGET_COL, NOTE_COL = "F", "E", "G"


def _template(tmp_path: Path, capsys, *args: str) -> list[Path]:
    """Run ``chitieu template … --out tmp_path`` and return the paths it printed."""
    assert main(["template", *args, "--out", str(tmp_path)]) == EXIT_OK
    printed = capsys.readouterr().out.split()
    return [Path(line) for line in printed]


def _metadata(sheet) -> dict[str, object]:
    """``label → value`` of the metadata block (label cells end with ':')."""
    found = {}
    for row in sheet.iter_rows(max_row=10):
        cells = [cell for cell in row if cell.value is not None]
        if not cells:
            continue
        for label, value in zip(cells, [*cells[1:], None], strict=True):
            if isinstance(label.value, str) and label.value.endswith(":"):
                found[label.value] = value.value if value is not None else None
    return found


def _indicator_rows(sheet) -> dict[str, int]:
    """Catalog code → its row on the report sheet."""
    return {
        row[1].value: row[1].row
        for row in sheet.iter_rows(min_row=12)
        if isinstance(row[1].value, str) and "." in row[1].value
    }


def _validation_of(sheet, address: str):
    rules = [rule for rule in sheet.data_validations.dataValidation if address in rule.sqref]
    assert len(rules) == 1, f"{address}: {len(rules)} validation rules"
    return rules[0]


def _landed(path: Path) -> LandedFile:
    return LandedFile(
        path, path.name, landing_sha256(path), path.stat().st_size, datetime(2025, 1, 10)
    )


@cache
def _resolver() -> UnitResolver:
    return UnitResolver(load_reference())  # slow to build: once for the module


def _read_back(path: Path):
    reading = read_submissions(_landed(path), load_catalog(), _resolver())
    assert reading.sheets_without_table == [INSTRUCTIONS_SHEET]
    assert len(reading.submissions) == 1
    return reading.submissions[0]


# ------------------------------------------------------------------ one ward


def test_ward_template_is_prefilled_validated_and_protected(tmp_path, capsys):
    (path,) = _template(tmp_path, capsys, "--unit", WARD, "--period", "2024")
    assert path.name == "2024_pre2025-21469_phuong-pho-hoa.xlsx"
    workbook = load_workbook(path)
    assert workbook.sheetnames == [REPORT_SHEET, INSTRUCTIONS_SHEET]
    sheet = workbook[REPORT_SHEET]

    assert _metadata(sheet) == {
        "Đơn vị:": "Phường Phổ Hòa",
        "Mã đơn vị:": "21469",
        "Thị xã:": "Đức Phổ",
        "Tỉnh:": "Quảng Ngãi",
        "Kỳ báo cáo:": "Năm 2024",
        "Nhiệm kỳ:": "2020-2025",
        "Ngày báo cáo:": None,  # left for the clerk
        "Người lập biểu:": None,
    }
    header = [cell.value for cell in sheet[11]]
    assert header == [
        "STT",
        "Mã chỉ tiêu",
        "Chỉ tiêu",
        "ĐVT",
        "Chỉ tiêu NQ",
        "Thực hiện",
        "Ghi chú",
    ]

    catalog = load_catalog()
    rows = _indicator_rows(sheet)
    assert set(rows) == {indicator.indicator_code for indicator in catalog}
    for indicator in catalog:
        row = rows[indicator.indicator_code]
        assert sheet[f"C{row}"].value == indicator.name_vi
        assert sheet[f"D{row}"].value == indicator.unit
        rule = _validation_of(sheet, f"{VALUE_COL}{row}")
        assert rule.errorStyle == "warning" and rule.prompt
        if indicator.value_type == "percent":
            assert (rule.type, rule.formula1) == ("decimal", "0")
            assert rule.formula2 == f"{indicator.max_value:g}"  # 100, or the catalog's 200
        elif indicator.value_type == "count":
            assert (rule.type, rule.operator, rule.formula1) == ("whole", "greaterThanOrEqual", "0")
        else:
            assert (rule.type, rule.formula1) == ("decimal", "0")
        assert _validation_of(sheet, f"{TARGET_COL}{row}").prompt
        for col in (TARGET_COL, VALUE_COL, NOTE_COL):
            assert sheet[f"{col}{row}"].protection.locked is False
        for col in "ABCD":
            assert sheet[f"{col}{row}"].protection.locked is True
    assert rows and sheet["E{}".format(rows["QP.GIAO_QUAN_TYLE"])].number_format == "@"

    assert sheet.protection.sheet is True
    assert sheet.protection.password is None  # documented: no password, a guard against slips
    assert all(cell.protection.locked for cell in sheet[11])  # the header
    assert sheet["C5"].protection.locked is True  # pre-filled metadata
    assert sheet["C8"].protection.locked is False  # the report date
    assert _validation_of(sheet, "C8").type == "date"
    assert sheet.freeze_panes == "D12"

    instructions = "\n".join(
        str(cell.value) for row in workbook[INSTRUCTIONS_SHEET].iter_rows() for cell in row
    )
    for taught in ("91,5", "1.234", "130/130", "Không sửa Mã chỉ tiêu", "Gửi về", "15 tháng 1"):
        assert taught in instructions


def test_empty_template_reads_back_as_its_unit_and_period(tmp_path, capsys):
    (path,) = _template(tmp_path, capsys, "--unit", WARD, "--period", "2024-Q1")
    submission = _read_back(path)
    assert (submission.unit_key, submission.period_code) == (WARD, "2024-Q1")
    assert submission.issues == [] and submission.unmapped_rows == []
    assert submission.observations == []


def test_2025_ward_template_names_its_province_and_no_district(tmp_path, capsys):
    (path,) = _template(tmp_path, capsys, "--unit", "2025:21439", "--period", "2025-Q3")
    assert path.name == "2025-Q3_2025-21439_phuong-duc-pho.xlsx"
    metadata = _metadata(load_workbook(path)[REPORT_SHEET])
    assert metadata["Tỉnh:"] == "Quảng Ngãi" and "Thị xã:" not in metadata
    submission = _read_back(path)
    assert (submission.unit_key, submission.period_code) == ("2025:21439", "2025-Q3")


@pytest.mark.parametrize(
    "code",
    ["2024", "2025", "2024-Q1", "2024-Q4", "2024-H1", "2024-H2", "2020-2025-MID", "2015-2020"],
)
def test_period_is_written_the_way_the_parser_reads_it(code):
    period = template_period(code)
    assert parse_period(period.text, term_hint=period.term_code) == code


def test_boolean_indicator_gets_a_dropdown(tmp_path):
    """No indicator of today's catalog is yes/no; one added to a copy gets Đạt/Không đạt."""
    catalog_csv = tmp_path / "catalog.csv"
    shutil.copy(INDICATOR_CATALOG_CSV, catalog_csv)
    with catalog_csv.open("a", encoding="utf-8") as handle:
        handle.write(
            "VH.PHUONG_VAN_MINH,Phường đạt chuẩn văn minh đô thị,Ward meets urban civility "
            "standard,,,boolean,sum,last,,,true,van_hoa_xa_hoi,0,1\n"
        )
    catalog = read_catalog(catalog_csv)
    reference = load_reference()
    workbook = build_template(ward_for(reference, WARD), template_period("2024"), catalog)
    sheet = workbook[REPORT_SHEET]
    row = _indicator_rows(sheet)["VH.PHUONG_VAN_MINH"]
    rule = _validation_of(sheet, f"{VALUE_COL}{row}")
    assert (rule.type, rule.formula1) == ("list", '"Đạt,Không đạt"')


# ------------------------------------------------------------------ a district


def test_district_writes_one_template_per_ward(tmp_path, capsys):
    paths = _template(tmp_path, capsys, "--district", DISTRICT, "--period", "2024")
    units = load_reference().admin_units
    ward_keys = set(units.loc[units["district_key"] == DISTRICT, "unit_key"])
    assert len(ward_keys) == 15
    assert len(paths) == len(ward_keys) == len(set(paths))
    assert sorted(tmp_path.iterdir()) == sorted(paths)
    assert all(path.name.isascii() and path.name.startswith("2024_pre2025-") for path in paths)
    assert {_read_back(path).unit_key for path in paths} == ward_keys


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--unit", "pre2025:99999", "--period", "2024"], ("Không có đơn vị", "No unit")),
        (["--unit", DISTRICT, "--period", "2024"], ("không phải phường/xã", "not a ward")),
        (["--district", WARD, "--period", "2024"], ("không phải quận/huyện", "not a district")),
        (["--unit", WARD, "--period", "2024-Q5"], ("không hợp lệ", "not valid")),
        (["--unit", WARD, "--period", "Năm 2024"], ("không hợp lệ", "not valid")),
        (["--unit", WARD, "--period", "2031"], ("không thuộc nhiệm kỳ", "in no term")),
        (["--unit", WARD, "--period", "2025-Q3"], ("2025:21439", "after the reorganisation")),
        (["--unit", "2025:21439", "--period", "2024"], ("pre2025:21469", "before")),
    ],
)
def test_bad_request_exits_2_with_a_vietnamese_then_english_reason(tmp_path, capsys, args, said):
    assert main(["template", *args, "--out", str(tmp_path / "out")]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    vietnamese, english = captured.err.strip().splitlines()
    assert said[0] in vietnamese and said[1] in english
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ filled and loaded


def _clerk_values() -> dict[str, tuple[object, float]]:
    """code → (what the clerk types, the value the warehouse must hold), for Phổ Hòa 2024.

    The demo's generator gives internally consistent numbers (rates agree with their
    numerators and denominators, investment = its two sources), so no validation rule
    warns; a few cells are typed as text, the forms the instructions allow.
    """
    truth = _ward_truth(Ward("21469", "Phường", "Phổ Hòa"), 2025)[2024]
    typed: dict[str, tuple[object, float]] = {code: (value, value) for code, value in truth.items()}
    attended, summoned = int(truth["XD.DV_HOC_NQ"]), int(truth["XD.DV_TRIEU_TAP"])
    typed["XD.DV_HOC_NQ"] = (f"{attended}/{summoned}", attended)
    typed["VH.BHYT_TYLE"] = (vn_decimal(truth["VH.BHYT_TYLE"]), truth["VH.BHYT_TYLE"])
    typed["VH.DAN_SO"] = (vn_thousands(truth["VH.DAN_SO"]), truth["VH.DAN_SO"])
    town_funds = truth["KT.VON_NS_CAP_TREN"]
    typed["KT.VON_NS_CAP_TREN"] = (vn_money_words(town_funds), town_funds)
    return typed


TARGETS = {"VH.BHYT_TYLE": "≥ 95%", "XD.KET_NAP_DV": "8-10 đảng viên/năm"}


def _fill(template: Path, filled: Path) -> dict[str, float]:
    """The clerk's copy: report date, preparer, targets and every value; returns the truth."""
    workbook = load_workbook(template)
    sheet = workbook[REPORT_SHEET]
    sheet["C8"] = datetime(2025, 1, 10)
    sheet["C9"] = "Văn phòng Đảng ủy"
    rows = _indicator_rows(sheet)
    expected = {}
    for code, (typed, value) in _clerk_values().items():
        sheet[f"{VALUE_COL}{rows[code]}"] = typed
        expected[code] = float(value)
    for code, target in TARGETS.items():
        sheet[f"{TARGET_COL}{rows[code]}"] = target
    filled.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(filled)
    return expected


def test_filled_template_parses_without_any_issue(tmp_path, capsys):
    (template,) = _template(tmp_path / "templates", capsys, "--unit", WARD, "--period", "2024")
    expected = _fill(template, tmp_path / "filled.xlsx")
    submission = _read_back(tmp_path / "filled.xlsx")
    assert submission.rejection is None and submission.issues == []
    assert submission.unmapped_rows == []
    assert (submission.unit_key, submission.period_code) == (WARD, "2024")
    assert submission.report_date.isoformat() == "2025-01-10"
    read = {o.indicator_code: o.value for o in submission.observations}
    assert read == pytest.approx(expected)
    assert {o.indicator_code for o in submission.observations} == {
        i.indicator_code for i in load_catalog()
    }
    targets = {o.indicator_code: o.target_text for o in submission.observations if o.target_text}
    assert targets == TARGETS


@pytest.mark.slow
def test_filled_template_round_trips_through_the_pipeline(tmp_path, capsys, prefect_server):
    (template,) = _template(tmp_path / "templates", capsys, "--unit", WARD, "--period", "2024")
    raw_dir = tmp_path / "raw"
    expected = _fill(template, raw_dir / "pho-hoa" / template.name)
    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"

    status = main(["run", "--raw-dir", str(raw_dir), "--warehouse", str(warehouse), "--json"])
    captured = capsys.readouterr()
    assert status == EXIT_OK, captured.err[-2000:]
    summary = json.loads(captured.out)
    assert (summary["submissions_loaded"], summary["submissions_rejected"]) == (1, 0)
    assert (summary["values_rejected"], summary["values_warned"]) == (0, 0)
    assert summary["unmapped_rows"] == 0 and summary["hidden_sheets_skipped"] == 0
    assert summary["issues_by_rule"] == {}
    # The one sheet without a table is the instructions sheet: skipped, as it should be.
    assert summary["sheets_without_table"] == 1
    assert summary["values_loaded"] == len(expected)

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        status_row = con.execute(
            "select unit_key, period_code, status, n_errors, n_warnings, n_unmapped_rows "
            "from marts.rpt_submission_status"
        ).fetchall()
        n_issues = con.execute("select count(*) from raw.issues").fetchone()[0]
        loaded = con.execute(
            "select indicator_code, value, quality_status, target_text "
            "from marts.fct_indicator_value where unit_key = ? and period_code = '2024'",
            [WARD],
        ).fetchall()
    finally:
        con.close()
    assert status_row == [(WARD, "2024", "loaded", 0, 0, 0)]
    assert n_issues == 0
    assert {code: value for code, value, _, _ in loaded} == pytest.approx(expected)
    assert {status for _, _, status, _ in loaded} == {"ok"}
    assert {code: target for code, _, _, target in loaded if target} == TARGETS
