"""Cross-checks of what clerks compute themselves against what their values give.

A bracketed percent (``36/35 (103%)``) and the "So sánh" / "So với NQ (%)" / "Tỷ lệ đạt"
columns are the clerk's own arithmetic and never loaded: where they disagree with the
values beyond rounding, the values stay and the clerk is warned, as for a per-mille value
in a percent row. The table walk (:mod:`flows.reading.table`) runs these as it reads values.
"""

from __future__ import annotations

from typing import Protocol

from flows.domain.catalog import Indicator
from flows.domain.values import PER_MILLE, ParsedTarget, ParsedValue, parse_value
from flows.quality.rulebook import severity
from flows.reading.headers import ColumnRole
from flows.reading.rows import CellIssue, Observation
from flows.reading.workbook import cell_address

# Clerks truncate or round their own percentages: a difference below one percentage
# point is rounding, not a mistake.
CLERK_PERCENT_TOLERANCE = 1.0


class _ComputedColumns(Protocol):
    """A sheet's column plan, as far as the cross-checks read it."""

    @property
    def computed(self) -> tuple[tuple[int, ColumnRole], ...]: ...


class _CheckedSheet(Protocol):
    """The table walk's sheet context (``flows.reading.table._SheetContext``), as far as the
    cross-checks use it: named here so that this module need not import the table walk."""

    @property
    def percent_cells(self) -> frozenset[tuple[int, int]]: ...

    @property
    def plan(self) -> _ComputedColumns: ...

    def warn(self, issue: CellIssue) -> None: ...


def _is_percent_formatted(context: _CheckedSheet, row_idx: int, col: int, raw: object) -> bool:
    """A number shown as a percentage by its cell format (0.915 shown as 91,5%)."""
    return (
        isinstance(raw, int | float)
        and not isinstance(raw, bool)
        and (row_idx, col) in context.percent_cells
    )


def _as_percent_points(raw: float) -> float:
    """0.915 → 91.5, without binary noise (0.915 * 100 is 91.50000000000001)."""
    return round(float(raw) * 100, 9)


def _vn_number(number: float) -> str:
    """A number as a Vietnamese reader writes it: ``102,3``."""
    return f"{number:.1f}".removesuffix(".0").replace(".", ",")


def _en_number(number: float) -> str:
    return f"{number:.1f}".removesuffix(".0")


def _percent_disagrees(stated: float, computed: float) -> bool:
    return abs(stated - computed) >= CLERK_PERCENT_TOLERANCE


def _mismatch_warning(
    address: str, observation: Observation, stated: float, numerator: float, denominator: float
) -> CellIssue:
    computed = 100.0 * numerator / denominator
    code = observation.indicator_code
    return CellIssue(
        severity("clerk_computed_mismatch"),
        "clerk_computed_mismatch",
        address,
        code,
        observation.period_code,
        f"Ô {address} ({code}): tỷ lệ ghi {_vn_number(stated)}% nhưng "
        f"{_vn_number(numerator)} / {_vn_number(denominator)} = {_vn_number(computed)}%; "
        "số liệu vẫn được nhận, hãy kiểm tra lại cách tính.",
        f"Cell {address} ({code}): the stated {_en_number(stated)}% differs from "
        f"{_en_number(numerator)} / {_en_number(denominator)} = {_en_number(computed)}%; "
        "the value is kept, please check the computation.",
    )


def _cross_check_stated_percent(
    context: _CheckedSheet, parsed: ParsedValue, observation: Observation
) -> None:
    """``36/35 (103%)``: the clerk's bracketed percent against 100 × 36 / 35."""
    if parsed.stated_percent is None or not parsed.denominator or parsed.value is None:
        return
    computed = 100.0 * parsed.value / parsed.denominator
    if _percent_disagrees(parsed.stated_percent, computed):
        context.warn(
            _mismatch_warning(
                observation.source_cell,
                observation,
                parsed.stated_percent,
                parsed.value,
                parsed.denominator,
            )
        )


def _target_reference(target: ParsedTarget) -> float | None:
    """The one target number a clerk's "So với NQ (%)" divides by; None for a range."""
    if target.direction in ("at_least", "exact"):
        return target.low
    if target.direction == "at_most":
        return target.high
    return None


def _clerk_percent_readings(raw: object, percent_formatted: bool) -> list[float]:
    """What a computed cell may mean: ``102,3``, ``102,3%``, 1.023 formatted as percent.

    An unformatted ratio (1.023) is read both ways, as clerks also write ratios.
    """
    if raw is None or isinstance(raw, bool):
        return []
    if isinstance(raw, int | float):
        number = float(raw)
        if percent_formatted:
            return [_as_percent_points(number)]
        return [number, number * 100] if abs(number) <= 10 else [number]
    parsed = parse_value(raw, "percent")
    return [] if parsed.value is None or parsed.qualifier != "=" else [parsed.value]


def _cross_check_computed_columns(
    context: _CheckedSheet,
    row: list,
    row_idx: int,
    indicator: Indicator,
    target: ParsedTarget,
    latest: Observation,
) -> None:
    """Compare "So sánh" / "So với NQ (%)" / "Tỷ lệ đạt" cells with 100 × value / target.

    They are derived by the clerk and never loaded; a disagreement beyond rounding
    is a warning on the computed cell, and the row's values stay.
    """
    reference = _target_reference(target)
    if not reference or latest.value is None or latest.unit == PER_MILLE:
        return
    computed = 100.0 * latest.value / reference
    for col, _role in context.plan.computed:
        raw = row[col] if col < len(row) else None
        formatted = _is_percent_formatted(context, row_idx, col, raw)
        readings = _clerk_percent_readings(raw, formatted)
        if readings and all(_percent_disagrees(stated, computed) for stated in readings):
            address = cell_address(row_idx, col)
            context.warn(_mismatch_warning(address, latest, readings[0], latest.value, reference))


def _per_mille_warning(observation: Observation) -> CellIssue:
    address, code = observation.source_cell, observation.indicator_code
    shown = observation.original_text
    return CellIssue(
        severity("per_mille_in_percent_row"),
        "per_mille_in_percent_row",
        address,
        code,
        observation.period_code,
        f"Ô {address} ({code}) ghi theo phần nghìn ('{shown}') nhưng chỉ tiêu tính theo "
        "phần trăm (%); giá trị được giữ nguyên với đơn vị ‰, hãy kiểm tra lại đơn vị.",
        f"Cell {address} ({code}) is written per mille ('{shown}') but the indicator is a "
        "percentage; the value is kept in ‰, please check the unit.",
    )
