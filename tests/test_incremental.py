"""Incremental nights rebuild only the partitions they touched, and equal a full build.

The demo's published state (one province) gains three wards of other provinces on one
night, then one demo ward's correction on the next. Both nights build incrementally
(dbt_project/macros/rebuild_by_partition.sql). The warehouse they publish must hold
exactly the rows a full rebuild (``--full-refresh``) of those models from the same inputs gives.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from flows.nightly import nightly_pipeline
from flows.settings import DBT_PROJECT_DIR
from flows.warehouse.dbt_build import dbt_build_args, run_dbt_build

ROOT = Path(__file__).resolve().parents[1]


def _incremental_tables() -> list[str]:
    """``schema.model`` of every model dbt_project.yml makes incremental (rebuilt by partition)."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return [
        f"{folder['+schema']}.{name}"
        for folder in project["models"]["chitieu"].values()
        for name, config in folder.items()
        if isinstance(config, dict) and config.get("+materialized") == "incremental"
    ]


def _bench_generator():
    """bench/generate.py (not a package): national wards in the standard layout."""
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _rows(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple]:
    """Every row of ``catalog.table``, sorted: compared exactly, doubles to the last bit."""
    return con.execute(f"select * from {catalog}.{table} order by all").fetchall()


def _units(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    return {unit for (unit,) in con.execute(sql).fetchall()}


@pytest.mark.slow
def test_incremental_nights_equal_a_full_rebuild(demo_run, correct_a_demo_value, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(demo_run["raw_dir"], raw)
    shutil.copytree(demo_run["warehouse"].parent, tmp_path / "warehouse")
    warehouse = tmp_path / "warehouse" / demo_run["warehouse"].name

    generator = _bench_generator()
    generator.generate(3, raw / "quoc-gia", workers=1)
    night = nightly_pipeline(raw_dir=str(raw), warehouse=str(warehouse))
    assert night["outcome"] == "published" and night["submissions_loaded"] == 3, night

    unit, indicator_code, period_code, corrected_value = correct_a_demo_value(raw)
    night = nightly_pipeline(raw_dir=str(raw), warehouse=str(warehouse))
    assert night["outcome"] == "published" and night["submissions_loaded"] == 1, night

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rebuilt = _units(con, "select unit_key from intermediate.int_units__to_rebuild")
        reported = _units(con, "select distinct unit_key from marts.fct_indicator_value")
        partitions = _units(
            con,
            "select distinct partition_key from intermediate.int_unit_partitions"
            " where unit_key in (select unit_key from marts.fct_indicator_value)",
        )
        (value,) = con.execute(
            "select value from marts.fct_indicator_value"
            " where unit_key = ? and indicator_code = ? and period_code = ?",
            [unit, indicator_code, period_code],
        ).fetchone()
    finally:
        con.close()
    assert value == corrected_value
    # The correction's night rebuilt its own province's units, not the other provinces'.
    assert len(partitions) >= 2
    assert unit in rebuilt and reported - rebuilt

    full = tmp_path / "full" / "warehouse.duckdb"
    full.parent.mkdir()
    shutil.copy(warehouse, full)
    tables = _incremental_tables()
    facts = (
        "fct_indicator_value",
        "fct_indicator_rollup",
        "fct_indicator_yoy",
        "fct_term_comparison",
        "fct_target_outlook",
    )
    assert {f"marts.{fact}" for fact in facts} <= set(tables)  # what analysts read, at least
    models = [table.split(".")[1] for table in tables]
    args = dbt_build_args(
        state_dir=tmp_path / "full" / "dbt", unit_tests=False, select=models, full_refresh=True
    )
    run_dbt_build(full, [*args, "--indirect-selection", "empty"])  # the models, from scratch
    con = duckdb.connect()
    try:
        con.execute(f"attach '{warehouse}' as incremental (read_only)")
        con.execute(f"attach '{full}' as rebuilt (read_only)")
        for table in tables:
            assert _rows(con, "incremental", table) == _rows(con, "rebuilt", table), table
    finally:
        con.close()
