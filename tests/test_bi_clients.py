"""The BI client matrix: the engines BI tools bundle read the published warehouse exactly.

Each client is installed from the package registries into a throwaway environment
(tests/bi_clients/environments.py): Python ``duckdb`` releases from 1.1 to the newest
1.5, the project's pinned 2.0, the DuckDB shell (``duckdb-cli``), ``@duckdb/node-api`` at
the newest 1.x, and Evidence's DuckDB connector as npm resolves it for an Evidence user.
Each opens the warehouse read-only and runs one content query per ``marts`` relation
(tests/bi_clients/content.py); the answers must equal the pinned engine's: same rows,
same values, same NULLs. Opening
is not enough: DuckDB 1.3 opens a file that 2.0 wrote as ``v1.3.0`` and reads whole text
columns as NULL.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from flows import settings
from flows.warehouse.publish import build_path, publish, storage_version_of
from tests.bi_clients.content import content_queries
from tests.bi_clients.environments import node_env, python_env

pytestmark = pytest.mark.slow

CLIENTS_DIR = Path(__file__).parent / "bi_clients"
# The newest release of each line on the day the matrix was last widened; the pinned 2.0
# is the project's own. 1.1 to 1.3 are older than any BI tool pins today: they show how
# far back the default format reaches.
PYTHON_RELEASES = ("1.1.3", "1.2.2", "1.3.2", "1.4.5", "1.5.6")
# docs/bi-tools.md's SQLAlchemy recipe, as a user installs it beside their tools.
SQLALCHEMY_RECIPE = ("duckdb==1.5.6", "duckdb-engine==0.17.0", "sqlalchemy==2.0.58")
CLI_RELEASE = "1.5.6"  # the DuckDB shell on PyPI (duckdb-cli) starts at 1.4.4
NODE_API_RELEASE = "1.5.6-r.1"
EVIDENCE_CONNECTOR = "@evidence-dev/duckdb@2.0.1"
# Every format DuckDB 2.0 writes, offered by the setting or not.
WRITTEN_FORMATS = ("v1.0.0", "v1.2.0", "v1.3.0", "v1.4.0", "v1.5.0", "v2.0.0")
OFFERED_FORMATS = settings.STORAGE_VERSIONS


@dataclass(frozen=True)
class Client:
    name: str
    command: tuple[str, ...]  # run with the warehouse and the queries file appended


def _python_client(release: str) -> Client:
    python = python_env(f"duckdb-{release}", [f"duckdb=={release}"])
    return Client(f"Python duckdb {release}", (str(python), str(CLIENTS_DIR / "read_marts.py")))


def _sqlalchemy_client(requirements: tuple[str, ...]) -> Client:
    python = python_env("sqlalchemy-duckdb", list(requirements))
    return Client(
        "SQLAlchemy + duckdb-engine",
        (str(python), str(CLIENTS_DIR / "read_marts.py"), "--sqlalchemy"),
    )


def _cli_client(release: str) -> Client:
    python = python_env(f"duckdb-cli-{release}", [f"duckdb-cli=={release}"])
    shell = python.with_name("duckdb")
    return Client(
        f"DuckDB CLI {release}",
        (sys.executable, str(CLIENTS_DIR / "read_marts_cli.py"), str(shell)),
    )


def _node_client(name: str, packages: list[str], script: str) -> Client:
    folder = node_env(name.replace(" ", "-"), packages)
    # Node resolves a script's imports from the script's own folder: run a copy there.
    shutil.copy(CLIENTS_DIR / script, folder / script)
    return Client(name, ("node", str(folder / script)))


@pytest.fixture(scope="module")
def clients() -> list[Client]:
    """Every client, installed (or found in the cache) in parallel."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(_python_client, release) for release in PYTHON_RELEASES]
        futures.append(pool.submit(_cli_client, CLI_RELEASE))
        futures.append(pool.submit(_sqlalchemy_client, SQLALCHEMY_RECIPE))
        futures.append(
            pool.submit(
                _node_client,
                f"node-api {NODE_API_RELEASE}",
                [f"@duckdb/node-api@{NODE_API_RELEASE}"],
                "read_marts.mjs",
            )
        )
        futures.append(
            pool.submit(
                _node_client, "Evidence connector", [EVIDENCE_CONNECTOR], "read_marts_evidence.mjs"
            )
        )
        installed = [future.result() for future in futures]
    pinned = Client(
        f"Python duckdb {duckdb.__version__} (pinned)",
        (sys.executable, str(CLIENTS_DIR / "read_marts.py")),
    )
    return [*installed, pinned]


def _expected(warehouse: Path) -> tuple[dict[str, str], dict[str, list]]:
    """The content queries and the pinned engine's answers, read in this process."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        queries = content_queries(con)
        return queries, {name: list(con.execute(sql).fetchone()) for name, sql in queries.items()}
    finally:
        con.close()


def _read_with(client: Client, warehouse: Path, queries_file: Path) -> dict:
    done = subprocess.run(
        [*client.command, str(warehouse), str(queries_file)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        return {"open_error": f"exit {done.returncode}: {done.stderr.strip()[-500:]}"}
    return json.loads(done.stdout)


def _verdict(answer: dict, expected: dict[str, list]) -> str:
    """'reads', 'refuses' (an error at open: the reader knows), or 'MISREADS …'."""
    if "open_error" in answer:
        return "refuses"
    differing = sorted(name for name in expected if answer["relations"].get(name) != expected[name])
    return "reads" if not differing else f"MISREADS {', '.join(differing)}"


def _matrix(clients: list[Client], warehouse: Path, tmp_path: Path) -> dict[str, tuple[str, str]]:
    """``{client: (verdict, engine)}`` for one warehouse file."""
    queries, expected = _expected(warehouse)
    queries_file = tmp_path / f"{warehouse.stem}-queries.json"
    queries_file.write_text(json.dumps(queries), encoding="utf-8")
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda c: _read_with(c, warehouse, queries_file), clients))
    return {
        client.name: (_verdict(answer, expected), answer.get("engine") or answer["open_error"])
        for client, answer in zip(clients, answers, strict=True)
    }


def test_every_client_reads_the_published_warehouse_exactly(clients, demo_run, tmp_path):
    published = demo_run["warehouse"]
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert storage_version_of(con) == settings.DEFAULT_STORAGE_VERSION
        relations = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
    finally:
        con.close()
    matrix = _matrix(clients, published, tmp_path)
    print(json.dumps(matrix, indent=1))
    assert {name: verdict for name, (verdict, _) in matrix.items()} == dict.fromkeys(
        matrix, "reads"
    )
    assert {"fct_term_comparison", "rpt_completeness", "dim_admin_unit"} <= relations


def _written_in(source: Path, version: str, folder: Path, monkeypatch) -> Path:
    """The warehouse published again in ``version``, by the publish step itself."""
    published = folder / version / "warehouse.duckdb"
    published.parent.mkdir()
    shutil.copyfile(source, build_path(published))
    monkeypatch.setenv(settings.STORAGE_VERSION_ENV, version)
    monkeypatch.setattr(settings, "STORAGE_VERSIONS", WRITTEN_FORMATS)
    publish(build_path(published), published)
    return published


def test_no_format_the_setting_offers_is_misread_by_any_client(
    clients, demo_run, tmp_path, monkeypatch
):
    """Every format DuckDB 2.0 writes, against every client: the setting offers only
    formats that each client either reads exactly or refuses to open, and its default is
    one that every client reads."""
    matrix = {
        version: _matrix(
            clients, _written_in(demo_run["warehouse"], version, tmp_path, monkeypatch), tmp_path
        )
        for version in WRITTEN_FORMATS
    }
    table = ["| client | " + " | ".join(WRITTEN_FORMATS) + " |"]
    for client in clients:
        row = [matrix[version][client.name][0] for version in WRITTEN_FORMATS]
        table.append(f"| {client.name} | " + " | ".join(row) + " |")
    print("\n".join(table))  # the table of docs/bi-tools.md
    misread = {
        version
        for version, verdicts in matrix.items()
        if any(verdict.startswith("MISREADS") for verdict, _ in verdicts.values())
    }
    assert not misread & set(OFFERED_FORMATS), misread
    assert all(
        verdict == "reads" for verdict, _ in matrix[settings.DEFAULT_STORAGE_VERSION].values()
    )
