"""Run the given content queries read-only with a DuckDB command-line shell.

Usage: python read_marts_cli.py DUCKDB_BINARY WAREHOUSE QUERIES_JSON. Each query runs as
``duckdb -readonly WAREHOUSE -json -c SQL``, as an analyst types it; prints the same JSON
as read_marts.py. Run by tests/test_bi_clients.py with the shell of ``pip install
duckdb-cli``.
"""

import json
import subprocess
import sys


def main(binary: str, warehouse: str, queries_path: str) -> None:
    with open(queries_path, encoding="utf-8") as f:
        queries = json.load(f)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    result = {"engine": f"DuckDB CLI {version.strip()}", "relations": {}}
    for relation, sql in queries.items():
        done = subprocess.run(
            [binary, "-readonly", warehouse, "-json", "-c", sql], capture_output=True, text=True
        )
        if done.returncode != 0:
            if "Trying to read a database file" in done.stderr:
                result["open_error"] = done.stderr.strip()
                break
            result["relations"][relation] = done.stderr.strip()
            continue
        row = json.loads(done.stdout)[0]
        result["relations"][relation] = list(row.values())
    print(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:4])
