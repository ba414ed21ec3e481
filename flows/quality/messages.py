"""The bilingual messages of the gate: a failed value, a failed cross-value rule and an
outlier, each naming its cell, and an implausible report date, Vietnamese first, with
numbers and dates written as each language writes them.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from flows.quality import cross_value


def _number(value: float | None, lang: str) -> str:
    """``1.117.213.000`` / ``91,59`` in Vietnamese, ``1,117,213,000`` / ``91.59`` in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "…"
    text = f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.2f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _message(meta: dict, row: pd.Series) -> tuple[str, str]:
    """Bilingual explanation of one failed value, naming the cell."""
    cell = f"ô {row.source_cell}"
    cell_en = f"cell {row.source_cell}"
    shown = row.original_text if isinstance(row.original_text, str) else row.value
    rule = meta.get("rule")
    if rule == "in_range":
        bounds = f"{_fmt(meta.get('min'))}–{_fmt(meta.get('max'))}"
        return (
            f"{cell}: giá trị '{shown}' của chỉ tiêu {row.indicator_code} nằm ngoài khoảng "
            f"cho phép {bounds}.",
            f"{cell_en}: value '{shown}' of {row.indicator_code} is outside the allowed "
            f"range {bounds}.",
        )
    if rule == "whole_number":
        return (
            f"{cell}: chỉ tiêu {row.indicator_code} phải là số nguyên, nhận được '{shown}'.",
            f"{cell_en}: {row.indicator_code} must be a whole number, got '{shown}'.",
        )
    return (
        f"{cell}: giá trị '{shown}' không hợp lệ (quy tắc {rule}).",
        f"{cell_en}: value '{shown}' is not valid (rule {rule}).",
    )


def _fmt(bound: float | None) -> str:
    if bound is None:
        return "…"
    return f"{bound:g}"


def _cells(cells: list[str]) -> str:
    return ", ".join(cell for cell in cells if cell) or "—"


def _rule_message(
    rule: cross_value.ValidationRule,
    left: float,
    right: float,
    left_cells: list[str],
    right_cells: list[str],
) -> tuple[str, str]:
    """Both sides of a failed rule, with their values and cells, then what happened to the
    values and what the clerk should do, Vietnamese first."""
    lc, rc = _cells(left_cells), _cells(right_cells)
    left_text, right_text, rule_text = (
        rule.left.display(),
        rule.right.display(),
        rule.describe(for_message=True),
    )
    remedy_vi, remedy_en = _rule_remedy(rule, lc, rc)
    return (
        f"ô {lc}: {rule.description_vi}; nhận được {left_text} = {_number(left, 'vi')} "
        f"(ô {lc}) và {right_text} = {_number(right, 'vi')} (ô {rc}) "
        f"[quy tắc {rule.rule_id}: {rule_text}]. {remedy_vi}",
        f"cell {lc}: {rule.description_en}; got {left_text} = {_number(left, 'en')} "
        f"(cell {lc}) and {right_text} = {_number(right, 'en')} (cell {rc}) "
        f"[rule {rule.rule_id}: {rule_text}]. {remedy_en}",
    )


def _rule_remedy(rule: cross_value.ValidationRule, lc: str, rc: str) -> tuple[str, str]:
    """What became of the values a failed rule names, and what the clerk should do.

    A warning keeps every value, since either side may be the wrong one: the clerk is told
    to check the cells of both sides, not which one to change.
    """
    if rule.severity == "error":
        return (
            f"Giá trị ở ô {lc} không được nhận; hãy sửa lại cho khớp rồi gửi lại tệp.",
            f"The value in cell {lc} is not loaded; correct it and send the file again.",
        )
    return (
        f"Các giá trị vẫn được nhận, có đánh dấu cảnh báo; hãy kiểm tra ô {lc} và ô {rc}, "
        "nếu có số sai thì sửa lại rồi gửi lại tệp.",
        f"The values are loaded, marked as warnings; check cells {lc} and {rc}, and if a "
        "figure is wrong, correct it and send the file again.",
    )


def _outlier_message(rule: str, row) -> tuple[str, str]:
    """Why a value looks unusual, with the range expected from its reference values."""
    prefix = "history" if rule == "outlier_history" else "peer"
    median, n = getattr(row, f"{prefix}_median"), int(getattr(row, f"{prefix}_n"))
    low, high = getattr(row, f"{prefix}_low"), getattr(row, f"{prefix}_high")
    vi_range = f"{_number(low, 'vi')} – {_number(high, 'vi')}"
    en_range = f"{_number(low, 'en')} – {_number(high, 'en')}"
    if prefix == "history":
        against_vi = f"các kỳ trước của chính đơn vị (trung vị {_number(median, 'vi')}, {n} kỳ)"
        against_en = f"the unit's own earlier periods (median {_number(median, 'en')}, {n} periods)"
    else:
        against_vi = (
            f"các đơn vị cùng huyện/tỉnh trong kỳ {row.period_code} "
            f"(trung vị {_number(median, 'vi')}, {n} đơn vị)"
        )
        against_en = (
            f"units of the same district/province in {row.period_code} "
            f"(median {_number(median, 'en')}, {n} units)"
        )
    return (
        f"ô {row.source_cell}: giá trị {_number(row.value, 'vi')} của chỉ tiêu "
        f"{row.indicator_code} khác thường so với {against_vi}; khoảng dự kiến {vi_range}. "
        "Đề nghị kiểm tra lại.",
        f"cell {row.source_cell}: value {_number(row.value, 'en')} of {row.indicator_code} is "
        f"unusual against {against_en}; expected range {en_range}. Please check it.",
    )


_NOT_USED = (
    "ngày này không được dùng để chọn bản báo cáo mới nhất.",
    "this date is not used to choose the latest version of the report.",
)


def _future_report_date_message(written: str, received: date) -> tuple[str, str]:
    """A report date more than a day after the warehouse received the file."""
    return (
        f"Ngày lập biểu '{written}' ở sau ngày kho nhận tệp ({received:%d/%m/%Y}) quá một "
        f"ngày; {_NOT_USED[0]}",
        f"The report date '{written}' is more than a day after the warehouse received the "
        f"file ({received.isoformat()}); {_NOT_USED[1]}",
    )


def _early_report_date_message(written: str, period_code: str, start: date) -> tuple[str, str]:
    """A report date before the first day of the reporting period."""
    return (
        f"Ngày lập biểu '{written}' ở trước kỳ báo cáo {period_code} (bắt đầu ngày "
        f"{start:%d/%m/%Y}); {_NOT_USED[0]}",
        f"The report date '{written}' is before the reporting period {period_code} (which "
        f"begins on {start.isoformat()}); {_NOT_USED[1]}",
    )
