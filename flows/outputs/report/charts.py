"""The report's charts as inline SVG drawn here in Python (ranking, trends, target
achievement): the page then needs no JavaScript, no network, no external font or image,
and opens the same offline, as an e-mail attachment or printed."""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

import numpy as np

from flows.outputs.report.data import Comparison, Indicator, _domain_rank
from flows.outputs.report.formats import _axis_label, _term_label, format_percent, format_value

# A province has hundreds of wards: the ranking then shows the best and the worst.
MAX_RANKED_ROWS = 24
# Achievement beyond this is drawn at the edge (its label still says the real figure).
ACHIEVEMENT_AXIS_MAX = 200.0

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
