"""Drawn tables written with real writers, read back with the real reader, and compared.

:func:`write_table` writes a :class:`~tests.generators.combinations_tables.Table` in its container
(openpyxl or xlsxwriter .xlsx, xlwt .xls with its number formats, odfpy .ods, CSV in UTF-8,
UTF-8 with BOM or Windows-1258); :func:`read_problems` reads the file as the parse stage
does (:func:`flows.reading.files.read_submissions`) and lists every way the reading
differs from what :func:`~tests.generators.combinations_sheet.render` says it must be;
:func:`keep_failure` copies a failing file where a person can open it.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

from flows.reading.files import read_submissions
from flows.reading.submission import FileReading, LandedFile
from tests.generators.casebook_plan import Put, SheetPlan
from tests.generators.casebook_writers import (
    _plain,
    _write_csv,
    _write_ods,
    _write_xlsx,
    _write_xlsx_xlsxwriter,
)
from tests.generators.combinations_sheet import Expected, render
from tests.generators.combinations_tables import Table

EXTENSIONS = {
    "xlsx-openpyxl": ".xlsx",
    "xlsx-xlsxwriter": ".xlsx",
    "xls": ".xls",
    "ods": ".ods",
    "csv-utf-8": ".csv",
    "csv-utf-8-sig": ".csv",
    "csv-cp1258": ".csv",
}
# (encoding, delimiter) of each CSV: Vietnamese-locale Excel exports separate with ";".
CSV_FORMATS = {
    "csv-utf-8": ("utf-8", ","),
    "csv-utf-8-sig": ("utf-8-sig", ";"),
    "csv-cp1258": ("cp1258", ";"),
}


def table_digest(table: Table) -> str:
    """A short name for a table, the same on every run."""
    return hashlib.sha256(repr(table).encode()).hexdigest()[:12]


def _write_xls(path: Path, plan: SheetPlan) -> None:
    """The plan as .xls (xlwt) with its fonts and percent formats, as Excel 97-2003 saves them.

    (The casebook's xls writer leaves number formats out.)
    """
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet(plan.name)
    styles: dict[tuple[str | None, str | None], xlwt.XFStyle] = {}

    def style(font_name: str | None, number_format: str | None) -> xlwt.XFStyle:
        if (font_name, number_format) not in styles:
            xf = xlwt.XFStyle()
            if font_name:
                font = xlwt.Font()
                font.name = font_name
                xf.font = font
            if number_format:
                xf.num_format_str = number_format
            styles[(font_name, number_format)] = xf
        return styles[(font_name, number_format)]

    for r, row in enumerate(plan.rows):
        for c, item in enumerate(row):
            value = _plain(item)
            if value is None:
                continue
            number_format = item.percent_format if isinstance(item, Put) else None
            font_name = plan.font if isinstance(value, str) else None
            sheet.write(r, c, value, style(font_name, number_format))
    for r1, c1, r2, c2 in plan.merges:
        sheet.merge(r1 - 1, r2 - 1, c1 - 1, c2 - 1)
    workbook.save(str(path))


def write_table(table: Table, folder: Path, stem: str | None = None) -> tuple[Path, Expected]:
    """Write ``table`` into ``folder`` (named ``stem`` or its digest); the file and what
    reading it must give."""
    plan, expected = render(table)
    container = table.option("container")
    path = Path(folder) / f"{stem or table_digest(table)}{EXTENSIONS[container]}"
    if container == "xlsx-openpyxl":
        _write_xlsx(path, [plan])
    elif container == "xlsx-xlsxwriter":
        _write_xlsx_xlsxwriter(path, [plan])
    elif container == "xls":
        _write_xls(path, plan)
    elif container == "ods":
        _write_ods(path, [plan])
    else:
        _write_csv(path, plan, *CSV_FORMATS[container])
    return path, expected


def read_file(path: Path, catalog, resolver) -> FileReading:
    """The file read as the parse stage reads a landed file."""
    data = path.read_bytes()
    landed = LandedFile(
        path=path,
        relative_path=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        received_at=datetime.now(UTC),
    )
    return read_submissions(landed, catalog, resolver)


def _mismatch(cell: str, what: str, read: object, must: object) -> str:
    return f"{cell}: {what} read {read!r}, must be {must!r}"


def reading_problems(reading: FileReading, expected: Expected) -> list[str]:
    """Every difference between a file's reading and what it must be; none when right."""
    problems = [f"sheet without a table: {name}" for name in reading.sheets_without_table]
    problems += [f"hidden sheet: {name}" for name in reading.hidden_sheets]
    if len(reading.submissions) != 1:
        return [*problems, f"{len(reading.submissions)} submissions, must be 1"]
    submission = reading.submissions[0]
    if submission.rejection is not None:
        return [*problems, f"rejected: {submission.rejection.message}"]
    for what, read, must in (
        ("metadata labels", len(submission.metadata), expected.labels),
        ("unit", submission.unit_key, expected.unit_key),
        ("period", submission.period_code, expected.period_code),
        ("report date", submission.report_date, expected.report_date),
    ):
        if read != must:
            problems.append(_mismatch("sheet", what, read, must))
    problems += [
        f"issue {issue.rule} at {issue.source_cell}: {issue.message_en}"
        for issue in submission.issues
    ]
    problems += [
        f"unmapped row {row.source_row}: code {row.code_text!r}, name {row.name_text!r}"
        for row in submission.unmapped_rows
    ]
    found: dict[str, list] = {}
    for observation in submission.observations:
        found.setdefault(observation.source_cell, []).append(observation)
    for cell, must in expected.values.items():
        read = found.pop(cell, [])
        if len(read) != 1:
            problems.append(
                f"{cell}: {len(read)} observations, must be {must.indicator_code} = "
                f"{must.value} for {must.period_code} ({must.original_text!r})"
            )
            continue
        observation = read[0]
        target = (
            observation.target_low,
            observation.target_high,
            observation.target_direction,
            observation.target_per_year,
        )
        for what, got, want in (
            ("indicator", observation.indicator_code, must.indicator_code),
            ("value", observation.value, must.value),
            ("qualifier", observation.qualifier, "="),
            ("denominator", observation.denominator, None),
            ("period", observation.period_code, must.period_code),
            ("estimate", observation.is_estimate, must.is_estimate),
            ("unit", observation.unit, must.unit),
            ("original text", observation.original_text, must.original_text),
            ("target", target, must.target),
            ("note kept", observation.note is not None, must.has_note),
        ):
            if got != want:
                problems.append(_mismatch(cell, what, got, want))
    for cell, extra in found.items():
        problems += [
            f"{cell}: unexpected {o.indicator_code} = {o.value} ({o.original_text!r})"
            for o in extra
        ]
    return problems


def check_table(table: Table, folder: Path, catalog, resolver) -> tuple[Path, list[str]]:
    """Write ``table``, read it back: the file and the list of problems (empty when right)."""
    path, expected = write_table(table, folder)
    return path, reading_problems(read_file(path, catalog, resolver), expected)


def keep_failure(table: Table, path: Path, problems: list[str], folder: Path, name: str) -> Path:
    """Copy a failing file to ``folder`` as ``name`` (replacing an earlier one of that name),
    with a ``.txt`` beside it describing the table and its problems; the copy's path."""
    folder.mkdir(parents=True, exist_ok=True)
    for earlier in folder.glob(f"{name}.*"):
        earlier.unlink()
    kept = folder / f"{name}{path.suffix}"
    shutil.copyfile(path, kept)
    kept.with_suffix(".txt").write_text(
        f"{kept.name}\n{table.describe()}\nproblems:\n" + "".join(f"  {p}\n" for p in problems),
        encoding="utf-8",
    )
    return kept


__all__ = ["check_table", "keep_failure", "read_file", "reading_problems", "write_table"]
