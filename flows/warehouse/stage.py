"""Staging: append the night's verdicts to the ``raw`` tables, in one transaction.

Rows are only ever inserted. A submission id already present (the same file
content seen on an earlier night) is skipped, so a rerun never loads twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from flows.reading.rows import QUALIFIER_WORDS
from flows.reading.submission import Submission
from flows.warehouse.publish import open_build_file
from flows.warehouse.schema import create_statements


@dataclass
class StageCounts:
    """What one staging step appended."""

    submissions_staged: int = 0
    values_staged: int = 0
    new_submission_ids: set[str] = field(default_factory=set)


def connect(database: Path) -> duckdb.DuckDBPyConnection:
    """Open a writable connection to ``database`` with the ``raw`` and ``ref`` tables present."""
    con = open_build_file(database)
    for statement in create_statements():
        con.execute(statement)
    return con


def staged_submission_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Ids of every submission staged on any earlier night."""
    return {row[0] for row in con.execute("SELECT submission_id FROM raw.submissions").fetchall()}


def _submission_row(submission: Submission, run_id: str, staged_at: datetime) -> dict:
    reason = submission.rejection.message if submission.rejection else _warnings_reason(submission)
    return {
        "submission_id": submission.submission_id,
        "run_id": run_id,
        "source_file": submission.file.relative_path,
        "file_sha256": submission.file.sha256,
        "source_sheet": submission.source_sheet,
        "unit_key": submission.unit_key,
        "period_code": submission.period_code,
        "report_date": submission.report_date,
        "received_at": submission.file.received_at,
        "staged_at": staged_at,
        "status": "rejected" if submission.is_rejected else "accepted",
        "n_values": 0 if submission.is_rejected else len(submission.observations),
        "n_errors": submission.n_errors,
        "n_warnings": submission.n_warnings,
        "n_unmapped_rows": len(submission.unmapped_rows),
        "reason": reason,
        "unit_name_text": submission.unit_name_text,
        "metadata_json": json.dumps(submission.metadata, ensure_ascii=False, default=str),
        "source_kind": submission.source_kind,
    }


def _warnings_reason(submission: Submission) -> str | None:
    """A short reason for an accepted submission: its first problems, if any."""
    if not submission.issues:
        return None
    shown = "; ".join(issue.message for issue in submission.issues[:3])
    more = len(submission.issues) - 3
    return shown + (f" (+{more})" if more > 0 else "")


def _quality_of(submission: Submission) -> dict[tuple[str, str, str], tuple[str, str | None]]:
    """(quality_status, quality_notes) of each warned value, by (indicator, period, cell).

    A warning concerns a value when it names its indicator, period and cell; the notes
    are the warnings' bilingual messages, in the order they were raised.
    """
    notes: dict[tuple[str, str, str], list[str]] = {}
    for issue in submission.issues:
        if issue.severity == "warning" and issue.indicator_code and issue.source_cell:
            key = (issue.indicator_code, issue.period_code or "", issue.source_cell)
            notes.setdefault(key, []).append(issue.message)
    return {key: ("warning", " | ".join(messages)) for key, messages in notes.items()}


def _observation_rows(submission: Submission) -> list[dict]:
    quality = _quality_of(submission)
    return [
        {
            "submission_id": submission.submission_id,
            "unit_key": submission.unit_key,
            "indicator_code": obs.indicator_code,
            "period_code": obs.period_code,
            "value": obs.value,
            "qualifier": obs.qualifier,
            "denominator": obs.denominator,
            "is_estimate": bool(obs.is_estimate),
            "target_text": obs.target_text,
            "target_low": obs.target_low,
            "target_high": obs.target_high,
            "target_direction": obs.target_direction,
            "target_per_year": obs.target_per_year,
            "original_text": obs.original_text,
            "quality_status": quality.get(key, ("ok", None))[0],
            "quality_notes": quality.get(key, ("ok", None))[1],
            "source_file": obs.source_file or submission.file.relative_path,
            "file_sha256": obs.source_sha256 or submission.file.sha256,
            "source_sheet": submission.source_sheet,
            "source_cell": obs.source_cell,
            "source_row": obs.source_row,
            "assessment_text": obs.assessment_text,
        }
        for obs in submission.observations
        for key in [(obs.indicator_code, obs.period_code, obs.source_cell)]
    ]


def _issue_rows(submission: Submission) -> list[dict]:
    return [
        {
            "submission_id": submission.submission_id,
            "severity": issue.severity,
            "rule": issue.rule,
            "indicator_code": issue.indicator_code,
            "period_code": issue.period_code,
            "source_cell": issue.source_cell,
            "message": issue.message,
        }
        for issue in submission.issues
    ]


def _unmapped_rows(submission: Submission) -> list[dict]:
    return [
        {
            "submission_id": submission.submission_id,
            "source_file": submission.file.relative_path,
            "source_sheet": submission.source_sheet,
            "source_row": row.source_row,
            "code_text": row.code_text,
            "name_text": row.name_text,
            "unit_text": row.unit_text,
            "values_text": row.values_text,
        }
        for row in submission.unmapped_rows
    ]


def _candidate_rows(submission: Submission) -> list[dict]:
    return [
        {
            "candidate_id": candidate_id,
            "submission_id": submission.submission_id,
            "source_file": submission.file.relative_path,
            "file_sha256": submission.file.sha256,
            "unit_key": submission.unit_key,
            "report_period_code": submission.period_code,
            "period_code": candidate.period_code or submission.period_code,
            "indicator_code": candidate.indicator_code,
            "value": candidate.value,
            "qualifier": QUALIFIER_WORDS.get(candidate.qualifier, candidate.qualifier),
            "denominator": candidate.denominator,
            "reported_achievement_pct": candidate.reported_achievement_pct,
            "figure_text": candidate.figure_text,
            "location": candidate.location,
            "paragraph": candidate.paragraph,
            "sentence": candidate.sentence,
            "confidence": candidate.confidence,
        }
        for candidate_id, candidate in submission.candidates
    ]


def _decision_rows(submission: Submission) -> list[dict]:
    return [
        {
            "submission_id": submission.submission_id,
            "candidate_id": decision.candidate_id,
            "decision": decision.decision,
            "corrected_value": decision.corrected_value,
            "corrected_period_code": decision.corrected_period_code,
            "note": decision.note,
        }
        for decision in submission.review_decisions
    ]


def _append(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    frame = pd.DataFrame(rows)
    columns = ", ".join(frame.columns)
    con.register("staged_rows", frame)
    try:
        con.execute(f"INSERT INTO raw.{table} ({columns}) SELECT {columns} FROM staged_rows")
    finally:
        con.unregister("staged_rows")


def stage_submissions(
    con: duckdb.DuckDBPyConnection,
    submissions: list[Submission],
    run_id: str,
    staged_at: datetime,
) -> StageCounts:
    """Append new submissions with their values, issues and unmapped rows, all or nothing."""
    counts = StageCounts()
    # The flow parses only contents not staged before; this keeps staging idempotent even
    # for a caller that did not, since submission ids derive from the content hash.
    known = staged_submission_ids(con)
    new = [s for s in submissions if s.submission_id not in known]
    loadable = [s for s in new if not s.is_rejected]
    con.execute("BEGIN TRANSACTION")
    try:
        _append(con, "submissions", [_submission_row(s, run_id, staged_at) for s in new])
        _append(con, "observations", [row for s in loadable for row in _observation_rows(s)])
        _append(con, "issues", [row for s in new for row in _issue_rows(s)])
        _append(con, "unmapped_rows", [row for s in new for row in _unmapped_rows(s)])
        _append(con, "narrative_candidates", [row for s in loadable for row in _candidate_rows(s)])
        _append(con, "review_decisions", [row for s in loadable for row in _decision_rows(s)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    counts.submissions_staged = len(new)
    counts.new_submission_ids = {s.submission_id for s in new}
    counts.values_staged = sum(len(s.observations) for s in loadable)
    return counts


def record_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    started_at: datetime,
    finished_at: datetime,
    raw_dir: Path,
    files_seen: int,
    summary: dict,
) -> None:
    """Append this run's summary to ``raw.runs``."""
    con.execute(
        "INSERT INTO raw.runs VALUES (?, ?, ?, ?, ?, ?)",
        [
            run_id,
            started_at,
            finished_at,
            str(raw_dir),
            files_seen,
            json.dumps(summary, ensure_ascii=False, default=str),
        ],
    )
