"""Finding the table's header (flows.reading.headers): column roles, one- and two-row
headers, year and midterm columns, and the header search's shortcuts.
"""

from __future__ import annotations

import pytest

from flows.reading.headers import classify_header, find_header
from flows.reading.table import parse_sheet
from flows.reading.workbook import SheetGrid, read_workbook
from tests.generators.small_sheets import HEADER, save_sheet


def test_two_row_header_gives_year_and_estimate_columns(parsed_demo):
    sheet = parsed_demo["so-ket-2020-2025/nguyen-nghiem.xlsx"]
    periods = {(o.period_code, o.is_estimate) for o in sheet.observations}
    assert periods == {("2021", False), ("2022", False), ("2023", True)}


def test_year_columns_and_midterm_column(tmp_path, catalog):
    header = ["TT", "Nội dung", "Kế hoạch", "TH 2021", "Ước TH 2023", "Giữa nhiệm kỳ"]
    rows = [
        ["Kỳ báo cáo: Sơ kết giữa nhiệm kỳ 2020-2025"],
        header,
        [1, "Số hộ nghèo", 50, 40, 30, 30],
    ]
    sheet = parse_sheet(read_workbook(save_sheet(tmp_path / "years.xlsx", rows))[0], catalog)
    assert [(o.period_code, o.is_estimate, o.value) for o in sheet.observations] == [
        ("2021", False, 40),
        ("2023", True, 30),
        ("2020-2025-MID", False, 30),
    ]
    assert sheet.observations[0].target_direction == "exact"


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("STT", "stt"),
        ("Số TT", "stt"),
        ("Mã số", "code"),
        ("Tên chỉ tiêu", "name"),
        ("Nội dung chỉ tiêu", "name"),
        ("Đơn vị tính", "unit"),
        ("Chỉ tiêu Nghị quyết", "target"),
        ("Mục tiêu NQ", "target"),
        ("KH", "target"),
        ("Kết quả", "value"),
        ("Số liệu", "value"),
        ("Năm 2021", "year"),
        ("Sơ kết", "midterm"),
        ("So sánh", "computed"),
        ("Tỷ lệ đạt", "computed"),
        ("Đánh giá", "assessment"),
        ("Ghi chú", "note"),
        ("Lung tung", None),
    ],
)
def test_classify_header(header, kind):
    role = classify_header(header)
    assert (role.kind if role else None) == kind


def test_find_header_needs_a_name_and_a_value_column():
    assert find_header(SheetGrid("s", 0, True, [["STT", "Chỉ tiêu", "ĐVT"]])) is None


@pytest.mark.parametrize("cell", [1.0, 2024.0, -0.0, 0.0, 2024.5, float("inf"), float("nan")])
def test_number_headers_read_as_fresh_ones(cell):
    """classify_header keeps a float's reading; it is the one worked out afresh."""
    from flows.reading.headers import _classify_header_cell

    assert classify_header(cell) == _classify_header_cell(cell)
    assert classify_header(cell) == _classify_header_cell(cell)


# Header cells, metadata labels and values, data cells: rows drawn from these are tried
# as headers and sub-headers against the rule the header search stops early on.
HEADER_SEARCH_CELLS = [
    *HEADER,
    "Năm 2023",
    "Ước 2024",
    "Kế hoạch",
    "Đơn vị:",
    "Xã Hoàng Trĩ",
    "I",
    "XÂY DỰNG ĐẢNG",
    2024.0,
    1.0,
    None,
    None,
]


def _header_roles_by_the_rule(row: list):
    """Every filled cell classified; the roles when they name a name and a value or target."""
    roles = {col: classify_header(cell) for col, cell in enumerate(row) if cell is not None}
    roles = {col: role for col, role in roles.items() if role is not None}
    kinds = {role.kind for role in roles.values()}
    if "name" in kinds and kinds & {"year", "value", "midterm", "target"}:
        return roles
    return None


def _sub_header_roles_by_the_rule(row: list):
    """Every filled cell classified; the roles when all are known and one holds values."""
    filled = {col: cell for col, cell in enumerate(row) if cell is not None}
    roles = {col: classify_header(cell) for col, cell in filled.items()}
    if not filled or None in roles.values():
        return None
    if not any(role.kind in {"year", "value", "midterm"} for role in roles.values()):
        return None
    return roles


def test_header_search_classifies_no_further_than_it_must():
    """The header search gives up on a row once its cells left cannot make it a header,
    and on a sub-header at its first unknown cell: the same answers as classifying all."""
    from hypothesis import given
    from hypothesis import strategies as st

    from flows.reading.headers import _header_row_roles, _sub_header_roles

    @given(st.lists(st.sampled_from(HEADER_SEARCH_CELLS), max_size=8))
    def check(row):
        assert _header_row_roles(row) == _header_roles_by_the_rule(row)
        grid = SheetGrid("s", 0, True, [HEADER, row])
        assert _sub_header_roles(grid, 1) == _sub_header_roles_by_the_rule(row)

    check()
    assert _header_row_roles(["Đơn vị:", "Chỉ tiêu", "Thực hiện"]) is not None
    assert _header_row_roles(["Chỉ tiêu", "Đơn vị:", "Xã Hoàng Trĩ"]) is None
