"""The Great Expectations gate every submission passes before it is staged.

Two suites, generated from the indicator catalog and versioned with the code:

- ``submission_identity``: one row per submission; a failure rejects the whole
  submission, since its values cannot be attributed (unit, period).
- ``observation_values``: one row per value of the night's submissions, validated
  in one batch; a failure rejects that value only.

The night's values are validated once with the cheap ``SUMMARY`` result format;
only the expectations that failed are run again with ``COMPLETE`` to learn which
rows failed (``COMPLETE`` on every expectation costs ~30x on large frames).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import pandas as pd

from flows.catalog import Catalog
from flows.settings import quiet_third_party_defaults
from flows.submission import Issue, Submission

SUITE_VERSION = "2025.1"
PERIOD_CODE_PATTERN = r"^(?:\d{4}(?:-Q[1-4]|-H[12])?|\d{4}-\d{4}(?:-MID)?)$"
QUALIFIERS = ["=", ">", "<", "~"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Rule:
    """How to explain a failed expectation to a clerk."""

    name: str
    message_vi: str
    message_en: str


def _gx():
    quiet_third_party_defaults()
    import great_expectations as gx

    return gx


def _expectations():
    import great_expectations.expectations as gxe

    return gxe


def build_identity_suite():
    """Expectations on a submission's identity: known unit, valid period."""
    gx, gxe = _gx(), _expectations()
    suite = gx.ExpectationSuite(name="submission_identity", meta={"version": SUITE_VERSION})
    suite.add_expectation(
        gxe.ExpectColumnValuesToNotBeNull(
            column="unit_key",
            meta={"rule": "unit_known"},
        )
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


def build_value_suite(catalog: Catalog):
    """Expectations on values, one range per catalog indicator plus type rules."""
    gx, gxe = _gx(), _expectations()
    from great_expectations.expectations.row_conditions import Column

    suite = gx.ExpectationSuite(name="observation_values", meta={"version": SUITE_VERSION})
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
            row_condition=Column("value_type").is_in(["count", "boolean"]),
            meta={"rule": "whole_number"},
        )
    )
    for indicator in catalog:
        low, high = _finite(indicator.min_value), _finite(indicator.max_value)
        if low is None and high is None:
            continue
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=low,
                max_value=high,
                row_condition=Column("indicator_code") == indicator.indicator_code,
                meta={
                    "rule": "in_range",
                    "indicator_code": indicator.indicator_code,
                    "min": low,
                    "max": high,
                },
            )
        )
    return suite


def _finite(number: float | None) -> float | None:
    return None if number is None or math.isnan(number) else float(number)


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


@dataclass
class GateReport:
    """What the gate did this run, for the run summary."""

    submissions_checked: int = 0
    submissions_rejected: int = 0
    values_checked: int = 0
    values_rejected: int = 0


class QualityGate:
    """A Great Expectations context holding chitieu's suites, built once per run."""

    def __init__(self, catalog: Catalog) -> None:
        gx = _gx()
        from great_expectations.data_context.types.base import (
            ProgressBarsConfig,
        )

        self._catalog = catalog
        self._value_types = {i.indicator_code: i.value_type for i in catalog}
        self._context = gx.get_context(mode="ephemeral")
        self._context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        source = self._context.data_sources.add_pandas("submissions")
        self._identity_batches = source.add_dataframe_asset(
            "identity"
        ).add_batch_definition_whole_dataframe("night")
        self._value_batches = source.add_dataframe_asset(
            "values"
        ).add_batch_definition_whole_dataframe("night")
        self.identity_suite = build_identity_suite()
        self.value_suite = build_value_suite(catalog)

    def check(self, submissions: list[Submission]) -> GateReport:
        """Validate identities, then values; record verdicts on the submissions in place."""
        report = GateReport()
        candidates = [s for s in submissions if not s.is_rejected]
        report.submissions_checked = len(candidates)
        self._check_identities(candidates)
        accepted = [s for s in candidates if not s.is_rejected]
        report.values_checked = sum(len(s.observations) for s in accepted)
        report.values_rejected = self._check_values(accepted)
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
        return report

    def _failures(self, batch_definition, frame: pd.DataFrame, suite) -> list[tuple[dict, list]]:
        """(meta, failing row_ids) for each expectation of the suite that failed."""
        if frame.empty:
            return []
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        summary = batch.validate(suite, result_format="SUMMARY")
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
            rows = [item["row_id"] for item in detail.result.get("unexpected_index_list") or []]
            failures.append((result.expectation_config.meta or {}, rows))
        return failures

    def _check_identities(self, submissions: list[Submission]) -> None:
        frame = pd.DataFrame(
            {
                "row_id": range(len(submissions)),
                "unit_key": [s.unit_key for s in submissions],
                "period_code": [s.period_code for s in submissions],
            }
        )
        for meta, rows in self._failures(self._identity_batches, frame, self.identity_suite):
            for row_id in rows:
                submission = submissions[int(row_id)]
                rule = meta.get("rule", "identity")
                if rule == "unit_known":
                    vi, en = (
                        "Không xác định được đơn vị báo cáo.",
                        "The reporting unit could not be identified.",
                    )
                else:
                    vi, en = (
                        f"Kỳ báo cáo '{submission.metadata.get('period', '')}' không hợp lệ; hãy "
                        "ghi ví dụ 'Năm 2022', 'Quý I/2023', 'Sơ kết giữa nhiệm kỳ 2020-2025'.",
                        "The reporting period is missing or not valid; write e.g. 'Năm 2022', "
                        "'Quý I/2023', 'Sơ kết giữa nhiệm kỳ 2020-2025'.",
                    )
                submission.reject(Issue("error", rule, vi, en))

    def _check_values(self, submissions: list[Submission]) -> int:
        frame = self._value_frame(submissions)
        failing: dict[int, list[dict]] = {}
        for meta, rows in self._failures(self._value_batches, frame, self.value_suite):
            for row_id in rows:
                failing.setdefault(int(row_id), []).append(meta)
        if not failing:
            return 0
        for row_id, metas in failing.items():
            row = frame.iloc[row_id]
            submission = submissions[int(row.submission_index)]
            for meta in metas:
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
        rejected = set(failing)
        for index, submission in enumerate(submissions):
            rows = frame.index[frame.submission_index == index]
            submission.observations = [
                obs
                for obs, row_id in zip(submission.observations, rows, strict=True)
                if row_id not in rejected
            ]
        return len(rejected)

    def _value_frame(self, submissions: list[Submission]) -> pd.DataFrame:
        records = [
            (
                index,
                obs.indicator_code,
                obs.period_code,
                obs.value,
                obs.qualifier,
                obs.original_text,
                obs.source_cell,
            )
            for index, submission in enumerate(submissions)
            for obs in submission.observations
        ]
        frame = pd.DataFrame(
            records,
            columns=[
                "submission_index",
                "indicator_code",
                "period_code",
                "value",
                "qualifier",
                "original_text",
                "source_cell",
            ],
        )
        frame["value"] = frame["value"].astype(float)
        frame.insert(0, "row_id", range(len(frame)))
        frame["value_type"] = frame["indicator_code"].map(self._value_types)
        frame["fractional_part"] = frame["value"] % 1
        return frame
