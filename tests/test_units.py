"""Unit resolution against the real reference lists of both schemes."""

from __future__ import annotations

import pytest

from flows.domain.reference import load_reference
from flows.domain.units import UnitNotResolved, UnitResolver, schemes_for_period


@pytest.fixture(scope="module")
def resolver() -> UnitResolver:
    return UnitResolver(load_reference())


def test_reference_covers_both_schemes_and_every_legacy_ward():
    reference = load_reference()
    units = reference.admin_units
    counts = units.groupby(["scheme", "level"]).size().to_dict()
    assert counts[("pre2025", "province")] == 63
    assert counts[("2025", "province")] == 34
    assert counts[("2025", "ward")] == 3321
    assert counts[("pre2025", "ward")] > 10_000
    crosswalk = reference.admin_crosswalk
    legacy_wards = set(units.query("scheme == 'pre2025' and level == 'ward'").unit_key)
    assert legacy_wards == set(crosswalk.old_unit_key)
    shares = crosswalk.groupby("old_unit_key").share.sum()
    assert shares.between(0.999999, 1.000001).all()


def test_pho_hoa_went_whole_into_duc_pho():
    crosswalk = load_reference().admin_crosswalk
    row = crosswalk[crosswalk.old_unit_key == "pre2025:21469"].iloc[0]
    assert (row.new_unit_key, row.share, row.share_method) == ("2025:21439", 1.0, "whole")


@pytest.mark.parametrize(
    ("period", "schemes"),
    [
        ("2022", ["pre2025"]),
        ("2025-Q2", ["pre2025"]),
        ("2025-Q3", ["2025"]),
        ("2025", ["pre2025", "2025"]),
        ("2020-2025", ["pre2025", "2025"]),
        ("2020-2025-MID", ["pre2025"]),
        ("2026", ["2025"]),
        (None, ["pre2025", "2025"]),
    ],
)
def test_period_decides_which_scheme_comes_first(period, schemes):
    assert schemes_for_period(period) == schemes


def test_code_resolves_in_the_period_scheme(resolver):
    assert resolver.resolve("21469", "Phường Phổ Hòa", period_code="2022") == "pre2025:21469"
    # 21439 is Nguyễn Nghiêm before 2025 and Đức Phổ after: the name decides.
    assert resolver.resolve("21439", "Phường Đức Phổ", period_code="2025") == "2025:21439"
    assert resolver.resolve("21439", "Phường Nguyễn Nghiêm", period_code="2025") == (
        "pre2025:21439"
    )


def test_name_with_old_tone_placement_and_district_resolves(resolver):
    key = resolver.resolve(
        None, "Phường Phổ Hoà", "Thị xã Đức Phổ", "Tỉnh Quảng Ngãi", period_code="2023"
    )
    assert key == "pre2025:21469"


def test_unknown_code_is_rejected_in_both_languages(resolver):
    with pytest.raises(UnitNotResolved) as raised:
        resolver.resolve("99999", "Phường Không Tồn Tại", period_code="2024")
    assert "99999" in raised.value.reason_vi and "99999" in raised.value.reason_en
    assert "không có trong danh mục" in raised.value.reason_vi


def test_code_contradicting_the_name_is_rejected(resolver):
    with pytest.raises(UnitNotResolved, match="does not match"):
        resolver.resolve("21469", "Xã Phổ An", period_code="2022")


def test_ambiguous_name_lists_candidates(resolver):
    # Many communes are called "Xã Tân Lập"; without district and province it is ambiguous.
    with pytest.raises(UnitNotResolved) as raised:
        resolver.resolve(None, "Xã Tân Lập", period_code="2022")
    assert "matches several units" in raised.value.reason_en
