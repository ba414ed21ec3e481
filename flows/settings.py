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
EXPECTATIONS_DIR = PROJECT_ROOT / "quality" / "expectations"  # the versioned GE suites

WAREHOUSE_ENV = "CHITIEU_WAREHOUSE"
RAW_DIR_ENV = "CHITIEU_RAW_DIR"
DASK_ADDRESS_ENV = "CHITIEU_DASK_ADDRESS"

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
