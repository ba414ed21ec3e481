"""Clean ward-year submissions at national scale, for the benchmark (issue #7).

``python bench/generate.py --n 10040 --out DIR [--seed S] [--year 2024] [--workers W]``
writes N xlsx workbooks in the standard layout of the submission spec, one ward-year
each, with every catalog indicator in a single "Thực hiện" column. Units are real
pre-2025 wards from :func:`flows.domain.reference.load_reference`; their order is a seeded
shuffle of all 10,035 wards, so the first N of a larger set are exactly the set of
size N (the benchmark sizes nest and one generated pool serves them all). Beyond
10,035 the order starts again with the year before (the same wards reporting
``--year - 1``), and so on.

The sheets are written by the demo writer (:mod:`tools.demo` and its ``demo_sheets`` and
``demo_wards``: sheet writer, ward styles, truth and deterministic xlsx bytes): only the
district and province of the metadata block are set to the ward's own, since the demo
writes Thị xã Đức Phổ, Quảng Ngãi everywhere.
Files are written in parallel by a process pool, and their bytes are deterministic
for a seed.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import os
import random
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook

# The demo writer is a developer tool at the project root (tools/), not in the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.domain.reference import PRE2025, load_reference

# Private helpers of the demo writer, used as they are: the layout lives there only.
from tools.demo import _DemoBuilder, _year_spec
from tools.demo_wards import (
    DISTRICT_NAME,
    DISTRICT_TYPE,
    PROVINCE_NAME,
    Ward,
    _ward_style,
    _ward_truth,
)

DEFAULT_SEED = 2025
DEFAULT_YEAR = 2024
FIRST_YEAR = 2016  # the demo's truth covers 2016-2025
SHEET_TITLE = "Bieu chi tieu"
# How a ward's type is written at the start of its full name (a few names disagree
# with the reference's type column, e.g. 'Thị Trấn Ái Tử' typed as a 'Thị trấn').
_WARD_TYPES = ("Thị trấn", "Phường", "Xã")


@dataclass(frozen=True)
class SubmissionJob:
    """One file to write: a ward, its district and province, the year it reports."""

    index: int
    code: str
    unit_type: str
    short_name: str
    district_type: str
    district_name: str
    province_name: str
    year: int

    @property
    def ward(self) -> Ward:
        return Ward(self.code, self.unit_type, self.short_name)

    @property
    def relative_path(self) -> str:
        """``2024/51/21469-pho-hoa.xlsx``: by year and province, as a landing folder is."""
        return f"{self.year}/{self.code[:2]}/{self.code}-{self.ward.slug}.xlsx"


def _split_ward_name(full_name: str, unit_type: str) -> tuple[str, str]:
    """('Phường', 'Phổ Hòa') from 'Phường Phổ Hòa', so that Ward.name is the full name."""
    for prefix in (unit_type, *_WARD_TYPES):
        if full_name.lower().startswith(prefix.lower() + " "):
            return full_name[: len(prefix)], full_name[len(prefix) + 1 :]
    return unit_type, full_name


def national_wards(seed: int = DEFAULT_SEED) -> list[SubmissionJob]:
    """Every pre-2025 ward with its district and province, in the seeded benchmark order."""
    units = load_reference().admin_units
    units = units[units["scheme"] == PRE2025]
    by_key = {
        row.unit_key: (row.unit_type, row.short_name) for row in units.itertuples(index=False)
    }
    wards = units[units["level"] == "ward"].sort_values("unit_code")
    jobs = []
    for row in wards.itertuples(index=False):
        unit_type, short_name = _split_ward_name(row.unit_name, row.unit_type)
        district_type, district_name = by_key[row.district_key]
        _, province_name = by_key[row.province_key]
        jobs.append(
            SubmissionJob(
                index=0,
                code=row.unit_code,
                unit_type=unit_type,
                short_name=short_name,
                district_type=district_type,
                district_name=district_name,
                province_name=province_name,
                year=0,
            )
        )
    random.Random(f"{seed}:bench-order").shuffle(jobs)
    return jobs


def plan_submissions(n: int, year: int = DEFAULT_YEAR, seed: int = DEFAULT_SEED):
    """The first ``n`` submissions of the benchmark order (a prefix of any larger plan)."""
    wards = national_wards(seed)
    jobs = []
    for index in range(n):
        cycle, position = divmod(index, len(wards))
        if year - cycle < FIRST_YEAR:
            raise ValueError(f"at most {len(wards) * (year - FIRST_YEAR + 1)} submissions")
        jobs.append(dataclasses.replace(wards[position], index=index, year=year - cycle))
    return jobs


# ------------------------------------------------------------------ writing (in workers)

_BUILDER: _DemoBuilder | None = None


def _init_worker(out_dir: Path, seed: int) -> None:
    """One demo builder (catalog, demo truth) per process, reused for every file."""
    global _BUILDER
    from flows.domain.catalog import load_catalog

    _BUILDER = _DemoBuilder(out_dir, seed, load_catalog())


def _relocate(job: SubmissionJob):
    """An ``extra`` hook for the demo writer: the ward's own district and province."""
    replacements = {
        f"ĐẢNG BỘ {DISTRICT_TYPE.upper()} {DISTRICT_NAME.upper()}": (
            f"ĐẢNG BỘ {job.district_type.upper()} {job.district_name.upper()}"
        ),
        f"{DISTRICT_TYPE}:": f"{job.district_type}:",
        f"{DISTRICT_TYPE}: {DISTRICT_NAME}": f"{job.district_type}: {job.district_name}",
        DISTRICT_NAME: job.district_name,
        f"Tỉnh: {PROVINCE_NAME}": f"Tỉnh: {job.province_name}",
        PROVINCE_NAME: job.province_name,
    }

    def relocate(workbook: Workbook) -> None:
        sheet = workbook[SHEET_TITLE]
        # The title and metadata block are the first dozen rows; the table comes after.
        for row in sheet.iter_rows(min_row=1, max_row=14):
            for cell in row:
                if isinstance(cell.value, str) and cell.value in replacements:
                    cell.value = replacements[cell.value]

    return relocate


def write_submission(job: SubmissionJob, revision: int = 0) -> tuple[str, int]:
    """Write one file through the demo writer; returns (relative path, values written).

    ``revision`` > 0 writes the ward's correction of the same report: one more party
    member admitted, the rest of the sheet byte-for-byte the same cell forms.
    """
    builder = _BUILDER
    if builder is None:
        raise RuntimeError("call _init_worker first")
    ward = job.ward
    truth = _ward_truth(ward, builder.seed)
    style = _ward_style(ward, job.index, builder.seed)
    spec = _year_spec(ward, style, random.Random(f"{builder.seed}:{ward.code}:files"), job.year)
    # Clean submissions: no unmapped row, no assessment column, whatever the ward code.
    spec = dataclasses.replace(spec, unmapped_row=False, assessment_column=False)
    if revision:
        corrected = truth[job.year]["XD.KET_NAP_DV"] + revision
        spec = dataclasses.replace(
            spec,
            report_date=date(job.year + 1, 1, 10),
            overrides={("XD.KET_NAP_DV", job.year): corrected},
        )
    relative = job.relative_path
    expected = builder.write_sheet_file(
        relative, spec, truth, extra=_relocate(job), rng_key=relative
    )
    builder.manifest.files.clear()  # the builder's manifest is not needed here
    return relative, len(expected)


def _write_chunk(jobs: list[SubmissionJob]) -> int:
    return sum(write_submission(job)[1] for job in jobs)


def _chunks(items: list, size: int) -> Iterable[list]:
    return (items[start : start + size] for start in range(0, len(items), size))


def generate(
    n: int,
    out_dir: Path,
    seed: int = DEFAULT_SEED,
    year: int = DEFAULT_YEAR,
    workers: int | None = None,
    skip_existing: bool = True,
) -> dict:
    """Write the first ``n`` benchmark submissions into ``out_dir``; returns what was done.

    With ``skip_existing`` a file already there is kept (the bytes are deterministic),
    so a larger pool can grow from a smaller one.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    jobs = plan_submissions(n, year, seed)
    todo = [j for j in jobs if not (skip_existing and (out_dir / j.relative_path).exists())]
    workers = workers or len(os.sched_getaffinity(0))
    values = 0
    if workers <= 1 or len(todo) < 64:
        _init_worker(out_dir, seed)
        values = _write_chunk(todo)
    else:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(out_dir, seed)
        ) as pool:
            values = sum(pool.map(_write_chunk, list(_chunks(todo, 32))))
    return {
        "n": n,
        "written": len(todo),
        "kept": len(jobs) - len(todo),
        "values_written": values,
        "seconds": round(time.perf_counter() - started, 2),
        "workers": workers,
        "out_dir": str(out_dir),
    }


def revise_submission(job: SubmissionJob, out_dir: Path, seed: int = DEFAULT_SEED) -> Path:
    """Replace one file by its corrected version (a new inode: pools are hard-linked)."""
    out_dir = Path(out_dir).resolve()
    path = out_dir / job.relative_path
    path.unlink(missing_ok=True)
    _init_worker(out_dir, seed)
    write_submission(job, revision=1)
    now = time.time()
    os.utime(path, (now, now))  # it arrives tonight, after the first version
    return path


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description="Write N clean ward-year submissions.")
    parser.add_argument("--n", type=int, required=True, help="number of submissions")
    parser.add_argument("--out", type=Path, required=True, help="landing folder to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--year", type=int, default=DEFAULT_YEAR)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    parser.add_argument("--overwrite", action="store_true", help="rewrite files that already exist")
    args = parser.parse_args(argv)
    done = generate(
        args.n, args.out, args.seed, args.year, args.workers, skip_existing=not args.overwrite
    )
    rate = done["written"] / done["seconds"] if done["seconds"] else 0.0
    print(
        f"{done['written']} files written ({done['kept']} kept) in {done['out_dir']} "
        f"in {done['seconds']:.1f} s with {done['workers']} processes ({rate:.0f} files/s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
