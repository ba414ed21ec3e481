"""Finding the table's header (flows.reading.headers): column roles, one- and two-row
headers, year and midterm columns, the header search's shortcuts, the spellings seed
(dbt_project/seeds/header_spellings.csv), year blocks, and the row nearly a header.
"""

from __future__ import annotations

import csv
import os
import re
import time
from pathlib import Path

import openpyxl
import pytest

from flows.domain.periods import parse_year_header
from flows.domain.textnorm import fold_words
from flows.reading.headers import (
    ROLE_NAMES,
    SPELLING_ROLES,
    VALUE_KINDS,
    classify_header,
    find_header,
    nearest_header,
    read_header_spellings,
)
from flows.reading.table import parse_sheet
from flows.reading.workbook import SheetGrid, read_workbook
from flows.settings import HEADER_SPELLINGS_CSV
from tests.generators.small_sheets import HEADER, one_observation, save_sheet


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
    "Kết quả thực hiện qua các năm",
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
    if "name" in kinds and kinds & (VALUE_KINDS | {"target"}):
        return roles
    return None


def _sub_header_roles_by_the_rule(row: list):
    """Every filled cell classified; the roles when all are known and one holds values."""
    filled = {col: cell for col, cell in enumerate(row) if cell is not None}
    roles = {col: classify_header(cell) for col, cell in filled.items()}
    if not filled or None in roles.values():
        return None
    if not any(role.kind in VALUE_KINDS for role in roles.values()):
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


# ------------------------------------------------------------------ header spellings as data

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "submission-format.md"

# The spec's header table: its first column's names and the seed's roles. A year written in
# the header ("Năm 2021", "Ước 2023") is read by flows/domain/periods.py, not by a spelling.
SPEC_COLUMN_ROLES = {
    "STT": "stt",
    "code": "code",
    "name": "name",
    "unit": "unit",
    "target": "target",
    "value": "value",
    "value for a year": "year",
    "estimate": "year",
    "mid-term": "midterm",
    "computed": "computed",
    "assessment": "assessment",
    "note": "note",
}


# The spec's header table as of 2026-12-06, for a checkout without ../shared/spec beside
# it (a CI clone); where the spec is there, test_the_snapshot_is_the_spec_table holds them equal.
SPEC_TABLE_SNAPSHOT = """\
| STT | STT, TT, Số TT | row number; Roman numerals / letters mark section rows |
| code | Mã chỉ tiêu, Mã số, Mã | indicator code, optional |
| name | Chỉ tiêu, Tên chỉ tiêu, Nội dung, Nội dung chỉ tiêu | indicator name |
| unit | ĐVT, Đơn vị tính | unit of measure |
| target | Chỉ tiêu NQ, Chỉ tiêu Nghị quyết, Mục tiêu NQ, Kế hoạch, KH | term target set by the congress resolution |
| value | Thực hiện, Kết quả, Số liệu | value for the sheet's period |
| value for a year | Năm 2021, 2021, TH 2021, Thực hiện 2021 | value for that year |
| estimate | Ước 2023, Ước TH 2023, Ước thực hiện năm 2023 | value for that year, flagged estimate |
| mid-term | Giữa nhiệm kỳ, Sơ kết | value at mid-term review |
| computed | So sánh, So với NQ (%), Tỷ lệ đạt | derived by the clerk: not loaded, cross-checked |
| assessment | Đánh giá (Đạt, Vượt, Chưa đạt, Khả năng đạt) | the clerk's verdict on the target: kept as text |
| note | Ghi chú | free text, kept |
"""  # noqa: E501


def _spec_table_rows() -> list[str]:
    """The rows of the spec's table ``| column | headers seen | meaning |``, as written."""
    lines = SPEC.read_text(encoding="utf-8").splitlines()
    start = lines.index("| column | headers seen | meaning |")
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _spec_header_spellings() -> list[tuple[str, str]]:
    """(role, spelling) of every header the spec's table lists: read from the spec beside
    the project (``../shared/spec``), else from the snapshot above."""
    rows = _spec_table_rows() if SPEC.is_file() else SPEC_TABLE_SNAPSHOT.splitlines()
    found = []
    for line in rows:
        column, headers, _ = (cell.strip() for cell in line.strip("|").split("|"))
        # "Đánh giá (Đạt, Vượt, Chưa đạt, Khả năng đạt)": the brackets list its values.
        headers = re.sub(r"\s*\((?:[^()%]*,[^()]*)\)", "", headers)
        found += [(SPEC_COLUMN_ROLES[column], text.strip()) for text in headers.split(",")]
    return found


def test_the_snapshot_is_the_spec_table():
    if not SPEC.is_file():
        pytest.skip(f"the spec is not beside the project: {SPEC}; the snapshot is used")
    assert _spec_table_rows() == SPEC_TABLE_SNAPSHOT.splitlines()


SPEC_HEADERS = _spec_header_spellings()


def _seed_rows() -> list[dict[str, str]]:
    with HEADER_SPELLINGS_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_spec_table_is_read_whole():
    roles = {role for role, _ in SPEC_HEADERS}
    assert roles == set(SPEC_COLUMN_ROLES.values())
    assert ("name", "Nội dung chỉ tiêu") in SPEC_HEADERS
    assert ("computed", "So với NQ (%)") in SPEC_HEADERS
    assert ("assessment", "Đánh giá") in SPEC_HEADERS
    assert len(SPEC_HEADERS) >= 30


@pytest.mark.parametrize(("role", "spelling"), SPEC_HEADERS, ids=[s for _, s in SPEC_HEADERS])
def test_every_header_spelling_of_the_spec_is_in_the_seed(role, spelling):
    """Each spelling of the spec is a line of the seed for its role (exact, or a prefix it
    starts with), or a year header the periods parser reads."""
    if role == "year":
        assert parse_year_header(spelling) is not None
        assert classify_header(spelling).kind == "year"
        return
    folded = fold_words(spelling)
    lines = [
        row
        for row in _seed_rows()
        if row["role"] == role
        and (
            fold_words(row["spelling"]) == folded
            or (row["match"] == "prefix" and folded.startswith(fold_words(row["spelling"]) + " "))
        )
    ]
    assert lines, f"{spelling!r} ({role}) is not in {HEADER_SPELLINGS_CSV.name}"
    assert classify_header(spelling).kind == role


def test_the_seed_is_well_formed():
    rows = _seed_rows()
    assert list(rows[0]) == ["role", "spelling", "match", "note"]
    assert {row["role"] for row in rows} == set(SPELLING_ROLES)
    assert {row["match"] for row in rows} == {"exact", "prefix"}
    folded = [fold_words(row["spelling"]) for row in rows]
    assert len(folded) == len(set(folded))  # one role per spelling
    read = read_header_spellings(HEADER_SPELLINGS_CSV)
    assert len(read.exact) + len(read.prefixes) == len(rows)


@pytest.mark.parametrize("row", _seed_rows(), ids=lambda row: row["spelling"])
def test_every_seed_spelling_gives_its_role(row):
    """As typed, in capitals, with a colon; a prefix also with more words after it."""
    variants = [row["spelling"], row["spelling"].upper(), row["spelling"] + ":"]
    if row["match"] == "prefix":
        variants += [row["spelling"] + " (%)", row["spelling"] + " khác"]
    for text in variants:
        role = classify_header(text)
        assert role is not None and role.kind == row["role"], text


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("KH 2024", "target"),  # a prefix, followed by a word
        ("KH%", "target"),  # ... or a sign
        ("Khác", None),  # not a prefix inside a word
        ("Kế hoạchx", None),
        ("Chỉ tiêu", "name"),  # exact spellings win
        ("Chỉ tiêu NQ", "target"),  # then prefixes
        ("Kết quả thực hiện", "value"),  # exact
        ("Kết quả thực hiện qua các năm", "value_block"),  # the longest prefix
        ("Kết quả thực hiện nhiệm kỳ 2015-2020", "value_block"),
        ("KẾT QUẢ THỰC HIỆN QUA CÁC NĂM", "value_block"),
        ("Thực hiện các năm", "value_block"),
        ("Kết quả thực hiện 2024", "year"),  # a year header before any spelling
        ("Ước thực hiện", "value"),
    ],
)
def test_exact_and_prefix_spellings(header, kind):
    role = classify_header(header)
    assert (role.kind if role else None) == kind


def _write_seed(path: Path, lines: list[str]) -> Path:
    path.write_text("role,spelling,match,note\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["value,Thực hiện,exact,", "target,THỰC HIỆN,prefix,"], "already on line 2"),
        (["valeur,Thực hiện,exact,"], "unknown role 'valeur'"),
        (["value,Thực hiện,starts,"], "match must be exact or prefix"),
        (["value, ,exact,"], "empty spelling"),
    ],
)
def test_a_curators_slip_in_the_seed_is_refused_with_its_line(tmp_path, lines, message):
    with pytest.raises(ValueError, match=message):
        read_header_spellings(_write_seed(tmp_path / "header_spellings.csv", lines))


@pytest.fixture
def private_seed(tmp_path, monkeypatch):
    """A copy of the seed the header search reads instead, checked at every search."""
    from flows.reading import headers

    seed = tmp_path / "header_spellings.csv"
    seed.write_bytes(HEADER_SPELLINGS_CSV.read_bytes())
    monkeypatch.setattr(headers, "HEADER_SPELLINGS_CSV", seed)
    monkeypatch.setattr(headers, "_SPELLINGS_RECHECK_SECONDS", 0.0)
    headers.header_spellings()
    yield seed
    monkeypatch.undo()
    headers._spellings_read = None  # the next search reads the project's seed again
    headers.header_spellings()


def test_a_new_spelling_is_a_one_line_change_a_warm_process_sees(private_seed):
    rows = [
        ["Đơn vị: Phường Phổ Hòa"],
        ["STT", "Chỉ tiêu", "ĐVT", "Số liệu báo cáo"],
        [1, "Số hộ nghèo", "hộ", 50],
    ]
    grid = SheetGrid("s", 0, True, rows)
    assert find_header(grid) is None
    with private_seed.open("a", encoding="utf-8") as handle:
        handle.write("value,Số liệu báo cáo,exact,seen in Phổ Châu 2024\n")
    os.utime(private_seed, ns=(time.time_ns(), time.time_ns() + 10**9))
    layout = find_header(grid)
    assert layout is not None and layout.columns[3].kind == "value"


# ------------------------------------------------------------------ year blocks

YEAR_BLOCK_PARENTS = [
    "Kết quả thực hiện qua các năm",  # a value block of the seed
    "Thực hiện các năm",
    "Kết quả thực hiện nhiệm kỳ 2015-2020",
    "Thực hiện",  # a value column the years replace, as before
    "Số liệu 5 năm",  # no spelling of the seed: the name row and the years decide
    None,  # no parent at all
]
YEARS = [2016, 2017, 2018, 2019, 2020]


def _year_block_sheet(parent: str | None, merged: bool, estimate: bool, numbers: bool):
    """An end-of-term summary: the years in the row under the value block's header."""
    year_headers = [f"Năm {year}" for year in YEARS]
    if estimate:
        year_headers[-1] = "Ước 2020"
    top = ["Số TT", "Tên chỉ tiêu", "Đơn vị tính", parent, None, None, None, None, "Ghi chú"]
    rows = [
        ["ĐẢNG ỦY PHƯỜNG PHỔ HÒA"],
        ["Đơn vị: Phường Phổ Hòa"],
        ["Kỳ báo cáo: Tổng kết nhiệm kỳ 2015-2020"],
        [],
        top,
        [None, None, None, *year_headers, None],
    ]
    if numbers:  # a row numbering the columns, as printed forms have
        rows.append(["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)"])
    rows += [
        ["I", "VĂN HÓA - XÃ HỘI"],
        [1, "Số hộ nghèo", "hộ", 120, 104, 91, 80, 66, "giảm dần"],
        [2, "Tỷ lệ hộ nghèo", "%", "4,1", "3,5", "3,1", "2,7", "2,2", None],
    ]
    merges = ["D5:H5"] if merged and parent else []
    return rows, merges


@pytest.mark.parametrize("numbers", [False, True], ids=["", "numbered"])
@pytest.mark.parametrize("estimate", [False, True], ids=["", "estimate"])
@pytest.mark.parametrize("merged", [False, True], ids=["unmerged", "merged"])
@pytest.mark.parametrize("parent", YEAR_BLOCK_PARENTS, ids=lambda p: str(p))
def test_a_year_block_gives_one_value_per_year(
    tmp_path, catalog, parent, merged, estimate, numbers
):
    rows, merges = _year_block_sheet(parent, merged, estimate, numbers)
    path = save_sheet(tmp_path / "tong-ket.xlsx", rows)
    if merges:
        workbook = openpyxl.load_workbook(path)
        workbook.active.merge_cells(merges[0])
        workbook.save(path)
    sheet = parse_sheet(read_workbook(path)[0], catalog)
    assert sheet is not None and sheet.header_row == 5
    assert (sheet.unit_name, sheet.period_code) == ("Phường Phổ Hòa", "2015-2020")
    values = {
        (o.indicator_code, o.period_code): (o.value, o.is_estimate) for o in sheet.observations
    }
    assert values == {
        **{
            ("VH.HO_NGHEO", str(y)): (v, estimate and y == 2020)
            for y, v in zip(YEARS, [120, 104, 91, 80, 66], strict=True)
        },
        **{
            ("VH.HO_NGHEO_TYLE", str(y)): (v, estimate and y == 2020)
            for y, v in zip(YEARS, [4.1, 3.5, 3.1, 2.7, 2.2], strict=True)
        },
    }
    assert one_observation(sheet, "VH.HO_NGHEO", "2016").note == "giảm dần"
    assert not sheet.unmapped_rows and not sheet.cell_issues


def test_the_years_in_the_header_row_itself_are_a_one_row_year_block(tmp_path, catalog):
    rows = [
        ["Đơn vị: Phường Phổ Hòa"],
        ["Kỳ báo cáo: Tổng kết nhiệm kỳ 2015-2020"],
        ["Số TT", "Tên chỉ tiêu", "Đơn vị tính", *(f"Năm {y}" for y in YEARS), "Ghi chú"],
        [1, "Số hộ nghèo", "hộ", 120, 104, 91, 80, 66],
    ]
    sheet = parse_sheet(read_workbook(save_sheet(tmp_path / "one-row.xlsx", rows))[0], catalog)
    assert sorted(o.period_code for o in sheet.observations) == [str(y) for y in YEARS]


def test_a_value_block_alone_holds_the_sheets_period(catalog):
    rows = [
        ["Kỳ báo cáo: Tổng kết nhiệm kỳ 2015-2020"],
        ["TT", "Nội dung", "ĐVT", "Kết quả thực hiện nhiệm kỳ"],
        [1, "Số hộ nghèo", "hộ", 66],
    ]
    sheet = parse_sheet(SheetGrid("s", 0, True, rows), catalog)
    assert [(o.period_code, o.value) for o in sheet.observations] == [("2015-2020", 66)]


@pytest.mark.parametrize(
    "below",
    [
        [1, "Số hộ nghèo", "hộ", 66],  # a data row is no sub-header
        ["Năm 2016"],  # one cell: a title line, not a block of years
        [None, None, None, "Năm 2016", "Lung tung"],  # a cell no header names
    ],
)
def test_a_name_row_without_values_needs_a_row_of_years_under_it(below):
    grid = SheetGrid("s", 0, True, [["TT", "Nội dung", "ĐVT", "Số liệu 5 năm"], below])
    assert find_header(grid) is None


# ------------------------------------------------------------------ nearly a header


@pytest.mark.parametrize(
    ("header", "matched", "lacking"),
    [
        (
            ["TT", "Nội dung", "ĐVT", "Số liệu 5 năm cuối", "Ghi chú"],
            (("stt", "TT"), ("name", "Nội dung"), ("unit", "ĐVT"), ("note", "Ghi chú")),
            ("value_or_target",),
        ),
        (
            ["STT", "Công việc", "ĐVT", "Thực hiện"],
            (("stt", "STT"), ("unit", "ĐVT"), ("value", "Thực hiện")),
            ("name",),
        ),
        (
            ["STT", "Công việc", "Thời gian", "Phụ trách", "Ghi chú"],
            (("stt", "STT"), ("note", "Ghi chú")),
            ("name", "value_or_target"),
        ),
    ],
)
@pytest.mark.parametrize("above", [0, 4])
def test_the_nearest_header_names_what_it_has_and_lacks(header, matched, lacking, above):
    rows = [
        *[["Đơn vị: Phường Phổ Hòa"], ["Kỳ báo cáo:", "Năm 2024"], ["BIỂU SỐ LIỆU"], []][:above],
        header,
        [1, "Xây dựng dự thảo", "Tháng 3", "Thường trực"],
    ]
    near = nearest_header(SheetGrid("s", 0, True, rows))
    assert near.row_number == above + 1
    assert near.matched == matched and near.lacking == lacking
    vietnamese, english = near.describe()
    assert vietnamese.startswith(f"hàng {above + 1} có ")
    assert english.startswith(f"row {above + 1} has ")
    for kind, text in matched:
        assert f"{ROLE_NAMES[kind][0]} ('{text}')" in vietnamese
        assert f"{ROLE_NAMES[kind][1]} ('{text}')" in english
    if "name" in lacking:
        assert "không có cột tên chỉ tiêu" in vietnamese and "no indicator-name column" in english
    if "value_or_target" in lacking:
        assert "cột kết quả/thực hiện hay chỉ tiêu NQ" in vietnamese
        assert "value or target column" in english
    unknown = [cell for cell in header if classify_header(cell) is None]
    assert near.unknown == tuple(unknown)
    assert all(f"'{cell}'" in vietnamese for cell in unknown)


def test_no_row_nearly_a_header():
    grid = SheetGrid("s", 0, True, [["Hướng dẫn"], ["Ghi số liệu", "vào cột"], [1, 2]])
    assert nearest_header(grid) is None
