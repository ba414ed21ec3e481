"""The Great Expectations gate, run for real on parsed demo submissions."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from flows.catalog import load_catalog
from flows.demo import generate_demo
from flows.reference import load_reference
from flows.submission import LandedFile, file_sha256, read_submissions
from flows.units import UnitResolver
from flows.validate import QualityGate


@pytest.fixture(scope="module")
def gate() -> QualityGate:
    return QualityGate(load_catalog())


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("gate_demo")
    generate_demo(out)
    return out


def _submission(demo_dir, relative):
    path = demo_dir / relative
    landed = LandedFile(
        path, relative, file_sha256(path), path.stat().st_size, datetime(2024, 1, 1)
    )
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
    catalog = load_catalog()
    suite = gate.value_suite
    ranged = {e.meta["indicator_code"] for e in suite.expectations if e.meta["rule"] == "in_range"}
    bounded = {i.indicator_code for i in catalog if i.min_value is not None}
    assert ranged == bounded and len(ranged) == 35


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
