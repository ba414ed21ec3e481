"""Cross-value rules keep both values (issue #23), through the real flow.

A rate that contradicts its numerator and denominator, or a part above its whole, cannot
say which side is wrong: every value the rule names is loaded, marked ``warning`` with the
rule's message, and the submission shows ``loaded_with_warnings``. Two ward files, written
with openpyxl as a clerk's Excel would save them, are the landing folder of one night.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.generators.small_sheets import HEADER, save_sheet

RATE_FILE = "nam-2024/pho-hoa.xlsx"  # 107 poor of 3 691 households, reported as 5 %
PART_FILE = "nam-2024/pho-vinh.xlsx"  # 55 petitions resolved of 50 received
RATE_CODES = ("VH.HO_NGHEO_TYLE", "VH.HO_NGHEO", "VH.TONG_HO")
PART_CODES = ("DV.Y_KIEN_GIAI_QUYET", "DV.Y_KIEN_NHAN")


def _ward_sheet(name: str, code: str, rows: list[list]) -> list[list]:
    return [
        [f"Đơn vị: {name}"],
        ["Mã đơn vị:", None, code],
        ["Kỳ báo cáo: Năm 2024"],
        ["Ngày báo cáo:", None, "15/12/2024"],
        [],
        HEADER,
        *rows,
    ]


def _write_landing(raw_dir) -> dict[tuple[str, str], str]:
    """The two ward files; the cell of each value, by (file, indicator)."""
    (raw_dir / "nam-2024").mkdir(parents=True)
    rate_rows = [
        [1, "VH.TONG_HO", "Tổng số hộ", "hộ", None, 3691, None],
        [2, "VH.HO_NGHEO", "Số hộ nghèo", "hộ", None, 107, None],
        [3, "VH.HO_NGHEO_TYLE", "Tỷ lệ hộ nghèo", "%", "dưới 3%", "5%", None],
        [4, "VH.DAN_SO", "Dân số trung bình", "người", None, 14051, None],
    ]
    part_rows = [
        [1, "DV.Y_KIEN_NHAN", "Số ý kiến kiến nghị", "ý kiến", None, 50, None],
        [2, "DV.Y_KIEN_GIAI_QUYET", "Số ý kiến kiến nghị đã giải quyết", "ý kiến", None, 55, None],
        [3, "VH.TONG_HO", "Tổng số hộ", "hộ", None, 2870, None],
    ]
    save_sheet(raw_dir / RATE_FILE, _ward_sheet("Phường Phổ Hòa", "21469", rate_rows))
    save_sheet(raw_dir / PART_FILE, _ward_sheet("Phường Phổ Vinh", "21466", part_rows))
    first_row = 7  # the header is row 6; values are in column F
    cells = {}
    for relative, rows in ((RATE_FILE, rate_rows), (PART_FILE, part_rows)):
        for offset, row in enumerate(rows):
            cells[(relative, row[1])] = f"F{first_row + offset}"
    return cells


@pytest.fixture(scope="module")
def night(prefect_server, tmp_path_factory):
    from flows.nightly import nightly_pipeline

    root = tmp_path_factory.mktemp("cross_value_night")
    cells = _write_landing(root / "raw")
    warehouse = root / "warehouse" / "warehouse.duckdb"
    summary = nightly_pipeline(raw_dir=str(root / "raw"), warehouse=str(warehouse))
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        values = con.execute(
            "select source_file, indicator_code, value, quality_status, quality_notes, "
            "source_cell from marts.fct_indicator_value where period_code = '2024'"
        ).df()
        status = con.execute(
            "select source_file, status, n_values, n_errors, n_warnings, n_warning_issues, "
            "reason from marts.rpt_submission_status"
        ).df()
        issues = con.execute(
            "select s.source_file, i.severity, i.rule, i.indicator_code, i.source_cell, "
            "i.message from raw.issues as i join raw.submissions as s using (submission_id)"
        ).df()
    finally:
        con.close()
    return {
        "cells": cells,
        "summary": summary,
        "values": values.set_index(["source_file", "indicator_code"]),
        "status": status.set_index("source_file"),
        "issues": issues,
    }


def _check_marked(night, relative: str, rule: str, codes: tuple[str, ...], others: tuple):
    issues = night["issues"][night["issues"].source_file == relative]
    assert set(zip(issues.severity, issues.rule, strict=True)) == {("warning", rule)}
    assert sorted(zip(issues.indicator_code, issues.source_cell, strict=True)) == sorted(
        (code, night["cells"][(relative, code)]) for code in codes
    )
    (message,) = set(issues.message)  # one verdict, told on every value it concerns
    message_vi, message_en = message.split(" / ", 1)
    for code in codes:
        assert night["cells"][(relative, code)] in message_vi
        value = night["values"].loc[(relative, code)]
        assert value.quality_status == "warning", code
        assert value.quality_notes == message, code
    assert "đánh dấu cảnh báo" in message_vi and "marked as warnings" in message_en
    for code in others:  # values the rule does not name stay clean
        assert night["values"].loc[(relative, code)].quality_status == "ok", code
    status = night["status"].loc[relative]
    assert status.status == "loaded_with_warnings"
    assert (status.n_errors, status.n_warnings, status.n_warning_issues) == (0,) + (len(codes),) * 2
    assert status.n_values == len(codes) + len(others)
    assert status.reason.startswith(message)  # the first warnings, as the reason
    return message_vi, message_en


@pytest.mark.slow
def test_a_rate_contradicting_its_parts_loads_the_rate_and_both_parts(night):
    message_vi, message_en = _check_marked(
        night, RATE_FILE, "rate_poverty", RATE_CODES, ("VH.DAN_SO",)
    )
    assert night["values"].loc[(RATE_FILE, "VH.HO_NGHEO_TYLE")].value == 5
    assert "Tỷ lệ hộ nghèo phải khớp" in message_vi and "2,9" in message_vi
    assert "poverty rate must agree" in message_en and "2.9" in message_en


@pytest.mark.slow
def test_a_part_above_its_whole_loads_the_part_and_the_whole(night):
    message_vi, message_en = _check_marked(
        night, PART_FILE, "resolved_le_received", PART_CODES, ("VH.TONG_HO",)
    )
    assert night["values"].loc[(PART_FILE, "DV.Y_KIEN_GIAI_QUYET")].value == 55
    assert "không được lớn hơn" in message_vi and "cannot exceed" in message_en


@pytest.mark.slow
def test_the_night_rejects_no_value(night):
    summary = night["summary"]
    assert (summary["values_rejected"], summary["submissions_rejected"]) == (0, 0)
    assert summary["values_warned"] == len(RATE_CODES) + len(PART_CODES)
    assert summary["issues_by_rule"] == {
        "warning:rate_poverty": len(RATE_CODES),
        "warning:resolved_le_received": len(PART_CODES),
    }
