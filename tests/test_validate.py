"""The Great Expectations gate, run for real on parsed demo submissions."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from flows.domain.catalog import load_catalog
from flows.domain.periods import period_first_day
from flows.domain.reference import load_reference
from flows.domain.units import UnitResolver
from flows.quality import rulebook
from flows.quality.validate import QualityGate, warm_up
from flows.reading.files import read_submissions
from flows.reading.submission import LandedFile
from flows.warehouse.receive import landing_sha256
from tests.generators.small_sheets import HEADER, save_sheet
from tools.demo import generate_demo


@pytest.fixture(scope="module")
def gate() -> QualityGate:
    return QualityGate(load_catalog())


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("gate_demo")
    generate_demo(out)
    return out


# After every demo report date (the latest is 20/06/2025): no demo date is in the future.
RECEIVED = datetime(2025, 7, 1, 8, 0)


def _submission(demo_dir, relative, received_at=RECEIVED):
    path = demo_dir / relative
    landed = LandedFile(path, relative, landing_sha256(path), path.stat().st_size, received_at)
    resolver = UnitResolver(load_reference())
    (submission,) = read_submissions(landed, load_catalog(), resolver).submissions
    return submission


def _replace_value(submission, indicator_code, period_code, value):
    for index, obs in enumerate(submission.observations):
        if (obs.indicator_code, obs.period_code) == (indicator_code, period_code):
            submission.observations[index] = dataclasses.replace(obs, value=value)
            return obs.source_cell
    raise AssertionError(f"{indicator_code} {period_code} not in the submission")


def test_suite_has_a_range_for_every_bounded_catalog_indicator(gate):
    """One table of ranges in the suite, checked by two vectorised pair expectations."""
    catalog = load_catalog()
    suite = gate.value_suite
    ranged = set(suite.meta["ranges"])
    bounded = {i.indicator_code for i in catalog if i.min_value is not None}
    assert ranged == bounded and len(ranged) == 35
    checks = [e for e in suite.expectations if e.meta["rule"] == "in_range"]
    assert sorted((e.column_A, e.column_B) for e in checks) == [
        ("max_allowed", "value"),
        ("value", "min_allowed"),
    ]
    assert all(e.or_equal and e.description for e in checks)


def test_clean_submission_passes(gate, demo_dir):
    submission = _submission(demo_dir, "nam-2024/pho-hoa.xlsx")
    values = len(submission.observations)
    report = gate.check([submission])
    assert not submission.is_rejected and submission.n_errors == 0
    assert len(submission.observations) == values and report.values_rejected == 0


def test_out_of_range_value_is_rejected_alone_with_its_cell(gate, demo_dir):
    submission = _submission(demo_dir, "nam-2024/pho-van.xlsx")
    values = len(submission.observations)
    cell = _replace_value(submission, "VH.BHYT_TYLE", "2024", 150.0)
    report = gate.check([submission])
    assert report.values_rejected == 1 and not submission.is_rejected
    assert len(submission.observations) == values - 1
    (issue,) = submission.issues
    assert (issue.rule, issue.source_cell, issue.indicator_code) == (
        "in_range",
        cell,
        "VH.BHYT_TYLE",
    )
    assert "0–100" in issue.message_vi and "outside the allowed range" in issue.message_en


def test_fractional_count_is_rejected(gate, demo_dir):
    submission = _submission(demo_dir, "nam-2024/pho-ninh.xlsx")
    _replace_value(submission, "XD.KET_NAP_DV", "2024", 2.5)
    gate.check([submission])
    assert [i.rule for i in submission.issues] == ["whole_number"]


def test_unknown_period_rejects_the_submission(gate, demo_dir):
    submission = _submission(demo_dir, "nam-2024/pho-minh.xlsx")
    submission.period_code = None
    gate.check([submission])
    assert submission.is_rejected and submission.rejection.rule == "period_known"
    assert "Kỳ báo cáo" in submission.rejection.message_vi


def test_value_below_its_minimum_and_fractional_gets_both_verdicts(gate, demo_dir):
    submission = _submission(demo_dir, "nam-2024/pho-hoa.xlsx")
    cell = _replace_value(submission, "XD.KET_NAP_DV", "2024", -2.5)
    report = gate.check([submission])
    assert report.values_rejected == 1
    assert [(i.rule, i.source_cell) for i in submission.issues] == [
        ("whole_number", cell),
        ("in_range", cell),
    ]
    assert "khoảng cho phép 0–" in submission.issues[1].message_vi


# ------------------------------------------------------------------ cross-value rules


def _cells_by_code(submission):
    return {o.indicator_code: o.source_cell for o in submission.observations}


def test_a_rate_contradicting_its_parts_keeps_all_three_values_as_warnings(gate, demo_dir):
    """98/107 may be wrong as well as 95 %: the rule cannot say which, so nothing is lost."""
    submission = _submission(demo_dir, "nam-2024/pho-hoa.xlsx")
    values = len(submission.observations)
    _replace_value(submission, "VH.HO_NGHEO_TYLE", "2024", 5.0)  # 107 of 3691 is 2,9 %
    cells = _cells_by_code(submission)
    report = gate.check([submission])
    assert report.values_rejected == 0 and len(submission.observations) == values
    assert not submission.is_rejected and submission.n_errors == 0
    marked = {(i.indicator_code, i.source_cell) for i in submission.issues}
    assert marked == {
        (code, cells[code]) for code in ("VH.HO_NGHEO_TYLE", "VH.HO_NGHEO", "VH.TONG_HO")
    }
    assert {(i.severity, i.rule) for i in submission.issues} == {("warning", "rate_poverty")}
    assert report.values_warned == 3 and report.issues_by_rule == {"warning:rate_poverty": 3}
    issue = submission.issues[0]
    for cell in (cells["VH.HO_NGHEO_TYLE"], cells["VH.HO_NGHEO"], cells["VH.TONG_HO"]):
        assert cell in issue.message_vi and cell in issue.message_en
    assert "Tỷ lệ hộ nghèo phải khớp" in issue.message_vi and "2,9" in issue.message_vi
    assert "vẫn được nhận, có đánh dấu cảnh báo" in issue.message_vi
    assert "The values are loaded, marked as warnings" in issue.message_en


def test_a_part_above_its_whole_keeps_both_values_as_warnings(gate, demo_dir):
    submission = _submission(demo_dir, "nam-2024/pho-hoa.xlsx")
    # Without the resolution rate, only the part-whole rule can fail.
    submission.observations = [
        o for o in submission.observations if o.indicator_code != "DV.Y_KIEN_TYLE"
    ]
    values = len(submission.observations)
    _replace_value(submission, "DV.Y_KIEN_GIAI_QUYET", "2024", 16.0)  # 13 received
    cells = _cells_by_code(submission)
    report = gate.check([submission])
    assert report.values_rejected == 0 and len(submission.observations) == values
    assert [(i.severity, i.rule, i.indicator_code, i.source_cell) for i in submission.issues] == [
        ("warning", "resolved_le_received", code, cells[code])
        for code in ("DV.Y_KIEN_GIAI_QUYET", "DV.Y_KIEN_NHAN")
    ]
    assert "16" in submission.issues[0].message_vi and "13" in submission.issues[0].message_vi


def test_values_wrong_on_their_own_are_still_rejected_and_mark_no_part(gate, demo_dir):
    """A negative count and a rate above 100 % are errors: rejected before the cross-value
    rules, which then have nothing to compare and mark none of the other values."""
    submission = _submission(demo_dir, "nam-2024/pho-hoa.xlsx")
    values = len(submission.observations)
    negative = _replace_value(submission, "VH.HO_NGHEO", "2024", -5.0)
    above = _replace_value(submission, "VH.BHYT_TYLE", "2024", 150.0)
    report = gate.check([submission])
    assert report.values_rejected == 2 and len(submission.observations) == values - 2
    assert sorted((i.severity, i.rule, i.source_cell) for i in submission.issues) == sorted(
        [("error", "in_range", negative), ("error", "in_range", above)]
    )
    assert report.values_warned == 0


def test_gates_share_one_context_and_docs_show_only_their_run(gate, demo_dir, tmp_path):
    """The GE context is built once per process; each gate's Data Docs hold its run only."""
    warm_up()  # what the pipeline may run on a thread while files are parsed
    first = QualityGate(load_catalog(), docs_dir=tmp_path / "first")
    second = QualityGate(load_catalog(), docs_dir=tmp_path / "second")
    assert first._context is second._context is gate._context
    first.check([_submission(demo_dir, "nam-2024/pho-hoa.xlsx")], run_id="run-one")
    report = second.check([_submission(demo_dir, "nam-2024/pho-van.xlsx")], run_id="run-two")
    assert report.docs_index and (tmp_path / "first" / "index.html").exists()
    pages = [p.as_posix() for p in (tmp_path / "second" / "validations").rglob("*.html")]
    assert pages and all("run-two" in page for page in pages)
    assert len(pages) == 4  # one validation result per suite


def test_docs_render_for_a_run_id_that_reads_like_a_date(gate, demo_dir, tmp_path):
    """Run ids end in random hex; GE must not take 2026…-9449ad for a date and offset."""
    run_id = "20261129T044001-9449ad"  # one night in ~1,600 got such an id, and failed
    night = QualityGate(load_catalog(), docs_dir=tmp_path / "docs")
    report = night.check([_submission(demo_dir, "nam-2024/pho-hoa.xlsx")], run_id=run_id)
    assert report.docs_index
    pages = [p.as_posix() for p in (tmp_path / "docs" / "validations").rglob("*.html")]
    assert pages and all(run_id in page for page in pages)


@pytest.mark.slow
def test_history_of_the_compared_units_gives_the_whole_historys_verdicts(gate, demo_run):
    """The pipeline reads only the units a night's outlier checks can look at (each
    submission's unit and its peer group): the verdicts equal those against every value."""
    import pandas as pd

    from flows.quality.history import published_values
    from flows.quality.validate import peer_groups

    warehouse, raw = demo_run["warehouse"], demo_run["raw_dir"]

    def corrected_night():
        # A ward re-sends its year with the population typed ten times too large.
        submission = _submission(raw, "nam-2024/pho-hoa.xlsx")
        value = next(o.value for o in submission.observations if o.indicator_code == "VH.DAN_SO")
        _replace_value(submission, "VH.DAN_SO", "2024", value * 10)
        return [submission]

    against_all, against_some = corrected_night(), corrected_night()
    units = gate.units_compared_with(against_some)
    published = published_values(warehouse)
    assert set(published_values(warehouse, units).unit_key) == set(published.unit_key) <= units
    assert published_values(warehouse, {"pre2025:00000"}).empty
    # The demo is one district: add another district's history (values tripled), which the
    # night's checks must not see, whether it is read or not.
    groups = peer_groups()
    other = groups[groups != groups[against_all[0].unit_key]]
    demo_units = sorted(published.unit_key.unique())
    relabel = dict(zip(demo_units, other.index[: len(demo_units)], strict=True))
    elsewhere = published.assign(
        unit_key=published.unit_key.map(relabel), value=published.value * 3
    )
    everything = pd.concat([published, elsewhere], ignore_index=True)
    compared = everything[everything.unit_key.isin(units)]
    assert len(compared) == len(published)
    whole = gate.check(against_all, history=everything)
    part = gate.check(against_some, history=compared)
    assert whole.issues_by_rule == part.issues_by_rule
    assert whole.verdict_digest == part.verdict_digest
    assert "warning:outlier_history" in whole.issues_by_rule
    assert [i.message_en for i in against_all[0].issues] == [
        i.message_en for i in against_some[0].issues
    ]


# ------------------------------------------------------------------ report dates


def _dated(submission, report_date, received_at=None, written=None):
    """The submission with another report date (as the clerk wrote it) and arrival."""
    submission.report_date = report_date
    submission.metadata = {
        label: value for label, value in submission.metadata.items() if label != "Ngày báo cáo"
    }
    if written is not None:
        submission.metadata["Ngày báo cáo"] = written
    if received_at is not None:
        submission.file = dataclasses.replace(submission.file, received_at=received_at)
    return submission


def _date_warnings(submission):
    return [i for i in submission.issues if i.rule == "report_date_implausible"]


@pytest.mark.parametrize(
    ("period_code", "first_day"),
    [
        ("2024", date(2024, 1, 1)),
        ("2024-Q1", date(2024, 1, 1)),
        ("2024-Q3", date(2024, 7, 1)),
        ("2024-Q4", date(2024, 10, 1)),
        ("2024-H1", date(2024, 1, 1)),
        ("2024-H2", date(2024, 7, 1)),
        ("2020-2025", date(2021, 1, 1)),  # a term S-E covers the years S+1..E
        ("2020-2025-MID", date(2021, 1, 1)),
        ("2024-Q5", None),
        ("", None),
        (None, None),
    ],
)
def test_first_day_of_a_period(period_code, first_day):
    assert period_first_day(period_code) == first_day


def test_report_date_typed_in_the_future_is_a_warning_naming_it(gate, tmp_path):
    """'10/12/2042' typed on a sheet received in 2026: warned, loaded, values kept."""
    path = save_sheet(
        tmp_path / "tuong-lai.xlsx",
        [
            ["Đơn vị: Phường Phổ Hòa"],
            ["Mã đơn vị:", None, "21469"],
            ["Kỳ báo cáo: Năm 2024"],
            ["Ngày báo cáo:", None, "10/12/2042"],
            [],
            HEADER,
            [1, "VH.TONG_HO", "Tổng số hộ", "hộ", None, 4120, None],
        ],
    )
    landed = LandedFile(
        path, "tuong-lai.xlsx", landing_sha256(path), path.stat().st_size, datetime(2026, 12, 6, 9)
    )
    resolver = UnitResolver(load_reference())
    (submission,) = read_submissions(landed, load_catalog(), resolver).submissions
    assert submission.report_date == date(2042, 12, 10)
    report = gate.check([submission])
    assert not submission.is_rejected and len(submission.observations) == 1
    (issue,) = submission.issues
    assert (issue.rule, issue.severity) == (
        "report_date_implausible",
        rulebook.severity("report_date_implausible"),
    )
    assert issue.severity == "warning" and issue.source_cell is None
    assert "'10/12/2042'" in issue.message_vi and "06/12/2026" in issue.message_vi
    assert "không được dùng để chọn bản báo cáo mới nhất" in issue.message_vi
    assert "'10/12/2042'" in issue.message_en and "2026-12-06" in issue.message_en
    assert "not used to choose the latest version" in issue.message_en
    assert report.issues_by_rule == {"warning:report_date_implausible": 1}
    assert report.submissions_rejected == 0 and report.values_rejected == 0


def test_report_date_two_days_after_receipt_is_a_warning(gate, demo_dir):
    submission = _submission(demo_dir, "nam-2024/pho-hoa.xlsx")
    values = len(submission.observations)
    _dated(submission, date(2025, 1, 12), datetime(2025, 1, 10, 23, 59), written="12/01/2025")
    gate.check([submission])
    (issue,) = _date_warnings(submission)
    assert "'12/01/2025'" in issue.message_vi and "10/01/2025" in issue.message_vi
    assert "more than a day after" in issue.message_en and "2025-01-10" in issue.message_en
    assert not submission.is_rejected and len(submission.observations) == values
    assert submission.n_warnings == 1 and submission.n_errors == 0


@pytest.mark.parametrize(
    ("report_date", "received_at"),
    [
        (date(2025, 1, 11), datetime(2025, 1, 10, 0, 0)),  # the next day: within the slack
        (date(2025, 1, 11), datetime(2025, 1, 10, 23, 0)),  # 06:00 on the 11th in Hà Nội
        (date(2025, 1, 10), datetime(2025, 1, 10, 8, 0)),  # the day it arrived
        (date(2024, 12, 15), datetime(2025, 1, 10, 8, 0)),  # before it arrived
        (date(2024, 1, 1), datetime(2025, 1, 10, 8, 0)),  # the period's first day
    ],
)
def test_plausible_report_date_is_no_warning(gate, demo_dir, report_date, received_at):
    submission = _submission(demo_dir, "nam-2024/pho-hoa.xlsx")
    _dated(submission, report_date, received_at)
    gate.check([submission])
    assert submission.issues == []


@pytest.mark.parametrize(
    ("relative", "period_code", "report_date", "written_start"),
    [
        ("nam-2024/pho-hoa.xlsx", "2024", date(2023, 12, 31), "01/01/2024"),
        ("nam-2024/pho-hoa.xlsx", "2024-Q3", date(2024, 6, 30), "01/07/2024"),
        ("nam-2024/pho-hoa.xlsx", "2024-H2", date(2024, 6, 30), "01/07/2024"),
        ("so-ket-2020-2025/pho-hoa.xlsx", "2020-2025-MID", date(2020, 12, 31), "01/01/2021"),
        ("tong-ket-2015-2020/pho-hoa.xlsx", "2015-2020", date(2015, 12, 31), "01/01/2016"),
    ],
)
def test_report_date_before_the_period_is_a_warning(
    gate, demo_dir, relative, period_code, report_date, written_start
):
    submission = _submission(demo_dir, relative)
    submission.period_code = period_code
    _dated(submission, report_date)  # no label: the date is named as dd/mm/yyyy
    gate.check([submission])
    (issue,) = _date_warnings(submission)
    written = f"'{report_date:%d/%m/%Y}'"
    assert written in issue.message_vi and written in issue.message_en
    assert f"kỳ báo cáo {period_code} (bắt đầu ngày {written_start})" in issue.message_vi
    assert f"before the reporting period {period_code}" in issue.message_en
    assert not submission.is_rejected and submission.n_errors == 0
    # The period's first day itself is plausible.
    again = _dated(_submission(demo_dir, relative), period_first_day(period_code))
    again.period_code = period_code
    gate.check([again])
    assert _date_warnings(again) == []


def test_no_report_date_is_no_warning(gate, demo_dir):
    submission = _dated(_submission(demo_dir, "nam-2024/pho-hoa.xlsx", datetime(2019, 1, 1)), None)
    gate.check([submission])
    assert submission.issues == []
