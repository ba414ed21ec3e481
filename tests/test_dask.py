"""``chitieu run --dask-address``: parsing and validation on a Dask cluster give a local run's
warehouse.

A real ``distributed.LocalCluster`` (two worker processes, loopback only) runs the real
flow through the real CLI; the marts and the verdict digest must equal those of the
session's local demo run on the same landing folder.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from flows.operations import distributed as on_cluster
from flows.operations.cli import main
from flows.reading.submission import LandedFile, Submission

# Columns that name the run or the moment a file was staged, not what was loaded.
RUN_SPECIFIC = {"received_at", "run_id", "staged_at", "loaded_at"}


def _relation(warehouse, name: str) -> list[tuple]:
    """Every row of ``marts.<name>`` without run-specific columns, in a stable order."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = [
            column
            for (column,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [name],
            ).fetchall()
            if column not in RUN_SPECIFIC
        ]
        listed = ", ".join(f'"{column}"' for column in columns)
        return con.execute(f"select {listed} from marts.{name} order by all").fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_a_run_on_a_dask_cluster_publishes_what_a_local_run_publishes(
    demo_run, tmp_path, monkeypatch, capsys
):
    distributed = pytest.importorskip("distributed")
    # 51 demo files in chunks of 4: 13 parse tasks, enough for both workers to take some.
    monkeypatch.setenv(on_cluster.CHUNK_SIZE_ENV, "4")
    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        status = main(
            [
                "run",
                "--raw-dir",
                str(demo_run["raw_dir"]),
                "--warehouse",
                str(warehouse),
                "--dask-address",
                cluster.scheduler_address,
                "--json",
            ]
        )
        work = client.run(on_cluster.work_done)

    assert status == 0
    summary = json.loads(capsys.readouterr().out)
    local = demo_run["summary"]
    assert summary["verdict_digest"] == local["verdict_digest"]
    for count in ("submissions_loaded", "submissions_rejected", "values_loaded", "unmapped_rows"):
        assert summary[count] == local[count], count
    assert summary["values_warned"] == local["values_warned"]
    assert summary["issues_by_rule"] == local["issues_by_rule"]
    assert summary["quality_docs"] and summary["quality_docs"].endswith("index.html")

    # Both workers parsed, each building its parser once for all its chunks.
    parsers = [done for done in work.values() if done.get("chunks_parsed")]
    assert len(parsers) == 2, work
    assert sum(done["chunks_parsed"] for done in parsers) == 13
    assert all(done["parser_builds"] == 1 for done in parsers)
    assert sum(done.get("parts_validated", 0) for done in work.values()) >= 1

    for relation in ("fct_indicator_value", "rpt_submission_status", "rpt_unmapped_rows"):
        assert _relation(warehouse, relation) == _relation(demo_run["warehouse"], relation), (
            relation
        )


def test_validation_parts_hold_whole_units_and_peer_groups():
    """Outliers compare a value with its district's wards and the unit's own history:
    every submission of a unit, and every unit of a district, must land in one part."""
    groups = on_cluster.peer_groups()
    landed = LandedFile(Path("x.xlsx"), "x.xlsx", "0" * 64, 1, datetime(2025, 1, 1))
    some_wards = list(groups.groupby(groups).head(3).index[:60])  # ≤ 3 wards per district
    units = [*some_wards, None, "pre2025:99999"]  # unknown units have no peer group
    submissions = [
        Submission(f"s{i}", landed, "Sheet1", unit_key=unit)
        for i, unit in enumerate(units + units[:10])  # ten units sent twice
    ]
    parts = on_cluster.split_by_peer_group(submissions, 4, groups)

    assert len(parts) == 4
    assert sorted(i for part in parts for i in part) == list(range(len(submissions)))
    assert all(part == sorted(part) for part in parts)  # input order kept inside a part
    part_of = {i: n for n, part in enumerate(parts) for i in part}

    def parts_holding(members) -> set[int]:
        return {part_of[i] for i in members}

    for unit in set(units):
        assert len(parts_holding(i for i, s in enumerate(submissions) if s.unit_key == unit)) == 1
    for group in set(groups[some_wards]):
        members = [i for i, s in enumerate(submissions) if groups.get(s.unit_key) == group]
        assert len(parts_holding(members)) == 1, group
    assert on_cluster.split_by_peer_group(submissions, 1, groups) == [list(range(len(submissions)))]
    assert on_cluster.split_by_peer_group([], 4, groups) == []
