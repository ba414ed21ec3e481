"""Shared fixtures: one Prefect test server per session, and one demo run for many tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Timing is not what the properties test: a busy 2-core machine must not fail them. In CI
# the examples are derived from each test, so a run is repeatable; locally they are random.
hypothesis_settings.register_profile(
    "chitieu", deadline=None, derandomize=os.environ.get("CI") == "true"
)
hypothesis_settings.load_profile("chitieu")

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


# Fixtures that run the real nightly flow (or start Prefect's server for one): a test using
# them is a whole night, and `make test-fast` must leave it out.
NIGHT_FIXTURES = frozenset({"prefect_server", "demo_run"})


def pytest_collection_modifyitems(config, items):
    """Refuse a test that runs a real night without the ``slow`` mark."""
    unmarked = [
        item.nodeid
        for item in items
        if NIGHT_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("slow") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "these tests run a real night but are not marked slow: " + ", ".join(unmarked)
        )


@pytest.fixture(scope="session")
def prefect_server():
    """A temporary Prefect server for the whole session (one start, not one per test)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def demo_run(prefect_server, tmp_path_factory):
    """The real nightly flow run once on freshly generated demo submissions."""
    from flows.nightly import nightly_pipeline
    from tools.demo import generate_demo

    root: Path = tmp_path_factory.mktemp("demo_run")
    raw_dir = root / "raw"
    manifest = generate_demo(raw_dir)
    warehouse = root / "warehouse" / "warehouse.duckdb"
    # A national first night parses the dbt project in another process while it validates
    # and stages (flows.warehouse.dbt_build.project_parsed_meanwhile); the demo night takes that way
    # too, so every test of the demo warehouse checks what that night publishes.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("flows.warehouse.dbt_build.BACKGROUND_PARSE_MIN_SUBMISSIONS", 1)
        summary = nightly_pipeline(raw_dir=str(raw_dir), warehouse=str(warehouse))
    return {"manifest": manifest, "summary": summary, "warehouse": warehouse, "raw_dir": raw_dir}


@pytest.fixture(scope="session")
def warehouse(demo_run):
    """A read-only connection to the demo run's published warehouse."""
    import duckdb

    con = duckdb.connect(str(demo_run["warehouse"]), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def truth(demo_run):
    """{(unit_key, indicator_code, period_code): value} as the demo generator wrote it."""
    return {
        (f"pre2025:{row['unit_code']}", row["indicator_code"], row["period_code"]): row["value"]
        for row in demo_run["manifest"].expected_values
    }


@pytest.fixture
def correct_a_demo_value(demo_run):
    """Write one demo ward's correction into a landing folder: one value changed in its file.

    Call it with the folder (a copy of the demo's); returns (unit_key, indicator_code,
    period_code, corrected value).
    """
    import openpyxl

    expected = next(
        row
        for row in demo_run["manifest"].expected_values
        if row["source_file"] == "nam-2024/pho-van.xlsx"
        and (row["indicator_code"], row["period_code"]) == ("XD.KET_NAP_DV", "2024")
    )

    def correct(raw_dir: Path) -> tuple[str, str, str, float]:
        workbook = openpyxl.load_workbook(raw_dir / expected["source_file"])
        workbook[expected["source_sheet"]][expected["source_cell"]] = expected["value"] + 1
        workbook.save(raw_dir / expected["source_file"])
        unit_key = f"pre2025:{expected['unit_code']}"
        return unit_key, "XD.KET_NAP_DV", "2024", expected["value"] + 1

    return correct


# ------------------------------------------------------------------ the reading tests


@pytest.fixture(scope="module")
def catalog():
    """The indicator catalog, for tests that do not build their own."""
    from flows.domain.catalog import load_catalog

    return load_catalog()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(folder, manifest): the demo submissions, written once per test module."""
    from tools.demo import generate_demo

    out_dir = tmp_path_factory.mktemp("demo")
    return out_dir, generate_demo(out_dir)


@pytest.fixture(scope="module")
def parsed_demo(demo, catalog):
    """The one parsed sheet of every readable demo file, by relative path."""
    from flows.reading.errors import UnreadableFile
    from flows.reading.table import parse_workbook

    out_dir, manifest = demo
    sheets = {}
    for relative in manifest.files:
        try:
            workbook = parse_workbook(out_dir / relative, catalog)
        except UnreadableFile:
            continue
        assert len(workbook.sheets) == 1, relative
        sheets[relative] = workbook.sheets[0]
    return sheets


# ------------------------------------------------------------------ Superset


def pytest_collection_finish(session):
    """Install Superset in the background while the other tests run, when its test will run.

    A cold install and initialisation take over a minute (tests/bi_clients/superset.py);
    started here, they overlap the rest of the suite, and tests/test_superset.py waits.
    """
    if session.config.option.collectonly:
        return
    if any(item.path.name == "test_superset.py" for item in session.items):
        from tests.bi_clients.superset import start_preparing

        start_preparing()
