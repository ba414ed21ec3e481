"""BI tools read the warehouse the way docs/bi-tools.md tells them to: SQLAlchemy + duckdb-engine.

Superset (and any Python BI client) connects through SQLAlchemy with the ``duckdb-engine``
dialect; the connection is read-only so that it never blocks the nightly publish, and the
documentation's example queries run through it unchanged.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest
import sqlalchemy as sa
from test_doc_queries import documented_queries

from flows.warehouse.publish import publish

pytestmark = pytest.mark.slow


def read_only_engine(warehouse) -> sa.Engine:
    """The engine docs/bi-tools.md shows: ``duckdb:///<absolute path>``, opened read-only."""
    return sa.create_engine(f"duckdb:///{warehouse}", connect_args={"read_only": True})


def test_documented_queries_run_through_sqlalchemy_read_only(demo_run):
    engine = read_only_engine(demo_run["warehouse"])
    try:
        with engine.connect() as connection:
            for query in documented_queries():
                rows = connection.execute(sa.text(query)).fetchall()
                assert rows, query
    finally:
        engine.dispose()


def test_bi_tools_see_the_marts_schema_and_its_relations(demo_run):
    engine = read_only_engine(demo_run["warehouse"])
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            relations = set(inspector.get_table_names(schema="marts")) | set(
                inspector.get_view_names(schema="marts")
            )
            columns = {c["name"] for c in inspector.get_columns("fct_indicator_value", "marts")}
    finally:
        engine.dispose()
    assert {"dim_admin_unit", "fct_indicator_value", "fct_term_comparison"} <= relations
    assert {"unit_key", "indicator_code", "period_code", "value", "quality_status"} <= columns


def test_a_bi_connection_cannot_write(demo_run):
    engine = read_only_engine(demo_run["warehouse"])
    try:
        with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError, match="read-only"):
            connection.execute(sa.text("create table marts.scratch (a integer)"))
    finally:
        engine.dispose()


def test_an_open_bi_connection_does_not_block_the_nightly_publish(demo_run, tmp_path):
    published = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_run["warehouse"], published)
    building = tmp_path / "warehouse.build.duckdb"
    shutil.copyfile(demo_run["warehouse"], building)
    engine = read_only_engine(published)
    try:
        with engine.connect() as dashboard:
            dashboard.execute(sa.text("select count(*) from marts.fct_indicator_value")).one()
            publish(building, published)  # replaces the file under the open connection
            assert not building.exists()
        with engine.connect() as next_refresh:
            count = next_refresh.execute(
                sa.text("select count(*) from marts.fct_indicator_value")
            ).scalar_one()
    finally:
        engine.dispose()
    assert count > 0


def test_a_pooled_engine_sees_the_new_night_after_dispose(demo_run, tmp_path):
    """A pooled connection keeps the file it opened: the night before, until the pool is
    emptied. docs/bi-tools.md tells each tool how it lets go of its connections."""
    published = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_run["warehouse"], published)
    building = tmp_path / "warehouse.build.duckdb"
    shutil.copyfile(demo_run["warehouse"], building)
    count_terms = sa.text("select count(*) from marts.dim_term")
    engine = read_only_engine(published)  # SQLAlchemy pools file connections by default
    try:
        with engine.connect() as dashboard:
            last_night = dashboard.execute(count_terms).scalar_one()
        tonight = duckdb.connect(str(building))
        tonight.execute(
            "delete from marts.dim_term"
            " where term_code = (select min(term_code) from marts.dim_term)"
        )
        tonight.close()
        publish(building, published)
        with engine.connect() as pooled:
            still_last_night = pooled.execute(count_terms).scalar_one()
        engine.dispose()
        with engine.connect() as fresh:
            new_night = fresh.execute(count_terms).scalar_one()
    finally:
        engine.dispose()
    assert still_last_night == last_night
    assert new_night == last_night - 1
