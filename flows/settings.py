"""The one place where chitieu's paths and knobs are decided.

Every path is absolute and derived from the project root or from an environment
variable, so nothing depends on the current directory. dbt reads the same
warehouse setting through ``env_var('CHITIEU_WAREHOUSE')`` in ``profiles.yml``.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
INDICATOR_CATALOG_CSV = SEEDS_DIR / "indicator_catalog.csv"
TERMS_CSV = SEEDS_DIR / "terms.csv"
VALIDATION_RULES_CSV = SEEDS_DIR / "validation_rules.csv"
HEADER_SPELLINGS_CSV = SEEDS_DIR / "header_spellings.csv"  # column roles by header text
EXPECTATIONS_DIR = PROJECT_ROOT / "quality" / "expectations"  # the versioned GE suites

WAREHOUSE_ENV = "CHITIEU_WAREHOUSE"
RAW_DIR_ENV = "CHITIEU_RAW_DIR"
DASK_ADDRESS_ENV = "CHITIEU_DASK_ADDRESS"
READER_GROUP_ENV = "CHITIEU_READER_GROUP"
RETENTION_DAYS_ENV = "CHITIEU_RETENTION_DAYS"
PARSE_MEMORY_ENV = "CHITIEU_PARSE_MEMORY_MB"
PARSE_SECONDS_ENV = "CHITIEU_PARSE_SECONDS"
STORAGE_VERSION_ENV = "CHITIEU_STORAGE_VERSION"

DEFAULT_RETENTION_DAYS = 90
# What one worker may use to read one file; a file needing more is rejected, not the night.
DEFAULT_PARSE_MEMORY_MB = 2048
DEFAULT_PARSE_SECONDS = 120

# The DuckDB storage formats a published warehouse may be written in, each as DuckDB names
# it (a file written as v1.1.0 says v1.0.0). The default is the one every client of the
# BI matrix reads correctly, DuckDB 1.1 to 2.0, Python and Node; v1.3.0 is left out, as
# DuckDB 1.3 reads whole text columns of such a file as NULL; v2.0.0 is DuckDB 2.0's own,
# which no 1.x engine opens (docs/bi-tools.md).
STORAGE_VERSIONS = ("v1.0.0", "v1.2.0", "v1.4.0", "v1.5.0", "v2.0.0")
DEFAULT_STORAGE_VERSION = "v1.0.0"

DEFAULT_RAW_DIR = PROJECT_ROOT / "data" / "raw"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse" / "warehouse.duckdb"


def warehouse_path() -> Path:
    """The published warehouse file: ``$CHITIEU_WAREHOUSE`` or the project default."""
    configured = os.environ.get(WAREHOUSE_ENV)
    return Path(configured).resolve() if configured else DEFAULT_WAREHOUSE


def raw_dir() -> Path:
    """The landing folder: ``$CHITIEU_RAW_DIR`` or the project default."""
    configured = os.environ.get(RAW_DIR_ENV)
    return Path(configured).resolve() if configured else DEFAULT_RAW_DIR


def dask_address() -> str | None:
    """The Dask scheduler to parse and validate on (``$CHITIEU_DASK_ADDRESS``), or None: here."""
    return os.environ.get(DASK_ADDRESS_ENV) or None


def reader_group() -> str | None:
    """The group that may read the published warehouse and the archive (``$CHITIEU_READER_GROUP``).

    Unset, everything a run writes is readable by its owner only; set (the group BI tools
    and analysts run as), the warehouse folder and what a run writes in it are readable by
    that group too, never by everyone.
    """
    return os.environ.get(READER_GROUP_ENV) or None


def retention_days() -> int:
    """How long a run's Data Docs and feedback pages are kept (``$CHITIEU_RETENTION_DAYS``)."""
    return _positive_int(RETENTION_DAYS_ENV, DEFAULT_RETENTION_DAYS)


def parse_memory_bytes() -> int:
    """The address space a parse worker may use (``$CHITIEU_PARSE_MEMORY_MB``), in bytes."""
    return _positive_int(PARSE_MEMORY_ENV, DEFAULT_PARSE_MEMORY_MB) * 1024 * 1024


def parse_cpu_seconds() -> int:
    """The CPU time a parse worker may spend on one file (``$CHITIEU_PARSE_SECONDS``)."""
    return _positive_int(PARSE_SECONDS_ENV, DEFAULT_PARSE_SECONDS)


def storage_version() -> str:
    """The DuckDB storage format the warehouse is published in (``$CHITIEU_STORAGE_VERSION``)."""
    value = os.environ.get(STORAGE_VERSION_ENV) or DEFAULT_STORAGE_VERSION
    if value not in STORAGE_VERSIONS:
        raise ValueError(
            f"${STORAGE_VERSION_ENV} must be one of {', '.join(STORAGE_VERSIONS)}, not {value!r}"
        )
    return value


def _positive_int(variable: str, default: int) -> int:
    value = os.environ.get(variable)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"${variable} must be a whole number, not {value!r}") from None
    if number < 1:
        raise ValueError(f"${variable} must be at least 1, not {number}")
    return number


def quality_dir(warehouse: Path) -> Path:
    """Where a warehouse's data-quality reports go, beside it like everything a run keeps.

    GE Data Docs of each run go in ``<quality_dir>/docs/<run_id>/``, the clerks'
    feedback pages in ``<quality_dir>/feedback/<run_id>/``.
    """
    return Path(warehouse).resolve().parent / "quality"


def quiet_third_party_defaults() -> None:
    """Turn off telemetry and progress noise of Prefect, dbt and GE for this process."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    # Prefect gives its temporary server 20 s to start; a busy 2-core machine can need more,
    # and a night should not fail for it.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def archive_dir(warehouse: Path) -> Path:
    """The immutable, content-addressed copy of every file received, beside the warehouse."""
    return warehouse.parent / "archive"


def lock_path(warehouse: Path) -> Path:
    """The lock that lets one run at a time work on ``warehouse``."""
    return warehouse.parent / f".{warehouse.name}.lock"
