"""Demo submissions: the wards of Thị xã Đức Phổ (Quảng Ngãi) reporting their indicators.

``python -m tools.demo --out DIR`` (or :func:`generate_demo`) writes xlsx workbooks in
the standard layout of the submission spec (§2): a title block, a metadata block, a
one- or two-row header, section rows, indicator rows and a footnote. 12 of the 15
wards of the town report (21475, 21478 and 21481 do not, on purpose), for the
2015-2020 term (end-of-term review), the 2020-2025 mid-term review, and the years
2024 and 2025. Cells hold a realistic mix of numbers and text as clerks type them.

The returned :class:`DemoManifest` is the truth the tests compare the warehouse
with: every value that must be loaded (after the resubmission), the bad files, the
superseded file. Output is deterministic for a seed, down to the file bytes.

The wards, their truth and styles are in :mod:`tools.demo_wards`; the sheet layout and
the cell forms in :mod:`tools.demo_sheets`; this module writes the files.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from flows.domain.catalog import Catalog, load_catalog
from tools.demo_sheets import UNMAPPED_NAME, SheetSpec, ValueColumn, _SheetWriter
from tools.demo_wards import (
    HIDDEN_SHEET_WARD,
    NON_REPORTING_UNIT_CODES,
    NOTES_SHEET_WARD,
    RESUBMITTING_WARD,
    UNMAPPED_ROW_WARDS,
    WARDS,
    Ward,
    _ward_style,
    _ward_truth,
    _WardStyle,
)

FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)


# ------------------------------------------------------------------ files


@dataclass
class DemoManifest:
    """The truth about a generated demo landing folder (paths relative to ``out_dir``)."""

    out_dir: Path
    files: list[str] = field(default_factory=list)
    bad_files: list[str] = field(default_factory=list)
    bad_file_reasons: dict[str, str] = field(default_factory=dict)
    superseded_file: str = ""
    superseding_file: str = ""
    expected_values: list[dict] = field(default_factory=list)
    hidden_sheets: list[tuple[str, str]] = field(default_factory=list)
    sheets_without_table: list[tuple[str, str]] = field(default_factory=list)
    unmapped_rows: list[dict] = field(default_factory=list)
    reporting_unit_codes: list[str] = field(default_factory=list)
    non_reporting_unit_codes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """The manifest as JSON (for ``--manifest``)."""
        data = asdict(self)
        data["out_dir"] = str(self.out_dir)
        return json.dumps(data, ensure_ascii=False, indent=1, default=str)


def _deterministic_xlsx_bytes(workbook: Workbook) -> bytes:
    """The workbook's bytes with fixed timestamps, so a seed always gives the same files."""
    fixed = datetime(*FIXED_ZIP_TIME)
    workbook.properties.creator = "chitieu demo"
    workbook.properties.created = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ")
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    return output.getvalue()


def _save(workbook: Workbook, out_dir: Path, relative: str, received: date) -> None:
    path = out_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_deterministic_xlsx_bytes(workbook))
    # The arrival time follows the report date, so a resubmission also lands later.
    stamp = datetime.combine(received, datetime.min.time()).timestamp() + 12 * 3600
    os.utime(path, (stamp, stamp))


class _DemoBuilder:
    """Writes the demo files one by one and collects the manifest."""

    def __init__(self, out_dir: Path, seed: int, catalog: Catalog) -> None:
        self.out_dir = out_dir
        self.seed = seed
        self.catalog = catalog
        self.manifest = DemoManifest(out_dir=out_dir)
        self.manifest.reporting_unit_codes = [ward.code for ward in WARDS]
        self.manifest.non_reporting_unit_codes = list(NON_REPORTING_UNIT_CODES)
        self.truth = {ward.code: _ward_truth(ward, seed) for ward in WARDS}

    def write_sheet_file(
        self,
        relative: str,
        spec: SheetSpec,
        truth: dict[int, dict[str, float]],
        expected: bool = True,
        extra: Callable[[Workbook], None] | None = None,
        rng_key: str | None = None,
    ) -> dict[tuple[str, str], dict]:
        """One workbook with one submission sheet; returns its expected values.

        ``rng_key`` (default: the path) decides the cell forms; a resubmission reuses
        the first file's key so that only the corrected value differs.
        """
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Bieu chi tieu"
        rng = random.Random(f"{self.seed}:{rng_key or relative}")
        writer = _SheetWriter(sheet, spec, self.catalog, truth, rng)
        writer.write()
        if extra is not None:
            extra(workbook)
        _save(workbook, self.out_dir, relative, spec.report_date)
        self.manifest.files.append(relative)
        for row in writer.unmapped_rows:
            self.manifest.unmapped_rows.append(
                {"file": relative, "sheet": sheet.title, "source_row": row, "name": UNMAPPED_NAME}
            )
        if not expected:
            return {}
        return self._expected_of(relative, sheet.title, spec, writer)

    def _expected_of(
        self, relative: str, sheet_name: str, spec: SheetSpec, writer: _SheetWriter
    ) -> dict[tuple[str, str], dict]:
        rows = {}
        estimates = {column.year: column.is_estimate for column in spec.columns}
        for code, year, written, address in writer.cells:
            if written.value is None:
                continue
            rows[(code, str(year))] = {
                "unit_code": spec.ward.code,
                "indicator_code": code,
                "period_code": str(year),
                "value": float(written.value),
                "qualifier": written.qualifier,
                "is_estimate": estimates[year],
                "source_file": relative,
                "source_sheet": sheet_name,
                "source_cell": address,
            }
        return rows

    def keep(self, rows: dict[tuple[str, str], dict]) -> None:
        self.manifest.expected_values.extend(rows.values())


def _term_end_spec(ward: Ward, style: _WardStyle, rng: random.Random) -> SheetSpec:
    prefix = style.year_header_prefix
    return SheetSpec(
        ward=ward,
        style=style,
        subtitle="Tổng kết nhiệm kỳ 2015 - 2020",
        period_text="Tổng kết nhiệm kỳ 2015-2020",
        term_text="2015-2020",
        report_date=date(2020, 6, rng.randint(5, 25)),
        report_date_form=rng.choice(["cell", "text", "worded"]),
        columns=[ValueColumn(f"{prefix}{year}", year) for year in range(2016, 2021)],
    )


def _mid_term_spec(ward: Ward, style: _WardStyle, rng: random.Random) -> SheetSpec:
    return SheetSpec(
        ward=ward,
        style=style,
        subtitle="Sơ kết giữa nhiệm kỳ 2020 - 2025",
        period_text="Sơ kết giữa nhiệm kỳ 2020 - 2025",
        term_text=None,
        report_date=date(2023, 5, rng.randint(8, 25)),
        report_date_form=rng.choice(["cell", "text", "worded"]),
        columns=[
            ValueColumn("Năm 2021", 2021),
            ValueColumn("Năm 2022", 2022),
            ValueColumn("Ước 2023", 2023, is_estimate=True),
        ],
        group_header="Thực hiện",
        unmapped_row=ward.code == UNMAPPED_ROW_WARDS[0],
    )


def _year_spec(ward: Ward, style: _WardStyle, rng: random.Random, year: int) -> SheetSpec:
    report_date = date(year, 12, rng.randint(10, 20)) if year < 2025 else date(2025, 6, 20)
    return SheetSpec(
        ward=ward,
        style=style,
        subtitle=f"Năm {year}",
        period_text=f"Năm {year}",
        term_text="2020-2025",
        report_date=report_date,
        report_date_form=rng.choice(["cell", "text"]),
        columns=[ValueColumn("Thực hiện", year)],
        assessment_column=year == 2025,
        unmapped_row=ward.code in UNMAPPED_ROW_WARDS,
    )


def _add_hidden_draft(truth: dict[int, dict[str, float]], spec: SheetSpec, catalog: Catalog):
    """A hidden scratch sheet holding a whole table of wrong numbers: it must be ignored."""

    def add(workbook: Workbook) -> None:
        draft = workbook.create_sheet("Nhap (an)")
        doubled = {year: {k: v * 2 for k, v in values.items()} for year, values in truth.items()}
        _SheetWriter(draft, spec, catalog, doubled, random.Random(0)).write()
        draft.sheet_state = "hidden"

    return add


def _add_instructions(workbook: Workbook) -> None:
    """A visible sheet without a table (instructions), which the parser passes over."""
    sheet = workbook.create_sheet("Huong dan")
    sheet["A1"] = "Hướng dẫn ghi biểu"
    sheet["A2"] = "Ghi số liệu vào cột Thực hiện; tỷ lệ ghi theo %, số tiền ghi theo đồng."


def _write_ward(builder: _DemoBuilder, ward: Ward, index: int) -> None:
    seed, catalog = builder.seed, builder.catalog
    style = _ward_style(ward, index, seed)
    rng = random.Random(f"{seed}:{ward.code}:files")
    truth = builder.truth[ward.code]
    builder.keep(
        builder.write_sheet_file(
            f"tong-ket-2015-2020/{ward.slug}.xlsx", _term_end_spec(ward, style, rng), truth
        )
    )
    builder.keep(
        builder.write_sheet_file(
            f"so-ket-2020-2025/{ward.slug}.xlsx", _mid_term_spec(ward, style, rng), truth
        )
    )
    spec_2024 = _year_spec(ward, style, rng, 2024)
    extra = _add_instructions if ward.code == NOTES_SHEET_WARD else None
    first_2024 = builder.write_sheet_file(
        f"nam-2024/{ward.slug}.xlsx", spec_2024, truth, extra=extra
    )
    if ward.code == RESUBMITTING_WARD:
        first_2024 = _write_resubmission(builder, ward, spec_2024, truth)
    builder.keep(first_2024)
    spec_2025 = _year_spec(ward, style, rng, 2025)
    extra = _add_hidden_draft(truth, spec_2025, catalog) if ward.code == HIDDEN_SHEET_WARD else None
    builder.keep(
        builder.write_sheet_file(f"nam-2025/{ward.slug}.xlsx", spec_2025, truth, extra=extra)
    )
    if extra is not None:
        builder.manifest.hidden_sheets.append((f"nam-2025/{ward.slug}.xlsx", "Nhap (an)"))
    if ward.code == NOTES_SHEET_WARD:
        builder.manifest.sheets_without_table.append((f"nam-2024/{ward.slug}.xlsx", "Huong dan"))


def _write_resubmission(
    builder: _DemoBuilder, ward: Ward, first: SheetSpec, truth: dict[int, dict[str, float]]
) -> dict[tuple[str, str], dict]:
    """The ward corrects one value of its 2024 report and sends the whole sheet again."""
    corrected = truth[2024]["XD.KET_NAP_DV"] + 1
    spec = SheetSpec(
        **{
            **first.__dict__,
            "report_date": date(2025, 1, 10),
            "overrides": {("XD.KET_NAP_DV", 2024): corrected},
            "row_notes": {"XD.KET_NAP_DV": "Bổ sung: kết nạp thêm 01 đảng viên ngày 28/12/2024"},
        }
    )
    relative = f"nam-2024/{ward.slug}-bo-sung.xlsx"
    builder.manifest.superseded_file = f"nam-2024/{ward.slug}.xlsx"
    builder.manifest.superseding_file = relative
    return builder.write_sheet_file(relative, spec, truth, rng_key=builder.manifest.superseded_file)


def _write_bad_files(builder: _DemoBuilder) -> None:
    corrupt = "loi/bao-cao-hong.xlsx"
    path = builder.out_dir / corrupt
    path.parent.mkdir(parents=True, exist_ok=True)
    # What a webmail download of an expired attachment looks like: an HTML page.
    page = "<html><head><title>Lỗi</title></head><body>Tệp đính kèm đã hết hạn.</body></html>\n"
    path.write_bytes(page.encode())
    builder.manifest.files.append(corrupt)
    builder.manifest.bad_files.append(corrupt)
    builder.manifest.bad_file_reasons[corrupt] = "not a zip: unreadable file"

    unknown = Ward("99999", "Phường", "Không Tồn Tại")
    style = _ward_style(unknown, 0, builder.seed)
    spec = _year_spec(unknown, style, random.Random(builder.seed), 2024)
    relative = "loi/don-vi-khong-ro.xlsx"
    builder.write_sheet_file(relative, spec, builder.truth[WARDS[0].code], expected=False)
    builder.manifest.bad_files.append(relative)
    builder.manifest.bad_file_reasons[relative] = "unit 99999 does not exist"


def generate_demo(out_dir: Path, seed: int = 2025) -> DemoManifest:
    """Write the demo landing folder into ``out_dir`` and return its truth."""
    out_dir = Path(out_dir)
    builder = _DemoBuilder(out_dir, seed, load_catalog())
    for index, ward in enumerate(WARDS):
        _write_ward(builder, ward, index)
    _write_bad_files(builder)
    builder.manifest.files.sort()
    builder.manifest.bad_files.sort()
    return builder.manifest


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.demo --out DIR [--seed N] [--manifest FILE]``."""
    parser = argparse.ArgumentParser(description="Write the demo ward submissions.")
    parser.add_argument("--out", type=Path, required=True, help="landing folder to write")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--manifest", type=Path, help="also write the truth as JSON here")
    args = parser.parse_args(argv)
    manifest = generate_demo(args.out, args.seed)
    if args.manifest:
        args.manifest.write_text(manifest.to_json(), encoding="utf-8")
    size = sum((args.out / name).stat().st_size for name in manifest.files)
    print(
        f"{len(manifest.files)} files ({size / 1024:.0f} KiB) in {args.out}: "
        f"{len(manifest.expected_values)} expected values, bad files: {manifest.bad_files}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
