"""Layouts that lost whole files, each through the real nightly flow (issue #23).

One night on a landing folder of files written by real writers (openpyxl, xlwt, odfpy):
an end-of-term summary with a year block, sheets typed wholly in TCVN3 and in VNI,
indicator names with footnote markers, and a file whose header was nearly one. The tests
read what the published warehouse holds.
"""

from __future__ import annotations

import duckdb
import pytest

from flows.domain.textnorm import encode_tcvn3, encode_vni
from flows.settings import HEADER_SPELLINGS_CSV
from tests.test_table import legacy_sheet_rows, write_sheet

pytestmark = pytest.mark.slow

YEARS = (2016, 2017, 2018, 2019, 2020)
# Phổ Hòa's previous term, year by year: households, poor households, their rate, new members.
TERM_ROWS = (
    ("Tổng số hộ dân cư", "hộ", (3000, 3050, 3100, 3150, 3200)),
    ("Số hộ nghèo", "hộ", (120, 104, 91, 80, 66)),
    ("Tỷ lệ hộ nghèo", "%", ("4,0", "3,41", "2,94", "2,54", "2,06")),
    ("Số đảng viên mới được kết nạp", "người", (5, 6, 4, 7, 8)),
)
# Names whose marker kept them from matching (the fuzzy match takes long names only).
FOOTNOTED = {
    "Tỷ lệ hộ nghèo (*)": ("VH.HO_NGHEO_TYLE", 2.06),
    "Số hộ nghèo (1)": ("VH.HO_NGHEO", 66),
    "Tổng số hộ (**)": ("VH.TONG_HO", 3200),
    "Tổng số chi bộ (a)": ("XD.CHI_BO", 16),
    "Dân số¹": ("VH.DAN_SO", 9000),
    "Số mô hình Dân vận khéo *": ("DV.MO_HINH_DVK", 20),
}


def _year_block_rows() -> list[list]:
    rows = [
        ["ĐẢNG ỦY PHƯỜNG PHỔ HÒA"],
        ["BIỂU KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU NHIỆM KỲ 2015 - 2020"],
        ["Đơn vị: Phường Phổ Hòa"],
        ["Mã đơn vị:", "21469"],
        ["Kỳ báo cáo: Tổng kết nhiệm kỳ 2015-2020"],
        ["Ngày báo cáo: 20/06/2020"],
        [],
        ["Số TT", "Tên chỉ tiêu", "Đơn vị tính", "Kết quả thực hiện qua các năm"]
        + [None] * 4
        + ["Ghi chú"],
        [None, None, None, *(f"Năm {year}" for year in YEARS), None],
        ["I", "VĂN HÓA - XÃ HỘI"],
    ]
    rows += [[n, name, unit, *values] for n, (name, unit, values) in enumerate(TERM_ROWS, 1)]
    return rows


def _footnoted_rows() -> list[list]:
    rows = [
        ["Đơn vị: Phường Phổ Ninh"],
        ["Mã đơn vị:", "21460"],
        ["Kỳ báo cáo: Năm 2024"],
        [],
        ["STT", "Chỉ tiêu", "ĐVT", "Chỉ tiêu NQ", "Thực hiện"],
    ]
    rows += [
        [n, name, None, None, value] for n, (name, (_, value)) in enumerate(FOOTNOTED.items(), 1)
    ]
    rows.append(["(*) Theo số liệu của Bảo hiểm xã hội thị xã"])
    return rows


def _legacy_rows(encode, unit_code: str, unit_name: str) -> list[list]:
    rows = legacy_sheet_rows(encode)
    rows[0] = [encode(f"ĐẢNG ỦY {unit_name.upper()}")]
    rows[1] = [encode(f"Đơn vị: {unit_name}")]
    rows[2] = [encode("Mã đơn vị:"), None, unit_code]
    return rows


@pytest.fixture(scope="module")
def night(prefect_server, tmp_path_factory):
    """The real flow, once, on the folder of layouts; the published warehouse, read-only."""
    from flows.nightly import nightly_pipeline

    root = tmp_path_factory.mktemp("layouts")
    raw = root / "raw"
    for folder in ("tong-ket-2015-2020", "nam-2024", "loi"):
        (raw / folder).mkdir(parents=True)
    write_sheet(raw / "tong-ket-2015-2020/pho-hoa.xlsx", _year_block_rows(), merges=("D8:H8",))
    write_sheet(raw / "nam-2024/pho-an.xls", _legacy_rows(encode_tcvn3, "21442", "Xã Phổ An"))
    write_sheet(raw / "nam-2024/pho-van.ods", _legacy_rows(encode_vni, "21451", "Phường Phổ Văn"))
    write_sheet(raw / "nam-2024/pho-ninh.xlsx", _footnoted_rows())
    write_sheet(
        raw / "loi/gan-dung.xlsx",
        [
            ["Đơn vị: Phường Phổ Minh"],
            ["Kỳ báo cáo: Năm 2024"],
            [],
            [],
            ["TT", "Nội dung", "ĐVT", "Số liệu cả năm"],
            [1, "Số hộ nghèo", "hộ", 66],
        ],
    )
    warehouse = root / "warehouse" / "warehouse.duckdb"
    summary = nightly_pipeline(raw_dir=str(raw), warehouse=str(warehouse))
    con = duckdb.connect(str(warehouse), read_only=True)
    yield summary, con
    con.close()


def _values(con, source_file: str) -> dict[tuple[str, str], tuple]:
    rows = con.execute(
        "select indicator_code, period_code, value, original_text, is_estimate"
        " from marts.fct_indicator_value where source_file = ?",
        [source_file],
    ).fetchall()
    return {(code, period): (value, text, estimate) for code, period, value, text, estimate in rows}


def _status(con, source_file: str) -> tuple[str, str | None]:
    (row,) = con.execute(
        "select status, reason from marts.rpt_submission_status where source_file = ?",
        [source_file],
    ).fetchall()
    return row


def test_a_year_block_gives_the_previous_terms_yearly_values(night):
    _, con = night
    assert _status(con, "tong-ket-2015-2020/pho-hoa.xlsx")[0] in ("loaded", "loaded_with_warnings")
    values = _values(con, "tong-ket-2015-2020/pho-hoa.xlsx")
    assert set(values) == {
        (code, str(year))
        for code in ("VH.TONG_HO", "VH.HO_NGHEO", "VH.HO_NGHEO_TYLE", "XD.KET_NAP_DV")
        for year in YEARS
    }
    assert [values[("VH.HO_NGHEO", str(year))][0] for year in YEARS] == [120, 104, 91, 80, 66]
    assert values[("VH.HO_NGHEO_TYLE", "2017")][:2] == (3.41, "3,41")
    # The yearly values make the ward's previous term, compared with the current one.
    term = con.execute(
        "select indicator_code, value, n_years_with_value from marts.fct_term_comparison"
        " where unit_key = 'pre2025:21469' and term_code = '2015-2020' and basis = 'full'"
        " order by indicator_code"
    ).fetchall()
    assert dict((code, (value, n)) for code, value, n in term) == {
        "VH.HO_NGHEO": (66, 5),  # the last year, as the catalog aggregates it over time
        "VH.HO_NGHEO_TYLE": (pytest.approx(2.06, abs=0.01), 5),  # 66 of 3200 households
        "VH.TONG_HO": (3200, 5),
        "XD.KET_NAP_DV": (30, 5),  # summed over the term
    }


@pytest.mark.parametrize(
    ("source_file", "encode", "unit_key"),
    [
        ("nam-2024/pho-an.xls", encode_tcvn3, "pre2025:21442"),
        ("nam-2024/pho-van.ods", encode_vni, "pre2025:21451"),
    ],
    ids=["tcvn3-xls", "vni-ods"],
)
def test_a_sheet_typed_wholly_in_a_legacy_font_is_loaded(night, source_file, encode, unit_key):
    _, con = night
    assert _status(con, source_file)[0] in ("loaded", "loaded_with_warnings")
    assert _values(con, source_file) == {
        ("VH.HO_NGHEO", "2024"): (66, "66", False),
        ("VH.HO_NGHEO_TYLE", "2024"): (2.2, "2,2", False),
        ("XD.DV_HOC_NQ", "2024"): (98, encode("98 đ/c"), False),  # kept as typed
    }
    (row,) = con.execute(
        "select unit_key, target_text from marts.fct_indicator_value"
        " where source_file = ? and indicator_code = 'VH.HO_NGHEO'",
        [source_file],
    ).fetchall()
    assert row == (unit_key, encode("dưới 100 hộ"))
    unmapped = con.execute(
        "select name_text from marts.rpt_unmapped_rows where source_file = ?", [source_file]
    ).fetchall()
    assert unmapped == [("Số hộ dùng nước sạch",)]  # not a catalog indicator


def test_footnote_markers_on_names_lose_no_value(night):
    _, con = night
    values = _values(con, "nam-2024/pho-ninh.xlsx")
    assert {code: value for (code, _), (value, _, _) in values.items()} == dict(FOOTNOTED.values())
    unmapped = con.execute(
        "select count(*) from marts.rpt_unmapped_rows where source_file = 'nam-2024/pho-ninh.xlsx'"
    ).fetchone()
    assert unmapped == (0,)


def test_a_file_nearly_a_table_is_rejected_saying_what_it_has_and_lacks(night):
    _, con = night
    status, reason = _status(con, "loi/gan-dung.xlsx")
    assert status == "rejected"
    vietnamese, english = reason.split(" / ")  # Vietnamese first, then English
    assert "hàng 5 có cột số thứ tự ('TT'), cột tên chỉ tiêu ('Nội dung')" in vietnamese
    assert "nhưng không có cột kết quả/thực hiện hay chỉ tiêu NQ" in vietnamese
    assert "các ô chưa nhận ra: 'Số liệu cả năm'" in vietnamese
    assert "row 5 has a row-number column ('TT'), an indicator-name column ('Nội dung')" in english
    assert "but no value or target column" in english


def test_the_header_spellings_are_published_beside_the_other_seeds(night):
    _, con = night
    published = con.execute(
        "select count(*), count(distinct role) from seeds.header_spellings"
    ).fetchone()
    with HEADER_SPELLINGS_CSV.open(encoding="utf-8") as handle:
        lines = len(handle.read().splitlines()) - 1
    assert published == (lines, 11)
