"""What "the same content" means across DuckDB engines: one query per relation.

Each query returns the relation's row count, each column's count of non-NULL values, and
an MD5 of all its rows, each row written as text in a canonical order. The queries are
built once, from the column types the pinned engine reports, and every client runs the
same text, so an engine that reads a column as NULL, drops rows, or reads other values
gives another answer. Only functions every DuckDB since 1.0 has are used.
"""

from __future__ import annotations

import duckdb

_NULL = r"\N"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _as_text(column: str, data_type: str) -> str:
    """One column's value as text, the same in every engine; NULL as ``\\N``."""
    quoted = _quoted(column)
    if data_type == "DOUBLE" or data_type == "FLOAT":
        # Shortest round-trip text of a double differs between releases; 17 significant
        # digits (C's %.17g via fmt) identify the double exactly in all of them.
        text = f"printf('%.17g', {quoted})"
    elif data_type.endswith("[]"):
        # A list's own text form quotes its strings since 1.3; its elements joined, with
        # its length and its count of non-NULL elements, are the same everywhere.
        text = (
            f"array_to_string({quoted}, chr(29)) || chr(28) || len({quoted})"
            f" || '/' || list_aggregate({quoted}, 'count')"
        )
    else:
        text = f"cast({quoted} as varchar)"
    return f"coalesce({text}, '{_NULL}')"


def content_queries(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> dict[str, str]:
    """``{relation: query}`` for every table and view in ``schema``, by name."""
    columns: dict[str, list[tuple[str, str]]] = {}
    for relation, column, data_type in con.execute(
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_schema = ? order by table_name, ordinal_position",
        [schema],
    ).fetchall():
        columns.setdefault(relation, []).append((column, data_type))
    queries = {}
    for relation, relation_columns in columns.items():
        row = " || chr(31) || ".join(_as_text(c, t) for c, t in relation_columns)
        # Named c0, c1…: a client that returns rows as objects keeps them apart, in order.
        measures = [
            "count(*)",
            *(f"count({_quoted(c)})" for c, _ in relation_columns),
            'md5(coalesce(string_agg("__row", chr(30) order by "__row"), \'\'))',
        ]
        named = ", ".join(f"{measure} as c{i}" for i, measure in enumerate(measures))
        queries[relation] = (
            f"select {named} from"
            f' (select {row} as "__row", * from {_quoted(schema)}.{_quoted(relation)})'
        )
    return queries
