"""The casebook: small generated workbooks covering every form of the submission spec.

:func:`write_casebook` writes a handful of files (one per container and one per layout
family) into a folder and returns one :class:`Case` per interesting cell: what the
parser must read there (value, qualifier, denominator, estimate flag, period, unit)
or which issue it must report, and where (file, sheet, cell). Nothing here is a
hand-edited binary: every fixture is built from the plans (``casebook_cells``,
``casebook_layouts``, on the vocabulary of ``casebook_plan``) and written by
``casebook_writers``, so a new form seen in the field is one more line in a plan.

What is covered, by section of ``submission-format.md``:

- §1 containers: .xlsx, .xlsm, .xls (xlwt), .ods (odfpy), .csv in UTF-8, UTF-8 with
  BOM, UTF-16 with BOM and Windows-1258 with ``;`` and ``,``; several sheets per
  workbook, with a hidden sheet and a sheet without a table (:data:`SKIPPED_SHEETS`).
- §2 layouts: title blocks and merged cells, every metadata label, ``label: value`` in
  one cell or in two, one- and two-row headers with every header spelling, year,
  estimate, target, mid-term and clerk-computed columns, section and footnote rows,
  every period form.
- §3 every row of the value table, the target forms, ditto marks and row units.
- §4 text in NFC, NFD, old-style tones, non-breaking spaces, TCVN3 and VNI.

``python -m tests.generators.casebook --out DIR`` writes the files for a look in a spreadsheet.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from tests.generators.casebook_cells import _targets_plan, _text_plans, _values_plan
from tests.generators.casebook_layouts import _container_plan, _layout_plans, _skipped_plans
from tests.generators.casebook_plan import (
    NGUYEN_NGHIEM,
    PHO_AN,
    PHO_HOA,
    PHO_MINH,
    PHO_NINH,
    PHO_PHONG,
    PHO_QUANG,
    PHO_THUAN,
    PHO_VAN,
    Put,
    SheetPlan,
    _catalog,
    casebook_catalog,
)
from tests.generators.casebook_writers import _write_csv, _write_ods, _write_xls, _write_xlsx

# ------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Case:
    """One cell of the casebook and what parsing it must give.

    With ``has_value`` an observation must come from ``cell`` with these fields;
    without it, none may (blank cells, cell errors, clerk-computed cells). When
    ``issue_rule`` is set, a cell issue of that rule and severity must name ``cell``;
    otherwise no issue may. ``unit`` is the unit of the stored value (``đồng``, ``%``,
    ``‰``...), ``unit_code`` the GSO code of the ward the sheet is about, ``target``
    ``(low, high, direction, per_year)`` of the row's target when the case is about it.
    """

    case_id: str
    covers: str
    file: str
    sheet: str
    cell: str
    indicator_code: str
    unit_code: str
    period_code: str | None
    has_value: bool = True
    value: float | None = None
    qualifier: str = "="
    denominator: float | None = None
    is_estimate: bool = False
    unit: str | None = None
    original_text: str | None = None
    target: tuple[float | None, float | None, str | None, bool] | None = None
    issue_rule: str | None = None
    issue_severity: str | None = None


# Sheets that must be skipped, by (file, sheet): the reason the run summary gives.
SKIPPED_SHEETS: dict[tuple[str, str], str] = {
    ("bo-cuc-nhieu-trang.xlsx", "Nháp"): "hidden",
    ("bo-cuc-nhieu-trang.xlsx", "Hướng dẫn"): "no_indicator_table",
}


# ------------------------------------------------------------------ the casebook


def _cases_of(file: str, plan: SheetPlan) -> list[Case]:
    """The cases of one written sheet, their addresses taken from the plan's layout."""
    from flows.reading.workbook import cell_address

    catalog = _catalog()
    cases = []
    for r, row in enumerate(plan.rows):
        for c, item in enumerate(row):
            if not isinstance(item, Put) or item.expect is None:
                continue
            expect = item.expect
            indicator = catalog.indicators[expect.indicator_code]
            cases.append(
                Case(
                    case_id=expect.case_id,
                    covers=expect.covers,
                    file=file,
                    sheet=plan.name,
                    cell=cell_address(r, c),
                    indicator_code=expect.indicator_code,
                    unit_code=plan.unit_code,
                    period_code=expect.period_code or plan.period_code,
                    has_value=expect.has_value,
                    value=expect.value,
                    qualifier=expect.qualifier,
                    denominator=expect.denominator,
                    is_estimate=expect.is_estimate,
                    unit=expect.unit if expect.unit is not None else indicator.unit,
                    original_text=expect.original_text,
                    target=expect.target,
                    issue_rule=expect.issue_rule,
                    issue_severity=expect.issue_severity,
                )
            )
    return cases


_WORKBOOK, _XLS, _ODS, _CSV = "workbook", "xls", "ods", "csv"
# (tag, encoding, delimiter, ward) of each CSV export.
_CSV_FILES = (
    ("utf8-comma", "utf-8", ",", PHO_THUAN),
    ("utf8-bom-semicolon", "utf-8-sig", ";", PHO_VAN),
    ("utf16-semicolon", "utf-16", ";", PHO_QUANG),
    ("cp1258-semicolon", "cp1258", ";", PHO_NINH),
    ("cp1258-comma", "cp1258", ",", PHO_MINH),
)


def _casebook_files() -> list[tuple[str, str, list[SheetPlan], str, str]]:
    """(file, writer, plans, csv encoding, csv delimiter) of every file of the casebook."""
    files: list[tuple[str, str, list[SheetPlan], str, str]] = [
        ("gia-tri.xlsx", _WORKBOOK, [_values_plan(), _targets_plan()], "", ""),
        ("bo-cuc-nhieu-trang.xlsx", _WORKBOOK, [*_layout_plans(), *_skipped_plans()], "", ""),
        ("van-ban.xlsx", _WORKBOOK, _text_plans(), "", ""),
        (
            "dinh-dang/bao-cao.xlsx",
            _WORKBOOK,
            [_container_plan("Biểu 01", PHO_HOA, "xlsx", True)],
            "",
            "",
        ),
        (
            "dinh-dang/bao-cao-macro.xlsm",
            _WORKBOOK,
            [_container_plan("Biểu 01", NGUYEN_NGHIEM, "xlsm", True)],
            "",
            "",
        ),
        ("dinh-dang/bao-cao.xls", _XLS, [_container_plan("Biểu 01", PHO_AN, "xls", True)], "", ""),
        (
            "dinh-dang/bao-cao.ods",
            _ODS,
            [_container_plan("Biểu 01", PHO_PHONG, "ods", True)],
            "",
            "",
        ),
    ]
    for tag, encoding, delimiter, ward in _CSV_FILES:
        file = f"dinh-dang/bao-cao-{tag}.csv"
        plan = _container_plan(Path(file).stem, ward, tag, False)
        files.append((file, _CSV, [plan], encoding, delimiter))
    return files


def _write_file(path: Path, writer: str, plans: list[SheetPlan], encoding: str, delimiter: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    if writer == _WORKBOOK:
        _write_xlsx(path, plans, macro_enabled=path.suffix == ".xlsm")
    elif writer == _XLS:
        _write_xls(path, plans)
    elif writer == _ODS:
        _write_ods(path, plans)
    else:
        _write_csv(path, plans[0], encoding, delimiter)


def _build(out_dir: Path | None) -> list[Case]:
    cases: list[Case] = []
    for file, writer, plans, encoding, delimiter in _casebook_files():
        if out_dir is not None:
            _write_file(Path(out_dir) / file, writer, plans, encoding, delimiter)
        for plan in plans:
            if not plan.hidden:
                cases.extend(_cases_of(file, plan))
    _check_unique(cases)
    return cases


def casebook_cases() -> list[Case]:
    """Every case of the casebook, without writing any file (for test ids)."""
    return _build(None)


def write_casebook(out_dir: Path) -> list[Case]:
    """Write the casebook files into ``out_dir`` and return every case, ids unique."""
    return _build(Path(out_dir))


def _check_unique(cases: list[Case]) -> None:
    seen: set[str] = set()
    for case in cases:
        if case.case_id in seen:
            raise ValueError(f"duplicate casebook id {case.case_id}")
        seen.add(case.case_id)


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.generators.casebook --out DIR``: write the casebook and list its cases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    args = parser.parse_args(argv)
    cases = write_casebook(args.out)
    for case in cases:
        print(f"{case.case_id:32} {case.file} [{case.sheet}] {case.cell}")
    print(f"{len(cases)} cases in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "SKIPPED_SHEETS",
    "Case",
    "casebook_cases",
    "casebook_catalog",
    "write_casebook",
]
