"""Robust outlier statistics: each value against its unit's history and its peers.

The modified z-score of Iglewicz and Hoaglin, ``0.6745 * (x - median) / MAD``, flagged
beyond :data:`OUTLIER_Z`. Everything is vectorised over pandas frames: a night of a
million values has no per-row Python loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Modified z-score (Iglewicz & Hoaglin 1993): 0.6745 makes MAD consistent with the
# standard deviation of a normal distribution; |z| > 3.5 is their outlier threshold.
MAD_CONSISTENCY = 0.6745
OUTLIER_Z = 3.5
# When MAD is 0 (more than half the reference values are equal) the spread falls back
# to the mean absolute deviation, scaled by sqrt(pi/2) to estimate the same sigma.
MEAN_AD_CONSISTENCY = 1.253314
# A spread is never taken below a share of the median (RELATIVE_SPREAD_FLOOR, by value
# type), nor below one unit of a count or one point of a percent: values that barely vary
# would otherwise flag ordinary changes (a population growing 1 % a year, 0 or 1 member
# expelled, a quota met at 100 % by most wards and 110 % by a few). Money is lumpy (one
# road doubles a year's investment): there only about 3x the median or more stands out,
# such as a missing or extra zero.
RELATIVE_SPREAD_FLOOR = {"money_vnd": 0.5}
DEFAULT_RELATIVE_SPREAD_FLOOR = 0.05
MIN_SPREAD_BY_TYPE = {"count": 1.0, "boolean": 1.0, "percent": 1.0}
MIN_HISTORY = 4  # earlier periods of the unit needed before its history says anything
MIN_PEERS = 5  # other units of the same district needed besides the unit itself
HISTORY_WINDOW = 10  # only the latest earlier periods count: old history drifts

PERIOD_TYPES = (
    ("quarter", r"^\d{4}-Q[1-4]$"),
    ("half", r"^\d{4}-H[12]$"),
    ("mid_term", r"^\d{4}-\d{4}-MID$"),
    ("term", r"^\d{4}-\d{4}$"),
    ("year", r"^\d{4}$"),
)


def period_type(period_codes: pd.Series) -> pd.Series:
    """``year``, ``quarter``, ``half``, ``mid_term`` or ``term`` for each period code."""
    unique = pd.Series(period_codes.dropna().astype(str).unique())
    kinds = pd.Series(None, index=unique.index, dtype=object)
    for name, pattern in PERIOD_TYPES:
        kinds = kinds.where(kinds.notna() | ~unique.str.match(pattern), name)
    # Few distinct periods in a night: classify those, then map (1M rows stay cheap).
    return period_codes.map(dict(zip(unique, kinds, strict=True)))


def modified_z(
    values: pd.Series,
    median: pd.Series | float,
    mad: pd.Series | float,
    mean_ad: pd.Series | float,
    floor: pd.Series | float = 0.0,
):
    """Modified z-score and the spread (sigma) it used, per row.

    ``0.6745 * (x - median) / MAD``, i.e. ``(x - median) / sigma`` with sigma =
    MAD / 0.6745; when MAD is 0, sigma = 1.253314 * meanAD (Iglewicz-Hoaglin's
    fallback, the same sigma estimate). sigma is raised to ``floor`` when below it; NaN
    (no verdict) when it is still 0: all reference values equal and no floor.
    """
    mad, mean_ad, median = (_series(x, values.index) for x in (mad, mean_ad, median))
    sigma = (mad / MAD_CONSISTENCY).where(mad > 0, MEAN_AD_CONSISTENCY * mean_ad)
    sigma = np.maximum(sigma, _series(floor, values.index))
    sigma = sigma.where(sigma > 0)
    return (values - median) / sigma, sigma


def _series(value: pd.Series | float, index: pd.Index) -> pd.Series:
    return value if isinstance(value, pd.Series) else pd.Series(float(value), index=index)


def spread_floor(median: pd.Series, value_type: pd.Series) -> pd.Series:
    """The least spread to assume: a share of the median, or one unit of a count."""
    by_type = value_type.map(MIN_SPREAD_BY_TYPE).fillna(0.0).astype(float)
    share = value_type.map(RELATIVE_SPREAD_FLOOR).fillna(DEFAULT_RELATIVE_SPREAD_FLOOR)
    return np.maximum(share.astype(float) * median.abs(), by_type)


def _spread(reference: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """median, MAD, mean absolute deviation and count of ``ref_value`` per key group."""
    reference = reference.dropna(subset=["ref_value"])
    grouped = reference.groupby(keys, sort=False)["ref_value"]
    stats = grouped.agg(median="median", n="count").reset_index()
    with_median = reference.merge(stats[[*keys, "median"]], on=keys)
    with_median["deviation"] = (with_median["ref_value"] - with_median["median"]).abs()
    deviations = (
        with_median.groupby(keys, sort=False)["deviation"]
        .agg(mad="median", mean_ad="mean")
        .reset_index()
    )
    return stats.merge(deviations, on=keys)


def _scored(values: pd.DataFrame, stats: pd.DataFrame, keys: list[str], prefix: str):
    merged = values.merge(stats, on=keys, how="left")
    floor = spread_floor(merged["median"], merged["value_type"])
    z, sigma = modified_z(
        merged["value"], merged["median"], merged["mad"], merged["mean_ad"], floor
    )
    return pd.DataFrame(
        {
            "row_id": merged["row_id"],
            f"{prefix}_z": z,
            f"{prefix}_median": merged["median"],
            f"{prefix}_low": merged["median"] - OUTLIER_Z * sigma,
            f"{prefix}_high": merged["median"] + OUTLIER_Z * sigma,
            f"{prefix}_n": merged["n"],
        }
    )


def history_scores(values: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Each value against the same unit's earlier periods of the same type.

    ``values``: row_id, unit_key, indicator_code, period_code, value, value_type. ``reference``:
    one current value per unit_key, indicator_code, period_code (column ``value``).
    Returns row_id, history_z/median/low/high/n; z is NaN with fewer than
    :data:`MIN_HISTORY` earlier periods. At most :data:`HISTORY_WINDOW` latest
    earlier periods count.
    """
    keys = ["unit_key", "indicator_code", "period_type"]
    values = values.assign(period_type=period_type(values["period_code"]))
    targets = values[[*keys, "period_code"]].drop_duplicates()
    ref = reference.assign(period_type=period_type(reference["period_code"])).rename(
        columns={"period_code": "ref_period", "value": "ref_value"}
    )[[*keys, "ref_period", "ref_value"]]
    pairs = targets.merge(ref, on=keys)
    pairs = pairs[pairs["ref_period"] < pairs["period_code"]]
    pairs = pairs.sort_values([*keys, "period_code", "ref_period"], ascending=False)
    pairs = pairs[pairs.groupby([*keys, "period_code"]).cumcount() < HISTORY_WINDOW]
    stats = _spread(pairs, [*keys, "period_code"])
    stats = stats[stats["n"] >= MIN_HISTORY]
    return _scored(values, stats, [*keys, "period_code"], "history")


def peer_scores(values: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Each value against the units of the same peer group for the same period.

    ``peer_group`` (the district of a pre-2025 ward, the province of a 2025 one) must
    be a column of both frames. The unit's own current value is part of the group;
    z is NaN unless at least :data:`MIN_PEERS` other units reported.
    """
    keys = ["peer_group", "indicator_code", "period_code"]
    ref = reference.dropna(subset=["peer_group"]).rename(columns={"value": "ref_value"})
    stats = _spread(ref[[*keys, "ref_value"]], keys)
    stats = stats[stats["n"] >= MIN_PEERS + 1]
    return _scored(values, stats, keys, "peer")
