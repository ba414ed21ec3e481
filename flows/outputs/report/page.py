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
from flows.outputs.report.data import DOMAIN_NAMES, Comparison, ReportData, load_report_data
from flows.outputs.report.formats import (
    MISSING,
    _is_missing,
    _term_label,
    format_change,
    format_percent,
    format_signed_percent,
    format_value,
)

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
