"""Feedback pages for clerks, written from real submissions parsed from demo files.

Problems are attached by hand (a value error with its cell, a warning, a rejection of
the whole sheet) so that these tests pin the page, not the quality rules; the count of
values read, loaded and rejected is checked once through the real gate.
"""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from flows.domain.catalog import load_catalog
from flows.domain.reference import load_reference
from flows.domain.units import UnitResolver
from flows.quality.feedback import (
    INDEX_NAME,
    ValueCounts,
    feedback_file_name,
    render_feedback,
    value_counts,
    verdict_of,
    write_feedback,
    write_run_feedback,
)
from flows.quality.validate import QualityGate
from flows.reading.files import read_submissions
from flows.reading.submission import Issue, LandedFile, Submission
from flows.warehouse.receive import landing_sha256
from tools.demo import generate_demo

HOSTILE = "<script>alert(1)</script>"
CLEAN_FILE = "nam-2024/pho-hoa.xlsx"  # Phổ Hòa: no unmapped row, no hidden sheet


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("feedback_demo")
    generate_demo(out)
    return out


@pytest.fixture(scope="module")
def resolver() -> UnitResolver:
    return UnitResolver(load_reference())


def _read(demo_dir: Path, resolver: UnitResolver, relative: str) -> list[Submission]:
    path = demo_dir / relative
    landed = LandedFile(
        path, relative, landing_sha256(path), path.stat().st_size, datetime(2025, 1, 2, 8, 30)
    )
    return read_submissions(landed, load_catalog(), resolver).submissions


def _one(demo_dir: Path, resolver: UnitResolver, relative: str) -> Submission:
    (submission,) = _read(demo_dir, resolver, relative)
    return submission


def _cell_of(submission: Submission, indicator_code: str) -> str:
    return next(
        o.source_cell for o in submission.observations if o.indicator_code == indicator_code
    )


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _before(page: str, first: str, second: str) -> bool:
    assert first in page, first
    assert second in page, second
    return page.index(first) < page.index(second)


class _Collector(HTMLParser):
    """Tags, attributes and text of a page, to check it is self-contained."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


@pytest.fixture()
def with_problems(demo_dir, resolver) -> Submission:
    """Phổ Văn's 2024 sheet with a value error on a real cell and a warning on another."""
    submission = _one(demo_dir, resolver, "nam-2024/pho-van.xlsx")
    assert not submission.is_rejected and not submission.issues
    error_cell = _cell_of(submission, "VH.BHYT_TYLE")
    warning_cell = _cell_of(submission, "XD.KET_NAP_DV")
    submission.issues.append(
        Issue(
            "error",
            "in_range",
            "Giá trị 150 nằm ngoài khoảng cho phép 0–100 (%).",
            "The value 150 is outside the allowed range 0–100 (%).",
            indicator_code="VH.BHYT_TYLE",
            period_code="2024",
            source_cell=error_cell,
        )
    )
    submission.issues.append(
        Issue(
            "warning",
            "clerk_computed_mismatch",
            "Tỷ lệ ghi trong ngoặc (90%) khác tỷ lệ tính được (95,2%).",
            "The percent in brackets (90%) differs from the computed rate (95.2%).",
            indicator_code="XD.KET_NAP_DV",
            period_code="2024",
            source_cell=warning_cell,
        )
    )
    return submission


def test_problems_are_listed_with_sheet_cell_indicator_and_both_messages(with_problems, tmp_path):
    path = write_feedback(with_problems, tmp_path)
    page = _text(path)
    assert path.parent == tmp_path and path.suffix == ".html"
    assert verdict_of(with_problems).key == "received_with_warnings"
    assert "Đã nhận, có cảnh báo" in page and "Received, with warnings" in page
    assert "nam-2024/pho-van.xlsx" in page
    assert "Bieu chi tieu" in page
    assert with_problems.unit_key == "pre2025:21451" and "pre2025:21451" in page
    assert "Phổ Văn" in page  # the name as written on the sheet
    catalog = load_catalog()
    rows = re.findall(r"<tr class=\"(error|warning)\">(.*?)</tr>", page, flags=re.S)
    assert [kind for kind, _ in rows] == ["error", "warning"]  # errors first
    for (_, row), issue in zip(rows, with_problems.issues, strict=True):
        assert f"<td>{issue.source_cell}</td>" in row
        assert "<td>Bieu chi tieu</td>" in row
        assert f"<td>{issue.indicator_code}</td>" in row
        assert catalog.get(issue.indicator_code).name_vi in row
        assert _before(row, issue.message_vi, issue.message_en)
    assert "Lỗi" in rows[0][1] and "Cảnh báo" in rows[1][1]
    assert _before(page, "Phản hồi về báo cáo chỉ tiêu", "Feedback on the indicator report")
    assert "Không có lỗi hay cảnh báo nào" not in page


def test_vietnamese_comes_before_english_everywhere(with_problems, tmp_path):
    page = _text(write_feedback(with_problems, tmp_path))
    for vi, en in [
        ("Tệp", "File"),
        ("Trang tính", "Sheet"),
        ("Kết quả", "Outcome"),
        ("Mức độ", "Severity"),
        ("Đã nhận, có cảnh báo", "Received, with warnings"),
    ]:
        assert re.search(re.escape(vi) + r"\s*<span class=\"en\">/ " + re.escape(en), page), vi


def test_rejection_of_the_whole_submission_gives_reason_and_what_to_do(
    demo_dir, resolver, tmp_path
):
    submission = _one(demo_dir, resolver, "loi/don-vi-khong-ro.xlsx")
    assert submission.is_rejected and submission.rejection.rule == "unit_unknown"
    page = _text(write_feedback(submission, tmp_path))
    assert "Bị từ chối" in page and "Rejected" in page
    assert "99999" in page
    assert _before(
        page,
        html.escape(submission.rejection.message_vi),
        html.escape(submission.rejection.message_en),
    )
    assert _before(page, "Lý do:", "Reason:")
    assert _before(page, "Cần làm:", "What to do:")
    assert _before(page, "Reason:", "Cần làm:")  # reason, then what to do
    assert "mã 5 số" in page and "5-digit code" in page
    assert "không xác định được" in page  # the unit could not be identified


def _header_value(page: str, label_en: str) -> str:
    """The text of the header entry whose English label is ``label_en``, tags removed."""
    match = re.search(
        r"<dt>[^<]*<span class=\"en\">/ " + re.escape(label_en) + r"</span></dt><dd>(.*?)</dd>",
        page,
    )
    assert match, label_en
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


def test_a_rejected_sheet_says_what_was_read_and_that_none_was_loaded(demo_dir, resolver, tmp_path):
    """Values read are not values accepted: a rejected sheet loads none of them."""
    submission = _one(demo_dir, resolver, "loi/don-vi-khong-ro.xlsx")
    read = len(submission.observations)
    assert submission.is_rejected and read > 0
    page = _text(write_feedback(submission, tmp_path))
    assert "Values accepted" not in page and "Số giá trị đã nhận" not in page
    assert _header_value(page, "Values read") == str(read)
    assert _header_value(page, "Values loaded") == "Không giá trị nào được nạp / None was loaded"
    assert _before(page, "Số giá trị đọc được", "Values read")
    assert value_counts(submission) == ValueCounts(read, 0, 0, read)


def test_a_loaded_sheet_says_how_many_values_were_loaded_warned_and_rejected(
    demo_dir, resolver, tmp_path
):
    """Through the real gate: a rate out of range is rejected, a poverty rate contradicting
    its households is loaded with both parts, all three marked."""
    submission = _one(demo_dir, resolver, CLEAN_FILE)
    read = len(submission.observations)
    for index, obs in enumerate(submission.observations):
        changed = {"VH.BHYT_TYLE": 150.0, "VH.HO_NGHEO_TYLE": 5.0}.get(obs.indicator_code)
        if changed is not None:
            submission.observations[index] = dataclasses.replace(obs, value=changed)
    QualityGate(load_catalog()).check([submission])
    assert not submission.is_rejected and len(submission.observations) == read - 1
    assert value_counts(submission) == ValueCounts(read, read - 1, 3, 1)
    page = _text(write_feedback(submission, tmp_path))
    assert _header_value(page, "Values read") == str(read)
    assert _header_value(page, "Values loaded") == (
        f"{read - 1} — có cảnh báo: 3; bị từ chối: 1 / with warnings: 3; rejected: 1"
    )
    assert "None was loaded" not in page
    rows = re.findall(r"<tr class=\"(error|warning)\">", page)
    assert rows == ["error", "warning", "warning", "warning"]


def test_unreadable_file_is_rejected_with_a_remedy(demo_dir, resolver, tmp_path):
    submission = _one(demo_dir, resolver, "loi/bao-cao-hong.xlsx")
    assert submission.source_sheet is None
    page = _text(write_feedback(submission, tmp_path))
    assert "Bị từ chối" in page and "(cả tệp)" in page
    assert html.escape(submission.rejection.message_vi) in page
    assert "lưu lại dưới dạng .xlsx" in page and "save it as .xlsx" in page


def test_a_rejection_added_to_a_parsed_sheet_is_shown_once_with_the_other_problems(
    with_problems, tmp_path
):
    with_problems.reject(
        Issue(
            "error",
            "period_valid",
            "Kỳ báo cáo không hợp lệ.",
            "The reporting period is not valid.",
        )
    )
    page = _text(write_feedback(with_problems, tmp_path))
    assert "Bị từ chối" in page and "Đã nhận, có cảnh báo" not in page
    assert page.count("Kỳ báo cáo không hợp lệ.") == 1
    assert "Ghi kỳ báo cáo" in page  # the period remedy
    assert len(re.findall(r"<tr class=\"(?:error|warning)\">", page)) == 2


def test_clean_submission_gets_a_receipt(demo_dir, resolver, tmp_path):
    submission = _one(demo_dir, resolver, CLEAN_FILE)
    assert not submission.issues and not submission.unmapped_rows
    page = _text(write_feedback(submission, tmp_path))
    assert verdict_of(submission).key == "received"
    assert "Đã nhận" in page and "Received" in page and "Bị từ chối" not in page
    assert _before(page, "Không có lỗi hay cảnh báo nào", "No errors or warnings")
    assert "<table>" not in page  # no problem table
    assert _header_value(page, "Values read") == str(len(submission.observations))
    assert _header_value(page, "Values loaded").startswith(f"{len(submission.observations)} — ")
    assert "15/12/2024" in page or submission.report_date.strftime("%d/%m/%Y") in page


def test_unmapped_rows_are_listed_for_the_clerk(demo_dir, resolver, tmp_path):
    submission = _one(demo_dir, resolver, "nam-2024/pho-nhon.xlsx")
    assert submission.unmapped_rows
    page = _text(write_feedback(submission, tmp_path))
    assert "Dòng không khớp chỉ tiêu nào" in page
    assert "Số hộ sử dụng nước sạch" in page
    assert f"<td>{submission.unmapped_rows[0].source_row}</td>" in page


def test_clerk_text_is_escaped(with_problems, tmp_path):
    with_problems.source_sheet = HOSTILE
    with_problems.unit_name_text = '"><img src=x onerror=alert(2)>'
    with_problems.metadata["Người lập biểu"] = HOSTILE
    with_problems.metadata[HOSTILE] = "x"
    with_problems.issues[0].message_vi = f"Ô có nội dung {HOSTILE}"
    page = _text(write_feedback(with_problems, tmp_path))
    assert HOSTILE not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    parsed = _parse(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert HOSTILE in "".join(parsed.text)  # shown to the clerk as text


def test_page_is_self_contained(with_problems, tmp_path):
    page = _text(write_feedback(with_problems, tmp_path))
    parsed = _parse(page)
    assert not {"script", "link", "img", "iframe"} & set(parsed.tags)
    assert not [v for k, v in parsed.attrs if k in ("src", "href") and v]
    assert "http://" not in page and "https://" not in page
    assert '<meta charset="utf-8">' in page and '<html lang="vi">' in page


def test_file_name_is_safe_for_a_hostile_source_path(demo_dir, resolver, tmp_path):
    submission = _one(demo_dir, resolver, CLEAN_FILE)
    submission.file = dataclasses.replace(submission.file, relative_path="../../etc/passwd.xlsx")
    out = tmp_path / "out"
    path = write_feedback(submission, out)
    assert path.parent == out.resolve()
    assert "/" not in path.name and "\\" not in path.name and ".." not in path.name
    assert re.fullmatch(r"[a-z0-9_-]+\.html", path.name), path.name
    assert "etc-passwd-xlsx" in path.name
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [path]
    assert "../../etc/passwd.xlsx" in _text(path)  # shown as written, escaped or not


def test_file_names_differ_per_sheet_and_keep_a_readable_slug(demo_dir, resolver):
    submission = _one(demo_dir, resolver, "so-ket-2020-2025/pho-hoa.xlsx")
    name = feedback_file_name(submission)
    assert name.startswith(submission.submission_id.replace(":", "-") + "_")
    assert name.endswith("so-ket-2020-2025-pho-hoa-xlsx.html")
    other = dataclasses.replace(submission, submission_id=submission.submission_id[:-1] + "9")
    assert feedback_file_name(other) != name
    vietnamese = dataclasses.replace(
        submission,
        file=dataclasses.replace(submission.file, relative_path="Năm 2024/Phổ Đức.xlsx"),
    )
    assert feedback_file_name(vietnamese).endswith("_nam-2024-pho-duc-xlsx.html")


def test_run_feedback_writes_every_page_and_an_index(demo_dir, resolver, tmp_path):
    submissions = [
        *_read(demo_dir, resolver, CLEAN_FILE),
        *_read(demo_dir, resolver, "nam-2024/pho-nhon.xlsx"),
        *_read(demo_dir, resolver, "loi/bao-cao-hong.xlsx"),
        *_read(demo_dir, resolver, "loi/don-vi-khong-ro.xlsx"),
    ]
    out = tmp_path / "run-1"
    paths = write_run_feedback(submissions, out)
    assert len(paths) == len(submissions) == len(set(paths))
    assert all(p.exists() and p.parent == out.resolve() for p in paths)
    index = _text(out / INDEX_NAME)
    links = re.findall(r'<a href="([^"]+)">', index)
    assert links == [p.name for p in paths]
    assert all((out / link).exists() for link in links)
    rows = re.findall(r"<tr class=\"(\w+)\">(.*?)</tr>", index, flags=re.S)
    assert [kind for kind, _ in rows] == [
        "received",
        "received_with_warnings",
        "rejected",
        "rejected",
    ]
    for (_, row), submission in zip(rows, submissions, strict=True):
        assert submission.file.relative_path in row
    assert "Đã nhận / Received: 1" in index and "Bị từ chối / Rejected: 2" in index
    assert _before(index, "Phản hồi các báo cáo đã nhận", "Feedback on the reports received")


def test_run_pages_are_the_single_page_bytes(demo_dir, resolver, with_problems, tmp_path):
    """The run writes each page with memos shared across pages; every page must still be
    byte for byte what render_feedback gives for that submission alone."""
    hostile = dataclasses.replace(
        with_problems, submission_id="ffff:1", source_sheet=HOSTILE, unit_name_text=HOSTILE
    )
    submissions = [
        with_problems,
        hostile,
        *_read(demo_dir, resolver, CLEAN_FILE),
        *_read(demo_dir, resolver, "nam-2024/pho-nhon.xlsx"),
        *_read(demo_dir, resolver, "loi/bao-cao-hong.xlsx"),
    ]
    paths = write_run_feedback(submissions, tmp_path / "run")
    catalog = load_catalog()
    for path, submission in zip(paths, submissions, strict=True):
        assert path.read_bytes() == render_feedback(submission, catalog).encode("utf-8")
        assert path.name == feedback_file_name(submission)


def test_run_pages_cannot_leave_the_folder(demo_dir, resolver, tmp_path):
    """A hostile source path gives a plain name in the folder; a symbolic link planted at a
    page's name and pointing outside is refused, and its target is left untouched."""
    submission = _one(demo_dir, resolver, CLEAN_FILE)
    submission.file = dataclasses.replace(submission.file, relative_path="../../etc/passwd.xlsx")
    out = tmp_path / "run"
    (path,) = write_run_feedback([submission], out)
    assert path.parent == out.resolve() and re.fullmatch(r"[a-z0-9_-]+\.html", path.name)
    assert sorted(p.name for p in out.iterdir()) == sorted([path.name, INDEX_NAME])
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == sorted(out.iterdir())

    outside = tmp_path / "outside.txt"
    outside.write_text("keep", encoding="utf-8")
    path.unlink()
    path.symlink_to(outside)
    with pytest.raises(ValueError, match="unsafe feedback file name"):
        write_run_feedback([submission], out)
    with pytest.raises(ValueError, match="unsafe feedback file name"):
        write_feedback(submission, out)
    assert outside.read_text(encoding="utf-8") == "keep"
