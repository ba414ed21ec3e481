"""Nightly operations with real processes and real files: readers never blocked or misled,
one run at a time, crash safety, incremental nights, and the scheduled deployment."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.generators.processes import (
    free_port,
    port_closes,
    start_in_own_session,
    stop_session,
    wait_for_deployment,
)
from tools.demo import generate_demo

pytestmark = pytest.mark.slow

CHITIEU = Path(sys.executable).with_name("chitieu")
FIRST_NIGHT = ("tong-ket-2015-2020", "loi")
SECOND_NIGHT = ("so-ket-2020-2025", "nam-2024", "nam-2025")


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory):
    source = tmp_path_factory.mktemp("ops_demo")
    generate_demo(source)
    return source


def _land(source: Path, raw: Path, folders: tuple[str, ...]) -> None:
    for folder in folders:
        shutil.copytree(source / folder, raw / folder, dirs_exist_ok=True)


def _env(api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _start_run(raw: Path, warehouse: Path, api_url: str | None, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(CHITIEU), "run", "--raw-dir", str(raw), "--warehouse", str(warehouse), *extra],
        env=_env(api_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            table: con.execute(f"select count(*) from {table}").fetchone()[0]
            for table in (
                "raw.submissions",
                "raw.observations",
                "raw.issues",
                "marts.fct_indicator_value",
                "marts.fct_indicator_rollup",
                "marts.rpt_submission_status",
            )
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def api_url(prefect_server):
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


@pytest.fixture(scope="module")
def clean_two_nights(demo_source, tmp_path_factory, prefect_server):
    """Two nights run cleanly, in-process: reference counts, and the state after night one
    (warehouse and archive) for other tests to start from."""
    from flows.nightly import nightly_pipeline

    root = tmp_path_factory.mktemp("clean")
    raw, warehouse = root / "raw", root / "wh" / "warehouse.duckdb"
    _land(demo_source, raw, FIRST_NIGHT)
    nightly_pipeline(raw_dir=str(raw), warehouse=str(warehouse))
    first = _counts(warehouse)
    shutil.copytree(warehouse.parent, root / "after_night_one")
    _land(demo_source, raw, SECOND_NIGHT)
    nightly_pipeline(raw_dir=str(raw), warehouse=str(warehouse))
    return {
        "first": first,
        "second": _counts(warehouse),
        "after_night_one": root / "after_night_one",
        "after_night_two": warehouse.parent,
    }


def _after_night_one(clean_two_nights, demo_source, tmp_path) -> tuple[Path, Path]:
    """A landing folder and warehouse as they stand after night one, night two landed."""
    raw, state = tmp_path / "raw", tmp_path / "wh"
    shutil.copytree(clean_two_nights["after_night_one"], state)
    _land(demo_source, raw, FIRST_NIGHT + SECOND_NIGHT)
    return raw, state / "warehouse.duckdb"


READER = r"""
import sys, time, duckdb
path, stop_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
seen, errors = [], []
import os
while not os.path.exists(stop_file):
    try:
        con = duckdb.connect(path, read_only=True)
        values = con.execute("select count(*) from marts.fct_indicator_value").fetchone()[0]
        staged = con.execute(
            "select coalesce(sum(n_values), 0) from raw.submissions").fetchone()[0]
        con.close()
        seen.append([values, int(staged)])
    except Exception as error:
        errors.append(repr(error))
    time.sleep(0.05)
open(out, "w").write(__import__("json").dumps({"seen": seen, "errors": errors}))
"""


def test_readers_see_old_or_new_warehouse_and_a_second_run_is_refused(
    demo_source, tmp_path, api_url, clean_two_nights
):
    raw, warehouse = _after_night_one(clean_two_nights, demo_source, tmp_path)
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(warehouse), str(stop), str(out)])
    time.sleep(1)
    run = _start_run(raw, warehouse, api_url)
    time.sleep(3)  # the first run holds the lock by now
    started = time.monotonic()
    second = _start_run(raw, warehouse, api_url)
    _, second_err = second.communicate(timeout=120)
    refused_after = time.monotonic() - started
    assert run.wait(600) == 0, run.stderr.read()[-3000:]
    time.sleep(1)
    stop.touch()
    reader.wait(60)

    assert second.returncode == 3, second_err
    assert "already working on this warehouse" in second_err
    assert refused_after < 30  # at once: before Prefect or dbt start
    observed = json.loads(out.read_text(encoding="utf-8"))
    assert observed["errors"] == []
    states = {tuple(s) for s in observed["seen"]}
    before = clean_two_nights["first"]["marts.fct_indicator_value"]
    after = clean_two_nights["second"]["marts.fct_indicator_value"]
    assert {values for values, _ in states} <= {before, after}
    assert {values for values, _ in states} == {before, after}  # it saw both, nothing between
    assert _counts(warehouse) == clean_two_nights["second"]


@pytest.mark.parametrize("kill_when", ["archived", "building"])
def test_run_killed_mid_way_then_rerun_equals_a_clean_run(
    demo_source, tmp_path, api_url, clean_two_nights, kill_when
):
    raw, warehouse = _after_night_one(clean_two_nights, demo_source, tmp_path)
    published_before = warehouse.read_bytes()

    run = _start_run(raw, warehouse, api_url)
    archive_manifest = warehouse.parent / "archive" / "manifest.jsonl"
    building = warehouse.with_name("warehouse.duckdb.building")
    lines_before = len(archive_manifest.read_text(encoding="utf-8").splitlines())
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and run.poll() is None:
        lines = len(archive_manifest.read_text(encoding="utf-8").splitlines())
        if (kill_when == "archived" and lines > lines_before + 3) or (
            kill_when == "building" and building.exists()
        ):
            break
        time.sleep(0.02)
    if kill_when == "building":
        time.sleep(2)  # well inside staging or dbt build
    assert run.poll() is None, "the run finished before it could be killed"
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(30)
    assert warehouse.read_bytes() == published_before  # the last good warehouse stands

    rerun = _start_run(raw, warehouse, api_url)
    assert rerun.wait(600) == 0, rerun.stderr.read()[-3000:]
    assert _counts(warehouse) == clean_two_nights["second"]
    assert not building.exists()
    assert not list((warehouse.parent / "archive").glob(".incoming-*"))


def test_full_rebuild_from_the_archive_alone(tmp_path, api_url, clean_two_nights):
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "warehouse.duckdb"
    shutil.copytree(clean_two_nights["after_night_two"], warehouse.parent)
    raw.mkdir()  # the clerks have deleted every landing file since
    full = _start_run(raw, warehouse, api_url, "--full", "--json")
    out, err = full.communicate(timeout=600)
    assert full.returncode == 0, err[-3000:]
    assert json.loads(out)["full"] is True
    assert _counts(warehouse) == clean_two_nights["second"]


def test_status_says_whether_the_warehouse_is_current(demo_source, tmp_path, clean_two_nights):
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "warehouse.duckdb"
    shutil.copytree(clean_two_nights["after_night_one"], warehouse.parent)
    _land(demo_source, raw, FIRST_NIGHT)

    def status() -> dict:
        result = subprocess.run(
            [
                str(CHITIEU),
                "status",
                "--raw-dir",
                str(raw),
                "--warehouse",
                str(warehouse),
                "--json",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout)

    current = status()
    assert current["is_current"] is True
    assert current["runs"][0]["submissions_loaded"] == 12  # the 2015-2020 sheets
    _land(demo_source, raw, ("nam-2025",))
    stale = status()
    assert stale["is_current"] is False and len(stale["files_waiting"]) == 12


def test_serve_registers_the_nightly_deployment_with_its_cron(tmp_path):
    port = free_port()
    warehouse = tmp_path / "data" / "warehouse" / "warehouse.duckdb"
    serve = start_in_own_session(
        [
            *(str(CHITIEU), "serve", "--raw-dir", str(tmp_path / "raw")),
            *("--warehouse", str(warehouse), "--port", str(port), "--cron", "0 2 * * *"),
        ],
        _env(None),
    )
    try:
        deployment = wait_for_deployment(f"http://127.0.0.1:{port}/api", serve)
    finally:
        stop_session(serve)
    assert port_closes(port), "the local Prefect server outlived `chitieu serve`"
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == "0 2 * * *"
    assert schedule.schedule.timezone == "Asia/Ho_Chi_Minh"
    assert deployment.parameters["warehouse"] == str(warehouse)
    assert (warehouse.parent / "prefect" / "prefect.db").exists()
