"""``chitieu export``: the marts as Parquet for other engines, and CSV safe to open."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.warehouse.export import defuse_csv_text, export_marts

CHITIEU = Path(sys.executable).with_name("chitieu")


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Phường Phổ Hòa", "Phường Phổ Hòa"),
        (-5, -5),
        (None, None),
    ],
)
def test_formula_triggers_are_defused(cell, written):
    assert defuse_csv_text(cell) == written


@pytest.fixture
def small_warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.rpt_unmapped_rows as "
        "select '=cmd|'' /C calc''!A0' as name_text, -5 as source_row"
    )
    con.close()
    return path


def test_csv_export_through_the_cli_is_safe_to_open(small_warehouse, tmp_path):
    out = tmp_path / "csv"
    result = subprocess.run(
        [
            str(CHITIEU),
            "export",
            "--format",
            "csv",
            "--out",
            str(out),
            "--warehouse",
            str(small_warehouse),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with (out / "rpt_unmapped_rows.csv").open(encoding="utf-8-sig") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row == {"name_text": "'=cmd|' /C calc'!A0", "source_row": "-5"}


@pytest.mark.slow
def test_parquet_export_of_the_demo_marts(demo_run, tmp_path):
    written = export_marts(demo_run["warehouse"], tmp_path, "parquet")
    names = {path.stem for path in written}
    assert {"fct_indicator_value", "fct_term_comparison", "rpt_submission_status"} <= names
    con = duckdb.connect()
    exported = con.execute(
        f"select count(*) from read_parquet('{tmp_path / 'fct_indicator_value.parquet'}')"
    ).fetchone()[0]
    original = duckdb.connect(str(demo_run["warehouse"]), read_only=True)
    try:
        expected = original.execute("select count(*) from marts.fct_indicator_value").fetchone()
    finally:
        original.close()
    assert exported == expected[0]
