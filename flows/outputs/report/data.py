"""What the report shows, read from the published warehouse's ``marts`` relations (bound
parameters only) into one ``ReportData``, so that the charts and the page draw from plain
values and never query."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

# The indicators the charts show first when the catalog has them: the rates a term's
# resolution is usually judged on, then a flow (members admitted) and money.
RANKING_INDICATORS = ("VH.BHYT_TYLE", "VH.HO_NGHEO_TYLE")
TREND_INDICATORS = ("VH.BHYT_TYLE", "VH.HO_NGHEO_TYLE", "XD.KET_NAP_DV", "KT.VON_DAU_TU")
BASIS = "full"  # the whole term; the mid-term review has its own period
# The outlook's statuses, worst first: the wards that need attention lead each indicator.
OUTLOOK_STATUSES = ("off_track", "at_risk", "on_track", "achieved", "no_data")

DOMAIN_NAMES = {
    "xay_dung_dang": ("Xây dựng Đảng", "Party building"),
    "van_hoa_xa_hoi": ("Văn hóa – xã hội", "Culture and society"),
    "kinh_te": ("Kinh tế", "Economy"),
    "quoc_phong_an_ninh": ("Quốc phòng – an ninh", "Defence and security"),
    "dan_van": ("Dân vận", "Mass mobilisation"),
    "mat_tran_doan_the": ("Mặt trận và đoàn thể", "Front and mass organisations"),
}


class ReportInputError(ValueError):
    """The unit or term asked for is not in the warehouse (a usage error, exit 2)."""


@dataclass
class Indicator:
    code: str
    name_vi: str
    name_en: str
    unit: str
    value_type: str
    time_aggregation: str
    higher_is_better: bool | None
    domain: str


@dataclass
class Comparison:
    """One row of fct_term_comparison (basis full) for the report's unit."""

    indicator: Indicator
    value: float | None
    prev_value: float | None
    abs_change: float | None
    pct_change: float | None
    target_value: float | None
    target_text: str | None
    achievement_pct: float | None
    improved: bool | None
    # Wards reporting / expected in this term's window and the previous one (upper levels,
    # and 2025 units built from several wards); None when the warehouse predates them.
    n_units_reporting: int | None = None
    n_units_expected: int | None = None
    prev_n_units_reporting: int | None = None
    prev_n_units_expected: int | None = None
    coverage_differs: bool | None = None
    # The change over the wards that reported in both windows only.
    like_for_like_prev_value: float | None = None
    like_for_like_value: float | None = None
    like_for_like_abs_change: float | None = None
    like_for_like_pct_change: float | None = None
    n_units_in_both: int | None = None  # how many wards that is


@dataclass
class OutlookRow:
    """One unit's outlook for one indicator: a row of marts.fct_target_outlook."""

    unit_key: str
    unit_name: str
    as_of_year: int
    status: str
    value_to_date: float | None
    n_years_reported: int | None
    n_years_in_term: int | None
    projected_value: float | None
    projection_method: str | None
    projected_achievement_pct: float | None
    target_low: float | None
    target_high: float | None
    target_direction: str | None
    target_text: str | None
    target_per_year: bool
    clerk_assessment: str | None  # the ward's verdict as a status (or as written)
    agrees_with_clerk: bool | None
    clerk_text: str | None = None  # the verdict as the clerk wrote it, when the mart has it


@dataclass
class OutlookIndicator:
    """The outlook of one indicator with a target: the units in scope, worst status first."""

    indicator: Indicator
    rows: list[OutlookRow]


@dataclass
class ReportData:
    unit_key: str
    unit_name: str
    unit_type: str
    level: str
    parent_names: list[str]
    term_code: str
    prev_term_code: str | None
    years: list[int]  # first year of the previous term .. last year of this one
    this_term_years: list[int]
    indicators: dict[str, Indicator]
    comparisons: list[Comparison]
    # ranking: code → [(ward name, value, is the report's unit)]
    ranking: dict[str, list[tuple[str, float, bool]]]
    ranking_reference: dict[str, float | None]  # the district's (or unit's own) value
    reference_name: str | None
    wards_in_scope: int
    wards_without_data: dict[str, list[str]]
    trends: dict[str, dict[int, float]]  # code → year → value
    trend_targets: dict[str, dict[str, float]]  # code → term → target (stocks and rates)
    coverage: tuple[int, int] | None  # wards reporting / expected in the last year
    # achievement of the wards in scope, for a district or province: code → [(ward, pct)]
    ward_achievement: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    # The mid-term outlook (marts.fct_target_outlook) at its latest year with data; None
    # when the warehouse has no such relation (built before it existed).
    outlook: list[OutlookIndicator] | None = None
    outlook_year: int | None = None
    term_last_year: int | None = None
    source: str = ""


def _domain_rank(domain: str) -> int:
    order = list(DOMAIN_NAMES)
    return order.index(domain) if domain in order else len(order)


def _pick(preferred: tuple[str, ...], available: list[str], indicators: dict, count: int):
    """The preferred codes that have data, topped up with other rates, then anything."""
    chosen = [code for code in preferred if code in available]
    rates = [c for c in available if indicators[c].value_type == "percent" and c not in chosen]
    others = [c for c in available if c not in chosen and c not in rates]
    return (chosen + rates + others)[:count]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _relation_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def _optional_int(value) -> int | None:
    return None if value is None else int(value)


def _comparison(row: dict, indicator: Indicator) -> Comparison:
    """A row of fct_term_comparison; the coverage columns are read when the warehouse has them."""
    return Comparison(
        indicator=indicator,
        value=row["value"],
        prev_value=row["prev_value"],
        abs_change=row["abs_change"],
        pct_change=row["pct_change"],
        target_value=row["target_value"],
        target_text=row["target_text"],
        achievement_pct=row["target_achievement_pct"],
        improved=row["improved"],
        n_units_reporting=_optional_int(row.get("n_units_reporting")),
        n_units_expected=_optional_int(row.get("n_units_expected")),
        prev_n_units_reporting=_optional_int(row.get("prev_n_units_reporting")),
        prev_n_units_expected=_optional_int(row.get("prev_n_units_expected")),
        coverage_differs=row.get("coverage_differs"),
        like_for_like_prev_value=row.get("like_for_like_prev_value"),
        like_for_like_value=row.get("like_for_like_value"),
        like_for_like_abs_change=row.get("like_for_like_abs_change"),
        like_for_like_pct_change=row.get("like_for_like_pct_change"),
        n_units_in_both=_optional_int(row.get("n_units_in_both")),
    )


def load_outlook(
    con: duckdb.DuckDBPyConnection,
    unit: dict,
    term_code: str,
    ward_names: dict[str, str],
    indicators: dict[str, Indicator],
) -> tuple[list[OutlookIndicator] | None, int | None]:
    """The outlook of the report's wards (or the ward itself) for the term, and its year.

    The year is the latest ``as_of_year`` at which any unit in scope has data; a unit whose
    data stop earlier keeps its own latest row (its year is shown beside it).
    """
    if not _relation_exists(con, "marts", "fct_target_outlook"):
        return None, None
    if unit["level"] == "ward":
        keys = [unit["unit_key"]]
    else:
        keys = sorted(key for key in ward_names if key != unit["unit_key"])
    if not keys:
        return [], None
    rows = _rows(
        con,
        "select * from marts.fct_target_outlook where term_code = ? "
        "and unit_key in (select unnest(?::varchar[]))",
        [term_code, keys],
    )
    rows = [
        row
        for row in rows
        if row["indicator_code"] in indicators
        and (
            row.get("target_low") is not None
            or row.get("target_high") is not None
            or row.get("target_text")
        )
    ]
    if not rows:
        return [], None
    with_data = [row["as_of_year"] for row in rows if row["status"] != "no_data"]
    year = max(with_data) if with_data else max(row["as_of_year"] for row in rows)
    latest: dict[tuple[str, str], dict] = {}
    for row in rows:
        if row["as_of_year"] > year:
            continue
        key = (row["unit_key"], row["indicator_code"])
        if key not in latest or row["as_of_year"] > latest[key]["as_of_year"]:
            latest[key] = row
    by_code: dict[str, list[OutlookRow]] = {}
    for (unit_key, code), row in latest.items():
        by_code.setdefault(code, []).append(
            OutlookRow(
                unit_key=unit_key,
                unit_name=ward_names.get(unit_key, unit_key),
                as_of_year=int(row["as_of_year"]),
                status=row["status"] or "no_data",
                value_to_date=row.get("value_to_date"),
                n_years_reported=_optional_int(row.get("n_years_reported")),
                n_years_in_term=_optional_int(row.get("n_years_in_term")),
                projected_value=row.get("projected_value"),
                projection_method=row.get("projection_method"),
                projected_achievement_pct=row.get("projected_achievement_pct"),
                target_low=row.get("target_low"),
                target_high=row.get("target_high"),
                target_direction=row.get("target_direction"),
                target_text=row.get("target_text"),
                target_per_year=row.get("target_per_year") is True,
                clerk_assessment=row.get("clerk_assessment"),
                agrees_with_clerk=row.get("agrees_with_clerk"),
                clerk_text=row.get("clerk_assessment_text"),
            )
        )
    status_rank = {status: i for i, status in enumerate(OUTLOOK_STATUSES)}
    outlook = []
    for code in sorted(by_code, key=lambda c: (_domain_rank(indicators[c].domain), c)):
        found = by_code[code]
        # Within a status, the furthest from the target first; then by name.
        found.sort(
            key=lambda r: (
                status_rank.get(r.status, len(status_rank)),
                r.projected_achievement_pct if r.projected_achievement_pct is not None else 1e18,
                r.unit_name,
            )
        )
        outlook.append(OutlookIndicator(indicators[code], found))
    return outlook, year


def load_report_data(con: duckdb.DuckDBPyConnection, unit_key: str, term_code: str) -> ReportData:
    """Read everything the report shows from the ``marts`` relations (bound parameters only)."""
    units = _rows(con, "select * from marts.dim_admin_unit where unit_key = ?", [unit_key])
    terms = _rows(con, "select * from marts.dim_term where term_code = ?", [term_code])
    if not units:
        raise ReportInputError(
            f"Không có đơn vị '{unit_key}' trong kho dữ liệu; mã có dạng pre2025:21469 hoặc "
            f"2025:21439. / Unit '{unit_key}' is not in the warehouse; keys look like "
            "pre2025:21469 or 2025:21439."
        )
    if not terms:
        known = ", ".join(
            r[0] for r in con.execute("select term_code from marts.dim_term order by 1").fetchall()
        )
        raise ReportInputError(
            f"Không có nhiệm kỳ '{term_code}'; các nhiệm kỳ: {known}. / "
            f"Term '{term_code}' is unknown; known terms: {known}."
        )
    unit, term = units[0], terms[0]
    prev_term = None
    if term["prev_term_code"]:
        found = _rows(
            con, "select * from marts.dim_term where term_code = ?", [term["prev_term_code"]]
        )
        prev_term = found[0] if found else None

    indicators = {
        row["indicator_code"]: Indicator(
            code=row["indicator_code"],
            name_vi=row["name_vi"],
            name_en=row["name_en"] or "",
            unit=row["unit"] or "",
            value_type=row["value_type"],
            time_aggregation=row["time_aggregation"],
            higher_is_better=row["higher_is_better"],
            domain=row["domain"] or "",
        )
        for row in _rows(con, "select * from marts.dim_indicator", [])
    }

    comparisons = [
        _comparison(row, indicators[row["indicator_code"]])
        for row in _rows(
            con,
            "select * from marts.fct_term_comparison "
            "where unit_key = ? and term_code = ? and basis = ?",
            [unit_key, term_code, BASIS],
        )
        if row["indicator_code"] in indicators
    ]
    comparisons.sort(key=lambda c: (_domain_rank(c.indicator.domain), c.indicator.code))

    # The wards to rank: a ward among the wards of its parent; a district or province
    # over its own wards.
    if unit["level"] == "ward":
        scope_sql, scope_key = "parent_key = ?", unit["parent_key"]
        reference_key = unit["parent_key"]
    elif unit["level"] == "district":
        scope_sql, scope_key, reference_key = "parent_key = ?", unit_key, unit_key
    else:
        scope_sql, scope_key, reference_key = "province_key = ?", unit_key, unit_key
    wards = _rows(
        con,
        "select unit_key, unit_name from marts.dim_admin_unit "
        f"where level = 'ward' and {scope_sql}",
        [scope_key],
    )
    ward_names = {row["unit_key"]: row["unit_name"] for row in wards}
    if unit["level"] == "ward" and unit_key not in ward_names:
        ward_names[unit_key] = unit["unit_name"]
    ward_rows = _rows(
        con,
        "select c.unit_key, c.indicator_code, c.value, c.target_achievement_pct "
        "from marts.fct_term_comparison as c join marts.dim_admin_unit as u using (unit_key) "
        f"where c.term_code = ? and c.basis = ? and u.level = 'ward' and u.{scope_sql}",
        [term_code, BASIS, scope_key],
    )
    with_values = sorted({row["indicator_code"] for row in ward_rows if row["value"] is not None})
    ranking_codes = _pick(RANKING_INDICATORS, with_values, indicators, 2)
    ranking: dict[str, list[tuple[str, float, bool]]] = {code: [] for code in ranking_codes}
    without: dict[str, list[str]] = {}
    for code in ranking_codes:
        reported = {
            row["unit_key"]: row["value"]
            for row in ward_rows
            if row["indicator_code"] == code and row["value"] is not None
        }
        ranking[code] = [
            (ward_names.get(key, key), value, key == unit_key) for key, value in reported.items()
        ]
        without[code] = sorted(name for key, name in ward_names.items() if key not in reported)

    reference: dict[str, float | None] = {}
    reference_name = None
    if reference_key:
        reference_name_rows = _rows(
            con, "select unit_name from marts.dim_admin_unit where unit_key = ?", [reference_key]
        )
        reference_name = reference_name_rows[0]["unit_name"] if reference_name_rows else None
        for row in _rows(
            con,
            "select indicator_code, value from marts.fct_term_comparison "
            "where unit_key = ? and term_code = ? and basis = ?",
            [reference_key, term_code, BASIS],
        ):
            reference[row["indicator_code"]] = row["value"]

    ward_achievement: dict[str, list[tuple[str, float]]] = {}
    if unit["level"] != "ward":
        for row in ward_rows:
            if row["target_achievement_pct"] is not None:
                ward_achievement.setdefault(row["indicator_code"], []).append(
                    (
                        ward_names.get(row["unit_key"], row["unit_key"]),
                        row["target_achievement_pct"],
                    )
                )

    first_year = prev_term["first_year"] if prev_term else term["first_year"]
    years = list(range(first_year, term["last_year"] + 1))
    trend_rows = _rows(
        con,
        "select indicator_code, year, value, n_units_reporting, n_units_expected "
        "from marts.fct_indicator_rollup where unit_key = ? and period_type = 'year' "
        "and year between ? and ? and value is not null",
        [unit_key, first_year, term["last_year"]],
    )
    trend_codes = _pick(
        TREND_INDICATORS, sorted({row["indicator_code"] for row in trend_rows}), indicators, 4
    )
    trends: dict[str, dict[int, float]] = {code: {} for code in trend_codes}
    coverage = None
    for row in trend_rows:
        if row["indicator_code"] in trends:
            trends[row["indicator_code"]][row["year"]] = row["value"]
    latest = [row for row in trend_rows if row["n_units_expected"]]
    if latest and unit["level"] != "ward":
        last_year = max(row["year"] for row in latest)
        in_last = [row for row in latest if row["year"] == last_year]
        coverage = (
            max(row["n_units_reporting"] for row in in_last),
            max(row["n_units_expected"] for row in in_last),
        )

    # Targets of stocks and rates are levels, drawn on the trend; a flow's term target is a
    # total over five years and has no place on a yearly chart.
    trend_targets: dict[str, dict[str, float]] = {}
    for row in _rows(
        con,
        "select indicator_code, term_code, target_value from marts.fct_term_comparison "
        "where unit_key = ? and basis = ? and target_value is not null and term_code in (?, ?)",
        [unit_key, BASIS, term_code, prev_term["term_code"] if prev_term else term_code],
    ):
        code = row["indicator_code"]
        if code in trends and indicators[code].time_aggregation != "sum":
            trend_targets.setdefault(code, {})[row["term_code"]] = row["target_value"]

    outlook, outlook_year = load_outlook(con, unit, term_code, ward_names, indicators)

    parents = [unit.get("district_name"), unit.get("province_name")]
    parent_names = [name for name in parents if name and name != unit["unit_name"]]
    return ReportData(
        unit_key=unit_key,
        unit_name=unit["unit_name"],
        unit_type=unit["unit_type"] or "",
        level=unit["level"],
        parent_names=parent_names,
        term_code=term_code,
        prev_term_code=prev_term["term_code"] if prev_term else None,
        years=years,
        this_term_years=list(range(term["first_year"], term["last_year"] + 1)),
        indicators=indicators,
        comparisons=comparisons,
        ranking=ranking,
        ranking_reference={code: reference.get(code) for code in ranking_codes},
        reference_name=reference_name,
        wards_in_scope=len(ward_names),
        wards_without_data=without,
        trends=trends,
        trend_targets=trend_targets,
        coverage=coverage,
        ward_achievement=ward_achievement,
        outlook=outlook,
        outlook_year=outlook_year,
        term_last_year=term["last_year"],
    )
