"""Superset for real: Apache Superset 6.1 reads the published warehouse and runs the bundle.

Superset is installed in its own environment with the DuckDB driver a user installs
(tests/bi_clients/superset.py; the install starts in the background when the session
begins, see tests/conftest.py), initialised, and served on 127.0.0.1. Through its REST API,
as the admin: the warehouse is added read-only, its ``marts`` relations and their columns
are listed, a SQL Lab query returns what the project's DuckDB reads from the same file,
and the ZIP of ``chitieu superset-bundle`` imports into a dashboard whose every chart
returns rows.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from flows.outputs.superset_bundle import BUNDLE_SOURCE, warehouse_uri, write_superset_bundle
from flows.warehouse.publish import build_path, publish, storage_version_of
from tests.bi_clients.superset import SupersetClient, prepared, running_superset

pytestmark = pytest.mark.slow

COLUMNS_LISTED = ("fct_term_comparison", "fct_indicator_value", "rpt_completeness")


@pytest.fixture(scope="module")
def published_warehouse(demo_run) -> Path:
    """The demo night's warehouse, if Superset's DuckDB (1.5) can open its format at all."""
    warehouse = demo_run["warehouse"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        version = storage_version_of(con)
    if not version.startswith("v1."):
        pytest.fail(
            f"{warehouse} is in DuckDB storage format {version}; Superset's DuckDB 1.5 "
            "cannot open it (publish a v1 format: CHITIEU_STORAGE_VERSION)"
        )
    return warehouse


@pytest.fixture(scope="module")
def superset(tmp_path_factory) -> Iterator[SupersetClient]:
    """The admin's REST client of a Superset serving on 127.0.0.1 for this module."""
    install = prepared()
    with running_superset(install, tmp_path_factory.mktemp("superset")) as url:
        yield SupersetClient(url)


@pytest.fixture(scope="module")
def database_id(superset, published_warehouse) -> int:
    """The warehouse added as docs/bi-tools.md says: duckdb:///<absolute path>, read-only."""
    created = superset.post(
        "/api/v1/database/",
        json={
            "database_name": "chitieu (REST API)",
            "sqlalchemy_uri": f"duckdb:///{published_warehouse.resolve()}",
            "extra": json.dumps({"engine_params": {"connect_args": {"read_only": True}}}),
            "expose_in_sqllab": True,
        },
    )
    return created["id"]


def _marts(warehouse: Path) -> dict[str, list[str]]:
    """``{relation: [column, ...]}`` of schema marts, as the project's DuckDB reads them."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_name, column_name from information_schema.columns"
            " where table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall()
    relations: dict[str, list[str]] = {}
    for relation, column in rows:
        relations.setdefault(relation, []).append(column)
    return relations


def test_superset_lists_every_marts_relation(superset, database_id, published_warehouse):
    listed = superset.get(
        f"/api/v1/database/{database_id}/tables/", q="(schema_name:marts,force:!t)"
    )
    assert {table["value"] for table in listed["result"]} == set(_marts(published_warehouse))


@pytest.mark.parametrize("relation", COLUMNS_LISTED)
def test_superset_lists_the_columns_of_a_relation(
    superset, database_id, published_warehouse, relation
):
    metadata = superset.get(
        f"/api/v1/database/{database_id}/table_metadata/", name=relation, schema="marts"
    )
    listed = [column["name"] for column in metadata["columns"]]
    assert listed == _marts(published_warehouse)[relation]


def test_sql_lab_reads_what_duckdb_reads(superset, database_id, published_warehouse):
    query = (
        "select * from marts.fct_term_comparison"
        " order by unit_key, indicator_code, term_code, basis"
    )
    with duckdb.connect(str(published_warehouse), read_only=True) as con:
        cursor = con.execute(query)
        columns = [description[0] for description in cursor.description]
        expected = cursor.fetchall()
    result = superset.post(
        "/api/v1/sqllab/execute/",
        json={
            "database_id": database_id,
            "sql": query,
            "schema": "marts",
            "runAsync": False,
            "queryLimit": len(expected) + 1,
        },
    )
    assert result["status"] == "success", result
    assert [column["column_name"] for column in result["columns"]] == columns
    # JSON gives every double back exactly; an integer column with NULLs comes back as
    # doubles (pandas), and 2020.0 == 2020.
    assert [tuple(row[c] for c in columns) for row in result["data"]] == expected


def _bundle_sources(folder: str) -> dict[str, dict]:
    return {
        path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((BUNDLE_SOURCE / folder).rglob("*.yaml"))
    }


@pytest.fixture(scope="module")
def imported_dashboard(superset, published_warehouse, tmp_path_factory) -> dict:
    """The bundle a user makes with ``chitieu superset-bundle``, imported: the dashboard."""
    bundle = write_superset_bundle(
        published_warehouse, tmp_path_factory.mktemp("bundle") / "chitieu-superset.zip"
    )
    with open(bundle, "rb") as zip_file:
        superset.post(
            "/api/v1/dashboard/import/",
            files={"formData": (bundle.name, zip_file, "application/zip")},
            data={"overwrite": "true"},
        )
    return superset.get("/api/v1/dashboard/chitieu")["result"]


def test_the_bundle_imports_the_dashboard_its_charts_and_datasets(
    superset, imported_dashboard, published_warehouse
):
    assert imported_dashboard["dashboard_title"] == "chitieu"
    charts = superset.get("/api/v1/dashboard/chitieu/charts")["result"]
    assert {chart["slice_name"] for chart in charts} == {
        chart["slice_name"] for chart in _bundle_sources("charts").values()
    }
    datasets = superset.get("/api/v1/dashboard/chitieu/datasets")["result"]
    assert {dataset["table_name"] for dataset in datasets} == {
        dataset["table_name"] for dataset in _bundle_sources("datasets").values()
    }
    database = superset.get(f"/api/v1/database/{datasets[0]['database']['id']}/connection")
    assert database["result"]["sqlalchemy_uri"] == warehouse_uri(published_warehouse)
    assert json.loads(database["result"]["extra"])["engine_params"] == {
        "connect_args": {"read_only": True}
    }


def test_every_chart_of_the_dashboard_returns_rows(superset, imported_dashboard):
    charts = superset.get("/api/v1/dashboard/chitieu/charts")["result"]
    rows = {}
    for chart in charts:
        # The query context saved with the chart: what reports, alerts and the API run.
        result = superset.get(f"/api/v1/chart/{chart['id']}/data/")["result"]
        assert [query.get("error") for query in result] == [None], chart["slice_name"]
        rows[chart["slice_name"]] = result[0]["rowcount"]
    assert all(rows.values()), rows


def test_sql_lab_sees_the_next_night_without_a_restart(superset, published_warehouse, tmp_path):
    """Superset opens a connection per query: after the nightly swap, the next query reads
    the new file (docs/bi-tools.md, "A new night under an open connection")."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(published_warehouse, warehouse)
    created = superset.post(
        "/api/v1/database/",
        json={
            "database_name": "chitieu (next night)",
            "sqlalchemy_uri": warehouse_uri(warehouse),
            "extra": json.dumps({"engine_params": {"connect_args": {"read_only": True}}}),
            "expose_in_sqllab": True,
        },
    )

    def count_terms() -> int:
        result = superset.post(
            "/api/v1/sqllab/execute/",
            json={
                "database_id": created["id"],
                "sql": "select count(*) as n from marts.dim_term",
                "runAsync": False,
            },
        )
        assert result["status"] == "success", result
        return result["data"][0]["n"]

    last_night = count_terms()
    building = build_path(warehouse)
    shutil.copyfile(warehouse, building)
    with duckdb.connect(str(building)) as tonight:
        tonight.execute(
            "delete from marts.dim_term"
            " where term_code = (select min(term_code) from marts.dim_term)"
        )
    publish(building, warehouse)
    assert count_terms() == last_night - 1
