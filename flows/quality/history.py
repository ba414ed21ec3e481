"""The published values a night's outliers are judged against: read from the published
warehouse before the build, and chosen one per unit, indicator and period as the
warehouse chooses them.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

import duckdb
import pandas as pd

logger = logging.getLogger(__name__)


HISTORY_COLUMNS = [
    "unit_key",
    "indicator_code",
    "period_code",
    "value",
    "is_estimate",
    "report_date",
    "received_at",
    "submission_id",
]


def published_values(
    warehouse: Path | None, unit_keys: Collection[str] | None = None
) -> pd.DataFrame:
    """Current values of the published warehouse (read-only), or an empty frame.

    Read before the build starts, so the night is compared with what analysts see.
    ``unit_keys`` limits the read to those units (:meth:`QualityGate.units_compared_with`
    gives the ones a night's outlier checks can look at); None reads every unit.
    """
    empty = pd.DataFrame(columns=HISTORY_COLUMNS)
    if warehouse is None or not Path(warehouse).exists():
        return empty
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:  # a locked or damaged file: judge the night alone
        logger.warning("published warehouse not readable for history: %s", error)
        return empty
    query = (
        f"SELECT {', '.join(HISTORY_COLUMNS)} FROM marts.fct_indicator_value "
        "WHERE value IS NOT NULL"
    )
    try:
        if unit_keys is not None:
            wanted = pd.DataFrame({"unit_key": sorted(unit_keys)}, dtype=object)
            con.register("wanted_units", wanted)
            query += " AND unit_key IN (SELECT unit_key FROM wanted_units)"
        return con.execute(query).df()
    except duckdb.CatalogException:
        return empty
    finally:
        con.close()


def _current(values: pd.DataFrame) -> pd.DataFrame:
    """One value per unit × indicator × period, chosen as the warehouse chooses it.

    Same order as ``int_observations__current``: actual before estimate, then the later
    report date, the later arrival, the greater submission id.
    """
    ordered = values.sort_values(
        ["is_estimate", "report_date", "received_at", "submission_id"],
        ascending=[True, False, False, False],
        na_position="last",
        kind="stable",
    )
    return ordered.drop_duplicates(["unit_key", "indicator_code", "period_code"])
