"""Reading one landed file into its submissions: a spreadsheet, a report, or a reviewed workbook.

A spreadsheet gives one submission per visible sheet holding an indicator table; a
narrative report (.docx, .doc, .pdf) its Word tables and its prose's candidates
(:mod:`flows.reading.narrative`); a workbook written by ``chitieu review`` and filled in by
a reviewer, the figures it accepts. Whatever goes wrong, the file has an outcome: a
rejected submission saying why.
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from pathlib import Path

from flows.reading import narrative
from flows.reading.errors import UnreadableFile, damaged_file, no_table_reason
from flows.reading.safety import check_container
from flows.reading.submission import (
    FileReading,
    LandedFile,
    from_parsed_sheet,
    internal_error,
    over_reader_limit,
    resolve_unit,
    unreadable_file,
)
from flows.reading.table import missing_table_reason, parse_sheet
from flows.reading.workbook import read_workbook

_log = logging.getLogger(__name__)

# What zipfile raises, besides BadZipFile, for a part it cannot inflate: an unsupported
# compression method or version (NotImplementedError), a part cut short (EOFError).
_DAMAGED_ZIP = (zlib.error, zipfile.BadZipFile, NotImplementedError, EOFError)


def read_submissions(landed: LandedFile, catalog, resolver) -> FileReading:
    """Read one landed file into submissions: one per visible sheet holding a table.

    A file that cannot be read, or whose visible sheets hold no indicator table,
    becomes one rejected submission, so that every file has an outcome. So does any
    failure while reading it: a :class:`MemoryError` rejects the file under the rule
    ``reader_limit``, any other exception (a bug here, a panic in calamine, which is no
    :class:`Exception`) under ``internal_error``; only an interrupt or an exit goes on up.
    Whoever reads many files (the parse stage's workers, a Dask worker) loses that file,
    never the others.
    """
    try:
        return _read_file(landed, catalog, resolver)
    except (KeyboardInterrupt, SystemExit):
        raise
    except MemoryError:
        return FileReading([over_reader_limit(landed, "hết bộ nhớ", "it ran out of memory")])
    except BaseException as error:
        _log.error("internal error reading %s", landed.relative_path, exc_info=error)
        return FileReading([internal_error(landed, type(error).__name__, str(error))])


def _read_file(landed: LandedFile, catalog, resolver) -> FileReading:
    """:func:`read_submissions`, letting an unexpected exception go."""
    try:
        data = landed.path.read_bytes()
        if narrative.is_report(landed.relative_path):
            return narrative.read_report(landed, data, catalog, resolver)
        # The container is opened and its small parts decompressed once, for both steps.
        package = check_container(data)
        # A CSV's one sheet is named after the file, as the clerk named it, not the archive copy.
        grids = read_workbook(landed.path, data, package, csv_name=Path(landed.relative_path).stem)
        if narrative.is_review_workbook(grids):
            return FileReading([narrative.review_submission(landed, grids, catalog)])
    except _DAMAGED_ZIP:
        # A part whose compressed stream or checksum is corrupt, or cut short, or compressed
        # in a way zipfile cannot inflate, found while inflating it.
        damaged = damaged_file()
        return FileReading([unreadable_file(landed, damaged.reason_vi, damaged.reason_en)])
    except UnreadableFile as error:
        return FileReading([unreadable_file(landed, error.reason_vi, error.reason_en)])
    reading = FileReading(submissions=[])
    for grid in grids:
        if not grid.visible:
            reading.hidden_sheets.append(grid.name)
            continue
        parsed = parse_sheet(grid, catalog)
        if parsed is None:
            reading.sheets_without_table.append(grid.name)
            continue
        submission = from_parsed_sheet(landed, parsed)
        resolve_unit(submission, parsed, resolver, f"Trang '{grid.name}'", f"Sheet '{grid.name}'")
        reading.submissions.append(submission)
    if not reading.submissions:
        # What each visible sheet nearly had: worked out only for a file rejected for it.
        nearly = [missing_table_reason(grid) for grid in grids if grid.visible]
        reason_vi, reason_en = no_table_reason(
            reading.sheets_without_table + reading.hidden_sheets, nearly
        )
        reading.submissions.append(unreadable_file(landed, reason_vi, reason_en))
    return reading
