"""Run the given content queries read-only with whatever ``duckdb`` this Python has.

Usage: python read_marts.py WAREHOUSE QUERIES_JSON. Prints one JSON object: the engine's
version and, per relation, the first row of its query (or the error it raised). Run by
tests/test_bi_clients.py in a throwaway environment per DuckDB release; standard library
and duckdb only, so that it runs on any client.
"""

import json
import sys

import duckdb


def main(warehouse: str, queries_path: str) -> None:
    with open(queries_path, encoding="utf-8") as f:
        queries = json.load(f)
    result = {"engine": f"python duckdb {duckdb.__version__}", "relations": {}}
    try:
        con = duckdb.connect(warehouse, read_only=True)
    except Exception as error:  # the client's own words are what the test reports
        result["open_error"] = f"{type(error).__name__}: {error}"
        print(json.dumps(result))
        return
    for relation, sql in queries.items():
        try:
            result["relations"][relation] = list(con.execute(sql).fetchone())
        except Exception as error:
            result["relations"][relation] = f"{type(error).__name__}: {error}"
    con.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
