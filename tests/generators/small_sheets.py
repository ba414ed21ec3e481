"""Small workbooks written cell by cell for the reading tests, and a lookup of what they read.

The standard header and metadata block of the submission spec (§2), so each test writes
only the rows it is about.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from flows.reading.rows import ParsedSheet

HEADER = ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "ĐVT", "Chỉ tiêu NQ", "Thực hiện", "Ghi chú"]
METADATA = [
    ["Đơn vị: Phường Phổ Hòa"],
    ["Mã đơn vị:", None, "21469"],
    ["Kỳ báo cáo: Năm 2024"],
    [],
]


def save_sheet(path: Path, rows: list[list], origin: tuple[int, int] = (1, 1)) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.cell(row=origin[0] + r, column=origin[1] + c, value=value)
    workbook.save(path)
    return path


def one_observation(sheet: ParsedSheet, indicator_code: str, period_code: str):
    found = [
        o
        for o in sheet.observations
        if o.indicator_code == indicator_code and o.period_code == period_code
    ]
    assert len(found) == 1, (indicator_code, period_code, found)
    return found[0]
