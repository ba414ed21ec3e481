"""Errors that carry a reason for the clerk, in Vietnamese first and then English."""

from __future__ import annotations


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
