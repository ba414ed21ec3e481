"""``chitieu report``: one self-contained HTML page for a unit and a congress term, in
Vietnamese (English in small print): the wards ranked, the trends across the previous term
and this one, how far the targets were reached, and the term-over-term table. Every text
that comes from the data is HTML-escaped; ``tools/report_screenshot.py`` renders the page
in headless Chromium for the README's screenshot."""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from pathlib import Path

import duckdb

from flows.outputs.report.charts import (
    COLOR_GOOD,
    COLOR_HIGHLIGHT,
    COLOR_PREV,
    COLOR_TEXT,
    COLOR_THIS,
    achievement_chart,
    ranking_chart,
    trend_chart,
    ward_achievement_chart,
)
from flows.outputs.report.data import (
    DOMAIN_NAMES,
    Comparison,
    OutlookIndicator,
    OutlookRow,
    ReportData,
    load_report_data,
)
from flows.outputs.report.formats import (
    MISSING,
    _is_missing,
    _term_label,
    format_change,
    format_percent,
    format_signed_percent,
    format_target,
    format_value,
)

# The outlook's statuses as the page names them (Vietnamese, English); colours in CSS.
STATUS_LABELS = {
    "off_track": ("Dự báo không đạt", "off track"),
    "at_risk": ("Có nguy cơ không đạt", "at risk"),
    "on_track": ("Dự báo đạt", "on track"),
    "achieved": ("Đã đạt", "achieved"),
    "no_data": ("Chưa có số liệu", "no data"),
    "other": ("Khác", "other"),
}
PROJECTION_METHODS = {
    "run_rate": ("theo nhịp bình quân", "run rate"),
    "trend": ("theo xu hướng", "trend"),
    "latest": ("giá trị mới nhất", "latest value"),
}
# A province has hundreds of wards: each status of an indicator lists this many at most.
MAX_OUTLOOK_ROWS_PER_STATUS = 30

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
.cov { display: block; color: #667085; font-size: 11.5px; font-weight: normal; }
.lfl { display: block; white-space: normal; color: #8a4b00; font-size: 11.5px;
  max-width: 240px; margin-left: auto; }
.outlook-indicator { margin-top: 12px; }
.outlook-indicator h3 { margin-bottom: 0; }
table.outlook td.ward { width: 24%; }
table.outlook th:last-child, table.outlook td:last-child { width: 19%; }
tr.status-group td { font-weight: 600; padding-top: 8px; background: #f9fafb; }
.chip { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px;
  font-weight: 600; color: #fff; margin-right: 4px; }
.st-off_track .chip, .chip.st-off_track { background: #c0392b; }
.st-at_risk .chip, .chip.st-at_risk { background: #b54708; }
.st-on_track .chip, .chip.st-on_track { background: #1f5fae; }
.st-achieved .chip, .chip.st-achieved { background: #2e7d32; }
.st-no_data .chip, .chip.st-no_data, .st-other .chip, .chip.st-other { background: #667085; }
tr.disagree td { background: #fff6e5; }
.disagree { color: #8a4b00; font-weight: 700; }
tr.more td { color: #667085; font-style: italic; }
footer { color: #667085; font-size: 12px; margin-top: 18px; }
@page { size: A4; margin: 12mm; }
@media print {
  body { background: #fff; font-size: 10.5pt; -webkit-print-color-adjust: exact;
    print-color-adjust: exact; }
  main { max-width: none; padding: 0; }
  section, .card { border-color: #d0d5dd; break-inside: avoid; }
  section.table, section.outlook { break-inside: auto; }
  .outlook-indicator { break-inside: avoid; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
}
"""


def _like_for_like(comparison: Comparison) -> bool:
    """Whether the change shown is the one over the wards reporting in both terms."""
    return bool(comparison.coverage_differs)


def _change(comparison: Comparison) -> tuple[float | None, float | None, bool | None]:
    """(absolute change, percent change, improved) as the page shows them: like for like when
    the two terms were added up from different wards, so that a ward's arrival is no gain."""
    if not _like_for_like(comparison):
        return comparison.abs_change, comparison.pct_change, comparison.improved
    change = comparison.like_for_like_abs_change
    better = comparison.indicator.higher_is_better
    improved = None
    if not _is_missing(change) and better is not None:
        improved = change > 0 if better else change < 0
    return change, comparison.like_for_like_pct_change, improved


def _delta_html(comparison: Comparison) -> str:
    indicator = comparison.indicator
    abs_change, _, improved = _change(comparison)
    css = {True: "good", False: "bad"}.get(improved, "neutral")
    arrow = (
        ""
        if _is_missing(abs_change)
        else ("▲ " if abs_change > 0 else "▼ " if abs_change < 0 else "■ ")
    )
    change = format_change(abs_change, indicator.value_type)
    return f'<span class="{css}">{arrow}{escape(change)}</span>'


def _coverage_html(reporting: int | None, expected: int | None) -> str:
    """``12/15 phường báo cáo`` under a value added up from wards."""
    if reporting is None or not expected:
        return ""
    return f'<span class="cov">{reporting}/{expected} phường báo cáo</span>'


def _shows_coverage(data: ReportData, comparison: Comparison) -> bool:
    # Upper levels, and a 2025 ward built from several earlier ones, add wards up.
    return comparison.n_units_expected is not None and (
        data.level != "ward" or comparison.n_units_expected > 1 or bool(comparison.coverage_differs)
    )


def _like_for_like_note(comparison: Comparison) -> str:
    """What the like-for-like change compares, Vietnamese first, with both of its values."""
    indicator = comparison.indicator
    count = comparison.n_units_in_both
    wards_vi = f"{count} phường" if count is not None else "các phường"
    wards_en = f"the {count} wards" if count is not None else "the wards"
    if _is_missing(comparison.like_for_like_abs_change):
        return (
            '<span class="lfl">Số phường báo cáo khác nhau giữa hai nhiệm kỳ và không có phường '
            "nào có số liệu ở cả hai: không so sánh được. "
            '<span class="en">Coverage differs and no ward reported in both terms.</span></span>'
        )
    values = (
        f"{format_value(comparison.like_for_like_prev_value, indicator.value_type)} → "
        f"{format_value(comparison.like_for_like_value, indicator.value_type)}"
    )
    unadjusted = format_change(comparison.abs_change, indicator.value_type)
    return (
        f'<span class="lfl">So sánh trên {escape(wards_vi)} có số liệu ở cả hai nhiệm kỳ '
        f"({escape(values)}); gộp mọi phường báo cáo: {escape(unadjusted)}. "
        f'<span class="en">Like for like: {escape(wards_en)} reporting in both terms.</span>'
        "</span>"
    )


def _cards(data: ReportData) -> str:
    by_code = {c.indicator.code: c for c in data.comparisons}
    codes = [code for code in data.trends if code in by_code][:4]
    cards = []
    for code in codes:
        comparison = by_code[code]
        indicator = comparison.indicator
        prev = format_value(comparison.prev_value, indicator.value_type)
        value = format_value(comparison.value, indicator.value_type)
        basis = f"so với {escape(prev)} nhiệm kỳ trước"
        if _like_for_like(comparison):
            count = comparison.n_units_in_both
            basis = (
                f"so sánh trên {count if count is not None else 'các'} phường có số liệu ở cả "
                "hai nhiệm kỳ"
            )
        cards.append(
            f'<div class="card"><div class="name">{escape(indicator.name_vi)}</div>'
            f'<div class="value">{escape(value)}</div>'
            f'<div class="delta">{_delta_html(comparison)} '
            f'<span class="neutral">{basis}</span></div></div>'
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


def _status_chip(status: str) -> str:
    vi, en = STATUS_LABELS.get(status, STATUS_LABELS["other"])
    return f'<span class="chip st-{escape(status)}">{escape(vi)}</span><span class="en">{en}</span>'


def _usual_method(rows: list[OutlookRow]) -> str | None:
    """The projection method most rows of an indicator share (said once, above its table)."""
    methods = [r.projection_method for r in rows if not _is_missing(r.projected_value)]
    return max(set(methods), key=methods.count) if methods else None


def _projected_html(
    row: OutlookRow, value_type: str, time_aggregation: str, usual_method: str | None
) -> str:
    """The projected end-of-term value, per year too when the target is per year, and its
    method when it is not the one the indicator's note names."""
    text = escape(format_value(row.projected_value, value_type))
    if (
        row.target_per_year
        and time_aggregation == "sum"
        and not _is_missing(row.projected_value)
        and row.n_years_in_term
    ):
        per_year = format_value(row.projected_value / row.n_years_in_term, value_type)
        text += f" ({escape(per_year)} /năm)"
    method = PROJECTION_METHODS.get(row.projection_method or "")
    if method and not _is_missing(row.projected_value) and row.projection_method != usual_method:
        text += f'<span class="cov">{method[0]} <span class="en">{method[1]}</span></span>'
    return text


def _to_date_html(
    row: OutlookRow, value_type: str, outlook_year: int | None, term_last_year: int | None
) -> str:
    """The value so far; below it, only what is unusual: years missing, or an older year."""
    text = escape(format_value(row.value_to_date, value_type))
    years = ""
    if row.n_years_reported is not None and row.n_years_in_term and term_last_year:
        elapsed = row.as_of_year - (term_last_year - row.n_years_in_term)
        if row.n_years_reported < elapsed:
            years = f"{row.n_years_reported}/{elapsed} năm có số liệu"
    if outlook_year is not None and row.as_of_year != outlook_year:
        years = f"đến năm {row.as_of_year}" + (f", {years}" if years else "")
    return text + (f'<span class="cov">{escape(years)}</span>' if years else "")


def _verdict_html(row: OutlookRow) -> str:
    """The ward's own verdict (as written, else its status), marked where it disagrees."""
    label = STATUS_LABELS.get(row.clerk_assessment or "", (None,))[0]
    said = row.clerk_text or label or row.clerk_assessment
    if not said:
        return MISSING
    meaning = (
        f'<span class="cov">= {escape(label)}</span>'
        if row.clerk_text and label and label != row.clerk_text
        else ""
    )
    if row.agrees_with_clerk is False:
        return (
            '<span class="disagree" title="Tự đánh giá của phường khác với dự báo / the '
            f"ward's own verdict differs from the projection\">≠ {escape(said)}</span> "
            f'<span class="en">khác dự báo / differs</span>{meaning}'
        )
    return escape(said) + meaning


def _outlook_table(
    entries: list[tuple[str, OutlookRow, OutlookIndicator]],
    first_column: tuple[str, str],
    data: ReportData,
    usual_method: str | None = None,
) -> str:
    """Rows grouped by status, worst first; ``entries`` are (label, row, its indicator)."""
    head = (
        f'<thead><tr><th>{first_column[0]} <span class="en">{first_column[1]}</span></th>'
        '<th class="num">Đã thực hiện <span class="en">to date</span></th>'
        '<th class="num">Dự báo cuối nhiệm kỳ <span class="en">projected</span></th>'
        '<th class="num">Chỉ tiêu <span class="en">target</span></th>'
        '<th class="num">Dự báo đạt <span class="en">projected / target</span></th>'
        '<th>Tự đánh giá <span class="en">own verdict</span></th></tr></thead>'
    )
    body = []
    order = list(STATUS_LABELS)
    statuses = sorted(
        {row.status if row.status in STATUS_LABELS else "other" for _, row, _ in entries},
        key=order.index,
    )
    for status in statuses:
        group = [
            e
            for e in entries
            if (e[1].status if e[1].status in STATUS_LABELS else "other") == status
        ]
        body.append(
            f'<tr class="status-group st-{status}"><td colspan="6">{_status_chip(status)} '
            f"({len(group)})</td></tr>"
        )
        for label, row, outlook in group[:MAX_OUTLOOK_ROWS_PER_STATUS]:
            indicator = outlook.indicator
            value_type = indicator.value_type
            target = format_target(
                row.target_low,
                row.target_high,
                row.target_direction,
                value_type,
                per_year=row.target_per_year,
            )
            # The target as typed, on hover: the bounds say the same, in one format.
            typed = (
                f' title="Ghi trong báo cáo / as typed: {escape(row.target_text)}"'
                if row.target_text
                else ""
            )
            projected = _projected_html(row, value_type, indicator.time_aggregation, usual_method)
            to_date = _to_date_html(row, value_type, data.outlook_year, data.term_last_year)
            css = f"st-{status}" + (" disagree" if row.agrees_with_clerk is False else "")
            body.append(
                f'<tr class="{css}"><td class="ward">{label}</td>'
                f'<td class="num">{to_date}</td>'
                f'<td class="num"><b>{projected}</b></td>'
                f'<td class="num"{typed}>{escape(target)}</td>'
                f'<td class="num">{escape(format_percent(row.projected_achievement_pct))}</td>'
                f"<td>{_verdict_html(row)}</td></tr>"
            )
        hidden = len(group) - MAX_OUTLOOK_ROWS_PER_STATUS
        if hidden > 0:
            body.append(
                f'<tr class="more"><td colspan="6">… và {hidden} đơn vị khác / {hidden} more'
                "</td></tr>"
            )
    return f'<table class="outlook">{head}<tbody>{"".join(body)}</tbody></table>'


def _status_counts(rows: list[OutlookRow]) -> str:
    counts = []
    for status, (vi, _) in STATUS_LABELS.items():
        n = sum(1 for r in rows if (r.status if r.status in STATUS_LABELS else "other") == status)
        if n:
            counts.append(f"{n} {vi.lower()}")
    disagree = sum(1 for r in rows if r.agrees_with_clerk is False)
    if disagree:
        counts.append(f"{disagree} tự đánh giá khác dự báo")
    return " · ".join(counts)


def _outlook_section(data: ReportData) -> str:
    """Will the term's targets be met? Per indicator with a target, the wards by status."""
    if data.outlook is None:  # a warehouse built before the outlook existed
        return ""
    title = (
        '<section class="outlook"><h2>Khả năng đạt mục tiêu nhiệm kỳ '
        f"{_term_label(data.term_code)} "
        '<span class="en">Will the term\'s targets be met?</span></h2>'
    )
    if not data.outlook:
        return (
            title + '<p class="note">Chưa có chỉ tiêu nào có số liệu để dự báo trong nhiệm kỳ này. '
            "/ No target of this term has data to project from yet.</p></section>"
        )
    end = data.term_last_year
    as_of = f"theo số liệu đến năm {data.outlook_year}" if data.outlook_year is not None else ""
    method = (
        f'<p class="note">Dự báo giá trị cuối nhiệm kỳ{f" (năm {end})" if end else ""} {as_of}: '
        "chỉ tiêu cộng dồn theo nhịp bình quân của các năm đã báo cáo; tỷ lệ và số tồn theo "
        "đường xu hướng qua các năm (giá trị mới nhất khi mới có một năm). Có nguy cơ: dự báo "
        "đạt từ 90% chỉ tiêu (chỉ tiêu càng thấp càng tốt: không vượt quá 110%). "
        "≠: tự đánh giá của phường khác với dự báo. "
        '<span class="en">Projected to the end of the term from the years reported: totals at '
        "their run rate, rates and stocks along their trend; at risk within 10% of the target; "
        "≠ marks a ward whose own verdict differs from the projection.</span></p>"
    )
    blocks = []
    if data.level == "ward":
        # One unit: its indicators, grouped by status.
        entries = [
            (
                f"{escape(o.indicator.name_vi)}<br>"
                f'<span class="en">{escape(o.indicator.name_en)}</span>',
                row,
                o,
            )
            for o in data.outlook
            for row in o.rows
        ]
        all_rows = [row for o in data.outlook for row in o.rows]
        blocks.append(
            f'<div class="outlook-indicator" id="outlook-{escape(data.unit_key)}">'
            f'<p class="note">{escape(_status_counts(all_rows))}</p>'
            + _outlook_table(entries, ("Chỉ tiêu", "Indicator"), data)
            + "</div>"
        )
    else:
        for o in data.outlook:
            entries = [(escape(row.unit_name), row, o) for row in o.rows]
            usual = _usual_method(o.rows)
            named = PROJECTION_METHODS.get(usual or "")
            said = f" · dự báo {named[0]} ({named[1]})" if named else ""
            blocks.append(
                f'<div class="outlook-indicator" id="outlook-{escape(o.indicator.code)}">'
                f"<h3>{escape(o.indicator.name_vi)} "
                f'<span class="en">{escape(o.indicator.name_en)}</span></h3>'
                f'<p class="note">{len(o.rows)} phường, xã có chỉ tiêu: '
                f"{escape(_status_counts(o.rows))}{escape(said)}</p>"
                + _outlook_table(entries, ("Phường, xã", "Ward"), data, usual)
                + "</div>"
            )
    return title + method + "".join(blocks) + "</section>"


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
        _, shown_pct, _ = _change(comparison)
        pct_change = ""
        if not _is_missing(shown_pct) and indicator.value_type != "percent":
            pct_change = f' <span class="en">({escape(format_signed_percent(shown_pct))})</span>'
        prev_cov = this_cov = note = ""
        if _shows_coverage(data, comparison):
            prev_cov = _coverage_html(
                comparison.prev_n_units_reporting, comparison.prev_n_units_expected
            )
            this_cov = _coverage_html(comparison.n_units_reporting, comparison.n_units_expected)
        if _like_for_like(comparison):
            note = _like_for_like_note(comparison)
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
            f'<td class="num">{escape(format_value(comparison.prev_value, value_type))}'
            f"{prev_cov}</td>"
            f'<td class="num"><b>{escape(format_value(comparison.value, value_type))}</b>'
            f"{this_cov}</td>"
            f'<td class="num">{_delta_html(comparison)}{pct_change}{note}</td>'
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
        "đỏ: xấu đi."
        + (
            " Khi số phường báo cáo của hai nhiệm kỳ khác nhau, thay đổi được tính trên các phường "
            'có số liệu ở cả hai nhiệm kỳ (so sánh cùng phạm vi). <span class="en">When the '
            "wards reporting differ between the terms, the change is like for like.</span>"
            if any(_like_for_like(c) for c in data.comparisons)
            else ""
        )
        + "</p>"
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
        + _outlook_section(data)
        + _table_section(data)
        + f"<footer>Lập lúc {generated} từ kho dữ liệu chitieu ({escape(data.source)}), các bảng "
        "marts.fct_term_comparison, fct_indicator_rollup, "
        + ("fct_target_outlook, " if data.outlook is not None else "")
        + "dim_admin_unit, dim_indicator. "
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
