"""The mid-term outlook recomputed in plain Python, to check marts.fct_target_outlook.

Reads only rows (no SQL aggregation): the wards' current values and targets
(marts.fct_indicator_value), the yearly roll-up (marts.fct_indicator_rollup), the
periods' ends and terms (marts.dim_period), and the seeds' CSV files (catalog, terms).
Everything else — which target is the term's, its bound, the window values, the
least-squares line, the status — is computed here from issue #25's method, by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"

STATUSES = ("achieved", "on_track", "at_risk", "off_track", "no_data")


@dataclass(frozen=True)
class Target:
    """A unit's whole-term target, as stated and as the bound compared."""

    low: float | None
    high: float | None
    direction: str | None
    text: str | None
    per_year: bool
    value: float  # over the whole term (× n for a per-year target of a `sum` indicator)


@dataclass(frozen=True)
class OutlookRow:
    value_to_date: float | None
    n_years_reported: int
    latest_value: float | None
    projected_value: float | None
    projection_method: str | None
    target: Target
    target_is_upper_bound: bool
    projected_achievement_pct: float | None
    status: str


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def _flag(text: str) -> bool | None:
    return {"true": True, "false": False}.get(text.strip().lower())


def read_catalog(path: Path = SEEDS / "indicator_catalog.csv") -> dict[str, dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["indicator_code"]: {
                "unit_aggregation": row["unit_aggregation"],
                "time_aggregation": row["time_aggregation"],
                "numerator_code": row["numerator_code"] or None,
                "denominator_code": row["denominator_code"] or None,
                "higher_is_better": _flag(row["higher_is_better"]),
                "min_value": _number(row["min_value"]),
                "max_value": _number(row["max_value"]),
            }
            for row in csv.DictReader(handle)
        }


def read_terms(path: Path = SEEDS / "terms.csv") -> dict[str, tuple[int, int]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["term_code"]: (int(row["start_year"]), int(row["end_year"]))
            for row in csv.DictReader(handle)
        }


def stated_bound(low, high, direction, higher_is_better) -> float | None:
    """The bound to reach, as the project's target_value macro picks it."""
    if direction == "at_least":
        return low
    if direction == "at_most":
        return high
    if direction == "range" and higher_is_better is False:
        return high if high is not None else low
    return low if low is not None else high


def is_upper_bound(low, direction, higher_is_better) -> bool:
    """True when the target is met at or below its bound ("dưới 3%")."""
    if direction == "at_least":
        return False
    if direction == "at_most":
        return True
    if direction in ("range", "exact"):
        return higher_is_better is False
    return low is None or higher_is_better is False


def _desc_nulls_last(value):
    """A sort key: larger is later; a missing value sorts below every present one."""
    return (value is not None, value if value is not None else 0)


def term_targets(value_rows, periods, catalog, terms) -> dict[tuple[str, str, str], Target]:
    """(unit, indicator, term) → the term's target: the latest by report date, arrival,
    period end, submission, period among the unit's current observations in the term."""
    best: dict[tuple[str, str, str], tuple] = {}
    for row in value_rows:
        entry = catalog.get(row["indicator_code"])
        hib = entry["higher_is_better"] if entry else None
        bound = stated_bound(row["target_low"], row["target_high"], row["target_direction"], hib)
        if bound is None or row["period_code"] not in periods:
            continue
        end_date, term_code = periods[row["period_code"]]
        key = (row["unit_key"], row["indicator_code"], term_code)
        order = (
            _desc_nulls_last(row["report_date"]),
            _desc_nulls_last(row["received_at"]),
            _desc_nulls_last(end_date),
            _desc_nulls_last(row["submission_id"]),
            _desc_nulls_last(row["period_code"]),
        )
        if key not in best or order > best[key][0]:
            best[key] = (order, row, bound)
    targets = {}
    for (unit, indicator, term), (_, row, bound) in best.items():
        if term not in terms or indicator not in catalog:
            continue
        start, end = terms[term]
        per_year = bool(row["target_per_year"])
        scaled = per_year and catalog[indicator]["time_aggregation"] == "sum"
        targets[(unit, indicator, term)] = Target(
            low=row["target_low"],
            high=row["target_high"],
            direction=row["target_direction"],
            text=row["target_text"],
            per_year=per_year,
            value=bound * (end - start) if scaled else bound,
        )
    return targets


def window_points(yearly, unit, code, first_year, last_year) -> list[tuple[int, float]]:
    """The (year, value) points of ``code`` in first_year..last_year, sorted by year."""
    values = yearly.get((unit, code), {})
    return [(year, values[year]) for year in range(first_year, last_year + 1) if year in values]


def window_value(points: list[tuple[int, float]], time_aggregation: str) -> float | None:
    """The yearly points of a window combined by time_aggregation (points sorted by year)."""
    if not points:
        return None
    values = [value for _, value in points]
    if time_aggregation == "sum":
        return sum(values)
    if time_aggregation == "last":
        return values[-1]
    if time_aggregation == "mean":
        return sum(values) / len(values)
    raise ValueError(time_aggregation)


def least_squares_at(points: list[tuple[int, float]], year: int) -> float:
    """The least-squares line through (year, value) points, evaluated at ``year``."""
    k = len(points)
    mean_x = sum(x for x, _ in points) / k
    mean_y = sum(y for _, y in points) / k
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    return mean_y + sxy / sxx * (year - mean_x)


def clip(value: float, low: float | None, high: float | None) -> float:
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


def meets(value: float, bound: float, upper: bool) -> bool:
    return value <= bound if upper else value >= bound


def status_of(
    *,
    k: int,
    method: str | None,
    value_to_date: float | None,
    latest: float | None,
    projected: float | None,
    bound: float,
    upper: bool,
    as_of_year: int,
    end_year: int,
) -> str:
    if k == 0:
        return "no_data"
    reached = value_to_date if method == "run_rate" else latest
    # A cap on a sum can still be exceeded until the term is over.
    cap_still_open = upper and method == "run_rate" and as_of_year < end_year
    if not cap_still_open and meets(reached, bound, upper):
        return "achieved"
    if meets(projected, bound, upper):
        return "on_track"
    near = 10 * projected <= 11 * bound if upper else 10 * projected >= 9 * bound
    return "at_risk" if near else "off_track"


def achievement_pct(projected: float | None, bound: float, upper: bool) -> float | None:
    numerator, divisor = (bound, projected) if upper else (projected, bound)
    if numerator is None or divisor is None or divisor == 0:
        return None
    return 100 * numerator / divisor


def outlook(
    yearly: dict[tuple[str, str], dict[int, float]],
    targets: dict[tuple[str, str, str], Target],
    catalog: dict[str, dict],
    terms: dict[str, tuple[int, int]],
) -> dict[tuple[str, str, str, int], OutlookRow]:
    """Every outlook row: (unit, indicator, term, as_of_year) → OutlookRow."""
    rows = {}
    for (unit, indicator, term), target in targets.items():
        entry = catalog[indicator]
        start, end = terms[term]
        n = end - start
        is_ratio = entry["unit_aggregation"] == "ratio"
        parts = [entry["numerator_code"], entry["denominator_code"]] if is_ratio else []
        codes = [indicator, *[code for code in parts if code]]
        years = sorted(
            {
                year
                for code in codes
                for year in yearly.get((unit, code), {})
                if start + 1 <= year <= end
            }
        )
        run_rate = entry["time_aggregation"] == "sum" and not is_ratio
        upper = is_upper_bound(target.low, target.direction, entry["higher_is_better"])
        for as_of in years:
            own = window_points(yearly, unit, indicator, start + 1, as_of)
            k = len(own)
            value = window_value(own, entry["time_aggregation"])
            if is_ratio and all(parts):
                numerator, denominator = (
                    window_value(
                        window_points(yearly, unit, part, start + 1, as_of),
                        catalog[part]["time_aggregation"],
                    )
                    for part in parts
                )
                if numerator is not None and denominator is not None and denominator != 0:
                    value = 100 * numerator / denominator
            latest = own[-1][1] if own else None
            if k == 0:
                method, projected = None, None
            elif run_rate:
                method, projected = "run_rate", value * n / k
            else:
                method = "trend" if k >= 2 else "latest"
                line = least_squares_at(own, end) if k >= 2 else latest
                projected = clip(line, entry["min_value"], entry["max_value"])
            rows[(unit, indicator, term, as_of)] = OutlookRow(
                value_to_date=value,
                n_years_reported=k,
                latest_value=latest,
                projected_value=projected,
                projection_method=method,
                target=target,
                target_is_upper_bound=upper,
                projected_achievement_pct=achievement_pct(projected, target.value, upper),
                status=status_of(
                    k=k,
                    method=method,
                    value_to_date=value,
                    latest=latest,
                    projected=projected,
                    bound=target.value,
                    upper=upper,
                    as_of_year=as_of,
                    end_year=end,
                ),
            )
    return rows


def _records(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def outlook_from_warehouse(con) -> dict[tuple[str, str, str, int], OutlookRow]:
    """The reference outlook of a published warehouse (a DuckDB connection)."""
    catalog = read_catalog()
    terms = read_terms()
    periods: dict[str, tuple[dt.date, str]] = {
        row["period_code"]: (row["end_date"], row["term_code"])
        for row in _records(con, "select period_code, end_date, term_code from marts.dim_period")
    }
    value_rows = _records(
        con,
        "select unit_key, indicator_code, period_code, target_low, target_high, "
        "target_direction, target_text, target_per_year, report_date, received_at, "
        "submission_id from marts.fct_indicator_value",
    )
    yearly: dict[tuple[str, str], dict[int, float]] = {}
    for row in _records(
        con,
        "select unit_key, indicator_code, year, value from marts.fct_indicator_rollup "
        "where period_type = 'year'",
    ):
        if row["value"] is not None:
            yearly.setdefault((row["unit_key"], row["indicator_code"]), {})[row["year"]] = row[
                "value"
            ]
    targets = term_targets(value_rows, periods, catalog, terms)
    return outlook(yearly, targets, catalog, terms)
