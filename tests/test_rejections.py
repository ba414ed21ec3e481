"""Rejections with nothing lost: the real nightly flow on a folder of bad and good files.

The files come from :func:`tests.generators.rejection_cases.write_rejection_cases`; its casebook
says, per file and sheet, what must become of it. The flow runs once on that folder;
a second run (on a copy, so the first run's warehouse stays as the tests read it)
adds two resubmissions and checks that nothing else changes.
"""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest

from tests.generators.rejection_cases import (
    FileCase,
    RejectionCasebook,
    SheetCase,
    write_rejection_cases,
    write_resubmissions,
)

pytestmark = pytest.mark.slow

GOOD_CASES = (
    "good_single",
    "good_district_workbook",
    "good_by_name",
    "good_by_name_across_reorganisation",
    "unmapped_row",
    "mixed_sheets",
    "cell_errors",
)
WHOLE_FILE_REJECTIONS = (
    "corrupt",
    "truncated",
    "corrupt_part",
    "pdf_as_xlsx",
    "text_as_xls",
    "password",
    "empty_workbook",
    "zero_bytes",
    "no_table",
    "pdf_without_text",
    "unsupported_extension",
)
SHEET_REJECTIONS = (
    "unknown_unit_code",
    "unit_name_unknown",
    "unit_name_wrong_district",
    "unit_name_ambiguous",
    "unit_name_ambiguous_in_province",
    "mixed_sheets",
)
# Letters that only Vietnamese text has: the first half of a reason must be Vietnamese.
_VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]", re.IGNORECASE)


@pytest.fixture(scope="module")
def first_run(prefect_server, tmp_path_factory):
    """The casebook written into a landing folder and the real flow run once on it."""
    from flows.nightly import nightly_pipeline

    root = tmp_path_factory.mktemp("rejections")
    raw_dir = root / "raw"
    book = write_rejection_cases(raw_dir)
    warehouse = root / "warehouse" / "warehouse.duckdb"
    summary = nightly_pipeline(raw_dir=str(raw_dir), warehouse=str(warehouse))
    return {"book": book, "summary": summary, "warehouse": warehouse, "root": root}


@pytest.fixture(scope="module")
def book(first_run) -> RejectionCasebook:
    return first_run["book"]


@pytest.fixture(scope="module")
def con(first_run):
    connection = duckdb.connect(str(first_run["warehouse"]), read_only=True)
    yield connection
    connection.close()


def _status_rows(con, relative_path: str) -> list[dict]:
    cursor = con.execute(
        "select source_sheet, status, reason, unit_key, period_code, n_values, n_errors "
        "from marts.rpt_submission_status where source_file = ? order by source_sheet",
        [relative_path],
    )
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _status_of(con, case: FileCase, sheet: SheetCase) -> dict:
    rows = [r for r in _status_rows(con, case.relative_path) if r["source_sheet"] == sheet.sheet]
    assert len(rows) == 1, (case.relative_path, sheet.sheet, rows)
    return rows[0]


def _assert_bilingual(reason: str, sheet: SheetCase) -> None:
    """Vietnamese first, then ' / ', then English; each half holds its expected texts."""
    assert reason and " / " in reason, reason
    vietnamese, _, english = reason.partition(" / ")
    assert _VIETNAMESE.search(vietnamese), reason
    for text in sheet.reason_vi:
        assert text in vietnamese, (text, reason)
    for text in sheet.reason_en:
        assert text in english, (text, reason)
    if sheet.sheet is not None:  # a sheet-level rejection names its sheet in both languages
        assert f"'{sheet.sheet}'" in vietnamese and f"'{sheet.sheet}'" in english, reason


def _loaded_values(con, case: FileCase, sheet: SheetCase) -> dict[tuple[str, str], tuple]:
    rows = con.execute(
        "select indicator_code, period_code, value, source_cell from marts.fct_indicator_value "
        "where unit_key = ? and source_file = ? and source_sheet = ?",
        [sheet.unit_key, case.relative_path, sheet.sheet],
    ).fetchall()
    return {(code, period): (value, cell) for code, period, value, cell in rows}


def _assert_values_loaded(con, case: FileCase, sheet: SheetCase) -> None:
    loaded = _loaded_values(con, case, sheet)
    assert sheet.expected_values, "a loaded sheet must expect values"
    missing = [v for v in sheet.expected_values if (v.indicator_code, v.period_code) not in loaded]
    assert not missing, missing[:5]
    wrong = [
        (v, loaded[(v.indicator_code, v.period_code)])
        for v in sheet.expected_values
        if loaded[(v.indicator_code, v.period_code)] != (pytest.approx(v.value), v.source_cell)
    ]
    assert not wrong, wrong[:5]


# ------------------------------------------------------------------ nothing lost


def test_every_file_of_the_landing_folder_has_an_outcome(first_run, con, book):
    raw_dir = first_run["root"] / "raw"
    on_disk = sorted(p.relative_to(raw_dir).as_posix() for p in raw_dir.rglob("*") if p.is_file())
    assert on_disk == book.files
    assert first_run["summary"]["files_seen"] == len(on_disk)
    sql = "select distinct source_file from marts.rpt_submission_status"
    with_outcome = {row[0] for row in con.execute(sql).fetchall()}
    assert set(on_disk) <= with_outcome, sorted(set(on_disk) - with_outcome)


def test_the_casebook_covers_every_case(book):
    assert set(GOOD_CASES) | set(WHOLE_FILE_REJECTIONS) | set(SHEET_REJECTIONS) == set(book.cases)


def _outcome(status: str) -> str:
    """Warnings (outliers against peers, say) load the values: for these cases, 'loaded'."""
    return "loaded" if status == "loaded_with_warnings" else status


def test_each_sheet_has_exactly_its_expected_outcome(con, book):
    """No extra submission (hidden or instruction sheets), no missing one."""
    for case in book.cases.values():
        got = sorted(
            (str(r["source_sheet"]), _outcome(r["status"]))
            for r in _status_rows(con, case.relative_path)
        )
        expected = sorted((str(s.sheet), s.status) for s in case.sheets)
        assert got == expected, case.case_id


def test_run_summary_counts(first_run, book):
    summary = first_run["summary"]
    sheets = book.sheet_cases()
    assert summary["submissions_read"] == len(sheets)
    assert summary["submissions_rejected"] == sum(s.status == "rejected" for _, s in sheets)
    assert summary["submissions_loaded"] == sum(s.status == "loaded" for _, s in sheets)
    assert summary["files_unchanged"] == 0
    assert summary["values_loaded"] == sum(len(s.expected_values) for _, s in sheets)
    # Only the 150 % reaches the gate; the #REF! and the formula never became values.
    assert summary["values_rejected"] == 1
    assert summary["hidden_sheets_skipped"] == sum(
        len(c.hidden_sheets) for c in book.cases.values()
    )
    assert summary["sheets_without_table"] == sum(
        len(c.sheets_without_table) for c in book.cases.values()
    )


def test_run_summary_lists_every_rejection_with_its_reason(first_run, book):
    listed = {(r["file"], r["sheet"]): r["reason"] for r in first_run["summary"]["rejections"]}
    expected = [(c, s) for c, s in book.sheet_cases() if s.status == "rejected"]
    assert len(listed) == len(expected)
    for case, sheet in expected:
        reason = listed.get((case.relative_path, sheet.sheet))
        assert reason is not None, (case.relative_path, sheet.sheet)
        _assert_bilingual(reason, sheet)


# ------------------------------------------------------------------ rejected files


@pytest.mark.parametrize("case_id", WHOLE_FILE_REJECTIONS)
def test_whole_file_is_rejected_with_a_bilingual_reason(con, book, case_id):
    case = book.cases[case_id]
    assert case.is_rejected_whole
    (sheet,) = case.sheets
    row = _status_of(con, case, sheet)
    assert row["status"] == "rejected"
    assert row["unit_key"] is None and row["n_values"] == 0
    _assert_bilingual(row["reason"], sheet)


@pytest.mark.parametrize("case_id", SHEET_REJECTIONS)
def test_sheet_is_rejected_with_a_bilingual_reason_naming_it(con, book, case_id):
    case = book.cases[case_id]
    rejected = [s for s in case.sheets if s.status == "rejected"]
    assert rejected
    for sheet in rejected:
        row = _status_of(con, case, sheet)
        assert row["status"] == "rejected"
        assert row["unit_key"] is None
        _assert_bilingual(row["reason"], sheet)
        loaded = con.execute(
            "select count(*) from marts.fct_indicator_value where source_file = ? "
            "and source_sheet = ?",
            [case.relative_path, sheet.sheet],
        ).fetchone()[0]
        assert loaded == 0


def test_ambiguous_name_lists_the_candidates(con, book):
    row = _status_of(
        con, book.cases["unit_name_ambiguous"], book.cases["unit_name_ambiguous"].sheets[0]
    )
    candidates = re.findall(r"\b\d{5} (?:Xã|Phường) Tân Lập\b", row["reason"].partition(" / ")[0])
    assert len(candidates) >= 2, row["reason"]


def test_ambiguous_candidates_name_their_district_and_province(con, book):
    case = book.cases["unit_name_ambiguous_in_province"]
    vietnamese, _, english = _status_of(con, case, case.sheets[0])["reason"].partition(" / ")
    for half in (vietnamese, english):
        assert "Mộc Hóa" in half and "Tân Thạnh" in half, half


def test_unknown_name_lists_the_same_name_elsewhere(con, book):
    case = book.cases["unit_name_wrong_district"]
    vietnamese, _, english = _status_of(con, case, case.sheets[0])["reason"].partition(" / ")
    for half in (vietnamese, english):
        assert "21469" in half and "Đức Phổ" in half, half


# ------------------------------------------------------------------ what must load


@pytest.mark.parametrize("case_id", GOOD_CASES)
def test_good_sheets_load_beside_the_rejections(con, book, case_id):
    case = book.cases[case_id]
    for sheet in (s for s in case.sheets if s.status == "loaded"):
        row = _status_of(con, case, sheet)
        assert _outcome(row["status"]) == "loaded", row
        assert (row["unit_key"], row["period_code"]) == (sheet.unit_key, sheet.period_code)
        assert row["n_values"] == len(sheet.expected_values)
        _assert_values_loaded(con, case, sheet)


def test_hidden_and_instruction_sheets_are_not_submissions(con, book):
    case = book.cases["good_district_workbook"]
    sheets = {r["source_sheet"] for r in _status_rows(con, case.relative_path)}
    assert not sheets & set(case.hidden_sheets + case.sheets_without_table)
    # The hidden draft holds the same ward's table with every number doubled.
    first = next(s for s in case.sheets if s.unit_key == "pre2025:21442")
    _assert_values_loaded(con, case, first)


def test_bad_cells_reject_their_value_only(con, book):
    case = book.cases["cell_errors"]
    (sheet,) = case.sheets
    issues = con.execute(
        "select i.source_cell, i.rule, i.message from raw.issues as i "
        "join raw.submissions as s using (submission_id) where s.source_file = ?",
        [case.relative_path],
    ).fetchall()
    by_cell = {cell: (rule, message) for cell, rule, message in issues}
    assert set(by_cell) == set(sheet.rejected_cells), issues
    for cell, rule in sheet.rejected_cells.items():
        got_rule, message = by_cell[cell]
        assert got_rule == rule
        vietnamese, _, english = message.partition(" / ")
        assert _VIETNAMESE.search(vietnamese) and english, message
        assert cell in vietnamese and cell in english, message
    row = _status_of(con, case, sheet)
    # The contract: accepted, so 'loaded' (or with warnings); its errors are counted and named.
    assert _outcome(row["status"]) == "loaded" and row["n_errors"] == len(sheet.rejected_cells)
    assert all(cell in row["reason"] for cell in sheet.rejected_cells), row["reason"]
    rejected_cells = con.execute(
        "select source_cell from marts.fct_indicator_value where source_file = ?",
        [case.relative_path],
    ).fetchall()
    assert not {c for (c,) in rejected_cells} & set(sheet.rejected_cells)
    _assert_values_loaded(con, case, sheet)


def test_unmapped_rows_are_kept_for_review(first_run, con, book):
    expected = {
        (case.relative_path, sheet.sheet, row.source_row, row.name_text)
        for case, sheet in book.sheet_cases()
        for row in sheet.unmapped_rows
    }
    assert expected, "the casebook must hold an unmapped row"
    got = set(
        con.execute(
            "select source_file, source_sheet, source_row, name_text from marts.rpt_unmapped_rows"
        ).fetchall()
    )
    assert got == expected
    assert first_run["summary"]["unmapped_rows"] == len(expected)
    values_text, unit_key = con.execute(
        "select values_text, unit_key from marts.rpt_unmapped_rows"
    ).fetchone()
    assert values_text and unit_key == book.cases["unmapped_row"].sheets[0].unit_key


# ------------------------------------------------------------------ second run


@pytest.fixture(scope="module")
def second_run(first_run):
    """The flow again on a copy of the same folder and warehouse, plus two resubmissions."""
    from flows.nightly import nightly_pipeline

    root = first_run["root"]
    raw_dir = root / "raw-again"
    shutil.copytree(root / "raw", raw_dir)  # copy2 keeps arrival times (mtime)
    warehouse = root / "warehouse-again" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    shutil.copy2(first_run["warehouse"], warehouse)
    resubmissions = write_resubmissions(raw_dir)
    summary = nightly_pipeline(raw_dir=str(raw_dir), warehouse=str(warehouse))
    return {"summary": summary, "warehouse": warehouse, "resubmissions": resubmissions}


def _status_table(path) -> dict[str, tuple]:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        rows = connection.execute(
            "select submission_id, source_file, source_sheet, status, reason "
            "from marts.rpt_submission_status"
        ).fetchall()
        return {row[0]: row[1:] for row in rows}
    finally:
        connection.close()


def _count(path, sql: str) -> int:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def test_second_run_loads_only_the_new_files(first_run, second_run):
    first, again = first_run["summary"], second_run["summary"]
    new_cases = [r.case for r in second_run["resubmissions"]]
    assert again["files_seen"] == first["files_seen"] + len(new_cases)
    # Files already staged are not parsed again: only the new ones are read.
    assert again["files_unchanged"] == first["files_seen"]
    assert again["submissions_read"] == len(new_cases)
    assert again["submissions_loaded"] == len(new_cases)
    assert again["submissions_rejected"] == 0 and again["rejections"] == []
    assert again["values_loaded"] == sum(len(c.sheets[0].expected_values) for c in new_cases)
    # The resubmissions may carry warnings (outliers among their peers), never errors.
    new_issues = (
        "select count(*) from raw.issues where submission_id in (select submission_id from "
        f"raw.submissions where run_id = '{again['run_id']}')"
    )
    added_issues = _count(second_run["warehouse"], new_issues)
    assert _count(second_run["warehouse"], new_issues + " and severity = 'error'") == 0
    for table, added in (
        ("raw.submissions", len(new_cases)),
        ("raw.issues", added_issues),
        ("raw.unmapped_rows", 0),
    ):
        before = _count(first_run["warehouse"], f"select count(*) from {table}")
        assert _count(second_run["warehouse"], f"select count(*) from {table}") == before + added
    # A resubmission replaces values; it adds no unit × indicator × period.
    sql = "select count(*) from marts.fct_indicator_value"
    assert _count(second_run["warehouse"], sql) == _count(first_run["warehouse"], sql)


def test_resubmissions_supersede_and_both_stay(first_run, second_run):
    """Later report date (Phổ Hòa), or same date and later arrival (Phổ An's sheet)."""
    before = _status_table(first_run["warehouse"])
    after = _status_table(second_run["warehouse"])
    resubmissions = second_run["resubmissions"]
    replaced = {(r.supersedes_file, r.supersedes_sheet) for r in resubmissions}
    assert set(before) < set(after) and len(after) == len(before) + len(resubmissions)
    for submission_id, (source_file, sheet, status, reason) in before.items():
        expected = "superseded" if (source_file, sheet) in replaced else status
        assert after[submission_id] == (source_file, sheet, expected, reason), (source_file, sheet)
    new = sorted((row[0], _outcome(row[2])) for sid, row in after.items() if sid not in before)
    assert new == sorted((r.case.relative_path, "loaded") for r in resubmissions)
    connection = duckdb.connect(str(second_run["warehouse"]), read_only=True)
    try:
        for resubmission in resubmissions:
            sheet = resubmission.case.sheets[0]
            _assert_values_loaded(connection, resubmission.case, sheet)
            n_versions = connection.execute(
                "select n_versions from marts.fct_indicator_value where unit_key = ? "
                "and indicator_code = 'XD.KET_NAP_DV' and period_code = '2024'",
                [sheet.unit_key],
            ).fetchone()[0]
            assert n_versions == 2, sheet.unit_key
    finally:
        connection.close()
