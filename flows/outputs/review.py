"""``chitieu review``: one workbook per report listing the figures its prose states, to confirm.

The published warehouse's ``marts.rpt_narrative_candidates`` holds every candidate figure
read from the prose of a ward's report. The pending ones are written as one reviewed-to-be
workbook per report (:mod:`flows.outputs.review_workbook`): a reviewer marks each figure
accepted (``x``), corrects a value or period where the report is wrong, and drops the
workbook into the landing folder, where the next night loads the accepted figures
(:mod:`flows.reading.narrative`).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from flows.domain.textnorm import fold
from flows.outputs.review_workbook import ReviewCandidate, ReviewDocument, write_review_workbook

_PENDING = """
    select
        candidates.source_file,
        candidates.file_sha256,
        candidates.unit_key,
        units.unit_name,
        candidates.report_period_code,
        candidates.candidate_id,
        candidates.indicator_code,
        indicators.name_vi,
        indicators.unit,
        candidates.value,
        candidates.qualifier,
        candidates.denominator,
        candidates.period_code,
        candidates.reported_achievement_pct,
        candidates.location,
        candidates.sentence,
        candidates.confidence
    from marts.rpt_narrative_candidates as candidates
    left join marts.dim_admin_unit as units on candidates.unit_key = units.unit_key
    left join marts.dim_indicator as indicators
        on candidates.indicator_code = indicators.indicator_code
    where candidates.is_current_document and (candidates.review_status = 'pending' or ?)
    order by candidates.source_file, candidates.paragraph_number, candidates.indicator_code
"""


def workbook_name(source_file: str, file_sha256: str) -> str:
    """``ra-soat-<report name>-<hash>.xlsx``: one name per report content, safe on any disk."""
    stem = re.sub(r"[^a-z0-9]+", "-", fold(Path(source_file).stem)).strip("-")[:60] or "bao-cao"
    return f"ra-soat-{stem}-{file_sha256[:8]}.xlsx"


def write_review_workbooks(
    warehouse: Path, out_dir: Path, include_decided: bool = False
) -> list[Path]:
    """Write one workbook per report with pending candidates into ``out_dir``; their paths.

    Only the current version of a unit and period's report is listed (a report sent again,
    as PDF or corrected, supersedes the earlier one). ``include_decided`` lists every
    candidate, decided or not (to review a report again).
    """
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(_PENDING, [include_decided]).fetchall()
    finally:
        con.close()
    by_document: dict[tuple, list[ReviewCandidate]] = {}
    for row in rows:
        document = ReviewDocument(
            source_file=row[0],
            file_sha256=row[1],
            unit_key=row[2],
            unit_name=row[3] or "",
            report_period_code=row[4],
        )
        by_document.setdefault(document, []).append(
            ReviewCandidate(
                candidate_id=row[5],
                indicator_code=row[6],
                indicator_name=row[7] or row[6],
                unit=row[8] or "",
                value=row[9],
                qualifier=row[10] or "",
                denominator=row[11],
                period_code=row[12],
                reported_achievement_pct=row[13],
                location=row[14],
                sentence=row[15],
                confidence=row[16],
            )
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for document, candidates in by_document.items():
        path = out_dir / workbook_name(document.source_file, document.file_sha256)
        write_review_workbook(path, document, candidates)
        written.append(path)
    return written
