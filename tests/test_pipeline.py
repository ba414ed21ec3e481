"""The real nightly flow (Prefect, GE, DuckDB, dbt) on generated demo submissions.

Expected figures are computed here in plain Python from the generator's own truth,
independently of the SQL that the warehouse uses.
"""

from __future__ import annotations

from collections import defaultdict

import duckdb
import pytest

pytestmark = pytest.mark.slow

DISTRICT = "pre2025:534"  # Thị xã Đức Phổ: 15 units, 12 of them report in the demo
PROVINCE = "pre2025:51"


def _one(con, sql, params=()):
    return con.execute(sql, list(params)).fetchone()


def _term_value(truth, unit, indicator, years, aggregation):
    values = [truth[(unit, indicator, str(y))] for y in years if (unit, indicator, str(y)) in truth]
    if aggregation == "sum":
        return sum(values)
    if aggregation == "mean":
        return sum(values) / len(values)
    return values[-1]


def test_run_summary_counts_every_file(demo_run):
    summary, manifest = demo_run["summary"], demo_run["manifest"]
    assert summary["files_seen"] == len(manifest.files)
    assert summary["submissions_rejected"] == len(manifest.bad_files)
    assert summary["submissions_loaded"] == len(manifest.files) - len(manifest.bad_files)
    assert summary["values_loaded"] > 1000
    assert summary["hidden_sheets_skipped"] >= 1
    assert set(summary["seconds_by_stage"]) >= {"parse", "validate", "stage", "dbt_build"}


def test_ward_value_matches_what_the_ward_sent(warehouse, truth):
    key = ("pre2025:21469", "VH.BHYT_TYLE", "2022")
    row = _one(
        warehouse,
        "select value, qualifier, is_estimate, quality_status, source_file, source_sheet, "
        "source_cell from marts.fct_indicator_value "
        "where unit_key = ? and indicator_code = ? and period_code = ?",
        key,
    )
    assert row[0] == pytest.approx(truth[key])
    assert row[1:4] == ("=", False, "ok")
    assert row[4].startswith("so-ket-2020-2025/") and row[5] and row[6][0].isalpha()


def test_every_expected_value_is_loaded(warehouse, truth):
    loaded = {
        (u, i, p): v
        for u, i, p, v in warehouse.execute(
            "select unit_key, indicator_code, period_code, value from marts.fct_indicator_value"
        ).fetchall()
    }
    missing = set(truth) - set(loaded)
    assert not missing, sorted(missing)[:5]
    wrong = {k: (loaded[k], v) for k, v in truth.items() if loaded[k] != pytest.approx(v)}
    assert not wrong, list(wrong.items())[:5]


def test_estimate_is_flagged(warehouse):
    row = _one(
        warehouse,
        "select bool_and(is_estimate) from marts.fct_indicator_value where period_code = '2023'",
    )
    assert row[0] is True


def test_district_ratio_is_a_ratio_of_sums(warehouse, truth):
    wards = {u for (u, _, _) in truth}
    numerator = sum(truth[(u, "VH.BHYT_SO_NGUOI", "2022")] for u in wards)
    denominator = sum(truth[(u, "VH.DAN_SO", "2022")] for u in wards)
    mean_of_rates = sum(truth[(u, "VH.BHYT_TYLE", "2022")] for u in wards) / len(wards)
    row = _one(
        warehouse,
        "select value, n_units_reporting, n_units_expected, level from marts.fct_indicator_rollup "
        "where unit_key = ? and indicator_code = 'VH.BHYT_TYLE' and period_code = '2022'",
        [DISTRICT],
    )
    assert row[0] == pytest.approx(100 * numerator / denominator, rel=1e-9)
    assert row[0] != pytest.approx(mean_of_rates, rel=1e-6)
    assert row[1:] == (12, 15, "district")


def test_district_sum_and_province_partial_coverage(warehouse, truth):
    wards = {u for (u, _, _) in truth}
    expected = sum(truth[(u, "XD.KET_NAP_DV", "2024")] for u in wards)
    district = _one(
        warehouse,
        "select value, n_units_reporting from marts.fct_indicator_rollup "
        "where unit_key = ? and indicator_code = 'XD.KET_NAP_DV' and period_code = '2024'",
        [DISTRICT],
    )
    assert district == (pytest.approx(expected), 12)
    province = _one(
        warehouse,
        "select value, n_units_reporting, n_units_expected from marts.fct_indicator_rollup "
        "where unit_key = ? and indicator_code = 'XD.KET_NAP_DV' and period_code = '2024'",
        [PROVINCE],
    )
    assert province[0] == pytest.approx(expected)
    assert province[1] == 12 and province[2] > 100  # Quảng Ngãi has many more communes


def test_2025_ward_is_built_through_the_crosswalk(warehouse, truth):
    # Phổ Hòa (21469) and Nguyễn Nghiêm (21439) both went whole into Phường Đức Phổ.
    crosswalk = dict(
        warehouse.execute(
            "select old_unit_key, share from ref.admin_crosswalk where new_unit_key = '2025:21439'"
        ).fetchall()
    )
    expected = sum(
        share * truth[(old, "XD.KET_NAP_DV", "2024")]
        for old, share in crosswalk.items()
        if (old, "XD.KET_NAP_DV", "2024") in truth
    )
    row = _one(
        warehouse,
        "select value, level from marts.fct_indicator_rollup where unit_key = '2025:21439' "
        "and indicator_code = 'XD.KET_NAP_DV' and period_code = '2024'",
    )
    assert row == (pytest.approx(expected), "ward")


def test_term_comparison_sum_indicator(warehouse, truth):
    ward = "pre2025:21469"
    current = _term_value(truth, ward, "XD.KET_NAP_DV", range(2021, 2026), "sum")
    previous = _term_value(truth, ward, "XD.KET_NAP_DV", range(2016, 2021), "sum")
    row = _one(
        warehouse,
        "select value, prev_term_code, prev_value, abs_change, pct_change "
        "from marts.fct_term_comparison where unit_key = ? and indicator_code = 'XD.KET_NAP_DV' "
        "and term_code = '2020-2025' and basis = 'full'",
        [ward],
    )
    assert row[0] == pytest.approx(current)
    assert row[1:3] == ("2015-2020", pytest.approx(previous))
    assert row[3] == pytest.approx(current - previous)
    assert row[4] == pytest.approx(100 * (current - previous) / previous)


def test_term_comparison_district_ratio_mid_term(warehouse, truth):
    wards = {u for (u, _, _) in truth}
    years = range(2021, 2024)  # mid-term window of 2020-2025
    by_indicator = defaultdict(float)
    for indicator in ("VH.HO_NGHEO", "VH.TONG_HO"):
        for ward in wards:
            by_indicator[indicator] += _term_value(truth, ward, indicator, years, "last")
    expected = 100 * by_indicator["VH.HO_NGHEO"] / by_indicator["VH.TONG_HO"]
    row = _one(
        warehouse,
        "select value, improved from marts.fct_term_comparison where unit_key = ? "
        "and indicator_code = 'VH.HO_NGHEO_TYLE' and term_code = '2020-2025' and basis = 'mid'",
        [DISTRICT],
    )
    assert row[0] == pytest.approx(expected)


def test_bad_files_are_rejected_with_reasons_and_the_rest_load(warehouse, demo_run):
    manifest = demo_run["manifest"]
    rows = warehouse.execute(
        "select source_file, status, reason, unit_key from marts.rpt_submission_status "
        "where status = 'rejected' order by source_file"
    ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(manifest.bad_files)
    for _, _, reason, _ in rows:
        assert " / " in reason, reason  # Vietnamese first, then English
    corrupt = next(r for r in rows if "hong" in r[0])
    assert "hỏng" in corrupt[2].lower() or "không" in corrupt[2].lower()
    unknown = next(r for r in rows if "khong-ro" in r[0])
    assert "99999" in unknown[2] and unknown[3] is None
    loaded = _one(
        warehouse,
        "select count(*) from marts.rpt_submission_status where status in "
        "('loaded', 'loaded_with_warnings', 'superseded')",
    )
    assert loaded[0] == len(manifest.files) - len(manifest.bad_files)


def test_resubmission_supersedes_the_first_and_both_stay(warehouse, demo_run):
    superseded = demo_run["manifest"].superseded_file
    statuses = dict(
        warehouse.execute(
            "select source_file, status from marts.rpt_submission_status "
            "where unit_key = 'pre2025:21469' and period_code = '2024'"
        ).fetchall()
    )
    assert statuses[superseded] == "superseded"
    assert sorted(statuses.values()) == ["loaded", "superseded"]


def test_dimensions(warehouse):
    assert _one(
        warehouse,
        "select unit_name, level, parent_key, scheme from marts.dim_admin_unit "
        "where unit_key = 'pre2025:21469'",
    ) == ("Phường Phổ Hòa", "ward", DISTRICT, "pre2025")
    assert _one(
        warehouse,
        "select first_year, last_year, mid_last_year from marts.dim_term "
        "where term_code = '2020-2025'",
    ) == (2021, 2025, 2023)
    assert _one(
        warehouse,
        "select period_type, term_code from marts.dim_period where period_code = '2020-2025-MID'",
    ) == ("mid_term", "2020-2025")
    assert _one(warehouse, "select count(*) from marts.dim_indicator")[0] == 35
    assert _one(
        warehouse,
        "select value_type, unit_aggregation, time_aggregation, numerator_code, "
        "denominator_code, higher_is_better from marts.dim_indicator "
        "where indicator_code = 'VH.HO_NGHEO_TYLE'",
    ) == ("percent", "ratio", "last", "VH.HO_NGHEO", "VH.TONG_HO", False)


def test_rerun_with_nothing_new_parses_nothing_and_loads_nothing_twice(prefect_server, demo_run):
    from flows.nightly import nightly_pipeline

    before = _count_values(demo_run["warehouse"])
    summary = nightly_pipeline(
        raw_dir=str(demo_run["raw_dir"]), warehouse=str(demo_run["warehouse"])
    )
    assert summary["outcome"] == "current"
    assert summary["files_unchanged"] == summary["files_seen"] == demo_run["summary"]["files_seen"]
    assert "parse" not in summary["seconds_by_stage"]
    assert summary["submissions_loaded"] == 0 and summary["values_loaded"] == 0
    assert _count_values(demo_run["warehouse"]) == before


def _count_values(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return _one(con, "select count(*) from raw.observations")[0]
    finally:
        con.close()


def test_each_new_submission_gets_a_feedback_page(demo_run):
    from pathlib import Path

    index = Path(demo_run["summary"]["feedback_index"])
    pages = [p for p in index.parent.glob("*.html") if p != index]
    assert len(pages) == demo_run["summary"]["submissions_read"]
    corrupt = next(p for p in pages if "bao-cao-hong" in p.name)
    text = corrupt.read_text(encoding="utf-8")
    assert "Bị từ chối" in text and "hỏng" in text and "damaged" in text
    assert text.index("hỏng") < text.index("damaged")  # Vietnamese first


def test_the_first_nights_build_reads_the_project_parsed_beside_validation(demo_run):
    """The demo night (a new warehouse folder) parsed the dbt project in another process
    while it validated and staged (see conftest): its build did not parse it again."""
    from flows.warehouse.dbt_build import dbt_state_dir
    from flows.warehouse.publish import build_path

    log = dbt_state_dir(build_path(demo_run["warehouse"])) / "logs" / "dbt.log"
    # dbt heads each invocation's lines with a rule of '=' around its start time.
    invocations = [part for part in log.read_text().split("=" * 30) if "Running with dbt" in part]
    builds = [part for part in invocations if "Concurrency:" in part]
    assert "Concurrency:" not in invocations[0]
    assert "Starting full parse" in invocations[0]
    assert builds and not any("Starting full parse" in build for build in builds)
