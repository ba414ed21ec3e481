"""Tables drawn from the option space of :mod:`tests.generators.combinations`.

A :class:`Table` is one value of every dimension plus its content (ward, indicators, their
labels, values and targets). Tables come three ways:

- :func:`tables`, a hypothesis strategy: options are drawn dimension by dimension among
  those allowed with the ones drawn before, so a failing draw shrinks to a minimal table
  (the first value of each dimension, the first indicator, the lowest number);
- :func:`pairwise_tables`: a deterministic set covering every pair of values of two
  dimensions (``combinations_pairwise``), with content from a seeded random source;
- :func:`known_failing_example`: the minimal table of a known failure.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Protocol, TypeVar

from hypothesis import strategies as st

from flows.domain.catalog import Catalog, Indicator, load_catalog
from tests.generators.casebook_plan import (
    NGUYEN_NGHIEM,
    PHO_AN,
    PHO_CUONG,
    PHO_HOA,
    PHO_MINH,
    PHO_NHON,
    PHO_NINH,
    PHO_PHONG,
    PHO_QUANG,
    PHO_THUAN,
    PHO_VAN,
    PHO_VINH,
)
from tests.generators.combinations import (
    BLOCK_HEADERS,
    DIMENSIONS,
    KNOWN_FAILING,
    NONE,
    KnownFailure,
    constraints,
    survives,
)
from tests.generators.combinations_pairwise import Forbidden, Rules, covering_rows

# ------------------------------------------------------------------ the table


@dataclass(frozen=True)
class TargetForm:
    """A target cell as typed and what it must read as: (low, high, direction, per year)."""

    text: str
    bounds: tuple[float | None, float | None, str, bool]
    reference: float | None  # what a clerk's "So sánh" divides by; None for a range


@dataclass(frozen=True)
class TableRow:
    """One indicator row: its label as typed (before decorations) and its cells."""

    code: str
    label: str
    values: tuple[object, ...]  # one per value column: a number, None or "-" (blank)
    target: TargetForm | None
    note: str | None
    assessment: str | None
    footnote: bool


@dataclass(frozen=True)
class Table:
    """One drawn table: a value of every dimension, and its content."""

    options: tuple[tuple[str, str], ...]
    ward: tuple[str, str]
    n_years: int
    quarter: int
    groups: tuple[tuple[str, tuple[TableRow, ...]], ...]  # (section title, rows)
    percent_sign: bool  # text percents typed "91,5%" rather than "91,5"

    def option(self, dim: str) -> str:
        return dict(self.options)[dim]

    @property
    def rows(self) -> list[TableRow]:
        return [row for _, rows in self.groups for row in rows]

    @property
    def is_block(self) -> bool:
        return self.option("value_header") in BLOCK_HEADERS

    @property
    def term(self) -> tuple[int, int]:
        """An end-of-term summary's year block is the previous term's; else 2020-2025."""
        return (2015, 2020) if self.is_block else (2020, 2025)

    @property
    def years(self) -> list[int]:
        """The years of the year columns (none for one value column)."""
        if self.option("value_header") == "single":
            return []
        start, end = self.term
        count = end - start if self.is_block else self.n_years
        return list(range(start + 1, start + 1 + count))

    def describe(self, every_option: bool = True) -> str:
        """The table in a few lines, for a failure message; without ``every_option``, only
        the options that are not their dimension's plainest (first) value."""
        lines = [
            f"  {dim} = {value}"
            for dim, value in self.options
            if every_option or value != DIMENSIONS[dim][0]
        ]
        lines.append(f"  ward = {self.ward}, years = {self.years}, quarter = {self.quarter}")
        for section, rows in self.groups:
            lines.append(f"  section {section!r}:")
            lines += [f"    {row}" for row in rows]
        return "\n".join(lines)


# ------------------------------------------------------------------ drawing content

T = TypeVar("T")


class Chooser(Protocol):
    """Where a table's content comes from: hypothesis draws, or a seeded random source."""

    def choice(self, options: Sequence[T], label: str) -> T: ...

    def integer(self, low: int, high: int, label: str) -> int: ...


class RandomChooser:
    """Content from a seeded random source (the pairwise set)."""

    def __init__(self, seed: str) -> None:
        self._rng = random.Random(seed)

    def choice(self, options: Sequence[T], label: str) -> T:
        return self._rng.choice(list(options))

    def integer(self, low: int, high: int, label: str) -> int:
        return self._rng.randint(low, high)


class DrawChooser:
    """Content drawn by hypothesis (shrinks to the first option, the lowest integer)."""

    def __init__(self, draw: Callable) -> None:
        self._draw = draw

    def choice(self, options: Sequence[T], label: str) -> T:
        return self._draw(st.sampled_from(list(options)), label=label)

    def integer(self, low: int, high: int, label: str) -> int:
        return self._draw(st.integers(low, high), label=label)


class PlainChooser:
    """The plainest content (first option, lowest integer), with some choices preset by
    label: the content a draw shrinks to."""

    def __init__(self, preset: dict[str, object]) -> None:
        self._preset = preset

    def choice(self, options: Sequence[T], label: str) -> T:
        preset = self._preset.get(label)
        return next((option for option in options if _names(option, preset)), options[0])

    def integer(self, low: int, high: int, label: str) -> int:
        return int(self._preset.get(label, low))  # type: ignore[arg-type]


def _names(option: object, preset: object) -> bool:
    """Whether a preset (an indicator code, a text) names this option."""
    return preset is not None and (
        option == preset or getattr(option, "indicator_code", None) == preset
    )


WARDS = (
    PHO_HOA,
    NGUYEN_NGHIEM,
    PHO_AN,
    PHO_PHONG,
    PHO_THUAN,
    PHO_VAN,
    PHO_QUANG,
    PHO_NHON,
    PHO_NINH,
    PHO_MINH,
    PHO_VINH,
    PHO_CUONG,
)
SECTION_TITLES = (
    "XÂY DỰNG ĐẢNG",
    "VĂN HÓA - XÃ HỘI",
    "KINH TẾ",
    "QUỐC PHÒNG - AN NINH",
    "CÔNG TÁC DÂN VẬN",
)
NOTES = ("Số liệu ước tính", "Theo chuẩn nghèo đa chiều", "Đã rà soát")
ASSESSMENTS = ("Đạt", "Vượt", "Chưa đạt", "Khả năng đạt")


@cache
def indicator_catalog() -> Catalog:
    """The indicator catalog tables are drawn from (read once)."""
    return load_catalog()


def labels_of(indicator: Indicator) -> list[str]:
    """The indicator's name and the aliases that match back to it alone."""
    catalog = indicator_catalog()
    return [
        label
        for label in (indicator.name_vi, *indicator.aliases_vi)
        if catalog.match(None, label) is indicator
    ]


def _targets(indicator: Indicator) -> tuple[TargetForm, ...]:
    if indicator.value_type == "percent":
        return (
            TargetForm("≥ 95%", (95.0, None, "at_least", False), 95.0),
            TargetForm("dưới 3%", (None, 3.0, "at_most", False), 3.0),
            TargetForm("10-12%", (10.0, 12.0, "range", False), None),
        )
    if indicator.value_type == "money_vnd":
        return (TargetForm("trên 1 tỷ đồng", (1e9, None, "at_least", False), 1e9),)
    return (
        TargetForm("≥ 30", (30.0, None, "at_least", False), 30.0),
        TargetForm("8-10 đảng viên/năm", (8.0, 10.0, "range", True), None),
    )


def _value(indicator: Indicator, choose: Chooser) -> object:
    """A value cell: mostly a number in the indicator's range, sometimes blank."""
    blank = choose.integer(0, 9, "blank")
    if blank == 9:
        return choose.choice([None, "-"], "blank form")
    if indicator.value_type == "percent":
        return choose.integer(0, 1000, "percent (tenths)") / 10
    if indicator.value_type == "money_vnd":
        return choose.integer(0, 5_000_000, "money (thousands)") * 1000
    return choose.integer(0, 20_000, "count")


def _row(indicator: Indicator, options: dict[str, str], n_columns: int, choose: Chooser):
    labels = [
        label
        for label in labels_of(indicator)
        if survives(label, options["container"], options["encoding"])
    ]
    label = labels[0] if options["name_form"] == "name" or len(labels) == 1 else None
    if label is None:
        label = choose.choice(labels[1:], "alias")
    target = None
    if options["target"] != NONE:
        target = choose.choice([None, *_targets(indicator)], "target")
    return TableRow(
        code=indicator.indicator_code,
        label=label,
        values=tuple(_value(indicator, choose) for _ in range(n_columns)),
        target=target,
        note=choose.choice([None, *NOTES], "note") if options["note"] != NONE else None,
        assessment=(
            choose.choice([None, *ASSESSMENTS], "assessment")
            if options["assessment"] != NONE
            else None
        ),
        footnote=False,
    )


def _pool(options: dict[str, str], known_failing: Sequence[KnownFailure]) -> list[Indicator]:
    """The indicators the table's container can hold (unit and a label), and that fail in
    no known way in this combination."""
    container, encoding = options["container"], options["encoding"]
    failing = {
        code
        for known in known_failing
        if known.forbidden.matches(options)
        for code in known.indicators
    }
    return [
        indicator
        for indicator in indicator_catalog()
        if indicator.unit
        and indicator.indicator_code not in failing
        and survives(indicator.unit, container, encoding)
        and any(survives(label, container, encoding) for label in labels_of(indicator))
    ]


def build_table(
    options: dict[str, str],
    choose: Chooser,
    known_failing: Sequence[KnownFailure] = KNOWN_FAILING,
) -> Table:
    """A table of these options, its content taken from ``choose``."""
    options = {dim: options[dim] for dim in DIMENSIONS}
    n_years = 0 if options["value_header"] == "single" else choose.integer(1, 4, "years")
    n_columns = max(n_years, 1) + (options["midterm"] != NONE)
    if options["value_header"] in BLOCK_HEADERS:
        n_columns = 5 + (options["midterm"] != NONE)
    pool = _pool(options, known_failing)
    n_groups = choose.integer(1, 3, "sections") if options["sections"] != NONE else 1
    groups = []
    first = True
    for group in range(n_groups):
        rows = []
        for _ in range(choose.integer(1, 3, "rows in a section")):
            indicator = choose.choice(pool, "indicator")
            pool = [other for other in pool if other is not indicator]
            row = _row(indicator, options, n_columns, choose)
            # The first row always carries the marker, so that the option is exercised.
            marked = options["footnote"] != NONE and (first or choose.integer(0, 1, "marker"))
            rows.append(replace(row, footnote=bool(marked)))
            first = False
            if not pool:
                break
        groups.append((SECTION_TITLES[group], tuple(rows)))
        if not pool:
            break
    wards = [ward for ward in WARDS if survives(ward[1], options["container"], options["encoding"])]
    return Table(
        options=tuple(options.items()),
        ward=choose.choice(wards, "ward"),
        n_years=n_years,
        quarter=choose.integer(1, 4, "quarter"),
        groups=tuple(groups),
        percent_sign=bool(choose.integer(0, 1, "percent sign")),
    )


# ------------------------------------------------------------------ tables


def first_allowed(overrides: dict[str, str], forbidden: Sequence[Forbidden]) -> dict[str, str]:
    """The plainest options with ``overrides``: each other dimension's first allowed value."""
    rules = Rules(DIMENSIONS, list(forbidden))
    options = dict(overrides)
    for dim in DIMENSIONS:
        if dim not in overrides:
            options[dim] = rules.choices(options, dim)[0]
    return {dim: options[dim] for dim in DIMENSIONS}


@cache
def _rules(known_failing: tuple[KnownFailure, ...]) -> Rules:
    return Rules(DIMENSIONS, constraints(known_failing))


@st.composite
def tables(draw, known_failing: Sequence[KnownFailure] = KNOWN_FAILING) -> Table:
    """A hypothesis strategy: options drawn dimension by dimension among those allowed
    with the ones drawn before, then the content."""
    rules = _rules(tuple(known_failing))
    options: dict[str, str] = {}
    for dim in DIMENSIONS:
        options[dim] = draw(st.sampled_from(rules.choices(options, dim)), label=dim)
    return build_table(options, DrawChooser(draw), known_failing)


@cache
def pairwise_options(
    known_failing: tuple[KnownFailure, ...] = KNOWN_FAILING,
) -> list[dict[str, str]]:
    """The deterministic pairwise covering set of the options (no known failure in it)."""
    return covering_rows(DIMENSIONS, constraints(known_failing))


def pairwise_tables(known_failing: tuple[KnownFailure, ...] = KNOWN_FAILING) -> list[Table]:
    """One table per row of the covering set, its content from a seed of the row's number."""
    return [
        build_table(options, RandomChooser(f"pairwise-{number}"), known_failing)
        for number, options in enumerate(pairwise_options(known_failing))
    ]


def known_failing_example(known: KnownFailure) -> Table:
    """The minimal table of a known failure: its options, the plainest others, one row of
    its indicator with a value the failure shows on (91,5 for a percent)."""
    options = first_allowed(dict(known.example), constraints(()))
    preset = {"indicator": known.indicator, "percent (tenths)": 915, "count": 37, "note": NOTES[0]}
    return build_table(options, PlainChooser(preset), ())


__all__ = [
    "PlainChooser",
    "Table",
    "TableRow",
    "build_table",
    "first_allowed",
    "indicator_catalog",
    "known_failing_example",
    "pairwise_options",
    "pairwise_tables",
    "tables",
]
