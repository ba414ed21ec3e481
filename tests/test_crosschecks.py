"""The clerk-computed cross-checks (flows.reading.crosschecks): warnings that keep the values."""

from __future__ import annotations

from flows.reading.table import parse_sheet
from flows.reading.workbook import read_workbook
from tests.generators.small_sheets import HEADER, METADATA, save_sheet


def test_per_mille_unit_column_and_warning(tmp_path, catalog):
    rows = [
        *METADATA,
        HEADER,
        ["1", "VH.HO_NGHEO_TYLE", "Tỷ lệ hộ nghèo", "‰", None, "0,3"],
        ["2", "VH.BHYT_TYLE", "Tỷ lệ BHYT", "%", None, "91,5"],
    ]
    sheet = parse_sheet(read_workbook(save_sheet(tmp_path / "mille.xlsx", rows))[0], catalog)
    units = {o.indicator_code: (o.value, o.unit) for o in sheet.observations}
    assert units == {"VH.HO_NGHEO_TYLE": (0.3, "‰"), "VH.BHYT_TYLE": (91.5, "%")}
    assert [(i.rule, i.severity, i.source_cell) for i in sheet.cell_issues] == [
        ("per_mille_in_percent_row", "warning", "F6")
    ]


def test_clerk_computed_columns_are_cross_checked_not_loaded(tmp_path, catalog):
    header = [*HEADER[:6], "So sánh", "Tỷ lệ đạt"]
    rows = [
        *METADATA,
        header,
        ["1", "VH.BHYT_TYLE", "Tỷ lệ BHYT", "%", "≥ 95%", "92", "96,8%", "96"],  # truncated: ok
        ["2", "VH.HO_NGHEO_TYLE", "Tỷ lệ hộ nghèo", "%", "dưới 3%", "3,07", "90", None],
        ["3", "VH.HO_CAN_NGHEO_TYLE", "Tỷ lệ hộ cận nghèo", "%", "10-12%", "11", "5", None],
        ["4", "XD.DV_HOC_NQ", "Số đảng viên", "người", None, "36/35 (90%)"],
    ]
    sheet = parse_sheet(read_workbook(save_sheet(tmp_path / "computed.xlsx", rows))[0], catalog)
    assert [o.source_cell for o in sheet.observations] == ["F6", "F7", "F8", "F9"]
    warnings = [(i.rule, i.severity, i.source_cell) for i in sheet.cell_issues]
    # A range target has no single number to compare with: no check on row 8.
    assert warnings == [
        ("clerk_computed_mismatch", "warning", "G7"),
        ("clerk_computed_mismatch", "warning", "F9"),
    ]
    assert "102,3%" in sheet.cell_issues[0].message_vi
    assert "102.3%" in sheet.cell_issues[0].message_en
