"""Errors that carry a reason for the clerk, in Vietnamese first and then English.

Besides a file that cannot be read (:class:`UnreadableFile`), two reasons belong to the
reader rather than to the file: an internal error (a bug met while reading one file,
:func:`internal_error_reason`) and a file that needed more memory or time than one file
may take (:func:`reader_limit_reason`). Each rejects that file only; the night goes on.
"""

from __future__ import annotations

# How much of an internal error's message a reason quotes.
_DETAIL_CHARS = 200


class UnreadableFile(Exception):
    """A file that cannot be read as a workbook; the reason is bilingual, Vietnamese first."""

    def __init__(self, reason_vi: str, reason_en: str) -> None:
        super().__init__(f"{reason_vi} / {reason_en}")
        self.reason_vi = reason_vi
        self.reason_en = reason_en

    @property
    def reason(self) -> str:
        """Both languages in one text, Vietnamese first."""
        return f"{self.reason_vi} / {self.reason_en}"


def damaged_file() -> UnreadableFile:
    """The reason given for any file whose bytes are not a readable workbook."""
    return UnreadableFile(
        "Tệp bị hỏng hoặc không phải bảng tính Excel; hãy lưu lại bằng Excel (.xlsx) và gửi lại.",
        "The file is damaged or not an Excel workbook; save it again as .xlsx and resend.",
    )


def internal_error_reason(kind: str, message: str) -> tuple[str, str]:
    """(Vietnamese, English) reason for a file the reader failed on with an internal error.

    ``kind`` names what failed (an exception type, or the reader's process), ``message``
    says how; it is quoted on one line and cut to a couple of hundred characters.
    """
    detail = " ".join(f"{kind}: {message}".split())
    if len(detail) > _DETAIL_CHARS:
        detail = detail[: _DETAIL_CHARS - 1] + "…"
    return (
        f"Lỗi nội bộ của kho dữ liệu khi đọc tệp ({detail}); tệp chưa được ghi nhận. Đây không "
        "phải lỗi của người lập biểu: hãy báo cho bộ phận quản trị kho dữ liệu, gửi kèm tệp và "
        "thông báo này.",
        f"Internal error of the warehouse while reading the file ({detail}); the file has not "
        "been recorded. This is not the clerk's fault: please report it to the warehouse's "
        "administrators, with the file and this message.",
    )


def reader_limit_reason(
    memory_bytes: int, cpu_seconds: int, cause_vi: str, cause_en: str
) -> tuple[str, str]:
    """(Vietnamese, English) reason for a file that needed more than one file may take.

    ``memory_bytes`` and ``cpu_seconds`` are a parse worker's limits; the cause says which
    one stopped the reader (``hết thời gian CPU`` / ``it ran out of CPU time``).
    """
    memory_mb = memory_bytes // (1024 * 1024)
    return (
        f"Đọc tệp cần nhiều bộ nhớ hoặc thời gian hơn mức một tệp được dùng "
        f"({vi_number(memory_mb)} MB bộ nhớ, {vi_number(cpu_seconds)} giây CPU; {cause_vi}); tệp "
        "chưa được ghi nhận. Hãy mở tệp bằng Excel, xóa các dòng và cột trống thừa (hoặc chỉ giữ "
        "trang biểu chỉ tiêu), lưu lại dạng .xlsx rồi gửi lại.",
        f"Reading the file needed more memory or time than one file may take ({memory_mb:,} MB "
        f"of memory, {cpu_seconds:,} s of CPU time; {cause_en}); the file has not been recorded. "
        "Open it in Excel, delete the surplus empty rows and columns (or keep only the indicator "
        "sheet), save it as .xlsx and resend.",
    )


def vi_number(number: int) -> str:
    """A whole number as Vietnamese writes it, thousands grouped by dots: ``32.767``."""
    return f"{number:,}".replace(",", ".")


def no_table_reason(looked_at: list[str], sheets: list[tuple[str, str]]) -> tuple[str, str]:
    """(Vietnamese, English) reason for a file with no indicator table on any visible sheet.

    ``looked_at`` names the sheets passed over (visible and hidden); ``sheets`` says, for
    each visible one, which row came closest to a header and what it lacked
    (:func:`flows.reading.table.missing_table_reason`), so that a clerk knows what to fix
    and a curator which header spelling to add.
    """
    names = ", ".join(looked_at) or "—"
    nearly_vi = "".join(f" {vi}." for vi, _ in sheets)
    nearly_en = "".join(f" {en}." for _, en in sheets)
    return (
        f"Không tìm thấy bảng chỉ tiêu trên trang tính nào đang hiện (đã xem: {names}).{nearly_vi}"
        " Bảng cần có dòng tiêu đề với cột tên chỉ tiêu và cột kết quả hay chỉ tiêu NQ, ví dụ "
        "'STT | Chỉ tiêu | ĐVT | Chỉ tiêu NQ | Thực hiện'; hãy đặt lại tên cột rồi gửi lại.",
        f"No indicator table found on any visible sheet (looked at: {names}).{nearly_en} The "
        "table needs a header row with an indicator-name column and a value or target column, "
        "e.g. 'STT | Chỉ tiêu | ĐVT | Chỉ tiêu NQ | Thực hiện'; rename the columns and resend.",
    )
