"""The gate's four Great Expectations suites, built from the indicator catalog and the
rulebook, and written out as the versioned JSON a reviewer reads.

They are versioned in ``quality/expectations/*.json`` (``python -m flows.quality.suites
--write-suites`` rewrites them; a test fails when the code, the catalog or the rulebook
changes them unreviewed):

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

Every expectation names its rule in ``meta["rule"]``; its severity and its ``notes`` (the
rule's description, Vietnamese then English, shown by GE Data Docs on the suite's page)
come from :mod:`flows.quality.rulebook`.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable
from pathlib import Path

from flows.domain.catalog import Catalog, load_catalog
from flows.quality import cross_value, outliers, rulebook
from flows.quality.messages import _fmt
from flows.settings import EXPECTATIONS_DIR, quiet_third_party_defaults

SUITE_VERSION = "2025.2"
PERIOD_CODE_PATTERN = r"^(?:\d{4}(?:-Q[1-4]|-H[12])?|\d{4}-\d{4}(?:-MID)?)$"
QUALIFIERS = ["=", ">", "<", "~"]
WHOLE_NUMBER_TYPES = ["count", "boolean"]
PERCENT_DEFAULT_RANGE = (0.0, 100.0)  # percents unless the catalog says otherwise
SUITE_NAMES = ("submission_identity", "observation_values", "validation_rules", "value_outliers")


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


# GE's severity of an expectation, for each severity of the rulebook.
GE_SEVERITY = {rulebook.ERROR: "critical", rulebook.WARNING: "warning"}


def _from_rulebook(meta: dict) -> dict:
    """An expectation's ``meta``, with the severity and notes the rulebook gives its rule."""
    rule = rulebook.RULES[meta["rule"]]
    return {
        "meta": meta,
        "severity": GE_SEVERITY[rule.severity],
        "notes": [rule.description_vi, rule.description_en],
    }


# ------------------------------------------------------------------ suites


def build_identity_suite():
    """Expectations on a submission's identity: known unit, valid period."""
    gx, gxe = _gx(), _expectations()
    suite = gx.ExpectationSuite(name="submission_identity", meta={"version": SUITE_VERSION})
    suite.add_expectation(
        gxe.ExpectColumnValuesToNotBeNull(
            column="unit_key", **_from_rulebook(meta={"rule": "unit_known"})
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToNotBeNull(
            column="period_code", **_from_rulebook(meta={"rule": "period_known"})
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToMatchRegex(
            column="period_code",
            regex=PERIOD_CODE_PATTERN,
            **_from_rulebook(meta={"rule": "period_valid"}),
        )
    )
    return suite


def _finite(number: float | None) -> float | None:
    return None if number is None or math.isnan(number) else float(number)


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
# expectation, so conditioned ranges, one per indicator, would cost most of the gate. Each
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
            column="indicator_code",
            value_set=codes,
            **_from_rulebook(meta={"rule": "indicator_known"}),
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToMatchRegex(
            column="period_code",
            regex=PERIOD_CODE_PATTERN,
            **_from_rulebook(meta={"rule": "period_valid"}),
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeInSet(
            column="qualifier",
            value_set=QUALIFIERS,
            **_from_rulebook(meta={"rule": "qualifier_known"}),
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="fractional_part",
            min_value=0,
            max_value=0,
            row_condition=column("value_type").is_in(WHOLE_NUMBER_TYPES),
            **_from_rulebook(meta={"rule": "whole_number"}),
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
                **_from_rulebook(meta={"rule": "in_range", "bound": bound}),
            )
        )
    return suite


def build_rules_suite(rules: Iterable[cross_value.ValidationRule]):
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
                severity=GE_SEVERITY[rule.severity],
                meta={
                    "rule": rule.rule_id,
                    "severity": rule.severity,
                    "expression": rule.describe(),
                    "description_vi": rule.description_vi,
                    "description_en": rule.description_en,
                },
                notes=[rule.description_vi, rule.description_en],
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
            "min_history": outliers.MIN_HISTORY,
            "history_window": outliers.HISTORY_WINDOW,
            "min_peers": outliers.MIN_PEERS,
        },
    )
    for rule, column in (("outlier_history", "history_z"), ("outlier_peers", "peer_z")):
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=-outliers.OUTLIER_Z,
                max_value=outliers.OUTLIER_Z,
                **_from_rulebook(meta={"rule": rule, "severity": rulebook.severity(rule)}),
            )
        )
    return suite


def build_suites(catalog: Catalog, rules: list[cross_value.ValidationRule]) -> dict:
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
        return {k: _without_ids(v) for k, v in node.items() if k != "id"}
    if isinstance(node, list):
        return [_without_ids(v) for v in node]
    return node


def suite_json(suite) -> str:
    """The suite as stable, reviewable JSON (sorted keys, no ids, UTF-8 text).

    The suite's own notes are left out (the ranges table, which is its ``meta`` again, as
    Markdown for Data Docs); each expectation's notes, its rule's description, stay.
    """
    data = _without_ids({k: v for k, v in suite.to_json_dict().items() if k != "notes"})
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def generated_suite_files(
    catalog: Catalog | None = None, rules: list[cross_value.ValidationRule] | None = None
) -> dict[str, str]:
    """``{file name: JSON text}`` of the suites the code generates today."""
    gx = _gx()
    gx.get_context(mode="ephemeral")  # suites need an active context to be built
    suites = build_suites(catalog or load_catalog(), rules or rulebook.validation_rules())
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


def main(argv: list[str] | None = None) -> int:
    """``python -m flows.quality.suites --write-suites`` rewrites ``quality/expectations/``."""
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
