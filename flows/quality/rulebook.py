"""Every data-quality rule of chitieu, declared once, as data: its id, severity, scope, the
stage that checks it, what it means and what the clerk should do about it.

Where a rule lives:

- A rule about one file, sheet or value, checked while parsing or by a Great Expectations
  suite, is one :class:`QualityRule` of :data:`RULES`, below.
- A rule across the values of a submission (numerator ≤ denominator, a rate agrees with
  its parts, parts add up to their total) is a row of
  ``dbt_project/seeds/validation_rules.csv``, DHIS2 style. The rule that a poverty rate
  must match its households, for instance, is the row ``rate_poverty`` there
  (``VH.HO_NGHEO_TYLE ≈ 100 * VH.HO_NGHEO / VH.TONG_HO`` within 1 point).
  :func:`validation_rules` reads that file with the rules' own reader
  (:func:`flows.quality.cross_value.read_rules`; nothing is copied here) and refuses an id
  declared in both places; the gate checks those rules in its ``validation_rules`` suite.
  :func:`all_rules` gives both kinds as :class:`QualityRule`.

Who reads the rulebook: the suites (:mod:`flows.quality.suites`: each expectation's
severity, and its description as the notes GE Data Docs shows), the gate
(:mod:`flows.quality.validate`: the severity of the issues it raises) and the clerks'
feedback pages (:mod:`flows.quality.feedback`: what to do after a rejection). The rules
raised while parsing are declared here too (stage ``parse``): the reader takes their
severity from here. This module imports nothing from ``flows.reading``, so the reader can
import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flows.quality.cross_value import ValidationRule, read_rules
from flows.settings import VALIDATION_RULES_CSV

ERROR = "error"  # rejects the value, or the whole submission when its scope is wider
WARNING = "warning"  # the value is loaded, marked 'warning', and the clerk is told
SEVERITIES = (ERROR, WARNING)
# What a failure concerns: a whole file, one sheet's submission, or one value (cell).
SCOPES = ("file", "submission", "value")
PARSE = "parse"  # raised by the reader (flows/reading) while a file is parsed
GATE = "gate"  # checked by the gate itself once the suites have run (QualityGate.check)
SUITE_STAGES = ("submission_identity", "observation_values", "validation_rules", "value_outliers")
STAGES = (PARSE, *SUITE_STAGES, GATE)

PERIOD_REMEDY = (
    "Ghi kỳ báo cáo ở dòng 'Kỳ báo cáo' đầu biểu, ví dụ 'Năm 2024', 'Quý I/2024', "
    "'Sơ kết giữa nhiệm kỳ 2020-2025', rồi gửi lại.",
    "Write the reporting period in the 'Kỳ báo cáo' line at the top of the sheet, e.g. "
    "'Năm 2024', 'Quý I/2024', 'Sơ kết giữa nhiệm kỳ 2020-2025', then send it again.",
)
# What the clerk should do after a rejection by a rule without a remedy of its own.
DEFAULT_REMEDY = (
    "Sửa nội dung nêu trên trong tệp rồi gửi lại toàn bộ tệp; báo cáo chưa được ghi nhận.",
    "Correct what is described above in the file and send the whole file again; the report "
    "has not been recorded.",
)


@dataclass(frozen=True)
class QualityRule:
    """One quality rule: what it checks, how bad a failure is, and what to do about it.

    ``severity``: :data:`ERROR` or :data:`WARNING`. ``scope``: what a failure concerns,
    one of :data:`SCOPES`. ``stage``: :data:`PARSE`, the GE suite that checks it, or
    :data:`GATE`; ``also_checked_by``: other suites checking the same rule on another
    table (the value suite checks every value's period as the identity suite checks the
    sheet's). ``remedy``: what the clerk should do after a rejection by this rule,
    (Vietnamese, English), when there is something more specific than
    :data:`DEFAULT_REMEDY`; the reason itself already says what was wrong.
    """

    rule_id: str
    severity: str
    scope: str
    stage: str
    description_vi: str
    description_en: str
    remedy: tuple[str, str] | None = None
    also_checked_by: tuple[str, ...] = ()


RULES_DECLARED: tuple[QualityRule, ...] = (
    # ---------------------------------------------------------- parse (flows/reading)
    QualityRule(
        "unreadable_file",
        ERROR,
        "file",
        PARSE,
        "Tệp phải mở được thành bảng tính (không hỏng, không đặt mật khẩu, đúng loại tệp, "
        "không quá lớn) và có bảng chỉ tiêu trên ít nhất một trang tính đang hiện.",
        "The file must open as a workbook (not damaged, not password-protected, a supported "
        "type, not oversized) with an indicator table on at least one visible sheet.",
        remedy=(
            "Mở tệp bằng Excel, lưu lại dưới dạng .xlsx (Excel Workbook) rồi gửi lại. Nếu "
            "không tìm thấy bảng chỉ tiêu: đặt tên các cột của dòng tiêu đề như lý do nêu trên "
            "(ví dụ 'STT | Chỉ tiêu | ĐVT | Chỉ tiêu NQ | Thực hiện') rồi gửi lại.",
            "Open the file in Excel, save it as .xlsx (Excel Workbook) and send it again. If no "
            "indicator table was found: name the header row's columns as the reason above says "
            "(e.g. 'STT | Chỉ tiêu | ĐVT | Chỉ tiêu NQ | Thực hiện') and send it again.",
        ),
    ),
    QualityRule(
        "unit_unknown",
        ERROR,
        "submission",
        PARSE,
        "Tên và mã đơn vị ghi ở đầu biểu phải chỉ ra đúng một đơn vị hành chính trong danh mục.",
        "The unit name and code at the top of the sheet must point to exactly one "
        "administrative unit of the reference list.",
        remedy=(
            "Ghi đúng tên và mã 5 số của phường/xã (theo danh mục đơn vị hành chính) ở phần "
            "đầu biểu, rồi gửi lại.",
            "Write the ward's exact name and 5-digit code (from the administrative-unit list) "
            "at the top of the sheet, then send it again.",
        ),
    ),
    QualityRule(
        "period_unknown",
        ERROR,
        "value",
        PARSE,
        "Mỗi cột giá trị phải xác định được kỳ báo cáo (từ dòng 'Kỳ báo cáo' hoặc nhiệm kỳ); "
        "giá trị của cột không rõ kỳ không được đọc.",
        "Every value column must have a known period (from the 'Kỳ báo cáo' line or the "
        "term); the values of a column without one are not read.",
        remedy=PERIOD_REMEDY,
    ),
    QualityRule(
        "cell_error",
        ERROR,
        "value",
        PARSE,
        "Ô giá trị không được chứa lỗi công thức của Excel (#DIV/0!, #REF!, #VALUE!…); "
        "giá trị đó không được nhận.",
        "A value cell must not hold an Excel formula error (#DIV/0!, #REF!, #VALUE!…); "
        "such a value is not loaded.",
    ),
    QualityRule(
        "formula_without_value",
        ERROR,
        "value",
        PARSE,
        "Ô giá trị có công thức phải có kết quả đã được Excel tính và lưu trong tệp.",
        "A value cell holding a formula must carry the result Excel computed and saved.",
    ),
    QualityRule(
        "unparseable",
        ERROR,
        "value",
        PARSE,
        "Ô giá trị phải là một con số đọc được (ví dụ 91,5 hoặc 1.117.213.000), không phải "
        "chữ hay ngày tháng.",
        "A value cell must hold a readable number (such as 91,5 or 1.117.213.000), not text "
        "or a date.",
    ),
    QualityRule(
        "internal_error",
        ERROR,
        "file",
        PARSE,
        "Trình đọc của kho dữ liệu gặp lỗi nội bộ khi đọc tệp; tệp bị từ chối để các tệp khác "
        "vẫn được nhận.",
        "The warehouse's reader failed on the file with an internal error; the file is "
        "rejected so that the other files are still loaded.",
        remedy=(
            "Đây là lỗi của kho dữ liệu, không phải của người lập biểu: hãy báo cho bộ phận "
            "quản trị (gửi kèm tệp và nội dung thông báo này); báo cáo chưa được ghi nhận.",
            "This is a fault of the warehouse, not of the clerk: please report it to its "
            "administrators (with the file and this message); the report has not been recorded.",
        ),
    ),
    QualityRule(
        "reader_limit",
        ERROR,
        "file",
        PARSE,
        "Đọc một tệp không được dùng quá giới hạn bộ nhớ và thời gian của trình đọc.",
        "Reading one file must stay within the reader's memory and time limits.",
        remedy=(
            "Mở tệp bằng Excel, xóa các dòng và cột trống thừa (hoặc chỉ giữ trang biểu chỉ "
            "tiêu), lưu lại dưới dạng .xlsx rồi gửi lại.",
            "Open the file in Excel, delete the surplus empty rows and columns (or keep only "
            "the indicator sheet), save it as .xlsx and send it again.",
        ),
    ),
    QualityRule(
        "review_row",
        WARNING,
        "value",
        PARSE,
        "Mỗi dòng của bảng rà soát số liệu trích từ báo cáo phải giữ mã dòng, và giá trị hay kỳ "
        "sửa phải đọc được; một dòng không như vậy được ghi là không chấp nhận.",
        "Every row of a workbook reviewing the figures read from a report must keep its row "
        "id, and a corrected value or period must be readable; such a row is recorded as "
        "rejected.",
        remedy=(
            "Sửa dòng được nêu trong bảng rà soát (đánh 'x' và ghi giá trị hoặc kỳ đúng dạng, "
            "ví dụ '92,5' hay 'Năm 2022'), rồi gửi lại bảng.",
            "Correct the row named in the review workbook (put 'x' and write the value or "
            "period in a readable form, e.g. '92,5' or 'Năm 2022'), then send it again.",
        ),
    ),
    QualityRule(
        "clerk_computed_mismatch",
        WARNING,
        "value",
        PARSE,
        "Tỷ lệ phần trăm người lập biểu tự tính (trong ngoặc, hoặc ở cột So sánh / So với NQ) "
        "phải khớp với phép chia các số trên biểu, trong phạm vi làm tròn.",
        "A percent the clerk computed (in brackets, or in a 'So sánh' / 'So với NQ' column) "
        "must agree, within rounding, with the division of the sheet's own numbers.",
    ),
    QualityRule(
        "per_mille_in_percent_row",
        WARNING,
        "value",
        PARSE,
        "Chỉ tiêu tính theo phần trăm (%) không nên ghi theo phần nghìn (‰); giá trị vẫn "
        "được giữ với đơn vị ‰.",
        "A percent indicator should not be written per mille (‰); such a value is kept in ‰.",
    ),
    # ---------------------------------------------------------- submission_identity
    QualityRule(
        "unit_known",
        ERROR,
        "submission",
        "submission_identity",
        "Mỗi bảng chỉ tiêu phải xác định được đơn vị báo cáo.",
        "Every indicator table must have a known reporting unit.",
        remedy=(
            "Ghi tên và mã 5 số của phường/xã ở dòng 'Đơn vị' và 'Mã đơn vị' đầu biểu, rồi "
            "gửi lại.",
            "Fill in the ward's name and 5-digit code in the 'Đơn vị' and 'Mã đơn vị' lines at "
            "the top of the sheet, then send it again.",
        ),
    ),
    QualityRule(
        "period_known",
        ERROR,
        "submission",
        "submission_identity",
        "Mỗi bảng chỉ tiêu phải có kỳ báo cáo đọc được.",
        "Every indicator table must have a readable reporting period.",
        remedy=PERIOD_REMEDY,
    ),
    QualityRule(
        "period_valid",
        ERROR,
        "submission",
        "submission_identity",
        "Kỳ báo cáo phải là năm, quý, 6 tháng, nhiệm kỳ hoặc giữa nhiệm kỳ (2024, 2024-Q1, "
        "2024-H1, 2020-2025, 2020-2025-MID).",
        "A reporting period must be a year, quarter, half-year, term or mid-term (2024, "
        "2024-Q1, 2024-H1, 2020-2025, 2020-2025-MID).",
        remedy=PERIOD_REMEDY,
        also_checked_by=("observation_values",),
    ),
    # ---------------------------------------------------------- observation_values
    QualityRule(
        "indicator_known",
        ERROR,
        "value",
        "observation_values",
        "Mã chỉ tiêu phải có trong danh mục chỉ tiêu.",
        "The indicator code must be in the indicator catalog.",
    ),
    QualityRule(
        "qualifier_known",
        ERROR,
        "value",
        "observation_values",
        "Giá trị phải là số chính xác (=), cận dưới (>), cận trên (<) hoặc số ước chừng (~).",
        "A value must be exact (=), a lower bound (>), an upper bound (<) or approximate (~).",
    ),
    QualityRule(
        "whole_number",
        ERROR,
        "value",
        "observation_values",
        "Chỉ tiêu đếm (số người, số hộ…) và chỉ tiêu có/không phải là số nguyên.",
        "Counts (people, households…) and yes/no indicators must be whole numbers.",
    ),
    QualityRule(
        "in_range",
        ERROR,
        "value",
        "observation_values",
        "Giá trị phải nằm trong khoảng cho phép của chỉ tiêu theo danh mục (tỷ lệ phần trăm "
        "từ 0 đến 100 nếu danh mục không ghi khác).",
        "A value must lie within its indicator's range in the catalog (a percent within "
        "0–100 unless the catalog says otherwise).",
    ),
    # ---------------------------------------------------------- value_outliers
    QualityRule(
        "outlier_history",
        WARNING,
        "value",
        "value_outliers",
        "Giá trị khác thường so với các kỳ trước cùng loại của chính đơn vị (điểm z hiệu "
        "chỉnh ngoài ±3,5) được cảnh báo để kiểm tra lại; giá trị vẫn được nhận.",
        "A value unusual against the unit's own earlier periods of the same kind (modified "
        "z-score beyond ±3.5) is flagged for checking; the value is loaded.",
    ),
    QualityRule(
        "outlier_peers",
        WARNING,
        "value",
        "value_outliers",
        "Giá trị khác thường so với các đơn vị cùng huyện (phường/xã sau 2025: cùng tỉnh) "
        "trong cùng kỳ (điểm z hiệu chỉnh ngoài ±3,5) được cảnh báo để kiểm tra lại; giá "
        "trị vẫn được nhận.",
        "A value unusual against the other units of its district (a ward after 2025: of its "
        "province) in the same period (modified z-score beyond ±3.5) is flagged for "
        "checking; the value is loaded.",
    ),
    # ---------------------------------------------------------- the gate, after the suites
    QualityRule(
        "report_date_implausible",
        WARNING,
        "submission",
        GATE,
        "Ngày lập biểu không được ở tương lai (quá một ngày sau khi kho nhận tệp) hay trước kỳ "
        "báo cáo; một ngày như vậy không được dùng để chọn bản báo cáo mới nhất.",
        "The report date must not be in the future (more than a day after the warehouse "
        "received the file) or before the reporting period; such a date is not used to "
        "choose the latest version of a report.",
    ),
    QualityRule(
        "no_values",
        ERROR,
        "submission",
        GATE,
        "Bảng chỉ tiêu phải còn ít nhất một giá trị đọc được và hợp lệ.",
        "An indicator table must keep at least one readable, valid value.",
        remedy=(
            "Nhập số liệu vào cột Thực hiện (hoặc cột năm) của bảng chỉ tiêu, rồi gửi lại.",
            "Enter the figures in the 'Thực hiện' (or year) column of the indicator table, "
            "then send it again.",
        ),
    ),
)

# The rules declared in this module, by id (the cross-value rules: :func:`all_rules`).
RULES: dict[str, QualityRule] = {rule.rule_id: rule for rule in RULES_DECLARED}


class RulebookError(ValueError):
    """A rule declared twice, or a declaration out of the rulebook's vocabulary."""


def _check(rules: tuple[QualityRule, ...]) -> None:
    ids = [rule.rule_id for rule in rules]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise RulebookError(f"rules declared twice in the rulebook: {twice}")
    for rule in rules:
        stages = (rule.stage, *rule.also_checked_by)
        if (
            rule.severity not in SEVERITIES
            or rule.scope not in SCOPES
            or any(stage not in STAGES for stage in stages)
        ):
            raise RulebookError(f"rule {rule.rule_id}: unknown severity, scope or stage")


_check(RULES_DECLARED)


def validation_rules(path: Path | str = VALIDATION_RULES_CSV) -> list[ValidationRule]:
    """The cross-value rules of ``validation_rules.csv``, in file order, as the gate runs
    them; an id also declared in :data:`RULES` is refused."""
    rules = read_rules(path)
    both = sorted(rule.rule_id for rule in rules if rule.rule_id in RULES)
    if both:
        raise RulebookError(f"rules declared in both the rulebook and {path}: {both}")
    return rules


def as_quality_rule(rule: ValidationRule) -> QualityRule:
    """A row of ``validation_rules.csv`` as a rulebook entry: a value rule of its suite."""
    return QualityRule(
        rule.rule_id,
        rule.severity,
        "value",
        "validation_rules",
        rule.description_vi,
        rule.description_en,
    )


def all_rules(path: Path | str = VALIDATION_RULES_CSV) -> dict[str, QualityRule]:
    """Every quality rule by id: :data:`RULES`, then the rows of ``validation_rules.csv``."""
    return RULES | {rule.rule_id: as_quality_rule(rule) for rule in validation_rules(path)}


def severity(rule_id: str) -> str:
    """The severity of a rule declared in :data:`RULES` (KeyError for any other id)."""
    return RULES[rule_id].severity


def remedy(rule_id: str) -> tuple[str, str]:
    """What the clerk should do after a rejection by ``rule_id``: (Vietnamese, English).

    The rule's own remedy, else :data:`DEFAULT_REMEDY` (a cross-value rule never rejects
    a whole submission, and has none).
    """
    rule = RULES.get(rule_id)
    return rule.remedy if rule is not None and rule.remedy is not None else DEFAULT_REMEDY
