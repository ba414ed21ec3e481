"""``chitieu report``: one self-contained HTML report for a unit and a congress term.

The page holds four views of the published warehouse, in Vietnamese (English in small
print): the wards ranked on key indicators, the trends across the years of the previous
term and this one, how far the targets were reached, and the term-over-term table.

Charts are inline SVG drawn here in Python: the file needs no JavaScript, no network, no
external font, stylesheet or image, so it opens the same way on an office PC with no
internet, in an e-mail attachment or printed. Every text that comes from the data (unit
and indicator names, target texts) is HTML-escaped.

Numbers are written the Vietnamese way: decimal comma, dot for thousands (``1.234``),
``91,5%`` and money in tỷ/triệu đồng (``1,1 tỷ đồng``).

``python -m flows.outputs.report --unit … --term … --screenshot docs/report.png`` also renders
the report with headless Chromium and writes a PNG cropped to the content (the README's
screenshot is made this way).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from pathlib import Path

import duckdb
import numpy as np

# The indicators the charts show first when the catalog has them: the rates a term's
# resolution is usually judged on, then a flow (members admitted) and money.
RANKING_INDICATORS = ("VH.BHYT_TYLE", "VH.HO_NGHEO_TYLE")
TREND_INDICATORS = ("VH.BHYT_TYLE", "VH.HO_NGHEO_TYLE", "XD.KET_NAP_DV", "KT.VON_DAU_TU")
BASIS = "full"  # the whole term; the mid-term review has its own period

# A province has hundreds of wards: the ranking then shows the best and the worst.
MAX_RANKED_ROWS = 24
# Achievement beyond this is drawn at the edge (its label still says the real figure).
ACHIEVEMENT_AXIS_MAX = 200.0

DOMAIN_NAMES = {
    "xay_dung_dang": ("Xây dựng Đảng", "Party building"),
    "van_hoa_xa_hoi": ("Văn hóa – xã hội", "Culture and society"),
    "kinh_te": ("Kinh tế", "Economy"),
    "quoc_phong_an_ninh": ("Quốc phòng – an ninh", "Defence and security"),
    "dan_van": ("Dân vận", "Mass mobilisation"),
    "mat_tran_doan_the": ("Mặt trận và đoàn thể", "Front and mass organisations"),
}
LEVEL_NAMES = {"ward": "phường, xã", "district": "quận, huyện", "province": "tỉnh, thành phố"}

# Colours: this term in blue, the previous one in grey, reached in green, missed in red,
# the unit the report is about in orange.
COLOR_THIS = "#1f5fae"
COLOR_PREV = "#98a2b3"
COLOR_GOOD = "#2e7d32"
COLOR_BAD = "#c0392b"
COLOR_NEUTRAL = "#667085"
COLOR_HIGHLIGHT = "#e8740c"
COLOR_GRID = "#e4e7ec"
COLOR_TEXT = "#1d2939"
COLOR_MUTED = "#667085"

MISSING = "–"
MINUS = "−"  # the typographic minus sign, as in printed reports


class ReportInputError(ValueError):
    """The unit or term asked for is not in the warehouse (a usage error, exit 2)."""


# --------------------------------------------------------------------------------------
# Numbers, the Vietnamese way
# --------------------------------------------------------------------------------------


def _is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value: float | None, decimals: int = 0, *, trim: bool = False) -> str:
    """``1234.56`` → ``1.234,6``: dot for thousands, comma for decimals, half rounded up.

    ``trim`` drops a decimal part that is all zeros (``100,0`` → ``100``).
    """
    if _is_missing(value):
        return MISSING
    # Through str() so that 91.45 rounds as the 91.45 people read, not its binary neighbour.
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0"
    text = f"{abs(rounded):,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if trim and "," in text:
        text = text.rstrip("0").rstrip(",")
    return (MINUS if rounded < 0 else "") + text


def format_percent(value: float | None, decimals: int = 1, *, trim: bool = False) -> str:
    """``91.46`` → ``91,5%``; ``2`` → ``2,0%`` (columns of rates line up), or ``2%`` with trim."""
    if _is_missing(value):
        return MISSING
    return format_number(value, decimals, trim=trim) + "%"


def format_money_vnd(value: float | None, *, suffix: str = " đồng") -> str:
    """``1_117_213_000`` → ``1,1 tỷ đồng``; ``350_000_000`` → ``350 triệu đồng``.

    Tỷ (10⁹) and triệu (10⁶) with one decimal at most; below a million, whole đồng.
    """
    if _is_missing(value):
        return MISSING
    for scale, word in ((1e9, " tỷ"), (1e6, " triệu")):
        # Decide the word after rounding, so 999,96 triệu reads 1 tỷ, not 1.000 triệu.
        rounded = Decimal(str(value / scale)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if abs(rounded) >= 1:
            return format_number(value / scale, 1, trim=True) + word + suffix
    return format_number(value, 0) + suffix


def format_value(value: float | None, value_type: str | None) -> str:
    """A value as the catalog's type reads: percent, money, or a count (decimals only if any)."""
    if _is_missing(value):
        return MISSING
    if value_type == "percent":
        return format_percent(value)
    if value_type == "money_vnd":
        return format_money_vnd(value)
    return format_number(value, 0 if float(value).is_integer() else 1, trim=True)


def format_change(change: float | None, value_type: str | None) -> str:
    """A signed change: ``+6,1 điểm %`` for rates (points, not percent), ``+12``, ``−1,1 tỷ``."""
    if _is_missing(change):
        return MISSING
    sign = "+" if change > 0 else ""
    if value_type == "percent":
        text = format_number(change, 1, trim=True)
        return (sign if text not in ("0",) else "") + text + " điểm %"
    text = format_value(change, value_type)
    return (sign if not text.startswith("0") else "") + text


def format_signed_percent(value: float | None) -> str:
    """``7.19`` → ``+7,2%``."""
    if _is_missing(value):
        return MISSING
    text = format_percent(value)
    return ("+" if value > 0 and not text.startswith("0") else "") + text


def _axis_label(value: float, value_type: str | None) -> str:
    if value_type == "percent":
        return format_percent(value, trim=True)
    if value_type == "money_vnd":
        return format_money_vnd(value, suffix="") if value else "0"
    return format_number(value, 0 if float(value).is_integer() else 1, trim=True)


def _term_label(term_code: str) -> str:
    return term_code.replace("-", "–")


# --------------------------------------------------------------------------------------
# What the report reads
# --------------------------------------------------------------------------------------


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
        Comparison(
            indicator=indicators[row["indicator_code"]],
            value=row["value"],
            prev_value=row["prev_value"],
            abs_change=row["abs_change"],
            pct_change=row["pct_change"],
            target_value=row["target_value"],
            target_text=row["target_text"],
            achievement_pct=row["target_achievement_pct"],
            improved=row["improved"],
        )
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
    )


# --------------------------------------------------------------------------------------
# SVG charts
# --------------------------------------------------------------------------------------


def _text_width(text: str, size: float) -> float:
    """Rough rendered width of sans-serif text (no font metrics offline: 0,56 em a letter)."""
    return len(text) * size * 0.56


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _nice_ticks(low: float, high: float, count: int = 5, *, whole: bool = False) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2,5 or 5 × 10ⁿ.

    ``whole``: no fractional steps (people are counted in whole numbers).
    """
    if high <= low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw_step = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw_step))
    steps = [m * magnitude for m in (1, 2, 2.5, 5, 10)]
    if whole:
        steps = [s for s in steps if float(s).is_integer()] or [1]
    step = next((s for s in steps if s >= raw_step), steps[-1])
    start = math.floor(low / step + 1e-9) * step
    end = math.ceil(high / step - 1e-9) * step
    return [start + i * step for i in range(round((end - start) / step) + 1)]


def _svg(width: int, height: float, body: list[str], label: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height:.0f}" role="img" '
        f'aria-label="{escape(label)}">' + "".join(body) + "</svg>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, color: str, extra: str = "") -> str:
    width = "1" if color == COLOR_GRID else "1.5"
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}" '
        f'stroke-width="{width}" {extra}/>'
    )


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: int = 12,
    anchor: str = "start",
    color: str = COLOR_TEXT,
    weight: str = "normal",
    extra: str = "",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{color}" font-weight="{weight}"{extra}>{escape(text)}</text>'
    )


def ranking_chart(
    indicator: Indicator,
    rows: list[tuple[str, float, bool]],
    reference: float | None,
    reference_name: str | None,
    width: int = 540,
) -> str:
    """Horizontal bars, best first; the report's own ward in orange; the district as a line."""
    better_high = indicator.higher_is_better is not False
    ordered = sorted(rows, key=lambda r: (-r[1] if better_high else r[1], r[0]))
    ranked = [(rank, *row) for rank, row in enumerate(ordered, start=1)]
    if len(ranked) > MAX_RANKED_ROWS:
        half = MAX_RANKED_ROWS // 2
        kept = [*ranked[:half], None, *ranked[-half:]]
        own = [row for row in ranked[half:-half] if row[3]]
        if own:
            kept = [*ranked[:half], None, own[0], None, *ranked[-half:]]
        ranked = kept
    bar_h, gap, top, font = 18, 6, 8, 12
    label_w = max(_text_width(f"{len(ordered)}. {r[1]}", font) for r in ranked if r) + 14
    value_w = max(_text_width(format_value(r[1], indicator.value_type), 11) for r in rows) + 18
    plot_x, plot_w = label_w, width - label_w - value_w
    high = max([r[1] for r in rows] + [reference or 0])
    if indicator.value_type == "percent" and high <= 100:
        high = max(_nice_ticks(0, high)[-1], 1) if high < 50 else 100
    ticks = _nice_ticks(0, high or 1, 5)
    axis_max = ticks[-1]
    height = top + len(ranked) * (bar_h + gap) + 34

    def x_of(value: float) -> float:
        return plot_x + plot_w * max(value, 0) / axis_max

    body = []
    for tick in ticks:
        x = x_of(tick)
        body.append(_line(x, top - 4, x, height - 26, COLOR_GRID))
        body.append(
            _text(
                x,
                height - 12,
                _axis_label(tick, indicator.value_type),
                size=11,
                anchor="middle",
                color=COLOR_MUTED,
            )
        )
    y = top
    for row in ranked:
        if row is None:
            body.append(_text(plot_x - 8, y + bar_h - 5, "⋯", anchor="end", color=COLOR_MUTED))
            y += bar_h + gap
            continue
        rank, name, value, own = row
        color = COLOR_HIGHLIGHT if own else COLOR_THIS
        weight = "bold" if own else "normal"
        shown = format_value(value, indicator.value_type)
        body.append(
            _text(
                plot_x - 8, y + bar_h - 5, f"{rank}. {name}", size=font, anchor="end", weight=weight
            )
        )
        body.append(
            f'<rect x="{plot_x:.1f}" y="{y}" width="{max(x_of(value) - plot_x, 1):.1f}" '
            f'height="{bar_h}" rx="2" fill="{color}">'
            f"<title>{escape(name)}: {escape(shown)}</title></rect>"
        )
        # Values in their own column: never over the bars or the reference line.
        body.append(_text(width - 2, y + bar_h - 5, shown, size=11, anchor="end", weight=weight))
        y += bar_h + gap
    if reference is not None:
        x = x_of(reference)
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{y - gap + 3}" '
            f'stroke="{COLOR_TEXT}" stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
    return _svg(width, height, body, f"Xếp hạng: {indicator.name_vi}")


def trend_chart(
    indicator: Indicator,
    values: dict[int, float],
    years: list[int],
    this_term_years: list[int],
    targets: dict[str, float],
    term_code: str,
    prev_term_code: str | None,
    width: int = 540,
    height: int = 250,
) -> str:
    """Yearly values: the previous term in grey, this term in blue on a shaded band."""
    left, right, top, bottom = 66, 16, 34, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    shown = [values[y] for y in years if y in values] + list(targets.values())
    if not shown:
        return _svg(
            width,
            height,
            [_text(width / 2, height / 2, "Chưa có số liệu", anchor="middle", color=COLOR_MUTED)],
            indicator.name_vi,
        )
    low, high = min(shown), max(shown)
    if indicator.value_type in ("count", "money_vnd", "number"):
        low = min(low, 0)  # quantities are read against zero
    ticks = _nice_ticks(low, high, 5, whole=indicator.value_type == "count")
    if indicator.value_type == "percent":
        ticks = [t for t in ticks if 0 <= t <= 100] or ticks
    y_low, y_high = ticks[0], ticks[-1]
    y_high = y_high if y_high > y_low else y_low + 1
    step = plot_w / max(len(years) - 1, 1)

    def x_of(year: int) -> float:
        return left + (year - years[0]) * step

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (value - y_low) / (y_high - y_low))

    body = []
    band_start = x_of(this_term_years[0]) - step / 2
    body.append(
        f'<rect x="{band_start:.1f}" y="{top - 26}" width="{left + plot_w - band_start + 8:.1f}" '
        f'height="{plot_h + 26}" fill="#eef4fb"/>'
    )
    body.append(
        _text(
            band_start + 6,
            top - 12,
            f"Nhiệm kỳ {_term_label(term_code)}",
            size=11,
            color=COLOR_THIS,
            weight="bold",
        )
    )
    if prev_term_code:
        body.append(
            _text(
                left,
                top - 12,
                f"Nhiệm kỳ {_term_label(prev_term_code)}",
                size=11,
                color=COLOR_NEUTRAL,
                weight="bold",
            )
        )
    for tick in ticks:
        y = y_of(tick)
        body.append(_line(left, y, left + plot_w, y, COLOR_GRID))
        body.append(
            _text(
                left - 6,
                y + 4,
                _axis_label(tick, indicator.value_type),
                size=11,
                anchor="end",
                color=COLOR_MUTED,
            )
        )
    for year in years:
        body.append(
            _text(x_of(year), height - 10, str(year), size=11, anchor="middle", color=COLOR_MUTED)
        )

    for term, term_years, color in (
        (prev_term_code, [y for y in years if y not in this_term_years], COLOR_PREV),
        (term_code, this_term_years, COLOR_THIS),
    ):
        target = targets.get(term) if term else None
        if target is not None and term_years:
            x1 = max(x_of(term_years[0]) - step / 3, left)
            x2 = min(x_of(term_years[-1]) + step / 3, left + plot_w)
            target_y = y_of(target)
            body.append(_line(x1, target_y, x2, target_y, COLOR_GOOD, 'stroke-dasharray="6 4"'))
            body.append(
                _text(
                    x1 + 2,
                    # Above the line, or under it when the line runs along the top.
                    target_y - 4 if target_y - 14 > top else target_y + 13,
                    "Chỉ tiêu " + format_value(target, indicator.value_type),
                    size=10,
                    color=COLOR_GOOD,
                )
            )
        points = [(x_of(y), y_of(values[y]), y) for y in term_years if y in values]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>'
            )
        for x, y, year in points:
            label = f"{year}: {format_value(values[year], indicator.value_type)}"
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}">'
                f"<title>{escape(label)}</title></circle>"
            )
        if points:
            x, y, year = points[-1]
            body.append(
                _text(
                    x,
                    y - 9,
                    format_value(values[year], indicator.value_type),
                    size=11,
                    anchor="middle" if x < left + plot_w - 30 else "end",
                    color=color,
                    weight="bold",
                    # A white halo keeps the label readable where it crosses a line.
                    extra=' stroke="#fff" stroke-width="3" paint-order="stroke"',
                )
            )
    # The step from one term to the next, dotted so that it does not read as measured.
    prev_years = [y for y in years if y not in this_term_years and y in values]
    this_years = [y for y in this_term_years if y in values]
    if prev_years and this_years:
        a, b = prev_years[-1], this_years[0]
        body.append(
            _line(
                x_of(a),
                y_of(values[a]),
                x_of(b),
                y_of(values[b]),
                COLOR_PREV,
                'stroke-dasharray="2 3"',
            )
        )
    return _svg(width, height, body, f"Xu hướng: {indicator.name_vi}")


def achievement_chart(comparisons: list[Comparison], width: int = 1100) -> str:
    """The unit's own targets: a bar per indicator against the 100% line."""
    rows = [c for c in comparisons if c.achievement_pct is not None]
    bar_h, gap, top, font = 18, 8, 22, 12
    names, plot_x, plot_w, height, x_of = _achievement_frame(
        [c.indicator.name_vi for c in rows], bar_h, gap, top, font, width
    )
    body = _achievement_axis(x_of, top, height)
    y = top
    for comparison, name in zip(rows, names, strict=True):
        pct = comparison.achievement_pct
        reached = pct >= 100 - 1e-9
        color = COLOR_GOOD if reached else COLOR_BAD
        value_type = comparison.indicator.value_type
        target = comparison.target_text or format_value(comparison.target_value, value_type)
        detail = f"{format_percent(pct)} · {format_value(comparison.value, value_type)} / {target}"
        body.append(
            _text(
                plot_x - 8,
                y + bar_h - 5,
                name,
                size=font,
                anchor="end",
                extra=f' data-code="{escape(comparison.indicator.code)}"',
            )
        )
        body.append(
            f'<rect x="{plot_x:.1f}" y="{y}" width="{max(x_of(pct) - plot_x, 1):.1f}" '
            f'height="{bar_h}" rx="2" fill="{color}" fill-opacity="0.85">'
            f"<title>{escape(comparison.indicator.name_vi)}: {escape(detail)}</title></rect>"
        )
        marker = " ›" if pct > ACHIEVEMENT_AXIS_MAX else ""
        # Details in their own column: never across the 100% line.
        body.append(_text(plot_x + plot_w + 12, y + bar_h - 5, detail + marker, size=11))
        y += bar_h + gap
    return _svg(width, height, body, "Mức độ đạt chỉ tiêu")


def _achievement_frame(
    indicator_names: list[str], bar_h: int, gap: int, top: int, font: int, width: int
) -> tuple[list[str], float, float, float, Callable[[float], float]]:
    """The layout both achievement charts share: shortened row labels, then the plot
    (0 to ``ACHIEVEMENT_AXIS_MAX`` %), then a 270-px column for the details.

    Returns the labels, the plot's x and width, the chart's height and ``x_of(pct)``.
    """
    names = [_shorten(name, 60) for name in indicator_names]
    plot_x = max(_text_width(n, font) for n in names) + 14
    plot_w = width - plot_x - 270
    height = top + len(names) * (bar_h + gap) + 30

    def x_of(pct: float) -> float:
        return plot_x + plot_w * min(max(pct, 0), ACHIEVEMENT_AXIS_MAX) / ACHIEVEMENT_AXIS_MAX

    return names, plot_x, plot_w, height, x_of


def _achievement_axis(x_of, top: int, height: float) -> list[str]:
    body = []
    for tick in range(0, int(ACHIEVEMENT_AXIS_MAX) + 1, 25):
        x = x_of(tick)
        if tick == 100:
            continue
        body.append(_line(x, top - 4, x, height - 26, COLOR_GRID))
        if tick % 50 == 0:
            body.append(
                _text(
                    x,
                    height - 10,
                    f"{tick}%",
                    size=11,
                    anchor="middle",
                    color=COLOR_MUTED,
                )
            )
    x = x_of(100)
    body.append(
        f'<line x1="{x:.1f}" y1="{top - 10}" x2="{x:.1f}" y2="{height - 26}" '
        f'stroke="{COLOR_TEXT}" stroke-width="2"/>'
    )
    body.append(_text(x, top - 12, "100% = đạt chỉ tiêu", size=11, anchor="middle", weight="bold"))
    body.append(_text(x, height - 10, "100%", size=11, anchor="middle", weight="bold"))
    return body


def ward_achievement_chart(
    achievements: dict[str, list[tuple[str, float]]],
    indicators: dict[str, Indicator],
    width: int = 1100,
) -> str:
    """For a district or province: per indicator, the median ward as a bar, each ward a dot."""
    codes = sorted(achievements, key=lambda c: (_domain_rank(indicators[c].domain), c))
    bar_h, gap, top, font = 18, 10, 22, 12
    names, plot_x, plot_w, height, x_of = _achievement_frame(
        [indicators[c].name_vi for c in codes], bar_h, gap, top, font, width
    )
    body = _achievement_axis(x_of, top, height)
    y = top
    for code, name in zip(codes, names, strict=True):
        ward_values = sorted(achievements[code], key=lambda item: item[1])
        pcts = [pct for _, pct in ward_values]
        median = float(np.median(pcts))
        reached = sum(1 for pct in pcts if pct >= 100 - 1e-9)
        body.append(_text(plot_x - 8, y + bar_h - 5, name, size=font, anchor="end"))
        body.append(
            f'<rect x="{plot_x:.1f}" y="{y + 3}" width="{max(x_of(median) - plot_x, 1):.1f}" '
            f'height="{bar_h - 6}" rx="2" fill="{COLOR_GOOD if median >= 100 else COLOR_BAD}" '
            f'fill-opacity="0.28"><title>Trung vị / median: {escape(format_percent(median))}'
            "</title></rect>"
        )
        for ward, pct in ward_values:
            color = COLOR_GOOD if pct >= 100 - 1e-9 else COLOR_BAD
            body.append(
                f'<circle cx="{x_of(pct):.1f}" cy="{y + bar_h / 2:.1f}" r="4.5" fill="{color}" '
                f'fill-opacity="0.8" stroke="#fff" stroke-width="0.8">'
                f"<title>{escape(ward)}: {escape(format_percent(pct))}</title></circle>"
            )
        body.append(
            _text(
                plot_x + plot_w + 10,
                y + bar_h - 5,
                f"{reached}/{len(pcts)} đạt · trung vị {format_percent(median)}",
                size=11,
            )
        )
        y += bar_h + gap
    return _svg(width, height, body, "Mức độ đạt chỉ tiêu của các phường, xã")


# --------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f9; color: #1d2939;
  font-family: "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, "Liberation Sans",
    "DejaVu Sans", sans-serif; font-size: 14px; line-height: 1.45; }
main { max-width: 1140px; margin: 0 auto; padding: 24px 20px 40px; }
header.title { background: #123a6b; color: #fff; border-radius: 10px; padding: 20px 26px; }
header.title .kicker { text-transform: uppercase; letter-spacing: .06em; font-size: 12px;
  opacity: .85; }
header.title h1 { margin: 4px 0 2px; font-size: 28px; }
header.title .where { font-size: 15px; opacity: .92; }
header.title .en { font-size: 12px; opacity: .75; margin-top: 6px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 16px 0 4px; }
.card { background: #fff; border-radius: 8px; padding: 12px 14px; border: 1px solid #e4e7ec; }
.card .name { font-size: 12.5px; color: #475467; min-height: 36px; }
.card .value { font-size: 24px; font-weight: 700; color: #1f5fae; }
.card .delta { font-size: 12.5px; }
section { background: #fff; border: 1px solid #e4e7ec; border-radius: 10px; padding: 16px 20px;
  margin-top: 16px; }
h2 { font-size: 18px; margin: 0 0 2px; color: #123a6b; }
h2 .en, h3 .en, th .en, td .en { font-weight: normal; color: #667085; font-size: 12px; }
h3 { font-size: 14px; margin: 8px 0 2px; }
.note { color: #667085; font-size: 12.5px; margin: 2px 0 8px; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 28px; }
svg.chart { width: 100%; height: auto; display: block; }
.legend { font-size: 12px; color: #475467; margin: 4px 0; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
  vertical-align: -1px; margin: 0 4px 0 12px; }
.legend i.line { height: 3px; vertical-align: 3px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; background: #f2f4f7; color: #344054; font-weight: 600; padding: 6px 8px;
  border-bottom: 1px solid #d0d5dd; }
td { padding: 5px 8px; border-bottom: 1px solid #eaecf0; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.domain td { background: #f9fafb; font-weight: 600; color: #123a6b; padding-top: 9px; }
.good { color: #2e7d32; } .bad { color: #c0392b; } .neutral { color: #667085; }
.ok, .ko { font-weight: 700; font-size: 15px; }
footer { color: #667085; font-size: 12px; margin-top: 18px; }
@page { size: A4; margin: 12mm; }
@media print {
  body { background: #fff; font-size: 10.5pt; -webkit-print-color-adjust: exact;
    print-color-adjust: exact; }
  main { max-width: none; padding: 0; }
  section, .card { border-color: #d0d5dd; break-inside: avoid; }
  section.table { break-inside: auto; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
}
"""


def _delta_html(comparison: Comparison) -> str:
    indicator = comparison.indicator
    css = {True: "good", False: "bad"}.get(comparison.improved, "neutral")
    arrow = (
        ""
        if _is_missing(comparison.abs_change)
        else ("▲ " if comparison.abs_change > 0 else "▼ " if comparison.abs_change < 0 else "■ ")
    )
    change = format_change(comparison.abs_change, indicator.value_type)
    return f'<span class="{css}">{arrow}{escape(change)}</span>'


def _cards(data: ReportData) -> str:
    by_code = {c.indicator.code: c for c in data.comparisons}
    codes = [code for code in data.trends if code in by_code][:4]
    cards = []
    for code in codes:
        comparison = by_code[code]
        indicator = comparison.indicator
        prev = format_value(comparison.prev_value, indicator.value_type)
        value = format_value(comparison.value, indicator.value_type)
        cards.append(
            f'<div class="card"><div class="name">{escape(indicator.name_vi)}</div>'
            f'<div class="value">{escape(value)}</div>'
            f'<div class="delta">{_delta_html(comparison)} '
            f'<span class="neutral">so với {escape(prev)} nhiệm kỳ trước</span></div></div>'
        )
    return f'<div class="cards">{"".join(cards)}</div>' if cards else ""


def _ranking_section(data: ReportData) -> str:
    if not data.ranking:
        return ""
    scope = (
        f"các phường, xã của {data.reference_name}"
        if data.level == "ward" and data.reference_name
        else f"các phường, xã của {data.unit_name}"
    )
    charts = []
    for code, rows in data.ranking.items():
        indicator = data.indicators[code]
        direction = (
            "cao hơn là tốt hơn"
            if indicator.higher_is_better is not False
            else "thấp hơn là tốt hơn"
        )
        missing = data.wards_without_data.get(code, [])
        missing_note = ""
        if missing:
            listed = ", ".join(missing) if len(missing) <= 8 else f"{len(missing)} đơn vị"
            missing_note = f'<p class="note">Chưa có số liệu / no data: {escape(listed)}</p>'
        reference = data.ranking_reference.get(code)
        reference_note = ""
        if reference is not None and data.reference_name:
            reference_note = (
                f'<span class="legend"><i class="line" style="background:{COLOR_TEXT}"></i>'
                f"{escape(data.reference_name)}: "
                f"{escape(format_value(reference, indicator.value_type))}"
                "</span>"
            )
        charts.append(
            f"<div><h3>{escape(indicator.name_vi)} "
            f'<span class="en">{escape(indicator.name_en)}</span></h3>'
            f'<p class="note">Nhiệm kỳ {_term_label(data.term_code)} · {direction} '
            f"{reference_note}</p>"
            + ranking_chart(indicator, rows, reference, data.reference_name)
            + missing_note
            + "</div>"
        )
    highlight = ""
    if data.level == "ward":
        highlight = (
            f'<span class="legend"><i style="background:{COLOR_HIGHLIGHT}"></i>'
            f"{escape(data.unit_name)}</span>"
        )
    return (
        '<section class="ranking"><h2>Xếp hạng phường, xã '
        '<span class="en">Wards ranked</span></h2>'
        f'<p class="note">Giá trị nhiệm kỳ của {escape(scope)}; tốt nhất ở trên. {highlight}</p>'
        f'<div class="grid2">{"".join(charts)}</div></section>'
    )


def _trend_section(data: ReportData) -> str:
    if not data.trends:
        return ""
    charts = []
    for code, values in data.trends.items():
        indicator = data.indicators[code]
        unit = (
            f" ({indicator.unit})" if indicator.unit and indicator.value_type != "percent" else ""
        )
        charts.append(
            f"<div><h3>{escape(indicator.name_vi)}{escape(unit)} "
            f'<span class="en">{escape(indicator.name_en)}</span></h3>'
            + trend_chart(
                indicator,
                values,
                data.years,
                data.this_term_years,
                data.trend_targets.get(code, {}),
                data.term_code,
                data.prev_term_code,
            )
            + "</div>"
        )
    coverage = ""
    if data.coverage and data.coverage[0] < data.coverage[1]:
        coverage = (
            f" Tổng hợp từ {data.coverage[0]}/{data.coverage[1]} phường, xã có báo cáo "
            "(số liệu chưa đầy đủ / partial coverage)."
        )
    prev = f"nhiệm kỳ {_term_label(data.prev_term_code)} và " if data.prev_term_code else ""
    return (
        '<section class="trends"><h2>Xu hướng qua hai nhiệm kỳ '
        '<span class="en">Trends across both terms</span></h2>'
        f'<p class="note">Số liệu từng năm của {escape(prev)}nhiệm kỳ {_term_label(data.term_code)}'
        f"; tỷ lệ được tính lại từ tử số và mẫu số, không lấy trung bình.{escape(coverage)}</p>"
        f'<p class="legend"><i class="line" style="background:{COLOR_PREV}"></i>Nhiệm kỳ trước'
        f'<i class="line" style="background:{COLOR_THIS}"></i>Nhiệm kỳ này'
        f'<i class="line" style="background:{COLOR_GOOD}"></i>Chỉ tiêu (nếu có)</p>'
        f'<div class="grid2">{"".join(charts)}</div></section>'
    )


def _achievement_section(data: ReportData) -> str:
    own = [c for c in data.comparisons if c.achievement_pct is not None]
    parts = []
    if own:
        reached = sum(1 for c in own if c.achievement_pct >= 100 - 1e-9)
        parts.append(
            f'<p class="note">{reached}/{len(own)} chỉ tiêu đạt hoặc vượt · tỷ lệ đạt = giá trị / '
            "chỉ tiêu (chỉ tiêu càng thấp càng tốt: chỉ tiêu / giá trị) · "
            "target achievement, 100% = reached</p>" + achievement_chart(own)
        )
    if data.ward_achievement:
        parts.append(
            '<p class="note">Mỗi chấm là một phường, xã (xanh: đạt, đỏ: chưa đạt); thanh là '
            "phường, xã ở giữa (trung vị) · each dot a ward, the bar the median ward</p>"
            + ward_achievement_chart(data.ward_achievement, data.indicators)
        )
    if not parts:
        parts.append(
            '<p class="note">Chưa có chỉ tiêu nào được giao trong nhiệm kỳ này. / '
            "No targets were set for this term.</p>"
        )
    return (
        '<section class="achievement"><h2>Mức độ đạt chỉ tiêu nhiệm kỳ '
        f'{_term_label(data.term_code)} <span class="en">Target achievement</span></h2>'
        + "".join(parts)
        + "</section>"
    )


def _table_section(data: ReportData) -> str:
    prev = _term_label(data.prev_term_code) if data.prev_term_code else "trước"
    aggregate = data.level != "ward"
    ward_counts = {
        code: (sum(1 for _, pct in rows if pct >= 100 - 1e-9), len(rows))
        for code, rows in data.ward_achievement.items()
    }
    head = (
        '<thead><tr><th>Chỉ tiêu <span class="en">Indicator</span></th><th>Đơn vị tính</th>'
        f'<th class="num">NK {prev}</th><th class="num">NK {_term_label(data.term_code)}</th>'
        '<th class="num">Thay đổi <span class="en">change</span></th>'
        '<th class="num">Chỉ tiêu <span class="en">target</span></th>'
        '<th class="num">Tỷ lệ đạt</th>'
        f"<th>{'Số phường, xã đạt' if aggregate else 'Đạt'}</th></tr></thead>"
    )
    body, domain = [], None
    for comparison in data.comparisons:
        indicator = comparison.indicator
        if indicator.domain != domain:
            domain = indicator.domain
            vi, en = DOMAIN_NAMES.get(domain, (domain, ""))
            body.append(
                f'<tr class="domain"><td colspan="8">{escape(vi)} '
                f'<span class="en">{escape(en)}</span></td></tr>'
            )
        value_type = indicator.value_type
        pct_change = ""
        if not _is_missing(comparison.pct_change) and indicator.value_type != "percent":
            pct_change = (
                f' <span class="en">({escape(format_signed_percent(comparison.pct_change))})</span>'
            )
        target = comparison.target_text or (
            format_value(comparison.target_value, indicator.value_type)
            if comparison.target_value is not None
            else MISSING
        )
        if comparison.achievement_pct is None:
            mark = MISSING
        elif comparison.achievement_pct >= 100 - 1e-9:
            mark = '<span class="ok good" title="Đạt / reached">✓</span>'
        else:
            mark = '<span class="ko bad" title="Chưa đạt / not reached">✗</span>'
        if aggregate and comparison.achievement_pct is None:
            reached, total = ward_counts.get(indicator.code, (0, 0))
            mark = f"{reached}/{total}" if total else MISSING
        body.append(
            f'<tr><td>{escape(indicator.name_vi)}<br><span class="en">{escape(indicator.name_en)}'
            f"</span></td><td>{escape(indicator.unit)}</td>"
            f'<td class="num">{escape(format_value(comparison.prev_value, value_type))}</td>'
            f'<td class="num"><b>{escape(format_value(comparison.value, value_type))}</b></td>'
            f'<td class="num">{_delta_html(comparison)}{pct_change}</td>'
            f'<td class="num">{escape(target)}</td>'
            f'<td class="num">{escape(format_percent(comparison.achievement_pct))}</td>'
            f"<td>{mark}</td></tr>"
        )
    if not body:
        body.append(
            '<tr><td colspan="8">Chưa có số liệu cho nhiệm kỳ này. / '
            "No data for this term.</td></tr>"
        )
    return (
        '<section class="table"><h2>So sánh nhiệm kỳ '
        f"{_term_label(data.term_code)} với nhiệm kỳ {prev} "
        '<span class="en">This term against the last</span></h2>'
        '<p class="note">Giá trị nhiệm kỳ: cộng dồn các năm với chỉ tiêu cộng dồn, năm cuối có số '
        "liệu với tỷ lệ và số tồn; thay đổi của tỷ lệ tính bằng điểm phần trăm. ▲▼ xanh: tốt lên, "
        "đỏ: xấu đi.</p>"
        f"<table>{head}<tbody>{''.join(body)}</tbody></table></section>"
    )


def render_report(data: ReportData) -> str:
    """The whole HTML page: one string, no external resource of any kind."""
    level = {"ward": "Phường, xã", "district": "Quận, huyện, thị xã", "province": "Tỉnh, thành phố"}
    where = " · ".join(
        [escape(data.unit_type or level.get(data.level, ""))]
        + [escape(n) for n in data.parent_names]
        + [f"mã {escape(data.unit_key)}"]
    )
    prev = f", so với nhiệm kỳ {_term_label(data.prev_term_code)}" if data.prev_term_code else ""
    coverage = ""
    if data.coverage:
        coverage = (
            f" · {data.coverage[0]}/{data.coverage[1]} phường, xã có báo cáo năm {data.years[-1]}"
        )
    generated = datetime.now().strftime("%d/%m/%Y %H:%M")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Báo cáo chỉ tiêu {escape(data.unit_name)} – "
        f"nhiệm kỳ {_term_label(data.term_code)}</title>"
        f"<style>{CSS}</style></head><body><main>"
        '<header class="title"><div class="kicker">Báo cáo kết quả thực hiện chỉ tiêu nhiệm kỳ '
        f"{_term_label(data.term_code)}{escape(prev)}</div>"
        f'<h1>{escape(data.unit_name)}</h1><div class="where">{where}{escape(coverage)}</div>'
        f'<div class="en">Indicator report for term {_term_label(data.term_code)}'
        f"{' against ' + _term_label(data.prev_term_code) if data.prev_term_code else ''}"
        "</div></header>"
        + _cards(data)
        + _ranking_section(data)
        + _trend_section(data)
        + _achievement_section(data)
        + _table_section(data)
        + f"<footer>Lập lúc {generated} từ kho dữ liệu chitieu ({escape(data.source)}), các bảng "
        "marts.fct_term_comparison, fct_indicator_rollup, dim_admin_unit, dim_indicator. "
        "Generated by chitieu.</footer></main></body></html>\n"
    )


def write_report(warehouse: Path, unit_key: str, term_code: str, out: Path) -> Path:
    """Read the published warehouse (read-only) and write the report to ``out``."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        data = load_report_data(con, unit_key, term_code)
    finally:
        con.close()
    data.source = Path(warehouse).name
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(data), encoding="utf-8")
    return out.resolve()


def default_out_path(unit_key: str, term_code: str) -> Path:
    """``report-pre2025-534-2020-2025.html`` in the current folder."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{unit_key}-{term_code}")
    return Path(f"report-{safe}.html")
