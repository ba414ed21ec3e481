"""Feedback files for ward clerks: one self-contained HTML page per submission.

A clerk who sent a spreadsheet gets back a page saying whether it was received and, for
every problem, the sheet, the cell, the indicator and what was expected, Vietnamese
first and English second (the district's analysts read the English). When nothing is
wrong the page is a receipt. Pages hold no scripts, no external CSS and no links out,
so they can be e-mailed or opened from a shared folder without a network.

Everything that comes from a file (names, sheet titles, metadata, cell text echoed in
messages) is untrusted clerk text and is HTML-escaped. File names are built from the
submission id and a slug of the source path, so they never hold a path separator or
``..`` and are always written under the requested folder.

Usage after validation (the pipeline's wiring)::

    write_run_feedback(submissions, feedback_dir / run_id)
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flows.catalog import Catalog, load_catalog
from flows.submission import Issue, Submission

INDEX_NAME = "index.html"
MAX_SLUG_LENGTH = 60


@dataclass(frozen=True)
class Verdict:
    """What happened to a submission, in both languages, with a CSS class for colour."""

    key: str
    vi: str
    en: str


RECEIVED = Verdict("received", "Đã nhận", "Received")
RECEIVED_WITH_WARNINGS = Verdict(
    "received_with_warnings", "Đã nhận, có cảnh báo", "Received, with warnings"
)
REJECTED = Verdict("rejected", "Bị từ chối", "Rejected")

SEVERITY_LABELS = {
    "error": ("Lỗi", "Error"),
    "warning": ("Cảnh báo", "Warning"),
}

# What the clerk should do after a rejection of the whole submission, by rule. The
# reason itself already says what was wrong; this says how to get the report accepted.
REMEDIES: dict[str, tuple[str, str]] = {
    "unreadable_file": (
        "Mở tệp bằng Excel, lưu lại dưới dạng .xlsx (Excel Workbook) rồi gửi lại.",
        "Open the file in Excel, save it as .xlsx (Excel Workbook) and send it again.",
    ),
    "unit_unknown": (
        "Ghi đúng tên và mã 5 số của phường/xã (theo danh mục đơn vị hành chính) ở phần "
        "đầu biểu, rồi gửi lại.",
        "Write the ward's exact name and 5-digit code (from the administrative-unit list) "
        "at the top of the sheet, then send it again.",
    ),
    "unit_known": (
        "Ghi tên và mã 5 số của phường/xã ở dòng 'Đơn vị' và 'Mã đơn vị' đầu biểu, rồi gửi lại.",
        "Fill in the ward's name and 5-digit code in the 'Đơn vị' and 'Mã đơn vị' lines at the "
        "top of the sheet, then send it again.",
    ),
    "no_values": (
        "Nhập số liệu vào cột Thực hiện (hoặc cột năm) của bảng chỉ tiêu, rồi gửi lại.",
        "Enter the figures in the 'Thực hiện' (or year) column of the indicator table, "
        "then send it again.",
    ),
}
DEFAULT_REMEDY = (
    "Sửa nội dung nêu trên trong tệp rồi gửi lại toàn bộ tệp; báo cáo chưa được ghi nhận.",
    "Correct what is described above in the file and send the whole file again; the report "
    "has not been recorded.",
)
PERIOD_REMEDY = (
    "Ghi kỳ báo cáo ở dòng 'Kỳ báo cáo' đầu biểu, ví dụ 'Năm 2024', 'Quý I/2024', "
    "'Sơ kết giữa nhiệm kỳ 2020-2025', rồi gửi lại.",
    "Write the reporting period in the 'Kỳ báo cáo' line at the top of the sheet, e.g. "
    "'Năm 2024', 'Quý I/2024', 'Sơ kết giữa nhiệm kỳ 2020-2025', then send it again.",
)

STYLE = """
body { font-family: "Segoe UI", Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.5em; }
.en { color: #555; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
.verdict { font-size: 1.2em; font-weight: bold; padding: 0.4em 0.8em; display: inline-block; }
.verdict.received { background: #e3f4e3; }
.verdict.received_with_warnings { background: #fff4d6; }
.verdict.rejected { background: #fbe0e0; }
table { border-collapse: collapse; margin-top: 0.5em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
tr.error td.severity { color: #a00; font-weight: bold; }
tr.warning td.severity { color: #a60; }
.rejection { border: 2px solid #c33; padding: 0.5em 1em; margin-top: 1em; }
.receipt { border: 2px solid #3a3; padding: 0.5em 1em; margin-top: 1em; }
"""


def _e(value: object) -> str:
    """HTML-escape clerk text (quotes too, since some values go into attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def _bilingual(vi: str, en: str) -> str:
    """Vietnamese then English, the English visually secondary; both escaped."""
    return f'{_e(vi)} <span class="en">/ {_e(en)}</span>'


def verdict_of(submission: Submission) -> Verdict:
    """Rejected; received with something to check (value errors, warnings, unmatched rows);
    or received cleanly.

    Value errors do not reject the sheet (only the value), so a sheet with some is
    received, with warnings: the clerk must still correct those cells.
    """
    if submission.is_rejected:
        return REJECTED
    if submission.issues or submission.unmapped_rows:
        return RECEIVED_WITH_WARNINGS
    return RECEIVED


def _ascii_slug(text: str) -> str:
    """Lowercase ASCII slug: Vietnamese letters lose their marks (đ → d), anything else
    (path separators and dots included) becomes '-'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:MAX_SLUG_LENGTH].strip("-") or "file"


def feedback_file_name(submission: Submission) -> str:
    """``<submission id>_<slug of the source path>.html``: unique per submission, and made
    of ``[a-z0-9_-]`` only (plus the extension), so it can never leave the folder."""
    id_part = re.sub(r"[^a-z0-9]+", "-", submission.submission_id.lower()).strip("-") or "x"
    return f"{id_part}_{_ascii_slug(submission.file.relative_path)}.html"


def _safe_target(out_dir: Path, name: str) -> Path:
    """The file ``name`` directly under ``out_dir``; refuses anything that would escape."""
    root = out_dir.resolve()
    target = (root / name).resolve()
    if target.parent != root or "/" in name or "\\" in name or ".." in name:
        raise ValueError(f"unsafe feedback file name: {name!r}")
    return target


def _remedy(issue: Issue) -> tuple[str, str]:
    if issue.rule in REMEDIES:
        return REMEDIES[issue.rule]
    if "period" in issue.rule:
        return PERIOD_REMEDY
    return DEFAULT_REMEDY


def _indicator_name(catalog: Catalog | None, code: str | None) -> str:
    if not code or catalog is None:
        return ""
    indicator = catalog.get(code)
    return indicator.name_vi if indicator is not None else ""


def _unit_cell(unit_key: str | None, unit_written: str | None) -> str:
    """The resolved unit key, then the name as written on the sheet (which may differ)."""
    resolved = _e(unit_key) if unit_key else _bilingual("không xác định được", "not identified")
    if unit_written:
        return f"{resolved} — {_bilingual('ghi trên biểu', 'written on the sheet')}: " + _e(
            unit_written
        )
    return resolved


def _header(submission: Submission, verdict: Verdict) -> list[str]:
    sheet = submission.source_sheet
    unit_written = submission.unit_name_text
    rows = [
        (("Tệp", "File"), _e(submission.file.relative_path)),
        (
            ("Trang tính", "Sheet"),
            _e(sheet) if sheet is not None else _bilingual("(cả tệp)", "(whole file)"),
        ),
        (
            ("Đơn vị", "Unit"),
            _unit_cell(submission.unit_key, unit_written),
        ),
        (
            ("Kỳ báo cáo", "Period"),
            _e(submission.period_code)
            if submission.period_code
            else _bilingual("không xác định được", "not identified"),
        ),
        (
            ("Ngày báo cáo", "Report date"),
            _e(submission.report_date.strftime("%d/%m/%Y")) if submission.report_date else "—",
        ),
        (
            ("Ngày nhận", "Received"),
            _e(submission.file.received_at.strftime("%d/%m/%Y %H:%M")),
        ),
        (("Mã tiếp nhận", "Submission id"), _e(submission.submission_id)),
        (("Số giá trị đã nhận", "Values accepted"), _e(len(submission.observations))),
    ]
    lines = ['<dl class="meta">']
    for (vi, en), value in rows:
        lines.append(f"<dt>{_bilingual(vi, en)}</dt><dd>{value}</dd>")
    lines.append("</dl>")
    lines.append(
        f"<p>{_bilingual('Kết quả', 'Outcome')}: "
        f'<span class="verdict {verdict.key}">{_bilingual(verdict.vi, verdict.en)}</span></p>'
    )
    return lines


def _metadata_block(submission: Submission) -> list[str]:
    """The identity lines exactly as the clerk wrote them (label and value, both clerk
    text), so they can see what the parser read."""
    if not submission.metadata:
        return []
    lines = [
        f"<h2>{_bilingual('Thông tin ghi trên biểu', 'As written on the sheet')}</h2>",
        '<dl class="meta">',
    ]
    for label, value in submission.metadata.items():
        lines.append(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>")
    lines.append("</dl>")
    return lines


def _rejection_block(rejection: Issue) -> list[str]:
    remedy_vi, remedy_en = _remedy(rejection)
    return [
        '<div class="rejection">',
        f"<h2>{_bilingual('Báo cáo bị từ chối', 'The report was rejected')}</h2>",
        f"<p><strong>Lý do:</strong> {_e(rejection.message_vi)}</p>",
        f'<p class="en"><strong>Reason:</strong> {_e(rejection.message_en)}</p>',
        f"<p><strong>Cần làm:</strong> {_e(remedy_vi)}</p>",
        f'<p class="en"><strong>What to do:</strong> {_e(remedy_en)}</p>',
        "</div>",
    ]


def _issues_table(submission: Submission, catalog: Catalog | None) -> list[str]:
    issues = [issue for issue in submission.issues if issue is not submission.rejection]
    if not issues:
        return []
    headers = [
        ("Mức độ", "Severity"),
        ("Trang tính", "Sheet"),
        ("Ô", "Cell"),
        ("Mã chỉ tiêu", "Indicator"),
        ("Tên chỉ tiêu", "Indicator name"),
        ("Kỳ", "Period"),
        ("Nội dung (tiếng Việt)", "Message (Vietnamese)"),
        ("Nội dung (tiếng Anh)", "Message (English)"),
    ]
    lines = [
        f"<h2>{_bilingual('Các vấn đề cần xem lại', 'Problems to review')} ({len(issues)})</h2>",
        "<table>",
        "<thead><tr>" + "".join(f"<th>{_bilingual(vi, en)}</th>" for vi, en in headers),
        "</tr></thead>",
        "<tbody>",
    ]
    # Errors first, then by cell, so the clerk works down the sheet.
    ordered = sorted(
        issues, key=lambda i: (i.severity != "error", _cell_order(i.source_cell), i.rule)
    )
    for issue in ordered:
        severity_vi, severity_en = SEVERITY_LABELS.get(issue.severity, (issue.severity,) * 2)
        cells = [
            f'<td class="severity">{_bilingual(severity_vi, severity_en)}</td>',
            f"<td>{_e(submission.source_sheet or '—')}</td>",
            f"<td>{_e(issue.source_cell or '—')}</td>",
            f"<td>{_e(issue.indicator_code or '—')}</td>",
            f"<td>{_e(_indicator_name(catalog, issue.indicator_code))}</td>",
            f"<td>{_e(issue.period_code or '')}</td>",
            f'<td lang="vi">{_e(issue.message_vi)}</td>',
            f'<td lang="en" class="en">{_e(issue.message_en)}</td>',
        ]
        lines.append(f'<tr class="{_e(issue.severity)}">' + "".join(cells) + "</tr>")
    lines += ["</tbody>", "</table>"]
    return lines


def _cell_order(cell: str | None) -> tuple[int, int, str]:
    """Row, then column, of an address like ``F12``; cells without address go last."""
    match = re.fullmatch(r"([A-Za-z]+)(\d+)", cell or "")
    if not match:
        return (1 << 30, 0, cell or "")
    column = 0
    for letter in match.group(1).upper():
        column = column * 26 + ord(letter) - 64
    return (int(match.group(2)), column, "")


def _unmapped_table(submission: Submission) -> list[str]:
    if not submission.unmapped_rows:
        return []
    lines = [
        "<h2>"
        + _bilingual(
            "Dòng không khớp chỉ tiêu nào trong danh mục",
            "Rows that matched no catalog indicator",
        )
        + "</h2>",
        "<p>"
        + _bilingual(
            "Số liệu ở các dòng này chưa được ghi nhận; hãy ghi mã chỉ tiêu hoặc tên chỉ tiêu "
            "đúng như trong danh mục.",
            "These rows' figures were not recorded; write the indicator code or its name "
            "as in the catalog.",
        )
        + "</p>",
        "<table>",
        "<thead><tr>"
        + "".join(
            f"<th>{_bilingual(vi, en)}</th>"
            for vi, en in (
                ("Trang tính", "Sheet"),
                ("Dòng", "Row"),
                ("Mã ghi trên biểu", "Code as written"),
                ("Tên ghi trên biểu", "Name as written"),
            )
        )
        + "</tr></thead>",
        "<tbody>",
    ]
    for row in submission.unmapped_rows:
        lines.append(
            f"<tr><td>{_e(submission.source_sheet or '—')}</td><td>{_e(row.source_row)}</td>"
            f"<td>{_e(row.code_text or '')}</td><td>{_e(row.name_text or '')}</td></tr>"
        )
    lines += ["</tbody>", "</table>"]
    return lines


def _receipt_block() -> list[str]:
    return [
        '<div class="receipt">',
        "<p>Không có lỗi hay cảnh báo nào: báo cáo đã được nhận đầy đủ. "
        "Phiếu này là giấy xác nhận đã nhận báo cáo.</p>",
        '<p class="en">No errors or warnings: the report was received in full. '
        "This page is the receipt.</p>",
        "</div>",
    ]


def _page(title_vi: str, title_en: str, body: list[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="vi">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title_vi)} / {_e(title_en)}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            f"<h1>{_bilingual(title_vi, title_en)}</h1>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def render_feedback(submission: Submission, catalog: Catalog | None = None) -> str:
    """The feedback page of one submission, as HTML text."""
    verdict = verdict_of(submission)
    body = _header(submission, verdict)
    if submission.rejection is not None:
        body += _rejection_block(submission.rejection)
    body += _issues_table(submission, catalog)
    body += _unmapped_table(submission)
    if verdict is RECEIVED:
        body += _receipt_block()
    body += _metadata_block(submission)
    return _page("Phản hồi về báo cáo chỉ tiêu", "Feedback on the indicator report", body)


def write_feedback(submission: Submission, out_dir: Path, catalog: Catalog | None = None) -> Path:
    """Write the feedback page of ``submission`` under ``out_dir``; return its path.

    ``catalog`` names the indicators of the problems (default: the project catalog).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = _safe_target(out_dir, feedback_file_name(submission))
    page = render_feedback(submission, catalog if catalog is not None else load_catalog())
    target.write_text(page, encoding="utf-8")
    return target


def render_index(submissions: list[Submission], names: list[str]) -> str:
    """The run's index: every submission with its verdict and a link to its page."""
    verdicts = [verdict_of(s) for s in submissions]
    counts = {
        v.key: sum(x.key == v.key for x in verdicts)
        for v in (RECEIVED, RECEIVED_WITH_WARNINGS, REJECTED)
    }
    summary = "; ".join(
        f"{v.vi} / {v.en}: {counts[v.key]}" for v in (RECEIVED, RECEIVED_WITH_WARNINGS, REJECTED)
    )
    headers = [
        ("Tệp", "File"),
        ("Trang tính", "Sheet"),
        ("Đơn vị", "Unit"),
        ("Kỳ", "Period"),
        ("Kết quả", "Outcome"),
        ("Lỗi", "Errors"),
        ("Cảnh báo", "Warnings"),
        ("Phản hồi", "Feedback"),
    ]
    lines = [
        f"<p>{_e(summary)}</p>",
        "<table>",
        "<thead><tr>" + "".join(f"<th>{_bilingual(vi, en)}</th>" for vi, en in headers),
        "</tr></thead>",
        "<tbody>",
    ]
    for submission, verdict, name in zip(submissions, verdicts, names, strict=True):
        unit = submission.unit_key or submission.unit_name_text or "—"
        lines.append(
            f'<tr class="{verdict.key}">'
            f"<td>{_e(submission.file.relative_path)}</td>"
            f"<td>{_e(submission.source_sheet or '—')}</td>"
            f"<td>{_e(unit)}</td>"
            f"<td>{_e(submission.period_code or '—')}</td>"
            f'<td><span class="verdict {verdict.key}">{_bilingual(verdict.vi, verdict.en)}'
            "</span></td>"
            f"<td>{submission.n_errors}</td>"
            f"<td>{submission.n_warnings}</td>"
            f'<td><a href="{_e(quote(name))}">{_bilingual("Xem", "Open")}</a></td>'
            "</tr>"
        )
    lines += ["</tbody>", "</table>"]
    return _page("Phản hồi các báo cáo đã nhận", "Feedback on the reports received", lines)


def write_run_feedback(submissions: Iterable[Submission], out_dir: Path) -> list[Path]:
    """Write one feedback page per submission and ``index.html`` under ``out_dir``.

    Returns the submissions' pages, in the order given (the index is beside them).
    """
    out_dir = Path(out_dir)
    submissions = list(submissions)
    catalog = load_catalog()
    paths = [write_feedback(submission, out_dir, catalog) for submission in submissions]
    index = _safe_target(out_dir, INDEX_NAME)
    index.write_text(render_index(submissions, [p.name for p in paths]), encoding="utf-8")
    return paths
