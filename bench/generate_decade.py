"""Ten years of national submissions, written by several tools, for the decade benchmark (#26).

``python bench/generate_decade.py [--wards N] [--years 10|2016-2025] [--workers W] [--force]``
writes, for every pre-2025 ward (or the first ``N`` of the benchmark's seeded order,
:func:`bench.generate.national_wards`) and every year of the range, one workbook with the
ward's yearly sheet ("Năm 2018"). The years that close half a term carry the ward's review
of it as a second sheet of that year's workbook: the mid-term review of 2015-2020 in 2018
(2016, 2017 and "Ước 2018"), the end-of-term 2015-2020 in 2020 (2016-2020), the mid-term
2020-2025 in 2023 and the end-of-term 2020-2025 in 2025. A CSV holds one sheet only, so a
CSV ward-year sends its review as a second file beside the yearly one.

Every sheet is the demo's (:mod:`tools.demo_sheets`): the 35 catalog indicators with each
ward's own consistent truth (:func:`tools.demo_wards._ward_truth`: population and party
members that trend year on year, ratios computed from their parts), its clerk's habits
(:func:`tools.demo_wards._ward_style`, the same every year) and the district and province
of the ward. The sheet is laid out once in memory with openpyxl, then saved by the file's
writer, drawn per ward-year: openpyxl (the demo's deterministic package) or xlsxwriter in
equal parts of what the shares leave, and by default 5 % each as .xls (xlwt), .ods (odfpy)
and .csv, through the casebook's container writers (:mod:`tests.generators.casebook_writers`).
Those writers hold no date cell, so outside openpyxl a report date is typed as text
(``15/12/2018``), one of the forms clerks use anyway.

The folder is a cache: ``bench/data/decade-<key>/`` where the key hashes the parameters
(seed, wards, years, shares) and the source of every module that shapes a file. Inside it,
``raw/`` is the landing folder, ``manifest/part-NNNNN.jsonl.gz`` says what each file holds
(one JSON line per file: writer, unit, and per sheet its period, report date and every
value with its cell), and ``generation.json``, written last, marks it complete. A complete
folder is reused; an interrupted one resumes at the first chunk without its manifest part;
``--force`` starts again. Files are written by a process pool (``--workers``, default every
core) in chunks of wards, and their bytes are deterministic for a seed.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import multiprocessing
import os
import random
import re
import shutil
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

# The demo writer and the casebook's writers live at the project root, not in the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import DEFAULT_SEED, SHEET_TITLE, SubmissionJob, national_wards
from flows.domain.catalog import Catalog, load_catalog
from tests.generators.casebook_plan import SheetPlan
from tests.generators.casebook_writers import (
    _write_csv,
    _write_ods,
    _write_xls,
    _write_xlsx_xlsxwriter,
)
from tools.demo import FIXED_ZIP_TIME, _save, _year_spec
from tools.demo_sheets import SheetSpec, ValueColumn, _SheetWriter
from tools.demo_wards import (
    DISTRICT_NAME,
    DISTRICT_TYPE,
    PROVINCE_NAME,
    Ward,
    _ward_style,
    _ward_truth,
    _WardStyle,
)

ROOT = Path(__file__).resolve().parent.parent
FIRST_YEAR, LAST_YEAR = 2016, 2025
WRITERS = ("openpyxl", "xlsxwriter", "xls", "ods", "csv")
EXTENSIONS = {"openpyxl": "xlsx", "xlsxwriter": "xlsx", "xls": "xls", "ods": "ods", "csv": "csv"}
# The share of the ward-years each minor container takes; openpyxl and xlsxwriter split the rest.
DEFAULT_SHARES = {"xls": 0.05, "ods": 0.05, "csv": 0.05}
# CSV as clerks export it: Excel's "CSV UTF-8" (a BOM, commas), or a Vietnamese-locale list
# separator (semicolons, no BOM).
CSV_FORMS = (("utf-8-sig", ","), ("utf-8", ";"))
WARDS_PER_CHUNK = 20
CACHE_ROOT = ROOT / "bench" / "data"
MEMORY_TMP = Path("/dev/shm")
# Every module whose code decides a file's bytes or the manifest: a change to any of them
# is a new cache key.
SOURCES = (
    "bench/generate_decade.py",
    "bench/generate.py",
    "tools/demo.py",
    "tools/demo_sheets.py",
    "tools/demo_wards.py",
    "tests/generators/casebook_writers.py",
    "tests/generators/casebook_plan.py",
    "flows/domain/catalog.py",
    "flows/domain/reference.py",
    "dbt_project/seeds/indicator_catalog.csv",
)


@dataclass(frozen=True)
class TermReview:
    """A review of a term written in one of the years: its sheet and what it reports."""

    year: int  # the year whose workbook holds it
    start: int
    end: int
    mid_term: bool

    @property
    def period_code(self) -> str:
        return f"{self.start}-{self.end}" + ("-MID" if self.mid_term else "")

    @property
    def sheet_name(self) -> str:
        return ("So ket " if self.mid_term else "Tong ket ") + f"{self.start}-{self.end}"

    @property
    def file_suffix(self) -> str:
        """The CSV companion file's suffix: ``so-ket-2015-2020``."""
        return self.sheet_name.lower().replace(" ", "-")


TERM_REVIEWS = {
    review.year: review
    for review in (
        TermReview(2018, 2015, 2020, mid_term=True),
        TermReview(2020, 2015, 2020, mid_term=False),
        TermReview(2023, 2020, 2025, mid_term=True),
        TermReview(2025, 2020, 2025, mid_term=False),
    )
}


@dataclass(frozen=True)
class DecadeJob:
    """One ward-year: the ward (with its district and province), the year, the file's writer."""

    ward: SubmissionJob
    ward_index: int  # the ward's place in the benchmark order: its clerk's style
    year: int
    writer: str
    csv_form: tuple[str, str] = CSV_FORMS[0]

    @property
    def stem(self) -> str:
        """``2018/51/21469-pho-hoa``: by year and province, as a landing folder is."""
        return f"{self.year}/{self.ward.code[:2]}/{self.ward.code}-{self.ward.ward.slug}"

    @property
    def relative_path(self) -> str:
        return f"{self.stem}.{EXTENSIONS[self.writer]}"


@dataclass(frozen=True)
class DecadePlan:
    """The parameters of a decade workload; they, and the generator's source, key its cache."""

    wards: int | None = None  # None: every pre-2025 ward
    first_year: int = FIRST_YEAR
    last_year: int = LAST_YEAR
    seed: int = DEFAULT_SEED
    shares: tuple[tuple[str, float], ...] = tuple(sorted(DEFAULT_SHARES.items()))

    def __post_init__(self) -> None:
        if not FIRST_YEAR <= self.first_year <= self.last_year <= LAST_YEAR:
            raise ValueError(f"years must lie within {FIRST_YEAR}-{LAST_YEAR}")
        unknown = {name for name, _ in self.shares} - set(WRITERS[2:])
        if unknown or sum(share for _, share in self.shares) > 1:
            raise ValueError(f"shares are for {WRITERS[2:]} and add up to at most 1")

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)

    def cache_key(self) -> str:
        """Hashes the parameters and the source of every module that shapes a file."""
        digest = hashlib.sha256(json.dumps(self.__dict__, sort_keys=True).encode())
        for relative in SOURCES:
            digest.update((ROOT / relative).read_bytes())
        wards = "all" if self.wards is None else str(self.wards)
        return f"w{wards}-y{self.first_year}-{self.last_year}-{digest.hexdigest()[:12]}"

    def draw_writer(self, code: str, year: int) -> tuple[str, tuple[str, str]]:
        """The ward-year's writer (seeded, so any scale agrees) and, for a CSV, its form."""
        rng = random.Random(f"{self.seed}:{code}:{year}:writer")
        roll, bound = rng.random(), 0.0
        for name, share in self.shares:
            bound += share
            if roll < bound:
                return name, CSV_FORMS[rng.randrange(len(CSV_FORMS))]
        # What the shares leave is split evenly between the two xlsx writers.
        return ("openpyxl" if (roll - bound) < (1 - bound) / 2 else "xlsxwriter"), CSV_FORMS[0]

    def jobs(self) -> list[DecadeJob]:
        """Every ward-year, ward by ward in the benchmark order, years in order."""
        wards = national_wards(self.seed)
        if self.wards is not None:
            wards = wards[: self.wards]
        jobs = []
        for index, ward in enumerate(wards):
            for year in self.years:
                writer, csv_form = self.draw_writer(ward.code, year)
                jobs.append(DecadeJob(ward, index, year, writer, csv_form))
        return jobs


# ------------------------------------------------------------------ sheets


def _term_of(year: int) -> str:
    """The term a yearly report belongs to: a term's congress is held in its first year."""
    return "2015-2020" if year < 2020 else "2020-2025"


def _yearly_spec(ward: Ward, style: _WardStyle, rng: random.Random, year: int) -> SheetSpec:
    """The demo's yearly sheet, clean: no unmapped row, no assessment column."""
    spec = _year_spec(ward, style, rng, year)
    return replace(spec, term_text=_term_of(year), unmapped_row=False, assessment_column=False)


def _review_spec(
    review: TermReview, ward: Ward, style: _WardStyle, rng: random.Random
) -> SheetSpec:
    """A term's review as the demo writes one: mid-term in May with its third year estimated,
    end of term in June with the years of the term."""
    span = f"{review.start} - {review.end}"
    if review.mid_term:
        years = range(review.start + 1, review.start + 4)
        columns = [ValueColumn(f"Năm {year}", year) for year in years[:-1]]
        columns.append(ValueColumn(f"Ước {years[-1]}", years[-1], is_estimate=True))
        title, when, group = f"Sơ kết giữa nhiệm kỳ {span}", date(review.year, 5, 1), "Thực hiện"
    else:
        prefix = style.year_header_prefix
        years = range(review.start + 1, review.end + 1)
        columns = [ValueColumn(f"{prefix}{year}", year) for year in years]
        title, when, group = f"Tổng kết nhiệm kỳ {span}", date(review.year, 6, 1), None
    return SheetSpec(
        ward=ward,
        style=style,
        subtitle=title,
        period_text=title,
        term_text=None if review.mid_term else f"{review.start}-{review.end}",
        report_date=when.replace(day=rng.randint(5, 25)),
        report_date_form=rng.choice(["cell", "text", "worded"]),
        columns=columns,
        group_header=group,
    )


def _relocate(sheet: Worksheet, job: DecadeJob, spec: SheetSpec) -> None:
    """The ward's own district and province where the demo writes Đức Phổ, Quảng Ngãi, and
    the estimated year in the footnote where the demo writes 2023."""
    ward = job.ward
    replacements = {
        f"ĐẢNG BỘ {DISTRICT_TYPE.upper()} {DISTRICT_NAME.upper()}": (
            f"ĐẢNG BỘ {ward.district_type.upper()} {ward.district_name.upper()}"
        ),
        f"{DISTRICT_TYPE}:": f"{ward.district_type}:",
        f"{DISTRICT_TYPE}: {DISTRICT_NAME}": f"{ward.district_type}: {ward.district_name}",
        DISTRICT_NAME: ward.district_name,
        f"Tỉnh: {PROVINCE_NAME}": f"Tỉnh: {ward.province_name}",
        PROVINCE_NAME: ward.province_name,
    }
    estimated = [column.year for column in spec.columns if column.is_estimate]
    if estimated:
        replacements["(1) Số liệu năm 2023 là số ước tính."] = (
            f"(1) Số liệu năm {estimated[0]} là số ước tính."
        )
    # The title and metadata block are the first dozen rows, the footnotes the last few:
    # walking the table too would cost as much as writing it.
    last = sheet.max_row
    for rows in (sheet.iter_rows(max_row=14), sheet.iter_rows(min_row=max(15, last - 8))):
        for row in rows:
            for cell in row:
                if isinstance(cell.value, str) and cell.value in replacements:
                    cell.value = replacements[cell.value]


def _expected_sheet(name: str, period_code: str, spec: SheetSpec, writer: _SheetWriter) -> dict:
    """What the reader must give for one sheet: its period, report date and every value."""
    estimates = {column.year: column.is_estimate for column in spec.columns}
    values = [
        [code, str(year), float(written.value), written.qualifier, estimates[year], address]
        for code, year, written, address in writer.cells
        if written.value is not None
    ]
    return {
        "sheet": name,
        "period_code": period_code,
        "report_date": spec.report_date.isoformat(),
        "values": values,
    }


def build_workbook(
    job: DecadeJob, seed: int, catalog: Catalog, revision: int = 0
) -> tuple[Workbook, list[dict]]:
    """The ward-year's sheets laid out in memory, and what each must read as.

    ``revision`` > 0 is the ward's correction of its yearly report: that many more party
    members admitted, dated the next January, every other cell the same form.
    """
    ward = job.ward.ward
    truth = _ward_truth(ward, seed)
    style = _ward_style(ward, job.ward_index, seed)
    rng = random.Random(f"{seed}:{job.stem}:dates")
    yearly = _yearly_spec(ward, style, rng, job.year)
    if revision:
        corrected = truth[job.year]["XD.KET_NAP_DV"] + revision
        yearly = replace(
            yearly,
            report_date=date(job.year + 1, 1, 10),
            overrides={("XD.KET_NAP_DV", job.year): corrected},
        )
    sheets = [(SHEET_TITLE, str(job.year), yearly)]
    review = TERM_REVIEWS.get(job.year)
    if review is not None:
        sheets.append(
            (review.sheet_name, review.period_code, _review_spec(review, ward, style, rng))
        )
    workbook = Workbook()
    expected = []
    for number, (name, period_code, spec) in enumerate(sheets):
        sheet = workbook.active if number == 0 else workbook.create_sheet(name)
        sheet.title = name
        # The cell forms are keyed by file and sheet, not revision: a correction differs
        # from the first version in its corrected value and its date only.
        writer = _SheetWriter(
            sheet, spec, catalog, truth, random.Random(f"{seed}:{job.stem}:{name}")
        )
        writer.write()
        _relocate(sheet, job, spec)
        expected.append(_expected_sheet(name, period_code, spec, writer))
    return workbook, expected


# ------------------------------------------------------------------ containers


def _plan_of(sheet: Worksheet, unit_code: str, period_code: str) -> SheetPlan:
    """The laid-out sheet as a casebook plan (values and merges); a date becomes its text."""
    rows = [
        [value.strftime("%d/%m/%Y") if isinstance(value, datetime) else value for value in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    merges = [
        (cells.min_row, cells.min_col, cells.max_row, cells.max_col)
        for cells in sheet.merged_cells.ranges
    ]
    return SheetPlan(sheet.title, rows, unit_code, period_code, merges=merges)


def _fixed_package_dates(path: Path) -> None:
    """xlsxwriter stamps its package, and odfpy its zip entries, with the time of writing:
    the demo's fixed time instead, so that a seed always gives the same bytes."""
    stamp = datetime(*FIXED_ZIP_TIME).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    output = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(output, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data
                )
            # The compression of each entry is kept: an ODF's mimetype must stay stored.
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = info.compress_type
            target.writestr(entry, data)
    path.write_bytes(output.getvalue())


def _fresh_odfpy_namespaces() -> None:
    """odfpy gathers the namespaces every document of the process used in a class attribute
    and declares them all in the next one: forgotten before each document, so that a file's
    bytes do not depend on what the process wrote before it."""
    from odf.element import Element

    Element.namespaces.clear()


def _csv_companion(job: DecadeJob) -> str:
    review = TERM_REVIEWS[job.year]
    return f"{job.stem}-{review.file_suffix}.csv"


def write_job(job: DecadeJob, out_dir: Path, seed: int, catalog: Catalog, revision: int = 0):
    """Write one ward-year with its writer; returns its manifest records (one per file)."""
    workbook, sheets = build_workbook(job, seed, catalog, revision)
    received = max(date.fromisoformat(sheet["report_date"]) for sheet in sheets)
    record = {
        "file": job.relative_path,
        "writer": job.writer,
        "unit_code": job.ward.code,
        "year": job.year,
        "sheets": sheets,
    }
    if job.writer == "openpyxl":
        _save(workbook, out_dir, job.relative_path, received)
        return [record]
    plans = [
        _plan_of(workbook[sheet["sheet"]], job.ward.code, sheet["period_code"]) for sheet in sheets
    ]
    if job.writer != "csv":
        path = out_dir / job.relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        if job.writer == "xlsxwriter":
            _write_xlsx_xlsxwriter(path, plans)
            _fixed_package_dates(path)
        elif job.writer == "xls":
            _write_xls(path, plans)
        else:
            _fresh_odfpy_namespaces()
            _write_ods(path, plans)
            _fixed_package_dates(path)
        _stamp(path, received)
        return [record]
    # A CSV holds one sheet: the term's review goes in a file of its own beside the year's.
    records = []
    for number, (plan, sheet) in enumerate(zip(plans, sheets, strict=True)):
        relative = job.relative_path if number == 0 else _csv_companion(job)
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_csv(path, plan, *job.csv_form)
        _stamp(path, date.fromisoformat(sheet["report_date"]))
        # The reader names a CSV's one sheet after the file.
        records.append({**record, "file": relative, "sheets": [{**sheet, "sheet": path.stem}]})
    return records


def _stamp(path: Path, received: date) -> None:
    """The arrival time follows the report date, as the demo's files do."""
    stamp = datetime.combine(received, datetime.min.time()).timestamp() + 12 * 3600
    os.utime(path, (stamp, stamp))


# ------------------------------------------------------------------ generation


_CATALOG: list[Catalog] = []


def _catalog() -> Catalog:
    if not _CATALOG:
        _CATALOG.append(load_catalog())
    return _CATALOG[0]


@contextmanager
def _memory_tempdir() -> Iterator[None]:
    """xlsxwriter writes each part of a package to a temporary file before zipping them:
    on a memory file system when there is one, which halves its cost on a plain disk."""
    previous = tempfile.tempdir
    if os.access(MEMORY_TMP, os.W_OK):
        tempfile.tempdir = str(MEMORY_TMP)
    try:
        yield
    finally:
        tempfile.tempdir = previous


def _write_chunk(task: tuple[int, list[DecadeJob], Path, int]) -> dict:
    """Write one chunk of ward-years, then its manifest part (atomically: it marks it done)."""
    number, jobs, folder, seed = task
    raw_dir = folder / "raw"
    with _memory_tempdir():
        records = [record for job in jobs for record in write_job(job, raw_dir, seed, _catalog())]
    part = folder / "manifest" / f"part-{number:05d}.jsonl.gz"
    temporary = part.with_suffix(".tmp")
    # mtime=0: the manifest's bytes are deterministic too.
    with (
        temporary.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle,
    ):
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
    temporary.replace(part)
    return _tally(records)


def _tally(records: Iterable[dict]) -> dict:
    """Files per writer, sheets and values of the records, read as they stream by."""
    files, sheets, values = Counter(), 0, 0
    for record in records:
        files[record["writer"]] += 1
        sheets += len(record["sheets"])
        values += sum(len(sheet["values"]) for sheet in record["sheets"])
    return {"files": dict(files), "sheets": sheets, "values": values}


def _chunks(jobs: list[DecadeJob], years: int, wards_per_chunk: int) -> list[list[DecadeJob]]:
    size = wards_per_chunk * years
    return [jobs[start : start + size] for start in range(0, len(jobs), size)]


def _report_progress(progress: bool, tallies: list[dict], chunks: int, started: float) -> None:
    """About twenty lines over a generation: chunks done, files written and their pace."""
    if not progress or (len(tallies) % max(1, chunks // 20) and len(tallies) != chunks):
        return
    files = sum(sum(tally["files"].values()) for tally in tallies)
    seconds = time.perf_counter() - started
    print(
        f"  {len(tallies)}/{chunks} chunks, {files} files in {seconds:.0f} s "
        f"({files / seconds:.0f} files/s)",
        file=sys.stderr,
        flush=True,
    )


def _folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def generate_decade(
    plan: DecadePlan = DecadePlan(),
    cache_root: Path = CACHE_ROOT,
    workers: int | None = None,
    force: bool = False,
    wards_per_chunk: int = WARDS_PER_CHUNK,
    progress: bool = False,
) -> dict:
    """The decade's folder, written unless a complete one is cached; returns its summary.

    The summary (also ``generation.json`` in the folder) holds the parameters, the folder,
    ``raw_dir``, the files per writer, the sheets and values written, the seconds the
    generation took and the size of ``raw/``. A reused folder's summary is the one of the
    run that wrote it, with ``reused: true``. A chunk of ``wards_per_chunk`` wards (every
    year of each) is a task of the pool and a manifest part; an interrupted generation resumes
    at the first chunk without its part. ``progress`` prints the pace on stderr as it goes.
    """
    folder = Path(cache_root).resolve() / f"decade-{plan.cache_key()}"
    marker = folder / "generation.json"
    if force and folder.exists():
        shutil.rmtree(folder)
    if marker.exists():
        return {**json.loads(marker.read_text(encoding="utf-8")), "reused": True}
    started = time.perf_counter()
    # The parts of an interrupted run are reused only if they were cut the same way.
    chunking = folder / "chunking.json"
    if chunking.exists() and json.loads(chunking.read_text()) != wards_per_chunk:
        shutil.rmtree(folder)
    (folder / "manifest").mkdir(parents=True, exist_ok=True)
    chunking.write_text(json.dumps(wards_per_chunk))
    chunks = _chunks(plan.jobs(), len(plan.years), wards_per_chunk)
    tasks = [
        (number, jobs, folder, plan.seed)
        for number, jobs in enumerate(chunks)
        if not (folder / "manifest" / f"part-{number:05d}.jsonl.gz").exists()
    ]
    workers = workers or len(os.sched_getaffinity(0))
    _catalog()  # loaded before the fork: every worker inherits it
    tallies = []
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            tallies.append(_write_chunk(task))
            _report_progress(progress, tallies, len(tasks), started)
    else:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for tally in pool.map(_write_chunk, tasks):
                tallies.append(tally)
                _report_progress(progress, tallies, len(tasks), started)
    seconds = time.perf_counter() - started
    # The totals are counted over the whole manifest, so a resumed run reports them all.
    total = _tally(read_manifest(folder))
    summary = {
        "plan": {**plan.__dict__, "shares": dict(plan.shares)},
        "folder": str(folder),
        "raw_dir": str(folder / "raw"),
        "wards": len({job.ward.code for chunk in chunks for job in chunk}),
        "ward_years": sum(len(chunk) for chunk in chunks),
        "files": sum(total["files"].values()),
        "files_by_writer": total["files"],
        "sheets": total["sheets"],
        "values": total["values"],
        "chunks_written": len(tallies),
        "seconds": round(seconds, 1),
        "workers": workers,
        "raw_bytes": _folder_size(folder / "raw"),
        "machine": {"cores": os.cpu_count(), "affinity": len(os.sched_getaffinity(0))},
    }
    marker.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return {**summary, "reused": False}


def read_manifest(folder: Path) -> Iterator[dict]:
    """Every file's record, part by part: ``file`` (relative to ``raw/``), ``writer``,
    ``unit_code``, ``year`` and ``sheets``, each with ``sheet``, ``period_code``,
    ``report_date`` and ``values`` as ``[indicator, period, value, qualifier, is_estimate,
    cell]``. DuckDB reads the same parts with ``read_json('manifest/*.jsonl.gz')``."""
    for part in sorted((Path(folder) / "manifest").glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as handle:
            yield from (json.loads(line) for line in handle)


def revise_file(folder: Path, relative_path: str, revision: int = 1) -> dict:
    """Replace one yearly file of a generated decade by the ward's correction, as tonight's.

    The file is unlinked first (a benchmark hard-links the cache into its runs) and written
    by the same writer, with ``revision`` more party members admitted that year; returns the
    corrected file's manifest record.
    """
    folder = Path(folder)
    summary = json.loads((folder / "generation.json").read_text(encoding="utf-8"))
    parameters = summary["plan"]
    plan = DecadePlan(**{**parameters, "shares": tuple(sorted(parameters["shares"].items()))})
    match = re.fullmatch(r"(\d{4})/\d{2}/(\d{5})-[^/]+\.\w+", relative_path)
    if match is None:
        raise ValueError(f"not a yearly file of the decade: {relative_path}")
    year, code = int(match.group(1)), match.group(2)
    found = [job for job in plan.jobs() if job.ward.code == code and job.year == year]
    if not found or found[0].relative_path != relative_path:
        raise ValueError(f"not a yearly file of the decade: {relative_path}")
    raw_dir = folder / "raw"
    (raw_dir / relative_path).unlink(missing_ok=True)
    records = write_job(found[0], raw_dir, plan.seed, _catalog(), revision=revision)
    now = time.time()
    os.utime(raw_dir / relative_path, (now, now))
    return records[0]


def writer_rates(sample: int = 100, plan: DecadePlan = DecadePlan()) -> dict[str, float]:
    """Files per second of each writer, in one process, on the same ``sample`` ward-years."""
    jobs = plan.jobs()[:sample]
    rates = {}
    with tempfile.TemporaryDirectory() as scratch, _memory_tempdir():
        for writer in WRITERS:
            out_dir = Path(scratch) / writer
            started = time.perf_counter()
            for job in jobs:
                write_job(replace(job, writer=writer), out_dir, plan.seed, _catalog())
            rates[writer] = round(len(jobs) / (time.perf_counter() - started), 1)
    return rates


# ------------------------------------------------------------------ command line


def _years(text: str) -> tuple[int, int]:
    """``10`` (the last ten years, to 2025), ``3`` or ``2016-2025``."""
    if "-" in text:
        first, last = (int(part) for part in text.split("-"))
        return first, last
    return LAST_YEAR - int(text) + 1, LAST_YEAR


def _shares(text: str) -> tuple[tuple[str, float], ...]:
    """``xls=0.05,ods=0.05,csv=0.05``."""
    pairs = (item.split("=") for item in text.split(",") if item)
    return tuple(sorted((name.strip(), float(share)) for name, share in pairs))


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description="Write (or reuse) the decade workload.")
    parser.add_argument("--wards", type=int, default=None, help="first N wards (default all)")
    parser.add_argument("--years", default="10", help="last N years, or FIRST-LAST")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--shares", default="xls=0.05,ods=0.05,csv=0.05")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    parser.add_argument("--cache-root", type=Path, default=CACHE_ROOT)
    parser.add_argument("--force", action="store_true", help="regenerate a cached folder")
    parser.add_argument(
        "--writer-rates", type=int, metavar="K", help="only measure files/s per writer on K"
    )
    args = parser.parse_args(argv)
    first, last = _years(args.years)
    plan = DecadePlan(args.wards, first, last, args.seed, _shares(args.shares))
    if args.writer_rates:
        print(json.dumps(writer_rates(args.writer_rates, plan)))
        return 0
    done = generate_decade(plan, args.cache_root, args.workers, args.force, progress=True)
    state = "reused" if done["reused"] else f"written in {done['seconds']:.0f} s"
    print(
        f"{done['files']} files ({done['raw_bytes'] / 2**20:.0f} MiB), {done['sheets']} sheets, "
        f"{done['values']} values, {state} with {done['workers']} processes: {done['raw_dir']}"
    )
    print("by writer:", json.dumps(done["files_by_writer"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
