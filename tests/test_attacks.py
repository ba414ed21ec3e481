"""One regression test per attack of issue #21, each through the real ``chitieu`` command.

The attacks share as few nights as they can. Night A lands, beside a few good files, the
hostile ones (a CSV with a 140 KB cell, a name that is not UTF-8, the 1.2 KB .ods bomb, a
FIFO) and the first versions of the wards whose corrections come on night B (one copied
with an mtime of 2001, one after a first version dated 2099, one after a report date
typed 10/12/2042), with two versions of a ward's report that tie. Copies of the
warehouse folder after night B then take the other attacks: a torn manifest, a ``{}``
line, blobs deleted before ``--full``, a failing build, a damaged published file. A
separate small night checks the reader group. Nights that share nothing run two at a
time, so that the file stays within about three minutes on two cores.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from tests.generators.hostile_files import (
    CSV_FLAVOURS,
    WardYear,
    WrittenFile,
    csv_with_huge_cell,
    grid_of,
    ods_bomb,
    value_of,
    ward_file,
    ward_sheet,
    ward_years,
)
from tests.generators.hostile_night import (
    MEMORY_LIMIT_BYTES,
    Night,
    bilingual_problem,
    kill_survivors,
    run_cli,
    start_cli,
    wait_for_survivors,
)

# Each test reads nights of the real CLI: slow, in `make test`, not `make test-fast`.
pytestmark = pytest.mark.slow

CORRECTED = "XD.KET_NAP_DV"
OLD_RUN_ID = "20200101T000000-aaaaaa"
BAD_NAME = b"bad\xff\xfe-"
# Night A under `ulimit -v 3000000`: the .ods bomb once took 19 s and 8 GB.
MODEST_PARSE_SECONDS = 15
MODEST_NIGHT_SECONDS = 180


def _at(year: int, month: int = 1, day: int = 1) -> float:
    return datetime(year, month, day, 12).timestamp()


def _write(raw: Path | bytes, relative: str | bytes, data: bytes, mtime: float | None = None):
    path = os.path.join(os.fsencode(raw), os.fsencode(relative))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o644)  # as a clerk's copy lands: readable by everyone
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _run(raw: Path, warehouse: Path, *extra: str, **kw) -> Night:
    return run_cli(
        *("run", "--raw-dir", raw, "--warehouse", warehouse, "--json", *extra),
        watch=warehouse,
        **kw,
    )


def _status_rows(warehouse: Path, sql: str, params: list | None = None) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(sql, params or [])
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def _submissions_of(warehouse: Path, data: bytes) -> list[dict]:
    import hashlib

    return _status_rows(
        warehouse,
        "select * from marts.rpt_submission_status where submission_id in "
        "(select submission_id from raw.submissions where file_sha256 = ?) order by source_sheet",
        [hashlib.sha256(data).hexdigest()],
    )


def _current_value(warehouse: Path, who: WardYear, indicator: str = CORRECTED) -> dict:
    (row,) = _status_rows(
        warehouse,
        "select value, submission_id, file_sha256, source_file, source_sheet "
        "from marts.fct_indicator_value "
        "where unit_key = ? and indicator_code = ? and period_code = ?",
        [who.unit_key, indicator, str(who.year)],
    )
    return row


def _submission_ids(warehouse: Path) -> set[str]:
    rows = _status_rows(warehouse, "select submission_id from marts.rpt_submission_status")
    return {row["submission_id"] for row in rows}


def _copy_state(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target / "warehouse.duckdb"


# ------------------------------------------------------------------ the cast


class Cast:
    """The files of the nights, each a distinct ward and year of the reference data."""

    def __init__(self) -> None:
        wards = iter(ward_years(random.Random(2121)))
        self.goods = [
            ward_file(next(wards), fmt, csv_flavour=CSV_FLAVOURS[3])
            for fmt in ("xlsx", "xls", "ods", "csv")
        ]
        self.huge_cell = csv_with_huge_cell(grid_of(ward_sheet(next(wards))[0]))
        self.bad_name_ward = next(wards)
        self.bad_name = ward_file(self.bad_name_ward, "xlsx")
        # Attack 9, 10: first versions (night A) and their corrections (night B).
        self.copied_old, self.dated_2099, self.typed_2042 = (next(wards) for _ in range(3))
        self.first = {
            "copied_old": ward_file(self.copied_old, "xlsx"),
            "dated_2099": ward_file(self.dated_2099, "xlsx"),
            "typed_2042": ward_file(
                self.typed_2042,
                "xlsx",
                report_date=date(2042, 12, 10),
                report_date_form="text",
            ),
        }
        self.correction = {
            "copied_old": self._corrected(self.copied_old, "copied_old"),
            "dated_2099": self._corrected(self.dated_2099, "dated_2099"),
            "typed_2042": self._corrected(
                self.typed_2042, "typed_2042", report_date=date(2025, 1, 10)
            ),
        }
        # Attack 11: two versions that tie (same report date, same arrival).
        self.tied_sheets_ward, self.tied_files_ward = next(wards), next(wards)
        self.tied_workbook = self._two_versions_in_one_workbook(self.tied_sheets_ward)
        self.tied_files = (
            ward_file(self.tied_files_ward, "xlsx"),
            self._corrected(self.tied_files_ward, None),
        )
        # New files of the later nights.
        self.after_cut, self.after_brace, self.on_failing_night, self.stopped_night = (
            ward_file(next(wards), fmt) for fmt in ("ods", "xls", "xlsx", "csv")
        )
        self.reader_group_goods = [ward_file(next(wards), fmt) for fmt in ("xlsx", "csv")]

    def _corrected(self, who: WardYear, role: str | None, **kw) -> WrittenFile:
        first = self.first[role] if role else ward_file(who, "xlsx")
        return ward_file(who, "xlsx", overrides={CORRECTED: value_of(first, CORRECTED) + 1}, **kw)

    @staticmethod
    def _two_versions_in_one_workbook(who: WardYear) -> bytes:
        from tools.demo import _deterministic_xlsx_bytes

        workbook, expected = ward_sheet(who, title="Ban gui lan 1")
        first = next(e.value for e in expected if e.indicator_code == CORRECTED)
        ward_sheet(who, workbook=workbook, title="Ban gui lan 2", overrides={CORRECTED: first + 1})
        return _deterministic_xlsx_bytes(workbook)


@pytest.fixture(scope="module")
def cast() -> Cast:
    return Cast()


# ------------------------------------------------------------------ nights A and B


@pytest.fixture(scope="module")
def pool():
    """Nights that share nothing run two at a time: the file stays within its budget."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="night") as executor:
        yield executor


@pytest.fixture(scope="module")
def reader_group_night(pool, cast, tmp_path_factory) -> Future:
    """A small night of its own with ``CHITIEU_READER_GROUP`` set, started beside night A."""
    group = grp.getgrgid(os.getgid()).gr_name
    return pool.submit(_reader_group_night, cast, tmp_path_factory.mktemp("readers"), group)


@pytest.fixture(scope="module")
def night_a(cast, tmp_path_factory, reader_group_night):
    root = tmp_path_factory.mktemp("attacks")
    raw, warehouse = root / "raw", root / "wh" / "warehouse.duckdb"
    for n, good in enumerate(cast.goods):
        _write(raw, f"tot/bao-cao-{n}{good.extension}", good.data)
    _write(raw, "ghi-chu-dai.csv", cast.huge_cell)
    _write(raw, BAD_NAME + cast.bad_name_ward.slug.encode() + b".xlsx", cast.bad_name.data)
    _write(raw, "bom-1KB.ods", ods_bomb())
    os.mkfifo(raw / "ong-dan.xlsx")
    _write(raw, "sua-loi/ban-dau-sao-chep.xlsx", cast.first["copied_old"].data)
    _write(raw, "sua-loi/ngay-2099.xlsx", cast.first["dated_2099"].data, _at(2099))
    _write(raw, "sua-loi/ngay-bao-cao-2042.xlsx", cast.first["typed_2042"].data)
    _write(raw, "trung/hai-trang.xlsx", cast.tied_workbook)
    same_second = _at(2024, 12, 20)
    _write(raw, "trung/ban-a.xlsx", cast.tied_files[0].data, same_second)
    _write(raw, "trung/ban-b.xlsx", cast.tied_files[1].data, same_second)
    night = _run(raw, warehouse, memory_limit=MEMORY_LIMIT_BYTES, timeout=600)
    return {"root": root, "raw": raw, "warehouse": warehouse, "night": night}


def _published(night: Night, warehouse: Path) -> None:
    if night.returncode != 0 or not warehouse.exists():
        pytest.fail(f"the night failed\n{night.explain()}")


@pytest.fixture(scope="module")
def night_b(cast, night_a):
    """Night B: the corrections, with Data Docs and feedback pages of night A aged past a
    retention of 1 day. Its warehouse folder is kept as ``after_b`` for later attacks."""
    raw, warehouse = night_a["raw"], night_a["warehouse"]
    _published(night_a["night"], warehouse)
    quality = warehouse.parent / "quality"
    run_a = night_a["night"].summary["run_id"]
    for pages in ("docs", "feedback"):
        if (quality / pages / run_a).is_dir():
            old = quality / pages / OLD_RUN_ID
            os.rename(quality / pages / run_a, old)
            os.utime(old, (_at(2020), _at(2020)))
    _write(raw, "sửa lỗi/Bổ sung bản sao chép.xlsx", cast.correction["copied_old"].data, _at(2001))
    _write(raw, "sửa lỗi/Bổ sung sau 2099.xlsx", cast.correction["dated_2099"].data)
    _write(raw, "sửa lỗi/Bổ sung ngày thật.xlsx", cast.correction["typed_2042"].data)
    night = _run(raw, warehouse, env={"CHITIEU_RETENTION_DAYS": "1"}, timeout=600)
    _published(night, warehouse)
    after_b = night_a["root"] / "after_b"
    shutil.copytree(warehouse.parent, after_b)
    return {"night": night, "warehouse": warehouse, "after_b": after_b, "run_a": run_a}


# ------------------------------------------------------------------ 1-4: one file, one night


def test_1_a_csv_with_a_140_kb_cell_is_rejected_and_every_night_goes_on(cast, night_a, night_b):
    assert night_a["night"].returncode == 0, night_a["night"].explain()
    (row,) = _submissions_of(night_a["warehouse"], cast.huge_cell)
    assert row["status"] == "rejected"
    assert bilingual_problem(row["reason"]) is None
    assert night_b["night"].returncode == 0, night_b["night"].explain()


def test_2_a_name_that_is_not_utf8_is_received_and_shown_escaped(cast, night_a):
    assert night_a["night"].returncode == 0, night_a["night"].explain()
    rows = _submissions_of(night_a["warehouse"], cast.bad_name.data)
    assert [r["status"] for r in rows] in (["loaded"], ["loaded_with_warnings"]), rows
    assert rows[0]["source_file"] == f"bad\\xff\\xfe-{cast.bad_name_ward.slug}.xlsx"
    current = _current_value(night_a["warehouse"], cast.bad_name_ward)
    assert current["value"] == value_of(cast.bad_name, CORRECTED)


def test_3_the_ods_bomb_is_rejected_quickly_under_3_gb(night_a):
    night = night_a["night"]
    assert night.returncode == 0, night.explain()  # never 134: aborted
    (row,) = _status_rows(
        night_a["warehouse"],
        "select status, reason from marts.rpt_submission_status where source_file = ?",
        ["bom-1KB.ods"],
    )
    assert row["status"] == "rejected" and bilingual_problem(row["reason"]) is None
    assert night.summary["seconds_by_stage"]["parse"] < MODEST_PARSE_SECONDS
    assert night.seconds < MODEST_NIGHT_SECONDS
    assert night.survivors == [], night.survivors


def test_4_a_fifo_is_skipped_with_a_note_and_never_blocks(night_a):
    night = night_a["night"]  # run with a timeout: a hang fails, never hangs the suite
    assert night.returncode == 0, night.explain()
    skipped = night.summary.get("files_skipped")
    assert isinstance(skipped, list), night.summary.keys()
    (fifo,) = [entry for entry in skipped if "ong-dan.xlsx" in entry["file"]]
    assert fifo["reason"]
    assert not _status_rows(
        night_a["warehouse"],
        "select * from raw.submissions where source_file like '%ong-dan%'",
    )


# ------------------------------------------------------------------ the later nights


def _tear_last_line(manifest: Path) -> None:
    """Cut the manifest's last line inside a multibyte character (a crash mid-write)."""
    data = manifest.read_bytes()
    lines = data.rstrip(b"\n").split(b"\n")
    for index in range(len(lines) - 1, -1, -1):
        lead = next((i for i, byte in enumerate(lines[index]) if byte >= 0xC0), None)
        if lead is not None:
            kept = b"\n".join([*lines[:index], lines[index][: lead + 1]])
            break
    else:  # an ASCII-only manifest: the first two bytes of a three-byte character
        kept = data.rstrip(b"\n")[:-10] + "ạ".encode()[:2]
    manifest.write_bytes(kept)


def _next_night_then_full(warehouse: Path, root: Path, name: str, new: WrittenFile) -> dict:
    """A night landing one new file, then ``--full`` from the archive alone."""
    raw = root / "raw"
    _write(raw, name, new.data)
    next_night = _run(raw, warehouse)
    ids = _submission_ids(warehouse) if next_night.returncode == 0 else set()
    (root / "empty").mkdir()
    full = _run(root / "empty", warehouse, "--full")
    return {"next": next_night, "ids": ids, "full": full, "warehouse": warehouse}


def _torn_manifest_nights(cast: Cast, after_b: Path, root: Path) -> dict:
    """The manifest's last line torn; the next night appends a new file's line after it."""
    warehouse = _copy_state(after_b, root / "wh")
    _tear_last_line(warehouse.parent / "archive" / "manifest.jsonl")
    return _next_night_then_full(warehouse, root, "sau-dong-hong.ods", cast.after_cut)


def _empty_object_line_nights(cast: Cast, after_b: Path, root: Path) -> dict:
    """A line ``{}`` appended to the manifest (a foreign line)."""
    warehouse = _copy_state(after_b, root / "wh")
    with (warehouse.parent / "archive" / "manifest.jsonl").open("ab") as manifest:
        manifest.write(b"{}\n")
    return _next_night_then_full(warehouse, root, "sau-dong-rong.xls", cast.after_brace)


def _lost_archive_nights(cast: Cast, after_b: Path, root: Path) -> dict:
    """Two archived files deleted, then ``--full``; then ``--full --allow-missing-archive``."""
    import hashlib

    warehouse = _copy_state(after_b, root / "wh")
    archive = warehouse.parent / "archive"
    lost = {}
    for n, good in enumerate(cast.goods[:2]):
        sha = hashlib.sha256(good.data).hexdigest()
        (blob,) = (archive / sha[:2]).glob(sha + "*")
        blob.unlink()
        lost[sha] = f"tot/bao-cao-{n}{good.extension}"
    before = (warehouse.read_bytes(), warehouse.stat().st_mtime_ns)
    (root / "empty").mkdir()
    refused = _run(root / "empty", warehouse, "--full")
    after_refusal = (warehouse.read_bytes(), warehouse.stat().st_mtime_ns)
    building = sorted(p.name for p in warehouse.parent.glob("warehouse.duckdb.building*"))
    allowed = _run(root / "empty", warehouse, "--full", "--allow-missing-archive")
    return {
        "lost": lost,
        "refused": refused,
        "unchanged": after_refusal == before,
        "building": building,
        "allowed": allowed,
    }


def _failing_night(cast: Cast, after_b: Path, root: Path) -> dict:
    """A night whose dbt build cannot run: its state folder is a file."""
    warehouse = _copy_state(after_b, root / "wh")
    state = warehouse.parent / "dbt"
    shutil.rmtree(state)
    state.write_text("not a folder: dbt cannot write its target here\n", encoding="utf-8")
    before = warehouse.read_bytes()
    raw = root / "raw"
    _write(raw, "dem-that-bai.xlsx", cast.on_failing_night.data)
    night = _run(raw, warehouse)
    building = sorted(p.name for p in warehouse.parent.glob("warehouse.duckdb.building*"))
    return {"night": night, "building": building, "unchanged": warehouse.read_bytes() == before}


def _stopped_night(cast: Cast, after_b: Path, root: Path) -> dict:
    """A night stopped with SIGTERM (as a service manager stops it) while it builds."""
    warehouse = _copy_state(after_b, root / "wh")
    before = warehouse.read_bytes()
    raw = root / "raw"
    _write(raw, "dung-giua-chung.csv", cast.stopped_night.data)
    quiet = subprocess.DEVNULL
    process, tag = start_cli(
        *("run", "--raw-dir", raw, "--warehouse", warehouse), stdout=quiet, stderr=quiet
    )
    building = warehouse.with_name("warehouse.duckdb.building")
    stopped_in_time = False
    try:
        deadline = time.monotonic() + 300
        while not building.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        was_building = process.poll() is None and building.exists()
        time.sleep(1)  # well inside staging or the dbt build
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=120)
            stopped_in_time = True
        survivors = wait_for_survivors(tag, warehouse)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        kill_survivors(tag, warehouse)
    return {
        "was_building": was_building,
        "stopped_in_time": stopped_in_time,
        "returncode": process.returncode,
        "building": sorted(p.name for p in warehouse.parent.glob("warehouse.duckdb.building*")),
        "unchanged": warehouse.read_bytes() == before,
        "survivors": survivors,
    }


def _reader_group_night(cast: Cast, root: Path, group: str) -> dict:
    raw, warehouse = root / "raw", root / "wh" / "warehouse.duckdb"
    for n, good in enumerate(cast.reader_group_goods):
        _write(raw, f"bao-cao-{n}{good.extension}", good.data)
    night = _run(raw, warehouse, env={"CHITIEU_READER_GROUP": group})
    return {"night": night, "warehouse": warehouse}


@pytest.fixture(scope="module")
def later_nights(pool, cast, night_b, tmp_path_factory) -> dict[str, Future]:
    """Every night that starts from a copy of the warehouse folder after night B, two at
    a time (they share nothing)."""
    return {
        name: pool.submit(night, cast, night_b["after_b"], tmp_path_factory.mktemp(name))
        for name, night in (
            ("torn", _torn_manifest_nights),
            ("empty_object", _empty_object_line_nights),
            ("lost_archive", _lost_archive_nights),
            ("failing", _failing_night),
            ("stopped", _stopped_night),
        )
    }


# ------------------------------------------------------------------ 5-7: the manifest


def test_5_a_manifest_torn_inside_a_character_heals(later_nights):
    torn = later_nights["torn"].result()
    assert torn["next"].returncode == 0, torn["next"].explain()
    assert torn["full"].returncode == 0, torn["full"].explain()
    assert _submission_ids(torn["warehouse"]) == torn["ids"]


def test_6_a_manifest_line_of_an_empty_object_is_passed_over(cast, later_nights):
    nights = later_nights["empty_object"].result()
    assert nights["next"].returncode == 0, nights["next"].explain()
    assert nights["full"].returncode == 0, nights["full"].explain()
    assert _submission_ids(nights["warehouse"]) == nights["ids"]
    assert _submissions_of(nights["warehouse"], cast.after_brace.data)


def test_7_the_file_appended_after_a_torn_line_survives_full(cast, later_nights):
    torn = later_nights["torn"].result()
    assert torn["full"].returncode == 0, torn["full"].explain()
    rows = _submissions_of(torn["warehouse"], cast.after_cut.data)
    assert [r["status"] for r in rows] in (["loaded"], ["loaded_with_warnings"]), rows
    who = cast.after_cut.expected[0]
    (current,) = _status_rows(
        torn["warehouse"],
        "select count(*) as n from marts.fct_indicator_value where unit_key = ? "
        "and period_code = ? and submission_id = ?",
        [who.unit_key, who.period_code, rows[0]["submission_id"]],
    )
    assert current["n"] == len(cast.after_cut.expected)


# ------------------------------------------------------------------ 8: --full, archive lost


def test_8_full_refuses_when_the_archive_lost_files_unless_told(later_nights):
    nights = later_nights["lost_archive"].result()
    refused, allowed = nights["refused"], nights["allowed"]
    assert refused.returncode == 1, refused.explain()
    said = refused.stdout + refused.stderr
    for sha, name in nights["lost"].items():
        assert name in said or sha in said, (name, refused.explain())
    assert nights["unchanged"], "the refused --full changed the published warehouse"
    assert nights["building"] == []
    assert allowed.returncode == 0, allowed.explain()
    assert _says_how_many(allowed, len(nights["lost"])), allowed.explain()


def _says_how_many(night: Night, count: int) -> bool:
    """The summary (a key naming what is missing) or the messages give the number."""
    for key, value in (night.summary or {}).items():
        if "missing" in key and (
            value == count or (isinstance(value, list) and len(value) == count)
        ):
            return True
    return any(
        str(count) in line and "missing" in line.lower() for line in night.stderr.splitlines()
    )


# ------------------------------------------------------------------ 9-11: which version wins


def _assert_correction_is_current(warehouse: Path, who: WardYear, first: WrittenFile, fix):
    import hashlib

    current = _current_value(warehouse, who)
    assert current["file_sha256"] == hashlib.sha256(fix.data).hexdigest(), current
    assert current["value"] == value_of(fix, CORRECTED)
    (superseded,) = _submissions_of(warehouse, first.data)
    assert superseded["status"] == "superseded", superseded


def test_9_a_correction_copied_with_an_old_mtime_supersedes(cast, night_b):
    assert night_b["night"].returncode == 0, night_b["night"].explain()
    _assert_correction_is_current(
        night_b["warehouse"],
        cast.copied_old,
        cast.first["copied_old"],
        cast.correction["copied_old"],
    )


def test_10_a_file_dated_2099_does_not_beat_a_later_correction(cast, night_b):
    _assert_correction_is_current(
        night_b["warehouse"],
        cast.dated_2099,
        cast.first["dated_2099"],
        cast.correction["dated_2099"],
    )


def test_10_a_report_date_typed_2042_does_not_win_and_is_warned(cast, night_b):
    warehouse = night_b["warehouse"]
    _assert_correction_is_current(
        warehouse, cast.typed_2042, cast.first["typed_2042"], cast.correction["typed_2042"]
    )
    (first,) = _submissions_of(warehouse, cast.first["typed_2042"].data)
    rules = _status_rows(
        warehouse,
        "select rule, severity from raw.issues where submission_id = ?",
        [first["submission_id"]],
    )
    assert {"rule": "report_date_implausible", "severity": "warning"} in rules, rules


def _assert_one_current(warehouse: Path, rows: list[dict]) -> dict:
    assert len(rows) == 2, rows
    current = [r for r in rows if r["status"] in ("loaded", "loaded_with_warnings")]
    superseded = [r for r in rows if r["status"] == "superseded"]
    assert len(current) == 1 and len(superseded) == 1, rows
    assert rows[0]["report_date"] == rows[1]["report_date"]
    (value,) = _status_rows(
        warehouse,
        "select submission_id from marts.fct_indicator_value where unit_key = ? "
        "and indicator_code = ? and period_code = ?",
        [rows[0]["unit_key"], CORRECTED, rows[0]["period_code"]],
    )
    assert value["submission_id"] == current[0]["submission_id"]
    assert superseded[0]["superseded_by_submission_id"] == current[0]["submission_id"]
    return superseded[0]


def test_11_two_versions_that_tie_leave_exactly_one_current(cast, night_a):
    warehouse = night_a["warehouse"]
    assert night_a["night"].returncode == 0, night_a["night"].explain()
    # Two sheets of one workbook: same report date, same arrival to the microsecond.
    sheets = _submissions_of(warehouse, cast.tied_workbook)
    superseded = _assert_one_current(warehouse, sheets)
    assert superseded["supersession_basis"] == "submission_id", superseded
    # Two files of the same second: the arrival decides if the archive's clock tells
    # them apart, else the submission id; never both current.
    files = _submissions_of(warehouse, cast.tied_files[0].data)
    files += _submissions_of(warehouse, cast.tied_files[1].data)
    superseded = _assert_one_current(warehouse, files)
    tie = files[0]["received_at"] == files[1]["received_at"]
    expected = "submission_id" if tie else "received_at"
    assert superseded["supersession_basis"] == expected, files


# ------------------------------------------------------------------ 12: private archive


def _world_readable(folder: Path) -> list[str]:
    found = []
    for path in [folder, *folder.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if mode & 0o004 or (stat.S_ISDIR(mode) and mode & 0o001):
            found.append(f"{oct(mode & 0o777)} {path}")
    return found


def test_12_the_archive_and_warehouse_are_private(night_a):
    assert night_a["night"].returncode == 0, night_a["night"].explain()
    assert _world_readable(night_a["warehouse"].parent) == []


def test_12_a_reader_group_may_read_the_warehouse_and_archive(reader_group_night):
    result = reader_group_night.result()
    night, warehouse = result["night"], result["warehouse"]
    group = grp.getgrgid(os.getgid())
    assert night.returncode == 0, night.explain()
    assert _world_readable(warehouse.parent) == []
    published = warehouse.stat()
    assert published.st_mode & 0o040 and published.st_gid == group.gr_gid
    assert warehouse.parent.stat().st_mode & 0o050 == 0o050
    archive = warehouse.parent / "archive"
    for path in [archive, *archive.rglob("*")]:
        wanted = 0o050 if path.is_dir() else 0o040
        assert path.stat().st_mode & wanted == wanted, (oct(path.stat().st_mode), path)
        assert path.stat().st_gid == group.gr_gid, path


# ------------------------------------------------------------------ 13: the smaller ones


def test_13_status_on_a_damaged_warehouse_says_so_in_one_line(night_b, tmp_path):
    damaged = tmp_path / "warehouse.duckdb"
    shutil.copy(night_b["warehouse"], damaged)
    size = damaged.stat().st_size
    with damaged.open("r+b") as handle:  # everything past DuckDB's headers
        handle.seek(12288)
        handle.write(random.Random(13).randbytes(size - 12288))
    (tmp_path / "raw").mkdir()
    status = run_cli("status", "--warehouse", damaged, "--raw-dir", tmp_path / "raw", timeout=300)
    assert status.returncode == 1, status.explain()
    lines = [line for line in (status.stdout + status.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in status.stderr, status.explain()


def test_13_full_rebuilds_a_damaged_warehouse_from_the_archive(night_b, tmp_path):
    """``--full`` is how a damaged warehouse is rebuilt: it must not need to read it."""
    folder = tmp_path / "wh"
    shutil.copytree(night_b["after_b"], folder)
    warehouse = folder / night_b["warehouse"].name
    statuses = "select source_file, source_sheet, status from marts.rpt_submission_status"
    before = sorted(map(tuple, (r.values() for r in _status_rows(warehouse, statuses))))
    with warehouse.open("r+b") as handle:
        handle.write(b"not a warehouse any more" * 512)
    (tmp_path / "raw").mkdir()
    night = _run(tmp_path / "raw", warehouse, "--full", timeout=600)
    assert night.returncode == 0, night.explain()
    assert any("could not be read" in warning for warning in night.summary["warnings"])
    after = sorted(map(tuple, (r.values() for r in _status_rows(warehouse, statuses))))
    assert after == before


def test_13_a_failed_run_leaves_no_build_copy(later_nights):
    failing = later_nights["failing"].result()
    night = failing["night"]
    assert night.returncode == 1, night.explain()
    assert "Traceback" not in night.stderr.rsplit("chitieu run failed", 1)[-1]
    assert failing["building"] == []
    assert failing["unchanged"]


def test_13_a_run_stopped_with_sigterm_leaves_no_build_copy(later_nights):
    """A service manager stops a run with SIGTERM: it ends, and takes its build copy (and
    every process it started) with it."""
    stopped = later_nights["stopped"].result()
    assert stopped["was_building"], "the run ended before it was building"
    assert stopped["stopped_in_time"], "SIGTERM did not stop the run within 120 s"
    assert stopped["returncode"] != 0
    assert stopped["building"] == []
    assert stopped["unchanged"]
    assert stopped["survivors"] == [], stopped["survivors"]


def test_13_old_data_docs_and_feedback_pages_are_pruned(night_b):
    quality = night_b["warehouse"].parent / "quality"
    run_b = night_b["night"].summary["run_id"]
    for pages in ("docs", "feedback"):
        assert not (quality / pages / OLD_RUN_ID).exists(), pages
        assert (quality / pages / run_b).is_dir(), pages


def test_13_status_reports_the_disk_used(night_b, tmp_path):
    warehouse = night_b["warehouse"]
    status = run_cli(
        *("status", "--warehouse", warehouse, "--raw-dir", tmp_path, "--json"), timeout=300
    )
    assert status.returncode == 0, status.explain()
    usage = json.loads(status.stdout)["disk_usage"]
    blobs = sum(
        p.stat().st_size
        for p in (warehouse.parent / "archive").rglob("*")
        if p.is_file() and p.name != "manifest.jsonl"
    )
    assert usage["archive_bytes"] >= blobs > 0
    assert usage["quality_bytes"] > 0
    assert usage["warehouse_bytes"] >= warehouse.stat().st_size
