"""Marts analysts trust: every public column documented, docs build offline, and the
roll-up and term rules checked against figures computed here in plain Python."""

from __future__ import annotations

import shutil
from collections import defaultdict

import pytest
import yaml

from flows.settings import DBT_PROJECT_DIR
from flows.warehouse.dbt_build import release_dbt_connection, warehouse_env

pytestmark = pytest.mark.slow

MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
DISTRICT, PROVINCE, PROVINCE_2025 = "pre2025:534", "pre2025:51", "2025:51"


def _documented_columns() -> dict[str, dict[str, str]]:
    documented = {}
    for path in MARTS_DIR.glob("*.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            documented[model["name"]] = {
                column["name"]: (column.get("description") or "").strip()
                for column in model.get("columns", [])
            }
    return documented


def test_every_public_column_is_described(warehouse):
    documented = _documented_columns()
    actual = defaultdict(list)
    for table, column in warehouse.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts'"
    ).fetchall():
        actual[table].append(column)
    assert set(actual) <= set(documented)
    undocumented = [
        f"{table}.{column}"
        for table, columns in actual.items()
        for column in columns
        if not documented[table].get(column)
    ]
    assert not undocumented


def test_dbt_docs_generate_works_offline(demo_run, tmp_path):
    from dbt.cli.main import dbtRunner

    copy = tmp_path / "docs.duckdb"
    shutil.copy(demo_run["warehouse"], copy)
    target = tmp_path / "target"
    args = ["docs", "generate", "--project-dir", str(DBT_PROJECT_DIR)]
    args += ["--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target), "--quiet"]
    with warehouse_env(copy):
        try:
            result = dbtRunner().invoke(args)
        finally:
            release_dbt_connection()
    assert result.success, result.exception
    catalog = (target / "catalog.json").read_text(encoding="utf-8")
    assert "model.chitieu.fct_term_comparison" in catalog
    assert (target / "index.html").stat().st_size > 100_000


def _rollup(con, unit, indicator, period):
    return con.execute(
        "select value, n_units_reporting, n_units_expected from marts.fct_indicator_rollup "
        "where unit_key = ? and indicator_code = ? and period_code = ?",
        [unit, indicator, period],
    ).fetchone()


def test_province_ratio_of_sums_in_both_schemes(warehouse, truth):
    wards = {u for (u, _, _) in truth}
    for unit in (PROVINCE, PROVINCE_2025):
        numerator = sum(truth[(u, "DV.Y_KIEN_GIAI_QUYET", "2022")] for u in wards)
        denominator = sum(truth[(u, "DV.Y_KIEN_NHAN", "2022")] for u in wards)
        value, reporting, expected = _rollup(warehouse, unit, "DV.Y_KIEN_TYLE", "2022")
        assert value == pytest.approx(100 * numerator / denominator), unit
        assert reporting <= expected


def test_mean_indicator_rolls_up_unweighted(warehouse, truth):
    wards = sorted({u for (u, _, _) in truth})
    values = [truth[(u, "VH.GD_HOC_TAP_TYLE", "2024")] for u in wards]
    value, reporting, expected = _rollup(warehouse, DISTRICT, "VH.GD_HOC_TAP_TYLE", "2024")
    assert value == pytest.approx(sum(values) / len(values))
    assert (reporting, expected) == (12, 15)


def test_term_last_value_for_a_stock(warehouse, truth):
    ward = "pre2025:21466"
    row = warehouse.execute(
        "select value from marts.fct_term_comparison where unit_key = ? "
        "and indicator_code = 'VH.DAN_SO' and term_code = '2015-2020' and basis = 'mid'",
        [ward],
    ).fetchone()
    assert row[0] == pytest.approx(truth[(ward, "VH.DAN_SO", "2018")])


def test_lower_is_better_achievement_is_inverted(warehouse):
    rows = warehouse.execute(
        "select value, target_value, target_achievement_pct from marts.fct_term_comparison "
        "where indicator_code = 'VH.HO_NGHEO_TYLE' and basis = 'full' "
        "and target_value is not null and value > 0"
    ).fetchall()
    assert rows
    for value, target, achievement in rows:
        assert achievement == pytest.approx(100 * target / value)


def test_year_over_year(warehouse, truth):
    ward = "pre2025:21469"
    current = truth[(ward, "VH.HO_NGHEO", "2022")]
    previous = truth[(ward, "VH.HO_NGHEO", "2021")]
    row = warehouse.execute(
        "select value, prev_year_value, abs_change, improved from marts.fct_indicator_yoy "
        "where unit_key = ? and indicator_code = 'VH.HO_NGHEO' and year = 2022",
        [ward],
    ).fetchone()
    assert row[:3] == (
        pytest.approx(current),
        pytest.approx(previous),
        pytest.approx(current - previous),
    )
    if current != previous:  # poor households: fewer is better
        assert row[3] is (current < previous)
