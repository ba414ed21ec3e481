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

A night writes thousands of pages (one per new submission), so the fixed parts of a page
are built once, clerk text that repeats from page to page (sheet titles, metadata labels,
province names) is escaped once per run, and the pages are written into one folder
opened once (see :class:`_PageFolder`).

Usage after validation (the pipeline's wiring)::

    write_run_feedback(submissions, feedback_dir / run_id)
"""

from __future__ import annotations

import errno
import html
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

from flows.domain.catalog import Catalog, load_catalog
from flows.quality import rulebook
from flows.reading.submission import Issue, Submission

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


@dataclass(frozen=True)
class ValueCounts:
    """A submission's values: read from the sheet, loaded, loaded with a warning, and
    rejected by the gate (read = loaded + rejected; none is loaded from a rejected sheet)."""

    read: int
    loaded: int
    with_warnings: int
    rejected: int


def value_counts(submission: Submission) -> ValueCounts:
    """What became of the values the reader read from ``submission``.

    The gate removes the values it rejects from the submission, leaving an error naming
    each one's indicator, period and cell: those are the values read but not kept. Errors
    raised while parsing (a ``#REF!`` cell, text where a number was due) concern cells that
    never became values, and are not counted.
    """
    kept = len(submission.observations)
    rejected_keys: set[tuple] = set()
    warned_keys: set[tuple] = set()
    for issue in submission.issues:
        if not (issue.indicator_code and issue.source_cell):
            continue
        key = (issue.indicator_code, issue.period_code or "", issue.source_cell)
        if issue.severity == "warning":
            warned_keys.add(key)
        elif issue.severity == "error" and _raised_by_gate(issue.rule):
            rejected_keys.add(key)
    if rejected_keys or warned_keys:
        # Built only for sheets with value problems: most pages need no key of their own.
        kept_keys = {
            (obs.indicator_code, obs.period_code or "", obs.source_cell)
            for obs in submission.observations
        }
        rejected_keys -= kept_keys
        warned_keys &= kept_keys
    read = kept + len(rejected_keys)
    if submission.is_rejected:
        return ValueCounts(read, 0, 0, read)
    return ValueCounts(read, kept, len(warned_keys), len(rejected_keys))


def _raised_by_gate(rule_id: str) -> bool:
    """Whether a rule is checked after parsing (every rule but the reader's own)."""
    rule = rulebook.RULES.get(rule_id)
    return rule is None or rule.stage != rulebook.PARSE


def _loaded_text(submission: Submission, counts: ValueCounts) -> str:
    """How many values were loaded, with warnings and rejected; or that none was."""
    if submission.is_rejected:
        return _NONE_LOADED
    warned, rejected = counts.with_warnings, counts.rejected
    return f"{counts.loaded} — " + _bilingual(
        f"có cảnh báo: {warned}; bị từ chối: {rejected}",
        f"with warnings: {warned}; rejected: {rejected}",
    )


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _ascii_slug(text: str) -> str:
    """Lowercase ASCII slug: Vietnamese letters lose their marks (đ → d), anything else
    (path separators and dots included) becomes '-'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    slug = _NOT_SLUG.sub("-", ascii_text).strip("-")
    return slug[:MAX_SLUG_LENGTH].strip("-") or "file"


def feedback_file_name(submission: Submission) -> str:
    """``<submission id>_<slug of the source path>.html``: unique per submission, and made
    of ``[a-z0-9_-]`` only (plus the extension), so it can never leave the folder."""
    id_part = _NOT_SLUG.sub("-", submission.submission_id.lower()).strip("-") or "x"
    return f"{id_part}_{_ascii_slug(submission.file.relative_path)}.html"


def _safe_target(out_dir: Path, name: str) -> Path:
    """The file ``name`` directly under ``out_dir``; refuses anything that would escape."""
    root = out_dir.resolve()
    target = (root / name).resolve()
    if target.parent != root or "/" in name or "\\" in name or ".." in name:
        raise ValueError(f"unsafe feedback file name: {name!r}")
    return target


# What feedback_file_name and INDEX_NAME produce: one plain name, no separator, no "..".
_PLAIN_PAGE_NAME = re.compile(r"[a-z0-9_-]+\.html")

# Create or truncate, never through a symbolic link (O_NOFOLLOW), never inherited.
_WRITE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_TRUNC
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
# Writing relative to an open folder needs dir_fd and O_NOFOLLOW (POSIX); elsewhere every
# page takes the checked path of _safe_target and Path.write_text.
_DIRECT_WRITES = os.name == "posix" and os.open in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW")


class _PageFolder:
    """The feedback folder, created, resolved and opened once for all the pages of a run.

    A page whose name is a plain ``[a-z0-9_-]+.html`` is opened relative to the open
    folder with ``O_NOFOLLOW``: it is created in that very folder, whatever happens to the
    folder's path meanwhile, and never through a symbolic link. Anything else (a name
    that is not plain, a symbolic link already standing at the name, a platform without
    ``dir_fd``) goes through :func:`_safe_target` and ``write_text`` exactly as one page
    alone would, so the result and the refusals are the same either way.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.root = self.out_dir.resolve()
        self._dir_fd: int | None = None
        if _DIRECT_WRITES:
            self._dir_fd = os.open(
                self.root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
            )

    def __enter__(self) -> _PageFolder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._dir_fd is not None:
            os.close(self._dir_fd)
            self._dir_fd = None

    def write(self, name: str, page: str) -> Path:
        """Write ``page`` (UTF-8) as ``name`` directly in the folder; return its path."""
        if self._dir_fd is not None and _PLAIN_PAGE_NAME.fullmatch(name):
            data = page.encode("utf-8")
            try:
                fd = os.open(name, _WRITE_FLAGS, 0o666, dir_fd=self._dir_fd)
            except OSError as error:
                if error.errno != errno.ELOOP:  # ELOOP: a symbolic link stands there
                    raise
            else:
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                finally:
                    os.close(fd)
                return self.root / name
        target = _safe_target(self.out_dir, name)
        target.write_text(page, encoding="utf-8")
        return target


def _remedy(issue: Issue) -> tuple[str, str]:
    """What the clerk should do after this rejection: the rulebook's remedy for its rule.

    The reason itself already says what was wrong; this says how to get the report accepted.
    """
    return rulebook.remedy(issue.rule)


_CELL_ADDRESS = re.compile(r"([A-Za-z]+)(\d+)")


def _cell_order(cell: str | None) -> tuple[int, int, str]:
    """Row, then column, of an address like ``F12``; cells without address go last."""
    match = _CELL_ADDRESS.fullmatch(cell or "")
    if not match:
        return (1 << 30, 0, cell or "")
    column = 0
    for letter in match.group(1).upper():
        column = column * 26 + ord(letter) - 64
    return (int(match.group(2)), column, "")


def _page_frame(title_vi: str, title_en: str) -> tuple[str, str]:
    """What comes before and after the body lines of a page with this title."""
    head = "\n".join(
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
            "",
        ]
    )
    return head, "\n</body>\n</html>\n"


def _table_head(headers: Iterable[tuple[str, str]], row_end_on_own_line: bool = True) -> str:
    """``<table>`` to ``<tbody>``, with a bilingual header cell per (vi, en) pair."""
    cells = "".join(f"<th>{_bilingual(vi, en)}</th>" for vi, en in headers)
    row_end = "\n</tr></thead>" if row_end_on_own_line else "</tr></thead>"
    return f"<table>\n<thead><tr>{cells}{row_end}\n<tbody>"


# The fixed parts of the pages, built once. A body entry may hold several lines: the
# body is joined with newlines, so the bytes are those of one entry per line.
_FEEDBACK_FRAME = _page_frame("Phản hồi về báo cáo chỉ tiêu", "Feedback on the indicator report")
_INDEX_FRAME = _page_frame("Phản hồi các báo cáo đã nhận", "Feedback on the reports received")
_NOT_IDENTIFIED = _bilingual("không xác định được", "not identified")
_WHOLE_FILE = _bilingual("(cả tệp)", "(whole file)")
_WRITTEN_ON_SHEET = f" — {_bilingual('ghi trên biểu', 'written on the sheet')}: "
_HEADER_LABELS = [
    f"<dt>{_bilingual(vi, en)}</dt><dd>"
    for vi, en in (
        ("Tệp", "File"),
        ("Trang tính", "Sheet"),
        ("Đơn vị", "Unit"),
        ("Kỳ báo cáo", "Period"),
        ("Ngày báo cáo", "Report date"),
        ("Ngày nhận", "Received"),
        ("Mã tiếp nhận", "Submission id"),
        ("Số giá trị đọc được", "Values read"),
        ("Số giá trị đã nạp", "Values loaded"),
    )
]
_NONE_LOADED = _bilingual("Không giá trị nào được nạp", "None was loaded")
_VERDICT_SPANS = {
    v.key: f'<span class="verdict {v.key}">{_bilingual(v.vi, v.en)}</span>'
    for v in (RECEIVED, RECEIVED_WITH_WARNINGS, REJECTED)
}
_OUTCOME_LINES = {
    key: f"<p>{_bilingual('Kết quả', 'Outcome')}: {span}</p>"
    for key, span in _VERDICT_SPANS.items()
}
_RECEIPT_BLOCK = "\n".join(
    [
        '<div class="receipt">',
        "<p>Không có lỗi hay cảnh báo nào: báo cáo đã được nhận đầy đủ. "
        "Phiếu này là giấy xác nhận đã nhận báo cáo.</p>",
        '<p class="en">No errors or warnings: the report was received in full. '
        "This page is the receipt.</p>",
        "</div>",
    ]
)
_METADATA_HEADING = (
    f"<h2>{_bilingual('Thông tin ghi trên biểu', 'As written on the sheet')}</h2>\n"
    '<dl class="meta">'
)
_ISSUES_HEADING = _bilingual("Các vấn đề cần xem lại", "Problems to review")
_ISSUES_TABLE_HEAD = _table_head(
    [
        ("Mức độ", "Severity"),
        ("Trang tính", "Sheet"),
        ("Ô", "Cell"),
        ("Mã chỉ tiêu", "Indicator"),
        ("Tên chỉ tiêu", "Indicator name"),
        ("Kỳ", "Period"),
        ("Nội dung (tiếng Việt)", "Message (Vietnamese)"),
        ("Nội dung (tiếng Anh)", "Message (English)"),
    ]
)
_SEVERITY_CELLS = {
    severity: f'<td class="severity">{_bilingual(vi, en)}</td>'
    for severity, (vi, en) in SEVERITY_LABELS.items()
}
_UNMAPPED_INTRO = "\n".join(
    [
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
        _table_head(
            [
                ("Trang tính", "Sheet"),
                ("Dòng", "Row"),
                ("Mã ghi trên biểu", "Code as written"),
                ("Tên ghi trên biểu", "Name as written"),
            ],
            row_end_on_own_line=False,
        ),
    ]
)
_TABLE_END = "</tbody>\n</table>"
_INDEX_TABLE_HEAD = _table_head(
    [
        ("Tệp", "File"),
        ("Trang tính", "Sheet"),
        ("Đơn vị", "Unit"),
        ("Kỳ", "Period"),
        ("Kết quả", "Outcome"),
        ("Lỗi", "Errors"),
        ("Cảnh báo", "Warnings"),
        ("Phản hồi", "Feedback"),
    ]
)
_OPEN_LINK_TEXT = _bilingual("Xem", "Open")


class _Renderer:
    """Renders the pages of one run: escapes repeated clerk text and dates only once.

    Sheet titles, metadata labels and most metadata values, unit keys and periods repeat
    from page to page, so each distinct text is escaped once (``repeated``); text unique
    to a page (file path, submission id, messages) is escaped directly. The memos live as
    long as the renderer, one run.
    """

    def __init__(self, catalog: Catalog | None) -> None:
        self.catalog = catalog
        self._escaped: dict[str, str] = {}
        self._dates: dict[tuple[int, ...], str] = {}
        self._indicator_names: dict[str | None, str] = {}

    def repeated(self, value: str | None) -> str:
        """``_e(value)`` for text likely seen on other pages, escaped once per run."""
        if type(value) is not str:  # None, or a number: no memo (1 == True as keys)
            return _e(value)
        escaped = self._escaped.get(value)
        if escaped is None:
            escaped = self._escaped[value] = _e(value)
        return escaped

    def _date(self, moment: date, with_time: bool) -> str:
        # Keyed on the printed fields, not the object: equal aware datetimes may differ in
        # wall-clock time, and every arrival time of a night differs in its seconds.
        if with_time:
            key: tuple[int, ...] = (
                moment.year,
                moment.month,
                moment.day,
                moment.hour,  # type: ignore[attr-defined]
                moment.minute,  # type: ignore[attr-defined]
            )
        else:
            key = (moment.year, moment.month, moment.day)
        text = self._dates.get(key)
        if text is None:
            text = moment.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")
            text = self._dates[key] = _e(text)
        return text

    def _indicator_name(self, code: str | None) -> str:
        """The escaped Vietnamese name of an indicator code ("" if unknown or no catalog)."""
        name = self._indicator_names.get(code)
        if name is None:
            indicator = self.catalog.get(code) if code and self.catalog is not None else None
            name = self._indicator_names[code] = _e(
                indicator.name_vi if indicator is not None else ""
            )
        return name

    def feedback(self, submission: Submission) -> str:
        """The feedback page of one submission (what :func:`render_feedback` returns)."""
        verdict = verdict_of(submission)
        body = [self._header(submission, verdict)]
        if submission.rejection is not None:
            body += _rejection_block(submission.rejection)
        if submission.issues:
            body += self._issues_table(submission)
        if submission.unmapped_rows:
            body.append(self._unmapped_table(submission))
        if submission.candidates and not submission.is_rejected:
            body.append(_candidates_block(len(submission.candidates)))
        if verdict is RECEIVED:
            body.append(_RECEIPT_BLOCK)
        if submission.metadata:
            body.append(self._metadata_block(submission))
        head, tail = _FEEDBACK_FRAME
        return head + "\n".join(body) + tail

    def _header(self, submission: Submission, verdict: Verdict) -> str:
        """File, sheet, unit, period, dates, id, values read and loaded, then the verdict."""
        repeated = self.repeated
        sheet = submission.source_sheet
        unit = repeated(submission.unit_key) if submission.unit_key else _NOT_IDENTIFIED
        if submission.unit_name_text:
            unit += _WRITTEN_ON_SHEET + repeated(submission.unit_name_text)
        report_date = submission.report_date
        counts = value_counts(submission)
        labels = _HEADER_LABELS
        return (
            '<dl class="meta">\n'
            f"{labels[0]}{_e(submission.file.relative_path)}</dd>\n"
            f"{labels[1]}{repeated(sheet) if sheet is not None else _WHOLE_FILE}</dd>\n"
            f"{labels[2]}{unit}</dd>\n"
            f"{labels[3]}"
            f"{repeated(submission.period_code) if submission.period_code else _NOT_IDENTIFIED}"
            "</dd>\n"
            f"{labels[4]}{self._date(report_date, False) if report_date else '—'}</dd>\n"
            f"{labels[5]}{self._date(submission.file.received_at, True)}</dd>\n"
            f"{labels[6]}{_e(submission.submission_id)}</dd>\n"
            f"{labels[7]}{counts.read}</dd>\n"
            f"{labels[8]}{_loaded_text(submission, counts)}</dd>\n"
            "</dl>\n"
            f"{_OUTCOME_LINES[verdict.key]}"
        )

    def _metadata_block(self, submission: Submission) -> str:
        """The identity lines exactly as the clerk wrote them (label and value, both clerk
        text), so they can see what the parser read."""
        repeated = self.repeated
        lines = [_METADATA_HEADING]
        for label, value in submission.metadata.items():
            lines.append(f"<dt>{repeated(label)}</dt><dd>{repeated(value)}</dd>")
        lines.append("</dl>")
        return "\n".join(lines)

    def _issues_table(self, submission: Submission) -> list[str]:
        """Every problem but the rejection itself, errors first, then down the sheet."""
        issues = [issue for issue in submission.issues if issue is not submission.rejection]
        if not issues:
            return []
        lines = [
            f"<h2>{_ISSUES_HEADING} ({len(issues)})</h2>",
            _ISSUES_TABLE_HEAD,
        ]
        sheet_cell = f"<td>{self.repeated(submission.source_sheet or '—')}</td>"
        ordered = sorted(
            issues, key=lambda i: (i.severity != "error", _cell_order(i.source_cell), i.rule)
        )
        for issue in ordered:
            severity_cell = _SEVERITY_CELLS.get(issue.severity)
            if severity_cell is None:
                label = _bilingual(issue.severity, issue.severity)
                severity_cell = f'<td class="severity">{label}</td>'
            lines.append(
                f'<tr class="{_e(issue.severity)}">'
                f"{severity_cell}"
                f"{sheet_cell}"
                f"<td>{_e(issue.source_cell or '—')}</td>"
                f"<td>{_e(issue.indicator_code or '—')}</td>"
                f"<td>{self._indicator_name(issue.indicator_code)}</td>"
                f"<td>{_e(issue.period_code or '')}</td>"
                f'<td lang="vi">{_e(issue.message_vi)}</td>'
                f'<td lang="en" class="en">{_e(issue.message_en)}</td>'
                "</tr>"
            )
        lines.append(_TABLE_END)
        return lines

    def _unmapped_table(self, submission: Submission) -> str:
        """The sheet's rows that matched no indicator, as the clerk wrote them."""
        sheet_cell = f"<tr><td>{self.repeated(submission.source_sheet or '—')}</td>"
        lines = [_UNMAPPED_INTRO]
        for row in submission.unmapped_rows:
            lines.append(
                f"{sheet_cell}<td>{_e(row.source_row)}</td>"
                f"<td>{_e(row.code_text or '')}</td><td>{_e(row.name_text or '')}</td></tr>"
            )
        lines.append(_TABLE_END)
        return "\n".join(lines)

    def index(self, submissions: list[Submission], names: list[str]) -> str:
        """The run's index (what :func:`render_index` returns)."""
        verdicts = [verdict_of(s) for s in submissions]
        order = (RECEIVED, RECEIVED_WITH_WARNINGS, REJECTED)
        counts = {v.key: sum(x is v for x in verdicts) for v in order}
        summary = "; ".join(f"{v.vi} / {v.en}: {counts[v.key]}" for v in order)
        lines = [f"<p>{_e(summary)}</p>", _INDEX_TABLE_HEAD]
        repeated = self.repeated
        for submission, verdict, name in zip(submissions, verdicts, names, strict=True):
            unit = submission.unit_key or submission.unit_name_text or "—"
            # A plain page name reads the same quoted and escaped.
            link = name if _PLAIN_PAGE_NAME.fullmatch(name) else _e(quote(name))
            lines.append(
                f'<tr class="{verdict.key}">'
                f"<td>{_e(submission.file.relative_path)}</td>"
                f"<td>{repeated(submission.source_sheet or '—')}</td>"
                f"<td>{repeated(unit)}</td>"
                f"<td>{repeated(submission.period_code or '—')}</td>"
                f"<td>{_VERDICT_SPANS[verdict.key]}</td>"
                f"<td>{submission.n_errors}</td>"
                f"<td>{submission.n_warnings}</td>"
                f'<td><a href="{link}">{_OPEN_LINK_TEXT}</a></td>'
                "</tr>"
            )
        lines.append(_TABLE_END)
        head, tail = _INDEX_FRAME
        return head + "\n".join(lines) + tail


def _candidates_block(count: int) -> str:
    """What becomes of a report's prose figures: nothing yet, until a person confirms them."""
    return (
        "<p>"
        + _bilingual(
            f"Đã trích {count} số liệu chỉ tiêu từ văn bản báo cáo. Các số liệu này chỉ được nạp "
            "sau khi cán bộ rà soát xác nhận (bảng rà soát do lệnh 'chitieu review' tạo ra).",
            f"{count} indicator figures were read from the report's text. They are loaded only "
            "once a reviewer confirms them (in the workbook 'chitieu review' writes).",
        )
        + "</p>"
    )


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


def render_feedback(submission: Submission, catalog: Catalog | None = None) -> str:
    """The feedback page of one submission, as HTML text."""
    return _Renderer(catalog).feedback(submission)


def write_feedback(submission: Submission, out_dir: Path, catalog: Catalog | None = None) -> Path:
    """Write the feedback page of ``submission`` under ``out_dir``; return its path.

    ``catalog`` names the indicators of the problems (default: the project catalog).
    """
    page = render_feedback(submission, catalog if catalog is not None else load_catalog())
    with _PageFolder(out_dir) as folder:
        return folder.write(feedback_file_name(submission), page)


def render_index(submissions: list[Submission], names: list[str]) -> str:
    """The run's index: every submission with its verdict and a link to its page."""
    return _Renderer(None).index(submissions, names)


def write_run_feedback(submissions: Iterable[Submission], out_dir: Path) -> list[Path]:
    """Write one feedback page per submission and ``index.html`` under ``out_dir``.

    Returns the submissions' pages, in the order given (the index is beside them).
    """
    submissions = list(submissions)
    renderer = _Renderer(load_catalog())
    with _PageFolder(out_dir) as folder:
        paths = [
            folder.write(feedback_file_name(submission), renderer.feedback(submission))
            for submission in submissions
        ]
        folder.write(INDEX_NAME, renderer.index(submissions, [p.name for p in paths]))
    return paths
