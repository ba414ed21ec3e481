"""Hand-labelled truth for the prose of narrative reports, and the score of a reading against it.

Each report under ``tests/truth/narrative/`` is a ``<name>.txt`` (the report in the seed's
text layout) with its ``<name>.csv`` (one row per figure that states a catalog indicator;
the format and the labelling rules are in that folder's README.md). The real seed report
stays in ``../shared/seed/`` and is named here, :data:`SEED_TRUTH`.

:func:`score` sets the candidates of :func:`flows.reading.prose.extract_candidates` against
the rows: recall over the ``yes`` rows, precision over the candidates, a ``low`` row
(acceptable only with confidence < 0.5) neither counted nor held against the reading when
it comes low. Shared by ``tests/test_prose.py`` and ``bench/bench_narrative.py``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flows.reading.rows import Candidate
from tests.generators.report_text import SEED_REPORT

TRUTH_DIR = Path(__file__).resolve().parent / "truth" / "narrative"
SEED_TRUTH_NAME = "pho_hoa_2023_mid"
# Reports whose text is not beside their truth: the seed is the ward's real report.
SEED_TRUTH = {SEED_TRUTH_NAME: SEED_REPORT}
LOW_CONFIDENCE = 0.5
EXPECT_VALUES = ("yes", "low")
_PERIOD_COMMENT = re.compile(r"^#\s*report_period_code\s*:\s*(\S*)\s*$")


@dataclass(frozen=True)
class TruthRow:
    """One labelled figure; ``period_code`` '' is the report's own period."""

    indicator_code: str
    value: float
    period_code: str
    qualifier: str
    denominator: float | None
    reported_achievement_pct: float | None
    expect: str
    figure_text: str
    note: str
    line: int


@dataclass(frozen=True)
class TruthReport:
    """A report's text, its truth, and the report's own period (from the truth's comment)."""

    name: str
    text_path: Path
    truth_path: Path
    report_period_code: str | None


@dataclass
class Score:
    """How a reading of one report compares with its truth."""

    recall: float
    precision: float
    true_positives: list[tuple[Candidate, TruthRow]]
    false_positives: list[Candidate]
    missed: list[TruthRow]
    ignored_low: list[Candidate] = field(default_factory=list)
    field_mismatches: list[str] = field(default_factory=list)


def _optional_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _data_lines(path: Path) -> list[str]:
    return [
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]


def read_report_period(path: Path | str) -> str | None:
    """The ``# report_period_code: ...`` comment a truth file may start with, or None."""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            return None
        match = _PERIOD_COMMENT.match(line)
        if match:
            return match.group(1) or None
    return None


def read_truth(path: Path | str) -> list[TruthRow]:
    """The rows of a truth CSV (comment lines starting with ``#`` left out)."""
    path = Path(path)
    rows = []
    reader = csv.DictReader(io.StringIO("\n".join(_data_lines(path))))
    for line, row in enumerate(reader, start=2):
        expect = row["expect"].strip()
        if expect not in EXPECT_VALUES:
            raise ValueError(f"{path.name} row {line}: expect must be yes or low, not {expect!r}")
        rows.append(
            TruthRow(
                indicator_code=row["indicator_code"].strip(),
                value=float(row["value"]),
                period_code=row["period_code"].strip(),
                qualifier=row["qualifier"].strip(),
                denominator=_optional_float(row["denominator"]),
                reported_achievement_pct=_optional_float(row["reported_achievement_pct"]),
                expect=expect,
                figure_text=row.get("figure_text", "").strip(),
                note=row.get("note", "").strip(),
                line=line,
            )
        )
    return rows


def truth_reports(folder: Path = TRUTH_DIR) -> list[TruthReport]:
    """Every report with a truth in ``folder``: ``<name>.txt`` + ``<name>.csv``, and the seed."""
    reports = []
    for truth_path in sorted(folder.glob("*.csv")):
        name = truth_path.stem
        text_path = SEED_TRUTH.get(name, truth_path.with_suffix(".txt"))
        if not text_path.exists():
            continue  # a side file (e.g. a table's values), or a report not written yet
        reports.append(TruthReport(name, text_path, truth_path, read_report_period(truth_path)))
    return reports


def _period_key(period: str | None, report_period_code: str | None) -> str:
    return "" if not period or period == report_period_code else period


def _same_value(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _matches(candidate: Candidate, row: TruthRow, report_period_code: str | None) -> bool:
    return (
        candidate.indicator_code == row.indicator_code
        and _period_key(candidate.period_code, report_period_code)
        == _period_key(row.period_code, report_period_code)
        and _same_value(candidate.value, row.value)
    )


def _field_mismatch(candidate: Candidate, row: TruthRow) -> str | None:
    """What a matched candidate reads differently from its row (qualifier, whole, achievement)."""
    wrong = []
    if candidate.qualifier != row.qualifier:
        wrong.append(f"qualifier {candidate.qualifier!r} ≠ {row.qualifier!r}")
    for name in ("denominator", "reported_achievement_pct"):
        got, want = getattr(candidate, name), getattr(row, name)
        if (got is None) != (want is None) or (got is not None and not _same_value(got, want)):
            wrong.append(f"{name} {got} ≠ {want}")
    if not wrong:
        return None
    return f"{row.indicator_code} {row.value:g} ({candidate.figure_text}): " + ", ".join(wrong)


def score(
    candidates: Sequence[Candidate], truth: Sequence[TruthRow], report_period_code: str | None
) -> Score:
    """Recall and precision of ``candidates`` against ``truth``.

    A candidate matches a row when indicator, period (None ≡ '' ≡ the report's period) and
    value (relative tolerance 1e-9) agree. Matching a ``yes`` row not yet matched: a true
    positive. Matching a ``low`` row with confidence < 0.5: ignored. Anything else (no row,
    a ``low`` row found sure, a second match of a row): a false positive.
    Precision = true positives / (candidates - ignored); recall = ``yes`` rows found / ``yes`` rows.
    """
    yes_rows = [row for row in truth if row.expect == "yes"]
    low_rows = [row for row in truth if row.expect == "low"]
    found: set[int] = set()
    result = Score(recall=0.0, precision=0.0, true_positives=[], false_positives=[], missed=[])
    for candidate in candidates:
        yes = next(
            (
                (index, row)
                for index, row in enumerate(yes_rows)
                if index not in found and _matches(candidate, row, report_period_code)
            ),
            None,
        )
        if yes is not None:
            found.add(yes[0])
            result.true_positives.append((candidate, yes[1]))
            mismatch = _field_mismatch(candidate, yes[1])
            if mismatch:
                result.field_mismatches.append(mismatch)
            continue
        low = any(_matches(candidate, row, report_period_code) for row in low_rows)
        if low and candidate.confidence < LOW_CONFIDENCE:
            result.ignored_low.append(candidate)
        else:
            result.false_positives.append(candidate)
    result.missed = [row for index, row in enumerate(yes_rows) if index not in found]
    result.recall = len(found) / len(yes_rows) if yes_rows else 1.0
    counted = len(candidates) - len(result.ignored_low)
    result.precision = len(result.true_positives) / counted if counted else 1.0
    return result


def describe(result: Score) -> str:
    """The misses, false positives and misread fields of a score, one per line."""
    lines = [f"recall {result.recall:.3f}, precision {result.precision:.3f}"]
    lines += [
        f"  missed: {row.indicator_code} {row.value:g} period={row.period_code or '-'} "
        f"({row.figure_text}) line {row.line}"
        for row in result.missed
    ]
    lines += [
        f"  false positive: {c.indicator_code} {c.value:g} period={c.period_code or '-'} "
        f"conf={c.confidence:.2f} ({c.figure_text}) at {c.location}"
        for c in result.false_positives
    ]
    lines += [f"  misread: {text}" for text in result.field_mismatches]
    return "\n".join(lines)
