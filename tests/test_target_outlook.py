"""marts.fct_target_outlook: the mid-term outlook (issue #25).

The dbt unit tests (dbt_project/models/*/int_outlook_*.yml, fct_target_outlook.yml) pin
each branch of the method on small rows. Here: the plain-Python reference
(tests/outlook_reference.py) on the same cases, then, on the demo night, every row of the
mart against that reference and against the term comparison.
"""

from __future__ import annotations

import math

import pytest

from tests import outlook_reference as ref

TOLERANCE = 1e-9


# ------------------------------------------------------------------ the reference itself


def test_least_squares_by_hand():
    assert ref.least_squares_at([(2021, 50.0), (2022, 60.0)], 2025) == 90.0
    assert ref.least_squares_at([(2021, 50.0), (2022, 60.0), (2023, 58.0)], 2025) == 68.0
    # A year missing in the middle: the line still goes through the points reported.
    assert ref.least_squares_at([(2021, 1.0), (2023, 3.0), (2024, 4.0)], 2025) == pytest.approx(5)


@pytest.mark.parametrize(
    ("projected", "bound", "upper", "status"),
    [
        (20.0, 25.0, False, "off_track"),  # 80 %
        (22.5, 25.0, False, "at_risk"),  # exactly 90 %
        (25.0, 25.0, False, "on_track"),
        (4.0, 3.0, True, "off_track"),
        (3.3, 3.0, True, "at_risk"),  # exactly 110 % of an upper bound
        (2.5, 3.0, True, "on_track"),
    ],
)
def test_status_boundaries(projected, bound, upper, status):
    reached = 0.0 if not upper else 99.0  # far from the bound: never already achieved
    assert (
        ref.status_of(
            k=2,
            method="trend",
            value_to_date=reached,
            latest=reached,
            projected=projected,
            bound=bound,
            upper=upper,
            as_of_year=2022,
            end_year=2025,
        )
        == status
    )


def test_a_cap_on_a_sum_is_achieved_only_at_the_end_of_the_term():
    common = {"k": 2, "method": "run_rate", "projected": 0.0, "bound": 2.0, "upper": True}
    assert (
        ref.status_of(**common, value_to_date=0.0, latest=0.0, as_of_year=2022, end_year=2025)
        == "on_track"
    )
    assert (
        ref.status_of(**common, value_to_date=1.0, latest=1.0, as_of_year=2025, end_year=2025)
        == "achieved"
    )


def test_bounds_follow_the_target_value_macro():
    assert ref.stated_bound(10.0, 12.0, "range", False) == 12.0  # lower is better: upper end
    assert ref.stated_bound(60.0, 65.0, "range", True) == 60.0
    assert ref.stated_bound(None, 3.0, "at_most", False) == 3.0
    assert ref.is_upper_bound(None, "at_most", None)
    assert ref.is_upper_bound(10.0, "range", False)
    assert not ref.is_upper_bound(60.0, "range", True)
    assert not ref.is_upper_bound(100.0, "exact", True)


def test_ratio_from_parts_and_a_year_with_only_a_part():
    def entry(unit_aggregation, time_aggregation, numerator=None, denominator=None, top=None):
        return {
            "unit_aggregation": unit_aggregation,
            "time_aggregation": time_aggregation,
            "numerator_code": numerator,
            "denominator_code": denominator,
            "higher_is_better": True,
            "min_value": 0.0,
            "max_value": top,
        }

    catalog = {
        "R": entry("ratio", "last", "N", "D", top=100.0),
        "N": entry("sum", "sum"),
        "D": entry("sum", "sum"),
    }
    yearly = {
        ("w", "D"): {2021: 40.0, 2022: 60.0, 2023: 100.0},
        ("w", "N"): {2022: 30.0, 2023: 45.0},
        ("w", "R"): {2022: 50.0, 2023: 45.0},
    }
    target = ref.Target(
        low=90.0, high=None, direction="at_least", text="≥ 90%", per_year=False, value=90.0
    )
    rows = ref.outlook(
        yearly, {("w", "R", "2020-2025"): target}, catalog, {"2020-2025": (2020, 2025)}
    )
    first, second, third = (rows[("w", "R", "2020-2025", year)] for year in (2021, 2022, 2023))
    assert (first.n_years_reported, first.value_to_date, first.status) == (0, None, "no_data")
    assert (second.value_to_date, second.projection_method, second.projected_value) == (
        30.0,
        "latest",
        50.0,
    )
    assert (third.value_to_date, third.projection_method, third.projected_value) == (
        37.5,
        "trend",
        35.0,
    )
    assert third.status == "off_track"  # 35 is far from 90


# ------------------------------------------------------------------ the demo night


def _close(left, right) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return math.isclose(left, right, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def _mart_rows(warehouse) -> dict[tuple, dict]:
    cursor = warehouse.execute("select * from marts.fct_target_outlook")
    names = [column[0] for column in cursor.description]
    return {
        (row["unit_key"], row["indicator_code"], row["term_code"], row["as_of_year"]): row
        for row in (dict(zip(names, values, strict=True)) for values in cursor.fetchall())
    }


@pytest.mark.slow
def test_every_ward_target_has_an_outlook_row_for_each_year_with_data(warehouse):
    """Ward × indicator with a 2020-2025 target, from the values as the wards reported
    them: an outlook row for every year 2021..2025 with a value of it or of its parts."""
    catalog = ref.read_catalog()
    reported = warehouse.execute(
        "select v.unit_key, v.indicator_code, v.year, v.value is not null, "
        "v.target_value is not null from marts.fct_indicator_value as v "
        "join marts.dim_admin_unit as u using (unit_key) "
        "where u.level = 'ward' and v.period_type = 'year' and v.year between 2021 and 2025"
    ).fetchall()
    with_target = {(unit, code) for unit, code, _, _, has_target in reported if has_target}
    years_with_value: dict[tuple[str, str], set[int]] = {}
    for unit, code, year, has_value, _ in reported:
        if has_value:
            years_with_value.setdefault((unit, code), set()).add(year)
    expected = set()
    for unit, code in with_target:
        entry = catalog[code]
        codes = [code]
        if entry["unit_aggregation"] == "ratio":
            codes += [entry["numerator_code"], entry["denominator_code"]]
        for year in set().union(*(years_with_value.get((unit, c), set()) for c in codes)):
            expected.add((unit, code, year))
    outlook = {
        (unit, code, year)
        for unit, code, term, year in _mart_rows(warehouse)
        if term == "2020-2025"
    }
    assert len(with_target) >= 12 * 10  # the demo's 12 reporting wards, each with targets
    assert outlook == expected


@pytest.mark.slow
def test_outlook_agrees_with_the_term_comparison(warehouse):
    """Targets are fct_term_comparison's (basis full), and the value to date at the last
    year with data is the term value."""
    comparison = {
        (unit, code, term): (value, target_value, target_text)
        for unit, code, term, value, target_value, target_text in warehouse.execute(
            "select unit_key, indicator_code, term_code, value, target_value, target_text "
            "from marts.fct_term_comparison where basis = 'full'"
        ).fetchall()
    }
    last_rows: dict[tuple, dict] = {}
    for (unit, code, term, year), row in _mart_rows(warehouse).items():
        _, target_value, target_text = comparison[(unit, code, term)]
        assert (row["target_value"], row["target_text"]) == (target_value, target_text)
        if (unit, code, term) not in last_rows or year > last_rows[(unit, code, term)][
            "as_of_year"
        ]:
            last_rows[(unit, code, term)] = row
    for key, row in last_rows.items():
        assert _close(row["value_to_date"], comparison[key][0]), key


@pytest.mark.slow
def test_outlook_matches_the_python_reference(warehouse):
    """Every row of the mart, recomputed independently (tests/outlook_reference.py)."""
    expected = ref.outlook_from_warehouse(warehouse)
    actual = _mart_rows(warehouse)
    assert set(actual) == set(expected)
    statuses = set()
    for key, want in expected.items():
        got = actual[key]
        statuses.add(got["status"])
        assert got["n_years_reported"] == want.n_years_reported, key
        assert got["projection_method"] == want.projection_method, key
        assert got["status"] == want.status, key
        assert got["target_is_upper_bound"] == want.target_is_upper_bound, key
        assert got["target_per_year"] == want.target.per_year, key
        assert got["target_direction"] == want.target.direction, key
        for column, value in (
            ("value_to_date", want.value_to_date),
            ("latest_value", want.latest_value),
            ("projected_value", want.projected_value),
            ("projected_achievement_pct", want.projected_achievement_pct),
            ("target_value", want.target.value),
            ("target_low", want.target.low),
            ("target_high", want.target.high),
        ):
            assert _close(got[column], value), (key, column, got[column], value)
    # The demo exercises the four statuses a ward with data can have.
    assert {"achieved", "on_track", "at_risk", "off_track"} <= statuses
