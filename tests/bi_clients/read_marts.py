"""Run the given content queries read-only with whatever ``duckdb`` this Python has.

Usage: python read_marts.py [--sqlalchemy] WAREHOUSE QUERIES_JSON. Prints one JSON
object: the engine's version and, per relation, the first row of its query (or the error
it raised). With ``--sqlalchemy`` the queries go through SQLAlchemy and duckdb-engine,
as docs/bi-tools.md's recipe connects. Run by tests/test_bi_clients.py in a throwaway
environment per client; nothing else imported, so that it runs on any of them.
"""

import json
import sys

import duckdb


def _sqlalchemy_connection(warehouse: str):
    import sqlalchemy as sa

    engine = sa.create_engine(
        f"duckdb:///{warehouse}", connect_args={"read_only": True}, poolclass=sa.pool.NullPool
    )
    connection = engine.connect()

    class Statements:  # the two calls below, on a SQLAlchemy connection
        def execute(self, sql):
            return connection.execute(sa.text(sql))

        def close(self):
            connection.close()
            engine.dispose()

    return Statements(), f"SQLAlchemy {sa.__version__}, duckdb {duckdb.__version__}"


def main(warehouse: str, queries_path: str, through_sqlalchemy: bool) -> None:
    with open(queries_path, encoding="utf-8") as f:
        queries = json.load(f)
    result = {"engine": f"python duckdb {duckdb.__version__}", "relations": {}}
    try:
        if through_sqlalchemy:
            con, result["engine"] = _sqlalchemy_connection(warehouse)
        else:
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
    warehouse, queries_path = [arg for arg in sys.argv[1:] if arg != "--sqlalchemy"]
    main(warehouse, queries_path, "--sqlalchemy" in sys.argv)
