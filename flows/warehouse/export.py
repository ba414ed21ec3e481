"""``chitieu export``: the public ``marts`` relations as Parquet or CSV files for other tools.

CSV files are opened by spreadsheet programs, which execute a cell that starts with
``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) as a formula. Text in the
warehouse comes from clerks' files, so every such text cell is prefixed with ``'``
(OWASP's advice for CSV injection); numbers are written as numbers.

Parquet can also be written Hive-partitioned (``--partition-by province,year``), for
engines past one machine (Spark, Trino, Polars, a cloud warehouse) that read only the
folders a query's filter names: ``fct_indicator_value/province=pre2025_51/year=2024/
data_0.parquet``. Only the fact relations (``fct_*``, one row per unit × indicator ×
time) are partitioned; dimensions and ``rpt_*`` reports stay one file each. A partition
folder holds a path-safe form of the province key (``pre2025:51`` → ``pre2025_51``);
the rows keep ``unit_key`` and gain the original ``province_key``. As in Hive, the
partition values live in the folder names only; a null one is Hive's
``__HIVE_DEFAULT_PARTITION__``, and an empty relation is one empty file there, so readers
still find its columns. ``docs/scaling.md`` says when to use it.

An export is written into a hidden folder inside DIR and each relation is then renamed
into place, so a reader never sees a half-written relation, and a re-export replaces a
relation whole (a failed export leaves the previous one as it was).
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

FORMATS = ("parquet", "csv")
PARTITION_KEYS = ("province", "year")
PARTITIONED_PREFIX = "fct_"
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_IN_PATH = "[^A-Za-z0-9_-]"
_STAGING_PREFIX = ".chitieu-export-"
# How Hive (and DuckDB, Spark, Polars) name the folder of a null partition value.
_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


class PartitionKeyError(ValueError):
    """``--partition-by`` names a key that is not one of :data:`PARTITION_KEYS`."""

    def __init__(self, reason_vi: str, reason_en: str) -> None:
        super().__init__(f"{reason_vi} / {reason_en}")
        self.reason_vi = reason_vi
        self.reason_en = reason_en


@dataclass(frozen=True)
class ExportedRelation:
    """One relation written: its file or partition folder, and how it was split."""

    name: str
    path: Path
    rows: int
    partitioned_by: tuple[str, ...] = ()


def defuse_csv_text(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, made inert; others unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def parse_partition_keys(text: str) -> tuple[str, ...]:
    """``"province,year"`` → ``("province", "year")``, in the order given (the folder order).

    Raises :class:`PartitionKeyError` naming the allowed keys for an unknown, empty or
    repeated key.
    """
    keys = tuple(part.strip() for part in text.split(","))
    allowed = ", ".join(PARTITION_KEYS)
    unknown = [key for key in keys if key not in PARTITION_KEYS]
    if unknown:
        shown = ", ".join(repr(key) for key in unknown)
        raise PartitionKeyError(
            f"khóa phân vùng không hợp lệ: {shown}; chỉ được dùng: {allowed}",
            f"unknown partition key {shown}; allowed: {allowed}",
        )
    if len(set(keys)) != len(keys):
        raise PartitionKeyError(
            f"khóa phân vùng bị lặp lại: {text!r}; chỉ được dùng: {allowed}",
            f"a partition key is repeated in {text!r}; allowed: {allowed}",
        )
    return keys


def path_safe_key(key: str | None) -> str | None:
    """The partition-folder form of a unit key: every character but ``A-Za-z0-9_-`` → ``_``.

    ``pre2025:51`` → ``pre2025_51``, ``2025:01`` → ``2025_01``. The SQL of the export
    does the same with ``regexp_replace``; this is its mirror for readers and tests.
    """
    return None if key is None else re.sub(_UNSAFE_IN_PATH, "_", key)


def _mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'marts' order by table_name"
    ).fetchall()
    return [row[0] for row in rows]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'marts' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    return [row[0] for row in rows]


def _partition_select(
    table: str, columns: list[str], partition_by: tuple[str, ...]
) -> tuple[str, tuple[str, ...]] | None:
    """The query that adds the partition columns to a fact relation, and the keys it has.

    ``province`` is the unit's province (its own key for a province) from
    ``dim_admin_unit``, made path-safe; the original goes in ``province_key``. ``year`` is
    the row's ``year``, else its ``as_of_year`` (the outlook's year), else the last year
    of its ``term_code`` (``dim_term.last_year``: 2025 for 2020-2025). None when the
    relation is not a fact or has none of the requested keys.
    """
    if not table.startswith(PARTITIONED_PREFIX):
        return None
    # Table and column names come from the catalog of our own schema, never from input.
    extra: list[str] = []
    joins: list[str] = []
    keys: list[str] = []
    for key in partition_by:
        if key == "province" and "unit_key" in columns:
            joins.append("left join marts.dim_admin_unit as u on r.unit_key = u.unit_key")
            if "province_key" not in columns:
                extra.append("u.province_key")
            extra.append(
                f"regexp_replace(u.province_key, '{_UNSAFE_IN_PATH}', '_', 'g') as province"
            )
            keys.append(key)
        elif key == "year" and "year" in columns:
            keys.append(key)  # the relation's own column becomes the folder
        elif key == "year" and "as_of_year" in columns:
            extra.append("r.as_of_year as year")
            keys.append(key)
        elif key == "year" and "term_code" in columns:
            joins.append("left join marts.dim_term as t on r.term_code = t.term_code")
            extra.append("t.last_year as year")
            keys.append(key)
    if not keys:
        return None
    select = ", ".join(["r.*", *extra])
    query = f'select {select} from marts."{table}" as r ' + " ".join(joins)
    return query, tuple(keys)


def _check_province_keys_stay_distinct(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse an export where two province keys would share one folder."""
    distinct, distinct_safe = con.execute(
        "select count(distinct province_key), "
        f"count(distinct regexp_replace(province_key, '{_UNSAFE_IN_PATH}', '_', 'g')) "
        "from marts.dim_admin_unit"
    ).fetchone()
    if distinct != distinct_safe:
        raise ValueError("two province keys have the same path-safe form; cannot partition")


def _write_relation(
    con: duckdb.DuckDBPyConnection,
    table: str,
    staging: Path,
    file_format: str,
    partition_by: tuple[str, ...],
) -> ExportedRelation:
    rows = con.execute(f'select count(*) from marts."{table}"').fetchone()[0]
    partitioned = (
        _partition_select(table, _columns(con, table), partition_by) if partition_by else None
    )
    if partitioned is not None:
        query, keys = partitioned
        target = staging / table
        con.execute(
            f"copy ({query}) to ? (format parquet, partition_by ({', '.join(keys)}))",
            [str(target)],
        )
        if rows == 0:
            # COPY writes no file for no rows, and a reader's glob of an empty folder
            # fails; one empty file in the null partition gives the columns and no rows.
            leaf = target.joinpath(*(f"{key}={_NULL_PARTITION}" for key in keys))
            leaf.mkdir(parents=True, exist_ok=True)
            con.execute(
                f"copy (select * exclude ({', '.join(keys)}) from ({query}) limit 0) "
                "to ? (format parquet)",
                [str(leaf / "data_0.parquet")],
            )
        return ExportedRelation(table, target, rows, keys)
    target = staging / f"{table}.{file_format}"
    if file_format == "parquet":
        con.execute(f'copy marts."{table}" to ? (format parquet)', [str(target)])
    else:
        frame: pd.DataFrame = con.execute(f'select * from marts."{table}"').df()
        for column in frame.columns:
            if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
                frame[column] = frame[column].map(defuse_csv_text)
        frame.to_csv(target, index=False, encoding="utf-8-sig")
    return ExportedRelation(table, target, rows)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    if done == 0:
        return True
    if ctypes.get_errno() in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False  # a filesystem or kernel without the exchange: rename in two steps
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(second))


def _looks_exported(folder: Path) -> bool:
    """A folder holding only ``key=value`` folders and Parquet files: an earlier export's."""
    for root, dirs, files in os.walk(folder):
        if any("=" not in name for name in dirs) or any(
            not name.endswith(".parquet") for name in files
        ):
            return False
        if Path(root) == folder and files:
            return False
    return True


def _put_in_place(written: Path, out_dir: Path, staging: Path) -> Path:
    """Rename one staged relation into ``out_dir``, replacing the earlier one whole."""
    target = out_dir / written.name
    if written.is_file():
        os.replace(written, target)  # atomic for a file, even over an existing one
        flat_sibling = out_dir / target.name.rsplit(".", 1)[0]
        if target.suffix == ".parquet" and flat_sibling.is_dir() and _looks_exported(flat_sibling):
            shutil.rmtree(flat_sibling)  # the same relation, partitioned by an earlier export
        return target
    if not target.exists():
        os.rename(written, target)
    elif not _exchange(written, target):
        # No atomic exchange here: the relation is missing (never half-written) between
        # the two renames.
        os.rename(target, staging / f"{written.name}.old")
        os.rename(written, target)
    (out_dir / f"{written.name}.parquet").unlink(missing_ok=True)  # an earlier flat file
    return target


def export_relations(
    warehouse: Path,
    out_dir: Path,
    file_format: str,
    partition_by: tuple[str, ...] = (),
) -> list[ExportedRelation]:
    """Write every ``marts`` relation of the published warehouse to ``out_dir``.

    With ``partition_by`` (Parquet only), the fact relations are written as Hive
    partition folders; the others stay one file each (``partitioned_by`` empty).
    """
    if file_format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {file_format!r}")
    if partition_by and file_format != "parquet":
        raise ValueError("partition_by needs the parquet format")
    unknown = set(partition_by) - set(PARTITION_KEYS)
    if unknown:
        raise ValueError(f"partition keys must be among {PARTITION_KEYS}, not {sorted(unknown)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    # Inside out_dir so that every rename stays on one filesystem; hidden, and outside
    # every relation's folder, so a reader's glob of a relation never reaches it.
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=out_dir))
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = _mart_tables(con)
        if partition_by and "province" in partition_by and "dim_admin_unit" in tables:
            _check_province_keys_stay_distinct(con)
        staged = [
            _write_relation(con, table, staging, file_format, partition_by) for table in tables
        ]
        con.close()
        # Every relation written: only renames remain, so a failure above left the
        # previous export untouched.
        return [
            ExportedRelation(
                relation.name,
                _put_in_place(relation.path, out_dir, staging),
                relation.rows,
                relation.partitioned_by,
            )
            for relation in staged
        ]
    finally:
        con.close()
        shutil.rmtree(staging, ignore_errors=True)


def export_marts(
    warehouse: Path, out_dir: Path, file_format: str, partition_by: tuple[str, ...] = ()
) -> list[Path]:
    """The paths :func:`export_relations` wrote: a file, or a folder per partitioned relation."""
    return [
        relation.path
        for relation in export_relations(warehouse, out_dir, file_format, partition_by)
    ]
