"""A table in a Word report loads exactly as the same table in a spreadsheet (issue #24).

The tables are the pairwise covering set of ``tests/generators/combinations_tables.py``
written as CSV (the text a Word cell holds is the text a CSV field holds). Each is laid
out once more as one Word table, merged cells merged the Word way (``gridSpan``,
``vMerge``), by python-docx, after a few paragraphs of a report. Both files are read by the
parse stage's own reader: the report's table must give the CSV's submission value for
value (indicator, period, value, qualifier, target, estimate, text as typed, row and
column), its unit, period and report date, under the sheet name ``Bảng 1``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import docx
import pytest

from flows.domain.reference import load_reference
from flows.domain.units import UnitResolver
from flows.reading.rows import Observation
from flows.reading.submission import FileReading
from tests.generators.casebook_writers import _plain
from tests.generators.combinations_files import (
    read_file,
    reading_problems,
    table_digest,
    write_table,
)
from tests.generators.combinations_sheet import render
from tests.generators.combinations_tables import Table, pairwise_tables

TEXT_TABLES = [
    table
    for table in pairwise_tables()
    if table.option("container") in ("csv-utf-8", "csv-utf-8-sig")
]


@pytest.fixture(scope="module")
def resolver():
    return UnitResolver(load_reference())


def write_word_table(table: Table, path: Path) -> None:
    """The table's sheet as one Word table in a report, after an introduction."""
    plan, _ = render(table)
    document = docx.Document()
    document.add_paragraph("PHỤ LỤC")
    document.add_paragraph("Kết quả thực hiện các chỉ tiêu chủ yếu (kèm theo báo cáo)")
    width = max(len(row) for row in plan.rows)
    word_table = document.add_table(rows=len(plan.rows), cols=width)
    for r, row in enumerate(plan.rows):
        for c, item in enumerate(row):
            value = _plain(item)
            if value is not None and value != "":
                word_table.cell(r, c).text = str(value)
    for r1, c1, r2, c2 in plan.merges:
        word_table.cell(r1 - 1, c1 - 1).merge(word_table.cell(r2 - 1, c2 - 1))
    document.save(str(path))


def _comparable(observation: Observation) -> tuple:
    return (
        observation.indicator_code,
        observation.period_code,
        observation.value,
        observation.qualifier,
        observation.denominator,
        observation.is_estimate,
        observation.target_text,
        observation.target_low,
        observation.target_high,
        observation.target_direction,
        observation.target_per_year,
        observation.original_text,
        observation.source_cell,
        observation.source_row,
        observation.unit,
    )


def _only_table(reading: FileReading):
    tables = [s for s in reading.submissions if s.source_kind in ("spreadsheet", "word_table")]
    assert len(tables) == 1, [s.rejection for s in reading.submissions]
    return tables[0]


@pytest.mark.parametrize("table", TEXT_TABLES, ids=table_digest)
def test_a_word_table_reads_as_the_same_table_in_a_sheet(table, tmp_path, catalog, resolver):
    sheet_path, expected = write_table(table, tmp_path, stem="sheet")
    report_path = tmp_path / "report.docx"
    write_word_table(table, report_path)

    sheet = _only_table(read_file(sheet_path, catalog, resolver))
    report_reading = read_file(report_path, catalog, resolver)
    report = _only_table(report_reading)

    assert report.source_kind == "word_table"
    assert report.source_sheet == "Bảng 1"
    assert not report.is_rejected, report.rejection
    assert (report.unit_key, report.period_code, report.report_date) == (
        sheet.unit_key,
        sheet.period_code,
        sheet.report_date,
    )
    assert sorted(map(_comparable, report.observations)) == sorted(
        map(_comparable, sheet.observations)
    )
    assert [i.message for i in report.issues] == [i.message for i in sheet.issues]
    # The table's own metadata as the sheet's, beside what the report's header said.
    table_metadata = {k: v for k, v in report.metadata.items() if k in sheet.metadata}
    assert table_metadata == sheet.metadata
    # And what the spreadsheet must give, the report gives.
    as_sheet = replace(report, metadata=table_metadata)
    assert reading_problems(FileReading([as_sheet]), expected) == []
