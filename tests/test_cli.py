"""The ``chitieu`` console script, as an operator runs it (no Prefect server configured)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tools.demo import generate_demo

pytestmark = pytest.mark.slow

CHITIEU = Path(sys.executable).with_name("chitieu")


def _chitieu(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(env_extra or {})
    return subprocess.run(
        [str(CHITIEU), *args], capture_output=True, text=True, env=env, timeout=600, check=False
    )


def test_help_lists_commands_with_examples():
    result = _chitieu("--help")
    assert result.returncode == 0
    assert "run" in result.stdout and "examples:" in result.stdout


def test_a_reader_that_goes_away_ends_the_output_without_a_traceback(tmp_path):
    """``chitieu status | head -1``: the pipe closes before the status is written."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    process = subprocess.Popen(
        [str(CHITIEU), "status", "--warehouse", str(tmp_path / "none.duckdb")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    process.stdout.close()  # long before the script has imported what it needs
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141, stderr
    assert "Traceback" not in stderr


def test_the_console_script_leaves_its_objects_out_of_the_last_collections(tmp_path):
    """The script exits without the interpreter's last cycle collections walking every
    object the run made (``console_main``); a caller of ``main`` keeps collecting them."""
    import tomllib

    scripts = tomllib.loads(
        (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    )["project"]
    assert scripts["scripts"]["chitieu"] == "flows.operations.cli:console_main"
    probe = (
        "import gc, sys; from flows.operations.cli import console_main, main;"
        " status = [sys.argv[1], '--warehouse', sys.argv[2]];"
        " print(main(status), gc.get_freeze_count());"
        " print(console_main(status), gc.get_freeze_count() > 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "status", str(tmp_path / "none.duckdb")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # Each line: the exit code, then the frozen objects after main / after console_main.
    after_main, after_console_main = [line for line in done.stdout.splitlines() if line[:1] == "0"]
    assert after_main == "0 0" and after_console_main == "0 True", done.stdout


def test_run_publishes_and_reports_rejections(tmp_path):
    raw = tmp_path / "raw"
    generate_demo(tmp_path / "demo")
    for relative in ("nam-2024/pho-hoa.xlsx", "nam-2024/pho-van.xlsx", "loi/bao-cao-hong.xlsx"):
        (raw / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "demo" / relative, raw / relative)
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    result = _chitieu(
        "run", "--raw-dir", str(raw), "--warehouse", str(warehouse), "--json", "--progress"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)  # progress never mixes into the JSON
    progress_lines = [line.split()[0] for line in result.stderr.splitlines() if " in " in line]
    for stage in ("receive", "parse", "validate", "stage", "dbt_build", "publish"):
        assert stage in progress_lines, result.stderr[-2000:]
    assert "parse      [" + "#" * 30 + "] 3/3 files in " in result.stderr
    assert (summary["files_seen"], summary["submissions_loaded"]) == (3, 2)
    assert summary["submissions_rejected"] == 1
    assert summary["rejections"][0]["file"] == "loi/bao-cao-hong.xlsx"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        (n_units,) = con.execute(
            "select count(distinct unit_key) from marts.fct_indicator_value"
        ).fetchone()
    finally:
        con.close()
    assert n_units == 2
    assert not warehouse.with_name("warehouse.duckdb.building").exists()


def test_failed_run_exits_non_zero_and_keeps_the_published_warehouse(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create table marker as select 'last good' as v")
    con.close()
    result = _chitieu("run", "--raw-dir", str(tmp_path / "missing"), "--warehouse", str(warehouse))
    assert result.returncode == 1
    assert "failed" in result.stderr and "left as it was" in result.stderr
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select v from marker").fetchone() == ("last good",)
    finally:
        con.close()
