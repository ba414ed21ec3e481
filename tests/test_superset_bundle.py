"""The Superset bundle as a file: what ``chitieu superset-bundle`` writes, without Superset.

Superset itself imports the bundle in tests/test_superset.py (slow); here, quickly: the
ZIP holds every file of ``bi/superset/`` under one folder, its database is the given
warehouse opened read-only, whatever the path holds, and every reference between the
files (database, datasets, charts, dashboard, filter) resolves.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import yaml

from flows.operations.cli import main
from flows.operations.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from flows.outputs.superset_bundle import ZIP_ROOT, write_superset_bundle

EXPECTED_FILES = {
    "metadata.yaml",
    "databases/chitieu.yaml",
    "datasets/chitieu/rpt_completeness.yaml",
    "datasets/chitieu/term_comparison_named.yaml",
    "datasets/chitieu/yearly_value_named.yaml",
    "charts/completeness_by_district.yaml",
    "charts/target_achievement.yaml",
    "charts/term_over_term.yaml",
    "charts/ward_trend.yaml",
    "dashboards/chitieu.yaml",
}


def _read(bundle: Path) -> dict[str, dict]:
    """Every file of the ZIP, parsed as Superset parses it (YAML), by path below the root."""
    with zipfile.ZipFile(bundle) as archive:
        return {
            name.removeprefix(f"{ZIP_ROOT}/"): yaml.safe_load(archive.read(name))
            for name in archive.namelist()
        }


@pytest.fixture
def warehouse(tmp_path) -> Path:
    # Spaces, '#', ': ' and Vietnamese letters: each breaks an unquoted YAML value.
    folder = tmp_path / "kho dữ liệu #1: Đức Phổ"
    folder.mkdir()
    path = folder / "warehouse.duckdb"
    path.touch()
    return path


def test_the_zip_holds_every_file_under_one_folder(warehouse, tmp_path):
    bundle = write_superset_bundle(warehouse, tmp_path / "out" / "chitieu-superset.zip")
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
    assert {name.split("/", 1)[0] for name in names} == {ZIP_ROOT}
    assert {name.split("/", 1)[1] for name in names} == EXPECTED_FILES


def test_the_database_is_the_warehouse_opened_read_only(warehouse, tmp_path):
    database = _read(write_superset_bundle(warehouse, tmp_path / "b.zip"))["databases/chitieu.yaml"]
    assert database["sqlalchemy_uri"] == f"duckdb:///{warehouse.resolve()}"
    assert database["sqlalchemy_uri"].startswith("duckdb:////")
    assert database["extra"]["engine_params"] == {"connect_args": {"read_only": True}}
    assert database["allow_dml"] is False


def test_every_reference_between_the_files_resolves(warehouse, tmp_path):
    files = _read(write_superset_bundle(warehouse, tmp_path / "b.zip"))
    assert (files["metadata.yaml"]["version"], files["metadata.yaml"]["type"]) == (
        "1.0.0",
        "Dashboard",
    )
    database = files["databases/chitieu.yaml"]
    datasets = {d["uuid"]: d for name, d in files.items() if name.startswith("datasets/")}
    charts = {c["uuid"]: c for name, c in files.items() if name.startswith("charts/")}
    dashboard = files["dashboards/chitieu.yaml"]
    assert {d["database_uuid"] for d in datasets.values()} == {database["uuid"]}
    assert {c["dataset_uuid"] for c in charts.values()} <= datasets.keys()
    placed = {
        item["meta"]["uuid"]
        for item in dashboard["position"].values()
        if isinstance(item, dict) and item["type"] == "CHART"
    }
    assert placed == charts.keys()
    for native_filter in dashboard["metadata"]["native_filter_configuration"]:
        assert {t["datasetUuid"] for t in native_filter["targets"]} <= datasets.keys()
    for chart in charts.values():
        assert chart["params"]["viz_type"] == chart["viz_type"]
        assert chart["query_context"] is not None, chart["slice_name"]


def test_the_same_warehouse_gives_the_same_bytes(warehouse, tmp_path):
    first = write_superset_bundle(warehouse, tmp_path / "first.zip").read_bytes()
    assert write_superset_bundle(warehouse, tmp_path / "second.zip").read_bytes() == first


def test_a_path_that_no_uri_can_hold_is_refused(tmp_path):
    warehouse = tmp_path / "what?" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    warehouse.touch()
    with pytest.raises(ValueError, match=r"'\?'"):
        write_superset_bundle(warehouse, tmp_path / "b.zip")
    assert main(
        ["superset-bundle", "--warehouse", str(warehouse), "--out", str(tmp_path / "c.zip")]
    ) == (EXIT_USAGE)


def test_the_command_writes_the_bundle_and_prints_its_path(warehouse, tmp_path, capsys):
    out = tmp_path / "chitieu-superset.zip"
    assert main(["superset-bundle", "--warehouse", str(warehouse), "--out", str(out)]) == EXIT_OK
    assert capsys.readouterr().out.strip() == str(out)
    assert _read(out)["databases/chitieu.yaml"]["sqlalchemy_uri"].endswith(str(warehouse))


def test_the_command_refuses_a_missing_warehouse(tmp_path, capsys):
    missing = tmp_path / "nowhere.duckdb"
    code = main(["superset-bundle", "--warehouse", str(missing), "--out", str(tmp_path / "b.zip")])
    assert code == EXIT_FAILED
    assert "no published warehouse" in capsys.readouterr().err
    assert not (tmp_path / "b.zip").exists()
