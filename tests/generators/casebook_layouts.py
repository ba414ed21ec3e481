"""The casebook's sheet layouts: one sheet per §2 metadata-label, header and period form,
the sheets to be skipped, and the small §1 table every container carries.
"""

from __future__ import annotations

from dataclasses import replace

from tests.generators.casebook_plan import (
    CHAU_O,
    HEADER,
    NGUYEN_NGHIEM,
    PHO_AN,
    PHO_HOA,
    PHO_MINH,
    PHO_NHON,
    PHO_NINH,
    PHO_QUANG,
    PHO_VAN,
    Put,
    SheetPlan,
    _name,
    _nothing,
    _title,
    _value,
)

# ------------------------------------------------------------------ §2 layouts


def _two_row_header_plan() -> SheetPlan:
    """Title, merged two-row header, year/estimate/mid-term/computed columns, sections."""
    code_a, code_b, code_c = "XD.DV_HOC_NQ_TYLE", "VH.BHYT_TYLE", "VH.HO_NGHEO_TYLE"
    mid = "2020-2025-MID"
    s = "§2 two-row header with merged group header"
    top = [
        "STT",
        "Mã số",
        "Nội dung",
        "ĐVT",
        "Chỉ tiêu Nghị quyết",
        "Thực hiện",
        None,
        None,
        "Giữa nhiệm kỳ",
        "So với NQ (%)",
        "Tỷ lệ đạt",
        "Đánh giá",
        "Ghi chú",
    ]
    sub = [None] * 5 + ["Năm 2021", "Năm 2022", "Ước 2023"] + [None] * 5

    def computed(case_id: str, code: str, raw: object, **extra: object) -> Put:
        percent_format = extra.pop("percent_format", None)
        put = _nothing(case_id, "§2 clerk-computed columns are cross-checked", code, raw, **extra)
        return replace(put, percent_format=percent_format)  # type: ignore[arg-type]

    rows: list[list[object]] = [
        *_title(PHO_HOA[1]),
        ["Phường/Xã:", "Phổ Hòa", None, "Mã ĐVHC:", PHO_HOA[0]],
        ["Kỳ:", "Sơ kết giữa nhiệm kỳ", None, "Nhiệm kỳ:", "2020 - 2025"],
        [],
        top,
        sub,
        ["I", None, "XÂY DỰNG ĐẢNG"],
        [
            1,
            code_a,
            _name(code_a),
            "%",
            "≥ 95%",
            _value("year-2021", s, code_a, "96,5", 96.5, period_code="2021"),
            _value("year-2022", s, code_a, 97, 97, period_code="2022"),
            _value("year-estimate", s, code_a, "98", 98, period_code="2023", is_estimate=True),
            _value("midterm-column", "§2 mid-term column", code_a, "97,5", 97.5, period_code=mid),
            computed("computed-ok", code_a, 102.6),
            computed("computed-formatted-ok", code_a, 1.026, percent_format="0.0%"),
            "Vượt",
        ],
        ["II", None, "VĂN HÓA - XÃ HỘI"],
        ["A", None, "Y tế"],
        [
            2,
            code_b,
            _name(code_b),
            "%",
            "≥ 95%",
            90,
            91,
            92,
            _value("computed-mismatch-value-kept", s, code_b, 92, 92, period_code=mid),
            computed(
                "computed-mismatch",
                code_b,
                "110%",
                period_code=mid,
                issue_rule="clerk_computed_mismatch",
                issue_severity="warning",
            ),
            None,
            "Chưa đạt",
        ],
        ["B", None, "Giảm nghèo"],
        [
            3,
            code_c,
            _name(code_c),
            "%",
            "dưới 3%",
            "3,5",
            "3,2",
            "3,07",
            "3,07",
            computed("computed-at-most-ok", code_c, "102,3"),
            None,
            "Chưa đạt",
            "Theo chuẩn nghèo đa chiều",
        ],
        [],
        ["(1) Số liệu năm 2023 là số ước tính."],
        [4, "VH.DAN_SO", "Dân số", "người", None, _nothing("after-footnote", s, "VH.DAN_SO", 9000)],
    ]
    merges = [(1, 1, 1, 3), (2, 1, 2, 8), (6, 6, 6, 8)]
    merges += [(6, col, 7, col) for col in (1, 2, 3, 4, 5, 9, 10, 11, 12, 13)]
    return SheetPlan("Phổ Hòa sơ kết", rows, PHO_HOA[0], mid, merges=merges)


def _layout_plans() -> list[SheetPlan]:
    """One sheet per metadata-label, header and period variant, each for another ward."""
    s_meta, s_head, s_period = "§2 metadata labels", "§2 header spellings", "§2 period forms"
    plans = [_two_row_header_plan()]
    plans.append(
        SheetPlan(
            "Nguyễn Nghiêm Q1",
            [
                ["Tên đơn vị", None, "Phường Nguyễn Nghiêm"],
                ["Mã xã: 21439"],
                ["Thời kỳ:", "Quý I/2023"],
                ["Ngày lập: 10/04/2023", None, "Người lập biểu: Nguyễn Văn An"],
                [],
                ["TT", "Mã", "Tên chỉ tiêu", "Đơn vị tính", "Mục tiêu NQ", "Kết quả"],
                [
                    1,
                    "VH.DAN_SO",
                    "Dân số trung bình",
                    "người",
                    None,
                    _value("period-quarter-roman", s_period, "VH.DAN_SO", 11250, 11250),
                ],
            ],
            NGUYEN_NGHIEM[0],
            "2023-Q1",
        )
    )
    plans.append(
        SheetPlan(
            "Phổ An 6 tháng",
            [
                ["Xã: Phổ An", None, "Thị xã: Đức Phổ", None, "Tỉnh: Quảng Ngãi"],
                ["Kỳ báo cáo", "6 tháng đầu năm 2023"],
                ["Ngày: 05/07/2023", None, "Người lập: Trần Thị Bình"],
                [],
                ["Số TT", "Mã số", "Nội dung chỉ tiêu", "ĐVT", "KH", "Số liệu"],
                [
                    1,
                    None,
                    "Số hộ nghèo",
                    "hộ",
                    None,
                    _value("meta-name-only-xa", s_meta, "VH.HO_NGHEO", 41, 41),
                ],
            ],
            PHO_AN[0],
            "2023-H1",
        )
    )
    plans.append(
        SheetPlan(
            "Phổ Văn năm",
            [
                ["Phường: Phổ Văn", None, "Huyện: Đức Phổ", None, "Tỉnh: Quảng Ngãi"],
                ["Năm báo cáo: 2022"],
                [],
                [
                    "STT",
                    "Chỉ tiêu",
                    "ĐVT",
                    "Chỉ tiêu NQ",
                    "TH 2021",
                    "Thực hiện 2022",
                    "Ước TH 2023",
                    "2024",
                    "Ước thực hiện năm 2025",
                ],
                [
                    1,
                    "Tổng số hộ dân cư",
                    "hộ",
                    None,
                    _value("header-th-year", s_head, "VH.TONG_HO", 2950, 2950, period_code="2021"),
                    _value(
                        "header-thuc-hien-year",
                        s_head,
                        "VH.TONG_HO",
                        2990,
                        2990,
                        period_code="2022",
                    ),
                    _value(
                        "header-uoc-th",
                        s_head,
                        "VH.TONG_HO",
                        3010,
                        3010,
                        period_code="2023",
                        is_estimate=True,
                    ),
                    _value(
                        "header-bare-year", s_head, "VH.TONG_HO", 3030, 3030, period_code="2024"
                    ),
                    _value(
                        "header-uoc-thuc-hien-nam",
                        s_head,
                        "VH.TONG_HO",
                        3050,
                        3050,
                        period_code="2025",
                        is_estimate=True,
                    ),
                ],
            ],
            PHO_VAN[0],
            "2022",
        )
    )
    plans.append(
        SheetPlan(
            "Phổ Quang tổng kết",
            [
                ["Đơn vị: Phường Phổ Quang", None, "Mã phường: 21454"],
                ["Kỳ báo cáo: Tổng kết nhiệm kỳ", None, "Nhiệm kỳ: 2015-2020"],
                ["Ngày báo cáo:", "20/05/2020"],
                [],
                ["STT", "Mã chỉ tiêu", "Các chỉ tiêu", "ĐVT", "Kế hoạch", "Kết quả thực hiện"],
                [
                    1,
                    "XD.KET_NAP_DV",
                    "Kết nạp đảng viên mới",
                    "người",
                    "≥ 30",
                    _value(
                        "period-tong-ket",
                        s_period,
                        "XD.KET_NAP_DV",
                        "35 đảng viên",
                        35,
                        target=(30.0, None, "at_least", False),
                    ),
                ],
            ],
            PHO_QUANG[0],
            "2015-2020",
        )
    )
    plans.append(
        SheetPlan(
            "Phổ Nhơn nhiệm kỳ",
            [
                ["Xã", "Phổ Nhơn", None, "Quận:", "Đức Phổ"],
                ["Mã đơn vị", 21457],
                ["Kỳ báo cáo: Nhiệm kỳ 2020-2025"],
                [],
                ["STT", "Chỉ tiêu", "ĐVT", "Chỉ tiêu NQ", "Thực hiện", "So sánh"],
                [
                    1,
                    "Số mô hình Dân vận khéo",
                    "mô hình",
                    "≥ 3",
                    _value("period-nhiem-ky", s_period, "DV.MO_HINH_DVK", 4, 4),
                    _nothing("computed-so-sanh-ok", s_head, "DV.MO_HINH_DVK", "133%"),
                ],
            ],
            PHO_NHON[0],
            "2020-2025",
        )
    )
    plans.append(
        SheetPlan(
            "Phổ Ninh quý",
            [
                ["Đơn vị:", "Phường Phổ Ninh", None, "Thành phố:", "Đức Phổ"],
                ["Mã phường:", "21460"],
                ["Kỳ báo cáo:", "Quý 1 năm 2023"],
                [],
                ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "ĐVT", "Kế hoạch", "Thực hiện", "Ghi chú"],
                [
                    1,
                    "DV.Y_KIEN_NHAN",
                    _name("DV.Y_KIEN_NHAN"),
                    "ý kiến",
                    None,
                    _value("period-quarter-arabic", s_period, "DV.Y_KIEN_NHAN", 27, 27),
                ],
            ],
            PHO_NINH[0],
            "2023-Q1",
        )
    )
    plans.append(
        SheetPlan(
            "Phổ Minh giữa kỳ",
            [
                ["Đơn vị: Phường Phổ Minh", None, "Mã đơn vị: 21463"],
                ["Kỳ báo cáo: Giữa nhiệm kỳ 2020-2025"],
                [],
                ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "ĐVT", "Chỉ tiêu NQ", "Sơ kết"],
                [
                    1,
                    "VH.GD_VAN_HOA_TYLE",
                    _name("VH.GD_VAN_HOA_TYLE"),
                    "%",
                    "trên 80%",
                    _value(
                        "period-giua-nhiem-ky",
                        s_period,
                        "VH.GD_VAN_HOA_TYLE",
                        "86,2%",
                        86.2,
                    ),
                ],
            ],
            PHO_MINH[0],
            "2020-2025-MID",
        )
    )
    plans.append(
        SheetPlan(
            "Châu Ổ",
            [
                ["Thị trấn: Châu Ổ", None, "Huyện: Bình Sơn", None, "Tỉnh: Quảng Ngãi"],
                ["Kỳ báo cáo: Năm 2021"],
                [],
                ["STT", "Chỉ tiêu", "ĐVT", "Thực hiện"],
                [
                    1,
                    "Tỷ lệ lao động qua đào tạo",
                    "%",
                    _value("meta-thi-tran", s_meta, "VH.LD_DAO_TAO_TYLE", "62,4", 62.4),
                ],
            ],
            CHAU_O[0],
            "2021",
        )
    )
    return plans


def _skipped_plans() -> list[SheetPlan]:
    hidden = SheetPlan(
        "Nháp",
        [["Đơn vị: Phường Phổ Hòa"], ["Kỳ báo cáo: Năm 2022"], HEADER, [1, "VH.DAN_SO", "Dân số"]],
        PHO_HOA[0],
        "2022",
        hidden=True,
    )
    instructions = SheetPlan(
        "Hướng dẫn",
        [["Hướng dẫn điền biểu"], ["Ghi số liệu vào cột Thực hiện; không sửa mã chỉ tiêu."]],
        PHO_HOA[0],
        None,
    )
    return [hidden, instructions]


# ------------------------------------------------------------------ §1 containers


def _container_plan(sheet: str, ward: tuple[str, str], tag: str, percent_cell: bool) -> SheetPlan:
    """The same small table for every container; ``tag`` keeps case ids apart."""
    covers = f"§1 container {tag}"
    percent: Put = (
        _value(
            f"{tag}-percent-formatted", covers, "VH.BHYT_TYLE", 0.915, 91.5, percent_format="0.0%"
        )
        if percent_cell
        else _value(f"{tag}-percent", covers, "VH.BHYT_TYLE", "91,5", 91.5)
    )
    rows: list[list[object]] = [
        [f"ĐẢNG ỦY {ward[1].upper()}"],
        ["Đơn vị:", ward[1]],
        ["Mã đơn vị:", ward[0]],
        ["Kỳ báo cáo:", "Năm 2022"],
        HEADER,
        [1, "VH.BHYT_TYLE", _name("VH.BHYT_TYLE"), "%", "≥ 95%", percent],
        [
            2,
            "VH.DAN_SO",
            "Dân số",
            "người",
            None,
            _value(f"{tag}-thousands", covers, "VH.DAN_SO", "8.412", 8412),
        ],
        [
            3,
            None,
            "Tổng vốn đầu tư xây dựng kết cấu hạ tầng",
            "đồng",
            None,
            _value(f"{tag}-money", covers, "KT.VON_DAU_TU", "16 tỷ 434 triệu", 16_434_000_000),
        ],
        [
            4,
            "XD.DV_HOC_NQ",
            "Số đảng viên học tập nghị quyết",
            "người",
            None,
            _value(f"{tag}-noun", covers, "XD.DV_HOC_NQ", "98 đồng chí", 98),
        ],
        [
            5,
            "VH.HO_NGHEO",
            "Số hộ nghèo",
            "hộ",
            None,
            _value(f"{tag}-integer", covers, "VH.HO_NGHEO", 37, 37),
        ],
        ["(1) Số liệu ước tính"],
    ]
    return SheetPlan(sheet, rows, ward[0], "2022", merges=[(1, 1, 1, 4)])
