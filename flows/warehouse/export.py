"""``chitieu export``: the public ``marts`` relations as Parquet or CSV files for other tools.

CSV files are opened by spreadsheet programs, which execute a cell that starts with
``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) as a formula. Text in the
warehouse comes from clerks' files, so every such text cell is prefixed with ``'``
(OWASP's advice for CSV injection); numbers are written as numbers.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

FORMATS = ("parquet", "csv")
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def defuse_csv_text(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, made inert; others unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def _mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'marts' order by table_name"
    ).fetchall()
    return [row[0] for row in rows]


def export_marts(warehouse: Path, out_dir: Path, file_format: str) -> list[Path]:
    """Write every ``marts`` relation of the published warehouse to ``out_dir``."""
    if file_format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {file_format!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for table in _mart_tables(con):
            target = out_dir / f"{table}.{file_format}"
            if file_format == "parquet":
                # Table names come from the catalog of our own schema; the path is bound.
                con.execute(f'copy marts."{table}" to ? (format parquet)', [str(target)])
            else:
                frame: pd.DataFrame = con.execute(f'select * from marts."{table}"').df()
                for column in frame.columns:
                    if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
                        frame[column] = frame[column].map(defuse_csv_text)
                frame.to_csv(target, index=False, encoding="utf-8-sig")
            written.append(target)
    finally:
        con.close()
    return written
