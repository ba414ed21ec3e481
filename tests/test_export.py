"""``chitieu export``: the marts as Parquet for other engines, and CSV safe to open."""

from __future__ import annotations

import csv
import random
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.operations.cli import main
from flows.operations.exit_codes import EXIT_OK, EXIT_USAGE
from flows.warehouse.export import (
    defuse_csv_text,
    export_marts,
    export_relations,
    parse_partition_keys,
    path_safe_key,
)

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


# --- Hive-partitioned Parquet (--partition-by) -------------------------------------------

PROVINCES = ("pre2025:51", "pre2025:01", "2025:01", "2025:22")
YEARS = range(2016, 2026)
TERMS = (("2015-2020", 2020), ("2020-2025", 2025))


def _tiny_warehouse(path: Path, seed: int) -> Path:
    """A warehouse with the columns the export reads, drawn across schemes, levels and years.

    Each province has a district and wards (pre-2025) or wards only (2025); facts are drawn
    over units × years; one fact row names a unit outside dim_admin_unit, one fact
    relation is empty, and text carries the characters a path cannot.
    """
    rng = random.Random(seed)
    units = []
    for province in PROVINCES:
        scheme, code = province.split(":")
        units.append((province, scheme, "province", province))
        if scheme == "pre2025":
            district = f"{scheme}:{code}{rng.randint(100, 999)}"
            units.append((district, scheme, "district", province))
        for number in range(rng.randint(1, 3)):
            units.append(
                (f"{scheme}:{code}{number:03d}{rng.randint(10, 99)}", scheme, "ward", province)
            )
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_admin_unit (unit_key varchar, scheme varchar, level varchar, "
        "province_key varchar)"
    )
    con.executemany("insert into marts.dim_admin_unit values (?, ?, ?, ?)", units)
    con.execute("create table marts.dim_term (term_code varchar, last_year integer)")
    con.executemany("insert into marts.dim_term values (?, ?)", TERMS)
    con.execute(
        "create table marts.fct_indicator_value (unit_key varchar, indicator_code varchar, "
        "period_code varchar, year integer, value double, original_text varchar, "
        "report_date date)"
    )
    con.execute(
        "create table marts.fct_term_comparison (unit_key varchar, indicator_code varchar, "
        "term_code varchar, value double, pct_change double)"
    )
    con.execute(
        "create table marts.fct_target_outlook (unit_key varchar, indicator_code varchar, "
        "term_code varchar, as_of_year integer, status varchar)"
    )
    con.execute(
        "create table marts.fct_indicator_yoy (unit_key varchar, year integer, value double)"
    )
    con.execute(
        "create table marts.rpt_submission_status (submission_id varchar, unit_key varchar, "
        "period_code varchar)"
    )
    values, comparisons, outlooks = [], [], []
    for unit_key, _, _, _ in units:
        for year in rng.sample(list(YEARS), rng.randint(1, 4)):
            for indicator in rng.sample(["KT01", "XH02", "MT03"], rng.randint(1, 3)):
                value = rng.choice([None, 0.0, -1.5, rng.uniform(0, 1e9)])
                text = rng.choice(["1.117.213.000", "91,5", "=1+1", "a:b/c\\d"])
                values.append(
                    (unit_key, indicator, str(year), year, value, text, date(year, 12, 31))
                )
        for term, last_year in rng.sample(TERMS, rng.randint(1, 2)):
            comparisons.append((unit_key, "KT01", term, rng.uniform(0, 100), None))
            outlooks.append((unit_key, "KT01", term, last_year - rng.randint(0, 4), "on_track"))
    values.append(("pre2025:99999", "KT01", "2024", 2024, 1.0, "1", date(2024, 12, 31)))
    con.executemany("insert into marts.fct_indicator_value values (?, ?, ?, ?, ?, ?, ?)", values)
    con.executemany("insert into marts.fct_term_comparison values (?, ?, ?, ?, ?)", comparisons)
    con.executemany("insert into marts.fct_target_outlook values (?, ?, ?, ?, ?)", outlooks)
    con.execute("insert into marts.rpt_submission_status values ('s1', 'pre2025:51', '2024')")
    con.close()
    return path


def _relation_source(out: Path, relation) -> str:
    if relation.partitioned_by:
        return f"read_parquet('{out / relation.name}/**/*.parquet', hive_partitioning = true)"
    return f"read_parquet('{relation.path}')"


def _assert_duckdb_reads_the_warehouse(warehouse: Path, out: Path, relations) -> None:
    """Every relation read back has the warehouse's rows, column by column, and the keys."""
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    for relation in relations:
        columns = [
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns where table_catalog = 'wh' "
                "and table_schema = 'marts' and table_name = ? order by ordinal_position",
                [relation.name],
            ).fetchall()
        ]
        listed = ", ".join(f'"{column}"' for column in columns)
        source = _relation_source(out, relation)
        original = f'select {listed} from wh.marts."{relation.name}"'
        exported = f"select {listed} from {source}"
        count = con.execute(f"select count(*) from {source}").fetchone()[0]
        assert count == relation.rows, relation.name
        for first, second in ((original, exported), (exported, original)):
            assert con.execute(f"{first} except all {second}").fetchall() == [], relation.name
        if not relation.partitioned_by:
            continue
        types = dict(
            con.execute(
                f"select column_name, column_type from (describe select * from {source})"
            ).fetchall()
        )
        if relation.rows:
            assert "year" not in relation.partitioned_by or types["year"] in ("BIGINT", "INTEGER")
        if "province" in relation.partitioned_by:
            assert types["province"] == "VARCHAR"
            pairs = con.execute(f"select distinct province_key, province from {source}").fetchall()
            assert all(path_safe_key(key) == safe for key, safe in pairs), pairs
            expected = con.execute(
                f'select count(*) from wh.marts."{relation.name}" as r '
                "join wh.marts.dim_admin_unit as u using (unit_key)"
            ).fetchone()[0]
            matched = con.execute(
                f"select count(*) from {source} as e join wh.marts.dim_admin_unit as u "
                "on e.unit_key = u.unit_key and e.province_key = u.province_key"
            ).fetchone()[0]
            assert matched == expected, relation.name
    con.close()


def _assert_polars_reads_the_warehouse(warehouse: Path, out: Path, relations) -> None:
    """Polars' Hive reader gives the same rows, and typed partition columns."""
    import polars as pl

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for relation in (relation for relation in relations if relation.rows):
            if relation.partitioned_by:
                frame = pl.scan_parquet(
                    out / relation.name / "**" / "*.parquet", hive_partitioning=True
                ).collect()
            else:
                frame = pl.read_parquet(relation.path)
            original = con.execute(f'select * from marts."{relation.name}"')
            columns = [column[0] for column in original.description]
            expected = sorted(original.fetchall(), key=repr)
            assert sorted(frame.select(columns).rows(), key=repr) == expected, relation.name
            if "year" in relation.partitioned_by:
                assert frame.schema["year"].is_integer()
            if "province" in relation.partitioned_by:
                assert frame.schema["province"] == pl.String
    finally:
        con.close()


def _assert_paths_are_safe(out: Path) -> None:
    for folder in out.rglob("*=*"):
        assert re.fullmatch(r"(province|year)=[A-Za-z0-9_-]+", folder.name), folder
    assert not list(out.glob(".chitieu-export-*")), "the staging folder was left behind"


PARTITIONINGS = [("province", "year"), ("year", "province"), ("province",), ("year",)]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("partition_by", PARTITIONINGS)
def test_partitioned_export_reads_back_as_the_warehouse(tmp_path, partition_by, seed):
    warehouse = _tiny_warehouse(tmp_path / "warehouse.duckdb", seed)
    out = tmp_path / "lake"
    relations = export_relations(warehouse, out, "parquet", partition_by)
    by_name = {relation.name: relation for relation in relations}
    facts = {name for name in by_name if name.startswith("fct_")}
    assert {name for name, relation in by_name.items() if relation.partitioned_by} == facts
    assert all(by_name[name].partitioned_by == partition_by for name in facts)
    assert by_name["fct_indicator_yoy"].rows == 0
    _assert_duckdb_reads_the_warehouse(warehouse, out, relations)
    _assert_polars_reads_the_warehouse(warehouse, out, relations)
    _assert_paths_are_safe(out)
    # The folder order is the order asked for.
    leaf = next((out / "fct_indicator_value").rglob("*.parquet")).relative_to(out)
    assert [part.split("=")[0] for part in leaf.parts[1:-1]] == list(partition_by)


def test_partition_values_follow_each_relations_year_rule(tmp_path):
    warehouse = _tiny_warehouse(tmp_path / "warehouse.duckdb", 3)
    out = tmp_path / "lake"
    export_relations(warehouse, out, "parquet", ("province", "year"))
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")

    def exported(name: str, columns: str) -> list:
        source = f"read_parquet('{out / name}/**/*.parquet', hive_partitioning = true)"
        return sorted(con.execute(f"select {columns} from {source}").fetchall(), key=repr)

    # The outlook's year is its as_of_year; a term comparison's, its term's last year.
    outlook = exported("fct_target_outlook", "as_of_year, year")
    assert outlook and all(as_of == year for as_of, year in outlook)
    comparison = exported("fct_term_comparison", "term_code, year")
    assert comparison and all(year == dict(TERMS)[term] for term, year in comparison)
    # A province's own rows are in its own folder, a ward's in its province's.
    folders = exported("fct_indicator_value", "unit_key, province_key, province")
    levels = dict(con.execute("select unit_key, level from wh.marts.dim_admin_unit").fetchall())
    for unit_key, province_key, province in folders:
        if unit_key not in levels:
            assert province_key is None and province is None  # Hive's null folder
        else:
            assert province == path_safe_key(province_key)
            assert levels[unit_key] != "province" or province_key == unit_key
    assert (out / "fct_indicator_value" / "province=pre2025_51").is_dir()
    assert (out / "fct_indicator_value" / "province=__HIVE_DEFAULT_PARTITION__").is_dir()
    con.close()


def test_a_filter_on_year_reads_only_that_years_folders(tmp_path):
    import polars as pl

    warehouse = _tiny_warehouse(tmp_path / "warehouse.duckdb", 4)
    out = tmp_path / "lake"
    export_relations(warehouse, out, "parquet", ("province", "year"))
    relation = out / "fct_indicator_value"
    in_year = sorted(str(path) for path in relation.glob("*/year=2024/*.parquet"))
    every = list(relation.rglob("*.parquet"))
    assert in_year and len(every) > len(in_year)
    con = duckdb.connect()
    plan = con.execute(
        f"explain analyze select count(*) from read_parquet('{relation}/**/*.parquet', "
        "hive_partitioning = true) where year = 2024"
    ).fetchall()[0][1]
    assert f"Total Files Read: {len(in_year)}" in plan, plan
    polars_plan = (
        pl.scan_parquet(relation / "**" / "*.parquet", hive_partitioning=True)
        .filter(pl.col("year") == 2024)
        .explain()
    )
    scanned = set(re.findall(r"[^\s\[\],]+\.parquet", polars_plan))
    assert scanned and scanned <= set(in_year), polars_plan


def test_a_re_export_replaces_each_relation_whole(tmp_path):
    warehouse = _tiny_warehouse(tmp_path / "warehouse.duckdb", 5)
    out = tmp_path / "lake"
    export_relations(warehouse, out, "parquet", ("province", "year"))
    con = duckdb.connect(str(warehouse))
    con.execute("delete from marts.fct_indicator_value where year < 2024")
    con.close()
    # Partitioned by year only now: no province folder of the first export may remain.
    relations = export_relations(warehouse, out, "parquet", ("year",))
    assert not list((out / "fct_indicator_value").glob("province=*"))
    assert {path.name for path in (out / "fct_indicator_value").iterdir()} <= {
        "year=2024",
        "year=2025",
    }
    _assert_duckdb_reads_the_warehouse(warehouse, out, relations)
    # Flat, then partitioned again: one form of a relation at a time.
    export_relations(warehouse, out, "parquet")
    assert (out / "fct_indicator_value.parquet").is_file()
    assert not (out / "fct_indicator_value").exists()
    export_relations(warehouse, out, "parquet", ("province",))
    assert not (out / "fct_indicator_value.parquet").exists()
    _assert_paths_are_safe(out)


def test_a_failed_export_leaves_the_previous_one_as_it_was(tmp_path):
    warehouse = _tiny_warehouse(tmp_path / "warehouse.duckdb", 6)
    out = tmp_path / "lake"
    export_relations(warehouse, out, "parquet", ("province", "year"))
    before = sorted((path.relative_to(out), path.read_bytes()) for path in out.rglob("*.parquet"))
    con = duckdb.connect(str(warehouse))
    # Two provinces whose keys share a path-safe form: the export refuses.
    con.execute(
        "insert into marts.dim_admin_unit values ('pre2025_51', 'x', 'province', 'pre2025_51')"
    )
    con.close()
    with pytest.raises(ValueError, match="path-safe"):
        export_relations(warehouse, out, "parquet", ("province", "year"))
    after = sorted((path.relative_to(out), path.read_bytes()) for path in out.rglob("*.parquet"))
    assert after == before
    _assert_paths_are_safe(out)


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("province,year", ("province", "year")),
        (" year ", ("year",)),
        ("year,province", ("year", "province")),
    ],
)
def test_partition_keys_are_read_in_order(text, keys):
    assert parse_partition_keys(text) == keys


@pytest.mark.parametrize(
    "argv",
    [
        ["--partition-by", "province,month"],
        ["--partition-by", "district"],
        ["--partition-by", "year,year"],
        ["--partition-by", ""],
        ["--partition-by", "year", "--format", "csv"],
    ],
)
def test_a_bad_partitioning_is_a_usage_error(argv, tmp_path, capsys):
    warehouse = _tiny_warehouse(tmp_path / "warehouse.duckdb", 7)
    command = ["export", "--out", str(tmp_path / "lake"), "--warehouse", str(warehouse), *argv]
    try:
        code = main(command)
    except SystemExit as stop:
        code = stop.code
    assert code == EXIT_USAGE
    message = capsys.readouterr().err
    assert "province, year" in message or "--format parquet" in message
    assert not (tmp_path / "lake").exists()


def test_the_cli_names_the_relations_left_whole(tmp_path, capsys):
    warehouse = _tiny_warehouse(tmp_path / "warehouse.duckdb", 8)
    out = tmp_path / "lake"
    command = ["export", "--partition-by", "province,year", "--out", str(out)]
    assert main([*command, "--warehouse", str(warehouse)]) == EXIT_OK
    printed = capsys.readouterr()
    assert str(out / "fct_indicator_value") in printed.out.splitlines()
    assert str(out / "dim_admin_unit.parquet") in printed.out.splitlines()
    assert "one file each: dim_admin_unit, dim_term, rpt_submission_status" in printed.err


@pytest.mark.slow
def test_partitioned_export_of_the_demo_marts(demo_run, tmp_path):
    warehouse = demo_run["warehouse"]
    out = tmp_path / "lake"
    relations = export_relations(warehouse, out, "parquet", ("province", "year"))
    partitioned = {relation.name for relation in relations if relation.partitioned_by}
    assert {
        "fct_indicator_value",
        "fct_indicator_rollup",
        "fct_indicator_yoy",
        "fct_target_outlook",
        "fct_term_comparison",
    } <= partitioned
    assert (out / "fct_indicator_value" / "province=pre2025_51" / "year=2024").is_dir()
    _assert_duckdb_reads_the_warehouse(warehouse, out, relations)
    _assert_polars_reads_the_warehouse(warehouse, out, relations)
    _assert_paths_are_safe(out)
