"""The Great Expectations gate every submission passes before it is staged.

Four suites, generated from the indicator catalog and the rules file, versioned in
``quality/expectations/*.json`` (``python -m flows.quality.validate --write-suites`` rewrites
them; a test fails when the code or the catalog changes them unreviewed):

- ``submission_identity``: one row per submission; a failure rejects the whole
  submission, since its values cannot be attributed (unit, period).
- ``observation_values``: one row per value of the night; catalog range, whole
  numbers for counts, known indicator, period and qualifier. A failure rejects that
  value only, naming its cell.
- ``validation_rules``: one row per submission × period with a column per rule of
  ``dbt_project/seeds/validation_rules.csv`` (numerator ≤ denominator, a rate
  agrees with its parts, parts add up to their total…). An ``error`` rule rejects
  the value(s) on its left side; a ``warning`` rule loads them marked ``warning``.
- ``value_outliers``: one row per value; its modified z-score against the unit's own
  history and against its peers (same district, same period). Warnings only.

The whole night is validated at once, suite by suite, with the cheap ``SUMMARY``
result format; only expectations that failed are run again with ``COMPLETE`` to learn
which rows failed (``COMPLETE`` on every expectation costs ~30x on large frames).

Cheaper than parsing (``bench/bench_validate.py``): the night's values become one frame,
built once; the catalog ranges are one pair of vectorised expectations over per-row
bounds, not 35 row-conditioned ones; the GE context and suites are built once per
process and shared by every gate; Data Docs templates are compiled once per machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from flows.domain.catalog import Catalog, load_catalog
from flows.domain.textnorm import fold
from flows.quality import rules as rulebook
from flows.reading.submission import Issue, Submission
from flows.settings import EXPECTATIONS_DIR, quiet_third_party_defaults

SUITE_VERSION = "2025.2"
PERIOD_CODE_PATTERN = r"^(?:\d{4}(?:-Q[1-4]|-H[12])?|\d{4}-\d{4}(?:-MID)?)$"
QUALIFIERS = ["=", ">", "<", "~"]
WHOLE_NUMBER_TYPES = ["count", "boolean"]
PERCENT_DEFAULT_RANGE = (0.0, 100.0)  # percents unless the catalog says otherwise
SUITE_NAMES = ("submission_identity", "observation_values", "validation_rules", "value_outliers")

logger = logging.getLogger(__name__)


def _gx():
    quiet_third_party_defaults()
    import great_expectations as gx

    return gx


def _expectations():
    import great_expectations.expectations as gxe

    return gxe


def _column():
    from great_expectations.expectations.row_conditions import Column

    return Column


# ------------------------------------------------------------------ suites


def build_identity_suite():
    """Expectations on a submission's identity: known unit, valid period."""
    gx, gxe = _gx(), _expectations()
    suite = gx.ExpectationSuite(name="submission_identity", meta={"version": SUITE_VERSION})
    suite.add_expectation(
        gxe.ExpectColumnValuesToNotBeNull(column="unit_key", meta={"rule": "unit_known"})
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToNotBeNull(column="period_code", meta={"rule": "period_known"})
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToMatchRegex(
            column="period_code", regex=PERIOD_CODE_PATTERN, meta={"rule": "period_valid"}
        )
    )
    return suite


def _range_of(indicator) -> tuple[float | None, float | None]:
    """The catalog's bounds; a percent without bounds in the catalog is 0–100."""
    low, high = _finite(indicator.min_value), _finite(indicator.max_value)
    if indicator.value_type == "percent":
        low = PERCENT_DEFAULT_RANGE[0] if low is None else low
        high = PERCENT_DEFAULT_RANGE[1] if high is None else high
    return low, high


def catalog_ranges(catalog: Catalog) -> dict[str, tuple[float | None, float | None]]:
    """``{indicator code: (min, max)}`` of every indicator with at least one bound."""
    ranges = {}
    for indicator in sorted(catalog, key=lambda i: i.indicator_code):
        low, high = _range_of(indicator)
        if low is not None or high is not None:
            ranges[indicator.indicator_code] = (low, high)
    return ranges


# The range rule is one pair of expectations over the whole night, not one expectation per
# indicator with a row condition: GE filters the frame once per metric of a conditioned
# expectation, so 35 conditioned ranges cost ~70 % of the gate on 350,000 values. Each
# value row carries its indicator's bounds (``min_allowed``, ``max_allowed``: the table in
# the suite's meta), and a missing bound is not checked (``either_value_is_missing``).
RANGE_DESCRIPTIONS = {
    "min": (
        "Giá trị không nhỏ hơn mức tối thiểu của chỉ tiêu trong danh mục (cột min_allowed, "
        "bảng ranges của bộ kiểm tra) / A value is at least its indicator's catalog minimum "
        "(column min_allowed, the suite's ranges table)"
    ),
    "max": (
        "Giá trị không lớn hơn mức tối đa của chỉ tiêu trong danh mục (cột max_allowed, "
        "bảng ranges của bộ kiểm tra) / A value is at most its indicator's catalog maximum "
        "(column max_allowed, the suite's ranges table)"
    ),
}


def _ranges_note(ranges: dict[str, tuple[float | None, float | None]]) -> str:
    """The ranges table as Markdown, shown on the suite's Data Docs page."""
    lines = [
        "Khoảng cho phép theo danh mục chỉ tiêu (min_allowed, max_allowed) / "
        "Allowed ranges from the indicator catalog (min_allowed, max_allowed)",
        "",
        "| chỉ tiêu / indicator | min | max |",
        "|---|---:|---:|",
    ]
    lines += [f"| {code} | {_fmt(low)} | {_fmt(high)} |" for code, (low, high) in ranges.items()]
    return "\n".join(lines)


def build_value_suite(catalog: Catalog):
    """Expectations on values: known code, period and qualifier, whole numbers for counts,
    and the catalog's range of each indicator (one table, two vectorised expectations)."""
    gx, gxe, column = _gx(), _expectations(), _column()
    ranges = catalog_ranges(catalog)
    suite = gx.ExpectationSuite(
        name="observation_values",
        meta={
            "version": SUITE_VERSION,
            "ranges": {code: {"min": low, "max": high} for code, (low, high) in ranges.items()},
        },
        notes=_ranges_note(ranges),
    )
    codes = sorted(indicator.indicator_code for indicator in catalog)
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeInSet(
            column="indicator_code", value_set=codes, meta={"rule": "indicator_known"}
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToMatchRegex(
            column="period_code", regex=PERIOD_CODE_PATTERN, meta={"rule": "period_valid"}
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeInSet(
            column="qualifier", value_set=QUALIFIERS, meta={"rule": "qualifier_known"}
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="fractional_part",
            min_value=0,
            max_value=0,
            row_condition=column("value_type").is_in(WHOLE_NUMBER_TYPES),
            meta={"rule": "whole_number"},
        )
    )
    for bound, (column_a, column_b) in (
        ("min", ("value", "min_allowed")),
        ("max", ("max_allowed", "value")),
    ):
        suite.add_expectation(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=column_a,
                column_B=column_b,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                description=RANGE_DESCRIPTIONS[bound],
                meta={"rule": "in_range", "bound": bound},
            )
        )
    return suite


def build_rules_suite(rules: Iterable[rulebook.ValidationRule]):
    """One expectation per cross-value rule, on its computed ``check_<rule_id>`` column.

    The column holds left − right (or its relative form, in percent), NaN where an
    operand is missing; GE skips nulls, so a rule is only checked where it applies.
    """
    gx, gxe = _gx(), _expectations()
    suite = gx.ExpectationSuite(name="validation_rules", meta={"version": SUITE_VERSION})
    for rule in rules:
        low, high = rule.bounds
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeBetween(
                column=rule.column,
                min_value=low,
                max_value=high,
                severity="critical" if rule.severity == "error" else "warning",
                meta={
                    "rule": rule.rule_id,
                    "severity": rule.severity,
                    "expression": rule.describe(),
                    "description_vi": rule.description_vi,
                    "description_en": rule.description_en,
                },
            )
        )
    return suite


def build_outlier_suite():
    """Modified z-scores within ±3.5, against the unit's history and against its peers."""
    gx, gxe = _gx(), _expectations()
    suite = gx.ExpectationSuite(
        name="value_outliers",
        meta={
            "version": SUITE_VERSION,
            "method": "modified z-score 0.6745*(x-median)/MAD; MAD=0: (x-median)/(1.253314*meanAD)",
            "min_history": rulebook.MIN_HISTORY,
            "history_window": rulebook.HISTORY_WINDOW,
            "min_peers": rulebook.MIN_PEERS,
        },
    )
    for rule, column in (("outlier_history", "history_z"), ("outlier_peers", "peer_z")):
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=-rulebook.OUTLIER_Z,
                max_value=rulebook.OUTLIER_Z,
                severity="warning",
                meta={"rule": rule, "severity": "warning"},
            )
        )
    return suite


def build_suites(catalog: Catalog, rules: list[rulebook.ValidationRule]) -> dict:
    """Every suite of the gate by name (a GE context must be active)."""
    return {
        "submission_identity": build_identity_suite(),
        "observation_values": build_value_suite(catalog),
        "validation_rules": build_rules_suite(rules),
        "value_outliers": build_outlier_suite(),
    }


def _without_ids(node):
    """A suite's JSON without the random ids GE gives suites and expectations."""
    if isinstance(node, dict):
        return {k: _without_ids(v) for k, v in node.items() if k not in ("id", "notes")}
    if isinstance(node, list):
        return [_without_ids(v) for v in node]
    return node


def suite_json(suite) -> str:
    """The suite as stable, reviewable JSON (sorted keys, no ids, UTF-8 text)."""
    data = _without_ids(suite.to_json_dict())
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def generated_suite_files(
    catalog: Catalog | None = None, rules: list[rulebook.ValidationRule] | None = None
) -> dict[str, str]:
    """``{file name: JSON text}`` of the suites the code generates today."""
    gx = _gx()
    gx.get_context(mode="ephemeral")  # suites need an active context to be built
    suites = build_suites(catalog or load_catalog(), rules or rulebook.read_rules())
    return {f"{name}.json": suite_json(suite) for name, suite in suites.items()}


def write_suites(directory: Path = EXPECTATIONS_DIR) -> list[Path]:
    """Rewrite the versioned suite files in ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generated_suite_files().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# ------------------------------------------------------------------ messages


def _finite(number: float | None) -> float | None:
    return None if number is None or math.isnan(number) else float(number)


def _number(value: float | None, lang: str) -> str:
    """``1.117.213.000`` / ``91,59`` in Vietnamese, ``1,117,213,000`` / ``91.59`` in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "…"
    text = f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.2f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _message(meta: dict, row: pd.Series) -> tuple[str, str]:
    """Bilingual explanation of one failed value, naming the cell."""
    cell = f"ô {row.source_cell}"
    cell_en = f"cell {row.source_cell}"
    shown = row.original_text if isinstance(row.original_text, str) else row.value
    rule = meta.get("rule")
    if rule == "in_range":
        bounds = f"{_fmt(meta.get('min'))}–{_fmt(meta.get('max'))}"
        return (
            f"{cell}: giá trị '{shown}' của chỉ tiêu {row.indicator_code} nằm ngoài khoảng "
            f"cho phép {bounds}.",
            f"{cell_en}: value '{shown}' of {row.indicator_code} is outside the allowed "
            f"range {bounds}.",
        )
    if rule == "whole_number":
        return (
            f"{cell}: chỉ tiêu {row.indicator_code} phải là số nguyên, nhận được '{shown}'.",
            f"{cell_en}: {row.indicator_code} must be a whole number, got '{shown}'.",
        )
    return (
        f"{cell}: giá trị '{shown}' không hợp lệ (quy tắc {rule}).",
        f"{cell_en}: value '{shown}' is not valid (rule {rule}).",
    )


def _fmt(bound: float | None) -> str:
    if bound is None:
        return "…"
    return f"{bound:g}"


def _cells(cells: list[str]) -> str:
    return ", ".join(cell for cell in cells if cell) or "—"


def _rule_message(
    rule: rulebook.ValidationRule,
    left: float,
    right: float,
    left_cells: list[str],
    right_cells: list[str],
) -> tuple[str, str]:
    """Both sides of a failed rule, with their values and cells, Vietnamese first."""
    lc, rc = _cells(left_cells), _cells(right_cells)
    left_text, right_text, rule_text = (
        rule.left.display(),
        rule.right.display(),
        rule.describe(for_message=True),
    )
    return (
        f"ô {lc}: {rule.description_vi}; nhận được {left_text} = {_number(left, 'vi')} "
        f"(ô {lc}) và {right_text} = {_number(right, 'vi')} (ô {rc}) "
        f"[quy tắc {rule.rule_id}: {rule_text}].",
        f"cell {lc}: {rule.description_en}; got {left_text} = {_number(left, 'en')} "
        f"(cell {lc}) and {right_text} = {_number(right, 'en')} (cell {rc}) "
        f"[rule {rule.rule_id}: {rule_text}].",
    )


def _outlier_message(rule: str, row) -> tuple[str, str]:
    """Why a value looks unusual, with the range expected from its reference values."""
    prefix = "history" if rule == "outlier_history" else "peer"
    median, n = getattr(row, f"{prefix}_median"), int(getattr(row, f"{prefix}_n"))
    low, high = getattr(row, f"{prefix}_low"), getattr(row, f"{prefix}_high")
    vi_range = f"{_number(low, 'vi')} – {_number(high, 'vi')}"
    en_range = f"{_number(low, 'en')} – {_number(high, 'en')}"
    if prefix == "history":
        against_vi = f"các kỳ trước của chính đơn vị (trung vị {_number(median, 'vi')}, {n} kỳ)"
        against_en = f"the unit's own earlier periods (median {_number(median, 'en')}, {n} periods)"
    else:
        against_vi = (
            f"các đơn vị cùng huyện/tỉnh trong kỳ {row.period_code} "
            f"(trung vị {_number(median, 'vi')}, {n} đơn vị)"
        )
        against_en = (
            f"units of the same district/province in {row.period_code} "
            f"(median {_number(median, 'en')}, {n} units)"
        )
    return (
        f"ô {row.source_cell}: giá trị {_number(row.value, 'vi')} của chỉ tiêu "
        f"{row.indicator_code} khác thường so với {against_vi}; khoảng dự kiến {vi_range}. "
        "Đề nghị kiểm tra lại.",
        f"cell {row.source_cell}: value {_number(row.value, 'en')} of {row.indicator_code} is "
        f"unusual against {against_en}; expected range {en_range}. Please check it.",
    )


# ------------------------------------------------------------------ history


HISTORY_COLUMNS = [
    "unit_key",
    "indicator_code",
    "period_code",
    "value",
    "is_estimate",
    "report_date",
    "received_at",
    "submission_id",
]


def published_values(
    warehouse: Path | None, unit_keys: Collection[str] | None = None
) -> pd.DataFrame:
    """Current values of the published warehouse (read-only), or an empty frame.

    Read before the build starts, so the night is compared with what analysts see.
    ``unit_keys`` limits the read to those units (:meth:`QualityGate.units_compared_with`
    gives the ones a night's outlier checks can look at); None reads every unit.
    """
    empty = pd.DataFrame(columns=HISTORY_COLUMNS)
    if warehouse is None or not Path(warehouse).exists():
        return empty
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:  # a locked or damaged file: judge the night alone
        logger.warning("published warehouse not readable for history: %s", error)
        return empty
    query = (
        f"SELECT {', '.join(HISTORY_COLUMNS)} FROM marts.fct_indicator_value "
        "WHERE value IS NOT NULL"
    )
    try:
        if unit_keys is not None:
            wanted = pd.DataFrame({"unit_key": sorted(unit_keys)}, dtype=object)
            con.register("wanted_units", wanted)
            query += " AND unit_key IN (SELECT unit_key FROM wanted_units)"
        return con.execute(query).df()
    except duckdb.CatalogException:
        return empty
    finally:
        con.close()


def _current(values: pd.DataFrame) -> pd.DataFrame:
    """One value per unit × indicator × period, chosen as the warehouse chooses it.

    Same order as ``int_observations__current``: actual before estimate, then the later
    report date, the later arrival, the greater submission id.
    """
    ordered = values.sort_values(
        ["is_estimate", "report_date", "received_at", "submission_id"],
        ascending=[True, False, False, False],
        na_position="last",
        kind="stable",
    )
    return ordered.drop_duplicates(["unit_key", "indicator_code", "period_code"])


# ------------------------------------------------------------------ the gate


@dataclass
class GateReport:
    """What the gate did this run, for the run summary."""

    submissions_checked: int = 0
    submissions_rejected: int = 0
    values_checked: int = 0
    values_rejected: int = 0
    values_warned: int = 0
    issues_by_rule: dict[str, int] = field(default_factory=dict)
    verdict_digest: str = ""
    docs_index: str | None = None
    seconds_by_suite: dict[str, float] = field(default_factory=dict)


_PERIOD_LABELS = {"ky bao cao", "ky", "thoi ky", "nam bao cao"}


def _period_as_written(metadata: dict[str, str]) -> str:
    """The period as the clerk typed it, whatever label spelling the sheet used."""
    for label, value in metadata.items():
        if fold(label).strip(" :") in _PERIOD_LABELS:
            return str(value)
    return ""


# The columns each suite is given: GE copies and filters the frames it validates, so
# it never sees the text columns the messages need.
VALUE_SUITE_COLUMNS = [
    "row_id",
    "indicator_code",
    "period_code",
    "qualifier",
    "value",
    "value_type",
    "fractional_part",
    "min_allowed",
    "max_allowed",
]
DOCS_SITE = "run"


@dataclass
class _Engine:
    """A GE ephemeral context holding the suites, one pandas asset per suite.

    Built once per process for a catalog and a rules file (see :func:`_engine`): the
    context, its data source and the suites cost about a second, the GE import more.
    GE's context is not safe for two validations at once, so ``lock`` serialises them.
    """

    context: object
    batches: dict[str, object]
    suites: dict[str, object]
    lock: threading.RLock = field(default_factory=threading.RLock)


_ENGINES: dict[tuple, _Engine] = {}
_ENGINES_LOCK = threading.Lock()
_MAX_ENGINES = 4  # a test session builds gates for a few catalogs; a night uses one


def _engine_key(catalog: Catalog, rules: list[rulebook.ValidationRule]) -> tuple:
    """What the suites are generated from: indicator codes, ranges and rules."""
    codes = tuple(sorted(indicator.indicator_code for indicator in catalog))
    return codes, tuple(catalog_ranges(catalog).items()), tuple(rules)


def _engine(catalog: Catalog, rules: list[rulebook.ValidationRule]) -> _Engine:
    """This process's engine for ``catalog`` and ``rules``, built on first use."""
    key = _engine_key(catalog, rules)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _new_engine(catalog, rules)
            while len(_ENGINES) >= _MAX_ENGINES:
                _ENGINES.pop(next(iter(_ENGINES)))
            _ENGINES[key] = engine
        return engine


def warm_up(
    catalog: Catalog | None = None, rules: list[rulebook.ValidationRule] | None = None
) -> None:
    """Import GE and build this process's context and suites now, e.g. on a thread while
    the parse workers run (the GE import is most of a small night's validation).

    Thread-safe; the gates built later reuse what it built. Start it only once any
    process pool has forked its workers: a fork during an import can hang the child.
    """
    _engine(catalog or load_catalog(), rules if rules is not None else rulebook.read_rules())


def _new_engine(catalog: Catalog, rules: list[rulebook.ValidationRule]) -> _Engine:
    """A fresh ephemeral context, progress bars off, with the suites and their assets."""
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("submissions")
    batches = {
        name: source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("night")
        for name in SUITE_NAMES
    }
    suites = {
        name: context.suites.add(suite) for name, suite in build_suites(catalog, rules).items()
    }
    return _Engine(context=context, batches=batches, suites=suites)


class QualityGate:
    """chitieu's Great Expectations gate: the suites in a GE context and the checks.

    The context is built once per process and shared by every gate of the same catalog
    and rules (so a gate is cheap to create, per run or per chunk). ``docs_dir``: when
    given, GE Data Docs of this gate's validations are built there (one validation
    result per suite per run).
    """

    def __init__(
        self,
        catalog: Catalog,
        rules: list[rulebook.ValidationRule] | None = None,
        docs_dir: Path | None = None,
    ) -> None:
        self._catalog = catalog
        self.rules = rules if rules is not None else rulebook.read_rules()
        self._value_types = {i.indicator_code: i.value_type for i in catalog}
        self._ranges = catalog_ranges(catalog)
        self._engine = _engine(catalog, self.rules)
        self._context = self._engine.context
        self._batches = self._engine.batches
        self.docs_dir = Path(docs_dir) if docs_dir else None
        if self.docs_dir is not None:
            with self._engine.lock:
                self._start_docs_site()
        self.suites = self._engine.suites
        self.identity_suite = self.suites["submission_identity"]
        self.value_suite = self.suites["observation_values"]
        self.rules_suite = self.suites["validation_rules"]
        self.outlier_suite = self.suites["value_outliers"]
        self._results: dict[str, object] = {}
        self._peer_groups: pd.Series | None = None

    # -------------------------------------------------------------- entry point

    def check(
        self,
        submissions: list[Submission],
        history: pd.DataFrame | None = None,
        run_id: str | None = None,
    ) -> GateReport:
        """Validate identities, values, rules, outliers; record verdicts on the submissions.

        ``history``: current values of the published warehouse (:func:`published_values`)
        for the outlier checks; the night's own values are always part of it.

        The night's values become one frame, built once; each suite sees the rows still
        standing (``kept``), and rejected values leave their submissions at the end.
        """
        report = GateReport()
        self._results = {}
        timer = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal timer
            now = time.perf_counter()
            report.seconds_by_suite[name] = round(now - timer, 3)
            timer = now

        candidates = [s for s in submissions if not s.is_rejected]
        report.submissions_checked = len(candidates)
        self._check_identities(candidates)
        lap("submission_identity")
        accepted = [s for s in candidates if not s.is_rejected]
        report.values_checked = sum(len(s.observations) for s in accepted)
        night = self._night_frame(accepted)
        kept = np.ones(len(night), dtype=bool)
        rejected = self._check_values(accepted, night, kept)
        lap("observation_values")
        rejected += self._check_rules(accepted, night, kept)
        lap("validation_rules")
        self._check_outliers(accepted, night, kept, history)
        _drop_rows(accepted, night, kept)
        lap("value_outliers")
        report.values_rejected = rejected
        for submission in accepted:
            if not submission.observations and not submission.is_rejected:
                submission.reject(
                    Issue(
                        "error",
                        "no_values",
                        "Trang tính có bảng chỉ tiêu nhưng không có giá trị nào đọc được.",
                        "The sheet has an indicator table but no readable value.",
                    )
                )
        report.submissions_rejected = sum(s.is_rejected for s in candidates)
        report.values_warned = sum(len(warned_cells(s)) for s in accepted if not s.is_rejected)
        report.issues_by_rule = issues_by_rule(submissions)
        report.verdict_digest = verdict_digest(submissions)
        if self.docs_dir is not None:
            report.docs_index = self.render_docs({"night": self._results}, run_id or "run")
            lap("data_docs")
        return report

    # -------------------------------------------------------------- GE plumbing

    def _failures(self, name: str, frame: pd.DataFrame) -> list[tuple[dict, list[int]]]:
        """(meta, failing row_ids) for each expectation of suite ``name`` that failed.

        The whole suite runs once with the cheap ``SUMMARY`` format; only an expectation
        that failed runs again with ``COMPLETE`` to learn its failing ``row_id``s.
        """
        if frame.empty:
            return []
        with self._engine.lock:
            suite = self.suites[name]
            batch = self._batches[name].get_batch(batch_parameters={"dataframe": frame})
            summary = batch.validate(suite, result_format="SUMMARY")
            self._results[name] = summary
            failures = []
            for result in summary.results:
                if result.success:
                    continue
                if result.exception_info and result.exception_info.get("raised_exception"):
                    raise RuntimeError(
                        f"Expectation {result.expectation_config.type} could not run: "
                        f"{result.exception_info.get('exception_message')}"
                    )
                detail = batch.validate(
                    result.expectation_config.to_domain_obj(),
                    result_format={
                        "result_format": "COMPLETE",
                        "unexpected_index_column_names": ["row_id"],
                    },
                )
                rows = sorted(
                    int(item["row_id"]) for item in detail.result.get("unexpected_index_list") or []
                )
                failures.append((result.expectation_config.meta or {}, rows))
        return failures

    def _start_docs_site(self) -> None:
        """Point the context's Data Docs site at this gate's folder, with no results yet.

        The context is shared by the gates of this process: the site is re-pointed and the
        (in-memory) results store emptied, so a site shows one run's results only.
        """
        page_view = {"module_name": __name__, "class_name": "CachedJinjaPageView"}
        site = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(self.docs_dir),
            },
            "site_index_builder": {
                "class_name": "DefaultSiteIndexBuilder",
                "view": {"module_name": __name__, "class_name": "CachedJinjaIndexPageView"},
            },
            "site_section_builders": {
                section: {"view": page_view}
                for section in ("expectations", "validations", "profiling")
            },
        }
        if DOCS_SITE in self._context.get_site_names():
            self._context.update_data_docs_site(DOCS_SITE, site)
        else:
            self._context.add_data_docs_site(DOCS_SITE, site)
        store = self._context.validation_results_store
        for key in store.list_keys():
            store.remove_key(key)

    def render_docs(
        self, results_by_batch: dict[str, dict[str, object]], run_id: str
    ) -> str | None:
        """Render validation results as this gate's Data Docs site; the index page's path.

        ``results_by_batch``: ``{batch name: {suite name: validation result}}``, e.g.
        ``{"night": …}`` for one machine, ``{"part-000": …, …}`` for parts validated
        elsewhere.
        """
        if self.docs_dir is None:
            raise ValueError("this gate has no docs_dir")
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        # Given, not left to GE: without a run_time, GE parses the run name as a date, and
        # a run id such as 20261129T044001-9449ad reads as an offset beyond 24 h and fails.
        run = RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))
        with self._engine.lock:
            self._start_docs_site()
            store = self._context.validation_results_store
            for batch_name, results in results_by_batch.items():
                for name, result in results.items():
                    key = ValidationResultIdentifier(
                        expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
                        run_id=run,
                        batch_identifier=batch_name,
                    )
                    store.set(key, result)
            self._context.build_data_docs(site_names=[DOCS_SITE])
        index = self.docs_dir / "index.html"
        return str(index) if index.exists() else None

    @property
    def last_results(self) -> dict[str, object]:
        """The GE validation results of the last :meth:`check`, by suite name."""
        return dict(self._results)

    def _build_docs(self, run_id: str) -> str | None:
        """Store this run's validation results and render the Data Docs site."""
        return self.render_docs({"night": self._results}, run_id)

    # -------------------------------------------------------------- identity

    def _check_identities(self, submissions: list[Submission]) -> None:
        frame = pd.DataFrame(
            {
                "row_id": range(len(submissions)),
                "unit_key": [s.unit_key for s in submissions],
                "period_code": [s.period_code for s in submissions],
            }
        )
        for meta, rows in self._failures("submission_identity", frame):
            for row_id in rows:
                submission = submissions[int(row_id)]
                rule = meta.get("rule", "identity")
                if rule == "unit_known":
                    vi, en = (
                        "Không xác định được đơn vị báo cáo.",
                        "The reporting unit could not be identified.",
                    )
                else:
                    written = _period_as_written(submission.metadata)
                    vi, en = (
                        f"Kỳ báo cáo '{written}' không hợp lệ hoặc bị thiếu; hãy "
                        "ghi ví dụ 'Năm 2022', 'Quý I/2023', 'Sơ kết giữa nhiệm kỳ 2020-2025'.",
                        f"The reporting period '{written}' is missing or not valid; write e.g. "
                        "'Năm 2022', 'Quý I/2023', 'Sơ kết giữa nhiệm kỳ 2020-2025'.",
                    )
                submission.reject(Issue("error", rule, vi, en))

    # -------------------------------------------------------------- the night's values

    def _night_frame(self, submissions: list[Submission]) -> pd.DataFrame:
        """One row per value of the night, in submission then observation order.

        ``row_id`` is the row's position, the same for every suite. Built column by column
        from the observations (one pass each), with each value's type and catalog bounds.
        """
        observations = [obs for submission in submissions for obs in submission.observations]
        counts = [len(submission.observations) for submission in submissions]
        values = np.array([obs.value for obs in observations], dtype=float)
        codes = pd.Series([obs.indicator_code for obs in observations], dtype=object)
        lows = {code: low for code, (low, _) in self._ranges.items() if low is not None}
        highs = {code: high for code, (_, high) in self._ranges.items() if high is not None}
        return pd.DataFrame(
            {
                "row_id": np.arange(len(observations)),
                "submission_index": np.repeat(np.arange(len(submissions)), counts),
                "indicator_code": codes,
                "period_code": pd.Series([o.period_code for o in observations], dtype=object),
                "value": values,
                "qualifier": pd.Series([o.qualifier for o in observations], dtype=object),
                "original_text": pd.Series([o.original_text for o in observations], dtype=object),
                "source_cell": pd.Series([o.source_cell for o in observations], dtype=object),
                "is_estimate": np.array([o.is_estimate for o in observations], dtype=bool),
                "value_type": codes.map(self._value_types),
                "fractional_part": values % 1,
                "min_allowed": codes.map(lows).astype(float),
                "max_allowed": codes.map(highs).astype(float),
            }
        )

    def _check_values(
        self, submissions: list[Submission], night: pd.DataFrame, kept: np.ndarray
    ) -> int:
        """The value suite on every value; a failing value is rejected (``kept`` False)."""
        failing: dict[int, list[dict]] = {}
        for meta, rows in self._failures("observation_values", night[VALUE_SUITE_COLUMNS]):
            for row_id in rows:
                metas = failing.setdefault(row_id, [])
                if meta.get("rule") == "in_range":
                    if any(m.get("rule") == "in_range" for m in metas):
                        continue  # below the minimum or above the maximum: one message
                    low, high = self._ranges[night.at[row_id, "indicator_code"]]
                    meta = {"rule": "in_range", "min": low, "max": high}
                metas.append(meta)
        if not failing:
            return 0
        rows = sorted(failing)
        for row in night.iloc[rows].itertuples(index=False):
            submission = submissions[int(row.submission_index)]
            for meta in failing[int(row.row_id)]:
                vi, en = _message(meta, row)
                submission.issues.append(
                    Issue(
                        "error",
                        meta.get("rule", "value"),
                        vi,
                        en,
                        indicator_code=row.indicator_code,
                        period_code=row.period_code,
                        source_cell=row.source_cell,
                    )
                )
        kept[rows] = False
        return len(rows)

    # -------------------------------------------------------------- rules

    def _rule_frame(self, values: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(wide, cells): one row per submission × period with a column per indicator
        and a ``check_<rule_id>`` column per rule; the cell of each wide value."""
        keys = ["submission_index", "period_code"]
        # Bounds and approximations ('trên 300 triệu', 'khoảng 200') cannot be compared
        # exactly: rules only use values the clerk gave as exact numbers.
        exact = values[values["qualifier"] == "="].drop_duplicates(
            [*keys, "indicator_code"], keep="first"
        )
        wide = exact.pivot(index=keys, columns="indicator_code", values="value")
        cells = exact.pivot(index=keys, columns="indicator_code", values="source_cell")
        wide = wide.reset_index()
        wide.columns.name = None
        checks = {}
        for rule in self.rules:
            checks[rule.column] = rule.compute(wide)[2]
        wide = pd.concat([wide, pd.DataFrame(checks, index=wide.index)], axis=1)
        wide.insert(0, "row_id", range(len(wide)))
        return wide, cells.reset_index(drop=True)

    def _check_rules(
        self, submissions: list[Submission], night: pd.DataFrame, kept: np.ndarray
    ) -> int:
        """The rules suite on the values still standing; an ``error`` rejects its left side."""
        values = night[kept]
        if values.empty or not self.rules:
            return 0
        wide, cells = self._rule_frame(values)
        by_id = {rule.rule_id: rule for rule in self.rules}
        to_reject: set[tuple[int, str, str]] = set()
        for meta, rows in self._failures("validation_rules", wide[_rule_columns(wide)]):
            rule = by_id[meta["rule"]]
            left, right, _ = rule.compute(wide.iloc[rows])
            for row_id in rows:
                row = wide.iloc[row_id]
                submission = submissions[int(row.submission_index)]

                def cells_of(codes, row_id=row_id):
                    return [
                        cells.at[row_id, code] if code in cells.columns else None for code in codes
                    ]

                vi, en = _rule_message(
                    rule,
                    float(left.loc[row_id]),
                    float(right.loc[row_id]),
                    cells_of(rule.left.codes),
                    cells_of(rule.right.codes),
                )
                for code, cell in zip(rule.left.codes, cells_of(rule.left.codes), strict=True):
                    submission.issues.append(
                        Issue(
                            rule.severity,
                            rule.rule_id,
                            vi,
                            en,
                            indicator_code=code,
                            period_code=row.period_code,
                            source_cell=cell,
                        )
                    )
                    if rule.severity == "error":
                        to_reject.add((int(row.submission_index), row.period_code, code))
        if not to_reject:
            return 0
        keys = pd.MultiIndex.from_frame(
            values[["submission_index", "period_code", "indicator_code"]]
        )
        rejected_rows = values["row_id"].to_numpy()[keys.isin(list(to_reject))]
        kept[rejected_rows] = False
        return len(rejected_rows)

    # -------------------------------------------------------------- outliers

    def units_compared_with(self, submissions: list[Submission]) -> set[str]:
        """The units whose published values the outlier checks of ``submissions`` can read.

        A value is compared with its own unit's earlier periods and with its peer group's
        current values (:func:`peer_groups`): each submission's unit and every unit of its
        peer group. Reading only these from the warehouse gives the same scores as reading
        it all, at a fraction of the cost on a night with a few corrected files.
        """
        own = {s.unit_key for s in submissions if s.unit_key}
        groups_of = self._groups_of_units()
        groups = set(groups_of.reindex(list(own)).dropna())
        return own | set(groups_of.index[groups_of.isin(groups)])

    def _groups_of_units(self) -> pd.Series:
        """:func:`peer_groups`, computed once per gate."""
        if self._peer_groups is None:
            self._peer_groups = peer_groups()
        return self._peer_groups

    def _peer_group(self, unit_keys: pd.Series) -> pd.Series:
        """The peer group of each unit (see :func:`peer_groups`)."""
        return unit_keys.map(self._groups_of_units())

    def _check_outliers(
        self,
        submissions: list[Submission],
        night: pd.DataFrame,
        kept: np.ndarray,
        history: pd.DataFrame | None,
    ) -> None:
        """Each value still standing against its unit's history and its peers; warnings."""
        live = np.array([not s.is_rejected for s in submissions], dtype=bool)
        values = night[kept & live[night["submission_index"].to_numpy()]]
        if values.empty:
            return
        # Per-submission facts, spread over the values by position (no per-row Python).
        position = values["submission_index"].to_numpy()
        unit_keys = np.array([s.unit_key for s in submissions], dtype=object)
        values = values.assign(unit_key=unit_keys[position])
        report_dates = pd.Series(
            [pd.Timestamp(s.report_date) if s.report_date else pd.NaT for s in submissions],
            dtype="datetime64[ns]",
        )
        received = pd.Series(
            [pd.Timestamp(s.file.received_at) for s in submissions], dtype="datetime64[ns]"
        )
        submission_ids = np.array([s.submission_id for s in submissions], dtype=object)
        tonight = values.assign(
            report_date=report_dates.to_numpy()[position],
            received_at=received.to_numpy()[position],
            submission_id=submission_ids[position],
        )[HISTORY_COLUMNS]
        frames = [tonight]
        if history is not None and not history.empty:
            published = history[HISTORY_COLUMNS].copy()
            published["report_date"] = pd.to_datetime(published["report_date"])
            published["received_at"] = pd.to_datetime(published["received_at"])
            frames.append(published)
        reference = _current(pd.concat(frames, ignore_index=True).dropna(subset=["value"]))
        reference = reference.assign(
            value=reference["value"].astype(float),
            value_type=reference["indicator_code"].map(self._value_types),
            peer_group=self._peer_group(reference["unit_key"]),
        )
        scored = values.assign(peer_group=self._peer_group(values["unit_key"]))
        scored = scored.merge(
            rulebook.history_scores(
                scored[
                    ["row_id", "unit_key", "indicator_code", "period_code", "value", "value_type"]
                ],
                reference,
            ),
            on="row_id",
            how="left",
        ).merge(
            rulebook.peer_scores(
                scored[
                    ["row_id", "peer_group", "indicator_code", "period_code", "value", "value_type"]
                ],
                reference,
            ),
            on="row_id",
            how="left",
        )
        scored = scored.sort_values("row_id").reset_index(drop=True)
        checked = scored[["row_id", "history_z", "peer_z"]]
        by_row_id = pd.Series(scored.index, index=scored["row_id"])
        for meta, rows in self._failures("value_outliers", checked):
            # itertuples over the failing rows only: a Series per row costs ~0.5 ms
            for row in scored.iloc[by_row_id[rows].to_numpy()].itertuples(index=False):
                vi, en = _outlier_message(meta["rule"], row)
                submissions[int(row.submission_index)].issues.append(
                    Issue(
                        "warning",
                        meta["rule"],
                        vi,
                        en,
                        indicator_code=row.indicator_code,
                        period_code=row.period_code,
                        source_cell=row.source_cell,
                    )
                )


# ------------------------------------------------------------------ Data Docs views

# GE renders each Data Docs page section with a fresh jinja2 environment, which compiles
# its ~50 templates again on every build: about 60 % of the build. These views are GE's
# own, with jinja2's file bytecode cache (a private per-user folder in the temp
# directory, keyed by each template's source): each night after the first loads them
# compiled. The classes are made when GE's site builder asks this module for them, so
# importing flows.quality.validate still does not import GE.
_CACHED_VIEWS = {
    "CachedJinjaPageView": "DefaultJinjaPageView",
    "CachedJinjaIndexPageView": "DefaultJinjaIndexPageView",
}
_TEMPLATE_CACHE: list = []  # the one jinja2 bytecode cache of this process, once made


def _template_cache():
    if not _TEMPLATE_CACHE:
        import jinja2

        _TEMPLATE_CACHE.append(jinja2.FileSystemBytecodeCache())
    return _TEMPLATE_CACHE[0]


def __getattr__(name: str):
    """GE's page views with compiled templates cached (see ``_CACHED_VIEWS``)."""
    if name not in _CACHED_VIEWS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from great_expectations.render import view as ge_views

    base = getattr(ge_views, _CACHED_VIEWS[name])

    def __init__(self, *args, **kwargs) -> None:
        base.__init__(self, *args, **kwargs)
        self.env.bytecode_cache = _template_cache()

    view_class = type(name, (base,), {"__init__": __init__, "__module__": __name__})
    globals()[name] = view_class
    return view_class


def peer_groups() -> pd.Series:
    """unit_key → the group a ward's values are compared with for outliers.

    A pre-2025 ward's district, a 2025 ward's province (the 2025 scheme has no districts).
    """
    from flows.domain.reference import load_reference

    units = load_reference().admin_units
    wards = units[units["level"] == "ward"]
    return pd.Series(
        wards["district_key"].fillna(wards["province_key"]).to_numpy(),
        index=wards["unit_key"].to_numpy(),
    )


def _rule_columns(wide: pd.DataFrame) -> list[str]:
    return ["row_id", *(c for c in wide.columns if str(c).startswith("check_"))]


def _drop_rows(submissions: list[Submission], night: pd.DataFrame, kept: np.ndarray) -> None:
    """Remove from their submissions the observations whose night rows are not ``kept``.

    Only the submissions that lost a value are rebuilt; a submission's rows are
    contiguous and in observation order, so a row's observation is its offset.
    """
    if kept.all():
        return
    position = night["submission_index"].to_numpy()
    counts = np.bincount(position, minlength=len(submissions))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    for index in np.unique(position[~kept]):
        start = starts[index]
        keep = kept[start : start + counts[index]]
        submission = submissions[index]
        submission.observations = [
            obs for obs, stays in zip(submission.observations, keep, strict=True) if stays
        ]


def warned_cells(submission: Submission) -> dict[tuple[str, str, str], list[Issue]]:
    """Warnings of a submission by the value they concern (indicator, period, cell)."""
    warned: dict[tuple[str, str, str], list[Issue]] = {}
    for issue in submission.issues:
        if issue.severity == "warning" and issue.indicator_code and issue.source_cell:
            key = (issue.indicator_code, issue.period_code or "", issue.source_cell)
            warned.setdefault(key, []).append(issue)
    return warned


def issues_by_rule(submissions: list[Submission]) -> dict[str, int]:
    """``'severity:rule'`` → how many issues the submissions carry, in key order."""
    counts = Counter(f"{issue.severity}:{issue.rule}" for s in submissions for issue in s.issues)
    return dict(sorted(counts.items()))


def verdict_digest(submissions: list[Submission]) -> str:
    """SHA-256 of every verdict of the night, order-independent: equal runs, equal digest."""
    lines = sorted(
        "\t".join(
            str(part)
            for part in (
                s.submission_id,
                issue.severity,
                issue.rule,
                issue.indicator_code,
                issue.period_code,
                issue.source_cell,
                issue.message,
            )
        )
        for s in submissions
        for issue in s.issues
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    """``python -m flows.quality.validate --write-suites`` rewrites ``quality/expectations/``."""
    parser = argparse.ArgumentParser(description="chitieu's Great Expectations suites.")
    parser.add_argument(
        "--write-suites",
        action="store_true",
        help=f"rewrite the versioned suite JSON files in {EXPECTATIONS_DIR}",
    )
    args = parser.parse_args(argv)
    if not args.write_suites:
        parser.print_help()
        return 2
    for path in write_suites():
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
